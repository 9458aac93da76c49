// Campaigns end to end with the real `patron` binary, demo data and a real
// SMTP server (tests/tools/smtp_sink.py on Debian's python3-aiosmtpd) that
// keeps every message it accepts: headers and bodies as received, consent
// before contact, exactly once across kill -9, bounces, and the server's
// campaign API with the unsubscribe, click and open links of real messages.
#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>
#include <sodium.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "../tools/smtp_sink_process.h"
#include "patron_process.h"
#include "store/store.h"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using patron::testing::DemoImportArgs;
using patron::testing::ReadFile;
using patron::testing::RunPatron;

using SmtpSink = patron::testing::SmtpSinkProcess;

// A header's value (continuation lines joined with their CRLF), from the header block.
std::string Header(const std::string& message, const std::string& name) {
  std::string head = message.substr(0, message.find("\r\n\r\n"));
  std::string lower_head = patron::AsciiLower(head), key = patron::AsciiLower(name) + ":";
  size_t pos = 0;
  while (pos < head.size()) {
    size_t eol = head.find("\r\n", pos);
    if (eol == std::string::npos) eol = head.size();
    if (lower_head.compare(pos, key.size(), key) == 0) {
      size_t end = eol;
      while (end + 2 < head.size() && (head[end + 2] == ' ' || head[end + 2] == '\t')) {
        end = head.find("\r\n", end + 2);
        if (end == std::string::npos) end = head.size();
      }
      std::string v = head.substr(pos + key.size(), end - pos - key.size());
      return std::string(patron::TrimAscii(v));
    }
    pos = eol + 2;
  }
  return "";
}

class CampaignCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("patron_campaign_cli_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    db_ = (dir_ / "patron.db").string();
    ImportDemo(400);
    // Quiet hours and weekends would make these tests depend on the time of day.
    auto policy = RunPatron({"--db", db_, "campaign", "policy", "--set",
                             R"({"quiet_hours": {"start": "00:00", "end": "00:00"}, "weekend_days": {"*": []}})"});
    ASSERT_EQ(policy.exit_code, 0) << policy.out;
  }
  void TearDown() override { fs::remove_all(dir_); }

  void ImportDemo(int people) {
    auto gen = RunPatron({"--json", "demo", "generate", "--customers", std::to_string(people), "--seed", "5", "--out",
                          (dir_ / "data").string()},
                         true);
    ASSERT_EQ(gen.exit_code, 0) << gen.out;
    json manifest = json::parse(gen.out, nullptr, false);
    ASSERT_FALSE(manifest.is_discarded()) << gen.out;
    for (const auto& f : manifest["files"]) {
      auto imp = RunPatron(DemoImportArgs(f, db_));
      ASSERT_EQ(imp.exit_code, 0) << imp.out;
    }
  }

  void CreateEmailCampaign(const std::string& name, double holdout = 10) {
    json spec = {{"name", name},
                 {"channel", "email"},
                 {"audience", "reachable(email) or reachable(sms)"},
                 {"holdout_percent", holdout},
                 {"from_address", "news@shop.example"},
                 {"from_name", "Shop"},
                 {"contents",
                  {{{"variant", "A"}, {"subject", "Hello {{name}}"}, {"text", "Your code {{coupon}}"},
                    {"html", "<p>Hello {{name}} <a href=\"https://shop.example/x\">shop</a></p>"}},
                   {{"variant", "A"}, {"language", "fa"}, {"subject", "{{name}}، سلام"}, {"text", "کد شما {{coupon}}"},
                    {"html", "<p>{{name}} عزیز</p>"}}}}};
    std::ofstream((dir_ / (name + ".json")).string()) << spec.dump();
    auto r = RunPatron({"--db", db_, "campaign", "create", "--file", (dir_ / (name + ".json")).string()});
    ASSERT_EQ(r.exit_code, 0) << r.out;
  }

  json Plan(const std::string& name) {
    auto r = RunPatron({"--db", db_, "--json", "campaign", "preview", name}, true);
    EXPECT_EQ(r.exit_code, 0) << r.out;
    return json::parse(r.out, nullptr, false);
  }

  // Address -> the customer the outbox sent it to.
  std::map<std::string, int64_t> CustomerByEmail() {
    auto db = patron::Database::Open(db_);
    EXPECT_TRUE(db.ok());
    std::map<std::string, int64_t> out;
    auto st = (*db)->Prepare("SELECT address, customer_id FROM campaign_recipients WHERE status = 'sent'");
    while (*(*st)->Step()) out[(*st)->String(0)] = (*st)->Int(1);
    return out;
  }
  bool HasEmailConsent(int64_t customer) {
    auto db = patron::Database::Open(db_);
    auto n = (*db)->QueryInt("SELECT count(*) FROM current_consents WHERE customer_id = " + std::to_string(customer) +
                             " AND channel = 'email' AND purpose = 'marketing' AND status = 'granted'");
    return n.ok() && *n == 1;
  }

  // A new API key with `role` (`patron key create`): its token, or "" (and a
  // failed expectation showing the CLI's output) when none was printed.
  std::string KeyToken(const std::string& role, const std::string& name) {
    auto key = RunPatron({"--db", db_, "key", "create", "--role", role, "--name", name}, true);
    size_t at = key.out.find("pat_");
    EXPECT_NE(at, std::string::npos) << key.out;
    if (at == std::string::npos) return "";
    return key.out.substr(at, key.out.find_first_of(" \n", at) - at);
  }
  // The key the API tests drive `patron serve` with: campaigns need manage_campaigns.
  std::string MarketerToken() { return KeyToken("marketer", "m"); }

  fs::path dir_;
  std::string db_;
};

TEST_F(CampaignCli, EveryConsentingRecipientGetsOneCorrectMessage) {
  CreateEmailCampaign("hello");
  json plan = Plan("hello");
  ASSERT_GT(plan["targets"].get<int>(), 20) << plan.dump();
  ASSERT_GT(plan["suppressed"].get<int>(), 0) << "the demo has people without consent";
  SmtpSink sink(dir_ / "sink");
  ASSERT_GT(sink.port(), 0);
  auto r = RunPatron({"--db", db_, "--json", "campaign", "send", "hello", "--smtp", sink.url(), "--base-url",
                      "https://patron.example"},
                     true);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  json report = json::parse(r.out, nullptr, false);
  ASSERT_FALSE(report.is_discarded()) << r.out;
  EXPECT_EQ(report["sent"], plan["targets"]);
  EXPECT_EQ(report["remaining"], 0);

  auto messages = sink.Messages();
  ASSERT_EQ(static_cast<int>(messages.size()), plan["targets"].get<int>());
  auto owners = CustomerByEmail();
  std::set<std::string> recipients, message_ids;
  int rtl = 0;
  for (const auto& m : messages) {
    EXPECT_TRUE(recipients.insert(m.recipient).second) << "twice: " << m.recipient;
    ASSERT_TRUE(owners.count(m.recipient)) << m.recipient;
    EXPECT_TRUE(HasEmailConsent(owners[m.recipient])) << "no consent: customer " << owners[m.recipient];
    std::string id = Header(m.data, "Message-ID");
    EXPECT_TRUE(message_ids.insert(id).second) << id;
    EXPECT_NE(Header(m.data, "From").find("news@shop.example"), std::string::npos);
    EXPECT_NE(Header(m.data, "List-Unsubscribe").find("<https://patron.example/u/"), std::string::npos) << m.data.substr(0, 800);
    EXPECT_EQ(Header(m.data, "List-Unsubscribe-Post"), "List-Unsubscribe=One-Click");
    EXPECT_NE(Header(m.data, "Content-Type").find("multipart/alternative"), std::string::npos);
    std::string subject = Header(m.data, "Subject");
    EXPECT_EQ(subject.find_first_of("\r\n") == std::string::npos || subject.find("\r\n ") != std::string::npos, true);
    if (subject.find("=?UTF-8?") != std::string::npos) ++rtl;
  }
  EXPECT_GT(rtl, 0) << "the demo has Persian speakers: their subjects are encoded words";
  // Results count what was sent; the holdout got nothing.
  auto results = RunPatron({"--db", db_, "--json", "campaign", "results", "hello"}, true);
  json res = json::parse(results.out, nullptr, false);
  EXPECT_EQ(res["targets"]["sent"], plan["targets"]);
  EXPECT_EQ(res["holdout"]["sent"], 0);
  EXPECT_EQ(res["status"], "done");
  // Sending again sends nothing: every row is recorded.
  auto again = RunPatron({"--db", db_, "--json", "campaign", "send", "hello", "--smtp", sink.url()}, true);
  EXPECT_NE(again.exit_code, 0) << "a done campaign does not send: " << again.out;
  EXPECT_EQ(sink.Messages().size(), messages.size());
}

TEST_F(CampaignCli, KillNineMidCampaignNeitherSkipsNorRepeats) {
  CreateEmailCampaign("crash", 0);
  json plan = Plan("crash");
  const int targets = plan["targets"].get<int>();
  ASSERT_GT(targets, 40);
  SmtpSink sink(dir_ / "sink");
  // 40 messages a second: the kill lands mid-campaign.
  std::string smtp = sink.url("tls=none&rate=40&connections=4");
  pid_t pid = ::fork();
  if (pid == 0) {
    int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, 1);
    ::dup2(null, 2);
    ::execl(PATRON_BINARY, "patron", "--db", db_.c_str(), "campaign", "send", "crash", "--smtp", smtp.c_str(), (char*)nullptr);
    ::_exit(127);
  }
  // Wait until some, not all, have arrived; then kill -9.
  for (int i = 0; i < 600 && sink.Messages().size() < 15; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ::kill(pid, SIGKILL);
  int status;
  ::waitpid(pid, &status, 0);
  size_t before = sink.Messages().size();
  ASSERT_GE(before, 15u);
  ASSERT_LT(static_cast<int>(before), targets) << "the kill came too late to test anything";

  auto r = RunPatron({"--db", db_, "--json", "campaign", "send", "crash", "--smtp", sink.url()}, true);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  auto messages = sink.Messages();
  std::map<std::string, std::set<std::string>> ids_by_recipient;
  std::map<std::string, int> count;
  for (auto& m : messages) {
    ++count[m.recipient];
    ids_by_recipient[m.recipient].insert(Header(m.data, "Message-ID"));
  }
  EXPECT_EQ(static_cast<int>(count.size()), targets) << "nobody is skipped";
  int repeated = 0;
  for (auto& [rcpt, n] : count) {
    if (n > 1) ++repeated;
    EXPECT_EQ(ids_by_recipient[rcpt].size(), 1u) << rcpt << " got two different messages";
  }
  // Only a message in flight at the kill (at most one per connection) can arrive
  // twice, and then with the same Message-ID (campaigns.md, "Sending exactly once").
  EXPECT_LE(repeated, 4);
  std::printf("kill -9 after %zu of %d messages; after the restart %zu messages, %d repeated in flight\n", before,
              targets, messages.size(), repeated);
  auto status_out = RunPatron({"--db", db_, "--json", "campaign", "status", "crash"}, true);
  json st = json::parse(status_out.out, nullptr, false);
  EXPECT_EQ(st["outbox"]["target/sent"], targets) << status_out.out;
  EXPECT_EQ(st["status"], "done");
}

TEST_F(CampaignCli, HardBouncesMarkTheAddressAndSoftOnesRetry) {
  // Two consenting customers get addresses the sink refuses.
  {
    auto db = patron::Database::Open(db_);
    ASSERT_TRUE(db.ok());
    auto ids = (*db)->Prepare(
        "SELECT cp.customer_id FROM contact_points cp JOIN current_consents c ON c.customer_id = cp.customer_id "
        "AND c.channel = 'email' AND c.purpose = 'marketing' AND c.status = 'granted' "
        "WHERE cp.kind = 'email' AND cp.status = 'verified' ORDER BY cp.customer_id LIMIT 2");
    std::vector<int64_t> two;
    while (*(*ids)->Step()) two.push_back((*ids)->Int(0));
    ASSERT_EQ(two.size(), 2u);
    ASSERT_TRUE((*db)->Exec("DELETE FROM contact_points WHERE kind = 'email' AND customer_id IN (" + std::to_string(two[0]) +
                            ", " + std::to_string(two[1]) + ")").ok());
    ASSERT_TRUE((*db)->Exec("INSERT INTO contact_points (customer_id, kind, value, status, first_seen_at, last_seen_at, "
                            "last_verified_at) VALUES (" + std::to_string(two[0]) +
                            ", 'email', 'bounce-550@shop.example', 'verified', 1, 1790000000000000, 1790000000000000), (" +
                            std::to_string(two[1]) + ", 'email', 'busy-451@shop.example', 'verified', 1, 1790000000000000, "
                            "1790000000000000)").ok());
  }
  CreateEmailCampaign("bounces", 0);
  SmtpSink sink(dir_ / "sink");
  auto r = RunPatron({"--db", db_, "--json", "campaign", "send", "bounces", "--smtp", sink.url()}, true);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  json report = json::parse(r.out);
  EXPECT_EQ(report["bounced"], 1);
  EXPECT_EQ(report["retried"], 1);
  EXPECT_EQ(report["remaining"], 1) << "the soft failure waits for its retry";
  auto db = patron::Database::Open(db_);
  EXPECT_EQ(*(*db)->QueryInt("SELECT count(*) FROM contact_points WHERE value = 'bounce-550@shop.example' AND status = 'bounced'"), 1);
  EXPECT_EQ(*(*db)->QueryInt("SELECT count(*) FROM contact_points WHERE value = 'busy-451@shop.example' AND status = 'verified'"), 1);
  EXPECT_EQ(*(*db)->QueryInt("SELECT count(*) FROM events WHERE type = 'message_bounced'"), 1);
}

TEST_F(CampaignCli, TheServerSendsAndFollowsTheLinksInTheMessages) {
  SmtpSink sink(dir_ / "sink");
  const std::string token = MarketerToken();
  ASSERT_FALSE(token.empty());
  const std::string analyst_token = KeyToken("analyst", "a");
  ASSERT_FALSE(analyst_token.empty());
  patron::testing::ServeProcess server(db_, {"--access-log", "off"},
                                       {"PATRON_SMTP_URL=" + sink.url(), "PATRON_PUBLIC_URL=https://patron.example"});
  ASSERT_GT(server.port(), 0);
  httplib::Client c(server.url());
  c.set_bearer_token_auth(token);
  c.set_read_timeout(60, 0);
  json spec = {{"name", "api"},
               {"channel", "email"},
               {"audience", "reachable(email)"},
               {"holdout_percent", 20},
               {"from_address", "news@shop.example"},
               {"contents", {{{"subject", "Hi {{name}}"}, {"text", "t"},
                              {"html", "<p><a href=\"https://shop.example/deal\">deal</a></p>"}}}}};
  // Bad input: a precise error, nothing created.
  auto bad = c.Post("/api/v1/campaigns", R"({"name": "x", "channel": "pigeon"})", "application/json");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  EXPECT_NE(bad->body.find("pigeon"), std::string::npos);
  // An analyst may look but not create.
  httplib::Client a(server.url());
  a.set_bearer_token_auth(analyst_token);
  EXPECT_EQ(a.Post("/api/v1/campaigns", spec.dump(), "application/json")->status, 403);

  auto created = c.Post("/api/v1/campaigns", spec.dump(), "application/json");
  ASSERT_TRUE(created);
  ASSERT_EQ(created->status, 201) << created->body;
  std::string id = std::to_string(json::parse(created->body)["id"].get<int64_t>());
  auto preview = c.Post("/api/v1/campaigns/" + id + "/preview", "", "application/json");
  ASSERT_EQ(preview->status, 200) << preview->body;
  json plan = json::parse(preview->body);
  EXPECT_TRUE(plan["suppressed_by_reason"].contains("no_consent"));
  auto sent = c.Post("/api/v1/campaigns/" + id + "/send", "", "application/json");
  ASSERT_EQ(sent->status, 202) << sent->body;
  json state;
  for (int i = 0; i < 300; ++i) {
    state = json::parse(c.Get("/api/v1/campaigns/" + id)->body);
    if (state.contains("sending") && state["sending"]["state"] != "running") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(state["sending"]["state"], "finished") << state.dump();
  EXPECT_EQ(state["status"], "done") << state.dump();
  auto messages = sink.Messages();
  ASSERT_EQ(static_cast<int>(messages.size()), plan["targets"].get<int>());

  // Follow the first message's links as a mail client and a reader would.
  const std::string& data = messages[0].data;
  std::string unsubscribe = Header(data, "List-Unsubscribe");
  auto u = unsubscribe.find("https://patron.example/u/");
  ASSERT_NE(u, std::string::npos);
  std::string u_path = unsubscribe.substr(u + std::string("https://patron.example").size());
  u_path = u_path.substr(0, u_path.find('>'));
  httplib::Client anon(server.url());
  auto page = anon.Get(u_path);
  ASSERT_EQ(page->status, 200);
  EXPECT_NE(page->body.find("<form method=\"post\">"), std::string::npos) << "GET only asks";
  auto one_click = anon.Post(u_path, "List-Unsubscribe=One-Click", "application/x-www-form-urlencoded");
  ASSERT_EQ(one_click->status, 200) << one_click->body;
  EXPECT_FALSE(HasEmailConsent(CustomerByEmail()[messages[0].recipient])) << "one click withdrew the consent";
  // A forged token learns nothing.
  std::string forged = u_path;
  forged[forged.size() - 3] = forged[forged.size() - 3] == 'A' ? 'B' : 'A';
  EXPECT_EQ(anon.Post(forged, "List-Unsubscribe=One-Click", "application/x-www-form-urlencoded")->status, 404);

  // The HTML part is base64 or quoted-printable; the tracked link's token is in
  // the results as a click once followed.
  auto results = json::parse(c.Get("/api/v1/campaigns/" + id + "/results")->body);
  EXPECT_EQ(results["targets"]["sent"], plan["targets"]);
  EXPECT_EQ(results["targets"]["unsubscribed"], 1);
  EXPECT_EQ(results["holdout"]["members"], plan["holdout"]);
  EXPECT_TRUE(results.contains("lift"));
}

TEST_F(CampaignCli, SmsCampaignsGoThroughTheHttpGateway) {
  // A gateway on loopback that keeps every request and answers with an id.
  httplib::Server gateway;
  std::mutex mu;
  std::vector<json> received;
  gateway.Post("/send", [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mu);
    received.push_back(json::parse(req.body, nullptr, false));
    EXPECT_EQ(req.get_header_value("Authorization"), "Bearer gw-secret");
    res.set_content(R"({"id": "gw-)" + std::to_string(received.size()) + R"("})", "application/json");
  });
  int port = gateway.bind_to_any_port("127.0.0.1");
  std::thread serving([&] { gateway.listen_after_bind(); });
  std::string file = (dir_ / "gateway.json").string();
  std::ofstream(file) << json({{"url", "http://127.0.0.1:" + std::to_string(port) + "/send"},
                               {"sender", "Shop"},
                               {"headers", {{"Authorization", "Bearer gw-secret"}}},
                               {"message_id_pointer", "/id"}})
                             .dump();
  json spec = {{"name", "sms"},
               {"channel", "sms"},
               {"audience", "reachable(sms)"},
               {"contents", {{{"text", "Hi {{name}}, code {{coupon}}"}},
                             {{"language", "fa"}, {"text", "{{name}} عزیز، کد شما {{coupon}}"}}}}};
  std::ofstream((dir_ / "sms.json").string()) << spec.dump();
  ASSERT_EQ(RunPatron({"--db", db_, "campaign", "create", "--file", (dir_ / "sms.json").string()}).exit_code, 0);
  json plan = Plan("sms");
  ASSERT_GT(plan["targets"].get<int>(), 5) << plan.dump();
  auto r = RunPatron({"--db", db_, "--json", "campaign", "send", "sms", "--sms-gateway", file}, true);
  gateway.stop();
  serving.join();
  ASSERT_EQ(r.exit_code, 0) << r.out;
  json report = json::parse(r.out);
  EXPECT_EQ(report["sent"], plan["targets"]);
  ASSERT_EQ(static_cast<int>(received.size()), plan["targets"].get<int>());
  std::set<std::string> numbers;
  int persian = 0;
  for (const json& body : received) {
    ASSERT_FALSE(body.is_discarded());
    std::string to = body["to"];
    EXPECT_EQ(to[0], '+') << to;
    EXPECT_TRUE(numbers.insert(to).second) << "twice: " << to;
    EXPECT_EQ(body["from"], "Shop");
    if (body["text"].get<std::string>().find("عزیز") != std::string::npos) ++persian;
  }
  EXPECT_GT(persian, 0) << "Persian speakers get the Persian text";
  // The gateway's ids are kept for its receipts.
  {
    auto db = patron::Database::Open(db_);
    EXPECT_EQ(*(*db)->QueryInt("SELECT count(*) FROM campaign_recipients WHERE provider_message_id "
                               "LIKE 'gw-%' AND message_id NOT LIKE 'gw-%'"),
              plan["targets"].get<int>());
  }

  // The gateway posts its receipts to the signed address the CLI prints,
  // naming each message by its own id. Delivered: the number is verified.
  // Failed with "unknown handset": the number is gone, and the next
  // campaign skips it. Failed otherwise: only this message failed.
  auto receipt_url = RunPatron({"--db", db_, "campaign", "receipt-url"});
  ASSERT_EQ(receipt_url.exit_code, 0);
  const std::string hook = receipt_url.out.substr(0, receipt_url.out.find('\n'));
  ASSERT_EQ(hook.rfind("/hooks/sms/", 0), 0u) << hook;
  const int64_t before_receipts = patron::SystemClock::Get().Now().micros;
  {
    // The first number unverified and the others last verified a month ago:
    // the import's own stamp is today's, and a receipt moves it a day or more.
    auto db = patron::Database::Open(db_);
    ASSERT_TRUE((*db)
                    ->Exec("UPDATE contact_points SET last_verified_at = " +
                           std::to_string(before_receipts - 30 * 86'400'000'000LL) +
                           " WHERE id IN (SELECT contact_point_id FROM campaign_recipients)")
                    .ok());
    ASSERT_TRUE(
        (*db)
            ->Exec("UPDATE contact_points SET status = 'unverified', last_verified_at = NULL WHERE "
                   "id = "
                   "(SELECT contact_point_id FROM campaign_recipients WHERE provider_message_id = "
                   "'gw-1')")
            .ok());
  }
  {
    patron::testing::ServeProcess server(db_, {"--access-log", "off"},
                                         {"PATRON_SMS_GATEWAY=" + file});
    ASSERT_GT(server.port(), 0);
    httplib::Client c(server.url());
    auto post = [&](const std::string& path, const json& body) {
      auto res = c.Post(path, body.dump(), "application/json");
      return res ? res->status : -1;
    };
    EXPECT_EQ(post(hook, {{"id", "gw-1"}, {"status", "DELIVRD"}}), 200);
    EXPECT_EQ(post(hook, {{"id", "gw-2"}, {"status", "UNDELIV"}, {"error", "30005"}}), 200);
    EXPECT_EQ(post(hook, {{"id", "gw-3"}, {"status", "UNDELIV"}, {"error", "30003"}}), 200);
    EXPECT_EQ(post(hook, {{"id", "gw-999"}, {"status", "DELIVRD"}}), 404);
    std::string forged = hook;
    forged[forged.size() - 2] = forged[forged.size() - 2] == 'A' ? 'B' : 'A';
    EXPECT_EQ(post(forged, {{"id", "gw-1"}, {"status", "DELIVRD"}}), 404);
  }
  auto db = patron::Database::Open(db_);
  auto status_of = [&](const std::string& message_id) {
    auto s = (*db)->QueryText(
        "SELECT r.status || ' ' || cp.status || ' ' || (coalesce(cp.last_verified_at, 0) >= " +
        std::to_string(before_receipts) +
        ") || (coalesce(cp.bounced_at, 0) >= " + std::to_string(before_receipts) +
        ") "
        "FROM campaign_recipients r JOIN contact_points cp ON cp.id = r.contact_point_id WHERE "
        "r.provider_message_id = '" +
        message_id + "'");
    return s.ok() ? *s : s.status().ToString();
  };
  EXPECT_EQ(status_of("gw-1"), "sent verified 10");
  EXPECT_EQ(status_of("gw-2"), "bounced bounced 01");
  EXPECT_EQ(status_of("gw-3").substr(0, 7), "failed ");
  EXPECT_EQ(status_of("gw-3").find("bounced"), std::string::npos) << status_of("gw-3");
  EXPECT_EQ(
      *(*db)->QueryInt("SELECT count(*) FROM campaign_recipients WHERE delivered_at IS NOT NULL"),
      1);
  spec["name"] = "sms again";
  std::ofstream((dir_ / "sms2.json").string()) << spec.dump();
  ASSERT_EQ(RunPatron({"--db", db_, "campaign", "create", "--file", (dir_ / "sms2.json").string()})
                .exit_code,
            0);
  json again = Plan("sms again");
  // reachable(sms) no longer counts the customer whose only mobile is gone.
  EXPECT_EQ(again["audience"].get<int>(), plan["audience"].get<int>() - 1) << again.dump();
  EXPECT_EQ(again["targets"].get<int>(), plan["targets"].get<int>() - 1) << again.dump();
}

// The receiver's side of a signed webhook: hex(HMAC-SHA256(secret, "t.body")).
std::string ExpectedSignature(const std::string& secret, const std::string& t, const std::string& body) {
  std::string signed_text = t + "." + body;
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(secret.data()), secret.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(signed_text.data()), signed_text.size());
  crypto_auth_hmacsha256_final(&state, mac);
  char hex[sizeof mac * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
  return hex;
}

TEST_F(CampaignCli, WebhookCampaignsPostSignedJsonOncePerConsentingCustomer) {
  ASSERT_GE(sodium_init(), 0);
  // Push consent for every other customer: the others must never reach the receiver.
  {
    auto db = patron::Database::Open(db_);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->Exec("INSERT INTO consents (customer_id, channel, purpose, status, recorded_at, source_id, method, "
                            "proof) SELECT id, 'push', 'marketing', 'granted', 1, (SELECT min(id) FROM sources), "
                            "'single_opt_in', 'app settings' FROM customers WHERE id % 2 = 0")
                    .ok());
  }
  const std::string secret = "whsec-test-4f1c";
  httplib::Server receiver;
  std::mutex mu;
  std::map<std::string, int> posts_by_key;  // Idempotency-Key -> requests
  std::vector<json> accepted;
  std::string refused_key;  // the first message is refused once with 503, then accepted on retry
  receiver.Post("/inbox", [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mu);
    std::string key = req.get_header_value("Idempotency-Key");
    std::string signature = req.get_header_value("X-Patron-Signature");
    auto comma = signature.find(",v1=");
    if (signature.rfind("t=", 0) != 0 || comma == std::string::npos ||
        signature.substr(comma + 4) != ExpectedSignature(secret, signature.substr(2, comma - 2), req.body)) {
      res.status = 401;
      return;
    }
    int& seen = posts_by_key[key];
    ++seen;
    if (refused_key.empty()) refused_key = key;
    if (key == refused_key && seen == 1) {
      res.status = 503;
      return;
    }
    accepted.push_back(json::parse(req.body, nullptr, false));
    res.status = 202;
  });
  int port = receiver.bind_to_any_port("127.0.0.1");
  std::thread serving([&] { receiver.listen_after_bind(); });

  json spec = {{"name", "inbox"},
               {"channel", "webhook"},
               {"audience", "created_at is not missing"},
               {"webhook_url", "http://127.0.0.1:" + std::to_string(port) + "/inbox"},
               {"contents", {{{"subject", "For {{name}}"}, {"text", "Code {{coupon}}"}},
                             {{"language", "fa"}, {"subject", "برای {{name}}"}, {"text", "کد {{coupon}}"}}}}};
  std::ofstream((dir_ / "inbox.json").string()) << spec.dump();
  // Without a receiver URL the campaign is refused, naming the field.
  json no_url = spec;
  no_url.erase("webhook_url");
  no_url["name"] = "no-url";
  std::ofstream((dir_ / "no-url.json").string()) << no_url.dump();
  auto refused = RunPatron({"--db", db_, "campaign", "create", "--file", (dir_ / "no-url.json").string()});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.out.find("webhook_url"), std::string::npos) << refused.out;
  ASSERT_EQ(RunPatron({"--db", db_, "campaign", "create", "--file", (dir_ / "inbox.json").string()}).exit_code, 0);
  json plan = Plan("inbox");
  const int targets = plan["targets"].get<int>();
  ASSERT_GT(targets, 20) << plan.dump();
  EXPECT_GT(plan["suppressed_by_reason"]["no_consent"].get<int>(), 20) << plan.dump();

  ::setenv("PATRON_WEBHOOK_SECRET", secret.c_str(), 1);
  auto first = RunPatron({"--db", db_, "--json", "campaign", "send", "inbox"}, true);
  ASSERT_EQ(first.exit_code, 0) << first.out;
  json report = json::parse(first.out);
  EXPECT_EQ(report["sent"].get<int>(), targets - 1);
  EXPECT_EQ(report["retried"], 1) << "a 503 is transient: retried later, not dropped";
  // The retry is due after its back-off; make it due now and send again.
  {
    auto db = patron::Database::Open(db_);
    ASSERT_TRUE((*db)->Exec("UPDATE campaign_recipients SET next_attempt_at = 0 WHERE next_attempt_at IS NOT NULL "
                            "AND status <> 'sent'").ok());
  }
  auto second = RunPatron({"--db", db_, "--json", "campaign", "send", "inbox"}, true);
  ::unsetenv("PATRON_WEBHOOK_SECRET");
  receiver.stop();
  serving.join();
  ASSERT_EQ(second.exit_code, 0) << second.out;
  EXPECT_EQ(json::parse(second.out)["sent"], 1);

  ASSERT_EQ(static_cast<int>(accepted.size()), targets);
  EXPECT_EQ(posts_by_key[refused_key], 2) << "the retry repeats the Idempotency-Key";
  auto db = patron::Database::Open(db_);
  std::set<int64_t> customers;
  int persian = 0;
  for (const json& m : accepted) {
    ASSERT_FALSE(m.is_discarded());
    int64_t id = m["customer_id"];
    EXPECT_TRUE(customers.insert(id).second) << "twice: " << id;
    EXPECT_EQ(id % 2, 0) << "customer " << id << " has no push consent";
    EXPECT_EQ(m["campaign"]["name"], "inbox");
    EXPECT_EQ(m["type"], "campaign_message");
    EXPECT_FALSE(m["coupon"].get<std::string>().empty());
    EXPECT_NE(m["text"].get<std::string>().find(m["coupon"].get<std::string>()), std::string::npos);
    // The Idempotency-Key is the outbox's message id for this customer.
    auto row = (*db)->Prepare("SELECT message_id FROM campaign_recipients WHERE customer_id = " + std::to_string(id) +
                              " AND status = 'sent'");
    ASSERT_TRUE(*(*row)->Step());
    EXPECT_EQ((*row)->String(0), m["message_id"].get<std::string>());
    EXPECT_EQ(posts_by_key.count(m["message_id"].get<std::string>()), 1u);
    if (m["language"] == "fa") {
      ++persian;
      EXPECT_EQ(m["dir"], "rtl");
      EXPECT_NE(m["subject"].get<std::string>().find("برای"), std::string::npos);
    }
  }
  EXPECT_GT(persian, 0);
  EXPECT_EQ(*(*db)->QueryInt("SELECT count(*) FROM events WHERE type = 'message_sent' AND json_extract(properties, '$.campaign') = 'inbox'"), targets);
}

TEST_F(CampaignCli, CallListsAreWrittenAsWorkbooks) {
  json spec = {{"name", "calls"},
               {"channel", "call_list"},
               {"audience", "reachable(phone)"},
               {"contents", {{{"subject", "Offer"}, {"text", "=cmd|' /C calc'!A0 Call {{name}} about {{coupon}}"}},
                             {{"language", "fa"}, {"subject", "پیشنهاد"}, {"text", "با {{name}} تماس بگیرید"}}}}};
  std::ofstream((dir_ / "calls.json").string()) << spec.dump();
  ASSERT_EQ(RunPatron({"--db", db_, "campaign", "create", "--file", (dir_ / "calls.json").string()}).exit_code, 0);
  json plan = Plan("calls");
  const int targets = plan["targets"].get<int>();
  ASSERT_GT(targets, 5) << plan.dump();
  std::string xlsx = (dir_ / "calls.xlsx").string();
  auto r = RunPatron({"--db", db_, "--json", "campaign", "send", "calls", "--out", xlsx}, true);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(json::parse(r.out)["sent"], targets);
  ASSERT_TRUE(fs::exists(dir_ / "calls.csv")) << "the CSV beside it is the durable record";
  // Read the workbook back with Python's zipfile (an XLSX is a zip of XML parts).
  std::string script = (dir_ / "read.py").string();
  std::ofstream(script) << R"(import sys, zipfile, re, html
z = zipfile.ZipFile(sys.argv[1])
sheet = z.read('xl/worksheets/sheet1.xml').decode('utf-8')
strings = []
if 'xl/sharedStrings.xml' in z.namelist():
    strings = [html.unescape(s) for s in re.findall(r'<t[^>]*>(.*?)</t>', z.read('xl/sharedStrings.xml').decode('utf-8'), re.S)]
inline = [html.unescape(s) for s in re.findall(r'<is><t[^>]*>(.*?)</t></is>', sheet, re.S)]
print(len(re.findall(r'<row ', sheet)))
print('rtl' if 'rightToLeft="1"' in sheet else 'ltr')
print('formula' if '<f>' in sheet else 'no-formula')
print('frozen' if 'state="frozen"' in sheet else 'not-frozen')
print('\x1f'.join(strings + inline))
)";
  auto read = patron::testing::RunShell("python3 " + patron::testing::ShellQuote(script) + " " +
                                        patron::testing::ShellQuote(xlsx));
  ASSERT_EQ(read.exit_code, 0) << read.out;
  std::istringstream lines(read.out);
  std::string rows, direction, formula, frozen, cells;
  std::getline(lines, rows);
  std::getline(lines, direction);
  std::getline(lines, formula);
  std::getline(lines, frozen);
  std::getline(lines, cells);
  EXPECT_EQ(std::stoi(rows), targets + 1) << "a header and one row per customer";
  EXPECT_EQ(formula, "no-formula");
  EXPECT_EQ(frozen, "frozen");
  EXPECT_NE(cells.find("churn_risk"), std::string::npos) << "the customer summary is in the list";
  EXPECT_NE(cells.find("=cmd|"), std::string::npos) << "hostile text is kept as text, not dropped";
  EXPECT_NE(cells.find("تماس بگیرید"), std::string::npos);
}

TEST_F(CampaignCli, TheServerSendsScheduledRowsWhenTheirTimeComes) {
  SmtpSink sink(dir_ / "sink");
  const std::string token = MarketerToken();
  ASSERT_FALSE(token.empty());
  patron::testing::ServeProcess server(db_, {"--access-log", "off"}, {"PATRON_SMTP_URL=" + sink.url()});
  ASSERT_GT(server.port(), 0);
  httplib::Client c(server.url());
  c.set_bearer_token_auth(token);
  c.set_read_timeout(60, 0);
  // Scheduled a few seconds ahead: pressing send releases it, and nothing leaves early.
  auto when = std::chrono::system_clock::now() + std::chrono::seconds(4);
  std::time_t t = std::chrono::system_clock::to_time_t(when);
  char iso[32];
  std::strftime(iso, sizeof iso, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  json spec = {{"name", "later"},
               {"channel", "email"},
               {"audience", "reachable(email)"},
               {"from_address", "news@shop.example"},
               {"schedule", {{"kind", "at"}, {"at", iso}}},
               {"contents", {{{"subject", "Hi {{name}}"}, {"text", "t"}}}}};
  auto created = c.Post("/api/v1/campaigns", spec.dump(), "application/json");
  ASSERT_TRUE(created);
  ASSERT_EQ(created->status, 201) << created->body;
  std::string id = std::to_string(json::parse(created->body)["id"].get<int64_t>());
  auto send = c.Post("/api/v1/campaigns/" + id + "/send", "", "application/json");
  ASSERT_EQ(send->status, 202) << send->body;
  std::this_thread::sleep_for(std::chrono::seconds(1));
  EXPECT_TRUE(sink.Messages().empty()) << "nothing is sent before its time";
  int targets = 0;
  for (int i = 0; i < 300; ++i) {
    json got = json::parse(c.Get("/api/v1/campaigns/" + id)->body);
    targets = got["outbox"].value("target/pending", 0) + got["outbox"].value("target/sent", 0) +
              got["outbox"].value("target/sending", 0);
    if (got["status"] == "done") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  json got = json::parse(c.Get("/api/v1/campaigns/" + id)->body);
  ASSERT_EQ(got["status"], "done") << got.dump();
  auto messages = sink.Messages();
  EXPECT_EQ(static_cast<int>(messages.size()), got["outbox"].value("target/sent", 0));
  EXPECT_GT(messages.size(), 5u);
  EXPECT_EQ(targets, got["outbox"].value("target/sent", 0));
  std::set<std::string> recipients;
  for (auto& m : messages) EXPECT_TRUE(recipients.insert(m.recipient).second) << "twice: " << m.recipient;
  // Not before the scheduled time.
  auto db = patron::Database::Open(db_);
  auto early = (*db)->QueryInt("SELECT count(*) FROM campaign_recipients WHERE status = 'sent' AND sent_at < " +
                               std::to_string(static_cast<int64_t>(t) * 1000000));
  EXPECT_EQ(*early, 0);
}

TEST_F(CampaignCli, ProofsRenderEveryTargetOnceInOrderWhateverTheThreads) {
  CreateEmailCampaign("proofs");
  json plan = Plan("proofs");
  const int targets = plan["targets"].get<int>();
  auto drafted = RunPatron({"--db", db_, "campaign", "proofs", "proofs", "--out", (dir_ / "x.jsonl").string()});
  EXPECT_NE(drafted.exit_code, 0);
  EXPECT_NE(drafted.out.find("prepare it first"), std::string::npos) << drafted.out;
  ASSERT_EQ(RunPatron({"--db", db_, "campaign", "prepare", "proofs"}).exit_code, 0);
  ASSERT_GT(targets, 20);
  std::string one = (dir_ / "one.jsonl").string(), two = (dir_ / "two.jsonl").string();
  auto a = RunPatron({"--db", db_, "campaign", "proofs", "proofs", "--out", one, "--threads", "1",
                      "--base-url", "https://patron.example"});
  ASSERT_EQ(a.exit_code, 0) << a.out;
  auto b = RunPatron({"--db", db_, "campaign", "proofs", "proofs", "--out", two, "--threads", "3",
                      "--base-url", "https://patron.example"});
  ASSERT_EQ(b.exit_code, 0) << b.out;
  EXPECT_EQ(ReadFile(one), ReadFile(two)) << "the same messages in the same order with 1 or 3 workers";
  std::istringstream lines(ReadFile(two));
  std::string line;
  int n = 0, persian = 0;
  int64_t last = 0;
  auto db = patron::Database::Open(db_);
  while (std::getline(lines, line)) {
    json m = json::parse(line, nullptr, false);
    ASSERT_FALSE(m.is_discarded()) << line;
    int64_t id = m["customer_id"];
    EXPECT_GT(id, last) << "in customer order";
    last = id;
    ++n;
    // Only targets: never a holdout or suppressed customer.
    EXPECT_EQ(*(*db)->QueryInt("SELECT count(*) FROM campaign_recipients WHERE grp = 'target' AND customer_id = " +
                               std::to_string(id)),
              1);
    if (m["language"] == "fa") {
      ++persian;
      EXPECT_EQ(m["dir"], "rtl");
      EXPECT_NE(m["html"].get<std::string>().find("dir=\"rtl\""), std::string::npos);
    }
    EXPECT_NE(m["text"].get<std::string>().find("https://patron.example/u/"), std::string::npos)
        << "every message carries its unsubscribe link";
  }
  EXPECT_EQ(n, targets);
  EXPECT_GT(persian, 0);
  // Nothing was sent.
  EXPECT_EQ(*(*db)->QueryInt("SELECT count(*) FROM campaign_recipients WHERE status = 'sent'"), 0);
}

TEST_F(CampaignCli, TheApiServesTheCallListAsCsvOrWorkbookAndNothingElse) {
  const std::string token = MarketerToken();
  ASSERT_FALSE(token.empty());
  patron::testing::ServeProcess server(db_, {"--access-log", "off"});
  ASSERT_GT(server.port(), 0);
  httplib::Client c(server.url());
  c.set_bearer_token_auth(token);
  c.set_read_timeout(60, 0);
  json spec = {{"name", "calls"},
               {"channel", "call_list"},
               {"audience", "reachable(phone)"},
               {"contents", {{{"subject", "Offer"}, {"text", "Call {{name}} about {{coupon}}"}}}}};
  auto created = c.Post("/api/v1/campaigns", spec.dump(), "application/json");
  ASSERT_TRUE(created);
  ASSERT_EQ(created->status, 201) << created->body;
  std::string id = std::to_string(json::parse(created->body)["id"].get<int64_t>());
  // No list before the campaign is sent.
  auto early = c.Get("/api/v1/campaigns/" + id + "/list");
  ASSERT_TRUE(early);
  EXPECT_EQ(early->status, 404) << early->body;
  auto send = c.Post("/api/v1/campaigns/" + id + "/send", "", "application/json");
  ASSERT_TRUE(send);
  ASSERT_EQ(send->status, 202) << send->body;
  json got;
  for (int i = 0; i < 300; ++i) {
    got = json::parse(c.Get("/api/v1/campaigns/" + id)->body);
    if (got["status"] == "done") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(got["status"], "done") << got.dump();
  const int sent = got["outbox"].value("target/sent", 0);
  ASSERT_GT(sent, 5) << got.dump();

  auto csv = c.Get("/api/v1/campaigns/" + id + "/list");
  ASSERT_TRUE(csv);
  ASSERT_EQ(csv->status, 200) << csv->body;
  EXPECT_NE(csv->get_header_value("Content-Type").find("text/csv"), std::string::npos);
  EXPECT_NE(csv->get_header_value("Content-Disposition").find("campaign-" + id + ".csv"), std::string::npos);
  EXPECT_EQ(std::count(csv->body.begin(), csv->body.end(), '\n'), sent + 1) << "a header and one line per call";

  auto xlsx = c.Get("/api/v1/campaigns/" + id + "/list?format=xlsx");
  ASSERT_TRUE(xlsx);
  ASSERT_EQ(xlsx->status, 200) << xlsx->body;
  EXPECT_NE(xlsx->get_header_value("Content-Type").find("spreadsheetml"), std::string::npos);
  EXPECT_EQ(xlsx->body.substr(0, 2), "PK") << "an XLSX is a zip archive";

  auto pdf = c.Get("/api/v1/campaigns/" + id + "/list?format=pdf");
  ASSERT_TRUE(pdf);
  EXPECT_EQ(pdf->status, 400) << pdf->body;
  json error = json::parse(pdf->body, nullptr, false);
  EXPECT_NE(error.dump().find("format"), std::string::npos) << pdf->body;
  // No workbook is left behind in the exports directory.
  int leftovers = 0;
  for (auto& e : fs::directory_iterator(fs::path(db_).parent_path() / (fs::path(db_).filename().string() + ".exports")))
    leftovers += e.path().extension() == ".xlsx";
  EXPECT_EQ(leftovers, 0);
}

TEST_F(CampaignCli, WithTheSchedulerOffDueRowsWaitForAnExplicitSend) {
  SmtpSink sink(dir_ / "sink");
  const std::string token = MarketerToken();
  ASSERT_FALSE(token.empty());
  std::string id;
  {
    patron::testing::ServeProcess server(db_, {"--access-log", "off"},
                                         {"PATRON_SMTP_URL=" + sink.url(), "PATRON_SCHEDULER=off"});
    ASSERT_GT(server.port(), 0);
    httplib::Client c(server.url());
    c.set_bearer_token_auth(token);
    auto when = std::chrono::system_clock::now() + std::chrono::seconds(2);
    std::time_t t = std::chrono::system_clock::to_time_t(when);
    char iso[32];
    std::strftime(iso, sizeof iso, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
    json spec = {{"name", "later"},
                 {"channel", "email"},
                 {"audience", "reachable(email)"},
                 {"from_address", "news@shop.example"},
                 {"schedule", {{"kind", "at"}, {"at", iso}}},
                 {"contents", {{{"subject", "Hi {{name}}"}, {"text", "t"}}}}};
    auto created = c.Post("/api/v1/campaigns", spec.dump(), "application/json");
    ASSERT_TRUE(created);
    ASSERT_EQ(created->status, 201) << created->body;
    id = std::to_string(json::parse(created->body)["id"].get<int64_t>());
    auto send = c.Post("/api/v1/campaigns/" + id + "/send", "", "application/json");
    ASSERT_EQ(send->status, 202) << send->body;
    // Well past the send time (and past the scheduler's 5 s period): nothing moved.
    std::this_thread::sleep_for(std::chrono::seconds(7));
    EXPECT_TRUE(sink.Messages().empty()) << "the server's scheduler is off";
    json got = json::parse(c.Get("/api/v1/campaigns/" + id)->body);
    EXPECT_EQ(got["status"], "sending") << got.dump();
    EXPECT_EQ(got["outbox"].value("target/sent", 0), 0) << got.dump();
    EXPECT_GT(got["outbox"].value("target/pending", 0), 5) << got.dump();
  }
  // The operator's own job (cron) sends the due rows, each once.
  auto r = RunPatron({"--db", db_, "--json", "campaign", "send", "later", "--smtp", sink.url()}, true);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  auto db = patron::Database::Open(db_);
  auto sent = (*db)->QueryInt("SELECT count(*) FROM campaign_recipients WHERE status = 'sent' AND campaign_id = " + id);
  ASSERT_TRUE(sent.ok());
  EXPECT_GT(*sent, 5);
  auto messages = sink.Messages();
  EXPECT_EQ(static_cast<int64_t>(messages.size()), *sent);
  std::set<std::string> recipients;
  for (auto& m : messages) EXPECT_TRUE(recipients.insert(m.recipient).second) << "twice: " << m.recipient;
}

}  // namespace
