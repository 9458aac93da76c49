#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ingest/ingest.h"

namespace patron::ingest {
namespace {

using ::testing::ElementsAre;

std::vector<std::string> Fields(EntityKind kind, const std::vector<std::string>& header,
                                const std::map<std::string, std::string>& explicit_map = {}) {
  auto m = MapColumns(kind, header, explicit_map);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return m.ok() ? m->field_of_column : std::vector<std::string>{};
}

TEST(MapColumns, CanonicalNamesIgnoreCaseSpacesAndPunctuation) {
  EXPECT_THAT(Fields(EntityKind::kCustomers, {"Customer ID", "GIVEN-NAME", "e_mail", "Birth Date"}),
              ElementsAre("customer_id", "given_name", "email", "birth_date"));
}

TEST(MapColumns, SynonymsInFourLanguages) {
  EXPECT_THAT(Fields(EntityKind::kCustomers, {"E-mail", "Mobile", "First Name", "Surname", "Zip"}),
              ElementsAre("email", "mobile", "given_name", "family_name", "postal_code"));
  EXPECT_THAT(Fields(EntityKind::kCustomers, {"ایمیل", "موبایل", "نام", "نام خانوادگی", "تاریخ تولد"}),
              ElementsAre("email", "mobile", "given_name", "family_name", "birth_date"));
  // Arabic letter variants (ي/ی) and ZWNJ do not matter.
  EXPECT_THAT(Fields(EntityKind::kCustomers, {"نام‌خانوادگي"}), ElementsAre("family_name"));
  EXPECT_THAT(Fields(EntityKind::kCustomers, {"البريد الإلكتروني", "الهاتف", "المدينة"}),
              ElementsAre("email", "phone", "city"));
  EXPECT_THAT(Fields(EntityKind::kCustomers, {"E-post", "Mobilnummer", "Förnamn", "Efternamn", "Ort", "Postnummer"}),
              ElementsAre("email", "mobile", "given_name", "family_name", "city", "postal_code"));
}

TEST(MapColumns, ConsentHeadersInPersianAndSwedish) {
  EXPECT_THAT(Fields(EntityKind::kCustomers, {"وضعیت ایمیل", "رضایت ایمیل", "روش رضایت", "زمان رضایت", "مدرک رضایت"}),
              ElementsAre("email_status", "consent_email", "consent_method", "consent_at", "consent_proof"));
  EXPECT_THAT(Fields(EntityKind::kCustomers,
                     {"Samtycke e-post", "Samtycke sms", "Samtyckesdatum", "Samtyckesmetod", "Samtyckesbevis"}),
              ElementsAre("consent_email", "consent_sms", "consent_at", "consent_method", "consent_proof"));
}

TEST(MapColumns, CanonicalBeatsSynonymAndLoserIsReported) {
  auto m = MapColumns(EntityKind::kCustomers, {"mail", "email"}, {});
  ASSERT_TRUE(m.ok());
  EXPECT_THAT(m->field_of_column, ElementsAre("", "email"));
  EXPECT_THAT(m->unmapped_columns, ElementsAre("mail"));
}

TEST(MapColumns, SegmentEventNameBeatsCallType) {
  EXPECT_THAT(Fields(EntityKind::kEvents, {"type", "event", "userId", "messageId", "timestamp"}),
              ElementsAre("", "type", "customer_id", "event_id", "occurred_at"));
}

TEST(MapColumns, ExplicitMapWinsAndTyposAreErrors) {
  EXPECT_THAT(Fields(EntityKind::kCustomers, {"Kundnr X", "email"}, {{"Kundnr X", "customer_id"}}),
              ElementsAre("customer_id", "email"));
  auto bad = MapColumns(EntityKind::kCustomers, {"a"}, {{"a", "emial"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("emial"), std::string::npos);
  auto missing = MapColumns(EntityKind::kCustomers, {"a"}, {{"b", "email"}});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("no column 'b'"), std::string::npos);
  EXPECT_THAT(Fields(EntityKind::kCustomers, {"a", "email"}, {{"a", ""}}), ElementsAre("", "email"));
}

TEST(MapColumns, AttributeColumnsAndUnknownColumns) {
  auto m = MapColumns(EntityKind::kCustomers, {"attr.shoe_size", "Favourite colour"}, {});
  ASSERT_TRUE(m.ok());
  EXPECT_THAT(m->field_of_column, ElementsAre("attr.shoe_size", ""));
  EXPECT_THAT(m->unmapped_columns, ElementsAre("Favourite colour"));
}

TEST(ParseEntityKind, KnownAndUnknown) {
  EXPECT_EQ(*ParseEntityKind("orders"), EntityKind::kOrders);
  EXPECT_FALSE(ParseEntityKind("people").ok());
}

}  // namespace
}  // namespace patron::ingest
