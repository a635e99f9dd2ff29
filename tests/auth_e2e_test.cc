// Who may call what, end to end through a real ledgerd: the operator API (Ledger) refuses every
// call without the operator token or with a wrong one, before doing anything; ledgerd keeps its
// token in a 0600 file and refuses to start with one that others may read or that is too short; a
// resident reads her own account, history and staff operations through the signed Wallet service
// (no operator token) and never anyone else's; reads spend no nonce.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <future>

#include "formats/keys.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "gtest/gtest.h"
#include "ledger/client/client.h"
#include "merchant/pos_client.h"
#include "tests/ledger_process.h"
#include "tests/payments.h"
#include "tests/raft_key.h"
#include "wallet/wallet_client.h"

namespace ledger {
namespace {

using merchant::WallClockMs;
using testing::LedgerProcess;
using testing::MakeTempDir;
using testing::MakeTransfer;
using testing::PlaintextLedgerProcess;

constexpr auto kTimeout = std::chrono::seconds(10);
constexpr uint64_t kIssuer = 1, kAlice = 10, kBob = 11, kCarol = 12;
constexpr int64_t kExpirySeconds = 180 * 86400;

class AuthE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_data_dir_ = MakeTempDir("auth") + "/ledger";
    ASSERT_TRUE(server_.Start(server_data_dir_).ok()) << server_.log_path();
    ledger_ = ConnectLedger(server_.address(), server_.operator_token());
    // The resident's side has no operator token.
    wallet_ = v1::Wallet::NewStub(LedgerChannel(server_.address(), ""));
    SetUpTown();
  }

  // Coin that expires (so wallets hold lots); Alice, Bob and Carol funded; Alice and Bob have keys,
  // Carol none; Alice sends Bob 300.
  void SetUpTown() {
    v1::CreateAssetsRequest assets;
    v1::Asset* coin = assets.add_assets();
    coin->set_id(1);
    coin->set_code("COIN");
    coin->set_breakage_account_id(IdBytes(2));
    coin->set_expiry_seconds(kExpirySeconds);
    v1::CreateReply reply;
    ASSERT_TRUE(ledger_->CreateAssets(ContextWithDeadline(kTimeout).get(), assets, &reply).ok());
    v1::CreateAccountsRequest accounts;
    for (auto [id, kind] :
         std::vector<std::pair<uint64_t, v1::AccountKind>>{{kIssuer, v1::ISSUER},
                                                           {kAlice, v1::WALLET},
                                                           {kBob, v1::WALLET},
                                                           {kCarol, v1::WALLET}}) {
      v1::Account* account = accounts.add_accounts();
      account->set_id(IdBytes(id));
      account->set_asset(1);
      account->set_kind(kind);
      account->set_flags(kind == v1::ISSUER ? 0 : v1::NON_NEGATIVE);
    }
    ASSERT_TRUE(
        ledger_->CreateAccounts(ContextWithDeadline(kTimeout).get(), accounts, &reply).ok());
    for (const auto& result : reply.results()) ASSERT_EQ(result.result(), v1::OK);
    v1::CreateTransfersRequest funding;
    *funding.add_transfers() = MakeTransfer(0, 1, kIssuer, kAlice, 10'000);
    *funding.add_transfers() = MakeTransfer(0, 2, kIssuer, kBob, 2'000);
    *funding.add_transfers() = MakeTransfer(0, 3, kIssuer, kCarol, 700);
    ASSERT_TRUE(
        ledger_->CreateTransfers(ContextWithDeadline(kTimeout).get(), funding, &reply).ok());
    for (const auto& result : reply.results()) ASSERT_EQ(result.result(), v1::OK);
    alice_ = wallet::GenerateKeyPair();
    bob_ = wallet::GenerateKeyPair();
    v1::RegisterKeysRequest keys;
    for (auto [id, pair] : std::vector<std::pair<uint64_t, const wallet::KeyPair*>>{
             {kAlice, &alice_}, {kBob, &bob_}}) {
      v1::PublicKey* key = keys.add_keys();
      key->set_account_id(IdBytes(id));
      key->set_public_key(pair->public_key);
    }
    ASSERT_TRUE(ledger_->RegisterKeys(ContextWithDeadline(kTimeout).get(), keys, &reply).ok());
    for (const auto& result : reply.results()) ASSERT_EQ(result.result(), v1::OK);
    v1::SendRequest send;
    send.set_transfer_id(IdBytes(0x5e4d, 1));
    send.set_to_account_id(IdBytes(kBob));
    send.set_amount(300);
    v1::WalletReply sent;
    ASSERT_TRUE(wallet_
                    ->Send(ContextWithDeadline(kTimeout).get(),
                           Signed(alice_, kAlice, "Send", send, 77), &sent)
                    .ok());
    ASSERT_EQ(sent.result(), v1::OK);
  }

  static v1::WalletRequest Signed(const wallet::KeyPair& keys, uint64_t account, const char* method,
                                  const google::protobuf::Message& body, uint64_t nonce,
                                  int64_t clock_offset_ms = 0) {
    return wallet::SignWalletRequest(keys, IdBytes(account), method, body,
                                     WallClockMs() + clock_offset_ms, nonce);
  }

  grpc::Status GetAccount(const v1::WalletRequest& request, v1::WalletAccountReply* reply) {
    return wallet_->GetAccount(ContextWithDeadline(kTimeout).get(), request, reply);
  }
  grpc::Status GetHistory(const v1::WalletRequest& request, v1::GetAccountHistoryReply* reply) {
    return wallet_->GetHistory(ContextWithDeadline(kTimeout).get(), request, reply);
  }

  std::string server_data_dir_;
  PlaintextLedgerProcess server_;
  std::unique_ptr<v1::Ledger::Stub> ledger_;
  std::unique_ptr<v1::Wallet::Stub> wallet_;
  wallet::KeyPair alice_, bob_;
};

TEST_F(AuthE2eTest, TheOperatorApiNeedsTheToken) {
  const std::string right = server_.operator_token();
  std::string wrong = right;
  wrong[0] = wrong[0] == 'a' ? 'b' : 'a';
  const auto without = ConnectLedger(server_.address(), "");
  const auto mistaken = ConnectLedger(server_.address(), wrong);
  const auto operator_stub = ConnectLedger(server_.address(), right);
  v1::LookupAccountsRequest lookup;
  lookup.add_ids(IdBytes(kAlice));
  v1::LookupAccountsReply accounts;
  grpc::Status status =
      without->LookupAccounts(ContextWithDeadline(kTimeout).get(), lookup, &accounts);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_NE(status.error_message().find("operator API: missing 'authorization: Bearer' token"),
            std::string::npos)
      << status.error_message();
  EXPECT_NE(status.error_message().find("--operator_token_file"), std::string::npos)
      << status.error_message();
  EXPECT_EQ(accounts.accounts_size(), 0);
  status = mistaken->LookupAccounts(ContextWithDeadline(kTimeout).get(), lookup, &accounts);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(status.error_message(), "operator token mismatch");
  EXPECT_EQ(accounts.accounts_size(), 0);

  // Writes are refused before anything is submitted: nothing moves.
  v1::CreateTransfersRequest theft;
  *theft.add_transfers() = MakeTransfer(0x7e, 1, kAlice, kCarol, 9'000);
  v1::CreateReply created;
  for (const auto* stub : {&without, &mistaken}) {
    status = (*stub)->CreateTransfers(ContextWithDeadline(kTimeout).get(), theft, &created);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
    EXPECT_EQ(created.results_size(), 0);
  }
  v1::RegisterKeysRequest keys;
  v1::PublicKey* key = keys.add_keys();
  key->set_account_id(IdBytes(kCarol));
  key->set_public_key(wallet::GenerateKeyPair().public_key);
  EXPECT_EQ(without->RegisterKeys(ContextWithDeadline(kTimeout).get(), keys, &created).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  // The change stream too (a server stream: refused when it is finished).
  grpc::ClientContext stream_context;
  stream_context.set_deadline(std::chrono::system_clock::now() + kTimeout);
  auto reader = without->Subscribe(&stream_context, v1::SubscribeRequest());
  v1::Event event;
  EXPECT_FALSE(reader->Read(&event));
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::UNAUTHENTICATED);

  // With the token: the same calls work, and show that nothing above was applied.
  ASSERT_TRUE(
      operator_stub->LookupAccounts(ContextWithDeadline(kTimeout).get(), lookup, &accounts).ok());
  ASSERT_EQ(accounts.accounts_size(), 1);
  EXPECT_EQ(accounts.accounts(0).balance(), 9'700);
  v1::LookupTransfersRequest transfers;
  transfers.add_ids(IdBytes(0x7e, 1));
  v1::LookupTransfersReply found;
  ASSERT_TRUE(
      operator_stub->LookupTransfers(ContextWithDeadline(kTimeout).get(), transfers, &found).ok());
  EXPECT_EQ(found.transfers_size(), 0);
  // Carol still has no registered key: the refused RegisterKeys did nothing.
  v1::WalletAccountReply carol;
  EXPECT_EQ(GetAccount(Signed(alice_, kCarol, "GetAccount", v1::WalletAccountRequest(), 1), &carol)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

// Calls every method of `service_name` (found by its descriptor, so that a method added later is
// covered too) with an empty request on `channel`. Returns "METHOD: CODE MESSAGE" for each answer
// that is not UNAUTHENTICATED, and counts the methods in `*methods`.
std::vector<std::string> MethodsNotRefused(const std::shared_ptr<grpc::Channel>& channel,
                                           const std::string& service_name, int* methods) {
  const google::protobuf::ServiceDescriptor* service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(service_name);
  std::vector<std::string> answered;
  if (service == nullptr) return {service_name + ": no such service"};
  grpc::GenericStub generic(channel);
  *methods = service->method_count();
  for (int i = 0; i < service->method_count(); ++i) {
    const std::string method = "/" + service->full_name() + "/" + service->method(i)->name();
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + kTimeout);
    grpc::Slice empty("", 0);  // Every request message may be empty on the wire.
    grpc::ByteBuffer request(&empty, 1);
    grpc::ByteBuffer response;
    std::promise<grpc::Status> done;
    generic.UnaryCall(&context, method, grpc::StubOptions(), &request, &response,
                      [&](grpc::Status status) { done.set_value(status); });
    const grpc::Status status = done.get_future().get();
    if (status.error_code() != grpc::StatusCode::UNAUTHENTICATED) {
      answered.push_back(method + ": " + std::to_string(status.error_code()) + " " +
                         status.error_message());
    }
  }
  return answered;
}

TEST_F(AuthE2eTest, EveryLedgerMethodNeedsTheToken) {
  std::string wrong = server_.operator_token();
  wrong[0] = wrong[0] == 'a' ? 'b' : 'a';
  for (const std::string& token : {std::string(), wrong}) {
    int methods = 0;
    EXPECT_THAT(
        MethodsNotRefused(LedgerChannel(server_.address(), token), "ledger.v1.Ledger", &methods),
        ::testing::IsEmpty())
        << (token.empty() ? "without a token" : "with a wrong token");
    EXPECT_GE(methods, 24);
  }
}

// The Cluster service exists on Raft replicas only: a one-node cluster.
TEST(AuthStartTest, EveryClusterMethodNeedsTheToken) {
  const std::string dir = MakeTempDir("auth_raft");
  const std::string grpc_address = "127.0.0.1:" + std::to_string(testing::FreeLoopbackPort());
  const std::string raft_address = "127.0.0.1:" + std::to_string(testing::FreeLoopbackPort());
  PlaintextLedgerProcess node;
  ASSERT_TRUE(node.StartNode(dir + "/ledger", grpc_address,
                             {"--raft_id=1", "--peers=1=" + raft_address + "/" + grpc_address,
                              testing::RaftKeyFlag(dir)})
                  .ok())
      << node.log_path();
  for (const char* service : {"ledger.v1.Cluster", "ledger.v1.Ledger"}) {
    int methods = 0;
    EXPECT_THAT(MethodsNotRefused(LedgerChannel(grpc_address, ""), service, &methods),
                ::testing::IsEmpty());
    EXPECT_THAT(
        MethodsNotRefused(LedgerChannel(grpc_address, std::string(64, '0')), service, &methods),
        ::testing::IsEmpty());
    EXPECT_GE(methods, 5);
  }
  LedgerConnection connection(grpc_address, node.operator_token());
  v1::ClusterStatusReply status;
  const grpc::Status answered = connection.Call([&](LedgerConnection& c) {
    return c.cluster().Status(ContextWithDeadline(kTimeout).get(), v1::ClusterStatusRequest(),
                              &status);
  });
  ASSERT_TRUE(answered.ok()) << answered.error_message();
  EXPECT_EQ(status.id(), 1u);
}

TEST_F(AuthE2eTest, TheTokenFileIsPrivateAndKept) {
  const std::string path = server_data_dir_ + "/operator.token";
  struct stat info {};
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  const std::string token = server_.operator_token();
  EXPECT_EQ(token.size(), 64u);
  EXPECT_EQ(token.find_first_not_of("0123456789abcdef"), std::string::npos) << token;
  ASSERT_EQ(server_.Stop(), 0);
  ASSERT_TRUE(server_.Start(server_data_dir_).ok()) << server_.log_path();
  EXPECT_EQ(server_.operator_token(), token);
  const std::string text = testing::ReadFileText(server_.log_path());
  EXPECT_NE(text.find("operator token created in " + path), std::string::npos) << text;
  EXPECT_NE(text.find("operator token read from " + path), std::string::npos) << text;
}

std::string LogOf(const LedgerProcess& server) { return testing::ReadFileText(server.log_path()); }

void WriteTokenFile(const std::string& path, const std::string& contents, mode_t mode) {
  {
    std::ofstream out(path, std::ios::trunc);
    out << contents;
  }
  ASSERT_EQ(::chmod(path.c_str(), mode), 0);
}

TEST(AuthStartTest, LedgerdRefusesATokenFileOthersMayRead) {
  const std::string dir = MakeTempDir("auth_start");
  const std::string token_file = dir + "/shared.token";
  const std::string flag = "--operator_token_file=" + token_file;
  const std::string token(64, 'c');
  WriteTokenFile(token_file, token + "\n", 0644);
  PlaintextLedgerProcess server;
  EXPECT_FALSE(
      server.StartNode(dir + "/ledger", "127.0.0.1:0", {flag}, std::chrono::seconds(10)).ok());
  EXPECT_NE(LogOf(server).find(
                "ledgerd: --operator_token_file " + token_file +
                ": mode 0644 lets group or others read or write the operator token; chmod 600 " +
                token_file),
            std::string::npos)
      << LogOf(server);
  // Too short a token is refused too.
  WriteTokenFile(token_file, "short\n", 0600);
  EXPECT_FALSE(
      server.StartNode(dir + "/ledger", "127.0.0.1:0", {flag}, std::chrono::seconds(10)).ok());
  EXPECT_NE(LogOf(server).find(": the operator token is 5 characters; it must be 32 to 256"),
            std::string::npos)
      << LogOf(server);
  // A private file of the operator's own choice is used as it is (and no other is made).
  WriteTokenFile(token_file, token + "\n", 0600);
  ASSERT_TRUE(
      server.StartNode(dir + "/ledger", "127.0.0.1:0", {flag}, std::chrono::seconds(10)).ok())
      << LogOf(server);
  EXPECT_EQ(server.operator_token(), token);
  EXPECT_TRUE(WaitForLedger(ConnectLedger(server.address(), token).get(), kTimeout).ok());
  EXPECT_FALSE(WaitForLedger(ConnectLedger(server.address(), std::string(64, 'd')).get(),
                             std::chrono::seconds(1))
                   .ok());
  EXPECT_FALSE(std::filesystem::exists(dir + "/ledger/operator.token"));
}

TEST_F(AuthE2eTest, AWalletReadsItsOwnAccount) {
  v1::WalletAccountReply account;
  ASSERT_TRUE(
      GetAccount(Signed(alice_, kAlice, "GetAccount", v1::WalletAccountRequest(), 1), &account)
          .ok());
  EXPECT_EQ(account.account().id(), IdBytes(kAlice));
  EXPECT_EQ(account.account().asset(), 1u);
  EXPECT_EQ(account.account().balance(), 9'700);
  ASSERT_EQ(account.account().lots_size(),
            1);  // One credit, partly spent: one lot, expiring in 180 days.
  EXPECT_EQ(account.account().lots(0).amount(), 9'700);
  EXPECT_GT(account.account().lots(0).expiry(), static_cast<uint64_t>(WallClockMs()) * 1'000'000);

  v1::WalletHistoryRequest newest;
  newest.set_reverse(true);
  newest.set_limit(1);
  v1::GetAccountHistoryReply history;
  ASSERT_TRUE(GetHistory(Signed(alice_, kAlice, "GetHistory", newest, 2), &history).ok());
  ASSERT_EQ(history.entries_size(), 1);
  EXPECT_EQ(history.entries(0).transfer_id(), IdBytes(0x5e4d, 1));
  EXPECT_EQ(history.entries(0).delta(), -300);
  EXPECT_EQ(history.entries(0).balance_after(), 9'700);
  ASSERT_NE(history.next_timestamp(), 0u);  // Paged like Ledger.GetAccountHistory.
  newest.set_to_timestamp(history.next_timestamp());
  history.Clear();
  ASSERT_TRUE(GetHistory(Signed(alice_, kAlice, "GetHistory", newest, 3), &history).ok());
  ASSERT_EQ(history.entries_size(), 1);
  EXPECT_EQ(history.entries(0).transfer_id(), IdBytes(0, 1));
  EXPECT_EQ(history.entries(0).delta(), 10'000);

  v1::ListStaffOperationsReply operations;
  ASSERT_TRUE(wallet_
                  ->ListStaffOperations(ContextWithDeadline(kTimeout).get(),
                                        Signed(alice_, kAlice, "ListStaffOperations",
                                               v1::WalletStaffOperationsRequest(), 4),
                                        &operations)
                  .ok());
  EXPECT_EQ(operations.operations_size(), 0);

  // The body's checks are those of the Ledger service.
  v1::WalletHistoryRequest too_many;
  too_many.set_limit(8191);
  const grpc::Status refused =
      GetHistory(Signed(alice_, kAlice, "GetHistory", too_many, 5), &history);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(refused.error_message(), "limit: 8191, at most 8190");
}

TEST_F(AuthE2eTest, AWalletCannotReadAnothersAccount) {
  v1::WalletAccountReply account;
  // Alice's key on Bob's account: Bob's registered key did not sign it.
  grpc::Status status =
      GetAccount(Signed(alice_, kBob, "GetAccount", v1::WalletAccountRequest(), 1), &account);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
  EXPECT_FALSE(account.has_account());
  // Alice's own signed request with the account swapped afterwards: the signature covers the
  // account.
  v1::WalletRequest swapped = Signed(alice_, kAlice, "GetHistory", v1::WalletHistoryRequest(), 2);
  swapped.set_account_id(IdBytes(kBob));
  v1::GetAccountHistoryReply history;
  status = GetHistory(swapped, &history);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(status.error_message(), "signature mismatch (not this wallet's key, or altered)");
  EXPECT_EQ(history.entries_size(), 0);
  // A request Alice signed for GetAccount does not pass as another read.
  status =
      GetHistory(Signed(alice_, kAlice, "GetAccount", v1::WalletHistoryRequest(), 3), &history);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  // Carol has no key: nobody can read her account through the Wallet service.
  status =
      GetAccount(Signed(alice_, kCarol, "GetAccount", v1::WalletAccountRequest(), 4), &account);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(status.error_message(),
            "wallet " + (Id128{0, kCarol}).ToHex() + " has no registered key");
  // A stale read is refused like a stale payment.
  status = GetAccount(Signed(alice_, kAlice, "GetAccount", v1::WalletAccountRequest(), 5, -600'000),
                      &account);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  // Bob reads his own, and sees Alice's send only as his credit.
  ASSERT_TRUE(
      GetAccount(Signed(bob_, kBob, "GetAccount", v1::WalletAccountRequest(), 6), &account).ok());
  EXPECT_EQ(account.account().id(), IdBytes(kBob));
  EXPECT_EQ(account.account().balance(), 2'300);
}

TEST_F(AuthE2eTest, ReadsSpendNoNonce) {
  // The same nonce for two reads, then for a send: all three go through (reads do not spend it) ...
  v1::WalletAccountReply account;
  ASSERT_TRUE(
      GetAccount(Signed(alice_, kAlice, "GetAccount", v1::WalletAccountRequest(), 900), &account)
          .ok());
  ASSERT_TRUE(
      GetAccount(Signed(alice_, kAlice, "GetAccount", v1::WalletAccountRequest(), 900), &account)
          .ok());
  v1::SendRequest send;
  send.set_transfer_id(IdBytes(0x5e4d, 2));
  send.set_to_account_id(IdBytes(kBob));
  send.set_amount(100);
  v1::WalletReply reply;
  ASSERT_TRUE(wallet_
                  ->Send(ContextWithDeadline(kTimeout).get(),
                         Signed(alice_, kAlice, "Send", send, 900), &reply)
                  .ok());
  EXPECT_EQ(reply.result(), v1::OK);
  // ... while the spent nonce still moves money only once, and a read with it still works.
  send.set_transfer_id(IdBytes(0x5e4d, 3));
  ASSERT_TRUE(wallet_
                  ->Send(ContextWithDeadline(kTimeout).get(),
                         Signed(alice_, kAlice, "Send", send, 900), &reply)
                  .ok());
  EXPECT_EQ(reply.result(), v1::NONCE_REPLAYED);
  ASSERT_TRUE(
      GetAccount(Signed(alice_, kAlice, "GetAccount", v1::WalletAccountRequest(), 900), &account)
          .ok());
  EXPECT_EQ(account.account().balance(), 9'600);
  // The envelope is the same as for payments: a zero nonce is malformed.
  const grpc::Status zero =
      GetAccount(Signed(alice_, kAlice, "GetAccount", v1::WalletAccountRequest(), 0), &account);
  EXPECT_EQ(zero.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(zero.error_message(), "nonce: must not be zero");
}

}  // namespace
}  // namespace ledger
