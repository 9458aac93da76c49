// Simulation: the journey replayed over history on a copy of the store, with
// an injected clock. Nothing leaves Patron and the store is not changed.
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>

#include "journey/journey.h"
#include "journey/journey_internal.h"
#include "journey/run_internal.h"
#include "store/store.h"

namespace patron::journey {

using nlohmann::ordered_json;

ordered_json StatsToOrderedJson(const JourneyStats& s);  // store.cc

namespace {

void RemoveCopy(const std::string& path) {
  std::error_code ec;
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) std::filesystem::remove(path + suffix, ec);
}

}  // namespace

Result<SimulationResult> Simulate(Database& db, const Journey& j, const SimulationOptions& options) {
  auto t0 = std::chrono::steady_clock::now();
  if (options.weeks < 1 || options.weeks > 104) return InvalidArgument("weeks: from 1 to 104");
  if (options.tick_seconds < 60) return InvalidArgument("tick: at least a minute");
  std::random_device rd;
  const std::string copy_path = db.path() + ".simulate-" + std::to_string(::getpid()) + "-" + std::to_string(rd());
  RETURN_IF_ERROR(db.BackupTo(copy_path));
  struct Cleanup {
    std::string path;
    ~Cleanup() {
      ForgetSnapshot(path);
      RemoveCopy(path);
    }
  } cleanup{copy_path};
  SimulationResult result;
  {
    ASSIGN_OR_RETURN(auto copy, Database::Open(copy_path));
    // The copy runs this journey alone, from a clean slate, enabled at `from`.
    const std::string id = std::to_string(j.id), from = std::to_string(options.from.micros);
    RETURN_IF_ERROR(copy->Exec(
        "CREATE INDEX IF NOT EXISTS simulate_events_type_time ON events(type, occurred_at);"
        "CREATE INDEX IF NOT EXISTS simulate_orders_time ON orders(ordered_at);"
        "UPDATE journeys SET status = 'disabled' WHERE status = 'enabled';"
        "DELETE FROM journey_enrolments WHERE journey_id = " + id + ";"
        "DELETE FROM journey_segment_members WHERE journey_id = " + id + ";"
        "UPDATE journeys SET status = 'enabled', enabled_at = " + from + ", event_cursor = 0, order_cursor = 0, "
        "scanned_day = NULL, segment_scanned_at = NULL WHERE id = " + id + ";"));
    ManualClock clock(options.from);
    RunOptions run;
    run.dry_run = true;
    run.replay = true;
    run.segment_interval_seconds = 86400;
    const Instant end{options.from.micros + int64_t{options.weeks} * 7 * 86'400'000'000};
    RunReport total;
    for (Instant t = options.from; t <= end; t.micros += options.tick_seconds * 1'000'000) {
      clock.Set(t);
      ASSIGN_OR_RETURN(RunReport r, RunDue(*copy, clock, run));
      total.sent += r.sent;
      total.suppressed += r.suppressed;
    }
    ASSIGN_OR_RETURN(Journey simulated, LoadJourney(*copy, id));
    ASSIGN_OR_RETURN(result.stats, Stats(*copy, simulated));
    result.would_send = total.sent;
    result.would_suppress = total.suppressed;
  }
  result.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return result;
}

std::string SimulationToJson(const Journey& j, const SimulationResult& r) {
  ordered_json out = {{"journey", j.name}, {"would_send", r.would_send}, {"would_suppress", r.would_suppress},
                      {"ms", r.ms}};
  ordered_json stats = StatsToOrderedJson(r.stats);
  for (auto& [k, v] : stats.items()) out[k] = v;
  return out.dump();
}

}  // namespace patron::journey
