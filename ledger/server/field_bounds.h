// The bound of every string and bytes field of the requests of the Ledger, Pos, Wallet and Health
// services and of the bodies their signed envelopes carry (proto/ledger.proto), and the one check
// every service runs on a request before anything reaches the core. The numbers are limits.h's;
// this table only says which proto field has which, so that a field added without a bound fails
// field_bounds_test, and the README's "Limits" table is checked against it.
//
// Example:
//   if (absl::Status bounded = CheckFieldBounds(body); !bounded.ok()) return ToGrpcStatus(bounded);
//   // INVALID_ARGUMENT "card_number: at most 19 characters, got 10485760"
#ifndef LEDGER_SERVER_FIELD_BOUNDS_H_
#define LEDGER_SERVER_FIELD_BOUNDS_H_

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace ledger {

struct FieldBound {
  enum class Kind : uint8_t {
    kAtMost,   // Up to `size` (text may be shorter; what it must hold is checked where it is used).
    kExactly,  // Exactly `size` bytes: ids, keys, signatures.
    kExactlyOrEmpty,  // Exactly `size` bytes, or empty where the field is optional.
  };
  const char* field =
      "";  // The proto field's full name, e.g. "ledger.v1.CardPaymentRequest.card_number".
  size_t size = 0;
  Kind kind = Kind::kAtMost;
  const char* unit = "characters";  // "characters" for text, "bytes" for binary and UTF-8 fields.
  const char* note = "";            // Said in the message when set, e.g. "Ed25519".
};

// Every bound, in the order of proto/ledger.proto.
const std::vector<FieldBound>& FieldBounds();

// The bound of one field, or null if it has none.
const FieldBound* FindFieldBound(const google::protobuf::FieldDescriptor* field);

// INVALID_ARGUMENT naming the field at `path` and its bound when `size` is outside it:
// "card_number: at most 19 characters, got 20", "signature: must be 64 bytes (Ed25519), got 3",
// "transfers[3].pending_id: must be 16 bytes or empty, got 5".
absl::Status CheckLength(const std::string& path, size_t size, const FieldBound& bound);

// Checks every string and bytes field of `message`, in nested messages and repeated fields too,
// against its bound; the first one outside it is named by its path ("cards[2].card_number"). An
// unset field is empty: a missing id is "must be 16 bytes, got 0". A field without a bound is not
// checked (field_bounds_test keeps the table complete).
absl::Status CheckFieldBounds(const google::protobuf::Message& message);

// The table as Markdown, one row per message in proto order: "| `Card` | `card_number` ≤ 19, ...
// |", under a header row. README.md's "Limits" and docs/API.md hold it (field_bounds_test and
// api_doc_test check).
std::string FieldBoundsTable();

}  // namespace ledger

#endif  // LEDGER_SERVER_FIELD_BOUNDS_H_
