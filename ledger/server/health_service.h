// The Health gRPC service (health mileage, ledger/core/health.h). A thin adapter:
//  - ReportSteps comes from a resident's device: the device's signature is checked by the core (so
//  every
//    replica checks the same thing) and first here, before the resident's report allowance is
//    spent, so a forger can neither starve her real reports nor get anything journaled; the service
//    adds the salt that keeps the journal's commitment opaque.
//  - Everything else is the resident's own WalletRequest, signed with the key registered for their
//  points
//    wallet, checked like the Wallet service's (WalletVerifier): devices, consent, exchange,
//    erasure, and reading their own step history (nobody else can read it through this API), naming
//    watchers.
//  - Watchers sign with their own wallet key to stream and acknowledge the alerts of the residents
//  who named
//    them; nobody else sees those alerts.
// Business outcomes are in the replies' result; transport errors as in the Wallet service.
#ifndef LEDGER_SERVER_HEALTH_SERVICE_H_
#define LEDGER_SERVER_HEALTH_SERVICE_H_

#include <map>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "ledger/commit/clock.h"
#include "ledger/commit/committer.h"
#include "ledger/core/limits.h"
#include "ledger/core/types.h"
#include "ledger/server/stream_slots.h"
#include "ledger/server/wallet_verifier.h"
#include "proto/ledger.grpc.pb.h"

namespace wallet {

class HealthService final : public ledger::v1::Health::Service {
 public:
  struct Options {
    double requests_per_second = 5;  // Per resident's wallet, sustained.
    double burst = 10;
    double reports_per_second =
        ledger::kStepReportsPerSecond;               // Step reports per resident (all devices) ...
    double report_burst = ledger::kStepReportBurst;  // ... and at once (ledger/core/limits.h).
  };
  HealthService(ledger::Committer* node, ledger::Clock* clock, Options options)
      : node_(node),
        clock_(clock),
        verifier_(node, clock, options.requests_per_second, options.burst),
        reports_(options.reports_per_second, options.report_burst) {}

  grpc::Status ReportSteps(grpc::ServerContext*, const ledger::v1::StepReportRequest*,
                           ledger::v1::StepReportReply*) override;
  grpc::Status RegisterDevice(grpc::ServerContext*, const ledger::v1::WalletRequest*,
                              ledger::v1::WalletReply*) override;
  grpc::Status RevokeDevice(grpc::ServerContext*, const ledger::v1::WalletRequest*,
                            ledger::v1::WalletReply*) override;
  grpc::Status SetConsent(grpc::ServerContext*, const ledger::v1::WalletRequest*,
                          ledger::v1::WalletReply*) override;
  grpc::Status ExchangePoints(grpc::ServerContext*, const ledger::v1::WalletRequest*,
                              ledger::v1::WalletReply*) override;
  grpc::Status EraseStepData(grpc::ServerContext*, const ledger::v1::WalletRequest*,
                             ledger::v1::WalletReply*) override;
  grpc::Status GetMileage(grpc::ServerContext*, const ledger::v1::WalletRequest*,
                          ledger::v1::MileageReply*) override;
  grpc::Status SetWatchOver(grpc::ServerContext*, const ledger::v1::WalletRequest*,
                            ledger::v1::WalletReply*) override;
  grpc::Status AckAlert(grpc::ServerContext*, const ledger::v1::WalletRequest*,
                        ledger::v1::WalletReply*) override;
  grpc::Status WatchAlerts(grpc::ServerContext*, const ledger::v1::WalletRequest*,
                           grpc::ServerWriter<ledger::v1::Alert>*) override;

 private:
  // The answer the core would give a report from an unknown, revoked or impostor device (OK if it
  // is the device's own): checked before the rate limit is spent and before anything is submitted.
  ledger::v1::Result CheckDeviceSignature(const ledger::AccountId& resident,
                                          const ledger::v1::StepReportRequest& in) const;
  grpc::Status Submit(ledger::Command command, const ledger::AccountId& resident,
                      ledger::v1::WalletReply* reply);

  ledger::Committer* node_;
  ledger::Clock* clock_;
  WalletVerifier verifier_;
  ledger::RateLimiter reports_;  // Per resident with a registered device.

  // Open WatchAlerts streams, per watcher and in all (limits.h).
  ledger::StreamSlots streams_{ledger::kWatchStreamsPerWatcherMax, ledger::kWatchStreamsMax};
};

}  // namespace wallet

#endif  // LEDGER_SERVER_HEALTH_SERVICE_H_
