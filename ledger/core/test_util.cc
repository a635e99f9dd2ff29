// Test helpers: see test_util.h.
#include "ledger/core/test_util.h"

#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "ledger/core/audit.h"
#include "ledger/core/query.h"

namespace ledger::testing {

Asset MakeAsset(AssetId id, const std::string& code, int64_t expiry_seconds, uint64_t breakage,
                int64_t granularity_seconds) {
  Asset asset;
  asset.id = id;
  asset.code = code;
  asset.expiry_seconds = expiry_seconds;
  asset.expiry_granularity_seconds = granularity_seconds;
  asset.breakage_account = Id(breakage);
  return asset;
}

Account MakeAccount(uint64_t id, AssetId asset, AccountKind kind, uint32_t flags,
                    const std::string& category) {
  Account account;
  account.id = Id(id);
  account.asset = asset;
  account.kind = kind;
  account.flags = flags;
  account.category = category;
  return account;
}

Transfer MakeTransfer(uint64_t id, uint64_t debit, uint64_t credit, int64_t amount, uint32_t flags,
                      uint32_t code) {
  Transfer transfer;
  transfer.id = Id(id);
  transfer.debit_account_id = Id(debit);
  transfer.credit_account_id = Id(credit);
  transfer.amount = amount;
  transfer.flags = flags;
  transfer.code = code;
  return transfer;
}

Transfer MakePost(uint64_t id, uint64_t pending_id, int64_t amount) {
  Transfer transfer;
  transfer.id = Id(id);
  transfer.pending_id = Id(pending_id);
  transfer.amount = amount;
  transfer.flags = transfer_flags::kPostPending;
  transfer.code = 1;
  return transfer;
}

Transfer MakeVoid(uint64_t id, uint64_t pending_id) {
  Transfer transfer = MakePost(id, pending_id, 0);
  transfer.flags = transfer_flags::kVoidPending;
  return transfer;
}

std::vector<Outcome> MemoryLedger::Apply(std::vector<Command> commands) {
  std::vector<std::vector<Command>> requests;
  requests.push_back(std::move(commands));
  return ApplyRequests(std::move(requests));
}

std::vector<Outcome> MemoryLedger::ApplyAs(std::string name, std::vector<Command> commands) {
  std::vector<std::vector<Command>> requests;
  requests.push_back(std::move(commands));
  return ApplyRequests(std::move(requests), {std::move(name)});
}

std::vector<Outcome> MemoryLedger::ApplyRequests(std::vector<std::vector<Command>> requests,
                                                 std::vector<std::string> operators) {
  Batch batch;
  batch.request_operators = std::move(operators);
  for (auto& request : requests) {
    batch.request_sizes.push_back(static_cast<uint32_t>(request.size()));
    for (auto& command : request) batch.commands.push_back(std::move(command));
  }
  next_timestamp_ = std::max(next_timestamp_, NextBatchTimestampMin(state_));
  absl::StatusOr<ApplyOutput> output = ApplyBatch(state_, next_timestamp_, batch);
  if (!output.ok()) {
    fprintf(stderr, "ApplyBatch refused: %s\n", output.status().ToString().c_str());
    abort();
  }
  state_.Apply(output->writes);
  if (recorder_) recorder_->Record(next_timestamp_, batch, output->entry_bytes);
  next_timestamp_ += kSecond;
  last_ = std::move(*output);
  return last_.entry.outcomes;
}

int64_t MemoryLedger::Balance(uint64_t account) const {
  std::optional<Account> found = LookupAccount(state_, Id(account));
  return found ? found->balance : 0;
}

std::string CheckInvariants(const MemoryKv& state, bool verify_journal) {
  AuditOptions options;
  options.verify_journal = verify_journal;
  return Audit(state, options).violation;
}

}  // namespace ledger::testing
