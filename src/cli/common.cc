// Helpers shared by the command groups of the `patron` command line.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "cli/cli_internal.h"

namespace patron::cli {

std::string DefaultDbPath() {
  const char* env = std::getenv("PATRON_DB");
  return env && *env ? env : "patron.db";
}

int Fail(const Status& s) {
  std::fprintf(stderr, "patron: %s\n", s.ToString().c_str());
  return 1;
}

Result<std::unique_ptr<Database>> OpenDb(const std::string& path) {
  auto db = Database::Open(path);
  if (!db.ok()) return db.status().WithContext("database '" + path + "'");
  return db;
}

std::string Money(int64_t minor, const std::string& currency) {
  int digits = CurrencyMinorDigits(currency);
  double scale = digits == 0 ? 1.0 : digits == 3 ? 1000.0 : 100.0;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f %s", digits, static_cast<double>(minor) / scale, currency.c_str());
  return buf;
}

ProgressBar::ProgressBar(std::string label) : label_(std::move(label)), enabled_(::isatty(2) == 1) {
  start_ = std::chrono::steady_clock::now();
}

void ProgressBar::Update(uint64_t done, uint64_t total) {
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  if (done != total && now - last_ < std::chrono::milliseconds(100)) return;
  last_ = now;
  double secs = std::chrono::duration<double>(now - start_).count();
  double mb = static_cast<double>(done) / 1e6;
  constexpr int kWidth = 30;
  if (total > 0) {
    double frac = std::min(1.0, static_cast<double>(done) / static_cast<double>(total));
    int filled = static_cast<int>(frac * kWidth);
    std::string bar(filled, '#');
    bar.append(kWidth - filled, '.');
    double eta = frac > 0.01 ? secs * (1 - frac) / frac : 0;
    std::fprintf(stderr, "\r%s [%s] %5.1f %%  %.1f/%.1f MB  %.1f MB/s  eta %.0f s ", label_.c_str(), bar.c_str(),
                 frac * 100, mb, static_cast<double>(total) / 1e6, secs > 0 ? mb / secs : 0.0, eta);
  } else {
    std::fprintf(stderr, "\r%s %.1f MB  %.1f MB/s ", label_.c_str(), mb, secs > 0 ? mb / secs : 0.0);
  }
  drawn_ = true;
}

void ProgressBar::UpdateCount(uint64_t done, uint64_t total) {
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  if (done != total && now - last_ < std::chrono::milliseconds(100)) return;
  last_ = now;
  double secs = std::chrono::duration<double>(now - start_).count();
  constexpr int kWidth = 30;
  double frac = total > 0 ? std::min(1.0, static_cast<double>(done) / static_cast<double>(total)) : 0;
  int filled = static_cast<int>(frac * kWidth);
  std::string bar(filled, '#');
  bar.append(kWidth - filled, '.');
  double eta = frac > 0.01 ? secs * (1 - frac) / frac : 0;
  std::fprintf(stderr, "\r%s [%s] %5.1f %%  %llu/%llu  eta %.0f s ", label_.c_str(), bar.c_str(), frac * 100,
               static_cast<unsigned long long>(done), static_cast<unsigned long long>(total), eta);
  drawn_ = true;
}

void ProgressBar::Done() {
  if (drawn_) std::fprintf(stderr, "\n");
  drawn_ = false;
}

}  // namespace patron::cli
