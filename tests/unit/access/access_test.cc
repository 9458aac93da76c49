#include "access/access.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "store/store.h"

namespace patron::access {
namespace {

const Instant kStart = *ParseInstant("2026-11-01T09:00:00Z");

class AccessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("patron_access_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto db = Database::Open((dir_ / "test.db").string());
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(*db);
  }
  void TearDown() override {
    db_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::string DatabaseBytes() {
    EXPECT_TRUE(db_->Exec("PRAGMA wal_checkpoint(TRUNCATE)").ok());
    std::ifstream in(dir_ / "test.db", std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  std::filesystem::path dir_;
  std::unique_ptr<Database> db_;
  ManualClock clock_{kStart};
};

TEST(Roles, TableMatchesTheRolesPurpose) {
  for (Permission p : kAllPermissions)
    EXPECT_TRUE(RoleAllows(Role::kAdmin, p)) << PermissionName(p);
  // Support sees what an agent needs, not bulk or irreversible rights.
  EXPECT_TRUE(RoleAllows(Role::kSupport, Permission::kReadPersonalData));
  EXPECT_TRUE(RoleAllows(Role::kSupport, Permission::kManageConsents));
  EXPECT_FALSE(RoleAllows(Role::kSupport, Permission::kExportCustomer));
  EXPECT_FALSE(RoleAllows(Role::kSupport, Permission::kEraseCustomer));
  EXPECT_FALSE(RoleAllows(Role::kSupport, Permission::kManageUsers));
  // Analysts read aggregates, never a person.
  EXPECT_TRUE(RoleAllows(Role::kAnalyst, Permission::kReadSegments));
  EXPECT_TRUE(RoleAllows(Role::kAnalyst, Permission::kReadReports));
  EXPECT_FALSE(RoleAllows(Role::kAnalyst, Permission::kReadPersonalData));
  EXPECT_FALSE(RoleAllows(Role::kAnalyst, Permission::kManageSegments));
  // Collectors only collect.
  for (Permission p : kAllPermissions) {
    EXPECT_EQ(RoleAllows(Role::kCollector, p), p == Permission::kCollectEvents)
        << PermissionName(p);
  }
  EXPECT_FALSE(RoleAllows(Role::kMarketer, Permission::kEraseCustomer));
  EXPECT_FALSE(RoleAllows(Role::kMarketer, Permission::kManageKeys));
}

TEST(Roles, NamesRoundTrip) {
  for (Role r : kAllRoles) {
    auto parsed = ParseRole(RoleName(r));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, r);
  }
  auto bad = ParseRole("root");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("admin, marketer"), std::string::npos);
  EXPECT_FALSE(Allowed(Principal{}, Permission::kReadCustomers)) << "nobody is allowed nothing";
  EXPECT_EQ(PermissionName(Permission::kReadPersonalData), "read_personal_data");
  Principal analyst{1, 0, "ana", Role::kAnalyst};
  EXPECT_TRUE(Require(analyst, Permission::kReadSegments).ok());
  Status denied = Require(analyst, Permission::kReadPersonalData);
  EXPECT_EQ(denied.code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(denied.message(), "role 'analyst' may not read_personal_data");
}

TEST_F(AccessTest, PasswordsAreHashedWithArgon2idAndChecked) {
  const std::string password = "correct horse battery staple";
  auto user = CreateUser(*db_, clock_, "sara", Role::kSupport, password);
  ASSERT_TRUE(user.ok()) << user.status().ToString();
  auto hash = db_->Prepare("SELECT password_hash FROM users WHERE name = 'sara'");
  ASSERT_TRUE(hash.ok());
  ASSERT_TRUE(*(*hash)->Step());
  EXPECT_EQ((*hash)->String(0).rfind("$argon2id$", 0), 0u) << (*hash)->String(0);
  (*hash)->Reset();

  auto p = Authenticate(*db_, clock_, "sara", password);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->user_id, user->id);
  EXPECT_EQ(p->role, Role::kSupport);
  EXPECT_EQ(ActorName(*p), "user:sara");

  auto wrong = Authenticate(*db_, clock_, "sara", "correct horse battery stapler");
  EXPECT_EQ(wrong.status().code(), StatusCode::kUnauthenticated);
  auto unknown = Authenticate(*db_, clock_, "nobody", password);
  EXPECT_EQ(unknown.status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(unknown.status().message(), wrong.status().message())
      << "unknown users look like wrong passwords";

  EXPECT_EQ(DatabaseBytes().find(password), std::string::npos)
      << "the plain password is in the database file";
}

TEST_F(AccessTest, UserRules) {
  auto short_pw = CreateUser(*db_, clock_, "ali", Role::kAdmin, "short");
  ASSERT_FALSE(short_pw.ok());
  EXPECT_NE(short_pw.status().message().find("at least 10 characters"), std::string::npos);
  EXPECT_EQ(CreateUser(*db_, clock_, "bad name", Role::kAdmin, "long enough pw").status().code(),
            StatusCode::kInvalidArgument);
  ASSERT_TRUE(CreateUser(*db_, clock_, "ali", Role::kAdmin, "first password").ok());
  EXPECT_EQ(CreateUser(*db_, clock_, "ali", Role::kAdmin, "first password").status().code(),
            StatusCode::kAlreadyExists);

  ASSERT_TRUE(SetPassword(*db_, clock_, "ali", "second password").ok());
  EXPECT_FALSE(Authenticate(*db_, clock_, "ali", "first password").ok());
  EXPECT_TRUE(Authenticate(*db_, clock_, "ali", "second password").ok());
  EXPECT_EQ(SetPassword(*db_, clock_, "nobody", "second password").code(), StatusCode::kNotFound);

  ASSERT_TRUE(DisableUser(*db_, clock_, "ali").ok());
  auto disabled = Authenticate(*db_, clock_, "ali", "second password");
  EXPECT_EQ(disabled.status().code(), StatusCode::kUnauthenticated);
  EXPECT_NE(disabled.status().message().find("disabled"), std::string::npos);

  auto users = ListUsers(*db_);
  ASSERT_TRUE(users.ok());
  ASSERT_EQ(users->size(), 1u);
  EXPECT_TRUE((*users)[0].disabled_at.has_value());
  EXPECT_TRUE((*users)[0].last_login_at.has_value());
}

TEST_F(AccessTest, SessionsExpireAndSlide) {
  auto user = CreateUser(*db_, clock_, "mina", Role::kMarketer, "a long password");
  ASSERT_TRUE(user.ok());
  auto token = CreateSession(*db_, clock_, user->id, std::chrono::hours(1));
  ASSERT_TRUE(token.ok()) << token.status().ToString();
  EXPECT_EQ(token->size(), 64u);
  EXPECT_EQ(DatabaseBytes().find(*token), std::string::npos) << "only the token's hash is stored";

  auto p = LookupSession(*db_, clock_, *token);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->user_id, user->id);
  EXPECT_EQ(p->role, Role::kMarketer);

  // Used after 50 minutes: the hour starts again from then.
  clock_.Advance(std::chrono::minutes(50));
  ASSERT_TRUE(LookupSession(*db_, clock_, *token).ok());
  clock_.Advance(std::chrono::minutes(50));
  ASSERT_TRUE(LookupSession(*db_, clock_, *token).ok()) << "the session slides with use";
  clock_.Advance(std::chrono::minutes(61));
  EXPECT_EQ(LookupSession(*db_, clock_, *token).status().code(), StatusCode::kUnauthenticated);

  auto second = CreateSession(*db_, clock_, user->id, std::chrono::hours(1));
  ASSERT_TRUE(second.ok());
  ASSERT_TRUE(EndSession(*db_, *second).ok());
  EXPECT_FALSE(LookupSession(*db_, clock_, *second).ok());

  auto third = CreateSession(*db_, clock_, user->id, std::chrono::hours(1));
  ASSERT_TRUE(third.ok());
  ASSERT_TRUE(DisableUser(*db_, clock_, "mina").ok());
  EXPECT_FALSE(LookupSession(*db_, clock_, *third).ok()) << "disabling ends sessions";
  EXPECT_FALSE(LookupSession(*db_, clock_, "not-a-token").ok());
}

TEST_F(AccessTest, ApiKeysAreShownOnceAndStoredHashed) {
  auto key = CreateApiKey(*db_, clock_, "web", Role::kCollector, "cli:test");
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(key->plain.rfind("pat_", 0), 0u);
  EXPECT_GE(key->plain.size(), 40u);
  EXPECT_EQ(key->key.prefix, key->plain.substr(0, 12));
  std::string bytes = DatabaseBytes();
  EXPECT_EQ(bytes.find(key->plain), std::string::npos) << "the plain key is in the database file";

  auto p = LookupApiKey(*db_, clock_, key->plain);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->key_id, key->key.id);
  EXPECT_EQ(p->user_id, 0);
  EXPECT_EQ(ActorName(*p), "key:" + std::to_string(key->key.id));
  EXPECT_TRUE(Allowed(*p, Permission::kCollectEvents));
  EXPECT_FALSE(Allowed(*p, Permission::kReadCustomers));

  auto write_key = LookupWriteKey(*db_, clock_, key->plain);
  ASSERT_TRUE(write_key.ok());
  EXPECT_EQ(write_key->source, "web");

  auto admin = CreateApiKey(*db_, clock_, "ops", Role::kAnalyst, "cli:test");
  ASSERT_TRUE(admin.ok());
  EXPECT_EQ(LookupWriteKey(*db_, clock_, admin->plain).status().code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(LookupApiKey(*db_, clock_, key->plain + "x").status().code(),
            StatusCode::kUnauthenticated);

  auto listed = ListApiKeys(*db_);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_TRUE((*listed)[0].last_used_at.has_value());

  KeyCache cache(std::chrono::seconds(10));
  ASSERT_TRUE(cache.LookupWriteKey(*db_, clock_, key->plain).ok());
  ASSERT_TRUE(RevokeApiKey(*db_, clock_, key->key.id).ok());
  EXPECT_EQ(LookupApiKey(*db_, clock_, key->plain).status().code(), StatusCode::kUnauthenticated);
  EXPECT_TRUE(cache.LookupApiKey(*db_, clock_, key->plain).ok()) << "cached within its ttl";
  clock_.Advance(std::chrono::seconds(11));
  EXPECT_FALSE(cache.LookupApiKey(*db_, clock_, key->plain).ok())
      << "a revocation shows after the ttl";
  EXPECT_EQ(RevokeApiKey(*db_, clock_, 999).code(), StatusCode::kNotFound);
}

TEST_F(AccessTest, KeyCacheIsSharedByThreads) {
  std::vector<std::string> keys;
  for (int i = 0; i < 4; ++i) {
    auto k = CreateApiKey(*db_, clock_, "source" + std::to_string(i), Role::kCollector, "test");
    ASSERT_TRUE(k.ok());
    keys.push_back(k->plain);
  }
  KeyCache cache;
  std::atomic<int> ok{0}, wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      auto db = Database::Open((dir_ / "test.db").string());  // one Database per thread
      if (!db.ok()) return;
      const Clock& clock = SystemClock::Get();
      for (int i = 0; i < 200; ++i) {
        const std::string& key = keys[(t + i) % keys.size()];
        auto info = cache.LookupWriteKey(**db, clock, key);
        (info.ok() && info->source == "source" + std::to_string((t + i) % keys.size()) ? ok
                                                                                       : wrong)++;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 800);
  EXPECT_EQ(wrong.load(), 0);
}

TEST_F(AccessTest, AuditLogIsAppendOnlyAndQueryable) {
  AuditEntry e;
  e.actor = "user:sara";
  e.action = "customer.read";
  e.target_type = "customer";
  e.target_id = "7";
  e.customer_id = 7;
  e.origin = "10.0.0.1";
  ASSERT_TRUE(AppendAudit(*db_, clock_, e).ok());
  clock_.Advance(std::chrono::minutes(1));
  e.action = "customer.update";
  e.detail = R"({"fields":["city"]})";
  ASSERT_TRUE(AppendAudit(*db_, clock_, e).ok());
  clock_.Advance(std::chrono::minutes(1));
  AuditEntry k{0, {}, "cli:root", "key.create", "key", "1", std::nullopt, "cli", ""};
  ASSERT_TRUE(AppendAudit(*db_, clock_, k).ok());
  e.detail = "not json";
  EXPECT_EQ(AppendAudit(*db_, clock_, e).status().code(), StatusCode::kInvalidArgument);

  EXPECT_FALSE(db_->Exec("UPDATE audit_log SET actor = 'someone else'").ok());
  EXPECT_FALSE(db_->Exec("DELETE FROM audit_log").ok());
  EXPECT_EQ(*db_->QueryInt("SELECT count(*) FROM audit_log"), 3);

  AuditFilter f;
  auto all = QueryAudit(*db_, f);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].action, "key.create") << "newest first";
  f.customer_id = 7;
  EXPECT_EQ(QueryAudit(*db_, f)->size(), 2u);
  f = {};
  f.action_prefix = "customer.";
  EXPECT_EQ(QueryAudit(*db_, f)->size(), 2u);
  f = {};
  f.actor = "cli:root";
  EXPECT_EQ(QueryAudit(*db_, f)->size(), 1u);
  f = {};
  f.since = Instant{kStart.micros + 30'000'000};
  f.until = Instant{kStart.micros + 90'000'000};
  auto window = QueryAudit(*db_, f);
  ASSERT_EQ(window->size(), 1u);
  EXPECT_EQ((*window)[0].action, "customer.update");
  EXPECT_EQ((*window)[0].detail, R"({"fields":["city"]})");
  f = {};
  f.limit = 2;
  auto page1 = QueryAudit(*db_, f);
  ASSERT_EQ(page1->size(), 2u);
  f.before_id = page1->back().id;
  auto page2 = QueryAudit(*db_, f);
  ASSERT_EQ(page2->size(), 1u);
  EXPECT_EQ((*page2)[0].action, "customer.read");
}

}  // namespace
}  // namespace patron::access
