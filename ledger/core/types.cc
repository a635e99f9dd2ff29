// Id128 text and byte conversions.
#include "ledger/core/types.h"

#include <cstring>

namespace ledger {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void PutBigEndian64(uint64_t value, char* out) {
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(value & 0xff);
    value >>= 8;
  }
}

uint64_t GetBigEndian64(const char* in) {
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value = (value << 8) | static_cast<uint8_t>(in[i]);
  return value;
}

}  // namespace

std::string Id128::ToHex() const {
  std::string out(32, '0');
  for (int i = 0; i < 16; ++i) {
    out[15 - i] = kHexDigits[(high >> (4 * i)) & 0xf];
    out[31 - i] = kHexDigits[(low >> (4 * i)) & 0xf];
  }
  return out;
}

std::optional<Id128> Id128::FromHex(std::string_view hex) {
  if (hex.size() > 2 && hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X')) hex.remove_prefix(2);
  if (hex.empty() || hex.size() > 32) return std::nullopt;
  Id128 id;
  for (char c : hex) {
    const int digit = HexValue(c);
    if (digit < 0) return std::nullopt;
    id.high = (id.high << 4) | (id.low >> 60);
    id.low = (id.low << 4) | static_cast<uint64_t>(digit);
  }
  return id;
}

std::string Id128::ToBytes() const {
  std::string out(16, '\0');
  PutBigEndian64(high, out.data());
  PutBigEndian64(low, out.data() + 8);
  return out;
}

std::optional<Id128> Id128::FromBytes(std::string_view bytes) {
  if (bytes.size() != 16) return std::nullopt;
  return Id128{GetBigEndian64(bytes.data()), GetBigEndian64(bytes.data() + 8)};
}

}  // namespace ledger
