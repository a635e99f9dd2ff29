// The guarded stamping clock: see clock_guard.h.
#include "ledger/server/clock_guard.h"

#include <time.h>

#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"

namespace ledger {
namespace {

class BootTime final : public Clock {
 public:
  Timestamp NowNanos() override {
    timespec now{};
    clock_gettime(CLOCK_BOOTTIME, &now);
    return static_cast<Timestamp>(now.tv_sec) * 1'000'000'000 + static_cast<Timestamp>(now.tv_nsec);
  }
};

std::string Seconds(int64_t nanos) {
  return absl::StrCat(nanos / 1'000'000'000, ".", std::abs(nanos % 1'000'000'000) / 100'000'000,
                      " s");
}

}  // namespace

Clock* BootTimeClock() {
  static BootTime clock;
  return &clock;
}

GuardedClock::GuardedClock(Clock* wall, Clock* boot_time, Timestamp ledger_clock, Options options)
    : wall_(wall), boot_time_(boot_time), options_(options) {
  absl::MutexLock lock(&mutex_);
  anchor_wall_ = wall_->NowNanos();
  anchor_boot_ = boot_time_->NowNanos();
  ledger_clock_ = ledger_clock;
}

GuardedClock::Reading GuardedClock::Read() {
  Reading reading;
  reading.wall = wall_->NowNanos();
  reading.expected = anchor_wall_ + (boot_time_->NowNanos() - anchor_boot_);
  reading.offset = static_cast<int64_t>(reading.wall - reading.expected);
  return reading;
}

Timestamp GuardedClock::NowNanos() {
  absl::MutexLock lock(&mutex_);
  const Reading now = Read();
  return std::llabs(now.offset) <= options_.step_max_nanos ? now.wall : now.expected;
}

absl::Status GuardedClock::CheckStamp() {
  absl::MutexLock lock(&mutex_);
  const Reading now = Read();
  const Timestamp wall = now.wall;
  const int64_t offset = now.offset;
  offset_nanos_.store(offset, std::memory_order_relaxed);
  std::string problem;
  if (std::llabs(offset) > options_.step_max_nanos) {
    problem = absl::StrCat(
        "the wall clock jumped ", offset > 0 ? "ahead " : "back ", Seconds(std::llabs(offset)),
        " (more than the ", Seconds(options_.step_max_nanos),
        " allowed, --clock_step_max_seconds): this node stops stamping batches until the "
        "clock is set right or an operator restarts it to accept the new time");
  } else if (wall + options_.step_max_nanos < ledger_clock_) {
    problem =
        absl::StrCat("the wall clock is ", Seconds(static_cast<int64_t>(ledger_clock_ - wall)),
                     " behind the ledger's clock: this node stamps nothing until it catches up");
  }
  if (problem.empty()) {
    if (refusing_) fprintf(stderr, "ledgerd: the wall clock agrees again; stamping resumes\n");
    refusing_ = false;
    ledger_clock_ = std::max(ledger_clock_, wall);
    return absl::OkStatus();
  }
  refusals_.fetch_add(1, std::memory_order_relaxed);
  if (!refusing_) fprintf(stderr, "ledgerd: %s\n", problem.c_str());
  refusing_ = true;
  return absl::FailedPreconditionError(problem);
}

}  // namespace ledger
