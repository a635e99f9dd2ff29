#include "ledger/server/stream_slots.h"

#include <memory>
#include <vector>

#include "gtest/gtest.h"

namespace ledger {
namespace {

using Refusal = StreamSlots::Refusal;

TEST(StreamSlotsTest, RefusesPastEachBoundAndGivesSlotsBack) {
  StreamSlots slots(/*per_key_max=*/2, /*total_max=*/3);
  std::vector<std::unique_ptr<StreamSlots::Slot>> held;
  auto take = [&](const std::string& key) {
    auto slot = std::make_unique<StreamSlots::Slot>(slots.Take(key));
    const Refusal refusal = slot->refusal();
    if (refusal == Refusal::kNone) held.push_back(std::move(slot));
    return refusal;
  };
  EXPECT_EQ(take("a"), Refusal::kNone);
  EXPECT_EQ(take("a"), Refusal::kNone);
  EXPECT_EQ(take("a"), Refusal::kPerKey);  // The key's bound first.
  EXPECT_EQ(take("b"), Refusal::kNone);
  EXPECT_EQ(take("c"), Refusal::kTotal);
  EXPECT_EQ(take("a"), Refusal::kPerKey);  // Both bounds reached: the key's is named.
  EXPECT_EQ(slots.open(), 3);
  EXPECT_EQ(slots.keys(), 2u);  // A refused key keeps no entry.
  held.erase(held.begin());     // One of "a"'s streams ends.
  EXPECT_EQ(slots.open(), 2);
  EXPECT_EQ(take("c"), Refusal::kNone);
  held.clear();
  EXPECT_EQ(slots.open(), 0);
  EXPECT_EQ(slots.keys(), 0u);
}

TEST(StreamSlotsTest, ARefusedSlotGivesNothingBack) {
  StreamSlots slots(1, 1);
  const StreamSlots::Slot first = slots.Take("a");
  ASSERT_EQ(first.refusal(), Refusal::kNone);
  { const StreamSlots::Slot refused = slots.Take("b"); }
  { const StreamSlots::Slot refused = slots.Take("a"); }
  EXPECT_EQ(slots.open(), 1);
  EXPECT_EQ(slots.keys(), 1u);
}

}  // namespace
}  // namespace ledger
