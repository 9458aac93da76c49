// Settings routes for the web application's administrators: changing a user's
// role or disabling them, the sources data came from, the consent purposes in
// use, the delivery channels as configured (without their secrets) with a
// test message, and online backups of the database. Users, channels and
// backups are for admins only (manage_users); sources and purposes are
// aggregates any reporting role may read, and admins describe, rename and
// retire consent purposes.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>

#include "deliver/deliver.h"
#include "server/server_internal.h"

namespace patron::server {

using nlohmann::json;
using nlohmann::ordered_json;

namespace {

ordered_json OptionalTime(std::optional<int64_t> micros) {
  return micros ? ordered_json(FormatInstant(Instant{*micros})) : ordered_json();
}

// ---------------------------------------------------------------------------
// Users: role, disabled
// ---------------------------------------------------------------------------

// PATCH /api/v1/users/{id} {"role": "marketer"} | {"disabled": true|false}.
// Nobody changes their own role or disables themselves: that is how the last
// admin would lock everyone out.
void UpdateUserRoute(Context& ctx) {
  int64_t id;
  if (!PathId(ctx, "user", &id)) return;
  json body;
  if (!ParseBody(ctx, &body)) return;
  std::string role_name;
  if (!StringField(ctx, body, "role", &role_name)) return;
  std::optional<bool> disabled;
  if (auto it = body.find("disabled"); it != body.end() && !it->is_null()) {
    if (!it->is_boolean())
      return SendError(ctx.res, InvalidArgument("disabled must be true or false"), "disabled");
    disabled = it->get<bool>();
  }
  if (role_name.empty() && !disabled) {
    return SendError(ctx.res, InvalidArgument("nothing to change: give role or disabled"), "role");
  }
  if (id == ctx.caller.user_id) {
    return SendError(
        ctx.res,
        Status(StatusCode::kFailedPrecondition,
               "you cannot change your own role or disable yourself; ask another admin"),
        role_name.empty() ? "disabled" : "role");
  }
  std::optional<access::Role> role;
  if (!role_name.empty()) {
    auto parsed = access::ParseRole(role_name);
    if (!parsed.ok()) return SendError(ctx.res, parsed.status(), "role");
    role = *parsed;
  }
  Database* db = DbOr503(ctx);
  if (!db) return;
  auto users = access::ListUsers(*db);
  if (!users.ok()) return SendError(ctx.res, users.status());
  auto user = std::find_if(users->begin(), users->end(),
                           [id](const access::User& u) { return u.id == id; });
  if (user == users->end())
    return SendError(ctx.res, NotFound("no user " + std::to_string(id)), "id");
  const int64_t now = ctx.state.clock.Now().micros;
  json detail = json::object();
  if (role) {
    Status s = db->Query("web-user-set-role")
                   .Bind(":role", access::RoleName(*role))
                   .Bind(":now", now)
                   .Bind(":id", id)
                   .Run();
    if (!s.ok()) return SendError(ctx.res, s);
    detail["role"] = role_name;
    detail["previous_role"] = access::RoleName(user->role);
  }
  if (disabled) {
    Status s = *disabled ? access::DisableUser(*db, ctx.state.clock, user->name)
                         : db->Query("web-user-enable").Bind(":now", now).Bind(":id", id).Run();
    if (!s.ok()) return SendError(ctx.res, s);
    detail["disabled"] = *disabled;
  }
  Status s = AuditNow(ctx, *db, "user.update", "user", std::to_string(id), 0, detail);
  if (!s.ok()) return SendError(ctx.res, s);
  SendJson(ctx.res, 200,
           Dump({{"id", id},
                 {"name", user->name},
                 {"role", role ? role_name : std::string(access::RoleName(user->role))},
                 {"disabled", disabled ? *disabled : user->disabled_at.has_value()}}));
}

// ---------------------------------------------------------------------------
// Consent purposes described and retired in Settings (migration 0013)
// ---------------------------------------------------------------------------

constexpr size_t kMaxPurposeTitle = 100;         // characters
constexpr size_t kMaxPurposeDescription = 1000;  // characters

size_t CharacterCount(std::string_view utf8) {
  return static_cast<size_t>(
      std::count_if(utf8.begin(), utf8.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

// A purpose's key as consents store it: 1 to 40 of a-z, 0-9, '_' and '-'.
Status ValidatePurposeName(std::string_view name) {
  if (name.empty() || name.size() > 40)
    return InvalidArgument("a purpose's name is 1 to 40 characters of a-z, 0-9, '_' and '-'");
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
      return InvalidArgument("'" + std::string(name) + "' is not a purpose name: use a-z, 0-9, '_' and '-' (like newsletter or product_updates)");
  }
  return Status::Ok();
}

struct PurposeText {
  std::optional<std::string> title, description;
  std::optional<bool> retired;
};

// title, description and retired from the body; false after answering 400.
bool ReadPurposeText(Context& ctx, const json& body, PurposeText* out) {
  for (const char* field : {"title", "description"}) {
    if (!body.contains(field) || body[field].is_null()) continue;
    std::string text;
    if (!StringField(ctx, body, field, &text)) return false;
    const bool title = std::string_view(field) == "title";
    const size_t limit = title ? kMaxPurposeTitle : kMaxPurposeDescription;
    if (CharacterCount(text) > limit) {
      SendError(ctx.res,
                InvalidArgument(std::string(field) + " is " + std::to_string(CharacterCount(text)) +
                                " characters; at most " + std::to_string(limit)),
                field);
      return false;
    }
    std::string trimmed(TrimAscii(text));
    (title ? out->title : out->description) = trimmed;
  }
  if (auto it = body.find("retired"); it != body.end() && !it->is_null()) {
    if (!it->is_boolean()) {
      SendError(ctx.res, InvalidArgument("retired must be true or false"), "retired");
      return false;
    }
    out->retired = it->get<bool>();
  }
  return true;
}

ordered_json PurposeJson(const std::string& name, const std::string& title, const std::string& description,
                         std::optional<int64_t> created, std::optional<int64_t> updated,
                         std::optional<int64_t> retired) {
  return {{"name", name},
          {"title", title},
          {"description", description},
          {"described", created.has_value()},
          {"created_at", OptionalTime(created)},
          {"updated_at", OptionalTime(updated)},
          {"retired_at", OptionalTime(retired)}};
}

struct StoredPurpose {
  std::string title, description;
  std::optional<int64_t> retired_at;
};

Result<std::optional<StoredPurpose>> FindPurpose(Database& db, const std::string& name) {
  Statement& q = db.Query("web-purpose-get");
  q.Bind(":name", name);
  ASSIGN_OR_RETURN(bool found, q.Step());
  std::optional<StoredPurpose> out;
  if (found) out = StoredPurpose{q.String(0), q.String(1), q.OptionalInt(2)};
  q.Reset();
  return out;
}

// POST /api/v1/consent-purposes {"name", "title"?, "description"?}: a new purpose.
void CreatePurposeRoute(Context& ctx) {
  json body;
  if (!ParseBody(ctx, &body)) return;
  std::string name;
  if (!StringField(ctx, body, "name", &name, true)) return;
  if (Status s = ValidatePurposeName(name); !s.ok()) return SendError(ctx.res, s, "name");
  PurposeText text;
  if (!ReadPurposeText(ctx, body, &text)) return;
  Database* db = DbOr503(ctx);
  if (!db) return;
  auto existing = FindPurpose(*db, name);
  if (!existing.ok()) return SendError(ctx.res, existing.status());
  if (*existing)
    return SendError(ctx.res, Status(StatusCode::kAlreadyExists, "the purpose '" + name + "' exists already"), "name");
  const int64_t now = ctx.state.clock.Now().micros;
  std::optional<int64_t> retired;
  if (text.retired.value_or(false)) retired = now;
  Status s = db->Query("web-purpose-insert")
                 .Bind(":name", name)
                 .Bind(":title", text.title.value_or(""))
                 .Bind(":description", text.description.value_or(""))
                 .Bind(":now", now)
                 .BindOptional(":retired_at", retired)
                 .Run();
  if (!s.ok()) return SendError(ctx.res, s);
  s = AuditNow(ctx, *db, "consent_purpose.create", "consent_purpose", name, 0, json::object());
  if (!s.ok()) return SendError(ctx.res, s);
  SendJson(ctx.res, 201,
           Dump(PurposeJson(name, text.title.value_or(""), text.description.value_or(""), now, now, retired)));
}

// PATCH /api/v1/consent-purposes/{name} {"title"?, "description"?, "retired"?}:
// renames (the title; the key stays), describes, retires or brings back a
// purpose. A purpose that consents or campaigns name but nobody described yet
// is described by its first PATCH.
void UpdatePurposeRoute(Context& ctx) {
  const std::string name = PathText(ctx);
  if (Status s = ValidatePurposeName(name); !s.ok()) return SendError(ctx.res, s, "name");
  json body;
  if (!ParseBody(ctx, &body)) return;
  PurposeText text;
  if (!ReadPurposeText(ctx, body, &text)) return;
  if (!text.title && !text.description && !text.retired)
    return SendError(ctx.res, InvalidArgument("nothing to change: give title, description or retired"), "title");
  Database* db = DbOr503(ctx);
  if (!db) return;
  auto existing = FindPurpose(*db, name);
  if (!existing.ok()) return SendError(ctx.res, existing.status());
  const int64_t now = ctx.state.clock.Now().micros;
  StoredPurpose p = existing->value_or(StoredPurpose{});
  if (!*existing) {
    Statement& used = db->Query("web-purpose-in-use");
    used.Bind(":name", name);
    auto row = used.Step();
    const bool in_use = row.ok() && *row && used.Int(0) != 0;
    used.Reset();
    if (!row.ok()) return SendError(ctx.res, row.status());
    if (!in_use) return SendError(ctx.res, NotFound("no consent purpose '" + name + "'"), "name");
  }
  json changed = json::array();
  if (text.title && *text.title != p.title) p.title = *text.title, changed.push_back("title");
  if (text.description && *text.description != p.description)
    p.description = *text.description, changed.push_back("description");
  if (text.retired && *text.retired != p.retired_at.has_value()) {
    p.retired_at = *text.retired ? std::optional<int64_t>(now) : std::nullopt;
    changed.push_back("retired");
  }
  Status s = db->Query(*existing ? "web-purpose-update" : "web-purpose-insert")
                 .Bind(":name", name)
                 .Bind(":title", p.title)
                 .Bind(":description", p.description)
                 .Bind(":now", now)
                 .BindOptional(":retired_at", p.retired_at)
                 .Run();
  if (!s.ok()) return SendError(ctx.res, s);
  s = AuditNow(ctx, *db, "consent_purpose.update", "consent_purpose", name, 0,
               {{"fields", changed}, {"retired", p.retired_at.has_value()}});
  if (!s.ok()) return SendError(ctx.res, s);
  // created_at: the row's, unchanged by an update; the answer reads it back.
  Statement& q = db->Query("web-purpose-definitions");
  ordered_json out;
  while (true) {
    auto row = q.Step();
    if (!row.ok() || !*row) break;
    if (q.String(0) == name) {
      out = PurposeJson(name, q.String(1), q.String(2), q.OptionalInt(3), q.OptionalInt(4), q.OptionalInt(5));
      break;
    }
  }
  q.Reset();
  SendJson(ctx.res, 200, Dump(out));
}

// ---------------------------------------------------------------------------
// Sources and consent purposes
// ---------------------------------------------------------------------------

void ListSourcesRoute(Context& ctx) {
  Database* db = DbOr503(ctx);
  if (!db) return;
  Statement& q = db->Query("web-sources");
  ordered_json out = ordered_json::array();
  while (true) {
    auto row = q.Step();
    if (!row.ok()) {
      q.Reset();
      return SendError(ctx.res, row.status());
    }
    if (!*row) break;
    auto text = [&q](int c) { return q.IsNull(c) ? ordered_json() : ordered_json(q.String(c)); };
    out.push_back({{"id", q.Int(0)},
                   {"name", q.String(1)},
                   {"kind", q.String(2)},
                   {"vendor", text(3)},
                   {"cost_minor", q.IsNull(4) ? ordered_json() : ordered_json(q.Int(4))},
                   {"currency", text(5)},
                   {"consent_basis", text(6)},
                   {"created_at", FormatInstant(Instant{q.Int(7)})},
                   {"customers", q.Int(8)},
                   {"accounts", q.Int(9)},
                   {"orders", q.Int(10)},
                   {"events", q.Int(11)},
                   {"last_import_at", OptionalTime(q.OptionalInt(12))}});
  }
  q.Reset();
  SendJson(ctx.res, 200, Dump({{"sources", out}}));
}

void ListConsentPurposesRoute(Context& ctx) {
  Database* db = DbOr503(ctx);
  if (!db) return;
  Statement& q = db->Query("web-consent-purposes");
  ordered_json out = ordered_json::array();
  while (true) {
    auto row = q.Step();
    if (!row.ok()) {
      q.Reset();
      return SendError(ctx.res, row.status());
    }
    if (!*row) break;
    out.push_back({{"purpose", q.String(0)},
                   {"channel", q.String(1)},
                   {"granted", q.Int(2)},
                   {"withdrawn", q.Int(3)},
                   {"double_opt_in", q.Int(4)},
                   {"with_proof", q.Int(5)},
                   {"last_recorded_at", OptionalTime(q.OptionalInt(6))}});
  }
  q.Reset();
  // Every purpose with its title, description and retirement (0013), and those
  // in use that nobody described yet.
  Statement& d = db->Query("web-purpose-definitions");
  ordered_json definitions = ordered_json::array();
  while (true) {
    auto row = d.Step();
    if (!row.ok()) {
      d.Reset();
      return SendError(ctx.res, row.status());
    }
    if (!*row) break;
    definitions.push_back(
        PurposeJson(d.String(0), d.String(1), d.String(2), d.OptionalInt(3), d.OptionalInt(4), d.OptionalInt(5)));
  }
  d.Reset();
  SendJson(ctx.res, 200, Dump({{"purposes", out}, {"definitions", definitions}}));
}

// ---------------------------------------------------------------------------
// Channels: what is configured (no passwords, no gateway headers), test sends
// ---------------------------------------------------------------------------

std::string_view TlsName(deliver::SmtpTls tls) {
  switch (tls) {
    case deliver::SmtpTls::kNone:
      return "none";
    case deliver::SmtpTls::kStartTlsIfOffered:
      return "starttls";
    case deliver::SmtpTls::kStartTlsRequired:
      return "required";
    case deliver::SmtpTls::kImplicit:
      return "implicit";
  }
  return "";
}

// The gateway's address without its query string (which may carry a key).
std::string WithoutQuery(const std::string& url) { return url.substr(0, url.find_first_of("?#")); }

Result<deliver::SmsGatewayDescription> ReadSmsGateway(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return IoError("cannot read the SMS gateway file " +
                   std::filesystem::path(path).filename().string());
  std::stringstream text;
  text << in.rdbuf();
  return deliver::ParseSmsGatewayJson(text.str());
}

void ChannelsRoute(Context& ctx) {
  const ServerConfig& config = ctx.state.config;
  ordered_json email = {{"configured", !config.smtp_url.empty()}};
  if (!config.smtp_url.empty()) {
    auto smtp = deliver::ParseSmtpUrl(config.smtp_url);
    if (smtp.ok()) {
      email.update({{"host", smtp->host},
                    {"port", smtp->port},
                    {"tls", TlsName(smtp->tls)},
                    {"verify_peer", smtp->verify_peer},
                    {"authenticates", !smtp->username.empty()},
                    {"connections", smtp->max_connections},
                    {"messages_per_second", smtp->max_messages_per_second}});
    } else {
      email["error"] = smtp.status().message();
    }
  }
  ordered_json sms = {{"configured", !config.sms_gateway.empty()}};
  if (!config.sms_gateway.empty()) {
    auto gateway = ReadSmsGateway(config.sms_gateway);
    if (gateway.ok()) {
      sms.update({{"url", WithoutQuery(gateway->gateway.url)},
                  {"method", gateway->gateway.method},
                  {"sender", gateway->gateway.sender},
                  {"headers", gateway->gateway.headers.size()}});
    } else {
      sms["error"] = gateway.status().message();
    }
  }
  SendJson(ctx.res, 200,
           Dump({{"email", email},
                 {"sms", sms},
                 {"public_url", config.public_url},
                 {"scheduler", config.scheduler}}));
}

ordered_json OutcomeJson(bool accepted, std::string_view kind, int code,
                         const std::string& detail) {
  return {{"accepted", accepted}, {"outcome", kind}, {"code", code}, {"detail", detail}};
}

// POST /api/v1/channels/email/test {"to": "a@b.example", "from"?: ...}: one
// short message through the configured SMTP server, and what it answered.
void TestEmailRoute(Context& ctx) {
  json body;
  if (!ParseBody(ctx, &body)) return;
  std::string to, from;
  if (!StringField(ctx, body, "to", &to, true) || !StringField(ctx, body, "from", &from)) return;
  if (Status s = deliver::ValidateEmailAddress(to); !s.ok()) return SendError(ctx.res, s, "to");
  if (from.empty()) from = to;
  if (Status s = deliver::ValidateEmailAddress(from); !s.ok()) return SendError(ctx.res, s, "from");
  if (ctx.state.config.smtp_url.empty()) {
    return SendError(ctx.res, Status(StatusCode::kFailedPrecondition,
                                     "no SMTP server is configured (smtp_url)"));
  }
  auto smtp = deliver::ParseSmtpUrl(ctx.state.config.smtp_url);
  if (!smtp.ok()) return SendError(ctx.res, smtp.status());
  smtp->max_connections = 1;
  deliver::EmailMessage message;
  message.from = {.address = from, .display_name = "Patron"};
  message.to = {.address = to, .display_name = ""};
  message.subject = "Patron test message";
  message.text_body = "This is a test message sent from Patron's settings page by " +
                      ctx.caller.name + ".\nIf you can read it, email delivery works.\n";
  deliver::ComposeOptions options;
  options.clock = &ctx.state.clock;
  auto composed = deliver::ComposeEmail(message, options);
  if (!composed.ok()) return SendError(ctx.res, composed.status());
  auto sender = deliver::SmtpSender::Create(*smtp);
  if (!sender.ok()) return SendError(ctx.res, sender.status());
  deliver::DeliveryOutcome outcome =
      (*sender)->Send({.envelope_from = from, .recipient = to, .data = composed->data});
  Database* db = DbOr503(ctx);
  if (!db) return;
  (void)AuditNow(ctx, *db, "channel.test", "channel", "email", 0,
                 {{"accepted", outcome.accepted()}});
  std::string detail =
      outcome.error.empty() ? outcome.server_text : outcome.stage + ": " + outcome.error;
  SendJson(ctx.res, 200,
           Dump(OutcomeJson(outcome.accepted(), deliver::DeliveryKindName(outcome.kind),
                            outcome.smtp_code, detail)));
}

// POST /api/v1/channels/sms/test {"to": "+46701234567"}.
void TestSmsRoute(Context& ctx) {
  json body;
  if (!ParseBody(ctx, &body)) return;
  std::string to;
  if (!StringField(ctx, body, "to", &to, true)) return;
  if (to.size() < 8 || to.size() > 16 || to[0] != '+' ||
      to.find_first_not_of("0123456789", 1) != std::string::npos) {
    return SendError(ctx.res,
                     InvalidArgument("to must be a phone number in E.164 form, like +46701234567"),
                     "to");
  }
  if (ctx.state.config.sms_gateway.empty()) {
    return SendError(ctx.res, Status(StatusCode::kFailedPrecondition,
                                     "no SMS gateway is configured (sms_gateway)"));
  }
  auto description = ReadSmsGateway(ctx.state.config.sms_gateway);
  if (!description.ok()) return SendError(ctx.res, description.status());
  auto gateway = deliver::SmsGateway::Create(description->gateway);
  if (!gateway.ok()) return SendError(ctx.res, gateway.status());
  deliver::SmsOutcome outcome =
      (*gateway)->Send(to, "Patron test message: SMS delivery works.",
                       "test-" + std::to_string(ctx.state.clock.Now().micros));
  Database* db = DbOr503(ctx);
  if (!db) return;
  (void)AuditNow(ctx, *db, "channel.test", "channel", "sms", 0, {{"accepted", outcome.accepted()}});
  SendJson(ctx.res, 200,
           Dump(OutcomeJson(outcome.accepted(), deliver::DeliveryKindName(outcome.kind),
                            outcome.http_status, outcome.error)));
}

// ---------------------------------------------------------------------------
// Backups: `patron backup` from the browser, into "backups" beside the database
// ---------------------------------------------------------------------------

std::filesystem::path BackupDir(const ServerConfig& config) {
  std::filesystem::path parent = std::filesystem::path(config.db_path).parent_path();
  return (parent.empty() ? std::filesystem::path(".") : parent) / "backups";
}

std::mutex& BackupMutex() {
  static auto* mu = new std::mutex();
  return *mu;
}

void ListBackupsRoute(Context& ctx) {
  ordered_json out = ordered_json::array();
  std::error_code ec;
  std::vector<std::filesystem::directory_entry> files;
  for (const auto& entry : std::filesystem::directory_iterator(BackupDir(ctx.state.config), ec)) {
    if (entry.is_regular_file() && entry.path().extension() == ".db") files.push_back(entry);
  }
  std::sort(files.begin(), files.end(),
            [](const auto& a, const auto& b) { return a.path() > b.path(); });
  for (const auto& f : files) {
    // file_clock to system_clock through "now" on both (g++ 12 has no clock_cast).
    auto written = std::chrono::system_clock::now() +
                   std::chrono::duration_cast<std::chrono::system_clock::duration>(
                       f.last_write_time() - std::filesystem::file_time_type::clock::now());
    int64_t micros =
        std::chrono::duration_cast<std::chrono::microseconds>(written.time_since_epoch()).count();
    out.push_back({{"name", f.path().filename().string()},
                   {"bytes", f.file_size()},
                   {"written_at", FormatInstant(Instant{micros})}});
  }
  SendJson(ctx.res, 200,
           Dump({{"directory", BackupDir(ctx.state.config).string()}, {"backups", out}}));
}

// POST /api/v1/backups: an online backup (SQLite's backup API; the server keeps
// serving) to backups/patron-YYYYMMDD-HHMMSS.db. One at a time.
void CreateBackupRoute(Context& ctx) {
  std::unique_lock lock(BackupMutex(), std::try_to_lock);
  if (!lock.owns_lock())
    return SendError(ctx.res, Status(StatusCode::kFailedPrecondition, "a backup is running"));
  std::filesystem::path dir = BackupDir(ctx.state.config);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return SendError(ctx.res, IoError("cannot create " + dir.string() + ": " + ec.message()));
  std::string stamp = FormatInstant(ctx.state.clock.Now());  // 2026-11-23T14:05:09.123456Z
  std::string compact;
  for (char c : stamp.substr(0, 19)) {
    if (c != '-' && c != ':') compact += c == 'T' ? '-' : c;
  }
  std::filesystem::path file = dir / ("patron-" + compact + ".db");
  for (int n = 2; std::filesystem::exists(file); ++n)
    file = dir / ("patron-" + compact + "-" + std::to_string(n) + ".db");
  Database* db = DbOr503(ctx);
  if (!db) return;
  const auto started = std::chrono::steady_clock::now();
  Status s = db->BackupTo(file.string());
  if (!s.ok()) return SendError(ctx.res, s);
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  (void)AuditNow(ctx, *db, "backup.create", "backup", file.filename().string(), 0, {});
  SendJson(ctx.res, 201,
           Dump({{"name", file.filename().string()},
                 {"bytes", std::filesystem::file_size(file, ec)},
                 {"seconds", seconds},
                 {"schema_version", db->schema_version()}}));
}

}  // namespace

std::vector<RouteSpec> SettingsRoutes() {
  return {
      {"PATCH", "/api/v1/users/{id}", "manage_users",
       "Change a user's role, or disable or enable them (audited).", UpdateUserRoute},
      {"GET", "/api/v1/sources", "read_reports",
       "Where the data came from: each source and what it brought.", ListSourcesRoute},
      {"GET", "/api/v1/consent-purposes", "read_reports",
       "Consent purposes per channel: customers granting and withdrawing, with proof.",
       ListConsentPurposesRoute},
      {"POST", "/api/v1/consent-purposes", "manage_users",
       "Add a consent purpose: a key (a-z, 0-9, _ and -), a title and a description (audited).", CreatePurposeRoute},
      {"PATCH", "/api/v1/consent-purposes/{name}", "manage_users",
       "Rename (the title), describe, retire or bring back a consent purpose; the key never changes (audited).",
       UpdatePurposeRoute},
      {"GET", "/api/v1/channels", "manage_users",
       "The delivery channels as configured (without secrets).", ChannelsRoute},
      {"POST", "/api/v1/channels/email/test", "manage_users",
       "Send one test email through the SMTP server.", TestEmailRoute},
      {"POST", "/api/v1/channels/sms/test", "manage_users",
       "Send one test SMS through the gateway.", TestSmsRoute},
      {"GET", "/api/v1/backups", "manage_users", "Backups made from the server, newest first.",
       ListBackupsRoute},
      {"POST", "/api/v1/backups", "manage_users",
       "Back the database up now (online; the server keeps serving).", CreateBackupRoute},
  };
}

}  // namespace patron::server
