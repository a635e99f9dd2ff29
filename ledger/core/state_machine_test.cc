// Unit tests for the state machine, one rule at a time. Every test ends with the invariant check.
#include "ledger/core/state_machine.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "ledger/core/keys.h"
#include "ledger/core/limits.h"
#include "ledger/core/query.h"
#include "ledger/core/test_util.h"

namespace ledger {
namespace {

using testing::Id;
using testing::kSecond;
using testing::MakeAccount;
using testing::MakeAsset;
using testing::MakePost;
using testing::MakeTransfer;
using testing::MakeVoid;
using testing::MemoryLedger;

constexpr AssetId kCoin = 1;
constexpr AssetId kPoints = 2;
constexpr uint64_t kIssuer = 1, kPointsIssuer = 2;
constexpr uint64_t kAlice = 10, kBob = 11, kShop = 20, kOverdraft = 21;
constexpr uint64_t kAliceHp = 30, kBobHp = 31, kHpShop = 40;
constexpr uint64_t kCoinBreakage = 900, kPointsBreakage = 901;
constexpr int64_t kPointsExpirySeconds = 100;

class StateMachineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Expect(ledger_.Apply({MakeAsset(kCoin, "COIN", 0, kCoinBreakage),
                          MakeAsset(kPoints, "HP", kPointsExpirySeconds, kPointsBreakage)}),
           {Result::kOk, Result::kOk});
    const uint32_t nn = account_flags::kNonNegative;
    Expect(ledger_.Apply({MakeAccount(kIssuer, kCoin, AccountKind::kIssuer),
                          MakeAccount(kAlice, kCoin, AccountKind::kWallet, nn),
                          MakeAccount(kBob, kCoin, AccountKind::kWallet, nn),
                          MakeAccount(kShop, kCoin, AccountKind::kMerchant, nn, "food"),
                          MakeAccount(kOverdraft, kCoin, AccountKind::kMerchant),
                          MakeAccount(kPointsIssuer, kPoints, AccountKind::kBudget),
                          MakeAccount(kAliceHp, kPoints, AccountKind::kWallet, nn),
                          MakeAccount(kBobHp, kPoints, AccountKind::kWallet, nn),
                          MakeAccount(kHpShop, kPoints, AccountKind::kMerchant, nn)}),
           std::vector<Result>(9, Result::kOk));
  }
  void TearDown() override { EXPECT_EQ(testing::CheckInvariants(ledger_.state()), ""); }

  static void Expect(const std::vector<Outcome>& outcomes, const std::vector<Result>& expected) {
    ASSERT_EQ(outcomes.size(), expected.size());
    for (size_t i = 0; i < expected.size(); ++i) {
      EXPECT_EQ(outcomes[i].result, expected[i])
          << "item " << i << ": got " << ResultName(outcomes[i].result) << ", want "
          << ResultName(expected[i]);
    }
  }
  Result One(Command command) { return ledger_.Apply({std::move(command)})[0].result; }
  std::vector<Lot> Lots(uint64_t account) { return LookupLots(ledger_.state(), Id(account)); }

  MemoryLedger ledger_;
};

TEST_F(StateMachineTest, SingleTransferMovesBalances) {
  EXPECT_EQ(One(MakeTransfer(100, kIssuer, kAlice, 5000)), Result::kOk);
  EXPECT_EQ(One(MakeTransfer(101, kAlice, kShop, 1200)), Result::kOk);
  EXPECT_EQ(ledger_.Balance(kIssuer), -5000);
  EXPECT_EQ(ledger_.Balance(kAlice), 3800);
  EXPECT_EQ(ledger_.Balance(kShop), 1200);
  std::optional<Transfer> stored = LookupTransfer(ledger_.state(), Id(101));
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->asset, kCoin);
  EXPECT_EQ(stored->result, Result::kOk);
}

TEST_F(StateMachineTest, ExceedsBalanceIsDecidedOnceAndReturnedOnRetry) {
  EXPECT_EQ(One(MakeTransfer(100, kIssuer, kAlice, 100)), Result::kOk);
  EXPECT_EQ(One(MakeTransfer(101, kAlice, kShop, 101)), Result::kExceedsBalance);
  EXPECT_EQ(One(MakeTransfer(102, kIssuer, kAlice, 100)), Result::kOk);
  // Same id, same fields: the original outcome, even though the balance would now allow it.
  std::vector<Outcome> retry = ledger_.Apply({MakeTransfer(101, kAlice, kShop, 101)});
  EXPECT_EQ(retry[0].result, Result::kExceedsBalance);
  EXPECT_TRUE(retry[0].duplicate);
  EXPECT_EQ(ledger_.Balance(kAlice), 200);
}

TEST_F(StateMachineTest, DuplicateSuccessAppliesOnce) {
  EXPECT_EQ(One(MakeTransfer(100, kIssuer, kAlice, 100)), Result::kOk);
  const Timestamp first = LookupTransfer(ledger_.state(), Id(100))->timestamp;
  std::vector<Outcome> retry = ledger_.Apply(
      {MakeTransfer(100, kIssuer, kAlice, 100), MakeTransfer(100, kIssuer, kAlice, 100)});
  EXPECT_EQ(retry[0].result, Result::kOk);
  EXPECT_TRUE(retry[0].duplicate);
  EXPECT_EQ(retry[0].timestamp, first);
  EXPECT_TRUE(retry[1].duplicate);
  EXPECT_EQ(ledger_.Balance(kAlice), 100);
}

TEST_F(StateMachineTest, SameIdDifferentFieldsIsAnError) {
  EXPECT_EQ(One(MakeTransfer(100, kIssuer, kAlice, 100)), Result::kOk);
  EXPECT_EQ(One(MakeTransfer(100, kIssuer, kAlice, 101)), Result::kExistsWithDifferentFields);
  EXPECT_EQ(One(MakeTransfer(100, kIssuer, kBob, 100)), Result::kExistsWithDifferentFields);
  EXPECT_EQ(ledger_.Balance(kAlice), 100);
  EXPECT_EQ(ledger_.Balance(kBob), 0);
}

TEST_F(StateMachineTest, ValidationResults) {
  Transfer reserved = MakeTransfer(1, kIssuer, kAlice, 1);
  reserved.id = Id128{0xffff000000000000ULL, 1};
  Transfer timeout_without_pending = MakeTransfer(9, kIssuer, kAlice, 1);
  timeout_without_pending.timeout_seconds = 5;
  Transfer timeout_too_long = MakeTransfer(10, kIssuer, kAlice, 1, transfer_flags::kPending);
  timeout_too_long.timeout_seconds = kTimeoutSecondsMax + 1;
  Transfer pending_id_on_plain = MakeTransfer(11, kIssuer, kAlice, 1);
  pending_id_on_plain.pending_id = Id(5);
  Expect(
      ledger_.Apply({
          MakeTransfer(0, kIssuer, kAlice, 1),
          reserved,
          MakeTransfer(2, kIssuer, kAlice, 1, 0, /*code=*/0),
          MakeTransfer(3, kIssuer, kAlice, 0),
          MakeTransfer(4, kIssuer, kAlice, kAmountMax + 1),
          MakeTransfer(5, kAlice, kAlice, 1),
          MakeTransfer(6, 999, kAlice, 1),
          MakeTransfer(7, kIssuer, 999, 1),
          MakeTransfer(8, kIssuer, kAliceHp, 1),
          timeout_without_pending,
          timeout_too_long,
          pending_id_on_plain,
          MakeTransfer(12, kIssuer, kAlice, 1, 0x100),
          MakeTransfer(13, kIssuer, kAlice, 1,
                       transfer_flags::kPending | transfer_flags::kVoidPending),
          MakePost(14, 0),
          MakePost(15, 12345),
      }),
      {Result::kIdMustNotBeZero, Result::kIdReserved, Result::kCodeMustNotBeZero,
       Result::kAmountMustBePositive, Result::kAmountExceedsLimit, Result::kAccountsMustBeDifferent,
       Result::kDebitAccountNotFound, Result::kCreditAccountNotFound, Result::kAssetMismatch,
       Result::kTimeoutRequiresPending, Result::kTimeoutExceedsLimit, Result::kPendingIdMustBeZero,
       Result::kFlagsInvalid, Result::kFlagsAreMutuallyExclusive, Result::kPendingIdRequired,
       Result::kPendingNotFound});
  EXPECT_EQ(ledger_.Balance(kAlice), 0);
}

TEST_F(StateMachineTest, AccountWithoutFloorMayGoNegative) {
  EXPECT_EQ(One(MakeTransfer(100, kOverdraft, kShop, 700)), Result::kOk);
  EXPECT_EQ(ledger_.Balance(kOverdraft), -700);
}

TEST_F(StateMachineTest, PendingPostFullAndPartial) {
  EXPECT_EQ(One(MakeTransfer(100, kIssuer, kAlice, 1000)), Result::kOk);
  EXPECT_EQ(One(MakeTransfer(101, kAlice, kShop, 600, transfer_flags::kPending)), Result::kOk);
  std::optional<Account> alice = LookupAccount(ledger_.state(), Id(kAlice));
  EXPECT_EQ(alice->debits_pending, 600);
  // Only 400 is available while 600 is reserved.
  EXPECT_EQ(One(MakeTransfer(102, kAlice, kShop, 401)), Result::kExceedsBalance);
  EXPECT_EQ(One(MakePost(103, 101, 601)), Result::kPendingAmountExceeded);
  EXPECT_EQ(One(MakePost(104, 101, 250)), Result::kOk);
  EXPECT_EQ(ledger_.Balance(kAlice), 750);
  EXPECT_EQ(ledger_.Balance(kShop), 250);
  EXPECT_EQ(LookupAccount(ledger_.state(), Id(kAlice))->debits_pending, 0);
  EXPECT_EQ(LookupTransfer(ledger_.state(), Id(101))->pending_state, PendingState::kPosted);
  EXPECT_EQ(LookupTransfer(ledger_.state(), Id(101))->amount_posted, 250);
  EXPECT_EQ(One(MakePost(105, 101)), Result::kPendingAlreadyPosted);
  EXPECT_EQ(One(MakeVoid(106, 101)), Result::kPendingAlreadyPosted);
  EXPECT_EQ(One(MakePost(107, 100)), Result::kNotAPendingTransfer);
}

TEST_F(StateMachineTest, PendingVoidReleases) {
  EXPECT_EQ(One(MakeTransfer(100, kIssuer, kAlice, 1000)), Result::kOk);
  EXPECT_EQ(One(MakeTransfer(101, kAlice, kShop, 600, transfer_flags::kPending)), Result::kOk);
  Transfer wrong_accounts = MakeVoid(102, 101);
  wrong_accounts.credit_account_id = Id(kBob);
  EXPECT_EQ(One(wrong_accounts), Result::kPendingAccountsMismatch);
  EXPECT_EQ(One(MakeVoid(103, 101)), Result::kOk);
  EXPECT_EQ(LookupAccount(ledger_.state(), Id(kAlice))->debits_pending, 0);
  EXPECT_EQ(ledger_.Balance(kAlice), 1000);
  EXPECT_EQ(One(MakePost(104, 101)), Result::kPendingAlreadyVoided);
}

TEST_F(StateMachineTest, PendingTimesOutOnTheLogicalClock) {
  EXPECT_EQ(One(MakeTransfer(100, kIssuer, kAlice, 1000)), Result::kOk);
  Transfer pending = MakeTransfer(101, kAlice, kShop, 600, transfer_flags::kPending);
  pending.timeout_seconds = 30;
  EXPECT_EQ(One(pending), Result::kOk);
  ledger_.Advance(10);
  EXPECT_EQ(One(MakeTransfer(102, kIssuer, kBob, 1)), Result::kOk);
  EXPECT_EQ(LookupTransfer(ledger_.state(), Id(101))->pending_state, PendingState::kPending);
  ledger_.Advance(30);
  EXPECT_EQ(One(MakePost(103, 101)), Result::kPendingExpired);
  EXPECT_EQ(LookupTransfer(ledger_.state(), Id(101))->pending_state, PendingState::kExpired);
  EXPECT_EQ(LookupAccount(ledger_.state(), Id(kAlice))->debits_pending, 0);
  ASSERT_EQ(ledger_.last().entry.system_events.size(), 1u);
  EXPECT_EQ(ledger_.last().entry.system_events[0].type, SystemEventType::kPendingExpired);
  EXPECT_EQ(ledger_.Balance(kAlice), 1000);
}

TEST_F(StateMachineTest, LinkedChainSucceedsOrFailsTogether) {
  EXPECT_EQ(One(MakeTransfer(100, kIssuer, kAlice, 100)), Result::kOk);
  const uint32_t linked = transfer_flags::kLinked;
  Expect(ledger_.Apply({MakeTransfer(101, kAlice, kShop, 60, linked),
                        MakeTransfer(102, kAlice, kBob, 60, linked),  // Fails: only 40 left.
                        MakeTransfer(103, kIssuer, kBob, 5)}),
         {Result::kLinkedEventFailed, Result::kExceedsBalance, Result::kLinkedEventFailed});
  EXPECT_EQ(ledger_.Balance(kAlice), 100);
  EXPECT_EQ(ledger_.Balance(kShop), 0);
  EXPECT_EQ(ledger_.Balance(kBob), 0);
  // Chain members that failed only because of the chain are not decided: they may be retried.
  EXPECT_FALSE(LookupTransfer(ledger_.state(), Id(101)));
  Expect(ledger_.Apply(
             {MakeTransfer(101, kAlice, kShop, 60, linked), MakeTransfer(104, kAlice, kBob, 40)}),
         {Result::kOk, Result::kOk});
  EXPECT_EQ(ledger_.Balance(kAlice), 0);
}

TEST_F(StateMachineTest, OpenChainFailsAtTheEndOfItsRequest) {
  EXPECT_EQ(One(MakeTransfer(100, kIssuer, kAlice, 100)), Result::kOk);
  const uint32_t linked = transfer_flags::kLinked;
  std::vector<Outcome> outcomes = ledger_.ApplyRequests(
      {{MakeTransfer(101, kAlice, kShop, 10, linked), MakeTransfer(102, kAlice, kShop, 10, linked)},
       {MakeTransfer(103, kAlice, kShop, 10)}});
  Expect(outcomes, {Result::kLinkedEventFailed, Result::kLinkedEventChainOpen, Result::kOk});
  EXPECT_EQ(ledger_.Balance(kShop), 10);
}

TEST_F(StateMachineTest, LotsExpireToBreakage) {
  EXPECT_EQ(One(MakeTransfer(100, kPointsIssuer, kAliceHp, 50)), Result::kOk);
  ledger_.Advance(40);
  EXPECT_EQ(One(MakeTransfer(101, kPointsIssuer, kAliceHp, 30)), Result::kOk);
  ASSERT_EQ(Lots(kAliceHp).size(), 2u);
  // Spending takes the earliest-expiring lot first.
  EXPECT_EQ(One(MakeTransfer(102, kAliceHp, kHpShop, 20)), Result::kOk);
  EXPECT_EQ(Lots(kAliceHp)[0].amount, 30);
  EXPECT_EQ(Lots(kAliceHp)[1].amount, 30);
  ledger_.Advance(kPointsExpirySeconds - 40);
  EXPECT_EQ(One(MakeTransfer(103, kIssuer, kBob, 1)), Result::kOk);  // Any batch sweeps.
  EXPECT_EQ(ledger_.Balance(kAliceHp), 30);
  EXPECT_EQ(ledger_.Balance(kPointsBreakage), 30);
  ASSERT_EQ(ledger_.last().entry.system_events.size(), 1u);
  const SystemEvent& event = ledger_.last().entry.system_events[0];
  EXPECT_EQ(event.type, SystemEventType::kExpiry);
  EXPECT_EQ(event.amount, 30);
  EXPECT_TRUE(event.id.IsReserved());
  std::optional<Transfer> breakage_transfer = LookupTransfer(ledger_.state(), event.id);
  ASSERT_TRUE(breakage_transfer);
  EXPECT_EQ(breakage_transfer->code, kCodeExpiry);
  // The merchant's points do not expire: only wallets hold lots.
  EXPECT_EQ(ledger_.Balance(kHpShop), 20);
  ledger_.Advance(100);
  EXPECT_EQ(One(MakeTransfer(104, kIssuer, kBob, 1)), Result::kOk);
  EXPECT_EQ(ledger_.Balance(kAliceHp), 0);
  EXPECT_TRUE(Lots(kAliceHp).empty());
}

TEST_F(StateMachineTest, PendingCarriesLotsAndVoidReturnsThem) {
  EXPECT_EQ(One(MakeTransfer(100, kPointsIssuer, kAliceHp, 50)), Result::kOk);
  const Timestamp expiry = Lots(kAliceHp)[0].expiry;
  EXPECT_EQ(One(MakeTransfer(101, kAliceHp, kBobHp, 50, transfer_flags::kPending)), Result::kOk);
  EXPECT_TRUE(Lots(kAliceHp).empty());
  EXPECT_EQ(LookupTransfer(ledger_.state(), Id(101))->reserved_lots.size(), 1u);
  EXPECT_EQ(One(MakeVoid(102, 101)), Result::kOk);
  ASSERT_EQ(Lots(kAliceHp).size(), 1u);
  EXPECT_EQ(Lots(kAliceHp)[0].expiry, expiry);  // The original expiry, not a fresh one.
  EXPECT_EQ(Lots(kAliceHp)[0].amount, 50);
  // A partial post hands on part and returns the rest.
  EXPECT_EQ(One(MakeTransfer(103, kAliceHp, kBobHp, 50, transfer_flags::kPending)), Result::kOk);
  EXPECT_EQ(One(MakePost(104, 103, 20)), Result::kOk);
  EXPECT_EQ(Lots(kAliceHp)[0].amount, 30);
  EXPECT_EQ(Lots(kBobHp)[0].amount, 20);
  EXPECT_GT(Lots(kBobHp)[0].expiry, expiry);  // The recipient's lot starts at the credit.
}

TEST_F(StateMachineTest, CloseAccount) {
  EXPECT_EQ(One(MakeTransfer(100, kIssuer, kAlice, 10)), Result::kOk);
  EXPECT_EQ(One(CloseAccount{Id(kAlice)}), Result::kAccountHasBalance);
  EXPECT_EQ(One(MakeTransfer(101, kAlice, kIssuer, 10)), Result::kOk);
  EXPECT_EQ(One(CloseAccount{Id(kAlice)}), Result::kOk);
  EXPECT_EQ(One(CloseAccount{Id(kAlice)}), Result::kAccountAlreadyClosed);
  EXPECT_EQ(One(CloseAccount{Id(777)}), Result::kAccountNotFound);
  EXPECT_EQ(One(MakeTransfer(102, kIssuer, kAlice, 10)), Result::kAccountClosed);
}

TEST_F(StateMachineTest, AssetRules) {
  EXPECT_EQ(One(MakeAsset(kCoin, "COIN", 0, kCoinBreakage)), Result::kOk);  // Duplicate.
  EXPECT_EQ(One(MakeAsset(kCoin, "COIN", 5, kCoinBreakage)), Result::kExistsWithDifferentFields);
  EXPECT_EQ(One(MakeAsset(3, "bad code", 0, 903)), Result::kAssetCodeInvalid);
  EXPECT_EQ(One(MakeAsset(3, "X", -1, 903)), Result::kExpiryInvalid);
  EXPECT_EQ(One(MakeAsset(3, "X", 0, kAlice)), Result::kExistsWithDifferentFields);
  EXPECT_EQ(One(MakeAsset(0, "X", 0, 903)), Result::kIdMustNotBeZero);
  std::optional<Account> breakage = LookupAccount(ledger_.state(), Id(kCoinBreakage));
  ASSERT_TRUE(breakage);
  EXPECT_EQ(breakage->kind, AccountKind::kBreakage);
}

TEST_F(StateMachineTest, AccountRules) {
  std::vector<Outcome> outcomes = ledger_.Apply({
      MakeAccount(kAlice, kCoin, AccountKind::kWallet, account_flags::kNonNegative),
      MakeAccount(kAlice, kCoin, AccountKind::kMerchant, account_flags::kNonNegative),
      MakeAccount(50, 99, AccountKind::kWallet),
      MakeAccount(51, kCoin, static_cast<AccountKind>(99)),
      MakeAccount(52, kCoin, AccountKind::kMerchant, 0, std::string(kCategoryBytesMax + 1, 'x')),
      MakeAccount(53, kCoin, AccountKind::kMerchant, account_flags::kClosed),
      MakeAccount(0, kCoin, AccountKind::kMerchant),
  });
  Expect(outcomes, {Result::kOk, Result::kExistsWithDifferentFields, Result::kAssetNotFound,
                    Result::kKindInvalid, Result::kCategoryTooLong, Result::kFlagsInvalid,
                    Result::kIdMustNotBeZero});
  EXPECT_TRUE(outcomes[0].duplicate);
}

TEST_F(StateMachineTest, HistoryAndBalanceAt) {
  EXPECT_EQ(One(MakeTransfer(100, kIssuer, kAlice, 100)), Result::kOk);
  const Timestamp after_first = ledger_.last().head.clock;
  ledger_.Advance(60);
  EXPECT_EQ(One(MakeTransfer(101, kAlice, kShop, 30)), Result::kOk);
  EXPECT_EQ(One(MakeTransfer(102, kAlice, kShop, 20)), Result::kOk);
  HistoryPage page = AccountHistory(ledger_.state(), Id(kAlice), 0, 0, 2, false);
  ASSERT_EQ(page.entries.size(), 2u);
  EXPECT_EQ(page.entries[0].delta, 100);
  EXPECT_EQ(page.entries[1].balance_after, 70);
  EXPECT_NE(page.next_timestamp, 0u);
  HistoryPage rest = AccountHistory(ledger_.state(), Id(kAlice), page.next_timestamp, 0, 10, false);
  ASSERT_EQ(rest.entries.size(), 1u);
  EXPECT_EQ(rest.entries[0].balance_after, 50);
  EXPECT_EQ(rest.next_timestamp, 0u);
  EXPECT_EQ(BalanceAtTime(ledger_.state(), Id(kAlice), after_first).balance, 100);
  EXPECT_EQ(BalanceAtTime(ledger_.state(), Id(kAlice), after_first + 30 * kSecond).balance, 100);
  EXPECT_EQ(BalanceAtTime(ledger_.state(), Id(kAlice), 1).balance, 0);
  EXPECT_EQ(BalanceAtTime(ledger_.state(), Id(kAlice), UINT64_MAX).balance, 50);
}

TEST_F(StateMachineTest, BatchPreconditions) {
  Batch batch;
  batch.commands.push_back(MakeTransfer(100, kIssuer, kAlice, 1));
  batch.request_sizes = {1};
  const Timestamp clock = ReadHead(ledger_.state()).clock;
  EXPECT_EQ(ApplyBatch(ledger_.state(), clock, batch).status().code(),
            absl::StatusCode::kFailedPrecondition);
  Batch big;
  for (int i = 0; i <= kBatchItemsMax; ++i)
    big.commands.push_back(MakeTransfer(1000 + i, 1, 10, 1));
  big.request_sizes = {static_cast<uint32_t>(big.commands.size())};
  EXPECT_EQ(ApplyBatch(ledger_.state(), clock + 1, big).status().code(),
            absl::StatusCode::kInvalidArgument);
  batch.request_sizes = {2};
  EXPECT_EQ(ApplyBatch(ledger_.state(), clock + 1, batch).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(StateMachineTest, TooManyLots) {
  // A long expiry with one-second granularity, one batch per second: each credit makes a new lot.
  constexpr AssetId kVoucher = 3;
  ASSERT_EQ(One(MakeAsset(kVoucher, "VOUCHER", 10'000'000, 902)), Result::kOk);
  ASSERT_EQ(One(MakeAccount(60, kVoucher, AccountKind::kIssuer)), Result::kOk);
  ASSERT_EQ(One(MakeAccount(61, kVoucher, AccountKind::kWallet, account_flags::kNonNegative)),
            Result::kOk);
  for (int i = 0; i < kLotsPerAccountMax; ++i) {
    ASSERT_EQ(One(MakeTransfer(10000 + i, 60, 61, 1)), Result::kOk) << i;
  }
  EXPECT_EQ(static_cast<int>(Lots(61).size()), kLotsPerAccountMax);
  EXPECT_EQ(One(MakeTransfer(20000, 60, 61, 1)), Result::kTooManyLots);
  EXPECT_EQ(ledger_.Balance(61), kLotsPerAccountMax);
}

TEST_F(StateMachineTest, BalanceBoundsAreResultsNotCrashes) {
  // Drive an account without a floor to the bound with maximal amounts; the next debit,
  // single-phase or posted from a pending, must be refused with overflows_balance, never abort the
  // ledger.
  uint64_t id = 5000;
  std::vector<Command> batch;
  int64_t total = 0;
  while (total + kAmountMax <= kBalanceMax) {
    batch.push_back(MakeTransfer(++id, kOverdraft, kShop, kAmountMax));
    total += kAmountMax;
    if (batch.size() == static_cast<size_t>(kBatchItemsMax)) {
      for (const Outcome& outcome : ledger_.Apply(std::move(batch)))
        ASSERT_EQ(outcome.result, Result::kOk);
      batch.clear();
    }
  }
  for (const Outcome& outcome : ledger_.Apply(std::move(batch)))
    ASSERT_EQ(outcome.result, Result::kOk);
  EXPECT_EQ(One(MakeTransfer(++id, kOverdraft, kBob, kAmountMax)), Result::kOverflowsBalance);
  // A pending reserves without moving the balance; posting it would cross the bound.
  const uint64_t pending = ++id;
  EXPECT_EQ(One(MakeTransfer(pending, kOverdraft, kBob, kAmountMax, transfer_flags::kPending)),
            Result::kOk);
  EXPECT_EQ(One(MakePost(++id, pending)), Result::kOverflowsBalance);
  EXPECT_EQ(One(MakeVoid(++id, pending)), Result::kOk);
  EXPECT_EQ(ledger_.Balance(kOverdraft), -total);
}

// ----- request nonces (issue #14 item 7): kept only for their request's window -----

constexpr uint64_t kWindowMs = kSignedRequestWindowMs;

// A wallet's signed send as the Wallet service submits it: the request's nonce and timestamp.
WalletSend Send(uint64_t id, uint64_t nonce, uint64_t request_ms) {
  WalletSend send;
  send.transfer = MakeTransfer(id, kAlice, kBob, 1);
  send.nonce = nonce;
  send.request_ms = request_ms;
  return send;
}

size_t CountKeys(const MemoryKv& state, char table) {
  size_t n = 0;
  state.Scan(std::string(1, table), std::string(1, table + 1), false,
             [&](std::string_view, std::string_view) { return ++n, true; });
  return n;
}

uint64_t NowMs(const MemoryLedger& ledger) { return ledger.now() / 1'000'000; }

TEST_F(StateMachineTest, SpentNoncesOfAWalletDoNotGrowOverADay) {
  // A wallet sending every 5 minutes for a day: before, every nonce stayed (288 keys by the
  // evening); now each is forgotten once its request's window has closed.
  Expect(ledger_.Apply({MakeTransfer(1, kIssuer, kAlice, 1000)}), {Result::kOk});
  constexpr int kRequests = 24 * 12;
  size_t most = 0;
  for (int i = 0; i < kRequests; ++i) {
    Expect(ledger_.Apply({Send(100 + i, 7000 + i, NowMs(ledger_))}), {Result::kOk});
    most = std::max(most, CountKeys(ledger_.state(), keys::kNonce));
    ledger_.Advance(300);
  }
  EXPECT_EQ(ledger_.Balance(kBob), kRequests);
  EXPECT_LE(most, 3u);
  EXPECT_EQ(CountKeys(ledger_.state(), keys::kNonce),
            CountKeys(ledger_.state(), keys::kNonceExpiry));
  // Once the last window has passed, none is left.
  ledger_.Advance(kWindowMs / 1000);
  Expect(ledger_.Apply({MakeTransfer(2, kIssuer, kAlice, 1)}), {Result::kOk});
  EXPECT_EQ(CountKeys(ledger_.state(), keys::kNonce), 0u);
  EXPECT_EQ(CountKeys(ledger_.state(), keys::kNonceExpiry), 0u);
}

TEST_F(StateMachineTest, PruningANonceNeverReopensItsReplay) {
  Expect(ledger_.Apply({MakeTransfer(1, kIssuer, kAlice, 1000)}), {Result::kOk});
  const uint64_t request_ms = NowMs(ledger_);
  Expect(ledger_.Apply({Send(100, 42, request_ms)}), {Result::kOk});
  // Within the window the nonce refuses a replay under a new transfer id.
  Expect(ledger_.Apply({Send(101, 42, request_ms)}), {Result::kNonceReplayed});
  EXPECT_EQ(CountKeys(ledger_.state(), keys::kNonce), 1u);
  // The first batch after the window forgets the nonce, and the window refuses the replay.
  ledger_.Advance(kWindowMs / 1000);
  Expect(ledger_.Apply({Send(102, 42, request_ms)}), {Result::kRequestExpired});
  EXPECT_EQ(CountKeys(ledger_.state(), keys::kNonce), 0u);
  EXPECT_EQ(ledger_.Balance(kBob), 1);
  std::string unused;
  EXPECT_FALSE(ledger_.state().Get(keys::Transfer(Id(102)), &unused));
}

TEST_F(StateMachineTest, RequestOutsideTheWindowDecidesNothing) {
  Expect(ledger_.Apply({MakeTransfer(1, kIssuer, kAlice, 1000)}), {Result::kOk});
  // The edges of [request_ms - W, request_ms + W] on the batch stamp are inside.
  EXPECT_EQ(ledger_.now() % 1'000'000, 0u);
  Expect(ledger_.Apply({Send(100, 1, NowMs(ledger_) - kWindowMs)}), {Result::kOk});
  Expect(ledger_.Apply({Send(101, 2, NowMs(ledger_) + kWindowMs)}), {Result::kOk});
  Expect(ledger_.Apply({Send(102, 3, NowMs(ledger_) - kWindowMs - 1)}), {Result::kRequestExpired});
  Expect(ledger_.Apply({Send(103, 4, NowMs(ledger_) + kWindowMs + 1)}),
         {Result::kRequestNotYetValid});
  // Neither the transfer ids nor the nonces were decided: both go through with a fresh request.
  std::string unused;
  EXPECT_FALSE(ledger_.state().Get(keys::Transfer(Id(102)), &unused));
  EXPECT_FALSE(ledger_.state().Get(keys::Nonce(Id(kAlice), 3), &unused));
  EXPECT_FALSE(ledger_.state().Get(keys::Nonce(Id(kAlice), 4), &unused));
  std::vector<Outcome> fresh =
      ledger_.Apply({Send(102, 3, NowMs(ledger_)), Send(103, 4, NowMs(ledger_))});
  Expect(fresh, {Result::kOk, Result::kOk});
  EXPECT_FALSE(fresh[0].duplicate);
  EXPECT_EQ(ledger_.Balance(kBob), 4);
}

TEST_F(StateMachineTest, NonceWithoutRequestTimeIsKeptForEver) {
  // Entries written before request_ms (and operator commands) decode with 0: no window check, and
  // the nonce stays, as it did, so replaying an old journal gives the state it gave.
  Expect(ledger_.Apply({MakeTransfer(1, kIssuer, kAlice, 1000)}), {Result::kOk});
  Expect(ledger_.Apply({Send(100, 9, 0)}), {Result::kOk});
  std::string value;
  ASSERT_TRUE(ledger_.state().Get(keys::Nonce(Id(kAlice), 9), &value));
  EXPECT_EQ(value, "");
  EXPECT_EQ(CountKeys(ledger_.state(), keys::kNonceExpiry), 0u);
  ledger_.Advance(24 * 3600);
  Expect(ledger_.Apply({Send(101, 9, 0)}), {Result::kNonceReplayed});
  EXPECT_TRUE(ledger_.state().Get(keys::Nonce(Id(kAlice), 9), &value));
}

}  // namespace
}  // namespace ledger
