// Category purchase propensity against the store: features from each
// customer's purchases and views before a cutoff, labels from the period after.
#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "models/models.h"

namespace patron::models {

namespace {

constexpr int64_t kMicrosPerDay = 86'400'000'000;
constexpr int kFeatures = 9;
constexpr int kViewWindowDays = 30;

int64_t DayOf(int64_t micros) {
  return micros >= 0 ? micros / kMicrosPerDay : -((-micros + kMicrosPerDay - 1) / kMicrosPerDay);
}

struct Signal {
  int64_t customer;
  int64_t day;
  int32_t category;
  bool purchase;  // else a view
};

struct Signals {
  std::vector<std::string> categories;
  std::vector<Signal> rows;  // sorted by customer, day
};

Result<Signals> ReadSignals(Database& db, int64_t before_micros) {
  Signals signals;
  std::map<std::string, int32_t, std::less<>> index;
  auto category_of = [&](std::string_view slug) {
    auto it = index.find(slug);
    if (it == index.end()) {
      it = index.emplace(std::string(slug), static_cast<int32_t>(signals.categories.size())).first;
      signals.categories.emplace_back(slug);
    }
    return it->second;
  };
  for (const char* query : {"models-category-purchases-before", "models-category-views-before"}) {
    const bool purchase = std::string_view(query) == "models-category-purchases-before";
    Statement& q = db.Query(query);
    q.Bind(":before", before_micros);
    while (true) {
      ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      signals.rows.push_back({q.Int(0), DayOf(q.Int(1)), category_of(q.Text(2)), purchase});
    }
    q.Reset();
  }
  std::sort(signals.rows.begin(), signals.rows.end(), [](const Signal& l, const Signal& r) {
    return l.customer != r.customer ? l.customer < r.customer : l.day < r.day;
  });
  return signals;
}

// Rows for every customer active before `cutoff_day`: kFeatures features per
// category and, per category, whether they bought it in [cutoff, cutoff + horizon).
struct Dataset {
  std::vector<int64_t> customers;
  std::vector<double> features;  // customers × categories × kFeatures
  std::vector<uint8_t> labels;   // customers × categories
};

Dataset Build(const Signals& s, int64_t cutoff_day, int horizon_days) {
  const size_t k = s.categories.size();
  Dataset data;
  std::vector<int64_t> last_k(k), purchases_k(k), views_k(k), last_day_k(k);
  std::vector<uint8_t> label_k(k);
  for (size_t begin = 0; begin < s.rows.size();) {
    size_t end = begin;
    while (end < s.rows.size() && s.rows[end].customer == s.rows[begin].customer) ++end;
    int64_t last_any = -1, purchase_days = 0, previous_purchase_day = INT64_MIN, views_any = 0;
    std::fill(last_k.begin(), last_k.end(), -1);
    std::fill(purchases_k.begin(), purchases_k.end(), 0);
    std::fill(views_k.begin(), views_k.end(), 0);
    std::fill(last_day_k.begin(), last_day_k.end(), INT64_MIN);
    std::fill(label_k.begin(), label_k.end(), 0);
    bool active = false;
    for (size_t i = begin; i < end; ++i) {
      const Signal& sig = s.rows[i];
      if (sig.day >= cutoff_day) {
        if (sig.purchase && sig.day < cutoff_day + horizon_days) label_k[sig.category] = 1;
        continue;
      }
      active = true;
      if (sig.purchase) {
        if (sig.day != previous_purchase_day) ++purchase_days;
        previous_purchase_day = sig.day;
        last_any = sig.day;
        if (sig.day != last_day_k[sig.category]) ++purchases_k[sig.category];
        last_day_k[sig.category] = sig.day;
        last_k[sig.category] = sig.day;
      } else if (sig.day >= cutoff_day - kViewWindowDays) {
        ++views_k[sig.category];
        ++views_any;
      }
    }
    if (active) {
      data.customers.push_back(s.rows[begin].customer);
      for (size_t c = 0; c < k; ++c) {
        const bool bought_any = last_any >= 0, bought = last_k[c] >= 0;
        const double f[kFeatures] = {
            bought_any ? std::log1p(static_cast<double>(cutoff_day - last_any)) : 0.0,
            bought_any ? 1.0 : 0.0,
            std::log1p(static_cast<double>(purchase_days)),
            bought ? 1.0 : 0.0,
            bought ? std::log1p(static_cast<double>(cutoff_day - last_k[c])) : 0.0,
            std::log1p(static_cast<double>(purchases_k[c])),
            std::log1p(static_cast<double>(views_k[c])),
            std::log1p(static_cast<double>(views_any)),
            1.0};
        data.features.insert(data.features.end(), f, f + kFeatures);
        data.labels.push_back(label_k[c]);
      }
    }
    begin = end;
  }
  return data;
}

// The rows of one category, as the logistic fit wants them.
void Slice(const Dataset& data, size_t categories, size_t c, std::vector<double>& x,
           std::vector<uint8_t>& y) {
  x.clear();
  y.clear();
  for (size_t r = 0; r < data.customers.size(); ++r) {
    const size_t row = r * categories + c;
    x.insert(x.end(), data.features.begin() + row * kFeatures,
             data.features.begin() + (row + 1) * kFeatures);
    y.push_back(data.labels[row]);
  }
}

}  // namespace

Result<PropensityReport> FitPropensity(Database& db, CivilDate until,
                                       const PropensityOptions& options, bool score_customers) {
  if (!until.IsValid()) return InvalidArgument("the propensity date is not a valid date");
  if (options.horizon_days < 1)
    return InvalidArgument("the propensity horizon must be at least one day");
  const int64_t end_day = until.ToDays() + 1;  // exclusive
  ASSIGN_OR_RETURN(Signals signals, ReadSignals(db, end_day * kMicrosPerDay));
  const size_t k = signals.categories.size();
  const int h = options.horizon_days;
  // Train on the period ending at `until`; measure reliability with a model
  // trained one period earlier and scored on that same last period.
  const Dataset latest = Build(signals, end_day - h, h);
  const Dataset earlier = Build(signals, end_day - 2 * h, h);
  PropensityReport report;
  report.until = until;
  report.horizon_days = h;
  std::vector<double> x, x_test;
  std::vector<uint8_t> y, y_test;
  std::vector<size_t> modelled;
  for (size_t c = 0; c < k; ++c) {
    Slice(latest, k, c, x, y);
    CategoryPropensity cp;
    cp.category = signals.categories[c];
    cp.train_rows = static_cast<int>(y.size());
    for (uint8_t v : y) cp.train_positives += v;
    if (cp.train_positives < options.min_positives) continue;
    ASSIGN_OR_RETURN(cp.model, FitLogistic(x, y, kFeatures, options.l2));
    // Out of time: fit on the earlier period, predict the latest.
    Slice(earlier, k, c, x_test, y_test);
    int earlier_positives = 0;
    for (uint8_t v : y_test) earlier_positives += v;
    if (earlier_positives >= options.min_positives) {
      auto earlier_model = FitLogistic(x_test, y_test, kFeatures, options.l2);
      if (earlier_model.ok()) {
        std::vector<double> predicted;
        for (size_t r = 0; r < y.size(); ++r) {
          predicted.push_back(earlier_model->Probability({x.data() + r * kFeatures, kFeatures}));
        }
        cp.test_rows = static_cast<int>(y.size());
        cp.test_positives = cp.train_positives;
        cp.reliability = Reliability(predicted, y, 10);
      }
    }
    report.categories.push_back(std::move(cp));
    modelled.push_back(c);
  }
  if (score_customers && !report.categories.empty()) {
    // Features as of the end of `until` (labels unknown, ignored).
    const Dataset now = Build(signals, end_day, h);
    for (size_t r = 0; r < now.customers.size(); ++r) {
      std::vector<double> p;
      for (size_t m = 0; m < modelled.size(); ++m) {
        const size_t row = r * k + modelled[m];
        p.push_back(report.categories[m].model.Probability(
            {now.features.data() + row * kFeatures, kFeatures}));
      }
      report.scores.push_back({now.customers[r], std::move(p)});
    }
  }
  return report;
}

}  // namespace patron::models
