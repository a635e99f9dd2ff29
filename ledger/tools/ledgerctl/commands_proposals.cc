// ledgerctl's four-eyes commands: propose, approve, reject, proposals, four-eyes enable|set. Who
// proposes or approves is the caller's operator identity (ledgerctl --operator NAME), never an
// option of the command.
#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "ledger/core/limits.h"
#include "ledger/tools/ledgerctl/ledgerctl.h"

namespace ledger::ctl {
namespace {

// `propose issue`: one transfer from an ISSUER account (a top-up above the threshold).
v1::CreateTransfersRequest IssueRequest(const Args& args) {
  v1::CreateTransfersRequest request;
  v1::Transfer* t = request.add_transfers();
  t->set_id(IdArg(Required(args, "id"), "--id"));
  t->set_debit_account_id(IdArg(Required(args, "from"), "--from"));
  t->set_credit_account_id(IdArg(Required(args, "to"), "--to"));
  t->set_amount(Int(Required(args, "amount"), "amount"));
  t->set_code(static_cast<uint32_t>(IntOption(args, "code", 1)));
  return request;
}

v1::GrantSubsidiesRequest GrantRequest(const Args& args) {
  v1::GrantSubsidiesRequest request;
  v1::SubsidyGrant* grant = request.add_grants();
  grant->set_budget_account_id(IdArg(Required(args, "budget"), "--budget"));
  if (args.Has("host")) grant->set_host_account_id(IdArg(args.options.at("host"), "--host"));
  if (args.Has("category")) grant->set_category(args.options.at("category"));
  grant->set_percent_max(static_cast<uint32_t>(Int(Required(args, "percent"), "percent")));
  grant->set_monthly_max(IntOption(args, "monthly-max", 0));
  return request;
}

int Submit(LedgerConnection& stub, const v1::ProposeRequest& request) {
  v1::CreateReply reply;
  grpc::Status status = stub.Call(
      [&](LedgerConnection& c) { return c.ledger().Propose(Context().get(), request, &reply); });
  return status.ok() ? PrintResults(reply) : RpcFailed(status);
}

}  // namespace

int ProposeCommand(LedgerConnection& stub, const Args& args) {
  if (args.positional.empty()) UsageError("propose: issue, fees, grant-subsidy or four-eyes");
  const std::string& what = args.positional[0];
  v1::ProposeRequest request;
  request.set_proposal_id(IdArg(Required(args, "proposal"), "--proposal"));
  request.set_lifetime_seconds(IntOption(args, "lifetime", 0));
  if (what == "issue") {
    request.set_method("CreateTransfers");
    request.set_request(IssueRequest(args).SerializeAsString());
  } else if (what == "fees") {
    request.set_method("SetFees");
    request.set_request(FeesRequest(args).SerializeAsString());
  } else if (what == "grant-subsidy") {
    request.set_method("GrantSubsidies");
    request.set_request(GrantRequest(args).SerializeAsString());
  } else if (what == "four-eyes") {
    v1::SetFourEyesRequest setting;
    setting.set_issuance_threshold(Int(Required(args, "threshold"), "threshold"));
    request.set_method("SetFourEyes");
    request.set_request(setting.SerializeAsString());
  } else {
    UsageError(absl::StrCat("propose: unknown kind '", what, "'"));
  }
  return Submit(stub, request);
}

int ApproveCommand(LedgerConnection& stub, const Args& args) {
  if (args.positional.size() != 1) UsageError("approve PROPOSAL_ID");
  v1::ApproveRequest request;
  request.set_proposal_id(IdArg(args.positional[0], "proposal id"));
  v1::CreateReply reply;
  grpc::Status status = stub.Call(
      [&](LedgerConnection& c) { return c.ledger().Approve(Context().get(), request, &reply); });
  return status.ok() ? PrintResults(reply) : RpcFailed(status);
}

int RejectCommand(LedgerConnection& stub, const Args& args) {
  if (args.positional.size() != 1) UsageError("reject PROPOSAL_ID");
  v1::RejectProposalRequest request;
  request.set_proposal_id(IdArg(args.positional[0], "proposal id"));
  v1::CreateReply reply;
  grpc::Status status = stub.Call([&](LedgerConnection& c) {
    return c.ledger().RejectProposal(Context().get(), request, &reply);
  });
  return status.ok() ? PrintResults(reply) : RpcFailed(status);
}

int ProposalsCommand(LedgerConnection& stub, const Args&) {
  v1::ListProposalsRequest request;
  v1::ListProposalsReply reply;
  grpc::Status status = stub.Call([&](LedgerConnection& c) {
    return c.ledger().ListProposals(Context().get(), request, &reply);
  });
  if (!status.ok()) return RpcFailed(status);
  for (const v1::Proposal& p : reply.proposals()) {
    printf("proposal %s  %s by %s  proposed %s  expires %s\n", ShortHex(p.proposal_id()).c_str(),
           p.method().c_str(), p.proposer().c_str(), JapanTime(p.proposed_at()).c_str(),
           JapanTime(p.expires_at()).c_str());
    for (absl::string_view line : absl::StrSplit(p.summary(), '\n'))
      printf("  %s\n", std::string(line).c_str());
  }
  if (reply.proposals_size() == 0) printf("no pending proposals\n");
  return 0;
}

// `four-eyes enable --threshold N`: turns the rule on (the first setting); `four-eyes set` is the
// same call, which answers four_eyes_required once the rule is on (propose four-eyes instead).
int FourEyesCommand(LedgerConnection& stub, const Args& args) {
  if (args.positional.empty() || (args.positional[0] != "enable" && args.positional[0] != "set"))
    UsageError("four-eyes: enable [--threshold N]");
  v1::SetFourEyesRequest request;
  request.set_issuance_threshold(IntOption(args, "threshold", kFourEyesIssuanceThresholdDefault));
  v1::CreateReply reply;
  grpc::Status status = stub.Call([&](LedgerConnection& c) {
    return c.ledger().SetFourEyes(Context().get(), request, &reply);
  });
  return status.ok() ? PrintResults(reply) : RpcFailed(status);
}

}  // namespace ledger::ctl
