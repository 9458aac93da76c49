// Internal to src/segment: what the language knows about fields, months and
// time, shared by the parser, the evaluator and the SQL emitter so that the
// engine and the SQL answer exactly the same question.
#pragma once

#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/engine.h"
#include "segment/segment.h"

namespace patron::segment::internal {

using engine::ValueType;

// What a field name in a condition refers to.
struct FieldRef {
  enum class Scope {
    kProfile,    // a customers column (or "source")
    kAge,        // derived from birth_date
    kAttribute,  // customer_attributes
    kAccount,    // any of the customer's accounts
    kActivity,   // a field of the activity rows (purchase/order/event)
    kProperty,   // an event property
    kCategory,   // purchase.category: a category and its descendants
    kTrait,      // a computed trait (customer_traits)
  };
  Scope scope = Scope::kProfile;
  std::string name;
  ValueType type = ValueType::kText;
  bool typed = true;  // false for event properties and undeclared attributes: the literal decides
};

// Resolves a profile-level field ("city", "age", "attr.interests", "interests"
// when declared, "account.tier"). Errors name the nearest known field.
Result<FieldRef> ResolveProfileField(std::string_view name, const Vocabulary& vocabulary);
// Resolves a field of activity rows of `source` ("category", "amount", "at",
// any other name of an event is a property).
Result<FieldRef> ResolveActivityField(Source source, std::string_view name);
// Fields `agg(source.field)` may aggregate.
bool IsAggregatable(Source source, std::string_view field, Aggregate aggregate);

// Whether a comparison on an untyped field (event property, undeclared
// attribute) compares numbers: when every literal is a number or yes/no.
bool NumericLiterals(const Node& compare);

// Every name a marketer may write, for "did you mean" hints.
std::vector<std::string> KnownProfileFields(const Vocabulary& vocabulary);
std::vector<std::string> KnownActivityFields(Source source);

// The closest candidate within a small edit distance, or "".
std::string Nearest(std::string_view word, const std::vector<std::string>& candidates);

// Month names of the Gregorian, Persian and Hijri calendars (English
// transliterations and Persian/Arabic script), folded.
std::optional<std::pair<Calendar, int>> ParseMonthName(std::string_view name);
std::string MonthName(Calendar calendar, int month);

// ---------------------------------------------------------------------------
// Compiled conditions (engine and SQL both derive from these)
// ---------------------------------------------------------------------------

inline constexpr double kInf = std::numeric_limits<double>::infinity();

struct Interval {
  double lo = -kInf, hi = kInf;
  bool lo_inclusive = true, hi_inclusive = true;
  bool Contains(double v) const {
    return (v > lo || (lo_inclusive && v == lo)) && (v < hi || (hi_inclusive && v == hi));
  }
};

// A numeric test: present and inside any interval (or outside all when
// `negate`); a missing value matches only when `match_missing`.
struct NumericTest {
  std::vector<Interval> any;
  bool negate = false;
  bool match_missing = false;
  bool only_missing_matters = false;  // is missing / is not missing
  bool Test(double v) const {
    if (engine::IsMissing(v)) return match_missing;
    if (only_missing_matters) return !match_missing;
    bool hit = false;
    for (const Interval& i : any) {
      if (i.Contains(v)) {
        hit = true;
        break;
      }
    }
    return negate ? !hit : hit;
  }
};

// A text test over folded values.
struct TextTest {
  enum class Mode { kEqualsAny, kContains, kStartsWith, kMissing };
  Mode mode = Mode::kEqualsAny;
  std::vector<std::string> folded;  // the literals, folded
  bool negate = false;              // !=, not in, is not missing
  bool Test(bool missing, std::string_view folded_value) const;
};

// Compiles a comparison over a numeric-like field (number, integer, boolean,
// date as yyyymmdd, timestamp in micros, age as a range of birth dates).
Result<NumericTest> CompileNumeric(const Node& compare, ValueType type, bool age, Instant now);
Result<TextTest> CompileText(const Node& compare);

// Start of a UTC civil day in microseconds.
int64_t DayStart(const CivilDate& d);
CivilDate UtcDate(Instant t);
// now − duration (months and years by the civil calendar, day clamped).
Instant Subtract(Instant now, const Duration& d);
int64_t FixedMicros(const Duration& d);  // hours/days/weeks only

// A window as a time range [lo, hi] (micros, inclusive) plus an optional
// calendar month test.
struct TimeRange {
  int64_t lo = std::numeric_limits<int64_t>::min();
  int64_t hi = std::numeric_limits<int64_t>::max();
  bool month_test = false;
  Calendar calendar = Calendar::kGregorian;
  int month = 0, year = 0;
};
Result<TimeRange> CompileWindow(const Window& w, Instant now);

// year * 100 + month of the UTC day of `micros` in `calendar` (cached per day).
int CalendarMonthOf(int64_t micros, Calendar calendar);

std::string_view CalendarName(Calendar c);

}  // namespace patron::segment::internal
