// The import job: reads a file, maps its columns, validates and normalises each
// value, and writes entities in batches of transactions. Re-imports are
// idempotent: customers and accounts are keyed by (source, key) in
// source_records, orders and events by their own (source, key) columns, products
// by SKU.
#include <nlohmann/json.hpp>
#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <memory>
#include <unordered_map>
#include <unordered_set>

#include "access/access.h"
#include "ingest/import_internal.h"
#include "store/store.h"

namespace patron::ingest {
namespace {

constexpr size_t kCacheLimit = 1 << 18;  // bounded caches (~40 MB) keep memory flat on huge files
constexpr int kMaxExamples = 20;

uint64_t Fnv1a(uint64_t h, std::string_view s) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  h ^= 0x1f;  // field separator, so ("ab","c") and ("a","bc") differ
  h *= 0x100000001b3ULL;
  return h;
}
constexpr uint64_t kFnvOffset = 0xcbf29ce484222325ULL;

std::string Hex(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

// Writes malformed records with their line and reason, as CSV, so they can be
// fixed and imported again. Opened on the first reject only.
class RejectWriter {
 public:
  explicit RejectWriter(std::string path) : path_(std::move(path)) {}
  ~RejectWriter() {
    if (file_) std::fclose(file_);
  }
  Status Write(int64_t line, std::string_view reason, std::string_view raw) {
    if (!file_) {
      file_ = std::fopen(path_.c_str(), "wb");
      if (!file_) return IoError("cannot write reject file '" + path_ + "'");
      std::fputs("line,reason,record\n", file_);
    }
    std::fprintf(file_, "%lld,", static_cast<long long>(line));
    WriteQuoted(reason);
    std::fputc(',', file_);
    WriteQuoted(raw);
    std::fputc('\n', file_);
    return Status::Ok();
  }
  void Flush() {
    if (file_) std::fflush(file_);
  }
  bool used() const { return file_ != nullptr; }
  const std::string& path() const { return path_; }

 private:
  void WriteQuoted(std::string_view s) {
    std::fputc('"', file_);
    for (char c : s) {
      if (c == '"') std::fputc('"', file_);
      std::fputc(c, file_);
    }
    std::fputc('"', file_);
  }
  std::string path_;
  std::FILE* file_ = nullptr;
};

bool IsSegmentCallType(std::string_view t) {
  return t == "track" || t == "identify" || t == "page" || t == "screen" || t == "group" || t == "alias";
}

}  // namespace

// ---------------------------------------------------------------------------
// ImportJob
// ---------------------------------------------------------------------------

namespace {

class ImportJob {
 public:
  ImportJob(Database& db, const ImportOptions& options, const Clock& clock)
      : db_(db),
        options_(options),
        clock_(clock),
        fields_(CanonicalFields(options.kind)),
        rejects_(options.reject_path.empty() ? options.path + ".rejects.csv" : options.reject_path) {
    now_ = clock_.Now();
  }

  Result<ImportReport> Run();

 private:
  // Field names are looked up many times per record, almost always through the
  // same string literal: a small cache by address (checked by content) avoids
  // string searches and allocations on the hot path.
  int FieldIndex(std::string_view name) const {
    for (const auto& c : index_cache_) {
      if (c.address == name.data() && c.name == name) return c.index;
    }
    auto it = std::find(fields_.begin(), fields_.end(), name);
    int index = it == fields_.end() ? -1 : static_cast<int>(it - fields_.begin());
    if (index_cache_.size() < 256) index_cache_.push_back({name.data(), std::string(name), index});
    return index;
  }
  FieldQuality& Quality(std::string_view field) {
    for (auto& q : quality_) {
      if (q.address == field.data() && q.name == field) return q.counts;
    }
    for (auto& q : quality_) {
      if (q.name == field) return q.counts;
    }
    quality_.push_back({field.data(), std::string(field), {}});
    return quality_.back().counts;
  }

  Status OpenSource();
  Status ProcessRecord(MappedRecord& record);
  Status Reject(const MappedRecord& record, std::string_view reason);
  Status MaybeCommit(bool force);

  // Records a value problem (the record is kept); written to field_issues once
  // the entity id is known.
  void Flag(const MappedRecord& record, std::string_view field, std::string_view raw, std::string_view reason);
  void NoteValid(std::string_view field) { Quality(field).valid++; }
  void NotePresent(std::string_view field) { Quality(field).present++; }
  Status WriteIssues(std::string_view entity, int64_t entity_id);

  // Entity handlers.
  Status ImportCustomer(MappedRecord& r);
  Status ImportAccount(MappedRecord& r);
  Status ImportProduct(MappedRecord& r);
  Status ImportOrderLine(MappedRecord& r);
  Status ImportEvent(MappedRecord& r);
  Status FinishOrder();

  // Shared pieces.
  // The customer an order or event names, creating it when unknown; 0 when the
  // record names an erased person (the caller skips it).
  Result<int64_t> ResolveCustomer(MappedRecord& r);
  // The customer of an event known only by its device (an anonymous visit):
  // the one the device was last seen as, else this source's anonymous
  // profile for the device ("anon:ID"), created when new; 0 when erased.
  Result<int64_t> ResolveAnonymous(std::string_view device);
  // Stitching: an event that names a known customer from a device whose
  // anonymous profile this source holds folds that profile into the customer.
  Status StitchDevice(std::string_view device, int64_t customer);
  // The record's device id (anonymous_id), trimmed; empty when it has none
  // or one over 200 characters, which is no device id.
  std::string_view DeviceOf(const MappedRecord& r) const {
    std::string_view device = TrimAscii(r.Get(FieldIndex("anonymous_id")));
    return device.size() <= 200 ? device : std::string_view();
  }
  // Whether the record names its customer by a key other than a device.
  bool NamesAKnownVisitor(const MappedRecord& r) const {
    for (const char* field : {"customer_id", "email", "mobile", "phone"}) {
      if (!TrimAscii(r.Get(FieldIndex(field))).empty()) return true;
    }
    return false;
  }
  // The record's street, postal code and city as an address of the customer
  // (nothing when it has neither street nor postal code).
  Status AddAddress(int64_t customer_id, const MappedRecord& r, const std::optional<std::string>& country);
  // The parts of the address AddAddress stores, and the one-line value.
  struct AddressParts {
    std::string street, postal, city, line;
  };
  AddressParts AddressOf(const MappedRecord& r, const std::optional<std::string>& country);
  // A customer row unchanged since its last import still says its source has
  // the row's contact values: their last_seen_at moves to SeenAt(), nothing
  // else changes.
  Status TouchContactPoints(int64_t customer_id, const MappedRecord& r, std::string_view region,
                            const std::optional<std::string>& country);
  // An order placed or an event sent with an email or phone at `at` says the
  // value was in use then (kept in sightings_ until the batch commits).
  void NoteSighting(const MappedRecord& r, Instant at);
  Status WriteSightings();
  // Records the device an event came from (its anonymous_id) as one the
  // customer was seen on: evidence for identity resolution.
  Status NoteDevice(const MappedRecord& r, int64_t customer_id, int64_t seen_at);
  // Whether a record without a customer yet names an erased person by its key
  // in a source, an email, a phone or a national id (access::TombstoneChecker).
  bool NamesErasedPerson(const MappedRecord& r, std::string_view source_key, bool key_in_any_source,
                         std::string_view region);
  // The source's own knowledge of a value (see ContactDate): a status word,
  // and the dates it was last verified and found bounced.
  struct ContactKnowledge {
    std::string_view status_hint;
    std::optional<Instant> verified_at, bounced_at;
  };
  Status AddContactPoint(int64_t customer_id, const MappedRecord& r, std::string_view field,
                         std::string_view kind, const ContactKnowledge& known,
                         std::string_view region);
  // The value AddContactPoint stores for `raw` (canonical when valid, else as
  // written); empty for nothing to store.
  std::string ContactValue(std::string_view raw, std::string_view kind, std::string_view region);
  // A date column of the source's about a contact value (`email_verified_at`
  // ...): nullopt when empty; flagged and ignored when it is not a date or
  // lies in the future.
  std::optional<Instant> ContactDate(const MappedRecord& r, std::string_view field);
  // When the source last saw the record's contact values: its row's
  // `last_seen_at`, else the file's --as-of, else now; never after now.
  int64_t SeenAt() const {
    const int64_t seen = row_seen_        ? row_seen_->micros
                         : options_.as_of ? options_.as_of->micros
                                          : now_.micros;
    return std::min(seen, now_.micros);
  }
  Result<std::optional<int64_t>> FindSourceRecord(std::string_view entity, std::string_view key,
                                                  uint64_t* hash);
  Status UpsertSourceRecord(std::string_view entity, std::string_view key, int64_t id, uint64_t hash);
  // Runs a bound insert-or-update statement: the update when `existing` (binding
  // its id to `id_parameter`), else the insert; counts the outcome; returns the id.
  Result<int64_t> InsertOrUpdate(Statement& q, std::optional<int64_t> existing, int id_parameter);
  Result<int64_t> EnsureCategory(std::string_view path);
  Result<int64_t> EnsureProduct(std::string_view sku, std::string_view name, std::string_view category,
                                std::optional<int64_t> price, std::string_view currency, bool* created);
  Status WriteAttributes(const MappedRecord& r, std::string_view entity, int64_t id);
  // CheckEmail / CheckPhone of a value of the current record, computed once per
  // record however often the key, the tombstone check and the contact points
  // ask. Values are told apart by their address in the record.
  const EmailCheck& EmailOf(std::string_view raw);
  const PhoneCheck& PhoneOf(std::string_view raw, std::string_view region);
  std::optional<std::string> Country(const MappedRecord& r, int field);
  std::string Text(const MappedRecord& r, int field) {
    std::string_view v = r.Get(field);
    if (v.empty()) return {};
    NotePresent(fields_[field]);
    NoteValid(fields_[field]);
    return NormalizeText(v);
  }
  uint64_t ContentHash(const MappedRecord& r) const {
    uint64_t h = kFnvOffset;
    for (std::string_view v : r.values) h = Fnv1a(h, v);
    for (const auto& [k, v] : r.attributes) h = Fnv1a(Fnv1a(h, k), v);
    for (const auto& [k, v] : r.extras) h = Fnv1a(Fnv1a(h, k), v);
    return h;
  }

  Database& db_;
  const ImportOptions& options_;
  const Clock& clock_;
  const std::vector<std::string>& fields_;
  RejectWriter rejects_;
  ImportReport report_;
  Instant now_;
  std::optional<Instant> row_seen_;  // the current customer row's last_seen_at
  int64_t source_id_ = 0;
  int64_t records_in_batch_ = 0;
  bool in_transaction_ = false;
  // A value of this batch was seen again without changing otherwise: the
  // golden records, which hold freshness, wait for a rewrite.
  bool values_seen_again_ = false;
  // The valid emails and phones that named the customer of an order or event
  // of this batch ("email|x@y", "phone|+46…"), with the latest time they were
  // used: sightings, written to every contact point holding them at commit.
  std::unordered_map<std::string, int64_t> sightings_;

  struct PendingIssue {
    std::string field, raw, reason;
  };
  std::vector<PendingIssue> issues_;

  struct CachedIndex {
    const char* address;
    std::string name;
    int index;
  };
  mutable std::vector<CachedIndex> index_cache_;
  struct NamedQuality {
    const char* address;
    std::string name;
    FieldQuality counts;
  };
  std::deque<NamedQuality> quality_;  // deque: references stay valid as it grows

  std::unordered_map<std::string, int64_t> customer_cache_;
  // "customer|device" -> the first and last sighting this import wrote.
  std::unordered_map<std::string, std::pair<int64_t, int64_t>> devices_noted_;
  std::unordered_set<std::string> devices_stitched_;  // "anon:ID" checked by this import
  CatalogCache catalog_;
  std::unordered_map<std::string, std::string> attribute_types_;
  access::TombstoneChecker tombstones_;  // loaded once per import; empty (free) when nobody was erased
  struct EmailMemo {
    std::string_view raw;
    EmailCheck check;
  };
  struct PhoneMemo {
    std::string_view raw;
    std::string region;
    PhoneCheck check;
  };
  std::deque<EmailMemo> email_memo_;  // the current record's; deque: references stay valid
  std::deque<PhoneMemo> phone_memo_;

  // The order whose lines are being read (lines of one order are contiguous).
  std::string current_order_key_;
  int64_t current_order_id_ = 0;
  bool current_order_is_new_ = false;  // inserted by this run: its total is the sum of the lines read
  int64_t current_order_total_ = 0;
  int64_t next_line_no_ = 1;
  std::vector<int64_t> source_ids_;
  std::unordered_map<int64_t, int64_t> interactions_;  // customer id -> latest time in this batch  // every source, for look-ups of a key in any source
};

void ImportJob::Flag(const MappedRecord& record, std::string_view field, std::string_view raw,
                     std::string_view reason) {
  Quality(field).invalid++;
  std::string key = std::string(field) + ": " + std::string(reason);
  report_.problems[key]++;
  if (static_cast<int>(report_.examples.size()) < kMaxExamples) {
    report_.examples.push_back("line " + std::to_string(record.line) + ": " + key);
  }
  issues_.push_back({std::string(field), std::string(raw), std::string(reason)});
}

Status ImportJob::WriteIssues(std::string_view entity, int64_t entity_id) {
  for (const PendingIssue& issue : issues_) {
    Statement& q = db_.Query("upsert-field-issue");
    q.Bind(":entity", entity).Bind(":entity_id", entity_id).Bind(":field", issue.field);
    q.Bind(":raw_value", issue.raw).Bind(":reason", issue.reason).Bind(":source_id", source_id_);
    q.Bind(":now", now_.micros);
    RETURN_IF_ERROR(q.Run());
  }
  issues_.clear();
  return Status::Ok();
}

Status ImportJob::Reject(const MappedRecord& record, std::string_view reason) {
  report_.rejected++;
  // Group rejects by reason without the line number ("line 12: has 4 fields...")
  // or the details in parentheses, so the problem table stays short.
  std::string_view detail = reason;
  if (detail.rfind("line ", 0) == 0) {
    size_t colon = detail.find(": ");
    if (colon != std::string_view::npos) detail.remove_prefix(colon + 2);
  }
  report_.problems["rejected: " + std::string(detail.substr(0, detail.find(" (")))]++;
  if (static_cast<int>(report_.examples.size()) < kMaxExamples) {
    report_.examples.push_back("line " + std::to_string(record.line) + ": rejected: " + std::string(detail));
  }
  issues_.clear();
  return rejects_.Write(record.line, reason, record.raw);
}

Status ImportJob::OpenSource() {
  if (options_.source_name.empty()) return InvalidArgument("--source NAME is required: say where the data comes from");
  std::string kind = options_.source_kind.empty() ? "internal" : options_.source_kind;
  if (kind != "internal" && kind != "external" && kind != "purchased") {
    return InvalidArgument("source kind '" + kind + "' must be internal, external or purchased");
  }
  std::optional<int64_t> cost;
  std::string cost_currency;
  if (!options_.source_cost.empty()) {
    std::string_view c = TrimAscii(options_.source_cost);
    size_t sp = c.find_last_of(' ');
    std::string_view amount = c, currency;
    if (sp != std::string_view::npos && c.size() - sp - 1 == 3) {
      amount = c.substr(0, sp);
      currency = c.substr(sp + 1);
    }
    cost_currency = currency.empty() ? options_.default_currency : std::string(currency);
    auto parsed = ParseAmountMinor(amount, CurrencyMinorDigits(cost_currency));
    if (!parsed.ok()) return parsed.status().WithContext("--source-cost");
    cost = *parsed;
  }
  Statement& q = db_.Query("upsert-source");
  q.Bind(":name", options_.source_name).Bind(":kind", kind);
  q.BindOptional(":vendor", options_.source_vendor).BindOptional(":cost_minor", cost);
  q.BindOptional(":currency", cost_currency);
  if (kind == "purchased" && !options_.source_cost.empty()) {
    q.Bind(":acquired_at", now_.micros);
  } else {
    q.BindNull(":acquired_at");
  }
  q.BindOptional(":consent_basis", options_.consent_basis).Bind(":now", now_.micros);
  q.BindOptional(":explicit_kind", options_.source_kind);
  ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) return Internal("upsert-source returned no id");
  source_id_ = q.Int(0);
  q.Reset();
  return Status::Ok();
}

Status ImportJob::MaybeCommit(bool force) {
  if (!force && records_in_batch_ < options_.batch_size) return Status::Ok();
  if (options_.dry_run) {  // one transaction, rolled back at the end
    records_in_batch_ = 0;
    return Status::Ok();
  }
  if (in_transaction_) {
    if (options_.kind == EntityKind::kOrders) RETURN_IF_ERROR(FinishOrder());
    RETURN_IF_ERROR(WriteSightings());
    RETURN_IF_ERROR(NoteEngineInputsChanged(db_));
    if (values_seen_again_) {
      RETURN_IF_ERROR(db_.Query("identity-mark-golden-stale").Bind(":now", now_.micros).Run());
      values_seen_again_ = false;
    }
    RETURN_IF_ERROR(db_.Commit());
    in_transaction_ = false;
    rejects_.Flush();
  }
  records_in_batch_ = 0;
  return Status::Ok();
}

Result<int64_t> ImportJob::InsertOrUpdate(Statement& q, std::optional<int64_t> existing, int id_parameter) {
  if (existing) {
    q.Bind(id_parameter, *existing);
    RETURN_IF_ERROR(q.Run());
    report_.updated++;
    return *existing;
  }
  RETURN_IF_ERROR(q.Run());
  report_.inserted++;
  return db_.last_insert_id();
}

Result<std::optional<int64_t>> ImportJob::FindSourceRecord(std::string_view entity, std::string_view key,
                                                           uint64_t* hash) {
  Statement& q = db_.Query("find-source-record");
  q.Bind(":source_id", source_id_).Bind(":entity", entity).Bind(":key", key);
  ASSIGN_OR_RETURN(bool row, q.Step());
  std::optional<int64_t> id;
  if (row) {
    id = q.Int(0);
    if (hash) *hash = static_cast<uint64_t>(q.Int(1));
  }
  q.Reset();
  return id;
}

Status ImportJob::UpsertSourceRecord(std::string_view entity, std::string_view key, int64_t id, uint64_t hash) {
  Statement& q = db_.Query("upsert-source-record");
  q.Bind(":source_id", source_id_).Bind(":entity", entity).Bind(":key", key).Bind(":entity_id", id);
  q.Bind(":hash", static_cast<int64_t>(hash)).Bind(":now", now_.micros);
  return q.Run();
}

std::optional<std::string> ImportJob::Country(const MappedRecord& r, int field) {
  std::string_view raw = r.Get(field);
  if (raw.empty()) return std::nullopt;
  NotePresent(fields_[field]);
  std::optional<std::string> code = NormalizeCountry(raw);
  if (!code) {
    Flag(r, fields_[field], raw, "unknown country");
    return std::nullopt;
  }
  NoteValid(fields_[field]);
  return code;
}

std::optional<Instant> ImportJob::ContactDate(const MappedRecord& r, std::string_view field) {
  std::string_view raw = r.Get(FieldIndex(field));
  if (raw.empty()) return std::nullopt;
  NotePresent(field);
  auto t = ParseTimestamp(raw, options_.date_options);
  if (!t.ok()) {
    Flag(r, field, raw, t.status().message());
    return std::nullopt;
  }
  // A day's grace for time zones and clocks.
  if (t->micros > now_.micros + 86'400'000'000) {
    Flag(r, field, raw, "a date in the future");
    return std::nullopt;
  }
  NoteValid(field);
  return *t;
}

std::string ImportJob::ContactValue(std::string_view raw, std::string_view kind,
                                    std::string_view region) {
  if (raw.empty()) return {};
  if (kind == "email") {
    const EmailCheck& check = EmailOf(raw);
    return check.valid ? CanonicalEmail(check) : std::string(TrimAscii(raw));
  }
  const PhoneCheck& check = PhoneOf(raw, region);
  return check.valid ? check.e164 : AsciiDigits(TrimAscii(raw));
}

Status ImportJob::TouchContactPoints(int64_t customer_id, const MappedRecord& r,
                                     std::string_view region,
                                     const std::optional<std::string>& country) {
  // The row's own date, read as the full import reads it (a bad or future
  // date falls back to the file's; the full import reported it already).
  row_seen_.reset();
  if (std::string_view raw = r.Get(FieldIndex("last_seen_at")); !raw.empty()) {
    auto t = ParseTimestamp(raw, options_.date_options);
    if (t.ok() && t->micros <= now_.micros + 86'400'000'000) row_seen_ = *t;
  }
  const int64_t seen_at = SeenAt();
  row_seen_.reset();
  auto touch = [&](std::string_view kind, const std::string& value) -> Status {
    if (value.empty()) return Status::Ok();
    Statement& q = db_.Query("touch-contact-point");
    q.Bind(":customer_id", customer_id)
        .Bind(":kind", kind)
        .Bind(":value", value)
        .Bind(":seen_at", seen_at);
    RETURN_IF_ERROR(q.Run());
    if (db_.changes() > 0) values_seen_again_ = true;
    return Status::Ok();
  };
  for (std::string_view field : {"email", "email_2"}) {
    RETURN_IF_ERROR(touch("email", ContactValue(r.Get(FieldIndex(field)), "email", region)));
  }
  for (std::string_view field : {"mobile", "phone", "phone_2"}) {
    RETURN_IF_ERROR(touch("phone", ContactValue(r.Get(FieldIndex(field)), "phone", region)));
  }
  return touch("address", AddressOf(r, country).line);
}

void ImportJob::NoteSighting(const MappedRecord& r, Instant at) {
  const int64_t micros = std::min(at.micros, now_.micros);
  auto note = [&](std::string key) {
    auto [it, inserted] = sightings_.try_emplace(std::move(key), micros);
    if (!inserted) it->second = std::max(it->second, micros);
  };
  if (std::string_view raw = r.Get(FieldIndex("email")); !raw.empty()) {
    const EmailCheck& e = EmailOf(raw);
    if (e.valid) note("email|" + CanonicalEmail(e));
  }
  for (std::string_view field : {"mobile", "phone"}) {
    std::string_view raw = r.Get(FieldIndex(field));
    if (raw.empty()) continue;
    const PhoneCheck& p = PhoneOf(raw, options_.default_country);
    if (p.valid) note("phone|" + p.e164);
  }
}

Status ImportJob::WriteSightings() {
  Statement& q = db_.Query("sight-contact-value");
  for (const auto& [key, at] : sightings_) {
    const size_t bar = key.find('|');
    q.Bind(":kind", std::string_view(key).substr(0, bar))
        .Bind(":value", std::string_view(key).substr(bar + 1))
        .Bind(":seen_at", at);
    RETURN_IF_ERROR(q.Run());
    if (db_.changes() > 0) values_seen_again_ = true;
  }
  sightings_.clear();
  return Status::Ok();
}

Status ImportJob::AddContactPoint(int64_t customer_id, const MappedRecord& r,
                                  std::string_view field, std::string_view kind,
                                  const ContactKnowledge& known, std::string_view region) {
  int idx = FieldIndex(field);
  std::string_view raw = r.Get(idx);
  if (raw.empty()) return Status::Ok();
  NotePresent(field);
  std::string value = ContactValue(raw, kind, region);
  std::string reason, suggestion, phone_type;
  std::string status = "unverified";
  if (kind == "email") {
    const EmailCheck& check = EmailOf(raw);
    if (!check.valid) {
      reason = check.reason;
    }
    suggestion = check.suggestion;
    if (check.valid && !check.suggestion.empty()) {
      Flag(r, field, raw, "possible typo, did you mean " + check.suggestion.substr(check.suggestion.find('@') + 1));
      issues_.pop_back();  // a suggestion lives on the contact point itself
      Quality(field).invalid--;
    }
  } else {
    const PhoneCheck& check = PhoneOf(raw, region);
    if (!check.valid) reason = check.reason;
    phone_type = check.type;
  }
  if (value.empty()) return Status::Ok();
  if (!reason.empty()) {
    status = "invalid";
    Flag(r, field, raw, reason);
    issues_.pop_back();  // kept on the contact point with its reason
  } else {
    NoteValid(field);
    std::string hint = AsciiLower(TrimAscii(known.status_hint));
    if (hint == "verified" || hint == "yes" || hint == "true" || hint == "confirmed") status = "verified";
    if (hint == "bounced" || hint == "bounce") status = "bounced";
    // Dated knowledge says more than a status word: the later date decides.
    if (known.verified_at && (!known.bounced_at || *known.verified_at > *known.bounced_at)) {
      status = "verified";
    } else if (known.bounced_at) {
      status = "bounced";
    }
  }
  Statement& q = db_.Query("insert-contact-point");
  q.Bind(":customer_id", customer_id).Bind(":kind", kind).Bind(":value", value);
  if (value != raw) {
    q.Bind(":raw_value", raw);
  } else {
    q.BindNull(":raw_value");
  }
  q.BindOptional(":phone_type", phone_type);
  q.BindNull(":street").BindNull(":postal_code").BindNull(":city").BindNull(":region").BindNull(":country");
  q.Bind(":status", status).BindOptional(":invalid_reason", reason).BindOptional(":suggestion", suggestion);
  q.Bind(":source_id", source_id_);
  // A status without a date of its own is stamped with when the source saw
  // the value (SeenAt), which is also its first sighting's time when the
  // value is new: identity::EstimateDecay leaves such a status out.
  const int64_t seen_at = SeenAt();
  q.Bind(":seen_at", seen_at);
  if (known.verified_at && reason.empty()) {
    q.Bind(":verified_at", known.verified_at->micros);
  } else if (status == "verified") {
    q.Bind(":verified_at", seen_at);
  } else {
    q.BindNull(":verified_at");
  }
  if (known.bounced_at && reason.empty()) {
    q.Bind(":bounced_at", known.bounced_at->micros);
  } else {
    q.BindNull(":bounced_at");
  }
  return q.Run();
}

Status ImportJob::WriteAttributes(const MappedRecord& r, std::string_view entity, int64_t id) {
  for (const auto& [key, raw] : r.attributes) {
    std::string name(key.substr(5));  // after "attr."
    std::string field(key);
    if (raw.empty()) continue;
    NotePresent(field);
    std::string cache_key = std::string(entity) + ":" + name;
    auto it = attribute_types_.find(cache_key);
    if (it == attribute_types_.end()) {
      Statement& find = db_.Query("find-attribute-definition");
      find.Bind(":entity", entity).Bind(":name", name);
      ASSIGN_OR_RETURN(bool row, find.Step());
      std::string type = row ? find.String(0) : "text";
      find.Reset();
      if (!row) {
        Statement& def = db_.Query("insert-attribute-definition");
        def.Bind(":entity", entity).Bind(":name", name).Bind(":type", type);
        def.Bind(":description", "declared on first import").Bind(":now", now_.micros);
        RETURN_IF_ERROR(def.Run());
      }
      it = attribute_types_.emplace(cache_key, type).first;
    }
    const std::string& type = it->second;
    Statement& q = db_.Query(entity == "customer" ? "upsert-customer-attribute" : "upsert-account-attribute");
    q.Bind(entity == "customer" ? ":customer_id" : ":account_id", id).Bind(":name", name);
    bool ok = true;
    std::string why;
    if (type == "integer") {
      auto v = ParseInteger(raw);
      ok = v.ok();
      if (ok) q.Bind(":value", *v); else why = v.status().message();
    } else if (type == "number") {
      auto v = ParseAmountMinor(raw, 6);
      ok = v.ok();
      if (ok) q.Bind(":value", static_cast<double>(*v) / 1e6); else why = v.status().message();
    } else if (type == "boolean") {
      auto v = ParseBool(raw);
      ok = v.ok();
      if (ok) q.Bind(":value", static_cast<int64_t>(*v)); else why = v.status().message();
    } else if (type == "date") {
      auto v = ParseDate(raw, options_.date_options);
      ok = v.ok();
      if (ok) q.Bind(":value", v->ToString()); else why = v.status().message();
    } else if (type == "timestamp") {
      auto v = ParseTimestamp(raw, options_.date_options);
      ok = v.ok();
      if (ok) q.Bind(":value", FormatInstant(*v)); else why = v.status().message();
    } else {
      q.Bind(":value", NormalizeText(raw));
    }
    if (!ok) {
      q.Reset();
      Flag(r, field, raw, "not a valid " + type + ": " + why);
      continue;
    }
    NoteValid(field);
    RETURN_IF_ERROR(q.Run());
  }
  return Status::Ok();
}

// ---------------------------------------------------------------------------
// Customers
// ---------------------------------------------------------------------------

Status ImportJob::ImportCustomer(MappedRecord& r) {
  static const int kId = 0;
  const int f_email = FieldIndex("email"), f_phone = FieldIndex("phone"), f_mobile = FieldIndex("mobile");
  const int f_country = FieldIndex("country");

  // The record's key in its source.
  std::string region;
  std::string key(TrimAscii(r.Get(kId)));
  if (!key.empty()) NotePresent("customer_id"), NoteValid("customer_id");
  if (key.empty() && !r.Get(f_email).empty()) {
    const EmailCheck& e = EmailOf(r.Get(f_email));
    if (e.valid) key = CanonicalEmail(e);
  }
  std::optional<std::string> country = Country(r, f_country);
  region = country ? *country : options_.default_country;
  if (key.empty()) {
    for (int f : {f_mobile, f_phone}) {
      if (r.Get(f).empty()) continue;
      const PhoneCheck& p = PhoneOf(r.Get(f), region);
      if (p.valid) {
        key = p.e164;
        break;
      }
    }
  }
  uint64_t hash = ContentHash(r);
  if (key.empty()) key = "hash:" + Hex(hash);

  uint64_t old_hash = 0;
  ASSIGN_OR_RETURN(std::optional<int64_t> existing, FindSourceRecord("customer", key, &old_hash));
  if (!existing && !tombstones_.empty() && NamesErasedPerson(r, key, false, region)) {
    report_.erased_skipped++;
    issues_.clear();
    return Status::Ok();
  }
  if (existing && old_hash == hash) {
    report_.unchanged++;
    issues_.clear();
    return TouchContactPoints(*existing, r, region, country);
  }

  // Profile values, validated and normalised.
  std::string given = Text(r, FieldIndex("given_name"));
  std::string family = Text(r, FieldIndex("family_name"));
  std::string full = Text(r, FieldIndex("full_name"));
  if (full.empty() && (!given.empty() || !family.empty())) {
    full = given.empty() ? family : family.empty() ? given : given + " " + family;
  } else if (!full.empty() && given.empty() && family.empty()) {
    size_t sp = full.rfind(' ');
    if (sp != std::string::npos) {
      given = full.substr(0, sp);
      family = full.substr(sp + 1);
    }
  }
  std::string gender;
  if (int f = FieldIndex("gender"); !r.Get(f).empty()) {
    NotePresent("gender");
    std::optional<std::string> g = NormalizeGender(r.Get(f));
    if (g) {
      gender = *g;
      NoteValid("gender");
    } else {
      Flag(r, "gender", r.Get(f), "unknown gender value");
    }
  }
  std::string birth_date;
  if (int f = FieldIndex("birth_date"); !r.Get(f).empty()) {
    NotePresent("birth_date");
    auto d = ParseDate(r.Get(f), options_.date_options);
    CivilDate today = CivilDate::FromDays(now_.seconds() / 86400);
    if (!d.ok()) {
      Flag(r, "birth_date", r.Get(f), d.status().message());
    } else if (*d > today || d->year < today.year - 120) {
      Flag(r, "birth_date", r.Get(f), "birth date " + d->ToString() + " is not plausible");
    } else {
      birth_date = d->ToString();
      NoteValid("birth_date");
    }
  }
  std::optional<int64_t> household;
  if (int f = FieldIndex("household_size"); !r.Get(f).empty()) {
    NotePresent("household_size");
    auto n = ParseInteger(r.Get(f));
    if (!n.ok() || *n < 1 || *n > 50) {
      Flag(r, "household_size", r.Get(f), n.ok() ? "must be between 1 and 50" : n.status().message());
    } else {
      household = *n;
      NoteValid("household_size");
    }
  }
  std::string language = AsciiLower(Text(r, FieldIndex("language")));
  std::string time_zone = Text(r, FieldIndex("time_zone"));
  if (!time_zone.empty() && !IsKnownTimeZone(time_zone)) {
    Flag(r, "time_zone", time_zone, "unknown time zone (use an IANA name such as Asia/Tehran)");
    Quality("time_zone").valid--;
    time_zone.clear();
  }

  Statement& q = existing ? db_.Query("update-customer") : db_.Query("insert-customer");
  auto bind_text = [&](int idx, const std::string& v) { q.BindOptional(idx, std::string_view(v)); };
  bind_text(1, given);
  bind_text(2, family);
  bind_text(3, full);
  bind_text(4, Text(r, FieldIndex("salutation")));
  bind_text(5, Text(r, FieldIndex("greeting")));
  bind_text(6, gender);
  bind_text(7, birth_date);
  bind_text(8, AsciiLower(Text(r, FieldIndex("marital_status"))));
  bind_text(9, Text(r, FieldIndex("education")));
  bind_text(10, Text(r, FieldIndex("income_band")));
  q.BindOptional(11, household);
  bind_text(12, language);
  bind_text(13, time_zone);
  bind_text(14, Text(r, FieldIndex("city")));
  bind_text(15, Text(r, FieldIndex("region")));
  bind_text(16, country ? *country : std::string());
  bind_text(17, AsciiLower(Text(r, FieldIndex("acquisition_channel"))));
  bind_text(18, AsciiLower(Text(r, FieldIndex("lifecycle_stage"))));
  q.Bind(19, source_id_);
  std::optional<Instant> created;
  if (int f = FieldIndex("created_at"); !r.Get(f).empty()) {
    NotePresent("created_at");
    auto t = ParseTimestamp(r.Get(f), options_.date_options);
    if (t.ok()) {
      created = *t;
      NoteValid("created_at");
    } else {
      Flag(r, "created_at", r.Get(f), t.status().message());
    }
  }
  q.Bind(20, created ? created->micros : now_.micros);
  q.Bind(21, now_.micros);
  ASSIGN_OR_RETURN(int64_t id, InsertOrUpdate(q, existing, 22));

  // Contact points.
  row_seen_ = ContactDate(r, "last_seen_at");
  const ContactKnowledge email_known{r.Get(FieldIndex("email_status")),
                                     ContactDate(r, "email_verified_at"),
                                     ContactDate(r, "email_bounced_at")};
  // The phone's status and dates are of the mobile, or of the phone when the
  // record has no mobile.
  const ContactKnowledge phone_known{r.Get(FieldIndex("phone_status")),
                                     ContactDate(r, "phone_verified_at"),
                                     ContactDate(r, "phone_bounced_at")};
  const bool has_mobile = !r.Get(FieldIndex("mobile")).empty();
  RETURN_IF_ERROR(AddContactPoint(id, r, "email", "email", email_known, region));
  RETURN_IF_ERROR(AddContactPoint(id, r, "email_2", "email", {}, region));
  RETURN_IF_ERROR(AddContactPoint(id, r, "mobile", "phone", phone_known, region));
  RETURN_IF_ERROR(AddContactPoint(
      id, r, "phone", "phone",
      has_mobile ? ContactKnowledge{r.Get(FieldIndex("phone_status")), {}, {}} : phone_known,
      region));
  RETURN_IF_ERROR(AddContactPoint(id, r, "phone_2", "phone", {}, region));
  RETURN_IF_ERROR(AddAddress(id, r, country));
  row_seen_.reset();

  // Consents: appended to the ledger only when the state changes.
  std::string method;
  if (int f = FieldIndex("consent_method"); !r.Get(f).empty()) {
    NotePresent("consent_method");
    std::optional<std::string> m = NormalizeConsentMethod(r.Get(f));
    if (m) {
      method = *m;
      NoteValid("consent_method");
    } else {
      Flag(r, "consent_method", r.Get(f), "unknown consent method");
    }
  }
  Instant consent_at = created.value_or(now_);
  if (int f = FieldIndex("consent_at"); !r.Get(f).empty()) {
    NotePresent("consent_at");
    auto t = ParseTimestamp(r.Get(f), options_.date_options);
    if (t.ok()) {
      consent_at = *t;
      NoteValid("consent_at");
    } else {
      Flag(r, "consent_at", r.Get(f), t.status().message());
    }
  }
  std::string proof = Text(r, FieldIndex("consent_proof"));
  for (const char* channel : {"email", "sms", "phone", "mail"}) {
    std::string field = std::string("consent_") + channel;
    std::string_view raw = r.Get(FieldIndex(field.c_str()));
    if (raw.empty()) continue;
    NotePresent(field);
    auto granted = ParseBool(raw);
    if (!granted.ok()) {
      Flag(r, field, raw, granted.status().message());
      continue;
    }
    NoteValid(field);
    const char* status = *granted ? "granted" : "withdrawn";
    if (existing) {  // a new customer has no consent history to compare with
      Statement& cur = db_.Query("current-consent");
      cur.Bind(":customer_id", id).Bind(":channel", channel).Bind(":purpose", "marketing");
      ASSIGN_OR_RETURN(bool row, cur.Step());
      bool same = row && cur.Text(0) == status;
      cur.Reset();
      if (same) continue;
    }
    Statement& ins = db_.Query("insert-consent");
    ins.Bind(":customer_id", id).Bind(":channel", channel).Bind(":purpose", "marketing").Bind(":status", status);
    ins.Bind(":recorded_at", consent_at.micros).Bind(":source_id", source_id_);
    ins.Bind(":method", method.empty() ? "unknown" : method).BindOptional(":proof", proof);
    RETURN_IF_ERROR(ins.Run());
  }

  // Tags.
  if (int f = FieldIndex("tags"); !r.Get(f).empty()) {
    NotePresent("tags");
    NoteValid("tags");
    std::string_view tags = r.Get(f);
    size_t start = 0;
    while (start <= tags.size()) {
      size_t end = tags.find_first_of("|;,", start);
      if (end == std::string_view::npos) end = tags.size();
      std::string tag = NormalizeText(tags.substr(start, end - start));
      if (!tag.empty()) {
        Statement& t = db_.Query("insert-tag");
        t.Bind(":customer_id", id).Bind(":tag", tag);
        RETURN_IF_ERROR(t.Run());
      }
      start = end + 1;
    }
  }

  // B2B membership.
  if (int f = FieldIndex("account_id"); !r.Get(f).empty()) {
    NotePresent("account_id");
    std::string account_key(TrimAscii(r.Get(f)));
    ASSIGN_OR_RETURN(std::optional<int64_t> account, FindSourceRecord("account", account_key, nullptr));
    if (!account) {
      Flag(r, "account_id", account_key, "unknown account (import accounts from this source first)");
    } else {
      NoteValid("account_id");
      Statement& m = db_.Query("upsert-account-member");
      m.Bind(":account_id", *account).Bind(":customer_id", id);
      m.BindOptional(":job_title", Text(r, FieldIndex("job_title"))).Bind(":now", now_.micros);
      RETURN_IF_ERROR(m.Run());
    }
  }

  RETURN_IF_ERROR(WriteAttributes(r, "customer", id));
  RETURN_IF_ERROR(WriteIssues("customer", id));
  return UpsertSourceRecord("customer", key, id, hash);
}

// ---------------------------------------------------------------------------
// Accounts
// ---------------------------------------------------------------------------

Status ImportJob::ImportAccount(MappedRecord& r) {
  const int f_name = FieldIndex("name"), f_domain = FieldIndex("domain");
  std::string name = Text(r, f_name);
  std::string domain;
  if (!r.Get(f_domain).empty()) {
    NotePresent("domain");
    std::optional<std::string> d = NormalizeDomain(r.Get(f_domain));
    if (d) {
      domain = *d;
      NoteValid("domain");
    } else {
      Flag(r, "domain", r.Get(f_domain), "not a valid domain name");
    }
  }
  if (name.empty() && domain.empty()) return Reject(r, "account has neither name nor domain");
  if (name.empty()) name = domain;
  std::string key(TrimAscii(r.Get(0)));
  if (key.empty()) key = domain.empty() ? "name:" + FoldForMatching(name) : "domain:" + domain;
  else NotePresent("account_id"), NoteValid("account_id");
  uint64_t hash = ContentHash(r);
  uint64_t old_hash = 0;
  ASSIGN_OR_RETURN(std::optional<int64_t> existing, FindSourceRecord("account", key, &old_hash));
  if (existing && old_hash == hash) {
    report_.unchanged++;
    issues_.clear();
    return Status::Ok();
  }
  std::string currency = AsciiLower(Text(r, FieldIndex("currency")));
  for (char& c : currency) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (currency.empty()) currency = options_.default_currency;
  std::optional<int64_t> employees, revenue;
  if (int f = FieldIndex("employees"); !r.Get(f).empty()) {
    NotePresent("employees");
    auto n = ParseInteger(r.Get(f));
    if (n.ok() && *n >= 0) {
      employees = *n;
      NoteValid("employees");
    } else {
      Flag(r, "employees", r.Get(f), n.ok() ? "must not be negative" : n.status().message());
    }
  }
  if (int f = FieldIndex("revenue"); !r.Get(f).empty()) {
    NotePresent("revenue");
    auto v = ParseAmountMinor(r.Get(f), CurrencyMinorDigits(currency));
    if (v.ok()) {
      revenue = *v;
      NoteValid("revenue");
    } else {
      Flag(r, "revenue", r.Get(f), v.status().message());
    }
  }
  std::optional<std::string> country = Country(r, FieldIndex("country"));
  Statement& q = existing ? db_.Query("update-account") : db_.Query("insert-account");
  q.Bind(1, name).BindOptional(2, domain).BindOptional(3, Text(r, FieldIndex("industry_code")));
  q.BindOptional(4, employees).BindOptional(5, revenue).Bind(6, currency);
  q.BindOptional(7, AsciiLower(Text(r, FieldIndex("tier"))));
  q.BindOptional(8, AsciiLower(Text(r, FieldIndex("contract_status"))));
  q.BindOptional(9, Text(r, FieldIndex("city"))).BindOptional(10, country ? *country : std::string());
  q.Bind(11, source_id_).Bind(12, now_.micros);
  ASSIGN_OR_RETURN(int64_t id, InsertOrUpdate(q, existing, 13));
  RETURN_IF_ERROR(WriteAttributes(r, "account", id));
  RETURN_IF_ERROR(WriteIssues("account", id));
  return UpsertSourceRecord("account", key, id, hash);
}

// ---------------------------------------------------------------------------
// Products and categories
// ---------------------------------------------------------------------------

Result<int64_t> ImportJob::EnsureCategory(std::string_view path) {
  return EnsureCategoryPath(db_, path, &catalog_.categories);
}

Result<int64_t> ImportJob::EnsureProduct(std::string_view sku, std::string_view name, std::string_view category,
                                         std::optional<int64_t> price, std::string_view currency, bool* created) {
  if (catalog_.products.size() > kCacheLimit) catalog_.products.clear();
  return EnsureProductSku(db_, sku, name, category, price, currency, now_, &catalog_, created);
}

Status ImportJob::ImportProduct(MappedRecord& r) {
  std::string sku(TrimAscii(r.Get(FieldIndex("sku"))));
  if (sku.empty()) return Reject(r, "missing sku");
  NotePresent("sku");
  NoteValid("sku");
  std::string name = Text(r, FieldIndex("name"));
  std::string currency(TrimAscii(r.Get(FieldIndex("currency"))));
  if (currency.empty()) currency = options_.default_currency;
  for (char& c : currency) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::optional<int64_t> price;
  if (int f = FieldIndex("price"); !r.Get(f).empty()) {
    NotePresent("price");
    auto p = ParseAmountMinor(r.Get(f), CurrencyMinorDigits(currency));
    if (p.ok() && *p >= 0) {
      price = *p;
      NoteValid("price");
    } else {
      Flag(r, "price", r.Get(f), p.ok() ? "must not be negative" : p.status().message());
    }
  }
  std::optional<int64_t> category_id;
  if (int f = FieldIndex("category"); !r.Get(f).empty()) {
    NotePresent("category");
    auto c = EnsureCategory(r.Get(f));
    if (c.ok()) {
      category_id = *c;
      NoteValid("category");
    } else {
      Flag(r, "category", r.Get(f), c.status().message());
    }
  }
  std::string brand = Text(r, FieldIndex("brand"));
  Statement& find = db_.Query("find-product");
  find.Bind(":sku", sku);
  ASSIGN_OR_RETURN(bool row, find.Step());
  int64_t id = row ? find.Int(0) : 0;
  find.Reset();
  if (row) {
    Statement& up = db_.Query("update-product");
    up.Bind(":id", id).BindOptional(":name", name).BindOptional(":category_id", category_id);
    up.BindOptional(":brand", brand).BindOptional(":price_minor", price).Bind(":currency", currency);
    up.Bind(":now", now_.micros);
    RETURN_IF_ERROR(up.Run());
    (db_.changes() > 0 ? report_.updated : report_.unchanged)++;
  } else {
    Statement& ins = db_.Query("insert-product");
    ins.Bind(":sku", sku).BindOptional(":name", name).BindOptional(":category_id", category_id);
    ins.BindOptional(":brand", brand).BindOptional(":price_minor", price).Bind(":currency", currency);
    ins.Bind(":now", now_.micros);
    RETURN_IF_ERROR(ins.Run());
    id = db_.last_insert_id();
    report_.inserted++;
  }
  catalog_.products[sku] = id;
  return WriteIssues("product", id);
}

// ---------------------------------------------------------------------------
// Customers named by orders and events
// ---------------------------------------------------------------------------

ImportJob::AddressParts ImportJob::AddressOf(const MappedRecord& r,
                                             const std::optional<std::string>& country) {
  AddressParts a;
  a.street = NormalizeText(r.Get(FieldIndex("street")));
  a.postal = AsciiDigits(NormalizeText(r.Get(FieldIndex("postal_code"))));
  a.city = NormalizeText(r.Get(FieldIndex("city")));
  if (a.street.empty() && a.postal.empty()) return a;
  a.line = a.street;
  std::string locality = a.postal.empty() ? a.city
                         : a.city.empty() ? a.postal
                                          : a.postal + " " + a.city;
  if (!locality.empty()) a.line += (a.line.empty() ? "" : ", ") + locality;
  if (country) a.line += ", " + *country;
  return a;
}

Status ImportJob::AddAddress(int64_t customer_id, const MappedRecord& r, const std::optional<std::string>& country) {
  for (std::string_view field : {"street", "postal_code"}) {
    if (!r.Get(FieldIndex(field)).empty()) NotePresent(field), NoteValid(field);
  }
  const AddressParts a = AddressOf(r, country);
  if (a.line.empty()) return Status::Ok();
  Statement& cp = db_.Query("insert-contact-point");
  cp.Bind(":customer_id", customer_id)
      .Bind(":kind", "address")
      .Bind(":value", a.line)
      .BindNull(":raw_value");
  cp.BindNull(":phone_type")
      .BindOptional(":street", a.street)
      .BindOptional(":postal_code", a.postal);
  cp.BindOptional(":city", a.city)
      .BindOptional(":region", NormalizeText(r.Get(FieldIndex("region"))));
  cp.BindOptional(":country", country ? *country : std::string());
  cp.Bind(":status", "unverified").BindNull(":invalid_reason").BindNull(":suggestion");
  cp.Bind(":source_id", source_id_).BindNull(":verified_at");
  cp.Bind(":seen_at", SeenAt());
  cp.BindNull(":bounced_at");
  return cp.Run();
}

Result<int64_t> ImportJob::ResolveCustomer(MappedRecord& r) {
  const int f_id = FieldIndex("customer_id"), f_email = FieldIndex("email");
  const int f_phone = FieldIndex("phone"), f_mobile = FieldIndex("mobile");
  std::string id_key(TrimAscii(r.Get(f_id)));
  std::string email, phone;
  if (!r.Get(f_email).empty()) {
    const EmailCheck& e = EmailOf(r.Get(f_email));
    if (e.valid) email = CanonicalEmail(e);
  }
  for (int f : {f_mobile, f_phone}) {
    if (!phone.empty() || r.Get(f).empty()) continue;
    const PhoneCheck& p = PhoneOf(r.Get(f), options_.default_country);
    if (p.valid) phone = p.e164;
  }
  if (id_key.empty() && email.empty() && phone.empty()) {
    std::string_view device = DeviceOf(r);
    if (device.empty()) {
      return InvalidArgument(FieldIndex("anonymous_id") >= 0
                                 ? "no usable customer key: give customer_id, a valid email, a valid phone or an "
                                   "anonymous_id"
                                 : "no usable customer key: give customer_id, a valid email or a valid phone");
    }
    return ResolveAnonymous(device);
  }
  std::string cache_key = !id_key.empty() ? "id:" + id_key : !email.empty() ? "email:" + email : "phone:" + phone;
  auto it = customer_cache_.find(cache_key);
  if (it != customer_cache_.end()) return it->second;

  std::optional<int64_t> found;
  if (!id_key.empty()) {
    ASSIGN_OR_RETURN(found, FindSourceRecord("customer", id_key, nullptr));
    if (!found) {
      // The key may be another source's (a web shop naming the CRM's customer id):
      // probe each source's primary key rather than keep a second index on keys.
      if (source_ids_.empty()) {
        Statement& ids = db_.Query("list-source-ids");
        while (true) {
          ASSIGN_OR_RETURN(bool more, ids.Step());
          if (!more) break;
          source_ids_.push_back(ids.Int(0));
        }
      }
      Statement& probe = db_.Query("find-source-record");
      for (int64_t source : source_ids_) {
        if (source == source_id_) continue;
        probe.Bind(":source_id", source).Bind(":entity", "customer").Bind(":key", id_key);
        ASSIGN_OR_RETURN(bool row, probe.Step());
        if (row) found = probe.Int(0);
        probe.Reset();
        if (found) break;
      }
    }
  }
  if (!found && !email.empty()) {
    ASSIGN_OR_RETURN(std::vector<int64_t> ids, FindCustomersByContact(db_, "email", email));
    if (!ids.empty()) found = ids.front();
  }
  if (!found && !phone.empty()) {
    ASSIGN_OR_RETURN(std::vector<int64_t> ids, FindCustomersByContact(db_, "phone", phone));
    if (!ids.empty()) found = ids.front();
  }
  if (!found && !tombstones_.empty() && NamesErasedPerson(r, id_key, true, options_.default_country)) {
    found = 0;
  }
  if (!found) {
    // Unknown customer: create one from this source rather than reject the record.
    Statement& ins = db_.Query("insert-minimal-customer");
    const std::string given = NormalizeText(r.Get(FieldIndex("given_name")));
    const std::string family = NormalizeText(r.Get(FieldIndex("family_name")));
    const std::string full = given.empty() ? family : family.empty() ? given : given + " " + family;
    ins.Bind(":source_id", source_id_).Bind(":now", now_.micros);
    ins.BindOptional(":given_name", given)
        .BindOptional(":family_name", family)
        .BindOptional(":full_name", full);
    RETURN_IF_ERROR(ins.Run());
    found = db_.last_insert_id();
    report_.customers_created++;
    std::string key = !id_key.empty() ? id_key : !email.empty() ? email : phone;
    RETURN_IF_ERROR(UpsertSourceRecord("customer", key, *found, 0));
    std::vector<PendingIssue> saved;
    saved.swap(issues_);
    RETURN_IF_ERROR(AddContactPoint(*found, r, "email", "email", {}, options_.default_country));
    RETURN_IF_ERROR(AddContactPoint(*found, r, "mobile", "phone", {}, options_.default_country));
    RETURN_IF_ERROR(AddContactPoint(*found, r, "phone", "phone", {}, options_.default_country));
    // A guest checkout's delivery address is where the buyer lives more
    // often than not; an order by a known customer may be a gift, so only a
    // customer this record creates takes it.
    RETURN_IF_ERROR(AddAddress(*found, r, Country(r, FieldIndex("country"))));
    issues_.swap(saved);
  } else if (*found != 0 && (!email.empty() || !phone.empty())) {
    // (0: the record names an erased person and is skipped.)
    // A known customer named with contact values no customer has yet (an
    // order placed by customer id with a new email, a guest checkout found by
    // its mobile): the values are this customer's too, which identity
    // resolution uses. A value another customer already has stays that
    // customer's, so that importing again finds the same customers.
    std::vector<PendingIssue> saved;
    saved.swap(issues_);
    if (!email.empty()) {
      ASSIGN_OR_RETURN(std::vector<int64_t> owners, FindCustomersByContact(db_, "email", email));
      if (owners.empty())
        RETURN_IF_ERROR(AddContactPoint(*found, r, "email", "email", {}, options_.default_country));
    }
    if (!phone.empty()) {
      ASSIGN_OR_RETURN(std::vector<int64_t> owners, FindCustomersByContact(db_, "phone", phone));
      if (owners.empty()) {
        RETURN_IF_ERROR(
            AddContactPoint(*found, r, "mobile", "phone", {}, options_.default_country));
        RETURN_IF_ERROR(AddContactPoint(*found, r, "phone", "phone", {}, options_.default_country));
      }
    }
    issues_.swap(saved);
  }
  if (customer_cache_.size() > kCacheLimit) customer_cache_.clear();
  customer_cache_.emplace(std::move(cache_key), *found);
  return *found;
}

Status ImportJob::StitchDevice(std::string_view device, int64_t customer) {
  const std::string key = "anon:" + std::string(device);
  // Once per device and import: the anonymous profile folds at its first
  // sighting under a known customer, and the key then names that customer.
  if (devices_stitched_.size() > kCacheLimit) devices_stitched_.clear();
  if (!devices_stitched_.insert(key).second) return Status::Ok();
  ASSIGN_OR_RETURN(std::optional<int64_t> anonymous, FindSourceRecord("customer", key, nullptr));
  if (!anonymous || *anonymous == customer) return Status::Ok();
  ASSIGN_OR_RETURN(bool folded, FoldAnonymousProfile(db_, source_id_, *anonymous, customer));
  if (!folded) return Status::Ok();
  // The key moved with the profile's other rows; look-ups must see the move.
  customer_cache_.clear();
  report_.stitched++;
  return Status::Ok();
}

Result<int64_t> ImportJob::ResolveAnonymous(std::string_view device) {
  const std::string key = "anon:" + std::string(device);
  auto it = customer_cache_.find(key);
  if (it != customer_cache_.end()) return it->second;
  int64_t customer = 0;
  // The visitor the device was last seen as (logged in, or known by an email).
  Statement& seen = db_.Query("find-customer-by-device");
  seen.Bind(":device_id", device);
  ASSIGN_OR_RETURN(bool row, seen.Step());
  if (row) customer = seen.Int(0);
  seen.Reset();
  if (customer == 0) {
    ASSIGN_OR_RETURN(std::optional<int64_t> found, FindSourceRecord("customer", key, nullptr));
    if (found) customer = *found;
  }
  if (customer == 0) {
    if (!tombstones_.empty() && tombstones_.IsErased(access::IdentifierKind::kSourceKey, key, source_id_)) return 0;
    // An anonymous visitor's profile, keyed as the collector keys it; identity
    // resolution joins it to a known customer seen on the same device.
    Statement& ins = db_.Query("insert-minimal-customer");
    ins.Bind(":source_id", source_id_).Bind(":now", now_.micros);
    ins.BindNull(":given_name").BindNull(":family_name").BindNull(":full_name");
    RETURN_IF_ERROR(ins.Run());
    customer = db_.last_insert_id();
    report_.customers_created++;
    RETURN_IF_ERROR(UpsertSourceRecord("customer", key, customer, 0));
  }
  if (customer_cache_.size() > kCacheLimit) customer_cache_.clear();
  customer_cache_.emplace(key, customer);
  return customer;
}

bool ImportJob::NamesErasedPerson(const MappedRecord& r, std::string_view source_key, bool key_in_any_source,
                                  std::string_view region) {
  using access::IdentifierKind;
  if (!source_key.empty()) {
    if (tombstones_.IsErased(IdentifierKind::kSourceKey, source_key, source_id_)) return true;
    if (key_in_any_source) {
      for (int64_t source : source_ids_) {
        if (tombstones_.IsErased(IdentifierKind::kSourceKey, source_key, source)) return true;
      }
    }
  }
  for (const char* field : {"email", "email_2"}) {
    std::string_view raw = r.Get(FieldIndex(field));
    if (raw.empty()) continue;
    const EmailCheck& e = EmailOf(raw);
    if (e.valid && tombstones_.IsErased(IdentifierKind::kEmail, CanonicalEmail(e))) return true;
  }
  for (const char* field : {"mobile", "phone", "phone_2"}) {
    std::string_view raw = r.Get(FieldIndex(field));
    if (raw.empty()) continue;
    const PhoneCheck& p = PhoneOf(raw, region);
    if (p.valid && tombstones_.IsErased(IdentifierKind::kPhone, p.e164)) return true;
  }
  for (const auto& [name, value] : r.attributes) {
    if (name == "attr.national_id" && tombstones_.IsErased(IdentifierKind::kNationalId, value)) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------
// Orders
// ---------------------------------------------------------------------------

Status ImportJob::FinishOrder() {
  if (current_order_id_ == 0) return Status::Ok();
  if (current_order_is_new_) {
    Statement& q = db_.Query("set-order-total");
    q.Bind(":id", current_order_id_).Bind(":total", current_order_total_);
    RETURN_IF_ERROR(q.Run());
  } else {
    Statement& q = db_.Query("refresh-order-total");
    q.Bind(":id", current_order_id_);
    RETURN_IF_ERROR(q.Run());
  }
  current_order_id_ = 0;
  current_order_key_.clear();
  return Status::Ok();
}

Status ImportJob::ImportOrderLine(MappedRecord& r) {
  std::string order_key(TrimAscii(r.Get(FieldIndex("order_id"))));
  if (order_key.empty()) return Reject(r, "missing order_id");
  std::string_view when = r.Get(FieldIndex("ordered_at"));
  if (when.empty()) return Reject(r, "missing ordered_at");
  auto ordered_at = ParseTimestamp(when, options_.date_options);
  if (!ordered_at.ok()) return Reject(r, "ordered_at: " + ordered_at.status().message());
  std::string sku(TrimAscii(r.Get(FieldIndex("sku"))));
  std::string product_name = NormalizeText(r.Get(FieldIndex("product_name")));
  if (sku.empty() && product_name.empty()) return Reject(r, "order line has neither sku nor product_name");
  if (sku.empty()) sku = "name:" + FoldForMatching(product_name);
  int64_t quantity = 1;
  if (int f = FieldIndex("quantity"); !r.Get(f).empty()) {
    auto q = ParseInteger(r.Get(f));
    if (!q.ok()) return Reject(r, "quantity: " + q.status().message());
    if (*q <= 0 || *q > 1'000'000) return Reject(r, "quantity " + std::to_string(*q) + " is not plausible");
    quantity = *q;
  }
  std::string currency(TrimAscii(r.Get(FieldIndex("currency"))));
  for (char& c : currency) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (currency.empty()) currency = options_.default_currency;
  std::optional<int64_t> unit_price;
  if (int f = FieldIndex("unit_price"); !r.Get(f).empty()) {
    auto p = ParseAmountMinor(r.Get(f), CurrencyMinorDigits(currency));
    if (!p.ok()) return Reject(r, "unit_price: " + p.status().message());
    unit_price = *p;
  }
  int64_t discount = 0;
  if (int f = FieldIndex("discount"); !r.Get(f).empty()) {
    auto d = ParseAmountMinor(r.Get(f), CurrencyMinorDigits(currency));
    if (!d.ok()) return Reject(r, "discount: " + d.status().message());
    discount = *d;
  }
  std::optional<int64_t> line_no;
  if (int f = FieldIndex("line_no"); !r.Get(f).empty()) {
    auto n = ParseInteger(r.Get(f));
    if (!n.ok() || *n <= 0) return Reject(r, "line_no must be a positive integer");
    line_no = *n;
  }
  auto customer = ResolveCustomer(r);
  if (!customer.ok()) return Reject(r, customer.status().message());
  if (*customer == 0) {
    report_.erased_skipped++;
    issues_.clear();
    return Status::Ok();
  }

  if (order_key != current_order_key_) {
    RETURN_IF_ERROR(FinishOrder());
    std::string status = AsciiLower(NormalizeText(r.Get(FieldIndex("status"))));
    if (status.empty()) status = "completed";
    std::string channel = AsciiLower(NormalizeText(r.Get(FieldIndex("channel"))));
    // Insert first: a new order (the common case in a large import) costs one
    // statement; only a conflict (a re-import) looks the existing order up.
    Statement& ins = db_.Query("insert-order-if-new");
    ins.Bind(":customer_id", *customer).Bind(":order_number", order_key).Bind(":ordered_at", ordered_at->micros);
    ins.Bind(":status", status).BindOptional(":channel", channel).Bind(":currency", currency);
    ins.Bind(":source_id", source_id_);
    RETURN_IF_ERROR(ins.Run());
    int64_t id = 0;
    current_order_is_new_ = db_.changes() > 0;
    if (current_order_is_new_) {
      id = db_.last_insert_id();
      NoteSighting(r, *ordered_at);  // the email or mobile the order was placed with
    } else {
      Statement& find = db_.Query("find-order");
      find.Bind(":source_id", source_id_).Bind(":order_number", order_key);
      ASSIGN_OR_RETURN(bool row, find.Step());
      id = row ? find.Int(0) : 0;
      find.Reset();
      if (!row) return Internal("order '" + order_key + "' conflicts but cannot be found");
      Statement& up = db_.Query("update-order");
      up.Bind(":id", id).Bind(":customer_id", *customer).Bind(":ordered_at", ordered_at->micros);
      up.Bind(":status", status).BindOptional(":channel", channel).Bind(":currency", currency);
      RETURN_IF_ERROR(up.Run());
    }
    current_order_key_ = order_key;
    current_order_id_ = id;
    current_order_total_ = 0;
    next_line_no_ = 1;
  }
  bool product_created = false;
  ASSIGN_OR_RETURN(int64_t product_id, EnsureProduct(sku, product_name, r.Get(FieldIndex("category")),
                                                     unit_price, currency, &product_created));
  int64_t line = line_no.value_or(next_line_no_);
  next_line_no_ = line + 1;
  int64_t price = unit_price.value_or(0);
  Statement& ins = db_.Query("insert-order-line");
  ins.Bind(":order_id", current_order_id_).Bind(":line_no", line).Bind(":product_id", product_id);
  ins.Bind(":quantity", quantity).Bind(":unit_price_minor", price).Bind(":discount_minor", discount);
  RETURN_IF_ERROR(ins.Run());
  current_order_total_ += quantity * price - discount;
  if (db_.changes() > 0) {
    report_.inserted++;
  } else {
    current_order_is_new_ = false;  // a repeated line number: recompute the total from the table
    Statement& up = db_.Query("update-order-line");
    up.Bind(":order_id", current_order_id_).Bind(":line_no", line).Bind(":product_id", product_id);
    up.Bind(":quantity", quantity).Bind(":unit_price_minor", price).Bind(":discount_minor", discount);
    RETURN_IF_ERROR(up.Run());
    (db_.changes() > 0 ? report_.updated : report_.unchanged)++;
  }
  issues_.clear();
  return Status::Ok();
}

// ---------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------

Status ImportJob::ImportEvent(MappedRecord& r) {
  std::string type = NormalizeText(r.Get(FieldIndex("type")));
  if (type.empty()) return Reject(r, "missing event type");
  if (IsSegmentCallType(type)) {
    // A Segment call without an "event" name: page/screen/identify calls are events too.
    for (const auto& [k, v] : r.extras) {
      if (k == "name" && !v.empty()) type = type + ":" + NormalizeText(v);
    }
  }
  std::string_view when = r.Get(FieldIndex("occurred_at"));
  if (when.empty()) return Reject(r, "missing occurred_at");
  auto occurred_at = ParseTimestamp(when, options_.date_options);
  if (!occurred_at.ok()) return Reject(r, "occurred_at: " + occurred_at.status().message());

  // Properties: the JSON object given, plus any unmapped columns.
  std::string properties;
  std::string_view given = TrimAscii(r.Get(FieldIndex("properties")));
  static const char* kEnvelope[] = {"sentAt", "receivedAt", "integrations", "_metadata", "version",
                                    "writeKey", "type",     "name"};
  bool has_extras = false;
  for (const auto& [k, v] : r.extras) {
    if (std::find(std::begin(kEnvelope), std::end(kEnvelope), k) == std::end(kEnvelope)) has_extras = true;
  }
  if (!has_extras && (given.empty() || given.front() == '{')) {
    properties = given.empty() ? "{}" : std::string(given);
    if (!given.empty() && !nlohmann::json::accept(given)) {
      Flag(r, "properties", given, "not a JSON object");
      properties = nlohmann::json{{"_invalid_properties", std::string(given)}}.dump();
    }
  } else {
    nlohmann::json obj = nlohmann::json::object();
    if (!given.empty()) {
      auto parsed = nlohmann::json::parse(given, nullptr, /*allow_exceptions=*/false);
      if (parsed.is_object()) {
        obj = std::move(parsed);
      } else {
        Flag(r, "properties", given, "not a JSON object");
        obj["_invalid_properties"] = std::string(given);
      }
    }
    for (const auto& [k, v] : r.extras) {
      if (std::find(std::begin(kEnvelope), std::end(kEnvelope), k) != std::end(kEnvelope)) continue;
      auto parsed = (!v.empty() && (v.front() == '{' || v.front() == '['))
                        ? nlohmann::json::parse(v, nullptr, false)
                        : nlohmann::json(nlohmann::json::value_t::discarded);
      obj[std::string(k)] = parsed.is_discarded() ? nlohmann::json(std::string(v)) : parsed;
    }
    properties = obj.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  std::string key(TrimAscii(r.Get(FieldIndex("event_id"))));
  if (key.empty()) key = "hash:" + Hex(ContentHash(r));

  auto customer = ResolveCustomer(r);
  if (!customer.ok()) return Reject(r, customer.status().message());
  if (*customer == 0) {
    report_.erased_skipped++;
    issues_.clear();
    return Status::Ok();
  }
  Statement& ins = db_.Query("insert-event");
  ins.Bind(":customer_id", *customer).Bind(":type", type).Bind(":occurred_at", occurred_at->micros);
  ins.Bind(":received_at", now_.micros).Bind(":source_id", source_id_).Bind(":source_key", key);
  ins.Bind(":properties", properties);
  RETURN_IF_ERROR(ins.Run());
  if (db_.changes() > 0) {
    report_.inserted++;
    NoteSighting(r, *occurred_at);
  } else {
    report_.unchanged++;
  }
  RETURN_IF_ERROR(NoteDevice(r, *customer, occurred_at->micros));
  if (std::string_view device = DeviceOf(r); !device.empty() && NamesAKnownVisitor(r)) {
    RETURN_IF_ERROR(StitchDevice(device, *customer));
  }
  issues_.clear();
  return Status::Ok();
}

Status ImportJob::NoteDevice(const MappedRecord& r, int64_t customer_id, int64_t seen_at) {
  std::string_view device = DeviceOf(r);
  if (device.empty()) {
    std::string_view raw = TrimAscii(r.Get(FieldIndex("anonymous_id")));
    if (!raw.empty()) Flag(r, "anonymous_id", raw.substr(0, 40), "longer than 200 characters: not a device id");
    return Status::Ok();
  }
  // The events of a visit repeat the pair: written again only when an event
  // widens the seen span this import already wrote.
  std::string seen = std::to_string(customer_id) + "|" + std::string(device);
  if (devices_noted_.size() > kCacheLimit) devices_noted_.clear();
  auto [span, inserted] = devices_noted_.try_emplace(std::move(seen), seen_at, seen_at);
  if (!inserted) {
    if (seen_at >= span->second.first && seen_at <= span->second.second) return Status::Ok();
    span->second.first = std::min(span->second.first, seen_at);
    span->second.second = std::max(span->second.second, seen_at);
  }
  Statement& q = db_.Query("upsert-customer-device");
  q.Bind(":customer_id", customer_id).Bind(":device_id", device).Bind(":source_id", source_id_);
  q.Bind(":seen_at", seen_at);
  return q.Run();
}

// ---------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------

const EmailCheck& ImportJob::EmailOf(std::string_view raw) {
  for (const EmailMemo& m : email_memo_) {
    if (m.raw.data() == raw.data() && m.raw.size() == raw.size()) return m.check;
  }
  email_memo_.push_back({raw, CheckEmail(raw)});
  return email_memo_.back().check;
}

const PhoneCheck& ImportJob::PhoneOf(std::string_view raw, std::string_view region) {
  for (const PhoneMemo& m : phone_memo_) {
    if (m.raw.data() == raw.data() && m.raw.size() == raw.size() && m.region == region) return m.check;
  }
  phone_memo_.push_back({raw, std::string(region), CheckPhone(raw, region)});
  return phone_memo_.back().check;
}

Status ImportJob::ProcessRecord(MappedRecord& record) {
  email_memo_.clear();  // the record's buffer is reused: remembered checks are its only
  phone_memo_.clear();
  if (!in_transaction_) {
    RETURN_IF_ERROR(db_.Begin());
    in_transaction_ = true;
  }
  Status s;
  switch (options_.kind) {
    case EntityKind::kCustomers: s = ImportCustomer(record); break;
    case EntityKind::kAccounts: s = ImportAccount(record); break;
    case EntityKind::kProducts: s = ImportProduct(record); break;
    case EntityKind::kOrders: s = ImportOrderLine(record); break;
    case EntityKind::kEvents: s = ImportEvent(record); break;
  }
  ++records_in_batch_;
  return s;
}

Result<ImportReport> ImportJob::Run() {
  auto started = std::chrono::steady_clock::now();
  report_.kind = std::string(EntityKindName(options_.kind));
  report_.path = options_.path;
  report_.source = options_.source_name;
  if (!options_.default_country.empty() && !NormalizeCountry(options_.default_country)) {
    return InvalidArgument("--default-country '" + options_.default_country + "' is not an ISO country code");
  }
  // A day's grace for time zones, as for the dates in a file.
  if (options_.as_of && options_.as_of->micros > now_.micros + 86'400'000'000) {
    return InvalidArgument("--as-of " + FormatInstant(*options_.as_of) +
                           " is in the future: it is when the source's data was current");
  }
  std::error_code ec;
  if (!std::filesystem::is_regular_file(options_.path, ec)) {
    return NotFound("cannot read '" + options_.path + "': no such file");
  }
  if (options_.dry_run) {
    RETURN_IF_ERROR(db_.Begin());
    in_transaction_ = true;
  }
  RETURN_IF_ERROR(OpenSource());
  ASSIGN_OR_RETURN(tombstones_, access::TombstoneChecker::Load(db_));
  if (!tombstones_.empty()) {
    // Keys of erased people are checked in every source (orders may name a CRM's key).
    Statement& ids = db_.Query("list-source-ids");
    source_ids_.clear();
    while (true) {
      ASSIGN_OR_RETURN(bool more, ids.Step());
      if (!more) break;
      source_ids_.push_back(ids.Int(0));
    }
  }
  int64_t import_id = 0;
  if (!options_.dry_run) {
    Statement& q = db_.Query("start-import");
    q.Bind(":kind", report_.kind).Bind(":path", options_.path).Bind(":source_id", source_id_);
    q.Bind(":now", now_.micros);
    RETURN_IF_ERROR(q.Run());
    import_id = db_.last_insert_id();
  }

  // Bulk writes: checkpoint the WAL every ~40 MB rather than every 4 MB, so pages
  // dirtied by several batches are copied into the database once. Restored after.
  RETURN_IF_ERROR(db_.Exec("PRAGMA wal_autocheckpoint=10000"));
  struct RestoreCheckpoint {
    Database& db;
    ~RestoreCheckpoint() { (void)db.Exec("PRAGMA wal_autocheckpoint=1000"); }
  } restore_checkpoint{db_};
  ASSIGN_OR_RETURN(std::unique_ptr<RecordSource> input, OpenRecordSource(options_));
  RETURN_IF_ERROR(input->ReadHeader(options_, &report_));
  MappedRecord record;
  uint64_t last_progress = 0;
  while (true) {
    Status read_status;
    ASSIGN_OR_RETURN(bool more, input->Next(&record, &read_status));
    if (!more) break;
    report_.records++;
    if (!read_status.ok()) {
      RETURN_IF_ERROR(Reject(record, read_status.message()));
    } else {
      Status s = ProcessRecord(record);
      if (!s.ok()) {
        if (s.code() == StatusCode::kInvalidArgument) {
          RETURN_IF_ERROR(Reject(record, s.message()));
        } else {
          return s.WithContext("line " + std::to_string(record.line));
        }
      }
    }
    RETURN_IF_ERROR(MaybeCommit(false));
    if (options_.progress && (report_.records & 4095) == 0) {
      uint64_t done = input->bytes_read();
      if (done != last_progress) options_.progress(done, input->total_bytes());
      last_progress = done;
    }
  }
  if (options_.kind == EntityKind::kOrders) RETURN_IF_ERROR(FinishOrder());
  for (const NamedQuality& q : quality_) report_.fields[q.name] = q.counts;
  report_.bytes = static_cast<int64_t>(input->bytes_read());
  if (options_.progress) options_.progress(input->bytes_read(), input->total_bytes());
  report_.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  struct rusage usage {};
  if (::getrusage(RUSAGE_SELF, &usage) == 0)
    report_.peak_rss_bytes = int64_t{usage.ru_maxrss} * 1024;
  if (rejects_.used()) report_.reject_path = rejects_.path();
  if (options_.dry_run) {
    RETURN_IF_ERROR(db_.Rollback());
    in_transaction_ = false;
  } else {
    RETURN_IF_ERROR(MaybeCommit(true));
    Statement& q = db_.Query("finish-import");
    q.Bind(":id", import_id).Bind(":now", clock_.Now().micros).Bind(":records", report_.records);
    q.Bind(":rejected", report_.rejected).Bind(":report", report_.ToJson());
    RETURN_IF_ERROR(q.Run());
  }
  rejects_.Flush();
  return report_;
}

}  // namespace

Result<bool> FoldAnonymousProfile(Database& db, int64_t source_id, int64_t from, int64_t to) {
  Statement& known = db.Query("collect-customer-known-keys");
  known.Bind(":customer_id", from).Bind(":source_id", source_id);
  ASSIGN_OR_RETURN(bool row, known.Step());
  const int64_t other_keys = row ? known.Int(0) : 0;
  known.Reset();
  if (other_keys > 0) return false;
  static const char* kMoves[] = {"collect-move-events",      "collect-move-orders",      "collect-move-contact-points",
                                 "collect-move-consents",    "collect-move-tags",        "collect-move-attributes",
                                 "collect-move-memberships", "collect-move-devices",     "collect-move-field-issues",
                                 "collect-move-source-records"};
  for (const char* name : kMoves) {
    Statement& move = db.Query(name);
    move.Bind(":from", from).Bind(":to", to);
    RETURN_IF_ERROR(move.Run());
  }
  Statement& del = db.Query("collect-delete-customer");
  del.Bind(":id", from);
  RETURN_IF_ERROR(del.Run());
  return true;
}


Result<ImportReport> ImportFile(Database& db, const ImportOptions& options, const Clock& clock) {
  ImportJob job(db, options, clock);
  Result<ImportReport> result = job.Run();
  if (!result.ok() && db.in_transaction()) (void)db.Rollback();
  return result;
}

Result<int64_t> EnsureCategoryPath(Database& db, std::string_view path,
                                   std::unordered_map<std::string, int64_t>* cache) {
  std::vector<std::string> parts = SplitCategoryPath(path);
  int64_t parent = 0;
  std::string slug;
  for (const std::string& part : parts) {
    if (!slug.empty()) slug += '/';
    slug += Slugify(part);
    auto it = cache->find(slug);
    if (it != cache->end()) {
      parent = it->second;
      continue;
    }
    Statement& find = db.Query("find-category");
    find.Bind(":slug", slug);
    ASSIGN_OR_RETURN(bool row, find.Step());
    int64_t id = row ? find.Int(0) : 0;
    find.Reset();
    if (!row) {
      Statement& ins = db.Query("insert-category");
      ins.Bind(":slug", slug).Bind(":name", part);
      if (parent) {
        ins.Bind(":parent_id", parent);
      } else {
        ins.BindNull(":parent_id");
      }
      RETURN_IF_ERROR(ins.Run());
      id = db.last_insert_id();
    }
    cache->emplace(slug, id);
    parent = id;
  }
  if (parent == 0) return InvalidArgument("empty category path");
  return parent;
}

Result<int64_t> EnsureProductSku(Database& db, std::string_view sku, std::string_view name,
                                 std::string_view category, std::optional<int64_t> price,
                                 std::string_view currency, Instant now, CatalogCache* cache, bool* created) {
  *created = false;
  std::string key(sku);
  auto it = cache->products.find(key);
  if (it != cache->products.end()) return it->second;
  Statement& find = db.Query("find-product");
  find.Bind(":sku", sku);
  ASSIGN_OR_RETURN(bool row, find.Step());
  int64_t id = row ? find.Int(0) : 0;
  find.Reset();
  if (!row) {
    std::optional<int64_t> category_id;
    if (!category.empty()) {
      ASSIGN_OR_RETURN(int64_t c, EnsureCategoryPath(db, category, &cache->categories));
      category_id = c;
    }
    Statement& ins = db.Query("insert-product");
    ins.Bind(":sku", sku).BindOptional(":name", name).BindOptional(":category_id", category_id);
    ins.BindNull(":brand").BindOptional(":price_minor", price).BindOptional(":currency", currency);
    ins.Bind(":now", now.micros);
    RETURN_IF_ERROR(ins.Run());
    id = db.last_insert_id();
    *created = true;
  }
  cache->products.emplace(std::move(key), id);
  return id;
}

}  // namespace patron::ingest
