// Tests of the demo data generator through its public interface: determinism,
// shape of the files, ground truth, dirt in the intended amounts, seasonality.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "core/core.h"
#include "demo/demo.h"

namespace patron::demo {
namespace {

namespace fs = std::filesystem;
using Rows = std::vector<std::vector<std::string>>;

constexpr int64_t kPeople = 2000;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// RFC 4180 parsing, enough for the generator's output (which writes LF only).
Rows ParseCsv(const std::string& text, char delimiter) {
  Rows rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == delimiter) {
      row.push_back(std::move(field));
      field.clear();
    } else if (c == '\n') {
      row.push_back(std::move(field));
      field.clear();
      rows.push_back(std::move(row));
      row.clear();
    } else {
      field += c;
    }
  }
  return rows;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

std::string Lower(std::string text) {
  for (char& c : text) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return text;
}

// The syntax rule the ground truth's keys use (see README.txt).
bool LooksLikeEmail(const std::string& email) {
  const size_t at = email.find('@');
  if (at == std::string::npos || at == 0 || email.find('@', at + 1) != std::string::npos)
    return false;
  const std::string local = email.substr(0, at);
  const std::string domain = email.substr(at + 1);
  if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string::npos)
    return false;
  return !domain.empty() && domain.find('.') != std::string::npos &&
         domain.find("..") == std::string::npos && domain.front() != '.' && domain.back() != '.';
}

bool IsMisspeltProvider(const std::string& email) {
  static const std::set<std::string> kTypos = {
      "gmial.com", "gmai.com",   "gmail.con",  "hotmial.com",   "hotmal.com",   "hotmail.con",
      "yaho.com",  "yahooo.com", "yahoo.cm",   "outlok.com",    "outllook.com", "outlook.cm",
      "iclod.com", "icloud.co",  "icluod.com", "hotmial.co.uk", "hotmail.co.k", "hotmal.co.uk"};
  const size_t at = email.find('@');
  return at != std::string::npos && kTypos.contains(Lower(email.substr(at + 1)));
}

size_t Column(const Rows& rows, const std::string& name) {
  const auto& header = rows.at(0);
  for (size_t i = 0; i < header.size(); ++i) {
    if (header[i] == name) return i;
  }
  ADD_FAILURE() << "no column " << name;
  return 0;
}

class DemoGeneratorTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = new fs::path(fs::temp_directory_path() /
                         ("patron_demo_test_" + std::to_string(::getpid())));
    fs::remove_all(*root_);
    GenerateOptions options;
    options.customers = kPeople;
    options.seed = 42;
    options.out_dir = (*root_ / "a").string();
    Result<GenerateSummary> summary = Generate(options);
    ASSERT_TRUE(summary.ok()) << summary.status().ToString();
    summary_ = new GenerateSummary(std::move(summary).value());
  }
  static void TearDownTestSuite() {
    fs::remove_all(*root_);
    delete summary_;
    delete root_;
  }

  static const GeneratedFile& File(const std::string& name) {
    for (const GeneratedFile& f : summary_->files) {
      if (fs::path(f.path).filename() == name) return f;
    }
    ADD_FAILURE() << "no file " << name;
    return summary_->files.at(0);
  }
  static Rows Csv(const std::string& name, char delimiter = ',') {
    return ParseCsv(ReadFile(File(name).path), delimiter);
  }
  static Rows GroundTruth() { return ParseCsv(ReadFile(summary_->ground_truth_path), ','); }

  static fs::path* root_;
  static GenerateSummary* summary_;
};

fs::path* DemoGeneratorTest::root_ = nullptr;
GenerateSummary* DemoGeneratorTest::summary_ = nullptr;

TEST_F(DemoGeneratorTest, SameSeedGivesIdenticalBytesAndAnotherSeedDoesNot) {
  GenerateOptions options;
  options.customers = kPeople;
  options.seed = 42;
  options.out_dir = (*root_ / "b").string();
  uint64_t last_progress = 0;
  options.progress = [&](uint64_t done, uint64_t total) {
    EXPECT_EQ(total, static_cast<uint64_t>(kPeople));
    EXPECT_GT(done, last_progress);
    last_progress = done;
  };
  Result<GenerateSummary> again = Generate(options);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(last_progress, static_cast<uint64_t>(kPeople));
  ASSERT_EQ(again->files.size(), summary_->files.size());
  std::vector<std::pair<std::string, std::string>> pairs = {
      {summary_->ground_truth_path, again->ground_truth_path},
      {summary_->contact_truth_path, again->contact_truth_path},
      {summary_->readme_path, again->readme_path}};
  for (size_t i = 0; i < again->files.size(); ++i) {
    pairs.emplace_back(summary_->files[i].path, again->files[i].path);
    EXPECT_EQ(summary_->files[i].records, again->files[i].records);
  }
  for (const auto& [first, second] : pairs) {
    EXPECT_TRUE(ReadFile(first) == ReadFile(second)) << first << " differs from " << second;
  }

  options.seed = 43;
  options.out_dir = (*root_ / "c").string();
  options.progress = nullptr;
  Result<GenerateSummary> other = Generate(options);
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  for (size_t i = 0; i < other->files.size(); ++i) {
    if (other->files[i].kind == "products") continue;  // the catalogue is fixed
    EXPECT_NE(ReadFile(summary_->files[i].path), ReadFile(other->files[i].path))
        << other->files[i].path;
  }
}

TEST_F(DemoGeneratorTest, WritesTheFilesInImportOrderWithTheirSources) {
  const std::vector<std::string> names = {
      "products.csv",      "accounts.csv",   "crm_customers_last_year.csv",
      "crm_customers.csv", "newsletter.csv", "purchased_list.csv",
      "shop_orders.csv",   "events.jsonl"};
  ASSERT_EQ(summary_->files.size(), names.size());
  for (size_t i = 0; i < names.size(); ++i) {
    EXPECT_EQ(fs::path(summary_->files[i].path).filename(), names[i]);
    EXPECT_TRUE(fs::exists(summary_->files[i].path));
  }
  EXPECT_EQ(File("purchased_list.csv").source, "nordic-leads");
  EXPECT_EQ(File("purchased_list.csv").source_kind, "purchased");
  EXPECT_EQ(File("purchased_list.csv").vendor, "Nordic Leads AB");
  EXPECT_FALSE(File("purchased_list.csv").cost.empty());
  EXPECT_EQ(File("newsletter.csv").kind, "customers");
  EXPECT_EQ(File("shop_orders.csv").kind, "orders");
  EXPECT_EQ(File("events.jsonl").kind, "events");
  EXPECT_EQ(summary_->people, kPeople);
  EXPECT_TRUE(fs::exists(summary_->readme_path));
  // No temporary files left behind.
  int entries = 0;
  for (const auto& entry : fs::directory_iterator(fs::path(summary_->readme_path).parent_path())) {
    (void)entry;
    ++entries;
  }
  EXPECT_EQ(entries, 11);
}

TEST_F(DemoGeneratorTest, RowCountsMatchTheSummaryAndTheStory) {
  int64_t total = 0;
  for (const GeneratedFile& f : summary_->files) {
    const std::string text = ReadFile(f.path);
    const int64_t lines = static_cast<int64_t>(Lines(text).size());
    EXPECT_EQ(f.records, f.kind == "events" ? lines : lines - 1) << f.path;
    total += f.records;
  }
  EXPECT_EQ(summary_->records_total, total);
  EXPECT_GE(File("products.csv").records, 250);
  EXPECT_LE(File("products.csv").records, 350);
  EXPECT_GE(File("accounts.csv").records, kPeople / 50);
  EXPECT_LE(File("accounts.csv").records, kPeople / 40);
  // Most people are in the CRM.
  EXPECT_GT(File("crm_customers.csv").records, kPeople * 7 / 10);
  EXPECT_LT(File("crm_customers.csv").records, kPeople * 9 / 10);
  EXPECT_GT(File("newsletter.csv").records, kPeople / 5);
  EXPECT_GT(File("purchased_list.csv").records, kPeople / 20);
  EXPECT_GT(File("shop_orders.csv").records, kPeople * 2);
  EXPECT_GT(File("events.jsonl").records, kPeople * 4);
}

TEST_F(DemoGeneratorTest, FilesAreUtf8WithTheExpectedHeaders) {
  const std::map<std::string, std::string> headers = {
      {"products.csv", "sku,name,category,brand,price,currency"},
      {"accounts.csv",
       "account_id,name,domain,industry_code,employees,revenue,currency,tier,contract_status,city,"
       "country,attr.share_of_wallet,attr.competing_suppliers"},
      {"crm_customers_last_year.csv",
       "customer_id,salutation,given_name,family_name,gender,birth_date,marital_status,education,"
       "income_band,household_size,language,time_zone,street,postal_code,city,region,country,"
       "email,mobile,phone,email_status,phone_status,acquisition_channel,lifecycle_stage,tags,"
       "account_id,job_title,consent_email,consent_sms,consent_phone,consent_mail,consent_method,"
       "consent_at,consent_proof,created_at,attr.interests"},
      {"crm_customers.csv",
       "customer_id,salutation,given_name,family_name,gender,birth_date,marital_status,education,"
       "income_band,household_size,language,time_zone,street,postal_code,city,region,country,"
       "email,mobile,phone,email_status,phone_status,acquisition_channel,lifecycle_stage,tags,"
       "account_id,job_title,consent_email,consent_sms,consent_phone,consent_mail,consent_method,"
       "consent_at,consent_proof,created_at,attr.interests"},
      {"newsletter.csv",
       "ایمیل,نام,نام خانوادگی,موبایل,جنسیت,تاریخ تولد,شهر,زبان,تاریخ عضویت,وضعیت ایمیل,"
       "رضایت ایمیل,روش رضایت,زمان رضایت,مدرک رضایت"},
      {"purchased_list.csv",
       "Förnamn;Efternamn;E-post;Mobilnummer;Gatuadress;Postnummer;Ort;Land;Födelsedatum;Kön;"
       "Samtycke e-post;Samtycke sms;Samtyckesdatum;Samtyckesmetod;Samtyckesbevis"},
      {"shop_orders.csv",
       "order_id,line_no,customer_id,email,given_name,family_name,mobile,ordered_at,status,channel,"
       "sku,"
       "product_name,category,quantity,unit_price,discount,currency,shipping_street,shipping_zip,"
       "shipping_city,shipping_country"},
  };
  for (const GeneratedFile& f : summary_->files) {
    const std::string text = ReadFile(f.path);
    size_t bad = 0;
    EXPECT_TRUE(IsValidUtf8(text, &bad)) << f.path << " at byte " << bad;
    const std::string name = fs::path(f.path).filename().string();
    if (f.kind == "events") continue;
    ASSERT_TRUE(headers.contains(name)) << name;
    EXPECT_EQ(text.substr(0, text.find('\n')), headers.at(name));
    const char delimiter = name == "purchased_list.csv" ? ';' : ',';
    const Rows rows = ParseCsv(text, delimiter);
    for (size_t r = 1; r < rows.size(); ++r) {
      ASSERT_EQ(rows[r].size(), rows[0].size()) << name << " row " << r;
    }
  }
  for (const std::string& path :
       {summary_->ground_truth_path, summary_->contact_truth_path, summary_->readme_path}) {
    EXPECT_TRUE(IsValidUtf8(ReadFile(path))) << path;
  }
}

// The CRM exported a year before `today`: the records of then, with the
// addresses of then. Where the two exports differ, the person changed address
// after the earlier one (as the contact truth dates it), which is what lets
// `patron quality decay` learn from re-imports.
TEST_F(DemoGeneratorTest, LastYearsCrmExportHoldsTheValuesOfThen) {
  const GeneratedFile& then = File("crm_customers_last_year.csv");
  EXPECT_EQ(then.kind, "customers");
  EXPECT_EQ(then.source, "crm");
  EXPECT_EQ(then.as_of, "2025-11-01");
  EXPECT_TRUE(File("crm_customers.csv").as_of.empty());
  EXPECT_NE(ReadFile(summary_->readme_path).find("--as-of 2025-11-01"), std::string::npos);

  std::map<std::string, std::string> person_of;  // CRM key -> person
  const Rows truth = GroundTruth();
  for (size_t r = 1; r < truth.size(); ++r) {
    if (truth[r][0] == "crm") person_of[truth[r][1]] = truth[r][2];
  }
  // (person, kind, value) -> (valid from, valid until) of every valid value
  std::map<std::tuple<std::string, std::string, std::string>, std::pair<std::string, std::string>>
      validity;
  const Rows contacts = ParseCsv(ReadFile(summary_->contact_truth_path), ',');
  for (size_t r = 1; r < contacts.size(); ++r) {
    if (contacts[r][5] == "invalid") continue;
    validity[{contacts[r][0], contacts[r][1], contacts[r][2]}] = {contacts[r][3], contacts[r][4]};
  }
  const Rows earlier = Csv("crm_customers_last_year.csv");
  const Rows now = Csv("crm_customers.csv");
  const size_t id = Column(now, "customer_id"), email = Column(now, "email"),
               created = Column(now, "created_at");
  std::map<std::string, const std::vector<std::string>*> now_of;
  for (size_t r = 1; r < now.size(); ++r) now_of[now[r][id]] = &now[r];
  int changed = 0, kept = 0;
  for (size_t r = 1; r < earlier.size(); ++r) {
    const std::string& key = earlier[r][id];
    ASSERT_TRUE(now_of.contains(key)) << key << " is in last year's export only";
    const std::vector<std::string>& current = *now_of[key];
    EXPECT_EQ(earlier[r][created], current[created]) << key;
    EXPECT_LE(earlier[r][created].substr(0, 10), "2025-11-01") << key;
    const std::string before = Lower(earlier[r][email]), after = Lower(current[email]);
    if (before.empty() || after.empty()) continue;
    if (before == after) {
      ++kept;
      continue;
    }
    auto was = validity.find({person_of[key], "email", before});
    auto is = validity.find({person_of[key], "email", after});
    if (was == validity.end() || is == validity.end()) continue;  // a mistyped (invalid) address
    ++changed;
    // Replaced after the earlier export, by the person's next address.
    EXPECT_GT(was->second.second, "2025-11-01") << key << " " << before;
    EXPECT_EQ(was->second.second, is->second.first) << key;
  }
  // Most records of then are in the later export as they were; some changed.
  EXPECT_GT(earlier.size(), now.size() / 2);
  EXPECT_LT(earlier.size(), now.size());
  EXPECT_GT(kept, changed * 4);
  EXPECT_GT(changed, 20);
}

TEST_F(DemoGeneratorTest, EventsAreSegmentStyleJsonLines) {
  const std::set<std::string> kinds = {
      "page_viewed",           "product_viewed",        "cart_abandoned",
      "support_ticket_opened", "support_ticket_closed", "call_logged",
      "newsletter_signup",     "contest_signup",        "survey_answered",
      "message_sent",          "message_clicked"};
  std::set<std::string> ids;
  // Campaign messages: who (userId or email) got which campaign, and their clicks.
  std::map<std::string, int> sent, clicked;  // "who|campaign|channel"
  std::map<std::string, int> sent_per_channel, clicked_per_channel;
  std::map<std::string, int> seen;
  for (const std::string& line : Lines(ReadFile(File("events.jsonl").path))) {
    const nlohmann::json event = nlohmann::json::parse(line);
    ASSERT_TRUE(event.contains("messageId"));
    EXPECT_TRUE(ids.insert(event["messageId"].get<std::string>()).second) << line;
    const std::string kind = event["event"].get<std::string>();
    // Named by exactly one of the CRM id and an email; a call log without a
    // CRM id only by the caller's number.
    if (kind == "call_logged" && !event.contains("userId") && !event.contains("email")) {
      EXPECT_TRUE(event.contains("phone")) << line;
    } else {
      EXPECT_NE(event.contains("userId"), event.contains("email")) << line;
    }
    EXPECT_TRUE(kinds.contains(kind)) << kind;
    ++seen[kind];
    const std::string timestamp = event["timestamp"].get<std::string>();
    EXPECT_EQ(timestamp.back(), 'Z');
    EXPECT_TRUE(ParseInstant(timestamp).ok()) << timestamp;
    ASSERT_TRUE(event["properties"].is_object());
    if (kind == "product_viewed") {
      EXPECT_TRUE(event["properties"].contains("sku"));
    }
    if (kind == "survey_answered") {
      const int score = event["properties"]["score"].get<int>();
      EXPECT_GE(score, 0);
      EXPECT_LE(score, 10);
    }
    if (kind == "message_sent" || kind == "message_clicked") {
      const auto& props = event["properties"];
      const std::string channel = props["channel"].get<std::string>();
      EXPECT_TRUE(channel == "email" || channel == "sms") << line;
      // SMS go to CRM customers, who are named by their customer id.
      if (channel == "sms") {
        EXPECT_TRUE(event.contains("userId")) << line;
      }
      const std::string who =
          (event.contains("userId") ? event["userId"] : event["email"]).get<std::string>();
      const std::string key = who + "|" + props["campaign"].get<std::string>() + "|" + channel;
      if (kind == "message_sent") {
        EXPECT_TRUE(props.contains("kind")) << line;
        ++sent[key];
        ++sent_per_channel[channel];
      } else {
        ++clicked[key];
        ++clicked_per_channel[channel];
      }
    }
  }
  for (const std::string& kind : kinds) EXPECT_GT(seen[kind], 0) << kind;
  // Every click is on a message the same person was sent, at most once per message.
  for (const auto& [key, n] : clicked) {
    EXPECT_EQ(sent[key], 1) << key;
    EXPECT_EQ(n, 1) << key;
  }
  // Click rates near the stated averages (4 % of emails, 6 % of SMS, before the
  // age skews and each person's taste).
  for (const auto& [channel, low, high] :
       {std::tuple{"email", 0.02, 0.08}, std::tuple{"sms", 0.03, 0.12}}) {
    ASSERT_GT(sent_per_channel[channel], 100) << channel;
    const double rate = static_cast<double>(clicked_per_channel[channel]) / sent_per_channel[channel];
    EXPECT_GT(rate, low) << channel;
    EXPECT_LT(rate, high) << channel;
  }
}

TEST_F(DemoGeneratorTest, GroundTruthCoversEveryCustomerRecord) {
  const Rows truth = GroundTruth();
  ASSERT_EQ(truth[0], (std::vector<std::string>{"source", "source_key", "person_id"}));
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> by_source;
  std::set<std::string> crm_keys;
  for (size_t r = 1; r < truth.size(); ++r) {
    by_source[truth[r][0]].emplace_back(truth[r][1], truth[r][2]);
    if (truth[r][0] == "crm") crm_keys.insert(truth[r][1]);
  }

  const Rows crm = Csv("crm_customers.csv");
  EXPECT_EQ(by_source["crm"].size(), crm.size() - 1);
  for (size_t r = 1; r < crm.size(); ++r) EXPECT_TRUE(crm_keys.contains(crm[r][0])) << crm[r][0];

  // Keyless sources: the truth lists their records in file order.
  struct Keyless {
    std::string file;
    std::string source;
    char delimiter;
    size_t email_column;
    size_t mobile_column;
  };
  for (const Keyless& k : {Keyless{"newsletter.csv", "newsletter", ',', 0, 3},
                           Keyless{"purchased_list.csv", "nordic-leads", ';', 2, 3}}) {
    const Rows rows = Csv(k.file, k.delimiter);
    const auto& keys = by_source[k.source];
    ASSERT_EQ(keys.size(), rows.size() - 1) << k.file;
    for (size_t r = 1; r < rows.size(); ++r) {
      const std::string& email = rows[r][k.email_column];
      const std::string& key = keys[r - 1].first;
      if (LooksLikeEmail(email)) {
        EXPECT_EQ(key, Lower(email)) << k.file << " row " << r;
      } else {
        EXPECT_FALSE(rows[r][k.mobile_column].empty()) << k.file << " row " << r;
        EXPECT_EQ(key.substr(0, 1), "+") << k.file << " row " << r << ": " << key;
      }
    }
  }

  // Orders name customers by a CRM id or by an email the truth knows.
  std::set<std::string> webshop;
  for (const auto& [key, person] : by_source["webshop"]) webshop.insert(key);
  const Rows orders = Csv("shop_orders.csv");
  const size_t customer = Column(orders, "customer_id");
  const size_t email = Column(orders, "email");
  for (size_t r = 1; r < orders.size(); ++r) {
    if (!orders[r][customer].empty()) {
      EXPECT_TRUE(crm_keys.contains(orders[r][customer])) << orders[r][customer];
    } else {
      EXPECT_TRUE(webshop.contains(Lower(orders[r][email]))) << orders[r][email];
    }
  }

  // Every delivered order says where it went, a purchase in a store does not;
  // a guest buyer mostly ships home, to the street the CRM knows.
  const std::map<std::string, std::string> person_of_crm_key(by_source["crm"].begin(), by_source["crm"].end());
  std::map<std::string, std::string> crm_street_of_person;
  const size_t crm_street = Column(crm, "street");
  for (size_t r = 1; r < crm.size(); ++r) {
    if (!crm[r][crm_street].empty()) crm_street_of_person[person_of_crm_key.at(crm[r][0])] = crm[r][crm_street];
  }
  std::map<std::string, std::string> person_of_webshop_key(by_source["webshop"].begin(),
                                                           by_source["webshop"].end());
  const size_t channel = Column(orders, "channel"), street = Column(orders, "shipping_street");
  const size_t city = Column(orders, "shipping_city"), country = Column(orders, "shipping_country");
  int delivered = 0, with_address = 0, guest_lines_known = 0, shipped_home = 0;
  for (size_t r = 1; r < orders.size(); ++r) {
    if (orders[r][channel] == "store") {
      EXPECT_EQ(orders[r][street] + orders[r][city] + orders[r][country], "") << "row " << r;
      continue;
    }
    ++delivered;
    if (!orders[r][street].empty() && !orders[r][city].empty() && orders[r][country].size() == 2) ++with_address;
    if (!orders[r][customer].empty()) continue;
    auto home = crm_street_of_person.find(person_of_webshop_key[Lower(orders[r][email])]);
    if (home == crm_street_of_person.end()) continue;
    ++guest_lines_known;
    if (home->second == orders[r][street]) ++shipped_home;
  }
  EXPECT_GT(delivered, 1000);
  EXPECT_EQ(with_address, delivered);
  EXPECT_GT(guest_lines_known, 100);
  // Home, but in another script or with other digits now and then.
  EXPECT_GT(shipped_home, guest_lines_known / 2);
  EXPECT_LT(shipped_home, guest_lines_known);
  std::set<std::string> web;
  for (const auto& [key, person] : by_source["web"]) web.insert(key);
  int contest_entries = 0, named_entries = 0, entries_with_phone = 0;
  for (const std::string& line : Lines(ReadFile(File("events.jsonl").path))) {
    const nlohmann::json event = nlohmann::json::parse(line);
    if (event.contains("userId")) {
      EXPECT_TRUE(crm_keys.contains(event["userId"].get<std::string>()));
    } else if (event.contains("email")) {
      EXPECT_TRUE(web.contains(Lower(event["email"].get<std::string>())));
    } else {
      // Only a call log names a person by the caller's number.
      ASSERT_TRUE(event.contains("phone")) << line;
      EXPECT_EQ(event["event"], "call_logged") << line;
      const std::string phone = event["phone"].get<std::string>();
      EXPECT_EQ(phone.substr(0, 1), "+") << line;
      EXPECT_TRUE(web.contains(phone)) << line;
    }
    // A contest entry carries the name typed on the form.
    if (event["event"] == "contest_signup") {
      ++contest_entries;
      if (event.contains("firstName") && event.contains("lastName")) ++named_entries;
      if (event.contains("phone")) ++entries_with_phone;
    }
  }
  EXPECT_GT(contest_entries, 10);
  EXPECT_EQ(named_entries, contest_entries);

  // Events from a device carry its id (anonymousId); a message sent and a
  // call an agent logs do not. A person has one to three devices, and the
  // same device is seen under two of their identities now and then (logged
  // in, and known by the email a newsletter link or a checkout left).
  std::map<std::string, std::string> person_of_web_key(by_source["web"].begin(), by_source["web"].end());
  std::map<std::string, std::set<std::string>> devices_of_person, identities_of_device;
  int from_devices = 0, browsing = 0;
  for (const std::string& line : Lines(ReadFile(File("events.jsonl").path))) {
    const nlohmann::json event = nlohmann::json::parse(line);
    const std::string type = event["event"].get<std::string>();
    const bool has_device = event.contains("anonymousId");
    if (type == "message_sent" || type == "call_logged" || type == "support_ticket_closed") {
      EXPECT_FALSE(has_device) << line;
      continue;
    }
    if (type == "page_viewed" || type == "product_viewed") {
      ++browsing;
      EXPECT_TRUE(has_device) << line;
    }
    if (!has_device) continue;
    ++from_devices;
    const std::string device = event["anonymousId"].get<std::string>();
    const std::string identity = event.contains("userId") ? event["userId"].get<std::string>()
                                                          : Lower(event["email"].get<std::string>());
    const std::string person = event.contains("userId") ? person_of_crm_key.at(identity) : person_of_web_key.at(identity);
    devices_of_person[person].insert(device);
    identities_of_device[device].insert(identity);
  }
  EXPECT_GT(browsing, 1000);
  EXPECT_GT(from_devices, browsing);
  for (const auto& [person, devices] : devices_of_person) EXPECT_LE(devices.size(), 3u) << person;
  size_t bridging = 0;
  for (const auto& [device, identities] : identities_of_device) bridging += identities.size() >= 2;
  EXPECT_GT(bridging, devices_of_person.size() / 20);
  EXPECT_LT(bridging, devices_of_person.size() / 2);
  EXPECT_GT(entries_with_phone, contest_entries * 7 / 10);
  EXPECT_LT(entries_with_phone, contest_entries);

  // Every person has contact truth, and every person is known to some source.
  std::set<std::string> people;
  for (const auto& row : ParseCsv(ReadFile(summary_->contact_truth_path), ',')) {
    if (row[0] != "person_id") people.insert(row[0]);
  }
  EXPECT_EQ(static_cast<int64_t>(people.size()), kPeople);
  std::set<std::string> known;
  for (size_t r = 1; r < truth.size(); ++r) known.insert(truth[r][2]);
  EXPECT_EQ(known, people);
}

TEST_F(DemoGeneratorTest, DuplicatesMapToTheSamePersonInTheIntendedShare) {
  const Rows truth = GroundTruth();
  // Each (source, key) belongs to one person.
  std::map<std::pair<std::string, std::string>, std::string> owner;
  std::map<std::string, std::set<std::string>> sources_of_person;
  std::map<std::string, int> crm_records_of_person;
  for (size_t r = 1; r < truth.size(); ++r) {
    const auto key = std::make_pair(truth[r][0], truth[r][1]);
    const auto [it, inserted] = owner.emplace(key, truth[r][2]);
    EXPECT_EQ(it->second, truth[r][2]) << truth[r][0] << " " << truth[r][1];
    if (truth[r][0] == "crm" || truth[r][0] == "newsletter" || truth[r][0] == "nordic-leads") {
      sources_of_person[truth[r][2]].insert(truth[r][0]);
    }
    if (truth[r][0] == "crm") ++crm_records_of_person[truth[r][2]];
  }
  // The same valid email in the CRM, the newsletter and the purchased list
  // always belongs to one person.
  std::map<std::string, std::string> person_of_email;
  for (const auto& [key, person] : owner) {
    if (key.first == "crm" || key.second.find('@') == std::string::npos) continue;
    const auto [it, inserted] = person_of_email.emplace(key.second, person);
    EXPECT_EQ(it->second, person) << key.second;
  }
  const Rows crm = Csv("crm_customers.csv");
  const size_t email = Column(crm, "email");
  for (size_t r = 1; r < crm.size(); ++r) {
    const auto found = person_of_email.find(Lower(crm[r][email]));
    if (found != person_of_email.end()) {
      EXPECT_EQ(found->second, owner.at({"crm", crm[r][0]}));
    }
  }

  int in_two_sources = 0;
  for (const auto& [person, sources] : sources_of_person) in_two_sources += sources.size() >= 2;
  int twice_in_crm = 0;
  for (const auto& [person, count] : crm_records_of_person) twice_in_crm += count >= 2;
  const double people = static_cast<double>(kPeople);
  EXPECT_GT(in_two_sources / people, 0.15);
  EXPECT_LT(in_two_sources / people, 0.5);
  EXPECT_GT(twice_in_crm / people, 0.01);
  EXPECT_LT(twice_in_crm / people, 0.06);
}

// Family names have the long tail of a real population: namesakes are rare,
// as in a real customer base, and no surname dominates.
TEST_F(DemoGeneratorTest, FamilyNamesHaveALongTail) {
  const Rows crm = Csv("crm_customers.csv");
  const size_t given = Column(crm, "given_name");
  const size_t family = Column(crm, "family_name");
  std::map<std::string, int> families, full_names;
  for (size_t r = 1; r < crm.size(); ++r) {
    ++families[Lower(crm[r][family])];
    ++full_names[Lower(crm[r][given]) + "|" + Lower(crm[r][family])];
  }
  const double records = static_cast<double>(crm.size() - 1);
  int most = 0;
  for (const auto& [name, count] : families) most = std::max(most, count);
  EXPECT_GT(static_cast<double>(families.size()), 0.5 * records);
  EXPECT_LT(most / records, 0.02);
  // CRM records with exactly the same given and family name: duplicates of
  // one person (a few percent) and a few namesakes, not hundreds.
  int64_t same_name_pairs = 0;
  for (const auto& [name, count] : full_names) same_name_pairs += static_cast<int64_t>(count) * (count - 1) / 2;
  EXPECT_LT(static_cast<double>(same_name_pairs), 0.04 * records);
}

TEST_F(DemoGeneratorTest, InvalidContactsAreAFewPercent) {
  int64_t emails = 0;
  int64_t invalid_emails = 0;
  auto count = [&](const Rows& rows, size_t column) {
    for (size_t r = 1; r < rows.size(); ++r) {
      const std::string& value = rows[r][column];
      if (value.empty()) continue;
      ++emails;
      invalid_emails += !LooksLikeEmail(value) || IsMisspeltProvider(value);
    }
  };
  const Rows crm = Csv("crm_customers.csv");
  count(crm, Column(crm, "email"));
  count(Csv("newsletter.csv"), 0);
  count(Csv("purchased_list.csv", ';'), 2);
  const double email_share = static_cast<double>(invalid_emails) / static_cast<double>(emails);
  EXPECT_GT(email_share, 0.01);
  EXPECT_LT(email_share, 0.045);

  // Invalid values are listed in the contact truth, as are stale ones.
  int64_t invalid_mobiles = 0;
  int64_t stale = 0;
  int64_t values = 0;
  for (const auto& row : ParseCsv(ReadFile(summary_->contact_truth_path), ',')) {
    if (row[0] == "person_id") continue;
    ++values;
    invalid_mobiles += row[1] == "mobile" && row[5] == "invalid";
    stale += row[5] == "stale";
    if (row[5] == "stale") {
      EXPECT_FALSE(row[4].empty());
    }
  }
  int64_t mobiles = 0;
  const size_t mobile = Column(crm, "mobile");
  for (size_t r = 1; r < crm.size(); ++r) mobiles += !crm[r][mobile].empty();
  const double mobile_share = static_cast<double>(invalid_mobiles) / static_cast<double>(mobiles);
  EXPECT_GT(mobile_share, 0.008);
  EXPECT_LT(mobile_share, 0.04);
  // Over three to six years at 1.5-2 % a month, a large part of the contact
  // data has gone stale.
  EXPECT_GT(static_cast<double>(stale) / static_cast<double>(values), 0.2);
  EXPECT_LT(static_cast<double>(stale) / static_cast<double>(values), 0.5);
}

TEST_F(DemoGeneratorTest, BackToSchoolPeakIsVisible) {
  const Rows orders = Csv("shop_orders.csv");
  const size_t category = Column(orders, "category");
  const size_t ordered_at = Column(orders, "ordered_at");
  int before = 0;
  int after = 0;
  for (size_t r = 1; r < orders.size(); ++r) {
    if (orders[r][category].rfind("stationery/", 0) != 0) continue;
    const std::string month_day = orders[r][ordered_at].substr(5, 5);  // MM-DD
    if (month_day >= "09-02" && month_day <= "09-22") ++before;
    if (month_day >= "09-23" && month_day <= "10-13") ++after;
  }
  // About twice as many at this size; 1.5 leaves room for sampling noise.
  EXPECT_GT(2 * before, 3 * after) << before << " lines before 1 Mehr, " << after << " after";
}

TEST_F(DemoGeneratorTest, OrdersReferenceExistingSkus) {
  std::set<std::string> skus;
  const Rows products = Csv("products.csv");
  for (size_t r = 1; r < products.size(); ++r) {
    EXPECT_TRUE(skus.insert(products[r][0]).second) << "duplicate sku " << products[r][0];
  }
  const Rows orders = Csv("shop_orders.csv");
  const size_t sku = Column(orders, "sku");
  std::set<std::pair<std::string, std::string>> lines;
  for (size_t r = 1; r < orders.size(); ++r) {
    EXPECT_TRUE(skus.contains(orders[r][sku])) << orders[r][sku];
    EXPECT_TRUE(lines.emplace(orders[r][0], orders[r][1]).second)
        << "duplicate line " << orders[r][0];
  }
  for (const std::string& line : Lines(ReadFile(File("events.jsonl").path))) {
    const nlohmann::json event = nlohmann::json::parse(line);
    if (event["event"] == "product_viewed") {
      EXPECT_TRUE(skus.contains(event["properties"]["sku"].get<std::string>()));
    }
  }
}

// A support line asks a caller about an order for its number: the call log
// names the order, and a caller the CRM does not know by the order's email
// and the number they called from. Other calls from such callers carry the
// number only.
TEST_F(DemoGeneratorTest, CallsAboutAnOrderAreLoggedOnTheOrder) {
  const Rows orders = Csv("shop_orders.csv");
  const size_t customer = Column(orders, "customer_id"), email = Column(orders, "email");
  const size_t ordered_at = Column(orders, "ordered_at");
  std::map<std::string, size_t> first_line_of;
  for (size_t r = 1; r < orders.size(); ++r) first_line_of.emplace(orders[r][0], r);
  int about_orders = 0, by_order_email = 0, number_only = 0;
  for (const std::string& line : Lines(ReadFile(File("events.jsonl").path))) {
    const nlohmann::json event = nlohmann::json::parse(line);
    if (event["event"] != "call_logged" || event["properties"]["direction"] != "inbound") continue;
    const std::string topic = event["properties"]["topic"].get<std::string>();
    const bool about_an_order = topic == "order status" || topic == "warranty";
    ASSERT_EQ(event["properties"].contains("order_id"), about_an_order) << line;
    if (!about_an_order) {
      if (!event.contains("userId")) {
        EXPECT_FALSE(event.contains("email")) << line;
        EXPECT_TRUE(event.contains("phone")) << line;
        ++number_only;
      }
      continue;
    }
    ++about_orders;
    auto order = first_line_of.find(event["properties"]["order_id"].get<std::string>());
    ASSERT_NE(order, first_line_of.end()) << line;
    const std::vector<std::string>& row = orders[order->second];
    const Result<Instant> ordered = ParseInstant(row[ordered_at]);
    const Result<Instant> called = ParseInstant(event["timestamp"].get<std::string>());
    ASSERT_TRUE(ordered.ok() && called.ok()) << line;
    // Placed before the call, or later on the same day at the latest.
    EXPECT_LT(ordered->seconds(), called->seconds() + 86400) << line;
    if (event.contains("userId")) continue;
    ASSERT_TRUE(event.contains("email")) << line;
    ASSERT_TRUE(row[customer].empty()) << line;
    EXPECT_EQ(Lower(event["email"].get<std::string>()), Lower(row[email])) << line;
    ASSERT_TRUE(event.contains("phone")) << line;
    EXPECT_EQ(event["phone"].get<std::string>().substr(0, 1), "+") << line;
    ++by_order_email;
  }
  EXPECT_GT(about_orders, 20);
  EXPECT_GT(by_order_email, 2);
  EXPECT_GT(number_only, 2);
}

TEST_F(DemoGeneratorTest, RejectsBadOptions) {
  GenerateOptions options;
  options.out_dir = (*root_ / "bad").string();
  options.customers = 0;
  EXPECT_EQ(Generate(options).status().code(), StatusCode::kInvalidArgument);
  options.customers = 10;
  options.today = CivilDate{2026, 2, 30};
  EXPECT_EQ(Generate(options).status().code(), StatusCode::kInvalidArgument);
  options.today = CivilDate{2026, 11, 1};
  options.out_dir.clear();
  EXPECT_EQ(Generate(options).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(DemoGeneratorTest, TinyDataSetsWork) {
  GenerateOptions options;
  options.customers = 1;
  options.out_dir = (*root_ / "one").string();
  Result<GenerateSummary> summary = Generate(options);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->people, 1);
  EXPECT_EQ(summary->files[1].records, 1);  // one account, whose one contact may be the person
}

}  // namespace
}  // namespace patron::demo
