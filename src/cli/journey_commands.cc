// `patron journey` commands: create, list, show, enable, disable, simulate,
// stats, run and templates (docs/journeys.md).
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "campaign/campaign.h"
#include "cli/cli_internal.h"
#include "journey/journey.h"

namespace patron::cli {

namespace {

using nlohmann::ordered_json;

struct JourneyArgs {
  std::string name, file, template_name, from_address = "hello@shop.example", from_name = "Patron Demo Store";
  std::string from, now;
  int weeks = 10;
  int64_t tick_minutes = 60;
  // run
  bool loop = false;
  double interval_seconds = 1;
  int64_t lease_seconds = 60;
  int64_t max_steps = 0;
  std::string smtp_url, sms_gateway, out, base_url;
};

std::atomic<bool> stop_requested{false};

int RunCreate(const GlobalOptions& g, const JourneyArgs& a) {
  auto db = OpenDb(g.db_path);
  if (!db.ok()) return Fail(db.status());
  Result<journey::Journey> created = NotFound("give --file FILE or --template NAME");
  if (!a.template_name.empty()) {
    journey::TemplateOptions options;
    options.journey_name = a.name;
    options.from_address = a.from_address;
    options.from_name = a.from_name;
    created = journey::CreateFromTemplate(**db, a.template_name, options, "cli", SystemClock::Get());
  } else if (!a.file.empty()) {
    std::ifstream in(a.file, std::ios::binary);
    if (!in) return Fail(IoError("cannot read '" + a.file + "'"));
    std::stringstream ss;
    ss << in.rdbuf();
    created = journey::CreateJourneyFromJson(**db, ss.str(), "cli", SystemClock::Get());
    if (!created.ok()) return Fail(created.status().WithContext(a.file));
  } else {
    return Fail(InvalidArgument("give --file FILE or --template NAME (patron journey templates lists them)"));
  }
  if (!created.ok()) return Fail(created.status());
  (void)AuditFromCli(**db, "journey.create", "journey", std::to_string(created->id));
  if (g.json) std::printf("%s\n", journey::ToJson(*created).c_str());
  else std::printf("created journey %lld \"%s\" (draft; enable it with: patron journey enable \"%s\")\n",
                   static_cast<long long>(created->id), created->name.c_str(), created->name.c_str());
  return 0;
}

int RunTemplates(const GlobalOptions& g, const JourneyArgs&) {
  if (g.json) {
    ordered_json arr = ordered_json::array();
    for (auto& t : journey::Templates())
      arr.push_back({{"name", t.name}, {"title", t.title}, {"description", t.description}});
    std::printf("%s\n", arr.dump().c_str());
    return 0;
  }
  for (auto& t : journey::Templates()) std::printf("%-16s %s\n%16s %s\n", t.name.c_str(), t.title.c_str(), "",
                                                   t.description.c_str());
  return 0;
}

int RunList(const GlobalOptions& g, const JourneyArgs&) {
  auto db = OpenDb(g.db_path);
  if (!db.ok()) return Fail(db.status());
  auto list = journey::ListJourneys(**db);
  if (!list.ok()) return Fail(list.status());
  if (g.json) {
    ordered_json arr = ordered_json::array();
    for (auto& j : *list) arr.push_back(ordered_json::parse(journey::ToJson(j)));
    std::printf("%s\n", arr.dump().c_str());
    return 0;
  }
  std::printf("%-5s %-28s %-9s %-15s %s\n", "id", "name", "status", "trigger", "steps");
  for (auto& j : *list)
    std::printf("%-5lld %-28s %-9s %-15s %zu\n", static_cast<long long>(j.id), j.name.c_str(), j.status.c_str(),
                std::string(journey::TriggerKindName(j.trigger.kind)).c_str(), j.steps.size());
  return 0;
}

void PrintStats(const journey::Journey& j, const journey::JourneyStats& s) {
  std::printf("journey \"%s\" (%s, trigger %s)\n", j.name.c_str(), j.status.c_str(),
              std::string(journey::TriggerKindName(j.trigger.kind)).c_str());
  std::printf("  entered %llu  active %llu  completed %llu  exited %llu", static_cast<unsigned long long>(s.entered),
              static_cast<unsigned long long>(s.active), static_cast<unsigned long long>(s.completed),
              static_cast<unsigned long long>(s.exited));
  for (auto& [reason, n] : s.exit_reasons) std::printf("  [%s %llu]", reason.c_str(), static_cast<unsigned long long>(n));
  std::printf("\n  converted %llu (%.1f %%)  call tasks %llu\n", static_cast<unsigned long long>(s.converted),
              100 * s.conversion, static_cast<unsigned long long>(s.call_tasks));
  std::printf("  %-18s %-13s %8s %8s  %s\n", "step", "kind", "reached", "waiting", "outcomes");
  for (const auto& st : s.steps) {
    std::string outcomes;
    for (auto& [o, n] : st.outcomes) outcomes += o + " " + std::to_string(n) + "  ";
    std::printf("  %-18s %-13s %8llu %8llu  %s\n", st.id.c_str(), st.kind.c_str(),
                static_cast<unsigned long long>(st.reached), static_cast<unsigned long long>(st.waiting),
                outcomes.c_str());
  }
}

int RunShow(const GlobalOptions& g, const JourneyArgs& a, bool stats_only) {
  auto db = OpenDb(g.db_path);
  if (!db.ok()) return Fail(db.status());
  auto j = journey::LoadJourney(**db, a.name);
  if (!j.ok()) return Fail(j.status());
  auto s = journey::Stats(**db, *j);
  if (!s.ok()) return Fail(s.status());
  if (g.json) {
    ordered_json out = ordered_json::parse(journey::StatsToJson(*j, *s));
    if (!stats_only) out["spec"] = ordered_json::parse(journey::SpecToJson(*j));
    std::printf("%s\n", out.dump().c_str());
    return 0;
  }
  if (!stats_only) std::printf("%s\n", ordered_json::parse(journey::SpecToJson(*j)).dump(2).c_str());
  PrintStats(*j, *s);
  return 0;
}

int RunEnable(const GlobalOptions& g, const JourneyArgs& a, bool enable) {
  auto db = OpenDb(g.db_path);
  if (!db.ok()) return Fail(db.status());
  auto j = journey::LoadJourney(**db, a.name);
  if (!j.ok()) return Fail(j.status());
  Status st = enable ? journey::EnableJourney(**db, *j, SystemClock::Get()) : journey::DisableJourney(**db, *j, SystemClock::Get());
  if (!st.ok()) return Fail(st);
  (void)AuditFromCli(**db, enable ? "journey.enable" : "journey.disable", "journey", std::to_string(j->id));
  if (g.json) std::printf("%s\n", journey::ToJson(*j).c_str());
  else std::printf("journey \"%s\" is %s\n", j->name.c_str(), j->status.c_str());
  return 0;
}

int RunSimulate(const GlobalOptions& g, const JourneyArgs& a) {
  auto db = OpenDb(g.db_path);
  if (!db.ok()) return Fail(db.status());
  auto j = journey::LoadJourney(**db, a.name);
  if (!j.ok()) return Fail(j.status());
  journey::SimulationOptions options;
  auto from = ParseInstant(a.from);
  if (!from.ok()) return Fail(from.status().WithContext("--from"));
  options.from = *from;
  options.weeks = a.weeks;
  options.tick_seconds = a.tick_minutes * 60;
  auto r = journey::Simulate(**db, *j, options);
  if (!r.ok()) return Fail(r.status());
  if (g.json) {
    std::printf("%s\n", journey::SimulationToJson(*j, *r).c_str());
    return 0;
  }
  std::printf("simulation from %s for %d weeks (nothing sent; %.1f s)\n", FormatInstant(options.from).c_str(),
              options.weeks, r->ms / 1000);
  std::printf("  would send %llu messages; %llu suppressed by the campaign rules\n",
              static_cast<unsigned long long>(r->would_send), static_cast<unsigned long long>(r->would_suppress));
  PrintStats(*j, r->stats);
  return 0;
}

int RunScheduler(const GlobalOptions& g, const JourneyArgs& a) {
  auto db = OpenDb(g.db_path);
  if (!db.ok()) return Fail(db.status());
  journey::RunOptions options;
  options.smtp_url = a.smtp_url;
  options.sms_gateway_file = a.sms_gateway;
  options.call_list_path = a.out;
  options.base_url = a.base_url;
  options.lease_seconds = a.lease_seconds;
  options.max_steps = static_cast<size_t>(a.max_steps);
  options.stop = &stop_requested;
  if (!a.base_url.empty()) {
    auto secret = campaign::LinkSecret(**db);
    if (!secret.ok()) return Fail(secret.status());
    options.link_secret = *secret;
  }
  std::signal(SIGINT, [](int) { stop_requested = true; });
  std::signal(SIGTERM, [](int) { stop_requested = true; });
  journey::RunReport total;
  do {
    auto r = journey::RunDue(**db, SystemClock::Get(), options);
    if (!r.ok()) {
      if (!a.loop) return Fail(r.status());
      std::fprintf(stderr, "patron journey run: %s\n", r.status().ToString().c_str());
    } else {
      total.enrolled += r->enrolled;
      total.steps += r->steps;
      total.sent += r->sent;
      total.suppressed += r->suppressed;
      total.deferred += r->deferred;
      total.failed += r->failed;
      total.resumed += r->resumed;
      if (a.loop && (r->enrolled || r->steps)) {
        std::printf("enrolled %llu, steps %llu, sent %llu\n", static_cast<unsigned long long>(r->enrolled),
                    static_cast<unsigned long long>(r->steps), static_cast<unsigned long long>(r->sent));
        std::fflush(stdout);
      }
    }
    if (!a.loop) break;
    for (double waited = 0; waited < a.interval_seconds && !stop_requested; waited += 0.05)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
  } while (!stop_requested);
  if (g.json) {
    std::printf("%s\n", ordered_json{{"enrolled", total.enrolled}, {"steps", total.steps}, {"sent", total.sent},
                                     {"suppressed", total.suppressed}, {"deferred", total.deferred},
                                     {"failed", total.failed}, {"resumed", total.resumed}}
                            .dump()
                            .c_str());
  } else {
    std::printf("enrolled %llu, ran %llu steps: sent %llu, suppressed %llu, deferred %llu, failed %llu, resumed %llu\n",
                static_cast<unsigned long long>(total.enrolled), static_cast<unsigned long long>(total.steps),
                static_cast<unsigned long long>(total.sent), static_cast<unsigned long long>(total.suppressed),
                static_cast<unsigned long long>(total.deferred), static_cast<unsigned long long>(total.failed),
                static_cast<unsigned long long>(total.resumed));
  }
  return 0;
}

}  // namespace

void AddJourneyCommands(CLI::App& app, const GlobalOptions& globals, Action& action) {
  static JourneyArgs args;
  auto* cmd = app.add_subcommand("journey", "Journeys: triggers, waits, branches and actions (docs/journeys.md)");
  cmd->require_subcommand(1);
  auto bind = [&action, &globals](CLI::App* sub, std::function<int(const GlobalOptions&, const JourneyArgs&)> run) {
    sub->callback([&action, &globals, run] { action = [&globals, run] { return run(globals, args); }; });
  };
  auto name = [](CLI::App* sub) { sub->add_option("name", args.name, "Journey name or id")->required(); };

  auto* create = cmd->add_subcommand("create", "Create a draft journey from a JSON file or a shipped template");
  create->add_option("--file", args.file, "The journey as JSON (docs/journeys.md)");
  create->add_option("--template", args.template_name, "A shipped template (patron journey templates)");
  create->add_option("--name", args.name, "With --template: the journey's name (default the template's)");
  create->add_option("--from", args.from_address, "With --template: the messages' sender address");
  create->add_option("--from-name", args.from_name, "With --template: the messages' sender name");
  bind(create, RunCreate);
  bind(cmd->add_subcommand("templates", "The journeys shipped with Patron"), RunTemplates);
  bind(cmd->add_subcommand("list", "Journeys"), RunList);
  auto* show = cmd->add_subcommand("show", "A journey's definition and per-step counts");
  name(show);
  bind(show, [](const GlobalOptions& g, const JourneyArgs& a) { return RunShow(g, a, false); });
  auto* stats = cmd->add_subcommand("stats", "Per-step counts, exits and conversion");
  name(stats);
  bind(stats, [](const GlobalOptions& g, const JourneyArgs& a) { return RunShow(g, a, true); });
  auto* enable = cmd->add_subcommand("enable", "Start enrolling customers (triggers count from now on)");
  name(enable);
  bind(enable, [](const GlobalOptions& g, const JourneyArgs& a) { return RunEnable(g, a, true); });
  auto* disable = cmd->add_subcommand("disable", "Stop: nobody enters, nobody moves on (resumes when enabled)");
  name(disable);
  bind(disable, [](const GlobalOptions& g, const JourneyArgs& a) { return RunEnable(g, a, false); });
  auto* simulate = cmd->add_subcommand("simulate", "Replay history with an injected clock: who would enter, reach "
                                                   "each step, exit (nothing is sent)");
  name(simulate);
  simulate->add_option("--from", args.from, "Start of the replay (date or ISO time)")->required();
  simulate->add_option("--weeks", args.weeks, "How long (default 10)")->check(CLI::Range(1, 104));
  simulate->add_option("--tick", args.tick_minutes, "Minutes per simulated pass (default 60)")->check(CLI::Range(1, 1440));
  bind(simulate, RunSimulate);
  auto* run = cmd->add_subcommand("run", "Enrol and run due steps now (--loop: keep running; `patron serve` "
                                         "does this on its own)");
  run->add_flag("--loop", args.loop, "Keep running until interrupted");
  run->add_option("--interval", args.interval_seconds, "With --loop: seconds between passes (default 1)");
  run->add_option("--lease", args.lease_seconds,
                  "Seconds after which a send claimed by a scheduler that died is taken over (default 60)");
  run->add_option("--max-steps", args.max_steps, "Stop after this many steps");
  run->add_option("--smtp", args.smtp_url, "SMTP server for email steps (or PATRON_SMTP_URL)");
  run->add_option("--sms-gateway", args.sms_gateway, "SMS gateway file (or PATRON_SMS_GATEWAY)");
  run->add_option("--out", args.out, "Call and mail list CSV for list campaigns");
  run->add_option("--base-url", args.base_url, "Public URL for tracked links and unsubscribe");
  bind(run, RunScheduler);
}

}  // namespace patron::cli
