// Bounds for circsim: every scenario field and loop has a named limit, checked by the parser.
#ifndef SIM_LIMITS_H_
#define SIM_LIMITS_H_

#include <cstdint>

namespace sim {

inline constexpr int kDaysMax = 3650;
inline constexpr int kResidentsMax = 1'000'000;
inline constexpr int kSectorsMax = 32;
inline constexpr int kMerchantsPerSectorMax = 100'000;
inline constexpr int kIssuancesMax = 64;
inline constexpr int64_t kIssuanceAmountYenMax = 1'000'000'000'000;  // 1 trillion yen.
// A premium voucher's coin per yen paid, minus 1 (10: pay 1,000 yen, get 11,000 coin).
inline constexpr int kPremiumRateMax = 10;
inline constexpr int kHoldingDaysMax = kDaysMax;
inline constexpr int64_t kBpsMax = 10'000;
inline constexpr int64_t kPaymentYenMax = 100'000'000;
inline constexpr int kRunsMax = 100'000;
// Every payment takes at least one day (holding_days >= 1), so a yen cannot make more hops than
// there are days in the horizon; the engines size their per-hop arrays by this bound.
inline constexpr int kHopsMax = kDaysMax + 1;

static_assert(kHoldingDaysMax <= kDaysMax);
static_assert(kIssuanceAmountYenMax * kIssuancesMax < INT64_MAX / 4, "totals must fit in int64");

}  // namespace sim

#endif  // SIM_LIMITS_H_
