// Journal entry encoding and chain verification. Layout: ledger/FORMAT.md.
#include "ledger/core/journal.h"

#include "absl/strings/str_cat.h"
#include "ledger/core/codec.h"
#include "ledger/core/keys.h"
#include "ledger/core/limits.h"
#include "ledger/core/state_machine.h"

namespace ledger {
namespace {

constexpr uint8_t kEntryVersion = 1;
constexpr uint8_t kHeadVersion = 1;
constexpr uint8_t kBatchVersion = 1;
constexpr size_t kHashBytes = 32;
// How often VerifyJournal reports progress.
constexpr uint64_t kVerifyProgressEvery = 4096;

enum class CommandTag : uint8_t {
  kAsset = 1,
  kAccount = 2,
  kCloseAccount = 3,
  kTransfer = 4,
  kPosPayment = 5,
  kPosRefund = 6,
  kPosCancel = 7,
  kPosCloseDay = 8,
  kPosFees = 9,
  kPosCashOut = 10,
  kPosSupplierPayment = 11,
  kRegisterKey = 12,
  kWalletSend = 13,
  kRegisterCard = 14,
  kSetHealthProgram = 15,
  kRegisterDevice = 16,
  kSetConsent = 17,
  kStepReport = 18,         // As submitted (replicated log): with steps, signature and salt.
  kStepReportJournal = 19,  // As journaled: the commitment instead (health.h).
  kExchangePoints = 20,
  kEraseStepData = 21,
  kSetWatchOver = 22,
  kAckAlert = 23,
  kSetTaskRules = 24,
  kPostTask = 25,
  kApplyTask = 26,
  kDecideApplication = 27,
  kCancelSlots = 28,
  kCheckIn = 29,
  kConfirmDay = 30,
  kCreateCampaign = 31,
  kCloseCampaign = 32,
  kLinkAccount = 33,
  kPosMpmOrder = 34,
  kSetMerchantProfile = 35,
  kRegisterKeyWithRole = 36,  // A manager, or registered by a terminal; tag 12 stays the operator's ordinary key.
  kRevokeKey = 37,
  kGrantSubsidy = 38,
  kCancelSlotsWithNonce = 39,  // Tag 28 stays what a cancel without a nonce (older entries) reads as.
  kPosPaymentWithAttempt = 40,  // A card payment's attempt nonce follows; tag 5 stays for the rest.
  kUnlockCard = 41,
  kReissueCard = 42,
  // Not a command: u64 request_ms, then the command it belongs to (one that spends a request nonce, see
  // RequestMs in journal.h). Commands without it (older entries) decode with request_ms 0.
  kRequestTime = 43,
};

void EncodeTransferRequest(const Transfer& t, Encoder* e) {
  e->Id(t.id);
  e->Id(t.debit_account_id);
  e->Id(t.credit_account_id);
  e->I64(t.amount);
  e->Id(t.pending_id);
  e->I64(t.timeout_seconds);
  e->U32(t.code);
  e->U32(t.flags);
  e->U64(t.user_data);
}

Transfer DecodeTransferRequest(Decoder* d) {
  Transfer t;
  t.id = d->Id();
  t.debit_account_id = d->Id();
  t.credit_account_id = d->Id();
  t.amount = d->I64();
  t.pending_id = d->Id();
  t.timeout_seconds = d->I64();
  t.code = d->U32();
  t.flags = d->U32();
  t.user_data = d->U64();
  return t;
}

// journal: encode as the journal keeps it (a step report's health data replaced by its commitment).
void EncodeCommand(const Command& command, Encoder* e, bool journal) {
  if (const uint64_t request_ms = RequestMs(command); request_ms != 0) {
    e->U8(static_cast<uint8_t>(CommandTag::kRequestTime));
    e->U64(request_ms);
  }
  if (const auto* report = std::get_if<StepReport>(&command)) {
    e->U8(static_cast<uint8_t>(journal ? CommandTag::kStepReportJournal : CommandTag::kStepReport));
    e->U32(report->program);
    e->Id(report->resident);
    e->Bytes(report->device_id);
    e->U32(report->day);
    e->U64(report->nonce);
    if (journal) {
      e->Bytes(report->commitment.empty() ? StepCommitment(report->salt, report->steps, report->signature)
                                          : report->commitment);
    } else {
      e->U32(report->steps);
      e->Bytes(report->signature);
      e->Bytes(report->salt);
    }
  } else if (const auto* program = std::get_if<SetHealthProgram>(&command)) {
    e->U8(static_cast<uint8_t>(CommandTag::kSetHealthProgram));
    EncodeHealthProgram(program->program, e);
  } else if (const auto* device = std::get_if<RegisterDevice>(&command)) {
    e->U8(static_cast<uint8_t>(CommandTag::kRegisterDevice));
    e->Id(device->resident);
    e->Bytes(device->device_id);
    e->Bytes(device->public_key);
    e->U8(device->revoke ? 1 : 0);
    e->U64(device->nonce);
  } else if (const auto* consent = std::get_if<SetConsent>(&command)) {
    e->U8(static_cast<uint8_t>(CommandTag::kSetConsent));
    e->Id(consent->resident);
    e->U8(consent->purpose);
    e->U8(consent->granted ? 1 : 0);
    e->U64(consent->nonce);
  } else if (const auto* exchange = std::get_if<ExchangePoints>(&command)) {
    e->U8(static_cast<uint8_t>(CommandTag::kExchangePoints));
    e->U32(exchange->program);
    e->Id(exchange->resident);
    e->Id(exchange->coin_wallet);
    e->I64(exchange->points);
    e->Bytes(exchange->exchange_id);
    e->U64(exchange->nonce);
  } else if (const auto* watch = std::get_if<SetWatchOver>(&command)) {
    e->U8(static_cast<uint8_t>(CommandTag::kSetWatchOver));
    EncodeWatchSettings(*watch, e);
  } else if (const auto* ack = std::get_if<AckAlert>(&command)) {
    e->U8(static_cast<uint8_t>(CommandTag::kAckAlert));
    e->Id(ack->watcher);
    e->Id(ack->resident);
    e->U32(ack->alert);
    e->U64(ack->nonce);
  } else if (const auto* rules = std::get_if<SetTaskRules>(&command)) {
    e->U8(static_cast<uint8_t>(CommandTag::kSetTaskRules));
    e->U32(rules->rules.weekly_hours_max);
    e->I64(rules->rules.monthly_max);
    e->U32(rules->rules.dispute_hours);
  } else if (const auto* task = std::get_if<PostTask>(&command)) {
    e->U8(static_cast<uint8_t>(CommandTag::kPostTask));
    EncodePostTask(*task, e);
  } else if (const auto* apply = std::get_if<ApplyTask>(&command)) {
    e->U8(static_cast<uint8_t>(CommandTag::kApplyTask));
    e->Id(apply->visitor);
    e->Id(apply->host);
    e->Bytes(apply->task_id);
    e->U64(apply->nonce);
  } else if (const auto* decide = std::get_if<DecideApplication>(&command)) {
    e->U8(static_cast<uint8_t>(CommandTag::kDecideApplication));
    e->Id(decide->host);
    e->Bytes(decide->task_id);
    e->Id(decide->visitor);
    e->U8(decide->accept ? 1 : 0);
  } else if (const auto* cancel_slots = std::get_if<CancelSlots>(&command)) {
    const bool with_nonce = cancel_slots->nonce != 0;
    e->U8(static_cast<uint8_t>(with_nonce ? CommandTag::kCancelSlotsWithNonce : CommandTag::kCancelSlots));
    e->Id(cancel_slots->host);
    e->Bytes(cancel_slots->task_id);
    e->U32(cancel_slots->count);
    if (with_nonce) e->U64(cancel_slots->nonce);
  } else if (const auto* check = std::get_if<CheckIn>(&command)) {
    e->U8(static_cast<uint8_t>(CommandTag::kCheckIn));
    e->Id(check->visitor);
    e->Id(check->host);
    e->Bytes(check->task_id);
    e->U8(check->out ? 1 : 0);
    e->Bytes(check->host_signature);
    e->U64(check->nonce);
  } else if (const auto* confirm = std::get_if<ConfirmDay>(&command)) {
    e->U8(static_cast<uint8_t>(CommandTag::kConfirmDay));
    e->Id(confirm->host);
    e->Bytes(confirm->task_id);
    e->Id(confirm->visitor);
    e->U32(confirm->day);
    e->U8(static_cast<uint8_t>(confirm->action));
  } else if (const auto* campaign = std::get_if<CreateCampaign>(&command)) {
    e->U8(static_cast<uint8_t>(CommandTag::kCreateCampaign));
    EncodeCreateCampaign(*campaign, e);
  } else if (const auto* close_campaign = std::get_if<CloseCampaign>(&command)) {
    e->U8(static_cast<uint8_t>(CommandTag::kCloseCampaign));
    e->U32(close_campaign->campaign);
  } else if (const auto* link = std::get_if<LinkAccount>(&command)) {
    e->U8(static_cast<uint8_t>(CommandTag::kLinkAccount));
    e->Id(link->wallet);
    e->Id(link->linked);
  } else if (const auto* order = std::get_if<PosMpmOrder>(&command)) {
    e->U8(static_cast<uint8_t>(CommandTag::kPosMpmOrder));
    e->Id(order->merchant);
    e->Bytes(order->payment_id);
    e->I64(order->amount);
    e->Bytes(order->terminal);
    e->U32(order->lifetime_seconds);
  } else if (const auto* profile = std::get_if<SetMerchantProfile>(&command)) {
    e->U8(static_cast<uint8_t>(CommandTag::kSetMerchantProfile));
    e->Id(profile->merchant);
    e->U8(profile->chamber_member ? 1 : 0);
    e->U32(static_cast<uint32_t>(profile->accepts.size()));
    for (const AccountId& account : profile->accepts) e->Id(account);
  } else if (const auto* erase = std::get_if<EraseStepData>(&command)) {
    e->U8(static_cast<uint8_t>(CommandTag::kEraseStepData));
    e->Id(erase->resident);
    e->U64(erase->nonce);
  } else if (const auto* asset = std::get_if<Asset>(&command)) {
    e->U8(static_cast<uint8_t>(CommandTag::kAsset));
    e->U32(asset->id);
    e->Bytes(asset->code);
    e->U32(asset->scale);
    e->I64(asset->expiry_seconds);
    e->I64(asset->expiry_granularity_seconds);
    e->Id(asset->breakage_account);
  } else if (const auto* account = std::get_if<Account>(&command)) {
    e->U8(static_cast<uint8_t>(CommandTag::kAccount));
    e->Id(account->id);
    e->U32(account->asset);
    e->U8(static_cast<uint8_t>(account->kind));
    e->U32(account->flags);
    e->U64(account->user_data);
    e->Bytes(account->category);
  } else if (const auto* close = std::get_if<CloseAccount>(&command)) {
    e->U8(static_cast<uint8_t>(CommandTag::kCloseAccount));
    e->Id(close->id);
  } else if (const auto* transfer = std::get_if<Transfer>(&command)) {
    e->U8(static_cast<uint8_t>(CommandTag::kTransfer));
    EncodeTransferRequest(*transfer, e);
  } else if (const auto* payment = std::get_if<PosPayment>(&command)) {
    e->U8(static_cast<uint8_t>(payment->attempt != 0 ? CommandTag::kPosPaymentWithAttempt : CommandTag::kPosPayment));
    e->Id(payment->merchant);
    e->Bytes(payment->payment_id);
    e->Id(payment->payer);
    e->I64(payment->amount);
    e->Bytes(payment->terminal);
    e->Bytes(payment->cpm);
    e->U64(payment->wallet_nonce);
    e->Bytes(payment->card);
    e->Bytes(payment->pin_proof);
    e->Bytes(payment->staff);
    if (payment->attempt != 0) e->U64(payment->attempt);
  } else if (const auto* refund = std::get_if<PosRefund>(&command)) {
    e->U8(static_cast<uint8_t>(CommandTag::kPosRefund));
    e->Id(refund->merchant);
    e->Bytes(refund->payment_id);
    e->Bytes(refund->refund_id);
    e->I64(refund->amount);
  } else if (const auto* cancel = std::get_if<PosCancel>(&command)) {
    e->U8(static_cast<uint8_t>(CommandTag::kPosCancel));
    e->Id(cancel->merchant);
    e->Bytes(cancel->payment_id);
  } else if (const auto* close_day = std::get_if<PosCloseDay>(&command)) {
    e->U8(static_cast<uint8_t>(CommandTag::kPosCloseDay));
    e->Id(close_day->merchant);
    e->U32(close_day->business_day);
  } else if (const auto* fees = std::get_if<PosFees>(&command)) {
    e->U8(static_cast<uint8_t>(CommandTag::kPosFees));
    e->U32(fees->asset);
    e->Id(fees->issuer);
    e->Id(fees->fee_account);
    e->U32(fees->cashout_bps);
    e->U32(fees->member_cashout_bps);
    e->U32(fees->supplier_bps);
  } else if (const auto* cashout = std::get_if<PosCashOut>(&command)) {
    e->U8(static_cast<uint8_t>(CommandTag::kPosCashOut));
    e->Id(cashout->merchant);
    e->Bytes(cashout->cashout_id);
    e->I64(cashout->amount);
    e->U8(cashout->member ? 1 : 0);
  } else if (const auto* card = std::get_if<RegisterCard>(&command)) {
    e->U8(static_cast<uint8_t>(CommandTag::kRegisterCard));
    e->Bytes(card->card);
    e->Id(card->wallet);
    e->Bytes(card->pin_salt);
    e->Bytes(card->pin_proof);
    e->U32(card->attempts_max);
  } else if (const auto* send = std::get_if<WalletSend>(&command)) {
    e->U8(static_cast<uint8_t>(CommandTag::kWalletSend));
    EncodeTransferRequest(send->transfer, e);
    e->U64(send->nonce);
  } else if (const auto* key = std::get_if<RegisterKey>(&command)) {
    // Tag 12 keeps the bytes earlier versions wrote for what they could express (the operator
    // registering an ordinary key), so their journals and logs decode the same.
    const bool with_role = key->manager || !key->by_terminal.empty();
    e->U8(static_cast<uint8_t>(with_role ? CommandTag::kRegisterKeyWithRole : CommandTag::kRegisterKey));
    e->Id(key->account);
    e->Bytes(key->key_id);
    e->Bytes(key->public_key);
    if (with_role) {
      e->U8(key->manager ? 1 : 0);
      e->Bytes(key->by_terminal);
    }
  } else if (const auto* revoke = std::get_if<RevokeKey>(&command)) {
    e->U8(static_cast<uint8_t>(CommandTag::kRevokeKey));
    e->Id(revoke->account);
    e->Bytes(revoke->key_id);
    e->Bytes(revoke->by_terminal);
  } else if (const auto* grant = std::get_if<GrantSubsidy>(&command)) {
    e->U8(static_cast<uint8_t>(CommandTag::kGrantSubsidy));
    EncodeGrantSubsidy(*grant, e);
  } else if (const auto* unlock = std::get_if<UnlockCard>(&command)) {
    e->U8(static_cast<uint8_t>(CommandTag::kUnlockCard));
    e->Bytes(unlock->card);
    e->Bytes(unlock->by);
  } else if (const auto* reissue = std::get_if<ReissueCard>(&command)) {
    e->U8(static_cast<uint8_t>(CommandTag::kReissueCard));
    e->Bytes(reissue->card);
    e->Bytes(reissue->new_card);
    e->Bytes(reissue->pin_salt);
    e->Bytes(reissue->pin_proof);
    e->Bytes(reissue->by);
  } else {
    const PosSupplierPayment& supplier = std::get<PosSupplierPayment>(command);
    e->U8(static_cast<uint8_t>(CommandTag::kPosSupplierPayment));
    e->Id(supplier.payer);
    e->Bytes(supplier.payment_id);
    e->Id(supplier.supplier);
    e->I64(supplier.amount);
  }
}

// Whether every string of a command is within its bound in limits.h: what the services let through. One
// overload per command kind, so that a command added without one does not compile.
bool Fits(const std::string& value, size_t max) { return value.size() <= max; }
struct WithinBounds {
  bool operator()(const Asset& a) const { return Fits(a.code, kAssetCodeBytesMax); }
  bool operator()(const Account& a) const { return Fits(a.category, kCategoryBytesMax); }
  bool operator()(const CloseAccount&) const { return true; }
  bool operator()(const Transfer&) const { return true; }
  bool operator()(const PosPayment& p) const {
    return Fits(p.payment_id, kPosIdLengthMax) && Fits(p.terminal, kTerminalIdLengthMax) &&
           Fits(p.cpm, kCpmTextLengthMax) && Fits(p.card, kCardNumberLengthMax) &&
           Fits(p.pin_proof, kPinProofBytes) && Fits(p.staff, kStaffIdLengthMax);
  }
  bool operator()(const PosRefund& r) const {
    return Fits(r.payment_id, kPosIdLengthMax) && Fits(r.refund_id, kPosIdLengthMax);
  }
  bool operator()(const PosCancel& c) const { return Fits(c.payment_id, kPosIdLengthMax); }
  bool operator()(const PosCloseDay&) const { return true; }
  bool operator()(const PosFees&) const { return true; }
  bool operator()(const PosCashOut& c) const { return Fits(c.cashout_id, kPosIdLengthMax); }
  bool operator()(const PosSupplierPayment& s) const { return Fits(s.payment_id, kPosIdLengthMax); }
  bool operator()(const RegisterKey& k) const {
    return Fits(k.key_id, kTerminalIdLengthMax) && Fits(k.public_key, kEd25519PublicKeyBytes) &&
           Fits(k.by_terminal, kTerminalIdLengthMax);
  }
  bool operator()(const WalletSend&) const { return true; }
  bool operator()(const RegisterCard& c) const {
    return Fits(c.card, kCardNumberLengthMax) && Fits(c.pin_salt, kPinSaltBytes) && Fits(c.pin_proof, kPinProofBytes);
  }
  bool operator()(const SetHealthProgram&) const { return true; }
  bool operator()(const RegisterDevice& r) const {
    return Fits(r.device_id, kDeviceIdLengthMax) && Fits(r.public_key, kEd25519PublicKeyBytes);
  }
  bool operator()(const SetConsent&) const { return true; }
  bool operator()(const StepReport& r) const {
    return Fits(r.device_id, kDeviceIdLengthMax) && Fits(r.signature, kEd25519SignatureBytes) &&
           Fits(r.salt, kStepSaltBytes) && Fits(r.commitment, kStepCommitmentBytes);
  }
  bool operator()(const ExchangePoints& x) const { return Fits(x.exchange_id, kPosIdLengthMax); }
  bool operator()(const EraseStepData&) const { return true; }
  bool operator()(const SetWatchOver&) const { return true; }
  bool operator()(const AckAlert&) const { return true; }
  bool operator()(const SetTaskRules&) const { return true; }
  bool operator()(const PostTask& t) const {
    return Fits(t.task_id, kPosIdLengthMax) && Fits(t.title, kTaskTitleBytesMax) &&
           Fits(t.host_key, kEd25519PublicKeyBytes) && Fits(t.wage_reference, kWageReferenceBytesMax);
  }
  bool operator()(const ApplyTask& a) const { return Fits(a.task_id, kPosIdLengthMax); }
  bool operator()(const DecideApplication& a) const { return Fits(a.task_id, kPosIdLengthMax); }
  bool operator()(const CancelSlots& c) const { return Fits(c.task_id, kPosIdLengthMax); }
  bool operator()(const CheckIn& c) const {
    return Fits(c.task_id, kPosIdLengthMax) && Fits(c.host_signature, kEd25519SignatureBytes);
  }
  bool operator()(const ConfirmDay& c) const { return Fits(c.task_id, kPosIdLengthMax); }
  bool operator()(const CreateCampaign& c) const {
    return Fits(c.name, kCampaignNameBytesMax) && Fits(c.category, kCategoryBytesMax);
  }
  bool operator()(const CloseCampaign&) const { return true; }
  bool operator()(const LinkAccount&) const { return true; }
  bool operator()(const PosMpmOrder& o) const {
    return Fits(o.payment_id, kPosIdLengthMax) && Fits(o.terminal, kTerminalIdLengthMax);
  }
  bool operator()(const SetMerchantProfile&) const { return true; }
  bool operator()(const RevokeKey& k) const {
    return Fits(k.key_id, kTerminalIdLengthMax) && Fits(k.by_terminal, kTerminalIdLengthMax);
  }
  bool operator()(const GrantSubsidy& g) const { return Fits(g.category, kCategoryBytesMax); }
  bool operator()(const UnlockCard& u) const {
    return Fits(u.card, kCardNumberLengthMax) && Fits(u.by, kStaffIdLengthMax);
  }
  bool operator()(const ReissueCard& r) const {
    return Fits(r.card, kCardNumberLengthMax) && Fits(r.new_card, kCardNumberLengthMax) &&
           Fits(r.pin_salt, kPinSaltBytes) && Fits(r.pin_proof, kPinProofBytes) && Fits(r.by, kStaffIdLengthMax);
  }
};

}  // namespace

bool CommandWithinBounds(const Command& command) { return std::visit(WithinBounds{}, command); }

uint64_t* MutableRequestMs(Command* command) {
  return std::visit(
      [](auto& c) -> uint64_t* {
        if constexpr (requires { c.request_ms; }) {
          return &c.request_ms;
        } else {
          return nullptr;
        }
      },
      *command);
}

uint64_t RequestMs(const Command& command) {
  return std::visit(
      [](const auto& c) -> uint64_t {
        if constexpr (requires { c.request_ms; }) {
          return c.request_ms;
        } else {
          return 0;
        }
      },
      command);
}

namespace {

std::optional<Command> DecodeTaggedCommand(CommandTag tag, Decoder* d) {
  switch (tag) {
    case CommandTag::kRequestTime:
      return std::nullopt;  // At most one, before the command (DecodeUncheckedCommand).
    case CommandTag::kStepReport:
    case CommandTag::kStepReportJournal: {
      StepReport report;
      report.program = d->U32();
      report.resident = d->Id();
      report.device_id = d->Bytes();
      report.day = d->U32();
      report.nonce = d->U64();
      if (tag == CommandTag::kStepReportJournal) {
        report.commitment = d->Bytes();
      } else {
        report.steps = d->U32();
        report.signature = d->Bytes();
        report.salt = d->Bytes();
      }
      return report;
    }
    case CommandTag::kSetHealthProgram:
      return SetHealthProgram{DecodeHealthProgram(d)};
    case CommandTag::kRegisterDevice: {
      RegisterDevice device;
      device.resident = d->Id();
      device.device_id = d->Bytes();
      device.public_key = d->Bytes();
      device.revoke = d->U8() != 0;
      device.nonce = d->U64();
      return device;
    }
    case CommandTag::kSetConsent: {
      SetConsent consent;
      consent.resident = d->Id();
      consent.purpose = d->U8();
      consent.granted = d->U8() != 0;
      consent.nonce = d->U64();
      return consent;
    }
    case CommandTag::kExchangePoints: {
      ExchangePoints exchange;
      exchange.program = d->U32();
      exchange.resident = d->Id();
      exchange.coin_wallet = d->Id();
      exchange.points = d->I64();
      exchange.exchange_id = d->Bytes();
      exchange.nonce = d->U64();
      return exchange;
    }
    case CommandTag::kSetWatchOver:
      return DecodeWatchSettings(d);
    case CommandTag::kAckAlert: {
      AckAlert ack;
      ack.watcher = d->Id();
      ack.resident = d->Id();
      ack.alert = d->U32();
      ack.nonce = d->U64();
      return ack;
    }
    case CommandTag::kSetTaskRules: {
      SetTaskRules rules;
      rules.rules.weekly_hours_max = d->U32();
      rules.rules.monthly_max = d->I64();
      rules.rules.dispute_hours = d->U32();
      return rules;
    }
    case CommandTag::kPostTask:
      return DecodePostTask(d);
    case CommandTag::kApplyTask: {
      ApplyTask apply;
      apply.visitor = d->Id();
      apply.host = d->Id();
      apply.task_id = d->Bytes();
      apply.nonce = d->U64();
      return apply;
    }
    case CommandTag::kDecideApplication: {
      DecideApplication decide;
      decide.host = d->Id();
      decide.task_id = d->Bytes();
      decide.visitor = d->Id();
      decide.accept = d->U8() != 0;
      return decide;
    }
    case CommandTag::kCancelSlots:
    case CommandTag::kCancelSlotsWithNonce: {
      CancelSlots cancel_slots;
      cancel_slots.host = d->Id();
      cancel_slots.task_id = d->Bytes();
      cancel_slots.count = d->U32();
      if (tag == CommandTag::kCancelSlotsWithNonce) cancel_slots.nonce = d->U64();
      return cancel_slots;
    }
    case CommandTag::kCheckIn: {
      CheckIn check;
      check.visitor = d->Id();
      check.host = d->Id();
      check.task_id = d->Bytes();
      check.out = d->U8() != 0;
      check.host_signature = d->Bytes();
      check.nonce = d->U64();
      return check;
    }
    case CommandTag::kConfirmDay: {
      ConfirmDay confirm;
      confirm.host = d->Id();
      confirm.task_id = d->Bytes();
      confirm.visitor = d->Id();
      confirm.day = d->U32();
      confirm.action = static_cast<DayAction>(d->U8());
      return confirm;
    }
    case CommandTag::kCreateCampaign:
      return DecodeCreateCampaign(d);
    case CommandTag::kCloseCampaign:
      return CloseCampaign{d->U32()};
    case CommandTag::kLinkAccount: {
      LinkAccount link;
      link.wallet = d->Id();
      link.linked = d->Id();
      return link;
    }
    case CommandTag::kPosMpmOrder: {
      PosMpmOrder order;
      order.merchant = d->Id();
      order.payment_id = d->Bytes();
      order.amount = d->I64();
      order.terminal = d->Bytes();
      order.lifetime_seconds = d->U32();
      return order;
    }
    case CommandTag::kSetMerchantProfile: {
      SetMerchantProfile profile;
      profile.merchant = d->Id();
      profile.chamber_member = d->U8() != 0;
      const uint32_t n = d->U32();
      if (n > kProfileAccountsMax) return std::nullopt;
      for (uint32_t i = 0; i < n; ++i) profile.accepts.push_back(d->Id());
      return profile;
    }
    case CommandTag::kEraseStepData: {
      EraseStepData erase;
      erase.resident = d->Id();
      erase.nonce = d->U64();
      return erase;
    }
    case CommandTag::kAsset: {
      Asset asset;
      asset.id = d->U32();
      asset.code = d->Bytes();
      asset.scale = d->U32();
      asset.expiry_seconds = d->I64();
      asset.expiry_granularity_seconds = d->I64();
      asset.breakage_account = d->Id();
      return asset;
    }
    case CommandTag::kAccount: {
      Account account;
      account.id = d->Id();
      account.asset = d->U32();
      account.kind = static_cast<AccountKind>(d->U8());
      account.flags = d->U32();
      account.user_data = d->U64();
      account.category = d->Bytes();
      return account;
    }
    case CommandTag::kCloseAccount:
      return CloseAccount{d->Id()};
    case CommandTag::kTransfer:
      return DecodeTransferRequest(d);
    case CommandTag::kPosPayment:
    case CommandTag::kPosPaymentWithAttempt: {
      PosPayment payment;
      payment.merchant = d->Id();
      payment.payment_id = d->Bytes();
      payment.payer = d->Id();
      payment.amount = d->I64();
      payment.terminal = d->Bytes();
      payment.cpm = d->Bytes();
      payment.wallet_nonce = d->U64();
      payment.card = d->Bytes();
      payment.pin_proof = d->Bytes();
      payment.staff = d->Bytes();
      if (tag == CommandTag::kPosPaymentWithAttempt) payment.attempt = d->U64();
      return payment;
    }
    case CommandTag::kPosRefund: {
      PosRefund refund;
      refund.merchant = d->Id();
      refund.payment_id = d->Bytes();
      refund.refund_id = d->Bytes();
      refund.amount = d->I64();
      return refund;
    }
    case CommandTag::kPosCancel: {
      PosCancel cancel;
      cancel.merchant = d->Id();
      cancel.payment_id = d->Bytes();
      return cancel;
    }
    case CommandTag::kPosCloseDay: {
      PosCloseDay close_day;
      close_day.merchant = d->Id();
      close_day.business_day = d->U32();
      return close_day;
    }
    case CommandTag::kPosFees: {
      PosFees fees;
      fees.asset = d->U32();
      fees.issuer = d->Id();
      fees.fee_account = d->Id();
      fees.cashout_bps = d->U32();
      fees.member_cashout_bps = d->U32();
      fees.supplier_bps = d->U32();
      return fees;
    }
    case CommandTag::kPosCashOut: {
      PosCashOut cashout;
      cashout.merchant = d->Id();
      cashout.cashout_id = d->Bytes();
      cashout.amount = d->I64();
      cashout.member = d->U8() != 0;
      return cashout;
    }
    case CommandTag::kRegisterCard: {
      RegisterCard card;
      card.card = d->Bytes();
      card.wallet = d->Id();
      card.pin_salt = d->Bytes();
      card.pin_proof = d->Bytes();
      card.attempts_max = d->U32();
      return card;
    }
    case CommandTag::kWalletSend: {
      WalletSend send;
      send.transfer = DecodeTransferRequest(d);
      send.nonce = d->U64();
      return send;
    }
    case CommandTag::kRegisterKey:
    case CommandTag::kRegisterKeyWithRole: {
      RegisterKey key;
      key.account = d->Id();
      key.key_id = d->Bytes();
      key.public_key = d->Bytes();
      if (tag == CommandTag::kRegisterKeyWithRole) {
        key.manager = d->U8() != 0;
        key.by_terminal = d->Bytes();
      }
      return key;
    }
    case CommandTag::kRevokeKey: {
      RevokeKey revoke;
      revoke.account = d->Id();
      revoke.key_id = d->Bytes();
      revoke.by_terminal = d->Bytes();
      return revoke;
    }
    case CommandTag::kGrantSubsidy:
      return DecodeGrantSubsidy(d);
    case CommandTag::kUnlockCard: {
      UnlockCard unlock;
      unlock.card = d->Bytes();
      unlock.by = d->Bytes();
      return unlock;
    }
    case CommandTag::kReissueCard: {
      ReissueCard reissue;
      reissue.card = d->Bytes();
      reissue.new_card = d->Bytes();
      reissue.pin_salt = d->Bytes();
      reissue.pin_proof = d->Bytes();
      reissue.by = d->Bytes();
      return reissue;
    }
    case CommandTag::kPosSupplierPayment: {
      PosSupplierPayment supplier;
      supplier.payer = d->Id();
      supplier.payment_id = d->Bytes();
      supplier.supplier = d->Id();
      supplier.amount = d->I64();
      return supplier;
    }
  }
  return std::nullopt;
}

std::optional<Command> DecodeUncheckedCommand(Decoder* d) {
  const auto tag = static_cast<CommandTag>(d->U8());
  if (tag != CommandTag::kRequestTime) return DecodeTaggedCommand(tag, d);
  const uint64_t request_ms = d->U64();
  std::optional<Command> command = DecodeTaggedCommand(static_cast<CommandTag>(d->U8()), d);
  uint64_t* field = command ? MutableRequestMs(&*command) : nullptr;
  // Only a command that spends a request nonce has one, and 0 is written as no prefix at all.
  if (field == nullptr || request_ms == 0) return std::nullopt;
  *field = request_ms;
  return command;
}

// bounds: kChecked for a batch about to be applied (the replicated log): a command holding a string
// longer than its bound in limits.h is refused, so a replica never applies what no service would have let
// through. kAsStored for the journal: entries are history, hashed and chained, and must stay readable
// even if an earlier version journaled an oversize command.
enum class Bounds : uint8_t { kChecked, kAsStored };
std::optional<Command> DecodeCommand(Decoder* d, Bounds bounds) {
  std::optional<Command> command = DecodeUncheckedCommand(d);
  if (command && bounds == Bounds::kChecked && !std::visit(WithinBounds{}, *command)) return std::nullopt;
  return command;
}

// The movement of a transfer that moved exactly what its command says (nearly all of them): the asset
// alone (marker 2) instead of asset, debit, credit and amount (marker 1): 40 bytes less per transfer in
// every journal entry.
const Transfer* MovedAsCommanded(const Outcome& outcome, const Command& command) {
  const Transfer* transfer = std::get_if<Transfer>(&command);
  if (transfer == nullptr || transfer->debit_account_id != outcome.debit_account_id ||
      transfer->credit_account_id != outcome.credit_account_id || transfer->amount != outcome.amount) {
    return nullptr;
  }
  return transfer;
}

void EncodeOutcome(const Outcome& outcome, const Command& command, Encoder* e) {
  e->U8(static_cast<uint8_t>(outcome.result));
  e->U8(outcome.duplicate ? 1 : 0);
  e->U64(outcome.timestamp);
  if (outcome.asset == 0) {
    e->U8(0);
    return;
  }
  if (MovedAsCommanded(outcome, command) != nullptr) {
    e->U8(2);
    e->U32(outcome.asset);
    return;
  }
  e->U8(1);
  e->U32(outcome.asset);
  e->Id(outcome.debit_account_id);
  e->Id(outcome.credit_account_id);
  e->I64(outcome.amount);
}

std::optional<Outcome> DecodeOutcome(const Command& command, Decoder* d) {
  Outcome outcome;
  outcome.result = static_cast<Result>(d->U8());
  outcome.duplicate = d->U8() != 0;
  outcome.timestamp = d->U64();
  const uint8_t moved = d->U8();
  if (moved == 0) return outcome;
  outcome.asset = d->U32();
  if (moved == 2) {
    const Transfer* transfer = std::get_if<Transfer>(&command);
    if (transfer == nullptr) return std::nullopt;
    outcome.debit_account_id = transfer->debit_account_id;
    outcome.credit_account_id = transfer->credit_account_id;
    outcome.amount = transfer->amount;
    return outcome;
  }
  if (moved != 1) return std::nullopt;
  outcome.debit_account_id = d->Id();
  outcome.credit_account_id = d->Id();
  outcome.amount = d->I64();
  return outcome;
}

}  // namespace

std::string EncodeBatch(const Batch& batch) {
  std::string out;
  out.reserve(16 + batch.request_sizes.size() * 4 + batch.commands.size() * 128);
  Encoder e(&out);
  e.U8(kBatchVersion);
  e.U32(static_cast<uint32_t>(batch.request_sizes.size()));
  for (uint32_t size : batch.request_sizes) e.U32(size);
  e.U32(static_cast<uint32_t>(batch.commands.size()));
  for (const Command& command : batch.commands) EncodeCommand(command, &e, /*journal=*/false);
  return out;
}

std::optional<Batch> DecodeBatch(std::string_view bytes) {
  Decoder d(bytes);
  if (d.U8() != kBatchVersion) return std::nullopt;
  Batch batch;
  const uint32_t request_count = d.U32();
  if (!d.ok() || request_count > d.remaining() / 4) return std::nullopt;
  batch.request_sizes.resize(request_count);
  for (uint32_t& size : batch.request_sizes) size = d.U32();
  const uint32_t command_count = d.U32();
  if (!d.ok() || command_count > d.remaining()) return std::nullopt;
  batch.commands.reserve(command_count);
  for (uint32_t i = 0; i < command_count; ++i) {
    std::optional<Command> command = DecodeCommand(&d, Bounds::kChecked);
    if (!command || !d.ok()) return std::nullopt;
    batch.commands.push_back(std::move(*command));
  }
  if (!d.done()) return std::nullopt;
  return batch;
}

std::string EncodeJournalEntry(const JournalEntry& entry) {
  std::string out;
  out.reserve(64 + entry.commands.size() * 160 + entry.system_events.size() * 80);
  Encoder e(&out);
  e.U8(kEntryVersion);
  e.U64(entry.index);
  e.U64(entry.batch_timestamp);
  e.U64(entry.last_timestamp);
  e.Bytes(entry.previous_hash);
  e.U32(static_cast<uint32_t>(entry.system_events.size()));
  for (const SystemEvent& event : entry.system_events) {
    e.U8(static_cast<uint8_t>(event.type));
    e.Id(event.id);
    e.Id(event.debit_account_id);
    e.Id(event.credit_account_id);
    e.U32(event.asset);
    e.I64(event.amount);
    e.U64(event.timestamp);
  }
  e.U32(static_cast<uint32_t>(entry.request_sizes.size()));
  for (uint32_t size : entry.request_sizes) e.U32(size);
  e.U32(static_cast<uint32_t>(entry.commands.size()));
  for (size_t i = 0; i < entry.commands.size(); ++i) {
    EncodeCommand(entry.commands[i], &e, /*journal=*/true);
    EncodeOutcome(entry.outcomes[i], entry.commands[i], &e);
  }
  out += Blake2b256(out);
  return out;
}

std::optional<JournalEntry> DecodeJournalEntry(std::string_view bytes) {
  if (bytes.size() < kHashBytes) return std::nullopt;
  Decoder d(bytes.substr(0, bytes.size() - kHashBytes));
  if (d.U8() != kEntryVersion) return std::nullopt;
  JournalEntry entry;
  entry.index = d.U64();
  entry.batch_timestamp = d.U64();
  entry.last_timestamp = d.U64();
  entry.previous_hash = d.Bytes();
  const uint32_t event_count = d.U32();
  if (!d.ok() || event_count > d.remaining()) return std::nullopt;
  entry.system_events.resize(event_count);
  for (SystemEvent& event : entry.system_events) {
    event.type = static_cast<SystemEventType>(d.U8());
    event.id = d.Id();
    event.debit_account_id = d.Id();
    event.credit_account_id = d.Id();
    event.asset = d.U32();
    event.amount = d.I64();
    event.timestamp = d.U64();
  }
  const uint32_t request_count = d.U32();
  if (!d.ok() || request_count > d.remaining() / 4) return std::nullopt;
  entry.request_sizes.resize(request_count);
  for (uint32_t& size : entry.request_sizes) size = d.U32();
  const uint32_t command_count = d.U32();
  if (!d.ok() || command_count > d.remaining()) return std::nullopt;
  entry.commands.reserve(command_count);
  entry.outcomes.reserve(command_count);
  for (uint32_t i = 0; i < command_count; ++i) {
    std::optional<Command> command = DecodeCommand(&d, Bounds::kAsStored);
    if (!command || !d.ok()) return std::nullopt;
    std::optional<Outcome> outcome = DecodeOutcome(*command, &d);
    if (!outcome) return std::nullopt;
    entry.commands.push_back(std::move(*command));
    entry.outcomes.push_back(*outcome);
  }
  if (!d.done()) return std::nullopt;
  return entry;
}

std::string_view StoredEntryHash(std::string_view bytes) {
  if (bytes.size() < kHashBytes) return {};
  return bytes.substr(bytes.size() - kHashBytes);
}

bool EntryHashMatches(std::string_view bytes) {
  if (bytes.size() < kHashBytes) return false;
  return Blake2b256(bytes.substr(0, bytes.size() - kHashBytes)) == StoredEntryHash(bytes);
}

std::string EncodeHead(const JournalHead& head) {
  std::string out;
  Encoder e(&out);
  e.U8(kHeadVersion);
  e.U64(head.index);
  e.Bytes(head.hash);
  e.U64(head.clock);
  return out;
}

std::optional<JournalHead> DecodeHead(std::string_view bytes) {
  Decoder d(bytes);
  if (d.U8() != kHeadVersion) return std::nullopt;
  JournalHead head;
  head.index = d.U64();
  head.hash = d.Bytes();
  head.clock = d.U64();
  if (!d.done() || head.hash.size() != kHashBytes) return std::nullopt;
  return head;
}

JournalHead ReadHead(const KvReader& state) {
  std::string bytes;
  if (!state.Get(keys::Head(), &bytes)) return JournalHead{};
  std::optional<JournalHead> head = DecodeHead(bytes);
  if (!head) {
    // The head is written only by the core; an undecodable head means the store is corrupt.
    fprintf(stderr, "FATAL: journal head record is corrupt\n");
    abort();
  }
  return *head;
}

VerifyReport VerifyJournal(const KvReader& state, const std::function<void(uint64_t)>& progress) {
  VerifyReport report;
  const JournalHead head = ReadHead(state);
  std::string previous_hash(kHashBytes, '\0');
  uint64_t expected_index = 1;
  auto fail = [&](uint64_t index, std::string problem) {
    report.ok = false;
    report.first_bad_index = index;
    report.problem = std::move(problem);
    return false;
  };
  state.Scan(keys::Journal(1), std::string(1, keys::kJournal + 1), /*reverse=*/false,
             [&](std::string_view key, std::string_view value) {
               const uint64_t index = keys::DecodeJournal(key);
               if (index != expected_index) {
                 return fail(expected_index, absl::StrCat("entry ", expected_index, " is missing"));
               }
               if (!EntryHashMatches(value)) {
                 return fail(index, absl::StrCat("entry ", index, ": stored hash does not match its bytes"));
               }
               std::optional<JournalEntry> entry = DecodeJournalEntry(value);
               if (!entry) return fail(index, absl::StrCat("entry ", index, ": undecodable"));
               if (entry->index != index) {
                 return fail(index, absl::StrCat("entry ", index, ": carries index ", entry->index));
               }
               if (entry->previous_hash != previous_hash) {
                 return fail(index, absl::StrCat("entry ", index,
                                                 ": previous-hash link does not match entry ", index - 1));
               }
               previous_hash = std::string(StoredEntryHash(value));
               report.entries_checked = index;
               ++expected_index;
               if (progress && index % kVerifyProgressEvery == 0) progress(index);
               return true;
             });
  if (!report.ok) return report;
  if (report.entries_checked != head.index) {
    fail(report.entries_checked + 1,
         absl::StrCat("journal ends at ", report.entries_checked, " but the head says ", head.index));
  } else if (head.index > 0 && head.hash != previous_hash) {
    fail(head.index, absl::StrCat("head hash does not match entry ", head.index));
  }
  return report;
}

}  // namespace ledger
