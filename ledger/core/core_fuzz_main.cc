// core_fuzz_main: the core fuzzer for as long as asked, over consecutive seeds, printing progress,
// the totals and the seed of any failure. `ops/fuzz --core` runs it.
//   core_fuzz_main [--seed=N] [--seconds=N] [--batches=N]
#include <array>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include "absl/strings/numbers.h"
#include "ledger/core/core_fuzz.h"

namespace {

constexpr char kUsage[] =
    R"(core_fuzz_main: random batches of every command at the ledger core, checked after each batch.
  --seed=N          first seed (default: from the clock); seeds N, N+1, ... follow
  --seconds=N       stop starting new seeds after N seconds (default 60)
  --batches=N       batches per seed (default 400)
A failure prints "reproduce with --seed=N" and exits 1; a CORE_CHECK abort prints the seed before dying.
)";

bool Flag(const char* arg, const char* name, uint64_t* value) {
  const size_t length = std::strlen(name);
  if (std::strncmp(arg, name, length) != 0 || arg[length] != '=') return false;
  if (!absl::SimpleAtoi(arg + length + 1, value)) {
    fprintf(stderr, "core_fuzz_main: %s: not a number\n", name);
    exit(2);
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  using Clock = std::chrono::steady_clock;
  uint64_t seed =
      static_cast<uint64_t>(std::chrono::system_clock::now().time_since_epoch().count()) %
      1'000'000'000;
  uint64_t seconds = 60, batches = 400;
  for (int i = 1; i < argc; ++i) {
    if (Flag(argv[i], "--seed", &seed) || Flag(argv[i], "--seconds", &seconds) ||
        Flag(argv[i], "--batches", &batches)) {
      continue;
    }
    fprintf(std::strcmp(argv[i], "--help") == 0 ? stdout : stderr, "%s", kUsage);
    return std::strcmp(argv[i], "--help") == 0 ? 0 : 2;
  }
  ledger::fuzz::InstallAbortReporter();
  const Clock::time_point start = Clock::now();
  const uint64_t first_seed = seed;
  uint64_t seeds = 0, total_batches = 0, total_commands = 0, total_ok = 0;
  std::array<uint64_t, ledger::fuzz::kCommandKinds> by_kind{}, ok_by_kind{};
  auto elapsed = [&] { return std::chrono::duration<double>(Clock::now() - start).count(); };
  for (; elapsed() < static_cast<double>(seconds); ++seed) {
    ledger::fuzz::FuzzOptions options;
    options.seed = seed;
    ledger::fuzz::CoreFuzzer fuzzer(options);
    const std::string failure = fuzzer.Run(static_cast<int>(batches));
    ++seeds;
    total_batches += fuzzer.stats().batches;
    total_commands += fuzzer.stats().commands;
    total_ok += fuzzer.stats().ok_outcomes;
    for (size_t kind = 0; kind < ledger::fuzz::kCommandKinds; ++kind) {
      by_kind[kind] += fuzzer.stats().by_kind[kind];
      ok_by_kind[kind] += fuzzer.stats().ok_by_kind[kind];
    }
    if (!failure.empty()) {
      printf("FAILURE at seed %llu: %s\n", static_cast<unsigned long long>(seed), failure.c_str());
      return 1;
    }
    printf("seed %llu ok: %llu batches, %llu commands; total %llu seeds, %llu commands, %.0f s\n",
           static_cast<unsigned long long>(seed),
           static_cast<unsigned long long>(fuzzer.stats().batches),
           static_cast<unsigned long long>(fuzzer.stats().commands),
           static_cast<unsigned long long>(seeds), static_cast<unsigned long long>(total_commands),
           elapsed());
    fflush(stdout);
  }
  printf("commands by variant index (generated / ok):");
  for (size_t kind = 0; kind < ledger::fuzz::kCommandKinds; ++kind) {
    printf("%s%zu: %llu/%llu", kind % 6 == 0 ? "\n  " : "  ", kind,
           static_cast<unsigned long long>(by_kind[kind]),
           static_cast<unsigned long long>(ok_by_kind[kind]));
  }
  printf("\n");
  printf(
      "core fuzz done: seeds %llu..%llu (%llu), %llu batches, %llu commands (%llu ok), %.0f s, no "
      "failure\n",
      static_cast<unsigned long long>(first_seed), static_cast<unsigned long long>(seed - 1),
      static_cast<unsigned long long>(seeds), static_cast<unsigned long long>(total_batches),
      static_cast<unsigned long long>(total_commands), static_cast<unsigned long long>(total_ok),
      elapsed());
  return 0;
}
