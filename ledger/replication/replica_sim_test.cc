// Deterministic simulation of the replicated ledger on libraft's own test fixture (raft/fixture.h):
// 3- and 5-node clusters run the real Replica (entry decoding, the deterministic core, snapshots)
// over in-memory stores while a seeded client proposes random transfer batches and a seeded
// adversary partitions, kills, revives, slows disks and networks, and isolates leaders. Everything
// — faults, latencies, workload, the entries' timestamps — derives from one seed and the fixture's
// simulated clock.
//
// Checked after every step: replicas at the same applied index have the same journal head; the
// state of every replica that applied something keeps its invariants (per asset balances sum to
// zero, no account with a floor below it, pendings and lots consistent). A proposal whose outcome
// libraft could not report (leadership lost, node killed) is retried with the same transfer ids
// until it is decided. After the cluster heals: every replica has the byte-identical state, the
// journal verifies, every acknowledged transfer is present, and every balance equals the sum of the
// decided transfers — each applied once.
//
// Replay one seed:  LEDGER_SIM_SEED=<seed> bazel test //ledger/replication:replica_sim_test
// More seeds:       LEDGER_SIM_SEEDS=5000 (default 300; first seed LEDGER_SIM_FIRST_SEED, default
// random) Raft's own trace: LEDGER_SIM_TRACE=1
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "ledger/core/codec.h"
#include "ledger/core/journal.h"
#include "ledger/core/kv.h"
#include "ledger/core/query.h"
#include "ledger/core/test_util.h"
#include "ledger/replication/raft_api.h"
#include "ledger/replication/replica.h"

namespace ledger {
namespace {

using testing::Id;

constexpr AssetId kCoin = 1, kPoints = 2;
constexpr uint64_t kCoinIssuer = 1, kPointsBudget = 2, kCoinBreakage = 900, kPointsBreakage = 901;
constexpr uint64_t kFirstWallet = 10;
constexpr int kWalletsPerAsset = 5;
constexpr int64_t kPointsExpirySeconds =
    30;  // Simulated runs span minutes: lots expire under load.
constexpr int kStepsPerSeed = 2500;
constexpr int kHealStepsMax = 200000;
constexpr size_t kInFlightMax = 4;
constexpr size_t kTransfersPerProposalMax = 8;

uint64_t EnvOr(const char* name, uint64_t fallback) {
  const char* value = std::getenv(name);
  return value ? std::strtoull(value, nullptr, 10) : fallback;
}

class MemoryStore final : public ReplicaStore {
 public:
  const KvReader& reader() const override { return state_; }
  absl::Status Write(const WriteSet& writes, bool) override {
    state_.Apply(writes);
    return absl::OkStatus();
  }
  const MemoryKv& state() const { return state_; }

 private:
  MemoryKv state_;
};

// The fixture traces every Raft event to stderr; LEDGER_SIM_TRACE=1 keeps that, otherwise it is
// dropped.
void QuietEmit(struct raft_tracer*, int, const void*) {}
struct raft_tracer quiet_tracer = {nullptr, 2, QuietEmit};

class Simulation;

struct Server {
  Simulation* simulation = nullptr;
  uint64_t id = 0;
  MemoryStore store;
  std::unique_ptr<Replica> replica;
  raft_fsm fsm{};
  struct raft* raft = nullptr;
  uint64_t checked_index = 0;
};

struct Proposal {
  Simulation* simulation = nullptr;
  struct raft_apply apply;
  uint64_t number = 0;
  std::vector<Transfer> transfers;
  bool setup = false;
  std::optional<std::vector<Outcome>>
      outcomes;  // Filled by the proposer's FSM when it applies the entry.
};

// What the client knows about each transfer id it ever sent.
struct Decided {
  Transfer transfer;
  std::optional<Outcome> outcome;  // nullopt while unknown.
  bool in_flight = false;
};

class Simulation {
 public:
  // kFaults: every fault; snapshots are taken (every few entries for half the seeds) but the log is
  // never
  //   compacted, so no follower needs one installed.
  // kCatchUp: a stable leader, followers killed and revived while the log is compacted every few
  //   entries: they come back behind the compacted log and catch up by snapshot install and
  //   restore.
  // Why two modes: libraft 0.22.1's in-memory test I/O (raft_fixture) mishandles a follower log
  // that starts after an installed snapshot when entries must later be truncated (an out-of-bounds
  // read and a double free in its truncate, src/fixture.c); leader changes after an install trigger
  // it. The real disk I/O (raft_uv) is separate code, exercised by the multi-process tests in
  // tests/.
  enum class Mode { kFaults, kCatchUp };

  Simulation(uint64_t seed, Mode mode) : seed_(seed), mode_(mode), random_(seed) {}
  ~Simulation() {
    if (fixture_ready_) raft_fixture_close(&fixture_);
  }

  // Returns "" on success, else what went wrong.
  std::string Run() {
    const unsigned servers = Pick(2) == 0 ? 3 : 5;
    const bool small_snapshots = mode_ == Mode::kCatchUp || Pick(2) == 0;
    description_ = std::string(mode_ == Mode::kCatchUp ? "catch-up" : "faults") + ", " +
                   std::to_string(servers) + " nodes, snapshots every " +
                   (small_snapshots ? "few" : "1024") + " entries";
    if (raft_fixture_init(&fixture_) != 0) return "raft_fixture_init failed";
    fixture_ready_ = true;
    for (unsigned i = 0; i < servers; ++i) {
      auto server = std::make_unique<Server>();
      server->simulation = this;
      server->id = i + 1;
      server->replica = std::make_unique<Replica>(&server->store);
      server->fsm.version = 1;
      server->fsm.data = server.get();
      server->fsm.apply = FsmApply;
      server->fsm.snapshot = FsmSnapshot;
      server->fsm.restore = FsmRestore;
      if (raft_fixture_grow(&fixture_, &server->fsm) != 0) return "raft_fixture_grow failed";
      server->raft = raft_fixture_get(&fixture_, i);
      raft_set_pre_vote(server->raft, true);
      if (std::getenv("LEDGER_SIM_TRACE") == nullptr) server->raft->tracer = &quiet_tracer;
      if (small_snapshots) raft_set_snapshot_threshold(server->raft, 8 + Pick(24));
      raft_set_snapshot_trailing(server->raft, mode_ == Mode::kCatchUp ? 2 + Pick(8) : 1'000'000);
      // Distinct timeouts (the fixture hands the same value out at every election): no endless
      // split votes.
      raft_fixture_set_randomized_election_timeout(&fixture_, i, 1000 + 150 * i + Pick(100));
      servers_.push_back(std::move(server));
    }
    raft_configuration configuration;
    if (raft_fixture_configuration(&fixture_, servers, &configuration) != 0)
      return "configuration failed";
    const int bootstrapped = raft_fixture_bootstrap(&fixture_, &configuration);
    raft_configuration_close(&configuration);
    if (bootstrapped != 0 || raft_fixture_start(&fixture_) != 0) return "bootstrap/start failed";

    if (std::string error = Setup(); !error.empty()) return error;
    for (int step = 0; step < kStepsPerSeed; ++step) {
      Act();
      raft_fixture_step(&fixture_);
      if (std::string error = Check(); !error.empty())
        return "step " + std::to_string(step) + ": " + error;
    }
    return HealAndVerify();
  }

  const std::string& description() const { return description_; }
  bool stalled() const { return stalled_; }
  uint64_t acknowledged() const { return acknowledged_; }
  uint64_t unknown() const { return unknown_; }

 private:
  unsigned Pick(unsigned n) { return static_cast<unsigned>(random_() % n); }

  Server* Leader() {
    const unsigned index = raft_fixture_leader_index(&fixture_);
    if (index >= servers_.size() || !raft_fixture_alive(&fixture_, index)) return nullptr;
    return servers_[index].get();
  }

  Timestamp Now() { return testing::kEpoch + raft_fixture_time(&fixture_) * 1'000'000; }

  bool Propose(Server* leader, std::vector<Command> commands, std::unique_ptr<Proposal> proposal) {
    proposal->simulation = this;
    proposal->number = ++proposals_made_;
    Batch batch;
    batch.commands = std::move(commands);
    batch.request_sizes.push_back(static_cast<uint32_t>(batch.commands.size()));
    const std::string entry = EncodeEntry(EntryHeader{leader->id, proposal->number, Now()}, batch);
    raft_buffer buffer;
    buffer.len = entry.size();
    buffer.base = raft_malloc(entry.size());
    std::memcpy(buffer.base, entry.data(), entry.size());
    proposal->apply.data = proposal.get();
    if (raft_apply(leader->raft, &proposal->apply, &buffer, 1, OnApplied) != 0)
      return false;  // libraft frees.
    in_flight_[proposal->number] = std::move(proposal);
    return true;
  }

  std::string Setup() {
    std::vector<Command> commands = {
        testing::MakeAsset(kCoin, "COIN", 0, kCoinBreakage),
        testing::MakeAsset(kPoints, "HP", kPointsExpirySeconds, kPointsBreakage),
        testing::MakeAccount(kCoinIssuer, kCoin, AccountKind::kIssuer),
        testing::MakeAccount(kPointsBudget, kPoints, AccountKind::kBudget)};
    for (int i = 0; i < kWalletsPerAsset; ++i) {
      commands.push_back(testing::MakeAccount(kFirstWallet + i, kCoin, AccountKind::kWallet,
                                              account_flags::kNonNegative));
      commands.push_back(testing::MakeAccount(kFirstWallet + 100 + i, kPoints, AccountKind::kWallet,
                                              account_flags::kNonNegative));
    }
    for (int attempt = 0; attempt < 20 && !setup_done_; ++attempt) {
      if (!raft_fixture_step_until_has_leader(&fixture_, 10000)) return "no leader at setup";
      auto proposal = std::make_unique<Proposal>();
      proposal->setup = true;
      if (!Propose(Leader(), commands, std::move(proposal))) continue;
      for (int i = 0; i < 20000 && !in_flight_.empty(); ++i) raft_fixture_step(&fixture_);
    }
    return setup_done_ ? "" : "setup never committed";
  }

  // One random client action or fault.
  void Act() {
    if (mode_ == Mode::kCatchUp) return ActCatchUp();
    const unsigned roll = Pick(1000);
    const unsigned n = static_cast<unsigned>(servers_.size());
    if (roll < 350) {
      ProposeTransfers();
    } else if (roll < 358) {
      const unsigned i = Pick(n), j = Pick(n);
      if (i != j)
        raft_fixture_disconnect(&fixture_, i, j), raft_fixture_disconnect(&fixture_, j, i);
    } else if (roll < 370) {
      const unsigned i = Pick(n), j = Pick(n);
      if (i != j) raft_fixture_reconnect(&fixture_, i, j), raft_fixture_reconnect(&fixture_, j, i);
    } else if (roll < 374) {
      raft_fixture_kill(&fixture_, Pick(n));
    } else if (roll < 384) {
      const unsigned i = Pick(n);
      if (!raft_fixture_alive(&fixture_, i)) raft_fixture_revive(&fixture_, i);
    } else if (roll < 388) {
      raft_fixture_set_network_latency(&fixture_, Pick(n), 5 + Pick(150));
    } else if (roll < 392) {
      raft_fixture_set_disk_latency(&fixture_, Pick(n), 1 + Pick(80));
    } else if (roll < 395) {
      // Isolate the leader: an election under load.
      const unsigned leader = raft_fixture_leader_index(&fixture_);
      if (leader < n) {
        for (unsigned j = 0; j < n; ++j) {
          if (j != leader)
            raft_fixture_disconnect(&fixture_, leader, j),
                raft_fixture_disconnect(&fixture_, j, leader);
        }
      }
    } else if (roll < 405) {
      HealNetwork();
    }
  }

  // Load, and followers dying and coming back; the leader stays.
  void ActCatchUp() {
    const unsigned roll = Pick(1000);
    const unsigned n = static_cast<unsigned>(servers_.size());
    const unsigned leader = raft_fixture_leader_index(&fixture_);
    const unsigned i = Pick(n);
    if (roll < 400) {
      ProposeTransfers();
    } else if (roll < 404) {
      unsigned dead = 0;
      for (unsigned j = 0; j < n; ++j) dead += !raft_fixture_alive(&fixture_, j);
      if (i != leader && leader < n && dead + 1 < (n + 1) / 2) raft_fixture_kill(&fixture_, i);
    } else if (roll < 410) {
      if (!raft_fixture_alive(&fixture_, i)) raft_fixture_revive(&fixture_, i);
    }
  }

  void HealNetwork() {
    const unsigned n = static_cast<unsigned>(servers_.size());
    for (unsigned i = 0; i < n; ++i) {
      for (unsigned j = 0; j < n; ++j) {
        if (i != j) raft_fixture_reconnect(&fixture_, i, j);
      }
    }
  }

  void ProposeTransfers() {
    Server* leader = Leader();
    if (leader == nullptr || raft_state(leader->raft) != RAFT_LEADER ||
        in_flight_.size() >= kInFlightMax)
      return;
    auto proposal = std::make_unique<Proposal>();
    std::vector<Command> commands;
    // Retries first: the same ids and fields as before.
    for (auto& [id, decided] : transfers_) {
      if (proposal->transfers.size() >= kTransfersPerProposalMax) break;
      if (decided.outcome || decided.in_flight) continue;
      proposal->transfers.push_back(decided.transfer);
    }
    const size_t count = 1 + Pick(kTransfersPerProposalMax);
    while (proposal->transfers.size() < count) proposal->transfers.push_back(NewTransfer());
    for (const Transfer& transfer : proposal->transfers) {
      commands.push_back(transfer);
      Decided& decided = transfers_[transfer.id.low];
      decided.transfer = transfer;
      decided.in_flight = true;
    }
    std::vector<uint64_t> ids;
    for (const Transfer& transfer : proposal->transfers) ids.push_back(transfer.id.low);
    if (!Propose(leader, std::move(commands), std::move(proposal))) {
      for (uint64_t id : ids) transfers_[id].in_flight = false;
    }
  }

  Transfer NewTransfer() {
    const uint64_t id = ++next_transfer_id_;
    const bool points = Pick(3) == 0;
    const uint64_t base = kFirstWallet + (points ? 100 : 0);
    const uint64_t issuer = points ? kPointsBudget : kCoinIssuer;
    const uint64_t wallet = base + Pick(kWalletsPerAsset);
    const int64_t amount = 1 + Pick(500);
    switch (Pick(4)) {
      case 0:
        return testing::MakeTransfer(id, issuer, wallet, amount);  // Issue.
      case 1:
        return testing::MakeTransfer(id, wallet, issuer, amount);  // Redeem.
      default:
        return testing::MakeTransfer(id, wallet, base + Pick(kWalletsPerAsset), amount);  // Pay.
    }
  }

  // ---- libraft callbacks ----

  static int FsmApply(raft_fsm* fsm, const raft_buffer* buffer, void** result) {
    Server* server = static_cast<Server*>(fsm->data);
    *result = nullptr;
    const uint64_t index = raft_last_applied(server->raft) + 1;
    absl::StatusOr<Replica::Applied> applied = server->replica->Apply(
        index, std::string_view(static_cast<const char*>(buffer->base), buffer->len));
    if (!applied.ok()) {
      server->simulation->Fail("store write failed: " + applied.status().ToString());
      return 0;
    }
    if (applied->skipped) return 0;
    if (!applied->status.ok()) {
      server->simulation->Fail("core refused an entry: " + applied->status.ToString());
      return 0;
    }
    if (applied->header.proposer == server->id) {
      auto& in_flight = server->simulation->in_flight_;
      auto it = in_flight.find(applied->header.proposal);
      if (it != in_flight.end()) it->second->outcomes = applied->output.entry.outcomes;
    }
    return 0;
  }

  static int FsmSnapshot(raft_fsm* fsm, raft_buffer* buffers[], unsigned* count) {
    Server* server = static_cast<Server*>(fsm->data);
    const std::string snapshot = server->replica->Snapshot();
    raft_buffer* array = static_cast<raft_buffer*>(raft_malloc(sizeof(raft_buffer)));
    array[0].len = snapshot.size();
    array[0].base = raft_malloc(snapshot.size());
    std::memcpy(array[0].base, snapshot.data(), snapshot.size());
    *buffers = array;
    *count = 1;
    ++server->simulation->snapshots_taken_;
    return 0;
  }

  static int FsmRestore(raft_fsm* fsm, raft_buffer* buffer) {
    Server* server = static_cast<Server*>(fsm->data);
    absl::Status status = server->replica->Restore(
        std::string_view(static_cast<const char*>(buffer->base), buffer->len), true);
    if (!status.ok()) {
      server->simulation->Fail("snapshot restore failed: " + status.ToString());
      return RAFT_CORRUPT;
    }
    raft_free(buffer->base);
    ++server->simulation->snapshots_restored_;
    return 0;
  }

  static void OnApplied(struct raft_apply* request, int status, void*) {
    Proposal* raw = static_cast<Proposal*>(request->data);
    Simulation* simulation = raw->simulation;
    auto it = simulation->in_flight_.find(raw->number);
    if (it == simulation->in_flight_.end()) {
      simulation->Fail("callback for an unknown proposal");
      return;
    }
    std::unique_ptr<Proposal> proposal = std::move(it->second);
    simulation->in_flight_.erase(it);
    simulation->Answered(*proposal, status);
  }

  void Answered(const Proposal& proposal, int status) {
    const bool known = status == 0 && proposal.outcomes.has_value();
    if (proposal.setup) {
      setup_done_ = setup_done_ || known;
      return;
    }
    if (known && proposal.outcomes->size() != proposal.transfers.size()) {
      Fail("outcome count differs from the request");
      return;
    }
    for (size_t i = 0; i < proposal.transfers.size(); ++i) {
      Decided& decided = transfers_[proposal.transfers[i].id.low];
      decided.in_flight = false;
      if (!known) {
        ++unknown_;
        continue;
      }
      const Outcome& outcome = (*proposal.outcomes)[i];
      if (decided.outcome && (decided.outcome->result != outcome.result || !outcome.duplicate)) {
        Fail("transfer " + std::to_string(decided.transfer.id.low) + " decided twice: " +
             ResultName(decided.outcome->result) + " then " + ResultName(outcome.result) +
             (outcome.duplicate ? " (duplicate)" : " (not marked duplicate)"));
        return;
      }
      decided.outcome = outcome;
      ++acknowledged_;
    }
  }

  void Fail(std::string message) {
    if (failure_.empty()) failure_ = std::move(message);
  }

  // ---- Checks ----

  std::string Check() {
    if (!failure_.empty()) return failure_;
    for (auto& server : servers_) {
      const uint64_t index = server->replica->applied_index();
      if (index == server->checked_index) continue;
      server->checked_index = index;
      const JournalHead head = ReadHead(server->store.state());
      auto [it, inserted] = heads_.emplace(index, head.hash);
      if (!inserted && it->second != head.hash) {
        return "replica " + std::to_string(server->id) +
               " has a different journal head at applied index " + std::to_string(index);
      }
      if (std::string error =
              testing::CheckInvariants(server->store.state(), /*verify_journal=*/false);
          !error.empty()) {
        return "replica " + std::to_string(server->id) + " at index " + std::to_string(index) +
               ": " + error;
      }
    }
    return "";
  }

  // A liveness stall after healing: no replica disagreed (Check ran on every step), but progress
  // stopped. Seen with the in-memory fixture only (see the test below); counted, reported, and
  // bounded.
  std::string Stalled(std::string what) {
    stalled_ = true;
    return what;
  }

  std::string HealAndVerify() {
    const unsigned n = static_cast<unsigned>(servers_.size());
    HealNetwork();
    for (unsigned i = 0; i < n; ++i) {
      if (!raft_fixture_alive(&fixture_, i)) raft_fixture_revive(&fixture_, i);
      raft_fixture_set_network_latency(&fixture_, i, 15);
      raft_fixture_set_disk_latency(&fixture_, i, 10);
    }
    // Retry every unknown outcome until each transfer is decided.
    int steps = 0;
    for (; steps < kHealStepsMax; ++steps) {
      bool pending = !in_flight_.empty();
      for (const auto& [id, decided] : transfers_) pending = pending || !decided.outcome;
      if (!pending) break;
      if (in_flight_.empty()) RetryUnknown();
      raft_fixture_step(&fixture_);
      if (std::string error = Check(); !error.empty()) return "healing: " + error;
    }
    if (steps == kHealStepsMax) return Stalled("transfers still undecided after healing");
    // Every replica catches up with the leader's last index.
    if (!raft_fixture_step_until_has_leader(&fixture_, 60000))
      return Stalled("no leader after healing");
    const raft_index last = raft_last_index(Leader()->raft);
    for (unsigned i = 0; i < n; ++i) {
      if (!raft_fixture_step_until_applied(&fixture_, i, last, 120000)) {
        return Stalled("replica " + std::to_string(i + 1) + " did not catch up to index " +
                       std::to_string(last));
      }
    }
    if (std::string error = Check(); !error.empty()) return error;
    const std::string hash = StateHash(servers_[0]->store.state());
    for (auto& server : servers_) {
      if (StateHash(server->store.state()) != hash) {
        return "replica " + std::to_string(server->id) + " state differs after healing";
      }
    }
    if (std::string error =
            testing::CheckInvariants(servers_[0]->store.state(), /*verify_journal=*/true);
        !error.empty()) {
      return "after healing: " + error;
    }
    return VerifyTransfers(servers_[0]->store.state());
  }

  void RetryUnknown() {
    Server* leader = Leader();
    if (leader == nullptr || raft_state(leader->raft) != RAFT_LEADER) return;
    auto proposal = std::make_unique<Proposal>();
    std::vector<Command> commands;
    for (auto& [id, decided] : transfers_) {
      if (decided.outcome || decided.in_flight ||
          proposal->transfers.size() >= kTransfersPerProposalMax)
        continue;
      proposal->transfers.push_back(decided.transfer);
      commands.push_back(decided.transfer);
      decided.in_flight = true;
    }
    std::vector<uint64_t> ids;
    for (const Transfer& transfer : proposal->transfers) ids.push_back(transfer.id.low);
    if (!Propose(leader, std::move(commands), std::move(proposal))) {
      for (uint64_t id : ids) transfers_[id].in_flight = false;
    }
  }

  // Every acknowledged transfer is present with its fields; balances equal the decided movements.
  std::string VerifyTransfers(const MemoryKv& state) {
    std::map<uint64_t, int64_t> expected;  // Wallet -> balance from decided transfers.
    for (const auto& [id, decided] : transfers_) {
      std::optional<Transfer> stored = LookupTransfer(state, Id(id));
      if (decided.outcome->result != Result::kOk) continue;
      if (!stored) return "acknowledged transfer " + std::to_string(id) + " is missing";
      if (stored->amount != decided.transfer.amount ||
          stored->debit_account_id != decided.transfer.debit_account_id ||
          stored->credit_account_id != decided.transfer.credit_account_id) {
        return "transfer " + std::to_string(id) + " stored with other fields";
      }
      expected[decided.transfer.debit_account_id.low] -= decided.transfer.amount;
      expected[decided.transfer.credit_account_id.low] += decided.transfer.amount;
    }
    int64_t points_decided = 0, points_held = 0;
    for (uint64_t base : {kFirstWallet, kFirstWallet + 100}) {
      for (int i = 0; i < kWalletsPerAsset; ++i) {
        const uint64_t wallet = base + i;
        std::optional<Account> account = LookupAccount(state, Id(wallet));
        if (!account) return "wallet " + std::to_string(wallet) + " is missing";
        // Points lots lapse into breakage by the sweep: those wallets only bound the sum from
        // above.
        const int64_t decided = expected[wallet];
        const bool expiring = base != kFirstWallet;
        if (expiring) points_decided += decided, points_held += account->balance;
        if ((!expiring && account->balance != decided) ||
            (expiring && account->balance > decided)) {
          return "wallet " + std::to_string(wallet) + " balance " +
                 std::to_string(account->balance) + " but the decided transfers give " +
                 std::to_string(decided);
        }
      }
    }
    // What lapsed went to breakage and nowhere else.
    std::optional<Account> breakage = LookupAccount(state, Id(kPointsBreakage));
    if (!breakage || points_held + breakage->balance != points_decided) {
      return "points: wallets hold " + std::to_string(points_held) + " plus breakage " +
             std::to_string(breakage ? breakage->balance : 0) +
             ", but the decided transfers give " + std::to_string(points_decided);
    }
    return "";
  }

  uint64_t seed_;
  Mode mode_;
  std::mt19937_64 random_;
  std::string description_;
  raft_fixture fixture_{};
  bool fixture_ready_ = false;
  std::vector<std::unique_ptr<Server>> servers_;
  std::map<uint64_t, std::unique_ptr<Proposal>> in_flight_;
  std::map<uint64_t, Decided> transfers_;
  std::map<uint64_t, std::string> heads_;  // Applied index -> journal head hash, as first seen.
  uint64_t proposals_made_ = 0;
  uint64_t next_transfer_id_ = 1000;
  bool setup_done_ = false;
  std::string failure_;
  bool stalled_ = false;
  uint64_t acknowledged_ = 0, unknown_ = 0;

 public:
  uint64_t snapshots_taken_ = 0, snapshots_restored_ = 0;
};

// What one seed's simulation gave.
struct SeedResult {
  uint64_t acknowledged = 0, unknown = 0, taken = 0, restored = 0;
  bool stalled = false;
  int crash_signal = 0;  // The child running the seed died of this signal (the fixture crashed).
  std::string error, description;
};

SeedResult RunSeed(uint64_t seed) {
  // One seed in four is a catch-up run.
  Simulation simulation(seed,
                        seed % 4 == 3 ? Simulation::Mode::kCatchUp : Simulation::Mode::kFaults);
  SeedResult result;
  result.error = simulation.Run();
  result.acknowledged = simulation.acknowledged();
  result.unknown = simulation.unknown();
  result.taken = simulation.snapshots_taken_;
  result.restored = simulation.snapshots_restored_;
  result.stalled = simulation.stalled();
  result.description = simulation.description();
  return result;
}

void WriteAll(int fd, const std::string& bytes) {
  for (size_t done = 0; done < bytes.size();) {
    const ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
    if (n <= 0) _exit(3);
    done += static_cast<size_t>(n);
  }
}

// Runs the seed in a child process: libraft 0.22.1's fixture itself crashes on rare seeds (SIGSEGV
// inside raft_fixture_step, about one seed in several thousand, e.g. 3020372631, on the code before
// and after the core was split), and a crash must not take the other seeds' verdicts down with it.
SeedResult RunSeedInChild(uint64_t seed) {
  int fds[2];
  if (pipe(fds) != 0) return RunSeed(seed);
  std::fflush(stdout);
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    const SeedResult r = RunSeed(seed);
    std::string out;
    Encoder e(&out);
    for (uint64_t v : {r.acknowledged, r.unknown, r.taken, r.restored, uint64_t{r.stalled}})
      e.U64(v);
    e.Bytes(r.error);
    e.Bytes(r.description);
    WriteAll(fds[1], out);
    close(fds[1]);
    std::fflush(stdout);
    _exit(0);
  }
  close(fds[1]);
  std::string bytes;
  char buffer[4096];
  for (ssize_t n; (n = read(fds[0], buffer, sizeof buffer)) > 0;) bytes.append(buffer, n);
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  SeedResult result;
  if (WIFSIGNALED(status)) {
    result.crash_signal = WTERMSIG(status);
    return result;
  }
  Decoder d(bytes);
  result.acknowledged = d.U64();
  result.unknown = d.U64();
  result.taken = d.U64();
  result.restored = d.U64();
  result.stalled = d.U64() != 0;
  result.error = d.Bytes();
  result.description = d.Bytes();
  if (!d.done()) result.error = "the child running the seed exited without a whole result";
  return result;
}

TEST(ReplicaSimTest, ClustersUnderFaultsAgreeAndLoseNothingAcknowledged) {
  const char* one = std::getenv("LEDGER_SIM_SEED");
  const uint64_t first = one ? std::strtoull(one, nullptr, 10)
                             : EnvOr("LEDGER_SIM_FIRST_SEED", std::random_device{}());
  const uint64_t seeds = one ? 1 : EnvOr("LEDGER_SIM_SEEDS", 300);
  std::printf("replica_sim_test: seeds %llu..%llu (replay one with LEDGER_SIM_SEED=<seed>)\n",
              static_cast<unsigned long long>(first),
              static_cast<unsigned long long>(first + seeds - 1));
  std::fflush(stdout);  // A crash must not swallow the seed range.
  uint64_t acknowledged = 0, unknown = 0, taken = 0, restored = 0, failures = 0, stalls = 0;
  for (uint64_t seed = first; seed < first + seeds; ++seed) {
    // One seed alone (a replay) runs in this process, so that a debugger sees it.
    const SeedResult r = one ? RunSeed(seed) : RunSeedInChild(seed);
    acknowledged += r.acknowledged;
    unknown += r.unknown;
    taken += r.taken;
    restored += r.restored;
    const std::string& error = r.error;
    if (r.crash_signal != 0 && r.crash_signal != SIGSEGV) {
      // An abort is a CORE_CHECK (or a libraft assertion): a failure like any other.
      ++failures;
      ADD_FAILURE() << "seed " << seed << ": the simulation died of signal " << r.crash_signal
                    << "\nreproduce with LEDGER_SIM_SEED=" << seed;
      if (failures >= 5) break;
    } else if (r.crash_signal != 0) {
      // A segmentation fault inside libraft's own test fixture (seen only there: gdb on seed
      // 3020372631 stops in raft_fixture_step), counted with the stalls below (2 %), printed.
      ++stalls;
      std::printf(
          "replica_sim_test: seed %llu: libraft's fixture crashed (signal %d) (replay with "
          "LEDGER_SIM_SEED=%llu)\n",
          static_cast<unsigned long long>(seed), r.crash_signal,
          static_cast<unsigned long long>(seed));
      std::fflush(stdout);
    } else if (!error.empty() && r.stalled && one == nullptr) {
      // Safety held (every applied index agreed on every replica) but progress stopped after
      // healing. libraft 0.22.1's fixture shows two such stalls (about 1 seed in 10,000 each): a
      // follower whose log starts after its own snapshot rejects appends whose previous index lies
      // below that snapshot while refusing the leader's older snapshot (seed 479), and a
      // killed-then-revived follower whose pending fixture disk write never completes stays
      // "persisting" and never campaigns (seed 3141). Tolerated up to 2 % of the seeds; each is
      // printed for replay.
      ++stalls;
      std::printf(
          "replica_sim_test: seed %llu (%s) stalled: %s (replay with LEDGER_SIM_SEED=%llu)\n",
          static_cast<unsigned long long>(seed), r.description.c_str(), error.c_str(),
          static_cast<unsigned long long>(seed));
      std::fflush(stdout);
    } else if (!error.empty()) {
      ++failures;
      ADD_FAILURE() << "seed " << seed << " (" << r.description << "): " << error
                    << "\nreproduce with LEDGER_SIM_SEED=" << seed;
      if (failures >= 5) break;
    }
  }
  std::printf(
      "replica_sim_test: %llu seeds, %llu transfer outcomes acknowledged, %llu unknown then "
      "retried, "
      "%llu snapshots taken, %llu restored, %llu stalled\n",
      static_cast<unsigned long long>(seeds), static_cast<unsigned long long>(acknowledged),
      static_cast<unsigned long long>(unknown), static_cast<unsigned long long>(taken),
      static_cast<unsigned long long>(restored), static_cast<unsigned long long>(stalls));
  EXPECT_GT(acknowledged, 0u);
  EXPECT_LE(stalls * 50, std::max<uint64_t>(seeds, 50))
      << "more than 2 % of the seeds stalled after healing";
  if (seeds >= 20) {
    EXPECT_GT(restored, 0u) << "no snapshot was ever installed: the snapshot path went untested";
  }
}

}  // namespace
}  // namespace ledger
