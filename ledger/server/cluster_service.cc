// The Cluster gRPC service: see cluster_service.h.
#include "ledger/server/cluster_service.h"

#include "ledger/server/operator_roles.h"
#include "ledger/server/status_util.h"

namespace ledger {

absl::Status ClusterService::Authorize(const grpc::ServerContextBase& context,
                                       const char* method) const {
  absl::StatusOr<std::string> name = auth_->Authenticate(context);
  if (!name.ok()) return name.status();
  return CheckOperatorMethod(node_->state(), *name, "Cluster", method);
}

grpc::Status ClusterService::Status(grpc::ServerContext* context, const v1::ClusterStatusRequest*,
                                    v1::ClusterStatusReply* reply) {
  if (absl::Status allowed = Authorize(*context, "Status"); !allowed.ok())
    return ToGrpcStatus(allowed);
  const RaftStatus status = node_->status();
  reply->set_id(status.id);
  reply->set_term(status.term);
  reply->set_role(status.role);
  reply->set_leader_id(status.leader_id);
  reply->set_leader_address(status.leader_address);
  reply->set_commit_index(status.commit_index);
  reply->set_applied_index(status.applied_index);
  reply->set_last_index(status.last_index);
  reply->set_journal_index(status.journal_index);
  for (const RaftStatus::Member& member : status.members) {
    v1::ClusterMember* out = reply->add_members();
    out->set_id(member.id);
    out->set_raft_address(member.raft_address);
    out->set_grpc_address(member.grpc_address);
    out->set_operator_address(member.operator_address);
    out->set_role(member.role);
  }
  return grpc::Status::OK;
}

grpc::Status ClusterService::AddMember(grpc::ServerContext* context,
                                       const v1::AddMemberRequest* request, v1::ClusterReply*) {
  if (absl::Status allowed = Authorize(*context, "AddMember"); !allowed.ok())
    return ToGrpcStatus(allowed);
  return ToGrpcStatus(
      node_->AddPeer(RaftPeer{request->id(), request->raft_address(), request->grpc_address(),
                              request->operator_address()}));
}

grpc::Status ClusterService::PromoteMember(grpc::ServerContext* context,
                                           const v1::MemberRequest* request, v1::ClusterReply*) {
  if (absl::Status allowed = Authorize(*context, "PromoteMember"); !allowed.ok())
    return ToGrpcStatus(allowed);
  if (request->id() == 0)
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "id: must be positive");
  return ToGrpcStatus(node_->PromotePeer(request->id()));
}

grpc::Status ClusterService::RemoveMember(grpc::ServerContext* context,
                                          const v1::MemberRequest* request, v1::ClusterReply*) {
  if (absl::Status allowed = Authorize(*context, "RemoveMember"); !allowed.ok())
    return ToGrpcStatus(allowed);
  if (request->id() == 0)
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "id: must be positive");
  return ToGrpcStatus(node_->RemovePeer(request->id()));
}

grpc::Status ClusterService::TransferLeadership(grpc::ServerContext* context,
                                                const v1::MemberRequest* request,
                                                v1::ClusterReply*) {
  if (absl::Status allowed = Authorize(*context, "TransferLeadership"); !allowed.ok())
    return ToGrpcStatus(allowed);
  return ToGrpcStatus(node_->TransferLeadership(request->id()));
}

grpc::Status ClusterService::Clock(grpc::ServerContext* context, const v1::ClusterClockRequest*,
                                   v1::ClusterClockReply* reply) {
  if (absl::Status allowed = Authorize(*context, "Clock"); !allowed.ok())
    return ToGrpcStatus(allowed);
  reply->set_id(node_->status().id);
  reply->set_now_nanos(clock_->NowNanos());
  return grpc::Status::OK;
}

grpc::Status ClusterService::SnapshotChunk(grpc::ServerContext* context,
                                           const v1::SnapshotChunkRequest* request,
                                           v1::SnapshotChunkReply* reply) {
  // The method table gives it to no role: only the nodes' own names (node-<id>) pass.
  if (absl::Status allowed = Authorize(*context, "SnapshotChunk"); !allowed.ok())
    return ToGrpcStatus(allowed);
  absl::StatusOr<std::string> data = node_->ReadSnapshotChunk(
      request->origin(), request->checkpoint_id(), request->name(), request->offset());
  if (!data.ok()) return ToGrpcStatus(data.status());
  reply->set_data(*std::move(data));
  return grpc::Status::OK;
}

}  // namespace ledger
