// Webhooks: a real HTTP server (cpp-httplib, in this process) receives the
// posts and checks what a receiver relies on: the body as sent, the
// Idempotency-Key, a signature it can verify, and answers mapped to outcomes.
#include <gtest/gtest.h>
#include <httplib.h>

#include <map>
#include <mutex>
#include <thread>

#include "deliver/deliver.h"

namespace patron::deliver {
namespace {

class Receiver {
 public:
  struct Request {
    std::string body, key, signature, content_type, authorization;
  };
  // Answers with the status in the path (/status/503), else 200.
  Receiver() {
    auto handler = [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mutex_);
      requests_.push_back({req.body, req.get_header_value("Idempotency-Key"), req.get_header_value("X-Patron-Signature"),
                           req.get_header_value("Content-Type"), req.get_header_value("Authorization")});
      if (req.path.rfind("/status/", 0) == 0) res.status = std::atoi(req.path.substr(8).c_str());
      res.set_content("{\"ok\":false}", "application/json");
    };
    server_.Post(R"(/.*)", handler);
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~Receiver() {
    server_.stop();
    thread_.join();
  }
  std::string url(const std::string& path = "/hook") const { return "http://127.0.0.1:" + std::to_string(port_) + path; }
  std::vector<Request> requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mutex_;
  std::vector<Request> requests_;
};

TEST(Webhook, PostsTheBodyWithItsKeyAndAVerifiableSignature) {
  Receiver receiver;
  WebhookConfig config;
  config.url = receiver.url();
  config.secret = "s3cret";
  config.headers = {{"Authorization", "Bearer abc"}};
  auto sender = WebhookSender::Create(config);
  ASSERT_TRUE(sender.ok()) << sender.status().ToString();
  const std::string body = R"({"text":"سلام","n":1})";
  HttpOutcome out = (*sender)->Post(body, "m-42", 1790000000);
  EXPECT_EQ(out.kind, DeliveryKind::kAccepted) << out.error;
  EXPECT_EQ(out.http_status, 200);
  auto got = receiver.requests();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].body, body);
  EXPECT_EQ(got[0].key, "m-42");
  EXPECT_EQ(got[0].authorization, "Bearer abc");
  EXPECT_EQ(got[0].content_type, "application/json; charset=utf-8");
  EXPECT_EQ(got[0].signature, WebhookSignature("s3cret", 1790000000, body));
  // The signature covers the time and the body: either changed, it changes.
  EXPECT_EQ(got[0].signature.rfind("t=1790000000,v1=", 0), 0u);
  EXPECT_EQ(got[0].signature.size(), std::string("t=1790000000,v1=").size() + 64);
  EXPECT_NE(WebhookSignature("s3cret", 1790000001, body), got[0].signature);
  EXPECT_NE(WebhookSignature("s3cret", 1790000000, body + " "), got[0].signature);
  EXPECT_NE(WebhookSignature("other", 1790000000, body), got[0].signature);
  // Against an independent HMAC-SHA256 (Python's hmac module) of "1790000000.<body>".
  EXPECT_EQ(WebhookSignature("Jefe", 1790000000, "what do ya want for nothing?"),
            "t=1790000000,v1=79368d676f0012602ea15029a7cad98cbcca320c179f8dfbfb27122c189b86d4");
}

TEST(Webhook, AnswersBecomeOutcomes) {
  Receiver receiver;
  std::map<int, DeliveryKind> cases = {
      {200, DeliveryKind::kAccepted},         {202, DeliveryKind::kAccepted},
      {204, DeliveryKind::kAccepted},         {408, DeliveryKind::kTransientFailure},
      {425, DeliveryKind::kTransientFailure}, {429, DeliveryKind::kTransientFailure},
      {500, DeliveryKind::kTransientFailure}, {503, DeliveryKind::kTransientFailure},
      {400, DeliveryKind::kPermanentFailure}, {401, DeliveryKind::kPermanentFailure},
      {404, DeliveryKind::kPermanentFailure}, {410, DeliveryKind::kPermanentFailure},
  };
  for (auto [status, kind] : cases) {
    WebhookConfig config;
    config.url = receiver.url("/status/" + std::to_string(status));
    auto sender = WebhookSender::Create(config);
    ASSERT_TRUE(sender.ok());
    HttpOutcome out = (*sender)->Post("{}", "k", 0);
    EXPECT_EQ(out.kind, kind) << status << " " << out.error;
    EXPECT_EQ(out.http_status, status);
    if (kind != DeliveryKind::kAccepted) {
      EXPECT_NE(out.error.find(std::to_string(status)), std::string::npos);
    }
  }
  // Without a secret, no signature header.
  EXPECT_TRUE(receiver.requests().back().signature.empty());
}

TEST(Webhook, UnreachableIsTransientAndBadConfigurationIsRefused) {
  WebhookConfig config;
  config.url = "http://127.0.0.1:1/hook";
  config.timeout = std::chrono::milliseconds(2000);
  auto sender = WebhookSender::Create(config);
  ASSERT_TRUE(sender.ok());
  HttpOutcome out = (*sender)->Post("{}", "k", 0);
  EXPECT_EQ(out.kind, DeliveryKind::kTransientFailure);
  EXPECT_EQ(out.http_status, 0);
  EXPECT_FALSE(out.error.empty());

  config.url = "ftp://example.com/x";
  EXPECT_EQ(WebhookSender::Create(config).status().code(), StatusCode::kInvalidArgument);
  config.url = "https://example.com/x";
  config.headers = {{"X-Bad", "a\r\nInjected: yes"}};
  EXPECT_EQ(WebhookSender::Create(config).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace patron::deliver
