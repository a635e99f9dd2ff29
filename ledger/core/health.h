// Health mileage (健康マイレージ) in the core: residents earn points for walking, from daily step
// reports signed by their registered devices, with their consent; the city's health budget pays.
//
// Rules (timestamps are the ledger's logical clock; a day is the Japan-time calendar day,
// yyyymmdd):
//  - SetHealthProgram: a version of program `program` that takes effect from `effective_day`. The
//  first
//    version may start on any day; a later one only from tomorrow or after (so no award already
//    made is ever recomputed) and replaces a version not yet in effect with the same day. A report
//    for day D is awarded by the version in effect on D. At most kHealthVersionsMax versions per
//    program.
//  - Points for a day: the highest tier whose steps_min <= steps, capped at daily_cap. A day with
//  at least
//    one point qualifies; the bonus_days-th qualifying day of a calendar month also earns
//    bonus_points (once a month). Points are paid from `funding` (a BUDGET account of the points
//    asset: an exhausted budget refuses the report with exceeds_balance, deciding nothing) to the
//    resident's points WALLET; they expire as the points asset says (its expiry_seconds).
//  - RegisterDevice: a resident's device and its Ed25519 key (key V resident device); the same key
//  again
//    is a duplicate, another key exists_with_different_fields; revoke = true revokes it for good.
//  - SetConsent: per purpose (earning, watch-over, statistics), granted or revoked (key I resident
//  purpose).
//  - StepReport: checked in this order — program version for the day (health_program_not_found),
//  the
//    resident's account (account_not_found, kind_invalid, asset_mismatch), device
//    (device_not_found, device_revoked), signature over StepReportSignedBytes (signature_invalid),
//    nonce (nonce_replayed), consent to earning (consent_required), the day (report_day_in_future,
//    report_day_too_old: more than report_window_days before today; business_day_invalid), the
//    count (steps_implausible above steps_max). A refused report decides nothing. An accepted one
//    spends its nonce; a later report for the same day with a higher count pays only the difference
//    in points, a lower one pays nothing.
//  - The journal keeps of a report only what the award needs: program, resident, device, day, nonce
//  and
//    a commitment BLAKE2b-256(salt || steps || signature). The steps themselves are health data,
//    kept apart in erasable records (key D resident day, with the salt); EraseStepData deletes
//    them, after which the commitment reveals nothing and the journal still verifies. Awards (key
//    E) and monthly tallies (key m) hold points only and stay.
//  - ExchangePoints: points (a multiple of exchange_points) from the resident's points wallet to
//    `exchange_retire` and exchange_coin coin per unit from `coin_funding` to a coin WALLET, both
//    or neither; idempotent by (resident, exchange_id).
//
// Watch-over (見守り), also in the core so that every replica raises the same alerts at the same
// logical time:
//  - SetWatchOver: a resident who consented to watch-over names up to kWatchersMax watchers
//  (accounts of
//    family members or the welfare commissioner; an empty list ends watch-over) and the thresholds.
//    The first day evaluated is the day before the command (key w resident; schedule key q day
//    resident; watcher index key u watcher resident).
//  - Every batch first evaluates each watched resident's days that are over (up to yesterday, on
//  the
//    ledger's clock), in day order, at most kWatchEvaluationsMax per batch. For day d, with L the
//    last day up to d with a step record: if d - L == silent_days and the baseline_days before L
//    hold at least min_baseline_days reports (the resident normally reports), a "no reports" alert;
//    else if day d has a count below drop_percent % of the mean of the baseline_days before it
//    (again with at least min_baseline_days reports), a "steps fell" alert. Alerts (key a resident
//    seq) hold no step counts, only the kind, the day, how many days silent and the percentage of
//    the baseline; they are not journaled (they are health data) and stay open until a watcher
//    acknowledges them (AckAlert).
//  - Revoking consent to watch-over stops the evaluations (the settings stay until changed).
#ifndef LEDGER_CORE_HEALTH_H_
#define LEDGER_CORE_HEALTH_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/core/codec.h"
#include "ledger/core/limits.h"
#include "ledger/core/records.h"
#include "ledger/core/types.h"

namespace ledger {

inline constexpr uint32_t kCodeHealthAward =
    0xffffff20;  // Budget -> resident: points for a day (and bonus).
inline constexpr uint32_t kCodePointsRetired = 0xffffff21;  // Resident's points -> exchange_retire.
inline constexpr uint32_t kCodePointsExchanged =
    0xffffff22;  // Coin funding -> resident's coin wallet.
inline constexpr size_t kHealthVersionsMax = 64;
inline constexpr size_t kStepTiersMax = 16;
inline constexpr uint32_t kStepsMaxDefault = 60'000;
inline constexpr uint32_t kReportWindowDaysDefault = 7;
inline constexpr uint32_t kReportWindowDaysMax = 62;

enum class ConsentPurpose : uint8_t {
  kEarning = 1,     // Step reports may earn points.
  kWatchOver = 2,   // Watchers may be alerted (見守り).
  kStatistics = 3,  // Anonymised statistics.
};
inline constexpr uint8_t kConsentPurposeMax = 3;

struct StepTier {
  uint32_t steps_min = 0;
  uint32_t points = 0;
  bool operator==(const StepTier&) const = default;
};

// One version of a health-mileage program. Defaults are Yokohama's tiers, Hadano's bonus,
// Ichikawa's exchange (../shared/DOMAIN.md); every figure is a setting.
struct HealthProgram {
  uint32_t program = 0;        // Program id, > 0.
  uint32_t effective_day = 0;  // yyyymmdd (Japan): this version awards days from here on.
  AccountId funding;           // BUDGET account of the points asset.
  std::vector<StepTier> tiers = {{2000, 1}, {4000, 2}, {6000, 3}, {8000, 4}, {10000, 5}};
  uint32_t daily_cap = 5;
  uint32_t bonus_days = 10;  // 0: no monthly bonus.
  uint32_t bonus_points = 10;
  uint32_t steps_max = kStepsMaxDefault;
  uint32_t report_window_days = kReportWindowDaysDefault;
  // Exchange to regional coin (all zero: not offered).
  AccountId exchange_retire;  // Points asset: where exchanged points go (e.g. the points issuer).
  AccountId coin_funding;     // Coin asset: who pays the coin.
  uint32_t exchange_points = 0;  // Points per unit, e.g. 1,000 ...
  int64_t exchange_coin = 0;     // ... for this much coin, e.g. 1,000.
  Timestamp timestamp = 0;       // When this version was set.

  bool operator==(const HealthProgram&) const = default;
  bool offers_exchange() const { return exchange_points > 0; }
};

struct SetHealthProgram {
  HealthProgram program;
};

struct RegisterDevice {
  AccountId resident;      // The resident's points WALLET.
  std::string device_id;   // 1..32 printable ASCII.
  std::string public_key;  // 32 bytes (Ed25519); ignored when revoking.
  bool revoke = false;
  uint64_t nonce = 0;  // The resident's signed request's nonce, spent once (0: operator request).
  uint64_t request_ms =
      0;  // The signed request's timestamp: see RequestMs (journal.h). 0: none (older entries).
};

struct SetConsent {
  AccountId resident;
  uint8_t purpose = 0;  // ConsentPurpose.
  bool granted = false;
  uint64_t nonce = 0;
  uint64_t request_ms =
      0;  // The signed request's timestamp: see RequestMs (journal.h). 0: none (older entries).
};

struct StepReport {
  uint32_t program = 0;
  AccountId resident;
  std::string device_id;
  uint32_t day = 0;  // yyyymmdd (Japan).
  uint32_t steps = 0;
  uint64_t nonce = 0;     // Chosen by the device; each accepted report spends it.
  std::string signature;  // 64 bytes: the device's Ed25519 signature over StepReportSignedBytes.
  std::string
      salt;  // 16 random bytes chosen by the service; keeps the journal's commitment opaque.
  // In the journal instead of steps, signature and salt (see above); empty in a submitted report.
  std::string commitment;
  // When the Health service admitted the report (its clock; the device signs no time): the core
  // refuses it 5 minutes later like a signed request (RequestMs, journal.h), and keeps its nonce
  // only until the report's day is too old to report (report_day_too_old). 0 (older entries): the
  // nonce is kept for ever.
  uint64_t request_ms = 0;
};

inline constexpr int kWatchCatchUpDaysMax = 62;  // A resident's evaluation never goes further back.

struct SetWatchOver {
  AccountId resident;
  std::vector<AccountId> watchers;  // Empty: watch-over ends.
  uint32_t silent_days = 2;         // Days without a report that raise an alert.
  uint32_t drop_percent = 30;       // A day below this % of the baseline raises an alert.
  uint32_t baseline_days = 14;      // The window the baseline (mean daily steps) is taken over.
  uint32_t min_baseline_days =
      5;  // Reports needed in that window for the resident to count as "normally reporting".
  uint64_t nonce = 0;
  uint64_t request_ms =
      0;  // The signed request's timestamp: see RequestMs (journal.h). 0: none (older entries).
};

struct AckAlert {
  AccountId watcher;
  AccountId resident;
  uint32_t alert = 0;  // The alert's sequence number for this resident.
  uint64_t nonce = 0;
  uint64_t request_ms =
      0;  // The signed request's timestamp: see RequestMs (journal.h). 0: none (older entries).
};

struct WatchConfig {
  SetWatchOver settings;  // nonce unused here.
  int64_t next_day = 0;   // Day index of the next day to evaluate.
  uint32_t alerts = 0;    // Alerts raised so far (the last sequence number).
  Timestamp timestamp = 0;
};

enum class AlertKind : uint8_t { kNoReports = 1, kStepsFell = 2 };

struct AlertRecord {
  uint32_t seq = 0;
  AlertKind kind = AlertKind::kNoReports;
  uint32_t day = 0;                  // The evaluated day (yyyymmdd).
  uint32_t days_silent = 0;          // kNoReports.
  uint32_t percent_of_baseline = 0;  // kStepsFell: the day's steps as % of the baseline.
  Timestamp raised_at = 0;
  AccountId acknowledged_by;  // Zero while open.
  Timestamp acknowledged_at = 0;
  bool open() const { return acknowledged_by.IsZero(); }
};

std::string EncodeWatchConfig(const WatchConfig& config);
std::optional<WatchConfig> DecodeWatchConfig(std::string_view bytes);
std::string EncodeAlertRecord(const AlertRecord& alert);
std::optional<AlertRecord> DecodeAlertRecord(std::string_view bytes);

struct ExchangePoints {
  uint32_t program = 0;
  AccountId resident;     // Points WALLET, signing.
  AccountId coin_wallet;  // A WALLET of the coin asset.
  int64_t points = 0;
  std::string exchange_id;  // 1..64 printable ASCII, chosen by the wallet: resubmit to retry.
  uint64_t nonce = 0;
  uint64_t request_ms =
      0;  // The signed request's timestamp: see RequestMs (journal.h). 0: none (older entries).
};

struct EraseStepData {
  AccountId resident;
  uint64_t nonce = 0;
  uint64_t request_ms =
      0;  // The signed request's timestamp: see RequestMs (journal.h). 0: none (older entries).
};

// What the award of one day stands at (key E resident day).
struct DailyAward {
  uint32_t points = 0;  // Base points awarded for the day (without bonus).
  uint32_t program = 0;
  uint32_t effective_day = 0;  // The version that awarded it.
  Timestamp timestamp = 0;     // Last change.
};

// A resident's month (key m resident yyyymm).
struct MonthlyTally {
  uint32_t qualifying_days = 0;
  uint32_t bonus_points = 0;  // 0 until the bonus is paid.
};

// The erasable health data of one day (key D resident day).
struct StepRecord {
  uint32_t steps = 0;     // The highest count reported for the day.
  std::string device_id;  // Of that report.
  std::string salt;
  Timestamp timestamp = 0;  // When it was reported.
};

struct DeviceRecord {
  std::string public_key;
  bool revoked = false;
  Timestamp registered = 0;
  Timestamp revoked_at = 0;
};

struct ConsentRecord {
  bool granted = false;
  Timestamp timestamp = 0;
};

struct ExchangeRecord {
  ExchangePoints request;
  int64_t coin = 0;
  Result result = Result::kOk;
  Timestamp timestamp = 0;
};

// The bytes a device signs for a step report:
// "ledger-steps-v1" 0x00 | program (4 LE) | resident (16) | device id length (1) | device id | day
// (4 LE) | steps (4 LE) | nonce (8 LE).
std::string StepReportSignedBytes(uint32_t program, const AccountId& resident,
                                  std::string_view device_id, uint32_t day, uint32_t steps,
                                  uint64_t nonce);
// The journal's commitment to a report: BLAKE2b-256(salt || steps (4 LE) || signature).
std::string StepCommitment(std::string_view salt, uint32_t steps, std::string_view signature);

// Points of `steps` under `program`: highest tier reached, capped at daily_cap.
uint32_t PointsForSteps(const HealthProgram& program, uint32_t steps);
// Empty if the program version is well formed, otherwise which field is wrong.
std::string HealthProgramProblem(const HealthProgram& program);
// The version in effect on `day` (the last one with effective_day <= day), or nullptr.
const HealthProgram* VersionOn(const std::vector<HealthProgram>& versions, uint32_t day);

// Days since 1970-01-01 of yyyymmdd, or nullopt if it is not a calendar date (1970..9999).
std::optional<int64_t> DayIndexOf(uint32_t yyyymmdd);

// The reserved transfer id of an exchange's two legs ('X' points, 'Y' coin, by exchange id) and of
// a report's award (HealthAwardId: 'A', by program, day and the report's nonce — all in the
// journal).
TransferId HealthTransferId(char kind, const AccountId& resident, std::string_view id);
TransferId HealthAwardId(const StepReport& report);

std::string EncodeHealthVersions(const std::vector<HealthProgram>& versions);
std::optional<std::vector<HealthProgram>> DecodeHealthVersions(std::string_view bytes);
std::string EncodeDailyAward(const DailyAward& award);
std::optional<DailyAward> DecodeDailyAward(std::string_view bytes);
std::string EncodeMonthlyTally(const MonthlyTally& tally);
std::optional<MonthlyTally> DecodeMonthlyTally(std::string_view bytes);
std::string EncodeStepRecord(const StepRecord& record);
std::optional<StepRecord> DecodeStepRecord(std::string_view bytes);
std::string EncodeDeviceRecord(const DeviceRecord& record);
std::optional<DeviceRecord> DecodeDeviceRecord(std::string_view bytes);
std::string EncodeConsentRecord(const ConsentRecord& record);
std::optional<ConsentRecord> DecodeConsentRecord(std::string_view bytes);
std::string EncodeExchangeRecord(const ExchangeRecord& record);
std::optional<ExchangeRecord> DecodeExchangeRecord(std::string_view bytes);

}  // namespace ledger

#endif  // LEDGER_CORE_HEALTH_H_
