// The journal: encoding round trips, the hash chain, and that verification finds the first
// alteration.
#include "ledger/core/journal.h"

#include <gtest/gtest.h>

#include "ledger/core/keys.h"
#include "ledger/core/limits.h"
#include "ledger/core/state_machine.h"
#include "ledger/core/test_util.h"

namespace ledger {
namespace {

using testing::MakeAccount;
using testing::MakeAsset;
using testing::MakeTransfer;
using testing::MemoryLedger;

class JournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ledger_.Apply({MakeAsset(1, "COIN", 0, 900)});
    ledger_.Apply({MakeAccount(1, 1, AccountKind::kIssuer),
                   MakeAccount(2, 1, AccountKind::kWallet, account_flags::kNonNegative)});
    for (int i = 0; i < 5; ++i) ledger_.Apply({MakeTransfer(100 + i, 1, 2, 10 + i)});
  }
  // Replaces one stored journal entry's bytes.
  void Overwrite(uint64_t index, const std::string& bytes) {
    WriteSet writes;
    writes.entries.emplace_back(keys::Journal(index), bytes);
    ledger_.mutable_state().Apply(writes);
  }
  std::string Stored(uint64_t index) {
    std::string bytes;
    EXPECT_TRUE(ledger_.state().Get(keys::Journal(index), &bytes));
    return bytes;
  }
  MemoryLedger ledger_;
};

TEST_F(JournalTest, EntriesRoundTripAndChain) {
  const JournalHead head = ReadHead(ledger_.state());
  EXPECT_EQ(head.index, 7u);
  std::string previous(32, '\0');
  for (uint64_t i = 1; i <= head.index; ++i) {
    const std::string bytes = Stored(i);
    std::optional<JournalEntry> entry = DecodeJournalEntry(bytes);
    ASSERT_TRUE(entry);
    EXPECT_EQ(entry->index, i);
    EXPECT_EQ(entry->previous_hash, previous);
    EXPECT_EQ(EncodeJournalEntry(*entry), bytes);  // Encoding is a pure function of the entry.
    previous = std::string(StoredEntryHash(bytes));
  }
  EXPECT_EQ(previous, head.hash);
  EXPECT_TRUE(VerifyJournal(ledger_.state()).ok);
}

TEST(JournalEncodingTest, MovementsAsCommandedAreStoredCompactlyAndReadBack) {
  // A transfer that moved exactly its own debit, credit and amount stores only the asset (marker
  // 2); any other movement (a post moves the pending's accounts; a partial amount) is stored whole
  // (marker 1, as every entry before marker 2 existed); no movement stores nothing.
  auto outcome = [](AssetId asset, uint64_t debit, uint64_t credit, int64_t amount) {
    Outcome o;
    o.timestamp = 77;
    o.asset = asset;
    o.debit_account_id = AccountId{0, debit};
    o.credit_account_id = AccountId{0, credit};
    o.amount = amount;
    return o;
  };
  auto entry_with = [&](const Outcome& moved) {
    JournalEntry entry;
    entry.index = 3;
    entry.previous_hash = std::string(32, 'p');
    entry.commands = {MakeTransfer(100, 1, 2, 10), testing::MakePost(101, 99, 5),
                      MakeTransfer(102, 1, 2, 10)};
    Outcome refused;
    refused.result = Result::kExceedsBalance;
    entry.outcomes = {moved, outcome(1, 7, 8, 5), refused};
    entry.request_sizes = {3};
    return entry;
  };
  const JournalEntry compact = entry_with(outcome(1, 1, 2, 10));
  const JournalEntry whole = entry_with(outcome(1, 1, 2, 9));  // Moved less than commanded.
  const std::string compact_bytes = EncodeJournalEntry(compact);
  const std::string whole_bytes = EncodeJournalEntry(whole);
  EXPECT_EQ(whole_bytes.size() - compact_bytes.size(), 40u);
  for (const JournalEntry* entry : {&compact, &whole}) {
    std::optional<JournalEntry> decoded = DecodeJournalEntry(EncodeJournalEntry(*entry));
    ASSERT_TRUE(decoded);
    ASSERT_EQ(decoded->outcomes.size(), 3u);
    for (size_t i = 0; i < 3; ++i) {
      const Outcome& want = entry->outcomes[i];
      const Outcome& got = decoded->outcomes[i];
      EXPECT_EQ(got.result, want.result) << i;
      EXPECT_EQ(got.timestamp, want.timestamp) << i;
      EXPECT_EQ(got.asset, want.asset) << i;
      EXPECT_EQ(got.debit_account_id, want.debit_account_id) << i;
      EXPECT_EQ(got.credit_account_id, want.credit_account_id) << i;
      EXPECT_EQ(got.amount, want.amount) << i;
    }
  }
}

// A command whose string is one byte (or 10 MB) over its bound in limits.h is refused by the batch
// decoder (the replicated log), so a replica never applies what no service lets through; at the
// bound it decodes. The journal still reads such a command back: an earlier version may have
// journaled one.
TEST(JournalEncodingTest, BatchDecoderRefusesOversizeStrings) {
  const AccountId merchant{0, 20};
  // Each case makes its command with every bounded string `extra` bytes over its bound (0: at it).
  struct Case {
    const char* name;
    std::function<Command(size_t extra)> make;
  };
  auto text = [](size_t bound, size_t extra) { return std::string(bound + extra, '7'); };
  const std::vector<Case> cases = {
      {"asset code",
       [&](size_t x) { return Command(MakeAsset(1, text(kAssetCodeBytesMax, x), 0, 900)); }},
      {"card payment's card number",
       [&](size_t x) {
         PosPayment p{merchant, "pay-1", AccountId{}, 100, "REG-1", ""};
         p.card = text(kCardNumberLengthMax, x);
         p.staff = "sato";
         return Command(p);
       }},
      {"card payment's staff id",
       [&](size_t x) {
         PosPayment p{merchant, "pay-1", AccountId{}, 100, "REG-1", ""};
         p.card = "6300111122223333";
         p.staff = text(kStaffIdLengthMax, x);
         return Command(p);
       }},
      {"payment id",
       [&](size_t x) {
         return Command(PosCancel{merchant, text(kPosIdLengthMax, x)});
       }},
      {"refund id",
       [&](size_t x) {
         return Command(PosRefund{merchant, "pay-1", text(kPosIdLengthMax, x), 5});
       }},
      {"customer-presented code",
       [&](size_t x) {
         return Command(
             PosPayment{merchant, "pay-1", AccountId{}, 100, "REG-1", text(kCpmTextLengthMax, x)});
       }},
      {"terminal id",
       [&](size_t x) {
         return Command(RevokeKey{merchant, text(kTerminalIdLengthMax, x), ""});
       }},
      {"card registration",
       [&](size_t x) {
         RegisterCard card;
         card.card = text(kCardNumberLengthMax, x);
         card.wallet = AccountId{0, 10};
         card.pin_salt = std::string(kPinSaltBytes, 's');
         card.pin_proof = std::string(kPinProofBytes, 'p');
         return Command(card);
       }},
      {"card re-issue",
       [&](size_t x) {
         return Command(ReissueCard{text(kCardNumberLengthMax, x), text(kCardNumberLengthMax, x),
                                    text(kPinSaltBytes, x), text(kPinProofBytes, x),
                                    text(kStaffIdLengthMax, x)});
       }},
      {"card re-issue's new card number",
       [&](size_t x) {
         return Command(ReissueCard{"6300111122223333", text(kCardNumberLengthMax, x),
                                    std::string(kPinSaltBytes, 's'),
                                    std::string(kPinProofBytes, 'p'), "sato"});
       }},
      {"card re-issue's operator",
       [&](size_t x) {
         return Command(ReissueCard{"6300111122223333", "6300111122224444",
                                    std::string(kPinSaltBytes, 's'),
                                    std::string(kPinProofBytes, 'p'), text(kStaffIdLengthMax, x)});
       }},
      {"device id",
       [&](size_t x) {
         return Command(RegisterDevice{AccountId{0, 10}, text(kDeviceIdLengthMax, x),
                                       std::string(32, 'k'), false, 1});
       }},
      {"task title",
       [&](size_t x) {
         PostTask task;
         task.host = merchant;
         task.task_id = "rice";
         task.title = text(kTaskTitleBytesMax, x);
         return Command(task);
       }},
      {"task id",
       [&](size_t x) {
         return Command(CancelSlots{merchant, text(kPosIdLengthMax, x), 1});
       }},
      {"exchange id",
       [&](size_t x) {
         return Command(ExchangePoints{1, AccountId{0, 10}, AccountId{0, 11}, 1000,
                                       text(kPosIdLengthMax, x), 1});
       }},
  };
  for (const Case& c : cases) {
    for (size_t extra : {size_t{0}, size_t{1}, size_t{10} << 20}) {
      const Command command = c.make(extra);
      std::optional<Batch> batch = DecodeBatch(EncodeBatch(Batch{{command}, {1}}));
      EXPECT_EQ(batch.has_value(), extra == 0) << c.name << ", " << extra << " bytes over";
      JournalEntry entry;
      entry.index = 1;
      entry.previous_hash = std::string(32, '\0');
      entry.commands = {command};
      entry.outcomes = {Outcome{}};
      entry.request_sizes = {1};
      EXPECT_TRUE(DecodeJournalEntry(EncodeJournalEntry(entry)))
          << c.name << ", " << extra << " bytes over";
    }
  }
}

// Every command that spends a request nonce carries its request's timestamp in a prefix (tag 43,
// u64 request_ms) before its own bytes; without one (request_ms 0) the bytes are exactly what
// earlier versions wrote, so their logs and journals decode as before, with request_ms 0.
TEST(JournalEncodingTest, RequestTimeIsAPrefixOnlyWhereSet) {
  const AccountId a{0, 10}, b{0, 11}, host{0, 20};
  WalletSend send{MakeTransfer(100, 10, 11, 5), 7};
  PosPayment mpm{host, "pay-1", a, 100, "", ""};
  mpm.wallet_nonce = 8;
  SetWatchOver watch;
  watch.resident = a;
  watch.watchers = {b};
  watch.nonce = 9;
  const std::vector<Command> kinds = {
      send,
      mpm,
      RegisterDevice{a, "band-1", std::string(32, 'k'), false, 1},
      SetConsent{a, 1, true, 2},
      ExchangePoints{1, a, b, 1000, "x-1", 3},
      EraseStepData{a, 4},
      watch,
      AckAlert{b, a, 1, 5},
      ApplyTask{a, host, "rice", 6},
      CancelSlots{host, "rice", 1, 10},
      CheckIn{a, host, "rice", false, std::string(64, 's'), 11},
      StepReport{1, a, "band-1", 20260101, 5000, 12, std::string(64, 's'), std::string(16, 't'),
                 ""},
  };
  constexpr uint64_t kRequestMs = 1'767'225'600'123;
  for (const Command& old : kinds) {
    Command stamped = old;
    ASSERT_NE(MutableRequestMs(&stamped), nullptr);
    EXPECT_EQ(RequestMs(old), 0u);
    *MutableRequestMs(&stamped) = kRequestMs;
    const std::string old_bytes = EncodeBatch(Batch{{old}, {1}});
    const std::string stamped_bytes = EncodeBatch(Batch{{stamped}, {1}});
    ASSERT_EQ(stamped_bytes.size(), old_bytes.size() + 9) << stamped.index();
    std::optional<Batch> decoded_old = DecodeBatch(old_bytes);
    std::optional<Batch> decoded_stamped = DecodeBatch(stamped_bytes);
    ASSERT_TRUE(decoded_old && decoded_stamped) << stamped.index();
    EXPECT_EQ(RequestMs(decoded_old->commands[0]), 0u);
    EXPECT_EQ(RequestMs(decoded_stamped->commands[0]), kRequestMs);
    EXPECT_EQ(EncodeBatch(*decoded_stamped), stamped_bytes);
    // The same in the journal.
    JournalEntry entry;
    entry.index = 1;
    entry.previous_hash = std::string(32, '\0');
    entry.commands = {stamped};
    entry.outcomes = {Outcome{}};
    entry.request_sizes = {1};
    std::optional<JournalEntry> journaled = DecodeJournalEntry(EncodeJournalEntry(entry));
    ASSERT_TRUE(journaled);
    EXPECT_EQ(RequestMs(journaled->commands[0]), kRequestMs);
  }
  // A command that spends no request nonce has no request_ms to carry, and a prefix is never 0 or
  // doubled.
  Command plain = MakeTransfer(1, 1, 2, 3);
  EXPECT_EQ(MutableRequestMs(&plain), nullptr);
  const std::string transfer = EncodeBatch(Batch{{MakeTransfer(1, 1, 2, 3)}, {1}});
  const std::string sent = EncodeBatch(Batch{{Command(send)}, {1}});
  const size_t at = 1 + 4 + 4 + 4;  // Version, one request size, the command count: the command.
  ASSERT_EQ(sent[at], 13);          // The WalletSend tag.
  ASSERT_EQ(transfer.size() + 8,
            sent.size());  // Same header; the command starts at the same offset.
  auto with_prefix = [&](const std::string& bytes, uint64_t ms, int times) {
    std::string prefix;
    for (int i = 0; i < times; ++i) {
      prefix.push_back(static_cast<char>(43));
      for (int k = 0; k < 8; ++k) prefix.push_back(static_cast<char>((ms >> (8 * k)) & 0xff));
    }
    return bytes.substr(0, at) + prefix + bytes.substr(at);
  };
  EXPECT_TRUE(DecodeBatch(with_prefix(sent, kRequestMs, 1)));
  EXPECT_FALSE(DecodeBatch(with_prefix(sent, 0, 1)));
  EXPECT_FALSE(DecodeBatch(with_prefix(sent, kRequestMs, 2)));
  EXPECT_FALSE(DecodeBatch(with_prefix(transfer, kRequestMs, 1)));
}

TEST_F(JournalTest, FlippedByteIsFoundAtItsEntry) {
  std::string bytes = Stored(4);
  bytes[bytes.size() / 2] ^= 0x01;
  Overwrite(4, bytes);
  VerifyReport report = VerifyJournal(ledger_.state());
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.first_bad_index, 4u);
  EXPECT_NE(report.problem.find("hash"), std::string::npos) << report.problem;
}

TEST_F(JournalTest, RehashedForgeryBreaksTheNextLink) {
  // An attacker who rewrites entry 2 (the accounts) and fixes its own hash is caught by entry 3's
  // link.
  std::optional<JournalEntry> entry = DecodeJournalEntry(Stored(2));
  ASSERT_TRUE(entry);
  ASSERT_TRUE(std::holds_alternative<Account>(entry->commands[0]));
  std::get<Account>(entry->commands[0]).user_data = 42;
  Overwrite(2, EncodeJournalEntry(*entry));
  VerifyReport report = VerifyJournal(ledger_.state());
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.first_bad_index, 3u);
}

TEST_F(JournalTest, MissingEntryIsReported) {
  WriteSet writes;
  writes.entries.emplace_back(keys::Journal(5), std::nullopt);
  ledger_.mutable_state().Apply(writes);
  VerifyReport report = VerifyJournal(ledger_.state());
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.first_bad_index, 5u);
}

TEST_F(JournalTest, TruncatedBytesDoNotDecode) {
  const std::string bytes = Stored(6);
  for (size_t cut = 0; cut < bytes.size(); cut += 7) {
    EXPECT_FALSE(DecodeJournalEntry(bytes.substr(0, cut))) << cut;
  }
}

}  // namespace
}  // namespace ledger
