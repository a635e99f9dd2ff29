// CachedKv returns exactly what the store holds, after writes and deletes, including cached
// absence.
#include "ledger/storage/cached_kv.h"

#include <gtest/gtest.h>

#include "ledger/core/keys.h"
#include "ledger/core/state_machine.h"
#include "ledger/core/test_util.h"

namespace ledger {
namespace {

TEST(CachedKvTest, SameOutputsAsTheStoreAcrossBatches) {
  MemoryKv plain, behind_cache;
  CachedKv cached(behind_cache);
  std::vector<Batch> batches;
  batches.push_back(
      {{testing::MakeAsset(1, "COIN", 0, 900), testing::MakeAsset(2, "HP", 3, 901)}, {2}});
  batches.push_back(
      {{testing::MakeAccount(1, 1, AccountKind::kIssuer),
        testing::MakeAccount(2, 2, AccountKind::kBudget),
        testing::MakeAccount(3, 2, AccountKind::kWallet, account_flags::kNonNegative)},
       {3}});
  for (int i = 0; i < 20; ++i) {
    // Account 4 is created late: the cache must not keep believing it is absent.
    if (i == 5) batches.push_back({{testing::MakeAccount(4, 1, AccountKind::kWallet)}, {1}});
    batches.push_back(
        {{testing::MakeTransfer(100 + i, 2, 3, 5), testing::MakeTransfer(200 + i, 1, 4, 1)}, {2}});
  }
  Timestamp t = testing::kEpoch;
  for (const Batch& batch : batches) {
    absl::StatusOr<ApplyOutput> expected = ApplyBatch(plain, t, batch);
    absl::StatusOr<ApplyOutput> actual = ApplyBatch(cached, t, batch);
    ASSERT_TRUE(expected.ok() && actual.ok());
    ASSERT_EQ(expected->entry_bytes, actual->entry_bytes);
    plain.Apply(expected->writes);
    behind_cache.Apply(actual->writes);
    cached.Remember(actual->writes);
    t += testing::kSecond;
  }
  EXPECT_EQ(StateHash(plain), StateHash(behind_cache));
  EXPECT_GT(cached.size(), 0u);
  EXPECT_EQ(testing::CheckInvariants(plain), "");
}

TEST(CachedKvTest, CurrentForHotTablesOnly) {
  MemoryKv store;
  CachedKv cached(store);
  WriteSet writes;
  writes.entries.emplace_back(keys::Account(AccountId{0, 7}), "account");
  writes.entries.emplace_back(keys::Transfer(TransferId{0, 7}), "transfer");
  cached.Remember(writes);  // Not in the store yet: the cache runs ahead of it.
  EXPECT_TRUE(cached.Current(keys::Account(AccountId{0, 7})));
  EXPECT_TRUE(
      cached.Current(keys::Account(AccountId{0, 8})));  // Never written: the store's answer holds.
  EXPECT_FALSE(cached.Current(keys::Transfer(TransferId{0, 7})));
  std::string value;
  ASSERT_TRUE(cached.Get(keys::Account(AccountId{0, 7}), &value));
  EXPECT_EQ(value, "account");
  EXPECT_FALSE(cached.Get(keys::Transfer(TransferId{0, 7}), &value));
  std::vector<std::optional<std::string>> many;
  cached.MultiGet({keys::Transfer(TransferId{0, 7}), keys::Account(AccountId{0, 7}),
                   keys::Account(AccountId{0, 8})},
                  &many);
  EXPECT_EQ(many, (std::vector<std::optional<std::string>>{std::nullopt, "account", std::nullopt}));
}

}  // namespace
}  // namespace ledger
