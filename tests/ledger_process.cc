// See ledger_process.h.
#include "tests/ledger_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "ledger/client/client.h"
#include "ledger/server/operator_token.h"

namespace ledger::testing {

std::string LedgerdPath() {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  if (srcdir != nullptr) {
    return absl::StrCat(srcdir, "/", workspace != nullptr ? workspace : "__main__",
                        "/ledger/ledgerd/ledgerd");
  }
  return "bazel-bin/ledger/ledgerd/ledgerd";
}

std::string MakeTempDir(const std::string& prefix) {
  static std::atomic<int> counter{0};
  const char* tmp = std::getenv("TEST_TMPDIR");
  const std::string dir = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/", prefix, "-", getpid(),
                                       "-", counter.fetch_add(1));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

std::string RepoFile(const std::string& path) {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  if (srcdir != nullptr) {
    return absl::StrCat(srcdir, "/", workspace != nullptr ? workspace : "__main__", "/", path);
  }
  return path;
}

absl::Status RunPki(const std::string& args) {
  const std::string command = absl::StrCat(RepoFile("ops/pki"), " ", args, " >/dev/null");
  if (std::system(command.c_str()) != 0) return absl::InternalError("failed: " + command);
  return absl::OkStatus();
}

std::string TestPkiDir() {
  static std::mutex mutex;
  static std::string dir;
  std::lock_guard<std::mutex> lock(mutex);
  if (dir.empty()) {
    const std::string made = MakeTempDir("pki");
    if (RunPki("init " + made).ok() && RunPki("operator " + made + " demo").ok() &&
        RunPki("operator " + made + " auditor").ok()) {
      dir = made;
    }
  }
  return dir;
}

Transport TestTransport(const std::string& name) {
  const std::string dir = TestPkiDir();
  Transport transport;
  transport.ca_file = dir + "/ca.crt";
  transport.cert_file = dir + "/operators/" + name + ".crt";
  transport.key_file = dir + "/operators/" + name + ".key";
  if (!std::filesystem::exists(transport.cert_file)) (void)RunPki("operator " + dir + " " + name);
  (void)LoadTransport(&transport);
  return transport;
}

Transport LedgerProcess::transport() const {
  return tls_ ? TestTransport() : PlaintextTransport(operator_token_);
}

LedgerProcess::~LedgerProcess() {
  if (running()) Kill();
}

absl::Status LedgerProcess::Start(const std::string& data_dir, bool serve_metrics,
                                  std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  absl::Status launched = Launch(data_dir, "127.0.0.1:0", serve_metrics, {}, deadline);
  if (!launched.ok()) return launched;
  auto stub = v1::Ledger::NewStub(OperatorChannel(operator_address_, transport()));
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  absl::Status ready = WaitForLedger(stub.get(), std::max(left, std::chrono::milliseconds(1)));
  if (!ready.ok()) Kill();
  return ready;
}

absl::Status LedgerProcess::StartNode(const std::string& data_dir, const std::string& listen,
                                      std::vector<std::string> flags,
                                      std::chrono::milliseconds timeout) {
  return Launch(data_dir, listen, /*serve_metrics=*/false, std::move(flags),
                std::chrono::steady_clock::now() + timeout);
}

absl::Status LedgerProcess::Launch(const std::string& data_dir, const std::string& listen,
                                   bool serve_metrics, std::vector<std::string> flags,
                                   std::chrono::steady_clock::time_point deadline) {
  if (running()) return absl::FailedPreconditionError("ledgerd already running");
  const std::string port_file = data_dir + ".ports";
  std::filesystem::remove(port_file);
  log_path_ = data_dir + ".log";
  const std::string binary = LedgerdPath();
  std::string token_file = data_dir + "/operator.token";
  std::string node_id = "1";
  bool operator_listen = false;
  bool operators_file = false;
  for (const std::string& flag : flags) {
    if (flag.rfind("--operators_file=", 0) == 0) operators_file = true;
    if (flag.rfind("--operator_token_file=", 0) == 0) token_file = flag.substr(22);
    if (flag.rfind("--raft_id=", 0) == 0) node_id = flag.substr(10);
    if (flag.rfind("--operator_listen=", 0) == 0) operator_listen = true;
    if (flag.rfind("--tls_cert=", 0) == 0) tls_ = true;  // The test's own certificates.
  }
  flags.push_back(http_ ? "--http_listen=127.0.0.1:0" : "--http_listen=");
  flags.push_back(http_ ? "--http_operator_listen=127.0.0.1:0" : "--http_operator_listen=");
  const bool own_certificates = tls_ && std::any_of(flags.begin(), flags.end(), [](auto& flag) {
                                  return flag.rfind("--tls_cert=", 0) == 0;
                                });
  if (own_certificates) {
    if (!operator_listen) flags.push_back("--operator_listen=127.0.0.1:0");
  } else if (tls_) {
    const std::string pki = TestPkiDir();
    if (pki.empty()) return absl::InternalError("ops/pki failed to make the test CA");
    if (absl::Status made = RunPki(absl::StrCat("node ", pki, " ", node_id)); !made.ok())
      return made;
    const std::string node = absl::StrCat(pki, "/nodes/node-", node_id);
    flags.push_back("--tls_cert=" + node + ".crt");
    flags.push_back("--tls_key=" + node + ".key");
    flags.push_back("--tls_client_ca=" + pki + "/ca.crt");
    flags.push_back("--tls_crl_dir=" + pki + "/crl");
    if (!operator_listen) flags.push_back("--operator_listen=127.0.0.1:0");
  } else {
    flags.push_back("--plaintext");
  }
  if (!operators_file) {
    // The test's operators (ops/operators.conf's names): `demo` (TestTransport's default) and
    // `dev` (the plaintext token's default) with every role, and single-role ones.
    const std::string path = data_dir + ".operators";
    std::ofstream out(path, std::ios::trunc);
    const char* all =
        "treasurer,programme_admin,merchant_registrar,support_desk,auditor,cluster_admin";
    out << "demo " << all << "\ndev " << all << "\ncity-treasurer treasurer\n"
        << "deputy-treasurer treasurer\nauditor auditor\nregistrar merchant_registrar\n"
        << "deputy-registrar merchant_registrar\n";
    flags.push_back("--operators_file=" + path);
  }
  std::vector<std::string> args = {
      binary,
      "--data_dir=" + data_dir,
      "--listen=" + listen,
      std::string("--metrics_listen=") + (serve_metrics ? "127.0.0.1:0" : ""),
      "--port_file=" + port_file,
  };
  for (std::string& flag : flags) args.push_back(std::move(flag));
  // A crash leaves a core file next to the node's log ("core" in its directory, with the kernel's
  // default core_pattern), for gdb. Prepared before fork: the child may only make async-signal-safe
  // calls.
  const std::string core_dir = std::filesystem::path(data_dir).parent_path().string();
  const bool absolute = !binary.empty() && binary[0] == '/';
  const pid_t pid = fork();
  if (pid < 0) return absl::InternalError("fork failed");
  if (pid == 0) {
    const int log = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (log >= 0) {
      dup2(log, STDOUT_FILENO);
      dup2(log, STDERR_FILENO);
    }
    std::vector<char*> argv;
    if (absolute && chdir(core_dir.c_str()) == 0) {
      const struct rlimit unlimited = {RLIM_INFINITY, RLIM_INFINITY};
      setrlimit(RLIMIT_CORE, &unlimited);
    }
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  pid_ = pid;
  int grpc_port = 0;
  int operator_port = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      std::string text = ReadFileText(log_path_);
      if (text.size() > 2000) text = text.substr(text.size() - 2000);
      return absl::InternalError(absl::StrCat("ledgerd exited during start-up (status ", status,
                                              "); ", log_path_, " ends with:\n", text));
    }
    std::ifstream in(port_file);
    std::string key;
    if (in >> key >> grpc_port >> key >> metrics_port_ >> key >> operator_port >> key >>
        http_port_ >> key >> http_operator_port_) {
      break;
    }
    grpc_port = 0;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (grpc_port == 0) {
    Kill();
    return absl::DeadlineExceededError(
        absl::StrCat("ledgerd did not write ", port_file, "; see ", log_path_));
  }
  address_ = absl::StrCat("127.0.0.1:", grpc_port);
  operator_address_ = absl::StrCat("127.0.0.1:", operator_port);
  if (tls_) return absl::OkStatus();
  // Written before it serves (ledgerd creates it at start-up if it was missing).
  absl::StatusOr<std::string> token = ReadOperatorTokenFile(token_file);
  if (!token.ok()) {
    Kill();
    return token.status();
  }
  operator_token_ = *std::move(token);
  return absl::OkStatus();
}

int LedgerProcess::Stop() {
  if (!running()) return -1;
  kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string LedgerProcess::ExitedHow() {
  if (!running()) return "";
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) != pid_) return "";
  pid_ = -1;
  if (WIFSIGNALED(status)) return absl::StrCat("killed by signal ", WTERMSIG(status));
  return absl::StrCat("exited with status ", WEXITSTATUS(status));
}

void LedgerProcess::Kill() {
  if (!running()) return;
  kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

namespace {

// Whether a listening socket can bind 127.0.0.1:port right now.
bool CanBind(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool free = bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  close(fd);
  return free;
}

// The first port of the kernel's ephemeral range (net.ipv4.ip_local_port_range; 32768 by default).
int EphemeralPortsStart() {
  std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
  int low = 0;
  int high = 0;
  if (in >> low >> high && low > 2048) return low;
  return 32768;
}

}  // namespace

int FreeLoopbackPort() {
  // Below the ephemeral range: the kernel never hands such a port to an outgoing connection (a
  // test's own clients, or a test running beside it), so it stays free until the node binds it. A
  // port from the ephemeral range (the kernel's choice for port 0) was once taken by a client
  // connection in between, and the node started with it exited at once (cluster_test in CI).
  static std::atomic<uint64_t> calls{0};
  const int low = 10000;
  const int span = EphemeralPortsStart() - low;
  uint64_t state =
      static_cast<uint64_t>(getpid()) * 0x9E3779B97F4A7C15ull +
      static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) +
      calls.fetch_add(1) * 0xBF58476D1CE4E5B9ull;
  for (int attempt = 0; span > 0 && attempt < 200; ++attempt) {
    state ^= state >> 31;
    state *= 0x94D049BB133111EBull;
    state ^= state >> 29;
    const int port = low + static_cast<int>(state % static_cast<uint64_t>(span));
    if (CanBind(port)) return port;
  }
  return 0;
}

absl::StatusOr<std::string> HttpGet(int port, const std::string& path) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return absl::InternalError("socket failed");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    close(fd);
    return absl::UnavailableError(absl::StrCat("cannot connect to 127.0.0.1:", port));
  }
  const std::string request = absl::StrCat("GET ", path, " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
  if (write(fd, request.data(), request.size()) != static_cast<ssize_t>(request.size())) {
    close(fd);
    return absl::InternalError("short write");
  }
  std::string response;
  char buffer[4096];
  ssize_t n;
  while ((n = read(fd, buffer, sizeof(buffer))) > 0)
    response.append(buffer, static_cast<size_t>(n));
  close(fd);
  const size_t body = response.find("\r\n\r\n");
  if (response.rfind("HTTP/1.", 0) != 0 || body == std::string::npos) {
    return absl::InternalError("not an HTTP response");
  }
  if (response.find(" 200 ") == std::string::npos ||
      response.find(" 200 ") > response.find("\r\n")) {
    return absl::InternalError("HTTP status is not 200: " +
                               response.substr(0, response.find("\r\n")));
  }
  return response.substr(body + 4);
}

std::optional<double> MetricValue(std::string_view metrics, std::string_view series) {
  size_t at = 0;
  while (at < metrics.size()) {
    size_t end = metrics.find('\n', at);
    if (end == std::string_view::npos) end = metrics.size();
    const std::string_view line = metrics.substr(at, end - at);
    if (line.size() > series.size() && line.substr(0, series.size()) == series &&
        line[series.size()] == ' ') {
      const std::string value(line.substr(series.size() + 1));
      char* parsed_end = nullptr;
      const double parsed = std::strtod(value.c_str(), &parsed_end);
      if (parsed_end == value.c_str() || std::isnan(parsed)) return std::nullopt;
      return parsed;
    }
    at = end + 1;
  }
  return std::nullopt;
}

std::string ReadFileText(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace ledger::testing
