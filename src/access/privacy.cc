// Privacy (R28): one customer's export, erasure, and tombstones.
#include <sodium.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <tuple>

#include "access/access.h"
#include "access/access_internal.h"

namespace patron::access {
namespace {

using nlohmann::ordered_json;

// Tables with a customer_id column that the export and erasure name
// explicitly; any other such table (added by a later migration) is exported
// under "other" and swept by the erasure.
const std::set<std::string, std::less<>> kKnownCustomerTables = {
    "account_members", "consents",           "contact_points", "customer_attributes",
    "customer_devices", "customer_tags",     "customer_traits", "events",         "identity_clusters",
    "identity_golden", "identity_merge_log", "orders",         "segment_memberships",
    // Engine bookkeeping (migration 0010): which customers changed since a
    // snapshot, by id and sequence number only; no personal data to export,
    // and removed by a trigger when the customer is deleted.
    "engine_customer_changes"};

bool IsTimeColumn(std::string_view name) {
  return name == "at" || (name.size() > 3 && name.substr(name.size() - 3) == "_at");
}

// The current row as a JSON object named by its columns; times (columns named
// "at" or "*_at", microseconds) as RFC 3339 text, JSON text columns parsed.
ordered_json RowToJson(Statement& q) {
  ordered_json row = ordered_json::object();
  for (int c = 0; c < q.column_count(); ++c) {
    std::string name(q.ColumnName(c));
    if (q.IsNull(c)) {
      row[name] = nullptr;
    } else if (q.IsNumeric(c)) {
      int64_t i = q.Int(c);
      double d = q.Double(c);
      if (static_cast<double>(i) != d) {
        row[name] = d;
      } else if (IsTimeColumn(name)) {
        row[name] = FormatInstant(Instant{i});
      } else {
        row[name] = i;
      }
    } else {
      std::string_view text = q.Text(c);
      if (name == "properties" || name == "recommended_products" ||
          name == "category_propensity_30d") {
        auto parsed = ordered_json::parse(text, nullptr, /*allow_exceptions=*/false);
        row[name] = parsed.is_discarded() ? ordered_json(std::string(text)) : parsed;
      } else {
        row[name] = std::string(text);
      }
    }
  }
  return row;
}

Result<ordered_json> Rows(Statement& q) {
  ordered_json rows = ordered_json::array();
  while (true) {
    ASSIGN_OR_RETURN(bool more, q.Step());
    if (!more) break;
    rows.push_back(RowToJson(q));
  }
  return rows;
}

Result<ordered_json> NamedRows(Database& db, std::string_view query, int64_t customer_id) {
  Statement& q = db.Query(query);
  q.Bind(":id", customer_id);
  return Rows(q);
}

std::string QuoteIdentifier(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

Result<std::vector<std::string>> CustomerTables(Database& db) {
  std::vector<std::string> tables;
  Statement& q = db.Query("privacy-customer-tables");
  while (true) {
    ASSIGN_OR_RETURN(bool more, q.Step());
    if (!more) break;
    tables.push_back(q.String(0));
  }
  return tables;
}

Result<int64_t> CountBy(Database& db, std::string_view query, int64_t id) {
  Statement& q = db.Query(query);
  q.Bind(":id", id);
  ASSIGN_OR_RETURN(bool row, q.Step());
  int64_t n = row ? q.Int(0) : 0;
  q.Reset();
  return n;
}

// ---------------------------------------------------------------------------
// Tombstones
// ---------------------------------------------------------------------------

std::string_view KindName(IdentifierKind kind) {
  switch (kind) {
    case IdentifierKind::kEmail:
      return "email";
    case IdentifierKind::kPhone:
      return "phone";
    case IdentifierKind::kNationalId:
      return "national_id";
    case IdentifierKind::kSourceKey:
      return "source_key";
  }
  return "unknown";
}

// National ids are compared without separators and case: "850101-1234" and
// "8501011234" are one id.
std::string CompactNationalId(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (std::isalnum(static_cast<unsigned char>(c)))
      out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

std::string TombstoneHash(std::string_view key, IdentifierKind kind, std::string_view value,
                          int64_t source_id) {
  std::string data(KindName(kind));
  data += '\0';
  if (kind == IdentifierKind::kSourceKey) {
    data += std::to_string(source_id);
    data += '\0';
  }
  if (kind == IdentifierKind::kNationalId) {
    data += CompactNationalId(value);
  } else {
    data += value;
  }
  return HashHex(data, key);
}

constexpr std::string_view kTombstoneKeyName = "tombstone_key";

// The per-database tombstone key (hex in access_secrets), or empty when none
// was made yet (and so no tombstone exists).
Result<std::string> ReadTombstoneKey(Database& db) {
  Statement& q = db.Query("access-get-secret");
  q.Bind(":name", kTombstoneKeyName);
  ASSIGN_OR_RETURN(bool row, q.Step());
  std::string hex = row ? q.String(0) : std::string();
  q.Reset();
  if (hex.empty()) return std::string();
  std::string key(hex.size() / 2, '\0');
  size_t len = 0;
  if (sodium_hex2bin(reinterpret_cast<unsigned char*>(key.data()), key.size(), hex.data(),
                     hex.size(), nullptr, &len, nullptr) != 0 ||
      len != crypto_generichash_KEYBYTES) {
    return DataLoss("the tombstone key in access_secrets is damaged");
  }
  return key;
}

Result<std::string> EnsureTombstoneKey(Database& db) {
  ASSIGN_OR_RETURN(std::string key, ReadTombstoneKey(db));
  if (!key.empty()) return key;
  RETURN_IF_ERROR(db.Query("access-put-secret")
                      .Bind(":name", kTombstoneKeyName)
                      .Bind(":value", Hex(RandomBytes(crypto_generichash_KEYBYTES)))
                      .Run());
  return ReadTombstoneKey(db);
}

Result<IdentifierKind> ParseKind(std::string_view kind) {
  for (IdentifierKind k : {IdentifierKind::kEmail, IdentifierKind::kPhone,
                           IdentifierKind::kNationalId, IdentifierKind::kSourceKey}) {
    if (KindName(k) == kind) return k;
  }
  return Internal("unknown identifier kind '" + std::string(kind) + "'");
}

}  // namespace

// ---------------------------------------------------------------------------
// Export
// ---------------------------------------------------------------------------

Result<std::string> ExportCustomer(Database& db, int64_t customer_id) {
  ASSIGN_OR_RETURN(bool exists, CustomerExists(db, customer_id));
  if (!exists) return NotFound("no customer with id " + std::to_string(customer_id));
  ordered_json doc;
  doc["format"] = "patron-customer-export/1";
  doc["customer_id"] = customer_id;
  ASSIGN_OR_RETURN(ordered_json profile, NamedRows(db, "privacy-customer", customer_id));
  doc["profile"] = profile.empty() ? ordered_json::object() : profile[0];
  ASSIGN_OR_RETURN(ordered_json tags, NamedRows(db, "privacy-tags", customer_id));
  doc["tags"] = ordered_json::array();
  for (const auto& t : tags) doc["tags"].push_back(t["tag"]);
  ASSIGN_OR_RETURN(ordered_json attributes, NamedRows(db, "privacy-attributes", customer_id));
  doc["attributes"] = ordered_json::object();
  for (const auto& a : attributes) doc["attributes"][a["name"].get<std::string>()] = a["value"];
  ASSIGN_OR_RETURN(doc["contact_points"], NamedRows(db, "privacy-contact-points", customer_id));
  ASSIGN_OR_RETURN(doc["consents"], NamedRows(db, "privacy-consents", customer_id));
  ASSIGN_OR_RETURN(doc["devices"], NamedRows(db, "privacy-devices", customer_id));
  ASSIGN_OR_RETURN(doc["accounts"], NamedRows(db, "privacy-accounts", customer_id));

  ASSIGN_OR_RETURN(ordered_json orders, NamedRows(db, "privacy-orders", customer_id));
  ASSIGN_OR_RETURN(ordered_json lines, NamedRows(db, "privacy-order-lines", customer_id));
  std::map<int64_t, ordered_json*> by_id;
  for (auto& o : orders) {
    o["lines"] = ordered_json::array();
    by_id[o["id"].get<int64_t>()] = &o;
  }
  for (auto& l : lines) {
    auto it = by_id.find(l["order_id"].get<int64_t>());
    if (it != by_id.end()) (*it->second)["lines"].push_back(std::move(l));
  }
  doc["orders"] = std::move(orders);
  ASSIGN_OR_RETURN(doc["events"], NamedRows(db, "privacy-events", customer_id));
  ASSIGN_OR_RETURN(ordered_json traits, NamedRows(db, "privacy-traits", customer_id));
  doc["traits"] = traits.empty() ? ordered_json(nullptr) : traits[0];
  ASSIGN_OR_RETURN(doc["source_records"], NamedRows(db, "privacy-source-records", customer_id));
  ASSIGN_OR_RETURN(doc["field_issues"], NamedRows(db, "privacy-field-issues", customer_id));
  ASSIGN_OR_RETURN(doc["segment_memberships"],
                   NamedRows(db, "privacy-segment-memberships", customer_id));
  ordered_json identity;
  ASSIGN_OR_RETURN(ordered_json cluster, NamedRows(db, "privacy-identity-cluster", customer_id));
  identity["cluster"] = cluster.empty() ? ordered_json(nullptr) : cluster[0];
  ASSIGN_OR_RETURN(identity["golden"], NamedRows(db, "privacy-identity-golden", customer_id));
  ASSIGN_OR_RETURN(identity["merge_log"], NamedRows(db, "privacy-identity-merge-log", customer_id));
  ASSIGN_OR_RETURN(identity["reviews"], NamedRows(db, "privacy-identity-reviews", customer_id));
  ASSIGN_OR_RETURN(identity["decisions"], NamedRows(db, "privacy-identity-decisions", customer_id));
  doc["identity"] = std::move(identity);
  // Who read or changed this person's data (R28: people may know who processed it).
  ASSIGN_OR_RETURN(doc["access_log"], NamedRows(db, "privacy-audit", customer_id));

  ordered_json other = ordered_json::object();
  ASSIGN_OR_RETURN(std::vector<std::string> tables, CustomerTables(db));
  for (const auto& table : tables) {
    if (kKnownCustomerTables.count(table)) continue;
    ASSIGN_OR_RETURN(
        auto q, db.Prepare("SELECT * FROM " + QuoteIdentifier(table) + " WHERE customer_id = ?1"));
    q->Bind(1, customer_id);
    ASSIGN_OR_RETURN(ordered_json rows, Rows(*q));
    if (!rows.empty()) other[table] = std::move(rows);
  }
  doc["other"] = std::move(other);
  return doc.dump(2);
}

// ---------------------------------------------------------------------------
// Erasure
// ---------------------------------------------------------------------------

Result<ErasurePlan> PlanErasure(Database& db, int64_t customer_id) {
  ASSIGN_OR_RETURN(bool exists, CustomerExists(db, customer_id));
  if (!exists) return NotFound("no customer with id " + std::to_string(customer_id));
  ErasurePlan plan;
  {
    Statement& q = db.Query("privacy-cluster-records");
    q.Bind(":id", customer_id);
    while (true) {
      ASSIGN_OR_RETURN(bool more, q.Step());
      if (!more) break;
      plan.customer_ids.push_back(q.Int(0));
    }
  }
  if (plan.customer_ids.empty()) plan.customer_ids.push_back(customer_id);

  ASSIGN_OR_RETURN(std::vector<std::string> tables, CustomerTables(db));
  std::set<std::pair<std::string, std::string>> identifiers;
  for (int64_t id : plan.customer_ids) {
    plan.rows["customers"] += 1;
    for (const auto& table : tables) {
      if (table == "identity_golden") continue;  // counted below, by either of its columns
      ASSIGN_OR_RETURN(int64_t n, db.QueryInt("SELECT count(*) FROM " + QuoteIdentifier(table) +
                                              " WHERE customer_id = " + std::to_string(id)));
      plan.rows[table] += n;
    }
    struct Counted {
      const char* table;
      const char* query;
    };
    for (const Counted& c : {Counted{"order_lines", "privacy-count-order-lines"},
                             Counted{"source_records", "privacy-count-source-records"},
                             Counted{"field_issues", "privacy-count-field-issues"}}) {
      ASSIGN_OR_RETURN(int64_t n, CountBy(db, c.query, id));
      plan.rows[c.table] += n;
    }
    Statement& q = db.Query("privacy-identifiers");
    q.Bind(":id", id);
    while (true) {
      ASSIGN_OR_RETURN(bool more, q.Step());
      if (!more) break;
      identifiers.emplace(q.String(0), std::to_string(q.Int(2)) + ":" + q.String(1));
    }
  }
  // Rows naming two customers are counted once, even when both are the person's.
  std::string ids;
  for (int64_t id : plan.customer_ids) ids += (ids.empty() ? "" : ",") + std::to_string(id);
  for (const auto& [table, a, b] : {std::tuple{"identity_golden", "customer_id", "resolved_id"},
                                    std::tuple{"identity_pairs", "left_id", "right_id"},
                                    std::tuple{"identity_review_queue", "left_id", "right_id"},
                                    std::tuple{"identity_decisions", "left_id", "right_id"}}) {
    ASSIGN_OR_RETURN(int64_t n,
                     db.QueryInt(std::string("SELECT count(*) FROM ") + table + " WHERE " + a +
                                 " IN (" + ids + ") OR " + b + " IN (" + ids + ")"));
    plan.rows[table] = n;
  }
  for (int64_t id : plan.customer_ids) {
    Statement& q = db.Query("privacy-sharing-records");
    q.Bind(":id", id);
    while (true) {
      ASSIGN_OR_RETURN(bool more, q.Step());
      if (!more) break;
      int64_t other = q.Int(0);
      if (std::find(plan.customer_ids.begin(), plan.customer_ids.end(), other) ==
          plan.customer_ids.end()) {
        plan.sharing_records.push_back(other);
      }
    }
  }
  std::sort(plan.sharing_records.begin(), plan.sharing_records.end());
  plan.sharing_records.erase(std::unique(plan.sharing_records.begin(), plan.sharing_records.end()),
                             plan.sharing_records.end());
  for (auto it = plan.rows.begin(); it != plan.rows.end();) {
    it = it->second == 0 ? plan.rows.erase(it) : std::next(it);
  }
  plan.identifiers = static_cast<int64_t>(identifiers.size());
  return plan;
}

Result<ErasurePlan> EraseCustomer(Database& db, const Clock& clock, int64_t customer_id,
                                  std::string_view actor, std::string_view origin) {
  if (actor.empty()) return InvalidArgument("an erasure needs an actor for the audit log");
  if (db.in_transaction()) return FailedPrecondition("an erasure runs in its own transaction");
  // Overwrite deleted content in the file rather than leave it in free pages;
  // off again afterwards, whatever happens (it slows every other delete).
  RETURN_IF_ERROR(db.Exec("PRAGMA secure_delete=ON"));
  struct SecureDeleteOff {
    Database& db;
    ~SecureDeleteOff() { (void)db.Exec("PRAGMA secure_delete=OFF"); }
  } secure_delete_off{db};
  ErasurePlan plan;
  {
    Transaction tx(db);
    RETURN_IF_ERROR(tx.Begin());
    ASSIGN_OR_RETURN(plan, PlanErasure(db, customer_id));
    ASSIGN_OR_RETURN(std::string key, EnsureTombstoneKey(db));
    ASSIGN_OR_RETURN(std::vector<std::string> tables, CustomerTables(db));
    Instant now = clock.Now();
    int64_t tombstones = 0;
    for (int64_t id : plan.customer_ids) {
      // Tombstones first: they are read from the rows about to go.
      std::vector<std::tuple<IdentifierKind, std::string, int64_t>> identifiers;
      {
        Statement& q = db.Query("privacy-identifiers");
        q.Bind(":id", id);
        while (true) {
          ASSIGN_OR_RETURN(bool more, q.Step());
          if (!more) break;
          auto kind = ParseKind(q.Text(0));
          if (!kind.ok()) {
            q.Reset();
            return kind.status();
          }
          identifiers.emplace_back(*kind, q.String(1), q.Int(2));
        }
      }
      for (const auto& [kind, value, source_id] : identifiers) {
        RETURN_IF_ERROR(db.Query("privacy-insert-tombstone")
                            .Bind(":kind", KindName(kind))
                            .Bind(":hash", TombstoneHash(key, kind, value, source_id))
                            .Bind(":now", now.micros)
                            .Run());
        tombstones += db.changes();
      }
      // Rows that do not cascade from customers; field issues before the orders
      // and events they name.
      for (const char* query :
           {"privacy-delete-field-issues", "privacy-delete-source-records",
            "privacy-delete-identity-golden", "privacy-delete-identity-pairs"}) {
        RETURN_IF_ERROR(db.Query(query).Bind(":id", id).Run());
      }
      for (const auto& table : tables) {
        RETURN_IF_ERROR(db.Exec("DELETE FROM " + QuoteIdentifier(table) +
                                " WHERE customer_id = " + std::to_string(id)));
      }
      RETURN_IF_ERROR(db.Query("privacy-delete-customer").Bind(":id", id).Run());
    }
    RETURN_IF_ERROR(NoteEngineInputsChanged(db));

    ordered_json detail;
    detail["records"] = plan.customer_ids;
    detail["rows"] = plan.rows;
    detail["tombstones"] = tombstones;
    AuditEntry entry;
    entry.actor = std::string(actor);
    entry.action = "customer.erase";
    entry.target_type = "customer";
    entry.target_id = std::to_string(customer_id);
    entry.customer_id = customer_id;
    entry.origin = std::string(origin);
    entry.detail = detail.dump();
    RETURN_IF_ERROR(AppendAudit(db, clock, entry).status());
    RETURN_IF_ERROR(tx.Commit());
  }
  // Old page images stay in the WAL until a checkpoint copies the new ones back.
  (void)db.Exec("PRAGMA wal_checkpoint(TRUNCATE)");
  return plan;
}

// ---------------------------------------------------------------------------
// Tombstone look-ups
// ---------------------------------------------------------------------------

Result<bool> IsErased(Database& db, IdentifierKind kind, std::string_view value,
                      int64_t source_id) {
  ASSIGN_OR_RETURN(std::string key, ReadTombstoneKey(db));
  if (key.empty()) return false;
  Statement& q = db.Query("privacy-find-tombstone");
  q.Bind(":kind", KindName(kind)).Bind(":hash", TombstoneHash(key, kind, value, source_id));
  ASSIGN_OR_RETURN(bool row, q.Step());
  q.Reset();
  return row;
}

Result<TombstoneChecker> TombstoneChecker::Load(Database& db) {
  TombstoneChecker checker;
  ASSIGN_OR_RETURN(checker.key_, ReadTombstoneKey(db));
  if (checker.key_.empty()) return checker;
  Statement& q = db.Query("privacy-all-tombstones");
  while (true) {
    ASSIGN_OR_RETURN(bool more, q.Step());
    if (!more) break;
    checker.hashes_.insert(q.String(0) + ":" + q.String(1));
  }
  return checker;
}

bool TombstoneChecker::IsErased(IdentifierKind kind, std::string_view value,
                                int64_t source_id) const {
  if (hashes_.empty() || value.empty()) return false;
  return hashes_.count(std::string(KindName(kind)) + ":" +
                       TombstoneHash(key_, kind, value, source_id)) > 0;
}

}  // namespace patron::access
