// Measures bringing an engine snapshot up to date: build (or load) the snapshot
// of DB, append NEW_EVENTS events for random existing customers and touch
// CHANGED customers' profiles (as the collector and imports would, through
// SQL), then time ApplyDelta against a full rebuild.
//   snapshot_delta DB [NEW_EVENTS] [CHANGED_CUSTOMERS] [ROUNDS]
// Writes to DB: run it on a copy of benchmark data.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include "engine/engine.h"
#include "store/store.h"

namespace {

double MsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

void Check(const patron::Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "snapshot_delta: %s: %s\n", what, s.ToString().c_str());
    std::exit(1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: snapshot_delta DB [NEW_EVENTS] [CHANGED_CUSTOMERS] [ROUNDS]\n");
    return 2;
  }
  const std::string path = argv[1];
  const int new_events = argc > 2 ? std::atoi(argv[2]) : 10000;
  const int changed = argc > 3 ? std::atoi(argv[3]) : 100;
  const int rounds = argc > 4 ? std::atoi(argv[4]) : 3;
  auto db = patron::Database::Open(path);
  Check(db.status(), "open");
  auto& clock = patron::SystemClock::Get();

  auto t0 = std::chrono::steady_clock::now();
  patron::engine::SnapshotSource source;
  auto snapshot = patron::engine::OpenSnapshot(**db, clock, {}, &source);
  Check(snapshot.status(), "open snapshot");
  std::printf("snapshot: %u customers, %zu events, %s in %.0f ms\n", (*snapshot)->customer_count(),
              (*snapshot)->events.at.size(), source == patron::engine::SnapshotSource::kStore  ? "built (and saved)"
              : source == patron::engine::SnapshotSource::kFile ? "loaded from the file"
                                                                 : "loaded from the file, delta applied, saved",
              MsSince(t0));

  auto max_customer = (*db)->QueryInt("SELECT max(id) FROM customers");
  auto source_id = (*db)->QueryInt("SELECT min(id) FROM sources");
  Check(max_customer.status(), "max customer");
  Check(source_id.status(), "source");
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<int64_t> customer(1, *max_customer);
  const int64_t now = clock.Now().micros;
  std::shared_ptr<const patron::engine::Snapshot> current = *snapshot;
  for (int round = 0; round < rounds; ++round) {
    auto w0 = std::chrono::steady_clock::now();
    Check((*db)->Begin(), "begin");
    auto ins = (*db)->Prepare(
        "INSERT INTO events(customer_id, type, occurred_at, received_at, source_id, source_key, properties) "
        "VALUES (?, ?, ?, ?, ?, ?, '{}')");
    Check(ins.status(), "prepare");
    for (int i = 0; i < new_events; ++i) {
      int64_t c = customer(rng);
      (*ins)->Bind(1, c).Bind(2, i % 3 ? "page_viewed" : "product_viewed").Bind(3, now - i).Bind(4, now);
      (*ins)->Bind(5, *source_id).Bind(6, "delta-" + std::to_string(now) + "-" + std::to_string(round) + "-" + std::to_string(i));
      auto r = (*ins)->Run();
      Check(r, "insert event");
    }
    auto upd = (*db)->Prepare("UPDATE customers SET city = 'Delta', updated_at = ? WHERE id = ?");
    Check(upd.status(), "prepare");
    for (int i = 0; i < changed; ++i) {
      (*upd)->Bind(1, now).Bind(2, customer(rng));
      Check((*upd)->Run(), "update customer");
    }
    ins->reset();
    upd->reset();
    Check(patron::NoteEngineInputsChanged(**db), "note the write");  // as every writer does (store.h)
    Check((*db)->Commit(), "commit");
    double write_ms = MsSince(w0);

    auto d0 = std::chrono::steady_clock::now();
    patron::engine::DeltaStats stats;
    auto next = patron::engine::ApplyDelta(current, **db, clock, &stats);
    Check(next.status(), "delta");
    double delta_ms = MsSince(d0);
    std::printf("round %d: wrote %d events + %d profile updates in %.0f ms; delta applied in %.1f ms "
                "(%llu new events, %llu changed customers), snapshot now %zu events\n",
                round + 1, new_events, changed, write_ms, delta_ms,
                static_cast<unsigned long long>(stats.new_events),
                static_cast<unsigned long long>(stats.changed_customers), (*next)->events.at.size());
    current = *next;
  }
  auto r0 = std::chrono::steady_clock::now();
  auto rebuilt = patron::engine::BuildSnapshot(**db, clock);
  Check(rebuilt.status(), "rebuild");
  std::printf("full rebuild for comparison: %.0f ms (%zu events)\n", MsSince(r0), (*rebuilt)->events.at.size());
  return 0;
}
