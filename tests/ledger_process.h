// Runs a real ledgerd as a child process for multi-process tests: loopback only, ports chosen by
// the kernel (port 0, read back from --port_file), data under the test's temporary directory.
//
// By default the node serves TLS as in production: a test CA made once per test
// process by ops/pki (TestPkiDir()), the node's certificate node-ID (--raft_id, else 1), the public
// services on address() and the operator services on operator_address() under mutual TLS;
// transport() is the `demo` operator's. A test that calls UsePlaintext() (before Start) runs it in
// the explicit plaintext development mode (--plaintext) instead: its operator token is read back
// once it serves (from its
// --operator_token_file if the flags give one, else from DATA_DIR/operator.token), and
// operator_address() == address().
#ifndef TESTS_LEDGER_PROCESS_H_
#define TESTS_LEDGER_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ledger/client/client.h"

namespace ledger::testing {

// The ledgerd binary in this test's runfiles.
std::string LedgerdPath();

// A fresh directory under TEST_TMPDIR (or /tmp) whose name starts with `prefix`.
std::string MakeTempDir(const std::string& prefix);

// The test process's certificate directory (ops/pki layout: ca.crt, nodes/, operators/), made on
// first use with the `demo` and `auditor` operators. Thread-safe.
std::string TestPkiDir();
// Runs ops/pki with `args` (e.g. "node DIR 2", "operator DIR alice"); OK when it exits 0.
absl::Status RunPki(const std::string& args);
// A TLS transport with TestPkiDir()'s CA and operator `name`'s certificate (made if missing).
Transport TestTransport(const std::string& name = "demo");

class LedgerProcess {
 public:
  LedgerProcess() = default;
  LedgerProcess(const LedgerProcess&) = delete;
  LedgerProcess& operator=(const LedgerProcess&) = delete;
  ~LedgerProcess();  // Kills the process if still running.

  // Serve TLS (the default) or plaintext (see above); call before Start or StartNode.
  void UseTls() { tls_ = true; }
  void UsePlaintext() { tls_ = false; }
  bool tls() const { return tls_; }
  // Also serve the HTTP/JSON gateway (--http_listen, --http_operator_listen on ports the kernel
  // chooses; off otherwise). Call before Start or StartNode.
  void UseHttp() { http_ = true; }

  // Starts ledgerd on `data_dir` and waits until it answers GetDigest (at most `timeout`).
  // The server's stderr goes to `data_dir`.log (appended across restarts).
  absl::Status Start(const std::string& data_dir, bool serve_metrics = false,
                     std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // Starts ledgerd listening on `listen` (a fixed "127.0.0.1:PORT", so that Raft peers can name it)
  // with extra flags (e.g. --raft_id, --peers) and returns once it serves. No request is made: a
  // Raft follower would refuse it.
  absl::Status StartNode(const std::string& data_dir, const std::string& listen,
                         std::vector<std::string> flags,
                         std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // SIGTERM and wait: the exit status (0 on a clean stop).
  int Stop();
  // SIGKILL and wait: no shutdown code runs, as in a power cut of the process.
  void Kill();

  bool running() const { return pid_ > 0; }
  // If the process has exited on its own (it is then no longer running()): how, e.g. "killed by
  // signal 11".
  std::string ExitedHow();
  pid_t pid() const { return pid_; }
  const std::string& address() const { return address_; }  // "127.0.0.1:PORT"
  int metrics_port() const { return metrics_port_; }
  const std::string& log_path() const { return log_path_; }
  // The gateway's ports (UseHttp), 0 when off.
  int http_port() const { return http_port_; }
  int http_operator_port() const { return http_operator_port_; }
  // The token the Ledger and Cluster services require (LedgerChannel, LedgerConnection take it).
  const std::string& operator_token() const { return operator_token_; }
  // "127.0.0.1:PORT" of the operator services (== address() in plaintext mode).
  const std::string& operator_address() const { return operator_address_; }
  // How the test's operator reaches it: TestTransport() with TLS, else the token.
  Transport transport() const;
  // Channels for the test's operator (`demo`, or the token) and for the public services.
  std::shared_ptr<grpc::Channel> operator_channel() const {
    return OperatorChannel(operator_address_, transport());
  }
  std::shared_ptr<grpc::Channel> public_channel() const {
    return PublicChannel(address_, transport());
  }

 private:
  absl::Status Launch(const std::string& data_dir, const std::string& listen, bool serve_metrics,
                      std::vector<std::string> flags,
                      std::chrono::steady_clock::time_point deadline);

  pid_t pid_ = -1;
  std::string address_;
  int metrics_port_ = 0;
  std::string log_path_;
  std::string operator_token_;
  std::string operator_address_;
  bool tls_ = true;
  bool http_ = false;
  int http_port_ = 0;
  int http_operator_port_ = 0;
};

// A LedgerProcess in the explicit plaintext development mode (ledgerd --plaintext, the operator
// token): the tests about the token, and those whose clients still share one channel for the
// operator and public services.
class PlaintextLedgerProcess : public LedgerProcess {
 public:
  PlaintextLedgerProcess() { UsePlaintext(); }
};

// A loopback TCP port that was free a moment ago, chosen at random below the kernel's ephemeral
// range (so no outgoing connection takes it before the node binds it); 0 if none was found.
int FreeLoopbackPort();

// A plain HTTP/1.0 GET to 127.0.0.1:port; the response body.
absl::StatusOr<std::string> HttpGet(int port, const std::string& path);

// A sample's value in a Prometheus text exposition (/metrics): the line that starts with `series`
// (a name, or a name with its labels as printed, e.g. `x_total{peer="2"}`); nullopt if absent or
// not a number (NaN included).
std::optional<double> MetricValue(std::string_view metrics, std::string_view series);

// A whole file (a node's log); empty if it cannot be read.
std::string ReadFileText(const std::string& path);

}  // namespace ledger::testing

#endif  // TESTS_LEDGER_PROCESS_H_
