#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "store/store.h"

namespace patron {
namespace {

class DatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("patron_store_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string PathOf(const std::string& name) { return (dir_ / name).string(); }

  std::filesystem::path dir_;
};

TEST_F(DatabaseTest, OpenCreatesSchemaAtLatestVersion) {
  auto db = Database::Open(PathOf("a.db"));
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_EQ((*db)->schema_version(), Database::LatestSchemaVersion());
  EXPECT_GE(Database::LatestSchemaVersion(), 1);
  auto fk = (*db)->QueryInt("PRAGMA foreign_keys");
  ASSERT_TRUE(fk.ok());
  EXPECT_EQ(*fk, 1);
  auto mode = (*db)->Prepare("PRAGMA journal_mode");
  ASSERT_TRUE(mode.ok());
  ASSERT_TRUE(*(*mode)->Step());
  EXPECT_EQ((*mode)->Text(0), "wal");
  EXPECT_TRUE((*db)->HasQuery("insert-customer"));
  EXPECT_TRUE((*db)->HasQuery("customer-profile"));
}

TEST_F(DatabaseTest, ReopeningDoesNotReapplyMigrations) {
  {
    auto db = Database::Open(PathOf("a.db"));
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->Exec("INSERT INTO sources(name, created_at) VALUES('crm', 1)").ok());
  }
  auto db = Database::Open(PathOf("a.db"));
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_EQ(*(*db)->QueryInt("SELECT count(*) FROM sources"), 1);
  // Each migration once (numbers may have gaps while parallel branches land).
  EXPECT_EQ(*(*db)->QueryInt("SELECT count(*) FROM schema_migrations"),
            *(*db)->QueryInt("SELECT count(DISTINCT version) FROM schema_migrations"));
  EXPECT_EQ(*(*db)->QueryInt("SELECT max(version) FROM schema_migrations"),
            Database::LatestSchemaVersion());
}

TEST_F(DatabaseTest, RefusesDatabaseFromNewerPatron) {
  {
    auto db = Database::Open(PathOf("a.db"));
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->Exec("INSERT INTO schema_migrations VALUES(999, '0999_future.sql', 0)").ok());
  }
  auto db = Database::Open(PathOf("a.db"));
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(db.status().message().find("newer"), std::string::npos);
}

TEST_F(DatabaseTest, NotADatabaseIsDataLossNotACrash) {
  std::ofstream(PathOf("junk.db")) << "this is not a database, just some text that is long enough "
                                      "to fill the sqlite header area............................";
  auto db = Database::Open(PathOf("junk.db"));
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), StatusCode::kDataLoss) << db.status().ToString();
}

TEST_F(DatabaseTest, ForeignKeysAreEnforced) {
  auto db = Database::Open(PathOf("a.db"));
  ASSERT_TRUE(db.ok());
  Status s = (*db)->Exec(
      "INSERT INTO contact_points(customer_id, kind, value, first_seen_at, last_seen_at) "
      "VALUES(12345, 'email', 'x@example.com', 0, 0)");
  EXPECT_FALSE(s.ok());
}

TEST_F(DatabaseTest, TransactionRollsBackUnlessCommitted) {
  auto db = Database::Open(PathOf("a.db"));
  ASSERT_TRUE(db.ok());
  {
    Transaction tx(**db);
    ASSERT_TRUE(tx.Begin().ok());
    ASSERT_TRUE((*db)->Exec("INSERT INTO sources(name, created_at) VALUES('lost', 1)").ok());
  }
  EXPECT_EQ(*(*db)->QueryInt("SELECT count(*) FROM sources"), 0);
  {
    Transaction tx(**db);
    ASSERT_TRUE(tx.Begin().ok());
    ASSERT_TRUE((*db)->Exec("INSERT INTO sources(name, created_at) VALUES('kept', 1)").ok());
    ASSERT_TRUE(tx.Commit().ok());
  }
  EXPECT_EQ(*(*db)->QueryInt("SELECT count(*) FROM sources"), 1);
}

TEST_F(DatabaseTest, NamedQueryBindsByName) {
  auto db = Database::Open(PathOf("a.db"));
  ASSERT_TRUE(db.ok());
  Statement& q = (*db)->Query("upsert-source");
  q.Bind(":name", "crm").Bind(":kind", "internal").BindNull(":vendor").BindNull(":cost_minor");
  q.BindNull(":currency").BindNull(":acquired_at").BindNull(":consent_basis").Bind(":now", int64_t{5});
  q.BindNull(":explicit_kind");
  auto row = q.Step();
  ASSERT_TRUE(row.ok()) << row.status().ToString();
  ASSERT_TRUE(*row);
  int64_t id = q.Int(0);
  q.Reset();
  EXPECT_GT(id, 0);
  EXPECT_EQ(*(*db)->QueryInt("SELECT id FROM sources WHERE name = 'crm'"), id);
}

TEST_F(DatabaseTest, BackupRestoresAnEqualDatabase) {
  auto db = Database::Open(PathOf("a.db"));
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE((*db)->Exec("INSERT INTO sources(name, created_at) VALUES('crm', 1)").ok());
  ASSERT_TRUE((*db)->Exec("INSERT INTO customers(given_name, family_name, created_at, updated_at) "
                          "VALUES('سارا', 'رضایی', 1, 1), ('Åsa', 'Öberg', 2, 2)")
                  .ok());
  int progress_calls = 0;
  Status s = (*db)->BackupTo(PathOf("backup.db"), [&](int, int) { ++progress_calls; });
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_GT(progress_calls, 0);
  // A second backup to the same name is refused rather than overwriting.
  EXPECT_EQ((*db)->BackupTo(PathOf("backup.db")).code(), StatusCode::kAlreadyExists);

  // Change the live database, then restore: the change is gone.
  ASSERT_TRUE((*db)->Exec("DELETE FROM customers WHERE given_name = 'Åsa'").ok());
  ASSERT_TRUE((*db)->Exec("INSERT INTO sources(name, created_at) VALUES('later', 3)").ok());
  s = (*db)->RestoreFrom(PathOf("backup.db"));
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(*(*db)->QueryInt("SELECT count(*) FROM customers"), 2);
  EXPECT_EQ(*(*db)->QueryInt("SELECT count(*) FROM sources"), 1);
  EXPECT_EQ(*(*db)->QueryInt("SELECT count(*) FROM customers WHERE family_name = 'رضایی'"), 1);
  EXPECT_TRUE((*db)->CheckIntegrity().ok());
  EXPECT_TRUE((*db)->HasQuery("insert-customer"));  // queries usable after a restore
}

TEST_F(DatabaseTest, RestoreRefusesFilesThatAreNotPatronBackups) {
  auto db = Database::Open(PathOf("a.db"));
  ASSERT_TRUE(db.ok());
  EXPECT_EQ((*db)->RestoreFrom(PathOf("missing.db")).code(), StatusCode::kNotFound);
  std::ofstream(PathOf("text.db")) << std::string(4096, 'x');
  Status s = (*db)->RestoreFrom(PathOf("text.db"));
  EXPECT_FALSE(s.ok());
  // Our data is untouched after a refused restore.
  EXPECT_TRUE((*db)->CheckIntegrity().ok());
}

TEST_F(DatabaseTest, ALargeWriteWithTheStoreToItselfUsesARollbackJournalThenWalAgain) {
  auto db = Database::Open(PathOf("a.db"));
  ASSERT_TRUE(db.ok());
  ASSERT_EQ(*(*db)->QueryText("PRAGMA journal_mode"), "wal");
  {
    SoleWriterJournal journal(**db);
    ASSERT_TRUE(journal.active());
    EXPECT_EQ(*(*db)->QueryText("PRAGMA journal_mode"), "delete");
    EXPECT_EQ(*(*db)->QueryInt("PRAGMA synchronous"),
              2);  // FULL while the journal is a rollback journal
    Transaction tx(**db);
    ASSERT_TRUE(tx.Begin().ok());
    ASSERT_TRUE((*db)->Exec("INSERT INTO sources(name, created_at) VALUES('kept', 1)").ok());
    ASSERT_TRUE(tx.Commit().ok());
  }
  EXPECT_EQ(*(*db)->QueryText("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(*(*db)->QueryInt("PRAGMA synchronous"), 1);  // the connection's NORMAL again
  EXPECT_FALSE(std::filesystem::exists(PathOf("a.db-journal")));
  db->reset();
  auto reopened = Database::Open(PathOf("a.db"));
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ(*(*reopened)->QueryInt("SELECT count(*) FROM sources WHERE name = 'kept'"), 1);
}

TEST_F(DatabaseTest, AnotherConnectionKeepsTheStoreInWalModeWithoutWaiting) {
  auto db = Database::Open(PathOf("a.db"));
  auto other = Database::Open(PathOf("a.db"));
  ASSERT_TRUE(db.ok() && other.ok());
  const auto start = std::chrono::steady_clock::now();
  {
    SoleWriterJournal journal(**db);
    EXPECT_FALSE(journal.active());
  }
  // The busy timeout is 10 s: asking must not wait for it.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_EQ(*(*db)->QueryText("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(*(*other)->QueryText("PRAGMA journal_mode"), "wal");
  other->reset();
  {
    // Alone now, but inside a transaction the journal mode cannot change.
    Transaction tx(**db);
    ASSERT_TRUE(tx.Begin().ok());
    SoleWriterJournal inside(**db);
    EXPECT_FALSE(inside.active());
  }
  auto memory = Database::Open(":memory:");
  ASSERT_TRUE(memory.ok());
  SoleWriterJournal in_memory(**memory);
  EXPECT_FALSE(in_memory.active());
}

TEST_F(DatabaseTest, AWriterKilledInRollbackModeLosesNothingCommittedAndLeavesNoHalfWrite) {
  {
    auto db = Database::Open(PathOf("a.db"));
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->Exec("INSERT INTO sources(name, created_at) VALUES('kept', 1)").ok());
  }
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // A small page cache spills the transaction's pages into the file while
    // it runs, so that the kill leaves changed pages behind a hot journal.
    auto db = Database::Open(PathOf("a.db"));
    if (!db.ok()) _exit(2);
    SoleWriterJournal journal(**db);
    if (!journal.active() || !(*db)->Exec("PRAGMA cache_size=20").ok() || !(*db)->Begin().ok())
      _exit(3);
    if (!(*db)
             ->Exec(
                 "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000) "
                 "INSERT INTO sources(name, created_at) SELECT printf('lost-%d-%s', i, "
                 "hex(randomblob(100))), 1 FROM n")
             .ok() ||
        !(*db)->Exec("UPDATE sources SET name = 'changed' WHERE name = 'kept'").ok()) {
      _exit(4);
    }
    kill(getpid(), SIGKILL);
    _exit(5);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the writer exited with " << WEXITSTATUS(status);
  ASSERT_TRUE(
      std::filesystem::exists(PathOf("a.db-journal")));  // hot: the kill came mid-transaction

  auto db = Database::Open(PathOf("a.db"));
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_EQ(*(*db)->QueryText("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(*(*db)->QueryInt("SELECT count(*) FROM sources"), 1);
  EXPECT_EQ(*(*db)->QueryInt("SELECT count(*) FROM sources WHERE name = 'kept'"), 1);
  EXPECT_TRUE((*db)->CheckIntegrity().ok());
}

}  // namespace
}  // namespace patron
