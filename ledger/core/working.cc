// The batch's working set: see working.h.
#include "ledger/core/working.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "ledger/core/check.h"
#include "ledger/core/keys.h"
#include "ledger/core/limits.h"

namespace ledger {

bool Working::Get(const std::string& key, std::string* value) const {
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

void Working::PrefetchTransfers(const std::vector<TransferId>& ids) {
  if (ids.empty()) return;
  std::vector<std::string> keys;
  keys.reserve(ids.size());
  for (const TransferId& id : ids) keys.push_back(keys::Transfer(id));
  std::vector<std::optional<std::string>> values;
  base_.MultiGet(keys, &values);
  prefetched_transfers_.reserve(ids.size());
  for (size_t i = 0; i < ids.size(); ++i)
    prefetched_transfers_.emplace(ids[i], std::move(values[i]));
}

std::vector<std::string> Working::KeysWithPrefix(std::string_view prefix) const {
  std::string end(prefix);
  end.push_back('\xff');
  return KeysInRange(prefix, end);
}

std::vector<std::string> Working::KeysInRange(std::string_view from, std::string_view to) const {
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

const Asset* Working::FindAsset(AssetId id) {
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

void Working::CreateAsset(const Asset& asset) {
  Put(keys::Asset(asset.id), EncodeAsset(asset));
  if (scoped_) asset_undo_.push_back({asset.id, assets_[asset.id]});
  assets_[asset.id] = asset;
}

Account* Working::FindAccount(const AccountId& id) {
  CachedAccount* cached = LoadAccount(id);
  return cached->exists ? &cached->account : nullptr;
}

void Working::Touch(const AccountId& id) {
  CachedAccount* cached = LoadAccount(id);
  if (scoped_) account_undo_.push_back({id, *cached});
  cached->dirty = true;
}

void Working::CreateAccount(const Account& account) {
  CachedAccount* cached = LoadAccount(account.id);
  if (scoped_) account_undo_.push_back({account.id, *cached});
  cached->account = account;
  cached->exists = true;
  cached->dirty = true;
}

std::vector<Lot>* Working::Lots(const AccountId& id) {
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

void Working::TouchLots(const AccountId& id) {
  Lots(id);
  CachedLots& cached = lots_[id];
  if (scoped_) lots_undo_.push_back({id, cached});
  cached.dirty = true;
}

std::vector<AccountHistoryEntry> Working::TakeHistory() {
  CORE_CHECK(!scoped_);
  return std::move(history_);
}

void Working::BeginScope() {
  CORE_CHECK(!scoped_);
  scoped_ = true;
  history_mark_ = history_.size();
}

void Working::CommitScope() {
  CORE_CHECK(scoped_);
  scoped_ = false;
  ClearUndo();
}

void Working::RollbackScope() {
  CORE_CHECK(scoped_);
  scoped_ = false;
  for (auto it = overlay_undo_.rbegin(); it != overlay_undo_.rend(); ++it) {
    if (it->previous) {
      overlay_[it->key] = *it->previous;
    } else {
      overlay_.erase(it->key);
    }
  }
  for (auto it = account_undo_.rbegin(); it != account_undo_.rend(); ++it)
    accounts_[it->id] = it->previous;
  for (auto it = lots_undo_.rbegin(); it != lots_undo_.rend(); ++it) lots_[it->id] = it->previous;
  for (auto it = asset_undo_.rbegin(); it != asset_undo_.rend(); ++it)
    assets_[it->id] = it->previous;
  history_.resize(history_mark_);
  ClearUndo();
}

std::string Working::BalanceProblem() const {
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
      return absl::StrCat("asset ", asset, ": the batch changed its balances by ",
                          static_cast<int64_t>(delta[0]), " and its pending debits and credits by ",
                          static_cast<int64_t>(delta[1]), " and ", static_cast<int64_t>(delta[2]));
    }
  }
  return "";
}

WriteSet Working::Finish() {
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

Working::CachedAccount* Working::LoadAccount(const AccountId& id) {
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

void Working::Set(std::string key, std::optional<std::string> value) {
  if (scoped_) {
    auto it = overlay_.find(key);
    OverlayUndo undo{key, std::nullopt};
    if (it != overlay_.end()) undo.previous = it->second;
    overlay_undo_.push_back(std::move(undo));
  }
  overlay_[std::move(key)] = std::move(value);
}

void Working::ClearUndo() {
  overlay_undo_.clear();
  account_undo_.clear();
  lots_undo_.clear();
  asset_undo_.clear();
}

}  // namespace ledger
