// `patron serve --web-root`: the web application's files, as a browser fetches
// them: index.html for every page path, hashed assets cached for good and sent
// precompressed, strict security headers, and nothing outside the root.
#include <gtest/gtest.h>
#include <httplib.h>

#include <filesystem>
#include <fstream>

#include "patron_process.h"

namespace patron {
namespace {

namespace fs = std::filesystem;
using testing::ServeProcess;

void Write(const fs::path& path, const std::string& content) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << content;
}

class ServeWeb : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("patron-web-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    root_ = dir_ / "web";
    Write(root_ / "index.html", "<!doctype html><title>Patron</title><script type=module src=/assets/app-1a2b.js></script>");
    Write(root_ / "assets" / "app-1a2b.js", "console.log('the application')");
    // Not real gzip: the test checks that the precompressed file is sent as it is.
    Write(root_ / "assets" / "app-1a2b.js.gz", "PRECOMPRESSED-GZIP");
    Write(root_ / "assets" / "style-9f.css", "body{margin:0}");
    Write(root_ / "favicon.svg", "<svg xmlns='http://www.w3.org/2000/svg'/>");
    Write(dir_ / "secret.txt", "outside the root");
    server_ = std::make_unique<ServeProcess>((dir_ / "web.db").string(),
                                             std::vector<std::string>{"--web-root", root_.string()});
    ASSERT_GT(server_->port(), 0);
  }
  void TearDown() override {
    server_.reset();
    fs::remove_all(dir_);
  }
  httplib::Client Client() {
    httplib::Client c(server_->url());
    c.set_decompress(false);
    return c;
  }

  fs::path dir_, root_;
  std::unique_ptr<ServeProcess> server_;
};

TEST_F(ServeWeb, EveryPagePathAnswersTheApplicationWithStrictHeaders) {
  auto c = Client();
  for (const char* path : {"/", "/customers/42", "/index.html", "/segments"}) {
    auto r = c.Get(path);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 200) << path;
    EXPECT_NE(r->body.find("<title>Patron</title>"), std::string::npos) << path;
    EXPECT_EQ(r->get_header_value("Content-Type"), "text/html; charset=utf-8");
    EXPECT_EQ(r->get_header_value("Cache-Control"), "no-cache") << "a new build is picked up at once";
    std::string csp = r->get_header_value("Content-Security-Policy");
    EXPECT_NE(csp.find("default-src 'self'"), std::string::npos) << csp;
    EXPECT_NE(csp.find("script-src 'self'"), std::string::npos) << csp;
    EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << csp;
    EXPECT_EQ(r->get_header_value("X-Content-Type-Options"), "nosniff");
    EXPECT_EQ(r->get_header_value("Referrer-Policy"), "same-origin");
  }
  auto icon = c.Get("/favicon.svg");
  ASSERT_TRUE(icon);
  EXPECT_EQ(icon->get_header_value("Content-Type"), "image/svg+xml");
}

TEST_F(ServeWeb, HashedAssetsAreImmutableAndSentPrecompressed) {
  auto c = Client();
  auto gz = c.Get("/assets/app-1a2b.js", {{"Accept-Encoding", "gzip, deflate"}});
  ASSERT_TRUE(gz);
  EXPECT_EQ(gz->status, 200);
  EXPECT_EQ(gz->body, "PRECOMPRESSED-GZIP");
  EXPECT_EQ(gz->get_header_value("Content-Encoding"), "gzip");
  EXPECT_EQ(gz->get_header_value("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(gz->get_header_value("Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(gz->get_header_value("Vary"), "Accept-Encoding");
  auto plain = c.Get("/assets/app-1a2b.js");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->body, "console.log('the application')");
  EXPECT_FALSE(plain->has_header("Content-Encoding"));
  auto refused = c.Get("/assets/app-1a2b.js", {{"Accept-Encoding", "gzip;q=0"}});
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->body, "console.log('the application')");
  auto css = c.Get("/assets/style-9f.css");
  ASSERT_TRUE(css);
  EXPECT_EQ(css->get_header_value("Content-Type"), "text/css; charset=utf-8");
}

TEST_F(ServeWeb, NothingOutsideTheRootAndApiPathsStayJson) {
  auto c = Client();
  for (const char* path : {"/assets/../../secret.txt", "/assets/..%2F..%2Fsecret.txt", "/assets/.hidden",
                           "/assets/missing-00.js"}) {
    auto r = c.Get(path);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 404) << path;
    EXPECT_EQ(r->body.find("outside the root"), std::string::npos) << path;
  }
  auto secret = c.Get("/../secret.txt");
  ASSERT_TRUE(secret);
  EXPECT_EQ(secret->body.find("outside the root"), std::string::npos);
  auto api = c.Get("/api/v1/no-such-thing");
  ASSERT_TRUE(api);
  EXPECT_EQ(api->status, 404);
  EXPECT_NE(api->body.find("\"not_found\""), std::string::npos) << api->body;
  auto health = c.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->body, R"({"status":"ok"})");
}

}  // namespace
}  // namespace patron
