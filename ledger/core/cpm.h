// Customer-presented payment codes (CPM): the format the wallet shows and the core verifies. The
// wallet side (signing, QR) is in wallet/cpm.h; the byte layout is here because every replica must
// check a code the same way.
//
// Text: "LC1" followed by the RFC 4648 base32 (upper case, no padding; every character is in the QR
// alphanumeric set, so the QR code stays small) of
//   u8 version (1) | 16 bytes wallet account id | u64 nonce | u64 issued_at_ms | u32 ttl_seconds |
//   64 bytes Ed25519 signature over "ledger-cpm-v1" || the 37 bytes before it
// (integers little-endian, the account id big-endian as everywhere). A code is short-lived (default
// 60 s) and one-time: the ledger records each (account, nonce) it accepts and refuses a second use.
#ifndef LEDGER_CORE_CPM_H_
#define LEDGER_CORE_CPM_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "ledger/core/limits.h"

namespace ledger {

inline constexpr uint32_t kCpmTtlSecondsDefault = 60;
inline constexpr uint32_t kCpmTtlSecondsMax = 600;
inline constexpr uint64_t kClockSkewMsMax =
    30'000;  // A code "issued" further ahead than this is refused.
inline constexpr size_t kCpmTextLength = 3 + 162;  // "LC1" + base32 of 101 bytes.
static_assert(kCpmTextLength <= kCpmTextLengthMax,
              "every code this format makes passes the services' bound");

struct CpmCode {
  std::string account;  // 16 bytes (big-endian id).
  uint64_t nonce = 0;
  uint64_t issued_at_ms = 0;  // Wallet clock, Unix milliseconds.
  uint32_t ttl_seconds = kCpmTtlSecondsDefault;
  std::string signature;  // 64 bytes.
};

// The bytes the wallet signs: "ledger-cpm-v1" || version, account, nonce, issued_at_ms,
// ttl_seconds.
std::string CpmSignedBytes(const CpmCode& code);
// "LC1" + base32(body || signature).
std::string EncodeCpm(const CpmCode& code);
// Format only. INVALID_ARGUMENT saying what is wrong.
absl::StatusOr<CpmCode> DecodeCpm(std::string_view text);

enum class CpmCheck { kOk, kBadSignature, kNotYetValid, kExpired };
// Signature against `public_key` (32 bytes), then the validity window at `now_ms`.
CpmCheck CheckCpm(const CpmCode& code, std::string_view public_key, uint64_t now_ms);

std::string Base32(std::string_view bytes);
absl::StatusOr<std::string> FromBase32(std::string_view text);

}  // namespace ledger

#endif  // LEDGER_CORE_CPM_H_
