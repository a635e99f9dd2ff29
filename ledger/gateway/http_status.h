// gRPC status → HTTP status, the way grpc-gateway maps it, and the gateway's error body
// {"code": <gRPC code number>, "status": "<CODE_NAME>", "message": "<gRPC message>"}.
#ifndef LEDGER_GATEWAY_HTTP_STATUS_H_
#define LEDGER_GATEWAY_HTTP_STATUS_H_

#include <string>
#include <string_view>

namespace ledger::gateway {

// INVALID_ARGUMENT, FAILED_PRECONDITION, OUT_OF_RANGE 400; UNAUTHENTICATED 401; PERMISSION_DENIED
// 403; NOT_FOUND 404; ALREADY_EXISTS, ABORTED 409; RESOURCE_EXHAUSTED 429; CANCELLED 499;
// UNIMPLEMENTED 501; UNAVAILABLE 503; DEADLINE_EXCEEDED 504; OK 200; anything else 500.
int HttpStatusOf(int grpc_code);

// "INVALID_ARGUMENT" for 3, ...; "UNKNOWN" for a number out of range.
std::string GrpcCodeName(int grpc_code);

// The error body for `grpc_code` and `message` (JSON-escaped).
std::string ErrorJson(int grpc_code, std::string_view message);

// `text` as a JSON string literal, quotes included.
std::string JsonQuote(std::string_view text);

}  // namespace ledger::gateway

#endif  // LEDGER_GATEWAY_HTTP_STATUS_H_
