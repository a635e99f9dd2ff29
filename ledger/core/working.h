// Internal to ledger/core (not for use outside it): the batch's working set over the committed
// state.
#ifndef LEDGER_CORE_WORKING_H_
#define LEDGER_CORE_WORKING_H_

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/node_hash_map.h"
#include "ledger/core/kv.h"
#include "ledger/core/records.h"
#include "ledger/core/types.h"

namespace ledger {

// Stops the process: used where continuing would corrupt the ledger (a broken invariant or an
// undecodable record that only the core itself could have written).
[[noreturn]] inline void Fatal(const std::string& message) {
  fprintf(stderr, "FATAL (ledger core): %s\n", message.c_str());
  abort();
}

// Holds the batch's working state over the committed state: decoded accounts, lots and assets, and
// raw key changes. Mutations inside a linked chain are logged so the chain can be rolled back.
class Working {
 public:
  explicit Working(const KvReader& base) : base_(base) {}

  // ----- raw keys -----
  bool Get(const std::string& key, std::string* value) const;
  // Reads these transfers' records from the base in one MultiGet, before the batch changes
  // anything: a batch of new transfers asks the store about every id, and one bulk lookup costs
  // much less than one Get each. Get answers from it afterwards (the base does not change during a
  // batch).
  void PrefetchTransfers(const std::vector<TransferId>& ids);
  void Put(std::string key, std::string value) { Set(std::move(key), std::move(value)); }
  void Delete(std::string key) { Set(std::move(key), std::nullopt); }
  // The keys that start with `prefix` followed by a byte below 0xff (prefix .. prefix 0xff), as
  // KeysInRange.
  std::vector<std::string> KeysWithPrefix(std::string_view prefix) const;
  // The keys that exist in [from, to), with this batch's own writes and deletes, ascending.
  std::vector<std::string> KeysInRange(std::string_view from, std::string_view to) const;

  // ----- assets -----
  const Asset* FindAsset(AssetId id);
  void CreateAsset(const Asset& asset);

  // ----- accounts -----
  // Returns a pointer valid until the batch ends (node_hash_map keeps nodes stable), or null.
  Account* FindAccount(const AccountId& id);
  // Call before changing an account found with FindAccount.
  void Touch(const AccountId& id);
  void CreateAccount(const Account& account);

  // ----- lots -----
  std::vector<Lot>* Lots(const AccountId& id);
  void TouchLots(const AccountId& id);

  // ----- history -----
  void AddHistory(const AccountId& account, const HistoryEntry& entry) {
    history_.push_back({account, entry});
  }
  // The batch's entries, in the order they happened; call once, outside any scope.
  std::vector<AccountHistoryEntry> TakeHistory();

  // ----- linked-chain scopes -----
  void BeginScope();
  void CommitScope();
  void RollbackScope();

  // The cheap invariant of a batch, over the accounts it changed: per asset, the balance changes
  // sum to zero (what one account gained another lost) and the pending debits added equal the
  // pending credits added. With a ledger whose sums were zero before, they stay zero. "" if it
  // holds.
  std::string BalanceProblem() const;

  // Everything changed, sorted by key.
  WriteSet Finish();

 private:
  struct CachedAccount {
    Account account;
    bool exists = false;
    bool dirty = false;
    // As stored before the batch (zero for an account the batch creates): what BalanceProblem
    // compares.
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
    std::optional<std::optional<std::string>>
        previous;  // Outer nullopt: key was not in the overlay.
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

  CachedAccount* LoadAccount(const AccountId& id);

  void Set(std::string key, std::optional<std::string> value);

  void ClearUndo();

  const KvReader& base_;
  absl::flat_hash_map<std::string, std::optional<std::string>> overlay_;
  absl::flat_hash_map<TransferId, std::optional<std::string>>
      prefetched_transfers_;  // As the base has them.
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

}  // namespace ledger

#endif  // LEDGER_CORE_WORKING_H_
