// Commands, their outcomes, and the append-only, hash-chained journal.
//
// Every applied batch becomes one journal entry holding the batch's logical timestamp, the commands
// as submitted, each command's outcome, and the events the ledger made itself (expiry, timed-out
// pendings). Each entry stores the BLAKE2b-256 hash of the previous entry, and its own hash over
// its exact stored bytes, so changing any byte of any entry breaks the chain from there on. The
// change stream is read from the journal. Byte layout: ledger/FORMAT.md.
#ifndef LEDGER_CORE_JOURNAL_H_
#define LEDGER_CORE_JOURNAL_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "ledger/core/campaigns.h"
#include "ledger/core/command.h"
#include "ledger/core/health.h"
#include "ledger/core/kv.h"
#include "ledger/core/pos.h"
#include "ledger/core/records.h"
#include "ledger/core/tasks.h"
#include "ledger/core/types.h"

namespace ledger {

// The signed request a command came from, for the commands that spend a request nonce (WalletSend,
// PosPayment, RegisterDevice, SetConsent, ExchangePoints, EraseStepData, SetWatchOver, AckAlert,
// ApplyTask, CancelSlots, CheckIn; StepReport: when the Health service admitted it): its timestamp,
// covered by the signature the service checked. The core refuses the command unless the batch stamp
// is within kSignedRequestWindowMs of it (request_expired, request_not_yet_valid), and keeps the
// nonces it spends only until request_ms + kSignedRequestWindowMs: a replay after that is refused
// by the window, so forgetting the nonce reopens nothing. 0 (entries written before it, operator
// commands): no window check, and the nonce is kept for ever.
uint64_t RequestMs(const Command& command);
// The field itself; nullptr for a command kind that has none.
uint64_t* MutableRequestMs(Command* command);

// What became of one command.
struct Outcome {
  Result result = Result::kOk;
  bool duplicate =
      false;  // The id was decided earlier; these are the original result and timestamp.
  Timestamp timestamp = 0;
  // For a transfer that moved or released value (result ok, not duplicate): the effective movement.
  // For post/void these are the pending's accounts and the amount posted or voided.
  AssetId asset = 0;
  AccountId debit_account_id;
  AccountId credit_account_id;
  int64_t amount = 0;
};

enum class SystemEventType : uint8_t {
  kExpiry = 1,          // A lapsed lot moved from a wallet to the asset's breakage account.
  kPendingExpired = 2,  // A pending transfer timed out; its reservation was released.
  kFee = 3,  // The fee transfer of a cash-out or supplier payment (command in the same entry).
  kExchangeCoin = 4,  // The coin leg of a points exchange (command in the same entry).
  kTaskPaid = 5,  // A task day paid from escrow to the visitor after the dispute window (sweep).
  kTaskReturned =
      6,  // A task reservation voided when the task was over (sweep): back to host or subsidy.
  kTaskPosted = 7,         // A task reservation posted into escrow (a confirmed or released day).
  kCampaignAward = 8,      // A campaign's award for the payment in the same command.
  kCampaignClawback = 9,   // An award clawed back by the refund or cancel in the same command.
  kApprovedTransfer = 10,  // A transfer a four-eyes approval in the same entry applied (its id).
};

struct SystemEvent {
  SystemEventType type = SystemEventType::kExpiry;
  TransferId
      id;  // kExpiry: the reserved id of the breakage transfer; kPendingExpired: the pending's id.
  AccountId debit_account_id;
  AccountId credit_account_id;
  AssetId asset = 0;
  int64_t amount = 0;
  Timestamp timestamp = 0;
};

// Transfer code of the ledger's own expiry transfers.
inline constexpr uint32_t kCodeExpiry = 0xffffff01;

struct JournalEntry {
  uint64_t index = 0;             // 1, 2, 3, ...
  Timestamp batch_timestamp = 0;  // The logical time assigned to the batch.
  Timestamp last_timestamp = 0;   // The clock after the batch (last event's timestamp).
  std::string previous_hash;      // 32 bytes; all zero for index 1.
  std::vector<SystemEvent> system_events;
  std::vector<uint32_t>
      request_sizes;  // The client requests the commands came in (chains end with one).
  std::vector<Command> commands;
  std::vector<Outcome> outcomes;  // One per command.
  // Empty, or one per request: the operator who sent it ("" for the public services). Encoded
  // after the commands only when not empty, so entries without operators keep their bytes.
  std::vector<std::string> request_operators;
};

// The journal head as kept in state: newest index, its hash, and the logical clock.
struct JournalHead {
  uint64_t index = 0;
  std::string hash = std::string(32, '\0');
  Timestamp clock = 0;
};

// The operator of each command of the entry (the one of its request; "" for the public services
// and entries without operators).
std::vector<std::string> CommandOperators(const JournalEntry& entry);

// Whether every string of a command is within its bound in limits.h, as the services admit them.
// The batch decoder (replication) refuses a command that is not, so no replica applies one.
bool CommandWithinBounds(const Command& command);

// Encodes with the entry's own hash appended (the last 32 bytes).
std::string EncodeJournalEntry(const JournalEntry& entry);
std::optional<JournalEntry> DecodeJournalEntry(std::string_view bytes);
// The hash an encoded entry carries (its last 32 bytes), and whether it matches the bytes before
// it.
std::string_view StoredEntryHash(std::string_view bytes);
bool EntryHashMatches(std::string_view bytes);

std::string EncodeHead(const JournalHead& head);
std::optional<JournalHead> DecodeHead(std::string_view bytes);
JournalHead ReadHead(const KvReader& state);

// Who did what, checked along the journal (`ledgerctl verify`): replays the role table from the
// entries' SetOperatorRoles outcomes and checks each request that carries an operator: the name is
// valid, and each of its commands was decided as the roles the operator held at that point allow
// (applied or refused for something else when allowed; operator_not_permitted when not). Requests
// without an operator (the public services, entries written before operator ids) are not checked.
class OperatorJournalCheck {
 public:
  // Entries in journal order, from entry 1: "" or the first problem, naming the entry and command.
  std::string Check(const JournalEntry& entry);
  // Commands checked so far that came from an operator.
  uint64_t operator_commands() const { return operator_commands_; }

 private:
  void ReplayRoles(const JournalEntry& entry, size_t begin, size_t end);
  // What OperatorMayRunCommand needs of a Propose or Approve (proposals_ or the command's own).
  const std::vector<Command>* ProposedCommands(const Command& command);

  std::map<std::string, RoleSet> roles_;
  std::map<Id128, std::vector<Command>> proposals_;  // Stored proposals' commands, by id.
  std::optional<std::vector<Command>> scratch_;
  bool bootstrapped_ = false;
  uint64_t operator_commands_ = 0;
};

struct VerifyReport {
  bool ok = true;
  uint64_t entries_checked = 0;
  uint64_t first_bad_index = 0;    // 0 when ok.
  std::string problem;             // Human-readable, names the index and what did not match.
  uint64_t operator_commands = 0;  // Commands from operators checked (OperatorJournalCheck).
};

// Walks every entry from 1 to the head: each entry's hash matches its bytes, links to the previous
// entry's hash, carries its own index, its operator ids agree with the role table
// (OperatorJournalCheck), and the last one is the head. Reports the first mismatch.
// progress (may be null) is called every few thousand entries with the index reached.
VerifyReport VerifyJournal(const KvReader& state,
                           const std::function<void(uint64_t)>& progress = {});

}  // namespace ledger

#endif  // LEDGER_CORE_JOURNAL_H_
