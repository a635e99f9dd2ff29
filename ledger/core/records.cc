// Record encodings. Field order here is the stored format: see ledger/FORMAT.md.
#include "ledger/core/records.h"

#include "ledger/core/codec.h"
#include "ledger/core/command.h"

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
    "operator_name_invalid",
    "roles_invalid",
    "too_many_operators",
    "operator_not_permitted",
    "four_eyes_required",
    "proposal_not_found",
    "proposal_not_pending",
    "proposal_expired",
    "four_eyes_same_operator",
    "proposal_invalid",
};

constexpr const char* kKindNames[kAccountKindMax + 1] = {
    "unspecified", "issuer", "wallet", "merchant", "escrow",
    "breakage",    "fee",    "budget", "external",
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

template <>
struct FieldList<HistoryEntry> {  // kHistoryEntryBytes.
  template <class Io, class Self>
  static void Apply(Io& io, Self& entry) {
    io(entry.timestamp, entry.transfer_id, entry.delta, entry.balance_after);
  }
};

template <>
struct FieldList<Lot> {
  template <class Io, class Self>
  static void Apply(Io& io, Self& lot) {
    io(lot.expiry, lot.amount);
  }
};

namespace {

// The stored records: the command's fields (command.h), then what the ledger keeps with them.
constexpr auto kAssetFields = [](auto& io, auto& a) {
  CommandTraits<Asset>::Fields(io, a);
  io(a.timestamp);
};
constexpr auto kAccountFields = [](auto& io, auto& a) {
  CommandTraits<Account>::Fields(io, a);
  io(a.balance, a.debits_pending, a.credits_pending, a.timestamp);
};
constexpr auto kTransferFields = [](auto& io, auto& t) {
  CommandTraits<Transfer>::Fields(io, t);
  io(t.asset, t.timestamp, t.result, t.pending_state, t.amount_posted, t.timeout_at);
  io.Vec(t.reserved_lots);
};
constexpr auto kLotsFields = [](auto& io, auto& lots) { io.Vec(lots); };

}  // namespace

std::string EncodeAsset(const Asset& asset) {
  return EncodeRecord(kAssetVersion, asset, kAssetFields);
}
std::optional<Asset> DecodeAsset(std::string_view bytes) {
  return DecodeRecord<Asset>(bytes, kAssetVersion, kAssetFields);
}

std::string EncodeAccount(const Account& account) {
  return EncodeRecord(kAccountVersion, account, kAccountFields);
}
std::optional<Account> DecodeAccount(std::string_view bytes) {
  return DecodeRecord<Account>(bytes, kAccountVersion, kAccountFields);
}

std::string EncodeTransfer(const Transfer& transfer) {
  return EncodeRecord(kTransferVersion, transfer, kTransferFields);
}
std::optional<Transfer> DecodeTransfer(std::string_view bytes) {
  return DecodeRecord<Transfer>(bytes, kTransferVersion, kTransferFields);
}

std::string EncodeLots(const std::vector<Lot>& lots) {
  return EncodeRecord(kLotsVersion, lots, kLotsFields);
}
std::optional<std::vector<Lot>> DecodeLots(std::string_view bytes) {
  return DecodeRecord<std::vector<Lot>>(bytes, kLotsVersion, kLotsFields);
}

namespace {

constexpr uint8_t kRecentHistoryVersion = 1;
constexpr uint8_t kHistorySegmentVersion = 1;
constexpr uint8_t kHistoryBacklogVersion = 1;
constexpr size_t kHistoryEntryBytes = 8 + 16 + 8 + 8;
constexpr size_t kRecentItemBytes = 16 + kHistoryEntryBytes;
constexpr size_t kHistoryHeaderBytes = 1 + 4;
constexpr auto kHistoryBacklogFields = [](auto& io, auto& b) { io(b.records, b.entries); };

}  // namespace

std::string EncodeRecentHistory(const std::vector<AccountHistoryEntry>& sorted) {
  std::string out;
  out.reserve(kHistoryHeaderBytes + sorted.size() * kRecentItemBytes);
  Encoder e(&out);
  e.U8(kRecentHistoryVersion);
  e.U32(static_cast<uint32_t>(sorted.size()));
  FieldWriter io(&e);
  for (const AccountHistoryEntry& item : sorted) io(item.account, item.entry);
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
    if (AccountAt(mid) < account)
      lo = mid + 1;
    else
      hi = mid;
  }
  const size_t first = lo;
  hi = count_;
  while (lo < hi) {  // First item whose account is above `account`.
    const size_t mid = lo + (hi - lo) / 2;
    if (account < AccountAt(mid))
      hi = mid;
    else
      lo = mid + 1;
  }
  return {first, lo};
}

HistoryEntry RecentHistoryView::At(size_t i) const {
  Decoder d(items_.substr(i * kRecentItemBytes + 16, kHistoryEntryBytes));
  HistoryEntry entry;
  FieldReader{&d}(entry);
  return entry;
}

std::string EncodeHistorySegment(const std::vector<HistoryEntry>& entries) {
  std::string out;
  out.reserve(kHistoryHeaderBytes + entries.size() * kHistoryEntryBytes);
  Encoder e(&out);
  e.U8(kHistorySegmentVersion);
  e.U32(static_cast<uint32_t>(entries.size()));
  FieldWriter io(&e);
  for (const HistoryEntry& entry : entries) io(entry);
  return out;
}

std::optional<std::vector<HistoryEntry>> DecodeHistorySegment(std::string_view bytes) {
  Decoder d(bytes);
  if (d.U8() != kHistorySegmentVersion) return std::nullopt;
  const uint32_t count = d.U32();
  if (!d.ok() || count != d.remaining() / kHistoryEntryBytes) return std::nullopt;
  std::vector<HistoryEntry> entries(count);
  FieldReader io(&d);
  for (HistoryEntry& entry : entries) io(entry);
  if (!d.done()) return std::nullopt;
  return entries;
}

std::string EncodeHistoryBacklog(const HistoryBacklog& backlog) {
  return EncodeRecord(kHistoryBacklogVersion, backlog, kHistoryBacklogFields);
}

std::optional<HistoryBacklog> DecodeHistoryBacklog(std::string_view bytes) {
  return DecodeRecord<HistoryBacklog>(bytes, kHistoryBacklogVersion, kHistoryBacklogFields);
}

}  // namespace ledger
