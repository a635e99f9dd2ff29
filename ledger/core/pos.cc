// Shop payments: records, derived ids and the business day. See pos.h; layouts in ledger/FORMAT.md.
#include "ledger/core/pos.h"

#include "ledger/core/codec.h"
#include "ledger/core/kv.h"
#include "ledger/core/limits.h"

namespace ledger {
namespace {

constexpr uint8_t kVersion = 1;
// Key records are at version 2 (state, revocation time, role); version 1 is still read.
constexpr uint8_t kKeyRecordVersion = 2;
constexpr size_t kPublicKeyBytes = 32;
// Card records of a re-issued card are at version 2 (the new card and when); the others stay at 1.
constexpr uint8_t kReplacedCardRecordVersion = 2;

// Days since 1970-01-01 -> civil date (proleptic Gregorian), integer only.
uint32_t CivilFromDays(int64_t days) {
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const int64_t doe = days - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t day = doy - (153 * mp + 2) / 5 + 1;
  const int64_t month = mp < 10 ? mp + 3 : mp - 9;
  const int64_t year = yoe + era * 400 + (month <= 2);
  return static_cast<uint32_t>(year * 10000 + month * 100 + day);
}

void EncodeTotals(const DayTotals& t, Encoder* e) {
  e->U64(t.payments);
  e->I64(t.gross);
  e->U64(t.cancels);
  e->I64(t.cancelled);
  e->I64(t.refunded);
}

DayTotals DecodeTotals(Decoder* d) {
  DayTotals t;
  t.payments = d->U64();
  t.gross = d->I64();
  t.cancels = d->U64();
  t.cancelled = d->I64();
  t.refunded = d->I64();
  return t;
}

}  // namespace

int64_t BusinessDayIndex(Timestamp at) {
  const int64_t seconds = static_cast<int64_t>(at / static_cast<Timestamp>(kNanosPerSecond)) + kJapanOffsetSeconds;
  return seconds / 86400;
}

uint32_t DayNumber(int64_t day_index) { return CivilFromDays(day_index); }

TransferId PosTransferId(char kind, const AccountId& merchant, std::string_view id) {
  std::string input = "ledger-pos-v1";
  input.push_back(kind);
  input += merchant.ToBytes();
  input += id;
  const std::string hash = Blake2b256(input);
  uint64_t high = 0, low = 0;
  for (int i = 0; i < 8; ++i) {
    high = (high << 8) | static_cast<uint8_t>(hash[i]);
    low = (low << 8) | static_cast<uint8_t>(hash[8 + i]);
  }
  // Reserved space (top 16 bits set), bit 47 set: apart from the expiry sweep's ids (index < 2^47).
  return TransferId{0xffff800000000000ULL | (high & 0x00007fffffffffffULL), low};
}

bool ValidPosId(std::string_view id) {
  if (id.empty() || id.size() > kPosIdLengthMax) return false;
  for (unsigned char c : id) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

bool ValidTerminalId(std::string_view id) { return id.size() <= kTerminalIdLengthMax && ValidPosId(id); }

std::string EncodePaymentRecord(const PaymentRecord& r) {
  std::string out;
  Encoder e(&out);
  e.U8(kVersion);
  e.Id(r.request.merchant);
  e.Bytes(r.request.payment_id);
  e.Id(r.request.payer);
  e.I64(r.request.amount);
  e.Bytes(r.request.terminal);
  e.U32(r.asset);
  e.U64(r.timestamp);
  e.U32(r.business_day);
  e.U8(static_cast<uint8_t>(r.result));
  e.U8(static_cast<uint8_t>(r.state));
  e.I64(r.refunded);
  e.U64(r.cancelled_at);
  e.Bytes(r.request.cpm);
  e.Bytes(r.request.card);
  return out;
}

std::optional<PaymentRecord> DecodePaymentRecord(std::string_view bytes) {
  Decoder d(bytes);
  if (d.U8() != kVersion) return std::nullopt;
  PaymentRecord r;
  r.request.merchant = d.Id();
  r.request.payment_id = d.Bytes();
  r.request.payer = d.Id();
  r.request.amount = d.I64();
  r.request.terminal = d.Bytes();
  r.asset = d.U32();
  r.timestamp = d.U64();
  r.business_day = d.U32();
  r.result = static_cast<Result>(d.U8());
  r.state = static_cast<PaymentState>(d.U8());
  r.refunded = d.I64();
  r.cancelled_at = d.U64();
  r.request.cpm = d.Bytes();
  r.request.card = d.Bytes();
  if (!d.done()) return std::nullopt;
  return r;
}

std::string EncodeRefundRecord(const RefundRecord& r) {
  std::string out;
  Encoder e(&out);
  e.U8(kVersion);
  e.Id(r.request.merchant);
  e.Bytes(r.request.payment_id);
  e.Bytes(r.request.refund_id);
  e.I64(r.request.amount);
  e.U64(r.timestamp);
  e.U8(static_cast<uint8_t>(r.result));
  return out;
}

std::optional<RefundRecord> DecodeRefundRecord(std::string_view bytes) {
  Decoder d(bytes);
  if (d.U8() != kVersion) return std::nullopt;
  RefundRecord r;
  r.request.merchant = d.Id();
  r.request.payment_id = d.Bytes();
  r.request.refund_id = d.Bytes();
  r.request.amount = d.I64();
  r.timestamp = d.U64();
  r.result = static_cast<Result>(d.U8());
  if (!d.done()) return std::nullopt;
  return r;
}

std::string EncodeDayReport(const DayReport& r) {
  std::string out;
  Encoder e(&out);
  e.U8(kVersion);
  e.Id(r.merchant);
  e.U32(r.business_day);
  e.U32(r.asset);
  e.U64(r.closed_at);
  EncodeTotals(r.total, &e);
  e.U32(static_cast<uint32_t>(r.by_terminal.size()));
  for (const auto& [terminal, totals] : r.by_terminal) {
    e.Bytes(terminal);
    EncodeTotals(totals, &e);
  }
  return out;
}

std::optional<DayReport> DecodeDayReport(std::string_view bytes) {
  Decoder d(bytes);
  if (d.U8() != kVersion) return std::nullopt;
  DayReport r;
  r.merchant = d.Id();
  r.business_day = d.U32();
  r.asset = d.U32();
  r.closed_at = d.U64();
  r.total = DecodeTotals(&d);
  const uint32_t terminals = d.U32();
  for (uint32_t i = 0; i < terminals && d.ok(); ++i) {
    std::string terminal = d.Bytes();
    r.by_terminal[terminal] = DecodeTotals(&d);
  }
  if (!d.done()) return std::nullopt;
  return r;
}

int64_t FeeOf(int64_t amount, uint32_t bps) {
  return static_cast<int64_t>(static_cast<__int128>(amount) * bps / kBasisPointsMax);
}

std::string EncodeFees(const PosFees& f) {
  std::string out;
  Encoder e(&out);
  e.U8(kVersion);
  e.U32(f.asset);
  e.Id(f.issuer);
  e.Id(f.fee_account);
  e.U32(f.cashout_bps);
  e.U32(f.member_cashout_bps);
  e.U32(f.supplier_bps);
  return out;
}

std::optional<PosFees> DecodeFees(std::string_view bytes) {
  Decoder d(bytes);
  if (d.U8() != kVersion) return std::nullopt;
  PosFees f;
  f.asset = d.U32();
  f.issuer = d.Id();
  f.fee_account = d.Id();
  f.cashout_bps = d.U32();
  f.member_cashout_bps = d.U32();
  f.supplier_bps = d.U32();
  if (!d.done()) return std::nullopt;
  return f;
}

std::string EncodeFeeRecord(const FeeRecord& r) {
  std::string out;
  Encoder e(&out);
  e.U8(kVersion);
  e.Id(r.account);
  e.Bytes(r.id);
  e.Id(r.counterparty);
  e.I64(r.amount);
  e.U8(r.member ? 1 : 0);
  e.U32(r.bps);
  e.I64(r.fee);
  e.U64(r.timestamp);
  e.U8(static_cast<uint8_t>(r.result));
  return out;
}

std::optional<FeeRecord> DecodeFeeRecord(std::string_view bytes) {
  Decoder d(bytes);
  if (d.U8() != kVersion) return std::nullopt;
  FeeRecord r;
  r.account = d.Id();
  r.id = d.Bytes();
  r.counterparty = d.Id();
  r.amount = d.I64();
  r.member = d.U8() != 0;
  r.bps = d.U32();
  r.fee = d.I64();
  r.timestamp = d.U64();
  r.result = static_cast<Result>(d.U8());
  if (!d.done()) return std::nullopt;
  return r;
}

std::string PinProof(std::string_view salt, std::string_view card, std::string_view pin) {
  std::string input(salt);
  input += card;
  input.push_back('\0');
  input += pin;
  return Blake2b256(input);
}

std::string EncodeCardRecord(const CardRecord& r) {
  std::string out;
  Encoder e(&out);
  e.U8(r.replaced() ? kReplacedCardRecordVersion : kVersion);
  e.Bytes(r.registration.card);
  e.Id(r.registration.wallet);
  e.Bytes(r.registration.pin_salt);
  e.Bytes(r.registration.pin_proof);
  e.U32(r.registration.attempts_max);
  e.U32(r.failed_attempts);
  e.U64(r.timestamp);
  if (r.replaced()) {
    e.Bytes(r.replaced_by);
    e.U64(r.replaced_at);
  }
  return out;
}

std::optional<CardRecord> DecodeCardRecord(std::string_view bytes) {
  Decoder d(bytes);
  const uint8_t version = d.U8();
  if (version != kVersion && version != kReplacedCardRecordVersion) return std::nullopt;
  CardRecord r;
  r.registration.card = d.Bytes();
  r.registration.wallet = d.Id();
  r.registration.pin_salt = d.Bytes();
  r.registration.pin_proof = d.Bytes();
  r.registration.attempts_max = d.U32();
  r.failed_attempts = d.U32();
  r.timestamp = d.U64();
  if (version == kReplacedCardRecordVersion) {
    r.replaced_by = d.Bytes();
    r.replaced_at = d.U64();
    if (!r.replaced()) return std::nullopt;
  }
  if (!d.done()) return std::nullopt;
  return r;
}

std::string EncodeStaffOperation(const StaffOperation& op) {
  std::string out;
  Encoder e(&out);
  e.U8(kVersion);
  e.Id(op.wallet);
  e.U64(op.timestamp);
  e.Id(op.merchant);
  e.Bytes(op.terminal);
  e.Bytes(op.staff);
  e.Bytes(op.operation);
  e.Bytes(op.payment_id);
  e.I64(op.amount);
  e.U8(static_cast<uint8_t>(op.result));
  return out;
}

std::optional<StaffOperation> DecodeStaffOperation(std::string_view bytes) {
  Decoder d(bytes);
  if (d.U8() != kVersion) return std::nullopt;
  StaffOperation op;
  op.wallet = d.Id();
  op.timestamp = d.U64();
  op.merchant = d.Id();
  op.terminal = d.Bytes();
  op.staff = d.Bytes();
  op.operation = d.Bytes();
  op.payment_id = d.Bytes();
  op.amount = d.I64();
  op.result = static_cast<Result>(d.U8());
  if (!d.done()) return std::nullopt;
  return op;
}

std::string EncodeMpmOrder(const MpmOrderRecord& r) {
  std::string out;
  Encoder e(&out);
  e.U8(kVersion);
  e.Id(r.request.merchant);
  e.Bytes(r.request.payment_id);
  e.I64(r.request.amount);
  e.Bytes(r.request.terminal);
  e.U32(r.request.lifetime_seconds);
  e.U32(r.asset);
  e.U64(r.timestamp);
  e.U64(r.expires_at);
  return out;
}

std::optional<MpmOrderRecord> DecodeMpmOrder(std::string_view bytes) {
  Decoder d(bytes);
  if (d.U8() != kVersion) return std::nullopt;
  MpmOrderRecord r;
  r.request.merchant = d.Id();
  r.request.payment_id = d.Bytes();
  r.request.amount = d.I64();
  r.request.terminal = d.Bytes();
  r.request.lifetime_seconds = d.U32();
  r.asset = d.U32();
  r.timestamp = d.U64();
  r.expires_at = d.U64();
  if (!d.done()) return std::nullopt;
  return r;
}

std::string EncodeMerchantProfile(const MerchantProfile& p) {
  std::string out;
  Encoder e(&out);
  e.U8(kVersion);
  e.Id(p.profile.merchant);
  e.U8(p.profile.chamber_member ? 1 : 0);
  e.U32(static_cast<uint32_t>(p.profile.accepts.size()));
  for (const AccountId& account : p.profile.accepts) e.Id(account);
  e.U64(p.timestamp);
  return out;
}

std::optional<MerchantProfile> DecodeMerchantProfile(std::string_view bytes) {
  Decoder d(bytes);
  if (d.U8() != kVersion) return std::nullopt;
  MerchantProfile p;
  p.profile.merchant = d.Id();
  p.profile.chamber_member = d.U8() != 0;
  const uint32_t n = d.U32();
  if (n > kProfileAccountsMax) return std::nullopt;
  for (uint32_t i = 0; i < n; ++i) p.profile.accepts.push_back(d.Id());
  p.timestamp = d.U64();
  if (!d.done()) return std::nullopt;
  return p;
}

std::string EncodeKeyRecord(const KeyRecord& r) {
  std::string out;
  Encoder e(&out);
  e.U8(kKeyRecordVersion);
  out += r.public_key;  // Fixed 32 bytes, no length: version 1 laid it out so.
  e.U64(r.registered_at);
  e.U8(static_cast<uint8_t>(r.state));
  e.U64(r.revoked_at);
  e.U8(static_cast<uint8_t>(r.role));
  return out;
}

std::optional<KeyRecord> DecodeKeyRecord(std::string_view bytes) {
  if (bytes.size() < 1 + kPublicKeyBytes) return std::nullopt;
  const uint8_t version = static_cast<uint8_t>(bytes[0]);
  if (version != 1 && version != kKeyRecordVersion) return std::nullopt;
  KeyRecord r;
  r.public_key = std::string(bytes.substr(1, kPublicKeyBytes));
  Decoder d(bytes.substr(1 + kPublicKeyBytes));
  r.registered_at = d.U64();
  if (version == kKeyRecordVersion) {
    const uint8_t state = d.U8();
    r.revoked_at = d.U64();
    const uint8_t role = d.U8();
    if (state > static_cast<uint8_t>(KeyState::kRevoked) || role > static_cast<uint8_t>(KeyRole::kManager)) {
      return std::nullopt;
    }
    r.state = static_cast<KeyState>(state);
    r.role = static_cast<KeyRole>(role);
  }
  if (!d.done()) return std::nullopt;
  return r;
}

std::string EncodeRevokedKey(const RevokedKey& r) {
  std::string out;
  Encoder e(&out);
  e.U8(kVersion);
  e.Bytes(r.key_id);
  e.U64(r.registered_at);
  e.U64(r.revoked_at);
  e.U8(static_cast<uint8_t>(r.role));
  return out;
}

std::optional<RevokedKey> DecodeRevokedKey(std::string_view bytes) {
  Decoder d(bytes);
  if (d.U8() != kVersion) return std::nullopt;
  RevokedKey r;
  r.key_id = d.Bytes();
  r.registered_at = d.U64();
  r.revoked_at = d.U64();
  const uint8_t role = d.U8();
  if (role > static_cast<uint8_t>(KeyRole::kManager)) return std::nullopt;
  r.role = static_cast<KeyRole>(role);
  if (!d.done()) return std::nullopt;
  return r;
}

}  // namespace ledger
