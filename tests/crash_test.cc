// Crash test: several clients send payments to a real ledgerd while it is killed with SIGKILL and
// restarted, again and again. Afterwards every acknowledged transfer is present exactly once with
// the decision the client was told, requests whose reply was lost are settled by resubmitting the
// same ids, balances equal what the decided transfers imply and sum to zero, and the journal's hash
// chain verifies offline. Seeded: LEDGER_TEST_SEED=<seed> replays a run's choices (not its timing).
#include <atomic>
#include <cstdlib>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "ledger/client/client.h"
#include "ledger/core/journal.h"
#include "ledger/core/query.h"
#include "ledger/storage/rocks_store.h"
#include "tests/ledger_process.h"
#include "tests/payments.h"

namespace ledger {
namespace {

using testing::LedgerProcess;
using testing::MakeTempDir;
using testing::MakeTransfer;
using testing::SeedFromEnv;

constexpr int kWallets = 40;
constexpr int64_t kFunding = 1'000'000;
constexpr int kClients = 4;
constexpr int kKills = 6;
constexpr uint64_t kIssuer = 1;
constexpr uint64_t kFirstWallet = 100;

// What the clients know: requests that were answered (with their results) and requests whose
// outcome is unknown because the server died before replying.
struct Ledgerbook {
  std::mutex mutex;
  std::vector<std::pair<v1::CreateTransfersRequest, v1::CreateReply>> acknowledged;
  std::vector<v1::CreateTransfersRequest> unknown;
};

// The current server address; clients reconnect when it changes (each restart binds a new port).
class Endpoint {
 public:
  void Set(const std::string& address) {
    std::lock_guard<std::mutex> lock(mutex_);
    address_ = address;
    ++generation_;
  }
  std::pair<std::string, int> Get() {
    std::lock_guard<std::mutex> lock(mutex_);
    return {address_, generation_};
  }

 private:
  std::mutex mutex_;
  std::string address_;
  int generation_ = 0;
};

// `endpoint`: the node's operator address (each restart binds new ports); the test's `demo`
// operator certificate works across restarts.
void ClientLoop(int client, uint64_t seed, Endpoint* endpoint, Ledgerbook* book,
                std::atomic<bool>* stop) {
  std::mt19937_64 random(seed * 1'000'003 + static_cast<uint64_t>(client));
  int generation = -1;
  std::unique_ptr<v1::Ledger::Stub> stub;
  uint64_t next_id = 1;
  while (!stop->load()) {
    auto [address, current] = endpoint->Get();
    if (current != generation) {
      stub = v1::Ledger::NewStub(OperatorChannel(address, testing::TestTransport()));
      generation = current;
    }
    v1::CreateTransfersRequest request;
    const int items = 1 + static_cast<int>(random() % 20);
    for (int i = 0; i < items; ++i) {
      const uint64_t debit = kFirstWallet + random() % kWallets;
      uint64_t credit = kFirstWallet + random() % kWallets;
      if (credit == debit) credit = kFirstWallet + (credit - kFirstWallet + 1) % kWallets;
      // Mostly affordable amounts, sometimes more than a wallet could hold (refused, still
      // decided).
      const int64_t amount =
          random() % 50 == 0 ? 5 * kFunding : 1 + static_cast<int64_t>(random() % 20'000);
      *request.add_transfers() =
          MakeTransfer(static_cast<uint64_t>(client + 1), next_id++, debit, credit, amount);
    }
    v1::CreateReply reply;
    grpc::Status status =
        stub->CreateTransfers(ContextWithDeadline(std::chrono::seconds(2)).get(), request, &reply);
    std::lock_guard<std::mutex> lock(book->mutex);
    if (status.ok()) {
      book->acknowledged.emplace_back(std::move(request), std::move(reply));
    } else {
      book->unknown.push_back(std::move(request));
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
}

TEST(CrashTest, AcknowledgedTransfersSurviveKillNineExactlyOnce) {
  const uint64_t seed = SeedFromEnv();
  std::printf("crash_test seed %llu (replay its choices with LEDGER_TEST_SEED=%llu)\n",
              static_cast<unsigned long long>(seed), static_cast<unsigned long long>(seed));
  std::mt19937_64 random(seed);
  const std::string data_dir = MakeTempDir("crash") + "/ledger";
  LedgerProcess server;
  ASSERT_TRUE(server.Start(data_dir).ok()) << "log: " << server.log_path();

  {  // The town: one asset, the issuer, funded non-negative wallets.
    auto stub = v1::Ledger::NewStub(server.operator_channel());
    const testing::Town town = testing::MakeTown(kIssuer, kFirstWallet, kWallets, kFunding);
    v1::CreateReply reply;
    ASSERT_TRUE(
        stub->CreateAssets(ContextWithDeadline(std::chrono::seconds(10)).get(), town.assets, &reply)
            .ok());
    ASSERT_TRUE(stub->CreateAccounts(ContextWithDeadline(std::chrono::seconds(10)).get(),
                                     town.accounts, &reply)
                    .ok());
    ASSERT_TRUE(stub->CreateTransfers(ContextWithDeadline(std::chrono::seconds(10)).get(),
                                      town.funding, &reply)
                    .ok());
    for (const auto& result : reply.results()) ASSERT_EQ(result.result(), v1::OK);
  }

  Endpoint endpoint;
  endpoint.Set(server.operator_address());
  Ledgerbook book;
  std::atomic<bool> stop{false};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back(ClientLoop, c, seed, &endpoint, &book, &stop);
  }
  for (int kill = 0; kill < kKills; ++kill) {
    std::this_thread::sleep_for(std::chrono::milliseconds(400 + random() % 1200));
    server.Kill();
    size_t acknowledged;
    {
      std::lock_guard<std::mutex> lock(book.mutex);
      acknowledged = book.acknowledged.size();
    }
    std::printf("kill -9 #%d after %zu acknowledged requests\n", kill + 1, acknowledged);
    std::this_thread::sleep_for(std::chrono::milliseconds(random() % 300));
    ASSERT_TRUE(server.Start(data_dir).ok())
        << "restart " << kill + 1 << " failed; log: " << server.log_path();
    endpoint.Set(server.operator_address());
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  stop = true;
  for (std::thread& client : clients) client.join();
  std::printf("%zu requests acknowledged, %zu with unknown outcome\n", book.acknowledged.size(),
              book.unknown.size());
  ASSERT_GT(book.acknowledged.size(), 50u) << "too little load to mean anything";

  auto stub = v1::Ledger::NewStub(server.operator_channel());
  // Settle the unknowns the way a client must: resubmit the same ids. Either they were committed
  // before the crash (duplicate) or they are decided now; never twice.
  for (const v1::CreateTransfersRequest& request : book.unknown) {
    v1::CreateReply reply;
    grpc::Status status =
        stub->CreateTransfers(ContextWithDeadline(std::chrono::seconds(10)).get(), request, &reply);
    ASSERT_TRUE(status.ok()) << status.error_message();
    book.acknowledged.emplace_back(request, reply);
  }

  // Every acknowledged decision is in the ledger as told, and a resubmission reports it as a
  // duplicate.
  std::map<std::string, std::pair<v1::Transfer, v1::Result>> decided;  // id -> (request, result)
  for (const auto& [request, reply] : book.acknowledged) {
    ASSERT_EQ(reply.results_size(), request.transfers_size());
    for (int i = 0; i < request.transfers_size(); ++i) {
      decided[request.transfers(i).id()] = {request.transfers(i), reply.results(i).result()};
    }
    v1::CreateReply again;
    ASSERT_TRUE(
        stub->CreateTransfers(ContextWithDeadline(std::chrono::seconds(10)).get(), request, &again)
            .ok());
    for (int i = 0; i < request.transfers_size(); ++i) {
      ASSERT_TRUE(again.results(i).duplicate())
          << "transfer " << i << " of an acknowledged request was new";
      ASSERT_EQ(again.results(i).result(), reply.results(i).result());
      ASSERT_EQ(again.results(i).timestamp(), reply.results(i).timestamp());
    }
  }

  // Balances follow from exactly the decided transfers.
  std::map<std::string, int64_t> expected;
  int64_t ok_transfers = 0;
  for (int i = 0; i < kWallets; ++i) expected[IdBytes(kFirstWallet + i)] = kFunding;
  for (const auto& [id, decision] : decided) {
    if (decision.second != v1::OK) continue;
    ++ok_transfers;
    expected[decision.first.debit_account_id()] -= decision.first.amount();
    expected[decision.first.credit_account_id()] += decision.first.amount();
  }
  v1::LookupAccountsRequest lookup;
  lookup.add_ids(IdBytes(kIssuer));
  for (int i = 0; i < kWallets; ++i) lookup.add_ids(IdBytes(kFirstWallet + i));
  v1::LookupAccountsReply accounts;
  ASSERT_TRUE(
      stub->LookupAccounts(ContextWithDeadline(std::chrono::seconds(10)).get(), lookup, &accounts)
          .ok());
  ASSERT_EQ(accounts.accounts_size(), kWallets + 1);
  int64_t sum = 0;
  for (const v1::Account& account : accounts.accounts()) {
    sum += account.balance();
    if (account.id() == IdBytes(kIssuer)) {
      EXPECT_EQ(account.balance(), -kFunding * kWallets);
    } else {
      EXPECT_EQ(account.balance(), expected[account.id()]);
      EXPECT_GE(account.balance(), 0);
    }
  }
  EXPECT_EQ(sum, 0);
  std::printf("%zu transfers decided (%lld OK), balances match exactly\n", decided.size(),
              static_cast<long long>(ok_transfers));

  ASSERT_EQ(server.Stop(), 0);
  // Offline: the hash chain verifies, and each transfer id was decided in exactly one journal
  // entry.
  absl::StatusOr<std::unique_ptr<RocksStore>> store = RocksStore::Open(data_dir);
  ASSERT_TRUE(store.ok()) << store.status();
  VerifyReport report = VerifyJournal(**store);
  ASSERT_TRUE(report.ok) << report.problem;
  std::map<std::string, int> decisions;
  for (uint64_t next = 1;;) {
    auto entries = ReadJournal(**store, next, 256);
    if (entries.empty()) break;
    for (const auto& [index, bytes] : entries) {
      std::optional<JournalEntry> entry = DecodeJournalEntry(bytes);
      ASSERT_TRUE(entry.has_value()) << "entry " << index;
      for (size_t i = 0; i < entry->commands.size(); ++i) {
        const Transfer* transfer = std::get_if<Transfer>(&entry->commands[i]);
        if (transfer != nullptr && !entry->outcomes[i].duplicate)
          ++decisions[transfer->id.ToBytes()];
      }
      next = index + 1;
    }
  }
  for (const auto& [id, decision] : decided) {
    ASSERT_EQ(decisions[id], 1) << "transfer " << Id128::FromBytes(id)->ToHex() << " decided "
                                << decisions[id] << " times in the journal";
  }
  std::printf("journal verifies: %llu entries\n",
              static_cast<unsigned long long>(report.entries_checked));
}

}  // namespace
}  // namespace ledger
