// What a wallet needs to call the Wallet service: the signed envelope (see WalletRequest).
#ifndef WALLET_WALLET_CLIENT_H_
#define WALLET_WALLET_CLIENT_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "formats/keys.h"
#include "google/protobuf/message.h"
#include "proto/ledger.pb.h"

namespace wallet {

// `account` is the wallet's 16-byte id; `nonce` non-zero and fresh per request (RandomNonce()).
ledger::v1::WalletRequest SignWalletRequest(const KeyPair& keys, std::string_view account,
                                            std::string_view method,
                                            const google::protobuf::Message& body, uint64_t now_ms,
                                            uint64_t nonce);
uint64_t RandomNonce();

}  // namespace wallet

#endif  // WALLET_WALLET_CLIENT_H_
