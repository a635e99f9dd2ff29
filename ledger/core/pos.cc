// Shop payments: records, derived ids and the business day. See pos.h; layouts in ledger/FORMAT.md.
#include "ledger/core/pos.h"

#include "ledger/core/codec.h"
#include "ledger/core/command.h"
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

template <>
struct FieldList<DayTotals> {
  template <class Io, class Self>
  static void Apply(Io& io, Self& t) { io(t.payments, t.gross, t.cancels, t.cancelled, t.refunded); }
};

// Record field lists (codec.h). A record that embeds a command writes the command's fields in place
// (command.h); the payment record interleaves its own with some of the request's, so it lists them all.
constexpr auto kPaymentRecordFields = [](auto& io, auto& r) {
  io(r.request.merchant, r.request.payment_id, r.request.payer, r.request.amount, r.request.terminal, r.asset,
     r.timestamp, r.business_day, r.result, r.state, r.refunded, r.cancelled_at, r.request.cpm, r.request.card);
};
constexpr auto kRefundRecordFields = [](auto& io, auto& r) { io(r.request, r.timestamp, r.result); };
constexpr auto kFeesFields = [](auto& io, auto& f) { CommandTraits<PosFees>::Fields(io, f); };
constexpr auto kFeeRecordFields = [](auto& io, auto& r) {
  io(r.account, r.id, r.counterparty, r.amount, r.member, r.bps, r.fee, r.timestamp, r.result);
};
constexpr auto kStaffOperationFields = [](auto& io, auto& op) {
  io(op.wallet, op.timestamp, op.merchant, op.terminal, op.staff, op.operation, op.payment_id, op.amount, op.result);
};
constexpr auto kMpmOrderFields = [](auto& io, auto& r) { io(r.request, r.asset, r.timestamp, r.expires_at); };
constexpr auto kDayReportFields = [](auto& io, auto& r) {
  io(r.merchant, r.business_day, r.asset, r.closed_at, r.total);
  io.Map(r.by_terminal);
};
constexpr auto kCardRecordFields = [](auto& io, auto& r) { io(r.registration, r.failed_attempts, r.timestamp); };
constexpr auto kReplacedCardRecordFields = [](auto& io, auto& r) {
  kCardRecordFields(io, r);
  io(r.replaced_by, r.replaced_at);
};
constexpr auto kRevokedKeyFields = [](auto& io, auto& r) { io(r.key_id, r.registered_at, r.revoked_at, r.role); };
constexpr auto kMerchantProfileFields = [](auto& io, auto& p) { io(p.profile, p.timestamp); };

std::string EncodePaymentRecord(const PaymentRecord& r) { return EncodeRecord(kVersion, r, kPaymentRecordFields); }
std::optional<PaymentRecord> DecodePaymentRecord(std::string_view bytes) {
  return DecodeRecord<PaymentRecord>(bytes, kVersion, kPaymentRecordFields);
}

std::string EncodeRefundRecord(const RefundRecord& r) { return EncodeRecord(kVersion, r, kRefundRecordFields); }
std::optional<RefundRecord> DecodeRefundRecord(std::string_view bytes) {
  return DecodeRecord<RefundRecord>(bytes, kVersion, kRefundRecordFields);
}

std::string EncodeDayReport(const DayReport& r) { return EncodeRecord(kVersion, r, kDayReportFields); }
std::optional<DayReport> DecodeDayReport(std::string_view bytes) {
  return DecodeRecord<DayReport>(bytes, kVersion, kDayReportFields);
}

int64_t FeeOf(int64_t amount, uint32_t bps) {
  return static_cast<int64_t>(static_cast<__int128>(amount) * bps / kBasisPointsMax);
}

std::string EncodeFees(const PosFees& f) { return EncodeRecord(kVersion, f, kFeesFields); }
std::optional<PosFees> DecodeFees(std::string_view bytes) { return DecodeRecord<PosFees>(bytes, kVersion, kFeesFields); }

std::string EncodeFeeRecord(const FeeRecord& r) { return EncodeRecord(kVersion, r, kFeeRecordFields); }
std::optional<FeeRecord> DecodeFeeRecord(std::string_view bytes) {
  return DecodeRecord<FeeRecord>(bytes, kVersion, kFeeRecordFields);
}

std::string PinProof(std::string_view salt, std::string_view card, std::string_view pin) {
  std::string input(salt);
  input += card;
  input.push_back('\0');
  input += pin;
  return Blake2b256(input);
}

// Version 1: a card never re-issued; version 2 adds what replaced it.
std::string EncodeCardRecord(const CardRecord& r) {
  if (r.replaced()) return EncodeRecord(kReplacedCardRecordVersion, r, kReplacedCardRecordFields);
  return EncodeRecord(kVersion, r, kCardRecordFields);
}

std::optional<CardRecord> DecodeCardRecord(std::string_view bytes) {
  if (!bytes.empty() && static_cast<uint8_t>(bytes[0]) == kVersion) {
    return DecodeRecord<CardRecord>(bytes, kVersion, kCardRecordFields);
  }
  std::optional<CardRecord> r = DecodeRecord<CardRecord>(bytes, kReplacedCardRecordVersion, kReplacedCardRecordFields);
  if (r && !r->replaced()) return std::nullopt;
  return r;
}

std::string EncodeStaffOperation(const StaffOperation& op) { return EncodeRecord(kVersion, op, kStaffOperationFields); }
std::optional<StaffOperation> DecodeStaffOperation(std::string_view bytes) {
  return DecodeRecord<StaffOperation>(bytes, kVersion, kStaffOperationFields);
}

std::string EncodeMpmOrder(const MpmOrderRecord& r) { return EncodeRecord(kVersion, r, kMpmOrderFields); }
std::optional<MpmOrderRecord> DecodeMpmOrder(std::string_view bytes) {
  return DecodeRecord<MpmOrderRecord>(bytes, kVersion, kMpmOrderFields);
}

std::string EncodeMerchantProfile(const MerchantProfile& p) { return EncodeRecord(kVersion, p, kMerchantProfileFields); }
std::optional<MerchantProfile> DecodeMerchantProfile(std::string_view bytes) {
  return DecodeRecord<MerchantProfile>(bytes, kVersion, kMerchantProfileFields);
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

std::string EncodeRevokedKey(const RevokedKey& r) { return EncodeRecord(kVersion, r, kRevokedKeyFields); }
std::optional<RevokedKey> DecodeRevokedKey(std::string_view bytes) {
  std::optional<RevokedKey> r = DecodeRecord<RevokedKey>(bytes, kVersion, kRevokedKeyFields);
  if (r && r->role > KeyRole::kManager) return std::nullopt;
  return r;
}

}  // namespace ledger
