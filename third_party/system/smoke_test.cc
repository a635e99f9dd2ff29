// Proves the system libraries link: one call into each.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <sodium.h>

#include "absl/strings/str_cat.h"

TEST(SystemLibraries, Link) {
  EXPECT_GE(sodium_init(), 0);
  EXPECT_EQ(absl::StrCat("a", 1), "a1");
  EXPECT_FALSE(grpc::Version().empty());
  rocksdb::Options options;
  EXPECT_TRUE(options.create_if_missing == false);
}
