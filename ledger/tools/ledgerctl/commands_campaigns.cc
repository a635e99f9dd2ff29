// ledgerctl: campaigns (operator).
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "ledger/core/campaigns.h"
#include "ledger/core/health.h"
#include "ledger/core/pos.h"
#include "ledger/tools/ledgerctl/ledgerctl.h"

namespace ledger::ctl {

namespace {

// `campaign create`: a campaign from the options
int CampaignCreateCommand(LedgerConnection& stub, const Args& args, uint32_t id) {
  v1::Campaign c;
  c.set_campaign(id);
  c.set_name(args.Has("name") ? args.options.at("name") : "");
  c.set_funding_account_id(IdArg(Required(args, "funding"), "--funding"));
  c.set_payment_asset(static_cast<uint32_t>(Int(Required(args, "asset"), "asset")));
  if (args.Has("category")) c.set_category(args.options.at("category"));
  if (args.Has("merchants")) {
    for (absl::string_view merchant : absl::StrSplit(args.options.at("merchants"), ',')) {
      c.add_merchant_ids(IdArg(std::string(merchant), "--merchants"));
    }
  }
  c.set_starts_at(BusinessDayStart(*DayIndexOf(DayArg(Required(args, "from"), "from"))));
  c.set_ends_at(
      BusinessDayStart(*DayIndexOf(DayArg(Required(args, "to"), "to")) + 1));  // Through --to.
  if (args.Has("hours")) {
    std::vector<std::string> range = absl::StrSplit(args.options.at("hours"), '-');
    if (range.size() != 2) UsageError("--hours: HH:MM-HH:MM");
    c.set_from_minute(MinuteArg(range[0], "hours"));
    c.set_to_minute(MinuteArg(range[1], "hours"));
  }
  c.set_min_amount(IntOption(args, "min", 0));
  if (args.Has("percent") == args.Has("fixed")) UsageError("campaign create: --percent or --fixed");
  if (args.Has("percent")) {
    double percent = 0;
    if (!absl::SimpleAtod(args.options.at("percent"), &percent) || percent <= 0 || percent > 100) {
      UsageError("--percent: a number above 0, at most 100");
    }
    c.set_percent_bps(static_cast<uint32_t>(percent * 100 + 0.5));
  } else {
    c.set_fixed(Int(args.options.at("fixed"), "fixed"));
  }
  c.set_per_person_month(IntOption(args, "per-person-month", 0));
  c.set_budget(Int(Required(args, "budget"), "budget"));
  v1::CreateReply reply;
  grpc::Status status = stub.Call([&](LedgerConnection& conn) {
    return conn.ledger().CreateCampaign(Context().get(), c, &reply);
  });
  return status.ok() ? PrintResults(reply) : RpcFailed(status);
}

// `campaign close`: ends a campaign
int CampaignCloseCommand(LedgerConnection& stub, const Args& args, uint32_t id) {
  v1::CloseCampaignRequest request;
  request.set_campaign(id);
  v1::CreateReply reply;
  grpc::Status status = stub.Call([&](LedgerConnection& conn) {
    return conn.ledger().CloseCampaign(Context().get(), request, &reply);
  });
  return status.ok() ? PrintResults(reply) : RpcFailed(status);
}

// `campaign pause` / `campaign resume`: no awards until resumed
int CampaignPauseCommand(LedgerConnection& stub, uint32_t id, bool paused) {
  v1::PauseCampaignRequest request;
  request.set_campaign(id);
  request.set_paused(paused);
  v1::CreateReply reply;
  grpc::Status status = stub.Call([&](LedgerConnection& conn) {
    return conn.ledger().PauseCampaign(Context().get(), request, &reply);
  });
  return status.ok() ? PrintResults(reply) : RpcFailed(status);
}

// `campaign show`: a campaign and what it awarded
int CampaignShowCommand(LedgerConnection& stub, const Args& args, uint32_t id) {
  v1::GetCampaignRequest request;
  request.set_campaign(id);
  v1::Campaign c;
  grpc::Status status = stub.Call([&](LedgerConnection& conn) {
    return conn.ledger().GetCampaign(Context().get(), request, &c);
  });
  if (!status.ok()) return RpcFailed(status);
  printf("campaign %u \"%s\"%s: %s %s, asset %u payments", c.campaign(), c.name().c_str(),
         c.closed()   ? " (closed)"
         : c.paused() ? " (paused)"
                      : "",
         JapanTime(c.starts_at()).c_str(), JapanTime(c.ends_at()).c_str(), c.payment_asset());
  if (!c.category().empty()) printf(" at %s shops", c.category().c_str());
  if (c.merchant_ids_size() > 0) printf(" at %d listed shops", c.merchant_ids_size());
  printf(", %02u:%02u-%02u:%02u, from %lld\n", c.from_minute() / 60, c.from_minute() % 60,
         c.to_minute() / 60, c.to_minute() % 60, static_cast<long long>(c.min_amount()));
  if (c.percent_bps() > 0) {
    printf("  award %u.%02u %%", c.percent_bps() / 100, c.percent_bps() % 100);
  } else {
    printf("  award %lld per payment", static_cast<long long>(c.fixed()));
  }
  printf(" from %s; per person a month %lld; budget %lld, awarded %lld in %llu payments\n",
         ShortHex(c.funding_account_id()).c_str(), static_cast<long long>(c.per_person_month()),
         static_cast<long long>(c.budget()), static_cast<long long>(c.awarded()),
         static_cast<unsigned long long>(c.awards()));
  return 0;
}

}  // namespace

int CampaignCommand(LedgerConnection& stub, const Args& args) {
  if (args.positional.empty()) UsageError("campaign: create, pause, resume, close or show");
  const std::string& sub = args.positional[0];
  const uint32_t id = static_cast<uint32_t>(Int(Required(args, "id"), "id"));
  if (sub == "create") return CampaignCreateCommand(stub, args, id);
  if (sub == "close") return CampaignCloseCommand(stub, args, id);
  if (sub == "pause" || sub == "resume") return CampaignPauseCommand(stub, id, sub == "pause");
  if (sub == "show") return CampaignShowCommand(stub, args, id);
  UsageError(absl::StrCat("campaign: unknown subcommand '", sub, "'"));
}

}  // namespace ledger::ctl
