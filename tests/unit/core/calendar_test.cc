#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "core/core.h"

namespace patron {
namespace {

using ::testing::HasSubstr;

CivilDate Date(int y, int m, int d) { return CivilDate{y, m, d}; }

CivilDate MustToGregorian(Calendar calendar, int y, int m, int d) {
  Result<CivilDate> r = ToGregorian(calendar, y, m, d);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : CivilDate{};
}

CivilDate MustFromGregorian(Calendar calendar, CivilDate date) {
  Result<CivilDate> r = FromGregorian(calendar, date);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : CivilDate{};
}

// --- Persian (Solar Hijri) --------------------------------------------------

TEST(PersianCalendar, KnownDatesConvertToGregorian) {
  EXPECT_EQ(MustToGregorian(Calendar::kPersian, 1403, 1, 1), Date(2024, 3, 20));    // Nowruz 1403
  EXPECT_EQ(MustToGregorian(Calendar::kPersian, 1402, 1, 1), Date(2023, 3, 21));    // Nowruz 1402
  EXPECT_EQ(MustToGregorian(Calendar::kPersian, 1404, 1, 1), Date(2025, 3, 21));    // Nowruz 1404
  EXPECT_EQ(MustToGregorian(Calendar::kPersian, 1402, 7, 1), Date(2023, 9, 23));    // 1 Mehr 1402
  EXPECT_EQ(MustToGregorian(Calendar::kPersian, 1403, 7, 1), Date(2024, 9, 22));    // 1 Mehr 1403
  EXPECT_EQ(MustToGregorian(Calendar::kPersian, 1402, 9, 30), Date(2023, 12, 21));  // Yalda
  EXPECT_EQ(MustToGregorian(Calendar::kPersian, 1357, 11, 22), Date(1979, 2, 11));
}

TEST(PersianCalendar, KnownGregorianDatesConvertToPersian) {
  EXPECT_EQ(MustFromGregorian(Calendar::kPersian, Date(2024, 3, 20)), Date(1403, 1, 1));
  EXPECT_EQ(MustFromGregorian(Calendar::kPersian, Date(2024, 3, 19)), Date(1402, 12, 29));
  EXPECT_EQ(MustFromGregorian(Calendar::kPersian, Date(2023, 12, 21)), Date(1402, 9, 30));
  EXPECT_EQ(MustFromGregorian(Calendar::kPersian, Date(1970, 1, 1)), Date(1348, 10, 11));
}

TEST(PersianCalendar, LeapEsfand30ExistsOnlyInLeapYears) {
  // 1403 is a leap year: 30 Esfand 1403 is the day before Nowruz 1404.
  EXPECT_EQ(MustToGregorian(Calendar::kPersian, 1403, 12, 30), Date(2025, 3, 20));
  Result<CivilDate> r = ToGregorian(Calendar::kPersian, 1402, 12, 30);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("1402-12-30"));
  EXPECT_THAT(r.status().message(), HasSubstr("has 29 days"));
}

TEST(PersianCalendar, FirstSixMonthsHave31DaysAndTheNextFive30) {
  for (int month = 1; month <= 6; ++month) {
    EXPECT_TRUE(ToGregorian(Calendar::kPersian, 1402, month, 31).ok()) << month;
  }
  for (int month = 7; month <= 11; ++month) {
    EXPECT_TRUE(ToGregorian(Calendar::kPersian, 1402, month, 30).ok()) << month;
    EXPECT_FALSE(ToGregorian(Calendar::kPersian, 1402, month, 31).ok()) << month;
  }
}

TEST(PersianCalendar, RejectsImpossibleFieldsWithClearMessages) {
  Result<CivilDate> month13 = ToGregorian(Calendar::kPersian, 1402, 13, 1);
  ASSERT_FALSE(month13.ok());
  EXPECT_EQ(month13.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(month13.status().message(), HasSubstr("month 13"));
  EXPECT_THAT(month13.status().message(), HasSubstr("Persian"));

  Result<CivilDate> day32 = ToGregorian(Calendar::kPersian, 1402, 1, 32);
  ASSERT_FALSE(day32.ok());
  EXPECT_THAT(day32.status().message(), HasSubstr("day 32"));

  EXPECT_FALSE(ToGregorian(Calendar::kPersian, 1402, 0, 1).ok());
  EXPECT_FALSE(ToGregorian(Calendar::kPersian, 1402, 1, 0).ok());
  EXPECT_FALSE(ToGregorian(Calendar::kPersian, 0, 1, 1).ok());
  EXPECT_FALSE(ToGregorian(Calendar::kPersian, -5, 1, 1).ok());
}

TEST(PersianCalendar, ThirtyThreeYearCycleHas12053Days) {
  // 8 leap years in every 33: 33 * 365 + 8 = 12053 days.
  int64_t start = MustToGregorian(Calendar::kPersian, 1370, 1, 1).ToDays();
  int64_t end = MustToGregorian(Calendar::kPersian, 1403, 1, 1).ToDays();
  EXPECT_EQ(end - start, 12053);
}

// --- Islamic civil (tabular Hijri) -----------------------------------------

TEST(IslamicCivilCalendar, KnownDatesConvertToGregorian) {
  // 1 Ramadan 1445 in the tabular (arithmetic) calendar. Sighting-based
  // calendars can differ by a day; Patron documents that it uses the tabular one.
  EXPECT_EQ(MustToGregorian(Calendar::kIslamicCivil, 1445, 9, 1), Date(2024, 3, 11));
  // 1 Muharram 1 AH, the civil (Friday) epoch: 16 July 622 Julian = 19 July 622
  // proleptic Gregorian.
  EXPECT_EQ(MustToGregorian(Calendar::kIslamicCivil, 1, 1, 1), Date(622, 7, 19));
}

TEST(IslamicCivilCalendar, KnownGregorianDatesConvertToHijri) {
  EXPECT_EQ(MustFromGregorian(Calendar::kIslamicCivil, Date(2024, 3, 11)), Date(1445, 9, 1));
  EXPECT_EQ(MustFromGregorian(Calendar::kIslamicCivil, Date(2024, 3, 10)), Date(1445, 8, 29));
}

TEST(IslamicCivilCalendar, MonthsAlternate30And29Days) {
  EXPECT_TRUE(ToGregorian(Calendar::kIslamicCivil, 1445, 1, 30).ok());
  EXPECT_FALSE(ToGregorian(Calendar::kIslamicCivil, 1445, 2, 30).ok());
  Result<CivilDate> r = ToGregorian(Calendar::kIslamicCivil, 1445, 2, 30);
  EXPECT_THAT(r.status().message(), HasSubstr("Hijri"));
  EXPECT_THAT(r.status().message(), HasSubstr("has 29 days"));
}

TEST(IslamicCivilCalendar, ThirtyYearCycleHas10631Days) {
  // 11 leap years in every 30: 30 * 354 + 11 = 10631 days.
  int64_t start = MustToGregorian(Calendar::kIslamicCivil, 1411, 1, 1).ToDays();
  int64_t end = MustToGregorian(Calendar::kIslamicCivil, 1441, 1, 1).ToDays();
  EXPECT_EQ(end - start, 10631);
}

TEST(IslamicCivilCalendar, RejectsImpossibleFields) {
  EXPECT_FALSE(ToGregorian(Calendar::kIslamicCivil, 1445, 13, 1).ok());
  EXPECT_FALSE(ToGregorian(Calendar::kIslamicCivil, 1445, 1, 31).ok());
  EXPECT_FALSE(ToGregorian(Calendar::kIslamicCivil, 0, 1, 1).ok());
}

// --- Gregorian ---------------------------------------------------------------

TEST(GregorianCalendar, ValidatesWithoutConverting) {
  EXPECT_EQ(MustToGregorian(Calendar::kGregorian, 2024, 2, 29), Date(2024, 2, 29));
  Result<CivilDate> r = ToGregorian(Calendar::kGregorian, 2023, 2, 29);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("2023-02-29"));
  EXPECT_FALSE(ToGregorian(Calendar::kGregorian, 2024, 13, 1).ok());
  EXPECT_FALSE(ToGregorian(Calendar::kGregorian, 2024, 4, 31).ok());
  EXPECT_EQ(MustFromGregorian(Calendar::kGregorian, Date(2024, 3, 5)), Date(2024, 3, 5));
}

TEST(Calendar, FromGregorianRejectsInvalidDates) {
  for (Calendar c : {Calendar::kGregorian, Calendar::kPersian, Calendar::kIslamicCivil}) {
    Result<CivilDate> r = FromGregorian(c, Date(2023, 2, 29));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  }
}

TEST(Calendar, FromGregorianRejectsDatesBeforeTheCalendarEpoch) {
  EXPECT_FALSE(FromGregorian(Calendar::kPersian, Date(500, 1, 1)).ok());
  EXPECT_FALSE(FromGregorian(Calendar::kIslamicCivil, Date(600, 1, 1)).ok());
}

// Every day from 1900 to 2100 converts to the next day of the other calendar
// and back to itself.
TEST(Calendar, ConsecutiveDaysRoundTrip) {
  for (Calendar calendar : {Calendar::kPersian, Calendar::kIslamicCivil}) {
    const int64_t first = Date(1900, 1, 1).ToDays();
    const int64_t last = Date(2100, 12, 31).ToDays();
    CivilDate previous = MustFromGregorian(calendar, CivilDate::FromDays(first - 1));
    for (int64_t day = first; day <= last; ++day) {
      CivilDate gregorian = CivilDate::FromDays(day);
      Result<CivilDate> other = FromGregorian(calendar, gregorian);
      ASSERT_TRUE(other.ok()) << gregorian.ToString();
      // The next day: day + 1 within the month, or the first of the next month/year.
      const bool next_day = other->year == previous.year && other->month == previous.month &&
                            other->day == previous.day + 1;
      const bool next_month = other->year == previous.year && other->month == previous.month + 1 &&
                              other->day == 1 && previous.day >= 29;
      const bool next_year = other->year == previous.year + 1 && other->month == 1 &&
                             other->day == 1 && previous.month == 12;
      ASSERT_TRUE(next_day || next_month || next_year)
          << gregorian.ToString() << " -> " << other->ToString() << " after "
          << previous.ToString();
      Result<CivilDate> back = ToGregorian(calendar, other->year, other->month, other->day);
      ASSERT_TRUE(back.ok()) << back.status().ToString();
      ASSERT_EQ(*back, gregorian);
      previous = *other;
    }
  }
}

TEST(Calendar, IsSafeToUseFromManyThreads) {
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t, &failures] {
      for (int i = 0; i < 500; ++i) {
        Calendar c = (i + t) % 2 ? Calendar::kPersian : Calendar::kIslamicCivil;
        CivilDate g = CivilDate::FromDays(19000 + i * 7 + t);
        Result<CivilDate> other = FromGregorian(c, g);
        if (!other.ok()) {
          ++failures[t];
          continue;
        }
        Result<CivilDate> back = ToGregorian(c, other->year, other->month, other->day);
        if (!back.ok() || *back != g) ++failures[t];
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(failures, std::vector<int>(4, 0));
}

}  // namespace
}  // namespace patron
