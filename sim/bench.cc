// Benchmark of the agent engine: 100,000 residents, 1,000 merchants, 365 days (goal: under 30 s on
// the 2-core machine). Prints a table; not a test. Usage: bench [--runs_max N]
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "sim/agent_engine.h"
#include "sim/exact_engine.h"
#include "sim/scenario.h"

namespace sim {
namespace {

Scenario BenchTown() {
  Scenario s;
  s.name = "bench: 100k residents, 1k merchants, 365 days";
  s.days = 365;
  s.residents = 100'000;
  s.resident_holding_days = 14;
  s.additionality = 0.33;
  s.b2b_bps = 50;
  s.redeem_bps = 150;
  s.expiry_days = 180;
  s.demurrage_mode = DemurrageMode::kLinear;
  s.demurrage_rate_per_year = 0.06;
  s.demurrage_grace_days = 30;
  s.resident_payment_yen = 2000;
  s.b2b_payment_yen = 20000;
  // 1,000 merchants in six sectors.
  s.sectors = {
      Sector{"small_retail", 300, 10, 0.25, {0, 0.05, 0, 0, 0.1, 0.05}},
      Sector{"supermarket", 40, 5, 0.08, {0, 0, 0, 0, 0.05, 0.15}},
      Sector{"food", 250, 7, 0.3, {0, 0.1, 0, 0, 0.05, 0.2}},
      Sector{"lodging", 60, 14, 0.25, {0, 0, 0.1, 0, 0.1, 0.05}},
      Sector{"services", 200, 10, 0.35, {0.1, 0, 0.1, 0, 0, 0}},
      Sector{"farm", 150, 21, 0.2, {0.05, 0.1, 0, 0, 0.1, 0}},
  };
  s.resident_spend_share = {0.25, 0.35, 0.2, 0.05, 0.1, 0.03};
  // 20,000 yen per resident at the start, then 1,000 health points a month.
  s.issuance.push_back(Issuance{0, 2'000'000'000, "premium_voucher", 0.2});
  for (int month = 1; month < 12; ++month)
    s.issuance.push_back(Issuance{month * 30, 100'000'000, "health_points", 0});
  return s;
}

double Seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace
}  // namespace sim

int main() {
  using namespace sim;
  const Scenario s = BenchTown();
  const int cores = std::max(1u, std::thread::hardware_concurrency());
  int merchants = 0;
  for (const Sector& sector : s.sectors) merchants += sector.merchants;
  std::printf("%s (%d residents, %d merchants, %d days, %d cores)\n", s.name.c_str(), s.residents,
              merchants, s.days, cores);
  std::printf("%-34s %6s %8s %10s %12s %14s\n", "engine", "runs", "threads", "wall s", "s per run",
              "turnover yen");
  auto start = std::chrono::steady_clock::now();
  Metrics exact = RunExact(s);
  std::printf("%-34s %6d %8d %10.2f %12.2f %14.0f\n", "exact expected value", 1, 1, Seconds(start),
              Seconds(start), exact.turnover_yen);
  for (int threads : {1, cores}) {
    const int runs = threads;
    start = std::chrono::steady_clock::now();
    MonteCarloSummary mc = RunMonteCarlo(s, runs, 42, threads);
    const double wall = Seconds(start);
    std::printf("%-34s %6d %8d %10.2f %12.2f %14.0f\n", "agent Monte Carlo", runs, threads, wall,
                wall / runs, mc.mean["turnover_yen"]);
    if (threads == cores) break;
  }
  start = std::chrono::steady_clock::now();
  MonteCarloSummary mc = RunMonteCarlo(s, 2 * cores, 42, cores);
  const double wall = Seconds(start);
  std::printf("%-34s %6d %8d %10.2f %12.2f %14.0f\n", "agent Monte Carlo", 2 * cores, cores, wall,
              wall / (2 * cores), mc.mean["turnover_yen"]);
  std::printf("agent mean turnover vs exact: %+.3f%%\n",
              100 * (mc.mean["turnover_yen"] / exact.turnover_yen - 1));
  return 0;
}
