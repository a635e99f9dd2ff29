// Shop payments in the core: one test per rule in pos.h.
#include "ledger/core/pos.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include "ledger/core/cpm.h"
#include "ledger/core/keys.h"
#include "ledger/core/limits.h"
#include "ledger/core/query.h"
#include "ledger/core/test_util.h"

namespace ledger {
namespace {

using testing::Id;
using testing::kSecond;

constexpr AssetId kCoin = 1;
constexpr uint64_t kIssuer = 1, kAlice = 10, kBob = 11, kShop = 20, kOtherShop = 21,
                   kFeeAccount = 30;
constexpr int64_t kHour = 3600;

class PosTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // kEpoch is 2026-01-01T00:00Z = 09:00 in Japan.
    ledger_.Apply({testing::MakeAsset(kCoin, "COIN", 0, 900)});
    ledger_.Apply(
        {testing::MakeAccount(kIssuer, kCoin, AccountKind::kIssuer),
         testing::MakeAccount(kAlice, kCoin, AccountKind::kWallet, account_flags::kNonNegative),
         testing::MakeAccount(kBob, kCoin, AccountKind::kWallet, account_flags::kNonNegative),
         testing::MakeAccount(kShop, kCoin, AccountKind::kMerchant, account_flags::kNonNegative),
         testing::MakeAccount(kOtherShop, kCoin, AccountKind::kMerchant,
                              account_flags::kNonNegative),
         testing::MakeAccount(kFeeAccount, kCoin, AccountKind::kFee)});
    ledger_.Apply({testing::MakeTransfer(1, kIssuer, kAlice, 10'000),
                   testing::MakeTransfer(2, kIssuer, kBob, 500)});
  }

  static PosPayment Payment(std::string id, uint64_t payer, int64_t amount,
                            std::string terminal = "REG-1") {
    return PosPayment{Id(kShop), std::move(id), Id(payer), amount, std::move(terminal)};
  }
  static PosRefund Refund(std::string payment, std::string refund, int64_t amount) {
    return PosRefund{Id(kShop), std::move(payment), std::move(refund), amount};
  }
  Outcome One(Command command) { return ledger_.Apply({std::move(command)})[0]; }
  int64_t Balance(uint64_t id) { return ledger_.Balance(id); }

  testing::MemoryLedger ledger_;
};

TEST_F(PosTest, BusinessDayIsTheJapaneseCalendarDay) {
  EXPECT_EQ(BusinessDay(testing::kEpoch), 20260101u);                        // 09:00 JST.
  EXPECT_EQ(BusinessDay(testing::kEpoch - 9 * kHour * kSecond), 20260101u);  // 00:00 JST.
  EXPECT_EQ(BusinessDay(testing::kEpoch - 9 * kHour * kSecond - 1), 20251231u);
  EXPECT_EQ(BusinessDay(testing::kEpoch + 59 * 24 * kHour * kSecond),
            20260301u);  // Not a leap year.
}

TEST_F(PosTest, PaymentMovesValueOnceByMerchantPaymentId) {
  const Outcome paid = One(Payment("order-1", kAlice, 1200));
  ASSERT_EQ(paid.result, Result::kOk);
  EXPECT_FALSE(paid.duplicate);
  EXPECT_EQ(Balance(kAlice), 8800);
  EXPECT_EQ(Balance(kShop), 1200);
  // The derived transfer is an ordinary, journaled transfer in the reserved id space.
  const TransferId id = PosTransferId('P', Id(kShop), "order-1");
  EXPECT_TRUE(id.IsReserved());
  std::optional<Transfer> transfer = LookupTransfer(ledger_.state(), id);
  ASSERT_TRUE(transfer.has_value());
  EXPECT_EQ(transfer->code, kCodePosPayment);
  EXPECT_EQ(transfer->amount, 1200);
  // Same id, same fields: the original outcome, nothing moves again.
  const Outcome again = One(Payment("order-1", kAlice, 1200));
  EXPECT_EQ(again.result, Result::kOk);
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(again.timestamp, paid.timestamp);
  EXPECT_EQ(Balance(kAlice), 8800);
  // Same id, other fields.
  EXPECT_EQ(One(Payment("order-1", kAlice, 1300)).result, Result::kExistsWithDifferentFields);
  // The same payment id at another shop is another payment.
  EXPECT_EQ(One(PosPayment{Id(kOtherShop), "order-1", Id(kAlice), 100, ""}).result, Result::kOk);
  std::optional<PaymentRecord> record = LookupPayment(ledger_.state(), Id(kShop), "order-1");
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->state, PaymentState::kCaptured);
  EXPECT_EQ(record->business_day, 20260101u);
  EXPECT_EQ(testing::CheckInvariants(ledger_.state()), "");
}

TEST_F(PosTest, RefusedPaymentStaysRefused) {
  const Outcome refused = One(Payment("big", kBob, 501));
  EXPECT_EQ(refused.result, Result::kExceedsBalance);
  ledger_.Apply({testing::MakeTransfer(3, kIssuer, kBob, 1000)});
  const Outcome again = One(Payment("big", kBob, 501));
  EXPECT_EQ(again.result, Result::kExceedsBalance);
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(One(Payment("big-2", kBob, 501)).result, Result::kOk);
}

TEST_F(PosTest, PaymentRefusals) {
  EXPECT_EQ(One(Payment("", kAlice, 1)).result, Result::kPosIdInvalid);
  EXPECT_EQ(One(Payment(std::string(65, 'x'), kAlice, 1)).result, Result::kPosIdInvalid);
  EXPECT_EQ(One(Payment("tab\there", kAlice, 1)).result, Result::kPosIdInvalid);
  EXPECT_EQ(One(Payment("t", kAlice, 1, std::string(33, 'T'))).result, Result::kTerminalIdInvalid);
  EXPECT_EQ(One(PosPayment{Id(kBob), "p", Id(kAlice), 1, ""}).result, Result::kNotAMerchant);
  EXPECT_EQ(One(PosPayment{Id(99), "p", Id(kAlice), 1, ""}).result, Result::kCreditAccountNotFound);
  EXPECT_EQ(One(Payment("zero", kAlice, 0)).result, Result::kAmountMustBePositive);
  EXPECT_EQ(One(Payment("nobody", 98, 5)).result, Result::kDebitAccountNotFound);
  EXPECT_EQ(Balance(kAlice), 10'000);
}

TEST_F(PosTest, RefundsArePartialRepeatableAndBounded) {
  ASSERT_EQ(One(Payment("order-1", kAlice, 1000)).result, Result::kOk);
  EXPECT_EQ(One(Refund("order-1", "ref-1", 300)).result, Result::kOk);
  EXPECT_EQ(One(Refund("order-1", "ref-2", 600)).result, Result::kOk);
  EXPECT_EQ(Balance(kAlice), 9900);
  EXPECT_EQ(Balance(kShop), 100);
  EXPECT_EQ(One(Refund("order-1", "ref-3", 101)).result, Result::kRefundExceedsPayment);
  EXPECT_EQ(One(Refund("order-1", "ref-3", 101)).duplicate, true);  // Decided once, even refused.
  EXPECT_EQ(One(Refund("order-1", "ref-4", 100)).result, Result::kOk);
  const Outcome again = One(Refund("order-1", "ref-1", 300));
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(again.result, Result::kOk);
  EXPECT_EQ(One(Refund("order-1", "ref-1", 200)).result, Result::kExistsWithDifferentFields);
  EXPECT_EQ(One(Refund("no-such", "ref-9", 1)).result, Result::kPaymentNotFound);
  EXPECT_EQ(One(Refund("order-1", "ref-0", 0)).result, Result::kAmountMustBePositive);
  EXPECT_EQ(LookupPayment(ledger_.state(), Id(kShop), "order-1")->refunded, 1000);
  EXPECT_EQ(Balance(kAlice), 10'000);
  EXPECT_EQ(testing::CheckInvariants(ledger_.state()), "");
}

TEST_F(PosTest, CancelOnlySameDayBeforeCloseAndWithoutRefunds) {
  ASSERT_EQ(One(Payment("a", kAlice, 100)).result, Result::kOk);
  ASSERT_EQ(One(Payment("b", kAlice, 200)).result, Result::kOk);
  ASSERT_EQ(One(Payment("c", kAlice, 300)).result, Result::kOk);
  EXPECT_EQ(One(PosCancel{Id(kShop), "a"}).result, Result::kOk);
  EXPECT_EQ(Balance(kAlice), 9500);
  EXPECT_TRUE(One(PosCancel{Id(kShop), "a"}).duplicate);
  EXPECT_EQ(One(Refund("a", "ref-a", 10)).result, Result::kPaymentCancelled);
  ASSERT_EQ(One(Refund("b", "ref-b", 10)).result, Result::kOk);
  EXPECT_EQ(One(PosCancel{Id(kShop), "b"}).result, Result::kPaymentRefunded);
  EXPECT_EQ(One(PosCancel{Id(kShop), "nope"}).result, Result::kPaymentNotFound);
  ledger_.Advance(24 * kHour);  // The next day: no cancel, refunds still fine.
  EXPECT_EQ(One(PosCancel{Id(kShop), "c"}).result, Result::kDayClosed);
  EXPECT_EQ(One(Refund("c", "ref-c", 300)).result, Result::kOk);
}

TEST_F(PosTest, CloseDayFreezesTheReport) {
  ASSERT_EQ(One(Payment("a", kAlice, 100, "REG-1")).result, Result::kOk);
  ASSERT_EQ(One(Payment("b", kAlice, 200, "REG-2")).result, Result::kOk);
  ASSERT_EQ(One(Payment("c", kAlice, 400, "REG-2")).result, Result::kOk);
  ASSERT_EQ(One(PosCancel{Id(kShop), "a"}).result, Result::kOk);
  ASSERT_EQ(One(Refund("c", "r1", 50)).result, Result::kOk);
  EXPECT_EQ(One(PosCloseDay{Id(kShop), 20260102}).result,
            Result::kBusinessDayInvalid);  // Tomorrow.
  EXPECT_EQ(One(PosCloseDay{Id(kShop), 20261301}).result, Result::kBusinessDayInvalid);
  EXPECT_EQ(One(PosCloseDay{Id(kAlice), 20260101}).result, Result::kNotAMerchant);
  const Outcome closed = One(PosCloseDay{Id(kShop), 20260101});
  ASSERT_EQ(closed.result, Result::kOk);
  std::optional<DayReport> report = LookupDayReport(ledger_.state(), Id(kShop), 20260101);
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(report->total, (DayTotals{3, 700, 1, 100, 50}));
  EXPECT_EQ(report->total.net(), 550);
  EXPECT_EQ(report->by_terminal.at("REG-1"), (DayTotals{1, 100, 1, 100, 0}));
  EXPECT_EQ(report->by_terminal.at("REG-2"), (DayTotals{2, 600, 0, 0, 50}));
  // Closing again: the stored report, unchanged.
  const Outcome again = One(PosCloseDay{Id(kShop), 20260101});
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(again.timestamp, closed.timestamp);
  // After the close: the day's payments cannot be cancelled; a payment or refund made now is booked
  // on the next open day; the frozen report stays as it was.
  EXPECT_EQ(One(PosCancel{Id(kShop), "b"}).result, Result::kDayClosed);
  ASSERT_EQ(One(Payment("d", kAlice, 80)).result, Result::kOk);  // Still 1 January.
  EXPECT_EQ(LookupPayment(ledger_.state(), Id(kShop), "d")->business_day, 20260102u);
  ASSERT_EQ(One(Payment("e", kAlice, 30)).result, Result::kOk);
  EXPECT_EQ(One(PosCancel{Id(kShop), "e"}).result, Result::kOk);  // Its booked day is open.
  EXPECT_EQ(One(Refund("b", "r2", 20)).result, Result::kOk);
  EXPECT_EQ(LookupDayReport(ledger_.state(), Id(kShop), 20260101)->total,
            (DayTotals{3, 700, 1, 100, 50}));
  EXPECT_EQ(DayRunningTotals(ledger_.state(), Id(kShop), 20260102).total,
            (DayTotals{2, 110, 1, 30, 20}));
  // Once its booked day has passed, "d" can no longer be cancelled.
  ledger_.Advance(2 * 24 * kHour);
  EXPECT_EQ(One(PosCancel{Id(kShop), "d"}).result, Result::kDayClosed);
  EXPECT_EQ(testing::CheckInvariants(ledger_.state()), "");
}

TEST_F(PosTest, JournalCarriesTheCommandsAndVerifies) {
  ASSERT_EQ(One(Payment("a", kAlice, 100)).result, Result::kOk);
  ASSERT_EQ(One(Refund("a", "r", 40)).result, Result::kOk);
  ASSERT_EQ(One(PosCloseDay{Id(kShop), 20260101}).result, Result::kOk);
  std::optional<JournalEntry> entry = DecodeJournalEntry(ledger_.last().entry_bytes);
  ASSERT_TRUE(entry.has_value());
  ASSERT_EQ(entry->commands.size(), 1u);
  EXPECT_EQ(std::get<PosCloseDay>(entry->commands[0]).business_day, 20260101u);
  EXPECT_TRUE(VerifyJournal(ledger_.state()).ok);
}

// Staff charge a custodial card. A wrong PIN counts towards the lockout once per terminal request
// (its attempt nonce): before, a captured wrong-PIN request replayed twice within the time window
// locked the resident's card. Attempts older than twice the request window are dropped.
TEST_F(PosTest, AReplayedWrongPinCountsOnce) {
  const std::string salt(16, 's'), card = "6300123412341234";
  ASSERT_EQ(One(RegisterCard{card, Id(kBob), salt, PinProof(salt, card, "4821"), 3}).result,
            Result::kOk);
  auto charge = [&](std::string id, const char* pin, uint64_t attempt) {
    PosPayment p{Id(kShop), std::move(id), AccountId{}, 100, "REG-1"};
    p.card = card;
    p.pin_proof = PinProof(salt, card, pin);
    p.staff = "yamada";
    p.attempt = attempt;
    return One(p).result;
  };
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(charge("c1", "0000", 77), Result::kPinInvalid);  // One request, replayed.
  EXPECT_EQ(LookupCard(ledger_.state(), card)->failed_attempts, 1u);
  EXPECT_EQ(charge("c1", "0000", 78), Result::kPinInvalid);  // Another request: it counts.
  EXPECT_EQ(LookupCard(ledger_.state(), card)->failed_attempts, 2u);
  EXPECT_EQ(charge("c1", "4821", 79), Result::kOk);
  EXPECT_EQ(LookupCard(ledger_.state(), card)->failed_attempts, 0u);
  EXPECT_EQ(Balance(kBob), 400);
  const std::string from = keys::CardAttemptPrefix(card), to = from + "\xff";
  auto kept = [&] {
    int n = 0;
    ledger_.state().Scan(from, to, false,
                         [&](std::string_view, std::string_view) { return ++n, true; });
    return n;
  };
  EXPECT_EQ(kept(), 2);
  // Past twice the request window a replay is refused by the services' clock check, so the next
  // wrong attempt drops the old ones.
  ledger_.Advance(11 * 60);
  EXPECT_EQ(charge("c2", "1111", 80), Result::kPinInvalid);
  EXPECT_EQ(kept(), 1);
  // Three distinct wrong requests in a row still lock the card.
  EXPECT_EQ(charge("c2", "1111", 81), Result::kPinInvalid);
  EXPECT_EQ(charge("c2", "1111", 82), Result::kPinInvalid);
  EXPECT_EQ(charge("c2", "4821", 83), Result::kCardLocked);
  EXPECT_EQ(Balance(kBob), 400);
  // The city unlocks it (re-registering was a duplicate that kept the count): the attempts are
  // forgotten, the right PIN works again, and the unlock is in the resident's staff operations.
  EXPECT_EQ(One(RegisterCard{card, Id(kBob), salt, PinProof(salt, card, "4821"), 3}).duplicate,
            true);
  EXPECT_EQ(charge("c2", "4821", 84), Result::kCardLocked);
  EXPECT_EQ(One(UnlockCard{"6300000000000000", "desk"}).result, Result::kCardNotFound);
  EXPECT_EQ(One(UnlockCard{card, ""}).result, Result::kCardInvalid);
  ASSERT_EQ(One(UnlockCard{card, "sato (city hall)"}).result, Result::kOk);
  EXPECT_EQ(kept(), 0);
  EXPECT_EQ(charge("c2", "4821", 85), Result::kOk);
  EXPECT_EQ(Balance(kBob), 300);
  const std::vector<StaffOperation> ops = LookupStaffOperations(ledger_.state(), Id(kBob), 100);
  bool unlocked = false;
  for (const StaffOperation& op : ops)
    unlocked |= op.operation == "card unlocked by the city" && op.staff == "sato (city hall)";
  EXPECT_TRUE(unlocked);
  std::optional<Batch> batch = DecodeBatch(EncodeBatch(Batch{{UnlockCard{card, "sato"}}, {1}}));
  ASSERT_TRUE(batch.has_value());
  EXPECT_EQ(std::get<UnlockCard>(batch->commands[0]).by, "sato");
  EXPECT_EQ(testing::CheckInvariants(ledger_.state()), "");
}

// The city re-issues a card (a lost, stolen or locked one): the new card pays from the same wallet
// with its own PIN and starts unlocked; the old card is refused (card_replaced) before its PIN,
// deciding nothing and counting nothing. Before, a lost card could only be locked or unlocked,
// never replaced.
TEST_F(PosTest, TheCityReissuesACardToTheSameWallet) {
  const std::string salt(16, 's'), new_salt(16, 'n'), card = "6300123412341234",
                                                      new_card = "6300999988887777";
  ASSERT_EQ(One(RegisterCard{card, Id(kBob), salt, PinProof(salt, card, "4821"), 3}).result,
            Result::kOk);
  ASSERT_EQ(One(RegisterCard{"6300555555555555", Id(kAlice), salt,
                             PinProof(salt, "6300555555555555", "1111"), 3})
                .result,
            Result::kOk);
  uint64_t attempt = 100;
  auto charge = [&](const std::string& with, const std::string& id, const std::string& proof) {
    PosPayment p{Id(kShop), id, AccountId{}, 100, "REG-1"};
    p.card = with;
    p.pin_proof = proof;
    p.staff = "yamada";
    p.attempt = ++attempt;
    return One(p);
  };
  ASSERT_EQ(charge(card, "before", PinProof(salt, card, "4821")).result, Result::kOk);
  EXPECT_EQ(Balance(kBob), 400);
  // Three wrong PINs lock the old card; the re-issue's new card starts unlocked.
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(charge(card, "w", PinProof(salt, card, "0000")).result, Result::kPinInvalid);
  EXPECT_EQ(charge(card, "w", PinProof(salt, card, "4821")).result, Result::kCardLocked);
  std::string stored;
  ASSERT_TRUE(ledger_.state().Get(keys::Card(card), &stored));
  EXPECT_EQ(stored[0], 1);  // A card never re-issued keeps its record version.

  const std::string proof = PinProof(new_salt, new_card, "7350");
  auto reissue = [&](std::string old, std::string to, std::string by = "sato (city hall)") {
    return One(
        ReissueCard{std::move(old), to, new_salt, PinProof(new_salt, to, "7350"), std::move(by)});
  };
  EXPECT_EQ(reissue("6300000000000000", new_card).result, Result::kCardNotFound);
  EXPECT_EQ(reissue(card, new_card, "").result, Result::kCardInvalid);
  EXPECT_EQ(reissue(card, new_card, std::string(kStaffIdLengthMax + 1, 'x')).result,
            Result::kCardInvalid);
  EXPECT_EQ(reissue(card, "6300-9999").result, Result::kCardInvalid);
  EXPECT_EQ(One(ReissueCard{card, new_card, "short", proof, "sato"}).result, Result::kCardInvalid);
  EXPECT_EQ(reissue(card, "6300555555555555").result, Result::kCardExists);  // Alice's card.
  EXPECT_EQ(reissue(card, card).result, Result::kCardExists);
  ASSERT_FALSE(LookupCard(ledger_.state(), new_card).has_value());  // The refusals decided nothing.
  EXPECT_FALSE(LookupCard(ledger_.state(), card)->replaced());

  const Outcome reissued = reissue(card, new_card);
  ASSERT_EQ(reissued.result, Result::kOk);
  EXPECT_FALSE(reissued.duplicate);
  std::optional<CardRecord> old_record = LookupCard(ledger_.state(), card);
  ASSERT_TRUE(old_record.has_value());
  EXPECT_EQ(old_record->replaced_by, new_card);
  EXPECT_EQ(old_record->replaced_at, reissued.timestamp);
  EXPECT_EQ(old_record->failed_attempts, 3u);
  std::optional<CardRecord> new_record = LookupCard(ledger_.state(), new_card);
  ASSERT_TRUE(new_record.has_value());
  EXPECT_EQ(new_record->registration.wallet, Id(kBob));
  EXPECT_EQ(new_record->registration.attempts_max, 3u);
  EXPECT_EQ(new_record->failed_attempts, 0u);
  EXPECT_FALSE(new_record->replaced());
  // The same re-issue again (a retry, even with another PIN) is a duplicate; another new number is
  // not.
  const Outcome again =
      One(ReissueCard{card, new_card, salt, PinProof(salt, new_card, "0000"), "sato"});
  EXPECT_EQ(again.result, Result::kOk);
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(again.timestamp, reissued.timestamp);
  EXPECT_EQ(LookupCard(ledger_.state(), new_card)->registration.pin_proof, proof);
  EXPECT_EQ(reissue(card, "6300111111111111").result, Result::kCardReplaced);
  EXPECT_FALSE(LookupCard(ledger_.state(), "6300111111111111").has_value());

  // The new card, with the new PIN, pays from the same wallet.
  EXPECT_EQ(charge(new_card, "after-1", PinProof(new_salt, new_card, "4821")).result,
            Result::kPinInvalid);
  ASSERT_EQ(charge(new_card, "after-1", proof).result, Result::kOk);
  EXPECT_EQ(Balance(kBob), 300);
  EXPECT_EQ(LookupPayment(ledger_.state(), Id(kShop), "after-1")->request.payer, Id(kBob));
  // The old card is refused before its PIN: no payment id decided, no attempt counted, nothing
  // moved.
  const std::string from = keys::CardAttemptPrefix(card), to = from + "\xff";
  auto kept = [&] {
    int n = 0;
    ledger_.state().Scan(from, to, false,
                         [&](std::string_view, std::string_view) { return ++n, true; });
    return n;
  };
  EXPECT_EQ(kept(), 0);  // Forgotten at the re-issue.
  EXPECT_EQ(charge(card, "old-1", PinProof(salt, card, "4821")).result, Result::kCardReplaced);
  EXPECT_EQ(charge(card, "old-1", PinProof(salt, card, "0000")).result, Result::kCardReplaced);
  EXPECT_FALSE(LookupPayment(ledger_.state(), Id(kShop), "old-1").has_value());
  EXPECT_EQ(kept(), 0);
  EXPECT_EQ(LookupCard(ledger_.state(), card)->failed_attempts, 3u);
  EXPECT_EQ(Balance(kBob), 300);
  EXPECT_EQ(Balance(kShop), 200);
  // A payment decided before the re-issue, retried, keeps its original outcome.
  const Outcome retried = charge(card, "before", PinProof(salt, card, "4821"));
  EXPECT_EQ(retried.result, Result::kOk);
  EXPECT_TRUE(retried.duplicate);
  EXPECT_EQ(Balance(kBob), 300);
  // Nor can the old card be unlocked or registered again.
  EXPECT_EQ(One(UnlockCard{card, "sato"}).result, Result::kCardReplaced);
  EXPECT_EQ(One(RegisterCard{card, Id(kBob), salt, PinProof(salt, card, "4821"), 3}).result,
            Result::kCardReplaced);
  // The new card can be re-issued in its turn, to the same wallet.
  const std::string third = "6300222233334444";
  ASSERT_EQ(reissue(new_card, third).result, Result::kOk);
  EXPECT_EQ(charge(new_card, "after-2", proof).result, Result::kCardReplaced);
  ASSERT_EQ(charge(third, "after-2", PinProof(new_salt, third, "7350")).result, Result::kOk);
  EXPECT_EQ(Balance(kBob), 200);

  // The resident sees who re-issued her card, and the refused tries with the old one.
  int reissues = 0, refusals = 0;
  for (const StaffOperation& op : LookupStaffOperations(ledger_.state(), Id(kBob), 100)) {
    reissues += op.operation == "card re-issued by the city" && op.staff == "sato (city hall)";
    refusals += op.operation == "card replaced" && op.result == Result::kCardReplaced &&
                op.staff == "yamada";
  }
  EXPECT_EQ(reissues, 2);
  EXPECT_EQ(refusals, 3);
  std::optional<Batch> batch =
      DecodeBatch(EncodeBatch(Batch{{ReissueCard{card, new_card, new_salt, proof, "sato"}}, {1}}));
  ASSERT_TRUE(batch.has_value());
  const ReissueCard& decoded = std::get<ReissueCard>(batch->commands[0]);
  EXPECT_EQ(decoded.card, card);
  EXPECT_EQ(decoded.new_card, new_card);
  EXPECT_EQ(decoded.pin_salt, new_salt);
  EXPECT_EQ(decoded.pin_proof, proof);
  EXPECT_EQ(decoded.by, "sato");
  EXPECT_TRUE(VerifyJournal(ledger_.state()).ok);
  EXPECT_EQ(testing::CheckInvariants(ledger_.state()), "");
}

TEST_F(PosTest, FeeIsRoundedDownExactly) {
  EXPECT_EQ(FeeOf(10'000, 150), 150);
  EXPECT_EQ(FeeOf(999, 150), 14);  // 14.985 -> 14: rounded down, in the merchant's favour.
  EXPECT_EQ(FeeOf(1, 9999), 0);
  EXPECT_EQ(FeeOf(100'000'000'000'000, 9999),
            99'990'000'000'000);  // No overflow at the amount limit.
}

TEST_F(PosTest, FeeScheduleIsValidated) {
  EXPECT_EQ(One(PosFees{kCoin, Id(kIssuer), Id(kShop), 150, 100, 50}).result,
            Result::kFeeScheduleInvalid);
  EXPECT_EQ(One(PosFees{kCoin, Id(kAlice), Id(kFeeAccount), 150, 100, 50}).result,
            Result::kFeeScheduleInvalid);
  EXPECT_EQ(One(PosFees{kCoin, Id(kIssuer), Id(kFeeAccount), 10'000, 100, 50}).result,
            Result::kFeeScheduleInvalid);
  EXPECT_EQ(One(PosFees{7, Id(kIssuer), Id(kFeeAccount), 150, 100, 50}).result,
            Result::kAssetNotFound);
  EXPECT_EQ(One(PosCashOut{Id(kShop), "co-1", 100, false}).result, Result::kFeesNotSet);
}

TEST_F(PosTest, CashOutRetiresCoinAndTakesTheFee) {
  ASSERT_EQ(One(PosFees{kCoin, Id(kIssuer), Id(kFeeAccount), 150, 100, 50}).result, Result::kOk);
  ASSERT_EQ(One(Payment("sale", kAlice, 10'000)).result, Result::kOk);
  const int64_t issuer_before = Balance(kIssuer);
  const Outcome out = One(PosCashOut{Id(kShop), "co-1", 6'000, false});
  ASSERT_EQ(out.result, Result::kOk);
  EXPECT_EQ(Balance(kShop), 4'000);
  EXPECT_EQ(Balance(kFeeAccount), 90);                 // 1.5 % of 6,000.
  EXPECT_EQ(Balance(kIssuer), issuer_before + 5'910);  // Back to the issuer: out of circulation.
  ASSERT_EQ(ledger_.last().entry.system_events.size(), 1u);
  EXPECT_EQ(ledger_.last().entry.system_events[0].type, SystemEventType::kFee);
  EXPECT_EQ(ledger_.last().entry.system_events[0].amount, 90);
  // The member rate only for merchants the operator's register lists: asking for it otherwise is
  // refused and decides nothing (the id is still free).
  EXPECT_EQ(One(PosCashOut{Id(kShop), "co-2", 1'000, true}).result, Result::kNotAChamberMember);
  EXPECT_EQ(Balance(kShop), 4'000);
  EXPECT_EQ(One(SetMerchantProfile{Id(kAlice), true}).result, Result::kNotAMerchant);
  EXPECT_EQ(One(SetMerchantProfile{Id(99), true}).result, Result::kAccountNotFound);
  ASSERT_EQ(One(SetMerchantProfile{Id(kShop), true}).result, Result::kOk);
  // Chamber members pay the lower rate, asked for or not; the same id again is the same cash-out.
  EXPECT_EQ(One(PosCashOut{Id(kShop), "co-2", 1'000, true}).result, Result::kOk);
  EXPECT_EQ(Balance(kFeeAccount), 100);
  EXPECT_TRUE(One(PosCashOut{Id(kShop), "co-2", 1'000, true}).duplicate);
  EXPECT_TRUE(One(PosCashOut{Id(kShop), "co-2", 1'000, false}).duplicate);
  EXPECT_EQ(One(PosCashOut{Id(kShop), "co-2", 999, true}).result,
            Result::kExistsWithDifferentFields);
  // Membership ends: the normal rate again, and a past member-rate cash-out is still its duplicate.
  ASSERT_EQ(One(SetMerchantProfile{Id(kShop), false}).result, Result::kOk);
  EXPECT_TRUE(One(PosCashOut{Id(kShop), "co-2", 1'000, true}).duplicate);
  EXPECT_EQ(One(PosCashOut{Id(kShop), "co-5", 1'000, true}).result, Result::kNotAChamberMember);
  // More than the shop holds: nothing moves (not even the principal), and the id stays refused.
  EXPECT_EQ(One(PosCashOut{Id(kShop), "co-3", 3'001, false}).result, Result::kExceedsBalance);
  EXPECT_EQ(Balance(kShop), 3'000);
  EXPECT_EQ(One(PosCashOut{Id(kAlice), "co-4", 1, false}).result, Result::kNotAMerchant);
  EXPECT_EQ(testing::CheckInvariants(ledger_.state()), "");
}

TEST_F(PosTest, SupplierPaymentAddsTheB2BFeeForThePayer) {
  ASSERT_EQ(One(PosFees{kCoin, Id(kIssuer), Id(kFeeAccount), 150, 100, 50}).result, Result::kOk);
  ASSERT_EQ(One(Payment("sale", kAlice, 5'030)).result, Result::kOk);
  ASSERT_EQ(One(PosSupplierPayment{Id(kShop), "inv-7", Id(kOtherShop), 5'000}).result, Result::kOk);
  EXPECT_EQ(Balance(kShop), 5);  // 5,030 - 5,000 - 25.
  EXPECT_EQ(Balance(kOtherShop), 5'000);
  EXPECT_EQ(Balance(kFeeAccount), 25);  // 0.5 %.
  EXPECT_TRUE(One(PosSupplierPayment{Id(kShop), "inv-7", Id(kOtherShop), 5'000}).duplicate);
  // The payer could pay the supplier but not the fee on top: all or nothing.
  ASSERT_EQ(One(Payment("sale-2", kAlice, 1'000)).result, Result::kOk);
  EXPECT_EQ(One(PosSupplierPayment{Id(kShop), "inv-8", Id(kOtherShop), 1'001}).result,
            Result::kExceedsBalance);
  EXPECT_EQ(Balance(kShop), 1'005);
  EXPECT_EQ(Balance(kOtherShop), 5'000);
  EXPECT_EQ(One(PosSupplierPayment{Id(kShop), "inv-9", Id(kAlice), 10}).result,
            Result::kNotAMerchant);
  EXPECT_EQ(One(PosSupplierPayment{Id(kShop), "inv-10", Id(77), 10}).result,
            Result::kCreditAccountNotFound);
  EXPECT_EQ(One(PosSupplierPayment{Id(kShop), "inv-9", Id(77), 10}).result,
            Result::kExistsWithDifferentFields);
  EXPECT_EQ(testing::CheckInvariants(ledger_.state()), "");
}

// A wallet's key pair and codes, made here with libsodium and the core's byte layout
// (ledger/core/cpm.h), so that the core's tests depend on nothing above the core.
struct KeyPair {
  std::string public_key;  // 32 bytes.
  std::string secret_key;  // 64 bytes.
};

KeyPair GenerateKeyPair() {
  if (sodium_init() < 0) std::abort();
  unsigned char public_key[crypto_sign_PUBLICKEYBYTES];
  unsigned char secret_key[crypto_sign_SECRETKEYBYTES];
  crypto_sign_keypair(public_key, secret_key);
  return {std::string(reinterpret_cast<char*>(public_key), sizeof public_key),
          std::string(reinterpret_cast<char*>(secret_key), sizeof secret_key)};
}

std::string IssueCpm(const KeyPair& keys, std::string account, uint64_t nonce,
                     uint64_t issued_at_ms, uint32_t ttl_seconds) {
  CpmCode code;
  code.account = std::move(account);
  code.nonce = nonce;
  code.issued_at_ms = issued_at_ms;
  code.ttl_seconds = ttl_seconds;
  const std::string message = CpmSignedBytes(code);
  unsigned char signature[crypto_sign_BYTES];
  crypto_sign_detached(signature, nullptr, reinterpret_cast<const unsigned char*>(message.data()),
                       message.size(),
                       reinterpret_cast<const unsigned char*>(keys.secret_key.data()));
  code.signature = std::string(reinterpret_cast<char*>(signature), sizeof signature);
  return EncodeCpm(code);
}

class CpmPaymentTest : public PosTest {
 protected:
  void SetUp() override {
    PosTest::SetUp();
    keys_ = GenerateKeyPair();
    ASSERT_EQ(One(RegisterKey{Id(kAlice), "", keys_.public_key}).result, Result::kOk);
  }
  // A code issued now on the ledger's clock (the wallet's clock agrees within the allowed skew).
  std::string Code(uint64_t nonce, int64_t issued_offset_ms = 0, uint32_t ttl = 60) {
    const uint64_t now_ms = ledger_.now() / 1'000'000;
    return IssueCpm(keys_, Id(kAlice).ToBytes(), nonce, now_ms + issued_offset_ms, ttl);
  }
  PosPayment ByCode(std::string id, std::string code, int64_t amount = 500) {
    return PosPayment{Id(kShop), std::move(id), AccountId{}, amount, "REG-1", std::move(code)};
  }
  KeyPair keys_;
};

TEST_F(CpmPaymentTest, KeysAreRegisteredOnce) {
  EXPECT_TRUE(One(RegisterKey{Id(kAlice), "", keys_.public_key}).duplicate);
  EXPECT_EQ(One(RegisterKey{Id(kAlice), "", GenerateKeyPair().public_key}).result,
            Result::kExistsWithDifferentFields);
  EXPECT_EQ(One(RegisterKey{Id(kAlice), "", "short"}).result, Result::kPublicKeyInvalid);
  EXPECT_EQ(One(RegisterKey{Id(kShop), "", keys_.public_key}).result,
            Result::kKindInvalid);  // Not a wallet.
  EXPECT_EQ(One(RegisterKey{Id(kShop), "REG-1", keys_.public_key}).result,
            Result::kOk);  // A terminal.
  EXPECT_EQ(One(RegisterKey{Id(99), "", keys_.public_key}).result, Result::kAccountNotFound);
}

// A lost phone: the city revokes the wallet's key. Its codes stop paying at once, even ones issued
// before; the key cannot come back; a new key for the same wallet works (rotation).
TEST_F(CpmPaymentTest, RevokedWalletKeyStopsItsCodesAndIsRotated) {
  const std::string issued_before = Code(1);
  const Outcome revoked = One(RevokeKey{Id(kAlice), ""});
  ASSERT_EQ(revoked.result, Result::kOk);
  EXPECT_FALSE(revoked.duplicate);
  const Outcome again = One(RevokeKey{Id(kAlice), ""});
  EXPECT_EQ(again.result, Result::kOk);
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(again.timestamp, revoked.timestamp);
  // The record keeps the key and the time of the revocation.
  std::optional<KeyRecord> record = LookupKey(ledger_.state(), Id(kAlice), "");
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->public_key, keys_.public_key);
  EXPECT_EQ(record->state, KeyState::kRevoked);
  EXPECT_EQ(record->revoked_at, revoked.timestamp);
  EXPECT_LT(record->registered_at, revoked.timestamp);
  // Codes signed by it: refused with the reason, and nothing moves (a refused payment stays
  // refused).
  EXPECT_EQ(One(ByCode("after-revoke", issued_before)).result, Result::kKeyRevoked);
  EXPECT_EQ(One(ByCode("after-revoke-2", Code(2))).result, Result::kKeyRevoked);
  EXPECT_EQ(Balance(kAlice), 10'000);
  EXPECT_EQ(LookupPayment(ledger_.state(), Id(kShop), "after-revoke")->result, Result::kKeyRevoked);
  // The revoked key itself cannot be registered again; a new one can, and its codes pay.
  EXPECT_EQ(One(RegisterKey{Id(kAlice), "", keys_.public_key}).result, Result::kKeyRevoked);
  const KeyPair old_keys = keys_;
  keys_ = GenerateKeyPair();
  const Outcome rotated = One(RegisterKey{Id(kAlice), "", keys_.public_key});
  ASSERT_EQ(rotated.result, Result::kOk);
  EXPECT_FALSE(rotated.duplicate);
  record = LookupKey(ledger_.state(), Id(kAlice), "");
  ASSERT_TRUE(record.has_value());
  EXPECT_TRUE(record->active());
  EXPECT_EQ(record->public_key, keys_.public_key);
  EXPECT_EQ(record->registered_at, rotated.timestamp);
  EXPECT_EQ(record->revoked_at, 0u);
  EXPECT_EQ(One(ByCode("after-rotation", Code(3))).result, Result::kOk);
  EXPECT_EQ(Balance(kAlice), 9'500);
  EXPECT_EQ(One(ByCode("old-code", issued_before)).result, Result::kSignatureInvalid);
  // Revoke the new key too: the first key still cannot come back, under any key id.
  ASSERT_EQ(One(RevokeKey{Id(kAlice), ""}).result, Result::kOk);
  EXPECT_EQ(One(RegisterKey{Id(kAlice), "", old_keys.public_key}).result, Result::kKeyRevoked);
  EXPECT_EQ(One(RegisterKey{Id(kAlice), "", keys_.public_key}).result, Result::kKeyRevoked);
  EXPECT_EQ(One(RegisterKey{Id(kAlice), "", GenerateKeyPair().public_key}).result, Result::kOk);
  // The revocation register keeps the audit of each revoked key.
  std::string bytes;
  ASSERT_TRUE(ledger_.state().Get(keys::RevokedKey(Id(kAlice), old_keys.public_key), &bytes));
  std::optional<RevokedKey> audit = DecodeRevokedKey(bytes);
  ASSERT_TRUE(audit.has_value());
  EXPECT_EQ(audit->key_id, "");
  EXPECT_EQ(audit->revoked_at, revoked.timestamp);
  EXPECT_EQ(testing::CheckInvariants(ledger_.state()), "");
}

TEST_F(CpmPaymentTest, RevokingUnknownKeys) {
  EXPECT_EQ(One(RevokeKey{Id(kBob), ""}).result, Result::kKeyNotRegistered);
  EXPECT_EQ(One(RevokeKey{Id(kShop), "REG-9"}).result, Result::kKeyNotRegistered);
  EXPECT_EQ(One(RevokeKey{Id(99), ""}).result, Result::kAccountNotFound);
  // A code of a wallet whose key was never registered is still key_not_registered.
  const std::string bobs = IssueCpm(keys_, Id(kBob).ToBytes(), 1, ledger_.now() / 1'000'000, 60);
  EXPECT_EQ(One(ByCode("bob", bobs)).result, Result::kKeyNotRegistered);
  // Revoking a terminal leaves the shop's other terminals and the wallets alone.
  ASSERT_EQ(One(RegisterKey{Id(kShop), "REG-1", GenerateKeyPair().public_key}).result, Result::kOk);
  ASSERT_EQ(One(RegisterKey{Id(kShop), "REG-2", GenerateKeyPair().public_key}).result, Result::kOk);
  ASSERT_EQ(One(RevokeKey{Id(kShop), "REG-1"}).result, Result::kOk);
  EXPECT_TRUE(LookupKey(ledger_.state(), Id(kShop), "REG-2")->active());
  EXPECT_TRUE(LookupKey(ledger_.state(), Id(kAlice), "")->active());
  EXPECT_EQ(One(ByCode("still-paying", Code(4))).result, Result::kOk);
}

// Keys written before keys could be revoked (version-1 records) read as active ordinary keys.
TEST_F(CpmPaymentTest, VersionOneKeyRecordsStillWork) {
  const KeyPair bob = GenerateKeyPair();
  std::string v1(1, '\x01');
  v1 += bob.public_key;
  const Timestamp registered = ledger_.now() - 5 * kSecond;
  for (int i = 0; i < 8; ++i) v1.push_back(static_cast<char>(registered >> (8 * i)));
  WriteSet writes;
  writes.entries.emplace_back(keys::Key(Id(kBob), ""), v1);
  ledger_.mutable_state().Apply(writes);
  std::optional<KeyRecord> record = DecodeKeyRecord(v1);
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->public_key, bob.public_key);
  EXPECT_EQ(record->registered_at, registered);
  EXPECT_TRUE(record->active());
  EXPECT_EQ(record->role, KeyRole::kOrdinary);
  EXPECT_EQ(DecodeKeyRecord(v1.substr(0, v1.size() - 1)), std::nullopt);
  EXPECT_EQ(DecodeKeyRecord(std::string(1, '\x03') + v1.substr(1)), std::nullopt);
  // It verifies codes, registering it again is a duplicate, and it can be revoked.
  const std::string code = IssueCpm(bob, Id(kBob).ToBytes(), 1, ledger_.now() / 1'000'000, 60);
  EXPECT_EQ(One(ByCode("bob-1", code, 100)).result, Result::kOk);
  const Outcome duplicate = One(RegisterKey{Id(kBob), "", bob.public_key});
  EXPECT_TRUE(duplicate.duplicate);
  EXPECT_EQ(duplicate.timestamp, registered);
  ASSERT_EQ(One(RevokeKey{Id(kBob), ""}).result, Result::kOk);
  record = LookupKey(ledger_.state(), Id(kBob), "");
  ASSERT_TRUE(record.has_value());
  EXPECT_FALSE(record->active());
  EXPECT_EQ(record->registered_at, registered);
  const std::string later = IssueCpm(bob, Id(kBob).ToBytes(), 2, ledger_.now() / 1'000'000, 60);
  EXPECT_EQ(One(ByCode("bob-2", later, 100)).result, Result::kKeyRevoked);
}

// Manager terminals: registered by the operator, they add ordinary terminals of their own merchant
// and revoke its terminals; nobody else's, and ordinary terminals can do neither.
TEST_F(CpmPaymentTest, ManagerTerminalsManageTheirOwnShopOnly) {
  const KeyPair manager = GenerateKeyPair();
  const std::string reg2 = GenerateKeyPair().public_key;
  auto by = [](uint64_t account, std::string key_id, std::string key, std::string terminal) {
    RegisterKey k{Id(account), std::move(key_id), std::move(key)};
    k.by_terminal = std::move(terminal);
    return k;
  };
  RegisterKey as_manager{Id(kShop), "REG-1", manager.public_key, /*manager=*/true};
  ASSERT_EQ(One(as_manager).result, Result::kOk);
  EXPECT_TRUE(One(as_manager).duplicate);
  EXPECT_EQ(LookupKey(ledger_.state(), Id(kShop), "REG-1")->role, KeyRole::kManager);
  // Wallets cannot be managers; the same key as ordinary is another registration.
  EXPECT_EQ(One(RegisterKey{Id(kBob), "", manager.public_key, true}).result, Result::kKindInvalid);
  EXPECT_EQ(One(RegisterKey{Id(kShop), "REG-1", manager.public_key}).result,
            Result::kExistsWithDifferentFields);
  // The manager adds REG-2: an ordinary terminal. A retry is a duplicate.
  const Outcome added = One(by(kShop, "REG-2", reg2, "REG-1"));
  ASSERT_EQ(added.result, Result::kOk);
  EXPECT_TRUE(One(by(kShop, "REG-2", reg2, "REG-1")).duplicate);
  std::optional<KeyRecord> record = LookupKey(ledger_.state(), Id(kShop), "REG-2");
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->role, KeyRole::kOrdinary);
  EXPECT_EQ(record->registered_at, added.timestamp);
  // A terminal cannot make managers.
  RegisterKey promote = by(kShop, "REG-3", GenerateKeyPair().public_key, "REG-1");
  promote.manager = true;
  EXPECT_EQ(One(promote).result, Result::kKindInvalid);
  // REG-2 is ordinary: it can neither add nor revoke; unknown terminals neither.
  const std::string reg3 = GenerateKeyPair().public_key;
  EXPECT_EQ(One(by(kShop, "REG-3", reg3, "REG-2")).result, Result::kNotAManager);
  EXPECT_EQ(One(RevokeKey{Id(kShop), "REG-1", "REG-2"}).result, Result::kNotAManager);
  EXPECT_EQ(One(by(kShop, "REG-3", reg3, "REG-9")).result, Result::kNotAManager);
  EXPECT_EQ(LookupKey(ledger_.state(), Id(kShop), "REG-3"), std::nullopt);
  EXPECT_TRUE(LookupKey(ledger_.state(), Id(kShop), "REG-1")->active());
  // Another merchant's terminals and wallet keys are out of reach: REG-1 manages kShop only.
  ASSERT_EQ(One(RegisterKey{Id(kOtherShop), "REG-7", reg3}).result, Result::kOk);
  EXPECT_EQ(One(by(kOtherShop, "REG-8", reg3, "REG-1")).result, Result::kNotAManager);
  EXPECT_EQ(One(RevokeKey{Id(kOtherShop), "REG-7", "REG-1"}).result, Result::kNotAManager);
  EXPECT_EQ(One(RevokeKey{Id(kAlice), "", "REG-1"}).result, Result::kNotAManager);
  EXPECT_TRUE(LookupKey(ledger_.state(), Id(kOtherShop), "REG-7")->active());
  EXPECT_TRUE(LookupKey(ledger_.state(), Id(kAlice), "")->active());
  // The manager revokes REG-2 (twice is a duplicate) and rotates it; REG-2's old key stays out.
  const Outcome revoked = One(RevokeKey{Id(kShop), "REG-2", "REG-1"});
  ASSERT_EQ(revoked.result, Result::kOk);
  const Outcome twice = One(RevokeKey{Id(kShop), "REG-2", "REG-1"});
  EXPECT_TRUE(twice.duplicate);
  EXPECT_EQ(twice.timestamp, revoked.timestamp);
  EXPECT_EQ(One(RevokeKey{Id(kShop), "REG-5", "REG-1"}).result, Result::kKeyNotRegistered);
  EXPECT_EQ(One(by(kShop, "REG-2", reg2, "REG-1")).result, Result::kKeyRevoked);
  EXPECT_EQ(One(by(kShop, "REG-4", reg2, "REG-1")).result,
            Result::kKeyRevoked);  // Nor under another id.
  EXPECT_EQ(One(by(kShop, "REG-2", reg3, "REG-1")).result, Result::kOk);
  // Once the city revokes the manager, it manages nothing.
  ASSERT_EQ(One(RevokeKey{Id(kShop), "REG-1"}).result, Result::kOk);
  EXPECT_EQ(One(by(kShop, "REG-6", GenerateKeyPair().public_key, "REG-1")).result,
            Result::kNotAManager);
  EXPECT_EQ(One(RevokeKey{Id(kShop), "REG-2", "REG-1"}).result, Result::kNotAManager);
  EXPECT_TRUE(LookupKey(ledger_.state(), Id(kShop), "REG-2")->active());
}

// The new commands travel in the replicated log and the journal and decode to what was applied.
TEST_F(CpmPaymentTest, JournalCarriesKeyCommands) {
  RegisterKey manager{Id(kShop), "REG-1", GenerateKeyPair().public_key, true};
  RegisterKey added{Id(kShop), "REG-2", GenerateKeyPair().public_key};
  added.by_terminal = "REG-1";
  RegisterKey plain{Id(kBob), "", GenerateKeyPair().public_key};
  std::vector<Command> commands{manager, added, RevokeKey{Id(kShop), "REG-2", "REG-1"},
                                RevokeKey{Id(kAlice), ""}, plain};
  Batch batch;
  batch.commands = commands;
  batch.request_sizes = {static_cast<uint32_t>(commands.size())};
  std::optional<Batch> replicated = DecodeBatch(EncodeBatch(batch));
  ASSERT_TRUE(replicated.has_value());
  for (const Outcome& outcome : ledger_.Apply(commands)) EXPECT_EQ(outcome.result, Result::kOk);
  std::optional<JournalEntry> entry = DecodeJournalEntry(ledger_.last().entry_bytes);
  ASSERT_TRUE(entry.has_value());
  EXPECT_EQ(EncodeJournalEntry(*entry), ledger_.last().entry_bytes);
  for (const std::vector<Command>* decoded : {&replicated->commands, &entry->commands}) {
    ASSERT_EQ(decoded->size(), commands.size());
    for (size_t i = 0; i < commands.size(); ++i) {
      if (const auto* want = std::get_if<RegisterKey>(&commands[i])) {
        const RegisterKey& got = std::get<RegisterKey>((*decoded)[i]);
        EXPECT_EQ(got.account, want->account);
        EXPECT_EQ(got.key_id, want->key_id);
        EXPECT_EQ(got.public_key, want->public_key);
        EXPECT_EQ(got.manager, want->manager);
        EXPECT_EQ(got.by_terminal, want->by_terminal);
      } else {
        const RevokeKey& want_revoke = std::get<RevokeKey>(commands[i]);
        const RevokeKey& got = std::get<RevokeKey>((*decoded)[i]);
        EXPECT_EQ(got.account, want_revoke.account);
        EXPECT_EQ(got.key_id, want_revoke.key_id);
        EXPECT_EQ(got.by_terminal, want_revoke.by_terminal);
      }
    }
  }
  EXPECT_TRUE(VerifyJournal(ledger_.state()).ok);
}

TEST_F(CpmPaymentTest, CodePaysOnceWithinItsLifetime) {
  const std::string code = Code(1);
  const Outcome paid = One(ByCode("cpm-1", code));
  ASSERT_EQ(paid.result, Result::kOk);
  EXPECT_EQ(Balance(kAlice), 9'500);
  EXPECT_EQ(LookupPayment(ledger_.state(), Id(kShop), "cpm-1")->request.payer, Id(kAlice));
  // The terminal retries the same request (lost reply): the original outcome.
  const Outcome retried = One(ByCode("cpm-1", code));
  EXPECT_TRUE(retried.duplicate) << ResultName(retried.result);
  // The same code for another payment: replayed.
  EXPECT_EQ(One(ByCode("cpm-2", code)).result, Result::kCpmReplayed);
  // Refunds go back to the payer the code named.
  EXPECT_EQ(One(Refund("cpm-1", "r", 500)).result, Result::kOk);
  EXPECT_EQ(Balance(kAlice), 10'000);
}

// A code's nonce is kept until the code expires (issued_at + ttl), when the terminal's request
// carries its timestamp: from then on the code itself is refused (cpm_expired), so forgetting its
// nonce reopens nothing.
TEST_F(CpmPaymentTest, CodeNonceIsForgottenOnceTheCodeHasExpired) {
  auto count_nonces = [&] {
    size_t n = 0;
    ledger_.state().Scan(std::string(1, keys::kNonce), std::string(1, keys::kNonce + 1), false,
                         [&](std::string_view, std::string_view) { return ++n, true; });
    return n;
  };
  const std::string code = Code(1, 0, 60);
  PosPayment paid = ByCode("cpm-1", code);
  paid.request_ms = ledger_.now() / 1'000'000;
  ASSERT_EQ(One(paid).result, Result::kOk);
  EXPECT_EQ(count_nonces(), 1u);
  PosPayment again = ByCode("cpm-2", code);
  again.request_ms = ledger_.now() / 1'000'000;
  EXPECT_EQ(One(again).result, Result::kCpmReplayed);
  ledger_.Advance(60);
  PosPayment late = ByCode("cpm-4", code);  // cpm-2 is decided (cpm_replayed): its retries say so.
  late.request_ms = ledger_.now() / 1'000'000;
  EXPECT_EQ(One(late).result, Result::kCpmExpired);
  EXPECT_EQ(count_nonces(), 0u);
  EXPECT_EQ(Balance(kAlice), 9'500);
  // A payment without its request's timestamp (older entries) keeps the code's nonce for ever.
  ASSERT_EQ(One(ByCode("cpm-3", Code(2, 0, 60))).result, Result::kOk);
  ledger_.Advance(3600);
  ASSERT_EQ(One(Refund("cpm-1", "r", 500)).result, Result::kOk);
  EXPECT_EQ(count_nonces(), 1u);
  EXPECT_EQ(testing::CheckInvariants(ledger_.state()), "");
}

TEST_F(CpmPaymentTest, BadCodesAreRefusedWithTheReason) {
  EXPECT_EQ(One(ByCode("a", "LC1NOTACODE")).result, Result::kCpmInvalid);
  const std::string expired = Code(2, -61'000);
  EXPECT_EQ(One(ByCode("b", expired)).result, Result::kCpmExpired);
  EXPECT_EQ(One(ByCode("c", Code(3, 31'000))).result, Result::kCpmNotYetValid);
  // Someone else's key, or an altered code.
  const KeyPair mallory = GenerateKeyPair();
  const std::string forged =
      IssueCpm(mallory, Id(kAlice).ToBytes(), 4, ledger_.now() / 1'000'000, 60);
  EXPECT_EQ(One(ByCode("d", forged)).result, Result::kSignatureInvalid);
  // A code of a wallet without a registered key.
  const std::string bobs = IssueCpm(mallory, Id(kBob).ToBytes(), 5, ledger_.now() / 1'000'000, 60);
  EXPECT_EQ(One(ByCode("e", bobs)).result, Result::kKeyNotRegistered);
  // The code names Alice, the request says Bob.
  PosPayment mismatch = ByCode("f", Code(6));
  mismatch.payer = Id(kBob);
  EXPECT_EQ(One(mismatch).result, Result::kPayerMismatch);
  EXPECT_EQ(Balance(kAlice), 10'000);
  // A valid code with too little money: refused, and the code is spent.
  const std::string code = Code(7);
  EXPECT_EQ(One(ByCode("g", code, 20'000)).result, Result::kExceedsBalance);
  EXPECT_EQ(One(ByCode("h", code, 100)).result, Result::kCpmReplayed);
}

TEST_F(CpmPaymentTest, BadAmountsDecideNothing) {
  // Refused before the code or the id is used: the corrected charge goes through with both.
  const std::string code = Code(8);
  EXPECT_EQ(One(ByCode("i", code, 0)).result, Result::kAmountMustBePositive);
  EXPECT_EQ(One(ByCode("i", code, -1)).result, Result::kAmountMustBePositive);
  EXPECT_EQ(One(ByCode("i", code, kAmountMax + 1)).result, Result::kAmountExceedsLimit);
  EXPECT_EQ(LookupPayment(ledger_.state(), Id(kShop), "i"), std::nullopt);
  const Outcome paid = One(ByCode("i", code, 100));
  EXPECT_EQ(paid.result, Result::kOk);
  EXPECT_FALSE(paid.duplicate);
}

// A shop that also takes health points: the profile names its points MERCHANT account (pos.h).
class AcceptedAssetsTest : public PosTest {
 protected:
  static constexpr AssetId kPoints = 2;
  static constexpr uint64_t kPointsIssuer = 40, kAlicePoints = 41, kShopPoints = 42,
                            kOtherShopPoints = 43;
  void SetUp() override {
    PosTest::SetUp();
    ledger_.Apply({testing::MakeAsset(kPoints, "PT", 0, 901)});
    ledger_.Apply({testing::MakeAccount(kPointsIssuer, kPoints, AccountKind::kIssuer),
                   testing::MakeAccount(kAlicePoints, kPoints, AccountKind::kWallet,
                                        account_flags::kNonNegative),
                   testing::MakeAccount(kShopPoints, kPoints, AccountKind::kMerchant,
                                        account_flags::kNonNegative),
                   testing::MakeAccount(kOtherShopPoints, kPoints, AccountKind::kMerchant)});
    ledger_.Apply({testing::MakeTransfer(50, kPointsIssuer, kAlicePoints, 1'000)});
  }
};

TEST_F(AcceptedAssetsTest, PaymentsInAnAcceptedAssetGoToThatAccount) {
  // Not accepted yet: refused, nothing decided (the same id works once the shop accepts points).
  EXPECT_EQ(One(Payment("pt-1", kAlicePoints, 300)).result, Result::kAssetNotAccepted);
  EXPECT_EQ(LookupPayment(ledger_.state(), Id(kShop), "pt-1"), std::nullopt);
  ASSERT_EQ(One(SetMerchantProfile{Id(kShop), false, {Id(kShopPoints)}}).result, Result::kOk);
  ASSERT_EQ(One(Payment("pt-1", kAlicePoints, 300)).result, Result::kOk);
  EXPECT_EQ(Balance(kAlicePoints), 700);
  EXPECT_EQ(Balance(kShopPoints), 300);
  EXPECT_EQ(Balance(kShop), 0);
  EXPECT_EQ(LookupPayment(ledger_.state(), Id(kShop), "pt-1")->asset, kPoints);
  // Coin still goes to the coin account, under the same id space.
  ASSERT_EQ(One(Payment("c-1", kAlice, 500)).result, Result::kOk);
  EXPECT_EQ(Balance(kShop), 500);
  EXPECT_EQ(One(Payment("pt-1", kAlice, 300)).result, Result::kExistsWithDifferentFields);
  // Refunds and cancels come back out of the account the payment went to.
  ASSERT_EQ(One(Refund("pt-1", "pt-1-r", 100)).result, Result::kOk);
  EXPECT_EQ(Balance(kShopPoints), 200);
  EXPECT_EQ(Balance(kAlicePoints), 800);
  ASSERT_EQ(One(Payment("pt-2", kAlicePoints, 50)).result, Result::kOk);
  ASSERT_EQ(One(PosCancel{Id(kShop), "pt-2"}).result, Result::kOk);
  EXPECT_EQ(Balance(kShopPoints), 200);
  EXPECT_EQ(Balance(kShop), 500);
  // The day's close freezes each asset's report: the shop's own, and its points account's.
  ASSERT_EQ(One(PosCloseDay{Id(kShop), 20260101}).result, Result::kOk);
  EXPECT_EQ(LookupDayReport(ledger_.state(), Id(kShop), 20260101)->total,
            (DayTotals{1, 500, 0, 0, 0}));
  std::optional<DayReport> points = LookupDayReport(ledger_.state(), Id(kShopPoints), 20260101);
  ASSERT_TRUE(points.has_value());
  EXPECT_EQ(points->asset, kPoints);
  EXPECT_EQ(points->total, (DayTotals{2, 350, 1, 50, 100}));
  // After the close, a points payment is booked on the next open day, like a coin one.
  ASSERT_EQ(One(Payment("pt-3", kAlicePoints, 10)).result, Result::kOk);
  EXPECT_EQ(LookupPayment(ledger_.state(), Id(kShop), "pt-3")->business_day, 20260102u);
  EXPECT_EQ(DayRunningTotals(ledger_.state(), Id(kShopPoints), 20260102).total.gross, 10);
  EXPECT_EQ(testing::CheckInvariants(ledger_.state()), "");
}

TEST_F(AcceptedAssetsTest, ProfileRefusals) {
  EXPECT_EQ(One(SetMerchantProfile{Id(kShop), false, {Id(kOtherShop)}}).result,
            Result::kProfileInvalid);  // Own asset.
  EXPECT_EQ(
      One(SetMerchantProfile{Id(kShop), false, {Id(kShopPoints), Id(kOtherShopPoints)}}).result,
      Result::kProfileInvalid);  // Two of one asset.
  EXPECT_EQ(One(SetMerchantProfile{Id(kShop), false, {Id(kAlicePoints)}}).result,
            Result::kNotAMerchant);
  EXPECT_EQ(One(SetMerchantProfile{Id(kShop), false, {Id(99)}}).result, Result::kAccountNotFound);
  EXPECT_EQ(
      One(SetMerchantProfile{Id(kShop), false,
                             std::vector<AccountId>(kProfileAccountsMax + 1, Id(kShopPoints))})
          .result,
      Result::kProfileInvalid);
  // A customer code of a points wallet at a shop that takes no points: refused, and the code
  // unburnt.
  const KeyPair keys = GenerateKeyPair();
  ASSERT_EQ(One(RegisterKey{Id(kAlicePoints), "", keys.public_key}).result, Result::kOk);
  const std::string code =
      IssueCpm(keys, Id(kAlicePoints).ToBytes(), 1, ledger_.now() / 1'000'000, 60);
  PosPayment by_code{Id(kShop), "pt-9", AccountId{}, 100, "REG-1", code};
  EXPECT_EQ(One(by_code).result, Result::kAssetNotAccepted);
  ASSERT_EQ(One(SetMerchantProfile{Id(kShop), true, {Id(kShopPoints)}}).result, Result::kOk);
  EXPECT_EQ(One(by_code).result, Result::kOk);
  EXPECT_EQ(Balance(kShopPoints), 100);
  // A registered code is for the shop's own asset: a points wallet paying it is a mismatch.
  ASSERT_EQ(One(PosMpmOrder{Id(kShop), "mpm-p", 100, "REG-1", 60}).result, Result::kOk);
  PosPayment points_pay{Id(kShop), "mpm-p", Id(kAlicePoints), 100, "REG-1"};
  points_pay.wallet_nonce = 5;
  EXPECT_EQ(One(points_pay).result, Result::kMpmOrderMismatch);
  EXPECT_EQ(Balance(kShopPoints), 100);
}

// Dynamic merchant-presented codes: registered by the terminal, paid by a wallet for exactly the
// amount, before the expiry (pos.h).
class MpmOrderTest : public PosTest {
 protected:
  static PosMpmOrder Order(std::string id, int64_t amount, uint32_t lifetime = 300) {
    return PosMpmOrder{Id(kShop), std::move(id), amount, "REG-1", lifetime};
  }
  // Alice's wallet pays what the scanned payload says (terminal label as shown, possibly empty).
  static PosPayment WalletPays(std::string id, int64_t amount, uint64_t nonce,
                               std::string terminal = "REG-1") {
    PosPayment p{Id(kShop), std::move(id), Id(kAlice), amount, std::move(terminal)};
    p.wallet_nonce = nonce;
    return p;
  }
};

TEST_F(MpmOrderTest, RegisteredCodeIsPaidOnceForExactlyItsAmount) {
  const Outcome registered = One(Order("mpm-1", 800));
  ASSERT_EQ(registered.result, Result::kOk);
  EXPECT_TRUE(One(Order("mpm-1", 800)).duplicate);
  EXPECT_EQ(One(Order("mpm-1", 900)).result, Result::kExistsWithDifferentFields);
  // Less, more, another terminal, or a terminal's own charge: refused, nothing decided or spent.
  EXPECT_EQ(One(WalletPays("mpm-1", 1, 1)).result, Result::kMpmOrderMismatch);
  EXPECT_EQ(One(WalletPays("mpm-1", 801, 1)).result, Result::kMpmOrderMismatch);
  EXPECT_EQ(One(WalletPays("mpm-1", 800, 1, "REG-2")).result, Result::kMpmOrderMismatch);
  EXPECT_EQ(One(Payment("mpm-1", kAlice, 800)).result, Result::kMpmOrderMismatch);
  EXPECT_EQ(LookupPayment(ledger_.state(), Id(kShop), "mpm-1"), std::nullopt);
  EXPECT_EQ(Balance(kAlice), 10'000);
  // The right amount, with nonce 1 still unspent; the terminal comes from the registration when the
  // payload carried no label.
  const Outcome paid = One(WalletPays("mpm-1", 800, 1, ""));
  ASSERT_EQ(paid.result, Result::kOk);
  EXPECT_EQ(Balance(kAlice), 9'200);
  std::optional<PaymentRecord> record = LookupPayment(ledger_.state(), Id(kShop), "mpm-1");
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->request.terminal, "REG-1");
  EXPECT_TRUE(One(WalletPays("mpm-1", 800, 2, "")).duplicate);
  EXPECT_TRUE(One(WalletPays("mpm-1", 800, 3, "REG-1")).duplicate);
  EXPECT_EQ(Balance(kAlice), 9'200);
  // A wallet of another asset cannot pay a registered code, even where the shop takes that asset.
  ASSERT_EQ(One(Order("mpm-c", 5)).result, Result::kOk);
  PosPayment bob_pays = WalletPays("mpm-c", 5, 9);
  bob_pays.payer = Id(99);  // No such wallet.
  EXPECT_EQ(One(bob_pays).result, Result::kMpmOrderMismatch);
  // A used payment id cannot be registered as a code.
  ASSERT_EQ(One(Payment("sale", kAlice, 10)).result, Result::kOk);
  EXPECT_EQ(One(Order("sale", 10)).result, Result::kExistsWithDifferentFields);
  EXPECT_EQ(testing::CheckInvariants(ledger_.state()), "");
}

TEST_F(MpmOrderTest, JournalCarriesRegistrationsAndProfiles) {
  ASSERT_EQ(One(Order("mpm-j", 123, 45)).result, Result::kOk);
  std::optional<JournalEntry> entry = DecodeJournalEntry(ledger_.last().entry_bytes);
  ASSERT_TRUE(entry.has_value());
  ASSERT_EQ(entry->commands.size(), 1u);
  EXPECT_TRUE(std::get<PosMpmOrder>(entry->commands[0]).SameRequest(Order("mpm-j", 123, 45)));
  ASSERT_EQ(One(SetMerchantProfile{Id(kShop), true}).result, Result::kOk);
  entry = DecodeJournalEntry(ledger_.last().entry_bytes);
  ASSERT_TRUE(entry.has_value());
  EXPECT_EQ(std::get<SetMerchantProfile>(entry->commands[0]).merchant, Id(kShop));
  EXPECT_TRUE(std::get<SetMerchantProfile>(entry->commands[0]).chamber_member);
  EXPECT_TRUE(VerifyJournal(ledger_.state()).ok);
}

TEST_F(MpmOrderTest, CodeExpiresOnTheLedgersClock) {
  ASSERT_EQ(One(Order("mpm-2", 100, 60)).result, Result::kOk);
  ledger_.Advance(60);
  EXPECT_EQ(One(WalletPays("mpm-2", 100, 1)).result, Result::kMpmOrderExpired);
  EXPECT_EQ(Balance(kAlice), 10'000);
  ASSERT_EQ(One(Order("mpm-3", 100, 60)).result, Result::kOk);
  ledger_.Advance(50);
  EXPECT_EQ(One(WalletPays("mpm-3", 100, 1)).result, Result::kOk);
}

TEST_F(MpmOrderTest, RegistrationRefusals) {
  EXPECT_EQ(One(Order("", 1)).result, Result::kPosIdInvalid);
  EXPECT_EQ(One(Order("z", 0)).result, Result::kAmountMustBePositive);
  EXPECT_EQ(One(Order("z", kAmountMax + 1)).result, Result::kAmountExceedsLimit);
  EXPECT_EQ(One(Order("z", 1, 0)).result, Result::kMpmLifetimeInvalid);
  EXPECT_EQ(One(Order("z", 1, kMpmLifetimeSecondsMax + 1)).result, Result::kMpmLifetimeInvalid);
  EXPECT_EQ(One(PosMpmOrder{Id(kShop), "z", 1, "", 60}).result, Result::kTerminalIdInvalid);
  EXPECT_EQ(One(PosMpmOrder{Id(kAlice), "z", 1, "REG-1", 60}).result, Result::kNotAMerchant);
  EXPECT_EQ(One(PosMpmOrder{Id(99), "z", 1, "REG-1", 60}).result, Result::kAccountNotFound);
  // None of them took the id.
  EXPECT_EQ(One(Order("z", 1)).result, Result::kOk);
}

}  // namespace
}  // namespace ledger
