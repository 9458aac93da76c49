// Patron journeys (issue 8): automated sequences — a trigger, then waits,
// branches and actions, until an exit — that customers flow through on time,
// exactly once, in their own calendar and time zone.
//
// A journey is a JSON spec (docs/journeys.md) stored with a status (draft,
// enabled, disabled). RunDue, called every second or so by `patron serve` (or
// `patron journey run --loop`), enrols customers whose trigger fired and runs
// every step that is due. Steps live in the store as durable timers; see
// 0011_journeys.sql for the exactly-once protocol and its one in-flight case.
// Messages go through campaign::SendOne, so that every campaign rule applies
// (consent, opt-out registers, frequency caps, quiet hours, contact policy).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/core.h"

namespace patron {
class Database;
}
namespace patron::campaign {
class Transport;
}

namespace patron::journey {

// ---------------------------------------------------------------------------
// The spec
// ---------------------------------------------------------------------------

enum class TriggerKind {
  kEvent,         // an event of `event_type` (with property filters) arrives
  kPurchase,      // an order is placed (optionally at least `min_total` major units)
  kSegmentEnter,  // the customer enters `segment`
  kSegmentLeave,  // the customer leaves `segment`
  kDateAttribute, // every year on a date attribute (birth_date, created_at, attr.X) + offset_days
  kCalendarDate,  // every year on month/day of `calendar` (1 Mehr, 1 Farvardin, 1 Ramadan ...)
  kSchedule,      // every `every_days` days from `start` (customers of `segment`, or everyone)
};
std::string_view TriggerKindName(TriggerKind k);

// The calendars a calendar-date trigger can use. ICU's "islamic-umalqura" is
// the Saudi Umm al-Qura calendar (tabulated from astronomical data), the one
// most Gulf customers see; "islamic-civil" is the arithmetic tabular calendar.
// Neither follows local moon sighting, which may differ by a day.
enum class TriggerCalendar { kGregorian, kPersian, kIslamicUmalqura, kIslamicCivil };

struct Trigger {
  TriggerKind kind = TriggerKind::kEvent;
  std::string event_type;                     // kEvent
  std::map<std::string, std::string> where;   // kEvent: property = value (as text)
  double min_total = 0;                       // kPurchase: major units
  std::string segment;                        // segment triggers; kSchedule/date triggers: optional audience
  std::string attribute;                      // kDateAttribute: birth_date, created_at or attr.NAME
  int offset_days = 0;                        // date triggers: -3 = three days before
  TriggerCalendar calendar = TriggerCalendar::kGregorian;  // kCalendarDate
  int month = 0, day = 0;                     // kCalendarDate (1-based, in `calendar`)
  int every_days = 7;                         // kSchedule
  std::optional<CivilDate> start;             // kSchedule: the first day (default: the day it was enabled)
  int local_minute = 10 * 60;                 // date triggers and schedules: when in the customer's day
};

enum class StepKind {
  kWait,          // wait `seconds`; or until `local_time`; or `until_event` (with `seconds` as the timeout)
  kBranch,        // `condition` (segment language) or `response` (opened|clicked|purchased) -> then / else
  kSend,          // a message through campaign `campaign` (the message definition)
  kCallTask,      // a row in the call-task list with a unique discount code
  kAddTag,
  kRemoveTag,
  kSetAttribute,  // attribute = value
  kWebhook,       // POST a JSON body to `url`
  kExit,
};
std::string_view StepKindName(StepKind k);

struct Step {
  std::string id;
  StepKind kind = StepKind::kWait;
  std::string next;  // the step after this one ("" = the following step in the list; "end" = done)
  // kWait
  int64_t seconds = 0;
  std::optional<int> local_minute;  // until this time of day in the customer's zone
  std::string until_event;          // wait for this event type; `seconds` is the timeout
  std::string on_timeout;           // until_event: the step after a timeout ("" = next)
  // kBranch
  std::string condition;            // segment language
  std::string response;             // opened, clicked or purchased (since entering)
  std::string then_step, else_step; // "" = next
  // kSend / kCallTask: the campaign giving channel, contents, purpose and sender.
  std::string campaign;
  double discount_percent = 0;      // kCallTask
  std::string note;                 // kCallTask: what the caller should know
  // kAddTag / kRemoveTag / kSetAttribute
  std::string tag, attribute, value;
  // kWebhook
  std::string url;
};

enum class CatchUp { kRunLate, kSkipIfStale };

struct JourneySpec {
  std::string name, description;
  Trigger trigger;
  std::vector<Step> steps;
  // Re-entry: "never" (once per customer ever), "after_exit" (again once the
  // previous passage finished), "after_days" (again `reentry_days` after entering).
  std::string reentry = "never";
  int reentry_days = 0;
  // At most `cap_messages` messages of this journey per customer in `cap_days` (0 = no journey cap).
  int cap_messages = 0, cap_days = 7;
  CatchUp catch_up = CatchUp::kRunLate;
  int stale_hours = 24;  // kSkipIfStale: a step due longer ago than this is skipped (and the enrolment exits)
  // Exits: a goal event (or "purchase"), unsubscribing, entering another journey.
  std::string goal_event;
  bool exit_on_unsubscribe = true;
  std::vector<std::string> exit_if_entered;  // journey names
};

struct Journey : JourneySpec {
  int64_t id = 0;
  std::string status = "draft";
  int64_t seed = 0;
  std::string created_by;
  Instant created_at, updated_at;
  std::optional<Instant> enabled_at;
};

// The JSON form (docs/journeys.md). Errors name the field ("steps[2].seconds: ...").
Result<JourneySpec> SpecFromJson(std::string_view json);
std::string SpecToJson(const JourneySpec& spec);
std::string ToJson(const Journey& j);

// Checks a spec against the store (segments parse, campaigns exist, step ids
// are unique, every reference names a step, no step can be reached twice).
Status CheckSpec(Database& db, const JourneySpec& spec);

// ---------------------------------------------------------------------------
// Templates shipped with Patron
// ---------------------------------------------------------------------------

struct TemplateInfo {
  std::string name, title, description;
};
std::vector<TemplateInfo> Templates();
// The template's spec (as JSON, with "campaigns": message definitions to create).
Result<std::string> TemplateJson(std::string_view name);

struct TemplateOptions {
  std::string journey_name;  // default: the template's name
  std::string from_address = "hello@shop.example", from_name = "Patron Demo Store";
};
// Creates the template's campaigns (drafts used as message definitions, named
// "<journey> · <step>") and the journey (draft).
Result<Journey> CreateFromTemplate(Database& db, std::string_view template_name, const TemplateOptions& options,
                                   std::string_view actor, const Clock& clock);

// ---------------------------------------------------------------------------
// Storage
// ---------------------------------------------------------------------------

// A spec JSON may carry "campaigns": [campaign specs] created with it (message
// definitions); CreateJourney takes the parsed spec only.
Result<Journey> CreateJourney(Database& db, const JourneySpec& spec, std::string_view actor, const Clock& clock);
// Creates the campaigns listed in the JSON's "campaigns" (skipping ones that
// exist with the same name) and then the journey, in one transaction.
Result<Journey> CreateJourneyFromJson(Database& db, std::string_view json, std::string_view actor, const Clock& clock);
// By name or numeric id.
Result<Journey> LoadJourney(Database& db, std::string_view name_or_id);
Result<std::vector<Journey>> ListJourneys(Database& db);
// draft|disabled -> enabled (triggers count from now on); enabled -> disabled
// (pending steps stay and resume when enabled again).
Status EnableJourney(Database& db, Journey& j, const Clock& clock);
Status DisableJourney(Database& db, Journey& j, const Clock& clock);

struct StepStats {
  std::string id;
  std::string kind;
  uint64_t reached = 0;  // enrolments that ran the step
  std::map<std::string, uint64_t> outcomes;  // sent, suppressed:no_consent, yes, no, ...
  uint64_t waiting = 0;  // enrolments whose next step this is
};
struct JourneyStats {
  uint64_t entered = 0, active = 0, completed = 0, exited = 0;
  std::map<std::string, uint64_t> exit_reasons;
  std::vector<StepStats> steps;
  uint64_t converted = 0;     // reached the goal (goal_event or a purchase) after entering
  double conversion = 0;      // converted / entered
  uint64_t call_tasks = 0;
};
Result<JourneyStats> Stats(Database& db, const Journey& j);
std::string StatsToJson(const Journey& j, const JourneyStats& s);

// ---------------------------------------------------------------------------
// Running
// ---------------------------------------------------------------------------

struct RunOptions {
  // Timers claimed per transaction (at most 64 sends or webhooks). Larger
  // batches write fewer pages per step (a page hit by several steps of a batch
  // is written once); 5000 holds the write lock for well under a second.
  size_t batch = 5000;
  // While a pass runs, the write-ahead log is checkpointed after this many
  // pages (4 KiB each) instead of SQLite's 1000, which checkpoints after every
  // batch: a page written by several batches reaches the database file once.
  // The log stays bounded by it (plus one batch); the pass ends with a checkpoint.
  int64_t checkpoint_pages = 65536;
  size_t max_steps = 0;            // stop after this many steps (0 = all that are due)
  std::string smtp_url;            // email sends; else PATRON_SMTP_URL
  std::string sms_gateway_file;    // SMS sends; else PATRON_SMS_GATEWAY
  std::string call_list_path;      // call_list / mail_list campaigns write here
  std::string base_url, link_secret;  // tracked links (empty base_url: none)
  int segment_interval_seconds = 300;  // segment triggers are evaluated at most this often
  int webhook_timeout_ms = 5000;
  // A send or webhook claimed by a scheduler that then died is taken over
  // after this long (another scheduler may still be sending it before that).
  int64_t lease_seconds = 60;
  // Simulation: triggers read events and orders by when they occurred (in the
  // window since the previous pass) instead of by arrival.
  bool replay = false;
  const std::atomic<bool>* stop = nullptr;
  // Simulation: no messages, no webhooks (their steps are logged as "simulated").
  bool dry_run = false;
  // Transport override for sends (tests, simulation); nullptr = from the campaign.
  campaign::Transport* transport = nullptr;
  // A hook run between claiming a send and sending it (tests of crashes).
  std::function<void()> after_claim;
};

struct RunReport {
  uint64_t enrolled = 0, steps = 0, sent = 0, suppressed = 0, deferred = 0, failed = 0, skipped_stale = 0,
           exited = 0, completed = 0, resumed = 0, webhooks = 0, call_tasks = 0;
  double ms = 0;
};
// Enrols customers of every enabled journey whose trigger fired since the last
// run, then runs the due steps (oldest first, in batches). Safe to call from
// several processes: claims are transactions.
Result<RunReport> RunDue(Database& db, const Clock& clock, const RunOptions& options);

// Enrols one customer now (API and tests; re-entry rules apply). Returns the
// enrolment id, or 0 when the re-entry rule refused.
Result<int64_t> Enrol(Database& db, const Journey& j, int64_t customer_id, std::string_view entry_key,
                      const Clock& clock);

// ---------------------------------------------------------------------------
// Simulation
// ---------------------------------------------------------------------------

struct SimulationOptions {
  Instant from;
  int weeks = 10;
  int64_t tick_seconds = 3600;  // the simulated clock advances this much per pass
};
struct SimulationResult {
  JourneyStats stats;
  uint64_t would_send = 0, would_suppress = 0;
  double ms = 0;
};
// Replays history on a copy of the store: the journey (enabled in the copy,
// whatever its status) with an injected clock from `from` for `weeks`; events
// and orders count when they occurred. Nothing is sent, no webhook is called,
// the store itself is not changed.
Result<SimulationResult> Simulate(Database& db, const Journey& j, const SimulationOptions& options);
std::string SimulationToJson(const Journey& j, const SimulationResult& r);

}  // namespace patron::journey
