#include "ledger/server/rate_limiter.h"

#include <algorithm>

namespace ledger {

bool RateLimiter::Take(const std::string& key, uint64_t now_ns) {
  std::lock_guard<std::mutex> lock(mutex_);
  Bucket& bucket = buckets_[key];
  if (bucket.refilled_ns == 0) bucket.tokens = burst_;
  const double elapsed = bucket.refilled_ns == 0 || now_ns < bucket.refilled_ns
                             ? 0
                             : (now_ns - bucket.refilled_ns) / 1e9;
  bucket.tokens = std::min(burst_, bucket.tokens + elapsed * requests_per_second_);
  bucket.refilled_ns = now_ns;
  if (bucket.tokens < 1) return false;
  bucket.tokens -= 1;
  return true;
}

}  // namespace ledger
