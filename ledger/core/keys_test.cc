// The key layout (keys.h, ledger/FORMAT.md "Keys"): big-endian integers sort numerically, the table
// prefixes are distinct, one owner's records are contiguous, length-prefixed ids do not run into
// what follows them, and each family's key has the bytes FORMAT.md gives.
#include "ledger/core/keys.h"

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace ledger::keys {
namespace {

// Bytes from a list of values (so that zero bytes can be written).
std::string B(std::initializer_list<int> bytes) {
  std::string out;
  for (int b : bytes) out.push_back(static_cast<char>(b));
  return out;
}

const Id128 kOwner{0x0102030405060708, 0x090a0b0c0d0e0f10};
const std::string kOwnerBytes = B({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16});
const Id128 kOther{0, 0xff};

TEST(KeysTest, BigEndianIntegersSortNumerically) {
  // Values whose little-endian bytes would sort differently from their numeric order.
  const std::vector<uint64_t> values = {0,
                                        1,
                                        0xff,
                                        0x100,
                                        0x1ff,
                                        0x10000,
                                        0xffffffff,
                                        0x100000000,
                                        0x0100000000000000,
                                        0xff00000000000000,
                                        UINT64_MAX};
  for (size_t i = 0; i + 1 < values.size(); ++i) {
    EXPECT_LT(Journal(values[i]), Journal(values[i + 1])) << values[i];
    EXPECT_LT(Nonce(kOwner, values[i]), Nonce(kOwner, values[i + 1])) << values[i];
    EXPECT_LT(ExpiryIndex(values[i], kOther), ExpiryIndex(values[i + 1], kOwner)) << "expiry first";
    EXPECT_EQ(DecodeJournal(Journal(values[i])), values[i]);
    std::string bytes;
    AppendBigEndian64(values[i], &bytes);
    EXPECT_EQ(ReadBigEndian64(bytes), values[i]);
  }
  // u32 fields: assets, days (yyyymmdd), months (yyyymm), campaigns.
  EXPECT_LT(Asset(0xff), Asset(0x100));
  EXPECT_LT(DailyAward(kOwner, 20261231), DailyAward(kOwner, 20270101));
  EXPECT_LT(MonthlyTally(kOwner, 202609), MonthlyTally(kOwner, 202610));
  EXPECT_LT(Campaign(255), Campaign(256));
  EXPECT_EQ(ReadBigEndian32(B({0x12, 0x34, 0x56, 0x78})), 0x12345678u);
  // id128: high half first, then low.
  EXPECT_LT(Account(Id128{0, UINT64_MAX}), Account(Id128{1, 0}));
  EXPECT_LT(Account(Id128{1, 0xff}), Account(Id128{1, 0x100}));
  // The watch schedule's day index is written as u64: days since 1970 sort in order.
  EXPECT_LT(WatchSchedule(20000, kOwner), WatchSchedule(20001, kOther));
}

TEST(KeysTest, TablePrefixesAreDistinct) {
  const std::vector<char> prefixes = {kMeta,
                                      kAsset,
                                      kAccount,
                                      kTransfer,
                                      kLots,
                                      kExpiryIndex,
                                      kPendingIndex,
                                      kHistory,
                                      kJournal,
                                      kPayment,
                                      kRefund,
                                      kDayReport,
                                      kDayTotals,
                                      kFees,
                                      kCashOut,
                                      kSupplierPayment,
                                      kKey,
                                      kNonce,
                                      kCard,
                                      kStaffOperation,
                                      kHealthProgram,
                                      kDevice,
                                      kConsent,
                                      kDailyAward,
                                      kMonthlyTally,
                                      kStepRecord,
                                      kExchange,
                                      kWatchConfig,
                                      kWatchSchedule,
                                      kAlert,
                                      kWatcherIndex,
                                      kTask,
                                      kTaskApplication,
                                      kVisitorDay,
                                      kVisitorWeek,
                                      kHostVisitorMonth,
                                      kTaskRelease,
                                      kTaskEnd,
                                      kCampaign,
                                      kCampaignAward,
                                      kCampaignTally,
                                      kAccountLink,
                                      kRecentHistory,
                                      kMpmOrder,
                                      kMerchantProfile,
                                      kRevokedKey,
                                      kSubsidyGrant,
                                      kSubsidyTally,
                                      kCardAttempt,
                                      kNonceExpiry,
                                      kOperator,
                                      kProposal};
  const std::set<char> distinct(prefixes.begin(), prefixes.end());
  EXPECT_EQ(distinct.size(), prefixes.size()) << "two tables share a prefix";
  // 'R' is the Raft replica's R/applied key, outside the core's tables.
  EXPECT_EQ(distinct.count('R'), 0u);
  // The meta keys under M differ from each other.
  const std::set<std::string> meta = {
      Head(),    HistoryBacklog(), TaskRules(), ActiveCampaigns(), OperatorsBootstrapped(),
      FourEyes()};
  EXPECT_EQ(meta.size(), 6u);
  for (const std::string& key : meta) EXPECT_EQ(key[0], kMeta) << key;
}

TEST(KeysTest, EachFamilyHasTheLayoutOfFormatMd) {
  EXPECT_EQ(Head(), "Mhead");
  EXPECT_EQ(HistoryBacklog(), "Mhistorybacklog");
  EXPECT_EQ(TaskRules(), "Mtaskrules");
  EXPECT_EQ(ActiveCampaigns(), "Mcampaigns");
  EXPECT_EQ(OperatorsBootstrapped(), "Moperators");
  EXPECT_EQ(Operator("city-treasurer"), "vcity-treasurer");
  EXPECT_EQ(Asset(0x01020304), B({'S', 1, 2, 3, 4}));
  EXPECT_EQ(Account(kOwner), "A" + kOwnerBytes);
  EXPECT_EQ(Transfer(kOwner), "T" + kOwnerBytes);
  EXPECT_EQ(Lots(kOwner), "L" + kOwnerBytes);
  EXPECT_EQ(ExpiryIndex(0x1122, kOwner), "X" + B({0, 0, 0, 0, 0, 0, 0x11, 0x22}) + kOwnerBytes);
  EXPECT_EQ(PendingIndex(7, kOwner), "P" + B({0, 0, 0, 0, 0, 0, 0, 7}) + kOwnerBytes);
  EXPECT_EQ(History(kOwner, 9), "H" + kOwnerBytes + B({0, 0, 0, 0, 0, 0, 0, 9}));
  EXPECT_EQ(RecentHistory(3), "h" + B({0, 0, 0, 0, 0, 0, 0, 3}));
  EXPECT_EQ(Journal(0x0102), "J" + B({0, 0, 0, 0, 0, 0, 1, 2}));
  EXPECT_EQ(Payment(kOwner, "pay-1"), "Q" + kOwnerBytes + "pay-1");
  EXPECT_EQ(Refund(kOwner, "r"), "U" + kOwnerBytes + "r");
  EXPECT_EQ(DayTotals(kOwner, 20260401), "Z" + kOwnerBytes + B({0x01, 0x35, 0x26, 0x31}));
  EXPECT_EQ(DayReport(kOwner, 20260401), "Y" + kOwnerBytes + B({0x01, 0x35, 0x26, 0x31}));
  EXPECT_EQ(Fees(2), B({'F', 0, 0, 0, 2}));
  EXPECT_EQ(MpmOrder(kOwner, "o"), "d" + kOwnerBytes + "o");
  EXPECT_EQ(MerchantProfile(kOwner), "f" + kOwnerBytes);
  EXPECT_EQ(CashOut(kOwner, "c"), "W" + kOwnerBytes + "c");
  EXPECT_EQ(SupplierPayment(kOwner, "s"), "B" + kOwnerBytes + "s");
  EXPECT_EQ(Key(kOwner, ""), "K" + kOwnerBytes);  // A wallet's key: empty key id.
  EXPECT_EQ(Key(kOwner, "t1"), "K" + kOwnerBytes + "t1");
  EXPECT_EQ(RevokedKey(kOwner, std::string(32, 'p')), "k" + kOwnerBytes + std::string(32, 'p'));
  EXPECT_EQ(Nonce(kOwner, 5), "N" + kOwnerBytes + B({0, 0, 0, 0, 0, 0, 0, 5}));
  EXPECT_EQ(NonceExpiry(6, kOwner, 5),
            "n" + B({0, 0, 0, 0, 0, 0, 0, 6}) + kOwnerBytes + B({0, 0, 0, 0, 0, 0, 0, 5}));
  EXPECT_EQ(Card("1234"), "C1234");
  EXPECT_EQ(CardAttempt("1234", 1), B({'x', 4}) + "1234" + B({0, 0, 0, 0, 0, 0, 0, 1}));
  EXPECT_EQ(StaffOperation(kOwner, 8), "O" + kOwnerBytes + B({0, 0, 0, 0, 0, 0, 0, 8}));
  EXPECT_EQ(HealthProgram(1), B({'G', 0, 0, 0, 1}));
  EXPECT_EQ(Device(kOwner, "dev"), "V" + kOwnerBytes + "dev");
  EXPECT_EQ(Consent(kOwner, 2), "I" + kOwnerBytes + B({2}));
  EXPECT_EQ(DailyAward(kOwner, 0x01020304), "E" + kOwnerBytes + B({1, 2, 3, 4}));
  EXPECT_EQ(MonthlyTally(kOwner, 202604), "m" + kOwnerBytes + B({0, 0x03, 0x17, 0x6c}));
  EXPECT_EQ(StepRecord(kOwner, 0x01020304), "D" + kOwnerBytes + B({1, 2, 3, 4}));
  EXPECT_EQ(Exchange(kOwner, "ex"), "e" + kOwnerBytes + "ex");
  EXPECT_EQ(ResidentPrefix(kWatchConfig, kOwner), "w" + kOwnerBytes);
  EXPECT_EQ(WatchSchedule(3, kOwner), "q" + B({0, 0, 0, 0, 0, 0, 0, 3}) + kOwnerBytes);
  EXPECT_EQ(Alert(kOwner, 1), "a" + kOwnerBytes + B({0, 0, 0, 1}));
  EXPECT_EQ(WatcherIndex(kOwner, kOther), "u" + kOwnerBytes + kOther.ToBytes());
  EXPECT_EQ(Task(kOwner, "farm"), "t" + kOwnerBytes + "farm");
  EXPECT_EQ(TaskApplication(kOwner, "farm", kOther),
            "p" + kOwnerBytes + B({4}) + "farm" + kOther.ToBytes());
  EXPECT_EQ(VisitorDay(kOwner, 1), "b" + kOwnerBytes + B({0, 0, 0, 1}));
  EXPECT_EQ(VisitorWeek(kOwner, 2), "r" + kOwnerBytes + B({0, 0, 0, 0, 0, 0, 0, 2}));
  EXPECT_EQ(HostVisitorMonth(kOwner, kOther, 3),
            "o" + kOwnerBytes + kOther.ToBytes() + B({0, 0, 0, 3}));
  EXPECT_EQ(TaskRelease(4, kOwner, kOther, 5, "farm"), "y" + B({0, 0, 0, 0, 0, 0, 0, 4}) +
                                                           kOwnerBytes + kOther.ToBytes() +
                                                           B({0, 0, 0, 5}) + "farm");
  EXPECT_EQ(TaskEnd(4, kOwner, "farm"), "z" + B({0, 0, 0, 0, 0, 0, 0, 4}) + kOwnerBytes + "farm");
  EXPECT_EQ(SubsidyGrantForHost(kOwner, kOther), "s" + kOwnerBytes + "h" + kOther.ToBytes());
  EXPECT_EQ(SubsidyGrantForCategory(kOwner, "farm"), "s" + kOwnerBytes + "cfarm");
  EXPECT_EQ(SubsidyTally(kOwner, kOther, 7),
            "j" + kOwnerBytes + kOther.ToBytes() + B({0, 0, 0, 7}));
  EXPECT_EQ(Campaign(9), B({'c', 0, 0, 0, 9}));
  EXPECT_EQ(CampaignAward(kOwner, "pay", 9), "i" + kOwnerBytes + B({3}) + "pay" + B({0, 0, 0, 9}));
  EXPECT_EQ(CampaignTally(9, kOwner, 202604),
            B({'g', 0, 0, 0, 9}) + kOwnerBytes + B({0, 0x03, 0x17, 0x6c}));
  EXPECT_EQ(AccountLink(kOwner, 2), "l" + kOwnerBytes + B({0, 0, 0, 2}));
}

TEST(KeysTest, OneOwnersRecordsAreContiguousUnderItsPrefix) {
  const std::string prefix = ResidentPrefix(kStepRecord, kOwner);
  for (uint32_t day : {20260101u, 20261231u})
    EXPECT_EQ(StepRecord(kOwner, day).rfind(prefix, 0), 0u);
  EXPECT_NE(StepRecord(kOther, 20260101).rfind(prefix, 0), 0u);
  EXPECT_EQ(Payment(kOwner, "p").substr(1, 16), kOwnerBytes);  // Merchant first.
  EXPECT_EQ(StaffOperation(kOwner, 1).rfind(StaffOperationPrefix(kOwner), 0), 0u);
  // The length byte keeps task "ab"'s applications apart from task "abc"'s.
  const std::string ab = TaskApplicationPrefix(kOwner, "ab");
  EXPECT_EQ(TaskApplication(kOwner, "ab", kOther).rfind(ab, 0), 0u);
  EXPECT_NE(TaskApplication(kOwner, "abc", kOther).rfind(ab, 0), 0u);
  // Same for the awards of payment "p1" and "p12", and the wrong-PIN attempts of cards "12" and
  // "123".
  EXPECT_NE(CampaignAward(kOwner, "p12", 1).rfind(CampaignAwardPrefix(kOwner, "p1"), 0), 0u);
  EXPECT_NE(CardAttempt("123", 1).rfind(CardAttemptPrefix("12"), 0), 0u);
  // A subsidy grant for a host ('h') and one for a category ('c') do not collide.
  EXPECT_NE(SubsidyGrantForHost(kOwner, Id128{0, 0}),
            SubsidyGrantForCategory(kOwner, std::string(16, '\0')));
}

TEST(KeysTest, IndexKeysDecodeToWhatWasEncoded) {
  Timestamp expiry = 0;
  AccountId account;
  DecodeExpiryIndex(ExpiryIndex(123456789, kOwner), &expiry, &account);
  EXPECT_EQ(expiry, 123456789u);
  EXPECT_EQ(account, kOwner);
  TransferId transfer;
  DecodePendingIndex(PendingIndex(42, kOther), &expiry, &transfer);
  EXPECT_EQ(expiry, 42u);
  EXPECT_EQ(transfer, kOther);
  uint64_t nonce = 0;
  DecodeNonceExpiry(NonceExpiry(77, kOwner, UINT64_MAX - 1), &expiry, &account, &nonce);
  EXPECT_EQ(expiry, 77u);
  EXPECT_EQ(account, kOwner);
  EXPECT_EQ(nonce, UINT64_MAX - 1);
  int64_t day_index = 0;
  DecodeWatchSchedule(WatchSchedule(20500, kOther), &day_index, &account);
  EXPECT_EQ(day_index, 20500);
  EXPECT_EQ(account, kOther);
  AccountId host, visitor;
  uint32_t day = 0;
  std::string task_id;
  DecodeTaskRelease(TaskRelease(9, kOwner, kOther, 20260402, "farm-7"), &host, &visitor, &day,
                    &task_id);
  EXPECT_EQ(host, kOwner);
  EXPECT_EQ(visitor, kOther);
  EXPECT_EQ(day, 20260402u);
  EXPECT_EQ(task_id, "farm-7");
  DecodeTaskEnd(TaskEnd(9, kOther, "stay"), &host, &task_id);
  EXPECT_EQ(host, kOther);
  EXPECT_EQ(task_id, "stay");
}

}  // namespace
}  // namespace ledger::keys
