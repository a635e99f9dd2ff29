// The replicated state machine without libraft: entries, idempotent apply, snapshots.
#include "ledger/replication/replica.h"

#include <gtest/gtest.h>

#include "ledger/core/keys.h"
#include "ledger/core/query.h"
#include "ledger/core/test_util.h"

namespace ledger {
namespace {

using testing::Id;

class MemoryStore final : public ReplicaStore {
 public:
  const KvReader& reader() const override { return state_; }
  absl::Status Write(const WriteSet& writes, bool) override {
    ++writes_;
    if (fail_writes_)
      return absl::UnavailableError("RocksDB write: IO error: No space left on device");
    state_.Apply(writes);
    return absl::OkStatus();
  }
  MemoryKv state_;
  int writes_ = 0;
  bool fail_writes_ = false;
};

std::string Entry(uint64_t proposal, Timestamp timestamp, std::vector<Command> commands) {
  Batch batch;
  batch.request_sizes.push_back(static_cast<uint32_t>(commands.size()));
  batch.commands = std::move(commands);
  return EncodeEntry(EntryHeader{7, proposal, timestamp}, batch);
}

std::vector<Command> SetupCommands() {
  return {testing::MakeAsset(1, "COIN", 0, 900), testing::MakeAccount(1, 1, AccountKind::kIssuer),
          testing::MakeAccount(10, 1, AccountKind::kWallet, account_flags::kNonNegative)};
}

TEST(ReplicaTest, EntryRoundTrips) {
  const std::string bytes = Entry(42, testing::kEpoch, SetupCommands());
  auto decoded = DecodeEntry(bytes);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->first.proposer, 7u);
  EXPECT_EQ(decoded->first.proposal, 42u);
  EXPECT_EQ(decoded->first.timestamp, testing::kEpoch);
  EXPECT_EQ(decoded->second.commands.size(), 3u);
  EXPECT_EQ(bytes.size() % 8, 0u) << "raft_uv takes only 8-byte multiples";
  EXPECT_FALSE(DecodeEntry(bytes.substr(0, 10)));
  EXPECT_FALSE(DecodeEntry(bytes.substr(0, bytes.size() - 1)));
}

TEST(ReplicaTest, ApplyStoresIndexAndSkipsWhatItHas) {
  MemoryStore store;
  Replica replica(&store);
  auto applied = replica.Apply(3, Entry(1, testing::kEpoch, SetupCommands()));
  ASSERT_TRUE(applied.ok());
  ASSERT_TRUE(applied->status.ok()) << applied->status;
  EXPECT_EQ(applied->output.entry.outcomes.size(), 3u);
  EXPECT_EQ(ReadAppliedIndex(store.state_), 3u);
  const std::string hash = StateHash(store.state_);
  // The same index again (a restart re-applying the log): skipped, nothing written.
  const int writes = store.writes_;
  auto again = replica.Apply(3, Entry(1, testing::kEpoch, SetupCommands()));
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->skipped);
  EXPECT_EQ(store.writes_, writes);
  EXPECT_EQ(StateHash(store.state_), hash);
  // A new replica over the same store resumes from the stored index.
  Replica reopened(&store);
  EXPECT_EQ(reopened.applied_index(), 3u);
}

TEST(ReplicaTest, TimestampNeverGoesBackwards) {
  MemoryStore store;
  Replica replica(&store);
  ASSERT_TRUE(
      replica.Apply(1, Entry(1, testing::kEpoch + 1000 * testing::kSecond, SetupCommands())).ok());
  // A new leader with a slower clock: the core still moves forward.
  auto applied =
      replica.Apply(2, Entry(2, testing::kEpoch, {testing::MakeTransfer(5, 1, 10, 100)}));
  ASSERT_TRUE(applied.ok());
  ASSERT_TRUE(applied->status.ok());
  EXPECT_GT(applied->output.entry.outcomes[0].timestamp, testing::kEpoch + 1000 * testing::kSecond);
}

// A failed write (a full disk) leaves a hole the replica cannot skip: it applies nothing after it,
// even once writes work again, until a restart (a new Replica) re-applies from the stored index.
TEST(ReplicaTest, AFailedWriteStopsTheReplica) {
  MemoryStore store;
  Replica replica(&store);
  ASSERT_TRUE(replica.Apply(1, Entry(1, testing::kEpoch, SetupCommands())).ok());
  EXPECT_TRUE(replica.write_failed().ok());
  store.fail_writes_ = true;
  auto failed = replica.Apply(2, Entry(2, testing::kEpoch, {testing::MakeTransfer(5, 1, 10, 100)}));
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(failed.status().message(),
            "storage write failed at log entry 2; restart the node: RocksDB write: IO error: No "
            "space left on device");
  EXPECT_EQ(replica.write_failed(), failed.status());
  store.fail_writes_ = false;
  const int writes = store.writes_;
  EXPECT_EQ(
      replica.Apply(3, Entry(3, testing::kEpoch, {testing::MakeTransfer(5, 2, 10, 100)})).status(),
      failed.status());
  EXPECT_EQ(store.writes_, writes) << "nothing written past the hole";
  EXPECT_EQ(ReadAppliedIndex(store.state_), 1u);
  Replica restarted(&store);
  EXPECT_EQ(restarted.applied_index(), 1u);
  auto again =
      restarted.Apply(2, Entry(2, testing::kEpoch, {testing::MakeTransfer(5, 1, 10, 100)}));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(ReadAppliedIndex(store.state_), 2u);
}

TEST(ReplicaTest, UndecodableEntryOnlyAdvancesTheIndex) {
  MemoryStore store;
  Replica replica(&store);
  ASSERT_TRUE(replica.Apply(1, Entry(1, testing::kEpoch, SetupCommands())).ok());
  const JournalHead head = ReadHead(store.state_);
  auto applied = replica.Apply(2, "not an entry");
  ASSERT_TRUE(applied.ok());
  EXPECT_FALSE(applied->status.ok());
  EXPECT_EQ(ReadAppliedIndex(store.state_), 2u);
  EXPECT_EQ(ReadHead(store.state_).index, head.index);
}

TEST(ReplicaTest, SnapshotRestoresTheSameStateAndIsIdempotent) {
  MemoryStore source;
  Replica leader(&source);
  ASSERT_TRUE(leader.Apply(1, Entry(1, testing::kEpoch, SetupCommands())).ok());
  ASSERT_TRUE(leader
                  .Apply(2, Entry(2, testing::kEpoch + testing::kSecond,
                                  {testing::MakeTransfer(5, 1, 10, 100)}))
                  .ok());
  const std::string snapshot = leader.Snapshot();

  // A replica with older, different state (it lagged behind at index 1 with other keys) is
  // replaced.
  MemoryStore target;
  Replica follower(&target);
  ASSERT_TRUE(
      follower.Apply(1, Entry(9, testing::kEpoch, {testing::MakeAsset(3, "OTHER", 0, 901)})).ok());
  ASSERT_TRUE(follower.Restore(snapshot, true).ok());
  EXPECT_EQ(StateHash(target.state_), StateHash(source.state_));
  EXPECT_EQ(follower.applied_index(), 2u);
  EXPECT_EQ(LookupAccount(target.state_, Id(10))->balance, 100);
  EXPECT_FALSE(LookupAsset(target.state_, 3));

  // At or below the stored index: ignored. Corrupt: refused, nothing changed.
  const int writes = target.writes_;
  EXPECT_TRUE(follower.Restore(snapshot, true).ok());
  EXPECT_EQ(target.writes_, writes);
  std::string corrupt = snapshot;
  corrupt[corrupt.size() / 2] ^= 1;
  MemoryStore empty;
  Replica fresh(&empty);
  EXPECT_EQ(fresh.Restore(corrupt, true).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(empty.state_.size(), 0u);
  EXPECT_EQ(fresh.Restore(snapshot.substr(0, 20), true).code(), absl::StatusCode::kInvalidArgument);
}

// A state whose sums are broken (an account's balance edited behind the ledger's back, as in
// node_test) is found by the start check; the replica then applies nothing, and stores nothing, not
// even the index.
TEST(ReplicaTest, ABrokenStateStopsTheReplica) {
  MemoryStore store;
  {
    Replica replica(&store);
    ASSERT_TRUE(replica.Apply(1, Entry(1, testing::kEpoch, SetupCommands())).ok());
    ASSERT_TRUE(replica
                    .Apply(2, Entry(2, testing::kEpoch + testing::kSecond,
                                    {testing::MakeTransfer(5, 1, 10, 500)}))
                    .ok());
    EXPECT_EQ(replica.CheckInvariants(), "");
  }
  Account edited = *LookupAccount(store.state_, Id(10));
  edited.balance += 1000;
  WriteSet writes;
  writes.entries.emplace_back(keys::Account(edited.id), EncodeAccount(edited));
  store.state_.Apply(writes);

  Replica replica(&store);
  EXPECT_EQ(replica.CheckInvariants(),
            "at applied index 2: asset 1: its balances sum to 1000, not 0");
  EXPECT_EQ(replica.violation(), "at applied index 2: asset 1: its balances sum to 1000, not 0");
  const int writes_before = store.writes_;
  auto refused = replica.Apply(
      3, Entry(3, testing::kEpoch + 2 * testing::kSecond, {testing::MakeTransfer(6, 10, 1, 1)}));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(refused.status().message().find("its balances sum to 1000"), std::string_view::npos)
      << refused.status();
  EXPECT_EQ(store.writes_, writes_before);
  EXPECT_EQ(ReadAppliedIndex(store.state_), 2u);
  EXPECT_EQ(replica.applied_index(), 2u);
}

// A batch that reports its own invariant broken (a core bug, injected here by wrapping ApplyBatch)
// is not stored, nor is any entry after it; a restart (with a core without the bug) meets the entry
// again.
TEST(ReplicaTest, ABatchThatBreaksTheInvariantIsNotStored) {
  MemoryStore store;
  int calls = 0;
  Replica replica(&store,
                  [&calls](const KvReader& state, Timestamp timestamp, const Batch& batch,
                           ApplyCounters* counters) -> absl::StatusOr<ApplyOutput> {
                    absl::StatusOr<ApplyOutput> output =
                        ApplyBatch(state, timestamp, batch, counters);
                    if (++calls == 2 && output.ok())
                      output->invariant_violation = "asset 1: the batch changed its balances by 7";
                    return output;
                  });
  ASSERT_TRUE(replica.Apply(1, Entry(1, testing::kEpoch, SetupCommands())).ok());
  const std::string hash = StateHash(store.state_);
  const int writes_before = store.writes_;
  const std::string transfer =
      Entry(2, testing::kEpoch + testing::kSecond, {testing::MakeTransfer(5, 1, 10, 500)});
  auto broken = replica.Apply(2, transfer);
  ASSERT_FALSE(broken.ok());
  EXPECT_EQ(broken.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(broken.status().message(),
            "log entry 2 not applied: asset 1: the batch changed its balances by 7");
  EXPECT_EQ(replica.violation(), "log entry 2: asset 1: the batch changed its balances by 7");
  EXPECT_EQ(store.writes_, writes_before);
  EXPECT_EQ(StateHash(store.state_), hash);
  // Nothing after it is applied either.
  auto next = replica.Apply(
      3, Entry(3, testing::kEpoch + 2 * testing::kSecond, {testing::MakeTransfer(6, 1, 10, 1)}));
  ASSERT_FALSE(next.ok());
  EXPECT_EQ(next.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(ReadAppliedIndex(store.state_), 1u);
  // Restarted over the same store, the replica re-applies entry 2.
  Replica restarted(&store);
  EXPECT_EQ(restarted.CheckInvariants(), "");
  auto applied = restarted.Apply(2, transfer);
  ASSERT_TRUE(applied.ok());
  EXPECT_TRUE(applied->status.ok()) << applied->status;
  EXPECT_EQ(LookupAccount(store.state_, Id(10))->balance, 500);
}

}  // namespace
}  // namespace ledger
