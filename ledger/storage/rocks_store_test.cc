// RocksStore behaves like MemoryKv for the core: the same batches give the same state hash, and a
// reopened store has everything that was written.
#include "ledger/storage/rocks_store.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <atomic>
#include <filesystem>
#include <map>

#include "ledger/core/journal.h"
#include "ledger/core/state_machine.h"
#include "ledger/core/test_util.h"

namespace ledger {
namespace {

std::string TempDir(const std::string& name) {
  const char* base = std::getenv("TEST_TMPDIR");
  std::string dir = std::string(base ? base : "/tmp") + "/" + name;
  std::filesystem::remove_all(dir);
  return dir;
}

TEST(RocksStoreTest, ASnapshotKeepsItsViewWhileWritesGoOn) {
  const std::string dir = TempDir("rocks_store_snapshot_test");
  absl::StatusOr<std::unique_ptr<RocksStore>> store = RocksStore::Open(dir);
  ASSERT_TRUE(store.ok()) << store.status();
  auto put = [&](const std::string& key, std::optional<std::string> value) {
    WriteSet writes;
    writes.entries.emplace_back(key, std::move(value));
    ASSERT_TRUE((*store)->Write(writes, /*sync=*/false).ok());
  };
  put("A1", "old");  // Accounts' family.
  put("J1", "one");  // The journal's family.
  const std::unique_ptr<KvReader> view = (*store)->Snapshot();
  put("A1", "new");
  put("A2", "added");
  put("J1", std::nullopt);

  std::string value;
  ASSERT_TRUE(view->Get("A1", &value));
  EXPECT_EQ(value, "old");
  EXPECT_FALSE(view->Get("A2", &value));
  ASSERT_TRUE(view->Get("J1", &value));
  std::vector<std::string> seen;
  view->Scan("A", "K", false, [&](std::string_view key, std::string_view v) {
    seen.push_back(std::string(key) + "=" + std::string(v));
    return true;
  });
  EXPECT_EQ(seen, (std::vector<std::string>{"A1=old", "J1=one"}));
  std::vector<std::optional<std::string>> many;
  view->MultiGet({"A1", "A2", "J1"}, &many);
  EXPECT_EQ(many, (std::vector<std::optional<std::string>>{"old", std::nullopt, "one"}));
  // The store itself reads the newest state.
  ASSERT_TRUE((*store)->Get("A1", &value));
  EXPECT_EQ(value, "new");
  EXPECT_FALSE((*store)->Get("J1", &value));
}

TEST(RocksStoreTest, MatchesMemoryStoreAndSurvivesReopen) {
  const std::string dir = TempDir("rocks_store_test");
  MemoryKv memory;
  std::string hash_before_close;
  {
    absl::StatusOr<std::unique_ptr<RocksStore>> store = RocksStore::Open(dir);
    ASSERT_TRUE(store.ok()) << store.status();
    std::vector<Batch> batches;
    batches.push_back(
        {{testing::MakeAsset(1, "COIN", 0, 900), testing::MakeAsset(2, "HP", 5, 901)}, {2}});
    batches.push_back(
        {{testing::MakeAccount(1, 1, AccountKind::kIssuer),
          testing::MakeAccount(2, 1, AccountKind::kWallet, account_flags::kNonNegative),
          testing::MakeAccount(3, 2, AccountKind::kBudget),
          testing::MakeAccount(4, 2, AccountKind::kWallet, account_flags::kNonNegative)},
         {4}});
    for (int i = 0; i < 50; ++i) {
      batches.push_back({{testing::MakeTransfer(100 + 2 * i, 1, 2, 10),
                          testing::MakeTransfer(101 + 2 * i, 3, 4, 1)},
                         {2}});
    }
    Timestamp t = testing::kEpoch;
    for (const Batch& batch : batches) {
      absl::StatusOr<ApplyOutput> from_rocks = ApplyBatch(**store, t, batch);
      absl::StatusOr<ApplyOutput> from_memory = ApplyBatch(memory, t, batch);
      ASSERT_TRUE(from_rocks.ok() && from_memory.ok());
      EXPECT_EQ(from_rocks->entry_bytes, from_memory->entry_bytes);
      ASSERT_TRUE((*store)->Write(from_rocks->writes, /*sync=*/true).ok());
      memory.Apply(from_memory->writes);
      t += testing::kSecond;  // Points expire after 5 s: the sweep runs against RocksDB too.
    }
    hash_before_close = StateHash(**store);
    EXPECT_EQ(hash_before_close, StateHash(memory));
  }
  absl::StatusOr<std::unique_ptr<RocksStore>> reopened = RocksStore::Open(dir);
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ(StateHash(**reopened), hash_before_close);
  EXPECT_EQ(ReadHead(**reopened).index, 52u);
  EXPECT_TRUE(VerifyJournal(**reopened).ok);
  EXPECT_EQ(testing::CheckInvariants(memory), "");
}

TEST(RocksStoreTest, ReadOnlyOpenReadsWithoutCreatingOrWriting) {
  const std::string dir = TempDir("rocks_store_read_only_test");
  RocksStore::Options read_only;
  read_only.read_only = true;
  EXPECT_EQ(RocksStore::Open(dir, read_only).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_FALSE(std::filesystem::exists(dir + "/CURRENT"));
  {
    absl::StatusOr<std::unique_ptr<RocksStore>> store = RocksStore::Open(dir);
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE((*store)->Write(WriteSet{{{"A1", "one"}, {"J1", "journal"}}}, true).ok());
  }
  absl::StatusOr<std::unique_ptr<RocksStore>> store = RocksStore::Open(dir, read_only);
  ASSERT_TRUE(store.ok()) << store.status();
  std::string value;
  ASSERT_TRUE((*store)->Get("J1", &value));
  EXPECT_EQ(value, "journal");
  EXPECT_FALSE((*store)->Write(WriteSet{{{"A2", "two"}}}, true).ok());
  // A second reader may open it at the same time (no lock is taken).
  EXPECT_TRUE(RocksStore::Open(dir, read_only).ok());
}

// GetStats (ledgerd's storage gauges): no stall on an idle store, and the live data of every column
// family summed: 200 KB of incompressible values in the accounts family and 200 KB in the
// journal's.
TEST(RocksStoreTest, StatsSumLiveDataOverTheFamilies) {
  const std::string dir = TempDir("rocks_store_stats_test");
  absl::StatusOr<std::unique_ptr<RocksStore>> store = RocksStore::Open(dir);
  ASSERT_TRUE(store.ok()) << store.status();
  RocksStore::Stats stats = (*store)->GetStats();
  EXPECT_FALSE(stats.write_stopped);
  EXPECT_EQ(stats.delayed_write_rate, 0u);
  EXPECT_EQ(stats.live_data_bytes, 0u);
  uint64_t x = 88172645463325252ull;  // xorshift: values that do not compress.
  auto random_bytes = [&](size_t n) {
    std::string bytes(n, '\0');
    for (char& c : bytes) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      c = static_cast<char>(x);
    }
    return bytes;
  };
  WriteSet writes;
  for (const char* table : {"A", "J"}) {  // Sorted by key.
    for (int i = 0; i < 200; ++i)
      writes.entries.emplace_back(table + std::to_string(1000 + i), random_bytes(1000));
  }
  ASSERT_TRUE((*store)->Write(writes, true).ok());
  ASSERT_TRUE((*store)
                  ->Checkpoint(TempDir("rocks_store_stats_test_checkpoint"))
                  .ok());  // Flushes the memtables.
  stats = (*store)->GetStats();
  EXPECT_GT(stats.live_data_bytes, 300'000u) << "one family's bytes only?";
  EXPECT_LT(stats.live_data_bytes, 1'000'000u);
  EXPECT_FALSE(stats.write_stopped);
  EXPECT_EQ(stats.delayed_write_rate, 0u);
}

TEST(RocksStoreTest, ReverseScanAndBounds) {
  absl::StatusOr<std::unique_ptr<RocksStore>> store = RocksStore::Open(TempDir("rocks_scan_test"));
  ASSERT_TRUE(store.ok());
  WriteSet writes;
  for (char c : std::string("abcdef"))
    writes.entries.emplace_back(std::string(1, c), std::string(1, c));
  ASSERT_TRUE((*store)->Write(writes, false).ok());
  std::string seen;
  (*store)->Scan("b", "e", true, [&](std::string_view key, std::string_view) {
    seen += key;
    return true;
  });
  EXPECT_EQ(seen, "dcb");
  WriteSet deletes;
  deletes.entries.emplace_back("c", std::nullopt);
  ASSERT_TRUE((*store)->Write(deletes, false).ok());
  seen.clear();
  (*store)->Scan("a", "z", false, [&](std::string_view key, std::string_view) {
    seen += key;
    return seen.size() < 3;
  });
  EXPECT_EQ(seen, "abd");
}

TEST(RocksStoreTest, ScansCrossColumnFamiliesSeamlessly) {
  // J (journal), h (recent history), H (history segments) and T (transfers) live in column families
  // of their own; a scan across them must look like one ordered key space, both ways, and stop
  // where the visitor says.
  absl::StatusOr<std::unique_ptr<RocksStore>> store =
      RocksStore::Open(TempDir("rocks_family_test"));
  ASSERT_TRUE(store.ok()) << store.status();
  const std::string keys[] = {"A1", "H1", "I9", "J1", "J2", "K0", "S1", "T1",
                              "T2", "U0", "g5", "h1", "h2", "i0", "z"};
  WriteSet writes;
  for (const std::string& key : keys) writes.entries.emplace_back(key, "v" + key);
  ASSERT_TRUE((*store)->Write(writes, false).ok());
  auto scan = [&](std::string_view from, std::string_view to, bool reverse, size_t stop_after) {
    std::string seen;
    size_t n = 0;
    (*store)->Scan(from, to, reverse, [&](std::string_view key, std::string_view value) {
      EXPECT_EQ(value, "v" + std::string(key));
      seen += std::string(key) + " ";
      return ++n < stop_after;
    });
    return seen;
  };
  EXPECT_EQ(scan("", "\xff", false, 100), "A1 H1 I9 J1 J2 K0 S1 T1 T2 U0 g5 h1 h2 i0 z ");
  EXPECT_EQ(scan("", "\xff", true, 100), "z i0 h2 h1 g5 U0 T2 T1 S1 K0 J2 J1 I9 H1 A1 ");
  EXPECT_EQ(scan("J2", "h2", false, 100), "J2 K0 S1 T1 T2 U0 g5 h1 ");
  EXPECT_EQ(scan("I", "K", true, 2), "J2 J1 ");
  EXPECT_EQ(scan("h", "i", false, 100), "h1 h2 ");
  EXPECT_EQ(scan("T", "U", true, 100), "T2 T1 ");
  EXPECT_EQ(scan("G", "T2", false, 100), "H1 I9 J1 J2 K0 S1 T1 ");
  std::string value;
  EXPECT_TRUE((*store)->Get("J1", &value));
  EXPECT_EQ(value, "vJ1");
  EXPECT_TRUE((*store)->Get("T2", &value));
  EXPECT_EQ(value, "vT2");
  EXPECT_FALSE((*store)->Get("J3", &value));
  EXPECT_FALSE((*store)->Get("T3", &value));
}

TEST(RocksStoreTest, MultiGetAnswersAsGetDoesAcrossFamilies) {
  absl::StatusOr<std::unique_ptr<RocksStore>> store =
      RocksStore::Open(TempDir("rocks_multiget_test"));
  ASSERT_TRUE(store.ok()) << store.status();
  WriteSet writes;
  for (const char* key : {"A1", "J1", "P1", "T1", "T3", "h1"})
    writes.entries.emplace_back(key, std::string("v") + key);
  ASSERT_TRUE((*store)->Write(writes, false).ok());
  // Unsorted, across families, with absent keys and a duplicate.
  const std::vector<std::string> keys = {"T3", "A1", "T2", "h1", "J9", "T1", "P1", "T3", "Z"};
  std::vector<std::optional<std::string>> values;
  (*store)->MultiGet(keys, &values);
  ASSERT_EQ(values.size(), keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    std::string value;
    const bool found = (*store)->Get(keys[i], &value);
    EXPECT_EQ(values[i].has_value(), found) << keys[i];
    if (found) {
      EXPECT_EQ(*values[i], value) << keys[i];
    }
  }
  EXPECT_EQ(values[0], "vT3");
  EXPECT_EQ(values[2], std::nullopt);
}

// Every key of a raw column family, "key=value " in order.
std::string FamilyContents(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* family) {
  std::string out;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), family));
  for (it->SeekToFirst(); it->Valid(); it->Next())
    out += it->key().ToString() + "=" + it->value().ToString() + " ";
  return out;
}

TEST(RocksStoreTest, MovesKeysOfThePreviousLayoutToTheirFamilies) {
  // The previous layout kept J and h in "log" and everything else in "default". Opening it moves
  // every key to its table's family, keeps every value, and leaves nothing behind.
  const std::string dir = TempDir("rocks_old_layout_test");
  {
    rocksdb::Options options;
    options.create_if_missing = true;
    options.create_missing_column_families = true;
    std::vector<rocksdb::ColumnFamilyDescriptor> descriptors = {
        {rocksdb::kDefaultColumnFamilyName, options}, {"log", options}};
    std::vector<rocksdb::ColumnFamilyHandle*> families;
    rocksdb::DB* db = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(options, dir, descriptors, &families, &db).ok());
    for (const char* key :
         {"A1", "H1", "H2", "M", "P5", "T1", "T2", "Z9", "h0"}) {  // h0: a move cut short.
      ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), families[0], key, std::string("v") + key).ok());
    }
    for (const char* key : {"J1", "J2", "h1"}) {
      ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), families[1], key, std::string("v") + key).ok());
    }
    for (auto* family : families) db->DestroyColumnFamilyHandle(family);
    delete db;
  }
  const std::string all = "A1 H1 H2 J1 J2 M P5 T1 T2 Z9 h0 h1 ";
  for (int open = 0; open < 2; ++open) {  // The second open finds nothing to move.
    absl::StatusOr<std::unique_ptr<RocksStore>> store = RocksStore::Open(dir);
    ASSERT_TRUE(store.ok()) << store.status();
    std::string seen;
    (*store)->Scan("", "\xff", false, [&](std::string_view key, std::string_view value) {
      EXPECT_EQ(value, "v" + std::string(key));
      seen += std::string(key) + " ";
      return true;
    });
    EXPECT_EQ(seen, all);
    std::string value;
    EXPECT_TRUE((*store)->Get("T2", &value));
    EXPECT_TRUE((*store)->Get("h0", &value));
  }
  rocksdb::Options options;
  std::vector<std::string> names;
  ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(options, dir, &names).ok());
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const std::string& name : names) descriptors.emplace_back(name, options);
  std::vector<rocksdb::ColumnFamilyHandle*> families;
  rocksdb::DB* db = nullptr;
  ASSERT_TRUE(rocksdb::DB::OpenForReadOnly(options, dir, descriptors, &families, &db).ok());
  std::map<std::string, std::string> contents;
  for (auto* family : families) contents[family->GetName()] = FamilyContents(db, family);
  EXPECT_EQ(contents["default"], "A1=vA1 M=vM Z9=vZ9 ");
  EXPECT_EQ(contents["log"], "J1=vJ1 J2=vJ2 ");
  EXPECT_EQ(contents["recent"], "h0=vh0 h1=vh1 ");
  EXPECT_EQ(contents["segments"], "H1=vH1 H2=vH2 ");
  EXPECT_EQ(contents["transfers"], "T1=vT1 T2=vT2 ");
  EXPECT_EQ(contents["due"], "P5=vP5 ");
  for (auto* family : families) db->DestroyColumnFamilyHandle(family);
  delete db;
}

TEST(RocksStoreTest, RefusesADirectoryFromTheFirstLayout) {
  const std::string dir = TempDir("rocks_old_layout_test");
  {
    rocksdb::Options options;
    options.create_if_missing = true;
    rocksdb::DB* db = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(options, dir, &db).ok());
    delete db;
  }
  absl::StatusOr<std::unique_ptr<RocksStore>> store = RocksStore::Open(dir);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(store.status().message().find("older ledgerd storage layout"), std::string::npos)
      << store.status();
}

TEST(RocksStoreTest, ReopenSwapsTheDatabaseWhileASnapshotReaderKeepsTheOldOne) {
  const std::string old_dir = TempDir("rocks_store_reopen_old");
  const std::string new_dir = TempDir("rocks_store_reopen_new");
  {
    absl::StatusOr<std::unique_ptr<RocksStore>> other = RocksStore::Open(new_dir);
    ASSERT_TRUE(other.ok()) << other.status();
    WriteSet writes;
    writes.entries.emplace_back("A1", "new");
    ASSERT_TRUE((*other)->Write(writes, /*sync=*/true).ok());
  }
  absl::StatusOr<std::unique_ptr<RocksStore>> store = RocksStore::Open(old_dir);
  ASSERT_TRUE(store.ok()) << store.status();
  WriteSet writes;
  writes.entries.emplace_back("A1", "old");
  writes.entries.emplace_back("J1", "old journal");
  ASSERT_TRUE((*store)->Write(writes, /*sync=*/false).ok());
  std::unique_ptr<KvReader> view = (*store)->Snapshot();
  std::atomic<bool> closed{false};
  ASSERT_TRUE((*store)->Reopen(new_dir, [&] { closed = true; }).ok());
  EXPECT_EQ((*store)->path(), new_dir);
  std::string value;
  ASSERT_TRUE((*store)->Get("A1", &value));
  EXPECT_EQ(value, "new");
  EXPECT_FALSE((*store)->Get("J1", &value));
  // The reader taken before still sees the old database, which stays open until it goes.
  ASSERT_TRUE(view->Get("J1", &value));
  EXPECT_EQ(value, "old journal");
  EXPECT_FALSE(closed);
  view.reset();
  EXPECT_TRUE(closed);
  writes.entries = {{"A2", "written after"}};
  ASSERT_TRUE((*store)->Write(writes, /*sync=*/true).ok());
  store->reset();
  absl::StatusOr<std::unique_ptr<RocksStore>> reopened = RocksStore::Open(new_dir);
  ASSERT_TRUE(reopened.ok());
  ASSERT_TRUE((*reopened)->Get("A2", &value));
  EXPECT_EQ(value, "written after");
}

}  // namespace
}  // namespace ledger
