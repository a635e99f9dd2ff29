// RocksDB-backed store: see rocks_store.h.
#include "ledger/storage/rocks_store.h"

#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/write_batch.h>

#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"

namespace ledger {
namespace {

[[noreturn]] void FatalRead(const rocksdb::Status& status) {
  fprintf(stderr, "FATAL: RocksDB read failed: %s\n", status.ToString().c_str());
  abort();
}

rocksdb::Slice ToSlice(std::string_view s) { return rocksdb::Slice(s.data(), s.size()); }

}  // namespace

absl::StatusOr<std::unique_ptr<RocksStore>> RocksStore::Open(const std::string& path,
                                                             const Options& options) {
  rocksdb::Options db_options;
  db_options.create_if_missing = true;
  db_options.max_background_jobs = 2;
  db_options.write_buffer_size = options.write_buffer_bytes;
  db_options.max_write_buffer_number = 4;
  db_options.bytes_per_sync = 1 << 20;
  db_options.compression = rocksdb::kLZ4Compression;
  // New transfer ids are looked up before they are written: a memtable bloom filter answers "absent"
  // without walking the skiplist.
  db_options.memtable_whole_key_filtering = true;
  db_options.memtable_prefix_bloom_size_ratio = 0.05;
  rocksdb::BlockBasedTableOptions table_options;
  table_options.block_cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  // Most transfer-id lookups are for new ids: a bloom filter answers "absent" without reading blocks.
  table_options.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10, false));
  table_options.cache_index_and_filter_blocks = true;
  db_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table_options));
  rocksdb::DB* db = nullptr;
  rocksdb::Status status = rocksdb::DB::Open(db_options, path, &db);
  if (!status.ok()) {
    return absl::UnavailableError(absl::StrCat("open RocksDB at ", path, ": ", status.ToString()));
  }
  return std::unique_ptr<RocksStore>(new RocksStore(db));
}

RocksStore::~RocksStore() {
  db_->Close();
  delete db_;
}

bool RocksStore::Get(std::string_view key, std::string* value) const {
  rocksdb::Status status = db_->Get(rocksdb::ReadOptions(), ToSlice(key), value);
  if (status.IsNotFound()) return false;
  if (!status.ok()) FatalRead(status);
  return true;
}

void RocksStore::Scan(std::string_view from, std::string_view to, bool reverse,
                      const ScanVisitor& visit) const {
  if (from >= to) return;
  rocksdb::ReadOptions read_options;
  const rocksdb::Slice lower = ToSlice(from);
  const rocksdb::Slice upper = ToSlice(to);
  read_options.iterate_lower_bound = &lower;
  read_options.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options));
  if (reverse) {
    it->SeekToLast();
  } else {
    it->Seek(lower);
  }
  for (; it->Valid(); reverse ? it->Prev() : it->Next()) {
    const rocksdb::Slice key = it->key();
    const rocksdb::Slice value = it->value();
    if (!visit(std::string_view(key.data(), key.size()), std::string_view(value.data(), value.size()))) {
      break;
    }
  }
  if (!it->status().ok()) FatalRead(it->status());
}

absl::Status RocksStore::Write(const WriteSet& writes, bool sync) {
  rocksdb::WriteBatch batch(writes.bytes() + 64 * writes.entries.size());
  for (const auto& [key, value] : writes.entries) {
    rocksdb::Status status = value ? batch.Put(ToSlice(key), ToSlice(*value)) : batch.Delete(ToSlice(key));
    if (!status.ok()) return absl::InternalError(absl::StrCat("write batch: ", status.ToString()));
  }
  rocksdb::WriteOptions write_options;
  write_options.sync = sync;
  rocksdb::Status status = db_->Write(write_options, &batch);
  if (!status.ok()) return absl::UnavailableError(absl::StrCat("RocksDB write: ", status.ToString()));
  return absl::OkStatus();
}

absl::Status RocksStore::SyncWal() {
  rocksdb::Status status = db_->SyncWAL();
  if (!status.ok()) return absl::UnavailableError(absl::StrCat("RocksDB SyncWAL: ", status.ToString()));
  return absl::OkStatus();
}

absl::Status RocksStore::Checkpoint(const std::string& dir) {
  rocksdb::Checkpoint* checkpoint = nullptr;
  rocksdb::Status status = rocksdb::Checkpoint::Create(db_, &checkpoint);
  if (status.ok()) status = checkpoint->CreateCheckpoint(dir);
  delete checkpoint;
  if (!status.ok()) return absl::InternalError(absl::StrCat("checkpoint to ", dir, ": ", status.ToString()));
  return absl::OkStatus();
}

}  // namespace ledger
