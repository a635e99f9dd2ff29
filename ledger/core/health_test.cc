// Health mileage in the core: one test per rule and rejection in health.h.
#include "ledger/core/health.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include "ledger/core/keys.h"
#include "ledger/core/query.h"
#include "ledger/core/test_util.h"

namespace ledger {
namespace {

using testing::Id;
using testing::kSecond;

constexpr AssetId kPoints = 2, kCoin = 1;
constexpr uint64_t kPointsIssuer = 1, kBudget = 2, kAlice = 10, kBob = 11;
constexpr uint64_t kCoinIssuer = 50, kCoinBudget = 51, kAliceCoin = 60;
constexpr int64_t kDay = 86400;
constexpr uint32_t kProgram = 1;
constexpr uint32_t kToday = 20260101;  // testing::kEpoch is 2026-01-01 09:00 in Japan.

struct Device {
  unsigned char public_key[crypto_sign_PUBLICKEYBYTES];
  unsigned char secret_key[crypto_sign_SECRETKEYBYTES];
  explicit Device(unsigned char seed_byte) {
    unsigned char seed[crypto_sign_SEEDBYTES];
    std::fill(std::begin(seed), std::end(seed), seed_byte);
    crypto_sign_seed_keypair(public_key, secret_key, seed);
  }
  std::string key() const {
    return std::string(reinterpret_cast<const char*>(public_key), sizeof public_key);
  }
  std::string Sign(const std::string& bytes) const {
    unsigned char signature[crypto_sign_BYTES];
    crypto_sign_detached(signature, nullptr, reinterpret_cast<const unsigned char*>(bytes.data()),
                         bytes.size(), secret_key);
    return std::string(reinterpret_cast<const char*>(signature), sizeof signature);
  }
};

class HealthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_GE(sodium_init(), 0);
    ledger_.Apply({testing::MakeAsset(kCoin, "COIN", 0, 900),
                   testing::MakeAsset(kPoints, "HP", 365 * kDay, 901, kDay)});
    ledger_.Apply(
        {testing::MakeAccount(kPointsIssuer, kPoints, AccountKind::kIssuer),
         testing::MakeAccount(kBudget, kPoints, AccountKind::kBudget, account_flags::kNonNegative),
         testing::MakeAccount(kAlice, kPoints, AccountKind::kWallet, account_flags::kNonNegative),
         testing::MakeAccount(kBob, kPoints, AccountKind::kWallet, account_flags::kNonNegative),
         testing::MakeAccount(kCoinIssuer, kCoin, AccountKind::kIssuer),
         testing::MakeAccount(kCoinBudget, kCoin, AccountKind::kBudget,
                              account_flags::kNonNegative),
         testing::MakeAccount(kAliceCoin, kCoin, AccountKind::kWallet,
                              account_flags::kNonNegative)});
    ledger_.Apply({testing::MakeTransfer(1, kPointsIssuer, kBudget, 100'000),
                   testing::MakeTransfer(2, kCoinIssuer, kCoinBudget, 1'000'000)});
    ASSERT_EQ(One(SetHealthProgram{Program(kToday)}).result, Result::kOk);
    ASSERT_EQ(One(RegisterDevice{Id(kAlice), "watch-1", phone_.key()}).result, Result::kOk);
    ASSERT_EQ(
        One(SetConsent{Id(kAlice), static_cast<uint8_t>(ConsentPurpose::kEarning), true}).result,
        Result::kOk);
  }

  static HealthProgram Program(uint32_t effective_day) {
    HealthProgram p;
    p.program = kProgram;
    p.effective_day = effective_day;
    p.funding = Id(kBudget);
    p.exchange_retire = Id(kPointsIssuer);
    p.coin_funding = Id(kCoinBudget);
    p.exchange_points = 1000;
    p.exchange_coin = 1000;
    return p;
  }

  StepReport Report(uint32_t day, uint32_t steps, uint64_t resident = kAlice,
                    const Device* device = nullptr, std::string device_id = "watch-1") {
    StepReport r;
    r.program = kProgram;
    r.resident = Id(resident);
    r.device_id = std::move(device_id);
    r.day = day;
    r.steps = steps;
    r.nonce = ++nonce_;
    r.signature = (device ? *device : phone_)
                      .Sign(StepReportSignedBytes(r.program, r.resident, r.device_id, r.day,
                                                  r.steps, r.nonce));
    r.salt = std::string(16, static_cast<char>(nonce_));
    return r;
  }

  Outcome One(Command command) { return ledger_.Apply({std::move(command)})[0]; }
  int64_t Balance(uint64_t id) { return ledger_.Balance(id); }
  void NextDay() { ledger_.Advance(kDay); }

  testing::MemoryLedger ledger_;
  Device phone_{7};
  uint64_t nonce_ = 1000;
};

TEST_F(HealthTest, TiersCapAndOnlyTheDifferenceIsAwarded) {
  EXPECT_EQ(PointsForSteps(Program(kToday), 1999), 0u);
  EXPECT_EQ(PointsForSteps(Program(kToday), 2000), 1u);
  EXPECT_EQ(PointsForSteps(Program(kToday), 9999), 4u);
  EXPECT_EQ(PointsForSteps(Program(kToday), 55'000), 5u);
  HealthProgram capped = Program(kToday);
  capped.daily_cap = 3;
  EXPECT_EQ(PointsForSteps(capped, 12'000), 3u);

  const Outcome first = One(Report(kToday, 5000));  // 2 pt.
  ASSERT_EQ(first.result, Result::kOk);
  EXPECT_EQ(first.amount, 2);
  EXPECT_EQ(first.debit_account_id, Id(kBudget));
  EXPECT_EQ(first.credit_account_id, Id(kAlice));
  EXPECT_EQ(Balance(kAlice), 2);
  const Outcome raised = One(Report(kToday, 8500));  // 4 pt: only 2 more.
  ASSERT_EQ(raised.result, Result::kOk);
  EXPECT_EQ(raised.amount, 2);
  EXPECT_EQ(Balance(kAlice), 4);
  const Outcome lower =
      One(Report(kToday, 3000));  // Accepted, pays nothing, keeps the day's highest count.
  ASSERT_EQ(lower.result, Result::kOk);
  EXPECT_EQ(lower.amount, 0);
  EXPECT_EQ(Balance(kAlice), 4);
  EXPECT_EQ(Balance(kBudget), 100'000 - 4);
  auto steps = LookupStepRecords(ledger_.state(), Id(kAlice), kToday, kToday);
  ASSERT_EQ(steps.size(), 1u);
  EXPECT_EQ(steps[0].second.steps, 8500u);
  auto awards = LookupDailyAwards(ledger_.state(), Id(kAlice), kToday, kToday);
  ASSERT_EQ(awards.size(), 1u);
  EXPECT_EQ(awards[0].second.points, 4u);
  EXPECT_EQ(testing::CheckInvariants(ledger_.state()), "");
}

TEST_F(HealthTest, EveryRejectionNamesItsReasonAndDecidesNothing) {
  StepReport no_program = Report(kToday, 5000);
  no_program.program = 9;
  no_program.signature = phone_.Sign(
      StepReportSignedBytes(9, no_program.resident, "watch-1", kToday, 5000, no_program.nonce));
  EXPECT_EQ(One(no_program).result, Result::kHealthProgramNotFound);
  EXPECT_EQ(One(Report(20251231, 5000)).result,
            Result::kHealthProgramNotFound);  // Before the first version.
  StepReport tampered = Report(kToday, 5000);
  tampered.steps = 50'000;
  EXPECT_EQ(One(tampered).result, Result::kSignatureInvalid);
  Device stranger(9);
  EXPECT_EQ(One(Report(kToday, 5000, kAlice, &stranger)).result, Result::kSignatureInvalid);
  EXPECT_EQ(One(Report(kToday, 5000, kAlice, nullptr, "watch-2")).result, Result::kDeviceNotFound);
  EXPECT_EQ(One(Report(kToday, 5000, kBob)).result, Result::kDeviceNotFound);
  EXPECT_EQ(One(Report(kToday, 5000, kAliceCoin)).result, Result::kAssetMismatch);
  EXPECT_EQ(One(Report(20260102, 5000)).result, Result::kReportDayInFuture);
  EXPECT_EQ(One(Report(20251232, 5000)).result,
            Result::kHealthProgramNotFound);  // Sorts before the program.
  EXPECT_EQ(One(Report(20260132, 5000)).result, Result::kBusinessDayInvalid);
  EXPECT_EQ(One(Report(kToday, 60'001)).result, Result::kStepsImplausible);
  EXPECT_EQ(One(Report(kToday, 60'000)).result, Result::kOk);  // The limit itself is plausible.
  StepReport replayed = Report(kToday, 7000);
  replayed.nonce = nonce_ - 1;  // The nonce of the accepted report just before.
  replayed.signature = phone_.Sign(
      StepReportSignedBytes(kProgram, replayed.resident, "watch-1", kToday, 7000, replayed.nonce));
  EXPECT_EQ(One(replayed).result, Result::kNonceReplayed);
  EXPECT_EQ(Balance(kAlice), 5);
  EXPECT_EQ(testing::CheckInvariants(ledger_.state()), "");

  // Too old: more than report_window_days (7) before today.
  for (int i = 0; i < 9; ++i) NextDay();  // Today is 2026-01-10.
  EXPECT_EQ(One(Report(20260102, 5000)).result, Result::kReportDayTooOld);
  EXPECT_EQ(One(Report(20260103, 5000)).result, Result::kOk);
  // Revoked device.
  ASSERT_EQ(One(RegisterDevice{Id(kAlice), "watch-1", "", true}).result, Result::kOk);
  EXPECT_EQ(One(Report(20260110, 9000)).result, Result::kDeviceRevoked);
  EXPECT_EQ(One(RegisterDevice{Id(kAlice), "watch-1", phone_.key()}).result,
            Result::kDeviceRevoked);
}

TEST_F(HealthTest, NoConsentNoPointsAndRevokingConsentStopsReports) {
  ASSERT_EQ(One(RegisterDevice{Id(kBob), "pedometer", phone_.key()}).result, Result::kOk);
  StepReport bob = Report(kToday, 9000, kBob, nullptr, "pedometer");
  EXPECT_EQ(One(bob).result, Result::kConsentRequired);
  // Refused: its nonce is not spent, so the same report goes through once Bob consents.
  ASSERT_EQ(One(SetConsent{Id(kBob), static_cast<uint8_t>(ConsentPurpose::kEarning), true}).result,
            Result::kOk);
  EXPECT_EQ(One(bob).result, Result::kOk);
  EXPECT_EQ(Balance(kBob), 4);
  // Revoked mid-stream: the next report is refused; the consent change is journaled.
  ASSERT_EQ(
      One(SetConsent{Id(kBob), static_cast<uint8_t>(ConsentPurpose::kEarning), false, 77}).result,
      Result::kOk);
  ASSERT_TRUE(std::holds_alternative<SetConsent>(ledger_.last().entry.commands[0]));
  NextDay();
  EXPECT_EQ(One(Report(20260102, 12'000, kBob, nullptr, "pedometer")).result,
            Result::kConsentRequired);
  EXPECT_EQ(Balance(kBob), 4);
  // The request's nonce is spent once.
  EXPECT_EQ(
      One(SetConsent{Id(kBob), static_cast<uint8_t>(ConsentPurpose::kEarning), true, 77}).result,
      Result::kNonceReplayed);
  EXPECT_EQ(One(SetConsent{Id(kBob), 4, true}).result, Result::kPurposeInvalid);
  EXPECT_EQ(LookupConsent(ledger_.state(), Id(kBob), 1)->granted, false);
}

TEST_F(HealthTest, MonthlyBonusOnTheTenthQualifyingDayOnce) {
  int64_t expected = 0;
  for (int day = 1; day <= 12; ++day) {
    const uint32_t date = 20260100 + day;
    const Outcome o = One(Report(date, day == 3 ? 1500 : 2500));  // Day 3 does not qualify.
    ASSERT_EQ(o.result, Result::kOk) << date;
    const int64_t points = day == 3 ? 0 : 1;
    const int qualifying = day < 3 ? day : day - 1;
    const int64_t bonus = qualifying == 10 && day != 3 ? 10 : 0;
    EXPECT_EQ(o.amount, points + bonus) << date;
    expected += points + bonus;
    NextDay();
  }
  EXPECT_EQ(Balance(kAlice), expected);
  const MonthlyTally tally = LookupMonthlyTally(ledger_.state(), Id(kAlice), 202601);
  EXPECT_EQ(tally.qualifying_days, 11u);
  EXPECT_EQ(tally.bonus_points, 10u);
}

TEST_F(HealthTest, AnExhaustedBudgetRefusesTheReportAndRecordsNothing) {
  ledger_.Apply({testing::MakeTransfer(3, kBudget, kPointsIssuer, 100'000 - 3)});  // 3 pt left.
  const StepReport report = Report(kToday, 10'000);                                // 5 pt.
  EXPECT_EQ(One(report).result, Result::kExceedsBalance);
  EXPECT_TRUE(LookupStepRecords(ledger_.state(), Id(kAlice), kToday, kToday).empty());
  EXPECT_TRUE(LookupDailyAwards(ledger_.state(), Id(kAlice), kToday, kToday).empty());
  EXPECT_EQ(One(Report(kToday, 6000)).result, Result::kOk);  // 3 pt fit.
  EXPECT_EQ(Balance(kAlice), 3);
  EXPECT_EQ(Balance(kBudget), 0);
}

TEST_F(HealthTest, VersionsTakeEffectFromTheirDayAndNeverRecomputePastAwards) {
  ASSERT_EQ(One(Report(kToday, 4500)).result, Result::kOk);  // 2 pt under version 1.
  HealthProgram doubled = Program(20260102);
  doubled.tiers = {{2000, 2}, {4000, 4}, {6000, 6}, {8000, 8}, {10000, 10}};
  doubled.daily_cap = 10;
  EXPECT_EQ(One(SetHealthProgram{Program(kToday)}).result,
            Result::kOk);  // The same version: duplicate.
  HealthProgram today_changed = Program(kToday);
  today_changed.daily_cap = 10;
  EXPECT_EQ(One(SetHealthProgram{today_changed}).result, Result::kEffectiveDayInvalid);
  ASSERT_EQ(One(SetHealthProgram{doubled}).result, Result::kOk);
  ASSERT_EQ(LookupHealthVersions(ledger_.state(), kProgram).size(), 2u);
  NextDay();
  // Yesterday's raise is paid under yesterday's version (4 pt total), today's under the new one.
  EXPECT_EQ(One(Report(kToday, 8000)).amount, 2);
  EXPECT_EQ(One(Report(20260102, 8000)).amount, 8);
  EXPECT_EQ(Balance(kAlice), 12);
  // A version in the past or today is refused now that one exists.
  EXPECT_EQ(One(SetHealthProgram{Program(20260102)}).result, Result::kEffectiveDayInvalid);
  HealthProgram bad = Program(20260201);
  bad.tiers = {{4000, 2}, {2000, 3}};
  EXPECT_EQ(One(SetHealthProgram{bad}).result, Result::kHealthProgramInvalid);
  EXPECT_NE(HealthProgramProblem(bad), "");
}

TEST_F(HealthTest, TheJournalKeepsTheAwardNotTheSteps) {
  StepReport report = Report(kToday, 8765);
  ASSERT_EQ(One(report).result, Result::kOk);
  std::optional<JournalEntry> entry = DecodeJournalEntry(ledger_.last().entry_bytes);
  ASSERT_TRUE(entry.has_value());
  const StepReport& journaled = std::get<StepReport>(entry->commands[0]);
  EXPECT_EQ(journaled.steps, 0u);
  EXPECT_TRUE(journaled.signature.empty());
  EXPECT_TRUE(journaled.salt.empty());
  EXPECT_EQ(journaled.day, kToday);
  EXPECT_EQ(journaled.commitment, StepCommitment(report.salt, 8765, report.signature));
  EXPECT_EQ(entry->outcomes[0].amount, 4);
  // The replicated batch keeps everything (replicas must verify the signature).
  std::optional<Batch> batch = DecodeBatch(EncodeBatch(Batch{{report}, {1}}));
  ASSERT_TRUE(batch.has_value());
  EXPECT_EQ(std::get<StepReport>(batch->commands[0]).steps, 8765u);
  EXPECT_EQ(std::get<StepReport>(batch->commands[0]).signature, report.signature);
}

TEST_F(HealthTest, ErasureRemovesStepDataWhileTheJournalStillVerifies) {
  ASSERT_EQ(One(Report(kToday, 6500)).result, Result::kOk);
  NextDay();
  ASSERT_EQ(One(Report(20260102, 11'000)).result, Result::kOk);
  ASSERT_EQ(LookupStepRecords(ledger_.state(), Id(kAlice), 20260101, 20260131).size(), 2u);
  // Erased in the same batch as a new report: that report's record goes too.
  std::vector<Outcome> outcomes =
      ledger_.Apply({Report(20260102, 12'000), EraseStepData{Id(kAlice), 5}});
  ASSERT_EQ(outcomes[0].result, Result::kOk);
  ASSERT_EQ(outcomes[1].result, Result::kOk);
  EXPECT_TRUE(LookupStepRecords(ledger_.state(), Id(kAlice), 20260101, 20260131).empty());
  const std::string prefix = keys::ResidentPrefix(keys::kStepRecord, Id(kAlice));
  int left = 0;
  ledger_.state().Scan(prefix, prefix + "\xff", false,
                       [&](std::string_view, std::string_view) { return ++left, true; });
  EXPECT_EQ(left, 0);
  // Money stays: balances, awards, and the journal verifies.
  EXPECT_EQ(Balance(kAlice), 3 + 5);
  EXPECT_EQ(LookupDailyAwards(ledger_.state(), Id(kAlice), 20260101, 20260131).size(), 2u);
  EXPECT_EQ(testing::CheckInvariants(ledger_.state()), "");
  // Reporting an erased day again pays no second award.
  EXPECT_EQ(One(Report(kToday, 6500)).amount, 0);
  EXPECT_EQ(One(EraseStepData{Id(kAlice), 5}).result, Result::kNonceReplayed);
  EXPECT_EQ(One(EraseStepData{Id(999)}).result, Result::kAccountNotFound);
}

TEST_F(HealthTest, ExchangeMovesPointsAndCoinTogetherByUnit) {
  for (int i = 0; i < 3; ++i)
    ledger_.Apply({testing::MakeTransfer(100 + i, kBudget, kAlice, 1000)});
  ExchangePoints x{kProgram, Id(kAlice), Id(kAliceCoin), 2000, "ex-1", 42};
  const Outcome done = One(x);
  ASSERT_EQ(done.result, Result::kOk);
  EXPECT_EQ(Balance(kAlice), 1000);
  EXPECT_EQ(Balance(kAliceCoin), 2000);
  EXPECT_EQ(Balance(kCoinBudget), 1'000'000 - 2000);
  ASSERT_EQ(ledger_.last().entry.system_events.size(), 1u);
  EXPECT_EQ(ledger_.last().entry.system_events[0].type, SystemEventType::kExchangeCoin);
  // Idempotent by id, whatever the nonce.
  x.nonce = 43;
  EXPECT_TRUE(One(x).duplicate);
  EXPECT_EQ(Balance(kAliceCoin), 2000);
  x.points = 1000;
  EXPECT_EQ(One(x).result, Result::kExistsWithDifferentFields);
  EXPECT_EQ(One(ExchangePoints{kProgram, Id(kAlice), Id(kAliceCoin), 1500, "ex-2", 44}).result,
            Result::kExchangeUnitInvalid);
  // More than held: neither leg moves.
  EXPECT_EQ(One(ExchangePoints{kProgram, Id(kAlice), Id(kAliceCoin), 2000, "ex-3", 45}).result,
            Result::kExceedsBalance);
  EXPECT_EQ(Balance(kAlice), 1000);
  EXPECT_EQ(Balance(kAliceCoin), 2000);
  EXPECT_EQ(One(ExchangePoints{kProgram, Id(kAlice), Id(kBob), 1000, "ex-4", 46}).result,
            Result::kAssetMismatch);
  EXPECT_EQ(One(ExchangePoints{kProgram, Id(kAlice), Id(kAliceCoin), 1000, "ex-5", 42}).result,
            Result::kNonceReplayed);
  HealthProgram no_exchange = Program(20260102);
  no_exchange.exchange_points = 0;
  no_exchange.exchange_coin = 0;
  no_exchange.exchange_retire = {};
  no_exchange.coin_funding = {};
  ASSERT_EQ(One(SetHealthProgram{no_exchange}).result, Result::kOk);
  NextDay();
  EXPECT_EQ(One(ExchangePoints{kProgram, Id(kAlice), Id(kAliceCoin), 1000, "ex-6", 47}).result,
            Result::kExchangeNotOffered);
  EXPECT_EQ(testing::CheckInvariants(ledger_.state()), "");
}

class WatchOverTest : public HealthTest {
 protected:
  void SetUp() override {
    HealthTest::SetUp();
    ASSERT_EQ(
        One(SetConsent{Id(kAlice), static_cast<uint8_t>(ConsentPurpose::kWatchOver), true}).result,
        Result::kOk);
    ASSERT_EQ(One(SetWatchOver{Id(kAlice), {Id(kBob)}}).result, Result::kOk);
  }
  // Reports `steps` for today, then moves to the next day.
  void Walk(uint32_t steps) {
    ASSERT_EQ(One(Report(BusinessDay(ledger_.now()), steps)).result, Result::kOk);
    NextDay();
  }
  void Idle() {  // A day without a report; some other batch runs.
    ledger_.Apply({testing::MakeTransfer(++other_, kPointsIssuer, kBudget, 1)});
    NextDay();
  }
  std::vector<AlertRecord> Alerts() { return LookupAlerts(ledger_.state(), Id(kAlice)); }
  uint64_t other_ = 5000;
};

TEST_F(WatchOverTest, TwoSilentDaysAfterRegularWalkingRaiseOneAlert) {
  for (int i = 0; i < 6; ++i) Walk(7000);  // 2026-01-01 .. 01-06.
  Idle();                                  // 01-07: nothing reported.
  Idle();                                  // 01-08: nothing reported.
  EXPECT_TRUE(Alerts().empty());           // 01-08 is not over yet.
  Idle();                                  // 01-09: its first batch evaluates 01-08.
  std::vector<AlertRecord> alerts = Alerts();
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].kind, AlertKind::kNoReports);
  EXPECT_EQ(alerts[0].day, 20260108u);
  EXPECT_EQ(alerts[0].days_silent, 2u);
  EXPECT_TRUE(alerts[0].open());
  Idle();
  Idle();
  EXPECT_EQ(Alerts().size(), 1u);  // One alert per silence, not one a day.
  // Only a watcher acknowledges; once.
  EXPECT_EQ(One(AckAlert{Id(kAliceCoin), Id(kAlice), 1}).result, Result::kNotAWatcher);
  EXPECT_EQ(One(AckAlert{Id(kBob), Id(kAlice), 2}).result, Result::kAlertNotFound);
  const Outcome acked = One(AckAlert{Id(kBob), Id(kAlice), 1, 91});
  ASSERT_EQ(acked.result, Result::kOk);
  EXPECT_TRUE(One(AckAlert{Id(kBob), Id(kAlice), 1, 92}).duplicate);
  EXPECT_EQ(Alerts()[0].acknowledged_by, Id(kBob));
  EXPECT_EQ(WatchedResidents(ledger_.state(), Id(kBob)), std::vector<AccountId>{Id(kAlice)});
  // Alerts are health data: not in the journal.
  EXPECT_EQ(testing::CheckInvariants(ledger_.state()), "");
}

TEST_F(WatchOverTest, AFallFarBelowHerBaselineRaisesAnAlert) {
  for (int i = 0; i < 7; ++i) Walk(8000);
  Walk(4000);  // 50 %: no alert.
  Walk(1500);  // 01-09: about 18 % of her baseline.
  Idle();      // 01-10 evaluates 01-09.
  std::vector<AlertRecord> alerts = Alerts();
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].kind, AlertKind::kStepsFell);
  EXPECT_EQ(alerts[0].day, 20260109u);
  EXPECT_EQ(alerts[0].percent_of_baseline, 1500u * 100 * 8 / (7 * 8000 + 4000));
}

TEST_F(WatchOverTest, SomeoneWhoRarelyReportsIsNotAlertedAndConsentRules) {
  Walk(7000);
  Walk(7000);
  for (int i = 0; i < 5; ++i) Idle();
  EXPECT_TRUE(Alerts().empty());  // Two reports are not a habit (min_baseline_days 5).
  // Settings are checked; watch-over needs its own consent.
  EXPECT_EQ(One(SetWatchOver{Id(kAlice), {Id(kAlice)}}).result, Result::kWatchOverInvalid);
  EXPECT_EQ(One(SetWatchOver{Id(kAlice), {Id(kBob), Id(kBob)}}).result, Result::kWatchOverInvalid);
  EXPECT_EQ(One(SetWatchOver{Id(kAlice), {Id(999)}}).result, Result::kAccountNotFound);
  SetWatchOver zero_window{Id(kAlice), {Id(kBob)}};
  zero_window.baseline_days = 0;
  EXPECT_EQ(One(zero_window).result, Result::kWatchOverInvalid);
  ASSERT_EQ(One(RegisterDevice{Id(kBob), "band", phone_.key()}).result, Result::kOk);
  EXPECT_EQ(One(SetWatchOver{Id(kBob), {Id(kAlice)}}).result, Result::kConsentRequired);
}

TEST_F(WatchOverTest, RevokedConsentStopsAlertsAndErasureRemovesThem) {
  for (int i = 0; i < 6; ++i) Walk(7000);
  ASSERT_EQ(One(SetConsent{Id(kAlice), static_cast<uint8_t>(ConsentPurpose::kWatchOver), false, 61})
                .result,
            Result::kOk);
  for (int i = 0; i < 4; ++i) Idle();
  EXPECT_TRUE(Alerts().empty());
  ASSERT_EQ(One(SetConsent{Id(kAlice), static_cast<uint8_t>(ConsentPurpose::kWatchOver), true, 62})
                .result,
            Result::kOk);
  for (int i = 0; i < 6; ++i) Walk(7000);
  Idle();
  Idle();
  Idle();
  ASSERT_EQ(Alerts().size(), 1u);
  ASSERT_EQ(One(EraseStepData{Id(kAlice), 63}).result, Result::kOk);
  EXPECT_TRUE(Alerts().empty());
  // Ending watch-over removes the watchers.
  ASSERT_EQ(One(SetWatchOver{Id(kAlice), {}}).result, Result::kOk);
  EXPECT_TRUE(WatchedResidents(ledger_.state(), Id(kBob)).empty());
  EXPECT_EQ(One(AckAlert{Id(kBob), Id(kAlice), 1}).result, Result::kNotAWatcher);
}

TEST(HealthDays, DayIndexOfIsTheInverseOfDayNumber) {
  for (int64_t index = 0; index < 200 * 366; index += 7) {
    ASSERT_EQ(DayIndexOf(DayNumber(index)), index);
  }
  EXPECT_EQ(DayIndexOf(19700101), 0);
  EXPECT_EQ(DayIndexOf(20260231), std::nullopt);
  EXPECT_EQ(DayIndexOf(20240229).has_value(), true);
  EXPECT_EQ(DayIndexOf(20250229), std::nullopt);
  EXPECT_EQ(DayIndexOf(20261301), std::nullopt);
  EXPECT_EQ(DayIndexOf(19691231), std::nullopt);
}

// Nonces (issue #14 item 7). A step report's device nonce is kept while the report's day can still
// be reported (report_window_days, 7), and forgotten on the day after, when the report itself is
// too old; the resident's signed requests' nonces 5 minutes after the request's timestamp, when the
// window refuses it.
TEST_F(HealthTest, SpentNoncesAreForgottenOnlyOnceTheirReplayIsRefusedAnyway) {
  auto count_nonces = [&] {
    size_t n = 0;
    ledger_.state().Scan(std::string(1, keys::kNonce), std::string(1, keys::kNonce + 1), false,
                         [&](std::string_view, std::string_view) { return ++n, true; });
    return n;
  };
  auto now_ms = [&] { return ledger_.now() / 1'000'000; };
  const size_t before = count_nonces();
  StepReport report = Report(kToday, 5000);
  report.request_ms = now_ms();
  ASSERT_EQ(One(report).result, Result::kOk);
  EXPECT_EQ(count_nonces(), before + 1);
  for (int i = 0; i < 7; ++i) NextDay();  // 2026-01-08: the last day 01-01 may be reported.
  report.request_ms = now_ms();
  EXPECT_EQ(One(report).result, Result::kNonceReplayed);
  EXPECT_EQ(count_nonces(), before + 1);
  NextDay();
  report.request_ms = now_ms();
  EXPECT_EQ(One(report).result, Result::kReportDayTooOld);
  EXPECT_EQ(count_nonces(), before);
  EXPECT_EQ(Balance(kAlice), 2);

  // A signed request: the window on the batch stamp, then the nonce gone 5 minutes after its
  // timestamp.
  SetConsent consent{Id(kAlice), static_cast<uint8_t>(ConsentPurpose::kWatchOver), true, 77,
                     now_ms()};
  ASSERT_EQ(One(consent).result, Result::kOk);
  EXPECT_EQ(count_nonces(), before + 1);
  EXPECT_EQ(One(consent).result, Result::kNonceReplayed);
  ledger_.Advance(300);
  EXPECT_EQ(One(consent).result, Result::kRequestExpired);
  EXPECT_EQ(count_nonces(), before);
  EraseStepData early{Id(kAlice), 78, now_ms() + 301'000};
  EXPECT_EQ(One(early).result, Result::kRequestNotYetValid);
  EXPECT_EQ(count_nonces(), before);
  EXPECT_EQ(testing::CheckInvariants(ledger_.state()), "");
}

}  // namespace
}  // namespace ledger
