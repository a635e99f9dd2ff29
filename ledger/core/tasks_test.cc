// Farm help and workcation tasks in the core: one test per rule and cap in tasks.h.
#include "ledger/core/tasks.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include "ledger/core/health.h"
#include "ledger/core/keys.h"
#include "ledger/core/limits.h"
#include "ledger/core/pos.h"
#include "ledger/core/query.h"
#include "ledger/core/test_util.h"

namespace ledger {
namespace {

using testing::Id;
using testing::kSecond;

constexpr AssetId kCoin = 1;
constexpr uint64_t kIssuer = 1, kFarm = 20, kInn = 21, kShop = 22, kNeighbourFarm = 23,
                   kEscrow = 30, kCity = 40, kVisitor = 50, kOther = 51;
constexpr int64_t kDay = 86400;
constexpr int64_t kFunds = 100'000;

class TasksTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_GE(sodium_init(), 0);
    unsigned char seed[crypto_sign_SEEDBYTES] = {3};
    crypto_sign_seed_keypair(host_public_, host_secret_, seed);
    ledger_.Apply({testing::MakeAsset(kCoin, "COIN", 0, 900)});
    ledger_.Apply(
        {testing::MakeAccount(kIssuer, kCoin, AccountKind::kIssuer),
         testing::MakeAccount(kFarm, kCoin, AccountKind::kMerchant, account_flags::kNonNegative),
         testing::MakeAccount(kInn, kCoin, AccountKind::kMerchant, account_flags::kNonNegative),
         testing::MakeAccount(kEscrow, kCoin, AccountKind::kEscrow),
         testing::MakeAccount(kCity, kCoin, AccountKind::kBudget, account_flags::kNonNegative),
         testing::MakeAccount(kVisitor, kCoin, AccountKind::kWallet, account_flags::kNonNegative),
         testing::MakeAccount(kOther, kCoin, AccountKind::kWallet, account_flags::kNonNegative)});
    ledger_.Apply({testing::MakeTransfer(1, kIssuer, kFarm, kFunds),
                   testing::MakeTransfer(2, kIssuer, kCity, kFunds),
                   testing::MakeTransfer(3, kIssuer, kInn, kFunds)});
    // The city grants its budget to the farm and the inn (the rules tests; grants have tests of
    // their own).
    ASSERT_EQ(One(GrantSubsidy{Id(kCity), Id(kFarm), "", 100, kFunds}).result, Result::kOk);
    ASSERT_EQ(One(GrantSubsidy{Id(kCity), Id(kInn), "", 100, kFunds}).result, Result::kOk);
  }

  // Days from the ledger's today (2026-01-01 at the start).
  uint32_t Today(int offset = 0) const {
    return DayNumber(BusinessDayIndex(ledger_.now()) + offset);
  }

  PostTask Task(std::string id = "rice-harvest", uint32_t slots = 2, int days = 3,
                uint64_t host = kFarm) {
    PostTask t;
    t.host = Id(host);
    t.task_id = std::move(id);
    t.title = "Rice harvest / 稲刈り";
    t.first_day = Today();
    t.last_day = Today(days - 1);
    t.slots = slots;
    t.per_day = 3000;
    t.escrow = Id(kEscrow);
    t.subsidy = Id(kCity);
    t.subsidy_percent = 50;
    t.hours_per_day = 5;
    t.host_key = std::string(reinterpret_cast<const char*>(host_public_), sizeof host_public_);
    t.wage_reference = "payroll 2026-01 #17";
    return t;
  }

  std::string Code(const PostTask& t, uint64_t visitor, bool out) {
    const std::string bytes = TaskCodeSignedBytes(t.host, t.task_id, Id(visitor), Today(), out);
    unsigned char signature[crypto_sign_BYTES];
    crypto_sign_detached(signature, nullptr, reinterpret_cast<const unsigned char*>(bytes.data()),
                         bytes.size(), host_secret_);
    return std::string(reinterpret_cast<const char*>(signature), sizeof signature);
  }
  Outcome In(const PostTask& t, uint64_t visitor, bool out = false) {
    return One(CheckIn{Id(visitor), t.host, t.task_id, out, Code(t, visitor, out), ++nonce_});
  }
  void Join(const PostTask& t, uint64_t visitor) {
    ASSERT_EQ(One(ApplyTask{Id(visitor), t.host, t.task_id, ++nonce_}).result, Result::kOk);
    ASSERT_EQ(One(DecideApplication{t.host, t.task_id, Id(visitor), true}).result, Result::kOk);
  }
  void WorkToday(const PostTask& t, uint64_t visitor) {
    ASSERT_EQ(In(t, visitor).result, Result::kOk);
    ASSERT_EQ(In(t, visitor, true).result, Result::kOk);
  }

  Outcome One(Command command) { return ledger_.Apply({std::move(command)})[0]; }
  int64_t Balance(uint64_t id) { return ledger_.Balance(id); }
  Account Get(uint64_t id) { return *LookupAccount(ledger_.state(), Id(id)); }
  void NextDay() { ledger_.Advance(kDay); }

  testing::MemoryLedger ledger_;
  unsigned char host_public_[crypto_sign_PUBLICKEYBYTES];
  unsigned char host_secret_[crypto_sign_SECRETKEYBYTES];
  uint64_t nonce_ = 700;
};

TEST_F(TasksTest, PostingReservesEverySlotDayOrNothing) {
  const PostTask t = Task();  // 2 slots x 3 days x 3,000, half paid by the city.
  const Outcome posted = One(t);
  ASSERT_EQ(posted.result, Result::kOk);
  EXPECT_EQ(Get(kFarm).debits_pending, 2 * 3 * 1500);
  EXPECT_EQ(Get(kCity).debits_pending, 2 * 3 * 1500);
  EXPECT_EQ(Get(kEscrow).credits_pending, 2 * 3 * 3000);
  EXPECT_EQ(Balance(kFarm), kFunds);  // Reserved, not moved.
  EXPECT_TRUE(One(t).duplicate);
  PostTask changed = t;
  changed.per_day = 3500;
  EXPECT_EQ(One(changed).result, Result::kExistsWithDifferentFields);
  // The inn cannot post what it cannot pay: nothing is reserved.
  PostTask big = Task("inn-cleaning", 10, 30, kInn);
  big.subsidy = {};
  big.subsidy_percent = 0;
  EXPECT_EQ(One(big).result, Result::kExceedsBalance);
  EXPECT_EQ(Get(kInn).debits_pending, 0);
  EXPECT_EQ(One(ApplyTask{Id(kVisitor), Id(kInn), "inn-cleaning", 1}).result,
            Result::kTaskNotFound);
  // Malformed tasks.
  PostTask past = Task("past");
  past.first_day = Today(-1);
  EXPECT_EQ(One(past).result, Result::kTaskInvalid);
  PostTask no_key = Task("no-key");
  no_key.host_key = "short";
  EXPECT_EQ(One(no_key).result, Result::kTaskInvalid);
  PostTask bad_escrow = Task("bad-escrow");
  bad_escrow.escrow = Id(kCity);
  EXPECT_EQ(One(bad_escrow).result, Result::kKindInvalid);
  PostTask visitor_host = Task("visitor-host", 1, 1, kVisitor);
  EXPECT_EQ(One(visitor_host).result, Result::kNotAMerchant);
  EXPECT_EQ(testing::CheckInvariants(ledger_.state()), "");
}

TEST_F(TasksTest, AVisitorsConfirmedDayIsPaidFromEscrow) {
  const PostTask t = Task();
  ASSERT_EQ(One(t).result, Result::kOk);
  Join(t, kVisitor);
  EXPECT_EQ(One(DecideApplication{t.host, t.task_id, Id(kVisitor), true}).duplicate, true);
  EXPECT_EQ(One(DecideApplication{t.host, t.task_id, Id(kVisitor), false}).result,
            Result::kExistsWithDifferentFields);
  // A forged code (signed by someone else's key), and a check-out before the check-in.
  CheckIn forged{Id(kVisitor), t.host, t.task_id, false, std::string(64, 'x'), ++nonce_};
  EXPECT_EQ(One(forged).result, Result::kSignatureInvalid);
  EXPECT_EQ(In(t, kVisitor, true).result, Result::kNotCheckedIn);
  EXPECT_EQ(One(ConfirmDay{t.host, t.task_id, Id(kVisitor), Today()}).result,
            Result::kNotCheckedOut);
  WorkToday(t, kVisitor);
  EXPECT_TRUE(In(t, kVisitor).duplicate);
  const Outcome paid = One(ConfirmDay{t.host, t.task_id, Id(kVisitor), Today()});
  ASSERT_EQ(paid.result, Result::kOk);
  EXPECT_EQ(paid.credit_account_id, Id(kVisitor));
  EXPECT_EQ(paid.amount, 3000);
  EXPECT_EQ(Balance(kVisitor), 3000);
  EXPECT_EQ(Balance(kFarm), kFunds - 1500);
  EXPECT_EQ(Balance(kCity), kFunds - 1500);
  EXPECT_EQ(Balance(kEscrow), 0);
  EXPECT_EQ(Get(kFarm).debits_pending, 5 * 1500);
  EXPECT_TRUE(One(ConfirmDay{t.host, t.task_id, Id(kVisitor), Today()}).duplicate);
  EXPECT_EQ(Balance(kVisitor), 3000);
  // An outsider who was never accepted cannot check in.
  EXPECT_EQ(In(t, kOther).result, Result::kApplicationNotFound);
  EXPECT_EQ(testing::CheckInvariants(ledger_.state()), "");
}

TEST_F(TasksTest, CapsHoldAtCheckIn) {
  ASSERT_EQ(One(SetTaskRules{TaskRules{12, 7000, 72}}).result, Result::kOk);
  EXPECT_EQ(One(SetTaskRules{TaskRules{0, 7000, 72}}).result, Result::kTaskInvalid);
  const PostTask farm = Task("farm", 1, 5);
  PostTask inn = Task("inn", 1, 5, kInn);
  inn.subsidy = {};
  inn.subsidy_percent = 0;
  ASSERT_EQ(One(farm).result, Result::kOk);
  ASSERT_EQ(One(inn).result, Result::kOk);
  Join(farm, kVisitor);
  Join(inn, kVisitor);
  WorkToday(farm, kVisitor);                                   // Day 1: 5 h, 3,000 from the farm.
  EXPECT_EQ(In(inn, kVisitor).result, Result::kTaskDayTaken);  // One task per day.
  NextDay();
  WorkToday(farm, kVisitor);  // Day 2: 10 h, 6,000 from the farm.
  NextDay();
  EXPECT_EQ(In(farm, kVisitor).result, Result::kWeeklyHoursExceeded);  // 15 h > 12 h this week.
  ledger_.Advance(4 *
                  kDay);  // 2026-01-03 was a Saturday: next week from Monday 01-05 ... now 01-07.
  ASSERT_EQ(One(SetTaskRules{TaskRules{40, 7000, 72}}).result, Result::kOk);
  EXPECT_EQ(In(farm, kVisitor).result, Result::kDayNotInTask);  // The farm task ended on 01-05.
  EXPECT_EQ(testing::CheckInvariants(ledger_.state()), "");
}

TEST_F(TasksTest, MonthlyCapPerHostAndVisitor) {
  ASSERT_EQ(One(SetTaskRules{TaskRules{38, 5000, 72}}).result, Result::kOk);
  const PostTask farm = Task("farm", 1, 3);
  ASSERT_EQ(One(farm).result, Result::kOk);
  Join(farm, kVisitor);
  WorkToday(farm, kVisitor);
  NextDay();
  EXPECT_EQ(In(farm, kVisitor).result,
            Result::kMonthlyCapExceeded);  // 6,000 > 5,000 from this host.
}

TEST_F(TasksTest, UnconfirmedDaysAreReleasedAfterTheDisputeWindowUnlessDisputed) {
  const PostTask t = Task("orchard", 2, 3);
  ASSERT_EQ(One(t).result, Result::kOk);
  Join(t, kVisitor);
  Join(t, kOther);
  WorkToday(t, kVisitor);
  WorkToday(t, kOther);
  const uint32_t worked = Today();
  ASSERT_EQ(One(ConfirmDay{t.host, t.task_id, Id(kOther), worked, DayAction::kDispute}).result,
            Result::kOk);
  ledger_.Advance(71 * 3600);
  ledger_.Apply({testing::MakeTransfer(9, kIssuer, kCity, 1)});
  EXPECT_EQ(Balance(kVisitor), 0);  // 71 h: not yet.
  ledger_.Advance(2 * 3600);
  ledger_.Apply({testing::MakeTransfer(10, kIssuer, kCity, 1)});
  EXPECT_EQ(Balance(kVisitor), 3000);  // Released by the sweep, journaled as a system event.
  bool journaled = false;
  for (const SystemEvent& event : ledger_.last().entry.system_events) {
    journaled |=
        event.type == SystemEventType::kTaskPaid && event.credit_account_id == Id(kVisitor);
  }
  EXPECT_TRUE(journaled);
  EXPECT_EQ(Balance(kOther), 0);  // Disputed: the host decides.
  EXPECT_TRUE(One(ConfirmDay{t.host, t.task_id, Id(kVisitor), worked}).duplicate);
  ASSERT_EQ(One(ConfirmDay{t.host, t.task_id, Id(kOther), worked, DayAction::kCancel}).result,
            Result::kOk);
  EXPECT_EQ(Balance(kOther), 0);
  EXPECT_EQ(One(ConfirmDay{t.host, t.task_id, Id(kOther), worked}).result,
            Result::kExistsWithDifferentFields);
  EXPECT_EQ(testing::CheckInvariants(ledger_.state()), "");
}

TEST_F(TasksTest, CancelledSlotsAndTheTasksEndReturnEverythingUnused) {
  const PostTask t =
      Task("festival", 3, 2);  // 3 slots x 2 days: 9,000 from the farm, 9,000 from the city.
  ASSERT_EQ(One(t).result, Result::kOk);
  Join(t, kVisitor);
  EXPECT_EQ(One(CancelSlots{t.host, t.task_id, 3}).result, Result::kNoSlotLeft);
  ASSERT_EQ(One(CancelSlots{t.host, t.task_id, 2}).result, Result::kOk);
  EXPECT_EQ(Get(kFarm).debits_pending, 2 * 1500);  // Only slot 1's two days are left.
  ASSERT_EQ(One(ApplyTask{Id(kOther), t.host, t.task_id, ++nonce_}).result, Result::kOk);
  EXPECT_EQ(One(DecideApplication{t.host, t.task_id, Id(kOther), true}).result,
            Result::kNoSlotLeft);
  EXPECT_EQ(One(DecideApplication{t.host, t.task_id, Id(kOther), false}).result, Result::kOk);
  WorkToday(t, kVisitor);
  ASSERT_EQ(One(ConfirmDay{t.host, t.task_id, Id(kVisitor), Today()}).result, Result::kOk);
  // The visitor does not come on day 2. After the last day and the dispute window, the rest goes
  // back.
  ledger_.Advance(2 * kDay + 72 * 3600);
  ledger_.Apply({testing::MakeTransfer(11, kIssuer, kCity, 1)});
  EXPECT_EQ(Get(kFarm).debits_pending, 0);
  EXPECT_EQ(Get(kCity).debits_pending, 0);
  EXPECT_EQ(Get(kEscrow).credits_pending, 0);
  EXPECT_EQ(Balance(kFarm), kFunds - 1500);
  EXPECT_EQ(Balance(kVisitor), 3000);
  EXPECT_EQ(One(ApplyTask{Id(kOther), t.host, t.task_id, ++nonce_}).duplicate, true);
  EXPECT_EQ(In(t, kVisitor).result, Result::kTaskClosed);
  EXPECT_EQ(testing::CheckInvariants(ledger_.state()), "");
}

// The finding: any shop could post a task naming a city budget at 100 % and pay its own wallet from
// it. Now a budget the city did not grant to the host (or to its category) is refused and nothing
// is reserved.
TEST_F(TasksTest, ATaskCannotDrawOnABudgetTheCityDidNotGrant) {
  ledger_.Apply({testing::MakeAccount(kShop, kCoin, AccountKind::kMerchant,
                                      account_flags::kNonNegative, "souvenir")});
  PostTask t = Task("free-money", 1, 3, kShop);
  t.subsidy_percent = 100;
  EXPECT_EQ(One(t).result, Result::kSubsidyNotGranted);
  EXPECT_EQ(Get(kCity).debits_pending, 0);
  EXPECT_EQ(Get(kEscrow).credits_pending, 0);
  std::string unused;
  EXPECT_FALSE(ledger_.state().Get(keys::Task(Id(kShop), "free-money"), &unused));
  // Without a subsidy the same shop posts as before, paying the whole thank-you itself.
  ledger_.Apply({testing::MakeTransfer(4, kIssuer, kShop, kFunds)});
  t.subsidy = AccountId{};
  t.subsidy_percent = 0;
  EXPECT_EQ(One(t).result, Result::kOk);
  EXPECT_EQ(Get(kShop).debits_pending, 3 * 3000);
  EXPECT_EQ(testing::CheckInvariants(ledger_.state()), "");
}

TEST_F(TasksTest, AGrantCapsThePercentAndTheHostsMonth) {
  ledger_.Apply({testing::MakeAccount(kNeighbourFarm, kCoin, AccountKind::kMerchant,
                                      account_flags::kNonNegative, "farm")});
  ledger_.Apply({testing::MakeTransfer(4, kIssuer, kNeighbourFarm, kFunds)});
  // Every farm may draw 30 %, at most 4,000 a month each.
  ASSERT_EQ(One(GrantSubsidy{Id(kCity), AccountId{}, "farm", 30, 4000}).result, Result::kOk);
  PostTask t = Task("weeding", 1, 3, kNeighbourFarm);  // 3,000 a day, 30 % = 900 a day.
  t.subsidy_percent = 50;
  EXPECT_EQ(One(t).result, Result::kSubsidyExceedsGrant);
  t.subsidy_percent = 30;
  ASSERT_EQ(One(t).result, Result::kOk);  // 2,700 of the 4,000.
  EXPECT_EQ(Get(kCity).debits_pending, 2700);
  PostTask more = Task("more-weeding", 1, 2, kNeighbourFarm);
  more.subsidy_percent = 30;
  EXPECT_EQ(One(more).result, Result::kSubsidyExceedsGrant);  // 1,800 more would be 4,500.
  EXPECT_EQ(Get(kCity).debits_pending, 2700);
  // Giving up the slot returns its subsidy, which no longer counts.
  ASSERT_EQ(One(CancelSlots{t.host, t.task_id, 1}).result, Result::kOk);
  EXPECT_EQ(Get(kCity).debits_pending, 0);
  ASSERT_EQ(One(more).result, Result::kOk);
  // A host's own grant wins over its category's; percent 0 withdraws it.
  ASSERT_EQ(One(GrantSubsidy{Id(kCity), Id(kNeighbourFarm), "", 10, 100'000}).result, Result::kOk);
  PostTask third = Task("fence", 1, 1, kNeighbourFarm);
  third.subsidy_percent = 30;
  EXPECT_EQ(One(third).result, Result::kSubsidyExceedsGrant);
  third.subsidy_percent = 10;
  EXPECT_EQ(One(third).result, Result::kOk);
  ASSERT_EQ(One(GrantSubsidy{Id(kCity), AccountId{}, "farm", 0, 0}).result, Result::kOk);
  ASSERT_EQ(One(GrantSubsidy{Id(kCity), Id(kNeighbourFarm), "", 0, 0}).result, Result::kOk);
  PostTask fourth = Task("gate", 1, 1, kNeighbourFarm);
  fourth.subsidy_percent = 10;
  EXPECT_EQ(One(fourth).result, Result::kSubsidyNotGranted);
  EXPECT_EQ(testing::CheckInvariants(ledger_.state()), "");
}

TEST_F(TasksTest, MalformedGrantsDecideNothing) {
  EXPECT_EQ(One(GrantSubsidy{Id(kCity), Id(kFarm), "farm", 10, 100}).result,
            Result::kSubsidyGrantInvalid);
  EXPECT_EQ(One(GrantSubsidy{Id(kCity), AccountId{}, "", 10, 100}).result,
            Result::kSubsidyGrantInvalid);
  EXPECT_EQ(One(GrantSubsidy{Id(kCity), Id(kFarm), "", 101, 100}).result,
            Result::kSubsidyGrantInvalid);
  EXPECT_EQ(One(GrantSubsidy{Id(kCity), Id(kFarm), "", 10, 0}).result,
            Result::kSubsidyGrantInvalid);
  EXPECT_EQ(One(GrantSubsidy{Id(kCity), Id(kFarm), "", 10, kAmountMax + 1}).result,
            Result::kSubsidyGrantInvalid);
  EXPECT_EQ(
      One(GrantSubsidy{Id(kCity), AccountId{}, std::string(kCategoryBytesMax + 1, 'x'), 10, 100})
          .result,
      Result::kSubsidyGrantInvalid);
  EXPECT_EQ(One(GrantSubsidy{Id(kFarm), Id(kInn), "", 10, 100}).result, Result::kKindInvalid);
  EXPECT_EQ(One(GrantSubsidy{Id(kCity), Id(kVisitor), "", 10, 100}).result, Result::kNotAMerchant);
  EXPECT_EQ(One(GrantSubsidy{Id(kCity), Id(999), "", 10, 100}).result, Result::kAccountNotFound);
  // The farm's grant from SetUp still stands.
  EXPECT_EQ(One(Task()).result, Result::kOk);
  std::optional<Batch> batch = DecodeBatch(
      EncodeBatch(Batch{{GrantSubsidy{Id(kCity), AccountId{}, "farm", 30, 4000}}, {1}}));
  ASSERT_TRUE(batch.has_value());
  EXPECT_EQ(std::get<GrantSubsidy>(batch->commands[0]),
            (GrantSubsidy{Id(kCity), AccountId{}, "farm", 30, 4000}));
}

// Giving up slots carries the terminal request's nonce: a replayed request gives up nothing more.
// Before, each replay of a captured CancelSlots within the time window gave up another slot.
TEST_F(TasksTest, AReplayedCancelGivesUpNothingMore) {
  const PostTask t = Task("harvest", 3, 1);
  ASSERT_EQ(One(t).result, Result::kOk);
  ASSERT_EQ(One(CancelSlots{t.host, t.task_id, 1, 501}).result, Result::kOk);
  EXPECT_EQ(One(CancelSlots{t.host, t.task_id, 1, 501}).result, Result::kNonceReplayed);
  EXPECT_EQ(One(CancelSlots{t.host, t.task_id, 1, 501}).result, Result::kNonceReplayed);
  EXPECT_EQ(Get(kFarm).debits_pending,
            2 * 1500);  // Two slots still reserved (the farm's half of 3,000).
  EXPECT_EQ(One(CancelSlots{t.host, t.task_id, 1, 502}).result,
            Result::kOk);  // A new request does.
  EXPECT_EQ(Get(kFarm).debits_pending, 1500);
  std::optional<Batch> batch =
      DecodeBatch(EncodeBatch(Batch{{CancelSlots{t.host, t.task_id, 1, 503}}, {1}}));
  ASSERT_TRUE(batch.has_value());
  EXPECT_EQ(std::get<CancelSlots>(batch->commands[0]).nonce, 503u);
  EXPECT_EQ(testing::CheckInvariants(ledger_.state()), "");
}

TEST_F(TasksTest, JournalRoundTripKeepsTaskCommands) {
  const PostTask t = Task();
  ASSERT_EQ(One(t).result, Result::kOk);
  std::optional<JournalEntry> entry = DecodeJournalEntry(ledger_.last().entry_bytes);
  ASSERT_TRUE(entry.has_value());
  EXPECT_TRUE(std::get<PostTask>(entry->commands[0]).SameRequest(t));
  std::optional<Batch> batch = DecodeBatch(EncodeBatch(
      Batch{{CheckIn{Id(kVisitor), t.host, t.task_id, true, "sig", 5},
             ConfirmDay{t.host, t.task_id, Id(kVisitor), 20260101, DayAction::kDispute}},
            {2}}));
  ASSERT_TRUE(batch.has_value());
  EXPECT_TRUE(std::get<CheckIn>(batch->commands[0]).out);
  EXPECT_EQ(std::get<ConfirmDay>(batch->commands[1]).action, DayAction::kDispute);
}

// Found by the core fuzzer's aim at reserved pendings: a client's void or post of a task's
// reservation was accepted, and the visitor's confirmed day could then not be paid
// (pending_already_voided).
TEST_F(TasksTest, ClientsCannotResolveTheLedgersOwnReservations) {
  const PostTask t = Task("rice", 1, 1);
  ASSERT_EQ(One(t).result, Result::kOk);
  Transfer void_host = testing::MakeVoid(9001, 0);
  void_host.pending_id = TaskTransferId('H', t.host, t.task_id, 1, Today());
  EXPECT_EQ(One(void_host).result, Result::kIdReserved);
  Transfer post_subsidy = testing::MakePost(9002, 0);
  post_subsidy.pending_id = TaskTransferId('J', t.host, t.task_id, 1, Today());
  EXPECT_EQ(One(post_subsidy).result, Result::kIdReserved);
  Join(t, kVisitor);
  WorkToday(t, kVisitor);
  EXPECT_EQ(One(ConfirmDay{t.host, t.task_id, Id(kVisitor), Today()}).result, Result::kOk);
  EXPECT_EQ(Balance(kVisitor), 3000);
  EXPECT_EQ(Balance(kEscrow), 0);
  EXPECT_EQ(testing::CheckInvariants(ledger_.state()), "");
}

}  // namespace
}  // namespace ledger
