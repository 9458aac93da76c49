#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

#include <random>
#include <string>
#include <vector>

#include "core/core.h"
#include "ingest/ingest.h"

namespace patron::ingest {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string RandomBytes(std::mt19937& rng, int max_length) {
  std::uniform_int_distribution<int> length(0, max_length);
  std::uniform_int_distribution<int> byte(0, 255);
  std::string s;
  const int n = length(rng);
  for (int i = 0; i < n; ++i) s.push_back(static_cast<char>(byte(rng)));
  return s;
}

// Random bytes with a bias towards the characters the parsers care about.
std::string RandomTextish(std::mt19937& rng, int max_length) {
  static const std::vector<std::string> pieces = {
      "@",      ".",      "..",     "-",      "+",      "\"",   "\\",   " ",
      "a",      "Z",      "9",      "0",      "00",     ",",    "/",    ":",
      "\u00A0", "\u06F1", "\u0661", "\u066B", "\u066C", "\xFF", "\xC3", "\xE2\x82",
      "x--",    "\u00FC", "\u200B", "com",    "gmail",  "(",    ")",    "'",
      "\u20AC", "kr",     "SEK",    "T",      "Z",      "e",    "Mar",  "\u0645\u0647\u0631",
      "1402",   "2024",   "12",     "31",     "\0"};
  std::uniform_int_distribution<int> count(0, max_length);
  std::uniform_int_distribution<size_t> pick(0, pieces.size() - 1);
  std::string s;
  const int n = count(rng);
  for (int i = 0; i < n; ++i) s += pieces[pick(rng)];
  return s;
}

// ===========================================================================
// CheckEmail
// ===========================================================================

void ExpectValidEmail(std::string_view raw, std::string_view normalized) {
  EmailCheck c = CheckEmail(raw);
  EXPECT_TRUE(c.valid) << raw << ": " << c.reason;
  EXPECT_EQ(c.normalized, normalized) << raw;
  EXPECT_EQ(c.reason, "") << raw;
}

void ExpectInvalidEmail(std::string_view raw, std::string_view reason) {
  EmailCheck c = CheckEmail(raw);
  EXPECT_FALSE(c.valid) << raw;
  EXPECT_EQ(c.reason, reason) << raw;
}

TEST(CheckEmail, AcceptsOrdinaryAddresses) {
  ExpectValidEmail("ali@example.com", "ali@example.com");
  ExpectValidEmail("ali.rezaei@mail.example.co.uk", "ali.rezaei@mail.example.co.uk");
  ExpectValidEmail("o'brien+newsletter@example.ie", "o'brien+newsletter@example.ie");
  ExpectValidEmail("a!#$%&'*+-/=?^_`{|}~@example.com", "a!#$%&'*+-/=?^_`{|}~@example.com");
  ExpectValidEmail("x@a.io", "x@a.io");
  ExpectValidEmail("info@xn--bcher-kva.de", "info@xn--bcher-kva.de");
}

TEST(CheckEmail, TrimsAndLowerCasesOnlyTheDomain) {
  ExpectValidEmail("  Ali.Rezaei@Example.COM \t", "Ali.Rezaei@example.com");
  ExpectValidEmail("\uFEFFali@example.com\u00A0", "ali@example.com");
  ExpectValidEmail("\u200Fali@example.com\u200E", "ali@example.com");
}

TEST(CheckEmail, AcceptsQuotedLocalParts) {
  ExpectValidEmail("\"ali rezaei\"@example.com", "\"ali rezaei\"@example.com");
  ExpectValidEmail("\"a@b\"@example.com", "\"a@b\"@example.com");
  ExpectValidEmail("\"a\\\"b\"@example.com", "\"a\\\"b\"@example.com");
  ExpectValidEmail("\"a..b\"@example.com", "\"a..b\"@example.com");
}

TEST(CheckEmail, RejectsBrokenQuotedLocalParts) {
  ExpectInvalidEmail("\"ali@example.com", "unterminated quoted local part");
  ExpectInvalidEmail("\"ali\"x@example.com", "text after the closing quote of the local part");
  ExpectInvalidEmail("\"\"@example.com", "empty local part");
  ExpectInvalidEmail("\"a\tb\"@example.com", "invalid character U+0009 in quoted local part");
}

TEST(CheckEmail, AcceptsUtf8LocalParts) {
  ExpectValidEmail("\u0639\u0644\u06CC@example.com", "\u0639\u0644\u06CC@example.com");
  ExpectValidEmail("Jos\u00E9@Example.com", "Jos\u00E9@example.com");
}

TEST(CheckEmail, RejectsInvisibleCharactersInUtf8LocalParts) {
  ExpectInvalidEmail("ali\u00A0rezaei@example.com", "invalid character U+00A0 in local part");
  ExpectInvalidEmail("ali\u200Brezaei@example.com", "invalid character U+200B in local part");
  ExpectInvalidEmail("ali\xFF@example.com", "local part is not valid UTF-8");
}

TEST(CheckEmail, ExplainsStructuralErrors) {
  ExpectInvalidEmail("", "empty");
  ExpectInvalidEmail(" \t ", "empty");
  ExpectInvalidEmail("ali.example.com", "missing '@'");
  ExpectInvalidEmail("ali@@example.com", "more than one '@'");
  ExpectInvalidEmail("ali@rezaei@example.com", "more than one '@'");
  ExpectInvalidEmail("@example.com", "empty local part");
  ExpectInvalidEmail("ali@", "missing domain");
}

TEST(CheckEmail, ExplainsLocalPartErrors) {
  ExpectInvalidEmail(".ali@example.com", "local part starts with a dot");
  ExpectInvalidEmail("ali.@example.com", "local part ends with a dot");
  ExpectInvalidEmail("ali..rezaei@example.com", "consecutive dots in local part");
  ExpectInvalidEmail("ali rezaei@example.com", "invalid character ' ' in local part");
  ExpectInvalidEmail("ali,rezaei@example.com", "invalid character ',' in local part");
  ExpectInvalidEmail("Ali <ali@example.com>", "invalid character ' ' in local part");
}

TEST(CheckEmail, EnforcesLocalPartLength) {
  ExpectValidEmail(std::string(64, 'a') + "@example.com", std::string(64, 'a') + "@example.com");
  ExpectInvalidEmail(std::string(65, 'a') + "@example.com", "local part longer than 64 characters");
}

TEST(CheckEmail, ExplainsDomainErrors) {
  ExpectInvalidEmail("ali@example,com", "invalid character ',' in domain");
  ExpectInvalidEmail("ali@exa mple.com", "invalid character ' ' in domain");
  ExpectInvalidEmail("ali@exam_ple.com", "invalid character '_' in domain");
  ExpectInvalidEmail("ali@localhost", "domain has no dot");
  ExpectInvalidEmail("ali@example.com.", "domain ends with a dot");
  ExpectInvalidEmail("ali@.example.com", "domain starts with a dot");
  ExpectInvalidEmail("ali@example..com", "consecutive dots in domain");
  ExpectInvalidEmail("ali@-example.com", "domain label '-example' starts with a hyphen");
  ExpectInvalidEmail("ali@example-.com", "domain label 'example-' ends with a hyphen");
  ExpectInvalidEmail("ali@1.2.3.4", "top-level domain is numeric");
  ExpectInvalidEmail("ali@[192.168.0.1]", "IP address literals are not accepted as domains");
}

TEST(CheckEmail, EnforcesDomainAndAddressLengths) {
  const std::string label63(63, 'b');
  ExpectValidEmail("ali@" + label63 + ".com", "ali@" + label63 + ".com");
  ExpectInvalidEmail("ali@" + label63 + "b.com", "domain label longer than 63 characters");
  // 64 + 1 + 193 = 258 octets: every part is fine, the whole is too long.
  const std::string domain =
      std::string(63, 'a') + "." + std::string(63, 'b') + "." + std::string(61, 'c') + ".com";
  ExpectInvalidEmail(std::string(64, 'x') + "@" + domain, "address longer than 254 characters");
  std::string huge_domain;
  for (int i = 0; i < 10; ++i) huge_domain += std::string(30, 'd') + ".";
  huge_domain += "com";
  ExpectInvalidEmail("a@" + huge_domain, "domain longer than 255 characters");
}

TEST(CheckEmail, EncodesInternationalizedDomains) {
  ExpectValidEmail("ali@B\u00FCcher.de", "ali@xn--bcher-kva.de");
  ExpectValidEmail("ali@\u0627\u06CC\u0631\u0627\u0646.ir", "ali@xn--mgba3a4f16a.ir");
  ExpectValidEmail("info@\u4F8B\u3048.jp", "info@xn--r8jz45g.jp");
  // Full-width letters are mapped (UTS 46) to their ASCII forms.
  ExpectValidEmail("ali@\uFF25\uFF38\uFF21\uFF2D\uFF30\uFF2C\uFF25.com", "ali@example.com");
}

TEST(CheckEmail, RejectsInvalidInternationalizedDomains) {
  EmailCheck snowman = CheckEmail("ali@\u2603.com");  // symbols are not allowed in IDNs
  EXPECT_FALSE(snowman.valid);
  EXPECT_THAT(snowman.reason, StartsWith("invalid internationalized domain: "));
  EmailCheck bad_punycode = CheckEmail("ali@xn--zz.com");
  EXPECT_FALSE(bad_punycode.valid);
  EXPECT_THAT(bad_punycode.reason, StartsWith("invalid internationalized domain: "));
  EmailCheck broken = CheckEmail("ali@b\xC3.com");
  EXPECT_FALSE(broken.valid);
  EXPECT_EQ(broken.reason, "domain is not valid UTF-8");
}

TEST(CheckEmail, SuggestsCorrectionsForCommonDomainTypos) {
  struct Case {
    const char* raw;
    const char* suggestion;
  } cases[] = {
      {"ali@gmial.com", "ali@gmail.com"},   // transposition
      {"ali@gmai.com", "ali@gmail.com"},    // deletion
      {"ali@gmaill.con", "ali@gmail.com"},  // two edits in a long domain
      {"ali@hotmial.se", "ali@hotmail.se"},
      {"ali@yahooo.com", "ali@yahoo.com"},
      {"ali@outlok.com", "ali@outlook.com"},
      {"Ali.R@Gmial.COM", "Ali.R@gmail.com"},  // keeps the local part as given
      {"ali@gmx.dd", "ali@gmx.de"},            // short domain, one edit
      {"ali@example.con", "ali@example.com"},  // TLD typo of an unknown domain
      {"ali@example.cmo", "ali@example.com"},
      {"ali@company.comm", "ali@company.com"},
      {"ali@example.ne", "ali@example.net"},
  };
  for (const Case& c : cases) {
    EmailCheck check = CheckEmail(c.raw);
    EXPECT_TRUE(check.valid) << c.raw << ": a typo'd domain may still be real";
    EXPECT_EQ(check.suggestion, c.suggestion) << c.raw;
  }
}

TEST(CheckEmail, DoesNotSuggestForKnownOrUnrelatedDomains) {
  for (const char* raw : {"ali@gmail.com", "ali@hotmail.se", "ali@yahoo.de", "ali@yahoo.se",
                          "ali@mail.com", "ali@gmx.net", "ali@live.se", "ali@example.com",
                          "ali@company.se", "ali@chmail.ir", "ali@telia.com", "ali@gnx.dk"}) {
    EmailCheck check = CheckEmail(raw);
    EXPECT_TRUE(check.valid) << raw;
    EXPECT_EQ(check.suggestion, "") << raw;
  }
}

TEST(CheckEmail, SuggestsTheDotForADomainThatLostIt) {
  EmailCheck check = CheckEmail("ali@gmailcom");
  EXPECT_FALSE(check.valid);
  EXPECT_EQ(check.reason, "domain has no dot");
  EXPECT_EQ(check.suggestion, "ali@gmail.com");
}

TEST(CheckEmail, SuggestsTheAddressAnInvalidOneWasMeantToBe) {
  struct Case {
    const char* raw;
    const char* reason;
    const char* suggestion;
  } cases[] = {
      // The '@' lost before a listed provider (the longest domain it ends with).
      {"mariaolssonhotmail.com", "missing '@'", "mariaolsson@hotmail.com"},
      {"aligmail.com", "missing '@'", "ali@gmail.com"},
      {"j.smithhotmail.co.uk", "missing '@'", "j.smith@hotmail.co.uk"},
      // A doubled dot, in the local part or the domain.
      {"mohammad..nouri@sanatertebatat.ir", "consecutive dots in local part", "mohammad.nouri@sanatertebatat.ir"},
      {"evaosterby@telia..com", "consecutive dots in domain", "evaosterby@telia.com"},
      // Both repairs, and then the domain's typo.
      {"ali..rezaeigmial.com", "missing '@'", ""},
      {"ali..rezaei@gmial.com", "consecutive dots in local part", "ali.rezaei@gmail.com"},
  };
  for (const Case& c : cases) {
    EmailCheck check = CheckEmail(c.raw);
    EXPECT_FALSE(check.valid) << c.raw;
    EXPECT_EQ(check.reason, c.reason) << c.raw;
    EXPECT_EQ(check.suggestion, c.suggestion) << c.raw;
  }
  // Nothing to offer: an unknown domain without '@', or no address at all.
  for (const char* raw : {"salhashimialmajd-tech.com.sa", "gmail.com", "hello", "ali@", "a b@gmail.com"}) {
    EXPECT_EQ(CheckEmail(raw).suggestion, "") << raw;
  }
}

TEST(CheckEmail, NeverCrashesOnArbitraryBytes) {
  std::mt19937 rng(2024);
  for (int round = 0; round < 5000; ++round) {
    std::string input = round % 2 ? RandomBytes(rng, 80) : RandomTextish(rng, 30);
    if (round % 3 == 0) input = "ali@" + input;
    EmailCheck c = CheckEmail(input);
    // Exactly one of: valid with a normalised address, or invalid with a reason.
    ASSERT_EQ(c.valid, c.reason.empty()) << input;
    if (c.valid) {
      ASSERT_FALSE(c.normalized.empty());
      ASSERT_LE(c.normalized.size(), 254u);
    }
    ASSERT_TRUE(IsValidUtf8(c.reason)) << c.reason;
  }
}

// ===========================================================================
// CheckPhone
// ===========================================================================

TEST(CheckPhone, ParsesNationalNumbersWithTheDefaultRegion) {
  PhoneCheck c = CheckPhone("070-123 45 67", "SE");
  EXPECT_TRUE(c.valid) << c.reason;
  EXPECT_EQ(c.e164, "+46701234567");
  EXPECT_EQ(c.type, "mobile");
  EXPECT_EQ(c.region, "SE");
  EXPECT_EQ(c.reason, "");

  PhoneCheck lower = CheckPhone("070-123 45 67", "se");
  EXPECT_TRUE(lower.valid);
  EXPECT_EQ(lower.e164, "+46701234567");
}

TEST(CheckPhone, ParsesInternationalNumbersWithoutARegion) {
  for (const char* raw : {"+46 70 123 45 67", "+46 (0)70-123 45 67", "0046 70 123 45 67",
                          "00 46 70 123 45 67", "+46.70.123.45.67", "(+46) 701234567"}) {
    PhoneCheck c = CheckPhone(raw, "");
    EXPECT_TRUE(c.valid) << raw << ": " << c.reason;
    EXPECT_EQ(c.e164, "+46701234567") << raw;
  }
  // An international number wins over the default region.
  PhoneCheck iran = CheckPhone("+98 912 345 6789", "SE");
  EXPECT_TRUE(iran.valid);
  EXPECT_EQ(iran.e164, "+989123456789");
  EXPECT_EQ(iran.region, "IR");
  EXPECT_EQ(CheckPhone("0098 912 345 6789", "SE").e164, "+989123456789");
}

TEST(CheckPhone, AcceptsPersianAndArabicIndicDigits) {
  PhoneCheck persian =
      CheckPhone("\u06F0\u06F9\u06F1\u06F2 \u06F3\u06F4\u06F5 \u06F6\u06F7\u06F8\u06F9", "IR");
  EXPECT_TRUE(persian.valid) << persian.reason;
  EXPECT_EQ(persian.e164, "+989123456789");
  EXPECT_EQ(persian.type, "mobile");
  EXPECT_EQ(persian.region, "IR");
  PhoneCheck arabic =
      CheckPhone("+\u0669\u0668\u0669\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669", "");
  EXPECT_TRUE(arabic.valid) << arabic.reason;
  EXPECT_EQ(arabic.e164, "+989123456789");
}

TEST(CheckPhone, ReportsTheNumberType) {
  EXPECT_EQ(CheckPhone("08-123 456 78", "SE").type, "fixed_line");
  EXPECT_EQ(CheckPhone("020-123 456", "SE").type, "toll_free");
  EXPECT_EQ(CheckPhone("+1 650-253-0000", "").type, "fixed_line_or_mobile");
  EXPECT_EQ(CheckPhone("+46 900 123 456", "").type, "other");  // premium rate
  EXPECT_EQ(CheckPhone("+98 21 1234 5678", "").type, "fixed_line");
  PhoneCheck london = CheckPhone("+44 20 7946 0958", "");
  EXPECT_EQ(london.type, "fixed_line");
  EXPECT_EQ(london.region, "GB");
}

TEST(CheckPhone, IgnoresExtensions) {
  PhoneCheck c = CheckPhone("+46 70 123 45 67 ext. 12", "");
  EXPECT_TRUE(c.valid);
  EXPECT_EQ(c.e164, "+46701234567");
}

TEST(CheckPhone, ExplainsWhyANumberIsInvalid) {
  EXPECT_EQ(CheckPhone("", "SE").reason, "empty");
  EXPECT_EQ(CheckPhone(" \u00A0 ", "SE").reason, "empty");
  EXPECT_EQ(CheckPhone("call me", "SE").reason, "not a number");
  EXPECT_EQ(CheckPhone("123", "SE").reason, "too short");
  EXPECT_EQ(CheckPhone("+46 1", "").reason, "too short");
  EXPECT_EQ(CheckPhone("+46 70 123 45 67 89 01 23", "").reason, "too long");
  EXPECT_EQ(CheckPhone("+46 99 123 45 67", "").reason, "invalid for region SE");
  EXPECT_EQ(CheckPhone("070-123 45 67", "").reason,
            "no country: give a country or --default-country");
  EXPECT_EQ(CheckPhone("+999 123 456", "").reason, "unknown country calling code");
  EXPECT_EQ(CheckPhone("070-123 45 67", "XX").reason, "unknown region 'XX'");
  EXPECT_EQ(CheckPhone(std::string(150, '1'), "SE").reason, "too long");
  EXPECT_EQ(CheckPhone("070\xFF"
                       "1234567",
                       "SE")
                .reason,
            "not a number");
  for (const char* raw : {"", "123", "call me"}) {
    PhoneCheck c = CheckPhone(raw, "SE");
    EXPECT_FALSE(c.valid);
    EXPECT_EQ(c.e164, "");
  }
}

// CheckPhone hands libphonenumber a cleaned-up string and derives validity
// from the number type; both are shortcuts that must not change the outcome.
// Compare with libphonenumber used directly on the formatted text.
TEST(CheckPhone, AgreesWithLibphonenumberUsedDirectly) {
  using i18n::phonenumbers::PhoneNumber;
  using i18n::phonenumbers::PhoneNumberUtil;
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  std::mt19937 rng(55);
  std::uniform_int_distribution<int> digit(0, 9);
  int compared = 0;
  int valid = 0;
  for (const char* region : {"SE", "IR", "GB", "US", "DE", "FR", "NO", "IT", "AR", "MX", "BR",
                             "IN", "AU", "RU", "AE", "SA", "CN", "JP", "NL", "FI", "TR", "AF"}) {
    for (PhoneNumberUtil::PhoneNumberType type :
         {PhoneNumberUtil::FIXED_LINE, PhoneNumberUtil::MOBILE, PhoneNumberUtil::TOLL_FREE,
          PhoneNumberUtil::PREMIUM_RATE, PhoneNumberUtil::VOIP}) {
      PhoneNumber example;
      if (!util.GetExampleNumberForType(region, type, &example)) continue;
      for (int variant = 0; variant < 8; ++variant) {
        PhoneNumber number = example;
        uint64_t national = number.national_number();
        if (variant % 4 == 1) national = national / 1000 * 1000 + digit(rng) * 100 + digit(rng);
        if (variant % 4 == 2) national = national * 10 + digit(rng);  // one digit too many
        if (variant % 4 == 3) national /= 10;                         // one digit too few
        number.set_national_number(national);
        for (PhoneNumberUtil::PhoneNumberFormat format :
             {PhoneNumberUtil::NATIONAL, PhoneNumberUtil::INTERNATIONAL, PhoneNumberUtil::E164}) {
          std::string text;
          util.Format(number, format, &text);
          PhoneNumber reference;
          const bool reference_valid =
              util.Parse(text, region, &reference) == PhoneNumberUtil::NO_PARSING_ERROR &&
              util.IsValidNumber(reference);
          PhoneCheck ours = CheckPhone(text, region);
          ++compared;
          ASSERT_EQ(ours.valid, reference_valid) << text << " in " << region << ": " << ours.reason;
          if (!reference_valid) continue;
          ++valid;
          std::string e164;
          util.Format(reference, PhoneNumberUtil::E164, &e164);
          EXPECT_EQ(ours.e164, e164) << text << " in " << region;
          std::string reference_region;
          util.GetRegionCodeForNumber(reference, &reference_region);
          EXPECT_EQ(ours.region, reference_region) << text;
        }
      }
    }
  }
  EXPECT_GT(compared, 1000);
  EXPECT_GT(valid, 300);
}

TEST(CheckPhone, NeverCrashesOnArbitraryBytes) {
  std::mt19937 rng(4242);
  for (int round = 0; round < 3000; ++round) {
    std::string input = round % 2 ? RandomBytes(rng, 40) : RandomTextish(rng, 20);
    PhoneCheck c = CheckPhone(input, round % 3 == 0 ? "" : "SE");
    ASSERT_EQ(c.valid, c.reason.empty()) << input;
    if (c.valid) {
      ASSERT_EQ(c.e164[0], '+');
      ASSERT_FALSE(c.region.empty());
    }
  }
}

// ===========================================================================
// ParseDate
// ===========================================================================

CivilDate D(int y, int m, int d) { return CivilDate{y, m, d}; }

CivilDate MustParseDate(std::string_view raw, const DateOptions& options = {}) {
  Result<CivilDate> r = ParseDate(raw, options);
  EXPECT_TRUE(r.ok()) << raw << ": " << r.status().ToString();
  return r.ok() ? *r : CivilDate{};
}

std::string DateError(std::string_view raw, const DateOptions& options = {}) {
  Result<CivilDate> r = ParseDate(raw, options);
  EXPECT_FALSE(r.ok()) << raw << " parsed as " << (r.ok() ? r->ToString() : "");
  if (r.ok()) return {};
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  return r.status().message();
}

TEST(ParseDate, ReadsIsoAndYearFirstForms) {
  EXPECT_EQ(MustParseDate("2024-03-05"), D(2024, 3, 5));
  EXPECT_EQ(MustParseDate("2024/03/05"), D(2024, 3, 5));
  EXPECT_EQ(MustParseDate("2024.03.05"), D(2024, 3, 5));
  EXPECT_EQ(MustParseDate("2024-3-5"), D(2024, 3, 5));
  EXPECT_EQ(MustParseDate("20240305"), D(2024, 3, 5));
  EXPECT_EQ(MustParseDate("  2024-03-05 "), D(2024, 3, 5));
}

TEST(ParseDate, ReadsDayFirstFormsByDefault) {
  EXPECT_EQ(MustParseDate("05.03.2024"), D(2024, 3, 5));
  EXPECT_EQ(MustParseDate("05/03/2024"), D(2024, 3, 5));
  EXPECT_EQ(MustParseDate("05-03-2024"), D(2024, 3, 5));
  EXPECT_EQ(MustParseDate("5/3/2024"), D(2024, 3, 5));
}

TEST(ParseDate, ReadsMonthFirstWhenTold) {
  DateOptions us;
  us.order = DateOrder::kMonthDayYear;
  EXPECT_EQ(MustParseDate("03/05/2024", us), D(2024, 3, 5));
  EXPECT_EQ(MustParseDate("03-05-2024", us), D(2024, 3, 5));
  // Dotted dates are day-first everywhere.
  EXPECT_EQ(MustParseDate("05.03.2024", us), D(2024, 3, 5));
  // ISO stays ISO.
  EXPECT_EQ(MustParseDate("2024-03-05", us), D(2024, 3, 5));
}

TEST(ParseDate, ANumberAbove12IsTheDayWhateverTheOrder) {
  DateOptions us;
  us.order = DateOrder::kMonthDayYear;
  EXPECT_EQ(MustParseDate("25/03/2024", us), D(2024, 3, 25));
  EXPECT_EQ(MustParseDate("03/25/2024"), D(2024, 3, 25));
  EXPECT_EQ(MustParseDate("25/03/2024"), D(2024, 3, 25));
}

TEST(ParseDate, ReadsEnglishMonthNames) {
  EXPECT_EQ(MustParseDate("5 March 2024"), D(2024, 3, 5));
  EXPECT_EQ(MustParseDate("March 5, 2024"), D(2024, 3, 5));
  EXPECT_EQ(MustParseDate("5-Mar-2024"), D(2024, 3, 5));
  EXPECT_EQ(MustParseDate("05 MAR 2024"), D(2024, 3, 5));
  EXPECT_EQ(MustParseDate("Sept. 30, 2023"), D(2023, 9, 30));
  EXPECT_EQ(MustParseDate("2024-Dec-24"), D(2024, 12, 24));
  EXPECT_EQ(MustParseDate("Tuesday, 5th March 2024"), D(2024, 3, 5));
  EXPECT_EQ(MustParseDate("1st of May 2024"), D(2024, 5, 1));
}

TEST(ParseDate, ReadsSwedishMonthNames) {
  EXPECT_EQ(MustParseDate("5 mars 2024"), D(2024, 3, 5));
  EXPECT_EQ(MustParseDate("17 maj 2024"), D(2024, 5, 17));
  EXPECT_EQ(MustParseDate("1 okt 2023"), D(2023, 10, 1));
  EXPECT_EQ(MustParseDate("tisdag den 5 mars 2024"), D(2024, 3, 5));
  EXPECT_EQ(MustParseDate("31 Augusti 2024"), D(2024, 8, 31));
}

TEST(ParseDate, ReadsPersianDates) {
  EXPECT_EQ(MustParseDate("1402/07/01"), D(2023, 9, 23));
  EXPECT_EQ(MustParseDate("1403-01-01"), D(2024, 3, 20));
  EXPECT_EQ(MustParseDate("14020701"), D(2023, 9, 23));
  EXPECT_EQ(MustParseDate("\u06F1\u06F4\u06F0\u06F2/\u06F0\u06F7/\u06F0\u06F1"), D(2023, 9, 23));
  EXPECT_EQ(MustParseDate("\u0661\u0664\u0660\u0662/\u0660\u0667/\u0660\u0661"), D(2023, 9, 23));
  // Day-first with a Persian year.
  EXPECT_EQ(MustParseDate("30/09/1402"), D(2023, 12, 21));
}

TEST(ParseDate, ReadsPersianMonthNames) {
  EXPECT_EQ(MustParseDate("1 \u0645\u0647\u0631 1402"), D(2023, 9, 23));  // 1 مهر 1402
  EXPECT_EQ(MustParseDate("\u06F1 \u0645\u0647\u0631 \u06F1\u06F4\u06F0\u06F2"), D(2023, 9, 23));
  EXPECT_EQ(MustParseDate("30 \u0622\u0630\u0631 1402"), D(2023, 12, 21));  // Yalda
  EXPECT_EQ(MustParseDate("1 \u0641\u0631\u0648\u0631\u062F\u06CC\u0646 1403"), D(2024, 3, 20));
  // Arabic Yeh in دی and a right-to-left mark copied along with the text.
  EXPECT_EQ(MustParseDate("\u200F11 \u062F\u064A 1348"), D(1970, 1, 1));
  // The month name says Persian even when the options say Hijri.
  DateOptions hijri;
  hijri.low_year_calendar = Calendar::kIslamicCivil;
  EXPECT_EQ(MustParseDate("1 \u0645\u0647\u0631 1402", hijri), D(2023, 9, 23));
}

TEST(ParseDate, ReadsHijriYearsWhenTold) {
  DateOptions hijri;
  hijri.low_year_calendar = Calendar::kIslamicCivil;
  EXPECT_EQ(MustParseDate("1445/09/01", hijri), D(2024, 3, 11));
  // The same text read as Persian (the default) is a date decades ahead.
  EXPECT_EQ(MustParseDate("1445/09/01"), *ToGregorian(Calendar::kPersian, 1445, 9, 1));
  EXPECT_GT(MustParseDate("1445/09/01").year, 2060);
}

TEST(ParseDate, AcceptsAMidnightTimeFromExports) {
  EXPECT_EQ(MustParseDate("1985-04-12 00:00:00"), D(1985, 4, 12));
  EXPECT_EQ(MustParseDate("1985-04-12T00:00:00Z"), D(1985, 4, 12));
  EXPECT_EQ(MustParseDate("12/04/1985 00:00"), D(1985, 4, 12));
  EXPECT_THAT(DateError("1985-04-12 10:15"), HasSubstr("time of day"));
}

TEST(ParseDate, RejectsTwoDigitYears) {
  EXPECT_THAT(DateError("05/03/24"), HasSubstr("two-digit year '24' is ambiguous"));
  EXPECT_THAT(DateError("5 March 24"), HasSubstr("two-digit year '24' is ambiguous"));
  EXPECT_THAT(DateError("24-03-05"), HasSubstr("two-digit year"));
}

TEST(ParseDate, RejectsImpossibleDatesNamingTheInput) {
  std::string feb30 = DateError("2023-02-30");
  EXPECT_THAT(feb30, HasSubstr("2023-02-30"));
  EXPECT_THAT(feb30, HasSubstr("no such day"));
  EXPECT_THAT(DateError("2023-02-29"), HasSubstr("no such day"));
  EXPECT_EQ(MustParseDate("2024-02-29"), D(2024, 2, 29));
  EXPECT_THAT(DateError("2024-13-01"), HasSubstr("month 13"));
  EXPECT_THAT(DateError("2024-00-10"), HasSubstr("month 0"));
  EXPECT_THAT(DateError("32/01/2024"), HasSubstr("no such day"));
  EXPECT_THAT(DateError("1402/12/30"), HasSubstr("has 29 days"));  // 1402 is not leap
  EXPECT_EQ(MustParseDate("1403/12/30"), D(2025, 3, 20));
  EXPECT_THAT(DateError("31 April 2024"), HasSubstr("no such day"));
}

TEST(ParseDate, RejectsWhatIsNotADate) {
  EXPECT_EQ(DateError(""), "empty date");
  EXPECT_EQ(DateError("  "), "empty date");
  EXPECT_THAT(DateError("yesterday"), HasSubstr("'yesterday'"));
  EXPECT_THAT(DateError("5 Foo 2024"), HasSubstr("unknown word 'Foo'"));
  EXPECT_THAT(DateError("2024-03"), HasSubstr("unrecognised format"));
  EXPECT_THAT(DateError("2024-03/05"), HasSubstr("'-', '/' or '.'"));
  EXPECT_THAT(DateError("0024-03-05"), HasSubstr("year 24 is out of range"));
  EXPECT_THAT(DateError("5 March May 2024"), HasSubstr("more than one month"));
  EXPECT_THAT(DateError("5 \u0645\u0647\u0631 2024"), HasSubstr("not a Persian"));
  EXPECT_THAT(DateError("2024_03_05"), HasSubstr("unexpected character '_'"));
  EXPECT_THAT(DateError("123456789"), HasSubstr("too long"));
}

TEST(ParseDate, QuotesLongInputsShortly) {
  std::string message = DateError(std::string(500, 'x'));
  EXPECT_LT(message.size(), 200u);
}

TEST(ParseDate, NeverCrashesOnArbitraryBytes) {
  std::mt19937 rng(31337);
  for (int round = 0; round < 5000; ++round) {
    std::string input = round % 2 ? RandomBytes(rng, 30) : RandomTextish(rng, 10);
    Result<CivilDate> r = ParseDate(input);
    if (r.ok()) {
      ASSERT_TRUE(r->IsValid()) << input;
    } else {
      ASSERT_TRUE(IsValidUtf8(r.status().message())) << input;
    }
  }
}

// ===========================================================================
// ParseTimestamp
// ===========================================================================

Instant MustParseTimestamp(std::string_view raw, const DateOptions& options = {}) {
  Result<Instant> r = ParseTimestamp(raw, options);
  EXPECT_TRUE(r.ok()) << raw << ": " << r.status().ToString();
  return r.ok() ? *r : Instant{};
}

std::string Iso(std::string_view raw) { return FormatInstant(MustParseTimestamp(raw)); }

TEST(ParseTimestamp, ReadsIso8601) {
  EXPECT_EQ(Iso("2024-03-05T10:15:30Z"), "2024-03-05T10:15:30Z");
  EXPECT_EQ(Iso("2024-03-05T10:15:30+03:30"), "2024-03-05T06:45:30Z");
  EXPECT_EQ(Iso("2024-03-05 10:15:30"), "2024-03-05T10:15:30Z");
  EXPECT_EQ(Iso("2024-03-05T10:15:30.250Z"), "2024-03-05T10:15:30.250000Z");
}

TEST(ParseTimestamp, ReadsDatesAtMidnightUtc) {
  EXPECT_EQ(Iso("2024-03-05"), "2024-03-05T00:00:00Z");
  EXPECT_EQ(Iso("05/03/2024"), "2024-03-05T00:00:00Z");
  EXPECT_EQ(Iso("5 March 2024"), "2024-03-05T00:00:00Z");
  EXPECT_EQ(Iso("1402/07/01"), "2023-09-23T00:00:00Z");
  EXPECT_EQ(Iso("20240305"), "2024-03-05T00:00:00Z");  // 8 digits: a date, not epoch seconds
}

TEST(ParseTimestamp, ReadsOtherDateTimeForms) {
  EXPECT_EQ(Iso("05/03/2024 10:15"), "2024-03-05T10:15:00Z");
  EXPECT_EQ(Iso("5 March 2024 10:15:30 +01:00"), "2024-03-05T09:15:30Z");
  EXPECT_EQ(Iso("Tue, 5 Mar 2024 10:15:30 +0100"), "2024-03-05T09:15:30Z");
  DateOptions us;
  us.order = DateOrder::kMonthDayYear;
  EXPECT_EQ(FormatInstant(MustParseTimestamp("3/5/2024 10:15 PM", us)), "2024-03-05T22:15:00Z");
  EXPECT_EQ(FormatInstant(MustParseTimestamp("3/5/2024 12:05 AM", us)), "2024-03-05T00:05:00Z");
  EXPECT_EQ(Iso("1402/07/01 08:30"), "2023-09-23T08:30:00Z");
}

TEST(ParseTimestamp, ReadsEpochSecondsAndMilliseconds) {
  EXPECT_EQ(Iso("1709633730"), "2024-03-05T10:15:30Z");
  EXPECT_EQ(Iso("1709633730123"), "2024-03-05T10:15:30.123000Z");
  EXPECT_EQ(Iso("1709633730.5"), "2024-03-05T10:15:30.500000Z");
  EXPECT_EQ(Iso("0"), "1970-01-01T00:00:00Z");
  EXPECT_EQ(Iso("\u06F1\u06F7\u06F0\u06F9\u06F6\u06F3\u06F3\u06F7\u06F3\u06F0"),
            "2024-03-05T10:15:30Z");
}

TEST(ParseTimestamp, RejectsBadInputNamingIt) {
  auto error = [](std::string_view raw) {
    Result<Instant> r = ParseTimestamp(raw);
    EXPECT_FALSE(r.ok()) << raw;
    return r.ok() ? std::string() : r.status().message();
  };
  EXPECT_EQ(error(""), "empty timestamp");
  EXPECT_THAT(error("123456789012345"), HasSubstr("15-digit number"));
  EXPECT_THAT(error("2024-03-05T25:00"), HasSubstr("2024-03-05T25:00"));
  EXPECT_THAT(error("2024-02-30 10:00"), HasSubstr("no such day"));
  EXPECT_THAT(error("20230230"), HasSubstr("no such day"));
  EXPECT_THAT(error("soon"), HasSubstr("'soon' is not a timestamp"));
  EXPECT_THAT(error("2024-03-05 10:15 CET"), HasSubstr("unexpected text"));
}

TEST(ParseTimestamp, NeverCrashesOnArbitraryBytes) {
  std::mt19937 rng(8080);
  for (int round = 0; round < 5000; ++round) {
    std::string input = round % 2 ? RandomBytes(rng, 30) : RandomTextish(rng, 10);
    Result<Instant> r = ParseTimestamp(input);
    if (!r.ok()) {
      ASSERT_FALSE(r.status().message().empty()) << input;
    }
  }
}

// ===========================================================================
// ParseAmountMinor
// ===========================================================================

int64_t MustParseAmount(std::string_view raw, int minor_digits = 2) {
  Result<int64_t> r = ParseAmountMinor(raw, minor_digits);
  EXPECT_TRUE(r.ok()) << raw << ": " << r.status().ToString();
  return r.ok() ? *r : -999999;
}

std::string AmountError(std::string_view raw, int minor_digits = 2) {
  Result<int64_t> r = ParseAmountMinor(raw, minor_digits);
  EXPECT_FALSE(r.ok()) << raw << " parsed as " << (r.ok() ? *r : 0);
  return r.ok() ? std::string() : r.status().message();
}

TEST(ParseAmountMinor, ReadsPlainNumbers) {
  EXPECT_EQ(MustParseAmount("1234.5"), 123450);
  EXPECT_EQ(MustParseAmount("1234"), 123400);
  EXPECT_EQ(MustParseAmount("-12"), -1200);
  EXPECT_EQ(MustParseAmount("+12.5"), 1250);
  EXPECT_EQ(MustParseAmount("0.05"), 5);
  EXPECT_EQ(MustParseAmount(".5"), 50);
  EXPECT_EQ(MustParseAmount("0"), 0);
  EXPECT_EQ(MustParseAmount("-0"), 0);
}

TEST(ParseAmountMinor, ReadsEnglishAndEuropeanSeparators) {
  EXPECT_EQ(MustParseAmount("1,234.50"), 123450);
  EXPECT_EQ(MustParseAmount("1.234,50"), 123450);
  EXPECT_EQ(MustParseAmount("1 234,50"), 123450);
  EXPECT_EQ(MustParseAmount("1\u00A0234,50"), 123450);  // no-break space
  EXPECT_EQ(MustParseAmount("1\u202F234,50"), 123450);  // narrow no-break space
  EXPECT_EQ(MustParseAmount("1'234.50"), 123450);       // Swiss
  EXPECT_EQ(MustParseAmount("1,234,567.89"), 123456789);
  EXPECT_EQ(MustParseAmount("1.234.567"), 123456700);
  EXPECT_EQ(MustParseAmount("12,5"), 1250);  // a lone ',' with 1-2 digits: decimal
  EXPECT_EQ(MustParseAmount("12,50"), 1250);
  EXPECT_EQ(MustParseAmount("1,234"), 123400);         // a lone ',' with 3 digits: thousands
  EXPECT_EQ(MustParseAmount("0,125", 3), 125);         // "0," cannot start a thousands group
  EXPECT_EQ(MustParseAmount("1234,567", 3), 1234567);  // 4 digits before: not grouping
}

TEST(ParseAmountMinor, ReadsPersianDigitsAndSeparators) {
  EXPECT_EQ(MustParseAmount("\u06F1\u06F2\u06F3\u06F4\u066B\u06F5"), 123450);
  EXPECT_EQ(MustParseAmount("\u06F1\u066C\u06F2\u06F3\u06F4\u066C\u06F5\u06F6\u06F7", 0), 1234567);
}

TEST(ParseAmountMinor, StripsCurrencySymbolsAndCodes) {
  EXPECT_EQ(MustParseAmount("\u20AC12.50"), 1250);
  EXPECT_EQ(MustParseAmount("12.50 SEK"), 1250);
  EXPECT_EQ(MustParseAmount("SEK 12.50"), 1250);
  EXPECT_EQ(MustParseAmount("$3"), 300);
  EXPECT_EQ(MustParseAmount("US$ 3.99"), 399);
  EXPECT_EQ(MustParseAmount("1 234,50 kr"), 123450);
  EXPECT_EQ(MustParseAmount("99 kr."), 9900);
  EXPECT_EQ(MustParseAmount("99:-"), 9900);
  EXPECT_EQ(MustParseAmount("99,-"), 9900);
  EXPECT_EQ(MustParseAmount("-\u20AC12.50"), -1250);
  EXPECT_EQ(MustParseAmount("\u20AC-12.50"), -1250);
  EXPECT_EQ(MustParseAmount("(12.50)"), -1250);
  EXPECT_EQ(MustParseAmount("\u00A312"), 1200);
  EXPECT_EQ(MustParseAmount("1\u066C500\u066C000 \u0631\u06CC\u0627\u0644", 0), 1500000);
  EXPECT_EQ(MustParseAmount("\uFDFC 5000", 0), 5000);
}

TEST(ParseAmountMinor, RefusesToRoundSilently) {
  EXPECT_THAT(AmountError("12.3456"), HasSubstr("has 4 decimals, more than 2"));
  EXPECT_THAT(AmountError("0.125"), HasSubstr("has 3 decimals, more than 2"));
  EXPECT_THAT(AmountError("12.5", 0), HasSubstr("more than 0"));
  EXPECT_EQ(MustParseAmount("12.5000"), 1250);  // extra zeros are harmless
  EXPECT_EQ(MustParseAmount("0.500"), 50);
  EXPECT_EQ(MustParseAmount("1234.500"), 123450);
  EXPECT_EQ(MustParseAmount("12.0", 0), 12);
  EXPECT_EQ(MustParseAmount("12.345", 3), 12345);
  EXPECT_EQ(MustParseAmount("1.5", 6), 1500000);
}

TEST(ParseAmountMinor, RejectsALoneDotThatMayGroupThousands) {
  // "1.000" is 1 in English and 1000 in German; either silent reading would be
  // wrong by a factor of 1000 for someone.
  EXPECT_THAT(AmountError("1.000"), HasSubstr("ambiguous: '.'"));
  EXPECT_THAT(AmountError("12.500"), HasSubstr("ambiguous"));
  EXPECT_THAT(AmountError("1.234"), HasSubstr("ambiguous"));
  // With three or more decimals the dot is the decimal point (machine-written numbers).
  EXPECT_EQ(MustParseAmount("1.234", 3), 1234);
  EXPECT_EQ(MustParseAmount("1.234", 6), 1234000);
}

TEST(ParseAmountMinor, RejectsAmbiguousCommaWhenThreeDecimalsArePossible) {
  EXPECT_THAT(AmountError("1,234", 3), HasSubstr("ambiguous: ','"));
  EXPECT_THAT(AmountError("1,234", 6), HasSubstr("ambiguous"));
}

TEST(ParseAmountMinor, RejectsMalformedNumbers) {
  EXPECT_EQ(AmountError(""), "empty amount");
  EXPECT_EQ(AmountError(" \u00A0"), "empty amount");
  EXPECT_THAT(AmountError("abc"), HasSubstr("'abc' is not an amount"));
  EXPECT_THAT(AmountError("12 apples"), HasSubstr("unexpected text 'apples'"));
  EXPECT_THAT(AmountError("1,23,456"), HasSubstr("misplaced thousands separator"));
  EXPECT_THAT(AmountError("12 34"), HasSubstr("misplaced thousands separator"));
  EXPECT_THAT(AmountError("1 234,567.89"), HasSubstr("mixed thousands separators"));
  EXPECT_THAT(AmountError("1.234,56.7"), HasSubstr("is not an amount"));
  EXPECT_THAT(AmountError("12."), HasSubstr("no digits after the decimal separator"));
  EXPECT_THAT(AmountError("--12"), HasSubstr("is not an amount"));
  EXPECT_THAT(AmountError("1-2"), HasSubstr("misplaced sign"));
  EXPECT_THAT(AmountError("1e5"), HasSubstr("is not an amount"));
}

TEST(ParseAmountMinor, RejectsOverflow) {
  EXPECT_EQ(MustParseAmount("92233720368547758.07"), INT64_MAX);
  EXPECT_THAT(AmountError("92233720368547758.08"), HasSubstr("too large"));
  EXPECT_THAT(AmountError("99999999999999999999999"), HasSubstr("too large"));
  EXPECT_EQ(MustParseAmount("-92233720368547758.07"), -INT64_MAX);
  EXPECT_FALSE(ParseAmountMinor("1", 19).ok());
}

TEST(ParseAmountMinor, NeverCrashesOnArbitraryBytes) {
  std::mt19937 rng(1234);
  for (int round = 0; round < 5000; ++round) {
    std::string input = round % 2 ? RandomBytes(rng, 30) : RandomTextish(rng, 12);
    Result<int64_t> r = ParseAmountMinor(input, round % 4);
    if (!r.ok()) {
      ASSERT_TRUE(IsValidUtf8(r.status().message())) << input;
    }
  }
}

// ===========================================================================
// ParseInteger
// ===========================================================================

TEST(ParseInteger, ReadsSignsDigitsAndGrouping) {
  EXPECT_EQ(*ParseInteger("42"), 42);
  EXPECT_EQ(*ParseInteger(" -42 "), -42);
  EXPECT_EQ(*ParseInteger("+7"), 7);
  EXPECT_EQ(*ParseInteger("1,234"), 1234);
  EXPECT_EQ(*ParseInteger("1 234"), 1234);
  EXPECT_EQ(*ParseInteger("1.234.567"), 1234567);
  EXPECT_EQ(*ParseInteger("\u06F4\u06F2"), 42);
  EXPECT_EQ(*ParseInteger("\u0664\u0662"), 42);
  EXPECT_EQ(*ParseInteger("12.0"), 12);  // spreadsheet exports of whole numbers
  EXPECT_EQ(*ParseInteger("9223372036854775807"), INT64_MAX);
}

TEST(ParseInteger, RejectsFractionsAndJunk) {
  Result<int64_t> fraction = ParseInteger("12.5");
  ASSERT_FALSE(fraction.ok());
  EXPECT_EQ(fraction.status().message(), "'12.5' is not an integer: it has a fractional part");
  EXPECT_EQ(ParseInteger("").status().message(), "empty integer");
  EXPECT_FALSE(ParseInteger("abc").ok());
  EXPECT_FALSE(ParseInteger("12 kr").ok());  // currencies are for amounts
  EXPECT_FALSE(ParseInteger("$12").ok());
  EXPECT_THAT(ParseInteger("1.000").status().message(), HasSubstr("ambiguous"));
  EXPECT_FALSE(ParseInteger("9223372036854775808").ok());
  EXPECT_THAT(ParseInteger("9223372036854775808").status().message(), HasSubstr("too large"));
}

// ===========================================================================
// ParseBool
// ===========================================================================

TEST(ParseBool, ReadsYesWordsInAllSupportedLanguages) {
  for (const char* raw : {"yes",
                          "YES",
                          "Yes",
                          "y",
                          "true",
                          "TRUE",
                          "1",
                          "ja",
                          "Ja",
                          "granted",
                          "opt-in",
                          "optin",
                          "Opt-In",
                          "subscribed",
                          "on",
                          " yes ",
                          "\u0628\u0644\u0647",
                          "\u0622\u0631\u06CC",
                          "\u0627\u0653\u0631\u064A",
                          "\u0646\u0639\u0645",
                          "\u06F1",
                          "sant"}) {
    Result<bool> r = ParseBool(raw);
    ASSERT_TRUE(r.ok()) << raw << ": " << r.status().ToString();
    EXPECT_TRUE(*r) << raw;
  }
}

TEST(ParseBool, ReadsNoWordsInAllSupportedLanguages) {
  for (const char* raw :
       {"no", "NO", "n", "false", "False", "0", "nej", "NEJ", "withdrawn", "opt-out", "optout",
        "unsubscribed", "off", "\u062E\u06CC\u0631", "\u062E\u064A\u0631", "\u0646\u0647",
        "\u0644\u0627", "\u06F0", "falskt"}) {
    Result<bool> r = ParseBool(raw);
    ASSERT_TRUE(r.ok()) << raw << ": " << r.status().ToString();
    EXPECT_FALSE(*r) << raw;
  }
}

TEST(ParseBool, RejectsAnythingElseWithAHelpfulMessage) {
  for (const char* raw : {"", "maybe", "2", "yess", "\xFF"}) {
    Result<bool> r = ParseBool(raw);
    ASSERT_FALSE(r.ok()) << raw;
    EXPECT_THAT(r.status().message(), HasSubstr("yes/no"));
  }
  EXPECT_THAT(ParseBool("maybe").status().message(), HasSubstr("'maybe'"));
}

}  // namespace
}  // namespace patron::ingest
