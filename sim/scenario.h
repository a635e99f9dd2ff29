// The scenario file: the public, documented input of `circsim run` (format in sim/README.md).
//
// A scenario describes one town: its residents, merchants grouped in sectors, how money is issued,
// how long each holder keeps coin, where it is re-spent, the fees, expiry and demurrage. Parsing
// checks every field against sim/limits.h and names the field and the limit in the error.
#ifndef SIM_SCENARIO_H_
#define SIM_SCENARIO_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace sim {

enum class DemurrageMode { kNone, kLinear, kCompound };

struct Sector {
  std::string name;
  int merchants = 1;
  int holding_days = 7;
  double margin = 0.2;  // Share of extra sales that is profit for the merchant.
  // respend[j]: share of this sector's receipts re-spent in coin at sector j (B2B). The remainder
  // is cashed out to yen. Indexed like Scenario::sectors.
  std::vector<double> respend;
};

struct Issuance {
  int day = 0;
  int64_t amount_yen = 0;  // Coin issued, premium included.
  std::string program = "premium_voucher";
  double premium_rate = 0;  // For premium_voucher: coin per yen paid minus 1, funded by the city.
};

struct Scenario {
  std::string name;
  int days = 365;
  int residents = 1000;
  int resident_holding_days = 14;
  double additionality = 0.33;
  std::vector<double> resident_spend_share;  // Per sector; the remainder leaves the system.
  int64_t b2b_bps = 50;
  int64_t redeem_bps = 150;
  int expiry_days = 0;  // 0: no expiry.
  DemurrageMode demurrage_mode = DemurrageMode::kNone;
  double demurrage_rate_per_year = 0;
  int demurrage_grace_days = 0;
  int64_t resident_payment_yen = 3000;
  int64_t b2b_payment_yen = 20000;
  std::vector<Sector> sectors;
  std::vector<Issuance> issuance;
};

// Parses and validates a scenario. INVALID_ARGUMENT names the field and the limit it broke.
absl::StatusOr<Scenario> ParseScenario(const std::string& json_text);

// Writes a scenario in the same format ParseScenario reads (sector maps keyed by name, sorted).
std::string ScenarioToJson(const Scenario& scenario);

// The coin issued in total, and the part of it funded by the city (premium, or all of it for
// points, thanks and campaigns).
int64_t IssuedTotalYen(const Scenario& scenario);
double CityFundedYen(const Scenario& scenario);

// Demurrage due on `amount` held `days_held` days (grace applied inside). The exact engine uses it
// as is; the agent engine charges whole yen, rounding down with the remainder carried (see
// agent_engine.h).
double DemurrageDue(const Scenario& scenario, double amount, int days_held);

}  // namespace sim

#endif  // SIM_SCENARIO_H_
