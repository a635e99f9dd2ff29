// The figures both engines produce, and the derived ones (LM3, multiplier, velocity, benefit)
// computed from them in one place so the engines cannot disagree on a definition. Field names are
// documented in sim/README.md and are stable: metrics.json uses them as written here.
#ifndef SIM_METRICS_H_
#define SIM_METRICS_H_

#include <string>
#include <vector>

#include "absl/container/btree_map.h"
#include "sim/scenario.h"

namespace sim {

struct SectorMetrics {
  std::string name;
  double sales_yen = 0;           // All coin received, gross of the B2B fee (resident + B2B).
  double resident_sales_yen = 0;  // Hop 1.
  double b2b_sales_yen = 0;       // Hops 2 and later.
  double extra_sales_yen = 0;     // sales_yen × additionality: the part that is new demand.
  double b2b_paid_yen = 0;        // Coin it re-spent at other merchants (gross of the B2B fee).
  double cash_out_gross_yen = 0;  // Coin it cashed out (gross of the redemption fee).
  double fees_paid_yen = 0;       // B2B fees on its payments plus redemption fees on its cash-outs.
  double net_benefit_yen = 0;     // extra_sales_yen × margin − fees_paid_yen.
};

struct Metrics {
  // Where the issued coin ended up; these seven reconcile: issued = the other six + fees.
  double issued_yen = 0;
  double held_yen = 0;  // Still held by residents or merchants at the end of the horizon.
  double spent_out_of_system_yen = 0;
  double cashed_out_yen = 0;  // Yen paid to merchants, net of the redemption fee.
  double fees_b2b_yen = 0;
  double fees_redeem_yen = 0;
  double breakage_yen = 0;
  double demurrage_yen = 0;
  // rounds[k - 1]: coin paid in hop k (hop 1: residents pay merchants; hop 2: first B2B
  // re-spend...).
  std::vector<double> rounds;
  // exit_by_hops[k]: coin that left circulation (any way, or is still held) after exactly k hops.
  std::vector<double> exit_by_hops;
  std::vector<double> coin_stock;  // Coin held at the end of each day (gross of pending demurrage).
  double b2b_volume_yen = 0;
  std::vector<SectorMetrics> sectors;

  // Derived by FinishMetrics.
  double turnover_yen = 0;  // Sum of rounds.
  double lm3 = 0;           // (hop 1 + hop 2 + hop 3) / hop 1.
  double multiplier = 0;    // turnover / hop 1.
  double average_coin_stock_yen = 0;
  double velocity_per_year = 0;  // (turnover × 365 / days) / average coin stock.
  double city_cost_yen = 0;      // Premiums and city-funded programs.
  double new_demand_yen = 0;     // Hop 1 × additionality.
  double city_cost_per_new_demand_yen = 0;
  double respent_locally_per_1000_yen = 0;  // Hop 2 per 1,000 yen of hop 1 (for the summary).
};

// Fills the derived fields from the raw ones.
void FinishMetrics(const Scenario& scenario, Metrics* metrics);

// issued − (held + out + cashed out + fees + breakage + demurrage): zero when the books balance.
double ReconciliationGap(const Metrics& metrics);

// Every scalar figure under a flat, stable name ("lm3", "rounds.hop_2",
// "sectors.food.net_benefit_yen", "hop_distribution.hops_1"), for Monte Carlo summaries and
// comparisons.
absl::btree_map<std::string, double> ScalarFigures(const Metrics& metrics);

}  // namespace sim

#endif  // SIM_METRICS_H_
