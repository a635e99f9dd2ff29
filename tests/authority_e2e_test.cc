// The authority table (tests/authority_table.h), end to end through a real ledgerd (a one-node Raft
// cluster, so that the Cluster service answers too). A town with two of each identity: two shops
// (an ordinary and a manager terminal each), two residents (coin and points wallets, a step device,
// a watcher each), two task hosts (a terminal and a check-in device each) with a visitor each, and
// the operator. For every row of the table (every method of the five services), every identity the
// row does not allow sends the row's request against the row's victim (side A: shop A, host A,
// resident A), signed correctly with its OWN credentials: claiming the victim's shop, wallet or
// device (an envelope naming the victim, its own key and terminal or device id), and where the body
// names the victim's objects (a payment id, a task, an alert), also from its own envelope; on the
// operator services, on the operator listener without a client certificate of the cluster's CA (the
// node serves TLS as in production). Each must be refused (a non-OK gRPC status, or a result code
// other than OK; UNAVAILABLE, the TLS handshake refused, on the operator services) and decide
// nothing: no balance of any account in the town moves, and every journal entry the attempt
// appended decides only refusals. Then the row's allowed identity sends the same request, which
// must be accepted: so the request is one that would have worked, and the refusals above were about
// who sent it. LEDGER_AUTHORITY_ROWS=Service.Method,... runs only those rows;
// LEDGER_AUTHORITY_VERBOSE=1 prints every attempt and its answer.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <cctype>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <future>
#include <map>
#include <set>
#include <sstream>

#include "absl/status/status.h"
#include "formats/emvco.h"
#include "formats/keys.h"
#include "google/protobuf/descriptor.h"
#include "gtest/gtest.h"
#include "ledger/client/client.h"
#include "ledger/core/health.h"
#include "ledger/core/journal.h"
#include "ledger/core/limits.h"
#include "ledger/core/operators.h"
#include "ledger/core/pos.h"
#include "ledger/core/tasks.h"
#include "ledger/server/operator_roles.h"
#include "merchant/pos_client.h"
#include "tests/authority_table.h"
#include "tests/ledger_process.h"
#include "tests/payments.h"
#include "tests/raft_key.h"
#include "wallet/cpm.h"
#include "wallet/wallet_client.h"

namespace ledger {
namespace {

namespace pb = google::protobuf;
using merchant::WallClockMs;
using testing::AuthorityRow;
using testing::AuthorityTable;
using testing::LedgerProcess;
using testing::MakeTempDir;
using testing::MakeTransfer;
using testing::Role;

constexpr auto kTimeout = std::chrono::seconds(10);
// Coin (asset 1): issuer, fees, escrows, the city's budget, two shops, two hosts, two residents'
// coin wallets, their watchers, two visitors, an account to close, a wallet whose key the city
// revokes.
constexpr uint64_t kIssuer = 1, kFee = 4, kEscrowA = 5, kEscrowB = 6, kBudget = 7, kShopA = 10,
                   kShopB = 11, kHostA = 12, kHostB = 13, kWalletA = 20, kWalletB = 21,
                   kWatcherA = 22, kWatcherB = 23, kVisitorA = 24, kVisitorB = 25, kSpare = 26,
                   kSpareKey = 27, kVisitorA2 = 28;
// Health points (asset 2): issuer, the program's budget, the residents' points wallets.
constexpr uint64_t kPointsIssuer = 30, kPointsBudget = 31, kPointsA = 32, kPointsB = 33;
// Made by the operator rows' own requests: asset 9's breakage account, a new wallet.
constexpr uint64_t kNewBreakage = 90, kNewWallet = 91;
constexpr uint32_t kProgram = 1;
const char kCard[] = "4000123412341234";
const char kSpareCard[] = "4000222233334444";

std::string Hex(const std::string& bytes) { return wallet::Hex(bytes); }

// "PERMISSION_DENIED: message".
std::string StatusText(const grpc::Status& status) {
  // gRPC's codes are Abseil's, number for number (as ledgerctl prints them).
  return absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code())) + ": " +
         status.error_message();
}

// A refusal's reason without the ids in it (32 hex digits), for the summary.
std::string Reason(const std::string& what) {
  std::string out;
  for (size_t i = 0; i < what.size();) {
    size_t j = i;
    while (j < what.size() && std::isxdigit(static_cast<unsigned char>(what[j]))) ++j;
    if (j - i == 32) {
      out += "<id>";
      i = j;
    } else {
      out += what[i++];
    }
  }
  return out;
}
Id128 Id(uint64_t id) { return Id128{0, id}; }
uint64_t NowNs() { return WallClockMs() * 1'000'000; }
int64_t Today() { return BusinessDayIndex(static_cast<Timestamp>(NowNs())); }

// One identity of the town: a role, on side A (the victim's) or B, and its own credentials.
struct Actor {
  Role role;
  char side;
  std::string account;   // 16 bytes: the merchant of a terminal, the wallet of a key, the resident
                         // of a device.
  std::string key_id;    // The terminal id or device id; empty for a wallet key.
  wallet::KeyPair keys;  // Empty for the operator.
  std::string Name() const { return testing::RoleName(role) + " " + side; }
  bool terminal() const {
    return role == Role::kTerminal || role == Role::kManager || role == Role::kHost;
  }
};

// One request as sent: the method ("Service.Method"), the serialized request, the bearer token it
// carries.
struct Call {
  std::string label;   // How it claims the victim: "claims the victim" or "its own envelope".
  std::string method;  // "Service.Method".
  std::string request;
  std::string token;
};

class AuthorityE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string root = MakeTempDir("authority");
    const std::string dir = root + "/ledger";
    // A one-node Raft cluster, so that the Cluster service exists (a plain node answers
    // UNIMPLEMENTED). Rate limits out of the way: the test sends hundreds of requests in a few
    // seconds.
    const std::string grpc_address = "127.0.0.1:" + std::to_string(testing::FreeLoopbackPort());
    const std::string raft_address = "127.0.0.1:" + std::to_string(testing::FreeLoopbackPort());
    const std::string operator_address = "127.0.0.1:" + std::to_string(testing::FreeLoopbackPort());
    ASSERT_TRUE(
        server_
            .StartNode(dir, grpc_address,
                       {"--raft_id=1",
                        "--peers=1=" + raft_address + "/" + grpc_address + "/" + operator_address,
                        "--operator_listen=" + operator_address, testing::RaftKeyFlag(root),
                        "--pos_requests_per_second=100000", "--pos_burst=100000",
                        "--wallet_requests_per_second=100000", "--wallet_burst=100000"})
            .ok())
        << server_.log_path();
    ledger_ = v1::Ledger::NewStub(server_.operator_channel());
    ASSERT_TRUE(WaitForLedger(ledger_.get(), kTimeout).ok());
    auto channel = server_.public_channel();
    pos_ = v1::Pos::NewStub(channel);
    wallet_ = v1::Wallet::NewStub(channel);
    health_ = v1::Health::NewStub(channel);
    MakeActors();
    BuildTown();
  }

  void MakeActors() {
    auto add = [&](Role role, char side, uint64_t account, std::string key_id) {
      actors_.push_back(
          Actor{role, side, IdBytes(account), std::move(key_id), wallet::GenerateKeyPair()});
    };
    actors_.push_back(Actor{Role::kOperator, 'A', "", "", {}});
    add(Role::kTerminal, 'A', kShopA, "A-1");
    add(Role::kTerminal, 'B', kShopB, "B-1");
    add(Role::kManager, 'A', kShopA, "A-M");
    add(Role::kManager, 'B', kShopB, "B-M");
    add(Role::kWallet, 'A', kWalletA, "");
    add(Role::kWallet, 'B', kWalletB, "");
    add(Role::kDevice, 'A', kPointsA, "dev-A");
    add(Role::kDevice, 'B', kPointsB, "dev-B");
    add(Role::kWatcher, 'A', kWatcherA, "");
    add(Role::kWatcher, 'B', kWatcherB, "");
    add(Role::kHost, 'A', kHostA, "HA-1");
    add(Role::kHost, 'B', kHostB, "HB-1");
    add(Role::kVisitor, 'A', kVisitorA, "");
    add(Role::kVisitor, 'B', kVisitorB, "");
    host_device_a_ = wallet::GenerateKeyPair();
    host_device_b_ = wallet::GenerateKeyPair();
  }

  const Actor& Of(Role role, char side) const {
    for (const Actor& actor : actors_) {
      if (actor.role == role && actor.side == side) return actor;
    }
    ADD_FAILURE() << "no actor " << testing::RoleName(role) << " " << side;
    return actors_.front();
  }

  template <typename Request>
  void Operator(grpc::Status (v1::Ledger::Stub::*rpc)(grpc::ClientContext*, const Request&,
                                                      v1::CreateReply*),
                const Request& request) {
    v1::CreateReply reply;
    const grpc::Status status =
        (ledger_.get()->*rpc)(ContextWithDeadline(kTimeout).get(), request, &reply);
    ASSERT_TRUE(status.ok()) << status.error_message();
    for (const auto& result : reply.results())
      ASSERT_EQ(result.result(), v1::OK) << request.DebugString();
  }
  void Terminal(grpc::Status (v1::Pos::Stub::*rpc)(grpc::ClientContext*, const v1::SignedRequest&,
                                                   v1::PosReply*),
                const char* method, const Actor& as, const pb::Message& body) {
    v1::PosReply reply;
    const merchant::Terminal terminal{as.account, as.key_id, as.keys};
    const grpc::Status status =
        (pos_.get()->*rpc)(ContextWithDeadline(kTimeout).get(),
                           merchant::SignRequest(terminal, method, body, WallClockMs()), &reply);
    ASSERT_TRUE(status.ok()) << method << ": " << status.error_message();
    ASSERT_EQ(reply.result(), v1::OK) << method << " " << body.DebugString();
  }
  template <typename Stub>
  void Resident(Stub* stub,
                grpc::Status (Stub::*rpc)(grpc::ClientContext*, const v1::WalletRequest&,
                                          v1::WalletReply*),
                const char* method, const Actor& as, uint64_t account, const pb::Message& body) {
    v1::WalletReply reply;
    const grpc::Status status =
        (stub->*rpc)(ContextWithDeadline(kTimeout).get(),
                     wallet::SignWalletRequest(as.keys, IdBytes(account), method, body,
                                               WallClockMs(), wallet::RandomNonce()),
                     &reply);
    ASSERT_TRUE(status.ok()) << method << ": " << status.error_message();
    ASSERT_EQ(reply.result(), v1::OK) << method << " " << body.DebugString();
  }

  v1::StepReportRequest Report(const Actor& device, uint64_t resident, const std::string& device_id,
                               uint32_t day, uint32_t steps) {
    v1::StepReportRequest report;
    report.set_program(kProgram);
    report.set_resident_id(IdBytes(resident));
    report.set_device_id(device_id);
    report.set_day(day);
    report.set_steps(steps);
    report.set_nonce(wallet::RandomNonce());
    report.set_signature(wallet::Sign(
        device.keys,
        StepReportSignedBytes(kProgram, Id(resident), device_id, day, steps, report.nonce())));
    return report;
  }

  std::string CheckInCode(const wallet::KeyPair& device, uint64_t host, const std::string& task,
                          uint64_t visitor, bool out) {
    return wallet::Sign(device,
                        TaskCodeSignedBytes(Id(host), task, Id(visitor), DayNumber(Today()), out));
  }

  v1::PostTaskRequest Task(const std::string& id, uint64_t escrow, const wallet::KeyPair& device,
                           int days, uint32_t slots) {
    v1::PostTaskRequest task;
    task.set_task_id(id);
    task.set_title("harvest");
    task.set_first_day(DayNumber(Today()));
    task.set_last_day(DayNumber(Today() + days - 1));
    task.set_slots(slots);
    task.set_per_day(100);
    task.set_escrow_account_id(IdBytes(escrow));
    task.set_hours_per_day(1);
    task.set_host_key(device.public_key);
    return task;
  }

  void BuildTown() {
    ASSERT_NO_FATAL_FAILURE(SetUpAccounts());
    ASSERT_NO_FATAL_FAILURE(SetUpKeysAndSettings());
    ASSERT_NO_FATAL_FAILURE(SetUpPaymentsAndHealth());
    ASSERT_NO_FATAL_FAILURE(SetUpTasks());
  }

  // Two assets, every account of the town, funded.
  void SetUpAccounts() {
    using S = v1::Ledger::Stub;
    v1::CreateAssetsRequest assets;
    v1::Asset* coin = assets.add_assets();
    coin->set_id(1);
    coin->set_code("COIN");
    coin->set_breakage_account_id(IdBytes(2));
    v1::Asset* points = assets.add_assets();
    points->set_id(2);
    points->set_code("HP");
    points->set_breakage_account_id(IdBytes(3));
    ASSERT_NO_FATAL_FAILURE(Operator(&S::CreateAssets, assets));
    v1::CreateAccountsRequest accounts;
    auto account = [&](uint64_t id, uint32_t asset, v1::AccountKind kind) {
      v1::Account* a = accounts.add_accounts();
      a->set_id(IdBytes(id));
      a->set_asset(asset);
      a->set_kind(kind);
      a->set_flags(kind == v1::ISSUER || kind == v1::FEE || kind == v1::ESCROW ? 0
                                                                               : v1::NON_NEGATIVE);
    };
    account(kIssuer, 1, v1::ISSUER);
    account(kFee, 1, v1::FEE);
    account(kEscrowA, 1, v1::ESCROW);
    account(kEscrowB, 1, v1::ESCROW);
    account(kBudget, 1, v1::BUDGET);
    for (uint64_t id : {kShopA, kShopB, kHostA, kHostB}) account(id, 1, v1::MERCHANT);
    for (uint64_t id = kWalletA; id <= kVisitorA2; ++id) account(id, 1, v1::WALLET);
    account(kPointsIssuer, 2, v1::ISSUER);
    account(kPointsBudget, 2, v1::BUDGET);
    account(kPointsA, 2, v1::WALLET);
    account(kPointsB, 2, v1::WALLET);
    ASSERT_NO_FATAL_FAILURE(Operator(&S::CreateAccounts, accounts));
    v1::CreateTransfersRequest funding;
    uint64_t n = 0;
    for (auto [from, to, amount] : std::vector<std::tuple<uint64_t, uint64_t, int64_t>>{
             {kIssuer, kWalletA, 10'000},
             {kIssuer, kWalletB, 10'000},
             {kIssuer, kHostA, 100'000},
             {kIssuer, kHostB, 100'000},
             {kIssuer, kBudget, 1'000'000},
             {kIssuer, kShopA, 5'000},
             {kIssuer, kShopB, 5'000},
             {kPointsIssuer, kPointsBudget, 1'000'000}}) {
      *funding.add_transfers() = MakeTransfer(0, ++n, from, to, amount);
    }
    ASSERT_NO_FATAL_FAILURE(Operator(&S::CreateTransfers, funding));
  }

  // Every actor's key (a resident's also on her points wallet), a spare terminal and a wallet key
  // to revoke, fees, a card, the health program.
  void SetUpKeysAndSettings() {
    using S = v1::Ledger::Stub;
    v1::RegisterKeysRequest keys;
    auto key = [&](const std::string& account, const std::string& key_id,
                   const std::string& public_key, bool manager = false) {
      v1::PublicKey* k = keys.add_keys();
      k->set_account_id(account);
      k->set_key_id(key_id);
      k->set_public_key(public_key);
      k->set_manager(manager);
    };
    for (const Actor& actor : actors_) {
      if (actor.terminal())
        key(actor.account, actor.key_id, actor.keys.public_key, actor.role == Role::kManager);
      if (actor.role == Role::kWallet || actor.role == Role::kWatcher ||
          actor.role == Role::kVisitor) {
        key(actor.account, "", actor.keys.public_key);
      }
    }
    // A resident's one key signs for her coin and her points wallet.
    key(IdBytes(kPointsA), "", Of(Role::kWallet, 'A').keys.public_key);
    key(IdBytes(kPointsB), "", Of(Role::kWallet, 'B').keys.public_key);
    spare_terminal_ = wallet::GenerateKeyPair();
    key(IdBytes(kShopA), "A-S", spare_terminal_.public_key);
    key(IdBytes(kSpareKey), "", wallet::GenerateKeyPair().public_key);
    visitor_a2_ = wallet::GenerateKeyPair();
    key(IdBytes(kVisitorA2), "", visitor_a2_.public_key);
    ASSERT_NO_FATAL_FAILURE(Operator(&S::RegisterKeys, keys));

    ASSERT_NO_FATAL_FAILURE(Operator(&S::SetFees, Fees()));
    v1::RegisterCardsRequest cards;
    v1::Card* card = cards.add_cards();
    card->set_card_number(kCard);
    card->set_account_id(IdBytes(kWalletA));
    card->set_pin("1234");
    v1::Card* spare = cards.add_cards();  // Re-issued by the Ledger.ReissueCards row.
    spare->set_card_number(kSpareCard);
    spare->set_account_id(IdBytes(kWalletB));
    spare->set_pin("5678");
    ASSERT_NO_FATAL_FAILURE(Operator(&S::RegisterCards, cards));
    v1::CreateReply reply;
    ASSERT_TRUE(
        ledger_->SetHealthProgram(ContextWithDeadline(kTimeout).get(), Program(kProgram), &reply)
            .ok());
    ASSERT_EQ(reply.results(0).result(), v1::Result::OK);
  }

  void SetUpPaymentsAndHealth() {
    // Shop payments: pay-A (refunded by its row) and pay-A2 (cancelled by its row) at shop A, pay-B
    // at B.
    using P = v1::Pos::Stub;
    for (auto [shop, payer, id] : std::vector<std::tuple<char, char, const char*>>{
             {'A', 'A', "pay-A"}, {'A', 'A', "pay-A2"}, {'B', 'B', "pay-B"}}) {
      ASSERT_NO_FATAL_FAILURE(Terminal(&P::CreatePayment, "CreatePayment",
                                       Of(Role::kTerminal, shop), Payment(id, payer)));
    }

    // Health: each resident's device (A also a spare one), consents, five days walked and then two
    // silent, her watcher; the next batch raises a no_reports alert for each (seq 1).
    using H = v1::Health::Stub;
    for (char side : {'A', 'B'}) {
      const Actor& resident = Of(Role::kWallet, side);
      const Actor& device = Of(Role::kDevice, side);
      const uint64_t points = side == 'A' ? kPointsA : kPointsB;
      std::vector<std::pair<std::string, std::string>> devices{
          {device.key_id, device.keys.public_key}};
      if (side == 'A') devices.push_back({"dev-A2", wallet::GenerateKeyPair().public_key});
      for (const auto& [id, public_key] : devices) {
        v1::RegisterDeviceRequest body;
        body.set_device_id(id);
        body.set_public_key(public_key);
        ASSERT_NO_FATAL_FAILURE(
            Resident(health_.get(), &H::RegisterDevice, "RegisterDevice", resident, points, body));
      }
      for (v1::ConsentPurpose purpose : {v1::EARNING, v1::WATCH_OVER}) {
        v1::ConsentRequest body;
        body.set_purpose(purpose);
        body.set_granted(true);
        ASSERT_NO_FATAL_FAILURE(
            Resident(health_.get(), &H::SetConsent, "SetConsent", resident, points, body));
      }
      for (int64_t day = Today() - 7; day <= Today() - 3; ++day) {
        v1::StepReportReply reported;
        ASSERT_TRUE(health_
                        ->ReportSteps(ContextWithDeadline(kTimeout).get(),
                                      Report(device, points, device.key_id, DayNumber(day), 7000),
                                      &reported)
                        .ok());
        ASSERT_EQ(reported.result(), v1::OK);
      }
      v1::WatchOverRequest watch;
      watch.add_watcher_ids(Of(Role::kWatcher, side).account);
      ASSERT_NO_FATAL_FAILURE(
          Resident(health_.get(), &H::SetWatchOver, "SetWatchOver", resident, points, watch));
    }
    v1::CreateTransfersRequest nudge;
    *nudge.add_transfers() = MakeTransfer(0x4e, 1, kIssuer, kBudget, 1);
    ASSERT_NO_FATAL_FAILURE(Operator(&v1::Ledger::Stub::CreateTransfers, nudge));
  }

  void SetUpTasks() {
    using P = v1::Pos::Stub;
    // Tasks: host A's task-A (another visitor, A2, accepted, in and out today; one free slot),
    // task-A2 (visitor A applied, undecided), task-A3 (nobody applied); host B's task-B (visitor B
    // accepted).
    using W = v1::Wallet::Stub;
    const Actor& host_a = Of(Role::kHost, 'A');
    const Actor& host_b = Of(Role::kHost, 'B');
    const Actor& visitor_a = Of(Role::kVisitor, 'A');
    const Actor& visitor_b = Of(Role::kVisitor, 'B');
    ASSERT_NO_FATAL_FAILURE(
        Terminal(&P::PostTask, "PostTask", host_a, Task("task-A", kEscrowA, host_device_a_, 3, 2)));
    ASSERT_NO_FATAL_FAILURE(Terminal(&P::PostTask, "PostTask", host_a,
                                     Task("task-A2", kEscrowA, host_device_a_, 1, 1)));
    ASSERT_NO_FATAL_FAILURE(Terminal(&P::PostTask, "PostTask", host_a,
                                     Task("task-A3", kEscrowA, host_device_a_, 1, 1)));
    ASSERT_NO_FATAL_FAILURE(
        Terminal(&P::PostTask, "PostTask", host_b, Task("task-B", kEscrowB, host_device_b_, 1, 2)));
    const Actor visitor_a2{Role::kVisitor, 'A', IdBytes(kVisitorA2), "", visitor_a2_};
    for (auto [visitor, host, task] : std::vector<std::tuple<const Actor*, uint64_t, const char*>>{
             {&visitor_a2, kHostA, "task-A"},
             {&visitor_a, kHostA, "task-A2"},
             {&visitor_b, kHostB, "task-B"}}) {
      v1::ApplyTaskRequest apply;
      apply.set_host_account_id(IdBytes(host));
      apply.set_task_id(task);
      ASSERT_NO_FATAL_FAILURE(Resident(wallet_.get(), &W::ApplyTask, "ApplyTask", *visitor,
                                       Id128::FromBytes(visitor->account)->low, apply));
    }
    for (auto [host, visitor, task] : std::vector<std::tuple<const Actor*, uint64_t, const char*>>{
             {&host_a, kVisitorA2, "task-A"}, {&host_b, kVisitorB, "task-B"}}) {
      v1::DecideApplicationRequest decide;
      decide.set_task_id(task);
      decide.set_visitor_account_id(IdBytes(visitor));
      decide.set_accept(true);
      ASSERT_NO_FATAL_FAILURE(Terminal(&P::DecideApplication, "DecideApplication", *host, decide));
    }
    for (bool out : {false, true}) {
      v1::CheckInRequest check;
      check.set_host_account_id(IdBytes(kHostA));
      check.set_task_id("task-A");
      check.set_out(out);
      check.set_host_signature(CheckInCode(host_device_a_, kHostA, "task-A", kVisitorA2, out));
      ASSERT_NO_FATAL_FAILURE(
          Resident(wallet_.get(), &W::CheckIn, "CheckIn", visitor_a2, kVisitorA2, check));
    }
  }

  v1::SetFeesRequest Fees() const {
    v1::SetFeesRequest fees;
    v1::FeeSchedule* schedule = fees.add_schedules();
    schedule->set_asset(1);
    schedule->set_issuer_account_id(IdBytes(kIssuer));
    schedule->set_fee_account_id(IdBytes(kFee));
    schedule->set_cashout_bps(150);
    schedule->set_member_cashout_bps(100);
    schedule->set_supplier_bps(100);
    return fees;
  }
  v1::HealthProgram Program(uint32_t id) const {
    v1::HealthProgram program;  // Default tiers; 10 pt -> 10 coin.
    program.set_program(id);
    program.set_effective_day(20260101);
    program.set_funding_account_id(IdBytes(kPointsBudget));
    program.set_exchange_retire_account_id(IdBytes(kPointsIssuer));
    program.set_coin_funding_account_id(IdBytes(kBudget));
    program.set_exchange_points(10);
    program.set_exchange_coin(10);
    return program;
  }
  // A payment at a shop with a fresh code from resident `payer`'s wallet.
  v1::CreatePaymentRequest Payment(const std::string& id, char payer) const {
    v1::CreatePaymentRequest payment;
    payment.set_payment_id(id);
    payment.set_amount(payer == 'A' ? 1000 : 900);
    payment.set_cpm(*wallet::IssueCpm(Of(Role::kWallet, payer).keys,
                                      IdBytes(payer == 'A' ? kWalletA : kWalletB),
                                      wallet::RandomNonce(), WallClockMs(), 60));
    return payment;
  }

  // ---- Requests as an actor ----

  // The operator connects with its client certificate; the others with what they have instead:
  // their own key, which no certificate of the cluster's CA names, so the operator listener's TLS
  // handshake refuses them (ChannelWith).
  std::string TokenOf(const Actor& as) const {
    if (as.role == Role::kOperator) return kOperatorCertificate;
    return Hex(as.keys.public_key);
  }

  // An operator service's request, from anyone.
  std::vector<Call> OperatorCall(const std::string& method, const pb::Message& request,
                                 const Actor& as) const {
    return {Call{"with its own credential", method, request.SerializeAsString(), TokenOf(as)}};
  }

  // A Pos request for the victim merchant: a terminal claims it with its own terminal id and key
  // (so the victim's own terminals make valid envelopes, refused only for their role); an identity
  // without a terminal claims the victim's terminal `victim_terminal` and signs with its own key
  // (the operator, who has no key, signs nothing). With `own`, a terminal of another merchant also
  // sends the body from its own envelope (for bodies that name the victim's payment or task).
  std::vector<Call> PosCall(const std::string& method, uint64_t victim,
                            const std::string& victim_terminal, const pb::Message& body,
                            const Actor& as, bool own = false) const {
    const std::string name = method.substr(method.find('.') + 1);
    std::vector<Call> calls;
    v1::SignedRequest claim;
    if (as.terminal()) {
      claim = merchant::SignRequest(merchant::Terminal{IdBytes(victim), as.key_id, as.keys}, name,
                                    body, WallClockMs());
    } else if (as.role != Role::kOperator) {
      claim = merchant::SignRequest(merchant::Terminal{IdBytes(victim), victim_terminal, as.keys},
                                    name, body, WallClockMs());
    } else {
      claim.set_merchant_id(IdBytes(victim));
      claim.set_terminal_id(victim_terminal);
      claim.set_timestamp_ms(WallClockMs());
      claim.set_body(body.SerializeAsString());
      claim.set_signature(std::string(64, '\0'));
    }
    const std::string token = as.role == Role::kOperator ? kOperatorCertificate : "";
    calls.push_back(Call{"claiming the victim's shop", method, claim.SerializeAsString(), token});
    if (own && as.terminal() && as.account != IdBytes(victim)) {
      calls.push_back(Call{"from its own envelope", method,
                           merchant::SignRequest(merchant::Terminal{as.account, as.key_id, as.keys},
                                                 name, body, WallClockMs())
                               .SerializeAsString(),
                           ""});
    }
    return calls;
  }

  // A Wallet or Health request for the victim's account, signed with the actor's own key (the
  // operator: unsigned, with its token). With `own`, a key holder also sends the body for its own
  // account.
  std::vector<Call> WalletCall(const std::string& method, uint64_t victim, const pb::Message& body,
                               const Actor& as, bool own = false) const {
    const std::string name = method.substr(method.find('.') + 1);
    std::vector<Call> calls;
    if (as.role == Role::kOperator) {
      v1::WalletRequest request;
      request.set_account_id(IdBytes(victim));
      request.set_timestamp_ms(WallClockMs());
      request.set_nonce(wallet::RandomNonce());
      request.set_body(body.SerializeAsString());
      request.set_signature(std::string(64, '\0'));
      calls.push_back(Call{"claiming the victim's wallet", method, request.SerializeAsString(),
                           kOperatorCertificate});
      return calls;
    }
    calls.push_back(Call{"claiming the victim's wallet", method,
                         wallet::SignWalletRequest(as.keys, IdBytes(victim), name, body,
                                                   WallClockMs(), wallet::RandomNonce())
                             .SerializeAsString(),
                         ""});
    if (own && as.account != IdBytes(victim)) {
      calls.push_back(Call{"from its own envelope", method,
                           wallet::SignWalletRequest(as.keys, as.account, name, body, WallClockMs(),
                                                     wallet::RandomNonce())
                               .SerializeAsString(),
                           ""});
    }
    return calls;
  }

  using RequestMap = std::map<std::string, std::function<std::vector<Call>(const Actor&)>>;

  // Every method's request against side A, as `as` would send it. Adding a method to the table
  // without a request here fails EveryMethodIsInTheTableAndHasARequest.
  RequestMap Requests() {
    RequestMap r;
    LedgerAccountRequests(&r);
    LedgerSettingRequests(&r);
    OperatorReadRequests(&r);
    PosRequests(&r);
    PosTaskRequests(&r);
    WalletRequests(&r);
    HealthRequests(&r);
    return r;
  }

  void AddOperator(RequestMap* r, const std::string& method, const pb::Message& request) {
    std::shared_ptr<pb::Message> copy(request.New());
    copy->CopyFrom(request);
    (*r)[method] = [this, method, copy](const Actor& as) {
      return OperatorCall(method, *copy, as);
    };
  }
  // `body` makes the body per request (e.g. a fresh customer code).
  void AddPos(RequestMap* r, const std::string& method, uint64_t victim,
              const std::string& terminal, bool own,
              std::function<std::shared_ptr<pb::Message>()> body) {
    (*r)[method] = [this, method, victim, terminal, own, body](const Actor& as) {
      return PosCall(method, victim, terminal, *body(), as, own);
    };
  }
  void AddPos(RequestMap* r, const std::string& method, uint64_t victim,
              const std::string& terminal, bool own, const pb::Message& body) {
    std::shared_ptr<pb::Message> copy(body.New());
    copy->CopyFrom(body);
    AddPos(r, method, victim, terminal, own, [copy] { return copy; });
  }
  void AddWallet(RequestMap* r, const std::string& method, uint64_t victim, bool own,
                 const pb::Message& body) {
    std::shared_ptr<pb::Message> copy(body.New());
    copy->CopyFrom(body);
    (*r)[method] = [this, method, victim, own, copy](const Actor& as) {
      return WalletCall(method, victim, *copy, as, own);
    };
  }

  // The operator's writes against side A: what a wallet or terminal may never do with any
  // credential.
  void LedgerAccountRequests(RequestMap* r) {
    {
      v1::CreateAssetsRequest q;
      v1::Asset* asset = q.add_assets();
      asset->set_id(9);
      asset->set_code("CTL");
      asset->set_breakage_account_id(IdBytes(kNewBreakage));
      AddOperator(r, "Ledger.CreateAssets", q);
    }
    {
      v1::CreateAccountsRequest q;
      v1::Account* a = q.add_accounts();
      a->set_id(IdBytes(kNewWallet));
      a->set_asset(1);
      a->set_kind(v1::WALLET);
      a->set_flags(v1::NON_NEGATIVE);
      AddOperator(r, "Ledger.CreateAccounts", q);
    }
    {
      v1::CloseAccountsRequest q;
      q.add_ids(IdBytes(kSpare));
      AddOperator(r, "Ledger.CloseAccounts", q);
    }
    {
      v1::CreateTransfersRequest q;
      *q.add_transfers() = MakeTransfer(0x7e57, 1, kWalletA, kWalletB, 5);
      AddOperator(r, "Ledger.CreateTransfers", q);
    }
    {
      v1::RegisterKeysRequest q;
      v1::PublicKey* k = q.add_keys();
      k->set_account_id(IdBytes(kNewWallet));
      k->set_public_key(wallet::GenerateKeyPair().public_key);
      AddOperator(r, "Ledger.RegisterKeys", q);
    }
    {
      v1::RevokeKeysRequest q;
      q.add_keys()->set_account_id(IdBytes(kSpareKey));
      AddOperator(r, "Ledger.RevokeKeys", q);
    }
  }

  void LedgerSettingRequests(RequestMap* r) {
    AddOperator(r, "Ledger.SetFees", Fees());
    {
      v1::SetMerchantProfilesRequest q;
      v1::MerchantProfile* p = q.add_profiles();
      p->set_merchant_id(IdBytes(kShopA));
      p->set_chamber_member(true);
      AddOperator(r, "Ledger.SetMerchantProfiles", q);
    }
    {
      v1::RegisterCardsRequest q;
      v1::Card* card = q.add_cards();
      card->set_card_number("4000999988887777");
      card->set_account_id(IdBytes(kWalletB));
      card->set_pin("4321");
      AddOperator(r, "Ledger.RegisterCards", q);
    }
    {
      v1::UnlockCardsRequest q;
      v1::CardUnlock* unlock = q.add_cards();
      unlock->set_card_number(kCard);
      unlock->set_operator_name("desk");
      AddOperator(r, "Ledger.UnlockCards", q);
    }
    {
      v1::ReissueCardsRequest q;
      v1::CardReissue* reissue = q.add_cards();
      reissue->set_card_number(kSpareCard);
      reissue->set_new_card_number("4000222233335555");
      reissue->set_pin("8765");
      reissue->set_operator_name("desk");
      AddOperator(r, "Ledger.ReissueCards", q);
    }
    AddOperator(r, "Ledger.SetHealthProgram", Program(2));
    {
      v1::TaskRules q;
      q.set_weekly_hours_max(38);
      AddOperator(r, "Ledger.SetTaskRules", q);
    }
    {
      v1::GrantSubsidiesRequest q;
      v1::SubsidyGrant* grant = q.add_grants();
      grant->set_budget_account_id(IdBytes(kBudget));
      grant->set_host_account_id(IdBytes(kHostB));
      grant->set_percent_max(10);
      grant->set_monthly_max(1000);
      AddOperator(r, "Ledger.GrantSubsidies", q);
    }
    {
      v1::Campaign q;
      q.set_campaign(1);
      q.set_name("spring");
      q.set_funding_account_id(IdBytes(kBudget));
      q.set_payment_asset(1);
      q.add_merchant_ids(IdBytes(kHostB));  // A shop nobody pays here: the campaign awards nothing.
      q.set_starts_at(NowNs());
      q.set_ends_at(NowNs() + 86'400'000'000'000ULL);
      q.set_percent_bps(100);
      q.set_budget(1000);
      AddOperator(r, "Ledger.CreateCampaign", q);
    }
    {
      v1::PauseCampaignRequest q;
      q.set_campaign(1);
      q.set_paused(true);
      AddOperator(r, "Ledger.PauseCampaign", q);
    }
    {
      v1::CloseCampaignRequest q;
      q.set_campaign(1);
      AddOperator(r, "Ledger.CloseCampaign", q);
    }
    {
      v1::LinkAccountsRequest q;
      v1::AccountLink* link = q.add_links();
      link->set_wallet_id(IdBytes(kWalletB));
      link->set_linked_id(IdBytes(kPointsB));
      AddOperator(r, "Ledger.LinkAccounts", q);
    }
  }

  void OperatorReadRequests(RequestMap* r) {
    {
      v1::GetTaskRequest q;
      q.set_host_account_id(IdBytes(kHostA));
      q.set_task_id("task-A");
      AddOperator(r, "Ledger.GetTask", q);
      v1::GetCampaignRequest c;
      c.set_campaign(1);
      AddOperator(r, "Ledger.GetCampaign", c);
      v1::ListStaffOperationsRequest s;
      s.set_account_id(IdBytes(kWalletA));
      AddOperator(r, "Ledger.ListStaffOperations", s);
      AddOperator(r, "Ledger.ListCashOuts", v1::ListCashOutsRequest());
      v1::LookupAssetsRequest assets;
      assets.add_ids(1);
      AddOperator(r, "Ledger.LookupAssets", assets);
      v1::LookupAccountsRequest accounts;
      accounts.add_ids(IdBytes(kWalletA));
      AddOperator(r, "Ledger.LookupAccounts", accounts);
      v1::LookupTransfersRequest transfers;
      transfers.add_ids(IdBytes(0, 1));
      AddOperator(r, "Ledger.LookupTransfers", transfers);
      v1::GetAccountHistoryRequest history;
      history.set_account_id(IdBytes(kWalletA));
      AddOperator(r, "Ledger.GetAccountHistory", history);
      v1::GetBalanceAtRequest balance;
      balance.set_account_id(IdBytes(kWalletA));
      balance.set_timestamp(NowNs());
      AddOperator(r, "Ledger.GetBalanceAt", balance);
      AddOperator(r, "Ledger.GetDigest", v1::GetDigestRequest());
      v1::GetJournalRequest journal;
      journal.set_from_index(1);
      journal.set_limit(1);
      AddOperator(r, "Ledger.GetJournal", journal);
      v1::AuditRequest audit;
      audit.set_replay(false);
      AddOperator(r, "Ledger.Audit", audit);
      v1::SubscribeRequest subscribe;
      subscribe.set_from_index(1);
      AddOperator(r, "Ledger.Subscribe", subscribe);
      AddOperator(r, "Ledger.Backup", v1::BackupRequest());
      AddOperator(r, "Ledger.ListOperators", v1::ListOperatorsRequest());
      v1::SetOperatorRolesRequest roles;
      v1::OperatorRoles* other = roles.add_operators();
      other->set_name("other-auditor");
      other->add_roles("auditor");
      AddOperator(r, "Ledger.SetOperatorRoles", roles);
      AddOperator(r, "Ledger.ListProposals", v1::ListProposalsRequest());
    }
    // Four-eyes: a proposal of a small transfer (proposal 1), its approval (by the same operator:
    // four_eyes_same_operator, past the token: see kPastTheToken), its withdrawal by its proposer;
    // SetFourEyes turns the rule on with a threshold no transfer reaches.
    {
      v1::CreateTransfersRequest inner;
      v1::Transfer* t = inner.add_transfers();
      t->set_id(IdBytes(0, 0x4e01));
      t->set_debit_account_id(IdBytes(kWalletA));
      t->set_credit_account_id(IdBytes(kWalletB));
      t->set_amount(1);
      t->set_code(1);
      v1::ProposeRequest propose;
      propose.set_proposal_id(IdBytes(0, 1));
      propose.set_method("CreateTransfers");
      propose.set_request(inner.SerializeAsString());
      AddOperator(r, "Ledger.Propose", propose);
      v1::ApproveRequest approve;
      approve.set_proposal_id(IdBytes(0, 1));
      AddOperator(r, "Ledger.Approve", approve);
      v1::RejectProposalRequest reject;
      reject.set_proposal_id(IdBytes(0, 1));
      AddOperator(r, "Ledger.RejectProposal", reject);
      v1::SetFourEyesRequest four_eyes;
      four_eyes.set_issuance_threshold(kAmountMax);
      AddOperator(r, "Ledger.SetFourEyes", four_eyes);
    }
    // Cluster: a standby that never runs, added and removed again; promoting it (after its removal,
    // so that the one-node cluster keeps its quorum) and a leadership transfer with no other voter
    // are refused by the membership code, past the token (see kPastTheToken).
    {
      v1::AddMemberRequest add;
      add.set_id(9);
      add.set_raft_address("127.0.0.1:9");
      add.set_grpc_address("127.0.0.1:9");
      AddOperator(r, "Cluster.AddMember", add);
      v1::MemberRequest member;
      member.set_id(9);
      AddOperator(r, "Cluster.RemoveMember", member);
      AddOperator(r, "Cluster.PromoteMember", member);
      AddOperator(r, "Cluster.TransferLeadership", v1::MemberRequest());
      AddOperator(r, "Cluster.Status", v1::ClusterStatusRequest());
      AddOperator(r, "Cluster.Clock", v1::ClusterClockRequest());
      v1::SnapshotChunkRequest chunk;
      chunk.set_origin(1);
      chunk.set_checkpoint_id(1);
      chunk.set_name("CURRENT");
      AddOperator(r, "Cluster.SnapshotChunk", chunk);
    }
  }

  // Pos: shop A's (terminal A-1 or manager A-M) and host A's (HA-1).
  void PosRequests(RequestMap* r) {
    {
      v1::RegisterTerminalRequest q;
      q.set_terminal_id("A-new");
      q.set_public_key(wallet::GenerateKeyPair().public_key);
      AddPos(r, "Pos.RegisterTerminal", kShopA, "A-M", false, q);
      v1::RevokeTerminalRequest revoke;
      revoke.set_terminal_id("A-S");
      AddPos(r, "Pos.RevokeTerminal", kShopA, "A-M", false, revoke);
    }
    // A fresh customer code per request: a refused attempt must not have used up the control's.
    AddPos(r, "Pos.CreatePayment", kShopA, "A-1", false,
           [this] { return std::make_shared<v1::CreatePaymentRequest>(Payment("cp-ctl", 'A')); });
    {
      v1::CardPaymentRequest q;
      q.set_payment_id("card-ctl");
      q.set_amount(100);
      q.set_card_number(kCard);
      q.set_pin("1234");
      q.set_staff_id("clerk");
      AddPos(r, "Pos.CardPayment", kShopA, "A-1", false, q);
      v1::CreateMpmRequest mpm;
      mpm.set_payment_id("mpm-order");
      mpm.set_amount(100);
      mpm.set_merchant_name("Shop A");
      mpm.set_merchant_city("Town");
      AddPos(r, "Pos.CreateMpm", kShopA, "A-1", false, mpm);
      v1::CloseDayRequest close;
      close.set_business_day(DayNumber(Today() - 1));
      AddPos(r, "Pos.CloseDay", kShopA, "A-1", false, close);
      v1::RefundPaymentRequest refund;
      refund.set_payment_id("pay-A");
      refund.set_refund_id("ref-ctl");
      refund.set_amount(100);
      AddPos(r, "Pos.RefundPayment", kShopA, "A-1", true, refund);
      v1::PaymentIdRequest cancel;
      cancel.set_payment_id("pay-A2");
      AddPos(r, "Pos.CancelPayment", kShopA, "A-1", true, cancel);
      v1::PaymentIdRequest get;
      get.set_payment_id("pay-A");
      AddPos(r, "Pos.GetPayment", kShopA, "A-1", true, get);
      AddPos(r, "Pos.WatchPayment", kShopA, "A-1", true, get);
      v1::CashOutRequest cash;
      cash.set_cashout_id("co-ctl");
      cash.set_amount(100);
      AddPos(r, "Pos.CashOut", kShopA, "A-1", false, cash);
      v1::SupplierPaymentRequest supplier;
      supplier.set_payment_id("sp-ctl");
      supplier.set_supplier_account_id(IdBytes(kShopB));
      supplier.set_amount(100);
      AddPos(r, "Pos.PaySupplier", kShopA, "A-1", false, supplier);
    }
  }

  void PosTaskRequests(RequestMap* r) {
    {
      AddPos(r, "Pos.PostTask", kHostA, "HA-1", false,
             Task("task-A4", kEscrowA, host_device_a_, 1, 1));
      v1::DecideApplicationRequest decide;
      decide.set_task_id("task-A2");
      decide.set_visitor_account_id(IdBytes(kVisitorA));
      decide.set_accept(true);
      AddPos(r, "Pos.DecideApplication", kHostA, "HA-1", true, decide);
      v1::CancelSlotsRequest slots;
      slots.set_task_id("task-A");
      slots.set_count(1);
      AddPos(r, "Pos.CancelSlots", kHostA, "HA-1", true, slots);
      v1::ConfirmDayRequest confirm;
      confirm.set_task_id("task-A");
      confirm.set_visitor_account_id(IdBytes(kVisitorA2));
      confirm.set_day(DayNumber(Today()));
      AddPos(r, "Pos.ConfirmDay", kHostA, "HA-1", true, confirm);
    }
  }

  // Wallet and Health: resident A's coin and points wallets, visitor A's, watcher A's.
  void WalletRequests(RequestMap* r) {
    {
      v1::SendRequest send;
      send.set_transfer_id(IdBytes(0x5e4d, 1));
      send.set_to_account_id(IdBytes(kWalletB));
      send.set_amount(10);
      AddWallet(r, "Wallet.Send", kWalletA, false, send);
      merchant::MpmPayload payload;
      payload.dynamic = false;
      payload.merchant_account = Id(kShopA).ToHex();
      payload.merchant_name = "Shop A";
      payload.merchant_city = "Town";
      v1::PayMpmRequest mpm;
      mpm.set_payload(*merchant::BuildMpm(payload));
      mpm.set_amount(100);
      mpm.set_payment_id("mpm-ctl");
      AddWallet(r, "Wallet.PayMpm", kWalletA, false, mpm);
      v1::ApplyTaskRequest apply;
      apply.set_host_account_id(IdBytes(kHostA));
      apply.set_task_id("task-A3");
      AddWallet(r, "Wallet.ApplyTask", kVisitorA, false, apply);
      v1::CheckInRequest check;
      check.set_host_account_id(IdBytes(kHostA));
      check.set_task_id("task-A2");
      check.set_host_signature(CheckInCode(host_device_a_, kHostA, "task-A2", kVisitorA, false));
      AddWallet(r, "Wallet.CheckIn", kVisitorA, true, check);
      AddWallet(r, "Wallet.GetAccount", kWalletA, false, v1::WalletAccountRequest());
      AddWallet(r, "Wallet.GetHistory", kWalletA, false, v1::WalletHistoryRequest());
      AddWallet(r, "Wallet.ListStaffOperations", kWalletA, false,
                v1::WalletStaffOperationsRequest());
    }
  }

  void HealthRequests(RequestMap* r) {
    (*r)["Health.ReportSteps"] = [this](const Actor& as) {
      // A device reports for resident A: its own device id and key (the victim's device id for
      // those without a device); the operator signs nothing.
      const std::string device_id = as.role == Role::kDevice ? as.key_id : "dev-A";
      v1::StepReportRequest report = Report(as, kPointsA, device_id, DayNumber(Today()), 5000);
      std::string token;
      if (as.role == Role::kOperator) {
        report.set_signature(std::string(64, '\0'));
        token = kOperatorCertificate;
      }
      return std::vector<Call>{Call{"claiming the victim's device", "Health.ReportSteps",
                                    report.SerializeAsString(), token}};
    };
    {
      v1::AckAlertRequest ack;
      ack.set_resident_id(IdBytes(kPointsA));
      ack.set_alert(1);
      AddWallet(r, "Health.AckAlert", kWatcherA, true, ack);
      v1::RegisterDeviceRequest device;
      device.set_device_id("dev-A3");
      device.set_public_key(wallet::GenerateKeyPair().public_key);
      AddWallet(r, "Health.RegisterDevice", kPointsA, false, device);
      v1::RevokeDeviceRequest revoke;
      revoke.set_device_id("dev-A2");
      AddWallet(r, "Health.RevokeDevice", kPointsA, false, revoke);
      v1::ConsentRequest consent;
      consent.set_purpose(v1::STATISTICS);
      consent.set_granted(true);
      AddWallet(r, "Health.SetConsent", kPointsA, false, consent);
      AddWallet(r, "Health.EraseStepData", kPointsA, false, v1::EraseStepDataRequest());
      v1::WatchOverRequest watch;
      watch.add_watcher_ids(IdBytes(kWatcherA));
      AddWallet(r, "Health.SetWatchOver", kPointsA, false, watch);
      v1::ExchangePointsRequest exchange;
      exchange.set_program(kProgram);
      exchange.set_coin_wallet_id(IdBytes(kWalletA));
      exchange.set_points(10);
      exchange.set_exchange_id("ex-ctl");
      AddWallet(r, "Health.ExchangePoints", kPointsA, false, exchange);
      v1::MileageRequest mileage;
      mileage.set_program(kProgram);
      AddWallet(r, "Health.GetMileage", kPointsA, false, mileage);
      v1::WatchAlertsRequest alerts;
      alerts.set_include_acknowledged(true);
      AddWallet(r, "Health.WatchAlerts", kWatcherA, false, alerts);
    }
  }

  // ---- Sending and judging ----

  struct Answer {
    grpc::Status status;
    bool accepted = false;  // OK status and, if the reply carries result codes, an OK one.
    std::string what;       // The status or result, for messages.
  };

  // The channel a call goes on. The public services: the public listener (TLS, the test CA); the
  // credential does not matter there, requests are signed. The operator services: the operator
  // listener, with the operator's client certificate when `token` is kOperatorCertificate (`as`:
  // another operator's, or a node's own "node-N"), else with no client certificate at all.
  std::shared_ptr<grpc::Channel> ChannelWith(const std::string& token, bool operator_service,
                                             const std::string& as = "") {
    const std::string key = !operator_service               ? "public"
                            : token != kOperatorCertificate ? "no certificate"
                                                            : "operator/" + as;
    auto it = channels_.find(key);
    if (it != channels_.end()) return it->second;
    std::shared_ptr<grpc::Channel> channel;
    if (!operator_service) {
      channel = server_.public_channel();
    } else if (token != kOperatorCertificate) {
      Transport none = testing::TestTransport();
      none.cert_pem.clear();
      none.key_pem.clear();
      channel = OperatorChannel(server_.operator_address(), none);
    } else if (as.rfind("node-", 0) == 0) {
      Transport node = testing::TestTransport();
      const std::string base = testing::TestPkiDir() + "/nodes/" + as;
      node.cert_file = base + ".crt";
      node.key_file = base + ".key";
      EXPECT_TRUE(LoadTransport(&node).ok()) << base;
      channel = OperatorChannel(server_.operator_address(), node);
    } else {
      channel = OperatorChannel(server_.operator_address(),
                                testing::TestTransport(as.empty() ? "demo" : as));
    }
    return channels_.emplace(key, channel).first->second;
  }

  // A server stream: accepted if its first message comes; refused streams end at once with their
  // status.
  static Answer SendStream(grpc::GenericStub* generic, grpc::ClientContext* context,
                           const std::string& path, const grpc::ByteBuffer* request) {
    Answer answer;
    grpc::CompletionQueue queue;
    std::unique_ptr<grpc::GenericClientAsyncReaderWriter> stream =
        generic->PrepareCall(context, path, &queue);
    void* tag = nullptr;
    bool ok = false;
    stream->StartCall(reinterpret_cast<void*>(1));
    queue.Next(&tag, &ok);
    stream->Write(*request, reinterpret_cast<void*>(2));
    queue.Next(&tag, &ok);
    stream->WritesDone(reinterpret_cast<void*>(3));
    queue.Next(&tag, &ok);
    grpc::ByteBuffer first;
    stream->Read(&first, reinterpret_cast<void*>(4));
    queue.Next(&tag, &ok);
    const bool got_message = ok;
    if (got_message) context->TryCancel();
    grpc::ByteBuffer rest;
    grpc::Status status;
    // Drain until the stream finishes (cancelled, refused, or at the context's 2 s deadline).
    while (true) {
      stream->Read(&rest, reinterpret_cast<void*>(5));
      queue.Next(&tag, &ok);
      if (!ok) break;
    }
    stream->Finish(&status, reinterpret_cast<void*>(6));
    queue.Next(&tag, &ok);
    queue.Shutdown();
    while (queue.Next(&tag, &ok)) {
    }
    answer.status = got_message ? grpc::Status::OK : status;
    answer.accepted = got_message;
    answer.what = got_message ? "a message" : StatusText(status);
    return answer;
  }

  Answer Send(const Call& call, const std::string& as = "") {
    const pb::MethodDescriptor* method =
        pb::DescriptorPool::generated_pool()->FindMethodByName("ledger.v1." + call.method);
    Answer answer;
    if (method == nullptr) {
      answer.status = grpc::Status(grpc::StatusCode::INTERNAL, "no method " + call.method);
      return answer;
    }
    const std::string path = "/" + method->service()->full_name() + "/" + method->name();
    const std::string service = method->service()->name();
    grpc::GenericStub generic(
        ChannelWith(call.token, service == "Ledger" || service == "Cluster", as));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
    grpc::Slice slice(call.request);
    grpc::ByteBuffer request(&slice, 1);
    if (method->server_streaming()) return SendStream(&generic, &context, path, &request);
    grpc::ByteBuffer reply;
    std::promise<grpc::Status> done;
    generic.UnaryCall(&context, path, grpc::StubOptions(), &request, &reply,
                      [&](grpc::Status status) { done.set_value(status); });
    answer.status = done.get_future().get();
    if (!answer.status.ok()) {
      answer.what = StatusText(answer.status);
      return answer;
    }
    std::string response;
    std::vector<grpc::Slice> slices;
    (void)reply.Dump(&slices);
    for (const grpc::Slice& s : slices)
      response.append(reinterpret_cast<const char*>(s.begin()), s.size());
    std::unique_ptr<pb::Message> message(
        pb::MessageFactory::generated_factory()->GetPrototype(method->output_type())->New());
    if (!message->ParseFromString(response)) {
      answer.what = "an unparsable reply";
      return answer;
    }
    const pb::Reflection* reflection = message->GetReflection();
    const pb::FieldDescriptor* result = method->output_type()->FindFieldByName("result");
    const pb::FieldDescriptor* results = method->output_type()->FindFieldByName("results");
    if (result != nullptr && result->enum_type() == v1::Result_descriptor()) {
      answer.accepted = reflection->GetEnumValue(*message, result) == v1::OK;
      answer.what =
          v1::Result_Name(static_cast<v1::Result>(reflection->GetEnumValue(*message, result)));
    } else if (results != nullptr && results->is_repeated()) {
      const auto& items = static_cast<const v1::CreateReply&>(*message).results();
      answer.what = "results";
      for (const v1::ItemResult& item : items) {
        answer.what += " " + v1::Result_Name(item.result());
        if (item.result() == v1::OK) answer.accepted = true;
      }
    } else {
      answer.accepted = true;
      answer.what = "OK";
    }
    return answer;
  }

  // What a refused request must leave as it was: every account's balance and pendings (and flags).
  std::vector<std::string> Balances() {
    v1::LookupAccountsRequest request;
    for (uint64_t id = 1; id <= kNewWallet; ++id) request.add_ids(IdBytes(id));
    v1::LookupAccountsReply reply;
    EXPECT_TRUE(ledger_->LookupAccounts(ContextWithDeadline(kTimeout).get(), request, &reply).ok());
    std::vector<std::string> out;
    for (const v1::Account& a : reply.accounts()) {
      out.push_back(Hex(a.id()) + " balance " + std::to_string(a.balance()) + " debits_pending " +
                    std::to_string(a.debits_pending()) + " credits_pending " +
                    std::to_string(a.credits_pending()) + " flags " + std::to_string(a.flags()));
    }
    return out;
  }
  uint64_t JournalIndex() {
    v1::GetDigestReply digest;
    EXPECT_TRUE(
        ledger_->GetDigest(ContextWithDeadline(kTimeout).get(), v1::GetDigestRequest(), &digest)
            .ok());
    return digest.journal_index();
  }
  // The commands journaled after `after` that were decided (result OK, not a duplicate), as text.
  std::vector<std::string> DecidedSince(uint64_t after) {
    std::vector<std::string> decided;
    v1::GetJournalRequest request;
    request.set_from_index(after + 1);
    request.set_limit(100);
    v1::GetJournalReply reply;
    EXPECT_TRUE(ledger_->GetJournal(ContextWithDeadline(kTimeout).get(), request, &reply).ok());
    for (const v1::JournalEntryBytes& bytes : reply.entries()) {
      std::optional<JournalEntry> entry = DecodeJournalEntry(bytes.data());
      if (!entry) {
        decided.push_back("entry " + std::to_string(bytes.index()) + " does not decode");
        continue;
      }
      for (size_t i = 0; i < entry->outcomes.size(); ++i) {
        if (entry->outcomes[i].result == Result::kOk && !entry->outcomes[i].duplicate) {
          decided.push_back("entry " + std::to_string(bytes.index()) + " command " +
                            std::to_string(i) + " decided ok");
        }
      }
    }
    return decided;
  }

  // Call::token of the operator's calls: connect with its client certificate.
  static constexpr const char* kOperatorCertificate = "(the operator's client certificate)";

  LedgerProcess server_;
  std::unique_ptr<v1::Ledger::Stub> ledger_;
  std::unique_ptr<v1::Pos::Stub> pos_;
  std::unique_ptr<v1::Wallet::Stub> wallet_;
  std::unique_ptr<v1::Health::Stub> health_;
  std::map<std::string, std::shared_ptr<grpc::Channel>> channels_;
  std::vector<Actor> actors_;
  wallet::KeyPair host_device_a_, host_device_b_, spare_terminal_, visitor_a2_;
};

// Every method of the five services is in the table once, every row names a real method and has a
// request here; and the README's table is the table.
TEST_F(AuthorityE2eTest, EveryMethodIsInTheTableAndHasARequest) {
  std::set<std::string> in_proto;
  for (const char* name : {"Ledger", "Pos", "Wallet", "Health", "Cluster"}) {
    const pb::ServiceDescriptor* service =
        pb::DescriptorPool::generated_pool()->FindServiceByName(std::string("ledger.v1.") + name);
    ASSERT_NE(service, nullptr) << name;
    for (int i = 0; i < service->method_count(); ++i)
      in_proto.insert(std::string(name) + "." + service->method(i)->name());
  }
  const auto requests = Requests();
  std::set<std::string> in_table;
  for (const AuthorityRow& row : AuthorityTable()) {
    EXPECT_TRUE(in_table.insert(row.method).second) << row.method << " is in the table twice";
    EXPECT_TRUE(in_proto.count(row.method))
        << row.method << " is in the table but not in proto/ledger.proto";
    EXPECT_TRUE(requests.count(row.method))
        << row.method << " has no request in authority_e2e_test.cc (Requests())";
    EXPECT_FALSE(row.roles.empty()) << row.method << " names nobody who may issue it";
  }
  for (const std::string& method : in_proto) {
    EXPECT_TRUE(in_table.count(method))
        << method << " is not in the authority table (tests/authority_table.cc)";
  }
  for (const auto& [method, unused] : requests) {
    EXPECT_TRUE(in_table.count(method)) << method << " has a request but no row";
  }
}

TEST(AuthorityTableTest, ReadmeTableIsTheTable) {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  ASSERT_TRUE(srcdir != nullptr && workspace != nullptr);
  std::ifstream file(std::string(srcdir) + "/" + workspace + "/README.md");
  ASSERT_TRUE(file) << "README.md not in the runfiles";
  std::stringstream readme;
  readme << file.rdbuf();
  const std::string text = readme.str();
  const std::string begin =
      "<!-- authority table: made by tests/authority_table.cc, checked by tests/authority_e2e_test "
      "-->\n";
  const size_t start = text.find(begin);
  const std::string table = testing::AuthorityReadmeTable();
  ASSERT_NE(start, std::string::npos) << "README.md has no authority table; it should read:\n"
                                      << begin << table;
  const size_t end = text.find("\n\n", start);
  EXPECT_EQ(text.substr(start + begin.size(), end + 1 - start - begin.size()), table)
      << "README.md's authority table differs from tests/authority_table.cc; it should read:\n"
      << table;
}

// Membership changes that cannot succeed on a one-node cluster without breaking it: their control
// only shows that the operator's call gets past the TLS handshake and the role check (to the
// membership code's own refusal).
// Approve: this test has one operator identity, and a proposal's approver must be another operator
// (four_eyes_same_operator); tests/four_eyes_e2e_test.cc approves with two.
// SnapshotChunk: the nodes' own names only (no role grants it); a node's call is checked in
// EveryOperatorMethodAsEachSingleRoleFollowsTheMethodTable.
const std::set<std::string> kPastTheToken = {"Cluster.PromoteMember", "Cluster.TransferLeadership",
                                             "Ledger.Approve", "Cluster.SnapshotChunk"};

TEST_F(AuthorityE2eTest, EveryMethodAsEveryOtherRoleIsRefusedAndDecidesNothing) {
  const auto requests = Requests();
  const char* only = std::getenv("LEDGER_AUTHORITY_ROWS");
  const bool verbose = std::getenv("LEDGER_AUTHORITY_VERBOSE") != nullptr;
  std::map<std::string, int> reasons;
  int refusals = 0, controls = 0;
  const auto started = std::chrono::steady_clock::now();
  for (const AuthorityRow& row : AuthorityTable()) {
    if (only != nullptr &&
        ("," + std::string(only) + ",").find("," + row.method + ",") == std::string::npos)
      continue;
    const bool operator_service =
        row.method.rfind("Ledger.", 0) == 0 || row.method.rfind("Cluster.", 0) == 0;
    auto request = requests.find(row.method);
    ASSERT_NE(request, requests.end()) << row.method;
    // The state each attempt must leave as it found it (each attempt's after is the next one's
    // before).
    std::vector<std::string> before = Balances();
    uint64_t index = JournalIndex();
    for (const Actor& actor : actors_) {
      const bool allowed = actor.side == 'A' && std::find(row.roles.begin(), row.roles.end(),
                                                          actor.role) != row.roles.end();
      if (allowed) continue;
      for (const Call& call : request->second(actor)) {
        const Answer answer = Send(call);
        EXPECT_FALSE(answer.accepted) << row.method << " as " << actor.Name() << ", " << call.label
                                      << ": accepted (" << answer.what << ")";
        if (operator_service) {  // Refused in the operator listener's TLS handshake.
          EXPECT_EQ(answer.status.error_code(), grpc::StatusCode::UNAVAILABLE)
              << row.method << " as " << actor.Name() << ": " << answer.what;
        }
        std::vector<std::string> after = Balances();
        EXPECT_EQ(after, before) << row.method << " as " << actor.Name() << ", " << call.label
                                 << " (" << answer.what << ") moved money";
        before = std::move(after);
        if (const uint64_t now = JournalIndex(); now != index) {
          const std::vector<std::string> decided = DecidedSince(index);
          EXPECT_TRUE(decided.empty()) << row.method << " as " << actor.Name() << ", " << call.label
                                       << " (" << answer.what << ") decided: " << decided.front();
          index = now;
        }
        ++refusals;
        // The reason, without the ids and names in it: how the refusals fall.
        ++reasons[Reason(answer.what)];
        if (verbose)
          std::printf("%s as %s, %s: %s\n", row.method.c_str(), actor.Name().c_str(),
                      call.label.c_str(), answer.what.c_str());
      }
    }
    // The control: the row's own identity sends the same request, accepted.
    const std::vector<Call> calls = request->second(Of(row.roles.front(), 'A'));
    ASSERT_EQ(calls.size(), 1u) << row.method;
    // SnapshotChunk's own identity is a node: its certificate (node-1).
    const Answer answer =
        Send(calls[0], row.method == "Cluster.SnapshotChunk" ? "node-1" : std::string());
    if (kPastTheToken.count(row.method)) {
      EXPECT_NE(answer.status.error_code(), grpc::StatusCode::UNAVAILABLE)
          << row.method << ": " << answer.what;
      EXPECT_NE(answer.status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
          << row.method << ": " << answer.what;
      ++controls;
      continue;
    }
    EXPECT_TRUE(answer.accepted)
        << row.method << " as its own " << testing::RoleName(row.roles.front())
        << " A was not accepted (" << answer.what
        << "): the request is not one that would work, so its refusals prove nothing";
    ++controls;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::printf("%d refused attempts, %d controls accepted, in %.1f s; refused with:\n", refusals,
              controls, seconds);
  for (const auto& [reason, count] : reasons) std::printf("  %4d  %s\n", count, reason.c_str());
}

// The role table (ledger/server/operator_roles.h), generated from the method table: every method
// of the operator services, called by an operator holding each single role in turn, is refused
// with PERMISSION_DENIED naming the roles it needs exactly when the table says so, and answered
// otherwise; an operator without roles is refused everything; a removed role is refused on the
// next call; the nodes' own names pass Cluster.Clock.
TEST_F(AuthorityE2eTest, EveryOperatorMethodAsEachSingleRoleFollowsTheMethodTable) {
  const auto requests = Requests();
  const Actor& op = Of(Role::kOperator, 'A');
  auto set_probe = [&](RoleSet roles) {
    v1::SetOperatorRolesRequest request;
    v1::OperatorRoles* probe = request.add_operators();
    probe->set_name("probe");
    for (int bit = 0; bit < kRoleCount; ++bit) {
      if ((roles & (RoleSet{1} << bit)) != 0) probe->add_roles(RoleName(RoleSet{1} << bit));
    }
    v1::CreateReply reply;
    ASSERT_TRUE(
        ledger_->SetOperatorRoles(ContextWithDeadline(kTimeout).get(), request, &reply).ok());
    ASSERT_EQ(reply.results(0).result(), v1::Result::OK);
  };
  int denied = 0, answered = 0;
  std::vector<RoleSet> cases = {0};
  for (int bit = 0; bit < kRoleCount; ++bit) cases.push_back(RoleSet{1} << bit);
  for (RoleSet roles : cases) {
    set_probe(roles);
    for (const OperatorMethod& row : OperatorMethods()) {
      const std::string method = std::string(row.service) + "." + std::string(row.method);
      auto request = requests.find(method);
      ASSERT_NE(request, requests.end()) << method;
      std::vector<Call> calls = request->second(op);
      ASSERT_EQ(calls.size(), 1u) << method;
      // Promoting the never-run standby would cost the one-node cluster its quorum: id 0 is
      // refused after the role check instead.
      if (method == "Cluster.PromoteMember")
        calls[0].request = v1::MemberRequest().SerializeAsString();
      // Turning the four-eyes rule on here would gate SetOperatorRoles (set_probe): a threshold
      // out of range is refused after the role check and leaves it off.
      if (method == "Ledger.SetFourEyes") {
        v1::SetFourEyesRequest out_of_range;
        out_of_range.set_issuance_threshold(-1);
        calls[0].request = out_of_range.SerializeAsString();
      }
      const Answer answer = Send(calls[0], "probe");
      bool allowed = (row.roles & roles) != 0;
      RoleSet needed_roles = row.roles;
      std::string named = method;
      // Proposing or approving (a transfer, in Requests(): CreateTransfers) also needs the proposed
      // method's role (service_proposals.cc). The treasurer case runs first and leaves proposal 1
      // stored, so every later approval reaches that check too.
      if ((method == "Ledger.Propose" || method == "Ledger.Approve") && allowed &&
          (roles & kRoleTreasurer) == 0) {
        allowed = false;
        needed_roles = kRoleTreasurer;
        named = "Ledger.CreateTransfers";
      }
      if (!allowed) {
        ++denied;
        EXPECT_EQ(answer.status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
            << method << " as " << RoleNames(roles) << ": " << answer.what;
        std::string needed = RoleNames(needed_roles);
        for (size_t i; (i = needed.find(',')) != std::string::npos;) needed.replace(i, 1, " or ");
        EXPECT_EQ(answer.status.error_message(),
                  needed_roles == 0 ? named +
                                          " is for the cluster's own nodes only (a node-<raft id> "
                                          "certificate); operator probe is not one"
                                    : named + " needs the role " + needed +
                                          "; operator probe holds " + RoleNames(roles))
            << method;
      } else {
        ++answered;
        EXPECT_NE(answer.status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
            << method << " as " << RoleNames(roles) << ": " << answer.what;
      }
    }
  }
  // A removed role is refused on the very next call; a node's own name reads the clock.
  set_probe(kRoleAuditor);
  const std::vector<Call> lookup = requests.at("Ledger.LookupAssets")(op);
  EXPECT_TRUE(Send(lookup[0], "probe").status.ok());
  set_probe(0);
  EXPECT_EQ(Send(lookup[0], "probe").status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  const std::vector<Call> clock = requests.at("Cluster.Clock")(op);
  EXPECT_TRUE(Send(clock[0], "node-1").status.ok()) << Send(clock[0], "node-1").what;
  // A node's own name gets past the role check of SnapshotChunk (to "no such snapshot file").
  const std::vector<Call> chunk = requests.at("Cluster.SnapshotChunk")(op);
  EXPECT_EQ(Send(chunk[0], "node-1").status.error_code(), grpc::StatusCode::NOT_FOUND)
      << Send(chunk[0], "node-1").what;
  EXPECT_EQ(Send(lookup[0], "node-1").status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  std::printf("%d calls refused for their role, %d answered, over %zu methods and %zu role sets\n",
              denied, answered, OperatorMethods().size(), cases.size());
}

}  // namespace
}  // namespace ledger
