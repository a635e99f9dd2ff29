// Exact expected-value engine: a day-indexed propagation, one hop at a time.
#include "sim/exact_engine.h"

#include <algorithm>
#include <climits>
#include <cmath>

#include "ledger/core/check.h"
#include "sim/limits.h"

namespace sim {
namespace {

// A hop whose expected total is below this is not followed further (see RunExact).
constexpr double kNegligibleYen = 1e-6;

// Holder 0 is the residents; holder h > 0 is sector h − 1.
int HoldingDays(const Scenario& s, int holder) {
  return holder == 0 ? s.resident_holding_days : s.sectors[holder - 1].holding_days;
}

void AddAt(std::vector<double>* v, size_t index, double amount) {
  if (v->size() <= index) v->resize(index + 1, 0.0);
  (*v)[index] += amount;
}

struct Propagation {
  const Scenario& s;
  Metrics* m;
  std::vector<double>* stock_diff;
  int expiry_day;

  // Settles `amount` received by `holder` on day `t` after `hop` payments; payments it makes are
  // added to `next` (arrivals for hop + 1).
  void Settle(int holder, int t, int hop, double amount, std::vector<std::vector<double>>* next) {
    const int days = s.days;
    const int release_day = t + HoldingDays(s, holder);
    const int event_day = std::min({release_day, expiry_day, days});
    (*stock_diff)[t] += amount;
    (*stock_diff)[event_day] -= amount;
    const double demurrage = DemurrageDue(s, amount, event_day - t);
    m->demurrage_yen += demurrage;
    AddAt(&m->exit_by_hops, hop, demurrage);
    const double net = amount - demurrage;
    if (expiry_day <= release_day && expiry_day < days) {
      m->breakage_yen += net;
      AddAt(&m->exit_by_hops, hop, net);
      return;
    }
    if (release_day >= days) {
      m->held_yen += net;
      AddAt(&m->exit_by_hops, hop, net);
      return;
    }
    const int sectors = static_cast<int>(s.sectors.size());
    const std::vector<double>& shares =
        holder == 0 ? s.resident_spend_share : s.sectors[holder - 1].respend;
    double paid = 0;
    for (int j = 0; j < sectors; ++j) {
      const double payment = net * shares[j];
      if (payment == 0) continue;
      paid += payment;
      AddAt(&m->rounds, hop, payment);
      if (holder == 0) {
        m->sectors[j].resident_sales_yen += payment;
        (*next)[j + 1][release_day] += payment;
      } else {
        const double fee = payment * s.b2b_bps / 10000.0;
        m->b2b_volume_yen += payment;
        m->fees_b2b_yen += fee;
        m->sectors[holder - 1].fees_paid_yen += fee;
        m->sectors[holder - 1].b2b_paid_yen += payment;
        m->sectors[j].b2b_sales_yen += payment;
        AddAt(&m->exit_by_hops, hop + 1, fee);
        (*next)[j + 1][release_day] += payment - fee;
      }
    }
    const double rest = std::max(0.0, net - paid);
    AddAt(&m->exit_by_hops, hop, rest);
    if (holder == 0) {
      m->spent_out_of_system_yen += rest;
    } else {
      const double fee = rest * s.redeem_bps / 10000.0;
      m->fees_redeem_yen += fee;
      m->sectors[holder - 1].fees_paid_yen += fee;
      m->sectors[holder - 1].cash_out_gross_yen += rest;
      m->cashed_out_yen += rest - fee;
    }
  }
};

}  // namespace

Metrics RunExact(const Scenario& s) {
  const int sectors = static_cast<int>(s.sectors.size());
  const int days = s.days;
  Metrics m;
  m.sectors.resize(sectors);
  m.issued_yen = static_cast<double>(IssuedTotalYen(s));
  std::vector<double> stock_diff(days + 1, 0.0);
  for (const Issuance& issuance : s.issuance) {
    Propagation propagation{s, &m, &stock_diff,
                            s.expiry_days > 0 ? issuance.day + s.expiry_days : INT_MAX};
    std::vector<std::vector<double>> arrivals(sectors + 1, std::vector<double>(days, 0.0));
    arrivals[0][issuance.day] = static_cast<double>(issuance.amount_yen);
    // Payments move forward in time, so the arrivals of hop k lie on or after the first day of hop
    // k − 1.
    int first_day = issuance.day;
    for (int hop = 0; hop <= kHopsMax; ++hop) {
      CORE_CHECK(hop < kHopsMax, "holding_days >= 1 bounds the hops by the horizon");
      double total = 0;
      for (int holder = 0; holder <= sectors; ++holder) {
        for (int t = first_day; t < days; ++t) total += arrivals[holder][t];
      }
      if (total == 0) break;
      if (total < kNegligibleYen) {
        // Stop following amounts far below the file's 0.01-yen precision (keeps long horizons with
        // short holding times fast); they are counted as held so the books still balance.
        m.held_yen += total;
        AddAt(&m.exit_by_hops, hop, total);
        break;
      }
      std::vector<std::vector<double>> next(sectors + 1, std::vector<double>(days, 0.0));
      for (int holder = 0; holder <= sectors; ++holder) {
        for (int t = first_day; t < days; ++t) {
          if (arrivals[holder][t] == 0) continue;
          propagation.Settle(holder, t, hop, arrivals[holder][t], &next);
        }
      }
      arrivals.swap(next);
      ++first_day;
    }
  }
  m.coin_stock.resize(days);
  double stock = 0;
  for (int t = 0; t < days; ++t) {
    stock += stock_diff[t];
    m.coin_stock[t] = stock;
  }
  FinishMetrics(s, &m);
  return m;
}

std::vector<double> ClosedFormSectorReceipts(const Scenario& s) {
  const int n = static_cast<int>(s.sectors.size());
  // Receipts x satisfy x = s + x Â, i.e. (I − Â)ᵀ xᵀ = sᵀ. Build the augmented system M y = s.
  std::vector<std::vector<double>> a(n, std::vector<double>(n + 1, 0.0));
  const double keep = 1 - s.b2b_bps / 10000.0;
  for (int j = 0; j < n; ++j) {
    for (int i = 0; i < n; ++i) {
      // Net holdings y satisfy y_j = s_j + Σ_i y_i · respend[i][j] · (1 − b2b fee).
      a[j][i] = (i == j ? 1.0 : 0.0) - s.sectors[i].respend[j] * keep;
    }
    a[j][n] = s.resident_spend_share[j];
  }
  for (int col = 0; col < n; ++col) {
    int pivot = col;
    for (int r = col + 1; r < n; ++r) {
      if (std::fabs(a[r][col]) > std::fabs(a[pivot][col])) pivot = r;
    }
    std::swap(a[col], a[pivot]);
    CORE_CHECK(std::fabs(a[col][col]) > 1e-12, "I - A must be invertible");
    for (int r = 0; r < n; ++r) {
      if (r == col) continue;
      const double factor = a[r][col] / a[col][col];
      for (int c = col; c <= n; ++c) a[r][c] -= factor * a[col][c];
    }
  }
  // y: net holdings per yen spent by residents. Gross receipts = resident part + B2B part gross of
  // fee.
  std::vector<double> y(n), gross(n);
  for (int j = 0; j < n; ++j) y[j] = a[j][n] / a[j][j];
  for (int j = 0; j < n; ++j) {
    gross[j] = s.resident_spend_share[j];
    for (int i = 0; i < n; ++i) gross[j] += y[i] * s.sectors[i].respend[j];
  }
  return gross;
}

}  // namespace sim
