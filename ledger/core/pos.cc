// Shop payments: records, derived ids and the business day. See pos.h; layouts in ledger/FORMAT.md.
#include "ledger/core/pos.h"

#include "ledger/core/batch_applier.h"
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
  const int64_t seconds =
      static_cast<int64_t>(at / static_cast<Timestamp>(kNanosPerSecond)) + kJapanOffsetSeconds;
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

bool ValidTerminalId(std::string_view id) {
  return id.size() <= kTerminalIdLengthMax && ValidPosId(id);
}

template <>
struct FieldList<DayTotals> {
  template <class Io, class Self>
  static void Apply(Io& io, Self& t) {
    io(t.payments, t.gross, t.cancels, t.cancelled, t.refunded);
  }
};

// Record field lists (codec.h). A record that embeds a command writes the command's fields in place
// (command.h); the payment record interleaves its own with some of the request's, so it lists them
// all.
constexpr auto kPaymentRecordFields = [](auto& io, auto& r) {
  io(r.request.merchant, r.request.payment_id, r.request.payer, r.request.amount,
     r.request.terminal, r.asset, r.timestamp, r.business_day, r.result, r.state, r.refunded,
     r.cancelled_at, r.request.cpm, r.request.card);
};
constexpr auto kRefundRecordFields = [](auto& io, auto& r) {
  io(r.request, r.timestamp, r.result);
};
constexpr auto kFeesFields = [](auto& io, auto& f) { CommandTraits<PosFees>::Fields(io, f); };
constexpr auto kFeeRecordFields = [](auto& io, auto& r) {
  io(r.account, r.id, r.counterparty, r.amount, r.member, r.bps, r.fee, r.timestamp, r.result);
};
constexpr auto kStaffOperationFields = [](auto& io, auto& op) {
  io(op.wallet, op.timestamp, op.merchant, op.terminal, op.staff, op.operation, op.payment_id,
     op.amount, op.result);
};
constexpr auto kMpmOrderFields = [](auto& io, auto& r) {
  io(r.request, r.asset, r.timestamp, r.expires_at);
};
constexpr auto kDayReportFields = [](auto& io, auto& r) {
  io(r.merchant, r.business_day, r.asset, r.closed_at, r.total);
  io.Map(r.by_terminal);
};
constexpr auto kCardRecordFields = [](auto& io, auto& r) {
  io(r.registration, r.failed_attempts, r.timestamp);
};
constexpr auto kReplacedCardRecordFields = [](auto& io, auto& r) {
  kCardRecordFields(io, r);
  io(r.replaced_by, r.replaced_at);
};
constexpr auto kRevokedKeyFields = [](auto& io, auto& r) {
  io(r.key_id, r.registered_at, r.revoked_at, r.role);
};
constexpr auto kMerchantProfileFields = [](auto& io, auto& p) { io(p.profile, p.timestamp); };

std::string EncodePaymentRecord(const PaymentRecord& r) {
  return EncodeRecord(kVersion, r, kPaymentRecordFields);
}
std::optional<PaymentRecord> DecodePaymentRecord(std::string_view bytes) {
  return DecodeRecord<PaymentRecord>(bytes, kVersion, kPaymentRecordFields);
}

std::string EncodeRefundRecord(const RefundRecord& r) {
  return EncodeRecord(kVersion, r, kRefundRecordFields);
}
std::optional<RefundRecord> DecodeRefundRecord(std::string_view bytes) {
  return DecodeRecord<RefundRecord>(bytes, kVersion, kRefundRecordFields);
}

std::string EncodeDayReport(const DayReport& r) {
  return EncodeRecord(kVersion, r, kDayReportFields);
}
std::optional<DayReport> DecodeDayReport(std::string_view bytes) {
  return DecodeRecord<DayReport>(bytes, kVersion, kDayReportFields);
}

int64_t FeeOf(int64_t amount, uint32_t bps) {
  return static_cast<int64_t>(static_cast<__int128>(amount) * bps / kBasisPointsMax);
}

std::string EncodeFees(const PosFees& f) { return EncodeRecord(kVersion, f, kFeesFields); }
std::optional<PosFees> DecodeFees(std::string_view bytes) {
  return DecodeRecord<PosFees>(bytes, kVersion, kFeesFields);
}

std::string EncodeFeeRecord(const FeeRecord& r) {
  return EncodeRecord(kVersion, r, kFeeRecordFields);
}
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
  std::optional<CardRecord> r =
      DecodeRecord<CardRecord>(bytes, kReplacedCardRecordVersion, kReplacedCardRecordFields);
  if (r && !r->replaced()) return std::nullopt;
  return r;
}

std::string EncodeStaffOperation(const StaffOperation& op) {
  return EncodeRecord(kVersion, op, kStaffOperationFields);
}
std::optional<StaffOperation> DecodeStaffOperation(std::string_view bytes) {
  return DecodeRecord<StaffOperation>(bytes, kVersion, kStaffOperationFields);
}

std::string EncodeMpmOrder(const MpmOrderRecord& r) {
  return EncodeRecord(kVersion, r, kMpmOrderFields);
}
std::optional<MpmOrderRecord> DecodeMpmOrder(std::string_view bytes) {
  return DecodeRecord<MpmOrderRecord>(bytes, kVersion, kMpmOrderFields);
}

std::string EncodeMerchantProfile(const MerchantProfile& p) {
  return EncodeRecord(kVersion, p, kMerchantProfileFields);
}
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
    if (state > static_cast<uint8_t>(KeyState::kRevoked) ||
        role > static_cast<uint8_t>(KeyRole::kManager)) {
      return std::nullopt;
    }
    r.state = static_cast<KeyState>(state);
    r.role = static_cast<KeyRole>(role);
  }
  if (!d.done()) return std::nullopt;
  return r;
}

std::string EncodeRevokedKey(const RevokedKey& r) {
  return EncodeRecord(kVersion, r, kRevokedKeyFields);
}
std::optional<RevokedKey> DecodeRevokedKey(std::string_view bytes) {
  std::optional<RevokedKey> r = DecodeRecord<RevokedKey>(bytes, kVersion, kRevokedKeyFields);
  if (r && r->role > KeyRole::kManager) return std::nullopt;
  return r;
}

}  // namespace ledger

// ===== Shop payments applied =====
// The BatchApplier's Apply overloads for these commands and their rules (batch_applier.h).

namespace ledger {

std::optional<PaymentRecord> BatchApplier::LoadPayment(const AccountId& merchant,
                                                       std::string_view payment_id) {
  std::string bytes;
  if (!working_.Get(keys::Payment(merchant, payment_id), &bytes)) return std::nullopt;
  std::optional<PaymentRecord> record = DecodePaymentRecord(bytes);
  if (!record) Fatal(absl::StrCat("payment record of ", merchant.ToHex(), " is corrupt"));
  return record;
}

bool BatchApplier::DayClosed(const AccountId& merchant, uint32_t day) {
  std::string bytes;
  return working_.Get(keys::DayReport(merchant, day), &bytes);
}

// The first business day from `day_index` on that the merchant has not closed (yyyymmdd): where
// payments and refunds made after a close are booked.
uint32_t BatchApplier::OpenDayFrom(const AccountId& merchant, int64_t day_index) {
  while (DayClosed(merchant, DayNumber(day_index))) ++day_index;
  return DayNumber(day_index);
}

std::optional<MpmOrderRecord> BatchApplier::LoadMpmOrder(const AccountId& merchant,
                                                         std::string_view payment_id) {
  std::string bytes;
  if (!working_.Get(keys::MpmOrder(merchant, payment_id), &bytes)) return std::nullopt;
  std::optional<MpmOrderRecord> record = DecodeMpmOrder(bytes);
  if (!record) Fatal(absl::StrCat("MPM order of ", merchant.ToHex(), " is corrupt"));
  return record;
}

std::optional<MerchantProfile> BatchApplier::LoadProfile(const AccountId& merchant) {
  std::string bytes;
  if (!working_.Get(keys::MerchantProfile(merchant), &bytes)) return std::nullopt;
  std::optional<MerchantProfile> profile = DecodeMerchantProfile(bytes);
  if (!profile) Fatal(absl::StrCat("merchant profile of ", merchant.ToHex(), " is corrupt"));
  return profile;
}

bool BatchApplier::ChamberMember(const AccountId& merchant) {
  std::optional<MerchantProfile> profile = LoadProfile(merchant);
  return profile && profile->profile.chamber_member;
}

// The shop's account that takes a payment in `asset`: its own if the asset is its own, else the
// account of that asset its profile accepts; null if it does not accept the asset.
const Account* BatchApplier::AccountFor(const Account& shop, AssetId asset) {
  if (shop.asset == asset) return &shop;
  if (std::optional<MerchantProfile> profile = LoadProfile(shop.id)) {
    for (const AccountId& id : profile->profile.accepts) {
      const Account* other = working_.FindAccount(id);
      if (other != nullptr && other->asset == asset) return other;
    }
  }
  return nullptr;
}

// The account a captured payment went to (its derived transfer's credit side).
AccountId BatchApplier::PaidTo(const AccountId& merchant, std::string_view payment_id) {
  return LoadTransferOrDie(PosTransferId('P', merchant, payment_id)).credit_account_id;
}

Outcome BatchApplier::Apply(const PosMpmOrder& o, Timestamp at) {
  Outcome outcome{Result::kOk, false, at};
  auto fail = [&](Result r) {
    outcome.result = r;
    return outcome;
  };
  if (o.merchant.IsZero()) return fail(Result::kIdMustNotBeZero);
  if (!ValidPosId(o.payment_id)) return fail(Result::kPosIdInvalid);
  if (!ValidTerminalId(o.terminal)) return fail(Result::kTerminalIdInvalid);
  if (std::optional<MpmOrderRecord> existing = LoadMpmOrder(o.merchant, o.payment_id)) {
    if (!existing->request.SameRequest(o)) return fail(Result::kExistsWithDifferentFields);
    return Outcome{Result::kOk, true, existing->timestamp};
  }
  if (LoadPayment(o.merchant, o.payment_id)) return fail(Result::kExistsWithDifferentFields);
  if (o.amount <= 0) return fail(Result::kAmountMustBePositive);
  if (o.amount > kAmountMax) return fail(Result::kAmountExceedsLimit);
  if (o.lifetime_seconds == 0 || o.lifetime_seconds > kMpmLifetimeSecondsMax) {
    return fail(Result::kMpmLifetimeInvalid);
  }
  const Account* merchant = working_.FindAccount(o.merchant);
  if (merchant == nullptr) return fail(Result::kAccountNotFound);
  if (merchant->kind != AccountKind::kMerchant) return fail(Result::kNotAMerchant);
  if ((merchant->flags & account_flags::kClosed) != 0) return fail(Result::kAccountClosed);
  MpmOrderRecord record{o, merchant->asset, at,
                        at + Timestamp{o.lifetime_seconds} * kNanosPerSecond};
  working_.Put(keys::MpmOrder(o.merchant, o.payment_id), EncodeMpmOrder(record));
  return outcome;
}

Outcome BatchApplier::Apply(const SetMerchantProfile& p, Timestamp at) {
  Outcome outcome{Result::kOk, false, at};
  auto fail = [&](Result r) {
    outcome.result = r;
    return outcome;
  };
  const Account* merchant = working_.FindAccount(p.merchant);
  if (merchant == nullptr) return fail(Result::kAccountNotFound);
  if (merchant->kind != AccountKind::kMerchant) return fail(Result::kNotAMerchant);
  if (p.accepts.size() > kProfileAccountsMax) return fail(Result::kProfileInvalid);
  std::vector<AssetId> assets{merchant->asset};
  for (const AccountId& id : p.accepts) {
    const Account* other = working_.FindAccount(id);
    if (other == nullptr) return fail(Result::kAccountNotFound);
    if (other->kind != AccountKind::kMerchant) return fail(Result::kNotAMerchant);
    // One account per asset, none in the shop's own asset.
    if (std::find(assets.begin(), assets.end(), other->asset) != assets.end())
      return fail(Result::kProfileInvalid);
    assets.push_back(other->asset);
  }
  working_.Put(keys::MerchantProfile(p.merchant), EncodeMerchantProfile(MerchantProfile{p, at}));
  return outcome;
}

// Adds to the running totals of (merchant, day) for `terminal`.
void BatchApplier::AddToDay(const AccountId& merchant, uint32_t day, AssetId asset,
                            const std::string& terminal, const DayTotals& delta) {
  std::string bytes;
  DayReport running;
  if (working_.Get(keys::DayTotals(merchant, day), &bytes)) {
    std::optional<DayReport> decoded = DecodeDayReport(bytes);
    if (!decoded) Fatal(absl::StrCat("day totals of ", merchant.ToHex(), " are corrupt"));
    running = std::move(*decoded);
  } else {
    running.merchant = merchant;
    running.business_day = day;
    running.asset = asset;
  }
  for (DayTotals* totals : {&running.total, &running.by_terminal[terminal]}) {
    totals->payments += delta.payments;
    totals->gross += delta.gross;
    totals->cancels += delta.cancels;
    totals->cancelled += delta.cancelled;
    totals->refunded += delta.refunded;
  }
  working_.Put(keys::DayTotals(merchant, day), EncodeDayReport(running));
}

// A derived, reserved-id transfer through the ordinary path (balances, lots, history, journal).
Outcome BatchApplier::MoveDerived(char kind, const AccountId& merchant, std::string_view id,
                                  const AccountId& debit, const AccountId& credit, int64_t amount,
                                  uint32_t code, Timestamp at) {
  Transfer t;
  t.id = PosTransferId(kind, merchant, id);
  t.debit_account_id = debit;
  t.credit_account_id = credit;
  t.amount = amount;
  t.code = code;
  return Move(t, at);
}

void BatchApplier::RecordStaff(const PosPayment& p, const AccountId& wallet, const char* operation,
                               Result result, Timestamp at) {
  StaffOperation op{wallet,    at,           p.merchant, p.terminal, p.staff,
                    operation, p.payment_id, p.amount,   result};
  working_.Put(keys::StaffOperation(wallet, at), EncodeStaffOperation(op));
}

Outcome BatchApplier::Apply(const PosPayment& request, Timestamp at) {
  Outcome outcome{Result::kOk, false, at};
  auto fail = [&](Result r) {
    outcome.result = r;
    return outcome;
  };
  PosPayment p = request;
  std::optional<CpmCode> code;
  std::optional<CardRecord> card;
  if (Result payer = ResolvePayer(&p, &code, &card); payer != Result::kOk) return fail(payer);
  if (p.merchant.IsZero() || p.payer.IsZero()) return fail(Result::kIdMustNotBeZero);
  if (!ValidPosId(p.payment_id)) return fail(Result::kPosIdInvalid);
  if (!p.terminal.empty() && !ValidTerminalId(p.terminal)) return fail(Result::kTerminalIdInvalid);
  // A registered dynamic code fixes the amount and terminal; only a wallet pays it (pos.h).
  std::optional<MpmOrderRecord> order = LoadMpmOrder(p.merchant, p.payment_id);
  const Account* payer = working_.FindAccount(p.payer);
  if (order) {
    if (p.wallet_nonce == 0 || p.amount != order->request.amount || payer == nullptr ||
        payer->asset != order->asset ||
        (!p.terminal.empty() && p.terminal != order->request.terminal)) {
      return fail(Result::kMpmOrderMismatch);
    }
    p.terminal = order->request.terminal;
  }
  if (std::optional<PaymentRecord> existing = LoadPayment(p.merchant, p.payment_id)) {
    if (!existing->request.SameRequest(p)) return fail(Result::kExistsWithDifferentFields);
    return Outcome{existing->result, true, existing->timestamp};
  }
  if (order && at >= order->expires_at) return fail(Result::kMpmOrderExpired);
  // Refused before anything is used up: the id stays free and the customer's code unburnt.
  if (p.amount <= 0) return fail(Result::kAmountMustBePositive);
  if (p.amount > kAmountMax) return fail(Result::kAmountExceedsLimit);
  const Account* merchant = working_.FindAccount(p.merchant);
  if (merchant == nullptr) return fail(Result::kCreditAccountNotFound);
  if (merchant->kind != AccountKind::kMerchant) return fail(Result::kNotAMerchant);
  // The shop's account in the payer's asset (an unknown payer is refused by the transfer itself).
  const Account* shop = payer == nullptr ? merchant : AccountFor(*merchant, payer->asset);
  if (shop == nullptr) return fail(Result::kAssetNotAccepted);
  if (card) {
    if (Result pin = CheckCardPin(p, &*card, at); pin != Result::kOk) return fail(pin);
  }
  Result code_check = code ? CheckCode(*code, p.payer, at) : Result::kOk;
  if (code_check == Result::kOk &&
      !SpendNonce(p.payer, p.wallet_nonce, RequestNonceExpiry(p.request_ms))) {
    code_check = Result::kNonceReplayed;
  }
  if (code_check != Result::kOk) {
    outcome.result = code_check;
  } else {
    if (code)
      KeepNonce(p.payer, code->nonce,
                CodeNonceExpiry(*code, p.request_ms));  // Burned, whatever the payment's fate.
    outcome = MoveDerived('P', p.merchant, p.payment_id, p.payer, shop->id, p.amount,
                          kCodePosPayment, at);
  }
  RecordPayment(p, *merchant, *shop, outcome.result, card.has_value(), at);
  return outcome;
}

// Who pays (pos.h): the wallet of the customer's code or of the custodial card the payment carries,
// which must agree with a payer the request names. Fills `code` and `card`; kOk, or why not.
Result BatchApplier::ResolvePayer(PosPayment* p, std::optional<CpmCode>* code,
                                  std::optional<CardRecord>* card) {
  if (!p->cpm.empty()) {
    absl::StatusOr<CpmCode> decoded = DecodeCpm(p->cpm);
    if (!decoded.ok()) return Result::kCpmInvalid;
    const AccountId from_code = *Id128::FromBytes(decoded->account);
    if (!p->payer.IsZero() && p->payer != from_code) return Result::kPayerMismatch;
    p->payer = from_code;
    *code = std::move(*decoded);
  }
  if (!p->card.empty()) {
    if (code->has_value() || p->staff.empty() || p->staff.size() > kStaffIdLengthMax)
      return Result::kCardInvalid;
    *card = LoadCard(p->card);
    if (!card->has_value()) return Result::kCardNotFound;
    if (!p->payer.IsZero() && p->payer != (*card)->registration.wallet)
      return Result::kPayerMismatch;
    p->payer = (*card)->registration.wallet;
  }
  return Result::kOk;
}

// A card payment's card and PIN, each refusal recorded among the staff operations and deciding
// nothing.
Result BatchApplier::CheckCardPin(const PosPayment& p, CardRecord* card, Timestamp at) {
  // A re-issued card pays no more (pos.h): refused before its PIN, deciding nothing.
  if (card->replaced()) {
    RecordStaff(p, p.payer, "card replaced", Result::kCardReplaced, at);
    return Result::kCardReplaced;
  }
  // The PIN: a wrong one counts towards the lockout and decides nothing; the right one resets the
  // count.
  if (card->failed_attempts >= card->registration.attempts_max) {
    RecordStaff(p, p.payer, "card locked", Result::kCardLocked, at);
    return Result::kCardLocked;
  }
  if (p.pin_proof != card->registration.pin_proof) {
    if (!CountPinAttempt(p.card, p.attempt, at)) return Result::kPinInvalid;  // A replay: counted.
    ++card->failed_attempts;
    working_.Put(keys::Card(p.card), EncodeCardRecord(*card));
    RecordStaff(p, p.payer, "wrong PIN", Result::kPinInvalid, at);
    return Result::kPinInvalid;
  }
  if (card->failed_attempts != 0) {
    card->failed_attempts = 0;
    working_.Put(keys::Card(p.card), EncodeCardRecord(*card));
  }
  return Result::kOk;
}

// A decided payment's record, captured or refused; a captured one counts in the shop's day and
// earns the campaigns' awards.
void BatchApplier::RecordPayment(const PosPayment& p, const Account& merchant, const Account& shop,
                                 Result result, bool by_card, Timestamp at) {
  PaymentRecord record;
  record.request = p;
  record.asset = shop.asset;
  record.timestamp = at;
  record.business_day = OpenDayFrom(p.merchant, BusinessDayIndex(at));
  record.result = result;
  record.state = result == Result::kOk ? PaymentState::kCaptured : PaymentState::kRefused;
  working_.Put(keys::Payment(p.merchant, p.payment_id), EncodePaymentRecord(record));
  if (by_card) RecordStaff(p, p.payer, "card payment", result, at);
  if (result == Result::kOk) {
    AddToDay(shop.id, record.business_day, record.asset, p.terminal,
             DayTotals{1, p.amount, 0, 0, 0});
    Account paid_to = merchant;  // The shop as campaigns see it: its category, the payment's asset.
    paid_to.asset = shop.asset;
    AwardCampaigns(p, paid_to, at);
  }
}

Outcome BatchApplier::Apply(const PosRefund& r, Timestamp at) {
  Outcome outcome{Result::kOk, false, at};
  auto fail = [&](Result result) {
    outcome.result = result;
    return outcome;
  };
  if (r.merchant.IsZero()) return fail(Result::kIdMustNotBeZero);
  if (!ValidPosId(r.payment_id) || !ValidPosId(r.refund_id)) return fail(Result::kPosIdInvalid);
  std::string bytes;
  if (working_.Get(keys::Refund(r.merchant, r.refund_id), &bytes)) {
    std::optional<RefundRecord> existing = DecodeRefundRecord(bytes);
    if (!existing) Fatal(absl::StrCat("refund record of ", r.merchant.ToHex(), " is corrupt"));
    if (!existing->request.SameRequest(r)) return fail(Result::kExistsWithDifferentFields);
    return Outcome{existing->result, true, existing->timestamp};
  }
  std::optional<PaymentRecord> payment = LoadPayment(r.merchant, r.payment_id);
  AccountId paid_to;  // The account the payment went to, once the refund is allowed.
  if (!payment || payment->state == PaymentState::kRefused) {
    outcome.result = Result::kPaymentNotFound;
  } else if (payment->state == PaymentState::kCancelled) {
    outcome.result = Result::kPaymentCancelled;
  } else if (r.amount <= 0) {
    outcome.result = Result::kAmountMustBePositive;
  } else if (r.amount > payment->request.amount - payment->refunded) {
    outcome.result = Result::kRefundExceedsPayment;
  } else {
    paid_to = PaidTo(r.merchant, r.payment_id);
    outcome = MoveDerived('R', r.merchant, r.refund_id, paid_to, payment->request.payer, r.amount,
                          kCodePosRefund, at);
  }
  RefundRecord record{r, at, outcome.result};
  working_.Put(keys::Refund(r.merchant, r.refund_id), EncodeRefundRecord(record));
  if (outcome.result == Result::kOk) {
    payment->refunded += r.amount;
    working_.Put(keys::Payment(r.merchant, r.payment_id), EncodePaymentRecord(*payment));
    AddToDay(paid_to, OpenDayFrom(r.merchant, BusinessDayIndex(at)), payment->asset,
             payment->request.terminal, DayTotals{0, 0, 0, 0, r.amount});
    ClawBack(r.merchant, r.payment_id, payment->refunded, r.refund_id);
  }
  return outcome;
}

Outcome BatchApplier::Apply(const PosCancel& c, Timestamp at) {
  Outcome outcome{Result::kOk, false, at};
  auto fail = [&](Result r) {
    outcome.result = r;
    return outcome;
  };
  if (!ValidPosId(c.payment_id)) return fail(Result::kPosIdInvalid);
  std::optional<PaymentRecord> payment = LoadPayment(c.merchant, c.payment_id);
  if (!payment || payment->state == PaymentState::kRefused) return fail(Result::kPaymentNotFound);
  if (payment->state == PaymentState::kCancelled)
    return Outcome{Result::kOk, true, payment->cancelled_at};
  if (payment->refunded > 0) return fail(Result::kPaymentRefunded);
  if (BusinessDay(at) > payment->business_day || DayClosed(c.merchant, payment->business_day)) {
    return fail(Result::kDayClosed);
  }
  const AccountId paid_to = PaidTo(c.merchant, c.payment_id);
  outcome = MoveDerived('C', c.merchant, c.payment_id, paid_to, payment->request.payer,
                        payment->request.amount, kCodePosCancel, at);
  if (outcome.result != Result::kOk) return outcome;
  payment->state = PaymentState::kCancelled;
  payment->cancelled_at = at;
  working_.Put(keys::Payment(c.merchant, c.payment_id), EncodePaymentRecord(*payment));
  AddToDay(paid_to, payment->business_day, payment->asset, payment->request.terminal,
           DayTotals{0, 0, 1, payment->request.amount, 0});
  ClawBack(c.merchant, c.payment_id, payment->request.amount, "");
  return outcome;
}

Outcome BatchApplier::Apply(const PosCloseDay& c, Timestamp at) {
  Outcome outcome{Result::kOk, false, at};
  const uint32_t day = c.business_day;
  const uint32_t month = day / 100 % 100, date = day % 100;
  if (day < 19700101 || month < 1 || month > 12 || date < 1 || date > 31 || day > BusinessDay(at)) {
    outcome.result = Result::kBusinessDayInvalid;
    return outcome;
  }
  const Account* merchant = working_.FindAccount(c.merchant);
  if (merchant == nullptr) {
    outcome.result = Result::kAccountNotFound;
    return outcome;
  }
  if (merchant->kind != AccountKind::kMerchant) {
    outcome.result = Result::kNotAMerchant;
    return outcome;
  }
  std::string bytes;
  if (working_.Get(keys::DayReport(c.merchant, day), &bytes)) {
    std::optional<DayReport> closed = DecodeDayReport(bytes);
    if (!closed) Fatal(absl::StrCat("day report of ", c.merchant.ToHex(), " is corrupt"));
    return Outcome{Result::kOk, true, closed->closed_at};
  }
  FreezeDay(*merchant, day, at);
  if (std::optional<MerchantProfile> profile = LoadProfile(c.merchant)) {
    for (const AccountId& id : profile->profile.accepts) {
      const Account* other = working_.FindAccount(id);
      if (other != nullptr && !DayClosed(id, day)) FreezeDay(*other, day, at);
    }
  }
  return outcome;
}

// The running totals of (account, day) become its closed report.
void BatchApplier::FreezeDay(const Account& account, uint32_t day, Timestamp at) {
  std::string bytes;
  DayReport report;
  if (working_.Get(keys::DayTotals(account.id, day), &bytes)) {
    std::optional<DayReport> running = DecodeDayReport(bytes);
    if (!running) Fatal(absl::StrCat("day totals of ", account.id.ToHex(), " are corrupt"));
    report = std::move(*running);
  } else {
    report.merchant = account.id;
    report.business_day = day;
    report.asset = account.asset;
  }
  report.closed_at = at;
  working_.Put(keys::DayReport(account.id, day), EncodeDayReport(report));
}

bool BatchApplier::AccountIs(const AccountId& id, AccountKind kind, AssetId asset) {
  const Account* account = working_.FindAccount(id);
  return account != nullptr && account->kind == kind && account->asset == asset;
}

Outcome BatchApplier::Apply(const PosFees& f, Timestamp at) {
  Outcome outcome{Result::kOk, false, at};
  if (working_.FindAsset(f.asset) == nullptr) {
    outcome.result = Result::kAssetNotFound;
  } else if (!AccountIs(f.issuer, AccountKind::kIssuer, f.asset) ||
             !AccountIs(f.fee_account, AccountKind::kFee, f.asset) ||
             f.cashout_bps >= kBasisPointsMax || f.member_cashout_bps >= kBasisPointsMax ||
             f.supplier_bps >= kBasisPointsMax) {
    outcome.result = Result::kFeeScheduleInvalid;
  } else {
    working_.Put(keys::Fees(f.asset), EncodeFees(f));
  }
  return outcome;
}

std::optional<PosFees> BatchApplier::LoadFees(AssetId asset) {
  std::string bytes;
  if (!working_.Get(keys::Fees(asset), &bytes)) return std::nullopt;
  std::optional<PosFees> fees = DecodeFees(bytes);
  if (!fees) Fatal(absl::StrCat("fee schedule of asset ", asset, " is corrupt"));
  return fees;
}

// `principal` from `from` to `to` and `fee` from `from` to the fee account, both or neither. The
// fee transfer is recorded as a system event of the entry (the change stream shows it).
Outcome BatchApplier::MoveWithFee(char kind, const AccountId& owner, const std::string& id,
                                  const AccountId& from, const AccountId& to, int64_t principal,
                                  uint32_t code, const PosFees& fees, int64_t fee, Timestamp at) {
  working_.BeginScope();
  Outcome outcome = MoveDerived(kind, owner, id, from, to, principal, code, at);
  if (outcome.result == Result::kOk && fee > 0) {
    const Timestamp fee_at = Tick();
    const char fee_kind = static_cast<char>(kind | 0x20);  // 'O' -> 'o', 'S' -> 's'.
    Outcome fee_outcome =
        MoveDerived(fee_kind, owner, id, from, fees.fee_account, fee, kCodeFee, fee_at);
    if (fee_outcome.result != Result::kOk) {
      outcome.result = fee_outcome.result;
    } else {
      entry_.system_events.push_back({SystemEventType::kFee, PosTransferId(fee_kind, owner, id),
                                      from, fees.fee_account, fees.asset, fee, fee_at});
    }
  }
  if (outcome.result == Result::kOk) {
    working_.CommitScope();
  } else {
    working_.RollbackScope();
    outcome = Outcome{outcome.result, false, at};
  }
  return outcome;
}

// Shared by cash-outs and supplier payments: validation, idempotency, fee, record.
// `member`: the register lists the account as a chamber member; `claimed`: the request asked for
// the member rate (refused, deciding nothing, unless `member`).
template <typename Request>
Outcome BatchApplier::FeeCommand(const Request& request, const AccountId& account,
                                 const std::string& id, const AccountId& counterparty_requested,
                                 bool member, bool claimed, std::string record_key, char kind,
                                 uint32_t code, Timestamp at) {
  Outcome outcome{Result::kOk, false, at};
  if (!ValidPosId(id)) {
    outcome.result = Result::kPosIdInvalid;
    return outcome;
  }
  std::string bytes;
  if (working_.Get(record_key, &bytes)) {
    std::optional<FeeRecord> existing = DecodeFeeRecord(bytes);
    if (!existing) Fatal(absl::StrCat("fee record of ", account.ToHex(), " is corrupt"));
    const bool same =
        existing->amount == request.amount && (!claimed || existing->member) &&
        (counterparty_requested.IsZero() || existing->counterparty == counterparty_requested);
    if (!same) {
      outcome.result = Result::kExistsWithDifferentFields;
      return outcome;
    }
    return Outcome{existing->result, true, existing->timestamp};
  }
  if (claimed && !member) {
    outcome.result = Result::kNotAChamberMember;
    return outcome;
  }
  const Account* owner = working_.FindAccount(account);
  if (owner == nullptr || owner->kind != AccountKind::kMerchant) {
    outcome.result = owner == nullptr ? Result::kAccountNotFound : Result::kNotAMerchant;
    return outcome;
  }
  FeeRecord record;
  record.account = account;
  record.id = id;
  record.amount = request.amount;
  record.member = member;
  record.timestamp = at;
  const std::optional<PosFees> fees = LoadFees(owner->asset);
  const AccountId counterparty =
      counterparty_requested.IsZero() && fees ? fees->issuer : counterparty_requested;
  record.counterparty = counterparty;
  if (!fees) {
    outcome.result = Result::kFeesNotSet;
  } else if (request.amount <= 0) {
    outcome.result = Result::kAmountMustBePositive;
  } else if (request.amount > kAmountMax) {
    outcome.result = Result::kAmountExceedsLimit;
  } else if (!counterparty_requested.IsZero() &&
             !AccountIs(counterparty, AccountKind::kMerchant, owner->asset)) {
    outcome.result = working_.FindAccount(counterparty) == nullptr ? Result::kCreditAccountNotFound
                                                                   : Result::kNotAMerchant;
  } else {
    const bool cashout = counterparty_requested.IsZero();
    record.bps =
        cashout ? (member ? fees->member_cashout_bps : fees->cashout_bps) : fees->supplier_bps;
    record.fee = FeeOf(request.amount, record.bps);
    // A cash-out takes the fee out of the amount; a supplier payment adds it on top for the payer.
    const int64_t principal = cashout ? request.amount - record.fee : request.amount;
    outcome = MoveWithFee(kind, account, id, account, counterparty, principal, code, *fees,
                          record.fee, at);
  }
  record.result = outcome.result;
  working_.Put(std::move(record_key), EncodeFeeRecord(record));
  return outcome;
}

Outcome BatchApplier::Apply(const PosCashOut& c, Timestamp at) {
  return FeeCommand(c, c.merchant, c.cashout_id, AccountId{}, ChamberMember(c.merchant), c.member,
                    keys::CashOut(c.merchant, c.cashout_id), 'O', kCodeCashOut, at);
}

Outcome BatchApplier::Apply(const PosSupplierPayment& p, Timestamp at) {
  if (p.supplier.IsZero()) return Outcome{Result::kIdMustNotBeZero, false, at};
  return FeeCommand(p, p.payer, p.payment_id, p.supplier, false, false,
                    keys::SupplierPayment(p.payer, p.payment_id), 'S', kCodeSupplierPayment, at);
}

}  // namespace ledger
