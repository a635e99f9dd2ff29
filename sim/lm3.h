// LM3 (New Economics Foundation, "The Money Trail") for one organisation from its spending
// breakdown.
//
//   R1 = income entering the area; R2 = local payroll + local supplier spending;
//   R3 = local payroll × staff local-spend share (mean of survey answers)
//        + Σ supplier spending × that supplier's local re-spend share;
//   LM3 = (R1 + R2 + R3) / R1, between 1 and 3.
//
// Input format (JSON): {"organisation": "...", "income_yen": 1000000, "local_payroll_yen": 300000,
//   "staff_local_spend_share": [0.5, 0.7] (or one number),
//   "suppliers": [{"name": "...", "local_spend_yen": 200000, "local_respend_share": 0.4}]}.
#ifndef SIM_LM3_H_
#define SIM_LM3_H_

#include <string>

#include "absl/status/statusor.h"

namespace sim {

struct Lm3Result {
  std::string organisation;
  double r1_yen = 0, r2_yen = 0, r3_yen = 0, staff_local_spend_share = 0, lm3 = 0;
};

// INVALID_ARGUMENT names the field (e.g. "suppliers[1].local_respend_share") and the limit.
absl::StatusOr<Lm3Result> ComputeLm3(const std::string& json_text);
std::string Lm3ToJson(const Lm3Result& result);

}  // namespace sim

#endif  // SIM_LM3_H_
