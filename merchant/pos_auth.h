// The terminal request signature shared by the Pos service (verifies) and terminals (sign): see
// SignedRequest in proto/ledger.proto.
#ifndef MERCHANT_POS_AUTH_H_
#define MERCHANT_POS_AUTH_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace merchant {

inline constexpr uint64_t kRequestWindowMs = 5 * 60 * 1000;

// "ledger-pos-req-v1" 0 method 0 merchant_id terminal_id 0 timestamp_ms(8 LE) body.
inline std::string PosSignedBytes(std::string_view method, std::string_view merchant_id,
                                  std::string_view terminal_id, uint64_t timestamp_ms, std::string_view body) {
  std::string out = "ledger-pos-req-v1";
  out.push_back('\0');
  out.append(method);
  out.push_back('\0');
  out.append(merchant_id);
  out.append(terminal_id);
  out.push_back('\0');
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(timestamp_ms >> (8 * i)));
  out.append(body);
  return out;
}

}  // namespace merchant

#endif  // MERCHANT_POS_AUTH_H_
