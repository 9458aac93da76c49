// Import mapping preview: the browser sends the beginning of a file before
// uploading it, and gets its columns, a few sample values of each and the
// field each column would go to (ingest::MapColumns: canonical names, then
// synonyms in English, Persian, Arabic and Swedish). The person changes what
// they want, and POST /api/v1/imports?map=COLUMN=FIELD... imports with that.
#include <nlohmann/json.hpp>
#include <set>

#include "ingest/ingest.h"
#include "server/server_internal.h"

namespace patron::server {

using nlohmann::json;
using nlohmann::ordered_json;

namespace {

constexpr size_t kPreviewBytes = 1u << 20;  // the browser sends the first 256 KB
constexpr int kSampleRecords = 5;

// How sure MapColumns was: -1 explicit, 0 the canonical name, 1+ a synonym.
std::string_view HowMapped(const std::string& field, int precedence) {
  if (field.empty()) return "unmapped";
  if (field.rfind("attr.", 0) == 0) return "attribute";
  return precedence <= 0 ? "canonical" : "synonym";
}

// POST /api/v1/imports/columns?kind=customers&format=csv, body: the file's
// first bytes (cut at a line end).
void ImportColumnsRoute(Context& ctx) {
  std::string kind = ctx.req.get_param_value("kind"), format = ctx.req.get_param_value("format");
  std::string body;
  bool complete = ReadBody(*ctx.reader, kPreviewBytes, &body);
  ctx.body_read = complete;
  if (!complete) {
    ctx.res.set_header("Connection", "close");
    return SendError(ctx.res, Status(StatusCode::kResourceExhausted,
                                     "send only the first 1 MB of the file for its columns"));
  }
  auto parsed_kind = ingest::ParseEntityKind(kind);
  if (!parsed_kind.ok()) return SendError(ctx.res, parsed_kind.status(), "kind");
  if (format.empty()) format = "csv";
  if (format != "csv" && format != "jsonl") {
    return SendError(ctx.res, InvalidArgument("format must be csv or jsonl"), "format");
  }
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> samples;  // per column
  std::string delimiter;
  if (format == "csv") {
    auto reader = ingest::CsvReader::FromString(body);
    ingest::RawRecord record;
    auto first = reader->Next(&record);
    if (!first.ok()) return SendError(ctx.res, first.status(), "file");
    if (!*first)
      return SendError(ctx.res, InvalidArgument("the file is empty: expected a header line"),
                       "file");
    for (auto f : record.fields) header.emplace_back(f);
    delimiter = std::string(1, reader->delimiter());
    samples.resize(header.size());
    for (int n = 0; n < kSampleRecords;) {
      auto more = reader->Next(&record);
      if (more.ok() && !*more) break;
      if (!more.ok()) continue;  // a malformed row: the import reports it with its line
      for (size_t c = 0; c < header.size() && c < record.fields.size(); ++c) {
        if (!record.fields[c].empty()) samples[c].emplace_back(record.fields[c]);
      }
      ++n;
    }
  } else {
    auto reader = ingest::JsonlReader::FromString(body);
    ingest::JsonRecord record;
    std::map<std::string, size_t> index;
    for (int n = 0; n < kSampleRecords * 4;) {
      auto more = reader->Next(&record);
      if (more.ok() && !*more) break;
      if (!more.ok()) continue;
      for (const auto& [key, value] : record.fields) {
        auto [it, added] = index.emplace(key, header.size());
        if (added) {
          header.push_back(key);
          samples.emplace_back();
        }
        if (!value.empty() && samples[it->second].size() < kSampleRecords)
          samples[it->second].push_back(value);
      }
      ++n;
    }
    if (header.empty())
      return SendError(ctx.res, InvalidArgument("no JSON object in the first lines"), "file");
  }
  auto mapping = ingest::MapColumns(*parsed_kind, header, {});
  if (!mapping.ok()) return SendError(ctx.res, mapping.status());
  ordered_json columns = ordered_json::array();
  for (size_t c = 0; c < header.size(); ++c) {
    const std::string& field = mapping->field_of_column[c];
    columns.push_back({{"name", header[c]},
                       {"field", field},
                       {"how", HowMapped(field, mapping->precedence[c])},
                       {"samples", samples[c]}});
  }
  ordered_json fields = ingest::CanonicalFields(*parsed_kind);
  SendJson(ctx.res, 200,
           Dump({{"kind", kind},
                 {"format", format},
                 {"delimiter", delimiter},
                 {"columns", columns},
                 {"fields", fields}}));
}

}  // namespace

std::vector<RouteSpec> ImportRoutes() {
  return {
      {"POST", "/api/v1/imports/columns", "import_data",
       "A file's columns with sample values and the field each would be mapped to (send its first "
       "lines).",
       ImportColumnsRoute, true},
  };
}

}  // namespace patron::server
