// Pay at the shop, end to end through a real ledgerd: a resident's wallet key and a shop terminal's
// key are registered, the shop charges customer-presented codes over the Pos service with signed
// requests, refunds twice, cancels, closes the day, cashes out with the fee and pays a supplier;
// forged, stale, unknown-terminal and malformed requests are refused and change nothing; the
// terminal rate limit holds; a manager terminal adds and revokes the shop's terminals, and the city
// revokes a lost wallet key; the shop watches a payment live (Pos.WatchPayment).
#include <grpcpp/grpcpp.h>

#include <thread>

#include "absl/strings/str_cat.h"
#include "formats/emvco.h"
#include "formats/pos_auth.h"
#include "gtest/gtest.h"
#include "ledger/client/client.h"
#include "ledger/core/limits.h"
#include "merchant/pos_client.h"
#include "tests/ledger_process.h"
#include "tests/payments.h"
#include "wallet/cpm.h"
#include "wallet/wallet_client.h"

namespace ledger {
namespace {

using merchant::SignRequest;
using merchant::Terminal;
using merchant::WallClockMs;
using testing::LedgerProcess;
using testing::MakeTempDir;
using testing::MakeTransfer;

constexpr auto kTimeout = std::chrono::seconds(10);
constexpr uint64_t kIssuer = 1, kAlice = 10, kBob = 11, kShop = 20, kSupplier = 21, kFees = 30;

class PosE2eTest : public ::testing::Test {
 protected:
  void StartServer(std::vector<std::string> flags = {}) {
    const std::string dir = MakeTempDir("pos") + "/ledger";
    ASSERT_TRUE(server_.StartNode(dir, "127.0.0.1:0", std::move(flags)).ok()) << server_.log_path();
    ASSERT_TRUE(
        WaitForLedger(v1::Ledger::NewStub(server_.operator_channel()).get(), kTimeout).ok());
    auto channel = server_.public_channel();
    ledger_ = v1::Ledger::NewStub(server_.operator_channel());
    pos_ = v1::Pos::NewStub(channel);
    wallet_ = v1::Wallet::NewStub(channel);
  }

  void SetUpTown() {
    v1::CreateAssetsRequest assets;
    v1::Asset* coin = assets.add_assets();
    coin->set_id(1);
    coin->set_code("COIN");
    coin->set_breakage_account_id(IdBytes(2));
    v1::CreateReply reply;
    ASSERT_TRUE(ledger_->CreateAssets(ContextWithDeadline(kTimeout).get(), assets, &reply).ok());
    v1::CreateAccountsRequest accounts;
    for (auto [id, kind] :
         std::vector<std::pair<uint64_t, v1::AccountKind>>{{kIssuer, v1::ISSUER},
                                                           {kAlice, v1::WALLET},
                                                           {kBob, v1::WALLET},
                                                           {kShop, v1::MERCHANT},
                                                           {kSupplier, v1::MERCHANT},
                                                           {kFees, v1::FEE}}) {
      v1::Account* account = accounts.add_accounts();
      account->set_id(IdBytes(id));
      account->set_asset(1);
      account->set_kind(kind);
      account->set_flags(kind == v1::ISSUER || kind == v1::FEE ? 0 : v1::NON_NEGATIVE);
    }
    ASSERT_TRUE(
        ledger_->CreateAccounts(ContextWithDeadline(kTimeout).get(), accounts, &reply).ok());
    for (const auto& result : reply.results()) ASSERT_EQ(result.result(), v1::OK);
    v1::CreateTransfersRequest funding;
    *funding.add_transfers() = MakeTransfer(0, 1, kIssuer, kAlice, 10'000);
    ASSERT_TRUE(
        ledger_->CreateTransfers(ContextWithDeadline(kTimeout).get(), funding, &reply).ok());
    ASSERT_EQ(reply.results(0).result(), v1::OK);

    alice_ = wallet::GenerateKeyPair();
    terminal_ = Terminal{IdBytes(kShop), "REG-1", wallet::GenerateKeyPair()};
    v1::RegisterKeysRequest keys;
    v1::PublicKey* wallet_key = keys.add_keys();
    wallet_key->set_account_id(IdBytes(kAlice));
    wallet_key->set_public_key(alice_.public_key);
    v1::PublicKey* terminal_key = keys.add_keys();
    terminal_key->set_account_id(IdBytes(kShop));
    terminal_key->set_key_id("REG-1");
    terminal_key->set_public_key(terminal_.keys.public_key);
    ASSERT_TRUE(ledger_->RegisterKeys(ContextWithDeadline(kTimeout).get(), keys, &reply).ok());
    for (const auto& result : reply.results()) ASSERT_EQ(result.result(), v1::OK);
    v1::SetFeesRequest fees;
    v1::FeeSchedule* schedule = fees.add_schedules();
    schedule->set_asset(1);
    schedule->set_issuer_account_id(IdBytes(kIssuer));
    schedule->set_fee_account_id(IdBytes(kFees));
    schedule->set_cashout_bps(150);
    schedule->set_member_cashout_bps(100);
    schedule->set_supplier_bps(100);
    ASSERT_TRUE(ledger_->SetFees(ContextWithDeadline(kTimeout).get(), fees, &reply).ok());
    ASSERT_EQ(reply.results(0).result(), v1::OK);
  }

  std::string Code(uint64_t nonce) {
    return *wallet::IssueCpm(alice_, IdBytes(kAlice), nonce, WallClockMs(), 60);
  }

  using Rpc = grpc::Status (v1::Pos::Stub::*)(grpc::ClientContext*, const v1::SignedRequest&,
                                              v1::PosReply*);
  grpc::Status Call(Rpc rpc, const char* method, const google::protobuf::Message& body,
                    v1::PosReply* reply, const Terminal* as = nullptr,
                    int64_t clock_offset_ms = 0) {
    const v1::SignedRequest request =
        SignRequest(as ? *as : terminal_, method, body, WallClockMs() + clock_offset_ms);
    return (pos_.get()->*rpc)(ContextWithDeadline(kTimeout).get(), request, reply);
  }

  int64_t Balance(uint64_t id) {
    v1::LookupAccountsRequest request;
    request.add_ids(IdBytes(id));
    v1::LookupAccountsReply reply;
    EXPECT_TRUE(ledger_->LookupAccounts(ContextWithDeadline(kTimeout).get(), request, &reply).ok());
    return reply.accounts_size() == 1 ? reply.accounts(0).balance() : INT64_MIN;
  }

  LedgerProcess server_;
  std::unique_ptr<v1::Ledger::Stub> ledger_;
  std::unique_ptr<v1::Pos::Stub> pos_;
  std::unique_ptr<v1::Wallet::Stub> wallet_;
  wallet::KeyPair alice_;
  Terminal terminal_;
};

v1::CreatePaymentRequest Charge(const std::string& id, int64_t amount, const std::string& code) {
  v1::CreatePaymentRequest body;
  body.set_payment_id(id);
  body.set_amount(amount);
  body.set_cpm(code);
  return body;
}

TEST_F(PosE2eTest, AShoppingDay) {
  StartServer();
  SetUpTown();
  if (HasFatalFailure()) return;
  using S = v1::Pos::Stub;
  v1::PosReply reply;

  // Charge by customer-presented code; the terminal's retry of the same request is the same
  // payment.
  const std::string code = Code(1);
  ASSERT_TRUE(Call(&S::CreatePayment, "CreatePayment", Charge("order-1", 1200, code), &reply).ok());
  ASSERT_EQ(reply.result(), v1::OK);
  EXPECT_EQ(reply.payment().state(), "captured");
  EXPECT_EQ(reply.payment().payer_account_id(), IdBytes(kAlice));
  const uint32_t today = reply.payment().business_day();
  EXPECT_EQ(Balance(kAlice), 8'800);
  ASSERT_TRUE(Call(&S::CreatePayment, "CreatePayment", Charge("order-1", 1200, code), &reply).ok());
  EXPECT_TRUE(reply.duplicate());
  EXPECT_EQ(Balance(kAlice), 8'800);
  // The same code for another payment: replayed.
  ASSERT_TRUE(Call(&S::CreatePayment, "CreatePayment", Charge("order-9", 100, code), &reply).ok());
  EXPECT_EQ(reply.result(), v1::CPM_REPLAYED);
  // Too much: refused, with what is available.
  ASSERT_TRUE(
      Call(&S::CreatePayment, "CreatePayment", Charge("order-big", 50'000, Code(2)), &reply).ok());
  EXPECT_EQ(reply.result(), v1::EXCEEDS_BALANCE);
  EXPECT_EQ(reply.available(), 8'800);

  // Two partial refunds; a third beyond what was paid is refused.
  v1::RefundPaymentRequest refund;
  refund.set_payment_id("order-1");
  refund.set_refund_id("r1");
  refund.set_amount(300);
  ASSERT_TRUE(Call(&S::RefundPayment, "RefundPayment", refund, &reply).ok());
  EXPECT_EQ(reply.result(), v1::OK);
  refund.set_refund_id("r2");
  refund.set_amount(400);
  ASSERT_TRUE(Call(&S::RefundPayment, "RefundPayment", refund, &reply).ok());
  EXPECT_EQ(reply.payment().refunded(), 700);
  refund.set_refund_id("r3");
  refund.set_amount(501);
  ASSERT_TRUE(Call(&S::RefundPayment, "RefundPayment", refund, &reply).ok());
  EXPECT_EQ(reply.result(), v1::REFUND_EXCEEDS_PAYMENT);
  EXPECT_EQ(Balance(kAlice), 9'500);

  // A second sale, cancelled the same day.
  ASSERT_TRUE(
      Call(&S::CreatePayment, "CreatePayment", Charge("order-2", 500, Code(3)), &reply).ok());
  ASSERT_EQ(reply.result(), v1::OK);
  v1::PaymentIdRequest which;
  which.set_payment_id("order-2");
  ASSERT_TRUE(Call(&S::CancelPayment, "CancelPayment", which, &reply).ok());
  EXPECT_EQ(reply.result(), v1::OK);
  EXPECT_EQ(reply.payment().state(), "cancelled");
  ASSERT_TRUE(Call(&S::GetPayment, "GetPayment", which, &reply).ok());
  EXPECT_EQ(reply.payment().state(), "cancelled");

  // Close the day: the report.
  v1::CloseDayRequest close;
  close.set_business_day(today);
  ASSERT_TRUE(Call(&S::CloseDay, "CloseDay", close, &reply).ok());
  ASSERT_EQ(reply.result(), v1::OK);
  ASSERT_GE(reply.day_size(), 2);
  EXPECT_EQ(reply.day(0).payments(), 2u);
  EXPECT_EQ(reply.day(0).gross(), 1'700);
  EXPECT_EQ(reply.day(0).cancelled(), 500);
  EXPECT_EQ(reply.day(0).refunded(), 700);
  EXPECT_EQ(reply.day(0).net(), 500);
  EXPECT_EQ(reply.day(1).terminal_id(), "REG-1");

  // A sale after the close is booked on the next open day, not in the frozen report; it can still
  // be cancelled today, and that cancel is counted on that next day too.
  ASSERT_TRUE(
      Call(&S::CreatePayment, "CreatePayment", Charge("order-3", 100, Code(4)), &reply).ok());
  ASSERT_EQ(reply.result(), v1::OK);
  EXPECT_GT(reply.payment().business_day(), today);
  ASSERT_TRUE(Call(&S::CloseDay, "CloseDay", close, &reply).ok());
  EXPECT_TRUE(reply.duplicate());
  EXPECT_EQ(reply.day(0).payments(), 2u);
  EXPECT_EQ(reply.day(0).gross(), 1'700);
  which.set_payment_id("order-3");
  ASSERT_TRUE(Call(&S::CancelPayment, "CancelPayment", which, &reply).ok());
  EXPECT_EQ(reply.result(), v1::OK);

  // Cash out 100 at 1.5 %: fee 1 (1.5 rounded down). The terminal cannot declare chamber
  // membership: asking for the member rate is refused and decides nothing, so the same id then
  // works at the normal rate. Pay a supplier 150 at 1 % (fee 1, on top).
  EXPECT_EQ(Balance(kShop), 500);
  v1::CashOutRequest cashout;
  cashout.set_cashout_id("co-1");
  cashout.set_amount(100);
  cashout.set_member(true);
  ASSERT_TRUE(Call(&S::CashOut, "CashOut", cashout, &reply).ok());
  EXPECT_EQ(reply.result(), v1::NOT_A_CHAMBER_MEMBER);
  EXPECT_EQ(Balance(kShop), 500);
  cashout.set_member(false);
  ASSERT_TRUE(Call(&S::CashOut, "CashOut", cashout, &reply).ok());
  EXPECT_EQ(reply.result(), v1::OK);
  EXPECT_EQ(reply.fee(), 1);
  // Once the operator's register lists the shop, its cash-outs get the member rate: 200 at 1 % is 2
  // (3 at the normal rate), whether or not the terminal asks.
  v1::SetMerchantProfilesRequest profiles;
  v1::MerchantProfile* profile = profiles.add_profiles();
  profile->set_merchant_id(IdBytes(kShop));
  profile->set_chamber_member(true);
  v1::CreateReply set;
  ASSERT_TRUE(
      ledger_->SetMerchantProfiles(ContextWithDeadline(kTimeout).get(), profiles, &set).ok());
  ASSERT_EQ(set.results(0).result(), v1::OK);
  cashout.set_cashout_id("co-2");
  cashout.set_amount(200);
  ASSERT_TRUE(Call(&S::CashOut, "CashOut", cashout, &reply).ok());
  EXPECT_EQ(reply.result(), v1::OK);
  EXPECT_EQ(reply.fee(), 2);
  EXPECT_EQ(Balance(kShop), 200);
  EXPECT_EQ(Balance(kFees), 3);
  v1::SupplierPaymentRequest supplier;
  supplier.set_payment_id("inv-1");
  supplier.set_supplier_account_id(IdBytes(kSupplier));
  supplier.set_amount(150);
  ASSERT_TRUE(Call(&S::PaySupplier, "PaySupplier", supplier, &reply).ok());
  EXPECT_EQ(reply.result(), v1::OK);
  EXPECT_EQ(reply.fee(), 1);
  EXPECT_EQ(Balance(kShop), 49);
  EXPECT_EQ(Balance(kSupplier), 150);
  EXPECT_EQ(Balance(kFees), 4);
}

TEST_F(PosE2eTest, BadRequestsChangeNothing) {
  StartServer();
  SetUpTown();
  if (HasFatalFailure()) return;
  using S = v1::Pos::Stub;
  v1::PosReply reply;
  const Terminal forger{IdBytes(kShop), "REG-1", wallet::GenerateKeyPair()};
  grpc::Status status =
      Call(&S::CreatePayment, "CreatePayment", Charge("x1", 100, Code(10)), &reply, &forger);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(status.error_message(), "signature mismatch (not this terminal's key, or altered)");
  const Terminal unknown{IdBytes(kShop), "REG-9", terminal_.keys};
  status = Call(&S::CreatePayment, "CreatePayment", Charge("x2", 100, Code(11)), &reply, &unknown);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  // The right key, another shop: the terminal belongs to its merchant only.
  const Terminal elsewhere{IdBytes(kSupplier), "REG-1", terminal_.keys};
  status =
      Call(&S::CreatePayment, "CreatePayment", Charge("x3", 100, Code(12)), &reply, &elsewhere);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  status = Call(&S::CreatePayment, "CreatePayment", Charge("x4", 100, Code(13)), &reply, nullptr,
                -10 * 60 * 1000);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(status.error_message(), "timestamp_ms: 600 s off the ledger's clock (window 300 s)");
  // Signed for another method: refused (the method is part of what is signed).
  v1::SignedRequest misrouted =
      SignRequest(terminal_, "GetPayment", Charge("x5", 100, Code(14)), WallClockMs());
  status = pos_->CreatePayment(ContextWithDeadline(kTimeout).get(), misrouted, &reply);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  v1::SignedRequest garbage =
      SignRequest(terminal_, "CreatePayment", Charge("x6", 100, Code(15)), WallClockMs());
  garbage.set_body("\xff\xff\xff");
  garbage.set_signature(wallet::Sign(
      terminal_.keys, merchant::PosSignedBytes("CreatePayment", IdBytes(kShop), "REG-1",
                                               garbage.timestamp_ms(), garbage.body())));
  status = pos_->CreatePayment(ContextWithDeadline(kTimeout).get(), garbage, &reply);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  // Amounts outside 1..limit and malformed ids are refused before the ledger: the payment id and
  // the customer's code stay unused, so the corrected charge goes through with both.
  const std::string code = Code(16);
  for (int64_t amount : {int64_t{0}, int64_t{-5}, kAmountMax + 1}) {
    status = Call(&S::CreatePayment, "CreatePayment", Charge("x7", amount, code), &reply);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(status.error_message(),
              absl::StrCat("amount: ", amount, " is outside 1..", kAmountMax));
  }
  status =
      Call(&S::CreatePayment, "CreatePayment", Charge(std::string(65, 'p'), 100, code), &reply);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "payment_id: at most 64 characters, got 65");
  status = Call(&S::CreatePayment, "CreatePayment", Charge("x\ty", 100, code), &reply);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "payment_id: 1 to 64 printable ASCII characters");
  v1::RefundPaymentRequest refund;
  refund.set_payment_id("x7");
  refund.set_refund_id("r-x7");
  refund.set_amount(0);
  EXPECT_EQ(Call(&S::RefundPayment, "RefundPayment", refund, &reply).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Balance(kAlice), 10'000);
  EXPECT_EQ(Balance(kShop), 0);
  ASSERT_TRUE(Call(&S::CreatePayment, "CreatePayment", Charge("x7", 100, code), &reply).ok());
  EXPECT_EQ(reply.result(), v1::OK);
  EXPECT_FALSE(reply.duplicate());
  EXPECT_EQ(Balance(kShop), 100);
}

// Merchant-presented codes and resident-to-resident sends, signed by Alice's wallet key.
TEST_F(PosE2eTest, WalletPaysShopCodesAndSends) {
  StartServer();
  SetUpTown();
  if (HasFatalFailure()) return;
  using W = v1::Wallet::Stub;
  v1::WalletReply reply;
  auto call = [&](auto rpc, const char* method, const google::protobuf::Message& body,
                  uint64_t nonce, const wallet::KeyPair* keys = nullptr,
                  uint64_t account = kAlice) {
    const v1::WalletRequest request = wallet::SignWalletRequest(
        keys ? *keys : alice_, IdBytes(account), method, body, WallClockMs(), nonce);
    return std::make_pair(
        (wallet_.get()->*rpc)(ContextWithDeadline(kTimeout).get(), request, &reply), request);
  };
  // The terminal registers a dynamic code for 800 and shows the payload the ledger built; the
  // terminal polls: awaiting.
  using S = v1::Pos::Stub;
  v1::CreateMpmRequest order;
  order.set_payment_id("mpm-1");
  order.set_amount(800);
  order.set_merchant_name("Sakura Market");
  order.set_merchant_city("Tsuruoka");
  v1::PosReply registered;
  ASSERT_TRUE(Call(&S::CreateMpm, "CreateMpm", order, &registered).ok());
  ASSERT_EQ(registered.result(), v1::OK);
  EXPECT_EQ(registered.payment().state(), "awaiting");
  EXPECT_GT(registered.expires_at(), registered.timestamp());
  EXPECT_EQ(registered.mpm_qr_png().substr(0, 8), "\x89PNG\r\n\x1a\n");
  absl::StatusOr<merchant::MpmPayload> shown = merchant::ParseMpm(registered.mpm_payload());
  ASSERT_TRUE(shown.ok()) << shown.status();
  EXPECT_EQ(shown->amount, 800);
  EXPECT_EQ(shown->payment_id, "mpm-1");
  EXPECT_EQ(shown->terminal_label, "REG-1");
  v1::PaymentIdRequest which;
  which.set_payment_id("mpm-1");
  v1::PosReply polled;
  ASSERT_TRUE(Call(&S::GetPayment, "GetPayment", which, &polled).ok());
  EXPECT_EQ(polled.payment().state(), "awaiting");
  // Alice edits the amount (and fixes the CRC): refused, nothing moves, and the id stays payable.
  merchant::MpmPayload tampered = *shown;
  tampered.amount = 1;
  v1::PayMpmRequest pay;
  pay.set_payload(*merchant::BuildMpm(tampered));
  ASSERT_TRUE(call(&W::PayMpm, "PayMpm", pay, 100).first.ok());
  EXPECT_EQ(reply.result(), v1::MPM_ORDER_MISMATCH);
  // A dynamic code the shop never registered.
  tampered = *shown;
  tampered.payment_id = "made-up";
  pay.set_payload(*merchant::BuildMpm(tampered));
  ASSERT_TRUE(call(&W::PayMpm, "PayMpm", pay, 100).first.ok());
  EXPECT_EQ(reply.result(), v1::MPM_ORDER_NOT_FOUND);
  EXPECT_EQ(Balance(kAlice), 10'000);
  // The terminal cannot take the registered id by a customer code either.
  v1::PosReply charged;
  ASSERT_TRUE(
      Call(&S::CreatePayment, "CreatePayment", Charge("mpm-1", 800, Code(7)), &charged).ok());
  EXPECT_EQ(charged.result(), v1::MPM_ORDER_MISMATCH);
  // The real code: paid (the same nonce 100 is still unspent, since nothing was paid with it).
  pay.set_payload(registered.mpm_payload());
  auto [status, sent] = call(&W::PayMpm, "PayMpm", pay, 100);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(reply.result(), v1::OK);
  EXPECT_EQ(Balance(kAlice), 9'200);
  ASSERT_TRUE(Call(&S::GetPayment, "GetPayment", which, &polled).ok());
  EXPECT_EQ(polled.payment().state(), "captured");
  EXPECT_EQ(polled.payment().payer_account_id(), IdBytes(kAlice));
  EXPECT_EQ(polled.payment().terminal_id(), "REG-1");
  // Registering the same code again is a duplicate; the same id for another amount is refused.
  ASSERT_TRUE(Call(&S::CreateMpm, "CreateMpm", order, &registered).ok());
  EXPECT_TRUE(registered.duplicate());
  order.set_amount(900);
  ASSERT_TRUE(Call(&S::CreateMpm, "CreateMpm", order, &registered).ok());
  EXPECT_EQ(registered.result(), v1::EXISTS_WITH_DIFFERENT_FIELDS);
  EXPECT_TRUE(registered.mpm_payload().empty());
  // Malformed registrations name the field and register nothing.
  order.set_payment_id("mpm-2");
  order.set_amount(0);
  grpc::Status bad = Call(&S::CreateMpm, "CreateMpm", order, &registered);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(bad.error_message(), "amount: 0 is outside 1..9999999999999");
  order.set_amount(10);
  order.set_merchant_name(std::string(26, 'x'));
  bad = Call(&S::CreateMpm, "CreateMpm", order, &registered);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(bad.error_message().find("merchant_name"), std::string::npos) << bad.error_message();
  which.set_payment_id("mpm-2");
  EXPECT_EQ(Call(&S::GetPayment, "GetPayment", which, &polled).error_code(),
            grpc::StatusCode::NOT_FOUND);
  // The very same envelope again (a replay): the original outcome, nothing moves.
  ASSERT_TRUE(wallet_->PayMpm(ContextWithDeadline(kTimeout).get(), sent, &reply).ok());
  EXPECT_TRUE(reply.duplicate());
  EXPECT_EQ(Balance(kAlice), 9'200);
  // A static shop code: Alice enters the amount and the wallet names the payment.
  merchant::MpmPayload counter = *shown;
  counter.dynamic = false;
  counter.payment_id.clear();
  counter.amount = 0;
  pay.set_payload(*merchant::BuildMpm(counter));
  pay.set_amount(100);
  pay.set_payment_id("alice-0001");
  ASSERT_TRUE(call(&W::PayMpm, "PayMpm", pay, 102).first.ok());
  EXPECT_EQ(reply.result(), v1::OK);
  // The nonce of a request that moved money cannot move money again.
  pay.set_payment_id("alice-0002");
  ASSERT_TRUE(call(&W::PayMpm, "PayMpm", pay, 102).first.ok());
  EXPECT_EQ(reply.result(), v1::NONCE_REPLAYED);
  EXPECT_EQ(Balance(kShop), 900);

  // Send to Bob; a retry of the same transfer id is the same transfer; a spent nonce moves nothing.
  v1::SendRequest send;
  send.set_transfer_id(IdBytes(0x5e4d, 1));
  send.set_to_account_id(IdBytes(kBob));
  send.set_amount(500);
  ASSERT_TRUE(call(&W::Send, "Send", send, 201).first.ok());
  EXPECT_EQ(reply.result(), v1::OK);
  ASSERT_TRUE(call(&W::Send, "Send", send, 202).first.ok());
  EXPECT_TRUE(reply.duplicate());
  send.set_transfer_id(IdBytes(0x5e4d, 2));
  ASSERT_TRUE(call(&W::Send, "Send", send, 201).first.ok());
  EXPECT_EQ(reply.result(), v1::NONCE_REPLAYED);
  send.set_amount(1'000'000);
  send.set_transfer_id(IdBytes(0x5e4d, 3));
  ASSERT_TRUE(call(&W::Send, "Send", send, 203).first.ok());
  EXPECT_EQ(reply.result(), v1::EXCEEDS_BALANCE);
  EXPECT_EQ(reply.available(), 8'600);
  EXPECT_EQ(Balance(kBob), 500);
  // Someone else's key; a wallet with no key; a stale request.
  const wallet::KeyPair mallory = wallet::GenerateKeyPair();
  send.set_amount(1);
  send.set_transfer_id(IdBytes(0x5e4d, 4));
  EXPECT_EQ(call(&W::Send, "Send", send, 301, &mallory).first.error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(call(&W::Send, "Send", send, 302, &mallory, kBob).first.error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  const v1::WalletRequest stale = wallet::SignWalletRequest(alice_, IdBytes(kAlice), "Send", send,
                                                            WallClockMs() - 600'000, 303);
  EXPECT_EQ(wallet_->Send(ContextWithDeadline(kTimeout).get(), stale, &reply).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Balance(kAlice), 8'600);
}

// A resident without a smartphone: a card issued at the desk, staff charge it at the counter with
// the PIN the resident types; a wrong PIN then the right one; three wrong PINs lock it; the
// resident can list what staff did.
// Pos.WatchPayment, the shop's live view of one payment: the state at once ("awaiting"), then each
// change with no request of the shop's (paid by a wallet, each refund), and the stream ends by
// itself once the payment is final (refunded in full; an unpaid code once it expires). A wrong
// signature, or a GetPayment envelope replayed as WatchPayment, is refused; a terminal's fifth open
// stream is refused naming the bound, and a closed stream frees its place.
TEST_F(PosE2eTest, WatchPaymentStreamsEachChangeAndEnds) {
  StartServer();
  SetUpTown();
  if (HasFatalFailure()) return;
  using S = v1::Pos::Stub;
  auto order = [](const std::string& id, int64_t amount, uint32_t lifetime) {
    v1::CreateMpmRequest body;
    body.set_payment_id(id);
    body.set_amount(amount);
    body.set_merchant_name("Sakura Market");
    body.set_merchant_city("Tsuruoka");
    body.set_lifetime_seconds(lifetime);
    return body;
  };
  v1::PosReply registered;
  ASSERT_TRUE(Call(&S::CreateMpm, "CreateMpm", order("watch-1", 500, 300), &registered).ok());
  ASSERT_EQ(registered.result(), v1::OK);
  v1::PaymentIdRequest which;
  which.set_payment_id("watch-1");
  auto context = ContextWithDeadline(std::chrono::seconds(30));
  auto reader = pos_->WatchPayment(context.get(),
                                   SignRequest(terminal_, "WatchPayment", which, WallClockMs()));
  v1::PosReply seen;
  ASSERT_TRUE(reader->Read(&seen));
  EXPECT_EQ(seen.payment().state(), "awaiting");
  EXPECT_EQ(seen.expires_at(), registered.expires_at());
  // Alice pays the code: the open stream shows it.
  v1::PayMpmRequest pay;
  pay.set_payload(registered.mpm_payload());
  v1::WalletReply paid;
  ASSERT_TRUE(wallet_
                  ->PayMpm(ContextWithDeadline(kTimeout).get(),
                           wallet::SignWalletRequest(alice_, IdBytes(kAlice), "PayMpm", pay,
                                                     WallClockMs(), 41),
                           &paid)
                  .ok());
  ASSERT_EQ(paid.result(), v1::OK);
  ASSERT_TRUE(reader->Read(&seen));
  EXPECT_EQ(seen.payment().state(), "captured");
  EXPECT_EQ(seen.result(), v1::OK);
  EXPECT_EQ(seen.payment().payer_account_id(), IdBytes(kAlice));
  // Each refund is a change; the one that refunds the rest makes it final and ends the stream.
  v1::RefundPaymentRequest refund;
  refund.set_payment_id("watch-1");
  for (const auto& [id, amount] :
       std::vector<std::pair<std::string, int64_t>>{{"wr1", 200}, {"wr2", 300}}) {
    refund.set_refund_id(id);
    refund.set_amount(amount);
    v1::PosReply refunded;
    ASSERT_TRUE(Call(&S::RefundPayment, "RefundPayment", refund, &refunded).ok());
    ASSERT_EQ(refunded.result(), v1::OK);
    ASSERT_TRUE(reader->Read(&seen)) << "refund " << id;
    EXPECT_EQ(seen.payment().refunded(), id == "wr1" ? 200 : 500);
  }
  EXPECT_FALSE(reader->Read(&seen)) << seen.ShortDebugString();
  grpc::Status ended = reader->Finish();
  EXPECT_TRUE(ended.ok()) << ended.error_message();

  // An unpaid code: "awaiting", then "expired" once its second is over, and the end.
  ASSERT_TRUE(Call(&S::CreateMpm, "CreateMpm", order("watch-2", 100, 1), &registered).ok());
  ASSERT_EQ(registered.result(), v1::OK);
  which.set_payment_id("watch-2");
  context = ContextWithDeadline(std::chrono::seconds(30));
  reader = pos_->WatchPayment(context.get(),
                              SignRequest(terminal_, "WatchPayment", which, WallClockMs()));
  std::vector<std::string> states;
  while (reader->Read(&seen)) states.push_back(seen.payment().state());
  ended = reader->Finish();
  EXPECT_TRUE(ended.ok()) << ended.error_message();
  EXPECT_EQ(states, (std::vector<std::string>{"awaiting", "expired"}));

  // Refused: another key's signature; GetPayment's own envelope sent to WatchPayment; an unknown
  // id.
  const Terminal impostor{IdBytes(kShop), "REG-1", wallet::GenerateKeyPair()};
  auto refused = [&](const v1::SignedRequest& request) {
    grpc::ClientContext refused_context;
    auto stream = pos_->WatchPayment(&refused_context, request);
    v1::PosReply none;
    EXPECT_FALSE(stream->Read(&none));
    return stream->Finish();
  };
  grpc::Status status = refused(SignRequest(impostor, "WatchPayment", which, WallClockMs()));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
  EXPECT_NE(status.error_message().find("signature mismatch"), std::string::npos);
  status = refused(SignRequest(terminal_, "GetPayment", which, WallClockMs()));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
  which.set_payment_id("no-such-payment");
  status = refused(SignRequest(terminal_, "WatchPayment", which, WallClockMs()));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << status.error_message();

  // The bound: kPaymentWatchesPerTerminalMax streams of one terminal stay open, the next is
  // refused.
  ASSERT_TRUE(Call(&S::CreateMpm, "CreateMpm", order("watch-3", 100, 300), &registered).ok());
  which.set_payment_id("watch-3");
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts;
  std::vector<std::unique_ptr<grpc::ClientReader<v1::PosReply>>> open;
  for (int i = 0; i < kPaymentWatchesPerTerminalMax; ++i) {
    contexts.push_back(ContextWithDeadline(std::chrono::seconds(30)));
    open.push_back(pos_->WatchPayment(
        contexts.back().get(), SignRequest(terminal_, "WatchPayment", which, WallClockMs())));
    ASSERT_TRUE(open.back()->Read(&seen)) << "stream " << i;
  }
  status = refused(SignRequest(terminal_, "WatchPayment", which, WallClockMs()));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
  EXPECT_NE(status.error_message().find("at most 4 open WatchPayment streams"), std::string::npos)
      << status.error_message();
  EXPECT_NE(status.error_message().find("kPaymentWatchesPerTerminalMax"), std::string::npos);
  // One closes: within a couple of seconds the terminal may open another.
  contexts.front()->TryCancel();
  open.front()->Finish();
  bool reopened = false;
  for (int attempt = 0; attempt < 50 && !reopened; ++attempt) {
    grpc::ClientContext again;
    again.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    auto stream =
        pos_->WatchPayment(&again, SignRequest(terminal_, "WatchPayment", which, WallClockMs()));
    reopened = stream->Read(&seen);
    again.TryCancel();
    stream->Finish();
    if (!reopened) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(reopened);
  for (size_t i = 1; i < contexts.size(); ++i) {
    contexts[i]->TryCancel();
    open[i]->Finish();
  }
}

// The node-wide bound: kPaymentWatchesMax open WatchPayment streams in all (from terminals each
// under their own bound); the next, from a terminal with none open, is refused naming it.
TEST_F(PosE2eTest, WatchPaymentStreamsPerNodeAreBounded) {
  StartServer();
  SetUpTown();
  if (HasFatalFailure()) return;
  constexpr int kTerminals = kPaymentWatchesMax / kPaymentWatchesPerTerminalMax;
  std::vector<Terminal> tills;
  v1::RegisterKeysRequest keys;
  for (int i = 0; i < kTerminals; ++i) {
    tills.push_back(Terminal{IdBytes(kShop), absl::StrCat("TILL-", i), wallet::GenerateKeyPair()});
    v1::PublicKey* key = keys.add_keys();
    key->set_account_id(IdBytes(kShop));
    key->set_key_id(tills.back().terminal_id);
    key->set_public_key(tills.back().keys.public_key);
  }
  v1::CreateReply registered;
  ASSERT_TRUE(ledger_->RegisterKeys(ContextWithDeadline(kTimeout).get(), keys, &registered).ok());
  for (const auto& result : registered.results()) ASSERT_EQ(result.result(), v1::OK);
  v1::CreateMpmRequest order;
  order.set_payment_id("watched");
  order.set_amount(100);
  order.set_merchant_name("Sakura Market");
  order.set_merchant_city("Tsuruoka");
  v1::PosReply reply;
  ASSERT_TRUE(Call(&v1::Pos::Stub::CreateMpm, "CreateMpm", order, &reply).ok());
  ASSERT_EQ(reply.result(), v1::OK);
  v1::PaymentIdRequest which;
  which.set_payment_id("watched");
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts;
  std::vector<std::unique_ptr<grpc::ClientReader<v1::PosReply>>> open;
  for (const Terminal& till : tills) {
    for (int i = 0; i < kPaymentWatchesPerTerminalMax; ++i) {
      contexts.push_back(ContextWithDeadline(std::chrono::seconds(60)));
      open.push_back(pos_->WatchPayment(contexts.back().get(),
                                        SignRequest(till, "WatchPayment", which, WallClockMs())));
      ASSERT_TRUE(open.back()->Read(&reply)) << till.terminal_id << " stream " << i;
    }
  }
  grpc::ClientContext context;
  auto refused =
      pos_->WatchPayment(&context, SignRequest(terminal_, "WatchPayment", which, WallClockMs()));
  EXPECT_FALSE(refused->Read(&reply));
  const grpc::Status status = refused->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
  EXPECT_NE(status.error_message().find("at most 64 WatchPayment streams (kPaymentWatchesMax)"),
            std::string::npos)
      << status.error_message();
  for (size_t i = 0; i < contexts.size(); ++i) {
    contexts[i]->TryCancel();
    open[i]->Finish();
  }
}

TEST_F(PosE2eTest, StaffChargeACardWithItsPin) {
  StartServer();
  SetUpTown();
  if (HasFatalFailure()) return;
  v1::CreateTransfersRequest funding;  // Bob, who pays by card, holds 500.
  *funding.add_transfers() = MakeTransfer(0, 2, kIssuer, kBob, 500);
  v1::CreateReply funded;
  ASSERT_TRUE(ledger_->CreateTransfers(ContextWithDeadline(kTimeout).get(), funding, &funded).ok());
  ASSERT_EQ(funded.results(0).result(), v1::OK);
  v1::RegisterCardsRequest cards;
  v1::Card* card = cards.add_cards();
  card->set_card_number("6300123412341234");
  card->set_account_id(IdBytes(kBob));
  card->set_pin("4821");
  v1::CreateReply created;
  ASSERT_TRUE(ledger_->RegisterCards(ContextWithDeadline(kTimeout).get(), cards, &created).ok());
  ASSERT_EQ(created.results(0).result(), v1::OK);
  card->set_pin("12");
  EXPECT_EQ(
      ledger_->RegisterCards(ContextWithDeadline(kTimeout).get(), cards, &created).error_message(),
      "cards[0].pin: 4 to 12 digits");

  using S = v1::Pos::Stub;
  v1::PosReply reply;
  v1::CardPaymentRequest pay;
  pay.set_payment_id("card-1");
  pay.set_amount(300);
  pay.set_card_number("6300123412341234");
  pay.set_pin("4812");  // A slip of the finger.
  pay.set_staff_id("yamada (community centre)");
  ASSERT_TRUE(Call(&S::CardPayment, "CardPayment", pay, &reply).ok());
  EXPECT_EQ(reply.result(), v1::PIN_INVALID);
  pay.set_pin("4821");  // The same payment id, the right PIN.
  ASSERT_TRUE(Call(&S::CardPayment, "CardPayment", pay, &reply).ok());
  EXPECT_EQ(reply.result(), v1::OK);
  EXPECT_EQ(reply.payment().payer_account_id(), IdBytes(kBob));
  EXPECT_EQ(Balance(kBob), 200);
  pay.set_payment_id("card-9");
  pay.set_card_number("6300000000000000");
  ASSERT_TRUE(Call(&S::CardPayment, "CardPayment", pay, &reply).ok());
  EXPECT_EQ(reply.result(), v1::CARD_NOT_FOUND);

  // A captured wrong-PIN request replayed within the time window counts once: it cannot lock the
  // card.
  pay.set_card_number("6300123412341234");
  pay.set_payment_id("card-2");
  pay.set_amount(10);
  pay.set_pin("0000");
  const v1::SignedRequest captured = SignRequest(terminal_, "CardPayment", pay, WallClockMs());
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(pos_->CardPayment(ContextWithDeadline(kTimeout).get(), captured, &reply).ok());
    EXPECT_EQ(reply.result(), v1::PIN_INVALID);
  }
  pay.set_pin("4821");
  pay.set_payment_id("card-3");
  ASSERT_TRUE(Call(&S::CardPayment, "CardPayment", pay, &reply).ok());
  EXPECT_EQ(reply.result(), v1::OK);  // Not locked; the right PIN resets the count.
  EXPECT_EQ(Balance(kBob), 190);

  // Three wrong PINs in a row lock the card; then even the right PIN is refused.
  pay.set_payment_id("card-4");
  pay.set_amount(10);
  pay.set_pin("0000");
  for (int i = 0; i < 3; ++i) {
    pay.set_amount(
        10 + i);  // Three requests that differ even if two were signed in the same millisecond.
    ASSERT_TRUE(Call(&S::CardPayment, "CardPayment", pay, &reply).ok());
    EXPECT_EQ(reply.result(), v1::PIN_INVALID);
  }
  pay.set_pin("4821");
  ASSERT_TRUE(Call(&S::CardPayment, "CardPayment", pay, &reply).ok());
  EXPECT_EQ(reply.result(), v1::CARD_LOCKED);
  EXPECT_EQ(Balance(kBob), 190);

  v1::ListStaffOperationsRequest list;
  list.set_account_id(IdBytes(kBob));
  v1::ListStaffOperationsReply operations;
  ASSERT_TRUE(
      ledger_->ListStaffOperations(ContextWithDeadline(kTimeout).get(), list, &operations).ok());
  // wrong PIN, payment, not found is no operation of Bob's, the replayed wrong PIN once, payment,
  // three wrong PINs, locked.
  ASSERT_EQ(operations.operations_size(), 8);
  EXPECT_EQ(operations.operations(0).operation(), "wrong PIN");
  EXPECT_EQ(operations.operations(1).operation(), "card payment");
  EXPECT_EQ(operations.operations(1).staff_id(), "yamada (community centre)");
  EXPECT_EQ(operations.operations(1).amount(), 300);
  EXPECT_EQ(operations.operations(1).merchant_id(), IdBytes(kShop));
  EXPECT_EQ(operations.operations(2).operation(), "wrong PIN");
  EXPECT_EQ(operations.operations(3).operation(), "card payment");
  EXPECT_EQ(operations.operations(7).operation(), "card locked");

  // The city unlocks it at the desk: the right PIN works again, and the resident sees who unlocked
  // it.
  v1::UnlockCardsRequest unlock;
  v1::CardUnlock* unlocked = unlock.add_cards();
  unlocked->set_card_number("6300123412341234");
  v1::CreateReply done;
  EXPECT_EQ(ledger_->UnlockCards(ContextWithDeadline(kTimeout).get(), unlock, &done).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);  // Who unlocked it is required.
  unlocked->set_operator_name("sato (city hall)");
  ASSERT_TRUE(ledger_->UnlockCards(ContextWithDeadline(kTimeout).get(), unlock, &done).ok());
  ASSERT_EQ(done.results(0).result(), v1::OK);
  pay.set_payment_id("card-5");
  ASSERT_TRUE(Call(&S::CardPayment, "CardPayment", pay, &reply).ok());
  EXPECT_EQ(reply.result(), v1::OK);
  ASSERT_TRUE(
      ledger_->ListStaffOperations(ContextWithDeadline(kTimeout).get(), list, &operations).ok());
  ASSERT_EQ(operations.operations_size(), 10);
  EXPECT_EQ(operations.operations(8).operation(), "card unlocked by the city");
  EXPECT_EQ(operations.operations(8).staff_id(), "sato (city hall)");
}

// The city re-issues a locked card at the desk through the API: the new card, with its new PIN,
// pays from the same wallet; the old card is CARD_REPLACED, deciding nothing (its payment id stays
// free); the resident sees who re-issued it. Before, a lost card's number could only be unlocked,
// never replaced.
TEST_F(PosE2eTest, TheCityReissuesACardToTheSameWallet) {
  StartServer();
  SetUpTown();
  if (HasFatalFailure()) return;
  v1::CreateTransfersRequest funding;
  *funding.add_transfers() = MakeTransfer(0, 2, kIssuer, kBob, 500);
  v1::CreateReply funded;
  ASSERT_TRUE(ledger_->CreateTransfers(ContextWithDeadline(kTimeout).get(), funding, &funded).ok());
  ASSERT_EQ(funded.results(0).result(), v1::OK);
  const std::string old_card = "6300123412341234", new_card = "6300987698769876";
  v1::RegisterCardsRequest cards;
  v1::Card* card = cards.add_cards();
  card->set_card_number(old_card);
  card->set_account_id(IdBytes(kBob));
  card->set_pin("4821");
  v1::CreateReply created;
  ASSERT_TRUE(ledger_->RegisterCards(ContextWithDeadline(kTimeout).get(), cards, &created).ok());
  ASSERT_EQ(created.results(0).result(), v1::OK);

  using S = v1::Pos::Stub;
  v1::PosReply reply;
  v1::CardPaymentRequest pay;
  pay.set_card_number(old_card);
  pay.set_staff_id("yamada (community centre)");
  pay.set_payment_id("card-1");
  pay.set_pin("0000");
  for (int i = 0; i < 3; ++i) {  // Three wrong PINs lock it.
    pay.set_amount(10 + i);
    ASSERT_TRUE(Call(&S::CardPayment, "CardPayment", pay, &reply).ok());
    EXPECT_EQ(reply.result(), v1::PIN_INVALID);
  }
  pay.set_pin("4821");
  pay.set_amount(100);
  ASSERT_TRUE(Call(&S::CardPayment, "CardPayment", pay, &reply).ok());
  EXPECT_EQ(reply.result(), v1::CARD_LOCKED);

  v1::ReissueCardsRequest reissue;
  v1::CardReissue* item = reissue.add_cards();
  item->set_card_number(old_card);
  item->set_new_card_number(new_card);
  item->set_pin("7350");
  v1::CreateReply done;
  EXPECT_EQ(
      ledger_->ReissueCards(ContextWithDeadline(kTimeout).get(), reissue, &done).error_message(),
      "cards[0].operator_name: required (who at the city re-issued it)");
  item->set_operator_name(std::string(kStaffIdLengthMax + 1, 's'));
  EXPECT_EQ(ledger_->ReissueCards(ContextWithDeadline(kTimeout).get(), reissue, &done).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);  // Over its bound.
  item->set_operator_name("sato (city hall)");
  item->set_pin("73");
  EXPECT_EQ(
      ledger_->ReissueCards(ContextWithDeadline(kTimeout).get(), reissue, &done).error_message(),
      "cards[0].pin: 4 to 12 digits");
  item->set_pin("7350");
  ASSERT_TRUE(ledger_->ReissueCards(ContextWithDeadline(kTimeout).get(), reissue, &done).ok());
  ASSERT_EQ(done.results(0).result(), v1::OK);
  EXPECT_FALSE(done.results(0).duplicate());
  const uint64_t reissued_at = done.results(0).timestamp();
  ASSERT_TRUE(
      ledger_->ReissueCards(ContextWithDeadline(kTimeout).get(), reissue, &done).ok());  // A retry.
  EXPECT_EQ(done.results(0).result(), v1::OK);
  EXPECT_TRUE(done.results(0).duplicate());
  EXPECT_EQ(done.results(0).timestamp(), reissued_at);
  // Unknown, replaced and taken numbers, in one batch: each its own result.
  v1::ReissueCardsRequest refused;
  for (const auto& [from, to] :
       std::vector<std::pair<std::string, std::string>>{{"6300000000000000", "6300111111111111"},
                                                        {old_card, "6300111111111111"},
                                                        {new_card, old_card}}) {
    v1::CardReissue* r = refused.add_cards();
    r->set_card_number(from);
    r->set_new_card_number(to);
    r->set_pin("1111");
    r->set_operator_name("sato (city hall)");
  }
  ASSERT_TRUE(ledger_->ReissueCards(ContextWithDeadline(kTimeout).get(), refused, &done).ok());
  ASSERT_EQ(done.results_size(), 3);
  EXPECT_EQ(done.results(0).result(), v1::CARD_NOT_FOUND);
  EXPECT_EQ(done.results(1).result(), v1::CARD_REPLACED);
  EXPECT_EQ(done.results(2).result(), v1::CARD_EXISTS);

  // The old card, even with its right PIN, is refused and decides nothing; the new card pays from
  // Bob's wallet under the same payment id, unlocked.
  pay.set_payment_id("card-2");
  ASSERT_TRUE(Call(&S::CardPayment, "CardPayment", pay, &reply).ok());
  EXPECT_EQ(reply.result(), v1::CARD_REPLACED);
  EXPECT_EQ(Balance(kBob), 500);
  pay.set_card_number(new_card);
  ASSERT_TRUE(Call(&S::CardPayment, "CardPayment", pay, &reply).ok());
  EXPECT_EQ(reply.result(), v1::PIN_INVALID);  // The old PIN.
  pay.set_pin("7350");
  ASSERT_TRUE(Call(&S::CardPayment, "CardPayment", pay, &reply).ok());
  EXPECT_EQ(reply.result(), v1::OK);
  EXPECT_EQ(reply.payment().payer_account_id(), IdBytes(kBob));
  EXPECT_EQ(Balance(kBob), 400);

  v1::ListStaffOperationsRequest list;
  list.set_account_id(IdBytes(kBob));
  v1::ListStaffOperationsReply operations;
  ASSERT_TRUE(
      ledger_->ListStaffOperations(ContextWithDeadline(kTimeout).get(), list, &operations).ok());
  // Three wrong PINs, locked, re-issued, the old card refused, the old PIN, the payment.
  ASSERT_EQ(operations.operations_size(), 8);
  EXPECT_EQ(operations.operations(4).operation(), "card re-issued by the city");
  EXPECT_EQ(operations.operations(4).staff_id(), "sato (city hall)");
  EXPECT_EQ(operations.operations(5).operation(), "card replaced");
  EXPECT_EQ(operations.operations(5).result(), v1::CARD_REPLACED);
  EXPECT_EQ(operations.operations(7).operation(), "card payment");
  EXPECT_EQ(operations.operations(7).amount(), 100);
}

v1::RegisterTerminalRequest AddTerminal(const std::string& terminal_id,
                                        const std::string& public_key) {
  v1::RegisterTerminalRequest body;
  body.set_terminal_id(terminal_id);
  body.set_public_key(public_key);
  return body;
}

v1::RevokeTerminalRequest RevokeTerminal(const std::string& terminal_id) {
  v1::RevokeTerminalRequest body;
  body.set_terminal_id(terminal_id);
  return body;
}

// The shop runs its own terminals: a manager terminal registered by the city adds REG-2, which
// charges a code; the manager revokes REG-2, whose next request is refused; an ordinary terminal
// can do neither; the manager reaches only its own shop's terminals.
TEST_F(PosE2eTest, ManagerTerminalAddsAndRevokesTerminals) {
  StartServer();
  SetUpTown();
  if (HasFatalFailure()) return;
  using S = v1::Pos::Stub;
  const Terminal manager{IdBytes(kShop), "MGR-1", wallet::GenerateKeyPair()};
  const Terminal supplier_till{IdBytes(kSupplier), "REG-1", wallet::GenerateKeyPair()};
  v1::RegisterKeysRequest keys;
  v1::PublicKey* entry = keys.add_keys();
  entry->set_account_id(IdBytes(kShop));
  entry->set_key_id("MGR-1");
  entry->set_public_key(manager.keys.public_key);
  entry->set_manager(true);
  entry = keys.add_keys();
  entry->set_account_id(IdBytes(kSupplier));
  entry->set_key_id("REG-1");
  entry->set_public_key(supplier_till.keys.public_key);
  v1::CreateReply registered;
  ASSERT_TRUE(ledger_->RegisterKeys(ContextWithDeadline(kTimeout).get(), keys, &registered).ok());
  for (const auto& result : registered.results()) ASSERT_EQ(result.result(), v1::OK);

  // REG-1 is an ordinary terminal: it can neither add nor revoke terminals.
  Terminal reg2{IdBytes(kShop), "REG-2", wallet::GenerateKeyPair()};
  v1::PosReply reply;
  grpc::Status status = Call(&S::RegisterTerminal, "RegisterTerminal",
                             AddTerminal("REG-2", reg2.keys.public_key), &reply);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(status.error_message(), "terminal REG-1 is not a manager terminal of this merchant");
  status = Call(&S::RevokeTerminal, "RevokeTerminal", RevokeTerminal("MGR-1"), &reply);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(status.error_message(), "terminal REG-1 is not a manager terminal of this merchant");

  // The manager adds REG-2 (a retry is a duplicate); REG-2 charges a code.
  ASSERT_TRUE(Call(&S::RegisterTerminal, "RegisterTerminal",
                   AddTerminal("REG-2", reg2.keys.public_key), &reply, &manager)
                  .ok());
  EXPECT_EQ(reply.result(), v1::OK);
  EXPECT_FALSE(reply.duplicate());
  ASSERT_TRUE(Call(&S::RegisterTerminal, "RegisterTerminal",
                   AddTerminal("REG-2", reg2.keys.public_key), &reply, &manager)
                  .ok());
  EXPECT_TRUE(reply.duplicate());
  ASSERT_TRUE(
      Call(&S::CreatePayment, "CreatePayment", Charge("reg2-1", 300, Code(60)), &reply, &reg2)
          .ok());
  EXPECT_EQ(reply.result(), v1::OK);
  EXPECT_EQ(reply.payment().terminal_id(), "REG-2");
  EXPECT_EQ(Balance(kShop), 300);
  // REG-2 is ordinary too.
  status = Call(&S::RegisterTerminal, "RegisterTerminal",
                AddTerminal("REG-3", wallet::GenerateKeyPair().public_key), &reply, &reg2);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);

  // Stolen: the manager revokes REG-2; its next request is refused; revoking again is a duplicate.
  ASSERT_TRUE(
      Call(&S::RevokeTerminal, "RevokeTerminal", RevokeTerminal("REG-2"), &reply, &manager).ok());
  EXPECT_EQ(reply.result(), v1::OK);
  EXPECT_FALSE(reply.duplicate());
  status = Call(&S::CreatePayment, "CreatePayment", Charge("reg2-2", 300, Code(61)), &reply, &reg2);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(status.error_message(),
            absl::StrCat("terminal REG-2 of merchant ", Id128{0, kShop}.ToHex(), " was revoked"));
  ASSERT_TRUE(
      Call(&S::RevokeTerminal, "RevokeTerminal", RevokeTerminal("REG-2"), &reply, &manager).ok());
  EXPECT_TRUE(reply.duplicate());
  EXPECT_EQ(Balance(kShop), 300);
  // Its key is never accepted again; a new key replaces it.
  ASSERT_TRUE(Call(&S::RegisterTerminal, "RegisterTerminal",
                   AddTerminal("REG-2", reg2.keys.public_key), &reply, &manager)
                  .ok());
  EXPECT_EQ(reply.result(), v1::KEY_REVOKED);
  reg2.keys = wallet::GenerateKeyPair();
  ASSERT_TRUE(Call(&S::RegisterTerminal, "RegisterTerminal",
                   AddTerminal("REG-2", reg2.keys.public_key), &reply, &manager)
                  .ok());
  EXPECT_EQ(reply.result(), v1::OK);
  ASSERT_TRUE(
      Call(&S::CreatePayment, "CreatePayment", Charge("reg2-2", 300, Code(62)), &reply, &reg2)
          .ok());
  EXPECT_EQ(reply.result(), v1::OK);

  // Malformed bodies name the field; an unknown terminal is KEY_NOT_REGISTERED.
  status = Call(&S::RegisterTerminal, "RegisterTerminal",
                AddTerminal("REG-3", std::string(31, 'k')), &reply, &manager);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "public_key: must be 32 bytes (Ed25519), got 31");
  status = Call(&S::RevokeTerminal, "RevokeTerminal", RevokeTerminal(std::string(33, 'T')), &reply,
                &manager);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "terminal_id: at most 32 characters, got 33");
  status = Call(&S::RevokeTerminal, "RevokeTerminal", RevokeTerminal("REG 3\n"), &reply, &manager);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "terminal_id: 1 to 32 printable ASCII characters");
  ASSERT_TRUE(
      Call(&S::RevokeTerminal, "RevokeTerminal", RevokeTerminal("REG-9"), &reply, &manager).ok());
  EXPECT_EQ(reply.result(), v1::KEY_NOT_REGISTERED);

  // Only its own shop: revoking "REG-1" revokes the shop's REG-1, not the supplier's; the manager's
  // key means nothing for the supplier.
  ASSERT_TRUE(
      Call(&S::RevokeTerminal, "RevokeTerminal", RevokeTerminal("REG-1"), &reply, &manager).ok());
  EXPECT_EQ(reply.result(), v1::OK);
  v1::PaymentIdRequest which;
  which.set_payment_id("reg2-1");
  EXPECT_EQ(Call(&S::GetPayment, "GetPayment", which, &reply).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Call(&S::GetPayment, "GetPayment", which, &reply, &supplier_till).error_code(),
            grpc::StatusCode::NOT_FOUND);  // Known and working; the supplier has no such payment.
  const Terminal manager_elsewhere{IdBytes(kSupplier), "MGR-1", manager.keys};
  status = Call(&S::RevokeTerminal, "RevokeTerminal", RevokeTerminal("REG-1"), &reply,
                &manager_elsewhere);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Call(&S::GetPayment, "GetPayment", which, &reply, &supplier_till).error_code(),
            grpc::StatusCode::NOT_FOUND);

  // Once the city revokes the manager, it is refused like any revoked terminal.
  v1::RevokeKeysRequest revoke;
  v1::KeyRef* ref = revoke.add_keys();
  ref->set_account_id(IdBytes(kShop));
  ref->set_key_id("MGR-1");
  v1::CreateReply revoked;
  ASSERT_TRUE(ledger_->RevokeKeys(ContextWithDeadline(kTimeout).get(), revoke, &revoked).ok());
  EXPECT_EQ(revoked.results(0).result(), v1::OK);
  status = Call(&S::RevokeTerminal, "RevokeTerminal", RevokeTerminal("REG-2"), &reply, &manager);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(status.error_message(),
            absl::StrCat("terminal MGR-1 of merchant ", Id128{0, kShop}.ToHex(), " was revoked"));
  EXPECT_EQ(Call(&S::GetPayment, "GetPayment", which, &reply, &reg2).error_code(),
            grpc::StatusCode::OK);
}

// A resident loses her phone: the city revokes her wallet key. Wallet requests and payment codes
// signed with it are refused at once; the key cannot be registered again; a new key registered
// afterwards works.
TEST_F(PosE2eTest, RevokedWalletKeyStopsWalletRequestsUntilANewKey) {
  StartServer();
  SetUpTown();
  if (HasFatalFailure()) return;
  v1::WalletReply reply;
  v1::SendRequest send;
  send.set_to_account_id(IdBytes(kBob));
  send.set_amount(100);
  auto send_as = [&](const wallet::KeyPair& keys, uint64_t n) {
    send.set_transfer_id(IdBytes(0x10c7, n));
    return wallet_->Send(
        ContextWithDeadline(kTimeout).get(),
        wallet::SignWalletRequest(keys, IdBytes(kAlice), "Send", send, WallClockMs(), n), &reply);
  };
  ASSERT_TRUE(send_as(alice_, 1).ok());
  ASSERT_EQ(reply.result(), v1::OK);
  const std::string code = Code(50);  // Issued while the key was good.

  v1::RevokeKeysRequest revoke;
  v1::KeyRef* key = revoke.add_keys();
  key->set_account_id(IdBytes(kAlice));
  v1::CreateReply revoked;
  ASSERT_TRUE(ledger_->RevokeKeys(ContextWithDeadline(kTimeout).get(), revoke, &revoked).ok());
  ASSERT_EQ(revoked.results_size(), 1);
  EXPECT_EQ(revoked.results(0).result(), v1::OK);
  EXPECT_FALSE(revoked.results(0).duplicate());
  ASSERT_TRUE(ledger_->RevokeKeys(ContextWithDeadline(kTimeout).get(), revoke, &revoked).ok());
  EXPECT_TRUE(revoked.results(0).duplicate());

  grpc::Status status = send_as(alice_, 2);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(status.error_message(),
            absl::StrCat("wallet ", Id128{0, kAlice}.ToHex(),
                         " key was revoked (the city registers a new one)"));
  v1::PosReply charged;
  ASSERT_TRUE(Call(&v1::Pos::Stub::CreatePayment, "CreatePayment", Charge("lost-phone", 100, code),
                   &charged)
                  .ok());
  EXPECT_EQ(charged.result(), v1::KEY_REVOKED);
  EXPECT_EQ(Balance(kAlice), 9'900);

  // Unknown keys and malformed requests.
  key->set_account_id(IdBytes(kBob));
  ASSERT_TRUE(ledger_->RevokeKeys(ContextWithDeadline(kTimeout).get(), revoke, &revoked).ok());
  EXPECT_EQ(revoked.results(0).result(), v1::KEY_NOT_REGISTERED);
  key->set_key_id(std::string(33, 'T'));
  status = ledger_->RevokeKeys(ContextWithDeadline(kTimeout).get(), revoke, &revoked);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "keys[0].key_id: at most 32 characters, got 33");

  // The old key cannot come back; a wallet key cannot be a manager; a new key works at once.
  v1::RegisterKeysRequest keys;
  v1::PublicKey* entry = keys.add_keys();
  entry->set_account_id(IdBytes(kAlice));
  entry->set_public_key(alice_.public_key);
  v1::CreateReply registered;
  ASSERT_TRUE(ledger_->RegisterKeys(ContextWithDeadline(kTimeout).get(), keys, &registered).ok());
  EXPECT_EQ(registered.results(0).result(), v1::KEY_REVOKED);
  const wallet::KeyPair old_phone = alice_;
  alice_ = wallet::GenerateKeyPair();
  entry->set_public_key(alice_.public_key);
  entry->set_manager(true);
  ASSERT_TRUE(ledger_->RegisterKeys(ContextWithDeadline(kTimeout).get(), keys, &registered).ok());
  EXPECT_EQ(registered.results(0).result(), v1::KIND_INVALID);
  entry->set_manager(false);
  ASSERT_TRUE(ledger_->RegisterKeys(ContextWithDeadline(kTimeout).get(), keys, &registered).ok());
  EXPECT_EQ(registered.results(0).result(), v1::OK);
  ASSERT_TRUE(send_as(alice_, 3).ok());
  EXPECT_EQ(reply.result(), v1::OK);
  ASSERT_TRUE(Call(&v1::Pos::Stub::CreatePayment, "CreatePayment",
                   Charge("new-phone", 100, Code(51)), &charged)
                  .ok());
  EXPECT_EQ(charged.result(), v1::OK);
  status = send_as(old_phone, 4);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(status.error_message(), "signature mismatch (not this wallet's key, or altered)");
  EXPECT_EQ(Balance(kAlice), 9'700);
  EXPECT_EQ(Balance(kBob), 200);
}

TEST_F(PosE2eTest, TerminalRateLimit) {
  StartServer({"--pos_requests_per_second=1", "--pos_burst=3"});
  SetUpTown();
  if (HasFatalFailure()) return;
  v1::PosReply reply;
  v1::PaymentIdRequest which;
  which.set_payment_id("none");
  int exhausted = 0;
  for (int i = 0; i < 8; ++i) {
    grpc::Status status = Call(&v1::Pos::Stub::GetPayment, "GetPayment", which, &reply);
    if (status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) ++exhausted;
  }
  EXPECT_GE(exhausted, 4) << "8 requests at once against a burst of 3";
}

// Requests that are not the terminal's own (wrong key) are refused without spending its allowance.
TEST_F(PosE2eTest, ForgedRequestsDoNotSpendATerminalsAllowance) {
  StartServer({"--pos_requests_per_second=0.1", "--pos_burst=2"});
  SetUpTown();
  if (HasFatalFailure()) return;
  v1::PosReply reply;
  v1::PaymentIdRequest which;
  which.set_payment_id("none");
  const Terminal forger{IdBytes(kShop), "REG-1", wallet::GenerateKeyPair()};
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(Call(&v1::Pos::Stub::GetPayment, "GetPayment", which, &reply, &forger).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
  EXPECT_EQ(Call(&v1::Pos::Stub::GetPayment, "GetPayment", which, &reply).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Call(&v1::Pos::Stub::GetPayment, "GetPayment", which, &reply).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Call(&v1::Pos::Stub::GetPayment, "GetPayment", which, &reply).error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
}

// The per-wallet limit: a burst of 2 at 0.1 per second; forged requests spend none of it.
TEST_F(PosE2eTest, WalletRateLimit) {
  StartServer({"--wallet_requests_per_second=0.1", "--wallet_burst=2"});
  SetUpTown();
  if (HasFatalFailure()) return;
  v1::SendRequest send;
  send.set_to_account_id(IdBytes(kBob));
  send.set_amount(1);
  v1::WalletReply reply;
  auto sign = [&](const wallet::KeyPair& keys, uint64_t n) {
    send.set_transfer_id(IdBytes(0x7a7e, n));
    return wallet::SignWalletRequest(keys, IdBytes(kAlice), "Send", send, WallClockMs(), n);
  };
  const wallet::KeyPair mallory = wallet::GenerateKeyPair();
  for (uint64_t n = 1; n <= 10; ++n) {
    EXPECT_EQ(
        wallet_->Send(ContextWithDeadline(kTimeout).get(), sign(mallory, n), &reply).error_code(),
        grpc::StatusCode::PERMISSION_DENIED);
  }
  for (uint64_t n = 11; n <= 12; ++n) {
    ASSERT_TRUE(wallet_->Send(ContextWithDeadline(kTimeout).get(), sign(alice_, n), &reply).ok());
    EXPECT_EQ(reply.result(), v1::OK);
  }
  const grpc::Status limited =
      wallet_->Send(ContextWithDeadline(kTimeout).get(), sign(alice_, 13), &reply);
  EXPECT_EQ(limited.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(limited.error_message(),
            absl::StrCat("wallet ", Id128{0, kAlice}.ToHex(),
                         ": more than 0.1 requests per second; slow down"));
  EXPECT_EQ(Balance(kBob), 2);
}

// A shop that also takes health points (the operator's register names its points account): a
// resident pays with a points code at the same terminal; the day's close reports each asset.
TEST_F(PosE2eTest, ShopThatTakesHealthPoints) {
  StartServer();
  SetUpTown();
  if (HasFatalFailure()) return;
  constexpr uint64_t kPointsIssuer = 40, kAlicePoints = 41, kShopPoints = 42;
  v1::CreateAssetsRequest assets;
  v1::Asset* points = assets.add_assets();
  points->set_id(2);
  points->set_code("PT");
  points->set_breakage_account_id(IdBytes(3));
  v1::CreateReply created;
  ASSERT_TRUE(ledger_->CreateAssets(ContextWithDeadline(kTimeout).get(), assets, &created).ok());
  v1::CreateAccountsRequest accounts;
  for (auto [id, kind] : std::vector<std::pair<uint64_t, v1::AccountKind>>{
           {kPointsIssuer, v1::ISSUER}, {kAlicePoints, v1::WALLET}, {kShopPoints, v1::MERCHANT}}) {
    v1::Account* account = accounts.add_accounts();
    account->set_id(IdBytes(id));
    account->set_asset(2);
    account->set_kind(kind);
  }
  ASSERT_TRUE(
      ledger_->CreateAccounts(ContextWithDeadline(kTimeout).get(), accounts, &created).ok());
  v1::CreateTransfersRequest funding;
  *funding.add_transfers() = MakeTransfer(0, 7, kPointsIssuer, kAlicePoints, 500);
  ASSERT_TRUE(
      ledger_->CreateTransfers(ContextWithDeadline(kTimeout).get(), funding, &created).ok());
  v1::RegisterKeysRequest keys;
  v1::PublicKey* key = keys.add_keys();
  key->set_account_id(IdBytes(kAlicePoints));
  key->set_public_key(alice_.public_key);
  ASSERT_TRUE(ledger_->RegisterKeys(ContextWithDeadline(kTimeout).get(), keys, &created).ok());
  const std::string points_code =
      *wallet::IssueCpm(alice_, IdBytes(kAlicePoints), 1, WallClockMs(), 60);

  using S = v1::Pos::Stub;
  v1::PosReply reply;
  ASSERT_TRUE(
      Call(&S::CreatePayment, "CreatePayment", Charge("pt-1", 200, points_code), &reply).ok());
  EXPECT_EQ(reply.result(), v1::ASSET_NOT_ACCEPTED);
  v1::SetMerchantProfilesRequest profiles;
  v1::MerchantProfile* profile = profiles.add_profiles();
  profile->set_merchant_id(IdBytes(kShop));
  profile->add_accepts_account_ids(IdBytes(kShopPoints));
  ASSERT_TRUE(
      ledger_->SetMerchantProfiles(ContextWithDeadline(kTimeout).get(), profiles, &created).ok());
  ASSERT_EQ(created.results(0).result(), v1::OK);
  // The same id and code, now accepted: the refusal above decided nothing.
  ASSERT_TRUE(
      Call(&S::CreatePayment, "CreatePayment", Charge("pt-1", 200, points_code), &reply).ok());
  ASSERT_EQ(reply.result(), v1::OK);
  EXPECT_EQ(reply.payment().asset(), 2u);
  EXPECT_EQ(Balance(kShopPoints), 200);
  ASSERT_TRUE(Call(&S::CreatePayment, "CreatePayment", Charge("c-1", 700, Code(2)), &reply).ok());
  ASSERT_EQ(reply.result(), v1::OK);
  EXPECT_EQ(reply.payment().asset(), 1u);
  v1::CloseDayRequest close;
  close.set_business_day(reply.payment().business_day());
  ASSERT_TRUE(Call(&S::CloseDay, "CloseDay", close, &reply).ok());
  ASSERT_EQ(reply.day_size(), 4);  // Coin: total, REG-1; points: total, REG-1.
  EXPECT_EQ(reply.day(0).asset(), 1u);
  EXPECT_EQ(reply.day(0).gross(), 700);
  EXPECT_EQ(reply.day(2).asset(), 2u);
  EXPECT_EQ(reply.day(2).account_id(), IdBytes(kShopPoints));
  EXPECT_EQ(reply.day(2).terminal_id(), "");
  EXPECT_EQ(reply.day(2).gross(), 200);
  EXPECT_EQ(reply.day(3).terminal_id(), "REG-1");
}

}  // namespace
}  // namespace ledger
