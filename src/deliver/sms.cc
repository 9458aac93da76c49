// SMS: GSM 03.38 / UCS-2 segment counting, HTTP gateways described by
// configuration, and delivery receipts.
#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <mutex>
#include <nlohmann/json.hpp>
#include <unordered_set>

#include "deliver/deliver.h"
#include "deliver/deliver_internal.h"

namespace patron::deliver {

namespace {

// Decodes valid UTF-8 into code points.
std::vector<char32_t> CodePoints(std::string_view s) {
  std::vector<char32_t> out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    char32_t cp;
    size_t n;
    if (c < 0x80) {
      cp = c;
      n = 1;
    } else if ((c >> 5) == 0x6) {
      cp = c & 0x1f;
      n = 2;
    } else if ((c >> 4) == 0xe) {
      cp = c & 0x0f;
      n = 3;
    } else {
      cp = c & 0x07;
      n = 4;
    }
    for (size_t k = 1; k < n && i + k < s.size(); ++k)
      cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3f);
    out.push_back(cp);
    i += n;
  }
  return out;
}

const std::unordered_set<char32_t>& GsmBasic() {
  static const auto* set = [] {
    auto* s = new std::unordered_set<char32_t>();
    for (char32_t cp :
         CodePoints("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
                    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")) {
      s->insert(cp);
    }
    return s;
  }();
  return *set;
}

const std::unordered_set<char32_t>& GsmExtension() {
  static const auto* set = [] {
    auto* s = new std::unordered_set<char32_t>();
    for (char32_t cp : CodePoints("\f^{}\\[~]|€")) s->insert(cp);
    return s;
  }();
  return *set;
}

// Parts needed for characters of the given widths, never splitting one.
int Pack(const std::vector<int>& widths, int single, int per_part) {
  int total = 0;
  for (int w : widths) total += w;
  if (total <= single) return 1;
  int parts = 1;
  int used = 0;
  for (int w : widths) {
    if (used + w > per_part) {
      ++parts;
      used = 0;
    }
    used += w;
  }
  return parts;
}

}  // namespace

SmsSegments CountSmsSegments(std::string_view text) {
  std::vector<char32_t> cps = CodePoints(text);
  const auto& basic = GsmBasic();
  const auto& ext = GsmExtension();
  bool gsm = std::all_of(cps.begin(), cps.end(),
                         [&](char32_t c) { return basic.count(c) || ext.count(c); });
  std::vector<int> widths;
  widths.reserve(cps.size());
  SmsSegments out;
  if (gsm) {
    out.encoding = SmsEncoding::kGsm7;
    for (char32_t c : cps) widths.push_back(ext.count(c) ? 2 : 1);
  } else {
    out.encoding = SmsEncoding::kUcs2;
    for (char32_t c : cps) widths.push_back(c > 0xffff ? 2 : 1);
  }
  for (int w : widths) out.units += w;
  out.segments = gsm ? Pack(widths, 160, 153) : Pack(widths, 70, 67);
  return out;
}

std::string_view SmsReceiptStatusName(SmsReceiptStatus status) {
  switch (status) {
    case SmsReceiptStatus::kDelivered:
      return "delivered";
    case SmsReceiptStatus::kFailed:
      return "failed";
    case SmsReceiptStatus::kPending:
      return "pending";
  }
  return "unknown";
}

// ---------------------------------------------------------------------------
// Templates
// ---------------------------------------------------------------------------

namespace {

constexpr std::string_view kPlaceholders[] = {"{to}", "{text}", "{sender}", "{reference}"};

std::string JsonEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 8);
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (u < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", u);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out;
}

// RFC 3986 unreserved characters stay; everything else is %XX. In form bodies a
// space is '+' (application/x-www-form-urlencoded).
std::string PercentEncode(std::string_view s, bool form) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() * 3);
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += c;
    } else if (form && c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
  return out;
}

std::string PercentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() &&
               std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
               std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

template <typename Escape>
std::string Fill(std::string_view tmpl, const std::string_view (&values)[4], Escape escape) {
  std::string out;
  out.reserve(tmpl.size() + 200);
  size_t pos = 0;
  while (pos < tmpl.size()) {
    size_t brace = tmpl.find('{', pos);
    if (brace == std::string_view::npos) {
      out += tmpl.substr(pos);
      break;
    }
    out += tmpl.substr(pos, brace - pos);
    bool replaced = false;
    for (size_t k = 0; k < 4; ++k) {
      if (tmpl.substr(brace, kPlaceholders[k].size()) == kPlaceholders[k]) {
        out += escape(values[k]);
        pos = brace + kPlaceholders[k].size();
        replaced = true;
        break;
      }
    }
    if (!replaced) {
      out += '{';
      pos = brace + 1;
    }
  }
  return out;
}

// "{word}" that is not a known placeholder, or empty.
std::string UnknownPlaceholder(std::string_view tmpl) {
  for (size_t pos = tmpl.find('{'); pos != std::string_view::npos; pos = tmpl.find('{', pos + 1)) {
    size_t end = pos + 1;
    while (end < tmpl.size() &&
           (std::islower(static_cast<unsigned char>(tmpl[end])) || tmpl[end] == '_'))
      ++end;
    if (end == pos + 1 || end >= tmpl.size() || tmpl[end] != '}') continue;
    std::string_view word = tmpl.substr(pos, end - pos + 1);
    if (std::find(std::begin(kPlaceholders), std::end(kPlaceholders), word) ==
        std::end(kPlaceholders)) {
      return std::string(word);
    }
  }
  return "";
}

}  // namespace

struct SmsGateway::Impl {
  explicit Impl(const SmsGatewayConfig& c) : config(c), pool(c.max_connections) {}
  ~Impl() { curl_slist_free_all(headers); }
  SmsGatewayConfig config;
  curl_slist* headers = nullptr;
  internal::CurlHandlePool pool;
};

SmsGateway::SmsGateway(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SmsGateway::~SmsGateway() = default;

Result<std::unique_ptr<SmsGateway>> SmsGateway::Create(const SmsGatewayConfig& config) {
  internal::EnsureCurl();
  if (config.url.rfind("https://", 0) != 0 && config.url.rfind("http://", 0) != 0) {
    return InvalidArgument("sms gateway url must start with https:// or http://");
  }
  if (config.method != "POST" && config.method != "GET") {
    return InvalidArgument("sms gateway method must be POST or GET, not '" + config.method + "'");
  }
  for (const std::string* t : {&config.url, &config.body_template}) {
    if (std::string unknown = UnknownPlaceholder(*t); !unknown.empty()) {
      return InvalidArgument("sms gateway template has the unknown placeholder " + unknown +
                             " (known: {to} {text} {sender} {reference})");
    }
  }
  if (config.success_statuses.empty())
    return InvalidArgument("sms gateway success_statuses is empty");
  if (!config.message_id_pointer.empty() && config.message_id_pointer[0] != '/') {
    return InvalidArgument(
        "sms gateway message_id_pointer must be a JSON pointer starting with '/'");
  }
  try {
    if (!config.message_id_pointer.empty())
      nlohmann::json::json_pointer check(config.message_id_pointer);
  } catch (const nlohmann::json::exception&) {
    return InvalidArgument("sms gateway message_id_pointer '" + config.message_id_pointer +
                           "' is not a JSON pointer");
  }
  auto impl = std::make_unique<Impl>(config);
  bool has_content_type = false;
  for (const auto& [name, value] : config.headers) {
    if (name.find_first_of(":\r\n") != std::string::npos ||
        value.find_first_of("\r\n") != std::string::npos) {
      return InvalidArgument("sms gateway header '" + name + "' has a colon or line break");
    }
    if (AsciiLower(name) == "content-type") has_content_type = true;
    impl->headers = curl_slist_append(impl->headers, (name + ": " + value).c_str());
  }
  if (!has_content_type && config.method == "POST") {
    impl->headers =
        curl_slist_append(impl->headers, config.body_format == SmsBodyFormat::kJson
                                             ? "Content-Type: application/json; charset=utf-8"
                                             : "Content-Type: application/x-www-form-urlencoded");
  }
  impl->headers = curl_slist_append(impl->headers, "Expect:");
  return std::unique_ptr<SmsGateway>(new SmsGateway(std::move(impl)));
}

std::string SmsGateway::RenderBody(std::string_view to, std::string_view text,
                                   std::string_view reference) const {
  const std::string_view values[4] = {to, text, impl_->config.sender, reference};
  if (impl_->config.body_format == SmsBodyFormat::kJson) {
    return Fill(impl_->config.body_template, values, JsonEscape);
  }
  return Fill(impl_->config.body_template, values,
              [](std::string_view v) { return PercentEncode(v, true); });
}

std::string SmsGateway::RenderUrl(std::string_view to, std::string_view text,
                                  std::string_view reference) const {
  const std::string_view values[4] = {to, text, impl_->config.sender, reference};
  return Fill(impl_->config.url, values,
              [](std::string_view v) { return PercentEncode(v, false); });
}

SmsOutcome SmsGateway::Send(std::string_view to, std::string_view text,
                            std::string_view reference) {
  auto started = std::chrono::steady_clock::now();
  SmsOutcome out;
  auto finish = [&]() {
    out.elapsed = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - started);
    return out;
  };
  bool e164 = to.size() >= 9 && to.size() <= 16 && to[0] == '+' &&
              std::all_of(to.begin() + 1, to.end(),
                          [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
  if (!e164) {
    out.kind = DeliveryKind::kPermanentFailure;
    out.error = "the number is not in E.164 form (+ and 8 to 15 digits)";
    return finish();
  }
  if (text.empty() || !IsValidUtf8(text)) {
    out.kind = DeliveryKind::kPermanentFailure;
    out.error = text.empty() ? "the text is empty" : "the text is not valid UTF-8";
    return finish();
  }
  const SmsGatewayConfig& config = impl_->config;
  std::string url = RenderUrl(to, text, reference);
  std::string body = RenderBody(to, text, reference);
  std::string answer;
  char error[CURL_ERROR_SIZE] = {};
  CURL* e = impl_->pool.Checkout();
  curl_easy_setopt(e, CURLOPT_URL, url.c_str());
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, impl_->headers);
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(config.timeout.count()));
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, internal::AppendAnswer);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, &answer);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  if (config.method == "POST") {
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  } else {
    curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
  }
  CURLcode rc = curl_easy_perform(e);
  long status = 0;
  curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, nullptr);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, nullptr);
  curl_easy_setopt(e, CURLOPT_POSTFIELDS, nullptr);
  impl_->pool.Return(e);

  if (rc != CURLE_OK) {
    out.kind = DeliveryKind::kTransientFailure;
    out.error = error[0] ? error : curl_easy_strerror(rc);
    return finish();
  }
  out.http_status = static_cast<int>(status);
  bool success = std::find(config.success_statuses.begin(), config.success_statuses.end(),
                           out.http_status) != config.success_statuses.end();
  if (success) {
    out.kind = DeliveryKind::kAccepted;
    if (!config.message_id_pointer.empty()) {
      auto doc = nlohmann::json::parse(answer, nullptr, false);
      nlohmann::json::json_pointer ptr(config.message_id_pointer);
      if (!doc.is_discarded() && doc.contains(ptr)) {
        const auto& id = doc.at(ptr);
        out.provider_id = id.is_string() ? id.get<std::string>() : id.dump();
      } else {
        out.error = "the answer has no message id at " + config.message_id_pointer;
      }
    }
    return finish();
  }
  bool transient = status == 408 || status == 429 || status >= 500;
  out.kind = transient ? DeliveryKind::kTransientFailure : DeliveryKind::kPermanentFailure;
  out.error = "gateway answered " + std::to_string(status) + ": " + answer.substr(0, 200);
  return finish();
}

// ---------------------------------------------------------------------------
// Delivery receipts
// ---------------------------------------------------------------------------

Result<SmsReceipt> ParseDeliveryReceipt(const SmsReceiptConfig& config, std::string_view body) {
  std::string_view trimmed = TrimAscii(body);
  std::function<std::optional<std::string>(const std::string&)> get;
  nlohmann::json doc;
  std::vector<std::pair<std::string, std::string>> form;
  if (!trimmed.empty() && trimmed.front() == '{') {
    doc = nlohmann::json::parse(trimmed, nullptr, false);
    if (doc.is_discarded()) return InvalidArgument("the receipt is not valid JSON");
    get = [&doc](const std::string& field) -> std::optional<std::string> {
      if (field.empty()) return std::nullopt;
      try {
        nlohmann::json::json_pointer ptr(field[0] == '/' ? field : "/" + field);
        if (!doc.contains(ptr)) return std::nullopt;
        const auto& v = doc.at(ptr);
        if (v.is_null()) return std::nullopt;
        return v.is_string() ? v.get<std::string>() : v.dump();
      } catch (const nlohmann::json::exception&) {
        return std::nullopt;  // a malformed pointer in the configuration finds nothing
      }
    };
  } else {
    size_t pos = 0;
    while (pos <= trimmed.size()) {
      size_t amp = trimmed.find('&', pos);
      if (amp == std::string_view::npos) amp = trimmed.size();
      std::string_view pair = trimmed.substr(pos, amp - pos);
      size_t eq = pair.find('=');
      if (!pair.empty()) {
        form.emplace_back(PercentDecode(pair.substr(0, eq)),
                          eq == std::string_view::npos ? "" : PercentDecode(pair.substr(eq + 1)));
      }
      pos = amp + 1;
    }
    get = [&form](const std::string& field) -> std::optional<std::string> {
      std::string name = !field.empty() && field[0] == '/' ? field.substr(1) : field;
      for (const auto& [k, v] : form) {
        if (k == name) return v;
      }
      return std::nullopt;
    };
  }
  SmsReceipt receipt;
  receipt.reference = get(config.reference_field).value_or("");
  receipt.provider_id = get(config.provider_id_field).value_or("");
  if (receipt.reference.empty() && receipt.provider_id.empty()) {
    return InvalidArgument("the receipt has neither a reference (" + config.reference_field +
                           ") nor an id (" + config.provider_id_field + ")");
  }
  auto status = get(config.status_field);
  if (!status || status->empty())
    return InvalidArgument("the receipt has no status (" + config.status_field + ")");
  receipt.provider_status = *status;
  receipt.reason = get(config.error_field).value_or("");
  std::string lower = AsciiLower(*status);
  auto matches = [&](const std::vector<std::string>& values) {
    return std::any_of(values.begin(), values.end(),
                       [&](const std::string& v) { return AsciiLower(v) == lower; });
  };
  if (matches(config.delivered_values)) {
    receipt.status = SmsReceiptStatus::kDelivered;
  } else if (matches(config.failed_values)) {
    receipt.status = SmsReceiptStatus::kFailed;
    const std::string error(TrimAscii(receipt.reason));
    receipt.number_gone = !error.empty() && std::find(config.number_gone_errors.begin(),
                                                      config.number_gone_errors.end(),
                                                      error) != config.number_gone_errors.end();
  } else {
    receipt.status = SmsReceiptStatus::kPending;
  }
  return receipt;
}

}  // namespace patron::deliver
