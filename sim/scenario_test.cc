// Scenario parsing: a full example round-trips; errors name the field and the limit.
#include "sim/scenario.h"

#include "gtest/gtest.h"

namespace sim {
namespace {

constexpr char kExample[] = R"({
  "name": "test", "days": 180, "residents": 500, "resident_holding_days": 10, "additionality": 0.3,
  "b2b_bps": 50, "redeem_bps": 150, "expiry_days": 120,
  "demurrage": {"mode": "linear", "rate_per_year": 0.06, "grace_days": 30},
  "resident_spend_share": {"food": 0.3, "retail": 0.6},
  "sectors": [
    {"name": "retail", "merchants": 20, "holding_days": 7, "margin": 0.25, "respend": {"food": 0.1}},
    {"name": "food", "merchants": 10, "holding_days": 3, "margin": 0.3, "respend": {"retail": 0.2, "food": 0.05}}
  ],
  "issuance": [{"day": 0, "amount_yen": 10000000, "program": "premium_voucher", "premium_rate": 0.2}]
})";

TEST(Scenario, ParsesEveryField) {
  absl::StatusOr<Scenario> s = ParseScenario(kExample);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->days, 180);
  EXPECT_EQ(s->sectors.size(), 2u);
  EXPECT_EQ(s->sectors[1].name, "food");
  EXPECT_DOUBLE_EQ(s->sectors[1].respend[0], 0.2);
  EXPECT_DOUBLE_EQ(s->sectors[1].respend[1], 0.05);
  EXPECT_DOUBLE_EQ(s->resident_spend_share[0], 0.6);
  EXPECT_EQ(s->demurrage_mode, DemurrageMode::kLinear);
  EXPECT_EQ(s->demurrage_grace_days, 30);
  EXPECT_EQ(s->issuance[0].amount_yen, 10'000'000);
}

TEST(Scenario, RoundTripsThroughJson) {
  absl::StatusOr<Scenario> s = ParseScenario(kExample);
  ASSERT_TRUE(s.ok());
  absl::StatusOr<Scenario> again = ParseScenario(ScenarioToJson(*s));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(ScenarioToJson(*again), ScenarioToJson(*s));
}

void ExpectError(const std::string& from, const std::string& to, const std::string& message) {
  std::string text = kExample;
  const size_t at = text.find(from);
  ASSERT_NE(at, std::string::npos) << from;
  text.replace(at, from.size(), to);
  absl::StatusOr<Scenario> s = ParseScenario(text);
  ASSERT_FALSE(s.ok()) << to;
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.status().message().find(message), std::string::npos) << s.status().message();
}

TEST(Scenario, ErrorsNameTheFieldAndTheLimit) {
  ExpectError("\"days\": 180", "\"days\": 4000", "'days': is 4000, must be between 1 and 3650");
  ExpectError("\"residents\": 500", "\"residents\": 0.5", "'residents': must be an integer");
  ExpectError("\"food\": 0.3, \"retail\": 0.6", "\"food\": 0.5, \"retail\": 0.6",
              "'resident_spend_share': shares sum to 1.1, must be at most 1");
  ExpectError("{\"food\": 0.1}", "{\"bakery\": 0.1}",
              "'sectors[0].respend.bakery': names no sector");
  ExpectError("\"holding_days\": 3", "\"holding_days\": 0",
              "'sectors[1].holding_days': is 0, must be between 1");
  ExpectError("\"day\": 0", "\"day\": 180", "'issuance[0].day': is 180, must be between 0 and 179");
  ExpectError("\"linear\"", "\"steep\"", "'demurrage.mode': must be one of none, linear, compound");
  ExpectError("\"b2b_bps\": 50", "\"b2b_bps\": 10001",
              "'b2b_bps': is 10001, must be between 0 and 10000");
  ExpectError("\"name\": \"test\"", "\"nmae\": \"test\"", "scenario: unknown field \"nmae\"");
  ExpectError("\"name\": \"food\"", "\"name\": \"retail\"", "'retail' appears twice");
  ExpectError("\"premium_rate\": 0.2", "\"premium_rate\": -1", "'issuance[0].premium_rate'");
}

TEST(Scenario, RejectsUnknownFieldsInsideEntries) {
  // Each of these would otherwise leave the default in place without a word.
  ExpectError("\"margin\": 0.3,", "\"margn\": 0.3,",
              "scenario: sectors[1]: unknown field \"margn\" (known: name, merchants, "
              "holding_days, margin, respend;");
  ExpectError("\"respend\": {\"food\": 0.1}", "\"respend\": {\"food\": 0.1}, \"b2b\": 0.4",
              "scenario: sectors[0]: unknown field \"b2b\"");
  ExpectError("\"premium_rate\": 0.2", "\"premium\": 0.2",
              "scenario: issuance[0]: unknown field \"premium\"");
  ExpectError("\"grace_days\": 30", "\"grace\": 30",
              "scenario: demurrage: unknown field \"grace\"");
}

TEST(Scenario, RejectsMalformedJson) {
  absl::StatusOr<Scenario> s = ParseScenario("{\"days\": ");
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace sim
