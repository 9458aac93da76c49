// Targeting suggestions: per channel, each segment's conversion rate over the
// channel's past campaigns against the channel's other recipients, with a
// suggestion only where the difference is significant and the data enough
// (docs/reports.md "Targeting suggestions").
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include <roaring/roaring.hh>

#include "engine/engine.h"
#include "report/report.h"
#include "report/report_internal.h"
#include "segment/segment.h"

namespace patron::report {

namespace {

constexpr double kZ95 = 1.959963984540054;  // two-sided 95 %

// Wilson score interval for x successes in n trials.
void Wilson(double x, double n, double* low, double* high) {
  if (n <= 0) {
    *low = *high = 0;
    return;
  }
  const double p = x / n, z2 = kZ95 * kZ95;
  const double denom = 1 + z2 / n;
  const double center = (p + z2 / (2 * n)) / denom;
  const double half = kZ95 * std::sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denom;
  *low = std::max(0.0, center - half);
  *high = std::min(1.0, center + half);
}

std::string Pct(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f %%", v * 100);
  return buf;
}

std::string Fixed(double v, int digits) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string PValue(double p) { return p < 0.001 ? "p < 0.001" : "p = " + Fixed(p, 3); }

struct Sums {
  int64_t campaigns = 0, reach = 0, clicked = 0, converted = 0, revenue = 0, holdout = 0, holdout_converted = 0;
};

void Judge(Suggestion& s, const SuggestionOptions& options) {
  const double n1 = static_cast<double>(s.reach), x1 = static_cast<double>(s.converted);
  const double n2 = static_cast<double>(s.rest_reach), x2 = static_cast<double>(s.rest_converted);
  s.conversion_rate = n1 > 0 ? x1 / n1 : 0;
  s.rest_rate = n2 > 0 ? x2 / n2 : 0;
  Wilson(x1, n1, &s.rate_ci_low, &s.rate_ci_high);
  Wilson(x2, n2, &s.rest_ci_low, &s.rest_ci_high);
  s.click_rate = n1 > 0 ? static_cast<double>(s.clicked) / n1 : 0;
  s.rest_click_rate = n2 > 0 ? static_cast<double>(s.rest_clicked) / n2 : 0;
  if (x1 > 0 && x2 > 0) {
    s.ratio = s.conversion_rate / s.rest_rate;
    const double se = std::sqrt(1 / x1 - 1 / n1 + 1 / x2 - 1 / n2);
    s.ratio_ci_low = *s.ratio * std::exp(-kZ95 * se);
    s.ratio_ci_high = *s.ratio * std::exp(kZ95 * se);
  }
  // Pooled two-proportion z-test.
  if (n1 > 0 && n2 > 0) {
    const double pooled = (x1 + x2) / (n1 + n2);
    const double se = std::sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
    if (se > 0) {
      s.z = (s.conversion_rate - s.rest_rate) / se;
      s.p_value = std::erfc(std::fabs(s.z) / std::sqrt(2.0));
    }
  }
  const double pooled = n1 + n2 > 0 ? (x1 + x2) / (n1 + n2) : 0;
  const bool enough = s.reach >= options.min_reach && s.rest_reach >= options.min_reach && n1 * pooled >= 5 &&
                      n2 * pooled >= 5;
  if (!enough) {
    s.reason = "small_sample";
  } else if (s.p_value < 0.05 && s.z > 0) {
    s.reason = "higher";
    s.action = "target";
  } else if (s.p_value < 0.05 && s.z < 0) {
    s.reason = "lower";
    s.action = "suppress";
  } else {
    s.reason = "not_significant";
  }
  std::string ratio;
  if (s.ratio)
    ratio = Fixed(*s.ratio, 2) + "×, 95 % CI " + Fixed(*s.ratio_ci_low, 2) + "–" + Fixed(*s.ratio_ci_high, 2) + "; ";
  const std::string compare = "segment '" + s.segment + "' converted at " + Pct(s.conversion_rate) + " vs " +
                              Pct(s.rest_rate) + " for the other recipients of " + std::to_string(s.campaigns) +
                              " " + s.channel + " campaign" + (s.campaigns == 1 ? "" : "s") + " (" + ratio +
                              PValue(s.p_value) + ")";
  if (s.reason == "higher") {
    s.message = compare + ": target it in the next " + s.channel + " campaign";
  } else if (s.reason == "lower") {
    s.message = compare + ": suppress it from " + s.channel + " campaigns or change the offer";
  } else if (s.reason == "not_significant") {
    s.message = compare + ": the difference is not significant; no change suggested";
  } else {
    s.message = "segment '" + s.segment + "': " + std::to_string(s.reach) + " " + s.channel + " messages and " +
                std::to_string(s.converted) + " conversions against " + std::to_string(s.rest_reach) + " and " +
                std::to_string(s.rest_converted) + " for the other recipients — too few to judge (at least " +
                std::to_string(options.min_reach) + " messages in each group and 5 expected conversions)";
  }
  if (s.lift_available)
    s.message += "; lift over its holdout " + Fixed(s.lift * 100, 1) + " points (95 % CI " +
                 Fixed(s.lift_ci_low * 100, 1) + " … " + Fixed(s.lift_ci_high * 100, 1) + ", " +
                 (s.lift_significant ? "significant" : "not significant") + ")";
}

}  // namespace

Result<std::vector<Suggestion>> TargetingSuggestions(Database& db, const engine::Snapshot& snapshot,
                                                     const SuggestionOptions& options, const Clock& clock) {
  const Instant now = clock.Now();
  std::vector<SegmentDefinition> segments = options.segments;
  if (segments.empty()) {
    ASSIGN_OR_RETURN(std::vector<segment::SavedSegment> saved, segment::ListSegments(db));
    for (const segment::SavedSegment& s : saved) segments.push_back({s.name, s.definition});
  }
  if (segments.empty()) return std::vector<Suggestion>{};
  ASSIGN_OR_RETURN(internal::EvaluatedSegments evaluated, internal::EvaluateSegments(db, snapshot, segments, now));
  std::vector<internal::SegmentMembersOf>& members = evaluated.members;
  members.push_back({"", nullptr});  // every recipient: the channel's totals
  const size_t all = segments.size();
  ASSIGN_OR_RETURN(std::vector<CampaignRow> rows, internal::CampaignSegmentRows(db, snapshot, members, "", now));

  // Per channel: sums per segment (index `all` = every recipient) and the currencies seen.
  struct Channel {
    std::vector<Sums> sums;
    std::map<std::string, int> currencies;
  };
  std::map<std::string, Channel> channels;
  for (size_t i = 0; i < rows.size(); ++i) {
    const CampaignRow& r = rows[i];
    if (!options.channel.empty() && r.channel != options.channel) continue;
    Channel& ch = channels[r.channel];
    ch.sums.resize(all + 1);
    const size_t s = i % (all + 1);  // rows come per campaign, one per segment in order
    Sums& k = ch.sums[s];
    if (r.reach > 0) ++k.campaigns;
    k.reach += r.reach;
    k.clicked += r.clicked;
    k.converted += r.converted;
    k.revenue += r.revenue_minor;
    k.holdout += r.holdout;
    k.holdout_converted += r.holdout_converted;
    if (s == all && r.reach > 0) ++ch.currencies[r.currency];
  }

  std::vector<Suggestion> out;
  for (const auto& [name, ch] : channels) {
    const Sums& total = ch.sums[all];
    const std::string currency = ch.currencies.size() == 1 ? ch.currencies.begin()->first : "";
    std::vector<Suggestion> group;
    for (size_t s = 0; s < all; ++s) {
      const Sums& k = ch.sums[s];
      if (k.reach == 0) continue;
      Suggestion g;
      g.channel = name;
      g.segment = segments[s].name;
      g.campaigns = k.campaigns;
      g.reach = k.reach;
      g.clicked = k.clicked;
      g.converted = k.converted;
      g.rest_reach = std::max<int64_t>(0, total.reach - k.reach);
      g.rest_clicked = std::max<int64_t>(0, total.clicked - k.clicked);
      g.rest_converted = std::max<int64_t>(0, total.converted - k.converted);
      g.currency = currency;
      if (!currency.empty()) {
        g.revenue_per_message = static_cast<double>(k.revenue) / static_cast<double>(k.reach);
        if (g.rest_reach > 0)
          g.rest_revenue_per_message =
              static_cast<double>(total.revenue - k.revenue) / static_cast<double>(g.rest_reach);
      }
      g.holdout = k.holdout;
      g.holdout_converted = k.holdout_converted;
      if (k.holdout >= options.min_holdout && k.holdout > 0) {
        // The same Wald interval as the campaign report's lift.
        const double rt = static_cast<double>(k.converted) / static_cast<double>(k.reach);
        const double rh = static_cast<double>(k.holdout_converted) / static_cast<double>(k.holdout);
        const double se = std::sqrt(rt * (1 - rt) / static_cast<double>(k.reach) +
                                    rh * (1 - rh) / static_cast<double>(k.holdout));
        g.lift_available = true;
        g.lift = rt - rh;
        g.lift_ci_low = g.lift - kZ95 * se;
        g.lift_ci_high = g.lift + kZ95 * se;
        g.lift_significant = se > 0 ? (g.lift_ci_low > 0 || g.lift_ci_high < 0) : g.lift != 0;
      }
      Judge(g, options);
      group.push_back(std::move(g));
    }
    auto rank = [](const Suggestion& s) { return s.action == "target" ? 0 : s.action == "suppress" ? 1 : 2; };
    std::stable_sort(group.begin(), group.end(), [&](const Suggestion& a, const Suggestion& b) {
      if (rank(a) != rank(b)) return rank(a) < rank(b);
      if (rank(a) == 2) return a.segment < b.segment;
      const double ra = a.ratio.value_or(a.action == "target" ? 1e300 : 0);
      const double rb = b.ratio.value_or(b.action == "target" ? 1e300 : 0);
      if (ra != rb) return rank(a) == 0 ? ra > rb : ra < rb;
      return a.segment < b.segment;
    });
    for (Suggestion& g : group) out.push_back(std::move(g));
  }
  return out;
}

Table SuggestionTable(const std::vector<Suggestion>& suggestions) {
  Table t{"suggestions",
          {"channel", "segment", "action", "reason", "campaigns", "reach", "converted", "conversion_rate",
           "rate_ci_low", "rate_ci_high", "rest_reach", "rest_converted", "rest_rate", "ratio", "ratio_ci_low",
           "ratio_ci_high", "z", "p_value", "clicked", "click_rate", "rest_click_rate", "currency",
           "revenue_per_message_minor", "rest_revenue_per_message_minor", "holdout", "holdout_converted", "lift",
           "lift_ci_low", "lift_ci_high", "lift_significant", "message"},
          {}};
  auto num = [](double v) { return Fixed(v, 4); };
  auto opt = [&](const std::optional<double>& v) { return v ? num(*v) : std::string(); };
  for (const Suggestion& s : suggestions)
    t.rows.push_back({s.channel, s.segment, s.action, s.reason, std::to_string(s.campaigns), std::to_string(s.reach),
                      std::to_string(s.converted), num(s.conversion_rate), num(s.rate_ci_low), num(s.rate_ci_high),
                      std::to_string(s.rest_reach), std::to_string(s.rest_converted), num(s.rest_rate), opt(s.ratio),
                      opt(s.ratio_ci_low), opt(s.ratio_ci_high), num(s.z), Fixed(s.p_value, 6), std::to_string(s.clicked),
                      num(s.click_rate), num(s.rest_click_rate), s.currency,
                      s.revenue_per_message ? Fixed(*s.revenue_per_message, 2) : "",
                      s.rest_revenue_per_message ? Fixed(*s.rest_revenue_per_message, 2) : "",
                      std::to_string(s.holdout), std::to_string(s.holdout_converted),
                      s.lift_available ? num(s.lift) : "", s.lift_available ? num(s.lift_ci_low) : "",
                      s.lift_available ? num(s.lift_ci_high) : "",
                      s.lift_available ? (s.lift_significant ? "yes" : "no") : "", s.message});
  return t;
}

}  // namespace patron::report
