// A small filesystem for full-disk tests: a tmpfs of a given size mounted on a folder, unmounted
// when destroyed. Mounting needs root (CAP_SYS_ADMIN); without it Mount says why and the test
// reports itself skipped, naming the reason.
#ifndef TESTS_SMALL_FS_H_
#define TESTS_SMALL_FS_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"

namespace ledger::testing {

class SmallFilesystem {
 public:
  SmallFilesystem() = default;
  SmallFilesystem(const SmallFilesystem&) = delete;
  SmallFilesystem& operator=(const SmallFilesystem&) = delete;
  ~SmallFilesystem();

  // Mounts a tmpfs of `bytes` on `folder` (made if missing).
  absl::Status Mount(const std::string& folder, uint64_t bytes);
  uint64_t Available() const;  // Bytes free now.
  // Writes a ballast file so that about `leave` bytes stay free (none if already below).
  absl::Status FillLeaving(uint64_t leave);
  void RemoveBallast();  // Frees the ballast's space.

 private:
  std::string folder_;
};

}  // namespace ledger::testing

#endif  // TESTS_SMALL_FS_H_
