// The ledger's state in RocksDB: the KvReader the core reads through, and atomic, durable writes of
// the core's write sets (one WriteBatch per applied batch, fsynced before the caller acknowledges
// anything).
//
// Thread safety: reads may run on any thread concurrently with one writer. Only one thread writes.
//
// Reopen swaps in another database folder (a Raft snapshot installed by reference:
// ledger/storage/checkpoint_files.h) while readers go on: each read uses the database that was
// current when it started, and a Snapshot() reader keeps its database open until it is destroyed.
#ifndef LEDGER_STORAGE_ROCKS_STORE_H_
#define LEDGER_STORAGE_ROCKS_STORE_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ledger/core/kv.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
class Snapshot;
}  // namespace rocksdb

namespace ledger {

class RocksStore final : public KvReader {
 public:
  static constexpr size_t kFamilyCount = 6;
  struct Options {
    size_t block_cache_bytes = 512u << 20;
    size_t write_buffer_bytes = 32u << 20;  // Smaller memtables: shallower skiplists (measured: 83k
                                            // vs 75k transfers/s at 64 MB).
    // The "default" family's memtable (accounts and the other small tables): at most this.
    size_t hot_write_buffer_bytes = 8u << 20;
    // RocksDB option string ("name=value;name=value", RocksDB's own names) applied over the
    // defaults below, for operators tuning a node. An unknown name or bad value fails Open with
    // RocksDB's message.
    std::string overrides;
    // Opens an existing database for reading only (RocksDB's OpenForReadOnly, which takes no lock):
    // for offline tools such as `ledgerctl audit`. Nothing is created or migrated, and Write fails.
    // A database whose keys an older layout left in other families is refused
    // (FAILED_PRECONDITION): let ledgerd open it once to move them.
    bool read_only = false;
    // Fault injection for tests, never for production (ledgerd --fault_fail_writes_after_bytes):
    // once the write sets stored add up to more than this many bytes (keys plus values), every
    // later Write fails as RocksDB does on a full disk ("IO error: No space left on device"). 0:
    // off.
    uint64_t fault_fail_writes_after_bytes = 0;
  };
  // Opens (creating if missing) the database in `path`, or in the state folder its pointer names
  // once a Raft snapshot was installed there (checkpoint_files.h: PATH/state.current).
  static absl::StatusOr<std::unique_ptr<RocksStore>> Open(const std::string& path,
                                                          const Options& options);
  static absl::StatusOr<std::unique_ptr<RocksStore>> Open(const std::string& path) {
    return Open(path, Options{});
  }
  ~RocksStore() override;

  // Read errors abort the process (see kv.h).
  bool Get(std::string_view key, std::string* value) const override;
  void Scan(std::string_view from, std::string_view to, bool reverse,
            const ScanVisitor& visit) const override;
  // RocksDB's MultiGet per column family: one snapshot and batched memtable and filter lookups.
  void MultiGet(const std::vector<std::string>& keys,
                std::vector<std::optional<std::string>>* values) const override;

  // Applies a write set atomically. With sync, the write-ahead log is fsynced before returning.
  absl::Status Write(const WriteSet& writes, bool sync);
  // Makes every earlier unsynced Write durable (fsync of RocksDB's log).
  absl::Status SyncWal();
  // A consistent copy of the database in `dir` (hard links where possible): for snapshots and
  // backups.
  absl::Status Checkpoint(const std::string& dir);
  // A reader of the database as it is now, unchanged by later writes (a RocksDB snapshot, released
  // when the reader is destroyed; it must not outlive the store). Every Write is one atomic batch,
  // so the view holds whole batches: what an online audit reads while the node goes on applying.
  std::unique_ptr<KvReader> Snapshot() const;
  // Opens the database in `path` with this store's options and makes it the one every later read
  // and write uses. The previous one is closed once its last reader is done; then `on_old_closed`
  // runs (on whichever thread let it go): e.g. removing its folder. Only the writer's thread may
  // call it.
  absl::Status Reopen(const std::string& path, std::function<void()> on_old_closed);
  // The folder of the current database.
  std::string path() const;

  // RocksDB's own figures for monitoring (ledgerd samples them once a second): its properties,
  // summed over the column families where they are per family. Cheap (no I/O); safe on any thread.
  struct Stats {
    uint64_t pending_compaction_bytes = 0;  // rocksdb.estimate-pending-compaction-bytes
    uint64_t live_data_bytes = 0;           // rocksdb.estimate-live-data-size
    bool write_stopped = false;             // rocksdb.is-write-stopped (DB-wide)
    uint64_t delayed_write_rate = 0;  // rocksdb.actual-delayed-write-rate, bytes/s; 0: not delayed
  };
  Stats GetStats() const;

 private:
  struct Db;  // An open database and its column families (rocks_store.cc).
  static absl::StatusOr<std::shared_ptr<Db>> OpenDb(const std::string& path,
                                                    const Options& options);
  explicit RocksStore(std::shared_ptr<Db> db);
  std::shared_ptr<Db> Current() const { return current_.load(); }
  // The column family that holds `key`, by its table (rocks_store.cc kFamilies). The journal,
  // recent history, history segments and transfers each have their own: they grow without bound
  // (mostly under ever-increasing keys), and in one family every flush would overlap every file
  // below it, so compaction would rewrite them all with each change to the few thousand hot account
  // records.
  rocksdb::ColumnFamilyHandle* FamilyOf(const Db& db, std::string_view key) const;
  // Its index in families_.
  size_t FamilyIndexOf(std::string_view key) const;
  // Moves keys that are not in their table's family (an older layout) to it; see rocks_store.cc.
  static absl::Status MoveStrayKeys(const RocksStore& store, const Db& db);
  class SnapshotReader;
  // The reads, at `snapshot` (nullptr: the newest state).
  bool GetAt(const Db& db, const rocksdb::Snapshot* snapshot, std::string_view key,
             std::string* value) const;
  void MultiGetAt(const Db& db, const rocksdb::Snapshot* snapshot,
                  const std::vector<std::string>& keys,
                  std::vector<std::optional<std::string>>* values) const;
  void ScanAt(const Db& db, const rocksdb::Snapshot* snapshot, std::string_view from,
              std::string_view to, bool reverse, const ScanVisitor& visit) const;
  // Scan within one column family; false when visit stopped it.
  bool ScanFamily(const Db& db, const rocksdb::Snapshot* snapshot,
                  rocksdb::ColumnFamilyHandle* family, std::string_view from, std::string_view to,
                  bool reverse, const ScanVisitor& visit) const;
  Options options_;
  std::atomic<std::shared_ptr<Db>> current_;
  uint64_t fault_fail_writes_after_bytes_ = 0;  // Options::fault_fail_writes_after_bytes.
  std::atomic<uint64_t> fault_written_bytes_{0};
  std::array<uint8_t, 256> family_of_;  // Index into families_ by a key's first byte.
  std::vector<std::string> cuts_;       // The first bytes where family_of_ changes.
};

}  // namespace ledger

#endif  // LEDGER_STORAGE_ROCKS_STORE_H_
