// Four-eyes proposals: a change that needs two operators (issue 16). One operator proposes it
// (Propose), a second, different operator approves it (Approve) before it expires; only then is it
// applied, exactly as if submitted directly. Both names are fields of the journaled commands (the
// services take them from the caller's authenticated identity, never from a request field).
//
// Which commands need four eyes (FourEyesKind below, and BatchApplier::FourEyesGate): once a
// ledger has a four-eyes setting (SetFourEyes; until then nothing is gated, so entries written
// before it replay as they were):
//  - a transfer from an ISSUER account (creating coin) above the setting's issuance threshold (not
//    the post or void of a pending: its creation was checked);
//  - any change of fees (PosFees), of budget grants (GrantSubsidy: who may spend a BUDGET account
//    as a subsidy), and of the four-eyes setting itself.
// A gated command submitted directly answers four_eyes_required and decides nothing.
//
// Example: the treasurer "city-treasurer" proposes a 5,000,000 top-up (Propose{id,
// "city-treasurer", 86400, EncodeProposedCommands({Transfer{...}})}); "deputy-treasurer" approves
// it (Approve{id, "deputy-treasurer"}) within 24 hours: the transfer applies, the approval's
// outcome is its result.
#ifndef LEDGER_CORE_PROPOSALS_H_
#define LEDGER_CORE_PROPOSALS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/core/codec.h"
#include "ledger/core/kv.h"
#include "ledger/core/limits.h"
#include "ledger/core/types.h"

namespace ledger {

// Proposes commands (their EncodeBatch bytes: EncodeProposedCommands in state_machine.h) for a
// second operator's approval. Results: id_must_not_be_zero; proposal_invalid (a proposer name that
// is not ValidOperatorName, a lifetime of 0 or above kProposalLifetimeSecondsMax, bytes that do not
// decode to 1..kProposalCommandsMax commands, or a proposal command among them); the same id again
// is a duplicate when the fields match, exists_with_different_fields when not.
struct Propose {
  Id128 id;
  std::string proposer;
  int64_t lifetime_seconds = 0;  // Expires at the batch stamp + this.
  std::string commands;          // EncodeBatch bytes of the proposed commands.
  bool operator==(const Propose&) const = default;
};

// Approves a pending proposal: results proposal_not_found, proposal_not_pending (approved,
// failed or rejected already: it never applies twice), proposal_expired (the batch stamp is at or
// past its expiry), four_eyes_same_operator (the approver proposed it), proposal_invalid (not a
// valid operator name). Otherwise the proposed commands apply, all or nothing, past the four-eyes
// gate; the approval's result is the first failing command's result (the proposal is then
// failed) or ok (approved). The movement itself is in the transfers and histories as usual.
struct Approve {
  Id128 id;
  std::string approver;
  bool operator==(const Approve&) const = default;
};

// Rejects a pending proposal (another operator), or withdraws it (its proposer): it can no longer
// be approved. Results proposal_not_found, proposal_not_pending, proposal_invalid (name).
struct RejectProposal {
  Id128 id;
  std::string by;
  bool operator==(const RejectProposal&) const = default;
};

// The four-eyes setting: a transfer from an ISSUER account above issuance_threshold (minor units
// of its asset) needs a proposal and an approval. The first SetFourEyes turns the rule on (and is
// itself ungated); every later one is gated. Results: amount_exceeds_limit (negative or above
// kAmountMax).
struct SetFourEyes {
  int64_t issuance_threshold = 0;
  bool operator==(const SetFourEyes&) const = default;
};

enum class ProposalState : uint8_t {
  kPending = 0,
  kApproved = 1,
  kFailed = 2,  // Approved, but a proposed command failed: nothing of it applied.
  kRejected = 3,
};
const char* ProposalStateName(ProposalState state);

struct ProposalRecord {
  Propose request;
  Timestamp proposed_at = 0;
  Timestamp expires_at = 0;
  ProposalState state = ProposalState::kPending;
  uint8_t result = 0;      // Failed: the failing command's Result.
  std::string decided_by;  // The approver or rejecter.
  Timestamp decided_at = 0;
};

std::string EncodeProposal(const ProposalRecord& record);
std::optional<ProposalRecord> DecodeProposal(std::string_view bytes);

// The four-eyes setting; nullopt while the rule is off (no SetFourEyes applied yet).
std::optional<SetFourEyes> ReadFourEyes(const KvReader& state);
std::optional<ProposalRecord> LookupProposal(const KvReader& state, const Id128& id);
// Pending proposals not expired at `now`, in id order, at most `limit`.
std::vector<ProposalRecord> ListPendingProposals(const KvReader& state, Timestamp now,
                                                 size_t limit);

}  // namespace ledger

#endif  // LEDGER_CORE_PROPOSALS_H_
