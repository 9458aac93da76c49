// Differential tests of the RE2 fast path of phone validation (phone_fast.h)
// against libphonenumber itself: whenever the fast path answers, its answer
// must equal what CheckPhone derives from libphonenumber's Parse,
// IsValidNumber, GetNumberType, Format(E164) and GetRegionCodeForNumber.
#include "ingest/phone_fast.h"

#include <gtest/gtest.h>
#include <phonenumbers/logger.h>
#include <phonenumbers/phonemetadata.pb.h>
#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>
#include <re2/re2.h>

#include <algorithm>
#include <cstdint>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "ingest/ingest.h"

namespace i18n::phonenumbers {
int metadata_size();
const void* metadata_get();
}  // namespace i18n::phonenumbers

namespace patron::ingest {
namespace {

using i18n::phonenumbers::PhoneMetadata;
using i18n::phonenumbers::PhoneMetadataCollection;
using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberDesc;
using i18n::phonenumbers::PhoneNumberUtil;

const PhoneNumberUtil& Util() {
  static const PhoneNumberUtil* const util = [] {
    PhoneNumberUtil* u = PhoneNumberUtil::GetInstance();
    u->SetLogger(new i18n::phonenumbers::NullLogger());
    return u;
  }();
  return *util;
}

const PhoneMetadataCollection& Metadata() {
  static const PhoneMetadataCollection* const collection = [] {
    auto* c = new PhoneMetadataCollection();
    c->ParseFromArray(i18n::phonenumbers::metadata_get(), i18n::phonenumbers::metadata_size());
    return c;
  }();
  return *collection;
}

const char* TypeName(PhoneNumberUtil::PhoneNumberType type) {
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
      return "other";
  }
}

// What CheckPhone answers from libphonenumber alone when it hands Parse
// `text` with default region `region`: the answer the fast path must give.
PhoneCheck Reference(const std::string& text, const std::string& region) {
  const PhoneNumberUtil& util = Util();
  PhoneCheck result;
  PhoneNumber number;
  switch (util.Parse(text, region.empty() ? "ZZ" : region, &number)) {
    case PhoneNumberUtil::NO_PARSING_ERROR:
      break;
    case PhoneNumberUtil::INVALID_COUNTRY_CODE_ERROR:
      if (!text.empty() && text[0] == '+') {
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
  const bool valid = util.IsValidNumber(number);
  const PhoneNumberUtil::PhoneNumberType type = util.GetNumberType(number);
  EXPECT_EQ(valid, type != PhoneNumberUtil::UNKNOWN) << text << " in " << region;
  if (!valid) {
    std::string main_region;
    util.GetRegionCodeForCountryCode(number.country_code(), &main_region);
    result.region = main_region == "ZZ" ? "" : main_region;
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
  result.type = TypeName(type);
  util.Format(number, PhoneNumberUtil::E164, &result.e164);
  util.GetRegionCodeForNumber(number, &result.region);
  return result;
}

std::string Describe(const PhoneCheck& c) {
  return "{valid=" + std::to_string(c.valid) + " e164=" + c.e164 + " type=" + c.type +
         " region=" + c.region + " reason='" + c.reason + "'}";
}

bool IsSeparator(char c) {
  return c == ' ' || c == '(' || c == ')' || c == '-' || c == '.' || c == '/' || c == '\t';
}

// The text CheckPhone hands libphonenumber for input made of digits,
// separators and a leading '+': a leading "00" (not "000") read as '+', and
// separators dropped.
std::string ParseInputOf(std::string_view raw) {
  std::string text(raw);
  size_t first = 0;
  while (first < text.size() && IsSeparator(text[first])) ++first;
  if (text.compare(first, 2, "00") == 0 && first + 2 < text.size() && text[first + 2] != '0') {
    text = "+" + text.substr(first + 2);
  }
  std::string digits;
  for (char c : text) {
    if (c >= '0' && c <= '9') digits.push_back(c);
    if (c == '+' && digits.empty()) digits.push_back(c);
  }
  return digits;
}

// Deterministic on every platform (unlike <random>'s distributions).
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  size_t Below(size_t n) { return static_cast<size_t>(Next() % n); }
  char Digit() { return static_cast<char>('0' + Below(10)); }

 private:
  uint64_t state_;
};

// Counts comparisons and reports the first few disagreements in detail.
class Differ {
 public:
  // Level 1: FastPhoneCheck(text) against libphonenumber on the same text.
  // Returns whether the fast path answered.
  bool Fast(const std::string& text, const std::string& region) {
    ++compared_;
    std::optional<PhoneCheck> fast = FastPhoneCheck(text, region);
    if (!fast) return false;
    ++answered_;
    Expect(*fast, Reference(text, region), "FastPhoneCheck(\"" + text + "\", \"" + region + "\")");
    return true;
  }

  // Level 2: CheckPhone end to end (fast path or not) against libphonenumber
  // on the text CheckPhone hands it.
  void EndToEnd(const std::string& raw, const std::string& region) {
    ++compared_;
    Expect(CheckPhone(raw, region), Reference(ParseInputOf(raw), region),
           "CheckPhone(\"" + raw + "\", \"" + region + "\")");
  }

  int compared() const { return compared_; }
  int answered() const { return answered_; }
  int mismatches() const { return mismatches_; }

 private:
  void Expect(const PhoneCheck& ours, const PhoneCheck& reference, const std::string& call) {
    const std::string got = Describe(ours);
    const std::string want = Describe(reference);
    if (got == want) return;
    if (++mismatches_ <= 40)
      ADD_FAILURE() << call << "\n  ours:           " << got << "\n  libphonenumber: " << want;
  }

  int compared_ = 0;
  int answered_ = 0;
  int mismatches_ = 0;
};

struct Example {
  std::string region;  // "" for a non-geographic calling code
  std::string country_code;
  std::string national_prefix;
  std::string idd;  // a digits-only international prefix of the region, or ""
  std::string number;
};

std::vector<Example> Examples() {
  std::vector<Example> examples;
  for (const PhoneMetadata& m : Metadata().metadata()) {
    if (m.id() == "ZZ") continue;
    Example base;
    base.region = m.id() == "001" ? "" : m.id();
    base.country_code = std::to_string(m.country_code());
    base.national_prefix = m.national_prefix();
    const auto digits_only = [](const std::string& s) {
      return !s.empty() &&
             std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
    };
    if (digits_only(m.international_prefix())) {
      base.idd = m.international_prefix();
    } else if (digits_only(m.preferred_international_prefix()) &&
               RE2::FullMatch(m.preferred_international_prefix(), RE2(m.international_prefix()))) {
      base.idd = m.preferred_international_prefix();
    }
    const PhoneNumberDesc* descs[] = {&m.fixed_line(),   &m.mobile(),      &m.toll_free(),
                                      &m.premium_rate(), &m.shared_cost(), &m.personal_number(),
                                      &m.voip(),         &m.pager(),       &m.uan(),
                                      &m.voicemail(),    &m.general_desc()};
    for (const PhoneNumberDesc* desc : descs) {
      if (!desc->has_example_number() || desc->example_number().empty()) continue;
      Example e = base;
      e.number = desc->example_number();
      examples.push_back(std::move(e));
    }
  }
  return examples;
}

// "7012345678" as "70 123-45678": a typical hand-written grouping.
std::string Grouped(const std::string& digits) {
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i == 2) out += ' ';
    if (i == 5) out += '-';
    out += digits[i];
  }
  return out;
}

TEST(FastPhoneCheck, CompilesEveryRegionsMetadataWithRe2) {
  // A region listed here is still answered correctly, by libphonenumber, but slowly.
  std::vector<std::string> unsupported = FastPhoneUnsupportedRegions();
  std::string listed;
  for (const std::string& region : unsupported) listed += region + " ";
  EXPECT_TRUE(unsupported.empty()) << listed;
  EXPECT_GT(Metadata().metadata_size(), 200);
}

TEST(FastPhoneCheck, AgreesWithLibphonenumberOnExampleNumbers) {
  Differ differ;
  int well_formed = 0;
  int well_formed_answered = 0;
  // A well-formed example in E.164 or national format: the fast path must
  // answer (nearly) all of them, or it has silently stopped working.
  auto well_formed_case = [&](const std::string& text, const std::string& region) {
    const bool answered = differ.Fast(text, region);
    if (!Reference(text, region).valid) return;
    ++well_formed;
    if (answered) ++well_formed_answered;
  };
  for (const Example& e : Examples()) {
    const std::string e164 = "+" + e.country_code + e.number;
    well_formed_case(e164, e.region);
    well_formed_case(e164, "");
    differ.Fast(e164, e.region == "US" ? "SE" : "US");
    differ.EndToEnd("00" + e.country_code + " " + Grouped(e.number),
                    e.region == "SE" ? "GB" : "SE");
    differ.EndToEnd("+" + e.country_code + " (" + e.number.substr(0, 2) + ") " +
                        Grouped(e.number.substr(std::min<size_t>(2, e.number.size()))),
                    e.region);
    if (e.region.empty()) continue;  // the rest needs a default region
    well_formed_case(e.national_prefix + e.number, e.region);
    differ.Fast(e.number, e.region);
    differ.Fast(e.country_code + e.number, e.region);                      // code without '+'
    differ.Fast(e.country_code + e.national_prefix + e.number, e.region);  // both
    if (!e.idd.empty()) {
      differ.Fast(e.idd + e.country_code + e.number, e.region);
      differ.Fast(e.idd + e.country_code + e.national_prefix + e.number, e.region);
    }
    differ.EndToEnd(e.national_prefix + Grouped(e.number), e.region);
    differ.EndToEnd("(" + e.national_prefix + e.number.substr(0, 3) + ") " +
                        e.number.substr(std::min<size_t>(3, e.number.size())),
                    e.region);
    differ.EndToEnd(e.national_prefix + e.number.substr(0, 2) + "." +
                        e.number.substr(std::min<size_t>(2, e.number.size())),
                    e.region);
  }
  std::cout << "[ info     ] " << differ.compared() << " compared, fast path answered "
            << differ.answered() << "; " << well_formed_answered << " of " << well_formed
            << " well-formed example numbers\n";
  EXPECT_EQ(differ.mismatches(), 0);
  EXPECT_GT(well_formed, 2000);
  EXPECT_GE(well_formed_answered * 100, well_formed * 95);
}

TEST(FastPhoneCheck, AgreesWithLibphonenumberOnMutatedExamples) {
  Differ differ;
  SplitMix64 random(20240611);
  const std::vector<Example> examples = Examples();
  for (const Example& e : examples) {
    for (int round = 0; round < 6; ++round) {
      std::string digits = e.number;
      switch (round % 4) {
        case 0:  // one digit changed
          digits[random.Below(digits.size())] = random.Digit();
          break;
        case 1:  // one digit inserted
          digits.insert(digits.begin() + static_cast<long>(random.Below(digits.size() + 1)),
                        random.Digit());
          break;
        case 2:  // one digit deleted
          digits.erase(digits.begin() + static_cast<long>(random.Below(digits.size())));
          break;
        case 3:  // truncated
          digits.resize(random.Below(digits.size()));
          break;
      }
      if (round >= 4) digits[random.Below(std::max<size_t>(digits.size(), 1))] = random.Digit();
      differ.Fast("+" + e.country_code + digits, e.region);
      if (e.region.empty()) continue;
      differ.Fast(e.national_prefix + digits, e.region);
      differ.Fast(digits, e.region);
      if (round == 0) differ.Fast(e.country_code + digits, e.region);
      if (round == 1 && !e.idd.empty()) differ.Fast(e.idd + e.country_code + digits, e.region);
    }
  }
  std::cout << "[ info     ] " << differ.compared() << " compared, fast path answered "
            << differ.answered() << "\n";
  EXPECT_EQ(differ.mismatches(), 0);
  EXPECT_GT(differ.answered(), differ.compared() / 2);
}

TEST(FastPhoneCheck, AgreesWithLibphonenumberOnRandomDigits) {
  Differ differ;
  SplitMix64 random(77);
  std::vector<std::string> regions = {"", "US", "SE", "GB", "IR", "DE", "BR", "AR", "RU", "IT"};
  for (const PhoneMetadata& m : Metadata().metadata()) {
    if (m.id() != "001" && m.id() != "ZZ") regions.push_back(m.id());
  }
  for (int round = 0; round < 12000; ++round) {
    const size_t length = 4 + random.Below(14);  // 4 to 17 digits
    std::string text = random.Below(2) == 0 ? "+" : "";
    // Half of them start like a real number of some region's calling code.
    if (random.Below(2) == 0) {
      const PhoneMetadata& m =
          Metadata().metadata(static_cast<int>(random.Below(Metadata().metadata_size())));
      text += std::to_string(m.country_code());
    }
    while (text.size() < length) text += random.Digit();
    differ.Fast(text, regions[random.Below(regions.size())]);
  }
  // Longer than any national number, which CheckPhone passes on all the same.
  for (int round = 0; round < 500; ++round) {
    const size_t length = 18 + random.Below(30);
    std::string text = random.Below(2) == 0 ? "+" : "";
    while (text.size() < length) text += random.Digit();
    differ.Fast(text, regions[random.Below(regions.size())]);
  }
  std::cout << "[ info     ] " << differ.compared() << " compared, fast path answered "
            << differ.answered() << "\n";
  EXPECT_EQ(differ.mismatches(), 0);
}

// The tables are built on first use: threads that race to it, and then use
// them at once, must all get the answers one thread gets.
TEST(FastPhoneCheck, GivesTheSameAnswersFromManyThreads) {
  std::vector<std::pair<std::string, std::string>> inputs;
  for (const Example& e : Examples()) {
    inputs.emplace_back("+" + e.country_code + e.number, "");
    if (!e.region.empty()) inputs.emplace_back(e.national_prefix + e.number, e.region);
  }
  constexpr int kThreads = 4;
  std::vector<std::vector<std::string>> answers(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&inputs, &answers, t] {
      for (const auto& [text, region] : inputs) {
        std::optional<PhoneCheck> fast = FastPhoneCheck(text, region);
        answers[static_cast<size_t>(t)].push_back(fast ? Describe(*fast) : "declined");
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (size_t i = 0; i < inputs.size(); ++i) {
    std::optional<PhoneCheck> fast = FastPhoneCheck(inputs[i].first, inputs[i].second);
    const std::string expected = fast ? Describe(*fast) : "declined";
    for (int t = 0; t < kThreads; ++t) {
      ASSERT_EQ(answers[static_cast<size_t>(t)][i], expected) << inputs[i].first;
    }
  }
}

// Shapes that take libphonenumber's less common paths; each must be
// answered, and answered as libphonenumber does.
TEST(FastPhoneCheck, AnswersTheTrickyShapesAsLibphonenumberDoes) {
  struct Case {
    const char* text;
    const char* region;
  };
  const Case cases[] = {
      {"+390612345678", ""},      // Italian leading zero
      {"0612345678", "IT"},       // ... in national format
      {"+3903", ""},              // all zeros but one
      {"01123456789", "AR"},      // Argentina: national prefix
      {"0111523456789", "AR"},    // ... and the mobile "15" rewritten to "9"
      {"4621234", "AG"},          // NANPA island: seven local digits get the area code
      {"12684621234", "US"},      // +1 number of Antigua, found by leading digits
      {"+16135550123", ""},       // Canada, found by pattern after the US
      {"+77012345678", ""},       // Kazakhstan shares +7 with Russia
      {"+74951234567", ""},       // Russia
      {"+447911123456", ""},      // GB mobile
      {"+441481256789", ""},      // Guernsey shares +44
      {"46701234567", "SE"},      // the region's calling code without '+'
      {"011460701234567", "US"},  // the region's international prefix
      {"0098 9123456789", "SE"},  // "00" from anywhere
      {"8 7012345678", "KZ"},     // national prefix 8
      {"+80012345678", ""},       // non-geographic (freephone)
      {"00046701234567", "SE"},   // "00" then 0 is no international prefix
      {"0110", "US"},             // international prefix and too little after it
      {"123", "SE"},              // too short
      {"+4670123456789012", ""},  // too long
      {"+46991234567", ""},       // invalid for region SE
      {"+12", ""},                // not a number: a '+' needs three digits
      {"+123", ""},               // too short
      {"1", "SE"},                // not a number
  };
  for (const Case& c : cases) {
    const std::string text = ParseInputOf(c.text);
    std::optional<PhoneCheck> fast = FastPhoneCheck(text, c.region);
    ASSERT_TRUE(fast.has_value()) << c.text << " in " << c.region;
    EXPECT_EQ(Describe(*fast), Describe(Reference(text, c.region))) << c.text << " in " << c.region;
    EXPECT_EQ(Describe(CheckPhone(c.text, c.region)), Describe(*fast)) << c.text;
  }
}

TEST(FastPhoneCheck, LeavesUnusualInputToLibphonenumber) {
  for (const char* text : {"+46701234567;ext=12", "+4670123456x7", "tel:+46701234567",
                           "1-800-FLOWERS", "+46 70 123", "++46701234567", "4670#"}) {
    EXPECT_FALSE(FastPhoneCheck(text, "SE").has_value()) << text;
  }
  EXPECT_FALSE(FastPhoneCheck("0701234567", "").has_value());        // no region to read it with
  EXPECT_FALSE(FastPhoneCheck("0701234567", "XX").has_value());      // unknown region
  EXPECT_FALSE(FastPhoneCheck("0701234567", "se").has_value());      // not upper case
  EXPECT_FALSE(FastPhoneCheck("+999123456", "").has_value());        // unknown calling code
  EXPECT_FALSE(FastPhoneCheck("01511987654321", "BR").has_value());  // carrier code 15
  // ... and CheckPhone still answers them through libphonenumber.
  EXPECT_TRUE(CheckPhone("0 15 11 98765 4321", "BR").valid);
  EXPECT_EQ(CheckPhone("0 15 11 98765 4321", "BR").e164, "+5511987654321");
}

}  // namespace
}  // namespace patron::ingest
