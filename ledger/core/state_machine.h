// The ledger's deterministic state machine.
//
// Input: the committed state (read through KvReader), a batch of commands, and the logical
// timestamp assigned to the batch. Output: one outcome per command, one journal entry, and the
// write set that turns the old state into the new one. Nothing else: no clocks, threads, randomness
// or I/O. Applying the same batches to the same state gives byte-identical write sets on any
// machine, which is what lets replicas agree (replication applies the same batches in the same
// order).
//
// Rules, in the order they are applied to a batch with timestamp T:
//  1. Sweep: pendings whose timeout is <= T are released (state kExpired), and wallet lots whose
//  expiry
//     is <= T move to their asset's breakage account as ordinary transfers with reserved ids. At
//     most kSweepItemsMax items per batch; the rest are swept by the next batch, and until then a
//     lapsed lot cannot be spent and a timed-out pending cannot be posted (they are checked against
//     each command's own timestamp, not against the sweep).
//  2. Commands, in order. Event i of the batch (sweep events first) gets timestamp T + i.
//     * An id is decided once. Resubmitting a transfer id with the same request fields returns the
//       original outcome (duplicate = true), whether it succeeded or failed; with different fields
//       it is exists_with_different_fields. Outcomes that concern the chain rather than the
//       transfer (linked_event_failed, linked_event_chain_open) and malformed ids are not recorded.
//     * A client's post or void may not name a pending in the reserved id space (id_reserved): the
//       ledger's own pendings (task reservations) are resolved only by the rules that made them.
//     * A run of transfers with the LINKED flag, ended by one without it, succeeds or fails as a
//     whole.
//       A chain still open at the end of its request fails (linked_event_chain_open).
//  3. Balances: balance = posted credits - posted debits (the issuer goes negative by what it
//  issued, so
//     per asset the balances sum to zero). NON_NEGATIVE accounts keep balance - debits_pending >=
//     0.
//  4. Expiry lots: a NON_NEGATIVE wallet of an expiring asset holds its value as lots (expiry,
//  amount),
//     merged by expiry rounded up to the asset's granularity. Credits add a lot expiring
//     expiry_seconds after the credit; debits take unexpired lots, earliest expiry first; a pending
//     debit moves its lots into the pending transfer, and a post/void/timeout hands them on or
//     back. Invariant: sum(lots) == balance - debits_pending for every such wallet.
#ifndef LEDGER_CORE_STATE_MACHINE_H_
#define LEDGER_CORE_STATE_MACHINE_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "ledger/core/journal.h"
#include "ledger/core/kv.h"
#include "ledger/core/types.h"

namespace ledger {

// A batch: the commands of one or more client requests, in order. request_sizes partitions commands
// into the original requests (linked chains never cross a request boundary).
struct Batch {
  std::vector<Command> commands;
  std::vector<uint32_t> request_sizes;
  // Empty (every request from the public services), or one per request: the operator who sent it
  // (ledger/core/operators.h), "" for a request from the public services.
  std::vector<std::string> request_operators;
};

// A batch as a replicated log carries it (request sizes and commands, no outcomes): what every
// replica feeds to ApplyBatch. DecodeBatch returns nullopt on malformed bytes, and on a command
// holding a string longer than its bound in limits.h (what no service lets through: a replica never
// applies it).
std::string EncodeBatch(const Batch& batch);
std::optional<Batch> DecodeBatch(std::string_view bytes);

// Four-eyes (ledger/core/proposals.h). The command kinds that need a second operator whatever
// their fields once the rule is on: fees, budget grants, the four-eyes setting. The one predicate
// of what is gated by kind (roles: SetOperatorRoles joins it); issuance above the threshold is
// gated by its fields (BatchApplier::FourEyesGated).
bool AlwaysFourEyes(const Command& command);
// What a proposal may carry: a gated kind, or a transfer.
bool Proposable(const Command& command);
// A proposal's commands as Propose.commands holds them (EncodeBatch bytes of one request), and
// back: nullopt unless they decode to 1..kProposalCommandsMax commands, each Proposable.
std::string EncodeProposedCommands(const std::vector<Command>& commands);
std::optional<std::vector<Command>> DecodeProposedCommands(std::string_view bytes);

struct ApplyOutput {
  JournalEntry entry;       // Outcomes are entry.outcomes, one per command.
  std::string entry_bytes;  // The stored journal entry (ends with its hash).
  JournalHead head;         // The head after this batch.
  WriteSet writes;          // Everything to store, including the journal entry and head.
  // "" unless the batch broke the cheap invariant (per asset, balance changes sum to zero and
  // pending debits added equal pending credits added): a bug in the core. The shell must then not
  // store the batch, and stops taking writes (ledger/node/node.h).
  std::string invariant_violation;
};

// Plain counters for the shell's metrics.
struct ApplyCounters {
  uint64_t expired_lots = 0;
  uint64_t expired_pendings = 0;
  uint64_t history_folded =
      0;  // History entries folded into per-account segments (see FoldHistory).
  uint64_t pruned_nonces =
      0;  // Spent request nonces forgotten after their window (ledger/FORMAT.md, 'n').
};

// Applies one batch. Errors (nothing applied): InvalidArgument if the batch is empty, over
// kBatchItemsMax, or request_sizes do not partition it; FailedPrecondition if timestamp is not
// after the state's clock.
absl::StatusOr<ApplyOutput> ApplyBatch(const KvReader& state, Timestamp timestamp,
                                       const Batch& batch, ApplyCounters* counters = nullptr);

// The smallest timestamp the next batch may carry.
Timestamp NextBatchTimestampMin(const KvReader& state);

}  // namespace ledger

#endif  // LEDGER_CORE_STATE_MACHINE_H_
