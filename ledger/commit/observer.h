// Hooks a committer (the single node or the Raft node) calls for metrics (ledger/server/metrics.h).
#ifndef LEDGER_COMMIT_OBSERVER_H_
#define LEDGER_COMMIT_OBSERVER_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "ledger/core/journal.h"
#include "ledger/core/state_machine.h"

namespace ledger {

// A Raft replica's snapshots since it started (RaftNode counts them, ledgerd's metrics show them):
// those it took (libraft asks every --snapshot_threshold entries) and those it installed (sent by
// the leader, or loaded at start), with the last one's time and size.
struct SnapshotFigures {
  uint64_t taken = 0;
  double last_take_seconds = 0;
  uint64_t last_take_bytes = 0;
  uint64_t installed = 0;
  double last_install_seconds = 0;
  uint64_t last_install_bytes = 0;
  // Raft messages held back while a snapshot was being written (replication/take_guard.h).
  uint64_t held_messages = 0;
  // The Raft log held in memory (--raft_log_memory_bytes): bytes of the entries applied since the
  // last take, and how many entries a take keeps behind it now.
  uint64_t log_bytes = 0;
  uint64_t trailing = 0;
};

// The Raft loop thread's turns (ledger/replication/loop_turns.h), since the node started: time it
// was busy (not waiting for I/O), turns busy for --raft_slow_turn_ms or longer, and the longest.
struct LoopFigures {
  double busy_seconds = 0;
  uint64_t slow_turns = 0;
  double longest_turn_seconds = 0;
};

// Hooks for metrics (all optional). Called on the committer thread.
struct NodeObserver {
  std::function<void(size_t requests, size_t commands, double apply_seconds, double commit_seconds)>
      on_batch;
  std::function<void(const Outcome&, const Command&)> on_outcome;
  std::function<void(const ApplyCounters&)> on_sweep;
  // Single node: the durable write of one batch (RocksDB write plus the write-ahead log's fsync),
  // seconds.
  std::function<void(double seconds)> on_store_write;
  // The ledger's invariants were found broken (at start or by a batch): the node stops taking
  // writes.
  std::function<void(const std::string& violation)> on_invariant_violation;
  // Every durably stored batch, in order: its logical time, the batch and its journal entry's bytes
  // (for ledgerd's --record_batches; called on the node's write thread, must not block for long).
  std::function<void(Timestamp, const Batch&, const std::string& entry_bytes)> on_stored_batch;
};

}  // namespace ledger

#endif  // LEDGER_COMMIT_OBSERVER_H_
