// Fitting and scoring against a real SQLite file: synthetic orders drawn from
// known BG/NBD parameters go in, fits and customer_traits come out.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <string>

#include "models/models.h"

namespace patron::models {
namespace {

namespace fs = std::filesystem;
constexpr int64_t kMicrosPerDay = 86'400'000'000;

class StoreModelsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (fs::temp_directory_path() /
             ("patron_models_" + std::to_string(::getpid()) + "_" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db"))
                .string();
    Cleanup();
    auto db = Database::Open(path_);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(*db);
    ASSERT_TRUE(db_->Exec("INSERT INTO sources(id, name, created_at) VALUES (1, 'test', 0)").ok());
  }
  void TearDown() override {
    db_.reset();
    Cleanup();
  }
  void Cleanup() {
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path_ + suffix);
  }

  // Customers 1..n buying as BG/NBD with `params` over 78 weeks from
  // 2020-01-01, each order worth 10-30 EUR; plus `prospects` customers with no
  // orders, the first of which also has an event.
  void Populate(const BgNbdParams& params, int n, int prospects) {
    auto streams = SimulateBgNbdPurchases(params, n, 12, 78, 99);
    const int64_t start_day = CivilDate{2020, 1, 1}.ToDays();
    ASSERT_TRUE(db_->Begin().ok());
    auto customer =
        db_->Prepare("INSERT INTO customers(id, created_at, updated_at) VALUES (?, 0, 0)");
    auto order = db_->Prepare(
        "INSERT INTO orders(customer_id, order_number, ordered_at, currency, total_minor, "
        "source_id, status) "
        "VALUES (?, ?, ?, 'EUR', ?, 1, ?)");
    ASSERT_TRUE(customer.ok() && order.ok());
    int order_number = 0;
    for (int i = 0; i < n + prospects; ++i) {
      ASSERT_TRUE((*customer)->Bind(1, int64_t{i + 1}).Run().ok());
      if (i >= n) continue;
      for (double week : streams[i]) {
        const int64_t at =
            (start_day + static_cast<int64_t>(week * 7)) * kMicrosPerDay + 3600'000'000;
        (*order)->Bind(1, int64_t{i + 1}).Bind(2, std::to_string(++order_number)).Bind(3, at);
        (*order)->Bind(4, int64_t{1000 + (order_number * 7919) % 2000}).Bind(5, "completed");
        ASSERT_TRUE((*order)->Run().ok());
      }
    }
    ASSERT_TRUE(db_->Commit().ok());
    if (prospects < 2) return;
    ASSERT_TRUE(db_->Begin().ok());
    // A cancelled order is not a purchase.
    (*order)->Bind(1, int64_t{n + 2}).Bind(2, "cancelled-1").Bind(3, start_day * kMicrosPerDay);
    (*order)->Bind(4, int64_t{5000}).Bind(5, "cancelled");
    ASSERT_TRUE((*order)->Run().ok());
    ASSERT_TRUE(db_->Exec("INSERT INTO events(customer_id, type, occurred_at, received_at, "
                          "source_id, source_key) "
                          "VALUES (" +
                          std::to_string(n + 1) + ", 'newsletter_signup', " +
                          std::to_string(CivilDate{2021, 6, 1}.ToDays() * kMicrosPerDay) +
                          ", 0, 1, 'e1')")
                    .ok());
    ASSERT_TRUE(db_->Commit().ok());
  }

  std::string path_;
  std::unique_ptr<Database> db_;
};

TEST_F(StoreModelsTest, FitRecoversSimulatedParametersAndIsStored) {
  const BgNbdParams truth{0.5, 6, 0.8, 2.5};
  Populate(truth, 6000, 0);
  ModelRunOptions options;
  options.until = CivilDate{2021, 6, 30};  // 78 weeks
  ManualClock clock(Instant::FromSeconds(1700000000));
  auto fit = FitClv(*db_, options, clock);
  ASSERT_TRUE(fit.ok()) << fit.status().ToString();
  EXPECT_EQ(fit->customers_with_orders, 6000);
  const auto& p = fit->purchases.params;
  // Day-grained dates and sampling noise: within 20 % of the truth.
  EXPECT_NEAR(p.r, truth.r, 0.2 * truth.r);
  EXPECT_NEAR(p.alpha, truth.alpha, 0.2 * truth.alpha);
  EXPECT_NEAR(p.a, truth.a, 0.3 * truth.a);
  EXPECT_NEAR(p.b, truth.b, 0.3 * truth.b);
  ASSERT_EQ(fit->spend.size(), 1u);
  EXPECT_EQ(fit->spend[0].currency, "EUR");

  auto latest = LatestClvFit(*db_);
  ASSERT_TRUE(latest.ok()) << latest.status().ToString();
  ASSERT_TRUE(latest->has_value());
  EXPECT_DOUBLE_EQ((*latest)->purchases.params.r, p.r);
  EXPECT_DOUBLE_EQ((*latest)->purchases.log_likelihood, fit->purchases.log_likelihood);
  EXPECT_EQ((*latest)->until, options.until);
  ASSERT_EQ((*latest)->spend.size(), 1u);
  EXPECT_DOUBLE_EQ((*latest)->spend[0].fit.params.q, fit->spend[0].fit.params.q);
}

TEST_F(StoreModelsTest, ScoreWritesTraitsForEveryCustomer) {
  Populate(BgNbdParams{0.5, 6, 0.8, 2.5}, 2000, 3);
  ModelRunOptions options;
  options.until = CivilDate{2021, 6, 30};
  ManualClock clock(Instant::FromSeconds(1700000000));
  auto report = ScoreCustomers(*db_, options, clock);  // fits first: nothing stored yet
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_FALSE(report->used_stored_fit);
  EXPECT_EQ(report->customers, 2003);
  EXPECT_EQ(report->buyers, 2000);
  EXPECT_EQ(db_->QueryInt("SELECT count(*) FROM customer_traits").value(), 2003);
  EXPECT_EQ(db_->QueryInt("SELECT count(*) FROM customer_traits WHERE rfm_segment IS NULL").value(),
            3);
  EXPECT_EQ(
      db_->QueryInt("SELECT count(*) FROM customer_traits WHERE lifecycle_stage = 'lead'").value(),
      1);
  EXPECT_EQ(db_->QueryInt("SELECT count(*) FROM customer_traits WHERE lifecycle_stage = 'prospect'")
                .value(),
            2);
  EXPECT_EQ(db_->QueryInt("SELECT count(*) FROM customer_traits WHERE p_alive < 0 OR p_alive > 1 "
                          "OR abs(churn_risk - (1 - p_alive)) > 1e-12 OR clv_12m_minor < 0")
                .value(),
            0);
  // Every order was placed at 01:xx UTC, so that is everyone's best hour of the
  // day; the prospect without any activity has none.
  EXPECT_EQ(db_->QueryInt("SELECT count(*) FROM customer_traits WHERE purchase_days > 0 AND "
                          "(best_send_hour IS NULL OR best_send_hour % 24 <> 1)")
                .value(),
            0);
  EXPECT_EQ(
      db_->QueryInt("SELECT count(*) FROM customer_traits WHERE best_send_hour IS NULL").value(),
      1);
  // Lead scores only for people who have not bought; the newsletter sign-up
  // 29 days before scoring is worth 10 points halved by 29/30 of a half-life.
  EXPECT_EQ(
      db_->QueryInt("SELECT count(*) FROM customer_traits WHERE lead_stage IS NOT NULL").value(),
      3);
  auto lead =
      db_->Prepare("SELECT lead_score, lead_stage FROM customer_traits WHERE lead_score > 0");
  ASSERT_TRUE(lead.ok());
  ASSERT_TRUE(*(*lead)->Step());
  EXPECT_NEAR((*lead)->Double(0), 10 * std::exp2(-30.0 / 30), 0.6);
  EXPECT_EQ((*lead)->String(1), "lead");
  EXPECT_FALSE(*(*lead)->Step());
  // Buyers who bought often and recently are worth more than the lost.
  auto champions = db_->QueryInt(
      "SELECT avg(clv_12m_minor) FROM customer_traits WHERE rfm_segment = 'champions'");
  auto lost =
      db_->QueryInt("SELECT avg(clv_12m_minor) FROM customer_traits WHERE rfm_segment = 'lost'");
  ASSERT_TRUE(champions.ok() && lost.ok());
  EXPECT_GT(*champions, *lost);
  // Everyone's first purchase is in the first 12 weeks, so nobody is "new" or
  // "promising" (a single recent purchase); the other eight groups all occur.
  EXPECT_EQ(db_->QueryInt("SELECT count(DISTINCT rfm_segment) FROM customer_traits").value(), 8);

  // Scoring again uses the stored fit and replaces, not appends.
  auto again = ScoreCustomers(*db_, options, clock);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->used_stored_fit);
  EXPECT_EQ(db_->QueryInt("SELECT count(*) FROM customer_traits").value(), 2003);
  EXPECT_EQ(db_->QueryInt("SELECT count(*) FROM model_fits WHERE model = 'bgnbd'").value(), 1);
}

TEST_F(StoreModelsTest, FittingWithoutPurchasesIsAClearError) {
  ModelRunOptions options;
  options.until = CivilDate{2021, 6, 30};
  ManualClock clock(Instant::FromSeconds(1700000000));
  auto fit = FitClv(*db_, options, clock);
  ASSERT_FALSE(fit.ok());
  EXPECT_EQ(fit.status().code(), StatusCode::kFailedPrecondition);
  // Scoring still assigns lifecycle stages.
  auto score = ScoreCustomers(*db_, options, clock);
  ASSERT_TRUE(score.ok()) << score.status().ToString();
  EXPECT_EQ(score->customers, 0);
}

}  // namespace
}  // namespace patron::models
