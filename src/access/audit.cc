// The append-only audit log (0005_access.sql refuses UPDATE and DELETE).
#include <algorithm>
#include <nlohmann/json.hpp>

#include "access/access.h"

namespace patron::access {

Result<int64_t> AppendAudit(Database& db, const Clock& clock, const AuditEntry& entry) {
  if (entry.actor.empty()) return InvalidArgument("an audit entry needs an actor");
  if (entry.action.empty()) return InvalidArgument("an audit entry needs an action");
  if (!entry.detail.empty()) {
    auto parsed = nlohmann::json::parse(entry.detail, nullptr, /*allow_exceptions=*/false);
    if (!parsed.is_object())
      return InvalidArgument("an audit entry's detail must be a JSON object");
  }
  Statement& q = db.Query("access-insert-audit");
  q.Bind(":at", clock.Now().micros)
      .Bind(":actor", entry.actor)
      .Bind(":action", entry.action)
      .BindOptional(":target_type", std::string_view(entry.target_type))
      .BindOptional(":target_id", std::string_view(entry.target_id))
      .BindOptional(":customer_id", entry.customer_id)
      .BindOptional(":origin", std::string_view(entry.origin))
      .BindOptional(":detail", std::string_view(entry.detail));
  RETURN_IF_ERROR(q.Run());
  return db.last_insert_id();
}

Result<std::vector<AuditEntry>> QueryAudit(Database& db, const AuditFilter& filter) {
  Statement& q = db.Query("access-query-audit");
  q.Bind(":before_id", filter.before_id)
      .Bind(":actor", std::string_view(filter.actor))
      .BindOptional(":customer_id", filter.customer_id)
      .Bind(":action", std::string_view(filter.action_prefix))
      .BindOptional(":since",
                    filter.since ? std::optional<int64_t>(filter.since->micros) : std::nullopt)
      .BindOptional(":until",
                    filter.until ? std::optional<int64_t>(filter.until->micros) : std::nullopt)
      .Bind(":limit", static_cast<int64_t>(std::clamp(filter.limit, 1, 10'000)));
  std::vector<AuditEntry> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    AuditEntry e;
    e.id = q.Int(0);
    e.at = Instant{q.Int(1)};
    e.actor = q.String(2);
    e.action = q.String(3);
    e.target_type = q.String(4);
    e.target_id = q.String(5);
    e.customer_id = q.OptionalInt(6);
    e.origin = q.String(7);
    e.detail = q.String(8);
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace patron::access
