// OverlayKv reads exactly what the store would hold once the pending write sets are applied.
#include "ledger/storage/overlay_kv.h"

#include <gtest/gtest.h>

#include <random>

namespace ledger {
namespace {

std::string Collect(const KvReader& kv, std::string_view from, std::string_view to, bool reverse,
                    size_t limit = 1000) {
  std::string out;
  size_t seen = 0;
  kv.Scan(from, to, reverse, [&](std::string_view key, std::string_view value) {
    out += std::string(key) + "=" + std::string(value) + ";";
    return ++seen < limit;
  });
  return out;
}

TEST(OverlayKvTest, MatchesAppliedStoreOnRandomChanges) {
  const uint64_t seed = std::random_device{}();
  SCOPED_TRACE(::testing::Message() << "seed=" << seed);
  std::mt19937_64 rng(seed);
  for (int round = 0; round < 200; ++round) {
    MemoryKv base, applied;
    auto random_write_set = [&]() {
      std::map<std::string, std::optional<std::string>> entries;
      const int count = static_cast<int>(rng() % 8);
      for (int i = 0; i < count; ++i) {
        std::string key(1, static_cast<char>('a' + rng() % 12));
        if (rng() % 3 == 0) {
          entries[key] = std::nullopt;
        } else {
          entries[key] = std::to_string(rng() % 100);
        }
      }
      auto writes = std::make_shared<WriteSet>();
      for (auto& [key, value] : entries) writes->entries.emplace_back(key, value);
      return writes;
    };
    auto initial = random_write_set();
    base.Apply(*initial);
    applied.Apply(*initial);
    std::vector<std::shared_ptr<const WriteSet>> pending;
    for (int i = 0; i < 3; ++i) {
      auto writes = random_write_set();
      applied.Apply(*writes);
      pending.push_back(writes);
    }
    OverlayKv overlay(base, pending);
    std::vector<std::string> all_keys;
    for (char c = 'a'; c < 'a' + 12; ++c) all_keys.emplace_back(1, c);
    std::vector<std::optional<std::string>> many;
    overlay.MultiGet(all_keys, &many);
    for (size_t i = 0; i < all_keys.size(); ++i) {
      std::string expected;
      const bool expected_found = applied.Get(all_keys[i], &expected);
      ASSERT_EQ(many[i].has_value(), expected_found);
      if (expected_found) {
        ASSERT_EQ(*many[i], expected);
      }
    }
    for (char c = 'a'; c < 'a' + 12; ++c) {
      std::string expected, actual;
      const bool expected_found = applied.Get(std::string(1, c), &expected);
      ASSERT_EQ(overlay.Get(std::string(1, c), &actual), expected_found);
      if (expected_found) {
        ASSERT_EQ(actual, expected);
      }
    }
    for (bool reverse : {false, true}) {
      ASSERT_EQ(Collect(overlay, "a", "z", reverse), Collect(applied, "a", "z", reverse));
      ASSERT_EQ(Collect(overlay, "c", "h", reverse), Collect(applied, "c", "h", reverse));
      ASSERT_EQ(Collect(overlay, "a", "z", reverse, 3), Collect(applied, "a", "z", reverse, 3));
    }
  }
}

TEST(OverlayKvTest, KeysTheBaseHoldsCurrentSkipThePendingSets) {
  // The node's hot cache already holds the in-flight batches: for its keys the overlay asks it
  // alone.
  MemoryKv base;
  WriteSet stored;
  stored.entries.emplace_back("A1", "cache");
  stored.entries.emplace_back("T1", "store");
  base.Apply(stored);
  auto pending = std::make_shared<WriteSet>();
  pending->entries.emplace_back("A1", "pending");
  pending->entries.emplace_back("T1", "pending");
  OverlayKv overlay(base, {pending}, [](std::string_view key) { return key[0] == 'A'; });
  std::string value;
  ASSERT_TRUE(overlay.Get("A1", &value));
  EXPECT_EQ(value, "cache");
  ASSERT_TRUE(overlay.Get("T1", &value));
  EXPECT_EQ(value, "pending");
}

}  // namespace
}  // namespace ledger
