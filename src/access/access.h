// Patron access: who may do what (roles and permissions), who is asking
// (users with passwords, web sessions, API keys and Segment write keys), what
// they did (the append-only audit log), and the privacy rights of the people in
// the database (export everything held about one person, erase them, and keep
// tombstones so that re-imports do not bring them back). See docs/access.md.
//
// Secrets are never stored: passwords as argon2id strings (libsodium
// crypto_pwhash), session tokens and API keys as BLAKE2b hashes. Plain tokens
// and keys are returned once, when created.
//
// Thread-safety: functions taking a Database follow its rule (one thread at a
// time per Database). KeyCache is thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/core.h"
#include "store/store.h"

namespace patron::access {

// ---------------------------------------------------------------------------
// Roles and permissions
// ---------------------------------------------------------------------------

enum class Role { kAdmin, kMarketer, kAnalyst, kSupport, kCollector };

enum class Permission {
  kCollectEvents,     // send Segment events (write keys)
  kReadCustomers,     // search customers, counts, non-personal fields
  kReadPersonalData,  // the one customer view: names, contact points, events
  kWriteCustomers,    // update profiles, contact points
  kManageConsents,    // grant or withdraw consent with proof
  kImportData,        // file imports
  kReadSegments,      // count, preview, explain segments
  kManageSegments,    // save, refresh, delete segments
  kReadReports,       // data quality, statistics, model reports
  kExportCustomer,    // one person's full export (R28)
  kEraseCustomer,     // erase a person (R28)
  kManageUsers,       // users and their roles
  kReadAudit,         // the audit log
  kManageKeys,        // API keys
  kManageCampaigns,   // create, prepare, send, pause and cancel campaigns; the contact policy
};

inline constexpr Role kAllRoles[] = {Role::kAdmin, Role::kMarketer, Role::kAnalyst, Role::kSupport,
                                     Role::kCollector};
inline constexpr Permission kAllPermissions[] = {
    Permission::kCollectEvents,  Permission::kReadCustomers,  Permission::kReadPersonalData,
    Permission::kWriteCustomers, Permission::kManageConsents, Permission::kImportData,
    Permission::kReadSegments,   Permission::kManageSegments, Permission::kReadReports,
    Permission::kExportCustomer, Permission::kEraseCustomer,  Permission::kManageUsers,
    Permission::kReadAudit,      Permission::kManageKeys,     Permission::kManageCampaigns};

// The one table of who may do what (see access.cc for the reasoning).
bool RoleAllows(Role role, Permission permission);
// "admin", "marketer", ...; ParseRole is case-sensitive and fails with
// kInvalidArgument naming the valid roles.
std::string_view RoleName(Role role);
Result<Role> ParseRole(std::string_view name);
// "read_personal_data", ...
std::string_view PermissionName(Permission permission);

// Who is asking: a signed-in user (user_id > 0) or an API key (key_id > 0).
struct Principal {
  int64_t user_id = 0;
  int64_t key_id = 0;
  std::string name;  // user name or key name
  Role role = Role::kAnalyst;
};
bool Allowed(const Principal& principal, Permission permission);
// Ok when allowed, else kPermissionDenied naming the role and the permission
// ("role 'analyst' may not read_personal_data"): what a route returns as 403.
Status Require(const Principal& principal, Permission permission);
// How the principal appears in the audit log: "user:<name>" or "key:<id>".
std::string ActorName(const Principal& principal);

// ---------------------------------------------------------------------------
// Users and passwords
// ---------------------------------------------------------------------------

inline constexpr size_t kMinPasswordLength = 10;

struct User {
  int64_t id = 0;
  std::string name;
  Role role = Role::kAnalyst;
  Instant created_at;
  std::optional<Instant> last_login_at, disabled_at;
};

// Creates a user with an argon2id password hash. Errors: kInvalidArgument for an
// empty or malformed name or a password shorter than kMinPasswordLength;
// kAlreadyExists when the name is taken.
Result<User> CreateUser(Database& db, const Clock& clock, std::string_view name, Role role,
                        std::string_view password);
// Checks a password. kUnauthenticated for an unknown user, a wrong password or a
// disabled user, with the same message for the first two; an unknown user costs
// the same time as a known one (a dummy hash is verified). Rehashes the password
// when the stored hash uses weaker parameters than today's.
Result<Principal> Authenticate(Database& db, const Clock& clock, std::string_view name,
                               std::string_view password);
// kNotFound for an unknown user; kInvalidArgument for a short password. Ends the
// user's sessions.
Status SetPassword(Database& db, const Clock& clock, std::string_view name,
                   std::string_view password);
// Refuses further sign-ins and ends the user's sessions. kNotFound when unknown.
Status DisableUser(Database& db, const Clock& clock, std::string_view name);
Result<std::vector<User>> ListUsers(Database& db);

// ---------------------------------------------------------------------------
// Web sessions
// ---------------------------------------------------------------------------

// Starts a session for an enabled user; returns the token (64 hex characters),
// which is shown once: only its hash is stored. The session expires `ttl` after
// its last use.
Result<std::string> CreateSession(Database& db, const Clock& clock, int64_t user_id,
                                  std::chrono::seconds ttl);
// The session's user. kUnauthenticated when the token is unknown, expired or its
// user disabled. Slides the expiry (written at most once a minute per session).
Result<Principal> LookupSession(Database& db, const Clock& clock, std::string_view token);
// Ends a session; an unknown token is not an error.
Status EndSession(Database& db, std::string_view token);

// ---------------------------------------------------------------------------
// API keys (collector keys are Segment write keys)
// ---------------------------------------------------------------------------

struct ApiKey {
  int64_t id = 0;
  std::string name;
  Role role = Role::kCollector;
  std::string prefix;  // "pat_3fa8c1" — enough to recognise, useless to an attacker
  std::string created_by;
  Instant created_at;
  std::optional<Instant> last_used_at, revoked_at;
};

struct NewApiKey {
  ApiKey key;
  std::string plain;  // "pat_" + 43 base64url characters; shown once, never stored
};

// Creates a key; `plain` is the only copy of the key there will ever be.
// `created_by` is the creator's actor name. kInvalidArgument for an empty name.
Result<NewApiKey> CreateApiKey(Database& db, const Clock& clock, std::string_view name, Role role,
                               std::string_view created_by);
// The key's principal; kUnauthenticated when unknown or revoked. Updates
// last_used_at at most once a minute per key.
Result<Principal> LookupApiKey(Database& db, const Clock& clock, std::string_view key);
// kNotFound for an unknown id; revoking twice is not an error.
Status RevokeApiKey(Database& db, const Clock& clock, int64_t key_id);
Result<std::vector<ApiKey>> ListApiKeys(Database& db);

// What events sent with a write key are stored under.
struct WriteKeyInfo {
  int64_t key_id = 0;
  std::string key_name;
  std::string source;  // the source name for events from this key: the key's name
};
// A collector (or admin) key usable as a Segment write key; kUnauthenticated
// when unknown or revoked, kPermissionDenied when its role cannot collect.
Result<WriteKeyInfo> LookupWriteKey(Database& db, const Clock& clock, std::string_view key);

// Caches key look-ups for the server's hot path: a key's principal is kept for
// `ttl` (default 10 s) after it was read, so a revocation made by another process
// takes effect within `ttl`; Invalidate() makes one made by this process
// immediate. Keyed by the key's hash, so plain keys are not kept in memory.
// Thread-safe; each caller passes its own thread's Database.
class KeyCache {
 public:
  explicit KeyCache(std::chrono::seconds ttl = std::chrono::seconds(10)) : ttl_(ttl) {}
  Result<Principal> LookupApiKey(Database& db, const Clock& clock, std::string_view key);
  Result<WriteKeyInfo> LookupWriteKey(Database& db, const Clock& clock, std::string_view key);
  void Invalidate();

 private:
  struct Entry {
    Principal principal;
    Instant read_at;
  };
  std::chrono::seconds ttl_;
  std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;  // GUARDED_BY(mutex_); key: key hash
};

// ---------------------------------------------------------------------------
// Audit log
// ---------------------------------------------------------------------------

struct AuditEntry {
  int64_t id = 0;           // set when read
  Instant at;               // set by AppendAudit from the clock
  std::string actor;        // ActorName(principal), or "cli:<user>"
  std::string action;       // "customer.read", "customer.erase", "user.create", ...
  std::string target_type;  // "customer", "user", "key", "segment", ...
  std::string target_id;
  std::optional<int64_t> customer_id;
  std::string origin;  // client IP or "cli"
  std::string detail;  // a JSON object of ids and field names, never personal values; may be empty
};

// Appends one entry; returns its id. kInvalidArgument when actor or action is
// empty or detail is not a JSON object.
Result<int64_t> AppendAudit(Database& db, const Clock& clock, const AuditEntry& entry);

struct AuditFilter {
  std::string actor;  // exact; empty: any
  std::optional<int64_t> customer_id;
  std::string action_prefix;            // "customer." matches customer.read, customer.erase, ...
  std::optional<Instant> since, until;  // [since, until)
  int64_t before_id = 0;  // cursor: only entries with a smaller id; 0: from the newest
  int limit = 100;
};
// Newest first. For the next page pass before_id = the last returned entry's id.
Result<std::vector<AuditEntry>> QueryAudit(Database& db, const AuditFilter& filter);

// ---------------------------------------------------------------------------
// Privacy (R28): export, erase, tombstones
// ---------------------------------------------------------------------------

// Everything held about one customer record as a JSON document: profile,
// attributes, tags, contact points, consents with their history, accounts,
// orders with lines, events, computed traits, source records, field issues,
// segment memberships, identity-resolution rows, and who accessed the record
// (its audit entries). Tables added later that have a customer_id column are
// included under "other". kNotFound for an unknown customer.
Result<std::string> ExportCustomer(Database& db, int64_t customer_id);

// What erasing a customer removes.
struct ErasurePlan {
  // The person's customer records: the one asked for and the records identity
  // resolution has linked to it (one person, several sources).
  std::vector<int64_t> customer_ids;
  std::map<std::string, int64_t> rows;  // table -> rows that go
  int64_t identifiers = 0;              // identifiers that become tombstones
  // Other customer records with one of the person's emails or phones: perhaps
  // the same person not yet linked by identity resolution, perhaps a family's
  // shared phone. They are not erased; the caller shows them so that a person
  // can decide (and erase them too).
  std::vector<int64_t> sharing_records;
};

// What EraseCustomer would remove, without changing anything.
Result<ErasurePlan> PlanErasure(Database& db, int64_t customer_id);

// Erases a person in one transaction: every row about their customer records in
// every table (the ones that cascade from customers and the ones that do not:
// source records, field issues, identity rows, and any table with a
// customer_id column), after writing tombstones of their emails, phones,
// national ids and source keys. Audits "customer.erase" as `actor` from
// `origin`; the audit entry keeps the customer id and the counts, nothing else.
// Deleted pages are overwritten (secure_delete) and the WAL is checkpointed.
// REQUIRES: no transaction is open on `db`.
Result<ErasurePlan> EraseCustomer(Database& db, const Clock& clock, int64_t customer_id,
                                  std::string_view actor, std::string_view origin = "cli");

enum class IdentifierKind { kEmail, kPhone, kNationalId, kSourceKey };

// Whether `value` (normalised as import stores it: the canonical email, E.164
// phone, national id, or for kSourceKey the record's key with `source_id`) is a
// tombstone of an erased person.
Result<bool> IsErased(Database& db, IdentifierKind kind, std::string_view value,
                      int64_t source_id = 0);

// The tombstones loaded once, for bulk paths (imports, event collection): a
// check is one keyed hash and a set look-up, no SQL. Not thread-safe.
class TombstoneChecker {
 public:
  static Result<TombstoneChecker> Load(Database& db);
  bool empty() const { return hashes_.empty(); }
  bool IsErased(IdentifierKind kind, std::string_view value, int64_t source_id = 0) const;

 private:
  std::string key_;
  std::unordered_set<std::string> hashes_;  // kind byte + hash
};

}  // namespace patron::access
