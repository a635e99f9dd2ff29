// The batch loop: clock, history folding, the generic sweeps, dispatch of each command to its
// domain's Apply overload, linked chains, and the journal entry. See batch_applier.h.
#include "ledger/core/batch_applier.h"

#include <type_traits>
#include <variant>

#include "absl/strings/str_cat.h"
#include "ledger/core/check.h"
#include "ledger/core/codec.h"
#include "ledger/core/keys.h"
#include "ledger/core/limits.h"

namespace ledger {

ApplyOutput BatchApplier::Run(const Batch& batch) {
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
  entry_.request_operators = batch.request_operators;
  entry_.commands = batch.commands;
  entry_.outcomes.resize(batch.commands.size());
  size_t begin = 0;
  const std::string no_operator;
  for (size_t r = 0; r < batch.request_sizes.size(); ++r) {
    const uint32_t size = batch.request_sizes[r];
    ApplyRequest(batch.commands, begin, begin + size,
                 batch.request_operators.empty() ? no_operator : batch.request_operators[r]);
    begin += size;
  }
  entry_.last_timestamp = now_ - 1;
  return Finish();
}

Timestamp BatchApplier::Tick() { return now_++; }

// Once enough recent-history records wait (kHistoryFoldRecords or kHistoryFoldEntries), folds them
// all into per-account segments: one key per account per fold instead of one per entry. Runs first
// in a batch, so it sees only committed state and every replica folds at the same index.
void BatchApplier::FoldHistory() {
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
  // account, stably and pairwise (log2(records) passes instead of a full sort), leaves every
  // account's entries in time order; the result is exactly a stable sort by account.
  const auto by_account = [](const auto& a, const auto& b) { return a.account < b.account; };
  while (run_ends.size() > 1) {
    std::vector<size_t> merged;
    size_t begin = 0;
    for (size_t r = 0; r < run_ends.size(); r += 2) {
      if (r + 1 < run_ends.size()) {
        std::inplace_merge(all.begin() + begin, all.begin() + run_ends[r],
                           all.begin() + run_ends[r + 1], by_account);
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
      working_.Put(keys::History(all[i].account, segment.back().timestamp),
                   EncodeHistorySegment(segment));
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
void BatchApplier::PutRecentHistory() {
  std::vector<AccountHistoryEntry> history = working_.TakeHistory();
  if (history.empty()) return;
  std::stable_sort(history.begin(), history.end(), [](const auto& a, const auto& b) {
    return a.account < b.account ||
           (a.account == b.account && a.entry.timestamp < b.entry.timestamp);
  });
  backlog_.records += 1;
  backlog_.entries += history.size();
  working_.Put(keys::RecentHistory(entry_.index), EncodeRecentHistory(history));
  working_.Put(keys::HistoryBacklog(), EncodeHistoryBacklog(backlog_));
}

void BatchApplier::SweepPendings() {
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

void BatchApplier::SweepLots() {
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
    // The lambdas copy `expiry`: clang 14 (ops/fuzz's libFuzzer build) cannot capture a structured
    // binding.
    std::vector<Lot>* lots = working_.Lots(id);
    auto it = std::find_if(lots->begin(), lots->end(),
                           [expiry = expiry](const Lot& l) { return l.expiry == expiry; });
    CORE_CHECK(it != lots->end() && it->amount > 0);
    const int64_t amount = it->amount;
    working_.TouchLots(id);
    lots = working_.Lots(id);
    it = std::find_if(lots->begin(), lots->end(),
                      [expiry = expiry](const Lot& l) { return l.expiry == expiry; });
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
    transfer.id =
        TransferId{0xffff000000000000ULL | (entry_.index & 0x0000ffffffffffffULL), ++sequence};
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

// Forgets the spent nonces whose expiry is before the batch stamp, at most kNonceSweepItemsMax a
// batch (the rest in the next ones). Safe by construction: each was spent by a request whose window
// (or code's lifetime) had closed by its expiry, so the core refuses a replay of it from now on.
void BatchApplier::SweepNonces() {
  std::vector<std::string> due;
  state_.Scan(std::string(1, keys::kNonceExpiry),
              keys::NonceExpiry(batch_timestamp_, AccountId{}, 0), false,
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
    CORE_CHECK(working_.Get(nonce_key, &bytes) && bytes.size() == 8 &&
               Decoder(bytes).U64() == expiry);
    working_.Delete(nonce_key);
    working_.Delete(std::move(key));
    if (counters_) ++counters_->pruned_nonces;
  }
}

void BatchApplier::ApplyRequest(const std::vector<Command>& commands, size_t begin, size_t end,
                                const std::string& operator_name) {
  if (!OperatorMayRun(operator_name, commands, begin, end)) {
    for (size_t i = begin; i < end; ++i) {
      entry_.outcomes[i] = Outcome{Result::kOperatorNotPermitted, false, Tick()};
    }
    return;
  }
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

void BatchApplier::ApplyChain(const std::vector<Command>& commands, size_t begin, size_t end,
                              bool closed) {
  std::vector<Timestamp> stamps;
  for (size_t i = begin; i < end; ++i) stamps.push_back(Tick());
  if (!closed) {
    for (size_t i = begin; i < end; ++i) {
      entry_.outcomes[i] =
          Outcome{i + 1 == end ? Result::kLinkedEventChainOpen : Result::kLinkedEventFailed, false,
                  stamps[i - begin]};
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

Outcome BatchApplier::ApplyOne(const Command& command, Timestamp at, bool in_chain) {
  if (const uint64_t request_ms = RequestMs(command); request_ms != 0) {
    if (Result window = CheckRequestWindow(request_ms); window != Result::kOk)
      return Outcome{window, false, at};
  }
  if (!approving_ && FourEyesGated(command)) return Outcome{Result::kFourEyesRequired, false, at};
  return std::visit(
      [&](const auto& request) -> Outcome {
        Outcome outcome = Apply(request, at);
        // A failed transfer's outcome is recorded so that its id stays decided (rule 2); inside a
        // linked chain ApplyChain records it, once the chain is rolled back.
        if constexpr (std::is_same_v<std::decay_t<decltype(request)>, Transfer>) {
          if (!in_chain && outcome.result != Result::kOk && !outcome.duplicate)
            RecordFailure(request, outcome);
        }
        return outcome;
      },
      command);
}

// Records a failed transfer's outcome so that the id stays decided (see rule 2).
void BatchApplier::RecordFailure(const Transfer& request, const Outcome& outcome) {
  switch (outcome.result) {
    case Result::kIdMustNotBeZero:
    case Result::kIdReserved:
    case Result::kExistsWithDifferentFields:
    case Result::kLinkedEventFailed:
    case Result::kLinkedEventChainOpen:
    case Result::kFourEyesRequired:  // Decides nothing: the same id may come back approved.
      return;
    default:
      break;
  }
  Transfer record = request;
  record.result = outcome.result;
  record.timestamp = outcome.timestamp;
  PutTransfer(record);
}

ApplyOutput BatchApplier::Finish() {
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

}  // namespace ledger
