// The data-quality report (validity, completeness, duplicates, staleness by
// source and field, invalid values with reasons) and the re-verification list,
// with freshness from the decay model (R10).
#include <climits>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

#include "identity/identity.h"
#include "store/store.h"

namespace patron::identity {
namespace {

constexpr double kMicrosPerMonth = 30.44 * 24 * 3600 * 1e6;

Instant SeenAt(const Statement& q, int last_seen_col, int last_verified_col) {
  int64_t seen = q.Int(last_seen_col);
  if (auto verified = q.OptionalInt(last_verified_col)) seen = std::max(seen, *verified);
  return {seen};
}

}  // namespace

double StillValidProbability(Instant seen, Instant now, double monthly_decay) {
  const double months =
      std::max(0.0, static_cast<double>(now.micros - seen.micros) / kMicrosPerMonth);
  return std::pow(1.0 - monthly_decay, months);
}

namespace {

// Observations of one kind: months from last known good to found gone, and
// the months from last known good of those still good when looked at.
struct DecayObservations {
  std::vector<double> gone_bad;
  int64_t still_good = 0;
  double good_months = 0;
  void Add(const DecayObservations& other) {
    gone_bad.insert(gone_bad.end(), other.gone_bad.begin(), other.gone_bad.end());
    still_good += other.still_good;
    good_months += other.good_months;
  }
};

// Reads (gone bad, known good since, observed at, first seen) rows; skipped
// counts the ones observed at the very moment the store first knew the value.
Status ReadDecayObservations(Database& db, std::string_view query, DecayObservations& out,
                             int64_t* skipped) {
  Statement& q = db.Query(query);
  q.Reset();
  while (true) {
    ASSIGN_OR_RETURN(bool more, q.Step());
    if (!more) break;
    const double months = static_cast<double>(q.Int(2) - q.Int(1)) / kMicrosPerMonth;
    // Observed at the very moment the store first knew the value: a status
    // the import stamped with its own time, for want of the source's date.
    // (A source's own date — `email_verified_at`, `email_bounced_at` — counts.)
    if (q.Int(2) == q.Int(3) || months <= 0) {
      if (skipped) ++*skipped;
    } else if (q.Int(0) != 0) {
      out.gone_bad.push_back(months);
    } else {
      ++out.still_good;
      out.good_months += months;
    }
  }
  return Status::Ok();
}

DecayFit FitDecay(const DecayObservations& o) {
  DecayFit fit;
  fit.gone_bad = static_cast<int64_t>(o.gone_bad.size());
  fit.still_good = o.still_good;
  if (fit.gone_bad < kMinDecayObservations || fit.still_good < kMinDecayObservations) return fit;
  // The hazard per month, lambda (decay = 1 - e^-lambda). The log-likelihood,
  // sum over bad of log(1 - e^(-lambda m)) - lambda * sum over good of m, is
  // concave; its derivative falls from +infinity, so bisection finds its zero.
  auto score = [&](double lambda) {
    double s = -o.good_months;
    for (double m : o.gone_bad) s += m / std::expm1(lambda * m);
    return s;
  };
  double low = 1e-9, high = 10;
  if (score(high) > 0) {
    low = high;
  } else {
    for (int i = 0; i < 200 && high / low > 1 + 1e-12; ++i) {
      const double mid = std::sqrt(low * high);
      (score(mid) > 0 ? low : high) = mid;
    }
  }
  const double lambda = std::sqrt(low * high);
  double information = 0;
  for (double m : o.gone_bad) {
    const double e = std::expm1(lambda * m);
    information += m * m * (e + 1) / (e * e);
  }
  // The interval on log(lambda), by the delta method: it stays positive.
  const double spread = information > 0 ? 1.96 / (lambda * std::sqrt(information)) : 0;
  auto decay = [](double hazard) { return -std::expm1(-hazard); };
  fit.estimated = true;
  fit.monthly_decay = decay(lambda);
  fit.low = decay(lambda * std::exp(-spread));
  fit.high = decay(lambda * std::exp(spread));
  return fit;
}

}  // namespace

Result<DecayEstimate> EstimateDecay(Database& db) {
  DecayEstimate estimate;
  DecayObservations deliveries, changes;
  RETURN_IF_ERROR(
      ReadDecayObservations(db, "identity-decay-observations", deliveries, &estimate.skipped));
  RETURN_IF_ERROR(
      ReadDecayObservations(db, "identity-decay-change-observations", changes, nullptr));
  estimate.deliveries = FitDecay(deliveries);
  estimate.changes = FitDecay(changes);
  DecayObservations all = deliveries;
  all.Add(changes);
  static_cast<DecayFit&>(estimate) = FitDecay(all);
  return estimate;
}

Result<double> MonthlyDecay(Database& db) {
  Statement& q = db.Query("identity-setting");
  q.Bind(":name", "monthly_decay");
  ASSIGN_OR_RETURN(bool found, q.Step());
  const double rate = found ? q.Double(0) : kDefaultMonthlyDecay;
  q.Reset();
  return rate;
}

Status SaveMonthlyDecay(Database& db, std::optional<double> monthly_decay, const Clock& clock) {
  if (!monthly_decay) {
    RETURN_IF_ERROR(db.Query("identity-delete-setting").Bind(":name", "monthly_decay").Run());
  } else if (!(*monthly_decay >= 0 && *monthly_decay <= 0.99)) {
    return InvalidArgument("a monthly decay rate is a share from 0 to 0.99, not " +
                           std::to_string(*monthly_decay));
  } else {
    RETURN_IF_ERROR(db.Query("identity-set-setting")
                        .Bind(":name", "monthly_decay")
                        .Bind(":value", *monthly_decay)
                        .Bind(":now", clock.Now().micros)
                        .Run());
  }
  // The golden records hold their contact values' freshness at this rate.
  return MarkGoldenRecordsStale(db, clock);
}

Result<QualityReport> BuildQualityReport(Database& db, const QualityOptions& options) {
  QualityReport report;
  report.now = options.now;
  report.monthly_decay = options.monthly_decay;
  report.stale_below = options.stale_below;

  {
    static constexpr const char* kFields[] = {"given_name", "family_name", "birth_date",
                                              "gender",     "city",        "country",
                                              "email",      "phone",       "address"};
    Statement& q = db.Query("quality-report-completeness");
    q.Reset();
    while (true) {
      ASSIGN_OR_RETURN(bool more, q.Step());
      if (!more) break;
      SourceCompleteness row;
      row.source = q.String(0);
      row.records = q.Int(1);
      for (int i = 0; i < 9; ++i) row.filled.emplace_back(kFields[i], q.Int(2 + i));
      report.completeness.push_back(std::move(row));
    }
  }

  {
    std::map<std::pair<std::string, std::string>, SourceContactQuality> by_source_kind;
    std::map<std::pair<std::string, std::string>, double> probability_sum;
    Statement& q = db.Query("quality-report-contacts");
    q.Reset();
    while (true) {
      ASSIGN_OR_RETURN(bool more, q.Step());
      if (!more) break;
      const std::pair<std::string, std::string> key{q.String(0), q.String(1)};
      SourceContactQuality& row = by_source_kind[key];
      row.source = key.first;
      row.kind = key.second;
      ++row.total;
      const std::string_view status = q.Text(2);
      if (status == "invalid") {
        ++row.invalid;
        continue;
      }
      if (status == "bounced") {
        ++row.bounced;
        continue;
      }
      ++(status == "verified" ? row.verified : row.unverified);
      const Instant seen = SeenAt(q, 3, 4);
      const double p = StillValidProbability(seen, options.now, options.monthly_decay);
      probability_sum[key] += p;
      if (p < options.stale_below) ++row.stale;
      if (!row.oldest_seen || seen < *row.oldest_seen) row.oldest_seen = seen;
    }
    for (auto& [key, row] : by_source_kind) {
      const int64_t usable = row.verified + row.unverified;
      if (usable > 0)
        row.mean_valid_probability = probability_sum[key] / static_cast<double>(usable);
      report.contacts.push_back(std::move(row));
    }
  }

  {
    Statement& q = db.Query("quality-report-invalid");
    q.Bind(":examples", static_cast<int64_t>(std::max(1, options.examples)));
    while (true) {
      ASSIGN_OR_RETURN(bool more, q.Step());
      if (!more) break;
      if (report.invalid.empty() || report.invalid.back().field != q.Text(0) ||
          report.invalid.back().reason != q.Text(1)) {
        report.invalid.push_back({q.String(0), q.String(1), q.Int(2), {}});
      }
      report.invalid.back().examples.push_back(q.String(3));
    }
  }

  {
    Statement& q = db.Query("quality-report-resolution");
    q.Reset();
    ASSIGN_OR_RETURN(bool row, q.Step());
    if (row) {
      report.resolution_runs = q.Int(0);
      if (auto at = q.OptionalInt(1)) report.last_resolved = Instant{*at};
      report.customer_records = q.Int(2);
      report.merged_records = q.Int(3);
      report.multi_record_customers = q.Int(4);
      report.pending_reviews = q.Int(5);
      report.resolved_customers = report.customer_records - report.merged_records;
    }
    q.Reset();
    Statement& d = db.Query("quality-report-duplicates");
    d.Reset();
    while (true) {
      ASSIGN_OR_RETURN(bool more, d.Step());
      if (!more) break;
      report.duplicates.push_back({d.String(0), d.Int(1), d.Int(2)});
    }
  }
  return report;
}

Result<std::vector<ReverifyItem>> ReverificationList(Database& db, const QualityOptions& options,
                                                     double below, int64_t limit) {
  std::vector<ReverifyItem> items;
  if (below <= 0) return items;
  // The probability falls with age, so "below" is "last seen or verified
  // before" a cut-off the database can filter and sort on.
  int64_t seen_before = options.now.micros;
  if (below < 1) {
    if (options.monthly_decay <= 0) return items;  // nothing ever decays
    const double months = std::log(below) / std::log(1.0 - options.monthly_decay);
    seen_before = options.now.micros - static_cast<int64_t>(months * kMicrosPerMonth);
  } else {
    seen_before = INT64_MAX;
  }
  Statement& q = db.Query("quality-reverify-candidates");
  q.Bind(":seen_before", seen_before);
  while (limit <= 0 || static_cast<int64_t>(items.size()) < limit) {
    ASSIGN_OR_RETURN(bool more, q.Step());
    if (!more) break;
    ReverifyItem item;
    item.customer_id = q.Int(0);
    item.resolved_id = q.Int(1);
    item.kind = q.String(2);
    item.value = q.String(3);
    item.status = q.String(4);
    item.source = q.String(5);
    item.last_seen = Instant{q.Int(6)};
    if (auto v = q.OptionalInt(7)) item.last_verified = Instant{*v};
    item.valid_probability =
        StillValidProbability(SeenAt(q, 6, 7), options.now, options.monthly_decay);
    if (item.valid_probability >= below) continue;
    items.push_back(std::move(item));
  }
  q.Reset();
  return items;
}

std::string QualityReportJson(const QualityReport& r) {
  using nlohmann::ordered_json;
  ordered_json j;
  j["as_of"] = FormatInstant(r.now);
  j["decay_per_month"] = r.monthly_decay;
  j["stale_below"] = r.stale_below;
  j["completeness"] = ordered_json::array();
  for (const auto& c : r.completeness) {
    ordered_json fields = ordered_json::object();
    for (const auto& [field, n] : c.filled) fields[field] = n;
    j["completeness"].push_back(
        {{"source", c.source}, {"records", c.records}, {"filled", fields}});
  }
  j["contact_points"] = ordered_json::array();
  for (const auto& c : r.contacts) {
    ordered_json row = {{"source", c.source},
                        {"kind", c.kind},
                        {"total", c.total},
                        {"verified", c.verified},
                        {"unverified", c.unverified},
                        {"invalid", c.invalid},
                        {"bounced", c.bounced},
                        {"stale", c.stale},
                        {"mean_valid_probability", c.mean_valid_probability}};
    if (c.oldest_seen) row["oldest_seen"] = FormatInstant(*c.oldest_seen);
    j["contact_points"].push_back(std::move(row));
  }
  j["invalid_values"] = ordered_json::array();
  for (const auto& g : r.invalid) {
    j["invalid_values"].push_back(
        {{"field", g.field}, {"reason", g.reason}, {"count", g.count}, {"examples", g.examples}});
  }
  ordered_json d = {{"resolution_runs", r.resolution_runs},
                    {"customer_records", r.customer_records},
                    {"resolved_customers", r.resolved_customers},
                    {"merged_records", r.merged_records},
                    {"customers_with_several_records", r.multi_record_customers},
                    {"pending_reviews", r.pending_reviews}};
  if (r.last_resolved) d["last_resolved"] = FormatInstant(*r.last_resolved);
  d["by_source"] = ordered_json::array();
  for (const auto& s : r.duplicates) {
    d["by_source"].push_back(
        {{"source", s.source}, {"records", s.records}, {"linked", s.linked}});
  }
  j["duplicates"] = std::move(d);
  return j.dump();
}

}  // namespace patron::identity
