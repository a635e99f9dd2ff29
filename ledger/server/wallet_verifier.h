// Checks a resident's signed WalletRequest (see proto/ledger.proto): the wallet's registered key,
// the signature over the exact bytes, the timestamp window on the ledger's clock and a per-wallet
// rate limit; then parses the body. Shared by the Wallet and Health services. Errors name the
// field: INVALID_ARGUMENT, PERMISSION_DENIED (no key, revoked key, bad signature),
// FAILED_PRECONDITION (clock window), RESOURCE_EXHAUSTED.
#ifndef LEDGER_SERVER_WALLET_VERIFIER_H_
#define LEDGER_SERVER_WALLET_VERIFIER_H_

#include <sodium.h>

#include "absl/strings/str_cat.h"
#include "formats/wallet_auth.h"
#include "ledger/commit/clock.h"
#include "ledger/commit/committer.h"
#include "ledger/core/pos.h"
#include "ledger/core/query.h"
#include "ledger/core/types.h"
#include "ledger/server/field_bounds.h"
#include "ledger/server/rate_limiter.h"
#include "ledger/server/status_util.h"
#include "proto/ledger.pb.h"

namespace wallet {

class WalletVerifier {
 public:
  WalletVerifier(ledger::Committer* node, ledger::Clock* clock, double requests_per_second,
                 double burst)
      : node_(node), clock_(clock), limiter_(requests_per_second, burst) {}

  template <typename Body>
  grpc::Status Verify(const char* method, const ledger::v1::WalletRequest& in, Body* body,
                      ledger::AccountId* account) {
    // Every field's length first (ledger/server/field_bounds.h): cheap, and it keeps a long body
    // from being hashed for the signature check.
    if (absl::Status bounded = ledger::CheckFieldBounds(in); !bounded.ok())
      return ledger::ToGrpcStatus(bounded);
    std::optional<ledger::AccountId> id = ledger::Id128::FromBytes(in.account_id());
    if (!id || id->IsZero()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "account_id: must be 16 bytes, not zero");
    }
    if (in.nonce() == 0)
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "nonce: must not be zero");
    if (absl::Status readable = node_->ReadBarrier(); !readable.ok())
      return ledger::ToGrpcStatus(readable);
    std::optional<ledger::KeyRecord> key = ledger::LookupKey(node_->state(), *id, "");
    if (!key) {
      return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                          absl::StrCat("wallet ", id->ToHex(), " has no registered key"));
    }
    if (!key->active()) {
      return grpc::Status(
          grpc::StatusCode::PERMISSION_DENIED,
          absl::StrCat("wallet ", id->ToHex(), " key was revoked (the city registers a new one)"));
    }
    const std::string signed_bytes =
        WalletSignedBytes(method, in.account_id(), in.timestamp_ms(), in.nonce(), in.body());
    if (crypto_sign_verify_detached(
            reinterpret_cast<const unsigned char*>(in.signature().data()),
            reinterpret_cast<const unsigned char*>(signed_bytes.data()), signed_bytes.size(),
            reinterpret_cast<const unsigned char*>(key->public_key.data())) != 0) {
      return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                          "signature mismatch (not this wallet's key, or altered)");
    }
    const uint64_t now_ms = clock_->NowNanos() / 1'000'000;
    const uint64_t skew =
        now_ms > in.timestamp_ms() ? now_ms - in.timestamp_ms() : in.timestamp_ms() - now_ms;
    if (skew > kWalletRequestWindowMs) {
      return grpc::Status(
          grpc::StatusCode::FAILED_PRECONDITION,
          absl::StrCat("timestamp_ms: ", skew / 1000, " s off the ledger's clock (window ",
                       kWalletRequestWindowMs / 1000, " s)"));
    }
    // Limited only once the request is the wallet's own (registered key, good signature, fresh):
    // nobody else can spend a wallet's allowance, and unknown ids cannot grow the buckets.
    if (!limiter_.Take(in.account_id(), clock_->NowNanos())) {
      return grpc::Status(
          grpc::StatusCode::RESOURCE_EXHAUSTED,
          absl::StrCat("wallet ", id->ToHex(), ": more than ", limiter_.requests_per_second(),
                       " requests per second; slow down"));
    }
    if (!body->ParseFromString(in.body())) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          absl::StrCat("body: not a ", Body::descriptor()->name(), " message"));
    }
    if (absl::Status bounded = ledger::CheckFieldBounds(*body); !bounded.ok())
      return ledger::ToGrpcStatus(bounded);
    *account = *id;
    return grpc::Status::OK;
  }

 private:
  ledger::Committer* node_;
  ledger::Clock* clock_;
  ledger::RateLimiter limiter_;  // Per wallet.
};

// Submits one command a wallet signed and fills the reply: the outcome, and for exceeds_balance
// what `payer` could spend.
inline grpc::Status SubmitWalletCommand(ledger::Committer* node, ledger::Command command,
                                        const ledger::AccountId& payer,
                                        ledger::v1::WalletReply* reply) {
  std::vector<ledger::Command> commands;
  commands.push_back(std::move(command));
  absl::StatusOr<ledger::SubmitResult> result = node->Submit(std::move(commands));
  if (!result.ok()) return ledger::ToGrpcStatus(result.status());
  const ledger::Outcome& outcome = result->outcomes.at(0);
  reply->set_result(static_cast<ledger::v1::Result>(outcome.result));
  reply->set_duplicate(outcome.duplicate);
  reply->set_timestamp(outcome.timestamp);
  reply->set_journal_index(result->journal_index);
  if (outcome.result == ledger::Result::kExceedsBalance) {
    if (std::optional<ledger::Account> account = ledger::LookupAccount(node->state(), payer)) {
      reply->set_available(account->balance - account->debits_pending);
    }
  }
  return grpc::Status::OK;
}

}  // namespace wallet

#endif  // LEDGER_SERVER_WALLET_VERIFIER_H_
