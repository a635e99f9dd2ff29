// The Raft peer handshake and framing: see secure_channel.h.
#include "ledger/replication/secure_channel.h"

#include <sys/stat.h>

#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "ledger/core/limits.h"

namespace ledger {
namespace {

constexpr char kClientLabel[] = "ledger raft v1 client proof";
constexpr char kServerLabel[] = "ledger raft v1 server proof";

const unsigned char* Bytes(const std::string& text) {
  return reinterpret_cast<const unsigned char*>(text.data());
}

}  // namespace

absl::StatusOr<RaftSecret> ReadRaftKeyFile(const std::string& path, const std::string& flag) {
  struct stat info;
  if (path.empty()) return absl::InvalidArgumentError(flag + ": no file given");
  if (stat(path.c_str(), &info) != 0) {
    return absl::InvalidArgumentError(flag + ": " + path + ": " + strerror(errno));
  }
  if ((info.st_mode & 077) != 0) {
    char mode[8];
    snprintf(mode, sizeof(mode), "%04o", static_cast<unsigned>(info.st_mode & 07777));
    return absl::InvalidArgumentError(flag + ": " + path + " has mode " + mode +
                                      "; group and others must have no access (chmod 600)");
  }
  std::ifstream in(path, std::ios::binary);
  std::string text(kRaftKeyFileBytesMax + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  if (!in.eof() && text.size() > kRaftKeyFileBytesMax) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": ", path, " is longer than ", kRaftKeyFileBytesMax, " bytes"));
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  RaftSecret secret;
  size_t length = 0;
  if (text.size() != 2 * secret.size() ||
      sodium_hex2bin(secret.data(), secret.size(), text.data(), text.size(), nullptr, &length,
                     nullptr) != 0 ||
      length != secret.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        flag, ": ", path, " must hold 64 hex digits (32 random bytes) on one line, e.g. from ",
        "`head -c 32 /dev/urandom | xxd -p -c 64`"));
  }
  return secret;
}

std::string NewRaftKeyText() {
  if (sodium_init() < 0) abort();
  RaftSecret secret;
  randombytes_buf(secret.data(), secret.size());
  char hex[2 * 32 + 1];
  sodium_bin2hex(hex, sizeof(hex), secret.data(), secret.size());
  return std::string(hex) + "\n";
}

bool IsLoopbackHostPort(const std::string& address) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos) return false;
  std::string host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host == "localhost" || host == "::1") return true;
  unsigned a = 0, b = 0, c = 0, d = 0;
  char end = 0;
  return sscanf(host.c_str(), "%u.%u.%u.%u%c", &a, &b, &c, &d, &end) == 4 && a == 127 && b < 256 &&
         c < 256 && d < 256;
}

SecureChannel::SecureChannel(Role role, const RaftSecret& secret) : role_(role), secret_(secret) {
  if (sodium_init() < 0) abort();
  crypto_kx_keypair(public_key_, secret_key_);
  hello_.resize(kHelloBytes);
  hello_[0] = static_cast<char>(kVersion);
  memcpy(hello_.data() + 1, public_key_, sizeof(public_key_));
  randombytes_buf(hello_.data() + 1 + sizeof(public_key_), 32);
}

SecureChannel::~SecureChannel() {
  sodium_memzero(secret_key_, sizeof(secret_key_));
  sodium_memzero(rx_key_, sizeof(rx_key_));
  sodium_memzero(secret_.data(), secret_.size());
  sodium_memzero(&push_, sizeof(push_));
  sodium_memzero(&pull_, sizeof(pull_));
}

const char* SecureChannel::FailureName(Failure failure) {
  switch (failure) {
    case Failure::kNone:
      return "none";
    case Failure::kVersion:
      return "unknown protocol version (not a ledger Raft peer, or a plaintext one)";
    case Failure::kProof:
      return "wrong proof of the cluster secret (another --raft_key_file)";
    case Failure::kFrameLength:
      return "frame length out of bounds";
    case Failure::kDecrypt:
      return "frame failed authentication (tampered, replayed or reordered)";
  }
  return "unknown";
}

absl::Status SecureChannel::Fail(Failure failure, const std::string& message) {
  failure_ = failure;
  failure_message_ = message;
  return absl::PermissionDeniedError(message);
}

void SecureChannel::Proof(bool client, unsigned char out[32]) const {
  crypto_generichash_state state;
  crypto_generichash_init(&state, secret_.data(), secret_.size(), 32);
  const std::string label = client ? kClientLabel : kServerLabel;
  crypto_generichash_update(&state, Bytes(label), label.size());
  crypto_generichash_update(&state, Bytes(transcript_), transcript_.size());
  crypto_generichash_final(&state, out, 32);
}

absl::Status SecureChannel::TakePeerHello(const unsigned char* hello, std::string* to_peer) {
  if (hello[0] != kVersion) {
    return Fail(Failure::kVersion,
                absl::StrCat("Raft peer: handshake version ", static_cast<int>(hello[0]),
                             "; expected ", static_cast<int>(kVersion)));
  }
  const bool client = role_ == Role::kClient;
  const std::string peer(reinterpret_cast<const char*>(hello), kHelloBytes);
  transcript_ = client ? hello_ + peer : peer + hello_;
  unsigned char rx[crypto_kx_SESSIONKEYBYTES], tx[crypto_kx_SESSIONKEYBYTES];
  const unsigned char* peer_key = hello + 1;
  const int rv = client ? crypto_kx_client_session_keys(rx, tx, public_key_, secret_key_, peer_key)
                        : crypto_kx_server_session_keys(rx, tx, public_key_, secret_key_, peer_key);
  if (rv != 0) return Fail(Failure::kProof, "Raft peer: unusable public key");
  // The stream keys also depend on the cluster secret.
  unsigned char tx_key[32];
  crypto_generichash(rx_key_, 32, rx, sizeof(rx), secret_.data(), secret_.size());
  crypto_generichash(tx_key, 32, tx, sizeof(tx), secret_.data(), secret_.size());
  sodium_memzero(rx, sizeof(rx));
  sodium_memzero(tx, sizeof(tx));
  unsigned char proof[kProofBytes];
  Proof(client, proof);
  crypto_secretstream_xchacha20poly1305_init_push(&push_, proof + 32, tx_key);
  sodium_memzero(tx_key, sizeof(tx_key));
  to_peer->append(reinterpret_cast<const char*>(proof), sizeof(proof));
  peer_hello_ = true;
  proof_sent_ = true;
  return absl::OkStatus();
}

absl::Status SecureChannel::TakePeerProof(const unsigned char* proof) {
  unsigned char expected[32];
  Proof(role_ != Role::kClient, expected);
  if (sodium_memcmp(expected, proof, 32) != 0) {
    return Fail(Failure::kProof, "Raft peer: wrong proof of the cluster secret");
  }
  if (crypto_secretstream_xchacha20poly1305_init_pull(&pull_, proof + 32, rx_key_) != 0) {
    return Fail(Failure::kProof, "Raft peer: bad stream header");
  }
  sodium_memzero(rx_key_, sizeof(rx_key_));
  peer_proved_ = true;
  return absl::OkStatus();
}

absl::Status SecureChannel::TakeFrames(std::string* plain) {
  constexpr size_t kTag = crypto_secretstream_xchacha20poly1305_ABYTES;
  while (in_.size() - in_offset_ >= 4) {
    const unsigned char* head = Bytes(in_) + in_offset_;
    const size_t length = (size_t{head[0]} << 24) | (size_t{head[1]} << 16) |
                          (size_t{head[2]} << 8) | size_t{head[3]};
    if (length <= kTag || length > kRaftFrameBytesMax + kTag) {
      return Fail(Failure::kFrameLength,
                  absl::StrCat("Raft peer: frame of ", length, " bytes; at most ",
                               kRaftFrameBytesMax + kTag));
    }
    if (in_.size() - in_offset_ < 4 + length) break;
    const size_t start = plain->size();
    plain->resize(start + length - kTag);
    unsigned long long plain_length = 0;
    unsigned char tag = 0;
    if (crypto_secretstream_xchacha20poly1305_pull(
            &pull_, reinterpret_cast<unsigned char*>(plain->data() + start), &plain_length, &tag,
            head + 4, length, nullptr, 0) != 0 ||
        tag != crypto_secretstream_xchacha20poly1305_TAG_MESSAGE) {
      plain->resize(start);
      return Fail(Failure::kDecrypt, "Raft peer: a frame failed authentication");
    }
    in_offset_ += 4 + length;
  }
  return absl::OkStatus();
}

absl::Status SecureChannel::Receive(const char* data, size_t size, std::string* to_peer,
                                    std::string* plain) {
  if (failure_ != Failure::kNone) return absl::PermissionDeniedError(failure_message_);
  in_.append(data, size);
  absl::Status status;
  if (!peer_hello_ && in_.size() - in_offset_ >= kHelloBytes) {
    status = TakePeerHello(Bytes(in_) + in_offset_, to_peer);
    in_offset_ += kHelloBytes;
  }
  if (status.ok() && peer_hello_ && !peer_proved_ && in_.size() - in_offset_ >= kProofBytes) {
    status = TakePeerProof(Bytes(in_) + in_offset_);
    in_offset_ += kProofBytes;
  }
  if (status.ok() && peer_proved_) status = TakeFrames(plain);
  if (in_offset_ == in_.size()) {
    in_.clear();
    in_offset_ = 0;
  } else if (in_offset_ > kRaftFrameBytesMax) {
    in_.erase(0, in_offset_);
    in_offset_ = 0;
  }
  return status;
}

void SecureChannel::Seal(const char* data, size_t size, std::string* out) {
  constexpr size_t kTag = crypto_secretstream_xchacha20poly1305_ABYTES;
  while (size > 0) {
    const size_t chunk = size < kRaftFrameBytesMax ? size : kRaftFrameBytesMax;
    const size_t length = chunk + kTag;
    const size_t start = out->size();
    out->resize(start + 4 + length);
    unsigned char* head = reinterpret_cast<unsigned char*>(out->data() + start);
    head[0] = static_cast<unsigned char>(length >> 24);
    head[1] = static_cast<unsigned char>(length >> 16);
    head[2] = static_cast<unsigned char>(length >> 8);
    head[3] = static_cast<unsigned char>(length);
    crypto_secretstream_xchacha20poly1305_push(
        &push_, head + 4, nullptr, reinterpret_cast<const unsigned char*>(data), chunk, nullptr, 0,
        crypto_secretstream_xchacha20poly1305_TAG_MESSAGE);
    data += chunk;
    size -= chunk;
  }
}

}  // namespace ledger
