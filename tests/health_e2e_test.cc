// Health mileage end to end through a real ledgerd: the city sets a program, a resident registers a
// device and consents (signed with her wallet key), the device sends a week of signed step reports
// (the last seven days, as a phone syncs them), one day is raised later, forged, replayed, future
// and implausible reports are refused; the resident reads her own mileage (nobody else can),
// exchanges points for coin, and erases her step data — after which the journal still verifies and
// never held a step count.
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <thread>
#include <vector>

#include "formats/keys.h"
#include "gtest/gtest.h"
#include "ledger/client/client.h"
#include "ledger/core/health.h"
#include "ledger/core/journal.h"
#include "ledger/core/limits.h"
#include "ledger/core/pos.h"
#include "tests/ledger_process.h"
#include "tests/payments.h"
#include "wallet/wallet_client.h"

namespace ledger {
namespace {

using testing::LedgerProcess;
using testing::MakeTempDir;
using testing::MakeTransfer;

constexpr auto kTimeout = std::chrono::seconds(10);
constexpr uint64_t kCoinIssuer = 1, kCoinBudget = 3, kAliceCoin = 10;
constexpr uint64_t kPointsIssuer = 101, kBudget = 103, kAlice = 110, kBob = 111;
constexpr uint32_t kProgram = 1;

uint64_t NowMs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

class HealthE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string dir = MakeTempDir("health") + "/ledger";
    ASSERT_TRUE(server_.StartNode(dir, "127.0.0.1:0", {}).ok()) << server_.log_path();
    ASSERT_TRUE(
        WaitForLedger(v1::Ledger::NewStub(server_.operator_channel()).get(), kTimeout).ok());
    auto channel = server_.public_channel();
    ledger_ = v1::Ledger::NewStub(server_.operator_channel());
    health_ = v1::Health::NewStub(channel);

    v1::CreateAssetsRequest assets;
    for (auto [id, code, breakage, expiry] :
         std::vector<std::tuple<uint32_t, const char*, uint64_t, int64_t>>{
             {1, "COIN", 2, 0}, {2, "HP", 102, 365 * 86400}}) {
      v1::Asset* asset = assets.add_assets();
      asset->set_id(id);
      asset->set_code(code);
      asset->set_breakage_account_id(IdBytes(breakage));
      asset->set_expiry_seconds(expiry);
    }
    v1::CreateReply reply;
    ASSERT_TRUE(ledger_->CreateAssets(ContextWithDeadline(kTimeout).get(), assets, &reply).ok());
    v1::CreateAccountsRequest accounts;
    for (auto [id, asset, kind] : std::vector<std::tuple<uint64_t, uint32_t, v1::AccountKind>>{
             {kCoinIssuer, 1, v1::ISSUER},
             {kCoinBudget, 1, v1::BUDGET},
             {kAliceCoin, 1, v1::WALLET},
             {kPointsIssuer, 2, v1::ISSUER},
             {kBudget, 2, v1::BUDGET},
             {kAlice, 2, v1::WALLET},
             {kBob, 2, v1::WALLET}}) {
      v1::Account* account = accounts.add_accounts();
      account->set_id(IdBytes(id));
      account->set_asset(asset);
      account->set_kind(kind);
      account->set_flags(kind == v1::ISSUER ? 0 : v1::NON_NEGATIVE);
    }
    ASSERT_TRUE(
        ledger_->CreateAccounts(ContextWithDeadline(kTimeout).get(), accounts, &reply).ok());
    for (const auto& result : reply.results()) ASSERT_EQ(result.result(), v1::OK);
    v1::CreateTransfersRequest funding;
    *funding.add_transfers() = MakeTransfer(0, 1, kCoinIssuer, kCoinBudget, 1'000'000);
    *funding.add_transfers() = MakeTransfer(0, 2, kPointsIssuer, kBudget, 1'000'000);
    ASSERT_TRUE(
        ledger_->CreateTransfers(ContextWithDeadline(kTimeout).get(), funding, &reply).ok());
    for (const auto& result : reply.results()) ASSERT_EQ(result.result(), v1::OK);

    v1::HealthProgram program;  // Default tiers, cap and bonus; 10 pt -> 10 coin.
    program.set_program(kProgram);
    program.set_effective_day(20260101);
    program.set_funding_account_id(IdBytes(kBudget));
    program.set_exchange_retire_account_id(IdBytes(kPointsIssuer));
    program.set_coin_funding_account_id(IdBytes(kCoinBudget));
    program.set_exchange_points(10);
    program.set_exchange_coin(10);
    ASSERT_TRUE(
        ledger_->SetHealthProgram(ContextWithDeadline(kTimeout).get(), program, &reply).ok());
    ASSERT_EQ(reply.results(0).result(), v1::OK);
    v1::HealthProgram invalid = program;
    invalid.set_program(2);
    invalid.clear_tiers();
    invalid.add_tiers()->set_steps_min(3000);  // No points.
    grpc::Status refused =
        ledger_->SetHealthProgram(ContextWithDeadline(kTimeout).get(), invalid, &reply);
    EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_NE(refused.error_message().find("tiers[0]"), std::string::npos)
        << refused.error_message();

    alice_ = wallet::GenerateKeyPair();
    bob_ = wallet::GenerateKeyPair();
    device_ = wallet::GenerateKeyPair();
    v1::RegisterKeysRequest keys;
    for (auto [id, pair] : std::vector<std::pair<uint64_t, const wallet::KeyPair*>>{
             {kAlice, &alice_}, {kBob, &bob_}}) {
      v1::PublicKey* key = keys.add_keys();
      key->set_account_id(IdBytes(id));
      key->set_public_key(pair->public_key);
    }
    ASSERT_TRUE(ledger_->RegisterKeys(ContextWithDeadline(kTimeout).get(), keys, &reply).ok());
  }

  template <typename Rpc, typename Body, typename Reply>
  grpc::Status Signed(Rpc rpc, const char* method, const Body& body, Reply* reply,
                      uint64_t account = kAlice, const wallet::KeyPair* keys = nullptr) {
    const v1::WalletRequest request = wallet::SignWalletRequest(
        keys ? *keys : alice_, IdBytes(account), method, body, NowMs(), wallet::RandomNonce());
    return (health_.get()->*rpc)(ContextWithDeadline(kTimeout).get(), request, reply);
  }

  v1::StepReportRequest Report(uint32_t day, uint32_t steps, uint64_t resident = kAlice) {
    v1::StepReportRequest report;
    report.set_program(kProgram);
    report.set_resident_id(IdBytes(resident));
    report.set_device_id("phone-1");
    report.set_day(day);
    report.set_steps(steps);
    report.set_nonce(wallet::RandomNonce());
    report.set_signature(
        wallet::Sign(device_, StepReportSignedBytes(kProgram, *Id128::FromBytes(IdBytes(resident)),
                                                    "phone-1", day, steps, report.nonce())));
    return report;
  }
  v1::StepReportReply Send(const v1::StepReportRequest& report) {
    v1::StepReportReply reply;
    grpc::Status status = health_->ReportSteps(ContextWithDeadline(kTimeout).get(), report, &reply);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return reply;
  }

  LedgerProcess server_;
  std::unique_ptr<v1::Ledger::Stub> ledger_;
  std::unique_ptr<v1::Health::Stub> health_;
  wallet::KeyPair alice_, bob_, device_;
};

TEST_F(HealthE2eTest, AWeekOfWalkingFromDeviceToCoinAndErasure) {
  // Japan's calendar day on the ledger's clock (the server's wall clock): the last seven days are
  // inside the default report window even if midnight passes during the test.
  const int64_t today = BusinessDayIndex(static_cast<Timestamp>(NowMs()) * 1'000'000);
  v1::WalletReply done;
  v1::RegisterDeviceRequest device;
  device.set_device_id("phone-1");
  device.set_public_key(device_.public_key);
  ASSERT_TRUE(Signed(&v1::Health::Stub::RegisterDevice, "RegisterDevice", device, &done).ok());
  ASSERT_EQ(done.result(), v1::OK);
  // No consent yet: refused, nothing recorded.
  EXPECT_EQ(Send(Report(DayNumber(today), 9000)).result(), v1::CONSENT_REQUIRED);
  v1::ConsentRequest consent;
  consent.set_purpose(v1::EARNING);
  consent.set_granted(true);
  ASSERT_TRUE(Signed(&v1::Health::Stub::SetConsent, "SetConsent", consent, &done).ok());
  ASSERT_EQ(done.result(), v1::OK);

  const uint32_t week[7] = {3500, 8200, 12'000, 1500, 6400, 9900, 4100};
  const uint32_t points[7] = {1, 4, 5, 0, 3, 4, 2};
  int64_t total = 0;
  for (int i = 0; i < 7; ++i) {
    const v1::StepReportReply reply = Send(Report(DayNumber(today - 6 + i), week[i]));
    ASSERT_EQ(reply.result(), v1::OK) << "day " << i;
    EXPECT_EQ(reply.points_awarded(), points[i]) << "day " << i;
    EXPECT_EQ(reply.day_points(), points[i]);
    total += points[i];
  }
  // The phone syncs the fourth day again with a higher count: only the difference.
  const v1::StepReportReply raised = Send(Report(DayNumber(today - 3), 10'500));
  ASSERT_EQ(raised.result(), v1::OK);
  EXPECT_EQ(raised.points_awarded(), 5);
  total += 5;

  // Refusals, each with its reason.
  v1::StepReportRequest replay = Report(DayNumber(today), 11'000);
  EXPECT_EQ(Send(replay).result(), v1::OK);
  total += 3;  // Today went from 2 to 5 pt.
  EXPECT_EQ(Send(replay).result(), v1::NONCE_REPLAYED);
  v1::StepReportRequest forged = Report(DayNumber(today), 30'000);
  forged.set_steps(40'000);
  EXPECT_EQ(Send(forged).result(), v1::SIGNATURE_INVALID);
  EXPECT_EQ(Send(Report(DayNumber(today + 1), 5000)).result(), v1::REPORT_DAY_IN_FUTURE);
  EXPECT_EQ(Send(Report(DayNumber(today - 30), 5000)).result(), v1::REPORT_DAY_TOO_OLD);
  EXPECT_EQ(Send(Report(DayNumber(today), 75'000)).result(), v1::STEPS_IMPLAUSIBLE);
  v1::StepReportRequest malformed = Report(DayNumber(today), 5000);
  malformed.set_signature("short");
  v1::StepReportReply unused;
  EXPECT_EQ(
      health_->ReportSteps(ContextWithDeadline(kTimeout).get(), malformed, &unused).error_code(),
      grpc::StatusCode::INVALID_ARGUMENT);

  // Her own mileage: steps and points per day, her points balance, devices, consents.
  v1::MileageRequest range;
  range.set_program(kProgram);
  range.set_from_day(DayNumber(today - 6));
  range.set_to_day(DayNumber(today));
  v1::MileageReply mileage;
  ASSERT_TRUE(Signed(&v1::Health::Stub::GetMileage, "GetMileage", range, &mileage).ok());
  ASSERT_EQ(mileage.days_size(), 7);
  EXPECT_EQ(mileage.days(3).steps(), 10'500u);
  EXPECT_EQ(mileage.days(3).points(), 5u);
  EXPECT_EQ(mileage.days(6).steps(), 11'000u);
  EXPECT_EQ(mileage.points_balance(), total);
  ASSERT_EQ(mileage.devices_size(), 1);
  EXPECT_EQ(mileage.devices(0).device_id(), "phone-1");
  ASSERT_EQ(mileage.consents_size(), 1);
  EXPECT_EQ(mileage.consents(0), v1::EARNING);
  EXPECT_EQ(mileage.program().daily_cap(), 5u);
  // Nobody else reads it: Bob's key cannot sign for Alice's wallet.
  v1::MileageReply stolen;
  EXPECT_EQ(Signed(&v1::Health::Stub::GetMileage, "GetMileage", range, &stolen, kAlice, &bob_)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  // Exchange 20 pt for 20 coin; a part unit is refused.
  v1::ExchangePointsRequest exchange;
  exchange.set_program(kProgram);
  exchange.set_coin_wallet_id(IdBytes(kAliceCoin));
  exchange.set_points(25);
  exchange.set_exchange_id("ex-1");
  ASSERT_TRUE(Signed(&v1::Health::Stub::ExchangePoints, "ExchangePoints", exchange, &done).ok());
  EXPECT_EQ(done.result(), v1::EXCHANGE_UNIT_INVALID);
  exchange.set_points(20);
  exchange.set_exchange_id("ex-2");
  ASSERT_TRUE(Signed(&v1::Health::Stub::ExchangePoints, "ExchangePoints", exchange, &done).ok());
  ASSERT_EQ(done.result(), v1::OK);
  v1::LookupAccountsRequest lookup;
  lookup.add_ids(IdBytes(kAliceCoin));
  lookup.add_ids(IdBytes(kAlice));
  v1::LookupAccountsReply accounts;
  ASSERT_TRUE(ledger_->LookupAccounts(ContextWithDeadline(kTimeout).get(), lookup, &accounts).ok());
  ASSERT_EQ(accounts.accounts_size(), 2);
  EXPECT_EQ(accounts.accounts(0).balance(), 20);
  EXPECT_EQ(accounts.accounts(1).balance(), total - 20);

  // Erasure on request: the step counts go, the points and the money journal stay.
  ASSERT_TRUE(
      Signed(&v1::Health::Stub::EraseStepData, "EraseStepData", v1::EraseStepDataRequest(), &done)
          .ok());
  ASSERT_EQ(done.result(), v1::OK);
  ASSERT_TRUE(Signed(&v1::Health::Stub::GetMileage, "GetMileage", range, &mileage).ok());
  ASSERT_EQ(mileage.days_size(), 7);
  for (const v1::MileageDay& day : mileage.days()) EXPECT_FALSE(day.has_steps()) << day.day();
  EXPECT_EQ(mileage.days(3).points(), 5u);
  // The journal verifies and carries awards, never step counts.
  v1::GetJournalRequest journal_request;
  journal_request.set_from_index(1);
  journal_request.set_limit(1000);
  v1::GetJournalReply journal;
  ASSERT_TRUE(
      ledger_->GetJournal(ContextWithDeadline(kTimeout).get(), journal_request, &journal).ok());
  std::string previous(32, '\0');
  int reports = 0;
  for (const v1::JournalEntryBytes& bytes : journal.entries()) {
    ASSERT_TRUE(EntryHashMatches(bytes.data())) << bytes.index();
    std::optional<JournalEntry> entry = DecodeJournalEntry(bytes.data());
    ASSERT_TRUE(entry.has_value());
    EXPECT_EQ(entry->previous_hash, previous);
    previous = std::string(StoredEntryHash(bytes.data()));
    for (const Command& command : entry->commands) {
      if (const auto* report = std::get_if<StepReport>(&command)) {
        ++reports;
        EXPECT_EQ(report->steps, 0u);
        EXPECT_TRUE(report->signature.empty());
        EXPECT_EQ(report->commitment.size(), 32u);
      }
    }
  }
  EXPECT_GE(reports, 10);
}

// Someone who knows a resident's id sends forged step reports (not signed by her device). Before,
// each spent her report allowance (31 at once) and was journaled, and her real report was then
// refused (RESOURCE_EXHAUSTED). Now the service checks the device's signature first: forgeries are
// refused, nothing is journaled, her allowance is untouched.
TEST_F(HealthE2eTest, ForgedReportsNeitherStarveHerNorReachTheJournal) {
  const int64_t today = BusinessDayIndex(static_cast<Timestamp>(NowMs()) * 1'000'000);
  v1::WalletReply done;
  v1::RegisterDeviceRequest device;
  device.set_device_id("phone-1");
  device.set_public_key(device_.public_key);
  ASSERT_TRUE(Signed(&v1::Health::Stub::RegisterDevice, "RegisterDevice", device, &done).ok());
  v1::ConsentRequest consent;
  consent.set_purpose(v1::EARNING);
  consent.set_granted(true);
  ASSERT_TRUE(Signed(&v1::Health::Stub::SetConsent, "SetConsent", consent, &done).ok());
  ASSERT_EQ(done.result(), v1::OK);
  v1::GetDigestReply before, after;
  ASSERT_TRUE(
      ledger_->GetDigest(ContextWithDeadline(kTimeout).get(), v1::GetDigestRequest(), &before)
          .ok());
  const wallet::KeyPair impostor = wallet::GenerateKeyPair();
  for (int i = 0; i < 40; ++i) {
    v1::StepReportRequest forged = Report(DayNumber(today), 20'000);
    forged.set_signature(wallet::Sign(
        impostor, StepReportSignedBytes(kProgram, *Id128::FromBytes(IdBytes(kAlice)), "phone-1",
                                        DayNumber(today), 20'000, forged.nonce())));
    ASSERT_EQ(Send(forged).result(), v1::SIGNATURE_INVALID) << "forgery " << i;
  }
  ASSERT_TRUE(
      ledger_->GetDigest(ContextWithDeadline(kTimeout).get(), v1::GetDigestRequest(), &after).ok());
  EXPECT_EQ(after.journal_index(), before.journal_index());
  EXPECT_EQ(Send(Report(DayNumber(today), 6000)).result(), v1::OK);  // Her own report goes through.
  v1::StepReportRequest unknown = Report(DayNumber(today), 6000);
  unknown.set_device_id("phone-9");
  EXPECT_EQ(Send(unknown).result(), v1::DEVICE_NOT_FOUND);
}

// Each open WatchAlerts stream holds a server thread: at most kWatchStreamsPerWatcherMax per
// watcher.
TEST_F(HealthE2eTest, AWatcherOpensOnlyAFewStreams) {
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts;
  std::vector<std::unique_ptr<grpc::ClientReader<v1::Alert>>> readers;
  auto open = [&](int seconds) {
    const v1::WalletRequest request =
        wallet::SignWalletRequest(alice_, IdBytes(kAlice), "WatchAlerts", v1::WatchAlertsRequest(),
                                  NowMs(), wallet::RandomNonce());
    contexts.push_back(std::make_unique<grpc::ClientContext>());
    contexts.back()->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
    readers.push_back(health_->WatchAlerts(contexts.back().get(), request));
  };
  for (int i = 0; i < kWatchStreamsPerWatcherMax; ++i) open(30);
  // A stream is counted once the server has taken it: they send nothing, so give the server a
  // moment.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  open(30);
  v1::Alert unused;
  EXPECT_FALSE(readers.back()->Read(&unused));
  const grpc::Status refused = readers.back()->Finish();
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_NE(refused.error_message().find("at most 4 open WatchAlerts streams"), std::string::npos)
      << refused.error_message();
  // Closing one frees its slot: the server notices within a second.
  contexts[0]->TryCancel();
  readers[0]->Finish();
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  open(1);
  EXPECT_FALSE(readers.back()->Read(&unused));
  EXPECT_EQ(readers.back()->Finish().error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  for (int i = 1; i < kWatchStreamsPerWatcherMax; ++i) {
    contexts[i]->TryCancel();
    readers[i]->Finish();
  }
}

TEST_F(HealthE2eTest, WatchOverAlertsOnlyTheWatchersWhoAcknowledgeIt) {
  const int64_t today = BusinessDayIndex(static_cast<Timestamp>(NowMs()) * 1'000'000);
  // Bob, who walks every day, consents to earning and watch-over and names Alice as his watcher.
  v1::WalletReply done;
  v1::RegisterDeviceRequest device;
  device.set_device_id("phone-1");
  device.set_public_key(device_.public_key);
  ASSERT_TRUE(
      Signed(&v1::Health::Stub::RegisterDevice, "RegisterDevice", device, &done, kBob, &bob_).ok());
  ASSERT_EQ(done.result(), v1::OK);
  for (v1::ConsentPurpose purpose : {v1::EARNING, v1::WATCH_OVER}) {
    v1::ConsentRequest consent;
    consent.set_purpose(purpose);
    consent.set_granted(true);
    ASSERT_TRUE(
        Signed(&v1::Health::Stub::SetConsent, "SetConsent", consent, &done, kBob, &bob_).ok());
    ASSERT_EQ(done.result(), v1::OK);
  }
  for (int64_t day = today - 7; day <= today - 3; ++day) {  // Then nothing for two days.
    ASSERT_EQ(Send(Report(DayNumber(day), 7000, kBob)).result(), v1::OK);
  }
  v1::WatchOverRequest watch;
  watch.add_watcher_ids(IdBytes(kAlice));
  ASSERT_TRUE(
      Signed(&v1::Health::Stub::SetWatchOver, "SetWatchOver", watch, &done, kBob, &bob_).ok());
  ASSERT_EQ(done.result(), v1::OK);
  // Any later batch evaluates yesterday on the ledger's clock.
  v1::CreateTransfersRequest nudge;
  *nudge.add_transfers() = MakeTransfer(0, 3, kCoinIssuer, kCoinBudget, 1);
  v1::CreateReply created;
  ASSERT_TRUE(ledger_->CreateTransfers(ContextWithDeadline(kTimeout).get(), nudge, &created).ok());

  auto stream = [&](uint64_t account, const wallet::KeyPair& keys, bool all) {
    v1::WatchAlertsRequest body;
    body.set_include_acknowledged(all);
    const v1::WalletRequest request = wallet::SignWalletRequest(
        keys, IdBytes(account), "WatchAlerts", body, NowMs(), wallet::RandomNonce());
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
    std::unique_ptr<grpc::ClientReader<v1::Alert>> reader = health_->WatchAlerts(&context, request);
    std::vector<v1::Alert> alerts;
    for (v1::Alert alert; reader->Read(&alert);) alerts.push_back(alert);
    EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
    return alerts;
  };
  std::vector<v1::Alert> alerts = stream(kAlice, alice_, false);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].resident_id(), IdBytes(kBob));
  EXPECT_EQ(alerts[0].kind(), "no_reports");
  EXPECT_EQ(alerts[0].days_silent(), 2u);
  EXPECT_EQ(alerts[0].day(), DayNumber(today - 1));
  EXPECT_TRUE(alerts[0].acknowledged_by().empty());
  // Bob is not his own watcher: his stream stays empty, and he cannot acknowledge.
  EXPECT_TRUE(stream(kBob, bob_, true).empty());
  v1::AckAlertRequest ack;
  ack.set_resident_id(IdBytes(kBob));
  ack.set_alert(alerts[0].seq());
  ASSERT_TRUE(Signed(&v1::Health::Stub::AckAlert, "AckAlert", ack, &done, kBob, &bob_).ok());
  EXPECT_EQ(done.result(), v1::NOT_A_WATCHER);
  ASSERT_TRUE(Signed(&v1::Health::Stub::AckAlert, "AckAlert", ack, &done).ok());
  EXPECT_EQ(done.result(), v1::OK);
  // Acknowledged: no longer open; shown with include_acknowledged.
  EXPECT_TRUE(stream(kAlice, alice_, false).empty());
  alerts = stream(kAlice, alice_, true);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].acknowledged_by(), IdBytes(kAlice));
}

}  // namespace
}  // namespace ledger
