// The one place absl::Status becomes grpc::Status (codes map one to one; the message is kept).
#ifndef LEDGER_SERVER_STATUS_UTIL_H_
#define LEDGER_SERVER_STATUS_UTIL_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace ledger {

inline grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

}  // namespace ledger

#endif  // LEDGER_SERVER_STATUS_UTIL_H_
