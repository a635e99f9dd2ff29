// Per-key token buckets: each key (a terminal, a wallet, a client address) may make
// `requests_per_second` requests sustained, `burst` at once. Thread-safe. Time is passed in
// (nanoseconds), so tests need no clock.
//
// Only buckets that are not full are kept: a full one is the same as none (a new key starts with a
// full bucket), so those are dropped whenever the map has doubled since the last sweep. Memory
// follows the keys active within the last burst / requests_per_second seconds, not every key ever
// seen (the gateway's client addresses come from anyone).
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
  size_t size();  // Buckets kept now.

 private:
  struct Bucket {
    double tokens = 0;
    uint64_t refilled_ns = 0;
  };
  const double requests_per_second_;
  const double burst_;
  std::mutex mutex_;
  // The bucket's tokens at now_ns, refilled since it was last used (at most the burst).
  double TokensAt(const Bucket& bucket, uint64_t now_ns) const;
  void SweepFull(uint64_t now_ns);  // mutex_ held.

  static constexpr size_t kSweepAtLeast = 1024;
  std::map<std::string, Bucket> buckets_;  // Guarded by mutex_.
  size_t sweep_at_ = kSweepAtLeast;        // Guarded by mutex_: the size that starts a sweep.
};

}  // namespace ledger

#endif  // LEDGER_SERVER_RATE_LIMITER_H_
