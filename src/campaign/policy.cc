// Contact policy: frequency caps, quiet hours and weekends in the customer's
// time zone, flag tags, opt-out registers; and the small deterministic helpers
// (draws, coupons, Message-IDs) the plan and the sender share.
#include <sodium.h>
#include <unicode/calendar.h>
#include <unicode/locid.h>
#include <unicode/strenum.h>
#include <unicode/timezone.h>

#include <fstream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "campaign/campaign.h"
#include "campaign/campaign_internal.h"
#include "ingest/ingest.h"
#include "store/store.h"

namespace patron::campaign {

using nlohmann::json;

Policy DefaultPolicy() {
  Policy p;
  p.caps = {{"email", {1, 7}}, {"sms", {2, 30}}, {"phone", {1, 30}}, {"mail", {1, 30}}, {"push", {3, 7}}};
  return p;
}

std::string PolicyToJson(const Policy& p) {
  json o;
  json caps = json::object();
  for (auto& [ch, cap] : p.caps) caps[ch] = {{"max_messages", cap.max_messages}, {"days", cap.days}};
  o["frequency_caps"] = caps;
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02d:%02d", p.quiet_start_minute / 60, p.quiet_start_minute % 60);
  o["quiet_hours"]["start"] = buf;
  std::snprintf(buf, sizeof buf, "%02d:%02d", p.quiet_end_minute / 60, p.quiet_end_minute % 60);
  o["quiet_hours"]["end"] = buf;
  o["weekend_days"] = p.weekend_days;
  o["require_verified"] = p.require_verified;
  o["stale_days"] = p.stale_days;
  o["key_account_tag"] = p.key_account_tag;
  o["collections_tag"] = p.collections_tag;
  o["offer_days"] = p.offer_days;
  o["default_time_zone"] = p.default_time_zone;
  return o.dump();
}

Result<Policy> PolicyFromJson(std::string_view text, Policy p) {
  json o = json::parse(text, nullptr, false);
  if (o.is_discarded() || !o.is_object()) return InvalidArgument("the contact policy must be a JSON object");
  try {
    for (auto& [key, v] : o.items()) {
      if (key == "frequency_caps") {
        if (!v.is_object()) return InvalidArgument("frequency_caps: expected an object by channel");
        for (auto& [ch, cap] : v.items()) {
          if (ch != "email" && ch != "sms" && ch != "phone" && ch != "mail" && ch != "push")
            return InvalidArgument("frequency_caps: unknown channel \"" + ch + "\"");
          FrequencyCap c{cap.at("max_messages").get<int>(), cap.at("days").get<int>()};
          if (c.max_messages < 0 || c.days < 1 || c.days > 366)
            return InvalidArgument("frequency_caps." + ch + ": max_messages ≥ 0 and days 1..366");
          p.caps[ch] = c;
        }
      } else if (key == "quiet_hours") {
        ASSIGN_OR_RETURN(p.quiet_start_minute, ParseMinuteOfDay(v.at("start").get<std::string>(), "quiet_hours.start"));
        ASSIGN_OR_RETURN(p.quiet_end_minute, ParseMinuteOfDay(v.at("end").get<std::string>(), "quiet_hours.end"));
      } else if (key == "weekend_days") {
        p.weekend_days.clear();
        for (auto& [country, days] : v.items()) {
          for (int d : days.get<std::vector<int>>())
            if (d < 0 || d > 6) return InvalidArgument("weekend_days." + country + ": days are 0 (Sunday) to 6");
          p.weekend_days[country] = days.get<std::vector<int>>();
        }
      } else if (key == "require_verified") {
        p.require_verified = v.get<bool>();
      } else if (key == "stale_days") {
        p.stale_days = v.get<int>();
        if (p.stale_days < 1) return InvalidArgument("stale_days: at least 1");
      } else if (key == "key_account_tag") {
        p.key_account_tag = v.get<std::string>();
      } else if (key == "collections_tag") {
        p.collections_tag = v.get<std::string>();
      } else if (key == "offer_days") {
        p.offer_days = v.get<int>();
      } else if (key == "default_time_zone") {
        p.default_time_zone = v.get<std::string>();
        std::unique_ptr<icu::TimeZone> tz(icu::TimeZone::createTimeZone(icu::UnicodeString::fromUTF8(p.default_time_zone)));
        if (*tz == icu::TimeZone::getUnknown())
          return InvalidArgument("default_time_zone: unknown time zone \"" + p.default_time_zone + "\"");
      } else {
        return InvalidArgument("unknown contact-policy setting \"" + key + "\"");
      }
    }
  } catch (const json::exception& e) {
    return InvalidArgument(std::string("contact policy: wrong type or missing field (") + e.what() + ")");
  }
  return p;
}

Result<Policy> LoadPolicy(Database& db) {
  Policy p = DefaultPolicy();
  Statement& q = db.Query("campaign-settings");
  std::string stored;
  while (true) {
    ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    if (q.Text(0) == "policy") stored = q.String(1);
  }
  q.Reset();
  if (stored.empty()) return p;
  return PolicyFromJson(stored, p);
}

Status SavePolicy(Database& db, const Policy& policy, const Clock& clock) {
  Statement& q = db.Query("campaign-setting-upsert");
  q.Bind(":name", "policy").Bind(":value", PolicyToJson(policy)).Bind(":now", clock.Now().micros);
  return q.Run();
}

Result<RegisterImport> ImportSuppressionList(Database& db, std::string_view list, std::string_view channel,
                                             const std::string& path, std::string_view default_region,
                                             const Clock& clock) {
  if (list.empty()) return InvalidArgument("the opt-out register needs a name");
  if (channel != "email" && channel != "sms" && channel != "phone" && channel != "mail")
    return InvalidArgument("channel: opt-out registers apply to email, sms, phone or mail");
  std::ifstream in(path, std::ios::binary);
  if (!in) return IoError("cannot read '" + path + "'");
  RegisterImport report;
  RETURN_IF_ERROR(db.Begin());
  std::string line;
  int64_t line_no = 0;
  Instant now = clock.Now();
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::string_view v = TrimAscii(line);
    if (line_no == 1 && v.size() >= 3 && static_cast<unsigned char>(v[0]) == 0xEF) v.remove_prefix(3);  // BOM
    if (auto comma = v.find_first_of(",;\t"); comma != std::string_view::npos) v = TrimAscii(v.substr(0, comma));
    if (v.empty() || v[0] == '#') continue;
    if (!IsValidUtf8(v)) {
      report.rejected.push_back("line " + std::to_string(line_no) + ": not valid UTF-8");
      continue;
    }
    std::string value;
    if (channel == "email") {
      auto e = ingest::CheckEmail(v);
      if (!e.valid) {
        if (line_no == 1) continue;  // a header line
        report.rejected.push_back("line " + std::to_string(line_no) + ": " + e.reason);
        continue;
      }
      value = AsciiLower(e.normalized);
    } else if (channel == "mail") {
      value = std::string(v);
    } else {
      auto ph = ingest::CheckPhone(v, default_region);
      if (!ph.valid) {
        if (line_no == 1) continue;
        report.rejected.push_back("line " + std::to_string(line_no) + ": " + ph.reason);
        continue;
      }
      value = ph.e164;
    }
    Statement& q = db.Query("campaign-suppression-insert");
    q.Bind(":list", list).Bind(":channel", channel).Bind(":value", value).Bind(":now", now.micros);
    Status st = q.Run();
    if (!st.ok()) {
      (void)db.Rollback();
      return st;
    }
    report.added += db.changes();
  }
  RETURN_IF_ERROR(db.Commit());
  return report;
}

// ---------------------------------------------------------------------------
// Time zones and weekends
// ---------------------------------------------------------------------------

namespace {

std::mutex zone_mutex;
std::unordered_map<std::string, std::unique_ptr<icu::TimeZone>> zone_cache;
std::unordered_map<std::string, std::string> country_zone_cache;
std::unordered_map<std::string, std::vector<int>> country_weekend_cache;

const icu::TimeZone* Zone(const std::string& id) {
  auto it = zone_cache.find(id);
  if (it != zone_cache.end()) return it->second.get();
  std::unique_ptr<icu::TimeZone> tz(icu::TimeZone::createTimeZone(icu::UnicodeString::fromUTF8(id)));
  if (*tz == icu::TimeZone::getUnknown()) tz.reset();
  return zone_cache.emplace(id, std::move(tz)).first->second.get();
}

std::vector<int> CldrWeekend(const std::string& country) {
  auto it = country_weekend_cache.find(country);
  if (it != country_weekend_cache.end()) return it->second;
  std::vector<int> days;
  UErrorCode status = U_ZERO_ERROR;
  std::unique_ptr<icu::Calendar> cal(icu::Calendar::createInstance(icu::Locale("und", country.c_str()), status));
  if (U_SUCCESS(status)) {
    for (int d = UCAL_SUNDAY; d <= UCAL_SATURDAY; ++d) {
      UErrorCode s2 = U_ZERO_ERROR;
      UCalendarWeekdayType type = cal->getDayOfWeekType(static_cast<UCalendarDaysOfWeek>(d), s2);
      if (U_SUCCESS(s2) && type == UCAL_WEEKEND) days.push_back(d - UCAL_SUNDAY);
    }
  } else {
    days = {0, 6};
  }
  country_weekend_cache[country] = days;
  return days;
}

}  // namespace

int UtcOffsetMinutes(const std::string& zone, Instant at) {
  std::lock_guard lock(zone_mutex);
  const icu::TimeZone* tz = Zone(zone);
  if (!tz) return 0;
  int32_t raw = 0, dst = 0;
  UErrorCode status = U_ZERO_ERROR;
  tz->getOffset(static_cast<UDate>(at.micros / 1000), false, raw, dst, status);
  if (U_FAILURE(status)) return 0;
  return (raw + dst) / 60000;
}

std::string ZoneFor(std::string_view time_zone, std::string_view country, const Policy& policy) {
  std::lock_guard lock(zone_mutex);
  if (!time_zone.empty()) {
    std::string id(time_zone);
    if (Zone(id)) return id;
  }
  if (country.size() == 2) {
    std::string c(country);
    auto it = country_zone_cache.find(c);
    if (it != country_zone_cache.end()) return it->second;
    std::string found;
    UErrorCode status = U_ZERO_ERROR;
    std::unique_ptr<icu::StringEnumeration> ids(
        icu::TimeZone::createTimeZoneIDEnumeration(UCAL_ZONE_TYPE_CANONICAL_LOCATION, c.c_str(), nullptr, status));
    if (U_SUCCESS(status) && ids) {
      // The most populous zone of countries with several is not knowable from
      // ICU; the first canonical one is right for every single-zone country.
      const char* first = ids->next(nullptr, status);
      if (U_SUCCESS(status) && first) found = first;
    }
    country_zone_cache[c] = found;
    if (!found.empty()) return found;
  }
  return policy.default_time_zone;
}

Instant NextAllowedTime(Instant at, const std::string& zone, std::string_view country, const Policy& policy) {
  std::vector<int> weekend;
  {
    // The country's own setting, else the policy's "*", else CLDR's weekend for the country.
    auto it = policy.weekend_days.find(std::string(country));
    if (it == policy.weekend_days.end()) it = policy.weekend_days.find("*");
    if (it != policy.weekend_days.end()) {
      weekend = it->second;
    } else if (!country.empty()) {
      std::lock_guard lock(zone_mutex);
      weekend = CldrWeekend(std::string(country));
    }
  }
  const int start = policy.quiet_start_minute, end = policy.quiet_end_minute;
  auto quiet = [&](int minute) {
    if (start == end) return false;
    return start < end ? (minute >= start && minute < end) : (minute >= start || minute < end);
  };
  Instant t = at;
  for (int step = 0; step < 16; ++step) {
    int64_t offset_us = int64_t{UtcOffsetMinutes(zone, t)} * 60'000'000;
    int64_t local = t.micros + offset_us;
    int64_t day = local >= 0 ? local / 86'400'000'000 : -((-local + 86'399'999'999) / 86'400'000'000);
    int minute = static_cast<int>((local - day * 86'400'000'000) / 60'000'000);
    int weekday = static_cast<int>(((day % 7) + 7 + 4) % 7);  // 1970-01-01 was a Thursday (4)
    bool is_weekend = std::find(weekend.begin(), weekend.end(), weekday) != weekend.end();
    if (!is_weekend && !quiet(minute)) return t;
    // Move to the end of the quiet period (today or tomorrow), or to the next day's end.
    int64_t next_local;
    if (is_weekend) {
      next_local = (day + 1) * 86'400'000'000 + int64_t{end} * 60'000'000;
    } else if (minute >= start && start > end) {
      next_local = (day + 1) * 86'400'000'000 + int64_t{end} * 60'000'000;
    } else {
      next_local = day * 86'400'000'000 + int64_t{end} * 60'000'000;
      if (next_local <= local) next_local += 86'400'000'000;
    }
    t = Instant{next_local - offset_us};
  }
  return t;
}

bool IsRightToLeft(std::string_view language) {
  std::string_view base = language.substr(0, language.find_first_of("-_"));
  return base == "fa" || base == "ar" || base == "he" || base == "ur" || base == "ps" || base == "ckb" ||
         base == "yi" || base == "dv";
}

double UniformDraw(int64_t seed, int64_t customer_id, std::string_view purpose) {
  unsigned char key[crypto_shorthash_KEYBYTES] = {};
  std::memcpy(key, &seed, sizeof seed);
  std::string msg = std::string(purpose) + ":" + std::to_string(customer_id);
  unsigned char out[crypto_shorthash_BYTES];
  crypto_shorthash(out, reinterpret_cast<const unsigned char*>(msg.data()), msg.size(), key);
  uint64_t v = 0;
  std::memcpy(&v, out, sizeof v);
  return static_cast<double>(v >> 11) / static_cast<double>(uint64_t{1} << 53);
}

std::string CouponCode(int64_t seed, int64_t campaign_id, int64_t customer_id) {
  // Crockford base32 without look-alikes: 10 characters, ~50 bits.
  static constexpr char kAlphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  unsigned char key[crypto_shorthash_KEYBYTES] = {};
  std::memcpy(key, &seed, sizeof seed);
  std::string msg = "coupon:" + std::to_string(campaign_id) + ":" + std::to_string(customer_id);
  unsigned char out[crypto_shorthash_BYTES];
  crypto_shorthash(out, reinterpret_cast<const unsigned char*>(msg.data()), msg.size(), key);
  uint64_t v = 0;
  std::memcpy(&v, out, sizeof v);
  std::string code;
  for (int i = 0; i < 10; ++i) {
    code.push_back(kAlphabet[v & 31]);
    v >>= 5;
  }
  return code;
}

std::string MessageIdFor(const Campaign& c, int64_t customer_id) {
  std::string domain = "patron.local";
  if (auto at = c.from_address.rfind('@'); at != std::string::npos) domain = c.from_address.substr(at + 1);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%llx", static_cast<unsigned long long>(c.seed & 0xffffffffffLL));
  return "<c" + std::to_string(c.id) + "." + std::to_string(customer_id) + "." + buf + "@" + domain + ">";
}

Result<int64_t> CampaignSourceId(Database& db, const Clock& clock) {
  Statement& q = db.Query("campaign-source-upsert");
  q.Bind(":now", clock.Now().micros);
  ASSIGN_OR_RETURN(bool row, q.Step());
  int64_t id = row ? q.Int(0) : 0;
  q.Reset();
  if (!row) return Internal("the patron-campaigns source could not be created");
  return id;
}

Status AppendEvent(Database& db, int64_t source_id, int64_t customer_id, std::string_view type,
                   std::string_view source_key, std::string_view properties_json, Instant at) {
  Statement& q = db.Query("campaign-event-insert");
  q.Bind(":customer_id", customer_id).Bind(":type", type).Bind(":now", at.micros).Bind(":source_id", source_id)
      .Bind(":source_key", source_key).Bind(":properties", properties_json);
  return q.Run();
}

}  // namespace patron::campaign
