// Survivorship rules and source trust as the user configures them (migration
// 0019); the golden records are built by Survive (resolve.cc).
#include <array>
#include <string>

#include "identity/identity.h"
#include "store/store.h"

namespace patron::identity {

namespace {

constexpr std::array<std::pair<SurvivalRule, std::string_view>, 5> kRuleNames = {{
    {SurvivalRule::kMostFrequent, "most_frequent"},
    {SurvivalRule::kSourceTrust, "source_trust"},
    {SurvivalRule::kMostRecent, "most_recent"},
    {SurvivalRule::kMostRecentlyVerified, "most_recently_verified"},
    {SurvivalRule::kLongest, "longest"},
}};

// A source's trust when nobody set one: internal data over data from a
// partner over purchased lists.
int TrustOfKind(std::string_view kind) {
  if (kind == "internal") return 2;
  if (kind == "external") return 1;
  return 0;
}

bool IsContactField(std::string_view field) {
  return field == "email" || field == "phone" || field == "address";
}

}  // namespace

std::string_view SurvivalRuleName(SurvivalRule rule) {
  for (const auto& [r, name] : kRuleNames) {
    if (r == rule) return name;
  }
  return "most_frequent";
}

Result<SurvivalRule> ParseSurvivalRule(std::string_view name) {
  for (const auto& [rule, rule_name] : kRuleNames) {
    if (rule_name == name) return rule;
  }
  return InvalidArgument(
      "unknown survivorship rule '" + std::string(Utf8Prefix(name, 40)) +
      "' (rules: most_frequent, source_trust, most_recent, most_recently_verified, longest)");
}

const std::vector<std::string>& GoldenFields() {
  static const std::vector<std::string> fields = {
      "given_name", "family_name", "full_name", "birth_date", "gender", "city",
      "region",     "country",     "language",  "email",      "phone",  "address"};
  return fields;
}

SurvivalRule DefaultSurvivalRule(std::string_view field) {
  return IsContactField(field) ? SurvivalRule::kMostRecentlyVerified : SurvivalRule::kMostFrequent;
}

SurvivalRule SurvivorshipPolicy::RuleOf(std::string_view field) const {
  auto it = rules.find(field);
  return it != rules.end() ? it->second : DefaultSurvivalRule(field);
}

int SurvivorshipPolicy::TrustOf(std::optional<int64_t> source_id) const {
  if (!source_id) return TrustOfKind("internal");
  auto it = trust_by_source.find(*source_id);
  // A source the policy was read without (created since) counts as internal,
  // as a record whose source is unknown does.
  return it != trust_by_source.end() ? it->second : TrustOfKind("internal");
}

Result<SurvivorshipPolicy> ReadSurvivorship(Database& db) {
  SurvivorshipPolicy policy;
  for (const std::string& field : GoldenFields()) policy.rules[field] = DefaultSurvivalRule(field);
  Statement& rules = db.Query("identity-survival-rules");
  rules.Reset();
  while (true) {
    ASSIGN_OR_RETURN(bool more, rules.Step());
    if (!more) break;
    ASSIGN_OR_RETURN(SurvivalRule rule, ParseSurvivalRule(rules.Text(1)));
    std::string field = rules.String(0);
    policy.rules[field] = rule;
    policy.configured.insert(std::move(field));
  }
  ASSIGN_OR_RETURN(policy.monthly_decay, MonthlyDecay(db));
  Statement& sources = db.Query("identity-source-trust");
  sources.Reset();
  while (true) {
    ASSIGN_OR_RETURN(bool more, sources.Step());
    if (!more) break;
    SourceTrustRank s;
    s.source_id = sources.Int(0);
    s.source = sources.String(1);
    s.kind = sources.String(2);
    s.configured = !sources.IsNull(3);
    s.trust = s.configured ? static_cast<int>(sources.Int(3)) : TrustOfKind(s.kind);
    policy.trust_by_source[s.source_id] = s.trust;
    policy.sources.push_back(std::move(s));
  }
  return policy;
}

Status SetSurvivalRule(Database& db, std::string_view field, std::optional<SurvivalRule> rule,
                       const Clock& clock) {
  bool known = false;
  for (const std::string& f : GoldenFields()) known = known || f == field;
  if (!known) {
    std::string list;
    for (const std::string& f : GoldenFields()) list += (list.empty() ? "" : ", ") + f;
    return InvalidArgument("unknown golden-record field '" + std::string(Utf8Prefix(field, 40)) +
                           "' (fields: " + list + ")");
  }
  if (!rule) {
    RETURN_IF_ERROR(db.Query("identity-reset-survival-rule").Bind(":field", field).Run());
  } else {
    RETURN_IF_ERROR(db.Query("identity-set-survival-rule")
                        .Bind(":field", field)
                        .Bind(":rule", SurvivalRuleName(*rule))
                        .Bind(":now", clock.Now().micros)
                        .Run());
  }
  return MarkGoldenRecordsStale(db, clock);
}

Status MarkGoldenRecordsStale(Database& db, const Clock& clock) {
  return db.Query("identity-mark-golden-stale").Bind(":now", clock.Now().micros).Run();
}

Result<std::optional<Instant>> GoldenRecordsStaleSince(Database& db) {
  Statement& q = db.Query("identity-golden-stale");
  q.Reset();
  ASSIGN_OR_RETURN(bool found, q.Step());
  std::optional<Instant> since;
  if (found) since = Instant{q.Int(1)};
  q.Reset();
  return since;
}

Status SetSourceTrust(Database& db, std::string_view source, std::optional<int> trust,
                      const Clock& clock) {
  Statement& q = db.Query("identity-set-source-trust");
  q.Bind(":name", source);
  if (trust) {
    q.Bind(":trust", static_cast<int64_t>(*trust));
  } else {
    q.BindNull(":trust");
  }
  RETURN_IF_ERROR(q.Run());
  if (db.changes() == 0) return NotFound("no source '" + std::string(Utf8Prefix(source, 60)) + "'");
  return MarkGoldenRecordsStale(db, clock);
}

}  // namespace patron::identity
