// One end of an authenticated, encrypted Raft peer connection: the handshake and the framing, with
// no I/O (the transport, secure_transport.h, moves the bytes).
//
// Wire (each side, both directions at once):
//   hello   version byte (kVersion) | ephemeral X25519 public key (crypto_kx, 32) | random nonce
//   (32) proof   keyed BLAKE2b-256 of (role label | client hello | server hello), keyed with the
//   cluster
//           secret (32) | crypto_secretstream_xchacha20poly1305 header of this side's stream (24)
//   frames  4-byte big-endian length of the ciphertext | ciphertext of 1..kRaftFrameBytesMax bytes
// The connecting side is the client. Session keys are crypto_kx_client/server_session_keys, each
// hashed with the cluster secret as key, so a process without the secret can neither prove itself
// (its proof is wrong: the connection closes) nor read or forge a frame. The role label differs per
// direction, so a reflected proof does not verify. Replay and reordering within a connection fail
// secretstream's authentication; across connections every key is fresh.
//
// Any failure (version, proof, frame length, decryption) is final: Receive returns it again.
#ifndef LEDGER_REPLICATION_SECURE_CHANNEL_H_
#define LEDGER_REPLICATION_SECURE_CHANNEL_H_

#include <sodium.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ledger {

// The cluster secret every Raft peer holds.
using RaftSecret = std::array<unsigned char, 32>;

// Reads --raft_key_file: 64 hex digits on one line. Refuses (naming `flag`) a missing or unreadable
// file, one readable or writable by group or others, and any other content.
absl::StatusOr<RaftSecret> ReadRaftKeyFile(const std::string& path,
                                           const std::string& flag = "--raft_key_file");
// 64 hex digits of fresh random bytes and a newline: what a key file holds.
std::string NewRaftKeyText();
// Whether HOST:PORT names a loopback host (127.0.0.0/8, ::1, localhost): where ledgerd allows
// --raft_plaintext.
bool IsLoopbackHostPort(const std::string& address);

class SecureChannel {
 public:
  enum class Role { kClient, kServer };
  enum class Failure { kNone, kVersion, kProof, kFrameLength, kDecrypt };

  // Version 1 with the high bit set: libraft's plaintext handshake starts with byte 1 (protocol 1,
  // little-endian), so a plaintext peer fails at the first byte.
  static constexpr unsigned char kVersion = 0x81;
  static constexpr size_t kHelloBytes = 1 + crypto_kx_PUBLICKEYBYTES + 32;
  static constexpr size_t kProofBytes = 32 + crypto_secretstream_xchacha20poly1305_HEADERBYTES;
  static constexpr size_t kFrameOverhead = 4 + crypto_secretstream_xchacha20poly1305_ABYTES;

  SecureChannel(Role role, const RaftSecret& secret);
  ~SecureChannel();
  SecureChannel(const SecureChannel&) = delete;
  SecureChannel& operator=(const SecureChannel&) = delete;

  // This side's hello: send it first.
  const std::string& hello() const { return hello_; }
  // Takes bytes from the peer. Appends what must be sent back (this side's proof, once the peer's
  // hello is in) to *to_peer and the decrypted plaintext to *plain. A failure closes the channel.
  absl::Status Receive(const char* data, size_t size, std::string* to_peer, std::string* plain);
  // True once the peer proved it holds the secret (its proof verified).
  bool established() const { return peer_proved_; }
  // True once this side may Seal (the peer's hello is in and this side's proof is sent).
  bool can_seal() const { return proof_sent_; }
  // Encrypts `size` bytes into frames of at most kRaftFrameBytesMax plaintext bytes, appended to
  // *out. Only when can_seal().
  void Seal(const char* data, size_t size, std::string* out);
  Failure failure() const { return failure_; }
  static const char* FailureName(Failure failure);

 private:
  absl::Status Fail(Failure failure, const std::string& message);
  absl::Status TakePeerHello(const unsigned char* hello, std::string* to_peer);
  absl::Status TakePeerProof(const unsigned char* proof);
  absl::Status TakeFrames(std::string* plain);
  void Proof(bool client, unsigned char out[32]) const;

  Role role_;
  RaftSecret secret_;
  unsigned char public_key_[crypto_kx_PUBLICKEYBYTES];
  unsigned char secret_key_[crypto_kx_SECRETKEYBYTES];
  std::string hello_;
  std::string transcript_;  // Client hello, then server hello.
  unsigned char rx_key_[32];
  crypto_secretstream_xchacha20poly1305_state push_;
  crypto_secretstream_xchacha20poly1305_state pull_;
  std::string in_;  // Received, not yet consumed.
  size_t in_offset_ = 0;
  bool peer_hello_ = false;
  bool proof_sent_ = false;
  bool peer_proved_ = false;
  Failure failure_ = Failure::kNone;
  std::string failure_message_;
};

}  // namespace ledger

#endif  // LEDGER_REPLICATION_SECURE_CHANNEL_H_
