// The method table covers every method of the operator services, once; the role check answers
// PERMISSION_DENIED naming the method, the role needed and what the operator holds.
#include "ledger/server/operator_roles.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "ledger/core/test_util.h"
#include "proto/ledger.pb.h"

namespace ledger {
namespace {

namespace pb = google::protobuf;

TEST(OperatorRolesTest, EveryLedgerAndClusterMethodHasOneRow) {
  const pb::FileDescriptor* file = v1::Asset::descriptor()->file();
  std::set<std::string> methods;
  for (const char* name : {"Ledger", "Cluster"}) {
    const pb::ServiceDescriptor* service = file->FindServiceByName(name);
    ASSERT_NE(service, nullptr) << name;
    for (int i = 0; i < service->method_count(); ++i) {
      const std::string method = service->method(i)->name();
      EXPECT_NE(FindOperatorMethod(name, method), nullptr) << name << "." << method;
      methods.insert(std::string(name) + "." + method);
    }
  }
  std::set<std::string> rows;
  for (const OperatorMethod& row : OperatorMethods()) {
    const std::string full = std::string(row.service) + "." + std::string(row.method);
    EXPECT_TRUE(rows.insert(full).second) << full << " twice";
    EXPECT_TRUE(methods.contains(full)) << full << " is not a method of the proto";
    if (!row.nodes) EXPECT_NE(row.roles, 0u) << full;  // Else: the nodes' own (SnapshotChunk).
    EXPECT_EQ(row.roles & ~kAllRoles, 0u) << full;
  }
  EXPECT_EQ(rows.size(), methods.size());
}

TEST(OperatorRolesTest, PermissionDeniedNamesTheRoleNeededAndTheRolesHeld) {
  testing::MemoryLedger ledger;
  EXPECT_EQ(CheckOperatorMethod(ledger.state(), "t", "Ledger", "CreateAssets").code(),
            absl::StatusCode::kUnavailable);  // Not bootstrapped yet.
  ledger.ApplyAs(kBootstrapOperator, {SetOperatorRoles{"t", kRoleTreasurer | kRoleAuditor},
                                      SetOperatorRoles{"admin", kRoleClusterAdmin}});
  EXPECT_TRUE(CheckOperatorMethod(ledger.state(), "t", "Ledger", "CreateAssets").ok());
  absl::Status denied = CheckOperatorMethod(ledger.state(), "t", "Ledger", "SetFees");
  EXPECT_EQ(denied.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(denied.message(),
            "Ledger.SetFees needs the role merchant_registrar; operator t holds treasurer,auditor");
  denied = CheckOperatorMethod(ledger.state(), "nobody", "Ledger", "LookupAccounts");
  EXPECT_EQ(denied.message(),
            "Ledger.LookupAccounts needs the role treasurer or programme_admin or "
            "merchant_registrar or support_desk or auditor or cluster_admin; operator nobody "
            "holds none");
  // The clock is the nodes' (and a cluster admin's); membership only a cluster admin's.
  EXPECT_TRUE(CheckOperatorMethod(ledger.state(), "node-2", "Cluster", "Clock").ok());
  EXPECT_TRUE(CheckOperatorMethod(ledger.state(), "admin", "Cluster", "Clock").ok());
  EXPECT_FALSE(CheckOperatorMethod(ledger.state(), "t", "Cluster", "Clock").ok());
  EXPECT_TRUE(CheckOperatorMethod(ledger.state(), "node-2", "Cluster", "SnapshotChunk").ok());
  EXPECT_FALSE(CheckOperatorMethod(ledger.state(), "admin", "Cluster", "SnapshotChunk").ok());
  EXPECT_FALSE(CheckOperatorMethod(ledger.state(), "node-2", "Cluster", "AddMember").ok());
  EXPECT_EQ(CheckOperatorMethod(ledger.state(), "t", "Ledger", "NoSuchMethod").code(),
            absl::StatusCode::kInternal);
  EXPECT_TRUE(RequireRole(ledger.state(), "admin", kRoleClusterAdmin, "Ledger.Approve").ok());
}

}  // namespace
}  // namespace ledger
