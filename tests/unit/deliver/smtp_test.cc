// SMTP delivery against a real server process (tests/tools/smtp_sink.py, on
// aiosmtpd): every message arrives byte for byte, connections are reused,
// replies become precise outcomes, the rate limit holds, STARTTLS works.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <nlohmann/json.hpp>
#include <set>

#include "../../tools/smtp_sink_process.h"
#include "deliver/deliver.h"
#include "test_util.h"

namespace patron::deliver {
namespace {

using SmtpSink = ::patron::testing::SmtpSinkProcess;
using testing::TempDir;

SmtpServerConfig LocalServer(int port, int connections = 2) {
  SmtpServerConfig c;
  c.host = "127.0.0.1";
  c.port = port;
  c.tls = SmtpTls::kNone;
  c.max_connections = connections;
  c.helo_name = "patron.test";
  c.timeout = std::chrono::milliseconds(5000);
  return c;
}

OutgoingMail Mail(const std::string& to, const std::string& subject, int number) {
  EmailMessage m;
  m.from = {"news@shop.example.com", "فروشگاه"};
  m.to = {to, "مشتری " + std::to_string(number)};
  m.subject = subject;
  m.text_body =
      "سلام\n.a line that starts with a dot\n..and two\nشماره " + std::to_string(number) + "\n";
  m.html_body = "<p dir=\"rtl\">سلام " + std::to_string(number) + "</p>";
  m.list_unsubscribe_url = "https://shop.example.com/u/" + std::to_string(number);
  m.extra_headers = {{"X-Patron-Message", std::to_string(number)}};
  auto composed = ComposeEmail(m);
  EXPECT_TRUE(composed.ok()) << composed.status().ToString();
  return {"bounces+" + std::to_string(number) + "@shop.example.com", to, composed->data,
          static_cast<uint64_t>(number)};
}

TEST(Smtp, EveryMessageArrivesExactlyOverReusedConnections) {
  TempDir dir;
  SmtpSink sink(dir.path());
  ASSERT_GT(sink.port(), 0);
  auto sender = SmtpSender::Create(LocalServer(sink.port(), 3));
  ASSERT_TRUE(sender.ok()) << sender.status().ToString();

  std::vector<OutgoingMail> mails;
  for (int i = 0; i < 60; ++i)
    mails.push_back(Mail("person" + std::to_string(i) + "@example.org", "پیشنهاد ویژه", i));
  auto outcomes = (*sender)->SendMany(mails);
  ASSERT_EQ(outcomes.size(), mails.size());
  for (const auto& o : outcomes) {
    EXPECT_EQ(o.kind, DeliveryKind::kAccepted)
        << o.smtp_code << " " << o.server_text << " " << o.error;
    EXPECT_EQ(o.smtp_code, 250);
    EXPECT_EQ(o.enhanced_code, "2.0.0");
    EXPECT_EQ(o.server_text.rfind("Ok: queued as ", 0), 0u) << o.server_text;
    EXPECT_EQ(o.bounce, BounceKind::kNone);
  }
  ASSERT_EQ(sink.WaitForCount(60), 60);

  // The server received each message byte for byte (dot-stuffing undone) with its envelope.
  std::map<std::string, const OutgoingMail*> by_recipient;
  for (const auto& m : mails) by_recipient[m.recipient] = &m;
  std::set<int> connections;
  const auto stored = sink.Stored();
  ASSERT_EQ(stored.size(), 60u);
  for (const auto& message : stored) {
    const nlohmann::json& envelope = message.envelope;
    std::string rcpt = envelope["rcpt_tos"][0];
    ASSERT_TRUE(by_recipient.count(rcpt)) << rcpt;
    const OutgoingMail& sent = *by_recipient[rcpt];
    EXPECT_EQ(envelope["rcpt_tos"].size(), 1u);
    EXPECT_EQ(envelope["mail_from"], sent.envelope_from);
    EXPECT_EQ(envelope["tls"], false);
    const std::string& received = message.data;
    EXPECT_EQ(received, sent.data) << "message to " << rcpt << " changed in transit";
    auto headers = testing::Headers(received);
    EXPECT_EQ(headers.find("x-patron-message")->second, std::to_string(sent.tag));
    EXPECT_EQ(headers.find("list-unsubscribe")->second,
              "<https://shop.example.com/u/" + std::to_string(sent.tag) + ">");
    connections.insert(envelope["connection"].get<int>());
  }
  // At most three pooled connections carried all sixty messages (fewer when a
  // worker found an idle one before opening its own), as the server counted them.
  EXPECT_GE(sink.Connections(), 1);
  EXPECT_LE(sink.Connections(), 3);
  EXPECT_EQ(static_cast<int>(connections.size()), sink.Connections());
  EXPECT_EQ((*sender)->connections_opened(), sink.Connections());
}

TEST(Smtp, RepliesBecomePreciseOutcomesAndTheConnectionRecovers) {
  TempDir dir;
  SmtpSink sink(dir.path());
  ASSERT_GT(sink.port(), 0);
  auto sender = SmtpSender::Create(LocalServer(sink.port(), 1));
  ASSERT_TRUE(sender.ok());
  SmtpSender& s = **sender;

  DeliveryOutcome unknown = s.Send(Mail("bounce-550@example.org", "x", 1));
  EXPECT_EQ(unknown.kind, DeliveryKind::kPermanentFailure);
  EXPECT_EQ(unknown.smtp_code, 550);
  EXPECT_EQ(unknown.enhanced_code, "5.1.1");
  EXPECT_EQ(unknown.server_text,
            "<bounce-550@example.org>: Recipient address rejected: User unknown");
  EXPECT_EQ(unknown.stage, "rcpt");
  EXPECT_EQ(unknown.bounce, BounceKind::kHard);

  DeliveryOutcome ok = s.Send(Mail("after-bounce@example.org", "x", 2));
  EXPECT_EQ(ok.kind, DeliveryKind::kAccepted)
      << ok.smtp_code << " " << ok.server_text << " " << ok.error;

  DeliveryOutcome full = s.Send(Mail("full-452@example.org", "x", 3));
  EXPECT_EQ(full.kind, DeliveryKind::kTransientFailure);
  EXPECT_EQ(full.smtp_code, 452);
  EXPECT_EQ(full.enhanced_code, "4.2.2");
  EXPECT_EQ(full.bounce, BounceKind::kSoft);

  DeliveryOutcome busy = s.Send(Mail("busy-451@example.org", "x", 4));
  EXPECT_EQ(busy.kind, DeliveryKind::kTransientFailure);
  EXPECT_EQ(busy.smtp_code, 451);
  EXPECT_EQ(busy.enhanced_code, "4.3.0");

  DeliveryOutcome spam = s.Send(Mail("spam-554@example.org", "x", 5));
  EXPECT_EQ(spam.kind, DeliveryKind::kPermanentFailure);
  EXPECT_EQ(spam.smtp_code, 554);
  EXPECT_EQ(spam.enhanced_code, "5.7.1");
  EXPECT_EQ(spam.stage, "data");
  EXPECT_EQ(spam.bounce, BounceKind::kSoft) << "a spam refusal says nothing about the address";

  DeliveryOutcome again = s.Send(Mail("last@example.org", "x", 6));
  EXPECT_EQ(again.kind, DeliveryKind::kAccepted)
      << again.smtp_code << " " << again.server_text << " " << again.error;
  ASSERT_EQ(sink.WaitForCount(2), 2);
  const auto stored = sink.Stored();
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_EQ(stored[0].envelope["rcpt_tos"][0], "after-bounce@example.org");
  EXPECT_EQ(stored[1].envelope["rcpt_tos"][0], "last@example.org");

  // Refused before connecting: an address that cannot be written on the wire.
  DeliveryOutcome local = s.Send({"", "a@example.org>\r\nRSET", "data", 0});
  EXPECT_EQ(local.kind, DeliveryKind::kPermanentFailure);
  EXPECT_EQ(local.stage, "local");
  EXPECT_EQ(local.smtp_code, 0);
}

int ClosedPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);  // nothing listens there now
  return ntohs(addr.sin_port);
}

TEST(Smtp, ConnectionFailuresAndTimeoutsAreTransient) {
  auto sender = SmtpSender::Create(LocalServer(ClosedPort(), 1));
  ASSERT_TRUE(sender.ok());
  DeliveryOutcome refused = (*sender)->Send(Mail("a@example.org", "x", 1));
  EXPECT_EQ(refused.kind, DeliveryKind::kTransientFailure);
  EXPECT_EQ(refused.smtp_code, 0);
  EXPECT_EQ(refused.stage, "connect");
  EXPECT_FALSE(refused.error.empty());
  EXPECT_EQ(refused.bounce, BounceKind::kNone);

  TempDir dir;
  SmtpSink sink(dir.path());
  SmtpServerConfig config = LocalServer(sink.port(), 1);
  config.timeout = std::chrono::milliseconds(700);
  auto slow_sender = SmtpSender::Create(config);
  ASSERT_TRUE(slow_sender.ok());
  DeliveryOutcome slow = (*slow_sender)->Send(Mail("slow-3000@example.org", "x", 2));
  EXPECT_EQ(slow.kind, DeliveryKind::kTransientFailure);
  EXPECT_NE(slow.error.find("timeout"), std::string::npos) << slow.error;
  EXPECT_LT(slow.elapsed, std::chrono::milliseconds(2500));
}

TEST(Smtp, RateLimitPacesMessages) {
  TempDir dir;
  SmtpSink sink(dir.path());
  SmtpServerConfig config = LocalServer(sink.port(), 4);
  config.max_messages_per_second = 25;
  config.rate_burst = 5;
  auto sender = SmtpSender::Create(config);
  ASSERT_TRUE(sender.ok());
  std::vector<OutgoingMail> mails;
  for (int i = 0; i < 30; ++i)
    mails.push_back(Mail("p" + std::to_string(i) + "@example.org", "x", i));
  auto start = std::chrono::steady_clock::now();
  auto outcomes = (*sender)->SendMany(mails);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (const auto& o : outcomes) EXPECT_TRUE(o.accepted()) << o.error;
  // 5 at once, then 25 more at 25/s: at least one second.
  EXPECT_GE(seconds, 0.95);
  EXPECT_LT(seconds, 10.0);
}

TEST(Smtp, StartTlsWhenOfferedAndRequiredWhenConfigured) {
  TempDir dir;
  auto gen =
      testing::Run({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout",
                    (dir.path() / "key.pem").string(), "-out", (dir.path() / "cert.pem").string()});
  ASSERT_EQ(gen.exit_code, 0) << gen.out;
  std::filesystem::create_directory(dir.path() / "tls");
  SmtpSink tls_sink(dir.path() / "tls",
                    {"--tls-cert", (dir.path() / "cert.pem").string(), "--tls-key",
                     (dir.path() / "key.pem").string(), "--require-tls"});
  ASSERT_GT(tls_sink.port(), 0);

  SmtpServerConfig config = LocalServer(tls_sink.port(), 1);
  config.tls = SmtpTls::kStartTlsIfOffered;
  config.ca_file = (dir.path() / "cert.pem").string();
  auto sender = SmtpSender::Create(config);
  ASSERT_TRUE(sender.ok());
  DeliveryOutcome o = (*sender)->Send(Mail("tls@example.org", "x", 1));
  EXPECT_EQ(o.kind, DeliveryKind::kAccepted)
      << o.smtp_code << " " << o.server_text << " " << o.error;
  ASSERT_EQ(tls_sink.WaitForCount(1), 1);
  EXPECT_EQ(tls_sink.Stored().at(0).envelope["tls"], true);

  // A certificate the client does not trust fails the session, transiently.
  config.ca_file.clear();
  auto untrusting = SmtpSender::Create(config);
  DeliveryOutcome untrusted = (*untrusting)->Send(Mail("tls@example.org", "x", 2));
  EXPECT_EQ(untrusted.kind, DeliveryKind::kTransientFailure);
  EXPECT_EQ(untrusted.bounce, BounceKind::kNone);

  // STARTTLS required, but the server does not offer it: nothing is sent in clear.
  std::filesystem::create_directory(dir.path() / "plain");
  SmtpSink plain_sink(dir.path() / "plain");
  SmtpServerConfig required = LocalServer(plain_sink.port(), 1);
  required.tls = SmtpTls::kStartTlsRequired;
  auto strict = SmtpSender::Create(required);
  DeliveryOutcome refused = (*strict)->Send(Mail("tls@example.org", "x", 3));
  EXPECT_EQ(refused.kind, DeliveryKind::kTransientFailure);
  EXPECT_EQ(refused.bounce, BounceKind::kNone);
  EXPECT_EQ(plain_sink.Count(), 0);
}

TEST(Smtp, AuthenticatesAfterStartTls) {
  TempDir dir;
  auto gen =
      testing::Run({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout",
                    (dir.path() / "key.pem").string(), "-out", (dir.path() / "cert.pem").string()});
  ASSERT_EQ(gen.exit_code, 0) << gen.out;
  std::filesystem::create_directory(dir.path() / "mail");
  SmtpSink sink(dir.path() / "mail",
                {"--tls-cert", (dir.path() / "cert.pem").string(), "--tls-key",
                 (dir.path() / "key.pem").string(), "--auth", "patron:s3cret pass"});
  ASSERT_GT(sink.port(), 0);
  SmtpServerConfig config = LocalServer(sink.port(), 1);
  config.tls = SmtpTls::kStartTlsRequired;
  config.ca_file = (dir.path() / "cert.pem").string();
  config.username = "patron";
  config.password = "s3cret pass";
  auto sender = SmtpSender::Create(config);
  ASSERT_TRUE(sender.ok());
  DeliveryOutcome o = (*sender)->Send(Mail("auth@example.org", "x", 1));
  EXPECT_EQ(o.kind, DeliveryKind::kAccepted)
      << o.smtp_code << " " << o.server_text << " " << o.error;
  ASSERT_EQ(sink.WaitForCount(1), 1);
  const nlohmann::json envelope = sink.Stored().at(0).envelope;
  EXPECT_EQ(envelope["auth_user"], "patron");
  EXPECT_EQ(envelope["tls"], true);

  // Wrong credentials: the session is refused, which says nothing about the recipient.
  config.password = "wrong";
  auto wrong = SmtpSender::Create(config);
  DeliveryOutcome refused = (*wrong)->Send(Mail("auth@example.org", "x", 2));
  EXPECT_EQ(refused.kind, DeliveryKind::kTransientFailure);
  EXPECT_EQ(refused.stage, "auth");
  EXPECT_EQ(refused.smtp_code, 535);
  EXPECT_EQ(refused.bounce, BounceKind::kNone);
  EXPECT_EQ(sink.Count(), 1);
}

TEST(Smtp, ConfigurationMistakesAreRefused) {
  SmtpServerConfig c = LocalServer(25);
  c.max_connections = 0;
  EXPECT_FALSE(SmtpSender::Create(c).ok());
  c = LocalServer(0);
  EXPECT_FALSE(SmtpSender::Create(c).ok());
  c = LocalServer(25);
  c.host = "smtp.example.com/evil";
  EXPECT_FALSE(SmtpSender::Create(c).ok());
  c = LocalServer(25);
  c.helo_name = "bad name";
  EXPECT_FALSE(SmtpSender::Create(c).ok());
}

TEST(Bounces, ClassifiedHardOrSoft) {
  struct Case {
    int code;
    const char* enhanced;
    const char* text;
    BounceKind expected;
  } cases[] = {
      {250, "2.0.0", "ok", BounceKind::kNone},
      {550, "5.1.1", "user unknown", BounceKind::kHard},
      {550, "5.1.2", "bad destination system", BounceKind::kHard},
      {550, "5.1.10", "null MX", BounceKind::kHard},
      {553, "5.1.3", "bad address syntax", BounceKind::kHard},
      {550, "5.2.1", "mailbox disabled", BounceKind::kHard},
      {550, "5.4.4", "unable to route", BounceKind::kHard},
      {452, "4.2.2", "mailbox full", BounceKind::kSoft},
      {552, "5.2.2", "mailbox full", BounceKind::kSoft},
      {552, "5.3.4", "message too big", BounceKind::kSoft},
      {550, "5.7.1", "message refused as spam", BounceKind::kSoft},
      {550, "5.7.1", "Recipient address rejected: user unknown", BounceKind::kHard},
      {550, "5.1.8", "sender domain does not resolve", BounceKind::kSoft},
      {421, "", "service not available", BounceKind::kSoft},
      {550, "", "Requested action not taken: mailbox unavailable", BounceKind::kHard},
      {550, "", "No such user here", BounceKind::kHard},
      {554, "", "transaction failed", BounceKind::kSoft},
      {550, "", "over quota", BounceKind::kSoft},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ClassifyBounce(c.code, c.enhanced, c.text), c.expected)
        << c.code << " " << c.enhanced << " " << c.text;
  }
}

TEST(Bounces, DeliveryStatusNotificationsAreParsed) {
  std::string dsn =
      "From: MAILER-DAEMON@mx.example.org\r\n"
      "To: bounces+7@shop.example.com\r\n"
      "Subject: Undelivered Mail Returned to Sender\r\n"
      "MIME-Version: 1.0\r\n"
      "Content-Type: multipart/report; report-type=delivery-status;\r\n"
      "\tboundary=\"B1\"\r\n"
      "\r\n"
      "--B1\r\n"
      "Content-Type: text/plain; charset=us-ascii\r\n"
      "\r\n"
      "I'm sorry to have to inform you that your message could not be delivered.\r\n"
      "\r\n"
      "--B1\r\n"
      "Content-Type: message/delivery-status\r\n"
      "\r\n"
      "Reporting-MTA: dns; mx.example.org\r\n"
      "Arrival-Date: Mon, 23 Nov 2026 10:00:00 +0000\r\n"
      "\r\n"
      "Final-Recipient: rfc822; sara@example.org\r\n"
      "Original-Recipient: rfc822;sara@example.org\r\n"
      "Action: failed\r\n"
      "Status: 5.1.1\r\n"
      "Diagnostic-Code: smtp; 550 5.1.1 <sara@example.org>: Recipient address\r\n"
      "    rejected: User unknown in virtual mailbox table\r\n"
      "\r\n"
      "Final-Recipient: rfc822; ali@example.org\r\n"
      "Action: delayed\r\n"
      "Status: 4.2.2\r\n"
      "Diagnostic-Code: smtp; 452 4.2.2 Mailbox full\r\n"
      "\r\n"
      "--B1\r\n"
      "Content-Type: text/rfc822-headers\r\n"
      "\r\n"
      "From: news@shop.example.com\r\n"
      "Message-ID: <0123abcd@shop.example.com>\r\n"
      "Subject: hello\r\n"
      "\r\n"
      "--B1--\r\n";
  auto parsed = ParseDsn(dsn);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  ASSERT_EQ(parsed->size(), 2u);
  const DsnRecipient& sara = (*parsed)[0];
  EXPECT_EQ(sara.recipient, "sara@example.org");
  EXPECT_EQ(sara.action, "failed");
  EXPECT_EQ(sara.status, "5.1.1");
  EXPECT_EQ(sara.diagnostic,
            "550 5.1.1 <sara@example.org>: Recipient address rejected: User unknown in virtual "
            "mailbox table");
  EXPECT_EQ(sara.original_message_id, "<0123abcd@shop.example.com>");
  EXPECT_EQ(sara.bounce, BounceKind::kHard);
  EXPECT_EQ((*parsed)[1].recipient, "ali@example.org");
  EXPECT_EQ((*parsed)[1].bounce, BounceKind::kSoft);

  EXPECT_FALSE(ParseDsn("Subject: hi\r\n\r\nan ordinary reply\r\n").ok());
}

}  // namespace
}  // namespace patron::deliver

namespace patron::deliver {
namespace {

TEST(SmtpUrl, ParsedWithDefaultsAndPreciseErrors) {
  auto c = ParseSmtpUrl(
      "smtp://mailer:p%40ss@smtp.example.com:587?tls=required&rate=50&connections=8&timeout=10");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->host, "smtp.example.com");
  EXPECT_EQ(c->port, 587);
  EXPECT_EQ(c->username, "mailer");
  EXPECT_EQ(c->password, "p@ss");
  EXPECT_EQ(c->tls, SmtpTls::kStartTlsRequired);
  EXPECT_EQ(c->max_messages_per_second, 50);
  EXPECT_EQ(c->max_connections, 8);
  EXPECT_EQ(c->timeout, std::chrono::milliseconds(10000));

  auto plain = ParseSmtpUrl("smtp://127.0.0.1:2525?tls=none");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->tls, SmtpTls::kNone);
  EXPECT_TRUE(plain->username.empty());
  auto smtps = ParseSmtpUrl("smtps://[::1]");
  ASSERT_TRUE(smtps.ok());
  EXPECT_EQ(smtps->host, "::1");
  EXPECT_EQ(smtps->port, 465);
  EXPECT_EQ(smtps->tls, SmtpTls::kImplicit);
  auto defaults = ParseSmtpUrl("smtp://relay.example.com");
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->port, 25);
  EXPECT_EQ(defaults->tls, SmtpTls::kStartTlsIfOffered);

  for (const char* bad :
       {"http://x", "smtp://", "smtp://h:0", "smtp://h:99999", "smtp://h:25?tls=maybe",
        "smtp://h?rate=fast", "smtp://h?colour=blue", "smtp://h/path"}) {
    auto r = ParseSmtpUrl(bad);
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_NE(ParseSmtpUrl("smtp://h?colour=blue").status().message().find("'colour'"),
            std::string::npos);
}

TEST(Smtp, CallerMessageIdIsWrittenAsGiven) {
  EmailMessage m;
  m.from = {"news@shop.example.com", ""};
  m.to = {"a@example.org", ""};
  m.subject = "x";
  m.text_body = "y";
  ComposeOptions options;
  options.message_id = "c42.p7.a1@shop.example.com";
  auto c = ComposeEmail(m, options);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->message_id, "<c42.p7.a1@shop.example.com>");
  EXPECT_NE(c->data.find("\r\nMessage-ID: <c42.p7.a1@shop.example.com>\r\n"), std::string::npos);
  options.message_id = "<bad id@x>";
  EXPECT_FALSE(ComposeEmail(m, options).ok());
  options.message_id = "no-at-sign";
  EXPECT_FALSE(ComposeEmail(m, options).ok());
}

}  // namespace
}  // namespace patron::deliver
