// Customer-presented payment codes (CPM), the wallet side: issue (sign) a code to show at the
// counter, and check one with Status errors for people. The byte layout is ledger/core/cpm.h (the
// ledger verifies codes in its deterministic core).
#ifndef WALLET_CPM_H_
#define WALLET_CPM_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "formats/keys.h"
#include "ledger/core/cpm.h"

namespace wallet {

using ledger::Base32;
using ledger::CpmCode;
using ledger::DecodeCpm;
using ledger::FromBase32;
using ledger::kClockSkewMsMax;
using ledger::kCpmTtlSecondsDefault;
using ledger::kCpmTtlSecondsMax;

// Signs and encodes a code. INVALID_ARGUMENT for an account that is not 16 bytes or a ttl out of
// range.
absl::StatusOr<std::string> IssueCpm(const KeyPair& keys, std::string_view account, uint64_t nonce,
                                     uint64_t issued_at_ms,
                                     uint32_t ttl_seconds = kCpmTtlSecondsDefault);

// Checks the signature against the wallet's public key and the validity window at `now_ms`:
// PERMISSION_DENIED "signature mismatch", FAILED_PRECONDITION "code expired ..." or "issued in the
// future". (One-time use is the ledger's check.)
absl::Status VerifyCpm(const CpmCode& code, std::string_view public_key, uint64_t now_ms);

}  // namespace wallet

#endif  // WALLET_CPM_H_
