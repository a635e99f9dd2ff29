// Change-stream events → calibration lines: accounts, plain transfers, pending/post/void, asset
// filter.
#include "sim/ledger_events.h"

#include "gtest/gtest.h"

namespace sim {
namespace {

ledger::v1::Event AccountEvent(const std::string& id, ledger::v1::AccountKind kind,
                               const std::string& category, uint32_t asset = 1) {
  ledger::v1::Event e;
  e.mutable_account_created()->set_id(id);
  e.mutable_account_created()->set_kind(kind);
  e.mutable_account_created()->set_category(category);
  e.mutable_account_created()->set_asset(asset);
  return e;
}

ledger::v1::Event TransferEvent(const std::string& id, const std::string& debit,
                                const std::string& credit, int64_t amount, uint32_t flags = 0,
                                const std::string& pending_id = "") {
  ledger::v1::Event e;
  ledger::v1::Transfer* t = e.mutable_transfer();
  t->set_id(id);
  t->set_debit_account_id(debit);
  t->set_credit_account_id(credit);
  t->set_amount(amount);
  t->set_flags(flags);
  t->set_pending_id(pending_id);
  t->set_asset(1);
  t->set_timestamp(86'400'000'000'000ull * 3 + 5);  // Day 3, in nanoseconds.
  return e;
}

TEST(EventConverter, AccountsAndTransfers) {
  EventConverter converter(0);
  EXPECT_EQ(converter.ToJsonLine(AccountEvent("\x01\x02", ledger::v1::MERCHANT, "food")).value(),
            "{\"type\":\"account\",\"id\":\"0102\",\"kind\":\"MERCHANT\",\"category\":\"food\"}\n");
  EXPECT_EQ(converter.ToJsonLine(TransferEvent("t1", "\x0a", "\x0b", 500)).value(),
            "{\"type\":\"transfer\",\"timestamp_s\":259200,\"debit\":\"0a\",\"credit\":\"0b\","
            "\"amount\":500}\n");
}

// The gateway's Subscribe JSON (canonical mapping: bytes as base64, 64-bit integers as strings).
TEST(EventsFromSubscribeJson, ConvertsTheGatewaysLines) {
  const std::string text =
      "{\"journalIndex\":\"1\",\"accountCreated\":{\"id\":\"AQI=\",\"asset\":1,"
      "\"kind\":\"MERCHANT\",\"category\":\"food\"}}\n\n"
      "{\"journalIndex\":\"2\",\"transfer\":{\"id\":\"dDE=\",\"debitAccountId\":\"Cg==\","
      "\"creditAccountId\":\"Cw==\",\"amount\":\"500\",\"asset\":1,"
      "\"timestamp\":\"259200000000005\"}}\n"
      "{\"journalIndex\":\"3\",\"transfer\":{\"id\":\"dDI=\",\"debitAccountId\":\"Cg==\","
      "\"creditAccountId\":\"Cw==\",\"amount\":\"7\",\"asset\":2}}\n";
  absl::StatusOr<std::string> lines = EventsFromSubscribeJson(text, 1);
  ASSERT_TRUE(lines.ok()) << lines.status();
  EXPECT_EQ(*lines,
            "{\"type\":\"account\",\"id\":\"0102\",\"kind\":\"MERCHANT\",\"category\":\"food\"}\n"
            "{\"type\":\"transfer\",\"timestamp_s\":259200,\"debit\":\"0a\",\"credit\":\"0b\","
            "\"amount\":500}\n");
  absl::StatusOr<std::string> bad = EventsFromSubscribeJson("{}\n{\"nope\":1}\n", 0);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("line 2"), std::string::npos) << bad.status();
}

TEST(EventConverter, PendingIsAFlowOnlyWhenPosted) {
  EventConverter converter(0);
  EXPECT_FALSE(converter.ToJsonLine(TransferEvent("p1", "\x0a", "\x0b", 900, ledger::v1::PENDING))
                   .has_value());
  EXPECT_FALSE(converter.ToJsonLine(TransferEvent("p2", "\x0a", "\x0c", 100, ledger::v1::PENDING))
                   .has_value());
  // A post with empty accounts and amount 0 takes both from its pending transfer.
  EXPECT_EQ(
      converter.ToJsonLine(TransferEvent("x1", "", "", 0, ledger::v1::POST_PENDING, "p1")).value(),
      "{\"type\":\"transfer\",\"timestamp_s\":259200,\"debit\":\"0a\",\"credit\":\"0b\",\"amount\":"
      "900}\n");
  EXPECT_FALSE(converter.ToJsonLine(TransferEvent("x2", "", "", 0, ledger::v1::VOID_PENDING, "p2"))
                   .has_value());
  EXPECT_FALSE(converter.ToJsonLine(TransferEvent("x3", "", "", 0, ledger::v1::POST_PENDING, "p2"))
                   .has_value());
}

TEST(EventConverter, AssetFilter) {
  EventConverter converter(2);
  EXPECT_FALSE(converter.ToJsonLine(AccountEvent("\x01", ledger::v1::WALLET, "", 1)).has_value());
  EXPECT_TRUE(converter.ToJsonLine(AccountEvent("\x01", ledger::v1::WALLET, "", 2)).has_value());
  EXPECT_FALSE(converter.ToJsonLine(TransferEvent("t1", "\x0a", "\x0b", 500)).has_value());
}

}  // namespace
}  // namespace sim
