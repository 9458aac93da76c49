// Normalisers for picklist-like values: countries, genders, consent methods,
// domains, time zones and category paths.
#include <unicode/locid.h>
#include <unicode/timezone.h>
#include <unicode/unistr.h>

#include <memory>
#include <mutex>
#include <unordered_map>

#include "ingest/import_internal.h"

namespace patron::ingest {
namespace {

std::string Compact(std::string_view raw) {
  std::string folded = FoldForMatching(raw);
  std::string out;
  for (char c : folded) {
    if (c != ' ' && c != '.' && c != '-' && c != '_' && c != '\'') out.push_back(c);
  }
  return out;
}

// Country names in English, Swedish, Persian and Arabic from ICU's locale data,
// plus ISO alpha-2 and alpha-3 codes, all folded.
const std::unordered_map<std::string, std::string>& CountryNames() {
  static const auto* names = [] {
    auto* m = new std::unordered_map<std::string, std::string>();
    const char* const* codes = icu::Locale::getISOCountries();
    const icu::Locale languages[] = {icu::Locale("en"), icu::Locale("sv"), icu::Locale("fa"), icu::Locale("ar")};
    for (int i = 0; codes[i]; ++i) {
      std::string code = codes[i];
      icu::Locale country("", codes[i]);
      m->emplace(AsciiLower(code), code);
      const char* alpha3 = country.getISO3Country();
      if (alpha3 && *alpha3) m->emplace(AsciiLower(alpha3), code);
      for (const icu::Locale& lang : languages) {
        icu::UnicodeString display;
        country.getDisplayCountry(lang, display);
        std::string utf8;
        display.toUTF8String(utf8);
        if (!utf8.empty() && utf8 != code) m->emplace(Compact(utf8), code);
      }
    }
    // Common names ICU's display names do not give.
    const std::pair<const char*, const char*> extra[] = {
        {"uk", "GB"},        {"england", "GB"},  {"greatbritain", "GB"}, {"usa", "US"},
        {"unitedstatesofamerica", "US"}, {"america", "US"}, {"uae", "AE"}, {"persia", "IR"},
        {"islamicrepublicofiran", "IR"}, {"ايران", "IR"}, {"الامارات", "AE"}, {"امارات", "AE"},
        {"ksa", "SA"},       {"عربستان", "SA"},   {"السعودية", "SA"},     {"مصر", "EG"},
    };
    for (const auto& [name, code] : extra) m->emplace(Compact(name), code);
    return m;
  }();
  return *names;
}

}  // namespace

std::optional<std::string> NormalizeCountry(std::string_view raw) {
  std::string key = Compact(raw);
  if (key.empty()) return std::nullopt;
  const auto& names = CountryNames();
  auto it = names.find(key);
  if (it == names.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> NormalizeGender(std::string_view raw) {
  static const std::unordered_map<std::string, std::string> kValues = {
      {"f", "female"},     {"female", "female"}, {"woman", "female"}, {"w", "female"}, {"k", "female"},
      {"kvinna", "female"}, {"zan", "female"},   {"زن", "female"},    {"خانم", "female"}, {"مونث", "female"},
      {"انثی", "female"},  {"أنثى", "female"},   {"انثى", "female"},  {"m", "male"},      {"male", "male"},
      {"man", "male"},     {"mard", "male"},     {"مرد", "male"},     {"آقا", "male"},    {"اقا", "male"},
      {"مذکر", "male"},    {"ذکر", "male"},      {"ذكر", "male"},     {"o", "other"},     {"other", "other"},
      {"annat", "other"},  {"x", "other"},       {"nonbinary", "other"}, {"دیگر", "other"}, {"آخر", "other"},
      {"u", "unknown"},    {"unknown", "unknown"}, {"okänd", "unknown"}, {"نامشخص", "unknown"},
  };
  std::string key = Compact(raw);
  auto it = kValues.find(key);
  if (it == kValues.end()) {
    // The table is written unfolded; fold its keys once on a miss path.
    static const auto* folded = [] {
      auto* m = new std::unordered_map<std::string, std::string>();
      for (const auto& [k, v] : kValues) m->emplace(Compact(k), v);
      return m;
    }();
    auto f = folded->find(key);
    if (f == folded->end()) return std::nullopt;
    return f->second;
  }
  return it->second;
}

std::optional<std::string> NormalizeConsentMethod(std::string_view raw) {
  std::string key = Compact(raw);
  if (key == "singleoptin" || key == "single" || key == "optin" || key == "soi") return "single_opt_in";
  if (key == "doubleoptin" || key == "double" || key == "doi" || key == "confirmedoptin") return "double_opt_in";
  if (key == "written" || key == "signed" || key == "paper") return "written";
  if (key == "verbal" || key == "phone" || key == "oral") return "verbal";
  if (key == "implied" || key == "softoptin") return "implied";
  if (key == "unknown") return "unknown";
  return std::nullopt;
}

std::optional<std::string> NormalizeDomain(std::string_view raw) {
  std::string d = AsciiLower(TrimAscii(raw));
  for (std::string_view scheme : {"https://", "http://"}) {
    if (d.rfind(scheme, 0) == 0) d = d.substr(scheme.size());
  }
  if (d.rfind("www.", 0) == 0) d = d.substr(4);
  size_t cut = d.find_first_of("/?#:");
  if (cut != std::string::npos) d.resize(cut);
  while (!d.empty() && d.back() == '.') d.pop_back();
  if (d.empty()) return std::nullopt;
  // Reuse the email checker's domain rules (IDNA, label syntax).
  EmailCheck check = CheckEmail("x@" + d);
  if (!check.valid) return std::nullopt;
  return check.normalized.substr(2);
}

bool IsKnownTimeZone(std::string_view name) {
  icu::UnicodeString id = icu::UnicodeString::fromUTF8(icu::StringPiece(name.data(), static_cast<int32_t>(name.size())));
  icu::UnicodeString canonical;
  UBool is_system = false;
  UErrorCode status = U_ZERO_ERROR;
  icu::TimeZone::getCanonicalID(id, canonical, is_system, status);
  return U_SUCCESS(status) && is_system;
}

std::vector<std::string> SplitCategoryPath(std::string_view path) {
  std::vector<std::string> parts;
  std::string current;
  auto flush = [&] {
    std::string p = NormalizeText(current);
    if (!p.empty()) parts.push_back(std::move(p));
    current.clear();
  };
  for (size_t i = 0; i < path.size(); ++i) {
    char c = path[i];
    if (c == '/' || c == '>' || c == '|' || c == '\\') {
      flush();
    } else if (path.compare(i, 2, "\xC2\xBB") == 0) {  // »
      flush();
      ++i;
    } else {
      current.push_back(c);
    }
  }
  flush();
  return parts;
}

std::string Slugify(std::string_view text) {
  std::string folded = FoldForMatching(text);
  std::string out;
  bool dash = false;
  for (char c : folded) {
    unsigned char u = static_cast<unsigned char>(c);
    bool keep = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || u >= 0x80;
    if (keep) {
      if (dash && !out.empty()) out.push_back('-');
      out.push_back(c);
      dash = false;
    } else {
      dash = true;
    }
  }
  return out;
}

}  // namespace patron::ingest
