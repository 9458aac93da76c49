// The OpenAPI 3 document and the docs page, generated from the route table so
// that every route is described: paths, methods, summaries and permissions come
// from the routes; request and response shapes from src/server/openapi.json.
#include <nlohmann/json.hpp>

#include "server/server_internal.h"

namespace patron::embedded {
std::string_view OpenApiJson();  // generated from src/server/openapi.json
}

namespace patron::server {

std::string_view OpenApiDocument() { return embedded::OpenApiJson(); }

namespace {

std::string HtmlEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace

std::string BuildOpenApi(const std::vector<RouteSpec>& routes) {
  using nlohmann::ordered_json;
  ordered_json doc = ordered_json::parse(OpenApiDocument());
  ordered_json details = doc.contains("x-operations") ? doc["x-operations"] : ordered_json::object();
  doc.erase("x-operations");
  doc["paths"] = ordered_json::object();
  for (const RouteSpec& r : routes) {
    ordered_json op = {{"summary", r.summary},
                       {"x-permission", r.permission.empty() ? "public" : r.permission}};
    if (r.permission == "collect") {
      op["security"] = ordered_json::array({{{"writeKey", ordered_json::array()}}});
    } else if (!r.permission.empty()) {
      op["security"] =
          ordered_json::array({{{"apiKey", ordered_json::array()}}, {{"session", ordered_json::array()}}});
    } else {
      op["security"] = ordered_json::array();
    }
    ordered_json parameters = ordered_json::array();
    for (size_t open = r.path.find('{'); open != std::string::npos; open = r.path.find('{', open + 1)) {
      std::string name = r.path.substr(open + 1, r.path.find('}', open) - open - 1);
      parameters.push_back(
          {{"name", name}, {"in", "path"}, {"required", true}, {"schema", {{"type", "string"}}}});
    }
    std::string key = r.method + " " + r.path;
    if (details.contains(key)) {
      for (auto& [field, value] : details[key].items()) {
        if (field == "parameters") {
          for (auto& p : value) parameters.push_back(p);
        } else {
          op[field] = value;
        }
      }
    }
    if (!parameters.empty()) op["parameters"] = parameters;
    if (!op.contains("responses")) op["responses"] = {{"200", {{"description", "OK"}}}};
    op["responses"]["default"] = {
        {"description", "An error: 400 bad input, 401 who are you, 403 not allowed, 404, 429 slow down, 5xx"},
        {"content", {{"application/json", {{"schema", {{"$ref", "#/components/schemas/Error"}}}}}}}};
    std::string method = AsciiLower(r.method);
    doc["paths"][r.path][method] = op;
  }
  return doc.dump(2);
}

std::vector<std::string> UndocumentedDetails(const std::vector<RouteSpec>& routes) {
  auto doc = nlohmann::json::parse(OpenApiDocument());
  std::vector<std::string> stale;
  if (!doc.contains("x-operations")) return stale;
  for (auto& [key, value] : doc["x-operations"].items()) {
    (void)value;
    bool found = false;
    for (const RouteSpec& r : routes) found = found || key == r.method + " " + r.path;
    if (!found) stale.push_back(key);
  }
  return stale;
}

std::string DocsPage(const std::vector<RouteSpec>& routes) {
  std::string html =
      "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Patron API</title>"
      "<style>body{font:15px/1.45 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}"
      "table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.35rem;text-align:left}"
      "code{font-size:13px}.m{font-weight:600}</style></head><body><h1>Patron API</h1>"
      "<p>The machine-readable description is <a href=\"/openapi.json\">/openapi.json</a> (OpenAPI 3). "
      "Authenticate with <code>Authorization: Bearer pat_...</code> (an API key) or the session cookie from "
      "<code>POST /api/v1/sessions</code>; collection routes take a Segment write key. Errors are "
      "<code>{\"error\": {\"code\", \"message\", \"field\"}}</code>.</p>"
      "<table><tr><th>Method</th><th>Path</th><th>Permission</th><th>What it does</th></tr>";
  for (const RouteSpec& r : routes) {
    html += "<tr><td class=\"m\">" + HtmlEscape(r.method) + "</td><td><code>" + HtmlEscape(r.path) +
            "</code></td><td>" + HtmlEscape(r.permission.empty() ? "public" : r.permission) + "</td><td>" +
            HtmlEscape(r.summary) + "</td></tr>";
  }
  return html + "</table></body></html>";
}

}  // namespace patron::server
