// Every bound the ledger enforces, in one place. A bound that is not here does not exist.
#ifndef LEDGER_CORE_LIMITS_H_
#define LEDGER_CORE_LIMITS_H_

#include <cstdint>

namespace ledger {

// Items in one client request, and in one batch the core applies (group commit merges requests up to
// this size). 8,190 is TigerBeetle's figure: a batch and its journal entry fit comfortably in memory.
inline constexpr int kBatchItemsMax = 8190;

// One amount. 10^14 minor units is a hundred trillion yen (a sixth of Japan's GDP): far above any real
// transfer, far below the point where a batch of kBatchItemsMax amounts could leave the balance bound.
inline constexpr int64_t kAmountMax = 100'000'000'000'000;

// |balance|, |debits_pending|, |credits_pending| stay within this, so any single update cannot overflow.
inline constexpr int64_t kBalanceMax = int64_t{1} << 62;

// Longest pending timeout: one year.
inline constexpr int64_t kTimeoutSecondsMax = 366LL * 24 * 3600;

// Longest expiry of an asset: ten years.
inline constexpr int64_t kExpirySecondsMax = 3660LL * 24 * 3600;

// Expiry lots one wallet may hold for one asset. Lots with the same (rounded) expiry merge, so with the
// default daily granularity a three-year expiry needs at most ~1,100.
inline constexpr int kLotsPerAccountMax = 2048;

// Expired lots and timed-out pendings processed at the start of one batch. The rest wait for the next
// batch; until then they cannot be spent or posted (see state_machine.h).
inline constexpr int kSweepItemsMax = 8190;

// Account category (merchant sector) length in bytes.
inline constexpr int kCategoryBytesMax = 32;

// Asset code length.
inline constexpr int kAssetCodeBytesMax = 16;

// Largest asset id (ids are 1..kAssetIdMax).
inline constexpr uint32_t kAssetIdMax = 0x7fffffff;

// Account history page size.
inline constexpr int kHistoryPageMax = 8190;
inline constexpr int kHistoryPageDefault = 100;

// Staff operations returned by one ListStaffOperations call (a larger limit reads this many).
inline constexpr int kStaffOperationsPageMax = 1000;
inline constexpr int kStaffOperationsPageDefault = 100;

// History folding (ledger/FORMAT.md, "Account history"): a batch starts by folding the recent-history
// records into per-account segments once this many records or entries are waiting. Larger values mean
// fewer segment keys per entry but more recent records for a history query to search.
inline constexpr uint64_t kHistoryFoldRecords = 4096;
inline constexpr uint64_t kHistoryFoldEntries = 262144;
// Entries per segment: a query decodes whole segments.
inline constexpr size_t kHistorySegmentEntriesMax = 4096;

// Journal entries returned by one GetJournal call.
inline constexpr int kJournalPageMax = 1024;

// How far a signed request's timestamp may be from the ledger's clock (Pos and Wallet envelopes). A request
// older than that is refused before the core sees it, so what the core remembers to refuse replays (a
// card's wrong-PIN attempts) need only be kept for twice this: after that, the replay itself is refused.
inline constexpr uint64_t kSignedRequestWindowMs = 5 * 60 * 1000;

// Open WatchAlerts streams: per watcher, and on one node. Each open stream holds a server thread, so
// without a bound one wallet key could open streams until the node had no thread left for anything else.
inline constexpr int kWatchStreamsPerWatcherMax = 4;
inline constexpr int kWatchStreamsMax = 64;

// Nanoseconds per second on the logical clock.
inline constexpr int64_t kNanosPerSecond = 1'000'000'000;

static_assert(kAmountMax < kBalanceMax / kBatchItemsMax,
              "a batch of maximal amounts must not overflow a balance bound");
static_assert(kBalanceMax + kAmountMax < INT64_MAX && -kBalanceMax - kAmountMax > INT64_MIN,
              "checking a bounded balance plus one amount must not itself overflow");
static_assert(kSweepItemsMax >= kBatchItemsMax, "sweeps must keep up with the rate pendings are made");
static_assert(kHistoryPageDefault <= kHistoryPageMax);
static_assert(kWatchStreamsPerWatcherMax <= kWatchStreamsMax);
static_assert(kStaffOperationsPageDefault <= kStaffOperationsPageMax);

}  // namespace ledger

#endif  // LEDGER_CORE_LIMITS_H_
