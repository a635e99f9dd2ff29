// Sealed keys and signatures.
#include "formats/keys.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>

namespace wallet {
namespace {

TEST(KeysTest, SealOpenRoundTrip) {
  const KeyPair keys = GenerateKeyPair();
  absl::StatusOr<std::string> sealed = Seal(keys, "correct horse battery", SealCost::Interactive());
  ASSERT_TRUE(sealed.ok()) << sealed.status();
  EXPECT_EQ(*SealedPublicKey(*sealed), keys.public_key);
  absl::StatusOr<KeyPair> opened = Open(*sealed, "correct horse battery");
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(opened->secret_key, keys.secret_key);
  EXPECT_EQ(sealed->find(keys.secret_key.substr(0, 32)), std::string::npos)
      << "the secret must not be in clear";
}

TEST(KeysTest, WrongPassphraseAndDamageAreRefused) {
  const KeyPair keys = GenerateKeyPair();
  const std::string sealed = *Seal(keys, "correct horse battery", SealCost::Interactive());
  EXPECT_EQ(Open(sealed, "wrong horse battery").status().code(),
            absl::StatusCode::kPermissionDenied);
  std::string damaged = sealed;
  damaged.back() ^= 1;
  EXPECT_EQ(Open(damaged, "correct horse battery").status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Open("not a key", "correct horse battery").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Seal(keys, "short", SealCost::Interactive()).status().message(),
            "passphrase: at least 8 characters, got 5");
}

TEST(KeysTest, KeyFileIsPrivateAndWholeOnDisk) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  const std::string path = std::string(tmp ? tmp : "/tmp") + "/wallet.key";
  const std::string sealed =
      *Seal(GenerateKeyPair(), "correct horse battery", SealCost::Interactive());
  ASSERT_TRUE(WriteKeyFile(path, sealed).ok());
  struct stat info;
  ASSERT_EQ(stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600);
  EXPECT_EQ(*ReadKeyFile(path), sealed);
  EXPECT_EQ(ReadKeyFile(path + ".missing").status().code(), absl::StatusCode::kNotFound);
}

TEST(KeysTest, SignaturesVerifyOnlyForTheExactBytesAndKey) {
  const KeyPair keys = GenerateKeyPair();
  const std::string signature = Sign(keys, "pay 1200 to shop 7");
  EXPECT_TRUE(Verify(keys.public_key, "pay 1200 to shop 7", signature));
  EXPECT_FALSE(Verify(keys.public_key, "pay 1201 to shop 7", signature));
  EXPECT_FALSE(Verify(GenerateKeyPair().public_key, "pay 1200 to shop 7", signature));
  EXPECT_FALSE(Verify(keys.public_key, "pay 1200 to shop 7", signature.substr(1)));
}

}  // namespace
}  // namespace wallet
