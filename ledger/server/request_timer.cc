// Per-method latency: see request_timer.h.
#include "ledger/server/request_timer.h"

#include <chrono>
#include <string>

namespace ledger {
namespace {

class RequestTimer final : public grpc::experimental::Interceptor {
 public:
  RequestTimer(Metrics* metrics, std::string method)
      : metrics_(metrics), method_(std::move(method)), start_(std::chrono::steady_clock::now()) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_STATUS)) {
      const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start_;
      metrics_->ObserveRequest(method_, elapsed.count());
    }
    methods->Proceed();
  }

 private:
  Metrics* metrics_;
  std::string method_;
  std::chrono::steady_clock::time_point start_;
};

class RequestTimerFactoryImpl final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit RequestTimerFactoryImpl(Metrics* metrics) : metrics_(metrics) {}

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    if (info->method() == nullptr ||
        info->type() != grpc::experimental::ServerRpcInfo::Type::UNARY) {
      return nullptr;
    }
    return new RequestTimer(metrics_, info->method());
  }

 private:
  Metrics* metrics_;
};

}  // namespace

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> RequestTimerFactory(
    Metrics* metrics) {
  return std::make_unique<RequestTimerFactoryImpl>(metrics);
}

}  // namespace ledger
