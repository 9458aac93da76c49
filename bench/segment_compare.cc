// The engine side of the segment benchmark: builds the snapshot from a Patron
// database, writes it to the database's snapshot file, loads it from there and
// runs every segment of a segments file on it (median of several runs), optionally then runs the emitted SQL on SQLite, and writes the SQL for
// PostgreSQL and DuckDB beside the results for bench/segment_compare.sh.
//   segment_compare DB SEGMENTS_FILE OUT_DIR [--sqlite] [--sqlite-timeout SECONDS] [--runs N]
// A SQLite query still running after --sqlite-timeout seconds is interrupted and
// recorded as {"sqlite_timeout": SECONDS} (at 10M / 200M some take far longer).
#include <roaring/roaring.hh>
#include <sqlite3.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "engine/engine.h"
#include "segment/segment.h"
#include "store/store.h"

namespace {

using namespace patron;
using nlohmann::ordered_json;
using Steady = std::chrono::steady_clock;

double Ms(Steady::time_point t0) { return std::chrono::duration<double, std::milli>(Steady::now() - t0).count(); }

long PeakRssMb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024;
}

[[noreturn]] void Die(const Status& s, const std::string& what) {
  std::fprintf(stderr, "segment_compare: %s: %s\n", what.c_str(), s.ToString().c_str());
  std::exit(1);
}

// Interrupts the connection's running statement once `seconds` pass, unless
// Disarm() comes first.
class Watchdog {
 public:
  Watchdog(sqlite3* db, double seconds)
      : thread_([this, db, seconds] {
          std::unique_lock lock(mutex_);
          if (!cv_.wait_for(lock, std::chrono::duration<double>(seconds), [this] { return disarmed_; })) {
            fired_ = true;
            sqlite3_interrupt(db);
          }
        }) {}
  ~Watchdog() { Disarm(); }
  bool Disarm() {
    {
      std::lock_guard lock(mutex_);
      disarmed_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
    return fired_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool disarmed_ = false;
  bool fired_ = false;
  std::thread thread_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: segment_compare DB SEGMENTS_FILE OUT_DIR [--sqlite] [--sqlite-timeout S] [--runs N]\n");
    return 2;
  }
  std::string db_path = argv[1], segments_path = argv[2], out_dir = argv[3];
  bool run_sqlite = false;
  int runs = 5;
  double sqlite_timeout_s = 1e9;
  for (int i = 4; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--sqlite") run_sqlite = true;
    if (a == "--runs" && i + 1 < argc) runs = std::max(1, std::atoi(argv[++i]));
    if (a == "--sqlite-timeout" && i + 1 < argc) sqlite_timeout_s = std::max(1.0, std::atof(argv[++i]));
  }
  std::filesystem::create_directories(out_dir + "/sql");
  auto db = Database::Open(db_path);
  if (!db.ok()) Die(db.status(), db_path);
  if (Status s = segment::RegisterSqlFunctions(**db); !s.ok()) Die(s, "functions");

  // The snapshot is built from the store (timed), written to the store's
  // snapshot file and released; the segments then run on the snapshot loaded
  // from that file (timed), as every start of `patron` and the server uses it.
  auto stamp = engine::ReadStoreStamp(**db);
  if (!stamp.ok()) Die(stamp.status(), "store stamp");
  auto t0 = Steady::now();
  auto built = engine::BuildSnapshot(**db, SystemClock::Get());
  if (!built.ok()) Die(built.status(), "snapshot");
  const double build_ms = Ms(t0);
  const std::string snapshot_path = engine::SnapshotPath(db_path);
  if (Status s = engine::SaveSnapshot(**built, *stamp, snapshot_path); !s.ok()) Die(s, snapshot_path);
  built->reset();
  auto t1 = Steady::now();
  auto snapshot = engine::LoadSnapshot(snapshot_path, *stamp, db_path);
  if (!snapshot.ok()) Die(snapshot.status(), snapshot_path);
  const double load_ms = Ms(t1);
  const engine::Snapshot& snap = **snapshot;
  std::fprintf(stderr,
               "snapshot: %u customers, %zu events, %zu orders, %zu order lines; built in %.0f ms, "
               "loaded from its file in %.0f ms\n",
               snap.customer_count(), snap.events.at.size(), snap.orders.at.size(), snap.purchases.at.size(),
               build_ms, load_ms);

  segment::Vocabulary vocabulary = segment::LoadVocabulary(**db, &snap);
  segment::EvalOptions options;
  options.now = *ParseInstant("2026-11-01T12:00:00Z");
  options.vocabulary = &vocabulary;
  options.resolve = segment::StoreResolver(**db);

  // Engine first, on a quiet machine, every segment; then the snapshot is
  // released (so SQLite has the memory for its page cache) and SQLite runs the
  // emitted SQL. patron.json is rewritten after each step, so an interrupted
  // SQLite phase keeps what was measured.
  ordered_json results = ordered_json::array();
  std::vector<std::string> sqlite_sql;
  std::ifstream in(segments_path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    size_t tab = line.find('\t');
    std::string name = line.substr(0, tab), text = line.substr(tab + 1);
    auto node = segment::Parse(text, vocabulary);
    if (!node.ok()) Die(node.status(), name);
    std::vector<double> times;
    uint64_t count = 0;
    for (int r = 0; r < runs + 1; ++r) {  // the first run also loads any event property
      auto t = Steady::now();
      auto members = segment::Count(snap, *node, options);
      double ms = Ms(t);
      if (!members.ok()) Die(members.status(), name);
      count = *members;
      if (r > 0) times.push_back(ms);
    }
    std::sort(times.begin(), times.end());
    ordered_json row = {{"name", name}, {"segment", text}, {"count", count}, {"ms", times[times.size() / 2]}};
    for (auto [dialect, ext] : {std::pair{segment::Dialect::kSqlite, "sqlite"},
                                std::pair{segment::Dialect::kPostgres, "pg"},
                                std::pair{segment::Dialect::kDuckDb, "duckdb"}}) {
      auto sql = segment::EmitSql(*node, dialect, options);
      if (!sql.ok()) Die(sql.status(), name);
      std::ofstream(out_dir + "/sql/" + name + "." + ext + ".sql") << *sql << ";\n";
      if (dialect == segment::Dialect::kSqlite) sqlite_sql.push_back(*sql);
    }
    std::fprintf(stderr, "%-22s %9llu  %8.2f ms\n", name.c_str(), static_cast<unsigned long long>(count),
                 row["ms"].get<double>());
    results.push_back(row);
  }
  ordered_json out = {{"customers", snap.customer_count()},
                      {"events", snap.events.at.size()},
                      {"orders", snap.orders.at.size()},
                      {"order_lines", snap.purchases.at.size()},
                      {"snapshot_build_ms", build_ms},
                      {"snapshot_load_ms", load_ms},
                      {"engine_bytes", snap.MemoryBytes()},
                      {"event_bytes_per_event",
                       snap.events.at.empty() ? 0.0
                                              : static_cast<double>(snap.EventBytes()) / snap.events.at.size()},
                      {"peak_rss_mb", PeakRssMb()},
                      {"segments", results}};
  auto save = [&] { std::ofstream(out_dir + "/patron.json") << out.dump(2) << "\n"; };
  save();
  if (!run_sqlite) return 0;
  vocabulary = {};
  snapshot->reset();
  for (size_t i = 0; i < sqlite_sql.size(); ++i) {
    ordered_json& row = out["segments"][i];
    auto stmt = (*db)->Prepare(sqlite_sql[i]);
    if (!stmt.ok()) Die(stmt.status(), row["name"].get<std::string>());
    auto t = Steady::now();
    uint64_t sqlite_count = 0;
    Watchdog watchdog((*db)->handle(), sqlite_timeout_s);
    Status failed;
    while (true) {
      auto more = (*stmt)->Step();
      if (!more.ok()) {
        failed = more.status();
        break;
      }
      if (!*more) break;
      sqlite_count++;
    }
    if (watchdog.Disarm()) {
      row["sqlite_timeout"] = sqlite_timeout_s;
      std::fprintf(stderr, "sqlite %-22s timed out after %.0f s\n", row["name"].get<std::string>().c_str(),
                   sqlite_timeout_s);
    } else {
      if (!failed.ok()) Die(failed, row["name"].get<std::string>());
      row["sqlite_count"] = sqlite_count;
      row["sqlite_ms"] = Ms(t);
      std::fprintf(stderr, "sqlite %-22s %9llu  %8.1f ms\n", row["name"].get<std::string>().c_str(),
                   static_cast<unsigned long long>(sqlite_count), row["sqlite_ms"].get<double>());
    }
    save();
  }
  return 0;
}
