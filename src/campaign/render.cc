// Rendering: mustache templates (kainjow-mustache from Debian) filled with a
// customer's profile, traits, recommendations and coupon; tracked links, the
// open pixel and the signed unsubscribe link; right-to-left HTML.
#include <sodium.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <thread>
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

namespace {

// How many recommendations a message shows.
constexpr size_t kRecommendationsShown = 3;

// The profile, traits and last order of campaign-render-customer's columns,
// starting at column `at`.
void ReadRenderRow(Statement& q, int at, RenderData* d) {
  auto text = [&](int col) { return q.OptionalString(at + col).value_or(""); };
  d->given_name = text(0);
  d->family_name = text(1);
  d->full_name = text(2);
  d->salutation = text(3);
  d->greeting = text(4);
  d->language = text(5);
  d->city = text(6);
  d->country = text(7);
  d->gender = text(8);
  if (!q.IsNull(at + 9)) d->clv_minor = q.Int(at + 9);
  if (!q.IsNull(at + 10)) d->churn_risk = q.Double(at + 10);
  d->trait_currency = text(11);
  d->rfm_segment = text(12);
  d->best_channel = text(13);
  d->lifecycle_stage = text(14);
  d->time_zone = text(15);
  if (!q.IsNull(at + 16)) {
    d->last_order_at = Instant{q.Int(at + 16)};
    d->last_order_total_minor = q.OptionalInt(at + 17).value_or(0);
    d->last_order_currency = text(18);
  }
}

RenderData::Recommendation ReadRecommendation(Statement& q, int at) {
  RenderData::Recommendation rec;
  rec.sku = q.String(at);
  rec.name = q.String(at + 1);
  rec.price_minor = q.OptionalInt(at + 2);
  rec.currency = q.OptionalString(at + 3).value_or("");
  return rec;
}

}  // namespace

Result<RenderData> LoadRenderData(Database& db, int64_t customer_id) {
  Statement& q = db.Query("campaign-render-customer");
  q.Bind(":customer_id", customer_id);
  ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) {
    q.Reset();
    return NotFound("no customer " + std::to_string(customer_id));
  }
  RenderData d;
  d.customer_id = customer_id;
  ReadRenderRow(q, 0, &d);
  q.Reset();
  Statement& rq = db.Query("campaign-render-recommendations");
  rq.Bind(":customer_id", customer_id);
  RETURN_IF_ERROR(ScanStatement(rq, [&](Statement& r) { d.recommendations.push_back(ReadRecommendation(r, 0)); }));
  return d;
}

namespace {

// The render data of campaign `campaign_id`'s targets with ids in [first, last],
// in id order; customers erased since the campaign was prepared are absent.
Result<std::vector<RenderData>> LoadTargetsRenderData(Database& db, int64_t campaign_id, int64_t first, int64_t last) {
  std::vector<RenderData> out;
  Statement& q = db.Query("campaign-render-targets-range");
  q.Bind(":campaign_id", campaign_id).Bind(":first", first).Bind(":last", last);
  RETURN_IF_ERROR(ScanStatement(q, [&](Statement& s) {
    RenderData d;
    d.customer_id = s.Int(0);
    ReadRenderRow(s, 1, &d);
    out.push_back(std::move(d));
  }));
  Statement& rq = db.Query("campaign-render-recommendations-range");
  rq.Bind(":first", first).Bind(":last", last);
  size_t next = 0;
  RETURN_IF_ERROR(ScanStatement(rq, [&](Statement& s) {
    const int64_t id = s.Int(0);
    while (next < out.size() && out[next].customer_id < id) ++next;
    if (next == out.size() || out[next].customer_id != id) return;  // not a target
    if (out[next].recommendations.size() < kRecommendationsShown)
      out[next].recommendations.push_back(ReadRecommendation(s, 1));
  }));
  return out;
}

std::string BaseLanguage(std::string_view lang) { return AsciiLower(lang.substr(0, lang.find_first_of("-_"))); }

}  // namespace

// One content's templates, compiled once. Plain parts are not HTML-escaped.
struct MessageRenderer::Compiled {
  const Content* content = nullptr;
  std::unique_ptr<mstch::mustache> subject, text, html;
  // The names the templates refer to (first part of dotted names): only these
  // are put into a message's data, which saves most of its allocations.
  // `all_names` when the templates change delimiters and cannot be read so.
  std::set<std::string, std::less<>> names;
  bool all_names = false;
  bool Uses(std::string_view name) const { return all_names || names.find(name) != names.end(); }
};

namespace {

// Collects the variable and section names of a mustache template into `names`;
// false when it changes delimiters or uses partials (then every name counts).
bool CollectTemplateNames(std::string_view tmpl, std::set<std::string, std::less<>>* names) {
  size_t at = 0;
  while ((at = tmpl.find("{{", at)) != std::string_view::npos) {
    size_t end = tmpl.find("}}", at + 2);
    if (end == std::string_view::npos) return true;  // invalid; the compiler reports it
    std::string_view tag = tmpl.substr(at + 2, end - at - 2);
    at = end + 2;
    tag = TrimAscii(tag);
    if (tag.empty() || tag[0] == '!') continue;
    if (tag[0] == '=' || tag[0] == '>') return false;
    if (tag[0] == '#' || tag[0] == '^' || tag[0] == '/' || tag[0] == '&' || tag[0] == '{') tag.remove_prefix(1);
    if (!tag.empty() && tag.back() == '}') tag.remove_suffix(1);
    tag = TrimAscii(tag);
    tag = tag.substr(0, tag.find('.'));
    if (!tag.empty()) names->emplace(tag);
  }
  return true;
}

}  // namespace

MessageRenderer::MessageRenderer(const Campaign& c) : campaign_(c) {
  for (const Content& ct : c.contents) {
    auto compiled = std::make_unique<Compiled>();
    compiled->content = &ct;
    auto plain = [](const std::string& tmpl) {
      auto m = std::make_unique<mstch::mustache>(tmpl);
      m->set_custom_escape([](const std::string& v) { return v; });
      return m;
    };
    compiled->subject = plain(ct.subject);
    compiled->text = plain(ct.body_text);
    compiled->html = std::make_unique<mstch::mustache>(ct.body_html);
    for (const std::string* tmpl : {&ct.subject, &ct.body_text, &ct.body_html})
      if (!CollectTemplateNames(*tmpl, &compiled->names)) compiled->all_names = true;
    compiled_.push_back(std::move(compiled));
  }
}

MessageRenderer::~MessageRenderer() = default;

Result<RenderedMessage> MessageRenderer::Render(const RenderData& r, std::string_view variant,
                                                const LinkOptions& links) {
  const Campaign& c = campaign_;
  const int64_t customer_id = r.customer_id;
  // The customer's language matched as the plan matches it: by base language ("fa" for "fa-IR").
  const std::string lang_base = BaseLanguage(r.language);
  const Compiled* chosen = nullptr;
  for (const auto& ct : compiled_)
    if (!chosen && (variant.empty() || ct->content->variant == variant) && !ct->content->language.empty() &&
        BaseLanguage(ct->content->language) == lang_base)
      chosen = ct.get();
  for (const auto& ct : compiled_)
    if (!chosen && (variant.empty() || ct->content->variant == variant) && ct->content->language.empty())
      chosen = ct.get();
  if (!chosen) return NotFound("campaign \"" + c.name + "\" has no variant \"" + std::string(variant) + "\"");
  const Content& content = *chosen->content;
  const std::string language = content.language.empty() ? (r.language.empty() ? "en" : lang_base) : content.language;
  const bool rtl = IsRightToLeft(content.language.empty() ? lang_base : content.language);

  mstch::data d{mstch::data::type::object};
  const Compiled& uses = *chosen;
  auto set = [&](const char* key, const std::string& value) {
    if (!value.empty() && uses.Uses(key)) d.set(key, value);
  };
  set("given_name", r.given_name);
  set("first_name", r.given_name);
  set("family_name", r.family_name);
  set("full_name", r.full_name);
  set("salutation", r.salutation);
  set("greeting", r.greeting);
  set("city", r.city);
  set("country", r.country);
  set("gender", r.gender);
  if (r.clv_minor && uses.Uses("clv")) d.set("clv", MoneyText(*r.clv_minor, r.trait_currency));
  if (r.churn_risk && uses.Uses("churn_risk")) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%.0f%%", *r.churn_risk * 100);
    d.set("churn_risk", std::string(buf));
  }
  set("rfm_segment", r.rfm_segment);
  set("best_channel", r.best_channel);
  set("lifecycle_stage", r.lifecycle_stage);
  if (uses.Uses("name") || (r.greeting.empty() && uses.Uses("greeting"))) {
    std::string name = !r.greeting.empty()                                 ? r.greeting
                       : !r.salutation.empty() && !r.family_name.empty() ? r.salutation + " " + r.family_name
                       : !r.given_name.empty()                           ? r.given_name
                                                : FallbackName(content.language.empty() ? lang_base : content.language);
    if (uses.Uses("name")) d.set("name", name);
    if (r.greeting.empty() && uses.Uses("greeting")) d.set("greeting", name);
  }
  if (uses.Uses("coupon")) d.set("coupon", CouponCode(c.seed, c.id, customer_id));
  if (uses.Uses("campaign")) d.set("campaign", c.name);
  if (uses.Uses("language")) d.set("language", language);
  if (uses.Uses("dir")) d.set("dir", rtl ? "rtl" : "ltr");
  if (uses.Uses("recommendations")) {
    mstch::data recs{mstch::data::type::list};
    for (const auto& rec : r.recommendations) {
      mstch::data item;
      item.set("sku", rec.sku);
      item.set("name", rec.name);
      if (rec.price_minor) item.set("price", MoneyText(*rec.price_minor, rec.currency));
      recs.push_back(item);
    }
    d.set("recommendations", recs);
  }
  if (uses.Uses("has_recommendations")) d.set("has_recommendations", !r.recommendations.empty());
  if (r.last_order_at) {
    if (uses.Uses("last_order_date")) d.set("last_order_date", FormatInstant(*r.last_order_at).substr(0, 10));
    if (uses.Uses("last_order_total"))
      d.set("last_order_total", MoneyText(r.last_order_total_minor, r.last_order_currency));
  }
  std::string unsubscribe;
  if (!links.base_url.empty()) {
    unsubscribe = links.base_url + "/u/" + SignLink({c.id, customer_id, "u", ""}, links.secret);
    if (uses.Uses("unsubscribe_url")) d.set("unsubscribe_url", unsubscribe);
  }

  RenderedMessage out;
  out.variant = content.variant;
  out.language = language;
  out.dir = rtl ? "rtl" : "ltr";
  auto render = [&](mstch::mustache& m, const std::string& tmpl) -> Result<std::string> {
    if (tmpl.empty()) return std::string();
    if (!m.is_valid()) return InvalidArgument("template: " + m.error_message());
    std::string s = m.render(d);
    if (!m.is_valid()) return InvalidArgument("template: " + m.error_message());
    return s;
  };
  ASSIGN_OR_RETURN(out.subject, render(*chosen->subject, content.subject));
  for (char& ch : out.subject)
    if (ch == '\r' || ch == '\n') ch = ' ';  // a value with a line break must not end the header
  ASSIGN_OR_RETURN(out.text, render(*chosen->text, content.body_text));
  ASSIGN_OR_RETURN(out.html, render(*chosen->html, content.body_html));
  if (!out.html.empty()) out.html = DecorateHtml(std::move(out.html), c, customer_id, links, language, rtl);
  if (!unsubscribe.empty() && c.channel == Channel::kEmail && out.text.find(unsubscribe) == std::string::npos)
    out.text += "\n\n--\n" + unsubscribe + "\n";
  return out;
}

Result<RenderedMessage> RenderFor(Database& db, const Campaign& c, int64_t customer_id, const LinkOptions& links,
                                  std::string_view variant) {
  ASSIGN_OR_RETURN(RenderData data, LoadRenderData(db, customer_id));
  // The variant: the request's, else the outbox's assignment, else the first.
  std::string chosen_variant(variant);
  if (chosen_variant.empty()) {
    Statement& r = db.Query("campaign-outbox-row");
    r.Bind(":campaign_id", c.id).Bind(":customer_id", customer_id);
    ASSIGN_OR_RETURN(bool has, r.Step());
    if (has && !r.IsNull(6)) chosen_variant = r.String(6);
    r.Reset();
  }
  MessageRenderer renderer(c);
  return renderer.Render(data, chosen_variant, links);
}

namespace {

// RenderOutbox and RenderOutboxFormatted: with `format`, the workers turn each
// message into text and the sink gets that text, else the sink gets the message.
using MessageSink = std::function<Status(int64_t customer_id, const RenderedMessage&)>;
using MessageFormat = std::function<std::string(int64_t customer_id, const RenderedMessage&)>;
using TextSink = std::function<Status(int64_t customer_id, std::string_view text)>;

Result<uint64_t> RenderTargets(Database& db, const Campaign& c, const RenderAllOptions& options,
                               const MessageSink* sink, const MessageFormat* format, const TextSink* write) {
  if (c.status == "draft") return FailedPrecondition("campaign \"" + c.name + "\" is a draft; prepare it first");
  ASSIGN_OR_RETURN(auto counts, OutboxStatus(db, c));
  uint64_t total = 0;
  for (const auto& [key, n] : counts)
    if (key.rfind("target/", 0) == 0) total += n;
  if (options.limit >= 0) total = std::min<uint64_t>(total, static_cast<uint64_t>(options.limit));
  const int threads = std::max(1, options.threads);
  std::vector<std::unique_ptr<MessageRenderer>> renderers;
  for (int i = 0; i < threads; ++i) renderers.push_back(std::make_unique<MessageRenderer>(c));

  struct Item {
    int64_t customer_id = 0;
    std::string variant;
    bool erased = false;  // erased since the campaign was prepared: skipped
    Result<RenderedMessage> message = RenderedMessage{};
    std::string text;  // format's, when there is one
  };
  // Each worker reads through its own connection, so that reading the store,
  // not only rendering, runs in parallel. An in-memory store has only `db`.
  std::vector<std::unique_ptr<Database>> connections;
  const bool own_connections = !db.path().empty() && db.path() != ":memory:" && db.path().rfind("file::memory:", 0) != 0;
  std::vector<Database*> readers;
  if (own_connections) {
    for (int i = 0; i < threads; ++i) {
      ASSIGN_OR_RETURN(auto connection, Database::Open(db.path()));
      readers.push_back(connection.get());
      connections.push_back(std::move(connection));
    }
  }
  // Loads and renders items [begin, end) of `items` (ascending ids) on `reader`
  // in one read transaction, with one range read of their render data.
  auto work = [&](Database& reader, MessageRenderer& renderer, std::vector<Item>& items, size_t begin,
                  size_t end) -> Status {
    if (begin >= end) return Status::Ok();
    const bool own_read = !reader.in_transaction();
    if (own_read) RETURN_IF_ERROR(reader.BeginRead());
    auto data = LoadTargetsRenderData(reader, c.id, items[begin].customer_id, items[end - 1].customer_id);
    Status st = data.status();
    if (own_read) {
      if (st.ok()) st = reader.Commit();
      else (void)reader.Rollback();
    }
    RETURN_IF_ERROR(st);
    size_t next = 0;
    for (size_t i = begin; i < end; ++i) {
      while (next < data->size() && (*data)[next].customer_id < items[i].customer_id) ++next;
      if (next == data->size() || (*data)[next].customer_id != items[i].customer_id) {
        items[i].erased = true;
        continue;
      }
      items[i].message = renderer.Render((*data)[next], items[i].variant, options.links);
      if (format && items[i].message.ok()) {
        items[i].text = (*format)(items[i].customer_id, *items[i].message);
        items[i].message = RenderedMessage{};  // only the text is kept
      }
    }
    return Status::Ok();
  };

  constexpr int64_t kChunk = 4096;
  int64_t after = 0;
  uint64_t done = 0;
  // The next chunk of targets (ids and variants: a short range scan on this thread).
  auto next_targets = [&](std::vector<Item>* items) -> Status {
    items->clear();
    int64_t want = kChunk;
    if (options.limit >= 0) want = std::min<int64_t>(want, static_cast<int64_t>(total - done));
    if (want <= 0) return Status::Ok();
    Statement& q = db.Query("campaign-outbox-targets");
    q.Bind(":campaign_id", c.id).Bind(":after", after).Bind(":limit", want);
    while (true) {
      auto r = q.Step();
      if (!r.ok()) {
        q.Reset();
        return r.status();
      }
      if (!*r) break;
      Item item;
      item.customer_id = q.Int(0);
      item.variant = q.OptionalString(1).value_or("");
      after = item.customer_id;
      items->push_back(std::move(item));
    }
    q.Reset();
    return Status::Ok();
  };
  std::vector<Item> items;
  while (true) {
    RETURN_IF_ERROR(next_targets(&items));
    if (items.empty()) break;
    if (own_connections) {
      std::vector<Status> results(static_cast<size_t>(threads));
      std::vector<std::thread> workers;
      for (int w = 0; w < threads; ++w) {
        workers.emplace_back([&, w] {
          const size_t n = items.size(), share = static_cast<size_t>(w), parts = static_cast<size_t>(threads);
          results[share] = work(*readers[share], *renderers[share], items, n * share / parts, n * (share + 1) / parts);
        });
      }
      for (auto& t : workers) t.join();
      for (Status& st : results) RETURN_IF_ERROR(st);
    } else {
      RETURN_IF_ERROR(work(db, *renderers[0], items, 0, items.size()));
    }
    for (Item& item : items) {
      if (item.erased) continue;
      if (!item.message.ok())
        return item.message.status().WithContext("rendering for customer " + std::to_string(item.customer_id));
      if (format) RETURN_IF_ERROR((*write)(item.customer_id, item.text));
      else RETURN_IF_ERROR((*sink)(item.customer_id, *item.message));
      ++done;
    }
    if (options.progress) options.progress(done, total);
  }
  return done;
}

}  // namespace

Result<uint64_t> RenderOutbox(Database& db, const Campaign& c, const RenderAllOptions& options,
                              const std::function<Status(int64_t customer_id, const RenderedMessage&)>& sink) {
  return RenderTargets(db, c, options, &sink, nullptr, nullptr);
}

Result<uint64_t> RenderOutboxFormatted(
    Database& db, const Campaign& c, const RenderAllOptions& options,
    const std::function<std::string(int64_t customer_id, const RenderedMessage&)>& format,
    const std::function<Status(int64_t customer_id, std::string_view text)>& write) {
  return RenderTargets(db, c, options, nullptr, &format, &write);
}

namespace {

// `text` as a JSON string: quotes, backslashes and control characters escaped,
// UTF-8 passed through (the common case, at the speed of a copy).
void AppendJsonString(std::string& out, std::string_view text) {
  if (!IsValidUtf8(text)) {
    out += nlohmann::json(std::string(text)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  size_t run = 0;  // start of the bytes not yet copied
  for (size_t i = 0; i < text.size(); ++i) {
    const auto u = static_cast<unsigned char>(text[i]);
    if (u >= 0x20 && u != '"' && u != '\\') continue;
    out.append(text.data() + run, i - run);
    run = i + 1;
    switch (u) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        out += "\\u00";
        out.push_back(kHex[u >> 4]);
        out.push_back(kHex[u & 0xF]);
    }
  }
  out.append(text.data() + run, text.size() - run);
  out.push_back('"');
}

}  // namespace

std::string ProofJsonLine(int64_t customer_id, const RenderedMessage& m) {
  std::string out;
  out.reserve(96 + m.subject.size() + m.text.size() + m.html.size() + m.html.size() / 8);
  out += "{\"customer_id\":";
  out += std::to_string(customer_id);
  for (auto [key, value] : {std::pair<const char*, const std::string*>{"variant", &m.variant},
                            {"language", &m.language},
                            {"dir", &m.dir},
                            {"subject", &m.subject},
                            {"text", &m.text},
                            {"html", &m.html}}) {
    out += ",\"";
    out += key;
    out += "\":";
    AppendJsonString(out, *value);
  }
  out += "}\n";
  return out;
}

std::vector<std::pair<std::string, std::string>> SummaryOf(const RenderData& r) {
  std::vector<std::pair<std::string, std::string>> out;
  std::string name = r.full_name;
  if (name.empty()) name = r.given_name + (r.family_name.empty() ? "" : " " + r.family_name);
  out.emplace_back("name", name);
  out.emplace_back("salutation", r.salutation);
  out.emplace_back("language", r.language);
  out.emplace_back("city", r.city);
  out.emplace_back("clv_12m", r.clv_minor ? MoneyText(*r.clv_minor, r.trait_currency) : "");
  char buf[16] = "";
  if (r.churn_risk) std::snprintf(buf, sizeof buf, "%.0f%%", *r.churn_risk * 100);
  out.emplace_back("churn_risk", buf);
  out.emplace_back("segment", r.rfm_segment);
  out.emplace_back("last_order", r.last_order_at ? FormatInstant(*r.last_order_at).substr(0, 10) + " " +
                                                       MoneyText(r.last_order_total_minor, r.last_order_currency)
                                                 : std::string());
  return out;
}

}  // namespace patron::campaign
