// docs/API.md, the integrators' document, against the code, so that what a client is told cannot
// drift from what the ledger does:
//  - its field-bounds table is field_bounds.cc's (FieldBoundsTable) and its limits table is made
//  here from
//    the constants the ledger enforces (limits.h and the domain headers);
//  - its result-code table has one row per value of the core's Result enum and of the proto's, in
//  order,
//    with the proto name and the snake_case name, a meaning and a retry answer: a code added
//    without a row (or a row without a code) fails;
//  - its signed-method table names every method of the Pos, Wallet and Health services exactly
//  once.
// On a mismatch the test prints the table as it should read, to paste.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "ledger/core/campaigns.h"
#include "ledger/core/cpm.h"
#include "ledger/core/health.h"
#include "ledger/core/limits.h"
#include "ledger/core/pos.h"
#include "ledger/core/records.h"
#include "ledger/core/tasks.h"
#include "ledger/core/types.h"
#include "ledger/server/field_bounds.h"
#include "proto/ledger.pb.h"

namespace ledger {
namespace {

namespace pb = google::protobuf;

std::string ReadDoc() {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  if (srcdir == nullptr || workspace == nullptr) return "";
  std::ifstream file(absl::StrCat(srcdir, "/", workspace, "/docs/API.md"));
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

// The lines after `marker`'s line up to the first empty line, each with its newline; nullopt
// without the marker.
std::optional<std::string> Block(const std::string& text, const std::string& marker) {
  const size_t at = text.find(marker + "\n");
  if (at == std::string::npos) return std::nullopt;
  const size_t start = at + marker.size() + 1;
  size_t end = text.find("\n\n", start);
  end = end == std::string::npos ? text.size() : end + 1;
  return text.substr(start, end - start);
}

// The cells of a Markdown table row "| a | b |", trimmed.
std::vector<std::string> Cells(absl::string_view row) {
  row = absl::StripAsciiWhitespace(row);
  if (!absl::ConsumePrefix(&row, "|") || !absl::ConsumeSuffix(&row, "|")) return {};
  std::vector<std::string> cells;
  for (absl::string_view cell : absl::StrSplit(row, '|'))
    cells.emplace_back(absl::StripAsciiWhitespace(cell));
  return cells;
}

// The body rows of a table block (the header and its rule skipped).
std::vector<std::vector<std::string>> Rows(const std::string& block) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> lines = absl::StrSplit(block, '\n', absl::SkipEmpty());
  for (size_t i = 2; i < lines.size(); ++i) rows.push_back(Cells(lines[i]));
  return rows;
}

// 1234567 -> "1,234,567".
std::string Grouped(uint64_t value) {
  std::string digits = std::to_string(value);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

struct Limit {
  const char* name;
  uint64_t value;
  const char* unit;  // Appended to the value: " bytes", " s", ...
  const char* what;  // What it bounds and what happens beyond it.
};

// Every bound a client can meet that is not a string or bytes field's, from the constants
// themselves. The descriptions are written here; the numbers cannot be.
std::vector<Limit> Limits() {
  return {
      {"kBatchItemsMax", kBatchItemsMax, "",
       "items in one request of a repeated field (`CreateTransfers`, `CreateAccounts`, `Lookup*`, "
       "`RegisterKeys`, "
       "…): 1 to this, else `INVALID_ARGUMENT`"},
      {"kRequestBytesMax", kRequestBytesMax, " bytes",
       "one request message (gRPC refuses a larger one with `RESOURCE_EXHAUSTED`)"},
      {"kRequestItemBytesMax", kRequestItemBytesMax, " bytes",
       "what the message size allows each batch item"},
      {"kReplyBytesMax", kReplyBytesMax, " bytes",
       "set your client's maximum receive size to this"},
      {"kSignedBodyBytesMax", kSignedBodyBytesMax, " bytes",
       "the `body` of a `SignedRequest` or `WalletRequest`"},
      {"kSignedRequestWindowMs", kSignedRequestWindowMs, " ms",
       "`timestamp_ms` of a signed request, either way of the ledger's clock, else "
       "`FAILED_PRECONDITION`"},
      {"kAmountMax", static_cast<uint64_t>(kAmountMax), "",
       "an amount (transfer, payment, refund, cash-out, exchange), else `AMOUNT_EXCEEDS_LIMIT` (or "
       "`INVALID_ARGUMENT` from the Pos service)"},
      {"kBalanceMax", static_cast<uint64_t>(kBalanceMax), "",
       "\\|balance\\|, \\|debits_pending\\|, \\|credits_pending\\|, else `OVERFLOWS_BALANCE`"},
      {"kAssetIdMax", kAssetIdMax, "", "asset ids are 1 to this; above is `ID_RESERVED`"},
      {"kTimeoutSecondsMax", static_cast<uint64_t>(kTimeoutSecondsMax), " s",
       "a pending transfer's `timeout_seconds`, else `TIMEOUT_EXCEEDS_LIMIT`"},
      {"kExpirySecondsMax", static_cast<uint64_t>(kExpirySecondsMax), " s",
       "an asset's `expiry_seconds` and `expiry_granularity_seconds`, else `EXPIRY_INVALID`"},
      {"kLotsPerAccountMax", kLotsPerAccountMax, "",
       "expiry lots one wallet holds for one asset, else `TOO_MANY_LOTS`"},
      {"kSweepItemsMax", kSweepItemsMax, "",
       "lapsed lots and timed-out pendings released per batch (the rest with the next batch)"},
      {"kHistoryPageMax", kHistoryPageMax, "",
       "`limit` of `GetAccountHistory` and `Wallet.GetHistory`; above is `INVALID_ARGUMENT`"},
      {"kHistoryPageDefault", kHistoryPageDefault, "", "their page when `limit` is 0"},
      {"kJournalPageMax", kJournalPageMax, "",
       "`GetJournal.limit`; above is `INVALID_ARGUMENT` (not capped)"},
      {"kJournalPageDefault", kJournalPageDefault, "", "`GetJournal`'s page when `limit` is 0"},
      {"kJournalPageBytesMax", kJournalPageBytesMax, " bytes",
       "a `GetJournal` page stops adding entries past this (it always holds one)"},
      {"kStaffOperationsPageMax", kStaffOperationsPageMax, "",
       "`ListStaffOperations.limit` (both services); a larger limit reads this many"},
      {"kStaffOperationsPageDefault", kStaffOperationsPageDefault, "",
       "its page when `limit` is 0"},
      {"kCashOutsPageMax", kCashOutsPageMax, "",
       "`ListCashOuts.limit`, and its page when `limit` is 0; above is `INVALID_ARGUMENT`"},
      {"kCpmTtlSecondsMax", kCpmTtlSecondsMax, " s", "a customer-presented code's lifetime"},
      {"kCpmTtlSecondsDefault", kCpmTtlSecondsDefault, " s",
       "the lifetime wallets give a code by default"},
      {"kClockSkewMsMax", kClockSkewMsMax, " ms",
       "how far ahead of the ledger's clock a code may be issued, else `CPM_NOT_YET_VALID`"},
      {"kMpmLifetimeSecondsMax", kMpmLifetimeSecondsMax, " s",
       "`CreateMpmRequest.lifetime_seconds`, else `MPM_LIFETIME_INVALID`"},
      {"kMpmLifetimeSecondsDefault", kMpmLifetimeSecondsDefault, " s", "its lifetime when 0"},
      {"kBasisPointsMax", kBasisPointsMax, "",
       "fee rates are below this (basis points), else `FEE_SCHEDULE_INVALID`"},
      {"kProfileAccountsMax", kProfileAccountsMax, "",
       "`MerchantProfile.accepts_account_ids`, else `PROFILE_INVALID`"},
      {"kPinLengthMin", kPinLengthMin, " digits", "a card's PIN, at least"},
      {"kPinLengthMax", kPinLengthMax, " digits", "a card's PIN, at most"},
      {"kPinAttemptsMaxDefault", kPinAttemptsMaxDefault, "", "`Card.attempts_max` when 0"},
      {"kStepTiersMax", kStepTiersMax, "", "`HealthProgram.tiers`, else `HEALTH_PROGRAM_INVALID`"},
      {"kHealthVersionsMax", kHealthVersionsMax, "", "versions of one health program"},
      {"kStepsMaxDefault", kStepsMaxDefault, "", "`HealthProgram.steps_max` when 0"},
      {"kReportWindowDaysDefault", kReportWindowDaysDefault, " days",
       "`HealthProgram.report_window_days` when 0"},
      {"kReportWindowDaysMax", kReportWindowDaysMax, " days",
       "`HealthProgram.report_window_days`, at most"},
      {"kWatchersMax", kWatchersMax, "",
       "`WatchOverRequest.watcher_ids`, else `WATCH_OVER_INVALID`"},
      {"kWatchStreamsPerWatcherMax", kWatchStreamsPerWatcherMax, "",
       "open `WatchAlerts` streams per watcher, else `RESOURCE_EXHAUSTED`"},
      {"kWatchStreamsMax", kWatchStreamsMax, "",
       "open `WatchAlerts` streams per node, else `RESOURCE_EXHAUSTED`"},
      {"kPaymentWatchesPerTerminalMax", kPaymentWatchesPerTerminalMax, "",
       "open `Pos.WatchPayment` streams per terminal, else `RESOURCE_EXHAUSTED`"},
      {"kPaymentWatchesMax", kPaymentWatchesMax, "",
       "open `Pos.WatchPayment` streams per node, else `RESOURCE_EXHAUSTED`"},
      {"kPaymentWatchSecondsMax", kPaymentWatchSecondsMax, " s",
       "how long one `Pos.WatchPayment` stream lasts (it then ends OK)"},
      {"kTaskDaysMax", kTaskDaysMax, " days", "a task's days, else `TASK_INVALID`"},
      {"kTaskSlotsMax", kTaskSlotsMax, "", "a task's slots, else `TASK_INVALID`"},
      {"kTaskSlotDaysMax", kTaskSlotDaysMax, "", "a task's slots × days, else `TASK_INVALID`"},
      {"kActiveCampaignsMax", kActiveCampaignsMax, "",
       "campaigns active at once, else `TOO_MANY_CAMPAIGNS`"},
      {"kCampaignMerchantsMax", kCampaignMerchantsMax, "",
       "`Campaign.merchant_ids`, else `CAMPAIGN_INVALID`"},
      {"kProposalLifetimeSecondsMax", kProposalLifetimeSecondsMax, " s",
       "`ProposeRequest.lifetime_seconds`, else `INVALID_ARGUMENT`"},
      {"kProposalLifetimeSecondsDefault", kProposalLifetimeSecondsDefault, " s",
       "a proposal's lifetime when 0"},
      {"kProposalCommandsMax", kProposalCommandsMax, "",
       "items of one proposed request, else `INVALID_ARGUMENT`"},
      {"kProposalCommandBytesMax", kProposalCommandBytesMax, " bytes",
       "a proposal's encoded items, else `INVALID_ARGUMENT`"},
      {"kProposalListMax", kProposalListMax, "", "pending proposals `ListProposals` returns"},
  };
}

std::string LimitsTable() {
  std::string table = "| limit | value | what it bounds |\n|---|---:|---|\n";
  for (const Limit& limit : Limits()) {
    absl::StrAppend(&table, "| `", limit.name, "` | ", Grouped(limit.value), limit.unit, " | ",
                    limit.what, " |\n");
  }
  return table;
}

const char kFieldBoundsMarker[] = "<!-- field bounds: made by ledger/server/api_doc_test -->";
const char kLimitsMarker[] = "<!-- limits: made by ledger/server/api_doc_test -->";
const char kResultsMarker[] = "<!-- result codes: checked by ledger/server/api_doc_test -->";
const char kMethodsMarker[] = "<!-- signed methods: checked by ledger/server/api_doc_test -->";

TEST(ApiDocTest, FieldBoundsTableIsFieldBoundsCc) {
  const std::string doc = ReadDoc();
  ASSERT_FALSE(doc.empty()) << "docs/API.md not in the runfiles";
  std::optional<std::string> block = Block(doc, kFieldBoundsMarker);
  ASSERT_TRUE(block) << "docs/API.md has no field bounds table; it should read:\n"
                     << kFieldBoundsMarker << "\n"
                     << FieldBoundsTable();
  EXPECT_EQ(*block, FieldBoundsTable())
      << "docs/API.md's field bounds differ from field_bounds.cc; it should read:\n"
      << FieldBoundsTable();
}

TEST(ApiDocTest, LimitsTableIsTheConstants) {
  const std::string doc = ReadDoc();
  ASSERT_FALSE(doc.empty()) << "docs/API.md not in the runfiles";
  std::optional<std::string> block = Block(doc, kLimitsMarker);
  ASSERT_TRUE(block) << "docs/API.md has no limits table; it should read:\n"
                     << kLimitsMarker << "\n"
                     << LimitsTable();
  EXPECT_EQ(*block, LimitsTable())
      << "docs/API.md's limits differ from the constants; it should read:\n"
      << LimitsTable();
}

// The words a retry answer starts with (docs/API.md, "Result codes").
bool RetryAnswered(const std::string& cell, int code) {
  if (code == 0) return cell == "—";
  for (const char* answer : {"No", "After a change", "As is"}) {
    if (absl::StartsWith(cell, answer)) return true;
  }
  return false;
}

TEST(ApiDocTest, EveryResultCodeOnceWithItsMeaningAndRetry) {
  const std::string doc = ReadDoc();
  ASSERT_FALSE(doc.empty()) << "docs/API.md not in the runfiles";
  const pb::EnumDescriptor* proto = v1::Result_descriptor();
  // The core's enum and the proto's agree (the services cast one to the other).
  ASSERT_EQ(proto->value_count(), kResultCount) << "proto Result and ledger::Result differ in size";
  for (int code = 0; code < kResultCount; ++code) {
    EXPECT_NE(proto->FindValueByNumber(code), nullptr) << "proto Result has no value " << code;
    EXPECT_NE(std::string(ResultName(static_cast<Result>(code))), "unknown_result") << code;
  }

  std::optional<std::string> block = Block(doc, kResultsMarker);
  ASSERT_TRUE(block) << "docs/API.md has no result code table after " << kResultsMarker;
  std::map<int, std::vector<std::string>> documented;
  std::vector<std::string> problems;
  for (const std::vector<std::string>& row : Rows(*block)) {
    if (row.size() != 5) {
      problems.push_back(absl::StrCat("a row without 5 cells: ", absl::StrJoin(row, " | ")));
      continue;
    }
    int code = -1;
    if (!absl::SimpleAtoi(row[0], &code)) {
      problems.push_back(absl::StrCat("not a code: ", row[0]));
      continue;
    }
    if (!documented.emplace(code, row).second)
      problems.push_back(absl::StrCat("code ", code, " twice"));
    if (code < 0 || code >= kResultCount)
      problems.push_back(absl::StrCat("code ", code, " is not a Result"));
  }
  // Every code exactly once, in order, with its names, a meaning and a retry answer.
  std::string expected = "| code | `Result` | name | meaning | retry |\n|---|---|---|---|---|\n";
  for (int code = 0; code < kResultCount; ++code) {
    const pb::EnumValueDescriptor* value = proto->FindValueByNumber(code);
    const std::string proto_name = value == nullptr ? "?" : value->name();
    const std::string name = ResultName(static_cast<Result>(code));
    auto it = documented.find(code);
    std::string meaning = "(what it means)", retry = "(No / After a change / As is: …)";
    if (it == documented.end()) {
      problems.push_back(absl::StrCat("code ", code, " (", proto_name, ") has no row"));
    } else {
      const std::vector<std::string>& row = it->second;
      if (row[1] != absl::StrCat("`", proto_name, "`")) {
        problems.push_back(
            absl::StrCat("code ", code, ": ", row[1], " should be `", proto_name, "`"));
      }
      if (row[2] != absl::StrCat("`", name, "`")) {
        problems.push_back(absl::StrCat("code ", code, ": ", row[2], " should be `", name, "`"));
      }
      if (row[3].size() < 8) problems.push_back(absl::StrCat("code ", code, ": no meaning"));
      if (!RetryAnswered(row[4], code)) {
        problems.push_back(absl::StrCat(
            "code ", code, ": the retry answer must start with No, After a change or As is"));
      }
      meaning = row[3];
      retry = row[4];
    }
    absl::StrAppend(&expected, "| ", code, " | `", proto_name, "` | `", name, "` | ", meaning,
                    " | ", retry, " |\n");
  }
  if (problems.empty() && *block != expected) problems.push_back("the rows are not in code order");
  EXPECT_TRUE(problems.empty())
      << absl::StrJoin(problems, "\n")
      << "\ndocs/API.md's result codes should read (fill in what is in parentheses):\n"
      << expected;
}

TEST(ApiDocTest, EverySignedMethodOnce) {
  const std::string doc = ReadDoc();
  ASSERT_FALSE(doc.empty()) << "docs/API.md not in the runfiles";
  std::optional<std::string> block = Block(doc, kMethodsMarker);
  ASSERT_TRUE(block) << "docs/API.md has no signed-method table after " << kMethodsMarker;
  std::vector<std::string> expected;
  const pb::FileDescriptor* file = v1::Asset::descriptor()->file();
  for (const char* name : {"Pos", "Wallet", "Health"}) {
    const pb::ServiceDescriptor* service = file->FindServiceByName(name);
    ASSERT_NE(service, nullptr) << name;
    for (int i = 0; i < service->method_count(); ++i) {
      expected.push_back(absl::StrCat("`", name, "` `", service->method(i)->name(), "`"));
    }
  }
  std::vector<std::string> documented;
  for (const std::vector<std::string>& row : Rows(*block)) {
    ASSERT_EQ(row.size(), 5u) << absl::StrJoin(row, " | ");
    documented.push_back(absl::StrCat(row[0], " ", row[1]));
    // The body column names the method's request message, or says there is none.
    EXPECT_TRUE(absl::StartsWith(row[2], "`") || absl::StartsWith(row[2], "(none")) << row[2];
    EXPECT_FALSE(row[3].empty() || row[4].empty()) << documented.back();
  }
  EXPECT_EQ(absl::StrJoin(documented, "\n"), absl::StrJoin(expected, "\n"))
      << "docs/API.md's signed methods should be the proto's, in its order";
}

// A body named in the method table is the message that method's service parses (Pos and Wallet
// methods take envelopes, so the body is the message in the proto's "body" comment or the Request
// of its name).
TEST(ApiDocTest, BodiesAreMessagesOfTheProto) {
  const std::string doc = ReadDoc();
  std::optional<std::string> block = Block(doc, kMethodsMarker);
  ASSERT_TRUE(block);
  for (const std::vector<std::string>& row : Rows(*block)) {
    if (!absl::StartsWith(row[2], "`")) continue;
    const std::string name(absl::StripSuffix(absl::StripPrefix(row[2], "`"), "`"));
    EXPECT_NE(pb::DescriptorPool::generated_pool()->FindMessageTypeByName("ledger.v1." + name),
              nullptr)
        << row[1] << ": " << name << " is not a message of proto/ledger.proto";
  }
}

// The reserved-id rule as docs/API.md states it: the first two bytes (top 16 bits) 0xffff.
TEST(ApiDocTest, ReservedIdsAreTheTopSixteenBitsAllOnes) {
  EXPECT_TRUE((Id128{0xffff'0000'0000'0000ULL, 0}.IsReserved()));
  EXPECT_TRUE((Id128{0xffff'ffff'ffff'ffffULL, 0xffff'ffff'ffff'ffffULL}.IsReserved()));
  EXPECT_FALSE((Id128{0xfffe'ffff'ffff'ffffULL, 0xffff'ffff'ffff'ffffULL}.IsReserved()));
  EXPECT_FALSE((Id128{0x7fff'0000'0000'0000ULL, 1}.IsReserved()));
  std::string bytes(16, '\0');
  bytes[0] = '\xff';
  bytes[1] = '\xff';
  bytes[15] = '\x01';
  std::optional<Id128> id = Id128::FromBytes(bytes);
  ASSERT_TRUE(id);
  EXPECT_TRUE(id->IsReserved()) << "ids are big-endian: the first two bytes are the top 16 bits";
}

}  // namespace
}  // namespace ledger
