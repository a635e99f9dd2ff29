// Health mileage: records, rules that need no state, derived ids. See health.h; layouts in ledger/FORMAT.md.
#include "ledger/core/health.h"

#include "absl/strings/str_cat.h"
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

void EncodeHealthProgram(const HealthProgram& p, Encoder* e) {
  e->U32(p.program);
  e->U32(p.effective_day);
  e->Id(p.funding);
  e->U32(static_cast<uint32_t>(p.tiers.size()));
  for (const StepTier& tier : p.tiers) {
    e->U32(tier.steps_min);
    e->U32(tier.points);
  }
  e->U32(p.daily_cap);
  e->U32(p.bonus_days);
  e->U32(p.bonus_points);
  e->U32(p.steps_max);
  e->U32(p.report_window_days);
  e->Id(p.exchange_retire);
  e->Id(p.coin_funding);
  e->U32(p.exchange_points);
  e->I64(p.exchange_coin);
  e->U64(p.timestamp);
}

HealthProgram DecodeHealthProgram(Decoder* d) {
  HealthProgram p;
  p.program = d->U32();
  p.effective_day = d->U32();
  p.funding = d->Id();
  const uint32_t tiers = d->U32();
  p.tiers.clear();
  for (uint32_t i = 0; i < tiers && d->ok() && i <= kStepTiersMax; ++i) {
    StepTier tier;
    tier.steps_min = d->U32();
    tier.points = d->U32();
    p.tiers.push_back(tier);
  }
  p.daily_cap = d->U32();
  p.bonus_days = d->U32();
  p.bonus_points = d->U32();
  p.steps_max = d->U32();
  p.report_window_days = d->U32();
  p.exchange_retire = d->Id();
  p.coin_funding = d->Id();
  p.exchange_points = d->U32();
  p.exchange_coin = d->I64();
  p.timestamp = d->U64();
  return p;
}

std::string EncodeHealthVersions(const std::vector<HealthProgram>& versions) {
  std::string out;
  Encoder e(&out);
  e.U8(kVersion);
  e.U32(static_cast<uint32_t>(versions.size()));
  for (const HealthProgram& version : versions) EncodeHealthProgram(version, &e);
  return out;
}

std::optional<std::vector<HealthProgram>> DecodeHealthVersions(std::string_view bytes) {
  Decoder d(bytes);
  if (d.U8() != kVersion) return std::nullopt;
  const uint32_t count = d.U32();
  if (count > kHealthVersionsMax) return std::nullopt;
  std::vector<HealthProgram> versions;
  for (uint32_t i = 0; i < count && d.ok(); ++i) versions.push_back(DecodeHealthProgram(&d));
  if (!d.done()) return std::nullopt;
  return versions;
}

std::string EncodeDailyAward(const DailyAward& a) {
  std::string out;
  Encoder e(&out);
  e.U8(kVersion);
  e.U32(a.points);
  e.U32(a.program);
  e.U32(a.effective_day);
  e.U64(a.timestamp);
  return out;
}

std::optional<DailyAward> DecodeDailyAward(std::string_view bytes) {
  Decoder d(bytes);
  if (d.U8() != kVersion) return std::nullopt;
  DailyAward a;
  a.points = d.U32();
  a.program = d.U32();
  a.effective_day = d.U32();
  a.timestamp = d.U64();
  if (!d.done()) return std::nullopt;
  return a;
}

std::string EncodeMonthlyTally(const MonthlyTally& t) {
  std::string out;
  Encoder e(&out);
  e.U8(kVersion);
  e.U32(t.qualifying_days);
  e.U32(t.bonus_points);
  return out;
}

std::optional<MonthlyTally> DecodeMonthlyTally(std::string_view bytes) {
  Decoder d(bytes);
  if (d.U8() != kVersion) return std::nullopt;
  MonthlyTally t;
  t.qualifying_days = d.U32();
  t.bonus_points = d.U32();
  if (!d.done()) return std::nullopt;
  return t;
}

std::string EncodeStepRecord(const StepRecord& r) {
  std::string out;
  Encoder e(&out);
  e.U8(kVersion);
  e.U32(r.steps);
  e.Bytes(r.device_id);
  e.Bytes(r.salt);
  e.U64(r.timestamp);
  return out;
}

std::optional<StepRecord> DecodeStepRecord(std::string_view bytes) {
  Decoder d(bytes);
  if (d.U8() != kVersion) return std::nullopt;
  StepRecord r;
  r.steps = d.U32();
  r.device_id = d.Bytes();
  r.salt = d.Bytes();
  r.timestamp = d.U64();
  if (!d.done()) return std::nullopt;
  return r;
}

std::string EncodeDeviceRecord(const DeviceRecord& r) {
  std::string out;
  Encoder e(&out);
  e.U8(kVersion);
  e.Bytes(r.public_key);
  e.U8(r.revoked ? 1 : 0);
  e.U64(r.registered);
  e.U64(r.revoked_at);
  return out;
}

std::optional<DeviceRecord> DecodeDeviceRecord(std::string_view bytes) {
  Decoder d(bytes);
  if (d.U8() != kVersion) return std::nullopt;
  DeviceRecord r;
  r.public_key = d.Bytes();
  r.revoked = d.U8() != 0;
  r.registered = d.U64();
  r.revoked_at = d.U64();
  if (!d.done()) return std::nullopt;
  return r;
}

std::string EncodeConsentRecord(const ConsentRecord& r) {
  std::string out;
  Encoder e(&out);
  e.U8(kVersion);
  e.U8(r.granted ? 1 : 0);
  e.U64(r.timestamp);
  return out;
}

std::optional<ConsentRecord> DecodeConsentRecord(std::string_view bytes) {
  Decoder d(bytes);
  if (d.U8() != kVersion) return std::nullopt;
  ConsentRecord r;
  r.granted = d.U8() != 0;
  r.timestamp = d.U64();
  if (!d.done()) return std::nullopt;
  return r;
}

std::string EncodeExchangeRecord(const ExchangeRecord& r) {
  std::string out;
  Encoder e(&out);
  e.U8(kVersion);
  e.U32(r.request.program);
  e.Id(r.request.resident);
  e.Id(r.request.coin_wallet);
  e.I64(r.request.points);
  e.Bytes(r.request.exchange_id);
  e.I64(r.coin);
  e.U8(static_cast<uint8_t>(r.result));
  e.U64(r.timestamp);
  return out;
}

std::optional<ExchangeRecord> DecodeExchangeRecord(std::string_view bytes) {
  Decoder d(bytes);
  if (d.U8() != kVersion) return std::nullopt;
  ExchangeRecord r;
  r.request.program = d.U32();
  r.request.resident = d.Id();
  r.request.coin_wallet = d.Id();
  r.request.points = d.I64();
  r.request.exchange_id = d.Bytes();
  r.coin = d.I64();
  r.result = static_cast<Result>(d.U8());
  r.timestamp = d.U64();
  if (!d.done()) return std::nullopt;
  return r;
}

void EncodeWatchSettings(const SetWatchOver& w, Encoder* e) {
  e->Id(w.resident);
  e->U32(static_cast<uint32_t>(w.watchers.size()));
  for (const AccountId& watcher : w.watchers) e->Id(watcher);
  e->U32(w.silent_days);
  e->U32(w.drop_percent);
  e->U32(w.baseline_days);
  e->U32(w.min_baseline_days);
  e->U64(w.nonce);
}

SetWatchOver DecodeWatchSettings(Decoder* d) {
  SetWatchOver w;
  w.resident = d->Id();
  const uint32_t n = d->U32();
  for (uint32_t i = 0; i < n && d->ok() && i <= kWatchersMax; ++i) w.watchers.push_back(d->Id());
  w.silent_days = d->U32();
  w.drop_percent = d->U32();
  w.baseline_days = d->U32();
  w.min_baseline_days = d->U32();
  w.nonce = d->U64();
  return w;
}

std::string EncodeWatchConfig(const WatchConfig& c) {
  std::string out;
  Encoder e(&out);
  e.U8(kVersion);
  EncodeWatchSettings(c.settings, &e);
  e.I64(c.next_day);
  e.U32(c.alerts);
  e.U64(c.timestamp);
  return out;
}

std::optional<WatchConfig> DecodeWatchConfig(std::string_view bytes) {
  Decoder d(bytes);
  if (d.U8() != kVersion) return std::nullopt;
  WatchConfig c;
  c.settings = DecodeWatchSettings(&d);
  c.next_day = d.I64();
  c.alerts = d.U32();
  c.timestamp = d.U64();
  if (!d.done()) return std::nullopt;
  return c;
}

std::string EncodeAlertRecord(const AlertRecord& a) {
  std::string out;
  Encoder e(&out);
  e.U8(kVersion);
  e.U32(a.seq);
  e.U8(static_cast<uint8_t>(a.kind));
  e.U32(a.day);
  e.U32(a.days_silent);
  e.U32(a.percent_of_baseline);
  e.U64(a.raised_at);
  e.Id(a.acknowledged_by);
  e.U64(a.acknowledged_at);
  return out;
}

std::optional<AlertRecord> DecodeAlertRecord(std::string_view bytes) {
  Decoder d(bytes);
  if (d.U8() != kVersion) return std::nullopt;
  AlertRecord a;
  a.seq = d.U32();
  a.kind = static_cast<AlertKind>(d.U8());
  a.day = d.U32();
  a.days_silent = d.U32();
  a.percent_of_baseline = d.U32();
  a.raised_at = d.U64();
  a.acknowledged_by = d.Id();
  a.acknowledged_at = d.U64();
  if (!d.done()) return std::nullopt;
  return a;
}

}  // namespace ledger
