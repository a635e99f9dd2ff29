// ledger_bench: throughput and latency of durable commits through the real gRPC API of ledgerd (one
// node or a cluster: --addr takes a list and requests follow the leader). The workload is the one
// ops/bench also runs on PostgreSQL: residents' wallets (non-negative, funded at set-up) pay shops,
// the payee drawn from --merchants hot merchant accounts by a Zipf law (s = --zipf_s), the payer
// uniformly. Prints a table (transfers per second, p50 and p99 request latency per scenario) and
// one "ROW|label|..." line per scenario for ops/bench's side-by-side table.
// --http=https://HOST:PORT sends the same requests through ledgerd's HTTP/JSON gateway instead
// (POST /v1/Ledger/CreateTransfers on --http_operator_listen, protobuf's JSON, the operator's
// client certificate; libcurl, one thread and one kept-alive connection per client): the gateway's
// overhead on a payment (ops/bench --gateway runs both).
#include <arpa/inet.h>
#include <curl/curl.h>
#include <ftw.h>
#include <google/protobuf/util/json_util.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "ledger/client/client.h"
#include "ledger/server/operator_token.h"
#include "ledger/tools/transport_flags.h"

ABSL_FLAG(std::string, addr, "127.0.0.1:7400", "ledgerd address");
ABSL_FLAG(int, accounts, 10000, "wallet accounts (payers), funded at set-up");
ABSL_FLAG(int, merchants, 100, "merchant accounts (payees), chosen by a Zipf law");
ABSL_FLAG(double, zipf_s, 1.1, "Zipf exponent of the payee choice (higher: hotter top merchants)");
ABSL_FLAG(std::string, label, "ledgerd", "system name in the ROW lines");
ABSL_FLAG(double, seconds, 6, "duration of each scenario");
ABSL_FLAG(std::string, metrics_addr, "",
          "ledgerd's metrics HOST:PORT, to report requests per fsync (optional)");
ABSL_FLAG(std::string, scenarios, "1x1,1x64,100x8,8000x2",
          "comma-separated BATCHxCLIENTS: transfers per request x concurrent clients");
ABSL_FLAG(bool, percentiles, false,
          "also print each scenario's latency distribution (p50 to max) on stderr");
ABSL_FLAG(uint64_t, seed, 1, "workload seed (account choice)");
ABSL_FLAG(std::string, http, "",
          "send the transfers through the HTTP/JSON gateway at this URL (e.g. "
          "https://127.0.0.1:7404, ledgerd --http_operator_listen) instead of gRPC; set-up stays "
          "on gRPC");
ABSL_FLAG(uint64_t, transfers, 0,
          "lifetime mode (ops/bench --scale): run the first scenario until this many transfers are "
          "done, printing a row every --interval seconds; 0: the timed scenarios");
ABSL_FLAG(double, interval, 60, "lifetime mode: seconds between progress rows");
ABSL_FLAG(std::string, watch_pids, "",
          "lifetime mode: comma-separated ledgerd process ids whose resident memory is printed");
ABSL_FLAG(std::string, watch_dirs, "",
          "lifetime mode: comma-separated data directories whose size on disk is printed");
ABSL_FLAG(std::string, watch_metrics, "",
          "lifetime mode: comma-separated metrics HOST:PORT of the nodes (snapshots, Raft term)");
ABSL_FLAG(bool, skip_setup, false, "do not create and fund the accounts (they exist)");

namespace ledger {
namespace {

constexpr AssetId kAsset = 1;
constexpr uint64_t kIssuer = 1;
constexpr uint64_t kWalletBase = 0x1000;
constexpr uint64_t kMerchantBase = 0x100000;
constexpr int64_t kWalletFunding = 1'000'000'000;  // Enough that no payment in a run is refused.

// Zipf(s) over 0..n-1 by inverse transform on the cumulative weights.
class Zipf {
 public:
  Zipf(int n, double s) {
    double total = 0;
    for (int k = 1; k <= n; ++k) cumulative_.push_back(total += 1.0 / std::pow(k, s));
    for (double& c : cumulative_) c /= total;
  }
  int operator()(std::mt19937_64& rng) const {
    const double u = std::uniform_real_distribution<double>(0, 1)(rng);
    return static_cast<int>(std::lower_bound(cumulative_.begin(), cumulative_.end(), u) -
                            cumulative_.begin());
  }

 private:
  std::vector<double> cumulative_;
};
// Transfer ids: one namespace per run so reruns against the same data never collide.
std::atomic<uint64_t> next_transfer{1};

// Lifetime mode: what the clients finished since the monitor last looked (under the mutex), and
// the transfers sent so far (the clients stop sending at --transfers).
struct Progress {
  std::mutex mutex;
  bool enabled = false;
  std::vector<double> latencies;
  uint64_t done = 0, failed = 0;
  std::atomic<uint64_t> sent{0};
  uint64_t target = 0;  // 0: no target (timed scenarios).
};
Progress progress;

struct Scenario {
  int batch = 1;
  int clients = 1;
};

struct Row {
  Scenario scenario;
  uint64_t requests = 0;
  double fsyncs = -1;  // -1: unknown (no metrics address).
  uint64_t transfers = 0;
  double seconds = 0;
  double p50_ms = 0, p99_ms = 0;
  uint64_t failed = 0;
};

// ledgerd's /metrics page (plain HTTP/1.0 on loopback), or "" when it cannot be read.
std::string FetchMetrics(const std::string& address) {
  const size_t colon = address.rfind(':');
  if (address.empty() || colon == std::string::npos) return "";
  sockaddr_in server{};
  server.sin_family = AF_INET;
  server.sin_port = htons(static_cast<uint16_t>(std::stoi(address.substr(colon + 1))));
  if (inet_pton(AF_INET, address.substr(0, colon).c_str(), &server.sin_addr) != 1) return "";
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return "";
  std::string response;
  if (connect(fd, reinterpret_cast<sockaddr*>(&server), sizeof server) == 0) {
    const std::string request = "GET /metrics HTTP/1.0\r\nHost: " + address + "\r\n\r\n";
    if (write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size())) {
      char buffer[65536];
      ssize_t got;
      while ((got = read(fd, buffer, sizeof buffer)) > 0)
        response.append(buffer, static_cast<size_t>(got));
    }
  }
  close(fd);
  return response;
}

// The value of the unlabelled metric NAME on a /metrics page, or -1.
double MetricValue(const std::string& page, const std::string& name) {
  const std::string line = "\n" + name + " ";
  const size_t at = page.find(line);
  return at == std::string::npos ? -1 : std::strtod(page.c_str() + at + line.size(), nullptr);
}

// ledger_fsyncs_total from ledgerd's /metrics, or -1.
double ReadFsyncs(const std::string& address) {
  return MetricValue(FetchMetrics(address), "ledger_fsyncs_total");
}

bool Check(const grpc::Status& status, const char* what) {
  if (status.ok()) return true;
  fprintf(stderr, "bench: %s failed: %s\n", what, status.error_message().c_str());
  return false;
}

bool Setup(LedgerConnection& connection, int accounts, int merchants) {
  auto call = [&](auto rpc, const char* what) {
    return Check(connection.Call([&](LedgerConnection& c) { return rpc(c.ledger()); }), what);
  };
  v1::CreateAssetsRequest assets;
  v1::Asset* asset = assets.add_assets();
  asset->set_id(kAsset);
  asset->set_code("BENCH");
  asset->set_breakage_account_id(IdBytes(2));
  v1::CreateReply reply;
  if (!call(
          [&](v1::Ledger::Stub& stub) {
            return stub.CreateAssets(ContextWithDeadline(std::chrono::seconds(30)).get(), assets,
                                     &reply);
          },
          "assets")) {
    return false;
  }
  std::vector<v1::Account> all;
  v1::Account issuer;
  issuer.set_id(IdBytes(kIssuer));
  issuer.set_asset(kAsset);
  issuer.set_kind(v1::ISSUER);
  all.push_back(issuer);
  for (int i = 0; i < accounts + merchants; ++i) {
    v1::Account account;
    const bool wallet = i < accounts;
    account.set_id(IdBytes(wallet ? kWalletBase + i : kMerchantBase + (i - accounts)));
    account.set_asset(kAsset);
    account.set_kind(wallet ? v1::WALLET : v1::MERCHANT);
    account.set_flags(v1::NON_NEGATIVE);
    all.push_back(account);
  }
  for (size_t start = 0; start < all.size(); start += 8000) {
    v1::CreateAccountsRequest request;
    for (size_t i = start; i < std::min(start + 8000, all.size()); ++i)
      *request.add_accounts() = all[i];
    if (!call(
            [&](v1::Ledger::Stub& stub) {
              return stub.CreateAccounts(ContextWithDeadline(std::chrono::seconds(60)).get(),
                                         request, &reply);
            },
            "accounts")) {
      return false;
    }
  }
  // Fund the wallets (ids in a namespace of their own; a rerun on the same data reports
  // duplicates).
  for (int start = 0; start < accounts; start += 8000) {
    v1::CreateTransfersRequest request;
    for (int i = start; i < std::min(start + 8000, accounts); ++i) {
      v1::Transfer* t = request.add_transfers();
      t->set_id(IdBytes(0xF0F0, static_cast<uint64_t>(i) + 1));
      t->set_debit_account_id(IdBytes(kIssuer));
      t->set_credit_account_id(IdBytes(kWalletBase + i));
      t->set_amount(kWalletFunding);
      t->set_code(1);
    }
    if (!call(
            [&](v1::Ledger::Stub& stub) {
              return stub.CreateTransfers(ContextWithDeadline(std::chrono::seconds(60)).get(),
                                          request, &reply);
            },
            "funding")) {
      return false;
    }
  }
  return true;
}

// One simulated client: sends its next request as soon as the previous one is answered. Requests go
// out through gRPC's callback API, so 64 clients cost no thread each in this process (the server's
// CPU, not the benchmark's, should decide the figures: they share the machine).
struct Client {
  std::unique_ptr<LedgerConnection> connection;
  std::mt19937_64 rng;
  v1::CreateTransfersRequest request;
  v1::CreateReply reply;
  std::unique_ptr<grpc::ClientContext> context;
  std::chrono::steady_clock::time_point sent;
  std::vector<double> latencies;
  uint64_t done = 0, failed = 0, requests = 0;
  bool find_leader = true;  // The next request goes through LedgerConnection::Call.
};

// Fills the client's request with a batch of new transfers: a random wallet pays a Zipf-chosen
// merchant 1.
void FillTransfers(Client& client, int accounts, const Zipf& payees, uint64_t id_high) {
  std::uniform_int_distribution<int> pick(0, accounts - 1);
  for (v1::Transfer& t : *client.request.mutable_transfers()) {
    t.set_id(IdBytes(id_high, next_transfer.fetch_add(1)));
    t.set_debit_account_id(IdBytes(kWalletBase + pick(client.rng)));
    t.set_credit_account_id(IdBytes(kMerchantBase + payees(client.rng)));
    t.set_amount(1);
    t.set_code(1);
  }
}

// Counts the client's reply: its latency, and its transfers done or failed (all of them when the
// call failed, after which the next request looks for the leader again).
void CountReply(Client& client, const grpc::Status& status, int batch) {
  const double latency =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - client.sent)
          .count();
  // In lifetime mode the monitor collects the latencies (a run keeps none of its own).
  if (!progress.enabled) client.latencies.push_back(latency);
  ++client.requests;
  client.find_leader = !status.ok();
  const uint64_t done_before = client.done, failed_before = client.failed;
  if (!status.ok()) {
    client.failed += batch;
  } else {
    for (const v1::ItemResult& item : client.reply.results()) {
      if (item.result() == v1::OK) {
        ++client.done;
      } else {
        ++client.failed;
      }
    }
  }
  if (progress.enabled) {
    std::lock_guard<std::mutex> lock(progress.mutex);
    progress.latencies.push_back(latency);
    progress.done += client.done - done_before;
    progress.failed += client.failed - failed_before;
  }
}

// Whether a client should stop: the scenario's time is up, or (lifetime mode) the transfers it
// would send are past --transfers.
bool ShouldStop(bool time_up, int batch) {
  if (time_up) return true;
  if (progress.target == 0) return false;
  return progress.sent.fetch_add(batch) >= progress.target;
}

// The scenario's row: transfers, requests and failures of all clients, and the latency percentiles
// (all of them on stderr with --percentiles).
Row Summarize(const Scenario& scenario, const std::vector<Client>& clients, double seconds) {
  Row row;
  row.scenario = scenario;
  row.seconds = seconds;
  std::vector<double> all;
  for (const Client& client : clients) {
    row.transfers += client.done;
    row.requests += client.requests;
    row.failed += client.failed;
    all.insert(all.end(), client.latencies.begin(), client.latencies.end());
  }
  std::sort(all.begin(), all.end());
  if (!all.empty()) {
    row.p50_ms = all[all.size() / 2];
    row.p99_ms = all[std::min(all.size() - 1, all.size() * 99 / 100)];
    if (absl::GetFlag(FLAGS_percentiles)) {
      fprintf(stderr, "bench: latency ms, %d x %d:", scenario.batch, scenario.clients);
      for (double q : {0.5, 0.9, 0.95, 0.98, 0.99, 0.999, 1.0}) {
        fprintf(stderr, " p%g=%.2f", q * 100,
                all[std::min(all.size() - 1, static_cast<size_t>(all.size() * q))]);
      }
      fprintf(stderr, "\n");
    }
  }
  return row;
}

Row RunScenario(const std::string& address, const Transport& transport, const Scenario& scenario,
                int accounts, const Zipf& payees, double seconds, uint64_t seed, uint64_t id_high) {
  std::vector<Client> clients(scenario.clients);
  std::mutex mutex;
  std::condition_variable finished;
  int running = scenario.clients;
  // The first request of each client (and any after a failure) goes through LedgerConnection::Call,
  // which finds the leader; the rest go straight to that node.
  for (int c = 0; c < scenario.clients; ++c) {
    Client& client = clients[c];
    client.connection =
        std::make_unique<LedgerConnection>(address, OperatorAddressesFromFlags(address), transport);
    client.rng.seed(seed * 1000 + c);
    for (int i = 0; i < scenario.batch; ++i) client.request.add_transfers();
  }
  const auto start = std::chrono::steady_clock::now();
  const auto stop = start + std::chrono::duration<double>(seconds);
  std::function<void(Client&)> send = [&](Client& client) {
    for (;;) {
      if (ShouldStop(std::chrono::steady_clock::now() >= stop, scenario.batch)) {
        std::lock_guard<std::mutex> lock(mutex);
        if (--running == 0) finished.notify_all();
        return;
      }
      FillTransfers(client, accounts, payees, id_high);
      client.sent = std::chrono::steady_clock::now();
      if (client.find_leader) {
        const grpc::Status status = client.connection->Call([&](LedgerConnection& conn) {
          return conn.ledger().CreateTransfers(ContextWithDeadline(std::chrono::seconds(60)).get(),
                                               client.request, &client.reply);
        });
        CountReply(client, status, scenario.batch);
        continue;
      }
      client.context = ContextWithDeadline(std::chrono::seconds(60));
      client.connection->ledger().async()->CreateTransfers(
          client.context.get(), &client.request, &client.reply, [&](grpc::Status status) {
            CountReply(client, status, scenario.batch);
            send(client);
          });
      return;
    }
  };
  std::vector<std::thread> starters;
  for (Client& client : clients) starters.emplace_back([&] { send(client); });
  for (auto& thread : starters) thread.join();
  {
    std::unique_lock<std::mutex> lock(mutex);
    finished.wait(lock, [&] { return running == 0; });
  }
  return Summarize(scenario, clients,
                   std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
}

size_t CollectBody(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

// One client's HTTP/JSON connection to the gateway (kept alive between requests).
class HttpClient {
 public:
  HttpClient(const std::string& base, const Transport& transport)
      : curl_(curl_easy_init()), url_(base + "/v1/Ledger/CreateTransfers") {
    headers_ = curl_slist_append(headers_, "Content-Type: application/json");
    if (transport.plaintext) {
      headers_ = curl_slist_append(headers_,
                                   ("Authorization: Bearer " + transport.operator_token).c_str());
      if (!transport.operator_name.empty())
        headers_ =
            curl_slist_append(headers_, ("X-Ledger-Operator: " + transport.operator_name).c_str());
    } else {
      curl_easy_setopt(curl_, CURLOPT_CAINFO, transport.ca_file.c_str());
      curl_easy_setopt(curl_, CURLOPT_SSLCERT, transport.cert_file.c_str());
      curl_easy_setopt(curl_, CURLOPT_SSLKEY, transport.key_file.c_str());
    }
    curl_easy_setopt(curl_, CURLOPT_URL, url_.c_str());
    curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, headers_);
    curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, CollectBody);
    curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &body_);
    curl_easy_setopt(curl_, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(curl_, CURLOPT_TCP_NODELAY, 1L);
  }
  ~HttpClient() {
    curl_slist_free_all(headers_);
    curl_easy_cleanup(curl_);
  }
  // The request as JSON, the reply parsed back; a non-200 answer or a transport error is an error.
  grpc::Status Send(const v1::CreateTransfersRequest& request, v1::CreateReply* reply) {
    std::string json;
    if (!google::protobuf::util::MessageToJsonString(request, &json).ok())
      return grpc::Status(grpc::StatusCode::INTERNAL, "request to JSON");
    body_.clear();
    curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, json.c_str());
    curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(json.size()));
    const CURLcode code = curl_easy_perform(curl_);
    long status = 0;
    curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &status);
    if (code != CURLE_OK)
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, curl_easy_strerror(code));
    if (status != 200)
      return grpc::Status(grpc::StatusCode::UNKNOWN,
                          "HTTP " + std::to_string(status) + " " + body_);
    reply->Clear();
    if (!google::protobuf::util::JsonStringToMessage(body_, reply).ok())
      return grpc::Status(grpc::StatusCode::INTERNAL, "reply is not a CreateReply: " + body_);
    return grpc::Status::OK;
  }

 private:
  CURL* curl_;
  std::string url_;
  struct curl_slist* headers_ = nullptr;
  std::string body_;
};

// RunScenario through the gateway: a thread per client, each with its own connection.
Row RunHttpScenario(const std::string& base, const Transport& transport, const Scenario& scenario,
                    int accounts, const Zipf& payees, double seconds, uint64_t seed,
                    uint64_t id_high) {
  std::vector<Client> clients(scenario.clients);
  for (int c = 0; c < scenario.clients; ++c) {
    clients[c].rng.seed(seed * 1000 + c);
    for (int i = 0; i < scenario.batch; ++i) clients[c].request.add_transfers();
  }
  const auto start = std::chrono::steady_clock::now();
  const auto stop = start + std::chrono::duration<double>(seconds);
  std::vector<std::thread> threads;
  for (Client& client : clients) {
    threads.emplace_back([&] {
      HttpClient http(base, transport);
      while (std::chrono::steady_clock::now() < stop) {
        FillTransfers(client, accounts, payees, id_high);
        client.sent = std::chrono::steady_clock::now();
        const grpc::Status status = http.Send(client.request, &client.reply);
        if (!status.ok() && client.failed == 0)
          fprintf(stderr, "bench: HTTP: %s\n", status.error_message().c_str());
        CountReply(client, status, scenario.batch);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  return Summarize(scenario, clients,
                   std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
}

// --scenarios: BATCHxCLIENTS,...; false (after saying why) when one is malformed.
bool ParseScenarios(const std::string& flag, std::vector<Scenario>* scenarios) {
  for (absl::string_view part : absl::StrSplit(flag, ',')) {
    std::vector<std::string> numbers = absl::StrSplit(part, 'x');
    Scenario s;
    if (numbers.size() != 2 || !absl::SimpleAtoi(numbers[0], &s.batch) ||
        !absl::SimpleAtoi(numbers[1], &s.clients) || s.batch < 1 || s.batch > 8190 ||
        s.clients < 1 || s.clients > 1024) {
      fprintf(
          stderr,
          "bench: --scenarios: '%s' is not BATCHxCLIENTS with 1<=BATCH<=8190, 1<=CLIENTS<=1024\n",
          std::string(part).c_str());
      return false;
    }
    scenarios->push_back(s);
  }
  return true;
}

// The results as a Markdown table, then one ROW| line per scenario for scripts.
void PrintTable(const std::vector<Row>& rows, int accounts, int merchants) {
  printf(
      "\n%s: durable commits, %d wallets paying %d merchants (Zipf s=%.2f), over %s on "
      "loopback\n",
      absl::GetFlag(FLAGS_label).c_str(), accounts, merchants, absl::GetFlag(FLAGS_zipf_s),
      absl::GetFlag(FLAGS_http).empty() ? "gRPC" : "the HTTP/JSON gateway");
  printf(
      "| transfers/request | clients | transfers/s | p50 ms | p99 ms | requests/fsync | failed "
      "|\n");
  printf(
      "|------------------:|--------:|------------:|-------:|-------:|---------------:|-------:|"
      "\n");
  for (const Row& r : rows) {
    char per_fsync[32] = "n/a";
    if (r.fsyncs > 0) snprintf(per_fsync, sizeof per_fsync, "%.1f", r.requests / r.fsyncs);
    printf("| %17d | %7d | %11.0f | %6.2f | %6.2f | %14s | %6llu |\n", r.scenario.batch,
           r.scenario.clients, r.transfers / r.seconds, r.p50_ms, r.p99_ms, per_fsync,
           static_cast<unsigned long long>(r.failed));
  }
  printf(
      "requests/fsync above 1 is group commit: concurrent requests sharing one durable write.\n");
  for (const Row& r : rows) {
    printf("ROW|%s|%d|%d|%.0f|%.2f|%.2f|%llu\n", absl::GetFlag(FLAGS_label).c_str(),
           r.scenario.batch, r.scenario.clients, r.transfers / r.seconds, r.p50_ms, r.p99_ms,
           static_cast<unsigned long long>(r.failed));
  }
}

// ---- Lifetime mode (--transfers): one long run, a progress row every --interval seconds. ----

std::vector<std::string> List(const std::string& flag) {
  if (flag.empty()) return {};
  return absl::StrSplit(flag, ',');
}

// Resident memory of process PID in MB (VmRSS in /proc/PID/status), or -1.
double ResidentMb(const std::string& pid) {
  FILE* file = fopen(("/proc/" + pid + "/status").c_str(), "r");
  if (file == nullptr) return -1;
  char line[256];
  double kb = -1;
  while (fgets(line, sizeof line, file) != nullptr) {
    if (sscanf(line, "VmRSS: %lf kB", &kb) == 1) break;
  }
  fclose(file);
  return kb < 0 ? -1 : kb / 1024;
}

// Bytes a directory tree occupies on disk (allocated blocks, a hard-linked file once), as du
// counts; files that vanish during the walk (RocksDB compactions) are skipped.
thread_local uint64_t walk_bytes = 0;
thread_local std::set<std::pair<dev_t, ino_t>>* walk_seen = nullptr;
uint64_t DiskBytes(const std::string& dir) {
  std::set<std::pair<dev_t, ino_t>> seen;
  walk_bytes = 0;
  walk_seen = &seen;
  nftw(
      dir.c_str(),
      [](const char*, const struct stat* st, int type, FTW*) {
        if (type != FTW_NS && walk_seen->insert({st->st_dev, st->st_ino}).second)
          walk_bytes += static_cast<uint64_t>(st->st_blocks) * 512;
        return 0;
      },
      32, FTW_PHYS);
  walk_seen = nullptr;
  return walk_bytes;
}

struct Watch {
  std::vector<std::string> pids, dirs, metrics;
  uint64_t transfers_before = 0;  // Funding transfers already in the ledger.
  double first_term = -1;         // The highest Raft term at the first row.
  double cpu_seconds = 0;         // The watched processes' CPU time at the previous row.
  uint64_t done = 0;              // Transfers done at the previous row.
};

// CPU time (user + system) process PID has used, in seconds (/proc/PID/stat), or 0.
double CpuSeconds(const std::string& pid) {
  FILE* file = fopen(("/proc/" + pid + "/stat").c_str(), "r");
  if (file == nullptr) return 0;
  char buffer[1024];
  const size_t got = fread(buffer, 1, sizeof buffer - 1, file);
  fclose(file);
  buffer[got] = '\0';
  const char* fields = strrchr(buffer, ')');  // After "PID (name)": state is field 3.
  unsigned long long utime = 0, stime = 0;
  if (fields == nullptr ||
      sscanf(fields + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime,
             &stime) != 2) {
    return 0;
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// CPU microseconds the watched processes spent per transfer since the previous row (all nodes
// together): unlike transfers/s, it does not move when other work on the machine takes the cores.
std::string CpuPerTransfer(Watch& watch, uint64_t done) {
  if (watch.pids.empty()) return "n/a";
  double cpu = 0;
  for (const std::string& pid : watch.pids) cpu += CpuSeconds(pid);
  char cell[32] = "n/a";
  if (done > watch.done)
    snprintf(cell, sizeof cell, "%.1f", (cpu - watch.cpu_seconds) * 1e6 / (done - watch.done));
  watch.cpu_seconds = cpu;
  watch.done = done;
  return cell;
}

struct Sample {
  double seconds = 0;
  uint64_t done = 0;
};

// "a/b/c" of one figure per watched node, printed with FORMAT.
template <typename F>
std::string PerNode(size_t n, const char* format, F figure) {
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    char cell[64];
    snprintf(cell, sizeof cell, format, figure(i));
    out += (i ? "/" : "") + std::string(cell);
  }
  return n == 0 ? "n/a" : out;
}

// The node columns of a progress row: resident memory, bytes on disk per transfer (per replica),
// snapshots taken (count, last duration and size) and the Raft term (elections since the first
// row).
std::string NodeColumns(Watch& watch, uint64_t done) {
  std::vector<std::string> pages;
  for (const std::string& address : watch.metrics) pages.push_back(FetchMetrics(address));
  uint64_t disk = 0;
  for (const std::string& dir : watch.dirs) disk += DiskBytes(dir);
  const double replicas = static_cast<double>(std::max<size_t>(1, watch.dirs.size()));
  char per_transfer[32] = "n/a";
  if (!watch.dirs.empty())
    snprintf(per_transfer, sizeof per_transfer, "%.0f",
             disk / replicas / static_cast<double>(done + watch.transfers_before));
  auto metric = [&](const char* name) {
    return [&pages, name](size_t i) { return MetricValue(pages[i], name); };
  };
  double term = -1;
  for (const std::string& page : pages)
    term = std::max(term, MetricValue(page, "ledger_raft_term"));
  if (watch.first_term < 0) watch.first_term = term;
  const std::string elections =
      term < 0 ? "n/a" : std::to_string(static_cast<int64_t>(term - watch.first_term));
  return CpuPerTransfer(watch, done) + " | " +
         PerNode(watch.pids.size(), "%.0f", [&](size_t i) { return ResidentMb(watch.pids[i]); }) +
         " | " + per_transfer + " | " +
         PerNode(pages.size(), "%.0f", metric("ledger_raft_snapshots_total")) + " | " +
         PerNode(pages.size(), "%.2f", metric("ledger_raft_snapshot_last_seconds")) + " | " +
         PerNode(pages.size(), "%.0f",
                 [&](size_t i) {
                   return MetricValue(pages[i], "ledger_raft_snapshot_last_bytes") / 1e6;
                 }) +
         " | " + PerNode(pages.size(), "%.0f", metric("ledger_raft_term")) + " | " + elections;
}

// One progress row: elapsed time, transfers done, the rate and latency percentiles since the
// previous row, then the node columns.
void PrintProgressRow(Watch& watch, const Sample& now, const Sample& previous,
                      std::vector<double> latencies) {
  std::sort(latencies.begin(), latencies.end());
  const double p50 = latencies.empty() ? 0 : latencies[latencies.size() / 2];
  const double p99 = latencies.empty()
                         ? 0
                         : latencies[std::min(latencies.size() - 1, latencies.size() * 99 / 100)];
  const double rate = static_cast<double>(now.done - previous.done) /
                      std::max(1e-9, now.seconds - previous.seconds);
  printf("| %7.0f | %11llu | %9.0f | %7.2f | %7.2f | %s |\n", now.seconds,
         static_cast<unsigned long long>(now.done), rate, p50, p99,
         NodeColumns(watch, now.done).c_str());
  fflush(stdout);
}

// Samples the clients' progress every second until STOP, a row every INTERVAL seconds and one at
// the end; SAMPLES gets every sample (for the first and last tenth).
void Monitor(Watch& watch, double interval, const std::atomic<bool>& stop,
             std::vector<Sample>* samples) {
  printf(
      "| elapsed s | transfers | transfers/s | p50 ms | p99 ms | CPU µs/transfer | RSS MB per node "
      "| disk B/transfer "
      "| snapshots | last snapshot s | last snapshot MB | Raft term | elections |\n"
      "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  const auto start = std::chrono::steady_clock::now();
  Sample previous_row;
  std::vector<double> latencies;
  for (bool last = false; !last;) {
    last = stop.load();
    if (!last) std::this_thread::sleep_for(std::chrono::seconds(1));
    Sample sample;
    sample.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    {
      std::lock_guard<std::mutex> lock(progress.mutex);
      sample.done = progress.done;
      latencies.insert(latencies.end(), progress.latencies.begin(), progress.latencies.end());
      progress.latencies.clear();
    }
    samples->push_back(sample);
    if (last || sample.seconds - previous_row.seconds >= interval) {
      PrintProgressRow(watch, sample, previous_row, std::move(latencies));
      latencies.clear();
      previous_row = sample;
    }
  }
}

// When the run had done TRANSFERS (linear between the one-second samples).
double SecondsAt(const std::vector<Sample>& samples, double transfers) {
  Sample before;
  for (const Sample& s : samples) {
    if (static_cast<double>(s.done) >= transfers) {
      if (s.done == before.done) return s.seconds;
      return before.seconds + (s.seconds - before.seconds) * (transfers - before.done) /
                                  static_cast<double>(s.done - before.done);
    }
    before = s;
  }
  return samples.empty() ? 0 : samples.back().seconds;
}

// First tenth against last tenth of the transfers, and the whole run; a SUMMARY| line for scripts.
void PrintTenths(const std::vector<Sample>& samples, int accounts) {
  if (samples.empty() || samples.back().done == 0) return;
  const double total = static_cast<double>(samples.back().done);
  const double end = samples.back().seconds;
  const double first = total / 10 / std::max(1e-9, SecondsAt(samples, total / 10));
  const double last = total / 10 / std::max(1e-9, end - SecondsAt(samples, total * 0.9));
  printf(
      "\n%s, %d wallets: %.0f transfers in %.0f s, %.0f/s overall; first tenth %.0f/s, last tenth "
      "%.0f/s (%+.1f %%)\n",
      absl::GetFlag(FLAGS_label).c_str(), accounts, total, end, total / end, first, last,
      (last - first) / first * 100);
  printf("SUMMARY|%s|%d|%.0f|%.0f|%.0f|%.0f|%.0f|%llu\n", absl::GetFlag(FLAGS_label).c_str(),
         accounts, total, end, total / end, first, last,
         static_cast<unsigned long long>(progress.failed));
}

// Lifetime mode: the scenario runs until --transfers are done while the monitor prints rows.
int RunLifetime(const std::string& address, const Transport& transport, const Scenario& scenario,
                int accounts, const Zipf& payees, uint64_t id_high) {
  Watch watch;
  watch.pids = List(absl::GetFlag(FLAGS_watch_pids));
  watch.dirs = List(absl::GetFlag(FLAGS_watch_dirs));
  watch.metrics = List(absl::GetFlag(FLAGS_watch_metrics));
  watch.transfers_before = static_cast<uint64_t>(accounts);
  for (const std::string& pid : watch.pids) watch.cpu_seconds += CpuSeconds(pid);  // Not set-up's.
  progress.enabled = true;
  progress.target = absl::GetFlag(FLAGS_transfers);
  printf("\n%s: %llu transfers, %d transfer(s) per request from %d clients, %d wallets\n",
         absl::GetFlag(FLAGS_label).c_str(), static_cast<unsigned long long>(progress.target),
         scenario.batch, scenario.clients, accounts);
  std::atomic<bool> stop{false};
  std::vector<Sample> samples;
  std::thread monitor([&] { Monitor(watch, absl::GetFlag(FLAGS_interval), stop, &samples); });
  RunScenario(address, transport, scenario, accounts, payees, 1e7, absl::GetFlag(FLAGS_seed),
              id_high);
  stop = true;
  monitor.join();
  PrintTenths(samples, accounts);
  return progress.failed == 0 ? 0 : 1;
}

int Main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "ledger_bench: durable-commit throughput and latency of one ledgerd over gRPC.\n"
      "Usage: ledger_bench --addr=127.0.0.1:7400 [--operator_addr=127.0.0.1:7402] [--tls_ca=FILE "
      "--tls_cert=FILE --tls_key=FILE | --plaintext --operator_token_file=FILE] "
      "[--scenarios=1x64,100x8,8000x2]");
  absl::ParseCommandLine(argc, argv);
  // Debian's Abseil is built with Mutex deadlock detection on: a lock-order graph updated on every
  // absl::Mutex (gRPC's too) lock, a few percent of the CPU under load. It is a debugging aid.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  curl_global_init(CURL_GLOBAL_DEFAULT);
  const std::string address = absl::GetFlag(FLAGS_addr);
  std::vector<Scenario> scenarios;
  if (!ParseScenarios(absl::GetFlag(FLAGS_scenarios), &scenarios)) return 2;
  absl::StatusOr<Transport> transport = TransportFromFlags();
  if (!transport.ok()) {
    fprintf(stderr, "bench: %s\n", std::string(transport.status().message()).c_str());
    return 2;
  }
  LedgerConnection connection(address, OperatorAddressesFromFlags(address), *transport);
  const int accounts = absl::GetFlag(FLAGS_accounts);
  const int merchants = absl::GetFlag(FLAGS_merchants);
  if (accounts < 1 || merchants < 1) {
    fprintf(stderr, "bench: --accounts and --merchants must be at least 1\n");
    return 2;
  }
  if (!absl::GetFlag(FLAGS_skip_setup)) {
    fprintf(stderr, "bench: creating and funding %d wallets and %d merchants...\n", accounts,
            merchants);
    if (!Setup(connection, accounts, merchants)) return 1;
  }
  const Zipf payees(merchants, absl::GetFlag(FLAGS_zipf_s));
  const uint64_t id_high =
      static_cast<uint64_t>(std::chrono::system_clock::now().time_since_epoch().count()) >> 16;
  if (absl::GetFlag(FLAGS_transfers) > 0)
    return RunLifetime(address, *transport, scenarios[0], accounts, payees, id_high);
  std::vector<Row> rows;
  for (const Scenario& s : scenarios) {
    fprintf(stderr, "bench: %d transfer(s) per request, %d clients, %.0f s...\n", s.batch,
            s.clients, absl::GetFlag(FLAGS_seconds));
    const double fsyncs_before = ReadFsyncs(absl::GetFlag(FLAGS_metrics_addr));
    const std::string http = absl::GetFlag(FLAGS_http);
    rows.push_back(
        http.empty()
            ? RunScenario(address, *transport, s, accounts, payees, absl::GetFlag(FLAGS_seconds),
                          absl::GetFlag(FLAGS_seed), id_high)
            : RunHttpScenario(http, *transport, s, accounts, payees, absl::GetFlag(FLAGS_seconds),
                              absl::GetFlag(FLAGS_seed), id_high));
    const double fsyncs_after = ReadFsyncs(absl::GetFlag(FLAGS_metrics_addr));
    if (fsyncs_before >= 0 && fsyncs_after > fsyncs_before)
      rows.back().fsyncs = fsyncs_after - fsyncs_before;
  }
  PrintTable(rows, accounts, merchants);
  return 0;
}

}  // namespace
}  // namespace ledger

int main(int argc, char** argv) { return ledger::Main(argc, argv); }
