// Rendering: mustache templates (kainjow-mustache from Debian) filled with a
// customer's profile, traits, recommendations and coupon; tracked links, the
// open pixel and the signed unsubscribe link; right-to-left HTML.
#include <sodium.h>

#include <cmath>
#include <kainjow/mustache.hpp>
#include <nlohmann/json.hpp>

#include "campaign/campaign.h"
#include "campaign/campaign_internal.h"
#include "deliver/deliver.h"
#include "store/store.h"

namespace patron::campaign {

namespace mstch = kainjow::mustache;

Status CheckTemplate(std::string_view tmpl) {
  if (tmpl.empty()) return Status::Ok();
  mstch::mustache m{std::string(tmpl)};
  if (!m.is_valid()) return InvalidArgument("template: " + m.error_message());
  return Status::Ok();
}

// ---------------------------------------------------------------------------
// Signed links
// ---------------------------------------------------------------------------

namespace {

std::string Base64Url(std::string_view bytes) {
  std::string out(sodium_base64_encoded_len(bytes.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(std::strlen(out.c_str()));
  return out;
}

Result<std::string> FromBase64Url(std::string_view text) {
  std::string out(text.size(), '\0');
  size_t len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(), text.size(), nullptr,
                        &len, nullptr, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
    return InvalidArgument("the link is damaged");
  out.resize(len);
  return out;
}

std::string Mac(std::string_view payload, std::string_view secret) {
  unsigned char out[16];
  crypto_generichash(out, sizeof out, reinterpret_cast<const unsigned char*>(payload.data()), payload.size(),
                     reinterpret_cast<const unsigned char*>(secret.data()),
                     std::min<size_t>(secret.size(), crypto_generichash_KEYBYTES_MAX));
  return std::string(reinterpret_cast<char*>(out), sizeof out);
}

}  // namespace

std::string SignLink(const LinkToken& t, std::string_view secret) {
  std::string payload = std::to_string(t.campaign_id) + "." + std::to_string(t.customer_id) + "." + t.kind;
  if (!t.url.empty()) payload += "." + t.url;
  return Base64Url(payload) + "." + Base64Url(Mac(payload, secret));
}

Result<LinkToken> VerifyLink(std::string_view token, std::string_view secret) {
  auto dot = token.rfind('.');
  if (dot == std::string_view::npos) return InvalidArgument("the link is damaged");
  ASSIGN_OR_RETURN(std::string payload, FromBase64Url(token.substr(0, dot)));
  ASSIGN_OR_RETURN(std::string mac, FromBase64Url(token.substr(dot + 1)));
  std::string expected = Mac(payload, secret);
  if (mac.size() != expected.size() || sodium_memcmp(mac.data(), expected.data(), mac.size()) != 0)
    return Status(StatusCode::kPermissionDenied, "the link's signature does not match");
  LinkToken t;
  size_t a = payload.find('.'), b = a == std::string::npos ? a : payload.find('.', a + 1);
  if (b == std::string::npos) return InvalidArgument("the link is damaged");
  size_t c = payload.find('.', b + 1);
  try {
    t.campaign_id = std::stoll(payload.substr(0, a));
    t.customer_id = std::stoll(payload.substr(a + 1, b - a - 1));
  } catch (...) {
    return InvalidArgument("the link is damaged");
  }
  t.kind = payload.substr(b + 1, c == std::string::npos ? std::string::npos : c - b - 1);
  if (c != std::string::npos) t.url = payload.substr(c + 1);
  return t;
}

Result<std::string> LinkSecret(Database& db) {
  Statement& get = db.Query("access-get-secret");
  get.Bind(":name", "campaign_links");
  ASSIGN_OR_RETURN(bool row, get.Step());
  std::string hex = row ? get.String(0) : std::string();
  get.Reset();
  if (hex.empty()) {
    unsigned char key[32];
    randombytes_buf(key, sizeof key);
    char buf[65];
    sodium_bin2hex(buf, sizeof buf, key, sizeof key);
    Statement& put = db.Query("access-put-secret");
    put.Bind(":name", "campaign_links").Bind(":value", std::string_view(buf));
    RETURN_IF_ERROR(put.Run());
    return LinkSecret(db);  // the stored one wins a race
  }
  return hex;
}

// ---------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------

namespace {

std::string MoneyText(int64_t minor, const std::string& currency) {
  int digits = CurrencyMinorDigits(currency.empty() ? "EUR" : currency);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, static_cast<double>(minor) / std::pow(10.0, digits));
  return std::string(buf) + (currency.empty() ? "" : " " + currency);
}

// The greeting to use when the profile has none: in the content's language.
std::string FallbackName(std::string_view language) {
  if (language == "fa") return "مشتری گرامی";
  if (language == "ar") return "عميلنا العزيز";
  if (language == "sv") return "kund";
  return "customer";
}

std::string EscapeAttr(std::string_view s) {
  std::string out;
  for (char ch : s) {
    if (ch == '"') out += "&quot;";
    else if (ch == '&') out += "&amp;";
    else if (ch == '<') out += "&lt;";
    else out.push_back(ch);
  }
  return out;
}

// Rewrites http(s) links of the HTML part through the click redirect, adds
// the open pixel, and declares the language and direction.
std::string DecorateHtml(std::string html, const Campaign& c, int64_t customer_id, const LinkOptions& links,
                         const std::string& language, bool rtl) {
  if (!links.base_url.empty()) {
    // Every http(s) link through the signed click redirect (the unsubscribe
    // link stays as it is), and the open pixel.
    const std::string unsubscribe_prefix = links.base_url + "/u/";
    html = deliver::AddTracking(
        html,
        [&](std::string_view url, int) {
          if (url.rfind(unsubscribe_prefix, 0) == 0) return std::string();
          return links.base_url + "/t/c/" + SignLink({c.id, customer_id, "c", std::string(url)}, links.secret);
        },
        links.base_url + "/t/o/" + SignLink({c.id, customer_id, "o", ""}, links.secret));
  }
  std::string dir = rtl ? "rtl" : "ltr";
  if (html.find("<html") == std::string::npos) {
    html = "<!DOCTYPE html>\n<html lang=\"" + EscapeAttr(language.empty() ? "en" : language) + "\" dir=\"" + dir +
           "\">\n<head><meta charset=\"utf-8\"></head>\n<body dir=\"" + dir + "\">\n" + html + "\n</body>\n</html>\n";
  } else {
    auto tag = html.find("<html");
    auto close = html.find('>', tag);
    std::string open = html.substr(tag, close - tag);
    std::string add;
    if (open.find(" dir=") == std::string::npos) add += " dir=\"" + dir + "\"";
    if (open.find(" lang=") == std::string::npos) add += " lang=\"" + EscapeAttr(language.empty() ? "en" : language) + "\"";
    html.insert(close, add);
  }
  return html;
}

}  // namespace

Result<RenderedMessage> RenderFor(Database& db, const Campaign& c, int64_t customer_id, const LinkOptions& links,
                                  std::string_view variant) {
  Statement& q = db.Query("campaign-render-customer");
  q.Bind(":customer_id", customer_id);
  ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) {
    q.Reset();
    return NotFound("no customer " + std::to_string(customer_id));
  }
  mstch::data d{mstch::data::type::object};
  auto set = [&](const char* key, int col) {
    if (!q.IsNull(col)) d.set(key, q.String(col));
  };
  set("given_name", 0);
  set("first_name", 0);
  set("family_name", 1);
  set("full_name", 2);
  set("salutation", 3);
  set("greeting", 4);
  set("city", 6);
  set("country", 7);
  set("gender", 8);
  std::string customer_language = q.OptionalString(5).value_or("");
  std::string given = q.OptionalString(0).value_or(""), family = q.OptionalString(1).value_or("");
  std::string salutation = q.OptionalString(3).value_or(""), greeting = q.OptionalString(4).value_or("");
  std::string currency = q.OptionalString(11).value_or("");
  if (!q.IsNull(9)) d.set("clv", MoneyText(q.Int(9), currency));
  if (!q.IsNull(10)) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%.0f%%", q.Double(10) * 100);
    d.set("churn_risk", std::string(buf));
  }
  set("rfm_segment", 12);
  set("best_channel", 13);
  set("lifecycle_stage", 14);
  q.Reset();

  // The variant and language: the outbox's assignment, else the request, else the first.
  std::string lang_base = AsciiLower(std::string_view(customer_language).substr(0, customer_language.find_first_of("-_")));
  std::string chosen_variant(variant), coupon;
  {
    Statement& r = db.Query("campaign-outbox-row");
    r.Bind(":campaign_id", c.id).Bind(":customer_id", customer_id);
    ASSIGN_OR_RETURN(bool has, r.Step());
    if (has && chosen_variant.empty() && !r.IsNull(6)) chosen_variant = r.String(6);
    r.Reset();
  }
  // The customer's language matched as the plan matches it: by base language ("fa" for "fa-IR").
  auto base = [](const std::string& lang) { return AsciiLower(std::string_view(lang).substr(0, lang.find_first_of("-_"))); };
  const Content* content = nullptr;
  for (const Content& ct : c.contents)
    if ((chosen_variant.empty() || ct.variant == chosen_variant) && !ct.language.empty() && base(ct.language) == lang_base)
      content = content ? content : &ct;
  if (!content)
    for (const Content& ct : c.contents)
      if ((chosen_variant.empty() || ct.variant == chosen_variant) && ct.language.empty()) content = content ? content : &ct;
  if (!content) return NotFound("campaign \"" + c.name + "\" has no variant \"" + chosen_variant + "\"");
  const std::string language = content->language.empty() ? (customer_language.empty() ? "en" : lang_base) : content->language;
  const bool rtl = IsRightToLeft(content->language.empty() ? lang_base : content->language);

  std::string name = !greeting.empty() ? greeting
                     : !salutation.empty() && !family.empty() ? salutation + " " + family
                     : !given.empty() ? given
                     : FallbackName(content->language.empty() ? lang_base : content->language);
  d.set("name", name);
  if (greeting.empty()) d.set("greeting", name);
  coupon = CouponCode(c.seed, c.id, customer_id);
  d.set("coupon", coupon);
  d.set("campaign", c.name);
  d.set("language", language);
  d.set("dir", rtl ? "rtl" : "ltr");

  mstch::data recs{mstch::data::type::list};
  Statement& rq = db.Query("campaign-render-recommendations");
  rq.Bind(":customer_id", customer_id);
  bool any_rec = false;
  while (true) {
    ASSIGN_OR_RETURN(bool r, rq.Step());
    if (!r) break;
    mstch::data item;
    item.set("sku", rq.String(0));
    item.set("name", rq.String(1));
    if (!rq.IsNull(2)) item.set("price", MoneyText(rq.Int(2), rq.OptionalString(3).value_or("")));
    recs.push_back(item);
    any_rec = true;
  }
  rq.Reset();
  d.set("recommendations", recs);
  d.set("has_recommendations", any_rec);
  Statement& lo = db.Query("campaign-render-last-order");
  lo.Bind(":customer_id", customer_id);
  ASSIGN_OR_RETURN(bool has_order, lo.Step());
  if (has_order) {
    d.set("last_order_date", FormatInstant(Instant{lo.Int(0)}).substr(0, 10));
    d.set("last_order_total", MoneyText(lo.Int(1), lo.OptionalString(2).value_or("")));
  }
  lo.Reset();
  std::string unsubscribe;
  if (!links.base_url.empty()) {
    unsubscribe = links.base_url + "/u/" + SignLink({c.id, customer_id, "u", ""}, links.secret);
    d.set("unsubscribe_url", unsubscribe);
  }

  RenderedMessage out;
  out.variant = content->variant;
  out.language = language;
  out.dir = rtl ? "rtl" : "ltr";
  auto render = [&](const std::string& tmpl, bool html) -> Result<std::string> {
    if (tmpl.empty()) return std::string();
    mstch::mustache m{tmpl};
    if (!html) m.set_custom_escape([](const std::string& s) { return s; });
    std::string s = m.render(d);
    if (!m.is_valid()) return InvalidArgument("template: " + m.error_message());
    return s;
  };
  ASSIGN_OR_RETURN(out.subject, render(content->subject, false));
  for (char& ch : out.subject)
    if (ch == '\r' || ch == '\n') ch = ' ';  // a value with a line break must not end the header
  ASSIGN_OR_RETURN(out.text, render(content->body_text, false));
  ASSIGN_OR_RETURN(out.html, render(content->body_html, true));
  if (!out.html.empty()) out.html = DecorateHtml(std::move(out.html), c, customer_id, links, language, rtl);
  if (!unsubscribe.empty() && c.channel == Channel::kEmail && out.text.find(unsubscribe) == std::string::npos)
    out.text += "\n\n--\n" + unsubscribe + "\n";
  return out;
}

Result<std::vector<std::pair<std::string, std::string>>> CustomerSummary(Database& db, int64_t customer_id) {
  std::vector<std::pair<std::string, std::string>> out;
  Statement& q = db.Query("campaign-render-customer");
  q.Bind(":customer_id", customer_id);
  ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) {
    q.Reset();
    return NotFound("no customer " + std::to_string(customer_id));
  }
  std::string name = q.OptionalString(2).value_or("");
  if (name.empty()) name = q.OptionalString(0).value_or("") + (q.IsNull(1) ? "" : " " + q.String(1));
  std::string currency = q.OptionalString(11).value_or("");
  out.emplace_back("name", name);
  out.emplace_back("salutation", q.OptionalString(3).value_or(""));
  out.emplace_back("language", q.OptionalString(5).value_or(""));
  out.emplace_back("city", q.OptionalString(6).value_or(""));
  out.emplace_back("clv_12m", q.IsNull(9) ? "" : MoneyText(q.Int(9), currency));
  char buf[16] = "";
  if (!q.IsNull(10)) std::snprintf(buf, sizeof buf, "%.0f%%", q.Double(10) * 100);
  out.emplace_back("churn_risk", buf);
  out.emplace_back("segment", q.OptionalString(12).value_or(""));
  q.Reset();
  Statement& lo = db.Query("campaign-render-last-order");
  lo.Bind(":customer_id", customer_id);
  ASSIGN_OR_RETURN(bool has_order, lo.Step());
  out.emplace_back("last_order", has_order ? FormatInstant(Instant{lo.Int(0)}).substr(0, 10) + " " +
                                                 MoneyText(lo.Int(1), lo.OptionalString(2).value_or(""))
                                           : std::string());
  lo.Reset();
  return out;
}

}  // namespace patron::campaign
