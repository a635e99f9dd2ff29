// The console's "recalibrate" button (POST /v1/Console/Recalibrate on the operator listener only):
// the circulation simulator (sim/, the `circsim` program named by ledgerd --circsim) calibrated
// from this ledger's own flows and run, its metrics returned to the console.
//
// Safety: the caller is an operator (the listener's client certificate, or the development token
// in plaintext mode) and must hold a role `may_run` accepts (ledgerd: treasurer or
// programme_admin); the change stream is read in-process AS that operator (Ledger.GetDigest and
// Ledger.Subscribe with the caller's identity, so the services' own checks apply); one run at a
// time (a second request while one runs gets 409 ABORTED naming who started it and when); circsim
// is a child process with a fixed path and fixed arguments (nothing from the request reaches its
// command line), killed after kRecalibrateSecondsMax (504), its files in a private temporary
// directory removed afterwards. circsim only ever sees category aggregates leave calibration
// (sim/calibrate.h's privacy rule): the reply holds the simulator's metrics, never an account.
//
// Example:
//   Recalibrator r({.circsim = "/path/circsim", .may_run = ..., .operator_channel = ...});
//   RecalibrateResult result = r.Run("programme-admin", metadata);  // result.json or an error
#ifndef LEDGER_GATEWAY_RECALIBRATE_H_
#define LEDGER_GATEWAY_RECALIBRATE_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "ledger/gateway/forward.h"

namespace ledger::gateway {

// The bounds of one recalibration: its whole time (reading the change stream, calibrating, the
// simulation; 504 beyond, circsim killed) and the change stream's size as JSON lines (400 beyond:
// calibrate offline with `circsim calibrate --ledger`). Kept here rather than in
// ledger/core/limits.h: they bound a console job of the gateway, not anything a request carries.
inline constexpr int kRecalibrateSecondsMax = 120;
inline constexpr uint64_t kRecalibrateEventBytesMax = uint64_t{256} << 20;

struct RecalibrateOptions {
  std::string circsim;  // The circsim binary; empty: recalibration is off (501).
  // OK when the operator may recalibrate; PERMISSION_DENIED naming the roles otherwise.
  std::function<absl::Status(const std::string& operator_name)> may_run;
  std::shared_ptr<grpc::Channel> operator_channel;  // In-process: Ledger.GetDigest, Subscribe.
  int runs = 20;                                    // Simulation runs (circsim run --runs).
};

struct RecalibrateResult {
  grpc::Status status;  // Not OK: the HTTP error (ABORTED 409 while another runs, ...).
  std::string json;     // OK: {"operator", "journalIndex", "events", "metrics": {...}}.
};

class Recalibrator {
 public:
  explicit Recalibrator(RecalibrateOptions options) : options_(std::move(options)) {}
  // `operator_name`: the caller (certificate CN, or X-Ledger-Operator in plaintext mode);
  // `metadata`: the caller's identity for the in-process calls.
  RecalibrateResult Run(const std::string& operator_name, const Metadata& metadata);

 private:
  RecalibrateResult RunAlone(const std::string& operator_name, const Metadata& metadata);

  RecalibrateOptions options_;
  std::mutex mutex_;
  std::string running_;  // Who started the current run and when; empty when idle. Guarded.
};

// Runs `argv` (argv[0] a path) with stdout/stderr into `output`, killing it after `seconds`:
// DEADLINE_EXCEEDED then; INTERNAL naming the exit code and the output's tail on a failure.
absl::Status RunBounded(const std::vector<std::string>& argv, int seconds, std::string* output);

}  // namespace ledger::gateway

#endif  // LEDGER_GATEWAY_RECALIBRATE_H_
