// Report routes (/api/v1/reports/...): the same tables as `patron report`, as
// JSON (or CSV with ?format=csv), the weekly report as HTML, and the weekly
// schedule of `patron serve` (a periodic task). Permission: read_reports, the
// one the dashboard's statistics and data-quality pages use.
#include <nlohmann/json.hpp>
#include <roaring/roaring.hh>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "engine/engine.h"
#include "report/report.h"
#include "server/server_internal.h"

namespace patron::server {

namespace {

constexpr int64_t kDay = 86'400'000'000LL;

void SendTables(Context& ctx, const std::vector<report::Table>& tables) {
  const std::string format = ctx.req.has_param("format") ? ctx.req.get_param_value("format") : "json";
  if (format == "csv") {
    ctx.res.status = 200;
    ctx.res.set_content(report::Render(tables, report::Format::kCsv), "text/csv; charset=utf-8");
    return;
  }
  if (format != "json") return SendError(ctx.res, InvalidArgument("format: give json or csv"), "format");
  SendJson(ctx.res, 200, report::Render(tables, report::Format::kJson));
}

Result<Instant> NowParam(Context& ctx) {
  if (!ctx.req.has_param("now")) return ctx.state.clock.Now();
  auto t = ParseInstant(ctx.req.get_param_value("now"));
  if (!t.ok()) return t.status().WithContext("now");
  return t;
}

// ?from=YYYY-MM-DD&to=YYYY-MM-DD (days included); default the 30 days before today.
Result<report::Period> PeriodParam(Context& ctx, Instant now) {
  const bool from = ctx.req.has_param("from"), to = ctx.req.has_param("to");
  if (from != to) return InvalidArgument("give both from and to, or neither");
  if (from) return report::ParsePeriod(ctx.req.get_param_value("from"), ctx.req.get_param_value("to"));
  const int64_t today = now.micros / kDay;
  return report::Period{Instant{(today - 30) * kDay}, Instant{today * kDay}};
}

struct Inputs {
  Database* db = nullptr;
  std::shared_ptr<const engine::Snapshot> snapshot;
  std::unique_ptr<Roaring> segment;
  Instant now;
};

bool LoadInputs(Context& ctx, Inputs* in) {
  in->db = DbOr503(ctx);
  if (!in->db) return false;
  auto now = NowParam(ctx);
  if (!now.ok()) {
    SendError(ctx.res, now.status(), "now");
    return false;
  }
  in->now = *now;
  auto snapshot = CurrentSnapshot(ctx, *in->db);
  if (!snapshot.ok()) {
    SendError(ctx.res, snapshot.status());
    return false;
  }
  in->snapshot = *snapshot;
  if (ctx.req.has_param("segment")) {
    auto members = report::SegmentMembers(*in->db, *in->snapshot, ctx.req.get_param_value("segment"), in->now);
    if (!members.ok()) {
      SendError(ctx.res, members.status(), "segment");
      return false;
    }
    in->segment = std::move(*members);
  }
  return true;
}

void KpisRoute(Context& ctx) {
  Inputs in;
  if (!LoadInputs(ctx, &in)) return;
  auto period = PeriodParam(ctx, in.now);
  if (!period.ok()) return SendError(ctx.res, period.status(), "from");
  report::KpiOptions options;
  options.period = *period;
  options.segment = in.segment.get();
  options.clock = &ctx.state.clock;
  auto kpis = report::ComputeKpis(*in.db, *in.snapshot, options);
  if (!kpis.ok()) return SendError(ctx.res, kpis.status());
  SendTables(ctx, {report::KpiTable(*kpis)});
}

void CohortsRoute(Context& ctx) {
  Inputs in;
  if (!LoadInputs(ctx, &in)) return;
  report::CohortOptions options;
  options.until = Instant{(in.now.micros / kDay + 1) * kDay};
  if (ctx.req.has_param("to")) {
    auto to = ParseInstant(ctx.req.get_param_value("to"));
    if (!to.ok()) return SendError(ctx.res, to.status().WithContext("to"), "to");
    options.until = Instant{to->micros + kDay};
  }
  if (ctx.req.has_param("months")) {
    const std::string m = ctx.req.get_param_value("months");
    if (m.empty() || m.size() > 3 || m.find_first_not_of("0123456789") != std::string::npos)
      return SendError(ctx.res, InvalidArgument("months: give 1 to 120"), "months");
    options.months = std::stoi(m);
  }
  options.group_by = ctx.req.get_param_value("by");
  options.currency = ctx.req.get_param_value("currency");
  options.segment = in.segment.get();
  auto cohorts = report::ComputeCohorts(*in.snapshot, options);
  if (!cohorts.ok()) return SendError(ctx.res, cohorts.status());
  SendTables(ctx, {report::CohortRetentionTable(*cohorts), report::CohortRevenueTable(*cohorts)});
}

void CampaignsRoute(Context& ctx) {
  if (ctx.req.get_param_value("by") == "segment") {
    // ?by=segment[&campaign=NAME]: one row per campaign and saved segment.
    Inputs in;
    if (!LoadInputs(ctx, &in)) return;
    ManualClock clock(in.now);
    auto rows = report::CampaignSegmentResults(*in.db, *in.snapshot, {}, ctx.req.get_param_value("campaign"), clock);
    if (!rows.ok()) return SendError(ctx.res, rows.status(), "campaign");
    return SendTables(ctx, {report::CampaignSegmentTable(*rows)});
  }
  if (ctx.req.has_param("by")) return SendError(ctx.res, InvalidArgument("by: give segment"), "by");
  Database* db = DbOr503(ctx);
  if (!db) return;
  auto rows = report::CampaignResults(*db, ctx.state.clock);
  if (!rows.ok()) return SendError(ctx.res, rows.status());
  SendTables(ctx, {report::CampaignTable(*rows)});
}

// ?channel=&min_reach=&min_holdout=&now=: per channel and saved segment, target
// or suppress it (docs/reports.md "Targeting suggestions").
void SuggestionsRoute(Context& ctx) {
  report::SuggestionOptions options;
  options.channel = ctx.req.get_param_value("channel");
  for (auto [name, value] : {std::pair<const char*, int64_t*>{"min_reach", &options.min_reach},
                             std::pair<const char*, int64_t*>{"min_holdout", &options.min_holdout}}) {
    if (!ctx.req.has_param(name)) continue;
    const std::string v = ctx.req.get_param_value(name);
    if (v.empty() || v.size() > 9 || v.find_first_not_of("0123456789") != std::string::npos || std::stoll(v) < 1)
      return SendError(ctx.res, InvalidArgument(std::string(name) + ": give a whole number from 1"), name);
    *value = std::stoll(v);
  }
  Inputs in;
  if (!LoadInputs(ctx, &in)) return;
  ManualClock clock(in.now);
  auto suggestions = report::TargetingSuggestions(*in.db, *in.snapshot, options, clock);
  if (!suggestions.ok()) return SendError(ctx.res, suggestions.status());
  SendTables(ctx, {report::SuggestionTable(*suggestions)});
}

void FunnelRoute(Context& ctx) {
  Inputs in;
  if (!LoadInputs(ctx, &in)) return;
  auto period = PeriodParam(ctx, in.now);
  if (!period.ok()) return SendError(ctx.res, period.status(), "from");
  auto funnel = report::ComputeFunnel(*in.snapshot, *period, in.segment.get());
  if (!funnel.ok()) return SendError(ctx.res, funnel.status());
  SendTables(ctx, {report::FunnelTable(*funnel)});
}

void WeeklyRoute(Context& ctx) {
  Inputs in;
  if (!LoadInputs(ctx, &in)) return;
  report::WeeklyOptions options;
  options.now = in.now;
  options.record_quality = false;  // a preview: the schedule records the trend
  if (ctx.req.has_param("lang")) options.language = ctx.req.get_param_value("lang");
  if (!report::IsSupportedLanguage(options.language))
    return SendError(ctx.res, InvalidArgument("lang: give en, fa, ar or sv"), "lang");
  if (ctx.req.has_param("calendar")) {
    auto calendar = report::ParseCalendar(ctx.req.get_param_value("calendar"));
    if (!calendar.ok()) return SendError(ctx.res, calendar.status(), "calendar");
    options.calendar = *calendar;
  }
  auto weekly = report::BuildWeeklyReport(*in.db, *in.snapshot, options, ctx.state.clock);
  if (!weekly.ok()) return SendError(ctx.res, weekly.status());
  ctx.res.status = 200;
  ctx.res.set_header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:");
  ctx.res.set_content(weekly->html, "text/html; charset=utf-8");
}

// The data-quality figures, recorded about once a day while the weekly report
// is scheduled: the report's trend gets a point per day, and the weekly run
// reads the last one (at most a day old) instead of going over every contact
// point when it is due.
Status RecordQualityDaily(Database& db, Instant now) {
  report::WeeklyOptions recent;
  recent.now = now;
  recent.quality_max_age_hours = 20;
  ASSIGN_OR_RETURN(report::QualityFigures figures, report::CurrentQuality(db, recent));
  if (figures.recorded) return Status::Ok();
  return report::RecordQualityFigures(db, figures);
}

// The weekly schedule: once per ISO week (Monday, UTC), when PATRON_REPORT_WEEKLY_DIR
// or PATRON_REPORT_WEEKLY_TO is set (docs/reports.md "Schedule").
Status RunWeeklySchedule(ServerState& state) {
  const char* dir = std::getenv("PATRON_REPORT_WEEKLY_DIR");
  const char* to = std::getenv("PATRON_REPORT_WEEKLY_TO");
  if ((!dir || !*dir) && (!to || !*to)) return Status::Ok();
  const Instant now = state.clock.Now();
  const int64_t today = now.micros / kDay;
  // 1970-01-01 was a Thursday: days since the last Monday.
  const int64_t monday = today - ((today + 3) % 7);
  const std::string week_start = CivilDate::FromDays(monday).ToString();
  ASSIGN_OR_RETURN(auto db, Database::Open(state.config.db_path));
  {
    Statement& q = db->Query("report-run-find");
    q.Bind(":kind", "weekly").Bind(":period_start", week_start);
    ASSIGN_OR_RETURN(bool done, q.Step());
    q.Reset();
    if (done) return RecordQualityDaily(*db, now);
  }
  ASSIGN_OR_RETURN(auto snapshot, engine::OpenSnapshot(*db, state.clock));
  report::WeeklyOptions options;
  options.now = Instant{monday * kDay};
  if (const char* lang = std::getenv("PATRON_REPORT_WEEKLY_LANG"); lang && *lang) options.language = lang;
  if (const char* cal = std::getenv("PATRON_REPORT_WEEKLY_CALENDAR"); cal && *cal) {
    ASSIGN_OR_RETURN(options.calendar, report::ParseCalendar(cal));
  }
  ASSIGN_OR_RETURN(report::WeeklyReport weekly, report::BuildWeeklyReport(*db, *snapshot, options, state.clock));
  std::string path;
  if (dir && *dir) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    path = (std::filesystem::path(dir) / ("weekly-" + week_start + ".html")).string();
    std::ofstream out(path, std::ios::binary);
    out << weekly.html;
    if (!out) return IoError("cannot write '" + path + "'");
  }
  std::string emailed;
  if (to && *to) {
    const char* from = std::getenv("PATRON_REPORT_WEEKLY_FROM");
    RETURN_IF_ERROR(report::EmailReport(weekly, state.config.smtp_url, from && *from ? from : "reports@localhost", to,
                                        state.clock));
    emailed = to;
  }
  Statement& q = db->Query("report-run-insert");
  q.Bind(":kind", "weekly")
      .Bind(":period_start", week_start)
      .Bind(":generated_at", now.micros)
      .BindOptional(":path", std::string_view(path))
      .BindOptional(":emailed_to", std::string_view(emailed));
  RETURN_IF_ERROR(q.Run());
  return RecordQualityDaily(*db, now);
}

}  // namespace

std::vector<RouteSpec> ReportRoutes() {
  return {
      {"GET", "/api/v1/reports/kpis", "read_reports",
       "KPIs for a period (?from=&to= days, ?segment=) beside the previous period; ?format=csv.", KpisRoute},
      {"GET", "/api/v1/reports/cohorts", "read_reports",
       "First-purchase-month cohorts: retention and revenue triangles (?months=&by=&currency=).", CohortsRoute},
      {"GET", "/api/v1/reports/campaigns", "read_reports",
       "Per campaign and variant: reach, suppression, responses, lift with 95% CI, ROI; ?by=segment[&campaign=]: "
       "per campaign and saved segment.",
       CampaignsRoute},
      {"GET", "/api/v1/reports/suggestions", "read_reports",
       "Targeting suggestions per channel and saved segment from past campaigns' conversion rates "
       "(?channel=&min_reach=&min_holdout=&now=); significant differences only.",
       SuggestionsRoute},
      {"GET", "/api/v1/reports/funnel", "read_reports", "Lead -> MQL -> SQL -> customer for a period.", FunnelRoute},
      {"GET", "/api/v1/reports/weekly", "read_reports",
       "The weekly report as a self-contained HTML page (?lang=en|fa|ar|sv&calendar=gregorian|persian|islamic).",
       WeeklyRoute},
  };
}

PeriodicTask WeeklyReportTask() { return {"weekly report", std::chrono::hours(1), RunWeeklySchedule}; }

}  // namespace patron::server
