// Journeys in the store: create, load, list, enable, disable, statistics.
#include <nlohmann/json.hpp>

#include <random>

#include "campaign/campaign.h"
#include "journey/journey.h"
#include "journey/journey_internal.h"
#include "store/store.h"

namespace patron::journey {

using nlohmann::json;
using nlohmann::ordered_json;

Journey JourneyFromRow(Statement& q) {
  Journey j;
  auto spec = SpecFromJson(q.Text(3));
  if (spec.ok()) static_cast<JourneySpec&>(j) = std::move(*spec);
  j.id = q.Int(0);
  j.name = q.String(1);
  j.status = q.String(2);
  j.seed = q.Int(4);
  j.created_by = q.OptionalString(5).value_or("");
  j.created_at = Instant{q.Int(6)};
  j.updated_at = Instant{q.Int(7)};
  if (auto e = q.OptionalInt(8)) j.enabled_at = Instant{*e};
  return j;
}

Result<Journey> CreateJourney(Database& db, const JourneySpec& spec, std::string_view actor, const Clock& clock) {
  RETURN_IF_ERROR(CheckSpec(db, spec));
  {
    Statement& q = db.Query("journey-select-by-name");
    q.Bind(":name", spec.name);
    ASSIGN_OR_RETURN(bool exists, q.Step());
    q.Reset();
    if (exists) return AlreadyExists("name: a journey \"" + spec.name + "\" exists");
  }
  std::random_device rd;
  int64_t seed = (static_cast<int64_t>(rd()) << 20) ^ rd();
  Statement& q = db.Query("journey-insert");
  q.Bind(":name", spec.name).Bind(":spec", SpecToJson(spec)).Bind(":seed", seed).Bind(":created_by", actor)
      .Bind(":now", clock.Now().micros);
  RETURN_IF_ERROR(q.Run());
  return LoadJourney(db, std::to_string(db.last_insert_id()));
}

Result<Journey> CreateJourneyFromJson(Database& db, std::string_view text, std::string_view actor, const Clock& clock) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) return SpecFromJson(text).status();  // the parser's message
  ASSIGN_OR_RETURN(JourneySpec spec, SpecFromParsedJson(j));
  // Message definitions first (each in its own transaction; an existing one of the same name is kept).
  if (auto cs = j.find("campaigns"); cs != j.end()) {
    if (!cs->is_array()) return InvalidArgument("campaigns: an array of campaign specs (docs/campaigns.md)");
    for (size_t i = 0; i < cs->size(); ++i) {
      std::string where = "campaigns[" + std::to_string(i) + "]";
      auto cspec = campaign::SpecFromJson((*cs)[i].dump());
      if (!cspec.ok()) return InvalidArgument(where + "." + cspec.status().message());
      if (campaign::LoadCampaign(db, cspec->name).ok()) continue;
      auto created = campaign::CreateCampaign(db, *cspec, actor, clock);
      if (!created.ok()) return InvalidArgument(where + ": " + created.status().message());
    }
  }
  return CreateJourney(db, spec, actor, clock);
}

Result<Journey> LoadJourney(Database& db, std::string_view name_or_id) {
  bool numeric = !name_or_id.empty() && name_or_id.size() < 19 &&
                 std::all_of(name_or_id.begin(), name_or_id.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (numeric) {
    Statement& q = db.Query("journey-select-by-id");
    q.Bind(":id", static_cast<int64_t>(std::stoll(std::string(name_or_id))));
    ASSIGN_OR_RETURN(bool row, q.Step());
    if (row) {
      Journey j = JourneyFromRow(q);
      q.Reset();
      return j;
    }
    q.Reset();
  }
  Statement& q = db.Query("journey-select-by-name");
  q.Bind(":name", name_or_id);
  ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) {
    q.Reset();
    return NotFound("no journey \"" + std::string(name_or_id) + "\"");
  }
  Journey j = JourneyFromRow(q);
  q.Reset();
  return j;
}

Result<std::vector<Journey>> ListJourneys(Database& db) {
  std::vector<Journey> out;
  Statement& q = db.Query("journey-select-all");
  while (true) {
    auto r = q.Step();
    if (!r.ok()) {
      q.Reset();
      return r.status();
    }
    if (!*r) break;
    out.push_back(JourneyFromRow(q));
  }
  q.Reset();
  return out;
}

namespace {

Status SetStatus(Database& db, Journey& j, std::string_view status, const Clock& clock) {
  Statement& q = db.Query("journey-set-status");
  q.Bind(":status", status).Bind(":now", clock.Now().micros).Bind(":id", j.id);
  RETURN_IF_ERROR(q.Run());
  ASSIGN_OR_RETURN(j, LoadJourney(db, std::to_string(j.id)));
  return Status::Ok();
}

}  // namespace

Status EnableJourney(Database& db, Journey& j, const Clock& clock) {
  if (j.status == "enabled") return Status::Ok();
  RETURN_IF_ERROR(CheckSpec(db, j));  // campaigns may have been deleted since
  // Triggers count from now on: events and orders already stored do not enrol anyone.
  RETURN_IF_ERROR(db.Begin());
  auto fail = [&](Status st) {
    (void)db.Rollback();
    return st;
  };
  Statement& ids = db.Query("journey-max-ids");
  auto r = ids.Step();
  if (!r.ok()) return fail(r.status());
  int64_t max_event = ids.Int(0), max_order = ids.Int(1);
  ids.Reset();
  Statement& cur = db.Query("journey-cursors");
  cur.Bind(":id", j.id);
  r = cur.Step();
  if (!r.ok()) return fail(r.status());
  std::optional<int64_t> scanned = cur.OptionalInt(2), seg = cur.OptionalInt(3);
  int64_t ev = std::max(cur.Int(0), max_event), ord = std::max(cur.Int(1), max_order);
  cur.Reset();
  Statement& set = db.Query("journey-set-cursors");
  set.Bind(":event_cursor", ev).Bind(":order_cursor", ord).BindOptional(":scanned_day", scanned)
      .BindOptional(":segment_scanned_at", seg).Bind(":id", j.id);
  if (Status st = set.Run(); !st.ok()) return fail(st);
  Statement& q = db.Query("journey-set-status");
  q.Bind(":status", "enabled").Bind(":now", clock.Now().micros).Bind(":id", j.id);
  if (Status st = q.Run(); !st.ok()) return fail(st);
  RETURN_IF_ERROR(db.Commit());
  ASSIGN_OR_RETURN(j, LoadJourney(db, std::to_string(j.id)));
  return Status::Ok();
}

Status DisableJourney(Database& db, Journey& j, const Clock& clock) {
  if (j.status != "enabled") return FailedPrecondition("journey \"" + j.name + "\" is " + j.status + ", not enabled");
  return SetStatus(db, j, "disabled", clock);
}

Result<JourneyStats> Stats(Database& db, const Journey& j) {
  JourneyStats s;
  {
    Statement& q = db.Query("journey-stats-enrolments");
    q.Bind(":journey_id", j.id);
    while (true) {
      ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      std::string state = q.String(0), reason = q.String(1);
      uint64_t n = static_cast<uint64_t>(q.Int(2));
      s.entered += n;
      if (state == "active") s.active += n;
      else if (state == "completed") s.completed += n;
      else s.exited += n;
      if (state == "exited") s.exit_reasons[reason] += n;
    }
    q.Reset();
  }
  std::map<std::string, StepStats> by_id;
  for (const Step& st : j.steps) {
    StepStats& stats = by_id[st.id];
    stats.id = st.id;
    stats.kind = std::string(StepKindName(st.kind));
  }
  {
    Statement& q = db.Query("journey-stats-steps");
    q.Bind(":journey_id", j.id);
    while (true) {
      ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      StepStats& st = by_id[q.String(0)];
      uint64_t n = static_cast<uint64_t>(q.Int(2));
      st.reached += n;
      st.outcomes[q.String(1)] += n;
    }
    q.Reset();
  }
  {
    Statement& q = db.Query("journey-stats-waiting");
    q.Bind(":journey_id", j.id);
    while (true) {
      ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      by_id[q.String(0)].waiting += static_cast<uint64_t>(q.Int(1));
    }
    q.Reset();
  }
  for (const Step& st : j.steps) s.steps.push_back(by_id[st.id]);
  {
    const bool purchase_goal = j.goal_event.empty() || j.goal_event == "purchase";
    Statement& q = db.Query(purchase_goal ? "journey-stats-converted-order" : "journey-stats-converted-event");
    q.Bind(":journey_id", j.id).Bind(":now", SystemClock::Get().Now().micros);
    if (!purchase_goal) q.Bind(":type", j.goal_event);
    ASSIGN_OR_RETURN(bool row, q.Step());
    s.converted = row ? static_cast<uint64_t>(q.Int(0)) : 0;
    q.Reset();
    s.conversion = s.entered ? static_cast<double>(s.converted) / static_cast<double>(s.entered) : 0;
  }
  {
    Statement& q = db.Query("journey-stats-call-tasks");
    q.Bind(":journey_id", j.id);
    ASSIGN_OR_RETURN(bool row, q.Step());
    s.call_tasks = row ? static_cast<uint64_t>(q.Int(0)) : 0;
    q.Reset();
  }
  return s;
}

ordered_json StatsToOrderedJson(const JourneyStats& s) {
  ordered_json steps = ordered_json::array();
  for (const StepStats& st : s.steps)
    steps.push_back({{"id", st.id}, {"kind", st.kind}, {"reached", st.reached}, {"waiting", st.waiting},
                     {"outcomes", st.outcomes}});
  return {{"entered", s.entered},       {"active", s.active},         {"completed", s.completed},
          {"exited", s.exited},         {"exit_reasons", s.exit_reasons}, {"converted", s.converted},
          {"conversion", s.conversion}, {"call_tasks", s.call_tasks}, {"steps", steps}};
}

std::string StatsToJson(const Journey& j, const JourneyStats& s) {
  ordered_json out = {{"journey", j.name}, {"id", j.id}, {"status", j.status}};
  ordered_json stats = StatsToOrderedJson(s);
  for (auto& [k, v] : stats.items()) out[k] = v;
  return out.dump();
}

}  // namespace patron::journey
