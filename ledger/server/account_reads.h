// One account's data as the API returns it: the account with its expiry lots, a page of its
// history, the staff operations on it. Shared by the Ledger service (the operator reads any
// account) and the Wallet service (a resident reads her own, signed), so that both answer the same
// shape with the same checks. Callers take the read barrier first; these only read `state`.
#ifndef LEDGER_SERVER_ACCOUNT_READS_H_
#define LEDGER_SERVER_ACCOUNT_READS_H_

#include <cstdint>

#include "absl/status/status.h"
#include "ledger/core/kv.h"
#include "ledger/core/types.h"
#include "proto/ledger.pb.h"

namespace ledger {

// The account and, for a wallet of an expiring asset, its lots (earliest expiry first). False if
// there is no such account (`out` untouched).
[[nodiscard]] bool ReadAccountWithLots(const KvReader& state, const AccountId& id,
                                       v1::Account* out);

// What a history page asks for (GetAccountHistoryRequest, WalletHistoryRequest).
struct HistoryQuery {
  Timestamp from_timestamp = 0;  // Inclusive.
  Timestamp to_timestamp = 0;    // Inclusive; 0 = no upper bound.
  uint32_t limit = 0;            // 0 = kHistoryPageDefault; at most kHistoryPageMax.
  bool reverse = false;          // Newest first.
};

// One page of the account's balance changes. INVALID_ARGUMENT naming `limit` or `to_timestamp` when
// the query is malformed (nothing is read then).
absl::Status ReadHistoryPage(const KvReader& state, const AccountId& id, const HistoryQuery& query,
                             v1::GetAccountHistoryReply* out);

// The staff operations on a wallet (card payments, wrong PINs, locked cards), oldest first: `limit`
// 0 reads kStaffOperationsPageDefault, a limit above kStaffOperationsPageMax reads that many.
void ReadStaffOperations(const KvReader& state, const AccountId& wallet, uint32_t limit,
                         v1::ListStaffOperationsReply* out);

}  // namespace ledger

#endif  // LEDGER_SERVER_ACCOUNT_READS_H_
