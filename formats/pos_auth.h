// The terminal request signature shared by the Pos service (verifies) and terminals (sign): see
// SignedRequest in proto/ledger.proto.
#ifndef FORMATS_POS_AUTH_H_
#define FORMATS_POS_AUTH_H_

#include <sodium.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace merchant {

inline constexpr uint64_t kRequestWindowMs = 5 * 60 * 1000;

// "ledger-pos-req-v1" 0 method 0 merchant_id terminal_id 0 timestamp_ms(8 LE) body.
inline std::string PosSignedBytes(std::string_view method, std::string_view merchant_id,
                                  std::string_view terminal_id, uint64_t timestamp_ms,
                                  std::string_view body) {
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

// The nonce the Pos service derives for a request that is not idempotent by its body (a card's
// wrong PIN, giving up task slots): the first 8 bytes, big-endian, of BLAKE2b-256 (unkeyed, 32-byte
// output) over the exact signed bytes (PosSignedBytes), and 1 if those are 0. A replay of the
// request has the same bytes and so the same nonce, which the core has spent; any new request
// differs (its timestamp at least), so terminals need not send one. docs/signing.md; vectors in
// docs/vectors/pos_request.json.
inline uint64_t PosRequestNonce(std::string_view signed_bytes) {
  unsigned char hash[32];
  crypto_generichash(hash, sizeof hash, reinterpret_cast<const unsigned char*>(signed_bytes.data()),
                     signed_bytes.size(), nullptr, 0);
  uint64_t nonce = 0;
  for (int i = 0; i < 8; ++i) nonce = (nonce << 8) | hash[i];
  return nonce == 0 ? 1 : nonce;
}

}  // namespace merchant

#endif  // FORMATS_POS_AUTH_H_
