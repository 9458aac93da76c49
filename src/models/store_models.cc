// Fitting and scoring against the store: orders in, model_fits and
// customer_traits out.
#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_map>
#include <vector>

#include "models/models.h"

namespace patron::models {

namespace {

constexpr int64_t kMicrosPerDay = 86'400'000'000;
constexpr double kDaysPerWeek = 7;

int64_t DayOf(int64_t micros) {
  return micros >= 0 ? micros / kMicrosPerDay : -((-micros + kMicrosPerDay - 1) / kMicrosPerDay);
}

// What the models need to know about one customer with purchases.
struct Buyer {
  int64_t customer_id = 0;
  CustomerHistory history;  // in weeks, calibration ending with `until`
  int currency = 0;         // index into BuyerTable::currencies
  int64_t last_purchase_at = 0;
  int64_t last_day = 0;
  int64_t orders_in_window = 0;
  double spend_in_window = 0;
  double total_value = 0;
};

struct BuyerTable {
  std::vector<Buyer> buyers;  // by customer id
  std::vector<std::string> currencies;
};

// Streams every purchase up to the end of `until` once, customer by customer.
Result<BuyerTable> ReadBuyers(Database& db, CivilDate until, int window_days) {
  const int64_t end_day = until.ToDays();
  const int64_t window_start_day = end_day - window_days + 1;
  Statement& purchases = db.Query("models-purchases-before");
  purchases.Bind(":before", (end_day + 1) * kMicrosPerDay);
  BuyerTable table;
  std::map<std::string, int, std::less<>> currency_index;
  HistoryAccumulator history(end_day, kDaysPerWeek);
  Buyer current;
  auto flush = [&] {
    if (history.empty()) return;
    current.history = history.history();
    current.last_day = history.last_day();
    table.buyers.push_back(current);
    history.Reset();
  };
  while (true) {
    ASSIGN_OR_RETURN(bool row, purchases.Step());
    if (!row) break;
    const int64_t customer_id = purchases.Int(0);
    const int64_t at = purchases.Int(1);
    const double value = static_cast<double>(purchases.Int(2));
    if (history.empty() || customer_id != current.customer_id) {
      flush();
      current = Buyer{};
      current.customer_id = customer_id;
    }
    std::string_view currency = purchases.Text(3);
    auto it = currency_index.find(currency);
    if (it == currency_index.end()) {
      it = currency_index.emplace(std::string(currency), static_cast<int>(table.currencies.size()))
               .first;
      table.currencies.emplace_back(currency);
    }
    current.currency = it->second;  // the latest order's currency
    const int64_t day = DayOf(at);
    history.Add(day, value);
    current.last_purchase_at = at;
    current.total_value += value;
    if (day >= window_start_day) {
      ++current.orders_in_window;
      current.spend_in_window += value;
    }
  }
  flush();
  purchases.Reset();
  return table;
}

// Every customer's activity (orders and events) as hours of the week, in one
// flat array: customer i's hours are hours[offsets[i] .. offsets[i+1]).
struct ActivityTable {
  std::vector<int64_t> customer_ids;  // ascending
  std::vector<bool> has_events;
  std::vector<double> lead_points;  // decayed behaviour points of the customer's events
  std::vector<size_t> offsets{0};
  std::vector<uint8_t> hours;
  std::vector<double> population_share = std::vector<double>(kHoursPerWeek, 1.0 / kHoursPerWeek);
};

Result<ActivityTable> ReadActivity(Database& db, int64_t before_micros,
                                   const LeadScoringOptions& lead_scoring) {
  Statement& events = db.Query("models-event-times-before");
  Statement& orders = db.Query("models-order-times-before");
  events.Bind(":before", before_micros);
  orders.Bind(":before", before_micros);
  ActivityTable table;
  ASSIGN_OR_RETURN(bool event_row, events.Step());
  ASSIGN_OR_RETURN(bool order_row, orders.Step());
  std::vector<int64_t> population(kHoursPerWeek, 0);
  while (event_row || order_row) {
    // The next customer in id order among both streams; then all their rows.
    int64_t id = event_row ? events.Int(0) : orders.Int(0);
    if (order_row && orders.Int(0) < id) id = orders.Int(0);
    bool has_events = false;
    double lead_points = 0;
    while (event_row && events.Int(0) == id) {
      has_events = true;
      const double age_days = static_cast<double>(before_micros - events.Int(1)) / kMicrosPerDay;
      lead_points += LeadEventPoints(lead_scoring, events.Text(2), age_days);
      table.hours.push_back(static_cast<uint8_t>(HourOfWeekUtc(Instant{events.Int(1)})));
      ASSIGN_OR_RETURN(event_row, events.Step());
    }
    while (order_row && orders.Int(0) == id) {
      table.hours.push_back(static_cast<uint8_t>(HourOfWeekUtc(Instant{orders.Int(1)})));
      ASSIGN_OR_RETURN(order_row, orders.Step());
    }
    table.customer_ids.push_back(id);
    table.has_events.push_back(has_events);
    table.lead_points.push_back(lead_points);
    table.offsets.push_back(table.hours.size());
  }
  events.Reset();
  orders.Reset();
  for (uint8_t h : table.hours) ++population[h];
  if (!table.hours.empty()) {
    for (int h = 0; h < kHoursPerWeek; ++h) {
      table.population_share[h] =
          static_cast<double>(population[h]) / static_cast<double>(table.hours.size());
    }
  }
  return table;
}

// Products as dense item indices for the recommender.
struct Catalog {
  std::vector<int64_t> product_ids;  // ascending; index = item
  std::vector<std::string> skus;
  int32_t ItemOf(int64_t product_id) const {
    auto it = std::lower_bound(product_ids.begin(), product_ids.end(), product_id);
    return it != product_ids.end() && *it == product_id
               ? static_cast<int32_t>(it - product_ids.begin())
               : -1;
  }
};

Result<Catalog> ReadCatalog(Database& db) {
  Catalog catalog;
  Statement& q = db.Query("models-products");
  while (true) {
    ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    catalog.product_ids.push_back(q.Int(0));
    catalog.skus.push_back(q.String(1));
  }
  q.Reset();
  return catalog;
}

// Best channel inputs: messages sent and clicked per customer and channel, the
// population's rates, and who is reachable where.
struct ChannelTable {
  std::unordered_map<int64_t, std::array<ChannelCounts, kChannelCount>> counts;
  std::unordered_map<int64_t, std::array<bool, kChannelCount>> reachable;
  std::array<ChannelCounts, kChannelCount> population{};
  std::array<double, kChannelCount> population_rate{};  // -1 without any message
};

Result<ChannelTable> ReadChannels(Database& db, int64_t before_micros, int64_t fresh_since_micros) {
  ChannelTable table;
  Statement& messages = db.Query("models-message-events-before");
  messages.Bind(":before", before_micros);
  while (true) {
    ASSIGN_OR_RETURN(bool row, messages.Step());
    if (!row) break;
    if (messages.IsNull(2)) continue;
    const int channel = ChannelIndex(messages.Text(2));
    if (channel < 0) continue;
    ChannelCounts& own = table.counts[messages.Int(0)][channel];
    (messages.Int(1) != 0 ? own.responded : own.sent) += 1;
  }
  messages.Reset();
  for (auto& [customer, channels] : table.counts) {
    for (int c = 0; c < kChannelCount; ++c) {
      // A click on a message the data does not show being sent still shows interest,
      // but a rate cannot exceed 1: clicks count up to the messages sent.
      channels[c].responded = std::min(channels[c].responded, channels[c].sent);
      table.population[c].sent += channels[c].sent;
      table.population[c].responded += channels[c].responded;
    }
  }
  for (int c = 0; c < kChannelCount; ++c) {
    table.population_rate[c] =
        table.population[c].sent > 0 ? static_cast<double>(table.population[c].responded) /
                                           static_cast<double>(table.population[c].sent)
                                     : -1;
  }
  Statement& reachable = db.Query("models-reachable-channels");
  reachable.Bind(":fresh_since", fresh_since_micros);
  while (true) {
    ASSIGN_OR_RETURN(bool row, reachable.Step());
    if (!row) break;
    const int channel = ChannelIndex(reachable.Text(1));
    if (channel >= 0) table.reachable[reachable.Int(0)][channel] = true;
  }
  reachable.Reset();
  return table;
}

// Customer -> distinct items with their strongest signal (purchase 1, view
// `view_weight`) in [from, before). Purchases only when view_weight is 0.
using ItemHistories = std::unordered_map<int64_t, std::vector<WeightedItem>>;

Result<ItemHistories> ReadItemHistories(Database& db, const Catalog& catalog, int64_t from,
                                        int64_t before, float view_weight) {
  ItemHistories histories;
  auto read = [&](std::string_view query, float weight) -> Status {
    Statement& q = db.Query(query);
    q.Bind(":from", from).Bind(":before", before);
    while (true) {
      ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      const int32_t item = catalog.ItemOf(q.Int(1));
      if (item >= 0) histories[q.Int(0)].push_back({item, weight});
    }
    q.Reset();
    return Status::Ok();
  };
  RETURN_IF_ERROR(read("models-product-purchases-between", 1));
  if (view_weight > 0) RETURN_IF_ERROR(read("models-product-views-between", view_weight));
  for (auto& [customer, items] : histories) {
    std::sort(items.begin(), items.end(), [](const WeightedItem& l, const WeightedItem& r) {
      return l.item != r.item ? l.item < r.item : l.weight > r.weight;
    });
    items.erase(
        std::unique(items.begin(), items.end(),
                    [](const WeightedItem& l, const WeightedItem& r) { return l.item == r.item; }),
        items.end());
  }
  return histories;
}

ItemSimilarity BuildRecommender(const ItemHistories& histories, int32_t item_count,
                                const RecommendationOptions& options) {
  std::vector<std::vector<WeightedItem>> lists;
  lists.reserve(histories.size());
  for (const auto& [customer, items] : histories) lists.push_back(items);
  return ItemSimilarity::Build(lists, item_count, options.similarity);
}

std::string BgNbdJson(const BgNbdParams& p) {
  return nlohmann::json{{"r", p.r}, {"alpha", p.alpha}, {"a", p.a}, {"b", p.b}}.dump();
}
std::string GammaGammaJson(const GammaGammaParams& p) {
  return nlohmann::json{{"p", p.p}, {"q", p.q}, {"v", p.v}}.dump();
}

Status InsertFit(Database& db, std::string_view model, std::string_view currency, Instant fitted_at,
                 CivilDate until, int customers, const std::string& params, double log_likelihood) {
  Statement& insert = db.Query("models-insert-fit");
  insert.Bind(":model", model)
      .BindOptional(":currency", currency)
      .Bind(":fitted_at", fitted_at.micros);
  insert.Bind(":until", until.ToString()).Bind(":customers", static_cast<int64_t>(customers));
  insert.Bind(":params", params).Bind(":log_likelihood", log_likelihood);
  return insert.Run();
}

Result<CivilDate> ParseDate(std::string_view text) {
  ASSIGN_OR_RETURN(Instant at, ParseInstant(text));
  return CivilDate::FromDays(DayOf(at.micros));
}

void BindFinite(Statement& statement, const char* name, double value, bool round = false) {
  if (!std::isfinite(value) || std::abs(value) > 9e15) {
    statement.BindNull(name);
  } else if (round) {
    statement.Bind(name, static_cast<int64_t>(std::llround(value)));
  } else {
    statement.Bind(name, value);
  }
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

Result<ClvFitReport> FitClv(Database& db, const ModelRunOptions& options, const Clock& clock) {
  const auto start = std::chrono::steady_clock::now();
  if (!options.until.IsValid()) return InvalidArgument("--until is not a valid date");
  ASSIGN_OR_RETURN(BuyerTable table, ReadBuyers(db, options.until, options.rfm_window_days));
  if (table.buyers.empty()) {
    return FailedPrecondition("no purchases up to " + options.until.ToString() +
                              ": nothing to fit");
  }
  ClvFitReport report;
  report.until = options.until;
  report.customers_with_orders = static_cast<int64_t>(table.buyers.size());
  std::vector<CustomerHistory> histories;
  histories.reserve(table.buyers.size());
  for (const auto& b : table.buyers) histories.push_back(b.history);
  ASSIGN_OR_RETURN(report.purchases, FitBgNbd(histories, options.fit));

  // Spend is fitted per currency: amounts in different currencies are not comparable.
  std::vector<std::vector<CustomerHistory>> by_currency(table.currencies.size());
  for (const auto& b : table.buyers) by_currency[b.currency].push_back(b.history);
  for (size_t c = 0; c < by_currency.size(); ++c) {
    int informative = 0;
    for (const auto& h : by_currency[c]) informative += h.frequency > 0 && h.mean_repeat_value > 0;
    if (informative < options.min_spend_fit_customers) continue;
    auto fit = FitGammaGamma(by_currency[c], options.fit);
    if (!fit.ok()) continue;  // this currency falls back to each customer's own mean
    report.spend.push_back({table.currencies[c], *fit});
  }

  const Instant now = clock.Now();
  Transaction tx(db);
  RETURN_IF_ERROR(tx.Begin());
  RETURN_IF_ERROR(InsertFit(db, "bgnbd", "", now, options.until, report.purchases.customers,
                            BgNbdJson(report.purchases.params), report.purchases.log_likelihood));
  for (const auto& s : report.spend) {
    RETURN_IF_ERROR(InsertFit(db, "gamma_gamma", s.currency, now, options.until, s.fit.customers,
                              GammaGammaJson(s.fit.params), s.fit.log_likelihood));
  }
  RETURN_IF_ERROR(tx.Commit());
  report.seconds = SecondsSince(start);
  return report;
}

Result<HoldoutReport> CheckClvHoldout(Database& db, CivilDate until, int holdout_weeks,
                                      const FitOptions& options) {
  if (!until.IsValid()) return InvalidArgument("--until is not a valid date");
  if (holdout_weeks < 1) return InvalidArgument("the holdout must be at least one week");
  ASSIGN_OR_RETURN(BuyerTable calibration, ReadBuyers(db, until, 1));
  if (calibration.buyers.empty())
    return FailedPrecondition("no purchases up to " + until.ToString());
  const CivilDate holdout_end = CivilDate::FromDays(until.ToDays() + int64_t{7} * holdout_weeks);
  ASSIGN_OR_RETURN(BuyerTable through_holdout, ReadBuyers(db, holdout_end, 1));
  std::vector<CustomerHistory> histories;
  std::vector<int> holdout;
  size_t later = 0;
  for (const Buyer& b : calibration.buyers) {
    // Every calibration buyer is also a buyer through the holdout (a superset of the same orders).
    while (later < through_holdout.buyers.size() &&
           through_holdout.buyers[later].customer_id < b.customer_id)
      ++later;
    if (later == through_holdout.buyers.size() ||
        through_holdout.buyers[later].customer_id != b.customer_id) {
      return Internal("orders changed while checking the CLV forecast; run the check again");
    }
    histories.push_back(b.history);
    holdout.push_back(through_holdout.buyers[later].history.frequency - b.history.frequency);
  }
  ASSIGN_OR_RETURN(BgNbdFit fit, FitBgNbd(histories, options));
  return CompareHoldout(fit.params, histories, holdout, holdout_weeks);
}

Result<std::optional<ClvFitReport>> LatestClvFit(Database& db) {
  Statement& q = db.Query("models-latest-fits");
  std::optional<ClvFitReport> report;
  while (true) {
    ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    if (!report) report.emplace();
    const std::string model = q.String(0);
    auto params = nlohmann::json::parse(q.Text(4), nullptr, /*allow_exceptions=*/false);
    if (params.is_discarded() || !params.is_object()) {
      q.Reset();
      return DataLoss("model_fits holds unreadable parameters for " + model);
    }
    ASSIGN_OR_RETURN(report->until, ParseDate(q.Text(2)));
    auto number = [&](const char* key) { return params.value(key, 0.0); };
    if (model == "bgnbd") {
      report->purchases.params = {number("r"), number("alpha"), number("a"), number("b")};
      report->purchases.customers = static_cast<int>(q.Int(3));
      report->purchases.log_likelihood = q.Double(5);
    } else {
      SpendFit s;
      s.currency = q.String(1);
      s.fit.params = {number("p"), number("q"), number("v")};
      s.fit.customers = static_cast<int>(q.Int(3));
      s.fit.log_likelihood = q.Double(5);
      report->spend.push_back(std::move(s));
    }
  }
  q.Reset();
  return report;
}

namespace {

// Where the store is: its engine generation and largest ids.
struct StorePosition {
  int64_t generation = 0, max_customer_id = 0, max_order_id = 0, max_event_id = 0;
};

Result<StorePosition> ReadStorePosition(Database& db) {
  StorePosition p;
  Statement& q = db.Query("models-store-position");
  ASSIGN_OR_RETURN(bool row, q.Step());
  if (row) {
    p.generation = q.Int(0);
    p.max_customer_id = q.Int(1);
    p.max_order_id = q.Int(2);
    p.max_event_id = q.Int(3);
  }
  q.Reset();
  return p;
}

// The settings that change the traits, as recorded with every scoring.
std::string ScoreSettings(const ModelRunOptions& o) {
  return nlohmann::json{{"rfm_window_days", o.rfm_window_days},
                        {"discount_rate", o.clv.annual_discount_rate},
                        {"freshness_days", o.freshness_days},
                        {"recommendations", o.recommendations.count},
                        {"channel_prior", o.channels.prior_messages}}
      .dump();
}

// The customers to rescore incrementally (ascending), or nullopt for everyone:
// no earlier scoring, or one with another date or other settings.
Result<std::optional<std::vector<int64_t>>> ChangedCustomers(Database& db, const ModelRunOptions& o,
                                                             bool* nothing_changed) {
  *nothing_changed = false;
  Statement& last = db.Query("models-last-score-run");
  ASSIGN_OR_RETURN(bool row, last.Step());
  if (!row || last.Text(0) != o.until.ToString() || last.Text(1) != ScoreSettings(o)) {
    last.Reset();
    return std::optional<std::vector<int64_t>>();
  }
  const int64_t customer = last.Int(2), order = last.Int(3), event = last.Int(4),
                generation = last.Int(5);
  last.Reset();
  ASSIGN_OR_RETURN(StorePosition now, ReadStorePosition(db));
  std::vector<int64_t> changed;
  if (now.generation == generation) {
    *nothing_changed = true;  // not a single write since that scoring
    return std::optional<std::vector<int64_t>>(std::move(changed));
  }
  Statement& q = db.Query("models-changed-customers");
  q.Bind(":customer", customer).Bind(":order", order).Bind(":event", event);
  while (true) {
    ASSIGN_OR_RETURN(bool more, q.Step());
    if (!more) break;
    changed.push_back(q.Int(0));
  }
  q.Reset();
  return std::optional<std::vector<int64_t>>(std::move(changed));
}

}  // namespace

Result<ScoreReport> ScoreCustomers(Database& db, const ModelRunOptions& options,
                                   const Clock& clock) {
  const auto start = std::chrono::steady_clock::now();
  if (!options.until.IsValid()) return InvalidArgument("the scoring date is not a valid date");
  ScoreReport report;
  std::optional<std::vector<int64_t>> only;  // incremental: the customers to rescore
  if (options.incremental) {
    bool nothing_changed = false;
    ASSIGN_OR_RETURN(only, ChangedCustomers(db, options, &nothing_changed));
    report.incremental = only.has_value();
    if (nothing_changed) {
      ASSIGN_OR_RETURN(report.unchanged, db.QueryInt("SELECT count(*) FROM customer_traits"));
      report.used_stored_fit = true;
      report.seconds = SecondsSince(start);
      return report;
    }
  }
  ASSIGN_OR_RETURN(std::optional<ClvFitReport> fit, LatestClvFit(db));
  report.used_stored_fit = fit.has_value();
  if (!fit) {
    auto fresh = FitClv(db, options, clock);
    // Without any purchases there is nothing to fit; RFM and lifecycle still apply.
    if (fresh.ok()) {
      fit = std::move(*fresh);
    } else if (fresh.status().code() != StatusCode::kFailedPrecondition) {
      return fresh.status();
    }
  }
  ASSIGN_OR_RETURN(BuyerTable table, ReadBuyers(db, options.until, options.rfm_window_days));
  const int64_t end_day = options.until.ToDays();

  std::vector<RfmInput> rfm_inputs;
  rfm_inputs.reserve(table.buyers.size());
  for (const auto& b : table.buyers)
    rfm_inputs.push_back({end_day - b.last_day, b.orders_in_window, b.spend_in_window});
  std::vector<RfmScore> rfm = ScoreRfm(rfm_inputs);
  {
    // Spend in different currencies is not comparable (a rial is not a euro):
    // the monetary quintile ranks a customer among those of the same currency.
    std::vector<std::vector<size_t>> by_currency(table.currencies.size());
    for (size_t i = 0; i < table.buyers.size(); ++i)
      by_currency[table.buyers[i].currency].push_back(i);
    std::vector<RfmInput> group;
    for (const auto& members : by_currency) {
      group.clear();
      for (size_t i : members) group.push_back(rfm_inputs[i]);
      const std::vector<RfmScore> scores = ScoreRfm(group);
      for (size_t j = 0; j < members.size(); ++j) rfm[members[j]].monetary = scores[j].monetary;
    }
  }

  // Spend model per currency index, when one was fitted with q > 1.
  std::vector<std::optional<GammaGammaParams>> spend(table.currencies.size());
  if (fit) {
    for (const auto& s : fit->spend) {
      auto it = std::find(table.currencies.begin(), table.currencies.end(), s.currency);
      if (it != table.currencies.end() && s.fit.params.q > 1)
        spend[it - table.currencies.begin()] = s.fit.params;
    }
  }

  ASSIGN_OR_RETURN(ActivityTable activity,
                   ReadActivity(db, (end_day + 1) * kMicrosPerDay, options.lead_scoring));
  std::vector<int64_t> account_members;
  {
    Statement& q = db.Query("models-account-members");
    while (true) {
      ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      account_members.push_back(q.Int(0));
    }
    q.Reset();
  }
  size_t member = 0;
  std::map<std::string, int64_t> lead_counts;
  ASSIGN_OR_RETURN(Catalog catalog, ReadCatalog(db));
  ASSIGN_OR_RETURN(
      ItemHistories item_histories,
      ReadItemHistories(db, catalog, std::numeric_limits<int64_t>::min(),
                        (end_day + 1) * kMicrosPerDay, options.recommendations.view_weight));
  const ItemSimilarity recommender = BuildRecommender(
      item_histories, static_cast<int32_t>(catalog.product_ids.size()), options.recommendations);
  ASSIGN_OR_RETURN(PropensityReport propensity,
                   FitPropensity(db, options.until, options.propensity, /*score_customers=*/true));
  ASSIGN_OR_RETURN(ChannelTable channels,
                   ReadChannels(db, (end_day + 1) * kMicrosPerDay,
                                (end_day + 1) * kMicrosPerDay - options.freshness_days * kMicrosPerDay));
  std::map<std::string, int64_t, std::less<>> category_ids;  // slug -> id
  {
    Statement& q = db.Query("models-categories");
    while (true) {
      ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      category_ids.emplace(q.String(1), q.Int(0));
    }
    q.Reset();
  }
  std::vector<int64_t> propensity_category_ids;  // per propensity.categories; -1 when unknown
  for (const auto& c : propensity.categories) {
    auto it = category_ids.find(c.category);
    propensity_category_ids.push_back(it == category_ids.end() ? -1 : it->second);
  }
  size_t scored = 0;  // cursor into propensity.scores, which is by customer id
  std::vector<int64_t> customers;
  {
    Statement& q = db.Query("models-customers");
    while (true) {
      ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      customers.push_back(q.Int(0));
    }
    q.Reset();
  }

  std::map<std::string, int64_t> rfm_counts, stage_counts, channel_counts;
  const int64_t computed_at = clock.Now().micros;
  Transaction tx(db);
  RETURN_IF_ERROR(tx.Begin());
  if (!only) {
    RETURN_IF_ERROR(db.Query("models-clear-traits").Run());
    RETURN_IF_ERROR(db.Query("models-clear-recommendations").Run());
    RETURN_IF_ERROR(db.Query("models-clear-propensity").Run());
  } else {
    for (int64_t id : *only) {
      for (const char* name : {"models-delete-customer-traits", "models-delete-customer-recommendations",
                               "models-delete-customer-propensity"}) {
        RETURN_IF_ERROR(db.Query(name).Bind(":customer_id", id).Run());
      }
    }
  }
  size_t next_changed = 0;  // cursor into *only
  Statement& insert = db.Query("models-insert-traits");
  Statement& insert_recommendation = db.Query("models-insert-recommendation");
  Statement& insert_propensity = db.Query("models-insert-propensity");
  size_t buyer = 0, active = 0;
  int counts[kHoursPerWeek];
  for (int64_t id : customers) {
    if (only) {
      while (next_changed < only->size() && (*only)[next_changed] < id) ++next_changed;
      if (next_changed == only->size() || (*only)[next_changed] != id) {
        ++report.unchanged;
        continue;
      }
    }
    while (buyer < table.buyers.size() && table.buyers[buyer].customer_id < id) ++buyer;
    while (active < activity.customer_ids.size() && activity.customer_ids[active] < id) ++active;
    LifecycleInput life;
    insert.Bind(":customer_id", id).Bind(":computed_at", computed_at);
    if (active < activity.customer_ids.size() && activity.customer_ids[active] == id) {
      life.has_events = activity.has_events[active];
      std::fill(std::begin(counts), std::end(counts), 0);
      for (size_t k = activity.offsets[active]; k < activity.offsets[active + 1]; ++k)
        ++counts[activity.hours[k]];
      insert.Bind(":best_send_hour",
                  int64_t{BestSendHour(counts, activity.population_share, options.send_time)});
    } else {
      insert.BindNull(":best_send_hour");
    }
    if (buyer < table.buyers.size() && table.buyers[buyer].customer_id == id) {
      const Buyer& b = table.buyers[buyer];
      const RfmScore& score = rfm[buyer];
      const std::string_view segment = RfmSegment(score);
      ++rfm_counts[std::string(segment)];
      insert.Bind(":rfm_r", int64_t{score.recency}).Bind(":rfm_f", int64_t{score.frequency});
      insert.Bind(":rfm_m", int64_t{score.monetary}).Bind(":rfm_segment", segment);
      insert.Bind(":purchase_days", int64_t{b.history.frequency + 1})
          .Bind(":last_purchase_at", b.last_purchase_at);
      insert.BindOptional(":currency", table.currencies[b.currency]);
      life.purchase_days = b.history.frequency + 1;
      life.orders_in_window = b.orders_in_window;
      life.days_since_last_order = end_day - b.last_day;
      if (fit) {
        const BgNbdParams& p = fit->purchases.params;
        const double alive = BgNbdProbabilityAlive(p, b.history);
        const double order_value = spend[b.currency]
                                       ? GammaGammaExpectedSpend(*spend[b.currency], b.history)
                                       : b.total_value / (b.history.frequency + 1);
        double expected = 0;  // over the CLV horizon (52 weeks)
        const double clv = DiscountedClv(p, b.history, order_value, options.clv, &expected);
        life.churn_risk = 1 - alive;
        insert.Bind(":p_alive", alive).Bind(":churn_risk", 1 - alive);
        // The 2F1 series gives up (NaN) only for extreme parameters and brand-new
        // customers; such a trait is left unknown rather than stored wrong.
        BindFinite(insert, ":expected_purchases_12m", expected);
        BindFinite(insert, ":expected_order_value_minor", order_value, /*round=*/true);
        BindFinite(insert, ":clv_12m_minor", clv, /*round=*/true);
      } else {
        for (const char* name : {":p_alive", ":churn_risk", ":expected_purchases_12m",
                                 ":expected_order_value_minor", ":clv_12m_minor"}) {
          insert.BindNull(name);
        }
      }
      ++report.buyers;
      insert.BindNull(":lead_score").BindNull(":lead_stage");
    } else {
      // Not a buyer yet: a lead, scored on behaviour and fit.
      while (member < account_members.size() && account_members[member] < id) ++member;
      double lead_score = life.has_events ? activity.lead_points[active] : 0;
      if (member < account_members.size() && account_members[member] == id) {
        lead_score += options.lead_scoring.account_member_points;
      }
      const std::string_view lead_stage = LeadStage(options.lead_scoring, lead_score);
      ++lead_counts[std::string(lead_stage)];
      insert.Bind(":lead_score", std::round(lead_score * 100) / 100)
          .Bind(":lead_stage", lead_stage);
      for (const char* name : {":rfm_r", ":rfm_f", ":rfm_m", ":rfm_segment", ":last_purchase_at",
                               ":currency", ":p_alive", ":churn_risk", ":expected_purchases_12m",
                               ":expected_order_value_minor", ":clv_12m_minor"}) {
        insert.BindNull(name);
      }
      insert.Bind(":purchase_days", int64_t{0});
    }
    if (auto it = item_histories.find(id); it != item_histories.end()) {
      nlohmann::json skus = nlohmann::json::array();
      int64_t rank = 0;
      for (int32_t item : recommender.Recommend(it->second, options.recommendations.count)) {
        skus.push_back(catalog.skus[item]);
        insert_recommendation.Bind(":customer_id", id).Bind(":rank", ++rank);
        insert_recommendation.Bind(":product_id", catalog.product_ids[item]);
        RETURN_IF_ERROR(insert_recommendation.Run());
      }
      insert.Bind(":recommended_products", skus.dump());
    } else {
      insert.BindNull(":recommended_products");
    }
    while (scored < propensity.scores.size() && propensity.scores[scored].first < id) ++scored;
    if (scored < propensity.scores.size() && propensity.scores[scored].first == id) {
      nlohmann::json by_category = nlohmann::json::object();
      for (size_t c = 0; c < propensity.categories.size(); ++c) {
        // Four significant digits: the models are not more precise than that.
        const double p = std::round(propensity.scores[scored].second[c] * 1e4) / 1e4;
        by_category[propensity.categories[c].category] = p;
        if (propensity_category_ids[c] < 0 || !std::isfinite(p)) continue;
        insert_propensity.Bind(":customer_id", id).Bind(":category_id", propensity_category_ids[c]);
        insert_propensity.Bind(":p_30d", std::clamp(p, 0.0, 1.0));
        RETURN_IF_ERROR(insert_propensity.Run());
      }
      insert.Bind(":category_propensity_30d", by_category.dump());
    } else {
      insert.BindNull(":category_propensity_30d");
    }
    {
      static const std::array<ChannelCounts, kChannelCount> kNone{};
      static const std::array<bool, kChannelCount> kUnreachable{};
      auto counts_it = channels.counts.find(id);
      auto reach_it = channels.reachable.find(id);
      const auto& own = counts_it != channels.counts.end() ? counts_it->second : kNone;
      const auto& reach = reach_it != channels.reachable.end() ? reach_it->second : kUnreachable;
      const int best = BestChannel(own, channels.population_rate, reach, options.channels);
      if (best >= 0) {
        insert.Bind(":best_channel", kChannels[best]);
        ++channel_counts[std::string(kChannels[best])];
      } else {
        insert.BindNull(":best_channel");
      }
      if (counts_it != channels.counts.end()) {
        nlohmann::json rates = nlohmann::json::object();
        for (int c = 0; c < kChannelCount; ++c) {
          if (channels.population_rate[c] < 0) continue;
          rates[std::string(kChannels[c])] =
              std::round(SmoothedResponseRate(own[c], channels.population_rate[c], options.channels) *
                         1e4) /
              1e4;
        }
        insert.Bind(":channel_response_rates", rates.dump());
      } else {
        insert.BindNull(":channel_response_rates");
      }
    }
    const std::string_view stage = LifecycleStage(life, options.lifecycle);
    ++stage_counts[std::string(stage)];
    insert.Bind(":lifecycle_stage", stage);
    RETURN_IF_ERROR(insert.Run());
    ++report.customers;
  }
  RETURN_IF_ERROR(NoteEngineInputsChanged(db));  // segments read the traits
  {
    ASSIGN_OR_RETURN(StorePosition position, ReadStorePosition(db));
    Statement& run = db.Query("models-insert-score-run");
    run.Bind(":scored_at", computed_at).Bind(":as_of", options.until.ToString());
    run.Bind(":options", ScoreSettings(options)).Bind(":incremental", int64_t{only ? 1 : 0});
    run.Bind(":customers", report.customers).Bind(":max_customer_id", position.max_customer_id);
    run.Bind(":max_order_id", position.max_order_id).Bind(":max_event_id", position.max_event_id);
    run.Bind(":generation", position.generation);
    RETURN_IF_ERROR(run.Run());
  }
  RETURN_IF_ERROR(tx.Commit());
  report.rfm_segments.assign(rfm_counts.begin(), rfm_counts.end());
  report.lifecycle_stages.assign(stage_counts.begin(), stage_counts.end());
  report.lead_stages.assign(lead_counts.begin(), lead_counts.end());
  report.best_channels.assign(channel_counts.begin(), channel_counts.end());
  for (int c = 0; c < kChannelCount; ++c) {
    if (channels.population[c].sent == 0) continue;
    report.channel_rates.push_back({std::string(kChannels[c]), channels.population[c].sent,
                                    channels.population[c].responded});
  }
  report.seconds = SecondsSince(start);
  return report;
}

Result<RecommendationQuality> EvaluateStoredRecommendations(Database& db, CivilDate split,
                                                            int days_after,
                                                            const RecommendationOptions& options) {
  if (!split.IsValid()) return InvalidArgument("the split date is not a valid date");
  if (days_after < 1) return InvalidArgument("the evaluation period must be at least one day");
  const int64_t split_micros = split.ToDays() * kMicrosPerDay;
  ASSIGN_OR_RETURN(Catalog catalog, ReadCatalog(db));
  ASSIGN_OR_RETURN(ItemHistories before,
                   ReadItemHistories(db, catalog, std::numeric_limits<int64_t>::min(), split_micros,
                                     options.view_weight));
  ASSIGN_OR_RETURN(
      ItemHistories later,
      ReadItemHistories(db, catalog, split_micros, split_micros + days_after * kMicrosPerDay, 0));
  const ItemSimilarity model =
      BuildRecommender(before, static_cast<int32_t>(catalog.product_ids.size()), options);
  std::vector<std::vector<WeightedItem>> histories;
  std::vector<std::vector<int32_t>> bought;
  for (const auto& [customer, items] : later) {
    auto it = before.find(customer);
    if (it == before.end()) continue;
    histories.push_back(it->second);
    bought.emplace_back();
    for (const auto& w : items) bought.back().push_back(w.item);
  }
  return EvaluateRecommendations(model, histories, bought, options.count);
}

}  // namespace patron::models
