// Webhooks: signed JSON POSTs with an idempotency key over reused connections.
#include <sodium.h>

#include <algorithm>

#include "deliver/deliver.h"
#include "deliver/deliver_internal.h"

namespace patron::deliver {

std::string WebhookSignature(std::string_view secret, int64_t unix_seconds, std::string_view body) {
  internal::EnsureSodium();
  std::string t = std::to_string(unix_seconds);
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(secret.data()), secret.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(t.data()), t.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>("."), 1);
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(body.data()), body.size());
  crypto_auth_hmacsha256_final(&state, mac);
  char hex[sizeof mac * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
  return "t=" + t + ",v1=" + hex;
}

struct WebhookSender::Impl {
  explicit Impl(const WebhookConfig& c) : config(c), pool(c.max_connections) {}
  ~Impl() { curl_slist_free_all(headers); }
  WebhookConfig config;
  curl_slist* headers = nullptr;  // the fixed headers; per-request ones are added to a copy
  internal::CurlHandlePool pool;
};

WebhookSender::WebhookSender(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
WebhookSender::~WebhookSender() = default;

Result<std::unique_ptr<WebhookSender>> WebhookSender::Create(const WebhookConfig& config) {
  internal::EnsureCurl();
  if (config.url.rfind("https://", 0) != 0 && config.url.rfind("http://", 0) != 0)
    return InvalidArgument("webhook url must start with https:// or http://");
  if (config.url.find_first_of(" \r\n") != std::string::npos)
    return InvalidArgument("webhook url has a space or line break");
  auto impl = std::make_unique<Impl>(config);
  for (const auto& [name, value] : config.headers) {
    if (name.empty() || name.find_first_of(":\r\n ") != std::string::npos ||
        value.find_first_of("\r\n") != std::string::npos)
      return InvalidArgument("webhook header '" + name + "' is empty or has a colon, space or line break");
    impl->headers = curl_slist_append(impl->headers, (name + ": " + value).c_str());
  }
  impl->headers = curl_slist_append(impl->headers, "Content-Type: application/json; charset=utf-8");
  impl->headers = curl_slist_append(impl->headers, "Expect:");
  return std::unique_ptr<WebhookSender>(new WebhookSender(std::move(impl)));
}

HttpOutcome WebhookSender::Post(std::string_view json_body, std::string_view idempotency_key, int64_t unix_seconds) {
  HttpOutcome out;
  auto started = std::chrono::steady_clock::now();
  // Per-request headers go on a copy of the fixed list (curl lists are not shareable across threads
  // while being appended to).
  curl_slist* headers = nullptr;
  for (curl_slist* h = impl_->headers; h; h = h->next) headers = curl_slist_append(headers, h->data);
  std::string key(idempotency_key.substr(0, 200));
  key.erase(std::remove_if(key.begin(), key.end(), [](char c) { return c == '\r' || c == '\n'; }), key.end());
  headers = curl_slist_append(headers, ("Idempotency-Key: " + key).c_str());
  if (!impl_->config.secret.empty())
    headers = curl_slist_append(
        headers, ("X-Patron-Signature: " + WebhookSignature(impl_->config.secret, unix_seconds, json_body)).c_str());

  std::string answer;
  char error[CURL_ERROR_SIZE] = {};
  CURL* e = impl_->pool.Checkout();
  curl_easy_setopt(e, CURLOPT_URL, impl_->config.url.c_str());
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(impl_->config.timeout.count()));
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, internal::AppendAnswer);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, &answer);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_POST, 1L);
  curl_easy_setopt(e, CURLOPT_POSTFIELDS, json_body.data());
  curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(json_body.size()));
  CURLcode rc = curl_easy_perform(e);
  long status = 0;
  curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, nullptr);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, nullptr);
  curl_easy_setopt(e, CURLOPT_POSTFIELDS, nullptr);
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, nullptr);
  impl_->pool.Return(e);
  curl_slist_free_all(headers);
  out.elapsed = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started);

  if (rc != CURLE_OK) {
    out.kind = DeliveryKind::kTransientFailure;
    out.error = error[0] ? error : curl_easy_strerror(rc);
    return out;
  }
  out.http_status = static_cast<int>(status);
  if (status >= 200 && status < 300) {
    out.kind = DeliveryKind::kAccepted;
    return out;
  }
  bool transient = status == 408 || status == 425 || status == 429 || status >= 500;
  out.kind = transient ? DeliveryKind::kTransientFailure : DeliveryKind::kPermanentFailure;
  out.error = "the receiver answered " + std::to_string(status) + ": " + answer.substr(0, 200);
  return out;
}

}  // namespace patron::deliver
