// Roles and permissions, users and passwords, web sessions and API keys.
#include "access/access.h"

#include <sodium.h>

#include <cstdlib>
#include <mutex>

#include "access/access_internal.h"

namespace patron::access {

// ---------------------------------------------------------------------------
// Crypto helpers (access_internal.h)
// ---------------------------------------------------------------------------

void InitSodium() {
  static std::once_flag once;
  std::call_once(once, [] {
    // sodium_init fails only when the system has no randomness source, and
    // then nothing here can be made safe.
    if (sodium_init() < 0) std::abort();
  });
}

std::string Hex(std::string_view bytes) {
  std::string out(bytes.size() * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                 bytes.size());
  out.pop_back();
  return out;
}

std::string RandomBytes(size_t n) {
  InitSodium();
  std::string out(n, '\0');
  randombytes_buf(out.data(), n);
  return out;
}

std::string HashHex(std::string_view data, std::string_view key) {
  InitSodium();
  unsigned char out[crypto_generichash_BYTES];
  crypto_generichash(
      out, sizeof out, reinterpret_cast<const unsigned char*>(data.data()), data.size(),
      key.empty() ? nullptr : reinterpret_cast<const unsigned char*>(key.data()), key.size());
  return Hex(std::string_view(reinterpret_cast<const char*>(out), sizeof out));
}

// ---------------------------------------------------------------------------
// Roles and permissions
// ---------------------------------------------------------------------------

namespace {

constexpr bool X = true, _ = false;

// Who may do what. Columns: admin, marketer, analyst, support, collector.
// - admin: everything, including the rights that only exist for accountability
//   (users, keys, audit) and the irreversible ones (erasure).
// - marketer: works with the customer base to build and run campaigns, so reads
//   and corrects customers, records consents, imports lists and manages
//   segments; no exports of a person's whole file, no erasure, no users or keys.
// - analyst: reads aggregates — segment counts, reports, non-personal customer
//   fields — never names, contact points or events of a person (R28: collect and
//   show what serves the purpose, not more).
// - support: what an agent needs on a call: the one customer view, corrections,
//   consent changes ("please unsubscribe me"); not imports, segments, exports,
//   erasure (those are handled by an admin on a verified request), users or keys.
// - collector: only sends events (a website's or app's write key).
struct RoleRow {
  Permission permission;
  bool allows[5];
};
// clang-format off
constexpr RoleRow kRoleTable[] = {
    //                                   admin marketer analyst support collector
    {Permission::kCollectEvents,        {X,    _,       _,      _,      X}},
    {Permission::kReadCustomers,        {X,    X,       X,      X,      _}},
    {Permission::kReadPersonalData,     {X,    X,       _,      X,      _}},
    {Permission::kWriteCustomers,       {X,    X,       _,      X,      _}},
    {Permission::kManageConsents,       {X,    X,       _,      X,      _}},
    {Permission::kImportData,           {X,    X,       _,      _,      _}},
    {Permission::kReadSegments,         {X,    X,       X,      _,      _}},
    {Permission::kManageSegments,       {X,    X,       _,      _,      _}},
    {Permission::kReadReports,          {X,    X,       X,      _,      _}},
    {Permission::kExportCustomer,       {X,    _,       _,      _,      _}},
    {Permission::kEraseCustomer,        {X,    _,       _,      _,      _}},
    {Permission::kManageUsers,          {X,    _,       _,      _,      _}},
    {Permission::kReadAudit,            {X,    _,       _,      _,      _}},
    {Permission::kManageKeys,           {X,    _,       _,      _,      _}},
    {Permission::kManageCampaigns,      {X,    X,       _,      _,      _}},
};
// clang-format on
static_assert(std::size(kRoleTable) == std::size(kAllPermissions), "every permission has a row");

}  // namespace

bool RoleAllows(Role role, Permission permission) {
  for (const RoleRow& row : kRoleTable) {
    if (row.permission == permission) return row.allows[static_cast<int>(role)];
  }
  return false;
}

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kAdmin:
      return "admin";
    case Role::kMarketer:
      return "marketer";
    case Role::kAnalyst:
      return "analyst";
    case Role::kSupport:
      return "support";
    case Role::kCollector:
      return "collector";
  }
  return "unknown";
}

Result<Role> ParseRole(std::string_view name) {
  for (Role r : kAllRoles) {
    if (RoleName(r) == name) return r;
  }
  return InvalidArgument("unknown role '" + std::string(name) +
                         "' (roles: admin, marketer, analyst, support, collector)");
}

std::string_view PermissionName(Permission permission) {
  switch (permission) {
    case Permission::kCollectEvents:
      return "collect_events";
    case Permission::kReadCustomers:
      return "read_customers";
    case Permission::kReadPersonalData:
      return "read_personal_data";
    case Permission::kWriteCustomers:
      return "write_customers";
    case Permission::kManageConsents:
      return "manage_consents";
    case Permission::kImportData:
      return "import_data";
    case Permission::kReadSegments:
      return "read_segments";
    case Permission::kManageSegments:
      return "manage_segments";
    case Permission::kReadReports:
      return "read_reports";
    case Permission::kExportCustomer:
      return "export_customer";
    case Permission::kEraseCustomer:
      return "erase_customer";
    case Permission::kManageUsers:
      return "manage_users";
    case Permission::kReadAudit:
      return "read_audit";
    case Permission::kManageKeys:
      return "manage_keys";
    case Permission::kManageCampaigns:
      return "manage_campaigns";
  }
  return "unknown";
}

bool Allowed(const Principal& principal, Permission permission) {
  if (principal.user_id == 0 && principal.key_id == 0) return false;
  return RoleAllows(principal.role, permission);
}

Status Require(const Principal& principal, Permission permission) {
  if (Allowed(principal, permission)) return Status::Ok();
  return Status(StatusCode::kPermissionDenied, "role '" + std::string(RoleName(principal.role)) +
                                                   "' may not " +
                                                   std::string(PermissionName(permission)));
}

std::string ActorName(const Principal& principal) {
  if (principal.user_id > 0) return "user:" + principal.name;
  return "key:" + std::to_string(principal.key_id);
}

// ---------------------------------------------------------------------------
// Users and passwords
// ---------------------------------------------------------------------------

namespace {

// How often a session's or key's last use is written: once a minute is enough
// to show activity and keeps look-ups read-only on the hot path.
constexpr int64_t kTouchIntervalMicros = 60'000'000;

Status CheckUserName(std::string_view name) {
  if (name.empty() || name.size() > 64)
    return InvalidArgument("a user name has 1 to 64 characters");
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-' || c == '@';
    if (!ok)
      return InvalidArgument("a user name uses letters, digits and . _ - @ only: '" +
                             std::string(name) + "'");
  }
  return Status::Ok();
}

Status CheckPassword(std::string_view password) {
  size_t chars = 0;
  for (unsigned char c : password) chars += (c & 0xC0) != 0x80;  // UTF-8 code points
  if (chars < kMinPasswordLength) {
    return InvalidArgument("the password is too short: use at least " +
                           std::to_string(kMinPasswordLength) +
                           " characters (a passphrase of a few words is easy to remember)");
  }
  if (password.size() > 4096) return InvalidArgument("the password is longer than 4096 bytes");
  return Status::Ok();
}

Result<std::string> HashPassword(std::string_view password) {
  InitSodium();
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(),
                            crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return Internal("out of memory while hashing a password");
  }
  return std::string(out);
}

bool VerifyPassword(const std::string& hash, std::string_view password) {
  InitSodium();
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

// A hash of a random password, verified when the user is unknown so that the
// answer takes as long as for a known user.
const std::string& DummyHash() {
  static const std::string hash = [] {
    auto h = HashPassword(Hex(RandomBytes(16)));
    return h.ok() ? *h : std::string();
  }();
  return hash;
}

Status WriteSessionsOfUserEnd(Database& db, int64_t user_id) {
  return db.Query("access-delete-user-sessions").Bind(":user_id", user_id).Run();
}

Result<Role> RoleColumn(Statement& q, int col) {
  auto role = ParseRole(q.Text(col));
  if (!role.ok()) return DataLoss("unknown role '" + q.String(col) + "' in the database");
  return *role;
}

struct UserRow {
  int64_t id = 0;
  std::string name, hash;
  Role role = Role::kAnalyst;
  bool disabled = false;
};

Result<std::optional<UserRow>> FindUser(Database& db, std::string_view name) {
  Statement& q = db.Query("access-find-user");
  q.Bind(":name", name);
  ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) return std::optional<UserRow>();
  UserRow u;
  u.id = q.Int(0);
  u.name = q.String(1);
  auto role = RoleColumn(q, 2);
  if (!role.ok()) {
    q.Reset();
    return role.status();
  }
  u.role = *role;
  u.hash = q.String(3);
  u.disabled = !q.IsNull(4);
  q.Reset();
  return std::optional<UserRow>(std::move(u));
}

}  // namespace

Result<User> CreateUser(Database& db, const Clock& clock, std::string_view name, Role role,
                        std::string_view password) {
  RETURN_IF_ERROR(CheckUserName(name));
  RETURN_IF_ERROR(CheckPassword(password));
  ASSIGN_OR_RETURN(auto existing, FindUser(db, name));
  if (existing) return AlreadyExists("user '" + std::string(name) + "' already exists");
  ASSIGN_OR_RETURN(std::string hash, HashPassword(password));
  Instant now = clock.Now();
  RETURN_IF_ERROR(db.Query("access-insert-user")
                      .Bind(":name", name)
                      .Bind(":role", RoleName(role))
                      .Bind(":hash", hash)
                      .Bind(":now", now.micros)
                      .Run());
  User u;
  u.id = db.last_insert_id();
  u.name = std::string(name);
  u.role = role;
  u.created_at = now;
  return u;
}

Result<Principal> Authenticate(Database& db, const Clock& clock, std::string_view name,
                               std::string_view password) {
  const Status wrong(StatusCode::kUnauthenticated, "wrong user name or password");
  ASSIGN_OR_RETURN(auto user, FindUser(db, name));
  if (!user) {
    (void)VerifyPassword(DummyHash(), password);
    return wrong;
  }
  if (!VerifyPassword(user->hash, password)) return wrong;
  if (user->disabled)
    return Status(StatusCode::kUnauthenticated, "user '" + user->name + "' is disabled");
  Instant now = clock.Now();
  if (crypto_pwhash_str_needs_rehash(user->hash.c_str(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                     crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
    ASSIGN_OR_RETURN(std::string hash, HashPassword(password));
    RETURN_IF_ERROR(db.Query("access-set-password")
                        .Bind(":hash", hash)
                        .Bind(":now", now.micros)
                        .Bind(":id", user->id)
                        .Run());
  }
  RETURN_IF_ERROR(
      db.Query("access-note-login").Bind(":now", now.micros).Bind(":id", user->id).Run());
  return Principal{user->id, 0, user->name, user->role};
}

Status SetPassword(Database& db, const Clock& clock, std::string_view name,
                   std::string_view password) {
  RETURN_IF_ERROR(CheckPassword(password));
  ASSIGN_OR_RETURN(auto user, FindUser(db, name));
  if (!user) return NotFound("no user '" + std::string(name) + "'");
  ASSIGN_OR_RETURN(std::string hash, HashPassword(password));
  Transaction tx(db);
  RETURN_IF_ERROR(tx.Begin());
  RETURN_IF_ERROR(db.Query("access-set-password")
                      .Bind(":hash", hash)
                      .Bind(":now", clock.Now().micros)
                      .Bind(":id", user->id)
                      .Run());
  RETURN_IF_ERROR(WriteSessionsOfUserEnd(db, user->id));
  return tx.Commit();
}

Status DisableUser(Database& db, const Clock& clock, std::string_view name) {
  ASSIGN_OR_RETURN(auto user, FindUser(db, name));
  if (!user) return NotFound("no user '" + std::string(name) + "'");
  Transaction tx(db);
  RETURN_IF_ERROR(tx.Begin());
  RETURN_IF_ERROR(
      db.Query("access-disable-user").Bind(":now", clock.Now().micros).Bind(":id", user->id).Run());
  RETURN_IF_ERROR(WriteSessionsOfUserEnd(db, user->id));
  return tx.Commit();
}

Result<std::vector<User>> ListUsers(Database& db) {
  std::vector<User> users;
  Statement& q = db.Query("access-list-users");
  while (true) {
    ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    User u;
    u.id = q.Int(0);
    u.name = q.String(1);
    auto role = RoleColumn(q, 2);
    if (!role.ok()) {
      q.Reset();
      return role.status();
    }
    u.role = *role;
    u.created_at = Instant{q.Int(3)};
    if (!q.IsNull(4)) u.last_login_at = Instant{q.Int(4)};
    if (!q.IsNull(5)) u.disabled_at = Instant{q.Int(5)};
    users.push_back(std::move(u));
  }
  return users;
}

// ---------------------------------------------------------------------------
// Sessions
// ---------------------------------------------------------------------------

Result<std::string> CreateSession(Database& db, const Clock& clock, int64_t user_id,
                                  std::chrono::seconds ttl) {
  if (ttl.count() <= 0) return InvalidArgument("a session's lifetime must be positive");
  Statement& q = db.Query("access-user-by-id");
  q.Bind(":id", user_id);
  ASSIGN_OR_RETURN(bool row, q.Step());
  bool disabled = row && !q.IsNull(3);
  q.Reset();
  if (!row) return NotFound("no user with id " + std::to_string(user_id));
  if (disabled) return Status(StatusCode::kUnauthenticated, "the user is disabled");
  Instant now = clock.Now();
  RETURN_IF_ERROR(db.Query("access-delete-expired-sessions").Bind(":now", now.micros).Run());
  std::string token = Hex(RandomBytes(32));
  RETURN_IF_ERROR(db.Query("access-insert-session")
                      .Bind(":hash", HashHex(token))
                      .Bind(":user_id", user_id)
                      .Bind(":now", now.micros)
                      .Bind(":ttl", static_cast<int64_t>(ttl.count()) * 1'000'000)
                      .Run());
  return token;
}

Result<Principal> LookupSession(Database& db, const Clock& clock, std::string_view token) {
  const Status unknown(StatusCode::kUnauthenticated, "not signed in, or the session has expired");
  if (token.size() != 64) return unknown;
  std::string hash = HashHex(token);
  Statement& q = db.Query("access-find-session");
  q.Bind(":hash", hash);
  ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) return unknown;
  Principal p;
  p.user_id = q.Int(0);
  int64_t expires_at = q.Int(1), last_seen_at = q.Int(2);
  p.name = q.String(4);
  auto role = RoleColumn(q, 5);
  bool disabled = !q.IsNull(6);
  q.Reset();
  if (!role.ok()) return role.status();
  p.role = *role;
  Instant now = clock.Now();
  if (expires_at <= now.micros || disabled) {
    RETURN_IF_ERROR(db.Query("access-delete-session").Bind(":hash", hash).Run());
    return unknown;
  }
  if (now.micros - last_seen_at >= kTouchIntervalMicros) {
    RETURN_IF_ERROR(
        db.Query("access-touch-session").Bind(":now", now.micros).Bind(":hash", hash).Run());
  }
  return p;
}

Status EndSession(Database& db, std::string_view token) {
  return db.Query("access-delete-session").Bind(":hash", HashHex(token)).Run();
}

// ---------------------------------------------------------------------------
// API keys
// ---------------------------------------------------------------------------

namespace {

constexpr std::string_view kKeyPrefix = "pat_";
constexpr size_t kShownPrefix = 12;  // "pat_" and 8 random characters

struct KeyRow {
  Principal principal;
  bool revoked = false;
};

// The key behind `hash`, touching last_used_at when `clock` is given.
Result<KeyRow> FindKey(Database& db, const Clock* clock, const std::string& hash) {
  Statement& q = db.Query("access-find-key");
  q.Bind(":hash", hash);
  ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) return Status(StatusCode::kUnauthenticated, "unknown API key");
  KeyRow k;
  k.principal.key_id = q.Int(0);
  k.principal.name = q.String(1);
  auto role = RoleColumn(q, 2);
  k.revoked = !q.IsNull(3);
  std::optional<int64_t> last_used = q.OptionalInt(4);
  q.Reset();
  if (!role.ok()) return role.status();
  k.principal.role = *role;
  if (k.revoked) return Status(StatusCode::kUnauthenticated, "the API key has been revoked");
  if (clock) {
    Instant now = clock->Now();
    if (!last_used || now.micros - *last_used >= kTouchIntervalMicros) {
      RETURN_IF_ERROR(db.Query("access-touch-key")
                          .Bind(":now", now.micros)
                          .Bind(":id", k.principal.key_id)
                          .Run());
    }
  }
  return k;
}

Result<WriteKeyInfo> WriteKeyOf(const Principal& p) {
  if (!RoleAllows(p.role, Permission::kCollectEvents)) {
    return Status(StatusCode::kPermissionDenied,
                  "API key " + std::to_string(p.key_id) +
                      " is not a write key (its role cannot collect events)");
  }
  return WriteKeyInfo{p.key_id, p.name, p.name};
}

}  // namespace

Result<NewApiKey> CreateApiKey(Database& db, const Clock& clock, std::string_view name, Role role,
                               std::string_view created_by) {
  if (name.empty() || name.size() > 100)
    return InvalidArgument("an API key's name has 1 to 100 characters");
  InitSodium();
  std::string random = RandomBytes(32);
  std::string encoded(sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                      '\0');
  sodium_bin2base64(encoded.data(), encoded.size(),
                    reinterpret_cast<const unsigned char*>(random.data()), random.size(),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  encoded.resize(std::char_traits<char>::length(encoded.c_str()));
  NewApiKey out;
  out.plain = std::string(kKeyPrefix) + encoded;
  Instant now = clock.Now();
  out.key.name = std::string(name);
  out.key.role = role;
  out.key.prefix = out.plain.substr(0, kShownPrefix);
  out.key.created_by = std::string(created_by);
  out.key.created_at = now;
  RETURN_IF_ERROR(db.Query("access-insert-key")
                      .Bind(":name", name)
                      .Bind(":role", RoleName(role))
                      .Bind(":prefix", out.key.prefix)
                      .Bind(":hash", HashHex(out.plain))
                      .Bind(":created_by", created_by)
                      .Bind(":now", now.micros)
                      .Run());
  out.key.id = db.last_insert_id();
  return out;
}

Result<Principal> LookupApiKey(Database& db, const Clock& clock, std::string_view key) {
  ASSIGN_OR_RETURN(KeyRow k, FindKey(db, &clock, HashHex(key)));
  return k.principal;
}

Status RevokeApiKey(Database& db, const Clock& clock, int64_t key_id) {
  RETURN_IF_ERROR(
      db.Query("access-revoke-key").Bind(":now", clock.Now().micros).Bind(":id", key_id).Run());
  if (db.changes() == 0) return NotFound("no API key with id " + std::to_string(key_id));
  return Status::Ok();
}

Result<std::vector<ApiKey>> ListApiKeys(Database& db) {
  std::vector<ApiKey> keys;
  Statement& q = db.Query("access-list-keys");
  while (true) {
    ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    ApiKey k;
    k.id = q.Int(0);
    k.name = q.String(1);
    auto role = RoleColumn(q, 2);
    if (!role.ok()) {
      q.Reset();
      return role.status();
    }
    k.role = *role;
    k.prefix = q.String(3);
    k.created_by = q.String(4);
    k.created_at = Instant{q.Int(5)};
    if (!q.IsNull(6)) k.last_used_at = Instant{q.Int(6)};
    if (!q.IsNull(7)) k.revoked_at = Instant{q.Int(7)};
    keys.push_back(std::move(k));
  }
  return keys;
}

Result<WriteKeyInfo> LookupWriteKey(Database& db, const Clock& clock, std::string_view key) {
  ASSIGN_OR_RETURN(KeyRow k, FindKey(db, &clock, HashHex(key)));
  return WriteKeyOf(k.principal);
}

// ---------------------------------------------------------------------------
// KeyCache
// ---------------------------------------------------------------------------

Result<Principal> KeyCache::LookupApiKey(Database& db, const Clock& clock, std::string_view key) {
  std::string hash = HashHex(key);
  Instant now = clock.Now();
  const int64_t ttl = static_cast<int64_t>(ttl_.count()) * 1'000'000;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = entries_.find(hash);
    if (it != entries_.end() && now.micros - it->second.read_at.micros < ttl)
      return it->second.principal;
  }
  ASSIGN_OR_RETURN(KeyRow k, FindKey(db, &clock, hash));
  std::lock_guard<std::mutex> lock(mutex_);
  if (entries_.size() > 100'000)
    entries_.clear();  // bounded: keys are few, hashes of garbage are not cached
  entries_[hash] = Entry{k.principal, now};
  return k.principal;
}

Result<WriteKeyInfo> KeyCache::LookupWriteKey(Database& db, const Clock& clock,
                                              std::string_view key) {
  ASSIGN_OR_RETURN(Principal p, LookupApiKey(db, clock, key));
  return WriteKeyOf(p);
}

void KeyCache::Invalidate() {
  std::lock_guard<std::mutex> lock(mutex_);
  entries_.clear();
}

}  // namespace patron::access
