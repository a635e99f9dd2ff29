// The check at the top of every operator call (the Ledger and Cluster services): the gRPC metadata
// must hold "authorization: Bearer TOKEN" with the operator token (ledger/server/operator_token.h).
// It runs before any other work — before a read barrier, before anything is submitted — so a caller
// without the token learns nothing and costs nothing beyond the check.
//
// The token is compared in constant time: both sides are hashed with BLAKE2b-256 and the hashes
// compared with sodium_memcmp, so neither the length nor the first differing byte of a guess shows
// in the timing.
//
// Authenticate also says who the caller is. Under mutual TLS (ledgerd's default, the operator
// services on --operator_listen) it is the verified client certificate's subject CN: a certificate
// signed by --tls_client_ca, checked in the TLS handshake, so the name is a proof; metadata cannot
// change it. Node certificates (CN "node-<raft id>") authenticate the cluster's own nodes (their
// Cluster.Clock calls). Only in the explicit plaintext loopback mode (ledgerd --plaintext) does the
// token path above apply, and the operator is then the one named by the metadata entry
// "x-ledger-operator: NAME" (ledger/core/operator_name.h; "dev" when absent): a claim, not a proof.
//
// Example (in a service method):
//   absl::StatusOr<std::string> who = auth_->Authenticate(*context);
//   if (!who.ok()) return ...;
#ifndef LEDGER_SERVER_OPERATOR_AUTH_H_
#define LEDGER_SERVER_OPERATOR_AUTH_H_

#include <grpcpp/security/auth_context.h>
#include <grpcpp/server_context.h>
#include <grpcpp/support/string_ref.h>
#include <sodium.h>

#include <array>
#include <map>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ledger {

class OperatorAuth {
 public:
  // Mutual TLS: the operator is the verified client certificate's CN; no token.
  OperatorAuth();
  // `token` as ParseOperatorToken returns it (at least kOperatorTokenLengthMin characters: a
  // shorter one stops the process, since every caller would then be one easy guess from the
  // operator API).
  explicit OperatorAuth(std::string_view token);

  // OK when `metadata` (a call's client metadata) holds exactly one "authorization" entry of the
  // form "Bearer TOKEN" (the scheme in any case) with this token. UNAUTHENTICATED otherwise: the
  // message names what is missing or malformed and where the token lives, or says "operator token
  // mismatch".
  absl::Status Check(const std::multimap<grpc::string_ref, grpc::string_ref>& metadata) const;

  // Check, then the operator's name: the one "x-ledger-operator" entry (UNAUTHENTICATED when there
  // are several or the name breaks ValidOperatorName, naming the rule), or "dev" without one.
  absl::StatusOr<std::string> Authenticate(
      const std::multimap<grpc::string_ref, grpc::string_ref>& metadata) const;
  // The same for a call: what every service method uses. Under mutual TLS, CertificateOperator of
  // the call's auth context; in the plaintext token mode, Authenticate(client_metadata).
  absl::StatusOr<std::string> Authenticate(const grpc::ServerContextBase& context) const;

  // The operator named by a verified client certificate: exactly one subject CN that passes
  // ValidOperatorName, or UNAUTHENTICATED saying what is missing.
  static absl::StatusOr<std::string> CertificateOperator(const grpc::AuthContext* auth);

 private:
  bool token_mode_ = false;                                         // Plaintext loopback only.
  std::array<unsigned char, crypto_generichash_BYTES> token_hash_;  // BLAKE2b-256 of the token.
};

}  // namespace ledger

#endif  // LEDGER_SERVER_OPERATOR_AUTH_H_
