#include "ledger/server/rate_limiter.h"

#include "gtest/gtest.h"

namespace ledger {
namespace {

constexpr uint64_t kSecond = 1'000'000'000;

TEST(RateLimiterTest, BurstThenSustainedRatePerKey) {
  RateLimiter limiter(/*requests_per_second=*/2, /*burst=*/3);
  const uint64_t t0 = 100 * kSecond;
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.Take("a", t0)) << i;
  EXPECT_FALSE(limiter.Take("a", t0));
  EXPECT_TRUE(limiter.Take("b", t0)) << "another key has its own bucket";
  EXPECT_FALSE(limiter.Take("a", t0 + kSecond / 4)) << "half a token after 250 ms";
  EXPECT_TRUE(limiter.Take("a", t0 + kSecond / 2));
  // A long pause refills only up to the burst.
  const uint64_t later = t0 + 60 * kSecond;
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.Take("a", later)) << i;
  EXPECT_FALSE(limiter.Take("a", later));
  // A clock that steps back refills nothing.
  EXPECT_FALSE(limiter.Take("a", later - kSecond));
}

}  // namespace
}  // namespace ledger
