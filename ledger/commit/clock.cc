// The system clock: see clock.h.
#include "ledger/commit/clock.h"

#include <chrono>

namespace ledger {
namespace {

class SystemClock final : public Clock {
 public:
  Timestamp NowNanos() override {
    return static_cast<Timestamp>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                      std::chrono::system_clock::now().time_since_epoch())
                                      .count());
  }
};

}  // namespace

Clock* RealClock() {
  static SystemClock clock;
  return &clock;
}

}  // namespace ledger
