// Test helpers: see test_util.h.
#include "ledger/core/test_util.h"

#include <cstdio>
#include <cstdlib>

#include "absl/container/btree_map.h"
#include "absl/strings/str_cat.h"
#include "ledger/core/keys.h"
#include "ledger/core/query.h"

namespace ledger::testing {

Asset MakeAsset(AssetId id, const std::string& code, int64_t expiry_seconds, uint64_t breakage,
                int64_t granularity_seconds) {
  Asset asset;
  asset.id = id;
  asset.code = code;
  asset.expiry_seconds = expiry_seconds;
  asset.expiry_granularity_seconds = granularity_seconds;
  asset.breakage_account = Id(breakage);
  return asset;
}

Account MakeAccount(uint64_t id, AssetId asset, AccountKind kind, uint32_t flags,
                    const std::string& category) {
  Account account;
  account.id = Id(id);
  account.asset = asset;
  account.kind = kind;
  account.flags = flags;
  account.category = category;
  return account;
}

Transfer MakeTransfer(uint64_t id, uint64_t debit, uint64_t credit, int64_t amount, uint32_t flags,
                      uint32_t code) {
  Transfer transfer;
  transfer.id = Id(id);
  transfer.debit_account_id = Id(debit);
  transfer.credit_account_id = Id(credit);
  transfer.amount = amount;
  transfer.flags = flags;
  transfer.code = code;
  return transfer;
}

Transfer MakePost(uint64_t id, uint64_t pending_id, int64_t amount) {
  Transfer transfer;
  transfer.id = Id(id);
  transfer.pending_id = Id(pending_id);
  transfer.amount = amount;
  transfer.flags = transfer_flags::kPostPending;
  transfer.code = 1;
  return transfer;
}

Transfer MakeVoid(uint64_t id, uint64_t pending_id) {
  Transfer transfer = MakePost(id, pending_id, 0);
  transfer.flags = transfer_flags::kVoidPending;
  return transfer;
}

std::vector<Outcome> MemoryLedger::Apply(std::vector<Command> commands) {
  std::vector<std::vector<Command>> requests;
  requests.push_back(std::move(commands));
  return ApplyRequests(std::move(requests));
}

std::vector<Outcome> MemoryLedger::ApplyRequests(std::vector<std::vector<Command>> requests) {
  Batch batch;
  for (auto& request : requests) {
    batch.request_sizes.push_back(static_cast<uint32_t>(request.size()));
    for (auto& command : request) batch.commands.push_back(std::move(command));
  }
  next_timestamp_ = std::max(next_timestamp_, NextBatchTimestampMin(state_));
  absl::StatusOr<ApplyOutput> output = ApplyBatch(state_, next_timestamp_, batch);
  if (!output.ok()) {
    fprintf(stderr, "ApplyBatch refused: %s\n", output.status().ToString().c_str());
    abort();
  }
  state_.Apply(output->writes);
  next_timestamp_ += kSecond;
  last_ = std::move(*output);
  return last_.entry.outcomes;
}

int64_t MemoryLedger::Balance(uint64_t account) const {
  std::optional<Account> found = LookupAccount(state_, Id(account));
  return found ? found->balance : 0;
}

std::string CheckInvariants(const MemoryKv& state, bool verify_journal) {
  absl::btree_map<AssetId, int64_t> balance_sum;
  absl::btree_map<AssetId, int64_t> debits_pending_sum;
  absl::btree_map<AssetId, int64_t> credits_pending_sum;
  absl::btree_map<AssetId, int64_t> open_pending_sum;
  absl::btree_map<AssetId, Asset> assets;
  std::string error;
  auto prefix_end = [](char prefix) { return std::string(1, static_cast<char>(prefix + 1)); };

  state.Scan(std::string(1, keys::kAsset), prefix_end(keys::kAsset), false,
             [&](std::string_view, std::string_view value) {
               std::optional<Asset> asset = DecodeAsset(value);
               if (!asset) {
                 error = "undecodable asset";
                 return false;
               }
               assets[asset->id] = *asset;
               return true;
             });
  if (!error.empty()) return error;

  state.Scan(std::string(1, keys::kAccount), prefix_end(keys::kAccount), false,
             [&](std::string_view, std::string_view value) {
               std::optional<Account> account = DecodeAccount(value);
               if (!account) {
                 error = "undecodable account";
                 return false;
               }
               balance_sum[account->asset] += account->balance;
               debits_pending_sum[account->asset] += account->debits_pending;
               credits_pending_sum[account->asset] += account->credits_pending;
               if (account->non_negative() && account->balance - account->debits_pending < 0) {
                 error = absl::StrCat("account ", account->id.ToHex(), " below its floor: balance ",
                                      account->balance, " pending debits ", account->debits_pending);
                 return false;
               }
               const bool holds_lots = account->kind == AccountKind::kWallet &&
                                       account->non_negative() &&
                                       assets[account->asset].Expires();
               std::vector<Lot> lots = LookupLots(state, account->id);
               int64_t lot_sum = 0;
               for (size_t i = 0; i < lots.size(); ++i) {
                 lot_sum += lots[i].amount;
                 std::string ignored;
                 if (lots[i].amount <= 0 || (i > 0 && lots[i - 1].expiry >= lots[i].expiry) ||
                     !state.Get(keys::ExpiryIndex(lots[i].expiry, account->id), &ignored)) {
                   error = absl::StrCat("account ", account->id.ToHex(), " lot ", i, " malformed");
                   return false;
                 }
               }
               const int64_t expected = holds_lots ? account->balance - account->debits_pending : 0;
               if (lot_sum != expected) {
                 error = absl::StrCat("account ", account->id.ToHex(), " lots sum ", lot_sum,
                                      " != balance - pending debits ", expected);
                 return false;
               }
               return true;
             });
  if (!error.empty()) return error;

  state.Scan(std::string(1, keys::kTransfer), prefix_end(keys::kTransfer), false,
             [&](std::string_view, std::string_view value) {
               std::optional<Transfer> transfer = DecodeTransfer(value);
               if (!transfer) {
                 error = "undecodable transfer";
                 return false;
               }
               if (transfer->result == Result::kOk &&
                   transfer->pending_state == PendingState::kPending) {
                 open_pending_sum[transfer->asset] += transfer->amount;
               }
               return true;
             });
  if (!error.empty()) return error;

  for (const auto& [asset, sum] : balance_sum) {
    if (sum != 0) return absl::StrCat("asset ", asset, ": balances sum to ", sum, ", not 0");
    if (debits_pending_sum[asset] != open_pending_sum[asset] ||
        credits_pending_sum[asset] != open_pending_sum[asset]) {
      return absl::StrCat("asset ", asset, ": pending debits ", debits_pending_sum[asset],
                          " / credits ", credits_pending_sum[asset], " != open pendings ",
                          open_pending_sum[asset]);
    }
  }

  state.Scan(std::string(1, keys::kExpiryIndex), prefix_end(keys::kExpiryIndex), false,
             [&](std::string_view key, std::string_view) {
               Timestamp expiry;
               AccountId id;
               keys::DecodeExpiryIndex(key, &expiry, &id);
               std::vector<Lot> lots = LookupLots(state, id);
               bool found = false;
               for (const Lot& lot : lots) found |= lot.expiry == expiry;
               if (!found) {
                 error = absl::StrCat("expiry index for ", id.ToHex(), " has no lot");
                 return false;
               }
               return true;
             });
  if (!error.empty()) return error;

  if (verify_journal) {
    VerifyReport report = VerifyJournal(state);
    if (!report.ok) return "journal: " + report.problem;
  }
  return "";
}

}  // namespace ledger::testing
