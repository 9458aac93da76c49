// `patron serve`: cpp-httplib wiring, lifecycle, health, metrics and the access log.
//
// Why cpp-httplib: a maintained, Debian-packaged HTTP/1.1 implementation with
// keep-alive, chunked bodies, gzip request decoding and per-connection read and
// write timeouts, in one small dependency. Its thread-per-connection model is not
// the bottleneck here: a durable event costs a SQLite write, and 100 events per
// request means 500 requests/s for 50k events/s. The writer's group commit,
// not the HTTP layer, decides throughput (BENCHMARKS.md).
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdlib>
#include <set>
#include <cstdio>
#include <thread>

#include "collect/collect.h"
#include "segment/segment.h"
#include "server/server_internal.h"

namespace patron::server {

// ---------------------------------------------------------------------------
// Metrics
// ---------------------------------------------------------------------------

int Metrics::AddRoute(std::string method, std::string pattern) {
  auto r = std::make_unique<Route>();
  r->method = std::move(method);
  r->pattern = std::move(pattern);
  routes_.push_back(std::move(r));
  return static_cast<int>(routes_.size()) - 1;
}

void Metrics::Record(int route, int status, double seconds) {
  if (route < 0 || route >= static_cast<int>(routes_.size())) return;
  Route& r = *routes_[route];
  int cls = status / 100;
  if (cls >= 1 && cls <= 5) r.by_class[cls].fetch_add(1, std::memory_order_relaxed);
  size_t b = 0;
  while (b < kBuckets.size() && seconds > kBuckets[b]) ++b;
  r.buckets[b].fetch_add(1, std::memory_order_relaxed);
  r.count.fetch_add(1, std::memory_order_relaxed);
  r.micros.fetch_add(static_cast<uint64_t>(seconds * 1e6), std::memory_order_relaxed);
}

std::string Metrics::Render(const std::string& extra) const {
  std::string out;
  out += "# HELP patron_http_requests_total HTTP requests answered, by route and status class.\n";
  out += "# TYPE patron_http_requests_total counter\n";
  for (const auto& r : routes_) {
    for (int cls = 1; cls <= 5; ++cls) {
      uint64_t n = r->by_class[cls].load(std::memory_order_relaxed);
      if (n == 0) continue;
      out += "patron_http_requests_total{method=\"" + r->method + "\",route=\"" + r->pattern + "\",status=\"" +
             std::to_string(cls) + "xx\"} " + std::to_string(n) + "\n";
    }
  }
  out += "# HELP patron_http_request_duration_seconds Time from routing to response, by route.\n";
  out += "# TYPE patron_http_request_duration_seconds histogram\n";
  for (const auto& r : routes_) {
    uint64_t count = r->count.load(std::memory_order_relaxed);
    if (count == 0) continue;
    std::string labels = "method=\"" + r->method + "\",route=\"" + r->pattern + "\"";
    uint64_t cumulative = 0;
    for (size_t b = 0; b <= kBuckets.size(); ++b) {
      cumulative += r->buckets[b].load(std::memory_order_relaxed);
      char le[32];
      if (b < kBuckets.size()) {
        std::snprintf(le, sizeof le, "%g", kBuckets[b]);
      } else {
        std::snprintf(le, sizeof le, "+Inf");
      }
      out += "patron_http_request_duration_seconds_bucket{" + labels + ",le=\"" + le + "\"} " +
             std::to_string(cumulative) + "\n";
    }
    char sum[64];
    std::snprintf(sum, sizeof sum, "%.6f", r->micros.load(std::memory_order_relaxed) / 1e6);
    out += "patron_http_request_duration_seconds_sum{" + labels + "} " + sum + "\n";
    out += "patron_http_request_duration_seconds_count{" + labels + "} " + std::to_string(count) + "\n";
  }
  return out + extra;
}

// ---------------------------------------------------------------------------
// Access log
// ---------------------------------------------------------------------------

Status AccessLog::Open(const std::string& target) {
  if (target == "off" || target.empty()) return Status::Ok();
  if (target == "-") {
    file_ = stderr;
    return Status::Ok();
  }
  file_ = std::fopen(target.c_str(), "ae");
  if (!file_) return IoError("cannot open access log '" + target + "'");
  owned_ = true;
  return Status::Ok();
}

AccessLog::~AccessLog() {
  if (owned_ && file_) std::fclose(file_);
}

void AccessLog::Write(std::string_view method, std::string_view route, int status, double seconds, size_t bytes_in,
                      size_t bytes_out, int64_t events) {
  if (!file_) return;
  char line[512];
  std::string when = FormatInstant(SystemClock::Get().Now());
  int n = std::snprintf(line, sizeof line,
                        "{\"ts\":\"%s\",\"method\":\"%.*s\",\"route\":\"%.*s\",\"status\":%d,\"ms\":%.3f,"
                        "\"bytes_in\":%zu,\"bytes_out\":%zu,\"events\":%lld}\n",
                        when.c_str(), static_cast<int>(method.size()), method.data(),
                        static_cast<int>(std::min<size_t>(route.size(), 200)), route.data(), status, seconds * 1e3,
                        bytes_in, bytes_out, static_cast<long long>(events));
  if (n <= 0) return;
  std::lock_guard<std::mutex> lock(mu_);
  std::fwrite(line, 1, std::min<size_t>(static_cast<size_t>(n), sizeof line - 1), file_);
  std::fflush(file_);
}

// ---------------------------------------------------------------------------
// Responses
// ---------------------------------------------------------------------------

void SendJson(httplib::Response& res, int http_status, const std::string& json) {
  res.status = http_status;
  res.set_content(json, "application/json");
}

void SendError(httplib::Response& res, const Status& status, std::string_view field) {
  nlohmann::json err = {{"code", ErrorCode(status.code())}, {"message", status.message()}};
  if (!field.empty()) err["field"] = std::string(field);
  SendJson(res, HttpStatus(status.code()),
           nlohmann::json{{"error", err}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

std::string ErrorCode(StatusCode code) {
  std::string name(StatusCodeName(code));
  for (char& c : name) c = c == ' ' ? '_' : c;
  return name;
}

bool ReadBody(const httplib::ContentReader& reader, size_t limit, std::string* body) {
  bool too_large = false;
  reader([&](const char* data, size_t length) {
    if (body->size() + length > limit) {
      too_large = true;
      return false;
    }
    body->append(data, length);
    return true;
  });
  return !too_large;
}

namespace {

// A connection for request handlers: patron_fold() for name search, and no
// WAL checkpoints in a request (the event collector's checkpoint thread does them).
Result<std::unique_ptr<Database>> OpenRequestConnection(const std::string& path) {
  ASSIGN_OR_RETURN(std::unique_ptr<Database> db, Database::Open(path));
  RETURN_IF_ERROR(segment::RegisterSqlFunctions(*db));
  RETURN_IF_ERROR(db->Exec("PRAGMA wal_autocheckpoint=0"));
  return db;
}

// The connection the current request on this thread holds (WAL lets these
// readers run beside the event writer's connection).
thread_local std::unique_ptr<Database> t_request_db;
}  // namespace

Result<Database*> ServerState::Db() {
  if (t_request_db) return t_request_db.get();
  {
    std::lock_guard<std::mutex> lock(pool_mu_);
    if (!pool_.empty()) {
      t_request_db = std::move(pool_.back());
      pool_.pop_back();
      return t_request_db.get();
    }
  }
  ASSIGN_OR_RETURN(std::unique_ptr<Database> db, OpenRequestConnection(config.db_path));
  t_request_db = std::move(db);
  return t_request_db.get();
}

Status ServerState::WarmPool(int n) {
  for (int i = 0; i < n; ++i) {
    ASSIGN_OR_RETURN(std::unique_ptr<Database> db, OpenRequestConnection(config.db_path));
    std::lock_guard<std::mutex> lock(pool_mu_);
    pool_.push_back(std::move(db));
  }
  return Status::Ok();
}

ServerState::RequestScope::~RequestScope() {
  if (!t_request_db) return;
  if (t_request_db->in_transaction()) (void)t_request_db->Rollback();  // a handler that returned early
  std::lock_guard<std::mutex> lock(state_.pool_mu_);
  state_.pool_.push_back(std::move(t_request_db));
}

// ---------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------

namespace {

// "/api/v1/customers/{id}" -> R"(/api/v1/customers/([^/]+))"
std::string PatternFor(const std::string& path) {
  std::string out;
  for (size_t i = 0; i < path.size(); ++i) {
    char c = path[i];
    if (c == '{') {
      size_t close = path.find('}', i);
      out += "([^/]+)";
      i = close;
    } else if (c == '.' || c == '(' || c == ')' || c == '+' || c == '*' || c == '?' || c == '[' || c == ']' ||
               c == '^' || c == '$' || c == '|' || c == '\\') {
      out += '\\';
      out += c;
    } else {
      out += c;
    }
  }
  return out;
}

class ServerImpl final : public Server {
 public:
  ServerImpl(const ServerConfig& config, const Clock& clock) : state_(config, clock) {}

  Status Init() {
    RETURN_IF_ERROR(log_.Open(state_.config.access_log));
    // Migrate before anything else touches the file.
    ASSIGN_OR_RETURN(auto db, Database::Open(state_.config.db_path));
    db.reset();
    RETURN_IF_ERROR(state_.WarmPool(std::min(state_.config.threads, 16)));
    collect::CollectorOptions co;
    co.db_path = state_.config.db_path;
    co.max_queued_messages = state_.config.max_queued_events;
    co.synchronous_full = state_.config.synchronous_full;
    ASSIGN_OR_RETURN(state_.collector, collect::Collector::Start(co, state_.clock));
    state_.audit = MakeAuditSink(state_.config.db_path, state_.clock);

    const ServerConfig& c = state_.config;
    const int threads = c.threads;
    http_.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
    http_.set_keep_alive_max_count(static_cast<size_t>(c.keep_alive_max_requests));
    http_.set_keep_alive_timeout(c.keep_alive_seconds);
    http_.set_read_timeout(c.read_timeout_seconds, 0);
    http_.set_write_timeout(c.read_timeout_seconds, 0);
    http_.set_payload_max_length(std::max(c.max_body_bytes, c.max_upload_bytes));
    http_.set_tcp_nodelay(true);
    http_.set_default_headers({{"X-Content-Type-Options", "nosniff"}, {"Cache-Control", "no-store"}});

    for (RouteSpec& r : CollectionRoutes()) Add(std::move(r));
    for (RouteSpec& r : ApiRoutes()) Add(std::move(r));
    for (RouteSpec& r : CampaignRoutes()) Add(std::move(r));
    for (RouteSpec& r : JourneyRoutes()) Add(std::move(r));
    for (RouteSpec& r : ReportRoutes()) Add(std::move(r));
    for (RouteSpec& r : IdentityRoutes()) Add(std::move(r));
    for (RouteSpec& r : SettingsRoutes()) Add(std::move(r));
    for (RouteSpec& r : ImportRoutes()) Add(std::move(r));
    AddBuiltins();
    AddWebRoutes(http_, c.web_root);  // last: its catch-all answers index.html
    openapi_ = BuildOpenApi(routes_);
    docs_page_ = DocsPage(routes_);

    // REST bodies are limited to max_body before they are read (uploads and
    // collection read theirs as a stream, with their own limits).
    http_.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
      if (raw_body_paths_.count(req.path) || !req.has_header("Content-Length")) {
        return httplib::Server::HandlerResponse::Unhandled;
      }
      uint64_t length = std::strtoull(req.get_header_value("Content-Length").c_str(), nullptr, 10);
      if (length <= state_.config.max_body_bytes) return httplib::Server::HandlerResponse::Unhandled;
      res.set_header("Connection", "close");
      SendError(res, Status(StatusCode::kResourceExhausted, "request body is larger than max_body (" +
                                                                std::to_string(state_.config.max_body_bytes) +
                                                                " bytes)"));
      res.status = 413;
      return httplib::Server::HandlerResponse::Handled;
    });

    unmatched_route_ = metrics_.AddRoute("ANY", "unmatched");
    http_.set_error_handler([this](const httplib::Request& req, httplib::Response& res) {
      // Called for statuses >= 400 that no handler set a body for: 404 for an
      // unknown path, 413/400 for what cpp-httplib refused itself.
      if (!res.body.empty()) return;
      StatusCode code = res.status == 404   ? StatusCode::kNotFound
                        : res.status == 413 ? StatusCode::kResourceExhausted
                        : res.status == 401 ? StatusCode::kUnauthenticated
                                            : StatusCode::kInvalidArgument;
      int http_status = res.status;
      std::string message = res.status == 404 ? "no route " + req.method + " " +
                                                    std::string(Utf8Prefix(req.path, 200))
                            : res.status == 413 ? "request body too large"
                            : res.status == 414 ? "request URI too long"
                                                : "the request could not be read";
      SendError(res, Status(code, message));
      res.status = http_status;
      metrics_.Record(unmatched_route_, res.status, 0);
      log_.Write(req.method, "unmatched", res.status, 0, req.body.size(), res.body.size(), 0);
    });
    http_.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
      SendError(res, Internal("unexpected error; see the server log"));
    });

    port_ = c.port;
    if (c.port == 0) {
      port_ = http_.bind_to_any_port(c.host);
      if (port_ <= 0) return IoError("cannot bind " + c.host + ": no free port");
    } else if (!http_.bind_to_port(c.host, c.port)) {
      return IoError("cannot listen on " + c.host + ":" + std::to_string(c.port) +
                     " (in use, or not an address of this machine)");
    }
    return Status::Ok();
  }

  int port() const override { return port_; }

  Status Run() override {
    if (state_.config.scheduler) periodic_.Start(state_, PeriodicTasks(state_.config));
    bool ok = http_.listen_after_bind();
    // listen_after_bind returns once stop() closed the socket and the worker
    // pool finished the connections it had: every request that was read has
    // been answered. Then the writer drains its queue.
    periodic_.Stop();
    StopCampaignSenders(state_.config.db_path);
    state_.collector->Stop();
    StopAuditSink(*state_.audit);
    if (!ok && !state_.shutting_down.load()) return IoError("the server stopped unexpectedly");
    return Status::Ok();
  }

  void Shutdown() override {
    if (state_.shutting_down.exchange(true)) return;
    http_.stop();
  }

 private:
  void Add(RouteSpec spec) {
    routes_.push_back({spec.method, spec.path, spec.permission, spec.summary, nullptr, spec.raw_body});
    if (spec.raw_body) raw_body_paths_.insert(spec.path);
    const int route = metrics_.AddRoute(spec.method, spec.path);
    std::string pattern = PatternFor(spec.path);
    auto shared = std::make_shared<RouteSpec>(std::move(spec));
    auto run = [this, route, shared](const httplib::Request& req, httplib::Response& res,
                                     const httplib::ContentReader* reader) {
      auto started = std::chrono::steady_clock::now();
      ServerState::RequestScope scope(state_);
      Context ctx{req, res, Caller{}, state_, reader};
      if (!reader && req.body.size() > state_.config.max_body_bytes) {
        // A chunked body has no Content-Length to refuse it by before reading.
        SendError(res, Status(StatusCode::kResourceExhausted, "request body is larger than max_body"));
        res.status = 413;
      } else if (Authorize(ctx, shared->permission)) {
        shared->handler(ctx);
      }
      // A body left unread (refused before reading) would be taken for the
      // next request on this keep-alive connection.
      if (reader && !ctx.body_read) res.set_header("Connection", "close");
      double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      metrics_.Record(route, res.status, seconds);
      log_.Write(req.method, shared->path, res.status, seconds, reader ? ctx.bytes_in : req.body.size(),
                 res.body.size(), ctx.events);
    };
    const std::string& m = shared->method;
    if (shared->raw_body) {
      auto h = [run](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader) {
        run(req, res, &reader);
      };
      if (m == "POST") http_.Post(pattern, h);
      if (m == "PUT") http_.Put(pattern, h);
      return;
    }
    auto h = [run](const httplib::Request& req, httplib::Response& res) { run(req, res, nullptr); };
    if (m == "GET") http_.Get(pattern, h);
    if (m == "POST") http_.Post(pattern, h);
    if (m == "PUT") http_.Put(pattern, h);
    if (m == "PATCH") http_.Patch(pattern, h);
    if (m == "DELETE") http_.Delete(pattern, h);
  }

  void AddBuiltins() {
    Add({"GET", "/healthz", "", "Liveness: the process answers.",
         [](Context& ctx) { SendJson(ctx.res, 200, R"({"status":"ok"})"); }});
    Add({"GET", "/readyz", "", "Readiness: the store opens and the event writer runs.", [](Context& ctx) {
           if (ctx.state.shutting_down.load()) {
             SendError(ctx.res, Unavailable("shutting down"));
             return;
           }
           auto db = ctx.state.Db();
           if (!db.ok()) {
             SendError(ctx.res, Unavailable("store not available: " + db.status().message()));
             return;
           }
           auto ok = (*db)->QueryInt("SELECT 1");
           if (!ok.ok()) {
             SendError(ctx.res, Unavailable("store not answering: " + ok.status().message()));
             return;
           }
           SendJson(ctx.res, 200, R"({"status":"ready"})");
         }});
    Add({"GET", "/metrics", "", "Prometheus metrics.", [this](Context& ctx) {
           collect::CollectorStats s = state_.collector->stats();
           std::string extra;
           auto counter = [&extra](const char* name, const char* help, uint64_t v) {
             extra += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " counter\n" + name + " " +
                      std::to_string(v) + "\n";
           };
           counter("patron_events_accepted_total", "Collected messages stored.", s.accepted);
           counter("patron_events_duplicate_total", "Collected messages already stored (SDK retries).", s.duplicates);
           counter("patron_events_rejected_total", "Collected messages kept as rejects.", s.rejected);
           counter("patron_events_erased_total", "Collected messages about erased people, not stored.", s.erased);
           counter("patron_events_refused_requests_total", "Collection requests answered 429.", s.refused);
           counter("patron_orders_collected_total", "Order Completed events that became orders.", s.orders);
           counter("patron_profiles_stitched_total", "Anonymous profiles joined to known customers.", s.stitched);
           counter("patron_event_commits_total", "Group commits of the event writer.", s.commits);
           char seconds[64];
           std::snprintf(seconds, sizeof seconds, "%.6f", s.commit_seconds);
           extra += "# HELP patron_event_commit_seconds_total Time the event writer spent writing.\n"
                    "# TYPE patron_event_commit_seconds_total counter\npatron_event_commit_seconds_total " +
                    std::string(seconds) + "\n";
           extra += "# HELP patron_events_queued Messages waiting for the event writer.\n"
                    "# TYPE patron_events_queued gauge\npatron_events_queued " +
                    std::to_string(s.queued) + "\n";
           ctx.res.status = 200;
           ctx.res.set_content(metrics_.Render(extra), "text/plain; version=0.0.4");
         }});
    Add({"GET", "/openapi.json", "", "This API's OpenAPI 3 document.", [this](Context& ctx) {
           ctx.res.status = 200;
           ctx.res.set_content(openapi_, "application/json");
         }});
    Add({"GET", "/docs", "", "This API's documentation page.", [this](Context& ctx) {
           ctx.res.status = 200;
           ctx.res.set_content(docs_page_, "text/html; charset=utf-8");
         }});
  }

  ServerState state_;
  httplib::Server http_;
  Metrics metrics_;
  AccessLog log_;
  int port_ = 0;
  int unmatched_route_ = -1;
  std::vector<RouteSpec> routes_;  // for the docs (handlers not kept)
  std::set<std::string> raw_body_paths_;
  std::string openapi_, docs_page_;
  PeriodicRunner periodic_;
};

}  // namespace

Result<std::unique_ptr<Server>> Server::Create(const ServerConfig& config, const Clock& clock) {
  auto server = std::make_unique<ServerImpl>(config, clock);
  RETURN_IF_ERROR(server->Init());
  return std::unique_ptr<Server>(std::move(server));
}

}  // namespace patron::server
