// A resident's identity: an Ed25519 key pair (libsodium), kept on disk sealed under a passphrase
// (Argon2id key derivation, XSalsa20-Poly1305 secret box), and detached signatures.
//
// Sealed file layout (all integers little-endian):
//   "LKEY" u8 version (1) | u64 opslimit | u64 memlimit | 16 bytes salt | 24 bytes nonce |
//   32 bytes public key (in clear, so the wallet can show it without the passphrase) |
//   80 bytes secret box of the 64-byte secret key
// The key that opens the box is crypto_pwhash(passphrase, salt, opslimit, memlimit, Argon2id 1.3).
#ifndef FORMATS_KEYS_H_
#define FORMATS_KEYS_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace wallet {

struct KeyPair {
  std::string public_key;  // 32 bytes.
  std::string secret_key;  // 64 bytes (libsodium's seed || public key form).
};

inline constexpr size_t kPassphraseLengthMin = 8;
inline constexpr size_t kSignatureBytes = 64;

// Cost of the passphrase hash. Moderate (~0.5 s, 256 MiB) protects a stolen file; tests use the
// interactive limits.
struct SealCost {
  uint64_t opslimit;
  uint64_t memlimit;
  static SealCost Moderate();
  static SealCost Interactive();
};

KeyPair GenerateKeyPair();

absl::StatusOr<std::string> Seal(const KeyPair& keys, std::string_view passphrase,
                                 SealCost cost = SealCost::Moderate());
// PERMISSION_DENIED on a wrong passphrase; INVALID_ARGUMENT on a file that is not a sealed key.
absl::StatusOr<KeyPair> Open(std::string_view sealed, std::string_view passphrase);
// The public key of a sealed file, without the passphrase.
absl::StatusOr<std::string> SealedPublicKey(std::string_view sealed);

// Writes the sealed key to `path` with mode 0600 (temporary file, fsync, rename): never half a
// file.
absl::Status WriteKeyFile(const std::string& path, std::string_view sealed);
absl::StatusOr<std::string> ReadKeyFile(const std::string& path);

std::string Sign(const KeyPair& keys, std::string_view message);  // 64-byte detached signature.
bool Verify(std::string_view public_key, std::string_view message, std::string_view signature);

std::string Hex(std::string_view bytes);

}  // namespace wallet

#endif  // FORMATS_KEYS_H_
