// SMS: a real HTTP server (cpp-httplib, in this process) stands in for the
// gateway and checks the exact request the template produced; segment counts
// against the GSM 03.38 rules; delivery receipts in JSON and form encoding.
#include <gtest/gtest.h>
#include <httplib.h>

#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "deliver/deliver.h"

namespace patron::deliver {
namespace {

// The stand-in gateway: remembers each request and answers with the status
// given by the number's last three digits when they are 400, 401, 408, 429, 500
// or 503, else 201 with a message id.
class FakeGateway {
 public:
  struct Request {
    std::string method, path, query_to, query_text, body, content_type, authorization;
  };

  FakeGateway() {
    auto handler = [this](const httplib::Request& req, httplib::Response& res) {
      Request r{req.method,
                req.path,
                req.get_param_value("to"),
                req.get_param_value("text"),
                req.body,
                req.get_header_value("Content-Type"),
                req.get_header_value("Authorization")};
      std::string to = r.query_to;
      if (to.empty() && !req.body.empty() && req.body[0] == '{') {
        auto doc = nlohmann::json::parse(req.body, nullptr, false);
        if (!doc.is_discarded() && doc.contains("to")) to = doc["to"];
      }
      if (to.empty()) to = req.get_param_value("to");  // form bodies
      {
        std::lock_guard lock(mutex_);
        requests_.push_back(r);
      }
      int status = to.size() >= 3 ? std::atoi(to.substr(to.size() - 3).c_str()) : 0;
      if (status == 400 || status == 401 || status == 408 || status == 429 || status == 500 ||
          status == 503) {
        res.status = status;
        res.set_content(R"({"error":"refused"})", "application/json");
        return;
      }
      res.status = 201;
      res.set_content(R"({"messages":[{"id":"msg-)" + std::to_string(++ids_) + R"(","parts":1}]})",
                      "application/json");
    };
    server_.Post("/send", handler);
    server_.Get("/send", handler);
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~FakeGateway() {
    server_.stop();
    thread_.join();
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/send"; }
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
  int ids_ = 0;
};

const char* kPersian = "سلام سارا، کد تخفیف شما: \"NOWRUZ\" \\ ۲۰٪\nلغو: ۱۱";

TEST(SmsGateway, JsonTemplateCarriesEscapedValuesAndTheProviderIdComesBack) {
  FakeGateway gateway;
  SmsGatewayConfig config;
  config.url = gateway.url();
  config.body_template = R"({"to":"{to}","text":"{text}","from":"{sender}","ref":"{reference}"})";
  config.sender = "Shop";
  config.headers = {{"Authorization", "Bearer secret-token"}};
  config.message_id_pointer = "/messages/0/id";
  auto sms = SmsGateway::Create(config);
  ASSERT_TRUE(sms.ok()) << sms.status().ToString();

  SmsOutcome out = (*sms)->Send("+989121234567", kPersian, "c42-p7");
  EXPECT_EQ(out.kind, DeliveryKind::kAccepted) << out.error;
  EXPECT_EQ(out.http_status, 201);
  EXPECT_EQ(out.provider_id, "msg-1");

  auto reqs = gateway.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].method, "POST");
  EXPECT_EQ(reqs[0].content_type, "application/json; charset=utf-8");
  EXPECT_EQ(reqs[0].authorization, "Bearer secret-token");
  EXPECT_EQ(reqs[0].body,
            "{\"to\":\"+989121234567\",\"text\":\"سلام سارا، کد تخفیف شما: \\\"NOWRUZ\\\" \\\\ "
            "۲۰٪\\nلغو: ۱۱\","
            "\"from\":\"Shop\",\"ref\":\"c42-p7\"}");
  auto doc = nlohmann::json::parse(reqs[0].body);
  EXPECT_EQ(doc["text"], kPersian);
  EXPECT_EQ(reqs[0].body, (*sms)->RenderBody("+989121234567", kPersian, "c42-p7"));
}

TEST(SmsGateway, AnswersBecomeOutcomes) {
  FakeGateway gateway;
  SmsGatewayConfig config;
  config.url = gateway.url();
  auto sms = SmsGateway::Create(config);
  ASSERT_TRUE(sms.ok());
  struct Case {
    const char* to;
    DeliveryKind kind;
    int status;
  } cases[] = {
      {"+46701234567", DeliveryKind::kAccepted, 201},
      {"+46701234429", DeliveryKind::kTransientFailure, 429},
      {"+46701234503", DeliveryKind::kTransientFailure, 503},
      {"+46701234500", DeliveryKind::kTransientFailure, 500},
      {"+46701234408", DeliveryKind::kTransientFailure, 408},
      {"+46701234400", DeliveryKind::kPermanentFailure, 400},
      {"+46701234401", DeliveryKind::kPermanentFailure, 401},
  };
  for (const Case& c : cases) {
    SmsOutcome out = (*sms)->Send(c.to, "Hej!", "r1");
    EXPECT_EQ(out.kind, c.kind) << c.to << " " << out.error;
    EXPECT_EQ(out.http_status, c.status) << c.to;
  }
  // Refused without contacting the gateway.
  size_t before = gateway.requests().size();
  EXPECT_EQ((*sms)->Send("0701234567", "Hej", "r").kind, DeliveryKind::kPermanentFailure);
  EXPECT_EQ((*sms)->Send("+46701234567", "bad \xff", "r").kind, DeliveryKind::kPermanentFailure);
  EXPECT_EQ(gateway.requests().size(), before);
}

TEST(SmsGateway, FormBodiesAndGetUrlsAreEncoded) {
  FakeGateway gateway;
  SmsGatewayConfig form;
  form.url = gateway.url();
  form.body_format = SmsBodyFormat::kForm;
  form.body_template = "to={to}&text={text}&sender={sender}&ref={reference}";
  form.sender = "Shop & Co";
  auto sms = SmsGateway::Create(form);
  ASSERT_TRUE(sms.ok());
  EXPECT_TRUE((*sms)->Send("+46701234567", "50% off & more", "r=1").accepted());
  auto reqs = gateway.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].content_type, "application/x-www-form-urlencoded");
  EXPECT_EQ(reqs[0].body, "to=%2B46701234567&text=50%25+off+%26+more&sender=Shop+%26+Co&ref=r%3D1");

  SmsGatewayConfig get;
  get.url = gateway.url() + "?to={to}&text={text}";
  get.method = "GET";
  auto getter = SmsGateway::Create(get);
  ASSERT_TRUE(getter.ok());
  EXPECT_TRUE((*getter)->Send("+989121234567", "سلام دنیا", "r").accepted());
  reqs = gateway.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[1].method, "GET");
  EXPECT_EQ(reqs[1].query_to, "+989121234567");
  EXPECT_EQ(reqs[1].query_text, "سلام دنیا");
}

TEST(SmsGateway, UnreachableGatewayIsTransientAndBadConfigIsRefused) {
  SmsGatewayConfig config;
  config.url = "http://127.0.0.1:1/send";
  config.timeout = std::chrono::milliseconds(2000);
  auto sms = SmsGateway::Create(config);
  ASSERT_TRUE(sms.ok());
  SmsOutcome out = (*sms)->Send("+46701234567", "Hej", "r");
  EXPECT_EQ(out.kind, DeliveryKind::kTransientFailure);
  EXPECT_EQ(out.http_status, 0);
  EXPECT_FALSE(out.error.empty());

  config.body_template = R"({"to":"{to}","msg":"{message}"})";
  auto bad = SmsGateway::Create(config);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("{message}"), std::string::npos);
  config = SmsGatewayConfig();
  config.url = "ftp://gateway.example.com";
  EXPECT_FALSE(SmsGateway::Create(config).ok());
  config.url = "https://gateway.example.com";
  config.method = "PUT";
  EXPECT_FALSE(SmsGateway::Create(config).ok());
}

TEST(SmsSegmentCount, CountedAsPhonesCountThem) {
  struct Case {
    std::string text;
    SmsEncoding encoding;
    int units;
    int segments;
  } cases[] = {
      {"", SmsEncoding::kGsm7, 0, 1},
      {"Hello", SmsEncoding::kGsm7, 5, 1},
      {std::string(160, 'a'), SmsEncoding::kGsm7, 160, 1},
      {std::string(161, 'a'), SmsEncoding::kGsm7, 161, 2},
      {std::string(306, 'a'), SmsEncoding::kGsm7, 306, 2},
      {std::string(307, 'a'), SmsEncoding::kGsm7, 307, 3},
      {"Price: 10€ {now}", SmsEncoding::kGsm7, 19, 1},  // € { } take two septets each
      {"Hej då, Åsa! Ärligt?", SmsEncoding::kGsm7, 20, 1},
      // 152 plain, then € (2 septets) does not fit in part 1 of 153 and moves whole to
      // part 2, so 306 septets take three parts, not two.
      {std::string(152, 'a') + "€" + std::string(152, 'b'), SmsEncoding::kGsm7, 306, 3},
      {"سلام", SmsEncoding::kUcs2, 4, 1},
      {"مرحبا", SmsEncoding::kUcs2, 5, 1},
      {"Hi 🎉", SmsEncoding::kUcs2, 5, 1},      // the emoji is a surrogate pair
      {"Ça va? ç", SmsEncoding::kUcs2, 8, 1},  // lower-case ç is not in GSM 03.38
  };
  for (const Case& c : cases) {
    SmsSegments s = CountSmsSegments(c.text);
    EXPECT_EQ(s.encoding, c.encoding) << c.text;
    EXPECT_EQ(s.units, c.units) << c.text;
    EXPECT_EQ(s.segments, c.segments) << c.text;
  }
  std::string persian70;
  for (int i = 0; i < 70; ++i) persian70 += "س";
  EXPECT_EQ(CountSmsSegments(persian70).segments, 1);
  EXPECT_EQ(CountSmsSegments(persian70 + "س").segments, 2);
  std::string persian134;
  for (int i = 0; i < 134; ++i) persian134 += "ی";
  EXPECT_EQ(CountSmsSegments(persian134).segments, 2);
  EXPECT_EQ(CountSmsSegments(persian134 + "ی").segments, 3);
  // 66 units then an emoji (2 units): the pair is not split, so it starts part 2.
  std::string pair_at_edge = std::string(66, 'x') + "ش" + "🎉";  // 'ش' makes it UCS-2
  SmsSegments s = CountSmsSegments(pair_at_edge + std::string(3, 'y'));
  EXPECT_EQ(s.units, 66 + 1 + 2 + 3);
  EXPECT_EQ(s.segments, 2);
  std::string split_pair = std::string(66, 'x') + "🎉" + "شش";  // pair would straddle 67
  EXPECT_EQ(CountSmsSegments(split_pair).units, 70);
  EXPECT_EQ(CountSmsSegments(split_pair + "ش").segments, 2);
}

TEST(SmsReceipts, JsonAndFormReceiptsAreMapped) {
  SmsReceiptConfig config;
  auto delivered =
      ParseDeliveryReceipt(config, R"({"id":"msg-1","ref":"c42-p7","status":"DELIVRD"})");
  ASSERT_TRUE(delivered.ok()) << delivered.status().ToString();
  EXPECT_EQ(delivered->reference, "c42-p7");
  EXPECT_EQ(delivered->provider_id, "msg-1");
  EXPECT_EQ(delivered->status, SmsReceiptStatus::kDelivered);

  auto failed = ParseDeliveryReceipt(
      config, R"({"id":17,"status":"undelivered","error":"absent subscriber"})");
  ASSERT_TRUE(failed.ok());
  EXPECT_EQ(failed->provider_id, "17");
  EXPECT_EQ(failed->status, SmsReceiptStatus::kFailed);
  EXPECT_EQ(failed->reason, "absent subscriber");

  SmsReceiptConfig nested;
  nested.reference_field = "/data/client_ref";
  nested.provider_id_field = "/data/message_id";
  nested.status_field = "/data/state";
  nested.error_field = "/data/err/text";
  auto n = ParseDeliveryReceipt(nested,
                                R"({"data":{"client_ref":"r9","state":"sent","err":{"text":""}}})");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->reference, "r9");
  EXPECT_EQ(n->status, SmsReceiptStatus::kPending);

  SmsReceiptConfig form;
  form.reference_field = "ref";
  form.provider_id_field = "MessageSid";
  form.status_field = "MessageStatus";
  form.error_field = "ErrorCode";
  auto f = ParseDeliveryReceipt(
      form, "MessageSid=SM123&MessageStatus=failed&ErrorCode=30003&ref=c1%2Bp2");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->provider_id, "SM123");
  EXPECT_EQ(f->reference, "c1+p2");
  EXPECT_EQ(f->status, SmsReceiptStatus::kFailed);
  EXPECT_EQ(f->reason, "30003");
  // 30003 is a handset that could not be reached (off, out of coverage); 30005
  // an unknown handset: the number itself is gone.
  EXPECT_FALSE(f->number_gone);
  auto gone =
      ParseDeliveryReceipt(form, "MessageSid=SM124&MessageStatus=undelivered&ErrorCode=30005");
  ASSERT_TRUE(gone.ok()) << gone.status().ToString();
  EXPECT_TRUE(gone->number_gone);
  EXPECT_EQ(gone->reference, "");
  // The same code on a delivered receipt is not a failure.
  auto odd = ParseDeliveryReceipt(form, "MessageSid=SM125&MessageStatus=delivered&ErrorCode=30005");
  ASSERT_TRUE(odd.ok());
  EXPECT_FALSE(odd->number_gone);

  auto no_status = ParseDeliveryReceipt(config, R"({"id":"x"})");
  ASSERT_FALSE(no_status.ok());
  EXPECT_NE(no_status.status().message().find("/status"), std::string::npos);
  EXPECT_FALSE(ParseDeliveryReceipt(config, R"({"status":"delivered"})").ok());
  EXPECT_FALSE(ParseDeliveryReceipt(config, "{not json").ok());
}

}  // namespace
}  // namespace patron::deliver

namespace patron::deliver {
namespace {

TEST(SmsGatewayJson, DescriptionIsReadWithDefaultsAndPreciseErrors) {
  auto d = ParseSmsGatewayJson(R"({
    "url": "https://sms.example.ir/v1/send",
    "body_format": "form",
    "body_template": "receptor={to}&message={text}&sender={sender}&localid={reference}",
    "sender": "10004346",
    "headers": {"Authorization": "Bearer abc"},
    "success_statuses": [200],
    "message_id_pointer": "/entries/0/messageid",
    "timeout_seconds": 5,
    "receipt": {"reference_field": "localid", "provider_id_field": "messageid", "status_field": "status",
                "delivered_values": ["10"], "failed_values": ["11", "14"], "number_gone_errors": ["invalid-number"]}
  })");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->gateway.body_format, SmsBodyFormat::kForm);
  EXPECT_EQ(d->gateway.method, "POST");
  EXPECT_EQ(d->gateway.sender, "10004346");
  EXPECT_EQ(d->gateway.headers.size(), 1u);
  EXPECT_EQ(d->gateway.success_statuses, std::vector<int>{200});
  EXPECT_EQ(d->gateway.timeout, std::chrono::milliseconds(5000));
  EXPECT_EQ(d->gateway.max_connections, 4);
  EXPECT_EQ(d->receipt.delivered_values, std::vector<std::string>{"10"});
  EXPECT_EQ(d->receipt.error_field, "/error");
  EXPECT_TRUE(SmsGateway::Create(d->gateway).ok());
  auto receipt = ParseDeliveryReceipt(d->receipt, "messageid=8792&status=10&localid=c1-p2");
  ASSERT_TRUE(receipt.ok());
  EXPECT_EQ(receipt->status, SmsReceiptStatus::kDelivered);
  EXPECT_EQ(d->receipt.number_gone_errors, std::vector<std::string>{"invalid-number"});
  auto gone = ParseDeliveryReceipt(d->receipt, "messageid=8793&status=14&error=invalid-number");
  ASSERT_TRUE(gone.ok());
  EXPECT_TRUE(gone->number_gone);

  auto misspelt =
      ParseSmsGatewayJson(R"({"url":"https://x.example","receipt":{"number_gone_error":["1"]}})");
  ASSERT_FALSE(misspelt.ok());
  EXPECT_NE(misspelt.status().message().find("'receipt.number_gone_error'"), std::string::npos)
      << misspelt.status().ToString();
  auto unknown = ParseSmsGatewayJson(R"({"url":"https://x.example","tempalte":"x"})");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("'tempalte'"), std::string::npos);
  auto bad_type = ParseSmsGatewayJson(R"({"url":"https://x.example","success_statuses":"200"})");
  ASSERT_FALSE(bad_type.ok());
  EXPECT_NE(bad_type.status().message().find("success_statuses"), std::string::npos);
  EXPECT_FALSE(ParseSmsGatewayJson(R"({"sender":"x"})").ok());
  EXPECT_FALSE(ParseSmsGatewayJson("[1]").ok());
}

}  // namespace
}  // namespace patron::deliver
