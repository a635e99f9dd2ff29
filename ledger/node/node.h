// A single ledger node: the shell around the core that orders requests, stamps batches with the
// logical clock, applies them, and stores the result durably before anyone hears the outcome.
//
// Group commit: client threads enqueue requests; the applier thread takes everything queued (up to
// kBatchItemsMax commands, whole requests only) as one batch and applies it; the writer thread
// stores it with one fsync and then answers every request in it. Under load one fsync serves many
// requests.
//
// Pipelining: while the writer stores batch N, the applier already applies batch N+1, reading
// through an overlay of the write sets not yet stored (at most kPipelineDepth). Ordering rules:
//  - outcomes are released only after their batch's WriteBatch was fsynced;
//  - batches are stored in the order they were applied;
//  - if a write fails, that batch and every batch applied after it (they built on it) fail with
//    UNAVAILABLE, and the node refuses all further requests: memory and disk may differ, so it must
//    be restarted (recovery reads the disk).
//
// ledger/replication/raft_node.h is the replicated Committer.
#ifndef LEDGER_NODE_NODE_H_
#define LEDGER_NODE_NODE_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "ledger/commit/clock.h"
#include "ledger/commit/committer.h"
#include "ledger/commit/observer.h"
#include "ledger/core/journal.h"
#include "ledger/core/state_machine.h"
#include "ledger/storage/cached_kv.h"
#include "ledger/storage/overlay_kv.h"
#include "ledger/storage/rocks_store.h"

namespace ledger {

class Node final : public Committer {
 public:
  struct Options {
    bool sync = true;  // fsync every batch (turn off only for experiments).
  };
  // The store must outlive the node.
  Node(RocksStore* store, Clock* clock, Options options, NodeObserver observer = {});
  ~Node();  // Stops the committer after the queued requests are answered.

  // Applies one request (1..kBatchItemsMax commands, validated in shape by the caller) and returns
  // after it is durable. Thread-safe. Errors: UNAVAILABLE if storage failed or the node is
  // stopping.
  void SubmitAsync(std::vector<Command> commands, SubmitDone done,
                   std::string operator_name = "") override;

  // UNAVAILABLE after a failed write or while stopping, DATA_LOSS after a broken invariant.
  absl::Status Health() const override;

  const KvReader& state() const override { return *store_; }
  std::unique_ptr<KvReader> StateSnapshot() const override { return store_->Snapshot(); }
  // The newest committed journal index.
  uint64_t committed_index() const override;
  // Waits until committed_index() > index or the timeout passes; returns committed_index().
  uint64_t WaitForIndexAfter(uint64_t index, std::chrono::milliseconds timeout) override;

 private:
  struct Request {
    std::vector<Command> commands;
    SubmitDone done;
    std::string operator_name;  // "" for the public services.
  };
  // A batch applied but not yet stored.
  struct Applied {
    std::vector<std::unique_ptr<Request>> requests;
    Batch batch;
    ApplyOutput output;
    std::shared_ptr<const WriteSet> writes;
    ApplyCounters counters;
    double apply_seconds = 0;
    std::chrono::steady_clock::time_point start;
  };
  // Batches applied ahead of the durable write.
  static constexpr size_t kPipelineDepth = 2;

  void ApplyLoop();
  void WriteLoop();
  // Takes the next batch's requests; empty when stopping.
  std::vector<std::unique_ptr<Request>> TakeRequests();
  void Store(Applied applied);
  static void FailAll(std::vector<std::unique_ptr<Request>>& requests, const absl::Status& status);
  // Logs the violation, tells the observer and refuses every later write (failed_).
  void StopForInvariant(const std::string& violation);
  static absl::Status InvariantStatus(const std::string& violation);

  RocksStore* store_;
  CachedKv hot_;  // Hot records as applied (including batches not yet stored). Applier thread only.
  Clock* clock_;
  Options options_;
  NodeObserver observer_;

  mutable std::mutex mutex_;
  std::condition_variable queue_changed_;
  std::condition_variable applied_changed_;
  std::condition_variable committed_changed_;
  std::deque<std::unique_ptr<Request>> queue_ ABSL_GUARDED_BY(mutex_);
  std::deque<Applied> applied_ ABSL_GUARDED_BY(mutex_);  // <= kPipelineDepth.
  std::vector<std::shared_ptr<const WriteSet>> in_flight_ ABSL_GUARDED_BY(mutex_);  // Oldest first.
  absl::Status failed_ ABSL_GUARDED_BY(mutex_);  // A failed write.
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  bool applier_done_ ABSL_GUARDED_BY(mutex_) = false;
  uint64_t committed_index_ ABSL_GUARDED_BY(mutex_) = 0;
  Timestamp clock_floor_ = 0;  // Applier thread only.
  std::thread applier_;
  std::thread writer_;
};

}  // namespace ledger

#endif  // LEDGER_NODE_NODE_H_
