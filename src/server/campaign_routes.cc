// Campaign routes: the API (/api/v1/campaigns...), sending in the background
// with progress, and the public links in every message — the open pixel, the
// click redirect and the unsubscribe page with RFC 8058 one-click POST.
#include <nlohmann/json.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include <unistd.h>

#include "campaign/campaign.h"
#include "engine/engine.h"
#include "server/server_internal.h"

namespace patron::server {

using nlohmann::json;
using nlohmann::ordered_json;

namespace {

// ---------------------------------------------------------------------------
// Background sending: one job per campaign at a time.
// ---------------------------------------------------------------------------

struct SendJob {
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> done{0}, total{0};
  std::atomic<int> state{0};  // 0 running, 1 finished, 2 failed
  std::mutex mu;
  std::string report_json, error;
  std::thread thread;
};

class SendJobs {
 public:
  static SendJobs& Get() {
    static auto* jobs = new SendJobs();
    return *jobs;
  }
  // nullptr when one is already running for this campaign.
  std::shared_ptr<SendJob> Start(const std::string& key) {
    std::lock_guard lock(mu_);
    auto& slot = jobs_[key];
    if (slot && slot->state.load() == 0) return nullptr;
    if (slot && slot->thread.joinable()) slot->thread.join();
    slot = std::make_shared<SendJob>();
    return slot;
  }
  std::shared_ptr<SendJob> Find(const std::string& key) {
    std::lock_guard lock(mu_);
    auto it = jobs_.find(key);
    return it == jobs_.end() ? nullptr : it->second;
  }
  // Asks every job of `db_path` to stop after its current message, and waits.
  void StopAll(const std::string& db_path) {
    std::vector<std::shared_ptr<SendJob>> mine;
    {
      std::lock_guard lock(mu_);
      for (auto& [key, job] : jobs_)
        if (key.rfind(db_path + "#", 0) == 0) mine.push_back(job);
    }
    for (auto& job : mine) job->stop = true;
    for (auto& job : mine)
      if (job->thread.joinable()) job->thread.join();
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<SendJob>> jobs_;
};

std::string JobKey(const ServerState& state, int64_t campaign_id) {
  return state.config.db_path + "#" + std::to_string(campaign_id);
}

// Where links in messages point: public_url, else the address this request came to.
std::string PublicUrl(Context& ctx) {
  if (!ctx.state.config.public_url.empty()) return ctx.state.config.public_url;
  std::string host = ctx.req.get_header_value("Host");
  if (host.empty() || host.find_first_of(" /\\\"<>") != std::string::npos)
    host = ctx.state.config.host + ":" + std::to_string(ctx.state.config.port);
  return "http://" + host;
}

bool LoadFromPath(Context& ctx, Database& db, campaign::Campaign* out) {
  auto c = campaign::LoadCampaign(db, PathText(ctx));
  if (!c.ok()) {
    SendError(ctx.res, c.status(), "id");
    return false;
  }
  *out = std::move(*c);
  return true;
}

ordered_json CampaignJson(Database& db, ServerState& state, const campaign::Campaign& c) {
  ordered_json j = ordered_json::parse(campaign::ToJson(c));
  auto outbox = campaign::OutboxStatus(db, c);
  if (outbox.ok()) j["outbox"] = *outbox;
  if (auto job = SendJobs::Get().Find(JobKey(state, c.id))) {
    ordered_json sending = {{"state", job->state == 0 ? "running" : job->state == 1 ? "finished" : "failed"},
                            {"done", job->done.load()},
                            {"total", job->total.load()}};
    std::lock_guard lock(job->mu);
    if (!job->report_json.empty()) sending["report"] = json::parse(job->report_json);
    if (!job->error.empty()) sending["error"] = job->error;
    j["sending"] = sending;
  }
  return j;
}

void ListCampaignsRoute(Context& ctx) {
  Database* db = DbOr503(ctx);
  if (!db) return;
  auto list = campaign::ListCampaigns(*db);
  if (!list.ok()) return SendError(ctx.res, list.status());
  ordered_json out = ordered_json::array();
  for (const auto& c : *list) out.push_back(CampaignJson(*db, ctx.state, c));
  SendJson(ctx.res, 200, Dump({{"campaigns", out}}));
}

void CreateCampaignRoute(Context& ctx) {
  Database* db = DbOr503(ctx);
  if (!db) return;
  size_t bad = 0;
  if (!IsValidUtf8(ctx.req.body, &bad))
    return SendError(ctx.res, InvalidArgument("request body is not valid UTF-8 (byte " + std::to_string(bad) + ")"));
  auto spec = campaign::SpecFromJson(ctx.req.body);
  if (!spec.ok()) return SendError(ctx.res, spec.status());
  auto c = campaign::CreateCampaign(*db, *spec, ctx.caller.name, ctx.state.clock);
  if (!c.ok()) return SendError(ctx.res, c.status());
  (void)AuditNow(ctx, *db, "campaign.create", "campaign", std::to_string(c->id), 0, {});
  ctx.res.set_header("Location", "/api/v1/campaigns/" + std::to_string(c->id));
  SendJson(ctx.res, 201, Dump(CampaignJson(*db, ctx.state, *c)));
}

void GetCampaignRoute(Context& ctx) {
  Database* db = DbOr503(ctx);
  campaign::Campaign c;
  if (!db || !LoadFromPath(ctx, *db, &c)) return;
  SendJson(ctx.res, 200, Dump(CampaignJson(*db, ctx.state, c)));
}

// The plan without writing it: counts by group, reason and variant, and with
// ?sample=N the first N audience members (ids and groups only).
void PreviewCampaignRoute(Context& ctx) {
  Database* db = DbOr503(ctx);
  campaign::Campaign c;
  if (!db || !LoadFromPath(ctx, *db, &c)) return;
  auto snapshot = CurrentSnapshot(ctx, *db);
  if (!snapshot.ok()) return SendError(ctx.res, snapshot.status());
  auto plan = campaign::PlanCampaign(*db, **snapshot, c, {ctx.state.clock.Now(), 365});
  if (!plan.ok()) return SendError(ctx.res, plan.status(), "audience");
  size_t sample = 0;
  if (ctx.req.has_param("sample")) {
    std::string v = ctx.req.get_param_value("sample");
    if (v.empty() || v.size() > 3 || v.find_first_not_of("0123456789") != std::string::npos)
      return SendError(ctx.res, InvalidArgument("sample must be a whole number up to 999"), "sample");
    sample = std::stoul(v);
  }
  SendJson(ctx.res, 200, campaign::PlanToJson(c, *plan, sample));
}

void RenderCampaignRoute(Context& ctx) {
  Database* db = DbOr503(ctx);
  campaign::Campaign c;
  if (!db || !LoadFromPath(ctx, *db, &c)) return;
  std::string customer = ctx.req.get_param_value("customer");
  if (customer.empty() || customer.size() > 18 || customer.find_first_not_of("0123456789") != std::string::npos)
    return SendError(ctx.res, InvalidArgument("customer: give ?customer=ID"), "customer");
  int64_t id = std::stoll(customer);
  auto m = campaign::RenderFor(*db, c, id, {}, ctx.req.get_param_value("variant"));
  if (!m.ok()) return SendError(ctx.res, m.status());
  Audit(ctx, "campaign.render", "campaign", std::to_string(c.id), id, {});
  SendJson(ctx.res, 200,
           Dump({{"customer_id", id}, {"variant", m->variant}, {"language", m->language}, {"dir", m->dir},
                 {"subject", m->subject}, {"text", m->text}, {"html", m->html}}));
}

void PrepareCampaignRoute(Context& ctx) {
  Database* db = DbOr503(ctx);
  campaign::Campaign c;
  if (!db || !LoadFromPath(ctx, *db, &c)) return;
  auto snapshot = CurrentSnapshot(ctx, *db);
  if (!snapshot.ok()) return SendError(ctx.res, snapshot.status());
  auto plan = campaign::PrepareCampaign(*db, **snapshot, c, {ctx.state.clock.Now(), 365}, ctx.state.clock);
  if (!plan.ok()) return SendError(ctx.res, plan.status());
  (void)AuditNow(ctx, *db, "campaign.prepare", "campaign", std::to_string(c.id), 0, {});
  SendJson(ctx.res, 200, campaign::PlanToJson(c, *plan));
}

std::string ListPath(const ServerState& state, int64_t campaign_id) {
  std::filesystem::path db(state.config.db_path);
  return (db.parent_path() / (db.filename().string() + ".exports") / ("campaign-" + std::to_string(campaign_id) + ".csv"))
      .string();
}

// Sends `c`'s due rows on a background thread (one per campaign at a time).
// Refuses now, not in the background, when the channel cannot send;
// kFailedPrecondition when the campaign is already sending.
Status StartSending(ServerState& state, Database& db, const campaign::Campaign& c, const std::string& base_url) {
  campaign::TransportConfig transport_config{state.config.smtp_url, state.config.sms_gateway, "", "", ""};
  if (c.channel == campaign::Channel::kCallList || c.channel == campaign::Channel::kMailList) {
    transport_config.list_path = ListPath(state, c.id);
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(transport_config.list_path).parent_path(), ec);
  }
  ASSIGN_OR_RETURN(auto probe, campaign::MakeTransport(db, c, transport_config));
  ASSIGN_OR_RETURN(std::string secret, campaign::LinkSecret(db));
  auto job = SendJobs::Get().Start(JobKey(state, c.id));
  if (!job) return FailedPrecondition("campaign \"" + c.name + "\" is already sending");
  std::shared_ptr<campaign::Transport> transport = std::move(probe);
  campaign::SendOptions options;
  options.links = {base_url, secret};
  const std::string db_path = state.config.db_path;
  const bool synchronous_full = state.config.synchronous_full;
  const Clock& clock = state.clock;
  job->thread = std::thread([job, c = campaign::Campaign(c), transport, options, db_path, synchronous_full, &clock]() mutable {
    options.stop = &job->stop;
    options.progress = [job](uint64_t done, uint64_t total) {
      job->done = done;
      job->total = total;
    };
    DatabaseOptions db_options;
    db_options.synchronous_full = synchronous_full;
    auto db = Database::Open(db_path, db_options);
    Result<campaign::SendReport> report =
        db.ok() ? campaign::SendDue(**db, c, *transport, clock, options) : Result<campaign::SendReport>(db.status());
    std::lock_guard lock(job->mu);
    if (report.ok()) {
      job->report_json = ordered_json({{"sent", report->sent},       {"failed", report->failed},
                                       {"bounced", report->bounced}, {"retried", report->retried},
                                       {"deferred", report->deferred}, {"skipped", report->skipped},
                                       {"resumed", report->resumed}, {"remaining", report->remaining},
                                       {"status", c.status},         {"ms", report->ms}})
                             .dump();
      job->state = 1;
    } else {
      job->error = report.status().message();
      job->state = 2;
    }
  });
  return Status::Ok();
}

// Prepares a draft, then sends in the background; answers 202 at once.
// GET /api/v1/campaigns/{id} shows the progress.
void SendCampaignRoute(Context& ctx) {
  Database* db = DbOr503(ctx);
  campaign::Campaign c;
  if (!db || !LoadFromPath(ctx, *db, &c)) return;
  if (c.status == "draft") {
    auto snapshot = CurrentSnapshot(ctx, *db);
    if (!snapshot.ok()) return SendError(ctx.res, snapshot.status());
    auto plan = campaign::PrepareCampaign(*db, **snapshot, c, {ctx.state.clock.Now(), 365}, ctx.state.clock);
    if (!plan.ok()) return SendError(ctx.res, plan.status());
  }
  if (c.status != "scheduled" && c.status != "sending")
    return SendError(ctx.res, FailedPrecondition("campaign \"" + c.name + "\" is " + c.status + "; it cannot send"));
  auto started = StartSending(ctx.state, *db, c, PublicUrl(ctx));
  if (!started.ok()) return SendError(ctx.res, started);
  (void)AuditNow(ctx, *db, "campaign.send", "campaign", std::to_string(c.id), 0, {});
  ctx.res.set_header("Location", "/api/v1/campaigns/" + std::to_string(c.id));
  SendJson(ctx.res, 202, Dump(CampaignJson(*db, ctx.state, c)));
}

void StatusChange(Context& ctx, std::string_view status) {
  Database* db = DbOr503(ctx);
  campaign::Campaign c;
  if (!db || !LoadFromPath(ctx, *db, &c)) return;
  if (status != "scheduled") {
    if (auto job = SendJobs::Get().Find(JobKey(ctx.state, c.id))) job->stop = true;
  }
  Status s = campaign::SetCampaignStatus(*db, c, status, ctx.state.clock);
  if (!s.ok()) return SendError(ctx.res, s);
  (void)AuditNow(ctx, *db, "campaign.status", "campaign", std::to_string(c.id), 0, {{"status", status}});
  SendJson(ctx.res, 200, Dump(CampaignJson(*db, ctx.state, c)));
}

void ResultsRoute(Context& ctx) {
  Database* db = DbOr503(ctx);
  campaign::Campaign c;
  if (!db || !LoadFromPath(ctx, *db, &c)) return;
  auto r = campaign::Results(*db, c, ctx.state.clock);
  if (!r.ok()) return SendError(ctx.res, r.status());
  SendJson(ctx.res, 200, campaign::ResultsToJson(c, *r));
}

void ListFileRoute(Context& ctx) {
  Database* db = DbOr503(ctx);
  campaign::Campaign c;
  if (!db || !LoadFromPath(ctx, *db, &c)) return;
  const std::string csv = ListPath(ctx.state, c.id);
  if (!std::filesystem::exists(csv))
    return SendError(ctx.res, NotFound("campaign \"" + c.name + "\" has written no list yet; send it first"));
  const std::string format = ctx.req.has_param("format") ? ctx.req.get_param_value("format") : "csv";
  if (format != "csv" && format != "xlsx") return SendError(ctx.res, InvalidArgument("format: csv or xlsx"), "format");
  std::string file = csv;
  if (format == "xlsx") {
    // Made afresh from the CSV each time: the list grows while the campaign sends.
    file = csv + "." + std::to_string(::getpid()) + "." + std::to_string(std::hash<std::thread::id>()(std::this_thread::get_id())) + ".xlsx";
    auto rows = campaign::WriteListXlsx(csv, file, c.name);
    if (!rows.ok()) return SendError(ctx.res, rows.status());
  }
  std::ifstream in(file, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  if (format == "xlsx") std::filesystem::remove(file);
  if (!in) return SendError(ctx.res, IoError("cannot read the list"));
  Audit(ctx, "campaign.list_download", "campaign", std::to_string(c.id), 0, {{"format", format}});
  ctx.res.set_header("Content-Disposition",
                     "attachment; filename=\"campaign-" + std::to_string(c.id) + "." + format + "\"");
  ctx.res.set_content(ss.str(), format == "xlsx" ? "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                                                 : "text/csv; charset=utf-8");
}

void GetPolicyRoute(Context& ctx) {
  Database* db = DbOr503(ctx);
  if (!db) return;
  auto p = campaign::LoadPolicy(*db);
  if (!p.ok()) return SendError(ctx.res, p.status());
  SendJson(ctx.res, 200, campaign::PolicyToJson(*p));
}

void PutPolicyRoute(Context& ctx) {
  Database* db = DbOr503(ctx);
  if (!db) return;
  auto p = campaign::LoadPolicy(*db);
  if (!p.ok()) return SendError(ctx.res, p.status());
  auto updated = campaign::PolicyFromJson(ctx.req.body, *p);
  if (!updated.ok()) return SendError(ctx.res, updated.status());
  Status s = campaign::SavePolicy(*db, *updated, ctx.state.clock);
  if (!s.ok()) return SendError(ctx.res, s);
  (void)AuditNow(ctx, *db, "campaign.policy", "policy", "contact", 0, {});
  SendJson(ctx.res, 200, campaign::PolicyToJson(*updated));
}

// ---------------------------------------------------------------------------
// Public links in messages. Tokens are signed; a bad one gets 404 and learns nothing.
// ---------------------------------------------------------------------------

Result<campaign::LinkToken> Token(Context& ctx, Database& db, std::string_view kind) {
  ASSIGN_OR_RETURN(std::string secret, campaign::LinkSecret(db));
  std::string token = PathText(ctx);
  if (token.size() > 4096) return NotFound("no such link");
  auto t = campaign::VerifyLink(token, secret);
  if (!t.ok() || t->kind != kind) return NotFound("no such link");
  return t;
}

void OpenPixelRoute(Context& ctx) {
  static const unsigned char kGif[] = {0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00,
                                       0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00,
                                       0x00, 0x2c, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02,
                                       0x44, 0x01, 0x00, 0x3b};
  Database* db = DbOr503(ctx);
  if (!db) return;
  auto t = Token(ctx, *db, "o");
  if (t.ok()) (void)campaign::RecordResponse(*db, t->campaign_id, t->customer_id, "open", ctx.state.clock);
  // The pixel is answered either way: a mail client shows no broken image.
  ctx.res.set_content(std::string(reinterpret_cast<const char*>(kGif), sizeof kGif), "image/gif");
}

void ClickRoute(Context& ctx) {
  Database* db = DbOr503(ctx);
  if (!db) return;
  auto t = Token(ctx, *db, "c");
  if (!t.ok()) return SendError(ctx.res, t.status());
  if (t->url.rfind("http://", 0) != 0 && t->url.rfind("https://", 0) != 0)
    return SendError(ctx.res, NotFound("no such link"));
  (void)campaign::RecordResponse(*db, t->campaign_id, t->customer_id, "click", ctx.state.clock, t->url);
  ctx.res.status = 302;
  ctx.res.set_header("Location", t->url);
}

std::string EscapeHtml(std::string_view s) {
  std::string out;
  for (char ch : s) {
    if (ch == '<') out += "&lt;";
    else if (ch == '>') out += "&gt;";
    else if (ch == '&') out += "&amp;";
    else if (ch == '"') out += "&quot;";
    else out.push_back(ch);
  }
  return out;
}

std::string UnsubscribePage(const std::string& heading, const std::string& body, const std::string& form) {
  return "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">"
         "<title>" + heading + "</title><style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;"
         "padding:0 1rem}button{font-size:1rem;padding:.6rem 1.2rem}</style></head><body><h1>" + heading + "</h1><p>" +
         body + "</p>" + form + "</body></html>";
}

// GET shows a confirmation (link scanners fetch links; a GET must not unsubscribe);
// POST unsubscribes — the page's button, and RFC 8058 one-click from the mail client.
void UnsubscribeGetRoute(Context& ctx) {
  Database* db = DbOr503(ctx);
  if (!db) return;
  auto t = Token(ctx, *db, "u");
  if (!t.ok()) return SendError(ctx.res, t.status());
  auto c = campaign::LoadCampaign(*db, std::to_string(t->campaign_id));
  std::string what = c.ok() ? std::string(campaign::ChannelName(c->channel)) + " messages (" + EscapeHtml(c->purpose) + ")"
                            : "these messages";
  ctx.res.set_content(UnsubscribePage("Unsubscribe", "Stop receiving " + what + "?",
                                      "<form method=\"post\"><button type=\"submit\">Unsubscribe</button></form>"),
                      "text/html; charset=utf-8");
}

void UnsubscribePostRoute(Context& ctx) {
  Database* db = DbOr503(ctx);
  if (!db) return;
  auto t = Token(ctx, *db, "u");
  if (!t.ok()) return SendError(ctx.res, t.status());
  Status s = campaign::RecordResponse(*db, t->campaign_id, t->customer_id, "unsubscribe", ctx.state.clock);
  if (!s.ok()) return SendError(ctx.res, s);
  ctx.res.set_content(UnsubscribePage("Unsubscribed", "You will not receive these messages any more.", ""),
                      "text/html; charset=utf-8");
}

// Delivery receipts from the SMS gateway (its webhook), at the signed path
// `patron campaign receipt-url` prints.
void SmsReceiptRoute(Context& ctx) {
  Database* db = DbOr503(ctx);
  if (!db) return;
  auto t = Token(ctx, *db, "r");
  if (!t.ok()) return SendError(ctx.res, t.status());
  if (ctx.state.config.sms_gateway.empty())
    return SendError(ctx.res, FailedPrecondition("no sms_gateway is configured on this server"));
  Status s = campaign::RecordSmsReceipt(*db, ctx.state.config.sms_gateway, ctx.req.body, ctx.state.clock);
  if (!s.ok()) return SendError(ctx.res, s);
  SendJson(ctx.res, 200, R"({"status":"recorded"})");
}

}  // namespace

void StopCampaignSenders(const std::string& db_path) { SendJobs::Get().StopAll(db_path); }

PeriodicTask CampaignSchedulerTask() {
  // The task's own connection, opened on first use and kept.
  auto db = std::make_shared<std::unique_ptr<Database>>();
  return {"campaigns", std::chrono::milliseconds(5000), [db](ServerState& state) -> Status {
            if (!*db) {
              DatabaseOptions options;
              options.synchronous_full = state.config.synchronous_full;
              ASSIGN_OR_RETURN(*db, Database::Open(state.config.db_path, options));
            }
            std::vector<int64_t> due;
            Statement& q = (*db)->Query("campaign-sending-with-due-rows");
            q.Bind(":now", state.clock.Now().micros);
            while (true) {
              auto r = q.Step();
              if (!r.ok()) {
                q.Reset();
                return r.status();
              }
              if (!*r) break;
              due.push_back(q.Int(0));
            }
            q.Reset();
            const std::string base_url = state.config.public_url.empty()
                                             ? "http://" + state.config.host + ":" + std::to_string(state.config.port)
                                             : state.config.public_url;
            Status first_error;
            for (int64_t id : due) {
              if (state.shutting_down) break;
              if (auto job = SendJobs::Get().Find(JobKey(state, id)); job && job->state.load() == 0) continue;
              auto c = campaign::LoadCampaign(**db, std::to_string(id));
              if (!c.ok()) continue;  // deleted since
              Status st = StartSending(state, **db, *c, base_url);
              // Already sending (a user pressed send meanwhile) is fine; anything else is reported.
              if (!st.ok() && st.code() != StatusCode::kFailedPrecondition && first_error.ok())
                first_error = st.WithContext("campaign \"" + c->name + "\"");
            }
            return first_error;
          }};
}

std::vector<RouteSpec> CampaignRoutes() {
  return {
      {"GET", "/api/v1/campaigns", "read_reports", "Campaigns, newest first, with their outbox counts.",
       ListCampaignsRoute},
      {"POST", "/api/v1/campaigns", "manage_campaigns", "Create a draft campaign (docs/campaigns.md).",
       CreateCampaignRoute},
      {"GET", "/api/v1/campaigns/{id}", "read_reports", "One campaign: definition, outbox counts, sending progress.",
       GetCampaignRoute},
      {"POST", "/api/v1/campaigns/{id}/preview", "read_reports",
       "Who would get what and why others would not: counts by group, reason and variant.", PreviewCampaignRoute},
      {"GET", "/api/v1/campaigns/{id}/render", "read_personal_data", "The message as one customer would get it.",
       RenderCampaignRoute},
      {"POST", "/api/v1/campaigns/{id}/prepare", "manage_campaigns", "Write the outbox; the campaign is scheduled.",
       PrepareCampaignRoute},
      {"POST", "/api/v1/campaigns/{id}/send", "manage_campaigns", "Send in the background (prepares a draft first).",
       SendCampaignRoute},
      {"POST", "/api/v1/campaigns/{id}/pause", "manage_campaigns", "Stop sending until resumed.",
       [](Context& ctx) { StatusChange(ctx, "paused"); }},
      {"POST", "/api/v1/campaigns/{id}/resume", "manage_campaigns", "Let a paused campaign send again.",
       [](Context& ctx) { StatusChange(ctx, "scheduled"); }},
      {"POST", "/api/v1/campaigns/{id}/cancel", "manage_campaigns", "Stop for good.",
       [](Context& ctx) { StatusChange(ctx, "cancelled"); }},
      {"GET", "/api/v1/campaigns/{id}/results", "read_reports",
       "Delivery, responses, conversions, lift over the holdout (95 % CI), cost and ROI.", ResultsRoute},
      {"GET", "/api/v1/campaigns/{id}/list", "read_personal_data", "A call or direct-mail list campaign's CSV.",
       ListFileRoute},
      {"GET", "/api/v1/campaign-policy", "read_reports", "The contact policy: caps, quiet hours, weekends, flags.",
       GetPolicyRoute},
      {"PUT", "/api/v1/campaign-policy", "manage_campaigns", "Change contact-policy settings (the ones given).",
       PutPolicyRoute},
      {"GET", "/t/o/{token}", "", "Open pixel in email messages (signed link).", OpenPixelRoute},
      {"GET", "/t/c/{token}", "", "Click redirect in messages (signed link).", ClickRoute},
      {"GET", "/u/{token}", "", "Unsubscribe page (signed link).", UnsubscribeGetRoute},
      {"POST", "/u/{token}", "", "Unsubscribe: the page's button and RFC 8058 one-click.", UnsubscribePostRoute},
      {"POST", "/hooks/sms/{token}", "", "SMS delivery receipts from the gateway (signed path).", SmsReceiptRoute},
  };
}

}  // namespace patron::server
