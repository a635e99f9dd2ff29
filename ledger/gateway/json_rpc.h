// The gateway's method table and JSON mapping: which gRPC method a URL "/v1/<Service>/<Method>"
// names, and the request/reply conversion between protobuf's canonical JSON mapping and the
// protobuf encoding the in-process gRPC call carries.
//
// The table is the linked generated code's descriptors (DescriptorPool::generated_pool(), package
// ledger.v1): a method added to proto/ledger.proto is served by the gateway with no change here.
// The public listener serves Pos, Wallet and Health; the operator listener also Ledger and Cluster.
// Client-streaming methods are not served (404).
//
// Example:
//   absl::StatusOr<GatewayMethod> m = FindMethod("/v1/Wallet/GetAccount", Listener::kPublic);
//   absl::StatusOr<std::string> request = JsonToRequest(*m, body);  // INVALID_ARGUMENT: names it
//   ... call m->grpc_path with *request, get reply bytes ...
//   absl::StatusOr<std::string> json = ReplyToJson(*m, reply_bytes);
#ifndef LEDGER_GATEWAY_JSON_RPC_H_
#define LEDGER_GATEWAY_JSON_RPC_H_

#include <google/protobuf/descriptor.h>

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace ledger::gateway {

enum class Listener { kPublic, kOperator };

struct GatewayMethod {
  std::string grpc_path;  // "/ledger.v1.Wallet/GetAccount"
  std::string service;    // "Wallet"
  const google::protobuf::MethodDescriptor* method = nullptr;
  bool server_streaming = false;
  bool operator_service = false;  // Ledger or Cluster: the caller must be an operator.
};

// The method `url_path` ("/v1/Service/Method") names if `listener` serves it; NOT_FOUND naming
// the path otherwise (a method of the operator services asked on the public listener too).
absl::StatusOr<GatewayMethod> FindMethod(std::string_view url_path, Listener listener);

// The request's protobuf encoding from its JSON (unknown fields refused); INVALID_ARGUMENT with
// protobuf's parser message (which names the field) otherwise.
absl::StatusOr<std::string> JsonToRequest(const GatewayMethod& method, std::string_view json);

// One reply (or stream message) as JSON: lowerCamelCase names, every field printed, 64-bit
// integers as strings. INTERNAL if the bytes do not parse.
absl::StatusOr<std::string> ReplyToJson(const GatewayMethod& method, std::string_view bytes);

}  // namespace ledger::gateway

#endif  // LEDGER_GATEWAY_JSON_RPC_H_
