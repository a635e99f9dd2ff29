// Writing a whole small file so that a reader (or a crash) never sees half of it: the contents go
// to PATH.tmp (created afresh, with the given mode less the umask), are fsynced, and the temporary
// is renamed over PATH.
#ifndef LEDGER_STORAGE_ATOMIC_FILE_H_
#define LEDGER_STORAGE_ATOMIC_FILE_H_

#include <sys/types.h>

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace ledger {

// UNAVAILABLE "cannot write PATH: reason" on failure (the temporary is removed).
absl::Status WriteFileAtomically(const std::string& path, std::string_view contents,
                                 mode_t mode = 0644);

}  // namespace ledger

#endif  // LEDGER_STORAGE_ATOMIC_FILE_H_
