// The state machine's entry points: see state_machine.h for the rules. The applier is in
// batch_applier.h; its batch loop in batch_applier.cc and each domain's commands in the domain's
// own file.
#include "ledger/core/state_machine.h"

#include "absl/strings/str_cat.h"
#include "ledger/core/batch_applier.h"
#include "ledger/core/limits.h"
#include "ledger/core/operator_name.h"

namespace ledger {

Timestamp NextBatchTimestampMin(const KvReader& state) { return ReadHead(state).clock + 1; }

absl::StatusOr<ApplyOutput> ApplyBatch(const KvReader& state, Timestamp timestamp,
                                       const Batch& batch, ApplyCounters* counters) {
  if (batch.commands.empty()) return absl::InvalidArgumentError("batch: no commands");
  if (batch.commands.size() > static_cast<size_t>(kBatchItemsMax)) {
    return absl::InvalidArgumentError(
        absl::StrCat("batch: ", batch.commands.size(), " commands, at most ", kBatchItemsMax));
  }
  uint64_t partitioned = 0;
  for (uint32_t size : batch.request_sizes) {
    if (size == 0) return absl::InvalidArgumentError("batch: empty request in request_sizes");
    partitioned += size;
  }
  if (partitioned != batch.commands.size()) {
    return absl::InvalidArgumentError("batch: request_sizes do not partition the commands");
  }
  if (!batch.request_operators.empty()) {
    if (batch.request_operators.size() != batch.request_sizes.size()) {
      return absl::InvalidArgumentError("batch: request_operators is not one per request");
    }
    for (const std::string& name : batch.request_operators) {
      if (!name.empty() && !ValidOperatorName(name)) {
        return absl::InvalidArgumentError("batch: request_operators holds an invalid name");
      }
    }
  }
  const JournalHead head = ReadHead(state);
  if (timestamp <= head.clock) {
    return absl::FailedPreconditionError(
        absl::StrCat("batch timestamp ", timestamp, " is not after the ledger clock ", head.clock));
  }
  // Every event takes one timestamp; they must not wrap.
  if (timestamp > UINT64_MAX - 2 * static_cast<uint64_t>(kSweepItemsMax + kBatchItemsMax)) {
    return absl::FailedPreconditionError("batch timestamp too close to the end of the clock");
  }
  BatchApplier applier(state, timestamp, head, counters);
  return applier.Run(batch);
}

}  // namespace ledger
