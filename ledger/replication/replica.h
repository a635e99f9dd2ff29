// The replicated state machine: what every replica does with a committed Raft log entry,
// independent of libraft's I/O so that the real server (raft_node) and the deterministic simulation
// (replica_sim_test, on libraft's fixture) run the very same code.
//
// A log entry carries one batch (whole client requests, at most kBatchItemsMax commands) and a
// header: who proposed it (node id and a per-node proposal number, so the proposer can find the
// waiting clients) and the leader's proposed timestamp. Apply runs the deterministic core with the
// timestamp max(proposed, the state's next allowed timestamp), which every replica computes alike,
// and stores the write set together with the applied Raft index in one write. Entries at or below
// the stored index are skipped, so re-applying the log after a restart or a snapshot restore is
// idempotent.
//
// Snapshots are a compact export of every key (state, journal and the applied index) with a BLAKE2b
// checksum; restoring replaces the whole state in one write.
//
// Live invariant check, as on a single node (ledger/node/node.h): CheckInvariants() sums every
// asset's balances (at start, after a snapshot restore), and every applied batch checks its own
// balance changes (ApplyOutput::invariant_violation). A violation — a core bug or a store edited
// behind the ledger's back — stops the replica: the violating batch is not stored (not even its
// index, so a restart meets it again), and every later Apply is refused without applying anything.
// The caller stops taking writes.
#ifndef LEDGER_REPLICATION_REPLICA_H_
#define LEDGER_REPLICATION_REPLICA_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ledger/core/kv.h"
#include "ledger/core/state_machine.h"

namespace ledger {

struct EntryHeader {
  uint64_t proposer = 0;  // Raft id of the node that proposed the entry.
  uint64_t proposal =
      0;  // Its proposal number (unique per proposer process lifetime with `proposer`).
  Timestamp timestamp = 0;  // The leader's clock when it proposed; the core may move it forward.
};

std::string EncodeEntry(const EntryHeader& header, const Batch& batch);
// nullopt if the bytes are not an entry.
std::optional<std::pair<EntryHeader, Batch>> DecodeEntry(std::string_view bytes);

// Where a replica keeps its state: a reader for the core plus an atomic write.
class ReplicaStore {
 public:
  virtual ~ReplicaStore() = default;
  virtual const KvReader& reader() const = 0;
  // Applies the write set atomically; with sync, durably.
  virtual absl::Status Write(const WriteSet& writes, bool sync) = 0;
};

// The key that holds the applied Raft index (outside the core's key space).
inline constexpr std::string_view kAppliedIndexKey = "R/applied";

// The Raft index stored with the state (0 for an empty state).
uint64_t ReadAppliedIndex(const KvReader& state);

class Replica {
 public:
  // How a batch is applied: the core's ApplyBatch (tests may wrap it to break a batch's invariant).
  using ApplyFunction = std::function<absl::StatusOr<ApplyOutput>(const KvReader&, Timestamp,
                                                                  const Batch&, ApplyCounters*)>;
  // The store must outlive the replica. Not thread-safe: one applier.
  explicit Replica(ReplicaStore* store, ApplyFunction apply = nullptr);

  struct Applied {
    bool skipped = false;  // At or below the stored index: already in the state.
    absl::Status status;   // Not OK if the entry was undecodable or the core refused the batch.
    EntryHeader header;
    ApplyOutput output;  // When status is OK and not skipped.
    ApplyCounters counters;
  };
  // Applies the committed entry at Raft index `index`. A store write failure is returned as an
  // error status with nothing applied, and so is every entry after it (write_failed()); the caller
  // must stop (the replica cannot continue past a hole; a restart re-applies from the stored
  // index). A batch that breaks the invariant is DATA_LOSS with nothing stored, and so is every
  // entry after it (violation()).
  absl::StatusOr<Applied> Apply(uint64_t index, std::string_view entry);

  // Sums every asset's balances over the whole state (O(accounts)): "" if they hold; else the
  // replica is stopped as by a violating batch. Run at start and after a snapshot restore.
  std::string CheckInvariants();
  // "" while the invariants hold; else what broke them (the replica applies nothing more).
  const std::string& violation() const { return violation_; }

  // OK until a store write failed in Apply; then that failure (the replica applies nothing more).
  const absl::Status& write_failed() const { return write_failed_; }

  uint64_t applied_index() const { return applied_index_; }

  // Re-reads the applied index after the store was replaced underneath (a snapshot installed by
  // reference: raft_node.h).
  void Reload() { applied_index_ = ReadAppliedIndex(store_->reader()); }

  // Every key and value, the applied index, and a checksum (the snapshot format before snapshots by
  // reference; still restored from an older raft folder, and used by the simulation).
  std::string Snapshot() const;
  // Replaces the state with a snapshot's. A snapshot at or below the stored applied index is
  // ignored (the state already contains it: the log re-applies nothing at or below the stored
  // index). InvalidArgument on a corrupt snapshot (nothing changed).
  absl::Status Restore(std::string_view snapshot, bool sync);

 private:
  ReplicaStore* store_;
  ApplyFunction apply_;
  uint64_t applied_index_ = 0;
  std::string violation_;
  absl::Status write_failed_;
};

}  // namespace ledger

#endif  // LEDGER_REPLICATION_REPLICA_H_
