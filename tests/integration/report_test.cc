// `patron report` and /api/v1/reports on generated demo data: every command
// and route answers with the tables a user exports, the weekly report is
// written in English and Persian, emailed to a real SMTP server
// (tests/tools/smtp_sink.py on Debian's python3-aiosmtpd), and `patron serve`
// writes the scheduled weekly report.
#include <gtest/gtest.h>
#include <httplib.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "../tools/smtp_sink_process.h"
#include "patron_process.h"
#include "store/store.h"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using patron::testing::CommandResult;
using patron::testing::DemoImportArgs;
using patron::testing::ReadFile;
using patron::testing::RunPatron;
using patron::testing::ServeProcess;

using SmtpSink = patron::testing::SmtpSinkProcess;

// The value of header `name` in the message's header block (unfolded), "" when absent.
std::string Header(const std::string& message, const std::string& name) {
  const size_t end = message.find("\r\n\r\n");
  const std::string head = message.substr(0, end);
  size_t at = 0;
  while (at < head.size()) {
    size_t eol = head.find("\r\n", at);
    if (eol == std::string::npos) eol = head.size();
    std::string line = head.substr(at, eol - at);
    at = eol + 2;
    while (at < head.size() && (head[at] == ' ' || head[at] == '\t')) {  // folded
      size_t next = head.find("\r\n", at);
      if (next == std::string::npos) next = head.size();
      line += head.substr(at, next - at);
      at = next + 2;
    }
    if (line.size() > name.size() && line.compare(0, name.size(), name) == 0 && line[name.size()] == ':') {
      size_t v = name.size() + 1;
      while (v < line.size() && line[v] == ' ') ++v;
      return line.substr(v);
    }
  }
  return "";
}

class ReportCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / ("patron-report-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    db_ = (dir_ / "demo.db").string();
    auto gen = RunPatron({"--json", "demo", "generate", "--customers", "400", "--seed", "5", "--out",
                          (dir_ / "data").string()},
                         true);
    ASSERT_EQ(gen.exit_code, 0) << gen.out;
    json manifest = json::parse(gen.out);
    for (const auto& f : manifest["files"]) {
      ASSERT_EQ(RunPatron(DemoImportArgs(f, db_)).exit_code, 0);
    }
    ASSERT_EQ(RunPatron({"--db", db_, "model", "score"}).exit_code, 0);
  }
  static void TearDownTestSuite() { fs::remove_all(dir_); }

  static json Json(const CommandResult& r) {
    EXPECT_EQ(r.exit_code, 0) << r.out;
    json j = json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.out;
    return j;
  }
  static std::string Key(const std::string& role, const std::string& name) {
    auto r = RunPatron({"--db", db_, "key", "create", "--role", role, "--name", name}, true);
    size_t at = r.out.find("pat_");
    EXPECT_NE(at, std::string::npos) << r.out;
    return at == std::string::npos ? "" : r.out.substr(at, r.out.find_first_of(" \n", at) - at);
  }

  static inline fs::path dir_;
  static inline std::string db_;
};

TEST_F(ReportCli, KpisCohortsFunnelAndCampaignsExport) {
  json kpis = Json(RunPatron({"--db", db_, "report", "kpis", "--from", "2026-01-01", "--to", "2026-10-31", "--format",
                              "json"},
                             true));
  ASSERT_EQ(kpis["name"], "kpis");
  std::map<std::string, json> by_key;
  for (const auto& row : kpis["rows"])
    if (row["breakdown"].is_null()) by_key[row["kpi"].get<std::string>() + "/" + (row["currency"].is_null() ? "" : row["currency"].get<std::string>())] = row;
  ASSERT_TRUE(by_key.count("customers_total/")) << kpis.dump();
  EXPECT_GT(by_key["customers_total/"]["value"].get<double>(), 300);
  EXPECT_GT(by_key["orders/"]["value"].get<double>(), 0);
  EXPECT_TRUE(by_key.count("retention_rate/"));
  bool revenue = false;
  for (const auto& [k, row] : by_key) revenue |= k.rfind("revenue/", 0) == 0 && row["value"].get<double>() > 0;
  EXPECT_TRUE(revenue) << "revenue in at least one currency";

  auto csv = RunPatron({"--db", db_, "report", "cohorts", "--months", "6", "--to", "2026-10-31", "--format", "csv"}, true);
  ASSERT_EQ(csv.exit_code, 0) << csv.out;
  EXPECT_NE(csv.out.find("group,cohort,size,m0"), std::string::npos) << csv.out;
  EXPECT_NE(csv.out.find("1.0000"), std::string::npos) << "month 0 retains everyone";

  json funnel = Json(RunPatron({"--db", db_, "report", "funnel", "--from", "2026-01-01", "--to", "2026-10-31", "--format",
                                "json"},
                               true));
  ASSERT_EQ(funnel["rows"].size(), 4u);
  EXPECT_GE(funnel["rows"][0]["customers"].get<int>(), funnel["rows"][3]["customers"].get<int>());

  auto campaigns = RunPatron({"--db", db_, "report", "campaigns", "--format", "csv"}, true);
  ASSERT_EQ(campaigns.exit_code, 0);
  EXPECT_EQ(campaigns.out.rfind("campaign_id,campaign,variant", 0), 0u) << campaigns.out;

  auto bad = RunPatron({"--db", db_, "report", "kpis", "--from", "2026-13-01", "--to", "2026-10-31"});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.out.find("--from"), std::string::npos) << bad.out;
  auto bad_segment = RunPatron({"--db", db_, "report", "kpis", "--segment", "city ==="});
  EXPECT_NE(bad_segment.exit_code, 0);
  EXPECT_NE(bad_segment.out.find("segment"), std::string::npos) << bad_segment.out;
}

TEST_F(ReportCli, CostsImportFeedsCac) {
  std::ofstream(dir_ / "costs.csv") << "source,channel,from,to,amount,currency\n,web,2026-10-01,2026-10-31,1000,EUR\n";
  auto imp = RunPatron({"--db", db_, "report", "costs", "import", (dir_ / "costs.csv").string()});
  ASSERT_EQ(imp.exit_code, 0) << imp.out;
  json kpis = Json(RunPatron({"--db", db_, "report", "kpis", "--from", "2026-10-01", "--to", "2026-10-31", "--format",
                              "json"},
                             true));
  bool acquisition = false;
  for (const auto& row : kpis["rows"])
    if (row["kpi"] == "acquisition_cost" && row["currency"] == "EUR") acquisition = row["value"] == 100000;
  EXPECT_TRUE(acquisition) << kpis.dump();
}

TEST_F(ReportCli, WeeklyReportInEnglishAndPersian) {
  const std::string en = (dir_ / "weekly-en.html").string(), fa = (dir_ / "weekly-fa.html").string();
  auto r = RunPatron({"--db", db_, "report", "weekly", "--now", "2026-11-02T08:00:00Z", "--out", en});
  ASSERT_EQ(r.exit_code, 0) << r.out;
  r = RunPatron({"--db", db_, "report", "weekly", "--now", "2026-11-02T08:00:00Z", "--out", fa, "--lang", "fa",
                 "--calendar", "persian", "--no-record"});
  ASSERT_EQ(r.exit_code, 0) << r.out;
  std::string html = ReadFile(en);
  EXPECT_NE(html.find("dir=\"ltr\""), std::string::npos);
  EXPECT_NE(html.find("Weekly marketing report"), std::string::npos);
  EXPECT_NE(html.find("<svg"), std::string::npos);
  html = ReadFile(fa);
  EXPECT_NE(html.find("<html lang=\"fa\" dir=\"rtl\""), std::string::npos);
  EXPECT_NE(html.find("آبان"), std::string::npos) << "the Persian month of the week";
  if (fs::exists("/usr/bin/chromium")) {
    const std::string pdf = (dir_ / "weekly.pdf").string();
    r = RunPatron({"--db", db_, "report", "weekly", "--now", "2026-11-02T08:00:00Z", "--out", en, "--pdf", pdf,
                   "--no-record"});
    ASSERT_EQ(r.exit_code, 0) << r.out;
    EXPECT_EQ(ReadFile(pdf).rfind("%PDF-", 0), 0u) << "a PDF printed by Chromium";
  }
  auto bad = RunPatron({"--db", db_, "report", "weekly", "--out", en, "--calendar", "julian"});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.out.find("--calendar"), std::string::npos) << bad.out;
}

TEST_F(ReportCli, WeeklyReportEmailArrivesAtARealSmtpServer) {
  SmtpSink sink(dir_ / "sink");
  ASSERT_GT(sink.port(), 0) << "tests/tools/smtp_sink.py did not start (python3-aiosmtpd installed?)";
  auto r = RunPatron({"--db", db_, "report", "weekly", "--now", "2026-11-02T08:00:00Z", "--no-record", "--email",
                      "marketing@example.com", "--email-from", "reports@example.org", "--smtp-url", sink.url()});
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("emailed the report"), std::string::npos) << r.out;
  std::vector<SmtpSink::Received> messages;
  for (int i = 0; i < 100 && messages.empty(); ++i) {
    messages = sink.Stored();
    if (messages.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(messages.size(), 1u);
  const json& envelope = messages.front().envelope;
  const std::string& message = messages.front().data;
  EXPECT_EQ(envelope["mail_from"], "reports@example.org") << envelope.dump();
  EXPECT_EQ(envelope["rcpt_tos"], json::array({"marketing@example.com"}));
  // Headers a mail client shows and threads by.
  EXPECT_NE(Header(message, "From").find("reports@example.org"), std::string::npos) << message.substr(0, 2000);
  EXPECT_NE(Header(message, "To").find("marketing@example.com"), std::string::npos);
  // The subject names the week (Oct 26 .. Nov 1, 2026), possibly RFC 2047-encoded.
  const std::string subject = Header(message, "Subject");
  EXPECT_TRUE(subject.find("Weekly marketing report") != std::string::npos || subject.find("=?") == 0) << subject;
  EXPECT_FALSE(Header(message, "Date").empty());
  EXPECT_FALSE(Header(message, "Message-ID").empty());
  EXPECT_EQ(Header(message, "MIME-Version"), "1.0");
  EXPECT_NE(Header(message, "Content-Type").find("multipart/alternative"), std::string::npos)
      << Header(message, "Content-Type");
  // Both parts: the plain-text summary and the HTML report.
  EXPECT_NE(message.find("Content-Type: text/plain; charset=UTF-8"), std::string::npos) << message.substr(0, 3000);
  EXPECT_NE(message.find("Content-Type: text/html; charset=UTF-8"), std::string::npos);
  // The HTML body, decoded, is the report the --out file holds (charts inline, nothing fetched).
  const std::string file = (dir_ / "weekly-mail.html").string();
  ASSERT_EQ(RunPatron({"--db", db_, "report", "weekly", "--now", "2026-11-02T08:00:00Z", "--no-record", "--out", file})
                .exit_code,
            0);
  std::string decoded;
  {
    // The HTML part's body: quoted-printable or base64 (as the composer chose).
    const size_t part = message.find("Content-Type: text/html");
    const size_t body = message.find("\r\n\r\n", part) + 4;
    const std::string headers = message.substr(part, body - part);
    const size_t end = message.find("\r\n--", body);
    const std::string raw = message.substr(body, end - body);
    if (headers.find("base64") != std::string::npos) {
      static const std::string kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
      int val = 0, bits = -8;
      for (char ch : raw) {
        const size_t d = kAlphabet.find(ch);
        if (d == std::string::npos) continue;
        val = (val << 6) + static_cast<int>(d);
        bits += 6;
        if (bits >= 0) {
          decoded += static_cast<char>((val >> bits) & 0xFF);
          bits -= 8;
        }
      }
    } else if (headers.find("quoted-printable") != std::string::npos) {
      for (size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] == '=' && i + 2 < raw.size() && raw[i + 1] == '\r' && raw[i + 2] == '\n') {
          i += 2;  // soft line break
        } else if (raw[i] == '=' && i + 2 < raw.size()) {
          decoded += static_cast<char>(std::stoi(raw.substr(i + 1, 2), nullptr, 16));
          i += 2;
        } else {
          decoded += raw[i];
        }
      }
    } else {
      decoded = raw;
    }
  }
  EXPECT_NE(decoded.find("<html lang=\"en\" dir=\"ltr\""), std::string::npos) << decoded.substr(0, 500);
  EXPECT_NE(decoded.find("<svg"), std::string::npos) << "charts inline";
  EXPECT_EQ(decoded.find("<script"), std::string::npos);
  auto trim = [](std::string t) {
    std::string out;
    for (char ch : t)
      if (ch != '\r' && ch != '\n') out += ch;
    return out;
  };
  EXPECT_EQ(trim(decoded), trim(ReadFile(file))) << "the email carries the whole report";

  // No server: a precise error, no message.
  auto refused = RunPatron({"--db", db_, "report", "weekly", "--now", "2026-11-02T08:00:00Z", "--no-record", "--email",
                            "marketing@example.com", "--smtp-url", "smtp://127.0.0.1:1?tls=none"});
  EXPECT_NE(refused.exit_code, 0);
}

TEST_F(ReportCli, RecordedQualityFiguresFeedTheNextWeeklyReport) {
  json recorded = Json(RunPatron({"--db", db_, "report", "quality", "--record", "--now", "2026-11-09T07:00:00Z",
                                  "--format", "json"},
                                 true));
  ASSERT_EQ(recorded["name"], "quality");
  const json& row = recorded["rows"][0];
  EXPECT_EQ(row["taken_at"], "2026-11-09T07:00:00Z");
  EXPECT_GT(row["contact_points"].get<int64_t>(), 0);
  // An hour later the weekly report shows these figures (its actions name the stale counts).
  auto weekly = RunPatron({"--db", db_, "report", "weekly", "--now", "2026-11-09T08:00:00Z", "--no-record", "--out",
                           (dir_ / "weekly-recorded.html").string()},
                          true);
  ASSERT_EQ(weekly.exit_code, 0) << weekly.out;
  const int64_t phones = row["stale_phones"].get<int64_t>(), emails = row["stale_emails"].get<int64_t>();
  if (phones > 0 && phones < 1000) {
    EXPECT_NE(weekly.out.find("Re-verify " + std::to_string(phones) + " stale phones."), std::string::npos)
        << weekly.out;
  }
  if (emails > 0 && emails < 1000) {
    EXPECT_NE(weekly.out.find("Re-verify " + std::to_string(emails) + " stale email addresses."), std::string::npos)
        << weekly.out;
  }
  const std::string html = ReadFile(dir_ / "weekly-recorded.html");
  EXPECT_NE(html.find("id=\"quality\""), std::string::npos);
}

TEST_F(ReportCli, CampaignResultsBySegmentFromCliAndApi) {
  ASSERT_EQ(RunPatron({"--db", db_, "segment", "save", "buyers", "bought(within 3650 days)"}).exit_code, 0);
  json rows = Json(RunPatron({"--db", db_, "report", "campaigns", "--by-segment", "--format", "json"}, true));
  EXPECT_EQ(rows["name"], "campaign_segments");
  EXPECT_EQ(rows["columns"][2], "segment");
  auto missing = RunPatron({"--db", db_, "report", "campaigns", "--by-segment", "--campaign", "no-such-campaign"});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.out.find("no-such-campaign"), std::string::npos) << missing.out;
}

// Targeting suggestions through the CLI on a store written here: 400 "loyal"
// email recipients converting at 10 % against 3.2 % for the 820 others, 400
// "lapsed" at 1 % against 7.6 %, 20 "new" (too few to judge). The statistics
// are checked by hand in tests/unit/report/suggestions_test.cc; here, that a
// user gets them as text, JSON and CSV from a real store.
TEST(ReportSuggestionsCli, TargetSuppressAndTooSmallFromARealStore) {
  const fs::path dir = fs::temp_directory_path() / ("patron-suggest-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string db = (dir / "p.db").string();
  {
    auto store = patron::Database::Open(db);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    auto exec = [&](const std::string& sql) { ASSERT_TRUE((*store)->Exec(sql).ok()) << sql; };
    const std::string ids = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1220) ";
    // 2024-01-01, the send 2024-03-03T09:00Z, the orders 2024-03-05T10:00Z (micros).
    const std::string created = "1704067200000000", sent = "1709456400000000", ordered = "1709632800000000";
    exec("INSERT INTO sources(id, name, kind, created_at) VALUES (1, 'crm', 'internal', 0)");
    exec("INSERT INTO customers(id, acquisition_channel, source_id, created_at, updated_at) " + ids +
         "SELECT i, CASE WHEN i <= 400 THEN 'store' WHEN i <= 800 THEN 'social' WHEN i <= 820 THEN 'app' ELSE 'web' "
         "END, 1, " + created + ", " + created + " FROM n");
    exec("INSERT INTO orders(id, customer_id, order_number, ordered_at, status, currency, total_minor, source_id) " +
         ids + "SELECT i, i, 'o' || i, " + ordered + ", 'completed', 'EUR', 5000, 1 FROM n WHERE i <= 40 OR i "
         "BETWEEN 401 AND 404 OR i BETWEEN 801 AND 802 OR i BETWEEN 821 AND 840");
    exec("INSERT INTO campaigns(id, name, status, channel, audience, cost_per_message_minor, currency, seed, "
         "created_at, updated_at, prepared_at, started_at) VALUES (1, 'spring', 'done', 'email', 'everyone', 0, "
         "'EUR', 1, " + created + ", 0, " + sent + ", " + sent + ")");
    exec("INSERT INTO campaign_recipients(campaign_id, customer_id, grp, variant, status, sent_at) " + ids +
         "SELECT 1, i, 'target', 'A', 'sent', " + sent + " FROM n");
  }
  ASSERT_EQ(RunPatron({"--db", db, "segment", "save", "loyal", "acquisition_channel = \"store\""}).exit_code, 0);
  ASSERT_EQ(RunPatron({"--db", db, "segment", "save", "lapsed", "acquisition_channel = \"social\""}).exit_code, 0);
  ASSERT_EQ(RunPatron({"--db", db, "segment", "save", "new", "acquisition_channel = \"app\""}).exit_code, 0);

  auto r = RunPatron({"--db", db, "report", "suggestions", "--now", "2024-07-01T00:00:00Z", "--format", "json"}, true);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  json j = json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  EXPECT_EQ(j["name"], "suggestions");
  ASSERT_EQ(j["rows"].size(), 3u) << j.dump();
  EXPECT_EQ(j["rows"][0]["segment"], "loyal");
  EXPECT_EQ(j["rows"][0]["action"], "target");
  EXPECT_EQ(j["rows"][0]["reach"], 400);
  EXPECT_EQ(j["rows"][0]["rest_converted"], 26);
  EXPECT_EQ(j["rows"][1]["segment"], "lapsed");
  EXPECT_EQ(j["rows"][1]["action"], "suppress");
  EXPECT_EQ(j["rows"][2]["segment"], "new");
  EXPECT_TRUE(j["rows"][2]["action"].is_null()) << "empty cell";
  EXPECT_EQ(j["rows"][2]["reason"], "small_sample");

  auto csv = RunPatron({"--db", db, "report", "suggestions", "--channel", "email", "--format", "csv"}, true);
  ASSERT_EQ(csv.exit_code, 0) << csv.out;
  EXPECT_EQ(csv.out.rfind("channel,segment,action,reason,", 0), 0u) << csv.out;
  EXPECT_NE(csv.out.find("email,lapsed,suppress,lower,1,400,4,"), std::string::npos) << csv.out;
  auto text = RunPatron({"--db", db, "report", "suggestions"}, true);
  ASSERT_EQ(text.exit_code, 0) << text.out;
  EXPECT_NE(text.out.find("target it in the next email campaign"), std::string::npos) << text.out;
  // Stricter minimum: nothing is suggested any more.
  json strict = json::parse(
      RunPatron({"--db", db, "--json", "report", "suggestions", "--min-reach", "1000"}, true).out, nullptr, false);
  ASSERT_FALSE(strict.is_discarded());
  for (const auto& row : strict["rows"]) EXPECT_EQ(row["reason"], "small_sample") << row.dump();
  auto bad = RunPatron({"--db", db, "report", "suggestions", "--min-reach", "0"});
  EXPECT_NE(bad.exit_code, 0);
  // The weekly report carries the two significant ones among its actions.
  auto weekly = RunPatron({"--db", db, "report", "weekly", "--now", "2024-03-25T12:00:00Z", "--no-record", "--out",
                           (dir / "weekly.html").string()},
                          true);
  ASSERT_EQ(weekly.exit_code, 0) << weekly.out;
  EXPECT_NE(weekly.out.find("Target segment “loyal” in the next email campaign"), std::string::npos) << weekly.out;
  EXPECT_NE(weekly.out.find("Segment “lapsed” responded below average"), std::string::npos) << weekly.out;
  fs::remove_all(dir);
}

TEST_F(ReportCli, ApiAnswersJsonCsvAndHtmlAndServeWritesTheScheduledReport) {
  const std::string analyst = Key("analyst", "report-analyst");
  const std::string collector = Key("collector", "report-collector");
  const fs::path weekly_dir = dir_ / "weekly";
  ServeProcess server(db_, {}, {"PATRON_REPORT_WEEKLY_DIR=" + weekly_dir.string()});
  ASSERT_GT(server.port(), 0);
  httplib::Client c(server.url());
  c.set_read_timeout(60, 0);
  c.set_bearer_token_auth(analyst);
  auto kpis = c.Get("/api/v1/reports/kpis?from=2026-01-01&to=2026-10-31");
  ASSERT_TRUE(kpis);
  ASSERT_EQ(kpis->status, 200) << kpis->body;
  EXPECT_EQ(json::parse(kpis->body)["name"], "kpis");
  auto csv = c.Get("/api/v1/reports/cohorts?months=3&to=2026-10-31&format=csv");
  ASSERT_TRUE(csv);
  EXPECT_EQ(csv->status, 200);
  EXPECT_NE(csv->get_header_value("Content-Type").find("text/csv"), std::string::npos);
  auto funnel = c.Get("/api/v1/reports/funnel?from=2026-01-01&to=2026-10-31");
  ASSERT_TRUE(funnel);
  EXPECT_EQ(funnel->status, 200);
  auto campaigns = c.Get("/api/v1/reports/campaigns");
  ASSERT_TRUE(campaigns);
  EXPECT_EQ(campaigns->status, 200);
  auto by_segment = c.Get("/api/v1/reports/campaigns?by=segment");
  ASSERT_TRUE(by_segment);
  ASSERT_EQ(by_segment->status, 200) << by_segment->body;
  EXPECT_EQ(json::parse(by_segment->body)["name"], "campaign_segments");
  auto suggestions = c.Get("/api/v1/reports/suggestions?channel=email&min_reach=50");
  ASSERT_TRUE(suggestions);
  ASSERT_EQ(suggestions->status, 200) << suggestions->body;
  json sj = json::parse(suggestions->body);
  EXPECT_EQ(sj["name"], "suggestions");
  EXPECT_EQ(sj["columns"][2], "action");
  for (const auto& row : sj["rows"]) EXPECT_EQ(row["channel"], "email") << row.dump();
  auto suggestions_csv = c.Get("/api/v1/reports/suggestions?format=csv");
  ASSERT_TRUE(suggestions_csv);
  EXPECT_EQ(suggestions_csv->status, 200);
  EXPECT_EQ(suggestions_csv->body.rfind("channel,segment,action", 0), 0u) << suggestions_csv->body;
  auto bad_reach = c.Get("/api/v1/reports/suggestions?min_reach=none");
  ASSERT_TRUE(bad_reach);
  EXPECT_EQ(bad_reach->status, 400);
  auto bad_by = c.Get("/api/v1/reports/campaigns?by=city");
  ASSERT_TRUE(bad_by);
  EXPECT_EQ(bad_by->status, 400);
  auto weekly = c.Get("/api/v1/reports/weekly?lang=fa&calendar=persian&now=2026-11-02T08:00:00Z");
  ASSERT_TRUE(weekly);
  ASSERT_EQ(weekly->status, 200);
  EXPECT_NE(weekly->get_header_value("Content-Type").find("text/html"), std::string::npos);
  EXPECT_NE(weekly->body.find("dir=\"rtl\""), std::string::npos);
  auto bad = c.Get("/api/v1/reports/kpis?from=2026-01-01");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  auto bad_lang = c.Get("/api/v1/reports/weekly?lang=de");
  ASSERT_TRUE(bad_lang);
  EXPECT_EQ(bad_lang->status, 400);

  httplib::Client denied(server.url());
  denied.set_bearer_token_auth(collector);
  auto refused = denied.Get("/api/v1/reports/kpis");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 403);
  auto refused_suggestions = denied.Get("/api/v1/reports/suggestions");
  ASSERT_TRUE(refused_suggestions);
  EXPECT_EQ(refused_suggestions->status, 403);

  // The schedule runs right after start: one report for this week.
  bool written = false;
  for (int i = 0; i < 600 && !written; ++i) {
    if (fs::exists(weekly_dir))
      for (const auto& e : fs::directory_iterator(weekly_dir)) written |= e.path().extension() == ".html";
    if (!written) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(written) << "the weekly schedule wrote no report into " << weekly_dir;
}

}  // namespace
