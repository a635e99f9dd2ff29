// Premium-voucher evaluation from a household survey, as Japanese cities report it.
//
// CSV with header `household_id,usual_voucher_yen,extra_voucher_yen,extra_cash_yen`: per household,
// the usual spending paid with vouchers (substitution), extra spending paid with vouchers and extra
// spending paid in cash that the vouchers induced. Results:
//   voucher_use = usual + extra voucher; new_demand = extra voucher + extra cash;
//   stimulation_effect = new_demand / voucher_use (喚起効果);
//   new_demand_share_of_voucher_use = extra voucher / voucher_use;
//   city_cost = voucher_use × premium_rate / (1 + premium_rate);
//   city_cost_per_new_demand_yen = city_cost / new_demand.
#ifndef SIM_SURVEY_H_
#define SIM_SURVEY_H_

#include <string>

#include "absl/status/statusor.h"

namespace sim {

struct SurveyResult {
  int households = 0;
  int64_t usual_voucher_yen = 0, extra_voucher_yen = 0, extra_cash_yen = 0;
  int64_t voucher_use_yen = 0, new_demand_yen = 0;
  double stimulation_effect = 0, new_demand_share_of_voucher_use = 0;
  double premium_rate = 0, city_cost_yen = 0, city_cost_per_new_demand_yen = 0;
};

// INVALID_ARGUMENT names the line and column.
absl::StatusOr<SurveyResult> EvaluateSurvey(const std::string& csv_text, double premium_rate);
std::string SurveyToJson(const SurveyResult& result);

}  // namespace sim

#endif  // SIM_SURVEY_H_
