// The JSON form of a journey and its checks. Errors name the field
// ("steps[2].duration: ...") so that a marketer can find what is wrong.
#include <nlohmann/json.hpp>

#include <set>

#include "campaign/campaign.h"
#include "journey/journey.h"
#include "journey/journey_internal.h"
#include "segment/segment.h"
#include "store/store.h"

namespace patron::journey {

using nlohmann::json;
using nlohmann::ordered_json;

std::string_view TriggerKindName(TriggerKind k) {
  switch (k) {
    case TriggerKind::kEvent: return "event";
    case TriggerKind::kPurchase: return "purchase";
    case TriggerKind::kSegmentEnter: return "segment_enter";
    case TriggerKind::kSegmentLeave: return "segment_leave";
    case TriggerKind::kDateAttribute: return "date_attribute";
    case TriggerKind::kCalendarDate: return "calendar_date";
    case TriggerKind::kSchedule: return "schedule";
  }
  return "event";
}

std::string_view StepKindName(StepKind k) {
  switch (k) {
    case StepKind::kWait: return "wait";
    case StepKind::kBranch: return "branch";
    case StepKind::kSend: return "send";
    case StepKind::kCallTask: return "call_task";
    case StepKind::kAddTag: return "add_tag";
    case StepKind::kRemoveTag: return "remove_tag";
    case StepKind::kSetAttribute: return "set_attribute";
    case StepKind::kWebhook: return "webhook";
    case StepKind::kExit: return "exit";
  }
  return "wait";
}

std::string_view CalendarName(TriggerCalendar c) {
  switch (c) {
    case TriggerCalendar::kGregorian: return "gregorian";
    case TriggerCalendar::kPersian: return "persian";
    case TriggerCalendar::kIslamicUmalqura: return "islamic-umalqura";
    case TriggerCalendar::kIslamicCivil: return "islamic-civil";
  }
  return "gregorian";
}

namespace {

Result<TriggerKind> ParseTriggerKind(std::string_view s) {
  for (TriggerKind k : {TriggerKind::kEvent, TriggerKind::kPurchase, TriggerKind::kSegmentEnter,
                        TriggerKind::kSegmentLeave, TriggerKind::kDateAttribute, TriggerKind::kCalendarDate,
                        TriggerKind::kSchedule})
    if (TriggerKindName(k) == s) return k;
  return InvalidArgument("trigger.kind: unknown trigger \"" + std::string(s) +
                         "\" (event, purchase, segment_enter, segment_leave, date_attribute, calendar_date, schedule)");
}

Result<StepKind> ParseStepKind(std::string_view s, const std::string& where) {
  for (StepKind k : {StepKind::kWait, StepKind::kBranch, StepKind::kSend, StepKind::kCallTask, StepKind::kAddTag,
                     StepKind::kRemoveTag, StepKind::kSetAttribute, StepKind::kWebhook, StepKind::kExit})
    if (StepKindName(k) == s) return k;
  return InvalidArgument(where + ".kind: unknown step \"" + std::string(s) +
                         "\" (wait, branch, send, call_task, add_tag, remove_tag, set_attribute, webhook, exit)");
}

// Checks that `o` has only `allowed` members.
Status OnlyFields(const json& o, std::initializer_list<std::string_view> allowed, const std::string& where) {
  for (auto& [key, _] : o.items()) {
    bool ok = false;
    for (std::string_view a : allowed) ok = ok || a == key;
    if (!ok) return InvalidArgument((where.empty() ? "" : where + ": ") + "unknown field \"" + key + "\"");
  }
  return Status::Ok();
}

Result<std::string> Text(const json& o, const char* key, const std::string& where, bool required = false) {
  auto it = o.find(key);
  if (it == o.end() || it->is_null()) {
    if (required) return InvalidArgument(where + key + ": required");
    return std::string();
  }
  if (!it->is_string()) return InvalidArgument(where + key + ": must be a string");
  return it->get<std::string>();
}

Result<int64_t> Integer(const json& o, const char* key, const std::string& where, int64_t fallback, int64_t lo,
                        int64_t hi) {
  auto it = o.find(key);
  if (it == o.end() || it->is_null()) return fallback;
  if (!it->is_number_integer()) return InvalidArgument(where + key + ": must be a whole number");
  int64_t v = it->get<int64_t>();
  if (v < lo || v > hi)
    return InvalidArgument(where + key + ": must be between " + std::to_string(lo) + " and " + std::to_string(hi));
  return v;
}

}  // namespace

Result<int64_t> ParseDuration(const json& v, const std::string& field) {
  if (v.is_number_integer()) {
    int64_t s = v.get<int64_t>();
    if (s < 0) return InvalidArgument(field + ": a duration cannot be negative");
    return s;
  }
  if (!v.is_string()) return InvalidArgument(field + ": a duration is seconds or text like \"7d\", \"5w\", \"2h\", \"30m\"");
  std::string s = v.get<std::string>();
  std::string_view t = TrimAscii(s);
  if (t.empty()) return InvalidArgument(field + ": empty duration");
  size_t digits = 0;
  while (digits < t.size() && std::isdigit(static_cast<unsigned char>(t[digits]))) ++digits;
  if (digits == 0 || digits > 9) return InvalidArgument(field + ": \"" + s + "\" does not start with a number");
  int64_t n = std::stoll(std::string(t.substr(0, digits)));
  std::string unit = AsciiLower(TrimAscii(t.substr(digits)));
  int64_t per = 0;
  if (unit == "s" || unit == "sec" || unit == "seconds" || unit == "second") per = 1;
  else if (unit == "m" || unit == "min" || unit == "minutes" || unit == "minute") per = 60;
  else if (unit == "h" || unit == "hours" || unit == "hour") per = 3600;
  else if (unit == "d" || unit == "days" || unit == "day") per = 86400;
  else if (unit == "w" || unit == "weeks" || unit == "week") per = 7 * 86400;
  else return InvalidArgument(field + ": unknown unit \"" + unit + "\" in \"" + s + "\" (s, m, h, d, w)");
  return n * per;
}

std::string FormatDuration(int64_t seconds) {
  if (seconds > 0 && seconds % (7 * 86400) == 0) return std::to_string(seconds / (7 * 86400)) + "w";
  if (seconds > 0 && seconds % 86400 == 0) return std::to_string(seconds / 86400) + "d";
  if (seconds > 0 && seconds % 3600 == 0) return std::to_string(seconds / 3600) + "h";
  if (seconds > 0 && seconds % 60 == 0) return std::to_string(seconds / 60) + "m";
  return std::to_string(seconds) + "s";
}

Result<int> ParseLocalTime(std::string_view hhmm, const std::string& field) {
  if (hhmm.size() != 5 || hhmm[2] != ':' || !std::isdigit(static_cast<unsigned char>(hhmm[0])) ||
      !std::isdigit(static_cast<unsigned char>(hhmm[1])) || !std::isdigit(static_cast<unsigned char>(hhmm[3])) ||
      !std::isdigit(static_cast<unsigned char>(hhmm[4])))
    return InvalidArgument(field + ": \"" + std::string(hhmm) + "\" is not a time of day HH:MM");
  int h = (hhmm[0] - '0') * 10 + (hhmm[1] - '0'), m = (hhmm[3] - '0') * 10 + (hhmm[4] - '0');
  if (h > 23 || m > 59) return InvalidArgument(field + ": \"" + std::string(hhmm) + "\" is not a time of day HH:MM");
  return h * 60 + m;
}

std::string FormatLocalTime(int minute) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02d:%02d", (minute / 60) % 24, minute % 60);
  return buf;
}

Result<JourneySpec> SpecFromParsedJson(const json& j) {
  if (!j.is_object()) return InvalidArgument("a journey is a JSON object");
  RETURN_IF_ERROR(OnlyFields(j, {"name", "description", "trigger", "steps", "reentry", "reentry_days",
                                 "frequency_cap", "catch_up", "exit", "campaigns", "id", "status", "seed", "created_by",
                                 "created_at", "updated_at", "enabled_at"},
                             ""));
  JourneySpec s;
  ASSIGN_OR_RETURN(s.name, Text(j, "name", "", true));
  ASSIGN_OR_RETURN(s.description, Text(j, "description", ""));
  // Trigger.
  auto tj = j.find("trigger");
  if (tj == j.end() || !tj->is_object()) return InvalidArgument("trigger: required, an object with \"kind\"");
  RETURN_IF_ERROR(OnlyFields(*tj, {"kind", "event_type", "where", "min_total", "segment", "attribute", "offset_days",
                                   "calendar", "month", "day", "every_days", "start", "local_time"},
                             "trigger"));
  Trigger& t = s.trigger;
  ASSIGN_OR_RETURN(std::string kind, Text(*tj, "kind", "trigger.", true));
  ASSIGN_OR_RETURN(t.kind, ParseTriggerKind(kind));
  ASSIGN_OR_RETURN(t.event_type, Text(*tj, "event_type", "trigger."));
  if (auto w = tj->find("where"); w != tj->end()) {
    if (!w->is_object()) return InvalidArgument("trigger.where: an object of property: value");
    for (auto& [k, v] : w->items()) {
      if (v.is_string()) t.where[k] = v.get<std::string>();
      else if (v.is_number() || v.is_boolean()) t.where[k] = v.dump();
      else return InvalidArgument("trigger.where." + k + ": a string, number or boolean");
    }
  }
  if (auto m = tj->find("min_total"); m != tj->end()) {
    if (!m->is_number()) return InvalidArgument("trigger.min_total: a number (major units)");
    t.min_total = m->get<double>();
  }
  ASSIGN_OR_RETURN(t.segment, Text(*tj, "segment", "trigger."));
  ASSIGN_OR_RETURN(t.attribute, Text(*tj, "attribute", "trigger."));
  ASSIGN_OR_RETURN(int64_t offset, Integer(*tj, "offset_days", "trigger.", 0, -366, 366));
  t.offset_days = static_cast<int>(offset);
  ASSIGN_OR_RETURN(std::string cal, Text(*tj, "calendar", "trigger."));
  if (cal.empty() || cal == "gregorian") t.calendar = TriggerCalendar::kGregorian;
  else if (cal == "persian" || cal == "jalali" || cal == "solar_hijri") t.calendar = TriggerCalendar::kPersian;
  else if (cal == "islamic" || cal == "hijri" || cal == "islamic-umalqura") t.calendar = TriggerCalendar::kIslamicUmalqura;
  else if (cal == "islamic-civil") t.calendar = TriggerCalendar::kIslamicCivil;
  else
    return InvalidArgument("trigger.calendar: unknown calendar \"" + cal +
                           "\" (gregorian, persian, islamic = islamic-umalqura, islamic-civil)");
  ASSIGN_OR_RETURN(int64_t month, Integer(*tj, "month", "trigger.", 0, 0, 12));
  ASSIGN_OR_RETURN(int64_t day, Integer(*tj, "day", "trigger.", 0, 0, 31));
  t.month = static_cast<int>(month);
  t.day = static_cast<int>(day);
  ASSIGN_OR_RETURN(int64_t every, Integer(*tj, "every_days", "trigger.", 7, 1, 3660));
  t.every_days = static_cast<int>(every);
  ASSIGN_OR_RETURN(std::string start, Text(*tj, "start", "trigger."));
  if (!start.empty()) {
    auto at = ParseInstant(start);
    if (!at.ok() || start.size() != 10) return InvalidArgument("trigger.start: a date YYYY-MM-DD");
    t.start = CivilDate::FromDays(at->seconds() / 86400);
  }
  ASSIGN_OR_RETURN(std::string local_time, Text(*tj, "local_time", "trigger."));
  if (!local_time.empty()) {
    ASSIGN_OR_RETURN(t.local_minute, ParseLocalTime(local_time, "trigger.local_time"));
  }
  switch (t.kind) {
    case TriggerKind::kEvent:
      if (t.event_type.empty()) return InvalidArgument("trigger.event_type: an event trigger needs the event type");
      break;
    case TriggerKind::kSegmentEnter:
    case TriggerKind::kSegmentLeave:
      if (t.segment.empty()) return InvalidArgument("trigger.segment: a segment trigger needs a segment");
      break;
    case TriggerKind::kDateAttribute:
      if (t.attribute.empty()) return InvalidArgument("trigger.attribute: birth_date, created_at or attr.NAME");
      break;
    case TriggerKind::kCalendarDate:
      if (t.month < 1 || t.day < 1) return InvalidArgument("trigger.month/day: a calendar date needs month and day");
      if (t.day > (t.calendar == TriggerCalendar::kGregorian ? 31 : 30) &&
          !(t.calendar == TriggerCalendar::kPersian && t.month <= 6 && t.day <= 31))
        return InvalidArgument("trigger.day: " + std::to_string(t.day) + " is past the end of month " +
                               std::to_string(t.month) + " in the " + std::string(CalendarName(t.calendar)) +
                               " calendar");
      break;
    default: break;
  }
  // Steps.
  auto sj = j.find("steps");
  if (sj == j.end() || !sj->is_array() || sj->empty()) return InvalidArgument("steps: required, a non-empty array");
  for (size_t i = 0; i < sj->size(); ++i) {
    const json& o = (*sj)[i];
    std::string where = "steps[" + std::to_string(i) + "]";
    if (!o.is_object()) return InvalidArgument(where + ": a step is an object");
    RETURN_IF_ERROR(OnlyFields(o, {"id", "kind", "next", "duration", "until_time", "until_event", "timeout",
                                   "on_timeout", "condition", "response", "then", "else", "campaign",
                                   "discount_percent", "note", "tag", "attribute", "value", "url"},
                               where));
    Step st;
    ASSIGN_OR_RETURN(st.id, Text(o, "id", where + ".", true));
    if (st.id.empty() || st.id.size() > 64 || st.id == "end")
      return InvalidArgument(where + ".id: 1 to 64 characters, not \"end\"");
    for (char ch : st.id)
      if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '_' && ch != '-')
        return InvalidArgument(where + ".id: letters, digits, '_' and '-' only");
    ASSIGN_OR_RETURN(std::string k, Text(o, "kind", where + ".", true));
    ASSIGN_OR_RETURN(st.kind, ParseStepKind(k, where));
    where += " (" + st.id + ")";
    ASSIGN_OR_RETURN(st.next, Text(o, "next", where + "."));
    if (auto d = o.find("duration"); d != o.end()) {
      ASSIGN_OR_RETURN(st.seconds, ParseDuration(*d, where + ".duration"));
    }
    if (auto d = o.find("timeout"); d != o.end()) {
      ASSIGN_OR_RETURN(st.seconds, ParseDuration(*d, where + ".timeout"));
    }
    ASSIGN_OR_RETURN(std::string until_time, Text(o, "until_time", where + "."));
    if (!until_time.empty()) {
      ASSIGN_OR_RETURN(int minute, ParseLocalTime(until_time, where + ".until_time"));
      st.local_minute = minute;
    }
    ASSIGN_OR_RETURN(st.until_event, Text(o, "until_event", where + "."));
    ASSIGN_OR_RETURN(st.on_timeout, Text(o, "on_timeout", where + "."));
    ASSIGN_OR_RETURN(st.condition, Text(o, "condition", where + "."));
    ASSIGN_OR_RETURN(st.response, Text(o, "response", where + "."));
    ASSIGN_OR_RETURN(st.then_step, Text(o, "then", where + "."));
    ASSIGN_OR_RETURN(st.else_step, Text(o, "else", where + "."));
    ASSIGN_OR_RETURN(st.campaign, Text(o, "campaign", where + "."));
    if (auto d = o.find("discount_percent"); d != o.end()) {
      if (!d->is_number() || d->get<double>() < 0 || d->get<double>() > 100)
        return InvalidArgument(where + ".discount_percent: a number from 0 to 100");
      st.discount_percent = d->get<double>();
    }
    ASSIGN_OR_RETURN(st.note, Text(o, "note", where + "."));
    ASSIGN_OR_RETURN(st.tag, Text(o, "tag", where + "."));
    ASSIGN_OR_RETURN(st.attribute, Text(o, "attribute", where + "."));
    if (auto v = o.find("value"); v != o.end()) {
      if (v->is_string()) st.value = v->get<std::string>();
      else if (v->is_number() || v->is_boolean()) st.value = v->dump();
      else return InvalidArgument(where + ".value: a string, number or boolean");
    }
    ASSIGN_OR_RETURN(st.url, Text(o, "url", where + "."));
    switch (st.kind) {
      case StepKind::kWait:
        if (st.seconds == 0 && !st.local_minute && st.until_event.empty())
          return InvalidArgument(where + ": a wait needs a duration, until_time or until_event");
        if (!st.until_event.empty() && st.seconds == 0)
          return InvalidArgument(where + ".timeout: waiting for an event needs a timeout");
        break;
      case StepKind::kBranch:
        if (st.condition.empty() == st.response.empty())
          return InvalidArgument(where + ": a branch needs either a condition or a response");
        if (!st.response.empty() && st.response != "opened" && st.response != "clicked" && st.response != "purchased")
          return InvalidArgument(where + ".response: opened, clicked or purchased");
        break;
      case StepKind::kSend:
        if (st.campaign.empty()) return InvalidArgument(where + ".campaign: a send step names its campaign");
        break;
      case StepKind::kAddTag:
      case StepKind::kRemoveTag:
        if (st.tag.empty()) return InvalidArgument(where + ".tag: required");
        break;
      case StepKind::kSetAttribute:
        if (st.attribute.empty()) return InvalidArgument(where + ".attribute: required");
        break;
      case StepKind::kWebhook:
        if (st.url.rfind("http://", 0) != 0 && st.url.rfind("https://", 0) != 0)
          return InvalidArgument(where + ".url: an http:// or https:// URL");
        break;
      default: break;
    }
    s.steps.push_back(std::move(st));
  }
  // Re-entry, cap, catch-up, exits.
  ASSIGN_OR_RETURN(s.reentry, Text(j, "reentry", ""));
  if (s.reentry.empty()) s.reentry = "never";
  if (s.reentry != "never" && s.reentry != "after_exit" && s.reentry != "after_days")
    return InvalidArgument("reentry: never, after_exit or after_days");
  ASSIGN_OR_RETURN(int64_t rd, Integer(j, "reentry_days", "", 0, 0, 3660));
  s.reentry_days = static_cast<int>(rd);
  if (s.reentry == "after_days" && s.reentry_days < 1) return InvalidArgument("reentry_days: at least 1 with after_days");
  if (auto c = j.find("frequency_cap"); c != j.end() && !c->is_null()) {
    if (!c->is_object()) return InvalidArgument("frequency_cap: {\"messages\": N, \"days\": D}");
    RETURN_IF_ERROR(OnlyFields(*c, {"messages", "days"}, "frequency_cap"));
    ASSIGN_OR_RETURN(int64_t m, Integer(*c, "messages", "frequency_cap.", 0, 0, 1000));
    ASSIGN_OR_RETURN(int64_t d, Integer(*c, "days", "frequency_cap.", 7, 1, 365));
    s.cap_messages = static_cast<int>(m);
    s.cap_days = static_cast<int>(d);
  }
  if (auto c = j.find("catch_up"); c != j.end() && !c->is_null()) {
    if (!c->is_object()) return InvalidArgument("catch_up: {\"policy\": \"run_late|skip_if_stale\", \"stale_after_hours\": H}");
    RETURN_IF_ERROR(OnlyFields(*c, {"policy", "stale_after_hours"}, "catch_up"));
    ASSIGN_OR_RETURN(std::string p, Text(*c, "policy", "catch_up."));
    if (p.empty() || p == "run_late") s.catch_up = CatchUp::kRunLate;
    else if (p == "skip_if_stale") s.catch_up = CatchUp::kSkipIfStale;
    else return InvalidArgument("catch_up.policy: run_late or skip_if_stale");
    ASSIGN_OR_RETURN(int64_t h, Integer(*c, "stale_after_hours", "catch_up.", 24, 1, 24 * 365));
    s.stale_hours = static_cast<int>(h);
  }
  if (auto e = j.find("exit"); e != j.end() && !e->is_null()) {
    if (!e->is_object()) return InvalidArgument("exit: an object");
    RETURN_IF_ERROR(OnlyFields(*e, {"goal_event", "unsubscribed", "entered"}, "exit"));
    ASSIGN_OR_RETURN(s.goal_event, Text(*e, "goal_event", "exit."));
    if (auto u = e->find("unsubscribed"); u != e->end()) {
      if (!u->is_boolean()) return InvalidArgument("exit.unsubscribed: true or false");
      s.exit_on_unsubscribe = u->get<bool>();
    }
    if (auto en = e->find("entered"); en != e->end()) {
      if (!en->is_array()) return InvalidArgument("exit.entered: an array of journey names");
      for (auto& n : *en) {
        if (!n.is_string()) return InvalidArgument("exit.entered: an array of journey names");
        s.exit_if_entered.push_back(n.get<std::string>());
      }
    }
  }
  return s;
}

Result<JourneySpec> SpecFromJson(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) {
    // Let the parser say where.
    try {
      json reparsed = json::parse(text);
      (void)reparsed;
    } catch (const json::parse_error& e) {
      return InvalidArgument(std::string("not valid JSON: ") + e.what());
    }
    return InvalidArgument("not valid JSON");
  }
  return SpecFromParsedJson(j);
}

ordered_json SpecToOrderedJson(const JourneySpec& s) {
  ordered_json j;
  j["name"] = s.name;
  if (!s.description.empty()) j["description"] = s.description;
  const Trigger& t = s.trigger;
  ordered_json tj = {{"kind", TriggerKindName(t.kind)}};
  if (!t.event_type.empty()) tj["event_type"] = t.event_type;
  if (!t.where.empty()) tj["where"] = t.where;
  if (t.min_total > 0) tj["min_total"] = t.min_total;
  if (!t.segment.empty()) tj["segment"] = t.segment;
  if (!t.attribute.empty()) tj["attribute"] = t.attribute;
  if (t.kind == TriggerKind::kCalendarDate) {
    tj["calendar"] = CalendarName(t.calendar);
    tj["month"] = t.month;
    tj["day"] = t.day;
  }
  if (t.offset_days) tj["offset_days"] = t.offset_days;
  if (t.kind == TriggerKind::kSchedule) {
    tj["every_days"] = t.every_days;
    if (t.start) tj["start"] = t.start->ToString();
  }
  if (t.kind == TriggerKind::kDateAttribute || t.kind == TriggerKind::kCalendarDate || t.kind == TriggerKind::kSchedule)
    tj["local_time"] = FormatLocalTime(t.local_minute);
  j["trigger"] = tj;
  ordered_json steps = ordered_json::array();
  for (const Step& st : s.steps) {
    ordered_json o = {{"id", st.id}, {"kind", StepKindName(st.kind)}};
    if (st.kind == StepKind::kWait) {
      if (st.seconds) o[st.until_event.empty() ? "duration" : "timeout"] = FormatDuration(st.seconds);
      if (st.local_minute) o["until_time"] = FormatLocalTime(*st.local_minute);
      if (!st.until_event.empty()) o["until_event"] = st.until_event;
      if (!st.on_timeout.empty()) o["on_timeout"] = st.on_timeout;
    }
    if (!st.condition.empty()) o["condition"] = st.condition;
    if (!st.response.empty()) o["response"] = st.response;
    if (!st.then_step.empty()) o["then"] = st.then_step;
    if (!st.else_step.empty()) o["else"] = st.else_step;
    if (!st.campaign.empty()) o["campaign"] = st.campaign;
    if (st.discount_percent > 0) o["discount_percent"] = st.discount_percent;
    if (!st.note.empty()) o["note"] = st.note;
    if (!st.tag.empty()) o["tag"] = st.tag;
    if (!st.attribute.empty()) o["attribute"] = st.attribute;
    if (st.kind == StepKind::kSetAttribute) o["value"] = st.value;
    if (!st.url.empty()) o["url"] = st.url;
    if (!st.next.empty()) o["next"] = st.next;
    steps.push_back(o);
  }
  j["steps"] = steps;
  j["reentry"] = s.reentry;
  if (s.reentry == "after_days") j["reentry_days"] = s.reentry_days;
  if (s.cap_messages > 0) j["frequency_cap"] = {{"messages", s.cap_messages}, {"days", s.cap_days}};
  j["catch_up"] = {{"policy", s.catch_up == CatchUp::kRunLate ? "run_late" : "skip_if_stale"},
                   {"stale_after_hours", s.stale_hours}};
  ordered_json exit = {{"unsubscribed", s.exit_on_unsubscribe}};
  if (!s.goal_event.empty()) exit["goal_event"] = s.goal_event;
  if (!s.exit_if_entered.empty()) exit["entered"] = s.exit_if_entered;
  j["exit"] = exit;
  return j;
}

std::string SpecToJson(const JourneySpec& s) { return SpecToOrderedJson(s).dump(); }

std::string ToJson(const Journey& jr) {
  ordered_json j;
  j["id"] = jr.id;
  j["status"] = jr.status;
  ordered_json spec = SpecToOrderedJson(jr);
  for (auto& [k, v] : spec.items()) j[k] = v;
  j["created_by"] = jr.created_by;
  j["created_at"] = FormatInstant(jr.created_at);
  j["updated_at"] = FormatInstant(jr.updated_at);
  j["enabled_at"] = jr.enabled_at ? json(FormatInstant(*jr.enabled_at)) : json(nullptr);
  return j.dump();
}

const Step* FindStep(const JourneySpec& s, std::string_view id) {
  for (const Step& st : s.steps)
    if (st.id == id) return &st;
  return nullptr;
}

std::string NextOf(const JourneySpec& s, const Step& step, std::string_view chosen) {
  std::string target(chosen.empty() ? std::string_view(step.next) : chosen);
  if (!target.empty()) return target == "end" ? std::string() : target;
  for (size_t i = 0; i + 1 < s.steps.size(); ++i)
    if (&s.steps[i] == &step) return s.steps[i + 1].id;
  return {};
}

Status CheckSpec(Database& db, const JourneySpec& s) {
  if (s.name.empty() || s.name.size() > 200 || !IsValidUtf8(s.name))
    return InvalidArgument("name: 1 to 200 characters of UTF-8");
  segment::Vocabulary vocabulary = segment::LoadVocabulary(db, nullptr);
  auto check_segment = [&](const std::string& text, const std::string& field) -> Status {
    if (text.empty()) return Status::Ok();
    auto node = segment::Parse(text, vocabulary);
    if (!node.ok()) return InvalidArgument(field + ": " + node.status().message());
    return Status::Ok();
  };
  RETURN_IF_ERROR(check_segment(s.trigger.segment, "trigger.segment"));
  if (s.trigger.kind == TriggerKind::kDateAttribute) {
    const std::string& a = s.trigger.attribute;
    if (a != "birth_date" && a != "created_at") {
      std::string name = a.rfind("attr.", 0) == 0 ? a.substr(5) : a;
      auto it = vocabulary.attributes.find(name);
      if (it == vocabulary.attributes.end())
        return InvalidArgument("trigger.attribute: \"" + a + "\" is not birth_date, created_at or a declared attribute");
      if (it->second != "date" && it->second != "timestamp")
        return InvalidArgument("trigger.attribute: \"" + a + "\" is " + it->second + ", not a date");
    }
  }
  if (s.trigger.kind == TriggerKind::kCalendarDate) {
    // The date must exist in the calendar (e.g. 30 Esfand only in leap years is refused by day 30 > 29? no: ICU rolls).
    auto probe = CalendarToGregorian(s.trigger.calendar, 1405, s.trigger.month, s.trigger.day);
    if (!probe.ok()) return InvalidArgument("trigger: " + probe.status().message());
  }
  std::set<std::string> ids;
  for (size_t i = 0; i < s.steps.size(); ++i)
    if (!ids.insert(s.steps[i].id).second)
      return InvalidArgument("steps[" + std::to_string(i) + "].id: \"" + s.steps[i].id + "\" is used twice");
  for (size_t i = 0; i < s.steps.size(); ++i) {
    const Step& st = s.steps[i];
    std::string where = "steps[" + std::to_string(i) + "] (" + st.id + ")";
    for (auto [ref, field] : {std::pair{&st.next, "next"}, std::pair{&st.then_step, "then"},
                              std::pair{&st.else_step, "else"}, std::pair{&st.on_timeout, "on_timeout"}})
      if (!ref->empty() && *ref != "end" && !ids.count(*ref))
        return InvalidArgument(where + "." + field + ": no step \"" + *ref + "\"");
    RETURN_IF_ERROR(check_segment(st.condition, where + ".condition"));
    if (st.kind == StepKind::kSend) {
      auto c = campaign::LoadCampaign(db, st.campaign);
      if (!c.ok()) return InvalidArgument(where + ".campaign: no campaign \"" + st.campaign + "\"");
    }
    if (st.kind == StepKind::kSetAttribute) {
      if (!vocabulary.attributes.count(st.attribute))
        return InvalidArgument(where + ".attribute: \"" + st.attribute +
                               "\" is not a declared customer attribute (declare it first: docs/import.md)");
    }
  }
  // No step may be reached twice in one passage: the step graph has no cycle.
  std::map<std::string, int> state;  // 0 new, 1 on the path, 2 done
  std::function<Status(const std::string&)> visit = [&](const std::string& id) -> Status {
    if (id.empty()) return Status::Ok();
    int& st = state[id];
    if (st == 1) return InvalidArgument("steps: step \"" + id + "\" can be reached again from itself (a loop)");
    if (st == 2) return Status::Ok();
    st = 1;
    const Step* step = FindStep(s, id);
    std::vector<std::string> nexts = {NextOf(s, *step, {})};
    if (step->kind == StepKind::kBranch) nexts = {NextOf(s, *step, step->then_step), NextOf(s, *step, step->else_step)};
    if (step->kind == StepKind::kWait && !step->until_event.empty()) nexts.push_back(NextOf(s, *step, step->on_timeout));
    if (step->kind == StepKind::kExit) nexts.clear();
    for (const std::string& n : nexts) RETURN_IF_ERROR(visit(n));
    state[id] = 2;
    return Status::Ok();
  };
  RETURN_IF_ERROR(visit(s.steps.front().id));
  for (const std::string& other : s.exit_if_entered)
    if (other == s.name) return InvalidArgument("exit.entered: a journey cannot exit when it enters itself");
  return Status::Ok();
}

}  // namespace patron::journey
