// A ledger replica on libraft: see raft_node.h.
#include "ledger/replication/raft_node.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "ledger/core/check.h"
#include "ledger/core/limits.h"

namespace ledger {
namespace {

constexpr unsigned kStatusRefreshMs = 50;
constexpr size_t kPeersMax = kRaftPeersMax;

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

bool ValidHostPort(absl::string_view address) {
  if (address.size() > kRaftAddressBytesMax) return false;
  const size_t colon = address.rfind(':');
  if (colon == absl::string_view::npos || colon == 0) return false;
  uint32_t port = 0;
  return absl::SimpleAtoi(address.substr(colon + 1), &port) && port > 0 && port <= 65535;
}

const char* RoleName(int role) {
  switch (role) {
    case RAFT_VOTER:
      return "voter";
    case RAFT_STANDBY:
      return "standby";
    case RAFT_SPARE:
      return "spare";
    default:
      return "unknown";
  }
}

const char* StateName(int state) {
  switch (state) {
    case RAFT_LEADER:
      return "leader";
    case RAFT_FOLLOWER:
      return "follower";
    case RAFT_CANDIDATE:
      return "candidate";
    default:
      return "unavailable";
  }
}

}  // namespace

absl::StatusOr<std::vector<RaftPeer>> ParsePeers(const std::string& text) {
  constexpr absl::string_view kForm = "ID=RAFT_HOST:PORT/GRPC_HOST:PORT[/OPERATOR_HOST:PORT],...";
  if (text.empty())
    return absl::InvalidArgumentError(absl::StrCat("--peers: empty; expected ", kForm));
  std::vector<RaftPeer> peers;
  for (absl::string_view item : absl::StrSplit(text, ',')) {
    std::vector<absl::string_view> id_and_addresses = absl::StrSplit(item, absl::MaxSplits('=', 1));
    std::vector<absl::string_view> addresses;
    if (id_and_addresses.size() == 2) addresses = absl::StrSplit(id_and_addresses[1], '/');
    if (addresses.size() != 2 && addresses.size() != 3) {
      return absl::InvalidArgumentError(absl::StrCat("--peers: \"", item, "\" is not ", kForm));
    }
    RaftPeer peer;
    if (!absl::SimpleAtoi(id_and_addresses[0], &peer.id) || peer.id == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("--peers: id \"", id_and_addresses[0], "\" must be a positive integer"));
    }
    for (absl::string_view address : addresses) {
      if (!ValidHostPort(address)) {
        return absl::InvalidArgumentError(
            absl::StrCat("--peers: \"", address, "\" (peer ", peer.id,
                         ") is not HOST:PORT with a port of 1 to 65535"));
      }
    }
    peer.raft_address = std::string(addresses[0]);
    peer.grpc_address = std::string(addresses[1]);
    if (addresses.size() == 3) peer.operator_address = std::string(addresses[2]);
    for (const RaftPeer& other : peers) {
      if (other.id == peer.id)
        return absl::InvalidArgumentError(absl::StrCat("--peers: id ", peer.id, " twice"));
    }
    peers.push_back(std::move(peer));
  }
  if (peers.size() > kPeersMax) {
    return absl::InvalidArgumentError(
        absl::StrCat("--peers: ", peers.size(), " peers; at most ", kPeersMax));
  }
  return peers;
}

RaftNode::RaftNode(RocksStore* store, Clock* clock, Options options, NodeObserver observer)
    : store_(store),
      clock_(clock),
      options_(std::move(options)),
      observer_(std::move(observer)),
      turns_(options_.slow_turn_ms / 1000.0),
      adapter_(store, &turns_),
      replica_(&adapter_),
      take_guard_(&loop_, options_.fault_snapshot_write_delay_ms) {
  std::random_device random;
  next_proposal_ = (static_cast<uint64_t>(random()) << 32) ^ random();
  journal_index_ = ReadHead(*store_).index;
  status_.id = options_.id;
  status_.role = "unavailable";
  for (const RaftPeer& peer : options_.peers) peers_[peer.id] = peer;
}

absl::StatusOr<std::unique_ptr<RaftNode>> RaftNode::Start(RocksStore* store, Clock* clock,
                                                          Options options, NodeObserver observer) {
  if (options.id == 0) return absl::InvalidArgumentError("--raft_id: must be a positive integer");
  if (options.raft_address.empty()) {
    for (const RaftPeer& peer : options.peers) {
      if (peer.id == options.id) options.raft_address = peer.raft_address;
    }
  }
  if (!ValidHostPort(options.raft_address)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--raft_address: \"", options.raft_address,
                     "\" is not HOST:PORT (or give this id's entry in --peers)"));
  }
  for (uint64_t member : options.initial_members) {
    bool known = false;
    for (const RaftPeer& peer : options.peers) known = known || peer.id == member;
    if (!known)
      return absl::InvalidArgumentError(
          absl::StrCat("--initial_members: ", member, " is not in --peers"));
  }
  if (options.bootstrap) {
    bool found = false;
    for (const RaftPeer& peer : options.peers) {
      if (peer.id == options.id) found = peer.raft_address == options.raft_address;
    }
    if (!found) {
      return absl::InvalidArgumentError(absl::StrCat("--peers: must list this node (id ",
                                                     options.id, ") with raft address ",
                                                     options.raft_address, " to bootstrap"));
    }
  }
  if (options.raft_dir.empty()) return absl::InvalidArgumentError("--raft_dir: empty");
  std::unique_ptr<RaftNode> node(
      new RaftNode(store, clock, std::move(options), std::move(observer)));
  // A state whose sums are broken is not served and does not join the cluster: the node answers
  // DATA_LOSS.
  if (std::string broken = node->replica_.CheckInvariants(); !broken.empty()) {
    node->StopForInvariant(broken);
    return node;
  }
  absl::Status status = node->Init();
  if (!status.ok()) return status;
  std::lock_guard<std::mutex> lock(node->mutex_);
  node->loop_running_ = true;
  // A snapshot restored by raft_start may have broken the invariant already: the loop closes
  // libraft.
  if (!node->failed_.ok()) uv_async_send(&node->wake_);
  node->thread_ = std::thread([raw = node.get()] { raw->Run(); });
  return node;
}

// Authenticated and encrypted peers with the cluster secret; libraft's plaintext TCP (with
// TCP_NODELAY) only when none is given (ledgerd allows that on loopback only).
absl::Status RaftNode::InitTransport(raft_uv_transport** transport) {
  const std::string& bind = options_.raft_bind.empty() ? options_.raft_address : options_.raft_bind;
  int rv = 0;
  if (options_.raft_secret.has_value()) {
    rv = secure_transport_.Init(&loop_, bind, *options_.raft_secret);
    *transport = secure_transport_.transport();
  } else {
    rv = transport_.Init(&loop_, bind);
    *transport = transport_.transport();
  }
  if (rv != 0) {
    return absl::InvalidArgumentError(absl::StrCat("Raft transport on --raft_bind ", bind, ": ",
                                                   raft_strerror(rv), ": ", (*transport)->errmsg));
  }
  return absl::OkStatus();
}

// libraft's disk and network I/O (raft_uv on the transport), wrapped by the take guard.
absl::Status RaftNode::InitIo() {
  raft_uv_transport* transport = nullptr;
  if (absl::Status status = InitTransport(&transport); !status.ok()) return status;
  io_ = raft_io{};
  io_.version = 2;
  const int rv = raft_uv_init(&io_, &loop_, options_.raft_dir.c_str(), transport);
  if (rv != 0) {
    return absl::UnavailableError(
        absl::StrCat("raft log in ", options_.raft_dir, ": ", io_.errmsg));
  }
  take_guard_.Wrap(&io_);
  if (!options_.state_root.empty()) {
    take_guard_.SetPrepare([this](const raft_snapshot* snapshot, std::function<void()> ready) {
      PrepareTake(snapshot, std::move(ready));
    });
  }
  return absl::OkStatus();
}

absl::Status RaftNode::Init() {
  std::error_code error;
  std::filesystem::create_directories(options_.raft_dir, error);
  if (error)
    return absl::UnavailableError(
        absl::StrCat("--raft_dir ", options_.raft_dir, ": ", error.message()));
  int rv = uv_loop_init(&loop_);
  if (rv != 0) return absl::InternalError(absl::StrCat("uv_loop_init: ", uv_strerror(rv)));
  // Loop turns (loop_turns.h): their busy time is the wall time less the wait for I/O.
  rv = uv_loop_configure(&loop_, UV_METRICS_IDLE_TIME);
  if (rv != 0) return absl::InternalError(absl::StrCat("uv_loop_configure: ", uv_strerror(rv)));
  uv_prepare_init(&loop_, &turn_);
  turn_.data = this;
  uv_prepare_start(&turn_, OnTurn);
  uv_async_init(&loop_, &wake_, OnWake);
  wake_.data = this;
  uv_async_init(&loop_, &checkpoint_made_, OnCheckpointMade);
  checkpoint_made_.data = this;
  uv_timer_init(&loop_, &timer_);
  timer_.data = this;
  if (absl::Status status = InitIo(); !status.ok()) return status;
  fsm_ = raft_fsm{};
  fsm_.version = 1;  // libraft frees the snapshot buffers it asked for.
  fsm_.data = this;
  fsm_.apply = FsmApply;
  fsm_.snapshot = FsmSnapshot;
  fsm_.restore = FsmRestore;
  rv = raft_init(&raft_, &io_, &fsm_, options_.id, options_.raft_address.c_str());
  if (rv != 0) return absl::InternalError(absl::StrCat("raft_init: ", raft_errmsg(&raft_)));
  raft_.data = this;
  raft_set_pre_vote(&raft_, true);
  raft_set_election_timeout(&raft_, options_.election_timeout_ms);
  raft_set_heartbeat_timeout(&raft_, options_.heartbeat_timeout_ms);
  raft_set_snapshot_threshold(&raft_, options_.snapshot_threshold);
  raft_set_snapshot_trailing(&raft_, options_.snapshot_trailing);
  snapshots_.trailing = options_.snapshot_trailing;
  raft_set_install_snapshot_timeout(&raft_, options_.install_snapshot_timeout_ms);
  // libraft 0.22 refuses writes (RAFT_NOSPACE) while a majority reports less than 4 MiB of prepared
  // log segments, which raft_uv reports as 0 until its first segments are ready: every write right
  // after start would fail. A full disk still fails the write itself (the node then stops; see
  // FsmApply).
  raft_set_capacity_threshold(&raft_, 0);
  if (options_.bootstrap) {
    raft_configuration configuration;
    raft_configuration_init(&configuration);
    for (const RaftPeer& peer : options_.peers) {
      const auto& members = options_.initial_members;
      if (!members.empty() && std::find(members.begin(), members.end(), peer.id) == members.end())
        continue;
      rv = raft_configuration_add(&configuration, peer.id, peer.raft_address.c_str(), RAFT_VOTER);
      CORE_CHECK(rv == 0, absl::StrCat("raft_configuration_add: ", raft_strerror(rv)).c_str());
    }
    rv = raft_bootstrap(&raft_, &configuration);
    raft_configuration_close(&configuration);
    if (rv != 0 && rv != RAFT_CANTBOOTSTRAP) {
      return absl::UnavailableError(absl::StrCat("raft_bootstrap: ", raft_errmsg(&raft_)));
    }
  }
  rv = raft_start(
      &raft_);  // Loads the log; restores the latest snapshot (FsmRestore) if there is one.
  if (rv != 0) {
    // libraft leaves its own message empty when the I/O layer failed (e.g. the Raft port taken).
    return absl::UnavailableError(absl::StrCat("raft_start: ", raft_strerror(rv), ": ",
                                               raft_errmsg(&raft_), " ", io_.errmsg));
  }
  uv_timer_start(&timer_, OnTimer, kStatusRefreshMs, kStatusRefreshMs);
  RefreshStatus();
  return absl::OkStatus();
}

void RaftNode::Run() {
  uv_run(&loop_, UV_RUN_DEFAULT);
  transport_.Release();
  uv_loop_close(&loop_);
}

RaftNode::~RaftNode() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  committed_changed_.notify_all();
  if (thread_.joinable()) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!wake_closed_) uv_async_send(&wake_);
    }
    thread_.join();
  }
  if (checkpoint_thread_.joinable()) checkpoint_thread_.join();
}

absl::Status RaftNode::Failed() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return failed_;
}

void RaftNode::StopForInvariant(const std::string& violation) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!failed_.ok()) return;  // Stopped already (and said so).
    failed_ = absl::DataLossError(
        absl::StrCat("ledger invariant broken (", violation,
                     "); this node accepts no writes: stop it and run ledgerctl audit"));
    if (loop_running_ && !wake_closed_) uv_async_send(&wake_);  // The loop closes libraft.
  }
  std::fprintf(stderr,
               "ledgerd: LEDGER INVARIANT BROKEN: %s; this replica applies nothing more, leaves "
               "the cluster and "
               "accepts no writes\n",
               violation.c_str());
  std::fflush(stderr);
  if (observer_.on_invariant_violation) observer_.on_invariant_violation(violation);
}

void RaftNode::StopForWriteFailure(const absl::Status& failure) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!failed_.ok()) return;  // Stopped already (and said so).
    failed_ = failure;
    if (loop_running_ && !wake_closed_) uv_async_send(&wake_);  // The loop closes libraft.
  }
  std::fprintf(
      stderr,
      "ledgerd: %s; this replica applies nothing more, leaves the cluster and accepts no writes\n",
      failure.ToString().c_str());
  std::fflush(stderr);
}

// ---- Client threads ----

void RaftNode::SubmitAsync(std::vector<Command> commands, SubmitDone done,
                           std::string operator_name) {
  if (commands.empty() || commands.size() > static_cast<size_t>(kBatchItemsMax)) {
    done(absl::InvalidArgumentError(absl::StrCat("request: 1 to ", kBatchItemsMax, " items")));
    return;
  }
  auto request = std::make_unique<Request>();
  request->commands = std::move(commands);
  request->done = std::move(done);
  request->operator_name = std::move(operator_name);
  absl::Status refused;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!failed_.ok()) {
      refused = failed_;
    } else if (stopping_) {
      refused = absl::UnavailableError("node is stopping");
    } else if (queue_.size() >= kQueuedRequestsMax) {
      refused = absl::UnavailableError(
          absl::StrCat("node busy: ", kQueuedRequestsMax, " requests queued; retry"));
    } else {
      queue_.push_back(std::move(request));
      uv_async_send(&wake_);  // Under the lock: the loop cannot have closed the handle yet.
      return;
    }
  }
  request->done(std::move(refused));
}

absl::Status RaftNode::ReadBarrier() {
  if (absl::Status failed = Failed(); !failed.ok()) return failed;
  if (options_.stale_reads) return absl::OkStatus();
  auto waiter = std::make_unique<ReadWaiter>();
  std::future<absl::Status> done = waiter->done.get_future();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!failed_.ok()) return failed_;
    if (stopping_) return absl::UnavailableError("node is stopping");
    if (reads_queued_.size() >= kQueuedRequestsMax) {
      return absl::UnavailableError(
          absl::StrCat("node busy: ", kQueuedRequestsMax, " reads queued; retry"));
    }
    reads_queued_.push_back(std::move(waiter));
    uv_async_send(&wake_);  // Under the lock: the loop cannot have closed the handle yet.
  }
  return done.get();
}

uint64_t RaftNode::committed_index() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return journal_index_;
}

uint64_t RaftNode::WaitForIndexAfter(uint64_t index, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  committed_changed_.wait_for(lock, timeout, [&] { return journal_index_ > index || stopping_; });
  return journal_index_;
}

RaftStatus RaftNode::status() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return status_;
}

absl::Status RaftNode::Health() const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!failed_.ok()) return failed_;
  if (status_.role == "unavailable") return absl::UnavailableError("raft is not running");
  if (status_.leader_id == 0) {
    return absl::UnavailableError(
        absl::StrCat("no leader known (this node is ", status_.role, ")"));
  }
  return absl::OkStatus();
}

absl::Status RaftNode::NotLeader() const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!status_.leader_address.empty()) {
    return absl::UnavailableError(
        absl::StrCat("not the leader; leader=", status_.leader_address,
                     status_.leader_operator_address.empty() ? "" : " operator_leader=",
                     status_.leader_operator_address));
  }
  if (status_.leader_id != 0) {
    return absl::UnavailableError(
        absl::StrCat("not the leader; the leader is node ", status_.leader_id,
                     ", whose gRPC address this node was not given (--peers)"));
  }
  return absl::UnavailableError("not the leader; no leader elected yet; retry");
}

absl::Status RaftNode::AddPeer(const RaftPeer& peer) {
  if (peer.id == 0 || !ValidHostPort(peer.raft_address) || !ValidHostPort(peer.grpc_address) ||
      (!peer.operator_address.empty() && !ValidHostPort(peer.operator_address))) {
    return absl::InvalidArgumentError(absl::StrCat(
        "peer: id must be positive; raft, gRPC and (if given) operator addresses HOST:PORT with a "
        "port of 1 to 65535, at most ",
        kRaftAddressBytesMax, " bytes each"));
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    // A peer added without an operator address keeps the one --peers gave it.
    const std::string known = peers_.count(peer.id) ? peers_[peer.id].operator_address : "";
    peers_[peer.id] = peer;
    if (peer.operator_address.empty()) peers_[peer.id].operator_address = known;
  }
  const uint64_t id = peer.id;
  const std::string address = peer.raft_address;
  return RunAdmin(
      [id, address](RaftNode* node, Admin* admin) {
        return raft_add(&node->raft_, &admin->change, id, address.c_str(), OnChange);
      },
      [id](RaftNode* node, Admin* admin) {
        return raft_assign(&node->raft_, &admin->change, id, RAFT_STANDBY, OnChange);
      });
}

absl::Status RaftNode::PromotePeer(uint64_t id) {
  return RunAdmin([id](RaftNode* node, Admin* admin) {
    return raft_assign(&node->raft_, &admin->change, id, RAFT_VOTER, OnChange);
  });
}

absl::Status RaftNode::RemovePeer(uint64_t id) {
  return RunAdmin([id](RaftNode* node, Admin* admin) {
    return raft_remove(&node->raft_, &admin->change, id, OnChange);
  });
}

absl::Status RaftNode::TransferLeadership(uint64_t id) {
  return RunAdmin([id](RaftNode* node, Admin* admin) {
    admin->target = id;
    return raft_transfer(&node->raft_, &admin->transfer, id, OnTransfer);
  });
}

absl::Status RaftNode::RunAdmin(std::function<int(RaftNode*, Admin*)> start,
                                std::function<int(RaftNode*, Admin*)> then) {
  auto admin = std::make_unique<Admin>();
  admin->start = std::move(start);
  admin->then = std::move(then);
  std::future<absl::Status> done = admin->done.get_future();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!failed_.ok()) return failed_;
    if (stopping_) return absl::UnavailableError("node is stopping");
    admins_queued_.push_back(std::move(admin));
    uv_async_send(&wake_);  // Under the lock: the loop cannot have closed the handle yet.
  }
  return done.get();
}

// ---- Loop thread ----

void RaftNode::OnWake(uv_async_t* handle) {
  RaftNode* node = static_cast<RaftNode*>(handle->data);
  std::deque<std::unique_ptr<Request>> queue;
  std::vector<std::unique_ptr<ReadWaiter>> reads;
  std::vector<std::unique_ptr<Admin>> admins;
  bool stopping = false;
  absl::Status failed;
  {
    std::lock_guard<std::mutex> lock(node->mutex_);
    queue.swap(node->queue_);
    reads.swap(node->reads_queued_);
    admins.swap(node->admins_queued_);
    stopping = node->stopping_;
    failed = node->failed_;
  }
  for (auto& request : queue) node->backlog_.push_back(std::move(request));
  for (auto& read : reads) node->reads_waiting_.push_back(std::move(read));
  if (node->closing_ || stopping ||
      !failed.ok()) {  // Stopping, or the invariant broke: close libraft.
    const absl::Status status = failed.ok() ? absl::UnavailableError("node is stopping") : failed;
    for (auto& admin : admins) admin->done.set_value(status);
    if (!node->closing_) node->Close();
    node->FailBacklog(status);
    return;
  }
  for (auto& admin : admins) {
    admin->node = node;
    admin->change.data = admin.get();
    admin->transfer.data = admin.get();
    const int rv = admin->start(node, admin.get());
    if (rv != 0) {
      admin->done.set_value(node->AdminError(rv));
    } else {
      node->admins_running_.push_back(std::move(admin));
    }
  }
  node->Propose();
  node->IssueBarrier();
}

void RaftNode::OnTimer(uv_timer_t* handle) {
  static_cast<RaftNode*>(handle->data)->RefreshStatus();
}

void RaftNode::OnTurn(uv_prepare_t* handle) {
  RaftNode* node = static_cast<RaftNode*>(handle->data);
  const std::optional<LoopTurns::Turn> slow = node->turns_.EndTurn(
      LoopTurns::SampleThisThread(static_cast<double>(uv_hrtime()) / 1e9,
                                  static_cast<double>(uv_metrics_idle_time(&node->loop_)) / 1e9));
  if (slow) {
    std::fprintf(stderr, "raft: %s\n",
                 LoopTurns::Describe(*slow, node->options_.election_timeout_ms).c_str());
    std::fflush(stderr);
  }
}

void RaftNode::FailBacklog(const absl::Status& status) {
  for (auto& request : backlog_) request->done(status);
  backlog_.clear();
  for (auto& read : reads_waiting_) read->done.set_value(status);
  reads_waiting_.clear();
}

absl::Status RaftNode::NotLeaderHere() {
  RefreshStatus();
  return NotLeader();
}

absl::Status RaftNode::AdminError(int rv) {
  if (rv == RAFT_NOTLEADER) return NotLeaderHere();
  // One change at a time: the previous one (or a new leader's first entry) commits within moments,
  // so this is a transient state the caller retries, not a refusal (it made `cluster remove` right
  // after `cluster transfer` fail).
  if (rv == RAFT_CANTCHANGE) {
    return absl::UnavailableError(absl::StrCat("a configuration change is already in progress (",
                                               raft_errmsg(&raft_), "); retry"));
  }
  return absl::FailedPreconditionError(absl::StrCat(raft_strerror(rv), ": ", raft_errmsg(&raft_)));
}

void RaftNode::Propose() {
  LoopTurns::Timer timer(&turns_, LoopTurns::kPropose);
  while (!backlog_.empty() && proposals_.size() < static_cast<size_t>(kProposalsInFlightMax)) {
    absl::Status status = !replica_.violation().empty()       ? Failed()
                          : raft_state(&raft_) != RAFT_LEADER ? NotLeaderHere()
                                                              : clock_->CheckStamp();
    // Its invariant broke, it is not the leader, its wall clock jumped or the cluster's clocks
    // disagree (cluster_clock.h): it proposes nothing.
    if (!status.ok()) {
      for (auto& request : backlog_) request->done(status);
      backlog_.clear();
      return;
    }
    auto proposal = std::make_unique<Proposal>();
    proposal->node = this;
    proposal->number = next_proposal_++;
    proposal->start = std::chrono::steady_clock::now();
    Batch batch;
    size_t commands = 0;
    while (!backlog_.empty()) {
      const size_t size = backlog_.front()->commands.size();
      if (!proposal->requests.empty() && commands + size > static_cast<size_t>(kBatchItemsMax))
        break;
      commands += size;
      batch.request_sizes.push_back(static_cast<uint32_t>(size));
      batch.commands.insert(batch.commands.end(), backlog_.front()->commands.begin(),
                            backlog_.front()->commands.end());
      proposal->requests.push_back(std::move(backlog_.front()));
      backlog_.pop_front();
    }
    batch.request_operators = RequestOperators(proposal->requests);
    last_proposed_timestamp_ = std::max(clock_->NowNanos(), last_proposed_timestamp_ + 1);
    const std::string entry =
        EncodeEntry(EntryHeader{options_.id, proposal->number, last_proposed_timestamp_}, batch);
    raft_buffer buffer;
    buffer.len = entry.size();
    buffer.base = raft_malloc(entry.size());
    CORE_CHECK(buffer.base != nullptr, "out of memory for a Raft entry");
    std::memcpy(buffer.base, entry.data(), entry.size());
    proposal->apply.data = proposal.get();
    const int rv = raft_apply(&raft_, &proposal->apply, &buffer, 1, OnApplied);
    if (rv != 0) {
      // Not freed here: libraft 0.22 releases the entry's buffer itself on (some) failures.
      const absl::Status status =
          rv == RAFT_NOTLEADER ? NotLeaderHere()
                               : absl::UnavailableError(absl::StrCat(
                                     "raft_apply: ", raft_strerror(rv), ": ", raft_errmsg(&raft_)));
      for (auto& request : proposal->requests) request->done(status);
      continue;
    }
    proposals_[proposal->number] = std::move(proposal);
  }
}

int RaftNode::FsmApply(raft_fsm* fsm, const raft_buffer* buffer, void** result) {
  RaftNode* node = static_cast<RaftNode*>(fsm->data);
  *result = nullptr;
  LoopTurns::Timer timer(&node->turns_, LoopTurns::kApply);
  node->turns_.AddEntry(buffer->len);
  const auto start = std::chrono::steady_clock::now();
  // libraft sets last_applied after apply returns: this entry's index is one past it.
  const uint64_t index = raft_last_applied(&node->raft_) + 1;
  node->LogBudgetCount(buffer->len);
  absl::StatusOr<Replica::Applied> applied = node->replica_.Apply(
      index, std::string_view(static_cast<const char*>(buffer->base), buffer->len));
  if (!applied.ok() && !node->replica_.violation().empty()) {
    // Nothing of the entry was stored and nothing after it will be: the node stops
    // (StopForInvariant) and its waiting clients hear DATA_LOSS (Answer). libraft may count the
    // entry as applied; the stored applied index does not, so a restart meets it again.
    node->StopForInvariant(node->replica_.violation());
    return 0;
  }
  if (!applied.ok() && !node->replica_.write_failed().ok()) {
    // A full disk, say: the replica cannot skip a committed entry, so it stops applying and leaves
    // the cluster as for a broken invariant (every call refused with the failure, health
    // NOT_SERVING), and a restart re-applies from the stored index.
    node->StopForWriteFailure(node->replica_.write_failed());
    return 0;
  }
  // The replica cannot skip a committed entry: stop; a restart re-applies from the stored index.
  CORE_CHECK(
      applied.ok(),
      absl::StrCat("applying Raft entry ", index, ": ", applied.status().ToString()).c_str());
  if (applied->skipped) return 0;
  if (node->options_.fault_apply_delay_ms > 0) {  // Tests: an entry applied fresh, held up.
    std::this_thread::sleep_for(std::chrono::milliseconds(node->options_.fault_apply_delay_ms));
  }
  if (applied->status.ok()) {
    {
      std::lock_guard<std::mutex> lock(node->mutex_);
      node->journal_index_ = applied->output.head.index;
    }
    node->committed_changed_.notify_all();
    if (node->observer_.on_sweep &&
        (applied->counters.expired_lots || applied->counters.expired_pendings ||
         applied->counters.pruned_nonces)) {
      node->observer_.on_sweep(applied->counters);
    }
  }
  if (applied->header.proposer == node->options_.id) {
    auto it = node->proposals_.find(applied->header.proposal);
    if (it != node->proposals_.end()) {
      it->second->apply_seconds = SecondsSince(start);
      it->second->result = std::move(*applied);
    }
  }
  return 0;
}

void RaftNode::OnApplied(struct raft_apply* request, int status, void*) {
  Proposal* raw = static_cast<Proposal*>(request->data);
  RaftNode* node = raw->node;
  auto it = node->proposals_.find(raw->number);
  CORE_CHECK(it != node->proposals_.end(), "libraft answered a proposal this node does not have");
  std::unique_ptr<Proposal> proposal = std::move(it->second);
  node->proposals_.erase(it);
  node->Answer(*proposal, status);
  if (!node->closing_) node->Propose();
}

void RaftNode::Answer(Proposal& proposal, int status) {
  if (status == 0 && !proposal.result && !replica_.violation().empty()) {
    const absl::Status failed = Failed();
    for (auto& request : proposal.requests) request->done(failed);
    return;
  }
  if (status != 0 || !proposal.result) {
    const absl::Status unknown = absl::UnavailableError(absl::StrCat(
        "outcome unknown: ", status != 0 ? raft_strerror(status) : "entry not applied here",
        " while the request was in flight; retry with the same ids"));
    for (auto& request : proposal.requests) request->done(unknown);
    return;
  }
  Replica::Applied& applied = *proposal.result;
  if (!applied.status.ok()) {
    for (auto& request : proposal.requests) request->done(applied.status);
    return;
  }
  size_t commands = 0;
  for (auto& request : proposal.requests) commands += request->commands.size();
  if (observer_.on_batch) {
    observer_.on_batch(proposal.requests.size(), commands, proposal.apply_seconds,
                       SecondsSince(proposal.start));
  }
  const std::vector<Outcome>& outcomes = applied.output.entry.outcomes;
  CORE_CHECK(outcomes.size() == commands, "outcomes and commands differ in number");
  size_t offset = 0;
  for (auto& request : proposal.requests) {
    SubmitResult result;
    result.journal_index = applied.output.head.index;
    const size_t size = request->commands.size();
    result.outcomes.assign(outcomes.begin() + offset, outcomes.begin() + offset + size);
    if (observer_.on_outcome) {
      for (size_t i = 0; i < size; ++i)
        observer_.on_outcome(result.outcomes[i], request->commands[i]);
    }
    offset += size;
    request->done(std::move(result));
  }
}

void RaftNode::IssueBarrier() {
  if (barrier_ != nullptr || reads_waiting_.empty()) return;
  if (raft_state(&raft_) != RAFT_LEADER) {
    const absl::Status status = NotLeaderHere();
    for (auto& read : reads_waiting_) read->done.set_value(status);
    reads_waiting_.clear();
    return;
  }
  barrier_ = std::make_unique<Barrier>();
  barrier_->node = this;
  barrier_->barrier.data = barrier_.get();
  barrier_->waiters = std::move(reads_waiting_);
  reads_waiting_.clear();
  const int rv = raft_barrier(&raft_, &barrier_->barrier, OnBarrier);
  if (rv != 0) {
    const absl::Status status =
        rv == RAFT_NOTLEADER
            ? NotLeaderHere()
            : absl::UnavailableError(absl::StrCat("read barrier: ", raft_strerror(rv)));
    for (auto& read : barrier_->waiters) read->done.set_value(status);
    barrier_.reset();
  }
}

void RaftNode::OnBarrier(struct raft_barrier* request, int status) {
  Barrier* raw = static_cast<Barrier*>(request->data);
  RaftNode* node = raw->node;
  CORE_CHECK(node->barrier_.get() == raw, "libraft answered a barrier this node does not have");
  std::unique_ptr<Barrier> barrier = std::move(node->barrier_);
  const absl::Status result = status == 0
                                  ? absl::OkStatus()
                                  : absl::UnavailableError(absl::StrCat(
                                        "read barrier: ", raft_strerror(status), "; retry"));
  for (auto& read : barrier->waiters) read->done.set_value(result);
  if (!node->closing_) node->IssueBarrier();
}

void RaftNode::FinishAdmin(Admin* admin, absl::Status status) {
  RaftNode* node = admin->node;
  for (auto it = node->admins_running_.begin(); it != node->admins_running_.end(); ++it) {
    if (it->get() != admin) continue;
    std::unique_ptr<Admin> owned = std::move(*it);
    node->admins_running_.erase(it);
    owned->done.set_value(std::move(status));
    node->RefreshStatus();
    return;
  }
  CORE_CHECK(false, "libraft answered a membership change this node does not have");
}

void RaftNode::OnChange(raft_change* request, int status) {
  Admin* admin = static_cast<Admin*>(request->data);
  RaftNode* node = admin->node;
  if (status != 0) {
    FinishAdmin(admin, absl::FailedPreconditionError(
                           absl::StrCat("membership change: ", raft_strerror(status))));
    return;
  }
  if (admin->then) {
    auto then = std::move(admin->then);
    admin->then = nullptr;
    const int rv = node->closing_ ? RAFT_SHUTDOWN : then(node, admin);
    if (rv != 0) FinishAdmin(admin, node->AdminError(rv));
    return;
  }
  FinishAdmin(admin, absl::OkStatus());
}

void RaftNode::OnTransfer(struct raft_transfer* request) {
  Admin* admin = static_cast<Admin*>(request->data);
  RaftNode* node = admin->node;
  raft_id leader_id = 0;
  const char* leader_address = nullptr;
  raft_leader(&node->raft_, &leader_id, &leader_address);
  const bool moved = admin->target != 0 ? leader_id == admin->target
                                        : leader_id != 0 && leader_id != node->options_.id;
  FinishAdmin(admin, moved ? absl::OkStatus()
                           : absl::UnavailableError(
                                 absl::StrCat("leadership did not move within the election "
                                              "timeout; the leader is node ",
                                              leader_id)));
}

int RaftNode::FsmSnapshot(raft_fsm* fsm, raft_buffer* buffers[], unsigned* count) {
  RaftNode* node = static_cast<RaftNode*>(fsm->data);
  LoopTurns::Timer timer(&node->turns_, LoopTurns::kSnapshot);
  const auto start = std::chrono::steady_clock::now();
  // The state's own writes were not synced (libraft's log is the WAL); the log before this snapshot
  // may now be deleted, so the state must be durable first.
  absl::Status synced = node->store_->SyncWal();
  if (!synced.ok()) {
    std::fprintf(stderr, "snapshot skipped: %s\n", synced.ToString().c_str());
    return RAFT_IOERR;
  }
  absl::StatusOr<std::string> snapshot;
  if (node->options_.state_root.empty()) {
    snapshot = node->replica_.Snapshot();
  } else {
    // A placeholder: the checkpoint is made off this thread, and the manifest put in its place
    // before libraft writes the snapshot (PrepareTake).
    snapshot = std::string("checkpoint pending");
    node->take_ = PendingTake{node->replica_.applied_index(), start, nullptr, nullptr};
  }
  if (!snapshot.ok()) {
    std::fprintf(stderr, "snapshot skipped: %s\n", snapshot.status().ToString().c_str());
    return RAFT_IOERR;
  }
  raft_buffer* array = static_cast<raft_buffer*>(raft_malloc(sizeof(raft_buffer)));
  void* base = raft_malloc(snapshot->size());
  CORE_CHECK(array != nullptr && base != nullptr, "out of memory for a snapshot");
  std::memcpy(base, snapshot->data(), snapshot->size());
  array[0].base = base;
  array[0].len = snapshot->size();
  *buffers = array;
  *count = 1;
  node->snapshots_.taken++;
  node->LogBudgetTaking();
  if (node->options_.state_root.empty()) {  // By reference, FinishTake sets them once written.
    node->snapshots_.last_take_seconds = SecondsSince(start);
    node->snapshots_.last_take_bytes = snapshot->size();
  }
  return 0;
}

// Options::log_memory_bytes. libraft 0.22.1 takes a snapshot when the entries since the last one
// reach its threshold (legacyShouldTakeSnapshot, after the apply returns): lowering it to 1 asks
// for one at once. The trailing entries it keeps are read when the take is written and when it
// completes; they are set here, in FsmSnapshot, before either (no take runs meanwhile).
void RaftNode::LogBudgetCount(size_t entry_bytes) {
  snapshots_.log_bytes += entry_bytes;
  ++log_entries_since_take_;
  if (options_.log_memory_bytes == 0 || log_take_asked_ ||
      snapshots_.log_bytes < options_.log_memory_bytes / 2) {
    return;
  }
  raft_set_snapshot_threshold(&raft_, 1);
  log_take_asked_ = true;
}

void RaftNode::LogBudgetTaking() {
  if (options_.log_memory_bytes > 0 && log_entries_since_take_ > 0) {
    const uint64_t average = std::max<uint64_t>(1, snapshots_.log_bytes / log_entries_since_take_);
    snapshots_.trailing = static_cast<unsigned>(std::clamp<uint64_t>(
        options_.log_memory_bytes / 2 / average, 1, options_.snapshot_trailing));
    raft_set_snapshot_trailing(&raft_, snapshots_.trailing);
  }
  LogBudgetReset();
}

void RaftNode::LogBudgetReset() {
  if (log_take_asked_) raft_set_snapshot_threshold(&raft_, options_.snapshot_threshold);
  log_take_asked_ = false;
  log_entries_since_take_ = 0;
  snapshots_.log_bytes = 0;
}

std::string RaftNode::CheckpointDir(uint64_t origin, uint64_t checkpoint_id) const {
  return absl::StrCat(options_.state_root, "/snapshots/", origin, "-", checkpoint_id);
}

// Loop thread, from TakeGuard, right after FsmSnapshot: the checkpoint is made on its own thread
// while this one goes on applying entries; installs received meanwhile wait (take_guard.h).
void RaftNode::PrepareTake(const raft_snapshot* snapshot, std::function<void()> ready) {
  CORE_CHECK(take_.has_value() && take_->snapshot == nullptr,
             "a snapshot take without FsmSnapshot");
  take_->snapshot = snapshot;
  take_->ready = std::move(ready);
  if (checkpoint_thread_.joinable()) checkpoint_thread_.join();
  checkpoint_thread_ = std::thread([this, index = take_->index] {
    checkpoint_result_ = MakeCheckpoint(index);
    uv_async_send(&checkpoint_made_);
  });
}

void RaftNode::OnCheckpointMade(uv_async_t* handle) {
  static_cast<RaftNode*>(handle->data)->FinishTake();
}

// Loop thread: the manifest replaces the placeholder and libraft writes the snapshot. If the
// checkpoint failed, the snapshot is the whole state instead (the format without a state_root):
// libraft's take cannot fail once started.
void RaftNode::FinishTake() {
  if (!take_.has_value() || take_->snapshot == nullptr) return;  // Already finished (Close).
  LoopTurns::Timer timer(&turns_, LoopTurns::kSnapshot);
  if (checkpoint_thread_.joinable()) checkpoint_thread_.join();
  std::string payload;
  if (checkpoint_result_.ok()) {
    payload = *std::move(checkpoint_result_);
  } else {
    std::fprintf(stderr,
                 "ledgerd: snapshot checkpoint failed (%s); the snapshot holds the whole state\n",
                 checkpoint_result_.status().ToString().c_str());
    payload = replica_.Snapshot();
  }
  raft_buffer& buffer = take_->snapshot->bufs[0];
  raft_free(buffer.base);
  buffer.base = raft_malloc(payload.size());
  CORE_CHECK(buffer.base != nullptr, "out of memory for a snapshot");
  std::memcpy(buffer.base, payload.data(), payload.size());
  buffer.len = payload.size();
  snapshots_.last_take_seconds = SecondsSince(take_->start);
  snapshots_.last_take_bytes = payload.size();
  std::function<void()> ready = std::move(take_->ready);
  take_.reset();
  ready();
}

// Checkpoint thread: a checkpoint of the state, named by libraft's snapshot index. It holds at
// least that index, and whatever the loop thread applied while it was made: its own applied index
// (read back from it) is the manifest's, and a replica that installs it skips the log entries up
// to there (replica.h), as after any restart.
absl::StatusOr<std::string> RaftNode::MakeCheckpoint(uint64_t index) {
  const std::string dir = CheckpointDir(options_.id, index);
  const std::string partial = dir + ".tmp";
  std::error_code error;
  std::filesystem::remove_all(partial, error);
  std::filesystem::remove_all(dir, error);
  std::filesystem::create_directories(options_.state_root + "/snapshots", error);
  if (error) return absl::UnavailableError(absl::StrCat("snapshots folder: ", error.message()));
  if (absl::Status taken = store_->Checkpoint(partial); !taken.ok()) return taken;
  uint64_t applied = 0;
  {
    RocksStore::Options read_only;
    read_only.read_only = true;
    absl::StatusOr<std::unique_ptr<RocksStore>> opened = RocksStore::Open(partial, read_only);
    if (!opened.ok()) return opened.status();
    applied = ReadAppliedIndex(**opened);
  }
  // Opening it for reading may have added RocksDB's info log; the checkpoint is its table files,
  // MANIFEST, CURRENT and OPTIONS.
  for (const auto& entry : std::filesystem::directory_iterator(partial, error)) {
    const std::string name = entry.path().filename().string();
    if (name == "LOG" || name.rfind("LOG.old", 0) == 0)
      std::filesystem::remove(entry.path(), error);
  }
  if (applied < index) {
    return absl::InternalError(
        absl::StrCat("checkpoint at applied index ", applied, " for a snapshot at ", index));
  }
  std::filesystem::rename(partial, dir, error);
  if (error) return absl::UnavailableError(absl::StrCat("rename ", partial, ": ", error.message()));
  absl::StatusOr<CheckpointManifest> manifest =
      DescribeCheckpoint(dir, index, applied, options_.id, &hashes_);
  if (!manifest.ok()) return manifest.status();
  PruneCheckpoints();
  return EncodeCheckpointManifest(*manifest);
}

// Keeps the two newest checkpoints (libraft keeps two snapshots and sends the newest), and every
// checkpoint whose index a snapshot in libraft's folder still has ("snapshot-TERM-INDEX-TIME"):
// libraft may load that snapshot at the next start (this node then needs the files, or a peer
// does), or send it to a follower.
void RaftNode::PruneCheckpoints() {
  constexpr size_t kCheckpointsKept = 2;
  std::set<uint64_t> held;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(options_.raft_dir, error)) {
    const std::vector<std::string> parts = absl::StrSplit(entry.path().filename().string(), '-');
    uint64_t index = 0;
    if (parts.size() >= 3 && parts[0] == "snapshot" && absl::SimpleAtoi(parts[2], &index))
      held.insert(index);
  }
  const std::string folder = options_.state_root + "/snapshots";
  std::vector<std::pair<uint64_t, std::string>> kept;
  for (const auto& entry : std::filesystem::directory_iterator(folder, error)) {
    const std::string name = entry.path().filename().string();
    const size_t dash = name.find('-');
    uint64_t id = 0;
    if (dash == std::string::npos || !absl::SimpleAtoi(name.substr(dash + 1), &id)) {
      if (name.ends_with(".tmp")) std::filesystem::remove_all(entry.path(), error);
      continue;
    }
    kept.emplace_back(id, entry.path().string());
  }
  std::sort(kept.begin(), kept.end(), std::greater<>());
  for (size_t i = kCheckpointsKept; i < kept.size(); ++i) {
    if (!held.count(kept[i].first)) std::filesystem::remove_all(kept[i].second, error);
  }
}

absl::StatusOr<std::string> RaftNode::ReadSnapshotChunk(uint64_t origin, uint64_t checkpoint_id,
                                                        const std::string& name,
                                                        uint64_t offset) const {
  if (options_.state_root.empty()) {
    return absl::FailedPreconditionError("this node takes whole-state snapshots");
  }
  return ReadCheckpointChunk(CheckpointDir(origin, checkpoint_id), name, offset,
                             kCheckpointChunkBytes);
}

// Where the files come from: this node's own copy, else the leader that sent the snapshot, else
// the node that took it.
absl::StatusOr<ChunkSource> RaftNode::SnapshotSource(const CheckpointManifest& manifest) {
  const std::string local = CheckpointDir(manifest.origin, manifest.checkpoint_id);
  if (std::filesystem::is_directory(local)) {
    return ChunkSource([local](const std::string& name, uint64_t offset) {
      return ReadCheckpointChunk(local, name, offset, kCheckpointChunkBytes);
    });
  }
  if (!options_.snapshot_source) {
    return absl::FailedPreconditionError("no way to fetch snapshot files from peers");
  }
  raft_id leader_id = 0;
  const char* leader_address = nullptr;
  raft_leader(&raft_, &leader_id, &leader_address);
  // The leader that sent it, the node that took it, then every other peer (a node that installed
  // it keeps a copy): the first that has the manifest's first file.
  std::vector<uint64_t> order;
  if (leader_id != 0 && leader_id != options_.id) order.push_back(leader_id);
  if (manifest.origin != options_.id) order.push_back(manifest.origin);
  std::vector<RaftPeer> candidates;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& [id, peer] : peers_) {
      if (id != options_.id && std::find(order.begin(), order.end(), id) == order.end())
        order.push_back(id);
    }
    for (uint64_t id : order) {
      auto peer = peers_.find(id);
      if (peer != peers_.end()) candidates.push_back(peer->second);
    }
  }
  absl::Status last = absl::UnavailableError(absl::StrCat(
      "snapshot ", manifest.origin, "-", manifest.checkpoint_id, ": no peer address (--peers)"));
  for (const RaftPeer& peer : candidates) {
    absl::StatusOr<ChunkSource> source =
        options_.snapshot_source(peer, manifest.origin, manifest.checkpoint_id);
    if (!source.ok()) {
      last = source.status();
      continue;
    }
    if (manifest.files.empty()) return source;
    absl::StatusOr<std::string> probe = (*source)(manifest.files.front().name, 0);
    if (probe.ok()) return source;
    last = absl::Status(probe.status().code(),
                        absl::StrCat("node ", peer.id, ": ", probe.status().message()));
  }
  return last;
}

// Fetches, verifies and commits the checkpoint (checkpoint_files.h), keeps a copy to serve, and
// reopens the store there.
absl::Status RaftNode::InstallManifest(const CheckpointManifest& manifest) {
  absl::StatusOr<ChunkSource> source = SnapshotSource(manifest);
  if (!source.ok()) return source.status();
  absl::StatusOr<std::string> installed =
      InstallCheckpoint(options_.state_root, manifest, *source, options_.install_hook);
  if (!installed.ok()) return installed.status();
  const std::string copy = CheckpointDir(manifest.origin, manifest.checkpoint_id);
  if (!std::filesystem::is_directory(copy)) {
    if (absl::Status kept = CopyCheckpoint(*installed, manifest, copy); !kept.ok()) {
      std::fprintf(stderr, "ledgerd: %s (this node will not serve it)\n", kept.ToString().c_str());
    }
  }
  const std::string old_dir = store_->path();
  absl::Status reopened = store_->Reopen(*installed, [root = options_.state_root, old_dir] {
    absl::Status removed = RemoveOldState(root, old_dir);
    if (!removed.ok()) std::fprintf(stderr, "ledgerd: %s\n", removed.ToString().c_str());
  });
  if (!reopened.ok()) {
    // The pointer names the new state already: a restart opens it.
    StopForWriteFailure(absl::UnavailableError(
        absl::StrCat("snapshot installed in ", *installed,
                     " but not opened; restart the node: ", reopened.message())));
    return reopened;
  }
  adapter_.Reset();
  replica_.Reload();
  PruneCheckpoints();
  if (replica_.applied_index() != manifest.applied_index) {
    return absl::DataLossError(absl::StrCat("snapshot at index ", manifest.applied_index,
                                            " installed as index ", replica_.applied_index()));
  }
  return absl::OkStatus();
}

int RaftNode::FsmRestore(raft_fsm* fsm, raft_buffer* buffer) {
  RaftNode* node = static_cast<RaftNode*>(fsm->data);
  LoopTurns::Timer timer(&node->turns_, LoopTurns::kRestore);
  const auto start = std::chrono::steady_clock::now();
  const uint64_t before = node->replica_.applied_index();
  const std::string_view bytes(static_cast<const char*>(buffer->base), buffer->len);
  absl::StatusOr<CheckpointManifest> manifest = DecodeCheckpointManifest(bytes);
  absl::Status restored;
  uint64_t moved = bytes.size();
  if (node->options_.state_root.empty() || !manifest.ok()) {
    // A whole-state snapshot (the format before, or a node without a state_root).
    restored = node->replica_.Restore(bytes, /*sync=*/true);
  } else if (manifest->applied_index > before) {
    moved = manifest->TotalBytes();
    restored = node->InstallManifest(*manifest);
  }
  if (!restored.ok()) {
    std::fprintf(stderr, "snapshot restore failed: %s\n", restored.ToString().c_str());
    return RAFT_CORRUPT;
  }
  raft_free(buffer->base);  // On success the FSM owns the buffer.
  node->FinishRestore(before, moved, start);
  return 0;
}

void RaftNode::FinishRestore(uint64_t before, uint64_t bytes,
                             std::chrono::steady_clock::time_point start) {
  LogBudgetReset();  // The log before the snapshot is gone.
  snapshots_.installed++;
  snapshots_.last_install_seconds = SecondsSince(start);
  snapshots_.last_install_bytes = bytes;
  if (replica_.applied_index() != before) {
    std::fprintf(stderr, "ledgerd: restored snapshot at applied index %llu\n",
                 static_cast<unsigned long long>(replica_.applied_index()));
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    journal_index_ = ReadHead(*store_).index;
  }
  committed_changed_.notify_all();
  if (std::string broken = replica_.CheckInvariants(); !broken.empty()) {
    StopForInvariant("after restoring a snapshot: " + broken);
  }
}

void RaftNode::RefreshStatus() {
  RaftStatus status;
  status.id = options_.id;
  const int state = closing_ ? RAFT_UNAVAILABLE : raft_state(&raft_);
  status.role = StateName(state);
  status.term = raft_current_term(&raft_);
  raft_id leader_id = 0;
  const char* leader_address = nullptr;
  if (!closing_) raft_leader(&raft_, &leader_id, &leader_address);
  status.leader_id = leader_id;
  status.commit_index = raft_commit_index(&raft_);
  status.applied_index = raft_last_applied(&raft_);
  status.last_index = raft_last_index(&raft_);
  for (unsigned i = 0; i < raft_.configuration.n; ++i) {
    const raft_server& server = raft_.configuration.servers[i];
    status.members.push_back({server.id, server.address, "", RoleName(server.role), {}});
    raft_index match = 0;
    if (state == RAFT_LEADER && raft_match_index(&raft_, server.id, &match) == 0) {
      status.members.back().match_index = match;
    }
  }
  status.snapshots = snapshots_;
  status.snapshots.held_messages = take_guard_.held_total();
  status.loop = {turns_.busy_seconds(), turns_.slow_turns(), turns_.longest_busy_seconds()};
  std::lock_guard<std::mutex> lock(mutex_);
  status.journal_index = journal_index_;
  auto leader = peers_.find(leader_id);
  if (leader != peers_.end()) {
    status.leader_address = leader->second.grpc_address;
    status.leader_operator_address = leader->second.operator_address;
  }
  for (RaftStatus::Member& member : status.members) {
    auto peer = peers_.find(member.id);
    if (peer == peers_.end()) continue;
    member.grpc_address = peer->second.grpc_address;
    member.operator_address = peer->second.operator_address;
  }
  status_ = std::move(status);
}

void RaftNode::Close() {
  closing_ = true;
  uv_timer_stop(&timer_);
  FinishTake();  // A take being prepared is written first: raft_uv refuses writes once closing.
  RefreshStatus();
  raft_close(&raft_,
             OnRaftClosed);  // Pending applies, barriers and changes are answered as cancelled.
}

void RaftNode::OnRaftClosed(struct raft* raft) {
  RaftNode* node = static_cast<RaftNode*>(raft->data);
  for (auto& [number, proposal] : node->proposals_) node->Answer(*proposal, RAFT_SHUTDOWN);
  node->proposals_.clear();
  if (node->barrier_) {
    for (auto& read : node->barrier_->waiters)
      read->done.set_value(absl::UnavailableError("node is stopping"));
    node->barrier_.reset();
  }
  for (auto& admin : node->admins_running_)
    admin->done.set_value(absl::UnavailableError("node is stopping"));
  node->admins_running_.clear();
  node->FailBacklog(absl::UnavailableError("node is stopping"));
  raft_uv_close(&node->io_);
  {
    std::lock_guard<std::mutex> lock(node->mutex_);
    node->wake_closed_ = true;
  }
  uv_close(reinterpret_cast<uv_handle_t*>(&node->wake_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&node->timer_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&node->turn_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&node->checkpoint_made_), nullptr);
  node->take_guard_.Close();
}

}  // namespace ledger
