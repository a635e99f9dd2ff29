// ledgerctl: farm help and workcation tasks, and the city's subsidy grants.
#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "formats/keys.h"
#include "ledger/core/tasks.h"
#include "ledger/tools/ledgerctl/ledgerctl.h"

namespace ledger::ctl {

namespace {

int GrantSubsidyCommand(LedgerConnection& stub, const Args& args) {
  v1::GrantSubsidiesRequest request;
  v1::SubsidyGrant* grant = request.add_grants();
  grant->set_budget_account_id(IdArg(Required(args, "budget"), "--budget"));
  if (args.Has("host") == args.Has("category"))
    UsageError("task grant-subsidy: one of --host and --category");
  if (args.Has("host")) grant->set_host_account_id(IdArg(args.options.at("host"), "--host"));
  if (args.Has("category")) grant->set_category(args.options.at("category"));
  if (!args.Has("withdraw")) {
    grant->set_percent_max(static_cast<uint32_t>(Int(Required(args, "percent"), "percent")));
    grant->set_monthly_max(Int(Required(args, "monthly-max"), "monthly-max"));
  }
  v1::CreateReply reply;
  grpc::Status status = stub.Call([&](LedgerConnection& c) {
    return c.ledger().GrantSubsidies(Context().get(), request, &reply);
  });
  return status.ok() ? PrintResults(reply) : RpcFailed(status);
}

// `task rules`: the city's caps on tasks (operator)
int TaskRulesCommand(LedgerConnection& stub, const Args& args, const std::string& task_id) {
  v1::TaskRules rules;
  rules.set_weekly_hours_max(static_cast<uint32_t>(IntOption(args, "weekly-hours", 0)));
  rules.set_monthly_max(IntOption(args, "monthly-max", 0));
  rules.set_dispute_hours(static_cast<uint32_t>(IntOption(args, "dispute-hours", 0)));
  v1::CreateReply reply;
  grpc::Status status = stub.Call(
      [&](LedgerConnection& c) { return c.ledger().SetTaskRules(Context().get(), rules, &reply); });
  return status.ok() ? PrintResults(reply) : RpcFailed(status);
}

// `task show`: a task and its applications (operator)
int TaskShowCommand(LedgerConnection& stub, const Args& args, const std::string& task_id) {
  v1::GetTaskRequest request;
  request.set_host_account_id(IdArg(Required(args, "host"), "--host"));
  request.set_task_id(task_id);
  v1::GetTaskReply reply;
  grpc::Status status = stub.Call(
      [&](LedgerConnection& c) { return c.ledger().GetTask(Context().get(), request, &reply); });
  if (!status.ok()) return RpcFailed(status);
  const v1::PostTaskRequest& t = reply.task();
  printf(
      "task %s: %s\n  %u..%u, %u slots (%u accepted, %u given up), %lld coin a day, %u h a day%s\n",
      t.task_id().c_str(), t.title().c_str(), t.first_day(), t.last_day(), t.slots(),
      reply.accepted(), reply.cancelled(), static_cast<long long>(t.per_day()), t.hours_per_day(),
      reply.closed() ? ", closed" : "");
  if (t.subsidy_percent() > 0) {
    printf("  city subsidy %u %% from %s\n", t.subsidy_percent(),
           ShortHex(t.subsidy_account_id()).c_str());
  }
  if (!t.wage_reference().empty())
    printf("  yen wage (outside the ledger): %s\n", t.wage_reference().c_str());
  for (const v1::TaskApplicationInfo& a : reply.applications()) {
    printf("  visitor %s: %s", ShortHex(a.visitor_account_id()).c_str(), a.state().c_str());
    if (a.slot() > 0) printf(" (slot %u)", a.slot());
    for (const v1::TaskDayInfo& d : a.days()) printf("  %u %s", d.day(), d.state().c_str());
    printf("\n");
  }
  return 0;
}

// `task code`: what the host's device shows: its signature for this visitor, today.
int TaskCodeCommand(LedgerConnection& stub, const Args& args, const std::string& task_id) {
  const wallet::KeyPair device = OpenKey(args, "device-key", "DEVICE_PASSPHRASE");
  const uint32_t day = args.Has("day") ? DayArg(args.options.at("day"), "day") : TodayInJapan();
  const std::string signature = wallet::Sign(
      device,
      TaskCodeSignedBytes(*Id128::FromBytes(IdArg(Required(args, "host"), "--host")), task_id,
                          *Id128::FromBytes(IdArg(Required(args, "visitor"), "--visitor")), day,
                          args.Has("out")));
  printf("%s\n", wallet::Hex(signature).c_str());
  return 0;
}

// `task post`: the host posts a task (signed by its terminal)
int TaskPostCommand(LedgerConnection& stub, const Args& args, const std::string& task_id) {
  v1::PostTaskRequest body;
  body.set_task_id(task_id);
  body.set_title(args.Has("title") ? args.options.at("title") : "");
  body.set_first_day(DayArg(Required(args, "from"), "from"));
  body.set_last_day(DayArg(Required(args, "to"), "to"));
  body.set_slots(static_cast<uint32_t>(Int(Required(args, "slots"), "slots")));
  body.set_per_day(Int(Required(args, "per-day"), "per-day"));
  body.set_escrow_account_id(IdArg(Required(args, "escrow"), "--escrow"));
  if (args.Has("subsidy")) {
    body.set_subsidy_account_id(IdArg(args.options.at("subsidy"), "--subsidy"));
    body.set_subsidy_percent(
        static_cast<uint32_t>(Int(Required(args, "subsidy-percent"), "subsidy-percent")));
  }
  body.set_hours_per_day(static_cast<uint32_t>(IntOption(args, "hours", 4)));
  body.set_host_key(OpenKey(args, "device-key", "DEVICE_PASSPHRASE").public_key);
  if (args.Has("wage-ref")) body.set_wage_reference(args.options.at("wage-ref"));
  return HostCall(stub, args, "PostTask", body, &v1::Pos::Stub::PostTask);
}

// `task decide`: the host accepts or declines an application
int TaskDecideCommand(LedgerConnection& stub, const Args& args, const std::string& task_id) {
  if (args.Has("accept") == args.Has("decline"))
    UsageError("task decide: give --accept or --decline");
  v1::DecideApplicationRequest body;
  body.set_task_id(task_id);
  body.set_visitor_account_id(IdArg(Required(args, "visitor"), "--visitor"));
  body.set_accept(args.Has("accept"));
  return HostCall(stub, args, "DecideApplication", body, &v1::Pos::Stub::DecideApplication);
}

// `task cancel-slots`: the host gives up slots
int TaskCancelSlotsCommand(LedgerConnection& stub, const Args& args, const std::string& task_id) {
  v1::CancelSlotsRequest body;
  body.set_task_id(task_id);
  body.set_count(static_cast<uint32_t>(Int(Required(args, "count"), "count")));
  return HostCall(stub, args, "CancelSlots", body, &v1::Pos::Stub::CancelSlots);
}

// `task confirm`: the host confirms, disputes or cancels a visitor's day
int TaskConfirmCommand(LedgerConnection& stub, const Args& args, const std::string& task_id) {
  v1::ConfirmDayRequest body;
  body.set_task_id(task_id);
  body.set_visitor_account_id(IdArg(Required(args, "visitor"), "--visitor"));
  body.set_day(DayArg(Required(args, "day"), "day"));
  if (args.Has("dispute") && args.Has("cancel"))
    UsageError("task confirm: --dispute or --cancel, not both");
  body.set_action(args.Has("dispute") ? "dispute" : args.Has("cancel") ? "cancel" : "confirm");
  return HostCall(stub, args, "ConfirmDay", body, &v1::Pos::Stub::ConfirmDay);
}

// `task apply`: a visitor applies (signed with the visitor's wallet key)
int TaskApplyCommand(LedgerConnection& stub, const Args& args, const std::string& task_id) {
  v1::ApplyTaskRequest body;
  body.set_host_account_id(IdArg(Required(args, "host"), "--host"));
  body.set_task_id(task_id);
  return VisitorCall(stub, args, "ApplyTask", body, &v1::Wallet::Stub::ApplyTask);
}

// `task check-in`: a visitor checks in or out with the host's code
int TaskCheckInCommand(LedgerConnection& stub, const Args& args, const std::string& task_id) {
  v1::CheckInRequest body;
  body.set_host_account_id(IdArg(Required(args, "host"), "--host"));
  body.set_task_id(task_id);
  body.set_out(args.Has("out"));
  body.set_host_signature(HexBytes(Required(args, "code"), "--code"));
  return VisitorCall(stub, args, "CheckIn", body, &v1::Wallet::Stub::CheckIn);
}

}  // namespace

int TaskCommand(LedgerConnection& stub, const Args& args) {
  if (args.positional.empty()) UsageError("task: which subcommand? (see `ledgerctl help`)");
  const std::string& sub = args.positional[0];
  if (sub == "grant-subsidy") return GrantSubsidyCommand(stub, args);
  const std::string task_id = sub == "rules" ? "" : Required(args, "task");
  if (sub == "rules") return TaskRulesCommand(stub, args, task_id);
  if (sub == "show") return TaskShowCommand(stub, args, task_id);
  if (sub == "code") return TaskCodeCommand(stub, args, task_id);
  if (sub == "post") return TaskPostCommand(stub, args, task_id);
  if (sub == "decide") return TaskDecideCommand(stub, args, task_id);
  if (sub == "cancel-slots") return TaskCancelSlotsCommand(stub, args, task_id);
  if (sub == "confirm") return TaskConfirmCommand(stub, args, task_id);
  if (sub == "apply") return TaskApplyCommand(stub, args, task_id);
  if (sub == "check-in") return TaskCheckInCommand(stub, args, task_id);
  UsageError(absl::StrCat("task: unknown subcommand '", sub, "'"));
}

}  // namespace ledger::ctl
