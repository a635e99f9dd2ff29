// Prometheus metrics for ledgerd, served over HTTP on their own port (/metrics). Metrics live only
// in the shell: the core exposes plain counters (ApplyCounters) and the node calls NodeObserver
// hooks.
#ifndef LEDGER_SERVER_METRICS_H_
#define LEDGER_SERVER_METRICS_H_

#include <array>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ledger/commit/observer.h"
#include "ledger/core/records.h"

namespace prometheus {
class Counter;
class Exposer;
class Gauge;
class Histogram;
class Registry;
template <typename T>
class Family;
}  // namespace prometheus

namespace ledger {

class Metrics {
 public:
  // listen_address like "127.0.0.1:7401"; empty serves nothing (metrics are still counted).
  explicit Metrics(const std::string& listen_address);
  ~Metrics();

  NodeObserver Observer();
  void OnRequest(const std::string& method, int grpc_code);
  // ledger_request_duration_seconds{service,method}: one unary call from its arrival to its status,
  // on every service (request_timer.h times them). `full_method` as gRPC names it:
  // "/ledger.v1.Pos/CreatePayment".
  void ObserveRequest(const std::string& full_method, double seconds);
  void SetJournalIndex(uint64_t index);
  // ledger_clock_offset_seconds (the wall clock minus real time since the node started, see
  // clock_guard.h) and ledger_clock_refusals_total (checks refused: batches, and the node's own
  // once-a-second check).
  void SetClock(int64_t offset_nanos, uint64_t refusals);
  // Raft replicas only (replication/cluster_clock.h): ledger_cluster_clock_agreeing (voting
  // members, this node included, whose clocks agree with this node's), ledger_cluster_clock_needed
  // (a majority of the voters), ledger_cluster_clock_offset_seconds{peer} (a peer voter's clock
  // minus this node's, best recent sample; NaN without one) and ledger_cluster_clock_refusals_total
  // (stamps refused for disagreement).
  void SetClusterClock(size_t agreeing, size_t needed,
                       const std::map<uint64_t, double>& offset_seconds,
                       const std::vector<uint64_t>& peers, uint64_t refusals);
  // Raft replicas only (absent on a single node): ledger_raft_term, ledger_raft_role{role} (1 for
  // the current role), ledger_raft_commit_index, ledger_raft_applied_index, ledger_raft_last_index.
  // Entries per second is rate(ledger_raft_applied_index[1m]); batch size and apply latency are the
  // ledger_batch_* histograms.
  void SetRaft(uint64_t term, const std::string& role, uint64_t commit_index,
               uint64_t applied_index, uint64_t last_index);
  // Raft replicas only: ledger_raft_follower_lag_entries{peer}, on the leader, for each other
  // member its entries behind this node's last index (NaN when libraft does not know its match
  // index yet; NaN everywhere on a node that does not lead).
  void SetFollowerLag(const std::map<uint64_t, uint64_t>& lag_by_peer,
                      const std::vector<uint64_t>& peers);
  // Raft replicas only, counts since the node started: ledger_raft_snapshots_total and
  // ledger_raft_snapshot_installs_total, and the last one's ledger_raft_snapshot_last_seconds /
  // ledger_raft_snapshot_last_bytes and ledger_raft_snapshot_install_last_seconds /
  // ledger_raft_snapshot_install_last_bytes (ledger/commit/observer.h).
  void SetSnapshots(const SnapshotFigures& figures);
  // Raft replicas only: the Raft loop thread's ledger_raft_loop_busy_seconds_total,
  // ledger_raft_loop_slow_turns_total (turns busy for --raft_slow_turn_ms or longer) and
  // ledger_raft_loop_longest_turn_seconds since the node started (ledger/commit/observer.h).
  void SetLoop(const LoopFigures& figures);
  // Storage, sampled once a second: ledger_rocksdb_pending_compaction_bytes,
  // ledger_rocksdb_live_data_bytes, ledger_rocksdb_write_stopped (1 while RocksDB stops writes),
  // ledger_rocksdb_delayed_write_rate_bytes_per_second (0 unless RocksDB is slowing writes), and
  // the data directory's filesystem: ledger_data_filesystem_avail_bytes (free to this user) and
  // ledger_data_filesystem_size_bytes.
  void SetStorage(uint64_t pending_compaction_bytes, uint64_t live_data_bytes, bool write_stopped,
                  uint64_t delayed_write_rate, uint64_t filesystem_avail_bytes,
                  uint64_t filesystem_size_bytes);
  // The port /metrics is served on (useful with port 0); 0 when not serving.
  int ListeningPort() const;

 private:
  // A metric without labels, registered under `name`.
  prometheus::Gauge* UnlabelledGauge(const char* name, const char* help);
  prometheus::Counter* UnlabelledCounter(const char* name, const char* help);
  // The constructor's parts: requests and decisions by result; batch sizes, commit latencies and
  // fsyncs; sweeps, the journal index and the store's gauges; invariant violations and the clock.
  void RegisterDecisions();
  void RegisterBatches();
  void RegisterState();
  void RegisterAlarms();

  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  prometheus::Family<prometheus::Counter>* requests_;
  prometheus::Family<prometheus::Histogram>* request_seconds_;
  std::array<prometheus::Counter*, kResultCount> transfers_by_result_{};
  std::array<prometheus::Counter*, kResultCount> accounts_by_result_{};
  prometheus::Histogram* batch_commands_;
  prometheus::Histogram* batch_requests_;
  prometheus::Histogram* commit_seconds_;
  prometheus::Histogram* apply_seconds_;
  prometheus::Histogram* store_write_seconds_;
  prometheus::Counter* fsyncs_;
  prometheus::Counter* expired_lots_;
  prometheus::Counter* expired_pendings_;
  prometheus::Counter* pruned_nonces_;
  prometheus::Gauge* journal_index_;
  prometheus::Gauge* pending_compaction_bytes_;
  prometheus::Gauge* live_data_bytes_;
  prometheus::Gauge* write_stopped_;
  prometheus::Gauge* delayed_write_rate_;
  prometheus::Gauge* filesystem_avail_bytes_;
  prometheus::Gauge* filesystem_size_bytes_;
  prometheus::Gauge* clock_offset_;
  prometheus::Counter* invariant_violations_;
  prometheus::Counter* clock_refusals_;
  uint64_t clock_refusals_seen_ = 0;
  prometheus::Gauge* cluster_clock_agreeing_ = nullptr;  // Created with the first SetClusterClock.
  prometheus::Gauge* cluster_clock_needed_ = nullptr;
  prometheus::Family<prometheus::Gauge>* cluster_clock_offsets_ = nullptr;
  prometheus::Counter* cluster_clock_refusals_ = nullptr;
  uint64_t cluster_clock_refusals_seen_ = 0;
  prometheus::Family<prometheus::Gauge>* raft_ = nullptr;  // Role; created with the gauges below.
  prometheus::Gauge* raft_term_ = nullptr;
  prometheus::Gauge* raft_commit_ = nullptr;
  prometheus::Gauge* raft_applied_ = nullptr;
  prometheus::Gauge* raft_last_ = nullptr;
  prometheus::Family<prometheus::Gauge>* follower_lag_ = nullptr;  // Created on first use.
  prometheus::Counter* loop_busy_ = nullptr;  // Created with the first SetLoop.
  prometheus::Counter* loop_slow_turns_ = nullptr;
  prometheus::Gauge* loop_longest_ = nullptr;
  LoopFigures loop_seen_;
  prometheus::Counter* snapshots_taken_ = nullptr;  // Created with the first SetSnapshots.
  prometheus::Counter* snapshots_installed_ = nullptr;
  prometheus::Gauge* snapshot_take_seconds_ = nullptr;
  prometheus::Gauge* snapshot_take_bytes_ = nullptr;
  prometheus::Gauge* snapshot_install_seconds_ = nullptr;
  prometheus::Gauge* snapshot_install_bytes_ = nullptr;
  prometheus::Counter* snapshot_held_messages_ = nullptr;
  prometheus::Gauge* log_bytes_ = nullptr;
  prometheus::Gauge* snapshot_trailing_ = nullptr;
  SnapshotFigures snapshots_seen_;
};

}  // namespace ledger

#endif  // LEDGER_SERVER_METRICS_H_
