// `patron segment ...` end to end: the real binary over a real SQLite file
// loaded with the hand-made data of tests/data/segments.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "patron_process.h"

namespace patron {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::ReadFile;
using testing::RunPatron;

const std::string kData = std::string(PATRON_SOURCE_DIR) + "/tests/data/segments/";
const std::string kNow = "2026-06-15T12:00:00Z";

class SegmentCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("patron_segment_cli_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    db_ = (dir_ / "patron.db").string();
    for (auto [kind, file, source] : {std::tuple{"accounts", "accounts.csv", "crm"},
                                      std::tuple{"products", "products.csv", "catalog"},
                                      std::tuple{"customers", "customers.csv", "crm"},
                                      std::tuple{"orders", "orders.csv", "shop"},
                                      std::tuple{"events", "events.jsonl", "web"}}) {
      auto r = RunPatron({"--db", db_, "import", kind, kData + file, "--source", source, "--rejects",
                          (dir_ / "rejects.csv").string()});
      ASSERT_EQ(r.exit_code, 0) << r.out;
    }
  }
  void TearDown() override { fs::remove_all(dir_); }

  testing::CommandResult Segment(std::vector<std::string> args, bool json_output = true) {
    std::vector<std::string> all = {"--db", db_};
    if (json_output) all.push_back("--json");
    all.push_back("segment");
    all.insert(all.end(), args.begin(), args.end());
    return RunPatron(all, json_output);
  }

  fs::path dir_;
  std::string db_;
};

TEST_F(SegmentCliTest, CountPrintsTheNumberOrJson) {
  auto plain = Segment({"count", "city = \"Tehran\"", "--now", kNow}, false);
  ASSERT_EQ(plain.exit_code, 0) << plain.out;
  EXPECT_EQ(plain.out, "3\n");
  auto r = Segment({"count", "city = \"Tehran\" and reachable(sms)", "--now", kNow});
  ASSERT_EQ(r.exit_code, 0) << r.out;
  json j = json::parse(r.out);
  EXPECT_EQ(j["count"], 1);
  EXPECT_GE(j["ms"].get<double>(), 0.0);
  EXPECT_EQ(j["customers"], 5);
}

TEST_F(SegmentCliTest, ExplainShowsHowEachClauseNarrows) {
  auto r = Segment({"explain", "city = \"Tehran\" and age between 20 and 35 and bought(within 180 days)", "--now",
                    kNow});
  ASSERT_EQ(r.exit_code, 0) << r.out;
  json j = json::parse(r.out);
  ASSERT_EQ(j["clauses"].size(), 3u);
  EXPECT_EQ(j["clauses"][0]["clause"], "city = \"Tehran\"");
  EXPECT_EQ(j["clauses"][0]["matched"], 3);
  EXPECT_EQ(j["clauses"][0]["remaining"], 3);
  EXPECT_EQ(j["clauses"][1]["matched"], 2);
  EXPECT_EQ(j["clauses"][1]["remaining"], 2);
  EXPECT_EQ(j["clauses"][2]["matched"], 2);  // C1 and C4 bought within 180 days
  EXPECT_EQ(j["clauses"][2]["remaining"], 1);
  EXPECT_EQ(j["count"], 1);
  auto text = Segment({"explain", "city = \"Tehran\" and tagged(\"vip\")", "--now", kNow}, false);
  ASSERT_EQ(text.exit_code, 0) << text.out;
  EXPECT_NE(text.out.find("tagged(\"vip\")"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("= 1 customers"), std::string::npos) << text.out;
}

TEST_F(SegmentCliTest, PreviewAndExportListTheCustomers) {
  auto r = Segment({"preview", "city = \"Tehran\"", "--now", kNow, "--limit", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.out;
  json j = json::parse(r.out);
  EXPECT_EQ(j["count"], 3);
  ASSERT_EQ(j["customers"].size(), 2u);
  EXPECT_EQ(j["customers"][0]["name"], "Sara Ahmadi");
  fs::path out = dir_ / "tehran.csv";
  auto e = Segment({"export", "city = \"Tehran\"", "--now", kNow, "--out", out.string()}, false);
  ASSERT_EQ(e.exit_code, 0) << e.out;
  std::string csv = ReadFile(out);
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 4) << csv;  // header + 3
  EXPECT_EQ(csv.rfind("customer_id,name,city,country,language,lifecycle_stage\n", 0), 0u) << csv;
  EXPECT_NE(csv.find("Maryam Karimi"), std::string::npos);
  EXPECT_FALSE(fs::exists(out.string() + ".partial"));
  fs::path jsonl = dir_ / "tehran.jsonl";
  auto e2 = Segment({"export", "city = \"Tehran\"", "--format", "jsonl", "--out", jsonl.string()}, false);
  ASSERT_EQ(e2.exit_code, 0) << e2.out;
  std::string lines = ReadFile(jsonl);
  EXPECT_EQ(std::count(lines.begin(), lines.end(), '\n'), 3);
  EXPECT_EQ(json::parse(lines.substr(0, lines.find('\n')))["city"], "Tehran");
}

TEST_F(SegmentCliTest, SavedSegmentsHaveHistoryAndCanBeReferenced) {
  auto save = Segment({"save", "tehran", "city = \"Tehran\"", "--description", "Tehran customers"});
  ASSERT_EQ(save.exit_code, 0) << save.out;
  EXPECT_EQ(json::parse(save.out)["count"], 3);
  auto list = Segment({"list"});
  ASSERT_EQ(list.exit_code, 0) << list.out;
  json l = json::parse(list.out);
  ASSERT_EQ(l.size(), 1u);
  EXPECT_EQ(l[0]["name"], "tehran");
  EXPECT_EQ(l[0]["last_count"], 3);
  auto ref = Segment({"count", "segment(\"tehran\") and tagged(\"vip\")", "--now", kNow});
  ASSERT_EQ(ref.exit_code, 0) << ref.out;
  EXPECT_EQ(json::parse(ref.out)["count"], 1);
  auto saved = Segment({"count", "--saved", "tehran", "--now", kNow});
  ASSERT_EQ(saved.exit_code, 0) << saved.out;
  EXPECT_EQ(json::parse(saved.out)["count"], 3);
  auto refresh = Segment({"refresh"});
  ASSERT_EQ(refresh.exit_code, 0) << refresh.out;
  auto history = Segment({"history", "tehran"});
  ASSERT_EQ(history.exit_code, 0) << history.out;
  json h = json::parse(history.out);
  ASSERT_EQ(h.size(), 1u);  // both recordings fall on the same day
  EXPECT_EQ(h[0]["members"], 3);
  EXPECT_EQ(h[0]["entered"], 3);
  auto del = Segment({"delete", "tehran"}, false);
  ASSERT_EQ(del.exit_code, 0) << del.out;
  auto gone = Segment({"count", "--saved", "tehran"}, false);
  EXPECT_EQ(gone.exit_code, 1);
  EXPECT_NE(gone.out.find("no saved segment is called \"tehran\""), std::string::npos) << gone.out;
}

TEST_F(SegmentCliTest, TheJsonFormWorksFromAFile) {
  fs::path f = dir_ / "segment.json";
  std::ofstream(f) << R"({"and":[{"field":"city","op":"=","values":["Tehran"]},{"tagged":["vip"]}]})";
  auto r = Segment({"count", "--file", f.string(), "--now", kNow});
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(json::parse(r.out)["count"], 1);
}

TEST_F(SegmentCliTest, BadSegmentsExplainThemselves) {
  auto typo = Segment({"count", "ctiy = \"Tehran\""}, false);
  EXPECT_EQ(typo.exit_code, 1);
  EXPECT_NE(typo.out.find("line 1, column 1: unknown field \"ctiy\" — did you mean \"city\"?"), std::string::npos)
      << typo.out;
  auto event_typo = Segment({"count", "did(\"cart_abandonded\")"}, false);
  EXPECT_EQ(event_typo.exit_code, 1);
  EXPECT_NE(event_typo.out.find("did you mean \"cart_abandoned\"?"), std::string::npos) << event_typo.out;
  auto saved_typo = Segment({"save", "carts", "did(\"cart_abandonded\")"}, false);
  EXPECT_EQ(saved_typo.exit_code, 1);
  EXPECT_NE(saved_typo.out.find("did you mean"), std::string::npos) << saved_typo.out;
  EXPECT_EQ(Segment({"list"}).out, "[]\n");  // nothing was saved
  auto none = Segment({"count"}, false);
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_NE(none.out.find("give the segment"), std::string::npos) << none.out;
  auto bad_json = Segment({"count", "{\"field\": "}, false);
  EXPECT_EQ(bad_json.exit_code, 1);
  EXPECT_NE(bad_json.out.find("not valid JSON"), std::string::npos) << bad_json.out;
}

TEST_F(SegmentCliTest, SqlForBothDialects) {
  auto sqlite = Segment({"sql", "city = \"Tehran\" and bought(category = \"phones\")", "--now", kNow}, false);
  ASSERT_EQ(sqlite.exit_code, 0) << sqlite.out;
  EXPECT_EQ(sqlite.out.rfind("SELECT c.id FROM customers c WHERE", 0), 0u) << sqlite.out;
  EXPECT_NE(sqlite.out.find("patron_fold"), std::string::npos);
  auto pg = Segment({"sql", "city = \"Tehran\"", "--dialect", "postgres"}, false);
  ASSERT_EQ(pg.exit_code, 0) << pg.out;
  EXPECT_NE(pg.out.find("lower("), std::string::npos) << pg.out;
}

}  // namespace
}  // namespace patron
