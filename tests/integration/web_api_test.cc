// The API the web application's Data and Settings pages use, against a real
// `patron serve`: the columns of a file before it is imported and an import
// with a changed mapping, the identity review queue, users' roles and
// disabling, sources and consent purposes, channels without their secrets and
// a test send to a closed port, backups — and who may do each.
#include <gtest/gtest.h>
#include <httplib.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "patron_process.h"

namespace patron {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::RunPatron;
using testing::ServeProcess;

class WebApi : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / ("patron-web-api-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    db_ = (dir_ / "web.db").string();
    admin_ = Key("admin", "admin-key");
    analyst_ = Key("analyst", "analyst-key");
    marketer_ = Key("marketer", "marketer-key");
    AddUser("web-admin", "admin");
    AddUser("web-agent", "support");
    // An SMTP server nobody listens on, with a password that must never be shown.
    std::ofstream(dir_ / "patron.conf")
        << "smtp_url = smtp://mailer:s3cret-pw@127.0.0.1:9?tls=none&timeout=5\n";
    server_ =
        new ServeProcess(db_, {"--config", (dir_ / "patron.conf").string(), "--access-log", "off"});
  }
  static void TearDownTestSuite() {
    delete server_;
    fs::remove_all(dir_);
  }

  static std::string Key(const std::string& role, const std::string& name) {
    auto r = RunPatron({"--db", db_, "key", "create", "--role", role, "--name", name}, true);
    size_t at = r.out.find("pat_");
    EXPECT_NE(at, std::string::npos) << r.out;
    return at == std::string::npos ? "" : r.out.substr(at, r.out.find_first_of(" \n", at) - at);
  }
  static void AddUser(const std::string& name, const std::string& role) {
    std::string cmd = "printf 'web test password\\n' | " + testing::ShellQuote(PATRON_BINARY) +
                      " --db " + testing::ShellQuote(db_) + " user add " + name + " --role " +
                      role + " --password-stdin > /dev/null";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
  }

  static httplib::Client Client(const std::string& key) {
    httplib::Client c(server_->url());
    if (!key.empty()) c.set_bearer_token_auth(key);
    c.set_read_timeout(30, 0);
    return c;
  }
  static json Json(const httplib::Result& r, int expected_status) {
    EXPECT_TRUE(r);
    if (!r) return json();
    EXPECT_EQ(r->status, expected_status) << r->body;
    json j = json::parse(r->body, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r->body;
    return j;
  }
  static json WaitForImport(httplib::Client& c, int64_t id) {
    json job;
    for (int i = 0; i < 400; ++i) {
      job = Json(c.Get("/api/v1/imports/" + std::to_string(id)), 200);
      if (job["status"] != "running") break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return job;
  }
  static json UserNamed(const std::string& name) {
    json users = Json(Client(admin_).Get("/api/v1/users"), 200);
    for (const json& u : users["users"]) {
      if (u["name"] == name) return u;
    }
    return json();
  }
  static int SignIn(const std::string& name) {
    auto r = Client("").Post("/api/v1/sessions",
                             json{{"name", name}, {"password", "web test password"}}.dump(),
                             "application/json");
    return r ? r->status : 0;
  }

  static inline fs::path dir_;
  static inline std::string db_, admin_, analyst_, marketer_;
  static inline ServeProcess* server_ = nullptr;
};

TEST_F(WebApi, ColumnsOfAFileComeWithTheFieldEachWouldGoTo) {
  auto c = Client(marketer_);
  const std::string head =
      "Kundnummer,Förnamn,E-post,Mobil,Kontakt,attr.club\n"
      "K-1,Åsa,asa@example.se,0701234567,+46709876543,gold\n";
  json j = Json(c.Post("/api/v1/imports/columns?kind=customers&format=csv", head, "text/csv"), 200);
  std::map<std::string, std::pair<std::string, std::string>> by_name;
  for (const json& col : j["columns"]) by_name[col["name"]] = {col["field"], col["how"]};
  EXPECT_EQ(by_name["E-post"], std::make_pair(std::string("email"), std::string("synonym")));
  EXPECT_EQ(by_name["Förnamn"].first, "given_name");
  EXPECT_EQ(by_name["Mobil"].first, "mobile");
  EXPECT_EQ(by_name["Kontakt"], std::make_pair(std::string(""), std::string("unmapped")));
  EXPECT_EQ(by_name["attr.club"].second, "attribute");
  EXPECT_EQ(j["columns"][2]["samples"], json::array({"asa@example.se"}));
  EXPECT_NE(std::find(j["fields"].begin(), j["fields"].end(), "phone_2"), j["fields"].end());
  EXPECT_EQ(j["delimiter"], ",");

  json lines = Json(
      c.Post("/api/v1/imports/columns?kind=events&format=jsonl",
             "{\"userId\":\"u1\",\"event\":\"Viewed\",\"timestamp\":\"2026-01-02T03:04:05Z\"}\n",
             "application/x-ndjson"),
      200);
  EXPECT_EQ(lines["columns"].size(), 3u);

  json bad = Json(c.Post("/api/v1/imports/columns?kind=people&format=csv", head, "text/csv"), 400);
  EXPECT_EQ(bad["error"]["field"], "kind");
  json empty =
      Json(c.Post("/api/v1/imports/columns?kind=customers&format=csv", "", "text/csv"), 400);
  EXPECT_EQ(empty["error"]["field"], "file");
  // Analysts do not import.
  Json(Client(analyst_).Post("/api/v1/imports/columns?kind=customers", head, "text/csv"), 403);
}

TEST_F(WebApi, AnImportTakesTheChangedMapping) {
  auto c = Client(marketer_);
  const std::string file =
      "customer_id,name,email,Kontakt,notes\n"
      "W-1,Sara Ahmadi,sara.web@example.com,+989121112233,call after 5\n"
      "W-2,Omid Karimi,omid.web@example.com,+989351112244,\n";
  json started = Json(
      c.Post("/api/v1/"
             "imports?kind=customers&source=web-crm&format=csv&map=Kontakt%3Dmobile&map=notes%3D",
             file, "text/csv"),
      202);
  json job = WaitForImport(c, started["id"]);
  ASSERT_EQ(job["status"], "finished") << job.dump();
  std::string mapping = job["report"]["mapping"].dump();
  EXPECT_NE(mapping.find("Kontakt -> mobile (--map)"), std::string::npos) << mapping;
  EXPECT_NE(mapping.find("notes -> (ignored, --map)"), std::string::npos) << mapping;
  json found = Json(Client(admin_).Get("/api/v1/customers?phone=%2B989121112233"), 200);
  ASSERT_EQ(found["customers"].size(), 1u) << found.dump();
  EXPECT_EQ(found["customers"][0]["email"], "sara.web@example.com");

  // A mapping without '=' is refused at once; one to a field that does not exist fails the job,
  // naming the fields.
  json bad = Json(
      c.Post("/api/v1/imports?kind=customers&source=web-crm&map=Kontakt", file, "text/csv"), 400);
  EXPECT_EQ(bad["error"]["field"], "map");
  // So is an as_of (when the list's data was current) that is not a date or lies ahead.
  for (const std::string as_of : {"soon", "2999-01-01"}) {
    json refused = Json(
        c.Post("/api/v1/imports?kind=customers&source=web-crm&as_of=" + as_of, file, "text/csv"),
        400);
    EXPECT_EQ(refused["error"]["field"], "as_of") << refused.dump();
  }
  // A list as of an earlier date: its values count as last seen then.
  json dated = Json(
      c.Post("/api/v1/imports?kind=customers&source=web-list&as_of=2025-06-01", file, "text/csv"),
      202);
  ASSERT_EQ(WaitForImport(c, dated["id"])["status"], "finished");
  json listed_dated = Json(Client(admin_).Get("/api/v1/customers?email=sara.web@example.com"), 200);
  bool saw_dated = false;
  for (const json& brief : listed_dated["customers"]) {
    json view = Json(
        Client(admin_).Get("/api/v1/customers/" + std::to_string(brief["id"].get<int64_t>())), 200);
    for (const json& cp : view["contact_points"]) {
      if (cp["source"] == "web-list") {
        saw_dated = true;
        EXPECT_EQ(cp["last_seen"], "2025-06-01T00:00:00Z") << cp.dump();
        EXPECT_LT(cp["freshness"].get<double>(), 0.9) << cp.dump();
      }
    }
  }
  EXPECT_TRUE(saw_dated) << listed_dated.dump();
  json unknown = Json(c.Post("/api/v1/imports?kind=customers&source=web-crm&map=Kontakt%3Dtelefax",
                             file, "text/csv"),
                      202);
  json failed = WaitForImport(c, unknown["id"]);
  EXPECT_EQ(failed["status"], "failed");
  EXPECT_NE(failed["error"].get<std::string>().find("'telefax' is not a customers field"),
            std::string::npos)
      << failed.dump();

  // The source is listed with what it brought.
  bool listed = false;
  json sources = Json(Client(analyst_).Get("/api/v1/sources"), 200);
  for (const json& s : sources["sources"]) {
    if (s["name"] != "web-crm") continue;
    listed = true;
    EXPECT_EQ(s["customers"], 2);
    EXPECT_FALSE(s["last_import_at"].is_null());
  }
  EXPECT_TRUE(listed);
  Json(Client(analyst_).Get("/api/v1/consent-purposes"), 200);
}

TEST_F(WebApi, TheReviewQueueIsForThoseWhoMaySeeAndChangeCustomers) {
  json empty = Json(Client(marketer_).Get("/api/v1/identity/reviews"), 200);
  EXPECT_TRUE(empty["reviews"].is_array());
  Json(Client(analyst_).Get("/api/v1/identity/reviews"), 403);
  Json(Client(analyst_).Post("/api/v1/identity/reviews/1/accept", "{}", "application/json"), 403);
  json missing = Json(
      Client(marketer_).Post("/api/v1/identity/reviews/424242/accept", "{}", "application/json"),
      404);
  EXPECT_EQ(missing["error"]["field"], "id");
  json bad = Json(Client(marketer_).Get("/api/v1/identity/reviews?status=maybe"), 400);
  EXPECT_EQ(bad["error"]["field"], "status");
  json explain = Json(Client(marketer_).Get("/api/v1/identity/explain?left=1&right=x"), 400);
  EXPECT_EQ(explain["error"]["field"], "right");
}

TEST_F(WebApi, AnAdminChangesRolesAndDisablesUsersButNotThemselves) {
  json agent = UserNamed("web-agent");
  ASSERT_FALSE(agent.is_null());
  const std::string path = "/api/v1/users/" + std::to_string(agent["id"].get<int64_t>());
  Json(Client(marketer_).Patch(path, R"({"role":"admin"})", "application/json"), 403);
  json bad = Json(Client(admin_).Patch(path, R"({"role":"boss"})", "application/json"), 400);
  EXPECT_EQ(bad["error"]["field"], "role");
  json nothing = Json(Client(admin_).Patch(path, "{}", "application/json"), 400);
  json changed =
      Json(Client(admin_).Patch(path, R"({"role":"marketer"})", "application/json"), 200);
  EXPECT_EQ(changed["role"], "marketer");
  EXPECT_EQ(UserNamed("web-agent")["role"], "marketer");

  EXPECT_EQ(SignIn("web-agent"), 201);
  Json(Client(admin_).Patch(path, R"({"disabled":true})", "application/json"), 200);
  EXPECT_EQ(SignIn("web-agent"), 401);
  EXPECT_TRUE(UserNamed("web-agent")["disabled"].get<bool>());
  Json(Client(admin_).Patch(path, R"({"disabled":false})", "application/json"), 200);
  EXPECT_EQ(SignIn("web-agent"), 201);
  Json(Client(admin_).Patch("/api/v1/users/999999", R"({"disabled":true})", "application/json"),
       404);

  // Signed in as web-admin: their own role and account are not theirs to change.
  auto c = Client("");
  auto session =
      c.Post("/api/v1/sessions", R"({"name":"web-admin","password":"web test password"})",
             "application/json");
  ASSERT_TRUE(session);
  ASSERT_EQ(session->status, 201);
  std::string cookie = session->get_header_value("Set-Cookie");
  httplib::Headers headers = {
      {"Cookie", cookie.substr(0, cookie.find(';'))},
      {"X-CSRF-Token", json::parse(session->body)["csrf_token"].get<std::string>()}};
  const std::string self =
      "/api/v1/users/" + std::to_string(UserNamed("web-admin")["id"].get<int64_t>());
  json refused = Json(c.Patch(self, headers, R"({"disabled":true})", "application/json"), 409);
  EXPECT_EQ(refused["error"]["field"], "disabled");
  Json(c.Patch(self, headers, R"({"role":"analyst"})", "application/json"), 409);
  EXPECT_EQ(UserNamed("web-admin")["role"], "admin");

  // Every change is in the audit log.
  json audit = Json(Client(admin_).Get("/api/v1/audit?action=user.update"), 200);
  EXPECT_NE(audit.dump().find("user.update"), std::string::npos) << audit.dump();
}

TEST_F(WebApi, ChannelsShowNoSecretsAndATestSendSaysWhatHappened) {
  auto r = Client(admin_).Get("/api/v1/channels");
  json channels = Json(r, 200);
  EXPECT_EQ(channels["email"]["host"], "127.0.0.1");
  EXPECT_EQ(channels["email"]["port"], 9);
  EXPECT_EQ(channels["email"]["authenticates"], true);
  EXPECT_EQ(r->body.find("s3cret-pw"), std::string::npos) << r->body;
  EXPECT_EQ(r->body.find("mailer"), std::string::npos) << r->body;
  EXPECT_EQ(channels["sms"]["configured"], false);
  Json(Client(marketer_).Get("/api/v1/channels"), 403);

  json bad = Json(Client(admin_).Post("/api/v1/channels/email/test", R"({"to":"not an address"})",
                                      "application/json"),
                  400);
  EXPECT_EQ(bad["error"]["field"], "to");
  // Nobody listens on port 9: not accepted, and said where it failed.
  json sent = Json(Client(admin_).Post("/api/v1/channels/email/test", R"({"to":"ops@example.com"})",
                                       "application/json"),
                   200);
  EXPECT_EQ(sent["accepted"], false);
  EXPECT_EQ(sent["outcome"], "transient_failure") << sent.dump();
  EXPECT_NE(sent["detail"].get<std::string>().find("connect"), std::string::npos) << sent.dump();
  json sms = Json(Client(admin_).Post("/api/v1/channels/sms/test", R"({"to":"+46701234567"})",
                                      "application/json"),
                  409);
  EXPECT_NE(sms["error"]["message"].get<std::string>().find("no SMS gateway"), std::string::npos);
}

TEST_F(WebApi, ABackupIsAWorkingCopyOfTheDatabase) {
  Json(Client(marketer_).Post("/api/v1/backups", "{}", "application/json"), 403);
  json made = Json(Client(admin_).Post("/api/v1/backups", "{}", "application/json"), 201);
  const std::string name = made["name"];
  EXPECT_EQ(name.rfind("patron-", 0), 0u);
  fs::path file = dir_ / "backups" / name;
  ASSERT_TRUE(fs::exists(file));
  EXPECT_GT(made["bytes"].get<int64_t>(), 0);
  json list = Json(Client(admin_).Get("/api/v1/backups"), 200);
  ASSERT_FALSE(list["backups"].empty());
  EXPECT_EQ(list["backups"][0]["name"], name);
  // The copy opens and holds the users.
  auto users = RunPatron({"--db", file.string(), "--json", "user", "list"}, true);
  EXPECT_EQ(users.exit_code, 0) << users.out;
  EXPECT_NE(users.out.find("web-admin"), std::string::npos) << users.out;
}

TEST_F(WebApi, AdminsAddRenameDescribeAndRetireConsentPurposes) {
  const std::string path = "/api/v1/consent-purposes";
  const std::string body =
      R"({"name":"product_updates","title":"Product updates","description":"News about what you bought"})";
  // Admins only, on the server.
  Json(Client(marketer_).Post(path, body, "application/json"), 403);
  Json(Client(analyst_).Patch(path + "/product_updates", R"({"title":"x"})", "application/json"), 403);

  json bad = Json(Client(admin_).Post(path, R"({"name":"Product Updates"})", "application/json"), 400);
  EXPECT_EQ(bad["error"]["field"], "name");
  EXPECT_NE(bad["error"]["message"].get<std::string>().find("a-z, 0-9"), std::string::npos) << bad.dump();
  std::string long_title;
  for (int i = 0; i < 101; ++i) long_title += "ä";
  json too_long = Json(Client(admin_).Post(path, json{{"name", "long"}, {"title", long_title}}.dump(), "application/json"), 400);
  EXPECT_EQ(too_long["error"]["field"], "title");
  EXPECT_NE(too_long["error"]["message"].get<std::string>().find("101 characters; at most 100"), std::string::npos);

  json made = Json(Client(admin_).Post(path, body, "application/json"), 201);
  EXPECT_EQ(made["name"], "product_updates");
  EXPECT_EQ(made["title"], "Product updates");
  EXPECT_TRUE(made["described"].get<bool>());
  EXPECT_TRUE(made["retired_at"].is_null());
  json twice = Json(Client(admin_).Post(path, body, "application/json"), 409);
  EXPECT_EQ(twice["error"]["field"], "name");

  auto listed = [&](const std::string& name) {
    json all = Json(Client(analyst_).Get(path), 200);
    EXPECT_TRUE(all["purposes"].is_array());
    for (const json& d : all["definitions"])
      if (d["name"] == name) return d;
    return json();
  };
  EXPECT_EQ(listed("product_updates")["description"], "News about what you bought");

  // Renaming changes the title people read; the key consents hold stays.
  json renamed = Json(Client(admin_).Patch(path + "/product_updates", R"({"title":"  Product news "})", "application/json"), 200);
  EXPECT_EQ(renamed["name"], "product_updates");
  EXPECT_EQ(renamed["title"], "Product news");
  EXPECT_EQ(renamed["description"], "News about what you bought");
  EXPECT_EQ(renamed["created_at"], made["created_at"]);
  json nothing = Json(Client(admin_).Patch(path + "/product_updates", "{}", "application/json"), 400);
  EXPECT_EQ(nothing["error"]["field"], "title");
  json not_bool = Json(Client(admin_).Patch(path + "/product_updates", R"({"retired":"yes"})", "application/json"), 400);
  EXPECT_EQ(not_bool["error"]["field"], "retired");

  // Retired, and back.
  json retired = Json(Client(admin_).Patch(path + "/product_updates", R"({"retired":true})", "application/json"), 200);
  EXPECT_FALSE(retired["retired_at"].is_null());
  EXPECT_FALSE(listed("product_updates")["retired_at"].is_null());
  json back = Json(Client(admin_).Patch(path + "/product_updates", R"({"retired":false})", "application/json"), 200);
  EXPECT_TRUE(back["retired_at"].is_null());

  json missing = Json(Client(admin_).Patch(path + "/no_such_purpose", R"({"title":"x"})", "application/json"), 404);
  EXPECT_EQ(missing["error"]["field"], "name");

  // A purpose a campaign names but nobody described is listed, and described by its first edit.
  Json(Client(admin_).Post("/api/v1/campaigns",
                           json{{"name", "loyalty calls"},
                                {"channel", "call_list"},
                                {"purpose", "loyalty_club"},
                                {"audience", "country = \"SE\""},
                                {"contents", json::array({{{"variant", "A"}, {"language", ""}, {"split_percent", 100},
                                                           {"text", "Welcome {{name}} to the club"}}})}}
                               .dump(),
                           "application/json"),
       201);
  json undescribed = listed("loyalty_club");
  ASSERT_FALSE(undescribed.is_null());
  EXPECT_FALSE(undescribed["described"].get<bool>());
  json described = Json(
      Client(admin_).Patch(path + "/loyalty_club", R"({"description":"Offers for club members"})", "application/json"),
      200);
  EXPECT_TRUE(described["described"].get<bool>());
  EXPECT_EQ(listed("loyalty_club")["description"], "Offers for club members");

  // Every change is in the audit log, with the fields it changed.
  json audit = Json(Client(admin_).Get("/api/v1/audit?action=consent_purpose.update"), 200);
  EXPECT_NE(audit.dump().find("product_updates"), std::string::npos) << audit.dump();
  EXPECT_NE(audit.dump().find("retired"), std::string::npos) << audit.dump();
  json created = Json(Client(admin_).Get("/api/v1/audit?action=consent_purpose.create"), 200);
  EXPECT_NE(created.dump().find("product_updates"), std::string::npos) << created.dump();
}

TEST_F(WebApi, ARetiredConsentPurposeTakesWithdrawalsButNoNewGrants) {
  auto c = Client(admin_);
  json started = Json(c.Post("/api/v1/imports?kind=customers&source=purpose-crm&format=csv",
                             "customer_id,name,email\nP-1,Sara Retired,sara.retired@example.com\n", "text/csv"),
                      202);
  ASSERT_EQ(WaitForImport(c, started["id"])["status"], "finished");
  json found = Json(c.Get("/api/v1/customers?email=sara.retired%40example.com"), 200);
  ASSERT_EQ(found["customers"].size(), 1u) << found.dump();
  const std::string consents =
      "/api/v1/customers/" + std::to_string(found["customers"][0]["id"].get<int64_t>()) + "/consents";
  const std::string grant =
      R"({"channel":"email","purpose":"winter_sale","status":"granted","method":"written","proof":"form 7"})";
  const std::string withdraw = R"({"channel":"email","purpose":"winter_sale","status":"withdrawn"})";
  Json(c.Post("/api/v1/consent-purposes", R"({"name":"winter_sale","title":"Winter sale"})", "application/json"), 201);
  Json(c.Post(consents, grant, "application/json"), 201);

  Json(c.Patch("/api/v1/consent-purposes/winter_sale", R"({"retired":true})", "application/json"), 200);
  json refused = Json(c.Post(consents, grant, "application/json"), 409);
  EXPECT_EQ(refused["error"]["field"], "purpose");
  EXPECT_NE(refused["error"]["message"].get<std::string>().find("\"winter_sale\" is retired"), std::string::npos)
      << refused.dump();
  // The person can still say no.
  json after = Json(c.Post(consents, withdraw, "application/json"), 201);
  int withdrawals = 0;
  for (const json& k : after["consents"]) withdrawals += k["purpose"] == "winter_sale" && k["status"] == "withdrawn";
  EXPECT_EQ(withdrawals, 1) << after.dump();

  // Brought back, it takes grants again; a purpose nobody described is never refused.
  Json(c.Patch("/api/v1/consent-purposes/winter_sale", R"({"retired":false})", "application/json"), 200);
  Json(c.Post(consents, grant, "application/json"), 201);
  Json(c.Post(consents, R"({"channel":"sms","purpose":"never_described","status":"granted","method":"written","proof":"f"})",
              "application/json"),
       201);
}

TEST_F(WebApi, FlagsSayWhatTheContactPolicyHoldsAgainstACustomer) {
  auto c = Client(admin_);
  const std::string file =
      "customer_id,name,phone,country,tags,consent_phone,consent_method,consent_proof\n"
      "F-1,Reza Key,+989121230001,IR,key_account,yes,written,signed form 17\n"
      "F-2,Lina Debt,+46701230002,SE,in_collections,yes,written,signed form 18\n"
      "F-3,Nils Offer,+46701230003,SE,,yes,written,signed form 19\n";
  json started = Json(
      c.Post("/api/v1/imports?kind=customers&source=flags-crm&format=csv", file, "text/csv"), 202);
  ASSERT_EQ(WaitForImport(c, started["id"])["status"], "finished");
  auto id_of = [&](const std::string& phone) {
    json found = Json(c.Get("/api/v1/customers?phone=" + phone), 200);
    EXPECT_EQ(found["customers"].size(), 1u) << found.dump();
    return found["customers"].empty() ? std::string("0")
                                      : std::to_string(found["customers"][0]["id"].get<int64_t>());
  };
  const std::string key = id_of("%2B989121230001"), debt = id_of("%2B46701230002"),
                    offer = id_of("%2B46701230003");

  json k = Json(c.Get("/api/v1/customers/" + key + "/flags"), 200);
  EXPECT_TRUE(k["key_account"].get<bool>());
  EXPECT_FALSE(k["in_collections"].get<bool>());
  json d = Json(c.Get("/api/v1/customers/" + debt + "/flags"), 200);
  EXPECT_TRUE(d["in_collections"].get<bool>());
  EXPECT_FALSE(d["key_account"].get<bool>());

  // A call list to Sweden offering a product: once prepared, Nils has an active offer.
  json campaign =
      Json(c.Post("/api/v1/campaigns",
                  json{{"name", "gold card calls"},
                       {"channel", "call_list"},
                       {"audience", "country = \"SE\""},
                       {"offer_product", "gold card"},
                       {"team", "cards"},
                       {"contents", json::array({{{"variant", "A"},
                                                  {"language", ""},
                                                  {"split_percent", 100},
                                                  {"text", "Offer {{name}} a gold card"}}})}}
                      .dump(),
                  "application/json"),
           201);
  const std::string campaign_path =
      "/api/v1/campaigns/" + std::to_string(campaign["id"].get<int64_t>());
  json prepared = Json(c.Post(campaign_path + "/prepare", "{}", "application/json"), 200);
  EXPECT_EQ(prepared["targets"], 1) << prepared.dump();  // Nils; Lina is in collections
  EXPECT_EQ(prepared["suppressed_by_reason"]["in_collections"], 1) << prepared.dump();
  json o = Json(c.Get("/api/v1/customers/" + offer + "/flags"), 200);
  ASSERT_EQ(o["active_offers"].size(), 1u) << o.dump();
  EXPECT_EQ(o["active_offers"][0]["offer_product"], "gold card");
  EXPECT_EQ(o["active_offers"][0]["team"], "cards");
  EXPECT_EQ(o["policy"]["key_account_tag"], "key_account");

  Json(Client(analyst_).Get("/api/v1/customers/" + key + "/flags"), 403);
  Json(c.Get("/api/v1/customers/99999999/flags"), 404);
}

}  // namespace
}  // namespace patron
