// Sampling the peers' clocks: see clock_sampler.h.
#include "ledger/replication/clock_sampler.h"

#include <grpcpp/grpcpp.h>

#include <vector>

#include "proto/ledger.grpc.pb.h"

namespace ledger {
namespace {

// A call that takes longer cannot count anyway unless the tolerance is over a second; a peer that
// is down holds one round up this long at most.
constexpr std::chrono::milliseconds kCallDeadline(500);

}  // namespace

struct ClockSampler::Peer {
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<v1::Cluster::Stub> stub;
};

ClockSampler::ClockSampler(RaftNode* node, ClusterClock* clock,
                           std::shared_ptr<grpc::ChannelCredentials> credentials,
                           std::string operator_token, std::chrono::milliseconds period)
    : node_(node),
      clock_(clock),
      credentials_(std::move(credentials)),
      operator_token_(std::move(operator_token)),
      period_(period) {
  thread_ = std::thread([this] { Run(); });
}

ClockSampler::~ClockSampler() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void ClockSampler::Run() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    SampleOnce();
    lock.lock();
    wake_.wait_for(lock, period_, [this] { return stopping_; });
  }
}

void ClockSampler::SampleOnce() {
  const RaftStatus status = node_->status();
  std::vector<uint64_t> voters;
  for (const RaftStatus::Member& member : status.members) {
    if (member.role == "voter") voters.push_back(member.id);
  }
  clock_->SetVoters(voters);
  for (const RaftStatus::Member& member : status.members) {
    const std::string& address =
        operator_token_.empty() ? member.operator_address : member.grpc_address;
    if (member.role != "voter" || member.id == clock_->self() || address.empty()) continue;
    std::unique_ptr<Peer>& peer = peers_[address];
    if (peer == nullptr) {
      peer = std::make_unique<Peer>();
      // Reconnect within a sampling period of a peer coming back (gRPC's default backoff grows to 2
      // min).
      grpc::ChannelArguments arguments;
      arguments.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 200);
      arguments.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 200);
      arguments.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
      peer->channel = grpc::CreateCustomChannel(address, credentials_, arguments);
      peer->stub = v1::Cluster::NewStub(peer->channel);
    }
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + kCallDeadline);
    if (!operator_token_.empty()) {
      context.AddMetadata("authorization", "Bearer " + operator_token_);
      // Plaintext development mode: the node's operator name (ledger/core/operator_name.h);
      // Cluster.Clock admits node-* callers. Under mutual TLS the node certificate's CN says it.
      context.AddMetadata("x-ledger-operator", "node-" + std::to_string(clock_->self()));
    }
    v1::ClusterClockReply reply;
    const int64_t sent = static_cast<int64_t>(clock_->monotonic()->NowNanos());
    const Timestamp local_send = clock_->local()->NowNanos();
    const grpc::Status answered = peer->stub->Clock(&context, v1::ClusterClockRequest(), &reply);
    const int64_t received = static_cast<int64_t>(clock_->monotonic()->NowNanos());
    // An answer from another id at that address (a reconfigured cluster) is not this peer's clock.
    if (!answered.ok() || reply.id() != member.id) continue;
    clock_->AddSample(member.id, local_send, reply.now_nanos(), received - sent, received);
  }
}

}  // namespace ledger
