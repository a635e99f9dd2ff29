// Client helpers: see client.h.
#include "ledger/client/client.h"

#include <thread>

namespace ledger {

namespace {

std::shared_ptr<grpc::Channel> Channel(const std::string& address) {
  grpc::ChannelArguments arguments;
  arguments.SetMaxReceiveMessageSize(64 << 20);
  arguments.SetMaxSendMessageSize(64 << 20);
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), arguments);
}

}  // namespace

std::unique_ptr<v1::Ledger::Stub> ConnectLedger(const std::string& address) {
  return v1::Ledger::NewStub(Channel(address));
}

std::string LeaderHint(const std::string& message) {
  const size_t at = message.find("leader=");
  if (at == std::string::npos) return "";
  const size_t start = at + 7;
  size_t end = start;
  while (end < message.size() && message[end] != ' ' && message[end] != ';' && message[end] != ',' &&
         message[end] != ')') {
    ++end;
  }
  return message.substr(start, end - start);
}

LedgerConnection::LedgerConnection(const std::string& addresses) {
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
  std::shared_ptr<grpc::Channel> channel = Channel(address);
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
