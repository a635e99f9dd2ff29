// The exact expected-value engine: follows the expected amount of coin hop by hop and day by day,
// with holding times, the horizon, expiry and demurrage as cut-offs. Doubles, no randomness.
//
// With no cut-offs (long horizon, no expiry, no demurrage) its totals equal the closed form
// s·(I − A)⁻¹ over the sector re-spend matrix A (ClosedFormSectorReceipts); the tests check both.
#ifndef SIM_EXACT_ENGINE_H_
#define SIM_EXACT_ENGINE_H_

#include <vector>

#include "sim/metrics.h"
#include "sim/scenario.h"

namespace sim {

Metrics RunExact(const Scenario& scenario);

// Total coin received by each sector over an unbounded horizon with no expiry or demurrage, per yen
// of resident spending issued: x = s (I − Â)⁻¹ where Â[i][j] = respend[i][j] × (1 − b2b fee).
// Solved by Gaussian elimination with partial pivoting. Returns gross receipts (sales, before the
// B2B fee the payer deducts) per yen issued.
std::vector<double> ClosedFormSectorReceipts(const Scenario& scenario);

}  // namespace sim

#endif  // SIM_EXACT_ENGINE_H_
