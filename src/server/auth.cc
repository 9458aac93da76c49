// Who is asking, whether they may, and the audit trail of what they did.
//
// /api/v1 accepts an API key ("Authorization: Bearer pat_...") or a web
// session (the "patron_session" cookie set by POST /api/v1/sessions, or its
// token as a bearer). /v1 collection routes take a write key (collect_routes.cc).
// Permissions are names from access::PermissionName, declared per route in
// ApiRoutes(); "signed_in" admits any principal.
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

Result<access::Principal> Authenticate(Context& ctx, Database& db) {
  std::string auth = ctx.req.get_header_value("Authorization");
  std::string token;
  if (auth.size() > 7 && AsciiLower(auth.substr(0, 7)) == "bearer ") token = std::string(TrimAscii(auth.substr(7)));
  if (token.empty()) token = CookieValue(ctx.req, kSessionCookie);
  if (token.empty()) {
    return Status(StatusCode::kUnauthenticated,
                  "authentication required: an API key (Authorization: Bearer pat_...) or a session "
                  "(POST /api/v1/sessions)");
  }
  if (token.rfind("pat_", 0) == 0) return ctx.state.keys.LookupApiKey(db, ctx.state.clock, token);
  return access::LookupSession(db, ctx.state.clock, token);
}

}  // namespace

bool Authorize(Context& ctx, const std::string& permission) {
  if (permission.empty() || permission == "collect") return true;
  auto db = ctx.state.Db();
  if (!db.ok()) {
    SendError(ctx.res, Unavailable("store not available: " + db.status().message()));
    return false;
  }
  auto principal = Authenticate(ctx, **db);
  if (!principal.ok()) {
    ctx.res.set_header("WWW-Authenticate", "Bearer");
    SendError(ctx.res, Status(StatusCode::kUnauthenticated, principal.status().message()));
    return false;
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
