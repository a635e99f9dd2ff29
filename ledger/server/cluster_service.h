// The Cluster gRPC service: Raft status and membership, a thin adapter over RaftNode, and this
// node's clock for its peers' samples (cluster_clock.h). Operator only: every method first
// authenticates the caller (ledger/server/operator_auth.h) and checks its role
// (ledger/server/operator_roles.h: Clock is the nodes' own, node-*, or a cluster admin's).
#ifndef LEDGER_SERVER_CLUSTER_SERVICE_H_
#define LEDGER_SERVER_CLUSTER_SERVICE_H_

#include "ledger/replication/raft_node.h"
#include "ledger/server/operator_auth.h"
#include "proto/ledger.grpc.pb.h"

namespace ledger {

class ClusterService final : public v1::Cluster::Service {
 public:
  // The node, auth and clock (the one the node stamps with) must outlive the service.
  ClusterService(RaftNode* node, const OperatorAuth* auth, ledger::Clock* clock)
      : node_(node), auth_(auth), clock_(clock) {}

  grpc::Status Status(grpc::ServerContext*, const v1::ClusterStatusRequest*,
                      v1::ClusterStatusReply*) override;
  grpc::Status AddMember(grpc::ServerContext*, const v1::AddMemberRequest*,
                         v1::ClusterReply*) override;
  grpc::Status PromoteMember(grpc::ServerContext*, const v1::MemberRequest*,
                             v1::ClusterReply*) override;
  grpc::Status RemoveMember(grpc::ServerContext*, const v1::MemberRequest*,
                            v1::ClusterReply*) override;
  grpc::Status TransferLeadership(grpc::ServerContext*, const v1::MemberRequest*,
                                  v1::ClusterReply*) override;
  grpc::Status Clock(grpc::ServerContext*, const v1::ClusterClockRequest*,
                     v1::ClusterClockReply*) override;
  // A chunk of a snapshot file this node keeps; node-* callers only (raft_node.h, Snapshots).
  grpc::Status SnapshotChunk(grpc::ServerContext*, const v1::SnapshotChunkRequest*,
                             v1::SnapshotChunkReply*) override;

 private:
  // The caller's operator name, then its role for Cluster.`method` (operator_roles.h).
  absl::Status Authorize(const grpc::ServerContextBase& context, const char* method) const;

  RaftNode* node_;
  const OperatorAuth* auth_;
  ledger::Clock* clock_;
};

}  // namespace ledger

#endif  // LEDGER_SERVER_CLUSTER_SERVICE_H_
