// A ledger replica on libraft: the replicated Committer.
//
// Threads. libraft is not thread-safe: everything that touches it runs on one libuv loop thread
// owned by this class. gRPC threads hand requests to it through a mutex-guarded queue and
// uv_async_send, then wait on a future. The loop thread turns queued requests into Raft entries —
// many client requests per entry (group commit across clients, at most kBatchItemsMax commands,
// whole requests only), at most kProposalsInFlightMax entries in flight — each stamped with the
// leader's clock (replica.h).
//
// Apply. libraft calls the FSM on the loop thread for every committed entry on every replica; it
// runs the deterministic core and writes RocksDB (state + journal + applied Raft index, one
// WriteBatch, no fsync: libraft's log is the durable write-ahead log). On the proposer the outcomes
// go back to the waiting clients. Entries whose outcome a leader cannot report (it lost leadership
// first) are answered UNAVAILABLE "outcome unknown": clients retry with the same ids and the core's
// idempotency makes that safe.
//
// Reads. ReadBarrier() on the leader waits for a Raft barrier issued after the call (leadership
// confirmed, everything committed applied): linearizable. Barriers are shared by all reads waiting
// when one is issued. With stale_reads, any replica serves its own applied state without a barrier.
//
// The process must ignore SIGPIPE (ledgerd does): libraft writes to peer sockets with plain
// write(), and a peer that dies mid-write would otherwise kill this process.
//
// Snapshots, by reference (Options::state_root; ledger/storage/checkpoint_files.h): libraft asks
// for one every snapshot_threshold entries; the replica syncs RocksDB's log and, on its own thread
// while the loop goes on (PrepareTake; libraft gets a placeholder until then), takes a RocksDB
// checkpoint in STATE_ROOT/snapshots/ORIGIN-ID (hard links to the table files plus one memtable
// flush: no copy of the state in memory), and the Raft snapshot carries only its manifest (every
// file's name, size and BLAKE2b, the applied index, the origin node and the checkpoint id; hashes
// of table files are computed once per process). A lagging or new replica that receives a manifest
// fetches the files in chunks (Cluster.SnapshotChunk, node certificates only) from the leader that
// sent it (else from the origin), checks every size and hash, stages, fsyncs and commits them by
// the pointer file STATE_ROOT/state.current, then reopens RocksDB there; the state it replaced is
// removed when its last reader is done. A crash at any step leaves the old state or the new one
// (RecoverInstall at start). It keeps a copy of the installed checkpoint (hard links) to serve in
// turn. The two newest checkpoints are kept (libraft keeps two snapshots); older ones are removed.
// Without a state_root (and for a snapshot of the older format in an older raft folder) the whole
// state is exported into the snapshot and restored in one write, as before.
//
// Invariants, as on a single node: at start (and after a snapshot restore) the replica sums every
// asset's balances, and every applied batch checks its own changes (replica.h). A violation stops
// this replica loudly: "LEDGER INVARIANT BROKEN" on stderr, the observer's on_invariant_violation
// (the metric), nothing of the batch stored, and the node leaves the cluster — it closes libraft
// (or, found at start, never starts it), so it neither applies another entry nor leads — while it
// goes on answering DATA_LOSS to every write, read and membership call. The other replicas go on
// without it (a core bug stops them all alike).
//
// A failed store write (a full disk) stops a replica the same way, answering UNAVAILABLE "storage
// write failed at log entry N; restart the node: ..." instead: it cannot skip the committed entry,
// and a restart re-applies from the stored applied index.
#ifndef LEDGER_REPLICATION_RAFT_NODE_H_
#define LEDGER_REPLICATION_RAFT_NODE_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "ledger/commit/clock.h"
#include "ledger/commit/committer.h"
#include "ledger/commit/observer.h"
#include "ledger/replication/loop_turns.h"
#include "ledger/replication/nodelay_transport.h"
#include "ledger/replication/raft_api.h"
#include "ledger/replication/replica.h"
#include "ledger/replication/secure_transport.h"
#include "ledger/replication/take_guard.h"
#include "ledger/storage/cached_kv.h"
#include "ledger/storage/checkpoint_files.h"
#include "ledger/storage/rocks_store.h"

namespace ledger {

struct RaftPeer {
  uint64_t id = 0;
  std::string raft_address;  // host:port other replicas dial.
  std::string grpc_address;  // host:port clients are sent to when this peer leads.
  // host:port of its operator listener (ledgerd --operator_listen: Ledger, Cluster under mutual
  // TLS); empty when the operator services share grpc_address (plaintext development mode).
  std::string operator_address;
};

// Parses "1=127.0.0.1:7501/127.0.0.1:7400[/127.0.0.1:7402],2=..." (id=raft/grpc[/operator],
// comma-separated).
absl::StatusOr<std::vector<RaftPeer>> ParsePeers(const std::string& text);

struct RaftStatus {
  uint64_t id = 0;
  uint64_t term = 0;
  std::string role;                     // "leader", "follower", "candidate", "unavailable".
  uint64_t leader_id = 0;               // 0 when unknown.
  std::string leader_address;           // The leader's gRPC address when known.
  std::string leader_operator_address;  // Its operator address when known (RaftPeer).
  uint64_t commit_index = 0;            // Raft commit index as this node knows it.
  uint64_t applied_index = 0;           // Raft index of the last applied command entry.
  uint64_t last_index = 0;              // Raft last log index.
  uint64_t journal_index = 0;  // The ledger journal's index (one per applied command entry).
  struct Member {
    uint64_t id = 0;
    std::string raft_address;
    std::string grpc_address;      // Empty when this node was not told (--peers).
    std::string role;              // "voter", "standby" (gets the log, no vote) or "spare".
    std::string operator_address;  // Empty when not told or shared with grpc_address.
    // On the leader: the highest log index known to be on this member (libraft's match index).
    std::optional<uint64_t> match_index;
  };
  std::vector<Member> members;  // The current Raft configuration.
  SnapshotFigures snapshots;    // ledger/commit/observer.h.
  LoopFigures loop;             // Likewise.
};

class RaftNode final : public Committer {
 public:
  struct Options {
    uint64_t id = 0;
    std::string raft_address;     // Advertised Raft address (must match this id's entry in peers).
    std::string raft_bind;        // Where to listen; empty: raft_address.
    std::vector<RaftPeer> peers;  // The initial cluster; also maps leader ids to gRPC addresses.
    std::string raft_dir;         // libraft's log segments, metadata and snapshots.
    bool bootstrap = true;        // On an empty raft_dir, bootstrap the initial voting members.
    std::vector<uint64_t>
        initial_members;  // Ids of `peers` to bootstrap as voters; empty: all of them.
    unsigned snapshot_threshold = 8192;  // Entries between snapshots.
    unsigned snapshot_trailing =
        4096;  // Entries kept behind a snapshot for followers that lag a little.
    // libraft holds every entry since the last snapshot in memory, and `snapshot_trailing` before
    // it: with large entries (batches of thousands of transfers) the entry counts above held
    // gigabytes. This caps it in bytes too (0: entries only): a snapshot is taken once the entries
    // applied since the last one reach half of it, and fewer trailing entries are kept when their
    // average size would need more than the other half (at least 1). See LogBudget* below.
    uint64_t log_memory_bytes = 256ull << 20;
    // How long the leader waits for a follower to answer a snapshot it sent before sending it again
    // (libraft's default): a snapshot lost with a crashed follower holds that follower back this
    // long. It must cover sending and restoring the whole state.
    unsigned install_snapshot_timeout_ms = 30'000;
    unsigned election_timeout_ms = 1000;
    unsigned heartbeat_timeout_ms = 100;
    bool stale_reads = false;
    // The cluster secret (--raft_key_file): peer connections are authenticated and encrypted
    // (secure_transport.h). Unset: libraft's plaintext TCP.
    std::optional<RaftSecret> raft_secret;
    // Snapshots by reference (above): the data folder. Empty: whole-state snapshots.
    std::string state_root;
    // Chunks of checkpoint (origin, checkpoint_id) as kept by `peer` (ledgerd: a SnapshotFetcher).
    // Unset: only checkpoints this node keeps itself can be installed.
    std::function<ChunkSource(const RaftPeer& peer, uint64_t origin, uint64_t checkpoint_id)>
        snapshot_source;
    // Tests (ledgerd --fault_crash_install_step): runs after each step of an install.
    InstallHook install_hook;
    // Tests (ledgerd --fault_snapshot_write_delay_ms): each snapshot write completes this much
    // later (take_guard.h).
    unsigned fault_snapshot_write_delay_ms = 0;
    // A loop turn busy this long or longer is logged with what it did (loop_turns.h; 0: never).
    unsigned slow_turn_ms = 300;
    // Tests (ledgerd --fault_apply_delay_ms): each Raft entry's apply takes this much longer, on
    // the loop thread, as if its RocksDB write were held up.
    unsigned fault_apply_delay_ms = 0;
  };

  // Opens libraft on options.raft_dir over `store` (which must outlive the node) and starts the
  // loop.
  static absl::StatusOr<std::unique_ptr<RaftNode>> Start(RocksStore* store, Clock* clock,
                                                         Options options,
                                                         NodeObserver observer = {});
  ~RaftNode() override;  // Stops Raft; requests still queued are answered UNAVAILABLE.

  void SubmitAsync(std::vector<Command> commands, SubmitDone done,
                   std::string operator_name = "") override;
  absl::Status ReadBarrier() override;
  const KvReader& state() const override { return *store_; }
  std::unique_ptr<KvReader> StateSnapshot() const override { return store_->Snapshot(); }
  uint64_t committed_index() const override;
  uint64_t WaitForIndexAfter(uint64_t index, std::chrono::milliseconds timeout) override;

  RaftStatus status() const;
  // DATA_LOSS after a broken invariant; UNAVAILABLE while libraft is unavailable or no leader is
  // known (a follower that knows the leader is healthy: it answers with the leader's address). A
  // leader that loses contact with a majority steps down within an election timeout, so a node cut
  // off from a quorum turns unhealthy then.
  absl::Status Health() const override;

  // Cluster membership (run on the leader; UNAVAILABLE with the leader's address elsewhere).
  // Adds a peer as a non-voting standby: it receives the log (or a snapshot) but does not vote yet.
  absl::Status AddPeer(const RaftPeer& peer);
  absl::Status PromotePeer(uint64_t id);  // Makes a caught-up peer a voter.
  absl::Status RemovePeer(uint64_t id);
  absl::Status TransferLeadership(uint64_t id);  // 0: to the most up-to-date voter.

  // Cluster.SnapshotChunk: a chunk of a file of checkpoint (origin, checkpoint_id) kept here. Any
  // thread. NOT_FOUND once the checkpoint was removed (the fetching replica is sent a newer one).
  absl::StatusOr<std::string> ReadSnapshotChunk(uint64_t origin, uint64_t checkpoint_id,
                                                const std::string& name, uint64_t offset) const;

  // Bounds.
  static constexpr int kProposalsInFlightMax = 4;
  static constexpr size_t kQueuedRequestsMax = 16384;

 private:
  struct Request {
    std::vector<Command> commands;
    SubmitDone done;
    std::string operator_name;  // "" for the public services.
  };
  struct Proposal {
    RaftNode* node = nullptr;
    struct raft_apply apply;  // libraft's request; apply.data points back here.
    uint64_t number = 0;
    std::vector<std::unique_ptr<Request>> requests;
    std::optional<Replica::Applied> result;
    double apply_seconds = 0;
    std::chrono::steady_clock::time_point start;
  };
  struct ReadWaiter {
    std::promise<absl::Status> done;
  };
  struct Barrier {
    RaftNode* node = nullptr;
    struct raft_barrier barrier;
    std::vector<std::unique_ptr<ReadWaiter>> waiters;
  };
  // A membership or leadership request run on the loop thread.
  struct Admin {
    RaftNode* node = nullptr;
    std::function<int(RaftNode*, Admin*)> start;  // Returns a libraft error code (0: started).
    std::function<int(RaftNode*, Admin*)> then;   // Optional second change once the first is done.
    uint64_t target = 0;                          // The peer a transfer aims at.
    std::promise<absl::Status> done;
    raft_change change;
    struct raft_transfer transfer;
  };

  RaftNode(RocksStore* store, Clock* clock, Options options, NodeObserver observer);
  absl::Status Init();
  absl::Status InitIo();
  absl::Status InitTransport(
      raft_uv_transport** transport);  // Sets *transport to what raft_uv uses.
  void Run();

  // Loop thread.
  static void OnWake(uv_async_t* handle);
  static void OnTimer(uv_timer_t* handle);
  static void OnTurn(uv_prepare_t* handle);
  static void OnApplied(struct raft_apply* request, int status, void* result);
  static void OnBarrier(struct raft_barrier* request, int status);
  static void OnChange(raft_change* request, int status);
  static void OnTransfer(struct raft_transfer* request);
  static void OnRaftClosed(struct raft* raft);
  static int FsmApply(raft_fsm* fsm, const raft_buffer* buffer, void** result);
  static int FsmSnapshot(raft_fsm* fsm, raft_buffer* buffers[], unsigned* count);
  static int FsmRestore(raft_fsm* fsm, raft_buffer* buffer);
  // Snapshots by reference (loop thread).
  // A snapshot libraft took is a placeholder until its RocksDB checkpoint is made, off the loop
  // thread (TakeGuard's Prepare): MakeCheckpoint on checkpoint_thread_, then FinishTake on the
  // loop thread fills in the manifest and lets libraft write the snapshot.
  void PrepareTake(const raft_snapshot* snapshot, std::function<void()> ready);
  absl::StatusOr<std::string> MakeCheckpoint(uint64_t index);  // The encoded manifest.
  static void OnCheckpointMade(uv_async_t* handle);
  void FinishTake();
  absl::Status InstallManifest(const CheckpointManifest& manifest);
  absl::StatusOr<ChunkSource> SnapshotSource(const CheckpointManifest& manifest);
  std::string CheckpointDir(uint64_t origin, uint64_t checkpoint_id) const;
  void PruneCheckpoints();
  void FinishRestore(uint64_t before, uint64_t bytes, std::chrono::steady_clock::time_point start);
  void Propose();
  void IssueBarrier();
  void RefreshStatus();
  void Close();
  void FailBacklog(const absl::Status& status);
  absl::Status NotLeaderHere();    // Loop thread: from libraft's own view.
  absl::Status NotLeader() const;  // Any thread: from the cached status.
  // Loop thread (or before it starts): logs, tells the observer, refuses everything from now on
  // (failed_) and has the loop close libraft.
  void StopForInvariant(const std::string& violation);
  // Loop thread: a store write failed (replica.h write_failed()); stops as StopForInvariant does,
  // refusing everything with `failure` (UNAVAILABLE) until restarted.
  void StopForWriteFailure(const absl::Status& failure);
  absl::Status Failed() const;  // Any thread: failed_.
  absl::Status RunAdmin(std::function<int(RaftNode*, Admin*)> start,
                        std::function<int(RaftNode*, Admin*)> then = nullptr);
  void Answer(Proposal& proposal, int status);
  absl::Status AdminError(int rv);
  static void FinishAdmin(Admin* admin, absl::Status status);

  RocksStore* store_;
  Clock* clock_;
  Options options_;
  NodeObserver observer_;

  // The replica's view of the store: reads of the hot records (accounts, assets, lots, the journal
  // head) come from a write-through cache, as in the single node, instead of a RocksDB lookup per
  // account per transfer. Every write, snapshot restores included, goes through Write and updates
  // the cache.
  // Its writes' time counts in the loop turn (loop_turns.h).
  class StoreAdapter final : public ReplicaStore {
   public:
    StoreAdapter(RocksStore* store, LoopTurns* turns)
        : store_(store), turns_(turns), hot_(*store) {}
    const KvReader& reader() const override { return hot_; }
    absl::Status Write(const WriteSet& writes, bool sync) override {
      absl::Status written;
      {
        LoopTurns::Timer timer(turns_, LoopTurns::kStoreWrite);
        written = store_->Write(writes, sync);
      }
      if (written.ok()) hot_.Remember(writes);
      return written;
    }
    void Reset() { hot_.Clear(); }  // The store was replaced (a snapshot installed).

   private:
    RocksStore* store_;
    LoopTurns* turns_;
    CachedKv hot_;
  };
  LoopTurns turns_;  // Loop thread only; its figures are copied into status_ by RefreshStatus.
  StoreAdapter adapter_;
  Replica replica_;  // Loop thread only.

  uv_loop_t loop_;
  uv_async_t wake_;
  uv_timer_t timer_;
  uv_prepare_t turn_;  // Once per loop iteration, before the wait for I/O: ends a turn (OnTurn).
  NoDelayTransport transport_;        // Without a raft_secret.
  SecureTransport secure_transport_;  // With one.
  raft_io io_;
  TakeGuard take_guard_;  // Wraps io_ against libraft 0.22.1's install-during-take crash.
  raft_fsm fsm_;
  struct raft raft_;
  std::thread thread_;

  // Loop thread only.
  std::deque<std::unique_ptr<Request>> backlog_;
  std::map<uint64_t, std::unique_ptr<Proposal>> proposals_;
  std::vector<std::unique_ptr<ReadWaiter>> reads_waiting_;
  std::unique_ptr<Barrier> barrier_;  // In flight.
  std::vector<std::unique_ptr<Admin>> admins_running_;
  uint64_t next_proposal_;
  Timestamp last_proposed_timestamp_ = 0;
  bool closing_ = false;

  mutable std::mutex mutex_;
  std::condition_variable committed_changed_;
  std::deque<std::unique_ptr<Request>> queue_ ABSL_GUARDED_BY(mutex_);
  std::vector<std::unique_ptr<ReadWaiter>> reads_queued_ ABSL_GUARDED_BY(mutex_);
  std::vector<std::unique_ptr<Admin>> admins_queued_ ABSL_GUARDED_BY(mutex_);
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  absl::Status failed_ ABSL_GUARDED_BY(mutex_);        // The invariant broke or a write failed.
  bool loop_running_ ABSL_GUARDED_BY(mutex_) = false;  // wake_ may be signalled.
  bool wake_closed_ ABSL_GUARDED_BY(mutex_) = false;   // wake_ may not be signalled.
  uint64_t journal_index_ ABSL_GUARDED_BY(mutex_) = 0;
  RaftStatus status_ ABSL_GUARDED_BY(mutex_);
  SnapshotFigures snapshots_;  // Loop thread only; copied into status_ by RefreshStatus.
  // Options::log_memory_bytes (loop thread): entries applied since the last take, and whether
  // libraft has been asked for one early (threshold lowered to 1 until FsmSnapshot).
  void LogBudgetCount(size_t entry_bytes);
  void LogBudgetTaking();
  void LogBudgetReset();
  uint64_t log_entries_since_take_ = 0;
  bool log_take_asked_ = false;
  // The take being prepared (loop thread; checkpoint_result_ is written by checkpoint_thread_
  // before it signals checkpoint_made_, and read after joining it).
  struct PendingTake {
    uint64_t index = 0;
    std::chrono::steady_clock::time_point start;
    const raft_snapshot* snapshot = nullptr;
    std::function<void()> ready;
  };
  std::optional<PendingTake> take_;
  uv_async_t checkpoint_made_;
  std::thread checkpoint_thread_;
  absl::StatusOr<std::string> checkpoint_result_;
  CheckpointHashCache hashes_;
  std::map<uint64_t, RaftPeer> peers_ ABSL_GUARDED_BY(mutex_);  // id -> addresses.
};

}  // namespace ledger

#endif  // LEDGER_REPLICATION_RAFT_NODE_H_
