// Retry schedule and signed link tokens.
#include <sodium.h>

#include <algorithm>

#include "deliver/deliver.h"
#include "deliver/deliver_internal.h"

namespace patron::deliver {

std::pair<std::chrono::seconds, std::chrono::seconds> RetryDelayRange(int attempt) {
  constexpr int64_t kFirst = 60;
  constexpr int64_t kCap = 6 * 3600;
  int shift = std::clamp(attempt - 1, 0, 20);
  int64_t full = std::min<int64_t>(kCap, kFirst << shift);
  return {std::chrono::seconds(full - full / 5), std::chrono::seconds(full)};
}

std::chrono::seconds RetryDelay(int attempt) {
  internal::EnsureSodium();
  auto [low, high] = RetryDelayRange(attempt);
  uint32_t spread = static_cast<uint32_t>(high.count() - low.count());
  return low + std::chrono::seconds(spread == 0 ? 0 : randombytes_uniform(spread + 1));
}

namespace {

std::string Mac(std::string_view key, std::string_view payload) {
  std::string mac(crypto_auth_hmacsha256_BYTES, '\0');
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(key.data()),
                              key.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(payload.data()),
                                payload.size());
  crypto_auth_hmacsha256_final(&state, reinterpret_cast<unsigned char*>(mac.data()));
  return mac;
}

}  // namespace

std::string SignToken(std::string_view key, std::string_view payload) {
  internal::EnsureSodium();
  return internal::Base64Url(payload) + "." + internal::Base64Url(Mac(key, payload));
}

Result<std::string> VerifyToken(std::string_view key, std::string_view token) {
  internal::EnsureSodium();
  size_t dot = token.find('.');
  if (dot == std::string_view::npos || token.find('.', dot + 1) != std::string_view::npos) {
    return InvalidArgument("the token is not of the form payload.signature");
  }
  std::string payload;
  std::string mac;
  if (!internal::DecodeBase64(token.substr(0, dot), &payload) ||
      !internal::DecodeBase64(token.substr(dot + 1), &mac)) {
    return InvalidArgument("the token is not base64url");
  }
  std::string expected = Mac(key, payload);
  if (mac.size() != expected.size() ||
      sodium_memcmp(mac.data(), expected.data(), expected.size()) != 0) {
    return Status(StatusCode::kPermissionDenied, "the token's signature does not match");
  }
  return payload;
}

}  // namespace patron::deliver
