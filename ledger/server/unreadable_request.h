// Requests whose bytes are not the method's message. gRPC's C++ server answers them INTERNAL with
// an empty message before any service code runs; a client then cannot tell its own mistake from a
// server fault. This server interceptor answers them INVALID_ARGUMENT naming the problem instead:
// "request: bytes that are not a ledger.v1.WalletRequest message". (Ledger.CreateTransfers parses
// its own bytes, service.h, and says the same with the byte count.)
#ifndef LEDGER_SERVER_UNREADABLE_REQUEST_H_
#define LEDGER_SERVER_UNREADABLE_REQUEST_H_

#include <grpcpp/support/server_interceptor.h>

#include <memory>

namespace ledger {

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
UnreadableRequestInterceptorFactory();

}  // namespace ledger

#endif  // LEDGER_SERVER_UNREADABLE_REQUEST_H_
