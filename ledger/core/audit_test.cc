// The audit passes on clean states and finds each kind of planted violation.
#include "ledger/core/audit.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include "ledger/core/campaigns.h"
#include "ledger/core/health.h"
#include "ledger/core/keys.h"
#include "ledger/core/query.h"
#include "ledger/core/test_util.h"

namespace ledger {
namespace {

using testing::Id;

constexpr AssetId kCoin = 1, kPoints = 2;
constexpr uint64_t kIssuer = 1, kPointsIssuer = 2, kAlice = 10, kBob = 11, kAlicePoints = 12;

class AuditTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ledger_.Apply({testing::MakeAsset(kCoin, "COIN", 0, 900),
                   testing::MakeAsset(kPoints, "PTS", 86400, 901, 60)});
    ledger_.Apply(
        {testing::MakeAccount(kIssuer, kCoin, AccountKind::kIssuer),
         testing::MakeAccount(kPointsIssuer, kPoints, AccountKind::kIssuer),
         testing::MakeAccount(900, kCoin, AccountKind::kBreakage),
         testing::MakeAccount(901, kPoints, AccountKind::kBreakage),
         testing::MakeAccount(kAlice, kCoin, AccountKind::kWallet, account_flags::kNonNegative),
         testing::MakeAccount(kBob, kCoin, AccountKind::kWallet, account_flags::kNonNegative),
         testing::MakeAccount(kAlicePoints, kPoints, AccountKind::kWallet,
                              account_flags::kNonNegative)});
    ledger_.Apply({testing::MakeTransfer(1, kIssuer, kAlice, 1000),
                   testing::MakeTransfer(2, kPointsIssuer, kAlicePoints, 50)});
    ledger_.Apply(
        {testing::MakeTransfer(3, kAlice, kBob, 100, transfer_flags::kPending),
         testing::MakeTransfer(4, kAlicePoints, kPointsIssuer, 20, transfer_flags::kPending)});
  }

  static AuditReport Full(const KvReader& state) {
    AuditOptions options;
    options.replay = true;
    return Audit(state, options);
  }
  // A copy of the ledger's state with `key` set to `value`.
  MemoryKv Planted(const std::string& key, std::string value) const {
    MemoryKv copy = ledger_.state();
    copy.Apply(WriteSet{{{key, std::move(value)}}});
    return copy;
  }
  Account AccountOf(uint64_t id) const { return *LookupAccount(ledger_.state(), Id(id)); }

  testing::MemoryLedger ledger_;
};

TEST_F(AuditTest, CleanStatePassesEveryCheckAndReplaysExactly) {
  const AuditReport report = Full(ledger_.state());
  EXPECT_EQ(report.violation, "");
  EXPECT_EQ(report.assets, 2u);
  EXPECT_EQ(report.accounts, 7u);
  EXPECT_EQ(report.lot_accounts, 1u);
  EXPECT_EQ(report.open_pendings, 2u);
  EXPECT_EQ(report.journal_entries, 4u);
  EXPECT_EQ(report.replayed_entries, 4u);
  EXPECT_TRUE(report.state_hash_compared);
  // A replica's applied index is not the core's: it does not count as a difference.
  EXPECT_EQ(Full(Planted("R/applied", "x")).violation, "");
}

TEST_F(AuditTest, AStoppedReplaySaysWhereAndComparesNoHash) {
  AuditOptions options;
  options.replay = true;
  int asked = 0;
  options.stop = [&] { return ++asked > 2; };  // Two entries replayed, then the caller goes away.
  const AuditReport report = Audit(ledger_.state(), options);
  EXPECT_EQ(report.violation, "");
  EXPECT_EQ(report.replayed_entries, 2u);
  EXPECT_FALSE(report.state_hash_compared);
  EXPECT_NE(report.replay_note.find("replay stopped before entry 3 of 4: asked to stop"),
            std::string::npos)
      << report.replay_note;
}

TEST_F(AuditTest, FindsABalanceThatDoesNotSumToZero) {
  Account alice = AccountOf(kBob);
  alice.balance += 1;
  const AuditReport report = Full(Planted(keys::Account(alice.id), EncodeAccount(alice)));
  EXPECT_EQ(report.violation, "asset 1: balances sum to 1, not 0");
  EXPECT_EQ(report.replayed_entries, 0u);
}

TEST_F(AuditTest, FindsPendingTotalsThatDoNotMatchOpenPendings) {
  Account bob = AccountOf(kBob);
  bob.credits_pending = 0;
  EXPECT_EQ(Full(Planted(keys::Account(bob.id), EncodeAccount(bob))).violation,
            "asset 1: pending debits 100 / credits 0 != open pendings 100");
}

TEST_F(AuditTest, FindsLotsThatDoNotMatchTheBalance) {
  std::vector<Lot> lots = LookupLots(ledger_.state(), Id(kAlicePoints));
  ASSERT_EQ(lots.size(), 1u);
  lots[0].amount += 5;
  EXPECT_NE(
      Full(Planted(keys::Lots(Id(kAlicePoints)), EncodeLots(lots))).violation.find("lots sum 35"),
      std::string::npos);
}

TEST_F(AuditTest, FindsACampaignTotalItsAwardsDoNotExplain) {
  constexpr uint64_t kBudget = 13, kShop = 20;
  ledger_.Apply(
      {testing::MakeAccount(kBudget, kPoints, AccountKind::kBudget, account_flags::kNonNegative),
       testing::MakeAccount(kShop, kCoin, AccountKind::kMerchant, account_flags::kNonNegative)});
  ledger_.Apply({testing::MakeTransfer(5, kPointsIssuer, kBudget, 10'000),
                 LinkAccount{Id(kAlice), Id(kAlicePoints)}});
  CreateCampaign campaign;
  campaign.campaign = 1;
  campaign.funding = Id(kBudget);
  campaign.payment_asset = kCoin;
  campaign.starts_at = ledger_.now() - 1;
  campaign.ends_at = ledger_.now() + 86400 * testing::kSecond;
  campaign.percent_bps = 1000;
  campaign.budget = 1000;
  ASSERT_EQ(ledger_.Apply({campaign})[0].result, Result::kOk);
  ASSERT_EQ(ledger_.Apply({PosPayment{Id(kShop), "order-1", Id(kAlice), 500}})[0].result,
            Result::kOk);
  const AuditReport clean = Full(ledger_.state());
  EXPECT_EQ(clean.violation, "");
  EXPECT_EQ(clean.campaign_awards, 1u);
  std::string bytes;
  ASSERT_TRUE(ledger_.state().Get(keys::Campaign(1), &bytes));
  std::optional<CampaignRecord> record = DecodeCampaignRecord(bytes);
  ASSERT_TRUE(record.has_value());
  ASSERT_EQ(record->awarded, 50);
  record->awarded = 51;
  EXPECT_EQ(Full(Planted(keys::Campaign(1), EncodeCampaignRecord(*record))).violation,
            "campaign 1: awarded 51, its awards net 50, budget 1000");
}

TEST_F(AuditTest, FindsACardReissuedToAnotherWalletsCard) {
  const std::string salt(16, 's'), old_card = "6300111122223333", new_card = "6300444455556666";
  const std::string alices = "6300777788889999";
  ASSERT_EQ(ledger_
                .Apply({RegisterCard{old_card, Id(kBob), salt, PinProof(salt, old_card, "1234")},
                        RegisterCard{alices, Id(kAlice), salt, PinProof(salt, alices, "1234")}})[0]
                .result,
            Result::kOk);
  ASSERT_EQ(ledger_
                .Apply({ReissueCard{old_card, new_card, salt, PinProof(salt, new_card, "5678"),
                                    "sato"}})[0]
                .result,
            Result::kOk);
  EXPECT_EQ(Full(ledger_.state()).violation, "");
  std::optional<CardRecord> record = LookupCard(ledger_.state(), old_card);
  ASSERT_TRUE(record.has_value());
  record->replaced_by = alices;
  EXPECT_EQ(Full(Planted(keys::Card(old_card), EncodeCardRecord(*record))).violation,
            "card 6300111122223333 was re-issued as 6300777788889999, which is not the same "
            "wallet's card issued then");
}

TEST_F(AuditTest, FindsABrokenHashChain) {
  std::string entry;
  ASSERT_TRUE(ledger_.state().Get(keys::Journal(2), &entry));
  entry[10] ^= 1;
  EXPECT_EQ(Full(Planted(keys::Journal(2), entry)).violation,
            "journal: entry 2: stored hash does not match its bytes");
}

// A change that keeps every sum (an account's category) is found only by the replay.
TEST_F(AuditTest, ReplayFindsStateTheJournalDoesNotExplain) {
  Account bob = AccountOf(kBob);
  bob.category = "edited";
  const MemoryKv planted = Planted(keys::Account(bob.id), EncodeAccount(bob));
  EXPECT_EQ(testing::CheckInvariants(planted), "");
  const AuditReport report = Full(planted);
  EXPECT_EQ(report.violation,
            "replay: the journal replays to another state than the stored one: the value of a key "
            "of table 'A' (17 "
            "bytes) differs");
  EXPECT_EQ(report.replayed_entries, 4u);
}

TEST_F(AuditTest, ReplayStopsBeforeAStepReportAndSaysSo) {
  ASSERT_GE(sodium_init(), 0);
  StepReport report;
  report.program = 1;
  report.resident = Id(kAlicePoints);
  report.device_id = "watch";
  report.day = 20260101;
  report.nonce = 1;
  ledger_.Apply({report});  // Refused (no program), but journaled.
  const AuditReport audited = Full(ledger_.state());
  EXPECT_EQ(audited.violation, "");
  EXPECT_EQ(audited.replayed_entries, 4u);
  EXPECT_FALSE(audited.state_hash_compared);
  EXPECT_NE(audited.replay_note.find("before entry 5"), std::string::npos);
}

}  // namespace
}  // namespace ledger
