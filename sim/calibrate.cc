// Calibration from ledger events; see calibrate.h for the format and the privacy rule.
#include "sim/calibrate.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <optional>

#include "absl/container/btree_map.h"
#include "absl/container/btree_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "ledger/core/check.h"
#include "nlohmann/json.hpp"
#include "sim/limits.h"

namespace sim {
namespace {

constexpr int64_t kSecondsPerDay = 86400;
constexpr uint64_t kNanosPerSecond = 1'000'000'000;

struct AccountInfo {
  std::string kind;
  std::string category;
  std::deque<std::pair<int64_t, int64_t>> lots;  // FIFO (timestamp_s, amount) of coin received.
};

// A flow cell: amount and the distinct accounts on each side.
struct Cell {
  int64_t amount = 0;
  absl::btree_set<std::string> payers, payees;
  bool Anonymous() const {
    return static_cast<int>(payers.size()) >= kMinDistinctAccounts &&
           static_cast<int>(payees.size()) >= kMinDistinctAccounts;
  }
};

struct Holding {
  double amount_days = 0;  // Σ amount × days held.
  double amount = 0;
  absl::btree_set<std::string> holders;
};

// Consumes `amount` from the account's FIFO lots and adds the holding time to `holding`.
void Consume(AccountInfo* account, const std::string& id, int64_t t, int64_t amount,
             Holding* holding) {
  while (amount > 0 && !account->lots.empty()) {
    auto& [received, left] = account->lots.front();
    const int64_t used = std::min(left, amount);
    holding->amount_days += static_cast<double>(used) * (t - received) / kSecondsPerDay;
    holding->amount += used;
    holding->holders.insert(id);
    left -= used;
    amount -= used;
    if (left == 0) account->lots.pop_front();
  }
}

int HoldingDays(const Holding& h) {
  if (h.amount <= 0) return 1;
  return std::clamp(static_cast<int>(std::lround(h.amount_days / h.amount)), 1, kHoldingDaysMax);
}

// Coin that entered wallets on one day, by wallet.
struct DayIssuance {
  absl::btree_map<std::string, int64_t> bought;  // ISSUER or EXTERNAL → WALLET: bought with yen.
  absl::btree_map<std::string, int64_t> funded;  // BUDGET → WALLET: paid for by the city.
};

// Everything read from the events; only aggregates of it reach the scenario.
struct Observations {
  absl::btree_map<std::string, AccountInfo> accounts;
  absl::btree_map<std::string, Cell> resident_cells;                     // category.
  absl::btree_map<std::pair<std::string, std::string>, Cell> b2b_cells;  // (from, to).
  absl::btree_map<std::string, Cell> cash_out_cells;                     // category.
  absl::btree_map<std::string, Holding> holding;                         // category, "" = wallets.
  absl::btree_map<int64_t, DayIssuance> issuance_by_day;
  absl::btree_set<std::string> wallets;
  absl::btree_map<std::string, absl::btree_set<std::string>> merchants;
  absl::btree_set<uint64_t> assets;  // Assets named by tail-format lines.
  int64_t first_t = -1;
};

// `ledgerctl tail --json` lines carry the asset; saved lines do not (`--ledger --asset` filtered
// them when they were fetched). Returns whether the line is kept, and notes its asset in
// `o->assets`.
bool KeepAsset(const nlohmann::json& e, uint32_t asset_filter, Observations* o) {
  if (!e.contains("asset") || !e["asset"].is_number_unsigned()) return true;
  const uint64_t asset = e["asset"].get<uint64_t>();
  o->assets.insert(asset);
  return asset_filter == 0 || asset == asset_filter;
}

absl::Status ObserveAccount(const nlohmann::json& e, const std::string& where,
                            uint32_t asset_filter, Observations* o) {
  if (!e.contains("id") || !e["id"].is_string() || !e.contains("kind") || !e["kind"].is_string()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": account needs string 'id' and 'kind'"));
  }
  if (!KeepAsset(e, asset_filter, o)) return absl::OkStatus();
  auto& accounts = o->accounts;
  auto& wallets = o->wallets;
  auto& merchants = o->merchants;
  AccountInfo& a = accounts[e["id"].get<std::string>()];
  // The saved format spells kinds as proto/ledger.proto does ("WALLET"), the tail format as
  // ledgerctl prints them ("wallet").
  a.kind = absl::AsciiStrToUpper(e["kind"].get<std::string>());
  if (e.contains("category") && e["category"].is_string())
    a.category = e["category"].get<std::string>();
  if (a.kind == "WALLET") wallets.insert(e["id"].get<std::string>());
  if (a.kind == "MERCHANT") {
    if (a.category.empty()) a.category = "uncategorised";
    merchants[a.category].insert(e["id"].get<std::string>());
  }
  return absl::OkStatus();
}

// A transfer that moved coin, in either line format.
struct Flow {
  std::string debit, credit;
  int64_t amount = 0;
  int64_t timestamp_s = 0;
};

bool IsString(const nlohmann::json& e, const char* key) {
  return e.contains(key) && e[key].is_string();
}

// The saved format: {"timestamp_s", "debit", "credit", "amount"}; every line is a flow.
absl::StatusOr<std::optional<Flow>> SavedFlow(const nlohmann::json& e, const std::string& where) {
  if (!IsString(e, "debit") || !IsString(e, "credit") || !e.contains("amount") ||
      !e["amount"].is_number_integer() || !e.contains("timestamp_s") ||
      !e["timestamp_s"].is_number_integer()) {
    return absl::InvalidArgumentError(absl::StrCat(
        where, ": transfer needs string 'debit', 'credit' and integer 'amount', 'timestamp_s'"));
  }
  return Flow{e["debit"].get<std::string>(), e["credit"].get<std::string>(),
              e["amount"].get<int64_t>(), e["timestamp_s"].get<int64_t>()};
}

// The `ledgerctl tail --json` format: {"timestamp" (ns), "debit_account", "credit_account",
// "amount", "asset", "flags": [...]}. As in the change stream (ledger_events.h), a pending
// transfer only reserves and a void releases: neither is a flow; a post is, and the ledger reports
// it with the accounts and amount it actually moved.
absl::StatusOr<std::optional<Flow>> TailFlow(const nlohmann::json& e, const std::string& where) {
  if (!IsString(e, "debit_account") || !IsString(e, "credit_account") || !e.contains("amount") ||
      !e["amount"].is_number_integer() || !e.contains("timestamp") ||
      !e["timestamp"].is_number_unsigned()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where,
                     ": transfer needs string 'debit_account', 'credit_account' and integer "
                     "'amount', non-negative 'timestamp' (nanoseconds)"));
  }
  if (e.contains("flags")) {
    if (!e["flags"].is_array())
      return absl::InvalidArgumentError(absl::StrCat(where, ": 'flags' must be an array"));
    for (const nlohmann::json& flag : e["flags"]) {
      if (flag == "pending" || flag == "void_pending") return std::optional<Flow>();
    }
  }
  return Flow{e["debit_account"].get<std::string>(), e["credit_account"].get<std::string>(),
              e["amount"].get<int64_t>(),
              static_cast<int64_t>(e["timestamp"].get<uint64_t>() / kNanosPerSecond)};
}

absl::Status ObserveTransfer(const nlohmann::json& e, const std::string& where,
                             uint32_t asset_filter, Observations* o) {
  // The line format is told by its field names, line by line.
  const bool tail = e.contains("debit_account") || e.contains("credit_account");
  absl::StatusOr<std::optional<Flow>> parsed = tail ? TailFlow(e, where) : SavedFlow(e, where);
  if (!parsed.ok()) return parsed.status();
  if (!KeepAsset(e, asset_filter, o) || !parsed->has_value()) return absl::OkStatus();
  const Flow& flow = **parsed;
  auto& accounts = o->accounts;
  auto& first_t = o->first_t;
  auto& holding = o->holding;
  const std::string& debit = flow.debit;
  const std::string& credit = flow.credit;
  const int64_t amount = flow.amount, t = flow.timestamp_s;
  if (amount <= 0)
    return absl::InvalidArgumentError(absl::StrCat(where, ": 'amount' must be positive"));
  auto from = accounts.find(debit), to = accounts.find(credit);
  if (from == accounts.end() || to == accounts.end()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": transfer names an account not created before it"));
  }
  if (first_t < 0) first_t = t;
  AccountInfo& payer = from->second;
  AccountInfo& payee = to->second;
  if (payee.kind == "WALLET") {
    DayIssuance& day = o->issuance_by_day[(t - first_t) / kSecondsPerDay];
    if (payer.kind == "ISSUER" || payer.kind == "EXTERNAL") day.bought[credit] += amount;
    if (payer.kind == "BUDGET") day.funded[credit] += amount;
  }
  if (payer.kind == "WALLET") {
    Consume(&payer, debit, t, amount, &holding[""]);
  }
  if (payer.kind == "MERCHANT") Consume(&payer, debit, t, amount, &holding[payer.category]);
  if (payee.kind == "WALLET" || payee.kind == "MERCHANT") payee.lots.emplace_back(t, amount);
  Cell* cell = nullptr;
  if (payer.kind == "WALLET" && payee.kind == "MERCHANT") cell = &o->resident_cells[payee.category];
  if (payer.kind == "MERCHANT" && payee.kind == "MERCHANT")
    cell = &o->b2b_cells[{payer.category, payee.category}];
  if (payer.kind == "MERCHANT" && (payee.kind == "EXTERNAL" || payee.kind == "ISSUER"))
    cell = &o->cash_out_cells[payer.category];
  if (cell != nullptr) {
    cell->amount += amount;
    cell->payers.insert(debit);
    cell->payees.insert(credit);
  }
  return absl::OkStatus();
}

absl::Status Observe(const std::string& json_lines, uint32_t asset_filter, Observations* o) {
  std::vector<std::string> lines = absl::StrSplit(json_lines, '\n');
  if (lines.size() > kEventLinesMax) return absl::InvalidArgumentError("events: too many lines");
  for (size_t n = 0; n < lines.size(); ++n) {
    const std::string line(absl::StripAsciiWhitespace(lines[n]));
    if (line.empty()) continue;
    const std::string where = absl::StrCat("events line ", n + 1);
    nlohmann::json e = nlohmann::json::parse(line, nullptr, false);
    if (e.is_discarded() || !e.is_object() || !e.contains("type") || !e["type"].is_string()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": not a JSON object with a string 'type'"));
    }
    const std::string type = e["type"].get<std::string>();
    absl::Status status = absl::OkStatus();
    if (type == "account") status = ObserveAccount(e, where, asset_filter, o);
    if (type == "transfer") status = ObserveTransfer(e, where, asset_filter, o);
    // Other events (assets, closes, expired pendings) carry no flows.
    if (!status.ok()) return status;
  }
  // Coin and points in one calibration would count points wallets and shops as coin ones.
  if (asset_filter == 0 && o->assets.size() > 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("events: accounts and transfers of ", o->assets.size(), " assets (",
                     absl::StrJoin(o->assets, ", "), "); choose one with --asset"));
  }
  return absl::OkStatus();
}

// One sector per category with enough merchants; `index` maps category → sector index.
absl::Status AddSectors(Observations& o, Calibration* calibration,
                        absl::btree_map<std::string, int>* index_out) {
  Calibration& c = *calibration;
  Scenario& s = c.scenario;
  auto& index = *index_out;
  for (const auto& [category, ids] : o.merchants) {
    if (static_cast<int>(ids.size()) < kMinDistinctAccounts) {
      c.suppressed.push_back(absl::StrCat("sector ", category, " (", ids.size(), " merchants)"));
      continue;
    }
    if (static_cast<int>(index.size()) == kSectorsMax) {
      c.suppressed.push_back(
          absl::StrCat("sector ", category, " (more than ", kSectorsMax, " sectors)"));
      continue;
    }
    index[category] = static_cast<int>(index.size());
    Sector sector;
    sector.name = category;
    sector.merchants = std::min<int>(ids.size(), kMerchantsPerSectorMax);
    // A holding time built from fewer than kMinDistinctAccounts merchants' payments is one of
    // those merchants' habits: the scenario format's default is used instead.
    const Holding& h = o.holding[category];
    sector.holding_days = HoldingDays(h);
    if (static_cast<int>(h.holders.size()) < kMinDistinctAccounts) {
      c.suppressed.push_back(absl::StrCat("sectors.", category, ".holding_days (", h.holders.size(),
                                          " merchants; default ", Sector().holding_days,
                                          " days used)"));
      sector.holding_days = Sector().holding_days;
    }
    s.sectors.push_back(sector);
  }
  if (s.sectors.empty())
    return absl::FailedPreconditionError("calibrate: no category has 10 or more merchants");
  return absl::OkStatus();
}

// Residents' spending shares and each sector's re-spend shares, with small cells suppressed.
void AddShares(Observations& o, const absl::btree_map<std::string, int>& index,
               Calibration* calibration) {
  Calibration& c = *calibration;
  Scenario& s = c.scenario;
  const int n = static_cast<int>(s.sectors.size());
  s.resident_spend_share.assign(n, 0.0);
  double resident_total = 0;
  for (const auto& [category, cell] : o.resident_cells) resident_total += cell.amount;
  for (const auto& [category, cell] : o.resident_cells) {
    auto it = index.find(category);
    if (it == index.end()) continue;
    if (!cell.Anonymous()) {
      c.suppressed.push_back(absl::StrCat("resident_spend_share.", category, " (",
                                          cell.payers.size(), " payers, ", cell.payees.size(),
                                          " payees)"));
      continue;
    }
    s.resident_spend_share[it->second] = cell.amount / resident_total;
  }
  for (const auto& [category, i] : index) {
    Sector& sector = s.sectors[i];
    sector.respend.assign(n, 0.0);
    // The cash-out share is 1 − the re-spend shares, so a cash-out by fewer than
    // kMinDistinctAccounts merchants (its payee is the issuer or the yen side, not a person) keeps
    // the whole row out: the sector gets the format's default, no re-spend.
    const Cell& cash_out = o.cash_out_cells[category];
    if (!cash_out.payers.empty() &&
        static_cast<int>(cash_out.payers.size()) < kMinDistinctAccounts) {
      c.suppressed.push_back(absl::StrCat("sectors.", category, ".respend (cash-out by ",
                                          cash_out.payers.size(),
                                          " merchants; default used: no re-spend)"));
      continue;
    }
    double outflow = cash_out.amount;
    for (const auto& [key, cell] : o.b2b_cells) {
      if (key.first == category) outflow += cell.amount;
    }
    if (outflow <= 0) continue;
    for (const auto& [key, cell] : o.b2b_cells) {
      if (key.first != category) continue;
      auto to = index.find(key.second);
      if (to == index.end()) continue;
      if (!cell.Anonymous()) {
        c.suppressed.push_back(absl::StrCat("sectors.", category, ".respend.", key.second, " (",
                                            cell.payers.size(), " payers, ", cell.payees.size(),
                                            " payees)"));
        continue;
      }
      sector.respend[to->second] = cell.amount / outflow;
    }
  }
}

// One issuance program's coin on one day (or, once merged, over a period starting that day).
struct ProgramFlow {
  int64_t coin = 0;     // Coin that entered wallets, premium included.
  int64_t premium = 0;  // The part of it the city funded as a premium on purchases.
  absl::btree_set<std::string> wallets;
  void Add(const ProgramFlow& other) {
    coin += other.coin;
    premium += other.premium;
    wallets.insert(other.wallets.begin(), other.wallets.end());
  }
};

// The part of a wallet's BUDGET → WALLET coin on one day that is the premium on its purchase that
// day: at most kPremiumRateMax times the purchase, 0 without one.
int64_t MatchedPremium(const DayIssuance& day, const std::string& wallet) {
  auto bought = day.bought.find(wallet);
  auto funded = day.funded.find(wallet);
  if (bought == day.bought.end() || funded == day.funded.end()) return 0;
  return std::min(funded->second, bought->second * static_cast<int64_t>(kPremiumRateMax));
}

// Splits each day's issuance into premium vouchers and other city-funded coin. A resident's
// purchase (ISSUER or EXTERNAL → WALLET) is paid in yen; a BUDGET → WALLET payment to a wallet that
// bought coin the same day is that purchase's premium (the ledger pays both in one linked batch),
// up to kPremiumRateMax times the purchase; the rest of BUDGET → WALLET (health-point exchanges,
// subsidies, a premium booked on another day) is city-funded coin without a purchase. Either way
// the city's cost is exactly the BUDGET → WALLET total.
void SplitIssuance(const Observations& o, int days, absl::btree_map<int64_t, ProgramFlow>* vouchers,
                   absl::btree_map<int64_t, ProgramFlow>* funded) {
  for (const auto& [day, issued] : o.issuance_by_day) {
    if (day >= days) continue;
    for (const auto& [wallet, amount] : issued.bought) {
      const int64_t premium = MatchedPremium(issued, wallet);
      ProgramFlow& flow = (*vouchers)[day];
      flow.coin += amount + premium;
      flow.premium += premium;
      flow.wallets.insert(wallet);
    }
    for (const auto& [wallet, amount] : issued.funded) {
      const int64_t premium = MatchedPremium(issued, wallet);
      if (amount == premium) continue;
      ProgramFlow& flow = (*funded)[day];
      flow.coin += amount - premium;
      flow.wallets.insert(wallet);
    }
  }
}

// One program's flows as issuance events, each built from kMinDistinctAccounts or more distinct
// wallets (one wallet paid on a day would reveal that person's amount): consecutive days are merged
// into a period until it reaches that many, and a short last period joins the one before it. A
// period is dated by its first day with issuance. If the program has more than kIssuancesMax / 2
// days, periods also end only at the boundaries of equal windows, so that there are at most that
// many. A program that reaches too few wallets in all is suppressed (listed, and left out).
absl::btree_map<int64_t, ProgramFlow> MergePeriods(
    const absl::btree_map<int64_t, ProgramFlow>& flows, int days, const std::string& program,
    std::vector<std::string>* suppressed) {
  constexpr int kEventsMax = kIssuancesMax / 2;
  const int64_t window =
      flows.size() > kEventsMax ? (static_cast<int64_t>(days) + kEventsMax - 1) / kEventsMax : 1;
  absl::btree_map<int64_t, ProgramFlow> periods;
  int64_t first_day = -1, last_day = -1;
  ProgramFlow open;
  for (const auto& [day, flow] : flows) {
    const bool anonymous = static_cast<int>(open.wallets.size()) >= kMinDistinctAccounts;
    if (first_day >= 0 && anonymous && day / window != last_day / window) {
      periods[first_day] = std::move(open);
      open = ProgramFlow();
      first_day = -1;
    }
    if (first_day < 0) first_day = day;
    open.Add(flow);
    last_day = day;
  }
  if (first_day >= 0) {
    if (static_cast<int>(open.wallets.size()) >= kMinDistinctAccounts || periods.empty()) {
      periods[first_day] = std::move(open);
    } else {
      periods.rbegin()->second.Add(open);
    }
  }
  if (periods.size() == 1 &&
      static_cast<int>(periods.begin()->second.wallets.size()) < kMinDistinctAccounts) {
    suppressed->push_back(absl::StrCat("issuance.", program, " (",
                                       periods.begin()->second.wallets.size(), " wallets)"));
    periods.clear();
  }
  CORE_CHECK(periods.size() <= kEventsMax, "at most one period per window");
  return periods;
}

// Issuance: premium vouchers (purchase plus premium, premium_rate = premium / purchase, so that the
// city's cost amount × rate / (1 + rate) is the premium) and other city-funded coin (program
// campaign, which the city pays in full), each merged into periods by MergePeriods.
absl::Status AddIssuance(const Observations& o, int days, Calibration* calibration) {
  static_assert(kIssuancesMax >= 2, "one event per program at least");
  Scenario& s = calibration->scenario;
  absl::btree_map<int64_t, ProgramFlow> vouchers, funded;
  SplitIssuance(o, days, &vouchers, &funded);
  for (const auto& [day, flow] :
       MergePeriods(vouchers, days, "premium_voucher", &calibration->suppressed)) {
    const int64_t purchased = flow.coin - flow.premium;
    CORE_CHECK(purchased > 0 && flow.premium <= purchased * kPremiumRateMax,
               "a premium voucher has a purchase and a premium within the limit");
    s.issuance.push_back(Issuance{static_cast<int>(day), std::min(flow.coin, kIssuanceAmountYenMax),
                                  "premium_voucher",
                                  static_cast<double>(flow.premium) / purchased});
  }
  for (const auto& [day, flow] : MergePeriods(funded, days, "campaign", &calibration->suppressed)) {
    s.issuance.push_back(
        Issuance{static_cast<int>(day), std::min(flow.coin, kIssuanceAmountYenMax), "campaign", 0});
  }
  std::stable_sort(s.issuance.begin(), s.issuance.end(),
                   [](const Issuance& a, const Issuance& b) { return a.day < b.day; });
  CORE_CHECK(s.issuance.size() <= kIssuancesMax, "issuance fits the scenario format");
  if (s.issuance.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("calibrate: no issuance (ISSUER/EXTERNAL/BUDGET → WALLET) to ",
                     kMinDistinctAccounts, " or more wallets"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Calibration> CalibrateFromEvents(const std::string& json_lines, int days,
                                                int residents, uint32_t asset) {
  Observations o;
  if (absl::Status status = Observe(json_lines, asset, &o); !status.ok()) return status;
  auto& holding = o.holding;
  auto& wallets = o.wallets;
  Calibration c;
  Scenario& s = c.scenario;
  s.name = "calibrated from ledger events";
  s.days = days;
  s.residents =
      residents > 0 ? residents : std::max<int>(1, std::min<size_t>(wallets.size(), kResidentsMax));
  s.resident_holding_days = HoldingDays(holding[""]);
  if (static_cast<int>(holding[""].holders.size()) < kMinDistinctAccounts) {
    c.suppressed.push_back(absl::StrCat("resident_holding_days (", holding[""].holders.size(),
                                        " wallets; default used)"));
    s.resident_holding_days = Scenario().resident_holding_days;
  }
  absl::btree_map<std::string, int> index;
  if (absl::Status status = AddSectors(o, &c, &index); !status.ok()) return status;
  AddShares(o, index, &c);
  if (absl::Status status = AddIssuance(o, days, &c); !status.ok()) return status;
  return c;
}

}  // namespace sim
