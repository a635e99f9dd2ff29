// The golden test: batches recorded from an earlier build (ledger/core/testdata/golden) are applied
// by this build's core and must give the same journal entries, byte for byte, the same journal head
// and the same state hash; every batch and entry must also re-encode to the very bytes recorded. It
// is what shows that a refactoring of the core changed no behaviour and no format (no migration).
//
// The fixtures (made at commit 5b5274f, before the core was split by domain):
//  - demo_town.batches: every batch the demo town's ledgerd stored (`ledgerd --record_batches`,
//  then
//    `demo_town --residents=40`); real requests through the real services.
//  - model.batches: the model test's command log (LEDGER_GOLDEN_RECORD=<file>
//    LEDGER_TEST_SEED=2026 LEDGER_TEST_BATCHES=600 model_test).
//  - core_fuzz.batches: the core fuzzer's batches, every command kind (`golden_record --seed=2026
//    --batches=400`).
// Each has a .expect file: the number of entries, the head's hash and the state hash after the last
// one. To rewrite the .expect files (only when a change of format is intended and documented in
// ledger/FORMAT.md): LEDGER_GOLDEN_WRITE_EXPECT=<dir> bazel test //ledger/core:golden_test.
#include "ledger/core/golden.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "ledger/core/journal.h"
#include "ledger/core/kv.h"
#include "ledger/core/state_machine.h"
#include "ledger/core/types.h"

namespace ledger {
namespace {

// Command kinds that existed when the fixtures were recorded: each must appear in one of them.
constexpr size_t kRecordedCommandKinds = 38;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::string Hex(std::string_view bytes) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

// Where two byte strings first differ, for the failure message.
size_t FirstDifference(std::string_view a, std::string_view b) {
  size_t i = 0;
  while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
  return i;
}

struct Replayed {
  uint64_t entries = 0;
  std::string head_hash;
  std::string state_hash;
  std::set<size_t> kinds;
};

// Applies every recorded batch; a mismatch is a test failure naming the entry.
void Replay(const std::string& name, Replayed* out) {
  Replayed& replayed = *out;
  const std::string bytes = ReadFile("ledger/core/testdata/golden/" + name + ".batches");
  std::optional<std::vector<GoldenBatch>> log = DecodeGoldenLog(bytes);
  if (!log || log->empty()) {
    ADD_FAILURE() << name << ": the golden batch log is missing or unreadable (" << bytes.size()
                  << " bytes)";
    return;
  }
  MemoryKv state;
  for (size_t i = 0; i < log->size(); ++i) {
    const GoldenBatch& record = (*log)[i];
    SCOPED_TRACE(::testing::Message() << name << " entry " << i + 1);
    std::optional<Batch> batch = DecodeBatch(record.batch);
    ASSERT_TRUE(batch.has_value()) << "the recorded batch no longer decodes";
    const std::string reencoded = EncodeBatch(*batch);
    ASSERT_EQ(reencoded.size(), record.batch.size()) << "the batch re-encodes to another length";
    ASSERT_TRUE(reencoded == record.batch) << "the batch re-encodes differently from byte "
                                           << FirstDifference(reencoded, record.batch);
    for (const Command& command : batch->commands) replayed.kinds.insert(command.index());

    absl::StatusOr<ApplyOutput> output = ApplyBatch(state, record.timestamp, *batch);
    ASSERT_TRUE(output.ok()) << output.status();
    ASSERT_EQ(output->entry_bytes.size(), record.entry.size())
        << "the journal entry has another length";
    ASSERT_TRUE(output->entry_bytes == record.entry)
        << "the journal entry differs from byte "
        << FirstDifference(output->entry_bytes, record.entry);
    std::optional<JournalEntry> entry = DecodeJournalEntry(record.entry);
    ASSERT_TRUE(entry.has_value()) << "the recorded journal entry no longer decodes";
    ASSERT_TRUE(EncodeJournalEntry(*entry) == record.entry)
        << "the journal entry re-encodes differently";
    state.Apply(output->writes);
  }
  const JournalHead head = ReadHead(state);
  replayed.entries = head.index;
  replayed.head_hash = Hex(head.hash);
  replayed.state_hash = Hex(StateHash(state));
}

void CheckAgainstExpect(const std::string& name, const Replayed& replayed) {
  const std::string actual = "entries " + std::to_string(replayed.entries) + "\nhead_hash " +
                             replayed.head_hash + "\nstate_hash " + replayed.state_hash + "\n";
  if (const char* dir = std::getenv("LEDGER_GOLDEN_WRITE_EXPECT")) {
    std::ofstream(std::string(dir) + "/" + name + ".expect") << actual;
    return;
  }
  EXPECT_EQ(ReadFile("ledger/core/testdata/golden/" + name + ".expect"), actual) << name;
}

TEST(GoldenTest, DemoTownReplaysByteForByte) {
  Replayed replayed;
  Replay("demo_town", &replayed);
  if (HasFatalFailure()) return;
  EXPECT_GT(replayed.entries, 100u);
  CheckAgainstExpect("demo_town", replayed);
}

TEST(GoldenTest, ModelTestLogReplaysByteForByte) {
  Replayed replayed;
  Replay("model", &replayed);
  if (HasFatalFailure()) return;
  EXPECT_GT(replayed.entries, 100u);
  CheckAgainstExpect("model", replayed);
}

TEST(GoldenTest, CoreFuzzLogReplaysByteForByteAndHoldsEveryKind) {
  Replayed replayed;
  Replay("core_fuzz", &replayed);
  if (HasFatalFailure()) return;
  EXPECT_GT(replayed.entries, 100u);
  CheckAgainstExpect("core_fuzz", replayed);
  for (size_t kind = 0; kind < kRecordedCommandKinds; ++kind) {
    EXPECT_TRUE(replayed.kinds.count(kind))
        << "no command of variant index " << kind << " in the fuzz log";
  }
}

}  // namespace
}  // namespace ledger
