// Campaigns in the core: one test per rule in campaigns.h.
#include "ledger/core/campaigns.h"

#include <gtest/gtest.h>

#include <set>

#include "ledger/core/keys.h"
#include "ledger/core/pos.h"
#include "ledger/core/query.h"
#include "ledger/core/test_util.h"

namespace ledger {
namespace {

using testing::Id;
using testing::kSecond;

constexpr AssetId kCoin = 1, kPoints = 2;
constexpr uint64_t kIssuer = 1, kPointsIssuer = 2, kBudget = 3, kCoinBudget = 4;
constexpr uint64_t kAlice = 10, kAlicePoints = 11, kBob = 12, kStreetShop = 20, kMall = 21;
constexpr int64_t kHour = 3600;

class CampaignsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // kEpoch is 2026-01-01 09:00 in Japan.
    ledger_.Apply({testing::MakeAsset(kCoin, "COIN", 0, 900),
                   testing::MakeAsset(kPoints, "HP", 180 * 86400, 901, 86400)});
    ledger_.Apply(
        {testing::MakeAccount(kIssuer, kCoin, AccountKind::kIssuer),
         testing::MakeAccount(kPointsIssuer, kPoints, AccountKind::kIssuer),
         testing::MakeAccount(kBudget, kPoints, AccountKind::kBudget, account_flags::kNonNegative),
         testing::MakeAccount(kCoinBudget, kCoin, AccountKind::kBudget,
                              account_flags::kNonNegative),
         testing::MakeAccount(kAlice, kCoin, AccountKind::kWallet, account_flags::kNonNegative),
         testing::MakeAccount(kAlicePoints, kPoints, AccountKind::kWallet,
                              account_flags::kNonNegative),
         testing::MakeAccount(kBob, kCoin, AccountKind::kWallet, account_flags::kNonNegative),
         testing::MakeAccount(kStreetShop, kCoin, AccountKind::kMerchant,
                              account_flags::kNonNegative, "street"),
         testing::MakeAccount(kMall, kCoin, AccountKind::kMerchant, account_flags::kNonNegative,
                              "mall")});
    ledger_.Apply({testing::MakeTransfer(1, kIssuer, kAlice, 100'000),
                   testing::MakeTransfer(2, kIssuer, kBob, 100'000),
                   testing::MakeTransfer(3, kPointsIssuer, kBudget, 1'000'000),
                   testing::MakeTransfer(4, kIssuer, kCoinBudget, 1000)});
    ASSERT_EQ(One(LinkAccount{Id(kAlice), Id(kAlicePoints)}).result, Result::kOk);
  }

  // "20 % back in points at the shopping street, at most 500 pt a person a month, budget
  // 1,000,000".
  CreateCampaign Street() const {
    CreateCampaign c;
    c.campaign = 7;
    c.name = "street 20% back";
    c.funding = Id(kBudget);
    c.payment_asset = kCoin;
    c.category = "street";
    c.starts_at = testing::kEpoch;
    c.ends_at = testing::kEpoch + 30 * 86400 * kSecond;
    c.percent_bps = 2000;
    c.per_person_month = 500;
    c.budget = 1'000'000;
    c.min_amount = 100;
    return c;
  }
  Outcome Pay(const std::string& id, uint64_t payer, int64_t amount, uint64_t shop = kStreetShop) {
    return One(PosPayment{Id(shop), id, Id(payer), amount, "REG-1"});
  }
  Outcome One(Command command) { return ledger_.Apply({std::move(command)})[0]; }
  int64_t Balance(uint64_t id) { return ledger_.Balance(id); }

  testing::MemoryLedger ledger_;
};

TEST_F(CampaignsTest, QualifyingPaymentsEarnTheirShareUnderTheCaps) {
  ASSERT_EQ(One(Street()).result, Result::kOk);
  EXPECT_TRUE(One(Street()).duplicate);
  CreateCampaign changed = Street();
  changed.percent_bps = 3000;
  EXPECT_EQ(One(changed).result, Result::kExistsWithDifferentFields);
  ASSERT_EQ(Pay("p1", kAlice, 1000).result, Result::kOk);  // 200 pt.
  EXPECT_EQ(Balance(kAlicePoints), 200);
  bool journaled = false;
  for (const SystemEvent& e : ledger_.last().entry.system_events) {
    journaled |= e.type == SystemEventType::kCampaignAward && e.amount == 200 &&
                 e.credit_account_id == Id(kAlicePoints);
  }
  EXPECT_TRUE(journaled);
  ASSERT_EQ(Pay("p2", kAlice, 99).result, Result::kOk);           // Below the minimum.
  ASSERT_EQ(Pay("p3", kAlice, 5000, kMall).result, Result::kOk);  // Another category.
  EXPECT_EQ(Balance(kAlicePoints), 200);
  ASSERT_EQ(Pay("p4", kAlice, 5000).result,
            Result::kOk);  // 1,000 pt, cut to the 300 left this month.
  EXPECT_EQ(Balance(kAlicePoints), 500);
  ASSERT_EQ(Pay("p5", kAlice, 1000).result, Result::kOk);
  EXPECT_EQ(Balance(kAlicePoints), 500);
  // Bob has no points account linked: no award, the payment itself is untouched.
  ASSERT_EQ(Pay("p6", kBob, 1000).result, Result::kOk);
  EXPECT_EQ(Balance(kStreetShop), 1000 + 99 + 5000 + 1000 + 1000);
  // The next month the cap starts again.
  ledger_.Advance(31 * 86400);
  ASSERT_EQ(Pay("p7", kAlice, 1000).result, Result::kOk);
  EXPECT_EQ(Balance(kAlicePoints), 500);  // The campaign ended after 30 days.
  EXPECT_EQ(testing::CheckInvariants(ledger_.state()), "");
}

TEST_F(CampaignsTest, RefundsClawBackTheirShareAndCancelsAllOfIt) {
  ASSERT_EQ(One(Street()).result, Result::kOk);
  ASSERT_EQ(Pay("p1", kAlice, 1000).result, Result::kOk);  // 200 pt.
  ASSERT_EQ(One(PosRefund{Id(kStreetShop), "p1", "r1", 250}).result, Result::kOk);
  EXPECT_EQ(Balance(kAlicePoints), 150);  // 200 x 250 / 1000 = 50 back.
  ASSERT_EQ(One(PosRefund{Id(kStreetShop), "p1", "r2", 750}).result, Result::kOk);
  EXPECT_EQ(Balance(kAlicePoints), 0);  // The last refund takes the rest.
  EXPECT_EQ(Balance(kBudget), 1'000'000);
  // The clawed-back points no longer count towards her monthly cap.
  ASSERT_EQ(Pay("p2", kAlice, 2500).result, Result::kOk);
  EXPECT_EQ(Balance(kAlicePoints), 500);
  ASSERT_EQ(One(PosCancel{Id(kStreetShop), "p2"}).result, Result::kOk);
  EXPECT_EQ(Balance(kAlicePoints), 0);
  EXPECT_EQ(testing::CheckInvariants(ledger_.state()), "");
}

TEST_F(CampaignsTest, AClawbackNeverTakesMoreThanIsLeft) {
  ASSERT_EQ(One(Street()).result, Result::kOk);
  ASSERT_EQ(Pay("p1", kAlice, 2000).result, Result::kOk);  // 400 pt.
  ledger_.Apply(
      {testing::MakeTransfer(9, kAlicePoints, kPointsIssuer, 300)});  // She used 300 of them.
  ASSERT_EQ(One(PosRefund{Id(kStreetShop), "p1", "r1", 2000}).result,
            Result::kOk);  // The refund itself goes through.
  EXPECT_EQ(Balance(kAlicePoints), 0);
  EXPECT_EQ(Balance(kAlice), 100'000);
  std::string bytes;
  ASSERT_TRUE(ledger_.state().Get(keys::CampaignAward(Id(kStreetShop), "p1", 7), &bytes));
  std::optional<CampaignAward> award = DecodeCampaignAward(bytes);
  ASSERT_TRUE(award.has_value());
  EXPECT_EQ(award->clawed_back, 100);
  EXPECT_EQ(award->shortfall, 300);
}

// A refund after the city emptied and closed the campaign's funding account: the clawback cannot
// move (the account is closed), so it becomes recorded shortfall. The refunds themselves go
// through. Before, the clawback's move hit a CORE_CHECK and stopped every replica on apply (and
// again on every restart).
TEST_F(CampaignsTest, AClawbackIntoAClosedFundingAccountBecomesShortfall) {
  ASSERT_EQ(One(Street()).result, Result::kOk);
  ASSERT_EQ(Pay("p1", kAlice, 1000).result, Result::kOk);  // 200 pt.
  ASSERT_EQ(
      ledger_.Apply({testing::MakeTransfer(9, kBudget, kPointsIssuer, 1'000'000 - 200)})[0].result,
      Result::kOk);
  ASSERT_EQ(One(CloseAccount{Id(kBudget)}).result, Result::kOk);
  ASSERT_EQ(One(PosRefund{Id(kStreetShop), "p1", "r1", 500}).result, Result::kOk);
  EXPECT_EQ(Balance(kAlice), 100'000 - 500);
  EXPECT_EQ(Balance(kAlicePoints), 200);  // Nothing could be taken back.
  std::string bytes;
  ASSERT_TRUE(ledger_.state().Get(keys::CampaignAward(Id(kStreetShop), "p1", 7), &bytes));
  std::optional<CampaignAward> award = DecodeCampaignAward(bytes);
  ASSERT_TRUE(award.has_value());
  EXPECT_EQ(award->clawed_back, 0);
  EXPECT_EQ(award->shortfall, 100);
  ASSERT_EQ(One(PosRefund{Id(kStreetShop), "p1", "r2", 500}).result,
            Result::kOk);  // The rest: all shortfall.
  ASSERT_TRUE(ledger_.state().Get(keys::CampaignAward(Id(kStreetShop), "p1", 7), &bytes));
  award = DecodeCampaignAward(bytes);
  ASSERT_TRUE(award.has_value());
  EXPECT_EQ(award->shortfall, 200);
  EXPECT_EQ(testing::CheckInvariants(ledger_.state()), "");
}

// Clawback transfer ids are derived from the refund id and the payment id. Joined with a plain "/",
// refund "a/b" of payment "c" and refund "a" of payment "b/c" got the same id, and the second
// clawback overwrote the first one's transfer record.
TEST_F(CampaignsTest, ClawbackIdsOfDifferentRefundsNeverCollide) {
  ASSERT_EQ(One(Street()).result, Result::kOk);
  ASSERT_EQ(Pay("c", kAlice, 1000).result, Result::kOk);    // 200 pt.
  ASSERT_EQ(Pay("b/c", kAlice, 1000).result, Result::kOk);  // 200 pt.
  ASSERT_EQ(One(PosRefund{Id(kStreetShop), "c", "a/b", 500}).result, Result::kOk);
  ASSERT_EQ(One(PosRefund{Id(kStreetShop), "b/c", "a", 500}).result, Result::kOk);
  EXPECT_EQ(Balance(kAlicePoints), 200);
  int clawbacks = 0;
  std::set<TransferId> ids;
  const std::string from(1, keys::kTransfer), to(1, static_cast<char>(keys::kTransfer + 1));
  ledger_.state().Scan(from, to, false, [&](std::string_view, std::string_view value) {
    std::optional<Transfer> t = DecodeTransfer(value);
    EXPECT_TRUE(t.has_value());
    if (t && t->code == kCodeCampaignClawback) {
      ++clawbacks;
      ids.insert(t->id);
    }
    return true;
  });
  EXPECT_EQ(clawbacks, 2);
  EXPECT_EQ(ids.size(), 2u);
  EXPECT_EQ(testing::CheckInvariants(ledger_.state()), "");
}

TEST_F(CampaignsTest, WindowsBudgetsFixedAwardsAndClosing) {
  CreateCampaign lunch =
      Street();  // Coin back, fixed 50 per payment, 11:00-14:00 only, budget 120.
  lunch.campaign = 8;
  lunch.funding = Id(kCoinBudget);
  lunch.category = "";
  lunch.merchants = {Id(kMall)};
  lunch.percent_bps = 0;
  lunch.fixed = 50;
  lunch.per_person_month = 0;
  lunch.budget = 120;
  lunch.from_minute = 11 * 60;
  lunch.to_minute = 14 * 60;
  ASSERT_EQ(One(lunch).result, Result::kOk);
  ASSERT_EQ(Pay("m1", kBob, 500, kMall).result, Result::kOk);  // 09:00: outside the window.
  EXPECT_EQ(Balance(kBob), 100'000 - 500);
  ledger_.Advance(2 * kHour + 30 * 60);  // 11:30.
  ASSERT_EQ(Pay("m2", kBob, 500, kMall).result, Result::kOk);
  EXPECT_EQ(Balance(kBob), 100'000 - 1000 + 50);
  ASSERT_EQ(Pay("m3", kBob, 500, kMall).result, Result::kOk);
  ASSERT_EQ(Pay("m4", kBob, 500, kMall).result, Result::kOk);  // Only 20 of the budget is left.
  EXPECT_EQ(Balance(kBob), 100'000 - 2000 + 120);
  EXPECT_EQ(LookupCampaign(ledger_.state(), 8)->awarded, 120);
  ASSERT_EQ(One(CloseCampaign{8}).result, Result::kOk);
  EXPECT_TRUE(One(CloseCampaign{8}).duplicate);
  EXPECT_EQ(One(CloseCampaign{9}).result, Result::kCampaignNotFound);
  CreateCampaign bad = Street();
  bad.campaign = 10;
  bad.fixed = 10;  // Both a percentage and a fixed award.
  EXPECT_EQ(One(bad).result, Result::kCampaignInvalid);
  EXPECT_NE(CampaignProblem(bad), "");
  EXPECT_EQ(One(LinkAccount{Id(kAlice), Id(kBob)}).result, Result::kAssetMismatch);
  EXPECT_EQ(One(LinkAccount{Id(kAlice), Id(kAlicePoints)}).duplicate, true);
  EXPECT_EQ(testing::CheckInvariants(ledger_.state()), "");
}

// A paused campaign awards nothing and leaves the active list; resumed, it awards again; a closed
// one cannot be paused or resumed; pausing twice decides nothing new.
TEST_F(CampaignsTest, APausedCampaignAwardsNothingUntilResumed) {
  ASSERT_EQ(One(Street()).result, Result::kOk);
  EXPECT_EQ(One(PauseCampaign{99, true}).result, Result::kCampaignNotFound);
  EXPECT_TRUE(One(PauseCampaign{7, false}).duplicate);  // Running already.
  const Outcome paused = One(PauseCampaign{7, true});
  ASSERT_EQ(paused.result, Result::kOk);
  EXPECT_FALSE(paused.duplicate);
  EXPECT_TRUE(One(PauseCampaign{7, true}).duplicate);
  EXPECT_TRUE(ReadActiveCampaigns(ledger_.state()).empty());
  ASSERT_EQ(Pay("p1", kAlice, 1000).result, Result::kOk);
  EXPECT_EQ(Balance(kAlicePoints), 0);
  EXPECT_EQ(LookupCampaign(ledger_.state(), 7)->awards, 0u);
  ASSERT_EQ(One(PauseCampaign{7, false}).result, Result::kOk);
  EXPECT_EQ(ReadActiveCampaigns(ledger_.state()), std::vector<uint32_t>{7});
  ASSERT_EQ(Pay("p2", kAlice, 1000).result, Result::kOk);
  EXPECT_EQ(Balance(kAlicePoints), 200);
  // The pause travels through the journal and the replicated batch like every command.
  std::optional<Batch> decoded = DecodeBatch(EncodeBatch(Batch{{PauseCampaign{7, true}}, {1}}));
  ASSERT_TRUE(decoded);
  EXPECT_EQ(std::get<PauseCampaign>(decoded->commands[0]).paused, true);
  EXPECT_EQ(CommandName(decoded->commands[0]), "pause_campaign");
  ASSERT_EQ(One(CloseCampaign{7}).result, Result::kOk);
  EXPECT_EQ(One(PauseCampaign{7, false}).result, Result::kCampaignInvalid);
  EXPECT_EQ(One(PauseCampaign{7, true}).result, Result::kCampaignInvalid);
  EXPECT_EQ(testing::CheckInvariants(ledger_.state()), "");
}

// Every problem names the field and, for a length, the limit and the size sent.
TEST_F(CampaignsTest, ProblemsNameTheFieldAndTheLimit) {
  CreateCampaign long_category = Street();
  long_category.category = std::string(kCategoryBytesMax + 1, 'x');
  EXPECT_EQ(CampaignProblem(long_category), "category: at most 32 bytes, got 33");
  CreateCampaign long_name = Street();
  long_name.name = std::string(kCampaignNameBytesMax + 1, 'x');
  EXPECT_EQ(CampaignProblem(long_name), "name: at most " + std::to_string(kCampaignNameBytesMax) +
                                            " bytes, got " +
                                            std::to_string(kCampaignNameBytesMax + 1));
}

}  // namespace
}  // namespace ledger
