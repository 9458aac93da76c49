// Normalisers and validators of identity/identity.h.
#include <unicode/translit.h>
#include <unicode/unistr.h>
#include <unicode/utf8.h>

#include <array>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "identity/identity.h"
#include "identity/linkage_internal.h"

namespace patron::identity {
namespace {

// Swedish (and Danish/Norwegian) letters that are letters of their own, not
// accented vowels. FoldForMatching would strip their marks, so NormalizeName
// swaps them for private-use code points around the fold and back.
struct ProtectedLetter {
  UChar32 lower, upper, placeholder;
};
constexpr std::array<ProtectedLetter, 5> kProtectedLetters = {{
    {0x00E5, 0x00C5, 0xE000},  // å Å
    {0x00E4, 0x00C4, 0xE001},  // ä Ä
    {0x00F6, 0x00D6, 0xE002},  // ö Ö
    {0x00F8, 0x00D8, 0xE003},  // ø Ø
    {0x00E6, 0x00C6, 0xE004},  // æ Æ
}};

void AppendUtf8(std::string& out, UChar32 c) {
  char buf[U8_MAX_LENGTH];
  int32_t len = 0;
  U8_APPEND_UNSAFE(buf, len, c);
  out.append(buf, static_cast<size_t>(len));
}

template <typename Fn>
void ForEachCodePoint(std::string_view text, Fn&& fn) {
  const auto* s = reinterpret_cast<const uint8_t*>(text.data());
  const int32_t n = static_cast<int32_t>(text.size());
  for (int32_t i = 0; i < n;) {
    UChar32 c;
    U8_NEXT_OR_FFFD(s, i, n, c);
    fn(c);
  }
}

bool IsNameSeparator(UChar32 c) {
  // Hyphens, apostrophes, dots and other punctuation split or join name parts
  // inconsistently across sources ("Al-Hassan", "O'Brien", "J.").
  return c == '-' || c == '\'' || c == '.' || c == ',' || c == '_' || c == '/' || c == 0x2019 ||
         c == 0x2010 || c == 0x2013 || c == 0x060C /* Arabic comma */ || c == '(' || c == ')';
}

// Collapses runs of spaces and trims.
std::string CollapseSpaces(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool pending = false;
  for (char c : text) {
    if (c == ' ') {
      pending = !out.empty();
      continue;
    }
    if (pending) out.push_back(' ');
    pending = false;
    out.push_back(c);
  }
  return out;
}

// ICU transliterators are not thread-safe: each thread uses its own clone of
// one instance made on first use (cloning is much cheaper than creating).
icu::Transliterator& ThreadRomanizer() {
  static std::mutex mutex;
  static icu::Transliterator* const prototype = [] {
    UErrorCode status = U_ZERO_ERROR;
    icu::Transliterator* t = icu::Transliterator::createInstance("Any-Latin; Latin-ASCII", UTRANS_FORWARD, status);
    if (U_FAILURE(status) || !t) std::abort();  // ICU data missing: unusable build
    return t;
  }();
  thread_local std::unique_ptr<icu::Transliterator> mine = [] {
    std::lock_guard<std::mutex> lock(mutex);
    std::unique_ptr<icu::Transliterator> t(prototype->clone());
    if (!t) std::abort();
    return t;
  }();
  return *mine;
}

bool IsAsciiText(std::string_view text) {
  for (char c : text) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

// Keeps ASCII digits only, after converting Persian/Arabic-Indic digits;
// returns false when anything but digits, spaces and '-' is present.
bool DigitsOnly(std::string_view text, std::string& digits, std::string* separators = nullptr) {
  digits.clear();
  for (char c : AsciiDigits(text)) {
    if (c >= '0' && c <= '9') {
      digits.push_back(c);
    } else if (c == ' ' || c == '-' || c == '+') {
      if (separators) separators->push_back(c);
    } else {
      return false;
    }
  }
  return true;
}

bool IsLeapYear(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

bool IsValidMonthDay(int year, int month, int day) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1) return false;
  int max_day = kDays[month - 1] + (month == 2 && IsLeapYear(year) ? 1 : 0);
  return day <= max_day;
}

int TwoDigits(std::string_view s, size_t at) { return (s[at] - '0') * 10 + (s[at + 1] - '0'); }

bool LuhnValid(std::string_view digits) {
  int sum = 0;
  bool double_it = false;
  for (size_t i = digits.size(); i-- > 0;) {
    int d = digits[i] - '0';
    if (double_it) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double_it = !double_it;
  }
  return sum % 10 == 0;
}

}  // namespace

std::string NormalizeName(std::string_view name) {
  std::string protected_text;
  protected_text.reserve(name.size());
  bool any_protected = false;
  ForEachCodePoint(name, [&](UChar32 c) {
    for (const auto& letter : kProtectedLetters) {
      if (c == letter.lower || c == letter.upper) {
        c = letter.placeholder;
        any_protected = true;
        break;
      }
    }
    AppendUtf8(protected_text, IsNameSeparator(c) ? ' ' : c);
  });
  // FoldForMatching works on NFC text; a decomposed "a" + ring would escape the
  // protection above, so compose first.
  if (!any_protected && !IsAsciiText(name)) {
    std::string composed = NormalizeText(name);
    if (composed != name) return NormalizeName(composed);
  }
  std::string folded = FoldForMatching(protected_text);
  if (!any_protected) return CollapseSpaces(folded);
  std::string out;
  out.reserve(folded.size());
  ForEachCodePoint(folded, [&](UChar32 c) {
    for (const auto& letter : kProtectedLetters) {
      if (c == letter.placeholder) {
        c = letter.lower;
        break;
      }
    }
    AppendUtf8(out, c);
  });
  return CollapseSpaces(out);
}

namespace {

// Lower-case ASCII letters, digits and single spaces only: transliteration
// leaves marks such as ʿ (ain) and ʾ (hamza) that spellings in Latin script
// never write.
std::string LettersDigitsAndSpaces(std::string_view latin) {
  std::string out;
  out.reserve(latin.size());
  for (char c : latin) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      out.push_back(c);
    } else if (c == ' ') {
      out.push_back(' ');
    }
  }
  return CollapseSpaces(out);
}

}  // namespace

std::string Romanize(std::string_view name) {
  std::string folded = NormalizeName(name);
  std::string latin;
  if (IsAsciiText(folded)) {
    latin = std::move(folded);
  } else {
    // Names repeat: a million records hold a few thousand distinct ones, and
    // transliteration is the costliest step of preparing a record.
    thread_local std::unordered_map<std::string, std::string> cache;
    if (auto hit = cache.find(folded); hit != cache.end()) return hit->second;
    icu::UnicodeString text = icu::UnicodeString::fromUTF8(
        icu::StringPiece(folded.data(), static_cast<int32_t>(folded.size())));
    ThreadRomanizer().transliterate(text);
    text.toUTF8String(latin);
    std::string out = LettersDigitsAndSpaces(latin);
    if (cache.size() >= 200000) cache.clear();  // bounded: names are few, other text is not
    cache.emplace(std::move(folded), out);
    return out;
  }
  return LettersDigitsAndSpaces(latin);
}

std::string NameSkeleton(std::string_view name) { return internal::SkeletonOfRomanized(Romanize(name)); }

namespace internal {

std::string SkeletonOfRomanized(std::string_view latin) {
  std::string out;
  out.reserve(latin.size());
  for (char c : latin) {
    switch (c) {
      case 'a': case 'e': case 'i': case 'o': case 'u': case 'y': case 'w': case ' ':
        continue;
      default:
        break;
    }
    if (c >= '0' && c <= '9') continue;
    if (!out.empty() && out.back() == c) continue;
    out.push_back(c);
  }
  return out;
}

bool InArabicScript(std::string_view text) {
  // U+0600..U+06FF are encoded with lead bytes 0xD8..0xDB.
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0xD8 && byte <= 0xDB) return true;
  }
  return false;
}

namespace {

// The class of an Arabic-script letter: a consonant class letter, ' ' for a
// word boundary, 'h' for ه (dropped at the end of a word), 0 for letters and
// marks left out.
char ArabicLetterClass(UChar32 c) {
  switch (c) {
    case 0x0628: return 'b';                                      // ب
    case 0x067E: return 'p';                                      // پ
    case 0x062A: case 0x0637: return 't';                         // ت ط
    case 0x062B: case 0x0633: case 0x0635: return 's';            // ث س ص
    case 0x062C: case 0x06AF: case 0x0698: return 'j';            // ج گ ژ
    case 0x0686: return 'c';                                      // چ
    case 0x062D: return 'H';                                      // ح: kept at the end
    case 0x0647: case 0x06C0: return 'h';                         // ه ۀ
    case 0x062E: return 'x';                                      // خ
    case 0x062F: return 'd';                                      // د
    case 0x0630: case 0x0632: case 0x0636: case 0x0638: return 'z';  // ذ ز ض ظ
    case 0x0631: return 'r';                                      // ر
    case 0x0634: return 'S';                                      // ش
    case 0x063A: case 0x0642: case 0x06A9: case 0x0643: return 'k';  // غ ق ک ك
    case 0x0641: return 'f';                                      // ف
    case 0x0644: return 'l';                                      // ل
    case 0x0645: return 'm';                                      // م
    case 0x0646: return 'n';                                      // ن
    case ' ': case 0x200C: case 0x200D: case '-': return ' ';
    default: return 0;  // vowels, semivowels, hamza, ain, teh marbuta, marks
  }
}

// The class of the Latin letters at `text[i]`, advancing `i` past a digraph.
char LatinLetterClass(std::string_view text, size_t& i) {
  const char c = text[i];
  const char next = i + 1 < text.size() ? text[i + 1] : '\0';
  if (next == 'h') {
    char digraph = 0;
    switch (c) {
      case 'k': digraph = 'x'; break;
      case 'g': digraph = 'k'; break;
      case 's': digraph = 'S'; break;
      case 'c': digraph = 'c'; break;
      case 'z': digraph = 'j'; break;
      case 'd': digraph = 'z'; break;
      case 't': digraph = 's'; break;
      case 'p': digraph = 'f'; break;
      default: break;
    }
    if (digraph) {
      ++i;
      return digraph;
    }
  }
  switch (c) {
    case 'a': case 'e': case 'i': case 'o': case 'u': case 'y': case 'w': case 'v': return 0;
    case 'q': case 'c': return 'k';
    case 'g': return 'j';
    case ' ': case '-': return ' ';
    default: return c >= 'a' && c <= 'z' ? c : 0;
  }
}

// Appends a class to a key: a repeated class is written once, and a word's
// final 'h' (the silent ه, "Fatemeh") is dropped when the word ends.
void AppendClass(std::string& key, char& pending_h, char cls) {
  if (cls == ' ') {
    pending_h = 0;
    return;
  }
  if (cls == 'h') {
    pending_h = 'h';
    return;
  }
  if (pending_h) {
    if (key.empty() || key.back() != 'h') key.push_back('h');
    pending_h = 0;
  }
  if (cls == 'H') cls = 'h';
  if (key.empty() || key.back() != cls) key.push_back(cls);
}

}  // namespace

std::string CrossScriptKey(std::string_view normalized, std::string_view romanized) {
  std::string key;
  char pending_h = 0;
  if (InArabicScript(normalized)) {
    ForEachCodePoint(normalized, [&](UChar32 c) {
      if (const char cls = ArabicLetterClass(c)) AppendClass(key, pending_h, cls);
    });
  } else {
    for (size_t i = 0; i < romanized.size(); ++i) {
      if (const char cls = LatinLetterClass(romanized, i)) AppendClass(key, pending_h, cls);
    }
  }
  return key;
}

}  // namespace internal

std::string NormalizeCompanyName(std::string_view name) {
  // Legal forms, written as people write them and folded once like the names
  // they are compared with (dots are removed first: "S.p.A." -> "spa").
  static const std::vector<std::string>* const legal_tokens = [] {
    auto* tokens = new std::vector<std::string>;
    for (std::string_view token :
         {"ab", "hb", "kb", "ltd", "limited", "llc", "llp", "plc", "inc", "incorporated", "corp",
          "corporation", "co", "gmbh", "ag", "sa", "sarl", "bv", "nv", "oy", "oyj", "as", "asa",
          "aps", "spa", "srl", "pty", "aktiebolag", "&", "شرکت", "شركة", "موسسه", "مؤسسة",
          "ذمم", "شمم"}) {
      tokens->push_back(NormalizeName(token));
    }
    return tokens;
  }();
  static const std::vector<std::string>* const legal_phrases = [] {
    auto* phrases = new std::vector<std::string>;
    for (std::string_view phrase : {"سهامی خاص", "سهامی عام", "مسئولیت محدود", "تضامنی",
                                    "ذات مسؤولية محدودة", "ذات مسئولية محدودة", "مساهمة عامة"}) {
      phrases->push_back(NormalizeName(phrase));
    }
    return phrases;
  }();
  // "ش.م.ع" (a public joint-stock company) is recognised only with its dots:
  // without them it is the word for wax or candle.
  constexpr std::string_view kJointStock = "ش.م.ع";
  std::string spelled(name);
  for (size_t at; (at = spelled.find(kJointStock)) != std::string::npos;) {
    spelled.replace(at, kJointStock.size(), " ");
  }
  std::string without_dots;
  without_dots.reserve(spelled.size());
  for (char c : spelled) {
    if (c != '.') without_dots.push_back(c);
  }
  std::string folded = " " + NormalizeName(without_dots) + " ";
  for (const std::string& phrase : *legal_phrases) {
    const std::string bounded = " " + phrase + " ";
    for (size_t at; (at = folded.find(bounded)) != std::string::npos;) {
      folded.replace(at, bounded.size(), " ");
    }
  }
  std::string out;
  size_t start = 0;
  while (start < folded.size()) {
    size_t end = folded.find(' ', start);
    if (end == std::string::npos) end = folded.size();
    std::string_view token(folded.data() + start, end - start);
    bool legal = false;
    for (const std::string& legal_token : *legal_tokens) {
      if (token == legal_token) legal = true;
    }
    if (!token.empty() && !legal) {
      if (!out.empty()) out.push_back(' ');
      out.append(token);
    }
    start = end + 1;
  }
  return out;
}

std::string EmailLocalPart(std::string_view email) {
  size_t at = email.rfind('@');
  if (at == std::string_view::npos || at == 0) return "";
  std::string local = AsciiLower(email.substr(0, at));
  std::string domain = AsciiLower(email.substr(at + 1));
  size_t plus = local.find('+');
  if (plus != std::string::npos && plus > 0) local.resize(plus);
  if (domain == "gmail.com" || domain == "googlemail.com") {
    std::erase(local, '.');
  }
  return local;
}

std::optional<std::string> NormalizeIranianNationalCode(std::string_view text) {
  std::string digits;
  if (!DigitsOnly(text, digits) || digits.size() != 10) return std::nullopt;
  if (digits.find_first_not_of(digits[0]) == std::string::npos) return std::nullopt;
  int sum = 0;
  for (int i = 0; i < 9; ++i) sum += (digits[static_cast<size_t>(i)] - '0') * (10 - i);
  int r = sum % 11;
  int check = r < 2 ? r : 11 - r;
  if (digits[9] - '0' != check) return std::nullopt;
  return digits;
}

std::optional<std::string> NormalizePersonnummer(std::string_view text) {
  std::string digits, separators;
  if (!DigitsOnly(text, digits, &separators)) return std::nullopt;
  if (separators.size() > 1) return std::nullopt;
  std::string ten;
  int full_year = -1;
  if (digits.size() == 12) {
    full_year = std::atoi(digits.substr(0, 4).c_str());
    ten = digits.substr(2);
  } else if (digits.size() == 10) {
    ten = digits;
  } else {
    return std::nullopt;
  }
  int yy = TwoDigits(ten, 0), month = TwoDigits(ten, 2), day = TwoDigits(ten, 4);
  if (day > 60) day -= 60;  // samordningsnummer
  // Without a century, 2000 is a leap year and so is every year divisible by 4
  // in either century except 1900; accept 29 Feb when some century allows it.
  int year = full_year >= 0 ? full_year : (yy == 0 ? 2000 : 1900 + yy);
  if (!IsValidMonthDay(year, month, day)) return std::nullopt;
  if (!LuhnValid(ten)) return std::nullopt;
  return ten;
}

std::optional<std::string> NationalIdKey(std::string_view text) {
  std::string digits;
  std::string separators;
  if (!DigitsOnly(text, digits, &separators)) return std::nullopt;
  // A 10-digit number can be either; an Iranian code has no separators inside
  // YYMMDD-NNNN positions, a personnummer with a separator is unambiguous.
  if (separators.empty() && digits.size() == 10) {
    if (auto ir = NormalizeIranianNationalCode(text)) return "IR:" + *ir;
  }
  if (auto se = NormalizePersonnummer(text)) return "SE:" + *se;
  return std::nullopt;
}

}  // namespace patron::identity
