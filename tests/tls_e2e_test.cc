// TLS on a real ledgerd (ledger/server/tls.h, operator_auth.h): who is refused, what start-up
// refuses, and a certificate rotated while the node serves. Certificates come from ops/pki (the
// test's CA, TestPkiDir) and, for the odd ones (another CA, expired), from openssl directly.
#include <curl/curl.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "ledger/client/client.h"
#include "proto/ledger.grpc.pb.h"
#include "tests/ledger_process.h"

namespace ledger {
namespace {

using testing::LedgerProcess;
using testing::MakeTempDir;
using testing::RunPki;
using testing::TestPkiDir;
using testing::TestTransport;

constexpr auto kTimeout = std::chrono::seconds(30);

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

bool Shell(const std::string& command) { return std::system(command.c_str()) == 0; }

// A certificate for CN `cn` signed by the CA in `ca_dir`, valid for `days` (-1: expired), written
// to DIR/CN.crt and .key (mode 0600).
void MakeCertificate(const std::string& ca_dir, const std::string& dir, const std::string& cn,
                     int days) {
  const std::string base = dir + "/" + cn;
  ASSERT_TRUE(Shell(absl::StrCat(
      "cd ", dir,
      " && umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ", base,
      ".key 2>/dev/null && openssl req -new -key ", base, ".key -subj /CN=", cn, " -out ", base,
      ".csr 2>/dev/null && printf "
      "'subjectAltName=IP:127.0.0.1\\nextendedKeyUsage=serverAuth,clientAuth\\n' > ",
      base, ".ext && openssl x509 -req -in ", base, ".csr -CA ", ca_dir, "/ca.crt -CAkey ", ca_dir,
      "/ca.key -CAcreateserial -days ", days, " -extfile ", base, ".ext -out ", base,
      ".crt 2>/dev/null")));
}

Transport WithCertificate(const std::string& ca_file, const std::string& base) {
  Transport transport;
  transport.ca_file = ca_file;
  transport.cert_file = base + ".crt";
  transport.key_file = base + ".key";
  EXPECT_TRUE(LoadTransport(&transport).ok());
  return transport;
}

grpc::Status Digest(const std::shared_ptr<grpc::Channel>& channel, const std::string& header = "") {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  if (!header.empty()) context.AddMetadata(kOperatorNameHeader, header);
  v1::GetDigestReply reply;
  return v1::Ledger::NewStub(channel)->GetDigest(&context, v1::GetDigestRequest(), &reply);
}

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.UseTls();
    ASSERT_TRUE(server_.Start(MakeTempDir("tls")).ok()) << server_.log_path();
    other_ca_ = MakeTempDir("other-ca");
    ASSERT_TRUE(RunPki("init " + other_ca_).ok());
    ASSERT_TRUE(RunPki("operator " + other_ca_ + " demo").ok());
  }

  std::shared_ptr<grpc::Channel> Operator(const Transport& transport) {
    return OperatorChannel(server_.operator_address(), transport);
  }

  LedgerProcess server_;
  std::string other_ca_;
};

TEST_F(TlsTest, TheOperatorWithItsCertificateIsServed) {
  EXPECT_TRUE(Digest(Operator(TestTransport())).ok());
}

TEST_F(TlsTest, PlaintextClientsAreRefused) {
  auto plaintext =
      grpc::CreateChannel(server_.operator_address(), grpc::InsecureChannelCredentials());
  EXPECT_EQ(Digest(plaintext).error_code(), grpc::StatusCode::UNAVAILABLE);
  auto public_plaintext = v1::Health::NewStub(
      grpc::CreateChannel(server_.address(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  v1::StepReportReply reply;
  EXPECT_EQ(public_plaintext->ReportSteps(&context, v1::StepReportRequest(), &reply).error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

TEST_F(TlsTest, AClientTrustingAnotherCaRefusesTheNode) {
  Transport transport = TestTransport();
  transport.ca_pem = Read(other_ca_ + "/ca.crt");
  EXPECT_EQ(Digest(Operator(transport)).error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(TlsTest, AnOperatorCallWithoutAClientCertificateIsRefused) {
  Transport transport = TestTransport();
  transport.cert_pem.clear();
  transport.key_pem.clear();
  EXPECT_EQ(Digest(Operator(transport)).error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(TlsTest, AClientCertificateFromAnotherCaIsRefused) {
  Transport transport = WithCertificate(TestPkiDir() + "/ca.crt", other_ca_ + "/operators/demo");
  EXPECT_EQ(Digest(Operator(transport)).error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(TlsTest, AnExpiredClientCertificateIsRefused) {
  // The operator `auditor` (in the test's role table) with an expired certificate, then a valid
  // one.
  const std::string expired = MakeTempDir("expired");
  MakeCertificate(TestPkiDir(), expired, "auditor", -1);
  Transport transport = WithCertificate(TestPkiDir() + "/ca.crt", expired + "/auditor");
  EXPECT_EQ(Digest(Operator(transport)).error_code(), grpc::StatusCode::UNAVAILABLE);
  // The same name, valid: served (so the refusal above was the date).
  const std::string valid = MakeTempDir("valid");
  MakeCertificate(TestPkiDir(), valid, "auditor", 2);
  const grpc::Status served =
      Digest(Operator(WithCertificate(TestPkiDir() + "/ca.crt", valid + "/auditor")));
  EXPECT_TRUE(served.ok()) << served.error_message();
}

// Under mutual TLS the certificate names the operator: the x-ledger-operator header is not read
// (in the plaintext mode a malformed one is refused), and a certificate whose CN is no operator
// name is refused naming the rule.
TEST_F(TlsTest, TheOperatorIsTheCertificateCnNotTheHeader) {
  EXPECT_TRUE(Digest(Operator(TestTransport("auditor")), "NOT A NAME!").ok());
  const std::string dir = MakeTempDir("badcn");
  MakeCertificate(TestPkiDir(), dir, "Bad_Name", 2);
  const grpc::Status refused =
      Digest(Operator(WithCertificate(TestPkiDir() + "/ca.crt", dir + "/Bad_Name")));
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_NE(refused.error_message().find("client certificate's CN"), std::string::npos)
      << refused.error_message();
}

TEST_F(TlsTest, ThePublicListenerDoesNotServeTheOperatorServices) {
  EXPECT_EQ(Digest(OperatorChannel(server_.address(), TestTransport())).error_code(),
            grpc::StatusCode::UNIMPLEMENTED);
}

// ledgerd with `flags` (and a data directory) until it exits: its status and output.
int RunLedgerd(const std::vector<std::string>& flags, std::string* output) {
  const std::string dir = MakeTempDir("refused");
  std::string command = testing::LedgerdPath() + " --data_dir=" + dir +
                        "/data --metrics_listen=" + " --http_listen= --http_operator_listen=";
  for (const std::string& flag : flags) command += " '" + flag + "'";
  command += " >" + dir + "/out 2>&1";
  const int status = std::system(command.c_str());
  *output = Read(dir + "/out");
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::vector<std::string> TlsFlags(const std::string& base) {
  return {"--listen=127.0.0.1:0", "--operator_listen=127.0.0.1:0", "--tls_cert=" + base + ".crt",
          "--tls_key=" + base + ".key", "--tls_client_ca=" + TestPkiDir() + "/ca.crt"};
}

TEST(TlsStartUpTest, BadCertificateFilesStopTheNodeWithExitCode2) {
  const std::string dir = MakeTempDir("bad");
  MakeCertificate(TestPkiDir(), dir, "node-7", -1);
  std::string output;
  EXPECT_EQ(RunLedgerd(TlsFlags(dir + "/node-7"), &output), 2);
  EXPECT_NE(output.find("--tls_cert " + dir + "/node-7.crt: certificate expired"),
            std::string::npos)
      << output;

  MakeCertificate(TestPkiDir(), dir, "node-8", 2);
  MakeCertificate(TestPkiDir(), dir, "node-9", 2);
  std::vector<std::string> mismatched = TlsFlags(dir + "/node-8");
  mismatched[3] = "--tls_key=" + dir + "/node-9.key";
  EXPECT_EQ(RunLedgerd(mismatched, &output), 2);
  EXPECT_NE(output.find("--tls_key " + dir + "/node-9.key: does not match the certificate"),
            std::string::npos)
      << output;

  chmod((dir + "/node-8.key").c_str(), 0644);
  EXPECT_EQ(RunLedgerd(TlsFlags(dir + "/node-8"), &output), 2);
  EXPECT_NE(output.find("private key readable by group or others (mode 644)"), std::string::npos)
      << output;

  EXPECT_EQ(RunLedgerd(TlsFlags(dir + "/missing"), &output), 2);
  EXPECT_NE(output.find("--tls_cert " + dir + "/missing.crt: No such file"), std::string::npos)
      << output;

  EXPECT_EQ(RunLedgerd({"--listen=127.0.0.1:0"}, &output), 2);
  EXPECT_NE(output.find("TLS needs --tls_cert"), std::string::npos) << output;
}

TEST(TlsStartUpTest, PlaintextOnlyOnLoopback) {
  std::string output;
  EXPECT_EQ(RunLedgerd({"--plaintext", "--listen=0.0.0.0:0"}, &output), 2);
  EXPECT_NE(output.find("--plaintext is for development on loopback only"), std::string::npos)
      << output;
}

// The certificate the node presents to a new connection (the client's view of the handshake).
std::string PresentedCertificate(const std::string& address, const Transport& transport) {
  auto channel = OperatorChannel(address, transport);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  v1::GetDigestReply reply;
  if (!v1::Ledger::NewStub(channel)->GetDigest(&context, v1::GetDigestRequest(), &reply).ok())
    return "";
  const std::vector<grpc::string_ref> pem =
      context.auth_context()->FindPropertyValues("x509_pem_cert");
  return pem.size() == 1 ? std::string(pem[0].data(), pem[0].size()) : "";
}

// `text` without whitespace (PEM line breaks differ between a file and libcurl's certificate info).
std::string Squeezed(const std::string& text) {
  std::string out;
  for (char c : text)
    if (!std::isspace(static_cast<unsigned char>(c))) out += c;
  return out;
}

// The certificate the HTTPS listener on `port` presents to a new connection (libcurl's view), "" if
// no TLS session; `as_operator`: with the demo operator's client certificate (the operator
// listener's handshake needs one).
std::string HttpsCertificate(int port, bool as_operator = false) {
  CURL* curl = curl_easy_init();
  const std::string url = absl::StrCat("https://127.0.0.1:", port, "/");
  const std::string ca = TestPkiDir() + "/ca.crt";
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CAINFO, ca.c_str());
  curl_easy_setopt(curl, CURLOPT_CERTINFO, 1L);
  const std::string cert = TestPkiDir() + "/operators/demo.crt",
                    key = TestPkiDir() + "/operators/demo.key";
  if (as_operator) {
    curl_easy_setopt(curl, CURLOPT_SSLCERT, cert.c_str());
    curl_easy_setopt(curl, CURLOPT_SSLKEY, key.c_str());
  }
  curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 5L);
  std::string pem;
  if (curl_easy_perform(curl) == CURLE_OK) {
    struct curl_certinfo* info = nullptr;
    if (curl_easy_getinfo(curl, CURLINFO_CERTINFO, &info) == CURLE_OK && info != nullptr &&
        info->num_of_certs > 0) {
      for (curl_slist* item = info->certinfo[0]; item != nullptr; item = item->next) {
        if (std::string(item->data).rfind("Cert:", 0) == 0) pem = item->data + 5;
      }
    }
  }
  curl_easy_cleanup(curl);
  return Squeezed(pem);
}

TEST(TlsRotationTest, ARotatedCertificateServesNewConnectionsWithoutARestart) {
  const std::string dir = MakeTempDir("rotate");
  MakeCertificate(TestPkiDir(), dir, "first", 2);
  MakeCertificate(TestPkiDir(), dir, "second", 2);
  std::filesystem::copy_file(dir + "/first.crt", dir + "/node.crt");
  std::filesystem::copy_file(dir + "/first.key", dir + "/node.key");
  chmod((dir + "/node.key").c_str(), 0600);
  LedgerProcess server;
  server.UseHttp();  // The HTTPS gateway's listeners rotate with gRPC's.
  std::vector<std::string> flags = TlsFlags(dir + "/node");
  flags.erase(flags.begin());
  flags.push_back("--tls_reload_seconds=1");
  ASSERT_TRUE(server.StartNode(dir + "/data", "127.0.0.1:0", flags).ok()) << server.log_path();
  const Transport transport = TestTransport();
  std::string seen;
  for (int i = 0; i < 100 && seen.empty(); ++i) {
    seen = PresentedCertificate(server.operator_address(), transport);
    if (seen.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(seen, Read(dir + "/first.crt"));
  ASSERT_GT(server.http_port(), 0);
  EXPECT_EQ(HttpsCertificate(server.http_port()), Squeezed(Read(dir + "/first.crt")));
  EXPECT_EQ(HttpsCertificate(server.http_operator_port(), true),
            Squeezed(Read(dir + "/first.crt")));
  // Rotation: the new pair written beside and renamed over the old (as ops/pki's files are).
  std::filesystem::copy_file(dir + "/second.key", dir + "/node.key.new");
  std::filesystem::copy_file(dir + "/second.crt", dir + "/node.crt.new");
  std::filesystem::rename(dir + "/node.key.new", dir + "/node.key");
  std::filesystem::rename(dir + "/node.crt.new", dir + "/node.crt");
  const auto give_up = std::chrono::steady_clock::now() + kTimeout;
  while (std::chrono::steady_clock::now() < give_up &&
         (seen = PresentedCertificate(server.operator_address(), transport)) !=
             Read(dir + "/second.crt")) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_EQ(seen, Read(dir + "/second.crt"));
  // The gateway's listeners too (re-read at a handshake once --tls_reload_seconds passed).
  const std::string second = Squeezed(Read(dir + "/second.crt"));
  std::string https;
  while (std::chrono::steady_clock::now() < give_up &&
         (https = HttpsCertificate(server.http_port())) != second) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_EQ(https, second);
  EXPECT_EQ(HttpsCertificate(server.http_operator_port(), true), second);
  EXPECT_EQ(server.Stop(), 0);
}

// A fresh connection to `address` with `transport`'s certificate (its own subchannel, so that no
// connection of another channel is reused).
std::shared_ptr<grpc::Channel> FreshOperatorChannel(const std::string& address,
                                                    const Transport& transport) {
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = transport.ca_pem;
  options.pem_cert_chain = transport.cert_pem;
  options.pem_private_key = transport.key_pem;
  grpc::ChannelArguments arguments;
  arguments.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(address, grpc::SslCredentials(options), arguments);
}

// ops/pki revoke: the revoked operator's new connections are refused at once, its open connection
// takes no new call after --operator_connection_age_seconds, the other operators go on; no restart.
// A revocation list of another CA stops ledgerd at start-up.
TEST(TlsRevocationTest, ARevokedCertificateIsRefusedWithoutARestart) {
  const std::string pki = MakeTempDir("revoke");
  ASSERT_TRUE(RunPki("init " + pki).ok());
  ASSERT_TRUE(RunPki("node " + pki + " 1").ok());
  ASSERT_TRUE(RunPki("operator " + pki + " demo").ok());
  ASSERT_TRUE(RunPki("operator " + pki + " auditor").ok());
  LedgerProcess server;
  const std::vector<std::string> flags = {
      "--operator_listen=127.0.0.1:0",          "--tls_cert=" + pki + "/nodes/node-1.crt",
      "--tls_key=" + pki + "/nodes/node-1.key", "--tls_client_ca=" + pki + "/ca.crt",
      "--tls_crl_dir=" + pki + "/crl",          "--operator_connection_age_seconds=2"};
  ASSERT_TRUE(server.StartNode(pki + "/data", "127.0.0.1:0", flags).ok()) << server.log_path();
  const Transport demo = WithCertificate(pki + "/ca.crt", pki + "/operators/demo");
  const Transport auditor = WithCertificate(pki + "/ca.crt", pki + "/operators/auditor");
  const std::string address = server.operator_address();
  std::shared_ptr<grpc::Channel> open = FreshOperatorChannel(address, demo);
  ASSERT_TRUE(Digest(open).ok());
  ASSERT_TRUE(Digest(FreshOperatorChannel(address, auditor)).ok());

  ASSERT_TRUE(RunPki("revoke " + pki + " " + pki + "/operators/demo.crt").ok());
  EXPECT_EQ(Digest(FreshOperatorChannel(address, demo)).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  const auto revoked = std::chrono::steady_clock::now();
  grpc::Status last;
  while (std::chrono::steady_clock::now() - revoked < std::chrono::seconds(20) &&
         (last = Digest(open)).ok()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_EQ(last.error_code(), grpc::StatusCode::UNAVAILABLE)
      << "the open connection still takes calls 20 s after the revocation";
  std::printf("the revoked operator's open connection was refused %.1f s after the revocation\n",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - revoked).count());
  EXPECT_TRUE(Digest(FreshOperatorChannel(address, auditor)).ok());
  EXPECT_EQ(server.Stop(), 0);

  const std::string other = MakeTempDir("revoke-other");
  ASSERT_TRUE(RunPki("init " + other).ok());
  std::vector<std::string> wrong = flags;
  wrong.erase(wrong.begin());
  wrong[3] = "--tls_crl_dir=" + other + "/crl";
  wrong.insert(wrong.begin(), "--listen=127.0.0.1:0");
  wrong.insert(wrong.begin() + 1, "--operator_listen=127.0.0.1:0");
  std::string output;
  EXPECT_EQ(RunLedgerd(wrong, &output), 2);
  EXPECT_NE(output.find("not signed by the CA of --tls_client_ca"), std::string::npos) << output;
}

}  // namespace
}  // namespace ledger
