// Key pairs, sealing and signatures: see keys.h.
#include "formats/keys.h"

#include <sodium.h>

#include <cstdio>
#include <fstream>
#include <iterator>

#include "absl/strings/str_cat.h"
#include "ledger/storage/atomic_file.h"

namespace wallet {
namespace {

constexpr std::string_view kMagic = "LKEY";
constexpr uint8_t kVersion = 1;
constexpr size_t kSaltBytes = crypto_pwhash_SALTBYTES;
constexpr size_t kNonceBytes = crypto_secretbox_NONCEBYTES;
constexpr size_t kBoxBytes = crypto_secretbox_MACBYTES + crypto_sign_SECRETKEYBYTES;
constexpr size_t kHeaderBytes =
    4 + 1 + 8 + 8 + kSaltBytes + kNonceBytes + crypto_sign_PUBLICKEYBYTES;
constexpr size_t kSealedBytes = kHeaderBytes + kBoxBytes;
static_assert(kSaltBytes == 16 && kNonceBytes == 24 && kBoxBytes == 80);

void InitSodium() {
  if (sodium_init() < 0) {
    std::fprintf(stderr, "FATAL: libsodium failed to initialise\n");
    std::abort();
  }
}

void PutU64(std::string* out, uint64_t value) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>(value >> (8 * i)));
}

uint64_t GetU64(std::string_view bytes) {
  uint64_t value = 0;
  for (int i = 7; i >= 0; --i) value = (value << 8) | static_cast<uint8_t>(bytes[i]);
  return value;
}

const unsigned char* U(std::string_view bytes) {
  return reinterpret_cast<const unsigned char*>(bytes.data());
}

}  // namespace

SealCost SealCost::Moderate() {
  return {crypto_pwhash_OPSLIMIT_MODERATE, crypto_pwhash_MEMLIMIT_MODERATE};
}
SealCost SealCost::Interactive() {
  return {crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE};
}

KeyPair GenerateKeyPair() {
  InitSodium();
  KeyPair keys;
  keys.public_key.resize(crypto_sign_PUBLICKEYBYTES);
  keys.secret_key.resize(crypto_sign_SECRETKEYBYTES);
  crypto_sign_keypair(reinterpret_cast<unsigned char*>(keys.public_key.data()),
                      reinterpret_cast<unsigned char*>(keys.secret_key.data()));
  return keys;
}

absl::StatusOr<std::string> Seal(const KeyPair& keys, std::string_view passphrase, SealCost cost) {
  InitSodium();
  if (passphrase.size() < kPassphraseLengthMin) {
    return absl::InvalidArgumentError(absl::StrCat("passphrase: at least ", kPassphraseLengthMin,
                                                   " characters, got ", passphrase.size()));
  }
  if (keys.public_key.size() != crypto_sign_PUBLICKEYBYTES ||
      keys.secret_key.size() != crypto_sign_SECRETKEYBYTES) {
    return absl::InvalidArgumentError("keys: not an Ed25519 key pair");
  }
  std::string out(kMagic);
  out.push_back(static_cast<char>(kVersion));
  PutU64(&out, cost.opslimit);
  PutU64(&out, cost.memlimit);
  std::string salt(kSaltBytes, '\0'), nonce(kNonceBytes, '\0');
  randombytes_buf(salt.data(), salt.size());
  randombytes_buf(nonce.data(), nonce.size());
  out += salt;
  out += nonce;
  out += keys.public_key;
  unsigned char key[crypto_secretbox_KEYBYTES];
  if (crypto_pwhash(key, sizeof key, passphrase.data(), passphrase.size(), U(salt), cost.opslimit,
                    static_cast<size_t>(cost.memlimit), crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return absl::ResourceExhaustedError("passphrase hashing ran out of memory");
  }
  std::string box(kBoxBytes, '\0');
  crypto_secretbox_easy(reinterpret_cast<unsigned char*>(box.data()), U(keys.secret_key),
                        keys.secret_key.size(), U(nonce), key);
  sodium_memzero(key, sizeof key);
  out += box;
  return out;
}

absl::StatusOr<std::string> SealedPublicKey(std::string_view sealed) {
  if (sealed.size() != kSealedBytes || sealed.substr(0, 4) != kMagic ||
      static_cast<uint8_t>(sealed[4]) != kVersion) {
    return absl::InvalidArgumentError("key file: not a sealed wallet key (LKEY version 1)");
  }
  return std::string(
      sealed.substr(kHeaderBytes - crypto_sign_PUBLICKEYBYTES, crypto_sign_PUBLICKEYBYTES));
}

absl::StatusOr<KeyPair> Open(std::string_view sealed, std::string_view passphrase) {
  InitSodium();
  absl::StatusOr<std::string> public_key = SealedPublicKey(sealed);
  if (!public_key.ok()) return public_key.status();
  const uint64_t opslimit = GetU64(sealed.substr(5, 8));
  const uint64_t memlimit = GetU64(sealed.substr(13, 8));
  if (opslimit < crypto_pwhash_OPSLIMIT_MIN || opslimit > crypto_pwhash_OPSLIMIT_SENSITIVE ||
      memlimit < crypto_pwhash_MEMLIMIT_MIN || memlimit > crypto_pwhash_MEMLIMIT_SENSITIVE) {
    return absl::InvalidArgumentError("key file: passphrase hash limits out of range");
  }
  const std::string_view salt = sealed.substr(21, kSaltBytes);
  const std::string_view nonce = sealed.substr(21 + kSaltBytes, kNonceBytes);
  unsigned char key[crypto_secretbox_KEYBYTES];
  if (crypto_pwhash(key, sizeof key, passphrase.data(), passphrase.size(), U(salt), opslimit,
                    static_cast<size_t>(memlimit), crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return absl::ResourceExhaustedError("passphrase hashing ran out of memory");
  }
  KeyPair keys;
  keys.public_key = *public_key;
  keys.secret_key.resize(crypto_sign_SECRETKEYBYTES);
  const int opened =
      crypto_secretbox_open_easy(reinterpret_cast<unsigned char*>(keys.secret_key.data()),
                                 U(sealed.substr(kHeaderBytes)), kBoxBytes, U(nonce), key);
  sodium_memzero(key, sizeof key);
  if (opened != 0) return absl::PermissionDeniedError("wrong passphrase (or a damaged key file)");
  if (keys.secret_key.substr(32) != keys.public_key) {
    return absl::InvalidArgumentError(
        "key file: the public key does not belong to the sealed secret key");
  }
  return keys;
}

absl::Status WriteKeyFile(const std::string& path, std::string_view sealed) {
  return ledger::WriteFileAtomically(path, sealed, 0600);
}

absl::StatusOr<std::string> ReadKeyFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("no key file at ", path));
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string Sign(const KeyPair& keys, std::string_view message) {
  InitSodium();
  std::string signature(crypto_sign_BYTES, '\0');
  crypto_sign_detached(reinterpret_cast<unsigned char*>(signature.data()), nullptr, U(message),
                       message.size(), U(keys.secret_key));
  return signature;
}

bool Verify(std::string_view public_key, std::string_view message, std::string_view signature) {
  InitSodium();
  if (public_key.size() != crypto_sign_PUBLICKEYBYTES || signature.size() != crypto_sign_BYTES)
    return false;
  return crypto_sign_verify_detached(U(signature), U(message), message.size(), U(public_key)) == 0;
}

std::string Hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

}  // namespace wallet
