// Queries over committed state.
#include "ledger/core/query.h"

#include <algorithm>
#include <functional>

#include "ledger/core/keys.h"
#include "ledger/core/limits.h"

namespace ledger {

std::optional<Asset> LookupAsset(const KvReader& state, AssetId id) {
  std::string bytes;
  if (!state.Get(keys::Asset(id), &bytes)) return std::nullopt;
  return DecodeAsset(bytes);
}

std::optional<Account> LookupAccount(const KvReader& state, const AccountId& id) {
  std::string bytes;
  if (!state.Get(keys::Account(id), &bytes)) return std::nullopt;
  return DecodeAccount(bytes);
}

std::optional<Transfer> LookupTransfer(const KvReader& state, const TransferId& id) {
  std::string bytes;
  if (!state.Get(keys::Transfer(id), &bytes)) return std::nullopt;
  return DecodeTransfer(bytes);
}

std::vector<Lot> LookupLots(const KvReader& state, const AccountId& id) {
  std::string bytes;
  if (!state.Get(keys::Lots(id), &bytes)) return {};
  return DecodeLots(bytes).value_or(std::vector<Lot>{});
}

namespace {

// Calls visit for id's history entries with from <= timestamp <= to, oldest first (newest first if
// reverse), until visit returns false. Entries live in two places (ledger/FORMAT.md, "Account
// history"): folded segments (older) and recent-history records of batches not folded yet (newer).
class HistoryWalker {
 public:
  using Visit = std::function<bool(const HistoryEntry&)>;
  HistoryWalker(const KvReader& state, const AccountId& id, Timestamp from, Timestamp to,
                const Visit& visit)
      : state_(state), id_(id), from_(from), to_(to), visit_(visit) {}

  void Forward() {
    if (Segments(false)) Recent(false);
  }
  void Reverse() {
    if (Recent(true)) Segments(true);
  }

 private:
  // Offers one entry; false when the walk is over (visit said stop, or past the range's far end).
  bool Offer(const HistoryEntry& entry, bool reverse) {
    if (entry.timestamp < from_) return !reverse;
    if (entry.timestamp > to_) return reverse;
    return visit_(entry);
  }

  bool Segments(bool reverse) {
    // Segments are keyed by their last timestamp: the first one at or after from_ (forward) or at
    // or after to_ (reverse, the newest that can hold entries <= to_) bounds the scan.
    const std::string all_end = keys::History(id_, UINT64_MAX) + '\xff';
    std::string begin = keys::History(id_, reverse ? 0 : from_);
    std::string end = all_end;
    if (reverse) {
      state_.Scan(keys::History(id_, to_), all_end, false,
                  [&](std::string_view key, std::string_view) {
                    end = std::string(key) + '\0';
                    return false;
                  });
    }
    bool more = true;
    state_.Scan(begin, end, reverse, [&](std::string_view, std::string_view value) {
      std::optional<std::vector<HistoryEntry>> entries = DecodeHistorySegment(value);
      if (!entries) return more = false;
      if (reverse) {
        for (auto it = entries->rbegin(); more && it != entries->rend(); ++it)
          more = Offer(*it, true);
      } else {
        for (auto it = entries->begin(); more && it != entries->end(); ++it)
          more = Offer(*it, false);
      }
      return more;
    });
    return more;
  }

  bool Recent(bool reverse) {
    const std::string begin(1, keys::kRecentHistory);
    const std::string end(1, keys::kRecentHistory + 1);
    bool more = true;
    state_.Scan(begin, end, reverse, [&](std::string_view, std::string_view value) {
      RecentHistoryView view;
      if (!view.Parse(value)) return more = false;
      const auto [first, last] = view.Range(id_);
      if (reverse) {
        for (size_t i = last; more && i > first; --i) more = Offer(view.At(i - 1), true);
      } else {
        for (size_t i = first; more && i < last; ++i) more = Offer(view.At(i), false);
      }
      return more;
    });
    return more;
  }

  const KvReader& state_;
  const AccountId id_;
  const Timestamp from_;
  const Timestamp to_;
  const Visit visit_;
};

}  // namespace

HistoryPage AccountHistory(const KvReader& state, const AccountId& id, Timestamp from, Timestamp to,
                           int limit, bool reverse) {
  limit = std::clamp(limit, 1, kHistoryPageMax);
  if (to == 0) to = UINT64_MAX;  // No upper bound.
  HistoryPage page;
  HistoryWalker walker(state, id, from, to, [&](const HistoryEntry& entry) {
    if (static_cast<int>(page.entries.size()) == limit) {
      page.next_timestamp = entry.timestamp;
      return false;
    }
    page.entries.push_back(entry);
    return true;
  });
  if (reverse)
    walker.Reverse();
  else
    walker.Forward();
  return page;
}

BalanceAt BalanceAtTime(const KvReader& state, const AccountId& id, Timestamp at) {
  BalanceAt result;
  HistoryWalker walker(state, id, 0, at, [&](const HistoryEntry& entry) {
    result.balance = entry.balance_after;
    result.as_of = entry.timestamp;
    return false;
  });
  walker.Reverse();
  return result;
}

std::vector<std::pair<uint64_t, std::string>> ReadJournal(const KvReader& state, uint64_t from,
                                                          int limit) {
  limit = std::clamp(limit, 1, kJournalPageMax);
  std::vector<std::pair<uint64_t, std::string>> entries;
  size_t bytes = 0;
  state.Scan(keys::Journal(std::max<uint64_t>(from, 1)), std::string(1, keys::kJournal + 1), false,
             [&](std::string_view key, std::string_view value) {
               entries.emplace_back(keys::DecodeJournal(key), std::string(value));
               bytes += value.size();
               return static_cast<int>(entries.size()) < limit && bytes < kJournalPageBytesMax;
             });
  return entries;
}

std::optional<PaymentRecord> LookupPayment(const KvReader& state, const AccountId& merchant,
                                           std::string_view payment_id) {
  std::string bytes;
  if (!state.Get(keys::Payment(merchant, payment_id), &bytes)) return std::nullopt;
  return DecodePaymentRecord(bytes);
}

std::optional<RefundRecord> LookupRefund(const KvReader& state, const AccountId& merchant,
                                         std::string_view refund_id) {
  std::string bytes;
  if (!state.Get(keys::Refund(merchant, refund_id), &bytes)) return std::nullopt;
  return DecodeRefundRecord(bytes);
}

std::optional<DayReport> LookupDayReport(const KvReader& state, const AccountId& merchant,
                                         uint32_t business_day) {
  std::string bytes;
  if (!state.Get(keys::DayReport(merchant, business_day), &bytes)) return std::nullopt;
  return DecodeDayReport(bytes);
}

std::optional<MpmOrderRecord> LookupMpmOrder(const KvReader& state, const AccountId& merchant,
                                             std::string_view payment_id) {
  std::string bytes;
  if (!state.Get(keys::MpmOrder(merchant, payment_id), &bytes)) return std::nullopt;
  return DecodeMpmOrder(bytes);
}

std::optional<MerchantProfile> LookupMerchantProfile(const KvReader& state,
                                                     const AccountId& merchant) {
  std::string bytes;
  if (!state.Get(keys::MerchantProfile(merchant), &bytes)) return std::nullopt;
  return DecodeMerchantProfile(bytes);
}

DayReport DayRunningTotals(const KvReader& state, const AccountId& merchant,
                           uint32_t business_day) {
  std::string bytes;
  if (state.Get(keys::DayTotals(merchant, business_day), &bytes)) {
    if (std::optional<DayReport> report = DecodeDayReport(bytes)) return *report;
  }
  DayReport empty;
  empty.merchant = merchant;
  empty.business_day = business_day;
  return empty;
}

std::vector<StaffOperation> LookupStaffOperations(const KvReader& state, const AccountId& wallet,
                                                  int limit) {
  std::vector<StaffOperation> ops;
  const std::string from = keys::StaffOperationPrefix(wallet);
  const std::string to =
      from + std::string(9, '\xff');  // Past every 8-byte timestamp under the prefix.
  state.Scan(from, to, false, [&](std::string_view, std::string_view value) {
    if (std::optional<StaffOperation> op = DecodeStaffOperation(value))
      ops.push_back(std::move(*op));
    return static_cast<int>(ops.size()) < limit;
  });
  return ops;
}

std::optional<KeyRecord> LookupKey(const KvReader& state, const AccountId& account,
                                   std::string_view key_id) {
  std::string bytes;
  if (!state.Get(keys::Key(account, key_id), &bytes)) return std::nullopt;
  return DecodeKeyRecord(bytes);
}

std::optional<CardRecord> LookupCard(const KvReader& state, std::string_view card) {
  std::string bytes;
  if (!state.Get(keys::Card(card), &bytes)) return std::nullopt;
  return DecodeCardRecord(bytes);
}

CashOutPage ListCashOuts(const KvReader& state, Timestamp from, Timestamp to,
                         const AccountId* merchant, int limit) {
  CashOutPage page;
  const std::string begin =
      merchant ? keys::CashOut(*merchant, "") : std::string(1, keys::kCashOut);
  // The first key past the prefix: drop trailing 0xff bytes, then increment the last byte.
  std::string end = begin;
  while (!end.empty() && static_cast<uint8_t>(end.back()) == 0xff) end.pop_back();
  if (!end.empty()) end.back() = static_cast<char>(static_cast<uint8_t>(end.back()) + 1);
  state.Scan(begin, end, false, [&](std::string_view, std::string_view value) {
    std::optional<FeeRecord> record = DecodeFeeRecord(value);
    if (!record || record->result != Result::kOk || record->timestamp < from ||
        (to != 0 && record->timestamp >= to)) {
      return true;
    }
    if (static_cast<int>(page.cash_outs.size()) == limit) {
      page.truncated = true;
      return false;
    }
    page.cash_outs.push_back(std::move(*record));
    return true;
  });
  return page;
}

std::vector<HealthProgram> LookupHealthVersions(const KvReader& state, uint32_t program) {
  std::string bytes;
  if (!state.Get(keys::HealthProgram(program), &bytes)) return {};
  std::optional<std::vector<HealthProgram>> versions = DecodeHealthVersions(bytes);
  return versions ? std::move(*versions) : std::vector<HealthProgram>{};
}

namespace {

// Records of one resident keyed by a big-endian yyyymmdd, for days in [from_day, to_day].
template <typename Record>
std::vector<std::pair<uint32_t, Record>> ScanDays(
    const KvReader& state, const std::string& from, const std::string& to,
    std::optional<Record> (*decode)(std::string_view)) {
  std::vector<std::pair<uint32_t, Record>> out;
  std::string end = to;
  end.push_back('\0');  // Inclusive of to_day.
  state.Scan(from, end, false, [&](std::string_view key, std::string_view value) {
    const uint32_t day = keys::ReadBigEndian32(key.substr(key.size() - 4));
    if (std::optional<Record> record = decode(value)) out.emplace_back(day, std::move(*record));
    return true;
  });
  return out;
}

}  // namespace

std::vector<std::pair<uint32_t, DailyAward>> LookupDailyAwards(const KvReader& state,
                                                               const AccountId& resident,
                                                               uint32_t from_day, uint32_t to_day) {
  return ScanDays<DailyAward>(state, keys::DailyAward(resident, from_day),
                              keys::DailyAward(resident, to_day), &DecodeDailyAward);
}

std::vector<std::pair<uint32_t, StepRecord>> LookupStepRecords(const KvReader& state,
                                                               const AccountId& resident,
                                                               uint32_t from_day, uint32_t to_day) {
  return ScanDays<StepRecord>(state, keys::StepRecord(resident, from_day),
                              keys::StepRecord(resident, to_day), &DecodeStepRecord);
}

MonthlyTally LookupMonthlyTally(const KvReader& state, const AccountId& resident, uint32_t month) {
  std::string bytes;
  if (!state.Get(keys::MonthlyTally(resident, month), &bytes)) return {};
  return DecodeMonthlyTally(bytes).value_or(MonthlyTally{});
}

std::vector<std::pair<std::string, DeviceRecord>> LookupDevices(const KvReader& state,
                                                                const AccountId& resident) {
  std::vector<std::pair<std::string, DeviceRecord>> out;
  const std::string prefix = keys::ResidentPrefix(keys::kDevice, resident);
  std::string end = prefix;
  end.push_back('\xff');
  state.Scan(prefix, end, false, [&](std::string_view key, std::string_view value) {
    if (std::optional<DeviceRecord> device = DecodeDeviceRecord(value)) {
      out.emplace_back(std::string(key.substr(prefix.size())), std::move(*device));
    }
    return true;
  });
  return out;
}

std::optional<ConsentRecord> LookupConsent(const KvReader& state, const AccountId& resident,
                                           uint8_t purpose) {
  std::string bytes;
  if (!state.Get(keys::Consent(resident, purpose), &bytes)) return std::nullopt;
  return DecodeConsentRecord(bytes);
}

std::optional<ExchangeRecord> LookupExchange(const KvReader& state, const AccountId& resident,
                                             std::string_view exchange_id) {
  std::string bytes;
  if (!state.Get(keys::Exchange(resident, exchange_id), &bytes)) return std::nullopt;
  return DecodeExchangeRecord(bytes);
}

std::optional<WatchConfig> LookupWatchConfig(const KvReader& state, const AccountId& resident) {
  std::string bytes;
  if (!state.Get(keys::ResidentPrefix(keys::kWatchConfig, resident), &bytes)) return std::nullopt;
  return DecodeWatchConfig(bytes);
}

std::vector<AlertRecord> LookupAlerts(const KvReader& state, const AccountId& resident) {
  std::vector<AlertRecord> alerts;
  const std::string prefix = keys::ResidentPrefix(keys::kAlert, resident);
  state.Scan(prefix, prefix + "\xff", false, [&](std::string_view, std::string_view value) {
    if (std::optional<AlertRecord> alert = DecodeAlertRecord(value)) alerts.push_back(*alert);
    return true;
  });
  return alerts;
}

std::vector<AccountId> WatchedResidents(const KvReader& state, const AccountId& watcher) {
  std::vector<AccountId> residents;
  const std::string prefix = keys::ResidentPrefix(keys::kWatcherIndex, watcher);
  state.Scan(prefix, prefix + "\xff", false, [&](std::string_view key, std::string_view) {
    if (std::optional<Id128> id = Id128::FromBytes(key.substr(prefix.size())))
      residents.push_back(*id);
    return true;
  });
  return residents;
}

std::optional<CampaignRecord> LookupCampaign(const KvReader& state, uint32_t campaign) {
  std::string bytes;
  if (!state.Get(keys::Campaign(campaign), &bytes)) return std::nullopt;
  return DecodeCampaignRecord(bytes);
}

}  // namespace ledger
