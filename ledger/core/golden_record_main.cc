// golden_record: writes the core fuzzer's batches (every command kind) as a golden batch log
// (ledger/core/golden.h) for golden_test. The journal entries are what this build's core makes of
// them.
//
//   bazel run //ledger/core:golden_record -- --seed=N --batches=M --out=FILE
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "ledger/core/core_fuzz.h"
#include "ledger/core/golden.h"
#include "ledger/core/kv.h"
#include "ledger/core/state_machine.h"

ABSL_FLAG(uint64_t, seed, 1, "the core fuzzer's seed");
ABSL_FLAG(int, batches, 400, "batches to generate");
ABSL_FLAG(std::string, out, "", "the golden batch log to write (required)");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Writes the core fuzzer's batches and this core's journal entries for them as a golden batch "
      "log.\n"
      "Usage: golden_record --seed=N --batches=M --out=FILE");
  absl::ParseCommandLine(argc, argv);
  const std::string out = absl::GetFlag(FLAGS_out);
  if (out.empty()) {
    fprintf(stderr, "golden_record: --out is required\n");
    return 2;
  }
  ledger::fuzz::FuzzOptions options;
  options.seed = absl::GetFlag(FLAGS_seed);
  ledger::fuzz::CoreFuzzer fuzzer(options);
  if (std::string failure = fuzzer.Run(absl::GetFlag(FLAGS_batches)); !failure.empty()) {
    fprintf(stderr, "golden_record: the fuzzer failed: %s\n", failure.c_str());
    return 1;
  }
  std::unique_ptr<ledger::GoldenRecorder> recorder = ledger::GoldenRecorder::Open(out);
  ledger::MemoryKv state;
  for (const auto& [timestamp, bytes] : fuzzer.applied()) {
    std::optional<ledger::Batch> batch = ledger::DecodeBatch(bytes);
    absl::StatusOr<ledger::ApplyOutput> output = batch
                                                     ? ledger::ApplyBatch(state, timestamp, *batch)
                                                     : absl::InternalError("undecodable batch");
    if (!output.ok()) {
      fprintf(stderr, "golden_record: replay failed: %s\n", output.status().ToString().c_str());
      return 1;
    }
    state.Apply(output->writes);
    recorder->Record(timestamp, *batch, output->entry_bytes);
  }
  printf("golden_record: %zu batches written to %s\n", fuzzer.applied().size(), out.c_str());
  return 0;
}
