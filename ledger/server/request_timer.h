// Times every unary gRPC call on every service, from the moment the server starts it to the moment
// it sends the status, into ledger_request_duration_seconds{service,method} (metrics.h). Streams
// (Ledger.Subscribe, Wallet.WatchAlerts) are not timed: their length is the caller's choice.
//
// Example: builder.experimental().SetInterceptorCreators({..., RequestTimerFactory(&metrics)}).
#ifndef LEDGER_SERVER_REQUEST_TIMER_H_
#define LEDGER_SERVER_REQUEST_TIMER_H_

#include <grpcpp/support/server_interceptor.h>

#include <memory>

#include "ledger/server/metrics.h"

namespace ledger {

// `metrics` must outlive the server.
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> RequestTimerFactory(
    Metrics* metrics);

}  // namespace ledger

#endif  // LEDGER_SERVER_REQUEST_TIMER_H_
