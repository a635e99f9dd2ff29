// Renders report.html and compare.html. ECharts comes from sim/report/vendor/echarts.min.js,
// compiled into the binary by the `echarts_js` genrule so that no file is read at run time.
#include "sim/report.h"

#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "nlohmann/json.hpp"
#include "sim/report/echarts_js.h"

namespace sim {
namespace {

using Json = nlohmann::ordered_json;

struct Text {
  const char* ja;
  const char* en;
};

const char* T(Language language, Text text) {
  return language == Language::kJapanese ? text.ja : text.en;
}

std::string Escape(const std::string& s) {
  return absl::StrReplaceAll(s, {{"&", "&amp;"}, {"<", "&lt;"}, {">", "&gt;"}, {"\"", "&quot;"}});
}

// JSON inside <script>: "</" must not close the element.
std::string ScriptJson(const Json& j) { return absl::StrReplaceAll(j.dump(), {{"</", "<\\/"}}); }

std::string Yen(double v) {
  std::string digits = absl::StrFormat("%.0f", std::fabs(v));
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return (v < -0.5 ? "-" : "") + out;
}

std::string Fixed(double v, int decimals) { return absl::StrFormat("%.*f", decimals, v); }

constexpr char kStyle[] = R"(<style>
body{font-family:"Hiragino Sans","Noto Sans CJK JP","Yu Gothic",sans-serif;margin:24px;color:#222;max-width:1100px}
h1{font-size:1.6em}h2{font-size:1.25em;border-bottom:2px solid #4a7;padding-bottom:4px;margin-top:32px}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #bbb;padding:4px 10px}
td.n{text-align:right;font-variant-numeric:tabular-nums}th{background:#eef6ee}
.chart{width:100%;height:420px}.summary{font-size:1.1em;background:#f6faf6;padding:12px;border-left:4px solid #4a7}
</style>)";

constexpr char kErrorHook[] = R"(<script>
window.onerror = function (message) { document.body.setAttribute('data-error', String(message)); };
</script>)";

std::string Head(Language language, const std::string& title) {
  return absl::StrCat(
      "<!DOCTYPE html>\n<html lang=\"", language == Language::kJapanese ? "ja" : "en",
      "\">\n<head>\n<meta charset=\"utf-8\">\n<title>", Escape(title), "</title>\n", kStyle,
      "\n<script>\n", std::string(EchartsJs()), "\n</script>\n</head>\n<body>\n", kErrorHook, "\n");
}

// The Sankey flows from the exact engine: city → residents → sectors → re-spend / cash-out /
// leakage.
Json SankeyData(const RunResult& r, Language language) {
  const Metrics& m = r.exact;
  const std::string city = T(language, {"市（発行）", "City (issuer)"});
  const std::string residents = T(language, {"住民", "Residents"});
  const std::string outside = T(language, {"域外へ", "Spent outside"});
  const std::string b2b = T(language, {"地域内の再支払い (B2B)", "Re-spent locally (B2B)"});
  const std::string cash = T(language, {"円に換金", "Cashed out to yen"});
  const std::string other = T(language, {"保有・失効・減価", "Held, expired, demurrage"});
  Json nodes = Json::array(), links = Json::array();
  for (const std::string& name : {city, residents, outside, b2b, cash, other})
    nodes.push_back({{"name", name}});
  auto link = [&](const std::string& from, const std::string& to, double value) {
    if (value >= 0.5)
      links.push_back({{"source", from}, {"target", to}, {"value", std::round(value)}});
  };
  link(city, residents, m.issued_yen);
  link(residents, outside, m.spent_out_of_system_yen);
  double resident_sales = 0;
  for (const SectorMetrics& s : m.sectors) resident_sales += s.resident_sales_yen;
  link(residents, other, m.issued_yen - resident_sales - m.spent_out_of_system_yen);
  for (const SectorMetrics& s : m.sectors) {
    nodes.push_back({{"name", s.name}});
    link(residents, s.name, s.resident_sales_yen);
    const double received =
        s.resident_sales_yen + s.b2b_sales_yen * (1 - r.scenario.b2b_bps / 10000.0);
    link(s.name, b2b, s.b2b_paid_yen);
    link(s.name, cash, s.cash_out_gross_yen);
    link(s.name, other, received - s.b2b_paid_yen - s.cash_out_gross_yen);
  }
  return {{"nodes", nodes}, {"links", links}};
}

Json ChartData(const RunResult& r, Language language) {
  Json j;
  j["sankey"] = SankeyData(r, language);
  Json hops = Json::array(), exact = Json::array(), mean = Json::array(), p5 = Json::array(),
       p95 = Json::array();
  for (size_t k = 0; k < r.exact.rounds.size() && k < 10; ++k) {
    const std::string key = absl::StrCat("rounds.hop_", k + 1);
    hops.push_back(absl::StrCat(T(language, {"第", "hop "}), k + 1, T(language, {"次", ""})));
    exact.push_back(std::round(r.exact.rounds[k]));
    auto get = [&](const absl::btree_map<std::string, double>& map) {
      auto it = map.find(key);
      return it == map.end() ? 0.0 : std::round(it->second);
    };
    mean.push_back(get(r.monte_carlo.mean));
    p5.push_back(get(r.monte_carlo.p5));
    p95.push_back(get(r.monte_carlo.p95));
  }
  j["hops"] = {{"labels", hops}, {"exact", exact}, {"mean", mean}, {"p5", p5}, {"p95", p95}};
  Json days = Json::array(), stock_exact = Json::array(), stock_mean = Json::array();
  for (int t = 0; t < r.scenario.days; ++t) {
    days.push_back(t);
    stock_exact.push_back(std::round(r.exact.coin_stock[t]));
    stock_mean.push_back(std::round(r.monte_carlo.coin_stock_mean[t]));
  }
  j["stock"] = {{"days", days}, {"exact", stock_exact}, {"mean", stock_mean}};
  j["labels"] = {{"exact", T(language, {"期待値（厳密）", "Expected (exact)"})},
                 {"mean", T(language, {"モンテカルロ平均", "Monte Carlo mean"})},
                 {"p5", T(language, {"5%点", "5th percentile"})},
                 {"p95", T(language, {"95%点", "95th percentile"})},
                 {"yen", T(language, {"円", "yen"})},
                 {"day", T(language, {"日", "day"})}};
  return j;
}

constexpr char kChartScript[] = R"(<script>
(function () {
  var D = CIRCSIM_DATA, drawn = 0;
  function chart(id, option) {
    var c = echarts.init(document.getElementById(id), null, {renderer: 'canvas'});
    c.on('finished', function once() { c.off('finished', once); drawn++; if (drawn === 3) document.body.setAttribute('data-charts-ok', '3'); });
    c.setOption(Object.assign({animation: false}, option));
  }
  chart('sankey', {tooltip: {trigger: 'item'}, series: [{type: 'sankey', data: D.sankey.nodes, links: D.sankey.links,
    emphasis: {focus: 'adjacency'}, nodeAlign: 'left', lineStyle: {color: 'gradient', curveness: 0.5}}]});
  chart('hops', {tooltip: {trigger: 'axis'}, legend: {}, xAxis: {type: 'category', data: D.hops.labels},
    yAxis: {type: 'value', name: D.labels.yen}, series: [
      {name: D.labels.exact, type: 'bar', data: D.hops.exact},
      {name: D.labels.mean, type: 'bar', data: D.hops.mean},
      {name: D.labels.p5, type: 'line', data: D.hops.p5}, {name: D.labels.p95, type: 'line', data: D.hops.p95}]});
  chart('stock', {tooltip: {trigger: 'axis'}, legend: {}, xAxis: {type: 'category', name: D.labels.day, data: D.stock.days},
    yAxis: {type: 'value', name: D.labels.yen}, series: [
      {name: D.labels.exact, type: 'line', showSymbol: false, data: D.stock.exact},
      {name: D.labels.mean, type: 'line', showSymbol: false, data: D.stock.mean}]});
})();
</script>)";

std::string Interval(const RunResult& r, const std::string& key, int decimals) {
  auto mean = r.monte_carlo.mean.find(key);
  if (mean == r.monte_carlo.mean.end()) return "";
  auto fmt = [&](double v) { return decimals < 0 ? Yen(v) : Fixed(v, decimals); };
  return absl::StrCat(fmt(mean->second), " (", fmt(r.monte_carlo.p5.at(key)), " – ",
                      fmt(r.monte_carlo.p95.at(key)), ")");
}

std::string KeyFigures(const RunResult& r, Language language) {
  const Metrics& m = r.exact;
  struct Row {
    Text label;
    double exact;
    std::string key;
    int decimals;  // −1: yen.
  };
  const Row rows[] = {
      {{"発行額", "Issued"}, m.issued_yen, "issued_yen", -1},
      {{"総取引額（ターンオーバー）", "Turnover"}, m.turnover_yen, "turnover_yen", -1},
      {{"LM3（第1〜3次 ÷ 第1次）", "LM3 (hops 1–3 / hop 1)"}, m.lm3, "lm3", 3},
      {{"乗数（全次 ÷ 第1次）", "Multiplier (all hops / hop 1)"}, m.multiplier, "multiplier", 3},
      {{"流通速度（年率）", "Velocity per year"}, m.velocity_per_year, "velocity_per_year", 2},
      {{"事業者間（B2B）取引額", "B2B volume"}, m.b2b_volume_yen, "b2b_volume_yen", -1},
      {{"換金額（手数料控除後）", "Cashed out (net of fee)"},
       m.cashed_out_yen,
       "cashed_out_yen",
       -1},
      {{"B2B手数料", "B2B fees"}, m.fees_b2b_yen, "fees.b2b_yen", -1},
      {{"換金手数料", "Redemption fees"}, m.fees_redeem_yen, "fees.redeem_yen", -1},
      {{"失効額（市へ戻る）", "Breakage (back to the city)"}, m.breakage_yen, "breakage_yen", -1},
      {{"減価（デマレージ）", "Demurrage collected"}, m.demurrage_yen, "demurrage_yen", -1},
      {{"域外への支出", "Spent outside"}, m.spent_out_of_system_yen, "spent_out_of_system_yen", -1},
      {{"期末の保有残高", "Held at the end"}, m.held_yen, "held_yen", -1},
      {{"市の負担額", "City cost"}, m.city_cost_yen, "city_cost_yen", -1},
      {{"新規需要1円あたりの市の負担", "City cost per yen of new demand"},
       m.city_cost_per_new_demand_yen,
       "city_cost_per_new_demand_yen",
       3},
  };
  std::string html = absl::StrCat(
      "<table><tr><th>", T(language, {"指標", "Figure"}), "</th><th>",
      T(language, {"期待値（厳密）", "Expected (exact)"}), "</th><th>",
      T(language, {"モンテカルロ平均 (5%–95%)", "Monte Carlo mean (5%–95%)"}), "</th></tr>\n");
  for (const Row& row : rows) {
    absl::StrAppend(&html, "<tr><td>", T(language, row.label), "</td><td class=\"n\">",
                    row.decimals < 0 ? Yen(row.exact) : Fixed(row.exact, row.decimals),
                    "</td><td class=\"n\">", Interval(r, row.key, row.decimals), "</td></tr>\n");
  }
  return html + "</table>\n";
}

std::string SectorTable(const RunResult& r, Language language) {
  std::string html = absl::StrCat(
      "<table><tr><th>", T(language, {"業種", "Sector"}), "</th><th>",
      T(language, {"売上（地域通貨）", "Sales in coin"}), "</th><th>",
      T(language, {"うち新規需要", "Extra sales (new demand)"}), "</th><th>",
      T(language, {"利益率", "Margin"}), "</th><th>", T(language, {"支払手数料", "Fees paid"}),
      "</th><th>", T(language, {"純便益", "Net benefit"}), "</th><th>",
      T(language, {"純便益 モンテカルロ (5%–95%)", "Net benefit, Monte Carlo (5%–95%)"}),
      "</th></tr>\n");
  for (size_t j = 0; j < r.exact.sectors.size(); ++j) {
    const SectorMetrics& s = r.exact.sectors[j];
    absl::StrAppend(&html, "<tr><td>", Escape(s.name), "</td><td class=\"n\">", Yen(s.sales_yen),
                    "</td><td class=\"n\">", Yen(s.extra_sales_yen), "</td><td class=\"n\">",
                    Fixed(100 * r.scenario.sectors[j].margin, 1), "%</td><td class=\"n\">",
                    Yen(s.fees_paid_yen), "</td><td class=\"n\">", Yen(s.net_benefit_yen),
                    "</td><td class=\"n\">",
                    Interval(r, absl::StrCat("sectors.", s.name, ".net_benefit_yen"), -1),
                    "</td></tr>\n");
  }
  return html + "</table>\n";
}

// An issuance program's name for readers (the scenario file's ids are the programs ParseScenario
// accepts).
Text ProgramName(const std::string& program) {
  if (program == "premium_voucher") return {"プレミアム付き商品券", "premium voucher"};
  if (program == "health_points") return {"健康ポイント", "health points"};
  if (program == "task_thanks") return {"お手伝いのお礼", "task thanks"};
  return {"キャンペーン", "campaign"};
}

std::string DemurrageText(const Scenario& s, Language language) {
  if (s.demurrage_mode == DemurrageMode::kNone) return "-";
  const bool linear = s.demurrage_mode == DemurrageMode::kLinear;
  const std::string rate = Fixed(100 * s.demurrage_rate_per_year, 2);
  if (language == Language::kJapanese) {
    return absl::StrCat(linear ? "単利" : "複利", " 年", rate, "%、猶予", s.demurrage_grace_days,
                        "日");
  }
  return absl::StrCat(linear ? "linear " : "compound ", rate, "%/year, grace ",
                      s.demurrage_grace_days, " days");
}

std::string IssuanceText(const Issuance& i, Language language) {
  const std::string premium = Fixed(100 * i.premium_rate, 1);
  if (language == Language::kJapanese) {
    return absl::StrCat(i.day, "日目: ", Yen(i.amount_yen), "円、",
                        T(language, ProgramName(i.program)), "、プレミアム率", premium, "%");
  }
  return absl::StrCat("day ", i.day, ": ", Yen(i.amount_yen), " yen, ",
                      T(language, ProgramName(i.program)), ", premium ", premium, "%");
}

std::string SectorText(const Scenario& s, size_t j, Language language) {
  const Sector& sector = s.sectors[j];
  std::string respend;
  for (size_t k = 0; k < s.sectors.size(); ++k) {
    if (sector.respend[k] > 0)
      absl::StrAppend(&respend, s.sectors[k].name, " ", Fixed(100 * sector.respend[k], 1), "% ");
  }
  respend = respend.empty() ? "-" : std::string(absl::StripTrailingAsciiWhitespace(respend));
  const std::string resident_share = Fixed(100 * s.resident_spend_share[j], 1);
  if (language == Language::kJapanese) {
    return absl::StrCat(sector.name, ": ", sector.merchants, "店、保有", sector.holding_days,
                        "日、住民の支出割合", resident_share, "%、再支払い ", respend);
  }
  return absl::StrCat(sector.name, ": ", sector.merchants, " merchants, holding ",
                      sector.holding_days, " days, resident share ", resident_share, "%, re-spend ",
                      respend);
}

std::string Bps(int64_t bps, Language language) {
  if (language == Language::kJapanese) {
    return absl::StrCat(Fixed(bps / 100.0, 2), "%（", bps, "ベーシスポイント）");
  }
  return absl::StrCat(bps, " bps");
}

std::string Parameters(const RunResult& r, Language language) {
  const Scenario& s = r.scenario;
  std::string html = "<table>\n";
  auto row = [&](Text label, const std::string& value) {
    absl::StrAppend(&html, "<tr><td>", T(language, label), "</td><td>", Escape(value),
                    "</td></tr>\n");
  };
  row({"期間（日）", "Days"}, absl::StrCat(s.days));
  row({"住民数", "Residents"}, absl::StrCat(s.residents));
  row({"住民の保有日数", "Resident holding days"}, absl::StrCat(s.resident_holding_days));
  row({"追加性（新規需要の割合）", "Additionality"}, Fixed(s.additionality, 3));
  row({"B2B手数料", "B2B fee"}, Bps(s.b2b_bps, language));
  row({"換金手数料", "Redemption fee"}, Bps(s.redeem_bps, language));
  row({"有効期限（日）", "Expiry (days)"}, s.expiry_days > 0 ? absl::StrCat(s.expiry_days) : "-");
  row({"減価", "Demurrage"}, DemurrageText(s, language));
  for (const Issuance& i : s.issuance) row({"発行", "Issuance"}, IssuanceText(i, language));
  for (size_t j = 0; j < s.sectors.size(); ++j) {
    row({"業種", "Sector"}, SectorText(s, j, language));
  }
  row({"モンテカルロ", "Monte Carlo"},
      language == Language::kJapanese
          ? absl::StrCat(r.monte_carlo.runs, "回、シード ", r.monte_carlo.seed)
          : absl::StrCat(r.monte_carlo.runs, " runs, seed ", r.monte_carlo.seed));
  return html + "</table>\n";
}

}  // namespace

std::string Summary(const RunResult& r, Language language) {
  const Metrics& m = r.exact;
  const double per = m.issued_yen > 0 ? 1000 / m.issued_yen : 0;
  const double hop1 = m.rounds.size() > 0 ? m.rounds[0] * per : 0;
  const double hop2 = m.rounds.size() > 1 ? m.rounds[1] * per : 0;
  const double later = (m.turnover_yen - (m.rounds.size() > 0 ? m.rounds[0] : 0)) * per;
  if (language == Language::kJapanese) {
    return absl::StrCat("市が地域通貨に1,000円を投じると、住民が地元のお店で", Yen(hop1),
                        "円を使い、そのうち", Yen(hop2),
                        "円がお店から地元の取引先へもう一度支払われます（2回目以降の合計は",
                        Yen(later), "円）。LM3は", Fixed(m.lm3, 2), "、乗数は",
                        Fixed(m.multiplier, 2), "です。新たに生まれた需要1円あたりの市の負担は",
                        Fixed(m.city_cost_per_new_demand_yen, 2), "円です。");
  }
  return absl::StrCat("Of every 1,000 yen the city puts in, residents spend ", Yen(hop1),
                      " yen at local shops, and ", Yen(hop2),
                      " yen is spent locally a second time by those shops (", Yen(later),
                      " yen in all later rounds). LM3 is ", Fixed(m.lm3, 2), " and the multiplier ",
                      Fixed(m.multiplier, 2), ". Each yen of new local demand costs the city ",
                      Fixed(m.city_cost_per_new_demand_yen, 2), " yen.");
}

std::string RenderReport(const RunResult& r, Language language) {
  const std::string title = absl::StrCat(
      T(language, {"地域通貨 循環シミュレーション: ", "Regional currency circulation: "}),
      r.scenario.name);
  std::string html = Head(language, title);
  absl::StrAppend(&html, "<h1>", Escape(title), "</h1>\n<p class=\"summary\" id=\"summary\">",
                  Escape(Summary(r, language)), "</p>\n<h2>", T(language, {"お金の流れ", "Flows"}),
                  "</h2>\n<div id=\"sankey\" class=\"chart\"></div>\n<h2>",
                  T(language, {"次数ごとの支払額", "Payments per hop"}),
                  "</h2>\n<div id=\"hops\" class=\"chart\"></div>\n<h2>",
                  T(language, {"地域通貨の残高の推移", "Coin in circulation over time"}),
                  "</h2>\n<div id=\"stock\" class=\"chart\"></div>\n<h2>",
                  T(language, {"主な指標", "Key figures"}), "</h2>\n", KeyFigures(r, language),
                  "<h2>", T(language, {"業種別の便益", "Benefit by sector"}), "</h2>\n",
                  SectorTable(r, language), "<p>",
                  T(language, {"純便益 = 新規需要による売上 × 利益率 − 支払手数料。",
                               "Net benefit = extra sales × margin − fees paid."}),
                  "</p>\n<h2>", T(language, {"シナリオの前提", "Scenario parameters"}), "</h2>\n",
                  Parameters(r, language),
                  "<script>var CIRCSIM_DATA = ", ScriptJson(ChartData(r, language)), ";</script>\n",
                  kChartScript, "\n</body>\n</html>\n");
  return html;
}

namespace {

struct CompareRow {
  Text label;
  std::string key;
  int decimals;
};
const CompareRow kCompareRows[] = {
    {{"総取引額", "Turnover"}, "turnover_yen", -1},
    {{"LM3", "LM3"}, "lm3", 3},
    {{"乗数", "Multiplier"}, "multiplier", 3},
    {{"流通速度（年率）", "Velocity per year"}, "velocity_per_year", 2},
    {{"B2B取引額", "B2B volume"}, "b2b_volume_yen", -1},
    {{"換金額", "Cashed out"}, "cashed_out_yen", -1},
    {{"手数料（B2B）", "Fees (B2B)"}, "fees.b2b_yen", -1},
    {{"手数料（換金）", "Fees (redemption)"}, "fees.redeem_yen", -1},
    {{"失効額", "Breakage"}, "breakage_yen", -1},
    {{"減価", "Demurrage"}, "demurrage_yen", -1},
    {{"市の負担額", "City cost"}, "city_cost_yen", -1},
    {{"新規需要1円あたりの市の負担", "City cost per yen of new demand"},
     "city_cost_per_new_demand_yen",
     3},
};

}  // namespace

std::string CompareToJson(const std::vector<RunResult>& results) {
  Json root;
  root["format"] = "circsim.compare.v1";
  root["scenarios"] = Json::array();
  for (const RunResult& r : results) {
    auto exact = ScalarFigures(r.exact);
    Json figures = Json::object();
    for (const CompareRow& row : kCompareRows) {
      figures[row.key] = {{"exact", exact[row.key]},
                          {"mean", r.monte_carlo.mean.at(row.key)},
                          {"p5", r.monte_carlo.p5.at(row.key)},
                          {"p95", r.monte_carlo.p95.at(row.key)}};
    }
    root["scenarios"].push_back({{"name", r.scenario.name}, {"figures", figures}});
  }
  return root.dump(2) + "\n";
}

std::string CompareTable(const std::vector<RunResult>& results) {
  // Columns are lettered (names are long and often share a prefix); the legend names them.
  std::string out;
  for (size_t i = 0; i < results.size(); ++i) {
    absl::StrAppend(&out, std::string(1, static_cast<char>('A' + i % 26)),
                    i >= 26 ? absl::StrCat(i / 26) : "", " = ", results[i].scenario.name, "\n");
  }
  absl::StrAppend(&out, absl::StrFormat("%-32s", "figure (exact)"));
  for (size_t i = 0; i < results.size(); ++i) {
    absl::StrAppend(&out, absl::StrFormat(" %14s", std::string(1, static_cast<char>('A' + i % 26)) +
                                                       (i >= 26 ? absl::StrCat(i / 26) : "")));
  }
  out += "\n";
  for (const CompareRow& row : kCompareRows) {
    absl::StrAppend(&out, absl::StrFormat("%-32s", row.label.en));
    for (const RunResult& r : results) {
      const double v = ScalarFigures(r.exact)[row.key];
      absl::StrAppend(&out,
                      absl::StrFormat(" %14s", row.decimals < 0 ? Yen(v) : Fixed(v, row.decimals)));
    }
    out += "\n";
  }
  return out;
}

std::string RenderComparison(const std::vector<RunResult>& results, Language language) {
  const std::string title =
      T(language, {"地域通貨 シナリオ比較", "Regional currency: scenario comparison"});
  std::string html = Head(language, title);
  absl::StrAppend(&html, "<h1>", Escape(title), "</h1>\n<table><tr><th></th>");
  for (const RunResult& r : results)
    absl::StrAppend(&html, "<th>", Escape(r.scenario.name), "</th>");
  html += "</tr>\n";
  for (const CompareRow& row : kCompareRows) {
    absl::StrAppend(&html, "<tr><td>", T(language, row.label), "</td>");
    for (const RunResult& r : results) {
      const double v = ScalarFigures(r.exact)[row.key];
      absl::StrAppend(&html, "<td class=\"n\">", row.decimals < 0 ? Yen(v) : Fixed(v, row.decimals),
                      "<br><small>", Interval(r, row.key, row.decimals), "</small></td>");
    }
    html += "</tr>\n";
  }
  html += "</table>\n";
  for (const RunResult& r : results) {
    absl::StrAppend(&html, "<h2>", Escape(r.scenario.name), "</h2>\n<p class=\"summary\">",
                    Escape(Summary(r, language)), "</p>\n");
  }
  Json names = Json::array(), lm3 = Json::array(), multiplier = Json::array(), cost = Json::array();
  for (const RunResult& r : results) {
    names.push_back(r.scenario.name);
    lm3.push_back(std::round(r.exact.lm3 * 1000) / 1000);
    multiplier.push_back(std::round(r.exact.multiplier * 1000) / 1000);
    cost.push_back(std::round(r.exact.city_cost_per_new_demand_yen * 1000) / 1000);
  }
  Json data = {{"names", names},
               {"lm3", lm3},
               {"multiplier", multiplier},
               {"cost", cost},
               {"cost_label",
                T(language, {"新規需要1円あたりの市の負担", "City cost per yen of new demand"})}};
  absl::StrAppend(&html, "<div id=\"compare\" class=\"chart\"></div>\n<script>var CIRCSIM_DATA = ",
                  ScriptJson(data), R"(;
(function () {
  var D = CIRCSIM_DATA, c = echarts.init(document.getElementById('compare'), null, {renderer: 'canvas'});
  c.on('finished', function once() { c.off('finished', once); document.body.setAttribute('data-charts-ok', '1'); });
  c.setOption({animation: false, tooltip: {trigger: 'axis'}, legend: {}, xAxis: {type: 'category', data: D.names},
    yAxis: {type: 'value'}, series: [{name: 'LM3', type: 'bar', data: D.lm3},
      {name: 'multiplier', type: 'bar', data: D.multiplier}, {name: D.cost_label, type: 'bar', data: D.cost}]});
})();
</script>
</body>
</html>
)");
  return html;
}

}  // namespace sim
