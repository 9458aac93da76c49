// Internal to src/ingest: the pieces the import job is built from. Not part of
// the subsystem's public interface (ingest.h).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ingest/ingest.h"

namespace patron::ingest {

// A record after column mapping: values by canonical field index.
struct MappedRecord {
  int64_t line = 0;
  std::string_view raw;
  std::vector<std::string_view> values;  // by canonical field index; "" when absent
  std::vector<std::pair<std::string_view, std::string_view>> attributes;  // "attr.NAME" -> value
  std::vector<std::pair<std::string_view, std::string_view>> extras;      // unmapped column -> value

  std::string_view Get(int field) const {
    return field >= 0 && static_cast<size_t>(field) < values.size() ? values[field] : std::string_view();
  }
};

// A file as a stream of mapped records (CSV or JSON Lines).
class RecordSource {
 public:
  virtual ~RecordSource() = default;
  // Reads the header (CSV) and fills the mapping part of `report`.
  virtual Status ReadHeader(const ImportOptions& options, ImportReport* report) = 0;
  // true: `record` holds the next record; `read_status` is non-ok when the
  // record is malformed (then only record->line and record->raw are set).
  // false: end of input. A returned error is fatal (I/O).
  virtual Result<bool> Next(MappedRecord* record, Status* read_status) = 0;
  virtual uint64_t bytes_read() const = 0;
  virtual uint64_t total_bytes() const = 0;
};

// Opens options.path as JSON Lines when it ends in .jsonl/.ndjson/.json, else CSV.
Result<std::unique_ptr<RecordSource>> OpenRecordSource(const ImportOptions& options);

// Value normalisers shared by the import job and the CLI.
// The stored and matched form of a valid email: CheckEmail's normalised address
// with an ASCII-lower-cased local part too. RFC 5321 lets a server treat local
// parts case-sensitively, but no mailbox provider does, and treating
// "Sara@x.com" and "sara@x.com" as two people is the worse error.
inline std::string CanonicalEmail(const EmailCheck& check) { return AsciiLower(check.normalized); }
// ISO 3166-1 alpha-2 from a code ("se", "SWE") or a name in English, Swedish,
// Persian or Arabic ("Sweden", "Sverige", "سوئد", "السويد"); nullopt if unknown.
std::optional<std::string> NormalizeCountry(std::string_view raw);
// female / male / other / unknown from common spellings in our four languages.
std::optional<std::string> NormalizeGender(std::string_view raw);
// single_opt_in / double_opt_in / written / verbal / implied / unknown.
std::optional<std::string> NormalizeConsentMethod(std::string_view raw);
// "https://www.Example.COM/about" -> "example.com"; nullopt when not a domain.
std::optional<std::string> NormalizeDomain(std::string_view raw);
// True for IANA time zone names ICU knows ("Asia/Tehran", "UTC").
bool IsKnownTimeZone(std::string_view name);
// "Electronics > Phones" or "electronics/phones" -> {"Electronics", "Phones"}.
std::vector<std::string> SplitCategoryPath(std::string_view path);
// "Phone Accessories" -> "phone-accessories"; non-Latin scripts kept, folded.
std::string Slugify(std::string_view text);

// The id of the category at `path` ("Electronics > Phones"), creating it and
// its parents when missing. `cache` (slug -> id) saves look-ups across calls.
// kInvalidArgument for an empty path.
Result<int64_t> EnsureCategoryPath(Database& db, std::string_view path,
                                   std::unordered_map<std::string, int64_t>* cache);

// Products and categories seen by one writer (an import run, the event
// collector): key -> id, so that repeated SKUs cost no look-up.
struct CatalogCache {
  std::unordered_map<std::string, int64_t> products;    // sku -> id
  std::unordered_map<std::string, int64_t> categories;  // slug -> id
  void Clear() {
    products.clear();
    categories.clear();
  }
};

// The id of the product with `sku`, creating it (in `category`, a path, when
// not empty) when missing; an existing product is not changed. `*created` tells
// which. Errors: the category path has no name in it, or the store failed.
Result<int64_t> EnsureProductSku(Database& db, std::string_view sku, std::string_view name,
                                 std::string_view category, std::optional<int64_t> price,
                                 std::string_view currency, Instant now, CatalogCache* cache, bool* created);

// Stitching: folds the anonymous visitor's profile `from` -- a customer that
// no key names but source `source_id`'s "anon:" device keys -- into the known
// customer `to`. Its events, orders, contact points, consents, tags,
// attributes, memberships, devices, field issues and keys move; the profile is
// deleted. Returns false and changes nothing when another key names `from` (a
// person in their own right, whom identity resolution may still link).
// Used by the collector and by the event import.
Result<bool> FoldAnonymousProfile(Database& db, int64_t source_id, int64_t from, int64_t to);

}  // namespace patron::ingest
