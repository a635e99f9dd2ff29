#include "ledger/server/rate_limiter.h"

#include <algorithm>

namespace ledger {

bool RateLimiter::Take(const std::string& key, uint64_t now_ns) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (buckets_.size() >= sweep_at_) SweepFull(now_ns);
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

void RateLimiter::SweepFull(uint64_t now_ns) {
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    const Bucket& bucket = it->second;
    const double elapsed = now_ns > bucket.refilled_ns ? (now_ns - bucket.refilled_ns) / 1e9 : 0;
    if (bucket.tokens + elapsed * requests_per_second_ >= burst_) {
      it = buckets_.erase(it);
    } else {
      ++it;
    }
  }
  sweep_at_ = std::max(kSweepAtLeast, 2 * buckets_.size());
}

size_t RateLimiter::size() {
  std::lock_guard<std::mutex> lock(mutex_);
  return buckets_.size();
}

}  // namespace ledger
