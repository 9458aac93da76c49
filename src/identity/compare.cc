// String and date comparators of identity/identity.h. Strings are decoded to
// code points first so that a Persian letter counts as one character, not two
// bytes.
#include <unicode/utf8.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include "identity/identity.h"

namespace patron::identity {
namespace {

// The code points of a UTF-8 string; names and codes are short, so they are
// kept on the stack unless they are not (comparisons run millions of times).
class CodePoints {
 public:
  explicit CodePoints(std::string_view text) {
    if (text.size() > kInline) {
      heap_.reserve(text.size());
    }
    const auto* s = reinterpret_cast<const uint8_t*>(text.data());
    const int32_t n = static_cast<int32_t>(text.size());
    for (int32_t i = 0; i < n;) {
      UChar32 c;
      U8_NEXT_OR_FFFD(s, i, n, c);
      if (text.size() > kInline) {
        heap_.push_back(static_cast<char32_t>(c));
      } else {
        inline_[size_++] = static_cast<char32_t>(c);
      }
    }
    if (text.size() > kInline) size_ = heap_.size();
  }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  char32_t operator[](size_t i) const { return heap_.empty() ? inline_[i] : heap_[i]; }

 private:
  static constexpr size_t kInline = 128;  // bytes of text: a street in Arabic script fits
  char32_t inline_[kInline];
  std::u32string heap_;
  size_t size_ = 0;
};

bool IsAscii(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

// Jaro similarity of two sequences of characters (bytes for ASCII text, code
// points otherwise).
template <typename Text>
double Jaro(const Text& a, const Text& b) {
  if (a.empty() && b.empty()) return 1.0;
  if (a.empty() || b.empty()) return 0.0;
  const int la = static_cast<int>(a.size()), lb = static_cast<int>(b.size());
  const int window = std::max(0, std::max(la, lb) / 2 - 1);
  // Names, codes and streets are short: flags on the stack unless they are not.
  char a_small[128] = {}, b_small[128] = {};
  std::vector<char> a_large, b_large;
  char* a_matched = a_small;
  char* b_matched = b_small;
  if (a.size() > sizeof a_small || b.size() > sizeof b_small) {
    a_large.assign(a.size(), 0);
    b_large.assign(b.size(), 0);
    a_matched = a_large.data();
    b_matched = b_large.data();
  }
  int matches = 0;
  for (int i = 0; i < la; ++i) {
    const int lo = std::max(0, i - window), hi = std::min(lb - 1, i + window);
    for (int j = lo; j <= hi; ++j) {
      if (!b_matched[j] && a[i] == b[j]) {
        a_matched[i] = b_matched[j] = 1;
        ++matches;
        break;
      }
    }
  }
  if (matches == 0) return 0.0;
  int transpositions = 0;
  for (int i = 0, j = 0; i < la; ++i) {
    if (!a_matched[i]) continue;
    while (!b_matched[j]) ++j;
    if (a[i] != b[j]) ++transpositions;
    ++j;
  }
  const double m = matches;
  return (m / la + m / lb + (m - transpositions / 2.0) / m) / 3.0;
}

template <typename Text>
int Osa(const Text& a, const Text& b, bool transpositions) {
  const size_t la = a.size(), lb = b.size();
  if (la == 0) return static_cast<int>(lb);
  if (lb == 0) return static_cast<int>(la);
  // Three rows suffice: the previous two and the current one; on the stack
  // for short texts.
  constexpr size_t kInline = 65;
  int small[3][kInline];
  std::vector<int> large;
  int* prev2 = small[0];
  int* prev = small[1];
  int* cur = small[2];
  if (lb + 1 > kInline) {
    large.assign(3 * (lb + 1), 0);
    prev2 = large.data();
    prev = prev2 + lb + 1;
    cur = prev + lb + 1;
  }
  for (size_t j = 0; j <= lb; ++j) prev2[j] = 0;
  for (size_t j = 0; j <= lb; ++j) prev[j] = static_cast<int>(j);
  for (size_t i = 1; i <= la; ++i) {
    cur[0] = static_cast<int>(i);
    for (size_t j = 1; j <= lb; ++j) {
      const int cost = a[i - 1] == b[j - 1] ? 0 : 1;
      int best = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
      if (transpositions && i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        best = std::min(best, prev2[j - 2] + 1);
      }
      cur[j] = best;
    }
    std::swap(prev2, prev);
    std::swap(prev, cur);
  }
  return prev[lb];
}

// The distinct space-separated tokens of a text, sorted; on the stack for up
// to 16 tokens (streets are compared millions of times).
class Tokens {
 public:
  explicit Tokens(std::string_view text) {
    size_t start = 0;
    while (start < text.size()) {
      size_t end = text.find(' ', start);
      if (end == std::string_view::npos) end = text.size();
      if (end > start) Add(text.substr(start, end - start));
      start = end + 1;
    }
    std::string_view* first = data();
    std::sort(first, first + size_);
    size_ = static_cast<size_t>(std::unique(first, first + size_) - first);
  }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::string_view operator[](size_t i) const { return data()[i]; }

 private:
  static constexpr size_t kInline = 16;
  void Add(std::string_view token) {
    if (size_ == kInline && heap_.empty()) heap_.assign(inline_, inline_ + kInline);
    if (!heap_.empty()) {
      heap_.push_back(token);
    } else {
      inline_[size_] = token;
    }
    ++size_;
  }
  std::string_view* data() { return heap_.empty() ? inline_ : heap_.data(); }
  const std::string_view* data() const { return heap_.empty() ? inline_ : heap_.data(); }
  std::string_view inline_[kInline];
  std::vector<std::string_view> heap_;
  size_t size_ = 0;
};

// Eight ASCII digits YYYYMMDD from "YYYY-MM-DD" or "YYYYMMDD"; empty otherwise.
std::string DateDigits(std::string_view date) {
  std::string digits;
  for (char c : date) {
    if (c >= '0' && c <= '9') {
      digits.push_back(c);
    } else if (c != '-' && c != '/' && c != ' ') {
      return "";
    }
  }
  return digits.size() == 8 ? digits : "";
}

template <typename Text>
double JaroWinklerOf(const Text& ca, const Text& cb, double prefix_scale) {
  const double jaro = Jaro(ca, cb);
  size_t prefix = 0;
  while (prefix < 4 && prefix < ca.size() && prefix < cb.size() && ca[prefix] == cb[prefix]) {
    ++prefix;
  }
  return jaro + static_cast<double>(prefix) * prefix_scale * (1.0 - jaro);
}

}  // namespace

double JaroWinkler(std::string_view a, std::string_view b, double prefix_scale) {
  if (IsAscii(a) && IsAscii(b)) return JaroWinklerOf(a, b, prefix_scale);
  return JaroWinklerOf(CodePoints(a), CodePoints(b), prefix_scale);
}

int Levenshtein(std::string_view a, std::string_view b) {
  if (IsAscii(a) && IsAscii(b)) return Osa(a, b, /*transpositions=*/false);
  return Osa(CodePoints(a), CodePoints(b), /*transpositions=*/false);
}

int DamerauLevenshtein(std::string_view a, std::string_view b) {
  if (IsAscii(a) && IsAscii(b)) return Osa(a, b, /*transpositions=*/true);
  return Osa(CodePoints(a), CodePoints(b), /*transpositions=*/true);
}

namespace {

template <typename Text>
bool SameFrom(const Text& a, size_t i, const Text& b, size_t j) {
  if (a.size() - i != b.size() - j) return false;
  for (; i < a.size(); ++i, ++j) {
    if (a[i] != b[j]) return false;
  }
  return true;
}

// One substitution, insertion, deletion or transposition of adjacent
// characters at most, decided at the first difference.
template <typename Text>
bool WithinOneEditOf(const Text& a, const Text& b) {
  const size_t la = a.size(), lb = b.size();
  if ((la > lb ? la - lb : lb - la) > 1) return false;
  size_t i = 0;
  while (i < la && i < lb && a[i] == b[i]) ++i;
  if (i == la || i == lb) return true;  // equal, or one extra character at the end
  if (la == lb) {
    if (SameFrom(a, i + 1, b, i + 1)) return true;
    return i + 1 < la && a[i] == b[i + 1] && a[i + 1] == b[i] && SameFrom(a, i + 2, b, i + 2);
  }
  return la > lb ? SameFrom(a, i + 1, b, i) : SameFrom(a, i, b, i + 1);
}

}  // namespace

bool WithinOneEdit(std::string_view a, std::string_view b) {
  if (IsAscii(a) && IsAscii(b)) return WithinOneEditOf(a, b);
  // A code point is at most 4 bytes: a longer gap is more than one edit.
  if ((a.size() > b.size() ? a.size() - b.size() : b.size() - a.size()) > 4) return false;
  return WithinOneEditOf(CodePoints(a), CodePoints(b));
}

double EditSimilarity(std::string_view a, std::string_view b) {
  const CodePoints ca(a), cb(b);
  const size_t longest = std::max(ca.size(), cb.size());
  if (longest == 0) return 1.0;
  return 1.0 - static_cast<double>(Osa(ca, cb, true)) / static_cast<double>(longest);
}

namespace {

// The tokens TokenSetSimilarity counts as shared, greedily: exact ones first,
// then close ones. With `at_least` >= 0 it stops as soon as the similarity is
// known to reach `at_least` or known not to (each token left can add one
// shared token at most), and the count is then exact only for that question.
int SharedTokens(const Tokens& ta, const Tokens& tb, double token_threshold, double at_least) {
  // Tokens are distinct and sorted on both sides: exact matches by merging.
  std::vector<char> used_large;
  char used_small[32] = {};
  char* used = used_small;
  if (tb.size() > sizeof used_small) {
    used_large.assign(tb.size(), 0);
    used = used_large.data();
  }
  size_t unmatched_small[32];
  std::vector<size_t> unmatched_large;
  size_t* unmatched = unmatched_small;
  if (ta.size() > std::size(unmatched_small)) {
    unmatched_large.resize(ta.size());
    unmatched = unmatched_large.data();
  }
  size_t unmatched_count = 0;
  int shared = 0;
  for (size_t i = 0, j = 0; i < ta.size(); ++i) {
    while (j < tb.size() && tb[j] < ta[i]) ++j;
    if (j < tb.size() && tb[j] == ta[i]) {
      used[j++] = 1;
      ++shared;
    } else {
      unmatched[unmatched_count++] = i;
    }
  }
  // Each token left can add one shared token at most, and the similarity
  // grows with the shared count: once it reaches `at_least`, or cannot, the
  // answer is known. Written as TokenSetSimilarity computes it, so that the
  // answer is the same to the last bit.
  const size_t all = ta.size() + tb.size();
  auto reaches = [&](size_t s) {
    return static_cast<double>(s) / static_cast<double>(all - s) >= at_least;
  };
  for (size_t k = 0; k < unmatched_count; ++k) {
    if (at_least >= 0) {
      if (reaches(static_cast<size_t>(shared))) return shared;
      if (!reaches(std::min(static_cast<size_t>(shared) + unmatched_count - k, std::min(ta.size(), tb.size()))))
        return shared;
    }
    const std::string_view token = ta[unmatched[k]];
    for (size_t j = 0; j < tb.size(); ++j) {
      if (!used[j] && JaroWinklerMayReach(token, tb[j], token_threshold) &&
          JaroWinkler(token, tb[j]) >= token_threshold) {
        used[j] = 1;
        ++shared;
        break;
      }
    }
  }
  return shared;
}

}  // namespace

double TokenSetSimilarity(std::string_view a, std::string_view b, double token_threshold) {
  const Tokens ta(a), tb(b);
  if (ta.empty() && tb.empty()) return 1.0;
  if (ta.empty() || tb.empty()) return 0.0;
  const int shared = SharedTokens(ta, tb, token_threshold, -1.0);
  const int total = static_cast<int>(ta.size() + tb.size()) - shared;
  return static_cast<double>(shared) / static_cast<double>(total);
}

bool TokenSetSimilarityAtLeast(std::string_view a, std::string_view b, double at_least,
                               double token_threshold) {
  const Tokens ta(a), tb(b);
  if (ta.empty() && tb.empty()) return 1.0 >= at_least;
  if (ta.empty() || tb.empty()) return 0.0 >= at_least;
  const int shared = SharedTokens(ta, tb, token_threshold, at_least);
  const int total = static_cast<int>(ta.size() + tb.size()) - shared;
  return static_cast<double>(shared) / static_cast<double>(total) >= at_least;
}

bool JaroWinklerMayReach(std::string_view a, std::string_view b, double threshold) {
  if (a.empty() || b.empty() || a.size() > 65535 || b.size() > 65535) return true;
  // Characters counted by their code point's low seven bits: two characters
  // sharing a bucket can only raise the count of shared characters, so the
  // bound stays an upper bound for text in any script.
  std::array<uint16_t, 128> count{};
  const auto* sa = reinterpret_cast<const uint8_t*>(a.data());
  const auto* sb = reinterpret_cast<const uint8_t*>(b.data());
  const int32_t na = static_cast<int32_t>(a.size()), nb = static_cast<int32_t>(b.size());
  size_t length_a = 0, length_b = 0, common = 0;
  for (int32_t i = 0; i < na; ++length_a) {
    UChar32 c;
    U8_NEXT_OR_FFFD(sa, i, na, c);
    ++count[static_cast<size_t>(c) & 127];
  }
  for (int32_t i = 0; i < nb; ++length_b) {
    UChar32 c;
    U8_NEXT_OR_FFFD(sb, i, nb, c);
    uint16_t& n = count[static_cast<size_t>(c) & 127];
    if (n > 0) {
      --n;
      ++common;
    }
  }
  const double c = static_cast<double>(common);
  const double jaro =
      (c / static_cast<double>(length_a) + c / static_cast<double>(length_b) + 1.0) / 3.0;
  return 0.6 * jaro + 0.4 >= threshold - 1e-9;  // rounding never refuses a pair that reaches it
}

static bool IsEightDigits(std::string_view s) {
  if (s.size() != 8) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

DateCloseness CompareDates(std::string_view a, std::string_view b) {
  // Prepared records hold YYYYMMDD already: no copies then.
  std::string a_digits, b_digits;
  if (!IsEightDigits(a)) a_digits = DateDigits(a);
  if (!IsEightDigits(b)) b_digits = DateDigits(b);
  const std::string_view da = IsEightDigits(a) ? a : std::string_view(a_digits);
  const std::string_view db = IsEightDigits(b) ? b : std::string_view(b_digits);
  if (da.empty() || db.empty()) return DateCloseness::kMissing;
  if (da == db) return DateCloseness::kExact;
  int differing = 0;
  for (size_t i = 0; i < 8; ++i) differing += da[i] != db[i];
  if (differing == 1) return DateCloseness::kTypo;
  if (differing == 2) {
    for (size_t i = 0; i + 1 < 8; ++i) {
      if (da[i] != db[i]) {
        if (da[i] == db[i + 1] && da[i + 1] == db[i]) return DateCloseness::kTypo;
        break;
      }
    }
  }
  // Day and month swapped (a US-style date read as European).
  if (da.compare(0, 4, db, 0, 4) == 0 && da.compare(4, 2, db, 6, 2) == 0 &&
      da.compare(6, 2, db, 4, 2) == 0) {
    return DateCloseness::kTypo;
  }
  if (da.compare(0, 4, db, 0, 4) == 0) return DateCloseness::kSameYear;
  return DateCloseness::kDifferent;
}

}  // namespace patron::identity
