// Health mileage: records, rules that need no state, derived ids. See health.h; layouts in
// ledger/FORMAT.md.
#include "ledger/core/health.h"

#include "absl/strings/str_cat.h"
#include "ledger/core/batch_applier.h"
#include "ledger/core/command.h"
#include "ledger/core/kv.h"
#include "ledger/core/limits.h"
#include "ledger/core/pos.h"

namespace ledger {
namespace {

constexpr uint8_t kVersion = 1;

void AppendLittleEndian(uint64_t value, int bytes, std::string* out) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>(value >> (8 * i)));
}

}  // namespace

std::string StepReportSignedBytes(uint32_t program, const AccountId& resident,
                                  std::string_view device_id, uint32_t day, uint32_t steps,
                                  uint64_t nonce) {
  std::string out = "ledger-steps-v1";
  out.push_back('\0');
  AppendLittleEndian(program, 4, &out);
  out += resident.ToBytes();
  out.push_back(static_cast<char>(device_id.size()));
  out += device_id;
  AppendLittleEndian(day, 4, &out);
  AppendLittleEndian(steps, 4, &out);
  AppendLittleEndian(nonce, 8, &out);
  return out;
}

std::string StepCommitment(std::string_view salt, uint32_t steps, std::string_view signature) {
  std::string input(salt);
  AppendLittleEndian(steps, 4, &input);
  input += signature;
  return Blake2b256(input);
}

uint32_t PointsForSteps(const HealthProgram& program, uint32_t steps) {
  uint32_t points = 0;
  for (const StepTier& tier : program.tiers) {
    if (steps >= tier.steps_min) points = std::max(points, tier.points);
  }
  return std::min(points, program.daily_cap);
}

std::string HealthProgramProblem(const HealthProgram& p) {
  if (p.program == 0) return "program: must be positive";
  if (!DayIndexOf(p.effective_day))
    return absl::StrCat("effective_day: ", p.effective_day, " is not a yyyymmdd date");
  if (p.funding.IsZero()) return "funding: the BUDGET account paying the points is required";
  if (p.tiers.empty() || p.tiers.size() > kStepTiersMax) {
    return absl::StrCat("tiers: ", p.tiers.size(), " tiers; 1 to ", kStepTiersMax);
  }
  for (size_t i = 0; i < p.tiers.size(); ++i) {
    if (p.tiers[i].points == 0 || p.tiers[i].steps_min == 0)
      return absl::StrCat("tiers[", i, "]: steps and points must be positive");
    if (i > 0 && (p.tiers[i].steps_min <= p.tiers[i - 1].steps_min ||
                  p.tiers[i].points <= p.tiers[i - 1].points)) {
      return absl::StrCat("tiers[", i, "]: steps and points must both rise from the tier before");
    }
  }
  if (p.daily_cap == 0) return "daily_cap: must be positive";
  if ((p.bonus_days == 0) != (p.bonus_points == 0) || p.bonus_days > 31) {
    return "bonus_days, bonus_points: both zero (no bonus) or both positive, bonus_days at most 31";
  }
  if (p.steps_max == 0 || p.steps_max > 1'000'000) return "steps_max: 1 to 1,000,000";
  if (p.report_window_days > kReportWindowDaysMax) {
    return absl::StrCat("report_window_days: at most ", kReportWindowDaysMax);
  }
  const bool exchange = p.exchange_points > 0 || p.exchange_coin > 0 ||
                        !p.exchange_retire.IsZero() || !p.coin_funding.IsZero();
  if (exchange && (p.exchange_points == 0 || p.exchange_coin <= 0 || p.exchange_coin > kAmountMax ||
                   p.exchange_retire.IsZero() || p.coin_funding.IsZero())) {
    return "exchange: exchange_points, exchange_coin, exchange_retire and coin_funding all set, or "
           "none";
  }
  return "";
}

const HealthProgram* VersionOn(const std::vector<HealthProgram>& versions, uint32_t day) {
  const HealthProgram* found = nullptr;
  for (const HealthProgram& version : versions) {
    if (version.effective_day <= day) found = &version;
  }
  return found;
}

std::optional<int64_t> DayIndexOf(uint32_t yyyymmdd) {
  const int64_t year = yyyymmdd / 10000, month = yyyymmdd / 100 % 100, day = yyyymmdd % 100;
  if (year < 1970 || month < 1 || month > 12 || day < 1 || day > 31) return std::nullopt;
  // Days from civil (proleptic Gregorian), integer only; the inverse of DayNumber.
  const int64_t y = year - (month <= 2);
  const int64_t era = y / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const int64_t index = era * 146097 + doe - 719468;
  if (DayNumber(index) != yyyymmdd) return std::nullopt;  // e.g. 20260231.
  return index;
}

TransferId HealthTransferId(char kind, const AccountId& resident, std::string_view id) {
  // The POS derivation with its own domain: "ledger-pos-v1" + kind, and health kinds are distinct
  // letters.
  return PosTransferId(kind, resident, "health/" + std::string(id));
}

TransferId HealthAwardId(const StepReport& report) {
  return HealthTransferId('A', report.resident,
                          absl::StrCat(report.program, "/", report.day, "/", report.nonce));
}

// Record field lists (codec.h). Health programs and watch-over settings are written as their
// commands' fields (command.h).
constexpr auto kHealthVersionsFields = [](auto& io, auto& versions) {
  io.Vec(versions, static_cast<uint32_t>(kHealthVersionsMax));
};
constexpr auto kDailyAwardFields = [](auto& io, auto& a) {
  io(a.points, a.program, a.effective_day, a.timestamp);
};
constexpr auto kMonthlyTallyFields = [](auto& io, auto& t) {
  io(t.qualifying_days, t.bonus_points);
};
constexpr auto kStepRecordFields = [](auto& io, auto& r) {
  io(r.steps, r.device_id, r.salt, r.timestamp);
};
constexpr auto kDeviceRecordFields = [](auto& io, auto& r) {
  io(r.public_key, r.revoked, r.registered, r.revoked_at);
};
constexpr auto kConsentRecordFields = [](auto& io, auto& r) { io(r.granted, r.timestamp); };
constexpr auto kExchangeRecordFields = [](auto& io, auto& r) {  // The request without its nonce.
  io(r.request.program, r.request.resident, r.request.coin_wallet, r.request.points,
     r.request.exchange_id, r.coin, r.result, r.timestamp);
};
constexpr auto kWatchConfigFields = [](auto& io, auto& c) {
  io(c.settings, c.next_day, c.alerts, c.timestamp);
};
constexpr auto kAlertRecordFields = [](auto& io, auto& a) {
  io(a.seq, a.kind, a.day, a.days_silent, a.percent_of_baseline, a.raised_at, a.acknowledged_by,
     a.acknowledged_at);
};

std::string EncodeHealthVersions(const std::vector<HealthProgram>& versions) {
  return EncodeRecord(kVersion, versions, kHealthVersionsFields);
}
std::optional<std::vector<HealthProgram>> DecodeHealthVersions(std::string_view bytes) {
  return DecodeRecord<std::vector<HealthProgram>>(bytes, kVersion, kHealthVersionsFields);
}

std::string EncodeDailyAward(const DailyAward& a) {
  return EncodeRecord(kVersion, a, kDailyAwardFields);
}
std::optional<DailyAward> DecodeDailyAward(std::string_view bytes) {
  return DecodeRecord<DailyAward>(bytes, kVersion, kDailyAwardFields);
}

std::string EncodeMonthlyTally(const MonthlyTally& t) {
  return EncodeRecord(kVersion, t, kMonthlyTallyFields);
}
std::optional<MonthlyTally> DecodeMonthlyTally(std::string_view bytes) {
  return DecodeRecord<MonthlyTally>(bytes, kVersion, kMonthlyTallyFields);
}

std::string EncodeStepRecord(const StepRecord& r) {
  return EncodeRecord(kVersion, r, kStepRecordFields);
}
std::optional<StepRecord> DecodeStepRecord(std::string_view bytes) {
  return DecodeRecord<StepRecord>(bytes, kVersion, kStepRecordFields);
}

std::string EncodeDeviceRecord(const DeviceRecord& r) {
  return EncodeRecord(kVersion, r, kDeviceRecordFields);
}
std::optional<DeviceRecord> DecodeDeviceRecord(std::string_view bytes) {
  return DecodeRecord<DeviceRecord>(bytes, kVersion, kDeviceRecordFields);
}

std::string EncodeConsentRecord(const ConsentRecord& r) {
  return EncodeRecord(kVersion, r, kConsentRecordFields);
}
std::optional<ConsentRecord> DecodeConsentRecord(std::string_view bytes) {
  return DecodeRecord<ConsentRecord>(bytes, kVersion, kConsentRecordFields);
}

std::string EncodeExchangeRecord(const ExchangeRecord& r) {
  return EncodeRecord(kVersion, r, kExchangeRecordFields);
}
std::optional<ExchangeRecord> DecodeExchangeRecord(std::string_view bytes) {
  return DecodeRecord<ExchangeRecord>(bytes, kVersion, kExchangeRecordFields);
}

std::string EncodeWatchConfig(const WatchConfig& c) {
  return EncodeRecord(kVersion, c, kWatchConfigFields);
}
std::optional<WatchConfig> DecodeWatchConfig(std::string_view bytes) {
  return DecodeRecord<WatchConfig>(bytes, kVersion, kWatchConfigFields);
}

std::string EncodeAlertRecord(const AlertRecord& a) {
  return EncodeRecord(kVersion, a, kAlertRecordFields);
}
std::optional<AlertRecord> DecodeAlertRecord(std::string_view bytes) {
  return DecodeRecord<AlertRecord>(bytes, kVersion, kAlertRecordFields);
}

}  // namespace ledger

// ===== Health mileage applied =====
// The BatchApplier's Apply overloads for these commands and their rules (batch_applier.h).

namespace ledger {

std::vector<HealthProgram> BatchApplier::LoadHealthVersions(uint32_t program) {
  std::string bytes;
  if (!working_.Get(keys::HealthProgram(program), &bytes)) return {};
  std::optional<std::vector<HealthProgram>> versions = DecodeHealthVersions(bytes);
  if (!versions) Fatal(absl::StrCat("health program ", program, " record is corrupt"));
  return std::move(*versions);
}

// Until when a step report's device nonce must be kept: from the start of the business day after
// the report's day + report_window_days on, the report is report_day_too_old whatever its nonce.
// The version in effect on the report's day is the one used: once that day has begun no version can
// replace it (SetProgram: changes start tomorrow at the earliest), so its window cannot grow later.
Timestamp BatchApplier::ReportNonceExpiry(int64_t day, const HealthProgram& program,
                                          uint64_t request_ms) {
  if (request_ms == 0) return 0;
  return BusinessDayStart(day + static_cast<int64_t>(program.report_window_days) + 1);
}

Outcome BatchApplier::Apply(const SetHealthProgram& command, Timestamp at) {
  Outcome outcome{Result::kOk, false, at};
  HealthProgram p = command.program;
  p.timestamp = 0;
  if (!HealthProgramProblem(p).empty()) {
    outcome.result = Result::kHealthProgramInvalid;
    return outcome;
  }
  // The accounts: points BUDGET funding; for the exchange, a retire account of the points asset and
  // a coin account.
  const Account* funding = working_.FindAccount(p.funding);
  if (funding == nullptr) {
    outcome.result = Result::kAccountNotFound;
    return outcome;
  }
  if (funding->kind != AccountKind::kBudget) {
    outcome.result = Result::kKindInvalid;
    return outcome;
  }
  if (p.offers_exchange()) {
    const Account* retire = working_.FindAccount(p.exchange_retire);
    const Account* coin = working_.FindAccount(p.coin_funding);
    if (retire == nullptr || coin == nullptr) {
      outcome.result = Result::kAccountNotFound;
      return outcome;
    }
    if (retire->asset != funding->asset || coin->asset == funding->asset) {
      outcome.result = Result::kAssetMismatch;
      return outcome;
    }
  }
  std::vector<HealthProgram> versions = LoadHealthVersions(p.program);
  const uint32_t today = BusinessDay(at);
  auto same_day = std::find_if(versions.begin(), versions.end(), [&](const HealthProgram& v) {
    return v.effective_day == p.effective_day;
  });
  if (same_day != versions.end()) {
    HealthProgram existing = *same_day;
    const Timestamp set_at = existing.timestamp;
    existing.timestamp = 0;
    if (existing == p) return Outcome{Result::kOk, true, set_at};
  }
  // Past awards are never recomputed: after the first version, changes start tomorrow at the
  // earliest.
  if (!versions.empty() && p.effective_day <= today) {
    outcome.result = Result::kEffectiveDayInvalid;
    return outcome;
  }
  p.timestamp = at;
  if (same_day != versions.end()) {
    *same_day = p;
  } else {
    if (versions.size() >= kHealthVersionsMax) {
      outcome.result = Result::kHealthProgramInvalid;
      return outcome;
    }
    versions.push_back(p);
    std::sort(versions.begin(), versions.end(), [](const HealthProgram& a, const HealthProgram& b) {
      return a.effective_day < b.effective_day;
    });
  }
  working_.Put(keys::HealthProgram(p.program), EncodeHealthVersions(versions));
  return outcome;
}

// The resident's account as a points wallet of `asset` (kOk), or why not.
Result BatchApplier::CheckResident(const AccountId& resident, AssetId asset) {
  const Account* account = working_.FindAccount(resident);
  if (account == nullptr) return Result::kAccountNotFound;
  if (account->kind != AccountKind::kWallet) return Result::kKindInvalid;
  if (asset != 0 && account->asset != asset) return Result::kAssetMismatch;
  return Result::kOk;
}

std::optional<DeviceRecord> BatchApplier::LoadDevice(const AccountId& resident,
                                                     std::string_view device_id) {
  std::string bytes;
  if (!working_.Get(keys::Device(resident, device_id), &bytes)) return std::nullopt;
  std::optional<DeviceRecord> device = DecodeDeviceRecord(bytes);
  if (!device) Fatal("device record is corrupt");
  return device;
}

Outcome BatchApplier::Apply(const RegisterDevice& r, Timestamp at) {
  Outcome outcome{Result::kOk, false, at};
  auto fail = [&](Result result) {
    outcome.result = result;
    return outcome;
  };
  if (r.device_id.empty() || r.device_id.size() > kDeviceIdLengthMax || !ValidPosId(r.device_id)) {
    return fail(Result::kDeviceIdInvalid);
  }
  if (Result resident = CheckResident(r.resident, 0); resident != Result::kOk)
    return fail(resident);
  std::optional<DeviceRecord> device = LoadDevice(r.resident, r.device_id);
  if (r.revoke) {
    if (!device) return fail(Result::kDeviceNotFound);
    if (device->revoked) return Outcome{Result::kOk, true, device->revoked_at};
    if (!SpendNonce(r.resident, r.nonce, RequestNonceExpiry(r.request_ms)))
      return fail(Result::kNonceReplayed);
    device->revoked = true;
    device->revoked_at = at;
  } else {
    if (r.public_key.size() != kEd25519PublicKeyBytes) return fail(Result::kPublicKeyInvalid);
    if (device) {
      if (device->public_key != r.public_key) return fail(Result::kExistsWithDifferentFields);
      return Outcome{device->revoked ? Result::kDeviceRevoked : Result::kOk, true,
                     device->registered};
    }
    if (!SpendNonce(r.resident, r.nonce, RequestNonceExpiry(r.request_ms)))
      return fail(Result::kNonceReplayed);
    device = DeviceRecord{r.public_key, false, at, 0};
  }
  working_.Put(keys::Device(r.resident, r.device_id), EncodeDeviceRecord(*device));
  return outcome;
}

bool BatchApplier::Consented(const AccountId& resident, ConsentPurpose purpose) {
  std::string bytes;
  if (!working_.Get(keys::Consent(resident, static_cast<uint8_t>(purpose)), &bytes)) return false;
  std::optional<ConsentRecord> consent = DecodeConsentRecord(bytes);
  if (!consent) Fatal("consent record is corrupt");
  return consent->granted;
}

Outcome BatchApplier::Apply(const SetConsent& c, Timestamp at) {
  Outcome outcome{Result::kOk, false, at};
  if (c.purpose == 0 || c.purpose > kConsentPurposeMax) {
    outcome.result = Result::kPurposeInvalid;
  } else if (Result resident = CheckResident(c.resident, 0); resident != Result::kOk) {
    outcome.result = resident;
  } else if (!SpendNonce(c.resident, c.nonce, RequestNonceExpiry(c.request_ms))) {
    outcome.result = Result::kNonceReplayed;
  } else {
    working_.Put(keys::Consent(c.resident, c.purpose),
                 EncodeConsentRecord(ConsentRecord{c.granted, at}));
  }
  return outcome;
}

Outcome BatchApplier::Apply(const StepReport& r, Timestamp at) {
  Outcome outcome{Result::kOk, false, at};
  auto fail = [&](Result result) {
    outcome.result = result;
    return outcome;
  };
  const std::vector<HealthProgram> versions = LoadHealthVersions(r.program);
  const HealthProgram* program = VersionOn(versions, r.day);
  if (program == nullptr) return fail(Result::kHealthProgramNotFound);
  int64_t day = 0;
  if (Result check = CheckStepReport(r, *program, at, &day); check != Result::kOk)
    return fail(check);

  // The award: the day's points under the version in effect that day, less what the day already
  // got.
  DailyAward award;
  std::string bytes;
  if (working_.Get(keys::DailyAward(r.resident, r.day), &bytes)) {
    std::optional<DailyAward> stored = DecodeDailyAward(bytes);
    if (!stored) Fatal("daily award record is corrupt");
    award = *stored;
  }
  const uint32_t points = PointsForSteps(*program, r.steps);
  const uint32_t delta = points > award.points ? points - award.points : 0;
  MonthlyTally tally;
  const uint32_t month = r.day / 100;
  if (working_.Get(keys::MonthlyTally(r.resident, month), &bytes)) {
    std::optional<MonthlyTally> stored = DecodeMonthlyTally(bytes);
    if (!stored) Fatal("monthly tally record is corrupt");
    tally = *stored;
  }
  uint32_t bonus = 0;
  const bool newly_qualifying = award.points == 0 && points > 0;
  if (newly_qualifying) {
    ++tally.qualifying_days;
    if (program->bonus_days > 0 && tally.qualifying_days == program->bonus_days &&
        tally.bonus_points == 0) {
      bonus = program->bonus_points;
      tally.bonus_points = bonus;
    }
  }
  if (delta + bonus > 0) {
    Transfer t;
    t.id = HealthAwardId(r);
    t.debit_account_id = program->funding;
    t.credit_account_id = r.resident;
    t.amount = delta + bonus;
    t.code = kCodeHealthAward;
    outcome = Move(t, at);
    if (outcome.result != Result::kOk)
      return fail(outcome.result);  // e.g. the budget is exhausted.
    award.points += delta;
    award.program = program->program;
    award.effective_day = program->effective_day;
    award.timestamp = at;
    working_.Put(keys::DailyAward(r.resident, r.day), EncodeDailyAward(award));
    if (newly_qualifying)
      working_.Put(keys::MonthlyTally(r.resident, month), EncodeMonthlyTally(tally));
  }
  KeepNonce(r.resident, r.nonce, ReportNonceExpiry(day, *program, r.request_ms));
  KeepHighestSteps(r, at);
  return outcome;
}

// A step report's checks before its award: the resident's wallet, the device and its signature, the
// one-time nonce, consent to earning, the day (a valid one, not in the future, within the report
// window) and the count. On kOk, `day_index` holds the report's day.
Result BatchApplier::CheckStepReport(const StepReport& r, const HealthProgram& program,
                                     Timestamp at, int64_t* day_index) {
  const Account* funding = working_.FindAccount(program.funding);
  CORE_CHECK(funding != nullptr);
  if (Result resident = CheckResident(r.resident, funding->asset); resident != Result::kOk)
    return resident;
  std::optional<DeviceRecord> device = LoadDevice(r.resident, r.device_id);
  if (!device) return Result::kDeviceNotFound;
  if (device->revoked) return Result::kDeviceRevoked;
  const std::string signed_bytes =
      StepReportSignedBytes(r.program, r.resident, r.device_id, r.day, r.steps, r.nonce);
  if (r.signature.size() != crypto_sign_BYTES ||
      crypto_sign_verify_detached(
          reinterpret_cast<const unsigned char*>(r.signature.data()),
          reinterpret_cast<const unsigned char*>(signed_bytes.data()), signed_bytes.size(),
          reinterpret_cast<const unsigned char*>(device->public_key.data())) != 0) {
    return Result::kSignatureInvalid;
  }
  std::string unused;
  if (r.nonce == 0 || working_.Get(keys::Nonce(r.resident, r.nonce), &unused))
    return Result::kNonceReplayed;
  if (!Consented(r.resident, ConsentPurpose::kEarning)) return Result::kConsentRequired;
  const std::optional<int64_t> day = DayIndexOf(r.day);
  if (!day) return Result::kBusinessDayInvalid;
  const int64_t today = BusinessDayIndex(at);
  if (*day > today) return Result::kReportDayInFuture;
  if (*day < today - static_cast<int64_t>(program.report_window_days))
    return Result::kReportDayTooOld;
  if (r.steps > program.steps_max) return Result::kStepsImplausible;
  *day_index = *day;
  return Result::kOk;
}

// The health data, apart from the money: the day's highest count (what watch-over reads).
void BatchApplier::KeepHighestSteps(const StepReport& r, Timestamp at) {
  std::string bytes;
  StepRecord record;
  if (working_.Get(keys::StepRecord(r.resident, r.day), &bytes)) {
    std::optional<StepRecord> stored = DecodeStepRecord(bytes);
    if (!stored) Fatal("step record is corrupt");
    record = std::move(*stored);
  }
  if (record.timestamp == 0 || r.steps > record.steps) {
    working_.Put(keys::StepRecord(r.resident, r.day),
                 EncodeStepRecord(StepRecord{r.steps, r.device_id, r.salt, at}));
  }
}

Outcome BatchApplier::Apply(const EraseStepData& e, Timestamp at) {
  Outcome outcome{Result::kOk, false, at};
  if (Result resident = CheckResident(e.resident, 0); resident != Result::kOk) {
    outcome.result = resident;
    return outcome;
  }
  if (!SpendNonce(e.resident, e.nonce, RequestNonceExpiry(e.request_ms))) {
    outcome.result = Result::kNonceReplayed;
    return outcome;
  }
  // The step records and the alerts inferred from them.
  for (char table : {keys::kStepRecord, keys::kAlert}) {
    const std::string prefix = keys::ResidentPrefix(table, e.resident);
    for (const std::string& key : working_.KeysWithPrefix(prefix)) working_.Delete(key);
  }
  return outcome;
}

Outcome BatchApplier::Apply(const ExchangePoints& x, Timestamp at) {
  Outcome outcome{Result::kOk, false, at};
  auto fail = [&](Result result) {
    outcome.result = result;
    return outcome;
  };
  if (!ValidPosId(x.exchange_id)) return fail(Result::kPosIdInvalid);
  std::string bytes;
  const std::string record_key = keys::Exchange(x.resident, x.exchange_id);
  if (working_.Get(record_key, &bytes)) {
    std::optional<ExchangeRecord> existing = DecodeExchangeRecord(bytes);
    if (!existing) Fatal("exchange record is corrupt");
    const ExchangePoints& was = existing->request;
    if (was.program != x.program || was.coin_wallet != x.coin_wallet || was.points != x.points) {
      return fail(Result::kExistsWithDifferentFields);
    }
    return Outcome{existing->result, true, existing->timestamp};
  }
  const std::vector<HealthProgram> versions = LoadHealthVersions(x.program);
  const HealthProgram* program = VersionOn(versions, BusinessDay(at));
  if (program == nullptr) return fail(Result::kHealthProgramNotFound);
  if (!program->offers_exchange()) return fail(Result::kExchangeNotOffered);
  const Account* funding = working_.FindAccount(program->funding);
  const Account* coin_funding = working_.FindAccount(program->coin_funding);
  CORE_CHECK(funding != nullptr && coin_funding != nullptr);
  if (Result resident = CheckResident(x.resident, funding->asset); resident != Result::kOk)
    return fail(resident);
  if (Result wallet = CheckResident(x.coin_wallet, coin_funding->asset); wallet != Result::kOk) {
    return fail(wallet == Result::kAccountNotFound ? Result::kCreditAccountNotFound : wallet);
  }
  if (x.points <= 0) return fail(Result::kAmountMustBePositive);
  if (x.points > kAmountMax) return fail(Result::kAmountExceedsLimit);
  if (x.points % program->exchange_points != 0) return fail(Result::kExchangeUnitInvalid);
  const __int128 coin128 =
      static_cast<__int128>(x.points / program->exchange_points) * program->exchange_coin;
  if (coin128 > kAmountMax) return fail(Result::kAmountExceedsLimit);
  const int64_t coin = static_cast<int64_t>(coin128);
  if (!SpendNonce(x.resident, x.nonce, RequestNonceExpiry(x.request_ms)))
    return fail(Result::kNonceReplayed);
  outcome = MoveExchange(x, *program, coin_funding->asset, coin, at);
  working_.Put(record_key, EncodeExchangeRecord(ExchangeRecord{
                               x, outcome.result == Result::kOk ? coin : 0, outcome.result, at}));
  return outcome;
}

// An exchange's two moves, both or neither: the points retired, then `coin` paid at its own stamp
// (a system event). On a failure nothing of it stays and the outcome carries the request's stamp.
Outcome BatchApplier::MoveExchange(const ExchangePoints& x, const HealthProgram& program,
                                   AssetId coin_asset, int64_t coin, Timestamp at) {
  working_.BeginScope();
  Transfer points;
  points.id = HealthTransferId('X', x.resident, x.exchange_id);
  points.debit_account_id = x.resident;
  points.credit_account_id = program.exchange_retire;
  points.amount = x.points;
  points.code = kCodePointsRetired;
  Outcome outcome = Move(points, at);
  if (outcome.result == Result::kOk) {
    const Timestamp coin_at = Tick();
    Transfer paid;
    paid.id = HealthTransferId('Y', x.resident, x.exchange_id);
    paid.debit_account_id = program.coin_funding;
    paid.credit_account_id = x.coin_wallet;
    paid.amount = coin;
    paid.code = kCodePointsExchanged;
    Outcome coin_outcome = Move(paid, coin_at);
    if (coin_outcome.result != Result::kOk) {
      outcome.result = coin_outcome.result;  // e.g. the coin budget is exhausted.
    } else {
      entry_.system_events.push_back({SystemEventType::kExchangeCoin, paid.id,
                                      paid.debit_account_id, paid.credit_account_id, coin_asset,
                                      coin, coin_at});
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

std::optional<WatchConfig> BatchApplier::LoadWatch(const AccountId& resident) {
  std::string bytes;
  if (!working_.Get(keys::ResidentPrefix(keys::kWatchConfig, resident), &bytes))
    return std::nullopt;
  std::optional<WatchConfig> config = DecodeWatchConfig(bytes);
  if (!config) Fatal("watch-over record is corrupt");
  return config;
}

void BatchApplier::PutWatch(const WatchConfig& config) {
  working_.Put(keys::ResidentPrefix(keys::kWatchConfig, config.settings.resident),
               EncodeWatchConfig(config));
}

Outcome BatchApplier::Apply(const SetWatchOver& w, Timestamp at) {
  Outcome outcome{Result::kOk, false, at};
  auto fail = [&](Result result) {
    outcome.result = result;
    return outcome;
  };
  if (Result resident = CheckResident(w.resident, 0); resident != Result::kOk)
    return fail(resident);
  if (w.watchers.size() > kWatchersMax || w.silent_days < 1 ||
      w.silent_days > kWatchSilentDaysMax || w.drop_percent < 1 || w.drop_percent > 99 ||
      w.baseline_days < kWatchBaselineDaysMin || w.baseline_days > kWatchBaselineDaysMax ||
      w.min_baseline_days < 1 || w.min_baseline_days > w.baseline_days) {
    return fail(Result::kWatchOverInvalid);
  }
  for (size_t i = 0; i < w.watchers.size(); ++i) {
    if (w.watchers[i] == w.resident || std::find(w.watchers.begin(), w.watchers.begin() + i,
                                                 w.watchers[i]) != w.watchers.begin() + i) {
      return fail(Result::kWatchOverInvalid);
    }
    if (working_.FindAccount(w.watchers[i]) == nullptr) return fail(Result::kAccountNotFound);
  }
  if (!w.watchers.empty() && !Consented(w.resident, ConsentPurpose::kWatchOver))
    return fail(Result::kConsentRequired);
  if (!SpendNonce(w.resident, w.nonce, RequestNonceExpiry(w.request_ms)))
    return fail(Result::kNonceReplayed);
  WatchConfig config;
  if (std::optional<WatchConfig> old = LoadWatch(w.resident)) {
    for (const AccountId& watcher : old->settings.watchers)
      working_.Delete(keys::WatcherIndex(watcher, w.resident));
    if (!old->settings.watchers.empty())
      working_.Delete(keys::WatchSchedule(old->next_day, w.resident));
    config = std::move(*old);
  }
  const bool was_watching = !config.settings.watchers.empty();
  config.settings = w;
  config.settings.nonce = 0;
  config.settings.request_ms = 0;
  config.timestamp = at;
  if (!w.watchers.empty()) {
    // Evaluation starts with yesterday (a day that is over), or goes on where it was.
    if (!was_watching) config.next_day = BusinessDayIndex(at) - 1;
    working_.Put(keys::WatchSchedule(config.next_day, w.resident), "");
    for (const AccountId& watcher : w.watchers)
      working_.Put(keys::WatcherIndex(watcher, w.resident), "");
  }
  PutWatch(config);
  return outcome;
}

Outcome BatchApplier::Apply(const AckAlert& a, Timestamp at) {
  Outcome outcome{Result::kOk, false, at};
  std::optional<WatchConfig> config = LoadWatch(a.resident);
  const auto& watchers = config ? config->settings.watchers : std::vector<AccountId>{};
  if (std::find(watchers.begin(), watchers.end(), a.watcher) == watchers.end()) {
    outcome.result = Result::kNotAWatcher;
    return outcome;
  }
  std::string bytes;
  if (!working_.Get(keys::Alert(a.resident, a.alert), &bytes)) {
    outcome.result = Result::kAlertNotFound;
    return outcome;
  }
  std::optional<AlertRecord> alert = DecodeAlertRecord(bytes);
  if (!alert) Fatal("alert record is corrupt");
  if (!alert->open()) return Outcome{Result::kOk, true, alert->acknowledged_at};
  if (!SpendNonce(a.watcher, a.nonce, RequestNonceExpiry(a.request_ms))) {
    outcome.result = Result::kNonceReplayed;
    return outcome;
  }
  alert->acknowledged_by = a.watcher;
  alert->acknowledged_at = at;
  working_.Put(keys::Alert(a.resident, a.alert), EncodeAlertRecord(*alert));
  return outcome;
}

// Step counts of a resident by day index, for days [from, to].
std::map<int64_t, uint32_t> BatchApplier::StepsByDay(const AccountId& resident, int64_t from,
                                                     int64_t to) {
  std::map<int64_t, uint32_t> steps;
  std::string end = keys::StepRecord(resident, DayNumber(to));
  end.push_back('\0');
  state_.Scan(keys::StepRecord(resident, DayNumber(from)), end, false,
              [&](std::string_view key, std::string_view value) {
                const uint32_t day = keys::ReadBigEndian32(key.substr(key.size() - 4));
                std::optional<StepRecord> record = DecodeStepRecord(value);
                std::optional<int64_t> index = DayIndexOf(day);
                if (record && index) steps[*index] = record->steps;
                return true;
              });
  return steps;
}

// Evaluates day d of a watched resident (see health.h); raises at most one alert.
void BatchApplier::EvaluateDay(WatchConfig* config, int64_t d) {
  const SetWatchOver& s = config->settings;
  const std::map<int64_t, uint32_t> steps =
      StepsByDay(s.resident, d - s.silent_days - s.baseline_days, d);
  auto reports_in = [&](int64_t from,
                        int64_t to) {  // Days [from, to] with a report, and their sum.
    std::pair<uint32_t, uint64_t> count_sum{0, 0};
    for (auto it = steps.lower_bound(from); it != steps.end() && it->first <= to; ++it) {
      ++count_sum.first;
      count_sum.second += it->second;
    }
    return count_sum;
  };
  auto last = steps.upper_bound(d);
  if (last == steps.begin())
    return;  // Nothing reported in the window: not someone who normally reports.
  --last;
  AlertRecord alert;
  const int64_t silent = d - last->first;
  if (silent == static_cast<int64_t>(s.silent_days)) {
    if (reports_in(last->first - s.baseline_days + 1, last->first).first < s.min_baseline_days)
      return;
    alert.kind = AlertKind::kNoReports;
    alert.days_silent = static_cast<uint32_t>(silent);
  } else if (silent == 0) {
    const auto [count, sum] = reports_in(d - s.baseline_days, d - 1);
    if (count < s.min_baseline_days || sum == 0) return;
    const uint64_t percent = uint64_t{last->second} * 100 * count / sum;  // Of the mean.
    if (percent >= s.drop_percent) return;
    alert.kind = AlertKind::kStepsFell;
    alert.percent_of_baseline = static_cast<uint32_t>(percent);
  } else {
    return;
  }
  alert.seq = ++config->alerts;
  alert.day = DayNumber(d);
  alert.raised_at = batch_timestamp_;
  working_.Put(keys::Alert(s.resident, alert.seq), EncodeAlertRecord(alert));
}

// Rule 1 of watch-over: evaluate the days that are over.
void BatchApplier::SweepWatch() {
  const int64_t today = BusinessDayIndex(batch_timestamp_);
  std::vector<std::pair<int64_t, AccountId>> due;
  state_.Scan(keys::WatchSchedule(0, AccountId{}), keys::WatchSchedule(today, AccountId{}), false,
              [&](std::string_view key, std::string_view) {
                int64_t day = 0;
                AccountId resident;
                keys::DecodeWatchSchedule(key, &day, &resident);
                due.emplace_back(day, resident);
                return due.size() < static_cast<size_t>(kWatchEvaluationsMax);
              });
  int budget = kWatchEvaluationsMax;
  for (const auto& [day, resident] : due) {
    if (budget <= 0) break;
    std::optional<WatchConfig> config = LoadWatch(resident);
    CORE_CHECK(config && config->next_day == day && !config->settings.watchers.empty());
    working_.Delete(keys::WatchSchedule(day, resident));
    const bool consented = Consented(resident, ConsentPurpose::kWatchOver);
    int64_t d = std::max(day, today - kWatchCatchUpDaysMax);
    for (; d < today && budget > 0; ++d, --budget) {
      if (consented) EvaluateDay(&*config, d);
    }
    config->next_day = d;
    working_.Put(keys::WatchSchedule(d, resident), "");
    PutWatch(*config);
  }
}

}  // namespace ledger
