// Normalisers and validators: names in Latin, Persian, Arabic and Swedish,
// company names, Iranian national codes and Swedish personnummer.
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "identity/identity.h"

namespace patron::identity {
namespace {

TEST(NormalizeName, FoldsCaseSpacesAndPunctuation) {
  EXPECT_EQ(NormalizeName("  O'Brien-SMITH "), "o brien smith");
  EXPECT_EQ(NormalizeName("José"), "jose");
  EXPECT_EQ(NormalizeName("Müller"), "muller");
  EXPECT_EQ(NormalizeName(""), "");
}

TEST(NormalizeName, UnifiesArabicAndPersianLetters) {
  // Arabic yeh and kaf against Persian yeh and keheh.
  EXPECT_EQ(NormalizeName("علي"), NormalizeName("علی"));
  EXPECT_EQ(NormalizeName("كريم"), NormalizeName("کریم"));
  // Teh marbuta and heh.
  EXPECT_EQ(NormalizeName("فاطمة"), NormalizeName("فاطمه"));
  // Alef with hamza, and harakat.
  EXPECT_EQ(NormalizeName("أحمد"), NormalizeName("احمد"));
  EXPECT_EQ(NormalizeName("مُحَمَّد"), NormalizeName("محمد"));
  // ZWNJ and tatweel.
  EXPECT_EQ(NormalizeName("می\u200Cدانم"), NormalizeName("میدانم"));
  EXPECT_EQ(NormalizeName("محـــمد"), NormalizeName("محمد"));
}

TEST(NormalizeName, KeepsSwedishLettersDistinct) {
  EXPECT_EQ(NormalizeName("Åsa Öberg"), "åsa öberg");
  EXPECT_NE(NormalizeName("Åsa"), NormalizeName("Asa"));
  EXPECT_EQ(NormalizeName("ÄNGEL"), "ängel");
  // Decomposed input (a + combining ring) is the same letter.
  EXPECT_EQ(NormalizeName("A\u030Asa"), "åsa");
}

TEST(Romanize, TransliteratesPersianAndArabic) {
  EXPECT_EQ(Romanize("محمد"), "mhmd");
  EXPECT_EQ(Romanize("Åsa"), "asa");
  EXPECT_EQ(Romanize("گلناز"), "glnaz");
  EXPECT_EQ(Romanize("علي"), "ly");  // the ain's mark is dropped
}

TEST(Romanize, GivesTheSameAnswerOnManyThreads) {
  // Each thread has its own transliterator and cache of answers.
  const std::vector<std::string> names{"محمد", "Mohammad", "ستاره", "فاطمة", "Åsa", "عبدالله", "نیما"};
  std::vector<std::string> expected;
  for (const auto& n : names) expected.push_back(Romanize(n));
  std::vector<std::vector<std::string>> got(4);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < got.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 50; ++round) {
        for (const auto& n : names) got[t].push_back(Romanize(n));
      }
    });
  }
  for (auto& th : threads) th.join();
  for (const auto& answers : got) {
    ASSERT_EQ(answers.size(), names.size() * 50);
    for (size_t i = 0; i < answers.size(); ++i) EXPECT_EQ(answers[i], expected[i % names.size()]);
  }
}

TEST(NameSkeleton, MeetsAcrossScriptsAndSpellings) {
  EXPECT_EQ(NameSkeleton("Mohammad"), "mhmd");
  EXPECT_EQ(NameSkeleton("Muhammad"), "mhmd");
  EXPECT_EQ(NameSkeleton("محمد"), "mhmd");
  EXPECT_EQ(NameSkeleton("Ahmad"), NameSkeleton("احمد"));
  EXPECT_EQ(NameSkeleton("Fatemeh"), NameSkeleton("فاطمه"));
  EXPECT_EQ(NameSkeleton(""), "");
}

TEST(NormalizeCompanyName, StripsLegalForms) {
  EXPECT_EQ(NormalizeCompanyName("Acme Trading AB"), "acme trading");
  EXPECT_EQ(NormalizeCompanyName("ACME Ltd."), "acme");
  EXPECT_EQ(NormalizeCompanyName("Müller & Co. GmbH"), "muller");
  EXPECT_EQ(NormalizeCompanyName("Widgets, Inc"), "widgets");
  EXPECT_EQ(NormalizeCompanyName("Ferrari S.p.A."), "ferrari");
  EXPECT_EQ(NormalizeCompanyName("Nordisk Kaffe Aktiebolag"), "nordisk kaffe");
  EXPECT_EQ(NormalizeCompanyName("شرکت فولاد مبارکه سهامی خاص"), NormalizeName("فولاد مبارکه"));
  EXPECT_EQ(NormalizeCompanyName("شركة النور ذ.م.م"), NormalizeName("النور"));
  EXPECT_EQ(NormalizeCompanyName("Åhléns AB"), "åhlens");
}

TEST(EmailLocalPart, DropsTagsAndGmailDots) {
  EXPECT_EQ(EmailLocalPart("Sara.Ahmadi+news@Gmail.com"), "saraahmadi");
  EXPECT_EQ(EmailLocalPart("sara.ahmadi+x@example.se"), "sara.ahmadi");
  EXPECT_EQ(EmailLocalPart("no-at-sign"), "");
}

TEST(IranianNationalCode, ChecksTheCheckDigit) {
  // 0499370899: sum = 0*10+4*9+9*8+9*7+3*6+7*5+0*4+8*3+9*2 = 266, 266 % 11 = 2, check 9.
  EXPECT_EQ(NormalizeIranianNationalCode("0499370899"), "0499370899");
  EXPECT_EQ(NormalizeIranianNationalCode("049-937089-9"), "0499370899");
  EXPECT_EQ(NormalizeIranianNationalCode("۰۴۹۹۳۷۰۸۹۹"), "0499370899");  // Persian digits
  EXPECT_FALSE(NormalizeIranianNationalCode("0499370898"));  // wrong check digit
  EXPECT_FALSE(NormalizeIranianNationalCode("1111111111"));  // one digit repeated
  EXPECT_FALSE(NormalizeIranianNationalCode("049937089"));   // nine digits
  EXPECT_FALSE(NormalizeIranianNationalCode("04993708a9"));
}

TEST(Personnummer, ChecksDateAndLuhn) {
  EXPECT_EQ(NormalizePersonnummer("811218-9876"), "8112189876");
  EXPECT_EQ(NormalizePersonnummer("19811218-9876"), "8112189876");
  EXPECT_EQ(NormalizePersonnummer("198112189876"), "8112189876");
  EXPECT_EQ(NormalizePersonnummer("811278-9873"), "8112789873");  // samordningsnummer: day + 60
  EXPECT_FALSE(NormalizePersonnummer("811218-9875"));  // Luhn fails
  EXPECT_FALSE(NormalizePersonnummer("811318-9876"));  // month 13
  EXPECT_FALSE(NormalizePersonnummer("8112"));
}

TEST(NationalIdKey, OnlyValidIdentifiersBecomeKeys) {
  EXPECT_EQ(NationalIdKey("0499370899"), "IR:0499370899");
  EXPECT_EQ(NationalIdKey("811218-9876"), "SE:8112189876");
  EXPECT_FALSE(NationalIdKey("6988048"));  // another country's number
  EXPECT_FALSE(NationalIdKey(""));
}

}  // namespace
}  // namespace patron::identity
