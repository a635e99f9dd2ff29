// Open server streams (Health.WatchAlerts, Pos.WatchPayment), counted per key (a watcher, a
// terminal) and in all, each against its bound in limits.h: a stream takes a slot before it starts
// and gives it back when it ends, so no client can hold more than its share of the node's threads.
#ifndef LEDGER_SERVER_STREAM_SLOTS_H_
#define LEDGER_SERVER_STREAM_SLOTS_H_

#include <map>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace ledger {

class StreamSlots {
 public:
  // Why a slot was not taken.
  enum class Refusal { kNone, kPerKey, kTotal };

  StreamSlots(int per_key_max, int total_max) : per_key_max_(per_key_max), total_max_(total_max) {}
  StreamSlots(const StreamSlots&) = delete;
  StreamSlots& operator=(const StreamSlots&) = delete;

  // A slot while it lives (refusal() kNone), or the bound that refused it.
  class Slot {
   public:
    ~Slot() {
      if (held_) slots_->Release(key_);
    }
    Slot(Slot&& other) noexcept
        : slots_(other.slots_),
          key_(std::move(other.key_)),
          refusal_(other.refusal_),
          held_(std::exchange(other.held_, false)) {}
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    Slot& operator=(Slot&&) = delete;
    Refusal refusal() const { return refusal_; }

   private:
    friend class StreamSlots;
    Slot(StreamSlots* slots, std::string key, Refusal refusal)
        : slots_(slots),
          key_(std::move(key)),
          refusal_(refusal),
          held_(refusal == Refusal::kNone) {}
    StreamSlots* slots_;
    std::string key_;
    Refusal refusal_;
    bool held_;  // Gives the slot back when destroyed (not when refused or moved from).
  };

  Slot Take(std::string key);
  int open() const;     // Slots held now, in all.
  size_t keys() const;  // Keys holding one or more (none is kept for a key with no stream).

 private:
  void Release(const std::string& key);

  const int per_key_max_;
  const int total_max_;
  mutable absl::Mutex mutex_;
  std::map<std::string, int> open_ ABSL_GUARDED_BY(mutex_);
  int total_ ABSL_GUARDED_BY(mutex_) = 0;
};

}  // namespace ledger

#endif  // LEDGER_SERVER_STREAM_SLOTS_H_
