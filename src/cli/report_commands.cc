// `patron report` commands: kpis, cohorts, campaigns, suggestions, funnel, weekly, and
// `report costs import` (docs/reports.md).
#include <CLI/CLI.hpp>
#include <roaring/roaring.hh>

#include <cstdio>
#include <fstream>
#include <iostream>

#include "cli/cli_internal.h"
#include "engine/engine.h"
#include "report/report.h"

namespace patron::cli {

namespace {

constexpr int64_t kDay = 86'400'000'000LL;

struct ReportArgs {
  std::string from, to, now, segment, format = "table", out;
  int months = 12;
  std::string by, currency;
  // weekly
  std::string pdf, email, email_from = "reports@localhost", smtp_url, lang = "en", calendar = "gregorian";
  bool no_record = false, record = false, fresh_quality = false;
  std::string file;
  // campaigns
  bool by_segment = false;
  std::string campaign;
  // suggestions
  std::string channel;
  int64_t min_reach = 100, min_holdout = 30;
};

Result<Instant> Now(const ReportArgs& a) {
  if (a.now.empty()) return SystemClock::Get().Now();
  auto t = ParseInstant(a.now);
  if (!t.ok()) return t.status().WithContext("--now");
  return t;
}

// --from/--to (days, inclusive); default: the 30 days before today.
Result<report::Period> PeriodOf(const ReportArgs& a, Instant now) {
  if (a.from.empty() != a.to.empty()) return InvalidArgument("give both --from and --to, or neither");
  if (!a.from.empty()) return report::ParsePeriod(a.from, a.to);
  const int64_t today = now.micros / kDay;
  return report::Period{Instant{(today - 30) * kDay}, Instant{today * kDay}};
}

struct Loaded {
  std::unique_ptr<Database> db;
  std::shared_ptr<const engine::Snapshot> snapshot;
  std::unique_ptr<Roaring> segment;
};

Result<Loaded> Load(const GlobalOptions& g, const ReportArgs& a, Instant now) {
  Loaded l;
  ASSIGN_OR_RETURN(l.db, OpenDb(g.db_path));
  ProgressBar bar("loading customers");
  ASSIGN_OR_RETURN(l.snapshot,
                   engine::OpenSnapshot(*l.db, SystemClock::Get(), [&bar](uint64_t d, uint64_t t) { bar.UpdateCount(d, t); }));
  bar.Done();
  if (!a.segment.empty()) {
    ASSIGN_OR_RETURN(l.segment, report::SegmentMembers(*l.db, *l.snapshot, a.segment, now));
  }
  return l;
}

int Emit(const GlobalOptions& g, const ReportArgs& a, const std::vector<report::Table>& tables) {
  auto format = report::ParseFormat(g.json ? "json" : a.format);
  if (!format.ok()) return Fail(format.status());
  std::string text = report::Render(tables, *format);
  if (a.out.empty()) {
    std::fwrite(text.data(), 1, text.size(), stdout);
    return 0;
  }
  std::ofstream out(a.out, std::ios::binary);
  out << text;
  if (!out) return Fail(IoError("cannot write '" + a.out + "'"));
  return 0;
}

int RunKpis(const GlobalOptions& g, const ReportArgs& a) {
  auto now = Now(a);
  if (!now.ok()) return Fail(now.status());
  auto period = PeriodOf(a, *now);
  if (!period.ok()) return Fail(period.status());
  auto l = Load(g, a, *now);
  if (!l.ok()) return Fail(l.status());
  report::KpiOptions options;
  options.period = *period;
  options.segment = l->segment.get();
  auto kpis = report::ComputeKpis(*l->db, *l->snapshot, options);
  if (!kpis.ok()) return Fail(kpis.status());
  return Emit(g, a, {report::KpiTable(*kpis)});
}

int RunCohorts(const GlobalOptions& g, const ReportArgs& a) {
  auto now = Now(a);
  if (!now.ok()) return Fail(now.status());
  auto l = Load(g, a, *now);
  if (!l.ok()) return Fail(l.status());
  report::CohortOptions options;
  options.months = a.months;
  options.until = Instant{(now->micros / kDay + 1) * kDay};
  if (!a.to.empty()) {
    auto to = ParseInstant(a.to);
    if (!to.ok()) return Fail(to.status().WithContext("--to"));
    options.until = Instant{to->micros + kDay};
  }
  options.group_by = a.by;
  options.currency = a.currency;
  options.segment = l->segment.get();
  auto cohorts = report::ComputeCohorts(*l->snapshot, options);
  if (!cohorts.ok()) return Fail(cohorts.status());
  return Emit(g, a, {report::CohortRetentionTable(*cohorts), report::CohortRevenueTable(*cohorts)});
}

int RunCampaigns(const GlobalOptions& g, const ReportArgs& a) {
  if (a.by_segment) {
    auto now = Now(a);
    if (!now.ok()) return Fail(now.status());
    auto l = Load(g, ReportArgs{}, *now);
    if (!l.ok()) return Fail(l.status());
    ManualClock clock(*now);
    auto rows = report::CampaignSegmentResults(*l->db, *l->snapshot, {}, a.campaign, clock);
    if (!rows.ok()) return Fail(rows.status());
    return Emit(g, a, {report::CampaignSegmentTable(*rows)});
  }
  auto db = OpenDb(g.db_path);
  if (!db.ok()) return Fail(db.status());
  auto rows = report::CampaignResults(**db, SystemClock::Get());
  if (!rows.ok()) return Fail(rows.status());
  return Emit(g, a, {report::CampaignTable(*rows)});
}

int RunSuggestions(const GlobalOptions& g, const ReportArgs& a) {
  auto now = Now(a);
  if (!now.ok()) return Fail(now.status());
  auto l = Load(g, ReportArgs{}, *now);
  if (!l.ok()) return Fail(l.status());
  ManualClock clock(*now);
  report::SuggestionOptions options;
  options.channel = a.channel;
  options.min_reach = a.min_reach;
  options.min_holdout = a.min_holdout;
  auto suggestions = report::TargetingSuggestions(*l->db, *l->snapshot, options, clock);
  if (!suggestions.ok()) return Fail(suggestions.status());
  return Emit(g, a, {report::SuggestionTable(*suggestions)});
}

int RunFunnel(const GlobalOptions& g, const ReportArgs& a) {
  auto now = Now(a);
  if (!now.ok()) return Fail(now.status());
  auto period = PeriodOf(a, *now);
  if (!period.ok()) return Fail(period.status());
  auto l = Load(g, a, *now);
  if (!l.ok()) return Fail(l.status());
  auto funnel = report::ComputeFunnel(*l->snapshot, *period, l->segment.get());
  if (!funnel.ok()) return Fail(funnel.status());
  return Emit(g, a, {report::FunnelTable(*funnel)});
}

int RunWeekly(const GlobalOptions& g, const ReportArgs& a) {
  if (a.out.empty() && a.email.empty()) return Fail(InvalidArgument("give --out FILE.html and/or --email ADDRESS"));
  auto now = Now(a);
  if (!now.ok()) return Fail(now.status());
  report::WeeklyOptions options;
  options.now = *now;
  options.language = a.lang;
  auto calendar = report::ParseCalendar(a.calendar);
  if (!calendar.ok()) return Fail(calendar.status().WithContext("--calendar"));
  options.calendar = *calendar;
  options.record_quality = !a.no_record;
  if (a.fresh_quality) options.quality_max_age_hours = 0;
  if (!report::IsSupportedLanguage(a.lang))
    return Fail(InvalidArgument("--lang: '" + a.lang + "' is not one of en, fa, ar, sv"));
  auto l = Load(g, ReportArgs{}, *now);
  if (!l.ok()) return Fail(l.status());
  auto weekly = report::BuildWeeklyReport(*l->db, *l->snapshot, options, SystemClock::Get());
  if (!weekly.ok()) return Fail(weekly.status());
  std::string html_path = a.out;
  if (!html_path.empty()) {
    std::ofstream out(html_path, std::ios::binary);
    out << weekly->html;
    if (!out) return Fail(IoError("cannot write '" + html_path + "'"));
    std::fprintf(stderr, "wrote %s\n", html_path.c_str());
  }
  if (!a.pdf.empty()) {
    if (html_path.empty()) return Fail(InvalidArgument("--pdf needs --out (the HTML it prints)"));
    Status s = report::HtmlToPdf(html_path, a.pdf);
    if (!s.ok()) return Fail(s);
    std::fprintf(stderr, "wrote %s\n", a.pdf.c_str());
  }
  if (!a.email.empty()) {
    Status s = report::EmailReport(*weekly, a.smtp_url, a.email_from, a.email, SystemClock::Get());
    if (!s.ok()) return Fail(s);
    std::fprintf(stderr, "emailed the report\n");
  }
  for (const std::string& action : weekly->actions) std::printf("- %s\n", action.c_str());
  return 0;
}

// Data-quality figures as the weekly report shows them; --record keeps them in
// the history, from which the next weekly report within a day reads them.
int RunQuality(const GlobalOptions& g, const ReportArgs& a) {
  auto now = Now(a);
  if (!now.ok()) return Fail(now.status());
  auto db = OpenDb(g.db_path);
  if (!db.ok()) return Fail(db.status());
  auto f = report::ComputeQualityFigures(**db, *now);
  if (!f.ok()) return Fail(f.status());
  if (a.record) {
    Status s = report::RecordQualityFigures(**db, *f);
    if (!s.ok()) return Fail(s);
  }
  report::Table t{"quality",
                  {"taken_at", "contact_points", "invalid", "stale", "stale_phones", "stale_emails", "duplicates"},
                  {{FormatInstant(f->taken_at), std::to_string(f->contact_points), std::to_string(f->invalid),
                    std::to_string(f->stale), std::to_string(f->stale_phones), std::to_string(f->stale_emails),
                    std::to_string(f->duplicates)}}};
  return Emit(g, a, {t});
}

int RunCostsImport(const GlobalOptions& g, const ReportArgs& a) {
  auto db = OpenDb(g.db_path);
  if (!db.ok()) return Fail(db.status());
  auto rows = report::ImportAcquisitionCosts(**db, a.file, SystemClock::Get());
  if (!rows.ok()) return Fail(rows.status());
  std::printf("imported %lld acquisition cost rows\n", static_cast<long long>(*rows));
  return 0;
}

}  // namespace

void AddReportCommands(CLI::App& app, const GlobalOptions& globals, Action& action) {
  static ReportArgs args;
  auto* cmd = app.add_subcommand("report", "KPIs, cohorts, campaign results, funnel, weekly report (docs/reports.md)");
  cmd->require_subcommand(1);
  auto bind = [&action, &globals](CLI::App* sub, int (*run)(const GlobalOptions&, const ReportArgs&)) {
    sub->callback([&action, &globals, run] { action = [&globals, run] { return run(globals, args); }; });
  };
  auto output = [](CLI::App* sub) {
    sub->add_option("--format", args.format, "table, csv or json (default table)");
    sub->add_option("--out", args.out, "Write to this file instead of standard output");
  };
  auto period = [](CLI::App* sub) {
    sub->add_option("--from", args.from, "First day (YYYY-MM-DD); default: 30 days before today");
    sub->add_option("--to", args.to, "Last day, included (YYYY-MM-DD)");
    sub->add_option("--now", args.now, "Evaluate as of this time (ISO 8601)");
    sub->add_option("--segment", args.segment,
                    "Only these customers: a segment definition, or segment:NAME for a saved one");
  };

  auto* kpis = cmd->add_subcommand("kpis", "Every KPI for a period and the period before it");
  period(kpis);
  output(kpis);
  bind(kpis, RunKpis);

  auto* cohorts = cmd->add_subcommand("cohorts", "First-purchase-month cohorts: retention and revenue triangles");
  cohorts->add_option("--months", args.months, "Cohorts: this many months (default 12)")->check(CLI::Range(1, 120));
  cohorts->add_option("--by", args.by, "One triangle per acquisition_channel or source");
  cohorts->add_option("--currency", args.currency, "Revenue currency (default: the one with most revenue)");
  cohorts->add_option("--to", args.to, "Activity up to this day, included (default today)");
  cohorts->add_option("--now", args.now, "Evaluate as of this time (ISO 8601)");
  cohorts->add_option("--segment", args.segment, "Only these customers (segment language or segment:NAME)");
  output(cohorts);
  bind(cohorts, RunCohorts);

  auto* campaigns = cmd->add_subcommand("campaigns", "Per campaign and variant: reach, responses, lift, ROI");
  campaigns->add_flag("--by-segment", args.by_segment,
                      "One row per campaign and saved segment: its members' responses and lift over its holdout");
  campaigns->add_option("--campaign", args.campaign, "With --by-segment: only this campaign");
  campaigns->add_option("--now", args.now, "With --by-segment: segments as of this time (ISO 8601)");
  output(campaigns);
  bind(campaigns, RunCampaigns);

  auto* suggestions = cmd->add_subcommand(
      "suggestions", "Per channel and saved segment: target or suppress it, from past campaigns' conversion rates");
  suggestions->add_option("--channel", args.channel, "Only this channel (email, sms, ...)");
  suggestions->add_option("--min-reach", args.min_reach,
                          "Suggest nothing unless the segment and the other recipients each got this many messages "
                          "(default 100)")
      ->check(CLI::Range(int64_t{1}, int64_t{1'000'000'000}));
  suggestions->add_option("--min-holdout", args.min_holdout,
                          "Give a segment's lift over its holdout only from this many holdout members (default 30)")
      ->check(CLI::Range(int64_t{1}, int64_t{1'000'000'000}));
  suggestions->add_option("--now", args.now, "Segments as of this time (ISO 8601)");
  output(suggestions);
  bind(suggestions, RunSuggestions);

  auto* funnel = cmd->add_subcommand("funnel", "Leads -> MQL -> SQL -> customers created in the period");
  period(funnel);
  output(funnel);
  bind(funnel, RunFunnel);

  auto* weekly = cmd->add_subcommand("weekly", "The weekly marketing report as one HTML file (and PDF, email)");
  weekly->add_option("--out", args.out, "The HTML file to write");
  weekly->add_option("--pdf", args.pdf, "Also print it to this PDF (needs Debian's chromium)");
  weekly->add_option("--email", args.email, "Email it to this address through PATRON_SMTP_URL");
  weekly->add_option("--email-from", args.email_from, "Sender address of the email");
  weekly->add_option("--smtp-url", args.smtp_url, "SMTP server (default $PATRON_SMTP_URL)");
  weekly->add_option("--lang", args.lang, "en, fa, ar or sv (default en)");
  weekly->add_option("--calendar", args.calendar, "gregorian, persian or islamic (default gregorian)");
  weekly->add_option("--now", args.now, "The report covers the 7 days before this day (ISO 8601)");
  weekly->add_flag("--no-record", args.no_record, "Do not record this run's data-quality figures for the trend");
  weekly->add_flag("--fresh-quality", args.fresh_quality,
                   "Compute the data-quality figures now, even when figures recorded in the last day exist");
  bind(weekly, RunWeekly);

  auto* quality = cmd->add_subcommand("quality", "The data-quality figures of the weekly report (contact points, "
                                                 "invalid, stale, duplicates)");
  quality->add_flag("--record", args.record,
                    "Record them: a weekly report within the next day shows them instead of recomputing");
  quality->add_option("--now", args.now, "As of this time (ISO 8601)");
  output(quality);
  bind(quality, RunQuality);

  auto* costs = cmd->add_subcommand("costs", "Acquisition spend per source and channel (for CAC)");
  costs->require_subcommand(1);
  auto* import = costs->add_subcommand("import", "Import CSV: source,channel,from,to,amount,currency");
  import->add_option("file", args.file, "The CSV file")->required()->check(CLI::ExistingFile);
  bind(import, RunCostsImport);
}

}  // namespace patron::cli
