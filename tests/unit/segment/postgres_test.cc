// The PostgreSQL emitter against a real PostgreSQL server: a throwaway
// PostgreSQL (initdb + pg_ctl in a temp directory, on a free loopback port)
// gets the same rows as the SQLite store, and the emitted PostgreSQL SQL must
// select exactly the customers the engine selects — for every hand-made case of
// tests/data/segments and for random segments over generated demo data.
//
// PostgreSQL refuses to run as root: under root (as in CI containers) the
// server runs as the `postgres` user (runuser), which owns the temp directory.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <pwd.h>
#include <roaring/roaring.hh>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "demo/demo.h"
#include "engine/engine.h"
#include "ingest/ingest.h"
#include "models/models.h"
#include "segment/segment.h"
#include "segment_generator.h"
#include "store/store.h"
#include "../../tools/demo_import.h"

namespace patron::segment {
namespace {

namespace fs = std::filesystem;

// The tables the emitted SQL reads, created in PostgreSQL from the SQLite
// schema's columns (INTEGER -> bigint, REAL -> double precision, else text).
const char* const kTables[] = {"sources",       "customers",    "customer_tags", "customer_attributes",
                               "accounts",      "account_members", "contact_points", "consents",
                               "categories",    "products",     "orders",        "order_lines",
                               "events",        "customer_traits", "customer_recommendations",
                               "customer_category_propensity"};

std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Runs a shell command; returns its exit status and combined output.
int Run(const std::string& command, std::string* output = nullptr) {
  std::FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (!p) return -1;
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int status = ::pclose(p);
  if (output) *output = out;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int FreeLoopbackPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  int port = -1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

// A CSV field as PostgreSQL's CSV COPY reads it: NULL unquoted and empty,
// every other value quoted.
std::string CsvField(const Statement& q, int col) {
  if (q.IsNull(col)) return "";
  std::string v(q.Text(col));
  std::string out = "\"";
  for (char c : v) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

class PostgresServer {
 public:
  // Empty when it started; else why not (skip) or what failed.
  std::string Start() {
    bin_ = FindBin();
    if (bin_.empty()) return "fail: no PostgreSQL server under /usr/lib/postgresql (scripts/install-deps.sh installs it)";
    dir_ = fs::temp_directory_path() / ("patron_pg_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    fs::permissions(dir_, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                              fs::perms::others_read | fs::perms::others_exec);
    if (::geteuid() == 0) {
      const passwd* pw = ::getpwnam("postgres");
      if (!pw) pw = ::getpwnam("nobody");
      if (!pw) return "skip: running as root and there is no postgres or nobody user to run PostgreSQL as";
      if (::chown(dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0) return "fail: cannot hand the temp directory to " + std::string(pw->pw_name);
      as_user_ = "runuser -u " + std::string(pw->pw_name) + " -- ";
    }
    port_ = FreeLoopbackPort();
    std::string out;
    if (Run(as_user_ + bin_ + "/initdb -D " + ShellQuote((dir_ / "data").string()) +
                " --auth=trust -U postgres -E UTF8 --locale=C.UTF-8",
            &out) != 0) {
      return "fail: initdb: " + out;
    }
    started_ = Run(as_user_ + bin_ + "/pg_ctl -D " + ShellQuote((dir_ / "data").string()) + " -l " +
                       ShellQuote((dir_ / "server.log").string()) + " -w -t 60 start -o " +
                       ShellQuote("-p " + std::to_string(port_) + " -c listen_addresses=127.0.0.1 -k " +
                                  dir_.string() + " -c fsync=off -c jit=off"),
                   &out) == 0;
    if (!started_) return "fail: pg_ctl start: " + out;
    return "";
  }
  void Stop() {
    if (started_) Run(as_user_ + bin_ + "/pg_ctl -D " + ShellQuote((dir_ / "data").string()) + " -m immediate -w stop");
    started_ = false;
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  // psql against `database`, reading `script`; the exit status and the output.
  int Psql(const std::string& database, const std::string& script, std::string* output) {
    fs::path file = dir_ / "script.sql";
    std::ofstream(file) << script;
    return Run(bin_ + "/psql -X -q -A -t -v ON_ERROR_STOP=1 -h 127.0.0.1 -p " + std::to_string(port_) +
                   " -U postgres -d " + database + " -f " + ShellQuote(file.string()),
               output);
  }
  const fs::path& dir() const { return dir_; }

 private:
  static std::string FindBin() {
    std::string best;
    if (!fs::exists("/usr/lib/postgresql")) return best;
    for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql")) {
      fs::path bin = entry.path() / "bin";
      if (fs::exists(bin / "initdb") && fs::exists(bin / "psql") && (best.empty() || bin.string() > best)) {
        best = bin.string();
      }
    }
    return best;
  }
  std::string bin_, as_user_;
  fs::path dir_;
  int port_ = 0;
  bool started_ = false;
};

class PostgresTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new PostgresServer();
    std::string why = server_->Start();
    if (!why.empty()) {
      start_error_ = new std::string(why);
      server_->Stop();
    }
  }
  static void TearDownTestSuite() {
    server_->Stop();
    delete server_;
    delete start_error_;
    start_error_ = nullptr;
  }
  void SetUp() override {
    if (start_error_ && start_error_->rfind("skip: ", 0) == 0) GTEST_SKIP() << start_error_->substr(6);
    ASSERT_EQ(start_error_, nullptr) << *start_error_;
  }

  // Creates `database` in PostgreSQL with the store's rows of every table the
  // SQL reads, plus the indexes and the current_consents view of
  // bench/compare_indexes.sql.
  static void CopyStore(Database& db, const std::string& database) {
    std::string out;
    ASSERT_EQ(server_->Psql("postgres", "CREATE DATABASE " + database + ";", &out), 0) << out;
    std::string script;
    for (const char* table : kTables) {
      auto info = db.Prepare(std::string("SELECT name, upper(type) FROM pragma_table_info('") + table + "')");
      ASSERT_TRUE(info.ok()) << info.status().ToString();
      std::vector<std::string> columns;
      std::string create = std::string("CREATE TABLE ") + table + " (";
      while (*(*info)->Step()) {
        std::string name = (*info)->String(0), type = (*info)->String(1);
        std::string pg = type == "INTEGER" ? "bigint" : type == "REAL" ? "double precision" : "text";
        create += (columns.empty() ? "" : ", ") + name + " " + pg;
        columns.push_back(name);
      }
      ASSERT_FALSE(columns.empty()) << table;
      script += create + ");\n";
      std::string list;
      for (const auto& c : columns) list += (list.empty() ? "" : ", ") + c;
      fs::path csv = server_->dir() / (database + "_" + table + ".csv");
      {
        std::ofstream f(csv);
        auto rows = db.Prepare("SELECT " + list + " FROM " + table);
        ASSERT_TRUE(rows.ok()) << rows.status().ToString();
        while (*(*rows)->Step()) {
          for (size_t i = 0; i < columns.size(); ++i) f << (i ? "," : "") << CsvField(**rows, static_cast<int>(i));
          f << "\n";
        }
      }
      fs::permissions(csv, fs::perms::others_read, fs::perm_options::add);
      script += std::string("\\copy ") + table + " (" + list + ") FROM '" + csv.string() + "' CSV\n";
    }
    std::ifstream indexes(std::string(PATRON_SOURCE_DIR) + "/bench/compare_indexes.sql");
    script += std::string(std::istreambuf_iterator<char>(indexes), {});
    ASSERT_EQ(server_->Psql(database, script, &out), 0) << out;
  }

  // The store ids PostgreSQL selects for `node`; nullopt when the emitter
  // refuses the segment for PostgreSQL by design (kFailedPrecondition: Persian
  // and Hijri months need SQLite's calendar functions).
  static std::optional<std::vector<int64_t>> PostgresIds(const std::string& database, const Node& node,
                                                         const EvalOptions& o, std::string* sql_out) {
    std::vector<int64_t> ids;
    auto sql = EmitSql(node, Dialect::kPostgres, o);
    if (!sql.ok() && sql.status().code() == StatusCode::kFailedPrecondition) return std::nullopt;
    EXPECT_TRUE(sql.ok()) << sql.status().ToString();
    if (!sql.ok()) return ids;
    *sql_out = *sql;
    std::string out;
    int rc = server_->Psql(database, *sql + ";\n", &out);
    EXPECT_EQ(rc, 0) << out << "\nSQL: " << *sql;
    if (rc != 0) return ids;
    std::istringstream lines(out);
    std::string line;
    while (std::getline(lines, line)) {
      if (!line.empty()) ids.push_back(std::stoll(line));
    }
    std::sort(ids.begin(), ids.end());
    return ids;
  }

  static std::vector<int64_t> EngineIds(const engine::Snapshot& s, const Node& node, const EvalOptions& o) {
    std::vector<int64_t> ids;
    auto members = Evaluate(s, node, o);
    EXPECT_TRUE(members.ok()) << members.status().ToString();
    if (!members.ok()) return ids;
    for (uint32_t c : *members) ids.push_back(s.customer_ids[c]);
    return ids;
  }

  static PostgresServer* server_;
  static std::string* start_error_;
};

PostgresServer* PostgresTest::server_ = nullptr;
std::string* PostgresTest::start_error_ = nullptr;

TEST_F(PostgresTest, HandMadeCasesSelectWhatTheEngineSelects) {
  const std::string data = std::string(PATRON_SOURCE_DIR) + "/tests/data/segments/";
  fs::path dir = server_->dir() / "cases";
  fs::create_directories(dir);
  auto db = Database::Open((dir / "patron.db").string());
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  const Instant now = *ParseInstant("2026-06-15T12:00:00Z");
  ManualClock clock(now);
  for (auto [kind, name, source] : {std::tuple{"accounts", "accounts.csv", "crm"},
                                    std::tuple{"products", "products.csv", "catalog"},
                                    std::tuple{"customers", "customers.csv", "crm"},
                                    std::tuple{"orders", "orders.csv", "shop"},
                                    std::tuple{"events", "events.jsonl", "web"}}) {
    ingest::ImportOptions io;
    io.kind = *ingest::ParseEntityKind(kind);
    io.path = data + name;
    io.source_name = source;
    io.reject_path = (dir / "rejects.csv").string();
    auto report = ingest::ImportFile(**db, io, clock);
    ASSERT_TRUE(report.ok()) << name << ": " << report.status().ToString();
  }
  auto snapshot = engine::BuildSnapshot(**db, clock);
  ASSERT_TRUE(snapshot.ok()) << snapshot.status().ToString();
  CopyStore(**db, "cases");
  if (HasFatalFailure()) return;
  Vocabulary vocabulary = LoadVocabulary(**db, snapshot->get());
  EvalOptions o;
  o.now = now;
  o.vocabulary = &vocabulary;
  o.resolve = StoreResolver(**db);
  std::ifstream in(data + "cases.txt");
  std::string line;
  int cases = 0, refused = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#' || line.find("=>") == std::string::npos) continue;
    std::string text(TrimAscii(line.substr(0, line.rfind("=>"))));
    auto node = Parse(text, vocabulary);
    ASSERT_TRUE(node.ok()) << text << ": " << node.status().ToString();
    std::string sql;
    auto pg_ids = PostgresIds("cases", *node, o, &sql);
    if (!pg_ids) {
      refused++;
      continue;
    }
    EXPECT_EQ(EngineIds(**snapshot, *node, o), *pg_ids) << text << "\nSQL: " << sql;
    cases++;
  }
  EXPECT_GE(cases, 30);
  EXPECT_LE(refused, 5);
}

TEST_F(PostgresTest, RandomSegmentsSelectWhatTheEngineSelects) {
  const Instant now = *ParseInstant("2026-11-01T12:00:00Z");
  ManualClock clock(now);
  fs::path dir = server_->dir() / "demo";
  demo::GenerateOptions options;
  options.customers = 400;
  options.seed = 7;
  options.out_dir = (dir / "data").string();
  auto summary = demo::Generate(options);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  auto db = Database::Open((dir / "patron.db").string());
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  ASSERT_NO_FATAL_FAILURE(patron::testing::ImportDemoFiles(**db, summary->files, clock));
  models::ModelRunOptions mo;
  mo.until = CivilDate{2026, 11, 1};
  ASSERT_TRUE(models::ScoreCustomers(**db, mo, clock).ok());
  auto snapshot = engine::BuildSnapshot(**db, clock);
  ASSERT_TRUE(snapshot.ok()) << snapshot.status().ToString();
  CopyStore(**db, "demo");
  if (HasFatalFailure()) return;
  Vocabulary vocabulary = LoadVocabulary(**db, snapshot->get());
  EvalOptions o;
  o.now = now;
  o.vocabulary = &vocabulary;
  o.resolve = StoreResolver(**db);
  int total = 150;
  if (const char* env = std::getenv("PATRON_PG_SEGMENTS")) total = std::atoi(env);
  test_support::SegmentGenerator gen(**snapshot, 20261123);
  int non_empty = 0, refused = 0;
  for (int i = 0; i < total; ++i) {
    std::string text = gen.Segment();
    auto node = Parse(text, vocabulary);
    ASSERT_TRUE(node.ok()) << text << ": " << node.status().ToString();
    std::string sql;
    auto engine_ids = EngineIds(**snapshot, *node, o);
    auto pg = PostgresIds("demo", *node, o, &sql);
    if (!pg) {
      refused++;
      continue;
    }
    const std::vector<int64_t>& pg_ids = *pg;
    ASSERT_EQ(engine_ids, pg_ids) << "segment #" << i << ": " << text << "\nSQL: " << sql << "\nengine "
                                  << engine_ids.size() << " customers, PostgreSQL " << pg_ids.size();
    non_empty += !engine_ids.empty();
  }
  EXPECT_GT(non_empty, total / 3);
  EXPECT_LT(refused, total / 5) << "segments the emitter refused for PostgreSQL";
}

}  // namespace
}  // namespace patron::segment
