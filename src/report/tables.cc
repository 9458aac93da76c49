// Exports of report tables: CSV (RFC 4180), JSON and aligned text.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>

#include "report/report.h"

namespace patron::report {

Result<Format> ParseFormat(std::string_view name) {
  if (name == "table") return Format::kTable;
  if (name == "csv") return Format::kCsv;
  if (name == "json") return Format::kJson;
  return InvalidArgument("format: '" + std::string(name) + "' is not one of table, csv, json");
}

namespace {

std::string CsvField(const std::string& value) {
  if (value.find_first_of(",\"\r\n") == std::string::npos) return value;
  std::string out = "\"";
  for (char c : value) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// A cell that reads as a JSON number ("12", "-3.5", "0.25") is written as one.
bool LooksNumeric(const std::string& cell) {
  if (cell.empty() || cell.size() > 40) return false;
  size_t i = cell[0] == '-' ? 1 : 0;
  if (i >= cell.size() || !std::isdigit(static_cast<unsigned char>(cell[i]))) return false;
  if (cell[i] == '0' && i + 1 < cell.size() && cell[i + 1] != '.') return false;  // "007" is a code
  bool dot = false;
  for (; i < cell.size(); ++i) {
    if (cell[i] == '.' && !dot) {
      dot = true;
      if (i + 1 == cell.size()) return false;
    } else if (!std::isdigit(static_cast<unsigned char>(cell[i]))) {
      return false;
    }
  }
  return true;
}

nlohmann::ordered_json TableJson(const Table& table) {
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (const auto& row : table.rows) {
    nlohmann::ordered_json r = nlohmann::ordered_json::object();
    for (size_t i = 0; i < table.columns.size(); ++i) {
      const std::string cell = i < row.size() ? row[i] : std::string();
      if (cell.empty()) {
        r[table.columns[i]] = nullptr;
      } else if (LooksNumeric(cell)) {
        r[table.columns[i]] = nlohmann::ordered_json::parse(cell);
      } else {
        r[table.columns[i]] = cell;
      }
    }
    rows.push_back(std::move(r));
  }
  return {{"name", table.name}, {"columns", table.columns}, {"rows", rows}};
}

// Display width of UTF-8 text: code points (good enough for aligned columns).
size_t Width(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

}  // namespace

std::string ToCsv(const Table& table) {
  std::string out;
  for (size_t i = 0; i < table.columns.size(); ++i) out += (i ? "," : "") + CsvField(table.columns[i]);
  out += "\r\n";
  for (const auto& row : table.rows) {
    for (size_t i = 0; i < table.columns.size(); ++i)
      out += (i ? "," : "") + CsvField(i < row.size() ? row[i] : std::string());
    out += "\r\n";
  }
  return out;
}

std::string ToJson(const Table& table) { return TableJson(table).dump(2); }

std::string ToJson(const std::vector<Table>& tables) {
  nlohmann::ordered_json all = nlohmann::ordered_json::array();
  for (const Table& t : tables) all.push_back(TableJson(t));
  return nlohmann::ordered_json{{"tables", all}}.dump(2);
}

std::string ToText(const Table& table) {
  std::vector<size_t> width(table.columns.size());
  for (size_t i = 0; i < table.columns.size(); ++i) width[i] = Width(table.columns[i]);
  for (const auto& row : table.rows)
    for (size_t i = 0; i < row.size() && i < width.size(); ++i) width[i] = std::max(width[i], Width(row[i]));
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (size_t i = 0; i < width.size(); ++i) {
      std::string cell = i < cells.size() ? cells[i] : std::string();
      const bool numeric = LooksNumeric(cell);
      std::string pad(width[i] - Width(cell), ' ');
      out += (i ? "  " : "") + (numeric ? pad + cell : cell + (i + 1 < width.size() ? pad : std::string()));
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out + "\n";
  };
  std::string out = table.name.empty() ? std::string() : "# " + table.name + "\n";
  out += line(table.columns);
  for (const auto& row : table.rows) out += line(row);
  return out;
}

std::string Render(const std::vector<Table>& tables, Format format) {
  switch (format) {
    case Format::kJson:
      return tables.size() == 1 ? ToJson(tables[0]) + "\n" : ToJson(tables) + "\n";
    case Format::kCsv: {
      std::string out;
      for (size_t i = 0; i < tables.size(); ++i) {
        if (tables.size() > 1) out += (i ? "\r\n" : "") + std::string("# ") + tables[i].name + "\r\n";
        out += ToCsv(tables[i]);
      }
      return out;
    }
    case Format::kTable:
    default: {
      std::string out;
      for (size_t i = 0; i < tables.size(); ++i) out += (i ? "\n" : "") + ToText(tables[i]);
      return out;
    }
  }
}

}  // namespace patron::report
