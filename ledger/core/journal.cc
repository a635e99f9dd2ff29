// Journal entry encoding and chain verification. Layout: ledger/FORMAT.md.
#include "ledger/core/journal.h"

#include <array>
#include <type_traits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "ledger/core/codec.h"
#include "ledger/core/keys.h"
#include "ledger/core/limits.h"
#include "ledger/core/state_machine.h"

namespace ledger {
namespace {

constexpr uint8_t kEntryVersion = 1;
constexpr uint8_t kHeadVersion = 1;
constexpr uint8_t kBatchVersion = 1;
constexpr size_t kHashBytes = 32;
// How often VerifyJournal reports progress.
constexpr uint64_t kVerifyProgressEvery = 4096;

// The tag a command is written with: its own (CommandTraits::kTag), or, for the four commands that
// have one, its second form (kAltTag), which older versions could not write or which carries more.
template <class T>
uint8_t WireTag(const T& c, bool journal) {
  using Traits = CommandTraits<T>;
  if constexpr (std::is_same_v<T, StepReport>) {
    return journal ? Traits::kAltTag
                   : Traits::kTag;  // 19 as journaled (commitment), 18 as submitted.
  } else if constexpr (std::is_same_v<T, RegisterKey>) {
    return c.manager || !c.by_terminal.empty() ? Traits::kAltTag
                                               : Traits::kTag;  // 36 with a role, else 12.
  } else if constexpr (std::is_same_v<T, CancelSlots>) {
    return c.nonce != 0 ? Traits::kAltTag : Traits::kTag;  // 39 with a nonce, else 28.
  } else if constexpr (std::is_same_v<T, PosPayment>) {
    return c.attempt != 0 ? Traits::kAltTag : Traits::kTag;  // 40 with an attempt nonce, else 5.
  } else {
    static_assert(Traits::kAltTag == 0, "a command with a second tag needs its case here");
    return Traits::kTag;
  }
}

// journal: encode as the journal keeps it (a step report's health data replaced by its commitment).
void EncodeCommand(const Command& command, Encoder* e, bool journal) {
  if (const uint64_t request_ms = RequestMs(command); request_ms != 0) {
    e->U8(kRequestTimeTag);
    e->U64(request_ms);
  }
  std::visit(
      [&](const auto& c) {
        using T = std::decay_t<decltype(c)>;
        const uint8_t tag = WireTag(c, journal);
        e->U8(tag);
        FieldWriter io(e, tag);
        if constexpr (std::is_same_v<T, StepReport>) {
          if (journal && c.commitment.empty()) {
            StepReport committed = c;
            committed.commitment = StepCommitment(c.salt, c.steps, c.signature);
            CommandTraits<T>::Fields(io, committed);
            return;
          }
        }
        CommandTraits<T>::Fields(io, c);
      },
      command);
}

// Whether every string of a command is within its bound: each command's WithinBounds in its
// CommandTraits (command.h), which a command cannot lack.
struct WithinBounds {
  template <class T>
  bool operator()(const T& c) const {
    return CommandTraits<T>::WithinBounds(c);
  }
};

}  // namespace

std::vector<std::string> CommandOperators(const JournalEntry& entry) {
  std::vector<std::string> operators(entry.commands.size());
  if (entry.request_operators.size() != entry.request_sizes.size()) return operators;
  size_t command = 0;
  for (size_t r = 0; r < entry.request_sizes.size(); ++r) {
    for (uint32_t i = 0; i < entry.request_sizes[r] && command < operators.size(); ++i) {
      operators[command++] = entry.request_operators[r];
    }
  }
  return operators;
}

bool CommandWithinBounds(const Command& command) { return std::visit(WithinBounds{}, command); }

uint64_t* MutableRequestMs(Command* command) {
  return std::visit(
      [](auto& c) -> uint64_t* {
        if constexpr (requires { c.request_ms; }) {
          return &c.request_ms;
        } else {
          return nullptr;
        }
      },
      *command);
}

uint64_t RequestMs(const Command& command) {
  return std::visit(
      [](const auto& c) -> uint64_t {
        if constexpr (requires { c.request_ms; }) {
          return c.request_ms;
        } else {
          return 0;
        }
      },
      command);
}

namespace {

// Decoding dispatches on the tag through a table generated from the command table (command.h).
using CommandDecoder = std::optional<Command> (*)(uint8_t tag, Decoder* d);

template <class T>
std::optional<Command> DecodeAs(uint8_t tag, Decoder* d) {
  T c;
  FieldReader io(d, tag);
  CommandTraits<T>::Fields(io, c);
  return Command(std::move(c));
}

template <size_t... I>
constexpr std::array<CommandDecoder, 256> MakeCommandDecoders(std::index_sequence<I...>) {
  std::array<CommandDecoder, 256> decoders{};
  (
      [&] {
        using T = std::variant_alternative_t<I, Command>;
        decoders[CommandTraits<T>::kTag] = &DecodeAs<T>;
        if (CommandTraits<T>::kAltTag != 0) decoders[CommandTraits<T>::kAltTag] = &DecodeAs<T>;
      }(),
      ...);
  return decoders;
}

constexpr std::array<CommandDecoder, 256> kCommandDecoders =
    MakeCommandDecoders(std::make_index_sequence<std::variant_size_v<Command>>());

std::optional<Command> DecodeTaggedCommand(uint8_t tag, Decoder* d) {
  const CommandDecoder decode = kCommandDecoders[tag];
  if (decode == nullptr) return std::nullopt;  // Unknown, or a second request-time prefix.
  return decode(tag, d);
}

std::optional<Command> DecodeUncheckedCommand(Decoder* d) {
  const uint8_t tag = d->U8();
  if (tag != kRequestTimeTag) return DecodeTaggedCommand(tag, d);
  const uint64_t request_ms = d->U64();
  std::optional<Command> command = DecodeTaggedCommand(d->U8(), d);
  uint64_t* field = command ? MutableRequestMs(&*command) : nullptr;
  // Only a command that spends a request nonce has one, and 0 is written as no prefix at all.
  if (field == nullptr || request_ms == 0) return std::nullopt;
  *field = request_ms;
  return command;
}

// bounds: kChecked for a batch about to be applied (the replicated log): a command holding a string
// longer than its bound in limits.h is refused, so a replica never applies what no service would
// have let through. kAsStored for the journal: entries are history, hashed and chained, and must
// stay readable even if an earlier version journaled an oversize command.
enum class Bounds : uint8_t { kChecked, kAsStored };
std::optional<Command> DecodeCommand(Decoder* d, Bounds bounds) {
  std::optional<Command> command = DecodeUncheckedCommand(d);
  if (command && bounds == Bounds::kChecked && !std::visit(WithinBounds{}, *command))
    return std::nullopt;
  return command;
}

// The movement of a transfer that moved exactly what its command says (nearly all of them): the
// asset alone (marker 2) instead of asset, debit, credit and amount (marker 1): 40 bytes less per
// transfer in every journal entry.
const Transfer* MovedAsCommanded(const Outcome& outcome, const Command& command) {
  const Transfer* transfer = std::get_if<Transfer>(&command);
  if (transfer == nullptr || transfer->debit_account_id != outcome.debit_account_id ||
      transfer->credit_account_id != outcome.credit_account_id ||
      transfer->amount != outcome.amount) {
    return nullptr;
  }
  return transfer;
}

void EncodeOutcome(const Outcome& outcome, const Command& command, Encoder* e) {
  e->U8(static_cast<uint8_t>(outcome.result));
  e->U8(outcome.duplicate ? 1 : 0);
  e->U64(outcome.timestamp);
  if (outcome.asset == 0) {
    e->U8(0);
    return;
  }
  if (MovedAsCommanded(outcome, command) != nullptr) {
    e->U8(2);
    e->U32(outcome.asset);
    return;
  }
  e->U8(1);
  e->U32(outcome.asset);
  e->Id(outcome.debit_account_id);
  e->Id(outcome.credit_account_id);
  e->I64(outcome.amount);
}

std::optional<Outcome> DecodeOutcome(const Command& command, Decoder* d) {
  Outcome outcome;
  outcome.result = static_cast<Result>(d->U8());
  outcome.duplicate = d->U8() != 0;
  outcome.timestamp = d->U64();
  const uint8_t moved = d->U8();
  if (moved == 0) return outcome;
  outcome.asset = d->U32();
  if (moved == 2) {
    const Transfer* transfer = std::get_if<Transfer>(&command);
    if (transfer == nullptr) return std::nullopt;
    outcome.debit_account_id = transfer->debit_account_id;
    outcome.credit_account_id = transfer->credit_account_id;
    outcome.amount = transfer->amount;
    return outcome;
  }
  if (moved != 1) return std::nullopt;
  outcome.debit_account_id = d->Id();
  outcome.credit_account_id = d->Id();
  outcome.amount = d->I64();
  return outcome;
}

// The request-operators section (after the commands, only when some request has an operator).
void EncodeOperators(const std::vector<std::string>& operators, Encoder* e) {
  if (operators.empty()) return;
  e->U8(kRequestOperatorsTag);
  e->U32(static_cast<uint32_t>(operators.size()));
  for (const std::string& name : operators) e->Bytes(name);
}

// Reads the section if the bytes go on after the commands: one name per request, each "" or at most
// kOperatorNameLengthMax bytes. False when malformed.
bool DecodeOperators(Decoder* d, size_t request_count, std::vector<std::string>* operators) {
  if (d->done()) return true;
  if (d->U8() != kRequestOperatorsTag || d->U32() != request_count || !d->ok()) return false;
  operators->reserve(request_count);
  for (size_t i = 0; i < request_count; ++i) {
    operators->push_back(d->Bytes());
    if (!d->ok() || operators->back().size() > kOperatorNameLengthMax) return false;
  }
  return request_count > 0;
}

}  // namespace

std::string EncodeBatch(const Batch& batch) {
  std::string out;
  out.reserve(16 + batch.request_sizes.size() * 4 + batch.commands.size() * 128);
  Encoder e(&out);
  e.U8(kBatchVersion);
  e.U32(static_cast<uint32_t>(batch.request_sizes.size()));
  for (uint32_t size : batch.request_sizes) e.U32(size);
  e.U32(static_cast<uint32_t>(batch.commands.size()));
  for (const Command& command : batch.commands) EncodeCommand(command, &e, /*journal=*/false);
  EncodeOperators(batch.request_operators, &e);
  return out;
}

std::optional<Batch> DecodeBatch(std::string_view bytes) {
  Decoder d(bytes);
  if (d.U8() != kBatchVersion) return std::nullopt;
  Batch batch;
  const uint32_t request_count = d.U32();
  if (!d.ok() || request_count > d.remaining() / 4) return std::nullopt;
  batch.request_sizes.resize(request_count);
  for (uint32_t& size : batch.request_sizes) size = d.U32();
  const uint32_t command_count = d.U32();
  if (!d.ok() || command_count > d.remaining()) return std::nullopt;
  batch.commands.reserve(command_count);
  for (uint32_t i = 0; i < command_count; ++i) {
    std::optional<Command> command = DecodeCommand(&d, Bounds::kChecked);
    if (!command || !d.ok()) return std::nullopt;
    batch.commands.push_back(std::move(*command));
  }
  if (!DecodeOperators(&d, request_count, &batch.request_operators)) return std::nullopt;
  if (!d.done()) return std::nullopt;
  return batch;
}

std::string EncodeJournalEntry(const JournalEntry& entry) {
  std::string out;
  out.reserve(64 + entry.commands.size() * 160 + entry.system_events.size() * 80);
  Encoder e(&out);
  e.U8(kEntryVersion);
  e.U64(entry.index);
  e.U64(entry.batch_timestamp);
  e.U64(entry.last_timestamp);
  e.Bytes(entry.previous_hash);
  e.U32(static_cast<uint32_t>(entry.system_events.size()));
  for (const SystemEvent& event : entry.system_events) {
    e.U8(static_cast<uint8_t>(event.type));
    e.Id(event.id);
    e.Id(event.debit_account_id);
    e.Id(event.credit_account_id);
    e.U32(event.asset);
    e.I64(event.amount);
    e.U64(event.timestamp);
  }
  e.U32(static_cast<uint32_t>(entry.request_sizes.size()));
  for (uint32_t size : entry.request_sizes) e.U32(size);
  e.U32(static_cast<uint32_t>(entry.commands.size()));
  for (size_t i = 0; i < entry.commands.size(); ++i) {
    EncodeCommand(entry.commands[i], &e, /*journal=*/true);
    EncodeOutcome(entry.outcomes[i], entry.commands[i], &e);
  }
  EncodeOperators(entry.request_operators, &e);
  out += Blake2b256(out);
  return out;
}

std::optional<JournalEntry> DecodeJournalEntry(std::string_view bytes) {
  if (bytes.size() < kHashBytes) return std::nullopt;
  Decoder d(bytes.substr(0, bytes.size() - kHashBytes));
  if (d.U8() != kEntryVersion) return std::nullopt;
  JournalEntry entry;
  entry.index = d.U64();
  entry.batch_timestamp = d.U64();
  entry.last_timestamp = d.U64();
  entry.previous_hash = d.Bytes();
  const uint32_t event_count = d.U32();
  if (!d.ok() || event_count > d.remaining()) return std::nullopt;
  entry.system_events.resize(event_count);
  for (SystemEvent& event : entry.system_events) {
    event.type = static_cast<SystemEventType>(d.U8());
    event.id = d.Id();
    event.debit_account_id = d.Id();
    event.credit_account_id = d.Id();
    event.asset = d.U32();
    event.amount = d.I64();
    event.timestamp = d.U64();
  }
  const uint32_t request_count = d.U32();
  if (!d.ok() || request_count > d.remaining() / 4) return std::nullopt;
  entry.request_sizes.resize(request_count);
  for (uint32_t& size : entry.request_sizes) size = d.U32();
  const uint32_t command_count = d.U32();
  if (!d.ok() || command_count > d.remaining()) return std::nullopt;
  entry.commands.reserve(command_count);
  entry.outcomes.reserve(command_count);
  for (uint32_t i = 0; i < command_count; ++i) {
    std::optional<Command> command = DecodeCommand(&d, Bounds::kAsStored);
    if (!command || !d.ok()) return std::nullopt;
    std::optional<Outcome> outcome = DecodeOutcome(*command, &d);
    if (!outcome) return std::nullopt;
    entry.commands.push_back(std::move(*command));
    entry.outcomes.push_back(*outcome);
  }
  if (!DecodeOperators(&d, request_count, &entry.request_operators)) return std::nullopt;
  if (!d.done()) return std::nullopt;
  return entry;
}

std::string_view StoredEntryHash(std::string_view bytes) {
  if (bytes.size() < kHashBytes) return {};
  return bytes.substr(bytes.size() - kHashBytes);
}

bool EntryHashMatches(std::string_view bytes) {
  if (bytes.size() < kHashBytes) return false;
  return Blake2b256(bytes.substr(0, bytes.size() - kHashBytes)) == StoredEntryHash(bytes);
}

std::string EncodeHead(const JournalHead& head) {
  std::string out;
  Encoder e(&out);
  e.U8(kHeadVersion);
  e.U64(head.index);
  e.Bytes(head.hash);
  e.U64(head.clock);
  return out;
}

std::optional<JournalHead> DecodeHead(std::string_view bytes) {
  Decoder d(bytes);
  if (d.U8() != kHeadVersion) return std::nullopt;
  JournalHead head;
  head.index = d.U64();
  head.hash = d.Bytes();
  head.clock = d.U64();
  if (!d.done() || head.hash.size() != kHashBytes) return std::nullopt;
  return head;
}

JournalHead ReadHead(const KvReader& state) {
  std::string bytes;
  if (!state.Get(keys::Head(), &bytes)) return JournalHead{};
  std::optional<JournalHead> head = DecodeHead(bytes);
  if (!head) {
    // The head is written only by the core; an undecodable head means the store is corrupt.
    fprintf(stderr, "FATAL: journal head record is corrupt\n");
    abort();
  }
  return *head;
}

VerifyReport VerifyJournal(const KvReader& state, const std::function<void(uint64_t)>& progress) {
  VerifyReport report;
  const JournalHead head = ReadHead(state);
  std::string previous_hash(kHashBytes, '\0');
  uint64_t expected_index = 1;
  OperatorJournalCheck operators;
  auto fail = [&](uint64_t index, std::string problem) {
    report.ok = false;
    report.first_bad_index = index;
    report.problem = std::move(problem);
    return false;
  };
  state.Scan(
      keys::Journal(1), std::string(1, keys::kJournal + 1), /*reverse=*/false,
      [&](std::string_view key, std::string_view value) {
        const uint64_t index = keys::DecodeJournal(key);
        if (index != expected_index) {
          return fail(expected_index, absl::StrCat("entry ", expected_index, " is missing"));
        }
        if (!EntryHashMatches(value)) {
          return fail(index,
                      absl::StrCat("entry ", index, ": stored hash does not match its bytes"));
        }
        std::optional<JournalEntry> entry = DecodeJournalEntry(value);
        if (!entry) return fail(index, absl::StrCat("entry ", index, ": undecodable"));
        if (entry->index != index) {
          return fail(index, absl::StrCat("entry ", index, ": carries index ", entry->index));
        }
        if (entry->previous_hash != previous_hash) {
          return fail(index, absl::StrCat("entry ", index,
                                          ": previous-hash link does not match entry ", index - 1));
        }
        if (std::string problem = operators.Check(*entry); !problem.empty()) {
          return fail(index, std::move(problem));
        }
        previous_hash = std::string(StoredEntryHash(value));
        report.entries_checked = index;
        ++expected_index;
        if (progress && index % kVerifyProgressEvery == 0) progress(index);
        return true;
      });
  report.operator_commands = operators.operator_commands();
  if (!report.ok) return report;
  if (report.entries_checked != head.index) {
    fail(report.entries_checked + 1, absl::StrCat("journal ends at ", report.entries_checked,
                                                  " but the head says ", head.index));
  } else if (head.index > 0 && head.hash != previous_hash) {
    fail(head.index, absl::StrCat("head hash does not match entry ", head.index));
  }
  return report;
}

}  // namespace ledger
