// Work `patron serve` does on its own, on a timer: each task has its own
// thread, runs once per interval (the first time right after start) and is
// stopped at shutdown before the store closes. A task's failure is logged and
// retried at the next interval; it never stops the server.
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>

#include "server/server_internal.h"

namespace patron::server {

std::vector<PeriodicTask> PeriodicTasks(const ServerConfig& config) {
  std::vector<PeriodicTask> tasks;
  // Each subsystem with scheduled work adds its task here.
  tasks.push_back(CampaignSchedulerTask());
  tasks.push_back(JourneyPeriodicTask());
  tasks.push_back(WeeklyReportTask());
  if (config.identity_interval_seconds > 0) {
    tasks.push_back(IdentityUpkeepTask(std::chrono::seconds(config.identity_interval_seconds)));
  }
  // A query a second costs nothing; a survivorship change is applied at once.
  tasks.push_back(GoldenRewriteTask(std::chrono::seconds(1)));
  return tasks;
}

PeriodicRunner::~PeriodicRunner() { Stop(); }

void PeriodicRunner::Start(ServerState& state, std::vector<PeriodicTask> tasks) {
  for (PeriodicTask& task : tasks) {
    threads_.emplace_back([this, &state, task = std::move(task)] {
      while (true) {
        Status s = task.run(state);
        if (!s.ok()) std::fprintf(stderr, "patron serve: %s: %s\n", task.name.c_str(), s.ToString().c_str());
        std::unique_lock lock(mu_);
        if (cv_.wait_for(lock, task.interval, [this] { return stopping_; })) return;
      }
    });
  }
}

void PeriodicRunner::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (std::thread& t : threads_) t.join();
  threads_.clear();
}

bool PeriodicRunner::stopping() const {
  std::lock_guard lock(mu_);
  return stopping_;
}

}  // namespace patron::server
