// The invariant audit: see audit.h.
#include "ledger/core/audit.h"

#include <optional>
#include <utility>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/strings/str_cat.h"
#include "ledger/core/campaigns.h"
#include "ledger/core/codec.h"
#include "ledger/core/journal.h"
#include "ledger/core/keys.h"
#include "ledger/core/pos.h"
#include "ledger/core/query.h"
#include "ledger/core/records.h"
#include "ledger/core/state_machine.h"

namespace ledger {
namespace {

constexpr uint64_t kProgressEvery = 4096;
// Keys the core never writes: a replica's applied index ("R/applied",
// ledger/replication/replica.h). They are left out of the replay's state comparison.
constexpr char kNonCoreTables[] = {'R'};

std::string TableEnd(char table) { return std::string(1, static_cast<char>(table + 1)); }

bool IsCoreKey(std::string_view key) {
  for (char table : kNonCoreTables) {
    if (!key.empty() && key[0] == table) return false;
  }
  return true;
}

// Per-asset totals gathered over the accounts and the transfers.
struct AssetTotals {
  int64_t balances = 0;
  int64_t debits_pending = 0;
  int64_t credits_pending = 0;
  int64_t open_pendings = 0;
};

// A lot-holding account's lots: positive, strictly ascending expiry, each in the expiry index,
// summing to balance - debits_pending. Any other account holds none.
std::string CheckLots(const KvReader& state, const Account& account, bool holds_lots,
                      AuditReport* report) {
  const std::vector<Lot> lots = LookupLots(state, account.id);
  int64_t lot_sum = 0;
  for (size_t i = 0; i < lots.size(); ++i) {
    lot_sum += lots[i].amount;
    std::string ignored;
    if (lots[i].amount <= 0 || (i > 0 && lots[i - 1].expiry >= lots[i].expiry) ||
        !state.Get(keys::ExpiryIndex(lots[i].expiry, account.id), &ignored)) {
      return absl::StrCat("account ", account.id.ToHex(), " lot ", i, " malformed");
    }
  }
  report->lots += lots.size();
  report->lot_accounts += holds_lots;
  const int64_t expected = holds_lots ? account.balance - account.debits_pending : 0;
  if (lot_sum != expected) {
    return absl::StrCat("account ", account.id.ToHex(), " lots sum ", lot_sum,
                        " != balance - pending debits ", expected);
  }
  return "";
}

std::string CheckAccounts(const KvReader& state, const absl::btree_map<AssetId, Asset>& assets,
                          absl::btree_map<AssetId, AssetTotals>* totals, AuditReport* report) {
  std::string error;
  state.Scan(
      std::string(1, keys::kAccount), TableEnd(keys::kAccount), false,
      [&](std::string_view, std::string_view value) {
        std::optional<Account> account = DecodeAccount(value);
        if (!account) {
          error = "undecodable account";
          return false;
        }
        ++report->accounts;
        AssetTotals& total = (*totals)[account->asset];
        total.balances += account->balance;
        total.debits_pending += account->debits_pending;
        total.credits_pending += account->credits_pending;
        if (account->non_negative() && account->balance - account->debits_pending < 0) {
          error = absl::StrCat("account ", account->id.ToHex(), " below its floor: balance ",
                               account->balance, " pending debits ", account->debits_pending);
          return false;
        }
        auto asset = assets.find(account->asset);
        const bool holds_lots = account->kind == AccountKind::kWallet && account->non_negative() &&
                                asset != assets.end() && asset->second.Expires();
        error = CheckLots(state, *account, holds_lots, report);
        return error.empty();
      });
  return error;
}

std::string CheckOpenPendings(const KvReader& state, absl::btree_map<AssetId, AssetTotals>* totals,
                              AuditReport* report) {
  std::string error;
  state.Scan(
      std::string(1, keys::kTransfer), TableEnd(keys::kTransfer), false,
      [&](std::string_view, std::string_view value) {
        std::optional<Transfer> transfer = DecodeTransfer(value);
        if (!transfer) {
          error = "undecodable transfer";
          return false;
        }
        ++report->transfers;
        if (transfer->result == Result::kOk && transfer->pending_state == PendingState::kPending) {
          ++report->open_pendings;
          (*totals)[transfer->asset].open_pendings += transfer->amount;
        }
        return true;
      });
  return error;
}

// Checks 1 and 2 of audit.h.
std::string CheckBalances(const KvReader& state, AuditReport* report) {
  absl::btree_map<AssetId, Asset> assets;
  std::string error;
  state.Scan(std::string(1, keys::kAsset), TableEnd(keys::kAsset), false,
             [&](std::string_view, std::string_view value) {
               std::optional<Asset> asset = DecodeAsset(value);
               if (!asset) error = "undecodable asset";
               if (asset) assets[asset->id] = *asset;
               return error.empty();
             });
  report->assets = assets.size();
  absl::btree_map<AssetId, AssetTotals> totals;
  if (error.empty()) error = CheckAccounts(state, assets, &totals, report);
  if (error.empty()) error = CheckOpenPendings(state, &totals, report);
  if (!error.empty()) return error;
  for (const auto& [asset, total] : totals) {
    if (total.balances != 0)
      return absl::StrCat("asset ", asset, ": balances sum to ", total.balances, ", not 0");
    if (total.debits_pending != total.open_pendings ||
        total.credits_pending != total.open_pendings) {
      return absl::StrCat("asset ", asset, ": pending debits ", total.debits_pending, " / credits ",
                          total.credits_pending, " != open pendings ", total.open_pendings);
    }
  }
  return "";
}

std::string CheckExpiryIndex(const KvReader& state, AuditReport* report) {
  std::string error;
  state.Scan(std::string(1, keys::kExpiryIndex), TableEnd(keys::kExpiryIndex), false,
             [&](std::string_view key, std::string_view) {
               ++report->expiry_index_keys;
               Timestamp expiry;
               AccountId id;
               keys::DecodeExpiryIndex(key, &expiry, &id);
               bool found = false;
               for (const Lot& lot : LookupLots(state, id)) found |= lot.expiry == expiry;
               if (!found) error = absl::StrCat("expiry index for ", id.ToHex(), " has no lot");
               return error.empty();
             });
  return error;
}

// Spent nonces: an N key holds nothing (kept for ever) or its expiry, and then has its n key; every
// n key has its N key holding that expiry (ledger/FORMAT.md, "Request nonces").
std::string CheckNonceIndex(const KvReader& state) {
  std::string error;
  state.Scan(std::string(1, keys::kNonce), TableEnd(keys::kNonce), false,
             [&](std::string_view key, std::string_view value) {
               if (value.empty()) return true;
               if (value.size() != 8 || key.size() != 25) {
                 error = "undecodable spent nonce";
                 return false;
               }
               const AccountId account{keys::ReadBigEndian64(key.substr(1)),
                                       keys::ReadBigEndian64(key.substr(9))};
               const uint64_t nonce = keys::ReadBigEndian64(key.substr(17));
               std::string ignored;
               if (!state.Get(keys::NonceExpiry(Decoder(value).U64(), account, nonce), &ignored)) {
                 error = absl::StrCat("spent nonce ", nonce, " of ", account.ToHex(),
                                      " has no expiry index key");
               }
               return error.empty();
             });
  if (!error.empty()) return error;
  state.Scan(std::string(1, keys::kNonceExpiry), TableEnd(keys::kNonceExpiry), false,
             [&](std::string_view key, std::string_view) {
               Timestamp expiry;
               AccountId account;
               uint64_t nonce;
               keys::DecodeNonceExpiry(key, &expiry, &account, &nonce);
               std::string value;
               if (!state.Get(keys::Nonce(account, nonce), &value) || value.size() != 8 ||
                   Decoder(value).U64() != expiry) {
                 error = absl::StrCat("nonce expiry index for ", nonce, " of ", account.ToHex(),
                                      " has no spent nonce with that expiry");
               }
               return error.empty();
             });
  return error;
}

// Campaigns: each campaign's `awarded` is what its awards gave net of clawbacks, never more than
// its budget, and no award claws back more than it gave.
std::string CheckCampaigns(const KvReader& state, AuditReport* report) {
  absl::btree_map<uint32_t, int64_t> net_awards;
  std::string error;
  state.Scan(std::string(1, keys::kCampaignAward), TableEnd(keys::kCampaignAward), false,
             [&](std::string_view key, std::string_view value) {
               std::optional<CampaignAward> award = DecodeCampaignAward(value);
               if (!award || key.size() < 4) {
                 error = "undecodable campaign award";
                 return false;
               }
               ++report->campaign_awards;
               if (award->clawed_back < 0 || award->clawed_back > award->amount) {
                 error = absl::StrCat("a campaign award of ", award->account.ToHex(),
                                      " clawed back ", award->clawed_back, " of ", award->amount);
                 return false;
               }
               net_awards[keys::ReadBigEndian32(key.substr(key.size() - 4))] +=
                   award->amount - award->clawed_back;
               return true;
             });
  if (!error.empty()) return error;
  state.Scan(
      std::string(1, keys::kCampaign), TableEnd(keys::kCampaign), false,
      [&](std::string_view, std::string_view value) {
        std::optional<CampaignRecord> campaign = DecodeCampaignRecord(value);
        if (!campaign) {
          error = "undecodable campaign";
          return false;
        }
        ++report->campaigns;
        const uint32_t id = campaign->request.campaign;
        if (campaign->awarded != net_awards[id] || campaign->awarded > campaign->request.budget) {
          error =
              absl::StrCat("campaign ", id, ": awarded ", campaign->awarded, ", its awards net ",
                           net_awards[id], ", budget ", campaign->request.budget);
          return false;
        }
        return true;
      });
  return error;
}

// Cards: a re-issued card's new card exists, pays from the same wallet and was issued when the old
// card was replaced (ReissueCard, pos.h), so a re-issue never hands a wallet to a card that is not
// its own.
std::string CheckCards(const KvReader& state) {
  std::string error;
  state.Scan(std::string(1, keys::kCard), TableEnd(keys::kCard), false,
             [&](std::string_view, std::string_view value) {
               std::optional<CardRecord> card = DecodeCardRecord(value);
               if (!card) {
                 error = "undecodable card";
                 return false;
               }
               if (!card->replaced()) return true;
               std::optional<CardRecord> next = LookupCard(state, card->replaced_by);
               if (!next || next->registration.wallet != card->registration.wallet ||
                   next->timestamp != card->replaced_at) {
                 error = absl::StrCat("card ", card->registration.card, " was re-issued as ",
                                      card->replaced_by,
                                      ", which is not the same wallet's card issued then");
               }
               return error.empty();
             });
  return error;
}

// BLAKE2b-256 over the core's keys and values, in key order (StateHash without the non-core
// tables).
std::string CoreStateHash(const KvReader& state) {
  class CoreKeys final : public KvReader {
   public:
    explicit CoreKeys(const KvReader& base) : base_(base) {}
    bool Get(std::string_view key, std::string* value) const override {
      return IsCoreKey(key) && base_.Get(key, value);
    }
    void Scan(std::string_view from, std::string_view to, bool reverse,
              const ScanVisitor& visit) const override {
      base_.Scan(from, to, reverse, [&](std::string_view key, std::string_view value) {
        return !IsCoreKey(key) || visit(key, value);
      });
    }

   private:
    const KvReader& base_;
  };
  return StateHash(CoreKeys(state));
}

// The first key where the replayed and the stored core state differ, for the report.
std::string FirstDifference(const MemoryKv& replayed, const KvReader& stored) {
  std::vector<std::pair<std::string, std::string>> expected;
  replayed.Scan(std::string(1, '\0'), std::string(2, '\xff'), false,
                [&](std::string_view key, std::string_view value) {
                  expected.emplace_back(key, value);
                  return true;
                });
  size_t next = 0;
  std::string difference;
  auto describe = [](std::string_view key) {
    return absl::StrCat("key of table '", std::string(1, key.empty() ? '?' : key[0]), "' (",
                        key.size(), " bytes)");
  };
  stored.Scan(std::string(1, '\0'), std::string(2, '\xff'), false,
              [&](std::string_view key, std::string_view value) {
                if (!IsCoreKey(key)) return true;
                if (next < expected.size() && expected[next].first < key) {
                  difference =
                      "the replay has a " + describe(expected[next].first) + " the store lacks";
                } else if (next >= expected.size() || expected[next].first != key) {
                  difference = "the store has a " + describe(key) + " the replay lacks";
                } else if (expected[next].second != value) {
                  difference = "the value of a " + describe(key) + " differs";
                }
                ++next;
                return difference.empty();
              });
  if (difference.empty() && next < expected.size()) {
    difference = "the replay has a " + describe(expected[next].first) + " the store lacks";
  }
  return difference;
}

bool HoldsStepReport(const JournalEntry& entry) {
  for (const Command& command : entry.commands) {
    if (std::holds_alternative<StepReport>(command)) return true;
  }
  return false;
}

// Re-applies one stored entry to `scratch`: "" if it gives the stored bytes, else what differs.
std::string ReplayEntry(const JournalEntry& entry, std::string_view stored, MemoryKv* scratch) {
  Batch batch;
  batch.commands = entry.commands;
  batch.request_sizes = entry.request_sizes;
  batch.request_operators = entry.request_operators;
  absl::StatusOr<ApplyOutput> output = ApplyBatch(*scratch, entry.batch_timestamp, batch);
  if (!output.ok()) return absl::StrCat("the core refuses its batch: ", output.status().ToString());
  if (output->entry_bytes != stored) {
    for (size_t i = 0; i < entry.outcomes.size() && i < output->entry.outcomes.size(); ++i) {
      if (output->entry.outcomes[i].result != entry.outcomes[i].result) {
        return absl::StrCat("command ", i, " replays to ",
                            ResultName(output->entry.outcomes[i].result), ", the journal says ",
                            ResultName(entry.outcomes[i].result));
      }
    }
    if (output->entry.system_events.size() != entry.system_events.size()) {
      return absl::StrCat("the replay makes ", output->entry.system_events.size(),
                          " system events, the journal has ", entry.system_events.size());
    }
    return "the replayed entry's bytes differ from the stored entry's";
  }
  scratch->Apply(output->writes);
  return "";
}

// Check 5 of audit.h.
void Replay(const KvReader& state, const AuditOptions& options, AuditReport* report) {
  const JournalHead head = ReadHead(state);
  MemoryKv scratch;
  for (uint64_t index = 1; index <= head.index; ++index) {
    std::string stored;
    std::optional<JournalEntry> entry;
    if (state.Get(keys::Journal(index), &stored)) entry = DecodeJournalEntry(stored);
    if (!entry) {
      report->violation =
          absl::StrCat("replay: journal entry ", index, " is missing or undecodable");
      return;
    }
    if (options.stop && options.stop()) {
      report->replay_note = absl::StrCat("replay stopped before entry ", index, " of ", head.index,
                                         ": asked to stop; the final state hash was not compared");
      return;
    }
    if (HoldsStepReport(*entry)) {
      report->replay_note =
          absl::StrCat("replay stopped before entry ", index,
                       ": it holds a step report, which the journal keeps as a commitment without "
                       "its steps and signature (health.h); the final state hash was not compared");
      return;
    }
    if (std::string problem = ReplayEntry(*entry, stored, &scratch); !problem.empty()) {
      report->violation =
          absl::StrCat("replay: journal entry ", index, " does not replay: ", problem);
      return;
    }
    ++report->replayed_entries;
    if (options.progress && index % kProgressEvery == 0) {
      options.progress(absl::StrCat("replay: ", index, " of ", head.index, " entries"));
    }
  }
  report->state_hash_compared = true;
  if (CoreStateHash(scratch) != CoreStateHash(state)) {
    report->violation = "replay: the journal replays to another state than the stored one: " +
                        FirstDifference(scratch, state);
  }
}

}  // namespace

AuditReport Audit(const KvReader& state, const AuditOptions& options) {
  AuditReport report;
  report.violation = CheckBalances(state, &report);
  if (report.ok()) report.violation = CheckExpiryIndex(state, &report);
  if (report.ok()) report.violation = CheckNonceIndex(state);
  if (report.ok()) report.violation = CheckCampaigns(state, &report);
  if (report.ok()) report.violation = CheckCards(state);
  if (report.ok() && options.verify_journal) {
    const VerifyReport verified = VerifyJournal(state, [&](uint64_t index) {
      if (options.progress) options.progress(absl::StrCat("journal: ", index, " entries verified"));
    });
    report.journal_entries = verified.entries_checked;
    if (!verified.ok) report.violation = "journal: " + verified.problem;
  }
  if (!options.replay) {
    report.replay_note = "replay not asked for";
  } else if (report.ok()) {
    Replay(state, options, &report);
  } else {
    report.replay_note = "replay not run: an earlier check failed";
  }
  return report;
}

std::string AssetSumsProblem(const KvReader& state) {
  absl::btree_map<AssetId, __int128> sums;
  std::string problem;
  state.Scan(std::string(1, keys::kAccount), TableEnd(keys::kAccount), false,
             [&](std::string_view key, std::string_view value) {
               std::optional<Account> account = DecodeAccount(value);
               if (!account) {
                 problem = absl::StrCat("the account record under key of ", key.size(),
                                        " bytes does not decode");
                 return false;
               }
               sums[account->asset] += account->balance;
               return true;
             });
  if (!problem.empty()) return problem;
  for (const auto& [asset, sum] : sums) {
    if (sum != 0)
      return absl::StrCat("asset ", asset, ": its balances sum to ", static_cast<int64_t>(sum),
                          ", not 0");
  }
  return "";
}

std::string AuditReport::Summary() const {
  std::string out = absl::StrCat(
      "assets ", assets, ", accounts ", accounts, " (", lot_accounts, " lot-holding wallets with ",
      lots, " lots; ", expiry_index_keys, " expiry index keys), transfers ", transfers, " (",
      open_pendings, " open pendings), campaigns ", campaigns, " (", campaign_awards, " awards)\n");
  absl::StrAppend(&out, "journal entries verified: ", journal_entries, "\n");
  absl::StrAppend(&out, "journal entries replayed byte for byte: ", replayed_entries,
                  state_hash_compared ? "; state hash compared\n" : "\n");
  if (!replay_note.empty()) absl::StrAppend(&out, "note: ", replay_note, "\n");
  absl::StrAppend(&out, ok() ? "audit: every check holds\n" : "VIOLATION: " + violation + "\n");
  return out;
}

}  // namespace ledger
