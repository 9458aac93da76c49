// The REST API of `patron serve` as a client uses it: keys and sessions, roles,
// uploads with progress, the one customer view, segments, consent, export,
// erasure and the audit trail.
#include <gtest/gtest.h>
#include <httplib.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "patron_process.h"

namespace patron {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::RunPatron;
using testing::ServeProcess;

const char* kCustomersCsv =
    "customer_id,first_name,last_name,email,mobile,city,country,birth_date\n"
    "C-1,Sara,Ahmadi,sara.ahmadi@example.com,+989121234567,Tehran,IR,1990-03-21\n"
    "C-2,محمد,رضایی,m.rezaei@example.ir,+989351112233,تهران,Iran,1985-07-01\n"
    "C-3,Åsa,Lindqvist,asa@example.se,+46701234567,Malmö,Sweden,1979-12-24\n"
    "C-4,Omar,Haddad,omar@example.ae,+971501234567,Dubai,AE,2001-01-15\n"
    "C-5,\"broken\n";

std::string PercentEncode(const std::string& s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// The audit entries `query` (a GET of /api/v1/audit) finds, once there are at
// least `n`: reads are written by the audit thread within ~50 ms. What it
// finds after 2.5 s otherwise.
json AuditEntries(httplib::Client& client, const std::string& query, size_t n) {
  json found;
  for (int i = 0; i < 50; ++i) {
    auto r = client.Get("/api/v1/audit?" + query);
    json page = r ? json::parse(r->body, nullptr, false) : json();
    found = page.is_object() && page.contains("entries") ? page["entries"] : json::array();
    if (found.size() >= n) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return found;
}

class ServeApi : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / ("patron-api-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    db_ = (dir_ / "api.db").string();
    admin_ = Key("admin", "admin-key");
    analyst_ = Key("analyst", "analyst-key");
    support_ = Key("support", "support-key");
    collector_ = Key("collector", "web");
    server_ = new ServeProcess(db_);
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

  static httplib::Client Client(const std::string& key) {
    httplib::Client c(server_->url());
    if (!key.empty()) c.set_bearer_token_auth(key);
    c.set_read_timeout(30, 0);
    return c;
  }

  static json Json(const httplib::Result& r) {
    EXPECT_TRUE(r);
    if (!r) return json();
    json j = json::parse(r->body, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r->body;
    return j;
  }

  // Uploads the customers file once, through the API, and waits for the import.
  static void Import() {
    static bool done = false;
    if (done) return;
    done = true;
    auto c = Client(admin_);
    auto started = c.Post("/api/v1/imports?kind=customers&source=crm&format=csv", kCustomersCsv, "text/csv");
    ASSERT_TRUE(started);
    ASSERT_EQ(started->status, 202) << started->body;
    int64_t id = json::parse(started->body)["id"];
    json job;
    for (int i = 0; i < 300; ++i) {
      job = Json(c.Get("/api/v1/imports/" + std::to_string(id)));
      if (job["status"] != "running") break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_EQ(job["status"], "finished") << job.dump();
    EXPECT_EQ(job["progress"]["percent"], 100.0);
    EXPECT_EQ(job["report"]["inserted"], 4);
    EXPECT_EQ(job["report"]["rejected"], 1);
  }

  static int64_t IdOf(const std::string& email) {
    json r = Json(Client(admin_).Get("/api/v1/customers?email=" + email));
    EXPECT_EQ(r["customers"].size(), 1u) << r.dump();
    return r["customers"].empty() ? 0 : r["customers"][0]["id"].get<int64_t>();
  }

  static inline fs::path dir_;
  static inline std::string db_, admin_, analyst_, support_, collector_;
  static inline ServeProcess* server_ = nullptr;
};

TEST_F(ServeApi, EveryRouteAsksWhoIsAskingAndChecksTheRole) {
  ASSERT_GT(server_->port(), 0);
  auto none = Client("").Get("/api/v1/customers");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 401);
  EXPECT_EQ(none->get_header_value("WWW-Authenticate"), "Bearer");
  EXPECT_EQ(Json(none)["error"]["code"], "unauthenticated");

  auto forged = Client("pat_forged0000000000000000000000000000000000000").Get("/api/v1/customers");
  ASSERT_TRUE(forged);
  EXPECT_EQ(forged->status, 401);

  auto analyst = Client(analyst_).Get("/api/v1/customers");
  ASSERT_TRUE(analyst);
  EXPECT_EQ(analyst->status, 403);
  EXPECT_NE(Json(analyst)["error"]["message"].get<std::string>().find("analyst"), std::string::npos);
  auto analyst_count = Client(analyst_).Post("/api/v1/segments/count", R"({"definition":"country = \"SE\""})",
                                             "application/json");
  ASSERT_TRUE(analyst_count);
  EXPECT_EQ(analyst_count->status, 200) << analyst_count->body;

  // An upload refused before its body is read closes the connection; the next
  // request (a new connection) is answered normally.
  auto refused_upload = Client(analyst_).Post("/api/v1/imports?kind=customers&source=x", std::string(100000, 'x'),
                                              "text/csv");
  ASSERT_TRUE(refused_upload);
  EXPECT_EQ(refused_upload->status, 403);
  auto collector = Client(collector_).Get("/api/v1/stats");
  ASSERT_TRUE(collector);
  EXPECT_EQ(collector->status, 403);

  auto support_users = Client(support_).Get("/api/v1/users");
  ASSERT_TRUE(support_users);
  EXPECT_EQ(support_users->status, 403);

  json quality = Json(Client(analyst_).Get("/api/v1/quality"));
  ASSERT_TRUE(quality.contains("contact_points")) << quality.dump();
  for (const auto& g : quality["invalid_values"]) EXPECT_TRUE(g["examples"].empty()) << "analysts see no values";
  json me = Json(Client(admin_).Get("/api/v1/me"));
  EXPECT_EQ(me["role"], "admin");
}

// A page of another site can make the browser send the session cookie, but it
// cannot read the CSRF token: cookie requests that change something need it.
TEST_F(ServeApi, CookieRequestsThatChangeSomethingNeedTheCsrfToken) {
  std::string cmd = "printf 'csrf test password\\n' | " + testing::ShellQuote(PATRON_BINARY) + " --db " +
                    testing::ShellQuote(db_) + " user add csrf-admin --role admin --password-stdin > /dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  auto c = Client("");
  auto signed_in = c.Post("/api/v1/sessions", R"({"name":"csrf-admin","password":"csrf test password"})",
                          "application/json");
  ASSERT_TRUE(signed_in);
  ASSERT_EQ(signed_in->status, 201) << signed_in->body;
  json session = json::parse(signed_in->body);
  const std::string token = session["csrf_token"];
  EXPECT_EQ(token.size(), 64u);
  EXPECT_NE(token, session["token"]);
  EXPECT_FALSE(session["permissions"].empty());
  std::string set_cookie = signed_in->get_header_value("Set-Cookie");
  EXPECT_EQ(set_cookie.find("Secure"), std::string::npos) << "plain http on loopback: no Secure attribute";
  httplib::Headers cookie = {{"Cookie", set_cookie.substr(0, set_cookie.find(';'))}};
  const std::string body = R"js({"definition":"reachable(email)"})js";

  auto without = c.Post("/api/v1/segments/count", cookie, body, "application/json");
  ASSERT_TRUE(without);
  EXPECT_EQ(without->status, 403);
  json error = json::parse(without->body)["error"];
  EXPECT_EQ(error["code"], "permission_denied");
  EXPECT_NE(error["message"].get<std::string>().find("CSRF token missing"), std::string::npos) << error;
  EXPECT_EQ(error["field"], "X-CSRF-Token");

  httplib::Headers wrong = cookie;
  wrong.emplace("X-CSRF-Token", std::string(64, 'a'));
  auto mismatched = c.Post("/api/v1/segments/count", wrong, body, "application/json");
  ASSERT_TRUE(mismatched);
  EXPECT_EQ(mismatched->status, 403);

  httplib::Headers with = cookie;
  with.emplace("X-CSRF-Token", token);
  auto accepted = c.Post("/api/v1/segments/count", with, body, "application/json");
  ASSERT_TRUE(accepted);
  EXPECT_EQ(accepted->status, 200) << accepted->body;

  // The browser says where a forged request comes from: refused even with a token.
  httplib::Headers cross_site = with;
  cross_site.emplace("Sec-Fetch-Site", "cross-site");
  auto forged = c.Post("/api/v1/segments/count", cross_site, body, "application/json");
  ASSERT_TRUE(forged);
  EXPECT_EQ(forged->status, 403);
  httplib::Headers other_origin = with;
  other_origin.emplace("Origin", "https://attacker.example");
  auto forged_origin = c.Post("/api/v1/segments/count", other_origin, body, "application/json");
  ASSERT_TRUE(forged_origin);
  EXPECT_EQ(forged_origin->status, 403);
  httplib::Headers same_origin = with;
  same_origin.emplace("Origin", server_->url());
  same_origin.emplace("Sec-Fetch-Site", "same-origin");
  auto own_page = c.Post("/api/v1/segments/count", same_origin, body, "application/json");
  ASSERT_TRUE(own_page);
  EXPECT_EQ(own_page->status, 200) << own_page->body;

  // Behind a reverse proxy that rewrites Host, X-Forwarded-Host names the browser's host.
  httplib::Headers proxied = with;
  proxied.emplace("Origin", "https://patron.example.com");
  proxied.emplace("X-Forwarded-Host", "patron.example.com");
  auto through_proxy = c.Post("/api/v1/segments/count", proxied, body, "application/json");
  ASSERT_TRUE(through_proxy);
  EXPECT_EQ(through_proxy->status, 200) << through_proxy->body;

  // Reads need no token; API keys (no ambient credential) need none either.
  auto read = c.Get("/api/v1/segments", cookie);
  ASSERT_TRUE(read);
  EXPECT_EQ(read->status, 200);
  auto by_key = Client(admin_).Post("/api/v1/segments/count", body, "application/json");
  ASSERT_TRUE(by_key);
  EXPECT_EQ(by_key->status, 200);
  // Nor does the session token sent as a bearer (a script, not a browser).
  httplib::Headers bearer = {{"Authorization", "Bearer " + session["token"].get<std::string>()}};
  auto by_bearer = c.Post("/api/v1/segments/count", bearer, body, "application/json");
  ASSERT_TRUE(by_bearer);
  EXPECT_EQ(by_bearer->status, 200);

  // Login CSRF: another site cannot sign the browser in.
  httplib::Headers foreign = {{"Origin", "https://attacker.example"}};
  auto login = c.Post("/api/v1/sessions", foreign, R"({"name":"csrf-admin","password":"csrf test password"})",
                      "application/json");
  ASSERT_TRUE(login);
  EXPECT_EQ(login->status, 403);
}

// Behind a TLS proxy (X-Forwarded-Proto: https) the cookie is Secure (secure_cookies = auto).
TEST_F(ServeApi, SessionCookieIsSecureBehindTls) {
  std::string cmd = "printf 'tls test password\\n' | " + testing::ShellQuote(PATRON_BINARY) + " --db " +
                    testing::ShellQuote(db_) + " user add tls-user --role support --password-stdin > /dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  httplib::Headers proxied = {{"X-Forwarded-Proto", "https"}};
  auto r = Client("").Post("/api/v1/sessions", proxied, R"({"name":"tls-user","password":"tls test password"})",
                           "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 201) << r->body;
  EXPECT_NE(r->get_header_value("Set-Cookie").find("; Secure"), std::string::npos) << r->get_header_value("Set-Cookie");
}

TEST_F(ServeApi, SessionsForTheWebApplication) {
  std::string cmd = "printf 'correct horse battery\\n' | " + testing::ShellQuote(PATRON_BINARY) + " --db " +
                    testing::ShellQuote(db_) + " user add agent --role support --password-stdin > /dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  auto c = Client("");
  auto wrong = c.Post("/api/v1/sessions", R"({"name":"agent","password":"wrong password!"})", "application/json");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401);
  auto ok = c.Post("/api/v1/sessions", R"({"name":"agent","password":"correct horse battery"})", "application/json");
  ASSERT_TRUE(ok);
  ASSERT_EQ(ok->status, 201) << ok->body;
  std::string cookie = ok->get_header_value("Set-Cookie");
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos);
  EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos);
  std::string session = cookie.substr(0, cookie.find(';'));
  httplib::Headers headers = {{"Cookie", session}};
  json me = Json(c.Get("/api/v1/me", headers));
  EXPECT_EQ(me["role"], "support");
  EXPECT_EQ(me["actor"], "user:agent");
  ASSERT_TRUE(me.contains("csrf_token"));
  EXPECT_EQ(me["csrf_token"], json::parse(ok->body)["csrf_token"]);
  headers.emplace("X-CSRF-Token", me["csrf_token"].get<std::string>());
  auto out = c.Delete("/api/v1/sessions", headers);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->status, 204);
  auto after = c.Get("/api/v1/me", headers);
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, 401);

  // Guessing: ten failures in a minute, then 429 even for the right password.
  int throttled = 0;
  for (int i = 0; i < 12; ++i) {
    auto guess = c.Post("/api/v1/sessions", R"({"name":"agent","password":"guess number )" + std::to_string(i) + R"("})",
                        "application/json");
    ASSERT_TRUE(guess);
    if (guess->status == 429) ++throttled;
  }
  EXPECT_GE(throttled, 1);
  auto right = c.Post("/api/v1/sessions", R"({"name":"agent","password":"correct horse battery"})", "application/json");
  ASSERT_TRUE(right);
  EXPECT_EQ(right->status, 429);
  EXPECT_EQ(right->get_header_value("Retry-After"), "60");
  auto admin = Client(admin_);
  EXPECT_GE(AuditEntries(admin, "action=session.failed", 10).size(), 10u);
}

TEST_F(ServeApi, ImportSearchViewUpdateAndTimeline) {
  Import();
  auto c = Client(admin_);
  int64_t sara = IdOf("Sara.Ahmadi@Example.com");
  ASSERT_GT(sara, 0);
  json by_phone = Json(c.Get("/api/v1/customers?phone=09351112233&country=IR"));
  ASSERT_EQ(by_phone["customers"].size(), 1u) << by_phone.dump();
  EXPECT_EQ(by_phone["customers"][0]["email"], "m.rezaei@example.ir");
  // Names in any script, compared folded: "محمد" finds "محمد", "asa" finds "Åsa"?
  json by_name = Json(c.Get("/api/v1/customers?q=" + PercentEncode("رضایی")));
  ASSERT_EQ(by_name["customers"].size(), 1u) << by_name.dump();
  json short_q = Json(c.Get("/api/v1/customers?q=a"));
  EXPECT_EQ(short_q["error"]["field"], "q");

  json bad_cursor = Json(c.Get("/api/v1/customers?cursor=abc"));
  EXPECT_EQ(bad_cursor["error"]["field"], "cursor");
  json bad_limit = Json(c.Get("/api/v1/customers?limit=100000"));
  EXPECT_EQ(bad_limit["error"]["field"], "limit");
  json page1 = Json(c.Get("/api/v1/customers?limit=3"));
  ASSERT_EQ(page1["customers"].size(), 3u);
  ASSERT_TRUE(page1["next_cursor"].is_string());
  json page2 = Json(c.Get("/api/v1/customers?limit=3&cursor=" + page1["next_cursor"].get<std::string>()));
  ASSERT_EQ(page2["customers"].size(), 1u);
  EXPECT_TRUE(page2["next_cursor"].is_null());
  EXPECT_GT(page2["customers"][0]["id"].get<int64_t>(), page1["customers"][2]["id"].get<int64_t>());

  json view = Json(c.Get("/api/v1/customers/" + std::to_string(sara)));
  EXPECT_EQ(view["profile"]["given_name"], "Sara");
  EXPECT_EQ(view["contact_points"].size(), 2u);
  // Each contact point with how likely it still works (just imported: all but
  // certainly), at the store's decay rate.
  EXPECT_EQ(view["monthly_decay"], 0.025) << view.dump();
  for (const auto& cp : view["contact_points"]) {
    EXPECT_GT(cp["freshness"].get<double>(), 0.99) << cp.dump();
    EXPECT_LE(cp["freshness"].get<double>(), 1.0) << cp.dump();
    EXPECT_EQ(cp["stale"], false) << cp.dump();
  }
  auto not_found = c.Get("/api/v1/customers/999999");
  ASSERT_TRUE(not_found);
  EXPECT_EQ(not_found->status, 404);
  auto bad_id = c.Get("/api/v1/customers/abc");
  ASSERT_TRUE(bad_id);
  EXPECT_EQ(bad_id->status, 400);

  std::string path = "/api/v1/customers/" + std::to_string(sara);
  json unknown = Json(c.Patch(path, R"({"shoe_size":"42"})", "application/json"));
  EXPECT_EQ(unknown["error"]["field"], "shoe_size");
  json wrong_type = Json(c.Patch(path, R"({"city":42})", "application/json"));
  EXPECT_EQ(wrong_type["error"]["field"], "city");
  json bad_size = Json(c.Patch(path, R"({"household_size":"many"})", "application/json"));
  EXPECT_EQ(bad_size["error"]["field"], "household_size");
  json bad_timeline = Json(c.Get(path + "/timeline?cursor=x:event:1"));
  EXPECT_EQ(bad_timeline["error"]["field"], "cursor");
  json bad_date = Json(c.Patch(path, R"({"birth_date":"31/31/1990"})", "application/json"));
  EXPECT_EQ(bad_date["error"]["field"], "birth_date");
  auto not_json = c.Patch(path, "{city:", "application/json");
  ASSERT_TRUE(not_json);
  EXPECT_EQ(not_json->status, 400);
  json updated = Json(c.Patch(path, R"({"city":"Shiraz","time_zone":"Asia/Tehran","country":"Iran"})", "application/json"));
  EXPECT_EQ(updated["profile"]["city"], "Shiraz");
  EXPECT_EQ(updated["profile"]["time_zone"], "Asia/Tehran");

  // Events sent with the CRM's customer id land on the CRM customer.
  httplib::Client collect(server_->url());
  collect.set_basic_auth(collector_, "");
  std::string batch = R"({"batch":[)";
  for (int i = 0; i < 5; ++i) {
    batch += std::string(i ? "," : "") + R"({"type":"track","userId":"C-1","event":"Viewed )" + std::to_string(i) +
             R"(","timestamp":"2026-11-0)" + std::to_string(i + 1) + R"(T10:00:00Z"})";
  }
  batch += "]}";
  auto sent = collect.Post("/v1/batch", batch, "application/json");
  ASSERT_TRUE(sent);
  ASSERT_EQ(sent->status, 200);
  json t1 = Json(c.Get(path + "/timeline?limit=3"));
  ASSERT_EQ(t1["items"].size(), 3u) << t1.dump();
  EXPECT_EQ(t1["items"][0]["type"], "Viewed 4");
  json t2 = Json(c.Get(path + "/timeline?limit=3&cursor=" + t1["next_cursor"].get<std::string>()));
  ASSERT_EQ(t2["items"].size(), 2u) << t2.dump();
  EXPECT_EQ(t2["items"][1]["type"], "Viewed 0");
  EXPECT_TRUE(t2["next_cursor"].is_null());
}

TEST_F(ServeApi, ConsentNeedsProof) {
  Import();
  auto c = Client(admin_);
  int64_t asa = IdOf("asa@example.se");
  std::string path = "/api/v1/customers/" + std::to_string(asa) + "/consents";
  json no_proof = Json(c.Post(path, R"({"channel":"sms","status":"granted","method":"single_opt_in"})", "application/json"));
  EXPECT_EQ(no_proof["error"]["field"], "proof");
  json bad_channel = Json(c.Post(path, R"({"channel":"pigeon","status":"granted","proof":"x"})", "application/json"));
  EXPECT_EQ(bad_channel["error"]["field"], "channel");
  auto granted = c.Post(path, R"({"channel":"sms","status":"granted","method":"double_opt_in","proof":"form 7, 2026-11-20"})",
                        "application/json");
  ASSERT_TRUE(granted);
  ASSERT_EQ(granted->status, 201) << granted->body;
  json consents = json::parse(granted->body)["consents"];
  ASSERT_EQ(consents.size(), 1u);
  EXPECT_EQ(consents[0]["status"], "granted");
  auto withdrawn = c.Post(path, R"({"channel":"sms","status":"withdrawn","method":"written","proof":"letter"})",
                          "application/json");
  ASSERT_TRUE(withdrawn);
  EXPECT_EQ(json::parse(withdrawn->body)["consents"][0]["status"], "withdrawn");
  std::string cp = "/api/v1/customers/" + std::to_string(asa) + "/contact-points";
  json typo = Json(c.Post(cp, R"({"kind":"email","value":"asa@gmial"})", "application/json"));
  EXPECT_EQ(typo["error"]["field"], "value") << typo.dump();
  auto added = c.Post(cp, R"({"kind":"phone","value":"070-123 45 99","country":"SE","status":"verified"})",
                      "application/json");
  ASSERT_TRUE(added);
  ASSERT_EQ(added->status, 201) << added->body;
  EXPECT_EQ(json::parse(added->body)["value"], "+46701234599");
  auto analyst = Client(analyst_).Post(path, R"({"channel":"sms","status":"granted","proof":"x"})", "application/json");
  ASSERT_TRUE(analyst);
  EXPECT_EQ(analyst->status, 403);
}

TEST_F(ServeApi, SegmentsCountExplainPreviewAndSave) {
  Import();
  auto c = Client(admin_);
  json count = Json(c.Post("/api/v1/segments/count", R"({"definition":"country = \"IR\""})", "application/json"));
  EXPECT_EQ(count["count"], 2) << count.dump();
  json explain = Json(c.Post("/api/v1/segments/explain",
                             R"({"definition":"country = \"IR\" and age between 30 and 45"})", "application/json"));
  ASSERT_EQ(explain["clauses"].size(), 2u) << explain.dump();
  EXPECT_EQ(explain["clauses"][0]["matched"], 2);
  json preview = Json(c.Post("/api/v1/segments/preview?limit=1", R"({"definition":"country = \"IR\""})",
                             "application/json"));
  EXPECT_EQ(preview["count"], 2);
  EXPECT_EQ(preview["customers"].size(), 1u);
  json syntax = Json(c.Post("/api/v1/segments/count", R"({"definition":"country = "})", "application/json"));
  EXPECT_EQ(syntax["error"]["code"], "invalid_argument");
  EXPECT_NE(syntax["error"]["message"].get<std::string>().find("1:"), std::string::npos) << syntax.dump();
  auto saved = c.Put("/api/v1/segments/iranians", R"({"definition":"country = \"IR\"","description":"IR"})",
                     "application/json");
  ASSERT_TRUE(saved);
  EXPECT_EQ(saved->status, 200) << saved->body;
  json list = Json(c.Get("/api/v1/segments"));
  ASSERT_EQ(list["segments"].size(), 1u);
  EXPECT_EQ(list["segments"][0]["name"], "iranians");
  json by_ref = Json(c.Post("/api/v1/segments/count", R"j({"definition":"segment(\"iranians\")"})j", "application/json"));
  EXPECT_EQ(by_ref["count"], 2);
  // Membership over time, as `patron segment refresh` records it.
  auto refreshed = RunPatron({"--db", db_, "segment", "refresh"}, true);
  EXPECT_EQ(refreshed.exit_code, 0) << refreshed.out;
  json history = Json(c.Get("/api/v1/segments/iranians/history"));
  ASSERT_EQ(history["days"].size(), 1u) << history.dump();
  EXPECT_EQ(history["days"][0]["members"], 2);
  EXPECT_EQ(history["days"][0]["entered"], 2);
  auto no_history = c.Get("/api/v1/segments/nobody/history");
  ASSERT_TRUE(no_history);
  EXPECT_EQ(no_history->status, 404);
  auto deleted = c.Delete("/api/v1/segments/iranians");
  ASSERT_TRUE(deleted);
  EXPECT_EQ(deleted->status, 204);
}

TEST_F(ServeApi, ExportEraseAndTheAuditTrail) {
  Import();
  auto c = Client(admin_);
  int64_t omar = IdOf("omar@example.ae");
  std::string path = "/api/v1/customers/" + std::to_string(omar);
  auto support_export = Client(support_).Get(path + "/export");
  ASSERT_TRUE(support_export);
  EXPECT_EQ(support_export->status, 403);
  auto exported = c.Get(path + "/export");
  ASSERT_TRUE(exported);
  ASSERT_EQ(exported->status, 200);
  EXPECT_NE(exported->body.find("omar@example.ae"), std::string::npos);
  json plan = Json(c.Delete(path + "?dry_run=true"));
  EXPECT_EQ(plan["dry_run"], true);
  json erased = Json(c.Delete(path));
  EXPECT_EQ(erased["erased"], true) << erased.dump();
  auto gone = c.Get(path);
  ASSERT_TRUE(gone);
  EXPECT_EQ(gone->status, 404);
  // The website still knows the person's id: their events are not stored again.
  httplib::Client collect(server_->url());
  collect.set_basic_auth(collector_, "");
  auto again = collect.Post("/v1/identify", R"({"userId":"C-4","traits":{"email":"omar@example.ae"}})",
                            "application/json");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 200);
  json none = Json(c.Get("/api/v1/customers?email=omar@example.ae"));
  EXPECT_EQ(none["customers"].size(), 0u) << none.dump();
  auto metrics = httplib::Client(server_->url()).Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("patron_events_erased_total 1"), std::string::npos);

  // The audit trail: who read, exported and erased the person, from where.
  json audit = AuditEntries(c, "customer_id=" + std::to_string(omar), 2);
  std::set<std::string> actions;
  for (const auto& e : audit) {
    actions.insert(e["action"].get<std::string>());
    EXPECT_EQ(e["origin"], "127.0.0.1");
    EXPECT_EQ(e["detail"].dump().find("omar@"), std::string::npos) << "no personal values in the audit log";
  }
  EXPECT_TRUE(actions.count("customer.export")) << audit.dump();
  EXPECT_TRUE(actions.count("customer.erase")) << audit.dump();
  auto analyst_audit = Client(analyst_).Get("/api/v1/audit");
  ASSERT_TRUE(analyst_audit);
  EXPECT_EQ(analyst_audit->status, 403);
}

TEST_F(ServeApi, KeysCreatedThroughTheApiWorkAndRevokedOnesStop) {
  auto c = Client(admin_);
  json created = Json(c.Post("/api/v1/keys", R"({"name":"app","role":"collector"})", "application/json"));
  std::string key = created["key"];
  ASSERT_EQ(key.rfind("pat_", 0), 0u);
  json list = Json(c.Get("/api/v1/keys"));
  EXPECT_EQ(list.dump().find(key), std::string::npos) << "the key is shown once";
  httplib::Client collect(server_->url());
  collect.set_basic_auth(key, "");
  auto ok = collect.Post("/v1/track", R"({"userId":"k1","event":"x"})", "application/json");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  auto revoked = c.Delete("/api/v1/keys/" + std::to_string(created["id"].get<int64_t>()));
  ASSERT_TRUE(revoked);
  EXPECT_EQ(revoked->status, 204);
  auto refused = collect.Post("/v1/track", R"({"userId":"k1","event":"x"})", "application/json");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 401);
}

TEST_F(ServeApi, IdsInThePathAreCheckedAndNamed) {
  auto c = Client(admin_);
  for (const auto& [path, says] : std::vector<std::pair<std::string, std::string>>{
           {"/api/v1/customers/12a", "'12a' is not a customer id"},
           {"/api/v1/customers/x/golden", "'x' is not a customer id"},
           {"/api/v1/imports/abc", "'abc' is not an import id"},
           {"/api/v1/accounts/-1/members", "'-1' is not an account id"}}) {
    auto r = c.Get(path);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 400) << path;
    json j = json::parse(r->body, nullptr, false);
    EXPECT_EQ(j["error"]["message"], says) << r->body;
    EXPECT_EQ(j["error"]["field"], "id") << r->body;
  }
  auto review = c.Post("/api/v1/identity/reviews/9x/accept", "", "application/json");
  ASSERT_TRUE(review);
  EXPECT_EQ(review->status, 400);
  EXPECT_NE(review->body.find("'9x' is not a review id"), std::string::npos) << review->body;
}

TEST_F(ServeApi, SurvivorshipRulesAndSourceTrustThroughTheApi) {
  Import();
  json policy = Json(Client(analyst_).Get("/api/v1/identity/survivorship"));
  ASSERT_EQ(policy["fields"].size(), 12u) << policy.dump();
  EXPECT_EQ(policy["fields"][0]["field"], "given_name");
  EXPECT_EQ(policy["fields"][0]["rule"], "most_frequent");
  auto forbidden = Client(analyst_).Put(
      "/api/v1/identity/survivorship", R"({"rules":{"given_name":"longest"}})", "application/json");
  ASSERT_TRUE(forbidden);
  EXPECT_EQ(forbidden->status, 403);

  auto c = Client(admin_);
  json changed =
      Json(c.Put("/api/v1/identity/survivorship",
                 R"({"rules":{"given_name":"longest"},"trust":{"crm":7}})", "application/json"));
  EXPECT_EQ(changed["fields"][0]["rule"], "longest") << changed.dump();
  EXPECT_TRUE(changed["fields"][0]["configured"].get<bool>());
  // The golden records are marked for a rewrite, which the server does in the
  // background (at a million records it takes seconds), with its progress in
  // the identity status.
  EXPECT_TRUE(changed["golden_records_stale_since"].is_string()) << changed.dump();
  json status;
  for (int i = 0; i < 100; ++i) {  // the task looks every second
    status = Json(Client(analyst_).Get("/api/v1/identity/status"));
    if (status["golden_records_stale_since"].is_null()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(status["golden_records_stale_since"].is_null()) << status.dump();
  EXPECT_TRUE(status["golden_rewrite"]["enabled"].get<bool>()) << status.dump();
  EXPECT_FALSE(status["golden_rewrite"]["running"].get<bool>()) << status.dump();
  EXPECT_TRUE(status["golden_rewrite"]["last_error"].is_null()) << status.dump();
  bool saw_crm = false;
  for (const auto& src : changed["sources"]) {
    if (src["source"] != "crm") continue;
    saw_crm = true;
    EXPECT_EQ(src["trust"], 7);
    EXPECT_TRUE(src["configured"].get<bool>());
  }
  EXPECT_TRUE(saw_crm) << changed.dump();

  // Bad requests name the member and change nothing, not even their valid parts.
  json bad_rule = Json(c.Put("/api/v1/identity/survivorship",
                             R"({"rules":{"family_name":"longest","given_name":"newest"}})",
                             "application/json"));
  EXPECT_EQ(bad_rule["error"]["field"], "rules.given_name") << bad_rule.dump();
  json bad_field = Json(c.Put("/api/v1/identity/survivorship",
                              R"({"rules":{"shoe_size":"longest"}})", "application/json"));
  EXPECT_EQ(bad_field["error"]["field"], "rules.shoe_size") << bad_field.dump();
  auto unknown_source =
      c.Put("/api/v1/identity/survivorship", R"({"trust":{"nowhere":1}})", "application/json");
  ASSERT_TRUE(unknown_source);
  EXPECT_EQ(unknown_source->status, 404);
  json bad_rank = Json(
      c.Put("/api/v1/identity/survivorship", R"({"trust":{"crm":"high"}})", "application/json"));
  EXPECT_EQ(bad_rank["error"]["field"], "trust.crm");
  json unknown_member =
      Json(c.Put("/api/v1/identity/survivorship", R"({"colour":{}})", "application/json"));
  EXPECT_EQ(unknown_member["error"]["field"], "colour");
  json after = Json(c.Get("/api/v1/identity/survivorship"));
  EXPECT_EQ(after["fields"][0]["rule"], "longest");
  EXPECT_EQ(after["fields"][1]["rule"], "most_frequent")
      << "family_name was in the refused request";

  json reset =
      Json(c.Put("/api/v1/identity/survivorship",
                 R"({"rules":{"given_name":"default"},"trust":{"crm":null}})", "application/json"));
  EXPECT_EQ(reset["fields"][0]["rule"], "most_frequent");
  EXPECT_FALSE(reset["fields"][0]["configured"].get<bool>());
  json audit = AuditEntries(c, "action=identity.survivorship", 2);
  EXPECT_EQ(audit.size(), 2u) << audit.dump();
}

// Customers that arrive through the event API are resolved by the server on
// its own: a record created by an identify call with the phone of a CRM
// customer joins that customer within the interval, without anyone running
// `patron identity resolve`. Before any run, a store over the first-run limit
// is left for the CLI, and the status says so.
TEST(ServeIdentity, NewCustomersFromEventsJoinTheirCustomerWithinTheInterval) {
  const fs::path dir =
      fs::temp_directory_path() / ("patron-serve-identity-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string db = (dir / "p.db").string();
  std::ofstream(dir / "crm.csv")
      << "customer_id,first_name,last_name,email,mobile,city,country\n"
         "C-1,Sara,Ahmadi,sara.ahmadi@example.com,+989121234567,Tehran,IR\n"
         "C-2,Omid,Nouri,omid@example.ir,+989351112233,Tabriz,IR\n";
  auto imported = RunPatron(
      {"--db", db, "import", "customers", (dir / "crm.csv").string(), "--source", "crm"}, true);
  ASSERT_EQ(imported.exit_code, 0);
  EXPECT_NE(imported.out.find(
                "2 customer record(s) wait for identity resolution: patron identity resolve\n"),
            std::string::npos)
      << imported.out;
  auto key = [&](const std::string& role, const std::string& name) {
    auto r = RunPatron({"--db", db, "key", "create", "--role", role, "--name", name}, true);
    size_t at = r.out.find("pat_");
    return at == std::string::npos ? std::string()
                                   : r.out.substr(at, r.out.find_first_of(" \n", at) - at);
  };
  const std::string analyst = key("analyst", "identity-analyst"),
                    admin = key("admin", "identity-admin");
  const std::string collector = key("collector", "web");
  ASSERT_FALSE(analyst.empty());
  auto status_of = [&](const ServeProcess& server) {
    httplib::Client c(server.url());
    c.set_bearer_token_auth(analyst);
    auto r = c.Get("/api/v1/identity/status");
    EXPECT_TRUE(r && r->status == 200) << (r ? r->body : "no answer");
    return r ? json::parse(r->body, nullptr, false) : json();
  };
  auto wait_for = [&](const ServeProcess& server, const std::function<bool(const json&)>& done) {
    json status;
    for (int i = 0; i < 300; ++i) {  // up to 30 s
      status = status_of(server);
      if (done(status)) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return status;
  };

  {
    // No run yet and more records than the limit: left for the CLI.
    std::ofstream(dir / "limit.conf") << "identity_first_run_limit = 1\n";
    ServeProcess server(db, {"--config", (dir / "limit.conf").string()},
                        {"PATRON_IDENTITY_INTERVAL=1"});
    ASSERT_GT(server.port(), 0);
    json status =
        wait_for(server, [](const json& s) { return s["automatic"]["waiting"].is_string(); });
    EXPECT_EQ(status["records"], 2);
    EXPECT_EQ(status["pending"], 2);
    EXPECT_FALSE(status["incremental_ready"].get<bool>());
    EXPECT_TRUE(status["last_run"].is_null());
    EXPECT_TRUE(status["automatic"]["enabled"].get<bool>());
    EXPECT_EQ(status["automatic"]["interval_seconds"], 1);
    EXPECT_NE(status["automatic"]["waiting"].get<std::string>().find("patron identity resolve"),
              std::string::npos)
        << status.dump();
    // The analyst reads counts only; a collector key reads nothing here.
    httplib::Client as_collector(server.url());
    as_collector.set_bearer_token_auth(collector);
    auto refused = as_collector.Get("/api/v1/identity/status");
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 403);
  }
  ASSERT_EQ(RunPatron({"--db", db, "identity", "resolve"}).exit_code, 0);
  auto first = RunPatron({"--db", db, "--json", "identity", "status"}, true);
  ASSERT_EQ(first.exit_code, 0);
  const int64_t first_run = json::parse(first.out)["last_run"]["id"];

  ServeProcess server(db, {}, {"PATRON_IDENTITY_INTERVAL=1"});
  ASSERT_GT(server.port(), 0);
  httplib::Client collect(server.url());
  collect.set_basic_auth(collector, "");
  // The same mobile as C-1, written otherwise, under a user id the CRM does
  // not know; and somebody new.
  auto sent = collect.Post("/v1/batch", R"({"batch":[
      {"type":"identify","userId":"app-501","traits":{"firstName":"Sara","lastName":"Ahmadi","phone":"+98 912 123 4567"}},
      {"type":"identify","userId":"app-502","traits":{"firstName":"Nima","lastName":"Rad","email":"nima@example.org"}}]})",
                           "application/json");
  ASSERT_TRUE(sent);
  ASSERT_EQ(sent->status, 200) << sent->body;
  json status = wait_for(server, [&](const json& s) {
    return s["pending"] == 0 && s["last_run"].is_object() &&
           s["last_run"]["id"].get<int64_t>() > first_run;
  });
  EXPECT_EQ(status["pending"], 0) << status.dump();
  EXPECT_EQ(status["records"], 4);
  EXPECT_EQ(status["last_run"]["records"], 4);
  EXPECT_EQ(status["last_run"]["clusters"], 3);
  EXPECT_EQ(status["last_run"]["rule_merges"], 1);
  EXPECT_TRUE(status["automatic"]["last_error"].is_null()) << status.dump();

  httplib::Client api(server.url());
  api.set_bearer_token_auth(admin);
  json by_phone = json::parse(api.Get("/api/v1/customers?phone=%2B989121234567")->body);
  ASSERT_EQ(by_phone["customers"].size(), 2u) << by_phone.dump();
  const int64_t crm = by_phone["customers"][0]["id"], app = by_phone["customers"][1]["id"];
  auto golden = api.Get("/api/v1/customers/" + std::to_string(app) + "/golden");
  ASSERT_TRUE(golden);
  ASSERT_EQ(golden->status, 200) << golden->body;
  json g = json::parse(golden->body);
  EXPECT_EQ(g["resolved_id"], crm);
  EXPECT_EQ(g["members"], json::array({crm, app}));
  std::map<std::string, std::string> value;
  for (const auto& f : g["fields"]) value[f["field"]] = f["value"];
  EXPECT_EQ(value["email"], "sara.ahmadi@example.com");  // from the CRM record
  EXPECT_EQ(value["given_name"], "Sara");
  auto nima = json::parse(api.Get("/api/v1/customers?email=nima@example.org")->body);
  ASSERT_EQ(nima["customers"].size(), 1u);
  json alone =
      json::parse(api.Get("/api/v1/customers/" +
                          std::to_string(nima["customers"][0]["id"].get<int64_t>()) + "/golden")
                      ->body);
  EXPECT_EQ(alone["members"].size(), 1u) << alone.dump();
  auto unknown = api.Get("/api/v1/customers/999999/golden");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);
  auto bad = api.Get("/api/v1/customers/x1/golden");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  // Reading the golden record is a read of personal data: audited.
  json audit =
      AuditEntries(api, "action=customer.read_golden&customer_id=" + std::to_string(app), 1);
  ASSERT_EQ(audit.size(), 1u) << audit.dump();
  EXPECT_EQ(audit[0]["action"], "customer.read_golden");
  // Why the app's record is in the CRM customer: the phone rule.
  ASSERT_EQ(g["links"].size(), 1u) << g.dump();
  EXPECT_EQ(g["links"][0]["customer_id"], app);
  EXPECT_EQ(g["links"][0]["reason"], "phone");

  // A wrong merge is undone from the API: the record stands alone, the rest of
  // the customer stays, the unmerge is audited, and a rebuild keeps it apart.
  const std::string unmerge = "/api/v1/customers/" + std::to_string(app) + "/unmerge";
  httplib::Client reader(server.url());
  reader.set_bearer_token_auth(analyst);
  auto refused = reader.Post(unmerge, "", "application/json");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 403);
  auto undone = api.Post(unmerge, "", "application/json");
  ASSERT_TRUE(undone);
  ASSERT_EQ(undone->status, 200) << undone->body;
  json u = json::parse(undone->body);
  EXPECT_EQ(u["former_resolved_id"], crm);
  EXPECT_EQ(u["remaining"], json::array({crm}));
  auto members_of = [&](int64_t id) {
    return json::parse(
        api.Get("/api/v1/customers/" + std::to_string(id) + "/golden")->body)["members"];
  };
  EXPECT_EQ(members_of(app), json::array({app}));
  EXPECT_EQ(members_of(crm), json::array({crm}));
  auto again = api.Post(unmerge, "", "application/json");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 409) << again->body;
  EXPECT_NE(again->body.find("not merged"), std::string::npos) << again->body;
  auto nobody = api.Post("/api/v1/customers/999999/unmerge", "", "application/json");
  ASSERT_TRUE(nobody);
  EXPECT_EQ(nobody->status, 404);
  json unmerges = AuditEntries(api, "action=identity.unmerge", 1);
  ASSERT_EQ(unmerges.size(), 1u) << unmerges.dump();
  EXPECT_EQ(unmerges[0]["detail"]["former_resolved_id"], crm) << unmerges.dump();
  ASSERT_EQ(RunPatron({"--db", db, "identity", "resolve"}, true).exit_code, 0);
  EXPECT_EQ(members_of(app), json::array({app}));
  fs::remove_all(dir);
}

// A survivorship change the server acknowledged is applied to the golden
// records even when the server is killed before it rewrote them: the change
// marked them stale in its own transaction, and the next server (or the CLI)
// rewrites them.
TEST(ServeIdentity, AnAcknowledgedSurvivorshipChangeSurvivesAKill) {
  const fs::path dir =
      fs::temp_directory_path() / ("patron-serve-golden-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string db = (dir / "p.db").string();
  std::ofstream(dir / "crm.csv") << "customer_id,first_name,last_name,email\n"
                                    "C-1,Sara,Ahmadi,sara@example.com\n"
                                    "C-2,Sarah,Ahmadi,sara@example.com\n";
  ASSERT_EQ(
      RunPatron({"--db", db, "import", "customers", (dir / "crm.csv").string(), "--source", "crm"},
                true)
          .exit_code,
      0);
  ASSERT_EQ(RunPatron({"--db", db, "identity", "resolve"}, true).exit_code, 0);
  auto created = RunPatron({"--db", db, "key", "create", "--role", "admin", "--name", "a"}, true);
  const size_t at = created.out.find("pat_");
  ASSERT_NE(at, std::string::npos) << created.out;
  const std::string admin = created.out.substr(at, created.out.find_first_of(" \n", at) - at);
  auto given_name = [&](httplib::Client& c) -> std::pair<std::string, std::string> {
    json g = json::parse(c.Get("/api/v1/customers/1/golden")->body);
    for (const auto& f : g["fields"]) {
      if (f["field"] == "given_name") return {f["value"], f["rule"]};
    }
    return {};
  };
  {
    // Without scheduled work this server never rewrites: the kill comes first.
    ServeProcess server(db, {}, {"PATRON_SCHEDULER=off"});
    ASSERT_GT(server.port(), 0);
    httplib::Client c(server.url());
    c.set_bearer_token_auth(admin);
    auto put = c.Put("/api/v1/identity/survivorship", R"({"rules":{"given_name":"longest"}})",
                     "application/json");
    ASSERT_TRUE(put);
    ASSERT_EQ(put->status, 200) << put->body;
    EXPECT_TRUE(json::parse(put->body)["golden_records_stale_since"].is_string()) << put->body;
    json status = json::parse(c.Get("/api/v1/identity/status")->body);
    EXPECT_FALSE(status["golden_rewrite"]["enabled"].get<bool>()) << status.dump();
    EXPECT_EQ(given_name(c).second, "source_trust");  // the old rule's value, still
    EXPECT_EQ(server.Stop(SIGKILL), -SIGKILL);
  }
  auto waiting = RunPatron({"--db", db, "identity", "status"}, true);
  EXPECT_NE(waiting.out.find("Golden records wait for a rewrite"), std::string::npos)
      << waiting.out;
  {
    ServeProcess server(db);
    ASSERT_GT(server.port(), 0);
    httplib::Client c(server.url());
    c.set_bearer_token_auth(admin);
    json status;
    for (int i = 0; i < 100; ++i) {  // the task looks every second
      status = json::parse(c.Get("/api/v1/identity/status")->body);
      if (status["golden_records_stale_since"].is_null()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_TRUE(status["golden_records_stale_since"].is_null()) << status.dump();
    EXPECT_EQ(given_name(c), std::make_pair(std::string("Sarah"), std::string("longest")));
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace patron
