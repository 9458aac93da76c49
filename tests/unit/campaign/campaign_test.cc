// Campaigns on a real SQLite file: the JSON form, suppression with a count for
// every reason, holdout and variant draws, quiet hours in the customer's zone,
// rendering (personalisation, RTL, signed links), the outbox's exactly-once
// bookkeeping across a stop and a restart, responses, and lift.
#include "campaign/campaign.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>

#include "campaign/campaign_internal.h"
#include "engine/engine.h"
#include "store/store.h"

namespace patron::campaign {
namespace {

namespace fs = std::filesystem;

// 2026-03-02 10:00 UTC, a Monday (13:30 in Tehran, 11:00 in Stockholm).
const Instant kNow = *ParseInstant("2026-03-02T10:00:00Z");
constexpr int64_t kDay = 86'400'000'000;

class CampaignTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("patron_campaign_" + std::to_string(::getpid()) + "_" +
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

  // A customer with a verified email and marketing consent for email, unless told otherwise.
  struct Person {
    int64_t id;
    std::string given = "Sara", family = "Berg", language = "sv", zone = "Europe/Stockholm", country = "SE";
    std::string email_status = "verified";
    bool email = true;
    std::string consent = "granted";
    int64_t seen_days_ago = 10;
  };
  void Add(const Person& p) {
    Exec("INSERT INTO customers (id, given_name, family_name, language, time_zone, country, created_at, updated_at) "
         "VALUES (" + std::to_string(p.id) + ", '" + p.given + "', '" + p.family + "', '" + p.language + "', '" +
         p.zone + "', '" + p.country + "', 0, 0)");
    int64_t seen = kNow.micros - p.seen_days_ago * kDay;
    if (p.email)
      Exec("INSERT INTO contact_points (customer_id, kind, value, status, first_seen_at, last_seen_at, last_verified_at) "
           "VALUES (" + std::to_string(p.id) + ", 'email', 'c" + std::to_string(p.id) + "@example.com', '" +
           p.email_status + "', " + std::to_string(seen) + ", " + std::to_string(seen) + ", " + std::to_string(seen) + ")");
    if (!p.consent.empty())
      Exec("INSERT INTO consents (customer_id, channel, purpose, status, recorded_at, source_id, method, proof) VALUES (" +
           std::to_string(p.id) + ", 'email', 'marketing', '" + p.consent + "', 1, 1, 'double_opt_in', 'form')");
  }
  std::shared_ptr<const engine::Snapshot> Snap() {
    auto s = engine::BuildSnapshot(*db_, clock_);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? *s : nullptr;
  }
  Campaign Create(const std::string& json_text) {
    auto spec = SpecFromJson(json_text);
    EXPECT_TRUE(spec.ok()) << spec.status().ToString();
    auto c = CreateCampaign(*db_, *spec, "test", clock_);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return *c;
  }
  static std::string Basic(const std::string& name, const std::string& extra = "") {
    return R"({"name": ")" + name + R"j(", "channel": "email", "audience": "country in (\"SE\", \"IR\")",
               "from_address": "news@shop.example", "from_name": "Shop")j" + extra + R"(,
               "contents": [{"subject": "Hej {{name}}", "text": "Din kod: {{coupon}}"}]})";
  }

  fs::path dir_;
  std::unique_ptr<Database> db_;
  ManualClock clock_{kNow};
};

TEST_F(CampaignTest, TheJsonFormNamesTheFieldThatIsWrong) {
  auto bad = SpecFromJson(R"({"name": "x", "chanel": "email"})");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("unknown field \"chanel\""), std::string::npos);
  bad = SpecFromJson(R"({"name": "x", "channel": "fax"})");
  EXPECT_NE(bad.status().message().find("channel: unknown channel \"fax\""), std::string::npos);
  bad = SpecFromJson(R"({"name": "x", "schedule": {"kind": "local_time", "local_time": "25:00"}})");
  EXPECT_NE(bad.status().message().find("schedule.local_time"), std::string::npos);
  EXPECT_FALSE(SpecFromJson("{not json").ok());

  auto spec = SpecFromJson(R"({"name": "x", "audience": "city = \"Tehran\"", "from_address": "a@b.example",
      "contents": [{"variant": "A", "split_percent": 60, "subject": "s", "text": "t"},
                   {"variant": "B", "split_percent": 30, "subject": "s", "text": "t"}]})");
  ASSERT_TRUE(spec.ok());
  auto created = CreateCampaign(*db_, *spec, "test", clock_);
  ASSERT_FALSE(created.ok());
  EXPECT_NE(created.status().message().find("add up to 90"), std::string::npos) << created.status().message();

  spec->contents[1].split_percent = 40;
  spec->audience = "ctiy = \"Tehran\"";
  created = CreateCampaign(*db_, *spec, "test", clock_);
  ASSERT_FALSE(created.ok());
  EXPECT_NE(created.status().message().find("audience:"), std::string::npos);
  EXPECT_NE(created.status().message().find("city"), std::string::npos) << "the segment hint comes through";

  spec->audience = "city = \"Tehran\"";
  spec->contents[0].subject = "Hi {{#name}}";  // unclosed section
  created = CreateCampaign(*db_, *spec, "test", clock_);
  ASSERT_FALSE(created.ok());
  EXPECT_NE(created.status().message().find("template"), std::string::npos);

  spec->contents[0].subject = "Hi {{name}}";
  created = CreateCampaign(*db_, *spec, "test", clock_);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  auto again = CreateCampaign(*db_, *spec, "test", clock_);
  EXPECT_EQ(again.status().code(), StatusCode::kAlreadyExists);
  // Round trip through the JSON form.
  auto loaded = LoadCampaign(*db_, "x");
  ASSERT_TRUE(loaded.ok());
  auto back = SpecFromJson([&] {
    auto j = nlohmann::json::parse(ToJson(*loaded));
    for (const char* k : {"id", "status", "created_by", "created_at", "updated_at", "prepared_at", "started_at", "finished_at"})
      j.erase(k);
    return j.dump();
  }());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->contents.size(), 2u);
  EXPECT_EQ(back->contents[1].split_percent, 40);
}

TEST_F(CampaignTest, EverySuppressionReasonIsCountedOnce) {
  Add({.id = 1});                                          // target
  Add({.id = 2, .consent = ""});                           // no_consent
  Add({.id = 3, .consent = "withdrawn"});                  // unsubscribed
  Add({.id = 4, .email = false});                          // no_contact_point
  Add({.id = 5, .email_status = "invalid"});               // invalid_contact_point
  Add({.id = 6, .email_status = "bounced"});               // bounced
  Add({.id = 7, .seen_days_ago = 1000});                   // stale_contact_point
  Add({.id = 8});                                          // opt_out_register
  Add({.id = 9});                                          // frequency_cap
  Add({.id = 10});                                         // key_account
  Add({.id = 11});                                         // in_collections
  Add({.id = 12});                                         // active_offer
  Add({.id = 13, .country = "DE"});                        // not in the audience
  Exec("INSERT INTO suppression_entries VALUES ('own', 'email', 'c8@example.com', 0)");
  Exec("INSERT INTO events (customer_id, type, occurred_at, received_at, source_id, source_key, properties) VALUES "
       "(9, 'message_sent', " + std::to_string(kNow.micros - 2 * kDay) + ", 0, 1, 'm9', '{\"channel\":\"email\"}')");
  Exec("INSERT INTO customer_tags VALUES (10, 'key_account'), (11, 'in_collections')");
  // Another team's campaign offering the same product reached customer 12 last week.
  Campaign other = Create(Basic("other", R"(, "offer_product": "phone-x", "team": "retention")"));
  Exec("INSERT INTO campaign_recipients (campaign_id, customer_id, grp, status, send_at, sent_at) VALUES (" +
       std::to_string(other.id) + ", 12, 'target', 'sent', " + std::to_string(kNow.micros - 7 * kDay) + ", " +
       std::to_string(kNow.micros - 7 * kDay) + ")");
  Exec("UPDATE campaigns SET status = 'done' WHERE id = " + std::to_string(other.id));

  Campaign c = Create(Basic("spring", R"(, "offer_product": "phone-x", "team": "sales")"));
  auto snap = Snap();
  auto plan = PlanCampaign(*db_, *snap, c, {kNow, 365});
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->audience, 12u);
  EXPECT_EQ(plan->targets, 1u);
  EXPECT_EQ(plan->suppressed, 11u);
  for (std::string_view reason : kSuppressionReasons) {
    uint64_t expected = reason == "unverified" || reason == "over_budget" || reason == "duplicate_address" ? 0 : 1;
    EXPECT_EQ(plan->suppressed_by_reason.at(std::string(reason)), expected) << reason;
  }
  // Unverified addresses are suppressed only when the policy asks for it.
  Add({.id = 14, .email_status = "unverified"});
  Policy policy = DefaultPolicy();
  policy.require_verified = true;
  ASSERT_TRUE(SavePolicy(*db_, policy, clock_).ok());
  snap = Snap();
  plan = PlanCampaign(*db_, *snap, c, {kNow, 365});
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->suppressed_by_reason.at("unverified"), 1u);
  EXPECT_EQ(plan->targets, 1u);
}

TEST_F(CampaignTest, HoldoutAndVariantsAreStableDrawsOfTheirShare) {
  for (int i = 1; i <= 2000; ++i) Add({.id = i});
  Campaign c = Create(R"({"name": "ab", "audience": "country = \"SE\"", "from_address": "a@b.example",
      "holdout_percent": 10,
      "contents": [{"variant": "A", "split_percent": 50, "subject": "A", "text": "a"},
                   {"variant": "B", "split_percent": 50, "subject": "B", "text": "b"}]})");
  auto snap = Snap();
  auto first = PlanCampaign(*db_, *snap, c, {kNow, 365});
  auto second = PlanCampaign(*db_, *snap, c, {kNow, 365});
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_NEAR(static_cast<double>(first->holdout), 200, 45);
  EXPECT_NEAR(static_cast<double>(first->by_variant["A"]), static_cast<double>(first->targets) / 2, 70);
  for (size_t i = 0; i < first->recipients.size(); ++i) {
    ASSERT_EQ(first->recipients[i].group, second->recipients[i].group);
    ASSERT_EQ(first->recipients[i].variant, second->recipients[i].variant);
  }
  // Coupons are unique per recipient.
  std::set<std::string> coupons;
  for (auto& r : first->recipients)
    if (r.group == "target") coupons.insert(r.coupon);
  EXPECT_EQ(coupons.size(), first->targets);
  // A budget of 100 messages at 0.50 each reaches the 100 most valuable.
  for (int i = 1; i <= 2000; ++i)
    Exec("INSERT INTO customer_traits (customer_id, lifecycle_stage, clv_12m_minor, computed_at) VALUES (" +
         std::to_string(i) + ", 'repeat', " + std::to_string(i * 10) + ", 0)");
  Campaign b = Create(R"({"name": "budget", "audience": "country = \"SE\"", "from_address": "a@b.example",
      "budget": 50, "cost_per_message": 0.5, "currency": "EUR",
      "contents": [{"subject": "s", "text": "t"}]})");
  auto plan = PlanCampaign(*db_, *snap, b, {kNow, 365});
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->targets, 100u);
  EXPECT_EQ(plan->suppressed_by_reason.at("over_budget"), 1900u);
  EXPECT_EQ(plan->estimated_cost_minor, 5000);
  for (auto& r : plan->recipients)
    if (r.group == "target") { EXPECT_GT(r.customer_id, 1900); }
}

TEST_F(CampaignTest, QuietHoursAndWeekendsMoveTheSendTimeInTheCustomersZone) {
  // 10:00 UTC Monday is 13:30 in Tehran: fine. At 19:00 UTC it is 22:30 there:
  // quiet until 08:00 Tehran (04:30 UTC) the next day.
  Add({.id = 1, .language = "fa", .zone = "Asia/Tehran", .country = "IR"});
  Add({.id = 2});  // Stockholm: 20:00 local, fine until 21:00
  Campaign c = Create(Basic("evening"));
  auto snap = Snap();
  Instant evening = *ParseInstant("2026-03-02T19:00:00Z");
  auto plan = PlanCampaign(*db_, *snap, c, {evening, 365});
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->deferred_by_quiet_hours, 1u);
  for (auto& r : plan->recipients) {
    if (r.customer_id == 1) { EXPECT_EQ(FormatInstant(r.send_at), "2026-03-03T04:30:00Z"); }
    if (r.customer_id == 2) { EXPECT_EQ(FormatInstant(r.send_at), "2026-03-02T19:00:00Z"); }
  }
  // Friday is the weekend in Iran (CLDR): Friday 10:00 UTC moves to Saturday 08:00 Tehran.
  Instant friday = *ParseInstant("2026-03-06T10:00:00Z");
  plan = PlanCampaign(*db_, *snap, c, {friday, 365});
  ASSERT_TRUE(plan.ok());
  for (auto& r : plan->recipients) {
    if (r.customer_id == 1) { EXPECT_EQ(FormatInstant(r.send_at), "2026-03-07T04:30:00Z"); }
    if (r.customer_id == 2) { EXPECT_EQ(FormatInstant(r.send_at), "2026-03-06T10:00:00Z"); }
  }
}

TEST_F(CampaignTest, RendersPersonalRightToLeftMessagesWithSignedLinks) {
  Add({.id = 1, .given = "مریم", .family = "رضایی", .language = "fa", .zone = "Asia/Tehran", .country = "IR"});
  Add({.id = 2, .given = "", .family = "", .language = "en", .zone = "Europe/London", .country = "GB"});
  Exec("UPDATE customers SET greeting = 'سرکار خانم رضایی' WHERE id = 1");
  Campaign c = Create(R"j({"name": "nowruz", "audience": "country in (\"IR\", \"GB\")", "from_address": "a@b.example",
      "contents": [
        {"language": "", "subject": "Hello {{name}}", "text": "Hi {{name}}, code {{coupon}}",
         "html": "<p>Hi {{name}} <a href=\"https://shop.example/sale?x=1&amp;y=2\">Sale</a></p>"},
        {"language": "fa", "subject": "{{greeting}}، نوروز مبارک", "text": "کد شما: {{coupon}}",
         "html": "<p>{{greeting}} <a href=\"https://shop.example/fa\">حراج</a> {{family_name}}</p>"}]})j");
  LinkOptions links{"https://patron.example", "0123456789abcdef0123456789abcdef"};
  auto fa = RenderFor(*db_, c, 1, links);
  ASSERT_TRUE(fa.ok()) << fa.status().ToString();
  EXPECT_EQ(fa->language, "fa");
  EXPECT_EQ(fa->dir, "rtl");
  EXPECT_EQ(fa->subject, "سرکار خانم رضایی، نوروز مبارک");
  EXPECT_NE(fa->html.find("<html lang=\"fa\" dir=\"rtl\">"), std::string::npos) << fa->html;
  EXPECT_EQ(fa->html.find("https://shop.example/fa"), std::string::npos) << "links go through the click redirect";
  EXPECT_NE(fa->html.find("https://patron.example/t/c/"), std::string::npos);
  EXPECT_NE(fa->html.find("https://patron.example/t/o/"), std::string::npos) << "the open pixel";
  EXPECT_NE(fa->text.find("https://patron.example/u/"), std::string::npos) << "the text part has the unsubscribe link";
  // The click link carries the target, signed.
  auto start = fa->html.find("/t/c/") + 5;
  std::string token = fa->html.substr(start, fa->html.find('"', start) - start);
  auto verified = VerifyLink(token, links.secret);
  ASSERT_TRUE(verified.ok()) << verified.status().ToString();
  EXPECT_EQ(verified->campaign_id, c.id);
  EXPECT_EQ(verified->customer_id, 1);
  EXPECT_EQ(verified->kind, "c");
  EXPECT_EQ(verified->url, "https://shop.example/fa");
  std::string forged = token;
  forged[3] = forged[3] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(VerifyLink(forged, links.secret).ok());
  EXPECT_FALSE(VerifyLink(token, "another secret of enough length!!").ok());

  // No name at all: the fallback; an English customer gets the default content, LTR,
  // and &amp; in a link is undone before redirecting.
  auto en = RenderFor(*db_, c, 2, links);
  ASSERT_TRUE(en.ok());
  EXPECT_EQ(en->dir, "ltr");
  EXPECT_EQ(en->subject, "Hello customer");
  start = en->html.find("/t/c/") + 5;
  auto link = VerifyLink(en->html.substr(start, en->html.find('"', start) - start), links.secret);
  ASSERT_TRUE(link.ok());
  EXPECT_EQ(link->url, "https://shop.example/sale?x=1&y=2");
  // Values are HTML-escaped in the HTML part, kept as they are in the text and subject.
  Exec("UPDATE customers SET given_name = '<b>Tom & Jerry</b>' WHERE id = 2");
  en = RenderFor(*db_, c, 2, {});
  ASSERT_TRUE(en.ok());
  EXPECT_NE(en->html.find("&lt;b&gt;Tom &amp; Jerry&lt;/b&gt;"), std::string::npos) << en->html;
  EXPECT_NE(en->text.find("<b>Tom & Jerry</b>"), std::string::npos);
  // A line break in a value cannot end the subject header.
  Exec("UPDATE customers SET given_name = 'Eve\r\nBcc: all@example.com' WHERE id = 2");
  en = RenderFor(*db_, c, 2, {});
  ASSERT_TRUE(en.ok());
  EXPECT_EQ(en->subject.find_first_of("\r\n"), std::string::npos);
}

// Records what a transport was asked to send; answers as told per address.
class RecordingTransport final : public Transport {
 public:
  DeliveryResult Send(const OutboundMessage& m) override {
    std::lock_guard lock(mu_);
    sent.push_back(m.customer_id);
    message_ids.push_back(m.message_id);
    if (m.address == transient_address) return {DeliveryResult::Kind::kTransient, "", "451 4.3.0 try later", false};
    if (m.address == hard_address) return {DeliveryResult::Kind::kPermanent, "", "550 5.1.1 no such user", true};
    return {};
  }
  std::mutex mu_;
  std::vector<int64_t> sent;
  std::vector<std::string> message_ids;
  std::string transient_address, hard_address;
};

TEST_F(CampaignTest, TheOutboxSendsEachMessageOnceAcrossStopsAndRestarts) {
  for (int i = 1; i <= 40; ++i) Add({.id = i});
  Campaign c = Create(Basic("once"));
  auto snap = Snap();
  auto plan = PrepareCampaign(*db_, *snap, c, {kNow, 365}, clock_);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(c.status, "scheduled");
  EXPECT_EQ(PrepareCampaign(*db_, *snap, c, {kNow, 365}, clock_).status().code(), StatusCode::kFailedPrecondition);

  RecordingTransport transport;
  transport.transient_address = "c5@example.com";
  transport.hard_address = "c6@example.com";
  // Consent withdrawn after preparing: re-checked at sending.
  Exec("INSERT INTO consents (customer_id, channel, purpose, status, recorded_at, source_id) VALUES "
       "(7, 'email', 'marketing', 'withdrawn', 2, 1)");
  SendOptions options;
  options.batch = 8;
  options.limit = 10;
  auto first = SendDue(*db_, c, transport, clock_, options);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(c.status, "sending");
  EXPECT_GT(first->remaining, 0u);
  // A crash after claiming: a row left 'sending' is sent again with the same Message-ID.
  Exec("UPDATE campaign_recipients SET status = 'sending', message_id = '<kept@b.example>' "
       "WHERE campaign_id = " + std::to_string(c.id) + " AND customer_id = 40");
  options.limit = -1;
  auto rest = SendDue(*db_, c, transport, clock_, options);
  ASSERT_TRUE(rest.ok()) << rest.status().ToString();
  EXPECT_EQ(rest->resumed, 1u);
  // Customer 5 failed transiently: due again later; nothing else is left.
  EXPECT_EQ(rest->remaining, 1u);
  clock_.Advance(std::chrono::hours(1));
  transport.transient_address.clear();
  auto retry = SendDue(*db_, c, transport, clock_, options);
  ASSERT_TRUE(retry.ok());
  EXPECT_EQ(retry->sent, 1u);
  EXPECT_EQ(c.status, "done");

  std::map<int64_t, int> times;
  for (int64_t id : transport.sent) ++times[id];
  EXPECT_EQ(times.count(7), 0u) << "withdrawn consent: never sent";
  EXPECT_EQ(times[5], 2) << "one transient failure, one success";
  for (int i = 1; i <= 40; ++i)
    if (i != 5 && i != 7) { EXPECT_EQ(times[i], 1) << "customer " << i; }
  auto sent_events = db_->QueryInt("SELECT count(*) FROM events WHERE type = 'message_sent'");
  EXPECT_EQ(*sent_events, 38) << "40 customers less the withdrawn one and the hard bounce";
  EXPECT_EQ(*db_->QueryInt("SELECT count(*) FROM contact_points WHERE status = 'bounced'"), 1);
  auto status = OutboxStatus(*db_, c);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ((*status)["target/sent"], 38u);
  EXPECT_EQ((*status)["target/bounced"], 1u);
  EXPECT_EQ((*status)["target/skipped"], 1u);
  // The frequency cap now holds: a second campaign this week reaches nobody.
  Campaign next = Create(Basic("again"));
  auto plan2 = PlanCampaign(*db_, *Snap(), next, {clock_.Now(), 365});
  ASSERT_TRUE(plan2.ok());
  EXPECT_EQ(plan2->targets, 0u);
  EXPECT_EQ(plan2->suppressed_by_reason.at("frequency_cap"), 38u);
}

TEST_F(CampaignTest, ResponsesAreRecordedOnceAndUnsubscribeWithdrawsConsent) {
  for (int i = 1; i <= 3; ++i) Add({.id = i});
  Campaign c = Create(Basic("resp"));
  ASSERT_TRUE(PrepareCampaign(*db_, *Snap(), c, {kNow, 365}, clock_).ok());
  RecordingTransport transport;
  ASSERT_TRUE(SendDue(*db_, c, transport, clock_, {}).ok());
  ASSERT_TRUE(RecordResponse(*db_, c.id, 1, "open", clock_).ok());
  ASSERT_TRUE(RecordResponse(*db_, c.id, 1, "open", clock_).ok());
  ASSERT_TRUE(RecordResponse(*db_, c.id, 1, "click", clock_, "https://shop.example").ok());
  ASSERT_TRUE(RecordResponse(*db_, c.id, 2, "unsubscribe", clock_).ok());
  EXPECT_FALSE(RecordResponse(*db_, c.id, 2, "teleport", clock_).ok());
  EXPECT_EQ(*db_->QueryInt("SELECT count(*) FROM events WHERE type = 'message_opened'"), 1);
  EXPECT_EQ(*db_->QueryInt("SELECT count(*) FROM events WHERE type = 'message_clicked'"), 1);
  EXPECT_EQ(*db_->QueryInt("SELECT count(*) FROM current_consents WHERE customer_id = 2 AND status = 'withdrawn'"), 1);
  auto r = Results(*db_, c, clock_);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->targets.sent, 3u);
  EXPECT_EQ(r->targets.opened, 1u);
  EXPECT_EQ(r->targets.clicked, 1u);
  EXPECT_EQ(r->targets.unsubscribed, 1u);
  // Hard bounce reported later by Message-ID.
  auto mid = MessageIdFor(c, 3);
  (void)mid;
}

TEST_F(CampaignTest, LiftOverTheHoldoutHasA95PercentInterval) {
  // 200 targets sent of which 40 bought within the goal window; 100 in the holdout of which 10 bought.
  for (int i = 1; i <= 300; ++i) Add({.id = i});
  Campaign c = Create(Basic("lift", R"(, "goal": {"within_days": 14}, "cost_per_message": 0.1, "currency": "EUR")"));
  Exec("UPDATE campaigns SET status = 'done', started_at = " + std::to_string(kNow.micros) + " WHERE id = " + std::to_string(c.id));
  for (int i = 1; i <= 300; ++i) {
    bool holdout = i > 200;
    Exec("INSERT INTO campaign_recipients (campaign_id, customer_id, grp, status, send_at, sent_at) VALUES (" +
         std::to_string(c.id) + ", " + std::to_string(i) + ", '" + (holdout ? "holdout" : "target") + "', '" +
         (holdout ? "skipped" : "sent") + "', " + std::to_string(kNow.micros) + ", " +
         (holdout ? "NULL" : std::to_string(kNow.micros)) + ")");
    bool buys = holdout ? i <= 210 : i <= 40;
    if (buys)
      Exec("INSERT INTO orders (customer_id, order_number, ordered_at, total_minor, currency, source_id) VALUES (" +
           std::to_string(i) + ", 'o" + std::to_string(i) + "', " + std::to_string(kNow.micros + 3 * kDay) + ", 10000, 'EUR', 1)");
    // Outside the window: does not count.
    if (i == 250)
      Exec("INSERT INTO orders (customer_id, order_number, ordered_at, total_minor, currency, source_id) VALUES (250, 'late', " +
           std::to_string(kNow.micros + 30 * kDay) + ", 10000, 'EUR', 1)");
  }
  auto loaded = LoadCampaign(*db_, "lift");
  ASSERT_TRUE(loaded.ok());
  auto r = Results(*db_, *loaded, clock_);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->targets.converted, 40u);
  EXPECT_EQ(r->holdout.converted, 10u);
  ASSERT_TRUE(r->lift.available);
  EXPECT_DOUBLE_EQ(r->lift.target_rate, 0.2);
  EXPECT_DOUBLE_EQ(r->lift.holdout_rate, 0.1);
  double se = std::sqrt(0.2 * 0.8 / 200 + 0.1 * 0.9 / 100);
  EXPECT_NEAR(r->lift.ci_low, 0.1 - 1.96 * se, 1e-12);
  EXPECT_NEAR(r->lift.ci_high, 0.1 + 1.96 * se, 1e-12);
  EXPECT_TRUE(r->lift.significant);
  EXPECT_NEAR(r->lift.relative, 1.0, 1e-12);
  // Revenue: 400000 from targets (2000 per target), 100000 from holdout (1000 per member):
  // incremental (2000 - 1000) * 200 = 200000; cost 200 * 10 = 2000; ROI 99.
  EXPECT_EQ(r->targets.revenue_minor, 400000);
  EXPECT_EQ(r->incremental_revenue_minor, 200000);
  EXPECT_EQ(r->cost_minor, 2000);
  EXPECT_DOUBLE_EQ(r->roi, 99.0);
}

TEST_F(CampaignTest, OptOutRegistersReportBadLinesAndNormalisePhones) {
  std::ofstream((dir_ / "nix.txt").string()) << "telefonnummer\n070-123 45 67\n+46 8 123 456 78\nnot a number\n# comment\n\n";
  auto r = ImportSuppressionList(*db_, "nix-telefon", "phone", (dir_ / "nix.txt").string(), "SE", clock_);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->added, 2);
  ASSERT_EQ(r->rejected.size(), 1u);
  EXPECT_EQ(r->rejected[0].rfind("line 4:", 0), 0u) << r->rejected[0];
  EXPECT_EQ(*db_->QueryInt("SELECT count(*) FROM suppression_entries WHERE value = '+46701234567'"), 1);
  EXPECT_FALSE(ImportSuppressionList(*db_, "x", "fax", (dir_ / "nix.txt").string(), "SE", clock_).ok());
  EXPECT_EQ(ImportSuppressionList(*db_, "x", "phone", (dir_ / "missing.txt").string(), "SE", clock_).status().code(),
            StatusCode::kIoError);
}

TEST_F(CampaignTest, CallListsCarryTheCustomersSummaryAndTheOffer) {
  Add({.id = 1});
  Exec("INSERT INTO contact_points (customer_id, kind, value, phone_type, status, first_seen_at, last_seen_at) VALUES "
       "(1, 'phone', '+46701234567', 'mobile', 'verified', " + std::to_string(kNow.micros) + ", " + std::to_string(kNow.micros) + ")");
  Exec("INSERT INTO consents (customer_id, channel, purpose, status, recorded_at, source_id) VALUES (1, 'phone', 'marketing', 'granted', 1, 1)");
  Exec("INSERT INTO customer_traits (customer_id, lifecycle_stage, clv_12m_minor, churn_risk, currency, computed_at) VALUES (1, 'repeat', 123456, 0.42, 'SEK', 0)");
  Campaign c = Create(R"({"name": "calls", "channel": "call_list", "audience": "country = \"SE\"",
      "contents": [{"text": "Ring {{name}}: =erbjud 20% med kod {{coupon}}"}]})");
  ASSERT_TRUE(PrepareCampaign(*db_, *Snap(), c, {kNow, 365}, clock_).ok());
  std::string path = (dir_ / "calls.csv").string();
  auto transport = MakeTransport(*db_, c, {"", "", path, "", ""});
  ASSERT_TRUE(transport.ok()) << transport.status().ToString();
  auto report = SendDue(*db_, c, **transport, clock_, {});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->sent, 1u);
  transport->reset();
  std::ifstream in(path);
  std::string header, row;
  std::getline(in, header);
  std::getline(in, row);
  EXPECT_NE(header.find("clv_12m"), std::string::npos) << header;
  EXPECT_NE(header.find("churn_risk"), std::string::npos);
  EXPECT_NE(row.find("+46701234567"), std::string::npos) << row;
  EXPECT_NE(row.find("1234.56 SEK"), std::string::npos) << row;
  EXPECT_NE(row.find("42%"), std::string::npos) << row;
  EXPECT_NE(row.find(CouponCode(c.seed, c.id, 1)), std::string::npos) << row;
}

}  // namespace
}  // namespace patron::campaign

namespace patron::campaign {
namespace {

TEST_F(CampaignTest, SmsReceiptsMarkMessagesDeliveredOrFailed) {
  Add({.id = 1});
  Add({.id = 2});
  Campaign c = Create(R"({"name": "sms", "channel": "sms", "audience": "country = \"SE\"",
      "contents": [{"text": "Hej {{name}}"}]})");
  for (int id : {1, 2})
    Exec("INSERT INTO campaign_recipients (campaign_id, customer_id, grp, status, send_at, sent_at) VALUES (" +
         std::to_string(c.id) + ", " + std::to_string(id) + ", 'target', 'sent', 1, 1)");
  std::string gateway = (dir_ / "gateway.json").string();
  std::ofstream(gateway) << R"({"url": "https://sms.example/send", "receipt": {"reference_field": "/ref", "status_field": "/status"}})";
  std::string ref1 = std::to_string(c.id) + ".1", ref2 = std::to_string(c.id) + ".2";
  ASSERT_TRUE(RecordSmsReceipt(*db_, gateway, R"({"ref": ")" + ref1 + R"(", "status": "DELIVRD"})", clock_).ok());
  ASSERT_TRUE(RecordSmsReceipt(*db_, gateway, R"({"ref": ")" + ref2 + R"(", "status": "failed", "error": "absent"})", clock_).ok());
  EXPECT_EQ(*db_->QueryInt("SELECT count(*) FROM campaign_recipients WHERE customer_id = 1 AND delivered_at IS NOT NULL"), 1);
  EXPECT_EQ(*db_->QueryInt("SELECT count(*) FROM campaign_recipients WHERE customer_id = 2 AND status = 'failed'"), 1);
  EXPECT_EQ(*db_->QueryInt("SELECT count(*) FROM events WHERE type = 'message_bounced' AND customer_id = 2"), 1);
  EXPECT_EQ(RecordSmsReceipt(*db_, gateway, R"({"ref": "x.y", "status": "delivered"})", clock_).code(),
            StatusCode::kNotFound);
  EXPECT_EQ(RecordSmsReceipt(*db_, gateway, "{not json", clock_).code(), StatusCode::kInvalidArgument);
  // The receipt path is signed: another database's would not verify.
  auto path = SmsReceiptPath(*db_);
  ASSERT_TRUE(path.ok());
  auto secret = LinkSecret(*db_);
  auto token = VerifyLink(path->substr(std::string("/hooks/sms/").size()), *secret);
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(token->kind, "r");
}

// Rendering a whole campaign reads its targets' data a chunk at a time, split
// over the threads: every target must get exactly the message the one-customer
// path (RenderFor, as the test send uses) makes, in id order, whatever the threads;
// a customer erased after the campaign was prepared is skipped.
TEST_F(CampaignTest, RenderingTheOutboxGivesEachTargetTheSameMessageAsAPreview) {
  Exec("INSERT INTO products (id, sku, name, price_minor, currency, created_at, updated_at) VALUES "
       "(1, 'p1', 'Phone', 49900, 'SEK', 0, 0), (2, 'p2', 'Case', 19900, 'SEK', 0, 0), "
       "(3, 'p3', 'Charger', 9900, 'SEK', 0, 0), (4, 'p4', 'Cable', 4900, 'SEK', 0, 0)");
  for (int64_t id = 1; id <= 60; ++id) {
    Person p{.id = id};
    p.given = "Name" + std::to_string(id);
    if (id % 4 == 0) p.consent = "";  // suppressed: no consent
    Add(p);
    if (id % 3 == 0)  // four recommendations, stored out of rank order; a message shows the best three
      for (int rank : {4, 2, 1, 3})
        Exec("INSERT INTO customer_recommendations (customer_id, rank, product_id) VALUES (" + std::to_string(id) +
             ", " + std::to_string(rank) + ", " + std::to_string(rank) + ")");
    if (id % 5 == 0)
      for (int k = 1; k <= 2; ++k)
        Exec("INSERT INTO orders (customer_id, order_number, ordered_at, currency, total_minor, source_id) VALUES (" +
             std::to_string(id) + ", 'o" + std::to_string(id) + "-" + std::to_string(k) + "', " +
             std::to_string(kNow.micros - (10 - k) * kDay) + ", 'SEK', " + std::to_string(1000 * k + id) + ", 1)");
  }
  Campaign c = Create(R"j({"name": "all", "audience": "country = \"SE\"", "from_address": "a@b.example",
      "holdout_percent": 10,
      "contents": [{"variant": "A", "split_percent": 50, "subject": "Hej {{name}}", "text": "{{coupon}}",
                    "html": "<p>{{#recommendations}}{{name}} {{price}};{{/recommendations}} {{last_order_total}} <a href=\"https://shop.example/\">x</a></p>"},
                   {"variant": "B", "split_percent": 50, "subject": "Hallå {{name}}", "text": "{{last_order_date}} {{coupon}}"}]})j");
  auto plan = PrepareCampaign(*db_, *Snap(), c, {kNow, 365}, clock_);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  ASSERT_GT(plan->targets, 20u);
  auto loaded = LoadCampaign(*db_, "all");
  ASSERT_TRUE(loaded.ok());
  c = *loaded;
  // Erased after preparing (a GDPR erasure): skipped, not an error.
  int64_t erased = 0;
  for (const auto& r : plan->recipients)
    if (r.group == "target" && r.customer_id > 10 && r.customer_id < 50 && !erased) erased = r.customer_id;
  ASSERT_GT(erased, 0);
  Exec("DELETE FROM customers WHERE id = " + std::to_string(erased));

  LinkOptions links{"https://patron.example", "0123456789abcdef0123456789abcdef"};
  std::vector<std::pair<int64_t, std::string>> expected;
  for (const auto& r : plan->recipients) {
    if (r.group != "target" || r.customer_id == erased) continue;
    auto m = RenderFor(*db_, c, r.customer_id, links);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    EXPECT_EQ(m->variant, r.variant);
    expected.emplace_back(r.customer_id, m->variant + "|" + m->subject + "|" + m->text + "|" + m->html);
  }
  // The recommendations are the best three, in rank order; the last order is the latest.
  auto shown = std::find_if(expected.begin(), expected.end(),
                            [](auto& e) { return e.first % 3 == 0 && e.second.rfind("A|", 0) == 0; });
  ASSERT_NE(shown, expected.end());
  EXPECT_NE(shown->second.find("Phone 499.00 SEK;Case 199.00 SEK;Charger 99.00 SEK;"), std::string::npos) << shown->second;
  EXPECT_EQ(shown->second.find("Cable"), std::string::npos);

  for (int threads : {1, 3}) {
    RenderAllOptions options;
    options.links = links;
    options.threads = threads;
    std::vector<std::pair<int64_t, std::string>> got;
    auto n = RenderOutbox(*db_, c, options, [&](int64_t id, const RenderedMessage& m) {
      got.emplace_back(id, m.variant + "|" + m.subject + "|" + m.text + "|" + m.html);
      return Status::Ok();
    });
    ASSERT_TRUE(n.ok()) << n.status().ToString();
    EXPECT_EQ(*n, expected.size()) << threads << " threads";
    EXPECT_EQ(got, expected) << threads << " threads";
    // The formatted form: the same messages, the text made on the workers, written in order.
    std::vector<std::pair<int64_t, std::string>> formatted;
    auto f = RenderOutboxFormatted(
        *db_, c, options,
        [](int64_t, const RenderedMessage& m) { return m.variant + "|" + m.subject + "|" + m.text + "|" + m.html; },
        [&](int64_t id, std::string_view text) {
          formatted.emplace_back(id, std::string(text));
          return Status::Ok();
        });
    ASSERT_TRUE(f.ok()) << f.status().ToString();
    EXPECT_EQ(formatted, expected) << threads << " threads";
  }
  // A limit renders the first targets only.
  RenderAllOptions first5;
  first5.links = links;
  first5.limit = 5;
  std::vector<int64_t> ids;
  ASSERT_TRUE(RenderOutbox(*db_, c, first5, [&](int64_t id, const RenderedMessage&) {
                ids.push_back(id);
                return Status::Ok();
              }).ok());
  ASSERT_EQ(ids.size(), 5u);
  for (size_t i = 0; i < 5; ++i) EXPECT_EQ(ids[i], expected[i].first);
}

TEST_F(CampaignTest, ProofLinesAreJsonThatKeepsEveryCharacter) {
  RenderedMessage m;
  m.variant = "A";
  m.language = "fa";
  m.dir = "rtl";
  m.subject = "سلام \"مریم\" \\ back\\slash";
  m.text = "line one\nline two\r\n\ttab \x01 bell\x07 end";
  m.html = "<p dir=\"rtl\">حراج</p>\n";
  std::string line = ProofJsonLine(42, m);
  ASSERT_FALSE(line.empty());
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1) << "one line per message";
  auto j = nlohmann::json::parse(line, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << line;
  EXPECT_EQ(j["customer_id"], 42);
  EXPECT_EQ(j["variant"], m.variant);
  EXPECT_EQ(j["language"], m.language);
  EXPECT_EQ(j["dir"], m.dir);
  EXPECT_EQ(j["subject"], m.subject);
  EXPECT_EQ(j["text"], m.text);
  EXPECT_EQ(j["html"], m.html);
  // Bytes that are not UTF-8 (a damaged import) become U+FFFD; the line stays valid.
  m.subject = std::string("caf\xe9 ok");
  j = nlohmann::json::parse(ProofJsonLine(7, m), nullptr, false);
  ASSERT_FALSE(j.is_discarded());
  EXPECT_EQ(j["subject"], "caf\xef\xbf\xbd ok");
}

// A message's data holds only what its templates name; every way of naming a
// value must still find it (triple braces, sections, inverted sections, dotted
// names, changed delimiters).
TEST_F(CampaignTest, EveryWayATemplateNamesAValueFindsIt) {
  Add({.id = 1, .given = "Sara", .family = "Berg"});
  Exec("UPDATE customers SET city = 'Göteborg' WHERE id = 1");
  Exec("INSERT INTO products (id, sku, name, price_minor, currency, created_at, updated_at) VALUES "
       "(1, 'p1', 'Phone', 49900, 'SEK', 0, 0)");
  Exec("INSERT INTO customer_recommendations (customer_id, rank, product_id) VALUES (1, 1, 1)");
  Campaign c = Create(R"j({"name": "names", "audience": "country = \"SE\"", "from_address": "a@b.example",
      "contents": [{"subject": "{{{given_name}}} {{& family_name}}",
                    "text": "{{#has_recommendations}}{{#recommendations}}{{name}}{{/recommendations}}{{/has_recommendations}}{{^clv}}no clv{{/clv}} {{ city }}",
                    "html": "{{=<% %>=}}<p><% coupon %> <% campaign %></p>"}]})j");
  auto m = RenderFor(*db_, c, 1, {});
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->subject, "Sara Berg");
  EXPECT_EQ(m->text, "Phoneno clv Göteborg");
  EXPECT_NE(m->html.find("<p>" + CouponCode(c.seed, c.id, 1) + " names</p>"), std::string::npos) << m->html;
}

}  // namespace
}  // namespace patron::campaign

namespace patron::campaign {
namespace {

// A receipt says more than how one message fared: a delivered SMS proves the
// number was in service that day (a dated verification), and a number the
// network does not know any more bounces like a mailbox that does not exist,
// so that later campaigns skip it. Twilio's callbacks name the message by its
// id only; the outbox kept it when the gateway accepted the message.
TEST_F(CampaignTest, SmsReceiptsVerifyTheNumberOrMarkItGone) {
  const int64_t first_seen = kNow.micros - 400 * kDay;
  for (int id : {1, 2, 3}) {
    Add({.id = id, .email = false, .consent = ""});
    Exec(
        "INSERT INTO contact_points (id, customer_id, kind, value, phone_type, status, "
        "first_seen_at, last_seen_at) "
        "VALUES (" +
        std::to_string(100 + id) + ", " + std::to_string(id) + ", 'phone', '+4670123456" +
        std::to_string(id) + "', 'mobile', 'unverified', " + std::to_string(first_seen) + ", " +
        std::to_string(first_seen) + ")");
    Exec(
        "INSERT INTO consents (customer_id, channel, purpose, status, recorded_at, source_id, "
        "method, proof) VALUES (" +
        std::to_string(id) + ", 'sms', 'marketing', 'granted', 1, 1, 'single_opt_in', 'form')");
  }
  Exec("UPDATE customers SET created_at = " + std::to_string(first_seen));
  const std::string sms =
      R"({"channel": "sms", "audience": "country = \"SE\"", "contents": [{"text": "Hej {{name}}"}]})";
  Campaign c = Create(R"({"name": "first sms", )" + sms.substr(1));
  ASSERT_TRUE(PrepareCampaign(*db_, *Snap(), c, {kNow, 365}, clock_).ok());
  EXPECT_EQ(*db_->QueryInt("SELECT count(*) FROM campaign_recipients WHERE campaign_id = " +
                           std::to_string(c.id) +
                           " AND grp = 'target' AND contact_point_id = 100 + customer_id"),
            3);
  // As a send leaves the rows once the gateway accepted each message; the
  // third as a send before migration 0024 did, with the gateway's id in
  // message_id.
  Exec("UPDATE campaign_recipients SET status = 'sent', sent_at = " + std::to_string(kNow.micros) +
       ", provider_message_id = 'SM' || customer_id WHERE campaign_id = " + std::to_string(c.id));
  Exec(
      "UPDATE campaign_recipients SET provider_message_id = NULL, message_id = 'SM3' WHERE "
      "customer_id = 3");
  std::string gateway = (dir_ / "gateway.json").string();
  std::ofstream(gateway)
      << R"({"url": "https://sms.example/send", "receipt": {"reference_field": "ref",
      "provider_id_field": "MessageSid", "status_field": "MessageStatus", "error_field": "ErrorCode"}})";
  clock_.Advance(std::chrono::hours(1));
  const int64_t delivered_at = clock_.Now().micros;
  ASSERT_TRUE(RecordSmsReceipt(*db_, gateway,
                               "ref=" + std::to_string(c.id) + ".1&MessageStatus=delivered", clock_)
                  .ok());
  ASSERT_TRUE(RecordSmsReceipt(*db_, gateway,
                               "MessageSid=SM2&MessageStatus=undelivered&ErrorCode=30005", clock_)
                  .ok());
  // A gateway's error text in Persian, longer than the outbox keeps: it is cut
  // between characters, never inside one.
  std::string persian_error = "30003";
  for (int i = 0; i < 40; ++i) persian_error += " گوشی خاموش است";
  std::string encoded;
  for (unsigned char ch : persian_error) {
    char hex[4];
    std::snprintf(hex, sizeof hex, "%%%02X", ch);
    encoded += hex;
  }
  ASSERT_TRUE(RecordSmsReceipt(*db_, gateway,
                               "MessageSid=SM3&MessageStatus=undelivered&ErrorCode=" + encoded,
                               clock_)
                  .ok());
  EXPECT_EQ(
      RecordSmsReceipt(*db_, gateway, "MessageSid=SM9&MessageStatus=delivered", clock_).code(),
      StatusCode::kNotFound);

  auto text = [&](const std::string& sql) {
    auto r = db_->QueryText(sql);
    return r.ok() ? *r : "?";
  };
  auto contact = [&](int id, const std::string& column) {
    return text("SELECT coalesce(" + column +
                ", '') FROM contact_points WHERE id = " + std::to_string(100 + id));
  };
  auto outbox = [&](int id, const std::string& column) {
    return text("SELECT coalesce(" + column +
                ", '') FROM campaign_recipients WHERE campaign_id = " + std::to_string(c.id) +
                " AND customer_id = " + std::to_string(id));
  };
  // 1: delivered, so verified as of the receipt.
  EXPECT_EQ(contact(1, "status"), "verified");
  EXPECT_EQ(contact(1, "last_verified_at"), std::to_string(delivered_at));
  EXPECT_EQ(contact(1, "last_seen_at"), std::to_string(delivered_at));
  EXPECT_NE(outbox(1, "delivered_at"), "");
  // 2: the number is gone.
  EXPECT_EQ(outbox(2, "status"), "bounced");
  EXPECT_EQ(contact(2, "status"), "bounced");
  EXPECT_EQ(contact(2, "bounced_at"), std::to_string(delivered_at));
  EXPECT_NE(contact(2, "invalid_reason").find("30005"), std::string::npos)
      << contact(2, "invalid_reason");
  EXPECT_EQ(
      *db_->QueryInt(
          "SELECT count(*) FROM events WHERE type = 'message_bounced' AND customer_id = 2 AND "
          "json_extract(properties, '$.hard') = 1"),
      1);
  // 3: this message failed (a handset off); the number is as it was.
  EXPECT_EQ(outbox(3, "status"), "failed");
  const std::string kept_error = outbox(3, "last_error");
  EXPECT_TRUE(kept_error.starts_with("receipt: undelivered 30003 گوشی")) << kept_error;
  EXPECT_GT(kept_error.size(), 290u);
  EXPECT_LE(kept_error.size(), 300u);
  EXPECT_TRUE(IsValidUtf8(kept_error));
  EXPECT_EQ(contact(3, "status"), "unverified");
  EXPECT_EQ(contact(3, "bounced_at"), "");
  EXPECT_EQ(
      *db_->QueryInt(
          "SELECT count(*) FROM events WHERE type = 'message_bounced' AND customer_id = 3 AND "
          "json_extract(properties, '$.hard') = 0"),
      1);

  // The decay estimate sees one number still good and one gone, each dated.
  int good = 0, bad = 0;
  Statement& observations = db_->Query("identity-decay-observations");
  for (;;) {
    auto row = observations.Step();
    ASSERT_TRUE(row.ok());
    if (!*row) break;
    EXPECT_EQ(observations.Int(1), first_seen);
    EXPECT_EQ(observations.Int(2), delivered_at);
    ++(observations.Int(0) != 0 ? bad : good);
  }
  observations.Reset();
  EXPECT_EQ(good, 1);
  EXPECT_EQ(bad, 1);

  // The next campaign's delivered receipt the same day leaves the row alone;
  // two days later it moves the verification forward.
  Campaign next = Create(R"({"name": "second sms", )" + sms.substr(1));
  ASSERT_TRUE(PrepareCampaign(*db_, *Snap(), next, {clock_.Now(), 365}, clock_).ok());
  EXPECT_EQ(text("SELECT reason FROM campaign_recipients WHERE campaign_id = " +
                 std::to_string(next.id) + " AND customer_id = 2"),
            "bounced");
  Exec("UPDATE campaign_recipients SET status = 'sent' WHERE campaign_id = " +
       std::to_string(next.id) + " AND grp = 'target'");
  const std::string next_ref = "ref=" + std::to_string(next.id) + ".1&MessageStatus=delivered";
  clock_.Advance(std::chrono::hours(2));
  Exec("DELETE FROM identity_dirty");
  ASSERT_TRUE(RecordSmsReceipt(*db_, gateway, next_ref, clock_).ok());
  EXPECT_EQ(contact(1, "last_verified_at"), std::to_string(delivered_at));
  EXPECT_EQ(*db_->QueryInt("SELECT count(*) FROM identity_dirty"), 0);
  clock_.Advance(std::chrono::hours(48));
  ASSERT_TRUE(RecordSmsReceipt(*db_, gateway, next_ref, clock_).ok());
  EXPECT_EQ(contact(1, "last_verified_at"), std::to_string(clock_.Now().micros));

  // A journey's message (SendOne) keeps the gateway's id beside its own, so
  // that an id-only receipt finds it too.
  class GatewayAnswering final : public Transport {
   public:
    DeliveryResult Send(const OutboundMessage&) override {
      return {DeliveryResult::Kind::kAccepted, "SMJ1", "", false};
    }
  } answering;
  Exec("UPDATE contact_points SET status = 'unverified', last_verified_at = NULL WHERE id = 101");
  Campaign welcome = Create(R"({"name": "welcome sms", )" + sms.substr(1));
  auto sent = SendOne(*db_, welcome, 1, "journey:welcome:1", answering, clock_, {});
  ASSERT_TRUE(sent.ok()) << sent.status().ToString();
  ASSERT_EQ(sent->outcome, SingleMessage::Outcome::kSend) << sent->reason;
  EXPECT_EQ(text("SELECT provider_message_id FROM campaign_recipients WHERE campaign_id = " +
                 std::to_string(welcome.id)),
            "SMJ1");
  EXPECT_NE(text("SELECT message_id FROM campaign_recipients WHERE campaign_id = " +
                 std::to_string(welcome.id)),
            "SMJ1");
  ASSERT_TRUE(
      RecordSmsReceipt(*db_, gateway, "MessageSid=SMJ1&MessageStatus=delivered", clock_).ok());
  EXPECT_NE(text("SELECT coalesce(delivered_at, '') FROM campaign_recipients WHERE campaign_id = " +
                 std::to_string(welcome.id)),
            "");
  EXPECT_EQ(contact(1, "status"), "verified");
}

}  // namespace
}  // namespace patron::campaign
