// A visitor's farm stay end to end through a real ledgerd: the farm (a merchant with a terminal)
// posts a three-day task with a city subsidy, which reserves every slot-day in escrow; the visitor
// applies with her wallet, the farm accepts, she checks in and out today with codes the farm's
// device signed, the farm confirms and she is paid from escrow; a forged code, an outsider, a
// second check-in and a task the farm cannot afford are refused; the operator reads the task with
// its applications. (Multi-day flows — automatic release after the dispute window, the task's end —
// run on the logical clock in ledger/core/tasks_test.)
#include <grpcpp/grpcpp.h>

#include <chrono>

#include "formats/keys.h"
#include "gtest/gtest.h"
#include "ledger/client/client.h"
#include "ledger/core/pos.h"
#include "ledger/core/tasks.h"
#include "merchant/pos_client.h"
#include "tests/ledger_process.h"
#include "tests/payments.h"
#include "wallet/wallet_client.h"

namespace ledger {
namespace {

using testing::LedgerProcess;
using testing::MakeTempDir;
using testing::MakeTransfer;

constexpr auto kTimeout = std::chrono::seconds(10);
constexpr uint64_t kIssuer = 1, kFarm = 20, kEscrow = 30, kCity = 40, kVisitor = 50, kOutsider = 51;

class TaskE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string dir = MakeTempDir("task") + "/ledger";
    ASSERT_TRUE(server_.StartNode(dir, "127.0.0.1:0", {}).ok()) << server_.log_path();
    ASSERT_TRUE(
        WaitForLedger(v1::Ledger::NewStub(server_.operator_channel()).get(), kTimeout).ok());
    auto channel = server_.public_channel();
    ledger_ = v1::Ledger::NewStub(server_.operator_channel());
    pos_ = v1::Pos::NewStub(channel);
    wallet_ = v1::Wallet::NewStub(channel);
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
                                                           {kFarm, v1::MERCHANT},
                                                           {kEscrow, v1::ESCROW},
                                                           {kCity, v1::BUDGET},
                                                           {kVisitor, v1::WALLET},
                                                           {kOutsider, v1::WALLET}}) {
      v1::Account* account = accounts.add_accounts();
      account->set_id(IdBytes(id));
      account->set_asset(1);
      account->set_kind(kind);
      account->set_flags(kind == v1::ISSUER || kind == v1::ESCROW ? 0 : v1::NON_NEGATIVE);
    }
    ASSERT_TRUE(
        ledger_->CreateAccounts(ContextWithDeadline(kTimeout).get(), accounts, &reply).ok());
    v1::CreateTransfersRequest funding;
    *funding.add_transfers() = MakeTransfer(0, 1, kIssuer, kFarm, 20'000);
    *funding.add_transfers() = MakeTransfer(0, 2, kIssuer, kCity, 50'000);
    ASSERT_TRUE(
        ledger_->CreateTransfers(ContextWithDeadline(kTimeout).get(), funding, &reply).ok());
    for (const auto& result : reply.results()) ASSERT_EQ(result.result(), v1::OK);
    terminal_ = merchant::Terminal{IdBytes(kFarm), "FARM-1", wallet::GenerateKeyPair()};
    device_ = wallet::GenerateKeyPair();
    visitor_ = wallet::GenerateKeyPair();
    outsider_ = wallet::GenerateKeyPair();
    v1::RegisterKeysRequest keys;
    v1::PublicKey* key = keys.add_keys();
    key->set_account_id(IdBytes(kFarm));
    key->set_key_id("FARM-1");
    key->set_public_key(terminal_.keys.public_key);
    for (auto [id, pair] : std::vector<std::pair<uint64_t, const wallet::KeyPair*>>{
             {kVisitor, &visitor_}, {kOutsider, &outsider_}}) {
      key = keys.add_keys();
      key->set_account_id(IdBytes(id));
      key->set_public_key(pair->public_key);
    }
    ASSERT_TRUE(ledger_->RegisterKeys(ContextWithDeadline(kTimeout).get(), keys, &reply).ok());
    for (const auto& result : reply.results()) ASSERT_EQ(result.result(), v1::OK);
  }

  v1::PosReply Host(grpc::Status (v1::Pos::Stub::*rpc)(grpc::ClientContext*,
                                                       const v1::SignedRequest&, v1::PosReply*),
                    const char* method, const google::protobuf::Message& body) {
    v1::PosReply reply;
    grpc::Status status = (pos_.get()->*rpc)(
        ContextWithDeadline(kTimeout).get(),
        merchant::SignRequest(terminal_, method, body, merchant::WallClockMs()), &reply);
    EXPECT_TRUE(status.ok()) << method << ": " << status.error_message();
    return reply;
  }
  v1::WalletReply Visitor(grpc::Status (v1::Wallet::Stub::*rpc)(grpc::ClientContext*,
                                                                const v1::WalletRequest&,
                                                                v1::WalletReply*),
                          const char* method, const google::protobuf::Message& body,
                          uint64_t account = kVisitor) {
    const wallet::KeyPair& keys = account == kVisitor ? visitor_ : outsider_;
    v1::WalletReply reply;
    grpc::Status status = (wallet_.get()->*rpc)(
        ContextWithDeadline(kTimeout).get(),
        wallet::SignWalletRequest(keys, IdBytes(account), method, body, merchant::WallClockMs(),
                                  wallet::RandomNonce()),
        &reply);
    EXPECT_TRUE(status.ok()) << method << ": " << status.error_message();
    return reply;
  }
  // The code the farm's device shows for `visitor` today.
  std::string Code(uint64_t visitor, uint32_t day, bool out, const wallet::KeyPair& device) {
    return wallet::Sign(device,
                        TaskCodeSignedBytes(*Id128::FromBytes(IdBytes(kFarm)), "rice-harvest",
                                            *Id128::FromBytes(IdBytes(visitor)), day, out));
  }
  int64_t Balance(uint64_t id) {
    v1::LookupAccountsRequest request;
    request.add_ids(IdBytes(id));
    v1::LookupAccountsReply reply;
    EXPECT_TRUE(ledger_->LookupAccounts(ContextWithDeadline(kTimeout).get(), request, &reply).ok());
    return reply.accounts_size() ? reply.accounts(0).balance() : -1;
  }

  LedgerProcess server_;
  std::unique_ptr<v1::Ledger::Stub> ledger_;
  std::unique_ptr<v1::Pos::Stub> pos_;
  std::unique_ptr<v1::Wallet::Stub> wallet_;
  merchant::Terminal terminal_;
  wallet::KeyPair device_, visitor_, outsider_;
};

TEST_F(TaskE2eTest, AFarmStayDayFromPostingToPayment) {
  const uint32_t today = BusinessDay(static_cast<Timestamp>(merchant::WallClockMs()) * 1'000'000);
  v1::PostTaskRequest task;
  task.set_task_id("rice-harvest");
  task.set_title("Rice harvest and drying / 稲刈り・はざ掛け");
  task.set_first_day(today);
  task.set_last_day(
      DayNumber(BusinessDayIndex(static_cast<Timestamp>(merchant::WallClockMs()) * 1'000'000) + 2));
  task.set_slots(2);
  task.set_per_day(4000);
  task.set_escrow_account_id(IdBytes(kEscrow));
  task.set_subsidy_account_id(IdBytes(kCity));
  task.set_subsidy_percent(25);
  task.set_hours_per_day(5);
  task.set_host_key(device_.public_key);
  task.set_wage_reference("none: thank-you only");
  // The city has not granted its budget to the farm yet: the subsidy is refused and nothing is
  // reserved.
  EXPECT_EQ(Host(&v1::Pos::Stub::PostTask, "PostTask", task).result(), v1::SUBSIDY_NOT_GRANTED);
  v1::GrantSubsidiesRequest grants;
  v1::SubsidyGrant* grant = grants.add_grants();
  grant->set_budget_account_id(IdBytes(kCity));
  grant->set_host_account_id(IdBytes(kFarm));
  grant->set_percent_max(25);
  grant->set_monthly_max(100'000);
  v1::CreateReply granted;
  ASSERT_TRUE(ledger_->GrantSubsidies(ContextWithDeadline(kTimeout).get(), grants, &granted).ok());
  ASSERT_EQ(granted.results(0).result(), v1::OK);
  grant->set_category("farm");  // Both a host and a category: refused before anything is submitted.
  grpc::Status malformed =
      ledger_->GrantSubsidies(ContextWithDeadline(kTimeout).get(), grants, &granted);
  EXPECT_EQ(malformed.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(malformed.error_message(), "grants[0]: exactly one of host and category");
  // 2 slots x 3 days x 3,000 (the farm's 75 %) = 18,000 of the farm's 20,000 are reserved.
  ASSERT_EQ(Host(&v1::Pos::Stub::PostTask, "PostTask", task).result(), v1::OK);
  EXPECT_TRUE(Host(&v1::Pos::Stub::PostTask, "PostTask", task).duplicate());
  v1::PostTaskRequest second = task;
  second.set_task_id("weeding");
  const v1::PosReply refused = Host(&v1::Pos::Stub::PostTask, "PostTask", second);
  EXPECT_EQ(refused.result(), v1::EXCEEDS_BALANCE);
  EXPECT_EQ(refused.available(), 2000);

  // The farm gives up one of its two slots. A captured copy of that request, replayed, gives up
  // nothing more (before, each replay within the time window gave up another slot).
  v1::CancelSlotsRequest cancel;
  cancel.set_task_id("rice-harvest");
  cancel.set_count(1);
  const v1::SignedRequest captured =
      merchant::SignRequest(terminal_, "CancelSlots", cancel, merchant::WallClockMs());
  v1::PosReply cancelled;
  ASSERT_TRUE(pos_->CancelSlots(ContextWithDeadline(kTimeout).get(), captured, &cancelled).ok());
  ASSERT_EQ(cancelled.result(), v1::OK);
  ASSERT_TRUE(pos_->CancelSlots(ContextWithDeadline(kTimeout).get(), captured, &cancelled).ok());
  EXPECT_EQ(cancelled.result(), v1::NONCE_REPLAYED);
  v1::GetTaskRequest which;
  which.set_host_account_id(IdBytes(kFarm));
  which.set_task_id("rice-harvest");
  v1::GetTaskReply shown;
  ASSERT_TRUE(ledger_->GetTask(ContextWithDeadline(kTimeout).get(), which, &shown).ok());
  EXPECT_EQ(shown.cancelled(), 1u);

  v1::ApplyTaskRequest apply;
  apply.set_host_account_id(IdBytes(kFarm));
  apply.set_task_id("rice-harvest");
  ASSERT_EQ(Visitor(&v1::Wallet::Stub::ApplyTask, "ApplyTask", apply).result(), v1::OK);
  v1::DecideApplicationRequest decide;
  decide.set_task_id("rice-harvest");
  decide.set_visitor_account_id(IdBytes(kVisitor));
  decide.set_accept(true);
  ASSERT_EQ(Host(&v1::Pos::Stub::DecideApplication, "DecideApplication", decide).result(), v1::OK);

  v1::CheckInRequest check;
  check.set_host_account_id(IdBytes(kFarm));
  check.set_task_id("rice-harvest");
  check.set_host_signature(
      Code(kVisitor, today, false, wallet::GenerateKeyPair()));  // Not the farm's device.
  EXPECT_EQ(Visitor(&v1::Wallet::Stub::CheckIn, "CheckIn", check).result(), v1::SIGNATURE_INVALID);
  check.set_host_signature(Code(kOutsider, today, false, device_));
  EXPECT_EQ(Visitor(&v1::Wallet::Stub::CheckIn, "CheckIn", check, kOutsider).result(),
            v1::APPLICATION_NOT_FOUND);
  check.set_host_signature(Code(kVisitor, today, false, device_));
  ASSERT_EQ(Visitor(&v1::Wallet::Stub::CheckIn, "CheckIn", check).result(), v1::OK);
  EXPECT_TRUE(Visitor(&v1::Wallet::Stub::CheckIn, "CheckIn", check).duplicate());
  check.set_out(true);
  check.set_host_signature(Code(kVisitor, today, true, device_));
  ASSERT_EQ(Visitor(&v1::Wallet::Stub::CheckIn, "CheckIn", check).result(), v1::OK);

  v1::ConfirmDayRequest confirm;
  confirm.set_task_id("rice-harvest");
  confirm.set_visitor_account_id(IdBytes(kVisitor));
  confirm.set_day(today);
  ASSERT_EQ(Host(&v1::Pos::Stub::ConfirmDay, "ConfirmDay", confirm).result(), v1::OK);
  EXPECT_EQ(Balance(kVisitor), 4000);
  EXPECT_EQ(Balance(kFarm), 20'000 - 3000);
  EXPECT_EQ(Balance(kCity), 50'000 - 1000);
  EXPECT_EQ(Balance(kEscrow), 0);
  confirm.set_action("refund");
  v1::PosReply unused;
  EXPECT_EQ(pos_->ConfirmDay(ContextWithDeadline(kTimeout).get(),
                             merchant::SignRequest(terminal_, "ConfirmDay", confirm,
                                                   merchant::WallClockMs()),
                             &unused)
                .error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  v1::GetTaskRequest get;
  get.set_host_account_id(IdBytes(kFarm));
  get.set_task_id("rice-harvest");
  v1::GetTaskReply info;
  ASSERT_TRUE(ledger_->GetTask(ContextWithDeadline(kTimeout).get(), get, &info).ok());
  EXPECT_EQ(info.task().per_day(), 4000);
  EXPECT_EQ(info.accepted(), 1u);
  ASSERT_EQ(info.applications_size(), 1);
  EXPECT_EQ(info.applications(0).slot(), 1u);
  ASSERT_EQ(info.applications(0).days_size(), 1);
  EXPECT_EQ(info.applications(0).days(0).state(), "confirmed");
  get.set_task_id("no-such-task");
  EXPECT_EQ(ledger_->GetTask(ContextWithDeadline(kTimeout).get(), get, &info).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

}  // namespace
}  // namespace ledger
