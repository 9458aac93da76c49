// `patron identity` commands: resolve, review, explain, unmerge, golden,
// survivorship, status, clusters, accounts.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <map>
#include <optional>
#include <nlohmann/json.hpp>
#include <set>

#include "cli/cli_internal.h"
#include "identity/identity.h"
#include "store/store.h"

namespace patron::cli {
namespace {

using nlohmann::ordered_json;

// Option storage outlives AddIdentityCommands: the actions run after parsing.
struct IdentityArgs {
  // Unset: the latest run's (see identity::ResolveOptions).
  std::optional<double> merge_threshold, review_threshold, max_expected_namesakes;
  bool all_reviews = false;
  bool review_details = false;
  int limit = 50;
  std::vector<int64_t> accept, reject;
  int64_t left = 0, right = 0;
  int64_t unmerge_customer = 0;
  int64_t golden_customer = 0;
  bool csv = false;
  bool incremental = false;
  std::vector<int64_t> accounts_together, accounts_apart;
  int64_t account_unmerge = 0;
  std::vector<std::string> survival_set, survival_trust;
  bool survival_no_rewrite = false, survival_rewrite = false;
};

std::string CsvField(const std::string& value) {
  if (value.find_first_of(",\"\n\r") == std::string::npos) return value;
  std::string out = "\"";
  for (char c : value) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

int RunResolve(const std::string& db_path, const IdentityArgs& args, bool json) {
  auto db = OpenDb(db_path);
  if (!db.ok()) return Fail(db.status());
  identity::ResolveOptions options;
  options.merge_threshold = args.merge_threshold;
  options.review_threshold = args.review_threshold;
  options.max_expected_namesakes = args.max_expected_namesakes;
  options.incremental = args.incremental;
  // One bar per stage, on a terminal only.
  std::optional<ProgressBar> bar;
  std::string bar_stage;
  options.progress = [&](std::string_view stage, int64_t done, int64_t total) {
    if (!bar || stage != bar_stage) {
      bar.reset();
      bar_stage = std::string(stage);
      bar.emplace("resolve: " + bar_stage);
    }
    bar->UpdateCount(static_cast<uint64_t>(done), static_cast<uint64_t>(total));
  };
  auto summary = identity::Resolve(**db, options);
  bar.reset();
  if (!summary.ok()) return Fail(summary.status());
  const auto& s = *summary;
  ordered_json stages = ordered_json::object();
  for (const auto& st : s.stages) stages[st.stage] = {{"seconds", st.seconds}, {"cpu_seconds", st.cpu_seconds}};
  ordered_json by_rule = ordered_json::object();
  for (const auto& [rule, pairs] : s.candidates_by_rule) by_rule[rule] = pairs;
  if (json) {
    std::cout << ordered_json{{"run_id", s.run_id},
                              {"incremental", s.incremental},
                              {"records", s.records},
                              {"new_records", s.new_records},
                              {"customers", s.clusters},
                              {"candidate_pairs", s.candidate_pairs},
                              {"candidates_by_rule", by_rule},
                              {"rule_merges", s.rule_merges},
                              {"probabilistic_merges", s.probabilistic_merges},
                              {"reviews", s.reviews},
                              {"guard_refusals", s.guard_refusals},
                              {"thresholds",
                               {{"merge", s.thresholds.merge},
                                {"review", s.thresholds.review},
                                {"max_expected_namesakes", s.thresholds.max_expected_namesakes}}},
                              {"seconds", s.seconds},
                              {"stages", stages}}
                     .dump(2)
              << "\n";
    return 0;
  }
  std::printf("Resolved %lld customer records into %lld customers in %.2f s (run %lld)\n",
              static_cast<long long>(s.records), static_cast<long long>(s.clusters), s.seconds,
              static_cast<long long>(s.run_id));
  if (s.incremental) {
    std::printf("  incremental: %lld new records against the existing customers, latest model\n",
                static_cast<long long>(s.new_records));
  }
  std::printf("  candidate pairs compared   %10lld\n", static_cast<long long>(s.candidate_pairs));
  std::printf("  merged by rule             %10lld  (same email, phone or national ID)\n",
              static_cast<long long>(s.rule_merges));
  std::printf("  merged by match weight     %10lld\n", static_cast<long long>(s.probabilistic_merges));
  std::printf("  waiting for review         %10lld  (patron identity review)\n",
              static_cast<long long>(s.reviews));
  std::printf("  joins refused by the guard %10lld\n", static_cast<long long>(s.guard_refusals));
  std::printf(
      "  thresholds: merge at %g, review from %g, exact names alone below %g expected namesakes\n",
      s.thresholds.merge, s.thresholds.review, s.thresholds.max_expected_namesakes);
  return 0;
}

// A compared value as printed: "-" when missing, and where it came from
// when the record did not hold it ("andersson (from the email)").
std::string Shown(const std::string& value, const std::string& derived, const char* missing = "-") {
  if (value.empty()) return missing;
  if (derived == "email") return value + " (from the email)";
  if (derived == "suggestion") return value + " (suggested correction)";
  return value;
}

ordered_json FieldJson(const identity::FieldExplanation& f) {
  ordered_json j = {{"field", f.field}, {"left", f.left_value}, {"right", f.right_value},
                    {"level", f.level}, {"weight", f.weight}};
  if (!f.left_derived.empty()) j["left_derived"] = f.left_derived;
  if (!f.right_derived.empty()) j["right_derived"] = f.right_derived;
  return j;
}

int RunReview(const std::string& db_path, const IdentityArgs& args, bool json) {
  auto db = OpenDb(db_path);
  if (!db.ok()) return Fail(db.status());
  for (int64_t id : args.accept) {
    Status s = identity::DecideReview(**db, id, /*accept=*/true, SystemClock::Get());
    if (!s.ok()) return Fail(s);
    if (!json) std::printf("Accepted review %lld: the pair is one customer\n", static_cast<long long>(id));
  }
  for (int64_t id : args.reject) {
    Status s = identity::DecideReview(**db, id, /*accept=*/false, SystemClock::Get());
    if (!s.ok()) return Fail(s);
    if (!json) std::printf("Rejected review %lld: the pair stays apart\n", static_cast<long long>(id));
  }
  if (!args.accept.empty() || !args.reject.empty()) {
    if (json) {
      std::cout << ordered_json{{"accepted", args.accept}, {"rejected", args.reject}}.dump() << "\n";
    }
    return 0;
  }
  auto list = identity::ListReviews(**db, !args.all_reviews, args.limit);
  if (!list.ok()) return Fail(list.status());
  const std::vector<identity::ReviewItem>* items = &list->items;
  const identity::ReviewCalibration& calibration = list->calibration;
  // With --details, each pair's field-by-field comparison (Explain), which is
  // what a person decides on.
  auto explanation = [&](const identity::ReviewItem& item) -> std::optional<identity::PairExplanation> {
    if (!args.review_details) return std::nullopt;
    auto e = identity::Explain(**db, item.left_customer, item.right_customer);
    if (!e.ok()) return std::nullopt;
    return std::move(*e);
  };
  if (json) {
    ordered_json out = ordered_json::array();
    for (const auto& item : *items) {
      ordered_json j = {{"id", item.id},
                        {"left", item.left_customer},
                        {"right", item.right_customer},
                        {"probability", item.probability},
                        {"calibrated_probability", item.calibrated_probability},
                        {"weight", item.weight},
                        {"status", item.status}};
      if (auto e = explanation(item)) {
        ordered_json fields = ordered_json::array();
        for (const auto& f : e->fields) {
          if (f.left_value.empty() && f.right_value.empty()) continue;
          fields.push_back(FieldJson(f));
        }
        j["fields"] = std::move(fields);
      }
      out.push_back(std::move(j));
    }
    std::cout << out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    return 0;
  }
  if (items->empty()) {
    std::printf("No pairs waiting for review.\n");
    return 0;
  }
  if (calibration.decisions() > 0) {
    std::printf(
        "Probabilities learned from %lld decision%s (%lld accepted, %lld rejected); "
        "the model's own beside them.\n",
        static_cast<long long>(calibration.decisions()), calibration.decisions() == 1 ? "" : "s",
        static_cast<long long>(calibration.accepted), static_cast<long long>(calibration.rejected));
  }
  std::printf("%8s  %10s  %10s  %11s  %7s  %7s  %s\n", "review", "customer", "customer",
              "probability", "model", "weight", "status");
  for (const auto& item : *items) {
    std::printf("%8lld  %10lld  %10lld  %11.3f  %7.3f  %7.2f  %s\n",
                static_cast<long long>(item.id), static_cast<long long>(item.left_customer),
                static_cast<long long>(item.right_customer), item.calibrated_probability,
                item.probability, item.weight, item.status.c_str());
    if (auto e = explanation(item)) {
      for (const auto& f : e->fields) {
        if (f.left_value.empty() && f.right_value.empty()) continue;
        std::printf("          %-14s %+7.2f  %s  |  %s\n", f.field.c_str(), f.weight,
                    Shown(f.left_value, f.left_derived).c_str(), Shown(f.right_value, f.right_derived).c_str());
      }
    }
  }
  std::printf("Compare a pair with `patron identity explain A B` (or list with --details); decide with "
              "--accept ID or --reject ID.\n");
  return 0;
}

int RunExplain(const std::string& db_path, int64_t left, int64_t right, bool json) {
  auto db = OpenDb(db_path);
  if (!db.ok()) return Fail(db.status());
  auto e = identity::Explain(**db, left, right);
  if (!e.ok()) return Fail(e.status());
  if (json) {
    ordered_json fields = ordered_json::array();
    for (const auto& f : e->fields) {
      fields.push_back(FieldJson(f));
    }
    std::cout << ordered_json{{"left", left},
                              {"right", right},
                              {"fields", fields},
                              {"weight", e->weight},
                              {"probability", e->probability},
                              {"rule", e->rule},
                              {"left_customer", e->left_cluster},
                              {"right_customer", e->right_cluster},
                              {"run_probability", e->run_probability ? ordered_json(*e->run_probability) : ordered_json()},
                              {"run_decision", e->run_decision}}
                     .dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
              << "\n";
    return 0;
  }
  std::printf("%-14s %-28s %-28s %5s %8s\n", "field", "customer record A", "customer record B", "level",
              "weight");
  for (const auto& f : e->fields) {
    std::printf("%-14s %-28s %-28s %5s %+8.2f\n", f.field.c_str(), Shown(f.left_value, f.left_derived, "").c_str(),
                Shown(f.right_value, f.right_derived, "").c_str(), f.level < 0 ? "-" : std::to_string(f.level).c_str(),
                f.weight);
  }
  std::printf("Match weight %+.2f, probability %.4f", e->weight, e->probability);
  if (!e->rule.empty()) std::printf("; linked by rule: same %s", e->rule.c_str());
  if (e->run_probability) {
    std::printf("\nLatest run (with rare-name adjustment): weight %+.2f, probability %.4f, %s",
                *e->run_weight, *e->run_probability, e->run_decision.c_str());
  }
  std::printf("\nResolved customers: %lld and %lld%s\n", static_cast<long long>(e->left_cluster),
              static_cast<long long>(e->right_cluster),
              e->left_cluster == e->right_cluster ? " (the same)" : "");
  return 0;
}

int RunUnmerge(const std::string& db_path, int64_t customer, bool json) {
  auto db = OpenDb(db_path);
  if (!db.ok()) return Fail(db.status());
  Status s = identity::Unmerge(**db, customer, SystemClock::Get());
  if (!s.ok()) return Fail(s);
  if (json) {
    std::cout << ordered_json{{"unmerged", customer}}.dump() << "\n";
  } else {
    std::printf("Customer record %lld stands alone again; later runs keep it apart.\n",
                static_cast<long long>(customer));
  }
  return 0;
}

std::string FormatInstant(int64_t micros) {
  std::time_t seconds = static_cast<std::time_t>(micros / 1000000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

int RunGolden(const std::string& db_path, int64_t customer, bool json) {
  auto db = OpenDb(db_path);
  if (!db.ok()) return Fail(db.status());
  auto golden = identity::ReadGolden(**db, customer);
  if (!golden.ok()) return Fail(golden.status());
  if (json) {
    // Indented, as the other commands print.
    std::cout << ordered_json::parse(identity::GoldenRecordJson(*golden))
                     .dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
              << "\n";
    return 0;
  }
  std::printf("Resolved customer %lld: %zu record(s)", static_cast<long long>(golden->resolved_id),
              golden->members.size());
  for (int64_t m : golden->members) std::printf(" %lld", static_cast<long long>(m));
  std::printf("\n");
  for (const auto& l : golden->links) {
    std::printf("  record %lld joined by %s", static_cast<long long>(l.customer_id),
                l.reason.c_str());
    if (l.probability) std::printf(" (match probability %.3f)", *l.probability);
    std::printf(", %s\n", FormatInstant(l.at).c_str());
  }
  if (golden->fields.empty()) {
    std::printf("No golden record yet: run `patron identity resolve`.\n");
    return 0;
  }
  std::printf("%-12s %-40s %-8s %-14s %-14s %-10s %s\n", "field", "value", "record", "source", "rule", "seen",
              "fresh");
  for (const auto& f : golden->fields) {
    std::string fresh = f.freshness ? std::to_string(static_cast<int>(*f.freshness * 100 + 0.5)) + " %" : "";
    if (f.stale) fresh += " stale: verify again";
    std::printf("%-12s %-40s %-8lld %-14s %-14s %-10s %s\n", f.field.c_str(), f.value.c_str(),
                static_cast<long long>(f.from_customer), f.source.c_str(), f.rule.c_str(),
                f.seen_at ? FormatInstant(*f.seen_at).c_str() : "", fresh.c_str());
  }
  return 0;
}

// Splits "NAME=VALUE"; false when there is no '=' or no NAME.
bool SplitAssignment(const std::string& text, std::string* name, std::string* value) {
  const size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0) return false;
  *name = text.substr(0, eq);
  *value = text.substr(eq + 1);
  return true;
}

int RunSurvivorship(const std::string& db_path, const IdentityArgs& args, bool json) {
  auto db = OpenDb(db_path);
  if (!db.ok()) return Fail(db.status());
  const bool changing = !args.survival_set.empty() || !args.survival_trust.empty();
  if (changing) {
    // Every change or none.
    Transaction tx(**db);
    if (Status s = tx.Begin(); !s.ok()) return Fail(s);
    for (const std::string& text : args.survival_set) {
      std::string field, rule_name;
      if (!SplitAssignment(text, &field, &rule_name)) {
        return Fail(InvalidArgument("--set '" + text +
                                    "': expected FIELD=RULE (RULE 'default' for the default)"));
      }
      std::optional<identity::SurvivalRule> rule;
      if (rule_name != "default") {
        auto parsed = identity::ParseSurvivalRule(rule_name);
        if (!parsed.ok())
          return Fail(InvalidArgument("--set '" + text + "': " + parsed.status().message()));
        rule = *parsed;
      }
      if (Status s = identity::SetSurvivalRule(**db, field, rule, SystemClock::Get()); !s.ok()) {
        return Fail(InvalidArgument("--set '" + text + "': " + s.message()));
      }
    }
    for (const std::string& text : args.survival_trust) {
      std::string source, rank;
      if (!SplitAssignment(text, &source, &rank)) {
        return Fail(InvalidArgument("--trust '" + text +
                                    "': expected SOURCE=N (N 'default' for the source kind's)"));
      }
      std::optional<int> trust;
      if (rank != "default") {
        if (rank.empty() || rank.size() > 6 ||
            rank.find_first_not_of("-0123456789") != std::string::npos ||
            rank.find('-', 1) != std::string::npos || rank == "-") {
          return Fail(InvalidArgument(
              "--trust '" + text + "': the rank must be a whole number (higher is more trusted)"));
        }
        trust = std::stoi(rank);
      }
      if (Status s = identity::SetSourceTrust(**db, source, trust, SystemClock::Get()); !s.ok()) {
        return Fail(s.code() == StatusCode::kNotFound
                        ? NotFound("--trust '" + text + "': " + s.message())
                        : s);
      }
    }
    if (Status s = tx.Commit(); !s.ok()) return Fail(s);
  }
  if (args.survival_rewrite && args.survival_no_rewrite) {
    return Fail(InvalidArgument("--rewrite and --no-rewrite exclude each other"));
  }
  std::optional<int64_t> rewritten;
  if ((changing && !args.survival_no_rewrite) || args.survival_rewrite) {
    std::optional<ProgressBar> bar;
    bar.emplace("golden records");
    auto written =
        identity::RewriteGoldenRecords(**db, SystemClock::Get(), [&](int64_t done, int64_t total) {
          bar->UpdateCount(static_cast<uint64_t>(done), static_cast<uint64_t>(total));
        });
    bar.reset();
    if (!written.ok()) return Fail(written.status());
    rewritten = *written;
  }
  auto policy = identity::ReadSurvivorship(**db);
  if (!policy.ok()) return Fail(policy.status());
  auto stale_since = identity::GoldenRecordsStaleSince(**db);
  if (!stale_since.ok()) return Fail(stale_since.status());
  if (json) {
    ordered_json out = ordered_json::parse(identity::SurvivorshipJson(*policy));
    out["golden_records_rewritten"] = rewritten ? ordered_json(*rewritten) : ordered_json();
    out["golden_records_stale_since"] =
        *stale_since ? ordered_json(FormatInstant(**stale_since)) : ordered_json();
    std::cout << out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    return 0;
  }
  std::printf("%-12s %-24s %s\n", "field", "rule", "");
  for (const std::string& field : identity::GoldenFields()) {
    std::printf("%-12s %-24s %s\n", field.c_str(),
                std::string(identity::SurvivalRuleName(policy->RuleOf(field))).c_str(),
                policy->configured.count(field) ? "(set)" : "(default)");
  }
  std::printf("\n%-24s %-10s %s\n", "source", "kind", "trust (higher wins)");
  for (const auto& src : policy->sources) {
    std::printf("%-24s %-10s %d %s\n", src.source.c_str(), src.kind.c_str(), src.trust,
                src.configured ? "(set)" : "(by kind)");
  }
  if (rewritten) {
    std::printf("\nGolden records rewritten: %lld customers of two or more records.\n",
                static_cast<long long>(*rewritten));
  }
  if (*stale_since) {
    std::printf(
        "\nGolden records wait for a rewrite by these rules (since %s): `patron serve` does it in "
        "the background, or run `patron identity survivorship --rewrite`.\n",
        FormatInstant(**stale_since).c_str());
  }
  return 0;
}

int RunStatus(const std::string& db_path, bool json) {
  auto db = OpenDb(db_path);
  if (!db.ok()) return Fail(db.status());
  auto status = identity::ReadResolveStatus(**db);
  if (!status.ok()) return Fail(status.status());
  if (json) {
    std::cout << ordered_json::parse(identity::ResolveStatusJson(*status)).dump(2) << "\n";
    return 0;
  }
  std::printf("Customer records: %lld; waiting for resolution: %lld\n",
              static_cast<long long>(status->records), static_cast<long long>(status->pending));
  if (const auto& run = status->last_run) {
    std::printf(
        "Last run %lld, finished %s: %lld customers from %lld records; %lld rule and %lld "
        "probabilistic "
        "merges, %lld pairs to review\n",
        static_cast<long long>(run->id), FormatInstant(run->finished_at).c_str(),
        static_cast<long long>(run->clusters), static_cast<long long>(run->records),
        static_cast<long long>(run->rule_merges), static_cast<long long>(run->probabilistic_merges),
        static_cast<long long>(run->reviews));
  } else {
    std::printf("No run yet.\n");
  }
  if (status->golden_stale_since) {
    std::printf(
        "Golden records wait for a rewrite since %s (survivorship or decay changed, or an "
        "import saw values again): `patron serve` does it in the background, or `patron "
        "identity survivorship --rewrite`\n",
        FormatInstant(*status->golden_stale_since).c_str());
  }
  std::printf(
      "Thresholds%s: merge at %g, review from %g, exact names alone below %g expected namesakes\n",
      status->last_run ? " (the last run's, used until others are given)" : " (defaults)",
      status->thresholds.merge, status->thresholds.review,
      status->thresholds.max_expected_namesakes);
  if (status->pending > 0) {
    std::printf(status->incremental_ready ? "Next: patron identity resolve --incremental\n"
                                          : "Next: patron identity resolve\n");
  }
  return 0;
}

int RunClusters(const std::string& db_path, bool csv, bool json) {
  auto db = OpenDb(db_path);
  if (!db.ok()) return Fail(db.status());
  auto rows = identity::ListMemberships(**db);
  if (!rows.ok()) return Fail(rows.status());
  if (csv) {
    std::cout << "source,source_key,customer_id,resolved_id\n";
    for (const auto& r : *rows) {
      std::cout << CsvField(r.source) << ',' << CsvField(r.source_key) << ',' << r.customer_id << ','
                << r.resolved_id << '\n';
    }
    return 0;
  }
  std::set<int64_t> records, resolved;
  for (const auto& r : *rows) {
    records.insert(r.customer_id);
    resolved.insert(r.resolved_id);
  }
  if (json) {
    std::cout << ordered_json{{"source_records", rows->size()},
                              {"customer_records", records.size()},
                              {"resolved_customers", resolved.size()}}
                     .dump()
              << "\n";
    return 0;
  }
  std::printf("%zu source records, %zu customer records, %zu resolved customers\n", rows->size(),
              records.size(), resolved.size());
  std::printf("Use --csv for source, source key, customer record and resolved customer of each.\n");
  return 0;
}

// `identity accounts`: applies a decision if one is given, links the accounts
// again and prints the result.
int RunAccounts(const std::string& db_path, const IdentityArgs& args, bool json) {
  auto db = OpenDb(db_path);
  if (!db.ok()) return Fail(db.status());
  const Clock& clock = SystemClock::Get();
  for (const auto* pair : {&args.accounts_together, &args.accounts_apart}) {
    if (pair->empty()) continue;
    if (pair->size() != 2)
      return Fail(InvalidArgument("--together and --apart take two account ids"));
    Status s = identity::DecideAccounts(**db, (*pair)[0], (*pair)[1],
                                        pair == &args.accounts_together, clock);
    if (!s.ok()) return Fail(s);
  }
  if (args.account_unmerge != 0) {
    if (Status s = identity::UnmergeAccount(**db, args.account_unmerge, clock); !s.ok())
      return Fail(s);
  }
  auto summary = identity::ResolveAccounts(**db, clock);
  if (!summary.ok()) return Fail(summary.status());
  auto members = identity::ListAccountMemberships(**db);
  if (!members.ok()) return Fail(members.status());
  auto reviews = identity::ListAccountReviews(**db);
  if (!reviews.ok()) return Fail(reviews.status());
  if (args.csv) {
    std::cout << "account_id,name,domain,source,resolved_id\n";
    for (const auto& m : *members) {
      std::cout << m.account_id << ',' << CsvField(m.name) << ',' << CsvField(m.domain) << ','
                << CsvField(m.source) << ',' << m.resolved_id << '\n';
    }
    return 0;
  }
  const auto& s = *summary;
  if (json) {
    ordered_json j = {{"accounts", s.accounts},
                      {"resolved_accounts", s.resolved_accounts},
                      {"domain_merges", s.domain_merges},
                      {"name_merges", s.name_merges},
                      {"decided_merges", s.decided_merges},
                      {"reviews", ordered_json::array()}};
    for (const auto& r : *reviews) {
      j["reviews"].push_back(
          {{"left_account", r.left_account}, {"right_account", r.right_account}, {"rule", r.rule}});
    }
    std::cout << j.dump() << "\n";
    return 0;
  }
  std::printf(
      "%lld accounts are %lld companies (%lld links by domain, %lld by name, %lld by decision)\n",
      static_cast<long long>(s.accounts), static_cast<long long>(s.resolved_accounts),
      static_cast<long long>(s.domain_merges), static_cast<long long>(s.name_merges),
      static_cast<long long>(s.decided_merges));
  std::map<int64_t, std::string> names;
  for (const auto& m : *members) names[m.account_id] = m.name;
  if (!reviews->empty())
    std::printf("Doubtful pairs (decide with --together A B or --apart A B):\n");
  for (const auto& r : *reviews) {
    std::printf("  %lld %-30s  %lld %-30s  %s\n", static_cast<long long>(r.left_account),
                names[r.left_account].c_str(), static_cast<long long>(r.right_account),
                names[r.right_account].c_str(), r.rule.c_str());
  }
  return 0;
}

}  // namespace

void AddIdentityCommands(CLI::App& app, const GlobalOptions& globals, Action& action) {
  static IdentityArgs args;
  auto* identity = app.add_subcommand("identity", "Identity resolution: one customer per real person");
  identity->require_subcommand(1);

  auto* resolve = identity->add_subcommand("resolve", "Link the records of the same person (a full rebuild unless --incremental)");
  // Each threshold not given is the latest run's: they stay as last set.
  resolve
      ->add_option("--merge-threshold", args.merge_threshold,
                   "Merge pairs with at least this match probability (default: the last run's; "
                   "0.95 at first)")
      ->check(CLI::Range(0.0, 1.0));
  resolve
      ->add_option("--review-threshold", args.review_threshold,
                   "Send pairs with at least this probability to review (default: the last run's; "
                   "0.5 at first)")
      ->check(CLI::Range(0.0, 1.0));
  resolve
      ->add_option(
          "--max-expected-namesakes", args.max_expected_namesakes,
          "Merge on exactly the same names in one place alone only when fewer people than this "
          "are expected to share the name by chance (default: the last run's; 0.02 at first; 0: "
          "never)")
      ->check(CLI::Range(0.0, 1000.0));
  resolve->add_flag("--incremental", args.incremental,
                    "Only records imported or changed since the last run, against the existing customers (no refit)");
  resolve->callback([&action, &globals] {
    action = [&globals] { return RunResolve(globals.db_path, args, globals.json); };
  });

  auto* review = identity->add_subcommand("review", "List doubtful pairs; accept or reject them");
  review->add_flag("--all", args.all_reviews, "Also list decided pairs");
  review->add_option("--limit", args.limit, "Pairs to list (default 50)")->check(CLI::Range(1, 1000000));
  review->add_flag("--details", args.review_details,
                   "Under each pair, the values of both records and each field's weight");
  review->add_option("--accept", args.accept, "Review id to accept (the pair is one customer)");
  review->add_option("--reject", args.reject, "Review id to reject (the pair stays apart)");
  review->callback([&action, &globals] {
    action = [&globals] { return RunReview(globals.db_path, args, globals.json); };
  });

  auto* explain = identity->add_subcommand("explain", "The weight of every compared field of two records");
  explain->add_option("a", args.left, "Customer record id")->required();
  explain->add_option("b", args.right, "Customer record id")->required();
  explain->callback([&action, &globals] {
    action = [&globals] { return RunExplain(globals.db_path, args.left, args.right, globals.json); };
  });

  auto* unmerge = identity->add_subcommand("unmerge", "Take a customer record out of its resolved customer");
  unmerge->add_option("customer", args.unmerge_customer, "Customer record id")->required();
  unmerge->callback([&action, &globals] {
    action = [&globals] { return RunUnmerge(globals.db_path, args.unmerge_customer, globals.json); };
  });

  auto* golden = identity->add_subcommand("golden", "The golden record of a customer, with provenance and freshness");
  golden->add_option("customer", args.golden_customer, "Customer record id")->required();
  golden->callback([&action, &globals] {
    action = [&globals] { return RunGolden(globals.db_path, args.golden_customer, globals.json); };
  });

  auto* survivorship = identity->add_subcommand(
      "survivorship",
      "Which value of each field a golden record keeps, and how far each source is trusted");
  survivorship->add_option(
      "--set", args.survival_set,
      "FIELD=RULE (most_frequent, source_trust, most_recent, most_recently_verified, longest, "
      "or default); repeatable");
  survivorship->add_option("--trust", args.survival_trust,
                           "SOURCE=N: higher is more trusted (default: internal 2, external 1, "
                           "purchased 0); repeatable");
  survivorship->add_flag("--no-rewrite", args.survival_no_rewrite,
                         "Only mark the golden records for a rewrite (patron serve does it in the "
                         "background) instead of rewriting them now");
  survivorship->add_flag("--rewrite", args.survival_rewrite,
                         "Rewrite every golden record now by the rules in force");
  survivorship->callback([&action, &globals] {
    action = [&globals] { return RunSurvivorship(globals.db_path, args, globals.json); };
  });

  auto* status = identity->add_subcommand(
      "status",
      "What the last run did and how many records wait for the next (new or changed since)");
  status->callback([&action, &globals] {
    action = [&globals] { return RunStatus(globals.db_path, globals.json); };
  });

  auto* accounts = identity->add_subcommand(
      "accounts",
      "Link B2B accounts of one company across sources (by domain and name without legal form)");
  accounts->add_flag("--csv", args.csv,
                     "Print account_id,name,domain,source,resolved_id for every account");
  accounts->add_option("--together", args.accounts_together, "Two account ids: the same company")
      ->expected(2);
  accounts->add_option("--apart", args.accounts_apart, "Two account ids: not the same company")
      ->expected(2);
  accounts->add_option("--unmerge", args.account_unmerge, "Take this account out of its company");
  accounts->callback([&action, &globals] {
    action = [&globals] { return RunAccounts(globals.db_path, args, globals.json); };
  });

  auto* clusters = identity->add_subcommand("clusters", "Which resolved customer each imported record belongs to");
  clusters->add_flag("--csv", args.csv, "Print source,source_key,customer_id,resolved_id for every record");
  clusters->callback([&action, &globals] {
    action = [&globals] { return RunClusters(globals.db_path, args.csv, globals.json); };
  });
}

}  // namespace patron::cli
