// Customer-presented codes: issue, decode, verify, and every refusal.
#include "wallet/cpm.h"

#include <gtest/gtest.h>

namespace wallet {
namespace {

const std::string kAccount = std::string("\x70\0\0\0\0\0\0\x01\0\0\0\x05\0\0\0\x07", 16);
constexpr uint64_t kNow = 1'795'400'000'000;

TEST(CpmTest, Base32RoundTripsAndRefusesJunk) {
  for (const std::string& bytes :
       {std::string(), std::string("f"), std::string("foobar"), std::string(101, '\xff')}) {
    EXPECT_EQ(*FromBase32(Base32(bytes)), bytes);
  }
  EXPECT_EQ(Base32("foobar"), "MZXW6YTBOI");  // RFC 4648 test vector (without padding).
  EXPECT_FALSE(FromBase32("MZXW6YTBO1").ok());
}

TEST(CpmTest, IssuedCodeVerifiesWithinItsWindow) {
  const KeyPair keys = GenerateKeyPair();
  absl::StatusOr<std::string> text = IssueCpm(keys, kAccount, 42, kNow, 60);
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(text->substr(0, 3), "LC1");
  for (char c : text->substr(3)) EXPECT_TRUE((c >= 'A' && c <= 'Z') || (c >= '2' && c <= '7'));
  absl::StatusOr<CpmCode> code = DecodeCpm(*text);
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(code->account, kAccount);
  EXPECT_EQ(code->nonce, 42u);
  EXPECT_EQ(code->issued_at_ms, kNow);
  EXPECT_EQ(code->ttl_seconds, 60u);
  EXPECT_TRUE(VerifyCpm(*code, keys.public_key, kNow + 59'999).ok());
  const absl::Status expired = VerifyCpm(*code, keys.public_key, kNow + 61'000);
  EXPECT_EQ(expired.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(expired.message(), "code: expired 1 s ago (valid 60 s)");
  EXPECT_EQ(VerifyCpm(*code, keys.public_key, kNow - 31'000).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(VerifyCpm(*code, GenerateKeyPair().public_key, kNow).code(),
            absl::StatusCode::kPermissionDenied);
}

TEST(CpmTest, AlteredCodesAreRefused) {
  const KeyPair keys = GenerateKeyPair();
  const std::string text = *IssueCpm(keys, kAccount, 7, kNow);
  int refused = 0;
  for (size_t i = 3; i < text.size(); ++i) {
    std::string altered = text;
    altered[i] = altered[i] == 'A' ? 'B' : 'A';
    absl::StatusOr<CpmCode> code = DecodeCpm(altered);
    refused += !code.ok() || !VerifyCpm(*code, keys.public_key, kNow).ok();
  }
  EXPECT_EQ(refused, static_cast<int>(text.size() - 3)) << "every altered character must be caught";
  EXPECT_EQ(DecodeCpm("XX1ABC").status().message(),
            "code: not a payment code (expected the prefix LC1)");
  EXPECT_EQ(DecodeCpm(text.substr(0, 50)).status().message(),
            "code: 165 characters expected, got 50");
  EXPECT_EQ(IssueCpm(keys, "short", 1, kNow).status().message(), "account: must be 16 bytes");
  EXPECT_EQ(IssueCpm(keys, kAccount, 1, kNow, 601).status().message(),
            "ttl_seconds: 1 to 600, got 601");
}

}  // namespace
}  // namespace wallet
