// The node: concurrent requests are answered correctly and grouped into fewer batches (group
// commit); stamps always increase even when the clock stands still or goes back.
#include "ledger/node/node.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

#include "ledger/core/audit.h"
#include "ledger/core/keys.h"
#include "ledger/core/query.h"
#include "ledger/core/test_util.h"

namespace ledger {
namespace {

class StuckClock final : public Clock {
 public:
  Timestamp NowNanos() override { return now; }
  std::atomic<Timestamp> now{testing::kEpoch};
};

std::unique_ptr<RocksStore> OpenTemp(const std::string& name) {
  const std::string dir =
      std::string(std::getenv("TEST_TMPDIR") ? std::getenv("TEST_TMPDIR") : "/tmp") + "/" + name;
  std::filesystem::remove_all(dir);
  return std::move(*RocksStore::Open(dir));
}

TEST(NodeTest, ConcurrentRequestsAreGroupCommitted) {
  std::unique_ptr<RocksStore> store = OpenTemp("node_group");
  StuckClock clock;
  std::atomic<size_t> batches{0}, requests_seen{0};
  NodeObserver observer;
  observer.on_batch = [&](size_t requests, size_t, double, double) {
    ++batches;
    requests_seen += requests;
  };
  Node node(store.get(), &clock, {.sync = true}, observer);
  ASSERT_TRUE(node.Submit({testing::MakeAsset(1, "COIN", 0, 900)}).ok());
  std::vector<Command> accounts = {testing::MakeAccount(1, 1, AccountKind::kIssuer)};
  for (int i = 0; i < 8; ++i) {
    accounts.push_back(
        testing::MakeAccount(10 + i, 1, AccountKind::kWallet, account_flags::kNonNegative));
  }
  ASSERT_TRUE(node.Submit(accounts).ok());
  batches = 0;
  requests_seen = 0;

  constexpr int kThreads = 8, kPerThread = 50;
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        absl::StatusOr<SubmitResult> result =
            node.Submit({testing::MakeTransfer(1000 + t * kPerThread + i, 1, 10 + t, 1)});
        if (result.ok() && result->outcomes.size() == 1 &&
            result->outcomes[0].result == Result::kOk)
          ++ok;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(ok.load(), kThreads * kPerThread);
  EXPECT_EQ(requests_seen.load(), static_cast<size_t>(kThreads * kPerThread));
  EXPECT_LT(batches.load(),
            static_cast<size_t>(kThreads * kPerThread));  // Some fsyncs served several.
  printf("node_test: %d requests in %zu batches\n", kThreads * kPerThread, batches.load());
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(LookupAccount(node.state(), testing::Id(10 + t))->balance, kPerThread);
  }
  EXPECT_TRUE(VerifyJournal(node.state()).ok);

  // Pipelining must not change the result: replaying the journal's batches from empty, one after
  // the other, gives the same state byte for byte.
  MemoryKv replay;
  for (uint64_t index = 1; index <= node.committed_index(); ++index) {
    std::string bytes;
    ASSERT_TRUE(node.state().Get(keys::Journal(index), &bytes));
    std::optional<JournalEntry> entry = DecodeJournalEntry(bytes);
    ASSERT_TRUE(entry);
    Batch batch{entry->commands, entry->request_sizes};
    absl::StatusOr<ApplyOutput> output = ApplyBatch(replay, entry->batch_timestamp, batch);
    ASSERT_TRUE(output.ok()) << output.status();
    ASSERT_EQ(output->entry_bytes, bytes) << "entry " << index;
    replay.Apply(output->writes);
  }
  EXPECT_EQ(StateHash(replay), StateHash(node.state()));
}

TEST(NodeTest, StampsIncreaseWhenTheClockGoesBack) {
  std::unique_ptr<RocksStore> store = OpenTemp("node_clock");
  StuckClock clock;
  Node node(store.get(), &clock, {.sync = false});
  ASSERT_TRUE(node.Submit({testing::MakeAsset(1, "COIN", 0, 900)}).ok());
  const Timestamp first = ReadHead(node.state()).clock;
  clock.now = testing::kEpoch - 1000 * testing::kSecond;
  ASSERT_TRUE(node.Submit({testing::MakeAsset(2, "HP", 0, 901)}).ok());
  EXPECT_GT(ReadHead(node.state()).clock, first);
  EXPECT_EQ(node.committed_index(), 2u);
}

TEST(NodeTest, RejectsEmptyAndOversizedRequests) {
  std::unique_ptr<RocksStore> store = OpenTemp("node_sizes");
  Node node(store.get(), RealClock(), {.sync = false});
  EXPECT_EQ(node.Submit({}).status().code(), absl::StatusCode::kInvalidArgument);
  std::vector<Command> big(8191, Command{testing::MakeTransfer(1, 1, 2, 1)});
  EXPECT_EQ(node.Submit(big).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(node.committed_index(), 0u);
}

TEST(NodeTest, SubmitAsyncAnswersEachRequestOnceFromTheCommitter) {
  // The callback form the gRPC CreateTransfers uses: many requests in flight from one thread, each
  // answered exactly once, after it is stored, on the node's own thread; a refusal at once answers
  // on the caller's thread before SubmitAsync returns.
  std::unique_ptr<RocksStore> store = OpenTemp("node_async");
  Node node(store.get(), RealClock(), {.sync = false});
  ASSERT_TRUE(node.Submit({testing::MakeAsset(1, "COIN", 0, 900)}).ok());
  ASSERT_TRUE(node.Submit({testing::MakeAccount(1, 1, AccountKind::kIssuer),
                           testing::MakeAccount(2, 1, AccountKind::kWallet)})
                  .ok());
  constexpr int kRequests = 200;
  std::mutex mutex;
  std::condition_variable all_done;
  std::vector<int> answers(kRequests, 0);
  std::vector<uint64_t> indexes(kRequests, 0);
  int answered = 0;
  bool on_caller_thread = false;
  const std::thread::id caller = std::this_thread::get_id();
  for (int i = 0; i < kRequests; ++i) {
    node.SubmitAsync({testing::MakeTransfer(100 + i, 1, 2, 1)},
                     [&, i](absl::StatusOr<SubmitResult> result) {
                       std::lock_guard<std::mutex> lock(mutex);
                       ASSERT_TRUE(result.ok()) << result.status();
                       ASSERT_EQ(result->outcomes.size(), 1u);
                       EXPECT_EQ(result->outcomes[0].result, Result::kOk);
                       // Stored before the answer: the committed index already includes the
                       // request's entry.
                       EXPECT_GE(node.committed_index(), result->journal_index);
                       indexes[i] = result->journal_index;
                       on_caller_thread |= std::this_thread::get_id() == caller;
                       ++answers[i];
                       if (++answered == kRequests) all_done.notify_all();
                     });
  }
  {
    std::unique_lock<std::mutex> lock(mutex);
    ASSERT_TRUE(
        all_done.wait_for(lock, std::chrono::seconds(30), [&] { return answered == kRequests; }));
  }
  EXPECT_EQ(std::count(answers.begin(), answers.end(), 1), kRequests);
  EXPECT_FALSE(on_caller_thread);
  EXPECT_EQ(LookupAccount(node.state(), AccountId{0, 2})->balance, kRequests);
  bool refused_here = false;
  node.SubmitAsync({}, [&](absl::StatusOr<SubmitResult> result) {
    refused_here = std::this_thread::get_id() == caller &&
                   result.status().code() == absl::StatusCode::kInvalidArgument;
  });
  EXPECT_TRUE(refused_here);
}

// A store whose balances no longer sum to zero (here an account's balance edited behind the
// ledger's back) is found when the node starts: it takes no writes, says why, and tells the
// metrics.
TEST(NodeTest, ANodeWhoseSumsAreBrokenTakesNoWrites) {
  std::unique_ptr<RocksStore> store = OpenTemp("node_broken_sums");
  StuckClock clock;
  {
    Node node(store.get(), &clock, {.sync = true});
    ASSERT_TRUE(node.Submit({testing::MakeAsset(1, "COIN", 0, 900)}).ok());
    ASSERT_TRUE(node.Submit({testing::MakeAccount(1, 1, AccountKind::kIssuer),
                             testing::MakeAccount(10, 1, AccountKind::kWallet,
                                                  account_flags::kNonNegative)})
                    .ok());
    clock.now += 1;
    ASSERT_TRUE(node.Submit({testing::MakeTransfer(1, 1, 10, 500)}).ok());
  }
  EXPECT_EQ(AssetSumsProblem(*store), "");
  Account edited = *LookupAccount(*store, testing::Id(10));
  edited.balance += 1000;
  WriteSet writes;
  writes.entries.emplace_back(keys::Account(edited.id), EncodeAccount(edited));
  ASSERT_TRUE(store->Write(writes, true).ok());
  EXPECT_EQ(AssetSumsProblem(*store), "asset 1: its balances sum to 1000, not 0");
  std::string seen;
  NodeObserver observer;
  observer.on_invariant_violation = [&](const std::string& violation) { seen = violation; };
  Node node(store.get(), &clock, {.sync = true}, observer);
  EXPECT_EQ(seen, "at start: asset 1: its balances sum to 1000, not 0");
  clock.now += 1;
  absl::StatusOr<SubmitResult> refused = node.Submit({testing::MakeTransfer(2, 10, 1, 1)});
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(refused.status().message().find("run ledgerctl audit"), std::string_view::npos)
      << refused.status();
}

}  // namespace
}  // namespace ledger
