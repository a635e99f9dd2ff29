// Calibration: derive a scenario from the ledger's change stream, aggregated by merchant category.
//
// Input: JSON lines, one ledger event each, in either of two formats, told apart line by line by
// their field names (sim/README.md, "Calibration"):
// - saved (the change stream's Event reduced to what is needed, as `--save_events` writes it):
//   {"type": "account", "id": "a1", "kind": "WALLET"|"MERCHANT"|"ISSUER"|"BUDGET"|"EXTERNAL"|...,
//   "category": "food"}
//   {"type": "transfer", "timestamp_s": 1700000000, "debit": "a1", "credit": "m7", "amount": 1200}
// - `ledgerctl tail --json`: kinds in lower case ("wallet"), an "asset" on every account and
//   transfer, transfers with "timestamp" in nanoseconds, "debit_account", "credit_account" and
//   "flags" (a "pending" reservation and a "void_pending" are not flows; a "post_pending" is).
// Derived: residents' spending share per category (wallet → merchant), each category's re-spend
// share per category (merchant → merchant) with the rest cashed out (merchant → EXTERNAL or
// ISSUER), holding days (amount-weighted first-in-first-out time from receipt to payment, per
// category and for wallets), and issuance per day in two programs: premium vouchers (a resident's
// purchase, ISSUER or EXTERNAL → WALLET, plus the BUDGET → WALLET premium the same wallet got that
// day; premium_rate = premium / purchase) and campaign (other BUDGET → WALLET coin, city-funded in
// full), so the scenario's city cost is the BUDGET → WALLET total. A program with more than
// kIssuancesMax / 2 days is also merged into windows.
//
// Privacy: only category aggregates leave this file, never an account. A cell built from fewer than
// kMinDistinctAccounts distinct accounts on either side (payers or payees) is suppressed: left out
// of the scenario (its share counts as leaving the system or as cash-out) and listed in
// `suppressed`. A category with fewer than kMinDistinctAccounts merchants is suppressed as a whole.
// The same rule covers the other figures, counting the persons behind them: a holding time from
// fewer than that many wallets or merchants gives way to the format's default; a category's
// cash-out by fewer merchants (the payee is the issuer or the yen side) suppresses its re-spend
// row, since the cash-out share is what the row leaves over; and issuance is merged over
// consecutive days until each event reaches that many recipient wallets (a program that never does
// is suppressed).
#ifndef SIM_CALIBRATE_H_
#define SIM_CALIBRATE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "sim/scenario.h"

namespace sim {

inline constexpr int kMinDistinctAccounts = 10;
inline constexpr int kEventLinesMax = 50'000'000;

struct Calibration {
  Scenario scenario;
  std::vector<std::string>
      suppressed;  // Human-readable, e.g. "resident_spend_share.farm (4 payees)".
};

// `days`: horizon of the produced scenario. `residents`: 0 = the number of distinct wallets seen.
// `asset`: keep only tail-format lines of this asset; 0 keeps all, and then INVALID_ARGUMENT if
// tail-format lines name more than one asset (coin and points must not be mixed).
absl::StatusOr<Calibration> CalibrateFromEvents(const std::string& json_lines, int days,
                                                int residents, uint32_t asset = 0);

}  // namespace sim

#endif  // SIM_CALIBRATE_H_
