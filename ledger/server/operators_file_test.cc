// The operators file: what it accepts, and errors that name the line.
#include "ledger/server/operators_file.h"

#include <gtest/gtest.h>

namespace ledger {
namespace {

TEST(OperatorsFileTest, ReadsNamesAndRolesSkippingComments) {
  absl::StatusOr<std::vector<SetOperatorRoles>> parsed = ParseOperatorsFile(
      "# the city hall\n\ncity-treasurer treasurer\n  demo\ttreasurer,auditor  # both\n", "ops");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->size(), 2u);
  EXPECT_EQ((*parsed)[0].name, "city-treasurer");
  EXPECT_EQ((*parsed)[0].roles, kRoleTreasurer);
  EXPECT_EQ((*parsed)[1].name, "demo");
  EXPECT_EQ((*parsed)[1].roles, kRoleTreasurer | kRoleAuditor);
}

TEST(OperatorsFileTest, ErrorsNameTheLine) {
  const std::pair<const char*, const char*> cases[] = {
      {"a treasurer\nb\n", "ops:2: expected 'NAME ROLE[,ROLE...]'"},
      {"a treasurer\n\nAlice auditor\n", "ops:3: operator name 'Alice'"},
      {"node-1 auditor\n", "ops:1: operator name 'node-1'"},
      {"bootstrap auditor\n", "ops:1: operator name 'bootstrap'"},
      {"a boss\n", "ops:1: roles 'boss'"},
      {"a treasurer, auditor\n", "ops:1: roles 'treasurer, auditor'"},
      {"a treasurer\na auditor\n", "ops:2: operator 'a' listed twice"},
      {"# nothing\n", "ops: no operators"},
  };
  for (const auto& [text, error] : cases) {
    absl::StatusOr<std::vector<SetOperatorRoles>> parsed = ParseOperatorsFile(text, "ops");
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << text;
    EXPECT_EQ(std::string(parsed.status().message()).rfind(error, 0), 0u) << parsed.status();
  }
  EXPECT_EQ(ReadOperatorsFile("/nonexistent/operators.conf").status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace ledger
