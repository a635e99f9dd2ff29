// The Ledger gRPC service: see service.h.
#include "ledger/server/service.h"

#include <sodium.h>

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "ledger/core/audit.h"
#include "ledger/core/campaigns.h"
#include "ledger/core/keys.h"
#include "ledger/core/limits.h"
#include "ledger/core/operator_name.h"
#include "ledger/core/operators.h"
#include "ledger/core/query.h"
#include "ledger/core/tasks.h"
#include "ledger/server/account_reads.h"
#include "ledger/server/convert.h"
#include "ledger/server/field_bounds.h"
#include "ledger/server/operator_roles.h"
#include "ledger/server/status_util.h"

namespace ledger {
namespace {

// How long a caught-up Subscribe stream waits for a new entry before checking for cancellation.
constexpr std::chrono::milliseconds kSubscribePoll{500};
// Journal entries a Subscribe stream reads per step.
constexpr int kSubscribeReadEntries = 64;

}  // namespace

absl::Status LedgerService::Authorize(const grpc::ServerContextBase& context, const char* method,
                                      std::string* who) const {
  absl::StatusOr<std::string> name = auth_->Authenticate(context);
  if (!name.ok()) return name.status();
  if (absl::Status allowed = CheckOperatorMethod(node_->state(), *name, "Ledger", method);
      !allowed.ok())
    return allowed;
  if (who != nullptr) *who = *std::move(name);
  return absl::OkStatus();
}

absl::Status LedgerService::Admit(const grpc::ServerContextBase& context, const char* method,
                                  const google::protobuf::Message& request,
                                  std::string* who) const {
  if (absl::Status allowed = Authorize(context, method, who); !allowed.ok()) return allowed;
  return CheckFieldBounds(request);
}

grpc::Status LedgerService::Done(const char* method, const absl::Status& status) {
  metrics_->OnRequest(method, static_cast<int>(status.code()));
  return ToGrpcStatus(status);
}

grpc::Status LedgerService::Create(const char* method,
                                   absl::StatusOr<std::vector<Command>> commands,
                                   v1::CreateReply* reply, std::string who) {
  if (!commands.ok()) return Done(method, commands.status());
  absl::StatusOr<SubmitResult> result = node_->Submit(std::move(*commands), std::move(who));
  if (!result.ok()) return Done(method, result.status());
  OutcomesToProto(result->outcomes, result->journal_index, reply);
  return Done(method, absl::OkStatus());
}

grpc::Status LedgerService::CreateAssets(grpc::ServerContext* context,
                                         const v1::CreateAssetsRequest* request,
                                         v1::CreateReply* reply) {
  std::string who;
  if (absl::Status allowed = Admit(*context, "CreateAssets", *request, &who); !allowed.ok())
    return Done("CreateAssets", allowed);
  return Create("CreateAssets", AssetsFromProto(*request), reply, who);
}

grpc::Status LedgerService::CreateAccounts(grpc::ServerContext* context,
                                           const v1::CreateAccountsRequest* request,
                                           v1::CreateReply* reply) {
  std::string who;
  if (absl::Status allowed = Admit(*context, "CreateAccounts", *request, &who); !allowed.ok())
    return Done("CreateAccounts", allowed);
  return Create("CreateAccounts", AccountsFromProto(*request), reply, who);
}

grpc::Status LedgerService::CloseAccounts(grpc::ServerContext* context,
                                          const v1::CloseAccountsRequest* request,
                                          v1::CreateReply* reply) {
  std::string who;
  if (absl::Status allowed = Admit(*context, "CloseAccounts", *request, &who); !allowed.ok())
    return Done("CloseAccounts", allowed);
  return Create("CloseAccounts", ClosesFromProto(*request), reply, who);
}

grpc::Status LedgerService::RegisterKeys(grpc::ServerContext* context,
                                         const v1::RegisterKeysRequest* request,
                                         v1::CreateReply* reply) {
  std::string who;
  if (absl::Status allowed = Admit(*context, "RegisterKeys", *request, &who); !allowed.ok())
    return Done("RegisterKeys", allowed);
  return Create("RegisterKeys", KeysFromProto(*request), reply, who);
}

grpc::Status LedgerService::SetFees(grpc::ServerContext* context, const v1::SetFeesRequest* request,
                                    v1::CreateReply* reply) {
  std::string who;
  if (absl::Status allowed = Admit(*context, "SetFees", *request, &who); !allowed.ok())
    return Done("SetFees", allowed);
  return Create("SetFees", FeesFromProto(*request), reply, who);
}

grpc::Status LedgerService::SetMerchantProfiles(grpc::ServerContext* context,
                                                const v1::SetMerchantProfilesRequest* request,
                                                v1::CreateReply* reply) {
  std::string who;
  if (absl::Status allowed = Admit(*context, "SetMerchantProfiles", *request, &who); !allowed.ok())
    return Done("SetMerchantProfiles", allowed);
  absl::Status count = CheckItemCount(request->profiles_size(), "profiles");
  if (!count.ok()) return Done("SetMerchantProfiles", count);
  std::vector<Command> commands;
  for (int i = 0; i < request->profiles_size(); ++i) {
    const v1::MerchantProfile& profile = request->profiles(i);
    absl::StatusOr<Id128> merchant =
        IdFromProto(profile.merchant_id(), absl::StrCat("profiles[", i, "].merchant_id"), false);
    if (!merchant.ok()) return Done("SetMerchantProfiles", merchant.status());
    if (profile.accepts_account_ids_size() > static_cast<int>(kProfileAccountsMax)) {
      return Done("SetMerchantProfiles",
                  absl::InvalidArgumentError(absl::StrCat(
                      "profiles[", i, "].accepts_account_ids: ", profile.accepts_account_ids_size(),
                      " accounts; at most ", kProfileAccountsMax)));
    }
    SetMerchantProfile command{*merchant, profile.chamber_member(), {}};
    for (int j = 0; j < profile.accepts_account_ids_size(); ++j) {
      absl::StatusOr<Id128> account =
          IdFromProto(profile.accepts_account_ids(j),
                      absl::StrCat("profiles[", i, "].accepts_account_ids[", j, "]"), false);
      if (!account.ok()) return Done("SetMerchantProfiles", account.status());
      command.accepts.push_back(*account);
    }
    commands.emplace_back(std::move(command));
  }
  return Create("SetMerchantProfiles", std::move(commands), reply, who);
}

grpc::Status LedgerService::RegisterCards(grpc::ServerContext* context,
                                          const v1::RegisterCardsRequest* request,
                                          v1::CreateReply* reply) {
  std::string who;
  if (absl::Status allowed = Admit(*context, "RegisterCards", *request, &who); !allowed.ok())
    return Done("RegisterCards", allowed);
  absl::Status count = CheckItemCount(request->cards_size(), "cards");
  if (!count.ok()) return Done("RegisterCards", count);
  std::vector<Command> commands;
  for (int i = 0; i < request->cards_size(); ++i) {
    const v1::Card& in = request->cards(i);
    const std::string field = absl::StrCat("cards[", i, "]");
    absl::StatusOr<Id128> wallet = IdFromProto(in.account_id(), field + ".account_id", false);
    if (!wallet.ok()) return Done("RegisterCards", wallet.status());
    const bool digits =
        std::all_of(in.pin().begin(), in.pin().end(), [](char c) { return c >= '0' && c <= '9'; });
    if (in.pin().size() < kPinLengthMin || in.pin().size() > kPinLengthMax || !digits) {
      return Done("RegisterCards",
                  absl::InvalidArgumentError(absl::StrCat(field, ".pin: 4 to 12 digits")));
    }
    RegisterCard card;
    card.card = in.card_number();
    card.wallet = *wallet;
    card.pin_salt.resize(16);
    randombytes_buf(card.pin_salt.data(),
                    card.pin_salt.size());  // Chosen here; replicated in the command.
    card.pin_proof = PinProof(card.pin_salt, card.card, in.pin());
    card.attempts_max = in.attempts_max() == 0 ? kPinAttemptsMaxDefault : in.attempts_max();
    commands.emplace_back(std::move(card));
  }
  return Create("RegisterCards", std::move(commands), reply, who);
}

grpc::Status LedgerService::UnlockCards(grpc::ServerContext* context,
                                        const v1::UnlockCardsRequest* request,
                                        v1::CreateReply* reply) {
  std::string who;
  if (absl::Status allowed = Admit(*context, "UnlockCards", *request, &who); !allowed.ok())
    return Done("UnlockCards", allowed);
  absl::Status count = CheckItemCount(request->cards_size(), "cards");
  if (!count.ok()) return Done("UnlockCards", count);
  std::vector<Command> commands;
  for (int i = 0; i < request->cards_size(); ++i) {
    const v1::CardUnlock& in = request->cards(i);
    if (in.operator_name().empty()) {
      return Done("UnlockCards",
                  absl::InvalidArgumentError(absl::StrCat(
                      "cards[", i, "].operator_name: required (who at the city unlocked it)")));
    }
    commands.emplace_back(UnlockCard{in.card_number(), in.operator_name()});
  }
  return Create("UnlockCards", std::move(commands), reply, who);
}

grpc::Status LedgerService::ReissueCards(grpc::ServerContext* context,
                                         const v1::ReissueCardsRequest* request,
                                         v1::CreateReply* reply) {
  std::string who;
  if (absl::Status allowed = Admit(*context, "ReissueCards", *request, &who); !allowed.ok())
    return Done("ReissueCards", allowed);
  absl::Status count = CheckItemCount(request->cards_size(), "cards");
  if (!count.ok()) return Done("ReissueCards", count);
  std::vector<Command> commands;
  for (int i = 0; i < request->cards_size(); ++i) {
    const v1::CardReissue& in = request->cards(i);
    const std::string field = absl::StrCat("cards[", i, "]");
    if (in.operator_name().empty()) {
      return Done("ReissueCards",
                  absl::InvalidArgumentError(
                      field + ".operator_name: required (who at the city re-issued it)"));
    }
    const bool digits =
        std::all_of(in.pin().begin(), in.pin().end(), [](char c) { return c >= '0' && c <= '9'; });
    if (in.pin().size() < kPinLengthMin || in.pin().size() > kPinLengthMax || !digits) {
      return Done("ReissueCards", absl::InvalidArgumentError(field + ".pin: 4 to 12 digits"));
    }
    ReissueCard card;
    card.card = in.card_number();
    card.new_card = in.new_card_number();
    card.pin_salt.resize(kPinSaltBytes);
    randombytes_buf(card.pin_salt.data(),
                    card.pin_salt.size());  // Chosen here; replicated in the command.
    card.pin_proof = PinProof(card.pin_salt, card.new_card, in.pin());
    card.by = in.operator_name();
    commands.emplace_back(std::move(card));
  }
  return Create("ReissueCards", std::move(commands), reply, who);
}

grpc::Status LedgerService::SetHealthProgram(grpc::ServerContext* context,
                                             const v1::HealthProgram* request,
                                             v1::CreateReply* reply) {
  std::string who;
  if (absl::Status allowed = Admit(*context, "SetHealthProgram", *request, &who); !allowed.ok())
    return Done("SetHealthProgram", allowed);
  absl::StatusOr<HealthProgram> program = HealthProgramFromProto(*request);
  if (!program.ok()) return Done("SetHealthProgram", program.status());
  std::vector<Command> commands;
  commands.emplace_back(ledger::SetHealthProgram{*std::move(program)});
  return Create("SetHealthProgram", std::move(commands), reply, who);
}

grpc::Status LedgerService::SetTaskRules(grpc::ServerContext* context, const v1::TaskRules* request,
                                         v1::CreateReply* reply) {
  std::string who;
  if (absl::Status allowed = Admit(*context, "SetTaskRules", *request, &who); !allowed.ok())
    return Done("SetTaskRules", allowed);
  ledger::TaskRules rules;  // Zero fields keep the defaults.
  if (request->weekly_hours_max() != 0) rules.weekly_hours_max = request->weekly_hours_max();
  if (request->monthly_max() != 0) rules.monthly_max = request->monthly_max();
  if (request->dispute_hours() != 0) rules.dispute_hours = request->dispute_hours();
  std::vector<Command> commands;
  commands.emplace_back(ledger::SetTaskRules{rules});
  return Create("SetTaskRules", std::move(commands), reply, who);
}

grpc::Status LedgerService::GetTask(grpc::ServerContext* context, const v1::GetTaskRequest* request,
                                    v1::GetTaskReply* reply) {
  if (absl::Status allowed = Admit(*context, "GetTask", *request); !allowed.ok())
    return Done("GetTask", allowed);
  if (absl::Status readable = node_->ReadBarrier(); !readable.ok())
    return Done("GetTask", readable);
  absl::StatusOr<Id128> host = IdFromProto(request->host_account_id(), "host_account_id", false);
  if (!host.ok()) return Done("GetTask", host.status());
  std::string bytes;
  if (!node_->state().Get(keys::Task(*host, request->task_id()), &bytes)) {
    return Done("GetTask",
                absl::NotFoundError(absl::StrCat("task \"", request->task_id(), "\" of host ",
                                                 host->ToHex(), ": not found")));
  }
  std::optional<TaskRecord> task = DecodeTaskRecord(bytes);
  if (!task) return Done("GetTask", absl::DataLossError("task record is corrupt"));
  const PostTask& t = task->request;
  v1::PostTaskRequest* out = reply->mutable_task();
  out->set_task_id(t.task_id);
  out->set_title(t.title);
  out->set_first_day(t.first_day);
  out->set_last_day(t.last_day);
  out->set_slots(t.slots);
  out->set_per_day(t.per_day);
  out->set_escrow_account_id(t.escrow.ToBytes());
  if (!t.subsidy.IsZero()) out->set_subsidy_account_id(t.subsidy.ToBytes());
  out->set_subsidy_percent(t.subsidy_percent);
  out->set_hours_per_day(t.hours_per_day);
  out->set_host_key(t.host_key);
  out->set_wage_reference(t.wage_reference);
  reply->set_accepted(task->accepted);
  reply->set_cancelled(task->cancelled);
  reply->set_closed(task->closed);
  const std::string prefix = keys::TaskApplicationPrefix(t.host, t.task_id);
  node_->state().Scan(
      prefix, prefix + "\xff", false, [&](std::string_view key, std::string_view value) {
        std::optional<TaskApplication> application = DecodeTaskApplication(value);
        if (!application) return true;
        v1::TaskApplicationInfo* info = reply->add_applications();
        info->set_visitor_account_id(std::string(key.substr(prefix.size())));
        info->set_state(application->state == ApplicationState::kAccepted   ? "accepted"
                        : application->state == ApplicationState::kDeclined ? "declined"
                                                                            : "applied");
        info->set_slot(application->slot);
        for (const auto& [day, state] : application->days) {
          v1::TaskDayInfo* d = info->add_days();
          d->set_day(day);
          d->set_state(TaskDayStateName(state.state));
        }
        return true;
      });
  return Done("GetTask", absl::OkStatus());
}

grpc::Status LedgerService::CreateCampaign(grpc::ServerContext* context, const v1::Campaign* in,
                                           v1::CreateReply* reply) {
  std::string who;
  if (absl::Status allowed = Admit(*context, "CreateCampaign", *in, &who); !allowed.ok())
    return Done("CreateCampaign", allowed);
  ledger::CreateCampaign c;
  c.campaign = in->campaign();
  c.name = in->name();
  absl::StatusOr<Id128> funding =
      IdFromProto(in->funding_account_id(), "funding_account_id", false);
  if (!funding.ok()) return Done("CreateCampaign", funding.status());
  c.funding = *funding;
  c.payment_asset = in->payment_asset();
  c.category = in->category();
  for (int i = 0; i < in->merchant_ids_size(); ++i) {
    absl::StatusOr<Id128> merchant =
        IdFromProto(in->merchant_ids(i), absl::StrCat("merchant_ids[", i, "]"), false);
    if (!merchant.ok()) return Done("CreateCampaign", merchant.status());
    c.merchants.push_back(*merchant);
  }
  c.starts_at = in->starts_at();
  c.ends_at = in->ends_at();
  c.from_minute = in->from_minute();
  c.to_minute = in->to_minute() == 0 ? 1440 : in->to_minute();
  c.min_amount = in->min_amount();
  c.percent_bps = in->percent_bps();
  c.fixed = in->fixed();
  c.per_person_month = in->per_person_month();
  c.budget = in->budget();
  if (std::string problem = CampaignProblem(c); !problem.empty()) {
    return Done("CreateCampaign", absl::InvalidArgumentError(problem));
  }
  std::vector<Command> commands;
  commands.emplace_back(std::move(c));
  return Create("CreateCampaign", std::move(commands), reply, who);
}

grpc::Status LedgerService::CloseCampaign(grpc::ServerContext* context,
                                          const v1::CloseCampaignRequest* in,
                                          v1::CreateReply* reply) {
  std::string who;
  if (absl::Status allowed = Admit(*context, "CloseCampaign", *in, &who); !allowed.ok())
    return Done("CloseCampaign", allowed);
  std::vector<Command> commands;
  commands.emplace_back(ledger::CloseCampaign{in->campaign()});
  return Create("CloseCampaign", std::move(commands), reply, who);
}

grpc::Status LedgerService::PauseCampaign(grpc::ServerContext* context,
                                          const v1::PauseCampaignRequest* in,
                                          v1::CreateReply* reply) {
  std::string who;
  if (absl::Status allowed = Admit(*context, "PauseCampaign", *in, &who); !allowed.ok())
    return Done("PauseCampaign", allowed);
  std::vector<Command> commands;
  commands.emplace_back(ledger::PauseCampaign{in->campaign(), in->paused()});
  return Create("PauseCampaign", std::move(commands), reply, who);
}

grpc::Status LedgerService::GetCampaign(grpc::ServerContext* context,
                                        const v1::GetCampaignRequest* in, v1::Campaign* out) {
  if (absl::Status allowed = Admit(*context, "GetCampaign", *in); !allowed.ok())
    return Done("GetCampaign", allowed);
  if (absl::Status readable = node_->ReadBarrier(); !readable.ok())
    return Done("GetCampaign", readable);
  std::optional<CampaignRecord> record = LookupCampaign(node_->state(), in->campaign());
  if (!record) {
    return Done("GetCampaign",
                absl::NotFoundError(absl::StrCat("campaign ", in->campaign(), ": not found")));
  }
  const ledger::CreateCampaign& c = record->request;
  out->set_campaign(c.campaign);
  out->set_name(c.name);
  out->set_funding_account_id(c.funding.ToBytes());
  out->set_payment_asset(c.payment_asset);
  out->set_category(c.category);
  for (const AccountId& merchant : c.merchants) out->add_merchant_ids(merchant.ToBytes());
  out->set_starts_at(c.starts_at);
  out->set_ends_at(c.ends_at);
  out->set_from_minute(c.from_minute);
  out->set_to_minute(c.to_minute);
  out->set_min_amount(c.min_amount);
  out->set_percent_bps(c.percent_bps);
  out->set_fixed(c.fixed);
  out->set_per_person_month(c.per_person_month);
  out->set_budget(c.budget);
  out->set_awarded(record->awarded);
  out->set_awards(record->awards);
  out->set_closed(record->closed);
  // Paused: off the active list while not closed and not over (PauseCampaign in
  // ledger/core/campaigns.h).
  const std::vector<uint32_t> active = ReadActiveCampaigns(node_->state());
  out->set_paused(!record->closed && ReadHead(node_->state()).clock < c.ends_at &&
                  std::find(active.begin(), active.end(), c.campaign) == active.end());
  return Done("GetCampaign", absl::OkStatus());
}

grpc::Status LedgerService::LinkAccounts(grpc::ServerContext* context,
                                         const v1::LinkAccountsRequest* in,
                                         v1::CreateReply* reply) {
  std::string who;
  if (absl::Status allowed = Admit(*context, "LinkAccounts", *in, &who); !allowed.ok())
    return Done("LinkAccounts", allowed);
  absl::Status count = CheckItemCount(in->links_size(), "links");
  if (!count.ok()) return Done("LinkAccounts", count);
  std::vector<Command> commands;
  for (int i = 0; i < in->links_size(); ++i) {
    absl::StatusOr<Id128> wallet =
        IdFromProto(in->links(i).wallet_id(), absl::StrCat("links[", i, "].wallet_id"), false);
    if (!wallet.ok()) return Done("LinkAccounts", wallet.status());
    absl::StatusOr<Id128> linked =
        IdFromProto(in->links(i).linked_id(), absl::StrCat("links[", i, "].linked_id"), false);
    if (!linked.ok()) return Done("LinkAccounts", linked.status());
    commands.emplace_back(LinkAccount{*wallet, *linked});
  }
  return Create("LinkAccounts", std::move(commands), reply, who);
}

grpc::Status LedgerService::ListStaffOperations(grpc::ServerContext* context,
                                                const v1::ListStaffOperationsRequest* request,
                                                v1::ListStaffOperationsReply* reply) {
  if (absl::Status allowed = Admit(*context, "ListStaffOperations", *request); !allowed.ok())
    return Done("ListStaffOperations", allowed);
  if (absl::Status readable = node_->ReadBarrier(); !readable.ok())
    return Done("ListStaffOperations", readable);
  absl::StatusOr<Id128> wallet = IdFromProto(request->account_id(), "account_id", false);
  if (!wallet.ok()) return Done("ListStaffOperations", wallet.status());
  ReadStaffOperations(node_->state(), *wallet, request->limit(), reply);
  return Done("ListStaffOperations", absl::OkStatus());
}

grpc::Status LedgerService::ListCashOuts(grpc::ServerContext* context,
                                         const v1::ListCashOutsRequest* request,
                                         v1::ListCashOutsReply* reply) {
  if (absl::Status allowed = Admit(*context, "ListCashOuts", *request); !allowed.ok())
    return Done("ListCashOuts", allowed);
  if (absl::Status readable = node_->ReadBarrier(); !readable.ok())
    return Done("ListCashOuts", readable);
  std::optional<Id128> merchant;
  if (!request->merchant_id().empty()) {
    absl::StatusOr<Id128> id = IdFromProto(request->merchant_id(), "merchant_id", false);
    if (!id.ok()) return Done("ListCashOuts", id.status());
    merchant = *id;
  }
  if (request->to_timestamp() != 0 && request->to_timestamp() <= request->from_timestamp()) {
    return Done("ListCashOuts",
                absl::InvalidArgumentError("to_timestamp: must be after from_timestamp (or 0)"));
  }
  if (request->limit() > static_cast<uint32_t>(kCashOutsPageMax)) {
    return Done("ListCashOuts", absl::InvalidArgumentError(absl::StrCat(
                                    "limit: ", request->limit(), ", at most ", kCashOutsPageMax)));
  }
  const int limit = request->limit() == 0 ? kCashOutsPageMax : static_cast<int>(request->limit());
  const KvReader& state = node_->state();
  CashOutPage page = ledger::ListCashOuts(state, request->from_timestamp(), request->to_timestamp(),
                                          merchant ? &*merchant : nullptr, limit);
  std::map<Id128, AssetId> assets;  // Merchant -> its account's asset.
  for (const FeeRecord& record : page.cash_outs) {
    auto [it, inserted] = assets.emplace(record.account, 0);
    if (inserted) {
      if (std::optional<Account> account = LookupAccount(state, record.account))
        it->second = account->asset;
    }
    v1::CashOutRecord* out = reply->add_cash_outs();
    out->set_merchant_id(record.account.ToBytes());
    out->set_cash_out_id(record.id);
    out->set_asset(it->second);
    out->set_amount(record.amount);
    out->set_bps(record.bps);
    out->set_member(record.member);
    out->set_fee(record.fee);
    out->set_payout(record.amount - record.fee);
    out->set_timestamp(record.timestamp);
  }
  reply->set_truncated(page.truncated);
  return Done("ListCashOuts", absl::OkStatus());
}

grpc::ServerUnaryReactor* LedgerService::CreateTransfers(grpc::CallbackServerContext* context,
                                                         const grpc::ByteBuffer* request,
                                                         grpc::ByteBuffer* reply) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  auto call = std::make_unique<TransfersCall>();
  std::string who;
  absl::Status admitted = Authorize(*context, "CreateTransfers", &who);
  if (admitted.ok()) {
    grpc::ByteBuffer bytes(*request);  // Parsing consumes the buffer; the copy shares its slices.
    if (!grpc::SerializationTraits<v1::CreateTransfersRequest>::Deserialize(&bytes, call->request())
             .ok()) {
      admitted = absl::InvalidArgumentError(absl::StrCat(
          "request: ", request->Length(), " bytes that are not a CreateTransfersRequest message"));
    }
  }
  // Every field of a transfer is an id, which TransfersFromProto checks exactly (field_bounds.h's
  // CheckLength), so the hot path skips the reflective walk of CheckFieldBounds.
  absl::StatusOr<std::vector<Command>> commands =
      admitted.ok() ? TransfersFromProto(*call->request())
                    : absl::StatusOr<std::vector<Command>>(admitted);
  if (!commands.ok()) {
    reactor->Finish(Done("CreateTransfers", commands.status()));
    return reactor;
  }
  // The reply is filled on the committer's thread when the batch is durable; the reactor owns
  // `reply` until Finish, the callback owns `call`.
  node_->SubmitAsync(
      std::move(*commands),
      [this, reactor, reply, call = call.release()](absl::StatusOr<SubmitResult> result) {
        std::unique_ptr<TransfersCall> owned(call);
        if (result.ok()) {
          OutcomesToProto(result->outcomes, result->journal_index, owned->reply());
          bool own_buffer = false;
          grpc::Status serialized = grpc::SerializationTraits<v1::CreateReply>::Serialize(
              *owned->reply(), reply, &own_buffer);
          if (!serialized.ok()) result = absl::InternalError(serialized.error_message());
        }
        reactor->Finish(Done("CreateTransfers", result.status()));
      },
      std::move(who));
  return reactor;
}

grpc::Status LedgerService::LookupAssets(grpc::ServerContext* context,
                                         const v1::LookupAssetsRequest* request,
                                         v1::LookupAssetsReply* reply) {
  if (absl::Status allowed = Admit(*context, "LookupAssets", *request); !allowed.ok())
    return Done("LookupAssets", allowed);
  if (absl::Status readable = node_->ReadBarrier(); !readable.ok())
    return Done("LookupAssets", readable);
  absl::Status count = CheckItemCount(request->ids_size(), "ids");
  if (!count.ok()) return Done("LookupAssets", count);
  for (uint32_t id : request->ids()) {
    if (std::optional<Asset> asset = LookupAsset(node_->state(), id))
      AssetToProto(*asset, reply->add_assets());
  }
  return Done("LookupAssets", absl::OkStatus());
}

grpc::Status LedgerService::LookupAccounts(grpc::ServerContext* context,
                                           const v1::LookupAccountsRequest* request,
                                           v1::LookupAccountsReply* reply) {
  if (absl::Status allowed = Admit(*context, "LookupAccounts", *request); !allowed.ok())
    return Done("LookupAccounts", allowed);
  if (absl::Status readable = node_->ReadBarrier(); !readable.ok())
    return Done("LookupAccounts", readable);
  absl::Status count = CheckItemCount(request->ids_size(), "ids");
  if (!count.ok()) return Done("LookupAccounts", count);
  for (int i = 0; i < request->ids_size(); ++i) {
    absl::StatusOr<Id128> id = IdFromProto(request->ids(i), absl::StrCat("ids[", i, "]"), false);
    if (!id.ok()) return Done("LookupAccounts", id.status());
    v1::Account account;
    if (ReadAccountWithLots(node_->state(), *id, &account))
      *reply->add_accounts() = std::move(account);
  }
  return Done("LookupAccounts", absl::OkStatus());
}

grpc::Status LedgerService::LookupTransfers(grpc::ServerContext* context,
                                            const v1::LookupTransfersRequest* request,
                                            v1::LookupTransfersReply* reply) {
  if (absl::Status allowed = Admit(*context, "LookupTransfers", *request); !allowed.ok())
    return Done("LookupTransfers", allowed);
  if (absl::Status readable = node_->ReadBarrier(); !readable.ok())
    return Done("LookupTransfers", readable);
  absl::Status count = CheckItemCount(request->ids_size(), "ids");
  if (!count.ok()) return Done("LookupTransfers", count);
  for (int i = 0; i < request->ids_size(); ++i) {
    absl::StatusOr<Id128> id = IdFromProto(request->ids(i), absl::StrCat("ids[", i, "]"), false);
    if (!id.ok()) return Done("LookupTransfers", id.status());
    if (std::optional<Transfer> transfer = LookupTransfer(node_->state(), *id)) {
      TransferToProto(*transfer, reply->add_transfers());
    }
  }
  return Done("LookupTransfers", absl::OkStatus());
}

grpc::Status LedgerService::GetAccountHistory(grpc::ServerContext* context,
                                              const v1::GetAccountHistoryRequest* request,
                                              v1::GetAccountHistoryReply* reply) {
  if (absl::Status allowed = Admit(*context, "GetAccountHistory", *request); !allowed.ok())
    return Done("GetAccountHistory", allowed);
  if (absl::Status readable = node_->ReadBarrier(); !readable.ok())
    return Done("GetAccountHistory", readable);
  absl::StatusOr<Id128> id = IdFromProto(request->account_id(), "account_id", false);
  if (!id.ok()) return Done("GetAccountHistory", id.status());
  const HistoryQuery query{request->from_timestamp(), request->to_timestamp(), request->limit(),
                           request->reverse()};
  return Done("GetAccountHistory", ReadHistoryPage(node_->state(), *id, query, reply));
}

grpc::Status LedgerService::GetBalanceAt(grpc::ServerContext* context,
                                         const v1::GetBalanceAtRequest* request,
                                         v1::GetBalanceAtReply* reply) {
  if (absl::Status allowed = Admit(*context, "GetBalanceAt", *request); !allowed.ok())
    return Done("GetBalanceAt", allowed);
  if (absl::Status readable = node_->ReadBarrier(); !readable.ok())
    return Done("GetBalanceAt", readable);
  absl::StatusOr<Id128> id = IdFromProto(request->account_id(), "account_id", false);
  if (!id.ok()) return Done("GetBalanceAt", id.status());
  if (!LookupAccount(node_->state(), *id)) {
    return Done("GetBalanceAt",
                absl::NotFoundError(absl::StrCat("account_id: no account ", id->ToHex())));
  }
  BalanceAt balance = BalanceAtTime(node_->state(), *id, request->timestamp());
  reply->set_balance(balance.balance);
  reply->set_as_of_timestamp(balance.as_of);
  return Done("GetBalanceAt", absl::OkStatus());
}

grpc::Status LedgerService::GetDigest(grpc::ServerContext* context, const v1::GetDigestRequest*,
                                      v1::GetDigestReply* reply) {
  if (absl::Status allowed = Authorize(*context, "GetDigest"); !allowed.ok())
    return Done("GetDigest", allowed);
  if (absl::Status readable = node_->ReadBarrier(); !readable.ok())
    return Done("GetDigest", readable);
  const JournalHead head = ReadHead(node_->state());
  reply->set_journal_index(head.index);
  reply->set_head_hash(head.hash);
  reply->set_timestamp(head.clock);
  return Done("GetDigest", absl::OkStatus());
}

grpc::Status LedgerService::Backup(grpc::ServerContext* context, const v1::BackupRequest* request,
                                   grpc::ServerWriter<v1::BackupChunk>* writer) {
  if (absl::Status allowed = Admit(*context, "Backup", *request); !allowed.ok())
    return Done("Backup", allowed);
  if (backups_ == nullptr) {
    return Done("Backup", absl::UnimplementedError("this node serves no backups"));
  }
  // No read barrier: the backup is of this node's own store, whatever its role.
  return Done("Backup", backups_->Stream(*request, context, writer));
}

grpc::Status LedgerService::Audit(grpc::ServerContext* context, const v1::AuditRequest* request,
                                  v1::AuditReply* reply) {
  if (absl::Status allowed = Admit(*context, "Audit", *request); !allowed.ok())
    return Done("Audit", allowed);
  if (auditing_.exchange(true)) {
    return Done("Audit", absl::ResourceExhaustedError(
                             "an audit is already running on this node; retry when it ends"));
  }
  // No read barrier: the audit is of this node's own store, whatever its role.
  const std::unique_ptr<KvReader> view = node_->StateSnapshot();
  AuditOptions options;
  options.replay = request->replay();
  options.stop = [context] { return context->IsCancelled(); };
  const AuditReport report = ledger::Audit(*view, options);
  auditing_.store(false);
  if (context->IsCancelled())
    return Done("Audit", absl::CancelledError("the caller went away; the audit stopped"));
  reply->set_ok(report.ok());
  reply->set_violation(report.violation);
  reply->set_summary(report.Summary());
  reply->set_journal_index(ReadHead(*view).index);
  reply->set_accounts(report.accounts);
  reply->set_transfers(report.transfers);
  reply->set_journal_entries(report.journal_entries);
  reply->set_replayed_entries(report.replayed_entries);
  reply->set_state_hash_compared(report.state_hash_compared);
  reply->set_replay_note(report.replay_note);
  return Done("Audit", absl::OkStatus());
}

grpc::Status LedgerService::GetJournal(grpc::ServerContext* context,
                                       const v1::GetJournalRequest* request,
                                       v1::GetJournalReply* reply) {
  if (absl::Status allowed = Admit(*context, "GetJournal", *request); !allowed.ok())
    return Done("GetJournal", allowed);
  if (absl::Status readable = node_->ReadBarrier(); !readable.ok())
    return Done("GetJournal", readable);
  if (request->limit() > static_cast<uint32_t>(kJournalPageMax)) {
    return Done("GetJournal", absl::InvalidArgumentError(absl::StrCat(
                                  "limit: ", request->limit(), ", at most ", kJournalPageMax)));
  }
  const int limit =
      request->limit() == 0 ? kJournalPageDefault : static_cast<int>(request->limit());
  for (auto& [index, bytes] : ReadJournal(node_->state(), request->from_index(), limit)) {
    v1::JournalEntryBytes* entry = reply->add_entries();
    entry->set_index(index);
    entry->set_data(std::move(bytes));
  }
  return Done("GetJournal", absl::OkStatus());
}

grpc::Status LedgerService::Subscribe(grpc::ServerContext* context,
                                      const v1::SubscribeRequest* request,
                                      grpc::ServerWriter<v1::Event>* writer) {
  if (absl::Status allowed = Admit(*context, "Subscribe", *request); !allowed.ok())
    return Done("Subscribe", allowed);
  uint64_t next = std::max<uint64_t>(request->from_index(), 1);
  while (!context->IsCancelled() && !stopping_) {
    auto entries = ReadJournal(node_->state(), next, kSubscribeReadEntries);
    if (entries.empty()) {
      node_->WaitForIndexAfter(next - 1, kSubscribePoll);
      continue;
    }
    for (auto& [index, bytes] : entries) {
      std::optional<JournalEntry> entry = DecodeJournalEntry(bytes);
      if (!entry) {
        return Done("Subscribe",
                    absl::DataLossError(absl::StrCat("journal entry ", index, " is undecodable")));
      }
      for (const v1::Event& event : EventsFromEntry(*entry)) {
        if (!writer->Write(event))
          return Done("Subscribe", absl::CancelledError("client went away"));
      }
      next = index + 1;
    }
  }
  return Done("Subscribe", absl::OkStatus());
}

grpc::Status LedgerService::RevokeKeys(grpc::ServerContext* context,
                                       const v1::RevokeKeysRequest* request,
                                       v1::CreateReply* reply) {
  std::string who;
  if (absl::Status allowed = Admit(*context, "RevokeKeys", *request, &who); !allowed.ok())
    return Done("RevokeKeys", allowed);
  return Create("RevokeKeys", RevocationsFromProto(*request), reply, who);
}

grpc::Status LedgerService::GrantSubsidies(grpc::ServerContext* context,
                                           const v1::GrantSubsidiesRequest* request,
                                           v1::CreateReply* reply) {
  std::string who;
  if (absl::Status allowed = Admit(*context, "GrantSubsidies", *request, &who); !allowed.ok())
    return Done("GrantSubsidies", allowed);
  return Create("GrantSubsidies", SubsidyGrantsFromProto(*request), reply, who);
}

}  // namespace ledger

namespace ledger {

absl::StatusOr<std::vector<Command>> OperatorRolesFromProto(const v1::SetOperatorRolesRequest& in) {
  absl::Status count = CheckItemCount(in.operators_size(), "operators");
  if (!count.ok()) return count;
  std::vector<Command> commands;
  for (int i = 0; i < in.operators_size(); ++i) {
    const v1::OperatorRoles& item = in.operators(i);
    if (!ValidOperatorName(item.name())) {
      return absl::InvalidArgumentError(absl::StrCat(
          "operators[", i, "].name: 1 to ", kOperatorNameLengthMax,
          " characters of a-z, 0-9, '.', '_' and '-', starting with a letter or digit"));
    }
    RoleSet roles = 0;
    for (int r = 0; r < item.roles_size(); ++r) {
      std::optional<RoleSet> role = ParseRoles(item.roles(r));
      if (!role || item.roles(r).empty() || item.roles(r) == "none") {
        return absl::InvalidArgumentError(absl::StrCat("operators[", i, "].roles[", r, "]: '",
                                                       item.roles(r), "' is not one of ",
                                                       RoleNames(kAllRoles)));
      }
      roles |= *role;
    }
    commands.emplace_back(ledger::SetOperatorRoles{item.name(), roles});
  }
  return commands;
}

grpc::Status LedgerService::SetOperatorRoles(grpc::ServerContext* context,
                                             const v1::SetOperatorRolesRequest* in,
                                             v1::CreateReply* reply) {
  std::string who;
  if (absl::Status allowed = Admit(*context, "SetOperatorRoles", *in, &who); !allowed.ok())
    return Done("SetOperatorRoles", allowed);
  absl::StatusOr<std::vector<Command>> commands = OperatorRolesFromProto(*in);
  if (!commands.ok()) return Done("SetOperatorRoles", commands.status());
  return Create("SetOperatorRoles", *std::move(commands), reply, who);
}

grpc::Status LedgerService::ListOperators(grpc::ServerContext* context,
                                          const v1::ListOperatorsRequest* in,
                                          v1::ListOperatorsReply* reply) {
  if (absl::Status allowed = Admit(*context, "ListOperators", *in); !allowed.ok())
    return Done("ListOperators", allowed);
  if (absl::Status readable = node_->ReadBarrier(); !readable.ok())
    return Done("ListOperators", readable);
  for (const auto& [name, roles] : ReadOperators(node_->state())) {
    if (!in->name().empty() && name != in->name()) continue;
    v1::OperatorRoles* out = reply->add_operators();
    out->set_name(name);
    for (int bit = 0; bit < kRoleCount; ++bit) {
      if ((roles & (RoleSet{1} << bit)) != 0) out->add_roles(RoleName(RoleSet{1} << bit));
    }
  }
  return Done("ListOperators", absl::OkStatus());
}

}  // namespace ledger
