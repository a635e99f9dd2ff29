// Test helpers: a ledger over MemoryKv with a controllable logical clock, command builders, and an
// invariant checker shared by the unit, model and simulation tests.
#ifndef LEDGER_CORE_TEST_UTIL_H_
#define LEDGER_CORE_TEST_UTIL_H_

#include <string>
#include <vector>

#include "ledger/core/golden.h"
#include "ledger/core/journal.h"
#include "ledger/core/kv.h"
#include "ledger/core/state_machine.h"

namespace ledger::testing {

inline constexpr Timestamp kSecond = 1'000'000'000;
// A plausible start for the logical clock (2026-01-01T00:00:00Z in ns).
inline constexpr Timestamp kEpoch = 1'767'225'600ULL * kSecond;

inline Id128 Id(uint64_t low) { return Id128{0, low}; }

Asset MakeAsset(AssetId id, const std::string& code, int64_t expiry_seconds, uint64_t breakage,
                int64_t granularity_seconds = 1);
Account MakeAccount(uint64_t id, AssetId asset, AccountKind kind, uint32_t flags = 0,
                    const std::string& category = "");
Transfer MakeTransfer(uint64_t id, uint64_t debit, uint64_t credit, int64_t amount,
                      uint32_t flags = 0, uint32_t code = 1);
Transfer MakePost(uint64_t id, uint64_t pending_id, int64_t amount = 0);
Transfer MakeVoid(uint64_t id, uint64_t pending_id);

// A ledger in memory. Each Apply is one batch; the clock moves one second per batch unless Advance
// moved it further.
class MemoryLedger {
 public:
  explicit MemoryLedger(Timestamp start = kEpoch) : next_timestamp_(start) {}
  // One request per call; aborts the test binary if the core refuses the batch.
  std::vector<Outcome> Apply(std::vector<Command> commands);
  // Several requests in one batch; `operators`: empty, or who sent each request.
  std::vector<Outcome> ApplyRequests(std::vector<std::vector<Command>> requests,
                                     std::vector<std::string> operators = {});
  // One request sent by an operator (ledger/core/operators.h).
  std::vector<Outcome> ApplyAs(std::string name, std::vector<Command> commands);
  void Advance(int64_t seconds) { next_timestamp_ += seconds * kSecond; }
  Timestamp now() const { return next_timestamp_; }
  const MemoryKv& state() const { return state_; }
  MemoryKv& mutable_state() { return state_; }
  int64_t Balance(uint64_t account) const;
  const ApplyOutput& last() const { return last_; }
  // Records every batch applied from now on to a golden batch log at path (ledger/core/golden.h).
  void RecordTo(const std::string& path) { recorder_ = GoldenRecorder::Open(path); }

 private:
  std::unique_ptr<GoldenRecorder> recorder_;
  MemoryKv state_;
  Timestamp next_timestamp_;
  ApplyOutput last_;
};

// Checks every invariant of a state (Audit in ledger/core/audit.h, without the replay); returns ""
// if all hold, else a description of the first failure.
//  - per asset, the balances of all accounts sum to zero;
//  - NON_NEGATIVE accounts: balance - debits_pending >= 0;
//  - per asset, total debits_pending == total credits_pending == sum of open pendings' amounts;
//  - lot-holding wallets: sum(lots) == balance - debits_pending, lots sorted, positive, each
//  indexed;
//  - every expiry index key has its lot;
//  - the journal verifies.
std::string CheckInvariants(const MemoryKv& state, bool verify_journal = true);

}  // namespace ledger::testing

#endif  // LEDGER_CORE_TEST_UTIL_H_
