// `patron user`, `patron key`, `patron audit`, and `patron customer export|erase`.
// Secrets never come from the command line (it is visible in `ps` and shell
// history): passwords are read from standard input or PATRON_PASSWORD.
#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <vector>
#include <iostream>
#include <nlohmann/json.hpp>

#include "access/access.h"
#include "cli/cli_internal.h"
#include "engine/engine.h"

namespace patron::cli {
namespace {

using nlohmann::ordered_json;

// Option storage outlives AddAccessCommands: the actions run after parsing.
struct AccessArgs {
  std::string user_name, role = "analyst";
  bool password_stdin = false;
  std::string key_name;
  int64_t key_id = 0;
  std::string audit_actor, audit_action, audit_since, audit_until;
  int64_t audit_customer = 0;
  int64_t audit_before = 0;
  int audit_limit = 50;
  int64_t customer_id = 0;
  std::string out;
  bool yes = false;
};

std::string CliActor() {
  const char* user = std::getenv("USER");
  if (!user || !*user) user = std::getenv("LOGNAME");
  if (user && *user) return "cli:" + std::string(user);
  if (const passwd* pw = ::getpwuid(::getuid())) return "cli:" + std::string(pw->pw_name);
  return "cli:uid" + std::to_string(::getuid());
}

}  // namespace

Status AuditFromCli(Database& db, std::string action, std::string target_type,
                    std::string target_id, std::optional<int64_t> customer_id, std::string detail) {
  access::AuditEntry e;
  e.actor = CliActor();
  e.action = std::move(action);
  e.target_type = std::move(target_type);
  e.target_id = std::move(target_id);
  e.customer_id = customer_id;
  e.origin = "cli";
  e.detail = std::move(detail);
  return access::AppendAudit(db, SystemClock::Get(), e).status();
}

namespace {

Status Audit(Database& db, std::string action, std::string target_type, std::string target_id,
             std::optional<int64_t> customer_id = std::nullopt, std::string detail = {}) {
  return AuditFromCli(db, std::move(action), std::move(target_type), std::move(target_id),
                      customer_id, std::move(detail));
}

Result<std::string> ReadPassword(bool from_stdin) {
  if (from_stdin) {
    std::string line;
    if (!std::getline(std::cin, line)) return InvalidArgument("no password on standard input");
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    return line;
  }
  const char* env = std::getenv("PATRON_PASSWORD");
  if (env && *env) return std::string(env);
  return InvalidArgument(
      "give the password on standard input with --password-stdin, or in the environment variable "
      "PATRON_PASSWORD (never on the command line)");
}

std::string When(const std::optional<Instant>& t) { return t ? FormatInstant(*t) : "-"; }
ordered_json JsonTime(const std::optional<Instant>& t) {
  return t ? ordered_json(FormatInstant(*t)) : ordered_json(nullptr);
}

int RunUserAdd(const GlobalOptions& g, const AccessArgs& a) {
  auto role = access::ParseRole(a.role);
  if (!role.ok()) return Fail(role.status());
  auto password = ReadPassword(a.password_stdin);
  if (!password.ok()) return Fail(password.status());
  auto db = OpenDb(g.db_path);
  if (!db.ok()) return Fail(db.status());
  auto user = access::CreateUser(**db, SystemClock::Get(), a.user_name, *role, *password);
  if (!user.ok()) return Fail(user.status());
  Status s = Audit(**db, "user.create", "user", std::to_string(user->id), std::nullopt,
                   ordered_json{{"role", a.role}}.dump());
  if (!s.ok()) return Fail(s);
  if (g.json) {
    std::cout << ordered_json{{"id", user->id}, {"name", user->name}, {"role", a.role}}.dump(2)
              << "\n";
  } else {
    std::printf("Created user '%s' (id %lld, role %s)\n", user->name.c_str(),
                static_cast<long long>(user->id), a.role.c_str());
  }
  return 0;
}

int RunUserList(const GlobalOptions& g) {
  auto db = OpenDb(g.db_path);
  if (!db.ok()) return Fail(db.status());
  auto users = access::ListUsers(**db);
  if (!users.ok()) return Fail(users.status());
  if (g.json) {
    ordered_json out = ordered_json::array();
    for (const auto& u : *users) {
      out.push_back({{"id", u.id},
                     {"name", u.name},
                     {"role", access::RoleName(u.role)},
                     {"created_at", FormatInstant(u.created_at)},
                     {"last_login_at", JsonTime(u.last_login_at)},
                     {"disabled", u.disabled_at.has_value()}});
    }
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  if (users->empty()) {
    std::printf(
        "No users yet: add one with `patron user add NAME --role admin --password-stdin`\n");
    return 0;
  }
  std::printf("%-5s %-24s %-10s %-27s %-27s %s\n", "ID", "NAME", "ROLE", "CREATED", "LAST LOGIN",
              "STATUS");
  for (const auto& u : *users) {
    std::printf("%-5lld %-24s %-10s %-27s %-27s %s\n", static_cast<long long>(u.id), u.name.c_str(),
                std::string(access::RoleName(u.role)).c_str(), FormatInstant(u.created_at).c_str(),
                When(u.last_login_at).c_str(), u.disabled_at ? "disabled" : "active");
  }
  return 0;
}

int RunUserDisable(const GlobalOptions& g, const AccessArgs& a) {
  auto db = OpenDb(g.db_path);
  if (!db.ok()) return Fail(db.status());
  Status s = access::DisableUser(**db, SystemClock::Get(), a.user_name);
  if (s.ok()) s = Audit(**db, "user.disable", "user", a.user_name);
  if (!s.ok()) return Fail(s);
  std::printf("Disabled user '%s'; their sessions have ended\n", a.user_name.c_str());
  return 0;
}

int RunUserPasswd(const GlobalOptions& g, const AccessArgs& a) {
  auto password = ReadPassword(a.password_stdin);
  if (!password.ok()) return Fail(password.status());
  auto db = OpenDb(g.db_path);
  if (!db.ok()) return Fail(db.status());
  Status s = access::SetPassword(**db, SystemClock::Get(), a.user_name, *password);
  if (s.ok()) s = Audit(**db, "user.password", "user", a.user_name);
  if (!s.ok()) return Fail(s);
  std::printf("Changed the password of '%s'; their sessions have ended\n", a.user_name.c_str());
  return 0;
}

int RunKeyCreate(const GlobalOptions& g, const AccessArgs& a) {
  auto role = access::ParseRole(a.role);
  if (!role.ok()) return Fail(role.status());
  auto db = OpenDb(g.db_path);
  if (!db.ok()) return Fail(db.status());
  std::string actor = CliActor();
  auto key = access::CreateApiKey(**db, SystemClock::Get(), a.key_name, *role, actor);
  if (!key.ok()) return Fail(key.status());
  Status s = Audit(**db, "key.create", "key", std::to_string(key->key.id), std::nullopt,
                   ordered_json{{"role", a.role}}.dump());
  if (!s.ok()) return Fail(s);
  if (g.json) {
    std::cout << ordered_json{{"id", key->key.id},
                              {"name", key->key.name},
                              {"role", a.role},
                              {"key", key->plain}}
                     .dump(2)
              << "\n";
    return 0;
  }
  std::printf("Created API key %lld '%s' (role %s):\n\n  %s\n\n",
              static_cast<long long>(key->key.id), key->key.name.c_str(), a.role.c_str(),
              key->plain.c_str());
  std::printf("Copy it now: it will not be shown again (only its hash is stored).\n");
  if (*role == access::Role::kCollector) {
    std::printf(
        "It is a Segment write key: events sent with it are stored under the source '%s'.\n",
        key->key.name.c_str());
  }
  return 0;
}

int RunKeyList(const GlobalOptions& g) {
  auto db = OpenDb(g.db_path);
  if (!db.ok()) return Fail(db.status());
  auto keys = access::ListApiKeys(**db);
  if (!keys.ok()) return Fail(keys.status());
  if (g.json) {
    ordered_json out = ordered_json::array();
    for (const auto& k : *keys) {
      out.push_back({{"id", k.id},
                     {"name", k.name},
                     {"role", access::RoleName(k.role)},
                     {"prefix", k.prefix},
                     {"created_by", k.created_by},
                     {"created_at", FormatInstant(k.created_at)},
                     {"last_used_at", JsonTime(k.last_used_at)},
                     {"revoked_at", JsonTime(k.revoked_at)}});
    }
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  if (keys->empty()) {
    std::printf(
        "No API keys yet: create one with `patron key create --name web --role collector`\n");
    return 0;
  }
  std::printf("%-5s %-20s %-10s %-15s %-27s %-27s %s\n", "ID", "NAME", "ROLE", "KEY", "CREATED",
              "LAST USED", "STATUS");
  for (const auto& k : *keys) {
    std::string status = k.revoked_at ? "revoked " + FormatInstant(*k.revoked_at) : "active";
    std::printf("%-5lld %-20s %-10s %-15s %-27s %-27s %s\n", static_cast<long long>(k.id),
                k.name.c_str(), std::string(access::RoleName(k.role)).c_str(),
                (k.prefix + "...").c_str(), FormatInstant(k.created_at).c_str(),
                When(k.last_used_at).c_str(), status.c_str());
  }
  return 0;
}

int RunKeyRevoke(const GlobalOptions& g, const AccessArgs& a) {
  auto db = OpenDb(g.db_path);
  if (!db.ok()) return Fail(db.status());
  Status s = access::RevokeApiKey(**db, SystemClock::Get(), a.key_id);
  if (s.ok()) s = Audit(**db, "key.revoke", "key", std::to_string(a.key_id));
  if (!s.ok()) return Fail(s);
  std::printf("Revoked API key %lld\n", static_cast<long long>(a.key_id));
  return 0;
}

int RunAudit(const GlobalOptions& g, const AccessArgs& a) {
  access::AuditFilter f;
  f.actor = a.audit_actor;
  f.action_prefix = a.audit_action;
  if (a.audit_customer > 0) f.customer_id = a.audit_customer;
  f.before_id = a.audit_before;
  f.limit = a.audit_limit;
  if (!a.audit_since.empty()) {
    auto t = ParseInstant(a.audit_since);
    if (!t.ok()) return Fail(t.status().WithContext("--since"));
    f.since = *t;
  }
  if (!a.audit_until.empty()) {
    auto t = ParseInstant(a.audit_until);
    if (!t.ok()) return Fail(t.status().WithContext("--until"));
    f.until = *t;
  }
  auto db = OpenDb(g.db_path);
  if (!db.ok()) return Fail(db.status());
  auto entries = access::QueryAudit(**db, f);
  if (!entries.ok()) return Fail(entries.status());
  if (g.json) {
    ordered_json out = ordered_json::array();
    for (const auto& e : *entries) {
      ordered_json j{
          {"id", e.id},
          {"at", FormatInstant(e.at)},
          {"actor", e.actor},
          {"action", e.action},
          {"target_type", e.target_type},
          {"target_id", e.target_id},
          {"customer_id", e.customer_id ? ordered_json(*e.customer_id) : ordered_json(nullptr)},
          {"origin", e.origin}};
      j["detail"] =
          e.detail.empty() ? ordered_json(nullptr) : ordered_json::parse(e.detail, nullptr, false);
      out.push_back(std::move(j));
    }
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  if (entries->empty()) {
    std::printf("No audit entries match\n");
    return 0;
  }
  std::printf("%-6s %-27s %-20s %-18s %-16s %-9s %s\n", "ID", "AT", "ACTOR", "ACTION", "TARGET",
              "CUSTOMER", "ORIGIN");
  for (const auto& e : *entries) {
    std::string target = e.target_type.empty() ? "-" : e.target_type + ":" + e.target_id;
    std::string customer = e.customer_id ? std::to_string(*e.customer_id) : "-";
    std::printf("%-6lld %-27s %-20s %-18s %-16s %-9s %s\n", static_cast<long long>(e.id),
                FormatInstant(e.at).c_str(), e.actor.c_str(), e.action.c_str(), target.c_str(),
                customer.c_str(), e.origin.c_str());
  }
  if (static_cast<int>(entries->size()) == f.limit) {
    std::printf("(more with --before %lld)\n", static_cast<long long>(entries->back().id));
  }
  return 0;
}

int RunCustomerExport(const GlobalOptions& g, const AccessArgs& a) {
  auto db = OpenDb(g.db_path);
  if (!db.ok()) return Fail(db.status());
  auto doc = access::ExportCustomer(**db, a.customer_id);
  if (!doc.ok()) return Fail(doc.status());
  Status s = Audit(**db, "customer.export", "customer", std::to_string(a.customer_id),
                   a.customer_id, ordered_json{{"to", a.out.empty() ? "stdout" : "file"}}.dump());
  if (!s.ok()) return Fail(s);
  if (a.out.empty()) {
    std::cout << *doc << "\n";
    return 0;
  }
  // The file holds a person's data: readable by its owner only, from the start.
  int fd = ::open(a.out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Fail(IoError("cannot create '" + a.out + "': " + std::strerror(errno)));
  std::string text = *doc + "\n";
  bool written = ::fchmod(fd, 0600) == 0;
  for (size_t done = 0; written && done < text.size();) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    written = n > 0;
    if (written) done += static_cast<size_t>(n);
  }
  written = ::close(fd) == 0 && written;
  if (!written) return Fail(IoError("cannot write '" + a.out + "': " + std::strerror(errno)));
  std::fprintf(stderr, "Wrote everything held about customer %lld to %s\n",
               static_cast<long long>(a.customer_id), a.out.c_str());
  return 0;
}

void PrintPlan(const access::ErasurePlan& plan) {
  std::printf("  customer records:");
  for (int64_t id : plan.customer_ids) std::printf(" %lld", static_cast<long long>(id));
  std::printf("\n");
  for (const auto& [table, n] : plan.rows) {
    std::printf("  %-24s %8lld rows\n", table.c_str(), static_cast<long long>(n));
  }
  std::printf("  %-24s %8lld identifiers, hashed, so that re-imports skip them\n", "tombstones",
              static_cast<long long>(plan.identifiers));
  if (!plan.sharing_records.empty()) {
    std::printf("Not erased: customer records sharing an email or phone with this person:");
    for (int64_t id : plan.sharing_records) std::printf(" %lld", static_cast<long long>(id));
    std::printf(
        "\n  (the same person in another source? `patron identity resolve` links them; or erase "
        "them too)\n");
  }
}

ordered_json PlanJson(const access::ErasurePlan& plan, bool erased) {
  return ordered_json{{"erased", erased},
                      {"customer_records", plan.customer_ids},
                      {"rows", plan.rows},
                      {"identifiers", plan.identifiers},
                      {"sharing_records", plan.sharing_records}};
}

int RunCustomerErase(const GlobalOptions& g, const AccessArgs& a) {
  auto db = OpenDb(g.db_path);
  if (!db.ok()) return Fail(db.status());
  if (!a.yes) {
    auto plan = access::PlanErasure(**db, a.customer_id);
    if (!plan.ok()) return Fail(plan.status());
    if (g.json) {
      std::cout << PlanJson(*plan, false).dump(2) << "\n";
    } else {
      std::printf("Erasing customer %lld would delete, irreversibly:\n",
                  static_cast<long long>(a.customer_id));
      PrintPlan(*plan);
    }
    std::fprintf(stderr, "patron: nothing was erased; run again with --yes to erase\n");
    return 1;
  }
  auto plan = access::EraseCustomer(**db, SystemClock::Get(), a.customer_id, CliActor(), "cli");
  if (!plan.ok()) return Fail(plan.status());
  // The engine's snapshot file still holds the person until rebuilt: remove it
  // now rather than at the next segment query.
  std::error_code ec;
  std::filesystem::remove(engine::SnapshotPath(g.db_path), ec);
  // So are the event-property caches beside it (DB.engine.property.*).
  const std::filesystem::path snapshot(engine::SnapshotPath(g.db_path));
  const std::string cache_prefix = snapshot.filename().string() + ".property.";
  std::vector<std::filesystem::path> caches;
  for (const auto& entry : std::filesystem::directory_iterator(
           snapshot.parent_path().empty() ? std::filesystem::path(".") : snapshot.parent_path(), ec))
    if (entry.path().filename().string().rfind(cache_prefix, 0) == 0) caches.push_back(entry.path());
  for (const auto& cache : caches) std::filesystem::remove(cache, ec);
  if (g.json) {
    std::cout << PlanJson(*plan, true).dump(2) << "\n";
    return 0;
  }
  std::printf("Erased customer %lld:\n", static_cast<long long>(a.customer_id));
  PrintPlan(*plan);
  return 0;
}

}  // namespace

void AddAccessCommands(CLI::App& app, const GlobalOptions& globals, Action& action) {
  static AccessArgs a;

  auto* user =
      app.add_subcommand("user", "Users of the web UI and API (passwords hashed with argon2id)");
  user->require_subcommand(1);
  auto* add =
      user->add_subcommand("add", "Add a user; the password comes from stdin or PATRON_PASSWORD");
  add->add_option("name", a.user_name, "User name")->required();
  add->add_option("--role", a.role, "admin|marketer|analyst|support|collector")
      ->required()
      ->check(CLI::IsMember({"admin", "marketer", "analyst", "support", "collector"}));
  add->add_flag("--password-stdin", a.password_stdin,
                "Read the password from the first line of standard input");
  add->callback([&] { action = [&] { return RunUserAdd(globals, a); }; });
  auto* list = user->add_subcommand("list", "List users");
  list->callback([&] { action = [&] { return RunUserList(globals); }; });
  auto* disable =
      user->add_subcommand("disable", "Stop a user from signing in and end their sessions");
  disable->add_option("name", a.user_name, "User name")->required();
  disable->callback([&] { action = [&] { return RunUserDisable(globals, a); }; });
  auto* passwd = user->add_subcommand("passwd", "Set a user's password (stdin or PATRON_PASSWORD)");
  passwd->add_option("name", a.user_name, "User name")->required();
  passwd->add_flag("--password-stdin", a.password_stdin,
                   "Read the password from the first line of standard input");
  passwd->callback([&] { action = [&] { return RunUserPasswd(globals, a); }; });

  auto* key = app.add_subcommand("key", "API keys; collector keys are Segment write keys");
  key->require_subcommand(1);
  auto* create = key->add_subcommand("create", "Create an API key (shown once)");
  create
      ->add_option("--name", a.key_name,
                   "What the key is for; a collector key's events get this source")
      ->required();
  create->add_option("--role", a.role, "admin|marketer|analyst|support|collector")
      ->required()
      ->check(CLI::IsMember({"admin", "marketer", "analyst", "support", "collector"}));
  create->callback([&] { action = [&] { return RunKeyCreate(globals, a); }; });
  auto* klist = key->add_subcommand("list", "List API keys (their prefixes, never the keys)");
  klist->callback([&] { action = [&] { return RunKeyList(globals); }; });
  auto* revoke = key->add_subcommand("revoke", "Revoke an API key");
  revoke->add_option("id", a.key_id, "Key id (see `patron key list`)")->required();
  revoke->callback([&] { action = [&] { return RunKeyRevoke(globals, a); }; });

  auto* audit =
      app.add_subcommand("audit", "The audit log: who read or changed what, newest first");
  audit->add_option("--actor", a.audit_actor, "Only this actor (user:NAME, key:ID, cli:USER)");
  audit->add_option("--customer", a.audit_customer, "Only entries about this customer id");
  audit->add_option("--action", a.audit_action,
                    "Only actions starting with this (customer., user.create)");
  audit->add_option("--since", a.audit_since, "From this time (ISO 8601)");
  audit->add_option("--until", a.audit_until, "Before this time (ISO 8601)");
  audit->add_option("--before", a.audit_before, "Only entries older than this id (paging)");
  audit->add_option("--limit", a.audit_limit, "At most this many entries (default 50)")
      ->check(CLI::Range(1, 10000));
  audit->callback([&] { action = [&] { return RunAudit(globals, a); }; });
}

void AddCustomerPrivacyCommands(CLI::App& customer, const GlobalOptions& globals, Action& action) {
  static AccessArgs a;
  auto* exp =
      customer.add_subcommand("export", "Everything held about one customer, as JSON (R28)");
  exp->add_option("id", a.customer_id, "Customer id")->required();
  exp->add_option("--out", a.out, "Write to this file (mode 0600) instead of stdout");
  exp->callback([&] { action = [&] { return RunCustomerExport(globals, a); }; });
  auto* erase = customer.add_subcommand(
      "erase", "Erase a customer everywhere, keeping hashed tombstones (R28)");
  erase->add_option("id", a.customer_id, "Customer id")->required();
  erase->add_flag("--yes", a.yes, "Really erase; without it, show what would be deleted");
  erase->callback([&] { action = [&] { return RunCustomerErase(globals, a); }; });
}

}  // namespace patron::cli
