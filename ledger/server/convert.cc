// Proto <-> core conversions: see convert.h.
#include "ledger/server/convert.h"

#include "absl/strings/str_cat.h"
#include "ledger/core/limits.h"
#include "ledger/server/field_bounds.h"

namespace ledger {

// The core's numbering must match the proto's, item for item: checked here, at compile time.
static_assert(static_cast<int>(Result::kPendingIdRequired) == v1::PENDING_ID_REQUIRED);
static_assert(static_cast<int>(Result::kCardInvalid) == v1::CARD_INVALID);
static_assert(static_cast<int>(Result::kExceedsBalance) == v1::EXCEEDS_BALANCE);
static_assert(kResultCount == v1::Result_ARRAYSIZE);
static_assert(static_cast<int>(AccountKind::kExternal) == v1::EXTERNAL);
static_assert(kAccountKindMax + 1 == v1::AccountKind_ARRAYSIZE);
static_assert(transfer_flags::kLinked == v1::LINKED && transfer_flags::kPending == v1::PENDING &&
              transfer_flags::kPostPending == v1::POST_PENDING &&
              transfer_flags::kVoidPending == v1::VOID_PENDING);
static_assert(account_flags::kNonNegative == v1::NON_NEGATIVE &&
              account_flags::kClosed == v1::CLOSED);
static_assert(static_cast<int>(PendingState::kExpired) == v1::PENDING_STATE_EXPIRED);

absl::Status CheckItemCount(int count, const std::string& field) {
  if (count < 1 || count > kBatchItemsMax) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": ", count, " items; a request carries 1 to ", kBatchItemsMax));
  }
  return absl::OkStatus();
}

absl::StatusOr<Id128> IdFromProto(const std::string& bytes, const std::string& field,
                                  bool allow_empty) {
  if (bytes.empty() && allow_empty) return Id128{};
  static constexpr FieldBound kId{"", kIdBytes, FieldBound::Kind::kExactly, "bytes", ""};
  if (absl::Status status = CheckLength(field, bytes.size(), kId); !status.ok()) return status;
  std::optional<Id128> id = Id128::FromBytes(bytes);
  if (!id) return absl::InvalidArgumentError(absl::StrCat(field, ": not an id"));
  return *id;
}

#define ASSIGN_ID_OR_RETURN(target, expression) \
  do {                                          \
    absl::StatusOr<Id128> id_or = (expression); \
    if (!id_or.ok()) return id_or.status();     \
    (target) = *id_or;                          \
  } while (0)

absl::StatusOr<std::vector<Command>> AssetsFromProto(const v1::CreateAssetsRequest& request) {
  absl::Status count = CheckItemCount(request.assets_size(), "assets");
  if (!count.ok()) return count;
  std::vector<Command> commands;
  commands.reserve(request.assets_size());
  for (int i = 0; i < request.assets_size(); ++i) {
    const v1::Asset& in = request.assets(i);
    const std::string field = absl::StrCat("assets[", i, "]");
    Asset asset;
    asset.id = in.id();
    asset.code = in.code();
    asset.scale = in.scale();
    asset.expiry_seconds = in.expiry_seconds();
    asset.expiry_granularity_seconds =
        in.expiry_granularity_seconds() == 0 ? 86400 : in.expiry_granularity_seconds();
    ASSIGN_ID_OR_RETURN(asset.breakage_account, IdFromProto(in.breakage_account_id(),
                                                            field + ".breakage_account_id", false));
    commands.emplace_back(std::move(asset));
  }
  return commands;
}

absl::StatusOr<std::vector<Command>> AccountsFromProto(const v1::CreateAccountsRequest& request) {
  absl::Status count = CheckItemCount(request.accounts_size(), "accounts");
  if (!count.ok()) return count;
  std::vector<Command> commands;
  commands.reserve(request.accounts_size());
  for (int i = 0; i < request.accounts_size(); ++i) {
    const v1::Account& in = request.accounts(i);
    const std::string field = absl::StrCat("accounts[", i, "]");
    Account account;
    ASSIGN_ID_OR_RETURN(account.id, IdFromProto(in.id(), field + ".id", false));
    account.asset = in.asset();
    account.kind = static_cast<AccountKind>(in.kind());
    account.flags = in.flags();
    account.user_data = in.user_data();
    account.category = in.category();
    commands.emplace_back(std::move(account));
  }
  return commands;
}

absl::StatusOr<std::vector<Command>> ClosesFromProto(const v1::CloseAccountsRequest& request) {
  absl::Status count = CheckItemCount(request.ids_size(), "ids");
  if (!count.ok()) return count;
  std::vector<Command> commands;
  for (int i = 0; i < request.ids_size(); ++i) {
    CloseAccount close;
    ASSIGN_ID_OR_RETURN(close.id, IdFromProto(request.ids(i), absl::StrCat("ids[", i, "]"), false));
    commands.emplace_back(close);
  }
  return commands;
}

absl::StatusOr<std::vector<Command>> KeysFromProto(const v1::RegisterKeysRequest& request) {
  absl::Status count = CheckItemCount(request.keys_size(), "keys");
  if (!count.ok()) return count;
  std::vector<Command> commands;
  for (int i = 0; i < request.keys_size(); ++i) {
    const v1::PublicKey& in = request.keys(i);
    const std::string field = absl::StrCat("keys[", i, "]");
    RegisterKey key;
    ASSIGN_ID_OR_RETURN(key.account, IdFromProto(in.account_id(), field + ".account_id", false));
    key.key_id = in.key_id();
    key.public_key = in.public_key();
    key.manager = in.manager();
    commands.emplace_back(std::move(key));
  }
  return commands;
}

absl::StatusOr<std::vector<Command>> RevocationsFromProto(const v1::RevokeKeysRequest& request) {
  absl::Status count = CheckItemCount(request.keys_size(), "keys");
  if (!count.ok()) return count;
  std::vector<Command> commands;
  for (int i = 0; i < request.keys_size(); ++i) {
    const v1::KeyRef& in = request.keys(i);
    const std::string field = absl::StrCat("keys[", i, "]");
    RevokeKey revoke;
    ASSIGN_ID_OR_RETURN(revoke.account, IdFromProto(in.account_id(), field + ".account_id", false));
    revoke.key_id = in.key_id();
    commands.emplace_back(std::move(revoke));
  }
  return commands;
}

absl::StatusOr<std::vector<Command>> SubsidyGrantsFromProto(
    const v1::GrantSubsidiesRequest& request) {
  absl::Status count = CheckItemCount(request.grants_size(), "grants");
  if (!count.ok()) return count;
  std::vector<Command> commands;
  for (int i = 0; i < request.grants_size(); ++i) {
    const v1::SubsidyGrant& in = request.grants(i);
    const std::string field = absl::StrCat("grants[", i, "]");
    GrantSubsidy grant;
    ASSIGN_ID_OR_RETURN(grant.budget,
                        IdFromProto(in.budget_account_id(), field + ".budget_account_id", false));
    ASSIGN_ID_OR_RETURN(grant.host,
                        IdFromProto(in.host_account_id(), field + ".host_account_id", true));
    grant.category = in.category();
    grant.percent_max = in.percent_max();
    grant.monthly_max = in.monthly_max();
    if (std::string problem = GrantSubsidyProblem(grant); !problem.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(field, ": ", problem));
    }
    commands.emplace_back(std::move(grant));
  }
  return commands;
}

absl::StatusOr<std::vector<Command>> FeesFromProto(const v1::SetFeesRequest& request) {
  absl::Status count = CheckItemCount(request.schedules_size(), "schedules");
  if (!count.ok()) return count;
  std::vector<Command> commands;
  for (int i = 0; i < request.schedules_size(); ++i) {
    const v1::FeeSchedule& in = request.schedules(i);
    const std::string field = absl::StrCat("schedules[", i, "]");
    PosFees fees;
    fees.asset = in.asset();
    ASSIGN_ID_OR_RETURN(fees.issuer,
                        IdFromProto(in.issuer_account_id(), field + ".issuer_account_id", false));
    ASSIGN_ID_OR_RETURN(fees.fee_account,
                        IdFromProto(in.fee_account_id(), field + ".fee_account_id", false));
    for (const auto& [name, bps] :
         {std::pair<const char*, uint32_t>{"cashout_bps", in.cashout_bps()},
          {"member_cashout_bps", in.member_cashout_bps()},
          {"supplier_bps", in.supplier_bps()}}) {
      if (bps >= kBasisPointsMax) {
        return absl::InvalidArgumentError(
            absl::StrCat(field, ".", name, ": below ", kBasisPointsMax, ", got ", bps));
      }
    }
    fees.cashout_bps = in.cashout_bps();
    fees.member_cashout_bps = in.member_cashout_bps();
    fees.supplier_bps = in.supplier_bps();
    commands.emplace_back(std::move(fees));
  }
  return commands;
}

absl::StatusOr<std::vector<Command>> TransfersFromProto(const v1::CreateTransfersRequest& request) {
  absl::Status count = CheckItemCount(request.transfers_size(), "transfers");
  if (!count.ok()) return count;
  std::vector<Command> commands;
  commands.reserve(request.transfers_size());
  for (int i = 0; i < request.transfers_size(); ++i) {
    const v1::Transfer& in = request.transfers(i);
    const std::string field = absl::StrCat("transfers[", i, "]");
    Transfer t;
    ASSIGN_ID_OR_RETURN(t.id, IdFromProto(in.id(), field + ".id", false));
    ASSIGN_ID_OR_RETURN(t.debit_account_id,
                        IdFromProto(in.debit_account_id(), field + ".debit_account_id", true));
    ASSIGN_ID_OR_RETURN(t.credit_account_id,
                        IdFromProto(in.credit_account_id(), field + ".credit_account_id", true));
    ASSIGN_ID_OR_RETURN(t.pending_id, IdFromProto(in.pending_id(), field + ".pending_id", true));
    t.amount = in.amount();
    t.timeout_seconds = in.timeout_seconds();
    t.code = in.code();
    t.flags = in.flags();
    t.user_data = in.user_data();
    commands.emplace_back(std::move(t));
  }
  return commands;
}

void AssetToProto(const Asset& asset, v1::Asset* out) {
  out->set_id(asset.id);
  out->set_code(asset.code);
  out->set_scale(asset.scale);
  out->set_expiry_seconds(asset.expiry_seconds);
  out->set_expiry_granularity_seconds(asset.expiry_granularity_seconds);
  out->set_breakage_account_id(asset.breakage_account.ToBytes());
  out->set_timestamp(asset.timestamp);
}

void AccountToProto(const Account& account, v1::Account* out) {
  out->set_id(account.id.ToBytes());
  out->set_asset(account.asset);
  out->set_kind(static_cast<v1::AccountKind>(account.kind));
  out->set_flags(account.flags);
  out->set_user_data(account.user_data);
  out->set_category(account.category);
  out->set_balance(account.balance);
  out->set_debits_pending(account.debits_pending);
  out->set_credits_pending(account.credits_pending);
  out->set_timestamp(account.timestamp);
}

void TransferToProto(const Transfer& t, v1::Transfer* out) {
  out->set_id(t.id.ToBytes());
  if (!t.debit_account_id.IsZero()) out->set_debit_account_id(t.debit_account_id.ToBytes());
  if (!t.credit_account_id.IsZero()) out->set_credit_account_id(t.credit_account_id.ToBytes());
  out->set_amount(t.amount);
  if (!t.pending_id.IsZero()) out->set_pending_id(t.pending_id.ToBytes());
  out->set_timeout_seconds(t.timeout_seconds);
  out->set_code(t.code);
  out->set_flags(t.flags);
  out->set_user_data(t.user_data);
  out->set_asset(t.asset);
  out->set_timestamp(t.timestamp);
  out->set_result(static_cast<v1::Result>(t.result));
  out->set_pending_state(static_cast<v1::PendingState>(t.pending_state));
  out->set_amount_posted(t.amount_posted);
}

void OutcomesToProto(const std::vector<Outcome>& outcomes, uint64_t journal_index,
                     v1::CreateReply* out) {
  out->set_journal_index(journal_index);
  for (size_t i = 0; i < outcomes.size(); ++i) {
    v1::ItemResult* result = out->add_results();
    result->set_index(static_cast<uint32_t>(i));
    result->set_result(static_cast<v1::Result>(outcomes[i].result));
    result->set_duplicate(outcomes[i].duplicate);
    result->set_timestamp(outcomes[i].timestamp);
  }
}

absl::StatusOr<HealthProgram> HealthProgramFromProto(const v1::HealthProgram& in) {
  HealthProgram p;
  p.program = in.program();
  p.effective_day = in.effective_day();
  absl::StatusOr<Id128> funding = IdFromProto(in.funding_account_id(), "funding_account_id", false);
  if (!funding.ok()) return funding.status();
  p.funding = *funding;
  if (in.tiers_size() > 0) {
    p.tiers.clear();
    for (const v1::StepTier& tier : in.tiers())
      p.tiers.push_back({tier.steps_min(), tier.points()});
  }
  if (in.daily_cap() != 0) p.daily_cap = in.daily_cap();
  if (in.no_bonus()) {
    if (in.bonus_days() != 0 || in.bonus_points() != 0) {
      return absl::InvalidArgumentError("no_bonus: leave bonus_days and bonus_points 0");
    }
    p.bonus_days = 0;
    p.bonus_points = 0;
  } else {
    if (in.bonus_days() != 0) p.bonus_days = in.bonus_days();
    if (in.bonus_points() != 0) p.bonus_points = in.bonus_points();
  }
  if (in.steps_max() != 0) p.steps_max = in.steps_max();
  if (in.report_window_days() != 0) p.report_window_days = in.report_window_days();
  absl::StatusOr<Id128> retire =
      IdFromProto(in.exchange_retire_account_id(), "exchange_retire_account_id", true);
  if (!retire.ok()) return retire.status();
  absl::StatusOr<Id128> coin =
      IdFromProto(in.coin_funding_account_id(), "coin_funding_account_id", true);
  if (!coin.ok()) return coin.status();
  p.exchange_retire = *retire;
  p.coin_funding = *coin;
  p.exchange_points = in.exchange_points();
  p.exchange_coin = in.exchange_coin();
  if (std::string problem = HealthProgramProblem(p); !problem.empty())
    return absl::InvalidArgumentError(problem);
  return p;
}

void HealthProgramToProto(const HealthProgram& p, v1::HealthProgram* out) {
  out->set_program(p.program);
  out->set_effective_day(p.effective_day);
  out->set_funding_account_id(p.funding.ToBytes());
  for (const StepTier& tier : p.tiers) {
    v1::StepTier* t = out->add_tiers();
    t->set_steps_min(tier.steps_min);
    t->set_points(tier.points);
  }
  out->set_daily_cap(p.daily_cap);
  out->set_bonus_days(p.bonus_days);
  out->set_bonus_points(p.bonus_points);
  out->set_no_bonus(p.bonus_days == 0);
  out->set_steps_max(p.steps_max);
  out->set_report_window_days(p.report_window_days);
  if (p.offers_exchange()) {
    out->set_exchange_retire_account_id(p.exchange_retire.ToBytes());
    out->set_coin_funding_account_id(p.coin_funding.ToBytes());
    out->set_exchange_points(p.exchange_points);
    out->set_exchange_coin(p.exchange_coin);
  }
  out->set_timestamp(p.timestamp);
}

namespace {

// A system event (an expiry, a fee, a released or posted reservation, ...) of entry `index` as an
// event.
v1::Event SystemEventToProto(uint64_t index, const SystemEvent& system) {
  v1::Event event;
  event.set_journal_index(index);
  event.set_timestamp(system.timestamp);
  const bool released = system.type == SystemEventType::kPendingExpired ||
                        system.type == SystemEventType::kTaskReturned;
  v1::Transfer* transfer = released ? event.mutable_pending_expired() : event.mutable_transfer();
  transfer->set_id(system.id.ToBytes());
  transfer->set_debit_account_id(system.debit_account_id.ToBytes());
  transfer->set_credit_account_id(system.credit_account_id.ToBytes());
  transfer->set_amount(system.amount);
  transfer->set_asset(system.asset);
  transfer->set_timestamp(system.timestamp);
  transfer->set_code(system.type == SystemEventType::kExpiry             ? kCodeExpiry
                     : system.type == SystemEventType::kFee              ? kCodeFee
                     : system.type == SystemEventType::kExchangeCoin     ? kCodePointsExchanged
                     : system.type == SystemEventType::kTaskPaid         ? kCodeTaskPay
                     : system.type == SystemEventType::kCampaignAward    ? kCodeCampaignAward
                     : system.type == SystemEventType::kCampaignClawback ? kCodeCampaignClawback
                     : system.type == SystemEventType::kTaskReturned ||
                             system.type == SystemEventType::kTaskPosted
                         ? kCodeTaskReserve
                         : 0);
  if (released) {
    transfer->set_flags(transfer_flags::kPending);
    transfer->set_pending_state(v1::PENDING_STATE_EXPIRED);
  }
  return event;
}

// The transfer the ledger derived for a command that moved value (a transfer itself, a wallet send,
// a shop payment, refund, cancel or cash-out, a health award, a task's pay, a points exchange, a
// supplier payment).
Transfer DerivedTransfer(const Command& command, const Outcome& outcome) {
  Transfer transfer;
  if (const auto* requested = std::get_if<Transfer>(&command)) {
    transfer = *requested;
  } else if (const auto* send = std::get_if<WalletSend>(&command)) {
    transfer = send->transfer;
  } else if (const auto* payment = std::get_if<PosPayment>(&command)) {
    transfer.id = PosTransferId('P', payment->merchant, payment->payment_id);
    transfer.code = kCodePosPayment;
  } else if (const auto* refund = std::get_if<PosRefund>(&command)) {
    transfer.id = PosTransferId('R', refund->merchant, refund->refund_id);
    transfer.code = kCodePosRefund;
  } else if (const auto* cancel = std::get_if<PosCancel>(&command)) {
    transfer.id = PosTransferId('C', cancel->merchant, cancel->payment_id);
    transfer.code = kCodePosCancel;
  } else if (const auto* cashout = std::get_if<PosCashOut>(&command)) {
    transfer.id = PosTransferId('O', cashout->merchant, cashout->cashout_id);
    transfer.code = kCodeCashOut;  // Its fee transfer is a system event of the same entry.
  } else if (const auto* report = std::get_if<StepReport>(&command)) {
    transfer.id = HealthAwardId(*report);
    transfer.code = kCodeHealthAward;
  } else if (const auto* confirm = std::get_if<ConfirmDay>(&command)) {
    transfer.id = TaskPayId(confirm->host, confirm->task_id, confirm->visitor, confirm->day);
    transfer.code =
        kCodeTaskPay;  // The reservations it posted are system events of the same entry.
  } else if (const auto* exchange = std::get_if<ExchangePoints>(&command)) {
    transfer.id = HealthTransferId('X', exchange->resident, exchange->exchange_id);
    transfer.code = kCodePointsRetired;  // Its coin leg is a system event of the same entry.
  } else {
    const PosSupplierPayment& supplier = std::get<PosSupplierPayment>(command);
    transfer.id = PosTransferId('S', supplier.payer, supplier.payment_id);
    transfer.code = kCodeSupplierPayment;
  }
  transfer.debit_account_id = outcome.debit_account_id;
  transfer.credit_account_id = outcome.credit_account_id;
  transfer.amount = outcome.amount;
  transfer.asset = outcome.asset;
  transfer.timestamp = outcome.timestamp;
  return transfer;
}

}  // namespace

std::vector<v1::Event> EventsFromEntry(const JournalEntry& entry) {
  std::vector<v1::Event> events;
  for (const SystemEvent& system : entry.system_events)
    events.push_back(SystemEventToProto(entry.index, system));
  const std::vector<std::string> operators = CommandOperators(entry);
  for (size_t i = 0; i < entry.commands.size(); ++i) {
    const Outcome& outcome = entry.outcomes[i];
    if (outcome.result != Result::kOk || outcome.duplicate) continue;
    v1::Event event;
    event.set_journal_index(entry.index);
    event.set_timestamp(outcome.timestamp);
    event.set_operator_name(operators[i]);
    const Command& command = entry.commands[i];
    if (const auto* asset = std::get_if<Asset>(&command)) {
      Asset created = *asset;
      created.timestamp = outcome.timestamp;
      AssetToProto(created, event.mutable_asset_created());
      events.push_back(event);
      // The asset's breakage account is created with it: report it like any other account.
      event.Clear();
      event.set_journal_index(entry.index);
      event.set_timestamp(outcome.timestamp);
      event.set_operator_name(operators[i]);
      Account breakage;
      breakage.id = asset->breakage_account;
      breakage.asset = asset->id;
      breakage.kind = AccountKind::kBreakage;
      breakage.timestamp = outcome.timestamp;
      AccountToProto(breakage, event.mutable_account_created());
    } else if (const auto* account = std::get_if<Account>(&command)) {
      Account created = *account;
      created.timestamp = outcome.timestamp;
      AccountToProto(created, event.mutable_account_created());
    } else if (const auto* close = std::get_if<CloseAccount>(&command)) {
      event.set_account_closed(close->id.ToBytes());
    } else if (outcome.asset == 0) {
      continue;  // Moves no value (a close, fees, keys, cards, health settings, a report that
                 // earned nothing).
    } else {
      // A transfer, or a shop payment/refund/cancel: the transfer the ledger derived for it.
      TransferToProto(DerivedTransfer(command, outcome), event.mutable_transfer());
    }
    events.push_back(std::move(event));
  }
  return events;
}

}  // namespace ledger
