// The Health gRPC service: see health_service.h.
#include "ledger/server/health_service.h"

#include <sodium.h>

#include <map>

#include "absl/strings/str_cat.h"
#include "formats/keys.h"
#include "ledger/core/health.h"
#include "ledger/core/keys.h"
#include "ledger/core/limits.h"
#include "ledger/core/pos.h"
#include "ledger/core/query.h"
#include "ledger/server/convert.h"
#include "ledger/server/field_bounds.h"
#include "ledger/server/status_util.h"

namespace wallet {

using ledger::AccountId;
namespace v1 = ledger::v1;

namespace {

grpc::Status Invalid(std::string message) {
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, std::move(message));
}

}  // namespace

grpc::Status HealthService::Submit(ledger::Command command, const AccountId& payer,
                                   v1::WalletReply* reply) {
  return SubmitWalletCommand(node_, std::move(command), payer, reply);
}

v1::Result HealthService::CheckDeviceSignature(const AccountId& resident,
                                               const v1::StepReportRequest& in) const {
  std::string bytes;
  if (!node_->state().Get(ledger::keys::Device(resident, in.device_id()), &bytes))
    return v1::DEVICE_NOT_FOUND;
  std::optional<ledger::DeviceRecord> device = ledger::DecodeDeviceRecord(bytes);
  if (!device)
    return v1::DEVICE_NOT_FOUND;  // Cannot happen (the core wrote it); the core would stop.
  if (device->revoked) return v1::DEVICE_REVOKED;
  const std::string signed_bytes = ledger::StepReportSignedBytes(
      in.program(), resident, in.device_id(), in.day(), in.steps(), in.nonce());
  return Verify(device->public_key, signed_bytes, in.signature()) ? v1::OK : v1::SIGNATURE_INVALID;
}

grpc::Status HealthService::ReportSteps(grpc::ServerContext*, const v1::StepReportRequest* in,
                                        v1::StepReportReply* reply) {
  if (absl::Status bounded = ledger::CheckFieldBounds(*in); !bounded.ok())
    return ledger::ToGrpcStatus(bounded);
  std::optional<AccountId> resident = ledger::Id128::FromBytes(in->resident_id());
  if (!resident || resident->IsZero()) return Invalid("resident_id: must be 16 bytes, not zero");
  if (in->program() == 0) return Invalid("program: must be positive");
  if (in->device_id().empty()) return Invalid("device_id: required");
  if (in->nonce() == 0) return Invalid("nonce: must not be zero");
  // Limited per resident, and only once the report is the device's own: a registered, active device
  // and its signature. Before, the allowance was spent first, so anyone who knew a resident's id
  // could use it up with forged reports (each of them journaled) and starve her real ones. The core
  // checks all of this again and decides the report; these early answers are the ones it would
  // give, and submit nothing.
  if (absl::Status readable = node_->ReadBarrier(); !readable.ok())
    return ledger::ToGrpcStatus(readable);
  if (v1::Result refused = CheckDeviceSignature(*resident, *in); refused != v1::OK) {
    reply->set_result(refused);
    return grpc::Status::OK;
  }
  if (!reports_.Take(in->resident_id(), clock_->NowNanos())) {
    return grpc::Status(
        grpc::StatusCode::RESOURCE_EXHAUSTED,
        absl::StrCat("resident ", resident->ToHex(), ": more than ", reports_.requests_per_second(),
                     " step reports per second; slow down"));
  }
  ledger::StepReport report;
  report.program = in->program();
  report.resident = *resident;
  report.device_id = in->device_id();
  report.day = in->day();
  report.steps = in->steps();
  report.nonce = in->nonce();
  report.signature = in->signature();
  // The device signs no time: the core's window for the report starts at its admission.
  report.request_ms = clock_->NowNanos() / 1'000'000;
  report.salt.resize(16);
  randombytes_buf(report.salt.data(),
                  report.salt.size());  // Chosen here; replicated in the command.
  std::vector<ledger::Command> commands;
  commands.push_back(std::move(report));
  absl::StatusOr<ledger::SubmitResult> result = node_->Submit(std::move(commands));
  if (!result.ok()) return ledger::ToGrpcStatus(result.status());
  const ledger::Outcome& outcome = result->outcomes.at(0);
  reply->set_result(static_cast<v1::Result>(outcome.result));
  reply->set_points_awarded(outcome.asset != 0 ? outcome.amount : 0);
  reply->set_journal_index(result->journal_index);
  if (outcome.result == ledger::Result::kOk) {
    auto awards = ledger::LookupDailyAwards(node_->state(), *resident, in->day(), in->day());
    if (!awards.empty()) reply->set_day_points(awards[0].second.points);
    reply->set_month_qualifying_days(
        ledger::LookupMonthlyTally(node_->state(), *resident, in->day() / 100).qualifying_days);
  }
  return grpc::Status::OK;
}

grpc::Status HealthService::RegisterDevice(grpc::ServerContext*, const v1::WalletRequest* in,
                                           v1::WalletReply* reply) {
  v1::RegisterDeviceRequest body;
  AccountId resident;
  if (grpc::Status auth = verifier_.Verify("RegisterDevice", *in, &body, &resident); !auth.ok())
    return auth;
  return Submit(ledger::RegisterDevice{resident, body.device_id(), body.public_key(), false,
                                       in->nonce(), in->timestamp_ms()},
                resident, reply);
}

grpc::Status HealthService::RevokeDevice(grpc::ServerContext*, const v1::WalletRequest* in,
                                         v1::WalletReply* reply) {
  v1::RevokeDeviceRequest body;
  AccountId resident;
  if (grpc::Status auth = verifier_.Verify("RevokeDevice", *in, &body, &resident); !auth.ok())
    return auth;
  return Submit(
      ledger::RegisterDevice{resident, body.device_id(), "", true, in->nonce(), in->timestamp_ms()},
      resident, reply);
}

grpc::Status HealthService::SetConsent(grpc::ServerContext*, const v1::WalletRequest* in,
                                       v1::WalletReply* reply) {
  v1::ConsentRequest body;
  AccountId resident;
  if (grpc::Status auth = verifier_.Verify("SetConsent", *in, &body, &resident); !auth.ok())
    return auth;
  if (body.purpose() == v1::CONSENT_PURPOSE_UNSPECIFIED) {
    return Invalid("purpose: EARNING, WATCH_OVER or STATISTICS");
  }
  return Submit(ledger::SetConsent{resident, static_cast<uint8_t>(body.purpose()), body.granted(),
                                   in->nonce(), in->timestamp_ms()},
                resident, reply);
}

grpc::Status HealthService::ExchangePoints(grpc::ServerContext*, const v1::WalletRequest* in,
                                           v1::WalletReply* reply) {
  v1::ExchangePointsRequest body;
  AccountId resident;
  if (grpc::Status auth = verifier_.Verify("ExchangePoints", *in, &body, &resident); !auth.ok())
    return auth;
  std::optional<AccountId> coin_wallet = ledger::Id128::FromBytes(body.coin_wallet_id());
  if (!coin_wallet || coin_wallet->IsZero())
    return Invalid("coin_wallet_id: must be 16 bytes, not zero");
  if (!ledger::ValidPosId(body.exchange_id())) {
    return Invalid(
        absl::StrCat("exchange_id: 1 to ", ledger::kPosIdLengthMax, " printable ASCII characters"));
  }
  return Submit(ledger::ExchangePoints{body.program(), resident, *coin_wallet, body.points(),
                                       body.exchange_id(), in->nonce(), in->timestamp_ms()},
                resident, reply);
}

grpc::Status HealthService::EraseStepData(grpc::ServerContext*, const v1::WalletRequest* in,
                                          v1::WalletReply* reply) {
  v1::EraseStepDataRequest body;
  AccountId resident;
  if (grpc::Status auth = verifier_.Verify("EraseStepData", *in, &body, &resident); !auth.ok())
    return auth;
  return Submit(ledger::EraseStepData{resident, in->nonce(), in->timestamp_ms()}, resident, reply);
}

grpc::Status HealthService::GetMileage(grpc::ServerContext*, const v1::WalletRequest* in,
                                       v1::MileageReply* reply) {
  v1::MileageRequest body;
  AccountId resident;
  if (grpc::Status auth = verifier_.Verify("GetMileage", *in, &body, &resident); !auth.ok())
    return auth;
  const uint32_t to_day =
      body.to_day() != 0 ? body.to_day() : ledger::BusinessDay(clock_->NowNanos());
  std::optional<int64_t> to_index = ledger::DayIndexOf(to_day);
  if (!to_index) return Invalid(absl::StrCat("to_day: ", to_day, " is not a yyyymmdd date"));
  const uint32_t from_day = body.from_day() != 0
                                ? body.from_day()
                                : ledger::DayNumber(*to_index - (ledger::kMileageDaysDefault - 1));
  std::optional<int64_t> from_index = ledger::DayIndexOf(from_day);
  if (!from_index) return Invalid(absl::StrCat("from_day: ", from_day, " is not a yyyymmdd date"));
  if (*from_index > *to_index || *to_index - *from_index >= ledger::kMileageDaysMax) {
    return Invalid(absl::StrCat("from_day, to_day: from_day first, at most ",
                                ledger::kMileageDaysMax, " days"));
  }
  const ledger::KvReader& state = node_->state();
  auto awards = ledger::LookupDailyAwards(state, resident, from_day, to_day);
  auto steps = ledger::LookupStepRecords(state, resident, from_day, to_day);
  std::map<uint32_t, v1::MileageDay> days;
  for (const auto& [day, award] : awards) {
    days[day].set_day(day);
    days[day].set_points(award.points);
  }
  for (const auto& [day, record] : steps) {
    days[day].set_day(day);
    days[day].set_steps(record.steps);
    days[day].set_has_steps(true);
  }
  for (auto& [day, out] : days) *reply->add_days() = std::move(out);
  const ledger::MonthlyTally tally = ledger::LookupMonthlyTally(state, resident, to_day / 100);
  reply->set_month_qualifying_days(tally.qualifying_days);
  reply->set_month_bonus_points(tally.bonus_points);
  if (std::optional<ledger::Account> account = ledger::LookupAccount(state, resident)) {
    reply->set_points_balance(account->balance - account->debits_pending);
  }
  for (const auto& [device_id, device] : ledger::LookupDevices(state, resident)) {
    v1::MileageDevice* out = reply->add_devices();
    out->set_device_id(device_id);
    out->set_revoked(device.revoked);
    out->set_registered(device.registered);
  }
  for (uint8_t purpose = 1; purpose <= ledger::kConsentPurposeMax; ++purpose) {
    std::optional<ledger::ConsentRecord> consent = ledger::LookupConsent(state, resident, purpose);
    if (consent && consent->granted) reply->add_consents(static_cast<v1::ConsentPurpose>(purpose));
  }
  if (body.program() != 0) {
    std::vector<ledger::HealthProgram> versions =
        ledger::LookupHealthVersions(state, body.program());
    if (const ledger::HealthProgram* version = ledger::VersionOn(versions, to_day)) {
      ledger::HealthProgramToProto(*version, reply->mutable_program());
    }
  }
  return grpc::Status::OK;
}

grpc::Status HealthService::SetWatchOver(grpc::ServerContext*, const v1::WalletRequest* in,
                                         v1::WalletReply* reply) {
  v1::WatchOverRequest body;
  AccountId resident;
  if (grpc::Status auth = verifier_.Verify("SetWatchOver", *in, &body, &resident); !auth.ok())
    return auth;
  ledger::SetWatchOver watch;
  watch.resident = resident;
  for (int i = 0; i < body.watcher_ids_size(); ++i) {
    std::optional<AccountId> watcher = ledger::Id128::FromBytes(body.watcher_ids(i));
    if (!watcher || watcher->IsZero())
      return Invalid(absl::StrCat("watcher_ids[", i, "]: must be 16 bytes, not zero"));
    watch.watchers.push_back(*watcher);
  }
  if (body.silent_days() != 0) watch.silent_days = body.silent_days();
  if (body.drop_percent() != 0) watch.drop_percent = body.drop_percent();
  if (body.baseline_days() != 0) watch.baseline_days = body.baseline_days();
  if (body.min_baseline_days() != 0) watch.min_baseline_days = body.min_baseline_days();
  watch.nonce = in->nonce();
  watch.request_ms = in->timestamp_ms();
  return Submit(std::move(watch), resident, reply);
}

grpc::Status HealthService::AckAlert(grpc::ServerContext*, const v1::WalletRequest* in,
                                     v1::WalletReply* reply) {
  v1::AckAlertRequest body;
  AccountId watcher;
  if (grpc::Status auth = verifier_.Verify("AckAlert", *in, &body, &watcher); !auth.ok())
    return auth;
  std::optional<AccountId> resident = ledger::Id128::FromBytes(body.resident_id());
  if (!resident || resident->IsZero()) return Invalid("resident_id: must be 16 bytes, not zero");
  if (body.alert() == 0) return Invalid("alert: the alert's seq, 1 or more");
  return Submit(ledger::AckAlert{watcher, *resident, body.alert(), in->nonce(), in->timestamp_ms()},
                watcher, reply);
}

grpc::Status HealthService::WatchAlerts(grpc::ServerContext* context, const v1::WalletRequest* in,
                                        grpc::ServerWriter<v1::Alert>* writer) {
  v1::WatchAlertsRequest body;
  AccountId watcher;
  if (grpc::Status auth = verifier_.Verify("WatchAlerts", *in, &body, &watcher); !auth.ok())
    return auth;
  const ledger::StreamSlots::Slot slot = streams_.Take(watcher.ToBytes());
  if (slot.refusal() == ledger::StreamSlots::Refusal::kPerKey) {
    return grpc::Status(
        grpc::StatusCode::RESOURCE_EXHAUSTED,
        absl::StrCat("watcher ", watcher.ToHex(), ": at most ", ledger::kWatchStreamsPerWatcherMax,
                     " open WatchAlerts streams"));
  }
  if (slot.refusal() == ledger::StreamSlots::Refusal::kTotal) {
    return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                        absl::StrCat("this node serves at most ", ledger::kWatchStreamsMax,
                                     " WatchAlerts streams"));
  }
  // What this stream has shown: (resident, seq) -> shown while open.
  std::map<std::pair<AccountId, uint32_t>, bool> shown;
  bool first = true;
  uint64_t index = node_->committed_index();
  while (!context->IsCancelled()) {
    for (const AccountId& resident : ledger::WatchedResidents(node_->state(), watcher)) {
      for (const ledger::AlertRecord& alert : ledger::LookupAlerts(node_->state(), resident)) {
        const auto key = std::make_pair(resident, alert.seq);
        auto it = shown.find(key);
        if (it == shown.end() && !alert.open() && first && !body.include_acknowledged()) {
          shown[key] = false;  // Acknowledged before the stream started: skip.
          continue;
        }
        if (it != shown.end() && it->second == alert.open()) continue;
        v1::Alert out;
        out.set_resident_id(resident.ToBytes());
        out.set_seq(alert.seq);
        out.set_kind(alert.kind == ledger::AlertKind::kNoReports ? "no_reports" : "steps_fell");
        out.set_day(alert.day);
        out.set_days_silent(alert.days_silent);
        out.set_percent_of_baseline(alert.percent_of_baseline);
        out.set_raised_at(alert.raised_at);
        if (!alert.open()) {
          out.set_acknowledged_by(alert.acknowledged_by.ToBytes());
          out.set_acknowledged_at(alert.acknowledged_at);
        }
        if (!writer->Write(out)) return grpc::Status::OK;  // The client went away.
        shown[key] = alert.open();
      }
    }
    first = false;
    index = node_->WaitForIndexAfter(index, std::chrono::seconds(1));
  }
  return grpc::Status::OK;
}

}  // namespace wallet
