// Fetching a snapshot's files from a peer: see snapshot_fetcher.h.
#include "ledger/replication/snapshot_fetcher.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "proto/ledger.grpc.pb.h"

namespace ledger {
namespace {

// One chunk of 1 MiB: a peer that does not send it in this long is taken as gone.
constexpr std::chrono::seconds kChunkDeadline(30);

}  // namespace

ChunkSource SnapshotFetcher::Source(const std::string& address, uint64_t origin,
                                    uint64_t checkpoint_id) const {
  grpc::ChannelArguments arguments;
  arguments.SetMaxReceiveMessageSize(static_cast<int>(kCheckpointChunkBytes) + 4096);
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateCustomChannel(address, credentials_, arguments);
  std::shared_ptr<v1::Cluster::Stub> stub = v1::Cluster::NewStub(channel);
  return [=, token = operator_token_, self = self_](
             const std::string& name, uint64_t offset) -> absl::StatusOr<std::string> {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + kChunkDeadline);
    if (!token.empty()) {
      context.AddMetadata("authorization", "Bearer " + token);
      context.AddMetadata("x-ledger-operator", "node-" + std::to_string(self));
    }
    v1::SnapshotChunkRequest request;
    request.set_origin(origin);
    request.set_checkpoint_id(checkpoint_id);
    request.set_name(name);
    request.set_offset(offset);
    v1::SnapshotChunkReply reply;
    const grpc::Status status = stub->SnapshotChunk(&context, request, &reply);
    if (!status.ok()) {
      return absl::UnavailableError(absl::StrCat("fetching snapshot file ", name, " from ", address,
                                                 ": ", status.error_message()));
    }
    return std::move(*reply.mutable_data());
  };
}

}  // namespace ledger
