// The `patron` command line. Every command takes --db (default $PATRON_DB or
// ./patron.db); commands that print results take --json.
#include "cli/cli.h"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "cli/cli_internal.h"
#include "demo/demo.h"
#include "identity/identity.h"
#include "ingest/import_internal.h"
#include "ingest/ingest.h"
#include "store/store.h"

namespace patron::cli {
namespace {

using nlohmann::ordered_json;

// ---------------------------------------------------------------------------
// import
// ---------------------------------------------------------------------------

struct ImportArgs {
  std::string kind, file, source, source_kind, vendor, cost, consent_basis, country, currency = "EUR";
  std::string date_order = "dmy", report_path, rejects, as_of;
  std::vector<std::string> maps;
  bool dry_run = false, hijri = false;
  int batch = 50000;
};

int RunImport(const std::string& db_path, const ImportArgs& a, bool json) {
  ingest::ImportOptions options;
  auto kind = ingest::ParseEntityKind(a.kind);
  if (!kind.ok()) return Fail(kind.status());
  options.kind = *kind;
  options.path = a.file;
  options.source_name = a.source;
  options.source_kind = a.source_kind;
  options.source_vendor = a.vendor;
  options.source_cost = a.cost;
  options.consent_basis = a.consent_basis;
  options.default_country = a.country;
  for (char& c : options.default_country) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  options.default_currency = a.currency;
  options.dry_run = a.dry_run;
  options.reject_path = a.rejects;
  if (!a.as_of.empty()) {
    auto as_of = ingest::ParseTimestamp(a.as_of);
    if (!as_of.ok())
      return Fail(InvalidArgument("--as-of '" + a.as_of + "': " + as_of.status().message()));
    options.as_of = *as_of;
  }
  options.batch_size = a.batch;
  options.date_options.order =
      a.date_order == "mdy" ? ingest::DateOrder::kMonthDayYear : ingest::DateOrder::kDayMonthYear;
  if (a.hijri) options.date_options.low_year_calendar = Calendar::kIslamicCivil;
  for (const std::string& m : a.maps) {
    size_t eq = m.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Fail(InvalidArgument("--map '" + m + "': expected COLUMN=FIELD (FIELD may be empty to ignore)"));
    }
    options.column_map[m.substr(0, eq)] = m.substr(eq + 1);
  }
  auto db = OpenDb(db_path);
  if (!db.ok()) return Fail(db.status());
  ProgressBar bar("import " + a.kind);
  options.progress = [&bar](uint64_t done, uint64_t total) { bar.Update(done, total); };
  auto report = ingest::ImportFile(**db, options, SystemClock::Get());
  bar.Done();
  if (!report.ok()) return Fail(report.status());
  if (!a.report_path.empty()) {
    std::FILE* f = std::fopen(a.report_path.c_str(), "wb");
    if (!f) return Fail(IoError("cannot write report '" + a.report_path + "'"));
    std::string j = report->ToJson();
    std::fwrite(j.data(), 1, j.size(), f);
    std::fclose(f);
  }
  if (json) {
    std::cout << report->ToJson() << "\n";
  } else {
    if (a.dry_run) {
      std::cout << "Dry run: nothing was written.\nColumn mapping:\n";
      for (const auto& m : report->mapping) std::cout << "  " << m << "\n";
    }
    std::cout << report->ToText();
    // What the import left for identity resolution (customers new or changed
    // by it, or by anything since the last run).
    if (!a.dry_run) {
      auto identity = identity::ReadResolveStatus(**db);
      if (identity.ok() && identity->pending > 0) {
        std::cout << "  " << identity->pending
                  << " customer record(s) wait for identity resolution: patron identity resolve"
                  << (identity->incremental_ready ? " --incremental" : "") << "\n";
      }
      if (identity.ok() && identity->golden_stale_since && identity->last_run) {
        std::cout << "  golden records wait for a rewrite (their freshness): patron identity "
                     "survivorship --rewrite, or patron serve in the background\n";
      }
    }
  }
  return 0;
}

// ---------------------------------------------------------------------------
// stats, quality
// ---------------------------------------------------------------------------

int RunStats(const std::string& db_path, bool json) {
  auto db = OpenDb(db_path);
  if (!db.ok()) return Fail(db.status());
  auto stats = ReadStats(**db);
  if (!stats.ok()) return Fail(stats.status());
  const StoreStats& s = *stats;
  if (json) {
    ordered_json j;
    j["customers"] = s.customers;
    j["accounts"] = s.accounts;
    j["account_members"] = s.account_members;
    j["products"] = s.products;
    j["categories"] = s.categories;
    j["orders"] = s.orders;
    j["order_lines"] = s.order_lines;
    j["events"] = s.events;
    j["sources"] = s.sources;
    j["consents"] = {{"granted", s.consents_granted}, {"withdrawn", s.consents_withdrawn}};
    j["contact_points"] = s.contact_points;
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  std::printf("Database %s (schema version %d)\n", db_path.c_str(), (*db)->schema_version());
  std::printf("  customers        %10lld\n", static_cast<long long>(s.customers));
  std::printf("  accounts         %10lld  (%lld members)\n", static_cast<long long>(s.accounts),
              static_cast<long long>(s.account_members));
  std::printf("  products         %10lld  (%lld categories)\n", static_cast<long long>(s.products),
              static_cast<long long>(s.categories));
  std::printf("  orders           %10lld  (%lld lines)\n", static_cast<long long>(s.orders),
              static_cast<long long>(s.order_lines));
  std::printf("  events           %10lld\n", static_cast<long long>(s.events));
  std::printf("  sources          %10lld\n", static_cast<long long>(s.sources));
  std::printf("  consents         %10lld granted, %lld withdrawn\n", static_cast<long long>(s.consents_granted),
              static_cast<long long>(s.consents_withdrawn));
  for (const auto& [kind, by_status] : s.contact_points) {
    int64_t total = 0;
    for (const auto& [st, n] : by_status) total += n;
    std::string label = kind == "address" ? "addresses" : kind + "s";
    std::printf("  %-16s %10lld ", label.c_str(), static_cast<long long>(total));
    std::string parts;
    for (const auto& [st, n] : by_status) parts += (parts.empty() ? "(" : ", ") + std::to_string(n) + " " + st;
    std::printf(" %s)\n", parts.c_str());
  }
  return 0;
}

// The data-quality summary: how much of what arrived is usable, and why not.
int RunQuality(const std::string& db_path, bool json) {
  auto db = OpenDb(db_path);
  if (!db.ok()) return Fail(db.status());
  Database& d = **db;
  ordered_json j;
  auto rows = [&](const char* query, int cols) -> Result<std::vector<std::vector<std::string>>> {
    Statement& stmt = d.Query(query);
    std::vector<std::vector<std::string>> out;
    while (true) {
      ASSIGN_OR_RETURN(bool more, stmt.Step());
      if (!more) break;
      std::vector<std::string> row;
      for (int c = 0; c < cols; ++c) row.push_back(stmt.String(c));
      out.push_back(std::move(row));
    }
    return out;
  };
  auto by_status = rows("stats-contact-points", 3);
  auto reasons = rows("quality-invalid-reasons", 3);
  auto typos = rows("quality-typo-suggestions", 1);
  auto issues = rows("quality-field-issues", 3);
  auto stale = rows("quality-stale", 2);
  auto reachable = rows("quality-reachable", 2);
  auto sources = rows("quality-sources", 3);
  auto imports = rows("quality-imports", 4);
  for (auto* r : {&by_status, &reasons, &typos, &issues, &stale, &reachable, &sources, &imports}) {
    if (!r->ok()) return Fail(r->status());
  }
  if (json) {
    for (const auto& r : *by_status) j["contact_points"][r[0]][r[1]] = std::stoll(r[2]);
    j["invalid_reasons"] = ordered_json::array();
    for (const auto& r : *reasons) j["invalid_reasons"].push_back({{"kind", r[0]}, {"reason", r[1]}, {"count", std::stoll(r[2])}});
    j["typo_suggestions"] = std::stoll((*typos)[0][0]);
    j["field_issues"] = ordered_json::array();
    for (const auto& r : *issues) j["field_issues"].push_back({{"field", r[0]}, {"reason", r[1]}, {"count", std::stoll(r[2])}});
    j["stale"] = ordered_json::object();
    for (const auto& r : *stale) j["stale"][r[0]] = std::stoll(r[1]);
    j["reachable_with_consent"] = ordered_json::object();
    for (const auto& r : *reachable) j["reachable_with_consent"][r[0]] = std::stoll(r[1]);
    j["sources"] = ordered_json::array();
    for (const auto& r : *sources) j["sources"].push_back({{"name", r[0]}, {"kind", r[1]}, {"customer_records", std::stoll(r[2])}});
    j["imports"] = ordered_json::array();
    for (const auto& r : *imports)
      j["imports"].push_back({{"kind", r[0]}, {"path", r[1]}, {"records", std::stoll(r[2])}, {"rejected", std::stoll(r[3])}});
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  std::printf("Data quality\n  Contact points by status:\n");
  for (const auto& r : *by_status) std::printf("    %-8s %-11s %9s\n", r[0].c_str(), r[1].c_str(), r[2].c_str());
  std::printf("  Emails with a suspected domain typo (suggestion kept, value unchanged): %s\n", (*typos)[0][0].c_str());
  if (!(*reasons).empty()) {
    std::printf("  Why contact points are invalid:\n");
    for (const auto& r : *reasons) std::printf("    %7s  %s: %s\n", r[2].c_str(), r[0].c_str(), r[1].c_str());
  }
  if (!(*issues).empty()) {
    std::printf("  Values kept aside with a reason:\n");
    for (const auto& r : *issues) std::printf("    %7s  %s: %s\n", r[2].c_str(), r[0].c_str(), r[1].c_str());
  }
  std::printf("  Stale (not seen by any source for a year):");
  if ((*stale).empty()) std::printf(" none");
  for (const auto& r : *stale) std::printf(" %s %s", r[1].c_str(), r[0].c_str());
  std::printf("\n  Reachable for marketing (consent + verified contact point):");
  if ((*reachable).empty()) std::printf(" none");
  for (const auto& r : *reachable) std::printf(" %s %s", r[0].c_str(), r[1].c_str());
  std::printf("\n  Sources:\n");
  for (const auto& r : *sources)
    std::printf("    %-16s %-10s %9s customer records\n", r[0].c_str(), r[1].c_str(), r[2].c_str());
  return 0;
}

// ---------------------------------------------------------------------------
// customer show
// ---------------------------------------------------------------------------

Result<int64_t> ResolveCustomerKey(Database& db, const std::string& key, const std::string& country) {
  std::string_view k = TrimAscii(key);
  bool numeric = !k.empty() && k.find_first_not_of("0123456789") == std::string_view::npos;
  if (numeric && k.size() < 10) {
    int64_t id = std::stoll(std::string(k));
    ASSIGN_OR_RETURN(bool exists, CustomerExists(db, id));
    if (exists) return id;
  }
  std::vector<int64_t> ids;
  if (k.find('@') != std::string_view::npos) {
    ingest::EmailCheck e = ingest::CheckEmail(k);
    ASSIGN_OR_RETURN(ids, FindCustomersByContact(db, "email", e.valid ? ingest::CanonicalEmail(e) : std::string(k)));
  } else {
    ingest::PhoneCheck p = ingest::CheckPhone(k, country);
    if (p.valid) {
      ASSIGN_OR_RETURN(ids, FindCustomersByContact(db, "phone", p.e164));
    }
  }
  if (ids.empty()) return NotFound("no customer matches '" + key + "' (try an id, an email or a phone)");
  if (ids.size() > 1) {
    std::string list;
    for (int64_t id : ids) list += (list.empty() ? "" : ", ") + std::to_string(id);
    return FailedPrecondition("'" + key + "' belongs to several customers (" + list +
                              "): show one by id; identity resolution merges such records");
  }
  return ids.front();
}

void PrintView(const CustomerView& v) {
  auto get = [&](const char* k) {
    auto it = v.profile.find(k);
    return it == v.profile.end() ? std::string() : it->second;
  };
  std::string name = get("full_name");
  std::printf("Customer %lld  %s\n", static_cast<long long>(v.id), name.empty() ? "(no name)" : name.c_str());
  static const char* kOrder[] = {"salutation", "greeting", "gender", "birth_date", "marital_status", "education",
                                 "income_band", "household_size", "language", "time_zone", "city", "region",
                                 "country", "acquisition_channel", "lifecycle_stage", "created_at",
                                 "last_interaction_at"};
  for (const char* k : kOrder) {
    std::string val = get(k);
    if (!val.empty()) std::printf("  %-20s %s\n", k, val.c_str());
  }
  if (!v.tags.empty()) {
    std::string t;
    for (const auto& tag : v.tags) t += (t.empty() ? "" : ", ") + tag;
    std::printf("  %-20s %s\n", "tags", t.c_str());
  }
  for (const auto& [k, val] : v.attributes) std::printf("  %-20s %s\n", k.c_str(), val.c_str());
  if (!v.traits.empty()) {
    std::printf("Predicted (patron model score)\n");
    for (const auto& [k, val] : v.traits) std::printf("  %-24s %s\n", k.c_str(), val.c_str());
  }
  std::printf("Contact points\n");
  for (const auto& cp : v.contact_points) {
    std::string extra;
    if (!cp.phone_type.empty()) extra += " " + cp.phone_type;
    if (!cp.invalid_reason.empty()) extra += " — " + cp.invalid_reason;
    if (!cp.suggestion.empty()) extra += " — did you mean " + cp.suggestion + "?";
    std::printf("  %-7s %-40s %-10s from %s, last seen %s%s\n", cp.kind.c_str(), cp.value.c_str(), cp.status.c_str(),
                cp.source.c_str(), FormatInstant(cp.last_seen).substr(0, 10).c_str(), extra.c_str());
  }
  std::printf("Consents\n");
  if (v.consents.empty()) std::printf("  none recorded: not reachable for marketing\n");
  for (const auto& c : v.consents) {
    std::printf("  %-6s %-10s %-9s %s via %s on %s%s%s\n", c.channel.c_str(), c.purpose.c_str(), c.status.c_str(),
                c.method.c_str(), c.source.c_str(), FormatInstant(c.recorded_at).substr(0, 10).c_str(),
                c.proof.empty() ? "" : " — ", c.proof.c_str());
  }
  if (!v.accounts.empty()) {
    std::printf("Accounts\n");
    for (const auto& a : v.accounts) {
      std::printf("  %s (%s)%s%s, tier %s, contract %s\n", a.name.c_str(), a.domain.c_str(),
                  a.job_title.empty() ? "" : " — ", a.job_title.c_str(), a.tier.empty() ? "-" : a.tier.c_str(),
                  a.contract_status.empty() ? "-" : a.contract_status.c_str());
    }
  }
  std::printf("Purchases\n");
  const PurchaseSummary& p = v.purchases;
  if (p.orders == 0) {
    std::printf("  none\n");
  } else {
    std::printf("  %lld orders, %lld items, %s; first %s, last %s\n", static_cast<long long>(p.orders),
                static_cast<long long>(p.items), Money(p.revenue_minor, p.currency).c_str(),
                FormatInstant(*p.first_order).substr(0, 10).c_str(), FormatInstant(*p.last_order).substr(0, 10).c_str());
    std::string cats;
    for (const auto& [slug, n] : p.top_categories) cats += (cats.empty() ? "" : ", ") + slug + " (" + std::to_string(n) + ")";
    std::printf("  top categories: %s\n", cats.c_str());
  }
  std::printf("Last interactions\n");
  if (v.last_interactions.empty()) std::printf("  none\n");
  for (const auto& i : v.last_interactions) {
    std::string props =
        i.properties.size() > 90 ? std::string(Utf8Prefix(i.properties, 87)) + "..." : i.properties;
    std::printf("  %s  %-24s %s\n", FormatInstant(i.at).substr(0, 16).c_str(), i.type.c_str(), props.c_str());
  }
  std::printf("Known in sources\n");
  for (const auto& [name, key] : v.sources) std::printf("  %-16s %s\n", name.c_str(), key.c_str());
  if (!v.field_issues.empty()) {
    std::printf("Values kept aside\n");
    for (const auto& fi : v.field_issues) {
      std::printf("  %-14s %-24s %s\n", fi.field.c_str(), fi.raw_value.c_str(), fi.reason.c_str());
    }
  }
}

int RunCustomerShow(const std::string& db_path, const std::string& key, const std::string& country, bool json) {
  auto db = OpenDb(db_path);
  if (!db.ok()) return Fail(db.status());
  auto id = ResolveCustomerKey(**db, key, country);
  if (!id.ok()) return Fail(id.status());
  auto view = ReadCustomerView(**db, *id);
  if (!view.ok()) return Fail(view.status());
  // Reading one person's data is audited (issue 5: every read of personal data).
  Status audited = AuditFromCli(**db, "customer.read", "customer", std::to_string(*id), *id);
  if (!audited.ok()) return Fail(audited);
  if (json) {
    std::cout << ordered_json::parse(CustomerViewJson(*view)).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  } else {
    PrintView(*view);
  }
  return 0;
}

// ---------------------------------------------------------------------------
// backup, restore, attributes
// ---------------------------------------------------------------------------

int RunBackup(const std::string& db_path, const std::string& file, bool json) {
  auto db = OpenDb(db_path);
  if (!db.ok()) return Fail(db.status());
  ProgressBar bar("backup");
  Status s = (*db)->BackupTo(file, [&](int done, int total) { bar.Update(done, total); });
  bar.Done();
  if (!s.ok()) return Fail(s);
  if (json) {
    std::cout << ordered_json{{"backup", file}, {"schema_version", (*db)->schema_version()}}.dump() << "\n";
  } else {
    std::printf("Backed up %s to %s\n", db_path.c_str(), file.c_str());
  }
  return 0;
}

int RunRestore(const std::string& db_path, const std::string& file, bool json) {
  auto db = OpenDb(db_path);
  if (!db.ok()) return Fail(db.status());
  ProgressBar bar("restore");
  Status s = (*db)->RestoreFrom(file, [&](int done, int total) { bar.Update(done, total); });
  bar.Done();
  if (!s.ok()) return Fail(s);
  s = (*db)->CheckIntegrity();
  if (!s.ok()) return Fail(s);
  if (json) {
    std::cout << ordered_json{{"restored", file}, {"database", db_path}}.dump() << "\n";
  } else {
    std::printf("Restored %s from %s (integrity checked)\n", db_path.c_str(), file.c_str());
  }
  return 0;
}

int RunAttributeAdd(const std::string& db_path, const std::string& entity, const std::string& name,
                    const std::string& type, const std::string& description) {
  auto db = OpenDb(db_path);
  if (!db.ok()) return Fail(db.status());
  Statement& q = (*db)->Query("insert-attribute-definition");
  q.Bind(":entity", entity).Bind(":name", name).Bind(":type", type).BindOptional(":description", description);
  q.Bind(":now", SystemClock::Get().Now().micros);
  Status s = q.Run();
  if (!s.ok()) return Fail(s);
  if ((*db)->changes() == 0) return Fail(AlreadyExists("attribute '" + name + "' is already declared"));
  std::printf("Declared %s attribute '%s' (%s)\n", entity.c_str(), name.c_str(), type.c_str());
  return 0;
}

// ---------------------------------------------------------------------------
// demo
// ---------------------------------------------------------------------------

int RunDemoGenerate(int64_t customers, uint64_t seed, const std::string& out, bool json) {
  demo::GenerateOptions options;
  options.customers = customers;
  options.seed = seed;
  options.out_dir = out;
  ProgressBar bar("generate");
  options.progress = [&bar](uint64_t done, uint64_t total) { bar.Update(done, total); };
  auto summary = demo::Generate(options);
  bar.Done();
  if (!summary.ok()) return Fail(summary.status());
  if (json) {
    ordered_json j;
    j["people"] = summary->people;
    j["ground_truth"] = summary->ground_truth_path;
    j["files"] = ordered_json::array();
    for (const auto& f : summary->files) {
      j["files"].push_back({{"kind", f.kind},
                            {"path", f.path},
                            {"source", f.source},
                            {"source_kind", f.source_kind},
                            {"vendor", f.vendor},
                            {"cost", f.cost},
                            {"default_country", f.default_country},
                            {"records", f.records},
                            {"as_of", f.as_of}});
    }
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  std::printf("Generated demo data for %lld people in %s\n", static_cast<long long>(summary->people), out.c_str());
  for (const auto& f : summary->files) {
    std::printf("  %-10s %-40s %9lld records (source %s, %s%s%s)\n", f.kind.c_str(), f.path.c_str(),
                static_cast<long long>(f.records), f.source.c_str(), f.source_kind.c_str(),
                f.as_of.empty() ? "" : ", as of ", f.as_of.c_str());
  }
  std::printf("  ground truth: %s\n", summary->ground_truth_path.c_str());
  return 0;
}

// The customer the demo tour shows: the one the most sources know, with orders.
int RunDemoTour(const std::string& db_path) {
  auto db = OpenDb(db_path);
  if (!db.ok()) return Fail(db.status());
  auto first_row = [&](const char* query) -> Result<int64_t> {
    Statement& q = (*db)->Query(query);
    ASSIGN_OR_RETURN(bool row, q.Step());
    int64_t id = row && !q.IsNull(0) ? q.Int(0) : 0;
    q.Reset();
    if (id == 0) return NotFound("the database has no customers yet: import some first");
    return id;
  };
  auto id = first_row("demo-tour-customer");
  if (!id.ok()) id = first_row("first-customer");
  if (!id.ok()) return Fail(id.status());
  std::printf("\n== What was loaded ==\n");
  if (int rc = RunStats(db_path, false); rc != 0) return rc;
  std::printf("\n== Data quality ==\n");
  if (int rc = RunQuality(db_path, false); rc != 0) return rc;
  std::printf("\n== One customer's full view (patron customer show %lld) ==\n", static_cast<long long>(*id));
  auto view = ReadCustomerView(**db, *id);
  if (!view.ok()) return Fail(view.status());
  PrintView(*view);
  std::printf("\nThe database is %s — open it with `sqlite3 %s`, or explore with\n"
              "`patron --db %s customer show <id|email|phone>` and `patron --db %s stats`.\n",
              db_path.c_str(), db_path.c_str(), db_path.c_str(), db_path.c_str());
  return 0;
}

}  // namespace

int Run(int argc, char** argv) {
  CLI::App app{"Patron: one true customer view, and the right offer to the right person at the right time."};
  app.require_subcommand(1);
  GlobalOptions globals;
  globals.db_path = DefaultDbPath();
  std::string& db_path = globals.db_path;
  bool& json = globals.json;
  app.add_option("--db", db_path, "SQLite database file (default $PATRON_DB or ./patron.db)");
  app.add_flag("--json", json, "Print results as JSON");
  Action action;
  AddSegmentCommands(app, globals, action);
  AddIdentityCommands(app, globals, action);
  AddModelCommands(app, globals, action);
  AddCampaignCommands(app, globals, action);
  AddJourneyCommands(app, globals, action);
  AddReportCommands(app, globals, action);
  AddServeCommand(app, globals, action);
  AddAccessCommands(app, globals, action);
  app.set_version_flag("--version", "patron 0.1.0");

  // import
  ImportArgs ia;
  auto* import = app.add_subcommand("import", "Import customers, accounts, products, orders or events from CSV or JSONL");
  import->add_option("kind", ia.kind, "customers|accounts|products|orders|events")
      ->required()
      ->check(CLI::IsMember({"customers", "accounts", "products", "orders", "events"}));
  import->add_option("file", ia.file, "CSV or JSON Lines file")->required();
  import->add_option("--source", ia.source, "Where the data comes from (e.g. crm, webshop)")->required();
  import->add_option("--source-kind", ia.source_kind, "internal|external|purchased")
      ->check(CLI::IsMember({"internal", "external", "purchased"}));
  import->add_option("--source-vendor", ia.vendor, "Vendor of an external or purchased list");
  import->add_option("--source-cost", ia.cost, "What the list cost, e.g. '4500 SEK'");
  import->add_option("--consent-basis", ia.consent_basis, "Consent basis of the source's records");
  import->add_option("--map", ia.maps, "COLUMN=FIELD (repeatable); FIELD empty ignores the column");
  import->add_option("--default-country", ia.country, "ISO country for phones without a country code");
  import->add_option("--currency", ia.currency, "Currency when the file has none (default EUR)");
  import->add_option("--date-order", ia.date_order, "dmy (default) or mdy for dates like 03/04/2024")
      ->check(CLI::IsMember({"dmy", "mdy"}));
  import->add_flag("--hijri", ia.hijri, "Read years 1200-1599 as Hijri (default: Persian solar)");
  import->add_flag("--dry-run", ia.dry_run, "Validate and show the mapping and problems; write nothing");
  import->add_option(
      "--as-of", ia.as_of,
      "When the source's data was current (a list compiled earlier): its contact values "
      "count as last seen then, for freshness (default: now)");
  import->add_option("--report", ia.report_path, "Write the import report as JSON to this file");
  import->add_option("--rejects", ia.rejects, "Where malformed records go (default FILE.rejects.csv)");
  import->add_option("--batch", ia.batch, "Records per transaction (default 50000)")->check(CLI::Range(1, 10000000));

  auto* stats = app.add_subcommand("stats", "Counts of everything in the database");
  auto* quality = app.add_subcommand("quality", "Data-quality summary: validity, staleness, reachability");
  AddQualityCommands(*quality, globals, action);

  auto* customer = app.add_subcommand("customer", "Look at customers");
  customer->require_subcommand(1);
  std::string customer_key, customer_country;
  auto* show = customer->add_subcommand("show", "The one customer view");
  show->add_option("key", customer_key, "Customer id, email or phone")->required();
  show->add_option("--country", customer_country, "Country for a phone without a country code");
  AddCustomerPrivacyCommands(*customer, globals, action);

  std::string backup_file;
  auto* backup = app.add_subcommand("backup", "Online backup of the database to a new file");
  backup->add_option("file", backup_file, "Backup file to create")->required();
  std::string restore_file;
  auto* restore = app.add_subcommand("restore", "Replace the database with a backup (checked first)");
  restore->add_option("file", restore_file, "Backup file")->required();

  auto* attribute = app.add_subcommand("attribute", "Custom attributes");
  attribute->require_subcommand(1);
  std::string attr_name, attr_type, attr_entity = "customer", attr_description;
  auto* attr_add = attribute->add_subcommand("add", "Declare a typed custom attribute");
  attr_add->add_option("name", attr_name)->required();
  attr_add->add_option("type", attr_type, "text|integer|number|boolean|date|timestamp")
      ->required()
      ->check(CLI::IsMember({"text", "integer", "number", "boolean", "date", "timestamp"}));
  attr_add->add_option("--entity", attr_entity)->check(CLI::IsMember({"customer", "account"}));
  attr_add->add_option("--description", attr_description);

  auto* demo_cmd = app.add_subcommand("demo", "Demo data");
  demo_cmd->require_subcommand(1);
  int64_t demo_customers = 20000;
  uint64_t demo_seed = 42;
  std::string demo_out = "demo";
  auto* generate = demo_cmd->add_subcommand("generate", "Generate realistic, deterministic demo data files");
  generate->add_option("--customers", demo_customers, "Number of people")->check(CLI::Range(int64_t{1}, int64_t{100000000}));
  generate->add_option("--seed", demo_seed, "Random seed");
  generate->add_option("--out", demo_out, "Output folder (default ./demo)");
  auto* tour = demo_cmd->add_subcommand("tour", "Show what was loaded, its quality and one customer");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }

  if (action) return action();
  if (*import) return RunImport(db_path, ia, json);
  if (*stats) return RunStats(db_path, json);
  if (*quality) return RunQuality(db_path, json);
  if (*show) return RunCustomerShow(db_path, customer_key, customer_country, json);
  if (*backup) return RunBackup(db_path, backup_file, json);
  if (*restore) return RunRestore(db_path, restore_file, json);
  if (*attr_add) return RunAttributeAdd(db_path, attr_entity, attr_name, attr_type, attr_description);
  if (*generate) return RunDemoGenerate(demo_customers, demo_seed, demo_out, json);
  if (*tour) return RunDemoTour(db_path);
  return 2;
}

}  // namespace patron::cli
