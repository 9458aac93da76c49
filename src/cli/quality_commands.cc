// `patron quality report`, `reverify` and `decay`: data quality by source and
// field, with freshness from the decay model, the list of contact values to
// verify again, and the decay rate learnt from the store.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/cli_internal.h"
#include "identity/identity.h"

namespace patron::cli {
namespace {

using nlohmann::ordered_json;

// Option storage outlives AddQualityCommands: the actions run after parsing.
struct QualityArgs {
  std::string as_of;  // empty: now
  double monthly_decay = -1;  // not given: the store's (patron quality decay --save), else 2.5 %
  double stale_below = identity::kStaleFreshness;
  int examples = 3;
  double below = identity::kStaleFreshness;
  int64_t limit = 0;
  std::string out;
  bool save = false, reset = false;
};

Result<identity::QualityOptions> Options(Database& db, const QualityArgs& args) {
  identity::QualityOptions options;
  options.now = SystemClock::Get().Now();
  if (!args.as_of.empty()) {
    ASSIGN_OR_RETURN(options.now, ParseInstant(args.as_of));
  }
  if (args.monthly_decay >= 0) {
    options.monthly_decay = args.monthly_decay;
  } else {
    ASSIGN_OR_RETURN(options.monthly_decay, identity::MonthlyDecay(db));
  }
  options.stale_below = args.stale_below;
  options.examples = args.examples;
  return options;
}

std::string Percent(int64_t part, int64_t whole) {
  if (whole <= 0) return "-";
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.1f%%",
                100.0 * static_cast<double>(part) / static_cast<double>(whole));
  return buf;
}

std::string CsvField(const std::string& value) {
  if (value.find_first_of(",\"\n\r") == std::string::npos) return value;
  std::string out = "\"";
  for (char c : value) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

int RunReport(const std::string& db_path, const QualityArgs& args, bool json) {
  auto db = OpenDb(db_path);
  if (!db.ok()) return Fail(db.status());
  auto options = Options(**db, args);
  if (!options.ok()) return Fail(options.status());
  auto built = identity::BuildQualityReport(**db, *options);
  if (!built.ok()) return Fail(built.status());
  const identity::QualityReport& r = *built;

  if (json) {
    std::cout << ordered_json::parse(identity::QualityReportJson(r)).dump(2) << "\n";
    return 0;
  }

  std::printf(
      "Data quality report as of %s (contact data decays %.1f%% a month; stale below %.2f)\n",
      FormatInstant(r.now).c_str(), 100 * r.monthly_decay, r.stale_below);
  std::printf("\nCompleteness of customer records, by the source that created them:\n");
  std::printf("  %-18s %9s", "source", "records");
  if (!r.completeness.empty()) {
    for (const auto& [field, n] : r.completeness.front().filled)
      std::printf(" %11s", field.c_str());
  }
  std::printf("\n");
  for (const auto& c : r.completeness) {
    std::printf("  %-18s %9lld", c.source.c_str(), static_cast<long long>(c.records));
    for (const auto& [field, n] : c.filled) std::printf(" %11s", Percent(n, c.records).c_str());
    std::printf("\n");
  }

  std::printf("\nValidity and freshness of contact points, by source:\n");
  std::printf("  %-18s %-8s %9s %9s %9s %8s %8s %8s %10s\n", "source", "kind", "total", "verified",
              "unverif.", "invalid", "bounced", "stale", "still valid");
  for (const auto& c : r.contacts) {
    const int64_t usable = c.verified + c.unverified;
    std::printf(
        "  %-18s %-8s %9lld %9lld %9lld %8lld %8lld %8lld %10s\n", c.source.c_str(), c.kind.c_str(),
        static_cast<long long>(c.total), static_cast<long long>(c.verified),
        static_cast<long long>(c.unverified), static_cast<long long>(c.invalid),
        static_cast<long long>(c.bounced), static_cast<long long>(c.stale),
        usable > 0
            ? (std::to_string(static_cast<int>(100 * c.mean_valid_probability + 0.5)) + "%").c_str()
            : "-");
  }
  std::printf(
      "  (still valid: the mean probability, by the decay model, that a usable value still reaches"
      " the person)\n");

  std::printf("\nDuplicates (identity resolution):\n");
  if (r.resolution_runs == 0) {
    std::printf("  not resolved yet: run `patron identity resolve`\n");
  } else {
    std::printf(
        "  %lld customer records are %lld resolved customers; %lld customers have several records;"
        " %lld pairs wait for review (last run %s)\n",
        static_cast<long long>(r.customer_records), static_cast<long long>(r.resolved_customers),
        static_cast<long long>(r.multi_record_customers), static_cast<long long>(r.pending_reviews),
        r.last_resolved ? FormatInstant(*r.last_resolved).c_str() : "-");
    for (const auto& s : r.duplicates) {
      std::printf("  %-18s %9lld records, %9lld (%s) linked with another record\n",
                  s.source.c_str(), static_cast<long long>(s.records),
                  static_cast<long long>(s.linked), Percent(s.linked, s.records).c_str());
    }
  }

  std::printf("\nInvalid values, with reasons:\n");
  if (r.invalid.empty()) std::printf("  none\n");
  for (const auto& g : r.invalid) {
    std::string examples;
    for (const auto& e : g.examples) examples += (examples.empty() ? "" : ", ") + ("\"" + e + "\"");
    std::printf("  %7lld  %s: %s  e.g. %s\n", static_cast<long long>(g.count), g.field.c_str(),
                g.reason.c_str(), examples.c_str());
  }
  return 0;
}

int RunReverify(const std::string& db_path, const QualityArgs& args, bool json) {
  auto db = OpenDb(db_path);
  if (!db.ok()) return Fail(db.status());
  auto options = Options(**db, args);
  if (!options.ok()) return Fail(options.status());
  auto items = identity::ReverificationList(**db, *options, args.below, args.limit);
  if (!items.ok()) return Fail(items.status());
  if (json) {
    ordered_json j = ordered_json::array();
    for (const auto& i : *items) {
      ordered_json row = {{"customer_id", i.customer_id},
                          {"resolved_id", i.resolved_id},
                          {"kind", i.kind},
                          {"value", i.value},
                          {"status", i.status},
                          {"source", i.source},
                          {"last_seen", FormatInstant(i.last_seen)}};
      row["last_verified"] =
          i.last_verified ? ordered_json(FormatInstant(*i.last_verified)) : ordered_json();
      row["valid_probability"] = i.valid_probability;
      j.push_back(std::move(row));
    }
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  std::ofstream file;
  if (!args.out.empty()) {
    file.open(args.out, std::ios::binary | std::ios::trunc);
    if (!file) return Fail(Unavailable("cannot write " + args.out));
  }
  std::ostream& out = args.out.empty() ? std::cout : file;
  out << "customer_id,resolved_id,kind,value,status,source,last_seen,last_verified,valid_"
         "probability\n";
  for (const auto& i : *items) {
    char p[16];
    std::snprintf(p, sizeof p, "%.4f", i.valid_probability);
    out << i.customer_id << ',' << i.resolved_id << ',' << i.kind << ',' << CsvField(i.value) << ','
        << i.status << ',' << CsvField(i.source) << ',' << FormatInstant(i.last_seen) << ','
        << (i.last_verified ? FormatInstant(*i.last_verified) : "") << ',' << p << '\n';
  }
  if (!args.out.empty()) {
    file.close();
    if (!file) return Fail(Unavailable("cannot write " + args.out));
    std::fprintf(stderr, "%zu contact values to verify again written to %s\n", items->size(),
                 args.out.c_str());
  }
  return 0;
}

int RunDecay(const std::string& db_path, const QualityArgs& args, bool json) {
  auto db = OpenDb(db_path);
  if (!db.ok()) return Fail(db.status());
  if (args.save && args.reset) return Fail(InvalidArgument("--save and --reset: one or the other"));
  auto estimate = identity::EstimateDecay(**db);
  if (!estimate.ok()) return Fail(estimate.status());
  const identity::DecayEstimate& e = *estimate;
  if (args.save && !e.estimated) {
    return Fail(FailedPrecondition("nothing saved: learning the rate needs at least " +
                                   std::to_string(identity::kMinDecayObservations) +
                                   " emails or phones seen gone bad (bounced, or replaced by their "
                                   "source) and as many seen still good "
                                   "(verified, or mentioned again by their source); there are " +
                                   std::to_string(e.gone_bad) + " and " +
                                   std::to_string(e.still_good)));
  }
  if (args.save || args.reset) {
    Status s = identity::SaveMonthlyDecay(
        **db, args.save ? std::optional<double>(e.monthly_decay) : std::nullopt,
        SystemClock::Get());
    if (!s.ok()) return Fail(s);
  }
  auto in_use = identity::MonthlyDecay(**db);
  if (!in_use.ok()) return Fail(in_use.status());
  auto fit_json = [](const identity::DecayFit& f) {
    return ordered_json{
        {"gone_bad", f.gone_bad},
        {"still_good", f.still_good},
        {"estimated", f.estimated},
        {"monthly_decay", f.estimated ? ordered_json(f.monthly_decay) : ordered_json()},
        {"low", f.estimated ? ordered_json(f.low) : ordered_json()},
        {"high", f.estimated ? ordered_json(f.high) : ordered_json()}};
  };
  if (json) {
    ordered_json j = {
        {"gone_bad", e.gone_bad},
        {"still_good", e.still_good},
        {"skipped", e.skipped},
        {"estimated", e.estimated},
        {"monthly_decay", e.estimated ? ordered_json(e.monthly_decay) : ordered_json()},
        {"low", e.estimated ? ordered_json(e.low) : ordered_json()},
        {"high", e.estimated ? ordered_json(e.high) : ordered_json()},
        {"deliveries", fit_json(e.deliveries)},
        {"changes", fit_json(e.changes)},
        {"in_use", *in_use}};
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  std::printf("Observed: %lld emails and phones found bounced, %lld verified still good",
              static_cast<long long>(e.deliveries.gone_bad),
              static_cast<long long>(e.deliveries.still_good));
  if (e.skipped) {
    std::printf(
        " (%lld statuses that came with a value's first import, without a date of their own, left "
        "out)",
        static_cast<long long>(e.skipped));
  }
  std::printf("\n");
  std::printf("Changed: %lld replaced by their source, %lld mentioned again by a later import\n",
              static_cast<long long>(e.changes.gone_bad),
              static_cast<long long>(e.changes.still_good));
  if (e.estimated) {
    std::printf(
        "Learnt: %.2f%% of contact data goes bad a month (95%% interval %.2f%% to %.2f%%)\n",
        100 * e.monthly_decay, 100 * e.low, 100 * e.high);
    auto apart = [](const char* what, const identity::DecayFit& f) {
      if (f.estimated) {
        std::printf("  from %s alone: %.2f%% (%.2f%% to %.2f%%)\n", what, 100 * f.monthly_decay,
                    100 * f.low, 100 * f.high);
      }
    };
    if (e.deliveries.estimated && e.changes.estimated) {
      apart("deliveries", e.deliveries);
      apart("changes", e.changes);
    }
  } else {
    std::printf("Not enough to learn from: at least %lld of each are needed.\n",
                static_cast<long long>(identity::kMinDecayObservations));
  }
  std::printf("In use for freshness: %.2f%% a month%s\n", 100 * *in_use,
              args.save    ? " (saved now)"
              : args.reset ? " (the default again)"
                           : "");
  if (args.save || args.reset) {
    std::printf(
        "Golden records take it at the next `patron identity resolve` (or `patron identity "
        "survivorship --set ...`).\n");
  }
  return 0;
}

}  // namespace

void AddQualityCommands(CLI::App& quality, const GlobalOptions& globals, Action& action) {
  static QualityArgs args;
  auto add_common = [](CLI::App* cmd) {
    cmd->add_option("--as-of", args.as_of, "Evaluate freshness at this date or time (default now)");
    cmd->add_option(
           "--decay", args.monthly_decay,
           "Share of contact data going bad a month (default: the saved, learnt rate, else 0.025)")
        ->check(CLI::Range(0.0, 0.99));
  };
  auto* report = quality.add_subcommand("report",
                                        "Validity, completeness, duplicates and staleness by "
                                        "source and field; invalid values with reasons");
  add_common(report);
  report
      ->add_option("--stale-below", args.stale_below,
                   "A value less likely than this to be valid is stale (default 0.75)")
      ->check(CLI::Range(0.0, 1.0));
  report
      ->add_option("--examples", args.examples, "Examples per group of invalid values (default 3)")
      ->check(CLI::Range(1, 100));
  report->callback([&action, &globals] {
    action = [&globals] { return RunReport(globals.db_path, args, globals.json); };
  });

  auto* reverify = quality.add_subcommand(
      "reverify", "CSV of usable contact values most likely stale, least likely valid first");
  add_common(reverify);
  reverify
      ->add_option("--below", args.below,
                   "List values less likely than this to be valid (default 0.75)")
      ->check(CLI::Range(0.0, 1.0));
  reverify->add_option("--limit", args.limit, "At most this many (default all)")
      ->check(CLI::Range(int64_t{0}, INT64_MAX));
  reverify->add_option("--out", args.out, "Write the CSV to this file instead of standard output");
  reverify->callback([&action, &globals] {
    action = [&globals] { return RunReverify(globals.db_path, args, globals.json); };
  });

  auto* decay = quality.add_subcommand(
      "decay",
      "Learn the share of contact data going bad a month from the bounces and verifications seen");
  decay->add_flag("--save", args.save, "Use the learnt rate for freshness from now on");
  decay->add_flag("--reset", args.reset, "Go back to the default rate (2.5 % a month)");
  decay->callback([&action, &globals] {
    action = [&globals] { return RunDecay(globals.db_path, args, globals.json); };
  });
}

}  // namespace patron::cli
