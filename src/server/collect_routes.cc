// The Segment Tracking API routes: /v1/identify|track|page|screen|group|alias|batch,
// /v1/import, the short browser paths (/v1/t, /v1/i, ...) and the settings
// analytics.js loads. Answers as Segment's API does: 200 {"success":true} for
// every request whose body is JSON within the limits (bad single messages are
// kept as rejects), 400 for bad JSON or oversize, 401 for an unknown write key,
// 429 with Retry-After while the writer is saturated.
#include <sodium.h>

#include <nlohmann/json.hpp>

#include "collect/collect.h"
#include "server/server_internal.h"

namespace patron::server {
namespace {

void AllowCrossOrigin(httplib::Response& res) {
  // Browser SDKs post from the company's own site.
  res.set_header("Access-Control-Allow-Origin", "*");
  res.set_header("Access-Control-Allow-Headers", "Content-Type, Authorization, Content-Encoding");
  res.set_header("Access-Control-Allow-Methods", "POST, GET, OPTIONS");
}

void SendCollectError(httplib::Response& res, const Status& status) {
  nlohmann::json body = {
      {"success", false},
      {"error", {{"code", ErrorCode(status.code())}, {"message", status.message()}}}};
  int http = status.code() == StatusCode::kResourceExhausted ? 400 : HttpStatus(status.code());
  SendJson(res, http, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

// The write key from "Authorization: Basic base64(key:)" (the colon is optional).
std::string WriteKeyFromHeader(const httplib::Request& req) {
  std::string auth = req.get_header_value("Authorization");
  if (auth.size() < 6 || AsciiLower(auth.substr(0, 6)) != "basic ") return {};
  std::string_view encoded = TrimAscii(std::string_view(auth).substr(6));
  std::string decoded(encoded.size(), '\0');
  size_t length = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(decoded.data()), decoded.size(), encoded.data(),
                        encoded.size(), nullptr, &length, nullptr, sodium_base64_VARIANT_ORIGINAL) != 0) {
    return {};
  }
  decoded.resize(length);
  size_t colon = decoded.find(':');
  if (colon != std::string::npos) decoded.resize(colon);
  return decoded;
}

void Collect(Context& ctx, collect::Endpoint endpoint) {
  AllowCrossOrigin(ctx.res);
  collect::Limits limits;
  std::string body;
  const bool complete = ReadBody(*ctx.reader, limits.max_batch_bytes, &body);
  ctx.body_read = complete;
  if (!complete) {
    ctx.bytes_in = body.size();
    ctx.res.set_header("Connection", "close");  // the rest of the body was not read
    SendCollectError(ctx.res, Status(StatusCode::kResourceExhausted,
                                     "request body is larger than " + std::to_string(limits.max_batch_bytes) +
                                         " bytes (after decompression); send smaller batches"));
    return;
  }
  ctx.bytes_in = body.size();
  auto parsed = collect::ParseRequest(endpoint, body, ctx.state.clock.Now(), limits);
  if (!parsed.ok()) {
    SendCollectError(ctx.res, parsed.status());
    return;
  }
  std::string key = WriteKeyFromHeader(ctx.req);
  if (key.empty()) key = parsed->write_key;
  if (key.empty()) {
    SendCollectError(ctx.res, Status(StatusCode::kUnauthenticated,
                                     "a write key is required: HTTP Basic user, or \"writeKey\" in the body"));
    return;
  }
  auto source = ResolveWriteKey(ctx.state, key);
  if (!source.ok()) {
    SendCollectError(ctx.res, source.status());
    return;
  }
  const int64_t n = static_cast<int64_t>(parsed->messages.size());
  Status s = ctx.state.collector->Submit(*source, std::move(*parsed));
  if (s.code() == StatusCode::kResourceExhausted) {
    ctx.res.set_header("Retry-After", "1");
    nlohmann::json err = {{"success", false}, {"error", {{"code", "resource_exhausted"}, {"message", s.message()}}}};
    SendJson(ctx.res, 429, err.dump());
    return;
  }
  if (!s.ok()) {
    // Nothing of this request is stored: the client retries (SDKs do on 5xx).
    ctx.res.set_header("Retry-After", "1");
    SendCollectError(ctx.res, Unavailable(s.message()));
    return;
  }
  ctx.events = n;
  SendJson(ctx.res, 200, R"({"success":true})");
}

void Settings(Context& ctx) {
  AllowCrossOrigin(ctx.res);
  std::string key = ctx.req.matches.size() > 1 ? std::string(ctx.req.matches[1]) : std::string();
  auto source = ResolveWriteKey(ctx.state, key);
  if (!source.ok()) {
    SendError(ctx.res, Status(StatusCode::kNotFound, "unknown write key"));
    return;
  }
  std::string host = ctx.state.config.settings_api_host;
  if (host.empty()) host = ctx.req.get_header_value("Host");
  nlohmann::json settings = {
      {"integrations", {{"Segment.io", {{"apiKey", key}, {"apiHost", host + "/v1"}, {"protocol", "http"}}}}},
      {"plan",
       {{"track", {{"__default", {{"enabled", true}, {"integrations", nlohmann::json::object()}}}}},
        {"identify", {{"__default", {{"enabled", true}}}}},
        {"group", {{"__default", {{"enabled", true}}}}}}},
      {"edgeFunction", nlohmann::json::object()},
      {"analyticsNextEnabled", true},
      {"middlewareSettings", nlohmann::json::object()},
      {"enabledMiddleware", nlohmann::json::object()},
      {"metrics", {{"sampleRate", 0}}},
      {"legacyVideoPluginsEnabled", false},
      {"remotePlugins", nlohmann::json::array()}};
  SendJson(ctx.res, 200, settings.dump());
}

}  // namespace

std::vector<RouteSpec> CollectionRoutes() {
  std::vector<RouteSpec> routes;
  struct Path {
    const char* path;
    collect::Endpoint endpoint;
    const char* summary;
  };
  static const Path kPaths[] = {
      {"/v1/identify", collect::Endpoint::kIdentify, "Segment identify: who the user is, with traits."},
      {"/v1/track", collect::Endpoint::kTrack, "Segment track: an action the user took."},
      {"/v1/page", collect::Endpoint::kPage, "Segment page: a web page view."},
      {"/v1/screen", collect::Endpoint::kScreen, "Segment screen: an app screen view."},
      {"/v1/group", collect::Endpoint::kGroup, "Segment group: the user's company (B2B account)."},
      {"/v1/alias", collect::Endpoint::kAlias, "Segment alias: two ids of one user."},
      {"/v1/batch", collect::Endpoint::kBatch, "Segment batch: up to 2500 messages, 500 KB."},
      {"/v1/import", collect::Endpoint::kBatch, "Segment import (historical batch), as /v1/batch."},
      {"/v1/i", collect::Endpoint::kIdentify, "identify, short browser path (text/plain body)."},
      {"/v1/t", collect::Endpoint::kTrack, "track, short browser path."},
      {"/v1/p", collect::Endpoint::kPage, "page, short browser path."},
      {"/v1/s", collect::Endpoint::kScreen, "screen, short browser path."},
      {"/v1/g", collect::Endpoint::kGroup, "group, short browser path."},
      {"/v1/a", collect::Endpoint::kAlias, "alias, short browser path."},
      {"/v1/b", collect::Endpoint::kBatch, "batch, short browser path."},
  };
  for (const Path& p : kPaths) {
    collect::Endpoint e = p.endpoint;
    routes.push_back({"POST", p.path, "collect", p.summary, [e](Context& ctx) { Collect(ctx, e); }, true});
  }
  routes.push_back({"GET", "/v1/projects/{writeKey}/settings", "collect",
                    "The settings analytics.js loads for a write key.", Settings});
  return routes;
}

}  // namespace patron::server
