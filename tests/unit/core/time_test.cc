#include <gtest/gtest.h>

#include "core/core.h"

namespace patron {
namespace {

TEST(CivilDate, DaysRoundTripAcrossCenturies) {
  EXPECT_EQ((CivilDate{1970, 1, 1}.ToDays()), 0);
  EXPECT_EQ((CivilDate{2000, 3, 1}.ToDays()), 11017);
  EXPECT_EQ((CivilDate{1969, 12, 31}.ToDays()), -1);
  for (int64_t d = -719000; d <= 2'900'000; d += 997) {  // years 1 to ~9900
    CivilDate c = CivilDate::FromDays(d);
    ASSERT_TRUE(c.IsValid()) << d;
    ASSERT_EQ(c.ToDays(), d);
  }
}

TEST(CivilDate, ValidityKnowsLeapYears) {
  EXPECT_TRUE((CivilDate{2024, 2, 29}.IsValid()));
  EXPECT_FALSE((CivilDate{2023, 2, 29}.IsValid()));
  EXPECT_FALSE((CivilDate{1900, 2, 29}.IsValid()));
  EXPECT_TRUE((CivilDate{2000, 2, 29}.IsValid()));
  EXPECT_FALSE((CivilDate{2024, 4, 31}.IsValid()));
  EXPECT_FALSE((CivilDate{2024, 13, 1}.IsValid()));
  EXPECT_EQ((CivilDate{2024, 3, 5}.ToString()), "2024-03-05");
}

TEST(ParseInstant, AcceptsIso8601Forms) {
  EXPECT_EQ(ParseInstant("1970-01-01T00:00:00Z")->micros, 0);
  EXPECT_EQ(ParseInstant("2024-03-05T10:15:30Z")->seconds(), 1709633730);
  EXPECT_EQ(ParseInstant("2024-03-05 10:15:30Z")->seconds(), 1709633730);
  EXPECT_EQ(ParseInstant("2024-03-05T10:15Z")->seconds(), 1709633700);
  EXPECT_EQ(ParseInstant("2024-03-05T13:45:30+03:30")->seconds(), 1709633730);  // Tehran
  EXPECT_EQ(ParseInstant("2024-03-05T05:15:30-0500")->seconds(), 1709633730);
  EXPECT_EQ(ParseInstant("2024-03-05T10:15:30.123456Z")->micros, 1709633730123456);
  EXPECT_EQ(ParseInstant("2024-03-05T10:15:30.5Z")->micros, 1709633730500000);
  EXPECT_EQ(ParseInstant("2024-03-05T10:15:30")->seconds(), 1709633730);  // UTC assumed
  EXPECT_EQ(ParseInstant("2024-03-05")->seconds(), 1709596800);
}

TEST(ParseInstant, RejectsWithAReason) {
  for (const char* bad : {"", "2024", "2024-02-30", "2024-03-05T25:00:00Z", "2024-03-05T10:61Z",
                          "2024-03-05T10:15:30Zjunk", "2024-03-05T10:15:30.Z", "05/03/2024", "2024-3-5"}) {
    auto r = ParseInstant(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find(bad), std::string::npos) << r.status().message();
  }
}

TEST(FormatInstant, IsTheInverseOfParse) {
  EXPECT_EQ(FormatInstant(Instant{0}), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatInstant(Instant{1709633730123456}), "2024-03-05T10:15:30.123456Z");
  EXPECT_EQ(FormatInstant(Instant{-1'000'000}), "1969-12-31T23:59:59Z");
  for (int64_t t = -5'000'000'000'000'000; t < 5'000'000'000'000'000; t += 123'456'789'012'345) {
    auto back = ParseInstant(FormatInstant(Instant{t}));
    ASSERT_TRUE(back.ok()) << FormatInstant(Instant{t});
    ASSERT_EQ(back->micros, t);
  }
}

TEST(Clock, ManualClockMovesOnlyWhenTold) {
  ManualClock clock(Instant::FromSeconds(100));
  EXPECT_EQ(clock.Now().seconds(), 100);
  clock.Advance(std::chrono::hours(24 * 7));
  EXPECT_EQ(clock.Now().seconds(), 100 + 7 * 86400);
  EXPECT_GT(SystemClock::Get().Now().seconds(), 1'700'000'000);
}

TEST(Status, CodesMapToHttpAndCarryContext) {
  Status s = InvalidArgument("line 3: bad email");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(HttpStatus(s.code()), 400);
  EXPECT_EQ(s.WithContext("importing x.csv").message(), "importing x.csv: line 3: bad email");
  EXPECT_EQ(s.ToString(), "invalid argument: line 3: bad email");
  EXPECT_EQ(HttpStatus(StatusCode::kNotFound), 404);
  EXPECT_EQ(HttpStatus(StatusCode::kUnavailable), 503);
  EXPECT_TRUE(Status::Ok().ok());
  Result<int> r = NotFound("x");
  EXPECT_FALSE(r.ok());
  Result<int> v = 5;
  EXPECT_EQ(*v, 5);
}

}  // namespace
}  // namespace patron
