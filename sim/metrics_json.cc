// Writes metrics.json. Maps are btree maps or vectors, so the output order is fixed.
#include "sim/metrics_json.h"

#include <algorithm>
#include <cmath>

#include "nlohmann/json.hpp"
#include "sim/exact_engine.h"

namespace sim {
namespace {

using Json = nlohmann::ordered_json;

// Yen figures from the exact engine are rounded to 0.01 yen in the file; ratios keep 6 decimals.
double Yen(double v) { return std::round(v * 100) / 100; }
double Ratio(double v) { return std::round(v * 1e6) / 1e6; }

Json ExactToJson(const Metrics& m) {
  Json j;
  j["issued_yen"] = Yen(m.issued_yen);
  j["held_yen"] = Yen(m.held_yen);
  j["spent_out_of_system_yen"] = Yen(m.spent_out_of_system_yen);
  j["cashed_out_yen"] = Yen(m.cashed_out_yen);
  j["fees"] = {{"b2b_yen", Yen(m.fees_b2b_yen)}, {"redeem_yen", Yen(m.fees_redeem_yen)}};
  j["breakage_yen"] = Yen(m.breakage_yen);
  j["demurrage_yen"] = Yen(m.demurrage_yen);
  j["reconciliation_gap_yen"] = Yen(ReconciliationGap(m));
  // Trailing hops that round to zero are left out.
  size_t hops = m.rounds.size();
  while (hops > 0 && Yen(m.rounds[hops - 1]) == 0) --hops;
  j["rounds"] = Json::array();
  for (size_t k = 0; k < hops; ++k) j["rounds"].push_back(Yen(m.rounds[k]));
  size_t exits = m.exit_by_hops.size();
  while (exits > 0 && Ratio(m.exit_by_hops[exits - 1] / std::max(1.0, m.issued_yen)) == 0) --exits;
  j["hop_distribution"] = Json::array();
  for (size_t k = 0; k < exits; ++k)
    j["hop_distribution"].push_back(Ratio(m.exit_by_hops[k] / std::max(1.0, m.issued_yen)));
  j["lm3"] = Ratio(m.lm3);
  j["multiplier"] = Ratio(m.multiplier);
  j["turnover_yen"] = Yen(m.turnover_yen);
  j["b2b_volume_yen"] = Yen(m.b2b_volume_yen);
  j["average_coin_stock_yen"] = Yen(m.average_coin_stock_yen);
  j["velocity_per_year"] = Ratio(m.velocity_per_year);
  j["city_cost_yen"] = Yen(m.city_cost_yen);
  j["new_demand_yen"] = Yen(m.new_demand_yen);
  j["city_cost_per_new_demand_yen"] = Ratio(m.city_cost_per_new_demand_yen);
  j["respent_locally_per_1000_yen"] = Ratio(m.respent_locally_per_1000_yen);
  j["sectors"] = Json::array();
  for (const SectorMetrics& s : m.sectors) {
    j["sectors"].push_back({{"name", s.name},
                            {"sales_yen", Yen(s.sales_yen)},
                            {"resident_sales_yen", Yen(s.resident_sales_yen)},
                            {"b2b_sales_yen", Yen(s.b2b_sales_yen)},
                            {"extra_sales_yen", Yen(s.extra_sales_yen)},
                            {"b2b_paid_yen", Yen(s.b2b_paid_yen)},
                            {"cash_out_gross_yen", Yen(s.cash_out_gross_yen)},
                            {"fees_paid_yen", Yen(s.fees_paid_yen)},
                            {"net_benefit_yen", Yen(s.net_benefit_yen)}});
  }
  j["coin_stock_yen"] = Json::array();
  for (double v : m.coin_stock) j["coin_stock_yen"].push_back(Yen(v));
  return j;
}

Json FlatToJson(const absl::btree_map<std::string, double>& figures) {
  Json j = Json::object();
  for (const auto& [name, value] : figures) j[name] = std::round(value * 1e6) / 1e6;
  return j;
}

}  // namespace

RunResult RunBoth(const Scenario& scenario, int runs, uint64_t seed, int threads,
                  const std::function<void(int, int)>& progress) {
  RunResult result;
  result.scenario = scenario;
  result.exact = RunExact(scenario);
  result.monte_carlo = RunMonteCarlo(scenario, runs, seed, threads, progress);
  return result;
}

std::string MetricsToJson(const RunResult& r) {
  Json root;
  root["format"] = "circsim.metrics.v1";
  root["scenario"] = {
      {"name", r.scenario.name}, {"days", r.scenario.days}, {"residents", r.scenario.residents}};
  root["exact"] = ExactToJson(r.exact);
  Json mc;
  mc["runs"] = r.monte_carlo.runs;
  mc["seed"] = r.monte_carlo.seed;
  mc["mean"] = FlatToJson(r.monte_carlo.mean);
  mc["p5"] = FlatToJson(r.monte_carlo.p5);
  mc["p95"] = FlatToJson(r.monte_carlo.p95);
  mc["first_run_reconciliation_gap_yen"] = ReconciliationGap(r.monte_carlo.first_run);
  root["monte_carlo"] = mc;
  return root.dump(2) + "\n";
}

}  // namespace sim
