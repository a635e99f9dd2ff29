// Calibration on a synthetic event stream with known shares and holding times, and k-anonymity
// suppression of small cells.
#include "sim/calibrate.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

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

// 100 wallets get 10,000 on day 0 and on day 10 pay 6,000 at food (20 shops), 3,000 at retail (15
// shops) and 1,000 at farms (5 farms: too few, suppressed). On day 17 every food shop pays 6,000 of
// its 30,000 to a retail shop (share 0.2) and cashes out the rest (coin retired to the issuer). On day 30 three retail shops pay
// 1,000 each to food (3 payers: suppressed) and all retail shops cash out. Retail holds 300,000 for
// 20 days and 120,000 for 13 days: (300,000 × 20 + 120,000 × 13) / 420,000 = 18 days.
std::string SyntheticTown() {
  std::string events = Account("city", "ISSUER") + Account("yen", "EXTERNAL");
  for (int i = 0; i < 100; ++i) events += Account(absl::StrCat("w", i), "WALLET");
  for (int i = 0; i < 20; ++i) events += Account(absl::StrCat("f", i), "MERCHANT", "food");
  for (int i = 0; i < 15; ++i) events += Account(absl::StrCat("r", i), "MERCHANT", "retail");
  for (int i = 0; i < 5; ++i) events += Account(absl::StrCat("p", i), "MERCHANT", "farm");
  for (int i = 0; i < 100; ++i) events += Transfer(0, "city", absl::StrCat("w", i), 10'000);
  for (int i = 0; i < 100; ++i) {
    events += Transfer(10, absl::StrCat("w", i), absl::StrCat("f", i % 20), 6'000);
    events += Transfer(10, absl::StrCat("w", i), absl::StrCat("r", i % 15), 3'000);
    events += Transfer(10, absl::StrCat("w", i), absl::StrCat("p", i % 5), 1'000);
  }
  for (int i = 0; i < 20; ++i) {
    events += Transfer(17, absl::StrCat("f", i), absl::StrCat("r", i % 15), 6'000);
    events += Transfer(17, absl::StrCat("f", i), "city", 24'000);  // Cashed out: retired to the issuer.
  }
  int64_t retail_balance[15] = {};
  for (int i = 0; i < 100; ++i) retail_balance[i % 15] += 3'000;
  for (int i = 0; i < 20; ++i) retail_balance[i % 15] += 6'000;
  for (int i = 0; i < 15; ++i) {
    if (i < 3) {
      events += Transfer(30, absl::StrCat("r", i), absl::StrCat("f", i), 1'000);
      retail_balance[i] -= 1'000;
    }
    events += Transfer(30, absl::StrCat("r", i), "yen", retail_balance[i]);
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

TEST(Calibrate, ErrorsNameTheLine) {
  absl::StatusOr<Calibration> c = CalibrateFromEvents(Transfer(0, "a", "b", 5), 365, 0);
  ASSERT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(c.status().message().find("events line 1"), std::string::npos) << c.status();
}

}  // namespace
}  // namespace sim
