// What a shop terminal needs to call the Pos service: its identity and the request signature.
#ifndef MERCHANT_POS_CLIENT_H_
#define MERCHANT_POS_CLIENT_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "formats/keys.h"
#include "google/protobuf/message.h"
#include "proto/ledger.pb.h"

namespace merchant {

struct Terminal {
  std::string merchant_id;  // 16 bytes.
  std::string terminal_id;
  wallet::KeyPair keys;  // Registered for (merchant, terminal) with Ledger.RegisterKeys.
};

// The envelope for `method` (e.g. "CreatePayment") carrying `body`, stamped `now_ms` and signed.
ledger::v1::SignedRequest SignRequest(const Terminal& terminal, std::string_view method,
                                      const google::protobuf::Message& body, uint64_t now_ms);

// Unix milliseconds from the system clock (what terminals stamp requests with).
uint64_t WallClockMs();

}  // namespace merchant

#endif  // MERCHANT_POS_CLIENT_H_
