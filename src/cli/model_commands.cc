// `patron model` commands: fit the CLV models and score every customer; and
// `patron insight products`, who buys what.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/cli_internal.h"
#include "models/models.h"

namespace patron::cli {

namespace {

using nlohmann::json;

struct ModelOptions {
  std::string until;  // YYYY-MM-DD; empty: today (UTC)
  int window_days = 730;
  double discount_rate = 0.10;
  bool incremental = false;
  bool json = false;
};

Result<models::ModelRunOptions> RunOptions(const ModelOptions& o) {
  models::ModelRunOptions options;
  if (o.until.empty()) {
    const int64_t micros = SystemClock::Get().Now().micros;
    options.until = CivilDate::FromDays(micros / 86'400'000'000);
  } else {
    auto at = ParseInstant(o.until);
    if (!at.ok()) return InvalidArgument("--until: '" + o.until + "' is not a date (YYYY-MM-DD)");
    options.until = CivilDate::FromDays(at->seconds() / 86'400);
  }
  options.rfm_window_days = o.window_days;
  options.clv.annual_discount_rate = o.discount_rate;
  options.incremental = o.incremental;
  return options;
}

json FitJson(const models::ClvFitReport& r) {
  const auto& p = r.purchases.params;
  json out = {{"until", r.until.ToString()},
              {"customers_with_orders", r.customers_with_orders},
              {"bgnbd",
               {{"r", p.r},
                {"alpha", p.alpha},
                {"a", p.a},
                {"b", p.b},
                {"log_likelihood", r.purchases.log_likelihood},
                {"customers", r.purchases.customers},
                {"evaluations", r.purchases.evaluations}}},
              {"gamma_gamma", json::array()},
              {"seconds", r.seconds}};
  for (const auto& s : r.spend) {
    out["gamma_gamma"].push_back({{"currency", s.currency},
                                  {"p", s.fit.params.p},
                                  {"q", s.fit.params.q},
                                  {"v", s.fit.params.v},
                                  {"log_likelihood", s.fit.log_likelihood},
                                  {"customers", s.fit.customers}});
  }
  return out;
}

int RunFitClv(const std::string& db_path, const ModelOptions& o, bool json_output) {
  auto options = RunOptions(o);
  if (!options.ok()) return Fail(options.status());
  auto db = OpenDb(db_path);
  if (!db.ok()) return Fail(db.status());
  auto report = models::FitClv(**db, *options, SystemClock::Get());
  if (!report.ok()) return Fail(report.status());
  if (json_output) {
    std::printf("%s\n", FitJson(*report).dump(2).c_str());
    return 0;
  }
  const auto& p = report->purchases.params;
  std::printf("BG/NBD on %d customers with purchases up to %s (time in weeks)\n",
              report->purchases.customers, report->until.ToString().c_str());
  std::printf("  r = %.4f  alpha = %.4f  a = %.4f  b = %.4f\n", p.r, p.alpha, p.a, p.b);
  std::printf("  log-likelihood = %.4f  (%d evaluations)\n", report->purchases.log_likelihood,
              report->purchases.evaluations);
  if (report->spend.empty()) {
    std::printf(
        "Gamma-Gamma: no currency has enough repeat buyers; CLV uses each customer's mean order "
        "value\n");
  }
  for (const auto& s : report->spend) {
    std::printf("Gamma-Gamma %s on %d repeat buyers (values in minor units)\n", s.currency.c_str(),
                s.fit.customers);
    std::printf("  p = %.4f  q = %.4f  v = %.4f  log-likelihood = %.4f\n", s.fit.params.p,
                s.fit.params.q, s.fit.params.v, s.fit.log_likelihood);
  }
  std::printf(
      "Stored in model_fits (%.2f s). Run `patron model score` to update every customer's "
      "traits.\n",
      report->seconds);
  return 0;
}

int RunScore(const std::string& db_path, const ModelOptions& o, bool json_output) {
  auto options = RunOptions(o);
  if (!options.ok()) return Fail(options.status());
  auto db = OpenDb(db_path);
  if (!db.ok()) return Fail(db.status());
  auto report = models::ScoreCustomers(**db, *options, SystemClock::Get());
  if (!report.ok()) return Fail(report.status());
  if (json_output) {
    json out = {{"as_of", options->until.ToString()}, {"customers", report->customers},
                {"buyers", report->buyers},           {"used_stored_fit", report->used_stored_fit},
                {"rfm_segments", json::object()},     {"lifecycle_stages", json::object()},
                {"seconds", report->seconds},         {"incremental", report->incremental},
                {"unchanged", report->unchanged}};
    for (const auto& [name, n] : report->rfm_segments) out["rfm_segments"][name] = n;
    for (const auto& [name, n] : report->lifecycle_stages) out["lifecycle_stages"][name] = n;
    out["lead_stages"] = json::object();
    for (const auto& [name, n] : report->lead_stages) out["lead_stages"][name] = n;
    out["best_channels"] = json::object();
    for (const auto& [name, n] : report->best_channels) out["best_channels"][name] = n;
    out["channel_response_rates"] = json::object();
    for (const auto& r : report->channel_rates) {
      out["channel_response_rates"][r.channel] = {
          {"sent", r.sent},
          {"responded", r.responded},
          {"rate", static_cast<double>(r.responded) / static_cast<double>(r.sent)}};
    }
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
  }
  std::printf("Scored %lld customers (%lld with purchases) as of %s in %.2f s%s\n",
              static_cast<long long>(report->customers), static_cast<long long>(report->buyers),
              options->until.ToString().c_str(), report->seconds,
              report->used_stored_fit ? "" : " (fitted the CLV models first)");
  if (report->incremental) {
    std::printf("Incremental: only customers with new orders, events or profiles since the last scoring; "
                "%lld kept their traits (the counts below are of the rescored).\n",
                static_cast<long long>(report->unchanged));
  } else if (o.incremental) {
    std::printf("No earlier scoring as of this date with these settings: scored everyone.\n");
  }
  std::printf("\nRFM group             customers\n");
  for (const auto& [name, n] : report->rfm_segments)
    std::printf("  %-20s %9lld\n", name.c_str(), static_cast<long long>(n));
  std::printf("\nLifecycle stage       customers\n");
  for (const auto& [name, n] : report->lifecycle_stages) {
    std::printf("  %-20s %9lld\n", name.c_str(), static_cast<long long>(n));
  }
  int64_t lead = 0, mql = 0, sql = 0;
  for (const auto& [name, n] : report->lead_stages) {
    (name == "sql" ? sql : name == "mql" ? mql : lead) += n;
  }
  const int64_t people = lead + mql + sql;
  std::printf("\nLead funnel (people who have not bought)\n");
  std::printf("  %-20s %9lld\n", "lead", static_cast<long long>(lead));
  std::printf("  %-20s %9lld  (%.1f%% of leads reached MQL)\n", "mql", static_cast<long long>(mql),
              people ? 100.0 * static_cast<double>(mql + sql) / static_cast<double>(people) : 0.0);
  std::printf("  %-20s %9lld  (%.1f%% of MQLs reached SQL)\n", "sql", static_cast<long long>(sql),
              mql + sql ? 100.0 * static_cast<double>(sql) / static_cast<double>(mql + sql) : 0.0);
  std::printf("  %-20s %9lld\n", "customers (bought)", static_cast<long long>(report->buyers));
  if (!report->channel_rates.empty()) {
    std::printf("\nChannel     messages   clicked    rate   best channel of\n");
    for (const auto& r : report->channel_rates) {
      int64_t best = 0;
      for (const auto& [name, n] : report->best_channels) best += name == r.channel ? n : 0;
      std::printf("  %-8s %10lld %9lld  %5.2f%%  %9lld\n", r.channel.c_str(),
                  static_cast<long long>(r.sent), static_cast<long long>(r.responded),
                  100.0 * static_cast<double>(r.responded) / static_cast<double>(r.sent),
                  static_cast<long long>(best));
    }
  }
  std::printf("\nTraits are in the customer_traits table.\n");
  return 0;
}

int RunFitPropensity(const std::string& db_path, const ModelOptions& o, bool json_output) {
  auto options = RunOptions(o);
  if (!options.ok()) return Fail(options.status());
  auto db = OpenDb(db_path);
  if (!db.ok()) return Fail(db.status());
  auto report =
      models::FitPropensity(**db, options->until, options->propensity, /*score_customers=*/false);
  if (!report.ok()) return Fail(report.status());
  if (json_output) {
    json out = {{"until", report->until.ToString()},
                {"horizon_days", report->horizon_days},
                {"categories", json::array()}};
    for (const auto& c : report->categories) {
      json reliability = json::array();
      for (const auto& bin : c.reliability) {
        reliability.push_back({{"count", bin.count},
                               {"mean_predicted", bin.mean_predicted},
                               {"observed_rate", bin.observed_rate}});
      }
      out["categories"].push_back({{"category", c.category},
                                   {"customers", c.train_rows},
                                   {"buyers", c.train_positives},
                                   {"weights", c.model.weights},
                                   {"reliability", reliability}});
    }
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
  }
  std::printf(
      "P(buys the category in the next %d days), logistic models fitted on the %d days up to %s\n",
      report->horizon_days, report->horizon_days, report->until.ToString().c_str());
  for (const auto& c : report->categories) {
    std::printf("\n%s: %d of %d customers bought\n", c.category.c_str(), c.train_positives,
                c.train_rows);
    if (c.reliability.empty()) continue;
    std::printf("  reliability, out of time (decile: mean predicted / observed)\n ");
    for (const auto& bin : c.reliability)
      std::printf(" %.3f/%.3f", bin.mean_predicted, bin.observed_rate);
    std::printf("\n");
  }
  return 0;
}

struct EvaluateOptions {
  std::string split;
  int days = 90;
  int count = 10;
  bool json = false;
};

int RunEvaluateClv(const std::string& db_path, const EvaluateOptions& o, bool json_output) {
  auto at = ParseInstant(o.split);
  if (!at.ok())
    return Fail(InvalidArgument("--split: '" + o.split + "' is not a date (YYYY-MM-DD)"));
  const CivilDate split = CivilDate::FromDays(at->seconds() / 86'400);
  const int weeks = std::max(1, o.days / 7);
  auto db = OpenDb(db_path);
  if (!db.ok()) return Fail(db.status());
  auto report = models::CheckClvHoldout(**db, split, weeks);
  if (!report.ok()) return Fail(report.status());
  if (json_output) {
    json out = {{"split", split.ToString()},
                {"holdout_weeks", weeks},
                {"customers", report->customers},
                {"actual_total", report->actual_total},
                {"predicted_total", report->predicted_total},
                {"groups", json::array()}};
    for (const auto& g : report->groups) {
      out["groups"].push_back({{"frequency", g.frequency},
                               {"open_ended", g.open_ended},
                               {"customers", g.customers},
                               {"actual_mean", g.actual_mean},
                               {"predicted_mean", g.predicted_mean}});
    }
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
  }
  std::printf("BG/NBD fitted on purchases up to %s; the next %d weeks predicted for %d buyers\n\n",
              split.ToString().c_str(), weeks, report->customers);
  std::printf("%-22s %9s %12s %12s\n", "repeat purchase days", "customers", "actual mean",
              "predicted");
  for (const auto& g : report->groups) {
    std::printf("%-22s %9d %12.3f %12.3f\n",
                (std::to_string(g.frequency) + (g.open_ended ? "+" : "")).c_str(), g.customers,
                g.actual_mean, g.predicted_mean);
  }
  std::printf("%-22s %9d %12.0f %12.1f  (totals)\n", "all", report->customers, report->actual_total,
              report->predicted_total);
  return 0;
}

int RunEvaluateRecommendations(const std::string& db_path, const EvaluateOptions& o,
                               bool json_output) {
  auto at = ParseInstant(o.split);
  if (!at.ok())
    return Fail(InvalidArgument("--split: '" + o.split + "' is not a date (YYYY-MM-DD)"));
  const CivilDate split = CivilDate::FromDays(at->seconds() / 86'400);
  auto db = OpenDb(db_path);
  if (!db.ok()) return Fail(db.status());
  models::RecommendationOptions options;
  options.count = o.count;
  auto q = models::EvaluateStoredRecommendations(**db, split, o.days, options);
  if (!q.ok()) return Fail(q.status());
  if (json_output) {
    json out = {{"split", split.ToString()},
                {"days", o.days},
                {"n", o.count},
                {"customers", q->customers},
                {"item_to_item", {{"hit_rate", q->hit_rate}, {"ndcg", q->ndcg}}},
                {"most_popular", {{"hit_rate", q->baseline_hit_rate}, {"ndcg", q->baseline_ndcg}}}};
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
  }
  std::printf(
      "Trained on purchases and views before %s; scored against the new products each of %d "
      "customers\n"
      "bought in the following %d days.\n\n",
      split.ToString().c_str(), q->customers, o.days);
  std::printf("%-24s %10s %10s\n", "", ("hit@" + std::to_string(o.count)).c_str(),
              ("NDCG@" + std::to_string(o.count)).c_str());
  std::printf("%-24s %10.4f %10.4f\n", "item-to-item", q->hit_rate, q->ndcg);
  std::printf("%-24s %10.4f %10.4f\n", "most popular (baseline)", q->baseline_hit_rate,
              q->baseline_ndcg);
  return 0;
}

struct InsightCliOptions {
  std::string by = "age";
  std::string category, since, until, currency;
  int top = 10;
  int cities = 8;
  bool json = false;
};

Result<CivilDate> DayOption(const std::string& name, const std::string& value) {
  auto at = ParseInstant(value);
  if (!at.ok()) return InvalidArgument(name + ": '" + value + "' is not a date (YYYY-MM-DD)");
  return CivilDate::FromDays(at->seconds() / 86'400);
}

int RunInsightProducts(const std::string& db_path, const InsightCliOptions& o, bool json_output) {
  models::InsightOptions options;
  auto by = models::ParseInsightDimension(o.by);
  if (!by.ok()) return Fail(by.status());
  options.by = *by;
  options.category = o.category;
  options.currency = o.currency;
  options.top_products = o.top;
  options.top_cities = o.cities;
  if (!o.since.empty()) {
    auto since = DayOption("--since", o.since);
    if (!since.ok()) return Fail(since.status());
    options.since = *since;
  }
  if (o.until.empty()) {
    options.until = CivilDate::FromDays(SystemClock::Get().Now().micros / 86'400'000'000);
  } else {
    auto until = DayOption("--until", o.until);
    if (!until.ok()) return Fail(until.status());
    options.until = *until;
  }
  auto db = OpenDb(db_path);
  if (!db.ok()) return Fail(db.status());
  auto report = models::ProductInsights(**db, options);
  if (!report.ok()) return Fail(report.status());
  auto kind = [](models::InsightRow::Kind k) {
    return k == models::InsightRow::Kind::kAll        ? "all"
           : k == models::InsightRow::Kind::kCategory ? "category"
                                                      : "product";
  };
  if (json_output) {
    json out = {{"by", o.by},
                {"since", report->since ? json(report->since->ToString()) : json(nullptr)},
                {"until", report->until.ToString()},
                {"currency", report->currency},
                {"groups", report->groups},
                {"rows", json::array()}};
    auto row_json = [&](const models::InsightRow& r) {
      json cells = json::array();
      for (size_t g = 0; g < r.cells.size(); ++g) {
        const auto& c = r.cells[g];
        cells.push_back({{"group", report->groups[g]},
                         {"buyers", c.buyers},
                         {"buyer_share", c.buyer_share},
                         {"revenue_minor", c.revenue_minor},
                         {"revenue_share", c.revenue_share},
                         {"index", c.index}});
      }
      return json{{"kind", kind(r.kind)}, {"key", r.key},          {"name", r.name},
                  {"buyers", r.buyers},   {"revenue_minor", r.revenue_minor}, {"groups", cells}};
    };
    out["all"] = row_json(report->all);
    for (const auto& r : report->rows) out["rows"].push_back(row_json(r));
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
  }
  std::printf("Who buys what, by %s: %lld buyers, purchases %s%s to %s (not cancelled or returned)%s%s\n",
              o.by.c_str(), static_cast<long long>(report->all.buyers),
              report->since ? "from " : "up", report->since ? report->since->ToString().c_str() : "",
              report->until.ToString().c_str(), o.category.empty() ? "" : ", category ",
              o.category.c_str());
  auto table = [&](const char* title, bool revenue) {
    std::printf("\n%s\n%-34s %18s", title, "", revenue ? "revenue" : "buyers");
    for (const auto& g : report->groups) std::printf(" %12.12s", g.c_str());
    std::printf("\n");
    auto print = [&](const models::InsightRow& r) {
      std::string label = r.kind == models::InsightRow::Kind::kAll ? r.name
                          : r.kind == models::InsightRow::Kind::kCategory ? r.key
                                                                          : "  " + r.key + " " + r.name;
      if (label.size() > 34) label = std::string(Utf8Prefix(label, 33)) + "~";
      if (revenue) {
        std::printf("%-34s %18s", label.c_str(), Money(r.revenue_minor, report->currency).c_str());
      } else {
        std::printf("%-34s %18lld", label.c_str(), static_cast<long long>(r.buyers));
      }
      for (const auto& c : r.cells) {
        if (revenue) {
          std::printf(" %11.1f%%", 100 * c.revenue_share);
        } else {
          char cell[32];
          std::snprintf(cell, sizeof cell, "%.1f%% %3.0f", 100 * c.buyer_share, c.index);
          std::printf(" %12s", cell);
        }
      }
      std::printf("\n");
    };
    print(report->all);
    for (const auto& r : report->rows) print(r);
  };
  table("Share of buyers and index (100 = as all buyers; 150 = half as many again)", false);
  table(("Share of revenue (lines in " + report->currency + ")").c_str(), true);
  return 0;
}

}  // namespace

void AddModelCommands(CLI::App& app, const GlobalOptions& globals, Action& action) {
  // Option storage outlives this function: the callbacks run during parsing.
  static auto* fit_options = new ModelOptions();
  static auto* score_options = new ModelOptions();

  static auto* insight_options = new InsightCliOptions();
  auto* insight = app.add_subcommand("insight", "Who buys what: products by age, city, channel, gender");
  insight->require_subcommand(1);
  auto* insight_products = insight->add_subcommand(
      "products", "Shares of buyers and revenue per product and category, with an index");
  insight_products->add_option("--by", insight_options->by, "age (default), city, channel or gender")
      ->check(CLI::IsMember({"age", "city", "channel", "gender"}));
  insight_products->add_option("--category", insight_options->category,
                               "Only this category and those below it");
  insight_products->add_option("--since", insight_options->since, "Purchases from this day (YYYY-MM-DD)");
  insight_products->add_option("--until", insight_options->until,
                               "Purchases up to the end of this day (default today); ages on it");
  insight_products->add_option("--top", insight_options->top, "Product rows (default 10)")
      ->check(CLI::Range(0, 1000));
  insight_products->add_option("--cities", insight_options->cities,
                               "--by city: cities shown, the rest are \"other\" (default 8)")
      ->check(CLI::Range(1, 100));
  insight_products->add_option("--currency", insight_options->currency,
                               "Revenue in this currency (default: the one with the most lines)");
  insight_products->add_flag("--json", insight_options->json, "Print the table as JSON");
  insight_products->callback([&action, &globals] {
    action = [&globals] {
      return RunInsightProducts(globals.db_path, *insight_options, globals.json || insight_options->json);
    };
  });

  auto* model = app.add_subcommand("model", "Predictive models: RFM, lifecycle, CLV and churn");
  model->require_subcommand(1);

  auto* fit = model->add_subcommand("fit", "Fit a model on the purchases so far");
  fit->require_subcommand(1);
  auto* clv =
      fit->add_subcommand("clv", "Fit BG/NBD (purchases) and Gamma-Gamma (spend per currency)");
  clv->add_option("--until", fit_options->until,
                  "Use orders up to the end of this day, YYYY-MM-DD (default today)");
  clv->add_flag("--json", fit_options->json, "Print the fit as JSON");
  clv->callback([&action, &globals] {
    action = [&globals] {
      return RunFitClv(globals.db_path, *fit_options, globals.json || fit_options->json);
    };
  });

  static auto* evaluate_options = new EvaluateOptions();
  auto* evaluate = model->add_subcommand("evaluate", "Check a model on a time split of the data");
  evaluate->require_subcommand(1);
  auto* recs = evaluate->add_subcommand("recommendations",
                                        "Item-to-item recommendations against the most popular");
  recs->add_option("--split", evaluate_options->split,
                   "Train before this day (YYYY-MM-DD), test after")
      ->required();
  recs->add_option("--days", evaluate_options->days, "Days after the split to test on (default 90)")
      ->check(CLI::Range(1, 3650));
  recs->add_option("--n", evaluate_options->count, "Recommendations per customer (default 10)")
      ->check(CLI::Range(1, 100));
  recs->add_flag("--json", evaluate_options->json, "Print the result as JSON");
  recs->callback([&action, &globals] {
    action = [&globals] {
      return RunEvaluateRecommendations(globals.db_path, *evaluate_options,
                                        globals.json || evaluate_options->json);
    };
  });

  static auto* propensity_options = new ModelOptions();
  auto* propensity = fit->add_subcommand(
      "propensity", "Fit per-category 30-day purchase propensity; show reliability");
  propensity->add_option("--until", propensity_options->until,
                         "Use data up to the end of this day (default today)");
  propensity->add_flag("--json", propensity_options->json,
                       "Print the models and reliability tables as JSON");
  propensity->callback([&action, &globals] {
    action = [&globals] {
      return RunFitPropensity(globals.db_path, *propensity_options,
                              globals.json || propensity_options->json);
    };
  });

  static auto* clv_check = new EvaluateOptions();
  clv_check->days = 182;
  auto* evaluate_clv = evaluate->add_subcommand(
      "clv", "Fit BG/NBD up to a date and compare its forecast with what happened");
  evaluate_clv
      ->add_option("--split", clv_check->split, "Fit on purchases up to this day (YYYY-MM-DD)")
      ->required();
  evaluate_clv
      ->add_option("--days", clv_check->days,
                   "Days after the split to compare (default 182, whole weeks)")
      ->check(CLI::Range(7, 3650));
  evaluate_clv->add_flag("--json", clv_check->json, "Print the comparison as JSON");
  evaluate_clv->callback([&action, &globals] {
    action = [&globals] {
      return RunEvaluateClv(globals.db_path, *clv_check, globals.json || clv_check->json);
    };
  });

  auto* score =
      model->add_subcommand("score", "Compute and store every customer's traits (customer_traits)");
  score->add_option("--as-of", score_options->until,
                    "Score as of the end of this day, YYYY-MM-DD (default today)");
  score
      ->add_option("--window-days", score_options->window_days,
                   "RFM window for frequency and monetary (default 730)")
      ->check(CLI::Range(1, 36500));
  score
      ->add_option("--discount-rate", score_options->discount_rate,
                   "Annual discount rate for CLV (default 0.10)")
      ->check(CLI::Range(0.0, 10.0));
  score->add_flag("--incremental", score_options->incremental,
                  "Rescore only customers with new orders, events or profiles since the last scoring "
                  "of the same date (everyone when there is none)");
  score->add_flag("--json", score_options->json, "Print the summary as JSON");
  score->callback([&action, &globals] {
    action = [&globals] {
      return RunScore(globals.db_path, *score_options, globals.json || score_options->json);
    };
  });
}

}  // namespace patron::cli
