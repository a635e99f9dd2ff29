// Household survey evaluation; see survey.h for the definitions.
#include "sim/survey.h"

#include <cmath>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "nlohmann/json.hpp"

namespace sim {
namespace {

constexpr int kSurveyHouseholdsMax = 10'000'000;
constexpr int64_t kHouseholdYenMax = 100'000'000;
constexpr const char* kColumns[] = {"household_id", "usual_voucher_yen", "extra_voucher_yen",
                                    "extra_cash_yen"};

}  // namespace

absl::StatusOr<SurveyResult> EvaluateSurvey(const std::string& csv_text, double premium_rate) {
  if (!(premium_rate >= 0 && premium_rate <= 10)) {
    return absl::InvalidArgumentError("--premium_rate must be between 0 and 10");
  }
  SurveyResult r;
  r.premium_rate = premium_rate;
  std::vector<std::string> lines = absl::StrSplit(csv_text, '\n');
  bool header_seen = false;
  for (size_t n = 0; n < lines.size(); ++n) {
    std::string line(absl::StripAsciiWhitespace(lines[n]));
    if (line.empty()) continue;
    std::vector<std::string> cells = absl::StrSplit(line, ',');
    const std::string where = absl::StrCat("survey line ", n + 1);
    if (cells.size() != 4)
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": expected 4 columns, found ", cells.size()));
    if (!header_seen) {
      for (int c = 0; c < 4; ++c) {
        if (absl::StripAsciiWhitespace(cells[c]) != kColumns[c]) {
          return absl::InvalidArgumentError(
              absl::StrCat(where, ": header column ", c + 1, " must be '", kColumns[c], "'"));
        }
      }
      header_seen = true;
      continue;
    }
    int64_t values[3];
    for (int c = 1; c < 4; ++c) {
      if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(cells[c]), &values[c - 1]) ||
          values[c - 1] < 0 || values[c - 1] > kHouseholdYenMax) {
        return absl::InvalidArgumentError(absl::StrCat(where, ", column '", kColumns[c],
                                                       "': must be whole yen between 0 and ",
                                                       kHouseholdYenMax));
      }
    }
    if (++r.households > kSurveyHouseholdsMax)
      return absl::InvalidArgumentError("survey: too many households");
    r.usual_voucher_yen += values[0];
    r.extra_voucher_yen += values[1];
    r.extra_cash_yen += values[2];
  }
  if (!header_seen) return absl::InvalidArgumentError("survey: missing header line");
  r.voucher_use_yen = r.usual_voucher_yen + r.extra_voucher_yen;
  r.new_demand_yen = r.extra_voucher_yen + r.extra_cash_yen;
  if (r.voucher_use_yen == 0) return absl::InvalidArgumentError("survey: no voucher use reported");
  r.stimulation_effect = static_cast<double>(r.new_demand_yen) / r.voucher_use_yen;
  r.new_demand_share_of_voucher_use = static_cast<double>(r.extra_voucher_yen) / r.voucher_use_yen;
  r.city_cost_yen = r.voucher_use_yen * premium_rate / (1 + premium_rate);
  r.city_cost_per_new_demand_yen = r.new_demand_yen > 0 ? r.city_cost_yen / r.new_demand_yen : 0;
  return r;
}

std::string SurveyToJson(const SurveyResult& r) {
  auto round6 = [](double v) { return std::round(v * 1e6) / 1e6; };
  nlohmann::ordered_json j;
  j["households"] = r.households;
  j["usual_voucher_yen"] = r.usual_voucher_yen;
  j["extra_voucher_yen"] = r.extra_voucher_yen;
  j["extra_cash_yen"] = r.extra_cash_yen;
  j["voucher_use_yen"] = r.voucher_use_yen;
  j["new_demand_yen"] = r.new_demand_yen;
  j["stimulation_effect"] = round6(r.stimulation_effect);
  j["new_demand_share_of_voucher_use"] = round6(r.new_demand_share_of_voucher_use);
  j["premium_rate"] = r.premium_rate;
  j["city_cost_yen"] = std::round(r.city_cost_yen * 100) / 100;
  j["city_cost_per_new_demand_yen"] = round6(r.city_cost_per_new_demand_yen);
  return j.dump(2) + "\n";
}

}  // namespace sim
