// The clock a node stamps batches with, guarded against jumps of the wall clock.
//
// The ledger's clock follows the machine's wall clock (its stamps are real time, which residents
// and shops see), but a wall clock can jump: set a year ahead by hand or by a bad time server, the
// next batch would lapse every lot due within that year to breakage, time out every pending
// transfer and release every task day — none of it reversible. Set back, it would freeze ledger
// time (stamps only move one past the last) and refuse every fresh customer code. So the node keeps
// an anchor (the wall time and the boot-time clock at one moment) and may stamp only while the wall
// clock stays within `step_max` of where the boot-time clock says it should be. CLOCK_BOOTTIME
// moves with real time even while the machine sleeps or the process is paused, and is slewed by NTP
// like the wall clock, so the two only diverge when the wall clock is stepped.
//
// Past the step the node stops stamping: CheckStamp() is FAILED_PRECONDITION naming the offset, a
// log line is written once per episode, and the offset is exported as a metric; requests fail and
// nothing is applied until the wall clock comes back within the step (an operator resets it) or an
// operator restarts the node, which takes the wall clock as the new anchor — unless it is behind
// the ledger's own stored clock by more than the step, where stamping waits until the wall clock
// catches up. Between stamps, NowNanos() is the anchor moved on by the boot-time clock, never the
// jumped wall clock, so the services' request time windows follow the same guarded time.
#ifndef LEDGER_SERVER_CLOCK_GUARD_H_
#define LEDGER_SERVER_CLOCK_GUARD_H_

#include <atomic>
#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "ledger/commit/clock.h"

namespace ledger {

// CLOCK_BOOTTIME in nanoseconds (monotonic, counts suspended time).
Clock* BootTimeClock();

class GuardedClock final : public Clock {
 public:
  struct Options {
    int64_t step_max_nanos = int64_t{60} * 1'000'000'000;  // --clock_step_max_seconds.
  };
  // `ledger_clock` is the clock the ledger's journal head stores (0 for a new ledger). Both clocks
  // must outlive this one.
  GuardedClock(Clock* wall, Clock* boot_time, Timestamp ledger_clock, Options options);

  // The guarded time: the wall clock while it agrees with the anchor, else the anchor moved on by
  // the boot-time clock.
  Timestamp NowNanos() override;
  // OK if the node may stamp a batch now (see the file comment).
  absl::Status CheckStamp() override;

  // Wall clock minus where the boot-time clock says it should be, at the last check (nanoseconds).
  int64_t offset_nanos() const { return offset_nanos_.load(std::memory_order_relaxed); }
  // Checks refused since start.
  uint64_t refusals() const { return refusals_.load(std::memory_order_relaxed); }

 private:
  // The wall clock now, where the anchor and the boot-time clock say it should be, and their
  // difference.
  struct Reading {
    Timestamp wall = 0;
    Timestamp expected = 0;
    int64_t offset = 0;
  };
  Reading Read() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  Clock* wall_;
  Clock* boot_time_;
  const Options options_;
  absl::Mutex mutex_;
  Timestamp anchor_wall_ ABSL_GUARDED_BY(mutex_);
  Timestamp anchor_boot_ ABSL_GUARDED_BY(mutex_);
  Timestamp ledger_clock_ ABSL_GUARDED_BY(mutex_);  // Stamps never go below it (a restart's check).
  bool refusing_ ABSL_GUARDED_BY(mutex_) = false;   // In a jump episode (logged once).
  std::atomic<int64_t> offset_nanos_{0};
  std::atomic<uint64_t> refusals_{0};
};

}  // namespace ledger

#endif  // LEDGER_SERVER_CLOCK_GUARD_H_
