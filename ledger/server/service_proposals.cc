// The Ledger service's four-eyes methods (service.h): Propose, Approve, RejectProposal,
// SetFourEyes, ListProposals. The proposer, approver and rejecter are the caller's authenticated
// operator name (OperatorAuth::Authenticate), never a request field.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "ledger/core/limits.h"
#include "ledger/core/proposals.h"
#include "ledger/core/state_machine.h"
#include "ledger/server/convert.h"
#include "ledger/server/field_bounds.h"
#include "ledger/server/operator_roles.h"
#include "ledger/server/service.h"

namespace ledger {
namespace {

constexpr char kProposableMethods[] =
    "CreateTransfers, SetFees, GrantSubsidies, SetOperatorRoles or SetFourEyes";

template <class Request>
absl::StatusOr<Request> ParseInner(const std::string& method, const std::string& bytes) {
  Request request;
  if (!request.ParseFromString(bytes)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "request: ", bytes.size(), " bytes that are not a ", method, " request message"));
  }
  if (absl::Status bounded = CheckFieldBounds(request); !bounded.ok()) return bounded;
  return request;
}

// The commands a proposal of `method` with that request message would submit, converted as the
// method itself converts them.
absl::StatusOr<std::vector<Command>> ProposedCommands(const std::string& method,
                                                      const std::string& bytes) {
  if (method == "CreateTransfers") {
    absl::StatusOr<v1::CreateTransfersRequest> r =
        ParseInner<v1::CreateTransfersRequest>(method, bytes);
    if (!r.ok()) return r.status();
    return TransfersFromProto(*r);
  }
  if (method == "SetFees") {
    absl::StatusOr<v1::SetFeesRequest> r = ParseInner<v1::SetFeesRequest>(method, bytes);
    if (!r.ok()) return r.status();
    return FeesFromProto(*r);
  }
  if (method == "GrantSubsidies") {
    absl::StatusOr<v1::GrantSubsidiesRequest> r =
        ParseInner<v1::GrantSubsidiesRequest>(method, bytes);
    if (!r.ok()) return r.status();
    return SubsidyGrantsFromProto(*r);
  }
  if (method == "SetOperatorRoles") {
    absl::StatusOr<v1::SetOperatorRolesRequest> r =
        ParseInner<v1::SetOperatorRolesRequest>(method, bytes);
    if (!r.ok()) return r.status();
    return OperatorRolesFromProto(*r);
  }
  if (method == "SetFourEyes") {
    absl::StatusOr<v1::SetFourEyesRequest> r = ParseInner<v1::SetFourEyesRequest>(method, bytes);
    if (!r.ok()) return r.status();
    return std::vector<Command>{ledger::SetFourEyes{r->issuance_threshold()}};
  }
  return absl::InvalidArgumentError(
      absl::StrCat("method: one of ", kProposableMethods, ", not \"", method, "\""));
}

std::string Amount(int64_t amount) { return absl::StrCat(amount); }

// One readable line per proposed command (ListProposals, ledgerctl proposals).
std::string Summary(const std::vector<Command>& commands) {
  std::string out;
  for (const Command& command : commands) {
    if (!out.empty()) out += "\n";
    if (const auto* t = std::get_if<Transfer>(&command)) {
      absl::StrAppend(&out, "transfer ", t->id.ToHex(), ": ", Amount(t->amount), " from ",
                      t->debit_account_id.ToHex(), " to ", t->credit_account_id.ToHex());
    } else if (const auto* f = std::get_if<PosFees>(&command)) {
      absl::StrAppend(&out, "fees of asset ", f->asset, ": cash-out ", f->cashout_bps,
                      " bp (members ", f->member_cashout_bps, " bp), supplier ", f->supplier_bps,
                      " bp, to ", f->fee_account.ToHex());
    } else if (const auto* g = std::get_if<GrantSubsidy>(&command)) {
      absl::StrAppend(&out, "subsidy grant of budget ", g->budget.ToHex(), " to ",
                      g->category.empty() ? g->host.ToHex() : "category " + g->category, ": ",
                      g->percent_max, " %, ", Amount(g->monthly_max), " a month");
    } else if (const auto* o = std::get_if<ledger::SetOperatorRoles>(&command)) {
      absl::StrAppend(&out, "operator ", o->name, ": roles ",
                      o->roles == 0 ? std::string("none (removed)") : RoleNames(o->roles));
    } else if (const auto* s = std::get_if<ledger::SetFourEyes>(&command)) {
      absl::StrAppend(&out, "four-eyes issuance threshold ", Amount(s->issuance_threshold));
    } else {
      absl::StrAppend(&out, std::string(CommandName(command)));
    }
  }
  return out;
}

}  // namespace

// The method a proposal's commands come from (they are all of one kind: one method's request).
// Propose and Approve need the role of this method, as calling it directly does
// (ledger/server/operator_roles.h).
std::string ProposedMethod(const std::vector<Command>& commands) {
  if (commands.empty()) return "";
  if (std::holds_alternative<Transfer>(commands[0])) return "CreateTransfers";
  if (std::holds_alternative<PosFees>(commands[0])) return "SetFees";
  if (std::holds_alternative<GrantSubsidy>(commands[0])) return "GrantSubsidies";
  if (std::holds_alternative<ledger::SetFourEyes>(commands[0])) return "SetFourEyes";
  if (std::holds_alternative<ledger::SetOperatorRoles>(commands[0])) return "SetOperatorRoles";
  return std::string(CommandName(commands[0]));
}

grpc::Status LedgerService::Propose(grpc::ServerContext* context, const v1::ProposeRequest* in,
                                    v1::CreateReply* reply) {
  absl::StatusOr<std::string> proposer;
  proposer.emplace();
  if (absl::Status allowed = Admit(*context, "Propose", *in, &*proposer); !allowed.ok())
    return Done("Propose", allowed);
  absl::StatusOr<Id128> id = IdFromProto(in->proposal_id(), "proposal_id", false);
  if (!id.ok()) return Done("Propose", id.status());
  const int64_t lifetime =
      in->lifetime_seconds() == 0 ? kProposalLifetimeSecondsDefault : in->lifetime_seconds();
  if (lifetime < 0 || lifetime > kProposalLifetimeSecondsMax) {
    return Done("Propose", absl::InvalidArgumentError(absl::StrCat(
                               "lifetime_seconds: 0 (24 hours) or 1 to ",
                               kProposalLifetimeSecondsMax, " (7 days), not ", lifetime)));
  }
  absl::StatusOr<std::vector<Command>> commands = ProposedCommands(in->method(), in->request());
  if (!commands.ok()) return Done("Propose", commands.status());
  if (commands->empty() || commands->size() > kProposalCommandsMax) {
    return Done("Propose",
                absl::InvalidArgumentError(absl::StrCat("request: 1 to ", kProposalCommandsMax,
                                                        " items, not ", commands->size())));
  }
  // The proposer needs the role of the method proposed, as calling it directly would.
  if (absl::Status allowed =
          CheckOperatorMethod(node_->state(), *proposer, "Ledger", ProposedMethod(*commands));
      !allowed.ok()) {
    return Done("Propose", allowed);
  }
  std::string bytes = EncodeProposedCommands(*commands);
  if (bytes.size() > kProposalCommandBytesMax) {
    return Done("Propose", absl::InvalidArgumentError(
                               absl::StrCat("request: at most ", kProposalCommandBytesMax,
                                            " bytes once encoded, not ", bytes.size())));
  }
  std::vector<Command> propose;
  propose.emplace_back(ledger::Propose{*id, *proposer, lifetime, std::move(bytes)});
  return Create("Propose", std::move(propose), reply, *proposer);
}

grpc::Status LedgerService::Approve(grpc::ServerContext* context, const v1::ApproveRequest* in,
                                    v1::CreateReply* reply) {
  absl::StatusOr<std::string> approver;
  approver.emplace();
  if (absl::Status allowed = Admit(*context, "Approve", *in, &*approver); !allowed.ok())
    return Done("Approve", allowed);
  absl::StatusOr<Id128> id = IdFromProto(in->proposal_id(), "proposal_id", false);
  if (!id.ok()) return Done("Approve", id.status());
  // The approver needs the role of the method proposed (an unknown id is left to the core:
  // proposal_not_found).
  if (std::optional<ProposalRecord> record = LookupProposal(node_->state(), *id)) {
    std::optional<std::vector<Command>> proposed = DecodeProposedCommands(record->request.commands);
    if (proposed) {
      if (absl::Status allowed =
              CheckOperatorMethod(node_->state(), *approver, "Ledger", ProposedMethod(*proposed));
          !allowed.ok()) {
        return Done("Approve", allowed);
      }
    }
  }
  std::vector<Command> commands;
  commands.emplace_back(ledger::Approve{*id, *approver});
  return Create("Approve", std::move(commands), reply, *approver);
}

grpc::Status LedgerService::RejectProposal(grpc::ServerContext* context,
                                           const v1::RejectProposalRequest* in,
                                           v1::CreateReply* reply) {
  absl::StatusOr<std::string> by;
  by.emplace();
  if (absl::Status allowed = Admit(*context, "RejectProposal", *in, &*by); !allowed.ok())
    return Done("RejectProposal", allowed);
  absl::StatusOr<Id128> id = IdFromProto(in->proposal_id(), "proposal_id", false);
  if (!id.ok()) return Done("RejectProposal", id.status());
  std::vector<Command> commands;
  commands.emplace_back(ledger::RejectProposal{*id, *by});
  return Create("RejectProposal", std::move(commands), reply, *by);
}

grpc::Status LedgerService::SetFourEyes(grpc::ServerContext* context,
                                        const v1::SetFourEyesRequest* in, v1::CreateReply* reply) {
  std::string who;
  if (absl::Status allowed = Admit(*context, "SetFourEyes", *in, &who); !allowed.ok())
    return Done("SetFourEyes", allowed);
  std::vector<Command> commands;
  commands.emplace_back(ledger::SetFourEyes{in->issuance_threshold()});
  return Create("SetFourEyes", std::move(commands), reply, who);
}

grpc::Status LedgerService::ListProposals(grpc::ServerContext* context,
                                          const v1::ListProposalsRequest* in,
                                          v1::ListProposalsReply* reply) {
  if (absl::Status allowed = Admit(*context, "ListProposals", *in); !allowed.ok())
    return Done("ListProposals", allowed);
  if (absl::Status readable = node_->ReadBarrier(); !readable.ok())
    return Done("ListProposals", readable);
  const KvReader& state = node_->state();
  for (const ProposalRecord& record :
       ListPendingProposals(state, ReadHead(state).clock, kProposalListMax)) {
    std::optional<std::vector<Command>> commands = DecodeProposedCommands(record.request.commands);
    v1::Proposal* out = reply->add_proposals();
    out->set_proposal_id(record.request.id.ToBytes());
    out->set_proposer(record.request.proposer);
    out->set_method(commands ? ProposedMethod(*commands) : "");
    out->set_summary(commands ? Summary(*commands) : "");
    out->set_proposed_at(record.proposed_at);
    out->set_expires_at(record.expires_at);
  }
  return Done("ListProposals", absl::OkStatus());
}

}  // namespace ledger
