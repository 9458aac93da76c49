#include "segment/fields.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <unordered_map>

namespace patron::segment::internal {

namespace {

struct ActivityField {
  std::string_view name;
  FieldRef::Scope scope;
  ValueType type;
};

const std::vector<ActivityField>& ActivityFields(Source source) {
  static const std::vector<ActivityField> purchase = {
      {"category", FieldRef::Scope::kCategory, ValueType::kText},
      {"sku", FieldRef::Scope::kActivity, ValueType::kText},
      {"product", FieldRef::Scope::kActivity, ValueType::kText},
      {"brand", FieldRef::Scope::kActivity, ValueType::kText},
      {"quantity", FieldRef::Scope::kActivity, ValueType::kNumber},
      {"amount", FieldRef::Scope::kActivity, ValueType::kNumber},
      {"price", FieldRef::Scope::kActivity, ValueType::kNumber},
      {"channel", FieldRef::Scope::kActivity, ValueType::kText},
      {"status", FieldRef::Scope::kActivity, ValueType::kText},
      {"currency", FieldRef::Scope::kActivity, ValueType::kText},
      {"at", FieldRef::Scope::kActivity, ValueType::kTimestamp},
  };
  static const std::vector<ActivityField> order = {
      {"amount", FieldRef::Scope::kActivity, ValueType::kNumber},
      {"channel", FieldRef::Scope::kActivity, ValueType::kText},
      {"status", FieldRef::Scope::kActivity, ValueType::kText},
      {"currency", FieldRef::Scope::kActivity, ValueType::kText},
      {"at", FieldRef::Scope::kActivity, ValueType::kTimestamp},
  };
  static const std::vector<ActivityField> event = {
      {"type", FieldRef::Scope::kActivity, ValueType::kText},
      {"at", FieldRef::Scope::kActivity, ValueType::kTimestamp},
  };
  switch (source) {
    case Source::kPurchase: return purchase;
    case Source::kOrder: return order;
    case Source::kEvent: return event;
  }
  return purchase;
}

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

}  // namespace

std::string Nearest(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_distance = std::max<size_t>(2, word.size() / 3) + 1;
  std::string lower = AsciiLower(word);
  for (const std::string& c : candidates) {
    size_t d = EditDistance(lower, AsciiLower(c));
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  return best;
}

std::vector<std::string> KnownProfileFields(const Vocabulary& vocabulary) {
  std::vector<std::string> names;
  for (const auto& f : engine::ProfileFields()) names.emplace_back(f.name);
  names.emplace_back("age");
  for (const auto& f : engine::TraitFields()) names.emplace_back(f.name);
  for (const auto& f : engine::AccountFields()) names.push_back("account." + std::string(f.name));
  for (const auto& [name, _] : vocabulary.attributes) {
    names.push_back(name);
    names.push_back("attr." + name);
  }
  return names;
}

bool NumericLiterals(const Node& compare) {
  if (compare.values.empty()) return false;
  for (const Value& v : compare.values) {
    if (v.kind != Value::Kind::kNumber && v.kind != Value::Kind::kBoolean) return false;
  }
  return true;
}

std::vector<std::string> KnownActivityFields(Source source) {
  std::vector<std::string> names;
  for (const auto& f : ActivityFields(source)) names.emplace_back(f.name);
  return names;
}

namespace {

ValueType AttributeType(std::string_view declared) {
  if (declared == "integer") return ValueType::kInteger;
  if (declared == "number") return ValueType::kNumber;
  if (declared == "boolean") return ValueType::kBoolean;
  if (declared == "date") return ValueType::kDate;
  if (declared == "timestamp") return ValueType::kTimestamp;
  return ValueType::kText;
}

Status UnknownField(std::string_view name, const std::vector<std::string>& known, std::string_view what) {
  std::string message = "unknown " + std::string(what) + " \"" + std::string(name) + "\"";
  std::string nearest = Nearest(name, known);
  if (!nearest.empty()) message += " — did you mean \"" + nearest + "\"?";
  return InvalidArgument(message);
}

}  // namespace

Result<FieldRef> ResolveProfileField(std::string_view name, const Vocabulary& vocabulary) {
  FieldRef ref;
  if (name == "age") {
    ref.scope = FieldRef::Scope::kAge;
    ref.name = "age";
    ref.type = ValueType::kInteger;
    return ref;
  }
  for (const auto& f : engine::ProfileFields()) {
    if (f.name == name) {
      ref.scope = FieldRef::Scope::kProfile;
      ref.name = std::string(name);
      ref.type = f.type;
      return ref;
    }
  }
  for (const auto& f : engine::TraitFields()) {
    if (f.name == name) {
      ref.scope = FieldRef::Scope::kTrait;
      ref.name = std::string(name);
      ref.type = f.type;
      return ref;
    }
  }
  if (name.starts_with("account.")) {
    std::string_view field = name.substr(8);
    for (const auto& f : engine::AccountFields()) {
      if (f.name == field) {
        ref.scope = FieldRef::Scope::kAccount;
        ref.name = std::string(field);
        ref.type = f.type;
        return ref;
      }
    }
    return UnknownField(name, KnownProfileFields(vocabulary), "account field");
  }
  std::string_view attribute = name.starts_with("attr.") ? name.substr(5) : name;
  if (auto it = vocabulary.attributes.find(std::string(attribute)); it != vocabulary.attributes.end()) {
    ref.scope = FieldRef::Scope::kAttribute;
    ref.name = std::string(attribute);
    ref.type = AttributeType(it->second);
    return ref;
  }
  if (name.starts_with("attr.") && attribute.size() > 0) {
    // An attribute nobody declared (no data yet): text, matches nothing.
    ref.scope = FieldRef::Scope::kAttribute;
    ref.name = std::string(attribute);
    ref.type = ValueType::kText;
    return ref;
  }
  return UnknownField(name, KnownProfileFields(vocabulary), "field");
}

Result<FieldRef> ResolveActivityField(Source source, std::string_view name) {
  for (const auto& f : ActivityFields(source)) {
    if (f.name == name) {
      FieldRef ref;
      ref.scope = f.scope;
      ref.name = std::string(name);
      ref.type = f.type;
      return ref;
    }
  }
  if (source == Source::kEvent && !name.empty()) {
    FieldRef ref;
    ref.scope = FieldRef::Scope::kProperty;
    ref.name = std::string(name.starts_with("properties.") ? name.substr(11) : name);
    ref.typed = false;
    return ref;
  }
  return UnknownField(name, KnownActivityFields(source), std::string(SourceName(source)) + " field");
}

bool IsAggregatable(Source source, std::string_view field, Aggregate aggregate) {
  if (aggregate == Aggregate::kCount) return field.empty();
  if (field.empty()) return false;
  auto ref = ResolveActivityField(source, field);
  if (!ref.ok()) return false;
  switch (aggregate) {
    case Aggregate::kSum:
    case Aggregate::kAvg:
      return ref->scope == FieldRef::Scope::kProperty || ref->type == ValueType::kNumber;
    case Aggregate::kMin:
    case Aggregate::kMax:
      return ref->scope == FieldRef::Scope::kProperty || ref->type == ValueType::kNumber ||
             ref->type == ValueType::kTimestamp;
    case Aggregate::kFirst:
    case Aggregate::kLast:
      return ref->scope != FieldRef::Scope::kCategory;
    case Aggregate::kDistinct:
      return true;
    case Aggregate::kCount:
      return false;
  }
  return false;
}

// ---------------------------------------------------------------------------
// Months
// ---------------------------------------------------------------------------

namespace {

struct MonthNames {
  Calendar calendar;
  std::vector<std::vector<std::string_view>> names;  // per month: spellings
};

const std::vector<MonthNames>& AllMonthNames() {
  static const std::vector<MonthNames> all = {
      {Calendar::kGregorian,
       {{"january", "jan"}, {"february", "feb"}, {"march", "mar"}, {"april", "apr"}, {"may"}, {"june", "jun"},
        {"july", "jul"}, {"august", "aug"}, {"september", "sep"}, {"october", "oct"}, {"november", "nov"},
        {"december", "dec"}}},
      {Calendar::kPersian,
       {{"farvardin", "فروردین"}, {"ordibehesht", "اردیبهشت"}, {"khordad", "خرداد"}, {"tir", "تیر"},
        {"mordad", "amordad", "مرداد"}, {"shahrivar", "شهریور"}, {"mehr", "مهر"}, {"aban", "آبان"},
        {"azar", "آذر"}, {"dey", "دی"}, {"bahman", "بهمن"}, {"esfand", "اسفند"}}},
      {Calendar::kIslamicCivil,
       {{"muharram", "محرم"}, {"safar", "صفر"}, {"rabi-al-awwal", "rabi1"}, {"rabi-al-thani", "rabi2"},
        {"jumada-al-awwal", "jumada1"}, {"jumada-al-thani", "jumada2"}, {"rajab", "رجب"},
        {"shaban", "شعبان"}, {"ramadan", "ramazan", "رمضان"}, {"shawwal", "شوال"},
        {"dhu-al-qadah", "dhu-al-qidah"}, {"dhu-al-hijjah"}}},
  };
  return all;
}

}  // namespace

std::optional<std::pair<Calendar, int>> ParseMonthName(std::string_view name) {
  std::string folded = FoldForMatching(name);
  for (const auto& cal : AllMonthNames()) {
    for (size_t m = 0; m < cal.names.size(); ++m) {
      for (std::string_view spelling : cal.names[m]) {
        if (FoldForMatching(spelling) == folded) return std::make_pair(cal.calendar, static_cast<int>(m + 1));
      }
    }
  }
  return std::nullopt;
}

std::string MonthName(Calendar calendar, int month) {
  for (const auto& cal : AllMonthNames()) {
    if (cal.calendar == calendar && month >= 1 && month <= 12) {
      std::string name(cal.names[month - 1][0]);
      name[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(name[0])));
      return name;
    }
  }
  return "?";
}

std::string_view CalendarName(Calendar c) {
  switch (c) {
    case Calendar::kGregorian: return "gregorian";
    case Calendar::kPersian: return "persian";
    case Calendar::kIslamicCivil: return "hijri";
  }
  return "gregorian";
}

// ---------------------------------------------------------------------------
// Time
// ---------------------------------------------------------------------------

constexpr int64_t kMicrosPerDay = 86'400'000'000LL;

int64_t DayStart(const CivilDate& d) { return d.ToDays() * kMicrosPerDay; }

CivilDate UtcDate(Instant t) {
  int64_t days = t.micros >= 0 ? t.micros / kMicrosPerDay : -((-t.micros + kMicrosPerDay - 1) / kMicrosPerDay);
  return CivilDate::FromDays(days);
}

int64_t FixedMicros(const Duration& d) {
  switch (d.unit) {
    case Duration::Unit::kHours: return d.amount * 3'600'000'000LL;
    case Duration::Unit::kDays: return d.amount * kMicrosPerDay;
    case Duration::Unit::kWeeks: return d.amount * 7 * kMicrosPerDay;
    default: return -1;
  }
}

Instant Subtract(Instant now, const Duration& d) {
  int64_t fixed = FixedMicros(d);
  if (fixed >= 0) return Instant{now.micros - fixed};
  int64_t months = d.unit == Duration::Unit::kYears ? d.amount * 12 : d.amount;
  CivilDate date = UtcDate(now);
  int64_t time_of_day = now.micros - DayStart(date);
  int64_t total = static_cast<int64_t>(date.year) * 12 + (date.month - 1) - months;
  CivilDate target;
  target.year = static_cast<int>(total >= 0 ? total / 12 : -((-total + 11) / 12));
  target.month = static_cast<int>(total - static_cast<int64_t>(target.year) * 12) + 1;
  target.day = date.day;
  while (target.day > 28 && !target.IsValid()) target.day--;
  return Instant{DayStart(target) + time_of_day};
}

Result<TimeRange> CompileWindow(const Window& w, Instant now) {
  TimeRange r;
  auto start_of = [&](const Value& v) -> int64_t {
    return v.kind == Value::Kind::kAgo ? Subtract(now, v.ago).micros : DayStart(v.date);
  };
  auto end_of = [&](const Value& v) -> int64_t {  // inclusive
    if (v.kind == Value::Kind::kAgo) return Subtract(now, v.ago).micros;
    return DayStart(CivilDate::FromDays(v.date.ToDays() + 1)) - 1;
  };
  switch (w.kind) {
    case Window::Kind::kAny: break;
    case Window::Kind::kWithin:
      r.lo = Subtract(now, w.within).micros;
      r.hi = now.micros;
      break;
    case Window::Kind::kBetween:
      r.lo = start_of(w.from);
      r.hi = end_of(w.to);
      break;
    case Window::Kind::kBefore:
      r.hi = start_of(w.from) - 1;
      break;
    case Window::Kind::kAfter:
      r.lo = end_of(w.from) + 1;
      break;
    case Window::Kind::kInMonth:
      r.month_test = true;
      r.calendar = w.calendar;
      r.month = w.month;
      r.year = w.year;
      break;
  }
  return r;
}

namespace {

// year * 100 + month of every UTC day from 1900 to 2100 in one calendar, built
// once per process per calendar (ICU converts each day once, not each row).
constexpr int64_t kFirstTableDay = -25567;  // 1900-01-01
constexpr int64_t kTableDays = 73415;       // to 2100-12-31

int MonthOfDay(int64_t day, Calendar calendar) {
  CivilDate g = CivilDate::FromDays(day);
  if (calendar == Calendar::kGregorian) return g.year * 100 + g.month;
  auto converted = FromGregorian(calendar, g);
  return converted.ok() ? converted->year * 100 + converted->month : 0;
}

const std::vector<int32_t>& MonthTable(Calendar calendar) {
  static std::mutex mutex;
  static std::map<Calendar, std::vector<int32_t>> tables;
  std::lock_guard lock(mutex);
  auto& table = tables[calendar];
  if (table.empty()) {
    table.resize(kTableDays);
    for (int64_t i = 0; i < kTableDays; ++i) table[i] = MonthOfDay(kFirstTableDay + i, calendar);
  }
  return table;
}

}  // namespace

int CalendarMonthOf(int64_t micros, Calendar calendar) {
  int64_t day = micros >= 0 ? micros / kMicrosPerDay : -((-micros + kMicrosPerDay - 1) / kMicrosPerDay);
  int64_t index = day - kFirstTableDay;
  if (index < 0 || index >= kTableDays) return MonthOfDay(day, calendar);
  // One table per calendar and thread: the lock is taken once per thread.
  thread_local const std::vector<int32_t>* tables[3] = {nullptr, nullptr, nullptr};
  const std::vector<int32_t>*& table = tables[static_cast<int>(calendar)];
  if (!table) table = &MonthTable(calendar);
  return (*table)[index];
}

// ---------------------------------------------------------------------------
// Compiled comparisons
// ---------------------------------------------------------------------------

bool TextTest::Test(bool missing, std::string_view folded_value) const {
  if (mode == Mode::kMissing) return negate ? !missing : missing;
  if (missing) return false;
  bool hit = false;
  for (const std::string& f : folded) {
    switch (mode) {
      case Mode::kEqualsAny: hit = folded_value == f; break;
      case Mode::kContains: hit = folded_value.find(f) != std::string_view::npos; break;
      case Mode::kStartsWith: hit = folded_value.starts_with(f); break;
      case Mode::kMissing: break;
    }
    if (hit) break;
  }
  return negate ? !hit : hit;
}

Result<TextTest> CompileText(const Node& c) {
  TextTest t;
  switch (c.op) {
    case Op::kEq: case Op::kIn: t.mode = TextTest::Mode::kEqualsAny; break;
    case Op::kNe: case Op::kNotIn: t.mode = TextTest::Mode::kEqualsAny; t.negate = true; break;
    case Op::kContains: t.mode = TextTest::Mode::kContains; break;
    case Op::kStartsWith: t.mode = TextTest::Mode::kStartsWith; break;
    case Op::kIsMissing: t.mode = TextTest::Mode::kMissing; return t;
    case Op::kIsNotMissing: t.mode = TextTest::Mode::kMissing; t.negate = true; return t;
    default:
      return InvalidArgument("\"" + c.field + "\" is text: compare it with =, !=, in, not in, contains, "
                             "starts with or is missing");
  }
  for (const Value& v : c.values) t.folded.push_back(FoldForMatching(v.text));
  return t;
}

namespace {

// A literal's point or range on a numeric-like scale.
struct Span {
  double lo, hi;
  bool lo_inclusive = true, hi_inclusive = true;
};

}  // namespace

Result<NumericTest> CompileNumeric(const Node& c, ValueType type, bool age, Instant now) {
  NumericTest t;
  if (c.op == Op::kIsMissing || c.op == Op::kIsNotMissing) {
    t.only_missing_matters = true;
    t.match_missing = c.op == Op::kIsMissing;
    return t;
  }
  CivilDate today = UtcDate(now);
  // Birth date (yyyymmdd) of someone who turns `years` today.
  auto cut = [&](double years) { return (today.year - years) * 10000.0 + today.month * 100.0 + today.day; };
  auto span_of = [&](const Value& v) -> Result<Span> {
    if (age) {
      if (v.kind != Value::Kind::kNumber || v.number != static_cast<double>(static_cast<int64_t>(v.number))) {
        return InvalidArgument("age is compared with whole numbers of years");
      }
      // age == N  <=>  cut(N+1) < birth <= cut(N)
      return Span{cut(v.number + 1), cut(v.number), false, true};
    }
    switch (type) {
      case ValueType::kDate:
        if (v.kind == Value::Kind::kDate) return Span{engine::EncodeDate(v.date), engine::EncodeDate(v.date)};
        if (v.kind == Value::Kind::kAgo) {
          double d = engine::EncodeDate(UtcDate(Subtract(now, v.ago)));
          return Span{d, d};
        }
        return InvalidArgument("\"" + c.field + "\" is a date: compare it with a date such as 2024-03-01 or "
                               "\"90 days ago\"");
      case ValueType::kTimestamp:
        if (v.kind == Value::Kind::kDate) {
          double lo = static_cast<double>(DayStart(v.date));
          double hi = static_cast<double>(DayStart(CivilDate::FromDays(v.date.ToDays() + 1)) - 1);
          return Span{lo, hi};
        }
        if (v.kind == Value::Kind::kAgo) {
          double p = static_cast<double>(Subtract(now, v.ago).micros);
          return Span{p, p};
        }
        return InvalidArgument("\"" + c.field + "\" is a time: compare it with a date such as 2024-03-01 or "
                               "\"90 days ago\"");
      default:
        if (v.kind == Value::Kind::kNumber || v.kind == Value::Kind::kBoolean) return Span{v.number, v.number};
        return InvalidArgument("\"" + c.field + "\" is a number: compare it with a number");
    }
  };
  Op op = c.op;
  if (age) {
    // Older means born earlier: the order of ages is the reverse of birth dates.
    if (op == Op::kLt) op = Op::kGt;
    else if (op == Op::kGt) op = Op::kLt;
    else if (op == Op::kLe) op = Op::kGe;
    else if (op == Op::kGe) op = Op::kLe;
  }
  auto add = [&](Interval i) { t.any.push_back(i); };
  switch (op) {
    case Op::kEq:
    case Op::kIn:
    case Op::kNe:
    case Op::kNotIn:
      for (const Value& v : c.values) {
        ASSIGN_OR_RETURN(Span s, span_of(v));
        add({s.lo, s.hi, s.lo_inclusive, s.hi_inclusive});
      }
      t.negate = op == Op::kNe || op == Op::kNotIn;
      return t;
    case Op::kLt:
    case Op::kBefore: {
      ASSIGN_OR_RETURN(Span s, span_of(c.values.at(0)));
      add({-kInf, s.lo, true, !s.lo_inclusive});
      return t;
    }
    case Op::kLe: {
      ASSIGN_OR_RETURN(Span s, span_of(c.values.at(0)));
      add({-kInf, s.hi, true, s.hi_inclusive});
      return t;
    }
    case Op::kGt:
    case Op::kAfter: {
      ASSIGN_OR_RETURN(Span s, span_of(c.values.at(0)));
      add({s.hi, kInf, !s.hi_inclusive, true});
      return t;
    }
    case Op::kGe: {
      ASSIGN_OR_RETURN(Span s, span_of(c.values.at(0)));
      add({s.lo, kInf, s.lo_inclusive, true});
      return t;
    }
    case Op::kBetween: {
      ASSIGN_OR_RETURN(Span a, span_of(c.values.at(0)));
      ASSIGN_OR_RETURN(Span b, span_of(c.values.at(1)));
      if (age) std::swap(a, b);  // ages a..b are the birth dates from b's range to a's
      add({a.lo, b.hi, a.lo_inclusive, b.hi_inclusive});
      return t;
    }
    case Op::kWithin: {
      if (type != ValueType::kDate && type != ValueType::kTimestamp) {
        return InvalidArgument("\"within\" applies to dates and times, not to \"" + c.field + "\"");
      }
      Instant from = Subtract(now, c.values.at(0).ago);
      if (type == ValueType::kTimestamp) {
        add({static_cast<double>(from.micros), static_cast<double>(now.micros), true, true});
      } else {
        add({engine::EncodeDate(UtcDate(from)), engine::EncodeDate(today), true, true});
      }
      return t;
    }
    default:
      return InvalidArgument("\"" + c.field + "\" is not text: contains and starts with apply to text only");
  }
}

}  // namespace patron::segment::internal
