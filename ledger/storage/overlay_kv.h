// A read view of a store plus write sets that are applied but not yet stored, newest last. The
// pipelined committer applies batch N+1 through it while batch N is still being written and fsynced.
//
// Thread safety: immutable after construction (the write sets are shared, read-only); the underlying
// store must allow concurrent reads.
#ifndef LEDGER_STORAGE_OVERLAY_KV_H_
#define LEDGER_STORAGE_OVERLAY_KV_H_

#include <memory>
#include <vector>

#include "ledger/core/kv.h"

namespace ledger {

class OverlayKv final : public KvReader {
 public:
  OverlayKv(const KvReader& base, std::vector<std::shared_ptr<const WriteSet>> pending)
      : base_(base), pending_(std::move(pending)) {}

  bool Get(std::string_view key, std::string* value) const override;
  void Scan(std::string_view from, std::string_view to, bool reverse, const ScanVisitor& visit) const override;

 private:
  const KvReader& base_;
  std::vector<std::shared_ptr<const WriteSet>> pending_;  // Oldest first.
};

}  // namespace ledger

#endif  // LEDGER_STORAGE_OVERLAY_KV_H_
