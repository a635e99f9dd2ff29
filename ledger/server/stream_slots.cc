#include "ledger/server/stream_slots.h"

namespace ledger {

StreamSlots::Slot StreamSlots::Take(std::string key) {
  absl::MutexLock lock(&mutex_);
  auto it = open_.try_emplace(key, 0).first;
  const Refusal refusal = it->second >= per_key_max_ ? Refusal::kPerKey
                          : total_ >= total_max_     ? Refusal::kTotal
                                                     : Refusal::kNone;
  if (refusal != Refusal::kNone) {
    if (it->second == 0) open_.erase(it);
    return Slot(this, std::move(key), refusal);
  }
  ++it->second;
  ++total_;
  return Slot(this, std::move(key), Refusal::kNone);
}

void StreamSlots::Release(const std::string& key) {
  absl::MutexLock lock(&mutex_);
  auto it = open_.find(key);
  if (it != open_.end() && --it->second == 0) open_.erase(it);
  --total_;
}

int StreamSlots::open() const {
  absl::MutexLock lock(&mutex_);
  return total_;
}

size_t StreamSlots::keys() const {
  absl::MutexLock lock(&mutex_);
  return open_.size();
}

}  // namespace ledger
