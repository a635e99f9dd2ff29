// Identifiers and the small value types shared by the whole ledger.
#ifndef LEDGER_CORE_TYPES_H_
#define LEDGER_CORE_TYPES_H_

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ledger {

// A 128-bit client-chosen id. Encoded big-endian (16 bytes) so keys sort by id.
struct Id128 {
  uint64_t high = 0;
  uint64_t low = 0;

  bool IsZero() const { return high == 0 && low == 0; }
  // Ids whose top 16 bits are all ones are reserved for transfers the ledger makes itself (expiry).
  bool IsReserved() const { return (high >> 48) == 0xffff; }
  auto operator<=>(const Id128&) const = default;

  // 32 lowercase hex digits.
  std::string ToHex() const;
  // Parses 1..32 hex digits (shorter strings are zero-padded on the left). nullopt if malformed.
  static std::optional<Id128> FromHex(std::string_view hex);
  // 16 big-endian bytes.
  std::string ToBytes() const;
  // nullopt unless exactly 16 bytes.
  static std::optional<Id128> FromBytes(std::string_view bytes);

  template <typename H>
  friend H AbslHashValue(H h, const Id128& id) {
    return H::combine(std::move(h), id.high, id.low);
  }
};

using AccountId = Id128;
using TransferId = Id128;
using AssetId = uint32_t;

// Logical time: nanoseconds, assigned by the ledger to each batch. Never the wall clock inside the
// core.
using Timestamp = uint64_t;

}  // namespace ledger

#endif  // LEDGER_CORE_TYPES_H_
