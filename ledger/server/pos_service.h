// The Pos gRPC service: shop terminals charge customer-presented codes, look payments up, cancel,
// refund, close the day, cash out and pay suppliers. A thin adapter: it authenticates the terminal
// (formats/pos_auth.h: registered key, signature, timestamp window, per-terminal rate limit),
// converts the body to a core command (ledger/core/pos.h holds every rule) and reports the outcome.
//
// Errors: INVALID_ARGUMENT (malformed envelope or body, naming the field: ids, amounts
// outside 1..limit; such a request reaches nothing and uses nothing up), PERMISSION_DENIED (unknown
// or revoked terminal, signature mismatch; a terminal that is not a manager adding or revoking
// terminals), FAILED_PRECONDITION (timestamp outside the window), RESOURCE_EXHAUSTED (the
// terminal's rate limit), UNAVAILABLE (as for the Ledger service: retry the same request). Business
// outcomes (refused payment, refund too large, day closed, ...) are PosReply.result in an OK reply.
#ifndef LEDGER_SERVER_POS_SERVICE_H_
#define LEDGER_SERVER_POS_SERVICE_H_

#include <map>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "ledger/commit/clock.h"
#include "ledger/commit/committer.h"
#include "ledger/core/limits.h"
#include "ledger/core/pos.h"
#include "ledger/core/types.h"
#include "ledger/server/rate_limiter.h"
#include "ledger/server/stream_slots.h"
#include "proto/ledger.grpc.pb.h"

namespace merchant {

class PosService final : public ledger::v1::Pos::Service {
 public:
  struct Options {
    double requests_per_second = 20;  // Per terminal, sustained.
    double burst = 40;                // Per terminal.
  };
  // node and clock must outlive the service.
  PosService(ledger::Committer* node, ledger::Clock* clock, Options options)
      : node_(node), clock_(clock), limiter_(options.requests_per_second, options.burst) {}

  using SignedRequest = ledger::v1::SignedRequest;
  using PosReply = ledger::v1::PosReply;
  grpc::Status CreatePayment(grpc::ServerContext*, const SignedRequest*, PosReply*) override;
  grpc::Status CreateMpm(grpc::ServerContext*, const SignedRequest*, PosReply*) override;
  grpc::Status CardPayment(grpc::ServerContext*, const SignedRequest*, PosReply*) override;
  grpc::Status GetPayment(grpc::ServerContext*, const SignedRequest*, PosReply*) override;
  // GetPayment as a stream: the payment's state at once, then again whenever it changes; ends when
  // it is final (cancelled, refused, expired, refunded in full), after kPaymentWatchSecondsMax or
  // when the client goes away. It wakes on the node's commits (Committer::WaitForIndexAfter) and at
  // the code's expiry, and reads the payment only then. At most kPaymentWatchesPerTerminalMax open
  // per terminal and kPaymentWatchesMax per node (limits.h), else RESOURCE_EXHAUSTED naming the
  // bound.
  grpc::Status WatchPayment(grpc::ServerContext*, const SignedRequest*,
                            grpc::ServerWriter<PosReply>*) override;
  grpc::Status CancelPayment(grpc::ServerContext*, const SignedRequest*, PosReply*) override;
  grpc::Status RefundPayment(grpc::ServerContext*, const SignedRequest*, PosReply*) override;
  grpc::Status CloseDay(grpc::ServerContext*, const SignedRequest*, PosReply*) override;
  grpc::Status CashOut(grpc::ServerContext*, const SignedRequest*, PosReply*) override;
  grpc::Status PaySupplier(grpc::ServerContext*, const SignedRequest*, PosReply*) override;
  grpc::Status PostTask(grpc::ServerContext*, const SignedRequest*, PosReply*) override;
  grpc::Status DecideApplication(grpc::ServerContext*, const SignedRequest*, PosReply*) override;
  grpc::Status CancelSlots(grpc::ServerContext*, const SignedRequest*, PosReply*) override;
  grpc::Status ConfirmDay(grpc::ServerContext*, const SignedRequest*, PosReply*) override;
  // A manager terminal adds or revokes terminals of its own merchant (ledger/core/pos.h
  // RegisterKey).
  grpc::Status RegisterTerminal(grpc::ServerContext*, const SignedRequest*, PosReply*) override;
  grpc::Status RevokeTerminal(grpc::ServerContext*, const SignedRequest*, PosReply*) override;

 private:
  // Checks the envelope and parses the body; on success *merchant is the authenticated merchant and
  // *signer (if not null) the signing terminal's key record (active: a revoked key is refused).
  template <typename Body>
  grpc::Status Authenticate(const char* method, const SignedRequest& in, Body* body,
                            ledger::AccountId* merchant, ledger::KeyRecord* signer = nullptr);
  // Submits one command and fills result/duplicate/timestamp/journal_index.
  grpc::Status Submit(ledger::Command command, PosReply* reply);
  void FillPayment(const ledger::AccountId& merchant, const std::string& payment_id,
                   PosReply* reply);

  ledger::Committer* node_;
  ledger::Clock* clock_;
  ledger::RateLimiter limiter_;  // Per merchant and terminal.

  // Open WatchPayment streams, per terminal (merchant id + terminal id) and in all (limits.h).
  ledger::StreamSlots watches_{ledger::kPaymentWatchesPerTerminalMax, ledger::kPaymentWatchesMax};
};

}  // namespace merchant

#endif  // LEDGER_SERVER_POS_SERVICE_H_
