// The gateway's in-process gRPC calls: a request's protobuf bytes to ledgerd's own services over
// grpc::Server::InProcessChannel (the same services, interceptors and checks as a network call),
// with the metadata the gateway adds (the operator's identity on the operator listener).
#ifndef LEDGER_GATEWAY_FORWARD_H_
#define LEDGER_GATEWAY_FORWARD_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace ledger::gateway {

using Metadata = std::vector<std::pair<std::string, std::string>>;

// One unary call of `grpc_path` ("/ledger.v1.Wallet/GetAccount") with `request` (encoded); the
// status, and the reply's bytes in `reply` when OK. Waits at most kHttpCallSecondsMax.
grpc::Status ForwardUnary(grpc::Channel* channel, const std::string& grpc_path,
                          const Metadata& metadata, const std::string& request, std::string* reply);

// A server-streaming call: `on_message` gets each message's bytes and returns false to stop (the
// client went away); `on_idle` is called after kHttpStreamHeartbeatSeconds without a message and
// returns false to stop. The call ends after kHttpStreamSecondsMax (DEADLINE_EXCEEDED). Returns the
// call's final status (CANCELLED when a callback stopped it).
grpc::Status ForwardStream(grpc::Channel* channel, const std::string& grpc_path,
                           const Metadata& metadata, const std::string& request,
                           const std::function<bool(const std::string&)>& on_message,
                           const std::function<bool()>& on_idle);

}  // namespace ledger::gateway

#endif  // LEDGER_GATEWAY_FORWARD_H_
