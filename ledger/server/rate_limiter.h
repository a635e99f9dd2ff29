// Per-key token buckets: each key (a terminal, a wallet) may make `requests_per_second` requests
// sustained, `burst` at once. Thread-safe. Time is passed in (nanoseconds), so tests need no clock.
#ifndef LEDGER_SERVER_RATE_LIMITER_H_
#define LEDGER_SERVER_RATE_LIMITER_H_

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace ledger {

class RateLimiter {
 public:
  RateLimiter(double requests_per_second, double burst)
      : requests_per_second_(requests_per_second), burst_(burst) {}

  // Takes one token from `key`'s bucket at time `now_ns`; false when the bucket is empty.
  bool Take(const std::string& key, uint64_t now_ns);

  double requests_per_second() const { return requests_per_second_; }

 private:
  struct Bucket {
    double tokens = 0;
    uint64_t refilled_ns = 0;
  };
  const double requests_per_second_;
  const double burst_;
  std::mutex mutex_;
  std::map<std::string, Bucket> buckets_;  // Guarded by mutex_. One per key ever seen.
};

}  // namespace ledger

#endif  // LEDGER_SERVER_RATE_LIMITER_H_
