// Fuzz target for the MPM payload parser: any input either parses into a payload that builds back
// into a payload that parses to the same fields, or is refused with INVALID_ARGUMENT. Never a
// crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "formats/emvco.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<merchant::MpmPayload> parsed = merchant::ParseMpm(text);
  if (!parsed.ok()) {
    if (parsed.status().code() != absl::StatusCode::kInvalidArgument) std::abort();
    return 0;
  }
  absl::StatusOr<std::string> rebuilt = merchant::BuildMpm(*parsed);
  if (!rebuilt.ok()) std::abort();  // Whatever the parser accepts must be buildable...
  absl::StatusOr<merchant::MpmPayload> again = merchant::ParseMpm(*rebuilt);
  if (!again.ok() || again->merchant_account != parsed->merchant_account ||
      again->amount != parsed->amount || again->payment_id != parsed->payment_id ||
      again->asset != parsed->asset || again->dynamic != parsed->dynamic) {
    std::abort();  // ...and mean the same thing.
  }
  return 0;
}
