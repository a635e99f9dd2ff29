// A seeded fuzzer over every command the core knows (TigerBeetle's simulator idea, for the state
// machine alone): it builds a small world — assets with and without expiry, accounts of every kind,
// wallet and terminal keys, cards, a health program, devices, campaigns, task rules, tasks,
// merchant profiles and MPM orders — then throws random batches of every Command alternative at
// ApplyBatch, valid and nearly valid (wrong ids and kinds, closed accounts, amounts at
// 0/1/max/overflow, duplicates, bad signatures, ids with '/', days in the past and future), with a
// logical clock that sometimes jumps far enough to sweep lots, pendings and tasks.
//
// After every batch it checks: ApplyBatch accepted the batch, testing::CheckInvariants holds, and a
// replica fed the same batches through EncodeBatch/DecodeBatch (what replication ships) has the
// same StateHash. Every failure message ends with "reproduce with --seed=N". A CORE_CHECK aborts
// the process; CoreFuzzer prints its seed to stderr first (and the fuzz programs install a SIGABRT
// handler that prints it again), so a crash is reproducible too.
//
// Everything derives from the seed: the same seed gives the same batches, byte for byte.
//
// Example:
//   ledger::fuzz::CoreFuzzer fuzzer(seed);
//   std::string failure = fuzzer.Run(/*batches=*/200);
//   if (!failure.empty()) ...  // failure names the seed and the batch.
#ifndef LEDGER_CORE_CORE_FUZZ_H_
#define LEDGER_CORE_CORE_FUZZ_H_

#include <array>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <variant>
#include <vector>

#include "ledger/core/journal.h"
#include "ledger/core/kv.h"
#include "ledger/core/state_machine.h"

namespace ledger::fuzz {

inline constexpr size_t kCommandKinds = std::variant_size_v<Command>;
// Bounds of one random batch: commands, and requests it is cut into.
inline constexpr int kFuzzBatchCommandsMax = 24;
// Every this many batches the journal's hash chain is re-walked (it is O(journal), so not every
// batch).
inline constexpr int kJournalVerifyEvery = 64;
// At most this many batches from one libFuzzer input.
inline constexpr int kFuzzBytesBatchesMax = 64;

struct FuzzOptions {
  uint64_t seed = 1;
  // Replays every applied batch from an empty state at the end of Run and compares the state hash
  // (the per-batch replica already compares after every batch; this checks the replay from scratch
  // literally).
  bool replay_from_empty_at_end = true;
  // Step reports are journaled without their steps and signature, so the audit's journal replay
  // (audit.h) stops at the first one; without them it replays the whole journal and compares
  // states.
  bool step_reports = true;
};

struct FuzzStats {
  uint64_t batches = 0;          // Applied batches, setup included.
  uint64_t commands = 0;         // Commands in them.
  uint64_t ok_outcomes = 0;      // Commands whose outcome was ok.
  uint64_t refused_batches = 0;  // Malformed batches ApplyBatch refused as it should.
  uint64_t out_of_bounds = 0;    // Commands with an over-long string, refused by the batch decoder.
  uint64_t clock_jumps = 0;      // Batches after a jump of a day or more.
  std::array<uint64_t, kCommandKinds> by_kind{};     // Commands generated per variant index.
  std::array<uint64_t, kCommandKinds> ok_by_kind{};  // Of them, ok (duplicates included).
};

class World;
namespace internal {
class Source;
}

class CoreFuzzer {
 public:
  explicit CoreFuzzer(const FuzzOptions& options);
  explicit CoreFuzzer(uint64_t seed) : CoreFuzzer(FuzzOptions{seed}) {}
  ~CoreFuzzer();

  // Sets the world up (first call only) and applies `batches` random batches. Returns "" if every
  // check held, else the first failure, ending with "reproduce with --seed=N".
  std::string Run(int batches);
  // Applies one batch decoded from fuzzer bytes (the libFuzzer entry): the bytes choose the
  // commands instead of the seed. Same checks as Run.
  std::string RunBytes(std::string_view bytes);

  const FuzzStats& stats() const { return stats_; }
  const MemoryKv& state() const { return state_; }
  uint64_t seed() const { return options_.seed; }
  // Every batch applied so far (the malformed ones refused are not), with its logical time.
  const std::vector<std::pair<Timestamp, std::string>>& applied() const { return applied_; }

 private:
  std::string SetUp();
  std::string RandomBatch(internal::Source* source);
  std::string ApplyAndCheck(const Batch& batch);
  std::string CheckMalformedBatch();
  std::string ReplayFromEmpty() const;
  std::string AuditWithReplay() const;
  std::string Failure(const std::string& what) const;

  FuzzOptions options_;
  std::mt19937_64 random_;
  std::unique_ptr<World> world_;
  MemoryKv state_;
  MemoryKv replica_;
  OperatorJournalCheck operator_check_;  // Fed every entry, in journal order.
  Timestamp now_;
  bool set_up_ = false;
  bool trace_ =
      false;  // CORE_FUZZ_TRACE set: every command's variant index and result go to stderr.
  FuzzStats stats_;
  // Every applied batch with its timestamp, for the replay from empty.
  std::vector<std::pair<Timestamp, std::string>> applied_;
};

// Installs a SIGABRT handler that prints "core fuzz: aborted; reproduce with --seed=N" for the seed
// most recently passed to CoreFuzzer (a CORE_CHECK aborts). For the fuzz programs and the test.
void InstallAbortReporter();

}  // namespace ledger::fuzz

#endif  // LEDGER_CORE_CORE_FUZZ_H_
