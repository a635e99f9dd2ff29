// The wallet request signature shared by the Wallet service (verifies) and wallets (sign): see
// WalletRequest in proto/ledger.proto.
#ifndef FORMATS_WALLET_AUTH_H_
#define FORMATS_WALLET_AUTH_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace wallet {

inline constexpr uint64_t kWalletRequestWindowMs = 5 * 60 * 1000;

inline std::string WalletSignedBytes(std::string_view method, std::string_view account_id,
                                     uint64_t timestamp_ms, uint64_t nonce, std::string_view body) {
  std::string out = "ledger-wallet-req-v1";
  out.push_back('\0');
  out.append(method);
  out.push_back('\0');
  out.append(account_id);
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(timestamp_ms >> (8 * i)));
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(nonce >> (8 * i)));
  out.append(body);
  return out;
}

}  // namespace wallet

#endif  // FORMATS_WALLET_AUTH_H_
