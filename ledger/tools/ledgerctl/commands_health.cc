// ledgerctl: health mileage: programs, step reports, residents' devices and consents, mileage,
// alerts.
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "formats/keys.h"
#include "ledger/core/health.h"
#include "ledger/core/records.h"
#include "ledger/tools/ledgerctl/ledgerctl.h"
#include "wallet/wallet_client.h"

namespace ledger::ctl {

namespace {

// A resident's own request, signed with their wallet key.
template <typename Body, typename Reply>
grpc::Status ResidentCall(LedgerConnection& stub, const Args& args, const char* method,
                          const Body& body, Reply* reply,
                          grpc::Status (v1::Health::Stub::*rpc)(grpc::ClientContext*,
                                                                const v1::WalletRequest&, Reply*),
                          const std::string& signer = "resident") {
  const v1::WalletRequest request = SignedWithKeyFile(args, signer, method, body);
  return stub.Call(
      [&](LedgerConnection& c) { return (c.health().*rpc)(Context().get(), request, reply); });
}

int HealthProgramCommand(LedgerConnection& stub, const Args& args) {
  v1::HealthProgram program;
  program.set_program(static_cast<uint32_t>(Int(Required(args, "program"), "program")));
  program.set_effective_day(DayArg(Required(args, "effective"), "effective"));
  program.set_funding_account_id(IdArg(Required(args, "funding"), "--funding"));
  if (args.Has("tiers")) {
    for (auto [steps, points] : PairsArg(args.options.at("tiers"), "tiers")) {
      v1::StepTier* tier = program.add_tiers();
      tier->set_steps_min(static_cast<uint32_t>(steps));
      tier->set_points(static_cast<uint32_t>(points));
    }
  }
  program.set_daily_cap(static_cast<uint32_t>(IntOption(args, "daily-cap", 0)));
  if (args.Has("no-bonus")) {
    program.set_no_bonus(true);
  } else if (args.Has("bonus")) {
    auto bonus = PairsArg(args.options.at("bonus"), "bonus");
    if (bonus.size() != 1) UsageError("--bonus: DAYS:POINTS");
    program.set_bonus_days(static_cast<uint32_t>(bonus[0].first));
    program.set_bonus_points(static_cast<uint32_t>(bonus[0].second));
  }
  program.set_steps_max(static_cast<uint32_t>(IntOption(args, "steps-max", 0)));
  program.set_report_window_days(static_cast<uint32_t>(IntOption(args, "window-days", 0)));
  if (args.Has("exchange")) {
    auto rate = PairsArg(args.options.at("exchange"), "exchange");
    if (rate.size() != 1) UsageError("--exchange: POINTS:COIN");
    program.set_exchange_points(static_cast<uint32_t>(rate[0].first));
    program.set_exchange_coin(rate[0].second);
    program.set_exchange_retire_account_id(IdArg(Required(args, "retire"), "--retire"));
    program.set_coin_funding_account_id(IdArg(Required(args, "coin-funding"), "--coin-funding"));
  }
  v1::CreateReply reply;
  grpc::Status status = stub.Call([&](LedgerConnection& c) {
    return c.ledger().SetHealthProgram(Context().get(), program, &reply);
  });
  return status.ok() ? PrintResults(reply) : RpcFailed(status);
}

int HealthReportCommand(LedgerConnection& stub, const Args& args) {
  const wallet::KeyPair device = OpenKey(args, "device-key", "DEVICE_PASSPHRASE");
  v1::StepReportRequest report;
  report.set_program(static_cast<uint32_t>(Int(Required(args, "program"), "program")));
  report.set_resident_id(IdArg(Required(args, "resident"), "--resident"));
  report.set_device_id(Required(args, "device"));
  report.set_day(DayArg(Required(args, "day"), "day"));
  const int64_t steps = Int(Required(args, "steps"), "steps");
  if (steps < 0 || steps > UINT32_MAX) UsageError("--steps: 0 or more");
  report.set_steps(static_cast<uint32_t>(steps));
  report.set_nonce(wallet::RandomNonce());
  report.set_signature(wallet::Sign(
      device,
      StepReportSignedBytes(report.program(), *Id128::FromBytes(report.resident_id()),
                            report.device_id(), report.day(), report.steps(), report.nonce())));
  v1::StepReportReply reply;
  grpc::Status status = stub.Call(
      [&](LedgerConnection& c) { return c.health().ReportSteps(Context().get(), report, &reply); });
  if (!status.ok()) return RpcFailed(status);
  printf(
      "%s: %lld pt awarded; %u pt for %u so far; %u qualifying days this month (journal index "
      "%llu)\n",
      ResultName(static_cast<Result>(reply.result())),
      static_cast<long long>(reply.points_awarded()), reply.day_points(), report.day(),
      reply.month_qualifying_days(), static_cast<unsigned long long>(reply.journal_index()));
  return reply.result() == v1::OK ? 0 : 3;
}

int HealthResidentCommand(LedgerConnection& stub, const std::string& sub, const Args& args) {
  v1::WalletReply reply;
  grpc::Status status;
  if (sub == "register-device") {
    v1::RegisterDeviceRequest body;
    body.set_device_id(Required(args, "device"));
    const std::string key = HexBytes(Required(args, "public-key"), "--public-key");
    if (key.size() != 32) UsageError("--public-key: 64 hex digits (an Ed25519 public key)");
    body.set_public_key(key);
    status =
        ResidentCall(stub, args, "RegisterDevice", body, &reply, &v1::Health::Stub::RegisterDevice);
  } else if (sub == "revoke-device") {
    v1::RevokeDeviceRequest body;
    body.set_device_id(Required(args, "device"));
    status =
        ResidentCall(stub, args, "RevokeDevice", body, &reply, &v1::Health::Stub::RevokeDevice);
  } else if (sub == "consent") {
    v1::ConsentRequest body;
    const std::string purpose = Required(args, "purpose");
    if (purpose == "earning") {
      body.set_purpose(v1::EARNING);
    } else if (purpose == "watch-over") {
      body.set_purpose(v1::WATCH_OVER);
    } else if (purpose == "statistics") {
      body.set_purpose(v1::STATISTICS);
    } else {
      UsageError("--purpose: earning, watch-over or statistics");
    }
    if (args.Has("grant") == args.Has("revoke")) UsageError("consent: give --grant or --revoke");
    body.set_granted(args.Has("grant"));
    status = ResidentCall(stub, args, "SetConsent", body, &reply, &v1::Health::Stub::SetConsent);
  } else if (sub == "exchange") {
    v1::ExchangePointsRequest body;
    body.set_program(static_cast<uint32_t>(Int(Required(args, "program"), "program")));
    body.set_coin_wallet_id(IdArg(Required(args, "coin-wallet"), "--coin-wallet"));
    body.set_points(Int(Required(args, "points"), "points"));
    body.set_exchange_id(Required(args, "exchange-id"));
    status =
        ResidentCall(stub, args, "ExchangePoints", body, &reply, &v1::Health::Stub::ExchangePoints);
  } else if (sub == "watch-over") {
    v1::WatchOverRequest body;
    if (!args.Has("stop")) {
      for (absl::string_view id : absl::StrSplit(Required(args, "watchers"), ',')) {
        body.add_watcher_ids(IdArg(std::string(id), "--watchers"));
      }
    }
    body.set_silent_days(static_cast<uint32_t>(IntOption(args, "silent-days", 0)));
    body.set_drop_percent(static_cast<uint32_t>(IntOption(args, "drop-percent", 0)));
    body.set_baseline_days(static_cast<uint32_t>(IntOption(args, "baseline-days", 0)));
    body.set_min_baseline_days(static_cast<uint32_t>(IntOption(args, "min-baseline-days", 0)));
    status =
        ResidentCall(stub, args, "SetWatchOver", body, &reply, &v1::Health::Stub::SetWatchOver);
  } else if (sub == "ack") {
    v1::AckAlertRequest body;
    body.set_resident_id(IdArg(Required(args, "resident"), "--resident"));
    body.set_alert(static_cast<uint32_t>(Int(Required(args, "alert"), "alert")));
    status =
        ResidentCall(stub, args, "AckAlert", body, &reply, &v1::Health::Stub::AckAlert, "watcher");
  } else if (sub == "erase") {
    status = ResidentCall(stub, args, "EraseStepData", v1::EraseStepDataRequest(), &reply,
                          &v1::Health::Stub::EraseStepData);
  } else {
    UsageError(absl::StrCat("health: unknown subcommand '", sub, "'"));
  }
  return status.ok() ? PrintWalletReply(reply) : RpcFailed(status);
}

int HealthMileageCommand(LedgerConnection& stub, const Args& args) {
  v1::MileageRequest body;
  body.set_program(static_cast<uint32_t>(IntOption(args, "program", 0)));
  if (args.Has("from")) body.set_from_day(DayArg(args.options.at("from"), "from"));
  if (args.Has("to")) body.set_to_day(DayArg(args.options.at("to"), "to"));
  v1::MileageReply reply;
  grpc::Status status =
      ResidentCall(stub, args, "GetMileage", body, &reply, &v1::Health::Stub::GetMileage);
  if (!status.ok()) return RpcFailed(status);
  printf("%-10s %8s %6s\n", "day", "steps", "points");
  for (const v1::MileageDay& day : reply.days()) {
    printf("%-10u %8s %6u\n", day.day(), day.has_steps() ? absl::StrCat(day.steps()).c_str() : "-",
           day.points());
  }
  printf("this month: %u qualifying days, bonus %u pt; points available: %lld\n",
         reply.month_qualifying_days(), reply.month_bonus_points(),
         static_cast<long long>(reply.points_balance()));
  for (const v1::MileageDevice& device : reply.devices()) {
    printf("device %s%s, registered %s\n", device.device_id().c_str(),
           device.revoked() ? " (revoked)" : "", JapanTime(device.registered()).c_str());
  }
  std::vector<std::string> consents;
  for (int purpose : reply.consents()) consents.push_back(v1::ConsentPurpose_Name(purpose));
  printf("consents: %s\n", consents.empty() ? "none" : absl::StrJoin(consents, ", ").c_str());
  return 0;
}

// A watcher's alerts: those open now (and acknowledged ones with --all), then, with --follow, each
// new one and each acknowledgement as it happens; without --follow it stops after 3 s of quiet.
int HealthAlertsCommand(LedgerConnection& stub, const Args& args) {
  v1::WatchAlertsRequest body;
  body.set_include_acknowledged(args.Has("all"));
  const v1::WalletRequest request = SignedWithKeyFile(args, "watcher", "WatchAlerts", body);
  const bool follow = args.Has("follow");
  int shown = 0;
  grpc::Status status = stub.Call([&](LedgerConnection& c) {
    grpc::ClientContext context;
    if (!follow) context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
    std::unique_ptr<grpc::ClientReader<v1::Alert>> reader =
        c.health().WatchAlerts(&context, request);
    v1::Alert alert;
    while (reader->Read(&alert)) {
      ++shown;
      printf("resident %s alert %u: %s on %u", ShortHex(alert.resident_id()).c_str(), alert.seq(),
             alert.kind().c_str(), alert.day());
      if (alert.kind() == "no_reports") printf(" (%u days without a report)", alert.days_silent());
      if (alert.kind() == "steps_fell")
        printf(" (%u %% of the usual steps)", alert.percent_of_baseline());
      printf(", raised %s", JapanTime(alert.raised_at()).c_str());
      if (!alert.acknowledged_by().empty()) {
        printf("; acknowledged by %s at %s", ShortHex(alert.acknowledged_by()).c_str(),
               JapanTime(alert.acknowledged_at()).c_str());
      }
      printf("\n");
      fflush(stdout);
    }
    grpc::Status finished = reader->Finish();
    return !follow && finished.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED
               ? grpc::Status::OK
               : finished;
  });
  if (!status.ok()) return RpcFailed(status);
  if (shown == 0) printf("no alerts\n");
  return 0;
}

}  // namespace

int HealthCommand(LedgerConnection& stub, const Args& args) {
  if (args.positional.empty()) UsageError("health: which subcommand? (see `ledgerctl help`)");
  const std::string& sub = args.positional[0];
  if (sub == "program") return HealthProgramCommand(stub, args);
  if (sub == "report") return HealthReportCommand(stub, args);
  if (sub == "mileage") return HealthMileageCommand(stub, args);
  if (sub == "alerts") return HealthAlertsCommand(stub, args);
  return HealthResidentCommand(stub, sub, args);
}

}  // namespace ledger::ctl
