// Client helpers: see client.h.
#include "ledger/client/client.h"

#include <grpcpp/support/client_interceptor.h>

#include <string_view>
#include <thread>

#include "ledger/core/limits.h"

namespace ledger {

namespace {

// The services whose every call needs the operator token (full method names start with these).
constexpr std::string_view kOperatorServices[] = {"/ledger.v1.Ledger/", "/ledger.v1.Cluster/"};

bool IsOperatorMethod(std::string_view method) {
  for (std::string_view service : kOperatorServices) {
    if (method.substr(0, service.size()) == service) return true;
  }
  return false;
}

// Adds "authorization: Bearer TOKEN" (and "x-ledger-operator: NAME" when a name was given) to a
// call's initial metadata.
class OperatorTokenInterceptor final : public grpc::experimental::Interceptor {
 public:
  OperatorTokenInterceptor(const std::string& authorization, const std::string& operator_name)
      : authorization_(authorization), operator_name_(operator_name) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_INITIAL_METADATA)) {
      methods->GetSendInitialMetadata()->emplace("authorization", authorization_);
      if (!operator_name_.empty()) {
        methods->GetSendInitialMetadata()->emplace(kOperatorNameHeader, operator_name_);
      }
    }
    methods->Proceed();
  }

 private:
  const std::string& authorization_;  // Owned by the factory, which outlives every call.
  const std::string& operator_name_;
};

// One interceptor per operator call; none for the public services, which never see the token.
class OperatorTokenInterceptorFactory final
    : public grpc::experimental::ClientInterceptorFactoryInterface {
 public:
  OperatorTokenInterceptorFactory(const std::string& token, const std::string& operator_name)
      : authorization_("Bearer " + token), operator_name_(operator_name) {}

  grpc::experimental::Interceptor* CreateClientInterceptor(
      grpc::experimental::ClientRpcInfo* info) override {
    if (info->method() == nullptr || !IsOperatorMethod(info->method())) return nullptr;
    return new OperatorTokenInterceptor(authorization_, operator_name_);
  }

 private:
  std::string authorization_;
  std::string operator_name_;
};

}  // namespace

std::shared_ptr<grpc::Channel> LedgerChannel(const std::string& address,
                                             const std::string& operator_token,
                                             const std::string& operator_name) {
  grpc::ChannelArguments arguments;
  // The largest reply (a GetJournal page) and the largest request the server accepts (limits.h).
  arguments.SetMaxReceiveMessageSize(static_cast<int>(kReplyBytesMax));
  arguments.SetMaxSendMessageSize(static_cast<int>(kRequestBytesMax));
  if (operator_token.empty()) {
    return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), arguments);
  }
  std::vector<std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(
      std::make_unique<OperatorTokenInterceptorFactory>(operator_token, operator_name));
  return grpc::experimental::CreateCustomChannelWithInterceptors(
      address, grpc::InsecureChannelCredentials(), arguments, std::move(interceptors));
}

std::unique_ptr<v1::Ledger::Stub> ConnectLedger(const std::string& address,
                                                const std::string& operator_token) {
  return v1::Ledger::NewStub(LedgerChannel(address, operator_token));
}

std::string LeaderHint(const std::string& message) {
  const size_t at = message.find("leader=");
  if (at == std::string::npos) return "";
  const size_t start = at + 7;
  size_t end = start;
  while (end < message.size() && message[end] != ' ' && message[end] != ';' &&
         message[end] != ',' && message[end] != ')') {
    ++end;
  }
  return message.substr(start, end - start);
}

LedgerConnection::LedgerConnection(const std::string& addresses, std::string operator_token,
                                   std::string operator_name)
    : operator_token_(std::move(operator_token)), operator_name_(std::move(operator_name)) {
  size_t start = 0;
  while (start <= addresses.size()) {
    size_t comma = addresses.find(',', start);
    if (comma == std::string::npos) comma = addresses.size();
    if (comma > start) addresses_.push_back(addresses.substr(start, comma - start));
    start = comma + 1;
  }
  if (addresses_.empty()) addresses_.push_back("127.0.0.1:7400");
  Connect(addresses_[0]);
  next_ = 1 % addresses_.size();
}

void LedgerConnection::Connect(const std::string& address) {
  address_ = address;
  std::shared_ptr<grpc::Channel> channel = LedgerChannel(address, operator_token_, operator_name_);
  ledger_ = v1::Ledger::NewStub(channel);
  cluster_ = v1::Cluster::NewStub(channel);
  health_ = v1::Health::NewStub(channel);
  pos_ = v1::Pos::NewStub(channel);
  wallet_ = v1::Wallet::NewStub(channel);
}

grpc::Status LedgerConnection::Call(const std::function<grpc::Status(LedgerConnection&)>& call,
                                    std::chrono::milliseconds total) {
  const auto give_up = std::chrono::steady_clock::now() + total;
  std::chrono::milliseconds pause(50);
  grpc::Status status;
  for (int hop = 0; hop < kHopsMax; ++hop) {
    status = call(*this);
    if (status.error_code() != grpc::StatusCode::UNAVAILABLE) return status;
    ++retries_;
    const std::string leader = LeaderHint(status.error_message());
    if (!leader.empty() && leader != address_) {
      Connect(leader);
      continue;
    }
    if (std::chrono::steady_clock::now() + pause > give_up) break;
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(1000));
    if (addresses_.size() > 1) {
      Connect(addresses_[next_]);
      next_ = (next_ + 1) % addresses_.size();
    }
  }
  return status;
}

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

std::unique_ptr<grpc::ClientContext> ContextWithDeadline(std::chrono::milliseconds timeout) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + timeout);
  return context;
}

absl::Status WaitForLedger(v1::Ledger::Stub* stub, std::chrono::milliseconds timeout) {
  const auto give_up = std::chrono::steady_clock::now() + timeout;
  grpc::Status last;
  while (std::chrono::steady_clock::now() < give_up) {
    auto context = ContextWithDeadline(std::chrono::milliseconds(500));
    v1::GetDigestReply reply;
    last = stub->GetDigest(context.get(), v1::GetDigestRequest(), &reply);
    if (last.ok()) return absl::OkStatus();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return absl::UnavailableError("ledger did not answer: " + last.error_message());
}

}  // namespace ledger
