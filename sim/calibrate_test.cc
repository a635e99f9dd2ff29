// Calibration on a synthetic event stream with known shares and holding times, and k-anonymity
// suppression of small cells.
#include "sim/calibrate.h"

#include <algorithm>
#include <string>

#include "absl/container/btree_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "sim/exact_engine.h"

namespace sim {
namespace {

std::string Account(const std::string& id, const std::string& kind,
                    const std::string& category = "") {
  return absl::StrCat(R"({"type": "account", "id": ")", id, R"(", "kind": ")", kind,
                      R"(", "category": ")", category, "\"}\n");
}

std::string Transfer(int day, const std::string& debit, const std::string& credit, int64_t amount) {
  return absl::StrCat(R"({"type": "transfer", "timestamp_s": )", 1'700'000'000 + day * 86400,
                      R"(, "debit": ")", debit, R"(", "credit": ")", credit, R"(", "amount": )",
                      amount, "}\n");
}

// The same events as `ledgerctl tail --json` prints them: lower-case kinds, an asset on every
// line, timestamps in nanoseconds, debit_account / credit_account and flags.
std::string TailAccount(const std::string& id, const std::string& kind,
                        const std::string& category = "", int asset = 1) {
  return absl::StrCat(R"({"type":"account","index":3,"timestamp":1700000000000000000,"id":")", id,
                      R"(","asset":)", asset, R"(,"kind":")", absl::AsciiStrToLower(kind),
                      R"(","category":")", category, "\"}\n");
}

std::string TailTransfer(int day, const std::string& debit, const std::string& credit,
                         int64_t amount, const std::string& flags = "", int asset = 1) {
  const int64_t ns = (1'700'000'000 + day * int64_t{86400}) * 1'000'000'000 + 123'456'789;
  return absl::StrCat(R"({"type":"transfer","index":9,"timestamp":)", ns,
                      R"(,"id":"00ff","debit_account":")", debit, R"(","credit_account":")", credit,
                      R"(","amount":)", amount, R"(,"asset":)", asset, R"(,"code":20,"flags":[)",
                      flags, "]}\n");
}

enum class Format { kSaved, kTail };

// 100 wallets get 10,000 on day 0 and on day 10 pay 6,000 at food (20 shops), 3,000 at retail (15
// shops) and 1,000 at farms (5 farms: too few, suppressed). On day 17 every food shop pays 6,000 of
// its 30,000 to a retail shop (share 0.2) and cashes out the rest (coin retired to the issuer). On
// day 30 three retail shops pay 1,000 each to food (3 payers: suppressed) and all retail shops cash
// out. Retail holds 300,000 for 20 days and 120,000 for 13 days: (300,000 × 20 + 120,000 × 13) /
// 420,000 = 18 days. In the tail format, one payment is a pending transfer that is posted, another
// a pending transfer that is voided (no flow), and a points asset (asset 2) runs alongside.
std::string SyntheticTown(Format format = Format::kSaved) {
  const bool tail = format == Format::kTail;
  auto account = [&](const std::string& id, const std::string& kind,
                     const std::string& category = "") {
    return tail ? TailAccount(id, kind, category) : Account(id, kind, category);
  };
  auto transfer = [&](int day, const std::string& debit, const std::string& credit,
                      int64_t amount) {
    return tail ? TailTransfer(day, debit, credit, amount) : Transfer(day, debit, credit, amount);
  };
  std::string events = account("city", "ISSUER") + account("yen", "EXTERNAL");
  if (tail) {
    events +=
        R"({"type":"asset","index":1,"timestamp":1,"asset":1,"code":"COIN","expiry_seconds":0})"
        "\n";
    events += TailAccount("hp", "BUDGET", "", 2);
    for (int i = 0; i < 20; ++i) events += TailAccount(absl::StrCat("pw", i), "WALLET", "", 2);
    for (int i = 0; i < 12; ++i)
      events += TailAccount(absl::StrCat("pm", i), "MERCHANT", "food", 2);
  }
  for (int i = 0; i < 100; ++i) events += account(absl::StrCat("w", i), "WALLET");
  for (int i = 0; i < 20; ++i) events += account(absl::StrCat("f", i), "MERCHANT", "food");
  for (int i = 0; i < 15; ++i) events += account(absl::StrCat("r", i), "MERCHANT", "retail");
  for (int i = 0; i < 5; ++i) events += account(absl::StrCat("p", i), "MERCHANT", "farm");
  for (int i = 0; i < 100; ++i) events += transfer(0, "city", absl::StrCat("w", i), 10'000);
  if (tail) {
    // Points: awarded and spent at 12 points shops; left out by asset 1.
    for (int i = 0; i < 20; ++i) {
      events += TailTransfer(1, "hp", absl::StrCat("pw", i), 500, "", 2);
      events += TailTransfer(2, absl::StrCat("pw", i), absl::StrCat("pm", i % 12), 400, "", 2);
    }
  }
  for (int i = 0; i < 100; ++i) {
    if (tail && i == 0) {
      // A reservation posted in full, and one voided.
      events += TailTransfer(9, "w0", "f0", 6'000, R"("pending")");
      events += TailTransfer(10, "w0", "f0", 6'000, R"("post_pending")");
      events += TailTransfer(10, "w0", "r0", 2'000, R"("pending")");
      events += TailTransfer(10, "w0", "r0", 2'000, R"("void_pending")");
      events += absl::StrCat(
          R"({"type":"pending_expired","index":9,"timestamp":1,"id":"01","debit_account":"w0",)",
          R"("credit_account":"r0","amount":7,"asset":1,"code":0,"flags":["pending"]})", "\n");
    } else {
      events += transfer(10, absl::StrCat("w", i), absl::StrCat("f", i % 20), 6'000);
    }
    events += transfer(10, absl::StrCat("w", i), absl::StrCat("r", i % 15), 3'000);
    events += transfer(10, absl::StrCat("w", i), absl::StrCat("p", i % 5), 1'000);
  }
  for (int i = 0; i < 20; ++i) {
    events += transfer(17, absl::StrCat("f", i), absl::StrCat("r", i % 15), 6'000);
    events +=
        transfer(17, absl::StrCat("f", i), "city", 24'000);  // Cashed out: retired to the issuer.
  }
  int64_t retail_balance[15] = {};
  for (int i = 0; i < 100; ++i) retail_balance[i % 15] += 3'000;
  for (int i = 0; i < 20; ++i) retail_balance[i % 15] += 6'000;
  for (int i = 0; i < 15; ++i) {
    if (i < 3) {
      events += transfer(30, absl::StrCat("r", i), absl::StrCat("f", i), 1'000);
      retail_balance[i] -= 1'000;
    }
    events += transfer(30, absl::StrCat("r", i), "yen", retail_balance[i]);
  }
  return events;
}

TEST(Calibrate, RecoversKnownSharesAndHoldingTimes) {
  absl::StatusOr<Calibration> c = CalibrateFromEvents(SyntheticTown(), 365, 0);
  ASSERT_TRUE(c.ok()) << c.status();
  const Scenario& s = c->scenario;
  EXPECT_EQ(s.residents, 100);
  EXPECT_EQ(s.resident_holding_days, 10);
  ASSERT_EQ(s.sectors.size(), 2u);  // Farm is suppressed.
  EXPECT_EQ(s.sectors[0].name, "food");
  EXPECT_EQ(s.sectors[0].merchants, 20);
  EXPECT_EQ(s.sectors[0].holding_days, 7);
  EXPECT_EQ(s.sectors[1].name, "retail");
  EXPECT_EQ(s.sectors[1].holding_days, 18);
  EXPECT_DOUBLE_EQ(s.resident_spend_share[0], 0.6);
  EXPECT_DOUBLE_EQ(s.resident_spend_share[1], 0.3);
  EXPECT_DOUBLE_EQ(s.sectors[0].respend[1], 0.2);  // Food → retail.
  EXPECT_DOUBLE_EQ(s.sectors[0].respend[0], 0.0);
  EXPECT_DOUBLE_EQ(s.sectors[1].respend[0], 0.0);  // Retail → food: 3 payers, suppressed.
  ASSERT_EQ(s.issuance.size(), 1u);
  EXPECT_EQ(s.issuance[0].day, 0);
  EXPECT_EQ(s.issuance[0].amount_yen, 1'000'000);
}

TEST(Calibrate, SuppressesCellsWithFewerThanTenAccounts) {
  absl::StatusOr<Calibration> c = CalibrateFromEvents(SyntheticTown(), 365, 0);
  ASSERT_TRUE(c.ok()) << c.status();
  auto has = [&](const std::string& prefix) {
    return std::any_of(c->suppressed.begin(), c->suppressed.end(),
                       [&](const std::string& line) { return line.rfind(prefix, 0) == 0; });
  };
  EXPECT_TRUE(has("sector farm (5 merchants)"));
  EXPECT_TRUE(has("sectors.retail.respend.food (3 payers"));
  EXPECT_EQ(c->suppressed.size(), 2u);
  // No account id leaks into the scenario.
  const std::string json = ScenarioToJson(c->scenario);
  EXPECT_EQ(json.find("\"w1"), std::string::npos);
  EXPECT_EQ(json.find("farm"), std::string::npos);
}

TEST(Calibrate, ResultIsAValidScenario) {
  absl::StatusOr<Calibration> c = CalibrateFromEvents(SyntheticTown(), 365, 0);
  ASSERT_TRUE(c.ok());
  absl::StatusOr<Scenario> parsed = ParseScenario(ScenarioToJson(c->scenario));
  EXPECT_TRUE(parsed.ok()) << parsed.status();
}

TEST(Calibrate, ReadsLedgerctlTailJson) {
  absl::StatusOr<Calibration> saved = CalibrateFromEvents(SyntheticTown(Format::kSaved), 365, 0);
  absl::StatusOr<Calibration> tail = CalibrateFromEvents(SyntheticTown(Format::kTail), 365, 0, 1);
  ASSERT_TRUE(saved.ok()) << saved.status();
  ASSERT_TRUE(tail.ok()) << tail.status();
  // Same flows, same scenario: the posted reservation counts once, the voided one and the points
  // (asset 2) not at all.
  EXPECT_EQ(ScenarioToJson(tail->scenario), ScenarioToJson(saved->scenario));
  EXPECT_EQ(tail->suppressed, saved->suppressed);
  EXPECT_EQ(tail->scenario.residents, 100);
  EXPECT_EQ(tail->scenario.resident_holding_days, 10);
  ASSERT_EQ(tail->scenario.sectors.size(), 2u);
  EXPECT_EQ(tail->scenario.sectors[0].merchants, 20);  // The 12 points shops are not counted.
  EXPECT_DOUBLE_EQ(tail->scenario.resident_spend_share[0], 0.6);
}

TEST(Calibrate, TailJsonWithSeveralAssetsNeedsAnAsset) {
  absl::StatusOr<Calibration> c = CalibrateFromEvents(SyntheticTown(Format::kTail), 365, 0);
  ASSERT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(c.status().message().find("2 assets (1, 2); choose one with --asset"),
            std::string::npos)
      << c.status();
}

TEST(Calibrate, TailJsonErrorsNameTheLineAndTheField) {
  const std::string line =
      TailAccount("a", "WALLET") + TailAccount("b", "MERCHANT", "food") +
      R"({"type":"transfer","timestamp":-5,"debit_account":"a","credit_account":"b","amount":5})";
  absl::StatusOr<Calibration> c = CalibrateFromEvents(line, 365, 0);
  ASSERT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(c.status().message().find("events line 3"), std::string::npos) << c.status();
  EXPECT_NE(c.status().message().find("'timestamp' (nanoseconds)"), std::string::npos)
      << c.status();
}

// Day 0: 20 residents buy 10,000 coin each and get a 15 % premium from the premium budget (linked,
// as the demo town does it). Day 3: 12 other residents get 500 coin each from the health budget
// (points exchanged for coin: no purchase). Day 5: 10 residents buy 20,000 with a 20 % premium, and
// one of them also gets 300 from the health budget. Everyone spends it all at 10 food shops on
// day 9. City cost: 30,000 + 6,000 + 40,000 + 300 = 76,300 yen (not the 476,300 yen of coin
// issued).
std::string PremiumTown() {
  std::string events =
      Account("city", "ISSUER") + Account("premium", "BUDGET") + Account("health", "BUDGET");
  for (int i = 0; i < 42; ++i) events += Account(absl::StrCat("w", i), "WALLET");
  for (int i = 0; i < 10; ++i) events += Account(absl::StrCat("f", i), "MERCHANT", "food");
  absl::btree_map<int, int64_t> balance;
  auto pay = [&](int day, const std::string& from, int wallet, int64_t amount) {
    events += Transfer(day, from, absl::StrCat("w", wallet), amount);
    balance[wallet] += amount;
  };
  for (int i = 0; i < 20; ++i) {
    pay(0, "city", i, 10'000);
    pay(0, "premium", i, 1'500);
  }
  for (int i = 20; i < 32; ++i) pay(3, "health", i, 500);
  for (int i = 32; i < 42; ++i) {
    pay(5, "city", i, 20'000);
    pay(5, "premium", i, 4'000);
  }
  pay(5, "health", 32, 300);
  for (const auto& [wallet, amount] : balance) {
    events += Transfer(9, absl::StrCat("w", wallet), absl::StrCat("f", wallet % 10), amount);
  }
  return events;
}

TEST(Calibrate, KeepsPurchasesAndCityFundedPremiumsApart) {
  absl::StatusOr<Calibration> c = CalibrateFromEvents(PremiumTown(), 365, 0);
  ASSERT_TRUE(c.ok()) << c.status();
  const Scenario& s = c->scenario;
  ASSERT_EQ(s.issuance.size(), 3u);
  EXPECT_EQ(s.issuance[0].day, 0);
  EXPECT_EQ(s.issuance[0].program, "premium_voucher");
  EXPECT_EQ(s.issuance[0].amount_yen, 230'000);
  EXPECT_DOUBLE_EQ(s.issuance[0].premium_rate, 0.15);
  EXPECT_EQ(s.issuance[1].day, 3);
  EXPECT_EQ(s.issuance[1].program, "campaign");
  EXPECT_EQ(s.issuance[1].amount_yen, 6'000);
  EXPECT_DOUBLE_EQ(s.issuance[1].premium_rate, 0);
  EXPECT_EQ(s.issuance[2].day, 5);
  EXPECT_EQ(s.issuance[2].program, "premium_voucher");
  EXPECT_EQ(s.issuance[2].amount_yen, 240'300);  // The health coin rides on the purchase day ...
  EXPECT_DOUBLE_EQ(s.issuance[2].premium_rate, 40'300.0 / 200'000);  // ... and costs the city 300.
  EXPECT_NEAR(CityFundedYen(s), 76'300, 1e-6);
  // metrics.json's city cost per yen of new demand: residents spend all of it at food (hop 1).
  Metrics m = RunExact(s);
  EXPECT_NEAR(m.city_cost_yen, 76'300, 1e-6);
  EXPECT_NEAR(m.rounds[0], 476'300, 1e-6);
  EXPECT_NEAR(m.city_cost_per_new_demand_yen, 76'300 / (476'300 * s.additionality), 1e-9);
}

bool Lists(const Calibration& c, const std::string& line) {
  return std::find(c.suppressed.begin(), c.suppressed.end(), line) != c.suppressed.end();
}

// Issuance: on day 0, 30 residents buy 10,000 coin each with a 10 % premium. Then a few buy 5,000
// on each of days 2 (wallets 0–3), 4 (4–6), 6 (7–11) and 8 (12–13): days 2–6 reach 12 wallets, day
// 8 only 2, so it joins them. On day 1 the health budget pays 500 to 3 wallets: suppressed. Shops:
// 12 food shops each take 10,000 from residents on day 10; on day 15 each pays 2,000 to a retail
// shop (12 payers and payees), and 3 of them cash out 4,000 (3 merchants: suppressed, and with it
// food's re-spend row). 12 retail shops take 5,000 each on day 10; only 4 of them pay anyone (1,000
// to a food shop on day 30): their holding time is suppressed.
std::string PrivacyTown() {
  std::string events = Account("city", "ISSUER") + Account("premium", "BUDGET") +
                       Account("health", "BUDGET") + Account("yen", "EXTERNAL");
  for (int i = 0; i < 30; ++i) events += Account(absl::StrCat("w", i), "WALLET");
  for (int i = 0; i < 12; ++i) events += Account(absl::StrCat("f", i), "MERCHANT", "food");
  for (int i = 0; i < 12; ++i) events += Account(absl::StrCat("r", i), "MERCHANT", "retail");
  for (int i = 0; i < 30; ++i) {
    events += Transfer(0, "city", absl::StrCat("w", i), 10'000);
    events += Transfer(0, "premium", absl::StrCat("w", i), 1'000);
  }
  events += Transfer(1, "health", "w20", 500) + Transfer(1, "health", "w21", 500) +
            Transfer(1, "health", "w22", 500);
  const int buyers[][2] = {{2, 0}, {2, 1}, {2, 2}, {2, 3},  {4, 4},  {4, 5},  {4, 6},
                           {6, 7}, {6, 8}, {6, 9}, {6, 10}, {6, 11}, {8, 12}, {8, 13}};
  for (const auto& [day, wallet] : buyers) {
    events += Transfer(day, "city", absl::StrCat("w", wallet), 5'000);
  }
  for (int i = 0; i < 12; ++i) {
    events += Transfer(10, absl::StrCat("w", i), absl::StrCat("f", i), 10'000);
    events += Transfer(10, absl::StrCat("w", i + 12), absl::StrCat("r", i), 5'000);
  }
  for (int i = 0; i < 12; ++i) {
    events += Transfer(15, absl::StrCat("f", i), absl::StrCat("r", (i + 1) % 12), 2'000);
    if (i < 3) events += Transfer(15, absl::StrCat("f", i), "yen", 4'000);
  }
  for (int i = 0; i < 4; ++i) {
    events += Transfer(30, absl::StrCat("r", i), absl::StrCat("f", i), 1'000);
  }
  return events;
}

TEST(Calibrate, MergesIssuanceUntilTenWalletsAndSuppressesSmallPrograms) {
  absl::StatusOr<Calibration> c = CalibrateFromEvents(PrivacyTown(), 365, 0);
  ASSERT_TRUE(c.ok()) << c.status();
  const Scenario& s = c->scenario;
  ASSERT_EQ(s.issuance.size(), 2u);
  EXPECT_EQ(s.issuance[0].day, 0);
  EXPECT_EQ(s.issuance[0].amount_yen, 330'000);
  EXPECT_DOUBLE_EQ(s.issuance[0].premium_rate, 0.1);
  EXPECT_EQ(s.issuance[1].day, 2);  // Days 2, 4, 6 and 8.
  EXPECT_EQ(s.issuance[1].amount_yen, 14 * 5'000);
  EXPECT_EQ(s.issuance[1].program, "premium_voucher");
  EXPECT_DOUBLE_EQ(s.issuance[1].premium_rate, 0);
  EXPECT_TRUE(Lists(*c, "issuance.campaign (3 wallets)"));
}

TEST(Calibrate, SuppressesHoldingTimesOfFewerThanTenMerchants) {
  absl::StatusOr<Calibration> c = CalibrateFromEvents(PrivacyTown(), 365, 0);
  ASSERT_TRUE(c.ok()) << c.status();
  const Scenario& s = c->scenario;
  ASSERT_EQ(s.sectors.size(), 2u);
  EXPECT_EQ(s.sectors[0].name, "food");
  EXPECT_EQ(s.sectors[0].holding_days, 5);  // 12 food shops paid: published.
  EXPECT_EQ(s.sectors[1].name, "retail");
  EXPECT_EQ(s.sectors[1].holding_days, Sector().holding_days);  // Not the 4 shops' 20 days.
  EXPECT_TRUE(Lists(*c, "sectors.retail.holding_days (4 merchants; default 7 days used)"));
  EXPECT_FALSE(Lists(*c, "sectors.food.holding_days (12 merchants; default 7 days used)"));
}

TEST(Calibrate, SuppressesReSpendRowWhenFewerThanTenMerchantsCashOut) {
  absl::StatusOr<Calibration> c = CalibrateFromEvents(PrivacyTown(), 365, 0);
  ASSERT_TRUE(c.ok()) << c.status();
  const Scenario& s = c->scenario;
  // Food → retail (12 payers, 12 payees) would be 24,000 / 36,000; it would reveal that 3 shops
  // cashed out 12,000.
  EXPECT_DOUBLE_EQ(s.sectors[0].respend[1], 0.0);
  EXPECT_TRUE(
      Lists(*c, "sectors.food.respend (cash-out by 3 merchants; default used: no re-spend)"));
  // Retail → food has 4 payers: suppressed as a cell. Nobody in retail cashed out: no row rule.
  EXPECT_TRUE(Lists(*c, "sectors.retail.respend.food (4 payers, 4 payees)"));
  EXPECT_EQ(c->suppressed.size(), 4u) << absl::StrJoin(c->suppressed, "; ");
}

TEST(Calibrate, IssuanceOnManyDaysIsMergedIntoWindows) {
  // 40 days of purchases by 10 wallets each: more than 32 days, so windows of ⌈365 / 32⌉ = 12 days.
  std::string events = Account("city", "ISSUER");
  for (int i = 0; i < 10; ++i) events += Account(absl::StrCat("w", i), "WALLET");
  for (int i = 0; i < 10; ++i) events += Account(absl::StrCat("f", i), "MERCHANT", "food");
  for (int day = 0; day < 40; ++day) {
    for (int i = 0; i < 10; ++i) events += Transfer(day, "city", absl::StrCat("w", i), 100);
  }
  for (int i = 0; i < 10; ++i) {
    events += Transfer(50, absl::StrCat("w", i), absl::StrCat("f", i), 4'000);
  }
  absl::StatusOr<Calibration> c = CalibrateFromEvents(events, 365, 0);
  ASSERT_TRUE(c.ok()) << c.status();
  const Scenario& s = c->scenario;
  ASSERT_EQ(s.issuance.size(), 4u);
  const int first_days[] = {0, 12, 24, 36};
  const int64_t amounts[] = {12'000, 12'000, 12'000, 4'000};
  for (int k = 0; k < 4; ++k) {
    EXPECT_EQ(s.issuance[k].day, first_days[k]);
    EXPECT_EQ(s.issuance[k].amount_yen, amounts[k]);
  }
}

TEST(Calibrate, ErrorsNameTheLine) {
  absl::StatusOr<Calibration> c = CalibrateFromEvents(Transfer(0, "a", "b", 5), 365, 0);
  ASSERT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(c.status().message().find("events line 1"), std::string::npos) << c.status();
}

}  // namespace
}  // namespace sim
