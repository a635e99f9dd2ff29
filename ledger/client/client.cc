// Client helpers: see client.h.
#include "ledger/client/client.h"

#include <thread>

namespace ledger {

std::unique_ptr<v1::Ledger::Stub> ConnectLedger(const std::string& address) {
  grpc::ChannelArguments arguments;
  arguments.SetMaxReceiveMessageSize(64 << 20);
  arguments.SetMaxSendMessageSize(64 << 20);
  return v1::Ledger::NewStub(
      grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), arguments));
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
