// ServerConfig from a file, the environment and flags (precedence in that order).
#include <cctype>
#include <fstream>
#include <string>

#include "server/server.h"

namespace patron::server {
namespace {

Result<int64_t> ParseNumber(std::string_view key, std::string_view value, int64_t min, int64_t max) {
  std::string v(TrimAscii(value));
  if (v.empty()) return InvalidArgument(std::string(key) + ": a number is required");
  int64_t n = 0;
  for (char c : v) {
    if (!std::isdigit(static_cast<unsigned char>(c))) {
      return InvalidArgument(std::string(key) + ": '" + v + "' is not a whole number");
    }
    n = n * 10 + (c - '0');
    if (n > max) break;
  }
  if (n < min || n > max) {
    return InvalidArgument(std::string(key) + ": " + v + " is outside " + std::to_string(min) + ".." +
                           std::to_string(max));
  }
  return n;
}

Result<size_t> ParseSize(std::string_view key, std::string_view value) {
  std::string v(TrimAscii(value));
  uint64_t multiplier = 1;
  if (!v.empty()) {
    char unit = static_cast<char>(std::toupper(static_cast<unsigned char>(v.back())));
    if (unit == 'K' || unit == 'M' || unit == 'G') {
      multiplier = unit == 'K' ? 1024 : unit == 'M' ? 1024 * 1024 : 1024ull * 1024 * 1024;
      v.pop_back();
    }
  }
  ASSIGN_OR_RETURN(int64_t n, ParseNumber(key, v, 1, int64_t{1} << 40));
  return static_cast<size_t>(n) * multiplier;
}

Result<bool> ParseFlag(std::string_view key, std::string_view value) {
  std::string v = AsciiLower(TrimAscii(value));
  if (v == "true" || v == "yes" || v == "on" || v == "1") return true;
  if (v == "false" || v == "no" || v == "off" || v == "0") return false;
  return InvalidArgument(std::string(key) + ": '" + v + "' is not true or false");
}

}  // namespace

Status ApplySetting(ServerConfig* c, std::string_view key, std::string_view value) {
  value = TrimAscii(value);
  if (key == "listen") {
    // "HOST:PORT", ":PORT" or "PORT"; [v6]:PORT.
    std::string v(value);
    size_t colon = v.rfind(':');
    std::string host = colon == std::string::npos ? "" : v.substr(0, colon);
    std::string port = colon == std::string::npos ? v : v.substr(colon + 1);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    ASSIGN_OR_RETURN(int64_t p, ParseNumber("listen", port, 0, 65535));
    if (!host.empty()) c->host = host;
    c->port = static_cast<int>(p);
  } else if (key == "port") {
    ASSIGN_OR_RETURN(int64_t p, ParseNumber(key, value, 0, 65535));
    c->port = static_cast<int>(p);
  } else if (key == "host") {
    if (value.empty()) return InvalidArgument("host: an address is required");
    c->host = std::string(value);
  } else if (key == "db") {
    if (value.empty()) return InvalidArgument("db: a path is required");
    c->db_path = std::string(value);
  } else if (key == "threads") {
    ASSIGN_OR_RETURN(int64_t n, ParseNumber(key, value, 2, 4096));
    c->threads = static_cast<int>(n);
  } else if (key == "read_timeout") {
    ASSIGN_OR_RETURN(int64_t n, ParseNumber(key, value, 1, 3600));
    c->read_timeout_seconds = static_cast<int>(n);
  } else if (key == "keep_alive") {
    ASSIGN_OR_RETURN(int64_t n, ParseNumber(key, value, 1, 3600));
    c->keep_alive_seconds = static_cast<int>(n);
  } else if (key == "keep_alive_max_requests") {
    ASSIGN_OR_RETURN(int64_t n, ParseNumber(key, value, 1, 1000000));
    c->keep_alive_max_requests = static_cast<int>(n);
  } else if (key == "max_body") {
    ASSIGN_OR_RETURN(c->max_body_bytes, ParseSize(key, value));
  } else if (key == "max_upload") {
    ASSIGN_OR_RETURN(c->max_upload_bytes, ParseSize(key, value));
  } else if (key == "max_queued_events") {
    ASSIGN_OR_RETURN(int64_t n, ParseNumber(key, value, 1, 100000000));
    c->max_queued_events = static_cast<size_t>(n);
  } else if (key == "synchronous_full") {
    ASSIGN_OR_RETURN(c->synchronous_full, ParseFlag(key, value));
  } else if (key == "access_log") {
    c->access_log = std::string(value);
  } else if (key == "settings_api_host") {
    c->settings_api_host = std::string(value);
  } else if (key == "public_url") {
    if (!value.empty() && value.rfind("http://", 0) != 0 && value.rfind("https://", 0) != 0)
      return InvalidArgument("public_url: an http:// or https:// address, e.g. https://patron.example.com");
    std::string v(value);
    while (!v.empty() && v.back() == '/') v.pop_back();
    c->public_url = v;
  } else if (key == "smtp_url") {
    if (!value.empty() && value.rfind("smtp://", 0) != 0 && value.rfind("smtps://", 0) != 0)
      return InvalidArgument("smtp_url: an smtp:// or smtps:// address");
    c->smtp_url = std::string(value);
  } else if (key == "sms_gateway") {
    c->sms_gateway = std::string(value);
  } else if (key == "web_root") {
    c->web_root = std::string(value);
  } else if (key == "secure_cookies") {
    std::string v = AsciiLower(value);
    if (v == "true" || v == "yes" || v == "1") v = "on";
    if (v == "false" || v == "no" || v == "0") v = "off";
    if (v != "on" && v != "off" && v != "auto") {
      return InvalidArgument("secure_cookies: '" + std::string(value) + "' is not on, off or auto");
    }
    c->secure_cookies = v;
  } else if (key == "scheduler") {
    std::string v = AsciiLower(value);
    if (v == "on" || v == "true" || v == "yes" || v == "1") {
      c->scheduler = true;
    } else if (v == "off" || v == "false" || v == "no" || v == "0") {
      c->scheduler = false;
    } else {
      return InvalidArgument("scheduler: '" + std::string(value) + "' is not on or off");
    }
  } else if (key == "identity_interval") {
    ASSIGN_OR_RETURN(int64_t n, ParseNumber(key, value, 0, 86400));
    c->identity_interval_seconds = static_cast<int>(n);
  } else if (key == "identity_first_run_limit") {
    ASSIGN_OR_RETURN(c->identity_first_run_limit,
                     ParseNumber(key, value, 0, INT64_C(1000000000000)));
  } else {
    return InvalidArgument(
        "unknown setting '" + std::string(key) +
        "' (known: listen, host, port, db, threads, read_timeout, keep_alive, "
        "keep_alive_max_requests, max_body, max_upload, max_queued_events, synchronous_full, "
        "access_log, settings_api_host, public_url, smtp_url, sms_gateway, web_root, "
        "secure_cookies, scheduler, identity_interval, identity_first_run_limit)");
  }
  return Status::Ok();
}

Status LoadConfigFile(const std::string& path, ServerConfig* config) {
  std::ifstream in(path);
  if (!in) return IoError("cannot read config file '" + path + "'");
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    std::string_view l = TrimAscii(line);
    if (l.empty() || l.front() == '#') continue;
    size_t eq = l.find('=');
    if (eq == std::string_view::npos) {
      return InvalidArgument(path + ":" + std::to_string(number) + ": expected 'key = value'");
    }
    std::string key(TrimAscii(l.substr(0, eq)));
    std::string_view value = TrimAscii(l.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
    Status s = ApplySetting(config, key, value);
    if (!s.ok()) return InvalidArgument(path + ":" + std::to_string(number) + ": " + s.message());
  }
  return Status::Ok();
}

Status ApplyEnvironment(ServerConfig* config, const std::function<const char*(const char*)>& getenv) {
  static const std::pair<const char*, const char*> kVariables[] = {
      {"PATRON_LISTEN", "listen"},
      {"PATRON_DB", "db"},
      {"PATRON_THREADS", "threads"},
      {"PATRON_READ_TIMEOUT", "read_timeout"},
      {"PATRON_KEEP_ALIVE", "keep_alive"},
      {"PATRON_MAX_BODY", "max_body"},
      {"PATRON_MAX_UPLOAD", "max_upload"},
      {"PATRON_MAX_QUEUED_EVENTS", "max_queued_events"},
      {"PATRON_SYNCHRONOUS_FULL", "synchronous_full"},
      {"PATRON_ACCESS_LOG", "access_log"},
      {"PATRON_PUBLIC_URL", "public_url"},
      {"PATRON_SMTP_URL", "smtp_url"},
      {"PATRON_SMS_GATEWAY", "sms_gateway"},
      {"PATRON_WEB_ROOT", "web_root"},
      {"PATRON_SECURE_COOKIES", "secure_cookies"},
      {"PATRON_SCHEDULER", "scheduler"},
      {"PATRON_IDENTITY_INTERVAL", "identity_interval"},
  };
  for (const auto& [variable, key] : kVariables) {
    const char* value = getenv(variable);
    if (!value || !*value) continue;
    Status s = ApplySetting(config, key, value);
    if (!s.ok()) return InvalidArgument(std::string(variable) + ": " + s.message());
  }
  return Status::Ok();
}

}  // namespace patron::server
