// Four-eyes issuance end to end through a real ledgerd: with the rule on, a large top-up or a fee
// change sent directly moves nothing (four_eyes_required); proposed by one operator, it is refused
// when the same operator approves it, applied when a second one does (both names in the journal),
// never twice, and not once the proposal has expired. Operators are named by their client
// certificates (mutual TLS; tests/ledger_process.h TestTransport).
#include <grpcpp/grpcpp.h>

#include <thread>

#include "gtest/gtest.h"
#include "ledger/client/client.h"
#include "ledger/core/journal.h"
#include "ledger/core/proposals.h"
#include "tests/ledger_process.h"

namespace ledger {
namespace {

using testing::LedgerProcess;
using testing::MakeTempDir;

constexpr auto kTimeout = std::chrono::seconds(10);
constexpr uint64_t kIssuer = 10, kWallet = 11, kFees = 12;
constexpr int64_t kThreshold = 1'000'000;

class FourEyesE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("four_eyes");
    ASSERT_TRUE(server_.Start(dir_ + "/ledger").ok()) << "log: " << server_.log_path();
    treasurer_ = As("city-treasurer");
    deputy_ = As("deputy-treasurer");
    v1::CreateAssetsRequest assets;
    v1::Asset* coin = assets.add_assets();
    coin->set_id(1);
    coin->set_code("COIN");
    coin->set_breakage_account_id(IdBytes(901));
    v1::CreateReply reply;
    ASSERT_TRUE(treasurer_->CreateAssets(Context().get(), assets, &reply).ok());
    v1::CreateAccountsRequest accounts;
    for (auto [id, kind] : {std::pair{kIssuer, v1::ISSUER}, std::pair{kWallet, v1::WALLET},
                            std::pair{kFees, v1::FEE}}) {
      v1::Account* a = accounts.add_accounts();
      a->set_id(IdBytes(id));
      a->set_asset(1);
      a->set_kind(kind);
      if (kind != v1::ISSUER) a->set_flags(v1::NON_NEGATIVE);
    }
    ASSERT_TRUE(treasurer_->CreateAccounts(Context().get(), accounts, &reply).ok());
    for (const auto& r : reply.results()) ASSERT_EQ(r.result(), v1::OK) << r.index();
    v1::SetFourEyesRequest on;
    on.set_issuance_threshold(kThreshold);
    ASSERT_EQ(Result(treasurer_->SetFourEyes(Context().get(), on, &reply), reply), v1::OK);
  }

  std::unique_ptr<v1::Ledger::Stub> As(const std::string& name) {
    return v1::Ledger::NewStub(
        OperatorChannel(server_.operator_address(), testing::TestTransport(name)));
  }
  static std::unique_ptr<grpc::ClientContext> Context() { return ContextWithDeadline(kTimeout); }
  static int Result(const grpc::Status& status, const v1::CreateReply& reply) {
    EXPECT_TRUE(status.ok()) << status.error_message();
    return reply.results_size() == 1 ? reply.results(0).result() : -1;
  }

  static v1::CreateTransfersRequest TopUp(uint64_t id, int64_t amount) {
    v1::CreateTransfersRequest request;
    v1::Transfer* t = request.add_transfers();
    t->set_id(IdBytes(id));
    t->set_debit_account_id(IdBytes(kIssuer));
    t->set_credit_account_id(IdBytes(kWallet));
    t->set_amount(amount);
    t->set_code(1);
    return request;
  }
  int Propose(v1::Ledger::Stub* as, uint64_t id, const std::string& method,
              const google::protobuf::Message& request, int64_t lifetime = 0) {
    v1::ProposeRequest propose;
    propose.set_proposal_id(IdBytes(id));
    propose.set_method(method);
    propose.set_request(request.SerializeAsString());
    propose.set_lifetime_seconds(lifetime);
    v1::CreateReply reply;
    return Result(as->Propose(Context().get(), propose, &reply), reply);
  }
  int Approve(v1::Ledger::Stub* as, uint64_t id, uint64_t* journal_index = nullptr) {
    v1::ApproveRequest approve;
    approve.set_proposal_id(IdBytes(id));
    v1::CreateReply reply;
    const int result = Result(as->Approve(Context().get(), approve, &reply), reply);
    if (journal_index != nullptr) *journal_index = reply.journal_index();
    return result;
  }
  int64_t Balance(uint64_t id) {
    v1::LookupAccountsRequest request;
    request.add_ids(IdBytes(id));
    v1::LookupAccountsReply reply;
    EXPECT_TRUE(deputy_->LookupAccounts(Context().get(), request, &reply).ok());
    return reply.accounts_size() == 1 ? reply.accounts(0).balance() : INT64_MIN;
  }
  JournalEntry Entry(uint64_t index) {
    v1::GetJournalRequest request;
    request.set_from_index(index);
    request.set_limit(1);
    v1::GetJournalReply reply;
    EXPECT_TRUE(deputy_->GetJournal(Context().get(), request, &reply).ok());
    EXPECT_EQ(reply.entries_size(), 1);
    std::optional<JournalEntry> entry =
        reply.entries_size() == 1 ? DecodeJournalEntry(reply.entries(0).data()) : std::nullopt;
    EXPECT_TRUE(entry.has_value());
    return entry ? *entry : JournalEntry{};
  }

  std::string dir_;
  LedgerProcess server_;
  std::unique_ptr<v1::Ledger::Stub> treasurer_, deputy_;
};

TEST_F(FourEyesE2eTest, ALargeTopUpNeedsASecondOperator) {
  v1::CreateReply reply;
  // Small top-ups go straight through; a large one sent directly moves nothing.
  ASSERT_EQ(
      Result(treasurer_->CreateTransfers(Context().get(), TopUp(1, kThreshold), &reply), reply),
      v1::OK);
  ASSERT_EQ(
      Result(treasurer_->CreateTransfers(Context().get(), TopUp(2, 5'000'000), &reply), reply),
      v1::FOUR_EYES_REQUIRED);
  EXPECT_EQ(Balance(kWallet), kThreshold);
  // Proposed by the treasurer: nothing moves; listed as pending.
  ASSERT_EQ(Propose(treasurer_.get(), 7, "CreateTransfers", TopUp(2, 5'000'000)), v1::OK);
  EXPECT_EQ(Balance(kWallet), kThreshold);
  v1::ListProposalsReply pending;
  ASSERT_TRUE(deputy_->ListProposals(Context().get(), v1::ListProposalsRequest(), &pending).ok());
  ASSERT_EQ(pending.proposals_size(), 1);
  EXPECT_EQ(pending.proposals(0).proposer(), "city-treasurer");
  EXPECT_EQ(pending.proposals(0).method(), "CreateTransfers");
  EXPECT_NE(pending.proposals(0).summary().find("5000000"), std::string::npos);
  // The same operator cannot approve it; a second one can, once.
  EXPECT_EQ(Approve(treasurer_.get(), 7), v1::FOUR_EYES_SAME_OPERATOR);
  EXPECT_EQ(Balance(kWallet), kThreshold);
  uint64_t approved_at = 0;
  ASSERT_EQ(Approve(deputy_.get(), 7, &approved_at), v1::OK);
  EXPECT_EQ(Balance(kWallet), kThreshold + 5'000'000);
  EXPECT_EQ(Approve(As("demo").get(), 7), v1::PROPOSAL_NOT_PENDING);
  {
    // An operator without the proposed method's role (CreateTransfers: treasurer) cannot approve.
    v1::ApproveRequest approve;
    approve.set_proposal_id(IdBytes(7));
    v1::CreateReply reply;
    const grpc::Status denied = As("auditor")->Approve(Context().get(), approve, &reply);
    EXPECT_EQ(denied.error_code(), grpc::StatusCode::PERMISSION_DENIED) << denied.error_message();
    EXPECT_NE(denied.error_message().find("needs the role treasurer"), std::string::npos)
        << denied.error_message();
  }
  EXPECT_EQ(Balance(kWallet), kThreshold + 5'000'000);
  // Both names are in the journal: the approval's entry names the approver, and the proposal it
  // applied (whose entry names the proposer).
  const JournalEntry approval = Entry(approved_at);
  ASSERT_EQ(approval.commands.size(), 1u);
  ASSERT_TRUE(std::holds_alternative<ledger::Approve>(approval.commands[0]));
  EXPECT_EQ(std::get<ledger::Approve>(approval.commands[0]).approver, "deputy-treasurer");
  ASSERT_EQ(approval.system_events.size(), 1u);  // What it moved, for the change stream.
  EXPECT_EQ(approval.system_events[0].type, SystemEventType::kApprovedTransfer);
  EXPECT_EQ(approval.system_events[0].amount, 5'000'000);
  bool proposer_journaled = false;
  for (uint64_t i = 1; i < approved_at; ++i) {
    for (const Command& command : Entry(i).commands) {
      if (const auto* p = std::get_if<ledger::Propose>(&command))
        proposer_journaled = p->proposer == "city-treasurer" && p->id == Id128{0, 7};
    }
  }
  EXPECT_TRUE(proposer_journaled);
  ASSERT_TRUE(deputy_->ListProposals(Context().get(), v1::ListProposalsRequest(), &pending).ok());
  EXPECT_EQ(pending.proposals_size(), 0);
}

TEST_F(FourEyesE2eTest, AnExpiredProposalMovesNothing) {
  ASSERT_EQ(Propose(treasurer_.get(), 8, "CreateTransfers", TopUp(3, 2'000'000), 1), v1::OK);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(Approve(deputy_.get(), 8), v1::PROPOSAL_EXPIRED);
  EXPECT_EQ(Balance(kWallet), 0);
  // A lifetime past 7 days, a method that cannot be proposed: refused before anything is submitted.
  v1::ProposeRequest bad;
  bad.set_proposal_id(IdBytes(9));
  bad.set_method("CreateTransfers");
  bad.set_request(TopUp(4, 2'000'000).SerializeAsString());
  bad.set_lifetime_seconds(kProposalLifetimeSecondsMax + 1);
  v1::CreateReply reply;
  grpc::Status status = treasurer_->Propose(Context().get(), bad, &reply);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("lifetime_seconds"), std::string::npos);
  bad.set_lifetime_seconds(0);
  bad.set_method("CreateAssets");
  status = treasurer_->Propose(Context().get(), bad, &reply);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("method"), std::string::npos) << status.error_message();
}

TEST_F(FourEyesE2eTest, FeesAreProposedAndApprovedToo) {
  v1::SetFeesRequest fees;
  v1::FeeSchedule* schedule = fees.add_schedules();
  schedule->set_asset(1);
  schedule->set_issuer_account_id(IdBytes(kIssuer));
  schedule->set_fee_account_id(IdBytes(kFees));
  schedule->set_cashout_bps(150);
  v1::CreateReply reply;
  // Fees are the merchant registrars' (ledger/server/operator_roles.h): two of them.
  auto registrar = As("registrar");
  auto deputy_registrar = As("deputy-registrar");
  ASSERT_EQ(Result(registrar->SetFees(Context().get(), fees, &reply), reply),
            v1::FOUR_EYES_REQUIRED);
  // A treasurer may neither propose nor approve them.
  v1::ProposeRequest by_treasurer;
  by_treasurer.set_proposal_id(IdBytes(11));
  by_treasurer.set_method("SetFees");
  by_treasurer.set_request(fees.SerializeAsString());
  const grpc::Status denied = treasurer_->Propose(Context().get(), by_treasurer, &reply);
  EXPECT_EQ(denied.error_code(), grpc::StatusCode::PERMISSION_DENIED) << denied.error_message();
  ASSERT_EQ(Propose(registrar.get(), 10, "SetFees", fees), v1::OK);
  EXPECT_EQ(Approve(registrar.get(), 10), v1::FOUR_EYES_SAME_OPERATOR);
  EXPECT_EQ(Approve(deputy_registrar.get(), 10), v1::OK);
  // The setting itself: a direct change is refused too.
  v1::SetFourEyesRequest off;
  off.set_issuance_threshold(kAmountMax);
  ASSERT_EQ(Result(treasurer_->SetFourEyes(Context().get(), off, &reply), reply),
            v1::FOUR_EYES_REQUIRED);
}

}  // namespace
}  // namespace ledger
