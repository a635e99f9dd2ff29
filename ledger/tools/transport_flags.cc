// The shared transport flags: see transport_flags.h.
#include "ledger/tools/transport_flags.h"

#include "absl/flags/flag.h"
#include "ledger/server/operator_token.h"

ABSL_FLAG(std::string, tls_ca, std::string(ledger::kPkiDirDefault) + "/ca.crt",
          "PEM CA that signed the ledgerd nodes' certificates (ops/pki)");
ABSL_FLAG(std::string, tls_cert,
          std::string(ledger::kPkiDirDefault) + "/operators/" + ledger::kDefaultOperator + ".crt",
          "This operator's client certificate (ops/pki operator; its CN is the operator)");
ABSL_FLAG(std::string, tls_key,
          std::string(ledger::kPkiDirDefault) + "/operators/" + ledger::kDefaultOperator + ".key",
          "Its private key");
ABSL_FLAG(std::string, operator_addr, "",
          "The ledgerd --operator_listen address(es), in --addr's order (default: each --addr's "
          "port + 2)");
ABSL_FLAG(bool, plaintext, false,
          "Talk to a ledgerd --plaintext (development, loopback only) with --operator_token_file");
ABSL_FLAG(std::string, operator_token_file, ledger::kOperatorTokenFileDefault,
          "--plaintext only: the ledgerd's development operator token (its --operator_token_file)");

namespace ledger {

absl::StatusOr<Transport> TransportFromFlags() {
  if (absl::GetFlag(FLAGS_plaintext)) {
    absl::StatusOr<std::string> token =
        ReadOperatorTokenFile(absl::GetFlag(FLAGS_operator_token_file));
    if (!token.ok()) {
      return absl::Status(token.status().code(),
                          "--operator_token_file " + std::string(token.status().message()));
    }
    return PlaintextTransport(*token);
  }
  Transport transport;
  transport.ca_file = absl::GetFlag(FLAGS_tls_ca);
  transport.cert_file = absl::GetFlag(FLAGS_tls_cert);
  transport.key_file = absl::GetFlag(FLAGS_tls_key);
  if (absl::Status loaded = LoadTransport(&transport); !loaded.ok()) return loaded;
  return transport;
}

std::string OperatorAddressesFromFlags(const std::string& addresses) {
  if (absl::GetFlag(FLAGS_plaintext)) return "";
  const std::string given = absl::GetFlag(FLAGS_operator_addr);
  return given.empty() ? DefaultOperatorAddresses(addresses) : given;
}

}  // namespace ledger
