// Read-only queries over committed state: lookups, account history, balance at a past time, and the
// change stream decoded from the journal. Pure functions of a KvReader.
#ifndef LEDGER_CORE_QUERY_H_
#define LEDGER_CORE_QUERY_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "ledger/core/campaigns.h"
#include "ledger/core/health.h"
#include "ledger/core/journal.h"
#include "ledger/core/kv.h"
#include "ledger/core/records.h"

namespace ledger {

std::optional<Asset> LookupAsset(const KvReader& state, AssetId id);
std::optional<Account> LookupAccount(const KvReader& state, const AccountId& id);
std::optional<Transfer> LookupTransfer(const KvReader& state, const TransferId& id);
std::vector<Lot> LookupLots(const KvReader& state, const AccountId& id);

// Shop payments (pos.h).
std::optional<PaymentRecord> LookupPayment(const KvReader& state, const AccountId& merchant,
                                           std::string_view payment_id);
std::optional<RefundRecord> LookupRefund(const KvReader& state, const AccountId& merchant,
                                         std::string_view refund_id);
// The frozen report of a closed day; nullopt if the day is not closed.
std::optional<DayReport> LookupDayReport(const KvReader& state, const AccountId& merchant,
                                         uint32_t business_day);
// The running totals of a day (closed or not; empty totals if nothing happened).
DayReport DayRunningTotals(const KvReader& state, const AccountId& merchant, uint32_t business_day);
// A registered dynamic MPM code (paid or not), and a merchant's profile (the operator's register).
std::optional<MpmOrderRecord> LookupMpmOrder(const KvReader& state, const AccountId& merchant,
                                             std::string_view payment_id);
std::optional<MerchantProfile> LookupMerchantProfile(const KvReader& state,
                                                     const AccountId& merchant);
// What staff did for a wallet (card payments, wrong PINs), oldest first, at most `limit`.
std::vector<StaffOperation> LookupStaffOperations(const KvReader& state, const AccountId& wallet,
                                                  int limit);
// The key registered for (account, key_id), revoked or not (pos.h KeyRecord); nullopt when there is
// none or the record is unreadable. What every verifier reads: the services refuse revoked keys.
std::optional<KeyRecord> LookupKey(const KvReader& state, const AccountId& account,
                                   std::string_view key_id);
// The card record (salt and proof included: for the Pos service only).
std::optional<CardRecord> LookupCard(const KvReader& state, std::string_view card);
// Accepted cash-outs with from <= timestamp < to (to = 0: no bound), of one merchant or (merchant
// null) of all, in key order (merchant, cash-out id); at most `limit` (truncated says there were
// more).
struct CashOutPage {
  std::vector<FeeRecord> cash_outs;
  bool truncated = false;
};
CashOutPage ListCashOuts(const KvReader& state, Timestamp from, Timestamp to,
                         const AccountId* merchant, int limit);

struct HistoryPage {
  std::vector<HistoryEntry> entries;
  Timestamp next_timestamp = 0;  // Continue from here (0 = no more).
};

// Entries with from <= timestamp <= to (to = 0: no bound), oldest first (newest first if reverse),
// at most limit (1..kHistoryPageMax).
HistoryPage AccountHistory(const KvReader& state, const AccountId& id, Timestamp from, Timestamp to,
                           int limit, bool reverse);

// The posted balance just after the last change at or before `at`, and that change's timestamp
// (0 if there was none: the balance was 0).
struct BalanceAt {
  int64_t balance = 0;
  Timestamp as_of = 0;
};
BalanceAt BalanceAtTime(const KvReader& state, const AccountId& id, Timestamp at);

// The stored bytes of journal entries from..from+limit-1 that exist, stopping early once they add
// up to kJournalPageBytesMax bytes (at least one entry is read), so that a page fits what a client
// receives.
std::vector<std::pair<uint64_t, std::string>> ReadJournal(const KvReader& state, uint64_t from,
                                                          int limit);

// Health mileage (health.h).
std::vector<HealthProgram> LookupHealthVersions(const KvReader& state, uint32_t program);
// A resident's awards / step records for days in [from_day, to_day] (yyyymmdd), ascending.
std::vector<std::pair<uint32_t, DailyAward>> LookupDailyAwards(const KvReader& state,
                                                               const AccountId& resident,
                                                               uint32_t from_day, uint32_t to_day);
std::vector<std::pair<uint32_t, StepRecord>> LookupStepRecords(const KvReader& state,
                                                               const AccountId& resident,
                                                               uint32_t from_day, uint32_t to_day);
MonthlyTally LookupMonthlyTally(const KvReader& state, const AccountId& resident, uint32_t month);
std::vector<std::pair<std::string, DeviceRecord>> LookupDevices(const KvReader& state,
                                                                const AccountId& resident);
std::optional<ConsentRecord> LookupConsent(const KvReader& state, const AccountId& resident,
                                           uint8_t purpose);
std::optional<WatchConfig> LookupWatchConfig(const KvReader& state, const AccountId& resident);
std::vector<AlertRecord> LookupAlerts(const KvReader& state, const AccountId& resident);
// The residents `watcher` is a watcher of.
std::vector<AccountId> WatchedResidents(const KvReader& state, const AccountId& watcher);
std::optional<CampaignRecord> LookupCampaign(const KvReader& state, uint32_t campaign);
std::optional<ExchangeRecord> LookupExchange(const KvReader& state, const AccountId& resident,
                                             std::string_view exchange_id);

}  // namespace ledger

#endif  // LEDGER_CORE_QUERY_H_
