// KPIs, cohorts and the funnel, computed from the engine snapshot in one pass
// per period over customers, their orders and their events (all sorted by time
// inside each customer), plus campaign and acquisition costs from the store.
// Definitions: docs/reports.md.
#include <roaring/roaring.hh>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

#include "engine/engine.h"
#include "report/report.h"
#include "report/report_internal.h"
#include "segment/segment.h"
#include "store/store.h"

namespace patron::report {

using internal::CustomerActivity;

Result<Period> ParsePeriod(std::string_view from_day, std::string_view to_day) {
  auto from = ParseInstant(from_day);
  if (!from.ok()) return from.status().WithContext("--from");
  auto to = ParseInstant(to_day);
  if (!to.ok()) return to.status().WithContext("--to");
  Period p{*from, Instant{to->micros + internal::kMicrosPerDay}};
  if (p.to <= p.from) return InvalidArgument("--to: the period ends before it starts");
  return p;
}

const Kpi* KpiReport::Find(std::string_view key, std::string_view breakdown, std::string_view currency) const {
  for (const Kpi& k : kpis)
    if (k.key == key && k.breakdown == breakdown && k.currency == currency) return &k;
  return nullptr;
}

Result<std::unique_ptr<::Roaring>> SegmentMembers(Database& db, const engine::Snapshot& snapshot,
                                                  std::string_view definition, Instant now) {
  segment::Vocabulary vocabulary = segment::LoadVocabulary(db, &snapshot);
  std::string text(TrimAscii(definition));
  if (text.rfind("segment:", 0) == 0) {
    auto saved = segment::LoadSegment(db, TrimAscii(std::string_view(text).substr(8)));
    if (!saved.ok()) return saved.status().WithContext("segment");
    text = saved->definition;
  }
  auto node = segment::Parse(text, vocabulary);
  if (!node.ok()) return node.status().WithContext("segment");
  segment::EvalOptions options;
  options.now = now;
  options.resolve = segment::StoreResolver(db);
  options.vocabulary = &vocabulary;
  auto members = segment::Evaluate(snapshot, *node, options);
  if (!members.ok()) return members.status().WithContext("segment");
  return std::make_unique<::Roaring>(std::move(*members));
}

namespace internal {

CustomerActivity::CustomerActivity(const engine::Snapshot& s) : snapshot(s) {
  const auto& statuses = s.orders.statuses.values;
  purchase_status.resize(statuses.size(), true);
  for (size_t i = 0; i < statuses.size(); ++i)
    purchase_status[i] = statuses[i] != "cancelled" && statuses[i] != "returned";
  const auto& currencies = s.orders.currencies.values;
  for (const std::string& c : currencies) scale.push_back(std::pow(10.0, CurrencyMinorDigits(c)));
  auto column = [&](const char* name) -> const engine::Column* {
    auto it = s.profile.find(name);
    return it == s.profile.end() ? nullptr : &it->second;
  };
  created_at = column("created_at");
  acquisition_channel = column("acquisition_channel");
  source = column("source");
  lead_stage = column("lead_stage");
  clv_12m = column("clv_12m");
}

int64_t CustomerActivity::OrderMinor(uint32_t row) const {
  return std::llround(snapshot.orders.amount[row] * scale[snapshot.orders.currency[row]]);
}

double CustomerActivity::CreatedAt(uint32_t c) const {
  if (!created_at || created_at->numbers.empty()) return engine::kMissing;
  return created_at->numbers[c];
}

std::string_view CustomerActivity::Text(const engine::Column* column, uint32_t c) const {
  if (!column || column->codes.empty()) return {};
  return column->dict.values[column->codes[c]];
}

std::optional<int64_t> CustomerActivity::FirstPurchase(uint32_t c) const {
  const auto& o = snapshot.orders;
  for (uint32_t r = o.offsets[c]; r < o.offsets[c + 1]; ++r)
    if (purchase_status[o.status[r]]) return o.at[r];
  return std::nullopt;
}

bool InSegment(const ::Roaring* segment, uint32_t c) { return !segment || segment->contains(c); }

// First row of [begin, end) with at[row] >= t.
uint32_t LowerBound(std::span<const int64_t> at, uint32_t begin, uint32_t end, int64_t t) {
  return static_cast<uint32_t>(std::lower_bound(at.begin() + begin, at.begin() + end, t) - at.begin());
}

}  // namespace internal

namespace {

using internal::InSegment;
using internal::LowerBound;

// Everything one pass over customers gathers for one period (and what the
// previous period's buyers did, for retention).
struct PeriodStats {
  int64_t customers_total = 0, new_customers = 0, active = 0, buyers = 0, orders = 0;
  int64_t previous_buyers = 0, retained = 0;
  int64_t messages_sent = 0, opens = 0, clicks = 0, visits = 0;
  std::map<std::string, int64_t> revenue, orders_by_currency;       // in the period
  std::map<std::string, int64_t> lifetime_revenue, lifetime_buyers;  // up to the period's end
  std::map<std::string, double> predicted_sum;
  std::map<std::string, int64_t> predicted_count;
  std::map<std::string, int64_t> new_by_channel, new_by_source;
  // Costs (not per customer).
  std::map<std::string, int64_t> campaign_cost;  // currency -> minor
  int64_t people_reached = 0;
  std::map<std::string, int64_t> acquisition_total;                                 // currency
  std::map<std::pair<std::string, std::string>, int64_t> acquisition_by_channel;    // (channel, currency)
  std::map<std::pair<std::string, std::string>, int64_t> acquisition_by_source;     // (source, currency)
  // Campaign ROI: campaigns started in the period.
  struct Roi {
    int64_t incremental = 0, cost = 0;
  };
  std::map<std::string, std::pair<std::string, std::optional<double>>> campaign_roi;  // name -> (currency, roi)
  std::map<std::pair<std::string, std::string>, Roi> channel_roi;                     // (channel, currency)
};

void ScanCustomers(const internal::CustomerActivity& a, const Period& p, const KpiOptions& options,
                   PeriodStats& st) {
  const engine::Snapshot& s = a.snapshot;
  const auto& o = s.orders;
  const auto& e = s.events;
  const int64_t from = p.from.micros, to = p.to.micros;
  const int64_t prev_from = p.Previous().from.micros;
  // Event type codes by role.
  std::vector<uint8_t> role(e.types.size(), 0);  // 1 visit, 2 sent, 3 opened, 4 clicked
  for (const std::string& t : options.visit_event_types) {
    auto it = e.types.index.find(t);
    if (it != e.types.index.end()) role[it->second] = 1;
  }
  auto mark = [&](const char* t, uint8_t r) {
    auto it = e.types.index.find(std::string_view(t));
    if (it != e.types.index.end()) role[it->second] = r;
  };
  mark("message_sent", 2);
  mark("message_opened", 3);
  mark("message_clicked", 4);

  const uint32_t n = s.customer_count();
  std::set<uint32_t> currencies_bought;
  for (uint32_t c = 0; c < n; ++c) {
    if (!InSegment(options.segment, c)) continue;
    const double created = a.CreatedAt(c);
    const bool exists = engine::IsMissing(created) || created < static_cast<double>(to);
    if (!exists) continue;
    ++st.customers_total;
    if (!engine::IsMissing(created) && created >= static_cast<double>(from)) {
      ++st.new_customers;
      std::string_view channel = a.Text(a.acquisition_channel, c);
      std::string_view source = a.Text(a.source, c);
      if (!channel.empty()) ++st.new_by_channel[std::string(channel)];
      if (!source.empty()) ++st.new_by_source[std::string(source)];
    }
    // Orders: lifetime up to `to`, this period, the previous one.
    bool bought_now = false, bought_before = false;
    currencies_bought.clear();
    uint32_t last_currency = UINT32_MAX;
    const uint32_t end = LowerBound(o.at, o.offsets[c], o.offsets[c + 1], to);
    for (uint32_t r = o.offsets[c]; r < end; ++r) {
      if (!a.purchase_status[o.status[r]]) continue;
      const std::string& currency = o.currencies.values[o.currency[r]];
      const int64_t minor = a.OrderMinor(r);
      st.lifetime_revenue[currency] += minor;
      currencies_bought.insert(o.currency[r]);
      last_currency = o.currency[r];
      if (o.at[r] >= from) {
        bought_now = true;
        ++st.orders;
        ++st.orders_by_currency[currency];
        st.revenue[currency] += minor;
      } else if (o.at[r] >= prev_from) {
        bought_before = true;
      }
    }
    for (uint32_t cur : currencies_bought) ++st.lifetime_buyers[o.currencies.values[cur]];
    if (bought_now) ++st.buyers;
    if (bought_before) {
      ++st.previous_buyers;
      if (bought_now) ++st.retained;
    }
    if (a.clv_12m && last_currency != UINT32_MAX && !engine::IsMissing(a.clv_12m->numbers[c])) {
      const std::string& currency = o.currencies.values[last_currency];
      st.predicted_sum[currency] += a.clv_12m->numbers[c] * a.scale[last_currency];
      ++st.predicted_count[currency];
    }
    // Events in the period.
    bool active = bought_now;
    int64_t last_visit_day = INT64_MIN;
    const uint32_t ebegin = LowerBound(e.at, e.offsets[c], e.offsets[c + 1], from);
    const uint32_t eend = LowerBound(e.at, ebegin, e.offsets[c + 1], to);
    for (uint32_t r = ebegin; r < eend; ++r) {
      switch (role[e.type[r]]) {
        case 1: {
          active = true;
          const int64_t day = e.at[r] / internal::kMicrosPerDay;
          if (day != last_visit_day) ++st.visits, last_visit_day = day;
          break;
        }
        case 2:
          ++st.messages_sent;
          break;
        case 3:
          ++st.opens, active = true;
          break;
        case 4:
          ++st.clicks, active = true;
          break;
        default:
          active = true;
      }
    }
    if (active) ++st.active;
  }
}

// Days in common between [a_from, a_to] and [b_from, b_to] (inclusive day numbers).
int64_t OverlapDays(int64_t a_from, int64_t a_to, int64_t b_from, int64_t b_to) {
  return std::max<int64_t>(0, std::min(a_to, b_to) - std::max(a_from, b_from) + 1);
}

Status ReadCosts(Database& db, const Period& p, const std::vector<CampaignRow>& campaigns, PeriodStats& st) {
  {
    Statement& q = db.Query("report-campaign-costs");
    q.Bind(":from", p.from.micros).Bind(":to", p.to.micros);
    while (true) {
      ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      st.campaign_cost[q.String(1)] += q.Int(3);
    }
  }
  {
    Statement& q = db.Query("report-people-reached");
    q.Bind(":from", p.from.micros).Bind(":to", p.to.micros);
    ASSIGN_OR_RETURN(bool row, q.Step());
    if (row) st.people_reached = q.Int(0);
    q.Reset();
  }
  const int64_t first_day = p.from.micros / internal::kMicrosPerDay;
  const int64_t last_day = (p.to.micros - 1) / internal::kMicrosPerDay;
  {
    Statement& q = db.Query("report-acquisition-costs");
    q.Bind(":from_day", CivilDate::FromDays(first_day).ToString())
        .Bind(":to_day", CivilDate::FromDays(last_day).ToString());
    while (true) {
      ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      auto from = ParseInstant(q.Text(2));
      auto to = ParseInstant(q.Text(3));
      if (!from.ok() || !to.ok()) continue;  // checked on import
      const int64_t row_first = from->micros / internal::kMicrosPerDay;
      const int64_t row_last = to->micros / internal::kMicrosPerDay;
      const int64_t days = row_last - row_first + 1;
      const int64_t overlap = OverlapDays(row_first, row_last, first_day, last_day);
      if (days <= 0 || overlap <= 0) continue;
      // Prorated by days; rounding to the nearest minor unit.
      const int64_t amount = (q.Int(4) * overlap + days / 2) / days;
      const std::string currency = q.String(5);
      st.acquisition_total[currency] += amount;
      if (!q.Text(0).empty()) st.acquisition_by_source[{q.String(0), currency}] += amount;
      if (!q.Text(1).empty()) st.acquisition_by_channel[{q.String(1), currency}] += amount;
    }
  }
  {
    Statement& q = db.Query("report-purchased-lists");
    q.Bind(":from", p.from.micros).Bind(":to", p.to.micros);
    while (true) {
      ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      st.acquisition_total[q.String(2)] += q.Int(1);
      st.acquisition_by_source[{q.String(0), q.String(2)}] += q.Int(1);
    }
  }
  for (const CampaignRow& c : campaigns) {
    if (!c.variant.empty() || !c.started_at || *c.started_at < p.from || *c.started_at >= p.to) continue;
    st.campaign_roi[c.campaign] = {c.currency, c.roi};
    auto& roi = st.channel_roi[{c.channel, c.currency}];
    roi.incremental += c.incremental_revenue_minor;
    roi.cost += c.cost_minor;
  }
  return Status::Ok();
}

}  // namespace

namespace internal {

PeriodFigures ComputePeriodFigures(const CustomerActivity& activity, const Period& period, const KpiOptions& options) {
  PeriodStats st;
  ScanCustomers(activity, period, options, st);
  return {st.orders, st.active, st.new_customers, st.revenue};
}

std::vector<PeriodFigures> ComputeWeeklyFigures(const CustomerActivity& a, Instant first, int weeks,
                                                const KpiOptions& options) {
  constexpr int64_t kWeek = 7 * kMicrosPerDay;
  weeks = std::clamp(weeks, 0, 64);  // activity bits of one customer fit a uint64_t
  std::vector<PeriodFigures> out(static_cast<size_t>(weeks));
  if (weeks == 0) return out;
  const engine::Snapshot& s = a.snapshot;
  const auto& o = s.orders;
  const auto& e = s.events;
  const int64_t start = first.micros, end = first.micros + kWeek * weeks;
  auto week_of = [&](int64_t at) { return static_cast<int>((at - start) / kWeek); };
  // Events that make a customer active: every type except messages sent to them (as ScanCustomers).
  std::vector<bool> activating(e.types.size(), true);
  if (auto it = e.types.index.find(std::string_view("message_sent")); it != e.types.index.end())
    activating[it->second] = false;
  std::vector<int64_t> orders(weeks, 0), active(weeks, 0), new_customers(weeks, 0);
  std::vector<std::vector<int64_t>> revenue(weeks, std::vector<int64_t>(o.currencies.values.size(), 0));
  std::vector<bool> revenue_seen(o.currencies.values.size() * weeks, false);
  const uint32_t n = s.customer_count();
  for (uint32_t c = 0; c < n; ++c) {
    if (!InSegment(options.segment, c)) continue;
    const double created = a.CreatedAt(c);
    // The customer counts in week w only if they existed before its end (created < end of w).
    int first_week = 0;
    if (!engine::IsMissing(created)) {
      if (created >= static_cast<double>(end)) continue;
      if (created >= static_cast<double>(start)) {
        first_week = week_of(static_cast<int64_t>(created));
        // created < end of first_week by construction; it is new in that week.
        ++new_customers[first_week];
      }
    }
    const int64_t from = start + kWeek * first_week;
    uint64_t active_weeks = 0;
    const uint32_t obegin = LowerBound(o.at, o.offsets[c], o.offsets[c + 1], from);
    const uint32_t oend = LowerBound(o.at, obegin, o.offsets[c + 1], end);
    for (uint32_t r = obegin; r < oend; ++r) {
      if (!a.purchase_status[o.status[r]]) continue;
      const int w = week_of(o.at[r]);
      ++orders[w];
      revenue[w][o.currency[r]] += a.OrderMinor(r);
      revenue_seen[static_cast<size_t>(w) * o.currencies.values.size() + o.currency[r]] = true;
      active_weeks |= uint64_t{1} << w;
    }
    const uint32_t eend = LowerBound(e.at, e.offsets[c], e.offsets[c + 1], end);
    for (uint32_t r = LowerBound(e.at, e.offsets[c], eend, from); r < eend;) {
      if (!activating[e.type[r]]) {
        ++r;
        continue;
      }
      const int w = week_of(e.at[r]);
      active_weeks |= uint64_t{1} << w;
      r = LowerBound(e.at, r + 1, eend, start + kWeek * (w + 1));  // the rest of the week adds nothing
    }
    for (int w = first_week; w < weeks; ++w)
      if (active_weeks >> w & 1) ++active[w];
  }
  for (int w = 0; w < weeks; ++w) {
    out[w].orders = orders[w];
    out[w].active = active[w];
    out[w].new_customers = new_customers[w];
    for (size_t cur = 0; cur < o.currencies.values.size(); ++cur)
      if (revenue_seen[static_cast<size_t>(w) * o.currencies.values.size() + cur])
        out[w].revenue[o.currencies.values[cur]] = revenue[w][cur];
  }
  return out;
}

}  // namespace internal

namespace {

std::optional<double> Ratio(double part, double whole) {
  if (whole <= 0) return std::nullopt;
  return part / whole;
}

class KpiBuilder {
 public:
  KpiBuilder(const PeriodStats& now, const PeriodStats& before) : now_(now), before_(before) {}

  // A KPI whose value is `get(stats)`.
  template <typename F>
  void Add(std::string key, std::string breakdown, std::string currency, std::string unit, F get) {
    out.push_back({std::move(key), std::move(breakdown), std::move(currency), std::move(unit), get(now_),
                   get(before_)});
  }
  std::vector<Kpi> out;

 private:
  const PeriodStats& now_;
  const PeriodStats& before_;
};

template <typename K>
int64_t Get(const std::map<K, int64_t>& m, const K& k) {
  auto it = m.find(k);
  return it == m.end() ? 0 : it->second;
}

}  // namespace

Result<KpiReport> ComputeKpis(Database& db, const engine::Snapshot& snapshot, const KpiOptions& options) {
  if (options.period.to <= options.period.from) return InvalidArgument("period: it ends before it starts");
  const Clock& clock = options.clock ? *options.clock : SystemClock::Get();
  ASSIGN_OR_RETURN(std::vector<CampaignRow> campaigns, CampaignResults(db, clock));
  internal::CustomerActivity activity(snapshot);
  PeriodStats now, before;
  const Period previous = options.period.Previous();
  ScanCustomers(activity, options.period, options, now);
  ScanCustomers(activity, previous, options, before);
  RETURN_IF_ERROR(ReadCosts(db, options.period, campaigns, now));
  RETURN_IF_ERROR(ReadCosts(db, previous, campaigns, before));

  KpiBuilder b(now, before);
  using S = const PeriodStats&;
  auto count = [](int64_t v) { return std::optional<double>(static_cast<double>(v)); };
  b.Add("customers_total", "", "", "count", [&](S s) { return count(s.customers_total); });
  b.Add("customers_new", "", "", "count", [&](S s) { return count(s.new_customers); });
  b.Add("customers_active", "", "", "count", [&](S s) { return count(s.active); });
  b.Add("customers_lapsed", "", "", "count", [&](S s) { return count(s.previous_buyers - s.retained); });
  b.Add("buyers", "", "", "count", [&](S s) { return count(s.buyers); });
  b.Add("orders", "", "", "count", [&](S s) { return count(s.orders); });
  b.Add("purchase_frequency", "", "", "number", [&](S s) { return Ratio(s.orders, s.buyers); });
  b.Add("retention_rate", "", "", "ratio", [&](S s) { return Ratio(s.retained, s.previous_buyers); });
  b.Add("churn_rate", "", "", "ratio",
        [&](S s) { return Ratio(s.previous_buyers - s.retained, s.previous_buyers); });
  b.Add("messages_sent", "", "", "count", [&](S s) { return count(s.messages_sent); });
  b.Add("opens", "", "", "count", [&](S s) { return count(s.opens); });
  b.Add("clicks", "", "", "count", [&](S s) { return count(s.clicks); });
  b.Add("visits", "", "", "count", [&](S s) { return count(s.visits); });
  b.Add("people_reached", "", "", "count", [&](S s) { return count(s.people_reached); });

  // Money KPIs, once per currency seen in either period.
  std::set<std::string> currencies;
  for (const PeriodStats* s : {&now, &before}) {
    for (const auto& [c, v] : s->lifetime_revenue) currencies.insert(c);
    for (const auto& [c, v] : s->campaign_cost) currencies.insert(c);
    for (const auto& [c, v] : s->acquisition_total) currencies.insert(c);
    for (const auto& [c, v] : s->predicted_count) currencies.insert(c);
  }
  std::set<std::string> cost_currencies;
  for (const PeriodStats* s : {&now, &before}) {
    for (const auto& [c, v] : s->campaign_cost) cost_currencies.insert(c);
    for (const auto& [c, v] : s->acquisition_total) cost_currencies.insert(c);
  }
  for (const std::string& cur : currencies) {
    auto money = [](int64_t v) { return std::optional<double>(static_cast<double>(v)); };
    b.Add("revenue", "", cur, "money", [&](S s) { return money(Get(s.revenue, cur)); });
    b.Add("average_order_value", "", cur, "money",
          [&](S s) { return Ratio(Get(s.revenue, cur), Get(s.orders_by_currency, cur)); });
    b.Add("ltv_historical", "", cur, "money",
          [&](S s) { return Ratio(Get(s.lifetime_revenue, cur), Get(s.lifetime_buyers, cur)); });
    {
      auto it = now.predicted_sum.find(cur);
      std::optional<double> v;
      if (it != now.predicted_sum.end()) v = Ratio(it->second, Get(now.predicted_count, cur));
      b.out.push_back({"ltv_predicted_12m", "", cur, "money", v, std::nullopt});
    }
    if (!cost_currencies.count(cur)) continue;  // no spend recorded in this currency
    b.Add("campaign_cost", "", cur, "money", [&](S s) { return money(Get(s.campaign_cost, cur)); });
    b.Add("acquisition_cost", "", cur, "money", [&](S s) { return money(Get(s.acquisition_total, cur)); });
    b.Add("cac", "", cur, "money", [&](S s) {
      return Ratio(Get(s.acquisition_total, cur) + Get(s.campaign_cost, cur), s.new_customers);
    });
    b.Add("cost_per_person_reached", "", cur, "money",
          [&](S s) { return Ratio(Get(s.campaign_cost, cur), s.people_reached); });
  }
  // CAC by acquisition channel and by source.
  std::set<std::pair<std::string, std::string>> channels, sources;
  for (const PeriodStats* s : {&now, &before}) {
    for (const auto& [k, v] : s->acquisition_by_channel) channels.insert(k);
    for (const auto& [k, v] : s->acquisition_by_source) sources.insert(k);
  }
  for (const auto& [channel, cur] : channels) {
    const std::pair<std::string, std::string> key{channel, cur};
    b.Add("cac", "channel=" + channel, cur, "money", [&](S s) {
      return Ratio(Get(s.acquisition_by_channel, key), Get(s.new_by_channel, channel));
    });
  }
  for (const auto& [source, cur] : sources) {
    const std::pair<std::string, std::string> key{source, cur};
    b.Add("cac", "source=" + source, cur, "money", [&](S s) {
      return Ratio(Get(s.acquisition_by_source, key), Get(s.new_by_source, source));
    });
  }
  // New customers by channel and source (the denominators above).
  for (const auto& [channel, v] : now.new_by_channel)
    b.Add("customers_new", "channel=" + channel, "", "count",
          [&, ch = channel](S s) { return count(Get(s.new_by_channel, ch)); });
  for (const auto& [source, v] : now.new_by_source)
    b.Add("customers_new", "source=" + source, "", "count",
          [&, so = source](S s) { return count(Get(s.new_by_source, so)); });
  // ROI per campaign started in the period, and per channel.
  for (const auto& [name, roi] : now.campaign_roi)
    b.out.push_back({"roi", "campaign=" + name, roi.first, "ratio", roi.second, std::nullopt});
  std::set<std::pair<std::string, std::string>> roi_channels;
  for (const PeriodStats* s : {&now, &before})
    for (const auto& [k, v] : s->channel_roi) roi_channels.insert(k);
  for (const auto& key : roi_channels) {
    b.Add("roi", "channel=" + key.first, key.second, "ratio", [&](S s) -> std::optional<double> {
      auto it = s.channel_roi.find(key);
      if (it == s.channel_roi.end() || it->second.cost <= 0) return std::nullopt;
      return static_cast<double>(it->second.incremental - it->second.cost) / static_cast<double>(it->second.cost);
    });
  }
  return KpiReport{options.period, std::move(b.out)};
}

namespace {

std::string Cell(const std::optional<double>& v, const std::string& unit) {
  if (!v) return "";
  char buf[48];
  if (unit == "count" || unit == "money") {
    // Money KPIs that are averages keep one decimal of a minor unit.
    if (std::fabs(*v - std::round(*v)) < 1e-9) {
      std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(std::llround(*v)));
    } else {
      std::snprintf(buf, sizeof buf, "%.1f", *v);
    }
  } else {
    std::snprintf(buf, sizeof buf, "%.4f", *v);
  }
  return buf;
}

}  // namespace

Table KpiTable(const KpiReport& report) {
  Table t{"kpis", {"kpi", "breakdown", "currency", "unit", "value", "previous", "change"}, {}};
  for (const Kpi& k : report.kpis) {
    std::string change;
    if (k.value && k.previous && *k.previous != 0) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.4f", (*k.value - *k.previous) / std::fabs(*k.previous));
      change = buf;
    }
    t.rows.push_back({k.key, k.breakdown, k.currency, k.unit, Cell(k.value, k.unit), Cell(k.previous, k.unit), change});
  }
  return t;
}

// ---------------------------------------------------------------------------
// Cohorts
// ---------------------------------------------------------------------------

namespace {

int MonthIndex(int64_t micros) {
  CivilDate d = CivilDate::FromDays(micros >= 0 ? micros / internal::kMicrosPerDay
                                                : -((-micros + internal::kMicrosPerDay - 1) / internal::kMicrosPerDay));
  return d.year * 12 + (d.month - 1);
}

std::string MonthName(int index) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d", index / 12, index % 12 + 1);
  return buf;
}

}  // namespace

Result<Cohorts> ComputeCohorts(const engine::Snapshot& s, const CohortOptions& options) {
  if (options.months < 1 || options.months > 120) return InvalidArgument("months: give 1 to 120");
  if (!options.group_by.empty() && options.group_by != "acquisition_channel" && options.group_by != "source")
    return InvalidArgument("group by: '" + options.group_by + "' is not one of acquisition_channel, source");
  internal::CustomerActivity a(s);
  const auto& o = s.orders;
  const int64_t until = options.until.micros;
  const int last_month = MonthIndex(until - 1);
  const int first_month = last_month - options.months + 1;
  // The revenue currency: the asked one or the one with most revenue.
  Cohorts out;
  out.currency = options.currency;
  if (out.currency.empty()) {
    std::map<uint32_t, double> by_currency;
    for (uint32_t r = 0; r < o.at.size(); ++r)
      if (o.at[r] < until && a.purchase_status[o.status[r]]) by_currency[o.currency[r]] += o.amount[r];
    double best = -1;
    for (const auto& [code, total] : by_currency)
      if (total > best) best = total, out.currency = o.currencies.values[code];
  }
  const engine::Column* group_column =
      options.group_by == "acquisition_channel" ? a.acquisition_channel : options.group_by == "source" ? a.source : nullptr;
  std::map<std::pair<std::string, int>, CohortRow> rows;
  std::vector<uint8_t> bought;
  for (uint32_t c = 0; c < s.customer_count(); ++c) {
    if (!InSegment(options.segment, c)) continue;
    auto first = a.FirstPurchase(c);
    if (!first || *first >= until) continue;
    const int cohort = MonthIndex(*first);
    if (cohort < first_month) continue;
    std::string group = group_column ? std::string(a.Text(group_column, c)) : std::string();
    CohortRow& row = rows[{group, cohort}];
    const size_t width = static_cast<size_t>(last_month - cohort + 1);
    if (row.active.empty()) {
      row.group = group;
      row.cohort = MonthName(cohort);
      row.active.assign(width, 0);
      row.revenue_minor.assign(width, 0);
    }
    ++row.size;
    bought.assign(width, 0);
    const uint32_t end = LowerBound(o.at, o.offsets[c], o.offsets[c + 1], until);
    for (uint32_t r = o.offsets[c]; r < end; ++r) {
      if (!a.purchase_status[o.status[r]]) continue;
      const int k = MonthIndex(o.at[r]) - cohort;
      if (k < 0 || k >= static_cast<int>(width)) continue;
      bought[k] = 1;
      if (o.currencies.values[o.currency[r]] == out.currency) row.revenue_minor[k] += a.OrderMinor(r);
    }
    for (size_t k = 0; k < width; ++k) row.active[k] += bought[k];
  }
  for (auto& [key, row] : rows) out.rows.push_back(std::move(row));
  return out;
}

namespace {

Table CohortTable(const Cohorts& cohorts, const char* name, bool revenue) {
  size_t width = 0;
  for (const CohortRow& r : cohorts.rows) width = std::max(width, r.active.size());
  Table t{name, {"group", "cohort", "size"}, {}};
  if (revenue) t.columns.push_back("currency");
  for (size_t k = 0; k < width; ++k) t.columns.push_back("m" + std::to_string(k));
  for (const CohortRow& r : cohorts.rows) {
    std::vector<std::string> row = {r.group, r.cohort, std::to_string(r.size)};
    if (revenue) row.push_back(cohorts.currency);
    for (size_t k = 0; k < width; ++k) {
      if (k >= r.active.size() || r.size == 0) {
        row.push_back("");
        continue;
      }
      char buf[32];
      if (revenue) {
        std::snprintf(buf, sizeof buf, "%.1f", static_cast<double>(r.revenue_minor[k]) / static_cast<double>(r.size));
      } else {
        std::snprintf(buf, sizeof buf, "%.4f", static_cast<double>(r.active[k]) / static_cast<double>(r.size));
      }
      row.push_back(buf);
    }
    t.rows.push_back(std::move(row));
  }
  return t;
}

}  // namespace

Table CohortRetentionTable(const Cohorts& cohorts) { return CohortTable(cohorts, "cohort_retention", false); }
Table CohortRevenueTable(const Cohorts& cohorts) { return CohortTable(cohorts, "cohort_revenue_per_customer", true); }

// ---------------------------------------------------------------------------
// Funnel
// ---------------------------------------------------------------------------

namespace {

void CountFunnel(const internal::CustomerActivity& a, const Period& p, const ::Roaring* segment, int64_t* leads,
                 int64_t* mql, int64_t* sql, int64_t* customers) {
  const auto& s = a.snapshot;
  for (uint32_t c = 0; c < s.customer_count(); ++c) {
    if (!InSegment(segment, c)) continue;
    const double created = a.CreatedAt(c);
    if (engine::IsMissing(created) || created < static_cast<double>(p.from.micros) ||
        created >= static_cast<double>(p.to.micros))
      continue;
    ++*leads;
    auto first = a.FirstPurchase(c);
    const bool customer = first && *first < p.to.micros;
    std::string_view stage = a.Text(a.lead_stage, c);
    if (customer || stage == "sql") ++*sql;
    if (customer || stage == "sql" || stage == "mql") ++*mql;
    if (customer) ++*customers;
  }
}

}  // namespace

Result<Funnel> ComputeFunnel(const engine::Snapshot& snapshot, const Period& period, const ::Roaring* segment) {
  if (period.to <= period.from) return InvalidArgument("period: it ends before it starts");
  internal::CustomerActivity a(snapshot);
  Funnel f;
  f.period = period;
  CountFunnel(a, period, segment, &f.leads, &f.mql, &f.sql, &f.customers);
  CountFunnel(a, period.Previous(), segment, &f.previous_leads, &f.previous_mql, &f.previous_sql,
              &f.previous_customers);
  return f;
}

Table FunnelTable(const Funnel& f) {
  Table t{"funnel", {"stage", "customers", "conversion_from_previous_stage", "previous_period", "previous_conversion"},
          {}};
  auto rate = [](int64_t part, int64_t whole) -> std::string {
    if (whole <= 0) return "";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4f", static_cast<double>(part) / static_cast<double>(whole));
    return buf;
  };
  t.rows.push_back({"lead", std::to_string(f.leads), "", std::to_string(f.previous_leads), ""});
  t.rows.push_back({"mql", std::to_string(f.mql), rate(f.mql, f.leads), std::to_string(f.previous_mql),
                    rate(f.previous_mql, f.previous_leads)});
  t.rows.push_back({"sql", std::to_string(f.sql), rate(f.sql, f.mql), std::to_string(f.previous_sql),
                    rate(f.previous_sql, f.previous_mql)});
  t.rows.push_back({"customer", std::to_string(f.customers), rate(f.customers, f.sql),
                    std::to_string(f.previous_customers), rate(f.previous_customers, f.previous_sql)});
  return t;
}

}  // namespace patron::report
