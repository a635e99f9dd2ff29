#include "ledger/server/rate_limiter.h"

#include <algorithm>

namespace ledger {

bool RateLimiter::Take(const std::string& key, uint64_t now_ns) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (buckets_.size() >= sweep_at_) SweepFull(now_ns);
  Bucket& bucket = buckets_[key];
  bucket.tokens = bucket.refilled_ns == 0 ? burst_ : TokensAt(bucket, now_ns);
  bucket.refilled_ns = now_ns;
  if (bucket.tokens < 1) return false;
  bucket.tokens -= 1;
  return true;
}

double RateLimiter::TokensAt(const Bucket& bucket, uint64_t now_ns) const {
  // A clock that steps back refills nothing.
  const double elapsed = now_ns > bucket.refilled_ns ? (now_ns - bucket.refilled_ns) / 1e9 : 0;
  return std::min(burst_, bucket.tokens + elapsed * requests_per_second_);
}

void RateLimiter::SweepFull(uint64_t now_ns) {
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    if (TokensAt(it->second, now_ns) >= burst_) {
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
