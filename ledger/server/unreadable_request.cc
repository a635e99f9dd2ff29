#include "ledger/server/unreadable_request.h"

#include <google/protobuf/descriptor.h>
#include <grpcpp/support/status.h>

#include <string>

namespace ledger {
namespace {

// "/ledger.v1.Pos/CreatePayment" -> the request message's full name, or "" for a method the
// generated descriptor pool does not know.
std::string RequestTypeOf(const char* path) {
  std::string method = path == nullptr ? "" : path;
  if (method.empty() || method[0] != '/') return "";
  method.erase(0, 1);
  const size_t slash = method.find('/');
  if (slash == std::string::npos) return "";
  method[slash] = '.';
  const google::protobuf::MethodDescriptor* descriptor =
      google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(method);
  return descriptor == nullptr ? "" : descriptor->input_type()->full_name();
}

class UnreadableRequestInterceptor final : public grpc::experimental::Interceptor {
 public:
  explicit UnreadableRequestInterceptor(const char* method) : method_(method) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    using grpc::experimental::InterceptionHookPoints;
    // The server hands the interceptors no message when the bytes did not parse.
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_MESSAGE) &&
        methods->GetRecvMessage() == nullptr) {
      unreadable_ = true;
    }
    if (unreadable_ &&
        methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      const grpc::Status status = methods->GetSendStatus();
      if (status.error_code() == grpc::StatusCode::INTERNAL ||
          status.error_code() == grpc::StatusCode::UNIMPLEMENTED) {
        const std::string type = RequestTypeOf(method_);
        methods->ModifySendStatus(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                               "request: bytes that are not a " +
                                                   (type.empty() ? std::string("request") : type) +
                                                   " message"));
      }
    }
    methods->Proceed();
  }

 private:
  const char* method_;
  bool unreadable_ = false;
};

class Factory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new UnreadableRequestInterceptor(info->method());
  }
};

}  // namespace

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
UnreadableRequestInterceptorFactory() {
  return std::make_unique<Factory>();
}

}  // namespace ledger
