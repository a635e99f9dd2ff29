// A read view of a store plus write sets that are applied but not yet stored, newest last. The
// pipelined committer applies batch N+1 through it while batch N is still being written and
// fsynced.
//
// Thread safety: immutable after construction (the write sets are shared, read-only); the
// underlying store must allow concurrent reads.
#ifndef LEDGER_STORAGE_OVERLAY_KV_H_
#define LEDGER_STORAGE_OVERLAY_KV_H_

#include <functional>
#include <memory>
#include <vector>

#include "ledger/core/kv.h"

namespace ledger {

class OverlayKv final : public KvReader {
 public:
  // base_is_current(key), when given, says that base already reflects the pending write sets for
  // that key (a write-through cache of the same batches): Get then skips the pending sets.
  OverlayKv(const KvReader& base, std::vector<std::shared_ptr<const WriteSet>> pending,
            std::function<bool(std::string_view)> base_is_current = nullptr)
      : base_(base), pending_(std::move(pending)), base_is_current_(std::move(base_is_current)) {}

  bool Get(std::string_view key, std::string* value) const override;
  void Scan(std::string_view from, std::string_view to, bool reverse,
            const ScanVisitor& visit) const override;
  void MultiGet(const std::vector<std::string>& keys,
                std::vector<std::optional<std::string>>* values) const override;

 private:
  const KvReader& base_;
  std::vector<std::shared_ptr<const WriteSet>> pending_;  // Oldest first.
  std::function<bool(std::string_view)> base_is_current_;
};

}  // namespace ledger

#endif  // LEDGER_STORAGE_OVERLAY_KV_H_
