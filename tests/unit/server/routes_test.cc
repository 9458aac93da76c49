// The route table: every route declares a permission the access layer knows,
// paths are unique per method, and openapi.json has no details for routes that
// do not exist.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <set>

#include "access/access.h"
#include "server/server_internal.h"

namespace patron::server {
namespace {

std::vector<RouteSpec> AllRoutes() {
  std::vector<RouteSpec> routes = ApiRoutes();
  for (auto& r : CollectionRoutes()) routes.push_back(r);
  for (auto& r : CampaignRoutes()) routes.push_back(r);
  for (auto& r : JourneyRoutes()) routes.push_back(r);
  for (auto& r : ReportRoutes()) routes.push_back(r);
  for (auto& r : IdentityRoutes()) routes.push_back(r);
  for (auto& r : SettingsRoutes()) routes.push_back(r);
  for (auto& r : ImportRoutes()) routes.push_back(r);
  return routes;
}

TEST(Routes, EveryRouteDeclaresAKnownPermission) {
  std::set<std::string> known = {"", "collect", "signed_in"};
  for (access::Permission p : access::kAllPermissions) known.insert(std::string(access::PermissionName(p)));
  for (const RouteSpec& r : AllRoutes()) {
    EXPECT_TRUE(known.count(r.permission)) << r.method << " " << r.path << ": '" << r.permission << "'";
    EXPECT_FALSE(r.summary.empty()) << r.method << " " << r.path;
    if (r.path.rfind("/api/v1/", 0) == 0 && r.path != "/api/v1/sessions") {
      EXPECT_FALSE(r.permission.empty()) << r.method << " " << r.path << " is public";
    }
  }
}

TEST(Routes, EachMethodAndPathOnce) {
  std::set<std::string> seen;
  for (const RouteSpec& r : AllRoutes()) {
    EXPECT_TRUE(seen.insert(r.method + " " + r.path).second) << r.method << " " << r.path;
  }
}

TEST(Routes, OpenApiDescribesEveryRouteAndNothingElse) {
  auto routes = AllRoutes();
  EXPECT_TRUE(UndocumentedDetails(routes).empty()) << UndocumentedDetails(routes).front();
  auto doc = nlohmann::json::parse(BuildOpenApi(routes));
  for (const RouteSpec& r : routes) {
    std::string method = AsciiLower(r.method);
    ASSERT_TRUE(doc["paths"].contains(r.path)) << r.path;
    ASSERT_TRUE(doc["paths"][r.path].contains(method)) << r.method << " " << r.path;
    const auto& op = doc["paths"][r.path][method];
    EXPECT_EQ(op["summary"], r.summary);
    EXPECT_EQ(op["x-permission"], r.permission.empty() ? "public" : r.permission);
    if (r.path.find('{') != std::string::npos) {
      EXPECT_EQ(op["parameters"][0]["in"], "path") << r.path;
    }
  }
  // Bodies the API reads are described.
  EXPECT_TRUE(doc["paths"]["/v1/batch"]["post"].contains("requestBody"));
  EXPECT_TRUE(doc["paths"]["/api/v1/customers/{id}"]["patch"].contains("requestBody"));
}

}  // namespace
}  // namespace patron::server
