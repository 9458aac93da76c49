// Dates for triggers: yearly occasions in the Gregorian, Persian and Hijri
// calendars, anniversaries, and local times in the customer's zone.
//
// Hijri: ICU computes "islamic-umalqura" from the Umm al-Qura tables (Saudi
// Arabia's official calendar, 1300–1600 AH; arithmetic outside them) and
// "islamic-civil" arithmetically (30-year cycle, Friday epoch). Dates set by
// local moon sighting (Iran's 1 Shawwal, for one) can differ by a day.
#include <unicode/calendar.h>
#include <unicode/locid.h>
#include <unicode/timezone.h>

#include <cmath>
#include <memory>

#include "campaign/campaign_internal.h"
#include "journey/journey_internal.h"

namespace patron::journey {

namespace {

constexpr int64_t kDayMicros = 86'400'000'000;
constexpr double kMillisPerDay = 86'400'000.0;

icu::Calendar* UmmAlQura() {
  thread_local std::unique_ptr<icu::Calendar> cal;
  if (!cal) {
    UErrorCode status = U_ZERO_ERROR;
    std::unique_ptr<icu::Calendar> created(icu::Calendar::createInstance(
        icu::TimeZone::getGMT()->clone(), icu::Locale("@calendar=islamic-umalqura"), status));
    if (U_FAILURE(status) || !created || std::string(created->getType()) != "islamic-umalqura") return nullptr;
    created->setLenient(false);
    cal = std::move(created);
  }
  return cal.get();
}

int64_t FloorDiv(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

}  // namespace

Result<CivilDate> CalendarToGregorian(TriggerCalendar calendar, int year, int month, int day) {
  switch (calendar) {
    case TriggerCalendar::kGregorian: return ToGregorian(Calendar::kGregorian, year, month, day);
    case TriggerCalendar::kPersian: return ToGregorian(Calendar::kPersian, year, month, day);
    case TriggerCalendar::kIslamicCivil: return ToGregorian(Calendar::kIslamicCivil, year, month, day);
    case TriggerCalendar::kIslamicUmalqura: break;
  }
  icu::Calendar* cal = UmmAlQura();
  if (!cal) return Internal("ICU has no islamic-umalqura calendar (is the ICU data library installed?)");
  if (month < 1 || month > 12 || day < 1 || day > 30)
    return InvalidArgument(std::to_string(year) + "-" + std::to_string(month) + "-" + std::to_string(day) +
                           " is not a valid Hijri date");
  UErrorCode status = U_ZERO_ERROR;
  cal->clear();
  cal->set(UCAL_EXTENDED_YEAR, year);
  cal->set(UCAL_MONTH, month - 1);
  cal->set(UCAL_DATE, day);
  UDate millis = cal->getTime(status);
  if (U_FAILURE(status))
    return InvalidArgument("day " + std::to_string(day) + " of Hijri month " + std::to_string(month) + " of " +
                           std::to_string(year) + " does not exist (Umm al-Qura)");
  return CivilDate::FromDays(static_cast<int64_t>(std::floor(millis / kMillisPerDay)));
}

Result<CivilDate> GregorianToCalendar(TriggerCalendar calendar, CivilDate date) {
  switch (calendar) {
    case TriggerCalendar::kGregorian: return date;
    case TriggerCalendar::kPersian: return FromGregorian(Calendar::kPersian, date);
    case TriggerCalendar::kIslamicCivil: return FromGregorian(Calendar::kIslamicCivil, date);
    case TriggerCalendar::kIslamicUmalqura: break;
  }
  icu::Calendar* cal = UmmAlQura();
  if (!cal) return Internal("ICU has no islamic-umalqura calendar (is the ICU data library installed?)");
  UErrorCode status = U_ZERO_ERROR;
  cal->clear();
  cal->setTime(static_cast<UDate>(date.ToDays()) * kMillisPerDay, status);
  CivilDate out;
  out.year = cal->get(UCAL_EXTENDED_YEAR, status);
  out.month = cal->get(UCAL_MONTH, status) + 1;
  out.day = cal->get(UCAL_DATE, status);
  if (U_FAILURE(status)) return Internal("ICU could not convert " + date.ToString() + " to Umm al-Qura");
  return out;
}

Result<bool> CalendarDateFallsOn(const Trigger& t, CivilDate date) {
  // The occasion is `offset_days` away from the calendar date: check the day the occasion itself is on.
  CivilDate occasion = CivilDate::FromDays(date.ToDays() - t.offset_days);
  ASSIGN_OR_RETURN(CivilDate local, GregorianToCalendar(t.calendar, occasion));
  return local.month == t.month && local.day == t.day;
}

bool AnniversaryFallsOn(CivilDate original, int offset_days, CivilDate date) {
  CivilDate occasion = CivilDate::FromDays(date.ToDays() - offset_days);
  if (occasion.year <= original.year) return false;
  if (original.month == occasion.month && original.day == occasion.day) return true;
  // 29 February in a common year: the 28th.
  if (original.month == 2 && original.day == 29 && occasion.month == 2 && occasion.day == 28) {
    CivilDate leap{occasion.year, 2, 29};
    return !leap.IsValid();
  }
  return false;
}

CivilDate LocalDate(Instant at, const std::string& zone) {
  int64_t local = at.micros + int64_t{campaign::UtcOffsetMinutes(zone, at)} * 60'000'000;
  return CivilDate::FromDays(FloorDiv(local, kDayMicros));
}

Instant LocalMoment(CivilDate date, int minute, const std::string& zone) {
  int64_t local = date.ToDays() * kDayMicros + int64_t{minute} * 60'000'000;
  // The offset at the guessed instant, then once more at the corrected one (DST edges).
  int offset = campaign::UtcOffsetMinutes(zone, Instant{local});
  Instant t{local - int64_t{offset} * 60'000'000};
  offset = campaign::UtcOffsetMinutes(zone, t);
  return Instant{local - int64_t{offset} * 60'000'000};
}

Instant NextLocalTime(Instant at, int minute, const std::string& zone) {
  CivilDate today = LocalDate(at, zone);
  Instant t = LocalMoment(today, minute, zone);
  if (t < at) t = LocalMoment(CivilDate::FromDays(today.ToDays() + 1), minute, zone);
  return t;
}

}  // namespace patron::journey
