// Journey scheduler throughput (BENCHMARKS.md, "Journeys"): N customers
// enrolled in a journey, each with a pending timer; D of the timers are due.
// One RunDue pass runs every due step: the wait ends (logged, next timer) and
// the next step adds a tag (logged, enrolment completed) — 2·D steps, each
// claimed, run and logged in batch transactions.
//
//   journey_bench [--customers 1000000] [--due 50000] [--layout clustered|scattered] [--batch 2000]
//                 [--db /tmp/journey_bench.db] [--template PATH]
//
// --template: set up once and keep a copy there; later runs with the same
// arguments copy it instead of setting up again (the pass is what is measured).
//
// clustered: the due customers entered together (consecutive enrolments and
// timers), as when a cohort of last week's buyers reaches its next step;
// scattered: due timers spread over all enrolments in random order (worst case).
//
// Prints the time to set up, the time of the pass, steps per second and the
// peak resident memory. Memory is bounded by the batch (2000 timers), not by N.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "journey/journey.h"
#include "store/store.h"

using namespace patron;

int main(int argc, char** argv) {
  int64_t customers = 1'000'000, due = 50'000;
  std::string path = "/tmp/journey_bench.db", layout = "clustered", template_path;
  std::vector<std::string> pragmas;  // --pragma "cache_size=-131072": set before the pass (experiments)
  size_t batch = journey::RunOptions{}.batch;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--customers")) customers = std::stoll(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--due")) due = std::stoll(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--db")) path = argv[i + 1];
    else if (!std::strcmp(argv[i], "--layout")) layout = argv[i + 1];
    else if (!std::strcmp(argv[i], "--batch")) batch = std::stoul(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--template")) template_path = argv[i + 1];
    else if (!std::strcmp(argv[i], "--pragma")) pragmas.push_back(argv[i + 1]);
  }
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  const bool from_template = !template_path.empty() && std::filesystem::exists(template_path);
  if (from_template) std::filesystem::copy_file(template_path, path);
  auto opened = Database::Open(path);
  if (!opened.ok()) {
    std::fprintf(stderr, "%s\n", opened.status().ToString().c_str());
    return 1;
  }
  Database& db = **opened;
  const Instant now = *ParseInstant("2026-03-02T10:00:00Z");
  ManualClock clock(now);
  auto t0 = std::chrono::steady_clock::now();
  auto check = [](const Status& s) {
    if (!s.ok()) {
      std::fprintf(stderr, "%s\n", s.ToString().c_str());
      std::exit(1);
    }
  };
  int64_t journey_id = 1;
  if (!from_template) {
  auto spec = journey::SpecFromJson(R"({"name": "bench", "trigger": {"kind": "event", "event_type": "bench"},
      "steps": [{"id": "wait", "kind": "wait", "duration": "1d"}, {"id": "tag", "kind": "add_tag", "tag": "benched"}],
      "exit": {"unsubscribed": false}})");
  if (!spec.ok()) return 1;
  auto j = journey::CreateJourney(db, *spec, "bench", clock);
  if (!j.ok()) return 1;
  check(journey::EnableJourney(db, *j, clock));
  const std::string n = std::to_string(customers), id = std::to_string(j->id), t = std::to_string(now.micros);
  // Everyone waits: `due` of them until now, the rest until tomorrow (in the order of their ids, shuffled by a hash).
  check(db.Exec("BEGIN;"
                "WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < " + n + ") "
                "INSERT INTO customers (id, time_zone, country, created_at, updated_at) SELECT i, 'UTC', 'SE', 0, 0 FROM k;"
                "INSERT INTO journey_enrolments (id, journey_id, customer_id, entry_key, state, current_step, entered_at) "
                "SELECT id, " + id + ", id, 'bench', 'active', 'wait', " + t + " - 86400000000 FROM customers;"
                "INSERT INTO journey_timers (enrolment_id, journey_id, step, due_at, status, wait_since) "
                "SELECT id, " + id + ", 'wait', CASE WHEN " +
                (layout == "scattered" ? "(id * 2654435761) % " + n + " < " + std::to_string(due)
                                       : "id > " + std::to_string(customers / 2) + " AND id <= " +
                                             std::to_string(customers / 2 + due)) +
                " THEN " + t + " - 1000000 ELSE " + t + " + 86400000000 END, 'pending', " + t +
                " - 86400000000 FROM journey_enrolments" + (layout == "scattered" ? " ORDER BY random();" : ";") +
                "COMMIT;"));
  journey_id = j->id;
  if (!template_path.empty()) {
    check(db.Exec("PRAGMA wal_checkpoint(TRUNCATE)"));
    std::filesystem::copy_file(path, template_path, std::filesystem::copy_options::overwrite_existing);
  }
  }
  (void)journey_id;
  double setup = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  auto pending = db.QueryInt("SELECT count(*) FROM journey_timers WHERE status = 'pending'");
  for (const std::string& p : pragmas) check(db.Exec("PRAGMA " + p));
  // Bytes written by the process (/proc/self/io wchar): the pass's I/O volume, a
  // figure the shared machine's load does not blur.
  auto written = [] {
    std::ifstream io("/proc/self/io");
    std::string key;
    long long value = 0;
    while (io >> key >> value)
      if (key == "wchar:") return value;
    return 0LL;
  };
  const long long written_before = written();
  // CPU time of the pass (user + system): on this shared machine the wall time
  // also counts the time other processes hold the CPUs.
  auto cpu = [] {
    struct rusage u;
    ::getrusage(RUSAGE_SELF, &u);
    return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
  };
  const double cpu_before = cpu();
  auto t1 = std::chrono::steady_clock::now();
  journey::RunOptions options;
  options.batch = batch;
  auto report = journey::RunDue(db, clock, options);
  double pass = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
  const double pass_cpu = cpu() - cpu_before;
  if (!report.ok()) {
    std::fprintf(stderr, "%s\n", report.status().ToString().c_str());
    return 1;
  }
  struct rusage usage;
  ::getrusage(RUSAGE_SELF, &usage);
  auto tagged = db.QueryInt("SELECT count(*) FROM customer_tags WHERE tag = 'benched'");
  std::printf("layout                    %s, batch %zu\n", layout.c_str(), batch);
  std::printf("customers enrolled        %lld (pending timers %lld)\n", static_cast<long long>(customers),
              static_cast<long long>(pending.ok() ? *pending : -1));
  std::printf("setup                     %.1f s\n", setup);
  std::printf("due enrolments            %lld\n", static_cast<long long>(tagged.ok() ? *tagged : -1));
  std::printf("steps run                 %llu in %.2f s = %.0f steps/s\n",
              static_cast<unsigned long long>(report->steps), pass, report->steps / pass);
  std::printf("pass CPU time (user+sys)  %.2f s\n", pass_cpu);
  std::printf("completed                 %llu\n", static_cast<unsigned long long>(report->completed));
  std::printf("written                   %.0f MB\n", (written() - written_before) / 1e6);
  std::printf("peak resident memory      %.0f MB\n", usage.ru_maxrss / 1024.0);
  return 0;
}
