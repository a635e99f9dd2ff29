// CORE_CHECK: the project's one check macro, for invariants the code itself keeps (a broken
// invariant, an undecodable record only the ledger could have written). Continuing would corrupt
// the ledger, so a failed check prints where and why and stops the process. Nothing a request can
// cause may reach one: input problems are result codes (ledger/core/records.h) or statuses.
//
//   CORE_CHECK(condition);
//   CORE_CHECK(condition, "what was expected");  // An optional message (a C string).
//
// Used by the core, replication and the simulator alike. Debian's Abseil (20220623) has no
// absl/log.
#ifndef LEDGER_CORE_CHECK_H_
#define LEDGER_CORE_CHECK_H_

#include <cstdio>
#include <cstdlib>

namespace ledger {

[[noreturn]] inline void CheckFailed(const char* condition, const char* file, int line,
                                     const char* message = "") {
  std::fprintf(stderr, "FATAL: check failed: %s at %s:%d%s%s\n", condition, file, line,
               *message ? ": " : "", message);
  std::fflush(stderr);
  std::abort();
}

}  // namespace ledger

#define CORE_CHECK(condition, ...)                                                      \
  do {                                                                                  \
    if (!(condition))                                                                   \
      ::ledger::CheckFailed(#condition, __FILE__, __LINE__ __VA_OPT__(, ) __VA_ARGS__); \
  } while (0)

#endif  // LEDGER_CORE_CHECK_H_
