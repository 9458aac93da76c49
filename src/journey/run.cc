// The durable scheduler: enrols customers whose trigger fired and runs the
// due steps of every enabled journey.
//
// Exactly once (see 0011_journeys.sql): a step without outside effects runs in
// the transaction that claims its timer, logs it and creates the next timer.
// A send or webhook is claimed (timer 'running', committed) before the effect
// and completed after it in a second transaction; a timer still 'running'
// when its lease ends was in flight when a scheduler died and is done again
// with the same Message-ID / Idempotency-Key.
#include <curl/curl.h>
#include <roaring/roaring.hh>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <nlohmann/json.hpp>

#include "campaign/campaign.h"
#include "campaign/campaign_internal.h"
#include "engine/engine.h"
#include "journey/journey.h"
#include "journey/journey_internal.h"
#include "journey/run_internal.h"
#include "segment/segment.h"
#include "store/store.h"

namespace patron::journey {

using nlohmann::json;

namespace {

constexpr int64_t kSecond = 1'000'000;
constexpr int64_t kDayMicros = 86'400'000'000;
constexpr int kMaxAttempts = 5;
constexpr size_t kMaxEffectsPerBatch = 64;
// Steps run in a row without a timer in between (a loop of branches stops here
// and goes on from a timer in the next batch).
constexpr int kMaxChain = 16;

int64_t RetryDelayMicros(int attempts) {
  int64_t minutes = int64_t{1} << std::min(attempts - 1, 9);
  return std::min<int64_t>(minutes, 360) * 60 * kSecond;
}

size_t AppendBody(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

}  // namespace

namespace {
std::mutex snapshot_cache_mutex;
std::map<std::string, std::shared_ptr<const engine::Snapshot>> snapshot_cache;
}  // namespace

void ForgetSnapshot(const std::string& db_path) {
  std::lock_guard lock(snapshot_cache_mutex);
  snapshot_cache.erase(db_path);
}

// ---------------------------------------------------------------------------
// Runner
// ---------------------------------------------------------------------------

Runner::Runner(Database& db, const Clock& clock, const RunOptions& options, RunReport& report)
    : db_(db), clock_(clock), options_(options), report_(report) {}
Runner::~Runner() = default;

Status Runner::LoadJourneys() {
  journeys_.clear();
  ASSIGN_OR_RETURN(std::vector<Journey> all, ListJourneys(db_));
  for (Journey& j : all) journeys_[j.id] = std::make_unique<Journey>(std::move(j));
  exit_listeners_.clear();
  for (auto& [id, j] : journeys_)
    for (const std::string& other : j->exit_if_entered) exit_listeners_[other].push_back(id);
  ASSIGN_OR_RETURN(policy_, campaign::LoadPolicy(db_));
  return Status::Ok();
}

const Journey* Runner::journey(int64_t id) const {
  auto it = journeys_.find(id);
  return it == journeys_.end() ? nullptr : it->second.get();
}

Result<const campaign::Campaign*> Runner::CampaignFor(const std::string& name) {
  auto it = campaigns_.find(name);
  if (it != campaigns_.end()) return it->second.get();
  ASSIGN_OR_RETURN(campaign::Campaign c, campaign::LoadCampaign(db_, name));
  auto& slot = campaigns_[name];
  slot = std::make_unique<campaign::Campaign>(std::move(c));
  return slot.get();
}

Result<campaign::Transport*> Runner::TransportFor(const campaign::Campaign& c) {
  if (options_.transport) return options_.transport;
  auto it = transports_.find(c.id);
  if (it != transports_.end()) return it->second.get();
  campaign::TransportConfig config;
  config.smtp_url = options_.smtp_url;
  config.sms_gateway_file = options_.sms_gateway_file;
  config.list_path = options_.call_list_path;
  ASSIGN_OR_RETURN(auto t, campaign::MakeTransport(db_, c, config));
  auto* raw = t.get();
  transports_[c.id] = std::move(t);
  return raw;
}

Result<std::string> Runner::ZoneOf(int64_t customer_id) {
  Statement& q = db_.Query("journey-customer-zone");
  q.Bind(":customer_id", customer_id);
  ASSIGN_OR_RETURN(bool row, q.Step());
  std::string tz = row ? q.String(0) : "", country = row ? q.String(1) : "";
  q.Reset();
  return campaign::ZoneFor(tz, country, policy_);
}

Result<std::shared_ptr<const engine::Snapshot>> Runner::Snapshot() {
  if (snapshot_) return snapshot_;
  // One snapshot per database for the process, brought up to date each pass
  // (cheap when nothing changed), so that a branch every second does not
  // rebuild it every second.
  std::lock_guard lock(snapshot_cache_mutex);
  auto& slot = snapshot_cache[db_.path()];
  if (slot) {
    auto refreshed = engine::RefreshSnapshot(slot, db_, clock_);
    if (refreshed.ok()) slot = *refreshed;
    else slot = nullptr;
  }
  if (!slot) {
    ASSIGN_OR_RETURN(slot, engine::BuildSnapshot(db_, clock_));
  }
  snapshot_ = slot;
  return snapshot_;
}

Result<const ::Roaring*> Runner::SegmentMembers(const std::string& text) {
  auto it = segment_cache_.find(text);
  if (it != segment_cache_.end()) return it->second.get();
  ASSIGN_OR_RETURN(auto snap, Snapshot());
  auto node = segment::Parse(text, segment::LoadVocabulary(db_, snap.get()));
  if (!node.ok()) return node.status();
  segment::EvalOptions eval;
  eval.now = clock_.Now();
  eval.resolve = segment::StoreResolver(db_);
  ASSIGN_OR_RETURN(::Roaring members, segment::Evaluate(*snap, *node, eval));
  auto& slot = segment_cache_[text];
  slot = std::make_unique<::Roaring>(std::move(members));
  return slot.get();
}

Status Runner::EvaluateSegments() {
  // Reading the snapshot takes its own transaction: evaluate every segment the
  // pass may ask about before the pass's transactions begin.
  for (auto& [id, j] : journeys_) {
    if (j->status != "enabled") continue;
    std::vector<std::string> texts;
    if (!j->trigger.segment.empty()) texts.push_back(j->trigger.segment);
    for (const Step& st : j->steps)
      if (!st.condition.empty()) texts.push_back(st.condition);
    for (const std::string& text : texts) {
      auto members = SegmentMembers(text);
      if (!members.ok()) return members.status().WithContext("journey \"" + j->name + "\"");
    }
  }
  return Status::Ok();
}

Result<bool> Runner::InSegment(const std::string& text, int64_t customer_id) {
  if (!segment_cache_.count(text) && db_.in_transaction())
    return Internal("segment evaluated inside a transaction (EvaluateSegments missed it)");
  ASSIGN_OR_RETURN(const ::Roaring* members, SegmentMembers(text));
  uint32_t index = snapshot_->IndexOf(customer_id);
  if (index == UINT32_MAX) return false;
  return members->contains(index);
}

Status Runner::Log(const Due& d, std::string_view step, std::string_view outcome) {
  Statement& q = db_.Query("journey-step-log-insert");
  q.Bind(":enrolment_id", d.enrolment_id).Bind(":journey_id", d.journey_id).Bind(":step", step)
      .Bind(":outcome", outcome).Bind(":now", clock_.Now().micros);
  return q.Run();
}

Status Runner::Finish(int64_t enrolment_id, std::string_view state, std::string_view reason) {
  Statement& q = db_.Query("journey-enrolment-finish");
  q.Bind(":state", state).Bind(":now", clock_.Now().micros).Bind(":reason", reason).Bind(":id", enrolment_id);
  RETURN_IF_ERROR(q.Run());
  Statement& c = db_.Query("journey-timers-cancel-enrolment");
  c.Bind(":enrolment_id", enrolment_id);
  RETURN_IF_ERROR(c.Run());
  if (state == "completed") ++report_.completed;
  else ++report_.exited;
  return Status::Ok();
}

Status Runner::TimerDone(int64_t timer_id, std::string_view error) {
  if (timer_id == 0) return Status::Ok();  // a step run at once after another (Advance) has no timer
  Statement& q = db_.Query("journey-timer-done");
  q.Bind(":id", timer_id).BindOptional(":error", error);
  return q.Run();
}

Status Runner::InsertTimer(int64_t enrolment_id, const Journey& j, const Step& step, Instant due_at, Instant now,
                           bool start_wait) {
  Statement& q = db_.Query("journey-timer-insert");
  q.Bind(":enrolment_id", enrolment_id).Bind(":journey_id", j.id).Bind(":step", step.id);
  if (start_wait && step.kind == StepKind::kWait) {
    // The wait starts now: the timer is its end (or its timeout, waiting for an event).
    Instant end{now.micros + step.seconds * kSecond};
    if (step.local_minute && step.until_event.empty()) {
      ASSIGN_OR_RETURN(std::string zone, ZoneOfEnrolment(enrolment_id));
      end = NextLocalTime(end, *step.local_minute, zone);
    }
    q.Bind(":due_at", end.micros).BindOptional(":wait_event", std::string_view(step.until_event))
        .Bind(":wait_since", now.micros);
  } else {
    q.Bind(":due_at", due_at.micros).BindNull(":wait_event").BindNull(":wait_since");
  }
  RETURN_IF_ERROR(q.Run());
  Statement& u = db_.Query("journey-enrolment-step");
  u.Bind(":step", step.id).Bind(":id", enrolment_id);
  return u.Run();
}

Result<std::string> Runner::ZoneOfEnrolment(int64_t enrolment_id) {
  auto it = enrolment_customers_.find(enrolment_id);
  if (it == enrolment_customers_.end()) return std::string(policy_.default_time_zone);
  return ZoneOf(it->second);
}

Status Runner::Advance(const Due& d, const Journey& j, const std::string& next) {
  if (next.empty()) return Finish(d.enrolment_id, "completed", "completed");
  const Step* step = FindStep(j, next);
  if (!step) return Finish(d.enrolment_id, "exited", "step_removed");
  enrolment_customers_[d.enrolment_id] = d.customer_id;
  // The next step follows when this one was due, not when a late pass ran
  // it: the schedule does not drift, and staleness (skip_if_stale) carries over.
  Instant base = std::min(clock_.Now(), d.due_at);
  if (CanChain(*step)) {
    // Due at once and without outside effects: run it now, in this step's
    // transaction, instead of writing a timer for it and claiming that timer
    // later. Exactly once still holds: it commits (and is logged) together
    // with the step before it, whose timer or claim guards both.
    Due next_due = d;
    next_due.timer_id = 0;
    next_due.step = step->id;
    next_due.due_at = base;
    next_due.status = "pending";
    next_due.wait_event.clear();
    next_due.wait_since.reset();
    next_due.attempts = 0;
    next_due.message_id.clear();
    next_due.event_arrived = false;
    ++chain_depth_;
    auto effect = Process(next_due);
    --chain_depth_;
    if (!effect.ok()) return effect.status();
    if (*effect) return Internal("journey step '" + step->id + "' with an outside effect was run at once");
    return Status::Ok();
  }
  return InsertTimer(d.enrolment_id, j, *step, base, base, /*start_wait=*/true);
}

bool Runner::CanChain(const Step& next) const {
  if (chain_depth_ >= kMaxChain) return false;
  if (options_.max_steps && report_.steps >= options_.max_steps) return false;
  switch (next.kind) {
    case StepKind::kBranch:
    case StepKind::kAddTag:
    case StepKind::kRemoveTag:
    case StepKind::kSetAttribute:
    case StepKind::kCallTask:
    case StepKind::kExit:
      return true;
    case StepKind::kWait:     // a timer in the future
    case StepKind::kSend:     // outside effects: claimed and committed before they happen
    case StepKind::kWebhook:
      return false;
  }
  return false;
}

Result<int64_t> Runner::EnrolCustomer(const Journey& j, int64_t customer_id, std::string_view entry_key,
                                      Instant first_due) {
  const Instant now = clock_.Now();
  {
    Statement& q = db_.Query("journey-last-enrolment");
    q.Bind(":journey_id", j.id).Bind(":customer_id", customer_id);
    ASSIGN_OR_RETURN(bool row, q.Step());
    std::string state = row ? q.String(1) : "";
    int64_t entered = row ? q.Int(2) : 0;
    q.Reset();
    if (row) {
      if (j.reentry == "never" || state == "active") return int64_t{0};
      if (j.reentry == "after_days" && entered > now.micros - int64_t{j.reentry_days} * kDayMicros) return int64_t{0};
    }
  }
  Statement& ins = db_.Query("journey-enrolment-insert");
  ins.Bind(":journey_id", j.id).Bind(":customer_id", customer_id).Bind(":entry_key", entry_key)
      .Bind(":step", j.steps.front().id).Bind(":now", now.micros);
  RETURN_IF_ERROR(ins.Run());
  if (db_.changes() == 0) return int64_t{0};  // this occurrence already enrolled the customer
  int64_t enrolment_id = db_.last_insert_id();
  enrolment_customers_[enrolment_id] = customer_id;
  // The first step is due at `first_due` (a wait starts then, too).
  RETURN_IF_ERROR(InsertTimer(enrolment_id, j, j.steps.front(), std::max(first_due, Instant{}), now, false));
  ++report_.enrolled;
  // Journeys that end when their customer enters this one.
  auto listeners = exit_listeners_.find(j.name);
  if (listeners != exit_listeners_.end()) {
    Statement& q = db_.Query("journey-active-enrolments-of-customer");
    q.Bind(":customer_id", customer_id).Bind(":journey_id", j.id);
    std::vector<int64_t> to_exit;
    while (true) {
      ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      if (std::find(listeners->second.begin(), listeners->second.end(), q.Int(1)) != listeners->second.end())
        to_exit.push_back(q.Int(0));
    }
    q.Reset();
    for (int64_t e : to_exit) RETURN_IF_ERROR(Finish(e, "exited", "other_journey"));
  }
  return enrolment_id;
}

Result<std::string> Runner::ExitReason(const Journey& j, const Due& d) {
  const Instant now = clock_.Now();
  const int64_t since = d.entered_at.micros + 1;  // what happened after entering (not the trigger itself)
  if (!j.goal_event.empty()) {
    Statement& q = db_.Query(j.goal_event == "purchase" ? "journey-customer-ordered" : "journey-customer-had-event");
    q.Bind(":customer_id", d.customer_id).Bind(":since", since).Bind(":now", now.micros);
    if (j.goal_event != "purchase") q.Bind(":type", j.goal_event);
    ASSIGN_OR_RETURN(bool hit, q.Step());
    q.Reset();
    if (hit) return std::string("goal");
  }
  if (j.exit_on_unsubscribe) {
    Statement& q = db_.Query("journey-customer-consent-withdrawn");
    q.Bind(":customer_id", d.customer_id).Bind(":since", since).Bind(":now", now.micros);
    ASSIGN_OR_RETURN(bool hit, q.Step());
    q.Reset();
    if (hit) return std::string("unsubscribed");
  }
  return std::string();
}

Result<bool> Runner::Response(const Journey& j, const Due& d, const std::string& response) {
  const Instant now = clock_.Now();
  if (response == "purchased") {
    Statement& q = db_.Query("journey-customer-ordered");
    q.Bind(":customer_id", d.customer_id).Bind(":since", d.entered_at.micros + 1).Bind(":now", now.micros);
    ASSIGN_OR_RETURN(bool hit, q.Step());
    q.Reset();
    return hit;
  }
  json ids = json::array();
  for (const Step& st : j.steps)
    if (st.kind == StepKind::kSend) {
      auto c = CampaignFor(st.campaign);
      if (c.ok()) ids.push_back((*c)->id);
    }
  Statement& q = db_.Query("journey-customer-response");
  q.Bind(":customer_id", d.customer_id).Bind(":type", response == "opened" ? "message_opened" : "message_clicked")
      .Bind(":since", d.entered_at.micros).Bind(":now", now.micros).Bind(":campaign_ids", ids.dump());
  ASSIGN_OR_RETURN(bool hit, q.Step());
  q.Reset();
  if (hit || response != "opened") return hit;
  // A click implies the message was opened (images blocked, the pixel never loaded).
  return Response(j, d, "clicked");
}

// Runs one due timer inside the batch's transaction. Returns an effect to
// perform after the commit for sends and webhooks.
Result<std::optional<Effect>> Runner::Process(Due& d) {
  const Journey* jp = journey(d.journey_id);
  if (!jp) return std::optional<Effect>();
  const Journey& j = *jp;
  const Instant now = clock_.Now();
  enrolment_customers_[d.enrolment_id] = d.customer_id;
  const Step* step = FindStep(j, d.step);
  if (!step) {
    RETURN_IF_ERROR(TimerDone(d.timer_id, "step removed from the journey"));
    RETURN_IF_ERROR(Finish(d.enrolment_id, "exited", "step_removed"));
    return std::optional<Effect>();
  }
  ++report_.steps;
  ASSIGN_OR_RETURN(std::string exit, ExitReason(j, d));
  if (!exit.empty()) {
    RETURN_IF_ERROR(TimerDone(d.timer_id, {}));
    RETURN_IF_ERROR(Finish(d.enrolment_id, "exited", exit));
    return std::optional<Effect>();
  }
  if (d.status == "running") ++report_.resumed;
  auto done_then = [&](std::string_view outcome, const std::string& next) -> Status {
    RETURN_IF_ERROR(Log(d, step->id, outcome));
    RETURN_IF_ERROR(TimerDone(d.timer_id, {}));
    return Advance(d, j, next);
  };
  const bool is_action = step->kind == StepKind::kSend || step->kind == StepKind::kWebhook ||
                         step->kind == StepKind::kCallTask;
  if (is_action && d.status == "pending" && j.catch_up == CatchUp::kSkipIfStale &&
      now.micros - d.due_at.micros > int64_t{j.stale_hours} * 3600 * kSecond) {
    ++report_.skipped_stale;
    RETURN_IF_ERROR(done_then("stale", NextOf(j, *step, {})));
    return std::optional<Effect>();
  }
  switch (step->kind) {
    case StepKind::kWait: {
      if (!d.wait_since) {  // the journey's first step: the wait starts now
        RETURN_IF_ERROR(TimerDone(d.timer_id, {}));
        RETURN_IF_ERROR(InsertTimer(d.enrolment_id, j, *step, now, now, true));
        --report_.steps;
        return std::optional<Effect>();
      }
      if (d.event_arrived) RETURN_IF_ERROR(done_then("event", NextOf(j, *step, {})));
      else if (!step->until_event.empty()) RETURN_IF_ERROR(done_then("timeout", NextOf(j, *step, step->on_timeout)));
      else RETURN_IF_ERROR(done_then("done", NextOf(j, *step, {})));
      return std::optional<Effect>();
    }
    case StepKind::kBranch: {
      bool yes = false;
      if (!step->condition.empty()) {
        ASSIGN_OR_RETURN(yes, InSegment(step->condition, d.customer_id));
      } else {
        ASSIGN_OR_RETURN(yes, Response(j, d, step->response));
      }
      RETURN_IF_ERROR(done_then(yes ? "yes" : "no", NextOf(j, *step, yes ? step->then_step : step->else_step)));
      return std::optional<Effect>();
    }
    case StepKind::kAddTag:
    case StepKind::kRemoveTag: {
      Statement& q = db_.Query(step->kind == StepKind::kAddTag ? "journey-tag-add" : "journey-tag-remove");
      q.Bind(":customer_id", d.customer_id).Bind(":tag", step->tag);
      RETURN_IF_ERROR(q.Run());
      // The triggers leave writes to the newest customer unmarked; segments must see this one.
      RETURN_IF_ERROR(NoteEngineInputsChanged(db_));
      RETURN_IF_ERROR(done_then("done", NextOf(j, *step, {})));
      return std::optional<Effect>();
    }
    case StepKind::kSetAttribute: {
      Statement& q = db_.Query("journey-attribute-set");
      q.Bind(":customer_id", d.customer_id).Bind(":name", step->attribute).Bind(":value", step->value);
      RETURN_IF_ERROR(q.Run());
      RETURN_IF_ERROR(NoteEngineInputsChanged(db_));
      RETURN_IF_ERROR(done_then("done", NextOf(j, *step, {})));
      return std::optional<Effect>();
    }
    case StepKind::kCallTask: {
      Statement& q = db_.Query("journey-call-task-insert");
      q.Bind(":journey_id", j.id).Bind(":enrolment_id", d.enrolment_id).Bind(":customer_id", d.customer_id)
          .Bind(":step", step->id).Bind(":coupon", campaign::CouponCode(j.seed, d.enrolment_id, d.customer_id))
          .Bind(":discount_percent", step->discount_percent).Bind(":note", step->note).Bind(":now", now.micros);
      RETURN_IF_ERROR(q.Run());
      ++report_.call_tasks;
      RETURN_IF_ERROR(done_then("created", NextOf(j, *step, {})));
      return std::optional<Effect>();
    }
    case StepKind::kExit: {
      RETURN_IF_ERROR(Log(d, step->id, "done"));
      RETURN_IF_ERROR(TimerDone(d.timer_id, {}));
      RETURN_IF_ERROR(Finish(d.enrolment_id, "exited", "exit_step"));
      return std::optional<Effect>();
    }
    case StepKind::kWebhook: {
      if (options_.dry_run) {
        RETURN_IF_ERROR(done_then("would_call", NextOf(j, *step, {})));
        return std::optional<Effect>();
      }
      Effect e;
      e.due = d;
      e.journey = &j;
      e.step = step;
      e.message_key = "journey-" + std::to_string(j.id) + "-" + std::to_string(d.enrolment_id) + "-" + step->id;
      json body = {{"journey", j.name},       {"journey_id", j.id},           {"step", step->id},
                   {"customer_id", d.customer_id}, {"enrolment_id", d.enrolment_id},
                   {"entered_at", FormatInstant(d.entered_at)}, {"at", FormatInstant(now)}};
      e.webhook_body = body.dump();
      RETURN_IF_ERROR(Claim(d, e.message_key));
      return std::optional<Effect>(std::move(e));
    }
    case StepKind::kSend: {
      if (j.cap_messages > 0) {
        Statement& q = db_.Query("journey-recent-sends");
        q.Bind(":journey_id", j.id).Bind(":customer_id", d.customer_id)
            .Bind(":since", now.micros - int64_t{j.cap_days} * kDayMicros);
        ASSIGN_OR_RETURN(bool row, q.Step());
        int64_t n = row ? q.Int(0) : 0;
        q.Reset();
        if (n >= j.cap_messages) {
          ++report_.suppressed;
          RETURN_IF_ERROR(done_then("suppressed:journey_cap", NextOf(j, *step, {})));
          return std::optional<Effect>();
        }
      }
      auto c = CampaignFor(step->campaign);
      if (!c.ok()) {
        ++report_.failed;
        RETURN_IF_ERROR(done_then("failed", NextOf(j, *step, {})));
        return std::optional<Effect>();
      }
      std::string key = "j" + std::to_string(j.id) + ".e" + std::to_string(d.enrolment_id) + "." + step->id;
      campaign::LinkOptions links{options_.base_url, options_.link_secret};
      ASSIGN_OR_RETURN(campaign::SingleMessage m, campaign::PrepareOne(db_, **c, d.customer_id, key, clock_, links));
      if (m.outcome == campaign::SingleMessage::Outcome::kSuppressed) {
        ++report_.suppressed;
        RETURN_IF_ERROR(done_then("suppressed:" + m.reason, NextOf(j, *step, {})));
        return std::optional<Effect>();
      }
      if (m.outcome == campaign::SingleMessage::Outcome::kDeferred) {
        ++report_.deferred;
        --report_.steps;
        Statement& q = db_.Query("journey-timer-reschedule");
        q.Bind(":id", d.timer_id).Bind(":due_at", m.defer_until.micros).Bind(":error", "quiet hours or weekend");
        RETURN_IF_ERROR(q.Run());
        return std::optional<Effect>();
      }
      if (options_.dry_run) {
        ++report_.sent;
        RETURN_IF_ERROR(done_then("would_send", NextOf(j, *step, {})));
        return std::optional<Effect>();
      }
      RETURN_IF_ERROR(Claim(d, m.message.message_id));
      RETURN_IF_ERROR(campaign::ClaimOne(db_, **c, m, clock_));
      Effect e;
      e.due = d;
      e.journey = &j;
      e.step = step;
      e.campaign = *c;
      e.message = std::move(m);
      e.message_key = key;
      return std::optional<Effect>(std::move(e));
    }
  }
  return std::optional<Effect>();
}

Status Runner::Claim(const Due& d, const std::string& message_id) {
  Statement& q = db_.Query("journey-timer-claim");
  q.Bind(":message_id", message_id).Bind(":lease_until", clock_.Now().micros + options_.lease_seconds * kSecond)
      .Bind(":id", d.timer_id);
  return q.Run();
}

// Performs a claimed effect and records its outcome.
Status Runner::Perform(Effect& e) {
  const Due& d = e.due;
  const Journey& j = *e.journey;
  const Step& step = *e.step;
  bool ok = false, retry = false;
  std::string error;
  campaign::DeliveryResult delivery;
  if (step.kind == StepKind::kSend) {
    auto transport = TransportFor(*e.campaign);
    if (!transport.ok()) {
      delivery = {campaign::DeliveryResult::Kind::kTransient, "", transport.status().message(), false};
    } else {
      e.message.message.campaign = e.campaign;
      try {
        delivery = (*transport)->Send(e.message.message);
      } catch (const std::exception& ex) {
        delivery = {campaign::DeliveryResult::Kind::kTransient, "", std::string("transport error: ") + ex.what(), false};
      }
    }
    ok = delivery.kind == campaign::DeliveryResult::Kind::kAccepted;
    retry = delivery.kind == campaign::DeliveryResult::Kind::kTransient;
    error = delivery.error;
  } else {
    CURL* curl = curl_easy_init();
    if (!curl) return Internal("libcurl could not start");
    std::string answer;
    char errbuf[CURL_ERROR_SIZE] = {};
    curl_slist* headers = nullptr;
    headers = curl_slist_append(headers, "Content-Type: application/json");
    headers = curl_slist_append(headers, ("Idempotency-Key: " + e.message_key).c_str());
    headers = curl_slist_append(headers, "Expect:");
    curl_easy_setopt(curl, CURLOPT_URL, step.url.c_str());
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.webhook_timeout_ms));
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, e.webhook_body.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(e.webhook_body.size()));
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, AppendBody);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &answer);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    CURLcode rc = curl_easy_perform(curl);
    long http = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &http);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    ok = rc == CURLE_OK && http >= 200 && http < 300;
    retry = !ok && (rc != CURLE_OK || http >= 500 || http == 429);
    error = rc != CURLE_OK ? std::string(errbuf[0] ? errbuf : curl_easy_strerror(rc)) : "HTTP " + std::to_string(http);
    ++report_.webhooks;
  }
  RETURN_IF_ERROR(db_.Begin());
  auto fail = [&](Status st) {
    (void)db_.Rollback();
    return st;
  };
  Status st;
  if (!ok && retry && d.attempts + 1 < kMaxAttempts) {
    Statement& q = db_.Query("journey-timer-reschedule");
    q.Bind(":id", d.timer_id)
        .Bind(":due_at", clock_.Now().micros + RetryDelayMicros(d.attempts + 1))
        .Bind(":error", std::string(Utf8Prefix(error, 300)));
    st = q.Run();
  } else {
    if (step.kind == StepKind::kSend) {
      json origin = {{"journey", j.name}, {"journey_id", j.id}, {"step", step.id}};
      st = campaign::RecordOne(db_, *e.campaign, e.message, delivery, e.message_key, origin.dump(), clock_);
      if (ok) ++report_.sent;
      else ++report_.failed;
    } else if (!ok) {
      ++report_.failed;
    }
    if (st.ok()) st = Log(d, step.id, ok ? (step.kind == StepKind::kSend ? "sent" : "called") : "failed");
    if (st.ok()) st = TimerDone(d.timer_id, ok ? std::string_view() : std::string_view(error));
    if (st.ok()) st = Advance(d, j, NextOf(j, step, {}));
  }
  if (!st.ok()) return fail(st);
  return db_.Commit();
}

Status Runner::RunTimers() {
  bool sends_filled_batch = false;
  while (true) {
    if (options_.stop && options_.stop->load()) break;
    if (options_.max_steps && report_.steps >= options_.max_steps) break;
    const Instant now = clock_.Now();
    size_t limit = options_.batch;
    // After a batch that stopped at its sends, read little more than the sends
    // the next one can take, rather than a whole batch to run 64 of it.
    if (sends_filled_batch) limit = std::min<size_t>(limit, 4 * kMaxEffectsPerBatch);
    if (options_.max_steps) limit = std::min<size_t>(limit, options_.max_steps - report_.steps);
    std::vector<Due> batch;
    auto read = [&](Statement& q, bool event_arrived) -> Status {
      q.Bind(":now", now.micros).Bind(":limit", static_cast<int64_t>(limit));
      while (true) {
        auto r = q.Step();
        if (!r.ok()) {
          q.Reset();
          return r.status();
        }
        if (!*r) break;
        Due d;
        d.timer_id = q.Int(0);
        d.enrolment_id = q.Int(1);
        d.journey_id = q.Int(2);
        d.step = q.String(3);
        d.due_at = Instant{q.Int(4)};
        d.status = q.String(5);
        d.wait_event = q.OptionalString(6).value_or("");
        d.wait_since = q.OptionalInt(7);
        d.attempts = static_cast<int>(q.Int(8));
        d.message_id = q.OptionalString(9).value_or("");
        d.customer_id = q.Int(10);
        d.entered_at = Instant{q.Int(11)};
        d.event_arrived = event_arrived;
        batch.push_back(std::move(d));
      }
      q.Reset();
      return Status::Ok();
    };
    RETURN_IF_ERROR(db_.Begin());
    auto fail = [&](Status st) {
      (void)db_.Rollback();
      return st;
    };
    if (Status st = read(db_.Query("journey-timers-due"), false); !st.ok()) return fail(st);
    if (batch.size() < limit) {
      limit -= batch.size();
      if (Status st = read(db_.Query("journey-timers-waiting-for-events"), true); !st.ok()) return fail(st);
    }
    if (batch.empty()) return db_.Commit();
    // In enrolment order (the order timers of one enrolment were due is kept):
    // the batch's writes to enrolments, step log and tags then walk each
    // B-tree once from left to right instead of jumping about it.
    std::stable_sort(batch.begin(), batch.end(),
                     [](const Due& a, const Due& b) { return a.enrolment_id < b.enrolment_id; });
    enrolment_customers_.clear();
    sends_filled_batch = false;
    std::vector<Effect> effects;
    for (Due& d : batch) {
      // Claimed sends are delivered one by one after the commit: claim only as
      // many as go out well within the lease. The rest of the batch stays due.
      if (effects.size() >= kMaxEffectsPerBatch) {
        sends_filled_batch = true;
        break;
      }
      auto effect = Process(d);
      if (!effect.ok())
        return fail(effect.status().WithContext("journey " + std::to_string(d.journey_id) + ", step " + d.step));
      if (*effect) effects.push_back(std::move(**effect));
    }
    RETURN_IF_ERROR(db_.Commit());
    if (!effects.empty() && options_.after_claim) options_.after_claim();
    for (Effect& e : effects) RETURN_IF_ERROR(Perform(e));
  }
  return Status::Ok();
}

Result<RunReport> RunDue(Database& db, const Clock& clock, const RunOptions& options) {
  auto t0 = std::chrono::steady_clock::now();
  RunReport report;
  Runner runner(db, clock, options, report);
  RETURN_IF_ERROR(runner.LoadJourneys());
  RETURN_IF_ERROR(runner.EvaluateSegments());
  RETURN_IF_ERROR(runner.RunTriggers());
  if (options.checkpoint_pages > 0 && !db.in_transaction()) {
    ASSIGN_OR_RETURN(int64_t previous, db.QueryInt("PRAGMA wal_autocheckpoint"));
    RETURN_IF_ERROR(db.Exec("PRAGMA wal_autocheckpoint=" + std::to_string(options.checkpoint_pages)));
    Status ran = runner.RunTimers();
    Status restored = db.Exec("PRAGMA wal_autocheckpoint=" + std::to_string(previous));
    RETURN_IF_ERROR(ran);
    RETURN_IF_ERROR(restored);
    if (report.steps > 0) RETURN_IF_ERROR(db.Exec("PRAGMA wal_checkpoint(PASSIVE)"));
  } else {
    RETURN_IF_ERROR(runner.RunTimers());
  }
  report.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return report;
}

Result<int64_t> Enrol(Database& db, const Journey& j, int64_t customer_id, std::string_view entry_key,
                      const Clock& clock) {
  RunReport report;
  RunOptions options;
  Runner runner(db, clock, options, report);
  RETURN_IF_ERROR(runner.LoadJourneys());
  RETURN_IF_ERROR(db.Begin());
  auto id = runner.EnrolCustomer(j, customer_id, entry_key, clock.Now());
  if (!id.ok()) {
    (void)db.Rollback();
    return id.status();
  }
  RETURN_IF_ERROR(db.Commit());
  return id;
}

}  // namespace patron::journey
