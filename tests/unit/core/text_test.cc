#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "core/core.h"

namespace patron {
namespace {

// --- NormalizeText ---------------------------------------------------------

TEST(NormalizeText, TrimsAndCollapsesAsciiWhitespace) {
  EXPECT_EQ(NormalizeText("  Ali   Rezaei \t\r\n"), "Ali Rezaei");
  EXPECT_EQ(NormalizeText("Ali\tRezaei"), "Ali Rezaei");
  EXPECT_EQ(NormalizeText("Ali Rezaei"), "Ali Rezaei");
  EXPECT_EQ(NormalizeText(""), "");
  EXPECT_EQ(NormalizeText(" \t\n "), "");
}

TEST(NormalizeText, KeepsAsciiPunctuationAndCase) {
  EXPECT_EQ(NormalizeText("O'Brien-Smith, Jr."), "O'Brien-Smith, Jr.");
}

TEST(NormalizeText, TrimsAndCollapsesUnicodeWhitespace) {
  // NBSP, em space, ideographic space, narrow NBSP, next line.
  EXPECT_EQ(NormalizeText("\u00A0Ali\u2003\u3000Rezaei\u202F\u0085"), "Ali Rezaei");
  EXPECT_EQ(NormalizeText("\u00A0\u2003"), "");
}

TEST(NormalizeText, ComposesToNfc) {
  EXPECT_EQ(NormalizeText("A\u030Asa"), "\u00C5sa");                           // Åsa
  EXPECT_EQ(NormalizeText("Mu\u0308ller"), "M\u00FCller");                     // Müller
  EXPECT_EQ(NormalizeText("\u0627\u0653\u0631\u0634"), "\u0622\u0631\u0634");  // آرش
  // Hangul jamo compose into syllables.
  EXPECT_EQ(NormalizeText("\u1112\u1161\u11AB"), "\uD55C");
}

TEST(NormalizeText, RemovesZeroWidthCharacters) {
  EXPECT_EQ(NormalizeText("Al\u200Bi"), "Ali");
  EXPECT_EQ(NormalizeText("\uFEFFAli"), "Ali");
  EXPECT_EQ(NormalizeText("A\u2060li"), "Ali");
  EXPECT_EQ(NormalizeText("A\u200Dli"), "Ali");
  // A zero-width space between words does not glue or double the spaces.
  EXPECT_EQ(NormalizeText("Ali \u200B Rezaei"), "Ali Rezaei");
}

TEST(NormalizeText, RemovingZeroWidthCharacterLetsMarksCompose) {
  EXPECT_EQ(NormalizeText("A\u200B\u030Asa"), "\u00C5sa");
}

TEST(NormalizeText, KeepsZwnjBetweenLetters) {
  const std::string mikhaham =
      "\u0645\u06CC\u200C\u062E\u0648\u0627\u0647\u0645";  // می‌خواهم
  EXPECT_EQ(NormalizeText(mikhaham), mikhaham);
  // With a vowel mark between the letter and the ZWNJ.
  const std::string with_mark = "\u0645\u0650\u200C\u062E";
  EXPECT_EQ(NormalizeText(with_mark), with_mark);
}

TEST(NormalizeText, DropsZwnjNotBetweenLetters) {
  EXPECT_EQ(NormalizeText("\u200C\u0639\u0644\u06CC\u200C"), "\u0639\u0644\u06CC");
  EXPECT_EQ(NormalizeText("\u0645\u06CC\u200C \u062E"), "\u0645\u06CC \u062E");
  EXPECT_EQ(NormalizeText("12\u200C34"), "1234");
  // A run of ZWNJs between letters becomes one.
  EXPECT_EQ(NormalizeText("\u0645\u06CC\u200C\u200C\u062E"), "\u0645\u06CC\u200C\u062E");
}

TEST(NormalizeText, KeepsZwjInsideEmojiSequences) {
  const std::string family = "\U0001F468\u200D\U0001F469\u200D\U0001F467";
  EXPECT_EQ(NormalizeText(family), family);
  const std::string heart_on_fire = "\u2764\uFE0F\u200D\U0001F525";
  EXPECT_EQ(NormalizeText(heart_on_fire), heart_on_fire);
}

TEST(NormalizeText, PersianTextGetsPersianYehAndKaf) {
  // "علي پور": Arabic Yeh in text that contains پ.
  EXPECT_EQ(NormalizeText("\u0639\u0644\u064A \u067E\u0648\u0631"),
            "\u0639\u0644\u06CC \u067E\u0648\u0631");
  // "كيان گل": Arabic Kaf and Yeh in text that contains گ.
  EXPECT_EQ(NormalizeText("\u0643\u064A\u0627\u0646 \u06AF\u0644"),
            "\u06A9\u06CC\u0627\u0646 \u06AF\u0644");
  // Mixed: one Persian Yeh already present decides it.
  EXPECT_EQ(NormalizeText("\u0639\u0644\u064A \u0631\u0636\u0627\u06CC\u06CC"),
            "\u0639\u0644\u06CC \u0631\u0636\u0627\u06CC\u06CC");
}

TEST(NormalizeText, ArabicTextKeepsArabicLetters) {
  const std::string ali = "\u0639\u0644\u064A";                  // علي
  const std::string makkah = "\u0645\u0643\u0629";               // مكة
  const std::string mustafa = "\u0645\u0635\u0637\u0641\u0649";  // مصطفى
  EXPECT_EQ(NormalizeText(ali), ali);
  EXPECT_EQ(NormalizeText(makkah), makkah);
  EXPECT_EQ(NormalizeText(mustafa), mustafa);
}

TEST(NormalizeText, LeavesAlefMaksuraAloneEvenInPersianText) {
  const std::string text = "\u0645\u0635\u0637\u0641\u0649 \u067E\u0648\u0631";
  EXPECT_EQ(NormalizeText(text), text);
}

TEST(NormalizeText, IsIdempotent) {
  const std::vector<std::string> samples = {
      "  Ali   Rezaei ",
      "A\u030Asa \u00A0 Lindstr\u00F6m",
      "\u0643\u064A\u0627\u0646\u200C\u200C\u06AF\u0644 \u200B",
      "\U0001F468\u200D\U0001F469 \u200D x",
      "\u0645\u0650\u200C\u062E \u0301",
  };
  for (const std::string& s : samples) {
    std::string once = NormalizeText(s);
    EXPECT_EQ(NormalizeText(once), once) << s;
  }
}

TEST(NormalizeText, OutputIsValidUtf8EvenForInvalidInput) {
  // Invalid UTF-8 is outside the contract, but must not crash or leak bad bytes.
  std::string bad = "Ali\xC3\x28\xFF Rezaei\xE2\x82";
  std::string out = NormalizeText(bad);
  EXPECT_TRUE(IsValidUtf8(out));
  EXPECT_EQ(out.substr(0, 3), "Ali");
}

// --- FoldForMatching -------------------------------------------------------

TEST(Utf8Prefix, NeverCutsACharacter) {
  EXPECT_EQ(Utf8Prefix("hello", 10), "hello");
  EXPECT_EQ(Utf8Prefix("hello", 3), "hel");
  // "سلام" is four two-byte letters: 5 bytes keep two letters, not two and a half.
  EXPECT_EQ(Utf8Prefix("سلام", 5), "سل");
  EXPECT_EQ(Utf8Prefix("سلام", 4), "سل");
  EXPECT_EQ(Utf8Prefix("سلام", 1), "");
  // Four-byte characters (an emoji) and three-byte ones (a ZWNJ) alike.
  EXPECT_EQ(Utf8Prefix("a\U0001F600b", 4), "a");
  EXPECT_EQ(Utf8Prefix("a\U0001F600b", 5), "a\U0001F600");
  EXPECT_EQ(Utf8Prefix("می\u200Cخواهم", 5), "می");
  for (size_t n = 0; n <= 40; ++n)
    EXPECT_TRUE(IsValidUtf8(Utf8Prefix("Åsa Öberg محمد‌رضا 😀 ä", n))) << n;
}

TEST(FoldForMatching, LowerCasesAndNormalisesAscii) {
  EXPECT_EQ(FoldForMatching("  Ali   REZAEI "), "ali rezaei");
  EXPECT_EQ(FoldForMatching("O'Brien"), "o'brien");
  EXPECT_EQ(FoldForMatching(""), "");
}

TEST(FoldForMatching, RemovesLatinDiacritics) {
  EXPECT_EQ(FoldForMatching("\u00C5sa"), "asa");
  EXPECT_EQ(FoldForMatching("A\u030Asa"), "asa");
  EXPECT_EQ(FoldForMatching("M\u00FCller"), "muller");
  EXPECT_EQ(FoldForMatching("J\u00F6rgen \u00D6stling"), "jorgen ostling");
  EXPECT_EQ(FoldForMatching("Fran\u00E7ois"), "francois");
  EXPECT_EQ(FoldForMatching("\u0386\u03BD\u03BD\u03B1"), "\u03B1\u03BD\u03BD\u03B1");  // Άννα
}

TEST(FoldForMatching, AppliesFullCaseFolding) {
  EXPECT_EQ(FoldForMatching("Stra\u00DFe"), "strasse");
  EXPECT_EQ(FoldForMatching("STRASSE"), FoldForMatching("stra\u00DFe"));
  EXPECT_EQ(FoldForMatching("\u0130stanbul"), "istanbul");
  EXPECT_EQ(FoldForMatching("\u041C\u0410\u0420\u0418\u042F"), "\u043C\u0430\u0440\u0438\u044F");
}

TEST(FoldForMatching, AppliesCompatibilityMappings) {
  EXPECT_EQ(FoldForMatching("\uFF21\uFF2C\uFF29"), "ali");  // full-width ＡＬＩ
  EXPECT_EQ(FoldForMatching("\uFB01nn"), "finn");           // ﬁ ligature
  EXPECT_EQ(FoldForMatching("\uFECB\uFEE0\uFEF2"),
            "\u0639\u0644\u06CC");            // presentation forms of علي
  EXPECT_EQ(FoldForMatching("\u210C"), "h");  // ℌ
}

TEST(FoldForMatching, RemovesArabicHarakatAndTatweel) {
  // مُحَمَّد -> محمد
  EXPECT_EQ(FoldForMatching("\u0645\u064F\u062D\u064E\u0645\u0651\u064E\u062F"),
            "\u0645\u062D\u0645\u062F");
  // محـــمد -> محمد
  EXPECT_EQ(FoldForMatching("\u0645\u062D\u0640\u0640\u0640\u0645\u062F"),
            "\u0645\u062D\u0645\u062F");
  // Superscript alef: رحمٰن -> رحمن
  EXPECT_EQ(FoldForMatching("\u0631\u062D\u0645\u0670\u0646"), "\u0631\u062D\u0645\u0646");
}

TEST(FoldForMatching, UnifiesArabicAndPersianLetterVariants) {
  const std::string persian_ali = "\u0639\u0644\u06CC";
  EXPECT_EQ(FoldForMatching("\u0639\u0644\u064A"), persian_ali);  // علي
  EXPECT_EQ(FoldForMatching("\u0639\u0644\u0649"), persian_ali);  // على
  EXPECT_EQ(FoldForMatching("\u0643\u0627\u0645\u0631\u0627\u0646"),
            "\u06A9\u0627\u0645\u0631\u0627\u0646");  // كامران
  EXPECT_EQ(FoldForMatching("\u0623\u062D\u0645\u062F"), "\u0627\u062D\u0645\u062F");  // أحمد
  EXPECT_EQ(FoldForMatching("\u0625\u064A\u0645\u0627\u0646"),
            "\u0627\u06CC\u0645\u0627\u0646");                                         // إيمان
  EXPECT_EQ(FoldForMatching("\u0622\u0631\u0634"), "\u0627\u0631\u0634");              // آرش
  EXPECT_EQ(FoldForMatching("\u0671\u0644\u0644\u0647"), "\u0627\u0644\u0644\u0647");  // ٱلله
  EXPECT_EQ(FoldForMatching("\u0641\u0627\u0637\u0645\u0629"),
            "\u0641\u0627\u0637\u0645\u0647");                                         // فاطمة
  EXPECT_EQ(FoldForMatching("\u0645\u0624\u0645\u0646"), "\u0645\u0648\u0645\u0646");  // مؤمن
  EXPECT_EQ(FoldForMatching("\u0633\u0648\u0626\u062F"), "\u0633\u0648\u06CC\u062F");  // سوئد
  EXPECT_EQ(FoldForMatching("\u062E\u0627\u0646\u06C0"), "\u062E\u0627\u0646\u0647");  // خانۀ
}

TEST(FoldForMatching, RemovesZwnj) {
  EXPECT_EQ(FoldForMatching("\u0645\u06CC\u200C\u062E\u0648\u0627\u0647\u0645"),
            "\u0645\u06CC\u062E\u0648\u0627\u0647\u0645");
}

TEST(FoldForMatching, ConvertsPersianAndArabicDigits) {
  EXPECT_EQ(FoldForMatching("\u06F1\u06F2\u06F3"), "123");
  EXPECT_EQ(FoldForMatching("\u0664\u0665"), "45");
  EXPECT_EQ(FoldForMatching("\u067E\u0644\u0627\u06A9 \u06F1\u06F2"),
            "\u067E\u0644\u0627\u06A9 12");
}

TEST(FoldForMatching, SpellingVariantsOfOneNameMatch) {
  // The same Persian name typed on a Persian and on an Arabic keyboard, with
  // and without vowel marks, tatweel and a ZWNJ.
  EXPECT_EQ(FoldForMatching("\u0639\u0644\u06CC\u200C\u0627\u06A9\u0628\u0631"),
            FoldForMatching("\u0639\u064E\u0644\u064A\u0627\u0643\u0640\u0628\u0631"));
}

TEST(FoldForMatching, KeepsMeaningfulMarksOfOtherScripts) {
  const std::string hindi = "\u0939\u093F\u0928\u094D\u0926\u0940";  // हिन्दी
  EXPECT_EQ(FoldForMatching(hindi), hindi);
  EXPECT_EQ(FoldForMatching("\uD55C\uAD6D"), "\uD55C\uAD6D");  // 한국 survives NFD+NFC
  EXPECT_EQ(FoldForMatching("\u304C"), "\u304C");              // が is not か
}

TEST(FoldForMatching, DoesNotLeaveSpacesWhereMarksWereRemoved) {
  EXPECT_EQ(FoldForMatching("a \u0301 b"), "a b");
  EXPECT_EQ(FoldForMatching("\u0301 a"), "a");
  EXPECT_EQ(FoldForMatching("a \u0640"), "a");
}

TEST(FoldForMatching, IsIdempotent) {
  const std::vector<std::string> samples = {
      "\u00C5sa M\u00FCller",
      "Stra\u00DFe",
      "\u0130stanbul",
      "\u0639\u064E\u0644\u064A\u0627\u0643\u0640\u0628\u0631",
      "\u062E\u0627\u0646\u06C0",
      "\uD55C\uAD6D \u0939\u093F\u0928\u094D\u0926\u0940",
      "\u1E9E \u01C5 \uFB03"};
  for (const std::string& s : samples) {
    std::string once = FoldForMatching(s);
    EXPECT_EQ(FoldForMatching(once), once) << s;
  }
}

TEST(FoldForMatching, NeverCrashesOnArbitraryBytes) {
  std::mt19937 rng(12345);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<int> length(0, 64);
  for (int round = 0; round < 3000; ++round) {
    std::string input;
    int n = length(rng);
    for (int i = 0; i < n; ++i) input.push_back(static_cast<char>(byte(rng)));
    std::string out = FoldForMatching(input);
    ASSERT_TRUE(IsValidUtf8(out)) << "round " << round;
  }
}

TEST(FoldForMatching, RandomValidTextFoldsToAFixedPoint) {
  // Random strings over characters the folding treats specially.
  const std::vector<std::string> alphabet = {
      "a",      "B",      " ",      "\u00A0", "\u0301", "\u00C5", "\u00DF", "\u0130",     "\u0645",
      "\u064A", "\u0643", "\u0649", "\u0629", "\u0623", "\u0626", "\u0640", "\u064E",     "\u0651",
      "\u200C", "\u200D", "\u200B", "\u06F5", "\u0665", "\u06C0", "\u067E", "\U0001F468", "\uD55C",
      "\u1100", "\u1161", "\u210C", "\uFEF2", "\uFF21", "\u00B4", "\uFB01", "\u01C5"};
  std::mt19937 rng(777);
  std::uniform_int_distribution<size_t> pick(0, alphabet.size() - 1);
  for (int round = 0; round < 2000; ++round) {
    std::string input;
    for (int i = 0; i < 12; ++i) input += alphabet[pick(rng)];
    std::string normalized = NormalizeText(input);
    ASSERT_EQ(NormalizeText(normalized), normalized) << input;
    std::string folded = FoldForMatching(input);
    ASSERT_TRUE(IsValidUtf8(folded));
    ASSERT_EQ(FoldForMatching(folded), folded) << input;
  }
}

// --- AsciiDigits -----------------------------------------------------------

TEST(AsciiDigits, ConvertsPersianDigits) {
  EXPECT_EQ(AsciiDigits("\u06F1\u06F4\u06F0\u06F2/\u06F0\u06F7/\u06F0\u06F1"), "1402/07/01");
  EXPECT_EQ(AsciiDigits("\u06F0\u06F1\u06F2\u06F3\u06F4\u06F5\u06F6\u06F7\u06F8\u06F9"),
            "0123456789");
}

TEST(AsciiDigits, ConvertsArabicIndicDigits) {
  EXPECT_EQ(AsciiDigits("\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669"),
            "0123456789");
}

TEST(AsciiDigits, ConvertsArabicSeparators) {
  EXPECT_EQ(AsciiDigits("\u06F1\u06F2\u06F3\u06F4\u066B\u06F5"), "1234.5");
  EXPECT_EQ(AsciiDigits("\u06F1\u066C\u06F2\u06F3\u06F4"), "1,234");
}

TEST(AsciiDigits, LeavesEverythingElseAlone) {
  EXPECT_EQ(AsciiDigits("abc 123 \u20AC \u0639\u0644\u06CC"), "abc 123 \u20AC \u0639\u0644\u06CC");
  EXPECT_EQ(AsciiDigits("+\u06F9\u06F8 \u06F9\u06F1\u06F2"), "+98 912");
  EXPECT_EQ(AsciiDigits(""), "");
}

TEST(AsciiDigits, NeverCrashesOnArbitraryBytes) {
  std::mt19937 rng(99);
  std::uniform_int_distribution<int> byte(0, 255);
  for (int round = 0; round < 2000; ++round) {
    std::string input;
    for (int i = 0; i < 17; ++i) input.push_back(static_cast<char>(byte(rng)));
    std::string out = AsciiDigits(input);
    ASSERT_LE(out.size(), input.size());
  }
  // A lone lead byte at the end is kept as is.
  EXPECT_EQ(AsciiDigits("1\xDB"), "1\xDB");
}

}  // namespace
}  // namespace patron
