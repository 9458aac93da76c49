// Validation and normalisation of single values from import files: e-mail
// addresses, phone numbers, dates, timestamps, amounts, integers and booleans.
//
// Every function here runs once per field of every imported record, so each
// one avoids per-call construction of heavy objects (ICU, libphonenumber and
// libidn2 are only touched when the input needs them) and never crashes on
// arbitrary bytes: bad input yields a reason, not undefined behaviour.
#include <idn2.h>
#include <phonenumbers/logger.h>
#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>
#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/core.h"
#include "ingest/ingest.h"
#include "ingest/phone_fast.h"

namespace patron::ingest {
namespace {

// ---------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------

bool IsAsciiDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAsciiAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// Characters that are invisible padding at the ends of a copied value.
bool IsTrimmable(UChar32 c) {
  return u_isUWhiteSpace(c) || c == 0x200B || c == 0x200E || c == 0x200F || c == 0x2060 ||
         c == 0xFEFF || c == 0x061C;
}

// Strips Unicode whitespace, byte-order marks and direction marks from both
// ends. Stops at the first byte that is not valid UTF-8.
std::string_view TrimSpace(std::string_view text) {
  const auto* s = reinterpret_cast<const uint8_t*>(text.data());
  int32_t begin = 0;
  int32_t end = static_cast<int32_t>(text.size());
  while (begin < end) {
    int32_t next = begin;
    UChar32 c;
    U8_NEXT(s, next, end, c);
    if (c < 0 || !IsTrimmable(c)) break;
    begin = next;
  }
  while (end > begin) {
    int32_t previous = end;
    UChar32 c;
    U8_PREV(s, begin, previous, c);
    if (c < 0 || !IsTrimmable(c)) break;
    end = previous;
  }
  return text.substr(static_cast<size_t>(begin), static_cast<size_t>(end - begin));
}

// The input quoted for an error message: at most ~60 bytes (cut on a
// character boundary) and with invalid bytes shown as U+FFFD, so messages
// stay readable and valid UTF-8 whatever the input was.
std::string Quote(std::string_view text) {
  constexpr int32_t kMaxBytes = 60;
  const auto* s = reinterpret_cast<const uint8_t*>(text.data());
  const int32_t n = static_cast<int32_t>(std::min<size_t>(text.size(), 1 << 20));
  std::string out = "'";
  int32_t i = 0;
  while (i < n) {
    if (i >= kMaxBytes) {
      out += "\u2026";
      break;
    }
    UChar32 c;
    U8_NEXT_OR_FFFD(s, i, n, c);
    char buf[U8_MAX_LENGTH];
    int32_t len = 0;
    U8_APPEND_UNSAFE(buf, len, c);
    out.append(buf, static_cast<size_t>(len));
  }
  out += "'";
  return out;
}

// "','" for printable ASCII, "U+00A0" for other characters, "byte 0xFF" for
// bytes that are not UTF-8.
std::string DescribeCharAt(std::string_view text, size_t pos) {
  unsigned char b = static_cast<unsigned char>(text[pos]);
  char buf[32];
  if (b >= 0x21 && b < 0x7F) {
    std::snprintf(buf, sizeof buf, "'%c'", static_cast<char>(b));
    return buf;
  }
  if (b == ' ') return "' '";
  const auto* s = reinterpret_cast<const uint8_t*>(text.data());
  int32_t i = static_cast<int32_t>(pos);
  UChar32 c;
  U8_NEXT(s, i, static_cast<int32_t>(text.size()), c);
  if (c < 0) {
    std::snprintf(buf, sizeof buf, "byte 0x%02X", b);
  } else {
    std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(c));
  }
  return buf;
}

// ---------------------------------------------------------------------------
// E-mail
// ---------------------------------------------------------------------------

// RFC 5322 atext: the characters a dot-atom local part may contain besides
// '.'. (Non-ASCII UTF-8 is allowed too, per RFC 6531, and checked separately.)
bool IsAtext(char c) {
  constexpr std::string_view kSymbols = "!#$%&'*+-/=?^_`{|}~";
  return IsAsciiAlpha(c) || IsAsciiDigit(c) || kSymbols.find(c) != std::string_view::npos;
}

// Checks the non-ASCII characters of a local part: valid UTF-8 and nothing
// invisible or control-like (RFC 6531 allows any other UTF-8 character).
std::string CheckUtf8LocalPart(std::string_view local) {
  const auto* s = reinterpret_cast<const uint8_t*>(local.data());
  const int32_t n = static_cast<int32_t>(local.size());
  for (int32_t i = 0; i < n;) {
    const int32_t start = i;
    UChar32 c;
    U8_NEXT(s, i, n, c);
    if (c < 0) return "local part is not valid UTF-8";
    if (c < 0x80) continue;
    const int8_t type = u_charType(c);
    if (u_isUWhiteSpace(c) || type == U_CONTROL_CHAR || type == U_FORMAT_CHAR ||
        type == U_UNASSIGNED || type == U_PRIVATE_USE_CHAR) {
      return "invalid character " + DescribeCharAt(local, static_cast<size_t>(start)) +
             " in local part";
    }
  }
  return {};
}

// Returns the reason the local part is invalid, or "" when it is fine.
std::string CheckLocalPart(std::string_view local) {
  if (local.empty()) return "empty local part";
  bool non_ascii = false;
  if (local.front() == '"') {
    // RFC 5321 Quoted-string: qtext is printable ASCII except '"' and '\';
    // quoted-pair is '\' followed by a printable character or space.
    size_t i = 1;
    bool closed = false;
    while (i < local.size()) {
      const unsigned char c = static_cast<unsigned char>(local[i]);
      if (c == '"') {
        closed = true;
        break;
      }
      if (c == '\\') {
        if (i + 1 >= local.size()) break;
        const unsigned char escaped = static_cast<unsigned char>(local[i + 1]);
        if (escaped < 0x20 || escaped == 0x7F) {
          return "invalid character " + DescribeCharAt(local, i + 1) + " in quoted local part";
        }
        if (escaped >= 0x80) non_ascii = true;
        i += 2;
        continue;
      }
      if (c < 0x20 || c == 0x7F) {
        return "invalid character " + DescribeCharAt(local, i) + " in quoted local part";
      }
      if (c >= 0x80) non_ascii = true;
      ++i;
    }
    if (!closed) return "unterminated quoted local part";
    if (i != local.size() - 1) return "text after the closing quote of the local part";
    if (i == 1) return "empty local part";
  } else {
    for (size_t i = 0; i < local.size(); ++i) {
      const char c = local[i];
      if (static_cast<unsigned char>(c) >= 0x80) {
        non_ascii = true;
        continue;
      }
      if (c == '@') return "more than one '@'";
      if (c != '.' && !IsAtext(c)) {
        return "invalid character " + DescribeCharAt(local, i) + " in local part";
      }
    }
    if (local.front() == '.') return "local part starts with a dot";
    if (local.back() == '.') return "local part ends with a dot";
    if (local.find("..") != std::string_view::npos) return "consecutive dots in local part";
  }
  if (non_ascii) {
    std::string reason = CheckUtf8LocalPart(local);
    if (!reason.empty()) return reason;
  }
  if (local.size() > 64) return "local part longer than 64 characters";
  return {};
}

bool IsDomainChar(char c) { return IsAsciiAlpha(c) || IsAsciiDigit(c) || c == '-' || c == '.'; }

// Checks an ASCII (IDNA-encoded), lower-cased domain. Returns "" when fine.
std::string CheckAsciiDomain(std::string_view domain) {
  for (size_t i = 0; i < domain.size(); ++i) {
    if (!IsDomainChar(domain[i])) {
      return "invalid character " + DescribeCharAt(domain, i) + " in domain";
    }
  }
  if (domain.size() > 255) return "domain longer than 255 characters";
  if (domain.front() == '.') return "domain starts with a dot";
  if (domain.back() == '.') return "domain ends with a dot";
  if (domain.find("..") != std::string_view::npos) return "consecutive dots in domain";
  if (domain.find('.') == std::string_view::npos) return "domain has no dot";
  size_t start = 0;
  std::string_view label;
  while (start <= domain.size()) {
    size_t dot = domain.find('.', start);
    if (dot == std::string_view::npos) dot = domain.size();
    label = domain.substr(start, dot - start);
    if (label.size() > 63) return "domain label longer than 63 characters";
    if (label.front() == '-')
      return "domain label '" + std::string(label) + "' starts with a hyphen";
    if (label.back() == '-') return "domain label '" + std::string(label) + "' ends with a hyphen";
    start = dot + 1;
  }
  // `label` is now the top-level domain.
  if (std::all_of(label.begin(), label.end(), IsAsciiDigit)) return "top-level domain is numeric";
  return {};
}

// Widely used mailbox providers (Sweden, Iran and the rest of the world). A
// domain on this list is never "corrected"; one close to an entry is a likely
// typo. Real domains that are close to each other (yahoo.se / yahoo.de) are
// both listed so that neither is taken for a typo of the other.
const std::vector<std::string_view>& CommonDomains() {
  static const std::vector<std::string_view> kDomains = {
      // Listed roughly by popularity: ties in distance go to the earlier entry.
      "gmail.com",    "hotmail.com",    "yahoo.com",      "outlook.com",    "icloud.com",
      "live.com",     "hotmail.se",     "live.se",        "yahoo.se",       "outlook.se",
      "telia.com",    "comhem.se",      "bredband.net",   "googlemail.com", "me.com",
      "mac.com",      "msn.com",        "aol.com",        "protonmail.com", "proton.me",
      "pm.me",        "gmx.com",        "gmx.de",         "gmx.net",        "gmx.at",
      "gmx.ch",       "web.de",         "t-online.de",    "mail.com",       "email.com",
      "ymail.com",    "rocketmail.com", "zoho.com",       "yandex.ru",      "yandex.com",
      "mail.ru",      "inbox.ru",       "list.ru",        "bk.ru",          "rambler.ru",
      "chmail.ir",    "hotmail.co.uk",  "hotmail.de",     "hotmail.fr",     "hotmail.it",
      "hotmail.es",   "hotmail.dk",     "hotmail.no",     "hotmail.fi",     "live.co.uk",
      "live.de",      "live.fr",        "live.dk",        "live.no",        "hotmail.nl",
      "hotmail.be",   "hotmail.ch",     "hotmail.ca",     "live.nl",        "live.be",
      "live.ca",      "live.com.au",    "outlook.de",     "outlook.fr",     "outlook.dk",
      "outlook.es",   "outlook.it",     "outlook.nl",     "yahoo.co.uk",    "yahoo.de",
      "yahoo.fr",     "yahoo.nl",       "yahoo.ie",       "gmx.fr",         "yahoo.it",
      "yahoo.es",     "yahoo.dk",       "yahoo.no",       "yahoo.ca",       "yahoo.in",
      "spray.se",     "bahnhof.se",     "passagen.se",    "glocalnet.net",  "tele2.se",
      "home.se",      "online.no",      "orange.fr",      "free.fr",        "wanadoo.fr",
      "laposte.net",  "libero.it",      "virgilio.it",    "seznam.cz",      "wp.pl",
      "o2.pl",        "interia.pl",     "onet.pl",        "ukr.net",        "qq.com",
      "163.com",      "126.com",        "naver.com",      "att.net",        "verizon.net",
      "comcast.net",  "sbcglobal.net",  "btinternet.com", "sky.com",        "aim.com",
      "fastmail.com", "hey.com",        "tutanota.com"};
  return kDomains;
}

const std::unordered_set<std::string_view>& CommonDomainSet() {
  static const std::unordered_set<std::string_view> kSet(CommonDomains().begin(),
                                                         CommonDomains().end());
  return kSet;
}

// Optimal-string-alignment distance (Levenshtein plus transposition of two
// adjacent characters, each substring edited once), giving up beyond `limit`:
// returns limit + 1 then.
int EditDistance(std::string_view a, std::string_view b, int limit) {
  const int n = static_cast<int>(a.size());
  const int m = static_cast<int>(b.size());
  if (std::abs(n - m) > limit) return limit + 1;
  if (m > 255) return limit + 1;
  // Three rolling rows of the dynamic-programming table.
  std::array<int, 256> rows[3];
  int* before_previous = rows[0].data();
  int* previous = rows[1].data();
  int* current = rows[2].data();
  for (int j = 0; j <= m; ++j) previous[j] = j;
  for (int i = 1; i <= n; ++i) {
    current[0] = i;
    int row_min = current[0];
    for (int j = 1; j <= m; ++j) {
      const int cost = a[i - 1] == b[j - 1] ? 0 : 1;
      int best = std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        best = std::min(best, before_previous[j - 2] + 1);
      }
      current[j] = best;
      row_min = std::min(row_min, best);
    }
    if (row_min > limit) return limit + 1;
    int* recycled = before_previous;
    before_previous = previous;
    previous = current;
    current = recycled;
  }
  return std::min(previous[m], limit + 1);
}

// Top-level domains that are almost always a slip of the finger for another.
std::string_view CorrectedTld(std::string_view tld) {
  static const std::unordered_map<std::string_view, std::string_view> kTypos = {
      {"con", "com"},  {"cmo", "com"},  {"comm", "com"}, {"ocm", "com"},
      {"cpm", "com"},  {"vom", "com"},  {"xom", "com"},  {"c0m", "com"},
      {"coom", "com"}, {"comn", "com"}, {"ne", "net"},   {"nte", "net"},
      {"nett", "net"}, {"ogr", "org"},  {"orgg", "org"}, {"rog", "org"}};
  auto it = kTypos.find(tld);
  return it == kTypos.end() ? std::string_view() : it->second;
}

// A better domain when `domain` looks like a typo of a common one, else "".
std::string SuggestDomain(std::string_view domain) {
  if (CommonDomainSet().count(domain)) return {};
  // Short domains have fewer letters to get wrong: allow one edit only.
  const int limit = domain.size() < 7 ? 1 : 2;
  std::string_view best;
  int best_distance = limit + 1;
  for (std::string_view candidate : CommonDomains()) {
    const int d = EditDistance(domain, candidate, best_distance - 1);
    if (d < best_distance) {
      best_distance = d;
      best = candidate;
      if (d == 1) break;  // cannot do better for a domain that is not on the list
    }
  }
  if (!best.empty()) return std::string(best);
  const size_t dot = domain.rfind('.');
  if (dot != std::string_view::npos) {
    std::string_view tld = CorrectedTld(domain.substr(dot + 1));
    if (!tld.empty()) return std::string(domain.substr(0, dot + 1)) + std::string(tld);
  }
  return {};
}

// ---------------------------------------------------------------------------
// Phone
// ---------------------------------------------------------------------------

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

// libphonenumber's singleton, with its stderr logging silenced once: a bad
// number in a million-row file must not produce a million log lines.
const PhoneNumberUtil& PhoneUtil() {
  static const PhoneNumberUtil* const util = [] {
    PhoneNumberUtil* u = PhoneNumberUtil::GetInstance();
    u->SetLogger(new i18n::phonenumbers::NullLogger());  // takes ownership
    return u;
  }();
  return *util;
}

const char* PhoneTypeName(PhoneNumberUtil::PhoneNumberType type) {
  switch (type) {
    case PhoneNumberUtil::MOBILE:
      return "mobile";
    case PhoneNumberUtil::FIXED_LINE:
      return "fixed_line";
    case PhoneNumberUtil::FIXED_LINE_OR_MOBILE:
      return "fixed_line_or_mobile";
    case PhoneNumberUtil::TOLL_FREE:
      return "toll_free";
    case PhoneNumberUtil::VOIP:
      return "voip";
    case PhoneNumberUtil::UNKNOWN:
      return "unknown";
    default:
      return "other";  // premium rate, shared cost, personal, pager, UAN, voicemail
  }
}

bool IsPhoneSeparator(char c) {
  return c == ' ' || c == '(' || c == ')' || c == '-' || c == '.' || c == '/' || c == '\t';
}

// ---------------------------------------------------------------------------
// Dates and times
// ---------------------------------------------------------------------------

struct DateToken {
  bool is_number = false;
  std::string_view text;
  int value = 0;       // numbers only
  int digits = 0;      // numbers only
  char separator = 0;  // what came before: 0 (nothing), ' ', or one of - / . ,
};

// The month a (folded) month name stands for, and the calendar it belongs to.
struct MonthName {
  int month = 0;
  Calendar calendar = Calendar::kGregorian;
};

const std::unordered_map<std::string, MonthName>& MonthNames() {
  static const std::unordered_map<std::string, MonthName> kNames = [] {
    std::unordered_map<std::string, MonthName> names;
    const char* const english[12][3] = {
        {"january", "jan", nullptr}, {"february", "feb", nullptr}, {"march", "mar", nullptr},
        {"april", "apr", nullptr},   {"may", nullptr, nullptr},    {"june", "jun", nullptr},
        {"july", "jul", nullptr},    {"august", "aug", nullptr},   {"september", "sep", "sept"},
        {"october", "oct", nullptr}, {"november", "nov", nullptr}, {"december", "dec", nullptr}};
    const char* const swedish[12][2] = {
        {"januari", "jan"},   {"februari", "feb"}, {"mars", "mar"},     {"april", "apr"},
        {"maj", nullptr},     {"juni", "jun"},     {"juli", "jul"},     {"augusti", "aug"},
        {"september", "sep"}, {"oktober", "okt"},  {"november", "nov"}, {"december", "dec"}};
    // Solar Hijri months, Farvardin to Esfand.
    const char* const persian[12] = {
        "\u0641\u0631\u0648\u0631\u062F\u06CC\u0646",        // فروردین
        "\u0627\u0631\u062F\u06CC\u0628\u0647\u0634\u062A",  // اردیبهشت
        "\u062E\u0631\u062F\u0627\u062F",                    // خرداد
        "\u062A\u06CC\u0631",                                // تیر
        "\u0645\u0631\u062F\u0627\u062F",                    // مرداد
        "\u0634\u0647\u0631\u06CC\u0648\u0631",              // شهریور
        "\u0645\u0647\u0631",                                // مهر
        "\u0622\u0628\u0627\u0646",                          // آبان
        "\u0622\u0630\u0631",                                // آذر
        "\u062F\u06CC",                                      // دی
        "\u0628\u0647\u0645\u0646",                          // بهمن
        "\u0627\u0633\u0641\u0646\u062F"};                   // اسفند
    for (int m = 0; m < 12; ++m) {
      for (const char* name : english[m]) {
        if (name) names[FoldForMatching(name)] = {m + 1, Calendar::kGregorian};
      }
      for (const char* name : swedish[m]) {
        if (name) names[FoldForMatching(name)] = {m + 1, Calendar::kGregorian};
      }
      names[FoldForMatching(persian[m])] = {m + 1, Calendar::kPersian};
    }
    return names;
  }();
  return kNames;
}

// Words that may accompany a date without changing it: weekdays and "of".
bool IsIgnorableDateWord(const std::string& folded) {
  static const std::unordered_set<std::string> kWords = [] {
    std::unordered_set<std::string> words;
    for (const char* w :
         {"monday",   "mon",    "tuesday", "tue",   "tues",    "wednesday", "wed",
          "thursday", "thu",    "thur",    "thurs", "friday",  "fri",       "saturday",
          "sat",      "sunday", "sun",     "of",    "den",     "mandag",    "man",
          "tisdag",   "tis",    "onsdag",  "ons",   "torsdag", "tor",       "tors",
          "fredag",   "fre",    "lordag",  "lor",   "sondag",  "son"}) {
      words.insert(FoldForMatching(w));
    }
    return words;
  }();
  return kWords.count(folded) > 0;
}

// Splits a date into numbers and words. Returns "" or the reason it cannot.
std::string TokenizeDate(std::string_view s, std::vector<DateToken>* tokens) {
  const auto* bytes = reinterpret_cast<const uint8_t*>(s.data());
  const int32_t n = static_cast<int32_t>(s.size());
  char separator = 0;
  int32_t i = 0;
  auto note_separator = [&separator](char c) {
    if (separator == 0 || separator == ' ') separator = c;
  };
  while (i < n) {
    const char c = s[static_cast<size_t>(i)];
    if (IsAsciiDigit(c)) {
      int32_t j = i;
      while (j < n && IsAsciiDigit(s[static_cast<size_t>(j)])) ++j;
      if (j - i > 8) return "number too long for a date";
      DateToken t;
      t.is_number = true;
      t.text = s.substr(static_cast<size_t>(i), static_cast<size_t>(j - i));
      t.digits = j - i;
      for (char d : t.text) t.value = t.value * 10 + (d - '0');
      t.separator = separator;
      tokens->push_back(t);
      separator = 0;
      i = j;
      continue;
    }
    if (c == '-' || c == '/' || c == '.' || c == ',') {
      note_separator(c);
      ++i;
      continue;
    }
    // Words: letters (any script) and the marks/joiners inside them.
    int32_t j = i;
    UChar32 cp;
    U8_NEXT(bytes, j, n, cp);
    if (cp < 0) return "not valid UTF-8";
    if (cp == 0x060C) {  // Arabic comma
      note_separator(',');
      i = j;
      continue;
    }
    if (IsTrimmable(cp)) {
      note_separator(' ');
      i = j;
      continue;
    }
    if (!u_isalpha(cp)) {
      return "unexpected character " + DescribeCharAt(s, static_cast<size_t>(i));
    }
    int32_t end = j;
    while (end < n) {
      int32_t k = end;
      U8_NEXT(bytes, k, n, cp);
      if (cp < 0) return "not valid UTF-8";
      const bool part_of_word =
          u_isalpha(cp) || cp == 0x200C || (U_GET_GC_MASK(cp) & (U_GC_MN_MASK | U_GC_MC_MASK)) != 0;
      if (!part_of_word) break;
      end = k;
    }
    DateToken t;
    t.text = s.substr(static_cast<size_t>(i), static_cast<size_t>(end - i));
    t.separator = separator;
    tokens->push_back(t);
    separator = 0;
    i = end;
  }
  return {};
}

// Time of day found after a date ("10:15", "10:15:30.25 +03:30", "3:05 PM").
struct TimeOfDay {
  int64_t seconds = 0;         // since midnight
  int64_t micros = 0;          // fraction of the second
  int64_t offset_seconds = 0;  // east of UTC
};

// Parses `text` as a time of day with optional AM/PM and UTC offset.
// Returns "" or the reason it is not one.
std::string ParseTimeOfDay(std::string_view text, TimeOfDay* out) {
  size_t pos = 0;
  auto read_number = [&](size_t min_digits, size_t max_digits, int* value) {
    size_t start = pos;
    int v = 0;
    while (pos < text.size() && IsAsciiDigit(text[pos]) && pos - start < max_digits) {
      v = v * 10 + (text[pos] - '0');
      ++pos;
    }
    *value = v;
    return pos - start >= min_digits;
  };
  auto skip_spaces = [&] {
    while (pos < text.size() && text[pos] == ' ') ++pos;
  };
  int hours = 0, minutes = 0, seconds = 0;
  if (!read_number(1, 2, &hours)) return "expected hours";
  if (pos >= text.size() || text[pos] != ':') return "expected ':' after the hours";
  ++pos;
  if (!read_number(2, 2, &minutes) || minutes > 59) return "expected minutes 00-59";
  if (pos < text.size() && text[pos] == ':') {
    ++pos;
    if (!read_number(2, 2, &seconds) || seconds > 60) return "expected seconds 00-60";
    if (seconds == 60) seconds = 59;  // leap second
    if (pos < text.size() && (text[pos] == '.' || text[pos] == ',')) {
      ++pos;
      size_t start = pos;
      int64_t fraction = 0;
      while (pos < text.size() && IsAsciiDigit(text[pos])) {
        if (pos - start < 6) fraction = fraction * 10 + (text[pos] - '0');
        ++pos;
      }
      if (pos == start) return "expected digits after the decimal point";
      for (size_t d = std::min<size_t>(pos - start, 6); d < 6; ++d) fraction *= 10;
      out->micros = fraction;
    }
  }
  skip_spaces();
  if (pos + 1 < text.size() && (text[pos + 1] == 'm' || text[pos + 1] == 'M') &&
      (pos + 2 == text.size() || !IsAsciiAlpha(text[pos + 2]))) {
    const char half = static_cast<char>(text[pos] | 0x20);
    if (half == 'a' || half == 'p') {
      if (hours < 1 || hours > 12) return "hours must be 1-12 with AM/PM";
      hours = hours % 12 + (half == 'p' ? 12 : 0);
      pos += 2;
      skip_spaces();
    }
  }
  if (hours > 23) return "expected hours 00-23";
  std::string_view zone = text.substr(pos);
  if (zone.empty() || zone == "Z" || zone == "z" || zone == "UTC" || zone == "GMT") {
    out->offset_seconds = 0;
  } else if (zone[0] == '+' || zone[0] == '-') {
    pos += 1;
    int offset_hours = 0, offset_minutes = 0;
    if (!read_number(2, 2, &offset_hours) || offset_hours > 23) return "bad UTC offset";
    if (pos < text.size() && text[pos] == ':') ++pos;
    if (pos < text.size() && (!read_number(2, 2, &offset_minutes) || offset_minutes > 59)) {
      return "bad UTC offset";
    }
    if (pos != text.size()) return "unexpected text after the UTC offset";
    const int64_t offset = offset_hours * 3600 + offset_minutes * 60;
    out->offset_seconds = zone[0] == '+' ? offset : -offset;
  } else {
    return "unexpected text after the time";
  }
  out->seconds = hours * 3600 + minutes * 60 + seconds;
  return {};
}

// Splits "<date> <time>" or "<date>T<time>". Returns false when there is no
// ':' (no time); otherwise `date_part` and `time_part` are set.
bool SplitDateAndTime(std::string_view text, std::string_view* date_part,
                      std::string_view* time_part) {
  const size_t colon = text.find(':');
  if (colon == std::string_view::npos) return false;
  const size_t split = text.find_last_of(" Tt", colon);
  if (split == std::string_view::npos) {
    *date_part = {};
    *time_part = text;
    return true;
  }
  *date_part = TrimSpace(text.substr(0, split));
  *time_part = text.substr(split + 1);
  return true;
}

// The year range read in DateOptions::low_year_calendar (Persian or Hijri).
constexpr int kLowYearFirst = 1200;
constexpr int kLowYearLast = 1599;

Result<CivilDate> ConvertDate(std::string_view raw, int year, int month, int day,
                              Calendar calendar) {
  if (month < 1 || month > 12) {
    return InvalidArgument(Quote(raw) + ": month " + std::to_string(month) +
                           " is out of range 1-12");
  }
  if (day < 1 || day > 31) return InvalidArgument(Quote(raw) + ": no such day");
  if (calendar == Calendar::kGregorian) {
    CivilDate date{year, month, day};
    if (!date.IsValid()) return InvalidArgument(Quote(raw) + ": no such day");
    return date;
  }
  Result<CivilDate> date = ToGregorian(calendar, year, month, day);
  if (!date.ok()) return date.status().WithContext(Quote(raw));
  return date;
}

// Chooses the calendar for a numeric date by its year.
Result<CivilDate> ConvertNumericDate(std::string_view raw, int year, int month, int day,
                                     const DateOptions& options) {
  if (year < kLowYearFirst) {
    return InvalidArgument(Quote(raw) + ": year " + std::to_string(year) + " is out of range");
  }
  const Calendar calendar = year <= kLowYearLast ? options.low_year_calendar : Calendar::kGregorian;
  return ConvertDate(raw, year, month, day, calendar);
}

std::string TwoDigitYear(std::string_view raw, std::string_view year) {
  return Quote(raw) + ": two-digit year '" + std::string(year) +
         "' is ambiguous; write the year with four digits";
}

// ParseDate without a time part.
Result<CivilDate> ParseDateOnly(std::string_view raw, std::string_view text,
                                const DateOptions& options) {
  if (text.empty()) return InvalidArgument("empty date");
  std::vector<DateToken> all;
  all.reserve(4);
  std::string problem = TokenizeDate(text, &all);
  if (!problem.empty()) return InvalidArgument(Quote(raw) + " is not a date: " + problem);

  std::vector<DateToken> numbers;
  std::vector<std::pair<DateToken, MonthName>> months;
  for (size_t k = 0; k < all.size(); ++k) {
    const DateToken& t = all[k];
    if (t.is_number) {
      numbers.push_back(t);
      continue;
    }
    const std::string folded = FoldForMatching(t.text);
    // Ordinal suffixes glued to a number: "5th", "1st", "22nd", "3rd".
    if (k > 0 && all[k - 1].is_number && t.separator == 0 &&
        (folded == "st" || folded == "nd" || folded == "rd" || folded == "th")) {
      continue;
    }
    auto month = MonthNames().find(folded);
    if (month != MonthNames().end()) {
      months.emplace_back(t, month->second);
      continue;
    }
    if (IsIgnorableDateWord(folded)) continue;
    return InvalidArgument(Quote(raw) + " is not a date: unknown word " + Quote(t.text));
  }
  if (months.size() > 1) {
    return InvalidArgument(Quote(raw) + " is not a date: more than one month name");
  }

  if (months.size() == 1) {
    const MonthName month = months[0].second;
    if (numbers.size() != 2) {
      return InvalidArgument(Quote(raw) + " is not a date: expected a day and a year with " +
                             Quote(months[0].first.text));
    }
    const DateToken* year = nullptr;
    const DateToken* day = nullptr;
    if (numbers[0].digits == 4 && numbers[1].digits <= 2) {
      year = &numbers[0];
      day = &numbers[1];
    } else if (numbers[1].digits == 4 && numbers[0].digits <= 2) {
      year = &numbers[1];
      day = &numbers[0];
    } else if (numbers[1].digits == 2 && numbers[0].digits <= 2) {
      return InvalidArgument(TwoDigitYear(raw, numbers[1].text));
    } else {
      return InvalidArgument(Quote(raw) +
                             " is not a date: expected a 1-2 digit day and a 4-digit year");
    }
    if (month.calendar == Calendar::kPersian) {
      if (year->value < kLowYearFirst || year->value > kLowYearLast) {
        return InvalidArgument(Quote(raw) + ": year " + std::string(year->text) +
                               " is not a Persian (Solar Hijri) year");
      }
      return ConvertDate(raw, year->value, month.month, day->value, Calendar::kPersian);
    }
    if (year->value < kLowYearFirst) {
      return InvalidArgument(Quote(raw) + ": year " + std::string(year->text) + " is out of range");
    }
    return ConvertDate(raw, year->value, month.month, day->value, Calendar::kGregorian);
  }

  if (numbers.size() == 1 && numbers[0].digits == 8) {  // YYYYMMDD
    const int v = numbers[0].value;
    return ConvertNumericDate(raw, v / 10000, v / 100 % 100, v % 100, options);
  }
  if (numbers.size() != 3) {
    return InvalidArgument(Quote(raw) + " is not a date: unrecognised format");
  }
  const DateToken& a = numbers[0];
  const DateToken& b = numbers[1];
  const DateToken& c = numbers[2];
  const char separator = b.separator;
  if (c.separator != separator || (separator != '-' && separator != '/' && separator != '.')) {
    return InvalidArgument(Quote(raw) +
                           " is not a date: expected '-', '/' or '.' between the numbers");
  }
  if (a.digits == 4 && b.digits <= 2 && c.digits <= 2) {  // Y-M-D
    return ConvertNumericDate(raw, a.value, b.value, c.value, options);
  }
  if (c.digits == 4 && a.digits <= 2 && b.digits <= 2) {
    // D-M-Y or M-D-Y. A number above 12 can only be the day, whatever the
    // options say. Dotted dates are day-first everywhere they are used.
    bool day_first = options.order == DateOrder::kDayMonthYear || separator == '.';
    if (a.value > 12) {
      day_first = true;
    } else if (b.value > 12) {
      day_first = false;
    }
    return day_first ? ConvertNumericDate(raw, c.value, b.value, a.value, options)
                     : ConvertNumericDate(raw, c.value, a.value, b.value, options);
  }
  if (c.digits == 2 && a.digits <= 2 && b.digits <= 2) {
    return InvalidArgument(TwoDigitYear(raw, c.text));
  }
  if (a.digits == 2 && b.digits <= 2 && c.digits <= 2) {
    return InvalidArgument(TwoDigitYear(raw, a.text));
  }
  return InvalidArgument(Quote(raw) + " is not a date: unrecognised format");
}

Instant AtMidnight(CivilDate date) { return Instant::FromSeconds(date.ToDays() * 86400); }

// ---------------------------------------------------------------------------
// Numbers
// ---------------------------------------------------------------------------

// Replaces non-ASCII digits and separators with ASCII ones: Persian/Arabic
// digits, Unicode spaces (NBSP and thin spaces group thousands in Swedish and
// French) -> ' ', typographic apostrophes (Swiss grouping) -> '\'', the
// minus sign -> '-'. Other characters are kept. Returns false on bad UTF-8.
bool CleanNumber(std::string_view raw, std::string* out) {
  *out = AsciiDigits(TrimSpace(raw));
  bool ascii = std::all_of(out->begin(), out->end(),
                           [](char c) { return static_cast<unsigned char>(c) < 0x80; });
  if (ascii) return true;
  std::string cleaned;
  cleaned.reserve(out->size());
  const auto* s = reinterpret_cast<const uint8_t*>(out->data());
  const int32_t n = static_cast<int32_t>(out->size());
  for (int32_t i = 0; i < n;) {
    const int32_t start = i;
    UChar32 c;
    U8_NEXT(s, i, n, c);
    if (c < 0) return false;
    if (c >= 0x80 && u_isUWhiteSpace(c)) {
      cleaned.push_back(' ');
    } else if (c == 0x2019 || c == 0x02BC) {
      cleaned.push_back('\'');
    } else if (c == 0x2212) {
      cleaned.push_back('-');
    } else {
      cleaned.append(*out, static_cast<size_t>(start), static_cast<size_t>(i - start));
    }
  }
  *out = std::move(cleaned);
  return true;
}

// True when `token` is a currency symbol or code: "€", "$", "US$", "SEK",
// "kr", "kr.", ":-" (Swedish "12:-"), "ریال".
bool IsCurrencyAffix(std::string_view token) {
  if (token.empty()) return false;
  if (token == ":-") return true;
  const auto* s = reinterpret_cast<const uint8_t*>(token.data());
  const int32_t n = static_cast<int32_t>(token.size());
  int32_t letters = 0;
  int32_t i = 0;
  while (i < n && IsAsciiAlpha(token[static_cast<size_t>(i)])) {
    ++letters;
    ++i;
  }
  if (i == n) {
    if (letters == 3) return true;  // ISO 4217 code
    std::string lower = AsciiLower(token);
    return lower == "kr" || lower == "rs";
  }
  if (token.substr(static_cast<size_t>(i)) == "." && letters > 0) {
    std::string lower = AsciiLower(token.substr(0, static_cast<size_t>(letters)));
    return lower == "kr" || lower == "rs";
  }
  // Up to three letters followed by currency symbols: "$", "US$", "€".
  if (letters > 3) return false;
  bool any_symbol = false;
  while (i < n) {
    UChar32 c;
    U8_NEXT(s, i, n, c);
    if (c < 0 || u_charType(c) != U_CURRENCY_SYMBOL) {
      any_symbol = false;
      break;
    }
    any_symbol = true;
  }
  if (any_symbol) return true;
  const std::string folded = FoldForMatching(token);
  return folded == FoldForMatching("\u0631\u06CC\u0627\u0644");  // ریال (rial)
}

struct DecimalNumber {
  bool negative = false;
  std::string integer_digits;
  std::string fraction_digits;
};

// What the separators in a number body mean.
struct SeparatorReading {
  char decimal = 0;  // '.', ',' or 0 when the number has no fraction
  bool ambiguous = false;
};

// Decides which of '.' and ',' is the decimal separator in `body` (digits,
// '.', ',', ' ', '\''). Spaces and apostrophes only ever group thousands.
//  - both '.' and ',' present: the last one is the decimal separator;
//  - one of them, several times: it groups thousands ("1.234.567");
//  - one of them once, with exactly three digits after it and 1-3 digits (not
//    starting with 0) before it and no other grouping ("1,234", "1.000"): the
//    thousands-group shape.
//      ',' is read as thousands ("1,234" = 1234) when the amount has fewer
//      than 3 decimals: a decimal reading could only be an error then.
//      '.' is ambiguous: English/machine-written "1.000" is 1, German or
//      Persian-style "1.000" is 1000; reading either silently would be wrong
//      by a factor of 1000 for someone, so it is rejected.
//      With 3 or more decimals (minor_digits >= 3), '.' is the decimal point
//      (as in machine-written numbers, "1.234" from JSON) and ',' is ambiguous.
//  - otherwise the single '.' or ',' is the decimal separator.
SeparatorReading ReadSeparators(std::string_view body, int minor_digits) {
  const size_t last_dot = body.rfind('.');
  const size_t last_comma = body.rfind(',');
  const bool has_dot = last_dot != std::string_view::npos;
  const bool has_comma = last_comma != std::string_view::npos;
  SeparatorReading reading;
  if (has_dot && has_comma) {
    reading.decimal = last_dot > last_comma ? '.' : ',';
    return reading;
  }
  if (!has_dot && !has_comma) return reading;
  const char sep = has_dot ? '.' : ',';
  const size_t pos = has_dot ? last_dot : last_comma;
  if (std::count(body.begin(), body.end(), sep) > 1) return reading;  // grouping only
  const std::string_view before = body.substr(0, pos);
  const std::string_view after = body.substr(pos + 1);
  const bool other_grouping = before.find_first_of(" '") != std::string_view::npos;
  const bool thousands_shape = after.size() == 3 && !before.empty() && before.size() <= 3 &&
                               before[0] != '0' && !other_grouping;
  if (!thousands_shape) {
    reading.decimal = sep;
    return reading;
  }
  if (sep == '.') {
    if (minor_digits >= 3) {
      reading.decimal = '.';
    } else {
      reading.ambiguous = true;
    }
    return reading;
  }
  if (minor_digits >= 3) reading.ambiguous = true;
  return reading;  // ',' groups thousands
}

// Parses a decimal number with optional sign, grouping and (when
// `allow_currency`) a currency symbol or code before or after it.
// On failure returns the reason (without the input).
std::string ParseDecimal(std::string_view raw, bool allow_currency, int minor_digits,
                         DecimalNumber* out) {
  std::string text;
  if (!CleanNumber(raw, &text)) return "not valid UTF-8";
  if (text.empty()) return "empty";
  std::string_view s = text;

  // Accounting negatives: "(12.50)".
  bool negative = false;
  if (s.size() >= 2 && s.front() == '(' && s.back() == ')') {
    negative = true;
    s = TrimSpace(s.substr(1, s.size() - 2));
  }
  auto take_sign = [&]() {
    if (!s.empty() && (s.front() == '-' || s.front() == '+')) {
      if (negative && s.front() == '-') return false;  // "(-12)" or "--12"
      negative = negative || s.front() == '-';
      s = TrimSpace(s.substr(1));
    }
    return true;
  };
  if (!take_sign()) return "more than one minus sign";

  // A currency affix is everything before the first digit/separator or after
  // the last digit, when that is not part of the number.
  auto number_starts_at = [&s](size_t i) {
    const char c = s[i];
    if (IsAsciiDigit(c) || c == '-' || c == '+') return true;
    return (c == '.' || c == ',') && i + 1 < s.size() && IsAsciiDigit(s[i + 1]);
  };
  size_t first = 0;
  while (first < s.size() && !number_starts_at(first)) ++first;
  if (first > 0) {
    std::string_view prefix = TrimSpace(s.substr(0, first));
    if (!allow_currency || !IsCurrencyAffix(prefix)) {
      return "unexpected text '" + std::string(prefix) + "'";
    }
    s = s.substr(first);
    if (!take_sign()) return "more than one minus sign";
  }
  size_t last = s.size();
  while (last > 0 && !IsAsciiDigit(s[last - 1])) --last;
  if (last == 0) return "no digits";
  if (last < s.size()) {
    std::string_view suffix = TrimSpace(s.substr(last));
    // "12," or "12." leave the separator in the suffix: no digits follow it.
    // "12,-" and "12.-" are the Scandinavian/German way to write whole units.
    const bool whole_units = suffix == ",-" || suffix == ".-";
    if (suffix == "." || suffix == ",") return "no digits after the decimal separator";
    if (!whole_units && (!allow_currency || !IsCurrencyAffix(suffix))) {
      return "unexpected text '" + std::string(suffix) + "'";
    }
    s = TrimSpace(s.substr(0, last));
  }

  // The body: digits and separators only; spaces and apostrophes only between digits.
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (IsAsciiDigit(c) || c == '.' || c == ',') continue;
    if ((c == ' ' || c == '\'') && i > 0 && i + 1 < s.size() && IsAsciiDigit(s[i - 1]) &&
        IsAsciiDigit(s[i + 1])) {
      continue;
    }
    if (c == '-' || c == '+') return "misplaced sign";
    return "unexpected character " + DescribeCharAt(s, i);
  }

  const SeparatorReading reading = ReadSeparators(s, minor_digits);
  if (reading.ambiguous) {
    return std::string("ambiguous: '") + (s.find('.') != std::string_view::npos ? '.' : ',') +
           "' may separate thousands or decimals; write the number without thousands "
           "separators";
  }
  std::string_view integer_part = s;
  std::string_view fraction_part;
  if (reading.decimal != 0) {
    const size_t pos = s.rfind(reading.decimal);
    integer_part = s.substr(0, pos);
    fraction_part = s.substr(pos + 1);
    if (fraction_part.empty()) return "no digits after the decimal separator";
    if (!std::all_of(fraction_part.begin(), fraction_part.end(), IsAsciiDigit)) {
      return "separators after the decimal separator";
    }
  }
  // Thousands groups: 1-3 digits, then groups of exactly 3, one kind of separator.
  char group_separator = 0;
  size_t group_length = 0;
  bool first_group = true;
  for (char c : integer_part) {
    if (IsAsciiDigit(c)) {
      ++group_length;
      out->integer_digits.push_back(c);
      continue;
    }
    if (group_separator != 0 && c != group_separator) return "mixed thousands separators";
    group_separator = c;
    if (group_length == 0 || group_length > 3 || (!first_group && group_length != 3)) {
      return "misplaced thousands separator";
    }
    first_group = false;
    group_length = 0;
  }
  if (group_separator != 0 && group_length != 3) return "misplaced thousands separator";
  if (out->integer_digits.empty() && fraction_part.empty()) return "no digits";
  out->fraction_digits = std::string(fraction_part);
  out->negative = negative;
  return {};
}

// Combines digits into a scaled integer: value * 10^minor_digits.
// Returns "" or the reason (too many decimals, overflow).
std::string ToMinorUnits(const DecimalNumber& number, int minor_digits, int64_t* out) {
  const std::string& fraction = number.fraction_digits;
  if (static_cast<int>(fraction.size()) > minor_digits) {
    const bool extra_zeros = std::all_of(fraction.begin() + minor_digits, fraction.end(),
                                         [](char c) { return c == '0'; });
    if (!extra_zeros) {
      return "has " + std::to_string(fraction.size()) + " decimals, more than " +
             std::to_string(minor_digits);
    }
  }
  uint64_t value = 0;
  constexpr uint64_t kMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  auto push_digit = [&](char d) {
    if (value > (kMax - static_cast<uint64_t>(d - '0')) / 10) return false;
    value = value * 10 + static_cast<uint64_t>(d - '0');
    return true;
  };
  for (char d : number.integer_digits) {
    if (!push_digit(d)) return "too large";
  }
  for (int k = 0; k < minor_digits; ++k) {
    const char d = k < static_cast<int>(fraction.size()) ? fraction[static_cast<size_t>(k)] : '0';
    if (!push_digit(d)) return "too large";
  }
  *out = number.negative ? -static_cast<int64_t>(value) : static_cast<int64_t>(value);
  return {};
}

}  // namespace

// ---------------------------------------------------------------------------
// Public functions
// ---------------------------------------------------------------------------

namespace {

EmailCheck CheckEmailSyntax(std::string_view raw) {
  EmailCheck result;
  const std::string_view address = TrimSpace(raw);
  if (address.empty()) {
    result.reason = "empty";
    return result;
  }
  // The domain cannot contain '@', so the last one separates it, even when a
  // quoted local part contains '@' itself.
  const size_t at = address.rfind('@');
  if (at == std::string_view::npos) {
    result.reason = "missing '@'";
    return result;
  }
  const std::string_view local = address.substr(0, at);
  const std::string_view domain = address.substr(at + 1);
  result.reason = CheckLocalPart(local);
  if (!result.reason.empty()) return result;
  if (domain.empty()) {
    result.reason = "missing domain";
    return result;
  }
  if (domain.front() == '[') {
    result.reason = "IP address literals are not accepted as domains";
    return result;
  }

  // Report bad ASCII characters before IDNA, whose messages are vaguer.
  bool non_ascii = false;
  for (size_t i = 0; i < domain.size(); ++i) {
    const char c = domain[i];
    if (static_cast<unsigned char>(c) >= 0x80) {
      non_ascii = true;
    } else if (!IsDomainChar(c)) {
      result.reason = "invalid character " + DescribeCharAt(domain, i) + " in domain";
      return result;
    }
  }
  std::string ascii_domain = AsciiLower(domain);
  // IDNA for Unicode domains, and to check A-labels ("xn--…") that arrive encoded.
  if (non_ascii || ascii_domain.find("xn--") != std::string::npos) {
    if (!IsValidUtf8(domain)) {
      result.reason = "domain is not valid UTF-8";
      return result;
    }
    if (domain.size() > 1024) {
      result.reason = "domain longer than 255 characters";
      return result;
    }
    char* encoded = nullptr;
    const std::string domain_z(domain);
    const int rc =
        idn2_to_ascii_8z(domain_z.c_str(), &encoded, IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT);
    if (rc != IDN2_OK) {
      result.reason = std::string("invalid internationalized domain: ") + idn2_strerror(rc);
      if (encoded) idn2_free(encoded);
      return result;
    }
    ascii_domain = AsciiLower(encoded);
    idn2_free(encoded);
  }
  result.reason = CheckAsciiDomain(ascii_domain);
  if (!result.reason.empty()) {
    if (result.reason == "domain has no dot") {
      // "ali@gmailcom": offer the listed domain that lost its dot.
      for (std::string_view candidate : CommonDomains()) {
        std::string without_dots(candidate);
        without_dots.erase(std::remove(without_dots.begin(), without_dots.end(), '.'),
                           without_dots.end());
        if (without_dots == ascii_domain) {
          result.suggestion = std::string(local) + "@" + std::string(candidate);
          break;
        }
      }
    }
    return result;
  }

  std::string normalized;
  normalized.reserve(local.size() + 1 + ascii_domain.size());
  normalized.append(local).append("@").append(ascii_domain);
  if (normalized.size() > 254) {
    result.reason = "address longer than 254 characters";
    return result;
  }
  result.valid = true;
  std::string better_domain = SuggestDomain(ascii_domain);
  if (!better_domain.empty()) result.suggestion = std::string(local) + "@" + better_domain;
  result.normalized = std::move(normalized);
  return result;
}

// The address an invalid one was most likely meant to be, or "": a run of
// dots written once ("ali..rezaei@gmail.com"), or the '@' a listed provider's
// address lost ("aligmail.com", the longest listed domain it ends with).
std::string RepairedEmail(std::string_view address) {
  std::string repaired;
  repaired.reserve(address.size() + 1);
  for (char c : address) {
    if (c != '.' || repaired.empty() || repaired.back() != '.') repaired.push_back(c);
  }
  if (repaired.find('@') == std::string::npos) {
    const std::string lower = AsciiLower(repaired);
    std::string_view best;
    for (std::string_view domain : CommonDomains()) {
      if (domain.size() > best.size() && lower.size() > domain.size() + 1 && lower.ends_with(domain)) best = domain;
    }
    if (best.empty()) return "";
    repaired.insert(repaired.size() - best.size(), "@");
  }
  if (repaired == address) return "";
  EmailCheck check = CheckEmailSyntax(repaired);
  if (!check.valid) return "";
  return check.suggestion.empty() ? check.normalized : check.suggestion;
}

}  // namespace

EmailCheck CheckEmail(std::string_view raw) {
  EmailCheck result = CheckEmailSyntax(raw);
  if (!result.valid && result.suggestion.empty() && raw.size() <= 320) result.suggestion = RepairedEmail(TrimSpace(raw));
  return result;
}

PhoneCheck CheckPhone(std::string_view raw, std::string_view default_region) {
  PhoneCheck result;
  if (!IsValidUtf8(raw)) {
    result.reason = "not a number";
    return result;
  }
  std::string text = AsciiDigits(TrimSpace(raw));
  if (text.empty()) {
    result.reason = "empty";
    return result;
  }
  // libphonenumber stops at 250 characters anyway; nothing that long is a phone number.
  if (text.size() > 100) {
    result.reason = "too long";
    return result;
  }
  // "0046 70…": the international prefix used in most of the world, whatever
  // the default region (libphonenumber only knows the region's own prefix).
  size_t first = 0;
  while (first < text.size() && IsPhoneSeparator(text[first])) ++first;
  if (text.compare(first, 2, "00") == 0 && first + 2 < text.size() && text[first + 2] != '0') {
    text = "+" + text.substr(first + 2);
    first = 0;
  }
  const bool international = first < text.size() && text[first] == '+';
  // Parsing costs less when libphonenumber gets bare digits: when the text is
  // only digits, common separators and a leading '+', pass "+4670…" or "070…".
  // (libphonenumber drops the same separators itself, so the result is equal.)
  std::string digits_only;
  digits_only.reserve(text.size());
  bool simple = true;
  for (char c : text) {
    if (IsAsciiDigit(c)) {
      digits_only.push_back(c);
    } else if (c == '+' && digits_only.empty()) {
      digits_only.push_back(c);
    } else if (!IsPhoneSeparator(c)) {
      simple = false;
      break;
    }
  }

  std::string region;
  for (char c : default_region) {
    region.push_back(c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c);
  }

  // Most numbers are answered by evaluating libphonenumber's own metadata with
  // RE2 (phone_fast.h): the same answers at a fraction of the cost.
  if (simple) {
    std::optional<PhoneCheck> fast = FastPhoneCheck(digits_only, region);
    if (fast) return *std::move(fast);
  }

  const PhoneNumberUtil& util = PhoneUtil();
  PhoneNumber number;
  const PhoneNumberUtil::ErrorType error =
      util.Parse(simple ? digits_only : text, region.empty() ? "ZZ" : region, &number);
  switch (error) {
    case PhoneNumberUtil::NO_PARSING_ERROR:
      break;
    case PhoneNumberUtil::INVALID_COUNTRY_CODE_ERROR:
      if (international) {
        result.reason = "unknown country calling code";
      } else if (region.empty()) {
        result.reason = "no country: give a country or --default-country";
      } else {
        result.reason = "unknown region '" + region + "'";
      }
      return result;
    case PhoneNumberUtil::NOT_A_NUMBER:
      result.reason = "not a number";
      return result;
    case PhoneNumberUtil::TOO_SHORT_AFTER_IDD:
    case PhoneNumberUtil::TOO_SHORT_NSN:
      result.reason = "too short";
      return result;
    case PhoneNumberUtil::TOO_LONG_NSN:
      result.reason = "too long";
      return result;
  }

  // GetNumberType is UNKNOWN exactly when IsValidNumber is false (both match
  // the same per-region patterns), so one call answers both questions. The
  // pattern matching is most of libphonenumber's cost.
  const PhoneNumberUtil::PhoneNumberType type = util.GetNumberType(number);
  if (type == PhoneNumberUtil::UNKNOWN) {
    std::string number_region;
    util.GetRegionCodeForCountryCode(number.country_code(), &number_region);
    result.region = number_region == "ZZ" ? "" : number_region;
    switch (util.IsPossibleNumberWithReason(number)) {
      case PhoneNumberUtil::TOO_SHORT:
        result.reason = "too short";
        break;
      case PhoneNumberUtil::TOO_LONG:
        result.reason = "too long";
        break;
      case PhoneNumberUtil::INVALID_COUNTRY_CODE:
        result.reason = "unknown country calling code";
        break;
      default:
        result.reason =
            "invalid for region " +
            (result.region.empty() ? "+" + std::to_string(number.country_code()) : result.region);
        break;
    }
    return result;
  }
  result.valid = true;
  result.type = PhoneTypeName(type);
  util.Format(number, PhoneNumberUtil::E164, &result.e164);
  util.GetRegionCodeForNumber(number, &result.region);
  return result;
}

Result<CivilDate> ParseDate(std::string_view raw, const DateOptions& options) {
  const std::string text = AsciiDigits(TrimSpace(raw));
  if (text.empty()) return InvalidArgument("empty date");
  std::string_view date_part, time_part;
  if (SplitDateAndTime(text, &date_part, &time_part)) {
    // Exports often write dates as "1985-04-12 00:00:00"; a real time of day
    // means the column holds timestamps, which a date field must not truncate.
    TimeOfDay time;
    std::string problem = ParseTimeOfDay(time_part, &time);
    if (!problem.empty()) return InvalidArgument(Quote(raw) + " is not a date: " + problem);
    if (time.seconds != 0 || time.micros != 0 || time.offset_seconds != 0) {
      return InvalidArgument(Quote(raw) + " is not a date: it has a time of day");
    }
    return ParseDateOnly(raw, date_part, options);
  }
  return ParseDateOnly(raw, text, options);
}

Result<Instant> ParseTimestamp(std::string_view raw, const DateOptions& options) {
  const std::string text = AsciiDigits(TrimSpace(raw));
  if (text.empty()) return InvalidArgument("empty timestamp");

  // Unix epoch: seconds (up to 11 digits, optionally with a fraction) or
  // milliseconds (12-14 digits). Eight digits are a YYYYMMDD date first.
  const size_t point = text.find('.');
  const std::string_view whole = std::string_view(text).substr(0, point);
  const std::string_view fraction =
      point == std::string::npos ? std::string_view() : std::string_view(text).substr(point + 1);
  const bool all_digits = !whole.empty() && std::all_of(whole.begin(), whole.end(), IsAsciiDigit) &&
                          std::all_of(fraction.begin(), fraction.end(), IsAsciiDigit) &&
                          (point == std::string::npos || !fraction.empty());
  if (all_digits) {
    if (whole.size() == 8 && fraction.empty()) {
      Result<CivilDate> date = ParseDate(text, options);
      if (!date.ok()) return date.status();
      return AtMidnight(*date);
    }
    int64_t value = 0;
    for (char d : whole.substr(0, std::min<size_t>(whole.size(), 15)))
      value = value * 10 + (d - '0');
    if (whole.size() <= 11) {
      int64_t micros = 0;
      for (size_t k = 0; k < 6; ++k) {
        micros = micros * 10 + (k < fraction.size() ? fraction[k] - '0' : 0);
      }
      return Instant{value * 1'000'000 + micros};
    }
    if (whole.size() <= 14 && fraction.empty()) return Instant{value * 1'000};
    return InvalidArgument(Quote(raw) + " is not a timestamp: a " + std::to_string(whole.size()) +
                           "-digit number is neither epoch seconds nor milliseconds");
  }

  Result<Instant> iso = ParseInstant(text);
  if (iso.ok()) return iso;

  std::string_view date_part, time_part;
  if (SplitDateAndTime(text, &date_part, &time_part)) {
    TimeOfDay time;
    std::string problem = ParseTimeOfDay(time_part, &time);
    if (!problem.empty()) {
      return InvalidArgument(Quote(raw) + " is not a timestamp: " + problem);
    }
    Result<CivilDate> date = ParseDateOnly(raw, date_part, options);
    if (!date.ok()) return date.status();
    const int64_t seconds = date->ToDays() * 86400 + time.seconds - time.offset_seconds;
    return Instant{seconds * 1'000'000 + time.micros};
  }
  Result<CivilDate> date = ParseDateOnly(raw, text, options);
  if (!date.ok()) {
    // "'x' is not a date: why" reads better here as "'x' is not a timestamp: why".
    std::string message = date.status().message();
    const std::string not_a_date = Quote(raw) + " is not a date";
    if (message.rfind(not_a_date, 0) == 0) {
      message = Quote(raw) + " is not a timestamp" + message.substr(not_a_date.size());
    }
    return InvalidArgument(std::move(message));
  }
  return AtMidnight(*date);
}

Result<int64_t> ParseAmountMinor(std::string_view raw, int minor_digits) {
  if (minor_digits < 0 || minor_digits > 18) {
    return InvalidArgument("minor_digits must be 0-18, not " + std::to_string(minor_digits));
  }
  DecimalNumber number;
  std::string problem = ParseDecimal(raw, /*allow_currency=*/true, minor_digits, &number);
  if (problem == "empty") return InvalidArgument("empty amount");
  if (problem.empty()) {
    int64_t value = 0;
    problem = ToMinorUnits(number, minor_digits, &value);
    if (problem.empty()) return value;
  }
  return InvalidArgument(Quote(raw) + " is not an amount: " + problem);
}

Result<int64_t> ParseInteger(std::string_view raw) {
  DecimalNumber number;
  std::string problem = ParseDecimal(raw, /*allow_currency=*/false, 0, &number);
  if (problem == "empty") return InvalidArgument("empty integer");
  if (problem.empty()) {
    int64_t value = 0;
    problem = ToMinorUnits(number, 0, &value);
    if (problem.rfind("has ", 0) == 0) problem = "it has a fractional part";
    if (problem.empty()) return value;
  }
  return InvalidArgument(Quote(raw) + " is not an integer: " + problem);
}

Result<bool> ParseBool(std::string_view raw) {
  // English, Swedish (incl. Excel's SANT/FALSKT), Persian, Arabic and consent wording.
  // clang-format off
  static constexpr const char* kYes[] = {
      "yes", "y", "true", "t", "1", "on", "ja", "sant", "granted", "opt-in", "optin", "opt in",
      "opted in", "subscribed",
      "\u0628\u0644\u0647",  // بله
      "\u0628\u0644\u06CC",  // بلی
      "\u0622\u0631\u06CC",  // آری
      "\u0646\u0639\u0645"}; // نعم
  static constexpr const char* kNo[] = {
      "no", "n", "false", "f", "0", "off", "nej", "falskt", "withdrawn", "opt-out", "optout",
      "opt out", "opted out", "unsubscribed",
      "\u062E\u06CC\u0631",  // خیر
      "\u0646\u0647",        // نه
      "\u0644\u0627"};       // لا
  // clang-format on
  // Keys are folded, so case, Arabic/Persian letter variants (خير/خیر) and
  // vowel marks do not matter.
  static const std::unordered_map<std::string, bool> kWords = [] {
    std::unordered_map<std::string, bool> words;
    for (const char* w : kYes) words[FoldForMatching(w)] = true;
    for (const char* w : kNo) words[FoldForMatching(w)] = false;
    return words;
  }();
  if (raw.size() <= 64) {
    auto it = kWords.find(FoldForMatching(AsciiDigits(raw)));
    if (it != kWords.end()) return it->second;
  }
  return InvalidArgument(Quote(raw) +
                         " is not a yes/no value (expected e.g. yes/no, true/false, 1/0, "
                         "ja/nej, opt-in/opt-out)");
}

}  // namespace patron::ingest
