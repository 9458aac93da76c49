// Transports: where each channel's messages go — SMTP (src/deliver, with
// optional DKIM), an HTTP SMS gateway, or a CSV file for call and mail lists.
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "campaign/campaign.h"
#include "campaign/campaign_internal.h"
#include "deliver/deliver.h"
#include "store/store.h"

namespace patron::campaign {

namespace {

std::string FromEnvironment(const std::string& given, const char* variable) {
  if (!given.empty()) return given;
  const char* v = std::getenv(variable);
  return v ? std::string(v) : std::string();
}

Result<std::string> ReadWholeFile(const std::string& path, std::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return IoError("cannot read the " + std::string(what) + " '" + path + "'");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string SmtpError(const deliver::DeliveryOutcome& o) {
  std::string e;
  if (o.smtp_code) e = std::to_string(o.smtp_code);
  if (!o.enhanced_code.empty()) e += (e.empty() ? "" : " ") + o.enhanced_code;
  if (!o.server_text.empty()) e += (e.empty() ? "" : " ") + o.server_text;
  if (!o.error.empty()) e += (e.empty() ? "" : "; ") + o.error;
  if (!o.stage.empty()) e += " (at " + o.stage + ")";
  return std::string(Utf8Prefix(e, 500));
}

DeliveryResult::Kind KindOf(deliver::DeliveryKind k) {
  switch (k) {
    case deliver::DeliveryKind::kAccepted: return DeliveryResult::Kind::kAccepted;
    case deliver::DeliveryKind::kTransientFailure: return DeliveryResult::Kind::kTransient;
    case deliver::DeliveryKind::kPermanentFailure: return DeliveryResult::Kind::kPermanent;
  }
  return DeliveryResult::Kind::kTransient;
}

class SmtpTransport final : public Transport {
 public:
  SmtpTransport(std::unique_ptr<deliver::SmtpSender> sender, std::optional<deliver::DkimSigner> dkim, int connections)
      : sender_(std::move(sender)), dkim_(std::move(dkim)), connections_(connections) {}

  DeliveryResult Send(const OutboundMessage& m) override {
    const Campaign& c = *m.campaign;
    deliver::EmailMessage e;
    e.from = {c.from_address, c.from_name};
    e.to = {m.address, ""};
    if (!c.reply_to.empty()) e.reply_to = deliver::Mailbox{c.reply_to, ""};
    e.subject = m.content.subject;
    e.text_body = m.content.text;
    e.html_body = m.content.html;
    e.extra_headers = {{"X-Patron-Campaign", std::to_string(c.id)}};
    if (m.unsubscribe_url.rfind("https://", 0) == 0) e.list_unsubscribe_url = m.unsubscribe_url;
    else if (!m.unsubscribe_url.empty()) e.extra_headers.push_back({"X-Patron-Unsubscribe", m.unsubscribe_url});
    deliver::ComposeOptions options;
    options.message_id = m.message_id;
    options.dkim = dkim_ ? &*dkim_ : nullptr;
    auto composed = deliver::ComposeEmail(e, options);
    if (!composed.ok()) return {DeliveryResult::Kind::kPermanent, "", composed.status().message(), false};
    deliver::OutgoingMail mail{c.from_address, m.address, std::move(composed->data), static_cast<uint64_t>(m.customer_id)};
    deliver::DeliveryOutcome o = sender_->Send(mail);
    DeliveryResult r;
    r.kind = KindOf(o.kind);
    if (!o.accepted()) r.error = SmtpError(o);
    r.hard_bounce = o.kind == deliver::DeliveryKind::kPermanentFailure && o.bounce == deliver::BounceKind::kHard;
    return r;
  }
  int concurrency() const override { return connections_; }

 private:
  std::unique_ptr<deliver::SmtpSender> sender_;
  std::optional<deliver::DkimSigner> dkim_;
  int connections_;
};

class SmsTransport final : public Transport {
 public:
  SmsTransport(std::unique_ptr<deliver::SmsGateway> gateway, int connections)
      : gateway_(std::move(gateway)), connections_(connections) {}
  DeliveryResult Send(const OutboundMessage& m) override {
    // The reference comes back in delivery receipts: campaign.customer.
    std::string reference = std::to_string(m.campaign->id) + "." + std::to_string(m.customer_id);
    deliver::SmsOutcome o = gateway_->Send(m.address, m.content.text, reference);
    DeliveryResult r;
    r.kind = KindOf(o.kind);
    r.provider_id = o.provider_id;
    if (!o.accepted())
      r.error = Utf8Prefix("HTTP " + std::to_string(o.http_status) + ": " + o.error, 500);
    return r;
  }
  int concurrency() const override { return connections_; }

 private:
  std::unique_ptr<deliver::SmsGateway> gateway_;
  int connections_;
};

// Posts each message as one JSON document (docs/campaigns.md, "Webhooks"); the
// Idempotency-Key is the message's stable id, so a resend after a crash is recognisable.
class WebhookTransport final : public Transport {
 public:
  explicit WebhookTransport(std::unique_ptr<deliver::WebhookSender> sender, int connections)
      : sender_(std::move(sender)), connections_(connections) {}
  DeliveryResult Send(const OutboundMessage& m) override {
    const Campaign& c = *m.campaign;
    nlohmann::json body = {{"type", "campaign_message"},
                           {"campaign", {{"id", c.id}, {"name", c.name}, {"purpose", c.purpose}}},
                           {"message_id", m.message_id},
                           {"customer_id", m.customer_id},
                           {"variant", m.content.variant},
                           {"language", m.content.language},
                           {"dir", m.content.dir},
                           {"subject", m.content.subject},
                           {"text", m.content.text},
                           {"html", m.content.html},
                           {"coupon", m.coupon},
                           {"unsubscribe_url", m.unsubscribe_url}};
    auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch());
    deliver::HttpOutcome o = sender_->Post(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                                           m.message_id, now.count());
    DeliveryResult r;
    r.kind = KindOf(o.kind);
    if (!o.accepted()) r.error = Utf8Prefix(o.http_status ? o.error : "no answer: " + o.error, 500);
    return r;
  }
  int concurrency() const override { return connections_; }

 private:
  std::unique_ptr<deliver::WebhookSender> sender_;
  int connections_;
};

// {"algorithm": "rsa-sha256" | "ed25519-sha256", "domain", "selector", "private_key_file"}
Result<std::optional<deliver::DkimSigner>> LoadDkim(const std::string& path) {
  if (path.empty()) return std::optional<deliver::DkimSigner>();
  ASSIGN_OR_RETURN(std::string text, ReadWholeFile(path, "DKIM configuration"));
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return InvalidArgument(path + ": the DKIM configuration is not a JSON object");
  deliver::DkimKey key;
  std::string algorithm = j.value("algorithm", "rsa-sha256");
  if (algorithm == "ed25519-sha256") key.algorithm = deliver::DkimAlgorithm::kEd25519Sha256;
  else if (algorithm != "rsa-sha256") return InvalidArgument(path + ": algorithm is rsa-sha256 or ed25519-sha256");
  key.domain = j.value("domain", "");
  key.selector = j.value("selector", "");
  ASSIGN_OR_RETURN(key.private_key, ReadWholeFile(j.value("private_key_file", ""), "DKIM private key"));
  auto signer = deliver::DkimSigner::Create(key);
  if (!signer.ok()) return signer.status().WithContext(path);
  return std::optional<deliver::DkimSigner>(std::move(*signer));
}

}  // namespace

Result<std::unique_ptr<Transport>> MakeTransport(Database& db, const Campaign& c, const TransportConfig& config) {
  switch (c.channel) {
    case Channel::kCallList:
    case Channel::kMailList: {
      if (config.list_path.empty())
        return InvalidArgument("a " + std::string(ChannelName(c.channel)) + " campaign writes a CSV file: give --out FILE");
      auto t = MakeCsvListTransport(db, config.list_path);
      if (!t) return IoError("cannot write '" + config.list_path + "'");
      return t;
    }
    case Channel::kEmail: {
      std::string url = FromEnvironment(config.smtp_url, "PATRON_SMTP_URL");
      if (url.empty())
        return FailedPrecondition("an email campaign needs an SMTP server: --smtp smtp://host:port (or PATRON_SMTP_URL, "
                                  "or smtp_url in the server's configuration)");
      auto smtp = deliver::ParseSmtpUrl(url);
      if (!smtp.ok()) return smtp.status().WithContext("smtp_url");
      ASSIGN_OR_RETURN(auto dkim, LoadDkim(FromEnvironment(config.dkim_file, "PATRON_DKIM")));
      ASSIGN_OR_RETURN(auto sender, deliver::SmtpSender::Create(*smtp));
      int connections = smtp->max_connections;
      return std::unique_ptr<Transport>(std::make_unique<SmtpTransport>(std::move(sender), std::move(dkim), connections));
    }
    case Channel::kSms: {
      std::string path = FromEnvironment(config.sms_gateway_file, "PATRON_SMS_GATEWAY");
      if (path.empty())
        return FailedPrecondition("an SMS campaign needs a gateway: --sms-gateway FILE (or PATRON_SMS_GATEWAY, or "
                                  "sms_gateway in the server's configuration; docs/operations.md)");
      ASSIGN_OR_RETURN(std::string text, ReadWholeFile(path, "SMS gateway configuration"));
      auto description = deliver::ParseSmsGatewayJson(text);
      if (!description.ok()) return description.status().WithContext(path);
      ASSIGN_OR_RETURN(auto gateway, deliver::SmsGateway::Create(description->gateway));
      int connections = description->gateway.max_connections;
      return std::unique_ptr<Transport>(std::make_unique<SmsTransport>(std::move(gateway), connections));
    }
    case Channel::kWebhook: {
      deliver::WebhookConfig webhook;
      webhook.url = c.webhook_url;
      webhook.secret = FromEnvironment(config.webhook_secret, "PATRON_WEBHOOK_SECRET");
      webhook.max_connections = 8;
      auto sender = deliver::WebhookSender::Create(webhook);
      if (!sender.ok()) return sender.status().WithContext("webhook_url");
      return std::unique_ptr<Transport>(std::make_unique<WebhookTransport>(std::move(*sender), webhook.max_connections));
    }
  }
  return InvalidArgument("unknown channel");
}

Status RecordSmsReceipt(Database& db, const std::string& gateway_file, std::string_view body, const Clock& clock) {
  ASSIGN_OR_RETURN(std::string text, ReadWholeFile(gateway_file, "SMS gateway configuration"));
  auto description = deliver::ParseSmsGatewayJson(text);
  if (!description.ok()) return description.status().WithContext(gateway_file);
  auto receipt = deliver::ParseDeliveryReceipt(description->receipt, body);
  if (!receipt.ok()) return receipt.status();
  if (receipt->status == deliver::SmsReceiptStatus::kPending) return Status::Ok();
  // Our reference is "campaign.customer" (SmsTransport). A provider that does
  // not echo it (Twilio's status callbacks) names the message by its own id,
  // which the outbox kept when the gateway accepted the message (a
  // campaign's send or a journey's).
  int64_t campaign_id = 0, customer_id = 0, contact_point_id = 0;
  const std::string& ref = receipt->reference;
  if (!ref.empty()) {
    auto dot = ref.find('.');
    try {
      if (dot == std::string::npos) throw std::invalid_argument("no dot");
      campaign_id = std::stoll(ref.substr(0, dot));
      customer_id = std::stoll(ref.substr(dot + 1));
    } catch (...) {
      return NotFound("receipt reference \"" + std::string(Utf8Prefix(ref, 60)) +
                      "\" is not one Patron sent");
    }
    Statement& row = db.Query("campaign-outbox-row");
    row.Bind(":campaign_id", campaign_id).Bind(":customer_id", customer_id);
    ASSIGN_OR_RETURN(bool found, row.Step());
    if (found) contact_point_id = row.OptionalInt(7).value_or(0);
    row.Reset();
    if (!found) return NotFound("receipt for a message no campaign sent");
  } else {
    Statement& by_id = db.Query("campaign-outbox-by-provider-id");
    by_id.Bind(":provider_id", receipt->provider_id);
    ASSIGN_OR_RETURN(bool found, by_id.Step());
    if (found) {
      campaign_id = by_id.Int(0);
      customer_id = by_id.Int(1);
      contact_point_id = by_id.OptionalInt(2).value_or(0);
    }
    by_id.Reset();
    if (!found)
      return NotFound("receipt for message id \"" +
                      std::string(Utf8Prefix(receipt->provider_id, 60)) +
                      "\", which no campaign sent");
  }
  if (receipt->status == deliver::SmsReceiptStatus::kDelivered) {
    RETURN_IF_ERROR(RecordResponse(db, campaign_id, customer_id, "delivered", clock));
    // A delivered message proves the number in service on that day: a dated
    // verification, which freshness and the decay estimate count. Receipts
    // report failures too (below), so these are not a sample of only the
    // good numbers. At most once a day per number.
    if (contact_point_id == 0) return Status::Ok();
    return db.Query("campaign-contact-point-delivered")
        .Bind(":id", contact_point_id)
        .Bind(":now", clock.Now().micros)
        .Run();
  }
  ASSIGN_OR_RETURN(Campaign c, LoadCampaign(db, std::to_string(campaign_id)));
  ASSIGN_OR_RETURN(int64_t source_id, CampaignSourceId(db, clock));
  // A number that is gone (no longer in service) bounces like a mailbox that
  // does not exist: later sends skip it. Any other failure is this message's.
  const bool gone = receipt->number_gone;
  const Instant now = clock.Now();
  RETURN_IF_ERROR(db.Begin());
  Statement& q = db.Query("campaign-outbox-final");
  std::string reason(
      Utf8Prefix("receipt: " + receipt->provider_status + " " + receipt->reason, 300));
  q.Bind(":campaign_id", campaign_id)
      .Bind(":customer_id", customer_id)
      .Bind(":status", gone ? "bounced" : "failed")
      .Bind(":error", reason)
      .BindNull(":reason");
  Status st = q.Run();
  if (st.ok() && db.changes() == 0) st = NotFound("receipt for a message no campaign sent");
  if (st.ok() && gone && contact_point_id != 0) {
    st = db.Query("campaign-contact-point-bounced")
             .Bind(":id", contact_point_id)
             .Bind(":reason", "the number is not in service (SMS receipt " +
                                  std::string(Utf8Prefix(receipt->reason, 40)) + ")")
             .Bind(":now", now.micros)
             .Run();
  }
  if (st.ok()) {
    nlohmann::json props = {{"campaign", c.name},
                            {"campaign_id", c.id},
                            {"channel", "sms"},
                            {"hard", gone},
                            {"reason", reason}};
    st = AppendEvent(db, source_id, customer_id, "message_bounced",
                     "smsfail:" + std::to_string(campaign_id) + ":" + std::to_string(customer_id),
                     props.dump(), now);
  }
  if (!st.ok()) {
    (void)db.Rollback();
    return st;
  }
  return db.Commit();
}

Result<std::string> SmsReceiptPath(Database& db) {
  ASSIGN_OR_RETURN(std::string secret, LinkSecret(db));
  return "/hooks/sms/" + SignLink({0, 0, "r", ""}, secret);
}

}  // namespace patron::campaign
