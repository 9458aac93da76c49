// Internal to the ingest readers (csv_reader.cc, jsonl_reader.cc): a sliding
// window over a file or an in-memory string. Not part of the public API.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/core.h"

namespace patron::ingest::internal {

// The readers see the input as a window of bytes: data()[0, size()). Bytes
// enter at the end by Refill() and leave at the front when the caller says it
// no longer needs them, so memory stays bounded by the largest record however
// large the file is.
//
// A file is read with plain read() calls of at most one buffer; the buffer
// starts at `chunk_bytes` and grows (doubling) only when a single record needs
// more, up to `max_window` bytes. In-memory input is a window over the caller's
// string that never copies; there, discarded bytes stay readable, so views into
// the window remain valid for the lifetime of the string.
class ChunkedInput {
 public:
  // Opens `path` for reading; "-" is standard input. Fails with NotFound when
  // the file does not exist and IoError for other failures.
  static Result<std::unique_ptr<ChunkedInput>> OpenFile(const std::string& path, size_t chunk_bytes,
                                                        size_t max_window);
  static std::unique_ptr<ChunkedInput> FromMemory(std::string_view data);

  ChunkedInput(const ChunkedInput&) = delete;
  ChunkedInput& operator=(const ChunkedInput&) = delete;
  ~ChunkedInput();

  const char* data() const { return data_; }
  size_t size() const { return size_; }
  // True when nothing follows the window: end of input or a read error.
  bool at_eof() const { return eof_; }
  // True when the window is over caller memory (FromMemory).
  bool in_memory() const { return fd_ < 0; }
  // Offset in the input of data()[0].
  uint64_t window_offset() const { return window_offset_; }
  // Size of the input; 0 when unknown (a pipe, standard input).
  uint64_t total_bytes() const { return total_bytes_; }
  // Ok, or the read error that ended the input early.
  const Status& error() const { return error_; }

  // Drops data()[0, keep_from) from the window, then appends the next bytes of
  // the input. Offsets the caller holds into the window shrink by `keep_from`
  // whatever the result. Returns true when at least one byte was appended;
  // false at end of input or on a read error (see error()).
  // REQUIRES: keep_from <= size().
  bool Refill(size_t keep_from);

 private:
  ChunkedInput() = default;

  int fd_ = -1;
  bool owns_fd_ = false;
  std::string path_;
  std::unique_ptr<char[]> buffer_;  // file input only
  size_t capacity_ = 0;
  size_t max_window_ = 0;
  const char* data_ = nullptr;
  size_t size_ = 0;
  bool eof_ = false;
  uint64_t window_offset_ = 0;
  uint64_t total_bytes_ = 0;
  Status error_;
};

// Default for ReaderOptions::chunk_bytes when it is 0.
inline constexpr size_t kDefaultChunkBytes = size_t{1} << 20;

// `a + b`, saturating instead of wrapping (limits may be set to SIZE_MAX).
inline size_t SaturatingAdd(size_t a, size_t b) { return a + b < a ? SIZE_MAX : a + b; }

}  // namespace patron::ingest::internal
