// The Ledger gRPC service, the operator API: each method first authenticates the operator
// (ledger/server/operator_auth.h: UNAUTHENTICATED without it) and checks its role for the method
// (ledger/server/operator_roles.h: PERMISSION_DENIED), before any other work, then converts
// the request, calls the node or a core query, and converts the result. No ledger rules live here.
#ifndef LEDGER_SERVER_SERVICE_H_
#define LEDGER_SERVER_SERVICE_H_

#include <google/protobuf/arena.h>
#include <grpcpp/support/byte_buffer.h>

#include <atomic>

#include "ledger/commit/committer.h"
#include "ledger/server/backup.h"
#include "ledger/server/metrics.h"
#include "ledger/server/operator_auth.h"
#include "proto/ledger.grpc.pb.h"

namespace ledger {

// The Ledger method a four-eyes proposal's commands come from ("CreateTransfers", "SetFees",
// "GrantSubsidies", "SetFourEyes"): whose role Propose and Approve need (service_proposals.cc).
std::string ProposedMethod(const std::vector<Command>& commands);

// CreateTransfers, the hot path, is a raw callback (asynchronous) method: no thread waits while a
// request is committed, and its request and reply live on one protobuf arena per call (no
// allocation per transfer message). Raw, so that the service parses the request itself: bytes that
// are not a CreateTransfersRequest are INVALID_ARGUMENT saying so (gRPC's own parsing would answer
// UNIMPLEMENTED with no message).
// SetOperatorRoles' request as commands (the method itself and a proposal of it); INVALID_ARGUMENT
// naming the item for a bad name or role.
absl::StatusOr<std::vector<Command>> OperatorRolesFromProto(const v1::SetOperatorRolesRequest& in);

class LedgerService final
    : public v1::Ledger::WithRawCallbackMethod_CreateTransfers<v1::Ledger::Service> {
 public:
  // node, metrics and auth must outlive the service.
  LedgerService(Committer* node, Metrics* metrics, const OperatorAuth* auth)
      : node_(node), metrics_(metrics), auth_(auth) {}
  // Ends open Subscribe streams (called before server shutdown).
  void Stop() { stopping_ = true; }
  // Serves Ledger.Backup from `source` (backup.h); without it Backup answers UNIMPLEMENTED.
  void EnableBackups(BackupSource source) {
    backups_ = std::make_unique<BackupStreamer>(std::move(source));
  }

  grpc::Status CreateAssets(grpc::ServerContext*, const v1::CreateAssetsRequest*,
                            v1::CreateReply*) override;
  grpc::Status CreateAccounts(grpc::ServerContext*, const v1::CreateAccountsRequest*,
                              v1::CreateReply*) override;
  grpc::Status CloseAccounts(grpc::ServerContext*, const v1::CloseAccountsRequest*,
                             v1::CreateReply*) override;
  grpc::Status RegisterKeys(grpc::ServerContext*, const v1::RegisterKeysRequest*,
                            v1::CreateReply*) override;
  grpc::Status SetFees(grpc::ServerContext*, const v1::SetFeesRequest*, v1::CreateReply*) override;
  grpc::Status SetMerchantProfiles(grpc::ServerContext*, const v1::SetMerchantProfilesRequest*,
                                   v1::CreateReply*) override;
  grpc::Status RegisterCards(grpc::ServerContext*, const v1::RegisterCardsRequest*,
                             v1::CreateReply*) override;
  grpc::Status SetHealthProgram(grpc::ServerContext*, const v1::HealthProgram*,
                                v1::CreateReply*) override;
  grpc::Status SetTaskRules(grpc::ServerContext*, const v1::TaskRules*, v1::CreateReply*) override;
  grpc::Status GetTask(grpc::ServerContext*, const v1::GetTaskRequest*, v1::GetTaskReply*) override;
  grpc::Status CreateCampaign(grpc::ServerContext*, const v1::Campaign*, v1::CreateReply*) override;
  grpc::Status PauseCampaign(grpc::ServerContext*, const v1::PauseCampaignRequest*,
                             v1::CreateReply*) override;
  grpc::Status CloseCampaign(grpc::ServerContext*, const v1::CloseCampaignRequest*,
                             v1::CreateReply*) override;
  grpc::Status GetCampaign(grpc::ServerContext*, const v1::GetCampaignRequest*,
                           v1::Campaign*) override;
  grpc::Status LinkAccounts(grpc::ServerContext*, const v1::LinkAccountsRequest*,
                            v1::CreateReply*) override;
  grpc::Status ListStaffOperations(grpc::ServerContext*, const v1::ListStaffOperationsRequest*,
                                   v1::ListStaffOperationsReply*) override;
  grpc::Status ListCashOuts(grpc::ServerContext*, const v1::ListCashOutsRequest*,
                            v1::ListCashOutsReply*) override;
  grpc::ServerUnaryReactor* CreateTransfers(grpc::CallbackServerContext*,
                                            const grpc::ByteBuffer* request,
                                            grpc::ByteBuffer* reply) override;
  grpc::Status LookupAssets(grpc::ServerContext*, const v1::LookupAssetsRequest*,
                            v1::LookupAssetsReply*) override;
  grpc::Status LookupAccounts(grpc::ServerContext*, const v1::LookupAccountsRequest*,
                              v1::LookupAccountsReply*) override;
  grpc::Status LookupTransfers(grpc::ServerContext*, const v1::LookupTransfersRequest*,
                               v1::LookupTransfersReply*) override;
  grpc::Status GetAccountHistory(grpc::ServerContext*, const v1::GetAccountHistoryRequest*,
                                 v1::GetAccountHistoryReply*) override;
  grpc::Status GetBalanceAt(grpc::ServerContext*, const v1::GetBalanceAtRequest*,
                            v1::GetBalanceAtReply*) override;
  grpc::Status GetDigest(grpc::ServerContext*, const v1::GetDigestRequest*,
                         v1::GetDigestReply*) override;
  grpc::Status GetJournal(grpc::ServerContext*, const v1::GetJournalRequest*,
                          v1::GetJournalReply*) override;
  grpc::Status Audit(grpc::ServerContext*, const v1::AuditRequest*, v1::AuditReply*) override;
  grpc::Status Subscribe(grpc::ServerContext*, const v1::SubscribeRequest*,
                         grpc::ServerWriter<v1::Event>*) override;
  grpc::Status Backup(grpc::ServerContext*, const v1::BackupRequest*,
                      grpc::ServerWriter<v1::BackupChunk>*) override;
  grpc::Status RevokeKeys(grpc::ServerContext*, const v1::RevokeKeysRequest*,
                          v1::CreateReply*) override;
  grpc::Status UnlockCards(grpc::ServerContext*, const v1::UnlockCardsRequest*,
                           v1::CreateReply*) override;
  grpc::Status ReissueCards(grpc::ServerContext*, const v1::ReissueCardsRequest*,
                            v1::CreateReply*) override;
  grpc::Status GrantSubsidies(grpc::ServerContext*, const v1::GrantSubsidiesRequest*,
                              v1::CreateReply*) override;
  grpc::Status SetOperatorRoles(grpc::ServerContext*, const v1::SetOperatorRolesRequest*,
                                v1::CreateReply*) override;
  grpc::Status ListOperators(grpc::ServerContext*, const v1::ListOperatorsRequest*,
                             v1::ListOperatorsReply*) override;
  // Four-eyes (ledger/core/proposals.h; service_proposals.cc).
  grpc::Status Propose(grpc::ServerContext*, const v1::ProposeRequest*, v1::CreateReply*) override;
  grpc::Status Approve(grpc::ServerContext*, const v1::ApproveRequest*, v1::CreateReply*) override;
  grpc::Status RejectProposal(grpc::ServerContext*, const v1::RejectProposalRequest*,
                              v1::CreateReply*) override;
  grpc::Status SetFourEyes(grpc::ServerContext*, const v1::SetFourEyesRequest*,
                           v1::CreateReply*) override;
  grpc::Status ListProposals(grpc::ServerContext*, const v1::ListProposalsRequest*,
                             v1::ListProposalsReply*) override;

 private:
  // Submits the commands as sent by the operator `who` (journaled with them).
  grpc::Status Create(const char* method, absl::StatusOr<std::vector<Command>> commands,
                      v1::CreateReply* reply, std::string who);
  grpc::Status Done(const char* method, const absl::Status& status);
  // The caller's operator name (OperatorAuth::Authenticate), then its role for Ledger.`method`
  // on the applied role table (ledger/server/operator_roles.h): UNAUTHENTICATED or
  // PERMISSION_DENIED before any other work. The name goes to *who when who is not null.
  absl::Status Authorize(const grpc::ServerContextBase& context, const char* method,
                         std::string* who = nullptr) const;
  // Authorize, then the length of every string and bytes field (ledger/server/field_bounds.h):
  // what every method checks before anything else.
  absl::Status Admit(const grpc::ServerContextBase& context, const char* method,
                     const google::protobuf::Message& request, std::string* who = nullptr) const;

  // One CreateTransfers call's request and reply on one arena, freed whole when the call ends.
  class TransfersCall {
   public:
    TransfersCall()
        : arena_(Options()),
          request_(google::protobuf::Arena::CreateMessage<v1::CreateTransfersRequest>(&arena_)),
          reply_(google::protobuf::Arena::CreateMessage<v1::CreateReply>(&arena_)) {}
    v1::CreateTransfersRequest* request() { return request_; }
    v1::CreateReply* reply() { return reply_; }

   private:
    static google::protobuf::ArenaOptions Options() {
      google::protobuf::ArenaOptions options;
      options.start_block_size = 4096;
      options.max_block_size = 1 << 20;  // An 8,000-transfer request is about 1.5 MB of messages.
      return options;
    }
    google::protobuf::Arena arena_;
    v1::CreateTransfersRequest* request_;
    v1::CreateReply* reply_;
  };

  Committer* node_;
  Metrics* metrics_;
  const OperatorAuth* auth_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> auditing_{false};  // One online audit at a time: it reads the whole state.
  std::unique_ptr<BackupStreamer> backups_;  // Null: Backup is UNIMPLEMENTED.
};

}  // namespace ledger

#endif  // LEDGER_SERVER_SERVICE_H_
