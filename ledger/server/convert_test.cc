// API-boundary conversions: malformed fields are refused whole, naming the field and the limit.
#include "ledger/server/convert.h"

#include <gtest/gtest.h>

namespace ledger {
namespace {

std::string Id16(uint64_t low) { return Id128{0, low}.ToBytes(); }

TEST(ConvertTest, TransferIdOfWrongLengthNamesTheField) {
  v1::CreateTransfersRequest request;
  v1::Transfer* ok = request.add_transfers();
  ok->set_id(Id16(1));
  v1::Transfer* bad = request.add_transfers();
  bad->set_id("12345");
  absl::StatusOr<std::vector<Command>> commands = TransfersFromProto(request);
  ASSERT_EQ(commands.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(commands.status().message().find("transfers[1].id"), std::string::npos);
  EXPECT_NE(commands.status().message().find("16 bytes"), std::string::npos);
}

TEST(ConvertTest, EmptyAccountIdsAllowedOnlyWhereOptional) {
  v1::CreateTransfersRequest request;
  v1::Transfer* post = request.add_transfers();
  post->set_id(Id16(2));
  post->set_pending_id(Id16(1));
  post->set_flags(v1::POST_PENDING);
  absl::StatusOr<std::vector<Command>> commands = TransfersFromProto(request);
  ASSERT_TRUE(commands.ok());
  EXPECT_TRUE(std::get<Transfer>((*commands)[0]).debit_account_id.IsZero());
  v1::CreateAccountsRequest accounts;
  accounts.add_accounts();
  EXPECT_NE(AccountsFromProto(accounts).status().message().find("accounts[0].id"),
            std::string::npos);
}

TEST(ConvertTest, BatchLimits) {
  v1::CreateTransfersRequest request;
  EXPECT_EQ(TransfersFromProto(request).status().code(), absl::StatusCode::kInvalidArgument);
  for (int i = 0; i < 8191; ++i) request.add_transfers()->set_id(Id16(i + 1));
  absl::Status status = TransfersFromProto(request).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("8190"), std::string::npos);
}

TEST(ConvertTest, EventsFromEntryCarryEffectiveMovement) {
  JournalEntry entry;
  entry.index = 7;
  Transfer post;
  post.id = Id128{0, 9};
  post.pending_id = Id128{0, 8};
  post.flags = transfer_flags::kPostPending;
  entry.commands.push_back(post);
  Outcome outcome;
  outcome.timestamp = 123;
  outcome.asset = 1;
  outcome.debit_account_id = Id128{0, 1};
  outcome.credit_account_id = Id128{0, 2};
  outcome.amount = 40;
  entry.outcomes.push_back(outcome);
  entry.commands.push_back(post);
  entry.outcomes.push_back(Outcome{Result::kExceedsBalance, false, 124});
  std::vector<v1::Event> events = EventsFromEntry(entry);
  ASSERT_EQ(events.size(), 1u);  // Failed commands are not changes.
  EXPECT_EQ(events[0].journal_index(), 7u);
  EXPECT_EQ(events[0].transfer().amount(), 40);
  EXPECT_EQ(events[0].transfer().credit_account_id(), Id16(2));
}

TEST(ConvertTest, AssetCreationAlsoReportsItsBreakageAccount) {
  JournalEntry entry;
  entry.index = 1;
  Asset asset;
  asset.id = 3;
  asset.code = "HP";
  asset.breakage_account = Id128{0, 0xb3};
  entry.commands.push_back(asset);
  entry.outcomes.push_back(Outcome{Result::kOk, false, 55});
  std::vector<v1::Event> events = EventsFromEntry(entry);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].asset_created().code(), "HP");
  EXPECT_EQ(events[1].account_created().id(), Id16(0xb3));
  EXPECT_EQ(events[1].account_created().kind(), v1::BREAKAGE);
  EXPECT_EQ(events[1].account_created().asset(), 3u);
}

}  // namespace
}  // namespace ledger
