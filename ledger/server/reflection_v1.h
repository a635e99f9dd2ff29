// gRPC server reflection v1 (grpc.reflection.v1.ServerReflection, proto/reflection_v1.proto) beside
// the v1alpha service Debian's gRPC provides: current grpcurl-style tools ask v1 first. Same
// protocol and the same answers as v1alpha: descriptors from the generated pool, the service list
// from the server.
//
// Usage: builder.SetOption(ledger::ReflectionV1Option()) before BuildAndStart.
#ifndef LEDGER_SERVER_REFLECTION_V1_H_
#define LEDGER_SERVER_REFLECTION_V1_H_

#include <grpcpp/impl/server_builder_option.h>

#include <memory>

namespace ledger {

std::unique_ptr<grpc::ServerBuilderOption> ReflectionV1Option();

}  // namespace ledger

#endif  // LEDGER_SERVER_REFLECTION_V1_H_
