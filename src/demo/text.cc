// Small text, number and time helpers of the demo generator, and its random
// distributions. Written for speed: the generator formats tens of millions of
// fields, so nothing here uses streams or printf.

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>

#include "demo/generator_internal.h"

namespace patron::demo::internal {

// ---------------------------------------------------------------------------
// Distributions
// ---------------------------------------------------------------------------

double Rng::Normal() {
  for (;;) {
    const double u = 2.0 * Unit() - 1.0;
    const double v = 2.0 * Unit() - 1.0;
    const double s = u * u + v * v;
    if (s > 0.0 && s < 1.0) return u * std::sqrt(-2.0 * std::log(s) / s);
  }
}

double Rng::Exponential(double mean) { return -mean * std::log1p(-Unit()); }

double Rng::Gamma(double shape, double scale) {
  if (shape < 1.0) {
    // Gamma(a) = Gamma(a + 1) * U^(1/a) (Marsaglia and Tsang's boost).
    const double u = 1.0 - Unit();  // (0, 1]
    return Gamma(shape + 1.0, scale) * std::pow(u, 1.0 / shape);
  }
  const double d = shape - 1.0 / 3.0;
  const double c = 1.0 / std::sqrt(9.0 * d);
  for (;;) {
    const double x = Normal();
    double v = 1.0 + c * x;
    if (v <= 0.0) continue;
    v = v * v * v;
    const double u = 1.0 - Unit();
    if (u < 1.0 - 0.0331 * x * x * x * x) return d * v * scale;
    if (std::log(u) < 0.5 * x * x + d * (1.0 - v + std::log(v))) return d * v * scale;
  }
}

double Rng::Beta(double a, double b) {
  const double x = Gamma(a, 1.0);
  const double y = Gamma(b, 1.0);
  return x / (x + y);
}

int Rng::Poisson(double mean) {
  const double limit = std::exp(-mean);
  int k = 0;
  double p = Unit();
  while (p > limit && k < 1000) {
    ++k;
    p *= Unit();
  }
  return k;
}

size_t Rng::Weighted(std::span<const double> weights) {
  double total = 0;
  for (double w : weights) total += w;
  double x = Unit() * total;
  for (size_t i = 0; i < weights.size(); ++i) {
    if (x < weights[i]) return i;
    x -= weights[i];
  }
  // Rounding left x just above the last positive weight.
  for (size_t i = weights.size(); i-- > 0;) {
    if (weights[i] > 0) return i;
  }
  return 0;
}

// ---------------------------------------------------------------------------
// UTF-8
// ---------------------------------------------------------------------------

void AppendUtf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

void DecodeUtf8(std::string_view text, std::u32string& out) {
  out.clear();
  for (size_t i = 0; i < text.size();) {
    const auto b = static_cast<unsigned char>(text[i]);
    char32_t cp;
    int extra;
    if (b < 0x80) {
      cp = b;
      extra = 0;
    } else if (b < 0xE0) {
      cp = b & 0x1F;
      extra = 1;
    } else if (b < 0xF0) {
      cp = b & 0x0F;
      extra = 2;
    } else {
      cp = b & 0x07;
      extra = 3;
    }
    ++i;
    for (int k = 0; k < extra && i < text.size(); ++k, ++i) {
      cp = (cp << 6) | (static_cast<unsigned char>(text[i]) & 0x3F);
    }
    out.push_back(cp);
  }
}

void EncodeUtf8(std::u32string_view text, std::string& out) {
  out.clear();
  for (char32_t cp : text) AppendUtf8(out, cp);
}

namespace {

std::string ReplaceDigits(std::string_view ascii, char32_t zero) {
  std::string out;
  out.reserve(ascii.size() * 2);
  for (char c : ascii) {
    if (c >= '0' && c <= '9') {
      AppendUtf8(out, zero + static_cast<char32_t>(c - '0'));
    } else {
      out.push_back(c);
    }
  }
  return out;
}

bool IsLetter(char32_t cp) {
  return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= 0xC0 && cp <= 0x24F) ||
         (cp >= 0x621 && cp <= 0x64A) || (cp >= 0x671 && cp <= 0x6D3);
}

// A letter a hurried typist might hit instead of `cp`: a neighbour on the
// keyboard for Latin letters, a letter of the same sound for Persian and
// Arabic (ز/ذ, س/ص, ت/ط, ه/ح, ق/غ), the base letter for å/ä/ö.
char32_t Confusable(char32_t cp, Rng& rng) {
  static constexpr std::string_view kRows[] = {"qwertyuiop", "asdfghjkl", "zxcvbnm"};
  if (cp < 0x80) {
    const bool upper = cp >= 'A' && cp <= 'Z';
    const char lower = static_cast<char>(upper ? cp - 'A' + 'a' : cp);
    for (std::string_view row : kRows) {
      const size_t at = row.find(lower);
      if (at == std::string_view::npos) continue;
      size_t to;
      if (at == 0) {
        to = 1;
      } else if (at + 1 == row.size()) {
        to = at - 1;
      } else {
        to = rng.Chance(0.5) ? at - 1 : at + 1;
      }
      const char replaced = row[to];
      return static_cast<char32_t>(upper ? replaced - 'a' + 'A' : replaced);
    }
    return cp;
  }
  switch (cp) {
    case U'å':
    case U'ä':
      return U'a';
    case U'ö':
      return U'o';
    case U'é':
      return U'e';
    case U'Å':
    case U'Ä':
      return U'A';
    case U'Ö':
      return U'O';
    case U'ز':
      return U'ذ';
    case U'ذ':
      return U'ز';
    case U'س':
      return U'ص';
    case U'ص':
      return U'س';
    case U'ت':
      return U'ط';
    case U'ط':
      return U'ت';
    case U'ه':
      return U'ح';
    case U'ح':
      return U'ه';
    case U'ق':
      return U'غ';
    case U'غ':
      return U'ق';
    case U'ی':
    case U'ي':
      return U'ن';
    case U'ن':
      return U'ت';
    case U'ا':
      return U'آ';
    case U'آ':
      return U'ا';
    default:
      if (cp >= 0x600 && cp <= 0x6FF) return rng.Chance(0.5) ? U'ر' : U'د';
      return cp;  // no likely slip known: the caller tries another edit
  }
}

}  // namespace

std::string PersianDigits(std::string_view ascii) { return ReplaceDigits(ascii, U'\u06F0'); }
std::string ArabicIndicDigits(std::string_view ascii) { return ReplaceDigits(ascii, U'\u0660'); }

std::string WithArabicLetters(std::string_view persian) {
  std::string out;
  out.reserve(persian.size());
  // ی (U+06CC) is DB 8C, ک (U+06A9) is DA A9; ي (U+064A) is D9 8A, ك (U+0643) is D9 83.
  for (size_t i = 0; i < persian.size(); ++i) {
    if (i + 1 < persian.size() && persian[i] == '\xDB' && persian[i + 1] == '\x8C') {
      out += "\xD9\x8A";
      ++i;
    } else if (i + 1 < persian.size() && persian[i] == '\xDA' && persian[i + 1] == '\xA9') {
      out += "\xD9\x83";
      ++i;
    } else {
      out.push_back(persian[i]);
    }
  }
  return out;
}

std::string FoldLatinToAscii(std::string_view text) {
  std::u32string cps;
  DecodeUtf8(text, cps);
  std::string out;
  out.reserve(text.size());
  for (char32_t cp : cps) {
    switch (cp) {
      case U'å':
      case U'ä':
      case U'á':
      case U'à':
        out.push_back('a');
        break;
      case U'Å':
      case U'Ä':
        out.push_back('A');
        break;
      case U'ö':
      case U'ø':
      case U'ó':
        out.push_back('o');
        break;
      case U'Ö':
        out.push_back('O');
        break;
      case U'é':
      case U'è':
        out.push_back('e');
        break;
      case U'É':
        out.push_back('E');
        break;
      case U'ü':
        out.push_back('u');
        break;
      case U'Ü':
        out.push_back('U');
        break;
      case U'ß':
        out += "ss";
        break;
      default:
        AppendUtf8(out, cp);
    }
  }
  return out;
}

std::string AsciiSlug(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : FoldLatinToAscii(text)) {
    if (c >= 'A' && c <= 'Z') {
      out.push_back(static_cast<char>(c - 'A' + 'a'));
    } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

namespace {

std::string OneLetterTypoOnce(std::string_view text, Rng& rng) {
  std::u32string cps;
  DecodeUtf8(text, cps);
  // Positions after the first character that hold a letter.
  size_t letters[64];
  size_t count = 0;
  for (size_t i = 1; i < cps.size() && count < 64; ++i) {
    if (IsLetter(cps[i])) letters[count++] = i;
  }
  if (count == 0) return std::string(text);
  const size_t at = letters[rng.Below(count)];
  switch (rng.Below(4)) {
    case 0:
      cps[at] = Confusable(cps[at], rng);
      break;
    case 1:
      cps.erase(at, 1);
      break;
    case 2:
      if (at + 1 < cps.size() && IsLetter(cps[at + 1]) && cps[at] != cps[at + 1]) {
        std::swap(cps[at], cps[at + 1]);
      } else {
        cps[at] = Confusable(cps[at], rng);
      }
      break;
    default:
      cps.insert(at, 1, cps[at]);
  }
  std::string out;
  EncodeUtf8(cps, out);
  return out;
}

}  // namespace

std::string OneLetterTypo(std::string_view text, Rng& rng) {
  for (int attempt = 0; attempt < 4; ++attempt) {
    std::string out = OneLetterTypoOnce(text, rng);
    if (out != text) return out;
  }
  return std::string(text);
}

// ---------------------------------------------------------------------------
// Formatting
// ---------------------------------------------------------------------------

void AppendInt(std::string& out, int64_t value) {
  char buf[24];
  const auto result = std::to_chars(buf, buf + sizeof buf, value);
  out.append(buf, result.ptr);
}

void AppendPadded(std::string& out, int64_t value, int width) {
  char buf[24];
  const auto result = std::to_chars(buf, buf + sizeof buf, value);
  for (int n = static_cast<int>(result.ptr - buf); n < width; ++n) out.push_back('0');
  out.append(buf, result.ptr);
}

void AppendDate(std::string& out, CivilDate date) {
  AppendPadded(out, date.year, 4);
  out.push_back('-');
  AppendPadded(out, date.month, 2);
  out.push_back('-');
  AppendPadded(out, date.day, 2);
}

namespace {

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

void AppendDateTime(std::string& out, int64_t seconds) {
  const int64_t day = FloorDiv(seconds, 86400);
  const int64_t rem = seconds - day * 86400;
  AppendDate(out, CivilDate::FromDays(day));
  out.push_back('T');
  AppendPadded(out, rem / 3600, 2);
  out.push_back(':');
  AppendPadded(out, rem / 60 % 60, 2);
  out.push_back(':');
  AppendPadded(out, rem % 60, 2);
}

}  // namespace

void AppendUtcTimestamp(std::string& out, int64_t unix_seconds, int millis) {
  AppendDateTime(out, unix_seconds);
  if (millis >= 0) {
    out.push_back('.');
    AppendPadded(out, millis, 3);
  }
  out.push_back('Z');
}

void AppendLocalTimestamp(std::string& out, int64_t unix_seconds, int offset_minutes) {
  AppendDateTime(out, unix_seconds + offset_minutes * 60);
  const int magnitude = offset_minutes < 0 ? -offset_minutes : offset_minutes;
  out.push_back(offset_minutes < 0 ? '-' : '+');
  AppendPadded(out, magnitude / 60, 2);
  out.push_back(':');
  AppendPadded(out, magnitude % 60, 2);
}

void AppendAmount(std::string& out, int64_t minor, int digits) {
  if (minor < 0) {
    out.push_back('-');
    minor = -minor;
  }
  int64_t scale = 1;
  for (int i = 0; i < digits; ++i) scale *= 10;
  AppendInt(out, minor / scale);
  if (digits > 0) {
    out.push_back('.');
    AppendPadded(out, minor % scale, digits);
  }
}

void AppendJsonString(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (u < 0x20) {
      out += "\\u00";
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 0xF]);
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
}

// ---------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------

OutputFile::~OutputFile() {
  if (file_ != nullptr) std::fclose(file_);
}

Status OutputFile::Open(const std::string& path) {
  path_ = path;
  file_ = std::fopen(path.c_str(), "wb");
  if (file_ == nullptr) {
    return IoError("cannot create " + path + ": " + std::strerror(errno));
  }
  buffer_.reserve(kFlushBytes + (64 << 10));
  return Status::Ok();
}

void OutputFile::Flush() {
  if (file_ != nullptr && error_ == 0 && !buffer_.empty()) {
    if (std::fwrite(buffer_.data(), 1, buffer_.size(), file_) != buffer_.size()) error_ = errno;
  }
  buffer_.clear();
}

Status OutputFile::Close() {
  if (file_ == nullptr) return IoError(path_ + " is not open");
  Flush();
  if (std::fclose(file_) != 0 && error_ == 0) error_ = errno;
  file_ = nullptr;
  if (error_ != 0) return IoError("cannot write " + path_ + ": " + std::strerror(error_));
  return Status::Ok();
}

CsvRow& CsvRow::Field(std::string_view text) {
  Separator();
  bool quote = false;
  for (char c : text) {
    if (c == delimiter_ || c == '"' || c == '\n' || c == '\r') {
      quote = true;
      break;
    }
  }
  if (!quote) {
    out_.append(text);
    return *this;
  }
  out_.push_back('"');
  for (char c : text) {
    if (c == '"') out_.push_back('"');
    out_.push_back(c);
  }
  out_.push_back('"');
  return *this;
}

// ---------------------------------------------------------------------------
// Calendars
// ---------------------------------------------------------------------------

namespace {

// 0 = Sunday. 1970-01-01 was a Thursday.
int Weekday(int64_t day) { return static_cast<int>(((day % 7) + 7 + 4) % 7); }

// Day number of the last `weekday` of month (y, m).
int64_t LastWeekdayOf(int y, int m, int weekday) {
  const int next_y = m == 12 ? y + 1 : y;
  const int next_m = m == 12 ? 1 : m + 1;
  int64_t day = CivilDate{next_y, next_m, 1}.ToDays() - 1;
  while (Weekday(day) != weekday) --day;
  return day;
}

// Day number of the n-th (1-based) `weekday` of month (y, m).
int64_t NthWeekdayOf(int y, int m, int weekday, int n) {
  int64_t day = CivilDate{y, m, 1}.ToDays();
  while (Weekday(day) != weekday) ++day;
  return day + 7 * (n - 1);
}

}  // namespace

int64_t NthWeekdayOfMonth(int year, int month, int weekday, int n) {
  return NthWeekdayOf(year, month, weekday, n);
}

int UtcOffsetMinutes(CountryCode country, int64_t day) {
  const int year = CivilDate::FromDays(day).year;
  switch (country) {
    case CountryCode::kIR:
      return 210;  // Iran has kept +03:30 all year since 2022.
    case CountryCode::kAE:
      return 240;
    case CountryCode::kSA:
    case CountryCode::kQA:
    case CountryCode::kJO:  // Jordan: +03:00 all year since 2022.
      return 180;
    case CountryCode::kEG: {
      // Summer time again since 2023: last Friday of April to last Thursday of October.
      const bool summer = day >= LastWeekdayOf(year, 4, 5) && day <= LastWeekdayOf(year, 10, 4);
      return summer ? 180 : 120;
    }
    case CountryCode::kSE:
    case CountryCode::kDE:
    case CountryCode::kGB: {
      const int base = country == CountryCode::kGB ? 0 : 60;
      const bool summer = day >= LastWeekdayOf(year, 3, 0) && day < LastWeekdayOf(year, 10, 0);
      return base + (summer ? 60 : 0);
    }
    case CountryCode::kUS: {
      const bool summer = day >= NthWeekdayOf(year, 3, 0, 2) && day < NthWeekdayOf(year, 11, 0, 1);
      return summer ? -240 : -300;
    }
  }
  return 0;
}

const std::string& JalaliCache::Format(int64_t day) {
  static const std::string kEmpty;
  // Sized once, so references handed out stay valid for the cache's lifetime.
  if (formatted_.empty()) {
    first_day_ = CivilDate{1900, 1, 1}.ToDays();
    formatted_.resize(static_cast<size_t>(CivilDate{2101, 1, 1}.ToDays() - first_day_));
  }
  const int64_t slot = day - first_day_;
  if (slot < 0 || static_cast<size_t>(slot) >= formatted_.size()) return kEmpty;
  std::string& text = formatted_[slot];
  if (text.empty()) {
    Result<CivilDate> jalali = FromGregorian(Calendar::kPersian, CivilDate::FromDays(day));
    if (!jalali.ok()) return kEmpty;
    AppendPadded(text, jalali->year, 4);
    text.push_back('/');
    AppendPadded(text, jalali->month, 2);
    text.push_back('/');
    AppendPadded(text, jalali->day, 2);
  }
  return text;
}

}  // namespace patron::demo::internal
