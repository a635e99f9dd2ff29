// Seeded randomised test: thousands of random commands applied both to the core and to a small,
// obviously-correct reference model written here with plain maps and whole-state copies.
// Per-command results, duplicates and every balance must match, and the invariants must hold after
// every batch. Then the same command log is replayed from empty and must give byte-identical state.
//
// Replay one run: LEDGER_TEST_SEED=<seed> bazel test //ledger/core:model_test
// More batches:   LEDGER_TEST_BATCHES=20000
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <random>

#include "ledger/core/keys.h"
#include "ledger/core/query.h"
#include "ledger/core/test_util.h"

namespace ledger {
namespace {

using testing::Id;
using testing::kSecond;

constexpr AssetId kCoin = 1, kPoints = 2;
constexpr int64_t kPointsExpirySeconds = 40;
constexpr uint64_t kCoinIssuer = 1, kPointsIssuer = 2, kCoinBreakage = 900, kPointsBreakage = 901;
constexpr int kWalletsPerAsset = 6;

// ---------------------------------------------------------------------------------------------------
// The reference model. Deliberately naive: no overlays, no undo logs; a chain copies the whole
// model.
struct ModelAccount {
  AssetId asset = 0;
  AccountKind kind = AccountKind::kWallet;
  bool non_negative = false;
  int64_t balance = 0, debits_pending = 0, credits_pending = 0;
};
struct ModelTransfer {
  Transfer request;
  Result result = Result::kOk;
  Timestamp timestamp = 0;
  AssetId asset = 0;
  PendingState state = PendingState::kNone;
  Timestamp timeout_at = 0;
  std::map<Timestamp, int64_t> reserved;  // expiry -> amount
};
struct Model {
  std::map<uint64_t, ModelAccount> accounts;
  std::map<uint64_t, std::map<Timestamp, int64_t>> lots;  // account -> expiry -> amount
  std::map<uint64_t, ModelTransfer> transfers;

  bool HoldsLots(uint64_t id) const {
    const ModelAccount& a = accounts.at(id);
    return a.kind == AccountKind::kWallet && a.non_negative && a.asset == kPoints;
  }
  int64_t Spendable(uint64_t id, Timestamp at) const {
    int64_t total = 0;
    auto it = lots.find(id);
    if (it == lots.end()) return 0;
    for (const auto& [expiry, amount] : it->second) total += expiry > at ? amount : 0;
    return total;
  }
  std::map<Timestamp, int64_t> Take(uint64_t id, int64_t amount, Timestamp at) {
    std::map<Timestamp, int64_t> taken;
    auto& mine = lots[id];
    for (auto& [expiry, lot] : mine) {
      if (expiry <= at || amount == 0) continue;
      const int64_t take = std::min(amount, lot);
      lot -= take;
      amount -= take;
      taken[expiry] += take;
    }
    std::erase_if(mine, [](const auto& kv) { return kv.second == 0; });
    return taken;
  }
  static Timestamp Expiry(Timestamp at) {
    Timestamp t = at + kPointsExpirySeconds * kSecond;
    return (t % kSecond) == 0 ? t : t + (kSecond - t % kSecond);
  }
};

// Applies a batch to the model; returns (result, duplicate) per command.
class ModelApplier {
 public:
  explicit ModelApplier(Model* model) : m_(*model) {}

  std::vector<std::pair<Result, bool>> Apply(Timestamp t,
                                             const std::vector<std::vector<Transfer>>& requests) {
    now_ = t;
    Sweep();
    std::vector<std::pair<Result, bool>> out;
    for (const auto& request : requests) {
      size_t i = 0;
      while (i < request.size()) {
        if (!request[i].flag(transfer_flags::kLinked)) {
          out.push_back(One(request[i], now_++, false));
          ++i;
          continue;
        }
        size_t end = i;
        bool closed = false;
        while (end < request.size()) {
          if (!request[end++].flag(transfer_flags::kLinked)) {
            closed = true;
            break;
          }
        }
        const Timestamp first = now_;
        now_ += end - i;
        if (!closed) {
          for (size_t k = i; k < end; ++k) {
            out.push_back(
                {k + 1 == end ? Result::kLinkedEventChainOpen : Result::kLinkedEventFailed, false});
          }
          i = end;
          continue;
        }
        Model saved = m_;
        std::vector<std::pair<Result, bool>> chain;
        size_t failed = end;
        for (size_t k = i; k < end; ++k) {
          chain.push_back(One(request[k], first + (k - i), true));
          if (chain.back().first != Result::kOk) {
            failed = k;
            break;
          }
        }
        if (failed != end) {
          const auto failure = chain.back();
          m_ = saved;
          for (size_t k = i; k < end; ++k) {
            out.push_back(k == failed ? failure : std::pair{Result::kLinkedEventFailed, false});
          }
          if (!failure.second) Record(request[failed], failure.first, first + (failed - i));
        } else {
          out.insert(out.end(), chain.begin(), chain.end());
        }
        i = end;
      }
    }
    return out;
  }

 private:
  void Sweep() {
    std::vector<std::pair<Timestamp, uint64_t>> due;
    for (auto& [id, tr] : m_.transfers) {
      if (tr.state == PendingState::kPending && tr.timeout_at != 0 && tr.timeout_at <= now_) {
        due.emplace_back(tr.timeout_at, id);
      }
    }
    std::sort(due.begin(), due.end());
    for (auto& [unused, id] : due) {
      ModelTransfer& tr = m_.transfers[id];
      Release(tr, tr.reserved);
      tr.state = PendingState::kExpired;
      tr.reserved.clear();
      ++now_;
    }
    std::vector<std::pair<Timestamp, uint64_t>> lapsed;
    for (auto& [account, lots] : m_.lots) {
      for (auto& [expiry, amount] : lots) {
        if (expiry <= now_ - due.size()) lapsed.emplace_back(expiry, account);
      }
    }
    std::sort(lapsed.begin(), lapsed.end());
    for (auto& [expiry, account] : lapsed) {
      const int64_t amount = m_.lots[account][expiry];
      m_.lots[account].erase(expiry);
      m_.accounts[account].balance -= amount;
      m_.accounts[kPointsBreakage].balance += amount;
      ++now_;
    }
  }

  void Release(ModelTransfer& tr, const std::map<Timestamp, int64_t>& back) {
    const uint64_t debit = tr.request.debit_account_id.low,
                   credit = tr.request.credit_account_id.low;
    m_.accounts[debit].debits_pending -= tr.request.amount;
    m_.accounts[credit].credits_pending -= tr.request.amount;
    for (auto& [expiry, amount] : back) m_.lots[debit][expiry] += amount;
  }

  void Record(const Transfer& request, Result result, Timestamp at) {
    if (result == Result::kIdMustNotBeZero || result == Result::kExistsWithDifferentFields ||
        result == Result::kLinkedEventFailed) {
      return;
    }
    ModelTransfer tr;
    tr.request = request;
    tr.result = result;
    tr.timestamp = at;
    m_.transfers[request.id.low] = tr;
  }

  std::pair<Result, bool> One(const Transfer& t, Timestamp at, bool in_chain) {
    auto it = m_.transfers.find(t.id.low);
    if (t.id.IsZero()) return {Result::kIdMustNotBeZero, false};
    if (it != m_.transfers.end()) {
      if (!it->second.request.SameRequest(t)) return {Result::kExistsWithDifferentFields, false};
      return {it->second.result, true};
    }
    Result r = Decide(t, at);
    if (r == Result::kOk) {
      if (!m_.transfers.count(t.id.low)) Record(t, r, at);
    } else if (!in_chain) {
      Record(t, r, at);
    }
    return {r, false};
  }

  Result Decide(const Transfer& t, Timestamp at) {
    const bool post = t.flag(transfer_flags::kPostPending),
               voiding = t.flag(transfer_flags::kVoidPending);
    if (post || voiding) {
      if (t.pending_id.IsZero()) return Result::kPendingIdRequired;
      auto it = m_.transfers.find(t.pending_id.low);
      if (it == m_.transfers.end() || it->second.result != Result::kOk)
        return Result::kPendingNotFound;
      ModelTransfer& p = it->second;
      if (!p.request.flag(transfer_flags::kPending)) return Result::kNotAPendingTransfer;
      if (p.state == PendingState::kPosted) return Result::kPendingAlreadyPosted;
      if (p.state == PendingState::kVoided) return Result::kPendingAlreadyVoided;
      if (p.state == PendingState::kExpired) return Result::kPendingExpired;
      if (p.timeout_at != 0 && p.timeout_at <= at) return Result::kPendingExpired;
      if (t.amount > p.request.amount) return Result::kPendingAmountExceeded;
      if (voiding && t.amount != 0 && t.amount != p.request.amount)
        return Result::kPendingAmountExceeded;
      const int64_t amount = t.amount == 0 ? p.request.amount : t.amount;
      const uint64_t debit = p.request.debit_account_id.low,
                     credit = p.request.credit_account_id.low;
      std::map<Timestamp, int64_t> rest = p.reserved;
      if (post && m_.HoldsLots(debit)) {
        int64_t left = amount;
        for (auto& [expiry, lot] : rest) {
          const int64_t take = std::min(left, lot);
          lot -= take;
          left -= take;
        }
        std::erase_if(rest, [](const auto& kv) { return kv.second == 0; });
      }
      Release(p, rest);
      if (post) {
        m_.accounts[debit].balance -= amount;
        m_.accounts[credit].balance += amount;
        if (m_.HoldsLots(credit)) m_.lots[credit][Model::Expiry(at)] += amount;
      }
      p.state = post ? PendingState::kPosted : PendingState::kVoided;
      p.reserved.clear();
      Record(t, Result::kOk, at);
      return Result::kOk;
    }
    if (t.amount <= 0) return Result::kAmountMustBePositive;
    const uint64_t debit = t.debit_account_id.low, credit = t.credit_account_id.low;
    if (debit == credit) return Result::kAccountsMustBeDifferent;
    if (!m_.accounts.count(debit)) return Result::kDebitAccountNotFound;
    if (!m_.accounts.count(credit)) return Result::kCreditAccountNotFound;
    ModelAccount& d = m_.accounts[debit];
    ModelAccount& c = m_.accounts[credit];
    if (d.asset != c.asset) return Result::kAssetMismatch;
    if (d.non_negative) {
      const int64_t available =
          m_.HoldsLots(debit) ? m_.Spendable(debit, at) : d.balance - d.debits_pending;
      if (t.amount > available) return Result::kExceedsBalance;
    }
    std::map<Timestamp, int64_t> taken;
    if (m_.HoldsLots(debit)) taken = m_.Take(debit, t.amount, at);
    if (t.flag(transfer_flags::kPending)) {
      d.debits_pending += t.amount;
      c.credits_pending += t.amount;
      Record(t, Result::kOk, at);
      ModelTransfer& tr = m_.transfers[t.id.low];
      tr.state = PendingState::kPending;
      tr.reserved = taken;
      tr.timeout_at = t.timeout_seconds ? at + t.timeout_seconds * kSecond : 0;
      return Result::kOk;
    }
    d.balance -= t.amount;
    c.balance += t.amount;
    if (m_.HoldsLots(credit)) m_.lots[credit][Model::Expiry(at)] += t.amount;
    return Result::kOk;
  }

  Model& m_;
  Timestamp now_ = 0;
};

// ---------------------------------------------------------------------------------------------------
// The random workload.
class Workload {
 public:
  explicit Workload(uint64_t seed) : rng_(seed) {}

  std::vector<std::vector<Transfer>> NextBatch() {
    std::vector<std::vector<Transfer>> requests(Pick(1, 3));
    for (auto& request : requests) {
      const int size = Pick(1, 12);
      for (int i = 0; i < size; ++i) request.push_back(NextTransfer());
      // Sometimes a request ends with an open chain.
      if (Pick(0, 30) == 0) request.back().flags |= transfer_flags::kLinked;
    }
    return requests;
  }
  int64_t AdvanceSeconds() { return Pick(0, 10) == 0 ? Pick(5, 60) : 1; }

 private:
  int Pick(int low, int high) { return std::uniform_int_distribution<int>(low, high)(rng_); }

  uint64_t Account(AssetId asset) {
    const uint64_t base = asset == kCoin ? 10 : 30;
    const int choice = Pick(0, 20);
    if (choice == 0) return 999;                       // Unknown.
    if (choice == 1) return asset == kCoin ? 30 : 10;  // Other asset.
    if (choice <= 5) return asset == kCoin ? kCoinIssuer : kPointsIssuer;
    return base + Pick(0, kWalletsPerAsset - 1);
  }

  Transfer NextTransfer() {
    Transfer t;
    t.code = 1;
    const int kind = Pick(0, 99);
    // Reuse an old id sometimes (duplicates, and the same id with different fields).
    if (!used_.empty() && Pick(0, 14) == 0) {
      const Transfer& old = used_[Pick(0, static_cast<int>(used_.size()) - 1)];
      t = old;
      if (Pick(0, 1) == 0) t.amount += 1;
      t.flags &= ~transfer_flags::kLinked;
      return t;
    }
    t.id = Id(Pick(0, 200) == 0 ? 0 : next_id_++);
    if (kind < 10 && !pendings_.empty()) {
      t.flags = Pick(0, 1) ? transfer_flags::kPostPending : transfer_flags::kVoidPending;
      t.pending_id = Id(pendings_[Pick(0, static_cast<int>(pendings_.size()) - 1)]);
      t.amount = Pick(0, 3) == 0 ? Pick(1, 60) : 0;
    } else {
      const AssetId asset = Pick(0, 1) ? kCoin : kPoints;
      t.debit_account_id = Id(Account(asset));
      t.credit_account_id = Id(Account(asset));
      t.amount = Pick(0, 50) == 0 ? 0 : Pick(1, 80);
      if (kind < 25) {
        t.flags = transfer_flags::kPending;
        if (Pick(0, 1)) t.timeout_seconds = Pick(1, 30);
        pendings_.push_back(t.id.low);
      }
    }
    if (Pick(0, 8) == 0) t.flags |= transfer_flags::kLinked;
    used_.push_back(t);
    return t;
  }

  std::mt19937_64 rng_;
  uint64_t next_id_ = 1000;
  std::vector<uint64_t> pendings_;
  std::vector<Transfer> used_;
};

uint64_t EnvOr(const char* name, uint64_t fallback) {
  const char* value = std::getenv(name);
  return value ? std::strtoull(value, nullptr, 10) : fallback;
}

TEST(ModelTest, CoreMatchesReferenceModel) {
  const uint64_t seed = EnvOr("LEDGER_TEST_SEED", std::random_device{}());
  const uint64_t batches = EnvOr("LEDGER_TEST_BATCHES", 3000);
  printf("model_test: seed=%llu batches=%llu (replay with LEDGER_TEST_SEED=%llu)\n",
         static_cast<unsigned long long>(seed), static_cast<unsigned long long>(batches),
         static_cast<unsigned long long>(seed));
  SCOPED_TRACE(::testing::Message() << "reproduce with LEDGER_TEST_SEED=" << seed);

  testing::MemoryLedger ledger;
  // LEDGER_GOLDEN_RECORD=<file>: every batch and its journal entry go to a golden batch log (how
  // ledger/core/testdata/golden/model.batches was made; see golden_test.cc).
  if (const char* path = std::getenv("LEDGER_GOLDEN_RECORD")) ledger.RecordTo(path);
  Model model;
  // Setup through the core; mirror it in the model.
  ledger.Apply({testing::MakeAsset(kCoin, "COIN", 0, kCoinBreakage),
                testing::MakeAsset(kPoints, "HP", kPointsExpirySeconds, kPointsBreakage)});
  std::vector<Command> accounts = {
      testing::MakeAccount(kCoinIssuer, kCoin, AccountKind::kIssuer),
      testing::MakeAccount(kPointsIssuer, kPoints, AccountKind::kBudget)};
  model.accounts[kCoinIssuer] = {kCoin, AccountKind::kIssuer, false};
  model.accounts[kPointsIssuer] = {kPoints, AccountKind::kBudget, false};
  model.accounts[kCoinBreakage] = {kCoin, AccountKind::kBreakage, false};
  model.accounts[kPointsBreakage] = {kPoints, AccountKind::kBreakage, false};
  for (int i = 0; i < kWalletsPerAsset; ++i) {
    // The last wallet of each asset has no floor: it may go negative and holds no lots.
    const bool floor = i + 1 < kWalletsPerAsset;
    const uint32_t flags = floor ? account_flags::kNonNegative : 0;
    accounts.push_back(testing::MakeAccount(10 + i, kCoin, AccountKind::kWallet, flags));
    accounts.push_back(testing::MakeAccount(30 + i, kPoints, AccountKind::kWallet, flags));
    model.accounts[10 + i] = {kCoin, AccountKind::kWallet, floor};
    model.accounts[30 + i] = {kPoints, AccountKind::kWallet, floor};
  }
  ledger.Apply(accounts);

  struct LoggedBatch {
    Timestamp timestamp;
    Batch batch;
  };
  std::vector<LoggedBatch> log;
  Workload workload(seed);
  uint64_t commands = 0, ok = 0;
  for (uint64_t b = 0; b < batches; ++b) {
    ledger.Advance(workload.AdvanceSeconds() - 1);
    const std::vector<std::vector<Transfer>> requests = workload.NextBatch();
    std::vector<std::vector<Command>> core_requests;
    for (const auto& request : requests) core_requests.emplace_back(request.begin(), request.end());
    const Timestamp t = std::max(ledger.now(), NextBatchTimestampMin(ledger.state()));
    const std::vector<Outcome> outcomes = ledger.ApplyRequests(core_requests);
    const std::vector<std::pair<Result, bool>> expected = ModelApplier(&model).Apply(t, requests);
    LoggedBatch logged{t, {}};
    for (const auto& request : core_requests) {
      logged.batch.request_sizes.push_back(request.size());
      logged.batch.commands.insert(logged.batch.commands.end(), request.begin(), request.end());
    }
    log.push_back(std::move(logged));

    ASSERT_EQ(outcomes.size(), expected.size());
    for (size_t i = 0; i < outcomes.size(); ++i) {
      ASSERT_EQ(ResultName(outcomes[i].result), std::string(ResultName(expected[i].first)))
          << "batch " << b << " item " << i;
      ASSERT_EQ(outcomes[i].duplicate, expected[i].second) << "batch " << b << " item " << i;
      ++commands;
      ok += outcomes[i].result == Result::kOk;
    }
    for (const auto& [id, account] : model.accounts) {
      std::optional<Account> actual = LookupAccount(ledger.state(), Id(id));
      ASSERT_TRUE(actual) << id;
      ASSERT_EQ(actual->balance, account.balance) << "batch " << b << " account " << id;
      ASSERT_EQ(actual->debits_pending, account.debits_pending)
          << "batch " << b << " account " << id;
      ASSERT_EQ(actual->credits_pending, account.credits_pending)
          << "batch " << b << " account " << id;
    }
    ASSERT_EQ(testing::CheckInvariants(ledger.state(), /*verify_journal=*/false), "")
        << "batch " << b;
  }
  EXPECT_EQ(testing::CheckInvariants(ledger.state(), /*verify_journal=*/true), "");
  printf("model_test: %llu commands, %llu ok\n", static_cast<unsigned long long>(commands),
         static_cast<unsigned long long>(ok));
  EXPECT_GT(ok, commands / 4);  // The workload must exercise success paths, not only rejections.

  // Determinism: replay the command log from an empty state; identical state, byte for byte.
  MemoryKv replay;
  {
    // Re-apply the two setup batches from the journal, then the logged batches.
    for (uint64_t index = 1; index <= 2; ++index) {
      std::string bytes;
      ASSERT_TRUE(ledger.state().Get(keys::Journal(index), &bytes));
      std::optional<JournalEntry> entry = DecodeJournalEntry(bytes);
      ASSERT_TRUE(entry);
      Batch batch{entry->commands, entry->request_sizes};
      absl::StatusOr<ApplyOutput> out = ApplyBatch(replay, entry->batch_timestamp, batch);
      ASSERT_TRUE(out.ok());
      replay.Apply(out->writes);
    }
    for (const LoggedBatch& logged : log) {
      absl::StatusOr<ApplyOutput> out = ApplyBatch(replay, logged.timestamp, logged.batch);
      ASSERT_TRUE(out.ok()) << out.status();
      replay.Apply(out->writes);
    }
  }
  EXPECT_EQ(StateHash(replay), StateHash(ledger.state()));
  EXPECT_EQ(ReadHead(replay).hash, ReadHead(ledger.state()).hash);
}

}  // namespace
}  // namespace ledger
