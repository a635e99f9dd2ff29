// metrics.json: the stable output of `circsim run` (field names documented in sim/README.md).
#ifndef SIM_METRICS_JSON_H_
#define SIM_METRICS_JSON_H_

#include <string>

#include "sim/agent_engine.h"
#include "sim/metrics.h"
#include "sim/scenario.h"

namespace sim {

struct RunResult {
  Scenario scenario;
  Metrics exact;
  MonteCarloSummary monte_carlo;
};

// Runs both engines on a scenario. `progress` is forwarded to the Monte Carlo runs.
RunResult RunBoth(const Scenario& scenario, int runs, uint64_t seed, int threads,
                  const std::function<void(int, int)>& progress = nullptr);

std::string MetricsToJson(const RunResult& result);

}  // namespace sim

#endif  // SIM_METRICS_JSON_H_
