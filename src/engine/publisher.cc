// SnapshotPublisher: one current snapshot per store, refreshed by deltas at a
// bounded rate (engine.h).
#include <thread>

#include "engine/engine.h"
#include "store/store.h"

namespace patron::engine {

std::shared_ptr<const Snapshot> SnapshotPublisher::Current() const {
  std::lock_guard lock(published_mu_);
  return current_;
}

SnapshotPublisher::Stats SnapshotPublisher::stats() const {
  std::lock_guard lock(published_mu_);
  return stats_;
}

Result<std::shared_ptr<const Snapshot>> SnapshotPublisher::Get(Database& db, const Clock& clock) {
  // Fast path: the published snapshot has seen everything committed so far.
  // The watermarks are read before looking at the snapshot, so a publication
  // racing with this call can only make the answer newer.
  ASSIGN_OR_RETURN(Watermarks store, ReadWatermarks(db));
  if (auto current = Current(); current && current->watermarks == store) return current;

  std::lock_guard refresh(refresh_mu_);
  // Another request may have published what this one needs while it waited.
  ASSIGN_OR_RETURN(store, ReadWatermarks(db));
  auto current = Current();
  if (current && current->watermarks == store) return current;
  if (current) {
    auto next_allowed = published_at_ + min_interval_;
    if (auto now = std::chrono::steady_clock::now(); now < next_allowed) std::this_thread::sleep_for(next_allowed - now);
  }
  std::shared_ptr<const Snapshot> next;
  bool delta = false, loaded = false;
  if (!current) {
    ASSIGN_OR_RETURN(next, OpenSnapshot(db, clock));
    loaded = true;
  } else {
    RefreshKind kind = RefreshKind::kUnchanged;
    ASSIGN_OR_RETURN(next, RefreshSnapshot(current, db, clock, &kind));
    delta = kind != RefreshKind::kRebuild;
  }
  std::lock_guard lock(published_mu_);
  current_ = next;
  published_at_ = std::chrono::steady_clock::now();
  if (loaded) {
    stats_.loads++;
  } else if (delta) {
    stats_.deltas++;
  } else {
    stats_.rebuilds++;
  }
  return next;
}

}  // namespace patron::engine
