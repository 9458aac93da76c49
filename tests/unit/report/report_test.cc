// Reports against a small store whose every number is computed by hand in the
// comments below (period: March 2024; the previous period is the 31 days
// before it, 2024-01-30 .. 2024-02-29), and cohorts against an independent
// SQL computation on the same data.
#include <gtest/gtest.h>
#include <roaring/roaring.hh>

#include <filesystem>
#include <fstream>
#include <map>

#include "engine/engine.h"
#include "identity/identity.h"
#include "report/report.h"
#include "report/report_internal.h"
#include "segment/segment.h"
#include "store/store.h"

namespace patron::report {
namespace {

namespace fs = std::filesystem;

int64_t T(const char* iso) { return ParseInstant(iso)->micros; }

class ReportFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("patron_report_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    auto db = Database::Open((dir_ / "p.db").string());
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(*db);
    Exec("INSERT INTO sources(id, name, kind, created_at) VALUES (1, 'crm', 'internal', 0), (2, 'ads', 'external', 0)");
    // C1 web/crm 2023-12-01; C2 web/crm 2024-02-05; C3 social/ads 2024-03-10;
    // C4 social/ads 2024-03-15; C5 created after the period; C6 store/crm 2024-01-15.
    Customer(1, "2023-12-01", "web", 1);
    Customer(2, "2024-02-05", "web", 1);
    Customer(3, "2024-03-10", "social", 2);
    Customer(4, "2024-03-15", "social", 2);
    Customer(5, "2024-04-02", "web", 1);
    Customer(6, "2024-01-15", "store", 1);
    Order(1, 1, "2024-02-10T10:00:00Z", 10000, "EUR", "completed");
    Order(2, 1, "2024-03-05T10:00:00Z", 5000, "EUR", "completed");
    Order(3, 2, "2024-02-20T10:00:00Z", 2000, "EUR", "completed");
    Order(4, 3, "2024-03-12T10:00:00Z", 3000, "EUR", "completed");
    Order(5, 3, "2024-03-20T10:00:00Z", 9900, "EUR", "cancelled");
    Order(6, 3, "2024-03-25T10:00:00Z", 1000, "EUR", "completed");
    Order(7, 6, "2024-03-02T10:00:00Z", 50000, "SEK", "completed");
    Order(8, 5, "2024-04-03T10:00:00Z", 7000, "EUR", "completed");
    Event(1, 4, "page_viewed", "2024-03-16T10:00:00Z");
    Event(2, 4, "page_viewed", "2024-03-16T11:00:00Z");
    Event(3, 4, "page_viewed", "2024-03-18T09:00:00Z");
    Event(4, 4, "message_sent", "2024-03-17T09:00:00Z");
    Event(5, 4, "message_clicked", "2024-03-17T09:30:00Z");
    Event(6, 6, "message_opened", "2024-03-03T08:00:00Z");
    Event(7, 2, "page_viewed", "2024-04-05T08:00:00Z");  // after the period
    // Model traits: predicted 12-month values 40.00 and 20.00 EUR; C4 is an MQL.
    Exec("INSERT INTO customer_traits(customer_id, lifecycle_stage, clv_12m_minor, currency, computed_at) VALUES "
         "(1, 'repeat', 4000, 'EUR', 0), (3, 'repeat', 2000, 'EUR', 0)");
    Exec("INSERT INTO customer_traits(customer_id, lifecycle_stage, lead_stage, computed_at) VALUES (4, 'lead', 'mql', 0)");
    // A campaign at 0.50 EUR a message: sent to C4 and C6 in March, C1 held out.
    Exec("INSERT INTO campaigns(id, name, status, channel, audience, cost_per_message_minor, currency, seed, "
         "created_at, updated_at, prepared_at, started_at) VALUES (1, 'spring', 'done', 'email', 'everyone', 50, "
         "'EUR', 1, " + std::to_string(T("2024-03-01")) + ", 0, " + std::to_string(T("2024-03-02")) + ", " +
         std::to_string(T("2024-03-03")) + ")");
    Exec("INSERT INTO campaign_recipients(campaign_id, customer_id, grp, variant, status, sent_at) VALUES "
         "(1, 4, 'target', 'A', 'sent', " + std::to_string(T("2024-03-17T09:00:00Z")) + "), "
         "(1, 6, 'target', 'A', 'sent', " + std::to_string(T("2024-03-03T09:00:00Z")) + "), "
         "(1, 1, 'holdout', NULL, 'skipped', NULL), (1, 2, 'suppressed', NULL, 'skipped', NULL)");
    Exec("UPDATE campaign_recipients SET reason = 'no_consent' WHERE grp = 'suppressed'");
    // Acquisition spend: 310.00 EUR for ads/social in March; 600.00 EUR for crm over
    // Feb 1 .. Mar 31 (60 days): 310.00 falls in March, 290.00 in the previous period.
    std::ofstream(dir_ / "costs.csv") << "source,channel,from,to,amount,currency\r\n"
                                         "ads,social,2024-03-01,2024-03-31,310.00,EUR\r\n"
                                         "crm,,2024-02-01,2024-03-31,600,eur\r\n";
    ManualClock clock(Instant{T("2024-04-10")});
    auto imported = ImportAcquisitionCosts(*db_, (dir_ / "costs.csv").string(), clock);
    ASSERT_TRUE(imported.ok()) << imported.status().ToString();
    EXPECT_EQ(*imported, 2);
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
  void Customer(int id, const char* created, const char* channel, int source) {
    const int64_t t = T(created);
    Exec("INSERT INTO customers(id, acquisition_channel, source_id, created_at, updated_at) VALUES (" +
         std::to_string(id) + ", '" + channel + "', " + std::to_string(source) + ", " + std::to_string(t) + ", " +
         std::to_string(t) + ")");
  }
  void Order(int id, int customer, const char* at, int64_t minor, const char* currency, const char* status) {
    Exec("INSERT INTO orders(id, customer_id, order_number, ordered_at, status, currency, total_minor, source_id) "
         "VALUES (" + std::to_string(id) + ", " + std::to_string(customer) + ", 'o" + std::to_string(id) + "', " +
         std::to_string(T(at)) + ", '" + status + "', '" + currency + "', " + std::to_string(minor) + ", 1)");
  }
  void Event(int id, int customer, const char* type, const char* at) {
    Exec("INSERT INTO events(id, customer_id, type, occurred_at, received_at, source_id, source_key) VALUES (" +
         std::to_string(id) + ", " + std::to_string(customer) + ", '" + type + "', " + std::to_string(T(at)) + ", " +
         std::to_string(T(at)) + ", 1, 'e" + std::to_string(id) + "')");
  }
  KpiReport March(const ::Roaring* segment = nullptr) {
    KpiOptions options;
    options.period = *ParsePeriod("2024-03-01", "2024-03-31");
    options.segment = segment;
    ManualClock clock(Instant{T("2024-04-10")});
    options.clock = &clock;
    auto r = ComputeKpis(*db_, *snapshot_, options);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : KpiReport{};
  }
  static std::optional<double> Value(const KpiReport& r, const char* key, const char* breakdown = "",
                                     const char* currency = "") {
    const Kpi* k = r.Find(key, breakdown, currency);
    EXPECT_NE(k, nullptr) << key << " " << breakdown << " " << currency;
    return k ? k->value : std::nullopt;
  }
  static std::optional<double> Previous(const KpiReport& r, const char* key, const char* breakdown = "",
                                        const char* currency = "") {
    const Kpi* k = r.Find(key, breakdown, currency);
    EXPECT_NE(k, nullptr) << key;
    return k ? k->previous : std::nullopt;
  }

  fs::path dir_;
  std::unique_ptr<Database> db_;
  std::shared_ptr<const engine::Snapshot> snapshot_;
};

TEST_F(ReportFixture, CustomerKpisMatchHandComputedValues) {
  KpiReport r = March();
  // Existing by April 1: C1, C2, C3, C4, C6. New in March: C3, C4.
  EXPECT_EQ(Value(r, "customers_total"), 5);
  EXPECT_EQ(Previous(r, "customers_total"), 3);  // C1, C2, C6
  EXPECT_EQ(Value(r, "customers_new"), 2);
  EXPECT_EQ(Previous(r, "customers_new"), 1);  // C2
  EXPECT_EQ(Value(r, "customers_new", "channel=social"), 2);
  EXPECT_EQ(Value(r, "customers_new", "source=ads"), 2);
  // Active: buyers C1, C3, C6 and C4 (visits, a click).
  EXPECT_EQ(Value(r, "customers_active"), 4);
  EXPECT_EQ(Previous(r, "customers_active"), 2);
  // Buyers: C1, C3, C6; orders 1 + 2 (the cancelled one does not count) + 1.
  EXPECT_EQ(Value(r, "buyers"), 3);
  EXPECT_EQ(Value(r, "orders"), 4);
  EXPECT_EQ(Previous(r, "orders"), 2);
  EXPECT_DOUBLE_EQ(*Value(r, "purchase_frequency"), 4.0 / 3.0);
  // Previous buyers C1, C2; C1 bought again: retention 1/2, churn 1/2, lapsed 1.
  EXPECT_DOUBLE_EQ(*Value(r, "retention_rate"), 0.5);
  EXPECT_DOUBLE_EQ(*Value(r, "churn_rate"), 0.5);
  EXPECT_EQ(Value(r, "customers_lapsed"), 1);
  EXPECT_FALSE(Previous(r, "retention_rate").has_value()) << "nobody bought before the previous period";
  // Engagement: one message sent, one open, one click, visits on 2 days (two page views on the 16th).
  EXPECT_EQ(Value(r, "messages_sent"), 1);
  EXPECT_EQ(Value(r, "opens"), 1);
  EXPECT_EQ(Value(r, "clicks"), 1);
  EXPECT_EQ(Value(r, "visits"), 2);
}

TEST_F(ReportFixture, MoneyKpisArePerCurrencyInMinorUnits) {
  KpiReport r = March();
  EXPECT_EQ(Value(r, "revenue", "", "EUR"), 9000);  // 50 + 30 + 10
  EXPECT_EQ(Previous(r, "revenue", "", "EUR"), 12000);
  EXPECT_EQ(Value(r, "revenue", "", "SEK"), 50000);
  EXPECT_EQ(Value(r, "average_order_value", "", "EUR"), 3000);
  EXPECT_EQ(Previous(r, "average_order_value", "", "EUR"), 6000);
  EXPECT_EQ(Value(r, "average_order_value", "", "SEK"), 50000);
  // Lifetime EUR revenue by April 1 over EUR buyers: (15000 + 2000 + 4000) / 3.
  EXPECT_EQ(Value(r, "ltv_historical", "", "EUR"), 7000);
  EXPECT_EQ(Previous(r, "ltv_historical", "", "EUR"), 6000);  // (10000 + 2000) / 2
  // Predicted: mean of 40.00 and 20.00 EUR.
  EXPECT_EQ(Value(r, "ltv_predicted_12m", "", "EUR"), 3000);
}

TEST_F(ReportFixture, CostsCacAndReach) {
  KpiReport r = March();
  EXPECT_EQ(Value(r, "campaign_cost", "", "EUR"), 100);  // 2 messages x 0.50
  EXPECT_EQ(Value(r, "people_reached"), 2);
  EXPECT_EQ(Value(r, "cost_per_person_reached", "", "EUR"), 50);
  EXPECT_EQ(Value(r, "acquisition_cost", "", "EUR"), 62000);  // 310.00 + 31/60 of 600.00
  EXPECT_EQ(Previous(r, "acquisition_cost", "", "EUR"), 29000);  // 29/60 of 600.00
  // (62000 + 100) / 2 new customers.
  EXPECT_EQ(Value(r, "cac", "", "EUR"), 31050);
  EXPECT_EQ(Value(r, "cac", "channel=social", "EUR"), 15500);
  EXPECT_EQ(Value(r, "cac", "source=ads", "EUR"), 15500);
  EXPECT_FALSE(Value(r, "cac", "source=crm", "EUR").has_value()) << "no new crm customers in March";
  EXPECT_EQ(Previous(r, "cac", "source=crm", "EUR"), 29000);  // 290.00 for C2
  EXPECT_EQ(r.Find("cac", "", "SEK"), nullptr) << "no spend in SEK: no SEK cost KPIs";
}

TEST_F(ReportFixture, SegmentRestrictsCustomerKpis) {
  auto members = SegmentMembers(*db_, *snapshot_, "acquisition_channel = \"social\"", Instant{T("2024-04-10")});
  ASSERT_TRUE(members.ok()) << members.status().ToString();
  KpiReport r = March(members->get());
  EXPECT_EQ(Value(r, "customers_total"), 2);
  EXPECT_EQ(Value(r, "revenue", "", "EUR"), 4000);
  EXPECT_EQ(r.Find("revenue", "", "SEK"), nullptr);
  auto bad = SegmentMembers(*db_, *snapshot_, "nonsense ===", Instant{T("2024-04-10")});
  EXPECT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("segment"), std::string::npos);
}

TEST_F(ReportFixture, FunnelCountsStagesReachedByCustomersCreatedInThePeriod) {
  auto f = ComputeFunnel(*snapshot_, *ParsePeriod("2024-03-01", "2024-03-31"));
  ASSERT_TRUE(f.ok());
  // Created in March: C3 (bought) and C4 (MQL).
  EXPECT_EQ(f->leads, 2);
  EXPECT_EQ(f->mql, 2);
  EXPECT_EQ(f->sql, 1);
  EXPECT_EQ(f->customers, 1);
  EXPECT_EQ(f->previous_leads, 1);  // C2
  EXPECT_EQ(f->previous_customers, 1);
  Table t = FunnelTable(*f);
  EXPECT_EQ(t.rows[3][2], "1.0000");  // customer / sql
}

TEST_F(ReportFixture, CohortsMatchAnIndependentSqlComputation) {
  CohortOptions options;
  options.months = 3;
  options.until = Instant{T("2024-04-01")};
  options.currency = "EUR";
  auto cohorts = ComputeCohorts(*snapshot_, options);
  ASSERT_TRUE(cohorts.ok()) << cohorts.status().ToString();
  // The same triangle in SQL: first purchase month per customer, then per
  // (cohort, month offset) the buyers and their EUR revenue.
  auto q = db_->Prepare(R"(
    WITH purchases AS (
      SELECT customer_id, ordered_at, total_minor, currency,
             CAST(strftime('%Y', ordered_at / 1000000, 'unixepoch') AS INTEGER) * 12 +
             CAST(strftime('%m', ordered_at / 1000000, 'unixepoch') AS INTEGER) - 1 AS month
      FROM orders WHERE status NOT IN ('cancelled', 'returned') AND ordered_at < :until),
    firsts AS (SELECT customer_id, min(month) AS cohort FROM purchases GROUP BY customer_id)
    SELECT printf('%04d-%02d', f.cohort / 12, f.cohort % 12 + 1), p.month - f.cohort,
           count(DISTINCT p.customer_id), sum(CASE WHEN p.currency = 'EUR' THEN p.total_minor ELSE 0 END),
           (SELECT count(*) FROM firsts f2 WHERE f2.cohort = f.cohort)
    FROM purchases p JOIN firsts f USING (customer_id)
    WHERE f.cohort >= :first_month
    GROUP BY f.cohort, p.month - f.cohort)");
  ASSERT_TRUE(q.ok());
  (*q)->Bind(":until", T("2024-04-01")).Bind(":first_month", static_cast<int64_t>(2024 * 12 + 0));
  std::map<std::pair<std::string, int>, std::pair<int64_t, int64_t>> expected;
  std::map<std::string, int64_t> sizes;
  while (*(*q)->Step()) {
    expected[{(*q)->String(0), static_cast<int>((*q)->Int(1))}] = {(*q)->Int(2), (*q)->Int(3)};
    sizes[(*q)->String(0)] = (*q)->Int(4);
  }
  ASSERT_FALSE(expected.empty());
  size_t cells = 0;
  for (const CohortRow& row : cohorts->rows) {
    EXPECT_EQ(row.size, sizes[row.cohort]) << row.cohort;
    for (size_t k = 0; k < row.active.size(); ++k) {
      auto it = expected.find({row.cohort, static_cast<int>(k)});
      const int64_t active = it == expected.end() ? 0 : it->second.first;
      const int64_t revenue = it == expected.end() ? 0 : it->second.second;
      EXPECT_EQ(row.active[k], active) << row.cohort << " m" << k;
      EXPECT_EQ(row.revenue_minor[k], revenue) << row.cohort << " m" << k;
      if (it != expected.end()) ++cells;
    }
  }
  EXPECT_EQ(cells, expected.size());
  // And by hand: 2024-02 = {C1, C2}: both bought in February, C1 again in March (50.00).
  ASSERT_EQ(cohorts->rows.size(), 2u);
  EXPECT_EQ(cohorts->rows[0].cohort, "2024-02");
  EXPECT_EQ(cohorts->rows[0].active, (std::vector<int64_t>{2, 1}));
  EXPECT_EQ(cohorts->rows[0].revenue_minor, (std::vector<int64_t>{12000, 5000}));
  EXPECT_EQ(cohorts->rows[1].active, (std::vector<int64_t>{2}));  // C3 and C6
  Table t = CohortRetentionTable(*cohorts);
  EXPECT_EQ(t.rows[0][4], "0.5000");
}

TEST_F(ReportFixture, CampaignRowsCarrySuppressionAndCost) {
  ManualClock clock(Instant{T("2024-04-10")});
  auto rows = CampaignResults(*db_, clock);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 1u);
  const CampaignRow& c = rows->front();
  EXPECT_EQ(c.campaign, "spring");
  EXPECT_EQ(c.reach, 2);
  EXPECT_EQ(c.suppressed, 1);
  EXPECT_EQ(c.suppressed_by_reason.at("no_consent"), 1);
  EXPECT_EQ(c.cost_minor, 100);
  EXPECT_EQ(c.holdout, 1);
  EXPECT_TRUE(c.lift_available);
  Table t = CampaignTable(*rows);
  EXPECT_EQ(t.rows[0][1], "spring");
}

TEST(ReportTables, CsvQuotesAndJsonTypesCells) {
  Table t{"x", {"name", "value", "code"}, {{"a, \"b\"", "12.5", "007"}, {"", "-3", "x"}}};
  EXPECT_EQ(ToCsv(t), "name,value,code\r\n\"a, \"\"b\"\"\",12.5,007\r\n,-3,x\r\n");
  const std::string json = ToJson(t);
  EXPECT_NE(json.find("\"value\": 12.5"), std::string::npos) << json;
  EXPECT_NE(json.find("\"code\": \"007\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"name\": null"), std::string::npos) << json;
  EXPECT_FALSE(ParseFormat("xml").ok());
}

TEST(ReportDates, CalendarsLanguagesAndDigits) {
  const CivilDate d{2024, 3, 20};  // 1 Farvardin 1403; 10 Ramadan 1445
  EXPECT_EQ(FormatDate(d, "en", Calendar::kGregorian), "March 20, 2024");
  EXPECT_EQ(FormatDate(d, "sv", Calendar::kGregorian), "20 mars 2024");
  EXPECT_EQ(FormatDate(d, "fa", Calendar::kPersian), "۱ فروردین ۱۴۰۳");
  EXPECT_EQ(FormatDate(d, "en", Calendar::kPersian), "1 Farvardin 1403");
  EXPECT_EQ(FormatDate(d, "ar", Calendar::kIslamicCivil), "١٠ رمضان ١٤٤٥ هـ");
  EXPECT_EQ(LocalDigits("2024-03", "fa"), "۲۰۲۴-۰۳");
  EXPECT_EQ(LocalDigits("2024", "sv"), "2024");
  EXPECT_FALSE(ParseCalendar("julian").ok());
}

TEST_F(ReportFixture, CostImportErrorsNameLineAndField) {
  ManualClock clock(Instant{T("2024-04-10")});
  std::ofstream(dir_ / "bad.csv") << "source,channel,from,to,amount,currency\nads,,2024-03-01,2024-02-01,10,EUR\n";
  auto r = ImportAcquisitionCosts(*db_, (dir_ / "bad.csv").string(), clock);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("bad.csv:2: to"), std::string::npos) << r.status().message();
  std::ofstream(dir_ / "bad2.csv") << "source,from,to,amount,currency\nads,2024-03-01,2024-03-02,12.345,EUR\n";
  r = ImportAcquisitionCosts(*db_, (dir_ / "bad2.csv").string(), clock);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("bad2.csv:2: amount"), std::string::npos) << r.status().message();
}

TEST_F(ReportFixture, WeeklyReportIsSelfContainedAndRightToLeftInPersian) {
  ManualClock clock(Instant{T("2024-04-10")});
  WeeklyOptions options;
  options.now = Instant{T("2024-03-25T12:00:00Z")};
  options.language = "fa";
  options.calendar = Calendar::kPersian;
  auto w = BuildWeeklyReport(*db_, *snapshot_, options, clock);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_NE(w->html.find("<html lang=\"fa\" dir=\"rtl\""), std::string::npos);
  EXPECT_NE(w->html.find("<svg"), std::string::npos);
  EXPECT_EQ(w->html.find("<script"), std::string::npos);
  EXPECT_EQ(w->html.find("http://"), std::string::npos) << "nothing fetched";
  EXPECT_NE(w->html.find("فروردین"), std::string::npos) << "Persian month names";
  // The campaign: no target converted, the one holdout member did (C1 on March 5):
  // a negative lift with zero variance, flagged significant, and listed.
  EXPECT_NE(w->html.find("spring"), std::string::npos);
  EXPECT_NE(w->html.find("badge yes"), std::string::npos);
  options.language = "en";
  options.calendar = Calendar::kGregorian;
  w = BuildWeeklyReport(*db_, *snapshot_, options, clock);
  ASSERT_TRUE(w.ok());
  EXPECT_NE(w->html.find("dir=\"ltr\""), std::string::npos);
  EXPECT_NE(w->subject.find("March 18, 2024"), std::string::npos) << w->subject;
  options.language = "de";
  EXPECT_FALSE(BuildWeeklyReport(*db_, *snapshot_, options, clock).ok());
}

TEST_F(ReportFixture, TrendWeeksFromOnePassEqualOneScanPerWeek) {
  // Ten weeks over the fixture (2024-02-05 .. 2024-04-14): customers created,
  // orders (one cancelled), events of every kind, a customer created after some weeks.
  internal::CustomerActivity activity(*snapshot_);
  KpiOptions options;
  const Instant first{T("2024-02-05")};
  const int64_t week = 7 * internal::kMicrosPerDay;
  for (const ::Roaring* segment : {static_cast<const ::Roaring*>(nullptr)}) {
    options.segment = segment;
    std::vector<internal::PeriodFigures> weeks = internal::ComputeWeeklyFigures(activity, first, 10, options);
    ASSERT_EQ(weeks.size(), 10u);
    int64_t orders = 0, active = 0, fresh = 0;
    for (int i = 0; i < 10; ++i) {
      const Period p{Instant{first.micros + week * i}, Instant{first.micros + week * (i + 1)}};
      internal::PeriodFigures one = internal::ComputePeriodFigures(activity, p, options);
      EXPECT_EQ(weeks[i].orders, one.orders) << "week " << i;
      EXPECT_EQ(weeks[i].active, one.active) << "week " << i;
      EXPECT_EQ(weeks[i].new_customers, one.new_customers) << "week " << i;
      EXPECT_EQ(weeks[i].revenue, one.revenue) << "week " << i;
      orders += one.orders, active += one.active, fresh += one.new_customers;
    }
    // Not trivially equal: the weeks hold the fixture's activity.
    EXPECT_EQ(orders, 7);  // orders 1..8 but the cancelled one
    EXPECT_GT(active, 4);
    EXPECT_EQ(fresh, 4);  // C2, C3, C4, C5
  }
  // Week 6 (2024-03-11 .. 03-17): C3's order of 30.00 EUR (C3 was new the week
  // before); C4 new, active (page views, a click).
  std::vector<internal::PeriodFigures> weeks = internal::ComputeWeeklyFigures(activity, first, 10, options);
  EXPECT_EQ(weeks[5].orders, 1);
  EXPECT_EQ(weeks[5].revenue.at("EUR"), 3000);
  EXPECT_EQ(weeks[5].new_customers, 1);
  EXPECT_EQ(weeks[5].active, 2);
}

TEST_F(ReportFixture, CampaignResultsBrokenDownBySegment) {
  // spring: targets C4 (social, sent Mar 17, no order) and C6 (store, ordered
  // before its message); holdout C1 (web, ordered Mar 5, within 14 days of the
  // start on Mar 3: converted, 50.00 EUR).
  ManualClock clock(Instant{T("2024-04-10")});
  ASSERT_TRUE(segment::SaveSegment(*db_, "social", "acquisition_channel = \"social\"", "", clock).ok());
  ASSERT_TRUE(segment::SaveSegment(*db_, "web or store", "acquisition_channel in (\"web\", \"store\")", "", clock).ok());
  auto rows = CampaignSegmentResults(*db_, *snapshot_, {}, "", clock);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 2u);
  std::map<std::string, CampaignRow> by;
  for (const CampaignRow& r : *rows) by[r.segment] = r;
  EXPECT_EQ(by["social"].campaign, "spring");
  EXPECT_EQ(by["social"].reach, 1);
  EXPECT_EQ(by["social"].converted, 0);
  EXPECT_EQ(by["social"].holdout, 0);
  EXPECT_FALSE(by["social"].lift_available) << "no holdout member in the segment";
  EXPECT_EQ(by["web or store"].reach, 1);  // C6
  EXPECT_EQ(by["web or store"].converted, 0);
  EXPECT_EQ(by["web or store"].holdout, 1);  // C1
  EXPECT_EQ(by["web or store"].holdout_converted, 1);
  EXPECT_TRUE(by["web or store"].lift_available);
  EXPECT_DOUBLE_EQ(by["web or store"].lift, -1.0);
  // Named definitions instead of the saved segments; one campaign by name.
  rows = CampaignSegmentResults(*db_, *snapshot_, {{"social, by name", "segment:social"}}, "spring", clock);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ(rows->front().segment, "social, by name");
  EXPECT_EQ(rows->front().reach, 1);
  Table t = CampaignSegmentTable(*rows);
  EXPECT_EQ(t.name, "campaign_segments");
  EXPECT_EQ(t.columns[2], "segment");
  EXPECT_EQ(t.rows[0][1], "spring");
  // Errors name what is wrong.
  auto missing = CampaignSegmentResults(*db_, *snapshot_, {}, "autumn", clock);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("autumn"), std::string::npos);
  auto bad = CampaignSegmentResults(*db_, *snapshot_, {{"broken", "bought(("}}, "", clock);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("broken"), std::string::npos) << bad.status().ToString();
}

// The weekly report's data-quality figures come from one aggregate query
// (ComputeQualityFigures); they must be the full data-quality report's
// (identity::BuildQualityReport) numbers, stale boundary included.
TEST_F(ReportFixture, QualityFiguresAgreeWithTheDataQualityReport) {
  const Instant now{T("2024-06-01")};
  constexpr int64_t kDay = 86'400'000'000LL;
  // Default decay 2.5 % a month, stale below 0.75: 0.975^m < 0.75 from m = 11.36
  // months (30.44 days) = 345.9 days.
  int id = 0;
  auto point = [&](int customer, const char* kind, const char* status, int64_t seen_days_ago,
                   std::optional<int64_t> verified_days_ago = std::nullopt) {
    ++id;
    const std::string seen = std::to_string(now.micros - seen_days_ago * kDay);
    Exec("INSERT INTO contact_points(id, customer_id, kind, value, status, source_id, first_seen_at, last_seen_at, "
         "last_verified_at) VALUES (" + std::to_string(id) + ", " + std::to_string(customer) + ", '" + kind +
         "', 'v" + std::to_string(id) + "', '" + status + "', 1, " + seen + ", " + seen + ", " +
         (verified_days_ago ? std::to_string(now.micros - *verified_days_ago * kDay) : std::string("NULL")) + ")");
  };
  point(1, "email", "verified", 0);
  point(1, "phone", "unverified", 200);
  point(2, "phone", "unverified", 345);    // fresh (0.7506)
  point(2, "email", "unverified", 347);    // stale (0.7493)
  point(3, "phone", "verified", 400);      // stale
  point(3, "email", "invalid", 1000);      // invalid: not counted as stale
  point(4, "email", "bounced", 10);
  point(4, "phone", "unverified", 900, 30);  // verified 30 days ago: fresh
  point(6, "address", "unverified", 2000);   // stale address (in the total, not by kind)
  Exec("INSERT INTO identity_clusters(customer_id, resolved_id, updated_at) VALUES (1, 1, 0), (2, 1, 0), (3, 3, 0)");
  auto figures = ComputeQualityFigures(*db_, now);
  ASSERT_TRUE(figures.ok()) << figures.status().ToString();
  EXPECT_EQ(figures->contact_points, 9);
  EXPECT_EQ(figures->invalid, 2);
  EXPECT_EQ(figures->stale, 3);
  EXPECT_EQ(figures->stale_phones, 1);
  EXPECT_EQ(figures->stale_emails, 1);
  EXPECT_EQ(figures->duplicates, 1);
  identity::QualityOptions qopt;
  qopt.now = now;
  auto full = identity::BuildQualityReport(*db_, qopt);
  ASSERT_TRUE(full.ok()) << full.status().ToString();
  int64_t total = 0, invalid = 0, stale = 0;
  for (const auto& c : full->contacts) total += c.total, invalid += c.invalid + c.bounced, stale += c.stale;
  EXPECT_EQ(figures->contact_points, total);
  EXPECT_EQ(figures->invalid, invalid);
  EXPECT_EQ(figures->stale, stale);
  EXPECT_EQ(figures->duplicates, full->merged_records);
  // A value seen one microsecond either side of the boundary.
  for (int64_t shift : {-1, 0, 1}) {
    Exec("DELETE FROM contact_points");
    identity::QualityOptions o;
    o.now = now;
    // The last instant with probability < 0.75, found by the decay model itself.
    int64_t lo = now.micros - 400 * kDay, hi = now.micros - 300 * kDay;
    while (hi - lo > 1) {
      const int64_t mid = lo + (hi - lo) / 2;
      (identity::StillValidProbability(Instant{mid}, now) >= o.stale_below ? hi : lo) = mid;
    }
    const int64_t seen = lo + shift;  // lo: stale; lo + 1: fresh
    Exec("INSERT INTO contact_points(id, customer_id, kind, value, status, first_seen_at, last_seen_at) VALUES "
         "(1, 1, 'phone', 'x', 'unverified', " + std::to_string(seen) + ", " + std::to_string(seen) + ")");
    auto f = ComputeQualityFigures(*db_, now);
    auto r = identity::BuildQualityReport(*db_, o);
    ASSERT_TRUE(f.ok() && r.ok());
    EXPECT_EQ(f->stale, r->contacts.at(0).stale) << "shift " << shift;
    EXPECT_EQ(f->stale, shift <= 0 ? 1 : 0) << "shift " << shift;
  }
}

TEST_F(ReportFixture, WeeklyReportReadsRecentQualityFiguresInsteadOfRecomputing) {
  ManualClock clock(Instant{T("2024-04-10")});
  WeeklyOptions options;
  options.now = Instant{T("2024-03-25T12:00:00Z")};
  options.record_quality = false;
  // Figures recorded two hours before: the report shows them (nothing here is stale).
  QualityFigures recorded;
  recorded.taken_at = Instant{options.now.micros - 2 * 3'600'000'000LL};
  recorded.contact_points = 9000;
  recorded.stale = 4300;
  recorded.stale_phones = 4210;
  recorded.stale_emails = 90;
  ASSERT_TRUE(RecordQualityFigures(*db_, recorded).ok());
  auto w = BuildWeeklyReport(*db_, *snapshot_, options, clock);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_NE(w->text.find("Re-verify 4,210 stale phones."), std::string::npos) << w->text;
  EXPECT_NE(w->html.find("9,000"), std::string::npos);
  // Too old (more than quality_max_age_hours): computed afresh over the store.
  options.quality_max_age_hours = 1;
  w = BuildWeeklyReport(*db_, *snapshot_, options, clock);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->text.find("4,210"), std::string::npos) << w->text;
  // A computed report records its figures (with the per-kind counts) for the next one.
  options.record_quality = true;
  ASSERT_TRUE(BuildWeeklyReport(*db_, *snapshot_, options, clock).ok());
  auto latest = CurrentQuality(*db_, options);
  ASSERT_TRUE(latest.ok());
  EXPECT_TRUE(latest->recorded);
  EXPECT_EQ(latest->taken_at, options.now);
  EXPECT_EQ(latest->stale_phones, 0);
}

}  // namespace
}  // namespace patron::report
