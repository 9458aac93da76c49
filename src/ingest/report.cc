// The import report: JSON for machines (--report, --json), text for people.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>

#include "ingest/ingest.h"

namespace patron::ingest {

std::string ImportReport::ToJson() const {
  nlohmann::ordered_json j;
  j["kind"] = kind;
  j["path"] = path;
  j["source"] = source;
  j["records"] = records;
  j["inserted"] = inserted;
  j["updated"] = updated;
  j["unchanged"] = unchanged;
  j["rejected"] = rejected;
  j["customers_created"] = customers_created;
  j["stitched"] = stitched;
  j["erased_skipped"] = erased_skipped;
  j["bytes"] = bytes;
  j["seconds"] = seconds;
  j["records_per_second"] = seconds > 0 ? static_cast<double>(records) / seconds : 0.0;
  j["peak_rss_bytes"] = peak_rss_bytes;
  j["mapping"] = mapping;
  j["unmapped_columns"] = unmapped_columns;
  nlohmann::ordered_json f = nlohmann::ordered_json::object();
  for (const auto& [name, q] : fields) {
    f[name] = {{"present", q.present}, {"valid", q.valid}, {"invalid", q.invalid}};
  }
  j["fields"] = f;
  nlohmann::ordered_json p = nlohmann::ordered_json::object();
  for (const auto& [reason, count] : problems) p[reason] = count;
  j["problems"] = p;
  j["examples"] = examples;
  j["reject_path"] = reject_path;
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string ImportReport::ToText() const {
  std::string out;
  char buf[512];
  std::snprintf(buf, sizeof buf, "Imported %s from %s (source '%s')\n", kind.c_str(), path.c_str(), source.c_str());
  out += buf;
  std::snprintf(buf, sizeof buf,
                "  %lld records: %lld new, %lld updated, %lld unchanged, %lld rejected", static_cast<long long>(records),
                static_cast<long long>(inserted), static_cast<long long>(updated),
                static_cast<long long>(unchanged), static_cast<long long>(rejected));
  out += buf;
  if (customers_created > 0) {
    std::snprintf(buf, sizeof buf, "; %lld customers created from this source",
                  static_cast<long long>(customers_created));
    out += buf;
  }
  if (stitched > 0) {
    std::snprintf(buf, sizeof buf, "; %lld anonymous visitors joined to the customer their device was then seen as",
                  static_cast<long long>(stitched));
    out += buf;
  }
  if (erased_skipped > 0) {
    std::snprintf(buf, sizeof buf, "; %lld skipped: they name an erased person",
                  static_cast<long long>(erased_skipped));
    out += buf;
  }
  std::snprintf(buf, sizeof buf, "\n  %.2f s, %.0f records/s, peak memory %.0f MB\n", seconds,
                seconds > 0 ? static_cast<double>(records) / seconds : 0.0,
                static_cast<double>(peak_rss_bytes) / (1 << 20));
  out += buf;
  if (!unmapped_columns.empty()) {
    out += "  Ignored columns:";
    for (const auto& c : unmapped_columns) out += " '" + c + "'";
    out += "\n";
  }
  bool header = false;
  for (const auto& [name, q] : fields) {
    if (q.present == 0) continue;
    if (!header) {
      out += "  Field validity (valid / present):\n";
      header = true;
    }
    std::snprintf(buf, sizeof buf, "    %-20s %8lld / %-8lld %6.2f %%%s\n", name.c_str(),
                  static_cast<long long>(q.valid), static_cast<long long>(q.present),
                  q.present ? 100.0 * static_cast<double>(q.valid) / static_cast<double>(q.present) : 0.0,
                  q.invalid ? (" (" + std::to_string(q.invalid) + " invalid)").c_str() : "");
    out += buf;
  }
  if (!problems.empty()) {
    std::vector<std::pair<std::string, int64_t>> sorted(problems.begin(), problems.end());
    std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    out += "  Top problems:\n";
    for (size_t i = 0; i < sorted.size() && i < 10; ++i) {
      std::snprintf(buf, sizeof buf, "    %8lld  %s\n", static_cast<long long>(sorted[i].second),
                    sorted[i].first.c_str());
      out += buf;
    }
    if (!examples.empty()) {
      out += "  Examples:\n";
      for (size_t i = 0; i < examples.size() && i < 5; ++i) out += "    " + examples[i] + "\n";
    }
  }
  if (!reject_path.empty()) out += "  Rejected records written to " + reject_path + "\n";
  return out;
}

}  // namespace patron::ingest
