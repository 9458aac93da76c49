// Internal to src/server: the pieces `patron serve` is built from.
#pragma once

#include <httplib.h>

#include <nlohmann/json_fwd.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "access/access.h"
#include "collect/collect.h"
#include "core/core.h"
#include "server/server.h"
#include "store/store.h"

namespace patron::engine {
class Snapshot;
}

namespace patron::server {

// Request counts and latencies per route, in Prometheus' text format.
class Metrics {
 public:
  static constexpr std::array<double, 12> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                      0.05,   0.1,   0.25,   0.5,   1.0,  2.5};
  // Routes are registered once, before serving; returns the route's index.
  int AddRoute(std::string method, std::string pattern);
  void Record(int route, int status, double seconds);
  // `extra` is appended verbatim (gauges and counters owned by others).
  std::string Render(const std::string& extra) const;

 private:
  struct Route {
    std::string method, pattern;
    std::array<std::atomic<uint64_t>, 6> by_class{};  // 1xx..5xx, [0] unused
    std::array<std::atomic<uint64_t>, kBuckets.size() + 1> buckets{};
    std::atomic<uint64_t> count{0};
    std::atomic<uint64_t> micros{0};
  };
  std::vector<std::unique_ptr<Route>> routes_;
};

// Structured access log: one JSON object per line, without personal data (no
// IP address, no query string, the route pattern instead of the path).
class AccessLog {
 public:
  // "-" for stderr, "off", or a file path (appended).
  Status Open(const std::string& target);
  ~AccessLog();
  void Write(std::string_view method, std::string_view route, int status, double seconds, size_t bytes_in,
             size_t bytes_out, int64_t events);

 private:
  std::mutex mu_;
  std::FILE* file_ = nullptr;
  bool owned_ = false;
};

// The answer to an error, as every route gives it:
// {"error": {"code": "invalid_argument", "message": "...", "field": "..."}}.
void SendError(httplib::Response& res, const Status& status, std::string_view field = {});
// The error code clients see: StatusCodeName in snake_case ("invalid_argument").
std::string ErrorCode(StatusCode code);
void SendJson(httplib::Response& res, int http_status, const std::string& json);

// Who is asking, once authenticated (auth.cc).
struct Caller {
  bool authenticated = false;
  std::string name;  // user name or key name, for the audit log
  std::string role;
  int64_t user_id = 0, key_id = 0;
  std::string csrf_token;  // when a session authenticated the request
};

class AuditSink;  // auth.cc
std::shared_ptr<AuditSink> MakeAuditSink(const std::string& db_path, const Clock& clock);
void StopAuditSink(AuditSink& sink);

// The web session cookie (HttpOnly, SameSite=Strict).
inline constexpr std::string_view kSessionCookie = "patron_session";

// What the server's automatic identity runs are doing (identity_routes.cc), for
// GET /api/v1/identity/status. Guarded by `mu`.
struct IdentityUpkeep {
  std::mutex mu;
  bool running = false;
  std::string stage;  // of the run in progress, with its progress
  int64_t done = 0, total = 0;
  std::optional<Instant> last_checked_at;  // when the task last looked for waiting records
  std::string last_error;                  // of the latest attempt; empty after a success
  std::string waiting;  // why waiting records are left alone; empty when they are not
  // The background rewrite of golden records after a survivorship change
  // (GoldenRewriteTask).
  bool rewriting = false;
  int64_t rewrite_done = 0, rewrite_total = 0;  // customer ids through, of
  std::string rewrite_error;                    // of the latest attempt
  std::optional<Instant> rewrite_failed_at;
};

// What every request may use. Lives as long as the server.
class ServerState {
 public:
  ServerState(const ServerConfig& config, const Clock& clock) : config(config), clock(clock) {}
  const ServerConfig config;
  const Clock& clock;
  std::unique_ptr<collect::Collector> collector;
  std::shared_ptr<AuditSink> audit;
  access::KeyCache keys;
  std::atomic<bool> shutting_down{false};
  IdentityUpkeep identity_upkeep;
  // The calling request's connection to the store: taken from a pool on first
  // use in a request and given back when the request ends (RequestScope), so
  // that connections — each prepares every named query when opened — are
  // opened once and reused whatever worker thread a connection lands on.
  Result<Database*> Db();

  // Opens `n` connections ahead of the first requests (each takes milliseconds
  // to open: it prepares every named query).
  Status WarmPool(int n);

  // Marks one request on this thread; returns its connection to the pool.
  class RequestScope {
   public:
    explicit RequestScope(ServerState& state) : state_(state) {}
    ~RequestScope();

   private:
    ServerState& state_;
  };

 private:
  std::mutex pool_mu_;
  std::vector<std::unique_ptr<Database>> pool_;
};

// What a route handler gets: the request, the response, the caller, and the
// server's shared parts. `db()` is this worker thread's own connection.
struct Context {
  const httplib::Request& req;
  httplib::Response& res;
  Caller caller;
  ServerState& state;
  const httplib::ContentReader* reader = nullptr;  // raw_body routes only
  int64_t events = 0;   // events stored by this request, for the access log
  size_t bytes_in = 0;  // body bytes of a raw_body route, for the access log
  bool body_read = false;  // a raw_body route read its body (else the connection closes)
};

using RouteHandler = std::function<void(Context&)>;

// One route: method, path (OpenAPI form, "/api/v1/customers/{id}"), the
// permission it requires ("" when public, "collect" for write-key routes), a
// summary for the docs page, and the handler. `raw_body` routes read their body
// themselves (collection and uploads: bounded, streamed, decompressed).
struct RouteSpec {
  std::string method;
  std::string path;
  std::string permission;
  std::string summary;
  RouteHandler handler;
  bool raw_body = false;
};

// The REST routes (api.cc) and the collection routes (collect_routes.cc).
std::vector<RouteSpec> ApiRoutes();
std::vector<RouteSpec> CollectionRoutes();

// Reads a request body through cpp-httplib's content reader (gzip already
// decoded), refusing more than `limit` bytes. false: too large (`*body` partial).
bool ReadBody(const httplib::ContentReader& reader, size_t limit, std::string* body);

// Authentication (auth.cc): a session cookie or bearer API key for /api/v1,
// a write key for /v1. Sets ctx.caller; false after answering 401/403.
bool Authorize(Context& ctx, const std::string& permission);

// The CSRF token of a web session: a keyed hash of its token (auth.cc).
std::string CsrfTokenFor(std::string_view session_token);
// Refuses a request the browser marks as cross-site (Sec-Fetch-Site) or whose
// Origin is not this server's Host; requests without those headers pass.
Status CheckSameOrigin(const httplib::Request& req);
// Whether the session cookie gets the Secure attribute (secure_cookies: on,
// off, or auto = when a TLS proxy says X-Forwarded-Proto: https).
bool SecureCookies(const ServerConfig& config, const httplib::Request& req);

// The web application's files from `web_root` (web_routes.cc): registered
// after every other route; nothing when web_root is empty.
void AddWebRoutes(httplib::Server& http, const std::string& web_root);

// The audit log (auth.cc). Reads of personal data are queued and written in
// groups by one thread (a lookup does not wait for a commit); changes are
// written with the change, in the caller's transaction on `db`.
// `detail_json` names ids and fields, never personal values.
void AuditRead(Context& ctx, std::string_view action, std::string_view target_type, std::string_view target_id,
               int64_t customer_id, const std::string& detail_json);
Status AuditChange(Context& ctx, Database& db, std::string_view action, std::string_view target_type,
                   std::string_view target_id, int64_t customer_id, const std::string& detail_json);

// The source (sources.name) events sent with this write key are stored under;
// kUnauthenticated when the key is unknown or revoked.
Result<std::string> ResolveWriteKey(ServerState& state, std::string_view write_key);

// The OpenAPI 3 document's static part (src/server/openapi.json, embedded at
// build time): components, and request/response details per "METHOD /path".
std::string_view OpenApiDocument();
// The served document: every route of `routes` with its summary and permission,
// completed by the static details (openapi.cc).
std::string BuildOpenApi(const std::vector<RouteSpec>& routes);
// Details in openapi.json for "METHOD /path" keys no route has (a stale doc).
std::vector<std::string> UndocumentedDetails(const std::vector<RouteSpec>& routes);
// A readable page listing every route (GET /docs).
std::string DocsPage(const std::vector<RouteSpec>& routes);

// Helpers every route file shares (api.cc).
std::string Dump(const nlohmann::ordered_json& j);
// Queues a read for the audit log; `detail` names ids and fields, never values.
void Audit(Context& ctx, std::string_view action, std::string_view type, const std::string& id, int64_t customer,
           const nlohmann::json& detail);
// Writes a change to the audit log now, on `db`.
Status AuditNow(Context& ctx, Database& db, std::string_view action, std::string_view type, const std::string& id,
                int64_t customer, const nlohmann::json& detail);
// The JSON object in the body, or false after answering 400 with where it went wrong.
bool ParseBody(Context& ctx, nlohmann::json* out);
// A string member; false after answering 400 when it has another type (or is missing and required).
bool StringField(Context& ctx, const nlohmann::json& body, const char* name, std::string* out, bool required = false);
std::string PathText(Context& ctx, size_t index = 1);
// The numeric id in the path ("/customers/{id}"); false after answering 400
// "'x' is not a customer id" (`what`: "customer", "review", ...).
bool PathId(Context& ctx, std::string_view what, int64_t* id);
// Whether customer record `id` exists; false after answering 404 (or the store's error).
bool CheckCustomer(Context& ctx, Database& db, int64_t id);
// ?limit= (1..500, default 50); false after answering 400.
bool LimitParam(Context& ctx, int* limit);
// This request's connection, or nullptr after answering 503.
Database* DbOr503(Context& ctx);
// The engine snapshot of the store, rebuilt when the store changed.
Result<std::shared_ptr<const engine::Snapshot>> CurrentSnapshot(Context& ctx, Database& db);

// Work the server does on a timer (periodic.cc): sending scheduled campaigns,
// running journeys' due steps, generating scheduled reports. `run` gets the
// server's state (its own pool connection through state.Db() is not
// available outside a request: open a Database on state.config.db_path) and
// returns an error to be logged; it is called again after `interval`.
struct PeriodicTask {
  std::string name;
  std::chrono::milliseconds interval{1000};
  std::function<Status(ServerState&)> run;
};
// The tasks `config` asks for.
std::vector<PeriodicTask> PeriodicTasks(const ServerConfig& config);

// Runs the periodic tasks, one thread each, until Stop() (at shutdown).
class PeriodicRunner {
 public:
  ~PeriodicRunner();
  void Start(ServerState& state, std::vector<PeriodicTask> tasks);
  // Wakes every task's wait and joins the threads (a running task finishes first).
  void Stop();
  bool stopping() const;

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

// The campaign routes (campaign_routes.cc): the API's and the public tracking
// and unsubscribe links.
std::vector<RouteSpec> CampaignRoutes();
// The journey routes and the periodic task running due journey steps (journey_routes.cc).
std::vector<RouteSpec> JourneyRoutes();
// Sends the due rows of campaigns released for sending (later send times, retries,
// deferrals, rows left in flight by a crash), every 5 s.
PeriodicTask CampaignSchedulerTask();
PeriodicTask JourneyPeriodicTask();
// The report routes (report_routes.cc) and the weekly report's schedule.
std::vector<RouteSpec> ReportRoutes();
PeriodicTask WeeklyReportTask();
// Resolves the customer records that arrived since the last identity run (identity_routes.cc).
PeriodicTask IdentityUpkeepTask(std::chrono::seconds interval);
// Rewrites the golden records when a survivorship or decay change marked them
// stale (identity::GoldenRecordsStaleSince); looks every `interval`.
PeriodicTask GoldenRewriteTask(std::chrono::milliseconds interval);
// The web application's routes: the identity review queue (identity_routes.cc)
// and administrators' settings (settings_routes.cc).
std::vector<RouteSpec> IdentityRoutes();
std::vector<RouteSpec> SettingsRoutes();
// The columns of a file about to be imported, with their suggested mapping (import_routes.cc).
std::vector<RouteSpec> ImportRoutes();
// Stops the background campaign senders of a database (at shutdown): each
// finishes its current messages and records them.
void StopCampaignSenders(const std::string& db_path);

}  // namespace patron::server
