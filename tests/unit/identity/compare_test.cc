// Comparators: edit distances, Jaro–Winkler, token sets, dates, and the
// comparison vector of two records (missing values, swapped names, scripts).
#include <gtest/gtest.h>

#include "identity/identity.h"

namespace patron::identity {
namespace {

TEST(JaroWinkler, KnownValues) {
  EXPECT_DOUBLE_EQ(JaroWinkler("", ""), 1.0);
  EXPECT_DOUBLE_EQ(JaroWinkler("abc", ""), 0.0);
  EXPECT_DOUBLE_EQ(JaroWinkler("martha", "martha"), 1.0);
  EXPECT_NEAR(JaroWinkler("martha", "marhta"), 0.9611, 1e-4);
  EXPECT_NEAR(JaroWinkler("dwayne", "duane"), 0.84, 1e-4);
  EXPECT_NEAR(JaroWinkler("dixon", "dicksonx"), 0.8133, 1e-4);
}

TEST(JaroWinkler, CountsCodePointsNotBytes) {
  // One Persian letter differs: the same similarity as one Latin letter would give.
  EXPECT_NEAR(JaroWinkler("رضایی", "رضائی"), JaroWinkler("abcde", "abcxe"), 1e-12);
}

TEST(EditDistance, LevenshteinAndDamerau) {
  EXPECT_EQ(Levenshtein("kitten", "sitting"), 3);
  EXPECT_EQ(Levenshtein("", "abc"), 3);
  EXPECT_EQ(Levenshtein("ab", "ba"), 2);
  EXPECT_EQ(DamerauLevenshtein("ab", "ba"), 1);
  EXPECT_EQ(DamerauLevenshtein("ca", "abc"), 3);  // optimal string alignment
  EXPECT_EQ(Levenshtein("åsa", "asa"), 1);        // å is one character
  EXPECT_DOUBLE_EQ(EditSimilarity("abcd", "abcd"), 1.0);
  EXPECT_DOUBLE_EQ(EditSimilarity("abcd", "abxd"), 0.75);
}

TEST(EditDistance, WithinOneEditAgreesWithTheDistance) {
  // Every pair of strings up to length 4 over a small alphabet, Latin and
  // Persian: the linear check must say exactly DamerauLevenshtein <= 1.
  for (const std::vector<std::string>& alphabet :
       {std::vector<std::string>{"a", "b", "c"}, std::vector<std::string>{"ر", "ض", "a"}}) {
    std::vector<std::string> words{""};
    for (size_t begin = 0, length = 0; length < 4; ++length) {
      const size_t end = words.size();
      for (size_t w = begin; w < end; ++w) {
        for (const auto& letter : alphabet) words.push_back(words[w] + letter);
      }
      begin = end;
    }
    for (const auto& x : words) {
      for (const auto& y : words) {
        ASSERT_EQ(WithinOneEdit(x, y), DamerauLevenshtein(x, y) <= 1) << "'" << x << "' '" << y << "'";
      }
    }
  }
  EXPECT_TRUE(WithinOneEdit("mohammad", "mohamad"));
  EXPECT_TRUE(WithinOneEdit("karimi", "kraimi"));
  EXPECT_FALSE(WithinOneEdit("karimi", "kraimy"));
  EXPECT_TRUE(WithinOneEdit("رضایی", "رضائی"));
  EXPECT_FALSE(WithinOneEdit("åsa", "asa_"));
}

TEST(TokenSetSimilarity, IgnoresOrderAndToleratesTypos) {
  EXPECT_DOUBLE_EQ(TokenSetSimilarity("gibbon street", "street gibbon"), 1.0);
  EXPECT_DOUBLE_EQ(TokenSetSimilarity("a b", "a c"), 1.0 / 3.0);
  EXPECT_DOUBLE_EQ(TokenSetSimilarity("gibbon street", "gibbonn street"), 1.0);
  EXPECT_DOUBLE_EQ(TokenSetSimilarity("", "x"), 0.0);
}

// Streets as the demo data and customers write them, in three scripts, with
// typos, reordered words and more than 16 tokens.
const std::vector<std::string>& Streets() {
  static const std::vector<std::string> streets = {"tahlia street building 146",
                                                   "tahlia st building 146",
                                                   "tahliya street bldg 146",
                                                   "king fahd road building 12",
                                                   "building 146 tahlia street",
                                                   "drottninggatan 12",
                                                   "drottningatan 12 lgh 1102",
                                                   "kungsgatan 3",
                                                   "",
                                                   "valiasr st alley 15 no 175",
                                                   "خیابان ولیعصر، کوچه 15، پلاک 175",
                                                   "خیابان ولیعصر کوچه ۱۵ پلاک ۱۷۵",
                                                   "شارع الخليج، مبنى 29",
                                                   "شارع الخليج مبنى 92",
                                                   "al khaleej street building 29",
                                                   "a b c d e f g h i j k l m n o p q r",
                                                   "a b c d e f g h i j k l m n o p q s",
                                                   "gibbon street",
                                                   "gibon street",
                                                   "street",
                                                   // Invalid UTF-8 (a stray byte, a truncated
                                                   // sequence) is compared, not refused.
                                                   "\xff\xfe tahlia street",
                                                   "tahlia street \xc3",
                                                   "\xd8 \xd8\xa7"};
  return streets;
}

TEST(TokenSetSimilarity, AtLeastAnswersAsTheSimilarityDoes) {
  for (const std::string& a : Streets()) {
    for (const std::string& b : Streets()) {
      const double similarity = TokenSetSimilarity(a, b);
      for (double at_least : {0.0, 0.25, 1.0 / 3.0, 0.5, 0.6, 0.8, 1.0}) {
        EXPECT_EQ(TokenSetSimilarityAtLeast(a, b, at_least), similarity >= at_least)
            << "'" << a << "' / '" << b << "' at " << at_least << " (similarity " << similarity
            << ")";
      }
    }
  }
}

TEST(JaroWinkler, TheCheapBoundNeverRefusesAPairThatReachesTheThreshold) {
  int refused = 0;
  for (const std::string& a : Streets()) {
    for (const std::string& b : Streets()) {
      for (double threshold : {0.5, 0.8, 0.92}) {
        if (JaroWinkler(a, b) >= threshold) {
          EXPECT_TRUE(JaroWinklerMayReach(a, b, threshold))
              << "'" << a << "' / '" << b << "' at " << threshold;
        } else if (!JaroWinklerMayReach(a, b, threshold)) {
          ++refused;
        }
      }
    }
  }
  EXPECT_TRUE(JaroWinklerMayReach("خیابان ولیعصر", "خیابان ولیعصر", 0.99));
  // It refuses most pairs that do not reach 0.92, in Arabic script too.
  EXPECT_FALSE(JaroWinklerMayReach("شارع الخليج", "کوچه ۱۵ پلاک", 0.92));
  EXPECT_GT(refused, 300);
}

TEST(CompareDates, Levels) {
  EXPECT_EQ(CompareDates("1981-12-18", "19811218"), DateCloseness::kExact);
  EXPECT_EQ(CompareDates("1981-12-18", "1981-12-19"), DateCloseness::kTypo);
  EXPECT_EQ(CompareDates("1981-12-18", "1981-21-18"), DateCloseness::kTypo);  // adjacent swap
  EXPECT_EQ(CompareDates("1981-12-05", "1981-05-12"), DateCloseness::kTypo);  // day/month
  EXPECT_EQ(CompareDates("1981-12-18", "1981-03-02"), DateCloseness::kSameYear);
  EXPECT_EQ(CompareDates("1981-12-18", "1975-03-02"), DateCloseness::kDifferent);
  EXPECT_EQ(CompareDates("", "1975-03-02"), DateCloseness::kMissing);
  EXPECT_EQ(CompareDates("not a date", "1975-03-02"), DateCloseness::kMissing);
}

int LevelOf(const ComparisonVector& v, Field f) { return v.levels[static_cast<int>(f)]; }

PersonRecord Person(std::string key, std::string given, std::string family = "") {
  PersonRecord r;
  r.key = std::move(key);
  r.given_name = std::move(given);
  r.family_name = std::move(family);
  return r;
}
PersonRecord WithEmail(PersonRecord r, std::string email) { r.email = std::move(email); return r; }
PersonRecord WithPhone(PersonRecord r, std::string phone) { r.phone = std::move(phone); return r; }
PersonRecord WithId(PersonRecord r, std::string id) { r.national_id = std::move(id); return r; }

TEST(Compare, MissingValuesAreNoEvidence) {
  PersonRecord a = Person("", "Sara", "Ahmadi");
  PersonRecord b = Person("", "Sara", "");
  ComparisonVector v = Compare(a, b);
  EXPECT_EQ(LevelOf(v, Field::kGivenName), 3);
  EXPECT_EQ(LevelOf(v, Field::kFamilyName), -1);
  EXPECT_EQ(LevelOf(v, Field::kEmail), -1);
  LinkageModel model;
  model.m.assign(kFieldCount, std::vector<double>(4, 0.25));
  model.u.assign(kFieldCount, std::vector<double>(4, 0.5));
  EXPECT_DOUBLE_EQ(model.Weight(Field::kFamilyName, -1), 0.0);
  EXPECT_DOUBLE_EQ(model.Weight(Field::kGivenName, 3), -1.0);
}

TEST(Compare, PhoneInNationalFormMatchesE164ButIsNoRuleKey) {
  PersonRecord a = WithPhone(Person("a", "Nazanin", "Yousefi"), "+989142547185");
  PersonRecord b = Person("b", "Nazanin", "Yousefi");
  b.unvalidated_phone = "0914 254 7185";
  EXPECT_EQ(LevelOf(Compare(a, b), Field::kPhone), 2);
  PersonRecord c = Person("c", "Omid", "Karimi");
  c.unvalidated_phone = "0914 254 7185";
  // Two records sharing only an unvalidated number are not merged by rule.
  LinkageResult result = Link({b, c});
  EXPECT_NE(result.cluster[0], result.cluster[1]);
}

TEST(Compare, AMailboxWithAMistypedDomainIsTheSameAddress) {
  PersonRecord a = WithEmail(Person("a", "Parisa", "Ebrahimi"), "pebrahimi@gmai.com");
  PersonRecord b = WithEmail(Person("b", "پریسا", "ابراهیمی"), "pebrahimi@gmail.com");
  EXPECT_EQ(LevelOf(Compare(a, b), Field::kEmail), 1);
  PersonRecord c = WithEmail(Person("c", "Karl", "Hagglund"), "karl.hagglund@gmail.con");
  PersonRecord d = WithEmail(Person("d", "Karl", "Hägglund"), "karl.hagglund@gmail.com");
  EXPECT_EQ(LevelOf(Compare(c, d), Field::kEmail), 1);
  // Two real providers close to each other are two addresses, however alike
  // the local parts: the name spelled at each.
  PersonRecord e = WithEmail(Person("e", "Eva", "Ström"), "eva.strom@yahoo.se");
  PersonRecord f = WithEmail(Person("f", "Eva", "Ström"), "eva.strom@yahoo.de");
  EXPECT_EQ(LevelOf(Compare(e, f), Field::kEmail), 0);
  // A typo of another mailbox's domain with another local part is no match.
  PersonRecord g = WithEmail(Person("g", "Parisa", "Ebrahimi"), "parisa.e@gmail.com");
  EXPECT_EQ(LevelOf(Compare(a, g), Field::kEmail), 0);
  // A mistyped address is no rule identifier: weighed with names that
  // disagree it does not link two records, as the very same address would.
  PersonRecord h = WithEmail(Person("h", "Omid", "Karimi"), "pebrahimi@gmail.com");
  PersonRecord same = WithEmail(Person("s", "Omid", "Karimi"), "pebrahimi@gmai.com");
  EXPECT_EQ(Link({same, WithEmail(Person("t", "Parisa", "Ebrahimi"), "pebrahimi@gmai.com")}).cluster,
            (std::vector<int>{0, 0}));
  EXPECT_EQ(Link({a, h}).cluster, (std::vector<int>{0, 1}));
}

TEST(Compare, AStreetWrittenInTwoScriptsIsTheSameStreet) {
  auto at = [](std::string street) {
    PersonRecord r = Person("", "x", "y");
    r.street = std::move(street);
    return r;
  };
  auto street_level = [&](const std::string& a, const std::string& b) {
    return LevelOf(Compare(at(a), at(b)), Field::kStreet);
  };
  // A typo in one script is close (Jaro-Winkler >= 0.92, which a cheap bound
  // on shared characters must never rule out), another street is not.
  EXPECT_EQ(street_level("Storgatan 12 lgh 1003", "Storgtan 12 lgh 1003"), 2);
  EXPECT_EQ(street_level("12 High Street, Flat 3", "12 Hihg Street, Flat 3"), 2);
  EXPECT_EQ(street_level("Kungsgatan 5", "Kungsgatan 5 A"), 2);
  EXPECT_LT(street_level("Kungsgatan 5", "Drottninggatan 48"), 2);
  // Persian, with the house number in Persian digits on one side.
  EXPECT_EQ(street_level("خیابان ولیعصر، کوچه ۱۵، پلاک ۱۷۵", "Valiasr St., Alley 15, No. 175"), 2);
  EXPECT_EQ(street_level("خیابان حافظ، کوچه 18، پلاک 86", "Hafez St., Alley 18, No. 86"), 2);
  // Arabic, the article written into the word.
  EXPECT_EQ(street_level("شارع الخليج، مبنى 29", "Al Khaleej Street, Building 29"), 2);
  EXPECT_EQ(street_level("شارع الملك عبدالله، مبنى 75", "King Abdullah Road, Building 75"), 2);
  // Another house on the street, or the same numbers on another street.
  EXPECT_EQ(street_level("خیابان ولیعصر، کوچه 15، پلاک 176", "Valiasr St., Alley 15, No. 175"), 0);
  EXPECT_EQ(street_level("خیابان ولیعصر، کوچه ۱۵۱، پلاک ۷۵", "Valiasr St., Alley 15, No. 175"), 0);
  EXPECT_EQ(street_level("خیابان حافظ، کوچه 15، پلاک 175", "Valiasr St., Alley 15, No. 175"), 0);
  EXPECT_EQ(street_level("شارع التحلية، مبنى 29", "Al Khaleej Street, Building 29"), 0);
  // Without numbers a street name alone is not an address.
  EXPECT_EQ(street_level("شارع الخليج", "Al Khaleej Street"), 0);
}

TEST(Compare, ADeviceSeenUnderTwoRecordsIsEvidenceNotAnIdentifier) {
  PersonRecord logged_in = WithEmail(Person("a", "Saeed", "Salehi"), "saeedsalehi@chmail.ir");
  logged_in.devices = {"laptop-7", "phone-1"};
  PersonRecord by_link = WithEmail(Person("b", "سعید", "صالحی"), "salehi.saeed@gmail.com");
  by_link.devices = {"phone-1"};
  PersonRecord elsewhere = by_link;
  elsewhere.devices = {"tablet-3"};
  EXPECT_EQ(LevelOf(Compare(logged_in, by_link), Field::kDevice), 1);
  EXPECT_EQ(LevelOf(Compare(logged_in, elsewhere), Field::kDevice), 0);
  EXPECT_EQ(LevelOf(Compare(logged_in, Person("c", "Saeed", "Salehi")), Field::kDevice), -1);
  // A device is not a rule: two people on one family tablet stay two.
  PersonRecord wife = WithEmail(Person("w", "Maryam", "Karimi"), "maryam.k@gmail.com");
  PersonRecord husband = WithEmail(Person("h", "Reza", "Tavakoli"), "rtavakoli@yahoo.com");
  wife.devices = husband.devices = {"family-tablet"};
  EXPECT_EQ(Link({wife, husband}).cluster, (std::vector<int>{0, 1}));
}

TEST(Compare, NamesAcrossScriptsAndSwapped) {
  PersonRecord latin = Person("", "Mohammad", "Rezaei");
  PersonRecord persian = Person("", "محمد", "رضایی");
  EXPECT_GE(LevelOf(Compare(latin, persian), Field::kGivenName), 1);
  PersonRecord swapped = Person("", "Rezaei", "Mohammad");
  ComparisonVector v = Compare(latin, swapped);
  EXPECT_EQ(LevelOf(v, Field::kGivenName), 2);
  EXPECT_EQ(LevelOf(v, Field::kFamilyName), 2);
  PersonRecord asa = Person("", "Åsa"), asa_plain = Person("", "Asa");
  EXPECT_EQ(LevelOf(Compare(asa, asa_plain), Field::kGivenName), 2);  // close, not equal
}

TEST(Compare, PersianAndArabicNamesMeetTheirLatinSpellings) {
  auto given_level = [](const std::string& a, const std::string& b) {
    return LevelOf(Compare(Person("", a), Person("", b)), Field::kGivenName);
  };
  // Persian pronunciation, which ICU's Arabic transliteration does not follow
  // (ض and ظ as z, ق and غ as gh, و as v, the silent final ه), and Arabic
  // names with and without the article.
  for (const auto& [native, latin] : std::vector<std::pair<std::string, std::string>>{
           {"رضا", "Reza"},           {"علیرضا", "Alireza"},      {"مرتضی", "Morteza"},
           {"فاطمه", "Fatemeh"},      {"فاطمه", "Fatima"},        {"ستاره", "Setare"},
           {"قاسمی", "Ghasemi"},      {"یعقوب", "Yaghoub"},       {"جواد", "Javad"},
           {"ملک‌نژاد", "Maleknejad"}, {"کریم‌نژاد", "Karimnezhad"}, {"موسوی", "Mousavi"},
           {"الظاهري", "Al Dhaheri"}, {"الحمادي", "Hammadi"},     {"طارق", "Tarek"},
           {"عبدالرحمن", "Abdulrahman"}, {"الجمل", "El Gamal"}}) {
    EXPECT_GE(given_level(native, latin), 1) << native << " / " << latin;
    EXPECT_GE(given_level(latin, native), 1) << latin << " / " << native;
  }
  // Other names stay other names.
  for (const auto& [native, latin] : std::vector<std::pair<std::string, std::string>>{
           {"رضا", "Ramin"}, {"علیرضا", "Ali"}, {"قاسمی", "Hashemi"}, {"فاطمه", "Fariba"},
           {"الحمادي", "Al Hamdan"}, {"ستاره", "Sara"}}) {
    EXPECT_EQ(given_level(native, latin), 0) << native << " / " << latin;
  }
}

TEST(Compare, ACityKnownByTwoNamesIsOneCity) {
  auto city_level = [](const std::string& a, const std::string& b) {
    PersonRecord x = Person("", "x", "y"), y = Person("", "x", "y");
    x.city = a;
    y.city = b;
    return LevelOf(Compare(x, y), Field::kCity);
  };
  EXPECT_EQ(city_level("Göteborg", "Gothenburg"), 2);
  EXPECT_EQ(city_level("القاهرة", "Cairo"), 2);
  EXPECT_EQ(city_level("Abu Dhabi", "أبوظبي"), 2);
  EXPECT_EQ(city_level("الدوحة", "Doha"), 2);
  EXPECT_EQ(city_level("München", "Munich"), 2);
  EXPECT_EQ(city_level("Teheran", "تهران"), 2);
  EXPECT_EQ(city_level("Cairo", "Alexandria"), 0);
  EXPECT_EQ(city_level("القاهرة", "الإسكندرية"), 0);
  EXPECT_EQ(city_level("Göteborg", "Malmö"), 0);
}

TEST(Compare, ANamePartMissingIsReadFromTheEmailNextToTheOther) {
  PersonRecord full = WithEmail(Person("a", "Åsa", "Andersson"), "asa_andersson@hotmail.com");
  PersonRecord given_only = WithEmail(Person("b", "Åsa"), "asa.andersson@gmail.com");
  EXPECT_EQ(LevelOf(Compare(full, given_only), Field::kFamilyName), 3);
  // In Arabic script, the name and the email's spelling meet by their consonants.
  PersonRecord said = WithEmail(Person("c", "سعيد", "الظاهري"), "s.dhaheri@outlook.com");
  PersonRecord said_given_only = WithEmail(Person("d", "سعيد"), "saidaldhaheri@gmail.com");
  EXPECT_GE(LevelOf(Compare(said, said_given_only), Field::kFamilyName), 1);
  // The given name's initial ("htaghipour"), and a family name known alone.
  PersonRecord hossein = WithEmail(Person("e", "حسین"), "htaghipour@gmail.com");
  EXPECT_GE(LevelOf(Compare(Person("f", "Hossein", "Taghipour"), hossein), Field::kFamilyName), 2);
  PersonRecord family_only = WithEmail(Person("g", "", "Al-Zahrani"), "alzahrani.walid@hotmail.com");
  EXPECT_GE(LevelOf(Compare(Person("h", "وليد", "الزهراني"), family_only), Field::kGivenName), 1);
  // An inferred part is no evidence when it disagrees: a nickname is not a name.
  PersonRecord nickname = WithEmail(Person("i", "Åsa"), "asa.sunshine@gmail.com");
  EXPECT_EQ(LevelOf(Compare(full, nickname), Field::kFamilyName), -1);
  EXPECT_EQ(LevelOf(Compare(full, WithEmail(Person("j", "Åsa"), "sunshine77@gmail.com")), Field::kFamilyName), -1);
}

TEST(Compare, TheCorrectionOfAnInvalidEmailIsEvidenceNotAnIdentifier) {
  PersonRecord typed = Person("a", "Lars", "Sundwall");
  typed.suggested_emails = {"lars.sundwall@hotmail.com"};
  PersonRecord clicked = WithEmail(Person("b", ""), "lars.sundwall@hotmail.com");
  PersonRecord other = WithEmail(Person("c", ""), "lars.s@hotmail.com");
  EXPECT_EQ(LevelOf(Compare(typed, clicked), Field::kEmail), 1);
  EXPECT_EQ(LevelOf(Compare(clicked, typed), Field::kEmail), 1);
  EXPECT_EQ(LevelOf(Compare(typed, other), Field::kEmail), -1);  // a guess that misses says nothing
  // Not a rule: with names that disagree the records stay apart.
  PersonRecord stranger = WithEmail(Person("d", "Omid", "Karimi"), "lars.sundwall@hotmail.com");
  EXPECT_EQ(Link({typed, stranger}).cluster, (std::vector<int>{0, 1}));
}

TEST(Link, DeterministicRulesAndProbabilisticPairs) {
  std::vector<PersonRecord> records = {
      WithEmail(Person("a", "Sara", "Ahmadi"), "sara@example.com"),
      WithEmail(Person("b", "S.", "Ahmadi"), "sara@example.com"),
      WithPhone(Person("c", "Nils", "Öberg"), "+46701234567"),
      WithPhone(Person("d", "Nils", "Oberg"), "+46701234567"),
      WithId(Person("e", "Karin", "Lind"), "811218-9876"),
      WithId(Person("f", "Carin", "Lindh"), "19811218-9876"),
      Person("g", "Omid", "Karimi"),
  };
  LinkageResult result = Link(records);
  EXPECT_EQ(result.cluster, (std::vector<int>{0, 0, 2, 2, 4, 4, 6}));
  PairwiseQuality q = EvaluateClusters(result.cluster, {"1", "1", "2", "2", "3", "3", "4"});
  EXPECT_DOUBLE_EQ(q.precision, 1.0);
  EXPECT_DOUBLE_EQ(q.recall, 1.0);
}

TEST(Link, ForcedApartPairsStayApart) {
  std::vector<PersonRecord> records = {
      WithEmail(Person("a", "Sara", ""), "family@example.com"),
      WithEmail(Person("b", "Reza", ""), "family@example.com"),
  };
  EXPECT_EQ(Link(records).cluster, (std::vector<int>{0, 0}));
  EXPECT_EQ(Link(records, {}, {{0, 1}}).cluster, (std::vector<int>{0, 1}));
}

// Distinct filler people so that u (agreement by chance) means something.
std::vector<PersonRecord> Crowd(int count) {
  static const char* kGiven[] = {"Anna", "Bijan", "Carl", "Dara", "Elin", "Farid", "Goli", "Hamid",
                                 "Ida", "Jamal", "Kian", "Lina", "Mina", "Nils", "Omid", "Parisa"};
  static const char* kFamily[] = {"Berg", "Sadeghi", "Holm", "Moradi", "Lund", "Tavakoli", "Ek",
                                  "Rahimi", "Nyberg", "Jafari", "Strand", "Kazemi", "Wall"};
  std::vector<PersonRecord> out;
  for (int i = 0; i < count; ++i) {
    PersonRecord r = Person("crowd" + std::to_string(i), kGiven[i % 16], kFamily[(i / 16) % 13]);
    r.birth_date = std::to_string(1940 + i % 60) + "-0" + std::to_string(1 + i % 9) + "-1" + std::to_string(i % 10);
    r.postcode = std::to_string(10000 + i * 7);
    out.push_back(std::move(r));
  }
  return out;
}

TEST(Link, TransitivityGuardKeepsStrongClustersApart) {
  std::vector<PersonRecord> records = Crowd(300);
  const int base = static_cast<int>(records.size());
  auto person = [](std::string key, std::string given, std::string family, std::string born, std::string postcode,
                   std::string email) {
    PersonRecord r = WithEmail(Person(std::move(key), std::move(given), std::move(family)), std::move(email));
    r.birth_date = std::move(born);
    r.postcode = std::move(postcode);
    return r;
  };
  // Cluster A: two records that share an email. Cluster B likewise. A's second
  // record and B's first describe the same-looking person, so one strong pair
  // links the clusters while every other cross pair disagrees.
  records.push_back(person("a1", "Roya", "Ahmadi", "1990-01-01", "11111", "roya@example.com"));
  records.push_back(person("a2", "Sanaz", "Bahrami", "1977-07-07", "22222", "roya@example.com"));
  records.push_back(person("b1", "Sanaz", "Bahrami", "1977-07-07", "22222", "sanaz@example.com"));
  records.push_back(person("b2", "Torkel", "Vik", "1955-05-05", "33333", "sanaz@example.com"));
  LinkageResult result = Link(records);
  EXPECT_EQ(result.cluster[static_cast<size_t>(base)], result.cluster[static_cast<size_t>(base + 1)]);
  EXPECT_EQ(result.cluster[static_cast<size_t>(base + 2)], result.cluster[static_cast<size_t>(base + 3)]);
  EXPECT_NE(result.cluster[static_cast<size_t>(base)], result.cluster[static_cast<size_t>(base + 2)]);
  EXPECT_GE(result.guard_refusals, 1);
  // Without the guard the chain glues all four together.
  LinkageOptions no_guard;
  no_guard.cluster_join_min_mean = 0.0;
  LinkageResult glued = Link(records, no_guard);
  EXPECT_EQ(glued.cluster[static_cast<size_t>(base)], glued.cluster[static_cast<size_t>(base + 3)]);
}

// A postcode is a place, not an identifier: a name and a postcode (and city)
// shared by two records that differ in email and phone go to review, however
// high the model scores them; the same with the street too merges.
TEST(Link, NameAndPostcodeAloneGoToReview) {
  std::vector<PersonRecord> records = Crowd(400);
  // Robert and Walker are common in this base, as in New York: forty other
  // Roberts and forty other Walkers live elsewhere.
  for (int i = 0; i < 40; ++i) {
    PersonRecord robert = Person("robert" + std::to_string(i), "Robert", "Family" + std::to_string(i));
    robert.city = "Boston";
    PersonRecord walker = Person("walker" + std::to_string(i), "Given" + std::to_string(i), "Walker");
    walker.city = "Chicago";
    records.push_back(std::move(robert));
    records.push_back(std::move(walker));
  }
  auto walker = [](std::string key, std::string email, std::string phone, std::string street) {
    PersonRecord r = Person(std::move(key), "Robert", "Walker");
    r.city = "New York";
    r.postcode = "10016";
    r.street = std::move(street);
    r.street_number = r.street.empty() ? "" : "113";
    r.email = std::move(email);
    r.unvalidated_phone = std::move(phone);
    return r;
  };
  const int a = static_cast<int>(records.size());
  records.push_back(walker("a", "walker.robert@outlook.com", "+16468652052", ""));
  records.push_back(walker("b", "robert12@gmail.com", "+19295127878", ""));
  LinkageResult result = Link(records);
  EXPECT_NE(result.cluster[static_cast<size_t>(a)], result.cluster[static_cast<size_t>(a + 1)]);
  bool reviewed = false;
  for (const auto& p : result.reviews) {
    if (p.a == a && p.b == a + 1) {
      reviewed = true;
      // Only the rule keeps the pair apart: the model alone would merge it.
      EXPECT_GE(p.probability, LinkageOptions{}.merge_threshold);
    }
  }
  EXPECT_TRUE(reviewed);

  records.pop_back();
  records.pop_back();
  records.push_back(walker("a", "walker.robert@outlook.com", "+16468652052", "Atlantic Avenue"));
  records.push_back(walker("b", "robert12@gmail.com", "+19295127878", "Atlantic Avenue"));
  result = Link(records);
  EXPECT_EQ(result.cluster[static_cast<size_t>(a)], result.cluster[static_cast<size_t>(a + 1)]);
}

// The exception: exactly the same given and family name in one place, when the
// name is so rare in the base that no namesake is to be expected, merges
// without an identifier -- but not when a place differs, nor when the
// exception is turned off.
TEST(Link, ARareNameInOnePlaceMerges) {
  const std::vector<PersonRecord> crowd = Crowd(400);
  auto torvald = [](std::string key, std::string email, std::string city) {
    PersonRecord r = Person(std::move(key), "Torvald", "Hägerström");
    r.city = std::move(city);
    r.postcode = "41312";
    r.email = std::move(email);
    return r;
  };
  std::vector<PersonRecord> records = crowd;
  const int a = static_cast<int>(records.size());
  records.push_back(torvald("a", "torvald.h@gmail.com", "Göteborg"));
  records.push_back(torvald("b", "hagerstrom@telia.com", "Göteborg"));
  LinkageResult result = Link(records);
  EXPECT_EQ(result.cluster[static_cast<size_t>(a)], result.cluster[static_cast<size_t>(a + 1)]);

  LinkageOptions never;
  never.max_expected_namesakes = 0;
  result = Link(records, never);
  EXPECT_NE(result.cluster[static_cast<size_t>(a)], result.cluster[static_cast<size_t>(a + 1)]);
  bool reviewed = false;
  for (const auto& p : result.reviews) reviewed |= p.a == a && p.b == a + 1;
  EXPECT_TRUE(reviewed);

  // In two cities the same rare name stays two records.
  records.back().city = "Malmö";
  result = Link(records);
  EXPECT_NE(result.cluster[static_cast<size_t>(a)], result.cluster[static_cast<size_t>(a + 1)]);

  // A name many others in the base carry is no such evidence.
  records = crowd;
  for (int i = 0; i < 30; ++i) {
    PersonRecord other = Person("t" + std::to_string(i), "Torvald", "Hägerström");
    other.city = "Umeå";
    other.birth_date = std::to_string(1950 + i) + "-03-03";
    records.push_back(std::move(other));
  }
  const int c = static_cast<int>(records.size());
  records.push_back(torvald("a", "torvald.h@gmail.com", "Göteborg"));
  records.push_back(torvald("b", "hagerstrom@telia.com", "Göteborg"));
  result = Link(records);
  EXPECT_NE(result.cluster[static_cast<size_t>(c)], result.cluster[static_cast<size_t>(c + 1)]);
}

TEST(EvaluateClusters, CountsPairs) {
  // Predicted {0,1,2} {3}; truth {0,1} {2,3}: 3 predicted pairs, 1 correct, 2 true.
  PairwiseQuality q = EvaluateClusters({0, 0, 0, 3}, {"x", "x", "y", "y"});
  EXPECT_EQ(q.predicted_pairs, 3);
  EXPECT_EQ(q.correct_pairs, 1);
  EXPECT_EQ(q.true_pairs, 2);
  EXPECT_NEAR(q.precision, 1.0 / 3.0, 1e-12);
  EXPECT_NEAR(q.recall, 0.5, 1e-12);
}

}  // namespace
}  // namespace patron::identity
