// Resolution against a real SQLite database on disk: clusters, the merge log,
// golden records with provenance and freshness, explanations, review
// decisions and unmerge.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "identity/identity.h"
#include "store/store.h"

namespace patron::identity {
namespace {

namespace fs = std::filesystem;

class ResolveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = fs::temp_directory_path() /
            ("patron_identity_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db");
    fs::remove(path_);
    auto db = Database::Open(path_.string());
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(db).value();
    // Two sources; Sara appears in both (same email), Reza twice in the CRM
    // with a typo and no shared identifier, Omid once.
    ASSERT_TRUE(db_->Exec(R"sql(
      INSERT INTO sources (id, name, kind, created_at) VALUES (1, 'crm', 'internal', 0), (2, 'list', 'purchased', 0);
      INSERT INTO customers (id, given_name, family_name, birth_date, city, source_id, created_at, updated_at) VALUES
        (1, 'Sara', 'Ahmadi', '1990-04-01', 'Tehran', 1, 0, 100),
        (2, 'Sarah', 'Ahmadi', NULL, 'تهران', 2, 0, 200),
        (3, 'Reza', 'Karimi', '1985-02-03', 'Shiraz', 1, 0, 100),
        (4, 'Rezza', 'Karimi', '1985-02-03', 'Shiraz', 1, 0, 100),
        (5, 'Omid', 'Nouri', '1970-09-09', 'Tabriz', 1, 0, 100);
      INSERT INTO contact_points (customer_id, kind, value, status, source_id, first_seen_at, last_seen_at, last_verified_at) VALUES
        (1, 'email', 'sara@example.com', 'verified', 1, 0, 0, 0),
        (2, 'email', 'sara@example.com', 'unverified', 2, 0, 0, NULL),
        (3, 'phone', '+989121234567', 'unverified', 1, 0, 0, NULL),
        (4, 'phone', '+989127654321', 'unverified', 1, 0, 0, NULL);
      INSERT INTO source_records (source_id, entity, source_key, entity_id, first_imported_at, last_imported_at) VALUES
        (1, 'customer', 'c1', 1, 0, 0), (2, 'customer', 'sara@example.com', 2, 0, 0),
        (1, 'customer', 'c3', 3, 0, 0), (1, 'customer', 'c4', 4, 0, 0), (1, 'customer', 'c5', 5, 0, 0);
    )sql").ok());
  }
  void TearDown() override {
    db_.reset();
    fs::remove(path_);
    fs::remove(path_.string() + "-wal");
    fs::remove(path_.string() + "-shm");
  }

  std::map<int64_t, int64_t> Clusters() {
    std::map<int64_t, int64_t> out;
    auto list = ListMemberships(*db_);
    EXPECT_TRUE(list.ok());
    for (const auto& m : *list) out[m.customer_id] = m.resolved_id;
    return out;
  }

  fs::path path_;
  std::unique_ptr<Database> db_;
  ManualClock clock_{Instant{24LL * 30 * 24 * 3600 * 1000000}};  // about two years after 0
};

TEST_F(ResolveTest, MergesByRuleAndRecordsGoldenValues) {
  ResolveOptions options;
  options.clock = &clock_;
  auto summary = Resolve(*db_, options);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->records, 5);
  EXPECT_GE(summary->rule_merges, 1);
  auto clusters = Clusters();
  EXPECT_EQ(clusters[1], 1);
  EXPECT_EQ(clusters[2], 1);
  EXPECT_EQ(clusters[5], 5);

  // The golden given name comes from the trusted internal source; the email
  // is the verified one, with its provenance and a freshness below one.
  auto q = db_->Prepare("SELECT field, value, customer_id, rule, freshness FROM identity_golden WHERE resolved_id = 1");
  ASSERT_TRUE(q.ok());
  std::map<std::string, std::tuple<std::string, int64_t, std::string, double>> golden;
  while (*(*q)->Step()) {
    golden[(*q)->String(0)] = {(*q)->String(1), (*q)->Int(2), (*q)->String(3), (*q)->IsNull(4) ? -1.0 : (*q)->Double(4)};
  }
  EXPECT_EQ(std::get<0>(golden["given_name"]), "Sara");
  EXPECT_EQ(std::get<1>(golden["given_name"]), 1);
  EXPECT_EQ(std::get<0>(golden["email"]), "sara@example.com");
  EXPECT_EQ(std::get<2>(golden["email"]), "verified");
  EXPECT_GT(std::get<3>(golden["email"]), 0.4);
  EXPECT_LT(std::get<3>(golden["email"]), 0.7);  // 0.975^24 ~ 0.54

  auto log = db_->QueryInt("SELECT count(*) FROM identity_merge_log WHERE action = 'merge' AND customer_id = 2 AND reason = 'email'");
  ASSERT_TRUE(log.ok());
  EXPECT_EQ(*log, 1);
}

TEST_F(ResolveTest, GoldenRecordShowsProvenance) {
  ResolveOptions options;
  options.clock = &clock_;
  ASSERT_TRUE(Resolve(*db_, options).ok());
  auto golden = ReadGolden(*db_, 2);
  ASSERT_TRUE(golden.ok()) << golden.status().ToString();
  EXPECT_EQ(golden->resolved_id, 1);
  EXPECT_EQ(golden->members, (std::vector<int64_t>{1, 2}));
  bool saw_email = false;
  for (const auto& f : golden->fields) {
    if (f.field == "email") {
      saw_email = true;
      EXPECT_EQ(f.source, "crm");
      EXPECT_EQ(f.from_customer, 1);
      ASSERT_TRUE(f.freshness.has_value());
      EXPECT_TRUE(f.stale);  // last verified two years before the clock
    }
  }
  EXPECT_TRUE(saw_email);
  EXPECT_EQ(ReadGolden(*db_, 999).status().code(), StatusCode::kNotFound);
}

TEST_F(ResolveTest, ExplainGivesTheWeightOfEveryField) {
  ASSERT_TRUE(Resolve(*db_).ok());
  auto e = Explain(*db_, 3, 4);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->fields.size(), static_cast<size_t>(kFieldCount));
  for (const auto& f : e->fields) {
    if (f.field == "family_name") {
      EXPECT_EQ(f.level, 3);
      EXPECT_GT(f.weight, 0);
    }
    if (f.field == "email") {
      EXPECT_EQ(f.level, -1);
    }
  }
  EXPECT_TRUE(e->rule.empty());
  auto same = Explain(*db_, 1, 2);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->rule, "email");
  ASSERT_TRUE(same->run_probability.has_value());  // the run merged the pair
  EXPECT_EQ(same->run_decision, "merge");
  EXPECT_FALSE(Explain(*db_, 1, 999).ok());
}

TEST_F(ResolveTest, UnmergeRestoresAndLaterRunsRespectIt) {
  ASSERT_TRUE(Resolve(*db_).ok());
  auto before = db_->QueryInt("SELECT count(*) FROM customers");
  ASSERT_TRUE(Unmerge(*db_, 2, clock_).ok());
  auto clusters = Clusters();
  EXPECT_EQ(clusters[1], 1);
  EXPECT_EQ(clusters[2], 2);
  EXPECT_EQ(*db_->QueryInt("SELECT count(*) FROM customers"), *before);  // nothing deleted
  EXPECT_EQ(*db_->QueryInt("SELECT count(*) FROM identity_golden WHERE resolved_id = 2 AND field = 'given_name' AND value = 'Sarah'"), 1);
  // Unmerging a record that stands alone is refused.
  EXPECT_EQ(Unmerge(*db_, 5, clock_).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(Unmerge(*db_, 999, clock_).code(), StatusCode::kNotFound);
  // A full rebuild keeps them apart.
  ASSERT_TRUE(Resolve(*db_).ok());
  clusters = Clusters();
  EXPECT_NE(clusters[1], clusters[2]);
}

TEST_F(ResolveTest, IncrementalJoinsNewRecordsToExistingCustomers) {
  ResolveOptions options;
  options.clock = &clock_;
  options.incremental = true;
  auto first = Resolve(*db_, options);  // no earlier run: a full rebuild
  ASSERT_TRUE(first.ok());
  EXPECT_FALSE(first->incremental);
  ASSERT_TRUE(db_->Exec(R"sql(
    INSERT INTO customers (id, given_name, family_name, city, source_id, created_at, updated_at)
      VALUES (6, 'Omid', 'Nouri', 'Tabriz', 2, 0, 300), (7, 'Leila', 'Hosseini', 'Rasht', 2, 0, 300);
    INSERT INTO contact_points (customer_id, kind, value, status, source_id, first_seen_at, last_seen_at)
      VALUES (6, 'phone', '+989351112233', 'unverified', 2, 0, 0);
    INSERT INTO contact_points (customer_id, kind, value, status, source_id, first_seen_at, last_seen_at)
      VALUES (5, 'phone', '+989351112233', 'unverified', 1, 0, 0);
    INSERT INTO source_records (source_id, entity, source_key, entity_id, first_imported_at, last_imported_at)
      VALUES (2, 'customer', 'n6', 6, 0, 0), (2, 'customer', 'n7', 7, 0, 0);
  )sql").ok());
  auto second = Resolve(*db_, options);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_TRUE(second->incremental);
  EXPECT_EQ(second->new_records, 2);
  auto clusters = Clusters();
  EXPECT_EQ(clusters[6], 5);  // same phone as Omid's record
  EXPECT_EQ(clusters[7], 7);
  EXPECT_EQ(clusters[1], 1);  // existing clusters untouched
  EXPECT_EQ(clusters[2], 1);
  auto golden = ReadGolden(*db_, 6);
  ASSERT_TRUE(golden.ok());
  EXPECT_EQ(golden->members, (std::vector<int64_t>{5, 6}));
}

TEST_F(ResolveTest, ReviewDecisionsApply) {
  // Put a review item in by hand (a doubtful pair) and accept it.
  ASSERT_TRUE(Resolve(*db_).ok());
  ASSERT_TRUE(db_->Exec("INSERT OR IGNORE INTO identity_review_queue (left_id, right_id, probability, weight, created_at) VALUES (3, 5, 0.6, 1.0, 0)").ok());
  auto items = ListReviews(*db_, true, 100);
  ASSERT_TRUE(items.ok());
  int64_t id = 0;
  for (const auto& item : *items) {
    if (item.left_customer == 3 && item.right_customer == 5) id = item.id;
  }
  ASSERT_NE(id, 0);
  ASSERT_TRUE(DecideReview(*db_, id, /*accept=*/true, clock_).ok());
  auto clusters = Clusters();
  EXPECT_EQ(clusters[3], clusters[5]);
  // Still together after a rebuild; apart again once rejected.
  ASSERT_TRUE(Resolve(*db_).ok());
  EXPECT_EQ(Clusters()[5], Clusters()[3]);
  ASSERT_TRUE(DecideReview(*db_, id, /*accept=*/false, clock_).ok());
  clusters = Clusters();
  EXPECT_NE(clusters[3], clusters[5]);
  EXPECT_EQ(DecideReview(*db_, 12345, true, clock_).code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace patron::identity
