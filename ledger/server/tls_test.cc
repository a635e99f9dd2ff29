// IsLoopbackAddress: what --plaintext accepts. The certificate checks are exercised on real files
// by tests/tls_e2e_test.cc.
#include "ledger/server/tls.h"

#include <gtest/gtest.h>

namespace ledger {
namespace {

TEST(TlsTest, LoopbackAddresses) {
  EXPECT_TRUE(IsLoopbackAddress("127.0.0.1:7400"));
  EXPECT_TRUE(IsLoopbackAddress("127.1.2.3:0"));
  EXPECT_TRUE(IsLoopbackAddress("localhost:7400"));
  EXPECT_TRUE(IsLoopbackAddress("[::1]:7400"));
  EXPECT_FALSE(IsLoopbackAddress("0.0.0.0:7400"));
  EXPECT_FALSE(IsLoopbackAddress("[::]:7400"));
  EXPECT_FALSE(IsLoopbackAddress("10.0.0.5:7400"));
  EXPECT_FALSE(IsLoopbackAddress("example.org:7400"));
  EXPECT_FALSE(IsLoopbackAddress(":7400"));
  EXPECT_FALSE(IsLoopbackAddress("[::1:7400"));
}

TEST(TlsTest, MissingFilesAreNamedWithTheirFlag) {
  const absl::Status status = CheckTlsFiles({"/nonexistent/node.crt", "/nonexistent/node.key", ""});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("--tls_cert /nonexistent/node.crt"), std::string::npos)
      << status.message();
}

}  // namespace
}  // namespace ledger
