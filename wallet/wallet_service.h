// The Wallet gRPC service: a resident's own signed requests — send coin to another account, pay a shop's
// merchant-presented code. A thin adapter: it checks the wallet's registered key, the signature, the
// timestamp window and a per-wallet rate limit, then submits a core command (ledger/core/pos.h) that
// spends the request's nonce once.
// Errors as in the Pos service: INVALID_ARGUMENT, PERMISSION_DENIED, FAILED_PRECONDITION,
// RESOURCE_EXHAUSTED, UNAVAILABLE; business outcomes in WalletReply.result.
#ifndef WALLET_WALLET_SERVICE_H_
#define WALLET_WALLET_SERVICE_H_

#include <map>
#include <mutex>
#include <string>

#include "ledger/core/types.h"
#include "ledger/server/committer.h"
#include "ledger/server/node.h"
#include "proto/ledger.grpc.pb.h"

namespace wallet {

class WalletService final : public ledger::v1::Wallet::Service {
 public:
  struct Options {
    double requests_per_second = 5;  // Per wallet, sustained.
    double burst = 10;
  };
  WalletService(ledger::Committer* node, ledger::Clock* clock, Options options)
      : node_(node), clock_(clock), options_(options) {}

  grpc::Status Send(grpc::ServerContext*, const ledger::v1::WalletRequest*, ledger::v1::WalletReply*) override;
  grpc::Status PayMpm(grpc::ServerContext*, const ledger::v1::WalletRequest*, ledger::v1::WalletReply*) override;

 private:
  template <typename Body>
  grpc::Status Authenticate(const char* method, const ledger::v1::WalletRequest& in, Body* body,
                            ledger::AccountId* account);
  bool TakeToken(const std::string& wallet);
  grpc::Status Submit(ledger::Command command, const ledger::AccountId& payer, ledger::v1::WalletReply* reply);

  ledger::Committer* node_;
  ledger::Clock* clock_;
  Options options_;
  std::mutex mutex_;
  struct Bucket {
    double tokens = 0;
    uint64_t refilled_ns = 0;
  };
  std::map<std::string, Bucket> buckets_;  // Guarded by mutex_.
};

}  // namespace wallet

#endif  // WALLET_WALLET_SERVICE_H_
