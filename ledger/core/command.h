// The command table: every core command, its journal tag, its name and its metric class, and its
// field list, declared once (one CommandTraits specialization per command). The journal codec
// (ledger/core/journal.cc), the metrics and the logs read them from here. Byte layout:
// ledger/FORMAT.md.
//
// Adding a command: its struct (domain header), an alternative of Command below, and a
// CommandTraits specialization with kTag (a new tag, also in FORMAT.md), kName, kClass, Fields and
// WithinBounds. A command without them does not compile (the static_asserts at the end, and the
// journal's visitors).
#ifndef LEDGER_CORE_COMMAND_H_
#define LEDGER_CORE_COMMAND_H_

#include <array>
#include <cstdint>
#include <string_view>
#include <variant>

#include "ledger/core/campaigns.h"
#include "ledger/core/codec.h"
#include "ledger/core/health.h"
#include "ledger/core/limits.h"
#include "ledger/core/operators.h"
#include "ledger/core/pos.h"
#include "ledger/core/proposals.h"
#include "ledger/core/records.h"
#include "ledger/core/tasks.h"
#include "ledger/core/types.h"

namespace ledger {

struct CloseAccount {
  AccountId id;
};

// One command in a batch. Asset/Account/Transfer carry only their request fields. The Pos* commands
// are shop payments (ledger/core/pos.h), the health ones health mileage (ledger/core/health.h);
// they move value through transfers the ledger derives. A StepReport is journaled without its
// health data (its commitment instead), so a report decoded from the journal has steps 0 and no
// signature. The order of the alternatives is the variant index (core_fuzz counts by it); append
// new ones.
using Command =
    std::variant<Asset, Account, CloseAccount, Transfer, PosPayment, PosRefund, PosCancel,
                 PosCloseDay, PosFees, PosCashOut, PosSupplierPayment, RegisterKey, WalletSend,
                 RegisterCard, SetHealthProgram, RegisterDevice, SetConsent, StepReport,
                 ExchangePoints, EraseStepData, SetWatchOver, AckAlert, SetTaskRules, PostTask,
                 ApplyTask, DecideApplication, CancelSlots, CheckIn, ConfirmDay, CreateCampaign,
                 CloseCampaign, LinkAccount, PosMpmOrder, SetMerchantProfile, RevokeKey,
                 GrantSubsidy, UnlockCard, ReissueCard, PauseCampaign, SetOperatorRoles, Propose,
                 Approve, RejectProposal, SetFourEyes>;

// How the metrics count a command's outcomes: settings (assets, accounts, keys, cards, fees,
// programs, consents, ...) apart from what moves money.
enum class CommandClass : uint8_t { kSetting, kTransfer };

// Not a command: the journal tag of the u64 request_ms prefix before a command that spends a
// request nonce (RequestMs in journal.h). Commands without it (older entries) decode with
// request_ms 0.
inline constexpr uint8_t kRequestTimeTag = 43;
// Not a command: the tag of the section after a journal entry's (or replicated batch's) commands
// that names each request's operator (ledger/FORMAT.md); absent when no request has one.
inline constexpr uint8_t kRequestOperatorsTag = 46;

// One specialization per command:
//   kTag     its journal tag (ledger/FORMAT.md), never reused;
//   kAltTag  0, or a second tag for an extended (or older) form of the same command, which Fields
//   reads
//            as io.tag(); the journal codec chooses between the two (journal.cc, WireTag);
//   kName    a stable snake_case name for metrics and logs;
//   kClass   its metric class;
//   Fields   its fields in wire order (codec.h), for encoding and decoding alike.
template <class T>
struct CommandTraits;

#define LEDGER_COMMAND(Type, tag, alt_tag, name, command_class) \
  template <>                                                   \
  struct CommandTraits<Type> {                                  \
    using CommandType = Type;                                   \
    static constexpr uint8_t kTag = tag;                        \
    static constexpr uint8_t kAltTag = alt_tag;                 \
    static constexpr std::string_view kName = name;             \
    static constexpr CommandClass kClass = CommandClass::command_class;
#define LEDGER_FIELDS             \
  template <class Io, class Self> \
  static void Fields(Io& io, Self& c)
// Whether every string of the command is within its bound in limits.h, as the services admit them
// (the batch decoder refuses a command that is not: CommandWithinBounds in journal.h).
#define LEDGER_BOUNDS static bool WithinBounds([[maybe_unused]] const CommandType& c)
#define LEDGER_COMMAND_END \
  }                        \
  ;

inline bool Fits(const std::string& value, size_t max) { return value.size() <= max; }

// Structs nested in commands (and in the records that embed them).
template <>
struct FieldList<StepTier> {
  template <class Io, class Self>
  static void Apply(Io& io, Self& t) {
    io(t.steps_min, t.points);
  }
};
template <>
struct FieldList<HealthProgram> {
  template <class Io, class Self>
  static void Apply(Io& io, Self& p) {
    io(p.program, p.effective_day, p.funding);
    // One over the bound: a program refused for one tier too many is still journaled (and decodes).
    io.Vec(p.tiers, static_cast<uint32_t>(kStepTiersMax + 1));
    io(p.daily_cap, p.bonus_days, p.bonus_points, p.steps_max, p.report_window_days,
       p.exchange_retire, p.coin_funding, p.exchange_points, p.exchange_coin, p.timestamp);
  }
};
template <>
struct FieldList<TaskRules> {
  template <class Io, class Self>
  static void Apply(Io& io, Self& r) {
    io(r.weekly_hours_max, r.monthly_max, r.dispute_hours);
  }
};

LEDGER_COMMAND(Asset, 1, 0, "asset", kSetting)
LEDGER_FIELDS {
  io(c.id, c.code, c.scale, c.expiry_seconds, c.expiry_granularity_seconds, c.breakage_account);
}
LEDGER_BOUNDS { return Fits(c.code, kAssetCodeBytesMax); }
LEDGER_COMMAND_END

LEDGER_COMMAND(Account, 2, 0, "account", kSetting)
LEDGER_FIELDS { io(c.id, c.asset, c.kind, c.flags, c.user_data, c.category); }
LEDGER_BOUNDS { return Fits(c.category, kCategoryBytesMax); }
LEDGER_COMMAND_END

LEDGER_COMMAND(CloseAccount, 3, 0, "close_account", kSetting)
LEDGER_FIELDS { io(c.id); }
LEDGER_BOUNDS { return true; }
LEDGER_COMMAND_END

LEDGER_COMMAND(Transfer, 4, 0, "transfer", kTransfer)
LEDGER_FIELDS {
  io(c.id, c.debit_account_id, c.credit_account_id, c.amount, c.pending_id, c.timeout_seconds,
     c.code, c.flags, c.user_data);
}
LEDGER_BOUNDS { return true; }
LEDGER_COMMAND_END

// Tag 40: a card payment, its attempt nonce follows; tag 5 stays for the rest.
LEDGER_COMMAND(PosPayment, 5, 40, "pos_payment", kTransfer)
LEDGER_FIELDS {
  io(c.merchant, c.payment_id, c.payer, c.amount, c.terminal, c.cpm, c.wallet_nonce, c.card,
     c.pin_proof, c.staff);
  if (io.tag() == kAltTag) io(c.attempt);
}
LEDGER_BOUNDS {
  return Fits(c.payment_id, kPosIdLengthMax) && Fits(c.terminal, kTerminalIdLengthMax) &&
         Fits(c.cpm, kCpmTextLengthMax) && Fits(c.card, kCardNumberLengthMax) &&
         Fits(c.pin_proof, kPinProofBytes) && Fits(c.staff, kStaffIdLengthMax);
}
LEDGER_COMMAND_END

LEDGER_COMMAND(PosRefund, 6, 0, "pos_refund", kTransfer)
LEDGER_FIELDS { io(c.merchant, c.payment_id, c.refund_id, c.amount); }
LEDGER_BOUNDS { return Fits(c.payment_id, kPosIdLengthMax) && Fits(c.refund_id, kPosIdLengthMax); }
LEDGER_COMMAND_END

LEDGER_COMMAND(PosCancel, 7, 0, "pos_cancel", kTransfer)
LEDGER_FIELDS { io(c.merchant, c.payment_id); }
LEDGER_BOUNDS { return Fits(c.payment_id, kPosIdLengthMax); }
LEDGER_COMMAND_END

LEDGER_COMMAND(PosCloseDay, 8, 0, "pos_close_day", kTransfer)
LEDGER_FIELDS { io(c.merchant, c.business_day); }
LEDGER_BOUNDS { return true; }
LEDGER_COMMAND_END

LEDGER_COMMAND(PosFees, 9, 0, "pos_fees", kSetting)
LEDGER_FIELDS {
  io(c.asset, c.issuer, c.fee_account, c.cashout_bps, c.member_cashout_bps, c.supplier_bps);
}
LEDGER_BOUNDS { return true; }
LEDGER_COMMAND_END

LEDGER_COMMAND(PosCashOut, 10, 0, "pos_cash_out", kTransfer)
LEDGER_FIELDS { io(c.merchant, c.cashout_id, c.amount, c.member); }
LEDGER_BOUNDS { return Fits(c.cashout_id, kPosIdLengthMax); }
LEDGER_COMMAND_END

LEDGER_COMMAND(PosSupplierPayment, 11, 0, "pos_supplier_payment", kTransfer)
LEDGER_FIELDS { io(c.payer, c.payment_id, c.supplier, c.amount); }
LEDGER_BOUNDS { return Fits(c.payment_id, kPosIdLengthMax); }
LEDGER_COMMAND_END

// Tag 12 keeps the bytes earlier versions wrote for what they could express (the operator
// registering an ordinary key); tag 36: a manager, or registered by a terminal.
LEDGER_COMMAND(RegisterKey, 12, 36, "register_key", kSetting)
LEDGER_FIELDS {
  io(c.account, c.key_id, c.public_key);
  if (io.tag() == kAltTag) io(c.manager, c.by_terminal);
}
LEDGER_BOUNDS {
  return Fits(c.key_id, kTerminalIdLengthMax) && Fits(c.public_key, kEd25519PublicKeyBytes) &&
         Fits(c.by_terminal, kTerminalIdLengthMax);
}
LEDGER_COMMAND_END

LEDGER_COMMAND(WalletSend, 13, 0, "wallet_send", kTransfer)
LEDGER_FIELDS { io(c.transfer, c.nonce); }
LEDGER_BOUNDS { return true; }
LEDGER_COMMAND_END

LEDGER_COMMAND(RegisterCard, 14, 0, "register_card", kSetting)
LEDGER_FIELDS { io(c.card, c.wallet, c.pin_salt, c.pin_proof, c.attempts_max); }
LEDGER_BOUNDS {
  return Fits(c.card, kCardNumberLengthMax) && Fits(c.pin_salt, kPinSaltBytes) &&
         Fits(c.pin_proof, kPinProofBytes);
}
LEDGER_COMMAND_END

LEDGER_COMMAND(SetHealthProgram, 15, 0, "set_health_program", kSetting)
LEDGER_FIELDS { io(c.program); }
LEDGER_BOUNDS { return true; }
LEDGER_COMMAND_END

LEDGER_COMMAND(RegisterDevice, 16, 0, "register_device", kSetting)
LEDGER_FIELDS { io(c.resident, c.device_id, c.public_key, c.revoke, c.nonce); }
LEDGER_BOUNDS {
  return Fits(c.device_id, kDeviceIdLengthMax) && Fits(c.public_key, kEd25519PublicKeyBytes);
}
LEDGER_COMMAND_END

LEDGER_COMMAND(SetConsent, 17, 0, "set_consent", kSetting)
LEDGER_FIELDS { io(c.resident, c.purpose, c.granted, c.nonce); }
LEDGER_BOUNDS { return true; }
LEDGER_COMMAND_END

// Tag 18: as submitted (the replicated log), with steps, signature and salt; tag 19: as journaled,
// the commitment instead (health.h).
LEDGER_COMMAND(StepReport, 18, 19, "step_report", kTransfer)
LEDGER_FIELDS {
  io(c.program, c.resident, c.device_id, c.day, c.nonce);
  if (io.tag() == kAltTag) {
    io(c.commitment);
  } else {
    io(c.steps, c.signature, c.salt);
  }
}
LEDGER_BOUNDS {
  return Fits(c.device_id, kDeviceIdLengthMax) && Fits(c.signature, kEd25519SignatureBytes) &&
         Fits(c.salt, kStepSaltBytes) && Fits(c.commitment, kStepCommitmentBytes);
}
LEDGER_COMMAND_END

LEDGER_COMMAND(ExchangePoints, 20, 0, "exchange_points", kTransfer)
LEDGER_FIELDS { io(c.program, c.resident, c.coin_wallet, c.points, c.exchange_id, c.nonce); }
LEDGER_BOUNDS { return Fits(c.exchange_id, kPosIdLengthMax); }
LEDGER_COMMAND_END

LEDGER_COMMAND(EraseStepData, 21, 0, "erase_step_data", kSetting)
LEDGER_FIELDS { io(c.resident, c.nonce); }
LEDGER_BOUNDS { return true; }
LEDGER_COMMAND_END

LEDGER_COMMAND(SetWatchOver, 22, 0, "set_watch_over", kSetting)
LEDGER_FIELDS {
  io(c.resident);
  io.Vec(c.watchers,
         static_cast<uint32_t>(kWatchersMax + 1));  // One over: refused ones are journaled too.
  io(c.silent_days, c.drop_percent, c.baseline_days, c.min_baseline_days, c.nonce);
}
LEDGER_BOUNDS { return true; }
LEDGER_COMMAND_END

LEDGER_COMMAND(AckAlert, 23, 0, "ack_alert", kSetting)
LEDGER_FIELDS { io(c.watcher, c.resident, c.alert, c.nonce); }
LEDGER_BOUNDS { return true; }
LEDGER_COMMAND_END

LEDGER_COMMAND(SetTaskRules, 24, 0, "set_task_rules", kSetting)
LEDGER_FIELDS { io(c.rules); }
LEDGER_BOUNDS { return true; }
LEDGER_COMMAND_END

LEDGER_COMMAND(PostTask, 25, 0, "post_task", kTransfer)
LEDGER_FIELDS {
  io(c.host, c.task_id, c.title, c.first_day, c.last_day, c.slots, c.per_day, c.escrow, c.subsidy,
     c.subsidy_percent, c.hours_per_day, c.host_key, c.wage_reference);
}
LEDGER_BOUNDS {
  return Fits(c.task_id, kPosIdLengthMax) && Fits(c.title, kTaskTitleBytesMax) &&
         Fits(c.host_key, kEd25519PublicKeyBytes) && Fits(c.wage_reference, kWageReferenceBytesMax);
}
LEDGER_COMMAND_END

LEDGER_COMMAND(ApplyTask, 26, 0, "apply_task", kSetting)
LEDGER_FIELDS { io(c.visitor, c.host, c.task_id, c.nonce); }
LEDGER_BOUNDS { return Fits(c.task_id, kPosIdLengthMax); }
LEDGER_COMMAND_END

LEDGER_COMMAND(DecideApplication, 27, 0, "decide_application", kSetting)
LEDGER_FIELDS { io(c.host, c.task_id, c.visitor, c.accept); }
LEDGER_BOUNDS { return Fits(c.task_id, kPosIdLengthMax); }
LEDGER_COMMAND_END

// Tag 39: with a nonce; tag 28 stays what a cancel without one (older entries) reads as.
LEDGER_COMMAND(CancelSlots, 28, 39, "cancel_slots", kTransfer)
LEDGER_FIELDS {
  io(c.host, c.task_id, c.count);
  if (io.tag() == kAltTag) io(c.nonce);
}
LEDGER_BOUNDS { return Fits(c.task_id, kPosIdLengthMax); }
LEDGER_COMMAND_END

LEDGER_COMMAND(CheckIn, 29, 0, "check_in", kSetting)
LEDGER_FIELDS { io(c.visitor, c.host, c.task_id, c.out, c.host_signature, c.nonce); }
LEDGER_BOUNDS {
  return Fits(c.task_id, kPosIdLengthMax) && Fits(c.host_signature, kEd25519SignatureBytes);
}
LEDGER_COMMAND_END

LEDGER_COMMAND(ConfirmDay, 30, 0, "confirm_day", kTransfer)
LEDGER_FIELDS { io(c.host, c.task_id, c.visitor, c.day, c.action); }
LEDGER_BOUNDS { return Fits(c.task_id, kPosIdLengthMax); }
LEDGER_COMMAND_END

LEDGER_COMMAND(CreateCampaign, 31, 0, "create_campaign", kSetting)
LEDGER_FIELDS {
  io(c.campaign, c.name, c.funding, c.payment_asset, c.category);
  io.Vec(c.merchants,
         static_cast<uint32_t>(kCampaignMerchantsMax + 1));  // One over: refused ones too.
  io(c.starts_at, c.ends_at, c.from_minute, c.to_minute, c.min_amount, c.percent_bps, c.fixed,
     c.per_person_month, c.budget);
}
LEDGER_BOUNDS { return Fits(c.name, kCampaignNameBytesMax) && Fits(c.category, kCategoryBytesMax); }
LEDGER_COMMAND_END

LEDGER_COMMAND(CloseCampaign, 32, 0, "close_campaign", kSetting)
LEDGER_FIELDS { io(c.campaign); }
LEDGER_BOUNDS { return true; }
LEDGER_COMMAND_END

LEDGER_COMMAND(PauseCampaign, 44, 0, "pause_campaign", kSetting)
LEDGER_FIELDS { io(c.campaign, c.paused); }
LEDGER_BOUNDS { return true; }
LEDGER_COMMAND_END

LEDGER_COMMAND(LinkAccount, 33, 0, "link_account", kSetting)
LEDGER_FIELDS { io(c.wallet, c.linked); }
LEDGER_BOUNDS { return true; }
LEDGER_COMMAND_END

LEDGER_COMMAND(PosMpmOrder, 34, 0, "pos_mpm_order", kSetting)
LEDGER_FIELDS { io(c.merchant, c.payment_id, c.amount, c.terminal, c.lifetime_seconds); }
LEDGER_BOUNDS {
  return Fits(c.payment_id, kPosIdLengthMax) && Fits(c.terminal, kTerminalIdLengthMax);
}
LEDGER_COMMAND_END

LEDGER_COMMAND(SetMerchantProfile, 35, 0, "set_merchant_profile", kSetting)
LEDGER_FIELDS {
  io(c.merchant, c.chamber_member);
  io.Vec(c.accepts, static_cast<uint32_t>(kProfileAccountsMax));
}
LEDGER_BOUNDS { return true; }
LEDGER_COMMAND_END

LEDGER_COMMAND(RevokeKey, 37, 0, "revoke_key", kSetting)
LEDGER_FIELDS { io(c.account, c.key_id, c.by_terminal); }
LEDGER_BOUNDS {
  return Fits(c.key_id, kTerminalIdLengthMax) && Fits(c.by_terminal, kTerminalIdLengthMax);
}
LEDGER_COMMAND_END

LEDGER_COMMAND(GrantSubsidy, 38, 0, "grant_subsidy", kSetting)
LEDGER_FIELDS { io(c.budget, c.host, c.category, c.percent_max, c.monthly_max); }
LEDGER_BOUNDS { return Fits(c.category, kCategoryBytesMax); }
LEDGER_COMMAND_END

LEDGER_COMMAND(UnlockCard, 41, 0, "unlock_card", kSetting)
LEDGER_FIELDS { io(c.card, c.by); }
LEDGER_BOUNDS { return Fits(c.card, kCardNumberLengthMax) && Fits(c.by, kStaffIdLengthMax); }
LEDGER_COMMAND_END

LEDGER_COMMAND(ReissueCard, 42, 0, "reissue_card", kSetting)
LEDGER_FIELDS { io(c.card, c.new_card, c.pin_salt, c.pin_proof, c.by); }
LEDGER_BOUNDS {
  return Fits(c.card, kCardNumberLengthMax) && Fits(c.new_card, kCardNumberLengthMax) &&
         Fits(c.pin_salt, kPinSaltBytes) && Fits(c.pin_proof, kPinProofBytes) &&
         Fits(c.by, kStaffIdLengthMax);
}
LEDGER_COMMAND_END

LEDGER_COMMAND(SetOperatorRoles, 45, 0, "set_operator_roles", kSetting)
LEDGER_FIELDS { io(c.name, c.roles); }
LEDGER_BOUNDS { return Fits(c.name, kOperatorNameLengthMax); }
LEDGER_COMMAND_END

// Four-eyes (ledger/core/proposals.h).
LEDGER_COMMAND(Propose, 48, 0, "propose", kSetting)
LEDGER_FIELDS { io(c.id, c.proposer, c.lifetime_seconds, c.commands); }
LEDGER_BOUNDS {
  return Fits(c.proposer, kOperatorNameLengthMax) && Fits(c.commands, kProposalCommandBytesMax);
}
LEDGER_COMMAND_END

LEDGER_COMMAND(Approve, 49, 0, "approve", kSetting)
LEDGER_FIELDS { io(c.id, c.approver); }
LEDGER_BOUNDS { return Fits(c.approver, kOperatorNameLengthMax); }
LEDGER_COMMAND_END

LEDGER_COMMAND(RejectProposal, 50, 0, "reject_proposal", kSetting)
LEDGER_FIELDS { io(c.id, c.by); }
LEDGER_BOUNDS { return Fits(c.by, kOperatorNameLengthMax); }
LEDGER_COMMAND_END

LEDGER_COMMAND(SetFourEyes, 51, 0, "set_four_eyes", kSetting)
LEDGER_FIELDS { io(c.issuance_threshold); }
LEDGER_BOUNDS { return true; }
LEDGER_COMMAND_END

#undef LEDGER_COMMAND
#undef LEDGER_FIELDS
#undef LEDGER_COMMAND_END

// A command nested in a record (e.g. a task record's PostTask) is written as its fields.
template <class T>
requires requires { CommandTraits<T>::kTag; }
struct FieldList<T> {
  template <class Io, class Self>
  static void Apply(Io& io, Self& c) {
    CommandTraits<T>::Fields(io, c);
  }
};

namespace command_internal {

template <size_t... I>
constexpr bool TagsAreUnique(std::index_sequence<I...>) {
  std::array<bool, 256> used{};
  used[0] = true;  // 0 is "no alternative tag".
  used[kRequestTimeTag] = true;
  used[kRequestOperatorsTag] = true;
  bool unique = true;
  auto claim = [&](uint8_t tag) {
    if (used[tag]) unique = false;
    used[tag] = true;
  };
  (claim(CommandTraits<std::variant_alternative_t<I, Command>>::kTag), ...);
  (
      [&] {
        constexpr uint8_t alt = CommandTraits<std::variant_alternative_t<I, Command>>::kAltTag;
        if (alt != 0) claim(alt);
      }(),
      ...);
  return unique;
}

template <size_t... I>
constexpr bool NamesAreSet(std::index_sequence<I...>) {
  return (!CommandTraits<std::variant_alternative_t<I, Command>>::kName.empty() && ...);
}

}  // namespace command_internal

// Every alternative has a complete CommandTraits (else: "incomplete type CommandTraits<...>"), a
// name, and tags no other command (nor the request-time prefix) uses.
static_assert(
    command_internal::NamesAreSet(std::make_index_sequence<std::variant_size_v<Command>>()));
static_assert(
    command_internal::TagsAreUnique(std::make_index_sequence<std::variant_size_v<Command>>()),
    "two commands share a journal tag");

// The command's name (CommandTraits::kName) and metric class.
std::string_view CommandName(const Command& command);
CommandClass CommandClassOf(const Command& command);
// The roles that may submit the command as an operator (ledger/core/operators.cc has the table);
// 0 for a command only the public services submit (signed requests).
RoleSet CommandRoles(const Command& command);
// Whether operator `name`, holding `held`, may run `command` in its own request: the command needs
// one of its roles (CommandRoles); a Propose, Approve or RejectProposal must name `name` itself as
// proposer, approver or rejecter; and proposing or approving also needs, for each command of the
// proposal (`proposed`: those a Propose carries or an Approve's stored proposal holds; null when
// there is none, and the command's own checks then refuse it), one of its roles, as running it
// directly would. The core (BatchApplier::OperatorMayRun) and `ledgerctl verify`
// (OperatorJournalCheck) both decide by it.
bool OperatorMayRunCommand(std::string_view name, RoleSet held, const Command& command,
                           const std::vector<Command>* proposed);

}  // namespace ledger

#endif  // LEDGER_CORE_COMMAND_H_
