// Per-service health status for the standard gRPC health service (grpc.health.v1.Health, Check and
// Watch).
//
// ledgerd reports every service it serves ("" for the server as a whole, ledger.v1.Ledger,
// ledger.v1.Pos, ledger.v1.Wallet, ledger.v1.Health, and ledger.v1.Cluster when replicated) SERVING
// while the node can commit and NOT_SERVING while it cannot, all alike (every service writes
// through the same committer). The node cannot commit when (checked once a second, ledgerd.cc):
//  - a write to storage failed (a full disk): the single node refuses every later write until
//  restarted
//    (node.h); a Raft replica stops applying and leaves the cluster (raft_node.h), refusing every
//    call;
//  - an invariant broke (DATA_LOSS): the node refuses everything until an operator acts;
//  - Raft: no leader is known — an election is running, or this node cannot reach a majority (a
//  leader
//    cut off from a quorum steps down within an election timeout). A follower that knows the leader
//    is SERVING: it answers writes with the leader's address (UNAVAILABLE "leader=HOST:PORT") and
//    serves reads after a barrier on the leader, even while that leader's clock is refused (only
//    the leader says so);
//  - the node's wall clock jumped past --clock_step_max_seconds (clock_guard.h), or, on a Raft
//  leader, the
//    voters' clocks do not agree within --cluster_clock_tolerance_ms (replication/cluster_clock.h).
#ifndef LEDGER_SERVER_SERVING_H_
#define LEDGER_SERVER_SERVING_H_

#include <grpcpp/health_check_service_interface.h>

#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace ledger {

// The names ledgerd reports: "" and each of its services.
std::vector<std::string> HealthServiceNames(bool replicated);

// Sets every name's status and logs each change once, with the reason.
class HealthPublisher {
 public:
  HealthPublisher(grpc::HealthCheckServiceInterface* service, std::vector<std::string> names)
      : service_(service), names_(std::move(names)) {}

  // SERVING when `problem` is OK, NOT_SERVING otherwise. Thread-safe.
  void Publish(const absl::Status& problem);
  bool serving() const;

 private:
  grpc::HealthCheckServiceInterface* service_;
  const std::vector<std::string> names_;
  mutable std::mutex mutex_;
  bool published_ = false;  // Guarded by mutex_.
  bool serving_ = false;    // Guarded by mutex_.
};

}  // namespace ledger

#endif  // LEDGER_SERVER_SERVING_H_
