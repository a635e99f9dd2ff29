// End to end through a real ledgerd process on loopback: the public gRPC API, the health service,
// the change stream, Prometheus metrics, refusals that name the field and the limit, and a restart.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <future>
#include <thread>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "ledger/client/client.h"
#include "ledger/core/journal.h"
#include "ledger/storage/rocks_store.h"
#include "tests/ledger_process.h"

namespace ledger {
namespace {

using testing::HttpGet;
using testing::LedgerProcess;
using testing::MakeTempDir;

constexpr auto kTimeout = std::chrono::seconds(10);

v1::Asset MakeAsset(uint32_t id, const std::string& code, int64_t expiry_seconds,
                    uint64_t breakage) {
  v1::Asset asset;
  asset.set_id(id);
  asset.set_code(code);
  asset.set_expiry_seconds(expiry_seconds);
  asset.set_expiry_granularity_seconds(1);
  asset.set_breakage_account_id(IdBytes(breakage));
  return asset;
}

v1::Account MakeAccount(uint64_t id, uint32_t asset, v1::AccountKind kind, uint32_t flags = 0) {
  v1::Account account;
  account.set_id(IdBytes(id));
  account.set_asset(asset);
  account.set_kind(kind);
  account.set_flags(flags);
  return account;
}

v1::Transfer MakeTransfer(uint64_t id, uint64_t debit, uint64_t credit, int64_t amount) {
  v1::Transfer transfer;
  transfer.set_id(IdBytes(id));
  transfer.set_debit_account_id(IdBytes(debit));
  transfer.set_credit_account_id(IdBytes(credit));
  transfer.set_amount(amount);
  transfer.set_code(1);
  return transfer;
}

class E2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("e2e");
    ASSERT_TRUE(server_.Start(dir_ + "/ledger", /*serve_metrics=*/true).ok())
        << "log: " << server_.log_path();
    stub_ = v1::Ledger::NewStub(server_.operator_channel());
  }

  v1::CreateReply Create(const v1::CreateTransfersRequest& request) {
    v1::CreateReply reply;
    grpc::Status status =
        stub_->CreateTransfers(ContextWithDeadline(kTimeout).get(), request, &reply);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return reply;
  }

  // Coin (id 1, no expiry) and a 1-second PROMO (id 2); an issuer and two non-negative wallets for
  // each.
  void CreateTown() {
    v1::CreateAssetsRequest assets;
    *assets.add_assets() = MakeAsset(1, "COIN", 0, 901);
    *assets.add_assets() = MakeAsset(2, "PROMO", 1, 902);
    v1::CreateReply reply;
    ASSERT_TRUE(stub_->CreateAssets(ContextWithDeadline(kTimeout).get(), assets, &reply).ok());
    for (const auto& result : reply.results()) ASSERT_EQ(result.result(), v1::OK);
    v1::CreateAccountsRequest accounts;
    *accounts.add_accounts() = MakeAccount(10, 1, v1::ISSUER);
    *accounts.add_accounts() = MakeAccount(11, 1, v1::WALLET, v1::NON_NEGATIVE);
    *accounts.add_accounts() = MakeAccount(12, 1, v1::MERCHANT, v1::NON_NEGATIVE);
    *accounts.add_accounts() = MakeAccount(20, 2, v1::ISSUER);
    *accounts.add_accounts() = MakeAccount(21, 2, v1::WALLET, v1::NON_NEGATIVE);
    ASSERT_TRUE(stub_->CreateAccounts(ContextWithDeadline(kTimeout).get(), accounts, &reply).ok());
    ASSERT_EQ(reply.results_size(), 5);
    for (const auto& result : reply.results()) ASSERT_EQ(result.result(), v1::OK) << result.index();
  }

  int64_t Balance(uint64_t id) {
    v1::LookupAccountsRequest request;
    request.add_ids(IdBytes(id));
    v1::LookupAccountsReply reply;
    EXPECT_TRUE(stub_->LookupAccounts(ContextWithDeadline(kTimeout).get(), request, &reply).ok());
    EXPECT_EQ(reply.accounts_size(), 1) << "account " << id;
    return reply.accounts_size() == 1 ? reply.accounts(0).balance() : INT64_MIN;
  }

  std::string dir_;
  LedgerProcess server_;
  std::unique_ptr<v1::Ledger::Stub> stub_;
};

TEST_F(E2eTest, HealthServiceAnswersServing) {
  auto channel = server_.public_channel();
  grpc::GenericStub generic(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + kTimeout);
  grpc::Slice empty("", 0);  // HealthCheckRequest{service: ""} encodes to zero bytes.
  grpc::ByteBuffer request(&empty, 1);
  grpc::ByteBuffer response;
  std::promise<grpc::Status> done;
  generic.UnaryCall(&context, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request,
                    &response, [&](grpc::Status status) { done.set_value(status); });
  grpc::Status status = done.get_future().get();
  ASSERT_TRUE(status.ok()) << status.error_message();
  grpc::Slice slice;
  ASSERT_TRUE(response.DumpToSingleSlice(&slice).ok());
  // HealthCheckResponse{status: SERVING (1)}: field 1, varint 1.
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(slice.begin()), slice.size()),
            std::string("\x08\x01", 2));
}

TEST_F(E2eTest, PaymentsDuplicatesHistoryAndChangeStream) {
  CreateTown();
  v1::CreateTransfersRequest request;
  *request.add_transfers() = MakeTransfer(100, 10, 11, 10'000);  // Charge.
  *request.add_transfers() = MakeTransfer(101, 11, 12, 3'000);   // Pay at a shop.
  *request.add_transfers() = MakeTransfer(102, 11, 12, 9'000);   // More than is left.
  v1::CreateReply reply = Create(request);
  ASSERT_EQ(reply.results_size(), 3);
  EXPECT_EQ(reply.results(0).result(), v1::OK);
  EXPECT_EQ(reply.results(1).result(), v1::OK);
  EXPECT_EQ(reply.results(2).result(), v1::EXCEEDS_BALANCE);
  EXPECT_FALSE(reply.results(0).duplicate());
  EXPECT_EQ(Balance(10), -10'000);
  EXPECT_EQ(Balance(11), 7'000);
  EXPECT_EQ(Balance(12), 3'000);

  // A retry with the same ids (as after a timeout) returns the original decisions and moves
  // nothing.
  v1::CreateReply retry = Create(request);
  ASSERT_EQ(retry.results_size(), 3);
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(retry.results(i).duplicate()) << i;
    EXPECT_EQ(retry.results(i).result(), reply.results(i).result()) << i;
    EXPECT_EQ(retry.results(i).timestamp(), reply.results(i).timestamp()) << i;
  }
  EXPECT_EQ(Balance(11), 7'000);
  // The same id with different fields is refused, not applied.
  v1::CreateTransfersRequest changed;
  *changed.add_transfers() = MakeTransfer(101, 11, 12, 3'001);
  EXPECT_EQ(Create(changed).results(0).result(), v1::EXISTS_WITH_DIFFERENT_FIELDS);

  v1::GetAccountHistoryRequest history_request;
  history_request.set_account_id(IdBytes(11));
  v1::GetAccountHistoryReply history;
  ASSERT_TRUE(
      stub_->GetAccountHistory(ContextWithDeadline(kTimeout).get(), history_request, &history)
          .ok());
  ASSERT_EQ(history.entries_size(), 2);
  EXPECT_EQ(history.entries(0).delta(), 10'000);
  EXPECT_EQ(history.entries(1).delta(), -3'000);
  EXPECT_EQ(history.entries(1).balance_after(), 7'000);

  // The change stream replays everything from the start: 2 assets, 2 breakage accounts, 5 accounts,
  // 2 transfers, in journal order.
  grpc::ClientContext context;
  v1::SubscribeRequest subscribe;
  subscribe.set_from_index(1);
  auto stream = stub_->Subscribe(&context, subscribe);
  int assets = 0, accounts = 0, transfers = 0;
  uint64_t last_index = 0;
  v1::Event event;
  while (assets + accounts + transfers < 11 && stream->Read(&event)) {
    EXPECT_GE(event.journal_index(), last_index);
    last_index = event.journal_index();
    if (event.has_asset_created()) ++assets;
    if (event.has_account_created()) ++accounts;
    if (event.has_transfer()) {
      ++transfers;
      EXPECT_EQ(event.transfer().id(), IdBytes(100 + transfers - 1));
    }
  }
  context.TryCancel();
  EXPECT_EQ(assets, 2);
  EXPECT_EQ(accounts, 7);
  EXPECT_EQ(transfers, 2);
}

TEST_F(E2eTest, ExpiryRunsOnTheLedgersClock) {
  CreateTown();
  v1::CreateTransfersRequest issue;
  *issue.add_transfers() = MakeTransfer(200, 20, 21, 500);
  ASSERT_EQ(Create(issue).results(0).result(), v1::OK);
  EXPECT_EQ(Balance(21), 500);
  // The lot lapses one second (rounded up to the next whole second) after it was credited; the
  // first batch after that sweeps it.
  std::this_thread::sleep_for(std::chrono::milliseconds(2'100));
  v1::CreateTransfersRequest later;
  *later.add_transfers() = MakeTransfer(201, 10, 11, 1);
  ASSERT_EQ(Create(later).results(0).result(), v1::OK);
  EXPECT_EQ(Balance(21), 0);
  EXPECT_EQ(Balance(902), 500);
}

TEST_F(E2eTest, RefusalsNameTheFieldAndTheLimit) {
  CreateTown();
  v1::CreateTransfersRequest too_many;
  for (int i = 0; i < 8191; ++i) *too_many.add_transfers() = MakeTransfer(1000 + i, 10, 11, 1);
  v1::CreateReply reply;
  grpc::Status status =
      stub_->CreateTransfers(ContextWithDeadline(kTimeout).get(), too_many, &reply);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StrContains(status.error_message(), "transfers")) << status.error_message();
  EXPECT_TRUE(absl::StrContains(status.error_message(), "8190")) << status.error_message();
  // Nothing of a refused request is applied.
  EXPECT_EQ(Balance(11), 0);

  v1::CreateTransfersRequest bad_id;
  *bad_id.add_transfers() = MakeTransfer(300, 10, 11, 1);
  *bad_id.add_transfers() = MakeTransfer(301, 10, 11, 1);
  bad_id.mutable_transfers(1)->set_credit_account_id("short");
  status = stub_->CreateTransfers(ContextWithDeadline(kTimeout).get(), bad_id, &reply);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StrContains(status.error_message(), "transfers[1].credit_account_id"))
      << status.error_message();
  EXPECT_EQ(Balance(11), 0);

  // The full 8190 is accepted in one request, atomically in one journal entry.
  too_many.mutable_transfers()->RemoveLast();
  v1::CreateReply full = Create(too_many);
  ASSERT_EQ(full.results_size(), 8190);
  for (const auto& result : full.results()) ASSERT_EQ(result.result(), v1::OK);
  EXPECT_EQ(Balance(11), 8190);
}

TEST_F(E2eTest, MetricsCountWhatHappened) {
  CreateTown();
  v1::CreateTransfersRequest request;
  *request.add_transfers() = MakeTransfer(400, 10, 11, 5);
  *request.add_transfers() = MakeTransfer(401, 11, 12, 50);  // Exceeds the balance.
  Create(request);
  absl::StatusOr<std::string> metrics = HttpGet(server_.metrics_port(), "/metrics");
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  EXPECT_TRUE(absl::StrContains(*metrics, "ledger_transfers_total{result=\"ok\"} 1")) << *metrics;
  EXPECT_TRUE(absl::StrContains(*metrics, "ledger_transfers_total{result=\"exceeds_balance\"} 1"));
  EXPECT_TRUE(absl::StrContains(*metrics,
                                "ledger_requests_total{code=\"0\",method=\"CreateTransfers\"} 1"));
  // Every unary call timed by service and method (request_timer.h).
  EXPECT_TRUE(absl::StrContains(*metrics,
                                "ledger_request_duration_seconds_count{method=\"CreateTransfers\","
                                "service=\"ledger.v1.Ledger\"} 1\n"))
      << *metrics;
  EXPECT_TRUE(absl::StrContains(*metrics,
                                "ledger_request_duration_seconds_bucket{method=\"CreateAccounts\","
                                "service=\"ledger.v1.Ledger\",le=\"+Inf\"} 1\n"))
      << *metrics;
  // Entry 1 is the role table's bootstrap (ledgerd --operators_file), then the town and the
  // payments.
  EXPECT_TRUE(absl::StrContains(*metrics, "ledger_journal_index 4")) << *metrics;
  EXPECT_TRUE(absl::StrContains(*metrics, "ledger_fsyncs_total"));
  // The durable write of each batch (single node: RocksDB write and fsync), timed.
  EXPECT_TRUE(absl::StrContains(*metrics, "\nledger_store_write_seconds_count ")) << *metrics;
  EXPECT_FALSE(absl::StrContains(*metrics, "\nledger_store_write_seconds_count 0\n")) << *metrics;
  // Storage gauges, sampled once a second from the start (ledgerd.cc): present, no stall, a
  // filesystem.
  EXPECT_TRUE(absl::StrContains(*metrics, "\nledger_rocksdb_pending_compaction_bytes "))
      << *metrics;
  EXPECT_TRUE(absl::StrContains(*metrics, "\nledger_rocksdb_live_data_bytes ")) << *metrics;
  EXPECT_TRUE(absl::StrContains(*metrics, "\nledger_rocksdb_write_stopped 0\n")) << *metrics;
  EXPECT_TRUE(
      absl::StrContains(*metrics, "\nledger_rocksdb_delayed_write_rate_bytes_per_second 0\n"))
      << *metrics;
  EXPECT_TRUE(absl::StrContains(*metrics, "\nledger_data_filesystem_avail_bytes ")) << *metrics;
  EXPECT_FALSE(absl::StrContains(*metrics, "\nledger_data_filesystem_avail_bytes 0\n")) << *metrics;
  EXPECT_TRUE(absl::StrContains(*metrics, "\nledger_data_filesystem_size_bytes ")) << *metrics;
  EXPECT_FALSE(absl::StrContains(*metrics, "\nledger_data_filesystem_size_bytes 0\n")) << *metrics;
}

TEST_F(E2eTest, CleanRestartKeepsEverythingAndTheJournalVerifies) {
  CreateTown();
  v1::CreateTransfersRequest request;
  *request.add_transfers() = MakeTransfer(500, 10, 11, 1'234);
  Create(request);
  v1::GetDigestReply before;
  ASSERT_TRUE(
      stub_->GetDigest(ContextWithDeadline(kTimeout).get(), v1::GetDigestRequest(), &before).ok());
  EXPECT_EQ(server_.Stop(), 0) << "ledgerd should exit cleanly on SIGTERM; log: "
                               << server_.log_path();
  {
    absl::StatusOr<std::unique_ptr<RocksStore>> store = RocksStore::Open(dir_ + "/ledger");
    ASSERT_TRUE(store.ok()) << store.status();
    VerifyReport report = VerifyJournal(**store);
    EXPECT_TRUE(report.ok) << report.problem;
    EXPECT_EQ(report.entries_checked, before.journal_index());
  }
  ASSERT_TRUE(server_.Start(dir_ + "/ledger", true).ok());
  stub_ = v1::Ledger::NewStub(server_.operator_channel());
  v1::GetDigestReply after;
  ASSERT_TRUE(
      stub_->GetDigest(ContextWithDeadline(kTimeout).get(), v1::GetDigestRequest(), &after).ok());
  EXPECT_EQ(after.journal_index(), before.journal_index());
  EXPECT_EQ(after.head_hash(), before.head_hash());
  EXPECT_EQ(after.timestamp(), before.timestamp());
  EXPECT_EQ(Balance(11), 1'234);
  // The logical clock keeps moving forward after a restart.
  *request.mutable_transfers(0) = MakeTransfer(501, 10, 11, 1);
  v1::CreateReply reply = Create(request);
  EXPECT_GT(reply.results(0).timestamp(), before.timestamp());
}

// Ledger.Audit (`ledgerctl audit` online) checks the running node on a snapshot while writes go on:
// each audit sees whole batches only, so it is clean however the writes interleave, and its replay
// reaches the snapshot's head and compares the state hashes.
TEST_F(E2eTest, OnlineAuditIsCleanWhileWritesGoOn) {
  CreateTown();
  std::atomic<bool> done{false};
  std::atomic<int> written{0};
  std::thread writer([&] {
    for (uint64_t id = 1'000; !done.load() && id < 100'000; id += 4) {
      v1::CreateTransfersRequest request;
      *request.add_transfers() = MakeTransfer(id, 10, 11, 5);
      *request.add_transfers() = MakeTransfer(id + 1, 11, 12, 3);
      *request.add_transfers() = MakeTransfer(id + 2, 10, 11, 7);
      request.mutable_transfers(2)->set_flags(v1::PENDING);
      v1::CreateReply reply;
      if (stub_->CreateTransfers(ContextWithDeadline(kTimeout).get(), request, &reply).ok())
        ++written;
    }
  });
  // The audits run while writes are being applied: wait for the first to be acknowledged.
  for (int i = 0; i < 1000 && written.load() == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_GT(written.load(), 0) << "no write was acknowledged in 10 s";
  uint64_t last_index = 0;
  for (int round = 0; round < 5; ++round) {
    v1::AuditRequest request;
    request.set_replay(true);
    v1::AuditReply reply;
    grpc::Status status =
        stub_->Audit(ContextWithDeadline(std::chrono::seconds(60)).get(), request, &reply);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_TRUE(reply.ok()) << reply.violation();
    EXPECT_EQ(reply.violation(), "");
    EXPECT_TRUE(reply.state_hash_compared()) << reply.replay_note();
    EXPECT_EQ(reply.replayed_entries(), reply.journal_index());
    EXPECT_EQ(reply.journal_entries(), reply.journal_index());
    EXPECT_GE(reply.journal_index(), last_index);
    EXPECT_GE(reply.accounts(), 5u);  // The town's and the ledger's own.
    EXPECT_NE(reply.summary().find("journal entries replayed byte for byte"), std::string::npos)
        << reply.summary();
    last_index = reply.journal_index();
  }
  done = true;
  writer.join();
  EXPECT_GT(written.load(), 0);
  EXPECT_GT(last_index, 2u);
  // Not on the public listener (the operator services live on the mutual-TLS one).
  auto anonymous = v1::Ledger::NewStub(server_.public_channel());
  v1::AuditReply reply;
  EXPECT_EQ(anonymous->Audit(ContextWithDeadline(kTimeout).get(), v1::AuditRequest(), &reply)
                .error_code(),
            grpc::StatusCode::UNIMPLEMENTED);
}

// The operator's calls for shop payments: keys and the fee schedule, with refusals naming the
// field.
TEST_F(E2eTest, OperatorRegistersKeysAndFees) {
  CreateTown();
  v1::CreateAccountsRequest fee_account;
  *fee_account.add_accounts() = MakeAccount(13, 1, v1::FEE);
  v1::CreateReply reply;
  ASSERT_TRUE(stub_->CreateAccounts(ContextWithDeadline(kTimeout).get(), fee_account, &reply).ok());

  v1::RegisterKeysRequest keys;
  v1::PublicKey* wallet = keys.add_keys();
  wallet->set_account_id(IdBytes(11));
  wallet->set_public_key(std::string(32, '\x07'));
  v1::PublicKey* terminal = keys.add_keys();
  terminal->set_account_id(IdBytes(12));
  terminal->set_key_id("REG-1");
  terminal->set_public_key(std::string(32, '\x08'));
  v1::PublicKey* wrong_kind = keys.add_keys();  // A wallet key on a merchant account.
  wrong_kind->set_account_id(IdBytes(12));
  wrong_kind->set_public_key(std::string(32, '\x09'));
  ASSERT_TRUE(stub_->RegisterKeys(ContextWithDeadline(kTimeout).get(), keys, &reply).ok());
  ASSERT_EQ(reply.results_size(), 3);
  EXPECT_EQ(reply.results(0).result(), v1::OK);
  EXPECT_EQ(reply.results(1).result(), v1::OK);
  EXPECT_EQ(reply.results(2).result(), v1::KIND_INVALID);
  ASSERT_TRUE(stub_->RegisterKeys(ContextWithDeadline(kTimeout).get(), keys, &reply).ok());
  EXPECT_TRUE(reply.results(0).duplicate());

  v1::RegisterKeysRequest bad;
  v1::PublicKey* short_key = bad.add_keys();
  short_key->set_account_id(IdBytes(11));
  short_key->set_public_key("short");
  grpc::Status status = stub_->RegisterKeys(ContextWithDeadline(kTimeout).get(), bad, &reply);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "keys[0].public_key: must be 32 bytes (Ed25519), got 5");

  v1::SetFeesRequest fees;
  v1::FeeSchedule* schedule = fees.add_schedules();
  schedule->set_asset(1);
  schedule->set_issuer_account_id(IdBytes(10));
  schedule->set_fee_account_id(IdBytes(13));
  schedule->set_cashout_bps(150);
  schedule->set_member_cashout_bps(100);
  schedule->set_supplier_bps(50);
  ASSERT_TRUE(stub_->SetFees(ContextWithDeadline(kTimeout).get(), fees, &reply).ok());
  EXPECT_EQ(reply.results(0).result(), v1::OK);
  schedule->set_fee_account_id(IdBytes(12));  // Not a FEE account.
  ASSERT_TRUE(stub_->SetFees(ContextWithDeadline(kTimeout).get(), fees, &reply).ok());
  EXPECT_EQ(reply.results(0).result(), v1::FEE_SCHEDULE_INVALID);
  schedule->set_supplier_bps(10'000);
  status = stub_->SetFees(ContextWithDeadline(kTimeout).get(), fees, &reply);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "schedules[0].supplier_bps: below 10000, got 10000");
}

}  // namespace
}  // namespace ledger
