// Running the real `patron` binary from integration tests.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

namespace patron::testing {

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout and stderr together
};

// Single-quotes `s` for /bin/sh.
inline std::string ShellQuote(const std::string& s) {
  std::string q = "'";
  for (char c : s) {
    if (c == '\'') {
      q += "'\\''";
    } else {
      q += c;
    }
  }
  return q + "'";
}

// Runs a shell command line; its standard output (and error, unless
// `stdout_only`) and exit code.
inline CommandResult RunShell(std::string cmd, bool stdout_only = false) {
  if (!stdout_only) cmd += " 2>&1";
  CommandResult r;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// Runs PATRON_BINARY with `args`; `stdout_only` leaves stderr on the terminal.
inline CommandResult RunPatron(const std::vector<std::string>& args, bool stdout_only = false) {
  std::string cmd = ShellQuote(PATRON_BINARY);
  for (const auto& a : args) cmd += " " + ShellQuote(a);
  return RunShell(cmd, stdout_only);
}

inline std::string ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The `patron import` arguments for one file of a `patron --json demo generate`
// manifest, as scripts/demo.sh builds them, with --json for a report on stdout.
inline std::vector<std::string> DemoImportArgs(const nlohmann::json& file, const std::string& db) {
  std::vector<std::string> args = {
      "--db",       db,         "--json",       "import",        file["kind"],
      file["path"], "--source", file["source"], "--source-kind", file["source_kind"]};
  for (const auto& [flag, key] : {std::pair{"--source-vendor", "vendor"},
                                  {"--source-cost", "cost"},
                                  {"--default-country", "default_country"},
                                  {"--as-of", "as_of"}}) {
    const std::string value = file.value(key, "");
    if (!value.empty()) args.insert(args.end(), {flag, value});
  }
  return args;
}

}  // namespace patron::testing

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <thread>

namespace patron::testing {

// `patron serve` running as a child process on a free loopback port.
class ServeProcess {
 public:
  // Starts `patron --db DB serve --listen 127.0.0.1:0 EXTRA...` with the
  // environment variables `env` ("NAME=value"; automatic identity runs are off
  // unless PATRON_IDENTITY_INTERVAL is among them) and waits for the
  // "listening on" line. port() is 0 when it did not start.
  ServeProcess(const std::string& db, const std::vector<std::string>& extra = {},
               const std::vector<std::string>& env = {}) {
    int out[2];
    if (::pipe(out) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(out[1], 1);
      ::close(out[0]);
      ::close(out[1]);
      // The server's automatic identity runs change clusters in the background;
      // a test that is not about them turns them off, so that what it checks
      // does not depend on when a run happens to fall.
      static std::string no_identity_runs = "PATRON_IDENTITY_INTERVAL=0";
      ::putenv(no_identity_runs.data());
      for (const std::string& e : env) ::putenv(const_cast<char*>(e.c_str()));
      std::vector<std::string> args = {PATRON_BINARY, "--db", db, "serve", "--listen", "127.0.0.1:0"};
      args.insert(args.end(), extra.begin(), extra.end());
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(PATRON_BINARY, argv.data());
      ::_exit(127);
    }
    ::close(out[1]);
    std::string line;
    char c;
    while (::read(out[0], &c, 1) == 1 && c != '\n') line += c;
    stdout_fd_ = out[0];
    size_t at = line.find("127.0.0.1:");
    if (at != std::string::npos) port_ = std::atoi(line.c_str() + at + 10);
  }
  ~ServeProcess() { Stop(SIGTERM); }

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // Sends `signal` and waits for the process; returns its exit status (or -signal).
  int Stop(int signal = SIGTERM) {
    if (pid_ <= 0) return exit_;
    ::kill(pid_, signal);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    if (stdout_fd_ >= 0) ::close(stdout_fd_);
    stdout_fd_ = -1;
    exit_ = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
    return exit_;
  }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  int stdout_fd_ = -1;
  int exit_ = -1;
};

}  // namespace patron::testing
