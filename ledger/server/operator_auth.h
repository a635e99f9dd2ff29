// The check at the top of every operator call (the Ledger and Cluster services): the gRPC metadata
// must hold "authorization: Bearer TOKEN" with the operator token (ledger/server/operator_token.h).
// It runs before any other work — before a read barrier, before anything is submitted — so a caller
// without the token learns nothing and costs nothing beyond the check.
//
// The token is compared in constant time: both sides are hashed with BLAKE2b-256 and the hashes
// compared with sodium_memcmp, so neither the length nor the first differing byte of a guess shows
// in the timing.
//
// Authenticate also says who the caller is: the operator named by the metadata entry
// "x-ledger-operator: NAME" (ledger/core/operator_name.h; "dev" when absent). With the shared token
// this is a claim, not a proof: the token's holder may act as any name.
//
// Example (in a service method):
//   absl::StatusOr<std::string> who = auth_->Authenticate(*context);
//   if (!who.ok()) return ...;
#ifndef LEDGER_SERVER_OPERATOR_AUTH_H_
#define LEDGER_SERVER_OPERATOR_AUTH_H_

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
  // The same for a call: what every service method uses (the seam where a verified client
  // certificate will name the operator).
  absl::StatusOr<std::string> Authenticate(const grpc::ServerContextBase& context) const {
    return Authenticate(context.client_metadata());
  }

 private:
  std::array<unsigned char, crypto_generichash_BYTES> token_hash_;  // BLAKE2b-256 of the token.
};

}  // namespace ledger

#endif  // LEDGER_SERVER_OPERATOR_AUTH_H_
