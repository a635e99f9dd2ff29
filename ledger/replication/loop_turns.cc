#include "ledger/replication/loop_turns.h"

#include <sys/resource.h>

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace ledger {

LoopTurns::Sample LoopTurns::SampleThisThread(double wall_seconds, double idle_seconds) {
  Sample sample;
  sample.wall_seconds = wall_seconds;
  sample.idle_seconds = idle_seconds;
  rusage usage{};
  if (getrusage(RUSAGE_THREAD, &usage) == 0) {
    const auto seconds = [](const timeval& t) {
      return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
    };
    sample.cpu_seconds = seconds(usage.ru_utime) + seconds(usage.ru_stime);
    sample.waits = usage.ru_nvcsw;
    sample.preemptions = usage.ru_nivcsw;
    sample.read_blocks = usage.ru_inblock;
    sample.write_blocks = usage.ru_oublock;
  }
  return sample;
}

std::optional<LoopTurns::Turn> LoopTurns::EndTurn(const Sample& now) {
  if (!last_) {
    last_ = now;
    current_ = Turn{};
    return std::nullopt;
  }
  Turn turn = current_;
  turn.wall_seconds = std::max(0.0, now.wall_seconds - last_->wall_seconds);
  turn.busy_seconds = std::clamp(turn.wall_seconds - (now.idle_seconds - last_->idle_seconds), 0.0,
                                 turn.wall_seconds);
  turn.cpu_seconds = std::max(0.0, now.cpu_seconds - last_->cpu_seconds);
  turn.waits = now.waits - last_->waits;
  turn.preemptions = now.preemptions - last_->preemptions;
  turn.read_blocks = now.read_blocks - last_->read_blocks;
  turn.write_blocks = now.write_blocks - last_->write_blocks;
  last_ = now;
  current_ = Turn{};
  turns_ += 1;
  busy_seconds_ += turn.busy_seconds;
  longest_ = std::max(longest_, turn.busy_seconds);
  if (slow_seconds_ <= 0 || turn.busy_seconds < slow_seconds_) return std::nullopt;
  slow_turns_ += 1;
  return turn;
}

namespace {

std::string Ms(double seconds) { return absl::StrCat(std::llround(seconds * 1000), " ms"); }

std::string Megabytes(double bytes) { return absl::StrFormat("%.1f MB", bytes / 1e6); }

}  // namespace

std::string LoopTurns::Describe(const Turn& turn, unsigned election_timeout_ms) {
  double named = 0;
  for (int part = 0; part < kPartCount; ++part) {
    if (part != kStoreWrite) named += turn.part_seconds[part];
  }
  return absl::StrCat(
      "a Raft loop turn was busy ", Ms(turn.busy_seconds), " (election timeout ",
      election_timeout_ms, " ms): applying ", turn.entries, " entries (",
      Megabytes(static_cast<double>(turn.entry_bytes)), ") ", Ms(turn.part_seconds[kApply]),
      " (RocksDB write ", Ms(turn.part_seconds[kStoreWrite]), "), snapshots ",
      Ms(turn.part_seconds[kSnapshot]), ", restoring ", Ms(turn.part_seconds[kRestore]),
      ", proposing ", Ms(turn.part_seconds[kPropose]), ", libraft and I/O ",
      Ms(std::max(0.0, turn.busy_seconds - named)), "; on CPU ", Ms(turn.cpu_seconds), ", blocked ",
      turn.waits, " times, preempted ", turn.preemptions, " times, disk read ",
      Megabytes(static_cast<double>(turn.read_blocks) * 512), ", written ",
      Megabytes(static_cast<double>(turn.write_blocks) * 512));
}

}  // namespace ledger
