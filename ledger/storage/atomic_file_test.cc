// WriteFileAtomically leaves the whole new contents under PATH with at most the requested mode,
// even when a crash left a temporary with wider permissions behind.
#include "ledger/storage/atomic_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace ledger {
namespace {

std::string TestDir() {
  const char* tmp = std::getenv("TEST_TMPDIR");
  const std::string dir = std::string(tmp != nullptr ? tmp : "/tmp") + "/atomic_file_test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

std::string Contents(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

mode_t Mode(const std::string& path) {
  struct stat info {};
  EXPECT_EQ(::stat(path.c_str(), &info), 0) << path;
  return info.st_mode & 0777;
}

TEST(AtomicFileTest, ReplacesTheContentsWhole) {
  const std::string path = TestDir() + "/file";
  ASSERT_TRUE(WriteFileAtomically(path, "first\n").ok());
  ASSERT_TRUE(WriteFileAtomically(path, "second\n").ok());
  EXPECT_EQ(Contents(path), "second\n");
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
}

TEST(AtomicFileTest, AStaleTemporaryDoesNotWidenTheMode) {
  const std::string path = TestDir() + "/secret";
  {
    std::ofstream stale(path + ".tmp");
    stale << "left by a crash";
  }
  ASSERT_EQ(::chmod((path + ".tmp").c_str(), 0644), 0);
  ASSERT_TRUE(WriteFileAtomically(path, "token\n", 0600).ok());
  EXPECT_EQ(Contents(path), "token\n");
  EXPECT_EQ(Mode(path), 0600u);
}

TEST(AtomicFileTest, AnUnwritableDirectoryIsUnavailable) {
  const absl::Status status = WriteFileAtomically("/nonexistent-dir/for-sure/file", "x");
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(status.message().find("cannot write /nonexistent-dir/for-sure/file.tmp"),
            std::string::npos)
      << status.message();
}

}  // namespace
}  // namespace ledger
