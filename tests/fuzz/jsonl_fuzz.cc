// Fuzz target for JsonlReader. Reads every line of the input (continuing after
// errors) with small limits and checks the reader's contracts:
//  - it terminates: at most size + 2 calls to Next();
//  - record lines strictly increase, errors name the record's line;
//  - `raw` lies within the input, holds no line feed, and respects
//    max_record_bytes;
//  - accepted keys and values are valid UTF-8 and values respect max_field_bytes;
//  - reading the same bytes from a file in tiny chunks gives exactly the same
//    outcomes as reading from memory.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ingest/ingest.h"

namespace {

using patron::Result;
using patron::ingest::JsonlReader;
using patron::ingest::JsonRecord;
using patron::ingest::ReaderOptions;

std::string_view g_input;

[[noreturn]] void Fail(const char* what, int line) {
  std::fprintf(stderr, "jsonl_fuzz: invariant failed at line %d: %s\ninput (%zu bytes): \"", line,
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
  std::vector<std::pair<std::string, std::string>> fields;
  std::string raw;
  std::string error;
  bool operator==(const Outcome&) const = default;
};

bool Within(std::string_view inner, std::string_view outer) {
  const auto in = reinterpret_cast<uintptr_t>(inner.data());
  const auto out = reinterpret_cast<uintptr_t>(outer.data());
  return in >= out && in + inner.size() <= out + outer.size();
}

std::vector<Outcome> ReadAll(JsonlReader& reader, const ReaderOptions& options,
                             std::string_view input, size_t size) {
  std::vector<Outcome> outcomes;
  JsonRecord record;
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
    FUZZ_CHECK(record.raw.find('\n') == std::string_view::npos);
    if (input.data() != nullptr) FUZZ_CHECK(Within(record.raw, input));
    Outcome outcome;
    outcome.line = record.line;
    outcome.raw = std::string(record.raw);
    if (!next.ok()) {
      FUZZ_CHECK(next.status().code() == patron::StatusCode::kInvalidArgument);
      outcome.error = next.status().message();
      FUZZ_CHECK(outcome.error.starts_with("line " + std::to_string(record.line) + ": "));
    } else {
      outcome.ok = true;
      FUZZ_CHECK(patron::IsValidUtf8(record.raw));
      for (const auto& [key, value] : record.fields) {
        FUZZ_CHECK(patron::IsValidUtf8(key));
        FUZZ_CHECK(patron::IsValidUtf8(value));
        FUZZ_CHECK(value.size() <= options.max_field_bytes);
      }
      outcome.fields = record.fields;
    }
    outcomes.push_back(std::move(outcome));
  }
  FUZZ_CHECK(reader.bytes_read() == size);
  return outcomes;
}

bool ReadThroughFile(std::string_view input, const ReaderOptions& options,
                     std::vector<Outcome>* outcomes) {
  const int fd = memfd_create("jsonl_fuzz", MFD_CLOEXEC);
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
  auto reader = JsonlReader::Open("/proc/self/fd/" + std::to_string(fd), options);
  close(fd);  // the reader holds its own descriptor
  if (!reader.ok()) return false;
  FUZZ_CHECK((*reader)->total_bytes() == input.size());
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

  auto reader = JsonlReader::FromString(input, options);
  FUZZ_CHECK(reader->total_bytes() == size);
  const std::vector<Outcome> outcomes = ReadAll(*reader, options, input, size);

  ReaderOptions chunked = options;
  chunked.chunk_bytes = 1 + size % 13;
  std::vector<Outcome> from_file;
  if (ReadThroughFile(input, chunked, &from_file)) FUZZ_CHECK(from_file == outcomes);
  return 0;
}
