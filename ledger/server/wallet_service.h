// The Wallet gRPC service: a resident's own signed requests — send coin to another account, pay a
// shop's merchant-presented code. A thin adapter: it checks the wallet's registered key, the
// signature, the timestamp window and a per-wallet rate limit, then submits a core command
// (ledger/core/pos.h) that spends the request's nonce once. Its reads (GetAccount, GetHistory,
// ListStaffOperations) pass the same checks and then read only the signer's own account; they spend
// no nonce. Residents need no operator token: this service and the Ledger service's operator token
// are independent. Errors as in the Pos service: INVALID_ARGUMENT, PERMISSION_DENIED,
// FAILED_PRECONDITION, RESOURCE_EXHAUSTED, UNAVAILABLE; business outcomes in WalletReply.result.
#ifndef LEDGER_SERVER_WALLET_SERVICE_H_
#define LEDGER_SERVER_WALLET_SERVICE_H_

#include <string>

#include "ledger/commit/clock.h"
#include "ledger/commit/committer.h"
#include "ledger/core/types.h"
#include "ledger/server/rate_limiter.h"
#include "ledger/server/wallet_verifier.h"
#include "proto/ledger.grpc.pb.h"

namespace wallet {

class WalletService final : public ledger::v1::Wallet::Service {
 public:
  struct Options {
    double requests_per_second = 5;  // Per wallet, sustained.
    double burst = 10;
  };
  WalletService(ledger::Committer* node, ledger::Clock* clock, Options options)
      : node_(node), verifier_(node, clock, options.requests_per_second, options.burst) {}

  grpc::Status Send(grpc::ServerContext*, const ledger::v1::WalletRequest*,
                    ledger::v1::WalletReply*) override;
  grpc::Status PayMpm(grpc::ServerContext*, const ledger::v1::WalletRequest*,
                      ledger::v1::WalletReply*) override;
  grpc::Status ApplyTask(grpc::ServerContext*, const ledger::v1::WalletRequest*,
                         ledger::v1::WalletReply*) override;
  grpc::Status CheckIn(grpc::ServerContext*, const ledger::v1::WalletRequest*,
                       ledger::v1::WalletReply*) override;
  // Reads of the signer's own account: verified like the requests above, no nonce spent, nothing
  // submitted.
  grpc::Status GetAccount(grpc::ServerContext*, const ledger::v1::WalletRequest*,
                          ledger::v1::WalletAccountReply*) override;
  grpc::Status GetHistory(grpc::ServerContext*, const ledger::v1::WalletRequest*,
                          ledger::v1::GetAccountHistoryReply*) override;
  grpc::Status ListStaffOperations(grpc::ServerContext*, const ledger::v1::WalletRequest*,
                                   ledger::v1::ListStaffOperationsReply*) override;

 private:
  grpc::Status Submit(ledger::Command command, const ledger::AccountId& payer,
                      ledger::v1::WalletReply* reply);

  ledger::Committer* node_;
  WalletVerifier verifier_;
};

}  // namespace wallet

#endif  // LEDGER_SERVER_WALLET_SERVICE_H_
