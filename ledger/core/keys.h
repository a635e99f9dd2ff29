// The key layout of the ledger's state. One byte of prefix names the table; integers in keys are
// big-endian so that keys sort numerically. Specified in ledger/FORMAT.md.
#ifndef LEDGER_CORE_KEYS_H_
#define LEDGER_CORE_KEYS_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "ledger/core/types.h"

namespace ledger::keys {

inline constexpr char kMeta = 'M';
inline constexpr char kAsset = 'S';
inline constexpr char kAccount = 'A';
inline constexpr char kTransfer = 'T';
inline constexpr char kLots = 'L';
inline constexpr char kExpiryIndex = 'X';
inline constexpr char kPendingIndex = 'P';
inline constexpr char kHistory = 'H';
inline constexpr char kJournal = 'J';
inline constexpr char kPayment = 'Q';
inline constexpr char kRefund = 'U';
inline constexpr char kDayReport = 'Y';
inline constexpr char kDayTotals = 'Z';
inline constexpr char kFees = 'F';
inline constexpr char kCashOut = 'W';
inline constexpr char kSupplierPayment = 'B';
inline constexpr char kKey = 'K';
inline constexpr char kNonce = 'N';
inline constexpr char kCard = 'C';
inline constexpr char kStaffOperation = 'O';
inline constexpr char kHealthProgram = 'G';
inline constexpr char kDevice = 'V';
inline constexpr char kConsent = 'I';
inline constexpr char kDailyAward = 'E';
inline constexpr char kMonthlyTally =
    'm';  // Not 'R': R/applied is the Raft replica's applied index.
inline constexpr char kStepRecord = 'D';
inline constexpr char kExchange = 'e';
inline constexpr char kWatchConfig = 'w';
inline constexpr char kWatchSchedule = 'q';
inline constexpr char kAlert = 'a';
inline constexpr char kWatcherIndex = 'u';
inline constexpr char kTask = 't';
inline constexpr char kTaskApplication = 'p';
inline constexpr char kVisitorDay = 'b';
inline constexpr char kVisitorWeek = 'r';
inline constexpr char kHostVisitorMonth = 'o';
inline constexpr char kTaskRelease = 'y';
inline constexpr char kTaskEnd = 'z';
inline constexpr char kCampaign = 'c';
inline constexpr char kCampaignAward = 'i';
inline constexpr char kCampaignTally = 'g';
inline constexpr char kAccountLink = 'l';
inline constexpr char kRecentHistory = 'h';
inline constexpr char kMpmOrder = 'd';
inline constexpr char kMerchantProfile = 'f';
inline constexpr char kRevokedKey = 'k';
inline constexpr char kSubsidyGrant = 's';
inline constexpr char kSubsidyTally = 'j';
inline constexpr char kCardAttempt = 'x';
inline constexpr char kNonceExpiry = 'n';
inline constexpr char kOperator = 'v';  // The role table (ledger/core/operators.h).
inline constexpr char kProposal = '4';  // Four-eyes proposals (proposals.h): 4 + id.

// Meta: the journal head (index, hash, clock).
std::string Head();
std::string Asset(AssetId id);
std::string Account(const AccountId& id);
std::string Transfer(const TransferId& id);
std::string Lots(const AccountId& id);
std::string ExpiryIndex(Timestamp expiry, const AccountId& id);
std::string PendingIndex(Timestamp timeout_at, const TransferId& id);
// A segment of folded history, keyed by the timestamp of its last entry.
std::string History(const AccountId& id, Timestamp last_timestamp);
// A batch's history before it is folded.
std::string RecentHistory(uint64_t journal_index);
std::string HistoryBacklog();
std::string Journal(uint64_t index);
// Shop payments (ledger/core/pos.h). Merchant first, so one merchant's records are contiguous.
std::string Payment(const AccountId& merchant, std::string_view payment_id);
std::string Refund(const AccountId& merchant, std::string_view refund_id);
std::string DayReport(const AccountId& merchant, uint32_t business_day);
// A merchant's running totals of a business day (what the close freezes into DayReport).
std::string DayTotals(const AccountId& merchant, uint32_t business_day);
std::string Fees(AssetId asset);
std::string CashOut(const AccountId& merchant, std::string_view cashout_id);
std::string SupplierPayment(const AccountId& payer, std::string_view payment_id);
std::string MpmOrder(const AccountId& merchant, std::string_view payment_id);
std::string MerchantProfile(const AccountId& merchant);
std::string Key(const AccountId& account, std::string_view key_id);
// A key once revoked on the account, by its 32 public-key bytes (pos.h RevokedKey).
std::string RevokedKey(const AccountId& account, std::string_view public_key);
std::string Nonce(const AccountId& account, uint64_t nonce);
// The spent nonces that may be forgotten, by when (a timestamp), then account and nonce (the N
// key's).
std::string NonceExpiry(Timestamp expiry, const AccountId& account, uint64_t nonce);
void DecodeNonceExpiry(std::string_view key, Timestamp* expiry, AccountId* account,
                       uint64_t* nonce);
std::string Card(std::string_view card);
std::string StaffOperation(const AccountId& wallet, Timestamp timestamp);
std::string StaffOperationPrefix(const AccountId& wallet);
// Health mileage (ledger/core/health.h). Resident first, so one resident's records are contiguous;
// days (yyyymmdd) and months (yyyymm) big-endian so they sort by date.
std::string HealthProgram(uint32_t program);
std::string Device(const AccountId& resident, std::string_view device_id);
std::string Consent(const AccountId& resident, uint8_t purpose);
std::string DailyAward(const AccountId& resident, uint32_t day);
std::string MonthlyTally(const AccountId& resident, uint32_t month);
std::string StepRecord(const AccountId& resident, uint32_t day);
// Key prefix of one table for one resident (e.g. kStepRecord: all of a resident's step records).
std::string ResidentPrefix(char table, const AccountId& resident);
std::string Exchange(const AccountId& resident, std::string_view exchange_id);
// Watch-over: the schedule sorts by day index, then resident; alerts by resident, then sequence
// number.
std::string WatchSchedule(int64_t day_index, const AccountId& resident);
void DecodeWatchSchedule(std::string_view key, int64_t* day_index, AccountId* resident);
std::string Alert(const AccountId& resident, uint32_t seq);
std::string WatcherIndex(const AccountId& watcher, const AccountId& resident);
// Tasks (ledger/core/tasks.h). Task ids are length-prefixed where more follows them.
std::string TaskRules();
std::string Task(const AccountId& host, std::string_view task_id);
std::string TaskApplicationPrefix(const AccountId& host, std::string_view task_id);
std::string TaskApplication(const AccountId& host, std::string_view task_id,
                            const AccountId& visitor);
std::string VisitorDay(const AccountId& visitor, uint32_t day);
std::string VisitorWeek(const AccountId& visitor, int64_t week);
std::string HostVisitorMonth(const AccountId& host, const AccountId& visitor, uint32_t month);
std::string TaskRelease(Timestamp due, const AccountId& host, const AccountId& visitor,
                        uint32_t day, std::string_view task_id);
std::string TaskEnd(Timestamp due, const AccountId& host, std::string_view task_id);
void DecodeTaskRelease(std::string_view key, AccountId* host, AccountId* visitor, uint32_t* day,
                       std::string* task_id);
void DecodeTaskEnd(std::string_view key, AccountId* host, std::string* task_id);
// A card's counted wrong-PIN attempts: by card (length-prefixed), then the request's attempt nonce.
std::string CardAttemptPrefix(std::string_view card);
std::string CardAttempt(std::string_view card, uint64_t attempt);
// Subsidy grants: by budget, then 'h' and the host, or 'c' and the category.
std::string SubsidyGrantForHost(const AccountId& budget, const AccountId& host);
std::string SubsidyGrantForCategory(const AccountId& budget, std::string_view category);
std::string SubsidyTally(const AccountId& budget, const AccountId& host, uint32_t month);
// Operators (ledger/core/operators.h): by name; the marker that the role table was bootstrapped.
std::string Operator(std::string_view name);
std::string OperatorsBootstrapped();
// Campaigns (ledger/core/campaigns.h).
std::string ActiveCampaigns();
// Four-eyes: a proposal, and the setting (M "foureyes").
std::string Proposal(const Id128& id);
std::string FourEyes();
std::string Campaign(uint32_t campaign);
std::string CampaignAwardPrefix(const AccountId& merchant, std::string_view payment_id);
std::string CampaignAward(const AccountId& merchant, std::string_view payment_id,
                          uint32_t campaign);
std::string CampaignTally(uint32_t campaign, const AccountId& account, uint32_t month);
std::string AccountLink(const AccountId& wallet, AssetId asset);

// Decoders for the index keys. They assume the key came from the matching encoder.
void DecodeExpiryIndex(std::string_view key, Timestamp* expiry, AccountId* id);
void DecodePendingIndex(std::string_view key, Timestamp* timeout_at, TransferId* id);
uint64_t DecodeJournal(std::string_view key);

void AppendBigEndian64(uint64_t value, std::string* out);
uint64_t ReadBigEndian64(std::string_view bytes);
uint32_t ReadBigEndian32(std::string_view bytes);

}  // namespace ledger::keys

#endif  // LEDGER_CORE_KEYS_H_
