// Agent-based engine. See agent_engine.h for the randomness and the rounding rule.
#include "sim/agent_engine.h"

#include <algorithm>
#include <atomic>
#include <climits>
#include <cmath>
#include <mutex>
#include <thread>
#include <tuple>

#include "ledger/core/check.h"
#include "sim/limits.h"

namespace sim {
namespace {

uint64_t SplitMix64(uint64_t* state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// xoshiro256**: small, fast, and the same sequence on every platform (unlike std distributions).
class Random {
 public:
  explicit Random(uint64_t seed) {
    for (uint64_t& word : state_) word = SplitMix64(&seed);
  }
  uint64_t Next() {
    const uint64_t result = Rotl(state_[1] * 5, 7) * 9;
    const uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = Rotl(state_[3], 45);
    return result;
  }
  double Uniform() { return (Next() >> 11) * 0x1.0p-53; }
  int Below(int n) { return static_cast<int>((Next() >> 32) * static_cast<uint64_t>(n) >> 32); }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t state_[4];
};

// (event day, day received, issuance index, hops made).
using LotKey = std::tuple<int, int, int, int>;

struct Ledger {
  int64_t held = 0, out = 0, cashed = 0, fee_b2b = 0, fee_redeem = 0, breakage = 0, demurrage = 0;
  int64_t b2b_volume = 0;
  std::vector<int64_t> rounds, exits;
  std::vector<int64_t> resident_sales, b2b_sales, fees_paid, b2b_paid, cash_out_gross;
  void Add(std::vector<int64_t>* v, size_t i, int64_t amount) {
    if (v->size() <= i) v->resize(i + 1, 0);
    (*v)[i] += amount;
  }
};

class Town {
 public:
  Town(const Scenario& s, uint64_t seed) : s_(s), random_(seed) {
    const int sectors = static_cast<int>(s.sectors.size());
    for (int j = 0; j < sectors; ++j) {
      sector_first_.push_back(merchant_sector_.size());
      for (int k = 0; k < s.sectors[j].merchants; ++k) merchant_sector_.push_back(j);
    }
    lots_.resize(merchant_sector_.size());
    ledger_.resident_sales.assign(sectors, 0);
    ledger_.b2b_sales.assign(sectors, 0);
    ledger_.fees_paid.assign(sectors, 0);
    ledger_.b2b_paid.assign(sectors, 0);
    ledger_.cash_out_gross.assign(sectors, 0);
    stock_.assign(s.days, 0);
  }

  Metrics Run() {
    int64_t stock = 0;
    for (int t = 0; t < s_.days; ++t) {
      for (size_t i = 0; i < s_.issuance.size(); ++i) {
        if (s_.issuance[i].day == t) stock += s_.issuance[i].amount_yen;
      }
      for (size_t i = 0; i < s_.issuance.size(); ++i) {
        if (ResidentEventDay(i) == t) stock += SettleResidents(i, t);
      }
      for (size_t merchant = 0; merchant < lots_.size(); ++merchant) {
        auto& lots = lots_[merchant];
        while (!lots.empty() && std::get<0>(lots.begin()->first) == t) {
          const auto [key, amount] = *lots.begin();
          lots.erase(lots.begin());
          stock += SettleMerchantLot(merchant, key, amount);
        }
      }
      stock_[t] = stock;
    }
    FinishHorizon();
    return ToMetrics();
  }

 private:
  int ExpiryDay(size_t issue) const {
    return s_.expiry_days > 0 ? s_.issuance[issue].day + s_.expiry_days : INT_MAX;
  }
  int ResidentEventDay(size_t issue) const {
    return std::min({s_.issuance[issue].day + s_.resident_holding_days, ExpiryDay(issue), s_.days});
  }
  int64_t ResidentShare(size_t issue, int resident) const {
    const int64_t amount = s_.issuance[issue].amount_yen;
    return amount / s_.residents + (resident < amount % s_.residents ? 1 : 0);
  }
  // The whole yen of demurrage charged on `amount` held `days_held` days. The unrounded amount due
  // is added to the run's running total, and the charge is the whole yen by which the floor of that
  // total has advanced since the last charge (never more than `amount`; what a cap holds back stays
  // owed). Rounding each small charge on its own would be biased whenever many lots share a
  // fractional part (residents of one issuance hold equal shares): to the nearest yen it
  // overcharged the shipped demurrage example by 1.9 %, down it would undercharge. This way the
  // yen charged in a run stay within one yen of the unrounded total.
  int64_t Demurrage(int64_t amount, int days_held) {
    demurrage_due_ += DemurrageDue(s_, static_cast<double>(amount), days_held);
    const int64_t owed = static_cast<int64_t>(std::floor(demurrage_due_)) - demurrage_charged_;
    CORE_CHECK(owed >= 0, "the running demurrage total never falls behind what was charged");
    const int64_t charge = std::min(owed, amount);
    demurrage_charged_ += charge;
    return charge;
  }
  int PickSector(const std::vector<double>& shares) {
    const double u = random_.Uniform();
    double cumulative = 0;
    for (size_t j = 0; j < shares.size(); ++j) {
      cumulative += shares[j];
      if (u < cumulative) return static_cast<int>(j);
    }
    return -1;  // Outside: spent out of the system, or cashed out.
  }
  // Coin arrives at a random merchant of sector j on day t. Returns the amount added to the stock.
  int64_t Receive(int sector, int t, int issue, int hop, int64_t amount) {
    const size_t merchant = sector_first_[sector] + random_.Below(s_.sectors[sector].merchants);
    const int event_day =
        std::min({t + s_.sectors[sector].holding_days, ExpiryDay(issue), s_.days});
    lots_[merchant][LotKey{event_day, t, issue, hop}] += amount;
    return amount;
  }

  // Residents' coin from issuance `issue` is spent (or lapses) on day t. Returns the stock change.
  int64_t SettleResidents(size_t issue, int t) {
    const int days_held = t - s_.issuance[issue].day;
    const bool lapses = ExpiryDay(issue) <= s_.issuance[issue].day + s_.resident_holding_days;
    int64_t change = 0;
    for (int resident = 0; resident < s_.residents; ++resident) {
      const int64_t amount = ResidentShare(issue, resident);
      change -= amount;
      const int64_t demurrage = Demurrage(amount, days_held);
      ledger_.demurrage += demurrage;
      ledger_.Add(&ledger_.exits, 0, demurrage);
      int64_t net = amount - demurrage;
      if (lapses) {
        ledger_.breakage += net;
        ledger_.Add(&ledger_.exits, 0, net);
        continue;
      }
      while (net > 0) {
        const int64_t payment = std::min(net, s_.resident_payment_yen);
        net -= payment;
        const int sector = PickSector(s_.resident_spend_share);
        if (sector < 0) {
          ledger_.out += payment;
          ledger_.Add(&ledger_.exits, 0, payment);
          continue;
        }
        ledger_.Add(&ledger_.rounds, 0, payment);
        ledger_.resident_sales[sector] += payment;
        change += Receive(sector, t, static_cast<int>(issue), 1, payment);
      }
    }
    return change;
  }

  int64_t SettleMerchantLot(size_t merchant, const LotKey& key, int64_t amount) {
    const auto [t, received, issue, hop] = key;
    const int sector = merchant_sector_[merchant];
    const int release_day = received + s_.sectors[sector].holding_days;
    int64_t change = -amount;
    const int64_t demurrage = Demurrage(amount, t - received);
    ledger_.demurrage += demurrage;
    ledger_.Add(&ledger_.exits, hop, demurrage);
    int64_t net = amount - demurrage;
    if (ExpiryDay(issue) <= release_day) {
      CORE_CHECK(t == ExpiryDay(issue), "a lot lapses on its expiry day");
      ledger_.breakage += net;
      ledger_.Add(&ledger_.exits, hop, net);
      return change;
    }
    CORE_CHECK(t == release_day, "a lot is spent on its release day");
    while (net > 0) {
      const int64_t payment = std::min(net, s_.b2b_payment_yen);
      net -= payment;
      const int target = PickSector(s_.sectors[sector].respend);
      if (target < 0) {
        const int64_t fee = payment * s_.redeem_bps / 10000;  // Rounded down.
        ledger_.fee_redeem += fee;
        ledger_.fees_paid[sector] += fee;
        ledger_.cash_out_gross[sector] += payment;
        ledger_.cashed += payment - fee;
        ledger_.Add(&ledger_.exits, hop, payment);
        continue;
      }
      const int64_t fee = payment * s_.b2b_bps / 10000;  // Rounded down.
      ledger_.Add(&ledger_.rounds, hop, payment);
      ledger_.b2b_volume += payment;
      ledger_.fee_b2b += fee;
      ledger_.fees_paid[sector] += fee;
      ledger_.b2b_paid[sector] += payment;
      ledger_.b2b_sales[target] += payment;
      ledger_.Add(&ledger_.exits, hop + 1, fee);
      if (payment > fee) change += Receive(target, t, issue, hop + 1, payment - fee);
    }
    return change;
  }

  // Coin still held when the horizon ends: demurrage accrued so far is charged, the rest is held.
  void FinishHorizon() {
    for (size_t i = 0; i < s_.issuance.size(); ++i) {
      if (ResidentEventDay(i) != s_.days) continue;
      for (int resident = 0; resident < s_.residents; ++resident) {
        HoldAtEnd(ResidentShare(i, resident), s_.issuance[i].day, 0);
      }
    }
    for (auto& lots : lots_) {
      for (const auto& [key, amount] : lots) {
        CORE_CHECK(std::get<0>(key) == s_.days, "only lots due at the horizon remain");
        HoldAtEnd(amount, std::get<1>(key), std::get<3>(key));
      }
      lots.clear();
    }
  }
  void HoldAtEnd(int64_t amount, int received, int hop) {
    const int64_t demurrage = Demurrage(amount, s_.days - received);
    ledger_.demurrage += demurrage;
    ledger_.held += amount - demurrage;
    ledger_.Add(&ledger_.exits, hop, amount);
  }

  Metrics ToMetrics() const {
    const Ledger& l = ledger_;
    const int64_t issued = IssuedTotalYen(s_);
    CORE_CHECK(
        issued == l.held + l.out + l.cashed + l.fee_b2b + l.fee_redeem + l.breakage + l.demurrage,
        "agent engine books must reconcile to the yen");
    Metrics m;
    m.issued_yen = issued;
    m.held_yen = l.held;
    m.spent_out_of_system_yen = l.out;
    m.cashed_out_yen = l.cashed;
    m.fees_b2b_yen = l.fee_b2b;
    m.fees_redeem_yen = l.fee_redeem;
    m.breakage_yen = l.breakage;
    m.demurrage_yen = l.demurrage;
    m.b2b_volume_yen = l.b2b_volume;
    m.rounds.assign(l.rounds.begin(), l.rounds.end());
    m.exit_by_hops.assign(l.exits.begin(), l.exits.end());
    m.coin_stock.assign(stock_.begin(), stock_.end());
    m.sectors.resize(s_.sectors.size());
    for (size_t j = 0; j < s_.sectors.size(); ++j) {
      m.sectors[j].resident_sales_yen = l.resident_sales[j];
      m.sectors[j].b2b_sales_yen = l.b2b_sales[j];
      m.sectors[j].fees_paid_yen = l.fees_paid[j];
      m.sectors[j].b2b_paid_yen = l.b2b_paid[j];
      m.sectors[j].cash_out_gross_yen = l.cash_out_gross[j];
    }
    FinishMetrics(s_, &m);
    return m;
  }

  const Scenario& s_;
  Random random_;
  std::vector<size_t> sector_first_;
  std::vector<int> merchant_sector_;
  std::vector<absl::btree_map<LotKey, int64_t>> lots_;  // Per merchant, ordered by event day.
  Ledger ledger_;
  std::vector<int64_t> stock_;
  double demurrage_due_ = 0;       // Unrounded demurrage due so far in this run.
  int64_t demurrage_charged_ = 0;  // Whole yen charged so far: floor(demurrage_due_) or less.
};

uint64_t RunSeed(uint64_t seed, int run) {
  uint64_t state = seed ^ (0x5851F42D4C957F2Dull * (static_cast<uint64_t>(run) + 1));
  return SplitMix64(&state);
}

}  // namespace

Metrics RunAgent(const Scenario& scenario, uint64_t seed) { return Town(scenario, seed).Run(); }

double Percentile(std::vector<double> values, double q) {
  CORE_CHECK(!values.empty(), "percentile of nothing");
  std::sort(values.begin(), values.end());
  const double position = q * (values.size() - 1);
  const size_t below = static_cast<size_t>(std::floor(position));
  const size_t above = std::min(below + 1, values.size() - 1);
  return values[below] + (position - below) * (values[above] - values[below]);
}

MonteCarloSummary RunMonteCarlo(const Scenario& scenario, int runs, uint64_t seed, int threads,
                                const std::function<void(int, int)>& progress) {
  CORE_CHECK(runs >= 1 && runs <= kRunsMax, "runs out of range");
  threads = std::max(1, std::min(threads, runs));
  std::vector<Metrics> results(runs);
  std::atomic<int> next_run{0};
  int done = 0;
  std::mutex mutex;
  auto worker = [&] {
    for (int run = next_run++; run < runs; run = next_run++) {
      results[run] = RunAgent(scenario, RunSeed(seed, run));
      std::lock_guard<std::mutex> lock(mutex);
      ++done;
      if (progress) progress(done, runs);
    }
  };
  std::vector<std::thread> pool;
  for (int i = 0; i < threads; ++i) pool.emplace_back(worker);
  for (std::thread& thread : pool) thread.join();

  MonteCarloSummary summary;
  summary.runs = runs;
  summary.seed = seed;
  absl::btree_map<std::string, std::vector<double>> samples;
  for (const Metrics& m : results) {
    for (const auto& [name, value] : ScalarFigures(m)) samples[name].push_back(value);
  }
  for (auto& [name, values] : samples) {
    // A figure missing from some runs (e.g. a hop no coin reached) counts as zero there.
    values.resize(runs, 0.0);
    double sum = 0;
    for (double v : values) sum += v;
    summary.mean[name] = sum / runs;
    summary.p5[name] = Percentile(values, 0.05);
    summary.p95[name] = Percentile(values, 0.95);
  }
  summary.coin_stock_mean.assign(scenario.days, 0.0);
  for (const Metrics& m : results) {
    for (int t = 0; t < scenario.days; ++t) summary.coin_stock_mean[t] += m.coin_stock[t] / runs;
  }
  summary.first_run = results[0];
  return summary;
}

}  // namespace sim
