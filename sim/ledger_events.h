// Reads the ledger's change stream (gRPC Subscribe) and turns it into the JSON-lines event format
// that CalibrateFromEvents reads (sim/README.md, "Calibration"). Account ids become hex; only
// category aggregates ever leave CalibrateFromEvents.
#ifndef SIM_LEDGER_EVENTS_H_
#define SIM_LEDGER_EVENTS_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/container/btree_map.h"
#include "absl/status/statusor.h"
#include "ledger/client/client.h"
#include "proto/ledger.pb.h"

namespace sim {

// Converts events one by one. Pending transfers are remembered so that a post (whose accounts may
// be empty in the stream) is reported as a flow between the pending transfer's accounts; pending
// reserves and voids are not flows. `asset` = 0 keeps every asset; otherwise only transfers of that
// asset.
class EventConverter {
 public:
  explicit EventConverter(uint32_t asset) : asset_(asset) {}
  // The JSON line (with trailing newline) for the event, or nothing if it carries no flow or
  // account.
  std::optional<std::string> ToJsonLine(const ledger::v1::Event& event);

 private:
  struct Pending {
    std::string debit, credit;
    int64_t amount = 0;
  };
  uint32_t asset_;
  absl::btree_map<std::string, Pending> pending_;  // By pending transfer id (bytes).
};

// The change stream as the HTTP gateway carries it (ledgerd's console recalibration writes it so):
// one ledger.v1.Event per line in protobuf's canonical JSON (the `data:` lines of
// POST /v1/Ledger/Subscribe); empty lines skipped. Converted like EventConverter; INVALID_ARGUMENT
// naming the line that does not parse.
absl::StatusOr<std::string> EventsFromSubscribeJson(const std::string& text, uint32_t asset);

// Subscribes from journal index 1 and reads until the index GetDigest reported when it started.
// Both are calls to the operator API at `address` (the ledgerd's --operator_listen, mutual TLS with
// the transport's certificate; or, plaintext, its --listen with the development token).
absl::StatusOr<std::string> FetchLedgerEvents(const std::string& address,
                                              const ledger::Transport& transport, uint32_t asset,
                                              std::chrono::milliseconds timeout);

}  // namespace sim

#endif  // SIM_LEDGER_EVENTS_H_
