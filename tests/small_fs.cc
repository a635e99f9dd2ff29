#include "tests/small_fs.h"

#include <sys/mount.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

#include "absl/strings/str_cat.h"

namespace ledger::testing {

SmallFilesystem::~SmallFilesystem() {
  if (!folder_.empty()) umount2(folder_.c_str(), MNT_DETACH);
}

absl::Status SmallFilesystem::Mount(const std::string& folder, uint64_t bytes) {
  std::error_code error;
  std::filesystem::create_directories(folder, error);
  const std::string options = absl::StrCat("size=", bytes);
  if (mount("tmpfs", folder.c_str(), "tmpfs", 0, options.c_str()) != 0) {
    return absl::FailedPreconditionError(absl::StrCat("cannot mount a ", bytes, "-byte tmpfs on ",
                                                      folder, ": ", std::strerror(errno),
                                                      " (full-disk tests need root)"));
  }
  folder_ = folder;
  return absl::OkStatus();
}

uint64_t SmallFilesystem::Available() const {
  std::error_code error;
  return std::filesystem::space(folder_, error).available;
}

absl::Status SmallFilesystem::FillLeaving(uint64_t leave) {
  const uint64_t free_now = Available();
  if (free_now <= leave) return absl::OkStatus();
  std::ofstream ballast(folder_ + "/ballast", std::ios::binary | std::ios::app);
  const std::vector<char> block(1 << 20, 'x');
  uint64_t to_write = free_now - leave;
  while (to_write > 0 && ballast) {
    const uint64_t n = std::min<uint64_t>(to_write, block.size());
    ballast.write(block.data(), static_cast<std::streamsize>(n));
    to_write -= n;
  }
  ballast.flush();
  if (!ballast) return absl::ResourceExhaustedError("the ballast filled the disk");
  return absl::OkStatus();
}

void SmallFilesystem::RemoveBallast() {
  std::error_code error;
  std::filesystem::remove(folder_ + "/ballast", error);
}

}  // namespace ledger::testing
