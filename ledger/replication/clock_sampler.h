// Samples the clocks of a Raft node's voting peers about once a second (the Cluster service's Clock
// call on each peer's operator listener, over mutual TLS with this node's own certificate, CN
// node-<id>; or, in the plaintext development mode, on its gRPC address with the operator token the
// nodes share) and feeds them to the node's ClusterClock (cluster_clock.h). The voting members and
// their addresses come from the node's status (--peers and membership changes); a voter whose
// address this node was not given cannot be sampled and does not count.
#ifndef LEDGER_REPLICATION_CLOCK_SAMPLER_H_
#define LEDGER_REPLICATION_CLOCK_SAMPLER_H_

#include <grpcpp/security/credentials.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "ledger/replication/cluster_clock.h"
#include "ledger/replication/raft_node.h"

namespace ledger {

class ClockSampler {
 public:
  // The node and the clock must outlive the sampler. Starts sampling at once.
  // `credentials`: this node's client credentials (mutual TLS; `operator_token` then ""), or
  // insecure ones with the development `operator_token`.
  ClockSampler(RaftNode* node, ClusterClock* clock,
               std::shared_ptr<grpc::ChannelCredentials> credentials, std::string operator_token,
               std::chrono::milliseconds period = std::chrono::seconds(1));
  ~ClockSampler();  // Stops and joins the sampling thread.

  // One round: refresh the voters, sample every peer voter once.
  void SampleOnce();

 private:
  void Run();

  RaftNode* node_;
  ClusterClock* clock_;
  const std::shared_ptr<grpc::ChannelCredentials> credentials_;
  const std::string operator_token_;
  const std::chrono::milliseconds period_;
  struct Peer;
  std::map<std::string, std::unique_ptr<Peer>> peers_;  // By address; sampling thread only.
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  std::thread thread_;
};

}  // namespace ledger

#endif  // LEDGER_REPLICATION_CLOCK_SAMPLER_H_
