#include "ledger/gateway/http_status.h"

#include <cstdio>

#include "absl/status/status.h"

namespace ledger::gateway {

int HttpStatusOf(int grpc_code) {
  switch (grpc_code) {
    case 0:
      return 200;
    case 1:
      return 499;  // CANCELLED
    case 3:
      return 400;  // INVALID_ARGUMENT
    case 4:
      return 504;  // DEADLINE_EXCEEDED
    case 5:
      return 404;  // NOT_FOUND
    case 6:
      return 409;  // ALREADY_EXISTS
    case 7:
      return 403;  // PERMISSION_DENIED
    case 8:
      return 429;  // RESOURCE_EXHAUSTED
    case 9:
      return 400;  // FAILED_PRECONDITION
    case 10:
      return 409;  // ABORTED
    case 11:
      return 400;  // OUT_OF_RANGE
    case 12:
      return 501;  // UNIMPLEMENTED
    case 14:
      return 503;  // UNAVAILABLE
    case 16:
      return 401;  // UNAUTHENTICATED
    default:
      return 500;  // UNKNOWN, INTERNAL, DATA_LOSS, anything else
  }
}

std::string GrpcCodeName(int grpc_code) {
  // gRPC's codes are Abseil's, number for number (OK 0 .. UNAUTHENTICATED 16).
  if (grpc_code < 0 || grpc_code > static_cast<int>(absl::StatusCode::kUnauthenticated)) {
    return "UNKNOWN";
  }
  return absl::StatusCodeToString(static_cast<absl::StatusCode>(grpc_code));
}

std::string JsonQuote(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char escaped[8];
          snprintf(escaped, sizeof(escaped), "\\u%04x", static_cast<unsigned char>(c));
          out += escaped;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string ErrorJson(int grpc_code, std::string_view message) {
  return "{\"code\":" + std::to_string(grpc_code) +
         ",\"status\":" + JsonQuote(GrpcCodeName(grpc_code)) +
         ",\"message\":" + JsonQuote(message) + "}";
}

}  // namespace ledger::gateway
