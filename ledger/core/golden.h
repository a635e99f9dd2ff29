// Golden batch logs: what a ledger applied, recorded so a later core can be shown to apply the same
// batches to the same bytes (ledger/core/golden_test.cc). Test support only.
//
// A log is a sequence of records, each: u64 batch timestamp, u32 length + the batch as replicated
// (EncodeBatch: step reports with their health data), u32 length + the journal entry the core made
// from it (EncodeJournalEntry, ending with its hash). Little-endian, as ledger/core/codec.h writes.
#ifndef LEDGER_CORE_GOLDEN_H_
#define LEDGER_CORE_GOLDEN_H_

#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/core/state_machine.h"
#include "ledger/core/types.h"

namespace ledger {

struct GoldenBatch {
  Timestamp timestamp = 0;
  std::string batch;  // EncodeBatch bytes.
  std::string entry;  // The journal entry's stored bytes.
};

std::string EncodeGoldenBatch(Timestamp timestamp, const Batch& batch,
                              std::string_view entry_bytes);
// nullopt if the bytes are not a whole number of well-formed records.
std::optional<std::vector<GoldenBatch>> DecodeGoldenLog(std::string_view bytes);

// Appends records to a file (created or truncated on open); for the recording hooks.
// Thread-compatible.
class GoldenRecorder {
 public:
  // nullptr (no recording) when path is empty; aborts if the file cannot be opened.
  static std::unique_ptr<GoldenRecorder> Open(const std::string& path);
  ~GoldenRecorder();
  void Record(Timestamp timestamp, const Batch& batch, std::string_view entry_bytes);

 private:
  explicit GoldenRecorder(FILE* file) : file_(file) {}
  FILE* file_;
};

}  // namespace ledger

#endif  // LEDGER_CORE_GOLDEN_H_
