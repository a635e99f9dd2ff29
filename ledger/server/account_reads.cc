// Account reads shared by the Ledger and Wallet services: see account_reads.h.
#include "ledger/server/account_reads.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "ledger/core/limits.h"
#include "ledger/core/query.h"
#include "ledger/server/convert.h"

namespace ledger {

bool ReadAccountWithLots(const KvReader& state, const AccountId& id, v1::Account* out) {
  std::optional<Account> account = LookupAccount(state, id);
  if (!account) return false;
  AccountToProto(*account, out);
  for (const Lot& lot : LookupLots(state, id)) {
    v1::Lot* lot_out = out->add_lots();
    lot_out->set_expiry(lot.expiry);
    lot_out->set_amount(lot.amount);
  }
  return true;
}

absl::Status ReadHistoryPage(const KvReader& state, const AccountId& id, const HistoryQuery& query,
                             v1::GetAccountHistoryReply* out) {
  if (query.limit > static_cast<uint32_t>(kHistoryPageMax)) {
    return absl::InvalidArgumentError(
        absl::StrCat("limit: ", query.limit, ", at most ", kHistoryPageMax));
  }
  if (query.to_timestamp != 0 && query.to_timestamp < query.from_timestamp) {
    return absl::InvalidArgumentError("to_timestamp: must be 0 or >= from_timestamp");
  }
  const int limit = query.limit == 0 ? kHistoryPageDefault : static_cast<int>(query.limit);
  HistoryPage page =
      AccountHistory(state, id, query.from_timestamp, query.to_timestamp, limit, query.reverse);
  for (const HistoryEntry& entry : page.entries) {
    v1::HistoryEntry* entry_out = out->add_entries();
    entry_out->set_timestamp(entry.timestamp);
    entry_out->set_transfer_id(entry.transfer_id.ToBytes());
    entry_out->set_delta(entry.delta);
    entry_out->set_balance_after(entry.balance_after);
  }
  out->set_next_timestamp(page.next_timestamp);
  return absl::OkStatus();
}

void ReadStaffOperations(const KvReader& state, const AccountId& wallet, uint32_t limit,
                         v1::ListStaffOperationsReply* out) {
  const int count = limit == 0
                        ? kStaffOperationsPageDefault
                        : static_cast<int>(std::min<uint32_t>(limit, kStaffOperationsPageMax));
  for (const StaffOperation& op : LookupStaffOperations(state, wallet, count)) {
    v1::StaffOperation* op_out = out->add_operations();
    op_out->set_timestamp(op.timestamp);
    op_out->set_merchant_id(op.merchant.ToBytes());
    op_out->set_terminal_id(op.terminal);
    op_out->set_staff_id(op.staff);
    op_out->set_operation(op.operation);
    op_out->set_payment_id(op.payment_id);
    op_out->set_amount(op.amount);
    op_out->set_result(static_cast<v1::Result>(op.result));
  }
}

}  // namespace ledger
