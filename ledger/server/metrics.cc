// Prometheus metrics: see metrics.h.
#include "ledger/server/metrics.h"

#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <limits>

namespace ledger {

Metrics::Metrics(const std::string& listen_address)
    : registry_(std::make_shared<prometheus::Registry>()) {
  RegisterDecisions();
  RegisterBatches();
  RegisterState();
  RegisterAlarms();
  if (!listen_address.empty()) {
    exposer_ = std::make_unique<prometheus::Exposer>(listen_address);
    exposer_->RegisterCollectable(registry_);
  }
}

void Metrics::RegisterDecisions() {
  requests_ = &prometheus::BuildCounter()
                   .Name("ledger_requests_total")
                   .Help("gRPC requests by method and status code")
                   .Register(*registry_);
  request_seconds_ = &prometheus::BuildHistogram()
                          .Name("ledger_request_duration_seconds")
                          .Help("Unary gRPC calls from arrival to status, by service and method")
                          .Register(*registry_);
  auto& transfers = prometheus::BuildCounter()
                        .Name("ledger_transfers_total")
                        .Help("Transfers decided, by result")
                        .Register(*registry_);
  auto& accounts = prometheus::BuildCounter()
                       .Name("ledger_account_commands_total")
                       .Help("Asset and account commands decided, by result")
                       .Register(*registry_);
  for (int i = 0; i < kResultCount; ++i) {
    const char* name = ResultName(static_cast<Result>(i));
    transfers_by_result_[i] = &transfers.Add({{"result", name}});
    accounts_by_result_[i] = &accounts.Add({{"result", name}});
  }
}

void Metrics::RegisterBatches() {
  batch_commands_ = &prometheus::BuildHistogram()
                         .Name("ledger_batch_commands")
                         .Help("Commands per committed batch")
                         .Register(*registry_)
                         .Add({}, prometheus::Histogram::BucketBoundaries{1, 2, 5, 10, 50, 100, 500,
                                                                          1000, 4000, 8190});
  batch_requests_ =
      &prometheus::BuildHistogram()
           .Name("ledger_batch_requests")
           .Help("Client requests merged into one committed batch (group commit)")
           .Register(*registry_)
           .Add({}, prometheus::Histogram::BucketBoundaries{1, 2, 4, 8, 16, 32, 64, 128, 256});
  commit_seconds_ = &prometheus::BuildHistogram()
                         .Name("ledger_commit_seconds")
                         .Help("Apply plus durable write of one batch")
                         .Register(*registry_)
                         .Add({}, prometheus::Histogram::BucketBoundaries{
                                      0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1});
  apply_seconds_ =
      &prometheus::BuildHistogram()
           .Name("ledger_apply_seconds")
           .Help("The core's apply of one batch (the rest of commit_seconds is the durable write)")
           .Register(*registry_)
           .Add({}, prometheus::Histogram::BucketBoundaries{0.0005, 0.001, 0.002, 0.005, 0.01, 0.02,
                                                            0.05, 0.1, 0.25, 1});
  store_write_seconds_ =
      &prometheus::BuildHistogram()
           .Name("ledger_store_write_seconds")
           .Help("Single node: the durable write of one batch (RocksDB write and WAL fsync)")
           .Register(*registry_)
           .Add({}, prometheus::Histogram::BucketBoundaries{0.0001, 0.0005, 0.001, 0.002, 0.005,
                                                            0.01, 0.02, 0.05, 0.1, 0.25, 1});
  fsyncs_ = &prometheus::BuildCounter()
                 .Name("ledger_fsyncs_total")
                 .Help("Durable (fsynced) batch writes")
                 .Register(*registry_)
                 .Add({});
}

void Metrics::RegisterState() {
  auto& expired =
      prometheus::BuildCounter()
          .Name("ledger_expired_total")
          .Help(
              "Items released by the sweeps at the start of a batch (lots, pendings, spent nonces)")
          .Register(*registry_);
  expired_lots_ = &expired.Add({{"kind", "lot"}});
  expired_pendings_ = &expired.Add({{"kind", "pending"}});
  pruned_nonces_ =
      &expired.Add({{"kind", "nonce"}});  // Spent request nonces forgotten after their window.
  journal_index_ = &prometheus::BuildGauge()
                        .Name("ledger_journal_index")
                        .Help("Newest committed journal index")
                        .Register(*registry_)
                        .Add({});
  pending_compaction_bytes_ =
      UnlabelledGauge("ledger_rocksdb_pending_compaction_bytes",
                      "RocksDB's estimate of bytes compaction must rewrite (all column families)");
  live_data_bytes_ = UnlabelledGauge("ledger_rocksdb_live_data_bytes",
                                     "RocksDB's estimate of live data size (all column families)");
  write_stopped_ = UnlabelledGauge("ledger_rocksdb_write_stopped",
                                   "1 while RocksDB stops writes (a write stall)");
  delayed_write_rate_ =
      UnlabelledGauge("ledger_rocksdb_delayed_write_rate_bytes_per_second",
                      "The rate RocksDB slows writes to; 0 unless writes are being delayed");
  filesystem_avail_bytes_ =
      UnlabelledGauge("ledger_data_filesystem_avail_bytes",
                      "Bytes free to ledgerd on the data directory's filesystem");
  filesystem_size_bytes_ = UnlabelledGauge("ledger_data_filesystem_size_bytes",
                                           "Size of the data directory's filesystem");
}

void Metrics::RegisterAlarms() {
  invariant_violations_ = &prometheus::BuildCounter()
                               .Name("ledger_invariant_violations_total")
                               .Help(
                                   "Ledger invariants found broken (at start or by a batch); the "
                                   "node then takes no writes")
                               .Register(*registry_)
                               .Add({});
  clock_offset_ = &prometheus::BuildGauge()
                       .Name("ledger_clock_offset_seconds")
                       .Help("Wall clock minus real time (boot-time clock) since the node started")
                       .Register(*registry_)
                       .Add({});
  clock_refusals_ =
      &prometheus::BuildCounter()
           .Name("ledger_clock_refusals_total")
           .Help("Stamps refused because the wall clock jumped or is behind the ledger's clock")
           .Register(*registry_)
           .Add({});
}

Metrics::~Metrics() = default;

int Metrics::ListeningPort() const {
  if (!exposer_) return 0;
  const std::vector<int> ports = exposer_->GetListeningPorts();
  return ports.empty() ? 0 : ports.front();
}

NodeObserver Metrics::Observer() {
  NodeObserver observer;
  observer.on_batch = [this](size_t requests, size_t commands, double apply_seconds,
                             double commit_seconds) {
    apply_seconds_->Observe(apply_seconds);
    batch_commands_->Observe(static_cast<double>(commands));
    batch_requests_->Observe(static_cast<double>(requests));
    commit_seconds_->Observe(commit_seconds);
    fsyncs_->Increment();
    journal_index_->Increment();
  };
  observer.on_store_write = [this](double seconds) { store_write_seconds_->Observe(seconds); };
  observer.on_invariant_violation = [this](const std::string&) {
    invariant_violations_->Increment();
  };
  observer.on_outcome = [this](const Outcome& outcome, const Command& command) {
    const int index = static_cast<int>(outcome.result);
    if (index >= kResultCount) return;
    // Settings (assets, accounts, keys, cards, fees, programs, consents, ...: CommandTraits::kClass
    // in ledger/core/command.h) apart from what moves money.
    const bool setting = CommandClassOf(command) == CommandClass::kSetting;
    (setting ? accounts_by_result_ : transfers_by_result_)[index]->Increment();
  };
  observer.on_sweep = [this](const ApplyCounters& counters) {
    expired_lots_->Increment(static_cast<double>(counters.expired_lots));
    expired_pendings_->Increment(static_cast<double>(counters.expired_pendings));
    pruned_nonces_->Increment(static_cast<double>(counters.pruned_nonces));
  };
  return observer;
}

void Metrics::OnRequest(const std::string& method, int grpc_code) {
  requests_->Add({{"method", method}, {"code", std::to_string(grpc_code)}}).Increment();
}

void Metrics::ObserveRequest(const std::string& full_method, double seconds) {
  // "/package.Service/Method": the service and the method apart, so a dashboard can sum a service.
  const size_t slash = full_method.rfind('/');
  std::string service = "unknown";
  std::string method = full_method;
  if (slash != std::string::npos && slash > 0 && full_method[0] == '/') {
    service = full_method.substr(1, slash - 1);
    method = full_method.substr(slash + 1);
  }
  // From a cache hit to a slow disk's commit (the committer's batching window is ~1 ms).
  static const prometheus::Histogram::BucketBoundaries kBuckets = {
      0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  request_seconds_->Add({{"service", service}, {"method", method}}, kBuckets).Observe(seconds);
}

void Metrics::SetJournalIndex(uint64_t index) { journal_index_->Set(static_cast<double>(index)); }

void Metrics::SetStorage(uint64_t pending_compaction_bytes, uint64_t live_data_bytes,
                         bool write_stopped, uint64_t delayed_write_rate,
                         uint64_t filesystem_avail_bytes, uint64_t filesystem_size_bytes) {
  pending_compaction_bytes_->Set(static_cast<double>(pending_compaction_bytes));
  live_data_bytes_->Set(static_cast<double>(live_data_bytes));
  write_stopped_->Set(write_stopped ? 1 : 0);
  delayed_write_rate_->Set(static_cast<double>(delayed_write_rate));
  filesystem_avail_bytes_->Set(static_cast<double>(filesystem_avail_bytes));
  filesystem_size_bytes_->Set(static_cast<double>(filesystem_size_bytes));
}

void Metrics::SetClock(int64_t offset_nanos, uint64_t refusals) {
  clock_offset_->Set(static_cast<double>(offset_nanos) / 1e9);
  if (refusals > clock_refusals_seen_)
    clock_refusals_->Increment(static_cast<double>(refusals - clock_refusals_seen_));
  clock_refusals_seen_ = refusals;
}

void Metrics::SetClusterClock(size_t agreeing, size_t needed,
                              const std::map<uint64_t, double>& offset_seconds,
                              const std::vector<uint64_t>& peers, uint64_t refusals) {
  if (cluster_clock_agreeing_ == nullptr) {
    auto gauge = [this](const char* name,
                        const char* help) -> prometheus::Family<prometheus::Gauge>& {
      return prometheus::BuildGauge().Name(name).Help(help).Register(*registry_);
    };
    cluster_clock_agreeing_ =
        &gauge("ledger_cluster_clock_agreeing",
               "Voting members (this node included) whose clocks agree with this node's")
             .Add({});
    cluster_clock_needed_ = &gauge("ledger_cluster_clock_needed",
                                   "Agreeing voters a leader needs to stamp (a majority)")
                                 .Add({});
    cluster_clock_offsets_ =
        &gauge("ledger_cluster_clock_offset_seconds",
               "A peer voter's clock minus this node's (best recent sample; NaN without one)");
    cluster_clock_refusals_ =
        &prometheus::BuildCounter()
             .Name("ledger_cluster_clock_refusals_total")
             .Help("Stamps refused because this leader's clock disagrees with the cluster's")
             .Register(*registry_)
             .Add({});
  }
  cluster_clock_agreeing_->Set(static_cast<double>(agreeing));
  cluster_clock_needed_->Set(static_cast<double>(needed));
  for (uint64_t peer : peers) {
    auto it = offset_seconds.find(peer);
    cluster_clock_offsets_->Add({{"peer", std::to_string(peer)}})
        .Set(it == offset_seconds.end() ? std::numeric_limits<double>::quiet_NaN() : it->second);
  }
  if (refusals > cluster_clock_refusals_seen_) {
    cluster_clock_refusals_->Increment(
        static_cast<double>(refusals - cluster_clock_refusals_seen_));
  }
  cluster_clock_refusals_seen_ = refusals;
}

void Metrics::SetRaft(uint64_t term, const std::string& role, uint64_t commit_index,
                      uint64_t applied_index, uint64_t last_index) {
  auto gauge = [this](const char* name,
                      const char* help) -> prometheus::Family<prometheus::Gauge>& {
    return prometheus::BuildGauge().Name(name).Help(help).Register(*registry_);
  };
  if (raft_ == nullptr) {
    raft_ = &gauge("ledger_raft_role", "1 for this replica's current Raft role");
    raft_term_ = &gauge("ledger_raft_term", "Raft term").Add({});
    raft_commit_ = &gauge("ledger_raft_commit_index", "Raft commit index known here").Add({});
    raft_applied_ =
        &gauge("ledger_raft_applied_index", "Raft index applied to this replica's state").Add({});
    raft_last_ = &gauge("ledger_raft_last_index", "Last index in this replica's Raft log").Add({});
  }
  raft_term_->Set(static_cast<double>(term));
  raft_commit_->Set(static_cast<double>(commit_index));
  raft_applied_->Set(static_cast<double>(applied_index));
  raft_last_->Set(static_cast<double>(last_index));
  for (const char* name : {"leader", "follower", "candidate", "unavailable"}) {
    raft_->Add({{"role", name}}).Set(role == name ? 1 : 0);
  }
}

void Metrics::SetFollowerLag(const std::map<uint64_t, uint64_t>& lag_by_peer,
                             const std::vector<uint64_t>& peers) {
  if (follower_lag_ == nullptr) {
    follower_lag_ =
        &prometheus::BuildGauge()
             .Name("ledger_raft_follower_lag_entries")
             .Help("On the leader: a member's Raft entries behind the leader's last index")
             .Register(*registry_);
  }
  for (uint64_t peer : peers) {
    auto lag = lag_by_peer.find(peer);
    follower_lag_->Add({{"peer", std::to_string(peer)}})
        .Set(lag == lag_by_peer.end() ? std::numeric_limits<double>::quiet_NaN()
                                      : static_cast<double>(lag->second));
  }
}

prometheus::Gauge* Metrics::UnlabelledGauge(const char* name, const char* help) {
  return &prometheus::BuildGauge().Name(name).Help(help).Register(*registry_).Add({});
}

prometheus::Counter* Metrics::UnlabelledCounter(const char* name, const char* help) {
  return &prometheus::BuildCounter().Name(name).Help(help).Register(*registry_).Add({});
}

void Metrics::SetSnapshots(const SnapshotFigures& figures) {
  if (snapshots_taken_ == nullptr) {
    snapshots_taken_ = UnlabelledCounter("ledger_raft_snapshots_total",
                                         "Raft snapshots this node took since it started");
    snapshots_installed_ = UnlabelledCounter("ledger_raft_snapshot_installs_total",
                                             "Raft snapshots this node installed since it started");
    snapshot_take_seconds_ =
        UnlabelledGauge("ledger_raft_snapshot_last_seconds", "Time to take the last Raft snapshot");
    snapshot_take_bytes_ =
        UnlabelledGauge("ledger_raft_snapshot_last_bytes", "Size of the last Raft snapshot taken");
    snapshot_install_seconds_ = UnlabelledGauge("ledger_raft_snapshot_install_last_seconds",
                                                "Time to install the last Raft snapshot");
    snapshot_install_bytes_ = UnlabelledGauge("ledger_raft_snapshot_install_last_bytes",
                                              "Size of the last Raft snapshot installed");
    snapshot_held_messages_ = UnlabelledCounter(
        "ledger_raft_snapshot_held_messages_total",
        "Raft messages held until this node's snapshot write completed (an InstallSnapshot "
        "received meanwhile, and what followed it)");
    log_bytes_ =
        UnlabelledGauge("ledger_raft_log_bytes_since_snapshot",
                        "Bytes of the Raft entries applied since this node's last snapshot (held "
                        "in memory until the next one; see --raft_log_memory_bytes)");
    snapshot_trailing_ =
        UnlabelledGauge("ledger_raft_snapshot_trailing_entries",
                        "Raft entries a snapshot keeps behind it for lagging followers "
                        "(--snapshot_trailing, fewer if --raft_log_memory_bytes needs)");
  }
  snapshots_taken_->Increment(static_cast<double>(figures.taken - snapshots_seen_.taken));
  snapshots_installed_->Increment(
      static_cast<double>(figures.installed - snapshots_seen_.installed));
  snapshot_take_seconds_->Set(figures.last_take_seconds);
  snapshot_take_bytes_->Set(static_cast<double>(figures.last_take_bytes));
  snapshot_install_seconds_->Set(figures.last_install_seconds);
  snapshot_install_bytes_->Set(static_cast<double>(figures.last_install_bytes));
  snapshot_held_messages_->Increment(
      static_cast<double>(figures.held_messages - snapshots_seen_.held_messages));
  log_bytes_->Set(static_cast<double>(figures.log_bytes));
  snapshot_trailing_->Set(static_cast<double>(figures.trailing));
  snapshots_seen_ = figures;
}

void Metrics::SetLoop(const LoopFigures& figures) {
  if (loop_busy_ == nullptr) {
    loop_busy_ = UnlabelledCounter("ledger_raft_loop_busy_seconds_total",
                                   "Time the Raft loop thread was busy (not waiting for I/O): its "
                                   "rate is the thread's utilisation");
    loop_slow_turns_ = UnlabelledCounter("ledger_raft_loop_slow_turns_total",
                                         "Turns of the Raft loop busy for --raft_slow_turn_ms or "
                                         "longer (each is logged with what it did)");
    loop_longest_ = UnlabelledGauge("ledger_raft_loop_longest_turn_seconds",
                                    "The busiest turn of the Raft loop since the node started");
  }
  loop_busy_->Increment(std::max(0.0, figures.busy_seconds - loop_seen_.busy_seconds));
  loop_slow_turns_->Increment(static_cast<double>(figures.slow_turns - loop_seen_.slow_turns));
  loop_longest_->Set(figures.longest_turn_seconds);
  loop_seen_ = figures;
}

}  // namespace ledger
