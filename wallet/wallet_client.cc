// Wallet request signing: see wallet_client.h.
#include "wallet/wallet_client.h"

#include <sodium.h>

#include "formats/wallet_auth.h"

namespace wallet {

ledger::v1::WalletRequest SignWalletRequest(const KeyPair& keys, std::string_view account,
                                            std::string_view method,
                                            const google::protobuf::Message& body, uint64_t now_ms,
                                            uint64_t nonce) {
  ledger::v1::WalletRequest request;
  request.set_account_id(std::string(account));
  request.set_timestamp_ms(now_ms);
  request.set_nonce(nonce);
  body.SerializeToString(request.mutable_body());
  request.set_signature(
      Sign(keys, WalletSignedBytes(method, account, now_ms, nonce, request.body())));
  return request;
}

uint64_t RandomNonce() {
  if (sodium_init() < 0) return 1;
  uint64_t nonce = 0;
  while (nonce == 0) randombytes_buf(&nonce, sizeof nonce);
  return nonce;
}

}  // namespace wallet
