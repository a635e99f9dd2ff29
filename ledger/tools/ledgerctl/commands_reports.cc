// ledgerctl: reports: merchant payouts and the prepaid base-date report (資金決済法).
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "ledger/core/limits.h"
#include "ledger/storage/atomic_file.h"
#include "ledger/tools/ledgerctl/ledgerctl.h"

namespace ledger::ctl {

namespace {

struct Payee {
  std::vector<std::string>
      fields;  // bank_code, branch_code, account_type, account_number, account_holder.
};

std::map<std::string, Payee> ReadPayees(const std::string& path) {
  std::ifstream in(path);
  if (!in) UsageError(absl::StrCat("--payees: cannot read '", path, "'"));
  std::map<std::string, Payee> payees;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#' || (number == 1 && line.rfind("merchant,", 0) == 0))
      continue;
    std::vector<std::string> fields = absl::StrSplit(line, ',');
    if (fields.size() != 6) {
      UsageError(absl::StrCat(
          "--payees ", path, " line ", number, ": 6 fields expected (merchant,bank_code,",
          "branch_code,account_type,account_number,account_holder), found ", fields.size()));
    }
    for (const std::string& field : fields) {
      if (!field.empty() && field[0] == '"') {
        UsageError(absl::StrCat("--payees ", path, " line ", number,
                                ": quoted fields are not supported (no commas in names)"));
      }
    }
    const std::string merchant =
        IdArg(fields[0], absl::StrCat("--payees line ", number, " merchant"));
    if (fields[1].size() != 4 || fields[2].size() != 3 ||
        !std::all_of(fields[1].begin(), fields[1].end(), ::isdigit) ||
        !std::all_of(fields[2].begin(), fields[2].end(), ::isdigit)) {
      UsageError(absl::StrCat("--payees ", path, " line ", number,
                              ": bank_code is 4 digits, branch_code 3"));
    }
    payees[merchant].fields.assign(fields.begin() + 1, fields.end());
  }
  return payees;
}

struct Totals {
  int count = 0;
  int64_t amount = 0, fee = 0, payout = 0;
};

// The settlement of a range's cash-outs: totals per merchant and in all, and the report's text.
struct Settlement {
  std::map<std::string, Totals>
      per_merchant;  // Merchant id bytes -> totals (key order = id order).
  Totals all;
  std::string report;
};

// The accepted cash-outs of [from, to) (of --merchant, if given) into *reply. 0, or the exit code
// of a failure (printed), also when there are more than one reply holds.
int ListCashOutsOfRange(LedgerConnection& stub, const Args& args, uint64_t from, uint64_t to,
                        v1::ListCashOutsReply* reply) {
  v1::ListCashOutsRequest request;
  request.set_from_timestamp(from);
  request.set_to_timestamp(to);
  if (args.Has("merchant"))
    request.set_merchant_id(IdArg(args.options.at("merchant"), "--merchant"));
  grpc::Status status = stub.Call([&](LedgerConnection& c) {
    return c.ledger().ListCashOuts(Context().get(), request, reply);
  });
  if (!status.ok()) return RpcFailed(status);
  if (reply->truncated()) {
    fprintf(stderr, "ledgerctl: more than %d cash-outs in that range: split it into shorter ones\n",
            reply->cash_outs_size());
    return 1;
  }
  return 0;
}

// Payouts are in yen at 1 coin = 1 yen: only assets without decimals qualify. 0, or 1 (printed).
int CheckAssetsAreYen(LedgerConnection& stub, const v1::ListCashOutsReply& reply) {
  std::map<uint32_t, v1::Asset> assets;
  std::set<uint32_t> ids;  // Each asset once: a month of cash-outs names the same one or two.
  for (const v1::CashOutRecord& c : reply.cash_outs()) ids.insert(c.asset());
  v1::LookupAssetsRequest lookup;
  for (uint32_t id : ids) lookup.add_ids(id);
  v1::LookupAssetsReply found;
  grpc::Status status = stub.Call([&](LedgerConnection& c) {
    return c.ledger().LookupAssets(Context().get(), lookup, &found);
  });
  if (!status.ok()) return RpcFailed(status);
  for (const v1::Asset& a : found.assets()) assets[a.id()] = a;
  for (const v1::CashOutRecord& c : reply.cash_outs()) {
    auto it = assets.find(c.asset());
    if (it == assets.end() || it->second.scale() != 0) {
      fprintf(stderr,
              "ledgerctl: cash-out %s of merchant %s is in asset %u, which %s: payouts assume 1 "
              "coin = 1 yen\n",
              c.cash_out_id().c_str(), ShortHex(c.merchant_id()).c_str(), c.asset(),
              it == assets.end() ? "is unknown" : "has decimals (scale > 0)");
      return 1;
    }
  }
  return 0;
}

// Each cash-out's line, the totals per merchant and the grand total, which must balance.
Settlement Settle(const v1::ListCashOutsReply& reply, const std::string& from_text,
                  const std::string& to_text) {
  Settlement settlement;
  std::map<std::string, Totals>& per_merchant = settlement.per_merchant;
  Totals& all = settlement.all;
  std::ostringstream out;
  out << "Settlement of cash-outs (換金), " << from_text << " to " << to_text << " (Japan time)\n";
  out << "Fee = floor(coin x rate / 10,000), kept by the FEE account; payout = coin - fee, in yen; "
         "the coin "
         "is retired to the issuer; bps \"m\" = chamber member rate.\n\n";
  char line[512];
  snprintf(line, sizeof line, "%-10s %-24s %-19s %5s %12s %6s %10s %12s\n", "merchant",
           "cash-out id", "time (JST)", "asset", "coin", "bps", "fee", "payout (yen)");
  out << line;
  for (const v1::CashOutRecord& c : reply.cash_outs()) {
    snprintf(line, sizeof line, "%-10s %-24s %-19s %5u %12s %5u%s %10s %12s\n",
             ShortHex(c.merchant_id()).c_str(), c.cash_out_id().c_str(),
             JapanTime(c.timestamp()).c_str(), c.asset(), Yen(c.amount()).c_str(), c.bps(),
             c.member() ? "m" : " ", Yen(c.fee()).c_str(), Yen(c.payout()).c_str());
    out << line;
    Totals& t = per_merchant[c.merchant_id()];
    for (Totals* x : {&t, &all}) {
      ++x->count;
      x->amount += c.amount();
      x->fee += c.fee();
      x->payout += c.payout();
    }
  }
  out << "\nPer merchant:\n";
  for (const auto& [merchant, t] : per_merchant) {
    snprintf(line, sizeof line,
             "  merchant %-10s %4d cash-out(s)  coin %12s  fees %10s  payout %12s yen\n",
             ShortHex(merchant).c_str(), t.count, Yen(t.amount).c_str(), Yen(t.fee).c_str(),
             Yen(t.payout).c_str());
    out << line;
  }
  snprintf(line, sizeof line,
           "\nTotal: %d cash-out(s) from %zu merchant(s): coin retired %s = payouts %s yen + fees "
           "%s  (%s)\n",
           all.count, per_merchant.size(), Yen(all.amount).c_str(), Yen(all.payout).c_str(),
           Yen(all.fee).c_str(),
           all.amount == all.payout + all.fee ? "balanced" : "DOES NOT BALANCE");
  out << line;
  settlement.report = out.str();
  return settlement;
}

// The bank transfer file (--csv): one row per merchant with its account from --payees. 0, or the
// exit code of a failure (printed; no file written).
int WritePayoutsCsv(const Args& args, const Settlement& settlement) {
  const std::map<std::string, Payee> payees = ReadPayees(args.options.at("payees"));
  std::string csv =
      "merchant_id,bank_code,branch_code,account_type,account_number,account_holder,amount_yen,"
      "cash_outs\n";
  for (const auto& [merchant, t] : settlement.per_merchant) {
    auto it = payees.find(merchant);
    if (it == payees.end()) {
      fprintf(stderr, "ledgerctl: merchant %s has cash-outs but no line in %s: no file written\n",
              ShortHex(merchant).c_str(), args.options.at("payees").c_str());
      return 3;
    }
    std::vector<std::string> row = {ShortHex(merchant)};
    for (const std::string& f : it->second.fields) row.push_back(CsvField(f));
    row.push_back(std::to_string(t.payout));
    row.push_back(std::to_string(t.count));
    csv += absl::StrJoin(row, ",") + "\n";
  }
  if (absl::Status written = WriteFileAtomically(args.options.at("csv"), csv); !written.ok()) {
    fprintf(stderr, "ledgerctl: %s\n", std::string(written.message()).c_str());
    return 1;
  }
  fprintf(stderr, "ledgerctl: %zu payout(s), %s yen in total, written to %s\n",
          settlement.per_merchant.size(), Yen(settlement.all.payout).c_str(),
          args.options.at("csv").c_str());
  return 0;
}

}  // namespace

int PayoutsCommand(LedgerConnection& stub, const Args& args) {
  const std::string from_text = Required(args, "from"), to_text = Required(args, "to");
  const uint64_t from = DayStart(from_text, "from");
  const uint64_t to =
      DayStart(to_text, "to") + 86400ULL * 1'000'000'000ULL;  // Through the end of that day.
  if (to <= from) UsageError("--to: must not be before --from");
  if (args.Has("csv") != args.Has("payees"))
    UsageError("--csv and --payees go together: the bank needs accounts");
  v1::ListCashOutsReply reply;
  if (int code = ListCashOutsOfRange(stub, args, from, to, &reply)) return code;
  if (int code = CheckAssetsAreYen(stub, reply)) return code;
  const Settlement settlement = Settle(reply, from_text, to_text);
  if (settlement.all.amount != settlement.all.payout + settlement.all.fee) {
    fprintf(stderr, "%s", settlement.report.c_str());
    return 4;
  }
  if (args.Has("csv")) {
    if (int code = WritePayoutsCsv(args, settlement)) return code;
  }
  if (args.Has("report")) {
    if (absl::Status written = WriteFileAtomically(args.options.at("report"), settlement.report);
        !written.ok()) {
      fprintf(stderr, "ledgerctl: %s\n", std::string(written.message()).c_str());
      return 1;
    }
    fprintf(stderr, "ledgerctl: settlement report written to %s\n",
            args.options.at("report").c_str());
  } else {
    printf("%s", settlement.report.c_str());
  }
  return 0;
}

namespace {

// What an account of this kind holds is not owed to any holder: the issuer's own side (what it
// issued, as a negative balance), its programme budgets, its fee income, lapsed value, and coin
// cashed out to yen. Everything else (wallets, merchants, escrow held for a pending obligation) is
// outstanding to holders.
bool IsIssuerSide(int kind) {
  return kind == v1::ISSUER || kind == v1::BUDGET || kind == v1::FEE || kind == v1::BREAKAGE ||
         kind == v1::EXTERNAL;
}

// The latest base date (31 March or 30 September) strictly before `day`.
absl::CivilDay PreviousBaseDate(absl::CivilDay day) {
  const int64_t y = day.year();
  const absl::CivilDay march(y, 3, 31), september(y, 9, 30);
  if (day > september) return september;
  if (day > march) return march;
  return absl::CivilDay(y - 1, 9, 30);
}

// The base date of --date and the cut: the end of that Japan-time day, or --as-of-timestamp
// (tests).
struct BaseDateCut {
  std::string date_text;
  absl::CivilDay previous;    // The previous base date.
  uint64_t as_of = 0;         // The last logical time counted.
  uint64_t previous_end = 0;  // The end of the previous base date.
};

BaseDateCut ParseBaseDateCut(const Args& args) {
  BaseDateCut cut;
  cut.date_text = Required(args, "date");
  absl::CivilDay date;
  if (!absl::ParseCivilTime(cut.date_text, &date) || date.year() < 1971 || date.year() > 2200) {
    UsageError(
        absl::StrCat("--date: not a date YYYY-MM-DD between 1971 and 2200: '", cut.date_text, "'"));
  }
  cut.previous = PreviousBaseDate(date);
  // The end of a Japan-time day: the last nanosecond before the next day's 00:00 JST.
  auto day_end = [](absl::CivilDay day) {
    return static_cast<uint64_t>(absl::ToUnixNanos(absl::FromCivil(day + 1, Japan()))) - 1;
  };
  cut.as_of = day_end(date);
  cut.previous_end = day_end(cut.previous);
  if (args.Has("as-of-timestamp")) {  // For tests: cut at this logical time instead of the end of
                                      // --date.
    const int64_t t = Int(args.options.at("as-of-timestamp"), "as-of-timestamp");
    if (t <= 0) UsageError("--as-of-timestamp: must be positive");
    cut.as_of = static_cast<uint64_t>(t);
    if (cut.as_of <= cut.previous_end)
      UsageError("--as-of-timestamp: must be after the previous base date's end");
  }
  return cut;
}

// Which assets existed by `as_of`, and their issuer-side accounts: from the journal up to the cut
// (accounts created later had a zero balance then). Only issuer-side accounts are kept; wallets are
// not listed. 0, or the exit code of a failure (printed).
int AssetsAndIssuerSide(LedgerConnection& stub, uint64_t journal_end, uint64_t as_of,
                        std::vector<uint32_t>* seen_assets,
                        std::map<uint32_t, std::vector<std::pair<std::string, int>>>* issuer_side) {
  return ForEachJournalEvent(stub, 1, journal_end, 1024, [&](const v1::Event& event) {
    if (event.timestamp() > as_of) return false;
    if (event.has_asset_created()) seen_assets->push_back(event.asset_created().id());
    if (event.has_account_created() && IsIssuerSide(event.account_created().kind())) {
      (*issuer_side)[event.account_created().asset()].emplace_back(event.account_created().id(),
                                                                   event.account_created().kind());
    }
    return true;
  });
}

// The assets `ids` into *assets. 0, or the exit code of a failure (printed; 3 for an unknown
// asset).
int LookupAssetsById(LedgerConnection& stub, const std::vector<uint32_t>& ids,
                     std::map<uint32_t, v1::Asset>* assets) {
  if (ids.empty()) return 0;
  v1::LookupAssetsRequest lookup;
  for (uint32_t id : ids) lookup.add_ids(id);
  v1::LookupAssetsReply found;
  grpc::Status status = stub.Call([&](LedgerConnection& c) {
    return c.ledger().LookupAssets(Context().get(), lookup, &found);
  });
  if (!status.ok()) return RpcFailed(status);
  for (const v1::Asset& a : found.assets()) (*assets)[a.id()] = a;
  for (uint32_t id : ids) {
    if (assets->count(id) == 0) {
      fprintf(stderr, "ledgerctl: --asset %u: no such asset\n", id);
      return 3;
    }
  }
  return 0;
}

// What one asset's figures are at the cut.
struct AssetFigures {
  int64_t sums[9] = {0};  // Balances of the issuer-side accounts, by kind.
  int64_t issued = 0, unused = 0, breakage = 0, deposit = 0;
  bool prepaid = true;     // Not listed in --points.
  __int128 threshold = 0;  // 10,000,000 yen in minor units.
  std::string threshold_text;
};

// Sums the issuer-side balances at the cut, the breakage credited since the previous base date, and
// the deposit due. 0, or the exit code of a failure (printed).
int FiguresOf(LedgerConnection& stub, const v1::Asset& asset,
              const std::vector<std::pair<std::string, int>>& accounts, const BaseDateCut& cut,
              bool prepaid, AssetFigures* f) {
  for (const auto& [account, kind] : accounts) {
    v1::GetBalanceAtRequest request;
    request.set_account_id(account);
    request.set_timestamp(cut.as_of);
    v1::GetBalanceAtReply reply;
    grpc::Status status = stub.Call([&](LedgerConnection& c) {
      return c.ledger().GetBalanceAt(Context().get(), request, &reply);
    });
    if (!status.ok()) return RpcFailed(status);
    f->sums[kind] += reply.balance();
  }
  f->issued = -f->sums[v1::ISSUER];
  f->unused = f->issued - f->sums[v1::BUDGET] - f->sums[v1::FEE] - f->sums[v1::BREAKAGE] -
              f->sums[v1::EXTERNAL];
  // Breakage: credits to the asset's breakage account after the previous base date's end, up to the
  // cut.
  uint64_t from = cut.previous_end + 1;
  while (from != 0 && from <= cut.as_of) {
    v1::GetAccountHistoryRequest request;
    request.set_account_id(asset.breakage_account_id());
    request.set_from_timestamp(from);
    request.set_to_timestamp(cut.as_of);
    request.set_limit(kHistoryPageMax);
    v1::GetAccountHistoryReply reply;
    grpc::Status status = stub.Call([&](LedgerConnection& c) {
      return c.ledger().GetAccountHistory(Context().get(), request, &reply);
    });
    if (!status.ok()) return RpcFailed(status);
    for (const v1::HistoryEntry& e : reply.entries()) {
      if (e.delta() > 0) f->breakage += e.delta();
    }
    from = reply.next_timestamp();
  }
  f->prepaid = prepaid;
  f->threshold = kPrepaidDepositThresholdYen;
  for (uint32_t i = 0; i < asset.scale(); ++i) f->threshold *= 10;
  if (prepaid && f->unused > f->threshold) {
    // Half, rounded up to a whole yen (the deposit is made in yen).
    const __int128 unit = f->threshold / kPrepaidDepositThresholdYen;
    const __int128 half = (static_cast<__int128>(f->unused) + 1) / 2;
    f->deposit = static_cast<int64_t>((half + unit - 1) / unit * unit);
  }
  f->threshold_text =
      f->threshold > INT64_MAX ? "over int64" : std::to_string(static_cast<int64_t>(f->threshold));
  return 0;
}

// The asset's section of the printed report.
void PrintFigures(const v1::Asset& asset, const AssetFigures& f, std::ostringstream& out) {
  const uint32_t s = asset.scale();
  out << "\nasset " << asset.id() << " " << asset.code() << " (scale " << s << ", "
      << (f.prepaid ? "prepaid coin in yen" : "points: not a prepaid instrument, no deposit")
      << ")\n";
  char line[256];
  auto row = [&](const char* label, int64_t value) {
    snprintf(line, sizeof line, "  %-44s %22s\n", label, Decimal(value, s).c_str());
    out << line;
  };
  row("issued (net of coin returned to the issuer)", f.issued);
  row("  less: budgets (BUDGET)", f.sums[v1::BUDGET]);
  row("  less: fees (FEE)", f.sums[v1::FEE]);
  row("  less: lapsed (BREAKAGE)", f.sums[v1::BREAKAGE]);
  row("  less: cashed out (EXTERNAL)", f.sums[v1::EXTERNAL]);
  row("unused balance", f.unused);
  if (f.prepaid) {
    snprintf(line, sizeof line, "  %-44s %22s\n",
             f.unused > f.threshold ? "deposit due (half, above 10,000,000 yen)"
                                    : "deposit due (not above 10,000,000 yen)",
             Decimal(f.deposit, s).c_str());
    out << line;
  }
  row("breakage since the previous base date", f.breakage);
}

// The asset's row of the CSV file.
std::string CsvRow(const v1::Asset& asset, const AssetFigures& f, const BaseDateCut& cut) {
  return absl::StrJoin(
             {cut.date_text, std::to_string(cut.as_of), std::to_string(asset.id()), asset.code(),
              std::to_string(asset.scale()), std::string(f.prepaid ? "prepaid" : "points"),
              std::to_string(f.issued), std::to_string(f.sums[v1::BUDGET]),
              std::to_string(f.sums[v1::FEE]), std::to_string(f.sums[v1::BREAKAGE]),
              std::to_string(f.sums[v1::EXTERNAL]), std::to_string(f.unused),
              f.prepaid ? f.threshold_text : std::string(), std::to_string(f.deposit),
              std::to_string(f.breakage), absl::FormatCivilTime(cut.previous)},
             ",") +
         "\n";
}

}  // namespace

int BaseDateReportCommand(LedgerConnection& stub, const Args& args) {
  const BaseDateCut cut = ParseBaseDateCut(args);
  const std::vector<uint32_t> requested = AssetList(args, "asset");
  const std::vector<uint32_t> points_list = AssetList(args, "points");
  const std::set<uint32_t> points(points_list.begin(), points_list.end());

  v1::GetDigestReply digest;
  grpc::Status status = stub.Call([&](LedgerConnection& c) {
    return c.ledger().GetDigest(Context().get(), v1::GetDigestRequest(), &digest);
  });
  if (!status.ok()) return RpcFailed(status);
  std::vector<uint32_t> seen_assets;
  std::map<uint32_t, std::vector<std::pair<std::string, int>>> issuer_side;  // asset -> (id, kind).
  if (int failed = AssetsAndIssuerSide(stub, digest.journal_index(), cut.as_of, &seen_assets,
                                       &issuer_side)) {
    return failed;
  }
  const std::vector<uint32_t>& asset_ids = requested.empty() ? seen_assets : requested;
  std::map<uint32_t, v1::Asset> assets;
  if (int failed = LookupAssetsById(stub, asset_ids, &assets)) return failed;

  std::ostringstream out;
  const std::string as_of_text =
      args.Has("as-of-timestamp")
          ? absl::StrCat(JapanTime(cut.as_of), " JST (--as-of-timestamp ", cut.as_of, ")")
          : absl::StrCat(cut.date_text, " 24:00 JST");
  out << "Prepaid base-date report (資金決済法): unused balance as of " << as_of_text << "\n";
  out << "Breakage counted after the previous base date, " << absl::FormatCivilTime(cut.previous)
      << " 24:00 JST.\n";
  if (cut.as_of > digest.timestamp()) {
    out << "Note: that time has not come yet on the ledger (clock " << JapanTime(digest.timestamp())
        << " JST): the figures are those so far.\n";
  }
  out << "Unused = held by wallets, merchants and escrow = issued - budgets - fees - breakage - "
         "cashed out "
         "(external).\n";
  std::string csv =
      "base_date,as_of_timestamp,asset,code,scale,kind,issued,budget,fee,breakage_balance,external,"
      "unused,"
      "deposit_threshold,deposit_due,breakage_since_previous,previous_base_date\n";
  for (uint32_t id : asset_ids) {
    const v1::Asset& asset = assets.at(id);
    AssetFigures figures;
    if (int failed = FiguresOf(stub, asset, issuer_side[id], cut, points.count(id) == 0, &figures))
      return failed;
    PrintFigures(asset, figures, out);
    csv += CsvRow(asset, figures, cut);
  }
  if (asset_ids.empty()) out << "\nNo asset existed by then.\n";
  printf("%s", out.str().c_str());
  if (args.Has("csv")) {
    if (absl::Status written = WriteFileAtomically(args.options.at("csv"), csv); !written.ok()) {
      fprintf(stderr, "ledgerctl: %s\n", std::string(written.message()).c_str());
      return 1;
    }
    fprintf(stderr, "ledgerctl: %zu asset(s) written to %s\n", asset_ids.size(),
            args.options.at("csv").c_str());
  }
  return 0;
}

}  // namespace ledger::ctl
