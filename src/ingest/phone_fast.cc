// RE2 evaluation of libphonenumber's metadata; see phone_fast.h for why.
//
// Every function below restates one step of libphonenumber's
// PhoneNumberUtil::Parse, GetRegionCodeForNumber, GetNumberType and
// IsPossibleNumberWithReason for the input shape CheckPhone hands it for
// nearly every number: ASCII digits with an optional leading '+'. Names in
// comments ("MaybeExtractCountryCode") refer to those steps.
#include "ingest/phone_fast.h"

#include <phonenumbers/phonemetadata.pb.h>
#include <re2/re2.h>
#include <re2/set.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// Exported by libphonenumber.so, though not declared in its installed
// headers: the serialized PhoneMetadataCollection the library loads itself.
namespace i18n::phonenumbers {
int metadata_size();
const void* metadata_get();
}  // namespace i18n::phonenumbers

namespace patron::ingest {
namespace {

using i18n::phonenumbers::PhoneMetadata;
using i18n::phonenumbers::PhoneMetadataCollection;
using i18n::phonenumbers::PhoneNumberDesc;

// libphonenumber's limits on a national significant number (NSN) and on a
// country calling code.
constexpr size_t kMinLengthForNsn = 2;
constexpr size_t kMaxLengthForNsn = 17;
constexpr size_t kMaxLengthCountryCode = 3;
constexpr int kCallingCodes = 1000;  // calling codes have at most three digits

// The number descriptions of a territory, in the order GetNumberTypeHelper
// tries them after the general description.
enum Desc {
  kGeneral,
  kPremiumRate,
  kTollFree,
  kSharedCost,
  kVoip,
  kPersonalNumber,
  kPager,
  kUan,
  kVoicemail,
  kFixedLine,
  kMobile,
  kDescCount
};

enum class NumberType {
  kUnknown,
  kPremiumRate,
  kTollFree,
  kSharedCost,
  kVoip,
  kPersonalNumber,
  kPager,
  kUan,
  kVoicemail,
  kFixedLine,
  kMobile,
  kFixedLineOrMobile,
};

// libphonenumber's ValidationResult, for the cases TestNumberLength returns.
enum class LengthCheck { kPossible, kPossibleLocalOnly, kTooShort, kTooLong, kInvalidLength };

// The names CheckPhone gives libphonenumber's number types.
const char* TypeName(NumberType type) {
  switch (type) {
    case NumberType::kMobile:
      return "mobile";
    case NumberType::kFixedLine:
      return "fixed_line";
    case NumberType::kFixedLineOrMobile:
      return "fixed_line_or_mobile";
    case NumberType::kTollFree:
      return "toll_free";
    case NumberType::kVoip:
      return "voip";
    case NumberType::kUnknown:
      return "unknown";
    default:
      return "other";  // premium rate, shared cost, personal, pager, UAN, voicemail
  }
}

bool IsAsciiDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAsciiUpper(char c) { return c >= 'A' && c <= 'Z'; }

// Index of a region id of two upper-case letters in Tables::by_region.
size_t RegionIndex(std::string_view id) {
  return static_cast<size_t>(id[0] - 'A') * 26 + static_cast<size_t>(id[1] - 'A');
}

bool Contains(const std::vector<int>& values, size_t value) {
  return std::find(values.begin(), values.end(), static_cast<int>(value)) != values.end();
}

RE2::Options PatternOptions() {
  RE2::Options options;
  options.set_log_errors(false);  // a pattern RE2 rejects is reported, not logged
  return options;
}

// A pattern matched at the start of a number, as libphonenumber's
// RegExp::Consume does (ICU lookingAt): anchored at the start only, with
// leftmost-first (Perl) semantics, which RE2 shares. Patterns that are plain
// digits ("0", "00", "011", "268"), most of them, are compared directly.
class PrefixPattern {
 public:
  static constexpr int kMaxGroups = 9;

  // False when RE2 rejects the pattern.
  bool Compile(const std::string& pattern) {
    if (std::all_of(pattern.begin(), pattern.end(), IsAsciiDigit)) {
      literal_ = pattern;
      return true;
    }
    regex_ = std::make_unique<RE2>(pattern, PatternOptions());
    return regex_->ok();
  }

  int groups() const { return regex_ ? regex_->NumberOfCapturingGroups() : 0; }

  // Matches at the start of `text`. On success sets *end (when given) to the
  // length of the match, and captured[1..n] to the first n capturing groups
  // (empty when a group took no part in the match).
  bool Match(std::string_view text, size_t* end = nullptr, std::string_view* captured = nullptr,
             int n = 0) const {
    if (!regex_) {
      if (text.substr(0, literal_.size()) != literal_) return false;
      if (end) *end = literal_.size();
      for (int i = 1; i <= n; ++i) captured[i] = {};
      return true;
    }
    std::array<re2::StringPiece, kMaxGroups + 1> pieces;
    const int wanted = end || n > 0 ? 1 + std::min(n, groups()) : 0;
    if (!regex_->Match(text, 0, text.size(), RE2::ANCHOR_START, pieces.data(), wanted)) {
      return false;
    }
    if (end) *end = pieces[0].size();  // the match starts at 0
    for (int i = 1; i <= n; ++i) {
      captured[i] =
          i < wanted ? std::string_view(pieces[i].data(), pieces[i].size()) : std::string_view();
    }
    return true;
  }

 private:
  std::string literal_;
  std::unique_ptr<RE2> regex_;  // null for a literal
};

// One piece of a national_prefix_transform_rule ("9$1"): literal text, then
// the text of a capturing group (0: none).
struct TransformPiece {
  std::string literal;
  int group = 0;
};

// Splits an ICU replacement string into pieces. Only the forms the metadata
// uses are accepted: literal characters and "$n" with a single digit n in
// 1..groups, not followed by another digit (ICU reads "$12" by its own rules).
// False for anything else.
bool ParseTransformRule(const std::string& rule, int groups, std::vector<TransformPiece>* pieces) {
  TransformPiece piece;
  for (size_t i = 0; i < rule.size(); ++i) {
    const char c = rule[i];
    if (c == '\\') return false;
    if (c != '$') {
      piece.literal.push_back(c);
      continue;
    }
    if (i + 1 >= rule.size() || !IsAsciiDigit(rule[i + 1])) return false;
    if (i + 2 < rule.size() && IsAsciiDigit(rule[i + 2])) return false;
    piece.group = rule[i + 1] - '0';
    if (piece.group < 1 || piece.group > groups || piece.group > PrefixPattern::kMaxGroups) {
      return false;
    }
    pieces->push_back(std::move(piece));
    piece = TransformPiece();
    ++i;
  }
  if (!piece.literal.empty()) pieces->push_back(std::move(piece));
  return true;
}

struct DescRules {
  bool has_pattern = false;
  std::vector<int> possible_lengths;  // empty: those of the general description
  std::vector<int> local_only_lengths;

  bool AllowsLength(size_t length) const {
    return possible_lengths.empty() || Contains(possible_lengths, length);
  }
};

// One territory of the metadata: a region ("SE") or a non-geographic calling
// code ("001" with country code 800).
struct Territory {
  std::string id;
  int country_code = 0;
  std::string country_code_text;  // "46"
  bool usable = true;             // every pattern compiled with RE2

  PrefixPattern international_prefix;
  bool has_national_prefix_for_parsing = false;
  PrefixPattern national_prefix_for_parsing;
  int national_prefix_groups = 0;
  std::vector<TransformPiece> transform_rule;  // empty: none
  int transform_groups = 0;                    // highest group the rule uses
  bool has_leading_digits = false;
  PrefixPattern leading_digits;
  bool same_mobile_and_fixed_line_pattern = false;

  std::array<DescRules, kDescCount> descs;
  std::unique_ptr<RE2> general_pattern;  // the general description, matched in full
  // All descriptions' patterns, matched in full in one pass; set_desc maps
  // the set's indices back to descriptions.
  std::unique_ptr<RE2::Set> desc_set;
  std::vector<Desc> set_desc;
};

struct Tables {
  std::vector<std::unique_ptr<Territory>> territories;
  std::array<const Territory*, 26 * 26> by_region{};  // geographic regions by "SE"
  // The territories of each calling code in libphonenumber's order: the main
  // country first, then the rest in metadata order.
  std::array<std::vector<const Territory*>, kCallingCodes> by_calling_code;
  std::array<bool, kCallingCodes> calling_code_usable{};
  std::vector<std::string> unsupported;
};

const PhoneNumberDesc& DescOf(const PhoneMetadata& metadata, Desc desc) {
  switch (desc) {
    case kGeneral:
      return metadata.general_desc();
    case kPremiumRate:
      return metadata.premium_rate();
    case kTollFree:
      return metadata.toll_free();
    case kSharedCost:
      return metadata.shared_cost();
    case kVoip:
      return metadata.voip();
    case kPersonalNumber:
      return metadata.personal_number();
    case kPager:
      return metadata.pager();
    case kUan:
      return metadata.uan();
    case kVoicemail:
      return metadata.voicemail();
    case kFixedLine:
      return metadata.fixed_line();
    case kMobile:
    case kDescCount:
      break;
  }
  return metadata.mobile();
}

std::unique_ptr<Territory> BuildTerritory(const PhoneMetadata& metadata) {
  auto t = std::make_unique<Territory>();
  t->id = metadata.id();
  t->country_code = metadata.country_code();
  t->country_code_text = std::to_string(metadata.country_code());
  bool ok = t->international_prefix.Compile(metadata.international_prefix());

  if (!metadata.national_prefix_for_parsing().empty()) {
    t->has_national_prefix_for_parsing = true;
    ok = t->national_prefix_for_parsing.Compile(metadata.national_prefix_for_parsing()) && ok;
    t->national_prefix_groups = t->national_prefix_for_parsing.groups();
    if (!metadata.national_prefix_transform_rule().empty()) {
      ok = ParseTransformRule(metadata.national_prefix_transform_rule(), t->national_prefix_groups,
                              &t->transform_rule) &&
           ok;
      for (const TransformPiece& piece : t->transform_rule) {
        t->transform_groups = std::max(t->transform_groups, piece.group);
      }
      // An empty rule would read as "no rule" here but not to libphonenumber.
      if (t->transform_rule.empty()) ok = false;
    }
  }
  if (metadata.has_leading_digits()) {
    t->has_leading_digits = true;
    ok = t->leading_digits.Compile(metadata.leading_digits()) && ok;
  }
  t->same_mobile_and_fixed_line_pattern = metadata.same_mobile_and_fixed_line_pattern();

  t->desc_set = std::make_unique<RE2::Set>(PatternOptions(), RE2::ANCHOR_BOTH);
  for (int d = 0; d < kDescCount; ++d) {
    const PhoneNumberDesc& source = DescOf(metadata, static_cast<Desc>(d));
    DescRules& rules = t->descs[d];
    rules.possible_lengths.assign(source.possible_length().begin(), source.possible_length().end());
    rules.local_only_lengths.assign(source.possible_length_local_only().begin(),
                                    source.possible_length_local_only().end());
    if (source.national_number_pattern().empty()) continue;
    rules.has_pattern = true;
    if (t->desc_set->Add(source.national_number_pattern(), nullptr) < 0) {
      ok = false;
      continue;
    }
    t->set_desc.push_back(static_cast<Desc>(d));
  }
  ok = t->desc_set->Compile() && ok;
  // TestNumberLength reads the general description's first possible length.
  if (t->descs[kGeneral].possible_lengths.empty()) ok = false;
  if (t->descs[kGeneral].has_pattern) {
    t->general_pattern =
        std::make_unique<RE2>(metadata.general_desc().national_number_pattern(), PatternOptions());
    ok = t->general_pattern->ok() && ok;
  }
  t->usable = ok;
  return t;
}

const Tables& BuildTables() {
  auto* tables = new Tables();
  PhoneMetadataCollection collection;
  if (!collection.ParseFromArray(i18n::phonenumbers::metadata_get(),
                                 i18n::phonenumbers::metadata_size())) {
    return *tables;  // no territories: every number falls back
  }
  for (const PhoneMetadata& metadata : collection.metadata()) {
    if (metadata.id() == "ZZ") continue;  // libphonenumber skips it too
    std::unique_ptr<Territory> territory = BuildTerritory(metadata);
    const int code = territory->country_code;
    const std::string& id = territory->id;
    const bool geographic = id != "001";
    // A code beyond three digits cannot be read from a number.
    if (code <= 0 || code >= kCallingCodes) territory->usable = false;
    if (!territory->usable) {
      tables->unsupported.push_back(geographic ? id : id + "/" + territory->country_code_text);
    }
    // Other ids cannot be asked for: FastPhoneCheck declines such regions.
    if (geographic && id.size() == 2 && IsAsciiUpper(id[0]) && IsAsciiUpper(id[1])) {
      tables->by_region[RegionIndex(id)] = territory.get();
    }
    if (code <= 0 || code >= kCallingCodes) continue;
    std::vector<const Territory*>& list = tables->by_calling_code[static_cast<size_t>(code)];
    bool& usable = tables->calling_code_usable[static_cast<size_t>(code)];
    usable = (list.empty() || usable) && territory->usable;
    if (!list.empty() && metadata.main_country_for_code()) {
      list.insert(list.begin(), territory.get());
    } else {
      list.push_back(territory.get());
    }
    tables->territories.push_back(std::move(territory));
  }
  return *tables;
}

// Built once, thread-safely, on first use; never destroyed, as other threads
// may still validate numbers while the program exits.
const Tables& GetTables() {
  static const Tables& tables = BuildTables();
  return tables;
}

// ---------------------------------------------------------------------------
// Steps of libphonenumber's algorithm
// ---------------------------------------------------------------------------

// Whether the general description's pattern matches all of `number`
// (libphonenumber's IsMatch: the pattern only, not the lengths).
bool MatchesGeneralPattern(const Territory& t, std::string_view number) {
  return t.general_pattern && RE2::FullMatch(number, *t.general_pattern);
}

// TestNumberLength for the general description.
LengthCheck TestLength(const Territory& t, size_t length) {
  const std::vector<int>& possible = t.descs[kGeneral].possible_lengths;
  if (possible.front() == -1) return LengthCheck::kInvalidLength;
  if (Contains(t.descs[kGeneral].local_only_lengths, length)) {
    return LengthCheck::kPossibleLocalOnly;
  }
  const int actual = static_cast<int>(length);
  if (possible.front() == actual) return LengthCheck::kPossible;
  if (possible.front() > actual) return LengthCheck::kTooShort;
  if (possible.back() < actual) return LengthCheck::kTooLong;
  return std::find(possible.begin() + 1, possible.end(), actual) != possible.end()
             ? LengthCheck::kPossible
             : LengthCheck::kInvalidLength;
}

// GetNumberTypeHelper. Returns std::nullopt when RE2 could not run the set
// (its DFA ran out of memory).
std::optional<NumberType> TypeOf(const Territory& t, std::string_view nsn) {
  if (!t.descs[kGeneral].has_pattern || !t.descs[kGeneral].AllowsLength(nsn.size())) {
    return NumberType::kUnknown;
  }
  thread_local std::vector<int> hits;
  RE2::Set::ErrorInfo error{RE2::Set::kNoError};
  uint32_t matched = 0;
  if (t.desc_set->Match(nsn, &hits, &error)) {
    for (int index : hits) matched |= 1u << t.set_desc[static_cast<size_t>(index)];
  } else if (error.kind != RE2::Set::kNoError) {
    return std::nullopt;
  }
  // IsNumberMatchingDesc: the description's lengths, then its pattern.
  auto matches = [&](Desc d) {
    return (matched >> d & 1u) != 0 && t.descs[d].AllowsLength(nsn.size());
  };
  if (!matches(kGeneral)) return NumberType::kUnknown;
  if (matches(kPremiumRate)) return NumberType::kPremiumRate;
  if (matches(kTollFree)) return NumberType::kTollFree;
  if (matches(kSharedCost)) return NumberType::kSharedCost;
  if (matches(kVoip)) return NumberType::kVoip;
  if (matches(kPersonalNumber)) return NumberType::kPersonalNumber;
  if (matches(kPager)) return NumberType::kPager;
  if (matches(kUan)) return NumberType::kUan;
  if (matches(kVoicemail)) return NumberType::kVoicemail;
  if (matches(kFixedLine)) {
    return t.same_mobile_and_fixed_line_pattern || matches(kMobile) ? NumberType::kFixedLineOrMobile
                                                                    : NumberType::kFixedLine;
  }
  if (!t.same_mobile_and_fixed_line_pattern && matches(kMobile)) return NumberType::kMobile;
  return NumberType::kUnknown;
}

// MaybeStripNationalPrefixAndCarrierCode: `number` without the national
// prefix matched by national_prefix_for_parsing (rewritten by the transform
// rule when there is one and its group captured something), unless the number
// fitted the general pattern before and would not after. *carrier_code tells
// whether a carrier code was captured along with the prefix.
std::string StripNationalPrefix(const Territory& t, const std::string& number, bool* carrier_code) {
  *carrier_code = false;
  if (number.empty() || !t.has_national_prefix_for_parsing) return number;
  const int groups = t.national_prefix_groups;
  std::array<std::string_view, PrefixPattern::kMaxGroups + 1> group{};
  const int wanted = std::max({std::min(groups, 2), t.transform_groups});
  size_t end = 0;
  if (!t.national_prefix_for_parsing.Match(number, &end, group.data(), wanted)) return number;

  // libphonenumber asks for (carrier code, captured part) from a pattern with
  // two or more groups and for the captured part alone from one with a single
  // group; with a transform rule and a non-empty captured part, the matched
  // prefix is replaced by the rule's expansion. Otherwise the match is simply
  // removed, and a first group is the carrier code.
  std::string candidate;
  std::string_view carrier;
  const std::string_view captured = groups >= 2 ? group[2] : group[1];
  if (!t.transform_rule.empty() && groups >= 1 && !captured.empty()) {
    for (const TransformPiece& piece : t.transform_rule) {
      candidate.append(piece.literal);
      if (piece.group > 0) candidate.append(group[static_cast<size_t>(piece.group)]);
    }
    candidate.append(number, end, std::string::npos);
    if (groups >= 2) carrier = group[1];
  } else {
    candidate.assign(number, end, std::string::npos);
    if (groups >= 1) carrier = group[1];
  }
  // Only strip when the result is still viable, if the original was.
  if (!MatchesGeneralPattern(t, candidate) && MatchesGeneralPattern(t, number)) return number;
  *carrier_code = !carrier.empty();
  return candidate;
}

// ExtractCountryCode: the calling code at the start of `digits` (1 to 3
// digits that libphonenumber knows), removed from it; 0 when there is none.
int ExtractCountryCode(const Tables& tables, std::string_view* digits) {
  if (digits->empty() || digits->front() == '0') return 0;
  int code = 0;
  for (size_t i = 0; i < kMaxLengthCountryCode && i < digits->size(); ++i) {
    code = code * 10 + ((*digits)[i] - '0');
    if (!tables.by_calling_code[static_cast<size_t>(code)].empty()) {
      digits->remove_prefix(i + 1);
      return code;
    }
  }
  return 0;
}

PhoneCheck Invalid(std::string reason, std::string region = {}) {
  PhoneCheck check;
  check.reason = std::move(reason);
  check.region = std::move(region);
  return check;
}

}  // namespace

std::optional<PhoneCheck> FastPhoneCheck(std::string_view number, std::string_view region) {
  const Tables& tables = GetTables();
  const bool plus = !number.empty() && number.front() == '+';
  const std::string_view digits = plus ? number.substr(1) : number;
  if (!std::all_of(digits.begin(), digits.end(), IsAsciiDigit)) return std::nullopt;

  const Territory* default_territory = nullptr;
  if (!region.empty()) {
    if (region.size() != 2 || !IsAsciiUpper(region[0]) || !IsAsciiUpper(region[1])) {
      return std::nullopt;
    }
    default_territory = tables.by_region[RegionIndex(region)];
    if (default_territory && !default_territory->usable) return std::nullopt;
  }

  // IsViablePhoneNumber: two digits, or a '+' and at least three.
  if (digits.size() < (plus ? 3 : kMinLengthForNsn)) return Invalid("not a number");
  // CheckRegionForParsing: a national number needs a known default region.
  // (libphonenumber fails; CheckPhone words that failure itself.)
  if (!plus && default_territory == nullptr) return std::nullopt;

  // MaybeExtractCountryCode: a '+', the default region's international
  // prefix (unless a 0 follows it), or the default region's own calling code
  // in front of a number that only makes sense without it.
  int country_code = 0;
  std::string national;
  std::string_view rest = digits;
  bool international = plus;
  if (!plus) {
    size_t end = 0;
    if (default_territory->international_prefix.Match(digits, &end) &&
        !(end < digits.size() && digits[end] == '0')) {
      rest.remove_prefix(end);
      international = true;
    }
  }
  if (international) {
    if (rest.size() <= kMinLengthForNsn) return Invalid("too short");  // TOO_SHORT_AFTER_IDD
    country_code = ExtractCountryCode(tables, &rest);
    // An unknown calling code: libphonenumber retries without the '+' or
    // fails, and CheckPhone words the failure itself.
    if (country_code == 0) return std::nullopt;
    national.assign(rest);
  } else {
    national.assign(digits);
    const Territory& home = *default_territory;
    if (national.compare(0, home.country_code_text.size(), home.country_code_text) == 0) {
      bool carrier_code = false;  // ignored: libphonenumber drops it here
      std::string without_code =
          StripNationalPrefix(home, national.substr(home.country_code_text.size()), &carrier_code);
      if ((!MatchesGeneralPattern(home, national) && MatchesGeneralPattern(home, without_code)) ||
          TestLength(home, national.size()) == LengthCheck::kTooLong) {
        national = std::move(without_code);
        country_code = home.country_code;
      }
    }
  }

  // The metadata that parses the national number: the calling code's main
  // territory, or the default region when no code was given.
  const Territory* country_territory = default_territory;
  if (country_code != 0) {
    country_territory = tables.by_calling_code[static_cast<size_t>(country_code)].front();
  } else {
    country_code = default_territory->country_code;
  }
  if (!tables.calling_code_usable[static_cast<size_t>(country_code)]) return std::nullopt;
  if (national.size() < kMinLengthForNsn) return Invalid("too short");

  // Strip the national prefix only when what remains has a possible length.
  {
    bool carrier_code = false;
    std::string potential = StripNationalPrefix(*country_territory, national, &carrier_code);
    const LengthCheck length = TestLength(*country_territory, potential.size());
    if (length != LengthCheck::kTooShort && length != LengthCheck::kPossibleLocalOnly &&
        length != LengthCheck::kInvalidLength) {
      // A carrier code does not change the parsed number, but it is rare
      // enough to leave to libphonenumber rather than to reason about.
      if (carrier_code) return std::nullopt;
      national = std::move(potential);
    }
  }
  if (national.size() < kMinLengthForNsn) return Invalid("too short");
  if (national.size() > kMaxLengthForNsn) return Invalid("too long");
  // `national` is now the national significant number exactly as
  // libphonenumber would print it: its national_number plus the "Italian"
  // leading zeros it records separately reproduce these digits.

  // GetRegionCodeForNumber, then GetNumberType with that region's metadata.
  const std::vector<const Territory*>& territories =
      tables.by_calling_code[static_cast<size_t>(country_code)];
  const Territory* number_territory = nullptr;
  std::optional<NumberType> type;  // known once computed for number_territory
  if (territories.size() == 1) {
    number_territory = territories.front();
  } else {
    for (const Territory* candidate : territories) {
      if (candidate->has_leading_digits) {
        if (candidate->leading_digits.Match(national)) {
          number_territory = candidate;
          break;
        }
        continue;
      }
      type = TypeOf(*candidate, national);
      if (!type) return std::nullopt;
      if (*type != NumberType::kUnknown) {
        number_territory = candidate;
        break;
      }
    }
    if (number_territory == nullptr) type = NumberType::kUnknown;  // region "ZZ"
  }
  if (number_territory != nullptr && (!type || number_territory->has_leading_digits)) {
    type = TypeOf(*number_territory, national);
    if (!type) return std::nullopt;
  }

  if (*type == NumberType::kUnknown) {
    // IsPossibleNumberWithReason, with the calling code's main territory.
    const Territory& main = *territories.front();
    switch (TestLength(main, national.size())) {
      case LengthCheck::kTooShort:
        return Invalid("too short", main.id);
      case LengthCheck::kTooLong:
        return Invalid("too long", main.id);
      default:
        return Invalid("invalid for region " + main.id, main.id);
    }
  }
  PhoneCheck check;
  check.valid = true;
  check.type = TypeName(*type);
  check.e164.reserve(1 + number_territory->country_code_text.size() + national.size());
  check.e164.append("+").append(number_territory->country_code_text).append(national);
  check.region = number_territory->id;
  return check;
}

std::vector<std::string> FastPhoneUnsupportedRegions() { return GetTables().unsupported; }

}  // namespace patron::ingest
