// Online backups (Ledger.Backup + ledger/client/backup_client.h, what `ledgerctl backup` and
// `ledgerctl restore` run): taken from a serving node under a steady stream of payments, the second
// one incremental; restored into new folders; each restored store holds exactly the journal the
// node had at the backup's index, and a ledgerd started on it answers that digest. A damaged file
// in the backup folder is refused.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "absl/strings/escaping.h"
#include "ledger/client/backup_client.h"
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
using testing::MakeTown;

constexpr uint64_t kIssuer = 1;
constexpr uint64_t kFirstWallet = 100;
constexpr int kWallets = 50;

// Pays between the wallets until `stop`, one small request at a time; counts the OK requests.
void PayUntil(const LedgerProcess* node, std::atomic<bool>* stop, std::atomic<int>* paid) {
  LedgerConnection connection(node->address(), node->operator_address(), node->transport());
  for (uint64_t n = 1; !stop->load(); ++n) {
    v1::CreateTransfersRequest request;
    for (int i = 0; i < 8; ++i) {
      const uint64_t from = kFirstWallet + (n * 7 + i) % kWallets;
      const uint64_t to = kFirstWallet + (n * 13 + i + 1) % kWallets;
      if (from == to) continue;
      *request.add_transfers() = testing::MakeTransfer(n, i, from, to, 1);
    }
    v1::CreateReply reply;
    grpc::Status status = connection.ledger().CreateTransfers(
        ContextWithDeadline(std::chrono::seconds(5)).get(), request, &reply);
    if (status.ok()) paid->fetch_add(1);
  }
}

// The journal entries 1..index of the store at `path` (opened read-only), in order.
std::vector<std::string> JournalOf(const std::string& path, uint64_t index) {
  RocksStore::Options options;
  options.read_only = true;
  absl::StatusOr<std::unique_ptr<RocksStore>> store = RocksStore::Open(path, options);
  EXPECT_TRUE(store.ok()) << store.status();
  std::vector<std::string> entries;
  if (!store.ok()) return entries;
  for (uint64_t next = 1; next <= index;) {
    auto page = ReadJournal(**store, next, 256);
    if (page.empty()) break;
    for (auto& [at, bytes] : page) {
      if (at > index) break;
      entries.push_back(std::move(bytes));
      next = at + 1;
    }
  }
  return entries;
}

TEST(BackupE2eTest, BackupUnderLoadRestoresTheSameJournal) {
  const std::string dir = MakeTempDir("backup");
  LedgerProcess node;
  ASSERT_TRUE(node.Start(dir + "/ledger").ok()) << node.log_path();
  LedgerConnection connection(node.address(), node.operator_address(), node.transport());
  const testing::Town town = MakeTown(kIssuer, kFirstWallet, kWallets, 1'000'000);
  v1::CreateReply reply;
  ASSERT_TRUE(
      connection.ledger()
          .CreateAssets(ContextWithDeadline(std::chrono::seconds(5)).get(), town.assets, &reply)
          .ok());
  ASSERT_TRUE(
      connection.ledger()
          .CreateAccounts(ContextWithDeadline(std::chrono::seconds(5)).get(), town.accounts, &reply)
          .ok());
  ASSERT_TRUE(
      connection.ledger()
          .CreateTransfers(ContextWithDeadline(std::chrono::seconds(5)).get(), town.funding, &reply)
          .ok());

  std::atomic<bool> stop{false};
  std::atomic<int> paid{0};
  std::thread payer(PayUntil, &node, &stop, &paid);
  while (paid.load() < 200) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const std::string backups = dir + "/backups";
  absl::StatusOr<BackupResult> first = BackupTo(connection, backups, {});
  ASSERT_TRUE(first.ok()) << first.status();
  const int paid_at_first = paid.load();
  while (paid.load() < paid_at_first + 200) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  absl::StatusOr<BackupResult> second = BackupTo(connection, backups, {});
  ASSERT_TRUE(second.ok()) << second.status();
  stop = true;
  payer.join();
  std::printf(
      "backups under load at journal index %llu (%llu bytes, all sent) and %llu (%llu "
      "bytes, %llu sent); %d requests paid meanwhile\n",
      static_cast<unsigned long long>(first->journal_index),
      static_cast<unsigned long long>(first->bytes_total),
      static_cast<unsigned long long>(second->journal_index),
      static_cast<unsigned long long>(second->bytes_total),
      static_cast<unsigned long long>(second->bytes_sent), paid.load());
  EXPECT_EQ(first->bytes_sent, first->bytes_total);
  EXPECT_GT(second->journal_index, first->journal_index);
  EXPECT_LT(second->bytes_sent, second->bytes_total) << "the second backup sent everything again";

  absl::StatusOr<std::vector<uint64_t>> listed = ListBackups(backups);
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(*listed, (std::vector<uint64_t>{first->journal_index, second->journal_index}));

  // The node's journal, now that it has stopped, against each restore.
  ASSERT_EQ(node.Stop(), 0);
  for (const BackupResult* backup : {&*first, &*second}) {
    const std::string restored = dir + "/restored-" + std::to_string(backup->journal_index);
    absl::StatusOr<RestoreResult> result =
        RestoreFrom(backups, backup == &*first ? first->journal_index : 0, restored);
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(result->journal_index, backup->journal_index);
    EXPECT_EQ(result->entries_verified, backup->journal_index);
    const std::vector<std::string> original = JournalOf(dir + "/ledger", backup->journal_index);
    ASSERT_EQ(original.size(), backup->journal_index);
    EXPECT_TRUE(JournalOf(restored, backup->journal_index) == original)
        << "the restored journal differs from the node's";
  }
  // A ledgerd on the restored folder serves the backup's digest.
  LedgerProcess restored_node;
  ASSERT_TRUE(restored_node.Start(dir + "/restored-" + std::to_string(second->journal_index)).ok());
  LedgerConnection restored(restored_node.address(), restored_node.operator_address(),
                            restored_node.transport());
  v1::GetDigestReply digest;
  ASSERT_TRUE(restored.ledger()
                  .GetDigest(ContextWithDeadline(std::chrono::seconds(5)).get(),
                             v1::GetDigestRequest(), &digest)
                  .ok());
  EXPECT_EQ(digest.journal_index(), second->journal_index);
  EXPECT_EQ(digest.head_hash(), second->head_hash);
  EXPECT_EQ(restored_node.Stop(), 0);

  // Refusals: an index with no backup names the nearest; a folder that is not empty; a damaged
  // file.
  absl::StatusOr<RestoreResult> missing =
      RestoreFrom(backups, first->journal_index + 1, dir + "/none");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("nearest"), std::string::npos) << missing.status();
  EXPECT_EQ(RestoreFrom(backups, 0, dir + "/ledger").status().code(),
            absl::StatusCode::kFailedPrecondition);
  for (const auto& entry : std::filesystem::directory_iterator(backups + "/files")) {
    std::fstream file(entry.path(), std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(0);
    file.put('\x7f');
  }
  absl::StatusOr<RestoreResult> damaged = RestoreFrom(backups, 0, dir + "/damaged");
  EXPECT_EQ(damaged.status().code(), absl::StatusCode::kDataLoss) << damaged.status();
  EXPECT_FALSE(std::filesystem::exists(dir + "/damaged"));
}

}  // namespace
}  // namespace ledger
