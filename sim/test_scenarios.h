// Small scenarios built in code for the engine tests.
#ifndef SIM_TEST_SCENARIOS_H_
#define SIM_TEST_SCENARIOS_H_

#include "sim/scenario.h"

namespace sim::testing {

// One sector that re-spends share p of its receipts at itself; residents spend everything there.
// No fees, no expiry, no demurrage: the Keynesian limit, multiplier 1/(1 − p) as days → ∞.
inline Scenario OneSector(double p, int days, int holding_days = 1) {
  Scenario s;
  s.name = "one sector";
  s.days = days;
  s.residents = 100;
  s.resident_holding_days = 1;
  s.additionality = 0.5;
  s.b2b_bps = 0;
  s.redeem_bps = 0;
  s.resident_payment_yen = 1000;
  s.b2b_payment_yen = 1000;
  s.sectors = {Sector{"shop", 10, holding_days, 0.2, {p}}};
  s.resident_spend_share = {1.0};
  s.issuance = {Issuance{0, 10'000'000, "premium_voucher", 0.25}};
  return s;
}

// Three sectors with cross re-spend, fees, leakage and two issuances.
inline Scenario SmallTown() {
  Scenario s;
  s.name = "small town";
  s.days = 365;
  s.residents = 2000;
  s.resident_holding_days = 10;
  s.additionality = 0.33;
  s.b2b_bps = 50;
  s.redeem_bps = 150;
  s.resident_payment_yen = 3000;
  s.b2b_payment_yen = 20000;
  s.sectors = {
      Sector{"retail", 40, 7, 0.25, {0.05, 0.20, 0.10}},
      Sector{"supermarket", 5, 5, 0.10, {0.0, 0.05, 0.25}},
      Sector{"farm", 20, 14, 0.30, {0.10, 0.05, 0.0}},
  };
  s.resident_spend_share = {0.45, 0.40, 0.10};
  s.issuance = {Issuance{0, 40'000'000, "premium_voucher", 0.2},
                Issuance{120, 10'000'000, "health_points", 0}};
  return s;
}

}  // namespace sim::testing

#endif  // SIM_TEST_SCENARIOS_H_
