// The web application (web/, built by `make` into a directory beside the
// executable) served from ServerConfig::web_root.
//
// - `/` and every other GET path that is not an API, collection or operations
//   path answers index.html: the application routes in the browser (#/...).
// - `/assets/NAME` are Vite's content-hashed files: cached for a year and
//   immutable. A NAME.br or NAME.gz written at build time is sent as it is
//   (Content-Encoding) to a client that accepts it. Files are sent through a
//   content provider, which cpp-httplib does not compress again.
// - Paths are checked character by character (no "..", no dot files, nothing
//   outside [A-Za-z0-9._-/]) and resolved below the root, so no request reads
//   outside it.
// - Every answer carries a strict Content-Security-Policy (scripts, styles and
//   connections from this origin only), nosniff and a Referrer-Policy.
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "server/server_internal.h"

namespace patron::server {
namespace {

namespace fs = std::filesystem;

constexpr const char* kContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

std::string_view ContentTypeFor(std::string_view path) {
  auto ends = [&](std::string_view suffix) {
    return path.size() >= suffix.size() && path.substr(path.size() - suffix.size()) == suffix;
  };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".js") || ends(".mjs")) return "text/javascript; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".svg")) return "image/svg+xml";
  if (ends(".png")) return "image/png";
  if (ends(".ico")) return "image/x-icon";
  if (ends(".woff2")) return "font/woff2";
  if (ends(".json") || ends(".map")) return "application/json";
  if (ends(".txt")) return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

// A relative path made only of safe segments; false for anything else.
bool SafeRelativePath(std::string_view path) {
  if (path.empty() || path.size() > 200) return false;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view segment = path.substr(start, end - start);
    if (segment.empty() || segment.front() == '.') return false;  // "", ".", "..", dot files
    for (char c : segment) {
      bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                c == '-';
      if (!ok) return false;
    }
    start = end + 1;
  }
  return true;
}

bool ReadWholeFile(const fs::path& path, std::string* out) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return false;
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream buffer;
  buffer << in.rdbuf();
  *out = std::move(buffer).str();
  return true;
}

// Whether Accept-Encoding lists `coding` (without q=0).
bool Accepts(const httplib::Request& req, std::string_view coding) {
  std::string header = AsciiLower(req.get_header_value("Accept-Encoding"));
  size_t pos = 0;
  while (pos < header.size()) {
    size_t end = header.find(',', pos);
    if (end == std::string::npos) end = header.size();
    std::string_view item = TrimAscii(std::string_view(header).substr(pos, end - pos));
    std::string_view name = TrimAscii(item.substr(0, item.find(';')));
    if (name == coding) {
      size_t q = item.find("q=");
      return q == std::string_view::npos || std::strtod(std::string(item.substr(q + 2)).c_str(), nullptr) > 0;
    }
    pos = end + 1;
  }
  return false;
}

void SecurityHeaders(httplib::Response& res) {
  res.set_header("Content-Security-Policy", kContentSecurityPolicy);
  res.set_header("Referrer-Policy", "same-origin");
  res.set_header("X-Frame-Options", "DENY");
  res.set_header("Cross-Origin-Opener-Policy", "same-origin");
}

void SetCacheControl(httplib::Response& res, const char* value) {
  res.headers.erase("Cache-Control");  // the server's default is no-store
  res.set_header("Cache-Control", value);
}

// Sends `file` (below the root), or its precompressed twin when the client
// takes it. false when the file does not exist.
bool SendFile(const httplib::Request& req, httplib::Response& res, const fs::path& file, bool immutable) {
  std::string content_type(ContentTypeFor(file.filename().string()));
  auto body = std::make_shared<std::string>();
  std::string encoding;
  if (Accepts(req, "br") && ReadWholeFile(fs::path(file.string() + ".br"), body.get())) {
    encoding = "br";
  } else if (Accepts(req, "gzip") && ReadWholeFile(fs::path(file.string() + ".gz"), body.get())) {
    encoding = "gzip";
  } else if (!ReadWholeFile(file, body.get())) {
    return false;
  }
  res.status = 200;
  SecurityHeaders(res);
  SetCacheControl(res, immutable ? "public, max-age=31536000, immutable" : "no-cache");
  res.set_header("Vary", "Accept-Encoding");
  // Sent through a content provider even when not precompressed: cpp-httplib
  // would otherwise compress on the fly for any client that names gzip, even
  // with q=0, and the build already compressed what is worth compressing.
  if (!encoding.empty()) res.set_header("Content-Encoding", encoding);
  const size_t size = body->size();
  if (size == 0) {
    res.set_content("", content_type);
    return true;
  }
  res.set_content_provider(size, content_type, [body](size_t offset, size_t length, httplib::DataSink& sink) {
    sink.write(body->data() + offset, length);
    return true;
  });
  return true;
}

// Paths that belong to the API, collection and operations routes: an unknown
// one of these is a JSON 404, never the application's page.
bool IsServerPath(std::string_view path) {
  for (std::string_view prefix : {"/api/", "/v1/"}) {
    if (path.substr(0, prefix.size()) == prefix) return true;
  }
  return path == "/api" || path == "/v1";
}

}  // namespace

void AddWebRoutes(httplib::Server& http, const std::string& web_root) {
  if (web_root.empty()) return;
  const fs::path root = fs::path(web_root);
  http.Get(R"(/assets/(.+))", [root](const httplib::Request& req, httplib::Response& res) {
    const std::string name = req.matches[1];
    if (!SafeRelativePath(name) || !SendFile(req, res, root / "assets" / name, true)) {
      SendError(res, NotFound("no asset '" + std::string(Utf8Prefix(name, 100)) + "'"));
    }
  });
  http.Get(R"(/(.*))", [root](const httplib::Request& req, httplib::Response& res) {
    if (IsServerPath(req.path)) {
      SendError(res, NotFound("no route GET " + std::string(Utf8Prefix(req.path, 200))));
      return;
    }
    const std::string name = req.matches[1];
    // A file at the top of the build (favicon.svg, robots.txt); anything else
    // is a page of the application.
    if (!name.empty() && name.find('/') == std::string::npos && SafeRelativePath(name) && name != "index.html" &&
        SendFile(req, res, root / name, false)) {
      return;
    }
    if (!SendFile(req, res, root / "index.html", false)) {
      SendError(res, Unavailable("the web application is not built: no index.html in web_root '" +
                                 root.string() + "' (run make)"));
    }
  });
}

}  // namespace patron::server
