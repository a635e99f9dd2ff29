// The state machine: see state_machine.h for the rules.
#include "ledger/core/state_machine.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>

#include <sodium.h>

#include "absl/container/btree_map.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/node_hash_map.h"
#include "absl/strings/str_cat.h"
#include "ledger/core/campaigns.h"
#include "ledger/core/health.h"
#include "ledger/core/keys.h"
#include "ledger/core/tasks.h"
#include "ledger/core/limits.h"
#include "ledger/core/cpm.h"
#include "ledger/core/pos.h"
#include "ledger/core/check.h"
#include "ledger/core/codec.h"

namespace ledger {
namespace {

// Stops the process: used where continuing would corrupt the ledger (a broken invariant or an
// undecodable record that only the core itself could have written).
[[noreturn]] void Fatal(const std::string& message) {
  fprintf(stderr, "FATAL (ledger core): %s\n", message.c_str());
  abort();
}


bool IsAssetCodeValid(const std::string& code) {
  if (code.empty() || code.size() > kAssetCodeBytesMax) return false;
  return std::all_of(code.begin(), code.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

bool WithinBalanceBound(int64_t value) { return value <= kBalanceMax && value >= -kBalanceMax; }

// Rounds t up to a multiple of granularity (both in nanoseconds).
Timestamp RoundUp(Timestamp t, uint64_t granularity) {
  if (granularity <= 1) return t;
  const Timestamp remainder = t % granularity;
  return remainder == 0 ? t : t + (granularity - remainder);
}

// Holds the batch's working state over the committed state: decoded accounts, lots and assets, and raw
// key changes. Mutations inside a linked chain are logged so the chain can be rolled back.
class Working {
 public:
  explicit Working(const KvReader& base) : base_(base) {}

  // ----- raw keys -----
  bool Get(const std::string& key, std::string* value) const {
    auto it = overlay_.find(key);
    if (it != overlay_.end()) {
      if (!it->second) return false;
      *value = *it->second;
      return true;
    }
    if (!prefetched_transfers_.empty() && key.size() == 17 && key[0] == keys::kTransfer) {
      const TransferId id{keys::ReadBigEndian64(std::string_view(key).substr(1, 8)),
                          keys::ReadBigEndian64(std::string_view(key).substr(9, 8))};
      auto found = prefetched_transfers_.find(id);
      if (found != prefetched_transfers_.end()) {
        if (!found->second) return false;
        *value = *found->second;
        return true;
      }
    }
    return base_.Get(key, value);
  }
  // Reads these transfers' records from the base in one MultiGet, before the batch changes anything:
  // a batch of new transfers asks the store about every id, and one bulk lookup costs much less than
  // one Get each. Get answers from it afterwards (the base does not change during a batch).
  void PrefetchTransfers(const std::vector<TransferId>& ids) {
    if (ids.empty()) return;
    std::vector<std::string> keys;
    keys.reserve(ids.size());
    for (const TransferId& id : ids) keys.push_back(keys::Transfer(id));
    std::vector<std::optional<std::string>> values;
    base_.MultiGet(keys, &values);
    prefetched_transfers_.reserve(ids.size());
    for (size_t i = 0; i < ids.size(); ++i) prefetched_transfers_.emplace(ids[i], std::move(values[i]));
  }
  void Put(std::string key, std::string value) { Set(std::move(key), std::move(value)); }
  void Delete(std::string key) { Set(std::move(key), std::nullopt); }
  // The keys that start with `prefix` followed by a byte below 0xff (prefix .. prefix 0xff), as KeysInRange.
  std::vector<std::string> KeysWithPrefix(std::string_view prefix) const {
    std::string end(prefix);
    end.push_back('\xff');
    return KeysInRange(prefix, end);
  }
  // The keys that exist in [from, to), with this batch's own writes and deletes, ascending.
  std::vector<std::string> KeysInRange(std::string_view from, std::string_view to) const {
    std::set<std::string> found;
    base_.Scan(from, to, false, [&](std::string_view key, std::string_view) {
      found.emplace(key);
      return true;
    });
    for (const auto& [key, value] : overlay_) {
      if (key < from || key >= to) continue;
      if (value) {
        found.insert(key);
      } else {
        found.erase(key);
      }
    }
    return std::vector<std::string>(found.begin(), found.end());
  }

  // ----- assets -----
  const Asset* FindAsset(AssetId id) {
    auto it = assets_.find(id);
    if (it == assets_.end()) {
      std::optional<Asset> asset;
      std::string bytes;
      if (Get(keys::Asset(id), &bytes)) {
        asset = DecodeAsset(bytes);
        if (!asset) Fatal(absl::StrCat("asset ", id, " record is corrupt"));
      }
      it = assets_.emplace(id, std::move(asset)).first;
    }
    return it->second ? &*it->second : nullptr;
  }
  void CreateAsset(const Asset& asset) {
    Put(keys::Asset(asset.id), EncodeAsset(asset));
    if (scoped_) asset_undo_.push_back({asset.id, assets_[asset.id]});
    assets_[asset.id] = asset;
  }

  // ----- accounts -----
  // Returns a pointer valid until the batch ends (node_hash_map keeps nodes stable), or null.
  Account* FindAccount(const AccountId& id) {
    CachedAccount* cached = LoadAccount(id);
    return cached->exists ? &cached->account : nullptr;
  }
  // Call before changing an account found with FindAccount.
  void Touch(const AccountId& id) {
    CachedAccount* cached = LoadAccount(id);
    if (scoped_) account_undo_.push_back({id, *cached});
    cached->dirty = true;
  }
  void CreateAccount(const Account& account) {
    CachedAccount* cached = LoadAccount(account.id);
    if (scoped_) account_undo_.push_back({account.id, *cached});
    cached->account = account;
    cached->exists = true;
    cached->dirty = true;
  }

  // ----- lots -----
  std::vector<Lot>* Lots(const AccountId& id) {
    auto it = lots_.find(id);
    if (it == lots_.end()) {
      CachedLots cached;
      std::string bytes;
      if (Get(keys::Lots(id), &bytes)) {
        std::optional<std::vector<Lot>> lots = DecodeLots(bytes);
        if (!lots) Fatal(absl::StrCat("lots of account ", id.ToHex(), " are corrupt"));
        cached.lots = std::move(*lots);
      }
      it = lots_.emplace(id, std::move(cached)).first;
    }
    return &it->second.lots;
  }
  void TouchLots(const AccountId& id) {
    Lots(id);
    CachedLots& cached = lots_[id];
    if (scoped_) lots_undo_.push_back({id, cached});
    cached.dirty = true;
  }

  // ----- history -----
  void AddHistory(const AccountId& account, const HistoryEntry& entry) { history_.push_back({account, entry}); }
  // The batch's entries, in the order they happened; call once, outside any scope.
  std::vector<AccountHistoryEntry> TakeHistory() {
    CORE_CHECK(!scoped_);
    return std::move(history_);
  }

  // ----- linked-chain scopes -----
  void BeginScope() {
    CORE_CHECK(!scoped_);
    scoped_ = true;
    history_mark_ = history_.size();
  }
  void CommitScope() {
    CORE_CHECK(scoped_);
    scoped_ = false;
    ClearUndo();
  }
  void RollbackScope() {
    CORE_CHECK(scoped_);
    scoped_ = false;
    for (auto it = overlay_undo_.rbegin(); it != overlay_undo_.rend(); ++it) {
      if (it->previous) {
        overlay_[it->key] = *it->previous;
      } else {
        overlay_.erase(it->key);
      }
    }
    for (auto it = account_undo_.rbegin(); it != account_undo_.rend(); ++it) accounts_[it->id] = it->previous;
    for (auto it = lots_undo_.rbegin(); it != lots_undo_.rend(); ++it) lots_[it->id] = it->previous;
    for (auto it = asset_undo_.rbegin(); it != asset_undo_.rend(); ++it) assets_[it->id] = it->previous;
    history_.resize(history_mark_);
    ClearUndo();
  }

  // The cheap invariant of a batch, over the accounts it changed: per asset, the balance changes sum to
  // zero (what one account gained another lost) and the pending debits added equal the pending credits
  // added. With a ledger whose sums were zero before, they stay zero. "" if it holds.
  std::string BalanceProblem() const {
    absl::btree_map<AssetId, std::array<__int128, 3>> deltas;  // Balance, debits and credits pending.
    for (const auto& [id, cached] : accounts_) {
      if (!cached.dirty) continue;
      std::array<__int128, 3>& delta = deltas[cached.account.asset];
      delta[0] += cached.account.balance - cached.base_balance;
      delta[1] += cached.account.debits_pending - cached.base_debits_pending;
      delta[2] += cached.account.credits_pending - cached.base_credits_pending;
    }
    for (const auto& [asset, delta] : deltas) {
      if (delta[0] != 0 || delta[1] != delta[2]) {
        return absl::StrCat("asset ", asset, ": the batch changed its balances by ", static_cast<int64_t>(delta[0]),
                            " and its pending debits and credits by ", static_cast<int64_t>(delta[1]), " and ",
                            static_cast<int64_t>(delta[2]));
      }
    }
    return "";
  }

  // Everything changed, sorted by key.
  WriteSet Finish() {
    for (auto& [id, cached] : accounts_) {
      if (cached.dirty) Put(keys::Account(id), EncodeAccount(cached.account));
    }
    for (auto& [id, cached] : lots_) {
      if (!cached.dirty) continue;
      if (cached.lots.empty()) {
        Delete(keys::Lots(id));
      } else {
        Put(keys::Lots(id), EncodeLots(cached.lots));
      }
    }
    WriteSet writes;
    writes.entries.reserve(overlay_.size());
    // Extracting moves each key out instead of copying it (the overlay is not used after this).
    for (auto it = overlay_.begin(); it != overlay_.end();) {
      auto node = overlay_.extract(it++);
      writes.entries.emplace_back(std::move(node.key()), std::move(node.mapped()));
    }
    // The overlay is a hash map: its order is randomised, so sort before anything sees it.
    std::sort(writes.entries.begin(), writes.entries.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    return writes;
  }

 private:
  struct CachedAccount {
    Account account;
    bool exists = false;
    bool dirty = false;
    // As stored before the batch (zero for an account the batch creates): what BalanceProblem compares.
    int64_t base_balance = 0;
    int64_t base_debits_pending = 0;
    int64_t base_credits_pending = 0;
  };
  struct CachedLots {
    std::vector<Lot> lots;
    bool dirty = false;
  };
  struct OverlayUndo {
    std::string key;
    std::optional<std::optional<std::string>> previous;  // Outer nullopt: key was not in the overlay.
  };
  struct AccountUndo {
    AccountId id;
    CachedAccount previous;
  };
  struct LotsUndo {
    AccountId id;
    CachedLots previous;
  };
  struct AssetUndo {
    AssetId id;
    std::optional<Asset> previous;
  };

  CachedAccount* LoadAccount(const AccountId& id) {
    auto it = accounts_.find(id);
    if (it != accounts_.end()) return &it->second;
    CachedAccount cached;
    std::string bytes;
    if (Get(keys::Account(id), &bytes)) {
      std::optional<Account> account = DecodeAccount(bytes);
      if (!account) Fatal(absl::StrCat("account ", id.ToHex(), " record is corrupt"));
      cached.account = std::move(*account);
      cached.exists = true;
      cached.base_balance = cached.account.balance;
      cached.base_debits_pending = cached.account.debits_pending;
      cached.base_credits_pending = cached.account.credits_pending;
    }
    return &accounts_.emplace(id, std::move(cached)).first->second;
  }

  void Set(std::string key, std::optional<std::string> value) {
    if (scoped_) {
      auto it = overlay_.find(key);
      OverlayUndo undo{key, std::nullopt};
      if (it != overlay_.end()) undo.previous = it->second;
      overlay_undo_.push_back(std::move(undo));
    }
    overlay_[std::move(key)] = std::move(value);
  }

  void ClearUndo() {
    overlay_undo_.clear();
    account_undo_.clear();
    lots_undo_.clear();
    asset_undo_.clear();
  }

  const KvReader& base_;
  absl::flat_hash_map<std::string, std::optional<std::string>> overlay_;
  absl::flat_hash_map<TransferId, std::optional<std::string>> prefetched_transfers_;  // As the base has them.
  absl::node_hash_map<AccountId, CachedAccount> accounts_;
  absl::node_hash_map<AccountId, CachedLots> lots_;
  absl::node_hash_map<AssetId, std::optional<Asset>> assets_;
  std::vector<AccountHistoryEntry> history_;
  size_t history_mark_ = 0;
  bool scoped_ = false;
  std::vector<OverlayUndo> overlay_undo_;
  std::vector<AccountUndo> account_undo_;
  std::vector<LotsUndo> lots_undo_;
  std::vector<AssetUndo> asset_undo_;
};

class BatchApplier {
 public:
  BatchApplier(const KvReader& state, Timestamp timestamp, const JournalHead& head,
               ApplyCounters* counters)
      : state_(state),
        working_(state),
        batch_timestamp_(timestamp),
        now_(timestamp),
        head_(head),
        counters_(counters) {
    entry_.index = head.index + 1;
    entry_.batch_timestamp = timestamp;
    entry_.previous_hash = head.hash;
  }

  ApplyOutput Run(const Batch& batch) {
    std::vector<TransferId> ids;
    for (const Command& command : batch.commands) {
      const Transfer* t = std::get_if<Transfer>(&command);
      if (t == nullptr) continue;
      if (!t->id.IsZero() && !t->id.IsReserved()) ids.push_back(t->id);
      if (!t->pending_id.IsZero()) ids.push_back(t->pending_id);
    }
    working_.PrefetchTransfers(ids);
    FoldHistory();
    SweepPendings();
    SweepLots();
    SweepWatch();
    SweepTasks();
    SweepNonces();
    entry_.request_sizes = batch.request_sizes;
    entry_.commands = batch.commands;
    entry_.outcomes.resize(batch.commands.size());
    size_t begin = 0;
    for (uint32_t size : batch.request_sizes) {
      ApplyRequest(batch.commands, begin, begin + size);
      begin += size;
    }
    entry_.last_timestamp = now_ - 1;
    return Finish();
  }

 private:
  Timestamp Tick() { return now_++; }

  // Holds a lot-bearing wallet? See rule 4 in state_machine.h.
  bool HoldsLots(const Account& account) {
    if (account.kind != AccountKind::kWallet || !account.non_negative()) return false;
    const Asset* asset = working_.FindAsset(account.asset);
    return asset != nullptr && asset->Expires();
  }

  // What a debit may take from an account now: its unexpired lots, or its balance less pending debits.
  int64_t Spendable(const Account& account, Timestamp at) {
    return HoldsLots(account) ? SpendableLots(account.id, at) : account.balance - account.debits_pending;
  }

  // ----- expiry lots -----
  int64_t SpendableLots(const AccountId& id, Timestamp at) {
    int64_t total = 0;
    for (const Lot& lot : *working_.Lots(id)) {
      if (lot.expiry > at) total += lot.amount;
    }
    return total;
  }

  // Would adding a lot with this expiry exceed kLotsPerAccountMax?
  bool LotWouldOverflow(const AccountId& id, Timestamp expiry) {
    const std::vector<Lot>& lots = *working_.Lots(id);
    if (static_cast<int>(lots.size()) < kLotsPerAccountMax) return false;
    return std::none_of(lots.begin(), lots.end(), [&](const Lot& lot) { return lot.expiry == expiry; });
  }

  void AddLot(const AccountId& id, const Lot& lot) {
    CORE_CHECK(lot.amount > 0);
    working_.TouchLots(id);
    std::vector<Lot>& lots = *working_.Lots(id);
    auto it = std::lower_bound(lots.begin(), lots.end(), lot.expiry,
                               [](const Lot& l, Timestamp expiry) { return l.expiry < expiry; });
    if (it != lots.end() && it->expiry == lot.expiry) {
      it->amount += lot.amount;
      return;
    }
    lots.insert(it, lot);
    working_.Put(keys::ExpiryIndex(lot.expiry, id), "");
    // A lot handed back already lapsed (a timed-out pending's) is swept in this batch too.
    if (lot.expiry <= batch_timestamp_) lapsed_added_.emplace_back(lot.expiry, id);
  }

  // Takes `amount` from unexpired lots, earliest expiry first. Caller has checked there is enough.
  std::vector<Lot> TakeLots(const AccountId& id, int64_t amount, Timestamp at) {
    working_.TouchLots(id);
    std::vector<Lot>& lots = *working_.Lots(id);
    std::vector<Lot> taken;
    for (Lot& lot : lots) {
      if (amount == 0) break;
      if (lot.expiry <= at || lot.amount == 0) continue;
      const int64_t take = std::min(amount, lot.amount);
      lot.amount -= take;
      amount -= take;
      taken.push_back({lot.expiry, take});
    }
    CORE_CHECK(amount == 0);
    RemoveEmptyLots(id, &lots);
    return taken;
  }

  void RemoveEmptyLots(const AccountId& id, std::vector<Lot>* lots) {
    for (const Lot& lot : *lots) {
      if (lot.amount == 0) working_.Delete(keys::ExpiryIndex(lot.expiry, id));
    }
    lots->erase(std::remove_if(lots->begin(), lots->end(), [](const Lot& l) { return l.amount == 0; }),
                lots->end());
  }

  // Splits reserved lots into `amount` taken (earliest expiry first) and the rest.
  static void SplitLots(const std::vector<Lot>& reserved, int64_t amount, std::vector<Lot>* taken,
                        std::vector<Lot>* rest) {
    for (const Lot& lot : reserved) {
      const int64_t take = std::min(amount, lot.amount);
      amount -= take;
      if (take > 0) taken->push_back({lot.expiry, take});
      if (lot.amount - take > 0) rest->push_back({lot.expiry, lot.amount - take});
    }
    CORE_CHECK(amount == 0);
  }

  Timestamp CreditExpiry(const Asset& asset, Timestamp at) {
    const uint64_t granularity = static_cast<uint64_t>(asset.expiry_granularity_seconds) * kNanosPerSecond;
    return RoundUp(at + static_cast<uint64_t>(asset.expiry_seconds) * kNanosPerSecond, granularity);
  }

  // ----- balances and history -----
  void PostBalance(Account* account, int64_t delta, const TransferId& transfer_id, Timestamp at) {
    working_.Touch(account->id);
    account->balance += delta;
    CORE_CHECK(WithinBalanceBound(account->balance));
    working_.AddHistory(account->id, {at, transfer_id, delta, account->balance});
  }

  void PutTransfer(const Transfer& transfer) {
    working_.Put(keys::Transfer(transfer.id), EncodeTransfer(transfer));
  }

  // ----- history folding -----
  // Once enough recent-history records wait (kHistoryFoldRecords or kHistoryFoldEntries), folds them
  // all into per-account segments: one key per account per fold instead of one per entry. Runs first
  // in a batch, so it sees only committed state and every replica folds at the same index.
  void FoldHistory() {
    std::string bytes;
    if (working_.Get(keys::HistoryBacklog(), &bytes)) {
      std::optional<HistoryBacklog> backlog = DecodeHistoryBacklog(bytes);
      if (!backlog) Fatal("history backlog record is corrupt");
      backlog_ = *backlog;
    }
    if (backlog_.records < kHistoryFoldRecords && backlog_.entries < kHistoryFoldEntries) return;
    std::vector<AccountHistoryEntry> all;
    all.reserve(backlog_.entries);
    std::vector<std::string> folded;
    std::vector<size_t> run_ends;  // Where each record's entries end in `all`.
    const std::string from(1, keys::kRecentHistory);
    const std::string to(1, keys::kRecentHistory + 1);
    state_.Scan(from, to, false, [&](std::string_view key, std::string_view value) {
      std::optional<std::vector<AccountHistoryEntry>> items = DecodeRecentHistory(value);
      if (!items) Fatal("recent history record is corrupt");
      all.insert(all.end(), items->begin(), items->end());
      run_ends.push_back(all.size());
      folded.emplace_back(key);
      return true;
    });
    CORE_CHECK(folded.size() == backlog_.records && all.size() == backlog_.entries);
    // Records are in journal order and each is sorted by account then time: merging the records by
    // account, stably and pairwise (log2(records) passes instead of a full sort), leaves every account's
    // entries in time order; the result is exactly a stable sort by account.
    const auto by_account = [](const auto& a, const auto& b) { return a.account < b.account; };
    while (run_ends.size() > 1) {
      std::vector<size_t> merged;
      size_t begin = 0;
      for (size_t r = 0; r < run_ends.size(); r += 2) {
        if (r + 1 < run_ends.size()) {
          std::inplace_merge(all.begin() + begin, all.begin() + run_ends[r], all.begin() + run_ends[r + 1], by_account);
          begin = run_ends[r + 1];
        } else {
          begin = run_ends[r];
        }
        merged.push_back(begin);
      }
      run_ends = std::move(merged);
    }
    std::vector<HistoryEntry> segment;
    for (size_t i = 0; i < all.size(); ++i) {
      segment.push_back(all[i].entry);
      const bool last_of_account = i + 1 == all.size() || !(all[i + 1].account == all[i].account);
      if (last_of_account || segment.size() == kHistorySegmentEntriesMax) {
        working_.Put(keys::History(all[i].account, segment.back().timestamp), EncodeHistorySegment(segment));
        segment.clear();
      }
    }
    for (std::string& key : folded) working_.Delete(std::move(key));
    working_.Delete(keys::HistoryBacklog());
    backlog_ = HistoryBacklog{};
    if (counters_) counters_->history_folded += all.size();
  }

  // The batch's history becomes its recent-history record (sorted by account, then time), counted in
  // the backlog that FoldHistory read at the start of the batch.
  void PutRecentHistory() {
    std::vector<AccountHistoryEntry> history = working_.TakeHistory();
    if (history.empty()) return;
    std::stable_sort(history.begin(), history.end(), [](const auto& a, const auto& b) {
      return a.account < b.account || (a.account == b.account && a.entry.timestamp < b.entry.timestamp);
    });
    backlog_.records += 1;
    backlog_.entries += history.size();
    working_.Put(keys::RecentHistory(entry_.index), EncodeRecentHistory(history));
    working_.Put(keys::HistoryBacklog(), EncodeHistoryBacklog(backlog_));
  }

  // ----- sweep -----
  void SweepPendings() {
    std::vector<std::pair<Timestamp, TransferId>> due;
    const std::string from = keys::PendingIndex(0, TransferId{});
    const std::string to = keys::PendingIndex(batch_timestamp_ + 1, TransferId{});
    state_.Scan(from, to, false, [&](std::string_view key, std::string_view) {
      Timestamp timeout_at;
      TransferId id;
      keys::DecodePendingIndex(key, &timeout_at, &id);
      due.emplace_back(timeout_at, id);
      return due.size() < static_cast<size_t>(kSweepItemsMax);
    });
    for (const auto& [timeout_at, id] : due) {
      Transfer pending = LoadTransferOrDie(id);
      CORE_CHECK(pending.pending_state == PendingState::kPending);
      const Timestamp at = Tick();
      ReleasePending(&pending, pending.reserved_lots);
      pending.pending_state = PendingState::kExpired;
      pending.reserved_lots.clear();
      PutTransfer(pending);
      working_.Delete(keys::PendingIndex(timeout_at, id));
      entry_.system_events.push_back({SystemEventType::kPendingExpired, id, pending.debit_account_id,
                                      pending.credit_account_id, pending.asset, pending.amount, at});
      if (counters_) ++counters_->expired_pendings;
    }
  }

  void SweepLots() {
    std::vector<std::pair<Timestamp, AccountId>> due;
    const std::string from = keys::ExpiryIndex(0, AccountId{});
    const std::string to = keys::ExpiryIndex(batch_timestamp_ + 1, AccountId{});
    const size_t limit = kSweepItemsMax - entry_.system_events.size();
    if (limit == 0) return;
    state_.Scan(from, to, false, [&](std::string_view key, std::string_view) {
      Timestamp expiry;
      AccountId id;
      keys::DecodeExpiryIndex(key, &expiry, &id);
      due.emplace_back(expiry, id);
      return due.size() < limit;
    });
    due.insert(due.end(), lapsed_added_.begin(), lapsed_added_.end());
    std::sort(due.begin(), due.end());
    due.erase(std::unique(due.begin(), due.end()), due.end());
    if (due.size() > limit) due.resize(limit);
    uint64_t sequence = 0;
    for (const auto& [expiry, id] : due) {
      // The lambdas copy `expiry`: clang 14 (ops/fuzz's libFuzzer build) cannot capture a structured binding.
      std::vector<Lot>* lots = working_.Lots(id);
      auto it = std::find_if(lots->begin(), lots->end(), [expiry = expiry](const Lot& l) { return l.expiry == expiry; });
      CORE_CHECK(it != lots->end() && it->amount > 0);
      const int64_t amount = it->amount;
      working_.TouchLots(id);
      lots = working_.Lots(id);
      it = std::find_if(lots->begin(), lots->end(), [expiry = expiry](const Lot& l) { return l.expiry == expiry; });
      it->amount = 0;
      RemoveEmptyLots(id, lots);

      Account* wallet = working_.FindAccount(id);
      CORE_CHECK(wallet != nullptr);
      const Asset* asset = working_.FindAsset(wallet->asset);
      CORE_CHECK(asset != nullptr);
      Account* breakage = working_.FindAccount(asset->breakage_account);
      CORE_CHECK(breakage != nullptr);

      const Timestamp at = Tick();
      Transfer transfer;
      transfer.id = TransferId{0xffff000000000000ULL | (entry_.index & 0x0000ffffffffffffULL), ++sequence};
      transfer.debit_account_id = wallet->id;
      transfer.credit_account_id = breakage->id;
      transfer.amount = amount;
      transfer.code = kCodeExpiry;
      transfer.asset = wallet->asset;
      transfer.timestamp = at;
      PostBalance(wallet, -amount, transfer.id, at);
      PostBalance(breakage, amount, transfer.id, at);
      PutTransfer(transfer);
      entry_.system_events.push_back({SystemEventType::kExpiry, transfer.id, wallet->id, breakage->id,
                                      wallet->asset, amount, at});
      if (counters_) ++counters_->expired_lots;
    }
  }

  // Forgets the spent nonces whose expiry is before the batch stamp, at most kNonceSweepItemsMax a batch
  // (the rest in the next ones). Safe by construction: each was spent by a request whose window (or
  // code's lifetime) had closed by its expiry, so the core refuses a replay of it from now on.
  void SweepNonces() {
    std::vector<std::string> due;
    state_.Scan(std::string(1, keys::kNonceExpiry), keys::NonceExpiry(batch_timestamp_, AccountId{}, 0), false,
                [&](std::string_view key, std::string_view) {
                  due.emplace_back(key);
                  return due.size() < static_cast<size_t>(kNonceSweepItemsMax);
                });
    for (std::string& key : due) {
      Timestamp expiry;
      AccountId account;
      uint64_t nonce;
      keys::DecodeNonceExpiry(key, &expiry, &account, &nonce);
      CORE_CHECK(expiry < batch_timestamp_);
      const std::string nonce_key = keys::Nonce(account, nonce);
      std::string bytes;
      CORE_CHECK(working_.Get(nonce_key, &bytes) && bytes.size() == 8 && Decoder(bytes).U64() == expiry);
      working_.Delete(nonce_key);
      working_.Delete(std::move(key));
      if (counters_) ++counters_->pruned_nonces;
    }
  }

  Transfer LoadTransferOrDie(const TransferId& id) {
    std::string bytes;
    CORE_CHECK(working_.Get(keys::Transfer(id), &bytes));
    std::optional<Transfer> transfer = DecodeTransfer(bytes);
    if (!transfer) Fatal(absl::StrCat("transfer ", id.ToHex(), " record is corrupt"));
    return *transfer;
  }

  // Undoes a pending's reservation on both accounts and hands `lots_back` back to the debit wallet.
  void ReleasePending(Transfer* pending, const std::vector<Lot>& lots_back) {
    Account* debit = working_.FindAccount(pending->debit_account_id);
    Account* credit = working_.FindAccount(pending->credit_account_id);
    CORE_CHECK(debit != nullptr && credit != nullptr);
    working_.Touch(debit->id);
    working_.Touch(credit->id);
    debit->debits_pending -= pending->amount;
    credit->credits_pending -= pending->amount;
    CORE_CHECK(debit->debits_pending >= 0 && credit->credits_pending >= 0);
    for (const Lot& lot : lots_back) AddLot(debit->id, lot);
  }

  // ----- requests and chains -----
  void ApplyRequest(const std::vector<Command>& commands, size_t begin, size_t end) {
    size_t i = begin;
    while (i < end) {
      const Transfer* transfer = std::get_if<Transfer>(&commands[i]);
      if (transfer == nullptr || !transfer->flag(transfer_flags::kLinked)) {
        entry_.outcomes[i] = ApplyOne(commands[i], Tick());
        ++i;
        continue;
      }
      size_t chain_end = i;  // One past the chain's last command.
      bool closed = false;
      while (chain_end < end) {
        const Transfer* member = std::get_if<Transfer>(&commands[chain_end]);
        if (member == nullptr) break;  // Only transfers link: the chain is left open.
        ++chain_end;
        if (!member->flag(transfer_flags::kLinked)) {
          closed = true;
          break;
        }
      }
      ApplyChain(commands, i, chain_end, closed);
      i = chain_end;
    }
  }

  void ApplyChain(const std::vector<Command>& commands, size_t begin, size_t end, bool closed) {
    std::vector<Timestamp> stamps;
    for (size_t i = begin; i < end; ++i) stamps.push_back(Tick());
    if (!closed) {
      for (size_t i = begin; i < end; ++i) {
        entry_.outcomes[i] = Outcome{i + 1 == end ? Result::kLinkedEventChainOpen
                                                  : Result::kLinkedEventFailed,
                                     false, stamps[i - begin]};
      }
      return;
    }
    working_.BeginScope();
    size_t failed = end;
    for (size_t i = begin; i < end; ++i) {
      Outcome outcome = ApplyOne(commands[i], stamps[i - begin], /*in_chain=*/true);
      entry_.outcomes[i] = outcome;
      if (outcome.result != Result::kOk) {
        failed = i;
        break;
      }
    }
    if (failed == end) {
      working_.CommitScope();
      return;
    }
    working_.RollbackScope();
    const Outcome failure = entry_.outcomes[failed];
    for (size_t i = begin; i < end; ++i) {
      entry_.outcomes[i] = Outcome{Result::kLinkedEventFailed, false, stamps[i - begin]};
    }
    entry_.outcomes[failed] = failure;
    // The failing member's own outcome is decided and recorded, as outside a chain.
    if (!failure.duplicate) RecordFailure(std::get<Transfer>(commands[failed]), failure);
  }

  Outcome ApplyOne(const Command& command, Timestamp at, bool in_chain = false) {
    if (const uint64_t request_ms = RequestMs(command); request_ms != 0) {
      if (Result window = CheckRequestWindow(request_ms); window != Result::kOk) return Outcome{window, false, at};
    }
    if (const auto* asset = std::get_if<Asset>(&command)) return CreateAsset(*asset, at);
    if (const auto* account = std::get_if<Account>(&command)) return CreateAccount(*account, at);
    if (const auto* close = std::get_if<CloseAccount>(&command)) return Close(*close, at);
    if (const auto* payment = std::get_if<PosPayment>(&command)) return Pay(*payment, at);
    if (const auto* refund = std::get_if<PosRefund>(&command)) return Refund(*refund, at);
    if (const auto* cancel = std::get_if<PosCancel>(&command)) return Cancel(*cancel, at);
    if (const auto* close_day = std::get_if<PosCloseDay>(&command)) return CloseDay(*close_day, at);
    if (const auto* fees = std::get_if<PosFees>(&command)) return SetFees(*fees, at);
    if (const auto* cashout = std::get_if<PosCashOut>(&command)) return CashOut(*cashout, at);
    if (const auto* supplier = std::get_if<PosSupplierPayment>(&command)) return PaySupplier(*supplier, at);
    if (const auto* key = std::get_if<RegisterKey>(&command)) return Register(*key, at);
    if (const auto* revoke = std::get_if<RevokeKey>(&command)) return Revoke(*revoke, at);
    if (const auto* send = std::get_if<WalletSend>(&command)) return Send(*send, at);
    if (const auto* card = std::get_if<RegisterCard>(&command)) return IssueCard(*card, at);
    if (const auto* unlock = std::get_if<UnlockCard>(&command)) return Unlock(*unlock, at);
    if (const auto* reissue = std::get_if<ReissueCard>(&command)) return Reissue(*reissue, at);
    if (const auto* program = std::get_if<SetHealthProgram>(&command)) return SetProgram(*program, at);
    if (const auto* device = std::get_if<RegisterDevice>(&command)) return Device(*device, at);
    if (const auto* consent = std::get_if<SetConsent>(&command)) return Consent(*consent, at);
    if (const auto* report = std::get_if<StepReport>(&command)) return Steps(*report, at);
    if (const auto* exchange = std::get_if<ExchangePoints>(&command)) return Exchange(*exchange, at);
    if (const auto* erase = std::get_if<EraseStepData>(&command)) return Erase(*erase, at);
    if (const auto* watch = std::get_if<SetWatchOver>(&command)) return WatchOver(*watch, at);
    if (const auto* ack = std::get_if<AckAlert>(&command)) return Acknowledge(*ack, at);
    if (const auto* rules = std::get_if<SetTaskRules>(&command)) return SetRules(*rules, at);
    if (const auto* grant = std::get_if<GrantSubsidy>(&command)) return Grant(*grant, at);
    if (const auto* task = std::get_if<PostTask>(&command)) return Post(*task, at);
    if (const auto* apply = std::get_if<ApplyTask>(&command)) return ApplyFor(*apply, at);
    if (const auto* decide = std::get_if<DecideApplication>(&command)) return Decide(*decide, at);
    if (const auto* cancel_slots = std::get_if<CancelSlots>(&command)) return CancelFree(*cancel_slots, at);
    if (const auto* check = std::get_if<CheckIn>(&command)) return Check(*check, at);
    if (const auto* confirm = std::get_if<ConfirmDay>(&command)) return Confirm(*confirm, at);
    if (const auto* campaign = std::get_if<CreateCampaign>(&command)) return StartCampaign(*campaign, at);
    if (const auto* close_campaign = std::get_if<CloseCampaign>(&command)) return EndCampaign(*close_campaign, at);
    if (const auto* link = std::get_if<LinkAccount>(&command)) return Link(*link, at);
    if (const auto* order = std::get_if<PosMpmOrder>(&command)) return RegisterMpm(*order, at);
    if (const auto* profile = std::get_if<SetMerchantProfile>(&command)) return SetProfile(*profile, at);
    const Transfer& transfer = std::get<Transfer>(command);
    Outcome outcome = CreateTransfer(transfer, at);
    if (!in_chain && outcome.result != Result::kOk && !outcome.duplicate) RecordFailure(transfer, outcome);
    return outcome;
  }

  // Records a failed transfer's outcome so that the id stays decided (see rule 2).
  void RecordFailure(const Transfer& request, const Outcome& outcome) {
    switch (outcome.result) {
      case Result::kIdMustNotBeZero:
      case Result::kIdReserved:
      case Result::kExistsWithDifferentFields:
      case Result::kLinkedEventFailed:
      case Result::kLinkedEventChainOpen:
        return;
      default:
        break;
    }
    Transfer record = request;
    record.result = outcome.result;
    record.timestamp = outcome.timestamp;
    PutTransfer(record);
  }

  // ----- assets -----
  Outcome CreateAsset(const Asset& request, Timestamp at) {
    Outcome outcome{Result::kOk, false, at};
    auto fail = [&](Result r) {
      outcome.result = r;
      return outcome;
    };
    if (request.id == 0) return fail(Result::kIdMustNotBeZero);
    if (request.id > kAssetIdMax) return fail(Result::kIdReserved);
    if (const Asset* existing = working_.FindAsset(request.id)) {
      if (!existing->SameRequest(request)) return fail(Result::kExistsWithDifferentFields);
      return Outcome{Result::kOk, true, existing->timestamp};
    }
    if (!IsAssetCodeValid(request.code)) return fail(Result::kAssetCodeInvalid);
    if (request.expiry_seconds < 0 || request.expiry_seconds > kExpirySecondsMax ||
        request.expiry_granularity_seconds <= 0 ||
        request.expiry_granularity_seconds > kExpirySecondsMax || request.scale > 18) {
      return fail(Result::kExpiryInvalid);
    }
    if (request.breakage_account.IsZero()) return fail(Result::kIdMustNotBeZero);
    if (request.breakage_account.IsReserved()) return fail(Result::kIdReserved);
    if (working_.FindAccount(request.breakage_account) != nullptr) {
      return fail(Result::kExistsWithDifferentFields);
    }
    Asset asset = request;
    asset.timestamp = at;
    working_.CreateAsset(asset);
    Account breakage;
    breakage.id = request.breakage_account;
    breakage.asset = asset.id;
    breakage.kind = AccountKind::kBreakage;
    breakage.timestamp = at;
    working_.CreateAccount(breakage);
    return outcome;
  }

  // ----- accounts -----
  Outcome CreateAccount(const Account& request, Timestamp at) {
    Outcome outcome{Result::kOk, false, at};
    auto fail = [&](Result r) {
      outcome.result = r;
      return outcome;
    };
    if (request.id.IsZero()) return fail(Result::kIdMustNotBeZero);
    if (request.id.IsReserved()) return fail(Result::kIdReserved);
    if (const Account* existing = working_.FindAccount(request.id)) {
      if (!existing->SameRequest(request)) return fail(Result::kExistsWithDifferentFields);
      return Outcome{Result::kOk, true, existing->timestamp};
    }
    if ((request.flags & ~account_flags::kCreatable) != 0) return fail(Result::kFlagsInvalid);
    const auto kind = static_cast<uint8_t>(request.kind);
    if (kind == 0 || kind > kAccountKindMax) return fail(Result::kKindInvalid);
    if (request.category.size() > static_cast<size_t>(kCategoryBytesMax)) {
      return fail(Result::kCategoryTooLong);
    }
    if (working_.FindAsset(request.asset) == nullptr) return fail(Result::kAssetNotFound);
    Account account = request;
    account.balance = 0;
    account.debits_pending = 0;
    account.credits_pending = 0;
    account.timestamp = at;
    working_.CreateAccount(account);
    return outcome;
  }

  Outcome Close(const CloseAccount& request, Timestamp at) {
    Outcome outcome{Result::kOk, false, at};
    Account* account = working_.FindAccount(request.id);
    if (account == nullptr) {
      outcome.result = Result::kAccountNotFound;
    } else if (account->closed()) {
      outcome.result = Result::kAccountAlreadyClosed;
    } else if (account->balance != 0 || account->debits_pending != 0 || account->credits_pending != 0) {
      outcome.result = Result::kAccountHasBalance;
    } else {
      working_.Touch(account->id);
      account->flags |= account_flags::kClosed;
    }
    return outcome;
  }

  // ----- transfers -----
  Outcome CreateTransfer(const Transfer& t, Timestamp at) {
    Outcome outcome{Result::kOk, false, at};
    auto fail = [&](Result r) {
      outcome.result = r;
      return outcome;
    };
    if (t.id.IsZero()) return fail(Result::kIdMustNotBeZero);
    if (t.id.IsReserved()) return fail(Result::kIdReserved);
    std::string bytes;
    if (working_.Get(keys::Transfer(t.id), &bytes)) {
      std::optional<Transfer> existing = DecodeTransfer(bytes);
      if (!existing) Fatal(absl::StrCat("transfer ", t.id.ToHex(), " record is corrupt"));
      if (!existing->SameRequest(t)) return fail(Result::kExistsWithDifferentFields);
      return Outcome{existing->result, true, existing->timestamp};
    }
    if ((t.flags & ~transfer_flags::kAll) != 0) return fail(Result::kFlagsInvalid);
    const int phase_flags = t.flag(transfer_flags::kPending) + t.flag(transfer_flags::kPostPending) +
                            t.flag(transfer_flags::kVoidPending);
    if (phase_flags > 1) return fail(Result::kFlagsAreMutuallyExclusive);
    if (t.code == 0) return fail(Result::kCodeMustNotBeZero);
    if (t.timeout_seconds != 0 && !t.flag(transfer_flags::kPending)) {
      return fail(Result::kTimeoutRequiresPending);
    }
    if (t.timeout_seconds < 0 || t.timeout_seconds > kTimeoutSecondsMax) {
      return fail(Result::kTimeoutExceedsLimit);
    }
    const bool resolves = t.flag(transfer_flags::kPostPending) || t.flag(transfer_flags::kVoidPending);
    // The ledger's own pendings (task reservations, in the reserved id space) are posted and voided only by
    // the rules that made them: a client's post or void would leave a task unable to pay its visitor.
    if (resolves && t.pending_id.IsReserved()) return fail(Result::kIdReserved);
    if (resolves) return ResolvePending(t, at);
    if (!t.pending_id.IsZero()) return fail(Result::kPendingIdMustBeZero);
    return Move(t, at);
  }

  // Single-phase transfer, or the reservation of a pending one.
  Outcome Move(const Transfer& t, Timestamp at) {
    Outcome outcome{Result::kOk, false, at};
    auto fail = [&](Result r) {
      outcome.result = r;
      return outcome;
    };
    if (t.amount <= 0) return fail(Result::kAmountMustBePositive);
    if (t.amount > kAmountMax) return fail(Result::kAmountExceedsLimit);
    if (t.debit_account_id == t.credit_account_id) return fail(Result::kAccountsMustBeDifferent);
    Account* debit = working_.FindAccount(t.debit_account_id);
    if (debit == nullptr) return fail(Result::kDebitAccountNotFound);
    Account* credit = working_.FindAccount(t.credit_account_id);
    if (credit == nullptr) return fail(Result::kCreditAccountNotFound);
    if (debit->asset != credit->asset) return fail(Result::kAssetMismatch);
    if (debit->closed() || credit->closed()) return fail(Result::kAccountClosed);
    const bool pending = t.flag(transfer_flags::kPending);
    const bool debit_lots = HoldsLots(*debit);
    const bool credit_lots = HoldsLots(*credit);
    if (debit->non_negative()) {
      if (t.amount > Spendable(*debit, at)) return fail(Result::kExceedsBalance);
    }
    if (pending) {
      if (!WithinBalanceBound(debit->debits_pending + t.amount) ||
          !WithinBalanceBound(credit->credits_pending + t.amount)) {
        return fail(Result::kOverflowsBalance);
      }
    } else if (!WithinBalanceBound(debit->balance - t.amount) ||
               !WithinBalanceBound(credit->balance + t.amount)) {
      return fail(Result::kOverflowsBalance);
    }
    const Asset* asset = working_.FindAsset(debit->asset);
    CORE_CHECK(asset != nullptr);
    if (!pending && credit_lots && LotWouldOverflow(credit->id, CreditExpiry(*asset, at))) {
      return fail(Result::kTooManyLots);
    }

    Transfer record = t;
    record.asset = debit->asset;
    record.timestamp = at;
    std::vector<Lot> taken;
    if (debit_lots) taken = TakeLots(debit->id, t.amount, at);
    if (pending) {
      working_.Touch(debit->id);
      working_.Touch(credit->id);
      debit->debits_pending += t.amount;
      credit->credits_pending += t.amount;
      record.pending_state = PendingState::kPending;
      record.reserved_lots = std::move(taken);
      if (t.timeout_seconds > 0) {
        record.timeout_at = at + static_cast<uint64_t>(t.timeout_seconds) * kNanosPerSecond;
        working_.Put(keys::PendingIndex(record.timeout_at, record.id), "");
      }
    } else {
      PostBalance(debit, -t.amount, t.id, at);
      PostBalance(credit, t.amount, t.id, at);
      if (credit_lots) AddLot(credit->id, {CreditExpiry(*asset, at), t.amount});
    }
    PutTransfer(record);
    outcome.asset = record.asset;
    outcome.debit_account_id = debit->id;
    outcome.credit_account_id = credit->id;
    outcome.amount = t.amount;
    return outcome;
  }

  Outcome ResolvePending(const Transfer& t, Timestamp at) {
    Outcome outcome{Result::kOk, false, at};
    auto fail = [&](Result r) {
      outcome.result = r;
      return outcome;
    };
    if (t.pending_id.IsZero()) return fail(Result::kPendingIdRequired);
    std::string bytes;
    if (!working_.Get(keys::Transfer(t.pending_id), &bytes)) return fail(Result::kPendingNotFound);
    std::optional<Transfer> found = DecodeTransfer(bytes);
    if (!found) Fatal(absl::StrCat("transfer ", t.pending_id.ToHex(), " record is corrupt"));
    Transfer pending = std::move(*found);
    if (pending.result != Result::kOk) return fail(Result::kPendingNotFound);
    if (!pending.flag(transfer_flags::kPending)) return fail(Result::kNotAPendingTransfer);
    switch (pending.pending_state) {
      case PendingState::kPosted:
        return fail(Result::kPendingAlreadyPosted);
      case PendingState::kVoided:
        return fail(Result::kPendingAlreadyVoided);
      case PendingState::kExpired:
        return fail(Result::kPendingExpired);
      default:
        break;
    }
    if (pending.timeout_at != 0 && pending.timeout_at <= at) return fail(Result::kPendingExpired);
    if ((!t.debit_account_id.IsZero() && t.debit_account_id != pending.debit_account_id) ||
        (!t.credit_account_id.IsZero() && t.credit_account_id != pending.credit_account_id)) {
      return fail(Result::kPendingAccountsMismatch);
    }
    const bool post = t.flag(transfer_flags::kPostPending);
    if (t.amount < 0) return fail(Result::kAmountMustBePositive);
    if (t.amount > pending.amount) return fail(Result::kPendingAmountExceeded);
    if (!post && t.amount != 0 && t.amount != pending.amount) return fail(Result::kPendingAmountExceeded);
    const int64_t amount = t.amount == 0 ? pending.amount : t.amount;

    Account* debit = working_.FindAccount(pending.debit_account_id);
    Account* credit = working_.FindAccount(pending.credit_account_id);
    CORE_CHECK(debit != nullptr && credit != nullptr);
    const Asset* asset = working_.FindAsset(debit->asset);
    CORE_CHECK(asset != nullptr);
    if (post) {
      if (!WithinBalanceBound(credit->balance + amount) || !WithinBalanceBound(debit->balance - amount)) {
        return fail(Result::kOverflowsBalance);
      }
      if (HoldsLots(*credit) && LotWouldOverflow(credit->id, CreditExpiry(*asset, at))) {
        return fail(Result::kTooManyLots);
      }
    }

    std::vector<Lot> taken;
    std::vector<Lot> rest;
    if (post) {
      SplitLots(pending.reserved_lots, HoldsLots(*debit) ? amount : 0, &taken, &rest);
    } else {
      rest = pending.reserved_lots;
    }
    ReleasePending(&pending, rest);
    if (post) {
      PostBalance(debit, -amount, t.id, at);
      PostBalance(credit, amount, t.id, at);
      if (HoldsLots(*credit)) AddLot(credit->id, {CreditExpiry(*asset, at), amount});
    }
    if (pending.timeout_at != 0) working_.Delete(keys::PendingIndex(pending.timeout_at, pending.id));
    pending.pending_state = post ? PendingState::kPosted : PendingState::kVoided;
    pending.amount_posted = post ? amount : 0;
    pending.reserved_lots.clear();
    PutTransfer(pending);

    Transfer record = t;
    record.asset = pending.asset;
    record.timestamp = at;
    PutTransfer(record);
    outcome.asset = pending.asset;
    outcome.debit_account_id = pending.debit_account_id;
    outcome.credit_account_id = pending.credit_account_id;
    outcome.amount = post ? amount : pending.amount;
    return outcome;
  }

  // ----- shop payments (pos.h) -----
  std::optional<PaymentRecord> LoadPayment(const AccountId& merchant, std::string_view payment_id) {
    std::string bytes;
    if (!working_.Get(keys::Payment(merchant, payment_id), &bytes)) return std::nullopt;
    std::optional<PaymentRecord> record = DecodePaymentRecord(bytes);
    if (!record) Fatal(absl::StrCat("payment record of ", merchant.ToHex(), " is corrupt"));
    return record;
  }

  bool DayClosed(const AccountId& merchant, uint32_t day) {
    std::string bytes;
    return working_.Get(keys::DayReport(merchant, day), &bytes);
  }

  // The first business day from `day_index` on that the merchant has not closed (yyyymmdd): where
  // payments and refunds made after a close are booked.
  uint32_t OpenDayFrom(const AccountId& merchant, int64_t day_index) {
    while (DayClosed(merchant, DayNumber(day_index))) ++day_index;
    return DayNumber(day_index);
  }

  std::optional<MpmOrderRecord> LoadMpmOrder(const AccountId& merchant, std::string_view payment_id) {
    std::string bytes;
    if (!working_.Get(keys::MpmOrder(merchant, payment_id), &bytes)) return std::nullopt;
    std::optional<MpmOrderRecord> record = DecodeMpmOrder(bytes);
    if (!record) Fatal(absl::StrCat("MPM order of ", merchant.ToHex(), " is corrupt"));
    return record;
  }

  std::optional<MerchantProfile> LoadProfile(const AccountId& merchant) {
    std::string bytes;
    if (!working_.Get(keys::MerchantProfile(merchant), &bytes)) return std::nullopt;
    std::optional<MerchantProfile> profile = DecodeMerchantProfile(bytes);
    if (!profile) Fatal(absl::StrCat("merchant profile of ", merchant.ToHex(), " is corrupt"));
    return profile;
  }

  bool ChamberMember(const AccountId& merchant) {
    std::optional<MerchantProfile> profile = LoadProfile(merchant);
    return profile && profile->profile.chamber_member;
  }

  // The shop's account that takes a payment in `asset`: its own if the asset is its own, else the account
  // of that asset its profile accepts; null if it does not accept the asset.
  const Account* AccountFor(const Account& shop, AssetId asset) {
    if (shop.asset == asset) return &shop;
    if (std::optional<MerchantProfile> profile = LoadProfile(shop.id)) {
      for (const AccountId& id : profile->profile.accepts) {
        const Account* other = working_.FindAccount(id);
        if (other != nullptr && other->asset == asset) return other;
      }
    }
    return nullptr;
  }

  // The account a captured payment went to (its derived transfer's credit side).
  AccountId PaidTo(const AccountId& merchant, std::string_view payment_id) {
    return LoadTransferOrDie(PosTransferId('P', merchant, payment_id)).credit_account_id;
  }

  Outcome RegisterMpm(const PosMpmOrder& o, Timestamp at) {
    Outcome outcome{Result::kOk, false, at};
    auto fail = [&](Result r) {
      outcome.result = r;
      return outcome;
    };
    if (o.merchant.IsZero()) return fail(Result::kIdMustNotBeZero);
    if (!ValidPosId(o.payment_id)) return fail(Result::kPosIdInvalid);
    if (!ValidTerminalId(o.terminal)) return fail(Result::kTerminalIdInvalid);
    if (std::optional<MpmOrderRecord> existing = LoadMpmOrder(o.merchant, o.payment_id)) {
      if (!existing->request.SameRequest(o)) return fail(Result::kExistsWithDifferentFields);
      return Outcome{Result::kOk, true, existing->timestamp};
    }
    if (LoadPayment(o.merchant, o.payment_id)) return fail(Result::kExistsWithDifferentFields);
    if (o.amount <= 0) return fail(Result::kAmountMustBePositive);
    if (o.amount > kAmountMax) return fail(Result::kAmountExceedsLimit);
    if (o.lifetime_seconds == 0 || o.lifetime_seconds > kMpmLifetimeSecondsMax) {
      return fail(Result::kMpmLifetimeInvalid);
    }
    const Account* merchant = working_.FindAccount(o.merchant);
    if (merchant == nullptr) return fail(Result::kAccountNotFound);
    if (merchant->kind != AccountKind::kMerchant) return fail(Result::kNotAMerchant);
    if ((merchant->flags & account_flags::kClosed) != 0) return fail(Result::kAccountClosed);
    MpmOrderRecord record{o, merchant->asset, at, at + Timestamp{o.lifetime_seconds} * 1'000'000'000};
    working_.Put(keys::MpmOrder(o.merchant, o.payment_id), EncodeMpmOrder(record));
    return outcome;
  }

  Outcome SetProfile(const SetMerchantProfile& p, Timestamp at) {
    Outcome outcome{Result::kOk, false, at};
    auto fail = [&](Result r) {
      outcome.result = r;
      return outcome;
    };
    const Account* merchant = working_.FindAccount(p.merchant);
    if (merchant == nullptr) return fail(Result::kAccountNotFound);
    if (merchant->kind != AccountKind::kMerchant) return fail(Result::kNotAMerchant);
    if (p.accepts.size() > kProfileAccountsMax) return fail(Result::kProfileInvalid);
    std::vector<AssetId> assets{merchant->asset};
    for (const AccountId& id : p.accepts) {
      const Account* other = working_.FindAccount(id);
      if (other == nullptr) return fail(Result::kAccountNotFound);
      if (other->kind != AccountKind::kMerchant) return fail(Result::kNotAMerchant);
      // One account per asset, none in the shop's own asset.
      if (std::find(assets.begin(), assets.end(), other->asset) != assets.end()) return fail(Result::kProfileInvalid);
      assets.push_back(other->asset);
    }
    working_.Put(keys::MerchantProfile(p.merchant), EncodeMerchantProfile(MerchantProfile{p, at}));
    return outcome;
  }

  // Adds to the running totals of (merchant, day) for `terminal`.
  void AddToDay(const AccountId& merchant, uint32_t day, AssetId asset, const std::string& terminal,
                const DayTotals& delta) {
    std::string bytes;
    DayReport running;
    if (working_.Get(keys::DayTotals(merchant, day), &bytes)) {
      std::optional<DayReport> decoded = DecodeDayReport(bytes);
      if (!decoded) Fatal(absl::StrCat("day totals of ", merchant.ToHex(), " are corrupt"));
      running = std::move(*decoded);
    } else {
      running.merchant = merchant;
      running.business_day = day;
      running.asset = asset;
    }
    for (DayTotals* totals : {&running.total, &running.by_terminal[terminal]}) {
      totals->payments += delta.payments;
      totals->gross += delta.gross;
      totals->cancels += delta.cancels;
      totals->cancelled += delta.cancelled;
      totals->refunded += delta.refunded;
    }
    working_.Put(keys::DayTotals(merchant, day), EncodeDayReport(running));
  }

  // A derived, reserved-id transfer through the ordinary path (balances, lots, history, journal).
  Outcome MoveDerived(char kind, const AccountId& merchant, std::string_view id, const AccountId& debit,
                      const AccountId& credit, int64_t amount, uint32_t code, Timestamp at) {
    Transfer t;
    t.id = PosTransferId(kind, merchant, id);
    t.debit_account_id = debit;
    t.credit_account_id = credit;
    t.amount = amount;
    t.code = code;
    return Move(t, at);
  }

  // ----- keys and customer-presented codes -----
  std::optional<KeyRecord> LoadKey(const AccountId& account, std::string_view key_id) {
    std::string bytes;
    if (!working_.Get(keys::Key(account, key_id), &bytes)) return std::nullopt;
    std::optional<KeyRecord> record = DecodeKeyRecord(bytes);
    if (!record) Fatal(absl::StrCat("key record of ", account.ToHex(), " is corrupt"));
    return record;
  }

  bool WasRevoked(const AccountId& account, std::string_view public_key) {
    std::string unused;
    return working_.Get(keys::RevokedKey(account, public_key), &unused);
  }

  // Empty `by_terminal` is the operator, who may do anything; a terminal must be an active manager of
  // the same account (pos.h RegisterKey).
  bool MayManageKeys(const AccountId& account, std::string_view by_terminal) {
    if (by_terminal.empty()) return true;
    std::optional<KeyRecord> actor = LoadKey(account, by_terminal);
    return actor && actor->active_manager();
  }

  Outcome Register(const RegisterKey& k, Timestamp at) {
    Outcome outcome{Result::kOk, false, at};
    auto fail = [&](Result r) {
      outcome.result = r;
      return outcome;
    };
    const Account* account = working_.FindAccount(k.account);
    if (account == nullptr) return fail(Result::kAccountNotFound);
    if (!MayManageKeys(k.account, k.by_terminal)) return fail(Result::kNotAManager);
    if (k.public_key.size() != 32) return fail(Result::kPublicKeyInvalid);
    if (!k.key_id.empty() && !ValidTerminalId(k.key_id)) return fail(Result::kTerminalIdInvalid);
    if (account->kind != (k.key_id.empty() ? AccountKind::kWallet : AccountKind::kMerchant)) {
      return fail(Result::kKindInvalid);
    }
    // Managers are terminals, and only the operator makes them.
    if (k.manager && (k.key_id.empty() || !k.by_terminal.empty())) return fail(Result::kKindInvalid);
    const KeyRole role = k.manager ? KeyRole::kManager : KeyRole::kOrdinary;
    if (std::optional<KeyRecord> existing = LoadKey(k.account, k.key_id); existing && existing->active()) {
      if (existing->public_key != k.public_key || existing->role != role) {
        return fail(Result::kExistsWithDifferentFields);
      }
      return Outcome{Result::kOk, true, existing->registered_at};
    }
    // None yet, or revoked (then this is a rotation): any key but one revoked here before.
    if (WasRevoked(k.account, k.public_key)) return fail(Result::kKeyRevoked);
    KeyRecord record;
    record.public_key = k.public_key;
    record.registered_at = at;
    record.role = role;
    working_.Put(keys::Key(k.account, k.key_id), EncodeKeyRecord(record));
    return outcome;
  }

  Outcome Revoke(const RevokeKey& k, Timestamp at) {
    Outcome outcome{Result::kOk, false, at};
    auto fail = [&](Result r) {
      outcome.result = r;
      return outcome;
    };
    if (working_.FindAccount(k.account) == nullptr) return fail(Result::kAccountNotFound);
    if (!MayManageKeys(k.account, k.by_terminal)) return fail(Result::kNotAManager);
    std::optional<KeyRecord> record = LoadKey(k.account, k.key_id);
    if (!record) return fail(Result::kKeyNotRegistered);
    if (!record->active()) return Outcome{Result::kOk, true, record->revoked_at};
    CORE_CHECK(record->public_key.size() == 32);
    record->state = KeyState::kRevoked;
    record->revoked_at = at;
    working_.Put(keys::Key(k.account, k.key_id), EncodeKeyRecord(*record));
    working_.Put(keys::RevokedKey(k.account, record->public_key),
                 EncodeRevokedKey(RevokedKey{k.key_id, record->registered_at, at, record->role}));
    return outcome;
  }

  // The CPM checks after decoding: key, signature, window on the ledger's clock, one-time nonce.
  Result CheckCode(const CpmCode& code, const AccountId& payer, Timestamp at) {
    std::optional<KeyRecord> key = LoadKey(payer, "");
    if (!key) return Result::kKeyNotRegistered;
    if (!key->active()) return Result::kKeyRevoked;
    switch (CheckCpm(code, key->public_key, at / 1'000'000)) {
      case CpmCheck::kBadSignature: return Result::kSignatureInvalid;
      case CpmCheck::kNotYetValid: return Result::kCpmNotYetValid;
      case CpmCheck::kExpired: return Result::kCpmExpired;
      case CpmCheck::kOk: break;
    }
    std::string unused;
    if (working_.Get(keys::Nonce(payer, code.nonce), &unused)) return Result::kCpmReplayed;
    return Result::kOk;
  }

  // ----- custodial cards -----
  std::optional<CardRecord> LoadCard(std::string_view card) {
    std::string bytes;
    if (!working_.Get(keys::Card(card), &bytes)) return std::nullopt;
    std::optional<CardRecord> record = DecodeCardRecord(bytes);
    if (!record) Fatal("card record is corrupt");
    return record;
  }

  // Whether a wrong PIN of this request counts: once per attempt nonce (0: older entries, always). The
  // card's attempts older than twice the request window are dropped on the way: their replays are
  // refused by the services' clock check, so they need not be remembered.
  bool CountPinAttempt(std::string_view card, uint64_t attempt, Timestamp at) {
    if (attempt == 0) return true;
    const std::string key = keys::CardAttempt(card, attempt);
    std::string bytes;
    if (working_.Get(key, &bytes)) return false;
    const std::string prefix = keys::CardAttemptPrefix(card);
    const Timestamp keep = 2 * kSignedRequestWindowMs * 1'000'000;
    for (const std::string& old : working_.KeysWithPrefix(prefix)) {
      if (old.size() != prefix.size() + 8 || !working_.Get(old, &bytes)) continue;
      if (Decoder(bytes).U64() + keep <= at) working_.Delete(old);
    }
    std::string value;
    Encoder(&value).U64(at);
    working_.Put(key, value);
    return true;
  }

  static bool ValidCardNumber(std::string_view card) {
    if (card.size() < 8 || card.size() > kCardNumberLengthMax) return false;
    return std::all_of(card.begin(), card.end(), [](char c) { return c >= '0' && c <= '9'; });
  }

  Outcome IssueCard(const RegisterCard& c, Timestamp at) {
    Outcome outcome{Result::kOk, false, at};
    const Account* wallet = working_.FindAccount(c.wallet);
    if (!ValidCardNumber(c.card) || c.pin_salt.size() != 16 || c.pin_proof.size() != 32 || c.attempts_max < 1 ||
        c.attempts_max > 10) {
      outcome.result = Result::kCardInvalid;
    } else if (wallet == nullptr) {
      outcome.result = Result::kAccountNotFound;
    } else if (wallet->kind != AccountKind::kWallet) {
      outcome.result = Result::kKindInvalid;
    } else if (std::optional<CardRecord> existing = LoadCard(c.card)) {
      if (existing->replaced()) {
        outcome.result = Result::kCardReplaced;  // Not a duplicate: the card no longer pays.
      } else if (existing->registration.wallet != c.wallet) {
        outcome.result = Result::kExistsWithDifferentFields;
      } else {
        outcome = Outcome{Result::kOk, true, existing->timestamp};
      }
    } else {
      working_.Put(keys::Card(c.card), EncodeCardRecord(CardRecord{c, 0, at}));
    }
    return outcome;
  }

  Outcome Unlock(const UnlockCard& u, Timestamp at) {
    Outcome outcome{Result::kOk, false, at};
    if (u.by.empty() || u.by.size() > kStaffIdLengthMax) {
      outcome.result = Result::kCardInvalid;
      return outcome;
    }
    std::optional<CardRecord> card = LoadCard(u.card);
    if (!card) {
      outcome.result = Result::kCardNotFound;
      return outcome;
    }
    if (card->replaced()) {
      outcome.result = Result::kCardReplaced;
      return outcome;
    }
    card->failed_attempts = 0;
    working_.Put(keys::Card(u.card), EncodeCardRecord(*card));
    ForgetPinAttempts(u.card);
    RecordCityOperation(card->registration.wallet, u.by, "card unlocked by the city", at);
    return outcome;
  }

  // The city re-issues a card (pos.h): a new card of the same wallet, the old one replaced for good.
  Outcome Reissue(const ReissueCard& r, Timestamp at) {
    Outcome outcome{Result::kOk, false, at};
    auto fail = [&](Result result) {
      outcome.result = result;
      return outcome;
    };
    if (r.by.empty() || r.by.size() > kStaffIdLengthMax || !ValidCardNumber(r.new_card) ||
        r.pin_salt.size() != kPinSaltBytes || r.pin_proof.size() != kPinProofBytes) {
      return fail(Result::kCardInvalid);
    }
    std::optional<CardRecord> old = LoadCard(r.card);
    if (!old) return fail(Result::kCardNotFound);
    if (old->replaced()) {
      if (old->replaced_by == r.new_card) return Outcome{Result::kOk, true, old->replaced_at};  // The same again.
      return fail(Result::kCardReplaced);
    }
    if (LoadCard(r.new_card)) return fail(Result::kCardExists);
    const RegisterCard card{r.new_card, old->registration.wallet, r.pin_salt, r.pin_proof,
                            old->registration.attempts_max};
    working_.Put(keys::Card(r.new_card), EncodeCardRecord(CardRecord{card, 0, at}));
    old->replaced_by = r.new_card;
    old->replaced_at = at;
    working_.Put(keys::Card(r.card), EncodeCardRecord(*old));
    ForgetPinAttempts(r.card);  // The old card counts no PIN again: its attempts need not be remembered.
    RecordCityOperation(card.wallet, r.by, "card re-issued by the city", at);
    return outcome;
  }

  // Drops the card's counted attempt nonces (CountPinAttempt).
  void ForgetPinAttempts(std::string_view card) {
    const std::string prefix = keys::CardAttemptPrefix(card);
    for (const std::string& attempt : working_.KeysWithPrefix(prefix)) working_.Delete(attempt);
  }

  // What the city's desk did with a resident's card, listed with her staff operations.
  void RecordCityOperation(const AccountId& wallet, const std::string& by, const char* operation, Timestamp at) {
    const StaffOperation op{wallet, at, AccountId{}, "", by, operation, "", 0, Result::kOk};
    working_.Put(keys::StaffOperation(wallet, at), EncodeStaffOperation(op));
  }

  void RecordStaff(const PosPayment& p, const AccountId& wallet, const char* operation, Result result, Timestamp at) {
    StaffOperation op{wallet, at, p.merchant, p.terminal, p.staff, operation, p.payment_id, p.amount, result};
    working_.Put(keys::StaffOperation(wallet, at), EncodeStaffOperation(op));
  }

  // ----- health mileage (health.h) -----
  std::vector<HealthProgram> LoadHealthVersions(uint32_t program) {
    std::string bytes;
    if (!working_.Get(keys::HealthProgram(program), &bytes)) return {};
    std::optional<std::vector<HealthProgram>> versions = DecodeHealthVersions(bytes);
    if (!versions) Fatal(absl::StrCat("health program ", program, " record is corrupt"));
    return std::move(*versions);
  }

  // ----- request nonces (RequestMs in journal.h) -----
  // Whether the batch stamp is within kSignedRequestWindowMs of a signed request's timestamp. On the batch
  // stamp, not the command's tick, so that it is exact against SweepNonces: a nonce is forgotten in the
  // first batch stamped after its request's window closed, and from that batch on the request is refused.
  Result CheckRequestWindow(uint64_t request_ms) const {
    const unsigned __int128 stamp = batch_timestamp_;
    const unsigned __int128 window_ms = kSignedRequestWindowMs;
    if (stamp > (request_ms + window_ms) * 1'000'000) return Result::kRequestExpired;
    if (request_ms > window_ms && stamp < (request_ms - window_ms) * 1'000'000) return Result::kRequestNotYetValid;
    return Result::kOk;
  }

  // Until when a request's nonce must be kept: the end of its window (0: the request has no timestamp,
  // kept for ever). Only for a request CheckRequestWindow let through, so the end is at or after the stamp.
  Timestamp RequestNonceExpiry(uint64_t request_ms) const {
    if (request_ms == 0) return 0;
    const unsigned __int128 end = (static_cast<unsigned __int128>(request_ms) + kSignedRequestWindowMs) * 1'000'000;
    CORE_CHECK(end >= batch_timestamp_);
    return end > UINT64_MAX ? UINT64_MAX : static_cast<Timestamp>(end);
  }

  // Until when a customer code's nonce must be kept: from issued_at + ttl on, CheckCpm refuses the code
  // (cpm_expired) whatever the nonce. Only for payments that carry their request's timestamp (older
  // entries keep the code's nonce for ever, so that replaying them gives the state they gave).
  static Timestamp CodeNonceExpiry(const CpmCode& code, uint64_t request_ms) {
    if (request_ms == 0) return 0;
    const unsigned __int128 end =
        (static_cast<unsigned __int128>(code.issued_at_ms) + uint64_t{code.ttl_seconds} * 1000) * 1'000'000;
    return end > UINT64_MAX ? UINT64_MAX : static_cast<Timestamp>(end);
  }

  // Until when a step report's device nonce must be kept: from the start of the business day after the
  // report's day + report_window_days on, the report is report_day_too_old whatever its nonce. The version
  // in effect on the report's day is the one used: once that day has begun no version can replace it
  // (SetProgram: changes start tomorrow at the earliest), so its window cannot grow later.
  static Timestamp ReportNonceExpiry(int64_t day, const HealthProgram& program, uint64_t request_ms) {
    if (request_ms == 0) return 0;
    return BusinessDayStart(day + static_cast<int64_t>(program.report_window_days) + 1);
  }

  // Records a nonce as spent until `expiry` (0: for ever): N account nonce holds the expiry (empty: for
  // ever), and the index n expiry account nonce lets SweepNonces find it. Any nonce, 0 too (a customer
  // code may carry nonce 0; a request nonce 0 means none and never gets here). A nonce already recorded (a
  // payment whose wallet nonce is its code's nonce) is kept until the later of the two.
  void KeepNonce(const AccountId& account, uint64_t nonce, Timestamp expiry) {
    const std::string key = keys::Nonce(account, nonce);
    std::string bytes;
    if (working_.Get(key, &bytes)) {
      if (bytes.empty()) return;  // Kept for ever already.
      CORE_CHECK(bytes.size() == 8);
      const Timestamp kept = Decoder(bytes).U64();
      if (expiry != 0 && expiry <= kept) return;
      working_.Delete(keys::NonceExpiry(kept, account, nonce));
    }
    if (expiry == 0) {
      working_.Put(key, "");
      return;
    }
    std::string value;
    Encoder(&value).U64(expiry);
    working_.Put(key, value);
    working_.Put(keys::NonceExpiry(expiry, account, nonce), "");
  }

  // Spends a signed request's nonce (0: none), kept until `expiry` (0: for ever, see KeepNonce); false if
  // it was spent before.
  bool SpendNonce(const AccountId& account, uint64_t nonce, Timestamp expiry) {
    if (nonce == 0) return true;
    std::string unused;
    if (working_.Get(keys::Nonce(account, nonce), &unused)) return false;
    KeepNonce(account, nonce, expiry);
    return true;
  }

  Outcome SetProgram(const SetHealthProgram& command, Timestamp at) {
    Outcome outcome{Result::kOk, false, at};
    HealthProgram p = command.program;
    p.timestamp = 0;
    if (!HealthProgramProblem(p).empty()) {
      outcome.result = Result::kHealthProgramInvalid;
      return outcome;
    }
    // The accounts: points BUDGET funding; for the exchange, a retire account of the points asset and a
    // coin account.
    const Account* funding = working_.FindAccount(p.funding);
    if (funding == nullptr) {
      outcome.result = Result::kAccountNotFound;
      return outcome;
    }
    if (funding->kind != AccountKind::kBudget) {
      outcome.result = Result::kKindInvalid;
      return outcome;
    }
    if (p.offers_exchange()) {
      const Account* retire = working_.FindAccount(p.exchange_retire);
      const Account* coin = working_.FindAccount(p.coin_funding);
      if (retire == nullptr || coin == nullptr) {
        outcome.result = Result::kAccountNotFound;
        return outcome;
      }
      if (retire->asset != funding->asset || coin->asset == funding->asset) {
        outcome.result = Result::kAssetMismatch;
        return outcome;
      }
    }
    std::vector<HealthProgram> versions = LoadHealthVersions(p.program);
    const uint32_t today = BusinessDay(at);
    auto same_day = std::find_if(versions.begin(), versions.end(),
                                 [&](const HealthProgram& v) { return v.effective_day == p.effective_day; });
    if (same_day != versions.end()) {
      HealthProgram existing = *same_day;
      const Timestamp set_at = existing.timestamp;
      existing.timestamp = 0;
      if (existing == p) return Outcome{Result::kOk, true, set_at};
    }
    // Past awards are never recomputed: after the first version, changes start tomorrow at the earliest.
    if (!versions.empty() && p.effective_day <= today) {
      outcome.result = Result::kEffectiveDayInvalid;
      return outcome;
    }
    p.timestamp = at;
    if (same_day != versions.end()) {
      *same_day = p;
    } else {
      if (versions.size() >= kHealthVersionsMax) {
        outcome.result = Result::kHealthProgramInvalid;
        return outcome;
      }
      versions.push_back(p);
      std::sort(versions.begin(), versions.end(),
                [](const HealthProgram& a, const HealthProgram& b) { return a.effective_day < b.effective_day; });
    }
    working_.Put(keys::HealthProgram(p.program), EncodeHealthVersions(versions));
    return outcome;
  }

  // The resident's account as a points wallet of `asset` (kOk), or why not.
  Result CheckResident(const AccountId& resident, AssetId asset) {
    const Account* account = working_.FindAccount(resident);
    if (account == nullptr) return Result::kAccountNotFound;
    if (account->kind != AccountKind::kWallet) return Result::kKindInvalid;
    if (asset != 0 && account->asset != asset) return Result::kAssetMismatch;
    return Result::kOk;
  }

  std::optional<DeviceRecord> LoadDevice(const AccountId& resident, std::string_view device_id) {
    std::string bytes;
    if (!working_.Get(keys::Device(resident, device_id), &bytes)) return std::nullopt;
    std::optional<DeviceRecord> device = DecodeDeviceRecord(bytes);
    if (!device) Fatal("device record is corrupt");
    return device;
  }

  Outcome Device(const RegisterDevice& r, Timestamp at) {
    Outcome outcome{Result::kOk, false, at};
    auto fail = [&](Result result) {
      outcome.result = result;
      return outcome;
    };
    if (r.device_id.empty() || r.device_id.size() > kDeviceIdLengthMax || !ValidPosId(r.device_id)) {
      return fail(Result::kDeviceIdInvalid);
    }
    if (Result resident = CheckResident(r.resident, 0); resident != Result::kOk) return fail(resident);
    std::optional<DeviceRecord> device = LoadDevice(r.resident, r.device_id);
    if (r.revoke) {
      if (!device) return fail(Result::kDeviceNotFound);
      if (device->revoked) return Outcome{Result::kOk, true, device->revoked_at};
      if (!SpendNonce(r.resident, r.nonce, RequestNonceExpiry(r.request_ms))) return fail(Result::kNonceReplayed);
      device->revoked = true;
      device->revoked_at = at;
    } else {
      if (r.public_key.size() != 32) return fail(Result::kPublicKeyInvalid);
      if (device) {
        if (device->public_key != r.public_key) return fail(Result::kExistsWithDifferentFields);
        return Outcome{device->revoked ? Result::kDeviceRevoked : Result::kOk, true, device->registered};
      }
      if (!SpendNonce(r.resident, r.nonce, RequestNonceExpiry(r.request_ms))) return fail(Result::kNonceReplayed);
      device = DeviceRecord{r.public_key, false, at, 0};
    }
    working_.Put(keys::Device(r.resident, r.device_id), EncodeDeviceRecord(*device));
    return outcome;
  }

  bool Consented(const AccountId& resident, ConsentPurpose purpose) {
    std::string bytes;
    if (!working_.Get(keys::Consent(resident, static_cast<uint8_t>(purpose)), &bytes)) return false;
    std::optional<ConsentRecord> consent = DecodeConsentRecord(bytes);
    if (!consent) Fatal("consent record is corrupt");
    return consent->granted;
  }

  Outcome Consent(const SetConsent& c, Timestamp at) {
    Outcome outcome{Result::kOk, false, at};
    if (c.purpose == 0 || c.purpose > kConsentPurposeMax) {
      outcome.result = Result::kPurposeInvalid;
    } else if (Result resident = CheckResident(c.resident, 0); resident != Result::kOk) {
      outcome.result = resident;
    } else if (!SpendNonce(c.resident, c.nonce, RequestNonceExpiry(c.request_ms))) {
      outcome.result = Result::kNonceReplayed;
    } else {
      working_.Put(keys::Consent(c.resident, c.purpose), EncodeConsentRecord(ConsentRecord{c.granted, at}));
    }
    return outcome;
  }

  Outcome Steps(const StepReport& r, Timestamp at) {
    Outcome outcome{Result::kOk, false, at};
    auto fail = [&](Result result) {
      outcome.result = result;
      return outcome;
    };
    const std::vector<HealthProgram> versions = LoadHealthVersions(r.program);
    const HealthProgram* program = VersionOn(versions, r.day);
    if (program == nullptr) return fail(Result::kHealthProgramNotFound);
    const Account* funding = working_.FindAccount(program->funding);
    CORE_CHECK(funding != nullptr);
    if (Result resident = CheckResident(r.resident, funding->asset); resident != Result::kOk) return fail(resident);
    std::optional<DeviceRecord> device = LoadDevice(r.resident, r.device_id);
    if (!device) return fail(Result::kDeviceNotFound);
    if (device->revoked) return fail(Result::kDeviceRevoked);
    const std::string signed_bytes = StepReportSignedBytes(r.program, r.resident, r.device_id, r.day, r.steps, r.nonce);
    if (r.signature.size() != crypto_sign_BYTES ||
        crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(r.signature.data()),
                                    reinterpret_cast<const unsigned char*>(signed_bytes.data()), signed_bytes.size(),
                                    reinterpret_cast<const unsigned char*>(device->public_key.data())) != 0) {
      return fail(Result::kSignatureInvalid);
    }
    std::string unused;
    if (r.nonce == 0 || working_.Get(keys::Nonce(r.resident, r.nonce), &unused)) return fail(Result::kNonceReplayed);
    if (!Consented(r.resident, ConsentPurpose::kEarning)) return fail(Result::kConsentRequired);
    const std::optional<int64_t> day = DayIndexOf(r.day);
    if (!day) return fail(Result::kBusinessDayInvalid);
    const int64_t today = BusinessDayIndex(at);
    if (*day > today) return fail(Result::kReportDayInFuture);
    if (*day < today - static_cast<int64_t>(program->report_window_days)) return fail(Result::kReportDayTooOld);
    if (r.steps > program->steps_max) return fail(Result::kStepsImplausible);

    // The award: the day's points under the version in effect that day, less what the day already got.
    DailyAward award;
    std::string bytes;
    if (working_.Get(keys::DailyAward(r.resident, r.day), &bytes)) {
      std::optional<DailyAward> stored = DecodeDailyAward(bytes);
      if (!stored) Fatal("daily award record is corrupt");
      award = *stored;
    }
    const uint32_t points = PointsForSteps(*program, r.steps);
    const uint32_t delta = points > award.points ? points - award.points : 0;
    MonthlyTally tally;
    const uint32_t month = r.day / 100;
    if (working_.Get(keys::MonthlyTally(r.resident, month), &bytes)) {
      std::optional<MonthlyTally> stored = DecodeMonthlyTally(bytes);
      if (!stored) Fatal("monthly tally record is corrupt");
      tally = *stored;
    }
    uint32_t bonus = 0;
    const bool newly_qualifying = award.points == 0 && points > 0;
    if (newly_qualifying) {
      ++tally.qualifying_days;
      if (program->bonus_days > 0 && tally.qualifying_days == program->bonus_days && tally.bonus_points == 0) {
        bonus = program->bonus_points;
        tally.bonus_points = bonus;
      }
    }
    if (delta + bonus > 0) {
      Transfer t;
      t.id = HealthAwardId(r);
      t.debit_account_id = program->funding;
      t.credit_account_id = r.resident;
      t.amount = delta + bonus;
      t.code = kCodeHealthAward;
      outcome = Move(t, at);
      if (outcome.result != Result::kOk) return fail(outcome.result);  // e.g. the budget is exhausted.
      award.points += delta;
      award.program = program->program;
      award.effective_day = program->effective_day;
      award.timestamp = at;
      working_.Put(keys::DailyAward(r.resident, r.day), EncodeDailyAward(award));
      if (newly_qualifying) working_.Put(keys::MonthlyTally(r.resident, month), EncodeMonthlyTally(tally));
    }
    KeepNonce(r.resident, r.nonce, ReportNonceExpiry(*day, *program, r.request_ms));
    // The health data, apart from the money: the day's highest count (what watch-over reads).
    StepRecord record;
    if (working_.Get(keys::StepRecord(r.resident, r.day), &bytes)) {
      std::optional<StepRecord> stored = DecodeStepRecord(bytes);
      if (!stored) Fatal("step record is corrupt");
      record = std::move(*stored);
    }
    if (record.timestamp == 0 || r.steps > record.steps) {
      working_.Put(keys::StepRecord(r.resident, r.day), EncodeStepRecord(StepRecord{r.steps, r.device_id, r.salt, at}));
    }
    return outcome;
  }

  Outcome Erase(const EraseStepData& e, Timestamp at) {
    Outcome outcome{Result::kOk, false, at};
    if (Result resident = CheckResident(e.resident, 0); resident != Result::kOk) {
      outcome.result = resident;
      return outcome;
    }
    if (!SpendNonce(e.resident, e.nonce, RequestNonceExpiry(e.request_ms))) {
      outcome.result = Result::kNonceReplayed;
      return outcome;
    }
    // The step records and the alerts inferred from them.
    for (char table : {keys::kStepRecord, keys::kAlert}) {
      const std::string prefix = keys::ResidentPrefix(table, e.resident);
      for (const std::string& key : working_.KeysWithPrefix(prefix)) working_.Delete(key);
    }
    return outcome;
  }

  Outcome Exchange(const ExchangePoints& x, Timestamp at) {
    Outcome outcome{Result::kOk, false, at};
    auto fail = [&](Result result) {
      outcome.result = result;
      return outcome;
    };
    if (!ValidPosId(x.exchange_id)) return fail(Result::kPosIdInvalid);
    std::string bytes;
    const std::string record_key = keys::Exchange(x.resident, x.exchange_id);
    if (working_.Get(record_key, &bytes)) {
      std::optional<ExchangeRecord> existing = DecodeExchangeRecord(bytes);
      if (!existing) Fatal("exchange record is corrupt");
      const ExchangePoints& was = existing->request;
      if (was.program != x.program || was.coin_wallet != x.coin_wallet || was.points != x.points) {
        return fail(Result::kExistsWithDifferentFields);
      }
      return Outcome{existing->result, true, existing->timestamp};
    }
    const std::vector<HealthProgram> versions = LoadHealthVersions(x.program);
    const HealthProgram* program = VersionOn(versions, BusinessDay(at));
    if (program == nullptr) return fail(Result::kHealthProgramNotFound);
    if (!program->offers_exchange()) return fail(Result::kExchangeNotOffered);
    const Account* funding = working_.FindAccount(program->funding);
    const Account* coin_funding = working_.FindAccount(program->coin_funding);
    CORE_CHECK(funding != nullptr && coin_funding != nullptr);
    if (Result resident = CheckResident(x.resident, funding->asset); resident != Result::kOk) return fail(resident);
    if (Result wallet = CheckResident(x.coin_wallet, coin_funding->asset); wallet != Result::kOk) {
      return fail(wallet == Result::kAccountNotFound ? Result::kCreditAccountNotFound : wallet);
    }
    if (x.points <= 0) return fail(Result::kAmountMustBePositive);
    if (x.points > kAmountMax) return fail(Result::kAmountExceedsLimit);
    if (x.points % program->exchange_points != 0) return fail(Result::kExchangeUnitInvalid);
    const __int128 coin128 = static_cast<__int128>(x.points / program->exchange_points) * program->exchange_coin;
    if (coin128 > kAmountMax) return fail(Result::kAmountExceedsLimit);
    const int64_t coin = static_cast<int64_t>(coin128);
    if (!SpendNonce(x.resident, x.nonce, RequestNonceExpiry(x.request_ms))) return fail(Result::kNonceReplayed);
    working_.BeginScope();
    Transfer points;
    points.id = HealthTransferId('X', x.resident, x.exchange_id);
    points.debit_account_id = x.resident;
    points.credit_account_id = program->exchange_retire;
    points.amount = x.points;
    points.code = kCodePointsRetired;
    outcome = Move(points, at);
    if (outcome.result == Result::kOk) {
      const Timestamp coin_at = Tick();
      Transfer paid;
      paid.id = HealthTransferId('Y', x.resident, x.exchange_id);
      paid.debit_account_id = program->coin_funding;
      paid.credit_account_id = x.coin_wallet;
      paid.amount = coin;
      paid.code = kCodePointsExchanged;
      Outcome coin_outcome = Move(paid, coin_at);
      if (coin_outcome.result != Result::kOk) {
        outcome.result = coin_outcome.result;  // e.g. the coin budget is exhausted.
      } else {
        entry_.system_events.push_back({SystemEventType::kExchangeCoin, paid.id, paid.debit_account_id,
                                        paid.credit_account_id, coin_funding->asset, coin, coin_at});
      }
    }
    if (outcome.result == Result::kOk) {
      working_.CommitScope();
    } else {
      working_.RollbackScope();
      outcome = Outcome{outcome.result, false, at};
    }
    working_.Put(record_key, EncodeExchangeRecord(ExchangeRecord{x, outcome.result == Result::kOk ? coin : 0,
                                                                 outcome.result, at}));
    return outcome;
  }

  // ----- watch-over (health.h) -----
  std::optional<WatchConfig> LoadWatch(const AccountId& resident) {
    std::string bytes;
    if (!working_.Get(keys::ResidentPrefix(keys::kWatchConfig, resident), &bytes)) return std::nullopt;
    std::optional<WatchConfig> config = DecodeWatchConfig(bytes);
    if (!config) Fatal("watch-over record is corrupt");
    return config;
  }

  void PutWatch(const WatchConfig& config) {
    working_.Put(keys::ResidentPrefix(keys::kWatchConfig, config.settings.resident), EncodeWatchConfig(config));
  }

  Outcome WatchOver(const SetWatchOver& w, Timestamp at) {
    Outcome outcome{Result::kOk, false, at};
    auto fail = [&](Result result) {
      outcome.result = result;
      return outcome;
    };
    if (Result resident = CheckResident(w.resident, 0); resident != Result::kOk) return fail(resident);
    if (w.watchers.size() > kWatchersMax || w.silent_days < 1 || w.silent_days > 30 || w.drop_percent < 1 ||
        w.drop_percent > 99 || w.baseline_days < 3 || w.baseline_days > 60 || w.min_baseline_days < 1 ||
        w.min_baseline_days > w.baseline_days) {
      return fail(Result::kWatchOverInvalid);
    }
    for (size_t i = 0; i < w.watchers.size(); ++i) {
      if (w.watchers[i] == w.resident || std::find(w.watchers.begin(), w.watchers.begin() + i, w.watchers[i]) !=
                                             w.watchers.begin() + i) {
        return fail(Result::kWatchOverInvalid);
      }
      if (working_.FindAccount(w.watchers[i]) == nullptr) return fail(Result::kAccountNotFound);
    }
    if (!w.watchers.empty() && !Consented(w.resident, ConsentPurpose::kWatchOver)) return fail(Result::kConsentRequired);
    if (!SpendNonce(w.resident, w.nonce, RequestNonceExpiry(w.request_ms))) return fail(Result::kNonceReplayed);
    WatchConfig config;
    if (std::optional<WatchConfig> old = LoadWatch(w.resident)) {
      for (const AccountId& watcher : old->settings.watchers) working_.Delete(keys::WatcherIndex(watcher, w.resident));
      if (!old->settings.watchers.empty()) working_.Delete(keys::WatchSchedule(old->next_day, w.resident));
      config = std::move(*old);
    }
    const bool was_watching = !config.settings.watchers.empty();
    config.settings = w;
    config.settings.nonce = 0;
    config.settings.request_ms = 0;
    config.timestamp = at;
    if (!w.watchers.empty()) {
      // Evaluation starts with yesterday (a day that is over), or goes on where it was.
      if (!was_watching) config.next_day = BusinessDayIndex(at) - 1;
      working_.Put(keys::WatchSchedule(config.next_day, w.resident), "");
      for (const AccountId& watcher : w.watchers) working_.Put(keys::WatcherIndex(watcher, w.resident), "");
    }
    PutWatch(config);
    return outcome;
  }

  Outcome Acknowledge(const AckAlert& a, Timestamp at) {
    Outcome outcome{Result::kOk, false, at};
    std::optional<WatchConfig> config = LoadWatch(a.resident);
    const auto& watchers = config ? config->settings.watchers : std::vector<AccountId>{};
    if (std::find(watchers.begin(), watchers.end(), a.watcher) == watchers.end()) {
      outcome.result = Result::kNotAWatcher;
      return outcome;
    }
    std::string bytes;
    if (!working_.Get(keys::Alert(a.resident, a.alert), &bytes)) {
      outcome.result = Result::kAlertNotFound;
      return outcome;
    }
    std::optional<AlertRecord> alert = DecodeAlertRecord(bytes);
    if (!alert) Fatal("alert record is corrupt");
    if (!alert->open()) return Outcome{Result::kOk, true, alert->acknowledged_at};
    if (!SpendNonce(a.watcher, a.nonce, RequestNonceExpiry(a.request_ms))) {
      outcome.result = Result::kNonceReplayed;
      return outcome;
    }
    alert->acknowledged_by = a.watcher;
    alert->acknowledged_at = at;
    working_.Put(keys::Alert(a.resident, a.alert), EncodeAlertRecord(*alert));
    return outcome;
  }

  // Step counts of a resident by day index, for days [from, to].
  std::map<int64_t, uint32_t> StepsByDay(const AccountId& resident, int64_t from, int64_t to) {
    std::map<int64_t, uint32_t> steps;
    std::string end = keys::StepRecord(resident, DayNumber(to));
    end.push_back('\0');
    state_.Scan(keys::StepRecord(resident, DayNumber(from)), end, false, [&](std::string_view key, std::string_view value) {
      const uint32_t day = keys::ReadBigEndian32(key.substr(key.size() - 4));
      std::optional<StepRecord> record = DecodeStepRecord(value);
      std::optional<int64_t> index = DayIndexOf(day);
      if (record && index) steps[*index] = record->steps;
      return true;
    });
    return steps;
  }

  // Evaluates day d of a watched resident (see health.h); raises at most one alert.
  void EvaluateDay(WatchConfig* config, int64_t d) {
    const SetWatchOver& s = config->settings;
    const std::map<int64_t, uint32_t> steps =
        StepsByDay(s.resident, d - s.silent_days - s.baseline_days, d);
    auto reports_in = [&](int64_t from, int64_t to) {  // Days [from, to] with a report, and their sum.
      std::pair<uint32_t, uint64_t> count_sum{0, 0};
      for (auto it = steps.lower_bound(from); it != steps.end() && it->first <= to; ++it) {
        ++count_sum.first;
        count_sum.second += it->second;
      }
      return count_sum;
    };
    auto last = steps.upper_bound(d);
    if (last == steps.begin()) return;  // Nothing reported in the window: not someone who normally reports.
    --last;
    AlertRecord alert;
    const int64_t silent = d - last->first;
    if (silent == static_cast<int64_t>(s.silent_days)) {
      if (reports_in(last->first - s.baseline_days + 1, last->first).first < s.min_baseline_days) return;
      alert.kind = AlertKind::kNoReports;
      alert.days_silent = static_cast<uint32_t>(silent);
    } else if (silent == 0) {
      const auto [count, sum] = reports_in(d - s.baseline_days, d - 1);
      if (count < s.min_baseline_days || sum == 0) return;
      const uint64_t percent = uint64_t{last->second} * 100 * count / sum;  // Of the mean.
      if (percent >= s.drop_percent) return;
      alert.kind = AlertKind::kStepsFell;
      alert.percent_of_baseline = static_cast<uint32_t>(percent);
    } else {
      return;
    }
    alert.seq = ++config->alerts;
    alert.day = DayNumber(d);
    alert.raised_at = batch_timestamp_;
    working_.Put(keys::Alert(s.resident, alert.seq), EncodeAlertRecord(alert));
  }

  // Rule 1 of watch-over: evaluate the days that are over.
  void SweepWatch() {
    const int64_t today = BusinessDayIndex(batch_timestamp_);
    std::vector<std::pair<int64_t, AccountId>> due;
    state_.Scan(keys::WatchSchedule(0, AccountId{}), keys::WatchSchedule(today, AccountId{}), false,
                [&](std::string_view key, std::string_view) {
                  int64_t day = 0;
                  AccountId resident;
                  keys::DecodeWatchSchedule(key, &day, &resident);
                  due.emplace_back(day, resident);
                  return due.size() < static_cast<size_t>(kWatchEvaluationsMax);
                });
    int budget = kWatchEvaluationsMax;
    for (const auto& [day, resident] : due) {
      if (budget <= 0) break;
      std::optional<WatchConfig> config = LoadWatch(resident);
      CORE_CHECK(config && config->next_day == day && !config->settings.watchers.empty());
      working_.Delete(keys::WatchSchedule(day, resident));
      const bool consented = Consented(resident, ConsentPurpose::kWatchOver);
      int64_t d = std::max(day, today - kWatchCatchUpDaysMax);
      for (; d < today && budget > 0; ++d, --budget) {
        if (consented) EvaluateDay(&*config, d);
      }
      config->next_day = d;
      working_.Put(keys::WatchSchedule(d, resident), "");
      PutWatch(*config);
    }
  }

  // ----- farm help and workcation tasks (tasks.h) -----
  TaskRules LoadTaskRules() {
    std::string bytes;
    if (!working_.Get(keys::TaskRules(), &bytes)) return TaskRules{};
    std::optional<TaskRules> rules = DecodeTaskRules(bytes);
    if (!rules) Fatal("task rules record is corrupt");
    return *rules;
  }

  Outcome SetRules(const SetTaskRules& r, Timestamp at) {
    Outcome outcome{Result::kOk, false, at};
    const TaskRules& rules = r.rules;
    if (rules.weekly_hours_max < 1 || rules.weekly_hours_max > 168 || rules.monthly_max < 1 ||
        rules.monthly_max > kAmountMax || rules.dispute_hours < 1 || rules.dispute_hours > 24 * 30) {
      outcome.result = Result::kTaskInvalid;
      return outcome;
    }
    working_.Put(keys::TaskRules(), EncodeTaskRules(rules));
    return outcome;
  }

  Outcome Grant(const GrantSubsidy& g, Timestamp at) {
    Outcome outcome{Result::kOk, false, at};
    auto fail = [&](Result result) {
      outcome.result = result;
      return outcome;
    };
    if (!GrantSubsidyProblem(g).empty()) return fail(Result::kSubsidyGrantInvalid);
    const Account* budget = working_.FindAccount(g.budget);
    if (budget == nullptr) return fail(Result::kAccountNotFound);
    if (budget->kind != AccountKind::kBudget) return fail(Result::kKindInvalid);
    std::string key = keys::SubsidyGrantForCategory(g.budget, g.category);
    if (!g.host.IsZero()) {
      const Account* host = working_.FindAccount(g.host);
      if (host == nullptr) return fail(Result::kAccountNotFound);
      if (host->kind != AccountKind::kMerchant) return fail(Result::kNotAMerchant);
      if (host->asset != budget->asset) return fail(Result::kAssetMismatch);
      key = keys::SubsidyGrantForHost(g.budget, g.host);
    }
    if (g.percent_max == 0) {
      working_.Delete(std::move(key));
    } else {
      working_.Put(std::move(key), EncodeSubsidyGrantRecord(SubsidyGrantRecord{g.percent_max, g.monthly_max, at}));
    }
    return outcome;
  }

  // The grant that lets `host` draw on `budget`: the host's own, else its category's.
  std::optional<SubsidyGrantRecord> FindSubsidyGrant(const AccountId& budget, const Account& host) {
    std::string bytes;
    if (!working_.Get(keys::SubsidyGrantForHost(budget, host.id), &bytes) &&
        (host.category.empty() || !working_.Get(keys::SubsidyGrantForCategory(budget, host.category), &bytes))) {
      return std::nullopt;
    }
    std::optional<SubsidyGrantRecord> grant = DecodeSubsidyGrantRecord(bytes);
    if (!grant) Fatal("subsidy grant record is corrupt");
    return grant;
  }

  int64_t LoadSubsidyTally(const AccountId& budget, const AccountId& host, uint32_t month) {
    std::string bytes;
    if (!working_.Get(keys::SubsidyTally(budget, host, month), &bytes)) return 0;
    return Decoder(bytes).I64();
  }

  void AddSubsidyTally(const AccountId& budget, const AccountId& host, uint32_t month, int64_t amount) {
    // Only reservations counted in are taken out; a task posted before grants existed was never counted,
    // so its releases stop at zero.
    const int64_t tally = std::max<int64_t>(0, LoadSubsidyTally(budget, host, month) + amount);
    if (tally == 0) {
      working_.Delete(keys::SubsidyTally(budget, host, month));
      return;
    }
    std::string value;
    Encoder(&value).I64(tally);
    working_.Put(keys::SubsidyTally(budget, host, month), value);
  }

  // The subsidy a task would reserve per calendar month (yyyymm) of its days.
  static std::map<uint32_t, int64_t> SubsidyByMonth(const PostTask& t, int64_t first, int64_t last) {
    std::map<uint32_t, int64_t> by_month;
    const int64_t per_day = SubsidyShare(t) * static_cast<int64_t>(t.slots);
    for (int64_t index = first; index <= last; ++index) by_month[DayNumber(index) / 100] += per_day;
    return by_month;
  }

  // Checks the task's subsidy against the city's grant; on kOk, `by_month` holds what to count in.
  Result CheckSubsidyGrant(const PostTask& t, int64_t first, int64_t last, std::map<uint32_t, int64_t>* by_month) {
    if (t.subsidy.IsZero()) return Result::kOk;
    const Account* host = working_.FindAccount(t.host);
    CORE_CHECK(host != nullptr);  // CheckTaskAccounts found it.
    const std::optional<SubsidyGrantRecord> grant = FindSubsidyGrant(t.subsidy, *host);
    if (!grant) return Result::kSubsidyNotGranted;
    if (t.subsidy_percent > grant->percent_max) return Result::kSubsidyExceedsGrant;
    *by_month = SubsidyByMonth(t, first, last);
    for (const auto& [month, amount] : *by_month) {
      if (amount > grant->monthly_max - LoadSubsidyTally(t.subsidy, t.host, month)) {
        return Result::kSubsidyExceedsGrant;
      }
    }
    return Result::kOk;
  }

  std::optional<TaskRecord> LoadTask(const AccountId& host, std::string_view task_id) {
    std::string bytes;
    if (!working_.Get(keys::Task(host, task_id), &bytes)) return std::nullopt;
    std::optional<TaskRecord> task = DecodeTaskRecord(bytes);
    if (!task) Fatal("task record is corrupt");
    return task;
  }

  void PutTask(const TaskRecord& task) {
    working_.Put(keys::Task(task.request.host, task.request.task_id), EncodeTaskRecord(task));
  }

  std::optional<TaskApplication> LoadApplication(const PostTask& t, const AccountId& visitor) {
    std::string bytes;
    if (!working_.Get(keys::TaskApplication(t.host, t.task_id, visitor), &bytes)) return std::nullopt;
    std::optional<TaskApplication> application = DecodeTaskApplication(bytes);
    if (!application) Fatal("task application record is corrupt");
    return application;
  }

  void PutApplication(const PostTask& t, const AccountId& visitor, const TaskApplication& application) {
    working_.Put(keys::TaskApplication(t.host, t.task_id, visitor), EncodeTaskApplication(application));
  }

  // The end of a Japan-time day, on the ledger's clock.
  static Timestamp DayEnd(uint32_t day) {
    return BusinessDayStart(*DayIndexOf(day) + 1);
  }
  static Timestamp Hours(uint32_t hours) { return Timestamp{hours} * 3600 * kNanosPerSecond; }

  static int64_t SubsidyShare(const PostTask& t) { return t.per_day * t.subsidy_percent / 100; }

  static TransferId PayId(const PostTask& t, const AccountId& visitor, uint32_t day) {
    return TaskPayId(t.host, t.task_id, visitor, day);
  }

  Result CheckTaskAccounts(const PostTask& t) {
    const Account* host = working_.FindAccount(t.host);
    const Account* escrow = working_.FindAccount(t.escrow);
    if (host == nullptr || escrow == nullptr) return Result::kAccountNotFound;
    if (host->kind != AccountKind::kMerchant) return Result::kNotAMerchant;
    if (escrow->kind != AccountKind::kEscrow) return Result::kKindInvalid;
    if (escrow->asset != host->asset) return Result::kAssetMismatch;
    if (!t.subsidy.IsZero()) {
      const Account* subsidy = working_.FindAccount(t.subsidy);
      if (subsidy == nullptr) return Result::kAccountNotFound;
      if (subsidy->kind != AccountKind::kBudget) return Result::kKindInvalid;
      if (subsidy->asset != host->asset) return Result::kAssetMismatch;
    }
    return Result::kOk;
  }

  Outcome Post(const PostTask& t, Timestamp at) {
    Outcome outcome{Result::kOk, false, at};
    auto fail = [&](Result result) {
      outcome.result = result;
      return outcome;
    };
    if (!ValidPosId(t.task_id)) return fail(Result::kPosIdInvalid);
    if (std::optional<TaskRecord> existing = LoadTask(t.host, t.task_id)) {
      if (!existing->request.SameRequest(t)) return fail(Result::kExistsWithDifferentFields);
      return Outcome{Result::kOk, true, existing->timestamp};
    }
    const std::optional<int64_t> first = DayIndexOf(t.first_day), last = DayIndexOf(t.last_day);
    if (!first || !last || *first > *last || *last - *first + 1 > kTaskDaysMax || *first < BusinessDayIndex(at) ||
        t.slots < 1 || t.slots > kTaskSlotsMax ||
        t.slots * static_cast<uint64_t>(*last - *first + 1) > kTaskSlotDaysMax || t.per_day <= 0 ||
        t.per_day > kAmountMax || t.subsidy_percent > 100 || t.subsidy.IsZero() != (t.subsidy_percent == 0) ||
        t.hours_per_day < 1 || t.hours_per_day > 24 || t.host_key.size() != 32 || t.title.size() > kTaskTitleBytesMax ||
        t.wage_reference.size() > kWageReferenceBytesMax) {
      return fail(Result::kTaskInvalid);
    }
    if (Result accounts = CheckTaskAccounts(t); accounts != Result::kOk) return fail(accounts);
    std::map<uint32_t, int64_t> subsidy_by_month;
    if (Result granted = CheckSubsidyGrant(t, *first, *last, &subsidy_by_month); granted != Result::kOk) {
      return fail(granted);
    }
    // Reserve every slot-day: host's share and the subsidy's, all or none.
    const int64_t subsidy_share = SubsidyShare(t);
    working_.BeginScope();
    for (uint32_t slot = 1; slot <= t.slots && outcome.result == Result::kOk; ++slot) {
      for (int64_t index = *first; index <= *last && outcome.result == Result::kOk; ++index) {
        const uint32_t day = DayNumber(index);
        for (const auto& [kind, payer, amount] :
             {std::tuple<char, AccountId, int64_t>{'H', t.host, t.per_day - subsidy_share},
              std::tuple<char, AccountId, int64_t>{'J', t.subsidy, subsidy_share}}) {
          if (amount == 0) continue;
          Transfer reserve;
          reserve.id = TaskTransferId(kind, t.host, t.task_id, slot, day);
          reserve.debit_account_id = payer;
          reserve.credit_account_id = t.escrow;
          reserve.amount = amount;
          reserve.code = kCodeTaskReserve;
          reserve.flags = transfer_flags::kPending;
          const Outcome reserved = Move(reserve, at);
          if (reserved.result != Result::kOk) {
            outcome.result = reserved.result;
            break;
          }
        }
      }
    }
    if (outcome.result != Result::kOk) {
      working_.RollbackScope();
      return outcome;
    }
    working_.CommitScope();
    for (const auto& [month, amount] : subsidy_by_month) {
      if (amount > 0) AddSubsidyTally(t.subsidy, t.host, month, amount);
    }
    PutTask(TaskRecord{t, 0, 0, false, at});
    working_.Put(keys::TaskEnd(DayEnd(t.last_day) + Hours(LoadTaskRules().dispute_hours), t.host, t.task_id), "");
    return outcome;
  }

  Outcome ApplyFor(const ApplyTask& a, Timestamp at) {
    Outcome outcome{Result::kOk, false, at};
    std::optional<TaskRecord> task = LoadTask(a.host, a.task_id);
    if (!task) {
      outcome.result = Result::kTaskNotFound;
    } else if (std::optional<TaskApplication> existing = LoadApplication(task->request, a.visitor)) {
      return Outcome{Result::kOk, true, existing->timestamp};
    } else if (task->closed || BusinessDay(at) > task->request.last_day) {
      outcome.result = Result::kTaskClosed;
    } else if (Result visitor = CheckResident(a.visitor, working_.FindAccount(a.host)->asset); visitor != Result::kOk) {
      outcome.result = visitor;
    } else if (!SpendNonce(a.visitor, a.nonce, RequestNonceExpiry(a.request_ms))) {
      outcome.result = Result::kNonceReplayed;
    } else {
      TaskApplication application;
      application.timestamp = at;
      PutApplication(task->request, a.visitor, application);
    }
    return outcome;
  }

  Outcome Decide(const DecideApplication& d, Timestamp at) {
    Outcome outcome{Result::kOk, false, at};
    std::optional<TaskRecord> task = LoadTask(d.host, d.task_id);
    if (!task) {
      outcome.result = Result::kTaskNotFound;
      return outcome;
    }
    std::optional<TaskApplication> application = LoadApplication(task->request, d.visitor);
    if (!application) {
      outcome.result = Result::kApplicationNotFound;
      return outcome;
    }
    const ApplicationState wanted = d.accept ? ApplicationState::kAccepted : ApplicationState::kDeclined;
    if (application->state != ApplicationState::kApplied) {
      if (application->state == wanted) return Outcome{Result::kOk, true, application->timestamp};
      outcome.result = Result::kExistsWithDifferentFields;
      return outcome;
    }
    if (task->closed) {
      outcome.result = Result::kTaskClosed;
      return outcome;
    }
    if (d.accept) {
      if (task->accepted + task->cancelled >= task->request.slots) {
        outcome.result = Result::kNoSlotLeft;
        return outcome;
      }
      application->slot = ++task->accepted;
      PutTask(*task);
    }
    application->state = wanted;
    application->timestamp = at;
    PutApplication(task->request, d.visitor, *application);
    return outcome;
  }

  // Voids the (slot, day) reservations still pending; each release is a system event if `event`.
  void VoidReservations(const PostTask& t, uint32_t slot, uint32_t day, Timestamp at, bool event) {
    for (const auto& [kind, void_kind] : {std::pair<char, char>{'H', 'x'}, std::pair<char, char>{'J', 'y'}}) {
      const TransferId pending_id = TaskTransferId(kind, t.host, t.task_id, slot, day);
      std::string bytes;
      if (!working_.Get(keys::Transfer(pending_id), &bytes)) continue;
      std::optional<Transfer> pending = DecodeTransfer(bytes);
      CORE_CHECK(pending.has_value());
      if (pending->pending_state != PendingState::kPending) continue;
      Transfer release;
      release.id = TaskTransferId(void_kind, t.host, t.task_id, slot, day);
      release.pending_id = pending_id;
      release.flags = transfer_flags::kVoidPending;
      release.code = kCodeTaskReserve;
      const Timestamp when = event ? Tick() : at;
      const Outcome voided = ResolvePending(release, when);
      CORE_CHECK(voided.result == Result::kOk);
      // A subsidy reservation given back no longer counts towards the host's monthly grant.
      if (kind == 'J') AddSubsidyTally(t.subsidy, t.host, day / 100, -pending->amount);
      if (event) {
        entry_.system_events.push_back({SystemEventType::kTaskReturned, pending_id, pending->debit_account_id,
                                        pending->credit_account_id, pending->asset, pending->amount, when});
      }
    }
  }

  Outcome CancelFree(const CancelSlots& c, Timestamp at) {
    Outcome outcome{Result::kOk, false, at};
    std::optional<TaskRecord> task = LoadTask(c.host, c.task_id);
    if (!task) {
      outcome.result = Result::kTaskNotFound;
    } else if (task->closed) {
      outcome.result = Result::kTaskClosed;
    } else if (c.count < 1 || c.count > task->request.slots - task->accepted - task->cancelled) {
      outcome.result = Result::kNoSlotLeft;
    } else if (!SpendNonce(c.host, c.nonce, RequestNonceExpiry(c.request_ms))) {
      outcome.result = Result::kNonceReplayed;
    } else {
      const PostTask& t = task->request;
      const uint32_t top = t.slots - task->cancelled;
      for (uint32_t slot = top - c.count + 1; slot <= top; ++slot) {
        for (int64_t index = *DayIndexOf(t.first_day); index <= *DayIndexOf(t.last_day); ++index) {
          VoidReservations(t, slot, DayNumber(index), at, /*event=*/false);
        }
      }
      task->cancelled += c.count;
      PutTask(*task);
    }
    return outcome;
  }

  Outcome Check(const CheckIn& c, Timestamp at) {
    Outcome outcome{Result::kOk, false, at};
    auto fail = [&](Result result) {
      outcome.result = result;
      return outcome;
    };
    std::optional<TaskRecord> task = LoadTask(c.host, c.task_id);
    if (!task) return fail(Result::kTaskNotFound);
    const PostTask& t = task->request;
    if (task->closed) return fail(Result::kTaskClosed);
    std::optional<TaskApplication> application = LoadApplication(t, c.visitor);
    if (!application || application->state != ApplicationState::kAccepted) return fail(Result::kApplicationNotFound);
    const uint32_t today = BusinessDay(at);
    if (today < t.first_day || today > t.last_day) return fail(Result::kDayNotInTask);
    const std::string code = TaskCodeSignedBytes(t.host, t.task_id, c.visitor, today, c.out);
    if (c.host_signature.size() != crypto_sign_BYTES ||
        crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(c.host_signature.data()),
                                    reinterpret_cast<const unsigned char*>(code.data()), code.size(),
                                    reinterpret_cast<const unsigned char*>(t.host_key.data())) != 0) {
      return fail(Result::kSignatureInvalid);
    }
    auto day = application->days.find(today);
    if (!c.out) {
      if (day != application->days.end()) return Outcome{Result::kOk, true, day->second.in_at};
      // The caps, at the moment the visitor commits to the day.
      std::string bytes;
      if (working_.Get(keys::VisitorDay(c.visitor, today), &bytes)) return fail(Result::kTaskDayTaken);
      const TaskRules rules = LoadTaskRules();
      const int64_t week = WeekOf(*DayIndexOf(today));
      uint64_t hours = 0;
      if (working_.Get(keys::VisitorWeek(c.visitor, week), &bytes)) hours = Decoder(bytes).U64();
      if (hours + t.hours_per_day > rules.weekly_hours_max) return fail(Result::kWeeklyHoursExceeded);
      int64_t month_total = 0;
      const std::string month_key = keys::HostVisitorMonth(t.host, c.visitor, today / 100);
      if (working_.Get(month_key, &bytes)) month_total = Decoder(bytes).I64();
      if (month_total + t.per_day > rules.monthly_max) return fail(Result::kMonthlyCapExceeded);
      if (!SpendNonce(c.visitor, c.nonce, RequestNonceExpiry(c.request_ms))) return fail(Result::kNonceReplayed);
      std::string value;
      Encoder(&value).U64(hours + t.hours_per_day);
      working_.Put(keys::VisitorWeek(c.visitor, week), value);
      value.clear();
      Encoder(&value).I64(month_total + t.per_day);
      working_.Put(month_key, value);
      working_.Put(keys::VisitorDay(c.visitor, today), t.host.ToBytes() + t.task_id);
      application->days[today] = TaskDay{TaskDayState::kCheckedIn, at, 0};
    } else {
      if (day == application->days.end()) return fail(Result::kNotCheckedIn);
      if (day->second.state != TaskDayState::kCheckedIn) return Outcome{Result::kOk, true, day->second.out_at};
      if (!SpendNonce(c.visitor, c.nonce, RequestNonceExpiry(c.request_ms))) return fail(Result::kNonceReplayed);
      day->second.state = TaskDayState::kCheckedOut;
      day->second.out_at = at;
      working_.Put(keys::TaskRelease(at + Hours(LoadTaskRules().dispute_hours), t.host, c.visitor, today, t.task_id), "");
    }
    application->timestamp = at;
    PutApplication(t, c.visitor, *application);
    return outcome;
  }

  // Pays a checked-out day: the slot-day's reservations are posted into escrow and the day's thank-you goes
  // from escrow to the visitor. The payment's outcome (or the first failure, with nothing applied).
  Outcome PayDay(const PostTask& t, uint32_t slot, const AccountId& visitor, uint32_t day, Timestamp at, bool events) {
    working_.BeginScope();
    Outcome failure{Result::kOk, false, at};
    for (const auto& [kind, post_kind] : {std::pair<char, char>{'H', 'h'}, std::pair<char, char>{'J', 'j'}}) {
      const TransferId pending_id = TaskTransferId(kind, t.host, t.task_id, slot, day);
      std::string bytes;
      if (!working_.Get(keys::Transfer(pending_id), &bytes)) continue;
      Transfer post;
      post.id = TaskTransferId(post_kind, t.host, t.task_id, slot, day);
      post.pending_id = pending_id;
      post.flags = transfer_flags::kPostPending;
      post.code = kCodeTaskReserve;
      const Timestamp when = Tick();
      const Outcome posted = ResolvePending(post, when);
      if (posted.result != Result::kOk) {
        failure.result = posted.result;
        break;
      }
      entry_.system_events.push_back({SystemEventType::kTaskPosted, post.id, posted.debit_account_id,
                                      posted.credit_account_id, posted.asset, posted.amount, when});
    }
    Outcome paid = failure;
    if (failure.result == Result::kOk) {
      Transfer pay;
      pay.id = PayId(t, visitor, day);
      pay.debit_account_id = t.escrow;
      pay.credit_account_id = visitor;
      pay.amount = t.per_day;
      pay.code = kCodeTaskPay;
      const Timestamp when = events ? Tick() : at;
      paid = Move(pay, when);
      if (paid.result == Result::kOk && events) {
        entry_.system_events.push_back({SystemEventType::kTaskPaid, pay.id, t.escrow, visitor, paid.asset, t.per_day,
                                        when});
      }
    }
    if (paid.result != Result::kOk) {
      working_.RollbackScope();
      return Outcome{paid.result, false, at};
    }
    working_.CommitScope();
    return paid;
  }

  Outcome Confirm(const ConfirmDay& c, Timestamp at) {
    Outcome outcome{Result::kOk, false, at};
    auto fail = [&](Result result) {
      outcome.result = result;
      return outcome;
    };
    std::optional<TaskRecord> task = LoadTask(c.host, c.task_id);
    if (!task) return fail(Result::kTaskNotFound);
    const PostTask& t = task->request;
    std::optional<TaskApplication> application = LoadApplication(t, c.visitor);
    if (!application || application->state != ApplicationState::kAccepted) return fail(Result::kApplicationNotFound);
    auto day = application->days.find(c.day);
    if (day == application->days.end() || day->second.state == TaskDayState::kCheckedIn) {
      return fail(Result::kNotCheckedOut);
    }
    TaskDay& state = day->second;
    const TaskRules rules = LoadTaskRules();
    switch (c.action) {
      case DayAction::kConfirm:
        if (state.state == TaskDayState::kConfirmed || state.state == TaskDayState::kReleased) {
          return Outcome{Result::kOk, true, at};
        }
        if (state.state == TaskDayState::kCancelled) return fail(Result::kExistsWithDifferentFields);
        {
          const TaskDayState was = state.state;
          outcome = PayDay(t, application->slot, c.visitor, c.day, at, /*events=*/false);
          if (outcome.result != Result::kOk) return outcome;
          if (was == TaskDayState::kCheckedOut) {
            working_.Delete(keys::TaskRelease(state.out_at + Hours(rules.dispute_hours), t.host, c.visitor, c.day,
                                              t.task_id));
          }
        }
        state.state = TaskDayState::kConfirmed;
        break;
      case DayAction::kDispute:
        if (state.state == TaskDayState::kDisputed) return Outcome{Result::kOk, true, at};
        if (state.state != TaskDayState::kCheckedOut) return fail(Result::kExistsWithDifferentFields);
        working_.Delete(keys::TaskRelease(state.out_at + Hours(rules.dispute_hours), t.host, c.visitor, c.day,
                                          t.task_id));
        state.state = TaskDayState::kDisputed;
        break;
      case DayAction::kCancel:
        if (state.state == TaskDayState::kCancelled) return Outcome{Result::kOk, true, at};
        if (state.state != TaskDayState::kDisputed) return fail(Result::kExistsWithDifferentFields);
        VoidReservations(t, application->slot, c.day, at, /*event=*/false);
        state.state = TaskDayState::kCancelled;
        break;
      default:
        return fail(Result::kFlagsInvalid);
    }
    application->timestamp = at;
    PutApplication(t, c.visitor, *application);
    return outcome;
  }

  // Rule: checked-out days past their dispute window are paid; finished tasks return what is left.
  void SweepTasks() {
    std::vector<std::string> releases;
    state_.Scan(std::string(1, keys::kTaskRelease),
                keys::TaskRelease(batch_timestamp_ + 1, AccountId{}, AccountId{}, 0, ""), false,
                [&](std::string_view key, std::string_view) {
                  releases.emplace_back(key);
                  return releases.size() < static_cast<size_t>(kSweepItemsMax);
                });
    for (const std::string& key : releases) {
      working_.Delete(key);
      AccountId host, visitor;
      uint32_t day = 0;
      std::string task_id;
      keys::DecodeTaskRelease(key, &host, &visitor, &day, &task_id);
      std::optional<TaskRecord> task = LoadTask(host, task_id);
      CORE_CHECK(task.has_value());
      std::optional<TaskApplication> application = LoadApplication(task->request, visitor);
      CORE_CHECK(application.has_value());
      TaskDay& state = application->days.at(day);
      if (state.state != TaskDayState::kCheckedOut) continue;
      const Outcome paid = PayDay(task->request, application->slot, visitor, day, batch_timestamp_, /*events=*/true);
      if (paid.result != Result::kOk) continue;  // Cannot happen: reserved in full; left for the end sweep.
      state.state = TaskDayState::kReleased;
      PutApplication(task->request, visitor, *application);
    }
    std::vector<std::string> ends;
    state_.Scan(std::string(1, keys::kTaskEnd), keys::TaskEnd(batch_timestamp_ + 1, AccountId{}, ""), false,
                [&](std::string_view key, std::string_view) {
                  ends.emplace_back(key);
                  return ends.size() < 64;
                });
    for (const std::string& key : ends) {
      working_.Delete(key);
      AccountId host;
      std::string task_id;
      keys::DecodeTaskEnd(key, &host, &task_id);
      std::optional<TaskRecord> task = LoadTask(host, task_id);
      CORE_CHECK(task.has_value());
      const PostTask& t = task->request;
      // Slot-days still owed to someone: disputed (the host decides), or checked out and not yet released.
      std::set<std::pair<uint32_t, uint32_t>> owed;
      const std::string prefix = keys::TaskApplicationPrefix(t.host, t.task_id);
      for (const std::string& app_key : working_.KeysWithPrefix(prefix)) {
        std::string bytes;
        working_.Get(app_key, &bytes);
        std::optional<TaskApplication> application = DecodeTaskApplication(bytes);
        CORE_CHECK(application.has_value());
        for (const auto& [day, state] : application->days) {
          if (state.state == TaskDayState::kDisputed || state.state == TaskDayState::kCheckedOut) {
            owed.insert({application->slot, day});
          }
        }
      }
      for (uint32_t slot = 1; slot <= t.slots; ++slot) {
        for (int64_t index = *DayIndexOf(t.first_day); index <= *DayIndexOf(t.last_day); ++index) {
          const uint32_t day = DayNumber(index);
          if (!owed.count({slot, day})) VoidReservations(t, slot, day, batch_timestamp_, /*event=*/true);
        }
      }
      task->closed = true;
      PutTask(*task);
    }
  }

  // ----- campaigns (campaigns.h) -----
  std::vector<uint32_t> LoadActiveCampaigns() {
    std::string bytes;
    std::vector<uint32_t> ids;
    if (!working_.Get(keys::ActiveCampaigns(), &bytes)) return ids;
    Decoder d(bytes);
    const uint32_t n = d.U32();
    for (uint32_t i = 0; i < n && d.ok(); ++i) ids.push_back(d.U32());
    if (!d.done()) Fatal("active campaign list is corrupt");
    return ids;
  }

  void PutActiveCampaigns(const std::vector<uint32_t>& ids) {
    std::string bytes;
    Encoder e(&bytes);
    e.U32(static_cast<uint32_t>(ids.size()));
    for (uint32_t id : ids) e.U32(id);
    working_.Put(keys::ActiveCampaigns(), std::move(bytes));
  }

  std::optional<CampaignRecord> LoadCampaign(uint32_t id) {
    std::string bytes;
    if (!working_.Get(keys::Campaign(id), &bytes)) return std::nullopt;
    std::optional<CampaignRecord> record = DecodeCampaignRecord(bytes);
    if (!record) Fatal("campaign record is corrupt");
    return record;
  }

  Outcome StartCampaign(const CreateCampaign& c, Timestamp at) {
    Outcome outcome{Result::kOk, false, at};
    auto fail = [&](Result result) {
      outcome.result = result;
      return outcome;
    };
    if (!CampaignProblem(c).empty()) return fail(Result::kCampaignInvalid);
    if (std::optional<CampaignRecord> existing = LoadCampaign(c.campaign)) {
      if (!existing->request.SameRequest(c)) return fail(Result::kExistsWithDifferentFields);
      return Outcome{Result::kOk, true, existing->timestamp};
    }
    const Account* funding = working_.FindAccount(c.funding);
    if (funding == nullptr) return fail(Result::kAccountNotFound);
    if (funding->kind != AccountKind::kBudget) return fail(Result::kKindInvalid);
    if (working_.FindAsset(c.payment_asset) == nullptr) return fail(Result::kAssetNotFound);
    std::vector<uint32_t> active = LoadActiveCampaigns();
    if (active.size() >= kActiveCampaignsMax) return fail(Result::kTooManyCampaigns);
    active.push_back(c.campaign);
    PutActiveCampaigns(active);
    working_.Put(keys::Campaign(c.campaign), EncodeCampaignRecord(CampaignRecord{c, 0, 0, false, at}));
    return outcome;
  }

  Outcome EndCampaign(const CloseCampaign& c, Timestamp at) {
    Outcome outcome{Result::kOk, false, at};
    std::optional<CampaignRecord> record = LoadCampaign(c.campaign);
    if (!record) {
      outcome.result = Result::kCampaignNotFound;
      return outcome;
    }
    if (record->closed) return Outcome{Result::kOk, true, at};
    record->closed = true;
    working_.Put(keys::Campaign(c.campaign), EncodeCampaignRecord(*record));
    std::vector<uint32_t> active = LoadActiveCampaigns();
    active.erase(std::remove(active.begin(), active.end(), c.campaign), active.end());
    PutActiveCampaigns(active);
    return outcome;
  }

  Outcome Link(const LinkAccount& l, Timestamp at) {
    Outcome outcome{Result::kOk, false, at};
    const Account* wallet = working_.FindAccount(l.wallet);
    const Account* linked = working_.FindAccount(l.linked);
    if (wallet == nullptr || linked == nullptr) {
      outcome.result = Result::kAccountNotFound;
    } else if (wallet->kind != AccountKind::kWallet || linked->kind != AccountKind::kWallet) {
      outcome.result = Result::kKindInvalid;
    } else if (wallet->asset == linked->asset) {
      outcome.result = Result::kAssetMismatch;
    } else if (std::string bytes; working_.Get(keys::AccountLink(l.wallet, linked->asset), &bytes)) {
      if (bytes != l.linked.ToBytes()) {
        outcome.result = Result::kExistsWithDifferentFields;
      } else {
        outcome.duplicate = true;
      }
    } else {
      working_.Put(keys::AccountLink(l.wallet, linked->asset), l.linked.ToBytes());
    }
    return outcome;
  }

  // After a captured payment: every active campaign it qualifies for awards (system events).
  void AwardCampaigns(const PosPayment& p, const Account& merchant, Timestamp at) {
    std::vector<uint32_t> active = LoadActiveCampaigns();
    if (active.empty()) return;
    bool pruned = false;
    for (uint32_t id : std::vector<uint32_t>(active)) {
      std::optional<CampaignRecord> campaign = LoadCampaign(id);
      CORE_CHECK(campaign.has_value());
      const CreateCampaign& c = campaign->request;
      if (at >= c.ends_at) {  // Over: drop it from the active list.
        active.erase(std::remove(active.begin(), active.end(), id), active.end());
        pruned = true;
        continue;
      }
      if (!CampaignMatches(c, p.merchant, merchant.category, merchant.asset, p.amount, at)) continue;
      const Account* funding = working_.FindAccount(c.funding);
      CORE_CHECK(funding != nullptr);
      AccountId to = p.payer;
      if (funding->asset != merchant.asset) {
        std::string linked;
        if (!working_.Get(keys::AccountLink(p.payer, funding->asset), &linked)) continue;  // No such account.
        to = *Id128::FromBytes(linked);
      }
      const uint32_t month = BusinessDay(at) / 100;
      const std::string tally_key = keys::CampaignTally(id, to, month);
      int64_t tally = 0;
      if (std::string bytes; working_.Get(tally_key, &bytes)) tally = Decoder(bytes).I64();
      int64_t amount = CampaignAwardFor(c, p.amount);
      if (c.per_person_month > 0) amount = std::min(amount, c.per_person_month - tally);
      amount = std::min(amount, c.budget - campaign->awarded);
      if (funding->non_negative()) amount = std::min(amount, Spendable(*funding, at));
      if (amount <= 0) continue;
      Transfer award;
      award.id = CampaignTransferId('W', p.merchant, id, p.payment_id);
      award.debit_account_id = c.funding;
      award.credit_account_id = to;
      award.amount = amount;
      award.code = kCodeCampaignAward;
      const Timestamp when = Tick();
      const Outcome moved = Move(award, when);
      if (moved.result != Result::kOk) continue;  // E.g. the award account is closed: no award.
      entry_.system_events.push_back(
          {SystemEventType::kCampaignAward, award.id, c.funding, to, funding->asset, amount, when});
      std::string value;
      Encoder(&value).I64(tally + amount);
      working_.Put(tally_key, value);
      campaign->awarded += amount;
      ++campaign->awards;
      working_.Put(keys::Campaign(id), EncodeCampaignRecord(*campaign));
      working_.Put(keys::CampaignAward(p.merchant, p.payment_id, id),
                   EncodeCampaignAward(CampaignAward{to, p.amount, amount, 0, 0, month}));
    }
    if (pruned) PutActiveCampaigns(active);
  }

  // After a refund or cancel: claw back the refunded share of every award the payment earned.
  void ClawBack(const AccountId& merchant, const std::string& payment_id, int64_t refunded_total,
                std::string_view claw_id) {
    const std::string prefix = keys::CampaignAwardPrefix(merchant, payment_id);
    for (const std::string& key : working_.KeysWithPrefix(prefix)) {
      CORE_CHECK(key.size() == prefix.size() + 4);  // Payment ids are length-prefixed: only campaign ids follow.
      std::string bytes;
      working_.Get(key, &bytes);
      std::optional<CampaignAward> award = DecodeCampaignAward(bytes);
      CORE_CHECK(award.has_value());
      const uint32_t id = keys::ReadBigEndian32(key.substr(prefix.size()));
      const int64_t due_total =
          static_cast<int64_t>(static_cast<__int128>(award->amount) * refunded_total / award->paid);
      const int64_t due = due_total - award->clawed_back - award->shortfall;
      if (due <= 0) continue;
      std::optional<CampaignRecord> campaign = LoadCampaign(id);
      CORE_CHECK(campaign.has_value());
      const Account* holder = working_.FindAccount(award->account);
      CORE_CHECK(holder != nullptr);
      int64_t take = std::min(due, std::max<int64_t>(0, Spendable(*holder, now_)));
      if (take > 0) {
        Transfer back;
        back.id = CampaignTransferId('K', merchant, id, ClawbackIdSuffix(claw_id, payment_id));
        back.debit_account_id = award->account;
        back.credit_account_id = campaign->request.funding;
        back.amount = take;
        back.code = kCodeCampaignClawback;
        // The move can fail for reasons the refund cannot help (the city closed the funding account or
        // the holder's account, or the funding account is at its bound): then nothing comes back and the
        // whole due amount is recorded as shortfall. The refund itself stands either way.
        const Timestamp when = Tick();
        const Outcome moved = Move(back, when);
        if (moved.result == Result::kOk) {
          entry_.system_events.push_back({SystemEventType::kCampaignClawback, back.id, award->account,
                                          campaign->request.funding, moved.asset, take, when});
          campaign->awarded -= take;
          working_.Put(keys::Campaign(id), EncodeCampaignRecord(*campaign));
          const std::string tally_key = keys::CampaignTally(id, award->account, award->month);
          int64_t tally = 0;
          if (std::string t; working_.Get(tally_key, &t)) tally = Decoder(t).I64();
          std::string value;
          Encoder(&value).I64(tally - take);
          working_.Put(tally_key, value);
        } else {
          take = 0;
        }
      }
      award->clawed_back += take;
      award->shortfall += due - take;
      working_.Put(key, EncodeCampaignAward(*award));
    }
  }

  Outcome Send(const WalletSend& send, Timestamp at) {
    const Transfer& t = send.transfer;
    std::string bytes;
    if (!t.id.IsZero() && !t.id.IsReserved() && working_.Get(keys::Transfer(t.id), &bytes)) {
      return CreateTransfer(t, at);  // Decided before: the original outcome (or different fields).
    }
    if (t.flags != 0) return Outcome{Result::kFlagsInvalid, false, at};  // Plain transfers only.
    if (!SpendNonce(t.debit_account_id, send.nonce, RequestNonceExpiry(send.request_ms))) {
      return Outcome{Result::kNonceReplayed, false, at};
    }
    Outcome outcome = CreateTransfer(t, at);
    if (outcome.result != Result::kOk && !outcome.duplicate) RecordFailure(t, outcome);
    return outcome;
  }

  Outcome Pay(const PosPayment& request, Timestamp at) {
    Outcome outcome{Result::kOk, false, at};
    auto fail = [&](Result r) {
      outcome.result = r;
      return outcome;
    };
    PosPayment p = request;
    std::optional<CpmCode> code;
    if (!p.cpm.empty()) {
      absl::StatusOr<CpmCode> decoded = DecodeCpm(p.cpm);
      if (!decoded.ok()) return fail(Result::kCpmInvalid);
      const AccountId from_code = *Id128::FromBytes(decoded->account);
      if (!p.payer.IsZero() && p.payer != from_code) return fail(Result::kPayerMismatch);
      p.payer = from_code;
      code = std::move(*decoded);
    }
    std::optional<CardRecord> card;
    if (!p.card.empty()) {
      if (code || p.staff.empty() || p.staff.size() > kStaffIdLengthMax) return fail(Result::kCardInvalid);
      card = LoadCard(p.card);
      if (!card) return fail(Result::kCardNotFound);
      if (!p.payer.IsZero() && p.payer != card->registration.wallet) return fail(Result::kPayerMismatch);
      p.payer = card->registration.wallet;
    }
    if (p.merchant.IsZero() || p.payer.IsZero()) return fail(Result::kIdMustNotBeZero);
    if (!ValidPosId(p.payment_id)) return fail(Result::kPosIdInvalid);
    if (!p.terminal.empty() && !ValidTerminalId(p.terminal)) return fail(Result::kTerminalIdInvalid);
    // A registered dynamic code fixes the amount and terminal; only a wallet pays it (pos.h).
    std::optional<MpmOrderRecord> order = LoadMpmOrder(p.merchant, p.payment_id);
    const Account* payer = working_.FindAccount(p.payer);
    if (order) {
      if (p.wallet_nonce == 0 || p.amount != order->request.amount || payer == nullptr ||
          payer->asset != order->asset || (!p.terminal.empty() && p.terminal != order->request.terminal)) {
        return fail(Result::kMpmOrderMismatch);
      }
      p.terminal = order->request.terminal;
    }
    if (std::optional<PaymentRecord> existing = LoadPayment(p.merchant, p.payment_id)) {
      if (!existing->request.SameRequest(p)) return fail(Result::kExistsWithDifferentFields);
      return Outcome{existing->result, true, existing->timestamp};
    }
    if (order && at >= order->expires_at) return fail(Result::kMpmOrderExpired);
    // Refused before anything is used up: the id stays free and the customer's code unburnt.
    if (p.amount <= 0) return fail(Result::kAmountMustBePositive);
    if (p.amount > kAmountMax) return fail(Result::kAmountExceedsLimit);
    const Account* merchant = working_.FindAccount(p.merchant);
    if (merchant == nullptr) return fail(Result::kCreditAccountNotFound);
    if (merchant->kind != AccountKind::kMerchant) return fail(Result::kNotAMerchant);
    // The shop's account in the payer's asset (an unknown payer is refused by the transfer itself).
    const Account* shop = payer == nullptr ? merchant : AccountFor(*merchant, payer->asset);
    if (shop == nullptr) return fail(Result::kAssetNotAccepted);
    if (card) {
      // A re-issued card pays no more (pos.h): refused before its PIN, deciding nothing.
      if (card->replaced()) {
        RecordStaff(p, p.payer, "card replaced", Result::kCardReplaced, at);
        return fail(Result::kCardReplaced);
      }
      // The PIN: a wrong one counts towards the lockout and decides nothing; the right one resets the count.
      if (card->failed_attempts >= card->registration.attempts_max) {
        RecordStaff(p, p.payer, "card locked", Result::kCardLocked, at);
        return fail(Result::kCardLocked);
      }
      if (p.pin_proof != card->registration.pin_proof) {
        if (!CountPinAttempt(p.card, p.attempt, at)) return fail(Result::kPinInvalid);  // A replay: counted.
        ++card->failed_attempts;
        working_.Put(keys::Card(p.card), EncodeCardRecord(*card));
        RecordStaff(p, p.payer, "wrong PIN", Result::kPinInvalid, at);
        return fail(Result::kPinInvalid);
      }
      if (card->failed_attempts != 0) {
        card->failed_attempts = 0;
        working_.Put(keys::Card(p.card), EncodeCardRecord(*card));
      }
    }
    Result code_check = code ? CheckCode(*code, p.payer, at) : Result::kOk;
    if (code_check == Result::kOk && !SpendNonce(p.payer, p.wallet_nonce, RequestNonceExpiry(p.request_ms))) {
      code_check = Result::kNonceReplayed;
    }
    if (code_check != Result::kOk) {
      outcome.result = code_check;
    } else {
      if (code) KeepNonce(p.payer, code->nonce, CodeNonceExpiry(*code, p.request_ms));  // Burned, whatever the payment's fate.
      outcome = MoveDerived('P', p.merchant, p.payment_id, p.payer, shop->id, p.amount, kCodePosPayment, at);
    }
    PaymentRecord record;
    record.request = p;
    record.asset = shop->asset;
    record.timestamp = at;
    record.business_day = OpenDayFrom(p.merchant, BusinessDayIndex(at));
    record.result = outcome.result;
    record.state = outcome.result == Result::kOk ? PaymentState::kCaptured : PaymentState::kRefused;
    working_.Put(keys::Payment(p.merchant, p.payment_id), EncodePaymentRecord(record));
    if (card) RecordStaff(p, p.payer, "card payment", outcome.result, at);
    if (outcome.result == Result::kOk) {
      AddToDay(shop->id, record.business_day, record.asset, p.terminal, DayTotals{1, p.amount, 0, 0, 0});
      Account paid_to = *merchant;  // The shop as campaigns see it: its category, the payment's asset.
      paid_to.asset = shop->asset;
      AwardCampaigns(p, paid_to, at);
    }
    return outcome;
  }

  Outcome Refund(const PosRefund& r, Timestamp at) {
    Outcome outcome{Result::kOk, false, at};
    auto fail = [&](Result result) {
      outcome.result = result;
      return outcome;
    };
    if (r.merchant.IsZero()) return fail(Result::kIdMustNotBeZero);
    if (!ValidPosId(r.payment_id) || !ValidPosId(r.refund_id)) return fail(Result::kPosIdInvalid);
    std::string bytes;
    if (working_.Get(keys::Refund(r.merchant, r.refund_id), &bytes)) {
      std::optional<RefundRecord> existing = DecodeRefundRecord(bytes);
      if (!existing) Fatal(absl::StrCat("refund record of ", r.merchant.ToHex(), " is corrupt"));
      if (!existing->request.SameRequest(r)) return fail(Result::kExistsWithDifferentFields);
      return Outcome{existing->result, true, existing->timestamp};
    }
    std::optional<PaymentRecord> payment = LoadPayment(r.merchant, r.payment_id);
    AccountId paid_to;  // The account the payment went to, once the refund is allowed.
    if (!payment || payment->state == PaymentState::kRefused) {
      outcome.result = Result::kPaymentNotFound;
    } else if (payment->state == PaymentState::kCancelled) {
      outcome.result = Result::kPaymentCancelled;
    } else if (r.amount <= 0) {
      outcome.result = Result::kAmountMustBePositive;
    } else if (r.amount > payment->request.amount - payment->refunded) {
      outcome.result = Result::kRefundExceedsPayment;
    } else {
      paid_to = PaidTo(r.merchant, r.payment_id);
      outcome = MoveDerived('R', r.merchant, r.refund_id, paid_to, payment->request.payer, r.amount, kCodePosRefund,
                            at);
    }
    RefundRecord record{r, at, outcome.result};
    working_.Put(keys::Refund(r.merchant, r.refund_id), EncodeRefundRecord(record));
    if (outcome.result == Result::kOk) {
      payment->refunded += r.amount;
      working_.Put(keys::Payment(r.merchant, r.payment_id), EncodePaymentRecord(*payment));
      AddToDay(paid_to, OpenDayFrom(r.merchant, BusinessDayIndex(at)), payment->asset, payment->request.terminal,
               DayTotals{0, 0, 0, 0, r.amount});
      ClawBack(r.merchant, r.payment_id, payment->refunded, r.refund_id);
    }
    return outcome;
  }

  Outcome Cancel(const PosCancel& c, Timestamp at) {
    Outcome outcome{Result::kOk, false, at};
    auto fail = [&](Result r) {
      outcome.result = r;
      return outcome;
    };
    if (!ValidPosId(c.payment_id)) return fail(Result::kPosIdInvalid);
    std::optional<PaymentRecord> payment = LoadPayment(c.merchant, c.payment_id);
    if (!payment || payment->state == PaymentState::kRefused) return fail(Result::kPaymentNotFound);
    if (payment->state == PaymentState::kCancelled) return Outcome{Result::kOk, true, payment->cancelled_at};
    if (payment->refunded > 0) return fail(Result::kPaymentRefunded);
    if (BusinessDay(at) > payment->business_day || DayClosed(c.merchant, payment->business_day)) {
      return fail(Result::kDayClosed);
    }
    const AccountId paid_to = PaidTo(c.merchant, c.payment_id);
    outcome = MoveDerived('C', c.merchant, c.payment_id, paid_to, payment->request.payer, payment->request.amount,
                          kCodePosCancel, at);
    if (outcome.result != Result::kOk) return outcome;
    payment->state = PaymentState::kCancelled;
    payment->cancelled_at = at;
    working_.Put(keys::Payment(c.merchant, c.payment_id), EncodePaymentRecord(*payment));
    AddToDay(paid_to, payment->business_day, payment->asset, payment->request.terminal,
             DayTotals{0, 0, 1, payment->request.amount, 0});
    ClawBack(c.merchant, c.payment_id, payment->request.amount, "");
    return outcome;
  }

  Outcome CloseDay(const PosCloseDay& c, Timestamp at) {
    Outcome outcome{Result::kOk, false, at};
    const uint32_t day = c.business_day;
    const uint32_t month = day / 100 % 100, date = day % 100;
    if (day < 19700101 || month < 1 || month > 12 || date < 1 || date > 31 || day > BusinessDay(at)) {
      outcome.result = Result::kBusinessDayInvalid;
      return outcome;
    }
    const Account* merchant = working_.FindAccount(c.merchant);
    if (merchant == nullptr) {
      outcome.result = Result::kAccountNotFound;
      return outcome;
    }
    if (merchant->kind != AccountKind::kMerchant) {
      outcome.result = Result::kNotAMerchant;
      return outcome;
    }
    std::string bytes;
    if (working_.Get(keys::DayReport(c.merchant, day), &bytes)) {
      std::optional<DayReport> closed = DecodeDayReport(bytes);
      if (!closed) Fatal(absl::StrCat("day report of ", c.merchant.ToHex(), " is corrupt"));
      return Outcome{Result::kOk, true, closed->closed_at};
    }
    FreezeDay(*merchant, day, at);
    if (std::optional<MerchantProfile> profile = LoadProfile(c.merchant)) {
      for (const AccountId& id : profile->profile.accepts) {
        const Account* other = working_.FindAccount(id);
        if (other != nullptr && !DayClosed(id, day)) FreezeDay(*other, day, at);
      }
    }
    return outcome;
  }

  // The running totals of (account, day) become its closed report.
  void FreezeDay(const Account& account, uint32_t day, Timestamp at) {
    std::string bytes;
    DayReport report;
    if (working_.Get(keys::DayTotals(account.id, day), &bytes)) {
      std::optional<DayReport> running = DecodeDayReport(bytes);
      if (!running) Fatal(absl::StrCat("day totals of ", account.id.ToHex(), " are corrupt"));
      report = std::move(*running);
    } else {
      report.merchant = account.id;
      report.business_day = day;
      report.asset = account.asset;
    }
    report.closed_at = at;
    working_.Put(keys::DayReport(account.id, day), EncodeDayReport(report));
  }

  // ----- fees, cash-out, supplier payments (pos.h) -----
  bool AccountIs(const AccountId& id, AccountKind kind, AssetId asset) {
    const Account* account = working_.FindAccount(id);
    return account != nullptr && account->kind == kind && account->asset == asset;
  }

  Outcome SetFees(const PosFees& f, Timestamp at) {
    Outcome outcome{Result::kOk, false, at};
    if (working_.FindAsset(f.asset) == nullptr) {
      outcome.result = Result::kAssetNotFound;
    } else if (!AccountIs(f.issuer, AccountKind::kIssuer, f.asset) ||
               !AccountIs(f.fee_account, AccountKind::kFee, f.asset) || f.cashout_bps >= kBasisPointsMax ||
               f.member_cashout_bps >= kBasisPointsMax || f.supplier_bps >= kBasisPointsMax) {
      outcome.result = Result::kFeeScheduleInvalid;
    } else {
      working_.Put(keys::Fees(f.asset), EncodeFees(f));
    }
    return outcome;
  }

  std::optional<PosFees> LoadFees(AssetId asset) {
    std::string bytes;
    if (!working_.Get(keys::Fees(asset), &bytes)) return std::nullopt;
    std::optional<PosFees> fees = DecodeFees(bytes);
    if (!fees) Fatal(absl::StrCat("fee schedule of asset ", asset, " is corrupt"));
    return fees;
  }

  // `principal` from `from` to `to` and `fee` from `from` to the fee account, both or neither. The fee
  // transfer is recorded as a system event of the entry (the change stream shows it).
  Outcome MoveWithFee(char kind, const AccountId& owner, const std::string& id, const AccountId& from,
                      const AccountId& to, int64_t principal, uint32_t code, const PosFees& fees, int64_t fee,
                      Timestamp at) {
    working_.BeginScope();
    Outcome outcome = MoveDerived(kind, owner, id, from, to, principal, code, at);
    if (outcome.result == Result::kOk && fee > 0) {
      const Timestamp fee_at = Tick();
      const char fee_kind = static_cast<char>(kind | 0x20);  // 'O' -> 'o', 'S' -> 's'.
      Outcome fee_outcome = MoveDerived(fee_kind, owner, id, from, fees.fee_account, fee, kCodeFee, fee_at);
      if (fee_outcome.result != Result::kOk) {
        outcome.result = fee_outcome.result;
      } else {
        entry_.system_events.push_back({SystemEventType::kFee, PosTransferId(fee_kind, owner, id), from,
                                        fees.fee_account, fees.asset, fee, fee_at});
      }
    }
    if (outcome.result == Result::kOk) {
      working_.CommitScope();
    } else {
      working_.RollbackScope();
      outcome = Outcome{outcome.result, false, at};
    }
    return outcome;
  }

  // Shared by cash-outs and supplier payments: validation, idempotency, fee, record.
  // `member`: the register lists the account as a chamber member; `claimed`: the request asked for the
  // member rate (refused, deciding nothing, unless `member`).
  template <typename Request>
  Outcome FeeCommand(const Request& request, const AccountId& account, const std::string& id,
                     const AccountId& counterparty_requested, bool member, bool claimed, std::string record_key,
                     char kind, uint32_t code, Timestamp at) {
    Outcome outcome{Result::kOk, false, at};
    if (!ValidPosId(id)) {
      outcome.result = Result::kPosIdInvalid;
      return outcome;
    }
    std::string bytes;
    if (working_.Get(record_key, &bytes)) {
      std::optional<FeeRecord> existing = DecodeFeeRecord(bytes);
      if (!existing) Fatal(absl::StrCat("fee record of ", account.ToHex(), " is corrupt"));
      const bool same = existing->amount == request.amount && (!claimed || existing->member) &&
                        (counterparty_requested.IsZero() || existing->counterparty == counterparty_requested);
      if (!same) {
        outcome.result = Result::kExistsWithDifferentFields;
        return outcome;
      }
      return Outcome{existing->result, true, existing->timestamp};
    }
    if (claimed && !member) {
      outcome.result = Result::kNotAChamberMember;
      return outcome;
    }
    const Account* owner = working_.FindAccount(account);
    std::optional<PosFees> fees;
    if (owner == nullptr) {
      outcome.result = Result::kAccountNotFound;
      return outcome;
    }
    if (owner->kind != AccountKind::kMerchant) {
      outcome.result = Result::kNotAMerchant;
      return outcome;
    }
    FeeRecord record;
    record.account = account;
    record.id = id;
    record.amount = request.amount;
    record.member = member;
    record.timestamp = at;
    fees = LoadFees(owner->asset);
    const AccountId counterparty = counterparty_requested.IsZero() && fees ? fees->issuer : counterparty_requested;
    record.counterparty = counterparty;
    if (!fees) {
      outcome.result = Result::kFeesNotSet;
    } else if (request.amount <= 0) {
      outcome.result = Result::kAmountMustBePositive;
    } else if (request.amount > kAmountMax) {
      outcome.result = Result::kAmountExceedsLimit;
    } else if (!counterparty_requested.IsZero() && !AccountIs(counterparty, AccountKind::kMerchant, owner->asset)) {
      outcome.result = working_.FindAccount(counterparty) == nullptr ? Result::kCreditAccountNotFound
                                                                     : Result::kNotAMerchant;
    } else {
      const bool cashout = counterparty_requested.IsZero();
      record.bps = cashout ? (member ? fees->member_cashout_bps : fees->cashout_bps) : fees->supplier_bps;
      record.fee = FeeOf(request.amount, record.bps);
      // A cash-out takes the fee out of the amount; a supplier payment adds it on top for the payer.
      const int64_t principal = cashout ? request.amount - record.fee : request.amount;
      outcome = MoveWithFee(kind, account, id, account, counterparty, principal, code, *fees, record.fee, at);
    }
    record.result = outcome.result;
    working_.Put(std::move(record_key), EncodeFeeRecord(record));
    return outcome;
  }

  Outcome CashOut(const PosCashOut& c, Timestamp at) {
    return FeeCommand(c, c.merchant, c.cashout_id, AccountId{}, ChamberMember(c.merchant), c.member,
                      keys::CashOut(c.merchant, c.cashout_id), 'O', kCodeCashOut, at);
  }

  Outcome PaySupplier(const PosSupplierPayment& p, Timestamp at) {
    if (p.supplier.IsZero()) return Outcome{Result::kIdMustNotBeZero, false, at};
    return FeeCommand(p, p.payer, p.payment_id, p.supplier, false, false, keys::SupplierPayment(p.payer, p.payment_id),
                      'S', kCodeSupplierPayment, at);
  }

  ApplyOutput Finish() {
    PutRecentHistory();
    ApplyOutput output;
    output.entry_bytes = EncodeJournalEntry(entry_);
    output.head.index = entry_.index;
    output.head.hash = std::string(StoredEntryHash(output.entry_bytes));
    output.head.clock = entry_.last_timestamp;
    working_.Put(keys::Journal(entry_.index), output.entry_bytes);
    working_.Put(keys::Head(), EncodeHead(output.head));
    output.invariant_violation = working_.BalanceProblem();
    output.writes = working_.Finish();
    output.entry = std::move(entry_);
    return output;
  }

  const KvReader& state_;
  Working working_;
  const Timestamp batch_timestamp_;  // T: both sweeps take what is due at T.
  Timestamp now_;                    // The next event's timestamp.
  // Lots added with an expiry already <= T during the pending sweep (see AddLot).
  std::vector<std::pair<Timestamp, AccountId>> lapsed_added_;
  JournalHead head_;
  ApplyCounters* counters_;
  JournalEntry entry_;
  HistoryBacklog backlog_;  // Recent history not folded yet (read by FoldHistory, first in the batch).
};

}  // namespace

Timestamp NextBatchTimestampMin(const KvReader& state) { return ReadHead(state).clock + 1; }

absl::StatusOr<ApplyOutput> ApplyBatch(const KvReader& state, Timestamp timestamp, const Batch& batch,
                                       ApplyCounters* counters) {
  if (batch.commands.empty()) return absl::InvalidArgumentError("batch: no commands");
  if (batch.commands.size() > static_cast<size_t>(kBatchItemsMax)) {
    return absl::InvalidArgumentError(
        absl::StrCat("batch: ", batch.commands.size(), " commands, at most ", kBatchItemsMax));
  }
  uint64_t partitioned = 0;
  for (uint32_t size : batch.request_sizes) {
    if (size == 0) return absl::InvalidArgumentError("batch: empty request in request_sizes");
    partitioned += size;
  }
  if (partitioned != batch.commands.size()) {
    return absl::InvalidArgumentError("batch: request_sizes do not partition the commands");
  }
  const JournalHead head = ReadHead(state);
  if (timestamp <= head.clock) {
    return absl::FailedPreconditionError(
        absl::StrCat("batch timestamp ", timestamp, " is not after the ledger clock ", head.clock));
  }
  // Every event takes one timestamp; they must not wrap.
  if (timestamp > UINT64_MAX - 2 * static_cast<uint64_t>(kSweepItemsMax + kBatchItemsMax)) {
    return absl::FailedPreconditionError("batch timestamp too close to the end of the clock");
  }
  BatchApplier applier(state, timestamp, head, counters);
  return applier.Run(batch);
}

}  // namespace ledger
