// The campaign report (src/campaign Results() per campaign, with each variant's
// lift over the same holdout) and the import of acquisition costs.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>

#include <roaring/roaring.hh>

#include "campaign/campaign.h"
#include "engine/engine.h"
#include "report/report.h"
#include "report/report_internal.h"
#include "segment/segment.h"
#include "store/store.h"

namespace patron::report {

namespace {

// The lift of one group over the holdout: the same Wald interval as
// campaign::Results uses for the whole campaign.
void SetLift(CampaignRow& row, double sent, double converted, double holdout, double holdout_converted) {
  if (sent <= 0 || holdout <= 0) return;
  row.lift_available = true;
  row.conversion_rate = converted / sent;
  row.holdout_rate = holdout_converted / holdout;
  row.lift = row.conversion_rate - row.holdout_rate;
  const double se = std::sqrt(row.conversion_rate * (1 - row.conversion_rate) / sent +
                              row.holdout_rate * (1 - row.holdout_rate) / holdout);
  row.lift_ci_low = row.lift - 1.96 * se;
  row.lift_ci_high = row.lift + 1.96 * se;
  row.significant = se > 0 ? (row.lift_ci_low > 0 || row.lift_ci_high < 0) : row.lift != 0;
}

}  // namespace

Result<std::vector<CampaignRow>> CampaignResults(Database& db, const Clock& clock) {
  ASSIGN_OR_RETURN(std::vector<campaign::Campaign> campaigns, campaign::ListCampaigns(db));
  std::vector<CampaignRow> out;
  for (const campaign::Campaign& c : campaigns) {
    if (!c.prepared_at) continue;  // drafts have no outbox
    ASSIGN_OR_RETURN(campaign::CampaignResults r, campaign::Results(db, c, clock));
    CampaignRow row;
    row.campaign_id = c.id;
    row.campaign = c.name;
    row.channel = std::string(campaign::ChannelName(c.channel));
    row.status = c.status;
    row.currency = !r.currency.empty() ? r.currency : c.currency;
    row.started_at = c.started_at ? c.started_at : c.prepared_at;
    row.reach = static_cast<int64_t>(r.targets.sent);
    for (const auto& [reason, n] : r.suppressed_by_reason) {
      row.suppressed_by_reason[reason] = static_cast<int64_t>(n);
      row.suppressed += static_cast<int64_t>(n);
    }
    row.delivered = static_cast<int64_t>(r.targets.delivered);
    row.opened = static_cast<int64_t>(r.targets.opened);
    row.clicked = static_cast<int64_t>(r.targets.clicked);
    row.converted = static_cast<int64_t>(r.targets.converted);
    row.holdout = static_cast<int64_t>(r.holdout.members);
    row.holdout_converted = static_cast<int64_t>(r.holdout.converted);
    row.revenue_minor = r.targets.revenue_minor;
    row.cost_minor = r.cost_minor;
    row.incremental_revenue_minor = r.incremental_revenue_minor;
    if (r.cost_minor > 0) row.roi = r.roi;
    if (r.lift.available) {
      row.lift_available = true;
      row.conversion_rate = r.lift.target_rate;
      row.holdout_rate = r.lift.holdout_rate;
      row.lift = r.lift.difference;
      row.lift_ci_low = r.lift.ci_low;
      row.lift_ci_high = r.lift.ci_high;
      row.significant = r.lift.significant;
    } else if (r.targets.sent > 0) {
      row.conversion_rate = static_cast<double>(r.targets.converted) / static_cast<double>(r.targets.sent);
    }
    const CampaignRow whole = row;
    out.push_back(row);
    if (r.by_variant.size() < 2) continue;
    for (const auto& [variant, g] : r.by_variant) {
      CampaignRow v;
      v.campaign_id = c.id;
      v.campaign = c.name;
      v.variant = variant;
      v.channel = whole.channel;
      v.status = whole.status;
      v.currency = whole.currency;
      v.started_at = whole.started_at;
      v.reach = static_cast<int64_t>(g.sent);
      v.delivered = static_cast<int64_t>(g.delivered);
      v.opened = static_cast<int64_t>(g.opened);
      v.clicked = static_cast<int64_t>(g.clicked);
      v.converted = static_cast<int64_t>(g.converted);
      v.holdout = whole.holdout;
      v.holdout_converted = whole.holdout_converted;
      v.revenue_minor = g.revenue_minor;
      v.cost_minor = static_cast<int64_t>(g.sent) * c.cost_per_message_minor;
      if (g.sent > 0 && r.holdout.members > 0) {
        const double per_holdout =
            static_cast<double>(r.holdout.revenue_minor) / static_cast<double>(r.holdout.members);
        v.incremental_revenue_minor =
            std::llround(static_cast<double>(g.revenue_minor) - per_holdout * static_cast<double>(g.sent));
      }
      if (v.cost_minor > 0)
        v.roi = static_cast<double>(v.incremental_revenue_minor - v.cost_minor) / static_cast<double>(v.cost_minor);
      SetLift(v, static_cast<double>(g.sent), static_cast<double>(g.converted), static_cast<double>(r.holdout.members),
              static_cast<double>(r.holdout.converted));
      if (!v.lift_available && g.sent > 0)
        v.conversion_rate = static_cast<double>(g.converted) / static_cast<double>(g.sent);
      out.push_back(std::move(v));
    }
  }
  return out;
}

Table CampaignTable(const std::vector<CampaignRow>& rows) {
  Table t{"campaigns",
          {"campaign_id", "campaign", "variant", "channel", "status", "reach", "suppressed", "suppressed_by_reason",
           "delivered", "opened", "clicked", "converted", "conversion_rate", "holdout", "holdout_rate", "lift",
           "lift_ci_low", "lift_ci_high", "significant", "currency", "revenue_minor", "cost_minor",
           "incremental_revenue_minor", "roi"},
          {}};
  auto num = [](double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4f", v);
    return std::string(buf);
  };
  for (const CampaignRow& r : rows) {
    std::string reasons;
    for (const auto& [reason, n] : r.suppressed_by_reason)
      reasons += (reasons.empty() ? "" : ";") + reason + "=" + std::to_string(n);
    t.rows.push_back({std::to_string(r.campaign_id), r.campaign, r.variant, r.channel, r.status, std::to_string(r.reach),
                      r.variant.empty() ? std::to_string(r.suppressed) : "", reasons, std::to_string(r.delivered),
                      std::to_string(r.opened), std::to_string(r.clicked), std::to_string(r.converted),
                      num(r.conversion_rate), std::to_string(r.holdout), r.lift_available ? num(r.holdout_rate) : "",
                      r.lift_available ? num(r.lift) : "", r.lift_available ? num(r.lift_ci_low) : "",
                      r.lift_available ? num(r.lift_ci_high) : "",
                      r.lift_available ? (r.significant ? "yes" : "no") : "", r.currency,
                      std::to_string(r.revenue_minor), std::to_string(r.cost_minor),
                      std::to_string(r.incremental_revenue_minor), r.roi ? num(*r.roi) : ""});
  }
  return t;
}

Result<std::vector<CampaignRow>> CampaignSegmentResults(Database& db, const engine::Snapshot& snapshot,
                                                        std::vector<SegmentDefinition> segments,
                                                        std::string_view campaign_name, const Clock& clock) {
  const Instant now = clock.Now();
  if (segments.empty()) {
    ASSIGN_OR_RETURN(std::vector<segment::SavedSegment> saved, segment::ListSegments(db));
    for (const segment::SavedSegment& s : saved) segments.push_back({s.name, s.definition});
  }
  ASSIGN_OR_RETURN(internal::EvaluatedSegments evaluated, internal::EvaluateSegments(db, snapshot, segments, now));
  return internal::CampaignSegmentRows(db, snapshot, evaluated.members, campaign_name, now);
}

Result<internal::EvaluatedSegments> internal::EvaluateSegments(Database& db, const engine::Snapshot& snapshot,
                                                               const std::vector<SegmentDefinition>& segments,
                                                               Instant now) {
  EvaluatedSegments out;
  for (const SegmentDefinition& s : segments) {
    auto m = SegmentMembers(db, snapshot, s.definition, now);
    if (!m.ok()) return m.status().WithContext("segment \"" + s.name + "\"");
    out.owned.push_back(std::move(*m));
    out.members.push_back({s.name, out.owned.back().get()});
  }
  return out;
}

Result<std::vector<CampaignRow>> internal::CampaignSegmentRows(Database& db, const engine::Snapshot& snapshot,
                                                               const std::vector<SegmentMembersOf>& segments,
                                                               std::string_view campaign_name, Instant now) {
  ASSIGN_OR_RETURN(std::vector<campaign::Campaign> campaigns, campaign::ListCampaigns(db));
  bool found = campaign_name.empty();
  std::vector<CampaignRow> out;
  for (const campaign::Campaign& c : campaigns) {
    if (!campaign_name.empty() && c.name != campaign_name) continue;
    found = true;
    if (!c.prepared_at) continue;  // drafts have no outbox
    struct Counts {
      int64_t reach = 0, opened = 0, clicked = 0, converted = 0, holdout = 0, holdout_converted = 0, revenue = 0;
    };
    std::vector<Counts> counts(segments.size());
    const campaign::Goal goal = c.goal.value_or(campaign::Goal{"", 14});
    const Instant start = c.started_at.value_or(c.prepared_at.value_or(now));
    Statement& q = db.Query("report-campaign-members");
    q.Bind(":campaign_id", c.id).Bind(":category", goal.category).Bind(":start", start.micros)
        .Bind(":window", int64_t{goal.within_days} * 86'400'000'000);
    while (true) {
      auto row = q.Step();
      if (!row.ok()) {
        q.Reset();
        return row.status();
      }
      if (!*row) break;
      const uint32_t index = snapshot.IndexOf(q.Int(0));
      if (index == UINT32_MAX) continue;  // not in the snapshot: in no segment
      const bool holdout = q.Text(1) == "holdout";
      const bool reached = q.Int(2) != 0, opened = q.Int(3) != 0, clicked = q.Int(4) != 0;
      const std::optional<int64_t> revenue = q.OptionalInt(5);
      for (size_t s = 0; s < segments.size(); ++s) {
        if (segments[s].members && !segments[s].members->contains(index)) continue;
        Counts& k = counts[s];
        if (holdout) {
          ++k.holdout;
          if (revenue) ++k.holdout_converted;
          continue;
        }
        k.reach += reached;
        k.opened += opened;
        k.clicked += clicked;
        if (revenue) {
          ++k.converted;
          k.revenue += *revenue;
        }
      }
    }
    q.Reset();
    for (size_t s = 0; s < segments.size(); ++s) {
      const Counts& k = counts[s];
      CampaignRow row;
      row.campaign_id = c.id;
      row.campaign = c.name;
      row.segment = segments[s].name;
      row.channel = std::string(campaign::ChannelName(c.channel));
      row.status = c.status;
      row.currency = c.currency;
      row.started_at = start;
      row.reach = k.reach;
      row.opened = k.opened;
      row.clicked = k.clicked;
      row.converted = k.converted;
      row.holdout = k.holdout;
      row.holdout_converted = k.holdout_converted;
      row.revenue_minor = k.revenue;
      SetLift(row, static_cast<double>(k.reach), static_cast<double>(k.converted), static_cast<double>(k.holdout),
              static_cast<double>(k.holdout_converted));
      if (!row.lift_available && k.reach > 0)
        row.conversion_rate = static_cast<double>(k.converted) / static_cast<double>(k.reach);
      out.push_back(std::move(row));
    }
  }
  if (!found) return NotFound("campaign \"" + std::string(campaign_name) + "\" does not exist");
  return out;
}

Table CampaignSegmentTable(const std::vector<CampaignRow>& rows) {
  Table t{"campaign_segments",
          {"campaign_id", "campaign", "segment", "reach", "opened", "clicked", "converted", "conversion_rate", "holdout",
           "holdout_converted", "holdout_rate", "lift", "lift_ci_low", "lift_ci_high", "significant", "currency",
           "revenue_minor"},
          {}};
  auto num = [](double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4f", v);
    return std::string(buf);
  };
  for (const CampaignRow& r : rows)
    t.rows.push_back({std::to_string(r.campaign_id), r.campaign, r.segment, std::to_string(r.reach),
                      std::to_string(r.opened), std::to_string(r.clicked), std::to_string(r.converted),
                      num(r.conversion_rate), std::to_string(r.holdout), std::to_string(r.holdout_converted),
                      r.lift_available ? num(r.holdout_rate) : "", r.lift_available ? num(r.lift) : "",
                      r.lift_available ? num(r.lift_ci_low) : "", r.lift_available ? num(r.lift_ci_high) : "",
                      r.lift_available ? (r.significant ? "yes" : "no") : "", r.currency,
                      std::to_string(r.revenue_minor)});
  return t;
}

// ---------------------------------------------------------------------------
// Acquisition costs
// ---------------------------------------------------------------------------

namespace {

// Splits one CSV line (RFC 4180 quoting, no line breaks inside fields).
Result<std::vector<std::string>> SplitCsv(std::string_view line) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        out.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        out.back() += c;
      }
    } else if (c == '"' && out.back().empty()) {
      quoted = true;
    } else if (c == ',') {
      out.emplace_back();
    } else {
      out.back() += c;
    }
  }
  if (quoted) return InvalidArgument("unterminated quoted field");
  return out;
}

// "1250.50" in major units -> minor units with `digits` decimals.
Result<int64_t> ParseAmount(std::string_view text, int digits) {
  std::string t = AsciiDigits(TrimAscii(text));
  if (t.empty()) return InvalidArgument("is empty");
  size_t dot = t.find('.');
  std::string whole = t.substr(0, dot), frac = dot == std::string::npos ? "" : t.substr(dot + 1);
  if (whole.empty() || whole.size() > 15 || whole.find_first_not_of("0123456789") != std::string::npos ||
      frac.find_first_not_of("0123456789") != std::string::npos)
    return InvalidArgument("'" + std::string(text) + "' is not a non-negative amount like 1250.50");
  if (static_cast<int>(frac.size()) > digits)
    return InvalidArgument("'" + std::string(text) + "' has more than " + std::to_string(digits) + " decimals");
  while (static_cast<int>(frac.size()) < digits) frac += '0';
  return std::stoll(whole + frac);
}

Result<std::string> ParseDay(std::string_view text) {
  std::string t = AsciiDigits(TrimAscii(text));
  if (t.size() != 10) return InvalidArgument("'" + std::string(text) + "' is not a date YYYY-MM-DD");
  auto at = ParseInstant(t);
  if (!at.ok()) return InvalidArgument("'" + std::string(text) + "' is not a date YYYY-MM-DD");
  return t;
}

}  // namespace

Result<int64_t> ImportAcquisitionCosts(Database& db, const std::string& path, const Clock& clock) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return IoError("cannot open '" + path + "'");
  std::string line;
  int64_t line_no = 0;
  std::vector<std::string> header;
  int col_source = -1, col_channel = -1, col_from = -1, col_to = -1, col_amount = -1, col_currency = -1;
  Transaction tx(db);
  RETURN_IF_ERROR(tx.Begin());
  int64_t rows = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line_no == 1 && line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);
    const std::string where = path + ":" + std::to_string(line_no);
    if (!IsValidUtf8(line)) return InvalidArgument(where + ": not valid UTF-8");
    if (TrimAscii(line).empty()) continue;
    auto fields = SplitCsv(line);
    if (!fields.ok()) return fields.status().WithContext(where);
    if (header.empty()) {
      header = *fields;
      for (size_t i = 0; i < header.size(); ++i) {
        std::string h = AsciiLower(TrimAscii(header[i]));
        int idx = static_cast<int>(i);
        if (h == "source") col_source = idx;
        else if (h == "channel") col_channel = idx;
        else if (h == "from") col_from = idx;
        else if (h == "to") col_to = idx;
        else if (h == "amount") col_amount = idx;
        else if (h == "currency") col_currency = idx;
        else return InvalidArgument(where + ": unknown column '" + header[i] +
                                    "' (expected source,channel,from,to,amount,currency)");
      }
      if (col_from < 0 || col_to < 0 || col_amount < 0 || col_currency < 0 || (col_source < 0 && col_channel < 0))
        return InvalidArgument(where + ": the header needs from, to, amount, currency and source or channel");
      continue;
    }
    auto field = [&](int col) -> std::string {
      return col >= 0 && col < static_cast<int>(fields->size()) ? std::string(TrimAscii((*fields)[col])) : "";
    };
    const std::string source = field(col_source), channel = field(col_channel);
    if (source.empty() && channel.empty()) return InvalidArgument(where + ": source or channel: give at least one");
    auto from = ParseDay(field(col_from));
    if (!from.ok()) return from.status().WithContext(where + ": from");
    auto to = ParseDay(field(col_to));
    if (!to.ok()) return to.status().WithContext(where + ": to");
    if (*to < *from) return InvalidArgument(where + ": to: " + *to + " is before from " + *from);
    std::string currency = field(col_currency);
    for (char& c : currency) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (currency.size() != 3 || currency.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ") != std::string::npos)
      return InvalidArgument(where + ": currency: '" + field(col_currency) + "' is not an ISO 4217 code");
    auto amount = ParseAmount(field(col_amount), CurrencyMinorDigits(currency));
    if (!amount.ok()) return amount.status().WithContext(where + ": amount");
    Statement& q = db.Query("report-insert-acquisition-cost");
    q.BindOptional(":source", std::string_view(source))
        .BindOptional(":channel", std::string_view(channel))
        .Bind(":from_day", *from)
        .Bind(":to_day", *to)
        .Bind(":amount_minor", *amount)
        .Bind(":currency", currency)
        .Bind(":now", clock.Now().micros);
    RETURN_IF_ERROR(q.Run());
    ++rows;
  }
  if (header.empty()) return InvalidArgument(path + ": empty file (expected a header row)");
  RETURN_IF_ERROR(tx.Commit());
  return rows;
}

}  // namespace patron::report
