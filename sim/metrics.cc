// Derived figures shared by both engines.
#include "sim/metrics.h"

#include "absl/strings/str_cat.h"

namespace sim {

void FinishMetrics(const Scenario& scenario, Metrics* m) {
  m->turnover_yen = 0;
  for (double r : m->rounds) m->turnover_yen += r;
  const double hop1 = m->rounds.size() > 0 ? m->rounds[0] : 0;
  double first_three = 0;
  for (size_t k = 0; k < m->rounds.size() && k < 3; ++k) first_three += m->rounds[k];
  m->lm3 = hop1 > 0 ? first_three / hop1 : 0;
  m->multiplier = hop1 > 0 ? m->turnover_yen / hop1 : 0;
  m->respent_locally_per_1000_yen =
      hop1 > 0 && m->rounds.size() > 1 ? 1000 * m->rounds[1] / hop1 : 0;
  double stock_sum = 0;
  for (double s : m->coin_stock) stock_sum += s;
  m->average_coin_stock_yen = m->coin_stock.empty() ? 0 : stock_sum / m->coin_stock.size();
  m->velocity_per_year = m->average_coin_stock_yen > 0
                             ? m->turnover_yen * 365.0 / scenario.days / m->average_coin_stock_yen
                             : 0;
  m->city_cost_yen = CityFundedYen(scenario);
  m->new_demand_yen = hop1 * scenario.additionality;
  m->city_cost_per_new_demand_yen =
      m->new_demand_yen > 0 ? m->city_cost_yen / m->new_demand_yen : 0;
  for (size_t j = 0; j < m->sectors.size(); ++j) {
    SectorMetrics& s = m->sectors[j];
    s.name = scenario.sectors[j].name;
    s.sales_yen = s.resident_sales_yen + s.b2b_sales_yen;
    s.extra_sales_yen = s.sales_yen * scenario.additionality;
    s.net_benefit_yen = s.extra_sales_yen * scenario.sectors[j].margin - s.fees_paid_yen;
  }
}

double ReconciliationGap(const Metrics& m) {
  return m.issued_yen - (m.held_yen + m.spent_out_of_system_yen + m.cashed_out_yen +
                         m.fees_b2b_yen + m.fees_redeem_yen + m.breakage_yen + m.demurrage_yen);
}

absl::btree_map<std::string, double> ScalarFigures(const Metrics& m) {
  absl::btree_map<std::string, double> f;
  f["issued_yen"] = m.issued_yen;
  f["held_yen"] = m.held_yen;
  f["spent_out_of_system_yen"] = m.spent_out_of_system_yen;
  f["cashed_out_yen"] = m.cashed_out_yen;
  f["fees.b2b_yen"] = m.fees_b2b_yen;
  f["fees.redeem_yen"] = m.fees_redeem_yen;
  f["breakage_yen"] = m.breakage_yen;
  f["demurrage_yen"] = m.demurrage_yen;
  f["b2b_volume_yen"] = m.b2b_volume_yen;
  f["turnover_yen"] = m.turnover_yen;
  f["lm3"] = m.lm3;
  f["multiplier"] = m.multiplier;
  f["average_coin_stock_yen"] = m.average_coin_stock_yen;
  f["velocity_per_year"] = m.velocity_per_year;
  f["city_cost_yen"] = m.city_cost_yen;
  f["new_demand_yen"] = m.new_demand_yen;
  f["city_cost_per_new_demand_yen"] = m.city_cost_per_new_demand_yen;
  f["respent_locally_per_1000_yen"] = m.respent_locally_per_1000_yen;
  for (size_t k = 0; k < m.rounds.size() && k < 10; ++k)
    f[absl::StrCat("rounds.hop_", k + 1)] = m.rounds[k];
  for (size_t k = 0; k < m.exit_by_hops.size() && k < 10; ++k) {
    f[absl::StrCat("hop_distribution.hops_", k)] =
        m.issued_yen > 0 ? m.exit_by_hops[k] / m.issued_yen : 0;
  }
  for (const SectorMetrics& s : m.sectors) {
    const std::string p = absl::StrCat("sectors.", s.name, ".");
    f[p + "sales_yen"] = s.sales_yen;
    f[p + "extra_sales_yen"] = s.extra_sales_yen;
    f[p + "fees_paid_yen"] = s.fees_paid_yen;
    f[p + "cash_out_gross_yen"] = s.cash_out_gross_yen;
    f[p + "net_benefit_yen"] = s.net_benefit_yen;
  }
  return f;
}

}  // namespace sim
