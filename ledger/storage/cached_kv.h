// A write-through cache of the ledger's small, hot records (assets, accounts, lots, the journal
// head) in front of a store, for the committer thread. Every batch reads the accounts it touches;
// keeping them in memory avoids a RocksDB memtable/SST lookup per account per transfer.
//
// Thread safety: none. One thread (the committer) reads through it and reports each write set it
// stored with Remember(); other threads read the underlying store directly.
#ifndef LEDGER_STORAGE_CACHED_KV_H_
#define LEDGER_STORAGE_CACHED_KV_H_

#include <string>

#include "absl/container/flat_hash_map.h"
#include "ledger/core/kv.h"

namespace ledger {

class CachedKv final : public KvReader {
 public:
  // At most this many records are cached; past it, new records are read from the store each time.
  static constexpr size_t kEntriesMax = 4'000'000;

  explicit CachedKv(const KvReader& store) : store_(store) {}

  bool Get(std::string_view key, std::string* value) const override;
  void Scan(std::string_view from, std::string_view to, bool reverse,
            const ScanVisitor& visit) const override {
    store_.Scan(from, to, reverse, visit);
  }
  // Cached tables one Get each; the rest in one MultiGet of the store.
  void MultiGet(const std::vector<std::string>& keys,
                std::vector<std::optional<std::string>>* values) const override;
  // Call with each write set in order (the node calls it as soon as a batch is applied, before it
  // is stored: the cache then runs ahead of the store).
  void Remember(const WriteSet& writes);
  // True when Get(key) answers from every write set remembered so far: a cached table, and the key
  // is cached or the cache had room for every key written (so a key absent from it was never
  // written).
  bool Current(std::string_view key) const {
    return Cacheable(key) && (cache_.size() < kEntriesMax ||
                              cache_.contains(absl::string_view(key.data(), key.size())));
  }
  size_t size() const { return cache_.size(); }
  // Forgets everything (the store under it was replaced: a Raft snapshot installed).
  void Clear() { cache_.clear(); }

 private:
  static bool Cacheable(std::string_view key);

  const KvReader& store_;
  // nullopt caches "absent" too (an account id that does not exist yet).
  mutable absl::flat_hash_map<std::string, std::optional<std::string>> cache_;
};

}  // namespace ledger

#endif  // LEDGER_STORAGE_CACHED_KV_H_
