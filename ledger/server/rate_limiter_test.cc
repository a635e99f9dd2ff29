#include "ledger/server/rate_limiter.h"

#include <string>

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

// The gateway keys its limiter by client address, which anyone chooses: a million addresses, each
// sending a request or two, must not leave a million buckets. Buckets that have refilled are
// dropped; the ones still limiting are kept, and limit as before.
TEST(RateLimiterTest, KeepsOnlyTheBucketsThatAreNotFull) {
  RateLimiter limiter(/*requests_per_second=*/5, /*burst=*/10);
  uint64_t now = 100 * kSecond;
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(limiter.Take("busy", now));
  ASSERT_FALSE(limiter.Take("busy", now));
  for (int i = 0; i < 1'000'000; ++i) {
    now += kSecond / 10'000;  // 10,000 new addresses a second, 100 s in all.
    ASSERT_TRUE(limiter.Take("address " + std::to_string(i), now)) << i;
    if (i % 1000 == 0) limiter.Take("busy", now);  // Keeps spending what refills (0.5 a call).
  }
  // Refill takes 2 s (10 tokens at 5/s): about 20,000 addresses are recent enough to be kept.
  EXPECT_LT(limiter.size(), 50'000u);
  int granted = 0;
  for (int i = 0; i < 3; ++i) granted += limiter.Take("busy", now) ? 1 : 0;
  EXPECT_LE(granted, 1) << "a bucket still limiting was forgotten (a new one grants 10)";
  now += 3 * kSecond;
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(limiter.Take("address 999999", now)) << i;
  EXPECT_FALSE(limiter.Take("address 999999", now));
}

}  // namespace
}  // namespace ledger
