// `patron serve` end to end: the real binary on loopback, real HTTP clients, the
// official Segment-spec SDKs from npm, kill -9, and hostile input.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

#include "patron_process.h"
#include "store/store.h"

namespace patron {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::RunPatron;
using testing::ServeProcess;

class Serve : public ::testing::Test {
 protected:
  void SetUp() override {
    // A parameterised test's name ("EveryEventArrivesExactlyOnce/0") holds a
    // '/', which would leave its parent directory behind.
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::replace(name.begin(), name.end(), '/', '_');
    dir_ = fs::temp_directory_path() / ("patron-serve-" + std::to_string(::getpid()) + "-" + name);
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    db_ = (dir_ / "serve.db").string();
    write_key_ = CreateKey("collector", "web");
    api_key_ = CreateKey("admin", "tests");
  }
  void TearDown() override { fs::remove_all(dir_); }

  // A key made with the CLI, as an operator would; the CLI prints it once.
  std::string CreateKey(const std::string& role, const std::string& name) {
    auto r = RunPatron({"--db", db_, "key", "create", "--role", role, "--name", name}, true);
    EXPECT_EQ(r.exit_code, 0) << r.out;
    std::string key;
    for (size_t at = r.out.find("pat_"); at != std::string::npos;) {
      size_t end = r.out.find_first_of(" \n\t", at);
      key = r.out.substr(at, end == std::string::npos ? std::string::npos : end - at);
      break;
    }
    EXPECT_FALSE(key.empty()) << r.out;
    return key;
  }

  httplib::Client Collector(const ServeProcess& server) {
    httplib::Client c(server.url());
    c.set_basic_auth(write_key_, "");
    c.set_read_timeout(30, 0);
    return c;
  }
  httplib::Client Api(const ServeProcess& server) {
    httplib::Client c(server.url());
    c.set_bearer_token_auth(api_key_);
    c.set_read_timeout(30, 0);
    return c;
  }

  int64_t Count(const std::string& sql) {
    auto db = Database::Open(db_);
    EXPECT_TRUE(db.ok());
    auto n = (*db)->QueryInt(sql);
    EXPECT_TRUE(n.ok()) << n.status().ToString() << " in " << sql;
    return n.ok() ? *n : -1;
  }

  fs::path dir_;
  std::string db_, write_key_, api_key_;
};

TEST_F(Serve, HealthReadinessMetricsAndOpenApi) {
  ServeProcess server(db_);
  ASSERT_GT(server.port(), 0);
  httplib::Client c(server.url());
  auto health = c.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  auto ready = c.Get("/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->body, R"({"status":"ready"})");
  auto metrics = c.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("patron_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"2xx\"} 1"),
            std::string::npos)
      << metrics->body;
  EXPECT_NE(metrics->body.find("patron_events_queued 0"), std::string::npos);
  auto openapi = c.Get("/openapi.json");
  ASSERT_TRUE(openapi);
  json doc = json::parse(openapi->body);
  EXPECT_EQ(doc["openapi"].get<std::string>().substr(0, 2), "3.");
  // Under /api an unknown path is a JSON 404 (elsewhere, with a web build
  // beside the binary, it is the web application's page).
  auto missing = c.Get("/api/no/such/route");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(json::parse(missing->body)["error"]["code"], "not_found");
  EXPECT_EQ(server.Stop(SIGTERM), 0);
}

TEST_F(Serve, CollectsEverySegmentCallShape) {
  ServeProcess server(db_);
  ASSERT_GT(server.port(), 0);
  auto c = Collector(server);
  // A visitor browses anonymously, then signs up and is identified.
  auto page = c.Post("/v1/page", R"({"anonymousId":"anon-1","name":"Phones","properties":{"path":"/phones"}})",
                     "application/json");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_EQ(page->body, R"({"success":true})");
  // The short browser path with a text/plain body and the key in the body.
  httplib::Client plain(server.url());
  auto t = plain.Post("/v1/t",
                      R"({"anonymousId":"anon-1","event":"Product Viewed","properties":{"sku":"P-1"},"writeKey":")" +
                          write_key_ + R"("})",
                      "text/plain");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->status, 200) << t->body;
  auto identify = c.Post("/v1/identify",
                         R"({"userId":"crm-77","anonymousId":"anon-1","messageId":"id-1",)"
                         R"("traits":{"email":"Sara.Ahmadi@Example.COM","firstName":"سارا","phone":"+46701234567",)"
                         R"("address":{"city":"Göteborg","country":"Sweden"},"favourite":"tea"}})",
                         "application/json");
  ASSERT_TRUE(identify);
  EXPECT_EQ(identify->status, 200);
  // gzip-compressed batch with an order and a company.
  c.set_compress(true);
  auto batch = c.Post("/v1/batch",
                      R"({"batch":[{"type":"track","userId":"crm-77","event":"Order Completed","messageId":"o-1",)"
                      R"("properties":{"order_id":"W-1001","total":1299.5,"currency":"SEK","products":[)"
                      R"({"sku":"P-1","name":"Phone","category":"Electronics/Phones","price":1199.5,"quantity":1},)"
                      R"({"sku":"C-9","name":"Case","category":"Electronics/Phone Accessories","price":100,"quantity":1}]}},)"
                      R"({"type":"group","userId":"crm-77","groupId":"org-5","traits":{"name":"Volvo AB","website":"volvo.se",)"
                      R"("employees":"1200"}},{"type":"screen","userId":"crm-77","name":"Cart"}]})",
                      "application/json");
  c.set_compress(false);
  ASSERT_TRUE(batch);
  EXPECT_EQ(batch->status, 200) << batch->body;
  // A chunked body.
  std::string chunked = R"({"batch":[{"type":"track","userId":"crm-77","event":"Chunked","messageId":"ch-1"}]})";
  auto ch = c.Post(
      "/v1/batch",
      [&](size_t offset, httplib::DataSink& sink) {
        if (offset < chunked.size()) {
          sink.write(chunked.data() + offset, std::min<size_t>(7, chunked.size() - offset));
        } else {
          sink.done();
        }
        return true;
      },
      "application/json");
  ASSERT_TRUE(ch);
  EXPECT_EQ(ch->status, 200) << ch->body;
  ASSERT_EQ(server.Stop(SIGTERM), 0);

  // One person: the anonymous visit joined the identified customer.
  EXPECT_EQ(Count("SELECT count(*) FROM customers"), 1);
  // The device stays on record as one the customer was seen on (moved with the
  // anonymous profile's history), for identity resolution to weigh.
  EXPECT_EQ(Count("SELECT count(*) FROM customer_devices WHERE device_id = 'anon-1' AND "
                  "customer_id = (SELECT id FROM customers)"),
            1);
  EXPECT_EQ(Count("SELECT count(DISTINCT customer_id) FROM events"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM events"), 7);
  EXPECT_EQ(Count("SELECT count(*) FROM events WHERE type = 'page:Phones'"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM events WHERE type = 'screen:Cart'"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM events WHERE type = 'identify' AND "
                  "json_extract(properties, '$.favourite') = 'tea'"),
            1);
  EXPECT_EQ(Count("SELECT count(*) FROM customers WHERE given_name = 'سارا' AND city = 'Göteborg' AND country = 'SE'"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM contact_points WHERE kind = 'email' AND value = 'sara.ahmadi@example.com'"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM contact_points WHERE kind = 'phone' AND value = '+46701234567'"), 1);
  EXPECT_EQ(Count("SELECT total_minor FROM orders WHERE order_number = 'W-1001' AND currency = 'SEK'"), 129950);
  EXPECT_EQ(Count("SELECT count(*) FROM order_lines"), 2);
  EXPECT_EQ(Count("SELECT count(*) FROM categories WHERE slug = 'electronics/phone-accessories'"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM accounts WHERE name = 'Volvo AB' AND domain = 'volvo.se' AND employees = 1200"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM account_members"), 1);
  // The device's clock: no sentAt, so the timestamps are the server's receipt times.
  EXPECT_EQ(Count("SELECT count(*) FROM events WHERE occurred_at > received_at"), 0);
}

TEST_F(Serve, RetriedMessagesAreStoredOnce) {
  ServeProcess server(db_);
  ASSERT_GT(server.port(), 0);
  auto c = Collector(server);
  std::string body = R"({"batch":[{"type":"track","userId":"u1","event":"Paid","messageId":"pay-1",)"
                     R"("properties":{"order_id":"X-1"}},{"type":"track","userId":"u1","event":"Order Completed",)"
                     R"("messageId":"oc-1","properties":{"order_id":"X-1","total":10}}]})";
  for (int i = 0; i < 3; ++i) {
    auto r = c.Post("/v1/batch", body, "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
  }
  auto metrics = c.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("patron_events_duplicate_total 4"), std::string::npos) << metrics->body;
  server.Stop();
  EXPECT_EQ(Count("SELECT count(*) FROM events"), 2);
  EXPECT_EQ(Count("SELECT count(*) FROM orders"), 1);
}

TEST_F(Serve, BadInputGetsAClearAnswerAndTheServerKeepsServing) {
  std::string config = (dir_ / "patron.conf").string();
  std::ofstream(config) << "read_timeout = 1\nkeep_alive = 1\nmax_body = 1K\n";
  ServeProcess server(db_, {"--config", config});
  ASSERT_GT(server.port(), 0);
  auto c = Collector(server);
  auto bad_json = c.Post("/v1/batch", R"({"batch":[{"type":"track",]})", "application/json");
  ASSERT_TRUE(bad_json);
  EXPECT_EQ(bad_json->status, 400);
  EXPECT_EQ(json::parse(bad_json->body)["success"], false);
  EXPECT_EQ(json::parse(bad_json->body)["error"]["code"], "invalid_argument");
  EXPECT_NE(bad_json->body.find("not valid JSON"), std::string::npos);

  auto bad_utf8 = c.Post("/v1/track", "{\"userId\":\"\xff\xfe\",\"event\":\"x\"}", "application/json");
  ASSERT_TRUE(bad_utf8);
  EXPECT_EQ(bad_utf8->status, 400);
  EXPECT_NE(bad_utf8->body.find("not valid UTF-8"), std::string::npos);

  std::string huge = R"({"batch":[{"type":"track","userId":"u","event":"x","properties":{"p":")" +
                     std::string(600 * 1024, 'a') + R"("}}]})";
  auto too_large = c.Post("/v1/batch", huge, "application/json");
  ASSERT_TRUE(too_large);
  EXPECT_EQ(too_large->status, 400);
  EXPECT_NE(too_large->body.find("larger than 512000 bytes"), std::string::npos) << too_large->body;

  // REST bodies over max_body are refused before they are read; collection has its own limits.
  httplib::Client api(server.url());
  auto big_patch = api.Patch("/api/v1/customers/1", "{\"city\":\"" + std::string(4000, 'x') + "\"}", "application/json");
  ASSERT_TRUE(big_patch);
  EXPECT_EQ(big_patch->status, 413);
  EXPECT_EQ(json::parse(big_patch->body)["error"]["code"], "resource_exhausted");

  httplib::Client anonymous(server.url());
  auto no_key = anonymous.Post("/v1/track", R"({"userId":"u","event":"x"})", "application/json");
  ASSERT_TRUE(no_key);
  EXPECT_EQ(no_key->status, 401);
  anonymous.set_basic_auth("pat_not_a_key", "");
  auto wrong_key = anonymous.Post("/v1/track", R"({"userId":"u","event":"x"})", "application/json");
  ASSERT_TRUE(wrong_key);
  EXPECT_EQ(wrong_key->status, 401);

  // Hostile strings inside valid messages are data, stored as sent.
  // Includes a right-to-left override (U+202E), written as bytes.
  const std::string hostile = "'; DROP TABLE customers; -- <script>alert(1)</script> \xE2\x80\xAERTL \xEF\xB7\xBD";
  json batch = {{"batch",
                 {{{"type", "track"}, {"userId", hostile}, {"event", hostile}, {"properties", {{"note", hostile}}}},
                  {{"type", "track"}, {"event", "no user"}},
                  {{"type", "identify"}, {"userId", "u2"}, {"traits", {{"email", "not-an-email"}}}}}}};
  auto mixed = c.Post("/v1/batch", batch.dump(), "application/json");
  ASSERT_TRUE(mixed);
  EXPECT_EQ(mixed->status, 200);

  // A client that starts a request and goes silent is dropped after read_timeout,
  // while others are served.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(server.port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  std::string partial = "POST /v1/batch HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{\"batch\":";
  ASSERT_EQ(::send(fd, partial.data(), partial.size(), 0), static_cast<ssize_t>(partial.size()));
  auto during = c.Get("/healthz");
  ASSERT_TRUE(during);
  EXPECT_EQ(during->status, 200);
  char buf[512];
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  auto started = std::chrono::steady_clock::now();
  ssize_t n = ::recv(fd, buf, sizeof buf, 0);  // closed (0) or an error answer, not a hang
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(4));
  EXPECT_GE(n, 0);
  ::close(fd);

  auto after = c.Get("/readyz");
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, 200);
  server.Stop();

  auto db = Database::Open(db_);
  ASSERT_TRUE(db.ok());
  auto q = (*db)->Prepare("SELECT type, json_extract(properties, '$.note') FROM events WHERE type LIKE '''%'");
  ASSERT_TRUE(q.ok());
  ASSERT_TRUE(*(*q)->Step());
  EXPECT_EQ((*q)->String(0), hostile);
  EXPECT_EQ((*q)->String(1), hostile);
  EXPECT_EQ(Count("SELECT count(*) FROM customers"), 2);
  EXPECT_EQ(Count("SELECT count(*) FROM collect_rejects WHERE reason = 'batch[1]: userId or anonymousId is required'"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM contact_points WHERE status = 'invalid' AND value = 'not-an-email'"), 1);
}

// Sends batches of 100 from 4 threads, recording which were acknowledged, and
// kills the server with SIGKILL in the middle. Every acknowledged message must
// be stored; re-sending everything (as SDKs retry) must add each missing one
// exactly once.
TEST_F(Serve, KillMinus9LosesNothingAcknowledgedAndRetriesAddNothingTwice) {
  constexpr int kThreads = 4, kBatches = 60, kPerBatch = 100;
  auto body_of = [](int t, int b) {
    std::string body = R"({"batch":[)";
    for (int i = 0; i < kPerBatch; ++i) {
      body += (i ? "," : "") + std::string(R"({"type":"track","userId":"user-)") + std::to_string((b * 7 + i) % 300) +
              R"(","event":"Crash Test","messageId":"m-)" + std::to_string(t) + "-" + std::to_string(b) + "-" +
              std::to_string(i) + R"("})";
    }
    return body + "]}";
  };
  std::vector<std::vector<bool>> acked(kThreads, std::vector<bool>(kBatches, false));
  {
    ServeProcess server(db_, {"--access-log", "off"});
    ASSERT_GT(server.port(), 0);
    std::atomic<int> done{0};
    std::vector<std::thread> senders;
    for (int t = 0; t < kThreads; ++t) {
      senders.emplace_back([&, t] {
        auto c = Collector(server);
        for (int b = 0; b < kBatches; ++b) {
          auto r = c.Post("/v1/batch", body_of(t, b), "application/json");
          if (!r) break;  // the server is gone
          if (r->status == 200) acked[t][b] = true;
          done++;
        }
      });
    }
    while (done.load() < kThreads * kBatches / 3) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    EXPECT_EQ(server.Stop(SIGKILL), -SIGKILL);
    for (auto& s : senders) s.join();
  }
  int acknowledged = 0;
  for (int t = 0; t < kThreads; ++t) {
    for (int b = 0; b < kBatches; ++b) {
      if (!acked[t][b]) continue;
      ++acknowledged;
      EXPECT_EQ(Count("SELECT count(*) FROM events WHERE source_key LIKE 'm-" + std::to_string(t) + "-" +
                      std::to_string(b) + "-%'"),
                kPerBatch)
          << "acknowledged batch " << t << "/" << b << " is not complete";
    }
  }
  EXPECT_GT(acknowledged, 0);
  EXPECT_LT(acknowledged, kThreads * kBatches) << "the kill came too late to test anything";

  ServeProcess again(db_, {"--access-log", "off"});
  ASSERT_GT(again.port(), 0);
  auto c = Collector(again);
  for (int t = 0; t < kThreads; ++t) {
    for (int b = 0; b < kBatches; ++b) {
      auto r = c.Post("/v1/batch", body_of(t, b), "application/json");
      ASSERT_TRUE(r);
      ASSERT_EQ(r->status, 200);
    }
  }
  again.Stop();
  EXPECT_EQ(Count("SELECT count(*) FROM events WHERE type = 'Crash Test'"), kThreads * kBatches * kPerBatch);
  EXPECT_EQ(Count("SELECT count(*) FROM customers"), 300);
}

// The official SDKs from npm, unchanged, pointed at the server: every event
// arrives exactly once, also when a proxy in between answers 503 (before and
// after the server stored the batch) and 429.
class SdkDelivery : public Serve, public ::testing::WithParamInterface<std::tuple<std::string, bool>> {};

TEST_P(SdkDelivery, EveryEventArrivesExactlyOnce) {
  const auto& [sdk, faults] = GetParam();
  const std::string sdk_dir = std::string(PATRON_SOURCE_DIR) + "/tests/sdk";
  ASSERT_TRUE(fs::exists(sdk_dir + "/node_modules/@segment/analytics-node"))
      << "the SDKs are not installed: `make test` installs them (npm) in tests/sdk";
  ServeProcess server(db_, {"--access-log", "off"});
  ASSERT_GT(server.port(), 0);
  const int count = faults ? 200 : 400;
  const std::string run = sdk + (faults ? "-faults" : "");
  std::string cmd = "cd " + testing::ShellQuote(sdk_dir) + " && timeout 300 node send.mjs --sdk " + sdk +
                    " --target " + server.url() + " --write-key " + write_key_ + " --run " + run + " --count " +
                    std::to_string(count) + (faults ? " --faults" : "") + " 2>/dev/null";
  FILE* p = ::popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int status = ::pclose(p);
  ASSERT_EQ(WEXITSTATUS(status), 0) << out;
  server.Stop();
  json report = json::parse(out.substr(out.find('{')));
  if (faults) {
    EXPECT_GT(report["unavailable"].get<int>(), 0) << out;
    EXPECT_GT(report["lostAnswers"].get<int>(), 0) << out;
    EXPECT_GT(report["tooMany"].get<int>(), 0) << out;
  }
  EXPECT_EQ(Count("SELECT count(*) FROM events WHERE type = 'SDK Test' AND json_extract(properties, '$.run') = '" +
                  run + "'"),
            count);
  EXPECT_EQ(Count("SELECT count(DISTINCT json_extract(properties, '$.seq')) FROM events WHERE type = 'SDK Test'"),
            count);
  EXPECT_EQ(Count("SELECT count(*) FROM events WHERE type = 'identify'"), 50);
  EXPECT_EQ(Count("SELECT count(*) FROM customers"), 50);
  EXPECT_EQ(Count("SELECT count(*) FROM contact_points WHERE kind = 'email' AND value LIKE '" + run + "-u%@example.com'"),
            50);
}

INSTANTIATE_TEST_SUITE_P(Sdks, SdkDelivery,
                         ::testing::Combine(::testing::Values("segment", "rudder", "legacy"), ::testing::Bool()),
                         [](const auto& info) {
                           return std::get<0>(info.param) + (std::get<1>(info.param) ? "_with_faults" : "");
                         });

}  // namespace
}  // namespace patron
