// CsvReader: a streaming RFC 4180 reader.
//
// Rules beyond RFC 4180, chosen to lose as little data as possible:
//  - Line ends are LF, CRLF or a lone CR (old Mac files), inside quoted fields
//    too; each counts as one physical line for RawRecord::line.
//  - Blank lines (zero bytes between two line ends) are skipped. In a
//    one-column file a record of one empty field is therefore dropped too;
//    it cannot be told apart from a blank line.
//  - A quote inside an unquoted field (`5" screen`) is kept literally, as
//    Python's csv module does. Only a field whose first byte is a quote is a
//    quoted field.
//  - A UTF-8 byte-order mark at the very start is skipped.
//  - Delimiter detection (options.delimiter == 0): the most frequent of
//    ',' ';' '\t' '|' outside quotes in the first non-blank line; ties go to
//    the earlier one in that list; ',' when none occurs.
//  - Records may have any number of fields; the import layer checks counts.
//
// Malformed records and how the reader gets back in step (resynchronisation):
//  - A character other than a delimiter, quote or line end after a closing
//    quote ("abc"x): the record is malformed; the rest of that field is read as
//    unquoted text, and the record ends at the next line end outside quotes.
//  - A quoted field still open at the end of input: the whole rest of the input
//    is that one bad record ("unterminated quoted field (opened on line N)").
//  - A record over max_record_bytes: reported and skipped up to its end, still
//    following quotes so that a line end inside a quoted field does not end it.
//    Its `raw` is only its first max_record_bytes bytes.
//  - A field over max_field_bytes (its value after unquoting), or bytes that
//    are not valid UTF-8: the record is complete and well-delimited, so only
//    that record is reported.
// When a record has several problems, the first one found is reported, except
// that an oversized record is always reported as such.

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <array>
#include <cstring>
#include <string>
#include <vector>

#include "ingest/chunked_input.h"
#include "ingest/ingest.h"

namespace patron::ingest {
namespace {

using internal::ChunkedInput;

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

bool IsLineEnd(char c) { return c == '\n' || c == '\r'; }

// "'x'" for a printable character (a whole UTF-8 sequence when it is one),
// otherwise "'\xNN'".
std::string DescribeCharAt(const char* data, size_t size, size_t i) {
  const auto byte = static_cast<unsigned char>(data[i]);
  std::string out = "'";
  size_t length = 0;
  if (byte >= 0x20 && byte < 0x7F) {
    length = 1;
  } else if (byte >= 0xC2 && byte <= 0xF4) {
    length = byte < 0xE0 ? 2 : byte < 0xF0 ? 3 : 4;
    if (i + length > size || !IsValidUtf8(std::string_view(data + i, length))) length = 0;
  }
  if (length > 0) {
    out.append(data + i, length);
  } else {
    static constexpr char kHex[] = "0123456789ABCDEF";
    out += "\\x";
    out += kHex[byte >> 4];
    out += kHex[byte & 0xF];
  }
  out += '\'';
  return out;
}

// The bytes that stop a run inside a field: three of them, also as a table.
struct StopSet {
  StopSet() = default;
  StopSet(char a, char b, char c) {
    table[static_cast<unsigned char>(a)] = true;
    table[static_cast<unsigned char>(b)] = true;
    table[static_cast<unsigned char>(c)] = true;
#if defined(__SSE2__)
    va = _mm_set1_epi8(a);
    vb = _mm_set1_epi8(b);
    vc = _mm_set1_epi8(c);
#endif
  }

  // Offset of the first stop byte in data[i, limit), or `limit`. This loop is
  // where the reader spends its time: 16 bytes per step where SSE2 is available.
  size_t Find(const char* data, size_t i, size_t limit) const {
#if defined(__SSE2__)
    while (limit - i >= 16) {
      const __m128i chunk = _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + i));
      const __m128i hits =
          _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(chunk, va), _mm_cmpeq_epi8(chunk, vb)),
                       _mm_cmpeq_epi8(chunk, vc));
      const unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(hits));
      if (mask != 0) return i + __builtin_ctz(mask);
      i += 16;
    }
#endif
    while (i < limit && !table[static_cast<unsigned char>(data[i])]) ++i;
    return i;
  }

  std::array<bool, 256> table{};
#if defined(__SSE2__)
  __m128i va{}, vb{}, vc{};
#endif
};

class CsvReaderImpl final : public CsvReader {
 public:
  CsvReaderImpl(std::unique_ptr<ChunkedInput> input, const ReaderOptions& options)
      : input_(std::move(input)), options_(options) {
    SkipBom();
    delimiter_ = options_.delimiter != 0 ? options_.delimiter : DetectDelimiter();
    unquoted_stops_ = StopSet(delimiter_, '\r', '\n');
    quoted_stops_ = StopSet('"', '\r', '\n');
  }

  Result<bool> Next(RawRecord* record) override;
  char delimiter() const override { return delimiter_; }
  uint64_t bytes_read() const override { return input_->window_offset() + next_; }
  uint64_t total_bytes() const override { return input_->total_bytes(); }

 private:
  enum class State : uint8_t {
    kFieldStart,     // before the first byte of a field
    kUnquoted,       // inside an unquoted field
    kQuoted,         // inside a quoted field
    kQuotedAfterCr,  // inside a quoted field, just after a CR (an LF would pair with it)
    kQuoteInQuoted,  // a quote inside a quoted field: closing, or the first of ""
  };
  // A field of the current record; offsets are relative to the record start.
  // For a quoted field [begin, end) is between the quotes.
  struct FieldSpan {
    size_t begin;
    size_t end;
    size_t escaped_quotes;  // number of "" pairs to collapse
  };

  void SkipBom();
  char DetectDelimiter();
  // Discards window bytes before `keep_from` and reads more, shifting the
  // offsets held here. False at end of input.
  bool Refill(size_t keep_from);
  // Advances the state machine over the window; true when the record ended.
  bool Scan();
  void FinishAtEndOfInput();
  void EndField(size_t end);
  void EndRecord(size_t line_end);
  void EnterSkipMode();
  void SetError(std::string reason) {
    if (error_.empty()) error_ = std::move(reason);
  }
  Result<bool> Finish(RawRecord* record);

  std::unique_ptr<ChunkedInput> input_;
  ReaderOptions options_;
  char delimiter_ = ',';
  StopSet unquoted_stops_;  // delimiter, CR, LF
  StopSet quoted_stops_;    // quote, CR, LF
  bool io_error_reported_ = false;

  // Where the next record starts (window offset) and its physical line.
  size_t next_ = 0;
  int64_t line_ = 1;
  // The last line ended in CR: an LF right after it completes a CRLF.
  bool skip_lf_ = false;

  // The record being read.
  int64_t record_line_ = 0;
  size_t record_start_ = 0;  // window offset
  size_t record_end_ = 0;    // window offset of its line end (or end of input)
  size_t scan_ = 0;          // window offset where Scan() resumes
  State state_ = State::kFieldStart;
  size_t field_begin_ = 0;  // relative to record_start_
  size_t escaped_quotes_ = 0;
  size_t field_number_ = 1;  // 1-based, of the field being read
  int64_t line_breaks_ = 0;  // inside the record so far
  int64_t quote_open_line_ = 0;
  bool oversized_ = false;
  std::string_view oversized_raw_;
  std::string oversized_copy_;
  std::string error_;
  // Where the first character after a closing quote was, when that is error_.
  size_t stray_offset_ = std::string::npos;
  size_t stray_field_ = 0;
  std::vector<FieldSpan> spans_;
  std::string scratch_;  // unquoted values of fields with ""
};

void CsvReaderImpl::SkipBom() {
  while (input_->size() < kUtf8Bom.size() && Refill(0)) {
  }
  if (std::string_view(input_->data(), input_->size()).starts_with(kUtf8Bom)) {
    next_ = kUtf8Bom.size();
  }
}

char CsvReaderImpl::DetectDelimiter() {
  static constexpr char kCandidates[] = {',', ';', '\t', '|'};
  size_t counts[4] = {0, 0, 0, 0};
  // Offsets relative to next_, which Refill may move.
  size_t i = 0;
  bool in_quotes = false;
  bool field_start = true;
  bool just_closed = false;  // a quote ended a quoted part: another one means ""
  bool skipping_blank_lines = true;
  const size_t limit = internal::SaturatingAdd(options_.max_record_bytes, 1);
  while (i < limit) {
    if (next_ + i == input_->size()) {
      if (!Refill(next_)) break;
      continue;
    }
    const char c = input_->data()[next_ + i++];
    if (skipping_blank_lines) {
      if (IsLineEnd(c)) continue;
      skipping_blank_lines = false;
    }
    if (in_quotes) {
      if (c == '"') {
        in_quotes = false;
        just_closed = true;
      }
      continue;
    }
    if (c == '"') {
      if (field_start || just_closed) in_quotes = true;
      field_start = just_closed = false;
      continue;
    }
    if (IsLineEnd(c)) break;
    field_start = just_closed = false;
    for (int k = 0; k < 4; ++k) {
      if (c == kCandidates[k]) {
        ++counts[k];
        field_start = true;
      }
    }
  }
  int best = 0;
  for (int k = 1; k < 4; ++k) {
    if (counts[k] > counts[best]) best = k;
  }
  return kCandidates[best];
}

bool CsvReaderImpl::Refill(size_t keep_from) {
  const bool appended = input_->Refill(keep_from);
  auto shift = [keep_from](size_t& offset) {
    offset = offset > keep_from ? offset - keep_from : 0;
  };
  shift(next_);
  shift(record_start_);
  shift(scan_);
  return appended;
}

Result<bool> CsvReaderImpl::Next(RawRecord* record) {
  record->fields.clear();
  record->raw = {};
  // Skip blank lines, and the LF of a CRLF whose CR ended the previous line.
  for (;;) {
    if (next_ == input_->size()) {
      if (Refill(next_)) continue;
      if (!input_->error().ok() && !io_error_reported_) {  // read error between records
        io_error_reported_ = true;
        return input_->error();
      }
      return false;
    }
    const char c = input_->data()[next_];
    if (skip_lf_) {
      skip_lf_ = false;
      if (c == '\n') {
        ++next_;
        continue;
      }
    }
    if (!IsLineEnd(c)) break;
    ++line_;
    ++next_;
    skip_lf_ = c == '\r';
  }

  record_line_ = line_;
  record_start_ = scan_ = next_;
  state_ = State::kFieldStart;
  escaped_quotes_ = 0;
  field_number_ = 1;
  line_breaks_ = 0;
  oversized_ = false;
  error_.clear();
  stray_offset_ = std::string::npos;
  spans_.clear();
  while (!Scan()) {
    // Keep the record's bytes, except for an oversized record, whose prefix
    // has been saved: then everything scanned can go.
    if (oversized_) record_start_ = next_ = scan_;
    if (!Refill(record_start_)) {
      if (!input_->error().ok()) {
        // The partial record is lost with the read error; the next call ends.
        next_ = input_->size();
        skip_lf_ = false;
        io_error_reported_ = true;
        return input_->error();
      }
      FinishAtEndOfInput();
      break;
    }
  }
  return Finish(record);
}

bool CsvReaderImpl::Scan() {
  const char* const data = input_->data();
  const size_t size = input_->size();
  size_t i = scan_;
  for (;;) {
    // Scan at most one byte past the record size limit, so that the window
    // never has to hold more than max_record_bytes + 1 bytes of a record.
    size_t limit = size;
    bool capped = false;
    if (!oversized_ && size - record_start_ > options_.max_record_bytes) {
      limit = record_start_ + options_.max_record_bytes + 1;
      capped = true;
    }
    if (i >= limit) {
      scan_ = i;
      if (!capped) return false;  // need more input
      EnterSkipMode();            // max_record_bytes + 1 bytes and no line end yet
      continue;
    }
    switch (state_) {
      case State::kFieldStart:
        if (data[i] == '"') {
          state_ = State::kQuoted;
          field_begin_ = i + 1 - record_start_;
          quote_open_line_ = record_line_ + line_breaks_;
          ++i;
        } else {
          state_ = State::kUnquoted;
          field_begin_ = i - record_start_;
        }
        break;
      case State::kUnquoted: {
        i = unquoted_stops_.Find(data, i, limit);
        if (i == limit) break;
        EndField(i);
        if (data[i] == delimiter_) {
          state_ = State::kFieldStart;
          ++i;
          break;
        }
        EndRecord(i);
        return true;
      }
      case State::kQuoted: {
        i = quoted_stops_.Find(data, i, limit);
        if (i == limit) break;
        const char c = data[i++];
        if (c == '"') {
          state_ = State::kQuoteInQuoted;
        } else {
          ++line_breaks_;
          if (c == '\r') state_ = State::kQuotedAfterCr;
        }
        break;
      }
      case State::kQuotedAfterCr:
        state_ = State::kQuoted;
        if (data[i] == '\n') ++i;
        break;
      case State::kQuoteInQuoted: {
        const char c = data[i];
        if (c == '"') {
          ++escaped_quotes_;
          state_ = State::kQuoted;
          ++i;
        } else if (c == delimiter_) {
          EndField(i - 1);
          state_ = State::kFieldStart;
          ++i;
        } else if (IsLineEnd(c)) {
          EndField(i - 1);
          EndRecord(i);
          return true;
        } else {
          if (error_.empty()) {
            // Described in Finish(), where the whole character is surely at hand.
            error_ = "unexpected character";
            stray_offset_ = i - record_start_;
            stray_field_ = field_number_;
          }
          state_ = State::kUnquoted;  // the rest of the field is taken as is
        }
        break;
      }
    }
  }
}

void CsvReaderImpl::EnterSkipMode() {
  oversized_ = true;
  error_ = "record is larger than the " + std::to_string(options_.max_record_bytes) + "-byte limit";
  std::string_view prefix(input_->data() + record_start_, options_.max_record_bytes);
  if (input_->in_memory()) {
    oversized_raw_ = prefix;  // caller memory: stays valid
  } else {
    oversized_copy_.assign(prefix);
    oversized_raw_ = oversized_copy_;
  }
  spans_.clear();
}

void CsvReaderImpl::EndField(size_t end) {
  if (!oversized_) {
    const size_t relative_end = end - record_start_;
    const size_t value_bytes = relative_end - field_begin_ - escaped_quotes_;
    if (value_bytes > options_.max_field_bytes) {
      SetError("field " + std::to_string(field_number_) + " is larger than the " +
               std::to_string(options_.max_field_bytes) + "-byte limit");
    }
    spans_.push_back({field_begin_, relative_end, escaped_quotes_});
  }
  escaped_quotes_ = 0;
  ++field_number_;
}

void CsvReaderImpl::EndRecord(size_t line_end) {
  record_end_ = line_end;
  next_ = line_end + 1;
  skip_lf_ = input_->data()[line_end] == '\r';
  line_ = record_line_ + line_breaks_ + 1;
}

void CsvReaderImpl::FinishAtEndOfInput() {
  const size_t size = input_->size();
  switch (state_) {
    case State::kFieldStart:  // after a trailing delimiter: one more, empty field
      field_begin_ = size - record_start_;
      EndField(size);
      break;
    case State::kUnquoted:
      EndField(size);
      break;
    case State::kQuoteInQuoted:
      EndField(size - 1);
      break;
    case State::kQuoted:
    case State::kQuotedAfterCr:
      SetError("unterminated quoted field (opened on line " + std::to_string(quote_open_line_) +
               ")");
      break;
  }
  record_end_ = size;
  next_ = size;
  line_ = record_line_ + line_breaks_;
}

Result<bool> CsvReaderImpl::Finish(RawRecord* record) {
  record->line = record_line_;
  record->raw = oversized_
                    ? oversized_raw_
                    : std::string_view(input_->data() + record_start_, record_end_ - record_start_);
  if (stray_offset_ != std::string::npos && !oversized_) {
    error_ = "unexpected character " +
             DescribeCharAt(record->raw.data(), record->raw.size(), stray_offset_) +
             " after closing quote in field " + std::to_string(stray_field_);
  }
  if (error_.empty()) {
    size_t bad_offset = 0;
    if (!IsValidUtf8(record->raw, &bad_offset)) {
      error_ = "invalid UTF-8 at byte offset " + std::to_string(bad_offset) + " of the record";
    }
  }
  if (!error_.empty()) {
    return InvalidArgument("line " + std::to_string(record_line_) + ": " + error_);
  }

  size_t scratch_bytes = 0;
  for (const FieldSpan& span : spans_) {
    if (span.escaped_quotes > 0) scratch_bytes += span.end - span.begin - span.escaped_quotes;
  }
  // Sized once per record so that views into it stay valid while it fills.
  if (scratch_.size() < scratch_bytes) scratch_.resize(scratch_bytes);
  char* out = scratch_.data();
  const char* const base = record->raw.data();
  record->fields.reserve(spans_.size());
  for (const FieldSpan& span : spans_) {
    if (span.escaped_quotes == 0) {
      record->fields.emplace_back(base + span.begin, span.end - span.begin);
      continue;
    }
    // Collapse each "" to ": copy up to and including the first quote of
    // the pair, then skip the second.
    char* const value = out;
    const char* p = base + span.begin;
    const char* const end = base + span.end;
    while (p < end) {
      const char* quote = static_cast<const char*>(std::memchr(p, '"', end - p));
      const char* stop = quote == nullptr ? end : quote + 1;
      std::memcpy(out, p, stop - p);
      out += stop - p;
      p = quote == nullptr ? end : quote + 2;
    }
    record->fields.emplace_back(value, out - value);
  }
  return true;
}

}  // namespace

Result<std::unique_ptr<CsvReader>> CsvReader::Open(const std::string& path,
                                                   const ReaderOptions& options) {
  const char d = options.delimiter;
  if (d == '"' || d == '\r' || d == '\n') {
    return InvalidArgument("the CSV delimiter cannot be a quote or a line break");
  }
  // The window holds at most one record plus the byte that tells it is too long.
  ASSIGN_OR_RETURN(auto input,
                   ChunkedInput::OpenFile(path, options.chunk_bytes,
                                          internal::SaturatingAdd(options.max_record_bytes, 2)));
  return std::unique_ptr<CsvReader>(new CsvReaderImpl(std::move(input), options));
}

std::unique_ptr<CsvReader> CsvReader::FromString(std::string_view data,
                                                 const ReaderOptions& options) {
  ReaderOptions checked = options;
  const char d = options.delimiter;
  if (d == '"' || d == '\r' || d == '\n') checked.delimiter = 0;  // cannot fail here: detect
  return std::make_unique<CsvReaderImpl>(ChunkedInput::FromMemory(data), checked);
}

}  // namespace patron::ingest
