// End-to-end tests of the real `patron` binary on real files and SQLite
// databases on disk: demo data in, invariants out; re-imports; backup and
// restore; kill -9 in the middle of an import; bad input from the command line.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <set>
#include <thread>

#include "patron_process.h"
#include "store/store.h"

namespace patron {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

using testing::CommandResult;
using testing::DemoImportArgs;
using testing::ReadFile;
using testing::RunPatron;

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("patron_cli_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    db_ = (dir_ / "patron.db").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Generates demo data and imports every file as `make demo` does.
  json GenerateAndImport(int people, const std::string& db) {
    CommandResult gen = RunPatron({"--json", "demo", "generate", "--customers", std::to_string(people), "--seed", "7",
                                   "--out", (dir_ / "data").string()});
    EXPECT_EQ(gen.exit_code, 0) << gen.out;
    json manifest = json::parse(gen.out, nullptr, false);
    EXPECT_FALSE(manifest.is_discarded()) << gen.out;
    for (const auto& f : manifest["files"]) {
      CommandResult imp = RunPatron(DemoImportArgs(f, db));
      EXPECT_EQ(imp.exit_code, 0) << imp.out;
      json report = json::parse(imp.out, nullptr, false);
      EXPECT_FALSE(report.is_discarded()) << imp.out;
      reports_.push_back(report);
    }
    return manifest;
  }

  json Stats(const std::string& db) {
    CommandResult r = RunPatron({"--db", db, "--json", "stats"});
    EXPECT_EQ(r.exit_code, 0) << r.out;
    return json::parse(r.out, nullptr, false);
  }

  fs::path dir_;
  std::string db_;
  std::vector<json> reports_;
};

TEST_F(CliTest, DemoDataImportsWithGroundTruthInvariants) {
  json manifest = GenerateAndImport(1500, db_);
  ASSERT_EQ(reports_.size(), manifest["files"].size());
  // Every record of every file is accounted for: imported, unchanged or rejected.
  for (size_t i = 0; i < reports_.size(); ++i) {
    const json& r = reports_[i];
    EXPECT_EQ(r["records"].get<int64_t>(), manifest["files"][i]["records"].get<int64_t>()) << r.dump();
    EXPECT_EQ(r["records"].get<int64_t>(), r["inserted"].get<int64_t>() + r["updated"].get<int64_t>() +
                                               r["unchanged"].get<int64_t>() + r["rejected"].get<int64_t>())
        << r.dump();
  }
  json stats = Stats(db_);
  EXPECT_GE(stats["customers"].get<int64_t>(), 1500 * 9 / 10);
  EXPECT_GT(stats["orders"].get<int64_t>(), 0);
  EXPECT_GT(stats["events"].get<int64_t>(), 0);
  EXPECT_GT(stats["accounts"].get<int64_t>(), 0);
  EXPECT_GT(stats["consents"]["granted"].get<int64_t>(), 0);
  EXPECT_GT(stats["contact_points"]["email"]["invalid"].get<int64_t>(), 0);  // dirty data is kept, marked
  EXPECT_GT(stats["contact_points"]["email"]["verified"].get<int64_t>(), 0);

  // Every customer record of the ground truth became a source record of its source.
  auto db = Database::Open(db_);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  std::string truth = ReadFile(manifest["ground_truth"].get<std::string>());
  std::istringstream lines(truth);
  std::string line;
  std::getline(lines, line);  // header
  int64_t truth_rows = 0, found = 0;
  auto q = (*db)->Prepare(
      "SELECT count(*) FROM source_records r JOIN sources s ON s.id = r.source_id "
      "WHERE s.name = ?1 AND r.entity = 'customer' AND r.source_key = ?2");
  ASSERT_TRUE(q.ok());
  std::set<std::string> customer_sources;
  for (const auto& f : manifest["files"]) {
    if (f["kind"] == "customers") customer_sources.insert(f["source"].get<std::string>());
  }
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    size_t a = line.find(','), b = line.rfind(',');
    // Orders and events name customers who may already exist: only customer files create records.
    if (!customer_sources.count(line.substr(0, a))) continue;
    ++truth_rows;
    (*q)->Bind(1, std::string_view(line).substr(0, a)).Bind(2, std::string_view(line).substr(a + 1, b - a - 1));
    auto row = (*q)->Step();
    ASSERT_TRUE(row.ok() && *row);
    found += (*q)->Int(0);
    (*q)->Reset();
  }
  EXPECT_GT(truth_rows, 1500);
  // Records with a key nobody could read (no id, no valid email or phone) are keyed by hash; allow 2 %.
  EXPECT_GE(found, truth_rows * 98 / 100) << found << " of " << truth_rows;
  EXPECT_TRUE((*db)->CheckIntegrity().ok());

  // Re-importing everything changes nothing.
  json before = Stats(db_);
  reports_.clear();
  GenerateAndImport(1500, db_);
  for (const json& r : reports_) {
    EXPECT_EQ(r["inserted"].get<int64_t>(), 0) << r.dump();
    EXPECT_EQ(r["customers_created"].get<int64_t>(), 0) << r.dump();
  }
  EXPECT_EQ(Stats(db_), before);

  // The one customer view, by email and as JSON.
  auto e = (*db)->Prepare(
      "SELECT cp.value FROM contact_points cp JOIN orders o ON o.customer_id = cp.customer_id "
      "WHERE cp.kind = 'email' AND cp.status = 'verified' GROUP BY cp.value HAVING count(DISTINCT cp.customer_id) = 1 "
      "ORDER BY cp.value LIMIT 1");
  ASSERT_TRUE(e.ok());
  ASSERT_TRUE(*(*e)->Step());
  std::string email = (*e)->String(0);
  CommandResult show = RunPatron({"--db", db_, "--json", "customer", "show", email});
  ASSERT_EQ(show.exit_code, 0) << show.out;
  json view = json::parse(show.out, nullptr, false);
  ASSERT_FALSE(view.is_discarded()) << show.out;
  bool has_email = false;
  for (const auto& cp : view["contact_points"]) has_email |= cp["value"] == email;
  EXPECT_TRUE(has_email);
  EXPECT_GT(view["purchases"]["orders"].get<int64_t>(), 0);
  EXPECT_FALSE(view["sources"].empty());
  CommandResult text = RunPatron({"--db", db_, "customer", "show", email});
  EXPECT_EQ(text.exit_code, 0);
  EXPECT_NE(text.out.find("Contact points"), std::string::npos);
  EXPECT_NE(text.out.find("Purchases"), std::string::npos);

  CommandResult quality = RunPatron({"--db", db_, "--json", "quality"});
  ASSERT_EQ(quality.exit_code, 0) << quality.out;
  json summary = json::parse(quality.out, nullptr, false);
  ASSERT_FALSE(summary.is_discarded()) << quality.out;
  EXPECT_GT(summary["reachable_with_consent"]["email"].get<int64_t>(), 0);
  EXPECT_FALSE(summary["invalid_reasons"].empty());
  EXPECT_GT(summary["typo_suggestions"].get<int64_t>(), 0);  // the demo has gmial.com-style typos
  EXPECT_EQ(summary["imports"].size(), manifest["files"].size() * 2);  // imported twice above

  CommandResult tour = RunPatron({"--db", db_, "demo", "tour"});
  EXPECT_EQ(tour.exit_code, 0) << tour.out;
  EXPECT_NE(tour.out.find("Data quality"), std::string::npos);
}

TEST_F(CliTest, BackupAndRestoreGiveAnEqualDatabase) {
  GenerateAndImport(300, db_);
  json original = Stats(db_);
  std::string backup = (dir_ / "backup.db").string();
  CommandResult b = RunPatron({"--db", db_, "backup", backup});
  ASSERT_EQ(b.exit_code, 0) << b.out;
  // Restoring into a fresh database reproduces every table exactly.
  std::string copy = (dir_ / "restored.db").string();
  CommandResult r = RunPatron({"--db", copy, "restore", backup});
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(Stats(copy), original);
  auto a = Database::Open(db_);
  auto c = Database::Open(copy);
  ASSERT_TRUE(a.ok() && c.ok());
  for (const char* table : {"customers", "contact_points", "consents", "orders", "order_lines", "events",
                            "source_records", "accounts", "products", "field_issues"}) {
    // Every row of the table, in key order, as JSON: equal text means equal tables.
    auto cols = (*a)->Prepare(std::string("SELECT group_concat(name, ',') FROM pragma_table_info('") + table + "')");
    ASSERT_TRUE(cols.ok() && *(*cols)->Step());
    std::string list = (*cols)->String(0);
    std::string sql = "SELECT count(*), group_concat(x, '|') FROM (SELECT json_array(" + list + ") AS x FROM " +
                      table + " ORDER BY x)";
    auto qa = (*a)->Prepare(sql);
    auto qc = (*c)->Prepare(sql);
    ASSERT_TRUE(qa.ok() && qc.ok()) << table;
    ASSERT_TRUE(*(*qa)->Step() && *(*qc)->Step());
    EXPECT_EQ((*qa)->Int(0), (*qc)->Int(0)) << table;
    EXPECT_EQ((*qa)->String(1), (*qc)->String(1)) << table;
  }
  // A damaged backup is refused and the database is left as it was.
  std::string junk = (dir_ / "junk.db").string();
  std::ofstream(junk) << std::string(8192, 'z');
  CommandResult bad = RunPatron({"--db", copy, "restore", junk});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_EQ(Stats(copy), original);
  // A backup never overwrites a file.
  CommandResult again = RunPatron({"--db", db_, "backup", backup});
  EXPECT_NE(again.exit_code, 0);
  EXPECT_NE(again.out.find("already exists"), std::string::npos);
}

TEST_F(CliTest, KillDuringImportLosesNothingCommittedAndRerunCompletes) {
  // A customers file big enough that the import is still running when killed.
  fs::path csv = dir_ / "big.csv";
  {
    std::ofstream out(csv);
    out << "customer_id,given_name,family_name,email,mobile,city,country\n";
    for (int i = 0; i < 120000; ++i) {
      out << "K" << i << ",Name" << i << ",Family" << i << ",person" << i << "@example.com,07012" << (100000 + i)
          << ",Uppsala,SE\n";
    }
  }
  std::string cmd = std::string(PATRON_BINARY) + " --db " + db_ + " import customers " + csv.string() +
                    " --source crm --batch 500 > /dev/null 2>&1";
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::execl("/bin/sh", "sh", "-c", ("exec " + cmd).c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  // Wait until some batches are committed, then kill -9.
  int64_t seen = 0;
  for (int i = 0; i < 600 && seen < 2000; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    auto db = Database::Open(db_, DatabaseOptions{.read_only = true});
    if (db.ok()) {
      auto n = (*db)->QueryInt("SELECT count(*) FROM customers");
      if (n.ok()) seen = *n;
    }
  }
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_GE(seen, 2000) << "the import did not get going";
  {
    auto db = Database::Open(db_);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    EXPECT_TRUE((*db)->CheckIntegrity().ok());
    int64_t customers = *(*db)->QueryInt("SELECT count(*) FROM customers");
    EXPECT_GE(customers, seen);  // nothing committed was lost
    // Every customer is whole: its source record and contact points were committed with it.
    EXPECT_EQ(*(*db)->QueryInt("SELECT count(*) FROM source_records"), customers);
    EXPECT_EQ(*(*db)->QueryInt("SELECT count(*) FROM contact_points"), 2 * customers);
  }
  // Re-running the same import finishes the job without duplicates.
  CommandResult rerun = RunPatron({"--db", db_, "--json", "import", "customers", csv.string(), "--source", "crm"});
  ASSERT_EQ(rerun.exit_code, 0) << rerun.out;
  json report = json::parse(rerun.out);
  EXPECT_GT(report["unchanged"].get<int64_t>(), 0);
  EXPECT_EQ(report["rejected"].get<int64_t>(), 0);
  json stats = Stats(db_);
  EXPECT_EQ(stats["customers"].get<int64_t>(), 120000);
  EXPECT_EQ(stats["contact_points"]["email"]["unverified"].get<int64_t>(), 120000);
}

TEST_F(CliTest, BadInputGetsAClearErrorAndLosesNothing) {
  // Unknown kind: usage error.
  CommandResult kind = RunPatron({"--db", db_, "import", "people", "x.csv", "--source", "crm"});
  EXPECT_EQ(kind.exit_code, 2);
  EXPECT_NE(kind.out.find("people"), std::string::npos);
  // Missing file.
  CommandResult missing = RunPatron({"--db", db_, "import", "customers", (dir_ / "nope.csv").string(), "--source", "x"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.out.find("no such file"), std::string::npos) << missing.out;
  // A truncated file (cut inside a quoted field), hostile strings and wrong types.
  fs::path csv = dir_ / "dirty.csv";
  std::ofstream(csv) << "customer_id,full_name,email,household_size,birth_date\n"
                     << "D1,\"Robert'); DROP TABLE customers;--\",bobby@example.com,three,2001-01-01\n"
                     << "D2,<script>alert(1)</script>,x@example.com,4,31/12/1999\n"
                     << "D3," << std::string(2 << 20, 'A') << ",big@example.com,1,\n"
                     << "D4,\"Unterminated, quote,u@example.com,2,\n";
  CommandResult imp = RunPatron({"--db", db_, "--json", "import", "customers", csv.string(), "--source", "crm"});
  ASSERT_EQ(imp.exit_code, 0) << imp.out.substr(0, 2000);
  json report = json::parse(imp.out, nullptr, false);
  ASSERT_FALSE(report.is_discarded());
  EXPECT_EQ(report["inserted"].get<int64_t>(), 2);
  EXPECT_EQ(report["rejected"].get<int64_t>(), 2);
  EXPECT_EQ(report["fields"]["household_size"]["invalid"].get<int64_t>(), 1);
  std::string rejects = ReadFile(csv.string() + ".rejects.csv");
  EXPECT_NE(rejects.find("line 4"), std::string::npos) << rejects.substr(0, 500);
  EXPECT_NE(rejects.find("line 5"), std::string::npos);
  json stats = Stats(db_);
  EXPECT_EQ(stats["customers"].get<int64_t>(), 2);
  CommandResult show = RunPatron({"--db", db_, "--json", "customer", "show", "bobby@example.com"});
  ASSERT_EQ(show.exit_code, 0) << show.out;
  EXPECT_EQ(json::parse(show.out)["profile"]["full_name"], "Robert'); DROP TABLE customers;--");
  // Customer not found: exit 1 with a message.
  CommandResult nobody = RunPatron({"--db", db_, "customer", "show", "nobody@example.com"});
  EXPECT_EQ(nobody.exit_code, 1);
  EXPECT_NE(nobody.out.find("no customer"), std::string::npos);
  // A file that is not a database.
  fs::path not_db = dir_ / "not.db";
  std::ofstream(not_db) << std::string(4096, 'x');
  CommandResult nd = RunPatron({"--db", not_db.string(), "stats"});
  EXPECT_EQ(nd.exit_code, 1);
  EXPECT_NE(nd.out.find("not a database"), std::string::npos) << nd.out;
}

TEST_F(CliTest, CustomAttributesAreDeclaredAndTyped) {
  CommandResult add = RunPatron({"--db", db_, "attribute", "add", "shoe_size", "integer", "--description", "EU size"});
  ASSERT_EQ(add.exit_code, 0) << add.out;
  CommandResult again = RunPatron({"--db", db_, "attribute", "add", "shoe_size", "integer"});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.out.find("already declared"), std::string::npos) << again.out;
  CommandResult bad_type = RunPatron({"--db", db_, "attribute", "add", "mood", "colour"});
  EXPECT_EQ(bad_type.exit_code, 2);
  fs::path csv = dir_ / "attrs.csv";
  std::ofstream(csv) << "customer_id,full_name,attr.shoe_size,attr.favourite_store\n"
                     << "A1,Ali Karimi,43,Tehran Mall\n"
                     << "A2,Sara Ek,large,Mall of Scandinavia\n";
  // $PATRON_DB is the default database.
  std::string cmd = "PATRON_DB=" + testing::ShellQuote(db_) + " " + testing::ShellQuote(PATRON_BINARY) + " --json import customers " +
                    testing::ShellQuote(csv.string()) + " --source crm 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  ASSERT_EQ(::pclose(p), 0) << out;
  json report = json::parse(out, nullptr, false);
  ASSERT_FALSE(report.is_discarded()) << out;
  EXPECT_EQ(report["inserted"].get<int64_t>(), 2);
  EXPECT_EQ(report["fields"]["attr.shoe_size"]["invalid"].get<int64_t>(), 1);
  CommandResult show = RunPatron({"--db", db_, "--json", "customer", "show", "1"});
  ASSERT_EQ(show.exit_code, 0) << show.out;
  json view = json::parse(show.out);
  EXPECT_EQ(view["attributes"]["shoe_size"], "43");
  EXPECT_EQ(view["attributes"]["favourite_store"], "Tehran Mall");  // undeclared: text
  CommandResult show2 = RunPatron({"--db", db_, "--json", "customer", "show", "2"});
  json view2 = json::parse(show2.out);
  EXPECT_TRUE(view2["attributes"].find("shoe_size") == view2["attributes"].end());
  ASSERT_EQ(view2["field_issues"].size(), 1u);  // kept aside with its reason
  EXPECT_EQ(view2["field_issues"][0]["value"], "large");
}

TEST_F(CliTest, DryRunShowsMappingAndWritesNothing) {
  fs::path csv = dir_ / "list.csv";
  std::ofstream(csv) << "Förnamn;Efternamn;E-post;Mobilnummer;Skostorlek\nEva;Ström;eva@example.se;0701234567;38\n";
  CommandResult r = RunPatron({"--db", db_, "import", "customers", csv.string(), "--source", "list", "--dry-run"});
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("Förnamn -> given_name"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Skostorlek -> (not mapped, ignored)"), std::string::npos) << r.out;
  EXPECT_EQ(Stats(db_)["customers"].get<int64_t>(), 0);
}

}  // namespace
}  // namespace patron
