// Real parts for the delivery tests: Python's own parsers and dkimpy as
// independent checkers (the aiosmtpd sink is tests/tools/smtp_sink_process.h).
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
