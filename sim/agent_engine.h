// The agent-based Monte Carlo engine: individual residents and merchants, daily steps, integer yen.
//
// Randomness: each payment picks its recipient sector by the spend/re-spend shares and a merchant
// uniformly within the sector, from a generator seeded by (seed, run). Residents pay in payments of
// `resident_payment_yen`, merchants in payments of `b2b_payment_yen` (the last one takes the
// remainder).
//
// Rounding rule (all amounts are int64 yen): an issuance is split evenly over residents, the first
// (amount mod residents) residents getting one yen more; fees are rounded down (in the payer's
// favour), so the recipient or the cash-out gets the rest; demurrage is rounded down with the
// remainder carried: each run keeps a running total of the unrounded demurrage due, and each charge
// is the whole yen by which floor(total) advanced since the previous charge (never more than the
// amount held; a capped part stays owed). The demurrage charged in a run is thus within one yen of
// the unrounded total, without the bias of rounding each small charge alone (residents of one
// issuance hold equal shares, so their charges all round the same way). The books reconcile to the
// yen:
// issued = held + spent_out_of_system + cashed_out + fees + breakage + demurrage, checked at the
// end of every run.
#ifndef SIM_AGENT_ENGINE_H_
#define SIM_AGENT_ENGINE_H_

#include <cstdint>
#include <functional>
#include <vector>

#include "absl/container/btree_map.h"
#include "sim/metrics.h"
#include "sim/scenario.h"

namespace sim {

// One run. Money fields of the result are whole yen (stored in doubles only for the shared type).
Metrics RunAgent(const Scenario& scenario, uint64_t seed);

struct MonteCarloSummary {
  int runs = 0;
  uint64_t seed = 0;
  absl::btree_map<std::string, double> mean, p5, p95;
  std::vector<double> coin_stock_mean;  // Per day.
  Metrics first_run;                    // Run 0, for the per-hop and per-day shapes.
};

// `runs` runs on `threads` threads; run r uses seed Mix(seed, r), so results do not depend on
// threads. `progress(done, runs)` is called after each run (serialised).
MonteCarloSummary RunMonteCarlo(const Scenario& scenario, int runs, uint64_t seed, int threads,
                                const std::function<void(int, int)>& progress = nullptr);

// Percentile by linear interpolation between order statistics (type 7).
double Percentile(std::vector<double> values, double q);

}  // namespace sim

#endif  // SIM_AGENT_ENGINE_H_
