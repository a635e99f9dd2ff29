// Health mileage: records, rules that need no state, derived ids. See health.h; layouts in ledger/FORMAT.md.
#include "ledger/core/health.h"

#include "absl/strings/str_cat.h"
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

std::string StepReportSignedBytes(uint32_t program, const AccountId& resident, std::string_view device_id,
                                  uint32_t day, uint32_t steps, uint64_t nonce) {
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
  if (!DayIndexOf(p.effective_day)) return absl::StrCat("effective_day: ", p.effective_day, " is not a yyyymmdd date");
  if (p.funding.IsZero()) return "funding: the BUDGET account paying the points is required";
  if (p.tiers.empty() || p.tiers.size() > kStepTiersMax) {
    return absl::StrCat("tiers: ", p.tiers.size(), " tiers; 1 to ", kStepTiersMax);
  }
  for (size_t i = 0; i < p.tiers.size(); ++i) {
    if (p.tiers[i].points == 0 || p.tiers[i].steps_min == 0) return absl::StrCat("tiers[", i, "]: steps and points must be positive");
    if (i > 0 && (p.tiers[i].steps_min <= p.tiers[i - 1].steps_min || p.tiers[i].points <= p.tiers[i - 1].points)) {
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
  const bool exchange = p.exchange_points > 0 || p.exchange_coin > 0 || !p.exchange_retire.IsZero() ||
                        !p.coin_funding.IsZero();
  if (exchange && (p.exchange_points == 0 || p.exchange_coin <= 0 || p.exchange_coin > kAmountMax ||
                   p.exchange_retire.IsZero() || p.coin_funding.IsZero())) {
    return "exchange: exchange_points, exchange_coin, exchange_retire and coin_funding all set, or none";
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
  // The POS derivation with its own domain: "ledger-pos-v1" + kind, and health kinds are distinct letters.
  return PosTransferId(kind, resident, "health/" + std::string(id));
}

TransferId HealthAwardId(const StepReport& report) {
  return HealthTransferId('A', report.resident, absl::StrCat(report.program, "/", report.day, "/", report.nonce));
}

// Record field lists (codec.h). Health programs and watch-over settings are written as their commands'
// fields (command.h).
constexpr auto kHealthVersionsFields = [](auto& io, auto& versions) {
  io.Vec(versions, static_cast<uint32_t>(kHealthVersionsMax));
};
constexpr auto kDailyAwardFields = [](auto& io, auto& a) { io(a.points, a.program, a.effective_day, a.timestamp); };
constexpr auto kMonthlyTallyFields = [](auto& io, auto& t) { io(t.qualifying_days, t.bonus_points); };
constexpr auto kStepRecordFields = [](auto& io, auto& r) { io(r.steps, r.device_id, r.salt, r.timestamp); };
constexpr auto kDeviceRecordFields = [](auto& io, auto& r) { io(r.public_key, r.revoked, r.registered, r.revoked_at); };
constexpr auto kConsentRecordFields = [](auto& io, auto& r) { io(r.granted, r.timestamp); };
constexpr auto kExchangeRecordFields = [](auto& io, auto& r) {  // The request without its nonce.
  io(r.request.program, r.request.resident, r.request.coin_wallet, r.request.points, r.request.exchange_id, r.coin,
     r.result, r.timestamp);
};
constexpr auto kWatchConfigFields = [](auto& io, auto& c) { io(c.settings, c.next_day, c.alerts, c.timestamp); };
constexpr auto kAlertRecordFields = [](auto& io, auto& a) {
  io(a.seq, a.kind, a.day, a.days_silent, a.percent_of_baseline, a.raised_at, a.acknowledged_by, a.acknowledged_at);
};

std::string EncodeHealthVersions(const std::vector<HealthProgram>& versions) {
  return EncodeRecord(kVersion, versions, kHealthVersionsFields);
}
std::optional<std::vector<HealthProgram>> DecodeHealthVersions(std::string_view bytes) {
  return DecodeRecord<std::vector<HealthProgram>>(bytes, kVersion, kHealthVersionsFields);
}

std::string EncodeDailyAward(const DailyAward& a) { return EncodeRecord(kVersion, a, kDailyAwardFields); }
std::optional<DailyAward> DecodeDailyAward(std::string_view bytes) {
  return DecodeRecord<DailyAward>(bytes, kVersion, kDailyAwardFields);
}

std::string EncodeMonthlyTally(const MonthlyTally& t) { return EncodeRecord(kVersion, t, kMonthlyTallyFields); }
std::optional<MonthlyTally> DecodeMonthlyTally(std::string_view bytes) {
  return DecodeRecord<MonthlyTally>(bytes, kVersion, kMonthlyTallyFields);
}

std::string EncodeStepRecord(const StepRecord& r) { return EncodeRecord(kVersion, r, kStepRecordFields); }
std::optional<StepRecord> DecodeStepRecord(std::string_view bytes) {
  return DecodeRecord<StepRecord>(bytes, kVersion, kStepRecordFields);
}

std::string EncodeDeviceRecord(const DeviceRecord& r) { return EncodeRecord(kVersion, r, kDeviceRecordFields); }
std::optional<DeviceRecord> DecodeDeviceRecord(std::string_view bytes) {
  return DecodeRecord<DeviceRecord>(bytes, kVersion, kDeviceRecordFields);
}

std::string EncodeConsentRecord(const ConsentRecord& r) { return EncodeRecord(kVersion, r, kConsentRecordFields); }
std::optional<ConsentRecord> DecodeConsentRecord(std::string_view bytes) {
  return DecodeRecord<ConsentRecord>(bytes, kVersion, kConsentRecordFields);
}

std::string EncodeExchangeRecord(const ExchangeRecord& r) { return EncodeRecord(kVersion, r, kExchangeRecordFields); }
std::optional<ExchangeRecord> DecodeExchangeRecord(std::string_view bytes) {
  return DecodeRecord<ExchangeRecord>(bytes, kVersion, kExchangeRecordFields);
}

std::string EncodeWatchConfig(const WatchConfig& c) { return EncodeRecord(kVersion, c, kWatchConfigFields); }
std::optional<WatchConfig> DecodeWatchConfig(std::string_view bytes) {
  return DecodeRecord<WatchConfig>(bytes, kVersion, kWatchConfigFields);
}

std::string EncodeAlertRecord(const AlertRecord& a) { return EncodeRecord(kVersion, a, kAlertRecordFields); }
std::optional<AlertRecord> DecodeAlertRecord(std::string_view bytes) {
  return DecodeRecord<AlertRecord>(bytes, kVersion, kAlertRecordFields);
}

}  // namespace ledger
