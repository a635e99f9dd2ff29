// TakeGuard against libraft 0.22.1's crash on an InstallSnapshot received while the node's own
// snapshot is being written (take_guard.h), on libraft's in-memory test cluster (raft_fixture):
// without the guard this test dies with SIGSEGV in libraft's takeSnapshotCb.
#include "ledger/replication/take_guard.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

namespace ledger {
namespace {

void QuietEmit(struct raft_tracer*, int, const void*) {}
struct raft_tracer quiet_tracer = {nullptr, 2, QuietEmit};

// A counter: each entry adds one. Snapshots hold the count.
struct Counter {
  raft_fsm fsm{};
  uint64_t value = 0;
  static int Apply(raft_fsm* fsm, const raft_buffer*, void** result) {
    static_cast<Counter*>(fsm->data)->value++;
    *result = nullptr;
    return 0;
  }
  static int Snapshot(raft_fsm* fsm, raft_buffer* buffers[], unsigned* count) {
    *buffers = static_cast<raft_buffer*>(raft_malloc(sizeof(raft_buffer)));
    (*buffers)[0].len = sizeof(uint64_t);
    (*buffers)[0].base = raft_malloc(sizeof(uint64_t));
    std::memcpy((*buffers)[0].base, &static_cast<Counter*>(fsm->data)->value, sizeof(uint64_t));
    *count = 1;
    return 0;
  }
  static int Restore(raft_fsm* fsm, raft_buffer* buffer) {
    std::memcpy(&static_cast<Counter*>(fsm->data)->value, buffer->base, sizeof(uint64_t));
    raft_free(buffer->base);
    return 0;
  }
  Counter() {
    fsm.version = 1;
    fsm.data = this;
    fsm.apply = Apply;
    fsm.snapshot = Snapshot;
    fsm.restore = Restore;
  }
};

class TakeGuardTest : public ::testing::Test {
 protected:
  static constexpr unsigned kServers = 3;
  static constexpr unsigned kSlow = 2;  // The follower whose disk (and snapshot writes) is slow.

  void SetUp() override {
    ASSERT_EQ(raft_fixture_init(&fixture_), 0);
    for (unsigned i = 0; i < kServers; ++i) {
      counters_.push_back(std::make_unique<Counter>());
      ASSERT_EQ(raft_fixture_grow(&fixture_, &counters_[i]->fsm), 0);
      raft* r = raft_fixture_get(&fixture_, i);
      if (std::getenv("LEDGER_SIM_TRACE") == nullptr) r->tracer = &quiet_tracer;
      raft_set_snapshot_threshold(r, 8);
      raft_set_snapshot_trailing(r, 1);
      raft_fixture_set_randomized_election_timeout(&fixture_, i, 1000 + 150 * i);
      guards_.push_back(std::make_unique<TakeGuard>(nullptr));
      guards_[i]->Wrap(r->io);
    }
    raft_fixture_set_network_latency(&fixture_, kSlow, 5);
    raft_configuration configuration;
    ASSERT_EQ(raft_fixture_configuration(&fixture_, kServers, &configuration), 0);
    ASSERT_EQ(raft_fixture_bootstrap(&fixture_, &configuration), 0);
    raft_configuration_close(&configuration);
    ASSERT_EQ(raft_fixture_start(&fixture_), 0);
    raft_fixture_elect(&fixture_, 0);
  }
  void TearDown() override { raft_fixture_close(&fixture_); }

  // Proposes one entry on the leader (server 0).
  void Propose() {
    auto request = std::make_unique<struct raft_apply>();
    raft_buffer buffer;
    buffer.len = 8;
    buffer.base = raft_malloc(8);
    std::memset(buffer.base, 0, 8);
    ASSERT_EQ(raft_apply(raft_fixture_get(&fixture_, 0), request.get(), &buffer, 1, nullptr), 0);
    requests_.push_back(std::move(request));
  }

  raft_fixture fixture_;
  std::vector<std::unique_ptr<Counter>> counters_;
  std::vector<std::unique_ptr<TakeGuard>> guards_;
  std::vector<std::unique_ptr<struct raft_apply>> requests_;
};

TEST_F(TakeGuardTest, AnInstallReceivedDuringATakeWaitsForIt) {
  raft_fixture_set_disk_latency(&fixture_, kSlow, 400);
  // Entries until the slow follower starts writing a snapshot of its own.
  for (int i = 0; i < 200 && !guards_[kSlow]->taking(); ++i) {
    Propose();
    for (int step = 0; step < 20 && !guards_[kSlow]->taking(); ++step) raft_fixture_step(&fixture_);
  }
  ASSERT_TRUE(guards_[kSlow]->taking()) << "the slow follower never took a snapshot";
  // Meanwhile the leader goes on without it, past its own snapshot and log: it must send the
  // follower an InstallSnapshot, which arrives while the follower's take is still being written.
  raft_fixture_saturate(&fixture_, 0, kSlow);
  raft_fixture_saturate(&fixture_, kSlow, 0);
  const raft_index before = raft_fixture_get(&fixture_, 0)->commit_index;
  for (int i = 0; i < 24; ++i) Propose();
  ASSERT_TRUE(raft_fixture_step_until_applied(&fixture_, 1, before + 24, 2000));
  raft_fixture_desaturate(&fixture_, 0, kSlow);
  raft_fixture_desaturate(&fixture_, kSlow, 0);
  const raft_index last = raft_fixture_get(&fixture_, 0)->last_applied;
  ASSERT_TRUE(raft_fixture_step_until_applied(&fixture_, kSlow, last, 20000))
      << "the slow follower did not catch up";
  EXPECT_GT(guards_[kSlow]->held_total(), 0u)
      << "no InstallSnapshot arrived during a take: the test did not reach the defect's window";
  EXPECT_EQ(counters_[kSlow]->value, counters_[0]->value);
}

}  // namespace
}  // namespace ledger
