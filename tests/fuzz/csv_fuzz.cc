// Fuzz target for CsvReader. Reads every record of the input (continuing after
// errors) with small limits and checks the reader's contracts:
//  - it terminates: at most size + 2 calls to Next();
//  - record lines strictly increase, errors name the record's line;
//  - `raw` lies within the input and within max_record_bytes;
//  - a field is valid UTF-8, within max_field_bytes, and lies within `raw`
//    unless it was unquoted into scratch memory (then it holds a quote);
//  - writing an accepted record's fields back as CSV and reading them again
//    gives the same fields;
//  - reading the same bytes from a file in tiny chunks gives exactly the same
//    outcomes as reading from memory.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/ingest.h"

namespace {

using patron::Result;
using patron::ingest::CsvReader;
using patron::ingest::RawRecord;
using patron::ingest::ReaderOptions;

std::string_view g_input;

[[noreturn]] void Fail(const char* what, int line) {
  std::fprintf(stderr, "csv_fuzz: invariant failed at line %d: %s\ninput (%zu bytes): \"", line,
               what, g_input.size());
  for (unsigned char c : g_input.substr(0, 4096)) {
    if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
      std::fputc(c, stderr);
    } else {
      std::fprintf(stderr, "\\x%02X", c);
    }
  }
  std::fprintf(stderr, "\"\n");
  std::abort();
}

#define FUZZ_CHECK(cond)                \
  do {                                  \
    if (!(cond)) Fail(#cond, __LINE__); \
  } while (0)

struct Outcome {
  bool ok = false;
  int64_t line = 0;
  std::vector<std::string> fields;
  std::string raw;
  std::string error;
  bool operator==(const Outcome&) const = default;
};

bool Within(std::string_view inner, std::string_view outer) {
  const auto in = reinterpret_cast<uintptr_t>(inner.data());
  const auto out = reinterpret_cast<uintptr_t>(outer.data());
  return in >= out && in + inner.size() <= out + outer.size();
}

bool Overlaps(std::string_view a, std::string_view b) {
  const auto a0 = reinterpret_cast<uintptr_t>(a.data());
  const auto b0 = reinterpret_cast<uintptr_t>(b.data());
  return a0 < b0 + b.size() && b0 < a0 + a.size();
}

// Quotes every field, so the record can be read back whatever it holds.
std::string WriteCsvRecord(const std::vector<std::string>& fields, char delimiter) {
  std::string out;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out += delimiter;
    out += '"';
    for (char c : fields[i]) {
      if (c == '"') out += '"';
      out += c;
    }
    out += '"';
  }
  return out + "\r\n";
}

// Reads everything; `input` is non-empty only for the in-memory reader, whose
// views can be checked against the caller's bytes.
std::vector<Outcome> ReadAll(CsvReader& reader, const ReaderOptions& options,
                             std::string_view input, size_t size) {
  std::vector<Outcome> outcomes;
  RawRecord record;
  int64_t previous_line = 0;
  uint64_t previous_bytes = 0;
  size_t calls = 0;
  for (;;) {
    ++calls;
    FUZZ_CHECK(calls <= size + 2);
    Result<bool> next = reader.Next(&record);
    FUZZ_CHECK(reader.bytes_read() >= previous_bytes);
    FUZZ_CHECK(reader.bytes_read() <= size);
    previous_bytes = reader.bytes_read();
    if (next.ok() && !*next) break;
    FUZZ_CHECK(record.line > previous_line);
    previous_line = record.line;
    FUZZ_CHECK(record.raw.size() <= options.max_record_bytes);
    if (input.data() != nullptr) FUZZ_CHECK(Within(record.raw, input));
    Outcome outcome;
    outcome.line = record.line;
    outcome.raw = std::string(record.raw);  // also makes ASan read every byte
    if (!next.ok()) {
      FUZZ_CHECK(next.status().code() == patron::StatusCode::kInvalidArgument);
      outcome.error = next.status().message();
      FUZZ_CHECK(outcome.error.starts_with("line " + std::to_string(record.line) + ": "));
    } else {
      outcome.ok = true;
      FUZZ_CHECK(!record.fields.empty());
      FUZZ_CHECK(patron::IsValidUtf8(record.raw));
      for (std::string_view field : record.fields) {
        FUZZ_CHECK(field.size() <= options.max_field_bytes);
        FUZZ_CHECK(patron::IsValidUtf8(field));
        if (!Within(field, record.raw)) {
          // Unquoted into the reader's scratch memory: never into the input.
          FUZZ_CHECK(!Overlaps(field, record.raw));
          if (input.data() != nullptr) FUZZ_CHECK(!Overlaps(field, input));
          FUZZ_CHECK(field.find('"') != std::string_view::npos);
        }
        outcome.fields.emplace_back(field);
      }
    }
    outcomes.push_back(std::move(outcome));
  }
  FUZZ_CHECK(reader.bytes_read() == size);
  return outcomes;
}

// The same bytes as a file, read through Open() in tiny chunks.
bool ReadThroughFile(std::string_view input, const ReaderOptions& options, char* delimiter,
                     std::vector<Outcome>* outcomes) {
  const int fd = memfd_create("csv_fuzz", MFD_CLOEXEC);
  if (fd < 0) return false;
  size_t written = 0;
  while (written < input.size()) {
    const ssize_t n = write(fd, input.data() + written, input.size() - written);
    if (n <= 0) {
      close(fd);
      return false;
    }
    written += static_cast<size_t>(n);
  }
  auto reader = CsvReader::Open("/proc/self/fd/" + std::to_string(fd), options);
  close(fd);  // the reader holds its own descriptor
  if (!reader.ok()) return false;
  FUZZ_CHECK((*reader)->total_bytes() == input.size());
  *delimiter = (*reader)->delimiter();
  *outcomes = ReadAll(**reader, options, {}, input.size());
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  g_input = input;
  ReaderOptions options;
  options.max_field_bytes = 64;
  options.max_record_bytes = 256;
  static constexpr char kDelimiters[] = {0, 0, ',', ';', '\t'};
  options.delimiter = kDelimiters[size % sizeof(kDelimiters)];

  auto reader = CsvReader::FromString(input, options);
  const char delimiter = reader->delimiter();
  FUZZ_CHECK(options.delimiter == 0 || delimiter == options.delimiter);
  FUZZ_CHECK(reader->total_bytes() == size);
  const std::vector<Outcome> outcomes = ReadAll(*reader, options, input, size);

  // Accepted records survive being written out and read back.
  for (const Outcome& outcome : outcomes) {
    if (!outcome.ok) continue;
    const std::string written = WriteCsvRecord(outcome.fields, delimiter);
    ReaderOptions unlimited;
    unlimited.delimiter = delimiter;
    auto again = CsvReader::FromString(written, unlimited);
    RawRecord record;
    Result<bool> next = again->Next(&record);
    FUZZ_CHECK(next.ok() && *next);
    FUZZ_CHECK(record.fields.size() == outcome.fields.size());
    for (size_t i = 0; i < record.fields.size(); ++i) {
      FUZZ_CHECK(record.fields[i] == outcome.fields[i]);
    }
    next = again->Next(&record);
    FUZZ_CHECK(next.ok() && !*next);
  }

  // Chunked file reading sees exactly what in-memory reading sees.
  ReaderOptions chunked = options;
  chunked.chunk_bytes = 1 + size % 13;
  char file_delimiter = 0;
  std::vector<Outcome> from_file;
  if (ReadThroughFile(input, chunked, &file_delimiter, &from_file)) {
    FUZZ_CHECK(file_delimiter == delimiter);
    FUZZ_CHECK(from_file == outcomes);
  }
  return 0;
}
