// ledgerd's TLS: see tls.h.
#include "ledger/server/tls.h"

#include <arpa/inet.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <regex>

#include "absl/strings/str_cat.h"

namespace ledger {
namespace {

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct X509Free {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct KeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct CrlFree {
  void operator()(X509_CRL* crl) const { X509_CRL_free(crl); }
};
using Crl = std::unique_ptr<X509_CRL, CrlFree>;
using Bio = std::unique_ptr<BIO, BioFree>;
using Cert = std::unique_ptr<X509, X509Free>;
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;

absl::Status Problem(const std::string& flag, const std::string& path, const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat(flag, " ", path, ": ", what));
}

// The file opened for reading, or why not.
absl::Status OpenFile(const std::string& flag, const std::string& path, Bio* bio) {
  if (path.empty()) return absl::InvalidArgumentError(absl::StrCat(flag, " is empty"));
  struct stat info;
  if (stat(path.c_str(), &info) != 0) return Problem(flag, path, std::strerror(errno));
  if (!S_ISREG(info.st_mode)) return Problem(flag, path, "not a regular file");
  bio->reset(BIO_new_file(path.c_str(), "r"));
  if (*bio == nullptr)
    return Problem(flag, path, absl::StrCat("unreadable: ", std::strerror(errno)));
  return absl::OkStatus();
}

std::string Time(const ASN1_TIME* time) {
  Bio out(BIO_new(BIO_s_mem()));
  ASN1_TIME_print(out.get(), time);
  char* data = nullptr;
  const long size = BIO_get_mem_data(out.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

// The first certificate of a PEM file, valid now.
absl::Status ReadCertificate(const std::string& flag, const std::string& path, Cert* cert) {
  Bio bio;
  if (absl::Status opened = OpenFile(flag, path, &bio); !opened.ok()) return opened;
  cert->reset(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (*cert == nullptr) return Problem(flag, path, "not a PEM certificate");
  if (X509_cmp_current_time(X509_get0_notBefore(cert->get())) > 0) {
    return Problem(
        flag, path,
        "certificate not valid yet (from " + Time(X509_get0_notBefore(cert->get())) + ")");
  }
  if (X509_cmp_current_time(X509_get0_notAfter(cert->get())) < 0) {
    return Problem(flag, path,
                   "certificate expired (" + Time(X509_get0_notAfter(cert->get())) + ")");
  }
  return absl::OkStatus();
}

absl::Status ReadKey(const std::string& flag, const std::string& path, Key* key) {
  Bio bio;
  if (absl::Status opened = OpenFile(flag, path, &bio); !opened.ok()) return opened;
  struct stat info;
  if (stat(path.c_str(), &info) == 0 && (info.st_mode & 077) != 0) {
    char mode[8];
    snprintf(mode, sizeof(mode), "%03o", static_cast<unsigned>(info.st_mode & 0777));
    return Problem(
        flag, path,
        absl::StrCat("private key readable by group or others (mode ", mode, "): chmod 600 it"));
  }
  key->reset(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (*key == nullptr) return Problem(flag, path, "not a PEM private key");
  return absl::OkStatus();
}

// Every hashed CRL file (HASH.rN) of `dir`: a PEM CRL signed by `ca`, not past its next update (an
// expired list would refuse every operator in the handshake).
absl::Status CheckCrlDir(const std::string& dir, X509* ca) {
  const std::string flag = "--tls_crl_dir";
  std::error_code error;
  if (!std::filesystem::is_directory(dir, error)) return Problem(flag, dir, "not a directory");
  const std::regex hashed("[0-9a-f]{8}\\.r[0-9]+");
  for (const auto& file : std::filesystem::directory_iterator(dir, error)) {
    const std::string name = file.path().filename().string();
    if (!std::regex_match(name, hashed)) continue;
    const std::string path = file.path().string();
    Bio bio;
    if (absl::Status opened = OpenFile(flag, path, &bio); !opened.ok()) return opened;
    Crl crl(PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr));
    if (crl == nullptr) return Problem(flag, path, "not a PEM certificate revocation list");
    EVP_PKEY* ca_key = X509_get0_pubkey(ca);
    if (ca_key == nullptr || X509_CRL_verify(crl.get(), ca_key) != 1)
      return Problem(flag, path, "not signed by the CA of --tls_client_ca");
    const ASN1_TIME* next = X509_CRL_get0_nextUpdate(crl.get());
    if (next != nullptr && X509_cmp_current_time(next) < 0) {
      return Problem(flag, path,
                     "revocation list expired (" + Time(next) + "): ops/pki crl makes a new one");
    }
  }
  if (error) return Problem(flag, dir, error.message());
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckTlsFiles(const TlsFiles& files) {
  Cert cert;
  if (absl::Status ok = ReadCertificate("--tls_cert", files.cert, &cert); !ok.ok()) return ok;
  Key key;
  if (absl::Status ok = ReadKey("--tls_key", files.key, &key); !ok.ok()) return ok;
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    return Problem("--tls_key", files.key,
                   "does not match the certificate of --tls_cert " + files.cert);
  }
  Cert ca;
  if (absl::Status ok = ReadCertificate("--tls_client_ca", files.client_ca, &ca); !ok.ok())
    return ok;
  if (files.crl_dir.empty()) return absl::OkStatus();
  return CheckCrlDir(files.crl_dir, ca.get());
}

std::shared_ptr<grpc::ServerCredentials> ServerTlsCredentials(const TlsFiles& files, bool mutual,
                                                              int reload_seconds) {
  auto provider = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
      files.key, files.cert, files.client_ca, static_cast<unsigned int>(reload_seconds));
  grpc::experimental::TlsServerCredentialsOptions options(provider);
  options.watch_identity_key_cert_pairs();
  if (mutual) {
    options.watch_root_certs();
    options.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
    if (!files.crl_dir.empty()) options.set_crl_directory(files.crl_dir);
  } else {
    options.set_cert_request_type(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  }
  return grpc::experimental::TlsServerCredentials(options);
}

std::shared_ptr<grpc::ChannelCredentials> ClientTlsCredentials(const TlsFiles& files,
                                                               int reload_seconds) {
  auto provider = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
      files.key, files.cert, files.client_ca, static_cast<unsigned int>(reload_seconds));
  grpc::experimental::TlsChannelCredentialsOptions options;
  options.set_certificate_provider(provider);
  options.watch_root_certs();
  options.watch_identity_key_cert_pairs();
  return grpc::experimental::TlsCredentials(options);
}

bool IsLoopbackAddress(const std::string& address) {
  std::string host = address;
  if (!host.empty() && host[0] == '[') {
    const size_t close = host.find(']');
    if (close == std::string::npos) return false;
    host = host.substr(1, close - 1);
  } else {
    const size_t colon = host.rfind(':');
    if (colon != std::string::npos) host = host.substr(0, colon);
  }
  if (host == "localhost") return true;
  in_addr v4;
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6;
  return inet_pton(AF_INET6, host.c_str(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

}  // namespace ledger
