// The ledger's invariant audit over any stored state (a RocksStore, a MemoryKv): what `ledgerctl
// audit` runs against a node's data directory and what the tests run after every batch.
//
// Checks, in this order (the report names the first violation and counts what was checked):
//  1. Sums: per asset, the balances of all accounts sum to zero (every unit issued is held
//  somewhere);
//     NON_NEGATIVE accounts keep balance - debits_pending >= 0; per asset, the accounts'
//     debits_pending and credits_pending each equal the sum of the open pending transfers.
//  2. Lots: a lot-holding account (a NON_NEGATIVE wallet of an expiring asset) holds lots summing
//  to
//     balance - debits_pending, sorted by expiry, each positive and in the expiry index; no other
//     account holds lots; every expiry index key has its lot.
//  2b. Nonces: a spent nonce with an expiry has its index key, and every index key its nonce with
//  that
//     expiry (ledger/FORMAT.md, "Request nonces").
//  3. Campaigns: each campaign's awarded total equals its awards net of clawbacks and stays within
//  its
//     budget; no award is clawed back beyond what it gave. Cards: a re-issued card's new card
//     exists, of the same wallet, issued when the old one was replaced.
//  4. Journal: the hash chain from entry 1 to the head (VerifyJournal).
//  5. Replay (optional, O(journal) time and memory): every journal entry's batch (commands, request
//  sizes,
//     batch timestamp) is re-applied from an empty scratch store and must give the stored entry
//     byte for byte (its outcomes, system events and hash included); after the last, the scratch
//     state must hash as the stored state does, keys outside the core's tables excepted (a
//     replica's "R/applied"). A step report is journaled as a commitment, without its steps and
//     signature (health.h): an entry holding one cannot be re-applied, so the replay stops before
//     it and the report says so; what was replayed up to there was compared entry by entry, the
//     final state hash is then not compared.
#ifndef LEDGER_CORE_AUDIT_H_
#define LEDGER_CORE_AUDIT_H_

#include <cstdint>
#include <functional>
#include <string>

#include "ledger/core/kv.h"

namespace ledger {

struct AuditOptions {
  bool verify_journal = true;
  bool replay = false;
  // Called now and then on long work with a line saying how far it got (may be empty).
  std::function<void(const std::string&)> progress;
  // Asked before each replayed entry (may be empty): true stops the replay there, the report's
  // replay_note saying so (an online audit whose caller went away).
  std::function<bool()> stop;
};

struct AuditReport {
  std::string violation;  // The first violation found, "" if none.
  uint64_t assets = 0;
  uint64_t accounts = 0;
  uint64_t lot_accounts = 0;  // Accounts that hold lots.
  uint64_t lots = 0;
  uint64_t expiry_index_keys = 0;
  uint64_t transfers = 0;
  uint64_t open_pendings = 0;
  uint64_t campaigns = 0;
  uint64_t campaign_awards = 0;
  uint64_t journal_entries = 0;      // Verified by the hash chain.
  uint64_t replayed_entries = 0;     // Re-applied and equal to the stored entry.
  bool state_hash_compared = false;  // The replay reached the head and compared the state hashes.
  std::string replay_note;           // Why the replay stopped early or was not run, if it did.

  bool ok() const { return violation.empty(); }
  // Several lines: the counts, the replay's extent, and the violation if any.
  std::string Summary() const;
};

AuditReport Audit(const KvReader& state, const AuditOptions& options = {});

// The first half of check 1 alone: per asset, the balances of all accounts sum to zero. "" if so,
// else the first asset that does not. One scan of the accounts (no lots, transfers or journal):
// what a node runs when it starts, each batch then checking its own changes
// (ApplyOutput::invariant_violation).
std::string AssetSumsProblem(const KvReader& state);

}  // namespace ledger

#endif  // LEDGER_CORE_AUDIT_H_
