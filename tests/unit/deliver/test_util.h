// Real parts for the delivery tests: the aiosmtpd sink (tests/tools/smtp_sink.py)
// as a child process, Python's own parsers and dkimpy as independent checkers.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace patron::deliver::testing {

// Debian's interpreter, where python3-aiosmtpd and python3-dkim are installed
// (a pyenv or venv python3 earlier on PATH would not have them).
inline constexpr const char* kPython = "/usr/bin/python3";

inline std::string ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void WriteFile(const std::filesystem::path& p, const std::string& data) {
  std::ofstream out(p, std::ios::binary);
  out << data;
}

// A fresh directory under the system temp dir, removed at destruction.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "patron-deliver-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

struct CommandResult {
  int exit_code = -1;
  std::string out;
};

inline std::string ShellQuote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

inline CommandResult Run(const std::vector<std::string>& args) {
  std::string cmd;
  for (const auto& a : args) cmd += ShellQuote(a) + " ";
  cmd += "2>&1";
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

// Runs a Python script (text) with arguments through Debian's python3.
inline CommandResult RunPython(const std::filesystem::path& dir, const std::string& script,
                               const std::vector<std::string>& args) {
  std::filesystem::path file = dir / "check.py";
  WriteFile(file, script);
  std::vector<std::string> argv = {kPython, file.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return Run(argv);
}

// tests/tools/smtp_sink.py on a free loopback port, stopped at destruction.
class SmtpSink {
 public:
  explicit SmtpSink(const std::filesystem::path& dir, const std::vector<std::string>& extra = {})
      : dir_(dir) {
    int out[2];
    if (::pipe(out) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(out[1], 1);
      ::close(out[0]);
      ::close(out[1]);
      // Its own log (tracebacks of sessions the tests break on purpose) stays out of the test
      // output.
      int log = ::open((dir / "sink.log").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (log >= 0) ::dup2(log, 2);
      std::vector<std::string> args = {kPython,
                                       std::string(PATRON_SOURCE_DIR) + "/tests/tools/smtp_sink.py",
                                       "--dir", dir.string()};
      args.insert(args.end(), extra.begin(), extra.end());
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(kPython, argv.data());
      ::_exit(127);
    }
    ::close(out[1]);
    std::string line;
    char c;
    while (::read(out[0], &c, 1) == 1 && c != '\n') line += c;
    ::close(out[0]);
    size_t colon = line.rfind(':');
    if (line.rfind("listening on", 0) == 0 && colon != std::string::npos)
      port_ = std::atoi(line.c_str() + colon + 1);
  }
  ~SmtpSink() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
  }

  int port() const { return port_; }

  // Waits up to `timeout` for `n` stored messages; returns how many there are.
  int WaitForMessages(int n, std::chrono::milliseconds timeout = std::chrono::seconds(10)) const {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      int count = MessageCount();
      if (count >= n || std::chrono::steady_clock::now() > deadline) return count;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  int MessageCount() const {
    int count = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir_)) {
      if (e.path().extension() == ".json") ++count;
    }
    return count;
  }
  // The stored message `number` (1-based): its bytes and its envelope JSON.
  std::string Message(int number) const { return ReadFile(dir_ / (Name(number) + ".eml")); }
  std::string Envelope(int number) const { return ReadFile(dir_ / (Name(number) + ".json")); }
  int Connections() const { return std::atoi(ReadFile(dir_ / "connections").c_str()); }

 private:
  static std::string Name(int number) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%06d", number);
    return buf;
  }
  std::filesystem::path dir_;
  pid_t pid_ = -1;
  int port_ = 0;
};

// Header fields of a message (names lower-cased, values unfolded with the CRLFs removed).
inline std::multimap<std::string, std::string> Headers(const std::string& message) {
  std::multimap<std::string, std::string> out;
  std::string head = message.substr(0, message.find("\r\n\r\n") + 2);
  std::string name, value;
  size_t pos = 0;
  auto flush = [&] {
    if (!name.empty()) out.emplace(name, value);
    name.clear();
    value.clear();
  };
  while (pos < head.size()) {
    size_t nl = head.find("\r\n", pos);
    std::string line = head.substr(pos, nl - pos);
    pos = nl + 2;
    if (!line.empty() && (line[0] == ' ' || line[0] == '\t')) {
      value += line;
      continue;
    }
    flush();
    size_t colon = line.find(':');
    for (char ch : line.substr(0, colon))
      name += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    value = line.substr(colon + 2);
  }
  flush();
  return out;
}

}  // namespace patron::deliver::testing
