// The REST API (/api/v1/*): every route, with the permission it requires, in one table.
#include "server/server_internal.h"

namespace patron::server {

std::vector<RouteSpec> ApiRoutes() { return {}; }

}  // namespace patron::server
