// The operator token check: see operator_auth.h.
#include "ledger/server/operator_auth.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "ledger/core/operator_name.h"
#include "ledger/server/operator_token.h"

namespace ledger {
namespace {

constexpr char kMissing[] =
    "operator API: missing 'authorization: Bearer' token (the ledgerd --operator_token_file, by "
    "default "
    "DATA_DIR/operator.token; ledgerctl --operator_token_file)";
constexpr char kMalformed[] =
    "operator API: the 'authorization' metadata must be 'Bearer TOKEN' with the token of the "
    "ledgerd "
    "--operator_token_file";
constexpr char kMismatch[] = "operator token mismatch";
constexpr std::string_view kScheme = "bearer";

std::array<unsigned char, crypto_generichash_BYTES> Hash(std::string_view text) {
  std::array<unsigned char, crypto_generichash_BYTES> hash;
  crypto_generichash(hash.data(), hash.size(), reinterpret_cast<const unsigned char*>(text.data()),
                     text.size(), nullptr, 0);
  return hash;
}

constexpr char kGatewayOnly[] =
    "operator API: 'x-ledger-gateway' metadata is accepted only from ledgerd's own in-process HTTP "
    "gateway";

void InitSodium() {
  if (sodium_init() < 0) {
    fprintf(stderr, "FATAL: libsodium failed to initialise\n");
    abort();
  }
}

// 32 random bytes as 64 lowercase hex digits.
std::string RandomSecret() {
  unsigned char bytes[32];
  randombytes_buf(bytes, sizeof(bytes));
  char hex[2 * sizeof(bytes) + 1];
  sodium_bin2hex(hex, sizeof(hex), bytes, sizeof(bytes));
  sodium_memzero(bytes, sizeof(bytes));
  return std::string(hex, 2 * sizeof(bytes));
}

// The in-process transport's peer (grpc::Server::InProcessChannel): "unknown" in Debian's gRPC 1.51
// (it has no address), "inproc..." in other versions. A network peer is always an address
// ("ipv4:...", "ipv6:...", "unix:..."), which its caller cannot choose to be one of these.
bool InProcessPeer(std::string_view peer) {
  return peer == "unknown" || peer == "inproc" || peer.starts_with("inproc:");
}

}  // namespace

OperatorAuth::OperatorAuth() {
  InitSodium();
  token_hash_.fill(0);
  gateway_secret_ = RandomSecret();
  gateway_hash_ = Hash(gateway_secret_);
}

OperatorAuth::OperatorAuth(std::string_view token) : token_mode_(true) {
  if (token.size() < kOperatorTokenLengthMin) {
    fprintf(stderr, "FATAL: OperatorAuth given a token of %zu characters (at least %zu)\n",
            token.size(), kOperatorTokenLengthMin);
    abort();
  }
  InitSodium();
  token_hash_ = Hash(token);
  gateway_secret_ = RandomSecret();
  gateway_hash_ = Hash(gateway_secret_);
}

absl::StatusOr<std::string> OperatorAuth::GatewayOperator(
    const std::multimap<grpc::string_ref, grpc::string_ref>& metadata,
    std::string_view peer) const {
  const auto [first, last] = metadata.equal_range(kGatewayHeader);
  if (first == last || std::next(first) != last) return absl::UnauthenticatedError(kGatewayOnly);
  const std::array<unsigned char, crypto_generichash_BYTES> presented =
      Hash(std::string_view(first->second.data(), first->second.size()));
  // Both checks always run, so the timing says nothing about which failed.
  const bool secret_ok =
      sodium_memcmp(presented.data(), gateway_hash_.data(), presented.size()) == 0;
  if (!secret_ok || !InProcessPeer(peer)) return absl::UnauthenticatedError(kGatewayOnly);
  const auto [name_first, name_last] = metadata.equal_range(kOperatorNameHeader);
  if (name_first == name_last || std::next(name_first) != name_last) {
    return absl::UnauthenticatedError(absl::StrCat(
        "operator API: the gateway must name exactly one '", kOperatorNameHeader, "'"));
  }
  std::string name(name_first->second.data(), name_first->second.size());
  if (!ValidOperatorName(name) ||
      name.starts_with("node-") /* kNodeOperatorPrefix, operator_name.h */) {
    return absl::UnauthenticatedError(
        "operator API: the gateway's operator name is not a valid operator name");
  }
  return name;
}

absl::Status OperatorAuth::Check(
    const std::multimap<grpc::string_ref, grpc::string_ref>& metadata) const {
  const auto [first, last] = metadata.equal_range("authorization");
  if (first == last) return absl::UnauthenticatedError(kMissing);
  if (std::next(first) != last) {
    return absl::UnauthenticatedError("operator API: more than one 'authorization' metadata entry");
  }
  std::string_view value(first->second.data(), first->second.size());
  if (value.size() <= kScheme.size() || value[kScheme.size()] != ' ' ||
      !std::equal(kScheme.begin(), kScheme.end(), value.begin(),
                  [](char want, char got) { return want == absl::ascii_tolower(got); })) {
    return absl::UnauthenticatedError(kMalformed);
  }
  value.remove_prefix(kScheme.size());
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  if (value.empty()) return absl::UnauthenticatedError(kMalformed);
  const std::array<unsigned char, crypto_generichash_BYTES> presented = Hash(value);
  if (sodium_memcmp(presented.data(), token_hash_.data(), presented.size()) != 0) {
    return absl::UnauthenticatedError(kMismatch);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> OperatorAuth::Authenticate(
    const std::multimap<grpc::string_ref, grpc::string_ref>& metadata) const {
  if (absl::Status allowed = Check(metadata); !allowed.ok()) return allowed;
  const auto [first, last] = metadata.equal_range(kOperatorNameHeader);
  if (first == last) return std::string(kDevelopmentOperatorName);
  if (std::next(first) != last) {
    return absl::UnauthenticatedError(
        absl::StrCat("operator API: more than one '", kOperatorNameHeader, "' metadata entry"));
  }
  std::string name(first->second.data(), first->second.size());
  if (!ValidOperatorName(name)) {
    return absl::UnauthenticatedError(absl::StrCat(
        "operator API: '", kOperatorNameHeader, "' must be 1 to ", kOperatorNameLengthMax,
        " characters of a-z, 0-9, '.', '_' and '-', starting with a letter or digit"));
  }
  return name;
}

absl::StatusOr<std::string> OperatorAuth::Authenticate(
    const grpc::ServerContextBase& context) const {
  if (context.client_metadata().count(kGatewayHeader) != 0) {
    return GatewayOperator(context.client_metadata(), context.peer());
  }
  if (token_mode_) return Authenticate(context.client_metadata());
  return CertificateOperator(context.auth_context().get());
}

absl::StatusOr<std::string> OperatorAuth::CertificateOperator(const grpc::AuthContext* auth) {
  if (auth == nullptr || !auth->IsPeerAuthenticated()) {
    return absl::UnauthenticatedError(
        "operator API: no verified client certificate (the operator services need mutual TLS on "
        "ledgerd --operator_listen: ledgerctl --tls_cert and --tls_key, made by ops/pki operator)");
  }
  const std::vector<grpc::string_ref> names = auth->FindPropertyValues("x509_common_name");
  if (names.size() != 1) {
    return absl::UnauthenticatedError(absl::StrCat(
        "operator API: the client certificate must have exactly one subject CN; it has ",
        names.size()));
  }
  std::string name(names[0].data(), names[0].size());
  if (!ValidOperatorName(name)) {
    return absl::UnauthenticatedError(absl::StrCat(
        "operator API: the client certificate's CN must be 1 to ", kOperatorNameLengthMax,
        " characters of a-z, 0-9, '.', '_' and '-', starting with a letter or digit"));
  }
  return name;
}

}  // namespace ledger
