// patron serve's settings: defaults < config file < environment < flags.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include "server/server.h"

namespace patron::server {
namespace {

std::string WriteConfig(const std::string& text) {
  auto path = std::filesystem::temp_directory_path() / ("patron-config-" + std::to_string(::getpid()) + ".conf");
  std::ofstream(path) << text;
  return path.string();
}

TEST(ServerConfig, FileThenEnvironmentThenFlags) {
  ServerConfig c;
  std::string path = WriteConfig(
      "# Patron\nlisten = 0.0.0.0:9000\ndb = \"/var/lib/patron/p.db\"\nthreads = 16\nmax_body = 2M\n"
      "synchronous_full = yes\naccess_log = off\n");
  ASSERT_TRUE(LoadConfigFile(path, &c).ok());
  EXPECT_EQ(c.host, "0.0.0.0");
  EXPECT_EQ(c.port, 9000);
  EXPECT_EQ(c.db_path, "/var/lib/patron/p.db");
  EXPECT_EQ(c.threads, 16);
  EXPECT_EQ(c.max_body_bytes, 2u << 20);
  EXPECT_TRUE(c.synchronous_full);
  EXPECT_EQ(c.access_log, "off");

  std::map<std::string, std::string> env = {{"PATRON_LISTEN", ":9100"}, {"PATRON_DB", "/tmp/env.db"}};
  ASSERT_TRUE(ApplyEnvironment(&c, [&](const char* name) -> const char* {
                auto it = env.find(name);
                return it == env.end() ? nullptr : it->second.c_str();
              }).ok());
  EXPECT_EQ(c.host, "0.0.0.0");  // ":PORT" keeps the host
  EXPECT_EQ(c.port, 9100);
  EXPECT_EQ(c.db_path, "/tmp/env.db");

  ASSERT_TRUE(ApplySetting(&c, "listen", "127.0.0.1:0").ok());  // a flag
  EXPECT_EQ(c.host, "127.0.0.1");
  EXPECT_EQ(c.port, 0);
  std::filesystem::remove(path);
}

TEST(ServerConfig, BadLinesAreNamed) {
  ServerConfig c;
  std::string path = WriteConfig("listen = 127.0.0.1:8080\nthreads = many\n");
  Status s = LoadConfigFile(path, &c);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find(":2: threads: 'many' is not a whole number"), std::string::npos) << s.message();

  std::string unknown = WriteConfig("colour = blue\n");
  s = LoadConfigFile(unknown, &c);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find(":1: unknown setting 'colour'"), std::string::npos) << s.message();

  std::string no_equals = WriteConfig("listen 8080\n");
  s = LoadConfigFile(no_equals, &c);
  EXPECT_NE(s.message().find(":1: expected 'key = value'"), std::string::npos) << s.message();

  EXPECT_FALSE(ApplySetting(&c, "listen", "host:70000").ok());
  EXPECT_FALSE(LoadConfigFile("/nonexistent/patron.conf", &c).ok());
  ServerConfig e;
  Status env = ApplyEnvironment(&e, [](const char* name) -> const char* {
    return std::string(name) == "PATRON_THREADS" ? "1" : nullptr;
  });
  ASSERT_FALSE(env.ok());
  EXPECT_NE(env.message().find("PATRON_THREADS: threads: 1 is outside 2..4096"), std::string::npos) << env.message();
  for (const auto& p : {path, unknown, no_equals}) std::filesystem::remove(p);
}

TEST(ServerConfig, WebRootAndSecureCookies) {
  ServerConfig c;
  EXPECT_EQ(c.web_root, "");
  EXPECT_EQ(c.secure_cookies, "auto");
  ASSERT_TRUE(ApplySetting(&c, "web_root", "/usr/share/patron/web").ok());
  EXPECT_EQ(c.web_root, "/usr/share/patron/web");
  ASSERT_TRUE(ApplySetting(&c, "secure_cookies", "yes").ok());
  EXPECT_EQ(c.secure_cookies, "on");
  ASSERT_TRUE(ApplySetting(&c, "secure_cookies", "Off").ok());
  EXPECT_EQ(c.secure_cookies, "off");
  Status bad = ApplySetting(&c, "secure_cookies", "sometimes");
  EXPECT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("on, off or auto"), std::string::npos) << bad.message();
  std::map<std::string, std::string> env = {{"PATRON_WEB_ROOT", "/srv/web"}, {"PATRON_SECURE_COOKIES", "on"}};
  ASSERT_TRUE(ApplyEnvironment(&c, [&](const char* name) -> const char* {
                auto it = env.find(name);
                return it == env.end() ? nullptr : it->second.c_str();
              }).ok());
  EXPECT_EQ(c.web_root, "/srv/web");
  EXPECT_EQ(c.secure_cookies, "on");
}

TEST(ServerConfig, AutomaticIdentityRuns) {
  ServerConfig c;
  EXPECT_EQ(c.identity_interval_seconds, 60);
  EXPECT_EQ(c.identity_first_run_limit, 100000);
  ASSERT_TRUE(ApplySetting(&c, "identity_interval", "0").ok());  // off
  EXPECT_EQ(c.identity_interval_seconds, 0);
  ASSERT_TRUE(ApplySetting(&c, "identity_first_run_limit", "2500000").ok());
  EXPECT_EQ(c.identity_first_run_limit, 2500000);
  Status negative = ApplySetting(&c, "identity_interval", "-5");
  ASSERT_FALSE(negative.ok());
  EXPECT_NE(negative.message().find("identity_interval"), std::string::npos) << negative.message();
  EXPECT_FALSE(ApplySetting(&c, "identity_interval", "a minute").ok());
  EXPECT_EQ(c.identity_interval_seconds, 0);  // a refused value changes nothing
  ASSERT_TRUE(ApplyEnvironment(&c, [](const char* name) -> const char* {
                return std::string(name) == "PATRON_IDENTITY_INTERVAL" ? "15" : nullptr;
              }).ok());
  EXPECT_EQ(c.identity_interval_seconds, 15);
}

}  // namespace
}  // namespace patron::server
