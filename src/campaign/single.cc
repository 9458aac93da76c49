// One message to one customer under the campaign rules: what journeys send.
// The checks are those SendDue makes at the moment of sending, plus the
// contact point choice and the tag rules the plan makes for a whole audience.
#include <nlohmann/json.hpp>

#include "campaign/campaign.h"
#include "campaign/campaign_internal.h"
#include "store/store.h"

namespace patron::campaign {

using nlohmann::json;

namespace {

constexpr int64_t kDayMicros = 86'400'000'000;

int ContactRank(std::string_view status) {
  if (status == "verified") return 3;
  if (status == "unverified") return 2;
  if (status == "bounced") return 1;
  return 0;
}

// "<j3.e17.thanks.SEED@domain>": stable for one message key.
std::string SingleMessageId(const Campaign& c, std::string_view key) {
  std::string domain = "patron.local";
  if (auto at = c.from_address.rfind('@'); at != std::string::npos) domain = c.from_address.substr(at + 1);
  std::string safe;
  for (char ch : key) safe.push_back(std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '-' ? ch : '-');
  char buf[32];
  std::snprintf(buf, sizeof buf, "%llx", static_cast<unsigned long long>(c.seed & 0xffffffffffLL));
  return "<" + safe + "." + buf + "@" + domain + ">";
}

Result<bool> Exists(Statement& q) {
  auto r = q.Step();
  q.Reset();
  return r;
}

}  // namespace

Result<SingleMessage> PrepareOne(Database& db, const Campaign& c, int64_t customer_id, std::string_view message_key,
                                 const Clock& clock, const LinkOptions& links) {
  const Instant now = clock.Now();
  ASSIGN_OR_RETURN(Policy policy, LoadPolicy(db));
  SingleMessage m;
  auto suppress = [&](std::string_view reason) {
    m.outcome = SingleMessage::Outcome::kSuppressed;
    m.reason = std::string(reason);
    return m;
  };
  const std::string consent_channel(ConsentChannel(c.channel));
  {
    Statement& q = db.Query("campaign-check-consent");
    q.Bind(":customer_id", customer_id).Bind(":channel", consent_channel).Bind(":purpose", c.purpose);
    ASSIGN_OR_RETURN(bool has, q.Step());
    std::string consent = has ? q.String(0) : std::string();
    q.Reset();
    if (consent != "granted") return suppress(consent == "withdrawn" ? "unsubscribed" : "no_consent");
  }
  std::string address;
  if (c.channel != Channel::kWebhook) {
    // The best contact point, as the plan chooses it: verified > unverified > bounced > invalid, then the freshest.
    std::string kind = c.channel == Channel::kEmail ? "email" : c.channel == Channel::kMailList ? "address" : "phone";
    Statement& q = db.Query("campaign-single-contact-points");
    q.Bind(":customer_id", customer_id).Bind(":kind", kind);
    int best_rank = -1;
    int64_t best_fresh = 0;
    std::string best_status;
    while (true) {
      auto r = q.Step();
      if (!r.ok()) {
        q.Reset();
        return r.status();
      }
      if (!*r) break;
      if (c.channel == Channel::kSms) {
        std::string_view type = q.Text(4);
        if (type != "mobile" && type != "fixed_line_or_mobile" && type != "") continue;
      }
      std::string status = q.String(2);
      int rank = ContactRank(status);
      int64_t fresh = q.Int(3);
      if (rank > best_rank || (rank == best_rank && fresh > best_fresh)) {
        best_rank = rank;
        best_fresh = fresh;
        best_status = std::move(status);
        m.contact_point_id = q.Int(0);
        address = q.String(1);
      }
    }
    q.Reset();
    if (best_rank < 0) return suppress("no_contact_point");
    if (best_status == "invalid") return suppress("invalid_contact_point");
    if (best_status == "bounced") return suppress("bounced");
    if (policy.require_verified && best_status != "verified") return suppress("unverified");
    if (best_fresh < now.micros - int64_t{policy.stale_days} * kDayMicros) return suppress("stale_contact_point");
    Statement& rq = db.Query("campaign-check-register");
    rq.Bind(":channel", consent_channel).Bind(":value", address);
    ASSIGN_OR_RETURN(bool listed, Exists(rq));
    if (listed) return suppress("opt_out_register");
  }
  if (auto cap = policy.caps.find(consent_channel); cap != policy.caps.end()) {
    Statement& q = db.Query("campaign-check-recent-messages");
    q.Bind(":customer_id", customer_id).Bind(":since", now.micros - int64_t{cap->second.days} * kDayMicros)
        .Bind(":channel", consent_channel);
    ASSIGN_OR_RETURN(bool r, q.Step());
    int64_t n = r ? q.Int(0) : 0;
    q.Reset();
    if (n >= cap->second.max_messages) return suppress("frequency_cap");
  }
  for (auto [tag, reason] : {std::pair{&policy.key_account_tag, "key_account"},
                             std::pair{&policy.collections_tag, "in_collections"}}) {
    if (tag->empty()) continue;
    Statement& q = db.Query("campaign-single-tagged");
    q.Bind(":customer_id", customer_id).Bind(":tag", *tag);
    ASSIGN_OR_RETURN(bool tagged, Exists(q));
    if (tagged) return suppress(reason);
  }
  ASSIGN_OR_RETURN(RenderData data, LoadRenderData(db, customer_id));
  if (c.channel == Channel::kEmail || c.channel == Channel::kSms || c.channel == Channel::kWebhook) {
    const std::string& country = data.country;
    const std::string& tz = data.time_zone;
    Instant allowed = NextAllowedTime(now, ZoneFor(tz, country, policy), country, policy);
    if (allowed != now) {
      m.outcome = SingleMessage::Outcome::kDeferred;
      m.defer_until = allowed;
      return m;
    }
  }
  m.message.campaign = &c;
  m.message.customer_id = customer_id;
  m.message.address = address;
  m.message.coupon = CouponCode(c.seed, c.id, customer_id);
  m.message.message_id = SingleMessageId(c, message_key);
  {
    // The variant the campaign's outbox row assigned, if any (as RenderFor chooses).
    std::string variant;
    Statement& r = db.Query("campaign-outbox-row");
    r.Bind(":campaign_id", c.id).Bind(":customer_id", customer_id);
    ASSIGN_OR_RETURN(bool has, r.Step());
    if (has && !r.IsNull(6)) variant = r.String(6);
    r.Reset();
    MessageRenderer renderer(c);
    ASSIGN_OR_RETURN(m.message.content, renderer.Render(data, variant, links));
  }
  if (!links.base_url.empty())
    m.message.unsubscribe_url = links.base_url + "/u/" + SignLink({c.id, customer_id, "u", ""}, links.secret);
  if (c.channel == Channel::kCallList || c.channel == Channel::kMailList) {
    m.message.summary = SummaryOf(data);
  }
  return m;
}

Status ClaimOne(Database& db, const Campaign& c, const SingleMessage& m, const Clock& clock) {
  Statement& q = db.Query("campaign-single-claim");
  q.Bind(":campaign_id", c.id).Bind(":customer_id", m.message.customer_id)
      .Bind(":variant", m.message.content.variant).Bind(":language", m.message.content.language)
      .BindOptional(":address", std::string_view(m.message.address))
      .BindOptional(":contact_point_id", m.contact_point_id ? std::optional<int64_t>(m.contact_point_id) : std::nullopt)
      .Bind(":coupon", m.message.coupon).Bind(":now", clock.Now().micros).Bind(":message_id", m.message.message_id);
  return q.Run();
}

Status RecordOne(Database& db, const Campaign& c, const SingleMessage& m, const DeliveryResult& result,
                 std::string_view message_key, std::string_view origin_json, const Clock& clock) {
  const Instant now = clock.Now();
  ASSIGN_OR_RETURN(int64_t source_id, CampaignSourceId(db, clock));
  const std::string consent_channel(ConsentChannel(c.channel));
  const int64_t customer_id = m.message.customer_id;
  const bool accepted = result.kind == DeliveryResult::Kind::kAccepted;
  const bool hard = result.kind == DeliveryResult::Kind::kPermanent && result.hard_bounce;
  Statement& q = db.Query("campaign-single-outcome");
  q.Bind(":status", accepted ? "sent"
                    : hard   ? "bounced"
                             : "failed")
      .Bind(":now", now.micros)
      .BindOptional(":error", std::string_view(result.error))
      .Bind(":campaign_id", c.id)
      .Bind(":customer_id", customer_id)
      .Bind(":message_id", m.message.message_id)
      .BindOptional(":provider_id", std::string_view(result.provider_id));
  RETURN_IF_ERROR(q.Run());
  json origin = json::object();
  if (!origin_json.empty()) origin = json::parse(origin_json, nullptr, false);
  if (!origin.is_object()) origin = json::object();
  if (accepted) {
    json props = {{"campaign", c.name}, {"campaign_id", c.id}, {"channel", consent_channel},
                  {"kind", c.purpose == "marketing" ? "promo" : c.purpose}, {"variant", m.message.content.variant}};
    props.update(origin);
    return AppendEvent(db, source_id, customer_id, "message_sent", "single:" + std::string(message_key), props.dump(), now);
  }
  if (hard) {
    if (m.contact_point_id) {
      Statement& b = db.Query("campaign-contact-point-bounced");
      b.Bind(":id", m.contact_point_id)
          .Bind(":reason", std::string(Utf8Prefix(result.error, 200)))
          .Bind(":now", now.micros);
      RETURN_IF_ERROR(b.Run());
    }
    json props = {{"campaign", c.name}, {"campaign_id", c.id}, {"channel", consent_channel}, {"hard", true}};
    props.update(origin);
    return AppendEvent(db, source_id, customer_id, "message_bounced", "single-bounce:" + std::string(message_key),
                       props.dump(), now);
  }
  return Status::Ok();
}

Result<SingleSendResult> SendOne(Database& db, const Campaign& c, int64_t customer_id, std::string_view message_key,
                                 Transport& transport, const Clock& clock, const LinkOptions& links) {
  ASSIGN_OR_RETURN(SingleMessage m, PrepareOne(db, c, customer_id, message_key, clock, links));
  SingleSendResult out;
  out.outcome = m.outcome;
  out.reason = m.reason;
  out.defer_until = m.defer_until;
  if (m.outcome != SingleMessage::Outcome::kSend) return out;
  out.message_id = m.message.message_id;
  RETURN_IF_ERROR(ClaimOne(db, c, m, clock));
  try {
    out.delivery = transport.Send(m.message);
  } catch (const std::exception& e) {
    out.delivery = DeliveryResult{DeliveryResult::Kind::kTransient, "", std::string("transport error: ") + e.what(), false};
  }
  RETURN_IF_ERROR(db.Begin());
  Status st = RecordOne(db, c, m, out.delivery, message_key, {}, clock);
  if (!st.ok()) {
    (void)db.Rollback();
    return st;
  }
  RETURN_IF_ERROR(db.Commit());
  return out;
}

}  // namespace patron::campaign
