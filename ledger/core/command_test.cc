// The command table (command.h): names, tags and metric classes as ledger/FORMAT.md and the metrics
// have them, and the count bounds of the field lists.
#include "ledger/core/command.h"

#include <map>
#include <set>
#include <string>
#include <utility>

#include "gtest/gtest.h"
#include "ledger/core/journal.h"
#include "ledger/core/state_machine.h"

namespace ledger {
namespace {

struct Row {
  uint8_t tag;
  uint8_t alt_tag;
  CommandClass command_class;
};

template <size_t... I>
std::map<std::string, Row> Table(std::index_sequence<I...>) {
  std::map<std::string, Row> table;
  (table.emplace(std::string(CommandTraits<std::variant_alternative_t<I, Command>>::kName),
                 Row{CommandTraits<std::variant_alternative_t<I, Command>>::kTag,
                     CommandTraits<std::variant_alternative_t<I, Command>>::kAltTag,
                     CommandTraits<std::variant_alternative_t<I, Command>>::kClass}),
   ...);
  return table;
}

std::map<std::string, Row> Table() {
  return Table(std::make_index_sequence<std::variant_size_v<Command>>());
}

TEST(CommandTableTest, EveryCommandHasItsOwnSnakeCaseName) {
  const std::map<std::string, Row> table = Table();
  EXPECT_EQ(table.size(), std::variant_size_v<Command>);  // No two share a name.
  for (const auto& [name, row] : table) {
    EXPECT_FALSE(name.empty());
    for (char c : name) EXPECT_TRUE((c >= 'a' && c <= 'z') || c == '_') << name;
  }
  EXPECT_EQ(CommandName(Command(PosPayment{})), "pos_payment");
  EXPECT_EQ(CommandName(Command(CloseAccount{})), "close_account");
}

// The journal tags of ledger/FORMAT.md, pinned: a tag is never reused nor renumbered.
TEST(CommandTableTest, TagsAreThoseOfTheFormat) {
  const std::map<std::string, std::pair<int, int>> format = {
      {"asset", {1, 0}},
      {"account", {2, 0}},
      {"close_account", {3, 0}},
      {"transfer", {4, 0}},
      {"pos_payment", {5, 40}},
      {"pos_refund", {6, 0}},
      {"pos_cancel", {7, 0}},
      {"pos_close_day", {8, 0}},
      {"pos_fees", {9, 0}},
      {"pos_cash_out", {10, 0}},
      {"pos_supplier_payment", {11, 0}},
      {"register_key", {12, 36}},
      {"wallet_send", {13, 0}},
      {"register_card", {14, 0}},
      {"set_health_program", {15, 0}},
      {"register_device", {16, 0}},
      {"set_consent", {17, 0}},
      {"step_report", {18, 19}},
      {"exchange_points", {20, 0}},
      {"erase_step_data", {21, 0}},
      {"set_watch_over", {22, 0}},
      {"ack_alert", {23, 0}},
      {"set_task_rules", {24, 0}},
      {"post_task", {25, 0}},
      {"apply_task", {26, 0}},
      {"decide_application", {27, 0}},
      {"cancel_slots", {28, 39}},
      {"check_in", {29, 0}},
      {"confirm_day", {30, 0}},
      {"create_campaign", {31, 0}},
      {"close_campaign", {32, 0}},
      {"link_account", {33, 0}},
      {"pos_mpm_order", {34, 0}},
      {"set_merchant_profile", {35, 0}},
      {"revoke_key", {37, 0}},
      {"grant_subsidy", {38, 0}},
      {"unlock_card", {41, 0}},
      {"reissue_card", {42, 0}},
      {"pause_campaign", {44, 0}},
      {"set_operator_roles", {45, 0}},
      {"propose", {48, 0}},
      {"approve", {49, 0}},
      {"reject_proposal", {50, 0}},
      {"set_four_eyes", {51, 0}},
  };
  const std::map<std::string, Row> table = Table();
  ASSERT_EQ(table.size(), format.size());
  for (const auto& [name, tags] : format) {
    ASSERT_TRUE(table.contains(name)) << name;
    EXPECT_EQ(table.at(name).tag, tags.first) << name;
    EXPECT_EQ(table.at(name).alt_tag, tags.second) << name;
  }
}

// The settings the metrics counted apart from transfers before the table
// (ledger/server/metrics.cc).
TEST(CommandTableTest, SettingsAreThoseTheMetricsCounted) {
  const std::set<std::string> settings = {
      "asset",
      "account",
      "close_account",
      "pos_fees",
      "register_key",
      "register_card",
      "set_health_program",
      "register_device",
      "set_consent",
      "erase_step_data",
      "set_watch_over",
      "ack_alert",
      "set_task_rules",
      "apply_task",
      "decide_application",
      "check_in",
      "create_campaign",
      "close_campaign",
      "link_account",
      "pos_mpm_order",
      "set_merchant_profile",
      "revoke_key",
      "grant_subsidy",
      "unlock_card",
      "reissue_card",
      "pause_campaign",
      "set_operator_roles",
      "propose",
      "approve",
      "reject_proposal",
      "set_four_eyes",
  };
  for (const auto& [name, row] : Table()) {
    EXPECT_EQ(row.command_class == CommandClass::kSetting, settings.contains(name)) << name;
  }
}

// The count bounds of the field lists: one over the bound still decodes where the old decoders read
// one over (a refused command is journaled too); a merchant profile over its bound never did.
TEST(CommandTableTest, CountBoundsAreThoseTheOldDecodersHad) {
  SetHealthProgram program;
  program.program.tiers.assign(kStepTiersMax + 1, StepTier{1000, 1});
  std::optional<Batch> decoded = DecodeBatch(EncodeBatch(Batch{{program}, {1}}));
  ASSERT_TRUE(decoded);
  EXPECT_EQ(std::get<SetHealthProgram>(decoded->commands[0]).program, program.program);

  SetMerchantProfile profile;
  profile.accepts.assign(kProfileAccountsMax, Id128{1, 2});
  EXPECT_TRUE(DecodeBatch(EncodeBatch(Batch{{profile}, {1}})));
  profile.accepts.push_back(Id128{1, 2});
  EXPECT_FALSE(DecodeBatch(EncodeBatch(Batch{{profile}, {1}})));
}

}  // namespace
}  // namespace ledger
