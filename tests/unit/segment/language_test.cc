// The segment language: parsing, checking, errors with positions and hints,
// canonical text and JSON forms.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "segment/segment.h"

namespace patron::segment {
namespace {

using ::testing::HasSubstr;

Vocabulary TestVocabulary() {
  Vocabulary v;
  v.attributes = {{"interests", "text"}, {"loyalty_points", "integer"}, {"vip", "boolean"}};
  v.saved_segments = {"loyal customers", "lapsed"};
  return v;
}

Node ParseOk(std::string_view text) {
  auto n = Parse(text, TestVocabulary());
  EXPECT_TRUE(n.ok()) << text << "\n" << n.status().ToString();
  return n.ok() ? *n : Node{};
}

std::string ErrorOf(std::string_view text) {
  auto n = Parse(text, TestVocabulary());
  EXPECT_FALSE(n.ok()) << text << " parsed as " << (n.ok() ? ToText(*n) : "");
  return n.ok() ? "" : std::string(n.status().message());
}

TEST(SegmentLanguage, TheIssueExampleParses) {
  Node n = ParseOk(R"(city = "Tehran" and age between 20 and 35
and bought(category in ("phones", "phone-accessories"), within 180 days)
and not received(kind = "promo", within 7 days)
and reachable(sms))");
  ASSERT_EQ(n.kind, Node::Kind::kAnd);
  ASSERT_EQ(n.children.size(), 5u);
  EXPECT_EQ(n.children[0].field, "city");
  EXPECT_EQ(n.children[1].op, Op::kBetween);
  EXPECT_EQ(n.children[2].kind, Node::Kind::kActivity);
  EXPECT_EQ(n.children[2].source, Source::kPurchase);
  EXPECT_EQ(n.children[2].window.kind, Window::Kind::kWithin);
  EXPECT_EQ(n.children[2].window.within.amount, 180);
  EXPECT_EQ(n.children[3].kind, Node::Kind::kNot);
  EXPECT_EQ(n.children[3].children[0].event_type, "message_sent");
  EXPECT_EQ(n.children[4].kind, Node::Kind::kReachable);
  EXPECT_EQ(n.children[4].channel, "sms");
  EXPECT_EQ(n.children[4].purpose, "marketing");
  EXPECT_EQ(n.children[2].pos.line, 2);
  EXPECT_EQ(n.children[2].pos.column, 5);
}

TEST(SegmentLanguage, AndBindsTighterThanOr) {
  Node n = ParseOk(R"(city = "A" or city = "B" and country = "SE")");
  ASSERT_EQ(n.kind, Node::Kind::kOr);
  EXPECT_EQ(n.children[1].kind, Node::Kind::kAnd);
  Node p = ParseOk(R"((city = "A" or city = "B") and country = "SE")");
  ASSERT_EQ(p.kind, Node::Kind::kAnd);
  EXPECT_EQ(p.children[0].kind, Node::Kind::kOr);
}

TEST(SegmentLanguage, ModelScoresParseIntoTheirOwnNodes) {
  Node n = ParseOk(R"(recommended("phones") and propensity("phones") >= 0.25)");
  ASSERT_EQ(n.children.size(), 2u);
  EXPECT_EQ(n.children[0].kind, Node::Kind::kRecommended);
  EXPECT_EQ(n.children[0].name, "phones");
  EXPECT_EQ(n.children[1].kind, Node::Kind::kPropensity);
  EXPECT_EQ(n.children[1].name, "phones");
  EXPECT_EQ(n.children[1].op, Op::kGe);
  EXPECT_EQ(ToText(n), R"(recommended("phones") and propensity("phones") >= 0.25)");
  auto json = FromJson(ToJson(n));
  ASSERT_TRUE(json.ok()) << json.status().ToString();
  EXPECT_EQ(*json, n);
  // The category is text in quotes; propensity is a number.
  for (const char* bad : {"recommended(phones)", "recommended()", "propensity(\"phones\")",
                          "propensity(\"phones\") = \"high\"", "recommended(\"phones\") > 0.5"}) {
    EXPECT_FALSE(Parse(bad).ok()) << bad;
  }
  auto typo = Parse("recomended(\"phones\")");
  ASSERT_FALSE(typo.ok());
  EXPECT_NE(std::string(typo.status().message()).find("did you mean \"recommended\""), std::string::npos)
      << typo.status().ToString();
}

TEST(SegmentLanguage, EveryRequirementExampleParsesAndRoundTrips) {
  // The examples of docs/segments.md, one per requirement they serve.
  const char* examples[] = {
      R"(bought(category = "phones", within 180 days))",
      R"(count(order) = 1 and first(order.at) within 30 days)",
      R"(count(order, within 365 days) >= 4 and sum(order.amount, within 365 days) > 1000)",
      R"(bought(before 365 days ago) and not bought(within 365 days))",
      R"(last(order.at) < 180 days ago)",
      R"(account.tier in ("gold", "platinum") and account.employees >= 250)",
      R"(age between 20 and 35 and bought(sku = "PHN-0001"))",
      R"(bought(category = "school-supplies", in Mehr))",
      R"(bought(category = "stationery", in Mehr 1403))",
      R"(did("product_viewed", category = "electronics/tablets", within 14 days) then not bought() within 3 days)",
      R"(did("cart_abandoned") then bought() within 2 days)",
      R"(distinct(purchase.category, within 365 days) >= 3)",
      R"(avg(order.amount) > 250 and max(order.amount) < 2000)",
      R"(last(order.channel) = "app")",
      R"(ordered(channel = "store", between 2025-03-01 and 2025-03-31))",
      R"(bought(after 1403-07-01))",
      R"(did("newsletter_signup", list contains "offers"))",
      R"(count(event, type = "page_viewed", within 7 days) > 10)",
      R"(sum(event.value, type = "cart_abandoned") > 100)",
      R"(interests contains "gaming" and attr.loyalty_points > 500)",
      R"(city starts with "Göte" or city = "تهران")",
      R"(gender is missing or birth_date is not missing)",
      R"(created_at after 2025-01-01 and created_at before 2026-01-01)",
      R"(tagged("vip", "b2b") and not segment("lapsed"))",
      R"(reachable(email, "newsletter") or reachable(phone))",
      R"(bought(category != "phones", in Ramadan))",
      R"(household_size in (3, 4, 5) and income_band != "low")",
      R"(received(campaign = "spring-sale", within 30 days))",
      R"(recommended("phones") and propensity("electronics/phones") > 0.3 and best_channel = "sms")",
      R"(propensity("Tablets") between 0.1 and 0.5 or propensity("decor") is missing)",
  };
  for (const char* text : examples) {
    Node n = ParseOk(text);
    std::string canonical = ToText(n);
    Node again = ParseOk(canonical);
    EXPECT_EQ(again, n) << text << "\n => " << canonical;
    auto from_json = FromJson(ToJson(n), TestVocabulary());
    ASSERT_TRUE(from_json.ok()) << ToJson(n) << "\n" << from_json.status().ToString();
    EXPECT_EQ(*from_json, n) << ToJson(n);
  }
}

TEST(SegmentLanguage, PersianDatesAreConvertedAndKeepTheirText) {
  Node n = ParseOk("bought(after 1403-07-01)");
  EXPECT_EQ(n.window.from.date, (CivilDate{2024, 9, 22}));  // 1 Mehr 1403
  EXPECT_EQ(ToText(n), "bought(after 1403-07-01)");
}

TEST(SegmentLanguage, MonthsOfThreeCalendars) {
  EXPECT_EQ(ParseOk("bought(in Mehr)").window.calendar, Calendar::kPersian);
  EXPECT_EQ(ParseOk("bought(in مهر)").window.month, 7);
  EXPECT_EQ(ParseOk("bought(in Ramadan 1446)").window.calendar, Calendar::kIslamicCivil);
  EXPECT_EQ(ParseOk("bought(in Ramadan 1446)").window.year, 1446);
  EXPECT_EQ(ParseOk("bought(in march)").window.calendar, Calendar::kGregorian);
  EXPECT_THAT(ErrorOf("bought(in Smarch)"), HasSubstr("expected a month name"));
}

TEST(SegmentLanguage, UnknownFieldsSuggestTheNearestName) {
  std::string e = ErrorOf(R"(ctiy = "Tehran")");
  EXPECT_THAT(e, HasSubstr("line 1, column 1"));
  EXPECT_THAT(e, HasSubstr("unknown field \"ctiy\""));
  EXPECT_THAT(e, HasSubstr("did you mean \"city\"?"));
  EXPECT_THAT(ErrorOf(R"(intrests contains "x")"), HasSubstr("did you mean \"interests\"?"));
  EXPECT_THAT(ErrorOf(R"(account.teir = "gold")"), HasSubstr("did you mean \"account.tier\"?"));
  EXPECT_THAT(ErrorOf(R"(bought(categroy = "phones"))"), HasSubstr("did you mean \"category\"?"));
  EXPECT_THAT(ErrorOf(R"(bougth(within 3 days))"), HasSubstr("did you mean \"bought\"?"));
  EXPECT_THAT(ErrorOf(R"(segment("loyal customer"))"), HasSubstr("did you mean \"loyal customers\"?"));
}

TEST(SegmentLanguage, EventTypeTyposAreCaughtButNewTypesAreNot) {
  Vocabulary v = TestVocabulary();
  v.event_types = {"cart_abandoned", "page_viewed"};
  auto typo = Parse(R"(did("cart_abandonded"))", v);
  ASSERT_FALSE(typo.ok());
  EXPECT_THAT(std::string(typo.status().message()), HasSubstr("did you mean \"cart_abandoned\"?"));
  EXPECT_TRUE(Parse(R"(did("CART_ABANDONED"))", v).ok());           // case does not matter
  EXPECT_TRUE(Parse(R"(did("webinar_attended"))", v).ok());         // not seen yet, not a near miss
  EXPECT_TRUE(Parse(R"(did("cart_abandonded"))", TestVocabulary()).ok());  // nothing known: no check
}

TEST(SegmentLanguage, ErrorsSayWhereAndWhatWasExpected) {
  EXPECT_THAT(ErrorOf("city = \"Tehran\" and\n"), HasSubstr("line 2, column 1: expected a condition"));
  EXPECT_THAT(ErrorOf("city = \"Tehran\" or (country = \"SE\""), HasSubstr("expected ')'"));
  EXPECT_THAT(ErrorOf("city = Tehran"), HasSubstr("put text in quotes"));
  EXPECT_THAT(ErrorOf("age > \"old\""), HasSubstr("is a number"));
  EXPECT_THAT(ErrorOf("city > \"A\""), HasSubstr("is text"));
  EXPECT_THAT(ErrorOf("city between 1 and 2"), HasSubstr("is text"));
  EXPECT_THAT(ErrorOf("bought(within 3 fortnights)"), HasSubstr("expected hours, days"));
  EXPECT_THAT(ErrorOf("city = \"unterminated"), HasSubstr("no closing"));
  EXPECT_THAT(ErrorOf("sum(order) > 3"), HasSubstr("needs a field"));
  EXPECT_THAT(ErrorOf("sum(order.channel) > 3"), HasSubstr("cannot be applied"));
  EXPECT_THAT(ErrorOf("reachable(pigeon)"), HasSubstr("expected a channel"));
  EXPECT_THAT(ErrorOf("did(\"x\") then not city = \"A\" within 3 days"), HasSubstr("must be followed by an activity"));
  EXPECT_THAT(ErrorOf("did(\"x\") then bought() within 3 months"), HasSubstr("hours, days or weeks"));
  EXPECT_THAT(ErrorOf("birth_date = 2023-02-30"), HasSubstr("no such date"));
  EXPECT_THAT(ErrorOf("city = \"\""), HasSubstr("is missing"));
  EXPECT_THAT(ErrorOf(""), HasSubstr("empty"));
  EXPECT_THAT(ErrorOf("city = \"a\" ; drop table customers"), HasSubstr("unexpected character ';'"));
  EXPECT_THAT(ErrorOf("city = \"\xff\""), HasSubstr("UTF-8"));
}

TEST(SegmentLanguage, ColumnsCountCharactersNotBytes) {
  // "شهر" is 3 characters (6 bytes); the error is at the character after it.
  std::string e = ErrorOf("city = \"تهران\" and شهر");
  EXPECT_THAT(e, HasSubstr("column 20"));
}

TEST(SegmentLanguage, DeepNestingIsRefusedNotACrash) {
  std::string deep(5000, '(');
  deep += "city = \"A\"";
  deep += std::string(5000, ')');
  EXPECT_THAT(ErrorOf(deep), HasSubstr("nested more than 200"));
  std::string nots;
  for (int i = 0; i < 5000; ++i) nots += "not ";
  nots += "city = \"A\"";
  EXPECT_THAT(ErrorOf(nots), HasSubstr("nested more than 200"));
}

TEST(SegmentLanguage, CommentsAndCaseInsensitiveKeywords) {
  Node n = ParseOk("# phone buyers in Tehran\ncity = \"Tehran\" AND -- recent ones\nBought(Within 30 Days) OR NOT tagged(\"x\")");
  ASSERT_EQ(n.kind, Node::Kind::kOr);
  EXPECT_EQ(n.children[0].children[1].window.within.amount, 30);
  EXPECT_EQ(n.children[1].kind, Node::Kind::kNot);
}

TEST(SegmentLanguage, JsonFormIsCheckedLikeText) {
  auto n = FromJson(R"({"and":[{"field":"city","op":"=","values":["Tehran"]},
                               {"activity":"bought","filters":[{"field":"category","op":"in","values":["phones"]}],
                                "window":{"within":{"amount":180,"unit":"days"}}},
                               {"not":{"reachable":"sms"}}]})",
                    TestVocabulary());
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(ToText(*n), R"(city = "Tehran" and bought(category in ("phones"), within 180 days) and not reachable(sms))");
  auto bad = FromJson(R"({"field":"ctiy","op":"=","values":["x"]})", TestVocabulary());
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("did you mean \"city\"?"));
  EXPECT_FALSE(FromJson("{not json", TestVocabulary()).ok());
  EXPECT_FALSE(FromJson(R"({"and":[]})", TestVocabulary()).ok());
  EXPECT_FALSE(FromJson(R"({"field":"city","op":"~","values":["x"]})", TestVocabulary()).ok());
  EXPECT_FALSE(FromJson(R"({"field":"city","op":"=","values":[{"date":"2024-01-01; drop"}]})", TestVocabulary()).ok());
}

}  // namespace
}  // namespace patron::segment

namespace patron::segment {
namespace {

// Every segment in docs/segments.md's example table and code blocks parses.
TEST(SegmentLanguage, TheDocumentedExamplesParse) {
  std::ifstream in(std::string(PATRON_SOURCE_DIR) + "/docs/segments.md");
  ASSERT_TRUE(in) << "docs/segments.md";
  std::string line, section, json_block;
  bool in_json = false, in_code = false;
  int parsed = 0;
  Vocabulary vocabulary = TestVocabulary();
  while (std::getline(in, line)) {
    if (line.rfind("## ", 0) == 0) section = line;
    if (line.rfind("```", 0) == 0) {
      if (in_json) {
        auto n = FromJson(json_block, vocabulary);
        EXPECT_TRUE(n.ok()) << json_block << "\n" << n.status().ToString();
        parsed += n.ok();
        json_block.clear();
      }
      in_json = !in_code && line == "```json";
      in_code = !in_code;
      continue;
    }
    if (in_json) {
      json_block += line + "\n";
      continue;
    }
    if (section == "## Examples for each requirement" && line.rfind("| ", 0) == 0 &&
        line.find('`') != std::string::npos) {
      // | requirement | `segment` or `segment` |
      size_t at = line.find('|', 2);
      while ((at = line.find('`', at)) != std::string::npos) {
        size_t end = line.find('`', at + 1);
        std::string text = line.substr(at + 1, end - at - 1);
        auto n = Parse(text, vocabulary);
        EXPECT_TRUE(n.ok()) << text << "\n" << n.status().ToString();
        parsed += n.ok();
        at = end + 1;
      }
    }
  }
  EXPECT_GE(parsed, 13);
}

}  // namespace
}  // namespace patron::segment
