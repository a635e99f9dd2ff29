// The guarded stamping clock: it follows the wall clock while the wall clock moves with the
// boot-time clock, refuses to stamp after a jump either way, and a node behind it applies nothing
// meanwhile.
#include "ledger/server/clock_guard.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>

#include "ledger/core/keys.h"
#include "ledger/core/query.h"
#include "ledger/core/test_util.h"
#include "ledger/node/node.h"
#include "ledger/storage/rocks_store.h"

namespace ledger {
namespace {

constexpr Timestamp kSecond = 1'000'000'000;
constexpr Timestamp kYear = 365ULL * 86400 * kSecond;

class FakeClock final : public Clock {
 public:
  explicit FakeClock(Timestamp start) : now(start) {}
  Timestamp NowNanos() override { return now; }
  std::atomic<Timestamp> now;
};

// The wall clock and the boot-time clock, moved together (real time) or apart (a jump).
struct Clocks {
  FakeClock wall{testing::kEpoch};
  FakeClock boot{5 * kSecond};
  void Pass(Timestamp nanos) {
    wall.now += nanos;
    boot.now += nanos;
  }
};

GuardedClock::Options StepOf(int64_t seconds) {
  return {.step_max_nanos = seconds * 1'000'000'000};
}

TEST(ClockGuardTest, FollowsTheWallClockWhileItMovesWithRealTime) {
  Clocks clocks;
  GuardedClock guard(&clocks.wall, &clocks.boot, 0, StepOf(60));
  EXPECT_TRUE(guard.CheckStamp().ok());
  clocks.Pass(3600 * kSecond);
  clocks.wall.now += 30 * kSecond;  // A step within the allowance (e.g. NTP at boot).
  EXPECT_TRUE(guard.CheckStamp().ok());
  EXPECT_EQ(guard.NowNanos(), clocks.wall.now.load());
  EXPECT_EQ(guard.offset_nanos(), 30 * static_cast<int64_t>(kSecond));
  EXPECT_EQ(guard.refusals(), 0u);
}

TEST(ClockGuardTest, AJumpAheadStopsStampingUntilTheClockIsSetRight) {
  Clocks clocks;
  GuardedClock guard(&clocks.wall, &clocks.boot, 0, StepOf(60));
  ASSERT_TRUE(guard.CheckStamp().ok());
  clocks.Pass(10 * kSecond);
  clocks.wall.now += kYear;
  const absl::Status refused = guard.CheckStamp();
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.message().find("jumped ahead 31536000.0 s"), std::string_view::npos)
      << refused.message();
  EXPECT_EQ(guard.NowNanos(), testing::kEpoch + 10 * kSecond);  // Real time, not the jumped clock.
  EXPECT_EQ(guard.refusals(), 1u);
  clocks.Pass(kSecond);
  EXPECT_FALSE(guard.CheckStamp().ok());
  clocks.wall.now -= kYear;  // The operator sets the clock right.
  EXPECT_TRUE(guard.CheckStamp().ok());
  EXPECT_EQ(guard.refusals(), 2u);
}

TEST(ClockGuardTest, AJumpBackStopsStampingToo) {
  Clocks clocks;
  GuardedClock guard(&clocks.wall, &clocks.boot, 0, StepOf(60));
  clocks.Pass(kSecond);
  clocks.wall.now -= 3600 * kSecond;
  const absl::Status refused = guard.CheckStamp();
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.message().find("jumped back 3600.0 s"), std::string_view::npos)
      << refused.message();
  EXPECT_EQ(guard.NowNanos(), testing::kEpoch + kSecond);
}

// A restart takes the wall clock as the new anchor (the operator's way to accept a new time),
// except that stamps never go back behind the ledger's own clock: it waits until the wall clock
// catches up.
TEST(ClockGuardTest, ARestartBehindTheLedgersClockWaitsForIt) {
  Clocks clocks;
  GuardedClock guard(&clocks.wall, &clocks.boot, testing::kEpoch + 600 * kSecond, StepOf(60));
  const absl::Status refused = guard.CheckStamp();
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.message().find("600.0 s behind the ledger's clock"), std::string_view::npos)
      << refused.message();
  clocks.Pass(545 * kSecond);  // Within the step of it now.
  EXPECT_TRUE(guard.CheckStamp().ok());
}

std::unique_ptr<RocksStore> OpenTemp(const std::string& name) {
  const std::string dir =
      std::string(std::getenv("TEST_TMPDIR") ? std::getenv("TEST_TMPDIR") : "/tmp") + "/" + name;
  std::filesystem::remove_all(dir);
  return std::move(*RocksStore::Open(dir));
}

// The finding: with the wall clock a year ahead, the next batch lapsed every lot due within the
// year. Behind the guard the node refuses the batch and the wallet keeps its points.
TEST(ClockGuardTest, ANodeAppliesNothingWhileTheClockIsJumped) {
  std::unique_ptr<RocksStore> store = OpenTemp("clock_guard_node");
  Clocks clocks;
  GuardedClock guard(&clocks.wall, &clocks.boot, 0, StepOf(60));
  Node node(store.get(), &guard, {.sync = false});
  ASSERT_TRUE(node.Submit({testing::MakeAsset(1, "HP", 180 * 86400, 900)}).ok());
  ASSERT_TRUE(
      node.Submit({testing::MakeAccount(900, 1, AccountKind::kBreakage),
                   testing::MakeAccount(1, 1, AccountKind::kIssuer),
                   testing::MakeAccount(10, 1, AccountKind::kWallet, account_flags::kNonNegative)})
          .ok());
  ASSERT_TRUE(node.Submit({testing::MakeTransfer(1, 1, 10, 500)}).ok());
  const uint64_t index = node.committed_index();
  clocks.Pass(kSecond);
  clocks.wall.now += kYear;
  absl::StatusOr<SubmitResult> refused = node.Submit({testing::MakeTransfer(2, 1, 10, 1)});
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(node.committed_index(), index);
  EXPECT_EQ(LookupAccount(node.state(), testing::Id(10))->balance, 500);  // Nothing lapsed.
  clocks.wall.now -= kYear;
  absl::StatusOr<SubmitResult> applied = node.Submit({testing::MakeTransfer(2, 1, 10, 1)});
  ASSERT_TRUE(applied.ok()) << applied.status();
  EXPECT_EQ(LookupAccount(node.state(), testing::Id(10))->balance, 501);
}

}  // namespace
}  // namespace ledger
