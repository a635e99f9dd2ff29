// The exact engine against closed forms: Keynesian multiplier, LM3 = 1 + p + p², (I − A)⁻¹,
// demurrage, expiry, and reconciliation.
#include "sim/exact_engine.h"

#include <cmath>

#include "gtest/gtest.h"
#include "sim/test_scenarios.h"

namespace sim {
namespace {

TEST(ExactEngine, KeynesianMultiplierAndLm3) {
  for (double p : {0.0, 0.3, 0.5, 0.8}) {
    Scenario s = testing::OneSector(p, 3000);
    Metrics m = RunExact(s);
    EXPECT_NEAR(m.multiplier, 1 / (1 - p), 1e-9) << "p=" << p;
    EXPECT_NEAR(m.lm3, 1 + p + p * p, 1e-12) << "p=" << p;
    const double hop3 = m.rounds.size() >= 3 ? m.rounds[2] : 0;
    EXPECT_NEAR(hop3, 10'000'000 * p * p, 1e-6);
    EXPECT_NEAR(m.cashed_out_yen, 10'000'000, 1e-3);
    EXPECT_NEAR(ReconciliationGap(m), 0, 1e-6);
  }
}

TEST(ExactEngine, HorizonCutsTheRounds) {
  // Residents spend on day 1, the shop re-spends every 10 days: hops on days 1, 11, 21, 31 fit in
  // 35 days, so turnover is 1 + p + p² + p³; the p³ received on day 31 is still held on day 35.
  Scenario s = testing::OneSector(0.5, 35, 10);
  Metrics m = RunExact(s);
  EXPECT_NEAR(m.multiplier, 1 + 0.5 + 0.25 + 0.125, 1e-12);
  EXPECT_NEAR(m.held_yen, 10'000'000 * 0.125, 1e-6);
  EXPECT_NEAR(ReconciliationGap(m), 0, 1e-6);
}

TEST(ExactEngine, MatchesMatrixInverseOverSectors) {
  Scenario s = testing::SmallTown();
  s.days = 3650;
  s.issuance = {Issuance{0, 50'000'000, "premium_voucher", 0.2}};
  Metrics m = RunExact(s);
  std::vector<double> receipts = ClosedFormSectorReceipts(s);
  for (size_t j = 0; j < s.sectors.size(); ++j) {
    EXPECT_NEAR(m.sectors[j].sales_yen, 50'000'000 * receipts[j], 1e-3) << s.sectors[j].name;
  }
  EXPECT_NEAR(ReconciliationGap(m), 0, 1e-3);
}

TEST(ExactEngine, LinearAndCompoundDemurrage) {
  Scenario s = testing::OneSector(0.0, 365);
  s.resident_holding_days = 100;
  s.demurrage_mode = DemurrageMode::kLinear;
  s.demurrage_rate_per_year = 0.0365;
  s.demurrage_grace_days = 10;
  Metrics linear = RunExact(s);
  // Residents: 90 charged days at 3.65 %/year = 0.9 %. The shop holds 1 day: within grace.
  EXPECT_NEAR(linear.demurrage_yen, 10'000'000 * 0.009, 1e-6);
  s.demurrage_mode = DemurrageMode::kCompound;
  Metrics compound = RunExact(s);
  EXPECT_NEAR(compound.demurrage_yen, 10'000'000 * (1 - std::pow(1 - 0.0365 / 365, 90)), 1e-6);
  EXPECT_LT(compound.demurrage_yen, linear.demurrage_yen);
  EXPECT_NEAR(ReconciliationGap(compound), 0, 1e-6);
}

TEST(ExactEngine, ExpiryTurnsUnspentCoinIntoBreakage) {
  Scenario s = testing::OneSector(0.5, 365, 10);
  // Hops on days 1, 11 and 21 happen; the p² received on day 21, due on day 31, lapses on day 25.
  s.expiry_days = 25;
  Metrics m = RunExact(s);
  EXPECT_NEAR(m.turnover_yen, 10'000'000 * 1.75, 1e-6);
  EXPECT_NEAR(m.breakage_yen, 10'000'000 * 0.25, 1e-6);
  EXPECT_NEAR(ReconciliationGap(m), 0, 1e-6);
}

TEST(ExactEngine, LongHorizonWithManyIssuancesStaysFastAndBalanced) {
  Scenario s = testing::SmallTown();
  s.days = 3650;
  for (auto& sector : s.sectors) sector.holding_days = 1;
  s.resident_holding_days = 1;
  s.issuance.clear();
  for (int i = 0; i < 64; ++i) s.issuance.push_back(Issuance{i * 50, 1'000'000, "campaign", 0});
  Metrics m = RunExact(s);
  EXPECT_NEAR(ReconciliationGap(m), 0, 1e-3);
  EXPECT_LT(m.held_yen, 1e-3);  // Only the negligible tails.
  std::vector<double> receipts = ClosedFormSectorReceipts(s);
  EXPECT_NEAR(m.sectors[0].sales_yen, 64'000'000 * receipts[0], 1e-2);
}

TEST(ExactEngine, CoinStockAndVelocity) {
  // p = 0: coin is held by residents on day 0 (1 day) and by the shop on day 1 (holding 1 day).
  Scenario s = testing::OneSector(0.0, 10);
  Metrics m = RunExact(s);
  EXPECT_DOUBLE_EQ(m.coin_stock[0], 10'000'000);
  EXPECT_DOUBLE_EQ(m.coin_stock[1], 10'000'000);
  EXPECT_DOUBLE_EQ(m.coin_stock[2], 0);
  EXPECT_NEAR(m.average_coin_stock_yen, 2'000'000, 1e-9);
  EXPECT_NEAR(m.velocity_per_year, 10'000'000 * 36.5 / 2'000'000, 1e-9);
}

TEST(ExactEngine, CityCostPerYenOfNewDemand) {
  Scenario s = testing::OneSector(0.0, 30);  // 10M coin with a 25 % premium: the city paid 2M.
  Metrics m = RunExact(s);
  EXPECT_NEAR(m.city_cost_yen, 2'000'000, 1e-6);
  EXPECT_NEAR(m.new_demand_yen, 5'000'000, 1e-6);
  EXPECT_NEAR(m.city_cost_per_new_demand_yen, 0.4, 1e-12);
  // Net benefit = extra sales × margin − fees = 5M × 0.2 − 0.
  EXPECT_NEAR(m.sectors[0].net_benefit_yen, 1'000'000, 1e-6);
}

}  // namespace
}  // namespace sim
