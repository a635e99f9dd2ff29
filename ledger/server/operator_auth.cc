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

}  // namespace

OperatorAuth::OperatorAuth() { token_hash_.fill(0); }

OperatorAuth::OperatorAuth(std::string_view token) : token_mode_(true) {
  if (token.size() < kOperatorTokenLengthMin) {
    fprintf(stderr, "FATAL: OperatorAuth given a token of %zu characters (at least %zu)\n",
            token.size(), kOperatorTokenLengthMin);
    abort();
  }
  if (sodium_init() < 0) {
    fprintf(stderr, "FATAL: libsodium failed to initialise\n");
    abort();
  }
  token_hash_ = Hash(token);
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
