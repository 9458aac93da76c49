// Authentication and authorisation of requests. (Interim: replaced by the
// access subsystem's keys, sessions and role table when it lands.)
#include "server/server_internal.h"

namespace patron::server {

bool Authorize(Context& ctx, const std::string& permission) {
  if (permission.empty() || permission == "collect") return true;
  SendError(ctx.res, Status(StatusCode::kUnauthenticated, "authentication required"));
  return false;
}

Result<std::string> ResolveWriteKey(ServerState&, std::string_view write_key) {
  if (write_key.empty()) return Status(StatusCode::kUnauthenticated, "unknown write key");
  return std::string("web");
}

}  // namespace patron::server

namespace patron::server {

void AuditRead(Context&, std::string_view, std::string_view, std::string_view, int64_t, const std::string&) {}
Status AuditChange(Context&, Database&, std::string_view, std::string_view, std::string_view, int64_t,
                   const std::string&) {
  return Status::Ok();
}

}  // namespace patron::server
