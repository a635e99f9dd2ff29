// Four-eyes proposals, approvals and the gate: see proposals.h.
#include "ledger/core/proposals.h"

#include "ledger/core/batch_applier.h"
#include "ledger/core/check.h"
#include "ledger/core/command.h"
#include "ledger/core/keys.h"
#include "ledger/core/operator_name.h"
#include "ledger/core/state_machine.h"

namespace ledger {
namespace {

constexpr uint8_t kVersion = 1;

// Record field lists (codec.h); a proposal record starts with its Propose's fields (command.h).
constexpr auto kProposalFields = [](auto& io, auto& r) {
  io(r.request, r.proposed_at, r.expires_at, r.state, r.result, r.decided_by, r.decided_at);
};
constexpr auto kFourEyesFields = [](auto& io, auto& s) { io(s.issuance_threshold); };

bool IsProposalCommand(const Command& command) {
  return std::holds_alternative<Propose>(command) || std::holds_alternative<Approve>(command) ||
         std::holds_alternative<RejectProposal>(command);
}

}  // namespace

const char* ProposalStateName(ProposalState state) {
  switch (state) {
    case ProposalState::kPending:
      return "pending";
    case ProposalState::kApproved:
      return "approved";
    case ProposalState::kFailed:
      return "failed";
    case ProposalState::kRejected:
      return "rejected";
  }
  return "unknown";
}

std::string EncodeProposal(const ProposalRecord& record) {
  return EncodeRecord(kVersion, record, kProposalFields);
}
std::optional<ProposalRecord> DecodeProposal(std::string_view bytes) {
  return DecodeRecord<ProposalRecord>(bytes, kVersion, kProposalFields);
}

std::optional<SetFourEyes> ReadFourEyes(const KvReader& state) {
  std::string bytes;
  if (!state.Get(keys::FourEyes(), &bytes)) return std::nullopt;
  std::optional<SetFourEyes> setting = DecodeRecord<SetFourEyes>(bytes, kVersion, kFourEyesFields);
  if (!setting) Fatal("four-eyes setting is corrupt");
  return setting;
}

std::optional<ProposalRecord> LookupProposal(const KvReader& state, const Id128& id) {
  std::string bytes;
  if (!state.Get(keys::Proposal(id), &bytes)) return std::nullopt;
  std::optional<ProposalRecord> record = DecodeProposal(bytes);
  if (!record) Fatal("proposal record is corrupt");
  return record;
}

std::vector<ProposalRecord> ListPendingProposals(const KvReader& state, Timestamp now,
                                                 size_t limit) {
  std::vector<ProposalRecord> pending;
  const std::string from(1, keys::kProposal);
  const std::string to(1, static_cast<char>(keys::kProposal + 1));
  state.Scan(from, to, false, [&](std::string_view, std::string_view value) {
    std::optional<ProposalRecord> record = DecodeProposal(value);
    if (!record) Fatal("proposal record is corrupt");
    if (record->state == ProposalState::kPending && now < record->expires_at)
      pending.push_back(std::move(*record));
    return pending.size() < limit;
  });
  return pending;
}

bool AlwaysFourEyes(const Command& command) {
  return std::holds_alternative<PosFees>(command) ||
         std::holds_alternative<GrantSubsidy>(command) ||
         std::holds_alternative<SetOperatorRoles>(command) ||
         std::holds_alternative<SetFourEyes>(command);
}

bool Proposable(const Command& command) {
  return AlwaysFourEyes(command) || std::holds_alternative<Transfer>(command);
}

std::string EncodeProposedCommands(const std::vector<Command>& commands) {
  return EncodeBatch(Batch{commands, {static_cast<uint32_t>(commands.size())}});
}

std::optional<std::vector<Command>> DecodeProposedCommands(std::string_view bytes) {
  std::optional<Batch> batch = DecodeBatch(bytes);
  if (!batch || batch->commands.empty() || batch->commands.size() > kProposalCommandsMax)
    return std::nullopt;
  for (const Command& command : batch->commands) {
    if (IsProposalCommand(command) || !Proposable(command)) return std::nullopt;
  }
  return std::move(batch->commands);
}

// Once the rule is on: the gated kinds, and a transfer creating coin from an ISSUER account above
// the threshold (a post or void resolves a pending whose creation was checked).
bool BatchApplier::FourEyesGated(const Command& command) {
  const bool always = AlwaysFourEyes(command);
  const Transfer* t = std::get_if<Transfer>(&command);
  if (!always && t == nullptr) return false;
  std::string bytes;
  if (!working_.Get(keys::FourEyes(), &bytes)) return false;
  if (always) return true;
  if (t->flag(transfer_flags::kPostPending) || t->flag(transfer_flags::kVoidPending)) return false;
  const Account* debit = working_.FindAccount(t->debit_account_id);
  if (debit == nullptr || debit->kind != AccountKind::kIssuer) return false;
  std::optional<SetFourEyes> setting = DecodeRecord<SetFourEyes>(bytes, kVersion, kFourEyesFields);
  if (!setting) Fatal("four-eyes setting is corrupt");
  return t->amount > setting->issuance_threshold;
}

std::optional<ProposalRecord> BatchApplier::LoadProposal(const Id128& id) {
  std::string bytes;
  if (!working_.Get(keys::Proposal(id), &bytes)) return std::nullopt;
  std::optional<ProposalRecord> record = DecodeProposal(bytes);
  if (!record) Fatal("proposal record is corrupt");
  return record;
}

Outcome BatchApplier::Apply(const Propose& p, Timestamp at) {
  if (p.id.IsZero()) return Outcome{Result::kIdMustNotBeZero, false, at};
  if (std::optional<ProposalRecord> existing = LoadProposal(p.id)) {
    if (!(existing->request == p)) return Outcome{Result::kExistsWithDifferentFields, false, at};
    return Outcome{Result::kOk, true, existing->proposed_at};
  }
  if (!ValidOperatorName(p.proposer) || p.lifetime_seconds <= 0 ||
      p.lifetime_seconds > kProposalLifetimeSecondsMax || !DecodeProposedCommands(p.commands)) {
    return Outcome{Result::kProposalInvalid, false, at};
  }
  ProposalRecord record;
  record.request = p;
  record.proposed_at = at;
  record.expires_at = at + static_cast<Timestamp>(p.lifetime_seconds) * kNanosPerSecond;
  working_.Put(keys::Proposal(p.id), EncodeProposal(record));
  return Outcome{Result::kOk, false, at};
}

// Applies an approved proposal's commands past the gate, all or nothing: the first failing
// command's result (everything it and those before it did is rolled back), or ok.
Result BatchApplier::ApplyProposed(const std::vector<Command>& commands) {
  working_.BeginScope();
  approving_ = true;
  Result result = Result::kOk;
  std::vector<SystemEvent> moved;  // The change stream's record of what the approval moved.
  for (const Command& command : commands) {
    const Outcome outcome = ApplyOne(command, Tick(), /*in_chain=*/true);
    result = outcome.result;
    if (result != Result::kOk) break;
    const Transfer* t = std::get_if<Transfer>(&command);
    if (t != nullptr && !outcome.duplicate && outcome.asset != 0) {
      moved.push_back({SystemEventType::kApprovedTransfer, t->id, outcome.debit_account_id,
                       outcome.credit_account_id, outcome.asset, outcome.amount,
                       outcome.timestamp});
    }
  }
  approving_ = false;
  if (result == Result::kOk) {
    working_.CommitScope();
    entry_.system_events.insert(entry_.system_events.end(), moved.begin(), moved.end());
  } else {
    working_.RollbackScope();
  }
  return result;
}

Outcome BatchApplier::Apply(const Approve& a, Timestamp at) {
  if (!ValidOperatorName(a.approver)) return Outcome{Result::kProposalInvalid, false, at};
  std::optional<ProposalRecord> record = LoadProposal(a.id);
  if (!record) return Outcome{Result::kProposalNotFound, false, at};
  if (record->state != ProposalState::kPending)
    return Outcome{Result::kProposalNotPending, false, at};
  if (batch_timestamp_ >= record->expires_at) return Outcome{Result::kProposalExpired, false, at};
  if (a.approver == record->request.proposer)
    return Outcome{Result::kFourEyesSameOperator, false, at};
  std::optional<std::vector<Command>> commands = DecodeProposedCommands(record->request.commands);
  CORE_CHECK(commands.has_value());  // Checked when it was proposed.
  const Result result = ApplyProposed(*commands);
  record->state = result == Result::kOk ? ProposalState::kApproved : ProposalState::kFailed;
  record->result = static_cast<uint8_t>(result);
  record->decided_by = a.approver;
  record->decided_at = at;
  working_.Put(keys::Proposal(a.id), EncodeProposal(*record));
  return Outcome{result, false, at};
}

Outcome BatchApplier::Apply(const RejectProposal& r, Timestamp at) {
  if (!ValidOperatorName(r.by)) return Outcome{Result::kProposalInvalid, false, at};
  std::optional<ProposalRecord> record = LoadProposal(r.id);
  if (!record) return Outcome{Result::kProposalNotFound, false, at};
  if (record->state != ProposalState::kPending)
    return Outcome{Result::kProposalNotPending, false, at};
  record->state = ProposalState::kRejected;
  record->decided_by = r.by;
  record->decided_at = at;
  working_.Put(keys::Proposal(r.id), EncodeProposal(*record));
  return Outcome{Result::kOk, false, at};
}

Outcome BatchApplier::Apply(const SetFourEyes& s, Timestamp at) {
  if (s.issuance_threshold < 0 || s.issuance_threshold > kAmountMax)
    return Outcome{Result::kAmountExceedsLimit, false, at};
  working_.Put(keys::FourEyes(), EncodeRecord(kVersion, s, kFourEyesFields));
  return Outcome{Result::kOk, false, at};
}

}  // namespace ledger
