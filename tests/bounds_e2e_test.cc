// Bounded inputs, end to end through a real ledgerd: an over-long string or bytes field in a
// request of each service (Ledger, Pos, Wallet, Health), in a signed envelope or in the body it
// carries, is refused with INVALID_ARGUMENT naming the field and its bound, and nothing reaches the
// journal (its head index does not move). A 10 MB card number is larger than any request may be:
// gRPC refuses it before the Pos service reads it. Unreadable bytes sent to Ledger.CreateTransfers
// are INVALID_ARGUMENT saying so. The largest legitimate request, a CreateTransfers of 8,190
// transfers with every field set, is accepted.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <functional>
#include <future>

#include "gtest/gtest.h"
#include "ledger/client/client.h"
#include "merchant/pos_client.h"
#include "tests/ledger_process.h"
#include "tests/payments.h"
#include "wallet/wallet_client.h"

namespace ledger {
namespace {

using merchant::SignRequest;
using merchant::Terminal;
using merchant::WallClockMs;
using testing::LedgerProcess;
using testing::MakeTempDir;

constexpr auto kTimeout = std::chrono::seconds(20);
constexpr uint64_t kIssuer = 1, kAlice = 10, kShop = 20;

class BoundsE2eTest : public ::testing::Test {
 public:
  void SetUp() override {
    const std::string dir = MakeTempDir("bounds") + "/ledger";
    ASSERT_TRUE(server_.StartNode(dir, "127.0.0.1:0", {}).ok()) << server_.log_path();
    channel_ = server_.operator_channel();
    ledger_ = v1::Ledger::NewStub(channel_);
    ASSERT_TRUE(WaitForLedger(ledger_.get(), kTimeout).ok());
    public_ = server_.public_channel();
    pos_ = v1::Pos::NewStub(public_);
    wallet_ = v1::Wallet::NewStub(public_);
    health_ = v1::Health::NewStub(public_);
    testing::Town town = testing::MakeTown(kIssuer, kAlice, 1, 10'000);
    v1::Account* shop = town.accounts.add_accounts();
    shop->set_id(IdBytes(kShop));
    shop->set_asset(1);
    shop->set_kind(v1::MERCHANT);
    v1::CreateReply reply;
    ASSERT_TRUE(
        ledger_->CreateAssets(ContextWithDeadline(kTimeout).get(), town.assets, &reply).ok());
    ASSERT_TRUE(
        ledger_->CreateAccounts(ContextWithDeadline(kTimeout).get(), town.accounts, &reply).ok());
    ASSERT_TRUE(
        ledger_->CreateTransfers(ContextWithDeadline(kTimeout).get(), town.funding, &reply).ok());
    alice_ = wallet::GenerateKeyPair();
    terminal_ = Terminal{IdBytes(kShop), "REG-1", wallet::GenerateKeyPair()};
    v1::RegisterKeysRequest keys;
    keys.add_keys()->set_account_id(IdBytes(kAlice));
    keys.mutable_keys(0)->set_public_key(alice_.public_key);
    keys.add_keys()->set_account_id(IdBytes(kShop));
    keys.mutable_keys(1)->set_key_id("REG-1");
    keys.mutable_keys(1)->set_public_key(terminal_.keys.public_key);
    ASSERT_TRUE(ledger_->RegisterKeys(ContextWithDeadline(kTimeout).get(), keys, &reply).ok());
    for (const v1::ItemResult& result : reply.results()) ASSERT_EQ(result.result(), v1::OK);
  }

  uint64_t JournalIndex() {
    v1::GetDigestReply digest;
    EXPECT_TRUE(
        ledger_->GetDigest(ContextWithDeadline(kTimeout).get(), v1::GetDigestRequest(), &digest)
            .ok());
    return digest.journal_index();
  }

  using PosRpc = grpc::Status (v1::Pos::Stub::*)(grpc::ClientContext*, const v1::SignedRequest&,
                                                 v1::PosReply*);
  grpc::Status Pos(PosRpc rpc, const char* method, const google::protobuf::Message& body) {
    v1::PosReply reply;
    return (pos_.get()->*rpc)(ContextWithDeadline(kTimeout).get(),
                              SignRequest(terminal_, method, body, WallClockMs()), &reply);
  }
  grpc::Status Pos(PosRpc rpc, const v1::SignedRequest& envelope) {
    v1::PosReply reply;
    return (pos_.get()->*rpc)(ContextWithDeadline(kTimeout).get(), envelope, &reply);
  }
  v1::WalletRequest Signed(const char* method, const google::protobuf::Message& body) {
    return wallet::SignWalletRequest(alice_, IdBytes(kAlice), method, body, WallClockMs(),
                                     wallet::RandomNonce());
  }

  LedgerProcess server_;
  std::shared_ptr<grpc::Channel> channel_;  // The operator services (mutual TLS).
  std::shared_ptr<grpc::Channel> public_;   // Pos, Wallet, Health (server TLS).
  std::unique_ptr<v1::Ledger::Stub> ledger_;
  std::unique_ptr<v1::Pos::Stub> pos_;
  std::unique_ptr<v1::Wallet::Stub> wallet_;
  std::unique_ptr<v1::Health::Stub> health_;
  wallet::KeyPair alice_;
  Terminal terminal_;
};

v1::CardPaymentRequest CardPayment(const std::string& card_number) {
  v1::CardPaymentRequest body;
  body.set_payment_id("card-1");
  body.set_amount(400);
  body.set_card_number(card_number);
  body.set_pin("2468");
  body.set_staff_id("sato");
  return body;
}

struct Case {
  const char* name;
  std::function<grpc::Status(BoundsE2eTest&)> call;
  grpc::StatusCode code;
  std::string message;  // Expected exactly; empty: not checked.
};

TEST_F(BoundsE2eTest, OverlongFieldsAreRefusedNamingTheFieldAndNothingIsJournaled) {
  using P = v1::Pos::Stub;
  const std::vector<Case> cases = {
      // Pos: the 10 MB card number of the review, larger than any request may be.
      {"Pos.CardPayment, a 10 MB card number",
       [](BoundsE2eTest& t) {
         return t.Pos(&P::CardPayment, "CardPayment", CardPayment(std::string(10 << 20, '6')));
       },
       grpc::StatusCode::RESOURCE_EXHAUSTED, ""},
      {"Pos.CardPayment, a 20-digit card number",
       [](BoundsE2eTest& t) {
         return t.Pos(&P::CardPayment, "CardPayment", CardPayment(std::string(20, '6')));
       },
       grpc::StatusCode::INVALID_ARGUMENT, "card_number: at most 19 characters, got 20"},
      {"Pos.CardPayment, a body over its bound",
       [](BoundsE2eTest& t) {
         return t.Pos(&P::CardPayment, "CardPayment", CardPayment(std::string(2000, '6')));
       },
       grpc::StatusCode::INVALID_ARGUMENT, "body: at most 1024 bytes, got 2026"},
      {"Pos.CreatePayment, a 166-character code",
       [](BoundsE2eTest& t) {
         v1::CreatePaymentRequest body;
         body.set_payment_id("pay-1");
         body.set_amount(100);
         body.set_cpm(std::string(166, 'A'));
         return t.Pos(&P::CreatePayment, "CreatePayment", body);
       },
       grpc::StatusCode::INVALID_ARGUMENT, "cpm: at most 165 characters, got 166"},
      {"Pos.CancelSlots, a 65-character task id",
       [](BoundsE2eTest& t) {
         v1::CancelSlotsRequest body;
         body.set_task_id(std::string(65, 't'));
         body.set_count(1);
         return t.Pos(&P::CancelSlots, "CancelSlots", body);
       },
       grpc::StatusCode::INVALID_ARGUMENT, "task_id: at most 64 characters, got 65"},
      {"Pos envelope, a 33-character terminal id",
       [](BoundsE2eTest& t) {
         v1::PaymentIdRequest body;
         body.set_payment_id("pay-1");
         v1::SignedRequest envelope =
             SignRequest(t.terminal_, "CancelPayment", body, WallClockMs());
         envelope.set_terminal_id(std::string(33, 'T'));
         return t.Pos(&P::CancelPayment, envelope);
       },
       grpc::StatusCode::INVALID_ARGUMENT, "terminal_id: at most 32 characters, got 33"},
      // Wallet.
      {"Wallet.PayMpm, a 513-character payload",
       [](BoundsE2eTest& t) {
         v1::PayMpmRequest body;
         body.set_payload(std::string(513, '0'));
         v1::WalletReply reply;
         return t.wallet_->PayMpm(ContextWithDeadline(kTimeout).get(), t.Signed("PayMpm", body),
                                  &reply);
       },
       grpc::StatusCode::INVALID_ARGUMENT, "payload: at most 512 characters, got 513"},
      {"Wallet.ApplyTask, a 65-character task id",
       [](BoundsE2eTest& t) {
         v1::ApplyTaskRequest body;
         body.set_host_account_id(IdBytes(kShop));
         body.set_task_id(std::string(65, 't'));
         v1::WalletReply reply;
         return t.wallet_->ApplyTask(ContextWithDeadline(kTimeout).get(),
                                     t.Signed("ApplyTask", body), &reply);
       },
       grpc::StatusCode::INVALID_ARGUMENT, "task_id: at most 64 characters, got 65"},
      // Health.
      {"Health.RegisterDevice, a 33-character device id",
       [](BoundsE2eTest& t) {
         v1::RegisterDeviceRequest body;
         body.set_device_id(std::string(33, 'd'));
         body.set_public_key(std::string(32, 'k'));
         v1::WalletReply reply;
         return t.health_->RegisterDevice(ContextWithDeadline(kTimeout).get(),
                                          t.Signed("RegisterDevice", body), &reply);
       },
       grpc::StatusCode::INVALID_ARGUMENT, "device_id: at most 32 characters, got 33"},
      {"Health.ReportSteps, a 65-byte signature",
       [](BoundsE2eTest& t) {
         v1::StepReportRequest report;
         report.set_program(1);
         report.set_resident_id(IdBytes(kAlice));
         report.set_device_id("phone-1");
         report.set_day(20261123);
         report.set_steps(8000);
         report.set_nonce(1);
         report.set_signature(std::string(65, 's'));
         v1::StepReportReply reply;
         return t.health_->ReportSteps(ContextWithDeadline(kTimeout).get(), report, &reply);
       },
       grpc::StatusCode::INVALID_ARGUMENT, "signature: must be 64 bytes (Ed25519), got 65"},
      // Ledger (operator).
      {"Ledger.RegisterCards, a 20-digit card number",
       [](BoundsE2eTest& t) {
         v1::RegisterCardsRequest request;
         v1::Card* card = request.add_cards();
         card->set_card_number(std::string(20, '6'));
         card->set_account_id(IdBytes(kAlice));
         card->set_pin("2468");
         v1::CreateReply reply;
         return t.ledger_->RegisterCards(ContextWithDeadline(kTimeout).get(), request, &reply);
       },
       grpc::StatusCode::INVALID_ARGUMENT, "cards[0].card_number: at most 19 characters, got 20"},
      {"Ledger.CreateCampaign, a 65-byte name",
       [](BoundsE2eTest& t) {
         v1::Campaign campaign;
         campaign.set_campaign(7);
         campaign.set_name(std::string(65, 'n'));
         campaign.set_funding_account_id(IdBytes(kIssuer));
         v1::CreateReply reply;
         return t.ledger_->CreateCampaign(ContextWithDeadline(kTimeout).get(), campaign, &reply);
       },
       grpc::StatusCode::INVALID_ARGUMENT, "name: at most 64 bytes, got 65"},
  };
  for (const Case& c : cases) {
    const uint64_t before = JournalIndex();
    const grpc::Status status = c.call(*this);
    EXPECT_EQ(status.error_code(), c.code) << c.name << ": " << status.error_message();
    if (!c.message.empty()) {
      EXPECT_EQ(status.error_message(), c.message) << c.name;
    }
    EXPECT_EQ(JournalIndex(), before) << c.name << ": the journal grew";
  }
}

// Bytes that are no CreateTransfersRequest, sent as one (as a client with another schema, or a
// broken one, would): INVALID_ARGUMENT saying what is wrong, not UNIMPLEMENTED.
TEST_F(BoundsE2eTest, UnreadableCreateTransfersIsInvalidArgument) {
  grpc::GenericStub generic(channel_);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + kTimeout);
  const std::string garbage("\x0a\xff\xff\xff\xff\x0f", 6);  // Field 1, a length far past the end.
  grpc::Slice slice(garbage);
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
  std::promise<grpc::Status> done;
  const uint64_t before = JournalIndex();
  generic.UnaryCall(&context, "/ledger.v1.Ledger/CreateTransfers", grpc::StubOptions(), &request,
                    &response, [&](grpc::Status status) { done.set_value(status); });
  const grpc::Status status = done.get_future().get();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_EQ(status.error_message(),
            "request: 6 bytes that are not a CreateTransfersRequest message");
  EXPECT_EQ(JournalIndex(), before);
}

// The largest legitimate request: 8,190 transfers with every field set at its widest encoding.
// Nothing legitimate is refused for its size.
TEST_F(BoundsE2eTest, TheLargestCreateTransfersIsAccepted) {
  v1::CreateTransfersRequest request;
  for (uint64_t i = 0; i < 8190; ++i) {
    v1::Transfer* transfer = request.add_transfers();
    *transfer = testing::MakeTransfer(~uint64_t{0}, ~uint64_t{0} - i, kIssuer, kAlice, INT64_MAX);
    transfer->set_pending_id(IdBytes(~uint64_t{0}, ~uint64_t{0}));
    transfer->set_timeout_seconds(INT64_MIN);
    transfer->set_code(UINT32_MAX);
    transfer->set_flags(UINT32_MAX);
    transfer->set_user_data(UINT64_MAX);
    transfer->set_asset(UINT32_MAX);
    transfer->set_timestamp(UINT64_MAX);
    transfer->set_result(static_cast<v1::Result>(INT32_MAX));
    transfer->set_pending_state(static_cast<v1::PendingState>(INT32_MAX));
    transfer->set_amount_posted(INT64_MIN);
  }
  ASSERT_GT(request.ByteSizeLong(), 1'300'000u);
  v1::CreateReply reply;
  const grpc::Status status =
      ledger_->CreateTransfers(ContextWithDeadline(kTimeout).get(), request, &reply);
  ASSERT_TRUE(status.ok()) << status.error_code() << " " << status.error_message();
  EXPECT_EQ(reply.results_size(), 8190);
}

}  // namespace
}  // namespace ledger
