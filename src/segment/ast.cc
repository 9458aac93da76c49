// The segment syntax tree: equality, names and the canonical text form.
#include <cstdio>

#include "segment/fields.h"
#include "segment/segment.h"

namespace patron::segment {

bool Value::operator==(const Value& o) const {
  if (kind != o.kind) return false;
  switch (kind) {
    case Kind::kText: return text == o.text;
    case Kind::kNumber:
    case Kind::kBoolean: return number == o.number;
    case Kind::kDate: return date == o.date;
    case Kind::kAgo: return ago == o.ago;
  }
  return false;
}

bool Node::operator==(const Node& o) const {
  return kind == o.kind && children == o.children && field == o.field && op == o.op && values == o.values &&
         function == o.function && source == o.source && event_type == o.event_type && aggregate == o.aggregate &&
         aggregate_field == o.aggregate_field && filters == o.filters && window == o.window &&
         then_not == o.then_not && then_within == o.then_within && channel == o.channel && purpose == o.purpose &&
         name == o.name;
}

std::string_view OpText(Op op) {
  switch (op) {
    case Op::kEq: return "=";
    case Op::kNe: return "!=";
    case Op::kLt: return "<";
    case Op::kLe: return "<=";
    case Op::kGt: return ">";
    case Op::kGe: return ">=";
    case Op::kIn: return "in";
    case Op::kNotIn: return "not in";
    case Op::kBetween: return "between";
    case Op::kIsMissing: return "is missing";
    case Op::kIsNotMissing: return "is not missing";
    case Op::kContains: return "contains";
    case Op::kStartsWith: return "starts with";
    case Op::kWithin: return "within";
    case Op::kBefore: return "before";
    case Op::kAfter: return "after";
  }
  return "=";
}

std::string_view SourceName(Source s) {
  switch (s) {
    case Source::kPurchase: return "purchase";
    case Source::kOrder: return "order";
    case Source::kEvent: return "event";
  }
  return "purchase";
}

std::string_view AggregateName(Aggregate a) {
  switch (a) {
    case Aggregate::kCount: return "count";
    case Aggregate::kSum: return "sum";
    case Aggregate::kAvg: return "avg";
    case Aggregate::kMin: return "min";
    case Aggregate::kMax: return "max";
    case Aggregate::kFirst: return "first";
    case Aggregate::kLast: return "last";
    case Aggregate::kDistinct: return "distinct";
  }
  return "count";
}

std::vector<const Node*> Clauses(const Node& node) {
  std::vector<const Node*> out;
  if (node.kind == Node::Kind::kAnd) {
    for (const Node& c : node.children) out.push_back(&c);
  } else {
    out.push_back(&node);
  }
  return out;
}

namespace {

std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::string DurationText(const Duration& d) {
  static constexpr std::string_view kUnits[] = {"hour", "day", "week", "month", "year"};
  std::string s = std::to_string(d.amount) + " " + std::string(kUnits[static_cast<int>(d.unit)]);
  if (d.amount != 1) s += "s";
  return s;
}

std::string ValueText(const Value& v) {
  switch (v.kind) {
    case Value::Kind::kText: return Quote(v.text);
    case Value::Kind::kNumber: {
      if (!v.text.empty()) return v.text;
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.17g", v.number);
      return buf;
    }
    case Value::Kind::kDate: return v.text.empty() ? v.date.ToString() : v.text;
    case Value::Kind::kAgo: return DurationText(v.ago) + " ago";
    case Value::Kind::kBoolean: return v.number != 0 ? "true" : "false";
  }
  return "";
}

std::string WindowText(const Window& w) {
  switch (w.kind) {
    case Window::Kind::kAny: return "";
    case Window::Kind::kWithin: return "within " + DurationText(w.within);
    case Window::Kind::kBetween: return "between " + ValueText(w.from) + " and " + ValueText(w.to);
    case Window::Kind::kBefore: return "before " + ValueText(w.from);
    case Window::Kind::kAfter: return "after " + ValueText(w.from);
    case Window::Kind::kInMonth: {
      std::string s = "in " + internal::MonthName(w.calendar, w.month);
      if (w.year != 0) s += " " + std::to_string(w.year);
      return s;
    }
  }
  return "";
}

std::string CompareTail(const Node& n) {
  switch (n.op) {
    case Op::kIn:
    case Op::kNotIn: {
      std::string s = std::string(OpText(n.op)) + " (";
      for (size_t i = 0; i < n.values.size(); ++i) s += (i ? ", " : "") + ValueText(n.values[i]);
      return s + ")";
    }
    case Op::kBetween: return "between " + ValueText(n.values.at(0)) + " and " + ValueText(n.values.at(1));
    case Op::kIsMissing:
    case Op::kIsNotMissing: return std::string(OpText(n.op));
    case Op::kWithin: return "within " + DurationText(n.values.at(0).ago);
    default: return std::string(OpText(n.op)) + " " + ValueText(n.values.at(0));
  }
}

std::string Arguments(const Node& n, std::vector<std::string> parts) {
  for (const Node& f : n.filters) parts.push_back(f.field + " " + CompareTail(f));
  if (n.window.kind != Window::Kind::kAny) parts.push_back(WindowText(n.window));
  std::string s;
  for (size_t i = 0; i < parts.size(); ++i) s += (i ? ", " : "") + parts[i];
  return s;
}

// `nested`: inside another and/or, where a group is written in parentheses.
std::string Text(const Node& n, bool nested) {
  switch (n.kind) {
    case Node::Kind::kAnd:
    case Node::Kind::kOr: {
      bool is_and = n.kind == Node::Kind::kAnd;
      std::string s;
      for (size_t i = 0; i < n.children.size(); ++i) {
        if (i) s += is_and ? " and " : " or ";
        s += Text(n.children[i], true);
      }
      return nested ? "(" + s + ")" : s;
    }
    case Node::Kind::kNot: {
      const Node& c = n.children.at(0);
      bool group = c.kind == Node::Kind::kAnd || c.kind == Node::Kind::kOr;
      return "not " + (group ? "(" + Text(c, false) + ")" : Text(c, false));
    }
    case Node::Kind::kCompare: return n.field + " " + CompareTail(n);
    case Node::Kind::kTagged: {
      std::string s = "tagged(";
      for (size_t i = 0; i < n.values.size(); ++i) s += (i ? ", " : "") + Quote(n.values[i].text);
      return s + ")";
    }
    case Node::Kind::kActivity: {
      std::vector<std::string> parts;
      if (n.function == "did") parts.push_back(Quote(n.event_type));
      return n.function + "(" + Arguments(n, parts) + ")";
    }
    case Node::Kind::kAggregate: {
      std::string what(SourceName(n.source));
      if (!n.aggregate_field.empty()) what += "." + n.aggregate_field;
      return std::string(AggregateName(n.aggregate)) + "(" + Arguments(n, {what}) + ") " + CompareTail(n);
    }
    case Node::Kind::kSequence:
      return Text(n.children.at(0), false) + " then " + (n.then_not ? "not " : "") + Text(n.children.at(1), false) +
             " within " + DurationText(n.then_within);
    case Node::Kind::kReachable:
      return "reachable(" + n.channel + (n.purpose == "marketing" ? "" : ", " + Quote(n.purpose)) + ")";
    case Node::Kind::kSegmentRef: return "segment(" + Quote(n.name) + ")";
    case Node::Kind::kRecommended: return "recommended(" + Quote(n.name) + ")";
    case Node::Kind::kPropensity: return "propensity(" + Quote(n.name) + ") " + CompareTail(n);
  }
  return "";
}

}  // namespace

std::string ToText(const Node& node) { return Text(node, false); }

}  // namespace patron::segment
