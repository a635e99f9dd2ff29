// What each turn of the Raft loop spent its time on, and a description of the slow ones.
//
// libraft runs on one libuv loop thread: its ticks (election and heartbeat timers), the messages it
// reads and sends, and the FSM's apply and snapshot calls all take turns there. A turn that keeps
// the thread busy for longer than the election timeout looks, to the other members, like a dead
// node: a leader's followers stop hearing heartbeats and elect, and the leader itself steps down
// when its next tick finds it has not heard a majority. So a slow turn is logged with what it did.
//
// A turn runs from one loop iteration's prepare phase (just before libuv waits for I/O) to the
// next one's. Its busy time is the wall time minus the time libuv spent waiting in the kernel
// (uv_metrics_idle_time); the rest is callbacks: timers, I/O, the FSM. The parts the node times
// (applying entries, their RocksDB write, snapshots, proposing) are named; what is left is
// libraft's own work. The thread's resource use (getrusage RUSAGE_THREAD) says whether the busy
// time was on the CPU or waiting: blocked (voluntary switches: disk reads, dirty-page throttling of
// writes, a lock), or preempted by other processes (involuntary switches).
//
// Loop thread only. No libuv here: the node samples the clock and the idle time and hands them in.
#ifndef LEDGER_REPLICATION_LOOP_TURNS_H_
#define LEDGER_REPLICATION_LOOP_TURNS_H_

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace ledger {

class LoopTurns {
 public:
  // The timed parts of a turn. kStoreWrite is inside kApply (the apply's RocksDB write).
  enum Part { kApply, kStoreWrite, kSnapshot, kRestore, kPropose, kPartCount };

  // The loop thread's clocks and counters at a turn boundary (all totals since some fixed origin).
  struct Sample {
    double wall_seconds = 0;   // A monotonic clock.
    double idle_seconds = 0;   // Time the loop waited in the kernel for I/O (uv_metrics_idle_time).
    double cpu_seconds = 0;    // The thread's user plus system CPU time.
    int64_t waits = 0;         // Voluntary context switches: the thread blocked.
    int64_t preemptions = 0;   // Involuntary context switches: another thread or process ran.
    int64_t read_blocks = 0;   // 512-byte blocks the thread read from disk (not the page cache).
    int64_t write_blocks = 0;  // 512-byte blocks it wrote out.
  };
  // This thread's CPU time and counters (getrusage RUSAGE_THREAD) with the given clocks.
  static Sample SampleThisThread(double wall_seconds, double idle_seconds);

  // One turn: the differences between two samples and the parts timed in between.
  struct Turn {
    double wall_seconds = 0;
    double busy_seconds = 0;  // Wall time minus the wait for I/O.
    double cpu_seconds = 0;
    int64_t waits = 0;
    int64_t preemptions = 0;
    int64_t read_blocks = 0;
    int64_t write_blocks = 0;
    std::array<double, kPartCount> part_seconds{};
    uint64_t entries = 0;  // Raft entries applied.
    uint64_t entry_bytes = 0;
  };

  // Turns busy for `slow_seconds` or longer are reported by EndTurn (0: none).
  explicit LoopTurns(double slow_seconds) : slow_seconds_(slow_seconds) {}

  void AddPart(Part part, double seconds) { current_.part_seconds[part] += seconds; }
  // Adds the time from its construction to its destruction to a part.
  class Timer {
   public:
    Timer(LoopTurns* turns, Part part)
        : turns_(turns), part_(part), start_(std::chrono::steady_clock::now()) {}
    ~Timer() {
      turns_->AddPart(
          part_, std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count());
    }
    Timer(const Timer&) = delete;
    Timer& operator=(const Timer&) = delete;

   private:
    LoopTurns* turns_;
    Part part_;
    std::chrono::steady_clock::time_point start_;
  };
  void AddEntry(uint64_t bytes) {
    current_.entries += 1;
    current_.entry_bytes += bytes;
  }

  // Ends the turn that began at the previous sample (the first call only starts one): returns it
  // when it was slow. Counts every turn.
  std::optional<Turn> EndTurn(const Sample& now);

  uint64_t turns() const { return turns_; }
  uint64_t slow_turns() const { return slow_turns_; }
  double busy_seconds() const { return busy_seconds_; }     // Over all turns.
  double longest_busy_seconds() const { return longest_; }  // The busiest turn's.

  // One line for the log: how long the turn was busy, what it did and what held it, e.g.
  // "a Raft loop turn was busy 1240 ms (election timeout 1000 ms): applying 2 entries (2.6 MB)
  // 1180 ms (RocksDB write 1020 ms), snapshots 0 ms, ...".
  static std::string Describe(const Turn& turn, unsigned election_timeout_ms);

 private:
  double slow_seconds_;
  std::optional<Sample> last_;
  Turn current_;
  uint64_t turns_ = 0;
  uint64_t slow_turns_ = 0;
  double busy_seconds_ = 0;
  double longest_ = 0;
};

}  // namespace ledger

#endif  // LEDGER_REPLICATION_LOOP_TURNS_H_
