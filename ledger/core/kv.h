// The storage interface the core reads committed state through, the write set it produces, and an
// in-memory store for tests — the LevelDB Env idea: the core never knows which store it runs on.
//
// Read failures are not recoverable inside the core: a ledger that cannot read its own state must
// not decide outcomes from partial reads, so stores abort the process on an I/O error rather than
// return one.
#ifndef LEDGER_CORE_KV_H_
#define LEDGER_CORE_KV_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/btree_map.h"

namespace ledger {

// Called for each key in a scan, in key order; return false to stop.
using ScanVisitor = std::function<bool(std::string_view key, std::string_view value)>;

class KvReader {
 public:
  virtual ~KvReader() = default;
  // True and the value if the key exists.
  virtual bool Get(std::string_view key, std::string* value) const = 0;
  // Keys in [from, to), ascending (or descending when reverse), until visit returns false.
  virtual void Scan(std::string_view from, std::string_view to, bool reverse,
                    const ScanVisitor& visit) const = 0;
  // Get for many keys at once: (*values)[i] is what Get(keys[i]) gives (nullopt: absent). Stores
  // that look keys up faster in bulk (RocksDB's MultiGet) override it; by default, one Get each.
  virtual void MultiGet(const std::vector<std::string>& keys,
                        std::vector<std::optional<std::string>>* values) const;
};

// For layered readers: asks `reader` for `keys` in one MultiGet and stores answer j at
// (*values)[positions[j]]. Does nothing for no keys.
void MultiGetAt(const KvReader& reader, const std::vector<std::string>& keys,
                const std::vector<size_t>& positions,
                std::vector<std::optional<std::string>>* values);

// The changes of one batch, sorted by key, each key once. nullopt deletes the key.
struct WriteSet {
  std::vector<std::pair<std::string, std::optional<std::string>>> entries;
  size_t bytes() const;
};

// An ordered in-memory store. Not thread-safe.
class MemoryKv final : public KvReader {
 public:
  bool Get(std::string_view key, std::string* value) const override;
  void Scan(std::string_view from, std::string_view to, bool reverse,
            const ScanVisitor& visit) const override;
  void Apply(const WriteSet& writes);
  size_t size() const { return data_.size(); }

 private:
  absl::btree_map<std::string, std::string, std::less<>> data_;
};

// BLAKE2b-256 over every key and value (length-prefixed) in key order: equal iff the states are
// equal.
std::string StateHash(const KvReader& state);

// BLAKE2b-256 of bytes (libsodium's crypto_generichash).
std::string Blake2b256(std::string_view bytes);

}  // namespace ledger

#endif  // LEDGER_CORE_KV_H_
