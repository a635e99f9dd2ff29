// Conversions between the gRPC messages (proto/ledger.proto) and the core's types, with the shape
// checks that belong to the API boundary: every error names the field and the limit, e.g.
// "transfers[3].id: must be 16 bytes, got 5". The length of every string and bytes field is checked
// before conversion, by CheckFieldBounds (ledger/server/field_bounds.h); ids, which the conversion
// needs, are checked here too (with the same message). Semantic checks are the core's (per-item
// results).
#ifndef LEDGER_SERVER_CONVERT_H_
#define LEDGER_SERVER_CONVERT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ledger/core/journal.h"
#include "ledger/core/records.h"
#include "proto/ledger.pb.h"

namespace ledger {

// Parses a 16-byte id; empty is allowed when allow_empty (returns the zero id).
absl::StatusOr<Id128> IdFromProto(const std::string& bytes, const std::string& field,
                                  bool allow_empty);

absl::StatusOr<std::vector<Command>> AssetsFromProto(const v1::CreateAssetsRequest& request);
absl::StatusOr<std::vector<Command>> AccountsFromProto(const v1::CreateAccountsRequest& request);
absl::StatusOr<std::vector<Command>> ClosesFromProto(const v1::CloseAccountsRequest& request);
absl::StatusOr<std::vector<Command>> KeysFromProto(const v1::RegisterKeysRequest& request);
absl::StatusOr<std::vector<Command>> RevocationsFromProto(const v1::RevokeKeysRequest& request);
absl::StatusOr<std::vector<Command>> FeesFromProto(const v1::SetFeesRequest& request);
absl::StatusOr<std::vector<Command>> SubsidyGrantsFromProto(
    const v1::GrantSubsidiesRequest& request);
// A health program version; unset figures take the defaults of HealthProgram
// (ledger/core/health.h).
absl::StatusOr<HealthProgram> HealthProgramFromProto(const v1::HealthProgram& in);
void HealthProgramToProto(const HealthProgram& program, v1::HealthProgram* out);
absl::StatusOr<std::vector<Command>> TransfersFromProto(const v1::CreateTransfersRequest& request);

// Checks a request's item count: 1..kBatchItemsMax.
absl::Status CheckItemCount(int count, const std::string& field);

void AssetToProto(const Asset& asset, v1::Asset* out);
void AccountToProto(const Account& account, v1::Account* out);
void TransferToProto(const Transfer& transfer, v1::Transfer* out);
void OutcomesToProto(const std::vector<Outcome>& outcomes, uint64_t journal_index,
                     v1::CreateReply* out);

// The change-stream events of one journal entry, in order.
std::vector<v1::Event> EventsFromEntry(const JournalEntry& entry);

}  // namespace ledger

#endif  // LEDGER_SERVER_CONVERT_H_
