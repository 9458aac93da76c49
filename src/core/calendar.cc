// Conversions between the Gregorian calendar and the Persian (Solar Hijri) and
// tabular Islamic (Hijri, "islamic-civil") calendars, using ICU's calendars.
//
// ICU's Persian calendar is arithmetic (a 33-year leap cycle), which agrees with
// Iran's official astronomical calendar for the years Patron meets (1300–1500
// AP). "islamic-civil" is the tabular Hijri calendar (Friday epoch); dates
// fixed by moon sighting (Saudi Umm al-Qura, or local announcements) may differ
// from it by a day or two.
#include <unicode/calendar.h>
#include <unicode/locid.h>
#include <unicode/timezone.h>

#include <cmath>
#include <cstdio>
#include <memory>
#include <string>

#include "core/core.h"

namespace patron {
namespace {

constexpr double kMillisPerDay = 86'400'000.0;

const char* CalendarName(Calendar calendar) {
  switch (calendar) {
    case Calendar::kGregorian:
      return "Gregorian";
    case Calendar::kPersian:
      return "Persian";
    case Calendar::kIslamicCivil:
      return "Hijri";
  }
  return "unknown";
}

std::string DateText(int year, int month, int day) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", year, month, day);
  return buf;
}

// ICU calendars are expensive to create and not thread-safe to use, so each
// thread keeps one instance per calendar kind. Returns nullptr when ICU lacks
// the calendar (which would be a broken installation).
icu::Calendar* IcuCalendar(Calendar calendar) {
  thread_local std::unique_ptr<icu::Calendar> persian;
  thread_local std::unique_ptr<icu::Calendar> islamic_civil;
  std::unique_ptr<icu::Calendar>& slot = calendar == Calendar::kPersian ? persian : islamic_civil;
  if (!slot) {
    const char* locale =
        calendar == Calendar::kPersian ? "@calendar=persian" : "@calendar=islamic-civil";
    const char* expected_type = calendar == Calendar::kPersian ? "persian" : "islamic-civil";
    UErrorCode status = U_ZERO_ERROR;
    std::unique_ptr<icu::Calendar> created(icu::Calendar::createInstance(
        icu::TimeZone::getGMT()->clone(), icu::Locale(locale), status));
    // Without its data ICU silently falls back to Gregorian; refuse that.
    if (U_FAILURE(status) || !created || std::string(created->getType()) != expected_type) {
      return nullptr;
    }
    created->setLenient(false);
    slot = std::move(created);
  }
  return slot.get();
}

Status MissingCalendar(Calendar calendar) {
  return Internal(std::string("ICU has no ") + CalendarName(calendar) +
                  " calendar (is the ICU data library installed?)");
}

}  // namespace

Result<CivilDate> ToGregorian(Calendar calendar, int year, int month, int day) {
  // The start of every error message (built only when needed).
  auto what = [&] {
    return DateText(year, month, day) + " is not a valid " + CalendarName(calendar) + " date: ";
  };
  if (calendar == Calendar::kGregorian) {
    CivilDate date{year, month, day};
    if (month < 1 || month > 12) {
      return InvalidArgument(what() + "month " + std::to_string(month) + " is out of range 1-12");
    }
    if (!date.IsValid()) return InvalidArgument(what() + "no such day");
    return date;
  }

  // Bounds that keep the result within CivilDate's years 1..9999.
  if (year < 1 || year > 9000) {
    return InvalidArgument(what() + "year " + std::to_string(year) + " is out of range 1-9000");
  }
  if (month < 1 || month > 12) {
    return InvalidArgument(what() + "month " + std::to_string(month) + " is out of range 1-12");
  }
  icu::Calendar* cal = IcuCalendar(calendar);
  if (cal == nullptr) return MissingCalendar(calendar);

  UErrorCode status = U_ZERO_ERROR;
  cal->clear();
  cal->set(UCAL_YEAR, year);
  cal->set(UCAL_MONTH, month - 1);  // ICU months are 0-based
  cal->set(UCAL_DATE, day);
  // Not lenient: ICU rejects a day beyond the month instead of rolling over.
  const UDate millis = cal->getTime(status);
  if (U_FAILURE(status)) {
    // Only now pay for the month length, to say what went wrong.
    status = U_ZERO_ERROR;
    cal->clear();
    cal->set(UCAL_YEAR, year);
    cal->set(UCAL_MONTH, month - 1);
    cal->set(UCAL_DATE, 1);
    const int32_t month_length = cal->getActualMaximum(UCAL_DATE, status);
    if (U_FAILURE(status)) return InvalidArgument(what() + "rejected by the calendar");
    return InvalidArgument(what() + "day " + std::to_string(day) + " is out of range: month " +
                           std::to_string(month) + " of " + std::to_string(year) + " has " +
                           std::to_string(month_length) + " days");
  }
  const auto days = static_cast<int64_t>(std::floor(millis / kMillisPerDay));
  CivilDate result = CivilDate::FromDays(days);
  if (!result.IsValid()) return InvalidArgument(what() + "outside the supported range");
  return result;
}

Result<CivilDate> FromGregorian(Calendar calendar, CivilDate date) {
  if (!date.IsValid()) {
    return InvalidArgument(date.ToString() + " is not a valid Gregorian date");
  }
  if (calendar == Calendar::kGregorian) return date;
  icu::Calendar* cal = IcuCalendar(calendar);
  if (cal == nullptr) return MissingCalendar(calendar);

  UErrorCode status = U_ZERO_ERROR;
  cal->clear();
  cal->setTime(static_cast<UDate>(date.ToDays()) * kMillisPerDay, status);
  CivilDate result;
  result.year = cal->get(UCAL_EXTENDED_YEAR, status);
  result.month = cal->get(UCAL_MONTH, status) + 1;
  result.day = cal->get(UCAL_DATE, status);
  if (U_FAILURE(status)) {
    return Internal("ICU could not convert " + date.ToString() + " to the " +
                    CalendarName(calendar) + " calendar");
  }
  if (result.year < 1) {
    return InvalidArgument(date.ToString() + " is before the start of the " +
                           CalendarName(calendar) + " calendar");
  }
  return result;
}

}  // namespace patron
