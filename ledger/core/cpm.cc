// Customer-presented codes: see cpm.h.
#include "ledger/core/cpm.h"

#include <sodium.h>

#include "absl/strings/str_cat.h"

namespace ledger {
namespace {

constexpr std::string_view kPrefix = "LC1";
constexpr std::string_view kDomain = "ledger-cpm-v1";
constexpr uint8_t kVersion = 1;
constexpr size_t kBodyBytes = 1 + 16 + 8 + 8 + 4;
constexpr size_t kSignatureBytes = 64;
constexpr size_t kCodeBytes = kBodyBytes + kSignatureBytes;
constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
static_assert(kCpmTextLength == kPrefix.size() + (kCodeBytes * 8 + 4) / 5);

void Put(std::string* out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>(value >> (8 * i)));
}

uint64_t Get(std::string_view bytes) {
  uint64_t value = 0;
  for (size_t i = bytes.size(); i-- > 0;) value = (value << 8) | static_cast<uint8_t>(bytes[i]);
  return value;
}

std::string Body(const CpmCode& code) {
  std::string body(1, static_cast<char>(kVersion));
  body += code.account;
  Put(&body, code.nonce, 8);
  Put(&body, code.issued_at_ms, 8);
  Put(&body, code.ttl_seconds, 4);
  return body;
}

}  // namespace

std::string Base32(std::string_view bytes) {
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    buffer = (buffer << 8) | c;
    bits += 8;
    while (bits >= 5) {
      out.push_back(kAlphabet[(buffer >> (bits - 5)) & 31]);
      bits -= 5;
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(buffer << (5 - bits)) & 31]);
  return out;
}

absl::StatusOr<std::string> FromBase32(std::string_view text) {
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    int value;
    if (c >= 'A' && c <= 'Z') {
      value = c - 'A';
    } else if (c >= '2' && c <= '7') {
      value = c - '2' + 26;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("code: character ", i, " is not base32 (A-Z, 2-7)"));
    }
    buffer = (buffer << 5) | static_cast<uint32_t>(value);
    bits += 5;
    if (bits >= 8) {
      out.push_back(static_cast<char>((buffer >> (bits - 8)) & 0xff));
      bits -= 8;
    }
  }
  if (bits >= 5 || (buffer & ((1u << bits) - 1)) != 0) {
    return absl::InvalidArgumentError("code: base32 text has trailing bits (truncated or altered)");
  }
  return out;
}

std::string CpmSignedBytes(const CpmCode& code) { return std::string(kDomain) + Body(code); }

std::string EncodeCpm(const CpmCode& code) {
  return std::string(kPrefix) + Base32(Body(code) + code.signature);
}

absl::StatusOr<CpmCode> DecodeCpm(std::string_view text) {
  if (text.size() < kPrefix.size() || text.substr(0, kPrefix.size()) != kPrefix) {
    return absl::InvalidArgumentError("code: not a payment code (expected the prefix LC1)");
  }
  const size_t expected = kCpmTextLength;
  if (text.size() != expected) {
    return absl::InvalidArgumentError(
        absl::StrCat("code: ", expected, " characters expected, got ", text.size()));
  }
  absl::StatusOr<std::string> bytes = FromBase32(text.substr(kPrefix.size()));
  if (!bytes.ok()) return bytes.status();
  if (bytes->size() != kCodeBytes || static_cast<uint8_t>((*bytes)[0]) != kVersion) {
    return absl::InvalidArgumentError("code: unknown version");
  }
  const std::string_view b = *bytes;
  CpmCode code;
  code.account = std::string(b.substr(1, 16));
  code.nonce = Get(b.substr(17, 8));
  code.issued_at_ms = Get(b.substr(25, 8));
  code.ttl_seconds = static_cast<uint32_t>(Get(b.substr(33, 4)));
  code.signature = std::string(b.substr(kBodyBytes));
  if (code.ttl_seconds < 1 || code.ttl_seconds > kCpmTtlSecondsMax) {
    return absl::InvalidArgumentError(
        absl::StrCat("code: ttl_seconds ", code.ttl_seconds, " outside 1 to ", kCpmTtlSecondsMax));
  }
  return code;
}

CpmCheck CheckCpm(const CpmCode& code, std::string_view public_key, uint64_t now_ms) {
  const std::string message = CpmSignedBytes(code);
  if (public_key.size() != crypto_sign_PUBLICKEYBYTES ||
      code.signature.size() != crypto_sign_BYTES ||
      crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(code.signature.data()),
                                  reinterpret_cast<const unsigned char*>(message.data()),
                                  message.size(),
                                  reinterpret_cast<const unsigned char*>(public_key.data())) != 0) {
    return CpmCheck::kBadSignature;
  }
  if (code.issued_at_ms > now_ms + kClockSkewMsMax) return CpmCheck::kNotYetValid;
  if (now_ms >= code.issued_at_ms + uint64_t{code.ttl_seconds} * 1000) return CpmCheck::kExpired;
  return CpmCheck::kOk;
}

}  // namespace ledger
