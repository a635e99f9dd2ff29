// Scenario parsing and writing. Every check names the JSON field and the limit.
#include "sim/scenario.h"

#include <algorithm>
#include <cmath>
#include <initializer_list>

#include "absl/container/btree_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "nlohmann/json.hpp"
#include "sim/limits.h"

namespace sim {
namespace {

using nlohmann::json;

absl::Status Invalid(const std::string& field, const std::string& why) {
  return absl::InvalidArgumentError(absl::StrCat("scenario field '", field, "': ", why));
}

absl::Status GetInt(const json& object, const std::string& key, const std::string& field,
                    int64_t min, int64_t max, bool required, int64_t* out) {
  if (!object.contains(key)) {
    if (required) return Invalid(field, "missing (required)");
    return absl::OkStatus();
  }
  const json& value = object.at(key);
  if (!value.is_number_integer()) return Invalid(field, "must be an integer");
  const int64_t v = value.get<int64_t>();
  if (v < min || v > max) {
    return Invalid(field, absl::StrCat("is ", v, ", must be between ", min, " and ", max));
  }
  *out = v;
  return absl::OkStatus();
}

absl::Status GetIntField(const json& object, const std::string& key, const std::string& field,
                         int64_t min, int64_t max, bool required, int* out) {
  int64_t v = *out;
  absl::Status status = GetInt(object, key, field, min, max, required, &v);
  *out = static_cast<int>(v);
  return status;
}

absl::Status GetShare(const json& object, const std::string& key, const std::string& field,
                      bool required, double* out) {
  if (!object.contains(key)) {
    if (required) return Invalid(field, "missing (required)");
    return absl::OkStatus();
  }
  const json& value = object.at(key);
  if (!value.is_number()) return Invalid(field, "must be a number");
  const double v = value.get<double>();
  if (!(v >= 0 && v <= 1))
    return Invalid(field, absl::StrCat("is ", v, ", must be between 0 and 1"));
  *out = v;
  return absl::OkStatus();
}

// Reads {"sector name": share, ...} into a vector indexed like `names`; shares must sum to at
// most 1.
absl::Status GetShareMap(const json& object, const std::string& key, const std::string& field,
                         const absl::btree_map<std::string, int>& index, std::vector<double>* out) {
  out->assign(index.size(), 0.0);
  if (!object.contains(key)) return absl::OkStatus();
  const json& map = object.at(key);
  if (!map.is_object()) return Invalid(field, "must be an object {sector: share}");
  double sum = 0;
  for (auto it = map.begin(); it != map.end(); ++it) {
    const std::string sub = absl::StrCat(field, ".", it.key());
    auto found = index.find(it.key());
    if (found == index.end()) return Invalid(sub, "names no sector in 'sectors'");
    double share = 0;
    if (absl::Status s = GetShare(map, it.key(), sub, true, &share); !s.ok()) return s;
    (*out)[found->second] = share;
    sum += share;
  }
  if (sum > 1 + 1e-9)
    return Invalid(field, absl::StrCat("shares sum to ", sum, ", must be at most 1"));
  return absl::OkStatus();
}

// Rejects a field the format does not have at `path` ("" for the top level, "sectors[2]"), so
// that a misspelt optional field is not silently ignored in favour of its default.
absl::Status CheckKnownFields(const json& object, const std::string& path,
                              std::initializer_list<const char*> known) {
  for (auto it = object.begin(); it != object.end(); ++it) {
    if (std::find_if(known.begin(), known.end(),
                     [&](const char* name) { return it.key() == name; }) != known.end()) {
      continue;
    }
    return absl::InvalidArgumentError(
        absl::StrCat("scenario: ", path.empty() ? "" : path + ": ", "unknown field \"", it.key(),
                     "\" (known: ", absl::StrJoin(known, ", "), "; see sim/README.md)"));
  }
  return absl::OkStatus();
}

#define SIM_RETURN_IF_ERROR(expr)                      \
  do {                                                 \
    if (absl::Status _s = (expr); !_s.ok()) return _s; \
  } while (0)

absl::Status ParseSectors(const json& root, Scenario* scenario) {
  if (!root.contains("sectors") || !root["sectors"].is_array()) {
    return Invalid("sectors", "missing or not an array (required)");
  }
  const json& sectors = root["sectors"];
  if (sectors.empty() || sectors.size() > kSectorsMax) {
    return Invalid("sectors",
                   absl::StrCat("has ", sectors.size(), " entries, must have 1 to ", kSectorsMax));
  }
  absl::btree_map<std::string, int> index;
  for (size_t i = 0; i < sectors.size(); ++i) {
    const std::string field = absl::StrCat("sectors[", i, "]");
    if (!sectors[i].is_object()) return Invalid(field, "must be an object");
    SIM_RETURN_IF_ERROR(CheckKnownFields(
        sectors[i], field, {"name", "merchants", "holding_days", "margin", "respend"}));
    if (!sectors[i].contains("name") || !sectors[i]["name"].is_string()) {
      return Invalid(field + ".name", "missing or not a string (required)");
    }
    const std::string name = sectors[i]["name"].get<std::string>();
    if (name.empty() || name.size() > 64)
      return Invalid(field + ".name", "must have 1 to 64 characters");
    if (!index.emplace(name, static_cast<int>(i)).second) {
      return Invalid(field + ".name", absl::StrCat("'", name, "' appears twice"));
    }
  }
  scenario->sectors.resize(sectors.size());
  for (size_t i = 0; i < sectors.size(); ++i) {
    const json& object = sectors[i];
    Sector& sector = scenario->sectors[i];
    const std::string field = absl::StrCat("sectors[", i, "]");
    sector.name = object["name"].get<std::string>();
    SIM_RETURN_IF_ERROR(GetIntField(object, "merchants", field + ".merchants", 1,
                                    kMerchantsPerSectorMax, true, &sector.merchants));
    SIM_RETURN_IF_ERROR(GetIntField(object, "holding_days", field + ".holding_days", 1,
                                    kHoldingDaysMax, true, &sector.holding_days));
    SIM_RETURN_IF_ERROR(GetShare(object, "margin", field + ".margin", false, &sector.margin));
    SIM_RETURN_IF_ERROR(GetShareMap(object, "respend", field + ".respend", index, &sector.respend));
  }
  SIM_RETURN_IF_ERROR(GetShareMap(root, "resident_spend_share", "resident_spend_share", index,
                                  &scenario->resident_spend_share));
  return absl::OkStatus();
}

absl::Status ParseIssuance(const json& root, Scenario* scenario) {
  if (!root.contains("issuance") || !root["issuance"].is_array()) {
    return Invalid("issuance", "missing or not an array (required)");
  }
  const json& list = root["issuance"];
  if (list.empty() || list.size() > kIssuancesMax) {
    return Invalid("issuance",
                   absl::StrCat("has ", list.size(), " entries, must have 1 to ", kIssuancesMax));
  }
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string field = absl::StrCat("issuance[", i, "]");
    if (!list[i].is_object()) return Invalid(field, "must be an object");
    SIM_RETURN_IF_ERROR(
        CheckKnownFields(list[i], field, {"day", "amount_yen", "program", "premium_rate"}));
    Issuance issuance;
    SIM_RETURN_IF_ERROR(
        GetIntField(list[i], "day", field + ".day", 0, scenario->days - 1, true, &issuance.day));
    SIM_RETURN_IF_ERROR(GetInt(list[i], "amount_yen", field + ".amount_yen", 1,
                               kIssuanceAmountYenMax, true, &issuance.amount_yen));
    if (list[i].contains("program")) {
      if (!list[i]["program"].is_string()) return Invalid(field + ".program", "must be a string");
      issuance.program = list[i]["program"].get<std::string>();
      if (issuance.program != "premium_voucher" && issuance.program != "health_points" &&
          issuance.program != "task_thanks" && issuance.program != "campaign") {
        return Invalid(field + ".program",
                       "must be one of premium_voucher, health_points, task_thanks, campaign");
      }
    }
    if (list[i].contains("premium_rate")) {
      if (!list[i]["premium_rate"].is_number())
        return Invalid(field + ".premium_rate", "must be a number");
      issuance.premium_rate = list[i]["premium_rate"].get<double>();
      if (!(issuance.premium_rate >= 0 && issuance.premium_rate <= kPremiumRateMax)) {
        return Invalid(field + ".premium_rate",
                       absl::StrCat("must be between 0 and ", kPremiumRateMax));
      }
    }
    scenario->issuance.push_back(issuance);
  }
  return absl::OkStatus();
}

absl::Status ParseDemurrage(const json& root, Scenario* scenario) {
  if (!root.contains("demurrage")) return absl::OkStatus();
  const json& object = root["demurrage"];
  if (!object.is_object()) return Invalid("demurrage", "must be an object");
  SIM_RETURN_IF_ERROR(
      CheckKnownFields(object, "demurrage", {"mode", "rate_per_year", "grace_days"}));
  if (!object.contains("mode") || !object["mode"].is_string()) {
    return Invalid("demurrage.mode", "missing or not a string (required)");
  }
  const std::string mode = object["mode"].get<std::string>();
  if (mode == "none") {
    scenario->demurrage_mode = DemurrageMode::kNone;
  } else if (mode == "linear") {
    scenario->demurrage_mode = DemurrageMode::kLinear;
  } else if (mode == "compound") {
    scenario->demurrage_mode = DemurrageMode::kCompound;
  } else {
    return Invalid("demurrage.mode", "must be one of none, linear, compound");
  }
  SIM_RETURN_IF_ERROR(GetShare(object, "rate_per_year", "demurrage.rate_per_year",
                               scenario->demurrage_mode != DemurrageMode::kNone,
                               &scenario->demurrage_rate_per_year));
  return GetIntField(object, "grace_days", "demurrage.grace_days", 0, kDaysMax, false,
                     &scenario->demurrage_grace_days);
}

}  // namespace

absl::StatusOr<Scenario> ParseScenario(const std::string& json_text) {
  json root = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) return absl::InvalidArgumentError("scenario: not valid JSON");
  if (!root.is_object()) return absl::InvalidArgumentError("scenario: top level must be an object");
  SIM_RETURN_IF_ERROR(CheckKnownFields(
      root, "",
      {"name", "days", "residents", "resident_holding_days", "additionality", "b2b_bps",
       "redeem_bps", "expiry_days", "resident_payment_yen", "b2b_payment_yen", "demurrage",
       "sectors", "issuance", "resident_spend_share"}));
  Scenario scenario;
  if (root.contains("name")) {
    if (!root["name"].is_string()) return Invalid("name", "must be a string");
    scenario.name = root["name"].get<std::string>();
  }
  SIM_RETURN_IF_ERROR(GetIntField(root, "days", "days", 1, kDaysMax, true, &scenario.days));
  SIM_RETURN_IF_ERROR(
      GetIntField(root, "residents", "residents", 1, kResidentsMax, true, &scenario.residents));
  SIM_RETURN_IF_ERROR(GetIntField(root, "resident_holding_days", "resident_holding_days", 1,
                                  kHoldingDaysMax, false, &scenario.resident_holding_days));
  SIM_RETURN_IF_ERROR(
      GetShare(root, "additionality", "additionality", false, &scenario.additionality));
  SIM_RETURN_IF_ERROR(GetInt(root, "b2b_bps", "b2b_bps", 0, kBpsMax, false, &scenario.b2b_bps));
  SIM_RETURN_IF_ERROR(
      GetInt(root, "redeem_bps", "redeem_bps", 0, kBpsMax, false, &scenario.redeem_bps));
  SIM_RETURN_IF_ERROR(
      GetIntField(root, "expiry_days", "expiry_days", 0, kDaysMax, false, &scenario.expiry_days));
  SIM_RETURN_IF_ERROR(GetInt(root, "resident_payment_yen", "resident_payment_yen", 1,
                             kPaymentYenMax, false, &scenario.resident_payment_yen));
  SIM_RETURN_IF_ERROR(GetInt(root, "b2b_payment_yen", "b2b_payment_yen", 1, kPaymentYenMax, false,
                             &scenario.b2b_payment_yen));
  SIM_RETURN_IF_ERROR(ParseDemurrage(root, &scenario));
  SIM_RETURN_IF_ERROR(ParseSectors(root, &scenario));
  SIM_RETURN_IF_ERROR(ParseIssuance(root, &scenario));
  return scenario;
}

std::string ScenarioToJson(const Scenario& scenario) {
  nlohmann::ordered_json root;
  root["name"] = scenario.name;
  root["days"] = scenario.days;
  root["residents"] = scenario.residents;
  root["resident_holding_days"] = scenario.resident_holding_days;
  root["additionality"] = scenario.additionality;
  root["b2b_bps"] = scenario.b2b_bps;
  root["redeem_bps"] = scenario.redeem_bps;
  root["expiry_days"] = scenario.expiry_days;
  root["resident_payment_yen"] = scenario.resident_payment_yen;
  root["b2b_payment_yen"] = scenario.b2b_payment_yen;
  const char* mode = scenario.demurrage_mode == DemurrageMode::kLinear     ? "linear"
                     : scenario.demurrage_mode == DemurrageMode::kCompound ? "compound"
                                                                           : "none";
  root["demurrage"] = {{"mode", mode},
                       {"rate_per_year", scenario.demurrage_rate_per_year},
                       {"grace_days", scenario.demurrage_grace_days}};
  auto share_map = [&](const std::vector<double>& shares) {
    absl::btree_map<std::string, double> sorted;
    for (size_t j = 0; j < shares.size(); ++j) {
      if (shares[j] > 0) sorted[scenario.sectors[j].name] = shares[j];
    }
    nlohmann::ordered_json map = nlohmann::ordered_json::object();
    for (const auto& [name, share] : sorted) map[name] = share;
    return map;
  };
  root["resident_spend_share"] = share_map(scenario.resident_spend_share);
  root["sectors"] = nlohmann::ordered_json::array();
  for (const Sector& sector : scenario.sectors) {
    root["sectors"].push_back({{"name", sector.name},
                               {"merchants", sector.merchants},
                               {"holding_days", sector.holding_days},
                               {"margin", sector.margin},
                               {"respend", share_map(sector.respend)}});
  }
  root["issuance"] = nlohmann::ordered_json::array();
  for (const Issuance& issuance : scenario.issuance) {
    root["issuance"].push_back({{"day", issuance.day},
                                {"amount_yen", issuance.amount_yen},
                                {"program", issuance.program},
                                {"premium_rate", issuance.premium_rate}});
  }
  return root.dump(2) + "\n";
}

int64_t IssuedTotalYen(const Scenario& scenario) {
  int64_t total = 0;
  for (const Issuance& issuance : scenario.issuance) total += issuance.amount_yen;
  return total;
}

double CityFundedYen(const Scenario& scenario) {
  double funded = 0;
  for (const Issuance& issuance : scenario.issuance) {
    if (issuance.program == "premium_voucher") {
      funded += issuance.amount_yen * issuance.premium_rate / (1 + issuance.premium_rate);
    } else {
      funded +=
          issuance.amount_yen;  // Points, thanks and campaigns are paid for entirely by the city.
    }
  }
  return funded;
}

double DemurrageDue(const Scenario& scenario, double amount, int days_held) {
  const int charged_days = days_held - scenario.demurrage_grace_days;
  if (charged_days <= 0 || scenario.demurrage_mode == DemurrageMode::kNone) return 0;
  const double rate = scenario.demurrage_rate_per_year;
  if (scenario.demurrage_mode == DemurrageMode::kLinear) {
    return std::min(amount, amount * rate * charged_days / 365.0);
  }
  return amount * (1 - std::pow(1 - rate / 365.0, charged_days));
}

}  // namespace sim
