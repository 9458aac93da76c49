// Targeting suggestions against a store whose every figure is computed by hand
// below: one email campaign whose "loyal" recipients convert significantly
// above the other recipients, "lapsed" significantly below, and "new" too few
// to judge; one SMS campaign too small for anything.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <unistd.h>

#include "engine/engine.h"
#include "report/report.h"
#include "segment/segment.h"
#include "store/store.h"

namespace patron::report {
namespace {

namespace fs = std::filesystem;

int64_t T(const char* iso) { return ParseInstant(iso)->micros; }

// The store (customer ids by acquisition_channel, which the segments select):
//   1..400     store   "loyal"  email target; 1..40 ordered within the goal window; 1..100 clicked
//   401..800   social  "lapsed" email target; 401..404 ordered
//   801..820   app     "new"    email target; 801..802 ordered
//   821..1220  web     (no segment) email target; 821..840 ordered
//   1221..1320 store   "loyal"  email holdout; 1221..1222 ordered
// Every order: 50.00 EUR on 2024-03-05, two days after the send (goal: any
// purchase within 14 days). SMS campaign on 2024-06-01 to 1..10 and 821..830:
// no order after it.
class SuggestionFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("patron_suggest_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    auto db = Database::Open((dir_ / "p.db").string());
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(*db);
    const std::string created = std::to_string(T("2024-01-01"));
    const std::string email_sent = std::to_string(T("2024-03-03T09:00:00Z"));
    const std::string sms_sent = std::to_string(T("2024-06-01T09:00:00Z"));
    const std::string ids = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1320) ";
    Exec("INSERT INTO sources(id, name, kind, created_at) VALUES (1, 'crm', 'internal', 0)");
    Exec("INSERT INTO customers(id, acquisition_channel, source_id, created_at, updated_at) " + ids +
         "SELECT i, CASE WHEN i <= 400 OR i > 1220 THEN 'store' WHEN i <= 800 THEN 'social' WHEN i <= 820 THEN 'app' "
         "ELSE 'web' END, 1, " + created + ", " + created + " FROM n");
    Exec("INSERT INTO orders(id, customer_id, order_number, ordered_at, status, currency, total_minor, source_id) " +
         ids + "SELECT i, i, 'o' || i, " + std::to_string(T("2024-03-05T10:00:00Z")) +
         ", 'completed', 'EUR', 5000, 1 FROM n WHERE i <= 40 OR i BETWEEN 401 AND 404 OR i BETWEEN 801 AND 802 "
         "OR i BETWEEN 821 AND 840 OR i BETWEEN 1221 AND 1222");
    Exec("INSERT INTO campaigns(id, name, status, channel, audience, cost_per_message_minor, currency, seed, "
         "created_at, updated_at, prepared_at, started_at) VALUES "
         "(1, 'spring', 'done', 'email', 'everyone', 0, 'EUR', 1, " + created + ", 0, " +
         std::to_string(T("2024-03-02")) + ", " + std::to_string(T("2024-03-03")) + "), "
         "(2, 'summer sms', 'done', 'sms', 'everyone', 0, 'EUR', 1, " + created + ", 0, " +
         std::to_string(T("2024-05-31")) + ", " + std::to_string(T("2024-06-01")) + ")");
    Exec("INSERT INTO campaign_recipients(campaign_id, customer_id, grp, variant, status, sent_at, clicked_at) " + ids +
         "SELECT 1, i, CASE WHEN i > 1220 THEN 'holdout' ELSE 'target' END, CASE WHEN i > 1220 THEN NULL ELSE 'A' END, "
         "CASE WHEN i > 1220 THEN 'skipped' ELSE 'sent' END, CASE WHEN i > 1220 THEN NULL ELSE " + email_sent +
         " END, CASE WHEN i <= 100 THEN " + email_sent + " + 1 END FROM n");
    Exec("INSERT INTO campaign_recipients(campaign_id, customer_id, grp, variant, status, sent_at) " + ids +
         "SELECT 2, i, 'target', 'A', 'sent', " + sms_sent + " FROM n WHERE i <= 10 OR i BETWEEN 821 AND 830");
    ManualClock clock(now_);
    ASSERT_TRUE(segment::SaveSegment(*db_, "loyal", "acquisition_channel = \"store\"", "", clock).ok());
    ASSERT_TRUE(segment::SaveSegment(*db_, "lapsed", "acquisition_channel = \"social\"", "", clock).ok());
    ASSERT_TRUE(segment::SaveSegment(*db_, "new", "acquisition_channel = \"app\"", "", clock).ok());
    auto snapshot = engine::BuildSnapshot(*db_, clock);
    ASSERT_TRUE(snapshot.ok()) << snapshot.status().ToString();
    snapshot_ = *snapshot;
  }
  void TearDown() override {
    snapshot_.reset();
    db_.reset();
    fs::remove_all(dir_);
  }
  void Exec(const std::string& sql) { ASSERT_TRUE(db_->Exec(sql).ok()) << sql; }

  Instant now_{T("2024-07-01")};
  fs::path dir_;
  std::unique_ptr<Database> db_;
  std::shared_ptr<const engine::Snapshot> snapshot_;
};

TEST_F(SuggestionFixture, SignificantWinnerAndLoserAndTooSmallFlagged) {
  ManualClock clock(now_);
  auto got = TargetingSuggestions(*db_, *snapshot_, SuggestionOptions{}, clock);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  // email: loyal (target), lapsed (suppress), new (no suggestion); sms: loyal only
  // (the other segments got no SMS).
  ASSERT_EQ(got->size(), 4u);
  const Suggestion& loyal = (*got)[0];
  const Suggestion& lapsed = (*got)[1];
  const Suggestion& fresh = (*got)[2];
  const Suggestion& sms = (*got)[3];
  EXPECT_EQ(loyal.channel, "email");
  EXPECT_EQ(loyal.segment, "loyal");
  EXPECT_EQ(lapsed.segment, "lapsed");
  EXPECT_EQ(fresh.segment, "new");
  EXPECT_EQ(sms.channel, "sms");
  EXPECT_EQ(sms.segment, "loyal");

  // Email recipients: 1220 messages, 66 conversions.
  // loyal: 40/400 = 10 % against the rest's 26/820 = 3.1707 %. Pooled p = 66/1220
  // = 0.054098; se = sqrt(p(1-p)(1/400 + 1/820)) = 0.013796; z = 0.068293/0.013796
  // = 4.9501; two-sided p = 7.4e-7. Expected conversions 21.6 and 44.4 (>= 5).
  // Ratio 0.1/0.031707 = 3.1538; log-scale se sqrt(1/40 - 1/400 + 1/26 - 1/820)
  // = 0.24446: 95 % CI 3.1538·e^(∓1.96·0.24446) = 1.9534 .. 5.0921.
  // Wilson interval of 40/400: 0.0743 .. 0.1333.
  EXPECT_EQ(loyal.action, "target");
  EXPECT_EQ(loyal.reason, "higher");
  EXPECT_EQ(loyal.campaigns, 1);
  EXPECT_EQ(loyal.reach, 400);
  EXPECT_EQ(loyal.converted, 40);
  EXPECT_EQ(loyal.rest_reach, 820);
  EXPECT_EQ(loyal.rest_converted, 26);
  EXPECT_DOUBLE_EQ(loyal.conversion_rate, 0.1);
  EXPECT_NEAR(loyal.rest_rate, 0.031707, 1e-6);
  EXPECT_NEAR(loyal.z, 4.9501, 1e-4);
  EXPECT_LT(loyal.p_value, 1e-6);
  ASSERT_TRUE(loyal.ratio.has_value());
  EXPECT_NEAR(*loyal.ratio, 3.1538, 1e-4);
  EXPECT_NEAR(*loyal.ratio_ci_low, 1.9534, 1e-4);
  EXPECT_NEAR(*loyal.ratio_ci_high, 5.0921, 1e-4);
  EXPECT_NEAR(loyal.rate_ci_low, 0.0743, 1e-4);
  EXPECT_NEAR(loyal.rate_ci_high, 0.1333, 1e-4);
  // Clicks: 100 of 400, none among the rest. Revenue per message: 40 · 5000 / 400
  // = 500 minor units; the rest 26 · 5000 / 820 = 158.54.
  EXPECT_DOUBLE_EQ(loyal.click_rate, 0.25);
  EXPECT_DOUBLE_EQ(loyal.rest_click_rate, 0.0);
  EXPECT_EQ(loyal.currency, "EUR");
  ASSERT_TRUE(loyal.revenue_per_message.has_value());
  EXPECT_DOUBLE_EQ(*loyal.revenue_per_message, 500.0);
  EXPECT_NEAR(*loyal.rest_revenue_per_message, 158.5366, 1e-4);
  // Against its own holdout (100 members, 2 converted = 2 %): lift 8 points,
  // se = sqrt(0.1·0.9/400 + 0.02·0.98/100) = 0.020518; CI 0.0398 .. 0.1202.
  EXPECT_EQ(loyal.holdout, 100);
  EXPECT_EQ(loyal.holdout_converted, 2);
  ASSERT_TRUE(loyal.lift_available);
  EXPECT_NEAR(loyal.lift, 0.08, 1e-9);
  EXPECT_NEAR(loyal.lift_ci_low, 0.0398, 1e-4);
  EXPECT_NEAR(loyal.lift_ci_high, 0.1202, 1e-4);
  EXPECT_TRUE(loyal.lift_significant);
  EXPECT_NE(loyal.message.find("target it in the next email campaign"), std::string::npos) << loyal.message;
  EXPECT_NE(loyal.message.find("10.0 % vs 3.2 %"), std::string::npos) << loyal.message;

  // lapsed: 4/400 = 1 % against 62/820 = 7.561 %; z = -0.06561/0.013796 = -4.7557;
  // ratio 0.1323 (CI 0.0485 .. 0.3610). No holdout member: no lift.
  EXPECT_EQ(lapsed.action, "suppress");
  EXPECT_EQ(lapsed.reason, "lower");
  EXPECT_EQ(lapsed.rest_converted, 62);
  EXPECT_NEAR(lapsed.z, -4.7557, 1e-4);
  EXPECT_NEAR(*lapsed.ratio, 0.1323, 1e-4);
  EXPECT_NEAR(*lapsed.ratio_ci_low, 0.0485, 1e-4);
  EXPECT_NEAR(*lapsed.ratio_ci_high, 0.3610, 1e-4);
  EXPECT_FALSE(lapsed.lift_available);
  EXPECT_NE(lapsed.message.find("suppress it from email campaigns or change the offer"), std::string::npos);

  // new: 2/20 = 10 % looks as good as loyal, but 20 messages are under the
  // minimum of 100 and 1.08 conversions are expected at the pooled rate: no
  // suggestion (its p = 0.36 would not be significant either).
  EXPECT_EQ(fresh.action, "");
  EXPECT_EQ(fresh.reason, "small_sample");
  EXPECT_EQ(fresh.reach, 20);
  EXPECT_NEAR(fresh.p_value, 0.3602, 1e-4);
  EXPECT_NE(fresh.message.find("too few to judge"), std::string::npos) << fresh.message;

  // sms: 10 loyal and 10 other messages, no conversion: nothing to judge, no ratio.
  EXPECT_EQ(sms.reach, 10);
  EXPECT_EQ(sms.rest_reach, 10);
  EXPECT_EQ(sms.reason, "small_sample");
  EXPECT_FALSE(sms.ratio.has_value());
}

TEST_F(SuggestionFixture, OptionsTableAndErrors) {
  ManualClock clock(now_);
  SuggestionOptions only_sms;
  only_sms.channel = "sms";
  auto sms = TargetingSuggestions(*db_, *snapshot_, only_sms, clock);
  ASSERT_TRUE(sms.ok());
  ASSERT_EQ(sms->size(), 1u);
  EXPECT_EQ(sms->front().channel, "sms");

  // With a minimum of 500 messages, loyal's 400 are too few.
  SuggestionOptions strict;
  strict.min_reach = 500;
  auto got = TargetingSuggestions(*db_, *snapshot_, strict, clock);
  ASSERT_TRUE(got.ok());
  for (const Suggestion& s : *got) EXPECT_EQ(s.reason, "small_sample") << s.segment;

  // Given segments instead of the saved ones.
  SuggestionOptions given;
  given.segments = {{"web", "acquisition_channel = \"web\""}};
  got = TargetingSuggestions(*db_, *snapshot_, given, clock);
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 2u);  // email and sms
  // web: 20/400 = 5 % against 46/820 = 5.61 %: not significant.
  EXPECT_EQ(got->front().segment, "web");
  EXPECT_EQ(got->front().reason, "not_significant");
  EXPECT_NE(got->front().message.find("not significant"), std::string::npos);

  Table t = SuggestionTable(*got);
  EXPECT_EQ(t.name, "suggestions");
  EXPECT_EQ(t.columns[0], "channel");
  EXPECT_EQ(t.columns[2], "action");
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[0].size(), t.columns.size());
  EXPECT_EQ(t.rows[0][1], "web");

  given.segments = {{"broken", "bought(("}};
  auto bad = TargetingSuggestions(*db_, *snapshot_, given, clock);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("broken"), std::string::npos) << bad.status().ToString();
}

TEST_F(SuggestionFixture, WeeklyReportRecommendsTheSignificantOnes) {
  ManualClock clock(now_);
  WeeklyOptions options;
  options.now = Instant{T("2024-03-25T12:00:00Z")};
  options.record_quality = false;
  auto en = BuildWeeklyReport(*db_, *snapshot_, options, clock);
  ASSERT_TRUE(en.ok()) << en.status().ToString();
  std::string all;
  for (const std::string& a : en->actions) all += a + "\n";
  EXPECT_NE(all.find("Target segment “loyal” in the next email campaign"), std::string::npos) << all;
  EXPECT_NE(all.find("Segment “lapsed” responded below average to email campaigns"), std::string::npos) << all;
  EXPECT_EQ(all.find("“new”"), std::string::npos) << "too small to suggest anything: " << all;
  options.language = "fa";
  auto fa = BuildWeeklyReport(*db_, *snapshot_, options, clock);
  ASSERT_TRUE(fa.ok()) << fa.status().ToString();
  all.clear();
  for (const std::string& a : fa->actions) all += a + "\n";
  EXPECT_NE(all.find("بخش «loyal» را در کمپین email بعدی هدف بگیرید"), std::string::npos) << all;
  EXPECT_NE(all.find("بخش «lapsed» به کمپین‌های email کمتر از میانگین پاسخ داد"), std::string::npos) << all;
  EXPECT_NE(fa->html.find("بخش «loyal»"), std::string::npos);
}

}  // namespace
}  // namespace patron::report
