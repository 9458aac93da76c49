// Patron reports (issue 9; R25–R27): the numbers a marketing meeting asks for
// every week — KPIs over any period and segment beside the previous period,
// acquisition cohorts, campaign results with lift over the holdout, the
// lead -> MQL -> SQL -> customer funnel, and the weekly report as one
// self-contained HTML file in the reader's language and calendar.
//
// Where the numbers come from: customers, orders, events and model traits are
// read from the engine snapshot (src/engine: columns, orders and events grouped
// by customer and sorted by time), so that a year of KPIs over a million
// customers is one pass over memory; campaign sends, costs and results come
// from the store (src/campaign Results()). Every definition is in
// docs/reports.md.
//
// Money is integer minor units of one currency; KPIs in money are given once per
// currency present (never summed across currencies).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/core.h"

class Roaring;

namespace patron {
class Database;
namespace engine {
struct Snapshot;
}
}  // namespace patron

namespace patron::report {

// ---------------------------------------------------------------------------
// Tables: what every report exports (CSV, JSON, a text table)
// ---------------------------------------------------------------------------

// A rectangular result. Cells are text as written in exports (numbers in
// ASCII digits with '.' decimals; money in minor units; ratios 0..1).
struct Table {
  std::string name;  // "kpis", "cohort_retention", ...
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;
};

enum class Format { kTable, kCsv, kJson };
Result<Format> ParseFormat(std::string_view name);  // "table", "csv", "json"
// RFC 4180 CSV with a header row (CRLF line ends).
std::string ToCsv(const Table& table);
// {"name": ..., "columns": [...], "rows": [{"col": value, ...}]}; cells that are
// numbers are written as JSON numbers, empty cells as null.
std::string ToJson(const Table& table);
std::string ToJson(const std::vector<Table>& tables);  // {"tables": [...]}
// Aligned columns for a terminal.
std::string ToText(const Table& table);
std::string Render(const std::vector<Table>& tables, Format format);

// ---------------------------------------------------------------------------
// KPIs (R25)
// ---------------------------------------------------------------------------

// A half-open period [from, to).
struct Period {
  Instant from, to;
  // The period of the same length just before this one.
  Period Previous() const { return {Instant{from.micros - (to.micros - from.micros)}, from}; }
};
// "2024-01-01" .. "2024-12-31" (both days included) -> [from, to + 1 day).
// Errors name the argument.
Result<Period> ParsePeriod(std::string_view from_day, std::string_view to_day);

struct KpiOptions {
  Period period;
  // Restricts every customer KPI to these customers (dense snapshot indexes,
  // from segment::Evaluate); null = everyone. Campaign and cost KPIs are not
  // restricted (costs are not attributed to people).
  const ::Roaring* segment = nullptr;
  // Activity other than orders that makes a customer "active": every event
  // type except messages sent to them.
  // A visit is a day with at least one of these event types.
  std::vector<std::string> visit_event_types = {"page_viewed", "product_viewed", "session_started", "app_opened"};
  // Campaign results are computed as of this clock (the system clock when null).
  const Clock* clock = nullptr;
};

// One KPI: its value this period and the previous one. Money KPIs carry their
// currency and are in minor units; ratios are 0..1; `breakdown` names the
// group for KPIs given per channel, source or campaign ("channel=email").
struct Kpi {
  std::string key;        // "revenue", "cac", ...
  std::string breakdown;  // "" for the total, "channel=web", "source=crm", "campaign=spring"
  std::string currency;   // money KPIs only
  std::string unit;       // "count", "money", "ratio", "number"
  std::optional<double> value, previous;  // nullopt when undefined (a ratio over zero)
};

struct KpiReport {
  Period period;
  std::vector<Kpi> kpis;
  // The first KPI with this key, breakdown and currency; nullptr when absent.
  const Kpi* Find(std::string_view key, std::string_view breakdown = {}, std::string_view currency = {}) const;
};

// Computes every KPI of docs/reports.md for options.period and the period
// before it. Predicted values are the model traits as last scored (no previous).
// The customers (dense snapshot indexes) a segment selects: `definition` in the
// segment language (docs/segments.md), or "segment:NAME" for a saved segment.
// Errors name the segment's problem.
Result<std::unique_ptr<::Roaring>> SegmentMembers(Database& db, const engine::Snapshot& snapshot,
                                                  std::string_view definition, Instant now);

Result<KpiReport> ComputeKpis(Database& db, const engine::Snapshot& snapshot, const KpiOptions& options);
Table KpiTable(const KpiReport& report);

// ---------------------------------------------------------------------------
// Cohorts
// ---------------------------------------------------------------------------

struct CohortOptions {
  int months = 12;          // cohorts: the `months` months ending with the one holding `until`
  Instant until;            // activity up to here (exclusive)
  std::string group_by;     // "", "acquisition_channel" or "source": one triangle per value
  std::string currency;     // revenue triangle currency; empty: the currency with most revenue
  const ::Roaring* segment = nullptr;
};

// A customer's cohort is the calendar month (UTC) of their first purchase
// (cancelled and returned orders are not purchases). Row = cohort, column k =
// months since the cohort month (0 = the month itself).
struct CohortRow {
  std::string group;   // the group_by value ("" when not grouped)
  std::string cohort;  // "2024-03"
  int64_t size = 0;    // customers whose first purchase fell in the month
  std::vector<int64_t> active;         // [k]: customers of the cohort who bought in month k
  std::vector<int64_t> revenue_minor;  // [k]: their revenue in month k (in `currency`)
};
struct Cohorts {
  std::string currency;
  std::vector<CohortRow> rows;  // by group, then cohort month
};
Result<Cohorts> ComputeCohorts(const engine::Snapshot& snapshot, const CohortOptions& options);
// Retention as ratios (active/size) and revenue per cohort member, one column per k.
Table CohortRetentionTable(const Cohorts& cohorts);
Table CohortRevenueTable(const Cohorts& cohorts);

// ---------------------------------------------------------------------------
// Funnel
// ---------------------------------------------------------------------------

// Customers created in the period, by the furthest stage they reached by its
// end (docs/reports.md "Funnel"): lead (everyone created), MQL, SQL, customer.
struct Funnel {
  Period period;
  int64_t leads = 0, mql = 0, sql = 0, customers = 0;
  int64_t previous_leads = 0, previous_mql = 0, previous_sql = 0, previous_customers = 0;
};
Result<Funnel> ComputeFunnel(const engine::Snapshot& snapshot, const Period& period, const ::Roaring* segment = nullptr);
Table FunnelTable(const Funnel& funnel);

// ---------------------------------------------------------------------------
// Campaigns (R26)
// ---------------------------------------------------------------------------

struct CampaignRow {
  int64_t campaign_id = 0;
  std::string campaign, variant;  // variant "" = the whole campaign
  std::string channel, status, currency;
  int64_t reach = 0;  // messages sent
  int64_t suppressed = 0;
  std::map<std::string, int64_t> suppressed_by_reason;
  int64_t delivered = 0, opened = 0, clicked = 0, converted = 0, holdout = 0, holdout_converted = 0;
  int64_t revenue_minor = 0, cost_minor = 0, incremental_revenue_minor = 0;
  std::optional<double> roi;  // (incremental revenue - cost) / cost; nullopt without cost
  bool lift_available = false;
  double conversion_rate = 0, holdout_rate = 0, lift = 0, lift_ci_low = 0, lift_ci_high = 0;
  bool significant = false;
  std::optional<Instant> started_at;
  std::string segment;  // per-segment rows (CampaignSegmentResults): the segment's name
};
// Every campaign that was prepared (has an outbox), newest first; each campaign
// row followed by one row per variant (lift of the variant over the holdout).
Result<std::vector<CampaignRow>> CampaignResults(Database& db, const Clock& clock);
Table CampaignTable(const std::vector<CampaignRow>& rows);

// A segment to break campaign results down by: its name as shown, and its
// definition in the segment language (or "segment:NAME").
struct SegmentDefinition {
  std::string name, definition;
};
// Per campaign (every prepared one, or only `campaign` when not empty), one row
// per segment: the campaign's target and holdout members who are in the segment
// now (evaluated on `snapshot` at clock.Now()), with reach, opens, clicks,
// conversions and revenue, and the segment's lift over its own holdout members
// with a 95 % confidence interval. Conversions as in campaign results (docs/reports.md).
// `segments` empty: every saved segment. Errors name the segment or campaign.
Result<std::vector<CampaignRow>> CampaignSegmentResults(Database& db, const engine::Snapshot& snapshot,
                                                        std::vector<SegmentDefinition> segments,
                                                        std::string_view campaign, const Clock& clock);
// Columns: campaign_id, campaign, segment, reach, opened, clicked, converted,
// conversion_rate, holdout, holdout_converted, holdout_rate, lift, lift_ci_low,
// lift_ci_high, significant, currency, revenue_minor.
Table CampaignSegmentTable(const std::vector<CampaignRow>& rows);

// ---------------------------------------------------------------------------
// Targeting suggestions (R26: better targeting from observed response rates)
// ---------------------------------------------------------------------------

struct SuggestionOptions {
  // The segments to judge; empty: every saved segment.
  std::vector<SegmentDefinition> segments;
  std::string channel;  // only this channel ("" = every channel with campaigns)
  // No suggestion unless both the segment's messages and the other recipients'
  // number at least this many, and each group expects at least 5 conversions
  // at the pooled rate (the normal approximation behind the test holds).
  int64_t min_reach = 100;
  // The segment's lift over its own holdout members is given only when they
  // number at least this many.
  int64_t min_holdout = 30;
};

// One channel and segment, over every prepared campaign of the channel: the
// segment's recipients (as in CampaignSegmentResults: members now) against the
// channel's other recipients. docs/reports.md "Targeting suggestions" has the
// statistics; in short, a two-sided two-proportion z-test on the conversion
// rate at 95 % decides, and nothing is suggested without enough data.
struct Suggestion {
  std::string channel, segment;
  std::string action;  // "target" (converts above the rest), "suppress" (below), "" (no suggestion)
  std::string reason;  // "higher", "lower", "not_significant", "small_sample"
  int64_t campaigns = 0;  // campaigns of the channel that reached the segment
  int64_t reach = 0, clicked = 0, converted = 0;
  int64_t rest_reach = 0, rest_clicked = 0, rest_converted = 0;
  double conversion_rate = 0, rate_ci_low = 0, rate_ci_high = 0;  // Wilson 95 % interval
  double rest_rate = 0, rest_ci_low = 0, rest_ci_high = 0;
  // Rate ratio segment/rest with its 95 % interval (log scale); nullopt when a
  // group has no conversion.
  std::optional<double> ratio, ratio_ci_low, ratio_ci_high;
  double z = 0, p_value = 1;  // two-proportion z (pooled), two-sided p
  double click_rate = 0, rest_click_rate = 0;
  // Revenue per message in minor units; only when every campaign of the
  // channel is in one currency (then `currency`).
  std::string currency;
  std::optional<double> revenue_per_message, rest_revenue_per_message;
  // The segment's targets against its own holdout members (summed over campaigns).
  int64_t holdout = 0, holdout_converted = 0;
  bool lift_available = false, lift_significant = false;
  double lift = 0, lift_ci_low = 0, lift_ci_high = 0;
  std::string message;  // one English sentence with the numbers
};
// Ranked per channel (by name): "target" first (strongest ratio first), then
// "suppress" (weakest first), then the rest (segment name order). Segments that
// no campaign of the channel reached are left out. Errors name the segment.
Result<std::vector<Suggestion>> TargetingSuggestions(Database& db, const engine::Snapshot& snapshot,
                                                     const SuggestionOptions& options, const Clock& clock);
// Columns: channel, segment, action, reason, campaigns, reach, converted,
// conversion_rate, rate_ci_low, rate_ci_high, rest_reach, rest_converted,
// rest_rate, ratio, ratio_ci_low, ratio_ci_high, z, p_value (6 decimals), clicked, click_rate,
// rest_click_rate, currency, revenue_per_message_minor,
// rest_revenue_per_message_minor, holdout, holdout_converted, lift, lift_ci_low,
// lift_ci_high, lift_significant, message.
Table SuggestionTable(const std::vector<Suggestion>& suggestions);

// ---------------------------------------------------------------------------
// Acquisition costs
// ---------------------------------------------------------------------------

// Imports spend per source and channel (migration 0012 acquisition_costs) from a
// CSV with a header: source,channel,from,to,amount,currency — from/to days
// inclusive, amount in major units ("1250.50"). Either source or channel may be
// empty. Returns the rows imported; errors give the line and field.
Result<int64_t> ImportAcquisitionCosts(Database& db, const std::string& path, const Clock& clock);

// ---------------------------------------------------------------------------
// Weekly report (R27)
// ---------------------------------------------------------------------------

struct WeeklyOptions {
  Instant now;               // the report covers the 7 days before the UTC day holding `now`
  std::string language = "en";  // en, fa, ar, sv
  Calendar calendar = Calendar::kGregorian;
  int trend_weeks = 8;
  int cohort_months = 6;
  // Records this report's data-quality figures (report_quality_history) so the
  // next reports show a trend. Off for previews.
  bool record_quality = true;
  // The data-quality figures recorded at most this long before `now` (by a
  // nightly `patron report quality --record` or an earlier report) are shown
  // instead of recomputing them over every contact point; 0 = always recompute.
  int64_t quality_max_age_hours = 24;
};

// Data-quality figures as the weekly report shows and records them
// (report_quality_history): contact points, invalid or bounced, probably stale
// (in all and by kind), records merged as duplicates.
struct QualityFigures {
  Instant taken_at;
  int64_t contact_points = 0, invalid = 0, stale = 0, stale_phones = 0, stale_emails = 0, duplicates = 0;
  bool recorded = false;  // read from report_quality_history rather than computed
};
// Computes the figures now (the data-quality report over every contact point).
Result<QualityFigures> ComputeQualityFigures(Database& db, Instant now);
// Records them in report_quality_history (replacing a row taken at the same instant).
Status RecordQualityFigures(Database& db, const QualityFigures& figures);
// The last recorded figures taken no later than options.now and at most
// options.quality_max_age_hours before it; otherwise computed now (not recorded).
Result<QualityFigures> CurrentQuality(Database& db, const WeeklyOptions& options);
Result<Calendar> ParseCalendar(std::string_view name);  // gregorian, persian, islamic
bool IsSupportedLanguage(std::string_view language);

struct WeeklyReport {
  std::string html;     // self-contained: inline CSS and SVG, no scripts, no network
  std::string subject;  // one line, for the email
  std::string text;     // a plain-text summary (the email's text part)
  std::vector<std::string> actions;  // recommended actions, as shown
};
Result<WeeklyReport> BuildWeeklyReport(Database& db, const engine::Snapshot& snapshot, const WeeklyOptions& options,
                                       const Clock& clock);

// Prints `html_path` to `pdf_path` with Chromium's headless printer; kFailedPrecondition
// when no chromium binary is installed (`chromium` or $PATRON_CHROMIUM).
Status HtmlToPdf(const std::string& html_path, const std::string& pdf_path);

// Emails the report through the SMTP server of $PATRON_SMTP_URL (or `smtp_url`)
// from `from` to `to`.
Status EmailReport(const WeeklyReport& report, const std::string& smtp_url, const std::string& from,
                   const std::string& to, const Clock& clock);

// Dates and numbers for a reader: "۱۴ آبان ۱۴۰۳" (fa, persian), "3 mars 2024" (sv).
std::string FormatDate(CivilDate date, std::string_view language, Calendar calendar);
// Replaces ASCII digits with the language's digits (Persian for fa, Arabic-Indic for ar).
std::string LocalDigits(std::string_view text, std::string_view language);

}  // namespace patron::report
