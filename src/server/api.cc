// The REST API (/api/v1/*). Every route, with the permission it requires, is
// listed in ApiRoutes() at the end of this file: that table is the one place
// where access is declared (docs/api.md, /openapi.json).
#include <nlohmann/json.hpp>

#include <roaring/roaring.hh>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "access/access.h"
#include "engine/engine.h"
#include "identity/identity.h"
#include "ingest/import_internal.h"
#include "ingest/ingest.h"
#include "segment/segment.h"
#include "server/server_internal.h"

namespace patron::server {

using nlohmann::json;
using nlohmann::ordered_json;

constexpr int kDefaultLimit = 50;
constexpr int kMaxLimit = 500;

std::string Dump(const ordered_json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

void Audit(Context& ctx, std::string_view action, std::string_view type, const std::string& id, int64_t customer,
           const json& detail) {
  AuditRead(ctx, action, type, id, customer, detail.is_null() ? "{}" : detail.dump());
}

Status AuditNow(Context& ctx, Database& db, std::string_view action, std::string_view type, const std::string& id,
                int64_t customer, const json& detail) {
  return AuditChange(ctx, db, action, type, id, customer, detail.is_null() ? "{}" : detail.dump());
}

// ---------------------------------------------------------------------------
// Request helpers
// ---------------------------------------------------------------------------

// The JSON object in the request body, or false after answering 400 with where
// the body went wrong.
bool ParseBody(Context& ctx, json* out) {
  const std::string& body = ctx.req.body;
  size_t bad = 0;
  if (!IsValidUtf8(body, &bad)) {
    SendError(ctx.res, InvalidArgument("request body is not valid UTF-8 (byte " + std::to_string(bad) + ")"));
    return false;
  }
  try {
    *out = json::parse(body.empty() ? std::string("{}") : body);
  } catch (const json::parse_error& e) {
    SendError(ctx.res, InvalidArgument("request body is not valid JSON at byte " + std::to_string(e.byte) +
                                       ": expected a JSON object"));
    return false;
  }
  if (!out->is_object()) {
    SendError(ctx.res, InvalidArgument("request body must be a JSON object"));
    return false;
  }
  return true;
}

// A string member; false after answering 400 when it has another type.
bool StringField(Context& ctx, const json& body, const char* name, std::string* out, bool required) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) {
    if (required) {
      SendError(ctx.res, InvalidArgument(std::string(name) + " is required"), name);
      return false;
    }
    return true;
  }
  if (!it->is_string()) {
    SendError(ctx.res, InvalidArgument(std::string(name) + " must be a string, not " + it->type_name()), name);
    return false;
  }
  *out = it->get<std::string>();
  return true;
}

bool PathId(Context& ctx, std::string_view what, int64_t* id) {
  std::string text = PathText(ctx);
  if (text.empty() || text.size() > 18 || text.find_first_not_of("0123456789") != std::string::npos) {
    const bool vowel =
        !what.empty() && std::string_view("aeiou").find(what.front()) != std::string_view::npos;
    SendError(ctx.res,
              InvalidArgument("'" + std::string(Utf8Prefix(text, 40)) + "' is not " +
                              (vowel ? "an " : "a ") + std::string(what) + " id"),
              "id");
    return false;
  }
  *id = std::stoll(text);
  return true;
}

std::string PathText(Context& ctx, size_t index) {
  return ctx.req.matches.size() > index ? std::string(ctx.req.matches[index]) : "";
}

bool LimitParam(Context& ctx, int* limit) {
  *limit = kDefaultLimit;
  if (!ctx.req.has_param("limit")) return true;
  std::string v = ctx.req.get_param_value("limit");
  if (v.empty() || v.size() > 6 || v.find_first_not_of("0123456789") != std::string::npos || std::stoi(v) < 1 ||
      std::stoi(v) > kMaxLimit) {
    SendError(ctx.res, InvalidArgument("limit must be a whole number from 1 to " + std::to_string(kMaxLimit)), "limit");
    return false;
  }
  *limit = std::stoi(v);
  return true;
}

namespace {

// Opaque cursors are the last item's key, base64url-free: digits and ':' only.
bool CursorParam(Context& ctx, std::string* cursor) {
  if (!ctx.req.has_param("cursor")) return true;
  *cursor = ctx.req.get_param_value("cursor");
  if (cursor->size() > 64 || cursor->find_first_not_of("0123456789:abcdefghijklmnopqrstuvwxyz") != std::string::npos) {
    SendError(ctx.res, InvalidArgument("cursor is not one this API gave out"), "cursor");
    return false;
  }
  return true;
}

// A whole number from a cursor or parameter; nullopt when it is not one.
std::optional<int64_t> WholeNumber(std::string_view text) {
  if (text.empty() || text.size() > 18 || text.find_first_not_of("0123456789") != std::string_view::npos) {
    return std::nullopt;
  }
  return std::stoll(std::string(text));
}

bool BadCursor(Context& ctx) {
  SendError(ctx.res, InvalidArgument("cursor is not one this API gave out"), "cursor");
  return false;
}

}  // namespace

Database* DbOr503(Context& ctx) {
  auto db = ctx.state.Db();
  if (!db.ok()) {
    SendError(ctx.res, Unavailable("store not available: " + db.status().message()));
    return nullptr;
  }
  return *db;
}

bool CheckCustomer(Context& ctx, Database& db, int64_t id) {
  auto exists = CustomerExists(db, id);
  if (!exists.ok()) {
    SendError(ctx.res, exists.status());
    return false;
  }
  if (!*exists) {
    SendError(ctx.res, NotFound("no customer " + std::to_string(id)), "id");
    return false;
  }
  return true;
}

namespace {

Result<ordered_json> CustomerBrief(Database& db, int64_t id) {
  Statement& q = db.Query("server-customer-brief");
  q.Bind(":id", id);
  ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) {
    q.Reset();
    return NotFound("no customer " + std::to_string(id));
  }
  ordered_json j = {{"id", q.Int(0)}};
  const char* names[] = {"", "name", "city", "country", "email", "phone"};
  for (int c = 1; c <= 5; ++c) j[names[c]] = q.IsNull(c) ? ordered_json(nullptr) : ordered_json(q.String(c));
  q.Reset();
  return j;
}

// ---------------------------------------------------------------------------
// Customers
// ---------------------------------------------------------------------------

void SearchCustomers(Context& ctx) {
  Database* db = DbOr503(ctx);
  if (!db) return;
  int limit;
  std::string cursor;
  if (!LimitParam(ctx, &limit) || !CursorParam(ctx, &cursor)) return;
  int64_t after = 0;
  if (!cursor.empty()) {
    auto n = WholeNumber(cursor);
    if (!n) return (void)BadCursor(ctx);
    after = *n;
  }
  std::vector<int64_t> ids;
  Status s;
  if (ctx.req.has_param("email")) {
    std::string email = ctx.req.get_param_value("email");
    ingest::EmailCheck e = ingest::CheckEmail(email);
    auto found = FindCustomersByContact(*db, "email", e.valid ? ingest::CanonicalEmail(e) : email);
    if (!found.ok()) return SendError(ctx.res, found.status());
    ids = *found;
  } else if (ctx.req.has_param("phone")) {
    std::string phone = ctx.req.get_param_value("phone");
    ingest::PhoneCheck p = ingest::CheckPhone(phone, ctx.req.get_param_value("country"));
    if (!p.valid) return SendError(ctx.res, InvalidArgument("phone: " + p.reason), "phone");
    auto found = FindCustomersByContact(*db, "phone", p.e164);
    if (!found.ok()) return SendError(ctx.res, found.status());
    ids = *found;
  } else if (ctx.req.has_param("q")) {
    std::string q = ctx.req.get_param_value("q");
    if (!IsValidUtf8(q) || TrimAscii(q).size() < 2) {
      return SendError(ctx.res, InvalidArgument("q must be at least 2 characters of UTF-8 text"), "q");
    }
    // Names are compared folded (case, Arabic/Persian letter forms, diacritics),
    // as segments compare text; patron_fold is a connection function, so this
    // statement is prepared here rather than with the named queries.
    static const char* kSql =
        "SELECT id FROM customers WHERE id > ?1 AND ("
        " patron_fold(coalesce(full_name, '')) LIKE ?2 ESCAPE '\\' OR"
        " patron_fold(coalesce(given_name, '') || ' ' || coalesce(family_name, '')) LIKE ?2 ESCAPE '\\')"
        " ORDER BY id LIMIT ?3";
    std::string pattern = "%";
    for (char c : FoldForMatching(q)) {
      if (c == '%' || c == '_' || c == '\\') pattern += '\\';
      pattern += c;
    }
    pattern += '%';
    auto stmt = db->Prepare(kSql);
    if (!stmt.ok()) return SendError(ctx.res, stmt.status());
    (*stmt)->Bind(1, after).Bind(2, std::string_view(pattern)).Bind(3, int64_t{limit + 1});
    while (true) {
      auto more = (*stmt)->Step();
      if (!more.ok()) return SendError(ctx.res, more.status());
      if (!*more) break;
      ids.push_back((*stmt)->Int(0));
    }
  } else {
    Statement& page = db->Query("server-customer-page");
    page.Bind(":after", after).Bind(":limit", int64_t{limit + 1});
    while (true) {
      auto more = page.Step();
      if (!more.ok()) return SendError(ctx.res, more.status());
      if (!*more) break;
      ids.push_back(page.Int(0));
    }
  }
  ordered_json out = {{"customers", ordered_json::array()}};
  bool more = static_cast<int>(ids.size()) > limit;
  if (more) ids.resize(limit);
  for (int64_t id : ids) {
    if (id <= after) continue;
    auto brief = CustomerBrief(*db, id);
    if (brief.ok()) out["customers"].push_back(*brief);
  }
  out["next_cursor"] = more && !ids.empty() ? ordered_json(std::to_string(ids.back())) : ordered_json(nullptr);
  // Which customers were shown, by id (ids are not personal data; the values are).
  json shown = json::array();
  for (const auto& c : out["customers"]) shown.push_back(c["id"].get<int64_t>());
  Audit(ctx, "customer.search", "customer", "", 0, {{"customer_ids", shown}});
  SendJson(ctx.res, 200, Dump(out));
}

// The customer as CustomerViewJson gives it, each contact point with its
// `freshness` (the probability it still works, from when it was last verified
// or seen, at the store's decay rate: identity::MonthlyDecay) and `stale`, as
// golden records and the quality report compute them.
Result<std::string> CustomerWithFreshness(Database& db, const CustomerView& view, Instant now) {
  ASSIGN_OR_RETURN(const double monthly_decay, identity::MonthlyDecay(db));
  ordered_json out = ordered_json::parse(CustomerViewJson(view));
  out["monthly_decay"] = monthly_decay;
  auto point = out["contact_points"].begin();
  for (const ContactPointView& cp : view.contact_points) {
    const Instant seen = cp.last_verified && cp.last_verified->micros > cp.last_seen.micros
                             ? *cp.last_verified
                             : cp.last_seen;
    const double freshness = identity::StillValidProbability(seen, now, monthly_decay);
    (*point)["freshness"] = freshness;
    (*point)["stale"] = freshness < identity::kStaleFreshness;
    ++point;
  }
  return Dump(out);
}

void GetCustomer(Context& ctx) {
  int64_t id;
  if (!PathId(ctx, "customer", &id)) return;
  Database* db = DbOr503(ctx);
  if (!db || !CheckCustomer(ctx, *db, id)) return;
  auto view = ReadCustomerView(*db, id, 20);
  if (!view.ok()) return SendError(ctx.res, view.status());
  auto body = CustomerWithFreshness(*db, *view, ctx.state.clock.Now());
  if (!body.ok()) return SendError(ctx.res, body.status());
  Audit(ctx, "customer.read", "customer", std::to_string(id), id, {});
  SendJson(ctx.res, 200, *body);
}

// The profile fields a PATCH may set, each checked the way an import checks it.
Status NormalizeProfileValue(std::string_view field, const std::string& raw, std::string* value) {
  if (!IsValidUtf8(raw)) return InvalidArgument(std::string(field) + " is not valid UTF-8");
  if (raw.size() > 1000) return InvalidArgument(std::string(field) + " is longer than 1000 bytes");
  if (field == "household_size") {
    auto n = ingest::ParseInteger(raw);
    if (!n.ok() || *n < 1 || *n > 100) return InvalidArgument("household_size must be a whole number from 1 to 100");
    *value = std::to_string(*n);
  } else if (field == "gender") {
    auto g = ingest::NormalizeGender(raw);
    if (!g) return InvalidArgument("gender: '" + raw + "' is not female, male, other or unknown");
    *value = *g;
  } else if (field == "birth_date") {
    auto d = ingest::ParseDate(raw);
    if (!d.ok()) return InvalidArgument("birth_date: " + d.status().message());
    *value = d->ToString();
  } else if (field == "country") {
    auto c = ingest::NormalizeCountry(raw);
    if (!c) return InvalidArgument("country: '" + raw + "' is not a country we know");
    *value = *c;
  } else if (field == "time_zone") {
    if (!ingest::IsKnownTimeZone(raw)) return InvalidArgument("time_zone: '" + raw + "' is not an IANA time zone");
    *value = raw;
  } else {
    *value = NormalizeText(raw);
  }
  return Status::Ok();
}

void PatchCustomer(Context& ctx) {
  int64_t id;
  if (!PathId(ctx, "customer", &id)) return;
  json body;
  if (!ParseBody(ctx, &body)) return;
  // Column order of the update-customer query (?1..?18).
  static const char* kFields[] = {"given_name", "family_name",   "full_name", "salutation",    "greeting",
                                  "gender",     "birth_date",    "marital_status", "education", "income_band",
                                  "household_size", "language", "time_zone", "city",          "region",
                                  "country",    "acquisition_channel", "lifecycle_stage"};
  std::map<int, std::string> values;
  for (auto it = body.begin(); it != body.end(); ++it) {
    int index = -1;
    for (int i = 0; i < 18; ++i) {
      if (it.key() == kFields[i]) index = i;
    }
    if (index < 0) {
      return SendError(
          ctx.res, InvalidArgument("unknown field '" + std::string(Utf8Prefix(it.key(), 60)) + "'"),
          std::string(Utf8Prefix(it.key(), 60)));
    }
    std::string raw;
    if (it->is_string()) {
      raw = it->get<std::string>();
    } else if (it->is_number_integer() && it.key() == "household_size") {
      raw = std::to_string(it->get<int64_t>());
    } else {
      return SendError(ctx.res, InvalidArgument(it.key() + " must be a string, not " + it->type_name()), it.key());
    }
    std::string value;
    Status s = NormalizeProfileValue(it.key(), raw, &value);
    if (!s.ok()) return SendError(ctx.res, s, it.key());
    values[index] = value;
  }
  if (values.empty()) return SendError(ctx.res, InvalidArgument("nothing to update: give at least one profile field"));
  Database* db = DbOr503(ctx);
  if (!db || !CheckCustomer(ctx, *db, id)) return;
  Transaction tx(*db);
  Status s = tx.Begin();
  Statement& up = db->Query("update-customer");
  if (s.ok()) {
    for (int i = 0; i < 18; ++i) {
      auto v = values.find(i);
      if (v == values.end()) {
        up.BindNull(i + 1);
      } else if (i == 10) {
        up.Bind(i + 1, static_cast<int64_t>(std::stoll(v->second)));
      } else {
        up.Bind(i + 1, std::string_view(v->second));
      }
    }
    up.BindNull(19).BindNull(20).Bind(21, ctx.state.clock.Now().micros).Bind(22, id);
    s = up.Run();
  }
  json fields = json::array();
  for (const auto& [index, unused] : values) fields.push_back(kFields[index]);
  if (s.ok()) s = AuditNow(ctx, *db, "customer.update", "customer", std::to_string(id), id, {{"fields", fields}});
  if (s.ok()) s = NoteEngineInputsChanged(*db);
  if (s.ok()) s = tx.Commit();
  if (!s.ok()) return SendError(ctx.res, s);
  auto view = ReadCustomerView(*db, id, 20);
  if (!view.ok()) return SendError(ctx.res, view.status());
  auto answer = CustomerWithFreshness(*db, *view, ctx.state.clock.Now());
  if (!answer.ok()) return SendError(ctx.res, answer.status());
  SendJson(ctx.res, 200, *answer);
}

void Timeline(Context& ctx) {
  int64_t id;
  if (!PathId(ctx, "customer", &id)) return;
  int limit;
  std::string cursor;
  if (!LimitParam(ctx, &limit) || !CursorParam(ctx, &cursor)) return;
  Database* db = DbOr503(ctx);
  if (!db || !CheckCustomer(ctx, *db, id)) return;
  int64_t at = INT64_MAX, item = INT64_MAX;
  std::string kind = "zzzz";
  if (!cursor.empty()) {
    size_t a = cursor.find(':'), b = cursor.rfind(':');
    if (a == std::string::npos || a == b) return (void)BadCursor(ctx);
    auto cursor_at = WholeNumber(std::string_view(cursor).substr(0, a));
    auto cursor_item = WholeNumber(std::string_view(cursor).substr(b + 1));
    kind = cursor.substr(a + 1, b - a - 1);
    if (!cursor_at || !cursor_item || (kind != "event" && kind != "order")) return (void)BadCursor(ctx);
    at = *cursor_at;
    item = *cursor_item;
  }
  Statement& q = db->Query("server-timeline");
  q.Bind(":customer_id", id).Bind(":at", at).Bind(":kind", std::string_view(kind)).Bind(":id", item);
  q.Bind(":limit", int64_t{limit + 1});
  ordered_json items = ordered_json::array();
  std::string last;
  while (true) {
    auto more = q.Step();
    if (!more.ok()) return SendError(ctx.res, more.status());
    if (!*more) break;
    if (static_cast<int>(items.size()) == limit) {
      q.Reset();
      break;
    }
    ordered_json entry = {{"at", FormatInstant(Instant{q.Int(0)})},
                          {"kind", q.String(1)},
                          {"id", q.Int(2)},
                          {"type", q.String(3)},
                          {"detail", ordered_json::parse(q.Text(4), nullptr, false)}};
    last = std::to_string(q.Int(0)) + ":" + q.String(1) + ":" + std::to_string(q.Int(2));
    items.push_back(std::move(entry));
  }
  bool more = !last.empty() && static_cast<int>(items.size()) == limit;
  ordered_json out = {{"items", items}, {"next_cursor", more ? ordered_json(last) : ordered_json(nullptr)}};
  Audit(ctx, "customer.timeline", "customer", std::to_string(id), id, {});
  SendJson(ctx.res, 200, Dump(out));
}

void RecordConsent(Context& ctx) {
  int64_t id;
  if (!PathId(ctx, "customer", &id)) return;
  json body;
  if (!ParseBody(ctx, &body)) return;
  std::string channel, purpose = "marketing", status, method = "unknown", proof;
  if (!StringField(ctx, body, "channel", &channel, true) || !StringField(ctx, body, "purpose", &purpose) ||
      !StringField(ctx, body, "status", &status, true) || !StringField(ctx, body, "method", &method) ||
      !StringField(ctx, body, "proof", &proof)) {
    return;
  }
  static const char* kChannels[] = {"email", "sms", "phone", "mail", "push"};
  if (std::find_if(std::begin(kChannels), std::end(kChannels), [&](const char* c) { return channel == c; }) ==
      std::end(kChannels)) {
    return SendError(ctx.res, InvalidArgument("channel must be email, sms, phone, mail or push"), "channel");
  }
  if (status != "granted" && status != "withdrawn") {
    return SendError(ctx.res, InvalidArgument("status must be granted or withdrawn"), "status");
  }
  auto m = ingest::NormalizeConsentMethod(method);
  if (!m) {
    return SendError(ctx.res,
                     InvalidArgument("method must be single_opt_in, double_opt_in, written, verbal, implied or unknown"),
                     "method");
  }
  if (status == "granted" && proof.empty() && *m != "implied") {
    return SendError(ctx.res, InvalidArgument("proof is required to record a grant (what the person agreed to, where)"),
                     "proof");
  }
  if (!IsValidUtf8(purpose) || !IsValidUtf8(proof) || purpose.empty() || purpose.size() > 100 || proof.size() > 4000) {
    return SendError(ctx.res, InvalidArgument("purpose (1-100 bytes) and proof (up to 4000) must be UTF-8 text"));
  }
  Database* db = DbOr503(ctx);
  if (!db || !CheckCustomer(ctx, *db, id)) return;
  // A retired purpose (Settings, consent purposes) takes no new grants; a
  // withdrawal is still recorded, since a person may always say no.
  if (status == "granted") {
    Statement& p = db->Query("web-purpose-get");
    p.Bind(":name", NormalizeText(purpose));
    auto found = p.Step();
    bool retired = found.ok() && *found && !p.IsNull(2);
    p.Reset();
    if (!found.ok()) return SendError(ctx.res, found.status());
    if (retired) {
      return SendError(ctx.res,
                       FailedPrecondition("purpose \"" + NormalizeText(purpose) +
                                          "\" is retired: it takes no new grants (withdrawals are still recorded)"),
                       "purpose");
    }
  }
  Transaction tx(*db);
  Status s = tx.Begin();
  if (s.ok()) {
    Statement& q = db->Query("insert-consent");
    q.Bind(":customer_id", id).Bind(":channel", channel).Bind(":purpose", NormalizeText(purpose));
    q.Bind(":status", status).Bind(":recorded_at", ctx.state.clock.Now().micros).BindNull(":source_id");
    q.Bind(":method", *m).Bind(":proof", "recorded by " + ctx.caller.name + (proof.empty() ? "" : ": " + proof));
    s = q.Run();
  }
  if (s.ok()) {
    s = AuditNow(ctx, *db, status == "granted" ? "consent.grant" : "consent.withdraw", "customer", std::to_string(id),
                 id, {{"channel", channel}, {"purpose", purpose}});
  }
  if (s.ok()) s = NoteEngineInputsChanged(*db);
  if (s.ok()) s = tx.Commit();
  if (!s.ok()) return SendError(ctx.res, s);
  auto view = ReadCustomerView(*db, id, 0);
  if (!view.ok()) return SendError(ctx.res, view.status());
  ordered_json consents = ordered_json::array();
  for (const auto& c : view->consents) {
    consents.push_back({{"channel", c.channel}, {"purpose", c.purpose}, {"status", c.status}, {"method", c.method},
                        {"recorded_at", FormatInstant(c.recorded_at)}});
  }
  SendJson(ctx.res, 201, Dump({{"consents", consents}}));
}

// Adds (or confirms) an email or phone. An agent types it: an invalid value is
// refused with the validator's reason (imports keep invalid values aside; a
// person at a keyboard can correct it).
void AddContactPoint(Context& ctx) {
  int64_t id;
  if (!PathId(ctx, "customer", &id)) return;
  json body;
  if (!ParseBody(ctx, &body)) return;
  std::string kind, value, country, status = "unverified";
  if (!StringField(ctx, body, "kind", &kind, true) || !StringField(ctx, body, "value", &value, true) ||
      !StringField(ctx, body, "country", &country) || !StringField(ctx, body, "status", &status)) {
    return;
  }
  if (status != "unverified" && status != "verified") {
    return SendError(ctx.res, InvalidArgument("status must be unverified or verified"), "status");
  }
  std::string normalized, phone_type;
  if (kind == "email") {
    ingest::EmailCheck e = ingest::CheckEmail(value);
    if (!e.valid) {
      return SendError(ctx.res, InvalidArgument("email: " + e.reason +
                                                (e.suggestion.empty() ? "" : " (did you mean " + e.suggestion + "?)")),
                       "value");
    }
    normalized = ingest::CanonicalEmail(e);
  } else if (kind == "phone") {
    ingest::PhoneCheck p = ingest::CheckPhone(value, country);
    if (!p.valid) return SendError(ctx.res, InvalidArgument("phone: " + p.reason), "value");
    normalized = p.e164;
    phone_type = p.type;
  } else {
    return SendError(ctx.res, InvalidArgument("kind must be email or phone"), "kind");
  }
  Database* db = DbOr503(ctx);
  if (!db || !CheckCustomer(ctx, *db, id)) return;
  const int64_t now = ctx.state.clock.Now().micros;
  Transaction tx(*db);
  Status s = tx.Begin();
  if (s.ok()) {
    Statement& q = db->Query("insert-contact-point");
    q.Bind(":customer_id", id).Bind(":kind", kind).Bind(":value", normalized);
    q.BindOptional(":raw_value", value == normalized ? std::string_view() : std::string_view(value));
    q.BindOptional(":phone_type", std::string_view(phone_type)).BindNull(":street").BindNull(":postal_code");
    q.BindNull(":city").BindNull(":region").BindNull(":country").Bind(":status", status);
    q.BindNull(":invalid_reason").BindNull(":suggestion").BindNull(":source_id");
    if (status == "verified") {
      q.Bind(":verified_at", now);
    } else {
      q.BindNull(":verified_at");
    }
    q.BindNull(":bounced_at").Bind(":seen_at", now);
    s = q.Run();
  }
  if (s.ok()) s = AuditNow(ctx, *db, "contact_point.add", "customer", std::to_string(id), id, {{"kind", kind}});
  if (s.ok()) s = NoteEngineInputsChanged(*db);
  if (s.ok()) s = tx.Commit();
  if (!s.ok()) return SendError(ctx.res, s);
  SendJson(ctx.res, 201, Dump({{"kind", kind}, {"value", normalized}, {"status", status}}));
}

// ---------------------------------------------------------------------------
// Segments
// ---------------------------------------------------------------------------

}  // namespace

// The engine snapshot of each database file (tests run several servers in one
// process): brought up to date by deltas when the store changed, published at
// most every 100 ms while writes stream in (engine::SnapshotPublisher).
static engine::SnapshotPublisher& Snapshots(const std::string& db_path) {
  static std::mutex mu;
  static auto* publishers = new std::map<std::string, std::unique_ptr<engine::SnapshotPublisher>>();
  std::lock_guard<std::mutex> lock(mu);
  auto& publisher = (*publishers)[db_path];
  if (!publisher) publisher = std::make_unique<engine::SnapshotPublisher>(std::chrono::milliseconds(100));
  return *publisher;
}

Result<std::shared_ptr<const engine::Snapshot>> CurrentSnapshot(Context& ctx, Database& db) {
  return Snapshots(ctx.state.config.db_path).Get(db, ctx.state.clock);
}

namespace {

struct SegmentRequest {
  segment::Node node;
  segment::EvalOptions options;
  std::shared_ptr<const engine::Snapshot> snapshot;
  std::string definition;
};

// Reads {"definition": "..."} (the segment language) or {"segment": {...}}
// (its JSON form), with optional "now"; answers 400 with line and column.
bool ReadSegment(Context& ctx, Database& db, SegmentRequest* out) {
  json body;
  if (!ParseBody(ctx, &body)) return false;
  std::string now;
  if (!StringField(ctx, body, "definition", &out->definition) || !StringField(ctx, body, "now", &now)) return false;
  auto snapshot = Snapshots(ctx.state.config.db_path).Get(db, ctx.state.clock);
  if (!snapshot.ok()) {
    SendError(ctx.res, snapshot.status());
    return false;
  }
  out->snapshot = *snapshot;
  segment::Vocabulary vocabulary = segment::LoadVocabulary(db, out->snapshot.get());
  Result<segment::Node> node = InvalidArgument("give \"definition\" (segment language) or \"segment\" (JSON form)");
  if (!out->definition.empty()) {
    node = segment::Parse(out->definition, vocabulary);
  } else if (body.contains("segment")) {
    node = segment::FromJson(body["segment"].dump(), vocabulary);
  }
  if (!node.ok()) {
    SendError(ctx.res, node.status(), "definition");
    return false;
  }
  out->node = std::move(*node);
  if (out->definition.empty()) out->definition = segment::ToText(out->node);
  out->options.now = ctx.state.clock.Now();
  if (!now.empty()) {
    auto t = ParseInstant(now);
    if (!t.ok()) {
      SendError(ctx.res, t.status().WithContext("now"), "now");
      return false;
    }
    out->options.now = *t;
  }
  out->options.resolve = segment::StoreResolver(db);
  return true;
}

void CountSegment(Context& ctx) {
  Database* db = DbOr503(ctx);
  SegmentRequest r;
  if (!db || !ReadSegment(ctx, *db, &r)) return;
  auto started = std::chrono::steady_clock::now();
  auto count = segment::Count(*r.snapshot, r.node, r.options);
  if (!count.ok()) return SendError(ctx.res, count.status(), "definition");
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  SendJson(ctx.res, 200,
           Dump({{"count", *count}, {"customers", r.snapshot->customer_ids.size()}, {"definition", segment::ToText(r.node)},
                 {"ms", ms}}));
}

void ExplainSegmentRoute(Context& ctx) {
  Database* db = DbOr503(ctx);
  SegmentRequest r;
  if (!db || !ReadSegment(ctx, *db, &r)) return;
  auto e = segment::ExplainSegment(*r.snapshot, r.node, r.options);
  if (!e.ok()) return SendError(ctx.res, e.status(), "definition");
  ordered_json clauses = ordered_json::array();
  for (const auto& c : e->clauses) {
    clauses.push_back({{"clause", c.text}, {"matched", c.matched}, {"remaining", c.remaining}, {"ms", c.ms}});
  }
  SendJson(ctx.res, 200,
           Dump({{"count", e->count}, {"customers", e->total_customers}, {"clauses", clauses}, {"ms", e->ms}}));
}

void PreviewSegment(Context& ctx) {
  Database* db = DbOr503(ctx);
  SegmentRequest r;
  if (!db || !ReadSegment(ctx, *db, &r)) return;
  int limit;
  if (!LimitParam(ctx, &limit)) return;
  auto members = segment::Evaluate(*r.snapshot, r.node, r.options);
  if (!members.ok()) return SendError(ctx.res, members.status(), "definition");
  ordered_json list = ordered_json::array();
  for (uint32_t c : *members) {
    if (static_cast<int>(list.size()) >= limit) break;
    auto brief = CustomerBrief(*db, r.snapshot->customer_ids[c]);
    if (brief.ok()) list.push_back(*brief);
  }
  json shown = json::array();
  for (const auto& c : list) shown.push_back(c["id"].get<int64_t>());
  Audit(ctx, "segment.preview", "segment", "", 0, {{"customer_ids", shown}});
  SendJson(ctx.res, 200, Dump({{"count", members->cardinality()}, {"customers", list}}));
}

ordered_json SavedJson(const segment::SavedSegment& s) {
  return {{"name", s.name},
          {"definition", s.definition},
          {"description", s.description},
          {"created_at", FormatInstant(s.created_at)},
          {"updated_at", FormatInstant(s.updated_at)},
          {"last_count", s.last_count < 0 ? ordered_json(nullptr) : ordered_json(s.last_count)}};
}

void ListSavedSegments(Context& ctx) {
  Database* db = DbOr503(ctx);
  if (!db) return;
  auto list = segment::ListSegments(*db);
  if (!list.ok()) return SendError(ctx.res, list.status());
  ordered_json out = ordered_json::array();
  for (const auto& s : *list) out.push_back(SavedJson(s));
  SendJson(ctx.res, 200, Dump({{"segments", out}}));
}

void SaveSegmentRoute(Context& ctx) {
  Database* db = DbOr503(ctx);
  if (!db) return;
  std::string name = PathText(ctx);
  json body;
  if (!ParseBody(ctx, &body)) return;
  std::string definition, description;
  if (!StringField(ctx, body, "definition", &definition, true) || !StringField(ctx, body, "description", &description)) {
    return;
  }
  auto saved = segment::SaveSegment(*db, name, definition, description, ctx.state.clock);
  if (!saved.ok()) return SendError(ctx.res, saved.status(), "definition");
  (void)AuditNow(ctx, *db, "segment.save", "segment", name, 0, {});
  SendJson(ctx.res, 200, Dump(SavedJson(*saved)));
}

// Members, entries and exits per day, as `patron segment save` and `refresh`
// recorded them (docs/segments.md).
void SegmentHistoryRoute(Context& ctx) {
  Database* db = DbOr503(ctx);
  if (!db) return;
  auto saved = segment::LoadSegment(*db, PathText(ctx));
  if (!saved.ok()) return SendError(ctx.res, saved.status());
  Statement& q = db->Query("segment-history");
  q.Bind(":segment_id", saved->id);
  ordered_json days = ordered_json::array();
  while (true) {
    auto row = q.Step();
    if (!row.ok()) {
      q.Reset();
      return SendError(ctx.res, row.status());
    }
    if (!*row) break;
    days.push_back({{"day", q.String(0)}, {"members", q.Int(1)}, {"entered", q.Int(2)}, {"left", q.Int(3)}});
  }
  q.Reset();
  SendJson(ctx.res, 200, Dump({{"name", saved->name}, {"days", days}}));
}

void DeleteSegmentRoute(Context& ctx) {
  Database* db = DbOr503(ctx);
  if (!db) return;
  std::string name = PathText(ctx);
  Status s = segment::DeleteSegment(*db, name);
  if (!s.ok()) return SendError(ctx.res, s);
  (void)AuditNow(ctx, *db, "segment.delete", "segment", name, 0, {});
  ctx.res.status = 204;
}

// ---------------------------------------------------------------------------
// Imports: upload a file, watch progress
// ---------------------------------------------------------------------------

struct ImportJob {
  int64_t id = 0;
  std::string kind, source, file;
  std::atomic<uint64_t> done{0}, total{0};
  std::atomic<int> state{0};  // 0 running, 1 finished, 2 failed
  std::mutex mu;
  std::string report_json, error;
};

class ImportJobs {
 public:
  std::shared_ptr<ImportJob> Add(std::shared_ptr<ImportJob> job) {
    std::lock_guard<std::mutex> lock(mu_);
    job->id = ++next_id_;
    jobs_[job->id] = job;
    return job;
  }
  std::shared_ptr<ImportJob> Find(int64_t id) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = jobs_.find(id);
    return it == jobs_.end() ? nullptr : it->second;
  }

 private:
  std::mutex mu_;
  int64_t next_id_ = 0;
  std::map<int64_t, std::shared_ptr<ImportJob>> jobs_;
};

ImportJobs& Jobs() {
  static ImportJobs* jobs = new ImportJobs();
  return *jobs;
}

ordered_json JobJson(const ImportJob& job) {
  uint64_t done = job.done.load(), total = job.total.load();
  int state = job.state.load();
  ordered_json j = {{"id", job.id},
                    {"kind", job.kind},
                    {"source", job.source},
                    {"status", state == 0 ? "running" : state == 1 ? "finished" : "failed"},
                    {"progress",
                     {{"bytes_done", done},
                      {"bytes_total", total},
                      {"percent", total ? std::min(100.0, 100.0 * static_cast<double>(done) / total) : 0.0}}}};
  std::lock_guard<std::mutex> lock(const_cast<std::mutex&>(job.mu));
  if (!job.report_json.empty()) j["report"] = ordered_json::parse(job.report_json, nullptr, false);
  if (!job.error.empty()) j["error"] = job.error;
  return j;
}

void StartImport(Context& ctx) {
  std::string kind = ctx.req.get_param_value("kind"), source = ctx.req.get_param_value("source");
  std::string format = ctx.req.get_param_value("format");
  auto parsed_kind = ingest::ParseEntityKind(kind);
  if (!parsed_kind.ok()) return SendError(ctx.res, parsed_kind.status(), "kind");
  if (source.empty() || source.size() > 100 || !IsValidUtf8(source)) {
    return SendError(ctx.res, InvalidArgument("source is required: where the data comes from (e.g. crm)"), "source");
  }
  if (format.empty()) format = "csv";
  if (format != "csv" && format != "jsonl") return SendError(ctx.res, InvalidArgument("format must be csv or jsonl"), "format");
  // ?map=COLUMN=FIELD (repeatable), as the CLI's --map: FIELD empty ignores the column.
  std::map<std::string, std::string> column_map;
  for (size_t i = 0, n = ctx.req.get_param_value_count("map"); i < n; ++i) {
    std::string m = ctx.req.get_param_value("map", i);
    size_t eq = m.find('=');
    if (eq == std::string::npos || eq == 0 || !IsValidUtf8(m)) {
      return SendError(
          ctx.res,
          InvalidArgument("map '" + std::string(Utf8Prefix(m, 100)) +
                          "': expected COLUMN=FIELD (FIELD may be empty to ignore the column)"),
          "map");
    }
    column_map[m.substr(0, eq)] = m.substr(eq + 1);
  }
  // ?as_of=DATE, as the CLI's --as-of: when the source's data was current.
  std::optional<Instant> as_of;
  if (ctx.req.has_param("as_of")) {
    auto parsed = ingest::ParseTimestamp(ctx.req.get_param_value("as_of"));
    if (!parsed.ok()) return SendError(ctx.res, parsed.status(), "as_of");
    if (parsed->micros > ctx.state.clock.Now().micros + 86'400'000'000) {
      return SendError(
          ctx.res,
          InvalidArgument("as_of is in the future: it is when the source's data was current"),
          "as_of");
    }
    as_of = *parsed;
  }
  // The upload goes to a file beside the database; the import reads it as the
  // CLI would, with the same reject file and report.
  std::filesystem::path dir = std::filesystem::path(ctx.state.config.db_path).parent_path() / "uploads";
  std::error_code ec;
  std::filesystem::create_directories(dir.empty() ? "uploads" : dir, ec);
  auto job = std::make_shared<ImportJob>();
  job->kind = kind;
  job->source = source;
  job = Jobs().Add(job);
  job->file = ((dir.empty() ? std::filesystem::path("uploads") : dir) /
               ("import-" + std::to_string(ctx.state.clock.Now().micros) + "-" + std::to_string(job->id) + "." + format))
                  .string();
  {
    std::ofstream out(job->file, std::ios::binary);
    if (!out) return SendError(ctx.res, IoError("cannot store the upload"));
    bool too_large = false;
    size_t received = 0;
    const size_t limit = ctx.state.config.max_upload_bytes;
    (*ctx.reader)([&](const char* data, size_t length) {
      received += length;
      if (received > limit) {
        too_large = true;
        return false;
      }
      out.write(data, static_cast<std::streamsize>(length));
      return static_cast<bool>(out);
    });
    ctx.bytes_in = received;
    ctx.body_read = !too_large;
    if (too_large || !out) {
      out.close();
      std::filesystem::remove(job->file, ec);
      job->state = 2;
      job->error = too_large ? "upload larger than max_upload" : "cannot store the upload";
      ctx.res.set_header("Connection", "close");
      return SendError(ctx.res, Status(StatusCode::kResourceExhausted, job->error));
    }
  }
  ingest::ImportOptions options;
  options.kind = *parsed_kind;
  options.path = job->file;
  options.source_name = source;
  options.default_country = ctx.req.get_param_value("default_country");
  if (ctx.req.has_param("currency")) options.default_currency = ctx.req.get_param_value("currency");
  options.dry_run = ctx.req.get_param_value("dry_run") == "true";
  options.as_of = as_of;
  options.column_map = std::move(column_map);
  std::string db_path = ctx.state.config.db_path;
  const Clock* clock = &ctx.state.clock;
  std::thread([job, options, db_path, clock]() mutable {
    options.progress = [job](uint64_t done, uint64_t total) {
      job->done = done;
      job->total = total;
    };
    auto db = Database::Open(db_path);
    Result<ingest::ImportReport> report = db.ok() ? ingest::ImportFile(**db, options, *clock)
                                                  : Result<ingest::ImportReport>(db.status());
    std::lock_guard<std::mutex> lock(job->mu);
    if (report.ok()) {
      job->report_json = report->ToJson();
      job->done = job->total.load();
      job->state = 1;
    } else {
      job->error = report.status().message();
      job->state = 2;
    }
  }).detach();
  Audit(ctx, "import.start", "import", std::to_string(job->id), 0, {{"kind", kind}, {"source", source}});
  ctx.res.set_header("Location", "/api/v1/imports/" + std::to_string(job->id));
  SendJson(ctx.res, 202, Dump(JobJson(*job)));
}

void GetImport(Context& ctx) {
  int64_t id;
  if (!PathId(ctx, "import", &id)) return;
  auto job = Jobs().Find(id);
  if (!job) return SendError(ctx.res, NotFound("no import " + std::to_string(id) + " since the server started"));
  SendJson(ctx.res, 200, Dump(JobJson(*job)));
}

// ---------------------------------------------------------------------------
// Store-wide
// ---------------------------------------------------------------------------

void Stats(Context& ctx) {
  Database* db = DbOr503(ctx);
  if (!db) return;
  auto s = ReadStats(*db);
  if (!s.ok()) return SendError(ctx.res, s.status());
  ordered_json j = {{"customers", s->customers},   {"accounts", s->accounts}, {"products", s->products},
                    {"orders", s->orders},         {"order_lines", s->order_lines}, {"events", s->events},
                    {"sources", s->sources},       {"consents_granted", s->consents_granted},
                    {"consents_withdrawn", s->consents_withdrawn}, {"contact_points", s->contact_points}};
  SendJson(ctx.res, 200, Dump(j));
}

// ---------------------------------------------------------------------------
// Privacy (R28)
// ---------------------------------------------------------------------------

void ExportCustomerRoute(Context& ctx) {
  int64_t id;
  if (!PathId(ctx, "customer", &id)) return;
  Database* db = DbOr503(ctx);
  if (!db || !CheckCustomer(ctx, *db, id)) return;
  auto doc = access::ExportCustomer(*db, id);
  if (!doc.ok()) return SendError(ctx.res, doc.status());
  Status s = AuditNow(ctx, *db, "customer.export", "customer", std::to_string(id), id, {});
  if (!s.ok()) return SendError(ctx.res, s);
  ctx.res.set_header("Content-Disposition", "attachment; filename=\"customer-" + std::to_string(id) + ".json\"");
  SendJson(ctx.res, 200, *doc);
}

ordered_json PlanJson(const access::ErasurePlan& plan) {
  return {{"customer_ids", plan.customer_ids},
          {"rows", plan.rows},
          {"identifiers", plan.identifiers},
          {"sharing_records", plan.sharing_records}};
}

// DELETE erases; with ?dry_run=true it only says what would go.
void EraseCustomerRoute(Context& ctx) {
  int64_t id;
  if (!PathId(ctx, "customer", &id)) return;
  Database* db = DbOr503(ctx);
  if (!db || !CheckCustomer(ctx, *db, id)) return;
  if (ctx.req.get_param_value("dry_run") == "true") {
    auto plan = access::PlanErasure(*db, id);
    if (!plan.ok()) return SendError(ctx.res, plan.status());
    return SendJson(ctx.res, 200, Dump({{"dry_run", true}, {"plan", PlanJson(*plan)}}));
  }
  auto plan = access::EraseCustomer(*db, ctx.state.clock, id, ctx.caller.name, ctx.req.remote_addr);
  if (!plan.ok()) return SendError(ctx.res, plan.status());
  ctx.state.collector->InvalidateCaches();  // it may hold the erased records' ids
  SendJson(ctx.res, 200, Dump({{"erased", true}, {"plan", PlanJson(*plan)}}));
}

// ---------------------------------------------------------------------------
// Sessions, users, keys, audit
// ---------------------------------------------------------------------------

constexpr std::chrono::hours kSessionTtl{12};

// Password guessing: after kMaxFailures failed sign-ins from one address within
// a minute, that address gets 429 until the minute is over.
class SignInThrottle {
 public:
  static constexpr int kMaxFailures = 10;
  bool Blocked(const std::string& address, Instant now) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = failures_.find(address);
    if (it == failures_.end()) return false;
    if (now.micros - it->second.first.micros > 60'000'000) {
      failures_.erase(it);
      return false;
    }
    return it->second.second >= kMaxFailures;
  }
  void Failed(const std::string& address, Instant now) {
    std::lock_guard<std::mutex> lock(mu_);
    if (failures_.size() > 100000) failures_.clear();
    auto& [since, count] = failures_[address];
    if (count == 0 || now.micros - since.micros > 60'000'000) {
      since = now;
      count = 0;
    }
    ++count;
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::pair<Instant, int>> failures_;
};

// The permissions of a role, by name: the web application hides what the
// server would refuse (the server still checks every request).
ordered_json PermissionsOf(access::Role role) {
  ordered_json out = ordered_json::array();
  for (access::Permission permission : access::kAllPermissions) {
    if (access::RoleAllows(role, permission)) out.push_back(std::string(access::PermissionName(permission)));
  }
  return out;
}

SignInThrottle& Throttle() {
  static auto* throttle = new SignInThrottle();
  return *throttle;
}

void SignIn(Context& ctx) {
  // Login CSRF: a cross-site page must not sign a browser in as someone else.
  if (Status origin = CheckSameOrigin(ctx.req); !origin.ok()) return SendError(ctx.res, origin);
  json body;
  if (!ParseBody(ctx, &body)) return;
  std::string name, password;
  if (!StringField(ctx, body, "name", &name, true) || !StringField(ctx, body, "password", &password, true)) return;
  const Instant now = ctx.state.clock.Now();
  if (Throttle().Blocked(ctx.req.remote_addr, now)) {
    ctx.res.set_header("Retry-After", "60");
    return SendError(ctx.res, Status(StatusCode::kResourceExhausted, "too many failed sign-ins; wait a minute"));
  }
  Database* db = DbOr503(ctx);
  if (!db) return;
  auto principal = access::Authenticate(*db, ctx.state.clock, name, password);
  if (!principal.ok()) {
    Throttle().Failed(ctx.req.remote_addr, now);
    Audit(ctx, "session.failed", "user", "", 0, {{"reason", ErrorCode(principal.status().code())}});
    return SendError(ctx.res, principal.status());
  }
  auto token = access::CreateSession(*db, ctx.state.clock, principal->user_id, kSessionTtl);
  if (!token.ok()) return SendError(ctx.res, token.status());
  ctx.caller.name = access::ActorName(*principal);
  (void)AuditNow(ctx, *db, "session.start", "user", std::to_string(principal->user_id), 0, {});
  const std::string secure = SecureCookies(ctx.state.config, ctx.req) ? "; Secure" : "";
  ctx.res.set_header("Set-Cookie", std::string(kSessionCookie) + "=" + *token +
                                       "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" +
                                       std::to_string(std::chrono::seconds(kSessionTtl).count()) + secure);
  SendJson(ctx.res, 201,
           Dump({{"token", *token},
                 {"user", principal->name},
                 {"role", access::RoleName(principal->role)},
                 {"csrf_token", CsrfTokenFor(*token)},
                 {"permissions", PermissionsOf(principal->role)}}));
}

void SignOut(Context& ctx) {
  Database* db = DbOr503(ctx);
  if (!db) return;
  std::string auth = ctx.req.get_header_value("Authorization");
  std::string token = auth.size() > 7 ? std::string(TrimAscii(auth.substr(7))) : "";
  std::string cookie = ctx.req.get_header_value("Cookie");
  size_t at = cookie.find(std::string(kSessionCookie) + "=");
  if (token.empty() && at != std::string::npos) {
    token = cookie.substr(at + kSessionCookie.size() + 1, 64);
  }
  Status s = access::EndSession(*db, token);
  if (!s.ok()) return SendError(ctx.res, s);
  const std::string secure = SecureCookies(ctx.state.config, ctx.req) ? "; Secure" : "";
  ctx.res.set_header("Set-Cookie",
                     std::string(kSessionCookie) + "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0" + secure);
  ctx.res.status = 204;
}

void Me(Context& ctx) {
  ordered_json me = {{"actor", ctx.caller.name},
                     {"role", ctx.caller.role},
                     {"user_id", ctx.caller.user_id},
                     {"key_id", ctx.caller.key_id}};
  if (auto role = access::ParseRole(ctx.caller.role); role.ok()) me["permissions"] = PermissionsOf(*role);
  // The web application sends this back in X-CSRF-Token (auth.cc).
  if (!ctx.caller.csrf_token.empty()) me["csrf_token"] = ctx.caller.csrf_token;
  SendJson(ctx.res, 200, Dump(me));
}

void ListUsersRoute(Context& ctx) {
  Database* db = DbOr503(ctx);
  if (!db) return;
  auto users = access::ListUsers(*db);
  if (!users.ok()) return SendError(ctx.res, users.status());
  ordered_json out = ordered_json::array();
  for (const auto& u : *users) {
    out.push_back({{"id", u.id},
                   {"name", u.name},
                   {"role", access::RoleName(u.role)},
                   {"created_at", FormatInstant(u.created_at)},
                   {"last_login_at", u.last_login_at ? ordered_json(FormatInstant(*u.last_login_at)) : ordered_json()},
                   {"disabled", u.disabled_at.has_value()}});
  }
  SendJson(ctx.res, 200, Dump({{"users", out}}));
}

void CreateUserRoute(Context& ctx) {
  json body;
  if (!ParseBody(ctx, &body)) return;
  std::string name, role_name, password;
  if (!StringField(ctx, body, "name", &name, true) || !StringField(ctx, body, "role", &role_name, true) ||
      !StringField(ctx, body, "password", &password, true)) {
    return;
  }
  auto role = access::ParseRole(role_name);
  if (!role.ok()) return SendError(ctx.res, role.status(), "role");
  Database* db = DbOr503(ctx);
  if (!db) return;
  auto user = access::CreateUser(*db, ctx.state.clock, name, *role, password);
  if (!user.ok()) return SendError(ctx.res, user.status(), user.status().message().find("password") != std::string::npos ? "password" : "name");
  (void)AuditNow(ctx, *db, "user.create", "user", std::to_string(user->id), 0, {{"role", role_name}});
  SendJson(ctx.res, 201, Dump({{"id", user->id}, {"name", user->name}, {"role", role_name}}));
}

void ListKeysRoute(Context& ctx) {
  Database* db = DbOr503(ctx);
  if (!db) return;
  auto keys = access::ListApiKeys(*db);
  if (!keys.ok()) return SendError(ctx.res, keys.status());
  ordered_json out = ordered_json::array();
  for (const auto& k : *keys) {
    out.push_back({{"id", k.id},
                   {"name", k.name},
                   {"role", access::RoleName(k.role)},
                   {"prefix", k.prefix},
                   {"created_by", k.created_by},
                   {"created_at", FormatInstant(k.created_at)},
                   {"last_used_at", k.last_used_at ? ordered_json(FormatInstant(*k.last_used_at)) : ordered_json()},
                   {"revoked", k.revoked_at.has_value()}});
  }
  SendJson(ctx.res, 200, Dump({{"keys", out}}));
}

void CreateKeyRoute(Context& ctx) {
  json body;
  if (!ParseBody(ctx, &body)) return;
  std::string name, role_name;
  if (!StringField(ctx, body, "name", &name, true) || !StringField(ctx, body, "role", &role_name, true)) return;
  auto role = access::ParseRole(role_name);
  if (!role.ok()) return SendError(ctx.res, role.status(), "role");
  Database* db = DbOr503(ctx);
  if (!db) return;
  auto key = access::CreateApiKey(*db, ctx.state.clock, name, *role, ctx.caller.name);
  if (!key.ok()) return SendError(ctx.res, key.status(), "name");
  (void)AuditNow(ctx, *db, "key.create", "key", std::to_string(key->key.id), 0, {{"role", role_name}});
  SendJson(ctx.res, 201,
           Dump({{"id", key->key.id},
                 {"name", key->key.name},
                 {"role", role_name},
                 {"key", key->plain},
                 {"note", "the key is shown once; store it now"}}));
}

void RevokeKeyRoute(Context& ctx) {
  int64_t id;
  if (!PathId(ctx, "key", &id)) return;
  Database* db = DbOr503(ctx);
  if (!db) return;
  Status s = access::RevokeApiKey(*db, ctx.state.clock, id);
  if (!s.ok()) return SendError(ctx.res, s);
  ctx.state.keys.Invalidate();
  (void)AuditNow(ctx, *db, "key.revoke", "key", std::to_string(id), 0, {});
  ctx.res.status = 204;
}

void AuditRoute(Context& ctx) {
  int limit;
  std::string cursor;
  if (!LimitParam(ctx, &limit) || !CursorParam(ctx, &cursor)) return;
  access::AuditFilter f;
  f.limit = limit;
  f.actor = ctx.req.get_param_value("actor");
  f.action_prefix = ctx.req.get_param_value("action");
  if (!cursor.empty()) {
    auto n = WholeNumber(cursor);
    if (!n) return (void)BadCursor(ctx);
    f.before_id = *n;
  }
  std::string customer = ctx.req.get_param_value("customer_id");
  if (!customer.empty()) {
    auto n = WholeNumber(customer);
    if (!n) return SendError(ctx.res, InvalidArgument("customer_id must be a number"), "customer_id");
    f.customer_id = *n;
  }
  for (const char* name : {"since", "until"}) {
    std::string v = ctx.req.get_param_value(name);
    if (v.empty()) continue;
    auto t = ParseInstant(v);
    if (!t.ok()) return SendError(ctx.res, t.status().WithContext(name), name);
    (std::string(name) == "since" ? f.since : f.until) = *t;
  }
  Database* db = DbOr503(ctx);
  if (!db) return;
  auto entries = access::QueryAudit(*db, f);
  if (!entries.ok()) return SendError(ctx.res, entries.status());
  ordered_json out = ordered_json::array();
  for (const auto& e : *entries) {
    out.push_back({{"id", e.id},
                   {"at", FormatInstant(e.at)},
                   {"actor", e.actor},
                   {"action", e.action},
                   {"target_type", e.target_type},
                   {"target_id", e.target_id},
                   {"customer_id", e.customer_id ? ordered_json(*e.customer_id) : ordered_json()},
                   {"origin", e.origin},
                   {"detail", e.detail.empty() ? ordered_json::object() : ordered_json::parse(e.detail, nullptr, false)}});
  }
  bool more = static_cast<int>(entries->size()) == limit;
  SendJson(ctx.res, 200,
           Dump({{"entries", out},
                 {"next_cursor", more ? ordered_json(std::to_string(entries->back().id)) : ordered_json()}}));
}

// The data-quality report. Examples of invalid values are personal data: they
// are shown only to callers who may read it.
void QualityRoute(Context& ctx) {
  Database* db = DbOr503(ctx);
  if (!db) return;
  identity::QualityOptions options;
  options.now = ctx.state.clock.Now();
  auto decay = identity::MonthlyDecay(*db);  // learnt and saved, else the default
  if (!decay.ok()) return SendError(ctx.res, decay.status());
  options.monthly_decay = *decay;
  auto role = access::ParseRole(ctx.caller.role);
  if (!role.ok() || !access::RoleAllows(*role, access::Permission::kReadPersonalData)) options.examples = 0;
  auto report = identity::BuildQualityReport(*db, options);
  if (!report.ok()) return SendError(ctx.res, report.status());
  SendJson(ctx.res, 200, identity::QualityReportJson(*report));
}

}  // namespace

std::vector<RouteSpec> ApiRoutes() {
  return {
      {"GET", "/api/v1/customers", "read_personal_data",
       "Search customers by email, phone or name (q), or list them; cursor pagination.", SearchCustomers},
      {"GET", "/api/v1/customers/{id}", "read_personal_data", "The one customer view.", GetCustomer},
      {"PATCH", "/api/v1/customers/{id}", "write_customers", "Update profile fields (checked as an import checks them).",
       PatchCustomer},
      {"GET", "/api/v1/customers/{id}/timeline", "read_personal_data",
       "Everything the customer did and bought, newest first.", Timeline},
      {"POST", "/api/v1/customers/{id}/contact-points", "write_customers",
       "Add or confirm an email or phone (validated; invalid values are refused with the reason).", AddContactPoint},
      {"POST", "/api/v1/customers/{id}/consents", "manage_consents", "Record a consent grant or withdrawal with proof.",
       RecordConsent},
      {"POST", "/api/v1/segments/count", "read_segments", "How many customers match a segment.", CountSegment},
      {"POST", "/api/v1/segments/explain", "read_segments", "How each clause of a segment narrows the audience.",
       ExplainSegmentRoute},
      {"POST", "/api/v1/segments/preview", "read_personal_data", "The first customers a segment selects.",
       PreviewSegment},
      {"GET", "/api/v1/segments", "read_segments", "Saved segments.", ListSavedSegments},
      {"PUT", "/api/v1/segments/{name}", "manage_segments", "Save (or replace) a named segment.", SaveSegmentRoute},
      {"DELETE", "/api/v1/segments/{name}", "manage_segments", "Delete a saved segment.", DeleteSegmentRoute},
      {"GET", "/api/v1/segments/{name}/history", "read_segments",
       "Membership over time: members, entries and exits per day.", SegmentHistoryRoute},
      {"POST", "/api/v1/imports", "import_data", "Upload a CSV or JSON Lines file and import it in the background.",
       StartImport, true},
      {"GET", "/api/v1/imports/{id}", "import_data", "An import's progress and, when done, its report.", GetImport},
      {"GET", "/api/v1/stats", "read_reports", "Counts of everything in the store.", Stats},
      {"GET", "/api/v1/quality", "read_reports",
       "Data quality: completeness, validity and freshness by source, duplicates, invalid values.", QualityRoute},
      {"GET", "/api/v1/customers/{id}/export", "export_customer", "Everything held about one person (R28), as JSON.",
       ExportCustomerRoute},
      {"DELETE", "/api/v1/customers/{id}", "erase_customer",
       "Erase a person everywhere, keeping hashed tombstones (?dry_run=true shows what would go).", EraseCustomerRoute},
      {"POST", "/api/v1/sessions", "", "Sign in with name and password; sets the session cookie.", SignIn},
      {"DELETE", "/api/v1/sessions", "signed_in", "Sign out (ends the session).", SignOut},
      {"GET", "/api/v1/me", "signed_in", "Who is asking, and their role.", Me},
      {"GET", "/api/v1/users", "manage_users", "Users and their roles.", ListUsersRoute},
      {"POST", "/api/v1/users", "manage_users", "Create a user (password hashed with argon2id).", CreateUserRoute},
      {"GET", "/api/v1/keys", "manage_keys", "API and write keys (prefixes only).", ListKeysRoute},
      {"POST", "/api/v1/keys", "manage_keys", "Create a key; the key is in this answer only.", CreateKeyRoute},
      {"DELETE", "/api/v1/keys/{id}", "manage_keys", "Revoke a key.", RevokeKeyRoute},
      {"GET", "/api/v1/audit", "read_audit", "The audit log, newest first; filters and cursor pagination.", AuditRoute},
  };
}

}  // namespace patron::server
