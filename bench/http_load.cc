// http_load: a load generator for `patron serve` (bench/collect_bench.sh).
//
//   http_load --url http://127.0.0.1:8080 --key KEY --mode batch --rate 10000 --seconds 20
//   http_load --url ... --key KEY --mode lookup --emails FILE --rate 2000 --seconds 20
//
// --mode batch posts /v1/batch with --batch track events per request (unique
// messageIds); --rate is events per second. --mode lookup gets
// /api/v1/customers?email=... for emails from FILE (one per line); --rate is
// requests per second. --rate 0 sends as fast as --connections allow.
//
// With a rate, requests follow a fixed schedule and each latency is measured
// from the time the request was due, not when it was sent, so a stalled server
// shows up in the percentiles (no coordinated omission).
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string url = "http://127.0.0.1:8080", key, mode = "batch", emails_file;
  double rate = 0;
  int seconds = 20, connections = 16, batch = 100, users = 100000;
};

std::string BatchBody(uint64_t request, int batch, int users, const std::string& run) {
  std::string body = R"({"batch":[)";
  body.reserve(static_cast<size_t>(batch) * 260);
  char buf[512];
  for (int i = 0; i < batch; ++i) {
    uint64_t n = request * static_cast<uint64_t>(batch) + static_cast<uint64_t>(i);
    std::snprintf(buf, sizeof buf,
                  R"(%s{"type":"track","messageId":"%s-%llu","userId":"user-%llu","event":"Product Viewed",)"
                  R"("properties":{"product_id":"sku-%llu","price":%llu.5,"category":"phones"},)"
                  R"("timestamp":"2026-11-20T10:00:00.000Z","context":{"library":{"name":"http_load"}}})",
                  i ? "," : "", run.c_str(), static_cast<unsigned long long>(n),
                  static_cast<unsigned long long>(n % static_cast<uint64_t>(users)),
                  static_cast<unsigned long long>(n % 5000), static_cast<unsigned long long>(n % 900));
    body += buf;
  }
  return body + R"(],"sentAt":"2026-11-20T10:00:01.000Z"})";
}

std::string UrlEncode(const std::string& s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '.' || c == '-' || c == '_') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i], v = argv[i + 1];
    if (a == "--url") o.url = v;
    else if (a == "--key") o.key = v;
    else if (a == "--mode") o.mode = v;
    else if (a == "--emails") o.emails_file = v;
    else if (a == "--rate") o.rate = std::stod(v);
    else if (a == "--seconds") o.seconds = std::stoi(v);
    else if (a == "--connections") o.connections = std::stoi(v);
    else if (a == "--batch") o.batch = std::stoi(v);
    else if (a == "--users") o.users = std::stoi(v);
    else {
      std::fprintf(stderr, "unknown option %s\n", a.c_str());
      return 2;
    }
  }
  std::vector<std::string> emails;
  if (o.mode == "lookup") {
    std::ifstream in(o.emails_file);
    for (std::string line; std::getline(in, line);) {
      if (!line.empty()) emails.push_back(UrlEncode(line));
    }
    if (emails.empty()) {
      std::fprintf(stderr, "no emails in '%s'\n", o.emails_file.c_str());
      return 2;
    }
  }
  // Requests per second from the rate (events for batches).
  const double request_rate = o.mode == "batch" ? o.rate / o.batch : o.rate;
  const std::string run = std::to_string(std::chrono::system_clock::now().time_since_epoch().count());
  const auto start = Clock::now() + std::chrono::milliseconds(100);
  const auto end = start + std::chrono::seconds(o.seconds);
  std::atomic<uint64_t> next{0}, ok{0}, failed{0};
  std::mutex mu;
  std::vector<double> latencies_ms;
  std::vector<std::thread> workers;
  for (int w = 0; w < o.connections; ++w) {
    workers.emplace_back([&] {
      httplib::Client client(o.url);
      client.set_keep_alive(true);
      client.set_tcp_nodelay(true);  // headers and body go in separate writes: no Nagle delay
      client.set_read_timeout(60, 0);
      if (o.mode == "batch") {
        client.set_basic_auth(o.key, "");
      } else {
        client.set_bearer_token_auth(o.key);
      }
      std::vector<double> mine;
      while (true) {
        uint64_t i = next.fetch_add(1);
        auto due = request_rate > 0
                       ? start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(i / request_rate))
                       : Clock::now();
        if (due >= end || Clock::now() >= end) break;
        std::this_thread::sleep_until(due);
        httplib::Result r = o.mode == "batch"
                                ? client.Post("/v1/batch", BatchBody(i, o.batch, o.users, run), "application/json")
                                : client.Get("/api/v1/customers?email=" + emails[i % emails.size()]);
        auto done = Clock::now();
        if (r && r->status == 200) {
          ok++;
          mine.push_back(std::chrono::duration<double, std::milli>(done - due).count());
        } else {
          failed++;
        }
      }
      std::lock_guard<std::mutex> lock(mu);
      latencies_ms.insert(latencies_ms.end(), mine.begin(), mine.end());
    });
  }
  for (auto& t : workers) t.join();
  double elapsed = std::chrono::duration<double>(std::min(Clock::now(), end) - start).count();
  std::sort(latencies_ms.begin(), latencies_ms.end());
  auto pct = [&](double p) {
    if (latencies_ms.empty()) return 0.0;
    return latencies_ms[std::min(latencies_ms.size() - 1, static_cast<size_t>(p * latencies_ms.size()))];
  };
  const double per_request = o.mode == "batch" ? o.batch : 1;
  std::printf(
      "{\"mode\":\"%s\",\"target_rate\":%.0f,\"requests_ok\":%llu,\"requests_failed\":%llu,\"seconds\":%.2f,"
      "\"achieved_rate\":%.0f,\"p50_ms\":%.2f,\"p90_ms\":%.2f,\"p99_ms\":%.2f,\"max_ms\":%.2f}\n",
      o.mode.c_str(), o.rate, static_cast<unsigned long long>(ok.load()), static_cast<unsigned long long>(failed.load()),
      elapsed, ok.load() * per_request / elapsed, pct(0.50), pct(0.90), pct(0.99),
      latencies_ms.empty() ? 0.0 : latencies_ms.back());
  return failed.load() == 0 ? 0 : 1;
}
