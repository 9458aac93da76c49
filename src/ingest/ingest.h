// Patron ingest: reading CSV and JSONL files, validating and normalising
// values (emails, phones, dates, numbers), mapping columns to fields, and the
// import job that writes validated records into the store.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/core.h"

namespace patron {
class Database;
}

namespace patron::ingest {

// ---------------------------------------------------------------------------
// Value validation
// ---------------------------------------------------------------------------

struct EmailCheck {
  bool valid = false;
  std::string normalized;  // local part as given, domain lower-cased and IDNA-encoded (ASCII)
  std::string reason;      // why it is invalid; empty when valid
  // A likely correction: "ali@gmail.com" for a valid address whose domain
  // looks like a typo ("ali@gmial.com"), or for an invalid one that lost its
  // '@' ("aligmail.com") or doubled a dot ("ali..x@gmail.com").
  std::string suggestion;
};
// Checks RFC 5321/5322 syntax (dot-atom or quoted local part, length limits,
// domain labels, IDN domains via libidn2). Never changes the address beyond
// normalising the domain; a likely typo is reported as `suggestion` only.
EmailCheck CheckEmail(std::string_view raw);

struct PhoneCheck {
  bool valid = false;
  std::string e164;    // "+46701234567"
  std::string type;    // mobile, fixed_line, fixed_line_or_mobile, toll_free, voip, other, unknown
  std::string region;  // ISO 3166 alpha-2 of the number ("SE")
  std::string reason;  // why it is invalid; empty when valid
};
// Parses with libphonenumber. `default_region` (ISO alpha-2, may be empty) is
// used for numbers without a leading + or international prefix. Persian and
// Arabic-Indic digits are accepted.
PhoneCheck CheckPhone(std::string_view raw, std::string_view default_region);

enum class DateOrder { kDayMonthYear, kMonthDayYear };

struct DateOptions {
  // How to read "03/04/2024": day first (most of the world) unless told otherwise.
  DateOrder order = DateOrder::kDayMonthYear;
  // Calendar assumed for a year between 1200 and 1599 ("1402/07/01"): Persian
  // (Solar Hijri) by default, or Hijri when a source says so.
  Calendar low_year_calendar = Calendar::kPersian;
};

// Parses a calendar date: ISO "2024-03-05", "2024/03/05", "05.03.2024",
// "05/03/2024" (order from options), "5 March 2024", "March 5, 2024", Persian
// dates "1402/07/01" and Persian/Arabic-Indic digits. The result is Gregorian.
Result<CivilDate> ParseDate(std::string_view raw, const DateOptions& options = {});

// Parses a point in time: ISO 8601 date-times with or without offset (UTC
// assumed), a bare date (midnight UTC, any format ParseDate takes), or Unix
// epoch seconds / milliseconds.
Result<Instant> ParseTimestamp(std::string_view raw, const DateOptions& options = {});

// Parses a decimal amount ("1 234,50", "1,234.50", "۱۲۳۴٫۵") into minor units
// with `minor_digits` decimals (2 for EUR/SEK/USD, 0 for IRR).
Result<int64_t> ParseAmountMinor(std::string_view raw, int minor_digits = 2);
Result<int64_t> ParseInteger(std::string_view raw);
// "yes/no/true/false/1/0/y/n/ja/nej/بله/خیر/نعم/لا/granted/withdrawn/opt-in/opt-out"
Result<bool> ParseBool(std::string_view raw);

// ---------------------------------------------------------------------------
// Readers
// ---------------------------------------------------------------------------

// One record of an input file. Views stay valid until the next call to Next().
struct RawRecord {
  int64_t line = 0;                    // first physical line of the record, 1-based
  std::vector<std::string_view> fields;
  std::string_view raw;                // the record's bytes as read, for reject files
};

struct ReaderOptions {
  char delimiter = 0;  // 0: detect among ',', ';', '\t' (and '|') from the header line
  size_t max_field_bytes = 1 << 20;   // larger fields make the record malformed
  size_t max_record_bytes = 4 << 20;  // a record beyond this is rejected and skipped
  size_t chunk_bytes = 1 << 20;       // bytes read from a file at a time (tests use tiny values)
};

// RFC 4180 CSV: quoted fields with doubled quotes, embedded newlines, CRLF or LF,
// a UTF-8 byte-order mark, delimiter detection. Streams in fixed-size chunks so
// memory stays constant however large the file.
//
// A malformed record (bad quoting, invalid UTF-8, oversized) is reported by
// Next() returning a non-ok Status whose message names the line and reason; the
// reader then continues with the next record, so one bad row loses nothing else.
class CsvReader {
 public:
  static Result<std::unique_ptr<CsvReader>> Open(const std::string& path,
                                                  const ReaderOptions& options = {});
  // Reads from memory (tests, fuzzing). `data` must outlive the reader.
  static std::unique_ptr<CsvReader> FromString(std::string_view data,
                                               const ReaderOptions& options = {});
  virtual ~CsvReader() = default;

  // true: `record` holds the next record. false: end of input.
  // Non-ok: the record starting at the reported line is malformed; `record->raw`
  // and `record->line` still describe it. Call again to continue.
  virtual Result<bool> Next(RawRecord* record) = 0;
  virtual char delimiter() const = 0;
  // Bytes consumed so far and total size (0 when unknown), for progress.
  virtual uint64_t bytes_read() const = 0;
  virtual uint64_t total_bytes() const = 0;
};

// JSON Lines: one JSON object per line; blank lines skipped. Each object is
// flattened to (key, value) pairs: strings as is, numbers and booleans as
// text, nested objects/arrays as compact JSON text, null as missing.
struct JsonRecord {
  int64_t line = 0;
  std::vector<std::pair<std::string, std::string>> fields;
  std::string_view raw;
};

class JsonlReader {
 public:
  static Result<std::unique_ptr<JsonlReader>> Open(const std::string& path,
                                                    const ReaderOptions& options = {});
  static std::unique_ptr<JsonlReader> FromString(std::string_view data,
                                                 const ReaderOptions& options = {});
  virtual ~JsonlReader() = default;
  // Same contract as CsvReader::Next: a non-ok Status names the line and the
  // JSON error, and the reader continues with the next line.
  virtual Result<bool> Next(JsonRecord* record) = 0;
  virtual uint64_t bytes_read() const = 0;
  virtual uint64_t total_bytes() const = 0;
};

// ---------------------------------------------------------------------------
// Import
// ---------------------------------------------------------------------------

enum class EntityKind { kCustomers, kAccounts, kProducts, kOrders, kEvents };
std::string_view EntityKindName(EntityKind kind);
Result<EntityKind> ParseEntityKind(std::string_view name);

// The canonical fields an entity kind accepts (documented in docs/import.md).
const std::vector<std::string>& CanonicalFields(EntityKind kind);

// Maps a file's header names to canonical fields. Explicit mappings win; then
// exact canonical names; then known synonyms in English, Persian, Arabic and
// Swedish ("E-mail", "Mobile", "ایمیل", "الهاتف", "Mobilnummer"); headers are
// compared folded (case, spaces, '-', '_' ignored). Columns named "attr.NAME"
// become custom attributes. Anything else is reported as unmapped and ignored.
struct ColumnMapping {
  std::vector<std::string> field_of_column;  // "" for an ignored column
  // How sure the mapping is, per column: -1 --map, 0 canonical name, 1+ synonym
  // (lower wins when two columns or JSON keys give the same field).
  std::vector<int> precedence;
  std::vector<std::string> unmapped_columns;
  // "E-mail -> email (synonym)", for --dry-run
  std::vector<std::string> explanation;
};
Result<ColumnMapping> MapColumns(EntityKind kind, const std::vector<std::string>& header,
                                 const std::map<std::string, std::string>& explicit_map);

struct ImportOptions {
  EntityKind kind = EntityKind::kCustomers;
  std::string path;
  std::string source_name;
  // Describe the source (stored on first use; later imports may refine it).
  std::string source_kind;      // internal (default) | external | purchased
  std::string source_vendor;
  std::string source_cost;      // "4500 SEK"
  std::string consent_basis;
  std::map<std::string, std::string> column_map;  // header name -> canonical field
  std::string default_country;                    // ISO alpha-2, for phones and addresses
  std::string default_currency = "EUR";
  DateOptions date_options;
  bool dry_run = false;
  // When the source's data was current (a purchased list compiled months
  // before it is imported): its contact values count as last seen then, and a
  // status without a date of its own as known then, so freshness decays from
  // it. Unset: the import's time. InvalidArgument when later than the import.
  std::optional<Instant> as_of;
  std::string reject_path;  // default: <path>.rejects.csv next to the input
  int batch_size = 50000;   // records per transaction
  // Called now and then with bytes read and total bytes.
  std::function<void(uint64_t done, uint64_t total)> progress;
};

struct FieldQuality {
  int64_t present = 0;  // non-empty values seen
  int64_t valid = 0;
  int64_t invalid = 0;
};

struct ImportReport {
  std::string kind;
  std::string path;
  std::string source;
  int64_t records = 0;   // records read (excluding the header)
  int64_t inserted = 0;  // new entities
  int64_t updated = 0;   // entities seen before from this source (re-import)
  int64_t unchanged = 0;
  int64_t rejected = 0;  // malformed records written to the reject file
  int64_t customers_created = 0;  // customers created because an order/event named an unknown one
  int64_t stitched = 0;  // anonymous visitors' profiles joined to the customer their device was then seen as
  int64_t erased_skipped = 0;  // records naming an erased person (a tombstone), not imported
  int64_t bytes = 0;
  double seconds = 0;
  int64_t peak_rss_bytes = 0;  // the process's peak resident memory when the import ended
  std::vector<std::string> mapping;          // explanation of the column mapping
  std::vector<std::string> unmapped_columns;
  std::map<std::string, FieldQuality> fields;
  // reason -> count, and a few examples "line 12: email: missing '@'"
  std::map<std::string, int64_t> problems;
  std::vector<std::string> examples;
  std::string reject_path;  // empty when nothing was rejected

  std::string ToJson() const;
  std::string ToText() const;
};

// Imports a file into `db`. Streams; commits every `batch_size` records; a
// crash loses at most the uncommitted batch, and re-running the same file with
// the same source creates no duplicates (entities are keyed by source + key).
Result<ImportReport> ImportFile(Database& db, const ImportOptions& options, const Clock& clock);

}  // namespace patron::ingest
