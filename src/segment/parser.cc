// The segment language's lexer and recursive-descent parser. The parser also
// checks names and types, so that every error points at the text that caused it.
#include <cctype>
#include <cstdlib>

#include "segment/fields.h"
#include "segment/segment.h"

namespace patron::segment {

namespace {

using internal::FieldRef;

struct Token {
  enum class Kind { kIdent, kString, kNumber, kDate, kPunct, kEnd };
  Kind kind = Kind::kEnd;
  std::string text;  // identifiers as written; strings unescaped
  Position pos;
};

bool IsIdentStart(unsigned char c) { return std::isalpha(c) || c == '_' || c >= 0x80; }
bool IsIdentChar(unsigned char c) { return std::isalnum(c) || c == '_' || c == '-' || c == '.' || c >= 0x80; }

class Lexer {
 public:
  explicit Lexer(std::string_view text) : text_(text) {}

  Result<std::vector<Token>> Run() {
    std::vector<Token> tokens;
    while (true) {
      SkipSpace();
      Token t;
      t.pos = {line_, column_};
      if (at_ >= text_.size()) {
        t.kind = Token::Kind::kEnd;
        tokens.push_back(t);
        return tokens;
      }
      unsigned char c = text_[at_];
      if (c == '"' || c == '\'') {
        ASSIGN_OR_RETURN(t.text, String(static_cast<char>(c)));
        t.kind = Token::Kind::kString;
      } else if (std::isdigit(c) || (c == '-' && at_ + 1 < text_.size() && std::isdigit(text_[at_ + 1]))) {
        size_t start = at_;
        Advance();
        while (at_ < text_.size() && (std::isdigit(text_[at_]) || text_[at_] == '.')) Advance();
        // A date: 4 digits, '-', 1-2 digits, '-', 1-2 digits.
        if (at_ - start == 4 && text_[start] != '-' && at_ < text_.size() && text_[at_] == '-') {
          while (at_ < text_.size() && (std::isdigit(text_[at_]) || text_[at_] == '-')) Advance();
          t.kind = Token::Kind::kDate;
        } else {
          t.kind = Token::Kind::kNumber;
        }
        t.text = std::string(text_.substr(start, at_ - start));
      } else if (IsIdentStart(c)) {
        size_t start = at_;
        while (at_ < text_.size() && IsIdentChar(static_cast<unsigned char>(text_[at_]))) Advance();
        t.kind = Token::Kind::kIdent;
        t.text = std::string(text_.substr(start, at_ - start));
        if (!IsValidUtf8(t.text)) return Error(t.pos, "the text is not valid UTF-8");
      } else {
        static constexpr std::string_view kTwo[] = {"!=", "<>", "<=", ">="};
        t.kind = Token::Kind::kPunct;
        for (std::string_view two : kTwo) {
          if (text_.substr(at_, 2) == two) t.text = std::string(two == "<>" ? "!=" : two);
        }
        if (t.text.empty()) {
          if (std::string_view("(),=<>").find(static_cast<char>(c)) == std::string_view::npos) {
            return Error(t.pos, "unexpected character '" + std::string(1, static_cast<char>(c)) + "'");
          }
          t.text = std::string(1, static_cast<char>(c));
          Advance();
        } else {
          Advance();
          Advance();
        }
      }
      tokens.push_back(std::move(t));
    }
  }

  static Status Error(Position p, const std::string& message) {
    return InvalidArgument("line " + std::to_string(p.line) + ", column " + std::to_string(p.column) + ": " +
                           message);
  }

 private:
  void Advance() {
    unsigned char c = text_[at_++];
    if (c == '\n') {
      line_++;
      column_ = 1;
    } else if ((c & 0xC0) != 0x80) {
      column_++;  // columns count characters, not bytes
    }
  }
  void SkipSpace() {
    while (at_ < text_.size()) {
      char c = text_[at_];
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
        Advance();
      } else if (c == '#' || (c == '-' && at_ + 1 < text_.size() && text_[at_ + 1] == '-')) {
        while (at_ < text_.size() && text_[at_] != '\n') Advance();  // comment to end of line
      } else {
        break;
      }
    }
  }
  Result<std::string> String(char quote) {
    Position start{line_, column_};
    Advance();
    std::string out;
    while (true) {
      if (at_ >= text_.size()) return Error(start, "this string has no closing " + std::string(1, quote));
      char c = text_[at_];
      if (c == quote) {
        Advance();
        break;
      }
      if (c == '\\' && at_ + 1 < text_.size()) {
        Advance();
        c = text_[at_];
      }
      out.push_back(c);
      Advance();
    }
    if (!IsValidUtf8(out)) return Error(start, "the string is not valid UTF-8");
    return out;
  }

  std::string_view text_;
  size_t at_ = 0;
  int line_ = 1, column_ = 1;
};

bool IsKeyword(const Token& t, std::string_view word) {
  return t.kind == Token::Kind::kIdent && AsciiLower(t.text) == word;
}

std::string Describe(const Token& t) {
  switch (t.kind) {
    case Token::Kind::kEnd: return "the end of the segment";
    case Token::Kind::kString: return "\"" + t.text + "\"";
    default: return "'" + t.text + "'";
  }
}

class Parser {
 public:
  Parser(std::vector<Token> tokens, const Vocabulary& vocabulary)
      : tokens_(std::move(tokens)), vocabulary_(vocabulary) {}

  Result<Node> Segment() {
    if (Peek().kind == Token::Kind::kEnd) return Error(Peek(), "the segment is empty", "try: city = \"Tehran\"");
    ASSIGN_OR_RETURN(Node n, Or());
    if (Peek().kind != Token::Kind::kEnd) {
      return Error(Peek(), "expected 'and', 'or' or the end, but found " + Describe(Peek()));
    }
    return n;
  }

 private:
  const Token& Peek(size_t ahead = 0) const { return tokens_[std::min(at_ + ahead, tokens_.size() - 1)]; }
  const Token& Next() { return tokens_[std::min(at_++, tokens_.size() - 1)]; }
  bool Accept(std::string_view word) {
    if (IsKeyword(Peek(), word) || (Peek().kind == Token::Kind::kPunct && Peek().text == word)) {
      at_++;
      return true;
    }
    return false;
  }
  Status Expect(std::string_view what) {
    if (Accept(what)) return Status::Ok();
    return Error(Peek(), "expected '" + std::string(what) + "' but found " + Describe(Peek()));
  }
  static Status Error(const Token& at, const std::string& message, const std::string& hint = "") {
    std::string m = message;
    if (!hint.empty()) m += " (" + hint + ")";
    return Lexer::Error(at.pos, m);
  }

  Result<Node> Or() {
    ASSIGN_OR_RETURN(Node left, And());
    if (!IsKeyword(Peek(), "or")) return left;
    Node n;
    n.kind = Node::Kind::kOr;
    n.pos = left.pos;
    n.children.push_back(std::move(left));
    while (Accept("or")) {
      ASSIGN_OR_RETURN(Node right, And());
      n.children.push_back(std::move(right));
    }
    return n;
  }

  Result<Node> And() {
    ASSIGN_OR_RETURN(Node left, Unary());
    if (!IsKeyword(Peek(), "and")) return left;
    Node n;
    n.kind = Node::Kind::kAnd;
    n.pos = left.pos;
    n.children.push_back(std::move(left));
    while (Accept("and")) {
      ASSIGN_OR_RETURN(Node right, Unary());
      n.children.push_back(std::move(right));
    }
    return n;
  }

  Result<Node> Unary() {
    if (++depth_ > 200) return Error(Peek(), "the segment is nested more than 200 deep");
    struct Leave {
      int& depth;
      ~Leave() { depth--; }
    } leave{depth_};
    if (IsKeyword(Peek(), "not")) {
      Position pos = Next().pos;
      ASSIGN_OR_RETURN(Node child, Unary());
      Node n;
      n.kind = Node::Kind::kNot;
      n.pos = pos;
      n.children.push_back(std::move(child));
      return n;
    }
    ASSIGN_OR_RETURN(Node n, Primary());
    if (n.kind == Node::Kind::kActivity && IsKeyword(Peek(), "then")) return Sequence(std::move(n));
    return n;
  }

  Result<Node> Sequence(Node first) {
    Next();  // then
    Node n;
    n.kind = Node::Kind::kSequence;
    n.pos = first.pos;
    n.then_not = Accept("not");
    const Token& at = Peek();
    ASSIGN_OR_RETURN(Node second, Primary());
    if (second.kind != Node::Kind::kActivity) {
      return Error(at, "'then' must be followed by an activity such as bought(...) or did(\"...\")");
    }
    RETURN_IF_ERROR(Expect("within"));
    const Token& d = Peek();
    ASSIGN_OR_RETURN(n.then_within, ParseDuration());
    if (internal::FixedMicros(n.then_within) < 0) {
      return Error(d, "'then ... within' takes hours, days or weeks");
    }
    n.children.push_back(std::move(first));
    n.children.push_back(std::move(second));
    return n;
  }

  Result<Node> Primary() {
    const Token& t = Peek();
    if (t.kind == Token::Kind::kPunct && t.text == "(") {
      Next();
      ASSIGN_OR_RETURN(Node n, Or());
      RETURN_IF_ERROR(Expect(")"));
      return n;
    }
    if (t.kind != Token::Kind::kIdent) {
      return Error(t, "expected a condition but found " + Describe(t), "try: city = \"Tehran\"");
    }
    std::string word = AsciiLower(t.text);
    bool call = Peek(1).kind == Token::Kind::kPunct && Peek(1).text == "(";
    if (call) {
      if (word == "bought" || word == "ordered" || word == "did" || word == "received") return Activity();
      if (word == "count" || word == "sum" || word == "avg" || word == "min" || word == "max" || word == "first" ||
          word == "last" || word == "distinct") {
        return AggregateCall();
      }
      if (word == "reachable") return Reachable();
      if (word == "segment") return SegmentRef();
      if (word == "tagged") return Tagged();
      if (word == "recommended" || word == "propensity") return ModelScore(word);
      static const std::vector<std::string> kFunctions = {
          "bought", "ordered",  "did",       "received", "count",  "sum",         "avg",       "min",
          "max",    "first",    "last",      "distinct", "reachable", "segment", "tagged", "recommended",
          "propensity"};
      std::string nearest = internal::Nearest(word, kFunctions);
      return Error(t, "unknown function \"" + t.text + "\"",
                   nearest.empty() ? "" : "did you mean \"" + nearest + "\"?");
    }
    return Comparison(std::nullopt);
  }

  // field op value..., for a profile field or (with `source`) an activity field.
  Result<Node> Comparison(std::optional<Source> source) {
    const Token& t = Next();
    if (t.kind != Token::Kind::kIdent) return Error(t, "expected a field name but found " + Describe(t));
    Node n;
    n.kind = Node::Kind::kCompare;
    n.pos = t.pos;
    n.field = t.text;
    FieldRef ref;
    if (source) {
      auto r = internal::ResolveActivityField(*source, t.text);
      if (!r.ok()) return Lexer::Error(t.pos, std::string(r.status().message()));
      ref = *r;
    } else {
      auto r = internal::ResolveProfileField(t.text, vocabulary_);
      if (!r.ok()) return Lexer::Error(t.pos, std::string(r.status().message()));
      ref = *r;
    }
    RETURN_IF_ERROR(ComparisonTail(n, ref));
    return n;
  }

  // The operator and values after a field (also after an aggregate).
  Status ComparisonTail(Node& n, const FieldRef& ref) {
    const Token& op = Peek();
    bool is_text = ref.typed ? ref.type == engine::ValueType::kText : false;
    bool is_time = ref.typed && (ref.type == engine::ValueType::kDate || ref.type == engine::ValueType::kTimestamp);
    if (op.kind == Token::Kind::kPunct && op.text != "(" && op.text != ")" && op.text != ",") {
      Next();
      static const std::pair<std::string_view, Op> kOps[] = {{"=", Op::kEq},  {"!=", Op::kNe}, {"<", Op::kLt},
                                                              {"<=", Op::kLe}, {">", Op::kGt},  {">=", Op::kGe}};
      for (auto [text, o] : kOps) {
        if (op.text == text) n.op = o;
      }
      if (is_text && n.op != Op::kEq && n.op != Op::kNe) {
        return Error(op, "\"" + n.field + "\" is text: use =, !=, in, contains or starts with");
      }
      ASSIGN_OR_RETURN(Value v, ParseValue(ref));
      n.values.push_back(std::move(v));
      return Status::Ok();
    }
    if (IsKeyword(op, "in") || (IsKeyword(op, "not") && IsKeyword(Peek(1), "in"))) {
      n.op = IsKeyword(op, "not") ? Op::kNotIn : Op::kIn;
      Next();
      if (n.op == Op::kNotIn) Next();
      RETURN_IF_ERROR(Expect("("));
      do {
        ASSIGN_OR_RETURN(Value v, ParseValue(ref));
        n.values.push_back(std::move(v));
      } while (Accept(","));
      return Expect(")");
    }
    if (IsKeyword(op, "between")) {
      Next();
      if (is_text) return Error(op, "\"" + n.field + "\" is text: 'between' compares numbers, dates and times");
      n.op = Op::kBetween;
      ASSIGN_OR_RETURN(Value a, ParseValue(ref));
      RETURN_IF_ERROR(Expect("and"));
      ASSIGN_OR_RETURN(Value b, ParseValue(ref));
      n.values = {std::move(a), std::move(b)};
      return Status::Ok();
    }
    if (IsKeyword(op, "is")) {
      Next();
      n.op = Accept("not") ? Op::kIsNotMissing : Op::kIsMissing;
      return Expect("missing");
    }
    if (IsKeyword(op, "contains") || IsKeyword(op, "starts")) {
      Next();
      n.op = IsKeyword(op, "contains") ? Op::kContains : Op::kStartsWith;
      if (n.op == Op::kStartsWith) RETURN_IF_ERROR(Expect("with"));
      if (ref.typed && !is_text) return Error(op, "\"" + n.field + "\" is not text: contains and starts with apply to text");
      const Token& s = Next();
      if (s.kind != Token::Kind::kString || s.text.empty()) return Error(s, "expected a non-empty \"text\" after " + op.text);
      Value v;
      v.kind = Value::Kind::kText;
      v.text = s.text;
      n.values.push_back(std::move(v));
      return Status::Ok();
    }
    if (IsKeyword(op, "within") || IsKeyword(op, "before") || IsKeyword(op, "after")) {
      Next();
      if (!is_time) return Error(op, "'" + op.text + "' applies to dates and times; \"" + n.field + "\" is not one");
      if (IsKeyword(op, "within")) {
        n.op = Op::kWithin;
        Value v;
        v.kind = Value::Kind::kAgo;
        ASSIGN_OR_RETURN(v.ago, ParseDuration());
        n.values.push_back(std::move(v));
      } else {
        n.op = IsKeyword(op, "before") ? Op::kBefore : Op::kAfter;
        ASSIGN_OR_RETURN(Value v, ParseValue(ref));
        n.values.push_back(std::move(v));
      }
      return Status::Ok();
    }
    return Error(op, "expected an operator after \"" + n.field + "\" (=, !=, <, <=, >, >=, in, between, is missing, "
                     "contains, starts with) but found " + Describe(op));
  }

  Result<Duration> ParseDuration() {
    const Token& num = Next();
    if (num.kind != Token::Kind::kNumber || num.text.find('.') != std::string::npos || num.text[0] == '-') {
      return Error(num, "expected a whole number (as in \"90 days\") but found " + Describe(num));
    }
    Duration d;
    d.amount = std::strtoll(num.text.c_str(), nullptr, 10);
    const Token& unit = Next();
    std::string u = AsciiLower(unit.text);
    if (unit.kind == Token::Kind::kIdent && !u.empty() && u.back() == 's') u.pop_back();
    if (unit.kind == Token::Kind::kIdent && u == "hour") {
      d.unit = Duration::Unit::kHours;
    } else if (unit.kind == Token::Kind::kIdent && u == "day") {
      d.unit = Duration::Unit::kDays;
    } else if (unit.kind == Token::Kind::kIdent && u == "week") {
      d.unit = Duration::Unit::kWeeks;
    } else if (unit.kind == Token::Kind::kIdent && u == "month") {
      d.unit = Duration::Unit::kMonths;
    } else if (unit.kind == Token::Kind::kIdent && u == "year") {
      d.unit = Duration::Unit::kYears;
    } else {
      return Error(unit, "expected hours, days, weeks, months or years but found " + Describe(unit));
    }
    if (d.amount > 100000) return Error(num, "that is too long a time");
    return d;
  }

  Result<Value> ParseDate(const Token& t) {
    int y = 0, m = 0, d = 0;
    char extra = 0;
    if (std::sscanf(t.text.c_str(), "%d-%d-%d%c", &y, &m, &d, &extra) != 3) {
      return Error(t, "expected a date as YYYY-MM-DD but found " + Describe(t));
    }
    Value v;
    v.kind = Value::Kind::kDate;
    v.text = t.text;
    // Years 1200-1599 are Persian (Solar Hijri) dates, as in imports.
    Calendar calendar = (y >= 1200 && y < 1600) ? Calendar::kPersian : Calendar::kGregorian;
    if (calendar == Calendar::kGregorian) {
      v.date = CivilDate{y, m, d};
      if (!v.date.IsValid()) return Error(t, "there is no such date: " + t.text);
    } else {
      auto g = ToGregorian(calendar, y, m, d);
      if (!g.ok()) return Error(t, "there is no such Persian date: " + t.text);
      v.date = *g;
    }
    return v;
  }

  Result<Value> ParseValue(const FieldRef& ref) {
    const Token& t = Next();
    Value v;
    bool text_field = ref.typed && ref.type == engine::ValueType::kText;
    bool time_field = ref.typed && (ref.type == engine::ValueType::kDate || ref.type == engine::ValueType::kTimestamp);
    bool number_field = ref.typed && !text_field && !time_field;
    switch (t.kind) {
      case Token::Kind::kString:
        if (time_field) return ParseDate(Token{Token::Kind::kDate, t.text, t.pos});
        if (number_field) return Error(t, "\"" + ref.name + "\" is a number, not text: write it without quotes");
        if (t.text.empty()) return Error(t, "an empty text never matches", "use 'is missing'");
        v.kind = Value::Kind::kText;
        v.text = t.text;
        return v;
      case Token::Kind::kNumber: {
        if (time_field) {
          // "90 days ago"
          at_--;
          v.kind = Value::Kind::kAgo;
          ASSIGN_OR_RETURN(v.ago, ParseDuration());
          RETURN_IF_ERROR(Expect("ago"));
          return v;
        }
        char* end = nullptr;
        v.number = std::strtod(t.text.c_str(), &end);
        if (end != t.text.c_str() + t.text.size()) return Error(t, "this is not a number: " + t.text);
        v.kind = text_field ? Value::Kind::kText : Value::Kind::kNumber;
        v.text = t.text;
        return v;
      }
      case Token::Kind::kDate:
        if (!time_field && ref.typed) return Error(t, "\"" + ref.name + "\" is not a date");
        return ParseDate(t);
      case Token::Kind::kIdent:
        if (IsKeyword(t, "true") || IsKeyword(t, "false")) {
          if (text_field || time_field) return Error(t, "\"" + ref.name + "\" is not a yes/no field");
          v.kind = Value::Kind::kBoolean;
          v.number = IsKeyword(t, "true") ? 1 : 0;
          v.text = AsciiLower(t.text);
          return v;
        }
        return Error(t, "expected a value but found " + Describe(t), "put text in quotes: \"" + t.text + "\"");
      default:
        return Error(t, "expected a value but found " + Describe(t));
    }
  }

  // Arguments of an activity or aggregate: filters and at most one window,
  // separated by commas.
  Status ArgumentList(Node& n) {
    bool have_window = false;
    do {
      const Token& t = Peek();
      bool window_word = IsKeyword(t, "within") || IsKeyword(t, "between") || IsKeyword(t, "before") ||
                         IsKeyword(t, "after") || IsKeyword(t, "in");
      if (window_word) {
        if (have_window) return Error(t, "only one time window per condition");
        have_window = true;
        RETURN_IF_ERROR(ParseWindow(n.window));
      } else {
        ASSIGN_OR_RETURN(Node f, Comparison(n.source));
        n.filters.push_back(std::move(f));
      }
    } while (Accept(","));
    return Status::Ok();
  }

  Status ParseWindow(Window& w) {
    const Token& t = Next();
    internal::FieldRef time_ref;
    time_ref.type = engine::ValueType::kTimestamp;
    time_ref.name = "the time";
    if (IsKeyword(t, "within")) {
      w.kind = Window::Kind::kWithin;
      ASSIGN_OR_RETURN(w.within, ParseDuration());
    } else if (IsKeyword(t, "between")) {
      w.kind = Window::Kind::kBetween;
      ASSIGN_OR_RETURN(w.from, ParseValue(time_ref));
      RETURN_IF_ERROR(Expect("and"));
      ASSIGN_OR_RETURN(w.to, ParseValue(time_ref));
    } else if (IsKeyword(t, "before") || IsKeyword(t, "after")) {
      w.kind = IsKeyword(t, "before") ? Window::Kind::kBefore : Window::Kind::kAfter;
      ASSIGN_OR_RETURN(w.from, ParseValue(time_ref));
    } else {  // in MONTH [YEAR]
      const Token& m = Next();
      auto month = m.kind == Token::Kind::kIdent ? internal::ParseMonthName(m.text) : std::nullopt;
      if (!month) return Error(m, "expected a month name (such as Mehr, Ramadan or March) but found " + Describe(m));
      w.kind = Window::Kind::kInMonth;
      w.calendar = month->first;
      w.month = month->second;
      if (Peek().kind == Token::Kind::kNumber) {
        const Token& y = Next();
        w.year = std::atoi(y.text.c_str());
        if (w.year <= 0 || y.text.find('.') != std::string::npos) return Error(y, "expected a year");
      }
    }
    return Status::Ok();
  }

  Result<Node> Activity() {
    const Token& name = Next();
    Next();  // (
    Node n;
    n.kind = Node::Kind::kActivity;
    n.pos = name.pos;
    n.function = AsciiLower(name.text);
    n.source = n.function == "bought"    ? Source::kPurchase
               : n.function == "ordered" ? Source::kOrder
                                         : Source::kEvent;
    if (n.function == "received") n.event_type = "message_sent";
    bool more = !(Peek().kind == Token::Kind::kPunct && Peek().text == ")");
    if (n.function == "did") {
      const Token& type = Next();
      if (type.kind != Token::Kind::kString || type.text.empty()) {
        return Error(type, "did(...) starts with the event type in quotes", "as in did(\"cart_abandoned\")");
      }
      n.event_type = type.text;
      RETURN_IF_ERROR(CheckEventType(type));
      more = Accept(",");
    }
    if (more) RETURN_IF_ERROR(ArgumentList(n));
    RETURN_IF_ERROR(Expect(")"));
    return n;
  }

  // An event type nobody has is fine (it may come later), unless it is one
  // letter or two away from a known type: then it is most likely a typo.
  Status CheckEventType(const Token& type) const {
    if (vocabulary_.event_types.empty()) return Status::Ok();
    std::string folded = FoldForMatching(type.text);
    for (const auto& known : vocabulary_.event_types) {
      if (FoldForMatching(known) == folded) return Status::Ok();
    }
    std::string nearest = internal::Nearest(type.text, vocabulary_.event_types);
    if (nearest.empty()) return Status::Ok();
    return Error(type, "no event has the type \"" + type.text + "\"", "did you mean \"" + nearest + "\"?");
  }

  Result<Node> AggregateCall() {
    const Token& name = Next();
    Next();  // (
    Node n;
    n.kind = Node::Kind::kAggregate;
    n.pos = name.pos;
    n.function = AsciiLower(name.text);
    static const std::pair<std::string_view, Aggregate> kAggregates[] = {
        {"count", Aggregate::kCount}, {"sum", Aggregate::kSum},     {"avg", Aggregate::kAvg},
        {"min", Aggregate::kMin},     {"max", Aggregate::kMax},     {"first", Aggregate::kFirst},
        {"last", Aggregate::kLast},   {"distinct", Aggregate::kDistinct}};
    for (auto [text, a] : kAggregates) {
      if (n.function == text) n.aggregate = a;
    }
    const Token& src = Next();
    std::string what = src.kind == Token::Kind::kIdent ? AsciiLower(src.text) : "";
    size_t dot = what.find('.');
    std::string source_name = what.substr(0, dot);
    if (source_name == "order" || source_name == "orders") {
      n.source = Source::kOrder;
    } else if (source_name == "purchase" || source_name == "purchases") {
      n.source = Source::kPurchase;
    } else if (source_name == "event" || source_name == "events") {
      n.source = Source::kEvent;
    } else {
      return Error(src, "expected order, purchase or event (as in " + n.function + "(order.amount)) but found " +
                            Describe(src));
    }
    if (dot != std::string::npos) n.aggregate_field = src.text.substr(dot + 1);
    if (!internal::IsAggregatable(n.source, n.aggregate_field, n.aggregate)) {
      if (n.aggregate == Aggregate::kCount) {
        return Error(src, "count(...) counts rows: write count(" + source_name + ")");
      }
      if (n.aggregate_field.empty()) {
        return Error(src, n.function + "(...) needs a field, as in " + n.function + "(" + source_name + ".amount)");
      }
      auto ref = internal::ResolveActivityField(n.source, n.aggregate_field);
      if (!ref.ok()) return Lexer::Error(src.pos, std::string(ref.status().message()));
      return Error(src, n.function + "(...) cannot be applied to " + source_name + "." + n.aggregate_field);
    }
    if (Accept(",")) RETURN_IF_ERROR(ArgumentList(n));
    RETURN_IF_ERROR(Expect(")"));
    // What the aggregate yields decides how it is compared.
    FieldRef result;
    result.name = n.function + "(...)";
    result.type = engine::ValueType::kNumber;
    if (n.aggregate == Aggregate::kMin || n.aggregate == Aggregate::kMax || n.aggregate == Aggregate::kFirst ||
        n.aggregate == Aggregate::kLast) {
      ASSIGN_OR_RETURN(FieldRef field, internal::ResolveActivityField(n.source, n.aggregate_field));
      result = field;
      result.name = n.function + "(" + source_name + "." + n.aggregate_field + ")";
    }
    n.field = result.name;
    RETURN_IF_ERROR(ComparisonTail(n, result));
    return n;
  }

  Result<Node> Reachable() {
    const Token& name = Next();
    Next();  // (
    Node n;
    n.kind = Node::Kind::kReachable;
    n.pos = name.pos;
    const Token& ch = Next();
    auto channel = engine::ParseChannel(AsciiLower(ch.text));
    if ((ch.kind != Token::Kind::kIdent && ch.kind != Token::Kind::kString) || !channel.ok()) {
      return Error(ch, "expected a channel (email, sms, phone, mail or push) but found " + Describe(ch));
    }
    n.channel = std::string(engine::ChannelName(*channel));
    n.purpose = "marketing";
    if (Accept(",")) {
      const Token& p = Next();
      if (p.kind != Token::Kind::kString || p.text.empty()) return Error(p, "expected the purpose in quotes");
      n.purpose = p.text;
    }
    RETURN_IF_ERROR(Expect(")"));
    return n;
  }

  Result<Node> SegmentRef() {
    const Token& name = Next();
    Next();  // (
    Node n;
    n.kind = Node::Kind::kSegmentRef;
    n.pos = name.pos;
    const Token& s = Next();
    if (s.kind != Token::Kind::kString || s.text.empty()) return Error(s, "expected the saved segment's name in quotes");
    if (!vocabulary_.saved_segments.empty()) {
      bool known = false;
      for (const auto& saved : vocabulary_.saved_segments) known = known || saved == s.text;
      if (!known) {
        std::string nearest = internal::Nearest(s.text, vocabulary_.saved_segments);
        return Error(s, "no saved segment is called \"" + s.text + "\"",
                     nearest.empty() ? "" : "did you mean \"" + nearest + "\"?");
      }
    }
    n.name = s.text;
    RETURN_IF_ERROR(Expect(")"));
    return n;
  }

  // recommended("phones"), propensity("phones") > 0.3: the category in quotes.
  Result<Node> ModelScore(const std::string& word) {
    const Token& name = Next();
    Next();  // (
    Node n;
    n.kind = word == "recommended" ? Node::Kind::kRecommended : Node::Kind::kPropensity;
    n.pos = name.pos;
    const Token& s = Next();
    if (s.kind != Token::Kind::kString || s.text.empty()) {
      return Error(s, "expected a product category in quotes, as in " + word + "(\"phones\")");
    }
    n.name = s.text;
    RETURN_IF_ERROR(Expect(")"));
    if (n.kind == Node::Kind::kPropensity) {
      FieldRef result;
      result.name = "propensity(...)";
      result.type = engine::ValueType::kNumber;
      n.field = result.name;
      RETURN_IF_ERROR(ComparisonTail(n, result));
    }
    return n;
  }

  Result<Node> Tagged() {
    const Token& name = Next();
    Next();  // (
    Node n;
    n.kind = Node::Kind::kTagged;
    n.pos = name.pos;
    do {
      const Token& s = Next();
      if (s.kind != Token::Kind::kString || s.text.empty()) return Error(s, "expected a tag in quotes");
      Value v;
      v.text = s.text;
      n.values.push_back(std::move(v));
    } while (Accept(","));
    RETURN_IF_ERROR(Expect(")"));
    return n;
  }

  std::vector<Token> tokens_;
  size_t at_ = 0;
  const Vocabulary& vocabulary_;
  int depth_ = 0;
};

}  // namespace

Result<Node> Parse(std::string_view text, const Vocabulary& vocabulary) {
  if (text.size() > 1 << 20) return InvalidArgument("the segment is longer than 1 MiB");
  Lexer lexer(text);
  ASSIGN_OR_RETURN(std::vector<Token> tokens, lexer.Run());
  // Deeply nested input would exhaust the stack: refuse it early.
  int depth = 0;
  for (const Token& t : tokens) {
    if (t.kind == Token::Kind::kPunct && t.text == "(") depth++;
    if (t.kind == Token::Kind::kPunct && t.text == ")") depth--;
    if (depth > 200) return Lexer::Error(t.pos, "parentheses nested more than 200 deep");
  }
  Parser parser(std::move(tokens), vocabulary);
  return parser.Segment();
}

}  // namespace patron::segment
