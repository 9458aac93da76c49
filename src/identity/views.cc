// The JSON forms of the identity views, shared by the CLI (`--json`) and the API.
#include <nlohmann/json.hpp>

#include "identity/identity.h"

namespace patron::identity {

using nlohmann::ordered_json;

namespace {

std::string Dump(const ordered_json& j) {
  // Values come from customers' records: invalid UTF-8 is replaced, never thrown on.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

std::string GoldenRecordJson(const GoldenRecord& golden) {
  ordered_json fields = ordered_json::array();
  for (const auto& f : golden.fields) {
    fields.push_back(
        {{"field", f.field},
         {"value", f.value},
         {"from_customer", f.from_customer},
         {"source", f.source},
         {"rule", f.rule},
         {"seen_at", f.seen_at ? ordered_json(FormatInstant(Instant{*f.seen_at})) : ordered_json()},
         {"freshness", f.freshness ? ordered_json(*f.freshness) : ordered_json()},
         {"stale", f.stale}});
  }
  ordered_json links = ordered_json::array();
  for (const auto& l : golden.links) {
    links.push_back({{"customer_id", l.customer_id},
                     {"reason", l.reason},
                     {"probability", l.probability ? ordered_json(*l.probability) : ordered_json()},
                     {"at", FormatInstant(l.at)}});
  }
  return Dump({{"resolved_id", golden.resolved_id},
               {"members", golden.members},
               {"fields", fields},
               {"links", links}});
}

std::string ResolveStatusJson(const ResolveStatus& status) {
  ordered_json last_run;
  if (status.last_run) {
    const RunRecord& r = *status.last_run;
    last_run = {{"id", r.id},
                {"started_at", FormatInstant(r.started_at)},
                {"finished_at", FormatInstant(r.finished_at)},
                {"seconds", static_cast<double>(r.finished_at.micros - r.started_at.micros) / 1e6},
                {"records", r.records},
                {"clusters", r.clusters},
                {"candidate_pairs", r.candidate_pairs},
                {"rule_merges", r.rule_merges},
                {"probabilistic_merges", r.probabilistic_merges},
                {"reviews", r.reviews},
                {"guard_refusals", r.guard_refusals}};
  }
  return Dump({{"records", status.records},
               {"pending", status.pending},
               {"incremental_ready", status.incremental_ready},
               {"thresholds",
                {{"merge", status.thresholds.merge},
                 {"review", status.thresholds.review},
                 {"max_expected_namesakes", status.thresholds.max_expected_namesakes}}},
               {"golden_records_stale_since",
                status.golden_stale_since ? ordered_json(FormatInstant(*status.golden_stale_since))
                                          : ordered_json()},
               {"last_run", last_run}});
}

std::string SurvivorshipJson(const SurvivorshipPolicy& policy) {
  ordered_json fields = ordered_json::array();
  for (const std::string& field : GoldenFields()) {
    fields.push_back({{"field", field},
                      {"rule", SurvivalRuleName(policy.RuleOf(field))},
                      {"default", SurvivalRuleName(DefaultSurvivalRule(field))},
                      {"configured", policy.configured.count(field) > 0}});
  }
  ordered_json sources = ordered_json::array();
  for (const auto& s : policy.sources) {
    sources.push_back(
        {{"source", s.source}, {"kind", s.kind}, {"trust", s.trust}, {"configured", s.configured}});
  }
  return Dump({{"fields", fields}, {"sources", sources}});
}

}  // namespace patron::identity
