// LM3 from a spending breakdown; see lm3.h for the formula.
#include "sim/lm3.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace sim {
namespace {

using nlohmann::json;

absl::Status Invalid(const std::string& field, const std::string& why) {
  return absl::InvalidArgumentError(absl::StrCat("lm3 field '", field, "': ", why));
}

absl::StatusOr<double> Yen(const json& object, const std::string& key, const std::string& field) {
  if (!object.contains(key)) return Invalid(field, "missing (required)");
  if (!object[key].is_number_integer()) return Invalid(field, "must be an integer number of yen");
  const int64_t v = object[key].get<int64_t>();
  if (v < 0 || v > 1'000'000'000'000) return Invalid(field, "must be between 0 and 1000000000000");
  return static_cast<double>(v);
}

absl::StatusOr<double> Share(const json& value, const std::string& field) {
  if (!value.is_number()) return Invalid(field, "must be a number");
  const double v = value.get<double>();
  if (!(v >= 0 && v <= 1))
    return Invalid(field, absl::StrCat("is ", v, ", must be between 0 and 1"));
  return v;
}

}  // namespace

absl::StatusOr<Lm3Result> ComputeLm3(const std::string& json_text) {
  json root = json::parse(json_text, nullptr, false);
  if (root.is_discarded() || !root.is_object())
    return absl::InvalidArgumentError("lm3: not a JSON object");
  Lm3Result r;
  if (root.contains("organisation") && root["organisation"].is_string()) {
    r.organisation = root["organisation"].get<std::string>();
  }
  absl::StatusOr<double> income = Yen(root, "income_yen", "income_yen");
  if (!income.ok()) return income.status();
  if (*income <= 0) return Invalid("income_yen", "must be above 0");
  absl::StatusOr<double> payroll = Yen(root, "local_payroll_yen", "local_payroll_yen");
  if (!payroll.ok()) return payroll.status();
  if (!root.contains("staff_local_spend_share"))
    return Invalid("staff_local_spend_share", "missing (required)");
  const json& staff = root["staff_local_spend_share"];
  if (staff.is_array()) {
    if (staff.empty())
      return Invalid("staff_local_spend_share", "needs at least one survey answer");
    double sum = 0;
    for (size_t i = 0; i < staff.size(); ++i) {
      absl::StatusOr<double> share =
          Share(staff[i], absl::StrCat("staff_local_spend_share[", i, "]"));
      if (!share.ok()) return share.status();
      sum += *share;
    }
    r.staff_local_spend_share = sum / staff.size();
  } else {
    absl::StatusOr<double> share = Share(staff, "staff_local_spend_share");
    if (!share.ok()) return share.status();
    r.staff_local_spend_share = *share;
  }
  r.r1_yen = *income;
  r.r2_yen = *payroll;
  r.r3_yen = *payroll * r.staff_local_spend_share;
  const json suppliers = root.contains("suppliers") ? root["suppliers"] : json::array();
  if (!suppliers.is_array()) return Invalid("suppliers", "must be an array");
  for (size_t i = 0; i < suppliers.size(); ++i) {
    const std::string field = absl::StrCat("suppliers[", i, "]");
    if (!suppliers[i].is_object()) return Invalid(field, "must be an object");
    absl::StatusOr<double> spend = Yen(suppliers[i], "local_spend_yen", field + ".local_spend_yen");
    if (!spend.ok()) return spend.status();
    if (!suppliers[i].contains("local_respend_share"))
      return Invalid(field + ".local_respend_share", "missing (required)");
    absl::StatusOr<double> share =
        Share(suppliers[i]["local_respend_share"], field + ".local_respend_share");
    if (!share.ok()) return share.status();
    r.r2_yen += *spend;
    r.r3_yen += *spend * *share;
  }
  if (r.r2_yen > r.r1_yen) {
    return Invalid("local_payroll_yen + suppliers",
                   absl::StrCat("local spending ", r.r2_yen, " exceeds income_yen ", r.r1_yen));
  }
  r.lm3 = (r.r1_yen + r.r2_yen + r.r3_yen) / r.r1_yen;
  return r;
}

std::string Lm3ToJson(const Lm3Result& r) {
  nlohmann::ordered_json j;
  j["organisation"] = r.organisation;
  j["r1_yen"] = r.r1_yen;
  j["r2_yen"] = r.r2_yen;
  j["r3_yen"] = r.r3_yen;
  j["staff_local_spend_share"] = r.staff_local_spend_share;
  j["lm3"] = std::round(r.lm3 * 1e6) / 1e6;
  return j.dump(2) + "\n";
}

}  // namespace sim
