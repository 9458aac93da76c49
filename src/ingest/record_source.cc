// Turns CSV and JSON Lines readers into streams of MappedRecords.
#include <unordered_map>

#include "ingest/import_internal.h"

namespace patron::ingest {
namespace {

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

void FillMapping(const ColumnMapping& mapping, ImportReport* report) {
  report->mapping = mapping.explanation;
  report->unmapped_columns = mapping.unmapped_columns;
}

class CsvRecordSource final : public RecordSource {
 public:
  explicit CsvRecordSource(std::unique_ptr<CsvReader> reader, EntityKind kind)
      : reader_(std::move(reader)), kind_(kind) {}

  Status ReadHeader(const ImportOptions& options, ImportReport* report) override {
    RawRecord header;
    while (true) {
      Result<bool> r = reader_->Next(&header);
      if (!r.ok()) return r.status().WithContext("reading the header of '" + options.path + "'");
      if (!*r) return InvalidArgument("'" + options.path + "' is empty: expected a header line");
      break;
    }
    for (std::string_view f : header.fields) names_.emplace_back(TrimAscii(f));
    if (names_.size() == 1 && names_[0].empty()) {
      return InvalidArgument("'" + options.path + "': the header line is empty");
    }
    ASSIGN_OR_RETURN(ColumnMapping mapping, MapColumns(kind_, names_, options.column_map));
    const auto& fields = CanonicalFields(kind_);
    column_target_.assign(names_.size(), Target{});
    for (size_t c = 0; c < names_.size(); ++c) {
      const std::string& f = mapping.field_of_column[c];
      if (f.empty()) {
        column_target_[c] = {Target::kExtra, 0};
      } else if (f.rfind("attr.", 0) == 0) {
        column_target_[c] = {Target::kAttribute, 0};
        attribute_names_.emplace(c, f);
      } else {
        auto it = std::find(fields.begin(), fields.end(), f);
        column_target_[c] = {Target::kField, static_cast<int>(it - fields.begin())};
      }
    }
    field_count_ = fields.size();
    FillMapping(mapping, report);
    return Status::Ok();
  }

  Result<bool> Next(MappedRecord* record, Status* read_status) override {
    *read_status = Status::Ok();
    Result<bool> r = reader_->Next(&raw_);
    record->line = raw_.line;
    record->raw = raw_.raw;
    if (!r.ok()) {
      *read_status = r.status();
      return true;
    }
    if (!*r) return false;
    if (raw_.fields.size() != names_.size()) {
      *read_status = InvalidArgument("line " + std::to_string(raw_.line) + ": has " +
                                     std::to_string(raw_.fields.size()) + " fields but the header has " +
                                     std::to_string(names_.size()));
      return true;
    }
    record->values.assign(field_count_, std::string_view());
    record->attributes.clear();
    record->extras.clear();
    for (size_t c = 0; c < raw_.fields.size(); ++c) {
      std::string_view v = TrimAscii(raw_.fields[c]);
      switch (column_target_[c].kind) {
        case Target::kField: record->values[column_target_[c].field] = v; break;
        case Target::kAttribute: record->attributes.emplace_back(attribute_names_[c], v); break;
        case Target::kExtra:
          if (!v.empty()) record->extras.emplace_back(names_[c], v);
          break;
      }
    }
    return true;
  }

  uint64_t bytes_read() const override { return reader_->bytes_read(); }
  uint64_t total_bytes() const override { return reader_->total_bytes(); }

 private:
  struct Target {
    enum Kind { kField, kAttribute, kExtra } kind = kExtra;
    int field = 0;
  };
  std::unique_ptr<CsvReader> reader_;
  EntityKind kind_;
  RawRecord raw_;
  std::vector<std::string> names_;
  std::vector<Target> column_target_;
  std::unordered_map<size_t, std::string> attribute_names_;
  size_t field_count_ = 0;
};

// JSON Lines: each object's keys are mapped like CSV headers, once per distinct key.
class JsonlRecordSource final : public RecordSource {
 public:
  explicit JsonlRecordSource(std::unique_ptr<JsonlReader> reader, EntityKind kind)
      : reader_(std::move(reader)), kind_(kind) {}

  Status ReadHeader(const ImportOptions& options, ImportReport* report) override {
    options_ = &options;
    report_ = report;
    field_count_ = CanonicalFields(kind_).size();
    return Status::Ok();
  }

  Result<bool> Next(MappedRecord* record, Status* read_status) override {
    *read_status = Status::Ok();
    Result<bool> r = reader_->Next(&json_);
    record->line = json_.line;
    record->raw = json_.raw;
    if (!r.ok()) {
      *read_status = r.status();
      return true;
    }
    if (!*r) return false;
    record->values.assign(field_count_, std::string_view());
    precedence_.assign(field_count_, 1 << 20);
    record->attributes.clear();
    record->extras.clear();
    for (const auto& [key, value] : json_.fields) {
      ASSIGN_OR_RETURN(const Target* t, TargetOf(key));
      std::string_view v = TrimAscii(value);
      switch (t->kind) {
        case Target::kField:
          // Two keys for one field ("type" and "event"): the surer mapping wins,
          // and a later loser is kept as an extra (an event property).
          if (t->precedence < precedence_[t->field]) {
            precedence_[t->field] = t->precedence;
            record->values[t->field] = v;
          } else if (!v.empty()) {
            record->extras.emplace_back(key, v);
          }
          break;
        case Target::kAttribute: record->attributes.emplace_back(t->name, v); break;
        case Target::kExtra:
          if (!v.empty()) record->extras.emplace_back(key, v);
          break;
      }
    }
    return true;
  }

  uint64_t bytes_read() const override { return reader_->bytes_read(); }
  uint64_t total_bytes() const override { return reader_->total_bytes(); }

 private:
  struct Target {
    enum Kind { kField, kAttribute, kExtra } kind = kExtra;
    int field = 0;
    int precedence = 0;
    std::string name;
  };
  std::vector<int> precedence_;

  // Maps a key the first time it is seen and remembers the answer; the report's
  // mapping lists every key met in the file.
  Result<const Target*> TargetOf(const std::string& key) {
    auto it = targets_.find(key);
    if (it != targets_.end()) return &it->second;
    auto explicit_it = options_->column_map.find(key);
    std::map<std::string, std::string> one;
    if (explicit_it != options_->column_map.end()) one.emplace(*explicit_it);
    ASSIGN_OR_RETURN(ColumnMapping m, MapColumns(kind_, {key}, one));
    Target t;
    const std::string& f = m.field_of_column[0];
    if (f.empty()) {
      t.kind = Target::kExtra;
      report_->unmapped_columns.push_back(key);
    } else if (f.rfind("attr.", 0) == 0) {
      t.kind = Target::kAttribute;
      t.name = f;
    } else {
      const auto& fields = CanonicalFields(kind_);
      t.kind = Target::kField;
      t.field = static_cast<int>(std::find(fields.begin(), fields.end(), f) - fields.begin());
      t.precedence = m.precedence[0];
    }
    for (const auto& e : m.explanation) report_->mapping.push_back(e);
    return &targets_.emplace(key, std::move(t)).first->second;
  }

  std::unique_ptr<JsonlReader> reader_;
  EntityKind kind_;
  const ImportOptions* options_ = nullptr;
  ImportReport* report_ = nullptr;
  JsonRecord json_;
  std::unordered_map<std::string, Target> targets_;
  size_t field_count_ = 0;
};

}  // namespace

Result<std::unique_ptr<RecordSource>> OpenRecordSource(const ImportOptions& options) {
  std::string lower = AsciiLower(options.path);
  if (EndsWith(lower, ".jsonl") || EndsWith(lower, ".ndjson") || EndsWith(lower, ".json")) {
    ASSIGN_OR_RETURN(std::unique_ptr<JsonlReader> reader, JsonlReader::Open(options.path));
    return std::unique_ptr<RecordSource>(new JsonlRecordSource(std::move(reader), options.kind));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<CsvReader> reader, CsvReader::Open(options.path));
  return std::unique_ptr<RecordSource>(new CsvRecordSource(std::move(reader), options.kind));
}

}  // namespace patron::ingest
