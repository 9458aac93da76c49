// Patron models: who will buy, how much, and who is slipping away.
//
//   * BG/NBD (Fader, Hardie & Lee 2005, "Counting Your Customers the Easy Way")
//     for repeat-purchase counts: expected purchases in a horizon and P(alive).
//   * Gamma-Gamma (Fader & Hardie 2013, "The Gamma-Gamma Model of Monetary
//     Value") for the value of a customer's future transactions.
//   * Discounted 12-month customer lifetime value from the two together.
//   * RFM quintile scores with named groups, and lifecycle stages.
//   * Store integration: fit on the orders up to a date and score every customer
//     into the `customer_traits` table (migration 0004_models.sql).
//
// Units: the model functions work in whatever time unit the histories use
// (CDNOW's published fits use weeks); the store integration uses weeks and one
// "transaction" per customer per UTC day with an order, as the paper does.
//
// Thread-safety: every function here is pure except those taking a Database,
// which follow store.h's rule (one thread per Database).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/core.h"
#include "store/store.h"

namespace patron::models {

// ---------------------------------------------------------------------------
// Special functions, exposed for tests and for anyone checking our numbers.
// ---------------------------------------------------------------------------

// ψ(x), the logarithmic derivative of Γ. REQUIRES: x > 0.
double Digamma(double x);

// Gauss's hypergeometric function 2F1(a, b; c; z) by its power series, summed
// until a term no longer changes the sum in double precision.
// REQUIRES: 0 <= z < 1 and c not a non-positive integer. Returns NaN when the
// series has not converged after `max_terms`.
double Hypergeometric2F1(double a, double b, double c, double z, int max_terms = 100000);

// The same series at several points at once, sharing the coefficients
// (a)_n (b)_n / ((c)_n n!) between them: what the lifetime value needs per
// customer (one point per discounting period). out[i] = 2F1(a, b; c; z[i]).
// REQUIRES: z.size() == out.size(), every 0 <= z[i] < 1.
void Hypergeometric2F1(double a, double b, double c, std::span<const double> z,
                       std::span<double> out, int max_terms = 100000);

// ---------------------------------------------------------------------------
// Purchase histories
// ---------------------------------------------------------------------------

// One customer's calibration-period summary in the papers' notation.
struct CustomerHistory {
  int frequency = 0;             // x: repeat transactions (transactions after the first)
  double recency = 0;            // t_x: time from the first to the last transaction
  double age = 0;                // T: time from the first transaction to the end of calibration
  double mean_repeat_value = 0;  // z̄: mean value of the repeat transactions (0 when x = 0)
};

// Folds a customer's dated transactions into a CustomerHistory as the papers
// define it: several transactions on one day are one transaction whose value is
// their sum; the first day is the trial, not a repeat. Feed one customer at a
// time, days ascending.
class HistoryAccumulator {
 public:
  // `end_day`: the last day of calibration (days since 1970-01-01);
  // `days_per_unit`: 7 for weeks.
  HistoryAccumulator(int64_t end_day, double days_per_unit);
  // REQUIRES: `day` >= the previous day added since Reset(); `day` <= end_day.
  void Add(int64_t day, double value);
  bool empty() const { return days_ == 0; }
  CustomerHistory history() const;
  int64_t first_day() const { return first_day_; }
  int64_t last_day() const { return last_day_; }
  int transaction_days() const { return days_; }
  void Reset();

 private:
  int64_t end_day_;
  double days_per_unit_;
  int64_t first_day_ = 0, last_day_ = 0;
  int days_ = 0;
  double current_day_value_ = 0;
  double repeat_value_sum_ = 0;
};

// ---------------------------------------------------------------------------
// BG/NBD
// ---------------------------------------------------------------------------

struct BgNbdParams {
  double r = 0, alpha = 0;  // gamma heterogeneity of the purchase rate λ
  double a = 0, b = 0;      // beta heterogeneity of the dropout probability p
};

struct FitOptions {
  int max_evaluations = 2000;
  double relative_tolerance = 1e-12;  // on the log-likelihood
};

struct BgNbdFit {
  BgNbdParams params;
  double log_likelihood = 0;  // summed over the customers, natural log
  int customers = 0;
  int evaluations = 0;
};

// One customer's log-likelihood (FHL 2005, eq. 6), computed in log space.
double BgNbdLogLikelihood(const BgNbdParams& params, const CustomerHistory& history);
double BgNbdLogLikelihood(const BgNbdParams& params, std::span<const CustomerHistory> histories);

// Maximum-likelihood fit (NLopt's L-BFGS on the logarithms of the parameters,
// with the analytic gradient). Errors: kInvalidArgument when there are no
// histories or a history is impossible (t_x > T, negative values);
// kFailedPrecondition when the optimiser does not converge.
Result<BgNbdFit> FitBgNbd(std::span<const CustomerHistory> histories,
                          const FitOptions& options = {});

// E[X(t)]: expected transactions in (0, t] of a customer who has just made the
// first purchase (FHL 2005, eq. 7). REQUIRES: a != 1.
double BgNbdExpectedPurchases(const BgNbdParams& params, double t);

// E[Y(t) | x, t_x, T]: expected transactions in the next `t` after calibration
// (FHL 2005, eq. 10). REQUIRES: a != 1.
double BgNbdConditionalExpectedPurchases(const BgNbdParams& params, const CustomerHistory& history,
                                         double t);

// P(alive | x, t_x, T) at the end of calibration (FHL 2008 note, "Computing
// P(alive) using the BG/NBD model"). A customer without repeats is alive.
double BgNbdProbabilityAlive(const BgNbdParams& params, const CustomerHistory& history);

// ---------------------------------------------------------------------------
// Gamma-Gamma spend model
// ---------------------------------------------------------------------------

struct GammaGammaParams {
  double p = 0, q = 0, v = 0;  // v is the papers' γ (gamma)
};

struct GammaGammaFit {
  GammaGammaParams params;
  double log_likelihood = 0;
  int customers = 0;  // those with x > 0 and z̄ > 0, the only ones that inform the fit
  int evaluations = 0;
};

// Fits on the customers with at least one repeat transaction of positive mean
// value. Errors: kInvalidArgument with fewer than 2 such customers;
// kFailedPrecondition when the optimiser does not converge.
Result<GammaGammaFit> FitGammaGamma(std::span<const CustomerHistory> histories,
                                    const FitOptions& options = {});
double GammaGammaLogLikelihood(const GammaGammaParams& params,
                               std::span<const CustomerHistory> histories);

// E[Z | z̄, x]: a weighted mean of the population mean p·v/(q − 1) and the
// customer's own z̄ (Fader & Hardie 2013, eq. 5). With x = 0 it is the
// population mean. REQUIRES: q > 1.
double GammaGammaExpectedSpend(const GammaGammaParams& params, const CustomerHistory& history);

// ---------------------------------------------------------------------------
// Customer lifetime value
// ---------------------------------------------------------------------------

struct ClvOptions {
  double horizon = 52;  // in the histories' time unit (weeks: 12 months)
  int periods = 12;     // discounting steps in the horizon (monthly)
  double annual_discount_rate = 0.10;
  double units_per_year = 52.1775;  // weeks per year
};

// Σ over periods i of E[purchases in period i] · E[spend] / (1 + d)^i, where d
// is the per-period rate equivalent to the annual one. In the unit of
// `expected_spend`. `expected_purchases`, when given, receives
// E[Y(horizon) | x, t_x, T], computed on the way.
// REQUIRES: 1 <= options.periods <= 1000.
double DiscountedClv(const BgNbdParams& params, const CustomerHistory& history,
                     double expected_spend, const ClvOptions& options = {},
                     double* expected_purchases = nullptr);

// ---------------------------------------------------------------------------
// Holdout check: predictions for a later period against what happened.
// ---------------------------------------------------------------------------

struct HoldoutGroup {
  int frequency = 0;  // x in calibration; the last group holds x >= this
  bool open_ended = false;
  int customers = 0;
  double actual_mean = 0;     // mean transactions in the holdout
  double predicted_mean = 0;  // mean E[Y(t) | x, t_x, T]
};

struct HoldoutReport {
  double holdout_length = 0;
  int customers = 0;
  double actual_total = 0, predicted_total = 0;
  std::vector<HoldoutGroup> groups;
};

// REQUIRES: histories.size() == holdout_transactions.size().
HoldoutReport CompareHoldout(const BgNbdParams& params, std::span<const CustomerHistory> histories,
                             std::span<const int> holdout_transactions, double holdout_length,
                             int last_group = 7);

// ---------------------------------------------------------------------------
// RFM and lifecycle
// ---------------------------------------------------------------------------

// The raw values an RFM score ranks: days since the last order (smaller is
// better), orders and spend inside the window.
struct RfmInput {
  int64_t days_since_last_order = 0;
  int64_t orders_in_window = 0;
  double spend_in_window = 0;
};

struct RfmScore {
  int recency = 0, frequency = 0, monetary = 0;  // 1..5, 5 best
};

// Quintile scores among the given customers: a customer's score is
// 1 + ⌊5 · (customers strictly worse) / n⌋, so ties share a score.
std::vector<RfmScore> ScoreRfm(std::span<const RfmInput> inputs);

// The named group of an RFM score (docs/models.md has the grid):
// "champions", "loyal", "potential_loyalists", "new", "promising",
// "need_attention", "at_risk", "cannot_lose", "hibernating", "lost".
std::string_view RfmSegment(const RfmScore& score);

struct LifecycleOptions {
  int loyal_min_orders = 4;      // orders in the RFM window that make a repeat buyer loyal
  int at_risk_after_days = 120;  // a buyer silent this long is at risk ...
  double at_risk_churn = 0.7;    // ... and so is one whose churn risk exceeds this
  int lapsed_after_days = 365;   // and lapsed after this long
};

struct LifecycleInput {
  int64_t purchase_days = 0;  // days with an order, ever (up to now)
  int64_t orders_in_window = 0;
  std::optional<int64_t> days_since_last_order;  // none without orders
  bool has_events = false;  // any recorded interaction: a lead rather than a prospect
  std::optional<double> churn_risk;
};

// "prospect", "lead", "first_time_buyer", "repeat", "loyal", "at_risk", "lapsed".
std::string_view LifecycleStage(const LifecycleInput& input, const LifecycleOptions& options = {});

// ---------------------------------------------------------------------------
// Best send time (R15)
// ---------------------------------------------------------------------------

// Hours of the week, Monday 00:00–00:59 UTC = 0 … Sunday 23:00–23:59 UTC = 167.
constexpr int kHoursPerWeek = 168;
int HourOfWeekUtc(Instant at);

struct SendTimeOptions {
  // How many activities' worth of weight the population's pattern carries:
  // a customer seen 3 times leans on the population, one seen 50 times on themself.
  double prior_strength = 4;
};

// The hour of the week at which a customer is most likely to act: their own
// activity counts per hour, each spread over the neighbouring hours (weights
// ¼, ½, ¼, because people do not act at the same minute every week), plus
// `prior_strength` times the population's share per hour; the highest wins
// (ties: the earliest hour). REQUIRES: both spans have kHoursPerWeek entries;
// `population_share` sums to 1.
int BestSendHour(std::span<const int> customer_counts, std::span<const double> population_share,
                 const SendTimeOptions& options = {});

// ---------------------------------------------------------------------------
// Best channel (R15)
// ---------------------------------------------------------------------------

// The channels, in the order ties are broken (the segment language's order).
inline constexpr std::string_view kChannels[] = {"email", "sms", "phone", "mail", "push"};
inline constexpr int kChannelCount = 5;
// Index into kChannels, or -1.
int ChannelIndex(std::string_view name);

struct ChannelCounts {
  int64_t sent = 0;       // messages sent to the customer on the channel
  int64_t responded = 0;  // of those, clicked (at most `sent`)
};

struct ChannelOptions {
  // The population's response rate weighs as much as this many of the
  // customer's own messages: the beta prior Beta(m·p, m·(1 − p)).
  double prior_messages = 10;
};

// Beta-binomial smoothing: the posterior mean response rate
// (responded + m·p) / (sent + m) under the prior Beta(m·p, m·(1 − p)), with p
// the population's rate on the channel and m = prior_messages.
double SmoothedResponseRate(const ChannelCounts& own, double population_rate,
                            const ChannelOptions& options = {});

// The channel with the highest smoothed rate among those the customer is
// reachable on (`reachable[c]`) and that have a population rate
// (`population_rate[c]` >= 0, i.e. any message was ever sent on it); ties go to
// the earlier channel in kChannels. -1 when there is none.
int BestChannel(std::span<const ChannelCounts> own, std::span<const double> population_rate,
                std::span<const bool> reachable, const ChannelOptions& options = {});

// ---------------------------------------------------------------------------
// Recommendations (R14): "customers who bought this also bought"
// ---------------------------------------------------------------------------

// An item in a customer's history with how strongly it signals interest
// (a purchase 1, a view less).
struct WeightedItem {
  int32_t item = 0;  // dense index, 0 <= item < item count
  float weight = 1;
};

struct ItemSimilarityOptions {
  int neighbours = 50;  // most similar items kept per item
  // sim(i, j) = co(i, j) / (pop(i) · pop(j))^damping: 0.5 is the cosine; more
  // damps popular items harder, so that "everyone buys chargers" does not
  // drown what is specific to an item.
  double damping = 0.5;
  int max_items_per_customer = 200;  // bounds the quadratic pair count of heavy buyers
};

// Item-to-item similarity from co-occurrence in customers' histories
// (Linden, Smith & York 2003, "Amazon.com recommendations: item-to-item
// collaborative filtering"). Immutable once built; safe to share across threads.
class ItemSimilarity {
 public:
  // Each history lists a customer's distinct items. REQUIRES: items < item_count.
  static ItemSimilarity Build(std::span<const std::vector<WeightedItem>> histories,
                              int32_t item_count, const ItemSimilarityOptions& options = {});

  // The `n` items most similar to the customer's history, best first, never one
  // in the history; filled up with the most popular items when similarity runs
  // out. `allowed`, when given, is a per-item mask (category rules).
  std::vector<int32_t> Recommend(std::span<const WeightedItem> history, int n,
                                 const std::vector<bool>* allowed = nullptr) const;

  // The `n` most popular items not in the history: the baseline.
  std::vector<int32_t> MostPopular(std::span<const WeightedItem> history, int n,
                                   const std::vector<bool>* allowed = nullptr) const;

  int32_t item_count() const { return static_cast<int32_t>(neighbours_.size()); }

 private:
  std::vector<std::vector<std::pair<int32_t, float>>> neighbours_;  // per item, most similar first
  std::vector<int32_t> by_popularity_;                              // items, most popular first
};

struct RecommendationQuality {
  int customers = 0;    // evaluated: with history before the split and new items after it
  double hit_rate = 0;  // share with at least one later item in the top n
  double ndcg = 0;      // mean NDCG@n, binary relevance
  double baseline_hit_rate = 0, baseline_ndcg = 0;  // most popular items
};

// Time-split evaluation: recommend `n` from each customer's `before` history
// and score against the items they acquired `after` that were not in `before`.
// REQUIRES: before.size() == after.size().
RecommendationQuality EvaluateRecommendations(const ItemSimilarity& model,
                                              std::span<const std::vector<WeightedItem>> before,
                                              std::span<const std::vector<int32_t>> after,
                                              int n = 10);

// ---------------------------------------------------------------------------
// Propensity to buy: L2-regularised logistic regression
// ---------------------------------------------------------------------------

struct LogisticModel {
  std::vector<double>
      weights;  // one per feature; the last feature should be a constant 1 (intercept)
  double Probability(std::span<const double> features) const;
};

// Maximum likelihood with an L2 penalty `l2` · Σ w² (intercept included) by
// L-BFGS. `features` is row-major, rows × `dimensions`. Errors:
// kInvalidArgument on mismatched sizes or no rows.
Result<LogisticModel> FitLogistic(std::span<const double> features, std::span<const uint8_t> labels,
                                  int dimensions, double l2 = 1e-4, const FitOptions& options = {});

// Reliability table: predictions sorted into `bins` groups of equal count, each
// with its mean prediction and the observed rate; calibrated when they agree.
struct ReliabilityBin {
  int count = 0;
  double mean_predicted = 0, observed_rate = 0;
};
std::vector<ReliabilityBin> Reliability(std::span<const double> predicted,
                                        std::span<const uint8_t> labels, int bins = 10);

// ---------------------------------------------------------------------------
// B2B lead scoring (R25)
// ---------------------------------------------------------------------------

// Behaviour points per event type, decaying with age, plus fit points for
// people who belong to an account. Stages for people who have not bought:
// "lead" < "mql" (marketing-qualified) < "sql" (sales-qualified).
struct LeadScoringOptions {
  std::vector<std::pair<std::string, double>> event_points = {
      {"newsletter_signup", 10}, {"contest_signup", 5},       {"survey_answered", 5},
      {"product_viewed", 2},     {"page_viewed", 1},          {"cart_abandoned", 8},
      {"call_logged", 15},       {"support_ticket_opened", 0}};
  double account_member_points = 10;  // belongs to a B2B account: fits the profile
  double half_life_days = 30;         // an event's points halve every this many days
  double mql_threshold = 20;
  double sql_threshold = 40;
};

// Points of one event `age_days` old (0 for an unlisted type).
double LeadEventPoints(const LeadScoringOptions& options, std::string_view type, double age_days);
// "lead", "mql" or "sql" for a score.
std::string_view LeadStage(const LeadScoringOptions& options, double score);

// ---------------------------------------------------------------------------
// Synthetic data, for tests and benchmarks
// ---------------------------------------------------------------------------

// Draws `customers` purchase streams from the BG/NBD story: λ ~ gamma(r, α),
// p ~ beta(a, b); the first purchase falls uniformly in [0, first_purchase_span),
// repeats follow a Poisson process of rate λ and after each repeat the customer
// drops out with probability p. Returns each customer's purchase times up to
// `end` (the first is the trial), ascending. Deterministic for a seed.
std::vector<std::vector<double>> SimulateBgNbdPurchases(const BgNbdParams& params, int customers,
                                                        double first_purchase_span, double end,
                                                        uint64_t seed);

// ---------------------------------------------------------------------------
// Store integration
// ---------------------------------------------------------------------------

struct RecommendationOptions {
  int count = 10;            // products recommended per customer
  float view_weight = 0.3f;  // a product view's weight; a purchase weighs 1
  ItemSimilarityOptions similarity;
};

struct PropensityOptions {
  int horizon_days = 30;  // "buys in the next 30 days"
  double l2 = 1e-4;
  int min_positives = 10;  // categories with fewer buyers in a period get no model
};

struct ModelRunOptions {
  // Orders up to the end of this UTC day count; later ones are ignored.
  CivilDate until;
  int rfm_window_days = 730;  // frequency and monetary count orders of the last two years
  ClvOptions clv;
  LifecycleOptions lifecycle;
  FitOptions fit;
  SendTimeOptions send_time;
  RecommendationOptions recommendations;
  PropensityOptions propensity;
  LeadScoringOptions lead_scoring;
  ChannelOptions channels;
  // best_channel: a contact point verified or seen this many days before the
  // scoring date still counts (the `reachable(CHANNEL)` rule of segments).
  int64_t freshness_days = 365;
  // ScoreCustomers: rescore only the customers created, or with orders or
  // events added, since the last scoring (by id), when that scoring had the
  // same date and settings; otherwise (and by default) score everyone.
  bool incremental = false;
  // Gamma-Gamma is fitted per currency with at least this many repeat buyers;
  // other currencies fall back to each customer's own mean order value.
  int min_spend_fit_customers = 20;
};

struct SpendFit {
  std::string currency;
  GammaGammaFit fit;
};

struct ClvFitReport {
  CivilDate until;
  BgNbdFit purchases;
  std::vector<SpendFit> spend;  // one per currency with enough repeat buyers
  int64_t customers_with_orders = 0;
  double seconds = 0;
};

// Fits BG/NBD on every customer's completed orders up to `until`, Gamma-Gamma
// per currency, and records them in `model_fits` (one row per model).
Result<ClvFitReport> FitClv(Database& db, const ModelRunOptions& options, const Clock& clock);

// The analyst's check on their own data: fits BG/NBD on purchases up to
// `until` (not stored) and compares each buyer's expected purchase days in the
// next `holdout_weeks` with what they did, by calibration frequency as in
// FHL 2005. Errors as FitClv; kInvalidArgument when holdout_weeks < 1.
Result<HoldoutReport> CheckClvHoldout(Database& db, CivilDate until, int holdout_weeks,
                                      const FitOptions& options = {});

// The latest stored fit, if any.
Result<std::optional<ClvFitReport>> LatestClvFit(Database& db);

struct ScoreReport {
  int64_t customers = 0, buyers = 0;
  std::vector<std::pair<std::string, int64_t>> rfm_segments;      // name -> customers
  std::vector<std::pair<std::string, int64_t>> lifecycle_stages;  // name -> customers
  std::vector<std::pair<std::string, int64_t>> lead_stages;       // lead, mql, sql -> non-buyers
  std::vector<std::pair<std::string, int64_t>> best_channels;     // channel -> customers
  // The population's messages and clicks per channel, for channels with any.
  struct ChannelRate {
    std::string channel;
    int64_t sent = 0, responded = 0;
  };
  std::vector<ChannelRate> channel_rates;
  double seconds = 0;
  bool used_stored_fit = false;
  // Incremental runs: `customers` and the counts above cover only the
  // customers rescored; `unchanged` kept the traits of earlier scorings.
  bool incremental = false;
  int64_t unchanged = 0;
};

// Computes every customer's traits as of the end of `options.until` and
// replaces the `customer_traits` table in one transaction. Uses the latest
// stored CLV fit, fitting first when there is none. With
// `options.incremental`, only customers whose inputs grew since the last
// scoring are rescored (with population quantities — RFM quintiles, fits,
// similarities, channel rates — from this run); changes to existing orders or
// events (a status updated by a re-import) are seen only by a full scoring.
// Each run is recorded in `model_score_runs`.
Result<ScoreReport> ScoreCustomers(Database& db, const ModelRunOptions& options,
                                   const Clock& clock);

// One logistic model per product category: P(buys the category in the next
// `horizon_days`) from recency, frequency and the customer's history with the
// category (purchases, recent views). Trained on the last complete period
// before `until`; its reliability is measured out of time (a model trained one
// period earlier, scored on the last period).
struct CategoryPropensity {
  std::string category;  // slug
  int train_rows = 0, train_positives = 0;
  int test_rows = 0, test_positives = 0;
  std::vector<ReliabilityBin> reliability;  // out of time
  LogisticModel model;
};

struct PropensityReport {
  CivilDate until;
  int horizon_days = 0;
  std::vector<CategoryPropensity> categories;
  // Scores as of the end of `until`: customer id and one probability per
  // category (same order as `categories`), for customers with any purchase or
  // view. Filled only when asked for.
  std::vector<std::pair<int64_t, std::vector<double>>> scores;
};

Result<PropensityReport> FitPropensity(Database& db, CivilDate until,
                                       const PropensityOptions& options, bool score_customers);

// ---------------------------------------------------------------------------
// Insights (R16): which products sell to whom
// ---------------------------------------------------------------------------

enum class InsightDimension { kAge, kCity, kChannel, kGender };
Result<InsightDimension> ParseInsightDimension(std::string_view name);  // age, city, channel, gender

struct InsightOptions {
  InsightDimension by = InsightDimension::kAge;
  std::string category;  // only products in this category and below (slug, last part or name); empty: all
  std::optional<CivilDate> since;  // purchases from the start of this day; none: all history
  CivilDate until;       // ... up to the end of this day; ages are counted on it. REQUIRED
  int top_products = 10;  // product rows, most buyers first (every category gets a row)
  int top_cities = 8;     // --by city: the cities with the most buyers; the rest are "other"
  std::string currency;   // revenue shares count lines in this currency; empty: the one with most lines
};

// One group (an age band, a city, a channel, a gender) within a row.
struct InsightCell {
  int64_t buyers = 0;
  double buyer_share = 0;    // of the row's buyers, 0–1; the cells of a row sum to 1
  int64_t revenue_minor = 0;  // in the report's currency
  double revenue_share = 0;  // of the row's revenue in that currency, 0–1
  // 100 × buyer_share / the group's share of all buyers: 100 is "as everyone",
  // 150 half as many again. 0 when the group has no buyers at all.
  double index = 0;
};

struct InsightRow {
  enum class Kind { kAll, kCategory, kProduct };
  Kind kind = Kind::kAll;
  std::string key;   // category slug or product SKU ("" for all)
  std::string name;  // category or product name
  int64_t buyers = 0;
  int64_t revenue_minor = 0;
  std::vector<InsightCell> cells;  // one per InsightReport::groups
};

// Buyers are distinct customers who bought (orders not cancelled or returned).
// A buyer belongs to one group: their age band on `until` (under 25, 25–34,
// 35–44, 45–54, 55–64, 65+, unknown), city, gender, or the channel of their
// first purchase in the row. Revenue is quantity × price − discount of the
// lines, in their own channel's group.
struct InsightReport {
  InsightDimension by = InsightDimension::kAge;
  std::optional<CivilDate> since;
  CivilDate until;
  std::string currency;
  std::vector<std::string> groups;
  InsightRow all;                 // every buyer in scope
  std::vector<InsightRow> rows;   // categories (by buyers), then the top products
};

Result<InsightReport> ProductInsights(Database& db, const InsightOptions& options);

// Time-split check of the recommendations on the store's own data: histories
// (purchases and product views) before `split` train the model; purchases in
// the `days_after` days from `split` are what customers then bought.
Result<RecommendationQuality> EvaluateStoredRecommendations(
    Database& db, CivilDate split, int days_after, const RecommendationOptions& options = {});

}  // namespace patron::models
