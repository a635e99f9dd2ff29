// Customer-presented codes, wallet side: see cpm.h.
#include "wallet/cpm.h"

#include "absl/strings/str_cat.h"

namespace wallet {

absl::StatusOr<std::string> IssueCpm(const KeyPair& keys, std::string_view account, uint64_t nonce,
                                     uint64_t issued_at_ms, uint32_t ttl_seconds) {
  if (account.size() != 16) return absl::InvalidArgumentError("account: must be 16 bytes");
  if (ttl_seconds < 1 || ttl_seconds > kCpmTtlSecondsMax) {
    return absl::InvalidArgumentError(
        absl::StrCat("ttl_seconds: 1 to ", kCpmTtlSecondsMax, ", got ", ttl_seconds));
  }
  CpmCode code;
  code.account = std::string(account);
  code.nonce = nonce;
  code.issued_at_ms = issued_at_ms;
  code.ttl_seconds = ttl_seconds;
  code.signature = Sign(keys, ledger::CpmSignedBytes(code));
  return ledger::EncodeCpm(code);
}

absl::Status VerifyCpm(const CpmCode& code, std::string_view public_key, uint64_t now_ms) {
  switch (ledger::CheckCpm(code, public_key, now_ms)) {
    case ledger::CpmCheck::kOk:
      return absl::OkStatus();
    case ledger::CpmCheck::kBadSignature:
      return absl::PermissionDeniedError(
          "code: signature mismatch (altered, or not this wallet's key)");
    case ledger::CpmCheck::kNotYetValid:
      return absl::FailedPreconditionError(absl::StrCat(
          "code: issued in the future (", code.issued_at_ms - now_ms, " ms ahead of the ledger)"));
    case ledger::CpmCheck::kExpired:
      break;
  }
  const uint64_t expires_ms = code.issued_at_ms + uint64_t{code.ttl_seconds} * 1000;
  return absl::FailedPreconditionError(absl::StrCat("code: expired ", (now_ms - expires_ms) / 1000,
                                                    " s ago (valid ", code.ttl_seconds, " s)"));
}

}  // namespace wallet
