// Campaign model: names, the JSON form, storing and loading.
#include "campaign/campaign.h"

#include <sodium.h>

#include <cmath>
#include <set>
#include <nlohmann/json.hpp>

#include "campaign/campaign_internal.h"
#include "ingest/ingest.h"
#include "segment/segment.h"
#include "store/store.h"

namespace patron::campaign {

using nlohmann::json;
using nlohmann::ordered_json;

namespace {

constexpr std::string_view kChannelNames[] = {"email", "sms", "call_list", "mail_list", "webhook"};
constexpr std::string_view kScheduleNames[] = {"now", "at", "local_time", "best_hour"};

Result<ScheduleKind> ParseSchedule(std::string_view s) {
  for (size_t i = 0; i < std::size(kScheduleNames); ++i)
    if (kScheduleNames[i] == s) return static_cast<ScheduleKind>(i);
  return InvalidArgument("schedule.kind: unknown schedule \"" + std::string(s) +
                         "\" (expected now, at, local_time or best_hour)");
}

// Money in the JSON form is in major units ("budget": 1500.50).
Result<int64_t> MinorFromJson(const json& v, std::string_view field, const std::string& currency) {
  if (!v.is_number()) return InvalidArgument(std::string(field) + ": expected a number");
  double major = v.get<double>();
  if (!std::isfinite(major) || major < 0) return InvalidArgument(std::string(field) + ": must be zero or more");
  int digits = CurrencyMinorDigits(currency.empty() ? "EUR" : currency);
  return static_cast<int64_t>(std::llround(major * std::pow(10.0, digits)));
}

double MajorFromMinor(int64_t minor, const std::string& currency) {
  return static_cast<double>(minor) / std::pow(10.0, CurrencyMinorDigits(currency.empty() ? "EUR" : currency));
}

Result<std::string> OptionalText(const json& o, const char* key) {
  auto it = o.find(key);
  if (it == o.end() || it->is_null()) return std::string();
  if (!it->is_string()) return InvalidArgument(std::string(key) + ": expected a string");
  return it->get<std::string>();
}

std::string MinuteText(int minute) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%02d:%02d", minute / 60, minute % 60);
  return buf;
}

}  // namespace

std::string_view ChannelName(Channel c) { return kChannelNames[static_cast<int>(c)]; }

Result<Channel> ParseChannel(std::string_view name) {
  for (size_t i = 0; i < std::size(kChannelNames); ++i)
    if (kChannelNames[i] == name) return static_cast<Channel>(i);
  return InvalidArgument("channel: unknown channel \"" + std::string(name) +
                         "\" (expected email, sms, call_list, mail_list or webhook)");
}

std::string_view ConsentChannel(Channel c) {
  switch (c) {
    case Channel::kEmail: return "email";
    case Channel::kSms: return "sms";
    case Channel::kCallList: return "phone";
    case Channel::kMailList: return "mail";
    case Channel::kWebhook: return "push";
  }
  return "email";
}

Result<int> ParseMinuteOfDay(std::string_view hhmm, std::string_view field) {
  int h = 0, m = 0;
  char tail = 0;
  std::string s(hhmm);
  if (std::sscanf(s.c_str(), "%d:%d%c", &h, &m, &tail) != 2 || h < 0 || h > 23 || m < 0 || m > 59)
    return InvalidArgument(std::string(field) + ": expected a time of day HH:MM, got \"" + s + "\"");
  return h * 60 + m;
}

Result<CampaignSpec> SpecFromJson(std::string_view text) {
  json o = json::parse(text, nullptr, false);
  if (o.is_discarded()) return InvalidArgument("the campaign is not valid JSON");
  if (!o.is_object()) return InvalidArgument("the campaign must be a JSON object");
  static const std::set<std::string> known = {
      "name", "channel", "purpose", "audience", "holdout_percent", "schedule", "budget", "cost_per_message",
      "currency", "goal", "offer_product", "team", "from_name", "from_address", "reply_to", "webhook_url", "contents"};
  for (auto& [k, _] : o.items())
    if (!known.count(k)) return InvalidArgument("unknown field \"" + k + "\"");
  CampaignSpec s;
  ASSIGN_OR_RETURN(s.name, OptionalText(o, "name"));
  ASSIGN_OR_RETURN(std::string channel, OptionalText(o, "channel"));
  if (channel.empty()) channel = "email";
  ASSIGN_OR_RETURN(s.channel, ParseChannel(channel));
  ASSIGN_OR_RETURN(s.purpose, OptionalText(o, "purpose"));
  if (s.purpose.empty()) s.purpose = "marketing";
  ASSIGN_OR_RETURN(s.audience, OptionalText(o, "audience"));
  ASSIGN_OR_RETURN(s.currency, OptionalText(o, "currency"));
  if (o.contains("holdout_percent")) {
    if (!o["holdout_percent"].is_number()) return InvalidArgument("holdout_percent: expected a number");
    s.holdout_percent = o["holdout_percent"].get<double>();
  }
  if (o.contains("schedule") && !o["schedule"].is_null()) {
    const json& sch = o["schedule"];
    if (!sch.is_object()) return InvalidArgument("schedule: expected an object");
    ASSIGN_OR_RETURN(std::string kind, OptionalText(sch, "kind"));
    ASSIGN_OR_RETURN(s.schedule, ParseSchedule(kind.empty() ? "now" : kind));
    ASSIGN_OR_RETURN(std::string at, OptionalText(sch, "at"));
    if (!at.empty()) {
      auto when = ParseInstant(at);
      if (!when.ok()) return InvalidArgument("schedule.at: " + when.status().message());
      s.scheduled_at = *when;
    }
    ASSIGN_OR_RETURN(std::string local, OptionalText(sch, "local_time"));
    if (!local.empty()) {
      ASSIGN_OR_RETURN(s.local_minute, ParseMinuteOfDay(local, "schedule.local_time"));
    }
  }
  if (o.contains("budget") && !o["budget"].is_null()) {
    ASSIGN_OR_RETURN(int64_t b, MinorFromJson(o["budget"], "budget", s.currency));
    s.budget_minor = b;
  }
  if (o.contains("cost_per_message")) {
    ASSIGN_OR_RETURN(s.cost_per_message_minor, MinorFromJson(o["cost_per_message"], "cost_per_message", s.currency));
  }
  if (o.contains("goal") && !o["goal"].is_null()) {
    const json& g = o["goal"];
    if (!g.is_object()) return InvalidArgument("goal: expected an object");
    Goal goal;
    ASSIGN_OR_RETURN(goal.category, OptionalText(g, "category"));
    if (g.contains("within_days")) {
      if (!g["within_days"].is_number_integer()) return InvalidArgument("goal.within_days: expected a whole number");
      goal.within_days = g["within_days"].get<int>();
    }
    s.goal = goal;
  }
  ASSIGN_OR_RETURN(s.offer_product, OptionalText(o, "offer_product"));
  ASSIGN_OR_RETURN(s.team, OptionalText(o, "team"));
  ASSIGN_OR_RETURN(s.from_name, OptionalText(o, "from_name"));
  ASSIGN_OR_RETURN(s.from_address, OptionalText(o, "from_address"));
  ASSIGN_OR_RETURN(s.reply_to, OptionalText(o, "reply_to"));
  ASSIGN_OR_RETURN(s.webhook_url, OptionalText(o, "webhook_url"));
  if (o.contains("contents")) {
    if (!o["contents"].is_array()) return InvalidArgument("contents: expected an array");
    size_t i = 0;
    for (const json& c : o["contents"]) {
      std::string where = "contents[" + std::to_string(i++) + "]";
      if (!c.is_object()) return InvalidArgument(where + ": expected an object");
      Content content;
      ASSIGN_OR_RETURN(std::string variant, OptionalText(c, "variant"));
      if (!variant.empty()) content.variant = variant;
      ASSIGN_OR_RETURN(content.language, OptionalText(c, "language"));
      if (c.contains("split_percent")) {
        if (!c["split_percent"].is_number()) return InvalidArgument(where + ".split_percent: expected a number");
        content.split_percent = c["split_percent"].get<double>();
      }
      ASSIGN_OR_RETURN(content.subject, OptionalText(c, "subject"));
      ASSIGN_OR_RETURN(content.body_text, OptionalText(c, "text"));
      ASSIGN_OR_RETURN(content.body_html, OptionalText(c, "html"));
      s.contents.push_back(std::move(content));
    }
  }
  return s;
}

std::string ToJson(const Campaign& c) {
  ordered_json o;
  o["id"] = c.id;
  o["name"] = c.name;
  o["status"] = c.status;
  o["channel"] = ChannelName(c.channel);
  o["purpose"] = c.purpose;
  o["audience"] = c.audience;
  o["holdout_percent"] = c.holdout_percent;
  ordered_json sch;
  sch["kind"] = kScheduleNames[static_cast<int>(c.schedule)];
  if (c.scheduled_at) sch["at"] = FormatInstant(*c.scheduled_at);
  if (c.schedule == ScheduleKind::kLocalTime) sch["local_time"] = MinuteText(c.local_minute);
  o["schedule"] = sch;
  o["currency"] = c.currency;
  o["budget"] = c.budget_minor ? ordered_json(MajorFromMinor(*c.budget_minor, c.currency)) : ordered_json();
  o["cost_per_message"] = MajorFromMinor(c.cost_per_message_minor, c.currency);
  if (c.goal) o["goal"] = {{"category", c.goal->category}, {"within_days", c.goal->within_days}};
  else o["goal"] = nullptr;
  o["offer_product"] = c.offer_product;
  o["team"] = c.team;
  o["from_name"] = c.from_name;
  o["from_address"] = c.from_address;
  o["reply_to"] = c.reply_to;
  if (c.channel == Channel::kWebhook) o["webhook_url"] = c.webhook_url;
  ordered_json contents = ordered_json::array();
  for (const Content& ct : c.contents) {
    contents.push_back({{"variant", ct.variant},
                        {"language", ct.language},
                        {"split_percent", ct.split_percent},
                        {"subject", ct.subject},
                        {"text", ct.body_text},
                        {"html", ct.body_html}});
  }
  o["contents"] = contents;
  o["created_by"] = c.created_by;
  o["created_at"] = FormatInstant(c.created_at);
  o["updated_at"] = FormatInstant(c.updated_at);
  auto opt = [](const std::optional<Instant>& t) { return t ? ordered_json(FormatInstant(*t)) : ordered_json(); };
  o["prepared_at"] = opt(c.prepared_at);
  o["started_at"] = opt(c.started_at);
  o["finished_at"] = opt(c.finished_at);
  return o.dump();
}

Status CheckSpec(Database& db, const CampaignSpec& s) {
  if (s.name.empty()) return InvalidArgument("name: a campaign needs a name");
  if (s.name.size() > 200 || !IsValidUtf8(s.name)) return InvalidArgument("name: at most 200 characters of UTF-8");
  if (s.audience.empty()) return InvalidArgument("audience: a campaign needs an audience (a segment)");
  auto node = segment::Parse(s.audience, segment::LoadVocabulary(db, nullptr));
  if (!node.ok()) return InvalidArgument("audience: " + node.status().message());
  if (!(s.holdout_percent >= 0 && s.holdout_percent < 100))
    return InvalidArgument("holdout_percent: must be at least 0 and below 100");
  if (s.schedule == ScheduleKind::kAt && !s.scheduled_at) return InvalidArgument("schedule.at: give the time to send");
  if (s.goal && (s.goal->within_days < 1 || s.goal->within_days > 365))
    return InvalidArgument("goal.within_days: between 1 and 365");
  if (s.contents.empty()) return InvalidArgument("contents: give at least one content variant");
  if (s.channel == Channel::kEmail) {
    if (s.from_address.empty()) return InvalidArgument("from_address: an email campaign needs a sender address");
    auto check = ingest::CheckEmail(s.from_address);
    if (!check.valid) return InvalidArgument("from_address: " + check.reason);
    if (!s.reply_to.empty() && !ingest::CheckEmail(s.reply_to).valid)
      return InvalidArgument("reply_to: not an email address");
  }
  if (s.channel == Channel::kWebhook) {
    if (s.webhook_url.rfind("https://", 0) != 0 && s.webhook_url.rfind("http://", 0) != 0)
      return InvalidArgument("webhook_url: a webhook campaign needs the receiver's http:// or https:// URL");
    if (s.webhook_url.find_first_of(" \r\n") != std::string::npos || s.webhook_url.size() > 2000)
      return InvalidArgument("webhook_url: no spaces or line breaks, at most 2000 characters");
  } else if (!s.webhook_url.empty()) {
    return InvalidArgument("webhook_url: only a webhook campaign posts to a URL");
  }
  for (const std::string* header : {&s.from_name, &s.from_address, &s.reply_to})
    if (header->find_first_of("\r\n") != std::string::npos)
      return InvalidArgument("from_name/from_address/reply_to: line breaks are not allowed");
  std::map<std::string, double> split_by_language;
  std::set<std::pair<std::string, std::string>> seen;
  std::set<std::string> default_variants, variants;
  for (size_t i = 0; i < s.contents.size(); ++i) {
    const Content& c = s.contents[i];
    std::string where = "contents[" + std::to_string(i) + "]";
    if (c.variant.empty() || c.variant.size() > 40) return InvalidArgument(where + ".variant: 1 to 40 characters");
    if (!seen.insert({c.variant, c.language}).second)
      return InvalidArgument(where + ": variant \"" + c.variant + "\" appears twice for language \"" + c.language + "\"");
    if (!(c.split_percent > 0 && c.split_percent <= 100))
      return InvalidArgument(where + ".split_percent: above 0 and at most 100");
    if (c.body_text.empty()) return InvalidArgument(where + ".text: the message needs a text");
    if (s.channel == Channel::kEmail && c.subject.empty()) return InvalidArgument(where + ".subject: an email needs a subject");
    if (c.subject.find_first_of("\r\n") != std::string::npos)
      return InvalidArgument(where + ".subject: line breaks are not allowed");
    for (const std::string* t : {&c.subject, &c.body_text, &c.body_html}) {
      if (!IsValidUtf8(*t)) return InvalidArgument(where + ": the content is not valid UTF-8");
      RETURN_IF_ERROR(CheckTemplate(*t).WithContext(where));
    }
    split_by_language[c.language] += c.split_percent;
    variants.insert(c.variant);
    if (c.language.empty()) default_variants.insert(c.variant);
  }
  for (auto& [language, total] : split_by_language)
    if (std::abs(total - 100) > 1e-6)
      return InvalidArgument("contents: the splits of language \"" + language + "\" add up to " +
                             std::to_string(total) + "%, not 100%");
  if (default_variants.empty())
    return InvalidArgument("contents: give every variant in the default language (language \"\") as a fallback");
  if (default_variants != variants)
    return InvalidArgument("contents: every variant needs a default-language version");
  return Status::Ok();
}

Result<Campaign> CreateCampaign(Database& db, const CampaignSpec& spec, std::string_view actor, const Clock& clock) {
  RETURN_IF_ERROR(CheckSpec(db, spec));
  Instant now = clock.Now();
  int64_t seed = 0;
  randombytes_buf(&seed, sizeof seed);
  seed &= 0x7fffffffffffffffLL;
  RETURN_IF_ERROR(db.Begin());
  Statement& q = db.Query("campaign-insert");
  q.Bind(":name", spec.name).Bind(":channel", ChannelName(spec.channel)).Bind(":purpose", spec.purpose)
      .Bind(":audience", spec.audience).Bind(":holdout_percent", spec.holdout_percent)
      .Bind(":schedule_kind", kScheduleNames[static_cast<int>(spec.schedule)])
      .BindOptional(":scheduled_at", spec.scheduled_at ? std::optional<int64_t>(spec.scheduled_at->micros) : std::nullopt)
      .Bind(":local_minute", int64_t{spec.local_minute})
      .BindOptional(":budget_minor", spec.budget_minor)
      .Bind(":cost_per_message_minor", spec.cost_per_message_minor)
      .BindOptional(":currency", std::string_view(spec.currency))
      .BindOptional(":offer_product", std::string_view(spec.offer_product))
      .BindOptional(":team", std::string_view(spec.team))
      .BindOptional(":from_name", std::string_view(spec.from_name))
      .BindOptional(":from_address", std::string_view(spec.from_address))
      .BindOptional(":reply_to", std::string_view(spec.reply_to))
      .BindOptional(":webhook_url", std::string_view(spec.webhook_url))
      .Bind(":seed", seed).Bind(":created_by", actor).Bind(":now", now.micros);
  if (spec.goal) {
    q.Bind(":goal", json({{"kind", "purchase"}, {"category", spec.goal->category}, {"within_days", spec.goal->within_days}}).dump());
  } else {
    q.BindNull(":goal");
  }
  Status st = q.Run();
  if (!st.ok()) {
    (void)db.Rollback();
    if (st.message().find("UNIQUE") != std::string::npos)
      return AlreadyExists("a campaign named \"" + spec.name + "\" exists");
    return st;
  }
  int64_t id = db.last_insert_id();
  for (const Content& c : spec.contents) {
    Statement& ins = db.Query("campaign-content-insert");
    ins.Bind(":campaign_id", id).Bind(":variant", c.variant).Bind(":language", c.language)
        .Bind(":split_percent", c.split_percent).BindOptional(":subject", std::string_view(c.subject))
        .Bind(":body_text", c.body_text).BindOptional(":body_html", std::string_view(c.body_html));
    Status ist = ins.Run();
    if (!ist.ok()) {
      (void)db.Rollback();
      return ist;
    }
  }
  RETURN_IF_ERROR(db.Commit());
  return LoadCampaign(db, std::to_string(id));
}

Result<Campaign> LoadCampaign(Database& db, std::string_view name_or_id) {
  Statement& q = db.Query("campaign-select");
  int64_t id = -1;
  if (!name_or_id.empty() && name_or_id.find_first_not_of("0123456789") == std::string_view::npos &&
      name_or_id.size() < 18)
    id = std::stoll(std::string(name_or_id));
  q.Bind(":id", id).Bind(":name", name_or_id);
  ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) {
    q.Reset();
    return NotFound("no campaign \"" + std::string(name_or_id) + "\"");
  }
  Campaign c;
  c.id = q.Int(0);
  c.name = q.String(1);
  c.status = q.String(2);
  auto channel = ParseChannel(q.Text(3));
  c.channel = channel.ok() ? *channel : Channel::kEmail;
  c.purpose = q.String(4);
  c.audience = q.String(5);
  c.holdout_percent = q.Double(6);
  auto sched = ParseSchedule(q.Text(7));
  c.schedule = sched.ok() ? *sched : ScheduleKind::kNow;
  if (!q.IsNull(8)) c.scheduled_at = Instant{q.Int(8)};
  c.local_minute = q.IsNull(9) ? 600 : static_cast<int>(q.Int(9));
  c.budget_minor = q.OptionalInt(10);
  c.cost_per_message_minor = q.Int(11);
  c.currency = q.OptionalString(12).value_or("");
  if (!q.IsNull(13)) {
    json g = json::parse(q.Text(13), nullptr, false);
    if (g.is_object()) c.goal = Goal{g.value("category", ""), g.value("within_days", 14)};
  }
  c.offer_product = q.OptionalString(14).value_or("");
  c.team = q.OptionalString(15).value_or("");
  c.from_name = q.OptionalString(16).value_or("");
  c.from_address = q.OptionalString(17).value_or("");
  c.reply_to = q.OptionalString(18).value_or("");
  c.seed = q.Int(19);
  c.created_by = q.OptionalString(20).value_or("");
  c.created_at = Instant{q.Int(21)};
  c.updated_at = Instant{q.Int(22)};
  if (!q.IsNull(23)) c.prepared_at = Instant{q.Int(23)};
  if (!q.IsNull(24)) c.started_at = Instant{q.Int(24)};
  if (!q.IsNull(25)) c.finished_at = Instant{q.Int(25)};
  c.webhook_url = q.OptionalString(26).value_or("");
  q.Reset();
  Statement& cq = db.Query("campaign-contents");
  cq.Bind(":campaign_id", c.id);
  while (true) {
    ASSIGN_OR_RETURN(bool r, cq.Step());
    if (!r) break;
    Content ct;
    ct.variant = cq.String(0);
    ct.language = cq.String(1);
    ct.split_percent = cq.Double(2);
    ct.subject = cq.OptionalString(3).value_or("");
    ct.body_text = cq.String(4);
    ct.body_html = cq.OptionalString(5).value_or("");
    c.contents.push_back(std::move(ct));
  }
  cq.Reset();
  return c;
}

Result<std::vector<Campaign>> ListCampaigns(Database& db) {
  std::vector<int64_t> ids;
  Statement& q = db.Query("campaign-list");
  while (true) {
    ASSIGN_OR_RETURN(bool r, q.Step());
    if (!r) break;
    ids.push_back(q.Int(0));
  }
  q.Reset();
  std::vector<Campaign> out;
  for (int64_t id : ids) {
    ASSIGN_OR_RETURN(Campaign c, LoadCampaign(db, std::to_string(id)));
    out.push_back(std::move(c));
  }
  return out;
}

Status WriteStatus(Database& db, Campaign& c, std::string_view status, const Clock& clock) {
  Statement& q = db.Query("campaign-set-status");
  q.Bind(":status", status).Bind(":now", clock.Now().micros).Bind(":id", c.id);
  RETURN_IF_ERROR(q.Run());
  c.status = std::string(status);
  Instant now = clock.Now();
  if (status == "scheduled" && !c.prepared_at) c.prepared_at = now;
  if (status == "sending" && !c.started_at) c.started_at = now;
  if (status == "done" || status == "cancelled") c.finished_at = now;
  c.updated_at = now;
  return Status::Ok();
}

Status SetCampaignStatus(Database& db, Campaign& c, std::string_view status, const Clock& clock) {
  const std::string& from = c.status;
  bool ok = false;
  if (status == "paused") ok = from == "sending" || from == "scheduled";
  else if (status == "scheduled") ok = from == "paused";  // resume
  else if (status == "cancelled") ok = from != "done" && from != "cancelled";
  else return InvalidArgument("status: a campaign can be paused, resumed (scheduled) or cancelled");
  if (!ok)
    return FailedPrecondition("campaign \"" + c.name + "\" is " + from + "; it cannot become " + std::string(status));
  return WriteStatus(db, c, status, clock);
}

}  // namespace patron::campaign
