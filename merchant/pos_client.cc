// Terminal request signing: see pos_client.h.
#include "merchant/pos_client.h"

#include <chrono>

#include "formats/pos_auth.h"

namespace merchant {

ledger::v1::SignedRequest SignRequest(const Terminal& terminal, std::string_view method,
                                      const google::protobuf::Message& body, uint64_t now_ms) {
  ledger::v1::SignedRequest request;
  request.set_merchant_id(terminal.merchant_id);
  request.set_terminal_id(terminal.terminal_id);
  request.set_timestamp_ms(now_ms);
  body.SerializeToString(request.mutable_body());
  request.set_signature(wallet::Sign(
      terminal.keys,
      PosSignedBytes(method, terminal.merchant_id, terminal.terminal_id, now_ms, request.body())));
  return request;
}

uint64_t WallClockMs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

}  // namespace merchant
