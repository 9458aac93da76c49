// The real `patron` binary on demo data: import, `model fit clv`, `model score`,
// then the stored fits and traits checked in the SQLite file.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "store/store.h"

#include "patron_process.h"

namespace patron {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::DemoImportArgs;

struct Output {
  int exit_code = -1;
  std::string text;  // stdout and stderr together
};

Output Patron(const std::vector<std::string>& args) {
  patron::testing::CommandResult r = patron::testing::RunPatron(args, /*stdout_only=*/false);
  return {r.exit_code, r.out};
}

class ModelsCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("patron_models_cli_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    db_ = (dir_ / "patron.db").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  void ImportDemo(int people) {
    Output gen = Patron({"--json", "demo", "generate", "--customers", std::to_string(people),
                         "--seed", "11", "--out", (dir_ / "data").string()});
    ASSERT_EQ(gen.exit_code, 0) << gen.text;
    json manifest = json::parse(gen.text, nullptr, false);
    ASSERT_FALSE(manifest.is_discarded()) << gen.text;
    for (const auto& f : manifest["files"]) {
      Output imp = Patron(DemoImportArgs(f, db_));
      ASSERT_EQ(imp.exit_code, 0) << imp.text;
    }
  }

  fs::path dir_;
  std::string db_;
};

TEST_F(ModelsCliTest, FitAndScoreDemoData) {
  ImportDemo(1500);
  Output fit = Patron({"--db", db_, "model", "fit", "clv", "--json"});
  ASSERT_EQ(fit.exit_code, 0) << fit.text;
  json f = json::parse(fit.text, nullptr, false);
  ASSERT_FALSE(f.is_discarded()) << fit.text;
  for (const char* key : {"r", "alpha", "a", "b"}) {
    const double v = f["bgnbd"][key].get<double>();
    EXPECT_TRUE(std::isfinite(v) && v > 0) << key << " " << v;
  }
  EXPECT_LT(f["bgnbd"]["log_likelihood"].get<double>(), 0);
  EXPECT_GT(f["customers_with_orders"].get<int64_t>(), 100);
  EXPECT_FALSE(f["gamma_gamma"].empty()) << fit.text;

  Output score = Patron({"--db", db_, "--json", "model", "score"});
  ASSERT_EQ(score.exit_code, 0) << score.text;
  json s = json::parse(score.text, nullptr, false);
  ASSERT_FALSE(s.is_discarded()) << score.text;
  EXPECT_TRUE(s["used_stored_fit"].get<bool>());

  auto db = Database::Open(db_);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  const int64_t customers = (*db)->QueryInt("SELECT count(*) FROM customers").value();
  EXPECT_EQ(s["customers"].get<int64_t>(), customers);
  EXPECT_EQ((*db)->QueryInt("SELECT count(*) FROM customer_traits").value(), customers);
  // Buyers have every trait; nobody else has purchase-based ones.
  EXPECT_EQ((*db)
                ->QueryInt("SELECT count(*) FROM customer_traits WHERE purchase_days > 0 AND "
                           "(rfm_segment IS NULL OR p_alive IS NULL OR clv_12m_minor IS NULL OR "
                           "currency IS NULL)")
                .value(),
            0);
  EXPECT_EQ((*db)
                ->QueryInt("SELECT count(*) FROM customer_traits WHERE purchase_days = 0 AND "
                           "(rfm_segment IS NOT NULL OR p_alive IS NOT NULL)")
                .value(),
            0);
  EXPECT_EQ(
      (*db)
          ->QueryInt("SELECT count(*) FROM customer_traits WHERE lifecycle_stage NOT IN "
                     "('prospect','lead','first_time_buyer','repeat','loyal','at_risk','lapsed')")
          .value(),
      0);
  EXPECT_EQ(s["buyers"].get<int64_t>(),
            (*db)
                ->QueryInt("SELECT count(DISTINCT customer_id) FROM orders WHERE status NOT IN "
                           "('cancelled','returned')")
                .value());
  EXPECT_EQ((*db)->QueryInt("SELECT count(*) FROM model_fits WHERE model = 'bgnbd'").value(), 1);
  // Buyers get ten recommended products, none of which they already bought.
  EXPECT_EQ((*db)
                ->QueryInt("SELECT count(*) FROM customer_traits WHERE purchase_days > 0 AND "
                           "json_array_length(recommended_products) <> 10")
                .value(),
            0);
  EXPECT_EQ(
      (*db)
          ->QueryInt("SELECT count(*) FROM customer_traits t, json_each(t.recommended_products) r "
                     "JOIN products p ON p.sku = r.value JOIN order_lines l ON l.product_id = p.id "
                     "JOIN orders o ON o.id = l.order_id AND o.customer_id = t.customer_id "
                     "WHERE o.status NOT IN ('cancelled', 'returned')")
          .value(),
      0);
  // The demo's customers pay in ten currencies; the monetary quintile is within
  // each, so no currency's big minor-unit amounts take all the top scores.
  EXPECT_EQ(
      (*db)
          ->QueryInt("SELECT count(*) FROM (SELECT currency, avg(rfm_m = 5) AS top, count(*) AS n "
                     "FROM customer_traits WHERE rfm_m IS NOT NULL GROUP BY currency) "
                     "WHERE n >= 50 AND (top < 0.1 OR top > 0.4)")
          .value(),
      0);
  // Propensities, where a category had enough recent buyers to model, are probabilities.
  EXPECT_EQ(
      (*db)
          ->QueryInt(
              "SELECT count(*) FROM customer_traits t, json_each(t.category_propensity_30d) p "
              "WHERE p.value < 0 OR p.value > 1")
          .value(),
      0);
  // Everyone with an order has a best send hour.
  EXPECT_EQ(
      (*db)
          ->QueryInt("SELECT count(*) FROM customer_traits t WHERE best_send_hour IS NULL AND "
                     "EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = t.customer_id)")
          .value(),
      0);

  // The traits are in the one customer view and usable in segments.
  const int64_t buyer =
      (*db)->QueryInt("SELECT min(customer_id) FROM customer_traits WHERE purchase_days > 0").value();
  Output view = Patron({"--db", db_, "--json", "customer", "show", std::to_string(buyer)});
  ASSERT_EQ(view.exit_code, 0) << view.text;
  json v = json::parse(view.text, nullptr, false);
  ASSERT_FALSE(v.is_discarded()) << view.text;
  for (const char* trait : {"rfm", "lifecycle", "purchase_days", "last_purchase_at", "churn_risk", "p_alive",
                            "expected_purchases_12m", "clv_12m", "expected_order_value", "best_send_hour",
                            "recommended_products"}) {
    EXPECT_TRUE(v["traits"].contains(trait)) << trait << " missing in " << v["traits"].dump();
  }
  Output segment = Patron({"--db", db_, "--json", "segment", "count", "churn_risk > 0.5 and rfm != \"champions\""});
  ASSERT_EQ(segment.exit_code, 0) << segment.text;
  json c = json::parse(segment.text, nullptr, false);
  ASSERT_FALSE(c.is_discarded()) << segment.text;
  const int64_t expected =
      (*db)
          ->QueryInt("SELECT count(*) FROM customer_traits WHERE churn_risk > 0.5 AND rfm_segment <> 'champions'")
          .value();
  EXPECT_GT(expected, 0);
  EXPECT_EQ(c["count"].get<int64_t>(), expected);

  // Recommendations and propensities are also rows that segments read; they
  // agree with the JSON columns of the one customer view.
  EXPECT_EQ((*db)->QueryInt("SELECT count(*) FROM customer_recommendations").value(),
            (*db)
                ->QueryInt("SELECT count(*) FROM customer_traits t, "
                           "json_each(t.recommended_products) r")
                .value());
  EXPECT_EQ((*db)->QueryInt("SELECT count(*) FROM customer_category_propensity").value(),
            (*db)
                ->QueryInt("SELECT count(*) FROM customer_traits t, "
                           "json_each(t.category_propensity_30d) p")
                .value());
  const int64_t phone_recommended =
      (*db)
          ->QueryInt("SELECT count(DISTINCT r.customer_id) FROM customer_recommendations r "
                     "JOIN products p ON p.id = r.product_id JOIN categories k ON k.id = p.category_id "
                     "WHERE k.slug = 'electronics/phones'")
          .value();
  EXPECT_GT(phone_recommended, 0);
  Output recommended = Patron({"--db", db_, "--json", "segment", "count", "recommended(\"phones\")"});
  ASSERT_EQ(recommended.exit_code, 0) << recommended.text;
  EXPECT_EQ(json::parse(recommended.text)["count"].get<int64_t>(), phone_recommended);

  // Best channel: the demo sends emails and SMS and some people click.
  ASSERT_TRUE(s["channel_response_rates"].contains("email")) << score.text;
  ASSERT_TRUE(s["channel_response_rates"].contains("sms")) << score.text;
  for (const char* channel : {"email", "sms"}) {
    const double rate = s["channel_response_rates"][channel]["rate"].get<double>();
    EXPECT_GT(rate, 0.01) << channel;
    EXPECT_LT(rate, 0.2) << channel;
  }
  const int64_t with_best =
      (*db)->QueryInt("SELECT count(*) FROM customer_traits WHERE best_channel IS NOT NULL").value();
  EXPECT_GT(with_best, 0);
  EXPECT_EQ((*db)
                ->QueryInt("SELECT count(*) FROM customer_traits WHERE best_channel IS NOT NULL AND "
                           "best_channel NOT IN ('email', 'sms')")
                .value(),
            0);
  const int64_t chooser =
      (*db)->QueryInt("SELECT min(customer_id) FROM customer_traits WHERE best_channel IS NOT NULL").value();
  Output chooser_view = Patron({"--db", db_, "--json", "customer", "show", std::to_string(chooser)});
  ASSERT_EQ(chooser_view.exit_code, 0) << chooser_view.text;
  EXPECT_TRUE(json::parse(chooser_view.text)["traits"].contains("best_channel")) << chooser_view.text;
  Output by_channel = Patron({"--db", db_, "--json", "segment", "count", "best_channel is not missing"});
  ASSERT_EQ(by_channel.exit_code, 0) << by_channel.text;
  EXPECT_EQ(json::parse(by_channel.text)["count"].get<int64_t>(), with_best);
}

// What a marketer relies on in `patron insight products` and the best channel,
// on demo data whose generator has known skews: under-30s like phones and
// respond to SMS, over-55s to email.
TEST_F(ModelsCliTest, InsightsAndBestChannelShowTheDemosSkews) {
  ImportDemo(3000);
  Output score = Patron({"--db", db_, "model", "score", "--as-of", "2026-11-01"});
  ASSERT_EQ(score.exit_code, 0) << score.text;
  auto count = [&](const std::string& segment) {
    Output out = Patron({"--db", db_, "--json", "segment", "count", segment, "--now", "2026-11-01T23:00:00Z"});
    EXPECT_EQ(out.exit_code, 0) << out.text;
    json j = json::parse(out.text, nullptr, false);
    return j.is_discarded() ? int64_t{-1} : j["count"].get<int64_t>();
  };
  const std::string both = "reachable(email) and reachable(sms) and best_channel is not missing";
  const double young = static_cast<double>(count(both + " and age < 30"));
  const double old = static_cast<double>(count(both + " and age > 55"));
  ASSERT_GT(young, 10);
  ASSERT_GT(old, 10);
  const double young_sms = static_cast<double>(count(both + " and age < 30 and best_channel = \"sms\"")) / young;
  const double old_sms = static_cast<double>(count(both + " and age > 55 and best_channel = \"sms\"")) / old;
  EXPECT_GT(young_sms, old_sms + 0.2) << "under 30: " << young_sms << ", over 55: " << old_sms;

  for (const char* by : {"age", "city", "channel", "gender"}) {
    Output insight = Patron({"--db", db_, "--json", "insight", "products", "--by", by, "--until", "2026-11-01"});
    ASSERT_EQ(insight.exit_code, 0) << insight.text;
    json r = json::parse(insight.text, nullptr, false);
    ASSERT_FALSE(r.is_discarded()) << insight.text;
    std::vector<json> rows = {r["all"]};
    for (const auto& row : r["rows"]) rows.push_back(row);
    ASSERT_GT(rows.size(), 8u) << by;  // every category and the top products
    for (const auto& row : rows) {
      double buyers = 0, revenue = 0;
      int64_t buyer_count = 0;
      for (const auto& cell : row["groups"]) {
        buyers += cell["buyer_share"].get<double>();
        revenue += cell["revenue_share"].get<double>();
        buyer_count += cell["buyers"].get<int64_t>();
      }
      EXPECT_NEAR(buyers, 1.0, 1e-9) << by << " " << row["key"];
      if (row["revenue_minor"].get<int64_t>() > 0) {
        EXPECT_NEAR(revenue, 1.0, 1e-9) << by << " " << row["key"];
      }
      EXPECT_EQ(buyer_count, row["buyers"].get<int64_t>()) << by << " " << row["key"];
    }
    // All buyers are the customers with a purchase that was not cancelled or returned.
    auto db = Database::Open(db_);
    ASSERT_TRUE(db.ok());
    EXPECT_EQ(r["all"]["buyers"].get<int64_t>(),
              (*db)
                  ->QueryInt("SELECT count(DISTINCT o.customer_id) FROM orders o JOIN order_lines l "
                             "ON l.order_id = o.id WHERE o.status NOT IN ('cancelled', 'returned')")
                  .value());
    for (const auto& cell : r["all"]["groups"]) EXPECT_NEAR(cell["index"].get<double>(), 100, 1e-9);
    if (std::string(by) == "age") {
      // The generator makes under-30s 1.8 times as keen on phones.
      double young_index = 0, older_index = 0;
      for (const auto& row : r["rows"]) {
        if (row["key"] != "electronics/phones") continue;
        for (const auto& cell : row["groups"]) {
          if (cell["group"] == "under 25") young_index = cell["index"].get<double>();
          if (cell["group"] == "55-64") older_index = cell["index"].get<double>();
        }
      }
      EXPECT_GT(young_index, 105);
      EXPECT_GT(young_index, older_index + 10);
    }
  }
  // --category keeps that category and the ones below it.
  Output electronics = Patron({"--db", db_, "--json", "insight", "products", "--category", "electronics",
                               "--until", "2026-11-01", "--top", "3"});
  ASSERT_EQ(electronics.exit_code, 0) << electronics.text;
  json e = json::parse(electronics.text);
  int categories = 0, products = 0;
  for (const auto& row : e["rows"]) {
    if (row["kind"] == "category") {
      ++categories;
      EXPECT_EQ(row["key"].get<std::string>().rfind("electronics/", 0), 0u) << row["key"];
    } else {
      ++products;
    }
  }
  EXPECT_EQ(categories, 3);  // phones, accessories, tablets
  EXPECT_EQ(products, 3);
  Output unknown = Patron({"--db", db_, "insight", "products", "--category", "no-such-thing"});
  EXPECT_NE(unknown.exit_code, 0);
  EXPECT_NE(unknown.text.find("no product category"), std::string::npos) << unknown.text;
}

// `model score --incremental` after an import of new orders rescores only the
// buyers of those orders, and gives them exactly what a full scoring gives.
TEST_F(ModelsCliTest, IncrementalScoringRescoresOnlyWhoChanged) {
  ImportDemo(800);
  const std::vector<std::string> score = {"--db", db_, "--json", "model", "score", "--as-of", "2026-11-01"};
  auto run = [&](bool incremental) {
    std::vector<std::string> args = score;
    if (incremental) args.push_back("--incremental");
    Output out = Patron(args);
    EXPECT_EQ(out.exit_code, 0) << out.text;
    json j = json::parse(out.text, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << out.text;
    return j;
  };
  json full = run(false);
  const int64_t customers = full["customers"].get<int64_t>();
  ASSERT_GT(customers, 500);
  EXPECT_FALSE(full["incremental"].get<bool>());
  // Nothing new: nobody is rescored.
  json idle = run(true);
  EXPECT_TRUE(idle["incremental"].get<bool>());
  EXPECT_EQ(idle["customers"].get<int64_t>(), 0);
  EXPECT_EQ(idle["unchanged"].get<int64_t>(), customers);

  // Two CRM customers buy again.
  const std::string orders = (dir_ / "new_orders.csv").string();
  {
    std::FILE* f = std::fopen(orders.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs(
        "order_id,line_no,customer_id,ordered_at,status,channel,sku,category,quantity,unit_price,currency\n"
        "NEW-1,1,CRM-000001,2026-11-01T10:00:00Z,completed,web,TAB-0001,electronics/tablets,1,500.00,EUR\n"
        "NEW-2,1,CRM-000002,2026-11-01T11:00:00Z,completed,app,ACC-0011,electronics/phone-accessories,2,19.00,EUR\n",
        f);
    std::fclose(f);
  }
  auto db = Database::Open(db_);
  ASSERT_TRUE(db.ok());
  // Every trait but the time of scoring, per customer, for the ones not buying now.
  const std::string others =
      "SELECT group_concat(t.customer_id || coalesce(rfm_segment, '') || lifecycle_stage || purchase_days || "
      "coalesce(p_alive, '') || coalesce(clv_12m_minor, '') || coalesce(recommended_products, '') || "
      "coalesce(category_propensity_30d, '') || coalesce(best_channel, '') || coalesce(lead_stage, ''), ';') "
      "FROM customer_traits t WHERE t.customer_id NOT IN (SELECT customer_id FROM orders WHERE order_number "
      "LIKE 'NEW-%')";
  auto text = [&](const std::string& sql) {
    auto stmt = (*db)->Prepare(sql);
    EXPECT_TRUE(stmt.ok()) << stmt.status().ToString();
    auto row = (*stmt)->Step();
    EXPECT_TRUE(row.ok() && *row);
    return (*stmt)->IsNull(0) ? std::string() : (*stmt)->String(0);
  };
  Output imported = Patron({"--db", db_, "import", "orders", orders, "--source", "webshop"});
  ASSERT_EQ(imported.exit_code, 0) << imported.text;
  const std::string others_before = text(others);  // the import writes no traits
  const std::string buyers =
      "SELECT group_concat(t.customer_id || rfm_segment || lifecycle_stage || purchase_days || p_alive || "
      "clv_12m_minor || recommended_products || coalesce(best_channel, ''), ';') FROM customer_traits t "
      "WHERE t.customer_id IN (SELECT customer_id FROM orders WHERE order_number LIKE 'NEW-%')";
  const std::string buyers_before = text(buyers);

  json incremental = run(true);
  EXPECT_TRUE(incremental["incremental"].get<bool>());
  EXPECT_EQ(incremental["customers"].get<int64_t>(), 2);
  EXPECT_EQ(incremental["unchanged"].get<int64_t>(), customers - 2);
  const std::string buyers_incremental = text(buyers);
  EXPECT_TRUE(buyers_incremental != buyers_before);  // a new purchase changes their traits
  EXPECT_GT(others_before.size(), 10000u);
  EXPECT_TRUE(text(others) == others_before);        // nobody else was touched

  json again = run(false);
  EXPECT_EQ(again["customers"].get<int64_t>(), customers);
  EXPECT_TRUE(text(buyers) == buyers_incremental);  // the same as a full scoring
}

TEST_F(ModelsCliTest, RecommendationsBeatMostPopularOnDemoData) {
  ImportDemo(3000);
  std::string split;
  {
    auto db = Database::Open(db_);
    ASSERT_TRUE(db.ok());
    // Test on the last 120 days of orders.
    const int64_t last = (*db)->QueryInt("SELECT max(ordered_at) FROM orders").value();
    split = FormatInstant(Instant{last - int64_t{120} * 86'400'000'000}).substr(0, 10);
  }
  Output eval = Patron({"--db", db_, "model", "evaluate", "recommendations", "--split", split,
                        "--days", "120", "--json"});
  ASSERT_EQ(eval.exit_code, 0) << eval.text;
  json e = json::parse(eval.text, nullptr, false);
  ASSERT_FALSE(e.is_discarded()) << eval.text;
  EXPECT_GT(e["customers"].get<int>(), 100) << eval.text;
  EXPECT_GT(e["item_to_item"]["ndcg"].get<double>(), e["most_popular"]["ndcg"].get<double>())
      << eval.text;
  EXPECT_GT(e["item_to_item"]["hit_rate"].get<double>(),
            e["most_popular"]["hit_rate"].get<double>())
      << eval.text;
  std::printf("%s\n", eval.text.c_str());

  // The CLV forecast against what happened after the split.
  Output check = Patron(
      {"--db", db_, "--json", "model", "evaluate", "clv", "--split", split, "--days", "119"});
  ASSERT_EQ(check.exit_code, 0) << check.text;
  json c = json::parse(check.text, nullptr, false);
  ASSERT_FALSE(c.is_discarded()) << check.text;
  EXPECT_EQ(c["holdout_weeks"].get<int>(), 17);
  EXPECT_EQ(c["groups"].size(), 8u);
  EXPECT_GT(c["customers"].get<int>(), 100);
  EXPECT_GT(c["predicted_total"].get<double>(), 0);

  // Purchase propensity as of the last order day: one model per category with
  // enough buyers, and a reliability table whose top decile buys more than its bottom.
  Output prop = Patron({"--db", db_, "model", "fit", "propensity", "--until", split, "--json"});
  ASSERT_EQ(prop.exit_code, 0) << prop.text;
  json p = json::parse(prop.text, nullptr, false);
  ASSERT_FALSE(p.is_discarded()) << prop.text;
  ASSERT_FALSE(p["categories"].empty()) << prop.text;
  for (const auto& c : p["categories"]) {
    if (c["reliability"].empty()) continue;
    EXPECT_GE(c["reliability"].back()["observed_rate"].get<double>(),
              c["reliability"].front()["observed_rate"].get<double>())
        << c.dump();
  }
}

TEST_F(ModelsCliTest, BadDatesAndEmptyDatabasesFailClearly) {
  Output bad = Patron({"--db", db_, "model", "fit", "clv", "--until", "not-a-date"});
  EXPECT_EQ(bad.exit_code, 1) << bad.text;
  EXPECT_NE(bad.text.find("--until"), std::string::npos) << bad.text;
  Output empty = Patron({"--db", db_, "model", "fit", "clv", "--until", "2024-01-01"});
  EXPECT_EQ(empty.exit_code, 1) << empty.text;
  EXPECT_NE(empty.text.find("no purchases"), std::string::npos) << empty.text;
  Output usage = Patron({"--db", db_, "model", "fit"});
  EXPECT_EQ(usage.exit_code, 2) << usage.text;
}

}  // namespace
}  // namespace patron
