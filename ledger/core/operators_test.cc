// The role table: SetOperatorRoles, the bootstrap request, the core's check of each request's
// operator, and the operator ids in the journal and the replicated batch.
#include "ledger/core/operators.h"

#include <gtest/gtest.h>

#include "ledger/core/journal.h"
#include "ledger/core/keys.h"
#include "ledger/core/proposals.h"
#include "ledger/core/query.h"
#include "ledger/core/test_util.h"

namespace ledger {
namespace {

class OperatorsTest : public ::testing::Test {
 protected:
  Outcome As(const std::string& name, Command command) {
    return ledger_.ApplyAs(name, {std::move(command)})[0];
  }
  Command Coin() { return testing::MakeAsset(1, "COIN", 0, 900); }

  testing::MemoryLedger ledger_;
};

TEST_F(OperatorsTest, RoleNamesParseAndPrint) {
  EXPECT_EQ(ParseRoles("treasurer,auditor"), kRoleTreasurer | kRoleAuditor);
  EXPECT_EQ(ParseRoles("none"), RoleSet{0});
  EXPECT_EQ(ParseRoles("treasurer,boss"), std::nullopt);
  EXPECT_EQ(ParseRoles("treasurer,"), std::nullopt);
  EXPECT_EQ(RoleNames(kAllRoles),
            "treasurer,programme_admin,merchant_registrar,support_desk,auditor,cluster_admin");
  EXPECT_EQ(RoleNames(0), "none");
  EXPECT_EQ(ParseRoles(RoleNames(kAllRoles)), kAllRoles);
}

// The bootstrap operator sets roles only in the first request that writes the table; afterwards
// only a cluster admin changes them.
TEST_F(OperatorsTest, BootstrapOnceThenOnlyAClusterAdmin) {
  EXPECT_FALSE(OperatorsBootstrapped(ledger_.state()));
  std::vector<Outcome> first =
      ledger_.ApplyAs(kBootstrapOperator, {SetOperatorRoles{"admin", kRoleClusterAdmin},
                                           SetOperatorRoles{"city-treasurer", kRoleTreasurer}});
  EXPECT_EQ(first[0].result, Result::kOk);
  EXPECT_EQ(first[1].result, Result::kOk);
  EXPECT_TRUE(OperatorsBootstrapped(ledger_.state()));
  EXPECT_EQ(As(kBootstrapOperator, SetOperatorRoles{"mallory", kAllRoles}).result,
            Result::kOperatorNotPermitted);
  EXPECT_EQ(As("city-treasurer", SetOperatorRoles{"mallory", kAllRoles}).result,
            Result::kOperatorNotPermitted);
  EXPECT_EQ(ReadOperatorRoles(ledger_.state(), "mallory"), 0u);
  EXPECT_EQ(As("admin", SetOperatorRoles{"auditor", kRoleAuditor}).result, Result::kOk);
  const std::vector<std::pair<std::string, RoleSet>> all = ReadOperators(ledger_.state());
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0], (std::pair<std::string, RoleSet>{"admin", kRoleClusterAdmin}));
  EXPECT_EQ(all[1].first, "auditor");
  EXPECT_EQ(testing::CheckInvariants(ledger_.state()), "");
}

// A request whose operator lacks the role for one command decides nothing; the role's removal
// takes effect on the next request.
TEST_F(OperatorsTest, TheCoreRefusesARequestWhoseOperatorLacksTheRole) {
  ledger_.ApplyAs(kBootstrapOperator, {SetOperatorRoles{"admin", kRoleClusterAdmin},
                                       SetOperatorRoles{"t", kRoleTreasurer}});
  EXPECT_EQ(As("nobody", Coin()).result, Result::kOperatorNotPermitted);
  EXPECT_EQ(As("admin", Coin()).result, Result::kOperatorNotPermitted);
  // One command the operator may not run refuses the whole request.
  std::vector<Outcome> mixed = ledger_.ApplyAs("t", {Coin(), SetOperatorRoles{"t", kAllRoles}});
  EXPECT_EQ(mixed[0].result, Result::kOperatorNotPermitted);
  EXPECT_EQ(mixed[1].result, Result::kOperatorNotPermitted);
  EXPECT_EQ(LookupAsset(ledger_.state(), 1), std::nullopt);
  EXPECT_EQ(As("t", Coin()).result, Result::kOk);
  ASSERT_EQ(As("admin", SetOperatorRoles{"t", 0}).result, Result::kOk);
  EXPECT_EQ(ReadOperatorRoles(ledger_.state(), "t"), 0u);
  EXPECT_EQ(As("t", testing::MakeAsset(2, "HP", 0, 901)).result, Result::kOperatorNotPermitted);
  // A request with no operator (the public services) is not checked.
  EXPECT_EQ(ledger_.Apply({testing::MakeAsset(2, "HP", 0, 901)})[0].result, Result::kOk);
  EXPECT_EQ(testing::CheckInvariants(ledger_.state()), "");
}

TEST_F(OperatorsTest, NamesRolesAndTheBoundAreResults) {
  ledger_.ApplyAs(kBootstrapOperator, {SetOperatorRoles{"admin", kRoleClusterAdmin}});
  EXPECT_EQ(As("admin", SetOperatorRoles{"node-1", kAllRoles}).result,
            Result::kOperatorNameInvalid);
  EXPECT_EQ(As("admin", SetOperatorRoles{"bootstrap", kAllRoles}).result,
            Result::kOperatorNameInvalid);
  EXPECT_EQ(As("admin", SetOperatorRoles{"Alice", kAllRoles}).result, Result::kOperatorNameInvalid);
  EXPECT_EQ(As("admin", SetOperatorRoles{"", kAllRoles}).result, Result::kOperatorNameInvalid);
  EXPECT_EQ(As("admin", SetOperatorRoles{"x", kAllRoles + 1}).result, Result::kRolesInvalid);
  EXPECT_TRUE(As("admin", SetOperatorRoles{"admin", kRoleClusterAdmin}).duplicate);
  std::vector<Command> many;
  for (size_t i = 1; i < kOperatorsMax; ++i) {
    many.push_back(SetOperatorRoles{"op" + std::to_string(i), kRoleAuditor});
  }
  for (const Outcome& outcome : ledger_.ApplyAs("admin", std::move(many))) {
    ASSERT_EQ(outcome.result, Result::kOk);
  }
  EXPECT_EQ(As("admin", SetOperatorRoles{"one-more", kRoleAuditor}).result,
            Result::kTooManyOperators);
  ASSERT_EQ(As("admin", SetOperatorRoles{"op1", 0}).result, Result::kOk);
  EXPECT_EQ(As("admin", SetOperatorRoles{"one-more", kRoleAuditor}).result, Result::kOk);
  EXPECT_EQ(ReadOperators(ledger_.state()).size(), kOperatorsMax);
}

// The operator ids travel in the journal entry and the replicated batch; an entry without them
// keeps the bytes it always had (golden_test), and a malformed section does not decode.
TEST_F(OperatorsTest, OperatorIdsAreJournaledAndReplicated) {
  ledger_.ApplyRequests({{SetOperatorRoles{"admin", kRoleClusterAdmin}}, {Coin()}},
                        {kBootstrapOperator, ""});
  const JournalEntry& entry = ledger_.last().entry;
  EXPECT_EQ(entry.request_operators, (std::vector<std::string>{kBootstrapOperator, ""}));
  std::optional<JournalEntry> decoded = DecodeJournalEntry(ledger_.last().entry_bytes);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->request_operators, entry.request_operators);
  Batch batch{{Coin(), Coin()}, {1, 1}, {"city-treasurer", ""}};
  std::optional<Batch> replicated = DecodeBatch(EncodeBatch(batch));
  ASSERT_TRUE(replicated);
  EXPECT_EQ(replicated->request_operators, batch.request_operators);
  // One name per request, or none at all.
  std::string bytes = EncodeBatch(Batch{{Coin(), Coin()}, {2}, {"a"}});
  EXPECT_TRUE(DecodeBatch(bytes));
  bytes = EncodeBatch(Batch{{Coin(), Coin()}, {1, 1}, {}});
  EXPECT_EQ(DecodeBatch(bytes)->request_operators.size(), 0u);
  bytes.push_back(static_cast<char>(kRequestOperatorsTag));
  EXPECT_FALSE(DecodeBatch(bytes));
  EXPECT_FALSE(
      ApplyBatch(ledger_.state(), ledger_.now() + 1, Batch{{Coin()}, {1}, {"a", "b"}}).ok());
  EXPECT_FALSE(ApplyBatch(ledger_.state(), ledger_.now() + 1, Batch{{Coin()}, {1}, {"Bad"}}).ok());
  EXPECT_EQ(testing::CheckInvariants(ledger_.state()), "");
}

// verify's check: the journal's operator ids agree with the role table replayed along it; an entry
// claiming an operator applied what its roles did not allow (or refused what they did) is named.
TEST_F(OperatorsTest, TheJournalCheckReplaysTheRoleTable) {
  OperatorJournalCheck check;
  ledger_.ApplyAs(kBootstrapOperator, {SetOperatorRoles{"admin", kRoleClusterAdmin},
                                       SetOperatorRoles{"t", kRoleTreasurer}});
  EXPECT_EQ(check.Check(ledger_.last().entry), "");
  ledger_.ApplyAs("t", {Coin()});
  JournalEntry applied = ledger_.last().entry;
  EXPECT_EQ(check.Check(applied), "");
  ledger_.ApplyAs("admin", {testing::MakeAsset(2, "HP", 0, 901)});
  JournalEntry refused = ledger_.last().entry;
  EXPECT_EQ(refused.outcomes[0].result, Result::kOperatorNotPermitted);
  EXPECT_EQ(check.Check(refused), "");
  EXPECT_EQ(check.operator_commands(), 4u);
  // The same entries with the operators swapped: an applied asset by the cluster admin, a refused
  // one by the treasurer.
  applied.request_operators = {"admin"};
  EXPECT_EQ(check.Check(applied),
            "entry 2: command 0 (asset) by operator admin holding "
            "cluster_admin was applied");
  refused.request_operators = {"t"};
  EXPECT_EQ(check.Check(refused),
            "entry 3: command 0 (asset) by operator t holding treasurer was refused");
  EXPECT_EQ(testing::CheckInvariants(ledger_.state()), "");
  EXPECT_EQ(VerifyJournal(ledger_.state()).operator_commands, 4u);
}

// Four eyes in the core, not only in the service: proposing or approving needs a role for each
// proposed command (a registrar may propose fees, not issuance), and a proposal's names must be the
// request's own operator. verify's check agrees with every decision.
TEST_F(OperatorsTest, ProposingAndApprovingNeedTheProposedCommandsRoles) {
  ledger_.ApplyAs(
      kBootstrapOperator,
      {SetOperatorRoles{"admin", kRoleClusterAdmin}, SetOperatorRoles{"t", kRoleTreasurer},
       SetOperatorRoles{"t2", kRoleTreasurer}, SetOperatorRoles{"r", kRoleMerchantRegistrar}});
  ASSERT_EQ(As("t", Coin()).result, Result::kOk);
  const std::vector<Outcome> accounts =
      ledger_.ApplyAs("t", {testing::MakeAccount(1, 1, AccountKind::kIssuer),
                            testing::MakeAccount(10, 1, AccountKind::kWallet)});
  ASSERT_EQ(accounts[1].result, Result::kOk);
  const std::string issue = EncodeProposedCommands({testing::MakeTransfer(1, 1, 10, 5'000)});
  // The registrar holds a role that may propose, but not the transfer's.
  EXPECT_EQ(As("r", Propose{testing::Id(7), "r", 3600, issue}).result,
            Result::kOperatorNotPermitted);
  // A treasurer proposing in another operator's name.
  EXPECT_EQ(As("t", Propose{testing::Id(7), "t2", 3600, issue}).result,
            Result::kOperatorNotPermitted);
  ASSERT_EQ(As("t", Propose{testing::Id(7), "t", 3600, issue}).result, Result::kOk);
  EXPECT_EQ(As("r", Approve{testing::Id(7), "r"}).result, Result::kOperatorNotPermitted);
  EXPECT_EQ(As("admin", Approve{testing::Id(7), "admin"}).result, Result::kOperatorNotPermitted);
  EXPECT_EQ(As("t", Approve{testing::Id(7), "t2"}).result, Result::kOperatorNotPermitted);
  EXPECT_EQ(As("r", RejectProposal{testing::Id(7), "t"}).result, Result::kOperatorNotPermitted);
  EXPECT_EQ(ledger_.Balance(10), 0);
  ASSERT_EQ(As("t2", Approve{testing::Id(7), "t2"}).result, Result::kOk);
  EXPECT_EQ(ledger_.Balance(10), 5'000);
  JournalEntry approved = ledger_.last().entry;
  const VerifyReport report = VerifyJournal(ledger_.state());
  EXPECT_TRUE(report.ok) << report.problem;
  // The check replays the same rule: the approval claimed by the registrar was not allowed.
  OperatorJournalCheck check;
  for (const auto& [index, bytes] : ReadJournal(ledger_.state(), 1, approved.index - 1)) {
    const std::optional<JournalEntry> entry = DecodeJournalEntry(bytes);
    ASSERT_TRUE(entry.has_value()) << index;
    ASSERT_EQ(check.Check(*entry), "") << index;
  }
  approved.request_operators = {"r"};
  EXPECT_EQ(check.Check(approved),
            absl::StrCat("entry ", approved.index,
                         ": command 0 (approve) by operator r holding merchant_registrar was "
                         "applied"));
  EXPECT_EQ(testing::CheckInvariants(ledger_.state()), "");
}

}  // namespace
}  // namespace ledger
