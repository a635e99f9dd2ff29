// Four-eyes proposals in the core: one test per rule in proposals.h.
#include "ledger/core/proposals.h"

#include <gtest/gtest.h>

#include "ledger/core/keys.h"
#include "ledger/core/pos.h"
#include "ledger/core/query.h"
#include "ledger/core/state_machine.h"
#include "ledger/core/test_util.h"

namespace ledger {
namespace {

using testing::Id;

constexpr AssetId kCoin = 1;
constexpr uint64_t kIssuer = 1, kFeeAccount = 2, kAlice = 10, kBob = 11;
constexpr int64_t kThreshold = 1'000'000;
constexpr int64_t kDay = 86400;

class ProposalsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ledger_.Apply({testing::MakeAsset(kCoin, "COIN", 0, 900)});
    ledger_.Apply(
        {testing::MakeAccount(kIssuer, kCoin, AccountKind::kIssuer),
         testing::MakeAccount(kFeeAccount, kCoin, AccountKind::kFee, account_flags::kNonNegative),
         testing::MakeAccount(kAlice, kCoin, AccountKind::kWallet, account_flags::kNonNegative),
         testing::MakeAccount(kBob, kCoin, AccountKind::kWallet, account_flags::kNonNegative)});
  }

  Outcome One(Command command) { return ledger_.Apply({std::move(command)})[0]; }
  int64_t Balance(uint64_t account) const { return ledger_.Balance(account); }

  static Propose Proposal(uint64_t id, const std::string& proposer, std::vector<Command> commands,
                          int64_t lifetime = kDay) {
    return Propose{Id(id), proposer, lifetime, EncodeProposedCommands(commands)};
  }
  static Transfer Issue(uint64_t id, int64_t amount) {
    return testing::MakeTransfer(id, kIssuer, kAlice, amount);
  }
  void TurnOn() { ASSERT_EQ(One(SetFourEyes{kThreshold}).result, Result::kOk); }

  testing::MemoryLedger ledger_;
};

// Until a ledger has a four-eyes setting nothing is gated (older journals replay as they were);
// from the first SetFourEyes on, issuance above the threshold, fees, grants and the setting are.
TEST_F(ProposalsTest, TheRuleIsOnFromTheFirstSetting) {
  EXPECT_EQ(One(Issue(1, 5'000'000)).result, Result::kOk);
  EXPECT_EQ(One(PosFees{kCoin, Id(kIssuer), Id(kFeeAccount), 150, 100, 50}).result, Result::kOk);
  TurnOn();
  EXPECT_FALSE(ReadFourEyes(ledger_.state()) == std::nullopt);
  EXPECT_EQ(One(Issue(2, kThreshold)).result, Result::kOk);  // At the threshold: not above it.
  EXPECT_EQ(One(Issue(3, kThreshold + 1)).result, Result::kFourEyesRequired);
  EXPECT_EQ(One(PosFees{kCoin, Id(kIssuer), Id(kFeeAccount), 10, 10, 10}).result,
            Result::kFourEyesRequired);
  EXPECT_EQ(One(GrantSubsidy{Id(kIssuer), Id(kAlice), "", 10, 100}).result,
            Result::kFourEyesRequired);
  EXPECT_EQ(One(SetFourEyes{0}).result, Result::kFourEyesRequired);
  // A wallet's transfer is no issuance, whatever its amount.
  EXPECT_EQ(One(testing::MakeTransfer(4, kAlice, kBob, 2'000'000)).result, Result::kOk);
  EXPECT_EQ(Balance(kAlice), 5'000'000 + kThreshold - 2'000'000);
}

// A gated command submitted directly decides nothing: the same id applies once approved.
TEST_F(ProposalsTest, AGatedTransferDecidesNothing) {
  TurnOn();
  EXPECT_EQ(One(Issue(1, 5'000'000)).result, Result::kFourEyesRequired);
  EXPECT_FALSE(LookupTransfer(ledger_.state(), Id(1)).has_value());
  EXPECT_EQ(Balance(kAlice), 0);
  // Inside a linked chain it fails the chain, and still decides nothing.
  Transfer first = Issue(2, 10);
  first.flags = transfer_flags::kLinked;
  const std::vector<Outcome> chain = ledger_.Apply({first, Issue(3, 5'000'000)});
  EXPECT_EQ(chain[1].result, Result::kFourEyesRequired);
  EXPECT_FALSE(LookupTransfer(ledger_.state(), Id(3)).has_value());
  ASSERT_EQ(One(Proposal(7, "city-treasurer", {Issue(1, 5'000'000)})).result, Result::kOk);
  EXPECT_EQ(One(Approve{Id(7), "deputy-treasurer"}).result, Result::kOk);
  EXPECT_EQ(Balance(kAlice), 5'000'000);
}

// Proposed by one operator, approved by another: the commands apply once, both names are kept.
TEST_F(ProposalsTest, ASecondOperatorApprovesOnce) {
  TurnOn();
  ASSERT_EQ(One(Proposal(7, "city-treasurer", {Issue(1, 5'000'000)})).result, Result::kOk);
  EXPECT_EQ(Balance(kAlice), 0);  // Proposed: nothing moved.
  EXPECT_TRUE(One(Proposal(7, "city-treasurer", {Issue(1, 5'000'000)})).duplicate);
  EXPECT_EQ(One(Proposal(7, "city-treasurer", {Issue(1, 6'000'000)})).result,
            Result::kExistsWithDifferentFields);
  EXPECT_EQ(ListPendingProposals(ledger_.state(), ledger_.now(), 10).size(), 1u);
  EXPECT_EQ(One(Approve{Id(7), "city-treasurer"}).result, Result::kFourEyesSameOperator);
  EXPECT_EQ(Balance(kAlice), 0);
  EXPECT_EQ(One(Approve{Id(8), "deputy-treasurer"}).result, Result::kProposalNotFound);
  EXPECT_EQ(One(Approve{Id(7), "Deputy"}).result, Result::kProposalInvalid);
  ASSERT_EQ(One(Approve{Id(7), "deputy-treasurer"}).result, Result::kOk);
  EXPECT_EQ(Balance(kAlice), 5'000'000);
  // The change stream's record of it: a system event of the approval's entry.
  ASSERT_EQ(ledger_.last().entry.system_events.size(), 1u);
  EXPECT_EQ(ledger_.last().entry.system_events[0].type, SystemEventType::kApprovedTransfer);
  EXPECT_EQ(ledger_.last().entry.system_events[0].id, Id(1));
  EXPECT_EQ(ledger_.last().entry.system_events[0].amount, 5'000'000);
  EXPECT_EQ(One(Approve{Id(7), "auditor"}).result, Result::kProposalNotPending);
  EXPECT_EQ(Balance(kAlice), 5'000'000);
  const std::optional<ProposalRecord> record = LookupProposal(ledger_.state(), Id(7));
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->state, ProposalState::kApproved);
  EXPECT_EQ(record->request.proposer, "city-treasurer");
  EXPECT_EQ(record->decided_by, "deputy-treasurer");
  EXPECT_TRUE(ListPendingProposals(ledger_.state(), ledger_.now(), 10).empty());
  // Both names are in the journal: the entries' commands carry them.
  EXPECT_EQ(std::get<Approve>(ledger_.last().entry.commands[0]).approver, "auditor");
  EXPECT_EQ(testing::CheckInvariants(ledger_.state()), "");
}

// A proposal expires on the ledger's clock: stamped at T with lifetime L, from T + L on.
TEST_F(ProposalsTest, AnExpiredProposalIsRefused) {
  TurnOn();
  ASSERT_EQ(One(Proposal(7, "city-treasurer", {Issue(1, 5'000'000)}, 3600)).result, Result::kOk);
  ledger_.Advance(3598);  // The next batch is stamped a second after each one (MemoryLedger).
  ASSERT_EQ(ListPendingProposals(ledger_.state(), ledger_.now(), 10).size(), 1u);
  ledger_.Advance(1);  // now() = T + L.
  EXPECT_TRUE(ListPendingProposals(ledger_.state(), ledger_.now(), 10).empty());
  EXPECT_EQ(One(Approve{Id(7), "deputy-treasurer"}).result, Result::kProposalExpired);
  EXPECT_EQ(Balance(kAlice), 0);
}

// All or nothing: a failing command fails the approval with its result, and the proposal is done.
TEST_F(ProposalsTest, AFailingCommandAppliesNothing) {
  TurnOn();
  ASSERT_EQ(One(Proposal(7, "city-treasurer",
                         {Issue(1, 5'000'000), testing::MakeTransfer(2, kIssuer, 99, 2'000'000)}))
                .result,
            Result::kOk);
  EXPECT_EQ(One(Approve{Id(7), "deputy-treasurer"}).result, Result::kCreditAccountNotFound);
  EXPECT_EQ(Balance(kAlice), 0);
  EXPECT_FALSE(LookupTransfer(ledger_.state(), Id(1)).has_value());
  EXPECT_EQ(LookupProposal(ledger_.state(), Id(7))->state, ProposalState::kFailed);
  EXPECT_EQ(One(Approve{Id(7), "auditor"}).result, Result::kProposalNotPending);
  EXPECT_EQ(testing::CheckInvariants(ledger_.state()), "");
}

// Fees and the setting itself go through proposals too; a rejected proposal cannot be approved.
TEST_F(ProposalsTest, FeesSettingsAndRejection) {
  TurnOn();
  ASSERT_EQ(
      One(Proposal(7, "registrar", {PosFees{kCoin, Id(kIssuer), Id(kFeeAccount), 150, 100, 50}}))
          .result,
      Result::kOk);
  ASSERT_EQ(One(Approve{Id(7), "city-treasurer"}).result, Result::kOk);
  std::string fees;
  EXPECT_TRUE(ledger_.state().Get(keys::Fees(kCoin), &fees));
  ASSERT_EQ(One(Proposal(8, "city-treasurer", {SetFourEyes{10}})).result, Result::kOk);
  ASSERT_EQ(One(RejectProposal{Id(8), "deputy-treasurer"}).result, Result::kOk);
  EXPECT_EQ(One(Approve{Id(8), "auditor"}).result, Result::kProposalNotPending);
  EXPECT_EQ(One(RejectProposal{Id(8), "auditor"}).result, Result::kProposalNotPending);
  EXPECT_EQ(ReadFourEyes(ledger_.state())->issuance_threshold, kThreshold);
  ASSERT_EQ(One(Proposal(9, "city-treasurer", {SetFourEyes{10}})).result, Result::kOk);
  ASSERT_EQ(One(Approve{Id(9), "deputy-treasurer"}).result, Result::kOk);
  EXPECT_EQ(ReadFourEyes(ledger_.state())->issuance_threshold, 10);
  EXPECT_EQ(One(Issue(1, 11)).result, Result::kFourEyesRequired);
}

// Every malformed proposal is a result, never a check: names, lifetimes, bytes, nesting.
TEST_F(ProposalsTest, MalformedProposalsAreResults) {
  EXPECT_EQ(One(Proposal(0, "a", {Issue(1, 5)})).result, Result::kIdMustNotBeZero);
  EXPECT_EQ(One(Proposal(1, "", {Issue(1, 5)})).result, Result::kProposalInvalid);
  EXPECT_EQ(One(Proposal(1, "A", {Issue(1, 5)})).result, Result::kProposalInvalid);
  EXPECT_EQ(One(Proposal(1, "a", {Issue(1, 5)}, 0)).result, Result::kProposalInvalid);
  EXPECT_EQ(One(Proposal(1, "a", {Issue(1, 5)}, kProposalLifetimeSecondsMax + 1)).result,
            Result::kProposalInvalid);
  EXPECT_EQ(One(Proposal(1, "a", {})).result, Result::kProposalInvalid);
  EXPECT_EQ(One(Propose{Id(1), "a", kDay, "not a batch"}).result, Result::kProposalInvalid);
  EXPECT_EQ(One(Proposal(1, "a", {Proposal(2, "a", {Issue(1, 5)})})).result,
            Result::kProposalInvalid);
  EXPECT_EQ(One(Proposal(1, "a", {Approve{Id(2), "b"}})).result, Result::kProposalInvalid);
  EXPECT_EQ(One(Proposal(1, "a", {CloseAccount{Id(kBob)}})).result, Result::kProposalInvalid);
  std::vector<Command> many(kProposalCommandsMax + 1, Issue(1, 5));
  EXPECT_EQ(One(Proposal(1, "a", many)).result, Result::kProposalInvalid);
  EXPECT_EQ(One(SetFourEyes{-1}).result, Result::kAmountExceedsLimit);
  EXPECT_EQ(One(SetFourEyes{kAmountMax + 1}).result, Result::kAmountExceedsLimit);
  EXPECT_EQ(One(RejectProposal{Id(1), "a"}).result, Result::kProposalNotFound);
  // They travel through the journal and the replicated batch like every command.
  const Batch batch{{Proposal(1, "a", {Issue(1, 5)}), Approve{Id(1), "b"},
                     RejectProposal{Id(1), "c"}, SetFourEyes{5}},
                    {4}};
  std::optional<Batch> decoded = DecodeBatch(EncodeBatch(batch));
  ASSERT_TRUE(decoded);
  EXPECT_EQ(std::get<Propose>(decoded->commands[0]), std::get<Propose>(batch.commands[0]));
  EXPECT_EQ(CommandName(decoded->commands[1]), "approve");
  EXPECT_EQ(CommandName(decoded->commands[3]), "set_four_eyes");
}

}  // namespace
}  // namespace ledger
