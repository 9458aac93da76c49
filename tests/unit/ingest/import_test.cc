#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "ingest/ingest.h"
#include "store/store.h"

namespace patron::ingest {
namespace {

using ::testing::HasSubstr;

class ImportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("patron_import_" + std::to_string(::getpid()) + "_" +
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

  std::string Write(const std::string& name, const std::string& content) {
    std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }

  Result<ImportReport> Import(EntityKind kind, const std::string& path, const std::string& source,
                              std::map<std::string, std::string> map = {}, bool dry_run = false) {
    ImportOptions options;
    options.kind = kind;
    options.path = path;
    options.source_name = source;
    options.default_country = "SE";
    options.column_map = std::move(map);
    options.dry_run = dry_run;
    options.batch_size = 2;  // several transactions even in small tests
    return ImportFile(*db_, options, clock_);
  }

  int64_t Count(const std::string& sql) {
    auto n = db_->QueryInt(sql);
    EXPECT_TRUE(n.ok()) << sql << ": " << n.status().ToString();
    return n.ok() ? *n : -1;
  }
  std::string Text(const std::string& sql) {
    auto stmt = db_->Prepare(sql);
    EXPECT_TRUE(stmt.ok());
    auto row = (*stmt)->Step();
    EXPECT_TRUE(row.ok() && *row) << sql;
    return (*stmt)->String(0);
  }

  std::filesystem::path dir_;
  std::unique_ptr<Database> db_;
  ManualClock clock_{Instant::FromSeconds(1'790'000'000)};  // 2026-09-21
};

constexpr char kCustomers[] =
    "customer_id,given_name,family_name,email,mobile,city,country,birth_date,gender,consent_email,consent_method,"
    "consent_proof,tags\n"
    "C1,Sara,Rezaei,sara.rezaei@Example.COM,0912 345 6789,Tehran,IR,1370/06/15,f,yes,double_opt_in,clicked link,vip|fa\n"
    "C2,Åsa,Öberg,asa.oberg@gmial.com,070-123 45 67,Malmö,Sverige,1985-02-30,kvinna,no,,,\n"
    "C3,John,Smith,john.smith@,+44 20 7946 0958,London,UK,12.05.1990,m,,,,\n";

TEST_F(ImportTest, CustomersAreValidatedAndNormalised) {
  auto report = Import(EntityKind::kCustomers, Write("c.csv", kCustomers), "crm");
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->records, 3);
  EXPECT_EQ(report->inserted, 3);
  EXPECT_EQ(report->rejected, 0);
  EXPECT_EQ(Count("SELECT count(*) FROM customers"), 3);

  // Email: domain lower-cased; a typo'd domain is kept with a suggestion; a broken one is invalid with a reason.
  EXPECT_EQ(Count("SELECT count(*) FROM contact_points WHERE value = 'sara.rezaei@example.com'"), 1);
  EXPECT_EQ(Text("SELECT suggestion FROM contact_points WHERE value = 'asa.oberg@gmial.com'"), "asa.oberg@gmail.com");
  EXPECT_EQ(Text("SELECT status FROM contact_points WHERE value = 'asa.oberg@gmial.com'"), "unverified");
  EXPECT_EQ(Text("SELECT status FROM contact_points WHERE value = 'john.smith@'"), "invalid");
  EXPECT_FALSE(Text("SELECT invalid_reason FROM contact_points WHERE value = 'john.smith@'").empty());

  // Phones in E.164 using the row's country, or the default country.
  EXPECT_EQ(Count("SELECT count(*) FROM contact_points WHERE value = '+989123456789' AND phone_type = 'mobile'"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM contact_points WHERE value = '+46701234567'"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM contact_points WHERE value = '+442079460958'"), 1);

  // Countries by name in any language; Persian birth dates; impossible dates kept aside with a reason.
  EXPECT_EQ(Text("SELECT country FROM customers WHERE given_name = 'Åsa'"), "SE");
  EXPECT_EQ(Text("SELECT country FROM customers WHERE given_name = 'John'"), "GB");
  EXPECT_EQ(Text("SELECT birth_date FROM customers WHERE given_name = 'Sara'"), "1991-09-06");
  EXPECT_EQ(Count("SELECT count(*) FROM customers WHERE given_name = 'Åsa' AND birth_date IS NULL"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM field_issues WHERE field = 'birth_date' AND raw_value = '1985-02-30'"), 1);
  EXPECT_EQ(Text("SELECT gender FROM customers WHERE given_name = 'Åsa'"), "female");
  EXPECT_EQ(Text("SELECT full_name FROM customers WHERE given_name = 'Sara'"), "Sara Rezaei");

  // Consents with method and proof; tags.
  EXPECT_EQ(Count("SELECT count(*) FROM consents WHERE channel = 'email' AND status = 'granted' AND "
                  "method = 'double_opt_in' AND proof = 'clicked link'"),
            1);
  EXPECT_EQ(Count("SELECT count(*) FROM consents WHERE channel = 'email' AND status = 'withdrawn'"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM customer_tags"), 2);

  // Report: field validity and problems.
  EXPECT_EQ(report->fields["email"].present, 3);
  EXPECT_EQ(report->fields["email"].valid, 2);
  EXPECT_EQ(report->fields["email"].invalid, 1);
  EXPECT_EQ(report->fields["birth_date"].invalid, 1);
  EXPECT_THAT(report->ToText(), HasSubstr("birth_date"));
  EXPECT_THAT(report->ToJson(), HasSubstr("\"inserted\": 3"));
}

TEST_F(ImportTest, ReimportingTheSameFileCreatesNoDuplicates) {
  std::string path = Write("c.csv", kCustomers);
  ASSERT_TRUE(Import(EntityKind::kCustomers, path, "crm").ok());
  auto again = Import(EntityKind::kCustomers, path, "crm");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->inserted, 0);
  EXPECT_EQ(again->unchanged, 3);
  EXPECT_EQ(Count("SELECT count(*) FROM customers"), 3);
  EXPECT_EQ(Count("SELECT count(*) FROM contact_points"), 6);
  EXPECT_EQ(Count("SELECT count(*) FROM consents"), 2);

  // A changed record updates the same customer.
  std::string changed = kCustomers;
  changed.replace(changed.find("Tehran"), 6, "Shiraz");
  auto updated = Import(EntityKind::kCustomers, Write("c2.csv", changed), "crm");
  ASSERT_TRUE(updated.ok());
  EXPECT_EQ(updated->updated, 1);
  EXPECT_EQ(updated->unchanged, 2);
  EXPECT_EQ(Count("SELECT count(*) FROM customers"), 3);
  EXPECT_EQ(Text("SELECT city FROM customers WHERE given_name = 'Sara'"), "Shiraz");
  // The same keys from another source are another source's records (merging is identity resolution's job).
  ASSERT_TRUE(Import(EntityKind::kCustomers, path, "newsletter").ok());
  EXPECT_EQ(Count("SELECT count(*) FROM customers"), 6);
}

TEST_F(ImportTest, SynonymHeadersInPersianSwedishAndArabicNeedNoMap) {
  std::string persian =
      "نام,نام خانوادگی,ایمیل,موبایل,شهر\n"
      "مريم,كريمی,maryam@example.ir,۰۹۱۲۱۲۳۴۵۶۷,تهران\n";
  auto r1 = Import(EntityKind::kCustomers, Write("fa.csv", persian), "newsletter");
  ASSERT_TRUE(r1.ok()) << r1.status().ToString();
  EXPECT_TRUE(r1->unmapped_columns.empty());
  // Arabic letter variants are normalised to Persian forms in Persian text.
  EXPECT_EQ(Text("SELECT family_name FROM customers"), "کریمی");
  EXPECT_EQ(Count("SELECT count(*) FROM contact_points WHERE value = '+989121234567'"), 0);  // region SE default
  std::string swedish = "Förnamn;Efternamn;E-post;Mobilnummer;Ort\nErik;Lund;erik@example.se;070-765 43 21;Uppsala\n";
  auto r2 = Import(EntityKind::kCustomers, Write("sv.csv", swedish), "list");
  ASSERT_TRUE(r2.ok()) << r2.status().ToString();
  EXPECT_TRUE(r2->unmapped_columns.empty());
  EXPECT_EQ(Count("SELECT count(*) FROM contact_points WHERE value = '+46707654321'"), 1);
  std::string arabic = "الاسم الأول,اسم العائلة,البريد الإلكتروني,الهاتف\nأحمد,الحسن,ahmad@example.ae,+971501234567\n";
  auto r3 = Import(EntityKind::kCustomers, Write("ar.csv", arabic), "partner");
  ASSERT_TRUE(r3.ok()) << r3.status().ToString();
  EXPECT_TRUE(r3->unmapped_columns.empty()) << r3->unmapped_columns[0];
  EXPECT_EQ(Count("SELECT count(*) FROM contact_points WHERE value = '+971501234567'"), 1);
}

TEST_F(ImportTest, ExplicitMapAndUnknownColumns) {
  std::string csv = "Kundnummer X,Favourite colour,Namn\nK1,blue,Anna Berg\n";
  auto bad = Import(EntityKind::kCustomers, Write("m.csv", csv), "crm", {{"Kundnummer X", "customer_idd"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("customer_idd"));
  auto ok = Import(EntityKind::kCustomers, Write("m.csv", csv), "crm",
                   {{"Kundnummer X", "customer_id"}, {"Favourite colour", "attr.favourite_colour"}});
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(Text("SELECT value FROM customer_attributes WHERE name = 'favourite_colour'"), "blue");
  EXPECT_EQ(Text("SELECT source_key FROM source_records"), "K1");
  EXPECT_EQ(Text("SELECT family_name FROM customers"), "Berg");
}

TEST_F(ImportTest, MalformedRecordsGoToTheRejectFileAndNothingElseIsLost) {
  std::string csv =
      "customer_id,given_name,email\n"
      "A1,Ali,ali@example.com\n"
      "A2,too,many,fields\n"
      "A3,Bad\xff\xfeutf8,b@example.com\n"
      "A4,\"Quoted, name\",q@example.com\n"
      "A5,short\n"
      "A6,Last,last@example.com\n";
  std::string path = Write("bad.csv", csv);
  auto report = Import(EntityKind::kCustomers, path, "crm");
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->records, 6);
  EXPECT_EQ(report->inserted, 3);
  EXPECT_EQ(report->rejected, 3);
  EXPECT_EQ(Count("SELECT count(*) FROM customers"), 3);
  EXPECT_EQ(Text("SELECT given_name FROM customers WHERE id = (SELECT entity_id FROM source_records WHERE source_key = 'A4')"),
            "Quoted, name");
  // Problems are grouped by reason without the line number.
  EXPECT_EQ(report->problems["rejected: has 4 fields but the header has 3"], 1);
  EXPECT_EQ(report->problems["rejected: has 2 fields but the header has 3"], 1);
  ASSERT_EQ(report->reject_path, path + ".rejects.csv");
  std::ifstream in(report->reject_path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string rejects = ss.str();
  EXPECT_THAT(rejects, HasSubstr("3,\"line 3: has 4 fields but the header has 3\""));
  EXPECT_THAT(rejects, HasSubstr("A2,too,many,fields"));
  EXPECT_THAT(rejects, HasSubstr("4,\"line 4:"));
  EXPECT_THAT(rejects, HasSubstr("UTF-8"));
  EXPECT_THAT(rejects, HasSubstr("6,\"line 6: has 2 fields"));
}

TEST_F(ImportTest, DryRunWritesNothing) {
  auto report = Import(EntityKind::kCustomers, Write("c.csv", kCustomers), "crm", {}, /*dry_run=*/true);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->inserted, 3);
  EXPECT_FALSE(report->mapping.empty());
  EXPECT_EQ(Count("SELECT count(*) FROM customers"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM sources"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM imports"), 0);
}

TEST_F(ImportTest, MissingFileAndEmptyFileAreClearErrors) {
  auto missing = Import(EntityKind::kCustomers, (dir_ / "nope.csv").string(), "crm");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  auto empty = Import(EntityKind::kCustomers, Write("empty.csv", ""), "crm");
  ASSERT_FALSE(empty.ok());
  EXPECT_THAT(empty.status().message(), HasSubstr("empty"));
  auto no_source = Import(EntityKind::kCustomers, Write("c.csv", kCustomers), "");
  ASSERT_FALSE(no_source.ok());
  EXPECT_THAT(no_source.status().message(), HasSubstr("--source"));
}

TEST_F(ImportTest, ProductsBuildACategoryTree) {
  std::string csv =
      "sku,name,category,brand,price,currency\n"
      "P1,Galaxy S24,Electronics/Phones,Samsung,899.00,EUR\n"
      "P2,USB-C cable,Electronics > Phone Accessories,Anker,\"12,50\",EUR\n"
      "P3,Notebook,Stationery/School Supplies,Pars Mehr,150000,IRR\n";
  auto report = Import(EntityKind::kProducts, Write("p.csv", csv), "catalog");
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->inserted, 3);
  EXPECT_EQ(Count("SELECT count(*) FROM categories"), 5);
  EXPECT_EQ(Count("SELECT count(*) FROM categories c JOIN categories p ON c.parent_id = p.id "
                  "WHERE c.slug = 'electronics/phone-accessories' AND p.slug = 'electronics'"),
            1);
  EXPECT_EQ(Count("SELECT price_minor FROM products WHERE sku = 'P2'"), 1250);
  EXPECT_EQ(Count("SELECT price_minor FROM products WHERE sku = 'P3'"), 150000);
  auto again = Import(EntityKind::kProducts, Write("p.csv", csv), "catalog");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->unchanged, 3);
}

TEST_F(ImportTest, OrdersLinkOrCreateCustomersAndAreIdempotent) {
  ASSERT_TRUE(Import(EntityKind::kCustomers, Write("c.csv", kCustomers), "crm").ok());
  std::string orders =
      "order_id,customer_id,email,ordered_at,sku,product_name,category,quantity,unit_price,currency\n"
      "O1,C1,,2025-03-01T10:00:00Z,P1,Galaxy,electronics/phones,1,899.00,EUR\n"
      "O1,C1,,2025-03-01T10:00:00Z,P2,Cable,electronics/phone-accessories,2,12.50,EUR\n"
      "O2,,new.person@example.com,2025-04-01,P2,Cable,,1,12.50,EUR\n"
      "O3,,SARA.REZAEI@example.com,2025-05-01 12:00,P1,,,1,899,EUR\n"
      "O4,C2,,not a date,P1,,,1,1,EUR\n"
      "O5,C2,,2025-06-01,P1,,,-3,1,EUR\n";
  std::string path = Write("o.csv", orders);
  auto report = Import(EntityKind::kOrders, path, "webshop");
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->inserted, 4);
  EXPECT_EQ(report->rejected, 2);
  EXPECT_EQ(report->customers_created, 1);
  EXPECT_EQ(Count("SELECT count(*) FROM orders"), 3);
  EXPECT_EQ(Count("SELECT total_minor FROM orders WHERE order_number = 'O1'"), 89900 + 2 * 1250);
  // O3 named Sara by her email (different case): linked, not duplicated.
  EXPECT_EQ(Count("SELECT count(DISTINCT customer_id) FROM orders WHERE order_number IN ('O1', 'O3')"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM customers"), 4);
  // The last interaction is derived from the orders when the customer is read.
  auto sara = ReadCustomerView(*db_, *db_->QueryInt("SELECT customer_id FROM orders WHERE order_number = 'O3'"));
  ASSERT_TRUE(sara.ok()) << sara.status().ToString();
  EXPECT_EQ(sara->profile["last_interaction_at"], "2025-05-01T12:00:00Z");
  auto again = Import(EntityKind::kOrders, path, "webshop");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->inserted, 0);
  EXPECT_EQ(again->unchanged, 4);
  EXPECT_EQ(again->customers_created, 0);
  EXPECT_EQ(Count("SELECT count(*) FROM order_lines"), 4);
  EXPECT_EQ(Count("SELECT count(*) FROM customers"), 4);
}

TEST_F(ImportTest, AGuestBuyerTakesTheDeliveryAddressAKnownCustomerDoesNot) {
  ASSERT_TRUE(Import(EntityKind::kCustomers, Write("c.csv", kCustomers), "crm").ok());
  // Shopify's export headers for the delivery address.
  std::string orders =
      "order_id,customer_id,email,given_name,family_name,ordered_at,sku,quantity,unit_price,currency,"
      "Shipping Street,Shipping Zip,Shipping City,Shipping Country\n"
      "G1,,omid.karimi@example.com,Omid,Karimi,2025-03-01,P1,1,10,SEK,Storgatan 12 lgh 1003,114 55,Stockholm,SE\n"
      "G1,,omid.karimi@example.com,Omid,Karimi,2025-03-01,P2,1,10,SEK,Storgatan 12 lgh 1003,114 55,Stockholm,SE\n"
      // A known customer's order may be a gift: her addresses stay hers.
      "K1,C1,,,,2025-03-02,P1,1,10,SEK,Vasagatan 1,111 20,Stockholm,SE\n"
      // A country nobody knows: the order and the buyer are kept, the country is not.
      "G2,,lea.berg@example.com,Lea,Berg,2025-03-03,P1,1,10,SEK,Kungsgatan 5,,Uppsala,Narnia\n"
      // A store purchase has no delivery address.
      "G3,,nils.holm@example.com,Nils,Holm,2025-03-04,P1,1,10,SEK,,,,\n";
  auto report = Import(EntityKind::kOrders, Write("o.csv", orders), "webshop");
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->rejected, 0);
  EXPECT_EQ(report->customers_created, 3);
  auto address_of = [&](const std::string& order) {
    return Text("SELECT coalesce(group_concat(street || '|' || coalesce(postal_code, '') || '|' || city || '|' || "
                "coalesce(country, '') || '|' || value, ';'), '') FROM contact_points WHERE kind = 'address' AND "
                "customer_id = (SELECT customer_id FROM orders WHERE order_number = '" +
                order + "')");
  };
  EXPECT_EQ(address_of("G1"), "Storgatan 12 lgh 1003|114 55|Stockholm|SE|Storgatan 12 lgh 1003, 114 55 Stockholm, SE");
  EXPECT_EQ(address_of("K1"), "");
  EXPECT_EQ(address_of("G2"), "Kungsgatan 5||Uppsala||Kungsgatan 5, Uppsala");
  EXPECT_EQ(address_of("G3"), "");
}

TEST_F(ImportTest, SegmentStyleEventsAreDeduplicatedByMessageId) {
  ASSERT_TRUE(Import(EntityKind::kCustomers, Write("c.csv", kCustomers), "crm").ok());
  std::string events =
      R"({"messageId":"m1","userId":"C1","type":"track","event":"Product Viewed","timestamp":"2025-01-02T03:04:05Z","properties":{"sku":"P1","category":"phones"}})"
      "\n"
      R"({"messageId":"m2","email":"asa.oberg@gmial.com","event":"support_ticket_opened","timestamp":"2025-01-03T00:00:00+03:30","properties":{"subject":"کارت هدیه"},"channel":"phone"})"
      "\n"
      "{not json\n"
      R"({"messageId":"m3","event":"signup","timestamp":"2025-01-03"})"
      "\n"
      R"({"messageId":"m1","userId":"C1","event":"Product Viewed","timestamp":"2025-01-02T03:04:05Z"})"
      "\n";
  std::string path = Write("e.jsonl", events);
  auto report = Import(EntityKind::kEvents, path, "web");
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->records, 5);
  EXPECT_EQ(report->inserted, 2);
  EXPECT_EQ(report->unchanged, 1);  // m1 again
  EXPECT_EQ(report->rejected, 2);   // bad JSON; no customer key
  EXPECT_EQ(Count("SELECT count(*) FROM events"), 2);
  EXPECT_EQ(Text("SELECT type FROM events WHERE source_key = 'm1'"), "Product Viewed");
  EXPECT_EQ(Text("SELECT json_extract(properties, '$.sku') FROM events WHERE source_key = 'm1'"), "P1");
  // Extra top-level keys become properties; the timestamp offset is applied.
  EXPECT_EQ(Text("SELECT json_extract(properties, '$.channel') FROM events WHERE source_key = 'm2'"), "phone");
  EXPECT_EQ(Text("SELECT json_extract(properties, '$.subject') FROM events WHERE source_key = 'm2'"), "کارت هدیه");
  EXPECT_EQ(Count("SELECT occurred_at FROM events WHERE source_key = 'm2'"),
            (Instant::FromSeconds(1735862400 - 12600)).micros);
  auto again = Import(EntityKind::kEvents, path, "web");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->inserted, 0);
  EXPECT_EQ(Count("SELECT count(*) FROM events"), 2);
}

TEST_F(ImportTest, EventsNameCustomersByPhoneAndCarryTheNameAFormAskedFor) {
  ASSERT_TRUE(Import(EntityKind::kCustomers, Write("c.csv", kCustomers), "crm").ok());
  std::string events =
      // A contest entry by someone unknown: a new customer with the name and mobile typed.
      R"({"messageId":"e1","email":"omid.karimi@example.com","phone":"+46 70 765 43 21","firstName":"Omid","lastName":"Karimi","event":"contest_signup","timestamp":"2025-02-01T10:00:00Z","properties":{"contest":"nowruz-1404"}})"
      "\n"
      // An entry with a new email but Sara's mobile: Sara's, and the email becomes hers.
      R"({"messageId":"e2","email":"sara.r@example.org","phone":"+989123456789","firstName":"سارا","lastName":"رضایی","event":"contest_signup","timestamp":"2025-02-02T10:00:00Z","properties":{}})"
      "\n"
      // A call known only by the caller's number.
      R"({"messageId":"e3","phone":"+46701234567","event":"call_logged","timestamp":"2025-02-03T10:00:00Z","properties":{"direction":"inbound"}})"
      "\n";
  auto report = Import(EntityKind::kEvents, Write("e.jsonl", events), "web");
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->inserted, 3);
  EXPECT_EQ(report->rejected, 0);
  EXPECT_EQ(report->customers_created, 1);
  const int64_t omid = *db_->QueryInt("SELECT customer_id FROM events WHERE source_key = 'e1'");
  EXPECT_EQ(Text("SELECT given_name || ' ' || family_name FROM customers WHERE id = " + std::to_string(omid)),
            "Omid Karimi");
  EXPECT_EQ(Count("SELECT count(*) FROM contact_points WHERE customer_id = " + std::to_string(omid) +
                  " AND kind = 'phone' AND value = '+46707654321'"),
            1);
  const int64_t sara = *db_->QueryInt("SELECT customer_id FROM events WHERE source_key = 'e2'");
  EXPECT_EQ(Text("SELECT given_name FROM customers WHERE id = " + std::to_string(sara)), "Sara");
  EXPECT_EQ(Count("SELECT count(*) FROM contact_points WHERE customer_id = " + std::to_string(sara) +
                  " AND value = 'sara.r@example.org'"),
            1);
  EXPECT_EQ(Text("SELECT given_name FROM customers WHERE id = "
                 "(SELECT customer_id FROM events WHERE source_key = 'e3')"),
            "Åsa");
  // The names the form asked for are the person's, not event properties.
  EXPECT_EQ(Count("SELECT count(*) FROM events WHERE json_extract(properties, '$.firstName') IS NOT NULL"), 0);
}

TEST_F(ImportTest, EventsRecordTheDevicesACustomerWasSeenOn) {
  ASSERT_TRUE(Import(EntityKind::kCustomers, Write("c.csv", kCustomers), "crm").ok());
  const std::string long_id(201, 'x');
  std::string events =
      // Sara logged in on her phone, then came back through a newsletter
      // link on it as someone the shop knows only by another email.
      R"({"messageId":"d1","anonymousId":"phone-1","userId":"C1","event":"page_viewed","timestamp":"2025-02-01T10:00:00Z"})"
      "\n"
      R"({"messageId":"d2","anonymousId":"phone-1","userId":"C1","event":"product_viewed","timestamp":"2025-02-03T10:00:00Z"})"
      "\n"
      R"({"messageId":"d3","anonymousId":"phone-1","email":"sara.news@example.org","event":"message_clicked","timestamp":"2025-02-02T09:00:00Z"})"
      "\n"
      // A device id nobody would send: the event is kept, the id is not.
      R"({"messageId":"d4","anonymousId":")" + long_id + R"(","userId":"C2","event":"page_viewed","timestamp":"2025-02-04T10:00:00Z"})"
      "\n";
  auto report = Import(EntityKind::kEvents, Write("e.jsonl", events), "web");
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->inserted, 4);
  EXPECT_EQ(report->rejected, 0);
  EXPECT_EQ(report->problems["anonymous_id: longer than 200 characters: not a device id"], 1);
  EXPECT_EQ(Count("SELECT count(*) FROM customer_devices"), 2);
  // Two records, one device: the evidence identity resolution weighs.
  EXPECT_EQ(Count("SELECT count(DISTINCT customer_id) FROM customer_devices WHERE device_id = 'phone-1'"), 2);
  // Seen from the first event to the last on that record.
  EXPECT_EQ(Text("SELECT first_seen_at || '-' || last_seen_at FROM customer_devices d JOIN source_records r "
                 "ON r.entity_id = d.customer_id WHERE r.source_key = 'C1'"),
            std::to_string(Instant::FromSeconds(1'738'404'000).micros) + "-" +
                std::to_string(Instant::FromSeconds(1'738'576'800).micros));
}

TEST_F(ImportTest, AnInvalidEmailIsKeptWithTheAddressItWasLikelyMeantToBe) {
  const char* list =
      "given_name,family_name,email\n"
      "Maria,Olsson,mariaolssonhotmail.com\n"
      "Majid,Moradnejad,majid..moradnejad@yahoo.com\n"
      "Karl,Berg,karlberg.example\n";
  auto report = Import(EntityKind::kCustomers, Write("n.csv", list), "newsletter");
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->inserted, 3);  // an invalid value never costs the record
  EXPECT_EQ(Text("SELECT status FROM contact_points WHERE value = 'mariaolssonhotmail.com'"), "invalid");
  EXPECT_EQ(Text("SELECT invalid_reason FROM contact_points WHERE value = 'mariaolssonhotmail.com'"), "missing '@'");
  EXPECT_EQ(Text("SELECT suggestion FROM contact_points WHERE value = 'mariaolssonhotmail.com'"),
            "mariaolsson@hotmail.com");
  EXPECT_EQ(Text("SELECT suggestion FROM contact_points WHERE value = 'majid..moradnejad@yahoo.com'"),
            "majid.moradnejad@yahoo.com");
  // Nothing to suggest for a domain no list knows; the value is kept as written.
  EXPECT_EQ(Count("SELECT count(*) FROM contact_points WHERE value = 'karlberg.example' AND status = 'invalid' "
                  "AND suggestion IS NULL"),
            1);
}

TEST_F(ImportTest, AnonymousEventsBelongToTheDevicesVisitorAndAreNotLost) {
  ASSERT_TRUE(Import(EntityKind::kCustomers, Write("c.csv", kCustomers), "crm").ok());
  std::string events =
      // Sara's phone, seen logged in, then browsing without logging in.
      R"({"messageId":"a1","anonymousId":"phone-1","userId":"C1","event":"page_viewed","timestamp":"2025-02-01T10:00:00Z"})"
      "\n"
      R"({"messageId":"a2","anonymousId":"phone-1","event":"product_viewed","timestamp":"2025-02-02T10:00:00Z"})"
      "\n"
      // A device nobody is known on: one anonymous profile for its visits.
      R"({"messageId":"a3","anonymousId":"laptop-9","event":"page_viewed","timestamp":"2025-02-03T10:00:00Z"})"
      "\n"
      R"({"messageId":"a4","anonymousId":"laptop-9","event":"product_viewed","timestamp":"2025-02-03T10:01:00Z"})"
      "\n"
      // Nothing at all to know the visitor by: rejected with the reason.
      R"({"messageId":"a5","event":"page_viewed","timestamp":"2025-02-04T10:00:00Z"})"
      "\n"
      // Another anonymous device...
      R"({"messageId":"a6","anonymousId":"tablet-2","event":"page_viewed","timestamp":"2025-02-05T10:00:00Z"})"
      "\n"
      // ... on which Åsa then logs in: her anonymous visit becomes hers (stitching).
      R"({"messageId":"a7","anonymousId":"tablet-2","userId":"C2","event":"page_viewed","timestamp":"2025-02-06T10:00:00Z"})"
      "\n";
  auto report = Import(EntityKind::kEvents, Write("e.jsonl", events), "web");
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->inserted, 6);
  EXPECT_EQ(report->rejected, 1);
  EXPECT_EQ(report->customers_created, 2);
  EXPECT_EQ(report->stitched, 1);
  EXPECT_EQ(Count("SELECT count(DISTINCT customer_id) FROM events WHERE source_key IN ('a1', 'a2')"), 1);
  const int64_t anonymous = *db_->QueryInt("SELECT customer_id FROM events WHERE source_key = 'a3'");
  EXPECT_EQ(Count("SELECT customer_id FROM events WHERE source_key = 'a4'"), anonymous);
  EXPECT_EQ(Text("SELECT source_key FROM source_records WHERE entity = 'customer' AND entity_id = " +
                 std::to_string(anonymous)),
            "anon:laptop-9");
  EXPECT_EQ(Count("SELECT count(*) FROM customer_devices WHERE device_id = 'laptop-9' AND customer_id = " +
                  std::to_string(anonymous)),
            1);
  // The tablet's anonymous profile folded into Åsa's; nothing of it is left.
  const int64_t asa = *db_->QueryInt("SELECT entity_id FROM source_records WHERE source_key = 'C2'");
  EXPECT_EQ(Count("SELECT count(*) FROM events WHERE source_key IN ('a6', 'a7') AND customer_id = " +
                  std::to_string(asa)),
            2);
  EXPECT_EQ(Count("SELECT entity_id FROM source_records WHERE source_key = 'anon:tablet-2'"), asa);
  EXPECT_EQ(Count("SELECT count(*) FROM customers"), 4);  // three from the CRM and the laptop's visitor
  bool reason = false;
  for (const auto& example : report->examples) reason = reason || example.find("or an anonymous_id") != std::string::npos;
  EXPECT_TRUE(reason);
}

TEST_F(ImportTest, AccountsAndBuyingGroupMembers) {
  std::string accounts =
      "account_id,name,domain,industry_code,employees,revenue,currency,tier,contract_status,country\n"
      "A1,Volvo Trucks AB,https://www.volvo.example/,29.10,1200,\"1 500 000,00\",SEK,key,active,Sverige\n";
  auto ra = Import(EntityKind::kAccounts, Write("a.csv", accounts), "crm");
  ASSERT_TRUE(ra.ok()) << ra.status().ToString();
  EXPECT_EQ(Text("SELECT domain FROM accounts"), "volvo.example");
  EXPECT_EQ(Count("SELECT revenue_minor FROM accounts"), 150000000);
  std::string people = "customer_id,full_name,email,account_id,job_title\nP1,Karin Ek,karin@volvo.example,A1,CFO\n"
                       "P2,Nils Ek,nils@volvo.example,A9,CTO\n";
  auto rc = Import(EntityKind::kCustomers, Write("p.csv", people), "crm");
  ASSERT_TRUE(rc.ok()) << rc.status().ToString();
  EXPECT_EQ(Text("SELECT job_title FROM account_members"), "CFO");
  EXPECT_EQ(rc->fields["account_id"].invalid, 1);  // A9 unknown: reported, customer kept
  EXPECT_EQ(Count("SELECT count(*) FROM customers"), 2);

  auto view = ReadCustomerView(*db_, *db_->QueryInt("SELECT min(id) FROM customers"));
  ASSERT_TRUE(view.ok()) << view.status().ToString();
  ASSERT_EQ(view->accounts.size(), 1u);
  EXPECT_EQ(view->accounts[0].name, "Volvo Trucks AB");
  EXPECT_EQ(view->accounts[0].job_title, "CFO");
  EXPECT_EQ(view->profile["given_name"], "Karin");
}

}  // namespace
}  // namespace patron::ingest
