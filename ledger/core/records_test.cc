// The stored records (records.h, ledger/FORMAT.md "Records"): encode/decode round trips, the exact
// bytes of a few records (the state hash and every replica depend on them), refusal of truncated or
// wrong-version bytes, and the result names.
#include "ledger/core/records.h"

#include <cctype>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace ledger {
namespace {

// Little-endian fixed-width integers, as the codec writes values.
std::string U8(uint8_t v) { return std::string(1, static_cast<char>(v)); }
std::string Le(uint64_t v, int width) {
  std::string out;
  for (int i = 0; i < width; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  return out;
}
std::string U32(uint32_t v) { return Le(v, 4); }
std::string U64(uint64_t v) { return Le(v, 8); }
std::string I64(int64_t v) { return Le(static_cast<uint64_t>(v), 8); }
std::string Id(const Id128& id) { return U64(id.high) + U64(id.low); }
std::string Bytes(const std::string& s) { return U32(static_cast<uint32_t>(s.size())) + s; }

Asset SampleAsset() {
  Asset asset;
  asset.id = 7;
  asset.code = "KOBE";
  asset.scale = 2;
  asset.expiry_seconds = 180 * 86400;
  asset.expiry_granularity_seconds = 86400;
  asset.breakage_account = Id128{1, 2};
  asset.timestamp = 1'767'225'600'000'000'000ULL;
  return asset;
}

Account SampleAccount() {
  Account account;
  account.id = Id128{0x0102030405060708, 0x1112131415161718};
  account.asset = 7;
  account.kind = AccountKind::kWallet;
  account.flags = account_flags::kNonNegative;
  account.user_data = 99;
  account.category = "resident";
  account.balance = -5;
  account.debits_pending = 3;
  account.credits_pending = 4;
  account.timestamp = 123;
  return account;
}

Transfer SampleTransfer() {
  Transfer transfer;
  transfer.id = Id128{0, 10};
  transfer.debit_account_id = Id128{0, 11};
  transfer.credit_account_id = Id128{0, 12};
  transfer.amount = 5000;
  transfer.pending_id = Id128{0, 0};
  transfer.timeout_seconds = 60;
  transfer.code = 3;
  transfer.flags = transfer_flags::kPending;
  transfer.user_data = 8;
  transfer.asset = 7;
  transfer.timestamp = 456;
  transfer.result = Result::kOk;
  transfer.pending_state = PendingState::kPending;
  transfer.amount_posted = 0;
  transfer.timeout_at = 789;
  transfer.reserved_lots = {{100, 2000}, {200, 3000}};
  return transfer;
}

TEST(RecordsTest, AssetHasTheBytesOfFormatMd) {
  const Asset asset = SampleAsset();
  EXPECT_EQ(EncodeAsset(asset), U8(1) + U32(7) + Bytes("KOBE") + U32(2) + I64(180 * 86400) +
                                    I64(86400) + Id(Id128{1, 2}) + U64(asset.timestamp));
  std::optional<Asset> decoded = DecodeAsset(EncodeAsset(asset));
  ASSERT_TRUE(decoded.has_value());
  EXPECT_TRUE(decoded->SameRequest(asset));
  EXPECT_EQ(decoded->timestamp, asset.timestamp);
}

TEST(RecordsTest, AccountHasTheBytesOfFormatMd) {
  const Account account = SampleAccount();
  EXPECT_EQ(EncodeAccount(account), U8(1) + Id(account.id) + U32(7) + U8(2) + U32(1) + U64(99) +
                                        Bytes("resident") + I64(-5) + I64(3) + I64(4) + U64(123));
  std::optional<Account> decoded = DecodeAccount(EncodeAccount(account));
  ASSERT_TRUE(decoded.has_value());
  EXPECT_TRUE(decoded->SameRequest(account));
  EXPECT_EQ(decoded->balance, -5);
  EXPECT_EQ(decoded->debits_pending, 3);
  EXPECT_EQ(decoded->credits_pending, 4);
  EXPECT_EQ(decoded->timestamp, 123u);
}

TEST(RecordsTest, TransferHasTheBytesOfFormatMd) {
  const Transfer transfer = SampleTransfer();
  EXPECT_EQ(EncodeTransfer(transfer), U8(1) + Id(Id128{0, 10}) + Id(Id128{0, 11}) +
                                          Id(Id128{0, 12}) + I64(5000) + Id(Id128{0, 0}) + I64(60) +
                                          U32(3) + U32(transfer_flags::kPending) + U64(8) + U32(7) +
                                          U64(456) + U8(0) + U8(1) + I64(0) + U64(789) + U32(2) +
                                          U64(100) + I64(2000) + U64(200) + I64(3000));
  std::optional<Transfer> decoded = DecodeTransfer(EncodeTransfer(transfer));
  ASSERT_TRUE(decoded.has_value());
  EXPECT_TRUE(decoded->SameRequest(transfer));
  EXPECT_EQ(decoded->asset, 7u);
  EXPECT_EQ(decoded->timestamp, 456u);
  EXPECT_EQ(decoded->pending_state, PendingState::kPending);
  EXPECT_EQ(decoded->timeout_at, 789u);
  EXPECT_EQ(decoded->reserved_lots, transfer.reserved_lots);
}

TEST(RecordsTest, LotsHaveTheBytesOfFormatMd) {
  const std::vector<Lot> lots = {{10, 1}, {20, -2}};
  EXPECT_EQ(EncodeLots(lots), U8(1) + U32(2) + U64(10) + I64(1) + U64(20) + I64(-2));
  EXPECT_EQ(DecodeLots(EncodeLots(lots)), lots);
  EXPECT_EQ(DecodeLots(EncodeLots({})), std::vector<Lot>{});
}

TEST(RecordsTest, TruncatedOrWrongVersionBytesDoNotDecode) {
  const std::string asset = EncodeAsset(SampleAsset());
  const std::string account = EncodeAccount(SampleAccount());
  const std::string transfer = EncodeTransfer(SampleTransfer());
  const std::string lots = EncodeLots({{10, 1}});
  for (size_t n = 0; n < asset.size(); ++n) EXPECT_FALSE(DecodeAsset(asset.substr(0, n))) << n;
  for (size_t n = 0; n < account.size(); ++n)
    EXPECT_FALSE(DecodeAccount(account.substr(0, n))) << n;
  for (size_t n = 0; n < transfer.size(); ++n)
    EXPECT_FALSE(DecodeTransfer(transfer.substr(0, n))) << n;
  for (size_t n = 0; n < lots.size(); ++n) EXPECT_FALSE(DecodeLots(lots.substr(0, n))) << n;
  EXPECT_FALSE(DecodeAsset(asset + "x")) << "trailing bytes";
  EXPECT_FALSE(DecodeAccount(account + "x"));
  EXPECT_FALSE(DecodeTransfer(transfer + "x"));
  EXPECT_FALSE(DecodeLots(lots + "x"));
  for (std::string bytes : {asset, account, transfer, lots}) {
    bytes[0] = 9;  // An unknown version.
    EXPECT_FALSE(DecodeAsset(bytes));
    EXPECT_FALSE(DecodeAccount(bytes));
    EXPECT_FALSE(DecodeTransfer(bytes));
    EXPECT_FALSE(DecodeLots(bytes));
  }
}

TEST(RecordsTest, HistoryRecordsRoundTrip) {
  const std::vector<HistoryEntry> segment = {{100, Id128{0, 1}, 50, 50},
                                             {200, Id128{0, 2}, -20, 30}};
  std::optional<std::vector<HistoryEntry>> decoded =
      DecodeHistorySegment(EncodeHistorySegment(segment));
  ASSERT_TRUE(decoded.has_value());
  ASSERT_EQ(decoded->size(), 2u);
  EXPECT_EQ((*decoded)[1].timestamp, 200u);
  EXPECT_EQ((*decoded)[1].transfer_id, (Id128{0, 2}));
  EXPECT_EQ((*decoded)[1].delta, -20);
  EXPECT_EQ((*decoded)[1].balance_after, 30);

  // Recent history: sorted by account then timestamp; the view finds one account's range in place.
  const std::vector<AccountHistoryEntry> recent = {
      {Id128{0, 1}, {10, Id128{0, 9}, 5, 5}},
      {Id128{0, 3}, {10, Id128{0, 9}, -5, 0}},
      {Id128{0, 3}, {11, Id128{0, 8}, 7, 7}},
  };
  const std::string bytes = EncodeRecentHistory(recent);
  std::optional<std::vector<AccountHistoryEntry>> all = DecodeRecentHistory(bytes);
  ASSERT_TRUE(all.has_value());
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[2].entry.balance_after, 7);
  RecentHistoryView view;
  ASSERT_TRUE(view.Parse(bytes));
  EXPECT_EQ(view.size(), 3u);
  EXPECT_EQ(view.Range(Id128{0, 3}), (std::pair<size_t, size_t>{1, 3}));
  EXPECT_EQ(view.Range(Id128{0, 2}).first, view.Range(Id128{0, 2}).second);  // None.
  EXPECT_EQ(view.AccountAt(0), (Id128{0, 1}));
  EXPECT_EQ(view.At(2).timestamp, 11u);

  const HistoryBacklog backlog{4096, 262144};
  std::optional<HistoryBacklog> read = DecodeHistoryBacklog(EncodeHistoryBacklog(backlog));
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(read->records, 4096u);
  EXPECT_EQ(read->entries, 262144u);
}

TEST(RecordsTest, ResultNamesAreUniqueCompleteSnakeCase) {
  std::set<std::string> names;
  for (int i = 0; i < kResultCount; ++i) {
    const std::string name = ResultName(static_cast<Result>(i));
    ASSERT_FALSE(name.empty()) << i;
    EXPECT_NE(name, "unknown_result") << i;
    for (char c : name)
      EXPECT_TRUE(std::islower(static_cast<unsigned char>(c)) || c == '_') << name;
    EXPECT_TRUE(names.insert(name).second) << "duplicate name " << name;
  }
  EXPECT_EQ(names.size(), static_cast<size_t>(kResultCount));
  // The last code is the last of the enum, and past it there is no name.
  EXPECT_STREQ(ResultName(Result::kRequestNotYetValid), "request_not_yet_valid");
  EXPECT_EQ(static_cast<int>(Result::kProposalInvalid), kResultCount - 1);
  EXPECT_STREQ(ResultName(static_cast<Result>(kResultCount)), "unknown_result");
  // A few names the API and the CLI print.
  EXPECT_STREQ(ResultName(Result::kOk), "ok");
  EXPECT_STREQ(ResultName(Result::kExceedsBalance), "exceeds_balance");
  EXPECT_STREQ(ResultName(Result::kNonceReplayed), "nonce_replayed");
  EXPECT_STREQ(ResultName(Result::kKeyRevoked), "key_revoked");
}

TEST(RecordsTest, AccountKindNamesRoundTrip) {
  for (uint8_t k = 1; k <= kAccountKindMax; ++k) {
    const auto kind = static_cast<AccountKind>(k);
    EXPECT_EQ(AccountKindFromName(AccountKindName(kind)), kind) << int{k};
  }
  EXPECT_FALSE(AccountKindFromName("no_such_kind").has_value());
}

}  // namespace
}  // namespace ledger
