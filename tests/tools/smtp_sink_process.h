// tests/tools/smtp_sink.py (Debian's python3-aiosmtpd) as a child process on a
// free loopback port, for tests that send real mail: it stores every accepted
// message as NNNNNN.eml with its envelope in NNNNNN.json. Stopped at destruction.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace patron::testing {

class SmtpSinkProcess {
 public:
  // One accepted message: its envelope ({"mail_from", "rcpt_tos"}) and its bytes.
  struct Received {
    nlohmann::json envelope;
    std::string data;
    // The Message-ID header's value, "" when there is none.
    std::string MessageId() const {
      std::string lower = data.substr(0, data.find("\r\n\r\n"));
      for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      size_t at = lower.find("\nmessage-id:");
      if (at == std::string::npos) return "";
      size_t begin = at + 12, end = data.find('\n', begin);
      std::string value = data.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
      size_t first = value.find_first_not_of(" \t\r"), last = value.find_last_not_of(" \t\r");
      return first == std::string::npos ? "" : value.substr(first, last - first + 1);
    }
  };
  // One (recipient, message) per envelope recipient.
  struct Delivery {
    std::string recipient, data;
  };

  // `extra`: further smtp_sink.py options (--tls-cert, --tls-key, --require-tls,
  // --auth USER:PASSWORD). The sink's own log (tracebacks of sessions a test
  // breaks on purpose) goes to sink.log in `dir`, not into the test's output.
  explicit SmtpSinkProcess(const std::filesystem::path& dir, const std::vector<std::string>& extra = {})
      : dir_(dir) {
    std::filesystem::create_directories(dir);
    int out[2];
    if (::pipe(out) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(out[1], 1);
      ::close(out[0]);
      ::close(out[1]);
      int log = ::open((dir / "sink.log").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (log >= 0) ::dup2(log, 2);
      std::vector<std::string> args = {"python3", std::string(PATRON_SOURCE_DIR) + "/tests/tools/smtp_sink.py",
                                       "--dir", dir.string(), "--port", "0"};
      args.insert(args.end(), extra.begin(), extra.end());
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv("/usr/bin/python3", argv.data());
      ::_exit(127);
    }
    ::close(out[1]);
    std::string line;
    char ch;
    while (::read(out[0], &ch, 1) == 1 && ch != '\n') line += ch;
    ::close(out[0]);
    auto colon = line.rfind(':');
    if (line.rfind("listening on", 0) == 0 && colon != std::string::npos) port_ = std::stoi(line.substr(colon + 1));
  }
  ~SmtpSinkProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status;
      ::waitpid(pid_, &status, 0);
    }
  }
  SmtpSinkProcess(const SmtpSinkProcess&) = delete;
  SmtpSinkProcess& operator=(const SmtpSinkProcess&) = delete;

  // 0 when the sink did not start (python3-aiosmtpd missing).
  int port() const { return port_; }
  std::string url(const std::string& query = "tls=none") const {
    return "smtp://127.0.0.1:" + std::to_string(port_) + "?" + query;
  }

  // Every stored message, in arrival order.
  std::vector<Received> Stored() const {
    std::map<std::string, Received> by_name;
    for (auto& entry : std::filesystem::directory_iterator(dir_)) {
      if (entry.path().extension() != ".json") continue;
      auto envelope = nlohmann::json::parse(Read(entry.path()), nullptr, false);
      if (envelope.is_discarded()) continue;  // being written
      std::filesystem::path eml = entry.path();
      eml.replace_extension(".eml");
      by_name[entry.path().stem().string()] = {std::move(envelope), Read(eml)};
    }
    std::vector<Received> out;
    for (auto& [name, r] : by_name) out.push_back(std::move(r));
    return out;
  }
  // Every delivery: a message with two envelope recipients counts twice.
  std::vector<Delivery> Messages() const {
    std::vector<Delivery> out;
    for (auto& r : Stored())
      for (auto& rcpt : r.envelope["rcpt_tos"]) out.push_back({rcpt.get<std::string>(), r.data});
    return out;
  }
  // How many messages are stored.
  int Count() const {
    int n = 0;
    for (auto& entry : std::filesystem::directory_iterator(dir_)) n += entry.path().extension() == ".json";
    return n;
  }
  // Waits until `n` messages are stored, at most `timeout` (a bound for a slow
  // machine, not a speed requirement); returns Count() then.
  int WaitForCount(int n, std::chrono::milliseconds timeout = std::chrono::seconds(10)) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      const int count = Count();
      if (count >= n || std::chrono::steady_clock::now() > deadline) return count;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  // How many SMTP connections the sink accepted.
  int Connections() const {
    std::ifstream in(dir_ / "connections");
    int n = 0;
    in >> n;
    return n;
  }
  // Message-ID -> how many times it arrived.
  std::map<std::string, int> MessageIds() const {
    std::map<std::string, int> out;
    for (auto& r : Stored())
      if (std::string id = r.MessageId(); !id.empty()) ++out[id];
    return out;
  }

 private:
  static std::string Read(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  std::filesystem::path dir_;
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace patron::testing
