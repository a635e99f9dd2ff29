// RocksDB-backed store: see rocks_store.h.
#include "ledger/storage/rocks_store.h"

#include <rocksdb/convenience.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iterator>

#include "absl/strings/str_cat.h"
#include "ledger/core/keys.h"
#include "ledger/storage/checkpoint_files.h"

namespace ledger {
namespace {

[[noreturn]] void FatalRead(const rocksdb::Status& status) {
  fprintf(stderr, "FATAL: RocksDB read failed: %s\n", status.ToString().c_str());
  abort();
}

rocksdb::Slice ToSlice(std::string_view s) { return rocksdb::Slice(s.data(), s.size()); }

// Column families and the tables (key prefixes, keys.h) each holds; every table not listed is in
// "default". Tables that grow without bound under ever-increasing keys, or that are rewritten
// wholesale, live apart from the small, hot account state so that compaction does not rewrite them
// with every change to accounts (see rocks_store.h and ledger/FORMAT.md).
struct Family {
  const char* name;
  const char* tables;
};
constexpr Family kFamilies[] = {
    {"default", ""},  // RocksDB's kDefaultColumnFamilyName.
    {"log", "J"},
    {"recent", "h"},
    {"segments", "H"},
    {"transfers", "T"},
    // What the sweeps at the start of every batch scan for (pending timeouts, lot expiries,
    // watch-over days, task releases and ends): nearly always empty, and a scan of an almost empty
    // family is cheap.
    {"due", "PXqyz"},
};
static_assert(sizeof(kFamilies) / sizeof(kFamilies[0]) == RocksStore::kFamilyCount);

}  // namespace

namespace {

// The database's options: ours (bloom filters for the lookups of new ids, LZ4, the block cache),
// then the operator's overrides (Options::overrides); an unknown name or bad value is an error.
absl::StatusOr<rocksdb::Options> DatabaseOptions(const RocksStore::Options& options) {
  rocksdb::Options db_options;
  db_options.create_if_missing = !options.read_only;
  db_options.max_background_jobs = 2;
  db_options.write_buffer_size = options.write_buffer_bytes;
  db_options.max_write_buffer_number = 4;
  db_options.bytes_per_sync = 1 << 20;
  db_options.compression = rocksdb::kLZ4Compression;
  // New transfer ids are looked up before they are written: a memtable bloom filter answers
  // "absent" without walking the skiplist.
  db_options.memtable_whole_key_filtering = true;
  db_options.memtable_prefix_bloom_size_ratio = 0.05;
  rocksdb::BlockBasedTableOptions table_options;
  table_options.block_cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  // Most transfer-id lookups are for new ids: a bloom filter answers "absent" without reading
  // blocks.
  table_options.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10, false));
  table_options.cache_index_and_filter_blocks = true;
  db_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table_options));
  if (!options.overrides.empty()) {
    rocksdb::ConfigOptions config;
    config.ignore_unknown_options = false;
    rocksdb::Options tuned;
    rocksdb::Status status =
        rocksdb::GetOptionsFromString(config, db_options, options.overrides, &tuned);
    if (!status.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("RocksDB options \"", options.overrides, "\": ", status.ToString()));
    }
    db_options = tuned;
  }
  return db_options;
}

}  // namespace

struct RocksStore::Db {
  rocksdb::DB* db = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> families;  // kFamilies in order, then any older ones.
  std::string path;
  std::function<void()> on_closed;  // Set by Reopen on the database it replaces.
  ~Db() {
    for (rocksdb::ColumnFamilyHandle* family : families) db->DestroyColumnFamilyHandle(family);
    db->Close();
    delete db;
    if (on_closed) on_closed();
  }
};

absl::StatusOr<std::unique_ptr<RocksStore>> RocksStore::Open(const std::string& root,
                                                             const Options& options) {
  // A data folder where a Raft snapshot was installed names its state folder (checkpoint_files.h).
  absl::StatusOr<std::string> path = CurrentStateDir(root);
  if (!path.ok()) return path.status();
  absl::StatusOr<std::shared_ptr<Db>> db = OpenDb(*path, options);
  if (!db.ok()) return db.status();
  std::unique_ptr<RocksStore> store(new RocksStore(*std::move(db)));
  store->options_ = options;
  store->fault_fail_writes_after_bytes_ = options.fault_fail_writes_after_bytes;
  if (options.read_only) return store;
  if (absl::Status moved = MoveStrayKeys(*store, *store->Current()); !moved.ok()) return moved;
  return store;
}

absl::Status RocksStore::Reopen(const std::string& path, std::function<void()> on_old_closed) {
  if (options_.read_only) return absl::FailedPreconditionError("a read-only store cannot reopen");
  absl::StatusOr<std::shared_ptr<Db>> db = OpenDb(path, options_);
  if (!db.ok()) return db.status();
  if (absl::Status moved = MoveStrayKeys(*this, **db); !moved.ok()) return moved;
  std::shared_ptr<Db> old = Current();
  rocksdb::CancelAllBackgroundWork(old->db, /*wait=*/true);
  old->on_closed = std::move(on_old_closed);
  current_.store(*std::move(db));
  return absl::OkStatus();
}

std::string RocksStore::path() const { return Current()->path; }

absl::StatusOr<std::shared_ptr<RocksStore::Db>> RocksStore::OpenDb(const std::string& path,
                                                                   const Options& options) {
  absl::StatusOr<rocksdb::Options> tuned_options = DatabaseOptions(options);
  if (!tuned_options.ok()) return tuned_options.status();
  rocksdb::Options db_options = *std::move(tuned_options);
  rocksdb::Status status;
  db_options.create_missing_column_families = !options.read_only;
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const Family& family : kFamilies) {
    descriptors.emplace_back(family.name, rocksdb::ColumnFamilyOptions(db_options));
  }
  // The default family holds the hot account records: a few thousand keys rewritten every batch. A
  // small memtable keeps its skiplist shallow and each flush dedupes the versions.
  descriptors[0].options.write_buffer_size =
      std::min(db_options.write_buffer_size, options.hot_write_buffer_bytes);
  // A data directory from before the journal had its own column family also has older history
  // records: it cannot be read by this version.
  std::vector<std::string> existing;
  if (rocksdb::DB::ListColumnFamilies(db_options, path, &existing).ok() &&
      std::find(existing.begin(), existing.end(), kFamilies[1].name) == existing.end()) {
    return absl::FailedPreconditionError(
        absl::StrCat("the RocksDB at ", path,
                     " was written by an older ledgerd storage layout (no \"", kFamilies[1].name,
                     "\" column family; see ledger/FORMAT.md): start from an empty --data_dir"));
  }
  // Families of the layout before this one are opened too, so that their keys can be moved (below).
  for (const std::string& name : existing) {
    if (std::none_of(descriptors.begin(), descriptors.end(),
                     [&](const auto& d) { return d.name == name; })) {
      descriptors.emplace_back(name, rocksdb::ColumnFamilyOptions(db_options));
    }
  }
  std::vector<rocksdb::ColumnFamilyHandle*> families;
  rocksdb::DB* db = nullptr;
  if (options.read_only) {
    // Keys in families of an older layout would be invisible to FamilyOf: refuse rather than miss
    // them.
    if (existing.empty() || descriptors.size() != kFamilyCount) {
      return absl::FailedPreconditionError(
          absl::StrCat("no ledger database of this version at ", path,
                       existing.empty() ? "" : " (an older layout: let ledgerd open it once)"));
    }
    status = rocksdb::DB::OpenForReadOnly(rocksdb::DBOptions(db_options), path, descriptors,
                                          &families, &db);
  } else {
    status = rocksdb::DB::Open(rocksdb::DBOptions(db_options), path, descriptors, &families, &db);
  }
  if (!status.ok()) {
    return absl::UnavailableError(absl::StrCat("open RocksDB at ", path, ": ", status.ToString()));
  }
  auto opened = std::make_shared<Db>();
  opened->db = db;
  opened->families = std::move(families);
  opened->path = path;
  return opened;
}

RocksStore::RocksStore(std::shared_ptr<Db> db) : current_(std::move(db)) {
  family_of_.fill(0);
  for (size_t f = 1; f < kFamilyCount; ++f) {
    for (const char* table = kFamilies[f].tables; *table; ++table)
      family_of_[static_cast<uint8_t>(*table)] = f;
  }
  for (int b = 1; b < 256; ++b) {
    if (family_of_[b] != family_of_[b - 1]) cuts_.emplace_back(1, static_cast<char>(b));
  }
}

absl::Status RocksStore::MoveStrayKeys(const RocksStore& store, const Db& db) {
  // Each key belongs to the family its table maps to. A key elsewhere (written by an older layout,
  // or a move cut short by a crash) is moved: put in its family and deleted from the stray one in
  // the same synced batch, so every key is in exactly one family at every moment and a later open
  // finishes the move. Cost when nothing is stray: a few seeks per family.
  constexpr size_t kChunkBytes = 16u << 20;
  for (size_t f = 0; f < db.families.size(); ++f) {
    rocksdb::ColumnFamilyHandle* from = db.families[f];
    std::unique_ptr<rocksdb::Iterator> it(db.db->NewIterator(rocksdb::ReadOptions(), from));
    rocksdb::WriteBatch batch;
    uint64_t moved = 0;
    auto flush = [&]() -> absl::Status {
      if (batch.Count() == 0) return absl::OkStatus();
      rocksdb::WriteOptions write_options;
      write_options.sync = true;
      rocksdb::Status status = db.db->Write(write_options, &batch);
      if (!status.ok())
        return absl::UnavailableError(
            absl::StrCat("RocksDB move of stray keys: ", status.ToString()));
      batch.Clear();
      return absl::OkStatus();
    };
    for (it->SeekToFirst(); it->Valid();) {
      const rocksdb::Slice key = it->key();
      rocksdb::ColumnFamilyHandle* home =
          store.FamilyOf(db, std::string_view(key.data(), key.size()));
      if (home == from) {
        const uint8_t table = static_cast<uint8_t>(key[0]);
        if (table == 0xff) break;
        it->Seek(std::string(1, static_cast<char>(table + 1)));
        continue;
      }
      rocksdb::Status status = batch.Put(home, key, it->value());
      if (status.ok()) status = batch.Delete(from, key);
      if (!status.ok())
        return absl::InternalError(absl::StrCat("write batch: ", status.ToString()));
      ++moved;
      if (batch.GetDataSize() >= kChunkBytes) {
        if (absl::Status flushed = flush(); !flushed.ok()) return flushed;
      }
      it->Next();
    }
    if (!it->status().ok()) FatalRead(it->status());
    if (absl::Status flushed = flush(); !flushed.ok()) return flushed;
    if (moved > 0) {
      fprintf(stderr,
              "ledger storage: moved %llu keys out of column family \"%s\" (older layout)\n",
              static_cast<unsigned long long>(moved), from->GetName().c_str());
    }
  }
  return absl::OkStatus();
}

RocksStore::~RocksStore() = default;

size_t RocksStore::FamilyIndexOf(std::string_view key) const {
  return key.empty() ? 0 : family_of_[static_cast<uint8_t>(key[0])];
}

rocksdb::ColumnFamilyHandle* RocksStore::FamilyOf(const Db& db, std::string_view key) const {
  return db.families[FamilyIndexOf(key)];
}

// Reads at a RocksDB snapshot; the snapshot is released with the reader.
class RocksStore::SnapshotReader final : public KvReader {
 public:
  explicit SnapshotReader(const RocksStore* store)
      : store_(store), db_(store->Current()), snapshot_(db_->db->GetSnapshot()) {}
  ~SnapshotReader() override { db_->db->ReleaseSnapshot(snapshot_); }
  bool Get(std::string_view key, std::string* value) const override {
    return store_->GetAt(*db_, snapshot_, key, value);
  }
  void Scan(std::string_view from, std::string_view to, bool reverse,
            const ScanVisitor& visit) const override {
    store_->ScanAt(*db_, snapshot_, from, to, reverse, visit);
  }
  void MultiGet(const std::vector<std::string>& keys,
                std::vector<std::optional<std::string>>* values) const override {
    store_->MultiGetAt(*db_, snapshot_, keys, values);
  }

 private:
  const RocksStore* store_;
  std::shared_ptr<Db> db_;  // Kept open while this reader lives (Reopen).
  const rocksdb::Snapshot* snapshot_;
};

std::unique_ptr<KvReader> RocksStore::Snapshot() const {
  return std::make_unique<SnapshotReader>(this);
}

namespace {
rocksdb::ReadOptions ReadAt(const rocksdb::Snapshot* snapshot) {
  rocksdb::ReadOptions options;
  options.snapshot = snapshot;
  return options;
}
}  // namespace

bool RocksStore::Get(std::string_view key, std::string* value) const {
  return GetAt(*Current(), nullptr, key, value);
}

bool RocksStore::GetAt(const Db& db, const rocksdb::Snapshot* snapshot, std::string_view key,
                       std::string* value) const {
  rocksdb::Status status = db.db->Get(ReadAt(snapshot), FamilyOf(db, key), ToSlice(key), value);
  if (status.IsNotFound()) return false;
  if (!status.ok()) FatalRead(status);
  return true;
}

void RocksStore::MultiGet(const std::vector<std::string>& keys,
                          std::vector<std::optional<std::string>>* values) const {
  MultiGetAt(*Current(), nullptr, keys, values);
}

void RocksStore::MultiGetAt(const Db& db, const rocksdb::Snapshot* snapshot,
                            const std::vector<std::string>& keys,
                            std::vector<std::optional<std::string>>* values) const {
  values->assign(keys.size(), std::nullopt);
  std::vector<std::vector<size_t>> by_family(kFamilyCount);
  for (size_t i = 0; i < keys.size(); ++i) {
    by_family[FamilyIndexOf(keys[i])].push_back(i);
  }
  for (size_t f = 0; f < kFamilyCount; ++f) {
    const std::vector<size_t>& positions = by_family[f];
    if (positions.empty()) continue;
    std::vector<rocksdb::Slice> slices;
    slices.reserve(positions.size());
    for (size_t i : positions) slices.push_back(ToSlice(keys[i]));
    std::vector<rocksdb::PinnableSlice> found(positions.size());
    std::vector<rocksdb::Status> statuses(positions.size());
    // A batch's new ids usually come in order: then RocksDB need not sort them.
    const bool sorted = std::is_sorted(
        slices.begin(), slices.end(),
        [](const rocksdb::Slice& a, const rocksdb::Slice& b) { return a.compare(b) < 0; });
    db.db->MultiGet(ReadAt(snapshot), db.families[f], positions.size(), slices.data(), found.data(),
                    statuses.data(), sorted);
    for (size_t j = 0; j < positions.size(); ++j) {
      if (statuses[j].IsNotFound()) continue;
      if (!statuses[j].ok()) FatalRead(statuses[j]);
      (*values)[positions[j]] = found[j].ToString();
    }
  }
}

void RocksStore::Scan(std::string_view from, std::string_view to, bool reverse,
                      const ScanVisitor& visit) const {
  ScanAt(*Current(), nullptr, from, to, reverse, visit);
}

void RocksStore::ScanAt(const Db& db, const rocksdb::Snapshot* snapshot, std::string_view from,
                        std::string_view to, bool reverse, const ScanVisitor& visit) const {
  if (from >= to) return;
  // Split [from, to) where the column family changes; each piece lives in one family.
  std::vector<std::pair<std::string, std::string>> pieces;
  std::string begin(from);
  for (const std::string& cut : cuts_) {
    if (cut <= begin) continue;
    if (cut >= to) break;
    pieces.emplace_back(begin, cut);
    begin = cut;
  }
  pieces.emplace_back(begin, std::string(to));
  if (reverse) std::reverse(pieces.begin(), pieces.end());
  for (const auto& [lower, upper] : pieces) {
    if (!ScanFamily(db, snapshot, FamilyOf(db, lower), lower, upper, reverse, visit)) return;
  }
}

bool RocksStore::ScanFamily(const Db& db, const rocksdb::Snapshot* snapshot,
                            rocksdb::ColumnFamilyHandle* family, std::string_view from,
                            std::string_view to, bool reverse, const ScanVisitor& visit) const {
  rocksdb::ReadOptions read_options = ReadAt(snapshot);
  const rocksdb::Slice lower = ToSlice(from);
  const rocksdb::Slice upper = ToSlice(to);
  read_options.iterate_lower_bound = &lower;
  read_options.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(db.db->NewIterator(read_options, family));
  if (reverse) {
    it->SeekToLast();
  } else {
    it->Seek(lower);
  }
  bool more = true;
  for (; it->Valid(); reverse ? it->Prev() : it->Next()) {
    const rocksdb::Slice key = it->key();
    const rocksdb::Slice value = it->value();
    if (!visit(std::string_view(key.data(), key.size()),
               std::string_view(value.data(), value.size()))) {
      more = false;
      break;
    }
  }
  if (!it->status().ok()) FatalRead(it->status());
  return more;
}

absl::Status RocksStore::Write(const WriteSet& writes, bool sync) {
  if (fault_fail_writes_after_bytes_ != 0 &&
      fault_written_bytes_.fetch_add(writes.bytes()) + writes.bytes() >
          fault_fail_writes_after_bytes_) {
    return absl::UnavailableError(absl::StrCat(
        "RocksDB write: IO error: No space left on device (fault injection: more than ",
        fault_fail_writes_after_bytes_, " bytes written, --fault_fail_writes_after_bytes)"));
  }
  const std::shared_ptr<Db> db = Current();
  rocksdb::WriteBatch batch(writes.bytes() + 64 * writes.entries.size());
  for (const auto& [key, value] : writes.entries) {
    rocksdb::ColumnFamilyHandle* family = FamilyOf(*db, key);
    rocksdb::Status status = value ? batch.Put(family, ToSlice(key), ToSlice(*value))
                                   : batch.Delete(family, ToSlice(key));
    if (!status.ok()) return absl::InternalError(absl::StrCat("write batch: ", status.ToString()));
  }
  rocksdb::WriteOptions write_options;
  write_options.sync = sync;
  rocksdb::Status status = db->db->Write(write_options, &batch);
  if (!status.ok())
    return absl::UnavailableError(absl::StrCat("RocksDB write: ", status.ToString()));
  return absl::OkStatus();
}

RocksStore::Stats RocksStore::GetStats() const {
  Stats stats;
  uint64_t value = 0;
  const std::shared_ptr<Db> current = Current();
  rocksdb::DB* db = current->db;
  for (rocksdb::ColumnFamilyHandle* family : current->families) {
    if (db->GetIntProperty(family, rocksdb::DB::Properties::kEstimatePendingCompactionBytes,
                           &value)) {
      stats.pending_compaction_bytes += value;
    }
    if (db->GetIntProperty(family, rocksdb::DB::Properties::kEstimateLiveDataSize, &value)) {
      stats.live_data_bytes += value;
    }
  }
  if (db->GetIntProperty(rocksdb::DB::Properties::kIsWriteStopped, &value))
    stats.write_stopped = value != 0;
  if (db->GetIntProperty(rocksdb::DB::Properties::kActualDelayedWriteRate, &value))
    stats.delayed_write_rate = value;
  return stats;
}

absl::Status RocksStore::SyncWal() {
  rocksdb::Status status = Current()->db->SyncWAL();
  if (!status.ok())
    return absl::UnavailableError(absl::StrCat("RocksDB SyncWAL: ", status.ToString()));
  return absl::OkStatus();
}

absl::Status RocksStore::Checkpoint(const std::string& dir) {
  rocksdb::Checkpoint* checkpoint = nullptr;
  const std::shared_ptr<Db> db = Current();
  rocksdb::Status status = rocksdb::Checkpoint::Create(db->db, &checkpoint);
  if (status.ok()) status = checkpoint->CreateCheckpoint(dir);
  delete checkpoint;
  if (!status.ok())
    return absl::InternalError(absl::StrCat("checkpoint to ", dir, ": ", status.ToString()));
  return absl::OkStatus();
}

}  // namespace ledger
