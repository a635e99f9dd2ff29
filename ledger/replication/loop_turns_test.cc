#include "ledger/replication/loop_turns.h"

#include <chrono>
#include <thread>

#include "gtest/gtest.h"

namespace ledger {
namespace {

LoopTurns::Sample At(double wall, double idle, double cpu = 0) {
  LoopTurns::Sample sample;
  sample.wall_seconds = wall;
  sample.idle_seconds = idle;
  sample.cpu_seconds = cpu;
  return sample;
}

TEST(LoopTurnsTest, TheFirstSampleOnlyStartsATurn) {
  LoopTurns turns(0.3);
  turns.AddPart(LoopTurns::kApply, 5);  // Before the first sample: not part of any turn.
  EXPECT_FALSE(turns.EndTurn(At(100, 50)));
  EXPECT_EQ(turns.turns(), 0u);
  EXPECT_FALSE(turns.EndTurn(At(100.1, 50.05)));
  EXPECT_EQ(turns.turns(), 1u);
  EXPECT_NEAR(turns.busy_seconds(), 0.05, 1e-9);
}

TEST(LoopTurnsTest, BusyIsWallTimeLessTheWaitForIo) {
  LoopTurns turns(0.3);
  turns.EndTurn(At(10, 2));
  // 2 s of wall time, 1.8 of them waiting for I/O: busy 0.2 s, under the threshold.
  EXPECT_FALSE(turns.EndTurn(At(12, 3.8)));
  // 1 s of wall time, 0.4 waiting: busy 0.6 s, slow.
  std::optional<LoopTurns::Turn> slow = turns.EndTurn(At(13, 4.2));
  ASSERT_TRUE(slow);
  EXPECT_NEAR(slow->wall_seconds, 1.0, 1e-9);
  EXPECT_NEAR(slow->busy_seconds, 0.6, 1e-9);
  EXPECT_EQ(turns.turns(), 2u);
  EXPECT_EQ(turns.slow_turns(), 1u);
  EXPECT_NEAR(turns.longest_busy_seconds(), 0.6, 1e-9);
  EXPECT_NEAR(turns.busy_seconds(), 0.8, 1e-9);
}

TEST(LoopTurnsTest, ASlowTurnCarriesItsPartsAndTheNextStartsEmpty) {
  LoopTurns turns(0.3);
  turns.EndTurn(At(0, 0, 1.0));
  turns.AddEntry(1'000'000);
  turns.AddEntry(600'000);
  turns.AddPart(LoopTurns::kApply, 1.18);
  turns.AddPart(LoopTurns::kStoreWrite, 1.02);
  turns.AddPart(LoopTurns::kPropose, 0.004);
  LoopTurns::Sample end = At(1.3, 0.06, 1.14);
  end.waits = 12;
  end.preemptions = 3;
  end.read_blocks = 2000;  // 1.0 MB.
  std::optional<LoopTurns::Turn> slow = turns.EndTurn(end);
  ASSERT_TRUE(slow);
  EXPECT_EQ(slow->entries, 2u);
  EXPECT_EQ(slow->entry_bytes, 1'600'000u);
  EXPECT_EQ(LoopTurns::Describe(*slow, 1000),
            "a Raft loop turn was busy 1240 ms (election timeout 1000 ms): applying 2 entries "
            "(1.6 MB) 1180 ms (RocksDB write 1020 ms), snapshots 0 ms, restoring 0 ms, proposing "
            "4 ms, libraft and I/O 56 ms; on CPU 140 ms, blocked 12 times, preempted 3 times, disk "
            "read 1.0 MB, written 0.0 MB");
  // The next turn does not inherit the parts.
  turns.AddPart(LoopTurns::kSnapshot, 0.5);
  slow = turns.EndTurn(At(2.0, 0.16));
  ASSERT_TRUE(slow);
  EXPECT_EQ(slow->entries, 0u);
  EXPECT_EQ(slow->part_seconds[LoopTurns::kApply], 0);
  EXPECT_EQ(slow->part_seconds[LoopTurns::kSnapshot], 0.5);
  EXPECT_NEAR(slow->busy_seconds, 0.6, 1e-9);
}

TEST(LoopTurnsTest, ZeroThresholdReportsNothingButCountsEverything) {
  LoopTurns turns(0);
  turns.EndTurn(At(0, 0));
  EXPECT_FALSE(turns.EndTurn(At(5, 0)));
  EXPECT_EQ(turns.turns(), 1u);
  EXPECT_EQ(turns.slow_turns(), 0u);
  EXPECT_NEAR(turns.longest_busy_seconds(), 5, 1e-9);
}

TEST(LoopTurnsTest, AClockThatDoesNotAddUpNeverGivesNegativeOrExcessBusyTime) {
  LoopTurns turns(0.3);
  turns.EndTurn(At(10, 5));
  // Idle grew by more than the wall clock (the two clocks are read a moment apart).
  EXPECT_FALSE(turns.EndTurn(At(10.1, 5.2)));
  EXPECT_EQ(turns.busy_seconds(), 0);
}

TEST(LoopTurnsTest, SamplesThisThreadsCpuTime) {
  const LoopTurns::Sample before = LoopTurns::SampleThisThread(0, 0);
  const auto start = std::chrono::steady_clock::now();
  volatile uint64_t spin = 0;
  while (std::chrono::steady_clock::now() - start < std::chrono::milliseconds(50)) spin += 1;
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const LoopTurns::Sample after = LoopTurns::SampleThisThread(0, 0);
  EXPECT_GE(after.cpu_seconds - before.cpu_seconds, 0.03);
  EXPECT_GE(after.waits - before.waits, 1);  // The sleep blocked.
}

}  // namespace
}  // namespace ledger
