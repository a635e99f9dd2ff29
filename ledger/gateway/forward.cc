#include "ledger/gateway/forward.h"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/impl/client_unary_call.h>
#include <grpcpp/impl/rpc_method.h>
#include <grpcpp/support/byte_buffer.h>

#include <chrono>

#include "ledger/core/limits.h"

namespace ledger::gateway {
namespace {

grpc::ByteBuffer ToBuffer(const std::string& bytes) {
  grpc::Slice slice(bytes.data(), bytes.size());
  return grpc::ByteBuffer(&slice, 1);
}

std::string FromBuffer(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string out;
  if (!buffer.Dump(&slices).ok()) return out;
  for (const grpc::Slice& slice : slices) {
    out.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  return out;
}

void AddMetadata(grpc::ClientContext* context, const Metadata& metadata) {
  for (const auto& [key, value] : metadata) context->AddMetadata(key, value);
}

// Waits for `tag` on `queue`, calling `on_idle` every heartbeat while nothing comes; false when the
// operation failed, the queue shut down or on_idle said stop (the call is then cancelled).
bool Await(grpc::CompletionQueue* queue, grpc::ClientContext* context, void* tag,
           const std::function<bool()>& on_idle) {
  for (;;) {
    void* got = nullptr;
    bool ok = false;
    const auto deadline =
        std::chrono::system_clock::now() + std::chrono::seconds(kHttpStreamHeartbeatSeconds);
    const grpc::CompletionQueue::NextStatus next = queue->AsyncNext(&got, &ok, deadline);
    if (next == grpc::CompletionQueue::SHUTDOWN) return false;
    if (next == grpc::CompletionQueue::GOT_EVENT) return got == tag && ok;
    if (on_idle && !on_idle()) {
      context->TryCancel();
      // The pending operation still completes (not ok) after the cancel: wait for it.
      queue->Next(&got, &ok);
      return false;
    }
  }
}

}  // namespace

grpc::Status ForwardUnary(grpc::Channel* channel, const std::string& grpc_path,
                          const Metadata& metadata, const std::string& request,
                          std::string* reply) {
  grpc::ClientContext context;
  AddMetadata(&context, metadata);
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(kHttpCallSecondsMax));
  const grpc::internal::RpcMethod method(grpc_path.c_str(), grpc::internal::RpcMethod::NORMAL_RPC);
  grpc::ByteBuffer response;
  const grpc::Status status = grpc::internal::BlockingUnaryCall<grpc::ByteBuffer, grpc::ByteBuffer>(
      channel, method, &context, ToBuffer(request), &response);
  if (status.ok()) *reply = FromBuffer(response);
  return status;
}

grpc::Status ForwardStream(grpc::Channel* channel, const std::string& grpc_path,
                           const Metadata& metadata, const std::string& request,
                           const std::function<bool(const std::string&)>& on_message,
                           const std::function<bool()>& on_idle) {
  grpc::ClientContext context;
  AddMetadata(&context, metadata);
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(kHttpStreamSecondsMax));
  grpc::GenericStub stub(channel->shared_from_this());
  grpc::CompletionQueue queue;
  std::unique_ptr<grpc::GenericClientAsyncReaderWriter> call =
      stub.PrepareCall(&context, grpc_path, &queue);
  int start = 0, write = 0, read = 0, finish = 0;
  bool open = false;
  call->StartCall(&start);
  if (Await(&queue, &context, &start, nullptr)) {
    call->WriteLast(ToBuffer(request), grpc::WriteOptions(), &write);
    open = Await(&queue, &context, &write, nullptr);
  }
  while (open) {
    grpc::ByteBuffer message;
    call->Read(&message, &read);
    if (!Await(&queue, &context, &read, on_idle)) break;
    if (!on_message(FromBuffer(message))) {
      context.TryCancel();
      break;
    }
  }
  grpc::Status status;
  call->Finish(&status, &finish);
  void* got = nullptr;
  bool ok = false;
  while (queue.Next(&got, &ok) && got != &finish) {
  }
  queue.Shutdown();
  while (queue.Next(&got, &ok)) {
  }
  return status;
}

}  // namespace ledger::gateway
