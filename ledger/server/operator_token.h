// The operator token: the shared secret that every call to the operator services (Ledger, Cluster)
// carries as gRPC metadata "authorization: Bearer TOKEN" (ledger/server/operator_auth.h checks it).
// The public services (Pos, Wallet, Health) authenticate each request by its Ed25519 signature
// instead.
//
// Token file format: the token alone, optionally followed by one line end ("\n" or "\r\n"); between
// kOperatorTokenLengthMin and kOperatorTokenLengthMax characters, each printable ASCII other than
// space (what gRPC metadata carries as is). ledgerd creates the file it is given
// (--operator_token_file, by default DATA_DIR/operator.token) when it does not exist: 32 random
// bytes as 64 lowercase hex digits and a newline, mode 0600. Every node of a Raft cluster must be
// given the same file contents.
//
// Example (a client):
//   absl::StatusOr<std::string> token = ReadOperatorTokenFile("var/ledger/operator.token");
//   if (!token.ok()) { ...print token.status().message()... }
//   LedgerConnection connection("127.0.0.1:7400", *token);
#ifndef LEDGER_SERVER_OPERATOR_TOKEN_H_
#define LEDGER_SERVER_OPERATOR_TOKEN_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace ledger {

// A token shorter than this is refused: 32 characters of even a small alphabet leave guessing
// hopeless over the network, and ledgerd's own tokens are 64 hex digits (256 bits).
inline constexpr size_t kOperatorTokenLengthMin = 32;
inline constexpr size_t kOperatorTokenLengthMax = 256;
// Random bytes in a token ledgerd creates (written as twice as many hex digits).
inline constexpr size_t kOperatorTokenRandomBytes = 32;
// A token file larger than this is not a token file (bounds what is read).
inline constexpr size_t kOperatorTokenFileBytesMax = 4096;
static_assert(2 * kOperatorTokenRandomBytes >= kOperatorTokenLengthMin);
static_assert(kOperatorTokenLengthMax + 2 <= kOperatorTokenFileBytesMax);

// The token in a token file's `contents`. INVALID_ARGUMENT naming `source` (the file), the rule and
// the offending length or character otherwise.
absl::StatusOr<std::string> ParseOperatorToken(std::string_view contents,
                                               const std::string& source);

// For clients: the token in the file at `path`. NOT_FOUND or PERMISSION_DENIED (the file cannot be
// read, with the reason and where ledgerd writes it), INVALID_ARGUMENT (not a token file).
absl::StatusOr<std::string> ReadOperatorTokenFile(const std::string& path);

struct OperatorTokenFile {
  std::string token;
  bool created = false;  // This call wrote the file.
};

// For ledgerd: the token in the file at `path`, which is created with a fresh random token when it
// does not exist (without ever replacing a file another process created meanwhile: the first one
// wins and the others read it). Beyond ReadOperatorTokenFile's refusals: FAILED_PRECONDITION for a
// file that group or others may read or write (it must be 0600 or stricter) or that is not a
// regular file, UNAVAILABLE when it cannot be written.
absl::StatusOr<OperatorTokenFile> LoadOrCreateOperatorTokenFile(const std::string& path);

}  // namespace ledger

#endif  // LEDGER_SERVER_OPERATOR_TOKEN_H_
