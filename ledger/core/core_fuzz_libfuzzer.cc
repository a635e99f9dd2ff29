// libFuzzer entry for the ledger core (`ops/fuzz core`): the input's bytes choose the commands,
// fields and clock moves of up to kFuzzBytesBatchesMax batches over the core fuzzer's world
// (CoreFuzzer::RunBytes), so coverage guidance steers the same generator the seeded runs use. A
// failed check or a CORE_CHECK aborts, and libFuzzer keeps the input.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "ledger/core/core_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ledger::fuzz::CoreFuzzer fuzzer(/*seed=*/1);  // The seed only derives the world's keys here.
  const std::string failure =
      fuzzer.RunBytes(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!failure.empty()) {
    fprintf(stderr, "%s\n", failure.c_str());
    std::abort();
  }
  return 0;
}
