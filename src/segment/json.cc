// The JSON form of a segment. It mirrors the syntax tree; FromJson builds the
// tree and then checks it with the text parser, so both forms obey one set of rules.
#include <nlohmann/json.hpp>

#include "segment/fields.h"
#include "segment/segment.h"

namespace patron::segment {

namespace {

using nlohmann::ordered_json;

ordered_json DurationJson(const Duration& d) {
  static constexpr std::string_view kUnits[] = {"hours", "days", "weeks", "months", "years"};
  return {{"amount", d.amount}, {"unit", kUnits[static_cast<int>(d.unit)]}};
}

ordered_json ValueJson(const Value& v) {
  switch (v.kind) {
    case Value::Kind::kText: return v.text;
    case Value::Kind::kNumber: return v.number;
    case Value::Kind::kBoolean: return v.number != 0;
    case Value::Kind::kDate: return {{"date", v.text.empty() ? v.date.ToString() : v.text}};
    case Value::Kind::kAgo: return {{"ago", DurationJson(v.ago)}};
  }
  return nullptr;
}

ordered_json WindowJson(const Window& w) {
  switch (w.kind) {
    case Window::Kind::kAny: return nullptr;
    case Window::Kind::kWithin: return {{"within", DurationJson(w.within)}};
    case Window::Kind::kBetween: return {{"between", {ValueJson(w.from), ValueJson(w.to)}}};
    case Window::Kind::kBefore: return {{"before", ValueJson(w.from)}};
    case Window::Kind::kAfter: return {{"after", ValueJson(w.from)}};
    case Window::Kind::kInMonth: {
      ordered_json m = {{"calendar", internal::CalendarName(w.calendar)}, {"month", w.month}};
      if (w.year) m["year"] = w.year;
      return {{"in_month", m}};
    }
  }
  return nullptr;
}

ordered_json CompareJson(const Node& n) {
  ordered_json j = {{"field", n.field}, {"op", std::string(OpText(n.op))}};
  ordered_json values = ordered_json::array();
  for (const Value& v : n.values) values.push_back(ValueJson(v));
  if (n.op == Op::kWithin) {
    j["within"] = DurationJson(n.values.at(0).ago);
  } else if (n.op != Op::kIsMissing && n.op != Op::kIsNotMissing) {
    j["values"] = values;
  }
  return j;
}

ordered_json NodeJson(const Node& n) {
  switch (n.kind) {
    case Node::Kind::kAnd:
    case Node::Kind::kOr: {
      ordered_json list = ordered_json::array();
      for (const Node& c : n.children) list.push_back(NodeJson(c));
      return {{n.kind == Node::Kind::kAnd ? "and" : "or", list}};
    }
    case Node::Kind::kNot: return {{"not", NodeJson(n.children.at(0))}};
    case Node::Kind::kCompare: return CompareJson(n);
    case Node::Kind::kTagged: {
      ordered_json tags = ordered_json::array();
      for (const Value& v : n.values) tags.push_back(v.text);
      return {{"tagged", tags}};
    }
    case Node::Kind::kActivity:
    case Node::Kind::kAggregate: {
      ordered_json j;
      if (n.kind == Node::Kind::kActivity) {
        j["activity"] = n.function;
        if (n.function == "did") j["event_type"] = n.event_type;
      } else {
        j["aggregate"] = std::string(AggregateName(n.aggregate));
        j["source"] = std::string(SourceName(n.source));
        if (!n.aggregate_field.empty()) j["field"] = n.aggregate_field;
      }
      if (!n.filters.empty()) {
        ordered_json filters = ordered_json::array();
        for (const Node& f : n.filters) filters.push_back(CompareJson(f));
        j["filters"] = filters;
      }
      if (n.window.kind != Window::Kind::kAny) j["window"] = WindowJson(n.window);
      if (n.kind == Node::Kind::kAggregate) {
        ordered_json c = CompareJson(n);
        j["op"] = c["op"];
        if (c.contains("values")) j["values"] = c["values"];
        if (c.contains("within")) j["within"] = c["within"];
      }
      return j;
    }
    case Node::Kind::kSequence:
      return {{"sequence",
               {{"first", NodeJson(n.children.at(0))},
                {"then", NodeJson(n.children.at(1))},
                {"not", n.then_not},
                {"within", DurationJson(n.then_within)}}}};
    case Node::Kind::kReachable: return {{"reachable", n.channel}, {"purpose", n.purpose}};
    case Node::Kind::kSegmentRef: return {{"segment", n.name}};
    case Node::Kind::kRecommended: return {{"recommended", n.name}};
    case Node::Kind::kPropensity: {
      ordered_json j = {{"propensity", n.name}};
      ordered_json c = CompareJson(n);
      j["op"] = c["op"];
      if (c.contains("values")) j["values"] = c["values"];
      return j;
    }
  }
  return nullptr;
}

// ---------------------------------------------------------------------------
// JSON -> text. Every JSON shape is turned into the text form and parsed.
// ---------------------------------------------------------------------------

std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

Result<std::string> DurationFromJson(const ordered_json& j, const std::string& where) {
  if (!j.is_object() || !j.contains("amount") || !j["amount"].is_number_integer() || !j.contains("unit") ||
      !j["unit"].is_string()) {
    return InvalidArgument(where + ": expected {\"amount\": N, \"unit\": \"days\"}");
  }
  return std::to_string(j["amount"].get<int64_t>()) + " " + j["unit"].get<std::string>();
}

Result<std::string> ValueFromJson(const ordered_json& j, const std::string& where) {
  if (j.is_string()) return Quote(j.get<std::string>());
  if (j.is_boolean()) return std::string(j.get<bool>() ? "true" : "false");
  if (j.is_number()) {
    std::string s = j.dump();
    return s;
  }
  if (j.is_object() && j.contains("date") && j["date"].is_string()) {
    std::string d = j["date"].get<std::string>();
    for (char c : d) {
      if (!std::isdigit(static_cast<unsigned char>(c)) && c != '-') {
        return InvalidArgument(where + ": a date is written YYYY-MM-DD");
      }
    }
    return d;
  }
  if (j.is_object() && j.contains("ago")) {
    ASSIGN_OR_RETURN(std::string d, DurationFromJson(j["ago"], where));
    return d + " ago";
  }
  return InvalidArgument(where + ": expected a value (text, number, true/false, {\"date\": ...} or {\"ago\": ...})");
}

Result<std::string> WindowFromJson(const ordered_json& w, const std::string& where) {
  if (w.is_null()) return std::string();
  if (!w.is_object() || w.size() != 1) return InvalidArgument(where + ": a window is one of within, between, "
                                                              "before, after, in_month");
  if (w.contains("within")) {
    ASSIGN_OR_RETURN(std::string d, DurationFromJson(w["within"], where));
    return "within " + d;
  }
  if (w.contains("between")) {
    const auto& b = w["between"];
    if (!b.is_array() || b.size() != 2) return InvalidArgument(where + ": between takes two values");
    ASSIGN_OR_RETURN(std::string a, ValueFromJson(b[0], where));
    ASSIGN_OR_RETURN(std::string c, ValueFromJson(b[1], where));
    return "between " + a + " and " + c;
  }
  for (const char* word : {"before", "after"}) {
    if (w.contains(word)) {
      ASSIGN_OR_RETURN(std::string v, ValueFromJson(w[word], where));
      return std::string(word) + " " + v;
    }
  }
  if (w.contains("in_month")) {
    const auto& m = w["in_month"];
    if (!m.is_object() || !m.contains("month") || !m["month"].is_number_integer()) {
      return InvalidArgument(where + ": in_month needs {\"calendar\", \"month\"}");
    }
    std::string calendar_name = m.value("calendar", "gregorian");
    Calendar calendar = calendar_name == "persian" ? Calendar::kPersian
                        : calendar_name == "hijri" ? Calendar::kIslamicCivil
                                                   : Calendar::kGregorian;
    if (calendar_name != "persian" && calendar_name != "hijri" && calendar_name != "gregorian") {
      return InvalidArgument(where + ": calendar is gregorian, persian or hijri");
    }
    int month = m["month"].get<int>();
    if (month < 1 || month > 12) return InvalidArgument(where + ": month is 1 to 12");
    std::string s = "in " + internal::MonthName(calendar, month);
    if (m.contains("year") && m["year"].is_number_integer()) s += " " + std::to_string(m["year"].get<int>());
    return s;
  }
  return InvalidArgument(where + ": unknown window");
}

Result<std::string> CompareFromJson(const ordered_json& j, const std::string& where, bool with_field = true) {
  std::string s;
  if (with_field) {
    if (!j.contains("field") || !j["field"].is_string()) return InvalidArgument(where + ": missing \"field\"");
    s = j["field"].get<std::string>() + " ";
  }
  if (!j.contains("op") || !j["op"].is_string()) return InvalidArgument(where + ": missing \"op\"");
  std::string op = j["op"].get<std::string>();
  std::vector<std::string> values;
  if (j.contains("values")) {
    if (!j["values"].is_array()) return InvalidArgument(where + ": \"values\" is an array");
    for (const auto& v : j["values"]) {
      ASSIGN_OR_RETURN(std::string text, ValueFromJson(v, where));
      values.push_back(text);
    }
  }
  auto need = [&](size_t n) -> Status {
    if (values.size() != n) return InvalidArgument(where + ": \"" + op + "\" takes " + std::to_string(n) + " value(s)");
    return Status::Ok();
  };
  if (op == "in" || op == "not in") {
    if (values.empty()) return InvalidArgument(where + ": \"" + op + "\" needs at least one value");
    s += op + " (";
    for (size_t i = 0; i < values.size(); ++i) s += (i ? ", " : "") + values[i];
    return s + ")";
  }
  if (op == "between") {
    RETURN_IF_ERROR(need(2));
    return s + "between " + values[0] + " and " + values[1];
  }
  if (op == "is missing" || op == "is not missing") return s + op;
  if (op == "within") {
    if (!j.contains("within")) return InvalidArgument(where + ": \"within\" needs {\"within\": {amount, unit}}");
    ASSIGN_OR_RETURN(std::string d, DurationFromJson(j["within"], where));
    return s + "within " + d;
  }
  static const char* kOps[] = {"=", "!=", "<", "<=", ">", ">=", "contains", "starts with", "before", "after"};
  for (const char* known : kOps) {
    if (op == known) {
      RETURN_IF_ERROR(need(1));
      return s + op + " " + values[0];
    }
  }
  return InvalidArgument(where + ": unknown op \"" + op + "\"");
}

Result<std::string> TextFromJson(const ordered_json& j, const std::string& where, int depth) {
  if (depth > 200) return InvalidArgument("the segment is nested more than 200 deep");
  if (!j.is_object()) return InvalidArgument(where + ": expected an object");
  for (const char* group : {"and", "or"}) {
    if (j.contains(group)) {
      const auto& list = j[group];
      if (!list.is_array() || list.empty()) return InvalidArgument(where + ": \"" + group + "\" is a non-empty array");
      std::string s = "(";
      for (size_t i = 0; i < list.size(); ++i) {
        ASSIGN_OR_RETURN(std::string part,
                         TextFromJson(list[i], where + "." + group + "[" + std::to_string(i) + "]", depth + 1));
        s += (i ? std::string(" ") + group + " " : "") + "(" + part + ")";
      }
      return s + ")";
    }
  }
  if (j.contains("not")) {
    ASSIGN_OR_RETURN(std::string part, TextFromJson(j["not"], where + ".not", depth + 1));
    return "not (" + part + ")";
  }
  if (j.contains("tagged")) {
    if (!j["tagged"].is_array() || j["tagged"].empty()) return InvalidArgument(where + ": tagged is an array of tags");
    std::string s = "tagged(";
    for (size_t i = 0; i < j["tagged"].size(); ++i) {
      if (!j["tagged"][i].is_string()) return InvalidArgument(where + ": tags are text");
      s += (i ? ", " : "") + Quote(j["tagged"][i].get<std::string>());
    }
    return s + ")";
  }
  if (j.contains("reachable")) {
    if (!j["reachable"].is_string()) return InvalidArgument(where + ": reachable names a channel");
    std::string s = "reachable(" + j["reachable"].get<std::string>();
    if (j.contains("purpose") && j["purpose"].is_string()) s += ", " + Quote(j["purpose"].get<std::string>());
    return s + ")";
  }
  if (j.contains("segment")) {
    if (!j["segment"].is_string()) return InvalidArgument(where + ": segment names a saved segment");
    return "segment(" + Quote(j["segment"].get<std::string>()) + ")";
  }
  if (j.contains("recommended")) {
    if (!j["recommended"].is_string()) return InvalidArgument(where + ": recommended names a product category");
    return "recommended(" + Quote(j["recommended"].get<std::string>()) + ")";
  }
  if (j.contains("propensity")) {
    if (!j["propensity"].is_string()) return InvalidArgument(where + ": propensity names a product category");
    ASSIGN_OR_RETURN(std::string tail, CompareFromJson(j, where, /*with_field=*/false));
    return "propensity(" + Quote(j["propensity"].get<std::string>()) + ") " + tail;
  }
  if (j.contains("sequence")) {
    const auto& q = j["sequence"];
    if (!q.is_object() || !q.contains("first") || !q.contains("then") || !q.contains("within")) {
      return InvalidArgument(where + ": sequence needs first, then and within");
    }
    ASSIGN_OR_RETURN(std::string first, TextFromJson(q["first"], where + ".sequence.first", depth + 1));
    ASSIGN_OR_RETURN(std::string then, TextFromJson(q["then"], where + ".sequence.then", depth + 1));
    ASSIGN_OR_RETURN(std::string within, DurationFromJson(q["within"], where + ".sequence.within"));
    bool negated = q.contains("not") && q["not"].is_boolean() && q["not"].get<bool>();
    return first + " then " + (negated ? "not " : "") + then + " within " + within;
  }
  if (j.contains("activity") || j.contains("aggregate")) {
    bool activity = j.contains("activity");
    std::string name = activity ? j["activity"].get<std::string>() : j["aggregate"].get<std::string>();
    std::vector<std::string> parts;
    if (activity && name == "did") {
      if (!j.contains("event_type") || !j["event_type"].is_string()) {
        return InvalidArgument(where + ": did needs \"event_type\"");
      }
      parts.push_back(Quote(j["event_type"].get<std::string>()));
    }
    if (!activity) {
      if (!j.contains("source") || !j["source"].is_string()) return InvalidArgument(where + ": missing \"source\"");
      std::string what = j["source"].get<std::string>();
      if (j.contains("field") && j["field"].is_string()) what += "." + j["field"].get<std::string>();
      parts.push_back(what);
    }
    if (j.contains("filters")) {
      if (!j["filters"].is_array()) return InvalidArgument(where + ": filters is an array");
      for (size_t i = 0; i < j["filters"].size(); ++i) {
        ASSIGN_OR_RETURN(std::string f,
                         CompareFromJson(j["filters"][i], where + ".filters[" + std::to_string(i) + "]"));
        parts.push_back(f);
      }
    }
    if (j.contains("window")) {
      ASSIGN_OR_RETURN(std::string w, WindowFromJson(j["window"], where + ".window"));
      if (!w.empty()) parts.push_back(w);
    }
    std::string s = name + "(";
    for (size_t i = 0; i < parts.size(); ++i) s += (i ? ", " : "") + parts[i];
    s += ")";
    if (!activity) {
      ASSIGN_OR_RETURN(std::string tail, CompareFromJson(j, where, false));
      s += " " + tail;
    }
    return s;
  }
  if (j.contains("field")) return CompareFromJson(j, where);
  return InvalidArgument(where + ": not a segment condition");
}

}  // namespace

std::string ToJson(const Node& node) { return NodeJson(node).dump(); }

Result<Node> FromJson(std::string_view json, const Vocabulary& vocabulary) {
  ordered_json j = ordered_json::parse(json, nullptr, false);
  if (j.is_discarded()) return InvalidArgument("the segment is not valid JSON");
  ASSIGN_OR_RETURN(std::string text, TextFromJson(j, "$", 0));
  auto node = Parse(text, vocabulary);
  if (!node.ok()) return node.status().WithContext("segment JSON (as text: " + text + ")");
  return node;
}

}  // namespace patron::segment
