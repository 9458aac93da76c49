// Differential tests: random segments (seeded) over generated demo data,
// evaluated by the engine and by SQLite running the emitted SQL, must select
// exactly the same customers. Every random segment also round-trips through
// its text and JSON forms.
#include <algorithm>
#include <gtest/gtest.h>
#include <roaring/roaring.hh>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <random>

#include "demo/demo.h"
#include "engine/engine.h"
#include "ingest/ingest.h"
#include "models/models.h"
#include "segment/segment.h"
#include "store/store.h"
#include "segment_generator.h"
#include "../../tools/demo_import.h"

namespace patron::segment {
namespace {

const Instant kNow = *ParseInstant("2026-11-01T12:00:00Z");

class DifferentialTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::filesystem::path(std::filesystem::temp_directory_path() /
                                     ("patron_segment_diff_" + std::to_string(::getpid())));
    std::filesystem::remove_all(*dir_);
    demo::GenerateOptions options;
    options.customers = 1200;
    options.seed = 7;
    options.out_dir = (*dir_ / "data").string();
    auto summary = demo::Generate(options);
    ASSERT_TRUE(summary.ok()) << summary.status().ToString();
    auto db = Database::Open((*dir_ / "patron.db").string());
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = db->release();
    ManualClock clock(kNow);
    ASSERT_NO_FATAL_FAILURE(patron::testing::ImportDemoFiles(*db_, summary->files, clock));
    // Computed traits, so that segments on them are compared too.
    models::ModelRunOptions mo;
    mo.until = CivilDate{2026, 11, 1};
    auto scored = models::ScoreCustomers(*db_, mo, clock);
    ASSERT_TRUE(scored.ok()) << scored.status().ToString();
    ASSERT_TRUE(RegisterSqlFunctions(*db_).ok());
    auto snapshot = engine::BuildSnapshot(*db_, clock);
    ASSERT_TRUE(snapshot.ok()) << snapshot.status().ToString();
    snapshot_ = new std::shared_ptr<const engine::Snapshot>(*snapshot);
  }
  static void TearDownTestSuite() {
    delete snapshot_;
    delete db_;
    std::filesystem::remove_all(*dir_);
    delete dir_;
  }

  static const engine::Snapshot& snap() { return **snapshot_; }

  static Vocabulary Vocab() { return LoadVocabulary(*db_, &snap()); }

  static EvalOptions Options(const Vocabulary& vocabulary) {
    EvalOptions o;
    o.now = kNow;
    o.vocabulary = &vocabulary;
    o.resolve = StoreResolver(*db_);
    return o;
  }

  static std::vector<int64_t> EngineIds(const Node& node, const EvalOptions& o) {
    auto members = Evaluate(snap(), node, o);
    EXPECT_TRUE(members.ok()) << members.status().ToString();
    std::vector<int64_t> ids;
    if (!members.ok()) return ids;
    for (uint32_t c : *members) ids.push_back(snap().customer_ids[c]);
    return ids;
  }

  static std::vector<int64_t> SqlIds(const Node& node, const EvalOptions& o, std::string* sql_out = nullptr) {
    std::vector<int64_t> ids;
    auto sql = EmitSql(node, Dialect::kSqlite, o);
    EXPECT_TRUE(sql.ok()) << sql.status().ToString();
    if (!sql.ok()) return ids;
    if (sql_out) *sql_out = *sql;
    auto stmt = db_->Prepare(*sql);
    EXPECT_TRUE(stmt.ok()) << stmt.status().ToString() << "\n" << *sql;
    if (!stmt.ok()) return ids;
    while (true) {
      auto row = (*stmt)->Step();
      EXPECT_TRUE(row.ok()) << row.status().ToString();
      if (!row.ok() || !*row) break;
      ids.push_back((*stmt)->Int(0));
    }
    return ids;
  }

  static std::filesystem::path* dir_;
  static Database* db_;
  static std::shared_ptr<const engine::Snapshot>* snapshot_;
};

std::filesystem::path* DifferentialTest::dir_ = nullptr;
Database* DifferentialTest::db_ = nullptr;
std::shared_ptr<const engine::Snapshot>* DifferentialTest::snapshot_ = nullptr;

TEST_F(DifferentialTest, TheDemoDataHasWhatTheSegmentsNeed) {
  EXPECT_GT(snap().customer_count(), 1000u);
  EXPECT_GT(snap().orders.at.size(), 500u);
  EXPECT_GT(snap().purchases.at.size(), 500u);
  EXPECT_GT(snap().events.at.size(), 5000u);
  EXPECT_FALSE(snap().tags.empty());
  EXPECT_FALSE(snap().consent_granted.empty());
}

TEST_F(DifferentialTest, TheIssueExampleMatchesSql) {
  Vocabulary vocabulary = Vocab();
  EvalOptions o = Options(vocabulary);
  auto node = Parse(
      "city = \"Tehran\" and age between 20 and 35\n"
      "and bought(category in (\"phones\", \"phone-accessories\"), within 180 days)\n"
      "and not received(kind = \"promo\", within 7 days)\n"
      "and reachable(sms)",
      vocabulary);
  ASSERT_TRUE(node.ok()) << node.status().ToString();
  EXPECT_EQ(EngineIds(*node, o), SqlIds(*node, o));
  // Each clause on its own selects someone, so the comparison is not vacuous.
  for (const Node* clause : Clauses(*node)) {
    if (clause->kind == Node::Kind::kNot) continue;
    EXPECT_FALSE(EngineIds(*clause, o).empty()) << ToText(*clause);
  }
}

TEST_F(DifferentialTest, ModelScoresMatchSqlAndSelectSomeone) {
  Vocabulary vocabulary = Vocab();
  EvalOptions o = Options(vocabulary);
  for (const char* text : {"recommended(\"phones\")", "recommended(\"electronics\")",
                           "propensity(\"phones\") > 0.01", "propensity(\"electronics\") >= 0.02",
                           "best_channel = \"email\"", "best_channel = \"sms\""}) {
    auto node = Parse(text, vocabulary);
    ASSERT_TRUE(node.ok()) << text << ": " << node.status().ToString();
    std::vector<int64_t> ids = EngineIds(*node, o);
    EXPECT_FALSE(ids.empty()) << text;
    EXPECT_LT(ids.size(), snap().customer_count()) << text;
    EXPECT_EQ(ids, SqlIds(*node, o)) << text;
  }
  // A category includes the ones below it, as in bought(category = ...).
  auto phones = Parse("recommended(\"phones\")", vocabulary);
  auto electronics = Parse("recommended(\"electronics\")", vocabulary);
  ASSERT_TRUE(phones.ok() && electronics.ok());
  std::vector<int64_t> narrow = EngineIds(*phones, o), wide = EngineIds(*electronics, o);
  EXPECT_TRUE(std::includes(wide.begin(), wide.end(), narrow.begin(), narrow.end()));
  EXPECT_GT(wide.size(), narrow.size());
  // The best channel is always one the customer can be reached on.
  for (const char* channel : {"email", "sms", "phone", "mail", "push"}) {
    std::string text = std::string("best_channel = \"") + channel + "\" and not reachable(" + channel + ")";
    auto node = Parse(text, vocabulary);
    ASSERT_TRUE(node.ok()) << node.status().ToString();
    EXPECT_TRUE(EngineIds(*node, o).empty()) << text;
  }
}

TEST_F(DifferentialTest, RandomSegmentsAgreeWithSqlite) {
  Vocabulary vocabulary = Vocab();
  EvalOptions o = Options(vocabulary);
  int total = 1000;
  if (const char* env = std::getenv("PATRON_DIFF_SEGMENTS")) total = std::atoi(env);
  uint64_t seed = 20261123;
  if (const char* env = std::getenv("PATRON_DIFF_SEED")) seed = std::strtoull(env, nullptr, 10);
  test_support::SegmentGenerator gen(snap(), seed);
  int non_empty = 0, not_everyone = 0;
  for (int i = 0; i < total; ++i) {
    std::string text = gen.Segment();
    auto node = Parse(text, vocabulary);
    ASSERT_TRUE(node.ok()) << text << "\n" << node.status().ToString();
    // Round trips: text and JSON.
    auto again = Parse(ToText(*node), vocabulary);
    ASSERT_TRUE(again.ok()) << ToText(*node) << "\n" << again.status().ToString();
    EXPECT_EQ(*again, *node) << text << "\n => " << ToText(*node);
    auto from_json = FromJson(ToJson(*node), vocabulary);
    ASSERT_TRUE(from_json.ok()) << ToJson(*node) << "\n" << from_json.status().ToString();
    EXPECT_EQ(*from_json, *node) << ToJson(*node);

    std::string sql;
    std::vector<int64_t> engine_ids = EngineIds(*node, o);
    std::vector<int64_t> sql_ids = SqlIds(*node, o, &sql);
    ASSERT_EQ(engine_ids, sql_ids) << "segment #" << i << ": " << text << "\nSQL: " << sql << "\nengine "
                                   << engine_ids.size() << " customers, SQL " << sql_ids.size();
    non_empty += !engine_ids.empty();
    not_everyone += engine_ids.size() < snap().customer_count();
  }
  // The random segments must not be trivially empty or trivially everyone.
  EXPECT_GT(non_empty, total / 3);
  EXPECT_GT(not_everyone, total / 3);
}

TEST_F(DifferentialTest, SavedSegmentsAreInlined) {
  ManualClock clock(kNow);
  auto saved = SaveSegment(*db_, "tehran buyers", "city = \"Tehran\" and bought()", "", clock);
  ASSERT_TRUE(saved.ok()) << saved.status().ToString();
  Vocabulary vocabulary = Vocab();
  EvalOptions o = Options(vocabulary);
  auto node = Parse("segment(\"tehran buyers\") or tagged(\"vip\")", vocabulary);
  ASSERT_TRUE(node.ok()) << node.status().ToString();
  auto direct = Parse("(city = \"Tehran\" and bought()) or tagged(\"vip\")", vocabulary);
  ASSERT_TRUE(direct.ok());
  EXPECT_EQ(EngineIds(*node, o), EngineIds(*direct, o));
  EXPECT_EQ(EngineIds(*node, o), SqlIds(*node, o));
  // A segment may not refer to itself, directly or through another.
  auto loop = SaveSegment(*db_, "a", "segment(\"tehran buyers\")", "", clock);
  ASSERT_TRUE(loop.ok());
  auto cycle = SaveSegment(*db_, "tehran buyers", "segment(\"a\")", "", clock);
  EXPECT_FALSE(cycle.ok());
}

TEST_F(DifferentialTest, MembershipHistoryRecordsWhoEnteredAndLeft) {
  ManualClock clock(kNow);
  auto saved = SaveSegment(*db_, "history", "country = \"SE\"", "", clock);
  ASSERT_TRUE(saved.ok());
  auto first = RecordMembership(*db_, *saved, {1, 2, 3}, clock);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->entered, 3);
  clock.Advance(std::chrono::hours(24));
  auto second = RecordMembership(*db_, *saved, {2, 3, 4, 5}, clock);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->count, 4);
  EXPECT_EQ(second->entered, 2);
  EXPECT_EQ(second->left, 1);
  auto list = ListSegments(*db_);
  ASSERT_TRUE(list.ok());
  bool found = false;
  for (const auto& s : *list) {
    if (s.name == "history") {
      found = true;
      EXPECT_EQ(s.last_count, 4);
    }
  }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace patron::segment
