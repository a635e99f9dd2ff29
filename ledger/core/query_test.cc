// The read-only queries (query.h) over a hand-written state: paging and limits (journal pages,
// history pages, staff operations, cash-outs) and the day ranges of the health lookups.
#include "ledger/core/query.h"

#include <map>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "ledger/core/keys.h"
#include "ledger/core/limits.h"
#include "ledger/core/pos.h"

namespace ledger {
namespace {

const AccountId kWallet{0, 0x10};
const AccountId kOtherWallet{0, 0x11};
const AccountId kMerchant{0, 0x20};
const AccountId kOtherMerchant{0, 0x21};

// A store holding `records` (sorted and written as one write set).
MemoryKv StoreOf(const std::map<std::string, std::string>& records) {
  MemoryKv kv;
  WriteSet writes;
  for (const auto& [key, value] : records) writes.entries.emplace_back(key, value);
  kv.Apply(writes);
  return kv;
}

TEST(QueryTest, ReadJournalPagesFromAnIndexUpToTheLimit) {
  std::map<std::string, std::string> records;
  for (uint64_t i = 1; i <= 5; ++i) records[keys::Journal(i)] = "entry" + std::to_string(i);
  records[keys::Asset(1)] = "not journal";  // Other tables are not read.
  const MemoryKv kv = StoreOf(records);

  auto page = ReadJournal(kv, 2, 2);
  ASSERT_EQ(page.size(), 2u);
  EXPECT_EQ(page[0], (std::pair<uint64_t, std::string>{2, "entry2"}));
  EXPECT_EQ(page[1], (std::pair<uint64_t, std::string>{3, "entry3"}));
  EXPECT_EQ(ReadJournal(kv, 0, 100).front().first, 1u) << "index 0 reads from the first entry";
  EXPECT_EQ(ReadJournal(kv, 4, 100).size(), 2u) << "the end of the journal ends the page";
  EXPECT_TRUE(ReadJournal(kv, 6, 100).empty());
  EXPECT_EQ(ReadJournal(kv, 1, 0).size(), 1u) << "a limit below 1 reads one entry";
  EXPECT_EQ(ReadJournal(kv, 1, -3).size(), 1u);
}

TEST(QueryTest, ReadJournalCapsThePageAtTheMaximum) {
  std::map<std::string, std::string> records;
  for (uint64_t i = 1; i <= kJournalPageMax + 5; ++i) records[keys::Journal(i)] = "e";
  const MemoryKv kv = StoreOf(records);
  EXPECT_EQ(ReadJournal(kv, 1, kJournalPageMax + 5).size(), static_cast<size_t>(kJournalPageMax));
  EXPECT_EQ(ReadJournal(kv, 1, kJournalPageMax).size(), static_cast<size_t>(kJournalPageMax));
}

TEST(QueryTest, ReadJournalStopsOnceThePageReachesTheByteBound) {
  // Three entries just over half the bound: the second one reaches it, so the page holds two.
  const std::string big(kJournalPageBytesMax / 2 + 1, 'j');
  const MemoryKv kv =
      StoreOf({{keys::Journal(1), big}, {keys::Journal(2), big}, {keys::Journal(3), big}});
  EXPECT_EQ(ReadJournal(kv, 1, 10).size(), 2u);
  // A single entry larger than the bound is still read (at least one entry per page).
  const MemoryKv huge = StoreOf({{keys::Journal(1), std::string(kJournalPageBytesMax + 1, 'h')},
                                 {keys::Journal(2), "small"}});
  EXPECT_EQ(ReadJournal(huge, 1, 10).size(), 1u);
}

// Two folded segments (timestamps 1..3 and 4..6) and one recent-history record (7, 8) for kWallet,
// with another account's entries in between.
MemoryKv HistoryStore() {
  auto entry = [](Timestamp t) {
    return HistoryEntry{t, TransferId{0, t}, 10, static_cast<int64_t>(10 * t)};
  };
  std::map<std::string, std::string> records;
  records[keys::History(kWallet, 3)] = EncodeHistorySegment({entry(1), entry(2), entry(3)});
  records[keys::History(kWallet, 6)] = EncodeHistorySegment({entry(4), entry(5), entry(6)});
  records[keys::History(kOtherWallet, 5)] = EncodeHistorySegment({entry(5)});
  records[keys::RecentHistory(100)] =
      EncodeRecentHistory({{kWallet, entry(7)}, {kWallet, entry(8)}, {kOtherWallet, entry(8)}});
  return StoreOf(records);
}

std::vector<Timestamp> Times(const HistoryPage& page) {
  std::vector<Timestamp> out;
  for (const HistoryEntry& e : page.entries) out.push_back(e.timestamp);
  return out;
}

TEST(QueryTest, AccountHistoryPagesForwardAndBackAcrossSegmentsAndRecentRecords) {
  const MemoryKv kv = HistoryStore();
  HistoryPage page = AccountHistory(kv, kWallet, 0, 0, 4, false);
  EXPECT_EQ(Times(page), (std::vector<Timestamp>{1, 2, 3, 4}));
  EXPECT_EQ(page.next_timestamp, 5u);
  page = AccountHistory(kv, kWallet, page.next_timestamp, 0, 4, false);
  EXPECT_EQ(Times(page), (std::vector<Timestamp>{5, 6, 7, 8}));
  EXPECT_EQ(page.next_timestamp, 0u) << "no more";

  page = AccountHistory(kv, kWallet, 0, 0, 3, true);
  EXPECT_EQ(Times(page), (std::vector<Timestamp>{8, 7, 6}));
  EXPECT_EQ(page.next_timestamp, 5u);
  page = AccountHistory(kv, kWallet, 0, page.next_timestamp, 3, true);
  EXPECT_EQ(Times(page), (std::vector<Timestamp>{5, 4, 3}));

  EXPECT_EQ(Times(AccountHistory(kv, kWallet, 3, 7, 100, false)),
            (std::vector<Timestamp>{3, 4, 5, 6, 7}));
  EXPECT_EQ(Times(AccountHistory(kv, kWallet, 0, 0, 0, false)), (std::vector<Timestamp>{1}))
      << "limit >= 1";
  EXPECT_EQ(AccountHistory(kv, kWallet, 0, 0, kHistoryPageMax + 1000, false).entries.size(), 8u);
  EXPECT_EQ(Times(AccountHistory(kv, kOtherWallet, 0, 0, 100, false)),
            (std::vector<Timestamp>{5, 8}));
}

TEST(QueryTest, BalanceAtTimeIsTheBalanceAfterTheLastChangeAtOrBefore) {
  const MemoryKv kv = HistoryStore();
  EXPECT_EQ(BalanceAtTime(kv, kWallet, 0).as_of, 0u);
  EXPECT_EQ(BalanceAtTime(kv, kWallet, 0).balance, 0);
  EXPECT_EQ(BalanceAtTime(kv, kWallet, 5).balance, 50);
  EXPECT_EQ(BalanceAtTime(kv, kWallet, 7).balance, 70);
  EXPECT_EQ(BalanceAtTime(kv, kWallet, 1000).as_of, 8u);
}

TEST(QueryTest, StaffOperationsOfOneWalletOldestFirstUpToTheLimit) {
  std::map<std::string, std::string> records;
  for (Timestamp t : {5, 1, 3, 4, 2}) {
    StaffOperation op;
    op.wallet = kWallet;
    op.timestamp = t;
    op.merchant = kMerchant;
    op.operation = "wrong PIN";
    records[keys::StaffOperation(kWallet, t)] = EncodeStaffOperation(op);
    op.wallet = kOtherWallet;
    records[keys::StaffOperation(kOtherWallet, t)] = EncodeStaffOperation(op);
  }
  const MemoryKv kv = StoreOf(records);
  std::vector<StaffOperation> ops = LookupStaffOperations(kv, kWallet, 3);
  ASSERT_EQ(ops.size(), 3u);
  for (size_t i = 0; i < ops.size(); ++i) {
    EXPECT_EQ(ops[i].timestamp, i + 1);
    EXPECT_EQ(ops[i].wallet, kWallet);
  }
  EXPECT_EQ(LookupStaffOperations(kv, kWallet, 100).size(), 5u);
  EXPECT_TRUE(LookupStaffOperations(kv, AccountId{0, 0x99}, 100).empty());
}

TEST(QueryTest, ListCashOutsFiltersByTimeAndMerchantAndSaysWhenTruncated) {
  std::map<std::string, std::string> records;
  auto add = [&](const AccountId& merchant, const std::string& id, Timestamp t, Result result) {
    FeeRecord record;
    record.account = merchant;
    record.id = id;
    record.amount = 1000;
    record.timestamp = t;
    record.result = result;
    records[keys::CashOut(merchant, id)] = EncodeFeeRecord(record);
  };
  add(kMerchant, "a", 10, Result::kOk);
  add(kMerchant, "b", 20, Result::kOk);
  add(kMerchant, "c", 30, Result::kExceedsBalance);  // Refused: never listed.
  add(kMerchant, "d", 40, Result::kOk);
  add(kOtherMerchant, "a", 15, Result::kOk);
  records[keys::SupplierPayment(kMerchant, "s")] = "not a cash-out";
  const MemoryKv kv = StoreOf(records);

  auto ids = [](const CashOutPage& page) {
    std::vector<std::string> out;
    for (const FeeRecord& r : page.cash_outs)
      out.push_back(r.id + "@" + std::to_string(r.timestamp));
    return out;
  };
  CashOutPage page = ListCashOuts(kv, 0, 0, nullptr, 100);
  EXPECT_EQ(ids(page), (std::vector<std::string>{"a@10", "b@20", "d@40", "a@15"})) << "key order";
  EXPECT_FALSE(page.truncated);
  page = ListCashOuts(kv, 0, 0, &kMerchant, 100);
  EXPECT_EQ(ids(page), (std::vector<std::string>{"a@10", "b@20", "d@40"}));
  page = ListCashOuts(kv, 15, 40, nullptr, 100);  // from <= t < to.
  EXPECT_EQ(ids(page), (std::vector<std::string>{"b@20", "a@15"}));
  page = ListCashOuts(kv, 0, 0, nullptr, 2);
  EXPECT_EQ(ids(page), (std::vector<std::string>{"a@10", "b@20"}));
  EXPECT_TRUE(page.truncated);
  page = ListCashOuts(kv, 0, 0, &kMerchant, 3);
  EXPECT_FALSE(page.truncated) << "exactly the limit is not truncated";
}

TEST(QueryTest, StepRecordsAndAwardsOfADayRangeIncludeBothEnds) {
  std::map<std::string, std::string> records;
  for (uint32_t day = 20260101; day <= 20260105; ++day) {
    StepRecord record;
    record.steps = day % 100;
    record.device_id = "d";
    records[keys::StepRecord(kWallet, day)] = EncodeStepRecord(record);
    records[keys::StepRecord(kOtherWallet, day)] = EncodeStepRecord(record);
  }
  const MemoryKv kv = StoreOf(records);
  auto days = LookupStepRecords(kv, kWallet, 20260102, 20260104);
  ASSERT_EQ(days.size(), 3u);
  EXPECT_EQ(days.front().first, 20260102u);
  EXPECT_EQ(days.back().first, 20260104u);
  EXPECT_EQ(days.back().second.steps, 4u);
  EXPECT_EQ(LookupStepRecords(kv, kWallet, 20250101, 20261231).size(), 5u);
  EXPECT_TRUE(LookupStepRecords(kv, kWallet, 20260106, 20261231).empty());
  EXPECT_TRUE(LookupDailyAwards(kv, kWallet, 20260101, 20261231).empty()) << "another table";
}

}  // namespace
}  // namespace ledger
