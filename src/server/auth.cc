// Who is asking, whether they may, and the audit trail of what they did.
//
// /api/v1 accepts an API key ("Authorization: Bearer pat_...") or a web
// session (the "patron_session" cookie set by POST /api/v1/sessions, or its
// token as a bearer). /v1 collection routes take a write key (collect_routes.cc).
// Permissions are names from access::PermissionName, declared per route in
// ApiRoutes(); "signed_in" admits any principal.
//
// Cross-site request forgery: a browser sends the session cookie with any
// request to this origin, so a state-changing request (POST, PUT, PATCH,
// DELETE) authenticated by the cookie must also carry the session's CSRF token
// in X-CSRF-Token, which only a page of this origin can have read (from
// POST /api/v1/sessions or GET /api/v1/me). The token is a keyed BLAKE2b hash of
// the session token, so it needs no storage and lives as long as the session.
// When the browser says where the request comes from (Sec-Fetch-Site, Origin),
// a cross-site one is refused too, sign-in included. Requests with an
// Authorization header (API keys, scripts) are not cookie requests and are exempt.
#include <sodium.h>

#include <condition_variable>
#include <deque>
#include <thread>

#include "access/access.h"
#include "server/server_internal.h"

namespace patron::server {
namespace {

std::string CookieValue(const httplib::Request& req, std::string_view name) {
  std::string cookies = req.get_header_value("Cookie");
  size_t pos = 0;
  while (pos < cookies.size()) {
    size_t end = cookies.find(';', pos);
    std::string_view part = TrimAscii(std::string_view(cookies).substr(pos, end == std::string::npos ? std::string::npos : end - pos));
    if (part.size() > name.size() && part.substr(0, name.size()) == name && part[name.size()] == '=') {
      return std::string(part.substr(name.size() + 1));
    }
    if (end == std::string::npos) break;
    pos = end + 1;
  }
  return {};
}

bool StateChanging(const httplib::Request& req) {
  return req.method == "POST" || req.method == "PUT" || req.method == "PATCH" || req.method == "DELETE";
}

// `session_token` is set to the session's token when a session (cookie or
// bearer) authenticated the request; `by_cookie` when the cookie did.
Result<access::Principal> Authenticate(Context& ctx, Database& db, std::string* session_token, bool* by_cookie) {
  std::string auth = ctx.req.get_header_value("Authorization");
  std::string token;
  if (auth.size() > 7 && AsciiLower(auth.substr(0, 7)) == "bearer ") token = std::string(TrimAscii(auth.substr(7)));
  *by_cookie = false;
  if (token.empty()) {
    token = CookieValue(ctx.req, kSessionCookie);
    *by_cookie = !token.empty();
  }
  if (token.empty()) {
    return Status(StatusCode::kUnauthenticated,
                  "authentication required: an API key (Authorization: Bearer pat_...) or a session "
                  "(POST /api/v1/sessions)");
  }
  if (token.rfind("pat_", 0) == 0) return ctx.state.keys.LookupApiKey(db, ctx.state.clock, token);
  *session_token = token;
  return access::LookupSession(db, ctx.state.clock, token);
}

}  // namespace

std::string CsrfTokenFor(std::string_view session_token) {
  static constexpr std::string_view kContext = "patron csrf token v1";
  unsigned char hash[32];
  crypto_generichash(hash, sizeof hash, reinterpret_cast<const unsigned char*>(session_token.data()),
                     session_token.size(), reinterpret_cast<const unsigned char*>(kContext.data()), kContext.size());
  char hex[sizeof hash * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, hash, sizeof hash);
  return std::string(hex, sizeof hash * 2);
}

bool SecureCookies(const ServerConfig& config, const httplib::Request& req) {
  if (config.secure_cookies == "on") return true;
  if (config.secure_cookies == "off") return false;
  return AsciiLower(req.get_header_value("X-Forwarded-Proto")) == "https";
}

Status CheckSameOrigin(const httplib::Request& req) {
  std::string site = AsciiLower(req.get_header_value("Sec-Fetch-Site"));
  if (!site.empty() && site != "same-origin" && site != "none") {
    return Status(StatusCode::kPermissionDenied, "cross-site request refused (Sec-Fetch-Site: " +
                                                     std::string(Utf8Prefix(site, 20)) +
                                                     "): sign in on this server's own page");
  }
  std::string origin = req.get_header_value("Origin");
  if (!origin.empty() && origin != "null") {
    size_t scheme = origin.find("://");
    std::string origin_host = scheme == std::string::npos ? origin : origin.substr(scheme + 3);
    // Behind a proxy that rewrites Host, the host the browser used is in
    // X-Forwarded-Host (a header no cross-site page can set without a CORS
    // preflight, which this server never grants).
    std::string host = req.get_header_value("X-Forwarded-Host");
    if (host.empty()) host = req.get_header_value("Host");
    host = host.substr(0, host.find(','));
    if (!host.empty() && AsciiLower(origin_host) != AsciiLower(host)) {
      return Status(StatusCode::kPermissionDenied,
                    "cross-origin request refused: Origin " + std::string(Utf8Prefix(origin, 100)) +
                        " is not this server (" + std::string(Utf8Prefix(host, 100)) + ")");
    }
  }
  return Status::Ok();
}

bool Authorize(Context& ctx, const std::string& permission) {
  if (permission.empty() || permission == "collect") return true;
  auto db = ctx.state.Db();
  if (!db.ok()) {
    SendError(ctx.res, Unavailable("store not available: " + db.status().message()));
    return false;
  }
  std::string session_token;
  bool by_cookie = false;
  auto principal = Authenticate(ctx, **db, &session_token, &by_cookie);
  if (!principal.ok()) {
    ctx.res.set_header("WWW-Authenticate", "Bearer");
    SendError(ctx.res, Status(StatusCode::kUnauthenticated, principal.status().message()));
    return false;
  }
  if (!session_token.empty()) ctx.caller.csrf_token = CsrfTokenFor(session_token);
  if (by_cookie && StateChanging(ctx.req)) {
    Status origin = CheckSameOrigin(ctx.req);
    if (!origin.ok()) {
      SendError(ctx.res, origin);
      return false;
    }
    std::string sent = ctx.req.get_header_value("X-CSRF-Token");
    if (sent.size() != ctx.caller.csrf_token.size() ||
        sodium_memcmp(sent.data(), ctx.caller.csrf_token.data(), sent.size()) != 0) {
      SendError(ctx.res, Status(StatusCode::kPermissionDenied,
                                sent.empty() ? "CSRF token missing: a request signed in by the session cookie must send "
                                               "X-CSRF-Token (csrf_token from POST /api/v1/sessions or GET /api/v1/me)"
                                             : "CSRF token does not match this session"),
                "X-CSRF-Token");
      return false;
    }
  }
  ctx.caller.authenticated = true;
  ctx.caller.name = access::ActorName(*principal);
  ctx.caller.role = std::string(access::RoleName(principal->role));
  ctx.caller.user_id = principal->user_id;
  ctx.caller.key_id = principal->key_id;
  if (permission == "signed_in") return true;
  for (access::Permission p : access::kAllPermissions) {
    if (access::PermissionName(p) != permission) continue;
    Status allowed = access::Require(*principal, p);
    if (!allowed.ok()) {
      SendError(ctx.res, allowed);
      return false;
    }
    return true;
  }
  SendError(ctx.res, Internal("route declares an unknown permission '" + permission + "'"));
  return false;
}

Result<std::string> ResolveWriteKey(ServerState& state, std::string_view write_key) {
  ASSIGN_OR_RETURN(Database * db, state.Db());
  auto info = state.keys.LookupWriteKey(*db, state.clock, write_key);
  if (!info.ok()) {
    if (info.status().code() == StatusCode::kPermissionDenied) return info.status();
    return Status(StatusCode::kUnauthenticated, "unknown or revoked write key");
  }
  return info->source;
}

// ---------------------------------------------------------------------------
// Audit
// ---------------------------------------------------------------------------

// Writes queued audit entries in groups from one thread, so that a lookup of
// personal data answers without waiting for a commit. Stop() writes what is
// queued; a crash can lose the reads of the last moment (documented in
// docs/access.md), never a change (changes are audited in their transaction).
class AuditSink {
 public:
  AuditSink(std::string db_path, const Clock& clock) : db_path_(std::move(db_path)), clock_(clock) {
    thread_ = std::thread([this] { Run(); });
  }
  ~AuditSink() { Stop(); }

  void Add(access::AuditEntry entry) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (queue_.size() >= kMaxQueued) {
        dropped_++;
        return;
      }
      queue_.push_back(std::move(entry));
    }
    cv_.notify_one();
  }

  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    cv_.notify_one();
    if (thread_.joinable()) thread_.join();
  }

 private:
  static constexpr size_t kMaxQueued = 100000;

  void Run() {
    std::unique_ptr<Database> db;
    while (true) {
      std::deque<access::AuditEntry> batch;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait_for(lock, std::chrono::milliseconds(50), [this] { return stopping_ || !queue_.empty(); });
        batch.swap(queue_);
        if (batch.empty() && stopping_) return;
      }
      if (batch.empty()) continue;
      if (!db) {
        auto opened = Database::Open(db_path_);
        if (!opened.ok()) {
          std::fprintf(stderr, "patron serve: audit log not written: %s\n", opened.status().message().c_str());
          continue;
        }
        db = std::move(*opened);
      }
      Transaction tx(*db);
      Status s = tx.Begin();
      for (const auto& e : batch) {
        if (!s.ok()) break;
        s = access::AppendAudit(*db, clock_, e).status();
      }
      if (s.ok()) s = tx.Commit();
      if (!s.ok()) std::fprintf(stderr, "patron serve: audit entries not written: %s\n", s.message().c_str());
    }
  }

  std::string db_path_;
  const Clock& clock_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<access::AuditEntry> queue_;
  bool stopping_ = false;
  uint64_t dropped_ = 0;
  std::thread thread_;
};

std::shared_ptr<AuditSink> MakeAuditSink(const std::string& db_path, const Clock& clock) {
  return std::make_shared<AuditSink>(db_path, clock);
}

void StopAuditSink(AuditSink& sink) { sink.Stop(); }

namespace {

access::AuditEntry Entry(Context& ctx, std::string_view action, std::string_view target_type,
                         std::string_view target_id, int64_t customer_id, const std::string& detail_json) {
  access::AuditEntry e;
  e.actor = ctx.caller.name.empty() ? "anonymous" : ctx.caller.name;
  e.action = std::string(action);
  e.target_type = std::string(target_type);
  e.target_id = std::string(target_id);
  if (customer_id > 0) e.customer_id = customer_id;
  e.origin = ctx.req.remote_addr;
  e.detail = detail_json;
  return e;
}

}  // namespace

void AuditRead(Context& ctx, std::string_view action, std::string_view target_type, std::string_view target_id,
               int64_t customer_id, const std::string& detail_json) {
  ctx.state.audit->Add(Entry(ctx, action, target_type, target_id, customer_id, detail_json));
}

Status AuditChange(Context& ctx, Database& db, std::string_view action, std::string_view target_type,
                   std::string_view target_id, int64_t customer_id, const std::string& detail_json) {
  return access::AppendAudit(db, ctx.state.clock, Entry(ctx, action, target_type, target_id, customer_id, detail_json))
      .status();
}

}  // namespace patron::server
