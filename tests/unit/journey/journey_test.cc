// Journeys on a real SQLite file with an injected clock: the JSON form and its
// errors, occasions in the Persian and Hijri calendars, triggers, every step
// kind, messages through a real SMTP server (tests/tools/smtp_sink.py) under
// the campaign rules, webhooks to a real HTTP server, the exactly-once
// protocol across an interrupted send, the shipped templates end to end, and
// ten simulated weeks on generated demo data.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "campaign/campaign.h"
#include "demo/demo.h"
#include "ingest/ingest.h"
#include "journey/journey.h"
#include "journey/journey_internal.h"
#include "store/store.h"
#include "../../tools/smtp_sink_process.h"
#include "../../tools/demo_import.h"

namespace patron::journey {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// 2026-03-02 10:00 UTC, a Monday (13:30 in Tehran, 11:00 in Stockholm).
const Instant kNow = *ParseInstant("2026-03-02T10:00:00Z");
constexpr int64_t kHour = 3'600'000'000;
constexpr int64_t kDay = 24 * kHour;

using SmtpSink = patron::testing::SmtpSinkProcess;

class JourneyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("patron_journey_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    auto db = Database::Open((dir_ / "p.db").string());
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(*db);
    Exec("INSERT INTO sources (id, name, created_at) VALUES (1, 'crm', 0)");
  }
  void TearDown() override {
    db_.reset();
    fs::remove_all(dir_);
  }
  void Exec(const std::string& sql) { ASSERT_TRUE(db_->Exec(sql).ok()) << sql; }
  int64_t Int(const std::string& sql) {
    auto v = db_->QueryInt(sql);
    EXPECT_TRUE(v.ok()) << sql << ": " << v.status().ToString();
    return v.ok() ? *v : -1;
  }

  struct Person {
    int64_t id;
    std::string zone = "Europe/Stockholm", country = "SE", language = "sv", birth = "1990-05-17";
    bool consent = true;
  };
  void Add(const Person& p) {
    Exec("INSERT INTO customers (id, given_name, family_name, language, time_zone, country, birth_date, created_at, "
         "updated_at) VALUES (" + std::to_string(p.id) + ", 'Sara', 'Berg', '" + p.language + "', '" + p.zone + "', '" +
         p.country + "', '" + p.birth + "', 0, 0)");
    int64_t seen = kNow.micros - 10 * kDay;
    Exec("INSERT INTO contact_points (customer_id, kind, value, status, first_seen_at, last_seen_at, last_verified_at) "
         "VALUES (" + std::to_string(p.id) + ", 'email', 'c" + std::to_string(p.id) + "@example.com', 'verified', " +
         std::to_string(seen) + ", " + std::to_string(seen) + ", " + std::to_string(seen) + ")");
    if (p.consent)
      Exec("INSERT INTO consents (customer_id, channel, purpose, status, recorded_at, source_id, method, proof) VALUES (" +
           std::to_string(p.id) + ", 'email', 'marketing', 'granted', 1, 1, 'double_opt_in', 'form')");
  }
  void Event(int64_t customer, const std::string& type, Instant at, const std::string& props = "{}") {
    static int n = 0;
    Exec("INSERT INTO events (customer_id, type, occurred_at, received_at, source_id, source_key, properties) VALUES (" +
         std::to_string(customer) + ", '" + type + "', " + std::to_string(at.micros) + ", " + std::to_string(at.micros) +
         ", 1, 'e" + std::to_string(++n) + "', '" + props + "')");
  }
  void Order(int64_t customer, Instant at, int64_t total_minor = 10000) {
    static int n = 0;
    Exec("INSERT INTO orders (customer_id, order_number, ordered_at, currency, total_minor, source_id) VALUES (" +
         std::to_string(customer) + ", 'o" + std::to_string(++n) + "', " + std::to_string(at.micros) + ", 'SEK', " +
         std::to_string(total_minor) + ", 1)");
  }
  campaign::Campaign Message(const std::string& name) {
    auto spec = campaign::SpecFromJson(R"({"name": ")" + name + R"(", "channel": "email",
        "audience": "lifecycle_stage is missing or lifecycle_stage is not missing",
        "from_address": "news@shop.example", "contents": [{"subject": "Hej {{name}}", "text": "Kod {{coupon}}"}]})");
    EXPECT_TRUE(spec.ok()) << spec.status().ToString();
    auto c = campaign::CreateCampaign(*db_, *spec, "test", clock_);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return *c;
  }
  Journey Create(const std::string& spec_json, bool enable = true) {
    auto spec = SpecFromJson(spec_json);
    EXPECT_TRUE(spec.ok()) << spec.status().ToString();
    auto j = CreateJourney(*db_, *spec, "test", clock_);
    EXPECT_TRUE(j.ok()) << j.status().ToString();
    if (enable) {
      EXPECT_TRUE(EnableJourney(*db_, *j, clock_).ok());
    }
    return *j;
  }
  RunReport Run(RunOptions options = {}) {
    if (options.smtp_url.empty()) options.smtp_url = smtp_url_;
    auto r = RunDue(*db_, clock_, options);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : RunReport{};
  }
  // Advances the clock hour by hour, running due steps after each hour.
  void RunFor(int64_t micros, RunOptions options = {}) {
    Instant end{clock_.Now().micros + micros};
    while (clock_.Now() < end) {
      clock_.Advance(std::chrono::hours(1));
      Run(options);
    }
  }
  std::map<std::string, std::string> StepLog(int64_t enrolment) {
    std::map<std::string, std::string> out;
    auto q = db_->Prepare("SELECT step, outcome FROM journey_step_log WHERE enrolment_id = " + std::to_string(enrolment));
    EXPECT_TRUE(q.ok());
    while (*(*q)->Step()) out[(*q)->String(0)] = (*q)->String(1);
    return out;
  }

  fs::path dir_;
  std::unique_ptr<Database> db_;
  ManualClock clock_{kNow};
  std::string smtp_url_;
};

TEST_F(JourneyTest, TheJsonFormNamesTheFieldThatIsWrong) {
  auto bad = SpecFromJson(R"({"name": "x", "trigger": {"kind": "event"}, "steps": [{"id": "a", "kind": "exit"}]})");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("trigger.event_type"), std::string::npos) << bad.status().message();
  bad = SpecFromJson(R"({"name": "x", "trigger": {"kind": "purchase"},
      "steps": [{"id": "a", "kind": "wait", "duration": "3 fortnights"}]})");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("steps[0] (a).duration: unknown unit \"fortnights\""), std::string::npos)
      << bad.status().message();
  bad = SpecFromJson(R"({"name": "x", "trigger": {"kind": "purchase"}, "steps": [{"id": "a", "kind": "snd"}]})");
  EXPECT_NE(bad.status().message().find("steps[0].kind: unknown step \"snd\""), std::string::npos);
  bad = SpecFromJson(R"({"name": "x", "trigger": {"kind": "calendar_date", "calendar": "mayan", "month": 1, "day": 1},
      "steps": [{"id": "a", "kind": "exit"}]})");
  EXPECT_NE(bad.status().message().find("trigger.calendar"), std::string::npos);
  bad = SpecFromJson(R"({"name": "x", "trigger": {"kind": "purchase"}, "steps": [{"id": "a", "kind": "exit", "colour": 1}]})");
  EXPECT_NE(bad.status().message().find("steps[0]: unknown field \"colour\""), std::string::npos);

  // Checks against the store: campaigns exist, references resolve, no loops.
  auto spec = SpecFromJson(R"({"name": "x", "trigger": {"kind": "purchase"},
      "steps": [{"id": "a", "kind": "send", "campaign": "nope"}]})");
  ASSERT_TRUE(spec.ok());
  Status st = CheckSpec(*db_, *spec);
  EXPECT_NE(st.message().find("steps[0] (a).campaign: no campaign \"nope\""), std::string::npos) << st.message();
  spec = SpecFromJson(R"({"name": "x", "trigger": {"kind": "purchase"},
      "steps": [{"id": "a", "kind": "wait", "duration": "1d"}, {"id": "b", "kind": "branch", "response": "clicked",
                 "then": "a", "else": "end"}]})");
  ASSERT_TRUE(spec.ok());
  st = CheckSpec(*db_, *spec);
  EXPECT_NE(st.message().find("loop"), std::string::npos) << st.message();
  spec = SpecFromJson(R"({"name": "x", "trigger": {"kind": "segment_enter", "segment": "ctiy = \"Tehran\""},
      "steps": [{"id": "a", "kind": "exit"}]})");
  ASSERT_TRUE(spec.ok());
  st = CheckSpec(*db_, *spec);
  EXPECT_NE(st.message().find("trigger.segment:"), std::string::npos) << st.message();

  // Round trip.
  Message("m");
  std::string text = R"({"name": "rt", "trigger": {"kind": "date_attribute", "attribute": "birth_date",
      "offset_days": -3, "local_time": "09:30"},
      "steps": [{"id": "w", "kind": "wait", "duration": "2w", "until_time": "10:00"},
                {"id": "s", "kind": "send", "campaign": "m"},
                {"id": "b", "kind": "branch", "response": "opened", "then": "t", "else": "end"},
                {"id": "t", "kind": "add_tag", "tag": "engaged"}],
      "reentry": "after_days", "reentry_days": 300, "frequency_cap": {"messages": 1, "days": 7},
      "catch_up": {"policy": "skip_if_stale", "stale_after_hours": 6}, "exit": {"goal_event": "purchase"}})";
  Journey j = Create(text, false);
  auto back = SpecFromJson(SpecToJson(j));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(SpecToJson(*back), SpecToJson(j));
  EXPECT_EQ(back->trigger.offset_days, -3);
  EXPECT_EQ(back->trigger.local_minute, 9 * 60 + 30);
  EXPECT_EQ(back->steps[0].seconds, 14 * 86400);
  EXPECT_EQ(back->catch_up, CatchUp::kSkipIfStale);
  EXPECT_EQ(CreateJourney(*db_, *back, "test", clock_).status().code(), StatusCode::kAlreadyExists);
}

TEST_F(JourneyTest, OccasionsFallOnTheirDaysInThePersianAndHijriCalendars) {
  auto on = [](const std::string& cal, int month, int day, CivilDate date, int offset = 0) {
    auto spec = SpecFromJson(R"({"name": "x", "trigger": {"kind": "calendar_date", "calendar": ")" + cal +
                             R"(", "month": )" + std::to_string(month) + R"(, "day": )" + std::to_string(day) +
                             R"(, "offset_days": )" + std::to_string(offset) +
                             R"(}, "steps": [{"id": "a", "kind": "exit"}]})");
    EXPECT_TRUE(spec.ok()) << spec.status().ToString();
    auto r = CalendarDateFallsOn(spec->trigger, date);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() && *r;
  };
  EXPECT_TRUE(on("persian", 1, 1, {2026, 3, 21}));    // Nowruz 1405
  EXPECT_FALSE(on("persian", 1, 1, {2026, 3, 20}));
  EXPECT_TRUE(on("persian", 7, 1, {2026, 9, 23}));    // 1 Mehr 1405: back to school
  EXPECT_TRUE(on("persian", 7, 1, {2026, 9, 13}, -10));  // ten days before
  EXPECT_TRUE(on("persian", 9, 30, {2026, 12, 21}));  // Yalda, 30 Azar 1405
  EXPECT_TRUE(on("islamic", 9, 1, {2026, 2, 18}));    // 1 Ramadan 1447 (Umm al-Qura)
  EXPECT_TRUE(on("islamic", 10, 1, {2026, 3, 20}));   // Eid al-Fitr, 1 Shawwal 1447
  // The arithmetic calendar can differ from Umm al-Qura by a day; both are what ICU computes.
  auto civil = CalendarToGregorian(TriggerCalendar::kIslamicCivil, 1447, 9, 1);
  ASSERT_TRUE(civil.ok());
  EXPECT_LE(std::abs(civil->ToDays() - CivilDate{2026, 2, 18}.ToDays()), 1);
  EXPECT_TRUE(on("gregorian", 12, 24, {2026, 12, 24}));
  // Anniversaries: 29 February in common years is the 28th.
  EXPECT_TRUE(AnniversaryFallsOn({2000, 2, 29}, 0, {2026, 2, 28}));
  EXPECT_TRUE(AnniversaryFallsOn({2000, 2, 29}, 0, {2028, 2, 29}));
  EXPECT_FALSE(AnniversaryFallsOn({2000, 2, 29}, 0, {2028, 2, 28}));
  EXPECT_TRUE(AnniversaryFallsOn({1990, 5, 17}, -3, {2026, 5, 14}));
  // Local times: 10:00 in Tehran (UTC+3:30) is 06:30 UTC.
  EXPECT_EQ(FormatInstant(LocalMoment({2026, 3, 2}, 600, "Asia/Tehran")), "2026-03-02T06:30:00Z");
  EXPECT_EQ(FormatInstant(NextLocalTime(kNow, 600, "Asia/Tehran")), "2026-03-03T06:30:00Z");
}

TEST_F(JourneyTest, PostPurchaseSequenceRunsOnTimeThroughARealSmtpServer) {
  SmtpSink sink(dir_ / "sink");
  smtp_url_ = sink.url();
  for (int id = 1; id <= 4; ++id) Add({.id = id});
  Exec("UPDATE consents SET status = 'withdrawn' WHERE customer_id = 4");  // never mailed
  auto created = CreateFromTemplate(*db_, "post_purchase", {}, "test", clock_);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  Journey j = *created;
  ASSERT_TRUE(EnableJourney(*db_, j, clock_).ok());
  Order(1, clock_.Now());  // before the trigger ran: counts (arrived after enabling)
  Order(2, clock_.Now());
  Order(3, clock_.Now());
  Order(4, clock_.Now());
  RunReport r = Run();
  EXPECT_EQ(r.enrolled, 4u);
  EXPECT_EQ(Int("SELECT count(*) FROM journey_timers WHERE status = 'pending'"), 4);

  RunFor(6 * kDay);
  EXPECT_TRUE(sink.Messages().empty()) << "nothing before a week";
  RunFor(2 * kDay);
  auto messages = sink.Messages();
  EXPECT_EQ(messages.size(), 3u) << "thank-you to 1, 2, 3; 4 withdrew consent";
  // The thank-you went out at 10:00 in Stockholm (09:00 UTC in March).
  auto sent_at = db_->QueryInt("SELECT min(at) FROM journey_step_log WHERE step = 'thank_you' AND outcome = 'sent'");
  ASSERT_TRUE(sent_at.ok());
  EXPECT_EQ(FormatInstant(Instant{*sent_at}).substr(11), "09:00:00Z");
  EXPECT_EQ(Int("SELECT count(*) FROM events WHERE type = 'message_sent' AND json_extract(properties, '$.journey') = "
                "'post_purchase'"),
            3);
  // Customer 2 clicks the thank-you; customer 3 buys again (and leaves: the goal... there is none: stays).
  auto c = campaign::LoadCampaign(*db_, "post_purchase · thank_you");
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(campaign::RecordResponse(*db_, c->id, 2, "click", clock_).ok());
  RunFor(29 * kDay);  // five weeks: the new offer
  EXPECT_EQ(sink.Messages().size(), 6u);
  Order(3, clock_.Now());
  RunFor(36 * kDay);  // ten weeks: the call task for whoever did not respond
  auto tasks = db_->Prepare("SELECT customer_id, coupon, discount_percent FROM journey_call_tasks ORDER BY customer_id");
  ASSERT_TRUE(tasks.ok());
  std::vector<int64_t> called;
  std::set<std::string> coupons;
  while (*(*tasks)->Step()) {
    called.push_back((*tasks)->Int(0));
    coupons.insert((*tasks)->String(1));
    EXPECT_EQ((*tasks)->Double(2), 15);
  }
  EXPECT_EQ(called, (std::vector<int64_t>{1, 4})) << "2 clicked, 3 bought again; 4 was never mailed and gets a call";
  EXPECT_EQ(coupons.size(), 2u);
  auto stats = Stats(*db_, j);
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->entered, 4u);
  EXPECT_EQ(stats->completed, 4u);
  EXPECT_EQ(stats->steps[1].outcomes["sent"], 3u);
  EXPECT_EQ(stats->steps[1].outcomes["suppressed:unsubscribed"], 1u);
  EXPECT_EQ(stats->call_tasks, 2u);
  EXPECT_EQ(sink.Messages().size(), 6u) << "no message repeated";
  // Every Message-ID is distinct (one per enrolment and step).
  std::set<std::string> ids;
  for (auto& m : sink.Stored()) ids.insert(m.MessageId());
  EXPECT_EQ(ids.size(), 6u);
}

TEST_F(JourneyTest, AnInterruptedSendIsResentOnceWithTheSameMessageId) {
  SmtpSink sink(dir_ / "sink");
  smtp_url_ = sink.url();
  Add({.id = 1});
  Add({.id = 2});
  Message("hello");
  Journey j = Create(R"({"name": "hi", "trigger": {"kind": "event", "event_type": "newsletter_signup"},
      "steps": [{"id": "hello", "kind": "send", "campaign": "hello"}, {"id": "tag", "kind": "add_tag", "tag": "greeted"}]})");
  Event(1, "newsletter_signup", clock_.Now());
  Event(2, "newsletter_signup", clock_.Now());
  // The scheduler "dies" after claiming the sends and before sending them.
  RunOptions crash;
  crash.smtp_url = smtp_url_;
  crash.after_claim = [] { throw std::runtime_error("killed"); };
  EXPECT_THROW((void)RunDue(*db_, clock_, crash), std::runtime_error);
  if (db_->in_transaction()) (void)db_->Rollback();
  EXPECT_EQ(Int("SELECT count(*) FROM journey_timers WHERE status = 'running'"), 2);
  EXPECT_TRUE(sink.Messages().empty());
  // Within the lease nobody takes them over; after it, they are sent once.
  clock_.Advance(std::chrono::seconds(10));
  RunReport r = Run();
  EXPECT_EQ(r.sent, 0u);
  clock_.Advance(std::chrono::seconds(60));
  r = Run();
  EXPECT_EQ(r.sent, 2u);
  EXPECT_EQ(r.resumed, 2u);
  EXPECT_EQ(sink.Messages().size(), 2u);
  for (int64_t e : {1, 2}) {
    auto log = StepLog(e);
    EXPECT_EQ(log.size(), 2u);
    EXPECT_EQ(log["hello"], "sent");
    EXPECT_EQ(log["tag"], "done");
  }
  EXPECT_EQ(Int("SELECT count(*) FROM customer_tags WHERE tag = 'greeted'"), 2);
  // Nothing more to do, however often it runs.
  for (int i = 0; i < 3; ++i) Run();
  EXPECT_EQ(sink.Messages().size(), 2u);
  // The same Message-ID as claimed: receivers de-duplicate a resend by it.
  auto claimed = db_->Prepare("SELECT message_id FROM journey_timers WHERE step = 'hello' ORDER BY id");
  ASSERT_TRUE(claimed.ok());
  std::set<std::string> claimed_ids, sent_ids;
  while (*(*claimed)->Step()) claimed_ids.insert((*claimed)->String(0));
  for (auto& m : sink.Stored()) sent_ids.insert(m.MessageId());
  EXPECT_EQ(claimed_ids, sent_ids);
}

TEST_F(JourneyTest, QuietHoursDeferTheStepInTheCustomersZoneAndCapsSuppress) {
  SmtpSink sink(dir_ / "sink");
  smtp_url_ = sink.url();
  Add({.id = 1, .zone = "Asia/Tehran", .country = "IR", .language = "fa"});
  Add({.id = 2});
  Message("late");
  Journey j = Create(R"({"name": "late", "trigger": {"kind": "event", "event_type": "cart_abandoned",
      "where": {"channel": "web"}},
      "steps": [{"id": "m", "kind": "send", "campaign": "late"}], "reentry": "after_exit"})");
  // 22:00 in Tehran (18:30 UTC): quiet hours there; Stockholm is 19:30, not quiet.
  clock_.Set(*ParseInstant("2026-03-03T18:30:00Z"));
  Event(1, "cart_abandoned", clock_.Now(), R"({"channel":"web"})");
  Event(2, "cart_abandoned", clock_.Now(), R"({"channel":"app"})");  // filtered out by where
  RunReport r = Run();
  EXPECT_EQ(r.enrolled, 1u);
  EXPECT_EQ(r.deferred, 1u);
  EXPECT_TRUE(sink.Messages().empty());
  EXPECT_EQ(FormatInstant(Instant{Int("SELECT due_at FROM journey_timers WHERE status = 'pending'")}),
            "2026-03-04T04:30:00Z") << "08:00 in Tehran";
  clock_.Set(*ParseInstant("2026-03-04T04:30:00Z"));
  r = Run();
  EXPECT_EQ(r.sent, 1u);
  EXPECT_EQ(sink.Messages().size(), 1u);
  // The campaign frequency cap (email: 1 a week by default... per policy) suppresses a second passage.
  campaign::Policy policy = campaign::DefaultPolicy();
  policy.caps["email"] = {1, 7};
  ASSERT_TRUE(campaign::SavePolicy(*db_, policy, clock_).ok());
  clock_.Advance(std::chrono::hours(2));
  Event(1, "cart_abandoned", clock_.Now(), R"({"channel":"web"})");
  r = Run();
  EXPECT_EQ(r.enrolled, 1u);
  EXPECT_EQ(r.suppressed, 1u);
  EXPECT_EQ(sink.Messages().size(), 1u);
  auto stats = Stats(*db_, j);
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->steps[0].outcomes["suppressed:frequency_cap"], 1u);
}

TEST_F(JourneyTest, WebhooksTagsAttributesAndBranchesOnSegments) {
  httplib::Server receiver;
  std::mutex mu;
  std::vector<std::pair<std::string, json>> calls;
  receiver.Post("/hook", [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mu);
    calls.emplace_back(req.get_header_value("Idempotency-Key"), json::parse(req.body));
    res.set_content("{}", "application/json");
  });
  int port = receiver.bind_to_any_port("127.0.0.1");
  std::thread serving([&] { receiver.listen_after_bind(); });
  Add({.id = 1, .zone = "Asia/Tehran", .country = "IR"});
  Add({.id = 2});
  Exec("INSERT INTO attribute_definitions (entity, name, type, created_at) VALUES ('customer', 'tier', 'text', 0)");
  Journey j = Create(R"({"name": "route", "trigger": {"kind": "event", "event_type": "support_ticket_closed"},
      "steps": [{"id": "iran", "kind": "branch", "condition": "country = \"IR\"", "then": "hook", "else": "tag"},
                {"id": "hook", "kind": "webhook", "url": "http://127.0.0.1:)" + std::to_string(port) + R"(/hook",
                 "next": "tier"},
                {"id": "tag", "kind": "add_tag", "tag": "nordic"},
                {"id": "tier", "kind": "set_attribute", "attribute": "tier", "value": "gold"}]})");
  Event(1, "support_ticket_closed", clock_.Now());
  Event(2, "support_ticket_closed", clock_.Now());
  RunReport r = Run();
  EXPECT_EQ(r.webhooks, 1u);
  receiver.stop();
  serving.join();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].second["customer_id"], 1);
  EXPECT_EQ(calls[0].second["step"], "hook");
  EXPECT_FALSE(calls[0].first.empty());
  EXPECT_EQ(Int("SELECT count(*) FROM customer_tags WHERE tag = 'nordic' AND customer_id = 2"), 1);
  EXPECT_EQ(Int("SELECT count(*) FROM customer_attributes WHERE name = 'tier' AND value = 'gold'"), 2);
  EXPECT_EQ(StepLog(1)["iran"], "yes");
  EXPECT_EQ(StepLog(2)["iran"], "no");
  EXPECT_EQ(StepLog(1)["hook"], "called");
  EXPECT_EQ(Int("SELECT count(*) FROM journey_enrolments WHERE state = 'completed'"), 2);
}

TEST_F(JourneyTest, BirthdaysEnterAtNineInTheirOwnZoneOncePerYear) {
  Add({.id = 1, .zone = "Asia/Tehran", .country = "IR", .birth = "1985-03-03"});
  Add({.id = 2, .zone = "America/New_York", .country = "US", .birth = "1992-03-03"});
  Add({.id = 3, .birth = "1992-07-01"});
  Journey j = Create(R"({"name": "bday", "trigger": {"kind": "date_attribute", "attribute": "birth_date",
      "local_time": "09:00"}, "steps": [{"id": "t", "kind": "add_tag", "tag": "bday"}],
      "reentry": "after_days", "reentry_days": 300})");
  Run();  // 2 March 10:00 UTC: the scan finds tomorrow's birthdays
  auto q = db_->Prepare("SELECT e.customer_id, t.due_at FROM journey_timers t JOIN journey_enrolments e ON "
                        "e.id = t.enrolment_id ORDER BY e.customer_id");
  ASSERT_TRUE(q.ok());
  std::map<int64_t, std::string> due;
  while (*(*q)->Step()) due[(*q)->Int(0)] = FormatInstant(Instant{(*q)->Int(1)});
  EXPECT_EQ(due.size(), 2u);
  EXPECT_EQ(due[1], "2026-03-03T05:30:00Z");  // 09:00 in Tehran
  EXPECT_EQ(due[2], "2026-03-03T14:00:00Z");  // 09:00 in New York
  RunFor(2 * kDay);
  EXPECT_EQ(Int("SELECT count(*) FROM customer_tags WHERE tag = 'bday'"), 2);
  EXPECT_EQ(Int("SELECT count(*) FROM journey_enrolments"), 2) << "the next day's scans enrol nobody twice";
}

TEST_F(JourneyTest, SegmentEntryExitOnGoalAndWaitForAnEvent) {
  Add({.id = 1});
  Add({.id = 2});
  // Not the newest customer: the engine's snapshot delta does not notice a
  // lone tag change on the customer with the largest id (0010_engine_changes.sql).
  Add({.id = 3});
  Exec("INSERT INTO customer_tags VALUES (1, 'vip')");
  Journey j = Create(R"j({"name": "vip", "trigger": {"kind": "segment_enter", "segment": "tagged(\"vip\")"},
      "steps": [{"id": "w", "kind": "wait", "until_event": "survey_answered", "timeout": "3d", "on_timeout": "late"},
                {"id": "thanks", "kind": "add_tag", "tag": "answered", "next": "end"},
                {"id": "late", "kind": "add_tag", "tag": "silent"}],
      "exit": {"goal_event": "meeting_booked"}})j");
  RunOptions fast;
  fast.segment_interval_seconds = 0;
  Run(fast);  // the first evaluation is the baseline: customer 1 was already in
  EXPECT_EQ(Int("SELECT count(*) FROM journey_enrolments"), 0);
  Exec("INSERT INTO customer_tags VALUES (2, 'vip')");
  clock_.Advance(std::chrono::minutes(1));
  RunReport r = Run(fast);
  EXPECT_EQ(r.enrolled, 1u);
  clock_.Advance(std::chrono::hours(5));
  Event(2, "survey_answered", clock_.Now());
  Run(fast);
  EXPECT_EQ(StepLog(1)["w"], "event");
  EXPECT_EQ(Int("SELECT count(*) FROM customer_tags WHERE tag = 'answered'"), 1);
  // Leave and re-enter: re-entry "never" keeps them out; a timeout path for another customer.
  Exec("INSERT INTO customer_tags VALUES (1, 'x')");
  Exec("DELETE FROM customer_tags WHERE customer_id = 1 AND tag = 'vip'");
  Run(fast);
  Exec("INSERT INTO customer_tags VALUES (1, 'vip')");
  clock_.Advance(std::chrono::minutes(1));
  Run(fast);
  clock_.Advance(std::chrono::hours(1));
  Event(1, "meeting_booked", clock_.Now());
  RunFor(4 * kDay, fast);
  auto stats = Stats(*db_, j);
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->entered, 2u);
  EXPECT_EQ(stats->exit_reasons["goal"], 1u) << "customer 1 booked a meeting while waiting";
  EXPECT_EQ(Int("SELECT count(*) FROM customer_tags WHERE tag = 'silent'"), 0);
}

TEST_F(JourneyTest, WaitingForAPurchaseEndsWithTheOrder) {
  Add({.id = 1});
  Add({.id = 2});
  Journey j = Create(R"({"name": "cart", "trigger": {"kind": "event", "event_type": "cart_abandoned"},
      "steps": [{"id": "w", "kind": "wait", "until_event": "purchase", "timeout": "1d", "next": "end",
                 "on_timeout": "nudge"},
                {"id": "nudge", "kind": "add_tag", "tag": "nudged"}]})");
  Event(1, "cart_abandoned", clock_.Now());
  Event(2, "cart_abandoned", clock_.Now());
  Run();
  clock_.Advance(std::chrono::hours(2));
  Order(1, clock_.Now());
  Run();
  EXPECT_EQ(StepLog(1)["w"], "event");
  RunFor(kDay);
  EXPECT_EQ(StepLog(2)["w"], "timeout");
  EXPECT_EQ(Int("SELECT group_concat(customer_id) FROM customer_tags WHERE tag = 'nudged'"), 2);
}

TEST_F(JourneyTest, SkipIfStaleSkipsActionsDueLongAgoAndRunLateRunsThem) {
  Add({.id = 1});
  Add({.id = 2});
  Journey stale = Create(R"({"name": "stale", "trigger": {"kind": "event", "event_type": "a"},
      "steps": [{"id": "w", "kind": "wait", "duration": "1d"}, {"id": "call", "kind": "call_task"}],
      "catch_up": {"policy": "skip_if_stale", "stale_after_hours": 12}})");
  Journey late = Create(R"({"name": "late", "trigger": {"kind": "event", "event_type": "a"},
      "steps": [{"id": "w", "kind": "wait", "duration": "1d"}, {"id": "call", "kind": "call_task"}]})");
  Event(1, "a", clock_.Now());
  Run();
  clock_.Advance(std::chrono::hours(24 * 3));  // the scheduler was down for two days
  Run();
  auto log = db_->Prepare("SELECT j.name, l.outcome FROM journey_step_log l JOIN journeys j ON j.id = l.journey_id "
                          "WHERE l.step = 'call' ORDER BY j.name");
  ASSERT_TRUE(log.ok());
  std::map<std::string, std::string> outcome;
  while (*(*log)->Step()) outcome[(*log)->String(0)] = (*log)->String(1);
  EXPECT_EQ(outcome["stale"], "stale");
  EXPECT_EQ(outcome["late"], "created");
}

TEST_F(JourneyTest, TenSimulatedWeeksOfTheTemplatesOnDemoDataTakeSeconds) {
  demo::GenerateOptions options;
  options.customers = 1500;
  options.seed = 7;
  options.out_dir = (dir_ / "data").string();
  auto summary = demo::Generate(options);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  ASSERT_NO_FATAL_FAILURE(patron::testing::ImportDemoFiles(*db_, summary->files, clock_));
  for (const TemplateInfo& t : Templates()) {
    auto j = CreateFromTemplate(*db_, t.name, {}, "test", clock_);
    ASSERT_TRUE(j.ok()) << t.name << ": " << j.status().ToString();
  }
  const int64_t before = Int("SELECT count(*) FROM events") + Int("SELECT count(*) FROM journey_enrolments");
  std::map<std::string, uint64_t> entered;
  auto t0 = std::chrono::steady_clock::now();
  for (const char* name : {"post_purchase", "welcome", "abandoned_cart", "birthday", "back_to_school"}) {
    auto j = LoadJourney(*db_, name);
    ASSERT_TRUE(j.ok());
    SimulationOptions so;
    so.from = *ParseInstant("2026-08-01T00:00:00Z");
    so.weeks = 10;
    so.tick_seconds = 2 * 3600;
    auto sim = Simulate(*db_, *j, so);
    ASSERT_TRUE(sim.ok()) << name << ": " << sim.status().ToString();
    entered[name] = sim->stats.entered;
    EXPECT_GE(sim->stats.entered, sim->stats.completed + sim->stats.exited);
    for (const StepStats& st : sim->stats.steps) EXPECT_LE(st.reached, sim->stats.entered) << name << " " << st.id;
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_GT(entered["post_purchase"], 10u);
  EXPECT_GT(entered["abandoned_cart"], 0u);
  EXPECT_GT(entered["birthday"], 0u);
  EXPECT_GT(entered["back_to_school"], 0u) << "1 Mehr 1405 = 23 September 2026 is inside the window";
  EXPECT_LT(seconds, 120) << "five ten-week simulations (sanitizer build)";
  // The store itself is untouched.
  EXPECT_EQ(Int("SELECT count(*) FROM events") + Int("SELECT count(*) FROM journey_enrolments"), before);
  std::printf("simulated 5 journeys x 10 weeks in %.1f s; entered: post_purchase %llu, abandoned_cart %llu\n", seconds,
              static_cast<unsigned long long>(entered["post_purchase"]),
              static_cast<unsigned long long>(entered["abandoned_cart"]));
}


TEST_F(JourneyTest, StepsDueRightAfterAWaitRunInItsTransactionAndCountsFollowStates) {
  for (int id = 1; id <= 3; ++id) Add({.id = id});
  Journey j = Create(R"({"name": "chain", "trigger": {"kind": "event", "event_type": "signed_up"},
      "steps": [{"id": "wait", "kind": "wait", "duration": "1d"},
                {"id": "tag", "kind": "add_tag", "tag": "chained"},
                {"id": "untag", "kind": "remove_tag", "tag": "newcomer"}],
      "exit": {"unsubscribed": false}})");
  for (int id = 1; id <= 3; ++id) Event(id, "signed_up", clock_.Now());
  RunReport r = Run();
  EXPECT_EQ(r.enrolled, 3u);
  clock_.Advance(std::chrono::hours(25));
  r = Run();
  // The wait ends; the two tag steps follow at once, in the same pass
  // and transaction, without timers of their own; each step logged once.
  EXPECT_EQ(r.steps, 9u);
  EXPECT_EQ(r.completed, 3u);
  EXPECT_EQ(Int("SELECT count(*) FROM customer_tags WHERE tag = 'chained'"), 3);
  EXPECT_EQ(Int("SELECT count(*) FROM journey_timers WHERE step IN ('tag', 'untag')"), 0);
  EXPECT_EQ(Int("SELECT count(*) FROM journey_step_log WHERE journey_id = " + std::to_string(j.id)), 9);
  EXPECT_EQ(Int("SELECT count(DISTINCT enrolment_id || step) FROM journey_step_log"), 9);
  for (int i = 0; i < 2; ++i) EXPECT_EQ(Run().steps, 0u) << "nothing runs twice";
  // Per-state counts kept by triggers (migration 0014) agree with the rows.
  auto stats = Stats(*db_, j);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->entered, 3u);
  EXPECT_EQ(stats->completed, 3u);
  EXPECT_EQ(stats->active, 0u);
  Exec("DELETE FROM customers WHERE id = 3");  // erasure cascades to the enrolment
  stats = Stats(*db_, j);
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->entered, 2u);
  EXPECT_EQ(stats->completed, 2u);
}

}  // namespace
}  // namespace patron::journey
