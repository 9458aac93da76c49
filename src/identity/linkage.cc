// Fellegi–Sunter record linkage: preparation, blocking, comparison vectors,
// m/u estimation without labels, scoring and clustering.
#include <algorithm>
#include <chrono>
#include <ctime>
#include <cmath>
#include <mutex>
#include <nlohmann/json.hpp>
#include <numeric>
#include <random>
#include <unordered_map>
#include <unordered_set>

#include "identity/linkage_internal.h"
#include "ingest/ingest.h"

namespace patron::identity {
namespace internal {
namespace {

// Letters and digits of an identifier, folded ("AB-12 34" -> "ab1234").
std::string CompactId(std::string_view text) {
  std::string out;
  for (char c : AsciiLower(AsciiDigits(text))) {
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) out.push_back(c);
  }
  return out;
}

std::string DigitsOf(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c >= '0' && c <= '9') out.push_back(c);
  }
  return out;
}

std::string DateDigits(std::string_view date) {
  std::string digits = DigitsOf(AsciiDigits(date));
  return digits.size() == 8 ? digits : "";
}

std::string WithoutSpaces(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c != ' ') out.push_back(c);
  }
  return out;
}

// Whether a name in Arabic script and one in Latin script share a
// CrossScriptKey, with or without the article ("الحمادي" and "Hammadi" or
// "Al Hammadi"). Keys of one consonant say too little.
bool SameAcrossScripts(std::string_view a, std::string_view a_roman, std::string_view b,
                       std::string_view b_roman) {
  const std::string x = CrossScriptKey(a, a_roman), y = CrossScriptKey(b, b_roman);
  std::string_view x_key = x, y_key = y;
  if (x_key.size() > 2 && x_key[0] == 'l') x_key.remove_prefix(1);
  if (y_key.size() > 2 && y_key[0] == 'l') y_key.remove_prefix(1);
  return x_key.size() >= 2 && x_key == y_key;
}

// Levels of a name part: 3 exact, 2 close (one edit, Jaro–Winkler >= 0.92 or
// the same romanisation), 1 similar (Jaro–Winkler >= 0.8 or the same consonant
// skeleton), 0 different; -1 missing.
int NameLevel(const std::string& a, const std::string& a_roman, const std::string& a_skeleton,
              const std::string& b, const std::string& b_roman, const std::string& b_skeleton) {
  if (a.empty() || b.empty()) return -1;
  if (a == b) return 3;
  if (!a_roman.empty() && a_roman == b_roman) return 2;
  const double jw = JaroWinkler(a, b);
  if (jw >= 0.92 || WithinOneEdit(a, b)) return 2;
  if (jw >= 0.8) return 1;
  if (!a_skeleton.empty() && a_skeleton == b_skeleton) return 1;
  // Only when romanisation changed something: otherwise it is the same comparison.
  if (!a_roman.empty() && !b_roman.empty() && (a_roman != a || b_roman != b) &&
      JaroWinkler(a_roman, b_roman) >= 0.88) {
    return 1;
  }
  if (InArabicScript(a) != InArabicScript(b) && SameAcrossScripts(a, a_roman, b, b_roman)) return 1;
  return 0;
}

// Levels of a free-text place field: 2 exact, 1 close, 0 different.
int PlaceLevel(const std::string& a, const std::string& b) {
  if (a.empty() || b.empty()) return -1;
  if (a == b) return 2;
  if (JaroWinkler(a, b) >= 0.9 || WithoutSpaces(a) == WithoutSpaces(b)) return 1;
  return 0;
}

// Levels of a city: 2 exact or two names of one city ("Göteborg",
// "Gothenburg"), 1 close, 0 different.
int CityLevel(const std::string& a, const std::string& b) {
  const int level = PlaceLevel(a, b);
  if (level != 0) return level;
  const int id = CityId(a);
  return id >= 0 && id == CityId(b) ? 2 : 0;
}

int ExactLevel(const std::string& a, const std::string& b) {
  if (a.empty() || b.empty()) return -1;
  return a == b ? 1 : 0;
}

// 2 exact, 1 one edit, 0 different.
int CodeLevel(const std::string& a, const std::string& b) {
  if (a.empty() || b.empty()) return -1;
  if (a == b) return 2;
  return WithinOneEdit(a, b) ? 1 : 0;
}

// The words of an email's local part split at '.', '_' and '-' (the last
// empty when it ends in one), or false when it holds digits or other
// characters: then it is not a name.
bool LocalPartWords(std::string_view local, std::vector<std::string>& parts) {
  parts.assign(1, "");
  for (char c : local) {
    if (c == '.' || c == '_' || c == '-') {
      if (!parts.back().empty()) parts.emplace_back();
    } else if (c >= 'a' && c <= 'z') {
      parts.back().push_back(c);
    } else {
      return false;
    }
  }
  return true;
}

// A record without any name but with an email such as "sara.ahmadi@..." is
// given the names its local part spells: orders and web events often know a
// person only by email. Needs two parts of at least two letters each.
void NamesFromEmail(PreparedRecord& p) {
  std::vector<std::string> parts;
  if (!LocalPartWords(p.email_local, parts)) return;
  if (parts.size() != 2 || parts[0].size() < 2 || parts[1].size() < 2) return;
  p.given = parts[0];
  p.family = parts[1];
  p.given_roman = p.given;
  p.family_roman = p.family;
  p.given_skeleton = NameSkeleton(p.given);
  p.family_skeleton = NameSkeleton(p.family);
}

// Whether `part` (lower-case ASCII letters from an email) spells `name`:
// its romanisation, or for a name in Arabic script the same CrossScriptKey of
// at least two consonants ("said" for "سعيد").
// `key` is the name's CrossScriptKey when it is in Arabic script, else "".
bool SpellsName(std::string_view part, const std::string& roman, const std::string& compact_roman,
                const std::string& key) {
  if (part.size() < 2) return false;
  if (part == roman || part == compact_roman) return true;
  return key.size() >= 2 && key == CrossScriptKey(part, part);
}

// A record with one name part and an email whose local part spells it with
// the other ("asa.andersson", "saidaldhaheri" or "htaghipour" for Åsa, سعيد
// or حسین; "eva.aswall" for Åswall) is given the other part, marked inferred:
// it counts when it agrees and is no evidence when it does not, since a
// local part may be a nickname rather than a name.
void MissingNamePartFromEmail(PreparedRecord& p) {
  std::vector<std::string> parts;
  if (!LocalPartWords(p.email_local, parts)) return;
  if (parts.back().empty()) parts.pop_back();
  const bool has_given = !p.given.empty();
  const std::string& known = has_given ? p.given : p.family;
  const std::string& known_roman = has_given ? p.given_roman : p.family_roman;
  const std::string compact_roman = WithoutSpaces(known_roman);
  const std::string key = InArabicScript(known) ? CrossScriptKey(known, known_roman) : std::string();
  auto spells = [&](std::string_view part) { return SpellsName(part, known_roman, compact_roman, key); };
  std::string other;
  if (parts.size() == 2) {
    if (spells(parts[0])) {
      other = parts[1];
    } else if (spells(parts[1])) {
      other = parts[0];
    }
  } else if (parts.size() == 1) {
    const std::string& local = parts[0];
    // The known part first ("saidaldhaheri"), the shortest that spells it.
    for (size_t cut = 2; other.empty() && cut + 3 <= local.size(); ++cut) {
      if (spells(std::string_view(local).substr(0, cut))) other = local.substr(cut);
    }
    // The known part last ("anderssoneva").
    for (size_t cut = 3; other.empty() && cut + 2 <= local.size(); ++cut) {
      if (spells(std::string_view(local).substr(cut))) other = local.substr(0, cut);
    }
    // The given name's initial and the family name ("htaghipour").
    if (other.empty() && has_given && local.size() >= 6 && !known_roman.empty() && local[0] == known_roman[0]) {
      other = local.substr(1);
    }
  }
  if (other.size() < 2) return;
  if (has_given) {
    p.family = other;
    p.family_roman = other;
    p.family_skeleton = SkeletonOfRomanized(other);
    p.inferred_name = 'f';
  } else {
    p.given = other;
    p.given_roman = other;
    p.given_skeleton = SkeletonOfRomanized(other);
    p.inferred_name = 'g';
  }
}

// A name or city as written, normalised, romanised and reduced to its
// skeleton: functions of the text alone.
struct NameForms {
  std::string normalized, roman, skeleton;
};

// NameForms of `text`, remembered per thread: names, cities and regions
// repeat (a million records hold some tens of thousands of distinct ones),
// and normalising and romanising them was most of preparing a record. The
// reference is valid until the next call on the thread.
const NameForms& FormsOf(const std::string& text) {
  thread_local std::unordered_map<std::string, NameForms> cache;
  if (auto hit = cache.find(text); hit != cache.end()) return hit->second;
  if (cache.size() >= 200000) cache.clear();  // bounded: names are few, other text is not
  NameForms forms;
  forms.normalized = NormalizeName(text);
  forms.roman = Romanize(forms.normalized);
  forms.skeleton = SkeletonOfRomanized(forms.roman);
  return cache.emplace(text, std::move(forms)).first->second;
}

}  // namespace

PreparedRecord Prepare(const PersonRecord& r) {
  PreparedRecord p;
  {
    const NameForms& given = FormsOf(r.given_name);
    p.given = given.normalized;
    p.given_roman = given.roman;
    p.given_skeleton = given.skeleton;
  }
  {
    const NameForms& family = FormsOf(r.family_name);
    p.family = family.normalized;
    p.family_roman = family.roman;
    p.family_skeleton = family.skeleton;
  }
  p.birth_date = DateDigits(r.birth_date);
  p.street = NormalizeName(r.street);
  p.street_compact = WithoutSpaces(p.street);
  p.street_number = CompactId(r.street_number);
  p.address_extra = NormalizeName(r.address_extra);
  {
    const NameForms& city = FormsOf(r.city);
    p.city = city.normalized;
    p.city_roman = city.roman;
    p.city_skeleton = city.skeleton;
  }
  p.postcode = CompactId(r.postcode);
  p.region = FormsOf(r.region).normalized;
  p.national_id = CompactId(r.national_id);
  if (auto key = NationalIdKey(r.national_id)) p.national_key = *key;
  p.email = AsciiLower(TrimAscii(r.email));
  p.email_local = EmailLocalPart(p.email);
  if (p.given.empty() && p.family.empty()) {
    NamesFromEmail(p);
  } else if (p.given.empty() != p.family.empty()) {
    MissingNamePartFromEmail(p);
  }
  p.phone_digits = DigitsOf(r.phone);
  p.phone_is_key = !p.phone_digits.empty();
  if (p.phone_digits.empty()) p.phone_digits = DigitsOf(AsciiDigits(r.unvalidated_phone));
  if (p.phone_digits.size() >= 9) p.phone_tail = p.phone_digits.substr(p.phone_digits.size() - 9);
  if (!p.email.empty()) p.emails.push_back(p.email);
  for (const auto& e : r.other_emails) {
    std::string email = AsciiLower(TrimAscii(e));
    if (!email.empty() && std::find(p.emails.begin(), p.emails.end(), email) == p.emails.end()) {
      p.emails.push_back(std::move(email));
    }
  }
  for (const auto& e : r.suggested_emails) {
    std::string email = AsciiLower(TrimAscii(e));
    if (!email.empty() && std::find(p.emails.begin(), p.emails.end(), email) == p.emails.end() &&
        std::find(p.suggested_emails.begin(), p.suggested_emails.end(), email) == p.suggested_emails.end()) {
      p.suggested_emails.push_back(std::move(email));
    }
  }
  for (const auto& device : r.devices) {
    std::string_view id = TrimAscii(device);
    if (!id.empty()) p.devices.emplace_back(id);
  }
  std::sort(p.devices.begin(), p.devices.end());
  p.devices.erase(std::unique(p.devices.begin(), p.devices.end()), p.devices.end());
  if (p.devices.size() > kMaxDevices) p.devices.resize(kMaxDevices);
  if (p.phone_is_key) p.key_phones.push_back(p.phone_digits);
  for (const auto& phone : r.other_phones) {
    std::string digits = DigitsOf(phone);
    if (!digits.empty() &&
        std::find(p.key_phones.begin(), p.key_phones.end(), digits) == p.key_phones.end()) {
      p.key_phones.push_back(std::move(digits));
    }
  }
  return p;
}

namespace {

bool ShareAny(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  for (const auto& x : a) {
    if (std::find(b.begin(), b.end(), x) != b.end()) return true;
  }
  return false;
}

// The domain the import's email check suggests for `domain` ("gmail.com" for
// "gmai.com"), or "" when it suggests none. Memoised per thread: a base has
// few distinct domains.
const std::string& SuggestedDomain(std::string_view domain) {
  thread_local std::unordered_map<std::string, std::string> memo;
  auto it = memo.find(std::string(domain));
  if (it != memo.end()) return it->second;
  if (memo.size() > 100000) memo.clear();
  std::string suggestion = AsciiLower(ingest::CheckEmail("x@" + std::string(domain)).suggestion);
  if (suggestion.size() > 2) suggestion.erase(0, 2);  // "x@"
  return memo.emplace(std::string(domain), std::move(suggestion)).first->second;
}

// One mailbox written with a mistyped domain: "pebrahimi@gmai.com" and
// "pebrahimi@gmail.com" -- the same local part, and one domain is what the
// import's check suggests for the other. Two real providers close to each
// other (yahoo.se, yahoo.de) are not typos of each other, so the same local
// part there stays what it usually is: a name spelled at two providers.
bool SameMailboxMistyped(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  for (const auto& x : a) {
    const size_t x_at = x.rfind('@');
    if (x_at == std::string::npos || x_at < 3) continue;
    for (const auto& y : b) {
      const size_t y_at = y.rfind('@');
      if (y_at != x_at || x.compare(0, x_at, y, 0, y_at) != 0) continue;
      const std::string_view x_domain = std::string_view(x).substr(x_at + 1);
      const std::string_view y_domain = std::string_view(y).substr(y_at + 1);
      if (x_domain == y_domain || DamerauLevenshtein(x_domain, y_domain) > 2) continue;
      if (SuggestedDomain(x_domain) == y_domain || SuggestedDomain(y_domain) == x_domain) return true;
    }
  }
  return false;
}

}  // namespace

std::vector<PreparedRecord> PrepareAll(const std::vector<PersonRecord>& records, int threads,
                                       const std::function<void(size_t done)>& progress) {
  std::vector<PreparedRecord> out(records.size());
  ParallelChunks(
      records.size(), WorkerThreads(threads), 4096,
      [&](size_t begin, size_t end) {
        for (size_t i = begin; i < end; ++i) out[i] = Prepare(records[i]);
      },
      progress);
  return out;
}

NameCodes::NameCodes(const std::vector<PreparedRecord>& records) : of(records.size()) {
  std::unordered_map<std::string_view, uint32_t> names, cities;
  auto code = [](std::unordered_map<std::string_view, uint32_t>& dictionary, const std::string& value) -> uint32_t {
    if (value.empty()) return 0;
    return dictionary.try_emplace(value, static_cast<uint32_t>(dictionary.size() + 1)).first->second;
  };
  for (size_t i = 0; i < records.size(); ++i) {
    // Given and family names share one dictionary: a swapped pair compares
    // a given name with a family name.
    of[i] = {code(names, records[i].given), code(names, records[i].family), code(cities, records[i].city)};
  }
}

namespace {

// Whether `text` has Arabic-script letters (U+0600-U+06FF: UTF-8 lead bytes
// 0xD8-0xDB).
bool HasArabicScript(std::string_view text) {
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0xD8 && u <= 0xDB) return true;
  }
  return false;
}

// Reads the digits of an address one at a time, Persian and Arabic-Indic
// digits as ASCII: Next() gives '0'-'9', '|' between two numbers, and '\0'
// at the end. Allocates nothing: it runs on every pair of streets in two
// scripts.
class AddressNumbers {
 public:
  explicit AddressNumbers(std::string_view text) : text_(text) {}
  char Next() {
    bool gap = false;
    while (i_ < text_.size()) {
      const auto u = static_cast<unsigned char>(text_[i_]);
      char digit = 0;
      size_t width = 1;
      if (u >= '0' && u <= '9') {
        digit = static_cast<char>(u);
      } else if (i_ + 1 < text_.size()) {
        const auto next = static_cast<unsigned char>(text_[i_ + 1]);
        if (u == 0xDB && next >= 0xB0 && next <= 0xB9) digit = static_cast<char>('0' + (next - 0xB0));  // U+06F0-9
        if (u == 0xD9 && next >= 0xA0 && next <= 0xA9) digit = static_cast<char>('0' + (next - 0xA0));  // U+0660-9
        if (digit) width = 2;
      }
      if (!digit) {
        gap = seen_digit_;
        ++i_;
        continue;
      }
      if (gap) return '|';  // the digit is read by the next call
      seen_digit_ = true;
      i_ += width;
      return digit;
    }
    return '\0';
  }

 private:
  std::string_view text_;
  size_t i_ = 0;
  bool seen_digit_ = false;
};

// Whether two addresses have the same numbers, at least one.
bool SameAddressNumbers(std::string_view a, std::string_view b) {
  AddressNumbers x(a), y(b);
  char cx = x.Next(), cy = y.Next();
  if (cx == '\0' || cy == '\0') return false;
  while (cx == cy) {
    if (cx == '\0') return true;
    cx = x.Next();
    cy = y.Next();
  }
  return false;
}

// One street written in two scripts ("خیابان ولیعصر، کوچه 15، پلاک 175" and
// "Valiasr St., Alley 15, No. 175"; "شارع الخليج، مبنى 29" and "Al Khaleej
// Street, Building 29"): the same numbers, and a word of the street's name
// whose consonant skeleton one side ends with the other's (so that an
// Arabic article written into the word, "الخليج" -> "lkhlj", meets "khlj").
// Only asked of streets in different scripts.
bool SameStreetAcrossScripts(std::string_view a, std::string_view b) {
  if (!SameAddressNumbers(a, b)) return false;
  auto skeletons = [](std::string_view text) {
    std::vector<std::string> out;
    size_t start = 0;
    while (start < text.size()) {
      size_t end = text.find(' ', start);
      if (end == std::string_view::npos) end = text.size();
      std::string skeleton = NameSkeleton(text.substr(start, end - start));
      if (skeleton.size() >= 3) out.push_back(std::move(skeleton));
      start = end + 1;
    }
    return out;
  };
  const std::vector<std::string> sa = skeletons(a), sb = skeletons(b);
  for (const std::string& x : sa) {
    for (const std::string& y : sb) {
      const std::string& longer = x.size() >= y.size() ? x : y;
      const std::string& shorter = x.size() >= y.size() ? y : x;
      if (longer.ends_with(shorter)) return true;
    }
  }
  return false;
}

}  // namespace

ComparisonVector ComparePrepared(const PreparedRecord& a, const PreparedRecord& b, NameLevelMemo* memo) {
  ComparisonVector v;
  auto set = [&v](Field f, int level) { v.levels[static_cast<int>(f)] = static_cast<int8_t>(level); };
  // The romanisation and skeleton of a name are functions of the name, so the
  // codes of the two names are the whole key.
  const std::array<uint32_t, 3>* a_codes = memo ? memo->CodesOf(a) : nullptr;
  const std::array<uint32_t, 3>* b_codes = memo ? memo->CodesOf(b) : nullptr;
  const bool by_code = a_codes && b_codes;
  auto NameLevel = [&](const std::string& x, const std::string& x_roman, const std::string& x_skeleton,
                       uint32_t x_code, const std::string& y, const std::string& y_roman,
                       const std::string& y_skeleton, uint32_t y_code) {
    if (!by_code || x_code == 0 || y_code == 0 || x_code == y_code) {
      return internal::NameLevel(x, x_roman, x_skeleton, y, y_roman, y_skeleton);
    }
    auto [it, inserted] = memo->names.try_emplace((static_cast<uint64_t>(x_code) << 32) | y_code, 0);
    if (inserted) it->second = static_cast<int8_t>(internal::NameLevel(x, x_roman, x_skeleton, y, y_roman, y_skeleton));
    return static_cast<int>(it->second);
  };
  const uint32_t ag = by_code ? (*a_codes)[0] : 0, af = by_code ? (*a_codes)[1] : 0;
  const uint32_t bg = by_code ? (*b_codes)[0] : 0, bf = by_code ? (*b_codes)[1] : 0;

  int given = NameLevel(a.given, a.given_roman, a.given_skeleton, ag, b.given, b.given_roman,
                        b.given_skeleton, bg);
  int family = NameLevel(a.family, a.family_roman, a.family_skeleton, af, b.family, b.family_roman,
                         b.family_skeleton, bf);
  // A swap shows as both fields disagreeing; checking only then keeps the
  // common case (random pairs) cheap.
  if (given >= 0 && family >= 0 && given <= 1 && family <= 1 &&
      (a.given[0] == b.family[0] || a.family[0] == b.given[0])) {
    int swapped_given = NameLevel(a.given, a.given_roman, a.given_skeleton, ag, b.family,
                                  b.family_roman, b.family_skeleton, bf);
    int swapped_family = NameLevel(a.family, a.family_roman, a.family_skeleton, af, b.given,
                                   b.given_roman, b.given_skeleton, bg);
    if (swapped_given >= 2 && swapped_family >= 2 &&
        swapped_given + swapped_family > given + family) {
      // A swap is itself a small disagreement: at most "close".
      given = 2;
      family = 2;
    }
  }
  // A name part inferred from an email counts only when it agrees.
  if (given == 0 && (a.inferred_name == 'g' || b.inferred_name == 'g')) given = -1;
  if (family == 0 && (a.inferred_name == 'f' || b.inferred_name == 'f')) family = -1;
  set(Field::kGivenName, given);
  set(Field::kFamilyName, family);

  switch (CompareDates(a.birth_date, b.birth_date)) {
    case DateCloseness::kMissing: set(Field::kBirthDate, -1); break;
    case DateCloseness::kDifferent: set(Field::kBirthDate, 0); break;
    case DateCloseness::kSameYear: set(Field::kBirthDate, 1); break;
    case DateCloseness::kTypo: set(Field::kBirthDate, 2); break;
    case DateCloseness::kExact: set(Field::kBirthDate, 3); break;
  }

  if (a.street.empty() || b.street.empty()) {
    set(Field::kStreet, -1);
  } else if (a.street == b.street) {
    set(Field::kStreet, 3);
  } else if (a.street_compact == b.street_compact ||
             (JaroWinklerMayReach(a.street, b.street, 0.92) && JaroWinkler(a.street, b.street) >= 0.92)) {
    set(Field::kStreet, 2);
  } else if (HasArabicScript(a.street) != HasArabicScript(b.street) && SameStreetAcrossScripts(a.street, b.street)) {
    set(Field::kStreet, 2);
  } else if (TokenSetSimilarityAtLeast(a.street, b.street, 0.5)) {
    set(Field::kStreet, 1);
  } else {
    set(Field::kStreet, 0);
  }
  set(Field::kStreetNumber, ExactLevel(a.street_number, b.street_number));
  set(Field::kAddressExtra, PlaceLevel(a.address_extra, b.address_extra));
  int city;
  if (!by_code || (*a_codes)[2] == 0 || (*b_codes)[2] == 0 || (*a_codes)[2] == (*b_codes)[2]) {
    city = CityLevel(a.city, b.city);
  } else {
    auto [it, inserted] =
        memo->places.try_emplace((static_cast<uint64_t>((*a_codes)[2]) << 32) | (*b_codes)[2], 0);
    if (inserted) it->second = static_cast<int8_t>(CityLevel(a.city, b.city));
    city = it->second;
  }
  // Cities in two scripts ("Jeddah", "جدة") meet through their romanisation.
  if (city == 0 && !a.city_roman.empty() &&
      (a.city_roman == b.city_roman || a.city_skeleton == b.city_skeleton)) {
    city = 1;
  }
  set(Field::kCity, city);
  set(Field::kPostcode, CodeLevel(a.postcode, b.postcode));
  set(Field::kRegion, ExactLevel(a.region, b.region));
  set(Field::kNationalId, CodeLevel(a.national_id, b.national_id));

  // The correction the import suggested for one record's invalid address is
  // the other's address: the same mailbox, mistyped.
  const bool corrected = ShareAny(a.suggested_emails, b.emails) || ShareAny(a.emails, b.suggested_emails);
  if (a.emails.empty() || b.emails.empty()) {
    // Without a valid address on one side only a correction says anything.
    set(Field::kEmail, corrected ? 1 : -1);
  } else {
    // Only the whole address is evidence. A shared or similar local part
    // ("mehdi.rezaei@" at two providers) mostly spells the name, which the
    // name fields already weigh; counting it again would make namesakes look
    // like one person. Local parts still serve as a blocking key.
    // The same mailbox with a mistyped domain is the same address.
    set(Field::kEmail, ShareAny(a.emails, b.emails) || SameMailboxMistyped(a.emails, b.emails) || corrected ? 1 : 0);
  }
  int phone = CodeLevel(a.phone_digits, b.phone_digits);
  // "+989142547185" and "09142547185" are one number written two ways.
  if (phone >= 0 && phone < 2 && !a.phone_tail.empty() && a.phone_tail == b.phone_tail) phone = 2;
  // A record's other numbers (a landline beside the mobile) count too.
  if (phone >= 0 && phone < 2 && (a.key_phones.size() > 1 || b.key_phones.size() > 1) &&
      ShareAny(a.key_phones, b.key_phones)) {
    phone = 2;
  }
  set(Field::kPhone, phone);
  set(Field::kDevice, a.devices.empty() || b.devices.empty() ? -1 : ShareAny(a.devices, b.devices) ? 1 : 0);
  return v;
}

std::string DeterministicRule(const PreparedRecord& a, const PreparedRecord& b) {
  if (!a.national_key.empty() && a.national_key == b.national_key) return "national_id";
  if (ShareAny(a.emails, b.emails)) return "email";
  if (ShareAny(a.key_phones, b.key_phones)) return "phone";
  return "";
}

LinkageModel DefaultModel() {
  // Plausible values before anything was fitted: exact agreement is common
  // among matches and rare among non-matches.
  LinkageModel model;
  model.m.resize(kFieldCount);
  model.u.resize(kFieldCount);
  for (int f = 0; f < kFieldCount; ++f) {
    const int levels = LevelCount(static_cast<Field>(f));
    model.m[f].assign(levels, 0.0);
    model.u[f].assign(levels, 0.0);
    // m: 0.85 at exact, the rest shared by the lower levels, least at 0.
    // u: mostly disagreement, 1 % at exact.
    double remaining_m = 0.15, remaining_u = 0.01;
    model.m[f][levels - 1] = 0.85;
    model.u[f][levels - 1] = 0.01;
    for (int l = levels - 2; l >= 1; --l) {
      model.m[f][l] = remaining_m / 2;
      remaining_m /= 2;
      model.u[f][l] = 0.02;
      remaining_u += 0.02;
    }
    model.m[f][0] += remaining_m;
    model.u[f][0] = 1.0 - remaining_u;
  }
  model.match_proportion = 0.01;
  return model;
}

std::string ModelToJson(const LinkageModel& model, const DecisionThresholds& thresholds) {
  nlohmann::json j;
  j["match_proportion"] = model.match_proportion;
  j["thresholds"] = {{"merge", thresholds.merge},
                     {"review", thresholds.review},
                     {"max_expected_namesakes", thresholds.max_expected_namesakes}};
  for (int f = 0; f < kFieldCount; ++f) {
    const std::string name(FieldName(static_cast<Field>(f)));
    j["fields"][name]["m"] = model.m[f];
    j["fields"][name]["u"] = model.u[f];
  }
  return j.dump();
}

Result<LinkageModel> ModelFromJson(std::string_view text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return DataLoss("identity model is not valid JSON");
  }
  LinkageModel model = DefaultModel();
  model.match_proportion = j.value("match_proportion", model.match_proportion);
  for (int f = 0; f < kFieldCount; ++f) {
    const std::string name(FieldName(static_cast<Field>(f)));
    if (!j.contains("fields") || !j["fields"].contains(name)) continue;
    const auto& field = j["fields"][name];
    auto m = field.value("m", std::vector<double>{});
    auto u = field.value("u", std::vector<double>{});
    const size_t levels = static_cast<size_t>(LevelCount(static_cast<Field>(f)));
    if (m.size() == levels && u.size() == levels) {
      model.m[f] = std::move(m);
      model.u[f] = std::move(u);
    }
  }
  return model;
}

Result<DecisionThresholds> ThresholdsFromJson(std::string_view text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return DataLoss("identity model is not valid JSON");
  }
  DecisionThresholds thresholds;
  auto it = j.find("thresholds");
  if (it == j.end() || !it->is_object()) return thresholds;
  auto read = [&](const char* key, double& out) {
    auto v = it->find(key);
    if (v != it->end() && v->is_number()) out = v->get<double>();
  };
  read("merge", thresholds.merge);
  read("review", thresholds.review);
  read("max_expected_namesakes", thresholds.max_expected_namesakes);
  return thresholds;
}

}  // namespace internal

using internal::PreparedRecord;

std::string_view FieldName(Field field) {
  switch (field) {
    case Field::kGivenName: return "given_name";
    case Field::kFamilyName: return "family_name";
    case Field::kBirthDate: return "birth_date";
    case Field::kStreet: return "street";
    case Field::kStreetNumber: return "street_number";
    case Field::kAddressExtra: return "address_extra";
    case Field::kCity: return "city";
    case Field::kPostcode: return "postcode";
    case Field::kRegion: return "region";
    case Field::kNationalId: return "national_id";
    case Field::kEmail: return "email";
    case Field::kPhone: return "phone";
    case Field::kDevice: return "device";
  }
  return "?";
}

int LevelCount(Field field) {
  switch (field) {
    case Field::kGivenName:
    case Field::kFamilyName:
    case Field::kBirthDate:
    case Field::kStreet:
      return 4;
    case Field::kStreetNumber:
    case Field::kRegion:
    case Field::kEmail:
    case Field::kDevice:
      return 2;
    case Field::kAddressExtra:
    case Field::kCity:
    case Field::kPostcode:
    case Field::kNationalId:
    case Field::kPhone:
      return 3;
  }
  return 2;
}

double LinkageModel::Weight(Field field, int level) const {
  if (level < 0) return 0.0;
  const int f = static_cast<int>(field);
  return std::log2(m[f][level] / u[f][level]);
}

double LinkageModel::MatchWeight(const ComparisonVector& v) const {
  double w = 0;
  for (int f = 0; f < kFieldCount; ++f) w += Weight(static_cast<Field>(f), v.levels[f]);
  return w;
}

double LinkageModel::ProbabilityOfWeight(double weight) const {
  const double prior = std::log2(match_proportion / (1.0 - match_proportion));
  return 1.0 / (1.0 + std::exp2(-(prior + weight)));
}

double LinkageModel::MatchProbability(const ComparisonVector& v) const {
  return ProbabilityOfWeight(MatchWeight(v));
}

ComparisonVector Compare(const PersonRecord& a, const PersonRecord& b) {
  return internal::ComparePrepared(internal::Prepare(a), internal::Prepare(b));
}

namespace {

uint64_t PairKey(int a, int b) {
  if (a > b) std::swap(a, b);
  return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
}

// A device's blocking key: in the email rule's range, behind a byte no email
// has.
constexpr std::string_view kDeviceKeyPrefix = "\x02" "device|";

// Blocking rules: records sharing a rule's key become candidate pairs. Each
// rule names the fields its key fixes; the EM session of that rule leaves
// them out, since among its pairs they agree by construction.
struct BlockingRule {
  const char* name;
  std::vector<Field> fixed;
};
const std::vector<BlockingRule>& BlockingRules() {
  static const std::vector<BlockingRule>* const rules = new std::vector<BlockingRule>{
      {"family+birth_year", {Field::kFamilyName, Field::kBirthDate}},
      {"given+postcode", {Field::kGivenName, Field::kPostcode}},
      {"family+postcode", {Field::kFamilyName, Field::kPostcode}},
      {"name_skeletons", {Field::kGivenName, Field::kFamilyName}},
      {"given+family", {Field::kGivenName, Field::kFamilyName}},
      {"birth_date+initial", {Field::kBirthDate}},
      {"national_id", {Field::kNationalId}},
      // Emails, and devices (their keys are prefixed, so never an email's):
      // the index keeps 4 bits for a key's rule, and all 16 are taken.
      {"email", {Field::kEmail}},
      {"email_local_part", {Field::kEmail}},
      {"phone", {Field::kPhone}},
      {"street", {Field::kStreet, Field::kStreetNumber}},
      {"given+birth_day", {Field::kGivenName, Field::kBirthDate}},
  };
  return *rules;
}

// The keys of a record, as (rule index, key) in BlockingRules() order.
void BlockingKeys(const PreparedRecord& p, std::vector<std::pair<int, std::string>>& keys) {
  keys.clear();
  const std::string year = p.birth_date.substr(0, std::min<size_t>(4, p.birth_date.size()));
  if (!p.family.empty() && !year.empty()) keys.emplace_back(0, p.family + "|" + year);
  if (!p.given.empty() && !p.postcode.empty()) keys.emplace_back(1, p.given + "|" + p.postcode);
  if (!p.family.empty() && !p.postcode.empty()) keys.emplace_back(2, p.family + "|" + p.postcode);
  if (!p.family_skeleton.empty() && !p.given_skeleton.empty()) {
    keys.emplace_back(3, p.family_skeleton + "|" + p.given_skeleton);
  }
  if (!p.given.empty() && !p.family.empty()) {
    // Order-free, so that swapped given and family names meet.
    keys.emplace_back(4, p.given < p.family ? p.given + "|" + p.family : p.family + "|" + p.given);
  }
  // A birth date alone is shared by ~40 of every million people: with the
  // first letter of either name the blocks stay small at any scale, and a
  // typo in one name still leaves the other's initial.
  // Initials of the romanised names, so that "ستاره" and "Setareh" meet.
  if (!p.birth_date.empty()) {
    if (!p.given_roman.empty()) keys.emplace_back(5, p.birth_date + "|g" + p.given_roman.substr(0, 1));
    if (!p.family_roman.empty()) keys.emplace_back(5, p.birth_date + "|f" + p.family_roman.substr(0, 1));
  }
  if (!p.national_id.empty()) keys.emplace_back(6, p.national_id);
  for (const auto& email : p.emails) {
    keys.emplace_back(7, email);
    std::string local = EmailLocalPart(email);
    if (local.size() >= 4) keys.emplace_back(8, std::move(local));
  }
  for (const auto& email : p.suggested_emails) keys.emplace_back(7, email);
  for (const auto& device : p.devices) keys.emplace_back(7, std::string(kDeviceKeyPrefix) + device);
  if (!p.phone_tail.empty()) {
    keys.emplace_back(9, p.phone_tail);
  } else if (p.phone_digits.size() >= 7) {
    keys.emplace_back(9, p.phone_digits);
  }
  for (size_t i = p.phone_is_key ? 1 : 0; i < p.key_phones.size(); ++i) {
    const std::string& digits = p.key_phones[i];
    keys.emplace_back(9, digits.size() >= 9 ? digits.substr(digits.size() - 9) : digits);
  }
  if (!p.street_compact.empty() && !p.street_number.empty()) {
    keys.emplace_back(10, p.street_number + "|" + p.street_compact);
  }
  if (!p.given_skeleton.empty() && !p.birth_date.empty()) {
    keys.emplace_back(11, p.given_skeleton + "|" + p.birth_date.substr(4));
  }
}

// Candidate pairs, each with the bit set of the blocking rules that found it.
struct Candidate {
  int a, b;
  uint32_t rules;
};

// With `involving`, only pairs with at least one record marked true.
// With `block_sizes`, a block's size is the one given there when the hash is
// listed (the store-wide size, when `prepared` is a subset of the store).
std::vector<Candidate> CandidatePairs(const std::vector<PreparedRecord>& prepared, int max_block_size, int threads,
                                      const std::vector<char>* involving = nullptr,
                                      const std::unordered_map<uint64_t, int64_t>* block_sizes = nullptr) {
  // Each (rule, key) is hashed to 64 bits and the (hash, record) list sorted,
  // so records sharing a key are adjacent: no map of strings, which cost more
  // than the comparisons at a million records. A hash collision only adds a
  // candidate pair, which scoring then judges like any other.
  struct KeyedRecord {
    uint64_t hash;
    int record;
    int rule;
    bool operator<(const KeyedRecord& o) const {
      return hash != o.hash ? hash < o.hash : record < o.record;
    }
  };
  // Keys per slice of records on worker threads, concatenated in record order.
  constexpr size_t kSlice = 65536;
  std::vector<std::vector<KeyedRecord>> slices((prepared.size() + kSlice - 1) / kSlice);
  internal::ParallelChunks(slices.size(), threads, 1, [&](size_t begin, size_t end) {
    std::vector<std::pair<int, std::string>> keys;
    for (size_t s = begin; s < end; ++s) {
      auto& out = slices[s];
      out.reserve(kSlice * 10);
      for (size_t i = s * kSlice; i < std::min(prepared.size(), (s + 1) * kSlice); ++i) {
        BlockingKeys(prepared[i], keys);
        const size_t first = out.size();
        for (const auto& [rule, key] : keys) {
          out.push_back({internal::KeyHash(rule, key), static_cast<int>(i), rule});
        }
        // A key the record holds twice (two emails with one local part) counts
        // once towards its block's size, as in the store's index.
        std::sort(out.begin() + static_cast<std::ptrdiff_t>(first), out.end());
        out.erase(std::unique(out.begin() + static_cast<std::ptrdiff_t>(first), out.end(),
                              [](const KeyedRecord& x, const KeyedRecord& y) { return x.hash == y.hash; }),
                  out.end());
      }
    }
  });
  std::vector<KeyedRecord> keyed;
  size_t total_keys = 0;
  for (const auto& slice : slices) total_keys += slice.size();
  keyed.reserve(total_keys);
  for (auto& slice : slices) {
    keyed.insert(keyed.end(), slice.begin(), slice.end());
    slice = {};
  }
  internal::ParallelSort(keyed, threads);
  // (pair key, rule) entries, sorted so that one pair's rules are adjacent.
  std::vector<std::pair<uint64_t, int>> entries;
  for (size_t start = 0; start < keyed.size();) {
    size_t end = start + 1;
    while (end < keyed.size() && keyed[end].hash == keyed[start].hash) ++end;
    size_t size = end - start;
    if (block_sizes && size >= 2) {
      auto it = block_sizes->find(keyed[start].hash);
      if (it != block_sizes->end()) size = static_cast<size_t>(std::max<int64_t>(it->second, 2));
    }
    if (end - start >= 2 && size <= static_cast<size_t>(internal::BlockLimit(keyed[start].rule, max_block_size))) {
      for (size_t x = start; x < end; ++x) {
        for (size_t y = x + 1; y < end; ++y) {
          if (keyed[x].record != keyed[y].record &&
              (!involving || (*involving)[static_cast<size_t>(keyed[x].record)] ||
               (*involving)[static_cast<size_t>(keyed[y].record)])) {
            entries.emplace_back(PairKey(keyed[x].record, keyed[y].record), keyed[start].rule);
          }
        }
      }
    }
    start = end;
  }
  keyed.clear();
  keyed.shrink_to_fit();
  internal::ParallelSort(entries, threads);
  std::vector<Candidate> out;
  for (const auto& [key, rule] : entries) {
    if (out.empty() || PairKey(out.back().a, out.back().b) != key) {
      out.push_back({static_cast<int>(key >> 32), static_cast<int>(key & 0xffffffffu), 0});
    }
    out.back().rules |= 1u << rule;
  }
  return out;
}

struct VectorHash {
  size_t operator()(const std::array<int8_t, kFieldCount>& v) const {
    size_t h = 1469598103934665603ull;
    for (int8_t x : v) h = (h ^ static_cast<uint8_t>(x)) * 1099511628211ull;
    return h;
  }
};

std::array<int8_t, kFieldCount> AsArray(const ComparisonVector& v) {
  std::array<int8_t, kFieldCount> a;
  std::copy(std::begin(v.levels), std::end(v.levels), a.begin());
  return a;
}

// u: how often each level occurs between random records — nearly all of them
// non-matches — with add-one smoothing so that no level is impossible.
void EstimateU(const std::vector<PreparedRecord>& prepared, const LinkageOptions& options,
               LinkageModel& model) {
  std::vector<std::vector<double>> counts(kFieldCount);
  for (int f = 0; f < kFieldCount; ++f) counts[f].assign(LevelCount(static_cast<Field>(f)), 1.0);
  const int64_t n = static_cast<int64_t>(prepared.size());
  if (n >= 2) {
    const int64_t all_pairs = n * (n - 1) / 2;
    std::vector<std::pair<int, int>> pairs;
    if (all_pairs <= options.u_sample_pairs) {
      pairs.reserve(static_cast<size_t>(all_pairs));
      for (int a = 0; a < n; ++a) {
        for (int b = a + 1; b < n; ++b) pairs.emplace_back(a, b);
      }
    } else {
      std::mt19937_64 rng(options.seed);
      std::uniform_int_distribution<int64_t> pick(0, n - 1);
      pairs.reserve(static_cast<size_t>(options.u_sample_pairs));
      for (int s = 0; s < options.u_sample_pairs; ++s) {
        int64_t a = pick(rng), b = pick(rng);
        if (a == b) continue;
        pairs.emplace_back(static_cast<int>(a), static_cast<int>(b));
      }
    }
    // Counts are whole numbers: summing per thread and then adding up gives
    // the same totals in any order.
    std::mutex merge;
    internal::ParallelChunks(pairs.size(), internal::WorkerThreads(options.threads), 8192,
                             [&](size_t begin, size_t end) {
                               std::vector<std::vector<double>> local(kFieldCount);
                               for (int f = 0; f < kFieldCount; ++f) local[f].assign(counts[f].size(), 0.0);
                               for (size_t i = begin; i < end; ++i) {
                                 const ComparisonVector v =
                                     internal::ComparePrepared(prepared[static_cast<size_t>(pairs[i].first)],
                                                               prepared[static_cast<size_t>(pairs[i].second)]);
                                 for (int f = 0; f < kFieldCount; ++f) {
                                   if (v.levels[f] >= 0) local[f][static_cast<size_t>(v.levels[f])] += 1;
                                 }
                               }
                               std::lock_guard<std::mutex> lock(merge);
                               for (int f = 0; f < kFieldCount; ++f) {
                                 for (size_t l = 0; l < counts[f].size(); ++l) counts[f][l] += local[f][l];
                               }
                             });
  }
  for (int f = 0; f < kFieldCount; ++f) {
    const double total = std::accumulate(counts[f].begin(), counts[f].end(), 0.0);
    for (size_t l = 0; l < counts[f].size(); ++l) model.u[f][l] = counts[f][l] / total;
  }
}

using Pattern = std::array<int8_t, kFieldCount>;
using PatternCounts = std::vector<std::pair<Pattern, int64_t>>;

// The candidates' comparison vectors by pattern: a million records' ten
// million candidate pairs show some tens of thousands of distinct vectors,
// and the EM sessions and the prior count pairs per pattern, so each vector
// is hashed once rather than once per session.
struct PatternIndex {
  std::vector<Pattern> patterns;  // by id
  std::vector<int32_t> of;        // per candidate: its pattern's id
  explicit PatternIndex(const std::vector<ComparisonVector>& vectors) {
    std::unordered_map<Pattern, int32_t, VectorHash> ids;
    of.resize(vectors.size());
    for (size_t i = 0; i < vectors.size(); ++i) {
      auto [it, inserted] =
          ids.try_emplace(AsArray(vectors[i]), static_cast<int32_t>(patterns.size()));
      if (inserted) patterns.push_back(it->first);
      of[i] = it->second;
    }
  }
  // The candidates for which take(i) holds, counted by pattern, in pattern
  // order (a deterministic summation order for EM).
  template <class Take>
  PatternCounts Count(Take&& take) const {
    std::vector<int64_t> counts(patterns.size(), 0);
    for (size_t i = 0; i < of.size(); ++i) {
      if (take(i)) ++counts[static_cast<size_t>(of[i])];
    }
    PatternCounts out;
    for (size_t p = 0; p < patterns.size(); ++p) {
      if (counts[p] > 0) out.emplace_back(patterns[p], counts[p]);
    }
    std::sort(out.begin(), out.end());
    return out;
  }
};

// One EM session: m and the match proportion over `patterns` with u fixed;
// fields with mask[f] set are left out (their m is not estimated). Returns the
// expected number of matches.
double EmSession(const PatternCounts& patterns, const std::array<bool, kFieldCount>& mask,
                 int iterations, LinkageModel& model) {
  int64_t total = 0;
  for (const auto& [pattern, count] : patterns) total += count;
  if (total == 0) return 0;
  model.match_proportion = 0.3;
  double expected_matches = 0;
  for (int iteration = 0; iteration < iterations; ++iteration) {
    std::vector<std::vector<double>> m_sum(kFieldCount);
    for (int f = 0; f < kFieldCount; ++f) m_sum[f].assign(model.m[f].size(), 0.0);
    expected_matches = 0;
    for (const auto& [pattern, count] : patterns) {
      ComparisonVector v;
      for (int f = 0; f < kFieldCount; ++f) v.levels[f] = mask[f] ? -1 : pattern[f];
      const double g = model.MatchProbability(v);
      const double n = static_cast<double>(count);
      expected_matches += g * n;
      for (int f = 0; f < kFieldCount; ++f) {
        if (v.levels[f] >= 0) m_sum[f][v.levels[f]] += g * n;
      }
    }
    for (int f = 0; f < kFieldCount; ++f) {
      if (mask[f]) continue;
      const double field_total = std::accumulate(m_sum[f].begin(), m_sum[f].end(), 0.0);
      if (field_total <= 0) continue;
      for (size_t l = 0; l < m_sum[f].size(); ++l) {
        // A floor keeps log(m/u) finite for levels no match showed.
        model.m[f][l] = std::max(m_sum[f][l] / field_total, 1e-6);
      }
    }
    model.match_proportion =
        std::clamp(expected_matches / static_cast<double>(total), 1e-6, 1.0 - 1e-6);
  }
  return expected_matches;
}

// m by expectation–maximisation without labels, one session per blocking rule
// (u stays at its random-pair estimate). Within a rule's pairs the fields the
// rule fixes agree by construction and say nothing about matching, so each
// session leaves them out; a field's m is the average over the sessions that
// estimated it, weighted by their expected matches.
void EstimateM(const std::vector<Candidate>& candidates, const PatternIndex& index,
               const LinkageOptions& options, LinkageModel& model) {
  const auto& rules = BlockingRules();
  std::vector<std::vector<double>> m_sum(kFieldCount);
  std::vector<double> m_weight(kFieldCount, 0.0);
  for (int f = 0; f < kFieldCount; ++f) m_sum[f].assign(model.m[f].size(), 0.0);
  for (size_t r = 0; r < rules.size(); ++r) {
    const PatternCounts patterns =
        index.Count([&](size_t i) { return (candidates[i].rules & (1u << r)) != 0; });
    if (patterns.empty()) continue;
    std::array<bool, kFieldCount> mask{};
    for (Field f : rules[r].fixed) mask[static_cast<int>(f)] = true;
    LinkageModel session = internal::DefaultModel();
    session.u = model.u;
    const double matches = EmSession(patterns, mask, options.em_iterations, session);
    if (matches < 1.0) continue;
    for (int f = 0; f < kFieldCount; ++f) {
      if (mask[f]) continue;
      for (size_t l = 0; l < m_sum[f].size(); ++l) m_sum[f][l] += matches * session.m[f][l];
      m_weight[f] += matches;
    }
  }
  for (int f = 0; f < kFieldCount; ++f) {
    if (m_weight[f] <= 0) continue;
    for (size_t l = 0; l < m_sum[f].size(); ++l) model.m[f][l] = m_sum[f][l] / m_weight[f];
  }
}

// The prior: the proportion of matches among *all* pairs of records, since
// u describes random pairs. EM on the candidates' proportion (m and u fixed)
// gives the expected number of matches, which all pairs share.
void EstimatePrior(const PatternIndex& index, double all_pairs, const LinkageOptions& options,
                   LinkageModel& model) {
  const PatternCounts counts = index.Count([](size_t) { return true; });
  const double candidates_total = static_cast<double>(index.of.size());
  if (candidates_total == 0 || all_pairs <= 0) return;
  model.match_proportion = 0.3;
  double expected = 0;
  for (int iteration = 0; iteration < options.em_iterations; ++iteration) {
    expected = 0;
    for (const auto& [pattern, count] : counts) {
      ComparisonVector v;
      std::copy(pattern.begin(), pattern.end(), v.levels);
      expected += model.MatchProbability(v) * static_cast<double>(count);
    }
    model.match_proportion = std::clamp(expected / candidates_total, 1e-6, 1.0 - 1e-6);
  }
  model.match_proportion = std::clamp(expected / all_pairs, 1e-12, 0.5);
}

// m from the pairs the deterministic rules linked (the same email, phone or
// valid national ID): where the data holds enough of them they are matches
// found without labels, and unlike EM they cannot mistake a crowd of namesakes
// in one city for a class of matches. A field's m is taken from them when at
// least `kMinObservations` such pairs have the field on both sides, leaving
// out the rule's own field; otherwise the EM estimate stays.
void EstimateMFromRulePairs(const std::vector<std::pair<ComparisonVector, Field>>& rule_pairs,
                            LinkageModel& model) {
  constexpr double kMinObservations = 50;
  for (int f = 0; f < kFieldCount; ++f) {
    std::vector<double> counts(model.m[f].size(), 0.5);  // smoothing: no level impossible
    double observed = 0;
    for (const auto& [v, rule_field] : rule_pairs) {
      if (static_cast<int>(rule_field) == f || v.levels[f] < 0) continue;
      counts[static_cast<size_t>(v.levels[f])] += 1;
      observed += 1;
    }
    if (observed < kMinObservations) continue;
    const double total = std::accumulate(counts.begin(), counts.end(), 0.0);
    for (size_t l = 0; l < counts.size(); ++l) model.m[f][l] = counts[l] / total;
  }
}

// Whether a pair agrees (at any level above "different") on some field other
// than the names and the place (city, region, postcode): birth date, street,
// email, phone, national ID or a device. A postcode is a place, not an
// identifier: at a million records one is shared by thousands of people, and
// a common name in one postcode with different emails and phones was two
// people more often than one.
bool AgreesBeyondNameAndPlace(const ComparisonVector& v) {
  for (Field f :
       {Field::kBirthDate, Field::kStreet, Field::kNationalId, Field::kEmail, Field::kPhone, Field::kDevice}) {
    if (v.levels[static_cast<int>(f)] > 0) return true;
  }
  return false;
}

// Term-frequency adjustment of name agreement: two records that agree on a
// rare name ("Elizabeth Wilson" once in the base) are stronger evidence than
// two that agree on a common one ("Mohammad"). For exact agreement the u of
// the level (agreement by chance, averaged over all names) is replaced by the
// frequency of the agreed value itself.
class NameFrequencies {
 public:
  explicit NameFrequencies(const std::vector<PreparedRecord>& prepared) {
    for (const auto& p : prepared) {
      if (!p.given.empty()) {
        ++given_[p.given];
        ++given_total_;
      }
      if (!p.family.empty()) {
        ++family_[p.family];
        ++family_total_;
      }
    }
  }
  // Store-wide counts (a subset of the records is being linked).
  explicit NameFrequencies(const internal::GlobalCounts& counts)
      : given_(counts.given.begin(), counts.given.end()),
        family_(counts.family.begin(), counts.family.end()),
        given_total_(counts.given_total),
        family_total_(counts.family_total) {}
  // How many people other than the pair's are expected to carry `given` and
  // `family` together by chance: (holders of the given name - 1) x (holders
  // of the family name - 1) / records with both names -- the names'
  // frequencies among the others, as if independent. Names cluster (a
  // Persian given name goes with a Persian family name), which this
  // underestimates; the threshold it is compared with allows for that.
  double ExpectedNamesakes(const std::string& given, const std::string& family) const {
    auto g = given_.find(given);
    auto f = family_.find(family);
    const int64_t records = std::min(given_total_, family_total_);
    if (g == given_.end() || f == family_.end() || records == 0) return 1e9;
    return static_cast<double>(std::max<int64_t>(g->second - 1, 0)) *
           static_cast<double>(std::max<int64_t>(f->second - 1, 0)) / static_cast<double>(records);
  }
  // log2(u_exact / frequency) summed over the name fields that agree exactly.
  double Adjustment(const PreparedRecord& a, const PreparedRecord& b, const ComparisonVector& v,
                    const LinkageModel& model) const {
    double adjustment = 0;
    const int exact = LevelCount(Field::kGivenName) - 1;
    if (v.levels[static_cast<int>(Field::kGivenName)] == exact && a.given == b.given) {
      adjustment += Term(given_, given_total_, a.given, model.u[static_cast<int>(Field::kGivenName)][exact]);
    }
    if (v.levels[static_cast<int>(Field::kFamilyName)] == exact && a.family == b.family) {
      adjustment += Term(family_, family_total_, a.family, model.u[static_cast<int>(Field::kFamilyName)][exact]);
    }
    return adjustment;
  }

 private:
  static double Term(const std::unordered_map<std::string, int64_t>& counts, int64_t total,
                     const std::string& value, double u_exact) {
    auto it = counts.find(value);
    if (it == counts.end() || total == 0) return 0;
    const double frequency = static_cast<double>(it->second) / static_cast<double>(total);
    // Rarity earns at most kMaxBonus bits: a name seen once is as often a
    // typo as a rare name, and a typo repeated in two records is no proof.
    constexpr double kMaxBonus = 2.0;
    return std::min(kMaxBonus, std::log2(u_exact / std::max(frequency, 1.0 / static_cast<double>(total))));
  }
  std::unordered_map<std::string, int64_t> given_, family_;
  int64_t given_total_ = 0, family_total_ = 0;
};

// The exception to "names and place alone do not merge": exactly the same
// given and family name, no place that differs (city, postcode, region), and a
// name so rare in the base that a namesake is not to be expected.
bool RareNameInOnePlace(const PreparedRecord& a, const PreparedRecord& b, const ComparisonVector& v,
                        const NameFrequencies& frequencies, const LinkageOptions& options) {
  if (options.max_expected_namesakes <= 0) return false;
  if (a.given.empty() || a.family.empty() || a.given != b.given || a.family != b.family) return false;
  for (Field f : {Field::kCity, Field::kPostcode, Field::kRegion}) {
    if (v.levels[static_cast<int>(f)] == 0) return false;
  }
  return frequencies.ExpectedNamesakes(a.given, a.family) < options.max_expected_namesakes;
}

// Union–find over record indices with member lists for the transitivity guard.
class Clusters {
 public:
  explicit Clusters(int n) : parent_(static_cast<size_t>(n)), members_(static_cast<size_t>(n)) {
    for (int i = 0; i < n; ++i) {
      parent_[static_cast<size_t>(i)] = i;
      members_[static_cast<size_t>(i)] = {i};
    }
  }
  int Find(int x) {
    while (parent_[static_cast<size_t>(x)] != x) {
      parent_[static_cast<size_t>(x)] = parent_[static_cast<size_t>(parent_[static_cast<size_t>(x)])];
      x = parent_[static_cast<size_t>(x)];
    }
    return x;
  }
  const std::vector<int>& Members(int root) const { return members_[static_cast<size_t>(root)]; }
  void Join(int ra, int rb) {
    if (members_[static_cast<size_t>(ra)].size() < members_[static_cast<size_t>(rb)].size()) {
      std::swap(ra, rb);
    }
    parent_[static_cast<size_t>(rb)] = ra;
    auto& into = members_[static_cast<size_t>(ra)];
    auto& from = members_[static_cast<size_t>(rb)];
    into.insert(into.end(), from.begin(), from.end());
    from.clear();
    from.shrink_to_fit();
  }

 private:
  std::vector<int> parent_;
  std::vector<std::vector<int>> members_;
};

}  // namespace

namespace {

// Link and LinkIncremental. With `fixed_model` the model is used as given (no
// fitting); with `existing_cluster` (per record: the index of a record of its
// current cluster, or -1 for a new record) only pairs involving a new record
// are compared and current clusters are kept as they are.
// With `counts` (only with existing_cluster), `prepared` is a subset of the
// store and block sizes and name frequencies are the store's.
LinkageResult LinkCore(const std::vector<PreparedRecord>& prepared, const LinkageOptions& options,
                       const std::vector<std::pair<int, int>>& forced_apart,
                       const std::vector<std::pair<int, int>>& forced_together,
                       const LinkageModel* fixed_model, const std::vector<int>* existing_cluster,
                       const internal::GlobalCounts* counts = nullptr,
                       std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now()) {
  LinkageResult result;
  result.model = fixed_model ? *fixed_model : internal::DefaultModel();
  const int n = static_cast<int>(prepared.size());
  const int threads = internal::WorkerThreads(options.threads);
  auto stage_start = std::chrono::steady_clock::now();
  double stage_cpu = ProcessCpuSeconds();
  auto begin_stage = [&](std::string_view next, int64_t total) {
    const auto now = std::chrono::steady_clock::now();
    const double cpu = ProcessCpuSeconds();
    if (!result.stages.empty()) {
      result.stages.back().seconds = std::chrono::duration<double>(now - stage_start).count();
      result.stages.back().cpu_seconds = cpu - stage_cpu;
    }
    stage_start = now;
    stage_cpu = cpu;
    if (!next.empty()) result.stages.push_back({std::string(next), 0});
    if (!next.empty() && options.progress) options.progress(next, 0, total);
  };
  auto progress_of = [&](std::string_view stage, size_t total) -> std::function<void(size_t)> {
    if (!options.progress) return nullptr;
    return [&options, stage, total](size_t done) {
      options.progress(stage, static_cast<int64_t>(done), static_cast<int64_t>(total));
    };
  };
  begin_stage("candidates", 0);
  std::vector<char> is_new;
  if (existing_cluster) {
    is_new.resize(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) is_new[static_cast<size_t>(i)] = (*existing_cluster)[static_cast<size_t>(i)] < 0;
  }

  const auto candidates = CandidatePairs(prepared, options.max_block_size, threads, existing_cluster ? &is_new : nullptr,
                                         counts ? &counts->block_sizes : nullptr);
  result.candidate_pairs = static_cast<int64_t>(candidates.size());
  {
    const auto& rules = BlockingRules();
    std::vector<int64_t> per_rule(rules.size(), 0);
    for (const auto& c : candidates) {
      for (size_t r = 0; r < rules.size(); ++r) per_rule[r] += (c.rules >> r) & 1u;
    }
    for (size_t r = 0; r < rules.size(); ++r) result.candidates_by_rule.emplace_back(rules[r].name, per_rule[r]);
  }

  if (!fixed_model) {
    begin_stage("estimate_u", 0);
    EstimateU(prepared, options, result.model);
  }
  begin_stage("compare", static_cast<int64_t>(candidates.size()));
  std::vector<ComparisonVector> vectors(candidates.size());
  const internal::NameCodes codes(prepared);
  std::vector<internal::NameLevelMemo> memos(static_cast<size_t>(threads), internal::NameLevelMemo(prepared, codes));
  internal::ParallelChunksByWorker(
      candidates.size(), threads, 32768,
      [&](size_t worker, size_t begin, size_t end) {
        internal::NameLevelMemo& memo = memos[worker];
        // Bounded: a memo that outgrows this is dropped and starts again.
        if (memo.size() > 4000000) memo.clear();
        for (size_t i = begin; i < end; ++i) {
          vectors[i] = internal::ComparePrepared(prepared[static_cast<size_t>(candidates[i].a)],
                                                 prepared[static_cast<size_t>(candidates[i].b)], &memo);
        }
      },
      progress_of("compare", candidates.size()));
  memos.clear();
  memos.shrink_to_fit();
  begin_stage("rules", 0);

  // Deterministic rules: records sharing an email, a phone or a valid national
  // ID, grouped directly (not through blocks, which may be skipped when large).
  // Values are grouped by hash, then checked for equality (a collision splits
  // a group instead of linking strangers). Rules in the order email, national
  // ID, phone; within a rule by hash; members by record.
  struct RuleValue {
    uint8_t rule;  // 0 email, 1 national_id, 2 phone
    uint64_t hash;
    int record;
    const std::string* value;
    bool operator<(const RuleValue& o) const {
      return std::tie(rule, hash, record) < std::tie(o.rule, o.hash, o.record);
    }
  };
  static constexpr const char* kRuleNames[] = {"email", "national_id", "phone"};
  static constexpr Field kRuleFields[] = {Field::kEmail, Field::kNationalId, Field::kPhone};
  std::vector<RuleValue> rule_values;
  rule_values.reserve(static_cast<size_t>(n) * 2);
  for (int i = 0; i < n; ++i) {
    const auto& p = prepared[static_cast<size_t>(i)];
    if (!p.national_key.empty()) rule_values.push_back({1, internal::KeyHash(1, p.national_key), i, &p.national_key});
    for (const auto& email : p.emails) rule_values.push_back({0, internal::KeyHash(0, email), i, &email});
    for (const auto& digits : p.key_phones) rule_values.push_back({2, internal::KeyHash(2, digits), i, &digits});
  }
  std::sort(rule_values.begin(), rule_values.end());
  std::vector<ScoredPair> rule_links;
  std::vector<std::pair<ComparisonVector, Field>> rule_vectors;
  std::vector<RuleValue> group;
  auto link_group = [&](const RuleValue* first, const RuleValue* last) {
    if (last - first < 2) return;
    if (existing_cluster &&
        std::none_of(first, last, [&](const RuleValue& m) { return is_new[static_cast<size_t>(m.record)] != 0; })) {
      return;  // nothing new: the current clusters already reflect it
    }
    for (const RuleValue* x = first + 1; x < last; ++x) {
      ScoredPair pair;
      pair.a = first->record;
      pair.b = x->record;
      pair.rule = kRuleNames[first->rule];
      pair.probability = 1.0;
      rule_vectors.emplace_back(internal::ComparePrepared(prepared[static_cast<size_t>(pair.a)],
                                                          prepared[static_cast<size_t>(pair.b)]),
                                kRuleFields[first->rule]);
      rule_links.push_back(std::move(pair));
    }
  };
  for (size_t start = 0; start < rule_values.size();) {
    size_t end = start + 1;
    while (end < rule_values.size() && rule_values[end].rule == rule_values[start].rule &&
           rule_values[end].hash == rule_values[start].hash) {
      ++end;
    }
    const bool one_value = std::all_of(rule_values.begin() + static_cast<std::ptrdiff_t>(start) + 1,
                                       rule_values.begin() + static_cast<std::ptrdiff_t>(end),
                                       [&](const RuleValue& v) { return *v.value == *rule_values[start].value; });
    if (one_value) {
      link_group(rule_values.data() + start, rule_values.data() + end);
    } else {
      group.assign(rule_values.begin() + static_cast<std::ptrdiff_t>(start),
                   rule_values.begin() + static_cast<std::ptrdiff_t>(end));
      std::stable_sort(group.begin(), group.end(),
                       [](const RuleValue& x, const RuleValue& y) { return *x.value < *y.value; });
      for (size_t g = 0; g < group.size();) {
        size_t h = g + 1;
        while (h < group.size() && *group[h].value == *group[g].value) ++h;
        link_group(group.data() + g, group.data() + h);
        g = h;
      }
    }
    start = end;
  }

  if (!fixed_model) {
    begin_stage("estimate_m", 0);
    const PatternIndex patterns(vectors);
    EstimateM(candidates, patterns, options, result.model);
    EstimateMFromRulePairs(rule_vectors, result.model);
    EstimatePrior(patterns, static_cast<double>(n) * (n - 1) / 2, options, result.model);
  }
  const NameFrequencies frequencies = counts ? NameFrequencies(*counts) : NameFrequencies(prepared);
  for (size_t i = 0; i < rule_links.size(); ++i) {
    rule_links[i].weight = result.model.MatchWeight(rule_vectors[i].first);
    result.merges.push_back(std::move(rule_links[i]));
  }

  std::unordered_set<uint64_t> apart;
  std::unordered_map<int, std::vector<int>> apart_partners;
  for (auto [a, b] : forced_apart) {
    apart.insert(PairKey(a, b));
    apart_partners[a].push_back(b);
    apart_partners[b].push_back(a);
  }
  for (auto [a, b] : forced_together) {
    ScoredPair pair;
    pair.a = std::min(a, b);
    pair.b = std::max(a, b);
    pair.rule = "review";
    pair.probability = 1.0;
    result.merges.push_back(std::move(pair));
  }
  const size_t rule_pairs = result.merges.size();

  begin_stage("score", static_cast<int64_t>(candidates.size()));
  // Weights in parallel; the pairs are then taken in candidate order, so the
  // result does not depend on the number of threads.
  std::vector<double> weights(candidates.size());
  internal::ParallelChunks(
      candidates.size(), threads, 16384,
      [&](size_t begin, size_t end) {
        for (size_t i = begin; i < end; ++i) {
          weights[i] = result.model.MatchWeight(vectors[i]) +
                       frequencies.Adjustment(prepared[static_cast<size_t>(candidates[i].a)],
                                              prepared[static_cast<size_t>(candidates[i].b)], vectors[i],
                                              result.model);
        }
      },
      progress_of("score", candidates.size()));
  std::vector<ScoredPair> probabilistic;
  for (size_t i = 0; i < candidates.size(); ++i) {
    const double probability = result.model.ProbabilityOfWeight(weights[i]);
    if (probability < options.review_threshold) continue;
    ScoredPair pair;
    pair.a = candidates[i].a;
    pair.b = candidates[i].b;
    pair.weight = weights[i];
    pair.probability = probability;
    if (pair.probability >= options.merge_threshold && options.require_identifying_agreement &&
        !AgreesBeyondNameAndPlace(vectors[i]) &&
        !RareNameInOnePlace(prepared[static_cast<size_t>(pair.a)], prepared[static_cast<size_t>(pair.b)],
                            vectors[i], frequencies, options)) {
      // Names and a place alone do not merge: namesakes in one city are common.
      result.reviews.push_back(pair);
      continue;
    }
    if (pair.probability >= options.merge_threshold) {
      probabilistic.push_back(pair);
    } else if (pair.probability >= options.review_threshold) {
      result.reviews.push_back(pair);
    }
  }
  std::sort(probabilistic.begin(), probabilistic.end(), [](const ScoredPair& x, const ScoredPair& y) {
    if (x.probability != y.probability) return x.probability > y.probability;
    return std::tie(x.a, x.b) < std::tie(y.a, y.b);
  });
  result.merges.insert(result.merges.end(), probabilistic.begin(), probabilistic.end());

  begin_stage("cluster", 0);
  // Clustering: rules and accepted reviews first, then the strongest pairs.
  Clusters clusters(n);
  if (existing_cluster) {
    for (int i = 0; i < n; ++i) {
      const int with = (*existing_cluster)[static_cast<size_t>(i)];
      if (with < 0 || with == i) continue;
      const int ra = clusters.Find(i), rb = clusters.Find(with);
      if (ra != rb) clusters.Join(ra, rb);
    }
  }
  auto kept_apart = [&](int ra, int rb) {
    const auto& small = clusters.Members(ra).size() < clusters.Members(rb).size()
                            ? clusters.Members(ra) : clusters.Members(rb);
    const int other = clusters.Members(ra).size() < clusters.Members(rb).size() ? rb : ra;
    for (int member : small) {
      auto it = apart_partners.find(member);
      if (it == apart_partners.end()) continue;
      for (int partner : it->second) {
        if (clusters.Find(partner) == other) return true;
      }
    }
    return false;
  };
  std::vector<ScoredPair> accepted;
  for (size_t i = 0; i < result.merges.size(); ++i) {
    const ScoredPair& pair = result.merges[i];
    const int ra = clusters.Find(pair.a), rb = clusters.Find(pair.b);
    if (ra == rb) {
      accepted.push_back(pair);
      continue;
    }
    if (!apart_partners.empty() && kept_apart(ra, rb)) continue;
    if (i >= rule_pairs && clusters.Members(ra).size() > 1 && clusters.Members(rb).size() > 1) {
      // The transitivity guard: join two clusters only when their records
      // agree on the whole, not through one strong-looking link.
      double sum = 0;
      int64_t count = 0;
      for (int x : clusters.Members(ra)) {
        for (int y : clusters.Members(rb)) {
          const auto& px = prepared[static_cast<size_t>(x)];
          const auto& py = prepared[static_cast<size_t>(y)];
          const ComparisonVector v = internal::ComparePrepared(px, py);
          sum += result.model.ProbabilityOfWeight(result.model.MatchWeight(v) +
                                                  frequencies.Adjustment(px, py, v, result.model));
          ++count;
        }
      }
      if (sum / static_cast<double>(count) < options.cluster_join_min_mean) {
        ++result.guard_refusals;
        continue;
      }
    }
    clusters.Join(ra, rb);
    accepted.push_back(pair);
  }
  result.merges = std::move(accepted);

  result.cluster.resize(static_cast<size_t>(n));
  std::vector<int> smallest(static_cast<size_t>(n), n);
  for (int i = 0; i < n; ++i) {
    int root = clusters.Find(i);
    smallest[static_cast<size_t>(root)] = std::min(smallest[static_cast<size_t>(root)], i);
  }
  for (int i = 0; i < n; ++i) result.cluster[static_cast<size_t>(i)] = smallest[static_cast<size_t>(clusters.Find(i))];
  // Reviews between records that ended in one cluster need no decision.
  std::erase_if(result.reviews, [&](const ScoredPair& p) {
    return result.cluster[static_cast<size_t>(p.a)] == result.cluster[static_cast<size_t>(p.b)] ||
           apart.count(PairKey(p.a, p.b)) > 0;
  });
  begin_stage("", 0);
  result.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace

LinkageResult Link(const std::vector<PersonRecord>& records, const LinkageOptions& options,
                   const std::vector<std::pair<int, int>>& forced_apart,
                   const std::vector<std::pair<int, int>>& forced_together) {
  const auto start = std::chrono::steady_clock::now();
  return LinkCore(internal::PrepareAll(records), options, forced_apart, forced_together, nullptr, nullptr,
                  nullptr, start);
}

LinkageResult LinkIncremental(const std::vector<PersonRecord>& records, const std::vector<int>& existing_cluster,
                              const LinkageModel& model, const LinkageOptions& options,
                              const std::vector<std::pair<int, int>>& forced_apart,
                              const std::vector<std::pair<int, int>>& forced_together) {
  const auto start = std::chrono::steady_clock::now();
  return LinkCore(internal::PrepareAll(records), options, forced_apart, forced_together, &model,
                  &existing_cluster, nullptr, start);
}

double ProcessCpuSeconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

namespace internal {

LinkageResult LinkPrepared(const std::vector<PreparedRecord>& prepared, const LinkageOptions& options,
                           const std::vector<std::pair<int, int>>& forced_apart,
                           const std::vector<std::pair<int, int>>& forced_together) {
  return LinkCore(prepared, options, forced_apart, forced_together, nullptr, nullptr);
}

LinkageResult LinkPreparedIncremental(const std::vector<PreparedRecord>& prepared,
                                      const std::vector<int>& existing_cluster,
                                      const LinkageModel& model, const LinkageOptions& options,
                                      const std::vector<std::pair<int, int>>& forced_apart,
                                      const std::vector<std::pair<int, int>>& forced_together,
                                      const GlobalCounts& counts) {
  return LinkCore(prepared, options, forced_apart, forced_together, &model, &existing_cluster, &counts);
}

int BlockLimit(int rule, int max_block_size) {
  // Rules 0 (family + birth year), 3 (name skeletons) and 4 (given + family)
  // are keyed by names alone: at a million records a common full name is
  // shared by hundreds of people, and such blocks gave 100M+ candidate pairs
  // (most of them namesakes, which need agreement beyond names to merge and
  // which the other rules find when they agree on a birth date, postcode,
  // street, email or phone).
  // Rules 8 (email local part) and 11 (given name + birth day and month) are
  // nearly as weak: "sara@" at many providers, or Mohammad born on 1 January,
  // are hundreds of people at a million records (those two rules gave over half
  // of all candidate pairs there); the records of one person they exist to
  // find (a family name or a year mistyped) are in small blocks.
  // With a realistic spread of family names (the demo's since 2026-11-24) a
  // million records have tens of thousands of full names, family names with a
  // birth year and given names with a birthday shared by 25 to 50 people, all
  // strangers to one another: rules 0, 3, 4 and 11 gave 10M of 14.7M candidate
  // pairs. Paying only blocks of at most 25 lost no true merge there (recall
  // 0.7976 both ways, precision 0.9959 -> 0.9972).
  if (rule == 0 || rule == 3 || rule == 4 || rule == 11) return std::max(2, max_block_size / 16);
  if (rule == 8) return std::max(2, max_block_size / 8);
  return max_block_size;
}

uint64_t KeyHash(int rule, std::string_view key) {
  // FNV-1a 64 over the rule number and the key.
  uint64_t h = 1469598103934665603ull;
  auto mix = [&h](unsigned char c) { h = (h ^ c) * 1099511628211ull; };
  mix(static_cast<unsigned char>(rule + 1));
  mix(0x1f);
  for (char c : key) mix(static_cast<unsigned char>(c));
  // A final avalanche so that similar keys spread over the index.
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  // The rule in bits 59..62 (the sign bit stays clear): the keys of one rule
  // are a range of the index, so that the store can count them.
  return (static_cast<uint64_t>(rule & 0xf) << 59) | (h >> 5);
}

std::vector<StoredKey> StoredKeys(const PreparedRecord& p) {
  std::vector<StoredKey> out;
  std::vector<std::pair<int, std::string>> keys;
  BlockingKeys(p, keys);
  for (const auto& [rule, key] : keys) out.push_back({rule, KeyHash(rule, key)});
  if (!p.national_key.empty()) out.push_back({kNationalKeyRule, KeyHash(kNationalKeyRule, p.national_key)});
  // The record's own validated number has a phone blocking key only from
  // seven digits: a shorter one needs its own key for the deterministic rule.
  for (const auto& digits : p.key_phones) {
    if (digits.size() < 7) out.push_back({kShortPhoneRule, KeyHash(kShortPhoneRule, digits)});
  }
  if (!p.given.empty()) out.push_back({kGivenNameRule, KeyHash(kGivenNameRule, p.given)});
  if (!p.family.empty()) out.push_back({kFamilyNameRule, KeyHash(kFamilyNameRule, p.family)});
  std::sort(out.begin(), out.end(), [](const StoredKey& a, const StoredKey& b) { return a.hash < b.hash; });
  out.erase(std::unique(out.begin(), out.end(), [](const StoredKey& a, const StoredKey& b) { return a.hash == b.hash; }),
            out.end());
  return out;
}

std::vector<uint64_t> RuleKeyHashes(const PreparedRecord& p) {
  std::vector<uint64_t> out;
  if (!p.national_key.empty()) out.push_back(KeyHash(kNationalKeyRule, p.national_key));
  for (const auto& email : p.emails) out.push_back(KeyHash(7, email));
  for (const auto& digits : p.key_phones) {
    if (digits.size() >= 9) {
      out.push_back(KeyHash(9, digits.substr(digits.size() - 9)));
    } else if (digits.size() >= 7) {
      out.push_back(KeyHash(9, digits));
    } else {
      out.push_back(KeyHash(kShortPhoneRule, digits));
    }
  }
  return out;
}

namespace {

void PutString(std::string& out, std::string_view s) {
  out += std::to_string(s.size());
  out.push_back(':');
  out.append(s);
}

bool GetString(std::string_view& in, std::string& s) {
  size_t colon = in.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon > 9) return false;
  size_t length = 0;
  for (size_t i = 0; i < colon; ++i) {
    if (in[i] < '0' || in[i] > '9') return false;
    length = length * 10 + static_cast<size_t>(in[i] - '0');
  }
  in.remove_prefix(colon + 1);
  if (length > in.size()) return false;
  s.assign(in.substr(0, length));
  in.remove_prefix(length);
  return true;
}

// The string fields of a prepared record, in encoding order.
template <typename Record, typename F>
void ForEachString(Record& p, F&& f) {
  for (auto* s : {&p.given, &p.family, &p.given_roman, &p.family_roman, &p.given_skeleton,
                  &p.family_skeleton, &p.birth_date, &p.street, &p.street_compact, &p.street_number,
                  &p.address_extra, &p.city, &p.postcode, &p.region, &p.national_id, &p.national_key,
                  &p.city_roman, &p.city_skeleton, &p.email, &p.email_local, &p.phone_digits,
                  &p.phone_tail}) {
    f(*s);
  }
}

}  // namespace

std::string EncodePrepared(const PreparedRecord& p) {
  std::string out = "p1;";
  ForEachString(p, [&out](const std::string& s) { PutString(out, s); });
  out.push_back(p.phone_is_key ? '1' : '0');
  for (const auto* list : {&p.emails, &p.key_phones, &p.devices}) {
    PutString(out, std::to_string(list->size()));
    for (const auto& s : *list) PutString(out, s);
  }
  PutString(out, p.inferred_name ? std::string(1, p.inferred_name) : std::string());
  PutString(out, std::to_string(p.suggested_emails.size()));
  for (const auto& s : p.suggested_emails) PutString(out, s);
  return out;
}

namespace {

// A count, then that many strings (EncodePrepared's lists).
bool ReadList(std::string_view& in, std::vector<std::string>& list) {
  std::string count_text;
  if (!GetString(in, count_text) || count_text.empty() || count_text.size() > 6) return false;
  size_t count = 0;
  for (char c : count_text) {
    if (c < '0' || c > '9') return false;
    count = count * 10 + static_cast<size_t>(c - '0');
  }
  list.assign(count, "");
  for (auto& s : list) {
    if (!GetString(in, s)) return false;
  }
  return true;
}

}  // namespace

bool DecodePrepared(std::string_view in, PreparedRecord& p) {
  if (in.substr(0, 3) != "p1;") return false;
  p = PreparedRecord{};  // fields an older form lacks stay empty
  in.remove_prefix(3);
  bool ok = true;
  ForEachString(p, [&](std::string& s) { ok = ok && GetString(in, s); });
  if (!ok || in.empty()) return false;
  p.phone_is_key = in[0] == '1';
  in.remove_prefix(1);
  for (auto* list : {&p.emails, &p.key_phones, &p.devices}) {
    // Records stored before devices were (2026-11-24) end after the phones.
    if (list == &p.devices && in.empty()) break;
    if (!ReadList(in, *list)) return false;
  }
  // Records stored before inferred name parts were (2026-11-25) end here.
  if (!in.empty()) {
    std::string inferred;
    if (!GetString(in, inferred) || inferred.size() > 1) return false;
    p.inferred_name = inferred.empty() ? 0 : inferred[0];
    if (!ReadList(in, p.suggested_emails)) return false;
  }
  return in.empty();
}

}  // namespace internal

PairwiseQuality EvaluateClusters(const std::vector<int>& predicted_cluster,
                                 const std::vector<std::string>& true_entity) {
  PairwiseQuality q;
  auto pairs = [](int64_t k) { return k * (k - 1) / 2; };
  std::unordered_map<int, int64_t> predicted_sizes;
  std::unordered_map<std::string, int64_t> true_sizes;
  std::unordered_map<std::string, int64_t> both_sizes;
  for (size_t i = 0; i < predicted_cluster.size() && i < true_entity.size(); ++i) {
    ++predicted_sizes[predicted_cluster[i]];
    ++true_sizes[true_entity[i]];
    ++both_sizes[std::to_string(predicted_cluster[i]) + "\x1f" + true_entity[i]];
  }
  for (const auto& [k, size] : predicted_sizes) q.predicted_pairs += pairs(size);
  for (const auto& [k, size] : true_sizes) q.true_pairs += pairs(size);
  for (const auto& [k, size] : both_sizes) q.correct_pairs += pairs(size);
  q.precision = q.predicted_pairs ? static_cast<double>(q.correct_pairs) / static_cast<double>(q.predicted_pairs) : 1.0;
  q.recall = q.true_pairs ? static_cast<double>(q.correct_pairs) / static_cast<double>(q.true_pairs) : 1.0;
  q.f1 = q.precision + q.recall > 0 ? 2 * q.precision * q.recall / (q.precision + q.recall) : 0.0;
  return q;
}

}  // namespace patron::identity
