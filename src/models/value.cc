// Purchase histories, discounted lifetime value and the holdout comparison.
#include <algorithm>
#include <cmath>

#include "models/models.h"

namespace patron::models {

HistoryAccumulator::HistoryAccumulator(int64_t end_day, double days_per_unit)
    : end_day_(end_day), days_per_unit_(days_per_unit) {}

void HistoryAccumulator::Add(int64_t day, double value) {
  if (days_ == 0) {
    first_day_ = last_day_ = day;
    days_ = 1;
    current_day_value_ = value;
    return;
  }
  if (day == last_day_) {
    current_day_value_ += value;
    return;
  }
  if (last_day_ != first_day_) repeat_value_sum_ += current_day_value_;
  ++days_;
  last_day_ = day;
  current_day_value_ = value;
}

CustomerHistory HistoryAccumulator::history() const {
  CustomerHistory h;
  if (days_ == 0) return h;
  h.frequency = days_ - 1;
  h.recency = static_cast<double>(last_day_ - first_day_) / days_per_unit_;
  h.age = static_cast<double>(end_day_ - first_day_) / days_per_unit_;
  if (h.frequency > 0) {
    double repeat_sum = repeat_value_sum_ + current_day_value_;
    h.mean_repeat_value = repeat_sum / h.frequency;
  }
  return h;
}

void HistoryAccumulator::Reset() {
  days_ = 0;
  current_day_value_ = repeat_value_sum_ = 0;
  first_day_ = last_day_ = 0;
}

double DiscountedClv(const BgNbdParams& params, const CustomerHistory& history,
                     double expected_spend, const ClvOptions& options, double* expected_purchases) {
  const int periods = std::clamp(options.periods, 1, 1000);
  // E[Y(t_i) | x, t_x, T] at every period end, from one shared 2F1 series
  // (the Euler-transformed form of BgNbdConditionalExpectedPurchases).
  const double a = std::abs(params.a - 1) < 1e-9 ? 1 + 1e-9 : params.a;
  const double x = history.frequency;
  const double base = params.alpha + history.age;
  double z_storage[1000], f_storage[1000];
  std::span<double> z(z_storage, periods), f(f_storage, periods);
  for (int i = 0; i < periods; ++i) {
    const double t = options.horizon * (i + 1) / periods;
    z[i] = t / (base + t);
  }
  Hypergeometric2F1(a + params.b - 1 - params.r, a - 1, a + params.b + x - 1, z, f);
  double denominator = 1;
  if (history.frequency > 0) {
    denominator +=
        a / (params.b + x - 1) *
        std::exp((params.r + x) * (std::log(base) - std::log(params.alpha + history.recency)));
  }
  const double scale = (a + params.b + x - 1) / (a - 1) / denominator;
  // Discount factors (1 + annual)^(−t_i / units_per_year), by repeated multiplication.
  const double step = std::pow(1 + options.annual_discount_rate,
                               -options.horizon / periods / options.units_per_year);
  double discount = 1, clv = 0, previous = 0;
  for (int i = 0; i < periods; ++i) {
    const double cumulative = scale * (1 - std::pow(1 - z[i], a - 1) * f[i]);
    discount *= step;
    clv += (cumulative - previous) * expected_spend * discount;
    previous = cumulative;
  }
  if (expected_purchases) *expected_purchases = previous;
  return clv;
}

HoldoutReport CompareHoldout(const BgNbdParams& params, std::span<const CustomerHistory> histories,
                             std::span<const int> holdout_transactions, double holdout_length,
                             int last_group) {
  HoldoutReport report;
  report.holdout_length = holdout_length;
  report.groups.resize(last_group + 1);
  for (int g = 0; g <= last_group; ++g) {
    report.groups[g].frequency = g;
    report.groups[g].open_ended = g == last_group;
  }
  for (size_t i = 0; i < histories.size(); ++i) {
    const double predicted =
        BgNbdConditionalExpectedPurchases(params, histories[i], holdout_length);
    auto& group = report.groups[std::min(histories[i].frequency, last_group)];
    ++group.customers;
    group.actual_mean += holdout_transactions[i];
    group.predicted_mean += predicted;
    report.actual_total += holdout_transactions[i];
    report.predicted_total += predicted;
    ++report.customers;
  }
  for (auto& group : report.groups) {
    if (group.customers == 0) continue;
    group.actual_mean /= group.customers;
    group.predicted_mean /= group.customers;
  }
  return report;
}

}  // namespace patron::models
