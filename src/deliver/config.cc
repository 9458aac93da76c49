// Configuration as operators write it: an SMTP URL and a JSON gateway description.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <initializer_list>
#include <nlohmann/json.hpp>

#include "deliver/deliver.h"

namespace patron::deliver {

namespace {

std::string UrlDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

bool ParseNumber(std::string_view s, double* out) {
  std::string copy(s);
  char* end = nullptr;
  *out = std::strtod(copy.c_str(), &end);
  return !copy.empty() && end == copy.c_str() + copy.size() && *out >= 0;
}

}  // namespace

Result<SmtpServerConfig> ParseSmtpUrl(std::string_view url) {
  SmtpServerConfig c;
  std::string_view rest;
  if (url.substr(0, 7) == "smtp://") {
    rest = url.substr(7);
  } else if (url.substr(0, 8) == "smtps://") {
    rest = url.substr(8);
    c.tls = SmtpTls::kImplicit;
    c.port = 465;
  } else {
    return InvalidArgument("the SMTP URL must start with smtp:// or smtps://");
  }
  size_t query_at = rest.find('?');
  std::string_view query =
      query_at == std::string_view::npos ? std::string_view() : rest.substr(query_at + 1);
  std::string_view authority = rest.substr(0, query_at);
  if (!authority.empty() && authority.back() == '/') authority.remove_suffix(1);
  if (authority.find('/') != std::string_view::npos)
    return InvalidArgument("the SMTP URL has a path; none is used");
  size_t at = authority.rfind('@');
  if (at != std::string_view::npos) {
    std::string_view userinfo = authority.substr(0, at);
    size_t colon = userinfo.find(':');
    c.username = UrlDecode(userinfo.substr(0, colon));
    if (colon != std::string_view::npos) c.password = UrlDecode(userinfo.substr(colon + 1));
    authority = authority.substr(at + 1);
  }
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos)
      return InvalidArgument("the SMTP URL's IPv6 host has no ']'");
    c.host = std::string(authority.substr(1, close - 1));
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':')
        return InvalidArgument("the SMTP URL has text after the host");
      port = authority.substr(close + 2);
    }
  } else {
    size_t colon = authority.find(':');
    c.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (c.host.empty()) return InvalidArgument("the SMTP URL has no host");
  if (!port.empty()) {
    int p = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
    if (ec != std::errc() || end != port.data() + port.size() || p <= 0 || p > 65535) {
      return InvalidArgument("the SMTP URL's port '" + std::string(port) + "' is not 1 to 65535");
    }
    c.port = p;
  }
  size_t pos = 0;
  while (pos < query.size()) {
    size_t amp = query.find('&', pos);
    if (amp == std::string_view::npos) amp = query.size();
    std::string_view pair = query.substr(pos, amp - pos);
    pos = amp + 1;
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    std::string key(pair.substr(0, eq));
    std::string value = eq == std::string_view::npos ? "" : UrlDecode(pair.substr(eq + 1));
    double number = 0;
    auto need_number = [&]() -> Status {
      if (!ParseNumber(value, &number)) {
        return InvalidArgument("the SMTP URL's " + key + "='" + value +
                               "' is not a non-negative number");
      }
      return Status::Ok();
    };
    if (key == "tls") {
      if (value == "none")
        c.tls = SmtpTls::kNone;
      else if (value == "starttls")
        c.tls = SmtpTls::kStartTlsIfOffered;
      else if (value == "required")
        c.tls = SmtpTls::kStartTlsRequired;
      else if (value == "implicit")
        c.tls = SmtpTls::kImplicit;
      else
        return InvalidArgument("the SMTP URL's tls='" + value +
                               "' is not none, starttls, required or implicit");
    } else if (key == "rate") {
      RETURN_IF_ERROR(need_number());
      c.max_messages_per_second = number;
    } else if (key == "burst") {
      RETURN_IF_ERROR(need_number());
      c.rate_burst = static_cast<int>(number);
    } else if (key == "connections") {
      RETURN_IF_ERROR(need_number());
      c.max_connections = static_cast<int>(number);
    } else if (key == "timeout") {
      RETURN_IF_ERROR(need_number());
      c.timeout = std::chrono::milliseconds(static_cast<int64_t>(number * 1000));
    } else if (key == "helo") {
      c.helo_name = value;
    } else if (key == "verify") {
      if (value != "0" && value != "1")
        return InvalidArgument("the SMTP URL's verify must be 0 or 1");
      c.verify_peer = value == "1";
    } else if (key == "ca") {
      c.ca_file = value;
    } else {
      return InvalidArgument("the SMTP URL has the unknown parameter '" + key +
                             "' (known: tls, rate, burst, connections, timeout, helo, verify, ca)");
    }
  }
  return c;
}

Result<SmsGatewayDescription> ParseSmsGatewayJson(std::string_view text) {
  auto doc = nlohmann::json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object())
    return InvalidArgument("the SMS gateway description is not a JSON object");
  SmsGatewayDescription d;
  SmsGatewayConfig& g = d.gateway;
  auto string_field = [](const nlohmann::json& obj, const char* name, std::string* out,
                         std::string_view where) -> Status {
    if (!obj.contains(name)) return Status::Ok();
    if (!obj[name].is_string())
      return InvalidArgument(std::string(where) + name + " must be a string");
    *out = obj[name].get<std::string>();
    return Status::Ok();
  };
  auto string_list = [](const nlohmann::json& obj, const char* name, std::vector<std::string>* out,
                        std::string_view where) -> Status {
    if (!obj.contains(name)) return Status::Ok();
    const auto& v = obj[name];
    if (!v.is_array() ||
        !std::all_of(v.begin(), v.end(), [](const auto& e) { return e.is_string(); })) {
      return InvalidArgument(std::string(where) + name + " must be an array of strings");
    }
    out->clear();
    for (const auto& e : v) out->push_back(e.get<std::string>());
    return Status::Ok();
  };
  // A misspelt field would otherwise be ignored silently: refused by name.
  auto refuse_unknown = [](const nlohmann::json& obj, std::initializer_list<std::string_view> known,
                           std::string_view where) -> Status {
    for (const auto& [key, value] : obj.items()) {
      if (std::find(known.begin(), known.end(), key) == known.end()) {
        return InvalidArgument("the SMS gateway description has the unknown field '" +
                               std::string(where) + key + "'");
      }
    }
    return Status::Ok();
  };
  RETURN_IF_ERROR(refuse_unknown(
      doc,
      {"url", "method", "body_format", "body_template", "sender", "headers", "success_statuses",
       "message_id_pointer", "timeout_seconds", "max_connections", "receipt"},
      ""));
  if (!doc.contains("url")) return InvalidArgument("the SMS gateway description has no url");
  RETURN_IF_ERROR(string_field(doc, "url", &g.url, ""));
  RETURN_IF_ERROR(string_field(doc, "method", &g.method, ""));
  std::string format = "json";
  RETURN_IF_ERROR(string_field(doc, "body_format", &format, ""));
  if (format == "json")
    g.body_format = SmsBodyFormat::kJson;
  else if (format == "form")
    g.body_format = SmsBodyFormat::kForm;
  else
    return InvalidArgument("body_format must be json or form, not '" + format + "'");
  RETURN_IF_ERROR(string_field(doc, "body_template", &g.body_template, ""));
  RETURN_IF_ERROR(string_field(doc, "sender", &g.sender, ""));
  RETURN_IF_ERROR(string_field(doc, "message_id_pointer", &g.message_id_pointer, ""));
  if (doc.contains("headers")) {
    if (!doc["headers"].is_object()) return InvalidArgument("headers must be an object of strings");
    for (const auto& [name, value] : doc["headers"].items()) {
      if (!value.is_string()) return InvalidArgument("headers." + name + " must be a string");
      g.headers.emplace_back(name, value.get<std::string>());
    }
  }
  if (doc.contains("success_statuses")) {
    const auto& v = doc["success_statuses"];
    if (!v.is_array() || v.empty() ||
        !std::all_of(v.begin(), v.end(), [](const auto& e) { return e.is_number_integer(); })) {
      return InvalidArgument("success_statuses must be a non-empty array of HTTP statuses");
    }
    g.success_statuses.clear();
    for (const auto& e : v) g.success_statuses.push_back(e.get<int>());
  }
  if (doc.contains("timeout_seconds")) {
    if (!doc["timeout_seconds"].is_number() || doc["timeout_seconds"].get<double>() <= 0) {
      return InvalidArgument("timeout_seconds must be a positive number");
    }
    g.timeout = std::chrono::milliseconds(
        static_cast<int64_t>(doc["timeout_seconds"].get<double>() * 1000));
  }
  if (doc.contains("max_connections")) {
    if (!doc["max_connections"].is_number_integer() || doc["max_connections"].get<int>() < 1) {
      return InvalidArgument("max_connections must be a positive integer");
    }
    g.max_connections = doc["max_connections"].get<int>();
  }
  if (doc.contains("receipt")) {
    const auto& r = doc["receipt"];
    if (!r.is_object()) return InvalidArgument("receipt must be an object");
    RETURN_IF_ERROR(
        refuse_unknown(r,
                       {"reference_field", "provider_id_field", "status_field", "error_field",
                        "delivered_values", "failed_values", "number_gone_errors"},
                       "receipt."));
    RETURN_IF_ERROR(string_field(r, "reference_field", &d.receipt.reference_field, "receipt."));
    RETURN_IF_ERROR(string_field(r, "provider_id_field", &d.receipt.provider_id_field, "receipt."));
    RETURN_IF_ERROR(string_field(r, "status_field", &d.receipt.status_field, "receipt."));
    RETURN_IF_ERROR(string_field(r, "error_field", &d.receipt.error_field, "receipt."));
    RETURN_IF_ERROR(string_list(r, "delivered_values", &d.receipt.delivered_values, "receipt."));
    RETURN_IF_ERROR(string_list(r, "failed_values", &d.receipt.failed_values, "receipt."));
    RETURN_IF_ERROR(
        string_list(r, "number_gone_errors", &d.receipt.number_gone_errors, "receipt."));
  }
  // The rest (URL scheme, method, placeholders, pointer) is checked by SmsGateway::Create.
  return d;
}

}  // namespace patron::deliver
