// JsonlReader: JSON Lines, one object per line, parsed with simdjson's DOM
// parser (reused across lines so its buffers are allocated once).
//
// Rules:
//  - Lines end in LF or CRLF. A lone CR does not end a line (JSON treats it as
//    whitespace). RawRecord::line / JsonRecord::line is the 1-based line number.
//  - Blank lines (empty, or only spaces, tabs and CR) are skipped.
//  - A UTF-8 byte-order mark at the very start is skipped.
//  - Each line must hold one JSON object. Its top-level members become fields,
//    in file order (duplicate keys are all kept; the import layer decides):
//      string          -> its unescaped UTF-8 text
//      integer         -> decimal digits, exactly
//      other number    -> shortest text that reads back as the same double
//                         ("1.50" -> "1.5", "1e2" -> "100")
//      true / false    -> "true" / "false"
//      null            -> no field at all
//      object / array  -> compact JSON text
//  - A malformed line (not JSON, not an object, invalid UTF-8, a value over
//    max_field_bytes) is reported by Next() and reading continues on the next
//    line. A line over max_record_bytes (line end excluded) is reported and
//    skipped to its LF; its `raw` is only its first max_record_bytes bytes.

#include <simdjson.h>

#include <charconv>
#include <cstring>
#include <string>

#include "ingest/chunked_input.h"
#include "ingest/ingest.h"

namespace patron::ingest {
namespace {

using internal::ChunkedInput;

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

bool IsBlank(std::string_view line) {
  for (char c : line) {
    if (c != ' ' && c != '\t' && c != '\r') return false;
  }
  return true;
}

std::string_view DescribeType(simdjson::dom::element_type type) {
  using simdjson::dom::element_type;
  switch (type) {
    case element_type::ARRAY:
      return "an array";
    case element_type::OBJECT:
      return "an object";
    case element_type::STRING:
      return "a string";
    case element_type::INT64:
    case element_type::UINT64:
    case element_type::DOUBLE:
      return "a number";
    case element_type::BOOL:
      return "a boolean";
    case element_type::NULL_VALUE:
      return "null";
  }
  return "a value";
}

template <typename Number>
void AssignNumber(Number value, std::string* out) {
  char text[64];
  const auto [end, ec] = std::to_chars(text, text + sizeof(text), value);
  out->assign(text, ec == std::errc() ? end - text : 0);
}

class JsonlReaderImpl final : public JsonlReader {
 public:
  JsonlReaderImpl(std::unique_ptr<ChunkedInput> input, const ReaderOptions& options)
      : input_(std::move(input)), options_(options) {
    while (input_->size() < kUtf8Bom.size() && Refill(0)) {
    }
    if (std::string_view(input_->data(), input_->size()).starts_with(kUtf8Bom)) {
      next_ = scan_ = kUtf8Bom.size();
    }
  }

  Result<bool> Next(JsonRecord* record) override;
  uint64_t bytes_read() const override { return input_->window_offset() + next_; }
  uint64_t total_bytes() const override { return input_->total_bytes(); }

 private:
  bool Refill(size_t keep_from) {
    const bool appended = input_->Refill(keep_from);
    next_ = next_ > keep_from ? next_ - keep_from : 0;
    scan_ = scan_ > keep_from ? scan_ - keep_from : 0;
    return appended;
  }
  // Skips the rest of an oversized line, through its LF.
  void SkipRestOfLine();
  Status Parse(std::string_view line, int64_t line_number, JsonRecord* record);
  Status LineError(int64_t line_number, std::string_view reason) const {
    return InvalidArgument("line " + std::to_string(line_number) + ": " + std::string(reason));
  }

  std::unique_ptr<ChunkedInput> input_;
  ReaderOptions options_;
  size_t next_ = 0;  // window offset of the next line
  size_t scan_ = 0;  // window offset up to which the next line has no LF
  int64_t line_ = 1;
  simdjson::dom::parser parser_;
  std::unique_ptr<char[]> padded_;  // the line plus SIMDJSON_PADDING, for the parser
  size_t padded_capacity_ = 0;
  bool io_error_reported_ = false;
  std::string oversized_copy_;
};

Result<bool> JsonlReaderImpl::Next(JsonRecord* record) {
  record->raw = {};
  // A line is accepted with up to max_record_bytes bytes before its CR LF.
  const size_t max_line = options_.max_record_bytes;
  const size_t search_limit = internal::SaturatingAdd(max_line, 2);
  for (;;) {
    const char* newline = nullptr;
    bool too_long = false;
    for (;;) {
      const size_t size = input_->size();
      const size_t end = size - next_ > search_limit ? next_ + search_limit : size;
      newline = static_cast<const char*>(std::memchr(input_->data() + scan_, '\n', end - scan_));
      if (newline != nullptr) break;
      scan_ = end;
      if (end - next_ >= search_limit) {
        too_long = true;
        break;
      }
      if (!Refill(next_)) break;
    }
    if (newline == nullptr && !too_long) {  // end of input
      if (!input_->error().ok()) {
        // A partial line is lost with the read error, reported once.
        next_ = scan_ = input_->size();
        if (io_error_reported_) return false;
        io_error_reported_ = true;
        return input_->error();
      }
      if (next_ == input_->size()) return false;
    }
    const char* const data = input_->data();
    const int64_t line_number = line_++;
    if (too_long) {
      std::string_view prefix(data + next_, max_line);
      if (!input_->in_memory()) {
        oversized_copy_.assign(prefix);
        prefix = oversized_copy_;
      }
      record->line = line_number;
      record->raw = prefix;
      record->fields.clear();
      SkipRestOfLine();
      return LineError(line_number,
                       "record is larger than the " + std::to_string(max_line) + "-byte limit");
    }
    const size_t line_end = newline != nullptr ? newline - data : input_->size();
    std::string_view line(data + next_, line_end - next_);
    if (line.ends_with('\r')) line.remove_suffix(1);
    next_ = scan_ = newline != nullptr ? line_end + 1 : line_end;
    if (IsBlank(line)) continue;

    record->line = line_number;
    if (line.size() > max_line) {
      record->raw = line.substr(0, max_line);
      record->fields.clear();
      return LineError(line_number,
                       "record is larger than the " + std::to_string(max_line) + "-byte limit");
    }
    record->raw = line;
    Status status = Parse(line, line_number, record);
    if (!status.ok()) {
      record->fields.clear();
      return status;
    }
    return true;
  }
}

void JsonlReaderImpl::SkipRestOfLine() {
  for (;;) {
    const char* data = input_->data();
    const char* newline =
        static_cast<const char*>(std::memchr(data + scan_, '\n', input_->size() - scan_));
    if (newline != nullptr) {
      next_ = scan_ = newline - data + 1;
      return;
    }
    next_ = scan_ = input_->size();
    if (!Refill(next_)) return;
  }
}

Status JsonlReaderImpl::Parse(std::string_view line, int64_t line_number, JsonRecord* record) {
  const size_t needed = line.size() + simdjson::SIMDJSON_PADDING;
  if (padded_capacity_ < needed) {
    padded_capacity_ = std::max(needed, 2 * padded_capacity_);
    padded_.reset(new char[padded_capacity_]);
  }
  std::memcpy(padded_.get(), line.data(), line.size());
  std::memset(padded_.get() + line.size(), ' ', simdjson::SIMDJSON_PADDING);

  simdjson::dom::element root;
  const simdjson::error_code error = parser_.parse(padded_.get(), line.size(), false).get(root);
  if (error == simdjson::UTF8_ERROR) {
    size_t bad_offset = 0;
    if (!IsValidUtf8(line, &bad_offset)) {
      return LineError(line_number, "invalid UTF-8 at byte offset " + std::to_string(bad_offset) +
                                        " of the line");
    }
  }
  if (error != simdjson::SUCCESS) {
    return LineError(line_number, std::string("invalid JSON: ") + simdjson::error_message(error));
  }
  simdjson::dom::object object;
  if (root.get_object().get(object) != simdjson::SUCCESS) {
    return LineError(line_number,
                     "expected a JSON object, found " + std::string(DescribeType(root.type())));
  }

  // Assign into the existing pairs so that their string buffers are reused.
  auto& fields = record->fields;
  size_t count = 0;
  for (const simdjson::dom::key_value_pair member : object) {
    const simdjson::dom::element value = member.value;
    const auto type = value.type();
    if (type == simdjson::dom::element_type::NULL_VALUE) continue;
    if (count == fields.size()) fields.emplace_back();
    auto& [key, text] = fields[count++];
    key.assign(member.key);
    switch (type) {
      case simdjson::dom::element_type::STRING:
        text.assign(value.get_string().value_unsafe());
        break;
      case simdjson::dom::element_type::INT64:
        AssignNumber(value.get_int64().value_unsafe(), &text);
        break;
      case simdjson::dom::element_type::UINT64:
        AssignNumber(value.get_uint64().value_unsafe(), &text);
        break;
      case simdjson::dom::element_type::DOUBLE:
        AssignNumber(value.get_double().value_unsafe(), &text);
        break;
      case simdjson::dom::element_type::BOOL:
        text.assign(value.get_bool().value_unsafe() ? "true" : "false");
        break;
      case simdjson::dom::element_type::ARRAY:
      case simdjson::dom::element_type::OBJECT:
        text = simdjson::minify(value);
        break;
      case simdjson::dom::element_type::NULL_VALUE:
        break;
    }
    if (text.size() > options_.max_field_bytes) {
      return LineError(line_number, "field \"" + std::string(Utf8Prefix(key, 64)) +
                                        "\" is larger than the " +
                                        std::to_string(options_.max_field_bytes) + "-byte limit");
    }
  }
  fields.resize(count);
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<JsonlReader>> JsonlReader::Open(const std::string& path,
                                                       const ReaderOptions& options) {
  // The window holds at most one line, its CR LF, and nothing more.
  ASSIGN_OR_RETURN(auto input,
                   ChunkedInput::OpenFile(path, options.chunk_bytes,
                                          internal::SaturatingAdd(options.max_record_bytes, 2)));
  return std::unique_ptr<JsonlReader>(new JsonlReaderImpl(std::move(input), options));
}

std::unique_ptr<JsonlReader> JsonlReader::FromString(std::string_view data,
                                                     const ReaderOptions& options) {
  return std::make_unique<JsonlReaderImpl>(ChunkedInput::FromMemory(data), options);
}

}  // namespace patron::ingest
