// Journey routes (/api/v1/journeys...) and the periodic task that runs due
// journey steps while `patron serve` runs.
#include <nlohmann/json.hpp>

#include <memory>

#include "campaign/campaign.h"
#include "journey/journey.h"
#include "server/server_internal.h"

namespace patron::server {

using nlohmann::json;
using nlohmann::ordered_json;

namespace {

bool LoadFromPath(Context& ctx, Database& db, journey::Journey* out) {
  auto j = journey::LoadJourney(db, PathText(ctx));
  if (!j.ok()) {
    SendError(ctx.res, j.status(), "id");
    return false;
  }
  *out = std::move(*j);
  return true;
}

// The journey's definition with its per-step counts and conversion.
Result<ordered_json> JourneyJson(Database& db, const journey::Journey& j) {
  ordered_json out = ordered_json::parse(journey::ToJson(j));
  ASSIGN_OR_RETURN(journey::JourneyStats stats, journey::Stats(db, j));
  ordered_json s = ordered_json::parse(journey::StatsToJson(j, stats));
  for (const char* k : {"journey", "id", "status"}) s.erase(k);
  out["stats"] = s;
  return out;
}

void ListJourneysRoute(Context& ctx) {
  Database* db = DbOr503(ctx);
  if (!db) return;
  auto list = journey::ListJourneys(*db);
  if (!list.ok()) return SendError(ctx.res, list.status());
  ordered_json out = ordered_json::array();
  for (const auto& j : *list) {
    auto one = JourneyJson(*db, j);
    if (!one.ok()) return SendError(ctx.res, one.status());
    out.push_back(*one);
  }
  SendJson(ctx.res, 200, Dump({{"journeys", out}}));
}

void GetJourneyRoute(Context& ctx) {
  Database* db = DbOr503(ctx);
  journey::Journey j;
  if (!db || !LoadFromPath(ctx, *db, &j)) return;
  auto one = JourneyJson(*db, j);
  if (!one.ok()) return SendError(ctx.res, one.status());
  SendJson(ctx.res, 200, Dump(*one));
}

// The body is a journey spec (docs/journeys.md), or {"template": NAME, "name",
// "from_address", "from_name"} for a shipped template.
void CreateJourneyRoute(Context& ctx) {
  Database* db = DbOr503(ctx);
  if (!db) return;
  size_t bad = 0;
  if (!IsValidUtf8(ctx.req.body, &bad))
    return SendError(ctx.res, InvalidArgument("request body is not valid UTF-8 (byte " + std::to_string(bad) + ")"));
  json body;
  if (!ParseBody(ctx, &body)) return;
  Result<journey::Journey> created = Internal("unset");
  if (body.contains("template")) {
    journey::TemplateOptions options;
    std::string name;
    if (!StringField(ctx, body, "template", &name, true) || !StringField(ctx, body, "name", &options.journey_name) ||
        !StringField(ctx, body, "from_address", &options.from_address) ||
        !StringField(ctx, body, "from_name", &options.from_name))
      return;
    if (options.from_address.empty()) options.from_address = "hello@shop.example";
    created = journey::CreateFromTemplate(*db, name, options, ctx.caller.name, ctx.state.clock);
    if (!created.ok()) return SendError(ctx.res, created.status(), "template");
  } else {
    created = journey::CreateJourneyFromJson(*db, ctx.req.body, ctx.caller.name, ctx.state.clock);
    if (!created.ok()) return SendError(ctx.res, created.status());
  }
  (void)AuditNow(ctx, *db, "journey.create", "journey", std::to_string(created->id), 0, {});
  ctx.res.set_header("Location", "/api/v1/journeys/" + std::to_string(created->id));
  auto one = JourneyJson(*db, *created);
  if (!one.ok()) return SendError(ctx.res, one.status());
  SendJson(ctx.res, 201, Dump(*one));
}

void SetStatusRoute(Context& ctx, bool enable) {
  Database* db = DbOr503(ctx);
  journey::Journey j;
  if (!db || !LoadFromPath(ctx, *db, &j)) return;
  Status st = enable ? journey::EnableJourney(*db, j, ctx.state.clock) : journey::DisableJourney(*db, j, ctx.state.clock);
  if (!st.ok()) return SendError(ctx.res, st);
  (void)AuditNow(ctx, *db, enable ? "journey.enable" : "journey.disable", "journey", std::to_string(j.id), 0, {});
  auto one = JourneyJson(*db, j);
  if (!one.ok()) return SendError(ctx.res, one.status());
  SendJson(ctx.res, 200, Dump(*one));
}

// {"from": "2026-08-01", "weeks": 10}
void SimulateRoute(Context& ctx) {
  Database* db = DbOr503(ctx);
  journey::Journey j;
  if (!db || !LoadFromPath(ctx, *db, &j)) return;
  json body;
  if (!ParseBody(ctx, &body)) return;
  std::string from;
  if (!StringField(ctx, body, "from", &from, true)) return;
  journey::SimulationOptions options;
  auto at = ParseInstant(from);
  if (!at.ok()) return SendError(ctx.res, at.status().WithContext("from"), "from");
  options.from = *at;
  if (body.contains("weeks")) {
    if (!body["weeks"].is_number_integer() || body["weeks"].get<int64_t>() < 1 || body["weeks"].get<int64_t>() > 104)
      return SendError(ctx.res, InvalidArgument("weeks: a whole number from 1 to 104"), "weeks");
    options.weeks = body["weeks"].get<int>();
  }
  auto r = journey::Simulate(*db, j, options);
  if (!r.ok()) return SendError(ctx.res, r.status());
  SendJson(ctx.res, 200, journey::SimulationToJson(j, *r));
}

void TemplatesRoute(Context& ctx) {
  ordered_json out = ordered_json::array();
  for (const auto& t : journey::Templates())
    out.push_back({{"name", t.name}, {"title", t.title}, {"description", t.description}});
  SendJson(ctx.res, 200, Dump({{"templates", out}}));
}

}  // namespace

std::vector<RouteSpec> JourneyRoutes() {
  return {
      {"GET", "/api/v1/journeys", "read_reports", "Journeys with their per-step counts and conversion.",
       ListJourneysRoute},
      {"POST", "/api/v1/journeys", "manage_campaigns",
       "Create a draft journey from a spec or a shipped template (docs/journeys.md).", CreateJourneyRoute},
      {"GET", "/api/v1/journeys/{id}", "read_reports", "One journey: definition, per-step counts, exits, conversion.",
       GetJourneyRoute},
      {"POST", "/api/v1/journeys/{id}/enable", "manage_campaigns", "Enable a journey: triggers count from now on.",
       [](Context& ctx) { SetStatusRoute(ctx, true); }},
      {"POST", "/api/v1/journeys/{id}/disable", "manage_campaigns",
       "Disable a journey: nobody enters or moves on until it is enabled again.",
       [](Context& ctx) { SetStatusRoute(ctx, false); }},
      {"POST", "/api/v1/journeys/{id}/simulate", "read_reports",
       "Replay history with an injected clock: who would enter, reach each step and exit.", SimulateRoute},
      {"GET", "/api/v1/journey-templates", "read_reports", "The journeys shipped with Patron.", TemplatesRoute},
  };
}

PeriodicTask JourneyPeriodicTask() {
  // The task's own connection, opened on first use and kept (opening prepares every named query).
  auto db = std::make_shared<std::unique_ptr<Database>>();
  return {"journeys", std::chrono::milliseconds(1000), [db](ServerState& state) -> Status {
            if (!*db) {
              DatabaseOptions options;
              options.synchronous_full = state.config.synchronous_full;
              ASSIGN_OR_RETURN(*db, Database::Open(state.config.db_path, options));
            }
            journey::RunOptions options;
            options.smtp_url = state.config.smtp_url;
            options.sms_gateway_file = state.config.sms_gateway;
            options.base_url = state.config.public_url.empty()
                                   ? "http://" + state.config.host + ":" + std::to_string(state.config.port)
                                   : state.config.public_url;
            ASSIGN_OR_RETURN(options.link_secret, campaign::LinkSecret(**db));
            options.stop = &state.shutting_down;
            auto report = journey::RunDue(**db, state.clock, options);
            if (!report.ok()) return report.status();
            return Status::Ok();
          }};
}

}  // namespace patron::server
