// Journeys through the real binary: `patron journey run --loop` sending to a
// real SMTP server (tests/tools/smtp_sink.py) is killed with SIGKILL in the
// middle of its work and started again. Afterwards every enrolment has logged
// each of its steps exactly once, every message went out, and a message
// appears twice only in the documented case: in flight at the kill (at most
// one, since each delivery is recorded as soon as the server accepts it).
// Also: the API creates a journey from a template and `patron serve` runs it.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include <httplib.h>

#include <fstream>

#include "campaign/campaign.h"
#include "../tools/smtp_sink_process.h"
#include "patron_process.h"
#include "store/store.h"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using patron::testing::ReadFile;
using patron::testing::RunPatron;

// A child process with its output in a file.
class Child {
 public:
  Child(const std::vector<std::string>& args, const fs::path& log) {
    pid_ = ::fork();
    if (pid_ == 0) {
      FILE* f = std::fopen(log.c_str(), "a");
      if (f) {
        ::dup2(fileno(f), 1);
        ::dup2(fileno(f), 2);
      }
      std::vector<char*> argv;
      std::vector<std::string> copy = args;
      for (auto& a : copy) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(copy[0].c_str(), argv.data());
      ::_exit(127);
    }
  }
  ~Child() { Kill(SIGTERM); }
  void Kill(int signal) {
    if (pid_ <= 0) return;
    ::kill(pid_, signal);
    int status;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
};

using SmtpSink = patron::testing::SmtpSinkProcess;

class JourneyCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("patron_journey_it_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    db_path_ = (dir_ / "p.db").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Customers with email and consent; a policy without quiet hours or weekends (the
  // test must not depend on the hour it runs at) and a generous cap.
  void Seed(int customers) {
    auto db = patron::Database::Open(db_path_);
    ASSERT_TRUE(db.ok());
    auto& d = **db;
    ASSERT_TRUE(d.Exec("INSERT INTO sources (id, name, created_at) VALUES (1, 'crm', 0)").ok());
    ASSERT_TRUE(d.Begin().ok());
    int64_t now = patron::SystemClock::Get().Now().micros;
    for (int i = 1; i <= customers; ++i) {
      std::string id = std::to_string(i);
      ASSERT_TRUE(d.Exec("INSERT INTO customers (id, given_name, time_zone, country, created_at, updated_at) VALUES (" +
                         id + ", 'C" + id + "', 'UTC', 'SE', 0, 0)")
                      .ok());
      ASSERT_TRUE(d.Exec("INSERT INTO contact_points (customer_id, kind, value, status, first_seen_at, last_seen_at) "
                         "VALUES (" + id + ", 'email', 'c" + id + "@example.com', 'verified', " + std::to_string(now) +
                         ", " + std::to_string(now) + ")")
                      .ok());
      ASSERT_TRUE(d.Exec("INSERT INTO consents (customer_id, channel, purpose, status, recorded_at, source_id) VALUES (" +
                         id + ", 'email', 'marketing', 'granted', 1, 1)")
                      .ok());
    }
    ASSERT_TRUE(d.Commit().ok());
    patron::campaign::Policy policy = patron::campaign::DefaultPolicy();
    policy.quiet_start_minute = policy.quiet_end_minute = 0;
    policy.weekend_days["*"] = {};
    policy.weekend_days["SE"] = {};
    policy.caps["email"] = {100, 1};
    ASSERT_TRUE(patron::campaign::SavePolicy(d, policy, patron::SystemClock::Get()).ok());
  }
  void Signups(int customers) {
    auto db = patron::Database::Open(db_path_);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->Begin().ok());
    int64_t now = patron::SystemClock::Get().Now().micros;
    for (int i = 1; i <= customers; ++i)
      ASSERT_TRUE((*db)->Exec("INSERT INTO events (customer_id, type, occurred_at, received_at, source_id, source_key) "
                              "VALUES (" + std::to_string(i) + ", 'newsletter_signup', " + std::to_string(now) + ", " +
                              std::to_string(now) + ", 1, 's" + std::to_string(i) + "')")
                      .ok());
    ASSERT_TRUE((*db)->Commit().ok());
  }
  int64_t Int(const std::string& sql) {
    auto db = patron::Database::Open(db_path_);
    if (!db.ok()) return -1;
    auto v = (*db)->QueryInt(sql);
    return v.ok() ? *v : -1;
  }

  fs::path dir_;
  std::string db_path_;
};

TEST_F(JourneyCli, KillNineMidRunNeitherSkipsNorRepeatsSteps) {
  constexpr int kCustomers = 150;
  Seed(kCustomers);
  SmtpSink sink(dir_ / "sink");
  std::string spec = R"({"name": "drip", "trigger": {"kind": "event", "event_type": "newsletter_signup"},
    "steps": [{"id": "hello", "kind": "send", "campaign": "hello"},
              {"id": "tag", "kind": "add_tag", "tag": "welcomed"},
              {"id": "pause", "kind": "wait", "duration": "2s"},
              {"id": "again", "kind": "send", "campaign": "again"}],
    "campaigns": [
      {"name": "hello", "channel": "email", "audience": "country = \"SE\"", "from_address": "news@shop.example",
       "contents": [{"subject": "Hello {{name}}", "text": "Welcome"}]},
      {"name": "again", "channel": "email", "audience": "country = \"SE\"", "from_address": "news@shop.example",
       "contents": [{"subject": "Again {{name}}", "text": "Still here"}]}]})";
  fs::path spec_file = dir_ / "drip.json";
  {
    std::ofstream(spec_file) << spec;
  }
  auto r = RunPatron({"--db", db_path_, "journey", "create", "--file", spec_file.string()});
  ASSERT_EQ(r.exit_code, 0) << r.out;
  r = RunPatron({"--db", db_path_, "journey", "enable", "drip"});
  ASSERT_EQ(r.exit_code, 0) << r.out;
  Signups(kCustomers);

  std::vector<std::string> run = {PATRON_BINARY, "--db",    db_path_, "journey", "run",      "--loop",
                                  "--interval",  "0.2",     "--lease", "1",      "--smtp",   sink.url()};
  {
    Child first(run, dir_ / "run1.log");
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (sink.Count() < kCustomers / 3 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    first.Kill(SIGKILL);
  }
  int at_kill = sink.Count();
  EXPECT_GT(at_kill, 0);
  EXPECT_LT(at_kill, 2 * kCustomers) << "killed before the end";
  {
    Child second(run, dir_ / "run2.log");
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (Int("SELECT count(*) FROM journey_enrolments WHERE state = 'completed'") < kCustomers &&
           std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    second.Kill(SIGTERM);
  }
  EXPECT_EQ(Int("SELECT count(*) FROM journey_enrolments"), kCustomers) << ReadFile(dir_ / "run2.log");
  EXPECT_EQ(Int("SELECT count(*) FROM journey_enrolments WHERE state = 'completed'"), kCustomers);
  // Exactly one log entry per step per enrolment, and every step reached.
  EXPECT_EQ(Int("SELECT count(*) FROM journey_step_log"), 4 * kCustomers);
  EXPECT_EQ(Int("SELECT count(*) FROM (SELECT enrolment_id FROM journey_step_log GROUP BY enrolment_id "
                "HAVING count(*) = 4)"),
            kCustomers);
  EXPECT_EQ(Int("SELECT count(*) FROM journey_step_log WHERE outcome = 'sent'"), 2 * kCustomers);
  EXPECT_EQ(Int("SELECT count(*) FROM customer_tags WHERE tag = 'welcomed'"), kCustomers);
  EXPECT_EQ(Int("SELECT count(*) FROM events WHERE type = 'message_sent'"), 2 * kCustomers);
  // Every message arrived; one in flight at the kill may have arrived twice, with the same Message-ID.
  auto ids = sink.MessageIds();
  EXPECT_EQ(ids.size(), static_cast<size_t>(2 * kCustomers));
  int repeats = 0;
  for (auto& [id, n] : ids) repeats += n - 1;
  EXPECT_LE(repeats, 1);
  std::printf("killed after %d messages; %d repeated (in flight at the kill)\n", at_kill, repeats);
}

TEST_F(JourneyCli, TheApiCreatesFromATemplateAndServeRunsIt) {
  Seed(5);
  SmtpSink sink(dir_ / "sink");
  auto r = RunPatron({"--db", db_path_, "key", "create", "--role", "admin", "--name", "ci"}, true);
  size_t at = r.out.find("pat_");
  ASSERT_NE(at, std::string::npos) << r.out;
  std::string key = r.out.substr(at, r.out.find_first_of(" \n", at) - at);
  patron::testing::ServeProcess serve(db_path_, {}, {"PATRON_SMTP_URL=" + sink.url()});
  ASSERT_GT(serve.port(), 0);
  httplib::Client client(serve.url());
  client.set_bearer_token_auth(key);
  client.set_read_timeout(30, 0);
  auto curl = [&](const std::string& method, const std::string& path, const std::string& body = "") {
    auto res = method == "GET" ? client.Get(path) : client.Post(path, body.empty() ? "{}" : body, "application/json");
    return res ? json::parse(res->body, nullptr, false) : json();
  };
  json templates = curl("GET", "/api/v1/journey-templates");
  ASSERT_TRUE(templates.contains("templates")) << templates.dump();
  EXPECT_GE(templates["templates"].size(), 7u);
  json created = curl("POST", "/api/v1/journeys", R"({"template": "welcome", "name": "hi", "from_address": "a@shop.example"})");
  ASSERT_EQ(created["name"], "hi") << created.dump();
  json bad = curl("POST", "/api/v1/journeys", R"({"name": "x", "trigger": {"kind": "event"}, "steps": []})");
  EXPECT_NE(bad["error"]["message"].get<std::string>().find("trigger.event_type"), std::string::npos) << bad.dump();
  json enabled = curl("POST", "/api/v1/journeys/hi/enable");
  EXPECT_EQ(enabled["status"], "enabled") << enabled.dump();
  Signups(5);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (sink.Count() < 5 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(sink.Count(), 5) << "serve sent the welcome on its own";
  json shown = curl("GET", "/api/v1/journeys/hi");
  EXPECT_EQ(shown["stats"]["entered"], 5) << shown.dump();
  EXPECT_EQ(shown["stats"]["steps"][0]["outcomes"]["sent"], 5) << shown.dump();
  EXPECT_EQ(shown["stats"]["steps"][1]["waiting"], 5) << "waiting two days for the tips";
}

}  // namespace
