// The operator token file: created once with 64 hex digits and mode 0600, read back unchanged,
// refused when others may read it or when it does not hold a token.
#include "ledger/server/operator_token.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace ledger {
namespace {

std::string TestDir(const std::string& name) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  const std::string dir =
      std::string(tmp != nullptr ? tmp : "/tmp") + "/operator_token_test/" + name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

void WriteFile(const std::string& path, const std::string& contents, mode_t mode) {
  {
    std::ofstream out(path, std::ios::trunc);
    out << contents;
  }
  ASSERT_EQ(::chmod(path.c_str(), mode), 0);
}

mode_t Mode(const std::string& path) {
  struct stat info {};
  EXPECT_EQ(::stat(path.c_str(), &info), 0);
  return info.st_mode & 07777;
}

TEST(OperatorTokenTest, CreatedOnceThenReadBack) {
  const std::string path = TestDir("create") + "/operator.token";
  absl::StatusOr<OperatorTokenFile> created = LoadOrCreateOperatorTokenFile(path);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_TRUE(created->created);
  EXPECT_EQ(created->token.size(), 64u);
  EXPECT_EQ(created->token.find_first_not_of("0123456789abcdef"), std::string::npos)
      << created->token;
  EXPECT_EQ(Mode(path), 0600u);
  std::ifstream in(path);
  std::string contents((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(contents, created->token + "\n");
  absl::StatusOr<OperatorTokenFile> again = LoadOrCreateOperatorTokenFile(path);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->token, created->token);
  absl::StatusOr<std::string> client = ReadOperatorTokenFile(path);
  ASSERT_TRUE(client.ok()) << client.status();
  EXPECT_EQ(*client, created->token);
  // No temporary is left beside it.
  int files = 0;
  for ([[maybe_unused]] const auto& entry :
       std::filesystem::directory_iterator(std::filesystem::path(path).parent_path())) {
    ++files;
  }
  EXPECT_EQ(files, 1);
  // A second directory gets a different token.
  absl::StatusOr<OperatorTokenFile> other =
      LoadOrCreateOperatorTokenFile(TestDir("other") + "/operator.token");
  ASSERT_TRUE(other.ok());
  EXPECT_NE(other->token, created->token);
}

TEST(OperatorTokenTest, AnOperatorsOwnTokenIsKept) {
  const std::string path = TestDir("own") + "/token";
  const std::string token = "correct-horse-battery-staple-and-more!";
  WriteFile(path, token + "\r\n", 0400);
  absl::StatusOr<OperatorTokenFile> loaded = LoadOrCreateOperatorTokenFile(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_FALSE(loaded->created);
  EXPECT_EQ(loaded->token, token);
}

TEST(OperatorTokenTest, AFileOthersMayReadIsRefusedByTheServer) {
  const std::string path = TestDir("mode") + "/operator.token";
  WriteFile(path, std::string(64, 'a') + "\n", 0640);
  absl::StatusOr<OperatorTokenFile> loaded = LoadOrCreateOperatorTokenFile(path);
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(loaded.status().message(),
            path + ": mode 0640 lets group or others read or write the operator token; chmod 600 " +
                path);
  ASSERT_EQ(::chmod(path.c_str(), 0604), 0);
  EXPECT_EQ(LoadOrCreateOperatorTokenFile(path).status().code(),
            absl::StatusCode::kFailedPrecondition);
  // A client only needs to read it.
  EXPECT_TRUE(ReadOperatorTokenFile(path).ok());
}

TEST(OperatorTokenTest, NotATokenIsRefused) {
  const std::string dir = TestDir("bad");
  struct Case {
    std::string contents;
    std::string message;
  };
  for (const Case& c : std::vector<Case>{
           {"", ": empty, no operator token"},
           {"\n", ": empty, no operator token"},
           {std::string(31, 'a') + "\n",
            ": the operator token is 31 characters; it must be 32 to 256"},
           {std::string(257, 'a'), ": the operator token is 257 characters; it must be 32 to 256"},
           {std::string(32, 'a') + " b", ": character 33 of the operator token is 0x20"},
           {std::string(40, 'a') + "\n\n", ": character 41 of the operator token is 0x0a"},
           {std::string(5000, 'a'), ": more than 4096 bytes: not an operator token file"},
       }) {
    const std::string path = dir + "/token";
    WriteFile(path, c.contents, 0600);
    absl::StatusOr<std::string> token = ReadOperatorTokenFile(path);
    EXPECT_EQ(token.status().code(), absl::StatusCode::kInvalidArgument) << c.message;
    EXPECT_NE(token.status().message().find(path + c.message), std::string::npos) << token.status();
    EXPECT_EQ(LoadOrCreateOperatorTokenFile(path).status().code(),
              absl::StatusCode::kInvalidArgument);
  }
}

TEST(OperatorTokenTest, AMissingFileSaysWhereLedgerdWritesIt) {
  const std::string path = TestDir("missing") + "/operator.token";
  absl::StatusOr<std::string> token = ReadOperatorTokenFile(path);
  EXPECT_EQ(token.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(token.status().message(),
            path +
                ": cannot read: No such file or directory (ledgerd creates it at its "
                "first start: DATA_DIR/operator.token, or its --operator_token_file)");
  // The server cannot create it in a directory that does not exist either, and says so.
  const std::string nowhere = TestDir("nowhere") + "/no/such/dir/operator.token";
  EXPECT_EQ(LoadOrCreateOperatorTokenFile(nowhere).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(ReadOperatorTokenFile(TestDir("dir")).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace ledger
