// Account history across folds (ledger/FORMAT.md, "Account history"): seeded random transfers in
// batches small and large, so that both fold triggers fire (kHistoryFoldRecords records and
// kHistoryFoldEntries entries), checked against a model after each phase: whole history both ways,
// random pages and windows, and balances at random times.
// Replay one run: LEDGER_TEST_SEED=<seed> bazel test //ledger/core:history_test
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <string>

#include "ledger/core/keys.h"
#include "ledger/core/limits.h"
#include "ledger/core/query.h"
#include "ledger/core/records.h"
#include "ledger/core/state_machine.h"
#include "ledger/core/test_util.h"

namespace ledger {
namespace {

using testing::Id;
using testing::MakeAccount;
using testing::MakeAsset;
using testing::MakeTransfer;

constexpr AssetId kCoin = 1;
constexpr uint64_t kIssuer = 1, kBreakage = 2;
constexpr uint64_t kFirstWallet = 100;
constexpr int kWallets = 12;

uint64_t EnvOr(const char* name, uint64_t fallback) {
  const char* value = std::getenv(name);
  return value != nullptr ? std::strtoull(value, nullptr, 10) : fallback;
}

class HistoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    seed_ = EnvOr("LEDGER_TEST_SEED", std::random_device{}());
    printf("history_test: seed=%llu (replay with LEDGER_TEST_SEED=%llu)\n",
           static_cast<unsigned long long>(seed_), static_cast<unsigned long long>(seed_));
    rng_.seed(seed_);
    ASSERT_EQ(ledger_.Apply({MakeAsset(kCoin, "COIN", 0, kBreakage)})[0].result, Result::kOk);
    std::vector<Command> accounts = {MakeAccount(kIssuer, kCoin, AccountKind::kIssuer)};
    for (int i = 0; i < kWallets; ++i) {
      accounts.push_back(
          MakeAccount(kFirstWallet + i, kCoin, AccountKind::kWallet, account_flags::kNonNegative));
    }
    for (const Outcome& outcome : ledger_.Apply(accounts)) ASSERT_EQ(outcome.result, Result::kOk);
  }

  // One batch of `size` random transfers; the model records what the core accepted.
  void Batch(int size) {
    std::vector<Command> commands;
    std::vector<Transfer> sent;
    for (int i = 0; i < size; ++i) {
      const uint64_t from = rng_() % 3 == 0 ? kIssuer : kFirstWallet + rng_() % kWallets;
      uint64_t to = kFirstWallet + rng_() % kWallets;
      if (to == from) to = kFirstWallet + (to - kFirstWallet + 1) % kWallets;
      sent.push_back(MakeTransfer(++next_id_, from, to, 1 + static_cast<int64_t>(rng_() % 500)));
      commands.push_back(sent.back());
    }
    const std::vector<Outcome> outcomes = ledger_.Apply(commands);
    for (size_t i = 0; i < sent.size(); ++i) {
      if (outcomes[i].result != Result::kOk) continue;
      const Transfer& t = sent[i];
      Record(t.debit_account_id, outcomes[i].timestamp, t.id, -t.amount);
      Record(t.credit_account_id, outcomes[i].timestamp, t.id, t.amount);
    }
  }

  void Record(const AccountId& account, Timestamp at, const TransferId& id, int64_t delta) {
    int64_t& balance = balances_[account];
    balance += delta;
    model_[account].push_back(HistoryEntry{at, id, delta, balance});
  }

  // Everything in the model, read back every way a client can.
  void CheckAgainstModel() {
    SCOPED_TRACE(::testing::Message() << "reproduce with LEDGER_TEST_SEED=" << seed_);
    for (const auto& [account, expected] : model_) {
      // Whole history, pages of random sizes, both directions.
      for (bool reverse : {false, true}) {
        std::vector<HistoryEntry> got;
        Timestamp from = 0, to = 0;
        for (;;) {
          const int limit = 1 + static_cast<int>(rng_() % 700);
          HistoryPage page = AccountHistory(ledger_.state(), account, from, to, limit, reverse);
          got.insert(got.end(), page.entries.begin(), page.entries.end());
          if (page.next_timestamp == 0) break;
          (reverse ? to : from) = page.next_timestamp;
        }
        std::vector<HistoryEntry> want = expected;
        if (reverse) std::reverse(want.begin(), want.end());
        ExpectSame(got, want, reverse ? "reverse" : "forward");
      }
      // Random windows [from, to].
      for (int i = 0; i < 20; ++i) {
        const Timestamp a = expected[rng_() % expected.size()].timestamp;
        const Timestamp b = expected[rng_() % expected.size()].timestamp;
        const Timestamp from = std::min(a, b), to = std::max(a, b);
        std::vector<HistoryEntry> want;
        for (const HistoryEntry& e : expected) {
          if (e.timestamp >= from && e.timestamp <= to) want.push_back(e);
        }
        const bool reverse = rng_() % 2 == 0;
        if (reverse) std::reverse(want.begin(), want.end());
        HistoryPage page =
            AccountHistory(ledger_.state(), account, from, to, kHistoryPageMax, reverse);
        const bool more = want.size() > static_cast<size_t>(kHistoryPageMax);
        if (more) want.resize(kHistoryPageMax);
        EXPECT_EQ(page.next_timestamp != 0, more);
        ExpectSame(page.entries, want, "window");
        // The balance just after some change, and just before it.
        const HistoryEntry& e = expected[rng_() % expected.size()];
        EXPECT_EQ(BalanceAtTime(ledger_.state(), account, e.timestamp).balance, e.balance_after);
        EXPECT_EQ(BalanceAtTime(ledger_.state(), account, e.timestamp - 1).balance,
                  e.balance_after - e.delta);
      }
    }
  }

  static void ExpectSame(const std::vector<HistoryEntry>& got,
                         const std::vector<HistoryEntry>& want, const char* what) {
    ASSERT_EQ(got.size(), want.size()) << what;
    for (size_t i = 0; i < got.size(); ++i) {
      ASSERT_EQ(got[i].timestamp, want[i].timestamp) << what << " entry " << i;
      ASSERT_EQ(got[i].transfer_id, want[i].transfer_id) << what << " entry " << i;
      ASSERT_EQ(got[i].delta, want[i].delta) << what << " entry " << i;
      ASSERT_EQ(got[i].balance_after, want[i].balance_after) << what << " entry " << i;
    }
  }

  HistoryBacklog Backlog() {
    std::string bytes;
    if (!ledger_.state().Get(keys::HistoryBacklog(), &bytes)) return {};
    return DecodeHistoryBacklog(bytes).value();
  }
  size_t Segments() {
    size_t n = 0;
    ledger_.state().Scan(std::string(1, keys::kHistory), std::string(1, keys::kHistory + 1), false,
                         [&](std::string_view, std::string_view) { return ++n, true; });
    return n;
  }

  uint64_t seed_ = 0;
  std::mt19937_64 rng_;
  testing::MemoryLedger ledger_;
  uint64_t next_id_ = 1000;
  std::map<AccountId, int64_t> balances_;
  std::map<AccountId, std::vector<HistoryEntry>> model_;
};

TEST_F(HistoryTest, WholeAcrossFoldsByRecordsAndByEntries) {
  // Recent records only.
  for (int i = 0; i < 50; ++i) Batch(1 + static_cast<int>(rng_() % 5));
  EXPECT_EQ(Segments(), 0u);
  CheckAgainstModel();

  // Small batches until the record count folds them, and a few more after.
  for (uint64_t i = 0; i < kHistoryFoldRecords + 10; ++i) Batch(1 + static_cast<int>(rng_() % 3));
  EXPECT_GT(Segments(), 0u);
  EXPECT_LT(Backlog().records, kHistoryFoldRecords);
  CheckAgainstModel();

  // Full batches until the entry count folds them (two entries per transfer): segments now hold
  // more than kHistorySegmentEntriesMax entries for some wallets, so they are split.
  const size_t segments_before = Segments();
  const HistoryBacklog before = Backlog();
  const uint64_t batches = (kHistoryFoldEntries - before.entries) / (2 * kBatchItemsMax) + 2;
  for (uint64_t i = 0; i < batches; ++i) Batch(kBatchItemsMax);
  EXPECT_LT(Backlog().entries, kHistoryFoldEntries);
  EXPECT_GT(Segments(), segments_before + kWallets);
  CheckAgainstModel();
  EXPECT_EQ(testing::CheckInvariants(ledger_.state()), "");
}

// A fold is one batch's work: on a Raft replica it runs on the loop thread, inside one apply, so it
// must stay well under the election timeout (1 s). Folds of 262,144 entries took 0.3-0.5 s of CPU
// and up to 1.4 s on a loaded machine, and cost elections (README "Running a cluster", slow loop
// turns). A fold now takes at most 65,536 entries plus the batch that crossed the line.
TEST_F(HistoryTest, AFoldTakesAtMostSixtyFiveThousandEntries) {
  uint64_t folds = 0;
  for (int i = 0; i < 40 && folds < 2; ++i) {
    const HistoryBacklog before = Backlog();
    Batch(kBatchItemsMax);
    if (Backlog().entries >= before.entries) continue;
    ++folds;
    EXPECT_LE(before.entries, 65536u + 2 * kBatchItemsMax) << "entries folded in one batch";
  }
  EXPECT_EQ(folds, 2u) << "full batches fold every 65,536 entries";
  CheckAgainstModel();
}

TEST_F(HistoryTest, RolledBackChainLeavesNoHistory) {
  Batch(20);
  // A linked chain whose second transfer fails: neither transfer may appear in anyone's history.
  Transfer first = MakeTransfer(++next_id_, kIssuer, kFirstWallet, 10, transfer_flags::kLinked);
  Transfer second = MakeTransfer(++next_id_, kFirstWallet + 1, kFirstWallet + 2, kAmountMax);
  const std::vector<Outcome> outcomes = ledger_.Apply({first, second});
  ASSERT_NE(outcomes[0].result, Result::kOk);
  ASSERT_NE(outcomes[1].result, Result::kOk);
  CheckAgainstModel();
}

}  // namespace
}  // namespace ledger
