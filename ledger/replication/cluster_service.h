// The Cluster gRPC service: Raft status and membership, a thin adapter over RaftNode.
#ifndef LEDGER_REPLICATION_CLUSTER_SERVICE_H_
#define LEDGER_REPLICATION_CLUSTER_SERVICE_H_

#include "ledger/replication/raft_node.h"
#include "proto/ledger.grpc.pb.h"

namespace ledger {

class ClusterService final : public v1::Cluster::Service {
 public:
  explicit ClusterService(RaftNode* node) : node_(node) {}  // The node must outlive the service.

  grpc::Status Status(grpc::ServerContext*, const v1::ClusterStatusRequest*, v1::ClusterStatusReply*) override;
  grpc::Status AddMember(grpc::ServerContext*, const v1::AddMemberRequest*, v1::ClusterReply*) override;
  grpc::Status PromoteMember(grpc::ServerContext*, const v1::MemberRequest*, v1::ClusterReply*) override;
  grpc::Status RemoveMember(grpc::ServerContext*, const v1::MemberRequest*, v1::ClusterReply*) override;
  grpc::Status TransferLeadership(grpc::ServerContext*, const v1::MemberRequest*, v1::ClusterReply*) override;

 private:
  RaftNode* node_;
};

}  // namespace ledger

#endif  // LEDGER_REPLICATION_CLUSTER_SERVICE_H_
