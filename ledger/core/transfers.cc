// Assets, accounts, closing, transfers and pendings, expiry lots, wallet sends: the Apply overloads
// and their rules. See state_machine.h (rules 1-5) and batch_applier.h.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "ledger/core/batch_applier.h"
#include "ledger/core/check.h"
#include "ledger/core/codec.h"
#include "ledger/core/keys.h"
#include "ledger/core/limits.h"

namespace ledger {
namespace {

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
}  // namespace

// Holds a lot-bearing wallet? See rule 4 in state_machine.h.
bool BatchApplier::HoldsLots(const Account& account) {
  if (account.kind != AccountKind::kWallet || !account.non_negative()) return false;
  const Asset* asset = working_.FindAsset(account.asset);
  return asset != nullptr && asset->Expires();
}

// What a debit may take from an account now: its unexpired lots, or its balance less pending
// debits.
int64_t BatchApplier::Spendable(const Account& account, Timestamp at) {
  return HoldsLots(account) ? SpendableLots(account.id, at)
                            : account.balance - account.debits_pending;
}

int64_t BatchApplier::SpendableLots(const AccountId& id, Timestamp at) {
  int64_t total = 0;
  for (const Lot& lot : *working_.Lots(id)) {
    if (lot.expiry > at) total += lot.amount;
  }
  return total;
}

// Would adding a lot with this expiry exceed kLotsPerAccountMax?
bool BatchApplier::LotWouldOverflow(const AccountId& id, Timestamp expiry) {
  const std::vector<Lot>& lots = *working_.Lots(id);
  if (static_cast<int>(lots.size()) < kLotsPerAccountMax) return false;
  return std::none_of(lots.begin(), lots.end(),
                      [&](const Lot& lot) { return lot.expiry == expiry; });
}

void BatchApplier::AddLot(const AccountId& id, const Lot& lot) {
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
std::vector<Lot> BatchApplier::TakeLots(const AccountId& id, int64_t amount, Timestamp at) {
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

void BatchApplier::RemoveEmptyLots(const AccountId& id, std::vector<Lot>* lots) {
  for (const Lot& lot : *lots) {
    if (lot.amount == 0) working_.Delete(keys::ExpiryIndex(lot.expiry, id));
  }
  lots->erase(
      std::remove_if(lots->begin(), lots->end(), [](const Lot& l) { return l.amount == 0; }),
      lots->end());
}

// Splits reserved lots into `amount` taken (earliest expiry first) and the rest.
void BatchApplier::SplitLots(const std::vector<Lot>& reserved, int64_t amount,
                             std::vector<Lot>* taken, std::vector<Lot>* rest) {
  for (const Lot& lot : reserved) {
    const int64_t take = std::min(amount, lot.amount);
    amount -= take;
    if (take > 0) taken->push_back({lot.expiry, take});
    if (lot.amount - take > 0) rest->push_back({lot.expiry, lot.amount - take});
  }
  CORE_CHECK(amount == 0);
}

Timestamp BatchApplier::CreditExpiry(const Asset& asset, Timestamp at) {
  const uint64_t granularity =
      static_cast<uint64_t>(asset.expiry_granularity_seconds) * kNanosPerSecond;
  return RoundUp(at + static_cast<uint64_t>(asset.expiry_seconds) * kNanosPerSecond, granularity);
}

void BatchApplier::PostBalance(Account* account, int64_t delta, const TransferId& transfer_id,
                               Timestamp at) {
  working_.Touch(account->id);
  account->balance += delta;
  CORE_CHECK(WithinBalanceBound(account->balance));
  working_.AddHistory(account->id, {at, transfer_id, delta, account->balance});
}

void BatchApplier::PutTransfer(const Transfer& transfer) {
  working_.Put(keys::Transfer(transfer.id), EncodeTransfer(transfer));
}

Transfer BatchApplier::LoadTransferOrDie(const TransferId& id) {
  std::string bytes;
  CORE_CHECK(working_.Get(keys::Transfer(id), &bytes));
  std::optional<Transfer> transfer = DecodeTransfer(bytes);
  if (!transfer) Fatal(absl::StrCat("transfer ", id.ToHex(), " record is corrupt"));
  return *transfer;
}

// Undoes a pending's reservation on both accounts and hands `lots_back` back to the debit wallet.
void BatchApplier::ReleasePending(Transfer* pending, const std::vector<Lot>& lots_back) {
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

Outcome BatchApplier::Apply(const Asset& request, Timestamp at) {
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
      request.expiry_granularity_seconds > kExpirySecondsMax || request.scale > kAssetScaleMax) {
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

Outcome BatchApplier::Apply(const Account& request, Timestamp at) {
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

Outcome BatchApplier::Apply(const CloseAccount& request, Timestamp at) {
  Outcome outcome{Result::kOk, false, at};
  Account* account = working_.FindAccount(request.id);
  if (account == nullptr) {
    outcome.result = Result::kAccountNotFound;
  } else if (account->closed()) {
    outcome.result = Result::kAccountAlreadyClosed;
  } else if (account->balance != 0 || account->debits_pending != 0 ||
             account->credits_pending != 0) {
    outcome.result = Result::kAccountHasBalance;
  } else {
    working_.Touch(account->id);
    account->flags |= account_flags::kClosed;
  }
  return outcome;
}

Outcome BatchApplier::Apply(const Transfer& t, Timestamp at) {
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
  const bool resolves =
      t.flag(transfer_flags::kPostPending) || t.flag(transfer_flags::kVoidPending);
  // The ledger's own pendings (task reservations, in the reserved id space) are posted and voided
  // only by the rules that made them: a client's post or void would leave a task unable to pay its
  // visitor.
  if (resolves && t.pending_id.IsReserved()) return fail(Result::kIdReserved);
  if (resolves) return ResolvePending(t, at);
  if (!t.pending_id.IsZero()) return fail(Result::kPendingIdMustBeZero);
  return Move(t, at);
}

// Single-phase transfer, or the reservation of a pending one.
Outcome BatchApplier::Move(const Transfer& t, Timestamp at) {
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

// The pending transfer `t` posts or voids, if it may (still pending, before its timeout, the same
// accounts, an amount within the reserved one; a void takes all or nothing). kOk, or why not.
Result BatchApplier::LoadOpenPending(const Transfer& t, Timestamp at, Transfer* pending) {
  if (t.pending_id.IsZero()) return Result::kPendingIdRequired;
  std::string bytes;
  if (!working_.Get(keys::Transfer(t.pending_id), &bytes)) return Result::kPendingNotFound;
  std::optional<Transfer> found = DecodeTransfer(bytes);
  if (!found) Fatal(absl::StrCat("transfer ", t.pending_id.ToHex(), " record is corrupt"));
  *pending = std::move(*found);
  if (pending->result != Result::kOk) return Result::kPendingNotFound;
  if (!pending->flag(transfer_flags::kPending)) return Result::kNotAPendingTransfer;
  switch (pending->pending_state) {
    case PendingState::kPosted:
      return Result::kPendingAlreadyPosted;
    case PendingState::kVoided:
      return Result::kPendingAlreadyVoided;
    case PendingState::kExpired:
      return Result::kPendingExpired;
    default:
      break;
  }
  if (pending->timeout_at != 0 && pending->timeout_at <= at) return Result::kPendingExpired;
  if ((!t.debit_account_id.IsZero() && t.debit_account_id != pending->debit_account_id) ||
      (!t.credit_account_id.IsZero() && t.credit_account_id != pending->credit_account_id)) {
    return Result::kPendingAccountsMismatch;
  }
  const bool post = t.flag(transfer_flags::kPostPending);
  if (t.amount < 0) return Result::kAmountMustBePositive;
  if (t.amount > pending->amount) return Result::kPendingAmountExceeded;
  if (!post && t.amount != 0 && t.amount != pending->amount) return Result::kPendingAmountExceeded;
  return Result::kOk;
}

Outcome BatchApplier::ResolvePending(const Transfer& t, Timestamp at) {
  Outcome outcome{Result::kOk, false, at};
  auto fail = [&](Result r) {
    outcome.result = r;
    return outcome;
  };
  Transfer pending;
  if (Result open = LoadOpenPending(t, at, &pending); open != Result::kOk) return fail(open);
  const bool post = t.flag(transfer_flags::kPostPending);
  const int64_t amount = t.amount == 0 ? pending.amount : t.amount;

  Account* debit = working_.FindAccount(pending.debit_account_id);
  Account* credit = working_.FindAccount(pending.credit_account_id);
  CORE_CHECK(debit != nullptr && credit != nullptr);
  const Asset* asset = working_.FindAsset(debit->asset);
  CORE_CHECK(asset != nullptr);
  if (post) {
    if (!WithinBalanceBound(credit->balance + amount) ||
        !WithinBalanceBound(debit->balance - amount)) {
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

Outcome BatchApplier::Apply(const WalletSend& send, Timestamp at) {
  const Transfer& t = send.transfer;
  std::string bytes;
  if (!t.id.IsZero() && !t.id.IsReserved() && working_.Get(keys::Transfer(t.id), &bytes)) {
    return Apply(t, at);  // Decided before: the original outcome (or different fields).
  }
  if (t.flags != 0) return Outcome{Result::kFlagsInvalid, false, at};  // Plain transfers only.
  if (!SpendNonce(t.debit_account_id, send.nonce, RequestNonceExpiry(send.request_ms))) {
    return Outcome{Result::kNonceReplayed, false, at};
  }
  Outcome outcome = Apply(t, at);
  if (outcome.result != Result::kOk && !outcome.duplicate) RecordFailure(t, outcome);
  return outcome;
}

}  // namespace ledger
