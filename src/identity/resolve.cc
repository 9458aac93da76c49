// Resolution of the customers of a Patron database: loading records, linking
// them, recording clusters, the merge log, review pairs and golden records;
// review decisions, explanations and unmerge.
#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <variant>

#include "identity/linkage_internal.h"
#include "store/store.h"

namespace patron::identity {
namespace {

struct ContactValue {
  std::string kind, value, status, street, postal_code, city;
  std::string suggestion;  // a likely correction of an invalid value
  std::optional<int64_t> source_id;
  int64_t last_seen = 0;
  std::optional<int64_t> last_verified;
  int64_t id = 0;  // contact_points.id
};

// A customer record as resolution sees it.
struct CustomerRow {
  int64_t id = 0;
  std::array<std::string, 9> profile;  // by kProfileColumns; empty when missing
  int64_t updated_at = 0;
  std::optional<int64_t> source_id;
  std::string national_id;
  std::vector<ContactValue> contacts;  // newest first
  std::vector<std::string> devices;    // customer_devices.device_id
};

constexpr const char* kProfileColumns[] = {"given_name", "family_name", "full_name", "birth_date",
                                           "gender",     "city",        "region",    "country",
                                           "language"};

CustomerRow ReadCustomerRow(const Statement& q) {
  CustomerRow row;
  row.id = q.Int(0);
  for (int i = 0; i < 9; ++i) {
    if (!q.IsNull(i + 1)) row.profile[static_cast<size_t>(i)] = q.String(i + 1);
  }
  row.updated_at = q.Int(10);
  row.source_id = q.OptionalInt(11);
  if (!q.IsNull(12)) row.national_id = q.String(12);
  return row;
}

ContactValue ReadContact(const Statement& q) {
  ContactValue c;
  c.kind = q.String(1);
  c.value = q.String(2);
  c.status = q.String(3);
  if (!q.IsNull(4)) c.street = q.String(4);
  if (!q.IsNull(5)) c.postal_code = q.String(5);
  if (!q.IsNull(6)) c.city = q.String(6);
  c.source_id = q.OptionalInt(7);
  c.last_seen = q.Int(8);
  c.last_verified = q.OptionalInt(9);
  c.id = q.Int(10);
  if (!q.IsNull(11)) c.suggestion = q.String(11);
  return c;
}

// Newest first: by last_seen_at, then by id.
void SortContacts(std::vector<ContactValue>& contacts) {
  std::sort(contacts.begin(), contacts.end(), [](const ContactValue& x, const ContactValue& y) {
    return std::tie(x.last_seen, x.id) > std::tie(y.last_seen, y.id);
  });
}

// The row of `customer` among `rows` (in id order); null when it is not among
// them (a contact value or device of such a customer is dropped).
CustomerRow* RowOf(std::vector<CustomerRow>& rows, int64_t customer) {
  auto it = std::lower_bound(rows.begin(), rows.end(), customer,
                             [](const CustomerRow& r, int64_t id) { return r.id < id; });
  return it != rows.end() && it->id == customer ? &*it : nullptr;
}
void AttachContact(std::vector<CustomerRow>& rows, int64_t customer, ContactValue contact) {
  if (CustomerRow* row = RowOf(rows, customer)) row->contacts.push_back(std::move(contact));
}
void AttachDevice(std::vector<CustomerRow>& rows, int64_t customer, std::string device) {
  if (CustomerRow* row = RowOf(rows, customer)) row->devices.push_back(std::move(device));
}

// A second, read-only connection to db's file, for reading beside it on
// another thread; null for an in-memory store or when it cannot be opened. It
// sees only committed data: callers inside a transaction use it only for rows
// the transaction does not change.
std::unique_ptr<Database> OpenReadSide(Database& db) {
  if (db.path().empty() || db.path() == ":memory:" || db.path().rfind("file::memory:", 0) == 0) return nullptr;
  DatabaseOptions read_only;
  read_only.read_only = true;
  auto opened = Database::Open(db.path(), read_only);
  return opened.ok() ? std::move(*opened) : nullptr;
}

// Every customer record with its contact points and devices. The contact
// points and devices are read on a second, read-only connection in parallel
// with the customers (a million records have two to three million contact
// points) when the store is a file.
Result<std::vector<CustomerRow>> LoadAllCustomers(Database& db) {
  auto scan_contacts = [](Database& from, std::vector<std::pair<int64_t, ContactValue>>& out) -> Status {
    Statement& c = from.Query("identity-contact-points");
    c.Reset();
    while (true) {
      ASSIGN_OR_RETURN(bool more, c.Step());
      if (!more) break;
      out.emplace_back(c.Int(0), ReadContact(c));
    }
    c.Reset();
    return Status::Ok();
  };
  auto scan_devices = [](Database& from,
                         std::vector<std::pair<int64_t, std::string>>& out) -> Status {
    Statement& d = from.Query("identity-devices");
    d.Reset();
    while (true) {
      ASSIGN_OR_RETURN(bool more, d.Step());
      if (!more) break;
      out.emplace_back(d.Int(0), d.String(1));
    }
    return Status::Ok();
  };
  auto scan_both = [&](Database& from, std::vector<std::pair<int64_t, ContactValue>>& contacts,
                       std::vector<std::pair<int64_t, std::string>>& devices) -> Status {
    RETURN_IF_ERROR(scan_contacts(from, contacts));
    return scan_devices(from, devices);
  };
  std::unique_ptr<Database> side;
  if (!db.in_transaction()) side = OpenReadSide(db);
  std::vector<std::pair<int64_t, ContactValue>> contacts;
  std::vector<std::pair<int64_t, std::string>> devices;
  Status contacts_read;
  std::thread other;
  if (side) other = std::thread([&] { contacts_read = scan_both(*side, contacts, devices); });
  std::vector<CustomerRow> rows;
  Statement& q = db.Query("identity-customers");
  q.Reset();
  Status customers_read;
  while (true) {
    auto more = q.Step();
    if (!more.ok()) {
      customers_read = more.status();
      break;
    }
    if (!*more) break;
    rows.push_back(ReadCustomerRow(q));
  }
  if (other.joinable()) other.join();
  RETURN_IF_ERROR(customers_read);
  if (!side) contacts_read = scan_both(db, contacts, devices);
  RETURN_IF_ERROR(contacts_read);
  // Rows are in id order.
  for (auto& [customer, contact] : contacts) AttachContact(rows, customer, std::move(contact));
  for (auto& [customer, device] : devices) AttachDevice(rows, customer, std::move(device));
  for (auto& row : rows) SortContacts(row.contacts);
  return rows;
}

Result<CustomerRow> LoadCustomer(Database& db, int64_t id) {
  Statement& q = db.Query("identity-customer-by-id");
  q.Bind(":id", id);
  ASSIGN_OR_RETURN(bool found, q.Step());
  if (!found) {
    q.Reset();
    return NotFound("no customer " + std::to_string(id));
  }
  CustomerRow row = ReadCustomerRow(q);
  q.Reset();
  Statement& c = db.Query("identity-contact-points-of");
  c.Bind(":id", id);
  while (true) {
    ASSIGN_OR_RETURN(bool more, c.Step());
    if (!more) break;
    row.contacts.push_back(ReadContact(c));
  }
  Statement& d = db.Query("identity-devices-of");
  d.Bind(":id", id);
  while (true) {
    ASSIGN_OR_RETURN(bool more, d.Step());
    if (!more) break;
    row.devices.push_back(d.String(1));
  }
  return row;
}

const std::string& ProfileValue(const CustomerRow& row, std::string_view column) {
  for (size_t i = 0; i < std::size(kProfileColumns); ++i) {
    if (column == kProfileColumns[i]) return row.profile[i];
  }
  static const std::string* const missing = new std::string;
  return *missing;
}

// The linkage record of a customer: its profile, its newest usable email,
// phone and address, and a national ID attribute when one was declared.
PersonRecord ToPersonRecord(const CustomerRow& row) {
  PersonRecord r;
  r.key = std::to_string(row.id);
  r.given_name = ProfileValue(row, "given_name");
  r.family_name = ProfileValue(row, "family_name");
  if (r.given_name.empty() && r.family_name.empty()) {
    // Only a full name: the last word is taken as the family name.
    std::string full = ProfileValue(row, "full_name");
    size_t space = full.rfind(' ');
    if (space == std::string::npos) {
      r.given_name = full;
    } else {
      r.given_name = full.substr(0, space);
      r.family_name = full.substr(space + 1);
    }
  }
  r.birth_date = ProfileValue(row, "birth_date");
  r.city = ProfileValue(row, "city");
  r.region = ProfileValue(row, "region");
  r.devices = row.devices;
  r.national_id = row.national_id;
  for (const auto& c : row.contacts) {
    if (c.kind == "email" && c.status != "invalid") {
      (r.email.empty() ? r.email : r.other_emails.emplace_back()) = c.value;
    }
    if (c.kind == "email" && c.status == "invalid") {
      if (!c.suggestion.empty()) r.suggested_emails.push_back(c.suggestion);
      continue;
    }
    if (c.kind == "phone" && c.status == "invalid") {
      if (r.unvalidated_phone.empty()) r.unvalidated_phone = c.value;
      continue;
    }
    if (c.kind == "phone") (r.phone.empty() ? r.phone : r.other_phones.emplace_back()) = c.value;
    if (c.kind == "address" && r.street.empty()) {
      r.street = c.street;
      r.postcode = c.postal_code;
      if (r.city.empty()) r.city = c.city;
    }
  }
  return r;
}

struct GoldenValue {
  std::string field, value, rule;
  int64_t customer_id = 0;
  std::optional<int64_t> source_id;
  std::optional<int64_t> seen_at;
  std::optional<double> freshness;
};

size_t CodePoints(std::string_view text) {
  size_t n = 0;
  for (char c : text) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

// Survivorship by the policy's rule for each field (see SurvivalRule). Ties
// fall to the next criterion of the rule, then to the first record (members
// in id order) and its newest value. Contact values bounced or invalid never
// survive; each surviving one gets a freshness probability from the decay model.
std::vector<GoldenValue> Survive(const std::vector<const CustomerRow*>& members, Instant now,
                                 const SurvivorshipPolicy& policy) {
  std::vector<GoldenValue> out;
  using Rank = std::array<int64_t, 3>;
  for (const char* column : kProfileColumns) {
    const SurvivalRule rule = policy.RuleOf(column);
    std::map<std::string, int> frequency;
    for (const CustomerRow* m : members) {
      const std::string& v = ProfileValue(*m, column);
      if (!v.empty()) ++frequency[FoldForMatching(v)];
    }
    if (frequency.empty()) continue;
    int top_frequency = 0;
    for (const auto& [v, n] : frequency) top_frequency = std::max(top_frequency, n);
    const bool by_frequency =
        rule == SurvivalRule::kMostFrequent && top_frequency >= 2 && frequency.size() > 1;
    auto rank = [&](const CustomerRow& m, const std::string& v) -> Rank {
      const int64_t trust = policy.TrustOf(m.source_id);
      switch (rule) {
        case SurvivalRule::kMostRecent:
        case SurvivalRule::kMostRecentlyVerified:
          return {m.updated_at, trust, 0};
        case SurvivalRule::kLongest:
          return {static_cast<int64_t>(CodePoints(v)), trust, m.updated_at};
        case SurvivalRule::kMostFrequent:
        case SurvivalRule::kSourceTrust:
          break;
      }
      return {trust, m.updated_at, 0};
    };
    const CustomerRow* best = nullptr;
    Rank best_rank{};
    for (const CustomerRow* m : members) {
      const std::string& v = ProfileValue(*m, column);
      if (v.empty()) continue;
      if (by_frequency && frequency[FoldForMatching(v)] != top_frequency) continue;
      const Rank r = rank(*m, v);
      if (!best || r > best_rank) {
        best = m;
        best_rank = r;
      }
    }
    GoldenValue g;
    g.field = column;
    g.value = ProfileValue(*best, column);
    g.rule = by_frequency                          ? "most_frequent"
             : members.size() <= 1                 ? "only"
             : rule == SurvivalRule::kMostFrequent ? "source_trust"
                                                   : std::string(SurvivalRuleName(rule));
    g.customer_id = best->id;
    g.source_id = best->source_id;
    g.seen_at = best->updated_at;
    out.push_back(std::move(g));
  }
  for (const char* kind : {"email", "phone", "address"}) {
    const SurvivalRule rule = policy.RuleOf(kind);
    // Known bad values are never the best.
    auto usable = [kind](const ContactValue& c) {
      return c.kind == kind && c.status != "bounced" && c.status != "invalid";
    };
    std::map<std::string, int> frequency;  // records holding each value
    for (const CustomerRow* m : members) {
      std::set<std::string_view> held;
      for (const auto& c : m->contacts) {
        if (usable(c) && held.insert(c.value).second) ++frequency[c.value];
      }
    }
    if (frequency.empty()) continue;
    int top_frequency = 0;
    for (const auto& [v, n] : frequency) top_frequency = std::max(top_frequency, n);
    const bool by_frequency =
        rule == SurvivalRule::kMostFrequent && top_frequency >= 2 && frequency.size() > 1;
    auto rank = [&](const ContactValue& c) -> Rank {
      const int64_t verified = c.status == "verified" ? 1 : 0;
      const int64_t seen = std::max(c.last_seen, c.last_verified.value_or(0));
      switch (rule) {
        case SurvivalRule::kMostFrequent:
          return {frequency[c.value], verified, seen};
        case SurvivalRule::kSourceTrust:
          return {policy.TrustOf(c.source_id), verified, seen};
        case SurvivalRule::kMostRecent:
          return {seen, verified, 0};
        case SurvivalRule::kLongest:
          return {static_cast<int64_t>(CodePoints(c.value)), verified, seen};
        case SurvivalRule::kMostRecentlyVerified:
          break;
      }
      return {verified, seen, 0};
    };
    const ContactValue* best = nullptr;
    const CustomerRow* owner = nullptr;
    Rank best_rank{};
    for (const CustomerRow* m : members) {
      for (const auto& c : m->contacts) {
        if (!usable(c)) continue;
        const Rank r = rank(c);
        if (!best || r > best_rank) {
          best = &c;
          owner = m;
          best_rank = r;
        }
      }
    }
    GoldenValue g;
    g.field = kind;
    g.value = best->value;
    const bool chosen_by_rule = rule != SurvivalRule::kMostRecentlyVerified &&
                                (rule != SurvivalRule::kMostFrequent || by_frequency) &&
                                members.size() > 1;
    g.rule = chosen_by_rule               ? std::string(SurvivalRuleName(rule))
             : best->status == "verified" ? "verified"
                                          : "most_recent";
    g.customer_id = owner->id;
    g.source_id = best->source_id;
    const int64_t seen = std::max(best->last_seen, best->last_verified.value_or(0));
    g.seen_at = seen;
    g.freshness = StillValidProbability(Instant{seen}, now, policy.monthly_decay);
    out.push_back(std::move(g));
  }
  return out;
}

// Rows written through multi-row INSERTs of up to 500 rows each: a full run
// writes a million cluster rows, half a million log rows and millions of
// golden values, and one statement per row costs several seconds of each.
// The statement text repeats one row's placeholders, so it is built here
// from the table's column list rather than named in a .sql file.
class BatchedInsert {
 public:
  // `head`: "INSERT INTO t (a, b) VALUES "; `tail`: an ON CONFLICT clause or "".
  BatchedInsert(Database& db, std::string head, int columns, std::string tail = "")
      : db_(db), head_(std::move(head)), tail_(std::move(tail)), columns_(columns) {
    values_.reserve(static_cast<size_t>(kRows * columns_));
  }
  BatchedInsert& Int(int64_t v) { return Add(v); }
  BatchedInsert& Real(std::optional<double> v) { return v ? Add(*v) : Add(std::monostate{}); }
  BatchedInsert& Text(std::string_view v) { return Add(std::string(v)); }
  BatchedInsert& Optional(std::optional<int64_t> v) { return v ? Add(*v) : Add(std::monostate{}); }
  // NULL when empty.
  BatchedInsert& OptionalText(std::string_view v) { return v.empty() ? Add(std::monostate{}) : Add(std::string(v)); }
  // Ends a row; writes the batch when it is full.
  Status EndRow() {
    if (values_.size() >= static_cast<size_t>(kRows * columns_)) return Flush();
    return Status::Ok();
  }
  // Writes the rows not yet written.
  Status Flush() {
    const size_t rows = values_.size() / static_cast<size_t>(columns_);
    if (rows == 0) return Status::Ok();
    std::unique_ptr<Statement> partial;
    Statement* insert = nullptr;
    if (rows == static_cast<size_t>(kRows)) {
      if (!full_) {
        ASSIGN_OR_RETURN(full_, db_.Prepare(Sql(rows)));
      }
      insert = full_.get();
    } else {
      ASSIGN_OR_RETURN(partial, db_.Prepare(Sql(rows)));
      insert = partial.get();
    }
    for (size_t i = 0; i < values_.size(); ++i) {
      const int index = static_cast<int>(i + 1);
      std::visit(
          [&](const auto& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::monostate>) {
              insert->BindNull(index);
            } else {
              insert->Bind(index, v);
            }
          },
          values_[i]);
    }
    values_.clear();
    return insert->Run();
  }

 private:
  static constexpr int kRows = 500;
  using Value = std::variant<std::monostate, int64_t, double, std::string>;
  BatchedInsert& Add(Value v) {
    values_.push_back(std::move(v));
    return *this;
  }
  std::string Sql(size_t rows) const {
    std::string row = "(";
    for (int c = 0; c < columns_; ++c) row += c ? ",?" : "?";
    row += ")";
    std::string sql = head_;
    for (size_t r = 0; r < rows; ++r) {
      if (r) sql += ',';
      sql += row;
    }
    return sql + tail_;
  }

  Database& db_;
  std::string head_, tail_;
  int columns_;
  std::vector<Value> values_;
  std::unique_ptr<Statement> full_;
};

// The batched forms of identity-set-cluster, identity-log,
// identity-insert-pair and identity-insert-golden (queries_identity.sql);
// keep them in step.
BatchedInsert ClusterRows(Database& db) {
  return BatchedInsert(db, "INSERT INTO identity_clusters (customer_id, resolved_id, run_id, updated_at) VALUES ", 4,
                       " ON CONFLICT (customer_id) DO UPDATE SET resolved_id = excluded.resolved_id, "
                       "run_id = coalesce(excluded.run_id, run_id), updated_at = excluded.updated_at");
}
BatchedInsert LogRows(Database& db) {
  return BatchedInsert(db,
                       "INSERT INTO identity_merge_log (run_id, at, action, customer_id, resolved_id, "
                       "previous_resolved_id, reason, probability) VALUES ",
                       8);
}
BatchedInsert PairRows(Database& db) {
  return BatchedInsert(db,
                       "INSERT OR REPLACE INTO identity_pairs (left_id, right_id, run_id, decision, rule, "
                       "probability, weight) VALUES ",
                       7);
}
BatchedInsert GoldenRows(Database& db) {
  return BatchedInsert(db,
                       "INSERT OR REPLACE INTO identity_golden (resolved_id, field, value, customer_id, source_id, "
                       "rule, seen_at, freshness) VALUES ",
                       8);
}

Status InsertGolden(Database& db, int64_t resolved_id, const std::vector<GoldenValue>& values) {
  Statement& ins = db.Query("identity-insert-golden");
  for (const GoldenValue& g : values) {
    ins.Bind(":resolved_id", resolved_id)
        .Bind(":field", g.field)
        .Bind(":value", g.value)
        .Bind(":customer_id", g.customer_id)
        .BindOptional(":source_id", g.source_id)
        .Bind(":rule", g.rule)
        .BindOptional(":seen_at", g.seen_at);
    if (g.freshness) {
      ins.Bind(":freshness", *g.freshness);
    } else {
      ins.BindNull(":freshness");
    }
    RETURN_IF_ERROR(ins.Run());
  }
  return Status::Ok();
}

// Replaces the golden record of one cluster. Only clusters of two or more
// records have rows: a record alone is its own golden record, which ReadGolden
// computes when asked (most customers stand alone, and their rows would only
// repeat the record).
Status WriteGolden(Database& db, int64_t resolved_id,
                   const std::vector<const CustomerRow*>& members, Instant now,
                   const SurvivorshipPolicy& policy) {
  Statement& del = db.Query("identity-delete-golden-of");
  del.Bind(":resolved_id", resolved_id);
  RETURN_IF_ERROR(del.Run());
  if (members.size() < 2) return Status::Ok();
  return InsertGolden(db, resolved_id, Survive(members, now, policy));
}

// Writes the golden records of every cluster of two or more records into an
// emptied table (see WriteGolden):
// survivorship runs on worker threads a batch at a time (bounded memory), the
// rows are inserted in cluster order.
using ClusterMap = std::map<int64_t, std::vector<const CustomerRow*>>;
Status WriteAllGolden(Database& db, const ClusterMap& clusters, Instant now,
                      const SurvivorshipPolicy& policy, int threads,
                      const std::function<void(int64_t done, int64_t total)>& progress) {
  std::vector<ClusterMap::const_iterator> order;
  order.reserve(clusters.size());
  for (auto it = clusters.begin(); it != clusters.end(); ++it) {
    if (it->second.size() >= 2) order.push_back(it);
  }
  constexpr size_t kBatch = 32768;
  std::vector<std::vector<GoldenValue>> values;
  BatchedInsert golden = GoldenRows(db);
  for (size_t first = 0; first < order.size(); first += kBatch) {
    const size_t count = std::min(kBatch, order.size() - first);
    values.assign(count, {});
    internal::ParallelChunks(count, internal::WorkerThreads(threads), 1024,
                             [&](size_t begin, size_t end) {
                               for (size_t i = begin; i < end; ++i)
                                 values[i] = Survive(order[first + i]->second, now, policy);
                             });
    for (size_t i = 0; i < count; ++i) {
      for (const GoldenValue& g : values[i]) {
        golden.Int(order[first + i]->first).Text(g.field).Text(g.value).Int(g.customer_id);
        golden.Optional(g.source_id).Text(g.rule).Optional(g.seen_at).Real(g.freshness);
        RETURN_IF_ERROR(golden.EndRow());
      }
    }
    if (progress) progress(static_cast<int64_t>(first + count), static_cast<int64_t>(order.size()));
  }
  return golden.Flush();
}

Status Log(Database& db, std::optional<int64_t> run_id, Instant now, std::string_view action,
           int64_t customer_id, int64_t resolved_id, int64_t previous, std::string_view reason,
           std::optional<double> probability) {
  Statement& q = db.Query("identity-log");
  q.BindOptional(":run_id", run_id)
      .Bind(":now", now.micros)
      .Bind(":action", action)
      .Bind(":customer_id", customer_id)
      .Bind(":resolved_id", resolved_id)
      .Bind(":previous_resolved_id", previous)
      .Bind(":reason", reason);
  if (probability) {
    q.Bind(":probability", *probability);
  } else {
    q.BindNull(":probability");
  }
  return q.Run();
}

Status SetCluster(Database& db, int64_t customer_id, int64_t resolved_id, std::optional<int64_t> run_id,
                  Instant now) {
  Statement& q = db.Query("identity-set-cluster");
  q.Bind(":customer_id", customer_id)
      .Bind(":resolved_id", resolved_id)
      .BindOptional(":run_id", run_id)
      .Bind(":now", now.micros);
  return q.Run();
}

Result<std::vector<int64_t>> ClusterMembers(Database& db, int64_t resolved_id) {
  std::vector<int64_t> members;
  Statement& q = db.Query("identity-cluster-members");
  q.Bind(":resolved_id", resolved_id);
  while (true) {
    ASSIGN_OR_RETURN(bool more, q.Step());
    if (!more) break;
    members.push_back(q.Int(0));
  }
  return members;
}

Result<int64_t> ResolvedIdOf(Database& db, int64_t customer_id) {
  Statement& q = db.Query("identity-cluster-of");
  q.Bind(":id", customer_id);
  ASSIGN_OR_RETURN(bool found, q.Step());
  int64_t resolved = found ? q.Int(0) : customer_id;
  q.Reset();
  return resolved;
}

// Rewrites the golden records of the given clusters from the store.
Status RefreshGolden(Database& db, const std::set<int64_t>& resolved_ids, Instant now) {
  ASSIGN_OR_RETURN(const SurvivorshipPolicy policy, ReadSurvivorship(db));
  for (int64_t resolved : resolved_ids) {
    ASSIGN_OR_RETURN(std::vector<int64_t> ids, ClusterMembers(db, resolved));
    if (ids.empty()) ids.push_back(resolved);
    std::vector<CustomerRow> rows;
    for (int64_t id : ids) {
      ASSIGN_OR_RETURN(CustomerRow row, LoadCustomer(db, id));
      rows.push_back(std::move(row));
    }
    std::vector<const CustomerRow*> members;
    for (const auto& r : rows) members.push_back(&r);
    RETURN_IF_ERROR(WriteGolden(db, resolved, members, now, policy));
  }
  return Status::Ok();
}

// Moves `customer_ids` into one cluster whose id is their smallest customer id.
Status Regroup(Database& db, const std::vector<int64_t>& customer_ids, Instant now,
               std::string_view action, std::string_view reason, std::set<int64_t>& touched) {
  if (customer_ids.empty()) return Status::Ok();
  const int64_t resolved = *std::min_element(customer_ids.begin(), customer_ids.end());
  for (int64_t id : customer_ids) {
    ASSIGN_OR_RETURN(int64_t previous, ResolvedIdOf(db, id));
    if (previous == resolved) {
      RETURN_IF_ERROR(SetCluster(db, id, resolved, std::nullopt, now));  // first row for it
      continue;
    }
    RETURN_IF_ERROR(SetCluster(db, id, resolved, std::nullopt, now));
    RETURN_IF_ERROR(Log(db, std::nullopt, now, action, id, resolved, previous, reason, std::nullopt));
    touched.insert(previous);
  }
  touched.insert(resolved);
  return Status::Ok();
}

Status UpsertDecision(Database& db, int64_t a, int64_t b, std::string_view decision,
                      std::string_view reason, Instant now) {
  Statement& q = db.Query("identity-upsert-decision");
  q.Bind(":left_id", std::min(a, b))
      .Bind(":right_id", std::max(a, b))
      .Bind(":decision", decision)
      .Bind(":reason", reason)
      .Bind(":now", now.micros);
  return q.Run();
}

Status UnmergeInTransaction(Database& db, int64_t customer_id, Instant now);

// The model (and thresholds) of the latest run that stored one, as JSON.
Result<std::optional<std::string>> LatestModelJson(Database& db) {
  Statement& q = db.Query("identity-latest-model");
  q.Reset();
  ASSIGN_OR_RETURN(bool found, q.Step());
  std::optional<std::string> json;
  if (found) json = q.String(0);
  q.Reset();
  return json;
}

DecisionThresholds ThresholdsOf(const LinkageOptions& linkage) {
  return {linkage.merge_threshold, linkage.review_threshold, linkage.max_expected_namesakes};
}

// Names the threshold at fault and, for one the caller did not choose, that
// it is the latest run's.
Status CheckThresholds(const DecisionThresholds& t, bool merge_chosen, bool review_chosen) {
  auto origin = [](bool chosen) {
    return chosen ? std::string() : std::string(" (the latest run's)");
  };
  auto text = [](double v) {
    std::ostringstream out;
    out << v;
    return out.str();
  };
  if (!(t.merge > 0 && t.merge <= 1)) {
    return InvalidArgument("merge threshold " + text(t.merge) + origin(merge_chosen) +
                           " must be above 0 and at most 1");
  }
  if (!(t.review >= 0 && t.review <= 1)) {
    return InvalidArgument("review threshold " + text(t.review) + origin(review_chosen) +
                           " must be between 0 and 1");
  }
  if (t.review > t.merge) {
    return InvalidArgument("review threshold " + text(t.review) + origin(review_chosen) +
                           " must not exceed merge threshold " + text(t.merge) +
                           origin(merge_chosen));
  }
  if (!(t.max_expected_namesakes >= 0)) {
    return InvalidArgument("max expected namesakes " + text(t.max_expected_namesakes) +
                           " must not be negative");
  }
  return Status::Ok();
}

// Times the stages of a run into ResolveSummary::stages and reports them to
// ResolveOptions::progress.
class StageClock {
 public:
  StageClock(std::vector<StageTime>& out, const ResolveOptions& options) : out_(out), options_(options) {}
  void Begin(std::string_view stage, int64_t total = 0) {
    End();
    out_.push_back({std::string(stage), 0, 0});
    start_ = std::chrono::steady_clock::now();
    start_cpu_ = ProcessCpuSeconds();
    open_ = true;
    if (options_.progress) options_.progress(stage, 0, total);
  }
  // Linkage timed its own stages: they follow the current one.
  void Add(const std::vector<StageTime>& stages) {
    End();
    out_.insert(out_.end(), stages.begin(), stages.end());
  }
  void End() {
    if (!open_) return;
    out_.back().seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    out_.back().cpu_seconds = ProcessCpuSeconds() - start_cpu_;
    open_ = false;
  }
  // Progress within the current stage.
  void Progress(int64_t done, int64_t total) const {
    if (options_.progress && open_) options_.progress(out_.back().stage, done, total);
  }

 private:
  std::vector<StageTime>& out_;
  const ResolveOptions& options_;
  std::chrono::steady_clock::time_point start_;
  double start_cpu_ = 0;
  bool open_ = false;
};

// ---------------------------------------------------------------------------
// Prepared records and their keys in the store (migration 0016)
// ---------------------------------------------------------------------------

std::string KeysJson(const std::vector<internal::StoredKey>& keys) {
  std::string json = "[";
  for (size_t i = 0; i < keys.size(); ++i) {
    if (i) json.push_back(',');
    json += std::to_string(static_cast<int64_t>(keys[i].hash));
  }
  json.push_back(']');
  return json;
}

// The first column of a bound query's first row (0 when there is none).
Result<int64_t> FirstInt(Statement& q) {
  ASSIGN_OR_RETURN(bool found, q.Step());
  const int64_t n = found ? q.Int(0) : 0;
  q.Reset();
  return n;
}

// The records with a key of the exact-given-name or -family-name rule
// (identity_name_totals, migration 0017).
Result<int64_t> NameTotal(Database& db, int rule) {
  return FirstInt(db.Query("identity-name-total").Bind(":rule", static_cast<int64_t>(rule)));
}

// Adds to (or with `set`, sets) the name totals the rule-14 and -15 keys in `index`.
Status CountNameKeys(Database& db, const std::vector<std::pair<uint64_t, int64_t>>& index, bool set) {
  for (int rule : {internal::kGivenNameRule, internal::kFamilyNameRule}) {
    const int64_t n = std::count_if(index.begin(), index.end(),
                                    [rule](const auto& e) { return static_cast<int>(e.first >> 59) == rule; });
    Statement& q = db.Query(set ? "identity-set-name-total" : "identity-add-name-total");
    RETURN_IF_ERROR(q.Bind(":rule", static_cast<int64_t>(rule)).Bind(":records", n).Run());
  }
  return Status::Ok();
}

// An INSERT of `rows` index rows: "(?,?)" repeated, bound positionally.
std::string InsertKeysSql(size_t rows) {
  std::string sql = "INSERT OR IGNORE INTO identity_keys (hash, record_id) VALUES ";
  for (size_t i = 0; i < rows; ++i) sql += i ? ",(?,?)" : "(?,?)";
  return sql;
}

// Writes index rows (hash, record id), sorted and distinct, 500 per statement;
// `progress(rows written)` now and then. The statement is built here rather
// than named in a .sql file because its text is 500 copies of one row: binding
// a thousand integers costs a third of passing the rows as JSON to json_each
// (10M rows at 1M records: 3.4 s instead of 11 s).
Status StoreKeys(Database& db, const std::vector<std::pair<uint64_t, int64_t>>& index,
                 const std::function<void(size_t)>& progress = {}) {
  constexpr size_t kRowsPerStatement = 500;
  auto write = [&](Statement& insert, size_t first, size_t rows) {
    for (size_t r = 0; r < rows; ++r) {
      insert.Bind(static_cast<int>(2 * r + 1), static_cast<int64_t>(index[first + r].first));
      insert.Bind(static_cast<int>(2 * r + 2), index[first + r].second);
    }
    return insert.Run();
  };
  size_t first = 0;
  if (index.size() >= kRowsPerStatement) {
    ASSIGN_OR_RETURN(std::unique_ptr<Statement> full, db.Prepare(InsertKeysSql(kRowsPerStatement)));
    for (; first + kRowsPerStatement <= index.size(); first += kRowsPerStatement) {
      RETURN_IF_ERROR(write(*full, first, kRowsPerStatement));
      if (progress && (first / kRowsPerStatement) % 512 == 0) progress(first);
    }
  }
  if (first < index.size()) {
    ASSIGN_OR_RETURN(std::unique_ptr<Statement> rest, db.Prepare(InsertKeysSql(index.size() - first)));
    RETURN_IF_ERROR(write(*rest, first, index.size() - first));
  }
  if (progress) progress(index.size());
  return Status::Ok();
}

// Replaces every stored prepared record and key by those of `prepared`
// (a full rebuild): nothing stale survives it. Records are encoded on worker
// threads a batch at a time; rows are written in id order, index rows in
// index order (appending to a B-tree is much cheaper than inserting at random
// places).
Status StoreAllPrepared(Database& db, const std::vector<CustomerRow>& rows,
                        const std::vector<internal::PreparedRecord>& prepared, int threads, StageClock& clock) {
  auto progress = [&clock](int64_t done, int64_t total) { clock.Progress(done, total); };
  RETURN_IF_ERROR(db.Query("identity-clear-keys").Run());
  RETURN_IF_ERROR(db.Query("identity-clear-recent-keys").Run());
  RETURN_IF_ERROR(db.Query("identity-clear-keyed").Run());
  RETURN_IF_ERROR(db.Query("identity-clear-dirty").Run());
  struct Encoded {
    std::vector<internal::StoredKey> keys;
    std::string keys_json, prepared;
  };
  std::vector<std::pair<uint64_t, int64_t>> index;
  index.reserve(rows.size() * 11);
  constexpr size_t kBatch = 32768;
  std::vector<Encoded> encoded;
  Statement& keyed = db.Query("identity-insert-keyed");
  // Twice the rows: the index rows are about as many again, written below.
  const int64_t total = static_cast<int64_t>(rows.size()) * 2;
  for (size_t first = 0; first < rows.size(); first += kBatch) {
    const size_t count = std::min(kBatch, rows.size() - first);
    encoded.assign(count, {});
    internal::ParallelChunks(count, internal::WorkerThreads(threads), 1024, [&](size_t begin, size_t end) {
      for (size_t i = begin; i < end; ++i) {
        encoded[i].keys = internal::StoredKeys(prepared[first + i]);
        encoded[i].keys_json = KeysJson(encoded[i].keys);
        encoded[i].prepared = internal::EncodePrepared(prepared[first + i]);
      }
    });
    for (size_t i = 0; i < count; ++i) {
      const int64_t id = rows[first + i].id;
      keyed.Bind(":record_id", id).Bind(":keys", encoded[i].keys_json).Bind(":prepared", encoded[i].prepared);
      RETURN_IF_ERROR(keyed.Run());
      for (const auto& k : encoded[i].keys) index.emplace_back(k.hash, id);
    }
    progress(static_cast<int64_t>(first + count), total);
  }
  encoded.clear();
  clock.Begin("store_index", total);
  internal::ParallelSort(index, internal::WorkerThreads(threads));
  index.erase(std::unique(index.begin(), index.end()), index.end());
  RETURN_IF_ERROR(CountNameKeys(db, index, /*set=*/true));
  return StoreKeys(db, index, [&](size_t done) {
    progress(static_cast<int64_t>(rows.size()) +
                 static_cast<int64_t>(static_cast<double>(done) / static_cast<double>(index.size()) *
                                      static_cast<double>(rows.size())),
             total);
  });
}

Result<int64_t> CountNamed(Database& db, std::string_view query) {
  Statement& q = db.Query(query);
  q.Reset();
  return FirstInt(q);
}

// The `limit` smallest ids of the records holding a key (all with limit < 0),
// ascending, from both key tables (migration 0017).
Status RecordsWithKey(Database& db, uint64_t hash, int64_t limit, std::vector<int64_t>& out) {
  out.clear();
  for (const char* query : {"identity-records-with-key", "identity-recent-records-with-key"}) {
    Statement& q = db.Query(query);
    q.Bind(":hash", static_cast<int64_t>(hash)).Bind(":limit", limit);
    while (true) {
      ASSIGN_OR_RETURN(bool more, q.Step());
      if (!more) break;
      out.push_back(q.Int(0));
    }
  }
  std::sort(out.begin(), out.end());
  if (limit >= 0 && out.size() > static_cast<size_t>(limit)) out.resize(static_cast<size_t>(limit));
  return Status::Ok();
}

Result<int64_t> CountKey(Database& db, uint64_t hash) {
  return FirstInt(db.Query("identity-count-key").Bind(":hash", static_cast<int64_t>(hash)));
}

// The stored prepared form of a record; nullopt when there is none.
// ids[first, end) as a JSON array, into `json`.
void JsonArrayOf(const std::vector<int64_t>& ids, size_t first, size_t end, std::string& json) {
  json.assign("[");
  for (size_t i = first; i < end; ++i) {
    if (i > first) json.push_back(',');
    json += std::to_string(ids[i]);
  }
  json.push_back(']');
}

// Runs a named query over `ids` (its :ids parameter, a JSON array), a few
// thousand ids per statement, calling row(statement) for every row.
template <class Row>
Status ForRowsOfIds(Database& db, std::string_view query, const std::vector<int64_t>& ids, Row&& row) {
  Statement& q = db.Query(query);
  constexpr size_t kPerStatement = 4096;
  std::string json;
  for (size_t first = 0; first < ids.size(); first += kPerStatement) {
    JsonArrayOf(ids, first, std::min(ids.size(), first + kPerStatement), json);
    q.Bind(":ids", json);
    while (true) {
      ASSIGN_OR_RETURN(bool more, q.Step());
      if (!more) break;
      row(q);
    }
  }
  return Status::Ok();
}

// Rows (x, y) of a named query over the ids in its :ids parameter.
Result<std::vector<std::pair<int64_t, int64_t>>> PairsFor(Database& db, std::string_view query,
                                                           const std::vector<int64_t>& ids) {
  std::vector<std::pair<int64_t, int64_t>> out;
  RETURN_IF_ERROR(ForRowsOfIds(db, query, ids, [&](const Statement& q) { out.emplace_back(q.Int(0), q.Int(1)); }));
  return out;
}

// The customers `ids` (ascending, distinct) with their contact points, as
// LoadCustomer gives them, read a few thousand per statement; in id order. A
// missing id is left out.
Result<std::vector<CustomerRow>> LoadCustomers(Database& db, const std::vector<int64_t>& ids) {
  std::vector<CustomerRow> rows;
  rows.reserve(ids.size());
  RETURN_IF_ERROR(
      ForRowsOfIds(db, "identity-customers-of-many", ids, [&](const Statement& q) { rows.push_back(ReadCustomerRow(q)); }));
  std::sort(rows.begin(), rows.end(), [](const CustomerRow& a, const CustomerRow& b) { return a.id < b.id; });
  RETURN_IF_ERROR(ForRowsOfIds(db, "identity-contact-points-of-many", ids,
                               [&](const Statement& q) { AttachContact(rows, q.Int(0), ReadContact(q)); }));
  for (auto& row : rows) SortContacts(row.contacts);
  RETURN_IF_ERROR(ForRowsOfIds(db, "identity-devices-of-many", ids,
                               [&](const Statement& q) { AttachDevice(rows, q.Int(0), q.String(1)); }));
  return rows;
}

// Decodes the stored prepared forms of `ids` (ascending, distinct), read a few
// thousand per statement, into *out[k] for ids[k], setting found[k]; a record
// without a readable stored form is left unfound (the caller prepares it).
//
// With a second, read-only connection (`side`) the second half is read and
// decoded on it at the same time: the forms of records that are not dirty do
// not change in the caller's transaction, so the committed state it sees is
// theirs.
Status StoredPreparedInto(Database& db, Database* side, const std::vector<int64_t>& ids,
                          const std::vector<internal::PreparedRecord*>& out, std::vector<char>& found) {
  found.assign(ids.size(), 0);
  auto read = [&](Database& from, size_t begin, size_t end) -> Status {
    const std::vector<int64_t> part(ids.begin() + static_cast<std::ptrdiff_t>(begin),
                                    ids.begin() + static_cast<std::ptrdiff_t>(end));
    size_t next = begin;  // rows usually come in the order asked
    return ForRowsOfIds(from, "identity-prepared-of-many", part, [&](const Statement& q) {
      const int64_t id = q.Int(0);
      size_t k = next;
      if (k >= end || ids[k] != id) {
        k = static_cast<size_t>(std::lower_bound(ids.begin() + static_cast<std::ptrdiff_t>(begin),
                                                 ids.begin() + static_cast<std::ptrdiff_t>(end), id) -
                                ids.begin());
        if (k >= end || ids[k] != id) return;
      }
      next = k + 1;
      found[k] = internal::DecodePrepared(q.Text(1), *out[k]);
    });
  };
  const size_t half = side ? ids.size() / 2 : ids.size();
  Status theirs;
  std::thread other;
  if (side) other = std::thread([&] { theirs = read(*side, half, ids.size()); });
  Status mine = read(db, 0, half);
  if (other.joinable()) other.join();
  RETURN_IF_ERROR(mine);
  return theirs;
}

// Writes the merge pairs and reviews of a run (rows[i] = customer id of record i).
Status WritePairs(Database& db, const std::vector<int64_t>& ids, const LinkageResult& linkage,
                  int64_t run_id, bool incremental, Instant now) {
  if (!incremental) RETURN_IF_ERROR(db.Query("identity-clear-pairs").Run());
  if (!incremental) RETURN_IF_ERROR(db.Query("identity-clear-pending-reviews").Run());
  // Written in key order, (left_id, right_id): appending to the tables'
  // B-trees costs a fraction of inserting at random places (half a million
  // merges at a million records).
  struct Written {
    int64_t left, right;
    const ScoredPair* pair;
    bool review;
  };
  std::vector<Written> order;
  order.reserve(linkage.merges.size() + linkage.reviews.size());
  for (const auto& p : linkage.merges)
    order.push_back({ids[static_cast<size_t>(p.a)], ids[static_cast<size_t>(p.b)], &p, false});
  for (const auto& p : linkage.reviews)
    order.push_back({ids[static_cast<size_t>(p.a)], ids[static_cast<size_t>(p.b)], &p, true});
  std::stable_sort(order.begin(), order.end(), [](const Written& x, const Written& y) {
    return std::tie(x.left, x.right) < std::tie(y.left, y.right);
  });
  BatchedInsert pair_rows = PairRows(db);
  Statement& review_q = db.Query("identity-upsert-review");
  for (const Written& w : order) {
    const ScoredPair& p = *w.pair;
    pair_rows.Int(w.left).Int(w.right).Int(run_id).Text(w.review ? "review" : "merge");
    pair_rows.OptionalText(p.rule).Real(p.probability).Real(p.weight);
    RETURN_IF_ERROR(pair_rows.EndRow());
    if (!w.review) continue;
    review_q.Bind(":left_id", w.left)
        .Bind(":right_id", w.right)
        .Bind(":probability", p.probability)
        .Bind(":weight", p.weight)
        .Bind(":now", now.micros);
    RETURN_IF_ERROR(review_q.Run());
  }
  return pair_rows.Flush();
}

// Incremental resolution, proportional to the new and changed records:
//  1. every dirty record (new, or changed since it was prepared; see migration
//     0016) is loaded and prepared;
//  2. for each key of a new record the store's index gives the existing records
//     sharing it (and the block's size: blocks over the rule's limit are
//     skipped, as a full run skips them; keys of the deterministic rules are followed
//     whatever their size); the dirty records' keys are then stored, in the
//     small recent-keys table (migration 0017);
//  3. those records and the other members of their clusters are read in their
//     stored prepared form, and the subset is linked with the latest model and
//     the store's name frequencies (LinkPreparedIncremental);
//  4. only the changes are written: new cluster rows, the merge log, pairs,
//     reviews and the golden records of the clusters that changed.
// Reads that see only rows this transaction does not change run on a second,
// read-only connection at the same time (from a few hundred records on).
// Runs inside the caller's transaction.

Status ResolveIncrementalInTransaction(Database& db, const ResolveOptions& options, const LinkageModel& model,
                                       Instant now, ResolveSummary& summary, std::string& model_json) {
  const int max_block = options.linkage.max_block_size;
  StageClock clock(summary.stages, options);
  clock.Begin("prepare_dirty");
  // Whether the index as committed holds no key of a dirty record (the
  // contract of migration 0016); the look-ups rely on it to read the index on
  // a second connection. When a writer broke it, the stale keys go first and
  // the look-ups read only this transaction's index.
  ASSIGN_OR_RETURN(const bool stale_keys, CountNamed(db, "identity-dirty-keyed"));
  if (stale_keys) {
    RETURN_IF_ERROR(db.Query("identity-unkey-dirty-keys").Run());
    RETURN_IF_ERROR(db.Query("identity-unkey-dirty-recent-keys").Run());
    RETURN_IF_ERROR(db.Query("identity-recount-name-totals").Run());
    RETURN_IF_ERROR(db.Query("identity-unkey-dirty").Run());
  }
  // 1. Dirty records.
  std::vector<std::pair<int64_t, std::optional<int64_t>>> dirty;  // id, resolved id
  {
    Statement& q = db.Query("identity-dirty");
    q.Reset();
    while (true) {
      ASSIGN_OR_RETURN(bool more, q.Step());
      if (!more) break;
      dirty.emplace_back(q.Int(0), q.OptionalInt(1));
    }
  }
  std::unordered_map<int64_t, internal::PreparedRecord> fresh;  // dirty records, prepared now
  std::vector<int64_t> new_ids;
  std::vector<std::pair<uint64_t, int64_t>> index;
  struct NewKeys {
    std::vector<internal::StoredKey> keys;
    std::vector<uint64_t> rule_keys;  // those a deterministic rule links through
  };
  std::unordered_map<int64_t, NewKeys> new_keys;  // of the new records
  {
    // Read in batches.
    std::sort(dirty.begin(), dirty.end());
    std::vector<int64_t> dirty_ids;
    for (const auto& d : dirty) dirty_ids.push_back(d.first);
    dirty_ids.erase(std::unique(dirty_ids.begin(), dirty_ids.end()), dirty_ids.end());
    ASSIGN_OR_RETURN(std::vector<CustomerRow> rows, LoadCustomers(db, dirty_ids));
    if (rows.size() != dirty_ids.size()) {
      for (size_t i = 0; i < dirty_ids.size(); ++i) {
        if (i >= rows.size() || rows[i].id != dirty_ids[i]) return NotFound("no customer " + std::to_string(dirty_ids[i]));
      }
    }
    // Prepared, keyed and encoded on worker threads; stored here in id order.
    struct Ready {
      internal::PreparedRecord prepared;
      std::vector<internal::StoredKey> keys;
      std::vector<uint64_t> rule_keys;
      std::string keys_json, encoded;
    };
    std::vector<Ready> ready(rows.size());
    internal::ParallelChunks(rows.size(), internal::WorkerThreads(options.linkage.threads), 512,
                             [&](size_t begin, size_t end) {
                               for (size_t i = begin; i < end; ++i) {
                                 Ready& r = ready[i];
                                 r.prepared = internal::Prepare(ToPersonRecord(rows[i]));
                                 r.keys = internal::StoredKeys(r.prepared);
                                 r.rule_keys = internal::RuleKeyHashes(r.prepared);
                                 r.keys_json = KeysJson(r.keys);
                                 r.encoded = internal::EncodePrepared(r.prepared);
                               }
                             });
    Statement& keyed = db.Query("identity-insert-keyed");
    size_t at = 0;
    for (const auto& [id, resolved] : dirty) {
      if (fresh.count(id)) continue;
      while (rows[at].id != id) ++at;
      Ready& r = ready[at];
      RETURN_IF_ERROR(keyed.Bind(":record_id", id).Bind(":keys", r.keys_json).Bind(":prepared", r.encoded).Run());
      for (const auto& k : r.keys) index.emplace_back(k.hash, id);
      if (!resolved) {
        new_ids.push_back(id);
        new_keys.emplace(id, NewKeys{std::move(r.keys), std::move(r.rule_keys)});
      }
      fresh.emplace(id, std::move(r.prepared));
    }
  }
  std::sort(index.begin(), index.end());
  index.erase(std::unique(index.begin(), index.end()), index.end());
  summary.new_records = static_cast<int64_t>(new_ids.size());
  clock.Begin("lookup");

  // 2. Candidates through the index, with the store's block sizes and name counts.
  internal::GlobalCounts counts;
  std::set<int64_t> subset(new_ids.begin(), new_ids.end());
  // Keys already followed: in full (rule keys), or up to the block limit.
  std::unordered_set<uint64_t> looked_up, looked_up_all;
  struct Lookup {
    uint64_t hash;
    int rule;
    bool rule_key;
    const std::string* name;  // the given or family name of a name-frequency key
    // The answer: the key's record count (name keys) or its first holders.
    int64_t count = 0;
    std::vector<int64_t> holders;
  };
  std::vector<Lookup> lookups;
  for (int64_t id : new_ids) {
    const internal::PreparedRecord& p = fresh.at(id);
    const auto& [keys, rule_keys] = new_keys.at(id);
    for (const internal::StoredKey& k : keys) {
      const bool rule_key = std::find(rule_keys.begin(), rule_keys.end(), k.hash) != rule_keys.end();
      if (looked_up_all.count(k.hash) || (!rule_key && looked_up.count(k.hash))) continue;
      (rule_key ? looked_up_all : looked_up).insert(k.hash);
      lookups.push_back({k.hash, k.rule, rule_key,
                         k.rule == internal::kGivenNameRule    ? &p.given
                         : k.rule == internal::kFamilyNameRule ? &p.family
                                                               : nullptr,
                         0, {}});
    }
  }
  // In key order: neighbouring look-ups then share the index's pages.
  std::stable_sort(lookups.begin(), lookups.end(), [](const Lookup& a, const Lookup& b) { return a.hash < b.hash; });

  // The look-ups read the index as committed: this run's keys (`index`, the
  // dirty records') are stored only afterwards and added here from memory. A
  // dirty record never has stored keys (migration 0016's contract, checked
  // above), so the committed answers plus `index` are exactly what the index
  // holds with this run's keys. That lets a second, read-only connection,
  // which sees only committed data, read the name-rule totals and share the
  // look-ups; then it reads the clusters found (unchanged so far in this
  // transaction) while this one stores the keys.
  auto dirty_holders = [&index](uint64_t hash) {
    auto first = std::lower_bound(index.begin(), index.end(), std::pair<uint64_t, int64_t>(hash, INT64_MIN));
    auto last = first;
    while (last != index.end() && last->first == hash) ++last;
    return std::pair(first, last);
  };
  auto rule_totals = [&](Database& conn) -> Status {
    if (new_ids.empty()) return Status::Ok();
    ASSIGN_OR_RETURN(counts.given_total, NameTotal(conn, internal::kGivenNameRule));
    ASSIGN_OR_RETURN(counts.family_total, NameTotal(conn, internal::kFamilyNameRule));
    for (const auto& [hash, id] : index) {
      const uint64_t rule = hash >> 59;
      counts.given_total += rule == internal::kGivenNameRule;
      counts.family_total += rule == internal::kFamilyNameRule;
    }
    return Status::Ok();
  };
  std::atomic<size_t> next_lookup{0};
  constexpr size_t kLookupsPerTake = 256;
  auto run_lookups = [&](Database& conn) -> Status {
    for (size_t first; (first = next_lookup.fetch_add(kLookupsPerTake)) < lookups.size();) {
      for (size_t i = first; i < std::min(lookups.size(), first + kLookupsPerTake); ++i) {
        Lookup& k = lookups[i];
        auto [dirty_first, dirty_last] = dirty_holders(k.hash);
        if (k.name) {
          ASSIGN_OR_RETURN(k.count, CountKey(conn, k.hash));
          k.count += dirty_last - dirty_first;
          continue;
        }
        // Keys a deterministic rule may link through (email, phone, national
        // ID) are followed whatever the block's size, as Link's rules are.
        const int64_t limit = k.rule_key ? -1 : internal::BlockLimit(k.rule, max_block) + 1;
        RETURN_IF_ERROR(RecordsWithKey(conn, k.hash, limit, k.holders));
        // The smallest `limit` ids of the union, as the query over all keys gives them.
        for (auto it = dirty_first; it != dirty_last; ++it) k.holders.push_back(it->second);
        std::sort(k.holders.begin(), k.holders.end());
        k.holders.erase(std::unique(k.holders.begin(), k.holders.end()), k.holders.end());
        if (limit >= 0 && k.holders.size() > static_cast<size_t>(limit)) k.holders.resize(static_cast<size_t>(limit));
      }
    }
    return Status::Ok();
  };
  std::unique_ptr<Database> side;
  if (!stale_keys && internal::WorkerThreads(options.linkage.threads) >= 2 && lookups.size() >= 256) {
    side = OpenReadSide(db);
  }
  {
    Status side_status;
    std::thread side_thread;
    if (side) {
      side_thread = std::thread([&] {
        side_status = rule_totals(*side);
        if (side_status.ok()) side_status = run_lookups(*side);
      });
    }
    Status main_status = side ? Status::Ok() : rule_totals(db);
    if (main_status.ok()) main_status = run_lookups(db);
    if (side_thread.joinable()) side_thread.join();
    RETURN_IF_ERROR(main_status);
    RETURN_IF_ERROR(side_status);
  }
  for (const Lookup& k : lookups) {
    if (k.name) {
      (k.rule == internal::kGivenNameRule ? counts.given[*k.name] : counts.family[*k.name]) = k.count;
      continue;
    }
    const int limit = internal::BlockLimit(k.rule, max_block);
    if (k.rule < internal::kNationalKeyRule) counts.block_sizes[k.hash] = static_cast<int64_t>(k.holders.size());
    if (!k.rule_key && k.holders.size() > static_cast<size_t>(limit)) continue;
    subset.insert(k.holders.begin(), k.holders.end());
  }

  // 3. Whole clusters of the existing records found (read on the second
  // connection while this one stores the dirty records' keys).
  clock.Begin("load_clusters");
  std::unordered_map<int64_t, int64_t> previous;  // existing record -> resolved id
  auto load_clusters = [&](Database& conn) -> Status {
    const std::unordered_set<int64_t> is_new(new_ids.begin(), new_ids.end());
    std::vector<int64_t> existing_found;
    for (int64_t id : subset) {
      if (!is_new.count(id)) existing_found.push_back(id);
    }
    // A record without a cluster row stands alone (its own resolved id).
    for (int64_t id : existing_found) previous[id] = id;
    ASSIGN_OR_RETURN(auto resolved_of, PairsFor(conn, "identity-clusters-of-many", existing_found));
    std::set<int64_t> resolved_ids;
    for (const auto& [id, resolved] : resolved_of) previous[id] = resolved;
    for (int64_t id : existing_found) resolved_ids.insert(previous[id]);
    const std::vector<int64_t> clusters(resolved_ids.begin(), resolved_ids.end());
    ASSIGN_OR_RETURN(auto members, PairsFor(conn, "identity-members-of-many", clusters));
    for (const auto& [member, resolved] : members) {
      previous[member] = resolved;
      subset.insert(member);
    }
    return Status::Ok();
  };
  {
    Status side_status;
    std::thread side_thread;
    if (side) side_thread = std::thread([&] { side_status = load_clusters(*side); });
    // Into the small recent-keys table (migration 0017): spread over the large
    // one they would dirty most of its pages. One statement per key: appended
    // in key order to a small table, that is cheaper than parsing JSON.
    Status main_status = [&]() -> Status {
      Statement& q = db.Query("identity-insert-recent-key");
      for (const auto& [hash, id] : index) {
        RETURN_IF_ERROR(q.Bind(":hash", static_cast<int64_t>(hash)).Bind(":record_id", id).Run());
      }
      return CountNameKeys(db, index, /*set=*/false);
    }();
    if (main_status.ok()) main_status = db.Query("identity-clear-dirty").Run();
    if (side_thread.joinable()) side_thread.join();
    RETURN_IF_ERROR(main_status);
    if (!side) side_status = load_clusters(db);
    RETURN_IF_ERROR(side_status);
  }
  clock.Begin("load_prepared");
  const std::vector<int64_t> ids(subset.begin(), subset.end());  // ascending, as a full run orders them
  std::vector<internal::PreparedRecord> prepared(ids.size());
  std::unordered_map<int64_t, int> position;
  std::unordered_map<int64_t, int> first_of_cluster;
  std::vector<int> existing(ids.size(), -1);
  // Dirty records as prepared above; the others decoded in place from their stored form.
  std::vector<int64_t> stored_ids;
  std::vector<internal::PreparedRecord*> stored_into;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (auto f = fresh.find(ids[i]); f != fresh.end()) {
      prepared[i] = std::move(f->second);
    } else {
      stored_ids.push_back(ids[i]);
      stored_into.push_back(&prepared[i]);
    }
  }
  // (From a few hundred records on, so that the integration test's incremental run takes this path too.)
  if (!side && internal::WorkerThreads(options.linkage.threads) >= 2 && stored_ids.size() >= 256) {
    side = OpenReadSide(db);
  }
  std::vector<char> found;
  RETURN_IF_ERROR(StoredPreparedInto(db, stored_ids.size() >= 256 ? side.get() : nullptr, stored_ids, stored_into, found));
  for (size_t k = 0; k < stored_ids.size(); ++k) {
    if (found[k]) continue;
    // Not prepared yet (cannot happen while the triggers keep the contract): prepare it now.
    ASSIGN_OR_RETURN(CustomerRow row, LoadCustomer(db, stored_ids[k]));
    *stored_into[k] = internal::Prepare(ToPersonRecord(row));
  }
  fresh.clear();
  for (size_t i = 0; i < ids.size(); ++i) {
    position[ids[i]] = static_cast<int>(i);
    auto before = previous.find(ids[i]);
    if (before != previous.end()) {
      auto [it, inserted] = first_of_cluster.emplace(before->second, static_cast<int>(i));
      existing[i] = it->second;
    }
  }
  clock.Begin("name_counts");
  // The transitivity guard also scores existing records against each other:
  // the store's frequencies of every name in the subset.
  for (const internal::PreparedRecord& p : prepared) {
    if (!p.given.empty() && !counts.given.count(p.given)) {
      ASSIGN_OR_RETURN(counts.given[p.given], CountKey(db, internal::KeyHash(internal::kGivenNameRule, p.given)));
    }
    if (!p.family.empty() && !counts.family.count(p.family)) {
      ASSIGN_OR_RETURN(counts.family[p.family],
                       CountKey(db, internal::KeyHash(internal::kFamilyNameRule, p.family)));
    }
  }
  std::vector<std::pair<int, int>> apart, together;
  {
    Statement& q = db.Query("identity-decisions");
    q.Reset();
    while (true) {
      ASSIGN_OR_RETURN(bool more, q.Step());
      if (!more) break;
      auto a = position.find(q.Int(0)), b = position.find(q.Int(1));
      if (a == position.end() || b == position.end()) continue;
      (q.Text(2) == "apart" ? apart : together).emplace_back(std::min(a->second, b->second),
                                                             std::max(a->second, b->second));
    }
  }
  clock.End();
  LinkageOptions linkage_options = options.linkage;
  if (!linkage_options.progress) linkage_options.progress = options.progress;
  LinkageResult linkage =
      internal::LinkPreparedIncremental(prepared, existing, model, linkage_options, apart, together, counts);
  clock.Add(linkage.stages);
  clock.Begin("write_clusters");
  model_json = internal::ModelToJson(linkage.model, ThresholdsOf(options.linkage));

  // 4. The changes.
  std::vector<const ScoredPair*> reason(ids.size(), nullptr);
  for (const auto& pair : linkage.merges) {
    if (!reason[static_cast<size_t>(pair.b)]) reason[static_cast<size_t>(pair.b)] = &pair;
    if (!reason[static_cast<size_t>(pair.a)]) reason[static_cast<size_t>(pair.a)] = &pair;
    if (pair.rule.empty()) {
      ++summary.probabilistic_merges;
    } else {
      ++summary.rule_merges;
    }
  }
  // The clusters that gain or lose records.
  std::set<int64_t> touched;
  for (size_t i = 0; i < ids.size(); ++i) {
    const int64_t resolved = ids[static_cast<size_t>(linkage.cluster[i])];
    auto before = previous.find(ids[i]);
    if (before != previous.end() && before->second == resolved) continue;
    touched.insert(resolved);
    if (before != previous.end()) touched.insert(before->second);
  }
  // Their members after the run are all in `ids` (whole clusters of the
  // existing records were loaded), so the records their golden records are
  // made from are known now: they are read on the second connection (customer
  // rows do not change in this transaction) while this one writes the changes,
  // and so is the customer count.
  std::map<int64_t, std::vector<int64_t>> members_of;  // resolved id -> members, ascending
  for (int64_t resolved : touched) members_of[resolved];
  for (size_t i = 0; i < ids.size(); ++i) {
    auto m = members_of.find(ids[static_cast<size_t>(linkage.cluster[i])]);
    if (m != members_of.end()) m->second.push_back(ids[i]);
  }
  std::vector<int64_t> record_ids;
  for (const auto& [resolved, members] : members_of) {
    if (members.size() >= 2) record_ids.insert(record_ids.end(), members.begin(), members.end());
  }
  std::sort(record_ids.begin(), record_ids.end());
  std::vector<CustomerRow> records;
  Status records_read;
  Result<int64_t> customer_count = NotFound("not counted yet");
  std::thread reader;
  struct JoinOnExit {
    std::thread& thread;
    ~JoinOnExit() {
      if (thread.joinable()) thread.join();
    }
  } join_reader{reader};
  if (side) {
    reader = std::thread([&] {
      auto read = LoadCustomers(*side, record_ids);
      if (read.ok()) records = std::move(*read);
      records_read = read.status();
      // Resolution adds no customers: the committed count is the run's.
      if (records_read.ok()) customer_count = CountNamed(*side, "identity-count-customers");
    });
  }
  for (size_t i = 0; i < ids.size(); ++i) {
    const int64_t id = ids[i];
    const int64_t resolved = ids[static_cast<size_t>(linkage.cluster[i])];
    auto before = previous.find(id);
    if (before != previous.end() && before->second == resolved) continue;
    RETURN_IF_ERROR(SetCluster(db, id, resolved, summary.run_id, now));
    const int64_t was = before == previous.end() ? id : before->second;
    if (was == resolved) continue;
    if (resolved != id) {
      const ScoredPair* why = reason[i];
      std::string why_text = !why ? "probabilistic" : why->rule.empty() ? "probabilistic" : why->rule;
      RETURN_IF_ERROR(Log(db, summary.run_id, now, "merge", id, resolved, was, why_text,
                          why ? std::optional<double>(why->probability) : std::nullopt));
    } else {
      RETURN_IF_ERROR(Log(db, summary.run_id, now, "split", id, resolved, was, "rebuild", std::nullopt));
    }
  }
  clock.Begin("write_pairs");
  RETURN_IF_ERROR(WritePairs(db, ids, linkage, summary.run_id, /*incremental=*/true, now));
  summary.reviews = static_cast<int64_t>(linkage.reviews.size());
  summary.candidate_pairs = linkage.candidate_pairs;
  summary.candidates_by_rule = linkage.candidates_by_rule;
  summary.guard_refusals = linkage.guard_refusals;
  clock.Begin("write_golden");
  // Golden records of the clusters that gained or lost records (survivorship
  // on worker threads).
  {
    if (reader.joinable()) {
      reader.join();
      RETURN_IF_ERROR(records_read);
    } else {
      ASSIGN_OR_RETURN(records, LoadCustomers(db, record_ids));
    }
    auto record_of = [&](int64_t id) -> const CustomerRow* {
      auto it = std::lower_bound(records.begin(), records.end(), id,
                                 [](const CustomerRow& r, int64_t x) { return r.id < x; });
      return it != records.end() && it->id == id ? &*it : nullptr;
    };
    std::vector<std::pair<int64_t, std::vector<const CustomerRow*>>> clusters;
    for (const auto& [resolved, members] : members_of) {
      std::vector<const CustomerRow*> rows;
      if (members.size() >= 2) {
        for (int64_t id : members) {
          const CustomerRow* row = record_of(id);
          if (!row) return NotFound("no customer " + std::to_string(id));
          rows.push_back(row);
        }
      }
      clusters.emplace_back(resolved, std::move(rows));
    }
    ASSIGN_OR_RETURN(const SurvivorshipPolicy policy, ReadSurvivorship(db));
    std::vector<std::vector<GoldenValue>> values(clusters.size());
    internal::ParallelChunks(clusters.size(), internal::WorkerThreads(options.linkage.threads), 256,
                             [&](size_t begin, size_t end) {
                               for (size_t i = begin; i < end; ++i) {
                                 if (clusters[i].second.size() >= 2)
                                   values[i] = Survive(clusters[i].second, now, policy);
                               }
                             });
    Statement& del = db.Query("identity-delete-golden-of");
    for (size_t i = 0; i < clusters.size(); ++i) {
      // Gone or alone: no stored golden record (see WriteGolden).
      RETURN_IF_ERROR(del.Bind(":resolved_id", clusters[i].first).Run());
      if (clusters[i].second.size() >= 2) RETURN_IF_ERROR(InsertGolden(db, clusters[i].first, values[i]));
    }
  }
  clock.Begin("count");
  if (!customer_count.ok()) customer_count = CountNamed(db, "identity-count-customers");
  ASSIGN_OR_RETURN(summary.records, std::move(customer_count));
  ASSIGN_OR_RETURN(summary.clusters, CountNamed(db, "identity-count-clusters"));
  // The recent keys are folded into the large table once they number more
  // than the records (about a tenth of the large table: about ten keys per
  // record), so that look-ups stay two short probes and the cost of the fold,
  // a rewrite of the large table, is spread over many runs.
  ASSIGN_OR_RETURN(const int64_t recent_keys, CountNamed(db, "identity-count-recent-keys"));
  if (recent_keys > std::max<int64_t>(summary.records, options.min_recent_keys_to_fold)) {
    clock.Begin("fold_keys");
    RETURN_IF_ERROR(db.Query("identity-fold-recent-keys").Run());
    RETURN_IF_ERROR(db.Query("identity-clear-recent-keys").Run());
  }
  clock.End();
  return Status::Ok();
}

}  // namespace

Result<ResolveSummary> Resolve(Database& db, const ResolveOptions& requested) {
  const auto start = std::chrono::steady_clock::now();
  ASSIGN_OR_RETURN(const std::optional<std::string> latest_model, LatestModelJson(db));
  ResolveOptions options = requested;
  {
    DecisionThresholds thresholds;
    if (latest_model) {
      ASSIGN_OR_RETURN(thresholds, internal::ThresholdsFromJson(*latest_model));
    }
    const bool merge_chosen = requested.merge_threshold.has_value();
    const bool review_chosen = requested.review_threshold.has_value();
    thresholds.merge = requested.merge_threshold.value_or(thresholds.merge);
    thresholds.review = requested.review_threshold.value_or(thresholds.review);
    thresholds.max_expected_namesakes =
        requested.max_expected_namesakes.value_or(thresholds.max_expected_namesakes);
    RETURN_IF_ERROR(CheckThresholds(thresholds, merge_chosen, review_chosen));
    options.linkage.merge_threshold = thresholds.merge;
    options.linkage.review_threshold = thresholds.review;
    options.linkage.max_expected_namesakes = thresholds.max_expected_namesakes;
  }
  const Instant now = options.clock->Now();
  ResolveSummary summary;
  summary.thresholds = ThresholdsOf(options.linkage);
  if (options.incremental) {
    // Incremental after a run: the latest model. Without one, a full rebuild.
    if (latest_model) {
      ASSIGN_OR_RETURN(LinkageModel model, internal::ModelFromJson(*latest_model));
      summary.incremental = true;
      Transaction tx(db);
      RETURN_IF_ERROR(tx.Begin());
      Statement& run = db.Query("identity-insert-run");
      run.Bind(":now", now.micros);
      RETURN_IF_ERROR(run.Run());
      summary.run_id = db.last_insert_id();
      std::string model_json;
      RETURN_IF_ERROR(ResolveIncrementalInTransaction(db, options, model, now, summary, model_json));
      StageClock clock(summary.stages, options);
      clock.Begin("commit");
      Statement& finish = db.Query("identity-finish-run");
      finish.Bind(":now", options.clock->Now().micros)
          .Bind(":records", summary.records)
          .Bind(":clusters", summary.clusters)
          .Bind(":candidate_pairs", summary.candidate_pairs)
          .Bind(":rule_merges", summary.rule_merges)
          .Bind(":probabilistic_merges", summary.probabilistic_merges)
          .Bind(":reviews", summary.reviews)
          .Bind(":guard_refusals", static_cast<int64_t>(summary.guard_refusals))
          .Bind(":model", model_json)
          .Bind(":id", summary.run_id);
      RETURN_IF_ERROR(finish.Run());
      RETURN_IF_ERROR(tx.Commit());
      clock.End();
      summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      return summary;
    }
  }
  StageClock clock(summary.stages, options);
  clock.Begin("load");
  ASSIGN_OR_RETURN(std::vector<CustomerRow> rows, LoadAllCustomers(db));
  std::vector<PersonRecord> records(rows.size());
  internal::ParallelChunks(rows.size(), internal::WorkerThreads(options.linkage.threads), 4096,
                           [&](size_t begin, size_t end) {
                             for (size_t i = begin; i < end; ++i)
                               records[i] = ToPersonRecord(rows[i]);
                           });

  std::vector<std::pair<int, int>> apart, together;
  {
    auto row_of = [&rows](int64_t id) -> int {
      const CustomerRow* row = RowOf(rows, id);
      return row ? static_cast<int>(row - rows.data()) : -1;
    };
    Statement& q = db.Query("identity-decisions");
    q.Reset();
    while (true) {
      ASSIGN_OR_RETURN(bool more, q.Step());
      if (!more) break;
      const int a = row_of(q.Int(0)), b = row_of(q.Int(1));
      if (a < 0 || b < 0) continue;
      (q.Text(2) == "apart" ? apart : together).emplace_back(std::min(a, b), std::max(a, b));
    }
  }
  std::unordered_map<int64_t, int64_t> previous;
  {
    Statement& q = db.Query("identity-all-clusters");
    q.Reset();
    while (true) {
      ASSIGN_OR_RETURN(bool more, q.Step());
      if (!more) break;
      previous[q.Int(0)] = q.Int(1);
    }
  }

  summary.new_records = static_cast<int64_t>(rows.size() - std::min(rows.size(), previous.size()));
  clock.Begin("prepare", static_cast<int64_t>(records.size()));
  std::vector<internal::PreparedRecord> prepared = internal::PrepareAll(
      records, options.linkage.threads, [&](size_t done) {
        clock.Progress(static_cast<int64_t>(done), static_cast<int64_t>(rows.size()));
      });
  records.clear();
  records.shrink_to_fit();
  clock.End();
  LinkageOptions linkage_options = options.linkage;
  if (!linkage_options.progress) linkage_options.progress = options.progress;
  LinkageResult linkage = internal::LinkPrepared(prepared, linkage_options, apart, together);
  clock.Add(linkage.stages);
  clock.Begin("write_clusters", static_cast<int64_t>(rows.size()));

  // The run rewrites about a gigabyte of pages at a million records: a page
  // cache that holds the pages being appended to saves writing them out
  // again and again. Back to the store's default afterwards.
  struct LargerPageCache {
    Database& db;
    explicit LargerPageCache(Database& d) : db(d) { (void)db.Exec("PRAGMA cache_size=-524288"); }
    ~LargerPageCache() { (void)db.Exec("PRAGMA cache_size=-65536"); }
  } larger_page_cache(db);
  // Most of those pages are appended to the file: with the store to itself,
  // the run writes them once, through a rollback journal, rather than into the
  // WAL and again at the checkpoint.
  SoleWriterJournal journal(db);
  Transaction tx(db);
  RETURN_IF_ERROR(tx.Begin());
  Statement& run = db.Query("identity-insert-run");
  run.Bind(":now", now.micros);
  RETURN_IF_ERROR(run.Run());
  summary.run_id = db.last_insert_id();

  // Why each record joined its cluster: the first accepted pair that names it.
  std::vector<const ScoredPair*> reason(rows.size(), nullptr);
  for (const auto& pair : linkage.merges) {
    if (!reason[static_cast<size_t>(pair.b)]) reason[static_cast<size_t>(pair.b)] = &pair;
    if (!reason[static_cast<size_t>(pair.a)]) reason[static_cast<size_t>(pair.a)] = &pair;
    if (pair.rule.empty()) {
      ++summary.probabilistic_merges;
    } else {
      ++summary.rule_merges;
    }
  }
  ClusterMap clusters;
  BatchedInsert cluster_rows = ClusterRows(db), log_rows = LogRows(db);
  for (size_t i = 0; i < rows.size(); ++i) {
    const int64_t id = rows[i].id;
    const int64_t resolved = rows[static_cast<size_t>(linkage.cluster[i])].id;
    clusters[resolved].push_back(&rows[i]);
    auto before = previous.find(id);
    // Rows that did not change are not rewritten (a million upserts cost
    // seconds); their run_id stays that of the run that set them.
    if (before != previous.end() && before->second == resolved) continue;
    cluster_rows.Int(id).Int(resolved).Int(summary.run_id).Int(now.micros);
    RETURN_IF_ERROR(cluster_rows.EndRow());
    const int64_t was = before == previous.end() ? id : before->second;
    if (was == resolved) continue;
    log_rows.Int(summary.run_id).Int(now.micros);
    if (resolved != id) {
      const ScoredPair* why = reason[i];
      std::string_view why_text = !why || why->rule.empty() ? std::string_view("probabilistic") : why->rule;
      log_rows.Text("merge").Int(id).Int(resolved).Int(was).Text(why_text);
      log_rows.Real(why ? std::optional<double>(why->probability) : std::nullopt);
    } else {
      log_rows.Text("split").Int(id).Int(resolved).Int(was).Text("rebuild").Real(std::nullopt);
    }
    RETURN_IF_ERROR(log_rows.EndRow());
  }
  RETURN_IF_ERROR(cluster_rows.Flush());
  RETURN_IF_ERROR(log_rows.Flush());
  summary.records = static_cast<int64_t>(rows.size());
  summary.clusters = static_cast<int64_t>(clusters.size());

  std::vector<int64_t> ids(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) ids[i] = rows[i].id;
  clock.Begin("write_pairs");
  RETURN_IF_ERROR(WritePairs(db, ids, linkage, summary.run_id, /*incremental=*/false, now));
  summary.reviews = static_cast<int64_t>(linkage.reviews.size());
  summary.candidate_pairs = linkage.candidate_pairs;
  summary.candidates_by_rule = linkage.candidates_by_rule;
  summary.guard_refusals = linkage.guard_refusals;

  clock.Begin("write_golden");
  RETURN_IF_ERROR(db.Query("identity-clear-golden").Run());
  ASSIGN_OR_RETURN(const SurvivorshipPolicy policy, ReadSurvivorship(db));
  // Every golden record is written by the rules just read, in this transaction.
  RETURN_IF_ERROR(db.Query("identity-clear-golden-stale").Run());
  RETURN_IF_ERROR(
      WriteAllGolden(db, clusters, now, policy, options.linkage.threads,
                     [&](int64_t done, int64_t total) { clock.Progress(done, total); }));
  // A full rebuild prepares every record again: the stored forms and keys are
  // replaced, so none can be stale afterwards.
  clock.Begin("store_prepared", static_cast<int64_t>(rows.size()) * 2);
  RETURN_IF_ERROR(StoreAllPrepared(db, rows, prepared, options.linkage.threads, clock));
  clock.Begin("commit");

  Statement& finish = db.Query("identity-finish-run");
  finish.Bind(":now", options.clock->Now().micros)
      .Bind(":records", summary.records)
      .Bind(":clusters", summary.clusters)
      .Bind(":candidate_pairs", summary.candidate_pairs)
      .Bind(":rule_merges", summary.rule_merges)
      .Bind(":probabilistic_merges", summary.probabilistic_merges)
      .Bind(":reviews", summary.reviews)
      .Bind(":guard_refusals", static_cast<int64_t>(summary.guard_refusals))
      .Bind(":model", internal::ModelToJson(linkage.model, ThresholdsOf(options.linkage)))
      .Bind(":id", summary.run_id);
  RETURN_IF_ERROR(finish.Run());
  RETURN_IF_ERROR(tx.Commit());
  clock.End();
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return summary;
}

Result<int64_t> RewriteGoldenRecords(
    Database& db, const Clock& clock,
    const std::function<void(int64_t done, int64_t total)>& progress) {
  // The generation of the stale mark this rewrite answers.
  std::optional<double> generation;
  {
    Statement& q = db.Query("identity-golden-stale");
    q.Reset();
    ASSIGN_OR_RETURN(bool found, q.Step());
    if (found) generation = q.Double(0);
    q.Reset();
  }
  ASSIGN_OR_RETURN(const int64_t max_id, CountNamed(db, "identity-max-customer-id"));
  // About 0.6 s of writing per range at a million records.
  constexpr int64_t kIdsPerRange = 50000;
  constexpr std::chrono::milliseconds kPauseBetweenRanges{100};
  int64_t written = 0;
  for (int64_t from = 0; from <= max_id; from += kIdsPerRange) {
    const int64_t to = from + kIdsPerRange;
    const Instant now = clock.Now();
    Transaction tx(db);
    RETURN_IF_ERROR(tx.Begin());
    // Read inside the transaction: the rules and clusters the range is written by.
    ASSIGN_OR_RETURN(const SurvivorshipPolicy policy, ReadSurvivorship(db));
    std::vector<std::pair<int64_t, int64_t>>
        membership;  // record, resolved: by resolved, then record
    {
      Statement& q = db.Query("identity-multi-record-clusters-in");
      q.Bind(":from", from).Bind(":to", to);
      while (true) {
        ASSIGN_OR_RETURN(bool more, q.Step());
        if (!more) break;
        membership.emplace_back(q.Int(0), q.Int(1));
      }
    }
    std::vector<int64_t> ids;
    ids.reserve(membership.size());
    for (const auto& [record, resolved] : membership) ids.push_back(record);
    std::sort(ids.begin(), ids.end());
    ASSIGN_OR_RETURN(const std::vector<CustomerRow> rows, LoadCustomers(db, ids));
    // Members in id order, as a full run gives them to survivorship.
    ClusterMap clusters;
    for (const auto& [record, resolved] : membership) {
      auto row = std::lower_bound(rows.begin(), rows.end(), record,
                                  [](const CustomerRow& r, int64_t id) { return r.id < id; });
      if (row == rows.end() || row->id != record)
        return NotFound("no customer " + std::to_string(record));
      clusters[resolved].push_back(&*row);
    }
    RETURN_IF_ERROR(
        db.Query("identity-delete-golden-in").Bind(":from", from).Bind(":to", to).Run());
    RETURN_IF_ERROR(WriteAllGolden(db, clusters, now, policy, /*threads=*/0, {}));
    RETURN_IF_ERROR(tx.Commit());
    written += static_cast<int64_t>(clusters.size());
    if (progress) progress(std::min(to, max_id), max_id);
    // SQLite's lock is not fair: a writer waiting on its busy timeout polls
    // (every 100 ms once it has waited a while) and would miss a gap of
    // microseconds between two ranges; this pause lets it in.
    if (to <= max_id) std::this_thread::sleep_for(kPauseBetweenRanges);
  }
  if (generation) {
    RETURN_IF_ERROR(
        db.Query("identity-clear-golden-stale-generation").Bind(":generation", *generation).Run());
  }
  return written;
}

Result<ResolveStatus> ReadResolveStatus(Database& db) {
  ResolveStatus status;
  ASSIGN_OR_RETURN(status.records, CountNamed(db, "identity-count-customers"));
  ASSIGN_OR_RETURN(status.pending, CountNamed(db, "identity-count-pending"));
  ASSIGN_OR_RETURN(const int64_t has_model, CountNamed(db, "identity-has-model"));
  status.incremental_ready = has_model != 0;
  ASSIGN_OR_RETURN(const std::optional<std::string> latest_model, LatestModelJson(db));
  if (latest_model) {
    ASSIGN_OR_RETURN(status.thresholds, internal::ThresholdsFromJson(*latest_model));
  }
  ASSIGN_OR_RETURN(status.golden_stale_since, GoldenRecordsStaleSince(db));
  Statement& q = db.Query("identity-latest-finished-run");
  q.Reset();
  ASSIGN_OR_RETURN(bool found, q.Step());
  if (found) {
    RunRecord run;
    run.id = q.Int(0);
    run.started_at = Instant{q.Int(1)};
    run.finished_at = Instant{q.Int(2)};
    run.records = q.Int(3);
    run.clusters = q.Int(4);
    run.candidate_pairs = q.Int(5);
    run.rule_merges = q.Int(6);
    run.probabilistic_merges = q.Int(7);
    run.reviews = q.Int(8);
    run.guard_refusals = q.Int(9);
    status.last_run = run;
  }
  q.Reset();
  return status;
}

Result<ReviewList> ListReviews(Database& db, bool pending_only, int limit) {
  ReviewList list;
  ASSIGN_OR_RETURN(list.calibration, LearnReviewCalibration(db));
  std::vector<ReviewItem>& items = list.items;
  Statement& q = db.Query("identity-list-reviews");
  q.Bind(":pending_only", static_cast<int64_t>(pending_only ? 1 : 0)).Bind(":limit", static_cast<int64_t>(limit));
  while (true) {
    ASSIGN_OR_RETURN(bool more, q.Step());
    if (!more) break;
    ReviewItem item;
    item.id = q.Int(0);
    item.left_customer = q.Int(1);
    item.right_customer = q.Int(2);
    item.probability = q.Double(3);
    item.weight = q.Double(4);
    item.status = q.String(5);
    item.calibrated_probability = list.calibration.Calibrated(item.probability);
    items.push_back(std::move(item));
  }
  return list;
}

Status DecideReview(Database& db, int64_t review_id, bool accept, const Clock& clock) {
  const Instant now = clock.Now();
  Transaction tx(db);
  RETURN_IF_ERROR(tx.Begin());
  Statement& q = db.Query("identity-review-by-id");
  q.Bind(":id", review_id);
  ASSIGN_OR_RETURN(bool found, q.Step());
  if (!found) {
    q.Reset();
    return NotFound("no review item " + std::to_string(review_id));
  }
  const int64_t left = q.Int(0), right = q.Int(1);
  q.Reset();
  Statement& decide = db.Query("identity-decide-review");
  decide.Bind(":status", accept ? "accepted" : "rejected").Bind(":now", now.micros).Bind(":id", review_id);
  RETURN_IF_ERROR(decide.Run());
  RETURN_IF_ERROR(UpsertDecision(db, left, right, accept ? "together" : "apart", "review", now));
  std::set<int64_t> touched;
  ASSIGN_OR_RETURN(int64_t left_resolved, ResolvedIdOf(db, left));
  ASSIGN_OR_RETURN(int64_t right_resolved, ResolvedIdOf(db, right));
  if (accept && left_resolved != right_resolved) {
    ASSIGN_OR_RETURN(std::vector<int64_t> members, ClusterMembers(db, left_resolved));
    ASSIGN_OR_RETURN(std::vector<int64_t> others, ClusterMembers(db, right_resolved));
    if (members.empty()) members.push_back(left);
    if (others.empty()) others.push_back(right);
    members.insert(members.end(), others.begin(), others.end());
    RETURN_IF_ERROR(Regroup(db, members, now, "merge", "review", touched));
  } else if (!accept && left_resolved == right_resolved) {
    // Rejecting a pair the model had merged takes the right record out.
    RETURN_IF_ERROR(UnmergeInTransaction(db, right, now));
  }
  RETURN_IF_ERROR(RefreshGolden(db, touched, now));
  return tx.Commit();
}

Status Unmerge(Database& db, int64_t customer_id, const Clock& clock) {
  Transaction tx(db);
  RETURN_IF_ERROR(tx.Begin());
  RETURN_IF_ERROR(UnmergeInTransaction(db, customer_id, clock.Now()));
  return tx.Commit();
}

namespace {

Status UnmergeInTransaction(Database& db, int64_t customer_id, Instant now) {
  ASSIGN_OR_RETURN(bool exists, CustomerExists(db, customer_id));
  if (!exists) return NotFound("no customer " + std::to_string(customer_id));
  ASSIGN_OR_RETURN(int64_t resolved, ResolvedIdOf(db, customer_id));
  ASSIGN_OR_RETURN(std::vector<int64_t> members, ClusterMembers(db, resolved));
  if (members.size() < 2) {
    return FailedPrecondition("customer " + std::to_string(customer_id) + " is not merged with any other record");
  }
  std::vector<int64_t> rest;
  for (int64_t m : members) {
    if (m == customer_id) continue;
    rest.push_back(m);
    RETURN_IF_ERROR(UpsertDecision(db, customer_id, m, "apart", "unmerge", now));
  }
  RETURN_IF_ERROR(SetCluster(db, customer_id, customer_id, std::nullopt, now));
  RETURN_IF_ERROR(Log(db, std::nullopt, now, "unmerge", customer_id, customer_id, resolved, "unmerge", std::nullopt));
  std::set<int64_t> touched = {customer_id};
  // When the record was the cluster's id, the others get the next smallest one.
  RETURN_IF_ERROR(Regroup(db, rest, now, "unmerge", "unmerge", touched));
  RETURN_IF_ERROR(db.Query("identity-delete-golden-of").Bind(":resolved_id", resolved).Run());
  return RefreshGolden(db, touched, now);
}

}  // namespace

Result<PairExplanation> Explain(Database& db, int64_t left_customer, int64_t right_customer) {
  ASSIGN_OR_RETURN(CustomerRow left, LoadCustomer(db, left_customer));
  ASSIGN_OR_RETURN(CustomerRow right, LoadCustomer(db, right_customer));
  LinkageModel model = internal::DefaultModel();
  ASSIGN_OR_RETURN(const std::optional<std::string> latest_model, LatestModelJson(db));
  if (latest_model) {
    ASSIGN_OR_RETURN(model, internal::ModelFromJson(*latest_model));
  }
  const PersonRecord a = ToPersonRecord(left), b = ToPersonRecord(right);
  const internal::PreparedRecord pa = internal::Prepare(a), pb = internal::Prepare(b);
  const ComparisonVector v = internal::ComparePrepared(pa, pb);
  auto raw = [](const PersonRecord& r, Field f) -> std::string {
    switch (f) {
      case Field::kGivenName: return r.given_name;
      case Field::kFamilyName: return r.family_name;
      case Field::kBirthDate: return r.birth_date;
      case Field::kStreet: return r.street;
      case Field::kStreetNumber: return r.street_number;
      case Field::kAddressExtra: return r.address_extra;
      case Field::kCity: return r.city;
      case Field::kPostcode: return r.postcode;
      case Field::kRegion: return r.region;
      case Field::kNationalId: return r.national_id;
      case Field::kEmail: return r.email;
      case Field::kPhone: return r.phone.empty() ? r.unvalidated_phone : r.phone;
      case Field::kDevice: {
        std::string devices;
        for (const auto& d : r.devices) devices += (devices.empty() ? "" : ", ") + d;
        return devices;
      }
    }
    return "";
  };
  // What was compared when the record itself holds nothing there: a name read
  // from the email, the correction suggested for an invalid address.
  auto shown = [&raw](const PersonRecord& r, const internal::PreparedRecord& p, Field f,
                      std::string& derived) -> std::string {
    std::string value = raw(r, f);
    if (!value.empty()) return value;
    if (f == Field::kGivenName || f == Field::kFamilyName) {
      value = f == Field::kGivenName ? p.given : p.family;
      if (!value.empty()) derived = "email";
    } else if (f == Field::kEmail && !p.suggested_emails.empty()) {
      value = p.suggested_emails[0];
      derived = "suggestion";
    }
    return value;
  };
  PairExplanation out;
  for (int f = 0; f < kFieldCount; ++f) {
    const Field field = static_cast<Field>(f);
    FieldExplanation e;
    e.field = std::string(FieldName(field));
    e.left_value = shown(a, pa, field, e.left_derived);
    e.right_value = shown(b, pb, field, e.right_derived);
    e.level = v.levels[f];
    e.weight = model.Weight(field, e.level);
    out.fields.push_back(std::move(e));
  }
  out.weight = model.MatchWeight(v);
  out.probability = model.MatchProbability(v);
  out.rule = internal::DeterministicRule(pa, pb);
  ASSIGN_OR_RETURN(out.left_cluster, ResolvedIdOf(db, left_customer));
  ASSIGN_OR_RETURN(out.right_cluster, ResolvedIdOf(db, right_customer));
  Statement& score = db.Query("identity-pair-score");
  score.Bind(":left_id", std::min(left_customer, right_customer))
      .Bind(":right_id", std::max(left_customer, right_customer));
  ASSIGN_OR_RETURN(bool scored, score.Step());
  if (scored) {
    out.run_probability = score.Double(0);
    out.run_weight = score.Double(1);
    out.run_decision = score.String(2);
  }
  score.Reset();
  return out;
}

Result<GoldenRecord> ReadGolden(Database& db, int64_t customer_id, const Clock& clock) {
  ASSIGN_OR_RETURN(bool exists, CustomerExists(db, customer_id));
  if (!exists) return NotFound("no customer " + std::to_string(customer_id));
  GoldenRecord golden;
  ASSIGN_OR_RETURN(golden.resolved_id, ResolvedIdOf(db, customer_id));
  ASSIGN_OR_RETURN(golden.members, ClusterMembers(db, golden.resolved_id));
  if (golden.members.empty()) golden.members.push_back(customer_id);
  if (golden.members.size() == 1) {
    // A record alone is its own golden record (no rows are stored for it).
    ASSIGN_OR_RETURN(CustomerRow row, LoadCustomer(db, golden.members[0]));
    const Instant now = clock.Now();
    std::map<int64_t, std::string> source_names;
    ASSIGN_OR_RETURN(const SurvivorshipPolicy policy, ReadSurvivorship(db));
    for (GoldenValue& g : Survive({&row}, now, policy)) {
      GoldenField f;
      f.field = std::move(g.field);
      f.value = std::move(g.value);
      f.from_customer = g.customer_id;
      if (g.source_id) {
        auto [it, inserted] = source_names.try_emplace(*g.source_id);
        if (inserted) {
          Statement& name = db.Query("identity-source-name");
          name.Bind(":id", *g.source_id);
          ASSIGN_OR_RETURN(bool found, name.Step());
          if (found) it->second = name.String(0);
          name.Reset();
        }
        if (!it->second.empty()) f.source = it->second;
      }
      f.rule = std::move(g.rule);
      f.seen_at = g.seen_at;
      if (g.freshness) {
        f.freshness = *g.freshness;
        f.stale = *f.freshness < kStaleFreshness;
      }
      golden.fields.push_back(std::move(f));
    }
    std::sort(golden.fields.begin(), golden.fields.end(),
              [](const GoldenField& x, const GoldenField& y) { return x.field < y.field; });
    return golden;
  }
  Statement& q = db.Query("identity-golden-of");
  q.Bind(":resolved_id", golden.resolved_id);
  while (true) {
    ASSIGN_OR_RETURN(bool more, q.Step());
    if (!more) break;
    GoldenField f;
    f.field = q.String(0);
    f.value = q.String(1);
    f.from_customer = q.Int(2);
    if (!q.IsNull(3)) f.source = q.String(3);
    f.rule = q.String(4);
    f.seen_at = q.OptionalInt(5);
    if (!q.IsNull(6)) {
      f.freshness = q.Double(6);
      f.stale = *f.freshness < kStaleFreshness;
    }
    golden.fields.push_back(std::move(f));
  }
  for (int64_t member : golden.members) {
    Statement& why = db.Query("identity-latest-log-of");
    why.Bind(":customer_id", member);
    ASSIGN_OR_RETURN(bool found, why.Step());
    if (found && why.Text(0) == "merge") {
      golden.links.push_back({member, why.String(1),
                              why.IsNull(2) ? std::nullopt : std::optional(why.Double(2)),
                              Instant{why.Int(3)}});
    }
    why.Reset();
  }
  return golden;
}

Result<std::vector<ClusterMembership>> ListMemberships(Database& db) {
  std::vector<ClusterMembership> out;
  Statement& q = db.Query("identity-memberships");
  q.Reset();
  while (true) {
    ASSIGN_OR_RETURN(bool more, q.Step());
    if (!more) break;
    ClusterMembership m;
    m.source = q.String(0);
    m.source_key = q.String(1);
    m.customer_id = q.Int(2);
    m.resolved_id = q.Int(3);
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace patron::identity
