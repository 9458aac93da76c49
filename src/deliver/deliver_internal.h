// Helpers shared by the deliver sources; not part of the public API.
#pragma once

#include <curl/curl.h>

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace patron::deliver::internal {

// Calls sodium_init once (thread-safe).
void EnsureSodium();

std::string Base64(std::string_view data);     // standard alphabet, padded, one line
std::string Base64Url(std::string_view data);  // URL-safe alphabet, unpadded
// Decodes either alphabet, padding optional; false on bad input.
bool DecodeBase64(std::string_view text, std::string* out);
std::string RandomHex(size_t bytes);

// "Mon, 23 Nov 2026 11:15:48 +0000"
std::string Rfc5322Date(int64_t unix_seconds);

// Trims ASCII space and tab.
std::string_view TrimWsp(std::string_view s);

// curl_global_init once (thread-safe).
void EnsureCurl();

// Reused curl easy handles (kept connections) for one HTTP destination, shared
// by the sending threads: at most `keep` idle handles are kept.
class CurlHandlePool {
 public:
  explicit CurlHandlePool(int keep) : keep_(keep) {}
  ~CurlHandlePool() {
    for (CURL* e : idle_) curl_easy_cleanup(e);
  }
  CurlHandlePool(const CurlHandlePool&) = delete;
  CurlHandlePool& operator=(const CurlHandlePool&) = delete;

  CURL* Checkout() {
    {
      std::lock_guard lock(mutex_);
      if (!idle_.empty()) {
        CURL* e = idle_.back();
        idle_.pop_back();
        return e;
      }
    }
    return curl_easy_init();
  }
  void Return(CURL* e) {
    std::lock_guard lock(mutex_);
    if (static_cast<int>(idle_.size()) < keep_) {
      idle_.push_back(e);
    } else {
      curl_easy_cleanup(e);
    }
  }

 private:
  const int keep_;
  std::mutex mutex_;
  std::vector<CURL*> idle_;  // GUARDED_BY(mutex_)
};

// curl write callback appending to a std::string, keeping at most 64 KiB.
size_t AppendAnswer(char* data, size_t size, size_t n, void* user);

}  // namespace patron::deliver::internal
