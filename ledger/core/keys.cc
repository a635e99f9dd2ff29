// Key encoders: see keys.h and ledger/FORMAT.md.
#include "ledger/core/keys.h"

namespace ledger::keys {
namespace {

void AppendId(const Id128& id, std::string* out) {
  AppendBigEndian64(id.high, out);
  AppendBigEndian64(id.low, out);
}

Id128 ReadId(std::string_view bytes) {
  return Id128{ReadBigEndian64(bytes), ReadBigEndian64(bytes.substr(8))};
}

}  // namespace

void AppendBigEndian64(uint64_t value, std::string* out) {
  char bytes[8];
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>((value >> (56 - 8 * i)) & 0xff);
  out->append(bytes, sizeof bytes);
}

uint64_t ReadBigEndian64(std::string_view bytes) {
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value = (value << 8) | static_cast<uint8_t>(bytes[i]);
  return value;
}

uint32_t ReadBigEndian32(std::string_view bytes) {
  uint32_t value = 0;
  for (int i = 0; i < 4; ++i) value = (value << 8) | static_cast<uint8_t>(bytes[i]);
  return value;
}

std::string Head() { return std::string{kMeta} + "head"; }

std::string Asset(AssetId id) {
  std::string key(1, kAsset);
  for (int shift = 24; shift >= 0; shift -= 8)
    key.push_back(static_cast<char>((id >> shift) & 0xff));
  return key;
}

std::string Account(const AccountId& id) {
  std::string key(1, kAccount);
  AppendId(id, &key);
  return key;
}

std::string Transfer(const TransferId& id) {
  std::string key(1, kTransfer);
  AppendId(id, &key);
  return key;
}

std::string Lots(const AccountId& id) {
  std::string key(1, kLots);
  AppendId(id, &key);
  return key;
}

std::string ExpiryIndex(Timestamp expiry, const AccountId& id) {
  std::string key(1, kExpiryIndex);
  AppendBigEndian64(expiry, &key);
  AppendId(id, &key);
  return key;
}

std::string PendingIndex(Timestamp timeout_at, const TransferId& id) {
  std::string key(1, kPendingIndex);
  AppendBigEndian64(timeout_at, &key);
  AppendId(id, &key);
  return key;
}

std::string History(const AccountId& id, Timestamp timestamp) {
  std::string key(1, kHistory);
  AppendId(id, &key);
  AppendBigEndian64(timestamp, &key);
  return key;
}

std::string RecentHistory(uint64_t journal_index) {
  std::string key(1, kRecentHistory);
  AppendBigEndian64(journal_index, &key);
  return key;
}

std::string HistoryBacklog() { return std::string{kMeta} + "historybacklog"; }

std::string Journal(uint64_t index) {
  std::string key(1, kJournal);
  AppendBigEndian64(index, &key);
  return key;
}

void DecodeExpiryIndex(std::string_view key, Timestamp* expiry, AccountId* id) {
  *expiry = ReadBigEndian64(key.substr(1));
  *id = ReadId(key.substr(9));
}

void DecodePendingIndex(std::string_view key, Timestamp* timeout_at, TransferId* id) {
  *timeout_at = ReadBigEndian64(key.substr(1));
  *id = ReadId(key.substr(9));
}

uint64_t DecodeJournal(std::string_view key) { return ReadBigEndian64(key.substr(1)); }

namespace {
void AppendBigEndian32(uint32_t value, std::string* out) {
  for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<char>(value >> shift));
}
std::string MerchantKey(char prefix, const AccountId& merchant) {
  std::string key(1, prefix);
  AppendId(merchant, &key);
  return key;
}
}  // namespace

std::string Payment(const AccountId& merchant, std::string_view payment_id) {
  return MerchantKey(kPayment, merchant).append(payment_id);
}

std::string MpmOrder(const AccountId& merchant, std::string_view payment_id) {
  return MerchantKey(kMpmOrder, merchant).append(payment_id);
}

std::string MerchantProfile(const AccountId& merchant) {
  return MerchantKey(kMerchantProfile, merchant);
}

std::string Refund(const AccountId& merchant, std::string_view refund_id) {
  return MerchantKey(kRefund, merchant).append(refund_id);
}

std::string DayReport(const AccountId& merchant, uint32_t business_day) {
  std::string key = MerchantKey(kDayReport, merchant);
  AppendBigEndian32(business_day, &key);
  return key;
}

std::string DayTotals(const AccountId& merchant, uint32_t business_day) {
  std::string key = MerchantKey(kDayTotals, merchant);
  AppendBigEndian32(business_day, &key);
  return key;
}

std::string Fees(AssetId asset) {
  std::string key(1, kFees);
  AppendBigEndian32(asset, &key);
  return key;
}

std::string CashOut(const AccountId& merchant, std::string_view cashout_id) {
  return MerchantKey(kCashOut, merchant).append(cashout_id);
}

std::string SupplierPayment(const AccountId& payer, std::string_view payment_id) {
  return MerchantKey(kSupplierPayment, payer).append(payment_id);
}

std::string Key(const AccountId& account, std::string_view key_id) {
  return MerchantKey(kKey, account).append(key_id);
}

std::string RevokedKey(const AccountId& account, std::string_view public_key) {
  return MerchantKey(kRevokedKey, account).append(public_key);
}

std::string Nonce(const AccountId& account, uint64_t nonce) {
  std::string key = MerchantKey(kNonce, account);
  AppendBigEndian64(nonce, &key);
  return key;
}

std::string NonceExpiry(Timestamp expiry, const AccountId& account, uint64_t nonce) {
  std::string key(1, kNonceExpiry);
  AppendBigEndian64(expiry, &key);
  AppendId(account, &key);
  AppendBigEndian64(nonce, &key);
  return key;
}

void DecodeNonceExpiry(std::string_view key, Timestamp* expiry, AccountId* account,
                       uint64_t* nonce) {
  *expiry = ReadBigEndian64(key.substr(1));
  *account = ReadId(key.substr(9));
  *nonce = ReadBigEndian64(key.substr(25));
}

std::string Card(std::string_view card) { return std::string(1, kCard).append(card); }

std::string StaffOperation(const AccountId& wallet, Timestamp timestamp) {
  std::string key = MerchantKey(kStaffOperation, wallet);
  AppendBigEndian64(timestamp, &key);
  return key;
}

std::string StaffOperationPrefix(const AccountId& wallet) {
  return MerchantKey(kStaffOperation, wallet);
}

std::string HealthProgram(uint32_t program) {
  std::string key(1, kHealthProgram);
  AppendBigEndian32(program, &key);
  return key;
}

std::string ResidentPrefix(char table, const AccountId& resident) {
  std::string key(1, table);
  AppendId(resident, &key);
  return key;
}

std::string Device(const AccountId& resident, std::string_view device_id) {
  return ResidentPrefix(kDevice, resident).append(device_id);
}

std::string Consent(const AccountId& resident, uint8_t purpose) {
  std::string key = ResidentPrefix(kConsent, resident);
  key.push_back(static_cast<char>(purpose));
  return key;
}

std::string DailyAward(const AccountId& resident, uint32_t day) {
  std::string key = ResidentPrefix(kDailyAward, resident);
  AppendBigEndian32(day, &key);
  return key;
}

std::string MonthlyTally(const AccountId& resident, uint32_t month) {
  std::string key = ResidentPrefix(kMonthlyTally, resident);
  AppendBigEndian32(month, &key);
  return key;
}

std::string StepRecord(const AccountId& resident, uint32_t day) {
  std::string key = ResidentPrefix(kStepRecord, resident);
  AppendBigEndian32(day, &key);
  return key;
}

std::string Exchange(const AccountId& resident, std::string_view exchange_id) {
  return ResidentPrefix(kExchange, resident).append(exchange_id);
}

std::string WatchSchedule(int64_t day_index, const AccountId& resident) {
  std::string key(1, kWatchSchedule);
  AppendBigEndian64(static_cast<uint64_t>(day_index), &key);
  AppendId(resident, &key);
  return key;
}

void DecodeWatchSchedule(std::string_view key, int64_t* day_index, AccountId* resident) {
  *day_index = static_cast<int64_t>(ReadBigEndian64(key.substr(1)));
  *resident = ReadId(key.substr(9));
}

std::string Alert(const AccountId& resident, uint32_t seq) {
  std::string key = ResidentPrefix(kAlert, resident);
  AppendBigEndian32(seq, &key);
  return key;
}

std::string WatcherIndex(const AccountId& watcher, const AccountId& resident) {
  std::string key = ResidentPrefix(kWatcherIndex, watcher);
  AppendId(resident, &key);
  return key;
}

std::string TaskRules() { return std::string{kMeta} + "taskrules"; }

std::string Task(const AccountId& host, std::string_view task_id) {
  return ResidentPrefix(kTask, host).append(task_id);
}

std::string TaskApplicationPrefix(const AccountId& host, std::string_view task_id) {
  std::string key = ResidentPrefix(kTaskApplication, host);
  key.push_back(static_cast<char>(task_id.size()));
  key.append(task_id);
  return key;
}

std::string TaskApplication(const AccountId& host, std::string_view task_id,
                            const AccountId& visitor) {
  std::string key = TaskApplicationPrefix(host, task_id);
  AppendId(visitor, &key);
  return key;
}

std::string VisitorDay(const AccountId& visitor, uint32_t day) {
  std::string key = ResidentPrefix(kVisitorDay, visitor);
  AppendBigEndian32(day, &key);
  return key;
}

std::string VisitorWeek(const AccountId& visitor, int64_t week) {
  std::string key = ResidentPrefix(kVisitorWeek, visitor);
  AppendBigEndian64(static_cast<uint64_t>(week), &key);
  return key;
}

std::string HostVisitorMonth(const AccountId& host, const AccountId& visitor, uint32_t month) {
  std::string key = ResidentPrefix(kHostVisitorMonth, host);
  AppendId(visitor, &key);
  AppendBigEndian32(month, &key);
  return key;
}

std::string TaskRelease(Timestamp due, const AccountId& host, const AccountId& visitor,
                        uint32_t day, std::string_view task_id) {
  std::string key(1, kTaskRelease);
  AppendBigEndian64(due, &key);
  AppendId(host, &key);
  AppendId(visitor, &key);
  AppendBigEndian32(day, &key);
  key.append(task_id);
  return key;
}

void DecodeTaskRelease(std::string_view key, AccountId* host, AccountId* visitor, uint32_t* day,
                       std::string* task_id) {
  *host = ReadId(key.substr(9));
  *visitor = ReadId(key.substr(25));
  *day = ReadBigEndian32(key.substr(41));
  *task_id = std::string(key.substr(45));
}

void DecodeTaskEnd(std::string_view key, AccountId* host, std::string* task_id) {
  *host = ReadId(key.substr(9));
  *task_id = std::string(key.substr(25));
}

std::string TaskEnd(Timestamp due, const AccountId& host, std::string_view task_id) {
  std::string key(1, kTaskEnd);
  AppendBigEndian64(due, &key);
  AppendId(host, &key);
  key.append(task_id);
  return key;
}

std::string CardAttemptPrefix(std::string_view card) {
  std::string key(1, kCardAttempt);
  key.push_back(static_cast<char>(card.size()));
  return key.append(card);
}

std::string CardAttempt(std::string_view card, uint64_t attempt) {
  std::string key = CardAttemptPrefix(card);
  AppendBigEndian64(attempt, &key);
  return key;
}

std::string SubsidyGrantForHost(const AccountId& budget, const AccountId& host) {
  std::string key = ResidentPrefix(kSubsidyGrant, budget);
  key.push_back('h');
  AppendId(host, &key);
  return key;
}

std::string SubsidyGrantForCategory(const AccountId& budget, std::string_view category) {
  return ResidentPrefix(kSubsidyGrant, budget).append("c").append(category);
}

std::string SubsidyTally(const AccountId& budget, const AccountId& host, uint32_t month) {
  std::string key = ResidentPrefix(kSubsidyTally, budget);
  AppendId(host, &key);
  AppendBigEndian32(month, &key);
  return key;
}

std::string Operator(std::string_view name) { return std::string{kOperator}.append(name); }

std::string OperatorsBootstrapped() { return std::string{kMeta} + "operators"; }

std::string ActiveCampaigns() { return std::string{kMeta} + "campaigns"; }

std::string Proposal(const Id128& id) {
  std::string key(1, kProposal);
  AppendId(id, &key);
  return key;
}

std::string FourEyes() { return std::string{kMeta} + "foureyes"; }

std::string Campaign(uint32_t campaign) {
  std::string key(1, kCampaign);
  AppendBigEndian32(campaign, &key);
  return key;
}

std::string CampaignAwardPrefix(const AccountId& merchant, std::string_view payment_id) {
  std::string key = ResidentPrefix(kCampaignAward, merchant);
  key.push_back(static_cast<char>(payment_id.size()));
  key.append(payment_id);
  return key;
}

std::string CampaignAward(const AccountId& merchant, std::string_view payment_id,
                          uint32_t campaign) {
  std::string key = CampaignAwardPrefix(merchant, payment_id);
  AppendBigEndian32(campaign, &key);
  return key;
}

std::string CampaignTally(uint32_t campaign, const AccountId& account, uint32_t month) {
  std::string key(1, kCampaignTally);
  AppendBigEndian32(campaign, &key);
  AppendId(account, &key);
  AppendBigEndian32(month, &key);
  return key;
}

std::string AccountLink(const AccountId& wallet, AssetId asset) {
  std::string key = ResidentPrefix(kAccountLink, wallet);
  AppendBigEndian32(asset, &key);
  return key;
}

}  // namespace ledger::keys
