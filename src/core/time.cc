#include <cstdio>
#include <ctime>

#include "core/core.h"

namespace patron {
namespace {

// Howard Hinnant's days-from-civil algorithm (public domain description).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int y, int m) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m == 2 && IsLeap(y)) return 29;
  return kDays[m - 1];
}

bool ReadDigits(std::string_view s, size_t& pos, int count, int* out) {
  if (pos + count > s.size()) return false;
  int v = 0;
  for (int i = 0; i < count; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  pos += count;
  *out = v;
  return true;
}

}  // namespace

int64_t CivilDate::ToDays() const { return DaysFromCivil(year, month, day); }

CivilDate CivilDate::FromDays(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return CivilDate{static_cast<int>(y + (m <= 2)), static_cast<int>(m), static_cast<int>(d)};
}

bool CivilDate::IsValid() const {
  return year >= 1 && year <= 9999 && month >= 1 && month <= 12 && day >= 1 &&
         day <= DaysInMonth(year, month);
}

std::string CivilDate::ToString() const {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", year, month, day);
  return buf;
}

std::string FormatInstant(Instant t) {
  int64_t secs = t.seconds();
  int64_t micros = t.micros - secs * 1'000'000;
  int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
  int64_t rem = secs - days * 86400;
  CivilDate d = CivilDate::FromDays(days);
  char buf[64];
  int n = std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d", d.year, d.month, d.day,
                        static_cast<int>(rem / 3600), static_cast<int>(rem / 60 % 60),
                        static_cast<int>(rem % 60));
  if (micros != 0) n += std::snprintf(buf + n, sizeof buf - n, ".%06lld", static_cast<long long>(micros));
  std::snprintf(buf + n, sizeof buf - n, "Z");
  return buf;
}

Result<Instant> ParseInstant(std::string_view s) {
  auto bad = [&](const char* why) {
    return InvalidArgument("'" + std::string(s) + "' is not an ISO 8601 date-time: " + why);
  };
  size_t pos = 0;
  CivilDate date;
  if (!ReadDigits(s, pos, 4, &date.year)) return bad("expected a 4-digit year");
  if (pos >= s.size() || s[pos++] != '-') return bad("expected '-' after the year");
  if (!ReadDigits(s, pos, 2, &date.month)) return bad("expected a 2-digit month");
  if (pos >= s.size() || s[pos++] != '-') return bad("expected '-' after the month");
  if (!ReadDigits(s, pos, 2, &date.day)) return bad("expected a 2-digit day");
  if (!date.IsValid()) return bad("no such calendar date");
  int64_t secs = date.ToDays() * 86400;
  int64_t micros = 0;
  if (pos == s.size()) return Instant{secs * 1'000'000};
  if (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' ') return bad("expected 'T' before the time");
  ++pos;
  int hh = 0, mm = 0, ss = 0;
  if (!ReadDigits(s, pos, 2, &hh) || hh > 23) return bad("expected hours 00-23");
  if (pos >= s.size() || s[pos++] != ':') return bad("expected ':' after the hours");
  if (!ReadDigits(s, pos, 2, &mm) || mm > 59) return bad("expected minutes 00-59");
  if (pos < s.size() && s[pos] == ':') {
    ++pos;
    if (!ReadDigits(s, pos, 2, &ss) || ss > 60) return bad("expected seconds 00-60");
    if (ss == 60) ss = 59;  // leap second: clamp
    if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
      ++pos;
      int digits = 0;
      int64_t frac = 0;
      while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
        if (digits < 6) {
          frac = frac * 10 + (s[pos] - '0');
          ++digits;
        }
        ++pos;
      }
      if (digits == 0) return bad("expected digits after the decimal point");
      while (digits < 6) {
        frac *= 10;
        ++digits;
      }
      micros = frac;
    }
  }
  secs += hh * 3600 + mm * 60 + ss;
  if (pos < s.size()) {
    char c = s[pos];
    if ((c == 'Z' || c == 'z') && pos + 1 == s.size()) {
      ++pos;
    } else if (c == '+' || c == '-') {
      ++pos;
      int oh = 0, om = 0;
      if (!ReadDigits(s, pos, 2, &oh) || oh > 23) return bad("bad UTC offset hours");
      if (pos < s.size() && s[pos] == ':') ++pos;
      if (pos < s.size() && !ReadDigits(s, pos, 2, &om)) return bad("bad UTC offset minutes");
      int64_t off = oh * 3600 + om * 60;
      secs -= (c == '+') ? off : -off;
    } else {
      return bad("unexpected text after the time");
    }
  }
  if (pos != s.size()) return bad("unexpected text after the UTC offset");
  return Instant{secs * 1'000'000 + micros};
}

Instant SystemClock::Now() const {
  auto now = std::chrono::system_clock::now().time_since_epoch();
  return Instant{std::chrono::duration_cast<std::chrono::microseconds>(now).count()};
}

const SystemClock& SystemClock::Get() {
  static const SystemClock clock;
  return clock;
}

}  // namespace patron
