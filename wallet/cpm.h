// Customer-presented payment codes (CPM): what the wallet shows at the counter and the terminal scans.
//
// Text: "LC1" followed by the RFC 4648 base32 (upper case, no padding; every character is in the QR
// alphanumeric set, so the QR code stays small) of
//   u8 version (1) | 16 bytes wallet account id | u64 nonce | u64 issued_at_ms | u32 ttl_seconds |
//   64 bytes Ed25519 signature over "ledger-cpm-v1" || the 37 bytes before it
// (integers little-endian). A code is short-lived (default 60 s) and one-time: the ledger records each
// (account, nonce) it accepts and refuses a second use.
#ifndef WALLET_CPM_H_
#define WALLET_CPM_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "wallet/keys.h"

namespace wallet {

inline constexpr uint32_t kCpmTtlSecondsDefault = 60;
inline constexpr uint32_t kCpmTtlSecondsMax = 600;
inline constexpr uint64_t kClockSkewMsMax = 30'000;  // A code "issued" further ahead than this is refused.

struct CpmCode {
  std::string account;  // 16 bytes.
  uint64_t nonce = 0;
  uint64_t issued_at_ms = 0;  // Wallet clock, Unix milliseconds.
  uint32_t ttl_seconds = kCpmTtlSecondsDefault;
  std::string signature;  // 64 bytes.
};

// Signs and encodes a code. INVALID_ARGUMENT for an account that is not 16 bytes or a ttl out of range.
absl::StatusOr<std::string> IssueCpm(const KeyPair& keys, std::string_view account, uint64_t nonce,
                                     uint64_t issued_at_ms, uint32_t ttl_seconds = kCpmTtlSecondsDefault);

// Decodes the text (format only). INVALID_ARGUMENT saying what is wrong.
absl::StatusOr<CpmCode> DecodeCpm(std::string_view text);

// Checks the signature against the wallet's registered public key and the validity window at `now_ms`:
// PERMISSION_DENIED "signature mismatch", FAILED_PRECONDITION "code expired at …" or "issued in the
// future". (One-time use is the ledger's check.)
absl::Status VerifyCpm(const CpmCode& code, std::string_view public_key, uint64_t now_ms);

std::string Base32(std::string_view bytes);
absl::StatusOr<std::string> FromBase32(std::string_view text);

}  // namespace wallet

#endif  // WALLET_CPM_H_
