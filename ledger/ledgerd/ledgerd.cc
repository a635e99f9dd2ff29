// ledgerd: the ledger server. Single node by default (RocksDB, fsync per group-committed batch);
// with
// --raft_id, a replica of a Raft cluster on libraft (ledger/replication). Serves the Ledger gRPC
// API (and the Cluster API when replicated) to holders of the operator token, the signed Pos,
// Wallet and Health services to terminals, wallets and devices, the standard health service and
// server reflection, and Prometheus metrics on a separate HTTP port.
//
// The program above the services: main runs the steps of Ledgerd below in order (open the store,
// start the committer, build the services, serve, shut down); a step that fails returns the exit
// code.
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <map>
#include <thread>
#include <vector>

#include "absl/debugging/failure_signal_handler.h"
#include "absl/debugging/symbolize.h"
#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "ledger/core/golden.h"
#include "ledger/core/journal.h"
#include "ledger/core/limits.h"
#include "ledger/core/operator_name.h"
#include "ledger/core/operators.h"
#include "ledger/gateway/gateway.h"
#include "ledger/node/node.h"
#include "ledger/replication/clock_sampler.h"
#include "ledger/replication/cluster_clock.h"
#include "ledger/replication/raft_node.h"
#include "ledger/replication/snapshot_fetcher.h"
#include "ledger/server/clock_guard.h"
#include "ledger/server/cluster_service.h"
#include "ledger/server/health_service.h"
#include "ledger/server/metrics.h"
#include "ledger/server/operator_auth.h"
#include "ledger/server/operator_roles.h"
#include "ledger/server/operator_token.h"
#include "ledger/server/operators_file.h"
#include "ledger/server/pos_service.h"
#include "ledger/server/reflection_v1.h"
#include "ledger/server/request_timer.h"
#include "ledger/server/service.h"
#include "ledger/server/serving.h"
#include "ledger/server/tls.h"
#include "ledger/server/unreadable_request.h"
#include "ledger/server/wallet_service.h"
#include "ledger/storage/atomic_file.h"
#include "ledger/storage/checkpoint_files.h"
#include "ledger/storage/rocks_store.h"

ABSL_FLAG(std::string, data_dir, "var/ledger",
          "Directory of the ledger's RocksDB state (created if missing)");
ABSL_FLAG(std::string, listen, "127.0.0.1:7400",
          "gRPC listen address of the public services (Pos, Wallet, Health, the standard health "
          "checks, reflection), with server TLS (--tls_cert, --tls_key)");
ABSL_FLAG(
    std::string, operator_listen, "127.0.0.1:7402",
    "gRPC listen address of the operator services (Ledger, Cluster) with mutual TLS: a client "
    "certificate signed by --tls_client_ca is required, and its CN names the operator. Bind "
    "it to an operators' network, never a shops' one. Unused with --plaintext");
ABSL_FLAG(
    std::string, tls_cert, "",
    "This node's PEM certificate (ops/pki node: var/pki/nodes/node-ID.crt), presented on both "
    "listeners and to peers. Required unless --plaintext");
ABSL_FLAG(std::string, tls_key, "",
          "Its PEM private key (mode 0600; refused if group or others may read it). Required "
          "unless --plaintext");
ABSL_FLAG(std::string, tls_client_ca, "",
          "PEM CA certificate that signs operators' and nodes' certificates (ops/pki: "
          "var/pki/ca.crt); also verifies Raft peers' certificates. Required unless --plaintext");
ABSL_FLAG(std::string, tls_crl_dir, "",
          "Directory of the CA's certificate revocation lists, OpenSSL hashed names (ops/pki "
          "revoke: var/pki/crl). An operator or node certificate they list is refused on "
          "--operator_listen from the next handshake; open connections take no new call after "
          "--operator_connection_age_seconds. Empty: no revocation lists");
ABSL_FLAG(int32_t, operator_connection_age_seconds, 300,
          "The longest an operator connection takes new calls before the client must reconnect "
          "(and so shake hands again: a revoked certificate is refused then)");
ABSL_FLAG(int32_t, tls_reload_seconds, 10,
          "How often the --tls_cert, --tls_key and --tls_client_ca files are re-read: a rotated "
          "certificate serves new connections within this many seconds, without a restart");
ABSL_FLAG(bool, plaintext, false,
          "Development only: no TLS; every listen address must be loopback (refused otherwise). "
          "The operator services then share --listen and take the operator token "
          "(--operator_token_file) and the x-ledger-operator header");
ABSL_FLAG(
    std::string, operator_token_file, "",
    "--plaintext only: the development operator token that every Ledger and Cluster call "
    "must carry (\"authorization: Bearer TOKEN\"); created with a random token (mode 0600) if "
    "missing, refused if group or others may read it. Default: DATA_DIR/operator.token. Give "
    "every node of a Raft cluster the same file");
ABSL_FLAG(std::string, operators_file, "",
          "The operators and their roles a ledger starts with (ledger/server/operators_file.h: "
          "'NAME ROLE[,ROLE...]' per line): applied once, as journaled SetOperatorRoles by the "
          "operator 'bootstrap', when the role table was never written. Without it: one operator "
          "'dev' with every role (plaintext loopback development only)");
ABSL_FLAG(
    std::string, http_listen, "127.0.0.1:7403",
    "HTTP/JSON gateway of the public services (POST /v1/{Pos,Wallet,Health}/METHOD, Server-Sent "
    "Events for streams) and the web apps' files (--web_root), over HTTPS with --tls_cert and "
    "--tls_key (plain HTTP with --plaintext). Empty: off");
ABSL_FLAG(
    std::string, http_operator_listen, "127.0.0.1:7404",
    "HTTP/JSON gateway of every service, the operator ones (Ledger, Cluster) included, and the "
    "city console: HTTPS requiring a client certificate signed by --tls_client_ca, whose CN "
    "names the operator (with --plaintext: plain HTTP, 'Authorization: Bearer TOKEN' and "
    "'X-Ledger-Operator: NAME'). Bind it to an operators' network. Empty: off");
ABSL_FLAG(std::string, circsim, "",
          "The circulation simulator's program (sim/ circsim) for the console's recalibration "
          "(POST /v1/Console/Recalibrate on --http_operator_listen; operators holding treasurer or "
          "programme_admin, one run at a time). Empty: off");
ABSL_FLAG(std::string, web_root, "",
          "Directory of the web apps' static files served by both HTTP listeners (wallet/, shop/, "
          "console/; ops/run passes web/dist or web/). Empty: no static files");
ABSL_FLAG(std::string, metrics_listen, "127.0.0.1:7401",
          "Prometheus /metrics listen address (empty: off)");
ABSL_FLAG(std::string, port_file, "",
          "If set, write the bound ports here once serving (\"grpc PORT\\nmetrics PORT\\noperator "
          "PORT\\nhttp PORT\\nhttp_operator PORT\\n\", 0 for a listener that is off); for port 0 "
          "in tests");
ABSL_FLAG(std::string, rocksdb_options, "",
          "RocksDB option string applied over ledgerd's defaults, e.g. "
          "\"level0_file_num_compaction_trigger=8\" "
          "(RocksDB's own option names; a bad one stops start-up with RocksDB's message)");
ABSL_FLAG(
    std::string, record_batches, "",
    "Single node, testing only: write every stored batch (as replicated, with residents' step "
    "data) and "
    "its journal entry to this file, truncating it (ledger/core/golden.h; how the golden test's "
    "fixture was made)");
ABSL_FLAG(
    bool, sync, true,
    "Single node: fsync every committed batch before replying (never turn off in production)");
ABSL_FLAG(
    int64_t, clock_step_max_seconds, 60,
    "How far the wall clock may step from real time (the boot-time clock) while the node runs "
    "before it "
    "stops stamping batches (a jumped clock would lapse lots and time out pendings irreversibly)");
ABSL_FLAG(int64_t, cluster_clock_tolerance_ms, 1000,
          "Raft: the leader stamps batches only while a majority of the voting members (itself "
          "included) have "
          "clocks within this many milliseconds of its own, as sampled over the Cluster service "
          "once a second");
ABSL_FLAG(
    int64_t, fault_clock_offset_ms, 0,
    "Fault injection for tests, never for production: this process's wall clock reads this many "
    "milliseconds ahead of the machine's (negative: behind), as if its clock were set wrong");
ABSL_FLAG(uint64_t, fault_fail_writes_after_bytes, 0,
          "Fault injection for tests, never for production: once this many bytes (keys plus "
          "values) have been "
          "written to RocksDB, every later write fails as on a full disk (0: off)");
ABSL_FLAG(int, fault_crash_install_step, 0,
          "Fault injection for tests, never for production: while installing a Raft snapshot, "
          "the process exits (code 86, no clean-up) right after step N of the install "
          "(ledger/storage/checkpoint_files.h InstallStep, one step per file fetched; 0: off)");
ABSL_FLAG(uint64_t, min_free_disk_bytes, 256ull << 20,
          "Free space kept on the filesystems of --data_dir and --raft_dir: below it ledgerd does "
          "not start, and a running ledgerd stops (exit code 75) before RocksDB or libraft run "
          "out of space mid-write; free space and start it again. 0: off");
ABSL_FLAG(uint32_t, fault_snapshot_write_delay_ms, 0,
          "Fault injection for tests, never for production: each Raft snapshot this node writes "
          "completes this many milliseconds late (ledger/replication/take_guard.h; 0: off)");
ABSL_FLAG(uint32_t, fault_apply_delay_ms, 0,
          "Fault injection for tests, never for production: each Raft entry this node applies "
          "takes this many milliseconds longer, on the Raft loop thread (at most 10000; 0: off)");
ABSL_FLAG(double, pos_requests_per_second, 20,
          "Pos service: sustained requests per second per shop terminal");
ABSL_FLAG(double, pos_burst, 40,
          "Pos service: burst per shop terminal (RESOURCE_EXHAUSTED beyond)");
ABSL_FLAG(double, wallet_requests_per_second, 5,
          "Wallet and Health services: sustained requests per second per wallet");
ABSL_FLAG(double, wallet_burst, 10,
          "Wallet and Health services: burst per wallet (RESOURCE_EXHAUSTED beyond)");
ABSL_FLAG(uint64_t, raft_id, 0, "Raft: this node's id in --peers (0: single node, no Raft)");
ABSL_FLAG(
    std::string, peers, "",
    "Raft: every member, ID=RAFT_HOST:PORT/GRPC_HOST:PORT/OPERATOR_HOST:PORT,... (the gRPC and "
    "operator addresses are the leader hints clients are sent to; peers sample each other's clock "
    "on the operator address. Without TLS the operator part is left out)");
ABSL_FLAG(std::string, raft_address, "",
          "Raft: the address peers dial (default: this id's entry in --peers)");
ABSL_FLAG(std::string, raft_bind, "", "Raft: where to listen for peers (default: --raft_address)");
ABSL_FLAG(std::string, raft_key_file, "",
          "Raft: the cluster secret (64 hex digits, mode 0600), the same file on every node: peers "
          "prove they hold it and all Raft traffic is encrypted. Required with --raft_id");
ABSL_FLAG(bool, raft_plaintext, false,
          "Raft: no --raft_key_file, plaintext peers; allowed only when every Raft address "
          "(--raft_address, --raft_bind, --peers) is loopback");
ABSL_FLAG(std::string, raft_dir, "", "Raft: log segments and snapshots (default: DATA_DIR/raft)");
ABSL_FLAG(bool, bootstrap, true,
          "Raft: on an empty --raft_dir, bootstrap --peers as the voting members. Use "
          "--bootstrap=false for a "
          "node that joins later (ledgerctl cluster add/promote on the leader)");
ABSL_FLAG(std::vector<std::string>, initial_members, {},
          "Raft: ids of --peers that --bootstrap makes the voting members (default: all). List a "
          "future member "
          "in --peers but not here so that leader hints name it once it has joined");
ABSL_FLAG(uint32_t, snapshot_threshold, 8192, "Raft: log entries between snapshots");
ABSL_FLAG(uint32_t, snapshot_trailing, 4096,
          "Raft: entries kept behind a snapshot for followers that lag a little");
ABSL_FLAG(uint64_t, raft_log_memory_bytes, 256ull << 20,
          "Raft: about how much of the log is held in memory: a snapshot is taken once the entries "
          "applied since the last one reach half of it (before --snapshot_threshold), and fewer "
          "than --snapshot_trailing entries are kept behind it when they would need more than the "
          "other half (0: entry counts only; at least 1 MiB otherwise)");
ABSL_FLAG(uint32_t, raft_slow_turn_ms, 300,
          "Raft: a turn of the Raft loop thread busy this many milliseconds or longer is logged "
          "with what it did (applying entries, their RocksDB write, snapshots, CPU time, blocked "
          "and preempted); a turn past the election timeout (1000 ms) costs an election. 0: never");
ABSL_FLAG(uint32_t, install_snapshot_timeout_ms, 30000,
          "Raft: how long the leader waits for a follower's answer to a snapshot before sending it "
          "again (must "
          "cover sending and restoring the whole state; a snapshot lost with a crashed follower "
          "delays it this long)");
ABSL_FLAG(bool, stale_reads, false,
          "Raft: serve reads from this replica's state without a leader barrier (may be stale; "
          "default: reads "
          "are linearizable and go to the leader)");

namespace {

volatile std::sig_atomic_t stop_requested = 0;

// The machine's wall clock moved by a fixed offset (--fault_clock_offset_ms): a node whose clock is
// set wrong, without changing the machine's.
class OffsetClock final : public ledger::Clock {
 public:
  OffsetClock(ledger::Clock* wall, int64_t offset_nanos)
      : wall_(wall), offset_nanos_(offset_nanos) {}
  ledger::Timestamp NowNanos() override {
    return wall_->NowNanos() + static_cast<ledger::Timestamp>(offset_nanos_);
  }

 private:
  ledger::Clock* wall_;
  int64_t offset_nanos_;
};

void OnSignal(int) { stop_requested = 1; }

// ledgerd's exit code when the disk is (almost) full: EX_TEMPFAIL, "try again later" (a supervisor
// such as systemd with Restart=on-failure tries again, and ledgerd starts once space is back).
constexpr int kExitDiskFull = 75;

// The folders ledgerd writes: the data folder, and libraft's when it is elsewhere.
std::vector<std::string> WrittenFolders(const std::string& data_dir) {
  std::vector<std::string> folders = {data_dir};
  if (absl::GetFlag(FLAGS_raft_id) != 0 && !absl::GetFlag(FLAGS_raft_dir).empty())
    folders.push_back(absl::GetFlag(FLAGS_raft_dir));
  return folders;
}

// Says which folder's filesystem has less free space than --min_free_disk_bytes, or "".
std::string DiskShortage(const std::vector<std::string>& folders) {
  const uint64_t reserve = absl::GetFlag(FLAGS_min_free_disk_bytes);
  if (reserve == 0) return "";
  for (const std::string& folder : folders) {
    std::error_code error;
    const std::filesystem::space_info space = std::filesystem::space(folder, error);  // statvfs
    if (error || space.available >= reserve) continue;
    return absl::StrCat("only ", space.available, " bytes free on the filesystem of ", folder,
                        ", under --min_free_disk_bytes (", reserve,
                        "): free space (or grow the disk), then start ledgerd again");
  }
  return "";
}

// Flags, the usage message, crash reports and signals: what every run needs before anything opens.
void SetUpProcess(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "ledgerd: the regional ledger server.\n"
      "Single node: ledgerd [--data_dir=var/ledger] [--listen=127.0.0.1:7400] "
      "[--metrics_listen=127.0.0.1:7401]\n"
      "             [--operator_token_file=DATA_DIR/operator.token]\n"
      "Raft replica: ledgerd --raft_id=1 --peers=1=127.0.0.1:7501/127.0.0.1:7400,2=...,3=... "
      "[--data_dir=...]\n"
      "Run ledgerd --help for every flag.");
  absl::ParseCommandLine(argc, argv);
  // Debian's Abseil is built with Mutex deadlock detection on: a lock-order graph updated on every
  // absl::Mutex (gRPC's too) lock, a few percent of the CPU under load. It is a debugging aid.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  // A crash (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT) prints the failing thread's stack to stderr
  // before the process dies as it would have: the log says where, instead of nothing.
  absl::InitializeSymbolizer(argv[0]);
  absl::InstallFailureSignalHandler(absl::FailureSignalHandlerOptions());
  // libraft writes to peer sockets with plain write(): a peer that died must not kill us with
  // SIGPIPE.
  std::signal(SIGPIPE, SIG_IGN);
}

// The cluster secret (--raft_key_file), or none with --raft_plaintext on loopback; exit code 2
// (after saying why) otherwise.
int RaftSecretFromFlags(const std::vector<ledger::RaftPeer>& peers,
                        ledger::RaftNode::Options* options) {
  const std::string key_file = absl::GetFlag(FLAGS_raft_key_file);
  if (absl::GetFlag(FLAGS_raft_plaintext)) {
    if (!key_file.empty()) {
      fprintf(stderr, "ledgerd: --raft_plaintext and --raft_key_file: give one of them\n");
      return 2;
    }
    std::vector<std::string> addresses = {options->raft_address, options->raft_bind};
    for (const ledger::RaftPeer& peer : peers) addresses.push_back(peer.raft_address);
    for (const std::string& address : addresses) {
      if (address.empty() || ledger::IsLoopbackHostPort(address)) continue;
      fprintf(stderr,
              "ledgerd: --raft_plaintext: Raft address %s is not loopback; give every node "
              "--raft_key_file instead\n",
              address.c_str());
      return 2;
    }
    return 0;
  }
  if (key_file.empty()) {
    fprintf(
        stderr,
        "ledgerd: --raft_id needs --raft_key_file (the cluster secret: `head -c 32 /dev/urandom "
        "| xxd -p -c 64 > raft.key; chmod 600 raft.key`, the same file on every node), or "
        "--raft_plaintext on loopback\n");
    return 2;
  }
  absl::StatusOr<ledger::RaftSecret> secret = ledger::ReadRaftKeyFile(key_file);
  if (!secret.ok()) {
    fprintf(stderr, "ledgerd: %s\n", std::string(secret.status().message()).c_str());
    return 2;
  }
  options->raft_secret = *secret;
  return 0;
}

// The Raft options from the flags; exit code 2 (after saying why) for a bad --peers,
// --initial_members, --snapshot_trailing, --raft_key_file or --raft_plaintext.
int RaftOptionsFromFlags(const std::string& data_dir, ledger::RaftNode::Options* options) {
  absl::StatusOr<std::vector<ledger::RaftPeer>> peers =
      ledger::ParsePeers(absl::GetFlag(FLAGS_peers));
  if (!peers.ok()) {
    fprintf(stderr, "ledgerd: %s\n", std::string(peers.status().message()).c_str());
    return 2;
  }
  options->id = absl::GetFlag(FLAGS_raft_id);
  options->raft_address = absl::GetFlag(FLAGS_raft_address);
  options->raft_bind = absl::GetFlag(FLAGS_raft_bind);
  options->peers = *peers;
  options->raft_dir =
      absl::GetFlag(FLAGS_raft_dir).empty() ? data_dir + "/raft" : absl::GetFlag(FLAGS_raft_dir);
  options->bootstrap = absl::GetFlag(FLAGS_bootstrap);
  for (const std::string& member : absl::GetFlag(FLAGS_initial_members)) {
    uint64_t id = 0;
    if (!absl::SimpleAtoi(member, &id) || id == 0) {
      fprintf(stderr, "ledgerd: --initial_members: \"%s\" is not a positive id\n", member.c_str());
      return 2;
    }
    options->initial_members.push_back(id);
  }
  options->snapshot_threshold = absl::GetFlag(FLAGS_snapshot_threshold);
  options->snapshot_trailing = absl::GetFlag(FLAGS_snapshot_trailing);
  if (options->snapshot_trailing == 0) {
    // libraft writes a snapshot it took with trailing > 0 and one it installs with 0: the guard
    // against its install-during-take defect (take_guard.h) tells them apart by that.
    fprintf(stderr, "ledgerd: --snapshot_trailing must be at least 1\n");
    return 2;
  }
  options->log_memory_bytes = absl::GetFlag(FLAGS_raft_log_memory_bytes);
  if (options->log_memory_bytes != 0 && options->log_memory_bytes < (1u << 20)) {
    fprintf(stderr,
            "ledgerd: --raft_log_memory_bytes must be 0 or at least 1048576 (1 MiB), got %llu\n",
            static_cast<unsigned long long>(options->log_memory_bytes));
    return 2;
  }
  options->fault_snapshot_write_delay_ms = absl::GetFlag(FLAGS_fault_snapshot_write_delay_ms);
  options->slow_turn_ms = absl::GetFlag(FLAGS_raft_slow_turn_ms);
  options->fault_apply_delay_ms = absl::GetFlag(FLAGS_fault_apply_delay_ms);
  if (options->fault_apply_delay_ms > 10000) {
    fprintf(stderr, "ledgerd: --fault_apply_delay_ms must be at most 10000, got %u\n",
            options->fault_apply_delay_ms);
    return 2;
  }
  options->install_snapshot_timeout_ms = absl::GetFlag(FLAGS_install_snapshot_timeout_ms);
  options->stale_reads = absl::GetFlag(FLAGS_stale_reads);
  options->state_root = data_dir;  // Snapshots by reference (raft_node.h).
  if (const int crash_at = absl::GetFlag(FLAGS_fault_crash_install_step); crash_at > 0) {
    options->install_hook = [crash_at, steps = 0](ledger::InstallStep step) mutable {
      if (++steps < crash_at) return;
      fprintf(stderr, "ledgerd: FAULT INJECTION: exiting after install step %d (%d)\n", steps,
              static_cast<int>(step));
      fflush(stderr);
      _exit(86);
    };
  }
  return RaftSecretFromFlags(*peers, options);
}

// One run of the server. Each step returns 0 to go on, or the process's exit code after saying why.
// The members are declared in the order they are made, so they are destroyed in the reverse order.
class Ledgerd {
 public:
  int OpenStore();
  int StartCommitter();
  void BuildServices();
  int Serve();
  int ShutDown();  // The process's exit code.

 private:
  int CheckTransport();
  int LoadOperatorToken();
  int LoadOperators();
  void BootstrapOperators();
  int StartRaft();
  int StartServer();
  int StartOperatorServer();
  int StartGateways();
  int StartGateway(const std::string& address, ledger::gateway::Listener listener,
                   std::unique_ptr<ledger::gateway::Gateway>* gateway);
  absl::Status ServingProblem(const absl::Status& stamp) const;
  void SampleStorage();
  void SampleClock();
  void SampleRaft();
  void SampleClusterClock();
  void PublishHealth(const absl::Status& stamp);
  bool StopForFullDisk();  // True when the disk is too full to go on (it said so).

  std::string data_dir_;
  int exit_code_ = 0;
  bool plaintext_ = false;
  ledger::TlsFiles tls_;
  ledger::OperatorTokenFile operator_token_;
  std::unique_ptr<ledger::RocksStore> store_;
  ledger::JournalHead head_;
  std::unique_ptr<ledger::Metrics> metrics_;
  std::unique_ptr<OffsetClock> wall_;
  std::unique_ptr<ledger::GuardedClock> clock_;
  std::unique_ptr<ledger::GoldenRecorder> recorder_;  // --record_batches; outlives the committer.
  std::unique_ptr<ledger::SnapshotFetcher>
      fetcher_;  // Raft snapshot files; outlives the committer.
  std::unique_ptr<ledger::Committer> committer_;
  ledger::RaftNode* raft_ = nullptr;
  // Raft: the leader stamps with `clock_` only while the cluster's clocks agree
  // (replication/cluster_clock.h).
  std::unique_ptr<ledger::ClusterClock> cluster_clock_;
  std::unique_ptr<ledger::OperatorAuth> operator_auth_;
  // The first role table (--operators_file, or "dev"), until it is applied.
  std::vector<ledger::Command> bootstrap_operators_;
  std::atomic<bool> operators_bootstrapped_{false};
  std::atomic<bool> bootstrap_in_flight_{false};
  std::unique_ptr<ledger::LedgerService> service_;
  std::unique_ptr<merchant::PosService> pos_;
  std::unique_ptr<wallet::WalletService> wallets_;
  std::unique_ptr<wallet::HealthService> health_;
  std::unique_ptr<ledger::ClusterService> cluster_;
  std::unique_ptr<ledger::ClockSampler> sampler_;  // Samples the peers' clocks once a second.
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::unique_ptr<ledger::HealthPublisher> health_status_;
  // TLS: the operator services on --operator_listen (mutual TLS). Null with --plaintext.
  std::unique_ptr<grpc::Server> operator_server_;
  int operator_port_ = 0;
  std::unique_ptr<ledger::HealthPublisher> operator_health_;
  // The HTTP/JSON gateways (--http_listen, --http_operator_listen); null when off.
  std::unique_ptr<ledger::gateway::Gateway> http_;
  std::unique_ptr<ledger::gateway::Gateway> http_operator_;
};

// TLS (the default): the certificate files checked; --plaintext: loopback only. Exit code 2 with
// the flag and the file named.
int Ledgerd::CheckTransport() {
  plaintext_ = absl::GetFlag(FLAGS_plaintext);
  if (plaintext_) {
    if (!ledger::IsLoopbackAddress(absl::GetFlag(FLAGS_listen))) {
      fprintf(stderr,
              "ledgerd: --plaintext is for development on loopback only, and --listen %s is not a "
              "loopback address (use TLS: --tls_cert, --tls_key, --tls_client_ca)\n",
              absl::GetFlag(FLAGS_listen).c_str());
      return 2;
    }
    for (const std::string& http :
         {absl::GetFlag(FLAGS_http_listen), absl::GetFlag(FLAGS_http_operator_listen)}) {
      if (http.empty() || ledger::IsLoopbackAddress(http)) continue;
      fprintf(stderr,
              "ledgerd: --plaintext is for development on loopback only, and the HTTP listener %s "
              "is not a loopback address\n",
              http.c_str());
      return 2;
    }
    fprintf(stderr,
            "ledgerd: PLAINTEXT development mode: no TLS; the operator services share --listen "
            "with the operator token\n");
    return LoadOperatorToken();
  }
  tls_ = {absl::GetFlag(FLAGS_tls_cert), absl::GetFlag(FLAGS_tls_key),
          absl::GetFlag(FLAGS_tls_client_ca), absl::GetFlag(FLAGS_tls_crl_dir)};
  if (tls_.cert.empty() || tls_.key.empty() || tls_.client_ca.empty()) {
    fprintf(stderr,
            "ledgerd: TLS needs --tls_cert, --tls_key and --tls_client_ca (make them with "
            "ops/pki; ops/run does), or --plaintext for development on loopback\n");
    return 2;
  }
  if (absl::GetFlag(FLAGS_operator_connection_age_seconds) < 1) {
    fprintf(stderr, "ledgerd: --operator_connection_age_seconds must be at least 1\n");
    return 2;
  }
  if (absl::GetFlag(FLAGS_tls_reload_seconds) < 1) {
    fprintf(stderr, "ledgerd: --tls_reload_seconds must be at least 1\n");
    return 2;
  }
  if (absl::Status files = ledger::CheckTlsFiles(tls_); !files.ok()) {
    fprintf(stderr, "ledgerd: %s\n", std::string(files.message()).c_str());
    return 2;
  }
  return 0;
}

int Ledgerd::LoadOperatorToken() {
  const std::string token_file = absl::GetFlag(FLAGS_operator_token_file).empty()
                                     ? data_dir_ + "/operator.token"
                                     : absl::GetFlag(FLAGS_operator_token_file);
  absl::StatusOr<ledger::OperatorTokenFile> operator_token =
      ledger::LoadOrCreateOperatorTokenFile(token_file);
  if (!operator_token.ok()) {
    fprintf(stderr, "ledgerd: --operator_token_file %s\n",
            std::string(operator_token.status().message()).c_str());
    return 1;
  }
  fprintf(stderr,
          "ledgerd: operator token %s %s (clients of the Ledger and Cluster services need it)\n",
          operator_token->created ? "created in" : "read from", token_file.c_str());
  operator_token_ = *std::move(operator_token);
  return 0;
}

// The operators the role table starts with: --operators_file, or one "dev" with every role.
int Ledgerd::LoadOperators() {
  const std::string path = absl::GetFlag(FLAGS_operators_file);
  if (path.empty()) {
    fprintf(stderr,
            "ledgerd: WARNING: no --operators_file: a new role table holds one operator 'dev' with "
            "every role (plaintext loopback development only)\n");
    bootstrap_operators_.emplace_back(
        ledger::SetOperatorRoles{ledger::kDevelopmentOperatorName, ledger::kAllRoles});
    ledger::SetBootstrapRoles({{ledger::kDevelopmentOperatorName, ledger::kAllRoles}});
    return 0;
  }
  absl::StatusOr<std::vector<ledger::SetOperatorRoles>> operators = ledger::ReadOperatorsFile(path);
  if (!operators.ok()) {
    fprintf(stderr, "ledgerd: --operators_file %s\n",
            std::string(operators.status().message()).c_str());
    return 2;
  }
  std::map<std::string, ledger::RoleSet> roles;
  for (ledger::SetOperatorRoles& entry : *operators) {
    roles[entry.name] = entry.roles;
    bootstrap_operators_.emplace_back(entry);
  }
  ledger::SetBootstrapRoles(std::move(roles));
  return 0;
}

// Once, while the role table was never written: the bootstrap operators as one journaled request
// by the operator "bootstrap" (the core accepts it only then). A Raft node sends it when it leads;
// should two leaders in turn send theirs, the core applies only the first.
void Ledgerd::BootstrapOperators() {
  if (operators_bootstrapped_ || bootstrap_in_flight_) return;
  if (ledger::OperatorsBootstrapped(committer_->state())) {
    operators_bootstrapped_ = true;
    return;
  }
  if (raft_ != nullptr && raft_->status().role != "leader") return;
  bootstrap_in_flight_ = true;
  committer_->SubmitAsync(
      bootstrap_operators_,
      [this](absl::StatusOr<ledger::SubmitResult> result) {
        if (result.ok()) {
          fprintf(stderr, "ledgerd: role table bootstrapped with %zu operators (journal %llu)\n",
                  bootstrap_operators_.size(),
                  static_cast<unsigned long long>(result->journal_index));
        } else {
          fprintf(stderr, "ledgerd: role table bootstrap: %s; retrying\n",
                  result.status().ToString().c_str());
        }
        bootstrap_in_flight_ = false;
      },
      ledger::kBootstrapOperator);
}

// The data directory, the operator token, RocksDB and the metrics endpoint.
int Ledgerd::OpenStore() {
  data_dir_ = absl::GetFlag(FLAGS_data_dir);
  std::error_code error;
  std::filesystem::create_directories(data_dir_, error);
  if (error) {
    fprintf(stderr, "ledgerd: cannot create --data_dir %s: %s\n", data_dir_.c_str(),
            error.message().c_str());
    return 1;
  }
  if (int code = CheckTransport(); code != 0) return code;
  if (int code = LoadOperators(); code != 0) return code;
  // Before RocksDB opens: on a full disk its recovery can fail inside RocksDB itself.
  if (const std::string shortage = DiskShortage(WrittenFolders(data_dir_)); !shortage.empty()) {
    fprintf(stderr, "ledgerd: not starting: %s\n", shortage.c_str());
    return kExitDiskFull;
  }
  ledger::RocksStore::Options store_options;
  store_options.overrides = absl::GetFlag(FLAGS_rocksdb_options);
  store_options.fault_fail_writes_after_bytes = absl::GetFlag(FLAGS_fault_fail_writes_after_bytes);
  if (store_options.fault_fail_writes_after_bytes != 0) {
    fprintf(stderr,
            "ledgerd: FAULT INJECTION: writes fail as on a full disk after %llu bytes "
            "(--fault_fail_writes_after_bytes)\n",
            static_cast<unsigned long long>(store_options.fault_fail_writes_after_bytes));
  }
  // A Raft snapshot install cut short by a crash is rolled back, a committed one forward
  // (ledger/storage/checkpoint_files.h) before the state is opened.
  if (absl::StatusOr<std::string> state = ledger::RecoverInstall(data_dir_); !state.ok()) {
    fprintf(stderr, "ledgerd: %s\n", state.status().ToString().c_str());
    return 1;
  }
  absl::StatusOr<std::unique_ptr<ledger::RocksStore>> store =
      ledger::RocksStore::Open(data_dir_, store_options);
  if (!store.ok()) {
    fprintf(stderr, "ledgerd: %s\n", store.status().ToString().c_str());
    return 1;
  }
  store_ = *std::move(store);
  head_ = ledger::ReadHead(*store_);
  try {
    metrics_ = std::make_unique<ledger::Metrics>(absl::GetFlag(FLAGS_metrics_listen));
  } catch (const std::exception& e) {
    fprintf(stderr, "ledgerd: cannot serve metrics on --metrics_listen %s: %s\n",
            absl::GetFlag(FLAGS_metrics_listen).c_str(), e.what());
    return 1;
  }
  metrics_->SetJournalIndex(head_.index);
  return 0;
}

// The guarded clock, then the single node or (--raft_id) the Raft node with its cluster clock.
int Ledgerd::StartCommitter() {
  if (absl::GetFlag(FLAGS_clock_step_max_seconds) < 1) {
    fprintf(stderr, "ledgerd: --clock_step_max_seconds must be at least 1\n");
    return 2;
  }
  if (absl::GetFlag(FLAGS_cluster_clock_tolerance_ms) < 1) {
    fprintf(stderr, "ledgerd: --cluster_clock_tolerance_ms must be at least 1\n");
    return 2;
  }
  const int64_t fault_offset_ms = absl::GetFlag(FLAGS_fault_clock_offset_ms);
  if (fault_offset_ms != 0) {
    fprintf(stderr,
            "ledgerd: FAULT INJECTION: this process's wall clock is moved by %lld ms "
            "(--fault_clock_offset_ms)\n",
            static_cast<long long>(fault_offset_ms));
  }
  wall_ = std::make_unique<OffsetClock>(ledger::RealClock(), fault_offset_ms * 1'000'000);
  // Every stamp and every request time window reads this clock (ledger/server/clock_guard.h).
  clock_ = std::make_unique<ledger::GuardedClock>(
      wall_.get(), ledger::BootTimeClock(), head_.clock,
      ledger::GuardedClock::Options{.step_max_nanos = absl::GetFlag(FLAGS_clock_step_max_seconds) *
                                                      1'000'000'000});
  recorder_ = ledger::GoldenRecorder::Open(absl::GetFlag(FLAGS_record_batches));
  if (recorder_ && absl::GetFlag(FLAGS_raft_id) != 0) {
    fprintf(stderr, "ledgerd: --record_batches is for the single node only\n");
    return 2;
  }
  if (absl::GetFlag(FLAGS_raft_id) != 0) return StartRaft();
  ledger::NodeObserver observer = metrics_->Observer();
  if (recorder_) {
    observer.on_stored_batch = [this](ledger::Timestamp timestamp, const ledger::Batch& batch,
                                      const std::string& entry_bytes) {
      recorder_->Record(timestamp, batch, entry_bytes);
    };
  }
  committer_ = std::make_unique<ledger::Node>(
      store_.get(), clock_.get(), ledger::Node::Options{.sync = absl::GetFlag(FLAGS_sync)},
      observer);
  return 0;
}

int Ledgerd::StartRaft() {
  ledger::RaftNode::Options options;
  if (int code = RaftOptionsFromFlags(data_dir_, &options); code != 0) return code;
  cluster_clock_ = std::make_unique<ledger::ClusterClock>(
      clock_.get(), ledger::BootTimeClock(), options.id,
      ledger::ClockAgreementOptions{
          .tolerance_nanos = absl::GetFlag(FLAGS_cluster_clock_tolerance_ms) * 1'000'000});
  // Snapshot files come from peers over their operator listener (or, in plaintext development
  // mode, the shared one), as the clock samples do.
  fetcher_ = std::make_unique<ledger::SnapshotFetcher>(
      plaintext_ ? grpc::InsecureChannelCredentials()
                 : ledger::ClientTlsCredentials(tls_, absl::GetFlag(FLAGS_tls_reload_seconds)),
      plaintext_ ? operator_token_.token : "", options.id);
  options.snapshot_source = [fetcher = fetcher_.get(), plaintext = plaintext_](
                                const ledger::RaftPeer& peer, uint64_t origin, uint64_t id) {
    const std::string& address =
        plaintext || peer.operator_address.empty() ? peer.grpc_address : peer.operator_address;
    return fetcher->Source(address, origin, id);
  };
  absl::StatusOr<std::unique_ptr<ledger::RaftNode>> node =
      ledger::RaftNode::Start(store_.get(), cluster_clock_.get(), options, metrics_->Observer());
  if (!node.ok()) {
    fprintf(stderr, "ledgerd: %s\n", std::string(node.status().message()).c_str());
    return 1;
  }
  raft_ = node->get();
  committer_ = std::move(*node);
  return 0;
}

// The gRPC services over the committer. The operator services (Ledger, Cluster) check the operator
// token on every call; Pos, Wallet and Health check each request's signature instead.
void Ledgerd::BuildServices() {
  operator_auth_ = plaintext_ ? std::make_unique<ledger::OperatorAuth>(operator_token_.token)
                              : std::make_unique<ledger::OperatorAuth>();
  service_ = std::make_unique<ledger::LedgerService>(committer_.get(), metrics_.get(),
                                                     operator_auth_.get());
  // Checkpoints beside the data (the same filesystem, so they are hard links), removed after each.
  service_->EnableBackups(
      {[store = store_.get()](const std::string& dir) { return store->Checkpoint(dir); },
       data_dir_ + "/backup.tmp"});
  pos_ = std::make_unique<merchant::PosService>(
      committer_.get(), clock_.get(),
      merchant::PosService::Options{absl::GetFlag(FLAGS_pos_requests_per_second),
                                    absl::GetFlag(FLAGS_pos_burst)});
  wallets_ = std::make_unique<wallet::WalletService>(
      committer_.get(), clock_.get(),
      wallet::WalletService::Options{absl::GetFlag(FLAGS_wallet_requests_per_second),
                                     absl::GetFlag(FLAGS_wallet_burst)});
  health_ = std::make_unique<wallet::HealthService>(
      committer_.get(), clock_.get(),
      wallet::HealthService::Options{absl::GetFlag(FLAGS_wallet_requests_per_second),
                                     absl::GetFlag(FLAGS_wallet_burst)});
  if (raft_ != nullptr) {
    cluster_ = std::make_unique<ledger::ClusterService>(raft_, operator_auth_.get(), clock_.get());
    sampler_ = std::make_unique<ledger::ClockSampler>(
        raft_, cluster_clock_.get(),
        plaintext_ ? grpc::InsecureChannelCredentials()
                   : ledger::ClientTlsCredentials(tls_, absl::GetFlag(FLAGS_tls_reload_seconds)),
        plaintext_ ? operator_token_.token : "");
  }
}

// A server builder with what both listeners share: health checks, reflection, the unreadable
// request and request timer interceptors and the request size limit.
void PrepareBuilder(grpc::ServerBuilder* builder, ledger::Metrics* metrics) {
  builder->SetOption(
      ledger::ReflectionV1Option());  // grpc.reflection.v1 beside the plugin's v1alpha.
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(ledger::UnreadableRequestInterceptorFactory());
  interceptors.push_back(ledger::RequestTimerFactory(metrics));
  builder->experimental().SetInterceptorCreators(std::move(interceptors));
  // The largest request a client may send (limits.h says how it follows from the batch limits);
  // gRPC refuses a larger one with RESOURCE_EXHAUSTED before any service reads it.
  builder->SetMaxReceiveMessageSize(static_cast<int>(ledger::kRequestBytesMax));
}

// TLS: the operator services (Ledger, Cluster) on --operator_listen under mutual TLS.
int Ledgerd::StartOperatorServer() {
  grpc::ServerBuilder builder;
  PrepareBuilder(&builder, metrics_.get());
  const std::string& address = absl::GetFlag(FLAGS_operator_listen);
  // A connection takes no new call after its age (calls in flight, such as a change stream or a
  // backup, run to their end), so that a revoked certificate's open connection does not outlive
  // the revocation by more than that: the client's next call shakes hands again.
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS,
                             absl::GetFlag(FLAGS_operator_connection_age_seconds) * 1000);
  builder.AddListeningPort(
      address,
      ledger::ServerTlsCredentials(tls_, /*mutual=*/true, absl::GetFlag(FLAGS_tls_reload_seconds)),
      &operator_port_);
  builder.RegisterService(service_.get());
  if (cluster_) builder.RegisterService(cluster_.get());
  operator_server_ = builder.BuildAndStart();
  if (!operator_server_ || operator_port_ == 0) {
    fprintf(stderr, "ledgerd: cannot listen on --operator_listen %s\n", address.c_str());
    return 1;
  }
  return 0;
}

// gRPC on --listen with the public services (and, with --plaintext, the operator services), the
// standard health service and reflection; with TLS, the operator listener too.
int Ledgerd::StartServer() {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  if (!plaintext_) {
    if (int code = StartOperatorServer(); code != 0) return code;
  }
  grpc::ServerBuilder builder;
  PrepareBuilder(&builder, metrics_.get());
  builder.AddListeningPort(
      absl::GetFlag(FLAGS_listen),
      plaintext_ ? grpc::InsecureServerCredentials()
                 : ledger::ServerTlsCredentials(tls_, /*mutual=*/false,
                                                absl::GetFlag(FLAGS_tls_reload_seconds)),
      &port_);
  if (plaintext_) {
    builder.RegisterService(service_.get());
    if (cluster_) builder.RegisterService(cluster_.get());
    operator_port_ = port_;
  }
  builder.RegisterService(pos_.get());
  builder.RegisterService(wallets_.get());
  builder.RegisterService(health_.get());
  server_ = builder.BuildAndStart();
  if (!server_ || port_ == 0) {
    fprintf(stderr, "ledgerd: cannot listen on --listen %s\n", absl::GetFlag(FLAGS_listen).c_str());
    return 1;
  }
  if (plaintext_) operator_port_ = port_;
  fprintf(stderr,
          "ledgerd: serving on %s (%s), operator services on %s (%s), metrics on %s, data in %s, "
          "journal index %llu, %s\n",
          absl::GetFlag(FLAGS_listen).c_str(), plaintext_ ? "PLAINTEXT" : "TLS",
          plaintext_ ? absl::GetFlag(FLAGS_listen).c_str()
                     : absl::GetFlag(FLAGS_operator_listen).c_str(),
          plaintext_ ? "operator token" : "mutual TLS", absl::GetFlag(FLAGS_metrics_listen).c_str(),
          data_dir_.c_str(), static_cast<unsigned long long>(head_.index),
          raft_ ? ("raft node " + std::to_string(absl::GetFlag(FLAGS_raft_id))).c_str()
                : "single node");
  return 0;
}

// One HTTP/JSON gateway over the in-process channels of the gRPC servers; exit code 1 if it cannot
// listen.
int Ledgerd::StartGateway(const std::string& address, ledger::gateway::Listener listener,
                          std::unique_ptr<ledger::gateway::Gateway>* gateway) {
  if (address.empty()) return 0;
  ledger::gateway::GatewayOptions options;
  options.listen = address;
  options.listener = listener;
  options.plaintext = plaintext_;
  options.tls = tls_;
  options.tls_reload_seconds = absl::GetFlag(FLAGS_tls_reload_seconds);
  options.web_root = absl::GetFlag(FLAGS_web_root);
  options.public_channel = server_->InProcessChannel(grpc::ChannelArguments());
  if (operator_server_ && listener == ledger::gateway::Listener::kOperator) {
    options.operator_channel = operator_server_->InProcessChannel(grpc::ChannelArguments());
    options.gateway_secret = operator_auth_->gateway_secret();
  }
  if (listener == ledger::gateway::Listener::kOperator) {
    options.circsim = absl::GetFlag(FLAGS_circsim);
    // The simulator informs the city's issuance premiums and campaigns: the treasurer's and the
    // programme admin's decisions. It reads only what every role may read (the change stream),
    // but costs the node CPU, so not every operator may start it.
    options.may_recalibrate = [this](const std::string& name) {
      return ledger::RequireRole(committer_->state(), name,
                                 ledger::kRoleTreasurer | ledger::kRoleProgrammeAdmin,
                                 "Console.Recalibrate");
    };
  }
  absl::StatusOr<std::unique_ptr<ledger::gateway::Gateway>> started =
      ledger::gateway::Gateway::Start(std::move(options));
  if (!started.ok()) {
    fprintf(stderr, "ledgerd: HTTP gateway on %s: %s\n", address.c_str(),
            std::string(started.status().message()).c_str());
    return 1;
  }
  *gateway = *std::move(started);
  return 0;
}

// --http_listen (public services) and --http_operator_listen (all services, operators by client
// certificate), each off when its flag is empty.
int Ledgerd::StartGateways() {
  const std::string web_root = absl::GetFlag(FLAGS_web_root);
  if (!web_root.empty() && !std::filesystem::is_directory(web_root)) {
    fprintf(stderr, "ledgerd: --web_root %s is not a directory\n", web_root.c_str());
    return 2;
  }
  if (int code = StartGateway(absl::GetFlag(FLAGS_http_listen), ledger::gateway::Listener::kPublic,
                              &http_);
      code != 0) {
    return code;
  }
  if (int code = StartGateway(absl::GetFlag(FLAGS_http_operator_listen),
                              ledger::gateway::Listener::kOperator, &http_operator_);
      code != 0) {
    return code;
  }
  const char* scheme = plaintext_ ? "http" : "https";
  fprintf(stderr, "ledgerd: web gateway on %s (public) and %s (operators), static files from %s\n",
          http_ ? absl::StrCat(scheme, "://127.0.0.1:", http_->port(), "/").c_str() : "(off)",
          http_operator_
              ? absl::StrCat(scheme, "://127.0.0.1:", http_operator_->port(), "/").c_str()
              : "(off)",
          web_root.empty() ? "(none)" : web_root.c_str());
  return 0;
}

// Why this node should not be called SERVING now, or OK. The clocks log their own details once per
// episode; the health line only says which.
absl::Status Ledgerd::ServingProblem(const absl::Status& stamp) const {
  absl::Status problem = committer_->Health();
  if (problem.ok() && !stamp.ok()) {
    problem = absl::FailedPreconditionError("the wall clock stepped past --clock_step_max_seconds");
  }
  if (problem.ok() && cluster_clock_ != nullptr && raft_->status().role == "leader" &&
      !cluster_clock_->Decide().agree) {
    problem = absl::FailedPreconditionError(
        "this leader's clock lacks a majority's agreement (--cluster_clock_tolerance_ms)");
  }
  return problem;
}

// The health of both listeners' standard health services.
void Ledgerd::PublishHealth(const absl::Status& stamp) {
  const absl::Status problem = ServingProblem(stamp);
  health_status_->Publish(problem);
  if (operator_health_) operator_health_->Publish(problem);
}

// The storage gauges (metrics.h SetStorage).
void Ledgerd::SampleStorage() {
  const ledger::RocksStore::Stats rocks = store_->GetStats();
  std::error_code space_error;
  const std::filesystem::space_info space =
      std::filesystem::space(data_dir_, space_error);  // statvfs
  metrics_->SetStorage(rocks.pending_compaction_bytes, rocks.live_data_bytes, rocks.write_stopped,
                       rocks.delayed_write_rate, space_error ? 0 : space.available,
                       space_error ? 0 : space.capacity);
}

// Once a second, so a jumped clock is logged and exported even when idle.
void Ledgerd::SampleClock() {
  const absl::Status stamp = clock_->CheckStamp();
  metrics_->SetClock(clock_->offset_nanos(), clock_->refusals());
  PublishHealth(stamp);
  SampleStorage();
}

// Raft: the cluster clock's agreement and each voting peer's offset.
void Ledgerd::SampleClusterClock() {
  const ledger::ClockAgreement agreement = cluster_clock_->Decide();
  std::map<uint64_t, double> offsets;
  for (const auto& [peer, sample] : agreement.best)
    offsets[peer] = static_cast<double>(sample.offset_nanos) / 1e9;
  std::vector<uint64_t> peers;
  for (const ledger::RaftStatus::Member& member : raft_->status().members) {
    if (member.role == "voter" && member.id != cluster_clock_->self()) peers.push_back(member.id);
  }
  metrics_->SetClusterClock(agreement.agreeing, agreement.needed, offsets, peers,
                            cluster_clock_->refusals());
}

void Ledgerd::SampleRaft() {
  const ledger::RaftStatus status = raft_->status();
  metrics_->SetRaft(status.term, status.role, status.commit_index, status.applied_index,
                    status.last_index);
  std::map<uint64_t, uint64_t> lag;
  std::vector<uint64_t> others;
  for (const ledger::RaftStatus::Member& member : status.members) {
    if (member.id == status.id) continue;
    others.push_back(member.id);
    if (member.match_index.has_value()) {
      lag[member.id] =
          status.last_index > *member.match_index ? status.last_index - *member.match_index : 0;
    }
  }
  metrics_->SetFollowerLag(lag, others);
  metrics_->SetSnapshots(status.snapshots);
  metrics_->SetLoop(status.loop);
  metrics_->SetJournalIndex(status.journal_index);
}

// Starts gRPC, publishes health, writes --port_file, then samples until SIGINT or SIGTERM.
int Ledgerd::Serve() {
  if (raft_ == nullptr) {
    // A single node can commit at once: the role table is in place before the port file says the
    // node serves.
    BootstrapOperators();
    while (bootstrap_in_flight_) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (int code = StartServer(); code != 0) return code;
  if (int code = StartGateways(); code != 0) return code;
  // Per-service health (serving.h): SERVING while this node can commit, checked once a second
  // below.
  health_status_ = std::make_unique<ledger::HealthPublisher>(
      server_->GetHealthCheckService(), ledger::HealthServiceNames(raft_ != nullptr));
  if (operator_server_) {
    operator_health_ = std::make_unique<ledger::HealthPublisher>(
        operator_server_->GetHealthCheckService(), ledger::HealthServiceNames(raft_ != nullptr));
  }
  PublishHealth(clock_->CheckStamp());
  const std::string port_file = absl::GetFlag(FLAGS_port_file);
  // The storage gauges: once before the port file says we serve, then once a second.
  SampleStorage();
  if (!port_file.empty() &&
      !ledger::WriteFileAtomically(
           port_file,
           absl::StrCat("grpc ", port_, "\nmetrics ", metrics_->ListeningPort(), "\noperator ",
                        operator_port_, "\nhttp ", http_ ? http_->port() : 0, "\nhttp_operator ",
                        http_operator_ ? http_operator_->port() : 0, "\n"))
           .ok()) {
    fprintf(stderr, "ledgerd: cannot write --port_file %s\n", port_file.c_str());
    return 1;
  }
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  for (int tick = 0; !stop_requested; ++tick) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (tick % 10 == 0 && StopForFullDisk()) break;
    if (tick % 10 == 0) SampleClock();
    BootstrapOperators();
    if (raft_ != nullptr && tick % 5 == 0) SampleRaft();
    if (cluster_clock_ != nullptr && tick % 10 == 0) SampleClusterClock();
  }
  return 0;
}

// Once a second: below --min_free_disk_bytes the node stops cleanly, while RocksDB and libraft
// still have room to close (a full disk mid-write leaves a node that cannot even restart until
// space is freed, and RocksDB may fail its own recovery then).
bool Ledgerd::StopForFullDisk() {
  const std::string shortage = DiskShortage(WrittenFolders(data_dir_));
  if (shortage.empty()) return false;
  fprintf(stderr, "ledgerd: stopping (exit code %d): %s\n", kExitDiskFull, shortage.c_str());
  exit_code_ = kExitDiskFull;
  return true;
}

// NOT_SERVING everywhere, the Ledger service's waits ended, gRPC drained (5 s at most), then the
// committer: a single node answers what is queued, a Raft node closes libraft.
int Ledgerd::ShutDown() {
  fprintf(stderr, "ledgerd: stopping\n");
  server_->GetHealthCheckService()
      ->Shutdown();  // Every status NOT_SERVING; Watch streams are told.
  if (operator_server_) operator_server_->GetHealthCheckService()->Shutdown();
  // The gateways first stop taking requests; their streams end once gRPC below cancels them.
  if (http_) http_->BeginStop();
  if (http_operator_) http_operator_->BeginStop();
  service_->Stop();
  const auto drained = std::chrono::system_clock::now() + std::chrono::seconds(5);
  if (operator_server_) operator_server_->Shutdown(drained);
  server_->Shutdown(drained);
  http_.reset();
  http_operator_.reset();
  sampler_.reset();
  committer_.reset();
  return exit_code_;
}

}  // namespace

int main(int argc, char** argv) {
  SetUpProcess(argc, argv);
  Ledgerd ledgerd;
  if (int code = ledgerd.OpenStore(); code != 0) return code;
  if (int code = ledgerd.StartCommitter(); code != 0) return code;
  ledgerd.BuildServices();
  if (int code = ledgerd.Serve(); code != 0) return code;
  return ledgerd.ShutDown();
}
