// The transport flags shared by the operator tools that parse absl flags (demo_town, ledger_bench):
// --tls_ca, --tls_cert, --tls_key (defaults: var/pki's CA and `demo` operator, as ops/run makes
// them), --operator_addr (default: each --addr's port + 2), and --plaintext with
// --operator_token_file for a ledgerd --plaintext (development, loopback only).
//
// Example:
//   absl::StatusOr<Transport> transport = TransportFromFlags();
//   LedgerConnection connection(addr, OperatorAddressesFromFlags(addr), *transport);
#ifndef LEDGER_TOOLS_TRANSPORT_FLAGS_H_
#define LEDGER_TOOLS_TRANSPORT_FLAGS_H_

#include <string>

#include "absl/flags/declare.h"
#include "absl/status/statusor.h"
#include "ledger/client/client.h"

ABSL_DECLARE_FLAG(std::string, operator_token_file);

namespace ledger {

// The Transport the flags describe, its files read (or the token, with --plaintext); the error
// names the flag and the file.
absl::StatusOr<Transport> TransportFromFlags();

// --operator_addr, or DefaultOperatorAddresses(addresses); "" with --plaintext.
std::string OperatorAddressesFromFlags(const std::string& addresses);

}  // namespace ledger

#endif  // LEDGER_TOOLS_TRANSPORT_FLAGS_H_
