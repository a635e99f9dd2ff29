// SIM_CHECK: "continuing would be worse than stopping". Debian's Abseil (20220623) has no absl/log.
#ifndef SIM_CHECK_H_
#define SIM_CHECK_H_

#include <cstdio>
#include <cstdlib>

#define SIM_CHECK(condition, message)                                                        \
  do {                                                                                       \
    if (!(condition)) {                                                                      \
      std::fprintf(stderr, "%s:%d: check failed: %s (%s)\n", __FILE__, __LINE__, #condition, \
                   message);                                                                 \
      std::abort();                                                                          \
    }                                                                                        \
  } while (0)

#endif  // SIM_CHECK_H_
