// `patron campaign` commands: create, list, show, preview, prepare, send,
// pause, resume, cancel, status, results, policy and suppressions.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "campaign/campaign.h"
#include "cli/cli_internal.h"
#include "engine/engine.h"

namespace patron::cli {

namespace {

using nlohmann::json;
using nlohmann::ordered_json;

struct CampaignArgs {
  std::string name, file;
  // Quick creation without a JSON file.
  std::string channel = "email", audience, subject, text, html, from_address, from_name, purpose = "marketing";
  double holdout = 0;
  int64_t customer = 0;
  std::string variant;
  int sample = 0;
  std::string now;
  // Sending.
  std::string smtp_url, sms_gateway, out, base_url;
  int64_t limit = -1;
  int threads = 0;
  // Policy and registers.
  std::string set_json, list, region;
};

std::string ReadFileText(const std::string& path, Status* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = IoError("cannot read '" + path + "'");
    return {};
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Result<Instant> Now(const CampaignArgs& a) {
  if (a.now.empty()) return SystemClock::Get().Now();
  auto t = ParseInstant(a.now);
  if (!t.ok()) return t.status().WithContext("--now");
  return t;
}

Result<std::shared_ptr<const engine::Snapshot>> Snapshot(Database& db) {
  ProgressBar bar("loading customers");
  auto s = engine::OpenSnapshot(db, SystemClock::Get(), [&bar](uint64_t d, uint64_t t) { bar.UpdateCount(d, t); });
  bar.Done();
  return s;
}

// The store and the named campaign, which every per-campaign command starts from.
struct OpenedCampaign {
  std::unique_ptr<Database> db;
  campaign::Campaign campaign;
};
Result<OpenedCampaign> OpenCampaign(const GlobalOptions& g, const CampaignArgs& a) {
  ASSIGN_OR_RETURN(auto db, OpenDb(g.db_path));
  ASSIGN_OR_RETURN(campaign::Campaign c, campaign::LoadCampaign(*db, a.name));
  return OpenedCampaign{std::move(db), std::move(c)};
}

void PrintPlan(const campaign::Campaign& c, const campaign::Plan& p) {
  std::printf("campaign \"%s\" (%s, %s)\n", c.name.c_str(), std::string(campaign::ChannelName(c.channel)).c_str(),
              c.status.c_str());
  std::printf("  audience       %10llu\n", static_cast<unsigned long long>(p.audience));
  std::printf("  will receive   %10llu\n", static_cast<unsigned long long>(p.targets));
  for (auto& [variant, n] : p.by_variant)
    std::printf("    variant %-6s %8llu\n", variant.c_str(), static_cast<unsigned long long>(n));
  std::printf("  holdout        %10llu\n", static_cast<unsigned long long>(p.holdout));
  std::printf("  suppressed     %10llu\n", static_cast<unsigned long long>(p.suppressed));
  for (auto& [reason, n] : p.suppressed_by_reason)
    if (n > 0) std::printf("    %-22s %6llu\n", reason.c_str(), static_cast<unsigned long long>(n));
  if (p.deferred_by_quiet_hours)
    std::printf("  deferred by quiet hours or weekend: %llu\n", static_cast<unsigned long long>(p.deferred_by_quiet_hours));
  if (c.cost_per_message_minor > 0)
    std::printf("  estimated cost %s\n", Money(p.estimated_cost_minor, c.currency).c_str());
  std::printf("  planned in %.0f ms\n", p.ms);
}

int RunCreate(const GlobalOptions& g, const CampaignArgs& a) {
  auto db = OpenDb(g.db_path);
  if (!db.ok()) return Fail(db.status());
  campaign::CampaignSpec spec;
  if (!a.file.empty()) {
    Status error;
    std::string text = ReadFileText(a.file, &error);
    if (!error.ok()) return Fail(error);
    auto parsed = campaign::SpecFromJson(text);
    if (!parsed.ok()) return Fail(parsed.status().WithContext(a.file));
    spec = std::move(*parsed);
    if (!a.name.empty()) spec.name = a.name;
  } else {
    auto channel = campaign::ParseChannel(a.channel);
    if (!channel.ok()) return Fail(channel.status());
    spec.name = a.name;
    spec.channel = *channel;
    spec.audience = a.audience;
    spec.purpose = a.purpose;
    spec.holdout_percent = a.holdout;
    spec.from_address = a.from_address;
    spec.from_name = a.from_name;
    campaign::Content content;
    content.subject = a.subject;
    content.body_text = a.text;
    content.body_html = a.html;
    spec.contents.push_back(content);
  }
  auto c = campaign::CreateCampaign(**db, spec, "cli", SystemClock::Get());
  if (!c.ok()) return Fail(c.status());
  (void)AuditFromCli(**db, "campaign.create", "campaign", std::to_string(c->id));
  if (g.json) std::printf("%s\n", campaign::ToJson(*c).c_str());
  else std::printf("created campaign %lld \"%s\" (draft)\n", static_cast<long long>(c->id), c->name.c_str());
  return 0;
}

int RunList(const GlobalOptions& g, const CampaignArgs&) {
  auto db = OpenDb(g.db_path);
  if (!db.ok()) return Fail(db.status());
  auto list = campaign::ListCampaigns(**db);
  if (!list.ok()) return Fail(list.status());
  if (g.json) {
    ordered_json arr = ordered_json::array();
    for (auto& c : *list) arr.push_back(ordered_json::parse(campaign::ToJson(c)));
    std::printf("%s\n", arr.dump().c_str());
    return 0;
  }
  std::printf("%-5s %-32s %-10s %-10s %s\n", "id", "name", "channel", "status", "created");
  for (auto& c : *list)
    std::printf("%-5lld %-32s %-10s %-10s %s\n", static_cast<long long>(c.id), c.name.c_str(),
                std::string(campaign::ChannelName(c.channel)).c_str(), c.status.c_str(),
                FormatInstant(c.created_at).c_str());
  return 0;
}

int RunShow(const GlobalOptions& g, const CampaignArgs& a) {
  auto loaded = OpenCampaign(g, a);
  if (!loaded.ok()) return Fail(loaded.status());
  campaign::Campaign* c = &loaded->campaign;
  std::printf("%s\n", g.json ? campaign::ToJson(*c).c_str() : json::parse(campaign::ToJson(*c)).dump(2).c_str());
  return 0;
}

int RunPreview(const GlobalOptions& g, const CampaignArgs& a) {
  auto loaded = OpenCampaign(g, a);
  if (!loaded.ok()) return Fail(loaded.status());
  Database* db = loaded->db.get();
  campaign::Campaign* c = &loaded->campaign;
  if (a.customer > 0) {
    campaign::LinkOptions links;
    if (!a.base_url.empty()) {
      auto secret = campaign::LinkSecret(*db);
      if (!secret.ok()) return Fail(secret.status());
      links = {a.base_url, *secret};
    }
    auto m = campaign::RenderFor(*db, *c, a.customer, links, a.variant);
    if (!m.ok()) return Fail(m.status());
    if (g.json) {
      ordered_json j = {{"customer_id", a.customer}, {"variant", m->variant}, {"language", m->language},
                        {"dir", m->dir},             {"subject", m->subject}, {"text", m->text},
                        {"html", m->html}};
      std::printf("%s\n", j.dump().c_str());
    } else {
      std::printf("variant %s, language %s (%s)\nSubject: %s\n\n%s\n", m->variant.c_str(), m->language.c_str(),
                  m->dir.c_str(), m->subject.c_str(), m->text.c_str());
      if (!m->html.empty()) std::printf("\n--- HTML ---\n%s\n", m->html.c_str());
    }
    return 0;
  }
  auto snapshot = Snapshot(*db);
  if (!snapshot.ok()) return Fail(snapshot.status());
  auto now = Now(a);
  if (!now.ok()) return Fail(now.status());
  auto plan = campaign::PlanCampaign(*db, **snapshot, *c, {*now, 365});
  if (!plan.ok()) return Fail(plan.status());
  if (g.json) std::printf("%s\n", campaign::PlanToJson(*c, *plan, static_cast<size_t>(a.sample)).c_str());
  else PrintPlan(*c, *plan);
  return 0;
}

// Every target's message rendered (JSON lines), for a reviewer to check
// before sending; nothing is sent or recorded.
int RunProofs(const GlobalOptions& g, const CampaignArgs& a) {
  auto loaded = OpenCampaign(g, a);
  if (!loaded.ok()) return Fail(loaded.status());
  Database* db = loaded->db.get();
  campaign::Campaign* c = &loaded->campaign;
  campaign::RenderAllOptions options;
  if (!a.base_url.empty()) {
    auto secret = campaign::LinkSecret(*db);
    if (!secret.ok()) return Fail(secret.status());
    options.links = {a.base_url, *secret};
  }
  options.threads = a.threads > 0 ? a.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  options.limit = a.limit;
  std::FILE* out = a.out.empty() || a.out == "-" ? stdout : std::fopen(a.out.c_str(), "wb");
  if (!out) return Fail(IoError("cannot write '" + a.out + "'"));
  ProgressBar bar("rendering");
  options.progress = [&bar](uint64_t d, uint64_t t) { bar.UpdateCount(d, t); };
  auto t0 = std::chrono::steady_clock::now();
  auto n = campaign::RenderOutboxFormatted(
      *db, *c, options,
      campaign::ProofJsonLine,
      [out](int64_t, std::string_view line) {
        if (std::fwrite(line.data(), 1, line.size(), out) != line.size()) return IoError("cannot write the proofs");
        return Status::Ok();
      });
  bar.Done();
  if (out != stdout && std::fclose(out) != 0 && n.ok()) return Fail(IoError("cannot write '" + a.out + "'"));
  if (!n.ok()) return Fail(n.status());
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::fprintf(stderr, "%llu messages rendered in %.1f s (%.0f per second)\n", static_cast<unsigned long long>(*n),
               seconds, seconds > 0 ? static_cast<double>(*n) / seconds : 0.0);
  return 0;
}

int RunPrepare(const GlobalOptions& g, const CampaignArgs& a) {
  auto loaded = OpenCampaign(g, a);
  if (!loaded.ok()) return Fail(loaded.status());
  Database* db = loaded->db.get();
  campaign::Campaign* c = &loaded->campaign;
  auto snapshot = Snapshot(*db);
  if (!snapshot.ok()) return Fail(snapshot.status());
  auto now = Now(a);
  if (!now.ok()) return Fail(now.status());
  auto plan = campaign::PrepareCampaign(*db, **snapshot, *c, {*now, 365}, SystemClock::Get());
  if (!plan.ok()) return Fail(plan.status());
  (void)AuditFromCli(*db, "campaign.prepare", "campaign", std::to_string(c->id));
  if (g.json) std::printf("%s\n", campaign::PlanToJson(*c, *plan).c_str());
  else PrintPlan(*c, *plan);
  return 0;
}

std::atomic<bool> stop_requested{false};

int RunSend(const GlobalOptions& g, const CampaignArgs& a) {
  auto loaded = OpenCampaign(g, a);
  if (!loaded.ok()) return Fail(loaded.status());
  Database* db = loaded->db.get();
  campaign::Campaign* c = &loaded->campaign;
  if (c->status == "draft") {
    auto snapshot = Snapshot(*db);
    if (!snapshot.ok()) return Fail(snapshot.status());
    auto now = Now(a);
    if (!now.ok()) return Fail(now.status());
    auto plan = campaign::PrepareCampaign(*db, **snapshot, *c, {*now, 365}, SystemClock::Get());
    if (!plan.ok()) return Fail(plan.status());
    if (!g.json) PrintPlan(*c, *plan);
  }
  // An .xlsx list is made from the CSV beside it once the send is over: the CSV is the
  // durable record a resumed send appends to.
  const bool xlsx = a.out.size() > 5 && AsciiLower(a.out.substr(a.out.size() - 5)) == ".xlsx";
  const std::string list_path = xlsx ? a.out.substr(0, a.out.size() - 5) + ".csv" : a.out;
  auto transport = campaign::MakeTransport(*db, *c, {a.smtp_url, a.sms_gateway, list_path, "", ""});
  if (!transport.ok()) return Fail(transport.status());
  campaign::SendOptions options;
  if (!a.base_url.empty()) {
    auto secret = campaign::LinkSecret(*db);
    if (!secret.ok()) return Fail(secret.status());
    options.links = {a.base_url, *secret};
  }
  options.limit = a.limit;
  options.stop = &stop_requested;
  std::signal(SIGINT, [](int) { stop_requested = true; });
  std::signal(SIGTERM, [](int) { stop_requested = true; });
  ProgressBar bar("sending");
  options.progress = [&bar](uint64_t d, uint64_t t) { bar.UpdateCount(d, t); };
  auto report = campaign::SendDue(*db, *c, **transport, SystemClock::Get(), options);
  bar.Done();
  if (!report.ok()) return Fail(report.status());
  (void)AuditFromCli(*db, "campaign.send", "campaign", std::to_string(c->id));
  if (xlsx) {
    auto rows = campaign::WriteListXlsx(list_path, a.out, c->name);
    if (!rows.ok()) return Fail(rows.status());
    if (!g.json) std::printf("wrote %s (%llu rows)\n", a.out.c_str(), static_cast<unsigned long long>(*rows));
  }
  if (g.json) {
    ordered_json j = {{"campaign", c->name}, {"status", c->status},     {"sent", report->sent},
                      {"failed", report->failed}, {"bounced", report->bounced}, {"retried", report->retried},
                      {"deferred", report->deferred}, {"skipped", report->skipped}, {"resumed", report->resumed},
                      {"remaining", report->remaining}, {"ms", report->ms}};
    std::printf("%s\n", j.dump().c_str());
  } else {
    std::printf("sent %llu, failed %llu, bounced %llu, retry later %llu, deferred %llu, skipped at sending %llu; "
                "%llu still to send; campaign %s (%.0f ms)\n",
                static_cast<unsigned long long>(report->sent), static_cast<unsigned long long>(report->failed),
                static_cast<unsigned long long>(report->bounced), static_cast<unsigned long long>(report->retried),
                static_cast<unsigned long long>(report->deferred), static_cast<unsigned long long>(report->skipped),
                static_cast<unsigned long long>(report->remaining), c->status.c_str(), report->ms);
  }
  return 0;
}

int RunSetStatus(const GlobalOptions& g, const CampaignArgs& a, std::string_view status) {
  auto loaded = OpenCampaign(g, a);
  if (!loaded.ok()) return Fail(loaded.status());
  Database* db = loaded->db.get();
  campaign::Campaign* c = &loaded->campaign;
  Status st = campaign::SetCampaignStatus(*db, *c, status, SystemClock::Get());
  if (!st.ok()) return Fail(st);
  (void)AuditFromCli(*db, "campaign.status", "campaign", std::to_string(c->id), std::nullopt,
                     json({{"status", status}}).dump());
  std::printf("campaign \"%s\" is %s\n", c->name.c_str(), c->status.c_str());
  return 0;
}

int RunStatus(const GlobalOptions& g, const CampaignArgs& a) {
  auto loaded = OpenCampaign(g, a);
  if (!loaded.ok()) return Fail(loaded.status());
  Database* db = loaded->db.get();
  campaign::Campaign* c = &loaded->campaign;
  auto status = campaign::OutboxStatus(*db, *c);
  if (!status.ok()) return Fail(status.status());
  if (g.json) {
    std::printf("%s\n", ordered_json({{"campaign", c->name}, {"status", c->status}, {"outbox", *status}}).dump().c_str());
    return 0;
  }
  std::printf("campaign \"%s\": %s\n", c->name.c_str(), c->status.c_str());
  for (auto& [k, n] : *status) std::printf("  %-22s %8llu\n", k.c_str(), static_cast<unsigned long long>(n));
  return 0;
}

int RunResults(const GlobalOptions& g, const CampaignArgs& a) {
  auto loaded = OpenCampaign(g, a);
  if (!loaded.ok()) return Fail(loaded.status());
  Database* db = loaded->db.get();
  campaign::Campaign* c = &loaded->campaign;
  auto r = campaign::Results(*db, *c, SystemClock::Get());
  if (!r.ok()) return Fail(r.status());
  if (g.json) {
    std::printf("%s\n", campaign::ResultsToJson(*c, *r).c_str());
    return 0;
  }
  auto pct = [](uint64_t n, uint64_t d) { return d ? 100.0 * static_cast<double>(n) / static_cast<double>(d) : 0.0; };
  std::printf("campaign \"%s\" (%s)\n", c->name.c_str(), r->status.c_str());
  std::printf("  %-10s %8s %8s %8s %8s %8s %8s %12s\n", "", "members", "sent", "opened", "clicked", "unsub", "convert",
              "revenue");
  auto row = [&](const char* label, const campaign::GroupResult& gr) {
    std::printf("  %-10s %8llu %8llu %7.1f%% %7.1f%% %7.1f%% %7.1f%% %12s\n", label,
                static_cast<unsigned long long>(gr.members), static_cast<unsigned long long>(gr.sent),
                pct(gr.opened, gr.sent), pct(gr.clicked, gr.sent), pct(gr.unsubscribed, gr.sent),
                pct(gr.converted, gr.sent ? gr.sent : gr.members), Money(gr.revenue_minor, r->currency).c_str());
  };
  row("targets", r->targets);
  for (auto& [v, gr] : r->by_variant) row(("  " + v).c_str(), gr);
  row("holdout", r->holdout);
  if (r->lift.available) {
    std::printf("  lift: %+.2f points (95%% CI %+.2f to %+.2f), %s\n", r->lift.difference * 100, r->lift.ci_low * 100,
                r->lift.ci_high * 100, r->lift.significant ? "significant" : "not significant");
  } else {
    std::printf("  lift: not available (no holdout, or nothing sent yet)\n");
  }
  std::printf("  cost %s, incremental revenue %s, ROI %.2f\n", Money(r->cost_minor, r->currency).c_str(),
              Money(r->incremental_revenue_minor, r->currency).c_str(), r->roi);
  return 0;
}

int RunPolicy(const GlobalOptions& g, const CampaignArgs& a) {
  auto db = OpenDb(g.db_path);
  if (!db.ok()) return Fail(db.status());
  auto policy = campaign::LoadPolicy(**db);
  if (!policy.ok()) return Fail(policy.status());
  if (!a.set_json.empty()) {
    auto updated = campaign::PolicyFromJson(a.set_json, *policy);
    if (!updated.ok()) return Fail(updated.status());
    Status st = campaign::SavePolicy(**db, *updated, SystemClock::Get());
    if (!st.ok()) return Fail(st);
    (void)AuditFromCli(**db, "campaign.policy", "policy", "contact");
    policy = updated;
  }
  std::printf("%s\n", g.json ? campaign::PolicyToJson(*policy).c_str()
                             : json::parse(campaign::PolicyToJson(*policy)).dump(2).c_str());
  return 0;
}

int RunRegisterImport(const GlobalOptions& g, const CampaignArgs& a) {
  auto db = OpenDb(g.db_path);
  if (!db.ok()) return Fail(db.status());
  auto r = campaign::ImportSuppressionList(**db, a.list, a.channel, a.file, a.region, SystemClock::Get());
  if (!r.ok()) return Fail(r.status());
  (void)AuditFromCli(**db, "campaign.register_import", "suppression_list", a.list);
  if (g.json) {
    std::printf("%s\n", ordered_json({{"added", r->added}, {"rejected", r->rejected}}).dump().c_str());
  } else {
    std::printf("added %lld values to opt-out register \"%s\" (%s)\n", static_cast<long long>(r->added),
                a.list.c_str(), a.channel.c_str());
    for (auto& line : r->rejected) std::fprintf(stderr, "  rejected %s\n", line.c_str());
  }
  return 0;
}

int RunReceiptUrl(const GlobalOptions& g, const CampaignArgs& a) {
  auto db = OpenDb(g.db_path);
  if (!db.ok()) return Fail(db.status());
  auto path = campaign::SmsReceiptPath(**db);
  if (!path.ok()) return Fail(path.status());
  std::printf("%s%s\n", a.base_url.c_str(), path->c_str());
  return 0;
}

}  // namespace

void AddCampaignCommands(CLI::App& app, const GlobalOptions& globals, Action& action) {
  static CampaignArgs args;
  auto* cmd = app.add_subcommand("campaign", "Campaigns: create, preview, send, results (docs/campaigns.md)");
  cmd->require_subcommand(1);
  auto bind = [&action, &globals](CLI::App* sub, int (*run)(const GlobalOptions&, const CampaignArgs&)) {
    sub->callback([&action, &globals, run] { action = [&globals, run] { return run(globals, args); }; });
  };
  auto name = [](CLI::App* sub) { sub->add_option("name", args.name, "Campaign name or id")->required(); };

  auto* create = cmd->add_subcommand("create", "Create a draft campaign from a JSON file or from flags");
  create->add_option("--file", args.file, "The campaign as JSON (docs/campaigns.md)");
  create->add_option("--name", args.name, "Name (overrides the file's)");
  create->add_option("--channel", args.channel, "email, sms, call_list, mail_list or webhook");
  create->add_option("--audience", args.audience, "The audience, in the segment language");
  create->add_option("--purpose", args.purpose, "Consent purpose (default marketing)");
  create->add_option("--holdout", args.holdout, "Holdout control group, percent")->check(CLI::Range(0.0, 99.0));
  create->add_option("--subject", args.subject, "Subject (mustache template)");
  create->add_option("--text", args.text, "Text body (mustache template)");
  create->add_option("--html", args.html, "HTML body (mustache template)");
  create->add_option("--from", args.from_address, "Sender address");
  create->add_option("--from-name", args.from_name, "Sender name");
  bind(create, RunCreate);

  bind(cmd->add_subcommand("list", "Campaigns, newest first"), RunList);
  auto* show = cmd->add_subcommand("show", "One campaign's definition");
  name(show);
  bind(show, RunShow);

  auto* preview = cmd->add_subcommand("preview", "Who would get what, and why the others would not (no sending)");
  name(preview);
  preview->add_option("--customer", args.customer, "Render the message for this customer instead");
  preview->add_option("--variant", args.variant, "With --customer: this variant");
  preview->add_option("--sample", args.sample, "With --json: include this many recipients");
  preview->add_option("--now", args.now, "Plan as of this time");
  preview->add_option("--base-url", args.base_url, "With --customer: show tracked links under this address");
  bind(preview, RunPreview);

  auto* proofs = cmd->add_subcommand("proofs", "Render every target's message to JSON lines for review (no sending)");
  name(proofs);
  proofs->add_option("--out", args.out, "The file to write (default: standard output)");
  proofs->add_option("--base-url", args.base_url, "Show tracked links under this address");
  proofs->add_option("--limit", args.limit, "At most this many messages");
  proofs->add_option("--threads", args.threads, "Rendering threads (default: one per core)")->check(CLI::Range(1, 64));
  bind(proofs, RunProofs);

  auto* prepare = cmd->add_subcommand("prepare", "Write the outbox (audience, suppression, holdout, send times)");
  name(prepare);
  prepare->add_option("--now", args.now, "Plan as of this time");
  bind(prepare, RunPrepare);

  auto* send = cmd->add_subcommand("send", "Send every due message (prepares a draft first)");
  name(send);
  send->add_option("--smtp", args.smtp_url, "Email: smtp://[user:pass@]host:port[?tls=starttls&rate=N&connections=N] "
                                             "(or PATRON_SMTP_URL)");
  send->add_option("--sms-gateway", args.sms_gateway, "SMS: the gateway's JSON configuration file (or PATRON_SMS_GATEWAY)");
  send->add_option("--out", args.out, "Call and direct-mail lists: the CSV file to write (.xlsx: a workbook, "
                                      "made from the CSV beside it)");
  send->add_option("--base-url", args.base_url, "Track opens and clicks and sign unsubscribe links under this address");
  send->add_option("--limit", args.limit, "Stop after this many messages");
  send->add_option("--now", args.now, "Plan a draft as of this time");
  bind(send, RunSend);

  for (auto [verb, status, help] : {std::tuple{"pause", "paused", "Stop sending until resumed"},
                                    std::tuple{"resume", "scheduled", "Let a paused campaign send again"},
                                    std::tuple{"cancel", "cancelled", "Stop for good"}}) {
    auto* sub = cmd->add_subcommand(verb, help);
    name(sub);
    std::string target = status;
    sub->callback([&action, &globals, target] {
      action = [&globals, target] { return RunSetStatus(globals, args, target); };
    });
  }
  auto* status = cmd->add_subcommand("status", "The outbox: how many are pending, sent, failed ...");
  name(status);
  bind(status, RunStatus);
  auto* results = cmd->add_subcommand("results", "Delivery, responses, conversions, lift over the holdout, ROI");
  name(results);
  bind(results, RunResults);

  auto* policy = cmd->add_subcommand("policy", "Show or change the contact policy (caps, quiet hours, flags)");
  policy->add_option("--set", args.set_json, "JSON with the settings to change, e.g. '{\"frequency_caps\":{\"email\":"
                                             "{\"max_messages\":2,\"days\":7}}}'");
  bind(policy, RunPolicy);

  auto* receipts = cmd->add_subcommand("receipt-url", "The address to give the SMS gateway for delivery receipts");
  receipts->add_option("--base-url", args.base_url, "The server's public address, e.g. https://patron.example.com");
  bind(receipts, RunReceiptUrl);

  auto* reg = cmd->add_subcommand("suppressions", "Opt-out registers (do-not-call, SMS opt-out lists)");
  reg->require_subcommand(1);
  auto* imp = reg->add_subcommand("import", "Import a register file: one email or phone number per line");
  imp->add_option("file", args.file, "The file")->required();
  imp->add_option("--list", args.list, "The register's name, e.g. nix-telefon")->required();
  imp->add_option("--channel", args.channel, "phone, sms, email or mail")->required();
  imp->add_option("--region", args.region, "Default country for numbers without +, e.g. SE");
  bind(imp, RunRegisterImport);
}

}  // namespace patron::cli
