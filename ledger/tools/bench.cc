// ledger_bench: throughput and latency of durable commits through the real gRPC API of one ledgerd.
// Prints a table: transfers per second, p50 and p99 request latency, for single-transfer requests from
// many concurrent clients and for batches of 100 and 8,000. Run by ops/bench, which starts and stops the
// server; or point --addr at a running node.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <random>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_split.h"
#include "ledger/client/client.h"

ABSL_FLAG(std::string, addr, "127.0.0.1:7400", "ledgerd address");
ABSL_FLAG(int, accounts, 10000, "wallet accounts to spread transfers over");
ABSL_FLAG(double, seconds, 6, "duration of each scenario");
ABSL_FLAG(std::string, metrics_addr, "", "ledgerd's metrics HOST:PORT, to report requests per fsync (optional)");
ABSL_FLAG(std::string, scenarios, "1x1,1x64,100x8,8000x2",
          "comma-separated BATCHxCLIENTS: transfers per request x concurrent clients");
ABSL_FLAG(uint64_t, seed, 1, "workload seed (account choice)");

namespace ledger {
namespace {

constexpr AssetId kAsset = 1;
constexpr uint64_t kIssuer = 1;
constexpr uint64_t kWalletBase = 0x1000;
// Transfer ids: one namespace per run so reruns against the same data never collide.
std::atomic<uint64_t> next_transfer{1};

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

// ledger_fsyncs_total from ledgerd's /metrics (plain HTTP/1.0 on loopback), or -1.
double ReadFsyncs(const std::string& address) {
  const size_t colon = address.rfind(':');
  if (address.empty() || colon == std::string::npos) return -1;
  sockaddr_in server{};
  server.sin_family = AF_INET;
  server.sin_port = htons(static_cast<uint16_t>(std::stoi(address.substr(colon + 1))));
  if (inet_pton(AF_INET, address.substr(0, colon).c_str(), &server.sin_addr) != 1) return -1;
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  std::string response;
  if (connect(fd, reinterpret_cast<sockaddr*>(&server), sizeof server) == 0) {
    const std::string request = "GET /metrics HTTP/1.0\r\nHost: " + address + "\r\n\r\n";
    if (write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size())) {
      char buffer[65536];
      ssize_t got;
      while ((got = read(fd, buffer, sizeof buffer)) > 0) response.append(buffer, static_cast<size_t>(got));
    }
  }
  close(fd);
  const std::string name = "\nledger_fsyncs_total ";
  const size_t at = response.find(name);
  return at == std::string::npos ? -1 : std::stod(response.substr(at + name.size()));
}

bool Check(const grpc::Status& status, const char* what) {
  if (status.ok()) return true;
  fprintf(stderr, "bench: %s failed: %s\n", what, status.error_message().c_str());
  return false;
}

bool Setup(v1::Ledger::Stub& stub, int accounts) {
  v1::CreateAssetsRequest assets;
  v1::Asset* asset = assets.add_assets();
  asset->set_id(kAsset);
  asset->set_code("BENCH");
  asset->set_breakage_account_id(IdBytes(2));
  v1::CreateReply reply;
  if (!Check(stub.CreateAssets(ContextWithDeadline(std::chrono::seconds(30)).get(), assets, &reply), "assets")) {
    return false;
  }
  for (int start = 0; start <= accounts; start += 8000) {
    v1::CreateAccountsRequest request;
    if (start == 0) {
      v1::Account* issuer = request.add_accounts();
      issuer->set_id(IdBytes(kIssuer));
      issuer->set_asset(kAsset);
      issuer->set_kind(v1::ISSUER);
    }
    for (int i = start; i < std::min(start + 8000, accounts); ++i) {
      v1::Account* wallet = request.add_accounts();
      wallet->set_id(IdBytes(kWalletBase + i));
      wallet->set_asset(kAsset);
      wallet->set_kind(v1::WALLET);
    }
    if (request.accounts_size() == 0) break;
    if (!Check(stub.CreateAccounts(ContextWithDeadline(std::chrono::seconds(30)).get(), request, &reply),
               "accounts")) {
      return false;
    }
  }
  return true;
}

Row RunScenario(const std::string& address, const Scenario& scenario, int accounts, double seconds, uint64_t seed,
                uint64_t id_high) {
  std::vector<std::vector<double>> latencies(scenario.clients);
  std::vector<uint64_t> done(scenario.clients, 0), failed(scenario.clients, 0), requests(scenario.clients, 0);
  const auto start = std::chrono::steady_clock::now();
  const auto stop = start + std::chrono::duration<double>(seconds);
  std::vector<std::thread> threads;
  for (int c = 0; c < scenario.clients; ++c) {
    threads.emplace_back([&, c] {
      std::unique_ptr<v1::Ledger::Stub> stub = ConnectLedger(address);
      std::mt19937_64 rng(seed * 1000 + c);
      std::uniform_int_distribution<int> pick(0, accounts - 1);
      v1::CreateTransfersRequest request;
      for (int i = 0; i < scenario.batch; ++i) request.add_transfers();
      while (std::chrono::steady_clock::now() < stop) {
        for (v1::Transfer& t : *request.mutable_transfers()) {
          const int debit = pick(rng);
          int credit = pick(rng);
          if (credit == debit) credit = (credit + 1) % accounts;
          t.set_id(IdBytes(id_high, next_transfer.fetch_add(1)));
          t.set_debit_account_id(IdBytes(kWalletBase + debit));
          t.set_credit_account_id(IdBytes(kWalletBase + credit));
          t.set_amount(1);
          t.set_code(1);
        }
        v1::CreateReply reply;
        const auto sent = std::chrono::steady_clock::now();
        grpc::Status status =
            stub->CreateTransfers(ContextWithDeadline(std::chrono::seconds(60)).get(), request, &reply);
        latencies[c].push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - sent).count());
        ++requests[c];
        if (!status.ok()) {
          failed[c] += scenario.batch;
          continue;
        }
        for (const v1::ItemResult& item : reply.results()) {
          if (item.result() == v1::OK) {
            ++done[c];
          } else {
            ++failed[c];
          }
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  Row row;
  row.scenario = scenario;
  row.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::vector<double> all;
  for (int c = 0; c < scenario.clients; ++c) {
    row.transfers += done[c];
    row.requests += requests[c];
    row.failed += failed[c];
    all.insert(all.end(), latencies[c].begin(), latencies[c].end());
  }
  std::sort(all.begin(), all.end());
  if (!all.empty()) {
    row.p50_ms = all[all.size() / 2];
    row.p99_ms = all[std::min(all.size() - 1, all.size() * 99 / 100)];
  }
  return row;
}

int Main(int argc, char** argv) {
  absl::SetProgramUsageMessage("ledger_bench: durable-commit throughput and latency of one ledgerd over gRPC.\n"
                               "Usage: ledger_bench --addr=127.0.0.1:7400 [--scenarios=1x64,100x8,8000x2]");
  absl::ParseCommandLine(argc, argv);
  const std::string address = absl::GetFlag(FLAGS_addr);
  std::vector<Scenario> scenarios;
  for (absl::string_view part : absl::StrSplit(absl::GetFlag(FLAGS_scenarios), ',')) {
    std::vector<std::string> numbers = absl::StrSplit(part, 'x');
    Scenario s;
    if (numbers.size() != 2 || !absl::SimpleAtoi(numbers[0], &s.batch) || !absl::SimpleAtoi(numbers[1], &s.clients) ||
        s.batch < 1 || s.batch > 8190 || s.clients < 1 || s.clients > 1024) {
      fprintf(stderr, "bench: --scenarios: '%s' is not BATCHxCLIENTS with 1<=BATCH<=8190, 1<=CLIENTS<=1024\n",
              std::string(part).c_str());
      return 2;
    }
    scenarios.push_back(s);
  }
  std::unique_ptr<v1::Ledger::Stub> stub = ConnectLedger(address);
  absl::Status ready = WaitForLedger(stub.get(), std::chrono::seconds(20));
  if (!ready.ok()) {
    fprintf(stderr, "bench: %s\n", ready.ToString().c_str());
    return 1;
  }
  const int accounts = absl::GetFlag(FLAGS_accounts);
  fprintf(stderr, "bench: creating %d accounts...\n", accounts);
  if (!Setup(*stub, accounts)) return 1;
  const uint64_t id_high = static_cast<uint64_t>(std::chrono::system_clock::now().time_since_epoch().count()) >> 16;
  std::vector<Row> rows;
  for (const Scenario& s : scenarios) {
    fprintf(stderr, "bench: %d transfer(s) per request, %d clients, %.0f s...\n", s.batch, s.clients,
            absl::GetFlag(FLAGS_seconds));
    const double fsyncs_before = ReadFsyncs(absl::GetFlag(FLAGS_metrics_addr));
    rows.push_back(RunScenario(address, s, accounts, absl::GetFlag(FLAGS_seconds), absl::GetFlag(FLAGS_seed), id_high));
    const double fsyncs_after = ReadFsyncs(absl::GetFlag(FLAGS_metrics_addr));
    if (fsyncs_before >= 0 && fsyncs_after > fsyncs_before) rows.back().fsyncs = fsyncs_after - fsyncs_before;
  }
  printf("\nledgerd, one node, durable commits (fsync per batch), %d accounts, over gRPC on loopback\n", accounts);
  printf("| transfers/request | clients | transfers/s | p50 ms | p99 ms | requests/fsync | failed |\n");
  printf("|------------------:|--------:|------------:|-------:|-------:|---------------:|-------:|\n");
  for (const Row& r : rows) {
    char per_fsync[32] = "n/a";
    if (r.fsyncs > 0) snprintf(per_fsync, sizeof per_fsync, "%.1f", r.requests / r.fsyncs);
    printf("| %17d | %7d | %11.0f | %6.2f | %6.2f | %14s | %6llu |\n", r.scenario.batch, r.scenario.clients,
           r.transfers / r.seconds, r.p50_ms, r.p99_ms, per_fsync, static_cast<unsigned long long>(r.failed));
  }
  printf("requests/fsync above 1 is group commit: concurrent requests sharing one durable write.\n");
  return 0;
}

}  // namespace
}  // namespace ledger

int main(int argc, char** argv) { return ledger::Main(argc, argv); }
