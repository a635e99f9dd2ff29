// The method table: which roles (ledger/core/operators.h) may call each method of the operator
// services (Ledger, Cluster), and the check every such method makes right after authenticating the
// caller (OperatorAuth::Authenticate), before any other work. The roles come from the node's
// applied role table, so a change (SetOperatorRoles) takes effect on the next call.
//
// Writes need the role of their domain (the same roles the core requires of the commands they
// submit: CommandRoles in ledger/core/command.h); reads (lookups, history, journal, digest, audit,
// the change stream, Cluster.Status, ListOperators) any role; Cluster.Clock, which the nodes call
// on each other, a node (operator name node-*) or a cluster admin.
//
// Example (in a service method):
//   if (absl::Status allowed = CheckOperatorMethod(node_->state(), who, "Ledger", "CreateAssets");
//       !allowed.ok()) return ...;  // PERMISSION_DENIED: Ledger.CreateAssets needs the role ...
#ifndef LEDGER_SERVER_OPERATOR_ROLES_H_
#define LEDGER_SERVER_OPERATOR_ROLES_H_

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "ledger/core/kv.h"
#include "ledger/core/operators.h"

namespace ledger {

struct OperatorMethod {
  std::string_view service;  // "Ledger" or "Cluster".
  std::string_view method;   // "CreateAssets".
  RoleSet roles;             // Any one of these roles may call it.
  bool nodes = false;        // The cluster's nodes (operator names node-*) may call it too.
};

// Every method of the Ledger and Cluster services, once (operator_roles_test checks it against
// the proto descriptors).
const std::vector<OperatorMethod>& OperatorMethods();
// The row of service.method; nullptr when there is none.
const OperatorMethod* FindOperatorMethod(std::string_view service, std::string_view method);

// OK when `operator_name` holds one of `roles` in `state`'s role table; PERMISSION_DENIED
// otherwise: "<method> needs the role <r1 or r2 ...>; operator <name> holds <roles or none>".
// What a method outside the table (a four-eyes approval) calls with the role it needs.
absl::Status RequireRole(const KvReader& state, const std::string& operator_name, RoleSet roles,
                         const char* method);
// RequireRole with service.method's row (a node-* caller passes where the row allows nodes).
// Before ledgerd has applied the bootstrap operators (a new Raft cluster without a leader yet, or
// one whose leader cannot commit), Cluster calls are decided by the roles of SetBootstrapRoles and
// Ledger calls answer UNAVAILABLE (retry). INTERNAL for a method without a row (a bug: the test
// finds it first). The roles of ledgerd's --operators_file, which rule until the journaled table
// exists (so that a cluster admin can, say, move the leadership off a leader that cannot commit the
// bootstrap). Called once at start-up, before serving.
void SetBootstrapRoles(std::map<std::string, RoleSet> roles);
absl::Status CheckOperatorMethod(const KvReader& state, const std::string& operator_name,
                                 std::string_view service, std::string_view method);

}  // namespace ledger

#endif  // LEDGER_SERVER_OPERATOR_ROLES_H_
