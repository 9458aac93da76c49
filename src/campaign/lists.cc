// Call and direct-mail lists as XLSX workbooks for call centres and mail
// houses, converted from the CSV the list transport writes (the CSV stays the
// durable, resumable record; the workbook is made from it in one pass).
#include <xlsxwriter.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <string>
#include <vector>

#include "campaign/campaign.h"
#include "core/core.h"
#include "ingest/ingest.h"

namespace patron::campaign {

namespace {

constexpr size_t kMaxCellBytes = 32767;  // Excel's limit per cell
constexpr double kMaxColumnWidth = 60;

// The CSV writer puts an apostrophe before text that a spreadsheet would read
// as a formula; in a workbook every cell is written as text, so it goes again.
std::string CellText(std::string_view field) {
  if (field.size() >= 2 && field[0] == '\'' &&
      (field[1] == '=' || field[1] == '+' || field[1] == '-' || field[1] == '@' || field[1] == '\t'))
    field.remove_prefix(1);
  std::string text(field.substr(0, kMaxCellBytes));
  // Never cut a UTF-8 sequence in half.
  while (!text.empty() && !IsValidUtf8(text)) text.pop_back();
  return text;
}

// Display width in characters (code points), for fitting columns.
double Width(std::string_view s) {
  double n = 0;
  for (unsigned char ch : s)
    if ((ch & 0xC0) != 0x80) ++n;
  return n;
}

bool IsRightToLeftLanguage(std::string_view language) {
  return language == "fa" || language == "ar" || language == "he" || language == "ur";
}

// Sheet names: at most 31 characters, none of []:*?/\.
std::string SheetName(std::string_view wanted) {
  std::string out;
  for (char ch : wanted) {
    if (std::string_view("[]:*?/\\").find(ch) != std::string_view::npos) ch = '_';
    out.push_back(ch);
  }
  while (Width(out) > 31) {
    while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0x80) out.pop_back();
    if (!out.empty()) out.pop_back();
  }
  return out.empty() ? "list" : out;
}

Status XlsxError(lxw_error e, const std::string& path) {
  return IoError("cannot write the workbook '" + path + "': " + lxw_strerror(e));
}

}  // namespace

Result<uint64_t> WriteListXlsx(const std::string& csv_path, const std::string& xlsx_path, std::string_view sheet_name) {
  ingest::ReaderOptions reader_options;
  reader_options.delimiter = ',';
  // First pass: column widths, and whether most rows are right-to-left.
  std::vector<std::string> header;
  std::vector<double> widths;
  size_t language_column = std::string::npos, id_column = std::string::npos;
  uint64_t rows = 0, rtl_rows = 0;
  {
    ASSIGN_OR_RETURN(auto reader, ingest::CsvReader::Open(csv_path, reader_options));
    ingest::RawRecord record;
    while (true) {
      auto more = reader->Next(&record);
      if (!more.ok()) return more.status().WithContext(csv_path);
      if (!*more) break;
      if (header.empty()) {
        for (auto f : record.fields) header.emplace_back(f);
        for (size_t i = 0; i < header.size(); ++i) {
          if (header[i] == "language") language_column = i;
          if (header[i] == "customer_id") id_column = i;
        }
        widths.assign(header.size(), 8);
        for (size_t i = 0; i < header.size(); ++i) widths[i] = std::max(widths[i], Width(header[i]) + 2);
        continue;
      }
      ++rows;
      for (size_t i = 0; i < record.fields.size() && i < widths.size(); ++i)
        widths[i] = std::min(kMaxColumnWidth, std::max(widths[i], Width(record.fields[i]) + 1));
      if (language_column < record.fields.size() && IsRightToLeftLanguage(record.fields[language_column])) ++rtl_rows;
    }
  }
  if (header.empty()) return FailedPrecondition("the list '" + csv_path + "' is empty: nothing was sent to it yet");

  lxw_workbook_options options = {};
  options.constant_memory = LXW_TRUE;  // rows stream to a temporary file: memory stays flat for long lists
  lxw_workbook* workbook = workbook_new_opt(xlsx_path.c_str(), &options);
  if (!workbook) return IoError("cannot create the workbook '" + xlsx_path + "'");
  const std::string name = SheetName(sheet_name);
  lxw_worksheet* sheet = workbook_add_worksheet(workbook, name.c_str());
  lxw_format* bold = workbook_add_format(workbook);
  format_set_bold(bold);
  lxw_format* wrap = workbook_add_format(workbook);
  format_set_text_wrap(wrap);
  format_set_align(wrap, LXW_ALIGN_VERTICAL_TOP);
  if (rtl_rows * 2 > rows) worksheet_right_to_left(sheet);
  worksheet_freeze_panes(sheet, 1, 0);
  for (size_t i = 0; i < widths.size(); ++i) {
    bool long_text = header[i] == "script" || header[i] == "letter" || header[i] == "address";
    worksheet_set_column(sheet, static_cast<lxw_col_t>(i), static_cast<lxw_col_t>(i), widths[i],
                         long_text ? wrap : nullptr);
  }

  auto fail = [&](Status st) {
    (void)workbook_close(workbook);
    std::remove(xlsx_path.c_str());
    return st;
  };
  ASSIGN_OR_RETURN(auto reader, ingest::CsvReader::Open(csv_path, reader_options));
  ingest::RawRecord record;
  lxw_row_t row = 0;
  while (true) {
    auto more = reader->Next(&record);
    if (!more.ok()) return fail(more.status().WithContext(csv_path));
    if (!*more) break;
    for (size_t i = 0; i < record.fields.size(); ++i) {
      const auto col = static_cast<lxw_col_t>(i);
      lxw_error e;
      int64_t number = 0;
      const std::string_view field = record.fields[i];
      auto parsed = std::from_chars(field.data(), field.data() + field.size(), number);
      if (row > 0 && i == id_column && !field.empty() && parsed.ec == std::errc() &&
          parsed.ptr == field.data() + field.size()) {
        e = worksheet_write_number(sheet, row, col, static_cast<double>(number), nullptr);
      } else {
        std::string text = CellText(record.fields[i]);
        e = worksheet_write_string(sheet, row, col, text.c_str(), row == 0 ? bold : nullptr);
      }
      if (e != LXW_NO_ERROR) return fail(XlsxError(e, xlsx_path));
    }
    ++row;
  }
  if (row > 1)
    worksheet_autofilter(sheet, 0, 0, row - 1, static_cast<lxw_col_t>(header.size() - 1));
  lxw_error closed = workbook_close(workbook);
  if (closed != LXW_NO_ERROR) {
    std::remove(xlsx_path.c_str());
    return XlsxError(closed, xlsx_path);
  }
  return rows;
}

}  // namespace patron::campaign
