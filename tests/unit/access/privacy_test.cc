// Export and erasure of one customer on generated demo data, through the real
// import: every table that refers to the customer is covered, and re-importing
// the same files does not bring an erased person back.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "access/access.h"
#include "demo/demo.h"
#include "ingest/ingest.h"
#include "store/store.h"
#include "../../tools/demo_import.h"

namespace patron::access {
namespace {

const Instant kNow = *ParseInstant("2026-11-01T12:00:00Z");

class PrivacyTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::filesystem::path(std::filesystem::temp_directory_path() /
                                     ("patron_privacy_" + std::to_string(::getpid())));
    std::filesystem::remove_all(*dir_);
    demo::GenerateOptions options;
    options.customers = 400;
    options.seed = 11;
    options.out_dir = (*dir_ / "data").string();
    auto summary = demo::Generate(options);
    ASSERT_TRUE(summary.ok()) << summary.status().ToString();
    files_ = new std::vector<demo::GeneratedFile>(summary->files);
  }
  static void TearDownTestSuite() {
    std::filesystem::remove_all(*dir_);
    delete dir_;
    delete files_;
  }

  void SetUp() override {
    path_ = (*dir_ /
             (std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + ".db"))
                .string();
    std::filesystem::remove(path_);
    auto db = Database::Open(path_);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(*db);
    ImportAll(nullptr);
  }
  void TearDown() override { db_.reset(); }

  void ImportAll(int64_t* erased_skipped) {
    for (const auto& f : *files_) {
      ingest::ImportOptions io = patron::testing::DemoImportOptions(f);
      io.reject_path = (*dir_ / "rejects.csv").string();
      auto report = ingest::ImportFile(*db_, io, clock_);
      ASSERT_TRUE(report.ok()) << f.path << ": " << report.status().ToString();
      if (erased_skipped) *erased_skipped += report->erased_skipped;
    }
  }

  int64_t Count(const std::string& sql) {
    auto n = db_->QueryInt(sql);
    EXPECT_TRUE(n.ok()) << sql << ": " << n.status().ToString();
    return n.ok() ? *n : -1;
  }

  // A customer with orders, events and consents whose emails and phones no
  // other customer record shares (so that "others unaffected" is exact).
  int64_t PickCustomer() {
    auto id = db_->QueryInt(
        "SELECT c.id FROM customers c WHERE EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = "
        "c.id) "
        "AND EXISTS (SELECT 1 FROM events e WHERE e.customer_id = c.id) "
        "AND EXISTS (SELECT 1 FROM consents k WHERE k.customer_id = c.id) "
        "AND EXISTS (SELECT 1 FROM customer_devices d WHERE d.customer_id = c.id) "
        "AND NOT EXISTS (SELECT 1 FROM contact_points a JOIN contact_points b ON a.kind = b.kind "
        "  AND a.value = b.value AND b.customer_id <> c.id WHERE a.customer_id = c.id) "
        "ORDER BY (SELECT count(*) FROM orders o WHERE o.customer_id = c.id) DESC, c.id LIMIT 1");
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return id.ok() ? *id : 0;
  }

  // Rows in the tables the import, scoring, segments and identity resolution
  // write, for this customer, so that every table has something to export and erase.
  void AddDerivedRows(int64_t id) {
    std::string c = std::to_string(id);
    for (const std::string& sql : std::vector<std::string>{
             "INSERT INTO customer_tags VALUES (" + c + ", 'vip')",
             "INSERT INTO customer_attributes VALUES (" + c + ", 'national_id', '850101-1234')",
             "INSERT INTO customer_traits(customer_id, lifecycle_stage, computed_at) VALUES (" + c +
                 ", 'loyal', 1)",
             "INSERT INTO segments(name, definition, created_at, updated_at) VALUES ('s', 'true', "
             "1, 1)",
             "INSERT INTO segment_memberships VALUES ((SELECT id FROM segments WHERE name = "
             "'s'), " +
                 c + ", 1, NULL)",
             "INSERT INTO field_issues(entity, entity_id, field, raw_value, reason, seen_at) "
             "VALUES ('customer', " +
                 c + ", 'birth_date', 'soon', 'not a date', 1)",
             "INSERT INTO field_issues(entity, entity_id, field, raw_value, reason, seen_at) "
             "SELECT 'order', id, "
             "'channel', 'x', 'unknown', 1 FROM orders WHERE customer_id = " +
                 c + " LIMIT 1",
             "INSERT INTO identity_runs(started_at) VALUES (1)",
             "INSERT INTO identity_clusters VALUES (" + c + ", " + c + ", 1, 1)",
             "INSERT INTO identity_golden VALUES (" + c + ", 'email', 'x@example.com', " + c +
                 ", NULL, 'verified', 1, 0.9)",
             "INSERT INTO identity_merge_log(run_id, at, action, customer_id, resolved_id, "
             "previous_resolved_id, reason) "
             "VALUES (1, 1, 'merge', " +
                 c + ", " + c + ", " + c + ", 'email')",
             "INSERT INTO identity_pairs VALUES (" + c + ", " + c +
                 " + 100000, 1, 'review', NULL, 0.6, 1.0)",
         }) {
      ASSERT_TRUE(db_->Exec(sql).ok()) << sql;
    }
  }

  std::vector<std::string> CustomerTables() {
    std::vector<std::string> tables;
    auto q = db_->Prepare(
        "SELECT m.name FROM sqlite_master m, pragma_table_info(m.name) c WHERE m.type = 'table' "
        "AND c.name = 'customer_id' ORDER BY m.name");
    EXPECT_TRUE(q.ok());
    while (*(*q)->Step()) tables.push_back((*q)->String(0));
    return tables;
  }

  // Everything about customers other than `id`, table by table.
  std::map<std::string, int64_t> OthersFingerprint(int64_t id) {
    std::map<std::string, int64_t> out;
    std::string c = std::to_string(id);
    for (const auto& t : CustomerTables()) {
      if (t == "audit_log") continue;
      // Engine bookkeeping (migration 0010): re-imports mark the customers they touch.
      if (t == "engine_customer_changes") continue;
      out[t] = Count("SELECT count(*) FROM " + t + " WHERE customer_id <> " + c);
    }
    out["customers"] = Count("SELECT count(*) FROM customers WHERE id <> " + c);
    out["source_records"] = Count(
        "SELECT count(*) FROM source_records WHERE NOT (entity = 'customer' AND entity_id = " + c +
        ")");
    out["order_lines"] = Count(
        "SELECT count(*) FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE o.customer_id "
        "<> " +
        c);
    return out;
  }

  static std::filesystem::path* dir_;
  static std::vector<demo::GeneratedFile>* files_;
  std::string path_;
  std::unique_ptr<Database> db_;
  ManualClock clock_{kNow};
};
std::filesystem::path* PrivacyTest::dir_ = nullptr;
std::vector<demo::GeneratedFile>* PrivacyTest::files_ = nullptr;

TEST_F(PrivacyTest, ExportHoldsEveryTablesDataAboutTheCustomer) {
  int64_t id = PickCustomer();
  ASSERT_GT(id, 0);
  AddDerivedRows(id);
  AuditEntry read{0,  {},         "user:sara", "customer.read", "customer", std::to_string(id),
                  id, "10.0.0.1", ""};
  ASSERT_TRUE(AppendAudit(*db_, clock_, read).ok());

  auto doc = ExportCustomer(*db_, id);
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  auto j = nlohmann::json::parse(*doc);
  EXPECT_EQ(j["customer_id"], id);
  EXPECT_FALSE(j["profile"].empty());
  EXPECT_EQ(j["tags"], nlohmann::json::array({"vip"}));
  EXPECT_EQ(j["attributes"]["national_id"], "850101-1234");
  std::string c = std::to_string(id);
  EXPECT_EQ(static_cast<int64_t>(j["contact_points"].size()),
            Count("SELECT count(*) FROM contact_points WHERE customer_id = " + c));
  EXPECT_EQ(static_cast<int64_t>(j["consents"].size()),
            Count("SELECT count(*) FROM consents WHERE customer_id = " + c));
  // The devices the person was seen on are theirs too (cookie ids are personal data).
  EXPECT_GT(j["devices"].size(), 0u);
  EXPECT_EQ(static_cast<int64_t>(j["devices"].size()),
            Count("SELECT count(*) FROM customer_devices WHERE customer_id = " + c));
  EXPECT_EQ(static_cast<int64_t>(j["orders"].size()),
            Count("SELECT count(*) FROM orders WHERE customer_id = " + c));
  size_t lines = 0;
  for (const auto& o : j["orders"]) lines += o["lines"].size();
  EXPECT_EQ(static_cast<int64_t>(lines), Count("SELECT count(*) FROM order_lines l JOIN orders o "
                                               "ON o.id = l.order_id WHERE o.customer_id = " +
                                               c));
  EXPECT_EQ(static_cast<int64_t>(j["events"].size()),
            Count("SELECT count(*) FROM events WHERE customer_id = " + c));
  EXPECT_TRUE(j["events"][0]["properties"].is_object());
  EXPECT_EQ(static_cast<int64_t>(j["accounts"].size()),
            Count("SELECT count(*) FROM account_members WHERE customer_id = " + c));
  EXPECT_EQ(
      static_cast<int64_t>(j["source_records"].size()),
      Count("SELECT count(*) FROM source_records WHERE entity = 'customer' AND entity_id = " + c));
  EXPECT_EQ(j["field_issues"].size(), 2u);
  EXPECT_EQ(j["traits"]["lifecycle_stage"], "loyal");
  EXPECT_EQ(j["segment_memberships"][0]["segment"], "s");
  EXPECT_EQ(j["identity"]["cluster"]["resolved_id"], id);
  EXPECT_EQ(j["identity"]["golden"].size(), 1u);
  EXPECT_EQ(j["identity"]["merge_log"].size(), 1u);
  EXPECT_EQ(j["access_log"][0]["actor"], "user:sara");
  EXPECT_TRUE(j["other"].empty()) << j["other"].dump();
  // Times are readable.
  EXPECT_EQ(j["orders"][0]["ordered_at"].get<std::string>().back(), 'Z');

  // Every table with rows about the customer has a section in the export.
  const std::map<std::string, std::string> section = {
      {"account_members", "accounts"},
      {"consents", "consents"},
      {"contact_points", "contact_points"},
      {"customer_attributes", "attributes"},
      {"customer_devices", "devices"},
      {"customer_tags", "tags"},
      {"customer_traits", "traits"},
      {"events", "events"},
      {"identity_clusters", "identity"},
      {"identity_golden", "identity"},
      {"identity_merge_log", "identity"},
      {"orders", "orders"},
      {"segment_memberships", "segment_memberships"},
      {"audit_log", "access_log"}};
  for (const auto& t : CustomerTables()) {
    if (Count("SELECT count(*) FROM " + t + " WHERE customer_id = " + c) == 0) continue;
    if (t == "engine_customer_changes") continue;  // engine bookkeeping: an id and a sequence number (privacy.cc)
    auto it = section.find(t);
    if (it == section.end()) {
      EXPECT_TRUE(j["other"].contains(t)) << t << " is not exported";
    } else {
      EXPECT_FALSE(j[it->second].empty()) << t << " is not exported";
    }
  }
  EXPECT_EQ(ExportCustomer(*db_, 99999999).status().code(), StatusCode::kNotFound);
}

TEST_F(PrivacyTest, EraseRemovesEveryRowAndReimportDoesNotResurrect) {
  int64_t id = PickCustomer();
  ASSERT_GT(id, 0);
  AddDerivedRows(id);
  std::string c = std::to_string(id);
  std::vector<std::string> emails;
  {
    auto q = db_->Prepare(
        "SELECT value FROM contact_points WHERE kind = 'email' AND customer_id = " + c);
    ASSERT_TRUE(q.ok());
    while (*(*q)->Step()) emails.push_back((*q)->String(0));
  }
  std::vector<std::string> keys;
  {
    auto q = db_->Prepare(
        "SELECT source_id, source_key FROM source_records WHERE entity = 'customer' AND entity_id "
        "= " +
        c);
    ASSERT_TRUE(q.ok());
    while (*(*q)->Step()) keys.push_back((*q)->String(0) + "/" + (*q)->String(1));
  }
  ASSERT_FALSE(keys.empty());
  ASSERT_FALSE(emails.empty());
  auto others_before = OthersFingerprint(id);
  int64_t accounts_before = Count("SELECT count(*) FROM accounts");
  int64_t generation_before = Count("SELECT generation FROM engine_generation");

  auto plan = PlanErasure(*db_, id);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->customer_ids, std::vector<int64_t>{id});
  EXPECT_EQ(plan->rows["customers"], 1);
  EXPECT_GT(plan->rows["orders"], 0);
  EXPECT_GT(plan->rows["order_lines"], 0);
  EXPECT_EQ(plan->rows["field_issues"], 2);
  EXPECT_EQ(plan->rows["identity_pairs"], 1);
  EXPECT_GT(plan->identifiers, static_cast<int64_t>(keys.size()));
  EXPECT_EQ(Count("SELECT count(*) FROM customers WHERE id = " + c), 1)
      << "planning changes nothing";

  auto erased = EraseCustomer(*db_, clock_, id, "cli:test", "cli");
  ASSERT_TRUE(erased.ok()) << erased.status().ToString();
  EXPECT_EQ(erased->rows, plan->rows);

  // No row refers to the customer in any table (the audit log keeps the id).
  for (const auto& t : CustomerTables()) {
    int64_t expected = t == "audit_log" ? 1 : 0;
    EXPECT_EQ(Count("SELECT count(*) FROM " + t + " WHERE customer_id = " + c), expected) << t;
  }
  EXPECT_EQ(Count("SELECT count(*) FROM customers WHERE id = " + c), 0);
  EXPECT_EQ(
      Count("SELECT count(*) FROM source_records WHERE entity = 'customer' AND entity_id = " + c),
      0);
  EXPECT_EQ(
      Count("SELECT count(*) FROM field_issues WHERE entity = 'customer' AND entity_id = " + c), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM field_issues WHERE entity = 'order' AND entity_id NOT IN "
                  "(SELECT id FROM orders)"),
            0);
  EXPECT_EQ(Count("SELECT count(*) FROM identity_golden WHERE resolved_id = " + c), 0);
  EXPECT_EQ(
      Count("SELECT count(*) FROM identity_pairs WHERE left_id = " + c + " OR right_id = " + c), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM order_lines WHERE order_id NOT IN (SELECT id FROM orders)"),
            0);
  EXPECT_EQ(Count("SELECT count(*) FROM accounts"), accounts_before) << "companies stay";
  EXPECT_GT(Count("SELECT generation FROM engine_generation"), generation_before);
  EXPECT_TRUE(db_->CheckIntegrity().ok());
  auto others_after = OthersFingerprint(id);
  others_before.erase("identity_clusters");  // the synthetic rows were the erased customer's
  others_after.erase("identity_clusters");
  EXPECT_EQ(others_after, others_before) << "other customers are untouched";

  // The erasure is audited without personal values.
  AuditFilter f;
  f.customer_id = id;
  auto audit = QueryAudit(*db_, f);
  ASSERT_TRUE(audit.ok());
  ASSERT_EQ(audit->size(), 1u);
  EXPECT_EQ((*audit)[0].action, "customer.erase");
  for (const auto& e : emails) EXPECT_EQ((*audit)[0].detail.find(e), std::string::npos);

  // Tombstones: hashed, and found.
  for (const auto& e : emails) {
    EXPECT_TRUE(*IsErased(*db_, IdentifierKind::kEmail, e)) << e;
    EXPECT_EQ(Count("SELECT count(*) FROM erased_identifiers WHERE hash = '" + e + "'"), 0);
  }
  EXPECT_TRUE(*IsErased(*db_, IdentifierKind::kNationalId, "8501011234"))
      << "compared without separators";
  EXPECT_FALSE(*IsErased(*db_, IdentifierKind::kEmail, "someone.else@example.com"));
  auto checker = TombstoneChecker::Load(*db_);
  ASSERT_TRUE(checker.ok());
  EXPECT_FALSE(checker->empty());
  for (const auto& e : emails) EXPECT_TRUE(checker->IsErased(IdentifierKind::kEmail, e));

  // The plain email is nowhere in the database file after the erasure.
  {
    std::ifstream in(path_, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    for (const auto& e : emails)
      EXPECT_EQ(ss.str().find(e), std::string::npos) << e << " is still in the file";
  }

  // Importing the same files again does not bring the person back.
  int64_t skipped = 0;
  ImportAll(&skipped);
  EXPECT_GT(skipped, 0);
  EXPECT_EQ(Count("SELECT count(*) FROM customers WHERE id = " + c), 0);
  for (const auto& k : keys) {
    size_t slash = k.find('/');
    EXPECT_EQ(
        Count("SELECT count(*) FROM source_records WHERE entity = 'customer' AND source_id = " +
              k.substr(0, slash) + " AND source_key = '" + k.substr(slash + 1) + "'"),
        0)
        << k;
  }
  for (const auto& e : emails) {
    EXPECT_EQ(Count("SELECT count(*) FROM contact_points WHERE value = '" + e + "'"), 0)
        << e << " came back";
  }
  auto others_reimported = OthersFingerprint(id);
  others_reimported.erase("identity_clusters");
  EXPECT_EQ(others_reimported, others_before) << "a re-import leaves the others as they were";
}

TEST_F(PrivacyTest, ErasureOfAResolvedPersonTakesAllTheirRecords) {
  auto pair = db_->Prepare(
      "SELECT a.customer_id, b.customer_id FROM contact_points a JOIN contact_points b ON a.kind = "
      "'email' "
      "AND b.kind = 'email' AND a.value = b.value AND a.customer_id < b.customer_id LIMIT 1");
  ASSERT_TRUE(pair.ok());
  ASSERT_TRUE(*(*pair)->Step()) << "the demo data has the same person in two sources";
  int64_t left = (*pair)->Int(0), right = (*pair)->Int(1);
  (*pair)->Reset();
  std::string l = std::to_string(left), r = std::to_string(right);
  auto unresolved = PlanErasure(*db_, right);
  ASSERT_TRUE(unresolved.ok());
  EXPECT_EQ(unresolved->customer_ids, std::vector<int64_t>{right});
  EXPECT_NE(std::find(unresolved->sharing_records.begin(), unresolved->sharing_records.end(), left),
            unresolved->sharing_records.end())
      << "a record sharing the email is reported";
  ASSERT_TRUE(db_->Exec("INSERT INTO identity_clusters VALUES (" + l + ", " + l + ", NULL, 1), (" +
                        r + ", " + l + ", NULL, 1)")
                  .ok());
  ASSERT_TRUE(db_->Exec("INSERT INTO identity_runs(started_at) VALUES (1)").ok());
  ASSERT_TRUE(db_->Exec("INSERT INTO identity_pairs VALUES (" + l + ", " + r +
                        ", 1, 'merge', 'email', 0.99, 9.0)")
                  .ok());
  auto erased = EraseCustomer(*db_, clock_, right, "cli:test");
  ASSERT_TRUE(erased.ok()) << erased.status().ToString();
  EXPECT_EQ(erased->customer_ids, (std::vector<int64_t>{left, right}));
  EXPECT_TRUE(std::find(erased->sharing_records.begin(), erased->sharing_records.end(), left) ==
              erased->sharing_records.end());
  EXPECT_EQ(Count("SELECT count(*) FROM customers WHERE id IN (" + l + ", " + r + ")"), 0);
  EXPECT_EQ(erased->rows["customers"], 2);
  EXPECT_EQ(erased->rows["identity_pairs"], 1)
      << "a pair of two of the person's records is one row";
  EXPECT_EQ(Count("SELECT count(*) FROM identity_pairs"), 0);
}

// Orders and events name people by another source's key, by email or by phone:
// after an erasure, each of those ways is refused, in any source.
TEST(TombstoneImport, OrdersAndEventsNamingAnErasedPersonAreSkipped) {
  auto dir = std::filesystem::temp_directory_path() /
             ("patron_tombstone_import_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream((dir / name).string(), std::ios::binary) << text;
    return (dir / name).string();
  };
  std::string customers = write("crm.csv",
                                "customer_id,given_name,email,mobile,attr.national_id\n"
                                "C1,Sara,Sara.Rezaei@Example.com,0701234567,850101-1234\n"
                                "C2,Erik,erik@example.se,0707654321,\n");
  std::string orders = write("orders.csv",
                             "order_id,customer_id,ordered_at,sku,quantity,unit_price\n"
                             "W1,C1,2026-01-02,P1,1,100\n"
                             "W2,C2,2026-01-03,P1,1,100\n");
  std::string events =
      write("events.jsonl",
            "{\"event_id\":\"e1\",\"email\":\"sara.rezaei@example.com\",\"type\":\"page_view\","
            "\"occurred_at\":\"2026-01-02T10:00:00Z\"}\n"
            "{\"event_id\":\"e2\",\"phone\":\"+46701234567\",\"type\":\"page_view\","
            "\"occurred_at\":\"2026-01-02T11:00:00Z\"}\n"
            "{\"event_id\":\"e3\",\"email\":\"erik@example.se\",\"type\":\"page_view\","
            "\"occurred_at\":\"2026-01-02T12:00:00Z\"}\n");
  std::string newcomers = write("list.csv",
                                "email,given_name,attr.national_id\n"
                                "someone.new@example.com,Nils,8501011234\n"
                                "another@example.com,Anna,\n");
  auto db = Database::Open((dir / "t.db").string());
  ASSERT_TRUE(db.ok());
  ManualClock clock(kNow);
  ASSERT_TRUE((*db)
                  ->Exec("INSERT INTO attribute_definitions VALUES ('customer', 'national_id', "
                         "'text', NULL, 1)")
                  .ok());
  auto import = [&](ingest::EntityKind kind, const std::string& path, const std::string& source) {
    ingest::ImportOptions io;
    io.kind = kind;
    io.path = path;
    io.source_name = source;
    io.default_country = "SE";
    auto report = ingest::ImportFile(**db, io, clock);
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    return report.ok() ? *report : ingest::ImportReport{};
  };
  import(ingest::EntityKind::kCustomers, customers, "crm");
  auto sara = FindCustomersByContact(**db, "email", "sara.rezaei@example.com");
  ASSERT_TRUE(sara.ok());
  ASSERT_EQ(sara->size(), 1u);
  ASSERT_TRUE(EraseCustomer(**db, clock, sara->front(), "cli:test").ok());

  auto o = import(ingest::EntityKind::kOrders, orders, "webshop");
  EXPECT_EQ(o.erased_skipped, 1) << "an order naming the CRM's key of the erased person";
  EXPECT_EQ(o.customers_created, 0);
  auto e = import(ingest::EntityKind::kEvents, events, "web");
  EXPECT_EQ(e.erased_skipped, 2) << "events naming the erased person's email or mobile";
  auto n = import(ingest::EntityKind::kCustomers, newcomers, "newsletter");
  EXPECT_EQ(n.erased_skipped, 1) << "a new record with the erased person's national id";
  EXPECT_EQ(n.inserted, 1);
  auto again = import(ingest::EntityKind::kCustomers, customers, "crm");
  EXPECT_EQ(again.erased_skipped, 1);
  EXPECT_EQ(*(*db)->QueryInt("SELECT count(*) FROM customers"), 2) << "Erik and Anna";
  EXPECT_EQ(*(*db)->QueryInt("SELECT count(*) FROM orders"), 1);
  EXPECT_EQ(*(*db)->QueryInt("SELECT count(*) FROM events"), 1);
  EXPECT_TRUE(ExportCustomer(**db, 1).status().code() == StatusCode::kNotFound);
  db->reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace patron::access
