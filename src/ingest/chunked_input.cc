#include "ingest/chunked_input.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace patron::ingest::internal {

Result<std::unique_ptr<ChunkedInput>> ChunkedInput::OpenFile(const std::string& path,
                                                             size_t chunk_bytes,
                                                             size_t max_window) {
  std::unique_ptr<ChunkedInput> input(new ChunkedInput());
  input->path_ = path == "-" ? std::string("standard input") : path;
  if (path == "-") {
    input->fd_ = STDIN_FILENO;
  } else {
    int fd;
    do {
      fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) {
      const int err = errno;
      std::string message = "cannot open " + path + ": " + std::strerror(err);
      return err == ENOENT ? NotFound(std::move(message)) : IoError(std::move(message));
    }
    input->fd_ = fd;
    input->owns_fd_ = true;
  }
  struct stat st;
  if (::fstat(input->fd_, &st) == 0) {
    if (S_ISDIR(st.st_mode)) return InvalidArgument(path + " is a directory, not a file");
    if (S_ISREG(st.st_mode)) input->total_bytes_ = static_cast<uint64_t>(st.st_size);
  }
  input->capacity_ = chunk_bytes == 0 ? kDefaultChunkBytes : chunk_bytes;
  input->max_window_ = std::max(input->capacity_, max_window);
  input->buffer_.reset(new char[input->capacity_]);
  input->data_ = input->buffer_.get();
  return input;
}

std::unique_ptr<ChunkedInput> ChunkedInput::FromMemory(std::string_view data) {
  std::unique_ptr<ChunkedInput> input(new ChunkedInput());
  input->data_ = data.data();
  input->size_ = data.size();
  input->eof_ = true;
  input->total_bytes_ = data.size();
  return input;
}

ChunkedInput::~ChunkedInput() {
  if (owns_fd_) ::close(fd_);
}

bool ChunkedInput::Refill(size_t keep_from) {
  keep_from = std::min(keep_from, size_);
  window_offset_ += keep_from;
  if (in_memory()) {
    // Nothing to read; sliding the view keeps every earlier view valid.
    data_ += keep_from;
    size_ -= keep_from;
    return false;
  }
  if (keep_from > 0) {
    std::memmove(buffer_.get(), buffer_.get() + keep_from, size_ - keep_from);
    size_ -= keep_from;
  }
  if (eof_) return false;
  if (size_ == capacity_) {
    // One record fills the buffer: grow. The readers never need more than
    // max_window bytes, but growing past it beats failing if one ever did.
    size_t grown = capacity_ < max_window_
                       ? std::min(max_window_, SaturatingAdd(capacity_, capacity_))
                       : SaturatingAdd(capacity_, capacity_);
    std::unique_ptr<char[]> bigger(new char[grown]);
    std::memcpy(bigger.get(), buffer_.get(), size_);
    buffer_ = std::move(bigger);
    capacity_ = grown;
  }
  data_ = buffer_.get();
  for (;;) {
    const ssize_t n = ::read(fd_, buffer_.get() + size_, capacity_ - size_);
    if (n > 0) {
      size_ += static_cast<size_t>(n);
      return true;
    }
    if (n == 0) {
      eof_ = true;
      return false;
    }
    if (errno == EINTR) continue;
    error_ = IoError("reading " + path_ + ": " + std::strerror(errno));
    eof_ = true;
    return false;
  }
}

}  // namespace patron::ingest::internal
