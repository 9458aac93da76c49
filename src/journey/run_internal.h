// The scheduler's state for one pass (run.cc, triggers.cc); not public.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "campaign/campaign.h"
#include "journey/journey.h"

class Roaring;
namespace patron::engine {
struct Snapshot;
}

namespace patron::journey {

// A due timer with what its enrolment says.
struct Due {
  int64_t timer_id = 0, enrolment_id = 0, journey_id = 0;
  std::string step;
  Instant due_at;
  std::string status, wait_event, message_id;
  std::optional<int64_t> wait_since;
  int attempts = 0;
  int64_t customer_id = 0;
  Instant entered_at;
  bool event_arrived = false;
};

// An outside effect claimed in a batch, performed after its commit.
struct Effect {
  Due due;
  const Journey* journey = nullptr;
  const Step* step = nullptr;
  campaign::SingleMessage message;  // sends
  const campaign::Campaign* campaign = nullptr;
  std::string message_key;
  std::string webhook_body;  // webhooks
};

// Drops the snapshot kept for `db_path` between passes (a simulation's copy).
void ForgetSnapshot(const std::string& db_path);

class Runner {
 public:
  Runner(Database& db, const Clock& clock, const RunOptions& options, RunReport& report);
  ~Runner();

  Status LoadJourneys();
  // Evaluates the segments of enabled journeys (triggers and branch conditions) for this pass.
  Status EvaluateSegments();
  // Enrols the customers of every enabled journey whose trigger fired (triggers.cc).
  Status RunTriggers();
  // Runs due timers in batches until none is due.
  Status RunTimers();
  // In the caller's transaction. 0 when the re-entry rule or the entry key refuses.
  Result<int64_t> EnrolCustomer(const Journey& j, int64_t customer_id, std::string_view entry_key, Instant first_due);

 private:
  const Journey* journey(int64_t id) const;
  Result<const campaign::Campaign*> CampaignFor(const std::string& name);
  Result<campaign::Transport*> TransportFor(const campaign::Campaign& c);
  Result<std::string> ZoneOf(int64_t customer_id);
  Result<std::string> ZoneOfEnrolment(int64_t enrolment_id);
  Result<std::shared_ptr<const engine::Snapshot>> Snapshot();
  Result<const ::Roaring*> SegmentMembers(const std::string& text);
  Result<bool> InSegment(const std::string& text, int64_t customer_id);
  Status Log(const Due& d, std::string_view step, std::string_view outcome);
  Status Finish(int64_t enrolment_id, std::string_view state, std::string_view reason);
  Status TimerDone(int64_t timer_id, std::string_view error);
  Status InsertTimer(int64_t enrolment_id, const Journey& j, const Step& step, Instant due_at, Instant now,
                     bool start_wait);
  Status Advance(const Due& d, const Journey& j, const std::string& next);
  // Whether the next step may run at once, in the transaction of the step before it.
  bool CanChain(const Step& next) const;
  Result<std::string> ExitReason(const Journey& j, const Due& d);
  Result<bool> Response(const Journey& j, const Due& d, const std::string& response);
  Result<std::optional<Effect>> Process(Due& d);
  Status Claim(const Due& d, const std::string& message_id);
  Status Perform(Effect& e);
  // triggers.cc
  Status TriggerEvents(const Journey& j, int64_t& cursor, Instant since);
  Status TriggerOrders(const Journey& j, int64_t& cursor, Instant since);
  Status TriggerSegment(const Journey& j, bool baseline);
  Status TriggerDates(const Journey& j);

  Database& db_;
  const Clock& clock_;
  const RunOptions& options_;
  RunReport& report_;
  campaign::Policy policy_;
  std::map<int64_t, std::unique_ptr<Journey>> journeys_;
  std::map<std::string, std::vector<int64_t>> exit_listeners_;  // journey name -> journeys exiting on entering it
  std::map<std::string, std::unique_ptr<campaign::Campaign>> campaigns_;
  std::map<int64_t, std::unique_ptr<campaign::Transport>> transports_;
  std::map<int64_t, int64_t> enrolment_customers_;  // of the current batch
  int chain_depth_ = 0;  // steps run at once after the claimed one (Advance)
  std::shared_ptr<const engine::Snapshot> snapshot_;
  std::map<std::string, std::unique_ptr<::Roaring>> segment_cache_;
};

}  // namespace patron::journey
