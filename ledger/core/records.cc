// Record encodings. Field order here is the stored format: see ledger/FORMAT.md.
#include "ledger/core/records.h"

#include "ledger/core/codec.h"

namespace ledger {
namespace {

constexpr uint8_t kAssetVersion = 1;
constexpr uint8_t kAccountVersion = 1;
constexpr uint8_t kTransferVersion = 1;
constexpr uint8_t kLotsVersion = 1;

constexpr const char* kResultNames[kResultCount] = {
    "ok",
    "linked_event_failed",
    "linked_event_chain_open",
    "id_must_not_be_zero",
    "id_reserved",
    "exists_with_different_fields",
    "asset_not_found",
    "account_not_found",
    "debit_account_not_found",
    "credit_account_not_found",
    "accounts_must_be_different",
    "asset_mismatch",
    "amount_must_be_positive",
    "amount_exceeds_limit",
    "exceeds_balance",
    "overflows_balance",
    "account_closed",
    "pending_not_found",
    "pending_already_posted",
    "pending_already_voided",
    "pending_expired",
    "pending_amount_exceeded",
    "pending_accounts_mismatch",
    "timeout_requires_pending",
    "timeout_exceeds_limit",
    "flags_are_mutually_exclusive",
    "code_must_not_be_zero",
    "kind_invalid",
    "flags_invalid",
    "category_too_long",
    "expiry_invalid",
    "too_many_lots",
    "not_a_pending_transfer",
    "asset_code_invalid",
    "account_already_closed",
    "account_has_balance",
    "pending_id_must_be_zero",
    "pending_id_required",
    "pos_id_invalid",
    "terminal_id_invalid",
    "not_a_merchant",
    "payment_not_found",
    "refund_exceeds_payment",
    "payment_cancelled",
    "payment_refunded",
    "day_closed",
    "business_day_invalid",
    "fees_not_set",
    "fee_schedule_invalid",
    "key_not_registered",
    "public_key_invalid",
    "cpm_invalid",
    "signature_invalid",
    "cpm_expired",
    "cpm_not_yet_valid",
    "cpm_replayed",
    "payer_mismatch",
    "nonce_replayed",
    "card_not_found",
    "pin_invalid",
    "card_locked",
    "card_invalid",
    "health_program_not_found",
    "health_program_invalid",
    "effective_day_invalid",
    "device_not_found",
    "device_revoked",
    "device_id_invalid",
    "consent_required",
    "purpose_invalid",
    "report_day_in_future",
    "report_day_too_old",
    "steps_implausible",
    "exchange_not_offered",
    "exchange_unit_invalid",
    "not_a_watcher",
    "alert_not_found",
    "watch_over_invalid",
    "task_not_found",
    "task_invalid",
    "task_closed",
    "application_not_found",
    "no_slot_left",
    "not_checked_in",
    "not_checked_out",
    "task_day_taken",
    "weekly_hours_exceeded",
    "monthly_cap_exceeded",
    "day_not_in_task",
    "campaign_not_found",
    "campaign_invalid",
    "too_many_campaigns",
    "mpm_order_not_found",
    "mpm_order_expired",
    "mpm_order_mismatch",
    "mpm_lifetime_invalid",
    "not_a_chamber_member",
    "asset_not_accepted",
    "profile_invalid",
    "key_revoked",
    "not_a_manager",
    "subsidy_not_granted",
    "subsidy_exceeds_grant",
    "subsidy_grant_invalid",
    "card_replaced",
    "card_exists",
    "request_expired",
    "request_not_yet_valid",
};

constexpr const char* kKindNames[kAccountKindMax + 1] = {
    "unspecified", "issuer", "wallet", "merchant", "escrow", "breakage", "fee", "budget", "external",
};

}  // namespace

const char* ResultName(Result result) {
  const auto index = static_cast<int>(result);
  return index < kResultCount ? kResultNames[index] : "unknown_result";
}

const char* AccountKindName(AccountKind kind) {
  const auto index = static_cast<int>(kind);
  return index <= kAccountKindMax ? kKindNames[index] : "unknown_kind";
}

std::optional<AccountKind> AccountKindFromName(std::string_view name) {
  for (int i = 1; i <= kAccountKindMax; ++i) {
    if (name == kKindNames[i]) return static_cast<AccountKind>(i);
  }
  return std::nullopt;
}

bool Asset::SameRequest(const Asset& other) const {
  return id == other.id && code == other.code && scale == other.scale &&
         expiry_seconds == other.expiry_seconds &&
         expiry_granularity_seconds == other.expiry_granularity_seconds &&
         breakage_account == other.breakage_account;
}

bool Account::SameRequest(const Account& other) const {
  return id == other.id && asset == other.asset && kind == other.kind &&
         (flags & account_flags::kCreatable) == (other.flags & account_flags::kCreatable) &&
         user_data == other.user_data && category == other.category;
}

bool Transfer::SameRequest(const Transfer& other) const {
  return id == other.id && debit_account_id == other.debit_account_id &&
         credit_account_id == other.credit_account_id && amount == other.amount &&
         pending_id == other.pending_id && timeout_seconds == other.timeout_seconds &&
         code == other.code && flags == other.flags && user_data == other.user_data;
}

std::string EncodeAsset(const Asset& asset) {
  std::string out;
  Encoder e(&out);
  e.U8(kAssetVersion);
  e.U32(asset.id);
  e.Bytes(asset.code);
  e.U32(asset.scale);
  e.I64(asset.expiry_seconds);
  e.I64(asset.expiry_granularity_seconds);
  e.Id(asset.breakage_account);
  e.U64(asset.timestamp);
  return out;
}

std::optional<Asset> DecodeAsset(std::string_view bytes) {
  Decoder d(bytes);
  if (d.U8() != kAssetVersion) return std::nullopt;
  Asset asset;
  asset.id = d.U32();
  asset.code = d.Bytes();
  asset.scale = d.U32();
  asset.expiry_seconds = d.I64();
  asset.expiry_granularity_seconds = d.I64();
  asset.breakage_account = d.Id();
  asset.timestamp = d.U64();
  if (!d.done()) return std::nullopt;
  return asset;
}

std::string EncodeAccount(const Account& account) {
  std::string out;
  out.reserve(96 + account.category.size());
  Encoder e(&out);
  e.U8(kAccountVersion);
  e.Id(account.id);
  e.U32(account.asset);
  e.U8(static_cast<uint8_t>(account.kind));
  e.U32(account.flags);
  e.U64(account.user_data);
  e.Bytes(account.category);
  e.I64(account.balance);
  e.I64(account.debits_pending);
  e.I64(account.credits_pending);
  e.U64(account.timestamp);
  return out;
}

std::optional<Account> DecodeAccount(std::string_view bytes) {
  Decoder d(bytes);
  if (d.U8() != kAccountVersion) return std::nullopt;
  Account account;
  account.id = d.Id();
  account.asset = d.U32();
  account.kind = static_cast<AccountKind>(d.U8());
  account.flags = d.U32();
  account.user_data = d.U64();
  account.category = d.Bytes();
  account.balance = d.I64();
  account.debits_pending = d.I64();
  account.credits_pending = d.I64();
  account.timestamp = d.U64();
  if (!d.done()) return std::nullopt;
  return account;
}

std::string EncodeTransfer(const Transfer& transfer) {
  std::string out;
  out.reserve(160 + 16 * transfer.reserved_lots.size());
  Encoder e(&out);
  e.U8(kTransferVersion);
  e.Id(transfer.id);
  e.Id(transfer.debit_account_id);
  e.Id(transfer.credit_account_id);
  e.I64(transfer.amount);
  e.Id(transfer.pending_id);
  e.I64(transfer.timeout_seconds);
  e.U32(transfer.code);
  e.U32(transfer.flags);
  e.U64(transfer.user_data);
  e.U32(transfer.asset);
  e.U64(transfer.timestamp);
  e.U8(static_cast<uint8_t>(transfer.result));
  e.U8(static_cast<uint8_t>(transfer.pending_state));
  e.I64(transfer.amount_posted);
  e.U64(transfer.timeout_at);
  e.U32(static_cast<uint32_t>(transfer.reserved_lots.size()));
  for (const Lot& lot : transfer.reserved_lots) {
    e.U64(lot.expiry);
    e.I64(lot.amount);
  }
  return out;
}

std::optional<Transfer> DecodeTransfer(std::string_view bytes) {
  Decoder d(bytes);
  if (d.U8() != kTransferVersion) return std::nullopt;
  Transfer t;
  t.id = d.Id();
  t.debit_account_id = d.Id();
  t.credit_account_id = d.Id();
  t.amount = d.I64();
  t.pending_id = d.Id();
  t.timeout_seconds = d.I64();
  t.code = d.U32();
  t.flags = d.U32();
  t.user_data = d.U64();
  t.asset = d.U32();
  t.timestamp = d.U64();
  t.result = static_cast<Result>(d.U8());
  t.pending_state = static_cast<PendingState>(d.U8());
  t.amount_posted = d.I64();
  t.timeout_at = d.U64();
  const uint32_t lot_count = d.U32();
  if (!d.ok() || lot_count > d.remaining() / 16) return std::nullopt;
  t.reserved_lots.resize(lot_count);
  for (Lot& lot : t.reserved_lots) {
    lot.expiry = d.U64();
    lot.amount = d.I64();
  }
  if (!d.done()) return std::nullopt;
  return t;
}

std::string EncodeLots(const std::vector<Lot>& lots) {
  std::string out;
  out.reserve(5 + 16 * lots.size());
  Encoder e(&out);
  e.U8(kLotsVersion);
  e.U32(static_cast<uint32_t>(lots.size()));
  for (const Lot& lot : lots) {
    e.U64(lot.expiry);
    e.I64(lot.amount);
  }
  return out;
}

std::optional<std::vector<Lot>> DecodeLots(std::string_view bytes) {
  Decoder d(bytes);
  if (d.U8() != kLotsVersion) return std::nullopt;
  const uint32_t count = d.U32();
  if (!d.ok() || count > d.remaining() / 16) return std::nullopt;
  std::vector<Lot> lots(count);
  for (Lot& lot : lots) {
    lot.expiry = d.U64();
    lot.amount = d.I64();
  }
  if (!d.done()) return std::nullopt;
  return lots;
}

namespace {

constexpr uint8_t kRecentHistoryVersion = 1;
constexpr uint8_t kHistorySegmentVersion = 1;
constexpr uint8_t kHistoryBacklogVersion = 1;
constexpr size_t kHistoryEntryBytes = 8 + 16 + 8 + 8;
constexpr size_t kRecentItemBytes = 16 + kHistoryEntryBytes;
constexpr size_t kHistoryHeaderBytes = 1 + 4;

void PutHistoryEntry(Encoder& e, const HistoryEntry& entry) {
  e.U64(entry.timestamp);
  e.Id(entry.transfer_id);
  e.I64(entry.delta);
  e.I64(entry.balance_after);
}

HistoryEntry GetHistoryEntry(Decoder& d) {
  HistoryEntry entry;
  entry.timestamp = d.U64();
  entry.transfer_id = d.Id();
  entry.delta = d.I64();
  entry.balance_after = d.I64();
  return entry;
}

}  // namespace

std::string EncodeRecentHistory(const std::vector<AccountHistoryEntry>& sorted) {
  std::string out;
  out.reserve(kHistoryHeaderBytes + sorted.size() * kRecentItemBytes);
  Encoder e(&out);
  e.U8(kRecentHistoryVersion);
  e.U32(static_cast<uint32_t>(sorted.size()));
  for (const AccountHistoryEntry& item : sorted) {
    e.Id(item.account);
    PutHistoryEntry(e, item.entry);
  }
  return out;
}

std::optional<std::vector<AccountHistoryEntry>> DecodeRecentHistory(std::string_view bytes) {
  RecentHistoryView view;
  if (!view.Parse(bytes)) return std::nullopt;
  std::vector<AccountHistoryEntry> items(view.size());
  for (size_t i = 0; i < items.size(); ++i) items[i] = {view.AccountAt(i), view.At(i)};
  return items;
}

bool RecentHistoryView::Parse(std::string_view bytes) {
  Decoder d(bytes);
  if (d.U8() != kRecentHistoryVersion) return false;
  const uint32_t count = d.U32();
  if (!d.ok() || d.remaining() != static_cast<size_t>(count) * kRecentItemBytes) return false;
  items_ = bytes.substr(kHistoryHeaderBytes);
  count_ = count;
  return true;
}

AccountId RecentHistoryView::AccountAt(size_t i) const {
  Decoder d(items_.substr(i * kRecentItemBytes, 16));
  return d.Id();
}

std::pair<size_t, size_t> RecentHistoryView::Range(const AccountId& account) const {
  size_t lo = 0, hi = count_;
  while (lo < hi) {  // First item whose account is not below `account`.
    const size_t mid = lo + (hi - lo) / 2;
    if (AccountAt(mid) < account) lo = mid + 1; else hi = mid;
  }
  const size_t first = lo;
  hi = count_;
  while (lo < hi) {  // First item whose account is above `account`.
    const size_t mid = lo + (hi - lo) / 2;
    if (account < AccountAt(mid)) hi = mid; else lo = mid + 1;
  }
  return {first, lo};
}

HistoryEntry RecentHistoryView::At(size_t i) const {
  Decoder d(items_.substr(i * kRecentItemBytes + 16, kHistoryEntryBytes));
  return GetHistoryEntry(d);
}

std::string EncodeHistorySegment(const std::vector<HistoryEntry>& entries) {
  std::string out;
  out.reserve(kHistoryHeaderBytes + entries.size() * kHistoryEntryBytes);
  Encoder e(&out);
  e.U8(kHistorySegmentVersion);
  e.U32(static_cast<uint32_t>(entries.size()));
  for (const HistoryEntry& entry : entries) PutHistoryEntry(e, entry);
  return out;
}

std::optional<std::vector<HistoryEntry>> DecodeHistorySegment(std::string_view bytes) {
  Decoder d(bytes);
  if (d.U8() != kHistorySegmentVersion) return std::nullopt;
  const uint32_t count = d.U32();
  if (!d.ok() || count != d.remaining() / kHistoryEntryBytes) return std::nullopt;
  std::vector<HistoryEntry> entries(count);
  for (HistoryEntry& entry : entries) entry = GetHistoryEntry(d);
  if (!d.done()) return std::nullopt;
  return entries;
}

std::string EncodeHistoryBacklog(const HistoryBacklog& backlog) {
  std::string out;
  Encoder e(&out);
  e.U8(kHistoryBacklogVersion);
  e.U64(backlog.records);
  e.U64(backlog.entries);
  return out;
}

std::optional<HistoryBacklog> DecodeHistoryBacklog(std::string_view bytes) {
  Decoder d(bytes);
  if (d.U8() != kHistoryBacklogVersion) return std::nullopt;
  HistoryBacklog backlog;
  backlog.records = d.U64();
  backlog.entries = d.U64();
  if (!d.done()) return std::nullopt;
  return backlog;
}

}  // namespace ledger
