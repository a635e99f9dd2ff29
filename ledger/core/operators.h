// Named operators and their roles: the role table, replicated state changed only by the journaled
// SetOperatorRoles command. Every operator call (the Ledger and Cluster services) is made by a
// named operator (ledger/core/operator_name.h); the service checks the caller's roles on the
// applied state before anything else (ledger/server/operator_roles.h), and the core checks them
// again when it applies the request (a request whose operator lacks the role for one of its
// commands decides nothing: operator_not_permitted), so the journal's operator ids and the roles it
// replays always agree (`ledgerctl verify`).
//
// Roles are a bit set: an operator may hold several. Roles 0 removes the operator.
//
// Example: SetOperatorRoles{"city-treasurer", kRoleTreasurer | kRoleAuditor}.
#ifndef LEDGER_CORE_OPERATORS_H_
#define LEDGER_CORE_OPERATORS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ledger/core/kv.h"

namespace ledger {

using RoleSet = uint32_t;
inline constexpr RoleSet kRoleTreasurer = 1;          // Issue, redeem, transfers, budgets, assets.
inline constexpr RoleSet kRoleProgrammeAdmin = 2;     // Health programme, campaigns, tasks, grants.
inline constexpr RoleSet kRoleMerchantRegistrar = 4;  // Terminal keys, merchant profiles, fees.
inline constexpr RoleSet kRoleSupportDesk = 8;        // Cards: issue, unlock, re-issue.
inline constexpr RoleSet kRoleAuditor = 16;           // Read-only.
inline constexpr RoleSet kRoleClusterAdmin = 32;      // Membership and the role table.
inline constexpr RoleSet kAllRoles = 63;
inline constexpr int kRoleCount = 6;

// The operator id of the commands ledgerd applies from its operators file at first start (and of
// the development operator "dev" it creates without one). It may run SetOperatorRoles only in the
// first request that touches the role table (OperatorsBootstrapped), never afterwards.
inline constexpr char kBootstrapOperator[] = "bootstrap";
// Operator names reserved for the cluster's own nodes (their certificates' CN is node-<raft id>).
inline constexpr char kNodeOperatorPrefix[] = "node-";

// An operator's roles, set or (roles 0) removed. Results: operator_name_invalid (not a valid name,
// a node-* name, or "bootstrap"), roles_invalid (bits outside kAllRoles), too_many_operators.
struct SetOperatorRoles {
  std::string name;
  RoleSet roles = 0;
};

// The role's name ("treasurer", ...); bit must be one role.
const char* RoleName(RoleSet bit);
// "treasurer,auditor" in bit order; "none" for 0.
std::string RoleNames(RoleSet roles);
// "treasurer,auditor" (commas, no spaces; each a RoleName) -> the set; nullopt naming nothing.
std::optional<RoleSet> ParseRoles(std::string_view text);
// Whether the name may be given roles: ValidOperatorName, not node-*, not "bootstrap".
bool AssignableOperatorName(std::string_view name);

// The operator's roles in the applied state (0: unknown or removed).
RoleSet ReadOperatorRoles(const KvReader& state, std::string_view name);
// Every operator with roles, by name.
std::vector<std::pair<std::string, RoleSet>> ReadOperators(const KvReader& state);
// Whether the role table was ever written (the bootstrap request ran).
bool OperatorsBootstrapped(const KvReader& state);

}  // namespace ledger

#endif  // LEDGER_CORE_OPERATORS_H_
