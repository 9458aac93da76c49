// `patron serve`: the HTTP server (src/server). Settings come from defaults, then
// --config FILE, then PATRON_* environment variables, then flags.
#include <pthread.h>
#include <signal.h>

#include <CLI/CLI.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "cli/cli_internal.h"
#include "server/server.h"

namespace patron::cli {
namespace {

struct ServeArgs {
  std::string config_file, listen, access_log, web_root;
  int threads = 0;
  bool synchronous_full = false;
};

int RunServe(const GlobalOptions& g, bool db_flag_given, const ServeArgs& a) {
  server::ServerConfig config;
  if (!a.config_file.empty()) {
    Status s = server::LoadConfigFile(a.config_file, &config);
    if (!s.ok()) return Fail(s);
  }
  Status s = server::ApplyEnvironment(&config, [](const char* name) { return std::getenv(name); });
  if (!s.ok()) return Fail(s);
  if (db_flag_given) config.db_path = g.db_path;
  if (!a.listen.empty()) {
    s = server::ApplySetting(&config, "listen", a.listen);
    if (!s.ok()) return Fail(s.WithContext("--listen"));
  }
  if (a.threads > 0) config.threads = a.threads;
  if (!a.access_log.empty()) config.access_log = a.access_log;
  if (a.synchronous_full) config.synchronous_full = true;
  if (!a.web_root.empty()) config.web_root = a.web_root;
  if (config.web_root.empty()) {
    // `make` builds the web application into "web" beside the executable.
    std::error_code ec;
    std::filesystem::path beside = std::filesystem::read_symlink("/proc/self/exe", ec).parent_path() / "web";
    if (!ec && std::filesystem::exists(beside / "index.html", ec)) config.web_root = beside.string();
  }

  // SIGINT and SIGTERM are taken by one thread, which shuts the server down
  // gracefully: no new connections, every accepted request answered, every
  // acknowledged event committed.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  auto server = server::Server::Create(config, SystemClock::Get());
  if (!server.ok()) return Fail(server.status());
  std::printf("patron serve: listening on http://%s:%d (database %s)\n", config.host.c_str(), (*server)->port(),
              config.db_path.c_str());
  if (!config.web_root.empty()) std::fprintf(stderr, "patron serve: web application from %s\n", config.web_root.c_str());
  std::fflush(stdout);
  server::Server* raw = server->get();
  std::thread watcher([raw, signals] {
    int received = 0;
    sigwait(&signals, &received);
    std::fprintf(stderr, "patron serve: %s received, finishing accepted requests\n",
                 received == SIGINT ? "SIGINT" : "SIGTERM");
    raw->Shutdown();
  });
  Status run = raw->Run();
  // Wake the watcher if Run ended for another reason.
  raw->Shutdown();
  pthread_kill(watcher.native_handle(), SIGTERM);
  watcher.join();
  if (!run.ok()) return Fail(run);
  std::fprintf(stderr, "patron serve: stopped\n");
  return 0;
}

}  // namespace

void AddServeCommand(CLI::App& app, const GlobalOptions& globals, Action& action) {
  auto args = std::make_shared<ServeArgs>();
  CLI::Option* db_option = app.get_option("--db");
  auto* serve = app.add_subcommand("serve", "HTTP server: REST API and Segment-compatible event collection");
  serve->add_option("--config", args->config_file, "Config file (key = value lines; see docs/operations.md)");
  serve->add_option("--listen", args->listen, "HOST:PORT to listen on (default 127.0.0.1:8080; port 0 = any)");
  serve->add_option("--threads", args->threads, "Connection worker threads (default 64)")->check(CLI::Range(2, 4096));
  serve->add_option("--access-log", args->access_log, "'-' stderr (default), 'off', or a file");
  serve->add_option("--web-root", args->web_root,
                    "The built web application (default: the 'web' directory beside this executable)");
  serve->add_flag("--synchronous-full", args->synchronous_full, "fsync every commit (survives power loss)");
  serve->callback([&globals, &action, args, db_option] {
    bool db_given = db_option && db_option->count() > 0;
    action = [&globals, args, db_given] { return RunServe(globals, db_given, *args); };
  });
}

}  // namespace patron::cli
