// RFM quintile scores, their named groups, and lifecycle stages.
#include <algorithm>
#include <vector>

#include "models/models.h"

namespace patron::models {

namespace {

// 1 + ⌊5 · worse / n⌋ where `worse` counts the customers with a strictly
// worse value; `better_is_larger` says which way is better.
template <typename T>
void Quintiles(const std::vector<T>& values, bool better_is_larger, std::vector<int>& scores) {
  std::vector<T> sorted = values;
  std::sort(sorted.begin(), sorted.end());
  const int64_t n = static_cast<int64_t>(values.size());
  scores.resize(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    int64_t worse;
    if (better_is_larger) {
      worse = std::lower_bound(sorted.begin(), sorted.end(), values[i]) - sorted.begin();
    } else {
      worse = sorted.end() - std::upper_bound(sorted.begin(), sorted.end(), values[i]);
    }
    scores[i] = 1 + static_cast<int>(5 * worse / n);
  }
}

}  // namespace

std::vector<RfmScore> ScoreRfm(std::span<const RfmInput> inputs) {
  std::vector<int64_t> recency(inputs.size()), frequency(inputs.size());
  std::vector<double> monetary(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    recency[i] = inputs[i].days_since_last_order;
    frequency[i] = inputs[i].orders_in_window;
    monetary[i] = inputs[i].spend_in_window;
  }
  std::vector<int> r, f, m;
  Quintiles(recency, /*better_is_larger=*/false, r);
  Quintiles(frequency, true, f);
  Quintiles(monetary, true, m);
  std::vector<RfmScore> scores(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) scores[i] = {r[i], f[i], m[i]};
  return scores;
}

std::string_view RfmSegment(const RfmScore& s) {
  // Recency against the rounded mean of frequency and monetary value (FM):
  //            FM 1          FM 2                 FM 3       FM 4-5
  //   R 5      new           potential_loyalists  loyal      champions
  //   R 4      promising     potential_loyalists  loyal      champions
  //   R 3      need_attention need_attention      loyal      loyal
  //   R 2      hibernating   hibernating          at_risk    at_risk
  //   R 1      lost          lost                 at_risk    cannot_lose
  const int fm = (s.frequency + s.monetary + 1) / 2;
  const int r = s.recency;
  if (r >= 4) {
    if (fm >= 4) return "champions";
    if (fm == 3) return "loyal";
    if (fm == 2) return "potential_loyalists";
    return r == 5 ? "new" : "promising";
  }
  if (r == 3) return fm >= 3 ? "loyal" : "need_attention";
  if (fm <= 2) return r == 2 ? "hibernating" : "lost";
  if (r == 1 && fm >= 4) return "cannot_lose";
  return "at_risk";
}

std::string_view LifecycleStage(const LifecycleInput& in, const LifecycleOptions& options) {
  if (in.purchase_days == 0 || !in.days_since_last_order)
    return in.has_events ? "lead" : "prospect";
  const int64_t silent = *in.days_since_last_order;
  if (silent > options.lapsed_after_days) return "lapsed";
  if (silent > options.at_risk_after_days ||
      (in.churn_risk && *in.churn_risk > options.at_risk_churn)) {
    return "at_risk";
  }
  if (in.purchase_days == 1) return "first_time_buyer";
  if (in.orders_in_window >= options.loyal_min_orders) return "loyal";
  return "repeat";
}

}  // namespace patron::models
