// Unicode text normalisation for storage (NormalizeText) and for matching
// (FoldForMatching), and digit conversion (AsciiDigits).
//
// Performance: import runs these on every text field, so pure ASCII input (the
// common case) never touches ICU: NFC, case folding and mark removal are
// identities or byte operations on ASCII. Non-ASCII text is processed directly
// in UTF-8 with ICU's UTF-8 normalisers, avoiding UTF-16 copies.
#include <unicode/bytestream.h>
#include <unicode/normalizer2.h>
#include <unicode/stringpiece.h>
#include <unicode/uchar.h>
#include <unicode/uscript.h>
#include <unicode/utf8.h>

#include <cstdlib>
#include <cstring>

#include "core/core.h"

namespace patron {
namespace {

constexpr UChar32 kZeroWidthSpace = 0x200B;
constexpr UChar32 kZeroWidthNonJoiner = 0x200C;
constexpr UChar32 kZeroWidthJoiner = 0x200D;
constexpr UChar32 kWordJoiner = 0x2060;
constexpr UChar32 kByteOrderMark = 0xFEFF;
constexpr UChar32 kTatweel = 0x0640;

constexpr UChar32 kArabicYeh = 0x064A;    // ي
constexpr UChar32 kArabicKaf = 0x0643;    // ك
constexpr UChar32 kAlefMaksura = 0x0649;  // ى
constexpr UChar32 kPersianYeh = 0x06CC;   // ی
constexpr UChar32 kKeheh = 0x06A9;        // ک
constexpr UChar32 kTehMarbuta = 0x0629;   // ة
constexpr UChar32 kHeh = 0x0647;          // ه
constexpr UChar32 kAlef = 0x0627;         // ا
constexpr UChar32 kAlefWasla = 0x0671;    // ٱ
constexpr UChar32 kAe = 0x06D5;           // ە (NFD base of ۀ)
constexpr UChar32 kHamzaAbove = 0x0654;

// ASCII characters with the Unicode White_Space property.
inline bool IsAsciiSpace(unsigned char c) { return c == ' ' || (c >= 0x09 && c <= 0x0D); }

inline bool IsAscii(std::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t chunk;
    std::memcpy(&chunk, s + i, 8);
    if (chunk & 0x8080808080808080ULL) return false;
  }
  for (; i < n; ++i) {
    if (s[i] & 0x80) return false;
  }
  return true;
}

void AppendUtf8(std::string& out, UChar32 c) {
  char buf[U8_MAX_LENGTH];
  int32_t len = 0;
  U8_APPEND_UNSAFE(buf, len, c);
  out.append(buf, static_cast<size_t>(len));
}

// Trims ASCII whitespace and collapses inner runs to one ' '. For ASCII text
// this is all NormalizeText has to do.
std::string NormalizeAscii(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool pending_space = false;
  for (char ch : text) {
    if (IsAsciiSpace(static_cast<unsigned char>(ch))) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) {
      out.push_back(' ');
      pending_space = false;
    }
    out.push_back(ch);
  }
  return out;
}

const icu::Normalizer2& Nfc() {
  static const icu::Normalizer2* const nfc = [] {
    UErrorCode status = U_ZERO_ERROR;
    const icu::Normalizer2* n = icu::Normalizer2::getNFCInstance(status);
    if (U_FAILURE(status) || n == nullptr) std::abort();  // ICU data missing: unusable build
    return n;
  }();
  return *nfc;
}

const icu::Normalizer2& Nfd() {
  static const icu::Normalizer2* const nfd = [] {
    UErrorCode status = U_ZERO_ERROR;
    const icu::Normalizer2* n = icu::Normalizer2::getNFDInstance(status);
    if (U_FAILURE(status) || n == nullptr) std::abort();
    return n;
  }();
  return *nfd;
}

const icu::Normalizer2& NfkcCasefold() {
  static const icu::Normalizer2* const nfkc_cf = [] {
    UErrorCode status = U_ZERO_ERROR;
    const icu::Normalizer2* n = icu::Normalizer2::getNFKCCasefoldInstance(status);
    if (U_FAILURE(status) || n == nullptr) std::abort();
    return n;
  }();
  return *nfkc_cf;
}

// Returns `text` in NFC (normalising only when the quick check says it must).
std::string ToNfc(std::string text) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2& nfc = Nfc();
  if (nfc.isNormalizedUTF8(icu::StringPiece(text.data(), static_cast<int32_t>(text.size())),
                           status) &&
      U_SUCCESS(status)) {
    return text;
  }
  status = U_ZERO_ERROR;
  std::string out;
  out.reserve(text.size());
  icu::StringByteSink<std::string> sink(&out);
  nfc.normalizeUTF8(0, icu::StringPiece(text.data(), static_cast<int32_t>(text.size())), sink,
                    nullptr, status);
  return U_SUCCESS(status) ? out : text;
}

inline bool IsMark(UChar32 c) {
  return (U_GET_GC_MASK(c) & (U_GC_MN_MASK | U_GC_MC_MASK | U_GC_ME_MASK)) != 0;
}

inline bool IsLetter(UChar32 c) { return u_isalpha(c); }

inline bool IsPictographic(UChar32 c) {
  return u_hasBinaryProperty(c, UCHAR_EXTENDED_PICTOGRAPHIC);
}

// Letters only Persian (among Arabic-script languages we meet) writes:
// پ چ ژ گ and the Persian forms ی ک.
inline bool IsPersianSpecificLetter(UChar32 c) {
  return c == 0x067E || c == 0x0686 || c == 0x0698 || c == 0x06AF || c == kPersianYeh ||
         c == kKeheh;
}

// The non-ASCII path of NormalizeText. Decodes UTF-8 (bad sequences become
// U+FFFD, so arbitrary bytes are safe even though the contract requires valid
// UTF-8), cleans whitespace and invisible characters, then applies NFC.
std::string NormalizeUnicode(std::string_view text) {
  const auto* s = reinterpret_cast<const uint8_t*>(text.data());
  const int32_t n = static_cast<int32_t>(text.size());
  std::string out;
  out.reserve(text.size());

  bool pending_space = false;
  // A joiner seen after a character that may keep it; emitted only when the
  // next character qualifies too (ZWNJ: letter-letter; ZWJ: emoji-emoji).
  UChar32 pending_joiner = 0;
  UChar32 previous = 0;  // the last emitted character that is not a mark; 0 after a space
  bool has_persian_letter = false;
  bool has_arabic_yeh_or_kaf = false;

  for (int32_t i = 0; i < n;) {
    UChar32 c;
    U8_NEXT_OR_FFFD(s, i, n, c);
    if (c < 0x80 ? IsAsciiSpace(static_cast<unsigned char>(c)) : u_isUWhiteSpace(c)) {
      pending_space = !out.empty();
      pending_joiner = 0;
      previous = 0;
      continue;
    }
    if (c == kZeroWidthSpace || c == kWordJoiner || c == kByteOrderMark) continue;
    if (c == kZeroWidthNonJoiner) {
      if (!pending_space && previous != 0 && IsLetter(previous)) pending_joiner = c;
      continue;
    }
    if (c == kZeroWidthJoiner) {
      // Dropped, except inside emoji sequences (👨‍👩‍👧) where it is part of the symbol.
      if (!pending_space && previous != 0 && IsPictographic(previous)) pending_joiner = c;
      continue;
    }
    if (pending_space) {
      out.push_back(' ');
      pending_space = false;
    }
    if (pending_joiner != 0) {
      bool keep = pending_joiner == kZeroWidthNonJoiner ? IsLetter(c) : IsPictographic(c);
      if (keep) AppendUtf8(out, pending_joiner);
      pending_joiner = 0;
    }
    if (IsPersianSpecificLetter(c)) has_persian_letter = true;
    if (c == kArabicYeh || c == kArabicKaf) has_arabic_yeh_or_kaf = true;
    AppendUtf8(out, c);
    // Marks (harakat, accents, variation selectors, skin tones) belong to the
    // character before them, so they do not change what a joiner follows.
    if (!IsMark(c) && !u_hasBinaryProperty(c, UCHAR_EMOJI_MODIFIER)) previous = c;
  }

  // Heuristic: Persian text typed on an Arabic keyboard layout contains Arabic
  // Yeh/Kaf (ي ك) where Persian uses ی ک. When the text also contains a letter
  // only Persian uses (پ چ ژ گ ی ک), it is Persian and the Arabic forms are
  // replaced. Text without such a letter may be Arabic and is left alone. Alef
  // Maksura (ى) is deliberately not touched here: in Arabic it is a distinct
  // letter, and FoldForMatching unifies it for comparisons anyway.
  if (has_persian_letter && has_arabic_yeh_or_kaf) {
    // Both pairs are two-byte sequences, so they are replaced in place:
    // ي D9 8A -> ی DB 8C, ك D9 83 -> ک DA A9. `out` is valid UTF-8 here, so a
    // D9 byte is always a lead byte.
    for (size_t k = 0; k + 1 < out.size(); ++k) {
      if (static_cast<unsigned char>(out[k]) != 0xD9) continue;
      unsigned char next = static_cast<unsigned char>(out[k + 1]);
      if (next == 0x8A) {
        out[k] = static_cast<char>(0xDB);
        out[k + 1] = static_cast<char>(0x8C);
      } else if (next == 0x83) {
        out[k] = static_cast<char>(0xDA);
        out[k + 1] = static_cast<char>(0xA9);
      }
      ++k;
    }
  }
  // NFC last: removing invisible characters can bring a base and its mark together.
  return ToNfc(std::move(out));
}

// Combining marks FoldForMatching removes: nonspacing marks of the Inherited
// script (Latin/Greek/Cyrillic diacritics after NFD, Arabic harakat
// U+064B–U+065F and U+0670, hamza above/below, variation selectors) and those
// of the Arabic script (Quranic annotation signs). Marks of other scripts
// (Devanagari vowel signs, Hebrew points, the kana voicing marks) carry
// meaning and are kept.
bool IsRemovableMark(UChar32 c) {
  if (U_GET_GC_MASK(c) & (U_GC_MN_MASK | U_GC_ME_MASK)) {
    if (c == 0x3099 || c == 0x309A) return false;  // kana (han)dakuten: different sounds
    UErrorCode status = U_ZERO_ERROR;
    UScriptCode script = uscript_getScript(c, &status);
    return U_SUCCESS(status) && (script == USCRIPT_INHERITED || script == USCRIPT_ARABIC);
  }
  return false;
}

// Maps one code point for matching; returns 0 to drop it.
UChar32 FoldArabicScript(UChar32 c) {
  switch (c) {
    case kTatweel:
    case kZeroWidthNonJoiner:
      return 0;
    case kArabicYeh:
    case kAlefMaksura:
      return kPersianYeh;
    case kArabicKaf:
      return kKeheh;
    case kTehMarbuta:
      return kHeh;
    case kAlefWasla:
      return kAlef;
    default:
      break;
  }
  if (c >= 0x06F0 && c <= 0x06F9) return '0' + (c - 0x06F0);  // Persian digits
  if (c >= 0x0660 && c <= 0x0669) return '0' + (c - 0x0660);  // Arabic-Indic digits
  return c;
}

std::string FoldUnicode(const std::string& normalized) {
  // NFKC_Casefold: full case folding ("ß" -> "ss", "İ" -> "i̇") plus
  // compatibility mappings (full-width "Ａ" -> "a", Arabic presentation forms
  // "ﻲ" -> "ي", ligatures "ﬁ" -> "fi") and removal of default-ignorable
  // characters. Done as one ICU step so that the result is stable (plain case
  // folding followed by NFKD could leave capitals such as "ℌ" -> "H").
  UErrorCode status = U_ZERO_ERROR;
  std::string folded;
  folded.reserve(normalized.size());
  {
    icu::StringByteSink<std::string> sink(&folded);
    NfkcCasefold().normalizeUTF8(
        0, icu::StringPiece(normalized.data(), static_cast<int32_t>(normalized.size())), sink,
        nullptr, status);
    if (U_FAILURE(status)) folded = normalized;
  }
  // NFD separates diacritics (and hamza: أ -> ا + U+0654) from their base letters.
  status = U_ZERO_ERROR;
  std::string decomposed;
  decomposed.reserve(folded.size() + folded.size() / 2);
  {
    icu::StringByteSink<std::string> sink(&decomposed);
    Nfd().normalizeUTF8(0, icu::StringPiece(folded.data(), static_cast<int32_t>(folded.size())),
                        sink, nullptr, status);
    if (U_FAILURE(status)) decomposed = folded;
  }

  const auto* s = reinterpret_cast<const uint8_t*>(decomposed.data());
  const int32_t n = static_cast<int32_t>(decomposed.size());
  std::string out;
  out.reserve(decomposed.size());
  bool pending_space = false;
  for (int32_t i = 0; i < n;) {
    UChar32 c;
    U8_NEXT_OR_FFFD(s, i, n, c);
    if (c == ' ') {
      // Removing a mark or tatweel that stood alone between spaces must not
      // leave a double or leading space behind.
      pending_space = !out.empty();
      continue;
    }
    if (c == kAe && i < n) {
      // ۀ (heh with yeh above) decomposes to ە + hamza; for Persian it is a heh.
      int32_t j = i;
      UChar32 next;
      U8_NEXT_OR_FFFD(s, j, n, next);
      if (next == kHamzaAbove) {
        c = kHeh;
        i = j;
      }
    }
    if (IsRemovableMark(c)) continue;
    c = FoldArabicScript(c);
    if (c == 0) continue;
    if (pending_space) {
      out.push_back(' ');
      pending_space = false;
    }
    AppendUtf8(out, c);
  }
  // Recompose what NFD split and is still there (Hangul syllables, kept marks).
  return ToNfc(std::move(out));
}

}  // namespace

std::string NormalizeText(std::string_view text) {
  if (IsAscii(text)) return NormalizeAscii(text);
  return NormalizeUnicode(text);
}

std::string FoldForMatching(std::string_view text) {
  std::string normalized = NormalizeText(text);
  if (IsAscii(normalized)) {
    for (char& c : normalized) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return normalized;
  }
  return FoldUnicode(normalized);
}

std::string AsciiDigits(std::string_view text) {
  // Every character converted is a two-byte sequence starting with D9 or DB,
  // so text without those bytes is returned unchanged.
  std::string out;
  out.reserve(text.size());
  const size_t n = text.size();
  for (size_t i = 0; i < n; ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if ((c == 0xD9 || c == 0xDB) && i + 1 < n) {
      unsigned char next = static_cast<unsigned char>(text[i + 1]);
      if (c == 0xDB && next >= 0xB0 && next <= 0xB9) {  // U+06F0..U+06F9 ۰-۹
        out.push_back(static_cast<char>('0' + (next - 0xB0)));
        ++i;
        continue;
      }
      if (c == 0xD9 && next >= 0xA0 && next <= 0xA9) {  // U+0660..U+0669 ٠-٩
        out.push_back(static_cast<char>('0' + (next - 0xA0)));
        ++i;
        continue;
      }
      if (c == 0xD9 && next == 0xAB) {  // U+066B Arabic decimal separator
        out.push_back('.');
        ++i;
        continue;
      }
      if (c == 0xD9 && next == 0xAC) {  // U+066C Arabic thousands separator
        out.push_back(',');
        ++i;
        continue;
      }
    }
    out.push_back(static_cast<char>(c));
  }
  return out;
}

}  // namespace patron
