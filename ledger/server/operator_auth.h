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
// ledgerd's own HTTP gateway (ledger/gateway) calls these services in-process
// (grpc::Server::InProcessChannel) on behalf of an operator it has authenticated itself (the HTTPS
// client certificate's CN on --http_operator_listen). It says who with two metadata entries:
// "x-ledger-gateway: SECRET", a 256-bit random secret made when this OperatorAuth is constructed
// (gateway_secret(); held only in this process's memory, never written or logged), and
// "x-ledger-operator: NAME". Authenticate accepts them only when the secret matches (compared in
// constant time as the token) AND the call came over the in-process transport (its peer is
// not a network address); any call that carries "x-ledger-gateway" otherwise — from the network,
// with a wrong secret, or several entries — is refused UNAUTHENTICATED, whatever certificate or
// token it has. Names starting with "node-" are refused on that path (a node is never an HTTP
// operator).
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

// The metadata entry of ledgerd's in-process gateway (see above).
inline constexpr char kGatewayHeader[] = "x-ledger-gateway";

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

  // The secret ledgerd's gateway puts in "x-ledger-gateway" (64 hex digits). Only ledgerd's main
  // passes it on, to its in-process gateway.
  const std::string& gateway_secret() const { return gateway_secret_; }
  // The gateway path alone: the operator named by `metadata` when it holds exactly one
  // "x-ledger-gateway" entry with this secret and `peer` (ServerContext::peer()) is in-process;
  // UNAUTHENTICATED otherwise, naming why (never echoing the secret).
  absl::StatusOr<std::string> GatewayOperator(
      const std::multimap<grpc::string_ref, grpc::string_ref>& metadata,
      std::string_view peer) const;

 private:
  bool token_mode_ = false;                                         // Plaintext loopback only.
  std::array<unsigned char, crypto_generichash_BYTES> token_hash_;  // BLAKE2b-256 of the token.
  std::string gateway_secret_;  // 64 hex digits from randombytes_buf, made by the constructor.
  std::array<unsigned char, crypto_generichash_BYTES> gateway_hash_;  // BLAKE2b-256 of it.
};

}  // namespace ledger

#endif  // LEDGER_SERVER_OPERATOR_AUTH_H_
