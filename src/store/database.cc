// The SQLite system of record: opening, migrations, named queries, backup.
// This is the only file that interprets SQLite result codes (SqliteStatus).
#include <sqlite3.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "store/store.h"

namespace patron {
namespace embedded {
const std::vector<std::pair<std::string_view, std::string_view>>& SqlFiles();
}

namespace {

// A migration file is named NNNN_description.sql; the number is its version.
int MigrationNumber(std::string_view file) {
  int n = 0;
  size_t i = 0;
  while (i < file.size() && std::isdigit(static_cast<unsigned char>(file[i]))) {
    n = n * 10 + (file[i] - '0');
    ++i;
  }
  return (i == 4 && i < file.size() && file[i] == '_') ? n : -1;
}

struct NamedQuery {
  std::string name;
  std::string sql;
};

// Splits a queries file into "-- name: NAME" sections.
std::vector<NamedQuery> SplitNamedQueries(std::string_view text) {
  std::vector<NamedQuery> out;
  static constexpr std::string_view kMarker = "-- name:";
  size_t pos = 0;
  while (true) {
    size_t start = text.find(kMarker, pos);
    if (start == std::string_view::npos) break;
    size_t eol = text.find('\n', start);
    if (eol == std::string_view::npos) eol = text.size();
    std::string name(TrimAscii(text.substr(start + kMarker.size(), eol - start - kMarker.size())));
    size_t next = text.find(kMarker, eol);
    std::string_view body = text.substr(eol, (next == std::string_view::npos ? text.size() : next) - eol);
    out.push_back({std::move(name), std::string(TrimAscii(body))});
    if (next == std::string_view::npos) break;
    pos = next;
  }
  return out;
}

}  // namespace

Status SqliteStatus(int rc, sqlite3* db, std::string_view context) {
  if (rc == SQLITE_OK || rc == SQLITE_DONE || rc == SQLITE_ROW) return Status::Ok();
  std::string msg(context);
  msg += ": ";
  msg += db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return Unavailable(msg + " (the database is busy; try again)");
    case SQLITE_CONSTRAINT: return Status(StatusCode::kFailedPrecondition, msg);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return DataLoss(msg);
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_READONLY:
    case SQLITE_FULL:
    case SQLITE_PERM: return IoError(msg);
    case SQLITE_TOOBIG:
    case SQLITE_MISMATCH:
    case SQLITE_RANGE: return InvalidArgument(msg);
    default: return Internal(msg);
  }
}

// ---------------------------------------------------------------------------
// Statement
// ---------------------------------------------------------------------------

Statement::Statement(sqlite3* db, sqlite3_stmt* stmt, std::string name)
    : db_(db), stmt_(stmt), name_(std::move(name)) {}

Statement::~Statement() { sqlite3_finalize(stmt_); }

int Statement::IndexOf(std::string_view name) const {
  for (const CachedIndex& c : index_cache_) {
    if (c.address == name.data() && c.name == name) return c.index;
  }
  char buf[128];
  size_t n = std::min(name.size(), sizeof buf - 1);
  std::memcpy(buf, name.data(), n);
  buf[n] = 0;
  int idx = sqlite3_bind_parameter_index(stmt_, buf);
  if (idx == 0) {
    std::fprintf(stderr, "patron: query '%s' has no parameter '%s'\n", name_.c_str(), buf);
    std::abort();  // a programming error: the .sql file and the code disagree
  }
  if (index_cache_.size() < 64) index_cache_.push_back({name.data(), std::string(name), idx});
  return idx;
}

#define PATRON_RESET_IF_NEEDED() \
  if (needs_reset_) Reset()

Statement& Statement::Bind(int index, int64_t value) {
  PATRON_RESET_IF_NEEDED();
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}
Statement& Statement::Bind(int index, double value) {
  PATRON_RESET_IF_NEEDED();
  sqlite3_bind_double(stmt_, index, value);
  return *this;
}
Statement& Statement::Bind(int index, std::string_view value) {
  PATRON_RESET_IF_NEEDED();
  sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
  return *this;
}
Statement& Statement::BindNull(int index) {
  PATRON_RESET_IF_NEEDED();
  sqlite3_bind_null(stmt_, index);
  return *this;
}
Statement& Statement::BindOptional(int index, std::string_view value) {
  return value.empty() ? BindNull(index) : Bind(index, value);
}
Statement& Statement::BindOptional(int index, std::optional<int64_t> value) {
  return value ? Bind(index, *value) : BindNull(index);
}

Result<bool> Statement::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) {
    needs_reset_ = true;
    return true;
  }
  needs_reset_ = true;
  if (rc == SQLITE_DONE) return false;
  Status s = SqliteStatus(rc, db_, "query '" + name_ + "'");
  sqlite3_reset(stmt_);
  needs_reset_ = false;
  return s;
}

Status Statement::Run() {
  Result<bool> r = Step();
  Reset();
  return r.status();
}

void Statement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  needs_reset_ = false;
}

int Statement::column_count() const { return sqlite3_column_count(stmt_); }
bool Statement::IsNumeric(int col) const {
  int type = sqlite3_column_type(stmt_, col);
  return type == SQLITE_INTEGER || type == SQLITE_FLOAT;
}

bool Statement::IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
int64_t Statement::Int(int col) const { return sqlite3_column_int64(stmt_, col); }
double Statement::Double(int col) const { return sqlite3_column_double(stmt_, col); }
std::string_view Statement::Text(int col) const {
  const unsigned char* p = sqlite3_column_text(stmt_, col);
  if (!p) return {};
  return {reinterpret_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(stmt_, col))};
}
std::optional<int64_t> Statement::OptionalInt(int col) const {
  if (IsNull(col)) return std::nullopt;
  return Int(col);
}
std::optional<std::string> Statement::OptionalString(int col) const {
  if (IsNull(col)) return std::nullopt;
  return String(col);
}
std::string_view Statement::ColumnName(int col) const {
  const char* n = sqlite3_column_name(stmt_, col);
  return n ? std::string_view(n) : std::string_view();
}

// ---------------------------------------------------------------------------
// Database
// ---------------------------------------------------------------------------

int Database::LatestSchemaVersion() {
  int latest = 0;
  for (const auto& [file, sql] : embedded::SqlFiles()) latest = std::max(latest, MigrationNumber(file));
  return latest;
}

Result<std::unique_ptr<Database>> Database::Open(const std::string& path,
                                                 const DatabaseOptions& options) {
  sqlite3* handle = nullptr;
  int flags = options.read_only ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  flags |= SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(path.c_str(), &handle, flags, nullptr);
  if (rc != SQLITE_OK) {
    Status s = SqliteStatus(rc, handle, "opening database '" + path + "'");
    sqlite3_close(handle);
    return s;
  }
  std::unique_ptr<Database> db(new Database(path, handle));
  RETURN_IF_ERROR(db->Configure(options));
  if (!options.read_only) RETURN_IF_ERROR(db->Migrate());
  RETURN_IF_ERROR(db->PrepareNamedQueries());
  return db;
}

Database::~Database() {
  queries_.clear();  // statements must be finalised before the connection closes
  // Closing the last connection checkpoints the WAL into the database file.
  if (db_) sqlite3_close_v2(db_);
}

Status Database::Configure(const DatabaseOptions& options) {
  busy_timeout_ms_ = options.busy_timeout_ms;
  sqlite3_busy_timeout(db_, options.busy_timeout_ms);
  sqlite3_extended_result_codes(db_, 1);
  // A file that is not a database fails here with SQLITE_NOTADB.
  if (!options.read_only) {
    RETURN_IF_ERROR(Exec("PRAGMA journal_mode=WAL").WithContext("opening '" + path_ + "'"));
  }
  RETURN_IF_ERROR(Exec("PRAGMA foreign_keys=ON"));
  RETURN_IF_ERROR(Exec(options.synchronous_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL"));
  RETURN_IF_ERROR(Exec("PRAGMA temp_store=MEMORY"));
  RETURN_IF_ERROR(Exec("PRAGMA cache_size=-65536"));  // 64 MiB page cache
  return Status::Ok();
}

Status Database::Exec(std::string_view sql) {
  std::string text(sql);
  char* err = nullptr;
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string what = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    Status s = SqliteStatus(rc, nullptr, "");
    return Status(s.code(), what);
  }
  return Status::Ok();
}

Result<int64_t> Database::QueryInt(std::string_view sql) {
  ASSIGN_OR_RETURN(auto stmt, Prepare(sql));
  ASSIGN_OR_RETURN(bool row, stmt->Step());
  if (!row) return NotFound("query returned no rows");
  return stmt->Int(0);
}

Result<std::string> Database::QueryText(std::string_view sql) {
  ASSIGN_OR_RETURN(auto stmt, Prepare(sql));
  ASSIGN_OR_RETURN(bool row, stmt->Step());
  if (!row) return NotFound("query returned no rows");
  return stmt->String(0);
}

Result<std::unique_ptr<Statement>> Database::Prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                              &stmt, nullptr);
  if (rc != SQLITE_OK) return SqliteStatus(rc, db_, "preparing SQL");
  return std::make_unique<Statement>(db_, stmt, "ad-hoc");
}

Status Database::Migrate() {
  RETURN_IF_ERROR(Exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations ("
      " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)"));
  ASSIGN_OR_RETURN(int64_t current, QueryInt("SELECT coalesce(max(version), 0) FROM schema_migrations"));
  std::vector<std::pair<int, std::pair<std::string_view, std::string_view>>> migrations;
  for (const auto& entry : embedded::SqlFiles()) {
    int n = MigrationNumber(entry.first);
    if (n > 0) migrations.push_back({n, entry});
  }
  std::sort(migrations.begin(), migrations.end());
  int latest = migrations.empty() ? 0 : migrations.back().first;
  if (current > latest) {
    return FailedPrecondition("database '" + path_ + "' has schema version " + std::to_string(current) +
                              ", newer than this patron (" + std::to_string(latest) +
                              "): upgrade patron");
  }
  // Every migration not yet recorded, in number order: a lower number that
  // landed after a higher one (parallel branches) is applied too.
  std::vector<int64_t> applied;
  {
    auto q = Prepare("SELECT version FROM schema_migrations ORDER BY version");
    if (!q.ok()) return q.status();
    while (true) {
      ASSIGN_OR_RETURN(bool more, (*q)->Step());
      if (!more) break;
      applied.push_back((*q)->Int(0));
    }
  }
  for (const auto& [n, file] : migrations) {
    if (std::binary_search(applied.begin(), applied.end(), static_cast<int64_t>(n))) continue;
    RETURN_IF_ERROR(Begin());
    Status s = Exec(file.second);
    if (s.ok()) {
      auto ins = Prepare("INSERT INTO schema_migrations(version, name, applied_at) VALUES(?,?,?)");
      if (!ins.ok()) {
        s = ins.status();
      } else {
        (*ins)->Bind(1, static_cast<int64_t>(n)).Bind(2, file.first).Bind(3, SystemClock::Get().Now().micros);
        s = (*ins)->Run();
      }
    }
    if (s.ok()) s = Exec("PRAGMA user_version=" + std::to_string(std::max<int64_t>(n, current)));
    if (!s.ok()) {
      (void)Rollback();
      return s.WithContext("applying migration " + std::string(file.first));
    }
    RETURN_IF_ERROR(Commit());
    current = std::max<int64_t>(current, n);
  }
  schema_version_ = latest > current ? latest : static_cast<int>(current);
  return Status::Ok();
}

Status Database::PrepareNamedQueries() {
  if (schema_version_ == 0) {
    auto v = QueryInt("SELECT coalesce(max(version), 0) FROM schema_migrations");
    if (v.ok()) schema_version_ = static_cast<int>(*v);
  }
  for (const auto& [file, text] : embedded::SqlFiles()) {
    if (MigrationNumber(file) >= 0) continue;
    for (NamedQuery& q : SplitNamedQueries(text)) {
      sqlite3_stmt* stmt = nullptr;
      int rc = sqlite3_prepare_v3(db_, q.sql.c_str(), static_cast<int>(q.sql.size()),
                                  SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
      if (rc != SQLITE_OK) {
        return SqliteStatus(rc, db_, "preparing query '" + q.name + "' from " + std::string(file));
      }
      if (queries_.count(q.name)) return Internal("query '" + q.name + "' is defined twice");
      queries_.emplace(q.name, std::make_unique<Statement>(db_, stmt, q.name));
    }
  }
  return Status::Ok();
}

Statement& Database::Query(std::string_view name) {
  auto it = queries_.find(name);
  if (it == queries_.end()) {
    std::fprintf(stderr, "patron: unknown query '%.*s'\n", static_cast<int>(name.size()), name.data());
    std::abort();  // a programming error: every name is checked by tests
  }
  return *it->second;
}

bool Database::HasQuery(std::string_view name) const { return queries_.find(name) != queries_.end(); }

Status Database::Begin() { return Exec("BEGIN IMMEDIATE"); }
Status Database::BeginRead() { return Exec("BEGIN DEFERRED"); }
Status Database::Commit() { return Exec("COMMIT"); }
Status Database::Rollback() { return Exec("ROLLBACK"); }
bool Database::in_transaction() const { return sqlite3_get_autocommit(db_) == 0; }
int64_t Database::last_insert_id() const { return sqlite3_last_insert_rowid(db_); }
int Database::changes() const { return sqlite3_changes(db_); }

namespace {

// Copies every page from `from` to `to` with SQLite's online backup API, a
// slice at a time so other connections are not locked out for long.
Status CopyDatabase(sqlite3* from, sqlite3* to, const std::function<void(int, int)>& progress) {
  sqlite3_backup* backup = sqlite3_backup_init(to, "main", from, "main");
  if (!backup) return SqliteStatus(sqlite3_errcode(to), to, "starting backup");
  int rc;
  do {
    rc = sqlite3_backup_step(backup, 1024);
    if (progress) {
      int total = sqlite3_backup_pagecount(backup);
      progress(total - sqlite3_backup_remaining(backup), total);
    }
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) sqlite3_sleep(20);
  } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
  int finish = sqlite3_backup_finish(backup);
  if (rc != SQLITE_DONE) return SqliteStatus(rc, to, "backup");
  return SqliteStatus(finish, to, "finishing backup");
}

}  // namespace

Status Database::BackupTo(const std::string& dest_path, const std::function<void(int, int)>& progress) {
  std::error_code ec;
  if (std::filesystem::exists(dest_path, ec)) {
    return AlreadyExists("backup file '" + dest_path + "' already exists; choose a new name");
  }
  std::string tmp = dest_path + ".partial";
  std::filesystem::remove(tmp, ec);
  sqlite3* dest = nullptr;
  int rc = sqlite3_open_v2(tmp.c_str(), &dest, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  if (rc != SQLITE_OK) {
    Status s = SqliteStatus(rc, dest, "creating backup '" + dest_path + "'");
    sqlite3_close(dest);
    return s;
  }
  Status s = CopyDatabase(db_, dest, progress);
  // The backup is a self-contained rollback-journal file: easy to copy and archive.
  if (s.ok()) {
    char* err = nullptr;
    if (sqlite3_exec(dest, "PRAGMA journal_mode=DELETE", nullptr, nullptr, &err) != SQLITE_OK) {
      s = IoError(std::string("finishing backup: ") + (err ? err : "unknown error"));
    }
    sqlite3_free(err);
  }
  sqlite3_close(dest);
  if (!s.ok()) {
    std::filesystem::remove(tmp, ec);
    return s;
  }
  std::filesystem::rename(tmp, dest_path, ec);
  if (ec) return IoError("renaming backup into place: " + ec.message());
  return Status::Ok();
}

Status Database::RestoreFrom(const std::string& backup_path,
                             const std::function<void(int, int)>& progress) {
  std::error_code ec;
  if (!std::filesystem::exists(backup_path, ec)) return NotFound("backup file '" + backup_path + "' does not exist");
  sqlite3* src = nullptr;
  int rc = sqlite3_open_v2(backup_path.c_str(), &src, SQLITE_OPEN_READONLY, nullptr);
  if (rc != SQLITE_OK) {
    Status s = SqliteStatus(rc, src, "opening backup '" + backup_path + "'");
    sqlite3_close(src);
    return s;
  }
  // Check it is a Patron database this binary understands before touching ours.
  Status check;
  {
    sqlite3_stmt* stmt = nullptr;
    rc = sqlite3_prepare_v2(src, "SELECT max(version) FROM schema_migrations", -1, &stmt, nullptr);
    if (rc != SQLITE_OK) {
      check = InvalidArgument("'" + backup_path + "' is not a Patron backup (" + sqlite3_errmsg(src) + ")");
    } else if (sqlite3_step(stmt) == SQLITE_ROW) {
      int64_t v = sqlite3_column_int64(stmt, 0);
      if (v > LatestSchemaVersion()) {
        check = FailedPrecondition("backup has schema version " + std::to_string(v) +
                                   ", newer than this patron supports");
      }
    }
    sqlite3_finalize(stmt);
  }
  if (check.ok()) {
    sqlite3_stmt* stmt = nullptr;
    rc = sqlite3_prepare_v2(src, "PRAGMA quick_check", -1, &stmt, nullptr);
    if (rc == SQLITE_OK && sqlite3_step(stmt) == SQLITE_ROW) {
      std::string r(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)));
      if (r != "ok") check = DataLoss("backup '" + backup_path + "' is damaged: " + r);
    } else {
      check = DataLoss("backup '" + backup_path + "' cannot be read: " + sqlite3_errmsg(src));
    }
    sqlite3_finalize(stmt);
  }
  if (!check.ok()) {
    sqlite3_close(src);
    return check;
  }
  queries_.clear();  // statements would hold stale schema
  Status s = CopyDatabase(src, db_, progress);
  sqlite3_close(src);
  if (!s.ok()) return s;
  schema_version_ = 0;
  RETURN_IF_ERROR(Migrate());  // an older backup is brought up to date
  return PrepareNamedQueries();
}

Status Database::CheckIntegrity() {
  ASSIGN_OR_RETURN(auto stmt, Prepare("PRAGMA integrity_check"));
  ASSIGN_OR_RETURN(bool row, stmt->Step());
  if (!row || stmt->Text(0) != "ok") {
    return DataLoss("integrity check failed: " + (row ? stmt->String(0) : std::string("no answer")));
  }
  ASSIGN_OR_RETURN(auto fk, Prepare("PRAGMA foreign_key_check"));
  ASSIGN_OR_RETURN(bool bad, fk->Step());
  if (bad) return DataLoss("foreign key check failed in table " + fk->String(0));
  return Status::Ok();
}

SoleWriterJournal::SoleWriterJournal(Database& db) : db_(db) {
  auto mode = db.QueryText("PRAGMA journal_mode");
  if (db.in_transaction() || !mode.ok() || *mode != "wal") return;
  // Leaving WAL mode needs the store to itself: ask once, without waiting.
  sqlite3_busy_timeout(db.db_, 0);
  // The change fails with SQLITE_BUSY while another connection has the store open.
  auto changed = db.QueryText("PRAGMA journal_mode=DELETE");
  sqlite3_busy_timeout(db.db_, db.busy_timeout_ms_);
  if (!changed.ok() || *changed != "delete") return;
  active_ = true;
  if (auto synchronous = db.QueryInt("PRAGMA synchronous"); synchronous.ok())
    synchronous_ = *synchronous;
  (void)db.Exec("PRAGMA synchronous=FULL");
}

SoleWriterJournal::~SoleWriterJournal() {
  if (!active_) return;
  // Should this fail (a reader opened the store meanwhile and holds it), the
  // store stays in rollback mode until the next connection opened to write
  // sets WAL mode again (Database::Configure).
  (void)db_.QueryText("PRAGMA journal_mode=WAL");
  (void)db_.Exec("PRAGMA synchronous=" + std::to_string(synchronous_));
}

Transaction::~Transaction() {
  if (active_) (void)db_.Rollback();
}

Status Transaction::Begin() {
  RETURN_IF_ERROR(db_.Begin());
  active_ = true;
  return Status::Ok();
}

Status Transaction::Commit() {
  active_ = false;
  return db_.Commit();
}

}  // namespace patron
