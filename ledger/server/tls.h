// ledgerd's TLS: the start-up checks of its certificate files and the gRPC server credentials made
// from them (gRPC's own TLS over Debian's OpenSSL).
//
// Two listeners (ledgerd --listen, --operator_listen) share one certificate and key (the node's,
// ops/pki node): the public one with server TLS (clients check the node against the CA; no client
// certificate is asked for), the operator one with mutual TLS (a client certificate signed by
// --tls_client_ca is required and verified during the handshake; the operator's name is its CN, see
// operator_auth.h). The files are watched: a certificate and key replaced on disk (rotation) are
// used for new connections within `reload_seconds`, without a restart. A pair that does not match
// while being replaced is ignored by gRPC until it does (the old pair serves meanwhile).
//
// Example:
//   TlsFiles files{.cert = "var/pki/nodes/node-1.crt", .key = ..., .client_ca = "var/pki/ca.crt"};
//   if (absl::Status ok = CheckTlsFiles(files); !ok.ok()) { print ok.message(); exit 2; }
//   builder.AddListeningPort(address, ServerTlsCredentials(files, /*mutual=*/true, 10), &port);
#ifndef LEDGER_SERVER_TLS_H_
#define LEDGER_SERVER_TLS_H_

#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>

#include <memory>
#include <string>

#include "absl/status/status.h"

namespace ledger {

struct TlsFiles {
  std::string cert;  // PEM certificate (chain) the node presents (--tls_cert).
  std::string key;   // Its PEM private key (--tls_key), mode 0600 or stricter.
  std::string
      client_ca;  // PEM CA certificate(s) that sign clients' certificates (--tls_client_ca).
  // Optional (--tls_crl_dir): a directory of the CA's certificate revocation lists in OpenSSL's
  // hashed names (HASH.r0, HASH.r1, ...: ops/pki revoke writes them). A client certificate it lists
  // is refused in the operator listener's handshake; a newer list (the next suffix) is read at the
  // next handshake, without a restart.
  std::string crl_dir;
};

// OK, or INVALID_ARGUMENT naming the flag and the file: a file missing or unreadable, not PEM, a
// certificate expired or not yet valid, a key that does not match the certificate, a key file
// that group or others may read, or a --tls_crl_dir that is not a directory or holds a hashed CRL
// that is not one of the CA's, or has expired.
absl::Status CheckTlsFiles(const TlsFiles& files);

// Server credentials watching `files` (re-read every `reload_seconds`). `mutual`: a client
// certificate signed by files.client_ca, not revoked by a list in files.crl_dir, is required and
// verified; otherwise none is asked for.
std::shared_ptr<grpc::ServerCredentials> ServerTlsCredentials(const TlsFiles& files, bool mutual,
                                                              int reload_seconds);

// Client credentials of a node calling its peers' operator listeners (ClockSampler): files.cert and
// files.key as the client certificate, files.client_ca to verify the peers' certificates; re-read
// every `reload_seconds`.
std::shared_ptr<grpc::ChannelCredentials> ClientTlsCredentials(const TlsFiles& files,
                                                               int reload_seconds);

// Whether a listen address "HOST:PORT" ("[::1]:PORT", "localhost:PORT") names loopback only.
bool IsLoopbackAddress(const std::string& address);

}  // namespace ledger

#endif  // LEDGER_SERVER_TLS_H_
