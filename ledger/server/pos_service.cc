// The Pos gRPC service: see pos_service.h.
#include "ledger/server/pos_service.h"

#include <sodium.h>

#include <algorithm>
#include <chrono>

#include "absl/strings/str_cat.h"
#include "formats/emvco.h"
#include "formats/pos_auth.h"
#include "formats/qr.h"
#include "ledger/core/keys.h"
#include "ledger/core/kv.h"
#include "ledger/core/limits.h"
#include "ledger/core/pos.h"
#include "ledger/core/query.h"
#include "ledger/core/tasks.h"
#include "ledger/server/field_bounds.h"
#include "ledger/server/status_util.h"

namespace merchant {
namespace {

using ledger::AccountId;
using ledger::Result;
namespace v1 = ledger::v1;

const char* StateName(ledger::PaymentState state) {
  switch (state) {
    case ledger::PaymentState::kCaptured:
      return "captured";
    case ledger::PaymentState::kCancelled:
      return "cancelled";
    default:
      return "refused";
  }
}

void TotalsToProto(const ledger::DayReport& report, const std::string& terminal,
                   const ledger::DayTotals& t, v1::PosDayTotals* out) {
  out->set_asset(report.asset);
  out->set_account_id(report.merchant.ToBytes());
  out->set_terminal_id(terminal);
  out->set_payments(t.payments);
  out->set_gross(t.gross);
  out->set_cancels(t.cancels);
  out->set_cancelled(t.cancelled);
  out->set_refunded(t.refunded);
  out->set_net(t.net());
}

// Fields checked before anything reaches the ledger, so that a malformed request decides nothing
// (no id, code or nonce used up) and says which field is wrong.
grpc::Status CheckId(const std::string& id, const char* field) {
  if (ledger::ValidPosId(id)) return grpc::Status::OK;
  return grpc::Status(
      grpc::StatusCode::INVALID_ARGUMENT,
      absl::StrCat(field, ": 1 to ", ledger::kPosIdLengthMax, " printable ASCII characters"));
}

grpc::Status CheckAmount(int64_t amount, int64_t max, const char* field = "amount") {
  if (amount > 0 && amount <= max) return grpc::Status::OK;
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                      absl::StrCat(field, ": ", amount, " is outside 1..", max));
}

grpc::Status CheckTerminalId(const std::string& id) {
  if (ledger::ValidTerminalId(id)) return grpc::Status::OK;
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                      absl::StrCat("terminal_id: 1 to ", ledger::kTerminalIdLengthMax,
                                   " printable ASCII characters"));
}

grpc::Status NotAManager(const std::string& terminal) {
  return grpc::Status(
      grpc::StatusCode::PERMISSION_DENIED,
      absl::StrCat("terminal ", terminal, " is not a manager terminal of this merchant"));
}

}  // namespace

template <typename Body>
grpc::Status PosService::Authenticate(const char* method, const SignedRequest& in, Body* body,
                                      AccountId* merchant, ledger::KeyRecord* signer) {
  // Every field's length first (ledger/server/field_bounds.h): cheap, and it keeps a long body from
  // being hashed for the signature check.
  if (absl::Status bounded = ledger::CheckFieldBounds(in); !bounded.ok())
    return ledger::ToGrpcStatus(bounded);
  std::optional<AccountId> id = ledger::Id128::FromBytes(in.merchant_id());
  if (!id || id->IsZero()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "merchant_id: must be 16 bytes, not zero");
  }
  if (in.terminal_id().empty())
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "terminal_id: required");
  if (absl::Status readable = node_->ReadBarrier(); !readable.ok())
    return ledger::ToGrpcStatus(readable);
  std::optional<ledger::KeyRecord> key = ledger::LookupKey(node_->state(), *id, in.terminal_id());
  if (!key) {
    return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                        absl::StrCat("terminal ", in.terminal_id(), " of merchant ", id->ToHex(),
                                     " is not registered"));
  }
  if (!key->active()) {
    return grpc::Status(
        grpc::StatusCode::PERMISSION_DENIED,
        absl::StrCat("terminal ", in.terminal_id(), " of merchant ", id->ToHex(), " was revoked"));
  }
  const std::string signed_bytes =
      PosSignedBytes(method, in.merchant_id(), in.terminal_id(), in.timestamp_ms(), in.body());
  if (crypto_sign_verify_detached(
          reinterpret_cast<const unsigned char*>(in.signature().data()),
          reinterpret_cast<const unsigned char*>(signed_bytes.data()), signed_bytes.size(),
          reinterpret_cast<const unsigned char*>(key->public_key.data())) != 0) {
    return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                        "signature mismatch (not this terminal's key, or altered)");
  }
  const uint64_t now_ms = clock_->NowNanos() / 1'000'000;
  const uint64_t skew =
      now_ms > in.timestamp_ms() ? now_ms - in.timestamp_ms() : in.timestamp_ms() - now_ms;
  if (skew > kRequestWindowMs) {
    return grpc::Status(
        grpc::StatusCode::FAILED_PRECONDITION,
        absl::StrCat("timestamp_ms: ", skew / 1000, " s off the ledger's clock (window ",
                     kRequestWindowMs / 1000, " s)"));
  }
  // Limited only once the request is the terminal's own (registered key, good signature, fresh):
  // nobody else can spend a terminal's allowance, and unknown ids cannot grow the buckets.
  if (!limiter_.Take(in.merchant_id() + in.terminal_id(), clock_->NowNanos())) {
    return grpc::Status(
        grpc::StatusCode::RESOURCE_EXHAUSTED,
        absl::StrCat("terminal ", in.terminal_id(), ": more than ", limiter_.requests_per_second(),
                     " requests per second; slow down"));
  }
  if (!body->ParseFromString(in.body())) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        absl::StrCat("body: not a ", Body::descriptor()->name(), " message"));
  }
  if (absl::Status bounded = ledger::CheckFieldBounds(*body); !bounded.ok())
    return ledger::ToGrpcStatus(bounded);
  *merchant = *id;
  if (signer != nullptr) *signer = std::move(*key);
  return grpc::Status::OK;
}

// The core keeps a card's wrong-PIN attempts for twice the window this service enforces.
static_assert(kRequestWindowMs == ledger::kSignedRequestWindowMs,
              "one request window for the service and the core");

// The nonce of a terminal request that is not idempotent by its body: see PosRequestNonce.
uint64_t RequestNonce(const char* method, const ledger::v1::SignedRequest& in) {
  return PosRequestNonce(
      PosSignedBytes(method, in.merchant_id(), in.terminal_id(), in.timestamp_ms(), in.body()));
}

grpc::Status PosService::Submit(ledger::Command command, PosReply* reply) {
  std::vector<ledger::Command> commands;
  commands.push_back(std::move(command));
  absl::StatusOr<ledger::SubmitResult> result = node_->Submit(std::move(commands));
  if (!result.ok()) return ledger::ToGrpcStatus(result.status());
  const ledger::Outcome& outcome = result->outcomes.at(0);
  reply->set_result(static_cast<v1::Result>(outcome.result));
  reply->set_duplicate(outcome.duplicate);
  reply->set_timestamp(outcome.timestamp);
  reply->set_journal_index(result->journal_index);
  return grpc::Status::OK;
}

void PosService::FillPayment(const AccountId& merchant, const std::string& payment_id,
                             PosReply* reply) {
  std::optional<ledger::PaymentRecord> record =
      ledger::LookupPayment(node_->state(), merchant, payment_id);
  if (!record) {
    // A registered MPM code nobody has paid yet.
    std::optional<ledger::MpmOrderRecord> order =
        ledger::LookupMpmOrder(node_->state(), merchant, payment_id);
    if (!order) return;
    v1::PosPayment* out = reply->mutable_payment();
    out->set_payment_id(payment_id);
    out->set_amount(order->request.amount);
    out->set_asset(order->asset);
    out->set_terminal_id(order->request.terminal);
    out->set_timestamp(order->timestamp);
    out->set_result(v1::OK);
    out->set_state(clock_->NowNanos() < order->expires_at ? "awaiting" : "expired");
    reply->set_expires_at(order->expires_at);
    return;
  }
  v1::PosPayment* out = reply->mutable_payment();
  out->set_payment_id(record->request.payment_id);
  out->set_payer_account_id(record->request.payer.ToBytes());
  out->set_amount(record->request.amount);
  out->set_terminal_id(record->request.terminal);
  out->set_timestamp(record->timestamp);
  out->set_business_day(record->business_day);
  out->set_result(static_cast<v1::Result>(record->result));
  out->set_state(StateName(record->state));
  out->set_refunded(record->refunded);
  out->set_asset(record->asset);
  if (record->result == Result::kExceedsBalance) {
    if (std::optional<ledger::Account> payer =
            ledger::LookupAccount(node_->state(), record->request.payer)) {
      reply->set_available(payer->balance - payer->debits_pending);
    }
  }
}

grpc::Status PosService::CreatePayment(grpc::ServerContext*, const SignedRequest* in,
                                       PosReply* reply) {
  v1::CreatePaymentRequest body;
  AccountId merchant;
  if (grpc::Status auth = Authenticate("CreatePayment", *in, &body, &merchant); !auth.ok())
    return auth;
  if (body.cpm().empty())
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "cpm: the scanned code is required");
  if (grpc::Status bad = CheckId(body.payment_id(), "payment_id"); !bad.ok()) return bad;
  if (grpc::Status bad = CheckAmount(body.amount(), ledger::kAmountMax); !bad.ok()) return bad;
  ledger::PosPayment payment{merchant,      body.payment_id(), AccountId{},
                             body.amount(), in->terminal_id(), body.cpm()};
  payment.request_ms =
      in->timestamp_ms();  // The core forgets the code's nonce once the code has expired.
  grpc::Status status = Submit(std::move(payment), reply);
  if (status.ok()) FillPayment(merchant, body.payment_id(), reply);
  return status;
}

grpc::Status PosService::CreateMpm(grpc::ServerContext*, const SignedRequest* in, PosReply* reply) {
  v1::CreateMpmRequest body;
  AccountId merchant;
  if (grpc::Status auth = Authenticate("CreateMpm", *in, &body, &merchant); !auth.ok()) return auth;
  if (grpc::Status bad = CheckId(body.payment_id(), "payment_id"); !bad.ok()) return bad;
  if (grpc::Status bad = CheckAmount(body.amount(), kAmountMax); !bad.ok()) return bad;
  if (body.lifetime_seconds() > ledger::kMpmLifetimeSecondsMax) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        absl::StrCat("lifetime_seconds: ", body.lifetime_seconds(), " is over ",
                                     ledger::kMpmLifetimeSecondsMax, " (0 means ",
                                     ledger::kMpmLifetimeSecondsDefault, ")"));
  }
  std::optional<ledger::Account> account = ledger::LookupAccount(node_->state(), merchant);
  if (!account) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND,
                        absl::StrCat("merchant_id: no account ", merchant.ToHex()));
  }
  // The payload first: a name or city that does not fit fails here, before the ledger registers
  // anything.
  MpmPayload payload;
  payload.dynamic = true;
  payload.merchant_account = merchant.ToHex();
  payload.asset = account->asset;
  payload.payment_id = body.payment_id();
  payload.amount = body.amount();
  if (!body.merchant_category().empty()) payload.merchant_category = body.merchant_category();
  payload.merchant_name = body.merchant_name();
  payload.merchant_city = body.merchant_city();
  // The terminal's id when it fits the label field; the ledger holds the order's terminal either
  // way.
  if (in->terminal_id().size() <= kTerminalLabelLengthMax)
    payload.terminal_label = in->terminal_id();
  absl::StatusOr<std::string> text = BuildMpm(payload);
  if (!text.ok()) return ledger::ToGrpcStatus(text.status());
  absl::StatusOr<std::string> png = wallet::QrPng(*text);
  if (!png.ok()) return ledger::ToGrpcStatus(png.status());
  ledger::PosMpmOrder order;
  order.merchant = merchant;
  order.payment_id = body.payment_id();
  order.amount = body.amount();
  order.terminal = in->terminal_id();
  order.lifetime_seconds =
      body.lifetime_seconds() == 0 ? ledger::kMpmLifetimeSecondsDefault : body.lifetime_seconds();
  grpc::Status status = Submit(std::move(order), reply);
  if (!status.ok() || reply->result() != v1::OK) return status;
  reply->set_mpm_payload(*text);
  reply->set_mpm_qr_png(*std::move(png));
  FillPayment(merchant, body.payment_id(), reply);
  return status;
}

grpc::Status PosService::CardPayment(grpc::ServerContext*, const SignedRequest* in,
                                     PosReply* reply) {
  v1::CardPaymentRequest body;
  AccountId merchant;
  if (grpc::Status auth = Authenticate("CardPayment", *in, &body, &merchant); !auth.ok())
    return auth;
  if (body.staff_id().empty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "staff_id: required (who operated the card)");
  }
  if (grpc::Status bad = CheckId(body.payment_id(), "payment_id"); !bad.ok()) return bad;
  if (grpc::Status bad = CheckAmount(body.amount(), ledger::kAmountMax); !bad.ok()) return bad;
  ledger::PosPayment payment{merchant,      body.payment_id(), AccountId{},
                             body.amount(), in->terminal_id(), ""};
  payment.card = body.card_number();
  payment.staff = body.staff_id();
  payment.attempt = RequestNonce("CardPayment", *in);
  // The proof with the card's salt; an unknown card gets an empty proof and the core says
  // CARD_NOT_FOUND.
  if (std::optional<ledger::CardRecord> card =
          ledger::LookupCard(node_->state(), body.card_number())) {
    payment.pin_proof =
        ledger::PinProof(card->registration.pin_salt, body.card_number(), body.pin());
  }
  grpc::Status status = Submit(std::move(payment), reply);
  if (status.ok()) FillPayment(merchant, body.payment_id(), reply);
  return status;
}

grpc::Status PosService::GetPayment(grpc::ServerContext*, const SignedRequest* in,
                                    PosReply* reply) {
  v1::PaymentIdRequest body;
  AccountId merchant;
  if (grpc::Status auth = Authenticate("GetPayment", *in, &body, &merchant); !auth.ok())
    return auth;
  if (grpc::Status bad = CheckId(body.payment_id(), "payment_id"); !bad.ok()) return bad;
  FillPayment(merchant, body.payment_id(), reply);
  if (!reply->has_payment()) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND,
                        absl::StrCat("payment_id: no payment \"", body.payment_id(), "\""));
  }
  reply->set_result(reply->payment().result());
  return grpc::Status::OK;
}

namespace {

// Whether a payment's state can no longer change: cancelled, refused, an unpaid code that expired,
// or captured and refunded in full.
bool Final(const v1::PosPayment& payment) {
  return payment.state() == "cancelled" || payment.state() == "refused" ||
         payment.state() == "expired" ||
         (payment.state() == "captured" && payment.refunded() >= payment.amount());
}

}  // namespace

grpc::Status PosService::WatchPayment(grpc::ServerContext* context, const SignedRequest* in,
                                      grpc::ServerWriter<PosReply>* writer) {
  v1::PaymentIdRequest body;
  AccountId merchant;
  if (grpc::Status auth = Authenticate("WatchPayment", *in, &body, &merchant); !auth.ok())
    return auth;
  if (grpc::Status bad = CheckId(body.payment_id(), "payment_id"); !bad.ok()) return bad;
  const ledger::StreamSlots::Slot slot = watches_.Take(in->merchant_id() + in->terminal_id());
  if (slot.refusal() == ledger::StreamSlots::Refusal::kPerKey) {
    return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                        absl::StrCat("terminal ", in->terminal_id(), ": at most ",
                                     ledger::kPaymentWatchesPerTerminalMax,
                                     " open WatchPayment streams (kPaymentWatchesPerTerminalMax)"));
  }
  if (slot.refusal() == ledger::StreamSlots::Refusal::kTotal) {
    return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                        absl::StrCat("this node serves at most ", ledger::kPaymentWatchesMax,
                                     " WatchPayment streams (kPaymentWatchesMax); retry later"));
  }
  const uint64_t end =
      clock_->NowNanos() + uint64_t{ledger::kPaymentWatchSecondsMax} * 1'000'000'000;
  uint64_t index = node_->committed_index();
  uint64_t expires = 0;  // An unpaid code's expiry: the state changes then with no commit.
  std::string shown;     // The reply last written.
  bool read = true;
  while (!context->IsCancelled()) {
    if (read) {
      PosReply reply;
      FillPayment(merchant, body.payment_id(), &reply);
      if (!reply.has_payment()) {
        return grpc::Status(grpc::StatusCode::NOT_FOUND,
                            absl::StrCat("payment_id: no payment \"", body.payment_id(), "\""));
      }
      reply.set_result(reply.payment().result());
      if (std::string bytes = reply.SerializeAsString(); bytes != shown) {
        if (!writer->Write(reply)) return grpc::Status::OK;  // The client went away.
        shown = std::move(bytes);
      }
      if (Final(reply.payment())) return grpc::Status::OK;
      expires = reply.payment().state() == "awaiting" ? reply.expires_at() : 0;
    }
    const uint64_t now = clock_->NowNanos();
    if (now >= end) return grpc::Status::OK;
    const uint64_t until = expires != 0 && expires < end ? expires : end;
    // At most a second, so that a cancelled call is noticed; a millisecond past the expiry.
    const auto wait = std::min<std::chrono::milliseconds>(
        std::chrono::seconds(1),
        std::chrono::milliseconds(until > now ? (until - now) / 1'000'000 + 1 : 1));
    const uint64_t next = node_->WaitForIndexAfter(index, wait);
    read = next != index || (expires != 0 && clock_->NowNanos() >= expires);
    index = next;
  }
  return grpc::Status::OK;
}

grpc::Status PosService::CancelPayment(grpc::ServerContext*, const SignedRequest* in,
                                       PosReply* reply) {
  v1::PaymentIdRequest body;
  AccountId merchant;
  if (grpc::Status auth = Authenticate("CancelPayment", *in, &body, &merchant); !auth.ok())
    return auth;
  if (grpc::Status bad = CheckId(body.payment_id(), "payment_id"); !bad.ok()) return bad;
  grpc::Status status = Submit(ledger::PosCancel{merchant, body.payment_id()}, reply);
  if (status.ok()) FillPayment(merchant, body.payment_id(), reply);
  return status;
}

grpc::Status PosService::RefundPayment(grpc::ServerContext*, const SignedRequest* in,
                                       PosReply* reply) {
  v1::RefundPaymentRequest body;
  AccountId merchant;
  if (grpc::Status auth = Authenticate("RefundPayment", *in, &body, &merchant); !auth.ok())
    return auth;
  if (grpc::Status bad = CheckId(body.payment_id(), "payment_id"); !bad.ok()) return bad;
  if (grpc::Status bad = CheckId(body.refund_id(), "refund_id"); !bad.ok()) return bad;
  if (grpc::Status bad = CheckAmount(body.amount(), ledger::kAmountMax); !bad.ok()) return bad;
  grpc::Status status = Submit(
      ledger::PosRefund{merchant, body.payment_id(), body.refund_id(), body.amount()}, reply);
  if (status.ok()) FillPayment(merchant, body.payment_id(), reply);
  return status;
}

grpc::Status PosService::CloseDay(grpc::ServerContext*, const SignedRequest* in, PosReply* reply) {
  v1::CloseDayRequest body;
  AccountId merchant;
  if (grpc::Status auth = Authenticate("CloseDay", *in, &body, &merchant); !auth.ok()) return auth;
  grpc::Status status = Submit(ledger::PosCloseDay{merchant, body.business_day()}, reply);
  if (!status.ok()) return status;
  // The shop's own account first, then each account of another asset it accepts.
  std::vector<AccountId> accounts{merchant};
  if (std::optional<ledger::MerchantProfile> profile =
          ledger::LookupMerchantProfile(node_->state(), merchant)) {
    accounts.insert(accounts.end(), profile->profile.accepts.begin(),
                    profile->profile.accepts.end());
  }
  for (const AccountId& account : accounts) {
    std::optional<ledger::DayReport> report =
        ledger::LookupDayReport(node_->state(), account, body.business_day());
    if (!report) continue;
    TotalsToProto(*report, "", report->total, reply->add_day());
    for (const auto& [terminal, totals] : report->by_terminal)
      TotalsToProto(*report, terminal, totals, reply->add_day());
  }
  return status;
}

grpc::Status PosService::CashOut(grpc::ServerContext*, const SignedRequest* in, PosReply* reply) {
  v1::CashOutRequest body;
  AccountId merchant;
  if (grpc::Status auth = Authenticate("CashOut", *in, &body, &merchant); !auth.ok()) return auth;
  if (grpc::Status bad = CheckId(body.cashout_id(), "cashout_id"); !bad.ok()) return bad;
  if (grpc::Status bad = CheckAmount(body.amount(), ledger::kAmountMax); !bad.ok()) return bad;
  grpc::Status status =
      Submit(ledger::PosCashOut{merchant, body.cashout_id(), body.amount(), body.member()}, reply);
  std::string bytes;
  if (status.ok() &&
      node_->state().Get(ledger::keys::CashOut(merchant, body.cashout_id()), &bytes)) {
    if (std::optional<ledger::FeeRecord> record = ledger::DecodeFeeRecord(bytes))
      reply->set_fee(record->fee);
  }
  return status;
}

grpc::Status PosService::PaySupplier(grpc::ServerContext*, const SignedRequest* in,
                                     PosReply* reply) {
  v1::SupplierPaymentRequest body;
  AccountId merchant;
  if (grpc::Status auth = Authenticate("PaySupplier", *in, &body, &merchant); !auth.ok())
    return auth;
  if (grpc::Status bad = CheckId(body.payment_id(), "payment_id"); !bad.ok()) return bad;
  if (grpc::Status bad = CheckAmount(body.amount(), ledger::kAmountMax); !bad.ok()) return bad;
  std::optional<AccountId> supplier = ledger::Id128::FromBytes(body.supplier_account_id());
  if (!supplier)
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "supplier_account_id: must be 16 bytes");
  grpc::Status status = Submit(
      ledger::PosSupplierPayment{merchant, body.payment_id(), *supplier, body.amount()}, reply);
  std::string bytes;
  if (status.ok() &&
      node_->state().Get(ledger::keys::SupplierPayment(merchant, body.payment_id()), &bytes)) {
    if (std::optional<ledger::FeeRecord> record = ledger::DecodeFeeRecord(bytes))
      reply->set_fee(record->fee);
  }
  return status;
}

// ----- tasks, the host's side -----

grpc::Status PosService::PostTask(grpc::ServerContext*, const SignedRequest* in, PosReply* reply) {
  v1::PostTaskRequest body;
  AccountId merchant;
  if (grpc::Status auth = Authenticate("PostTask", *in, &body, &merchant); !auth.ok()) return auth;
  std::optional<AccountId> escrow = ledger::Id128::FromBytes(body.escrow_account_id());
  if (!escrow || escrow->IsZero()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "escrow_account_id: must be 16 bytes, not zero");
  }
  std::optional<AccountId> subsidy = body.subsidy_account_id().empty()
                                         ? AccountId{}
                                         : ledger::Id128::FromBytes(body.subsidy_account_id());
  if (!subsidy)
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "subsidy_account_id: 16 bytes or empty");
  ledger::PostTask task;
  task.host = merchant;
  task.task_id = body.task_id();
  task.title = body.title();
  task.first_day = body.first_day();
  task.last_day = body.last_day();
  task.slots = body.slots();
  task.per_day = body.per_day();
  task.escrow = *escrow;
  task.subsidy = *subsidy;
  task.subsidy_percent = body.subsidy_percent();
  task.hours_per_day = body.hours_per_day();
  task.host_key = body.host_key();
  task.wage_reference = body.wage_reference();
  grpc::Status status = Submit(std::move(task), reply);
  if (status.ok() && reply->result() == v1::EXCEEDS_BALANCE) {
    if (std::optional<ledger::Account> host = ledger::LookupAccount(node_->state(), merchant)) {
      reply->set_available(host->balance - host->debits_pending);
    }
  }
  return status;
}

grpc::Status PosService::DecideApplication(grpc::ServerContext*, const SignedRequest* in,
                                           PosReply* reply) {
  v1::DecideApplicationRequest body;
  AccountId merchant;
  if (grpc::Status auth = Authenticate("DecideApplication", *in, &body, &merchant); !auth.ok())
    return auth;
  std::optional<AccountId> visitor = ledger::Id128::FromBytes(body.visitor_account_id());
  if (!visitor)
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "visitor_account_id: must be 16 bytes");
  return Submit(ledger::DecideApplication{merchant, body.task_id(), *visitor, body.accept()},
                reply);
}

grpc::Status PosService::CancelSlots(grpc::ServerContext*, const SignedRequest* in,
                                     PosReply* reply) {
  v1::CancelSlotsRequest body;
  AccountId merchant;
  if (grpc::Status auth = Authenticate("CancelSlots", *in, &body, &merchant); !auth.ok())
    return auth;
  return Submit(ledger::CancelSlots{merchant, body.task_id(), body.count(),
                                    RequestNonce("CancelSlots", *in), in->timestamp_ms()},
                reply);
}

grpc::Status PosService::ConfirmDay(grpc::ServerContext*, const SignedRequest* in,
                                    PosReply* reply) {
  v1::ConfirmDayRequest body;
  AccountId merchant;
  if (grpc::Status auth = Authenticate("ConfirmDay", *in, &body, &merchant); !auth.ok())
    return auth;
  std::optional<AccountId> visitor = ledger::Id128::FromBytes(body.visitor_account_id());
  if (!visitor)
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "visitor_account_id: must be 16 bytes");
  ledger::DayAction action = ledger::DayAction::kConfirm;
  if (body.action() == "dispute") {
    action = ledger::DayAction::kDispute;
  } else if (body.action() == "cancel") {
    action = ledger::DayAction::kCancel;
  } else if (!body.action().empty() && body.action() != "confirm") {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "action: confirm, dispute or cancel");
  }
  return Submit(ledger::ConfirmDay{merchant, body.task_id(), *visitor, body.day(), action}, reply);
}

// ----- the shop's own terminals, by a manager terminal -----

grpc::Status PosService::RegisterTerminal(grpc::ServerContext*, const SignedRequest* in,
                                          PosReply* reply) {
  v1::RegisterTerminalRequest body;
  AccountId merchant;
  ledger::KeyRecord signer;
  if (grpc::Status auth = Authenticate("RegisterTerminal", *in, &body, &merchant, &signer);
      !auth.ok())
    return auth;
  if (!signer.active_manager()) return NotAManager(in->terminal_id());
  if (grpc::Status bad = CheckTerminalId(body.terminal_id()); !bad.ok()) return bad;
  ledger::RegisterKey key{merchant, body.terminal_id(), body.public_key()};
  key.by_terminal = in->terminal_id();
  grpc::Status status = Submit(std::move(key), reply);
  // Revoked or demoted between the check above and the core's own: the core's answer stands.
  if (status.ok() && reply->result() == v1::NOT_A_MANAGER) return NotAManager(in->terminal_id());
  return status;
}

grpc::Status PosService::RevokeTerminal(grpc::ServerContext*, const SignedRequest* in,
                                        PosReply* reply) {
  v1::RevokeTerminalRequest body;
  AccountId merchant;
  ledger::KeyRecord signer;
  if (grpc::Status auth = Authenticate("RevokeTerminal", *in, &body, &merchant, &signer);
      !auth.ok())
    return auth;
  if (!signer.active_manager()) return NotAManager(in->terminal_id());
  if (grpc::Status bad = CheckTerminalId(body.terminal_id()); !bad.ok()) return bad;
  grpc::Status status =
      Submit(ledger::RevokeKey{merchant, body.terminal_id(), in->terminal_id()}, reply);
  if (status.ok() && reply->result() == v1::NOT_A_MANAGER) return NotAManager(in->terminal_id());
  return status;
}

}  // namespace merchant
