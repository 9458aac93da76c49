// The Collector: one writer thread, group commit, messageId de-duplication.
//
// Requests (many HTTP threads) append their parsed messages to a queue and wait.
// The writer takes everything queued (up to max_messages_per_commit), applies it
// in one SQLite transaction and only then wakes the waiting requests, which
// answer 200. One fsync-free WAL commit (synchronous=NORMAL) per group makes an
// acknowledged message survive a process crash; synchronous_full survives power
// loss too. Every message is also an events row keyed by (source, messageId),
// so a retried message is recognised and its side effects are not repeated.
#include <simdjson.h>

#include <cmath>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "access/access.h"
#include "collect/collect.h"
#include "collect/collect_internal.h"
#include "ingest/import_internal.h"
#include "ingest/ingest.h"
#include "store/store.h"

namespace patron::collect {
namespace {

using simdjson::dom::element;
using simdjson::dom::object;

constexpr size_t kCacheLimit = 2'000'000;
constexpr std::string_view kAnonPrefix = "anon:";

struct Pending {
  std::string source;
  ParsedRequest request;
  std::promise<Status> done;
};

// JSON helpers over simdjson elements.
std::string_view StringAt(const object& obj, std::string_view key) {
  element v;
  if (obj.at_key(key).get(v) != simdjson::SUCCESS || !v.is_string()) return {};
  return TrimAscii(v.get_string().value_unsafe());
}

// A number or a numeric string as text ("12.5"); empty when absent.
std::string NumberTextAt(const object& obj, std::string_view key) {
  element v;
  if (obj.at_key(key).get(v) != simdjson::SUCCESS) return {};
  if (v.is_string()) return std::string(TrimAscii(v.get_string().value_unsafe()));
  if (v.is_number()) return simdjson::to_string(v);
  return {};
}

// An id given as a string or a number.
std::string IdAt(const object& obj, std::string_view key) {
  element v;
  if (obj.at_key(key).get(v) != simdjson::SUCCESS) return {};
  if (v.is_string()) return std::string(TrimAscii(v.get_string().value_unsafe()));
  if (v.is_int64() || v.is_uint64()) return simdjson::to_string(v);
  return {};
}

std::optional<int64_t> AmountMinor(const object& obj, std::string_view key, int digits) {
  element v;
  if (obj.at_key(key).get(v) != simdjson::SUCCESS) return std::nullopt;
  if (v.is_number()) {
    double d = v.get_double().value_unsafe();
    if (!std::isfinite(d) || std::fabs(d) > 1e15) return std::nullopt;
    return static_cast<int64_t>(std::llround(d * std::pow(10.0, digits)));
  }
  if (v.is_string()) {
    auto r = ingest::ParseAmountMinor(v.get_string().value_unsafe(), digits);
    if (r.ok()) return *r;
  }
  return std::nullopt;
}

// Event names repeat: normalise each distinct name once (NFC through ICU is the
// costliest step of storing an event otherwise).
const std::string& NormalizedName(const std::string& name) {
  thread_local std::unordered_map<std::string, std::string> cache;
  auto it = cache.find(name);
  if (it != cache.end()) return it->second;
  if (cache.size() > 10000) cache.clear();
  return cache.emplace(name, NormalizeText(name)).first->second;
}

std::string StoredType(const Message& m) {
  switch (m.type) {
    case CallType::kTrack: return NormalizedName(m.event);
    case CallType::kPage:
    case CallType::kScreen: {
      std::string base(CallTypeName(m.type));
      return m.name.empty() ? base : base + ":" + NormalizeText(m.name);
    }
    default: return std::string(CallTypeName(m.type));
  }
}

// The events row's properties: what the call carried (properties, or traits for
// identify and group) with the call's context under "context".
std::string StoredProperties(const Message& m) {
  std::string body;
  switch (m.type) {
    case CallType::kIdentify: body = m.traits; break;
    case CallType::kGroup: {
      body = m.traits;
      std::string id = "\"groupId\":" + JsonQuote(m.group_id);
      body = body.size() <= 2 ? "{" + id + "}" : "{" + id + "," + body.substr(1);
      break;
    }
    case CallType::kAlias: body = "{\"previousId\":" + JsonQuote(m.previous_id) + "}"; break;
    default: body = m.properties; break;
  }
  if (m.context.size() > 2 && body.find("\"context\"") == std::string::npos) {
    body = body.size() <= 2 ? "{\"context\":" + m.context + "}"
                            : body.substr(0, body.size() - 1) + ",\"context\":" + m.context + "}";
  }
  return body;
}


// Applies messages to the store inside the writer's transaction. Owns the
// caches of key -> id look-ups; they hold only committed or current-transaction
// state and are dropped whenever a transaction rolls back.
class MessageStore {
 public:
  MessageStore(Database& db, const Clock& clock) : db_(db), clock_(clock) {}

  void ClearCaches() {
    customers_.clear();
    merged_into_.clear();
    devices_seen_.clear();
    accounts_.clear();
    catalog_.Clear();
    sources_.clear();
    other_sources_.clear();
  }

  Result<int64_t> SourceId(const std::string& name) {
    auto it = sources_.find(name);
    if (it != sources_.end()) return it->second;
    Statement& q = db_.Query("upsert-source");
    q.Bind(":name", name).Bind(":kind", "internal").BindNull(":vendor").BindNull(":cost_minor");
    q.BindNull(":currency").BindNull(":acquired_at").Bind(":consent_basis", "collected by the website or app");
    q.BindNull(":explicit_kind").Bind(":now", now_.micros);
    ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) return Internal("upsert-source returned no id");
    int64_t id = q.Int(0);
    q.Reset();
    sources_.emplace(name, id);
    return id;
  }

  // Starts a group of messages. The tombstones of erased people are reloaded
  // every minute (an erasure by another process) or when `reload` (one by this
  // server).
  Status BeginGroup(bool reload) {
    now_ = clock_.Now();
    if (reload || !tombstones_ || now_.micros - tombstones_at_.micros > 60'000'000) {
      ASSIGN_OR_RETURN(access::TombstoneChecker checker, access::TombstoneChecker::Load(db_));
      tombstones_ = std::move(checker);
      tombstones_at_ = now_;
      other_sources_.clear();  // sources an import added meanwhile are probed too
    }
    return Status::Ok();
  }

  enum class Outcome { kStored, kDuplicate, kErased };

  Result<Outcome> Apply(int64_t source_id, const Message& m, CollectorStats* stats) {
    ASSIGN_OR_RETURN(bool erased, IsErased(source_id, m));
    if (erased) return Outcome::kErased;
    ASSIGN_OR_RETURN(bool stored, Store(source_id, m, stats));
    return stored ? Outcome::kStored : Outcome::kDuplicate;
  }

  Status StoreReject(int64_t source_id, const Rejected& r) {
    Statement& q = db_.Query("collect-insert-reject");
    q.Bind(":received_at", now_.micros).Bind(":source_id", source_id).Bind(":reason", r.reason);
    q.Bind(":message", r.raw);
    return q.Run();
  }

 private:
  // A message about a person who was erased (R28) is not stored: their ids and
  // email are tombstones, and the message would bring them back.
  Result<bool> IsErased(int64_t source_id, const Message& m) {
    if (!tombstones_ || tombstones_->empty()) return false;
    using access::IdentifierKind;
    if (!m.anonymous_id.empty() &&
        tombstones_->IsErased(IdentifierKind::kSourceKey, std::string(kAnonPrefix) + m.anonymous_id, source_id)) {
      return true;
    }
    if (!m.user_id.empty()) {
      if (tombstones_->IsErased(IdentifierKind::kSourceKey, m.user_id, source_id)) return true;
      RETURN_IF_ERROR(LoadOtherSources());
      for (int64_t other : other_sources_) {
        if (tombstones_->IsErased(IdentifierKind::kSourceKey, m.user_id, other)) return true;
      }
    }
    if (m.type == CallType::kIdentify && m.traits.size() > 2) {
      element root;
      if (scratch_.parse(m.traits).get(root) == simdjson::SUCCESS && root.is_object()) {
        ingest::EmailCheck check = ingest::CheckEmail(StringAt(root.get_object().value_unsafe(), "email"));
        if (check.valid && tombstones_->IsErased(IdentifierKind::kEmail, ingest::CanonicalEmail(check))) return true;
      }
    }
    return false;
  }

  Status LoadOtherSources() {
    if (!other_sources_.empty()) return Status::Ok();
    Statement& ids = db_.Query("list-source-ids");
    while (true) {
      ASSIGN_OR_RETURN(bool more, ids.Step());
      if (!more) break;
      other_sources_.push_back(ids.Int(0));
    }
    return Status::Ok();
  }

  // true: stored; false: a duplicate of a stored message.
  Result<bool> Store(int64_t source_id, const Message& m, CollectorStats* stats) {
    ASSIGN_OR_RETURN(int64_t customer, ResolveCustomer(source_id, m, stats));
    Statement& ins = db_.Query("collect-insert-event");
    ins.Bind(":customer_id", customer).Bind(":type", StoredType(m)).Bind(":occurred_at", m.timestamp.micros);
    ins.Bind(":received_at", now_.micros).Bind(":source_id", source_id).Bind(":source_key", m.message_id);
    ins.Bind(":properties", StoredProperties(m));
    RETURN_IF_ERROR(ins.Run());
    if (db_.changes() == 0) return false;
    if (!m.anonymous_id.empty()) RETURN_IF_ERROR(NoteDevice(customer, source_id, m));
    switch (m.type) {
      case CallType::kIdentify: RETURN_IF_ERROR(ApplyTraits(customer, source_id, m)); break;
      case CallType::kGroup: RETURN_IF_ERROR(ApplyGroup(customer, source_id, m)); break;
      case CallType::kTrack:
        if (IsOrderCompleted(m.event)) {
          ASSIGN_OR_RETURN(bool created, ApplyOrder(customer, source_id, m));
          if (created) stats->orders++;
        }
        break;
      default: break;
    }
    return true;
  }

  // Records the device a message came from as one the customer was seen on:
  // evidence for identity resolution even where stitching keeps two profiles
  // apart (both known by other keys). A visit sends many messages; the
  // sighting is written again only an hour or more after the last one.
  Status NoteDevice(int64_t customer, int64_t source_id, const Message& m) {
    constexpr int64_t kHour = 3'600'000'000;
    if (devices_seen_.size() > 100'000) devices_seen_.clear();
    auto [seen, inserted] =
        devices_seen_.try_emplace(std::to_string(customer) + "|" + m.anonymous_id, m.timestamp.micros);
    if (!inserted) {
      if (m.timestamp.micros >= seen->second && m.timestamp.micros - seen->second < kHour) return Status::Ok();
      seen->second = std::max(seen->second, m.timestamp.micros);
    }
    Statement& device = db_.Query("upsert-customer-device");
    device.Bind(":customer_id", customer).Bind(":device_id", m.anonymous_id).Bind(":source_id", source_id);
    device.Bind(":seen_at", m.timestamp.micros);
    return device.Run();
  }

  static bool IsOrderCompleted(std::string_view event) {
    return AsciiLower(event) == "order completed";
  }

  std::string CacheKey(int64_t source_id, std::string_view key) const {
    std::string k = std::to_string(source_id);
    k += '\x1f';
    k += key;
    return k;
  }

  int64_t Follow(int64_t id) const {
    for (auto it = merged_into_.find(id); it != merged_into_.end(); it = merged_into_.find(id)) id = it->second;
    return id;
  }

  // The customer a key of `source_id` names; with `probe_other_sources`, a user
  // id the company uses everywhere (a CRM customer number) also finds the
  // customer another source created under that key.
  Result<std::optional<int64_t>> FindKey(int64_t source_id, std::string_view key, bool probe_other_sources) {
    std::string ck = CacheKey(source_id, key);
    auto it = customers_.find(ck);
    if (it != customers_.end()) return std::optional<int64_t>(Follow(it->second));
    Statement& q = db_.Query("find-source-record");
    q.Bind(":source_id", source_id).Bind(":entity", "customer").Bind(":key", key);
    ASSIGN_OR_RETURN(bool row, q.Step());
    std::optional<int64_t> found;
    if (row) found = q.Int(0);
    q.Reset();
    if (!found && probe_other_sources) {
      RETURN_IF_ERROR(LoadOtherSources());
      for (int64_t other : other_sources_) {
        if (other == source_id) continue;
        q.Bind(":source_id", other).Bind(":entity", "customer").Bind(":key", key);
        ASSIGN_OR_RETURN(bool hit, q.Step());
        if (hit) found = q.Int(0);
        q.Reset();
        if (found) break;
      }
    }
    if (found) Remember(std::move(ck), *found);
    return found;
  }

  void Remember(std::string cache_key, int64_t id) {
    if (customers_.size() > kCacheLimit) customers_.clear();
    customers_[std::move(cache_key)] = id;
  }

  Status MapKey(int64_t source_id, const std::string& key, int64_t customer) {
    Statement& q = db_.Query("upsert-source-record");
    q.Bind(":source_id", source_id).Bind(":entity", "customer").Bind(":key", key);
    q.Bind(":entity_id", customer).Bind(":hash", int64_t{0}).Bind(":now", now_.micros);
    RETURN_IF_ERROR(q.Run());
    Remember(CacheKey(source_id, key), customer);
    return Status::Ok();
  }

  Result<int64_t> CreateCustomer(int64_t source_id) {
    Statement& q = db_.Query("insert-minimal-customer");
    q.Bind(":source_id", source_id).Bind(":now", now_.micros);
    RETURN_IF_ERROR(q.Run());
    return db_.last_insert_id();
  }

  // Who a message is about. userId is the company's own id for the person;
  // anonymousId the device's. When a message carries both, the anonymous
  // visitor's history joins the known customer (stitching).
  Result<int64_t> ResolveCustomer(int64_t source_id, const Message& m, CollectorStats* stats) {
    std::optional<int64_t> user, anon;
    std::string anon_key;
    if (!m.anonymous_id.empty()) {
      anon_key = std::string(kAnonPrefix) + m.anonymous_id;
      ASSIGN_OR_RETURN(anon, FindKey(source_id, anon_key, false));
    }
    if (!m.user_id.empty()) {
      ASSIGN_OR_RETURN(user, FindKey(source_id, m.user_id, true));
      if (!user && m.type == CallType::kIdentify) {
        ASSIGN_OR_RETURN(user, FindByTraitEmail(m));
      }
      if (user) RETURN_IF_ERROR(MapKey(source_id, m.user_id, *user));
    }
    if (m.type == CallType::kAlias) {
      // alias(previousId -> userId): previousId may be an anonymous id or an old user id.
      std::optional<int64_t> previous;
      ASSIGN_OR_RETURN(previous, FindKey(source_id, m.previous_id, true));
      if (!previous) {
        ASSIGN_OR_RETURN(previous, FindKey(source_id, std::string(kAnonPrefix) + m.previous_id, false));
      }
      if (previous && !user) {
        RETURN_IF_ERROR(MapKey(source_id, m.user_id, *previous));
        user = previous;
      } else if (previous && user && *previous != *user) {
        RETURN_IF_ERROR(Stitch(source_id, m.previous_id, *previous, *user, stats));
      } else if (!previous && user) {
        RETURN_IF_ERROR(MapKey(source_id, m.previous_id, *user));
      }
    }
    if (user && anon && *user != *anon) {
      RETURN_IF_ERROR(Stitch(source_id, anon_key, *anon, *user, stats));
      anon = user;
    }
    if (user) {
      if (!anon_key.empty() && !anon) RETURN_IF_ERROR(MapKey(source_id, anon_key, *user));
      return *user;
    }
    if (anon) {
      // The visitor tells us who they are: the anonymous profile becomes theirs.
      if (!m.user_id.empty()) RETURN_IF_ERROR(MapKey(source_id, m.user_id, *anon));
      return *anon;
    }
    ASSIGN_OR_RETURN(int64_t created, CreateCustomer(source_id));
    if (!m.user_id.empty()) RETURN_IF_ERROR(MapKey(source_id, m.user_id, created));
    if (!anon_key.empty()) RETURN_IF_ERROR(MapKey(source_id, anon_key, created));
    return created;
  }

  Result<std::optional<int64_t>> FindByTraitEmail(const Message& m) {
    if (m.traits.size() <= 2) return std::optional<int64_t>();
    element root;
    if (scratch_.parse(m.traits).get(root) != simdjson::SUCCESS || !root.is_object()) return std::optional<int64_t>();
    std::string_view email = StringAt(root.get_object().value_unsafe(), "email");
    if (email.empty()) return std::optional<int64_t>();
    ingest::EmailCheck check = ingest::CheckEmail(email);
    if (!check.valid) return std::optional<int64_t>();
    ASSIGN_OR_RETURN(std::vector<int64_t> ids, FindCustomersByContact(db_, "email", ingest::CanonicalEmail(check)));
    if (ids.empty()) return std::optional<int64_t>();
    return std::optional<int64_t>(ids.front());
  }

  // Joins the anonymous profile `from` to the known customer `to`. A profile
  // that other sources or another user id also name is a person in its own
  // right: then only this device's key moves, and both profiles stay (identity
  // resolution may still link them).
  Status Stitch(int64_t source_id, const std::string& key, int64_t from, int64_t to, CollectorStats* stats) {
    ASSIGN_OR_RETURN(bool folded, ingest::FoldAnonymousProfile(db_, source_id, from, to));
    if (!folded) return MapKey(source_id, key, to);
    merged_into_[from] = to;
    stats->stitched++;
    return Status::Ok();
  }

  // identify: traits a profile has a column for update the profile (a value the
  // call does not give is kept); email and phone become contact points. Every
  // trait, known or not, is also kept in the identify event's properties.
  Status ApplyTraits(int64_t customer, int64_t source_id, const Message& m) {
    if (m.traits.size() <= 2) return Status::Ok();
    element root;
    if (scratch_.parse(m.traits).get(root) != simdjson::SUCCESS || !root.is_object()) return Status::Ok();
    object t = root.get_object().value_unsafe();
    object address;
    element a;
    bool has_address = t.at_key("address").get(a) == simdjson::SUCCESS && a.is_object();
    if (has_address) address = a.get_object().value_unsafe();
    auto first_of = [&](std::initializer_list<std::string_view> keys) -> std::string {
      for (std::string_view k : keys) {
        std::string_view v = StringAt(t, k);
        if (!v.empty()) return NormalizeText(v);
      }
      return {};
    };
    std::string given = first_of({"firstName", "first_name", "givenName"});
    std::string family = first_of({"lastName", "last_name", "familyName"});
    std::string full = first_of({"name"});
    std::string gender;
    if (auto g = ingest::NormalizeGender(StringAt(t, "gender")); g) gender = *g;
    std::string birth;
    for (std::string_view k : {"birthday", "birth_date", "birthDate"}) {
      std::string_view v = StringAt(t, k);
      if (v.empty()) continue;
      auto d = ingest::ParseDate(v.substr(0, std::min<size_t>(v.size(), 10)));
      if (d.ok()) birth = d->ToString();
      break;
    }
    std::string city = has_address ? NormalizeText(StringAt(address, "city")) : "";
    if (city.empty()) city = first_of({"city"});
    std::string region = has_address ? NormalizeText(StringAt(address, "state")) : "";
    std::string country;
    std::string_view country_raw = has_address ? StringAt(address, "country") : std::string_view();
    if (country_raw.empty()) country_raw = StringAt(t, "country");
    if (auto c = ingest::NormalizeCountry(country_raw); c) country = *c;
    std::string time_zone;
    {
      element ctx_root;
      std::string ctx = m.context;
      simdjson::dom::parser ctx_parser;
      if (m.context.size() > 2 && ctx_parser.parse(ctx).get(ctx_root) == simdjson::SUCCESS && ctx_root.is_object()) {
        std::string_view tz = StringAt(ctx_root.get_object().value_unsafe(), "timezone");
        if (!tz.empty() && ingest::IsKnownTimeZone(tz)) time_zone = std::string(tz);
      }
    }
    Statement& up = db_.Query("update-customer");
    const std::string* values[18] = {&given, &family, &full, nullptr, nullptr, &gender, &birth, nullptr, nullptr,
                                     nullptr, nullptr,  nullptr, &time_zone, &city, &region, &country, nullptr, nullptr};
    for (int i = 0; i < 18; ++i) {
      if (values[i] && !values[i]->empty()) {
        up.Bind(i + 1, std::string_view(*values[i]));
      } else {
        up.BindNull(i + 1);
      }
    }
    up.BindNull(19).BindNull(20).Bind(21, now_.micros).Bind(22, customer);
    RETURN_IF_ERROR(up.Run());

    std::string_view email = StringAt(t, "email");
    if (!email.empty()) {
      ingest::EmailCheck check = ingest::CheckEmail(email);
      std::string value =
          check.valid ? ingest::CanonicalEmail(check) : std::string(Utf8Prefix(email, 320));
      RETURN_IF_ERROR(AddContactPoint(customer, source_id, "email", value, email, check.valid ? "unverified" : "invalid",
                                      check.reason, check.suggestion, ""));
    }
    std::string_view phone = StringAt(t, "phone");
    if (!phone.empty()) {
      ingest::PhoneCheck check = ingest::CheckPhone(phone, country);
      std::string value = check.valid ? check.e164 : std::string(Utf8Prefix(phone, 64));
      RETURN_IF_ERROR(AddContactPoint(customer, source_id, "phone", value, phone, check.valid ? "unverified" : "invalid",
                                      check.reason, "", check.type));
    }
    return Status::Ok();
  }

  Status AddContactPoint(int64_t customer, int64_t source_id, std::string_view kind, std::string_view value,
                         std::string_view raw, std::string_view status, std::string_view reason,
                         std::string_view suggestion, std::string_view phone_type) {
    Statement& q = db_.Query("insert-contact-point");
    q.Bind(":customer_id", customer).Bind(":kind", kind).Bind(":value", value);
    q.BindOptional(":raw_value", raw == value ? std::string_view() : raw);
    q.BindOptional(":phone_type", phone_type).BindNull(":street").BindNull(":postal_code").BindNull(":city");
    q.BindNull(":region").BindNull(":country").Bind(":status", status).BindOptional(":invalid_reason", reason);
    q.BindOptional(":suggestion", suggestion).Bind(":source_id", source_id);
    q.BindNull(":verified_at").BindNull(":bounced_at").Bind(":seen_at", now_.micros);
    return q.Run();
  }

  // group: the account (company) this person belongs to, keyed by groupId.
  Status ApplyGroup(int64_t customer, int64_t source_id, const Message& m) {
    object t;
    element root;
    bool has_traits = m.traits.size() > 2 && scratch_.parse(m.traits).get(root) == simdjson::SUCCESS && root.is_object();
    if (has_traits) t = root.get_object().value_unsafe();
    auto text = [&](std::string_view key) -> std::string {
      return has_traits ? NormalizeText(StringAt(t, key)) : std::string();
    };
    std::string name = text("name");
    std::string domain;
    for (std::string_view k : {"website", "domain"}) {
      if (!has_traits || !domain.empty()) break;
      if (auto d = ingest::NormalizeDomain(StringAt(t, k)); d) domain = *d;
    }
    std::string industry = text("industry");
    std::string plan = text("plan");
    std::optional<int64_t> employees;
    if (has_traits) {
      std::string e = NumberTextAt(t, "employees");
      if (!e.empty()) {
        auto n = ingest::ParseInteger(e);
        if (n.ok()) employees = *n;
      }
    }
    std::string key = "group:" + m.group_id;
    std::optional<int64_t> account;
    auto it = accounts_.find(CacheKey(source_id, key));
    if (it != accounts_.end()) {
      account = it->second;
    } else {
      Statement& find = db_.Query("collect-find-account-key");
      find.Bind(":source_id", source_id).Bind(":key", key);
      ASSIGN_OR_RETURN(bool row, find.Step());
      if (row) account = find.Int(0);
      find.Reset();
    }
    Statement& q = db_.Query(account ? "update-account" : "insert-account");
    q.BindOptional(1, account || !name.empty() ? std::string_view(name) : std::string_view(m.group_id));
    q.BindOptional(2, std::string_view(domain)).BindOptional(3, std::string_view(industry));
    q.BindOptional(4, employees).BindNull(5).BindNull(6).BindOptional(7, std::string_view(plan));
    q.BindNull(8).BindNull(9).BindNull(10);
    if (account) {
      q.Bind(12, now_.micros).Bind(13, *account);
    } else {
      q.Bind(11, source_id).Bind(12, now_.micros);
    }
    RETURN_IF_ERROR(q.Run());
    if (!account) {
      account = db_.last_insert_id();
      Statement& rec = db_.Query("upsert-source-record");
      rec.Bind(":source_id", source_id).Bind(":entity", "account").Bind(":key", key);
      rec.Bind(":entity_id", *account).Bind(":hash", int64_t{0}).Bind(":now", now_.micros);
      RETURN_IF_ERROR(rec.Run());
    }
    accounts_[CacheKey(source_id, key)] = *account;
    Statement& member = db_.Query("upsert-account-member");
    member.Bind(":account_id", *account).Bind(":customer_id", customer).BindNull(":job_title");
    member.Bind(":now", now_.micros);
    return member.Run();
  }

  Result<int64_t> EnsureProduct(const std::string& sku, std::string_view name, std::string_view category,
                                std::optional<int64_t> price, std::string_view currency) {
    // A category path with no name in it (" > ") leaves the product uncategorised.
    if (ingest::SplitCategoryPath(category).empty()) category = {};
    if (catalog_.products.size() > 100000) catalog_.products.clear();
    bool created = false;
    return ingest::EnsureProductSku(db_, sku, name, category, price, currency, now_, &catalog_, &created);
  }

  // "Order Completed" (Segment e-commerce spec): the order and its products.
  // The order id is the order's key in this source, so a second message about
  // the same order never makes a second order. true: a new order was stored.
  Result<bool> ApplyOrder(int64_t customer, int64_t source_id, const Message& m) {
    element root;
    if (scratch_.parse(m.properties).get(root) != simdjson::SUCCESS || !root.is_object()) return false;
    object p = root.get_object().value_unsafe();
    std::string order_number = IdAt(p, "order_id");
    if (order_number.empty()) order_number = IdAt(p, "checkout_id");
    if (order_number.empty()) order_number = m.message_id;
    std::string currency = AsciiLower(StringAt(p, "currency"));
    for (char& c : currency) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (currency.size() != 3) currency = "USD";  // the spec's default currency
    const int digits = CurrencyMinorDigits(currency);
    Statement& ins = db_.Query("insert-order-if-new");
    ins.Bind(":customer_id", customer).Bind(":order_number", order_number).Bind(":ordered_at", m.timestamp.micros);
    ins.Bind(":status", "completed").Bind(":channel", m.context.find("\"app\"") != std::string::npos ? "app" : "web");
    ins.Bind(":currency", currency).Bind(":source_id", source_id);
    RETURN_IF_ERROR(ins.Run());
    if (db_.changes() == 0) return false;
    const int64_t order_id = db_.last_insert_id();
    simdjson::dom::array products;
    int64_t line_no = 0;
    if (p.at_key("products").get_array().get(products) == simdjson::SUCCESS) {
      for (element item : products) {
        if (!item.is_object()) continue;
        object line = item.get_object().value_unsafe();
        std::string sku = IdAt(line, "sku");
        if (sku.empty()) sku = IdAt(line, "product_id");
        if (sku.empty()) continue;
        std::optional<int64_t> price = AmountMinor(line, "price", digits);
        int64_t quantity = 1;
        if (std::string q = NumberTextAt(line, "quantity"); !q.empty()) {
          auto n = ingest::ParseInteger(q);
          if (n.ok() && *n > 0 && *n < 1'000'000) quantity = *n;
        }
        ASSIGN_OR_RETURN(int64_t product, EnsureProduct(sku, NormalizeText(StringAt(line, "name")),
                                                        StringAt(line, "category"), price, currency));
        Statement& add = db_.Query("insert-order-line");
        add.Bind(":order_id", order_id).Bind(":line_no", ++line_no).Bind(":product_id", product);
        add.Bind(":quantity", quantity).Bind(":unit_price_minor", price.value_or(0));
        add.Bind(":discount_minor", int64_t{0});
        RETURN_IF_ERROR(add.Run());
      }
    }
    std::optional<int64_t> total = AmountMinor(p, "total", digits);
    if (!total) total = AmountMinor(p, "revenue", digits);
    if (total) {
      Statement& set = db_.Query("set-order-total");
      set.Bind(":total", *total).Bind(":id", order_id);
      RETURN_IF_ERROR(set.Run());
    } else if (line_no > 0) {
      Statement& sum = db_.Query("refresh-order-total");
      sum.Bind(":id", order_id);
      RETURN_IF_ERROR(sum.Run());
    }
    return true;
  }

  Database& db_;
  const Clock& clock_;
  Instant now_;
  simdjson::dom::parser scratch_;
  std::unordered_map<std::string, int64_t> customers_;
  std::unordered_map<int64_t, int64_t> merged_into_;
  // "customer|device" -> when this writer last recorded the sighting.
  std::unordered_map<std::string, int64_t> devices_seen_;
  std::unordered_map<std::string, int64_t> accounts_, sources_;
  ingest::CatalogCache catalog_;
  std::vector<int64_t> other_sources_;
  std::optional<access::TombstoneChecker> tombstones_;
  Instant tombstones_at_;
};


class CollectorImpl final : public Collector {
 public:
  CollectorImpl(const CollectorOptions& options, const Clock& clock, std::unique_ptr<Database> db,
                std::unique_ptr<Database> checkpoint_db)
      : options_(options), db_(std::move(db)), checkpoint_db_(std::move(checkpoint_db)), store_(*db_, clock) {
    thread_ = std::thread([this] { Run(); });
    checkpointer_ = std::thread([this] { Checkpoint(); });
  }
  ~CollectorImpl() override { Stop(); }

  Status Submit(std::string_view source_name, ParsedRequest request) override {
    const size_t n = request.messages.size() + request.rejected.size();
    if (n == 0) return Status::Ok();
    auto pending = std::make_unique<Pending>();
    pending->source = std::string(source_name);
    pending->request = std::move(request);
    std::future<Status> done = pending->done.get_future();
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return Unavailable("the server is shutting down");
      if (queued_ > 0 && queued_ + n > options_.max_queued_messages) {
        stats_.refused++;
        return Status(StatusCode::kResourceExhausted,
                      "too many events waiting to be written (" + std::to_string(queued_) + "); retry shortly");
      }
      queued_ += n;
      queue_.push_back(std::move(pending));
    }
    cv_.notify_one();
    return done.get();
  }

  void Stop() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
    checkpoint_cv_.notify_all();
    if (checkpointer_.joinable()) checkpointer_.join();
  }

  CollectorStats stats() const override {
    std::lock_guard<std::mutex> lock(mu_);
    CollectorStats s = stats_;
    s.queued = queued_;
    return s;
  }

  void InvalidateCaches() override { invalidate_.store(true); }

 private:
  void Run() {
    while (true) {
      std::vector<std::unique_ptr<Pending>> group;
      size_t messages = 0;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (queue_.empty() && stopping_) return;
        while (!queue_.empty() && (group.empty() || messages < options_.max_messages_per_commit)) {
          messages += queue_.front()->request.messages.size() + queue_.front()->request.rejected.size();
          group.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
      }
      CollectorStats delta;
      auto started = std::chrono::steady_clock::now();
      Status s = WriteGroup(group, &delta);
      if (!s.ok()) {
        // A message the store refused (a bug or a database constraint) must not
        // fail the others: write the group again, one savepoint per message,
        // keeping the refused ones as rejects with the database's reason.
        delta = CollectorStats();
        s = WriteGroupCarefully(group, &delta);
      }
      double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      {
        std::lock_guard<std::mutex> lock(mu_);
        queued_ -= messages;
        if (s.ok()) {
          stats_.accepted += delta.accepted;
          stats_.duplicates += delta.duplicates;
          stats_.rejected += delta.rejected;
          stats_.erased += delta.erased;
          stats_.orders += delta.orders;
          stats_.stitched += delta.stitched;
          stats_.commits++;
          stats_.commit_seconds += seconds;
        }
      }
      for (auto& p : group) p->done.set_value(s.ok() ? Status::Ok() : Unavailable("events not stored: " + s.message()));
    }
  }

  // The writer's connection does not checkpoint the WAL (a checkpoint copies
  // pages into the database and syncs it: a commit that ran it made its
  // requests wait 100+ ms). This thread checkpoints beside the writer instead,
  // PASSIVE, so it never blocks the writer or readers.
  void Checkpoint() {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stopping_) {
      checkpoint_cv_.wait_for(lock, std::chrono::milliseconds(250));
      if (stopping_) break;
      lock.unlock();
      (void)checkpoint_db_->Exec("PRAGMA wal_checkpoint(PASSIVE)");
      lock.lock();
    }
  }

  Status WriteGroup(std::vector<std::unique_ptr<Pending>>& group, CollectorStats* delta) {
    const bool reload = invalidate_.exchange(false);
    if (reload) store_.ClearCaches();
    Status s = db_->Begin();
    if (s.ok()) s = store_.BeginGroup(reload);
    if (!s.ok()) return s;
    for (auto& p : group) {
      s = WriteOne(*p, delta, /*careful=*/false);
      if (!s.ok()) break;
    }
    if (s.ok()) s = NoteEngineInputsChanged(*db_);
    if (s.ok()) s = db_->Commit();
    if (!s.ok()) {
      if (db_->in_transaction()) (void)db_->Rollback();
      store_.ClearCaches();  // they may name rows the rollback removed
    }
    return s;
  }

  Status WriteGroupCarefully(std::vector<std::unique_ptr<Pending>>& group, CollectorStats* delta) {
    RETURN_IF_ERROR(db_->Begin());
    Status s = store_.BeginGroup(false);
    for (auto& p : group) {
      s = WriteOne(*p, delta, /*careful=*/true);
      if (!s.ok()) break;
    }
    if (s.ok()) s = NoteEngineInputsChanged(*db_);
    if (s.ok()) s = db_->Commit();
    if (!s.ok()) {
      if (db_->in_transaction()) (void)db_->Rollback();
      store_.ClearCaches();
    }
    return s;
  }

  static void Count(MessageStore::Outcome outcome, CollectorStats* delta) {
    switch (outcome) {
      case MessageStore::Outcome::kStored: delta->accepted++; break;
      case MessageStore::Outcome::kDuplicate: delta->duplicates++; break;
      case MessageStore::Outcome::kErased: delta->erased++; break;
    }
  }

  Status WriteOne(Pending& p, CollectorStats* delta, bool careful) {
    ASSIGN_OR_RETURN(int64_t source_id, store_.SourceId(p.source));
    int index = 0;
    for (const Message& m : p.request.messages) {
      if (!careful) {
        ASSIGN_OR_RETURN(MessageStore::Outcome outcome, store_.Apply(source_id, m, delta));
        Count(outcome, delta);
        ++index;
        continue;
      }
      RETURN_IF_ERROR(db_->Exec("SAVEPOINT collect_message"));
      auto stored = store_.Apply(source_id, m, delta);
      if (stored.ok()) {
        RETURN_IF_ERROR(db_->Exec("RELEASE collect_message"));
        Count(*stored, delta);
      } else {
        RETURN_IF_ERROR(db_->Exec("ROLLBACK TO collect_message"));
        RETURN_IF_ERROR(db_->Exec("RELEASE collect_message"));
        store_.ClearCaches();
        Rejected r;
        r.index = index;
        r.reason = "message " + std::to_string(index) + " could not be stored: " + stored.status().message();
        r.raw = "{\"messageId\":" + JsonQuote(m.message_id) + "}";
        RETURN_IF_ERROR(store_.StoreReject(source_id, r));
        delta->rejected++;
      }
      ++index;
    }
    for (const Rejected& r : p.request.rejected) {
      RETURN_IF_ERROR(store_.StoreReject(source_id, r));
      delta->rejected++;
    }
    return Status::Ok();
  }

  CollectorOptions options_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<Database> checkpoint_db_;
  MessageStore store_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<Pending>> queue_;
  size_t queued_ = 0;
  bool stopping_ = false;
  CollectorStats stats_;
  std::atomic<bool> invalidate_{false};
  std::condition_variable checkpoint_cv_;
  std::thread thread_, checkpointer_;
};

}  // namespace

Result<std::unique_ptr<Collector>> Collector::Start(const CollectorOptions& options, const Clock& clock) {
  DatabaseOptions db_options;
  db_options.synchronous_full = options.synchronous_full;
  ASSIGN_OR_RETURN(std::unique_ptr<Database> db, Database::Open(options.db_path, db_options));
  RETURN_IF_ERROR(db->Exec("PRAGMA wal_autocheckpoint=0"));
  ASSIGN_OR_RETURN(std::unique_ptr<Database> checkpoint_db, Database::Open(options.db_path, db_options));
  return std::unique_ptr<Collector>(new CollectorImpl(options, clock, std::move(db), std::move(checkpoint_db)));
}

}  // namespace patron::collect
