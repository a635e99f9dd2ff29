// Client helpers: see client.h.
#include "ledger/client/client.h"

#include <grpcpp/support/client_interceptor.h>

#include <fstream>
#include <sstream>
#include <string_view>
#include <thread>

#include "absl/strings/numbers.h"
#include "ledger/core/limits.h"

namespace ledger {

namespace {

grpc::ChannelArguments Arguments() {
  grpc::ChannelArguments arguments;
  // The largest reply (a GetJournal page) and the largest request the server accepts (limits.h).
  arguments.SetMaxReceiveMessageSize(static_cast<int>(kReplyBytesMax));
  arguments.SetMaxSendMessageSize(static_cast<int>(kRequestBytesMax));
  return arguments;
}

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
  grpc::ChannelArguments arguments = Arguments();
  if (operator_token.empty()) {
    return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), arguments);
  }
  std::vector<std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(
      std::make_unique<OperatorTokenInterceptorFactory>(operator_token, operator_name));
  return grpc::experimental::CreateCustomChannelWithInterceptors(
      address, grpc::InsecureChannelCredentials(), arguments, std::move(interceptors));
}

Transport DefaultTransport() {
  Transport transport;
  const std::string dir = kPkiDirDefault;
  transport.ca_file = dir + "/ca.crt";
  transport.cert_file = dir + "/operators/" + kDefaultOperator + ".crt";
  transport.key_file = dir + "/operators/" + kDefaultOperator + ".key";
  return transport;
}

Transport PlaintextTransport(std::string operator_token, std::string operator_name) {
  Transport transport;
  transport.plaintext = true;
  transport.operator_token = std::move(operator_token);
  transport.operator_name = std::move(operator_name);
  return transport;
}

namespace {

absl::Status ReadPem(const std::string& what, const std::string& path, std::string* pem) {
  if (path.empty()) return absl::OkStatus();
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(what + " " + path + ": cannot be read (ops/pki makes it)");
  std::ostringstream text;
  text << in.rdbuf();
  *pem = text.str();
  return absl::OkStatus();
}

}  // namespace

absl::Status LoadTransport(Transport* transport) {
  if (transport->plaintext) return absl::OkStatus();
  if (absl::Status ok = ReadPem("--tls_ca", transport->ca_file, &transport->ca_pem); !ok.ok())
    return ok;
  if (absl::Status ok = ReadPem("--tls_cert", transport->cert_file, &transport->cert_pem); !ok.ok())
    return ok;
  return ReadPem("--tls_key", transport->key_file, &transport->key_pem);
}

absl::StatusOr<Transport> TransportFromOptions(const std::map<std::string, std::string>& options,
                                               bool operator_api,
                                               const std::string& operator_token) {
  if (options.count("plaintext")) return PlaintextTransport(operator_api ? operator_token : "");
  Transport transport = DefaultTransport();
  if (options.count("tls_ca")) transport.ca_file = options.at("tls_ca");
  if (options.count("tls_cert")) transport.cert_file = options.at("tls_cert");
  if (options.count("tls_key")) transport.key_file = options.at("tls_key");
  if (!operator_api) transport.cert_file = transport.key_file = "";
  if (absl::Status loaded = LoadTransport(&transport); !loaded.ok()) return loaded;
  return transport;
}

std::string OperatorAddressesFromOptions(const std::map<std::string, std::string>& options,
                                         const std::string& addresses) {
  if (options.count("plaintext")) return "";
  if (options.count("operator_addr")) return options.at("operator_addr");
  return DefaultOperatorAddresses(addresses);
}

std::string DefaultOperatorAddresses(const std::string& addresses) {
  std::string out;
  size_t start = 0;
  while (start <= addresses.size()) {
    size_t comma = addresses.find(',', start);
    if (comma == std::string::npos) comma = addresses.size();
    const std::string address = addresses.substr(start, comma - start);
    const size_t colon = address.rfind(':');
    int port = 0;
    if (colon != std::string::npos && absl::SimpleAtoi(address.substr(colon + 1), &port) &&
        port > 0 && port + 2 <= 65535) {
      out += (out.empty() ? "" : ",") + address.substr(0, colon + 1) + std::to_string(port + 2);
    }
    start = comma + 1;
  }
  return out;
}

std::shared_ptr<grpc::Channel> PublicChannel(const std::string& address,
                                             const Transport& transport) {
  if (transport.plaintext) {
    return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), Arguments());
  }
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = transport.ca_pem;
  return grpc::CreateCustomChannel(address, grpc::SslCredentials(options), Arguments());
}

std::shared_ptr<grpc::Channel> OperatorChannel(const std::string& address,
                                               const Transport& transport) {
  if (transport.plaintext) {
    return LedgerChannel(address, transport.operator_token, transport.operator_name);
  }
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = transport.ca_pem;
  options.pem_cert_chain = transport.cert_pem;
  options.pem_private_key = transport.key_pem;
  return grpc::CreateCustomChannel(address, grpc::SslCredentials(options), Arguments());
}

std::unique_ptr<v1::Ledger::Stub> ConnectLedger(const std::string& address,
                                                const std::string& operator_token) {
  return v1::Ledger::NewStub(LedgerChannel(address, operator_token));
}

std::string LeaderHint(const std::string& message, const std::string& key) {
  const size_t at = message.find(key);
  if (at == std::string::npos) return "";
  const size_t start = at + key.size();
  size_t end = start;
  while (end < message.size() && message[end] != ' ' && message[end] != ';' &&
         message[end] != ',' && message[end] != ')') {
    ++end;
  }
  return message.substr(start, end - start);
}

LedgerConnection::LedgerConnection(const std::string& addresses, std::string operator_token,
                                   std::string operator_name)
    : LedgerConnection(addresses, "",
                       PlaintextTransport(std::move(operator_token), std::move(operator_name))) {}

namespace {

std::vector<std::string> SplitAddresses(const std::string& addresses) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= addresses.size()) {
    size_t comma = addresses.find(',', start);
    if (comma == std::string::npos) comma = addresses.size();
    if (comma > start) out.push_back(addresses.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

}  // namespace

LedgerConnection::LedgerConnection(const std::string& addresses,
                                   const std::string& operator_addresses, Transport transport)
    : addresses_(SplitAddresses(addresses)),
      operator_addresses_(SplitAddresses(operator_addresses)),
      transport_(std::move(transport)) {
  if (addresses_.empty()) addresses_.push_back("127.0.0.1:7400");
  Connect(size_t{0});
  next_ = 1 % addresses_.size();
}

void LedgerConnection::Connect(size_t i) {
  Connect(addresses_[i], i < operator_addresses_.size() ? operator_addresses_[i] : "");
}

void LedgerConnection::Connect(const std::string& address, const std::string& operator_address) {
  address_ = address;
  std::string op = operator_address;
  for (size_t i = 0; op.empty() && i < addresses_.size() && i < operator_addresses_.size(); ++i) {
    if (addresses_[i] == address) op = operator_addresses_[i];
  }
  if (op.empty())
    op = transport_.plaintext || operator_addresses_.empty() ? address : operator_addresses_[0];
  // Plaintext: one channel, the token added to operator calls only (LedgerChannel).
  std::shared_ptr<grpc::Channel> operator_channel =
      OperatorChannel(transport_.plaintext ? address : op, transport_);
  std::shared_ptr<grpc::Channel> public_channel =
      transport_.plaintext ? operator_channel : PublicChannel(address, transport_);
  ledger_ = v1::Ledger::NewStub(operator_channel);
  cluster_ = v1::Cluster::NewStub(operator_channel);
  health_ = v1::Health::NewStub(public_channel);
  pos_ = v1::Pos::NewStub(public_channel);
  wallet_ = v1::Wallet::NewStub(public_channel);
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
      Connect(leader, LeaderHint(status.error_message(), "operator_leader="));
      continue;
    }
    if (std::chrono::steady_clock::now() + pause > give_up) break;
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(1000));
    if (addresses_.size() > 1) {
      Connect(next_);
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
