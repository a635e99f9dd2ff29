// The method table and the role check: see operator_roles.h.
#include "ledger/server/operator_roles.h"

#include "absl/strings/str_cat.h"

namespace ledger {
namespace {

constexpr RoleSet kAnyRole = kAllRoles;
constexpr RoleSet kProposers =
    kRoleTreasurer | kRoleProgrammeAdmin | kRoleMerchantRegistrar | kRoleClusterAdmin;

std::string RolesNeeded(RoleSet roles) {
  std::string names = RoleNames(roles);
  std::string out;
  for (char c : names) {
    if (c == ',') {
      out += " or ";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace

const std::vector<OperatorMethod>& OperatorMethods() {
  static const std::vector<OperatorMethod> kMethods = {
      // Treasurer: assets, accounts (issuer, wallets, budgets, shops), issue, redeem, transfers.
      {"Ledger", "CreateAssets", kRoleTreasurer},
      {"Ledger", "CreateAccounts", kRoleTreasurer},
      {"Ledger", "CloseAccounts", kRoleTreasurer},
      {"Ledger", "CreateTransfers", kRoleTreasurer},
      // Merchant registrar: terminal keys, fees, merchant profiles.
      {"Ledger", "RegisterKeys", kRoleMerchantRegistrar},
      {"Ledger", "RevokeKeys", kRoleMerchantRegistrar},
      {"Ledger", "SetFees", kRoleMerchantRegistrar},
      {"Ledger", "SetMerchantProfiles", kRoleMerchantRegistrar},
      // Support desk: cards.
      {"Ledger", "RegisterCards", kRoleSupportDesk},
      {"Ledger", "UnlockCards", kRoleSupportDesk},
      {"Ledger", "ReissueCards", kRoleSupportDesk},
      // Programme admin: health mileage, tasks, subsidies, campaigns, linked accounts.
      {"Ledger", "SetHealthProgram", kRoleProgrammeAdmin},
      {"Ledger", "SetTaskRules", kRoleProgrammeAdmin},
      {"Ledger", "GrantSubsidies", kRoleProgrammeAdmin},
      {"Ledger", "CreateCampaign", kRoleProgrammeAdmin},
      {"Ledger", "CloseCampaign", kRoleProgrammeAdmin},
      {"Ledger", "PauseCampaign", kRoleProgrammeAdmin},
      {"Ledger", "LinkAccounts", kRoleProgrammeAdmin},
      // Cluster admin: the role table.
      {"Ledger", "SetOperatorRoles", kRoleClusterAdmin},
      // Reads: the auditor and every other role.
      {"Ledger", "GetTask", kAnyRole},
      {"Ledger", "GetCampaign", kAnyRole},
      {"Ledger", "ListStaffOperations", kAnyRole},
      {"Ledger", "ListCashOuts", kAnyRole},
      {"Ledger", "LookupAssets", kAnyRole},
      {"Ledger", "LookupAccounts", kAnyRole},
      {"Ledger", "LookupTransfers", kAnyRole},
      {"Ledger", "GetAccountHistory", kAnyRole},
      {"Ledger", "GetBalanceAt", kAnyRole},
      {"Ledger", "GetDigest", kAnyRole},
      {"Ledger", "GetJournal", kAnyRole},
      {"Ledger", "Audit", kAnyRole},
      {"Ledger", "Subscribe", kAnyRole},
      {"Ledger", "Backup", kAnyRole},
      // Four-eyes (proposals.h): proposing, approving or rejecting also needs the role of the
      // method proposed (service_proposals.cc); the threshold is the treasurer's.
      {"Ledger", "Propose", kProposers},
      {"Ledger", "Approve", kProposers},
      {"Ledger", "RejectProposal", kProposers},
      {"Ledger", "SetFourEyes", kRoleTreasurer},
      {"Ledger", "ListProposals", kAnyRole},
      {"Ledger", "ListOperators", kAnyRole},
      // Cluster: status is a read; membership is the cluster admin's; the clock is the nodes'.
      {"Cluster", "Status", kAnyRole},
      {"Cluster", "AddMember", kRoleClusterAdmin},
      {"Cluster", "PromoteMember", kRoleClusterAdmin},
      {"Cluster", "RemoveMember", kRoleClusterAdmin},
      {"Cluster", "TransferLeadership", kRoleClusterAdmin},
      {"Cluster", "Clock", kRoleClusterAdmin, /*nodes=*/true},
      // Snapshot files: the nodes' own only (no role grants it; cluster_service.cc).
      {"Cluster", "SnapshotChunk", 0, /*nodes=*/true},
  };
  return kMethods;
}

const OperatorMethod* FindOperatorMethod(std::string_view service, std::string_view method) {
  for (const OperatorMethod& row : OperatorMethods()) {
    if (row.service == service && row.method == method) return &row;
  }
  return nullptr;
}

namespace {
std::map<std::string, RoleSet>& BootstrapRoles() {
  static auto* roles = new std::map<std::string, RoleSet>();
  return *roles;
}
}  // namespace

void SetBootstrapRoles(std::map<std::string, RoleSet> roles) {
  BootstrapRoles() = std::move(roles);
}

absl::Status RequireRole(const KvReader& state, const std::string& operator_name, RoleSet roles,
                         const char* method) {
  const RoleSet held = ReadOperatorRoles(state, operator_name);
  if ((held & roles) != 0) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat(method, " needs the role ", RolesNeeded(roles),
                                                  "; operator ", operator_name, " holds ",
                                                  RoleNames(held)));
}

absl::Status CheckOperatorMethod(const KvReader& state, const std::string& operator_name,
                                 std::string_view service, std::string_view method) {
  const std::string full = absl::StrCat(std::string(service), ".", std::string(method));
  const OperatorMethod* row = FindOperatorMethod(service, method);
  if (row == nullptr)
    return absl::InternalError(absl::StrCat(full, " has no row in the method table"));
  if (row->nodes && operator_name.starts_with(kNodeOperatorPrefix)) return absl::OkStatus();
  if (row->roles == 0) {
    return absl::PermissionDeniedError(absl::StrCat(
        full, " is for the cluster's own nodes only (a node-<raft id> certificate); operator ",
        operator_name, " is not one"));
  }
  if (!OperatorsBootstrapped(state)) {
    // Cluster calls only: Ledger writes would reach a core that refuses them until the table is
    // journaled (operator_not_permitted), so they wait (UNAVAILABLE) like the reads.
    const std::map<std::string, RoleSet>& file = BootstrapRoles();
    if (!file.empty() && service == "Cluster") {
      auto it = file.find(operator_name);
      const RoleSet held = it == file.end() ? 0 : it->second;
      if ((held & row->roles) != 0) return absl::OkStatus();
      return absl::PermissionDeniedError(absl::StrCat(full, " needs the role ",
                                                      RolesNeeded(row->roles), "; operator ",
                                                      operator_name, " holds ", RoleNames(held)));
    }
    return absl::UnavailableError(
        "the role table is not bootstrapped yet (ledgerd applies --operators_file once the "
        "ledger can commit); retry");
  }
  return RequireRole(state, operator_name, row->roles, full.c_str());
}

}  // namespace ledger
