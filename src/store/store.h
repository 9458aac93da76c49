// Patron store: the SQLite system of record. Opening a database applies the
// numbered migrations in src/store/sql/NNNN_*.sql and prepares every named query
// of src/store/sql/queries*.sql, so a broken query fails at start-up, not later.
//
// Thread-safety: a Database and its statements belong to one thread at a time.
// Open one Database per thread; SQLite's WAL mode lets readers run beside a writer.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/core.h"

struct sqlite3;
struct sqlite3_stmt;

namespace patron {

// A prepared statement. Bind, Step until it returns false, then Reset (or let
// the next Bind after a finished Step reset it). Parameters are 1-based indices
// or ":name" as written in the .sql file.
class Statement {
 public:
  Statement(sqlite3* db, sqlite3_stmt* stmt, std::string name);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, double value);
  Statement& Bind(int index, std::string_view value);
  Statement& Bind(int index, const char* value) { return Bind(index, std::string_view(value)); }
  Statement& BindNull(int index);
  // Binds NULL for an empty string / missing optional.
  Statement& BindOptional(int index, std::string_view value);
  Statement& BindOptional(int index, std::optional<int64_t> value);
  template <typename T>
  Statement& Bind(std::string_view name, T&& value) {
    return Bind(IndexOf(name), std::forward<T>(value));
  }
  template <typename T>
  Statement& BindOptional(std::string_view name, T&& value) {
    return BindOptional(IndexOf(name), std::forward<T>(value));
  }
  Statement& BindNull(std::string_view name) { return BindNull(IndexOf(name)); }

  // true: a row is available. false: done. Errors carry the query's name.
  Result<bool> Step();
  // Runs a statement that returns no rows (or ignores them), then resets it.
  Status Run();
  void Reset();

  int column_count() const;
  bool IsNull(int col) const;
  // True when the column holds an INTEGER or REAL value (not text, blob or NULL).
  bool IsNumeric(int col) const;
  int64_t Int(int col) const;
  double Double(int col) const;
  std::string_view Text(int col) const;  // valid until the next Step/Reset
  std::string String(int col) const { return std::string(Text(col)); }
  std::optional<int64_t> OptionalInt(int col) const;
  std::optional<std::string> OptionalString(int col) const;
  std::string_view ColumnName(int col) const;

  const std::string& name() const { return name_; }

 private:
  int IndexOf(std::string_view name) const;

  // Parameter names are almost always string literals: remember their index by
  // address (and text, in case an address is reused) so that binding by name
  // costs a short comparison rather than SQLite's linear search.
  struct CachedIndex {
    const char* address;
    std::string name;
    int index;
  };
  mutable std::vector<CachedIndex> index_cache_;
  sqlite3* db_;
  sqlite3_stmt* stmt_;
  std::string name_;
  bool needs_reset_ = false;
};

struct DatabaseOptions {
  bool read_only = false;
  int busy_timeout_ms = 10000;
  // synchronous=NORMAL in WAL mode: durable across process crashes; a power
  // failure may lose the last transactions but never corrupts the file.
  bool synchronous_full = false;
};

class Database {
 public:
  // Opens (creating if needed) and migrates to the latest schema version.
  // Errors: kIoError when the file cannot be opened, kDataLoss when it is not a
  // database, kFailedPrecondition when its schema is newer than this binary.
  static Result<std::unique_ptr<Database>> Open(const std::string& path,
                                                 const DatabaseOptions& options = {});
  ~Database();

  const std::string& path() const { return path_; }
  // The highest applied migration number.
  int schema_version() const { return schema_version_; }
  static int LatestSchemaVersion();

  // A named query from the .sql files ("-- name: find-customer-by-email").
  // REQUIRES: the name exists (checked at start-up; an unknown name is a bug and aborts).
  Statement& Query(std::string_view name);
  bool HasQuery(std::string_view name) const;

  // Runs SQL text (no results). For DDL and PRAGMAs; everything else uses Query().
  Status Exec(std::string_view sql);
  // Prepares ad-hoc SQL (reports, tests). Prefer named queries.
  Result<std::unique_ptr<Statement>> Prepare(std::string_view sql);
  // Runs a query and returns its first column of the first row as an integer.
  Result<int64_t> QueryInt(std::string_view sql);
  // The same as text (PRAGMA journal_mode, say).
  Result<std::string> QueryText(std::string_view sql);

  Status Begin();  // BEGIN IMMEDIATE: take the write lock up front
  // BEGIN DEFERRED: one consistent read snapshot for many queries, and one
  // file lock instead of one per statement (reads of many rows are faster).
  Status BeginRead();
  Status Commit();
  Status Rollback();
  bool in_transaction() const;
  int64_t last_insert_id() const;
  int changes() const;

  // Online backup (SQLite backup API) into `dest_path`, page by page, while the
  // database stays usable. `progress(done_pages, total_pages)` is called per step.
  Status BackupTo(const std::string& dest_path,
                  const std::function<void(int, int)>& progress = nullptr);
  // Replaces the contents of this database with the backup at `backup_path`
  // after checking that it is a Patron database with a compatible schema.
  Status RestoreFrom(const std::string& backup_path,
                     const std::function<void(int, int)>& progress = nullptr);

  // PRAGMA integrity_check and foreign_key_check; ok or kDataLoss with details.
  Status CheckIntegrity();

  sqlite3* handle() { return db_; }

 private:
  Database(std::string path, sqlite3* db) : path_(std::move(path)), db_(db) {}
  Status Configure(const DatabaseOptions& options);
  Status Migrate();
  Status PrepareNamedQueries();

  std::string path_;
  sqlite3* db_;
  int schema_version_ = 0;
  int busy_timeout_ms_ = 0;
  friend class SoleWriterJournal;
  std::map<std::string, std::unique_ptr<Statement>, std::less<>> queries_;
};

// RAII transaction: rolls back unless Commit() was called.
class Transaction {
 public:
  explicit Transaction(Database& db) : db_(db) {}
  ~Transaction();
  Status Begin();
  Status Commit();

 private:
  Database& db_;
  bool active_ = false;
};

// For one large write transaction on a store in WAL mode: while this
// connection is the store's only one, switches the store to a rollback
// journal, in which pages appended to the file are written once (WAL mode
// writes every page twice, into the WAL and then by the checkpoint into the
// file: at a million customers a full identity run spent 8-9 s of its ~70 in
// that checkpoint). Back to WAL mode (and the connection's synchronous
// setting) when destroyed; synchronous=FULL meanwhile, as a rollback journal
// needs to survive a power failure. A crash in between leaves a hot journal
// that the next opening of the store rolls back, and Open sets WAL mode again.
// Does nothing, without waiting, when another connection has the store open,
// inside a transaction, or for an in-memory store. While active, connections
// opened to the store wait for the transaction (up to their busy timeout), as
// they cannot read beside a writer without the WAL.
// Declare it before the Transaction it serves, so that it outlives it.
class SoleWriterJournal {
 public:
  explicit SoleWriterJournal(Database& db);
  ~SoleWriterJournal();
  SoleWriterJournal(const SoleWriterJournal&) = delete;
  SoleWriterJournal& operator=(const SoleWriterJournal&) = delete;
  bool active() const { return active_; }

 private:
  Database& db_;
  bool active_ = false;
  int64_t synchronous_ = 1;
};

// Turns a SQLite result code into a Status (the one place that knows SQLite codes).
Status SqliteStatus(int rc, sqlite3* db, std::string_view context);

// ---------------------------------------------------------------------------
// Repositories used by the CLI and, later, the server.
// ---------------------------------------------------------------------------

struct StoreStats {
  int64_t customers = 0, accounts = 0, account_members = 0, products = 0, categories = 0;
  int64_t orders = 0, order_lines = 0, events = 0, sources = 0;
  int64_t consents_granted = 0, consents_withdrawn = 0;  // current state
  // kind -> status -> count
  std::map<std::string, std::map<std::string, int64_t>> contact_points;
};
Result<StoreStats> ReadStats(Database& db);

// The one customer view: everything known about one person, ready to show.
struct ContactPointView {
  int64_t id = 0;
  std::string kind, value, status, invalid_reason, suggestion, phone_type, source;
  Instant first_seen, last_seen;
  std::optional<Instant> last_verified;
};
struct ConsentView {
  std::string channel, purpose, status, method, proof, source;
  Instant recorded_at;
};
struct AccountView {
  int64_t id = 0;
  std::string name, domain, industry_code, tier, contract_status, job_title;
  std::optional<int64_t> employees;
};
struct PurchaseSummary {
  int64_t orders = 0;
  int64_t items = 0;
  int64_t revenue_minor = 0;
  std::string currency;
  std::optional<Instant> first_order, last_order;
  std::vector<std::pair<std::string, int64_t>> top_categories;  // slug -> items
};
struct InteractionView {
  Instant at;
  std::string type;
  std::string properties;  // JSON
  std::string source;
};
struct CustomerView {
  int64_t id = 0;
  std::map<std::string, std::string> profile;  // non-empty profile fields, by column name
  std::vector<std::string> tags;
  std::map<std::string, std::string> attributes;  // custom attributes
  // Computed traits from `patron model score` (empty until scored), formatted
  // for reading: "rfm" -> "champions (R5 F4 M5)", "churn_risk" -> "0.12", ...
  std::vector<std::pair<std::string, std::string>> traits;
  std::vector<ContactPointView> contact_points;
  std::vector<ConsentView> consents;  // current state per channel and purpose
  std::vector<AccountView> accounts;
  PurchaseSummary purchases;
  std::vector<InteractionView> last_interactions;  // newest first
  std::vector<std::pair<std::string, std::string>> sources;  // source name, key
  struct FieldIssue {
    std::string field, raw_value, reason;
  };
  std::vector<FieldIssue> field_issues;  // values that arrived but could not be accepted
};

// Customers having a contact point of `kind` ("email", "phone") with this
// normalised value (as import stores it), lowest id first.
Result<std::vector<int64_t>> FindCustomersByContact(Database& db, std::string_view kind,
                                                    std::string_view normalized_value);
Result<bool> CustomerExists(Database& db, int64_t customer_id);
Result<CustomerView> ReadCustomerView(Database& db, int64_t customer_id, int max_interactions = 10);
// The view as a JSON object (what `patron customer show --json` prints and the
// API answers).
std::string CustomerViewJson(const CustomerView& view);

// Tells the engine that its snapshot file is out of date (bumps the store's
// engine generation). Bulk writers — imports, model scoring — call it once per
// transaction instead of paying a trigger per row; triggers cover every other
// write to the tables the snapshot reads (see 0002_segments.sql).
Status NoteEngineInputsChanged(Database& db);

}  // namespace patron
