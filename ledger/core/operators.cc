// The role table: SetOperatorRoles, the roles each operator command needs, and the check the core
// makes on every request that carries an operator. See operators.h.
#include "ledger/core/operators.h"

#include <algorithm>
#include <array>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "ledger/core/batch_applier.h"
#include "ledger/core/codec.h"
#include "ledger/core/command.h"
#include "ledger/core/keys.h"
#include "ledger/core/limits.h"
#include "ledger/core/operator_name.h"

namespace ledger {
namespace {

constexpr std::array<const char*, kRoleCount> kRoleNames = {
    "treasurer",    "programme_admin", "merchant_registrar",
    "support_desk", "auditor",         "cluster_admin",
};

// The operators record: U32 roles. The bootstrap marker: U32 operators holding roles.
std::string EncodeU32(uint32_t value) {
  std::string bytes;
  Encoder e(&bytes);
  e.U32(value);
  return bytes;
}

uint32_t DecodeU32(std::string_view bytes, const char* what) {
  Decoder d(bytes);
  const uint32_t value = d.U32();
  if (!d.done()) Fatal(std::string(what) + " record is corrupt");
  return value;
}

// The roles that may submit each command kind as an operator; 0: only the public services (signed
// requests) submit it, never an operator. Every command kind must have a row (the static_assert).
template <class T>
constexpr RoleSet RolesFor() {
  if constexpr (std::is_same_v<T, Asset> || std::is_same_v<T, Account> ||
                std::is_same_v<T, CloseAccount> || std::is_same_v<T, Transfer>) {
    return kRoleTreasurer;
  } else if constexpr (std::is_same_v<T, RegisterKey> || std::is_same_v<T, RevokeKey> ||
                       std::is_same_v<T, PosFees> || std::is_same_v<T, SetMerchantProfile>) {
    return kRoleMerchantRegistrar;
  } else if constexpr (std::is_same_v<T, RegisterCard> || std::is_same_v<T, UnlockCard> ||
                       std::is_same_v<T, ReissueCard>) {
    return kRoleSupportDesk;
  } else if constexpr (std::is_same_v<T, SetHealthProgram> || std::is_same_v<T, SetTaskRules> ||
                       std::is_same_v<T, GrantSubsidy> || std::is_same_v<T, CreateCampaign> ||
                       std::is_same_v<T, CloseCampaign> || std::is_same_v<T, PauseCampaign> ||
                       std::is_same_v<T, LinkAccount>) {
    return kRoleProgrammeAdmin;
  } else if constexpr (std::is_same_v<T, SetOperatorRoles>) {
    return kRoleClusterAdmin;
  } else if constexpr (std::is_same_v<T, SetFourEyes>) {
    return kRoleTreasurer;
  } else if constexpr (std::is_same_v<T, Propose> || std::is_same_v<T, Approve> ||
                       std::is_same_v<T, RejectProposal>) {
    // Any role that owns a gated method; the service checks the proposed method's own role.
    return kRoleTreasurer | kRoleProgrammeAdmin | kRoleMerchantRegistrar | kRoleClusterAdmin;
  } else if constexpr (std::is_same_v<T, PosPayment> || std::is_same_v<T, PosRefund> ||
                       std::is_same_v<T, PosCancel> || std::is_same_v<T, PosCloseDay> ||
                       std::is_same_v<T, PosCashOut> || std::is_same_v<T, PosSupplierPayment> ||
                       std::is_same_v<T, WalletSend> || std::is_same_v<T, RegisterDevice> ||
                       std::is_same_v<T, SetConsent> || std::is_same_v<T, StepReport> ||
                       std::is_same_v<T, ExchangePoints> || std::is_same_v<T, EraseStepData> ||
                       std::is_same_v<T, SetWatchOver> || std::is_same_v<T, AckAlert> ||
                       std::is_same_v<T, PostTask> || std::is_same_v<T, ApplyTask> ||
                       std::is_same_v<T, DecideApplication> || std::is_same_v<T, CancelSlots> ||
                       std::is_same_v<T, CheckIn> || std::is_same_v<T, ConfirmDay> ||
                       std::is_same_v<T, PosMpmOrder>) {
    return 0;
  } else {
    static_assert(sizeof(T) == 0, "a command without a row in the role table (operators.cc)");
    return 0;
  }
}

}  // namespace

const char* RoleName(RoleSet bit) {
  for (int i = 0; i < kRoleCount; ++i) {
    if (bit == (RoleSet{1} << i)) return kRoleNames[i];
  }
  return "unknown";
}

std::string RoleNames(RoleSet roles) {
  std::string names;
  for (int i = 0; i < kRoleCount; ++i) {
    if ((roles & (RoleSet{1} << i)) == 0) continue;
    if (!names.empty()) names += ",";
    names += kRoleNames[i];
  }
  return names.empty() ? "none" : names;
}

std::optional<RoleSet> ParseRoles(std::string_view text) {
  RoleSet roles = 0;
  if (text.empty() || text == "none") return roles;
  while (true) {
    const size_t comma = text.find(',');
    const std::string_view name = text.substr(0, comma);
    RoleSet bit = 0;
    for (int i = 0; i < kRoleCount; ++i) {
      if (name == kRoleNames[i]) bit = RoleSet{1} << i;
    }
    if (bit == 0) return std::nullopt;
    roles |= bit;
    if (comma == std::string_view::npos) return roles;
    text.remove_prefix(comma + 1);
  }
}

bool AssignableOperatorName(std::string_view name) {
  return ValidOperatorName(name) && !name.starts_with(kNodeOperatorPrefix) &&
         name != kBootstrapOperator;
}

RoleSet ReadOperatorRoles(const KvReader& state, std::string_view name) {
  std::string bytes;
  if (!state.Get(keys::Operator(name), &bytes)) return 0;
  return DecodeU32(bytes, "operator");
}

std::vector<std::pair<std::string, RoleSet>> ReadOperators(const KvReader& state) {
  std::vector<std::pair<std::string, RoleSet>> operators;
  const std::string from(1, keys::kOperator);
  const std::string to(1, keys::kOperator + 1);
  state.Scan(from, to, false, [&](std::string_view key, std::string_view value) {
    operators.emplace_back(std::string(key.substr(1)), DecodeU32(value, "operator"));
    return true;
  });
  return operators;
}

bool OperatorsBootstrapped(const KvReader& state) {
  std::string unused;
  return state.Get(keys::OperatorsBootstrapped(), &unused);
}

RoleSet CommandRoles(const Command& command) {
  return std::visit([](const auto& c) { return RolesFor<std::decay_t<decltype(c)>>(); }, command);
}

bool OperatorMayRunCommand(std::string_view name, RoleSet held, const Command& command,
                           const std::vector<Command>* proposed) {
  if ((CommandRoles(command) & held) == 0) return false;
  if (const auto* p = std::get_if<Propose>(&command); p != nullptr && p->proposer != name)
    return false;
  if (const auto* a = std::get_if<Approve>(&command); a != nullptr && a->approver != name)
    return false;
  if (const auto* r = std::get_if<RejectProposal>(&command); r != nullptr && r->by != name)
    return false;
  if (proposed == nullptr) return true;
  return std::all_of(proposed->begin(), proposed->end(),
                     [held](const Command& c) { return (CommandRoles(c) & held) != 0; });
}

// The commands a Propose carries or an Approve's stored proposal holds (nullopt otherwise, or when
// they cannot be read: the command itself refuses that).
std::optional<std::vector<Command>> BatchApplier::ProposedCommands(const Command& command) {
  if (const auto* p = std::get_if<Propose>(&command)) return DecodeProposedCommands(p->commands);
  if (const auto* a = std::get_if<Approve>(&command)) {
    std::optional<ProposalRecord> record = LoadProposal(a->id);
    if (record) return DecodeProposedCommands(record->request.commands);
  }
  return std::nullopt;
}

RoleSet BatchApplier::LoadOperatorRoles(std::string_view name) {
  std::string bytes;
  if (!working_.Get(keys::Operator(name), &bytes)) return 0;
  return DecodeU32(bytes, "operator");
}

// A request with an operator: each command must be one that operator's roles allow (the bootstrap
// operator: SetOperatorRoles, in the request that first writes the role table). Otherwise nothing
// of the request is decided (operator_not_permitted on each command).
bool BatchApplier::OperatorMayRun(const std::string& name, const std::vector<Command>& commands,
                                  size_t begin, size_t end) {
  if (name.empty()) return true;
  std::string unused;
  const bool bootstrap =
      name == kBootstrapOperator && !working_.Get(keys::OperatorsBootstrapped(), &unused);
  const RoleSet held = bootstrap ? kRoleClusterAdmin : LoadOperatorRoles(name);
  for (size_t i = begin; i < end; ++i) {
    const std::optional<std::vector<Command>> proposed = ProposedCommands(commands[i]);
    if (!OperatorMayRunCommand(name, held, commands[i], proposed ? &*proposed : nullptr))
      return false;
  }
  if (bootstrap) working_.Put(keys::OperatorsBootstrapped(), EncodeU32(0));
  return true;
}

void OperatorJournalCheck::ReplayRoles(const JournalEntry& entry, size_t begin, size_t end) {
  for (size_t i = begin; i < end; ++i) {
    // The proposals the core stored (never deleted), for the approvals' check.
    if (const auto* p = std::get_if<Propose>(&entry.commands[i]);
        p != nullptr && entry.outcomes[i].result == Result::kOk && !entry.outcomes[i].duplicate) {
      if (std::optional<std::vector<Command>> commands = DecodeProposedCommands(p->commands))
        proposals_[p->id] = std::move(*commands);
    }
    const auto* set = std::get_if<SetOperatorRoles>(&entry.commands[i]);
    if (set == nullptr || entry.outcomes[i].result != Result::kOk) continue;
    bootstrapped_ = true;
    if (entry.outcomes[i].duplicate) continue;
    if (set->roles == 0) {
      roles_.erase(set->name);
    } else {
      roles_[set->name] = set->roles;
    }
  }
}

const std::vector<Command>* OperatorJournalCheck::ProposedCommands(const Command& command) {
  if (const auto* p = std::get_if<Propose>(&command)) {
    scratch_ = DecodeProposedCommands(p->commands);
    return scratch_ ? &*scratch_ : nullptr;
  }
  if (const auto* a = std::get_if<Approve>(&command)) {
    const auto found = proposals_.find(a->id);
    return found == proposals_.end() ? nullptr : &found->second;
  }
  return nullptr;
}

std::string OperatorJournalCheck::Check(const JournalEntry& entry) {
  const std::vector<std::string> none(entry.request_sizes.size());
  const std::vector<std::string>& names =
      entry.request_operators.empty() ? none : entry.request_operators;
  size_t begin = 0;
  for (size_t r = 0; r < entry.request_sizes.size(); ++r) {
    const size_t end = std::min(begin + entry.request_sizes[r], entry.commands.size());
    const std::string& name = names[r];
    if (!name.empty()) {
      if (!ValidOperatorName(name)) {
        return absl::StrCat("entry ", entry.index, ": request ", r, " names an invalid operator");
      }
      const bool bootstrap = name == kBootstrapOperator && !bootstrapped_;
      const auto found = roles_.find(name);
      const RoleSet held =
          bootstrap ? kRoleClusterAdmin : (found == roles_.end() ? 0 : found->second);
      bool allowed = true;
      for (size_t i = begin; i < end; ++i)
        allowed = allowed && OperatorMayRunCommand(name, held, entry.commands[i],
                                                   ProposedCommands(entry.commands[i]));
      for (size_t i = begin; i < end; ++i) {
        const bool refused = entry.outcomes[i].result == Result::kOperatorNotPermitted;
        if (allowed != refused) continue;
        return absl::StrCat("entry ", entry.index, ": command ", i, " (",
                            std::string(CommandName(entry.commands[i])), ") by operator ", name,
                            " holding ", RoleNames(held),
                            allowed ? " was refused" : " was applied");
      }
      operator_commands_ += end - begin;
      if (bootstrap && allowed) bootstrapped_ = true;
    }
    ReplayRoles(entry, begin, end);
    begin = end;
  }
  return "";
}

Outcome BatchApplier::Apply(const SetOperatorRoles& s, Timestamp at) {
  if (!AssignableOperatorName(s.name)) return Outcome{Result::kOperatorNameInvalid, false, at};
  if ((s.roles & ~kAllRoles) != 0) return Outcome{Result::kRolesInvalid, false, at};
  std::string bytes;
  uint32_t count = 0;
  if (working_.Get(keys::OperatorsBootstrapped(), &bytes)) count = DecodeU32(bytes, "operators");
  const RoleSet before = LoadOperatorRoles(s.name);
  if (before == s.roles) {
    working_.Put(keys::OperatorsBootstrapped(), EncodeU32(count));
    return Outcome{Result::kOk, true, at};
  }
  if (before == 0) {
    if (count >= kOperatorsMax) return Outcome{Result::kTooManyOperators, false, at};
    ++count;
  } else if (s.roles == 0) {
    --count;
  }
  if (s.roles == 0) {
    working_.Delete(keys::Operator(s.name));
  } else {
    working_.Put(keys::Operator(s.name), EncodeU32(s.roles));
  }
  working_.Put(keys::OperatorsBootstrapped(), EncodeU32(count));
  return Outcome{Result::kOk, false, at};
}

}  // namespace ledger
