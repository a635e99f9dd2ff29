// Small helpers shared by our gRPC clients (ledgerctl, the demo town, the benchmark): channel set-up,
// status conversion, and id helpers.
#ifndef LEDGER_CLIENT_CLIENT_H_
#define LEDGER_CLIENT_CLIENT_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "ledger/core/types.h"
#include "proto/ledger.grpc.pb.h"

namespace ledger {

// A stub on an insecure channel (loopback or a private network; see the README on TLS).
std::unique_ptr<v1::Ledger::Stub> ConnectLedger(const std::string& address);

absl::Status FromGrpcStatus(const grpc::Status& status);

// A context with a deadline `timeout` from now.
std::unique_ptr<grpc::ClientContext> ContextWithDeadline(std::chrono::milliseconds timeout);

// 16-byte id from a small integer (high half zero), and from hex.
inline std::string IdBytes(uint64_t low) { return Id128{0, low}.ToBytes(); }
inline std::string IdBytes(uint64_t high, uint64_t low) { return Id128{high, low}.ToBytes(); }

// Waits until the server answers GetDigest, up to `timeout`.
absl::Status WaitForLedger(v1::Ledger::Stub* stub, std::chrono::milliseconds timeout);

}  // namespace ledger

#endif  // LEDGER_CLIENT_CLIENT_H_
