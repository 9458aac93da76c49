// Shared by the files of src/journey; not part of the public API.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

#include "journey/journey.h"

namespace patron {
class Statement;
}

namespace patron::journey {

std::string_view CalendarName(TriggerCalendar c);
// "7d", "5w", "2h", "30m", "45s" or a whole number of seconds.
Result<int64_t> ParseDuration(const nlohmann::json& v, const std::string& field);
std::string FormatDuration(int64_t seconds);
Result<int> ParseLocalTime(std::string_view hhmm, const std::string& field);
std::string FormatLocalTime(int minute);
Result<JourneySpec> SpecFromParsedJson(const nlohmann::json& j);

const Step* FindStep(const JourneySpec& s, std::string_view id);
// The step after `step` when `chosen` (a then/else/on_timeout target, or "")
// is taken: "" when the journey ends there.
std::string NextOf(const JourneySpec& s, const Step& step, std::string_view chosen);

// Calendar conversions (calendar.cc). Umm al-Qura is ICU's "islamic-umalqura";
// the others go through core's ToGregorian.
Result<CivilDate> CalendarToGregorian(TriggerCalendar calendar, int year, int month, int day);
Result<CivilDate> GregorianToCalendar(TriggerCalendar calendar, CivilDate date);

// The UTC instant of `minute` (minutes after midnight) on local `date` in `zone`.
Instant LocalMoment(CivilDate date, int minute, const std::string& zone);
// The customer's local date at `at` in `zone`.
CivilDate LocalDate(Instant at, const std::string& zone);
// The first moment at or after `at` when the local clock in `zone` shows `minute`.
Instant NextLocalTime(Instant at, int minute, const std::string& zone);

// Whether the yearly occasion falls on Gregorian `date`: the calendar date
// (month/day of `calendar`) shifted by `offset_days`.
Result<bool> CalendarDateFallsOn(const Trigger& t, CivilDate date);
// Whether an anniversary of `original` (Gregorian) shifted by offset falls on
// `date`; 29 February is celebrated on 28 February in common years.
bool AnniversaryFallsOn(CivilDate original, int offset_days, CivilDate date);

Journey JourneyFromRow(Statement& q);

}  // namespace patron::journey
