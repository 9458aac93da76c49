// The SQL emitter: a segment as one SELECT over Patron's schema, for SQLite
// and PostgreSQL. It answers exactly what the engine answers (the differential
// tests hold it to that): every condition is two-valued (a missing value makes a
// comparison false, never NULL), times are absolute, text is compared folded.
#include <sqlite3.h>

#include <cinttypes>
#include <cmath>
#include <map>
#include <cstdio>

#include "segment/fields.h"
#include "segment/segment.h"
#include "store/store.h"

namespace patron::segment {

namespace {

using internal::FieldRef;
using internal::NumericTest;
using internal::TextTest;
using engine::ValueType;

std::string Lit(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out.push_back('\'');
    out.push_back(c);
  }
  return out + "'";
}

std::string Num(double v) {
  char buf[64];
  if (v == std::floor(v) && std::fabs(v) < 9e15) {
    std::snprintf(buf, sizeof buf, "%" PRId64, static_cast<int64_t>(v));
  } else {
    std::snprintf(buf, sizeof buf, "%.17g", v);
  }
  return buf;
}

std::string DateLit(double yyyymmdd) {
  auto v = static_cast<int64_t>(yyyymmdd);
  char buf[32];
  std::snprintf(buf, sizeof buf, "'%04d-%02d-%02d'", static_cast<int>(v / 10000), static_cast<int>(v / 100 % 100),
                static_cast<int>(v % 100));
  return buf;
}

size_t CodePoints(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

std::string Scale(const std::string& currency) {
  // Mirrors CurrencyMinorDigits() in core.
  return "(CASE WHEN " + currency + " IN ('IRR','JPY','KRW','ISK','CLP','VND','IQD') THEN 1.0 WHEN " + currency +
         " IN ('KWD','BHD','OMR','JOD') THEN 1000.0 ELSE 100.0 END)";
}

class Emitter {
 public:
  Emitter(Dialect dialect, const EvalOptions& options) : d_(dialect), o_(options) {
    if (options.vocabulary) vocabulary_ = *options.vocabulary;
  }

  Result<std::string> Cond(const Node& n, int depth = 0) {
    if (depth > 64) return InvalidArgument("saved segments refer to each other too deeply (a cycle?)");
    switch (n.kind) {
      case Node::Kind::kAnd:
      case Node::Kind::kOr: {
        std::string s = "(";
        for (size_t i = 0; i < n.children.size(); ++i) {
          ASSIGN_OR_RETURN(std::string part, Cond(n.children[i], depth));
          if (i) s += n.kind == Node::Kind::kAnd ? " AND " : " OR ";
          s += part;
        }
        return s + ")";
      }
      case Node::Kind::kNot: {
        ASSIGN_OR_RETURN(std::string part, Cond(n.children.at(0), depth));
        return "(NOT " + part + ")";
      }
      case Node::Kind::kCompare: return Compare(n);
      case Node::Kind::kTagged: {
        std::string list;
        for (const Value& v : n.values) list += (list.empty() ? "" : ", ") + Lit(FoldForMatching(v.text));
        return "EXISTS (SELECT 1 FROM customer_tags t WHERE t.customer_id = c.id AND " + Fold("t.tag") + " IN (" +
               list + "))";
      }
      case Node::Kind::kActivity: {
        ASSIGN_OR_RETURN(Rows rows, RowsOf(n));
        return "EXISTS (SELECT 1 " + rows.from + " WHERE " + rows.where + ")";
      }
      case Node::Kind::kAggregate: return AggregateCond(n);
      case Node::Kind::kSequence: return Sequence(n);
      case Node::Kind::kReachable: return Reachable(n);
      case Node::Kind::kRecommended: {
        Value category;
        category.text = n.name;
        return "EXISTS (SELECT 1 FROM customer_recommendations rr JOIN products rp ON rp.id = rr.product_id "
               "WHERE rr.customer_id = c.id AND rp.category_id IN " +
               CategorySet({category}) + ")";
      }
      case Node::Kind::kPropensity: {
        Value category;
        category.text = n.name;
        ASSIGN_OR_RETURN(NumericTest t, internal::CompileNumeric(n, engine::ValueType::kNumber, false, o_.now));
        std::string expr = "(SELECT max(cp.p_30d) FROM customer_category_propensity cp WHERE cp.customer_id = c.id "
                           "AND cp.category_id IN " +
                           CategorySet({category}) + ")";
        return Numeric(expr, expr + " IS NOT NULL", t, false);
      }
      case Node::Kind::kSegmentRef: {
        if (!o_.resolve) return FailedPrecondition("segment(\"" + n.name + "\") needs saved segments");
        ASSIGN_OR_RETURN(Node saved, o_.resolve(n.name));
        ASSIGN_OR_RETURN(std::string part, Cond(saved, depth + 1));
        return "(" + part + ")";
      }
    }
    return Internal("unknown segment node");
  }

 private:
  std::string Fold(const std::string& expr) const {
    if (d_ == Dialect::kSqlite) return "patron_fold(" + expr + ")";
    if (d_ == Dialect::kPostgres) {
      // As the engine folds (FoldForMatching): lower case, compatibility
      // decomposition, then without combining marks (Latin diacritics, Arabic
      // harakat, tatweel), so "Göteborg" starts with "gote" in both. Needs a
      // UTF8 database (normalize() exists from PostgreSQL 13).
      return "regexp_replace(normalize(lower(" + expr +
             "), NFKD), E'[\\u0300-\\u036F\\u0610-\\u061A\\u064B-\\u065F\\u0670\\u06D6-\\u06ED\\u0640]', "
             "'', 'g')";
    }
    return "lower(" + expr + ")";
  }

  std::string Text(const std::string& expr, const TextTest& t) const {
    std::string present = "coalesce(" + expr + ", '') <> ''";
    if (d_ != Dialect::kSqlite) present = "coalesce(CAST(" + expr + " AS text), '') <> ''";
    if (t.mode == TextTest::Mode::kMissing) return t.negate ? "(" + present + ")" : "(NOT (" + present + "))";
    std::string folded = Fold(d_ != Dialect::kSqlite ? "CAST(" + expr + " AS text)" : expr);
    std::string hit;
    switch (t.mode) {
      case TextTest::Mode::kEqualsAny: {
        std::string list;
        for (const auto& f : t.folded) list += (list.empty() ? "" : ", ") + Lit(f);
        hit = folded + " IN (" + list + ")";
        break;
      }
      case TextTest::Mode::kContains:
        for (const auto& f : t.folded) {
          hit += (hit.empty() ? "" : " OR ") + (d_ == Dialect::kSqlite ? "instr(" + folded + ", " + Lit(f) + ") > 0"
                                                                       : "strpos(" + folded + ", " + Lit(f) + ") > 0");
        }
        break;
      case TextTest::Mode::kStartsWith:
        for (const auto& f : t.folded) {
          std::string n = std::to_string(CodePoints(f));
          hit += (hit.empty() ? "" : " OR ") + (d_ == Dialect::kSqlite ? "substr(" + folded + ", 1, " + n + ") = " + Lit(f)
                                                                       : "left(" + folded + ", " + n + ") = " + Lit(f));
        }
        break;
      case TextTest::Mode::kMissing: break;
    }
    return "(" + present + " AND " + (t.negate ? "NOT " : "") + "(" + hit + "))";
  }

  // `present` is the SQL that says the value exists (and is of the right type).
  std::string Numeric(const std::string& expr, const std::string& present, const NumericTest& t, bool dates) const {
    if (t.only_missing_matters) return t.match_missing ? "(NOT (" + present + "))" : "(" + present + ")";
    std::string any;
    for (const auto& i : t.any) {
      std::string part;
      auto bound = [&](double v) { return dates ? DateLit(v) : Num(v); };
      if (std::isfinite(i.lo)) part = expr + (i.lo_inclusive ? " >= " : " > ") + bound(i.lo);
      if (std::isfinite(i.hi)) {
        part += (part.empty() ? "" : " AND ") + expr + (i.hi_inclusive ? " <= " : " < ") + bound(i.hi);
      }
      if (part.empty()) part = "1 = 1";
      any += (any.empty() ? "" : " OR ") + ("(" + part + ")");
    }
    if (any.empty()) any = "1 = 0";
    std::string s = "(" + present + " AND " + (t.negate ? "NOT " : "") + "(" + any + "))";
    if (t.match_missing) s = "(" + s + " OR NOT (" + present + "))";
    return s;
  }

  // Whether an event property's value (as RowExpr gives it) is a JSON number.
  std::string IsNumber(const std::string& expr) const {
    switch (d_) {
      case Dialect::kSqlite: return "typeof(" + expr + ") IN ('integer', 'real')";
      case Dialect::kPostgres: return "jsonb_typeof(" + expr + ") = 'number'";
      case Dialect::kDuckDb: return "json_type(" + expr + ") IN ('BIGINT', 'UBIGINT', 'DOUBLE')";
    }
    return "";
  }
  // A numeric property value from RowExpr(..., numeric = true).
  std::string NumberValue(const std::string& expr) const {
    switch (d_) {
      case Dialect::kSqlite: return expr;
      case Dialect::kPostgres: return "CAST(" + expr + " #>> '{}' AS double precision)";
      case Dialect::kDuckDb: return "TRY_CAST(json_extract_string(" + expr + ", '$') AS DOUBLE)";
    }
    return expr;
  }


  Result<std::string> Compare(const Node& c) {
    ASSIGN_OR_RETURN(FieldRef ref, internal::ResolveProfileField(c.field, vocabulary_));
    std::string expr;
    switch (ref.scope) {
      case FieldRef::Scope::kAccount: {
        std::string col = ref.name == "revenue" ? "(a.revenue_minor / " + Scale("a.currency") + ")" : "a." + ref.name;
        ASSIGN_OR_RETURN(std::string cond, Field(c, col, ref.type, ref.name == "revenue" ? "a.revenue_minor" : ""));
        return "EXISTS (SELECT 1 FROM account_members am JOIN accounts a ON a.id = am.account_id "
               "WHERE am.customer_id = c.id AND " + cond + ")";
      }
      case FieldRef::Scope::kAttribute: {
        expr = "(SELECT v.value FROM customer_attributes v WHERE v.customer_id = c.id AND v.name = " + Lit(ref.name) + ")";
        if (ref.type == ValueType::kText || ref.type == ValueType::kDate) return Field(c, expr, ref.type, "");
        ASSIGN_OR_RETURN(NumericTest t, internal::CompileNumeric(c, ref.type, false, o_.now));
        std::string present =
            d_ == Dialect::kSqlite ? "typeof(" + expr + ") IN ('integer', 'real')" : expr + " IS NOT NULL";
        return Numeric(expr, present, t, false);
      }
      case FieldRef::Scope::kAge: {
        ASSIGN_OR_RETURN(NumericTest t, internal::CompileNumeric(c, ValueType::kDate, true, o_.now));
        return Numeric("c.birth_date", "c.birth_date IS NOT NULL", t, true);
      }
      case FieldRef::Scope::kTrait: {
        static const std::map<std::string, std::string> kColumns = {
            {"rfm", "t.rfm_segment"},
            {"lifecycle", "t.lifecycle_stage"},
            {"expected_order_value", "(t.expected_order_value_minor / " + Scale("t.currency") + ")"},
            {"clv_12m", "(t.clv_12m_minor / " + Scale("t.currency") + ")"}};
        auto it = kColumns.find(ref.name);
        std::string column = it != kColumns.end() ? it->second : "t." + ref.name;
        expr = "(SELECT " + column + " FROM customer_traits t WHERE t.customer_id = c.id)";
        return Field(c, expr, ref.type, "");
      }
      default:
        expr = ref.name == "source" ? "(SELECT s.name FROM sources s WHERE s.id = c.source_id)" : "c." + ref.name;
        return Field(c, expr, ref.type, "");
    }
  }

  // A comparison on a typed column expression.
  Result<std::string> Field(const Node& c, const std::string& expr, ValueType type,
                            const std::string& presence_column) {
    if (type == ValueType::kText) {
      ASSIGN_OR_RETURN(TextTest t, internal::CompileText(c));
      return Text(expr, t);
    }
    ASSIGN_OR_RETURN(NumericTest t, internal::CompileNumeric(c, type, false, o_.now));
    std::string present = (presence_column.empty() ? expr : presence_column) + " IS NOT NULL";
    return Numeric(expr, present, t, type == ValueType::kDate);
  }

  struct Rows {
    std::string from, where, time, order;  // order: the engine's row order
  };

  // Per-subquery aliases so that nested subqueries never clash.
  std::string Alias(const char* base, int id) const { return std::string(base) + std::to_string(id); }

  struct RowContext {
    Source source;
    int id;
  };

  Result<std::string> RowExpr(const RowContext& rc, const FieldRef& ref, bool numeric) const {
    std::string o = Alias("o", rc.id), l = Alias("l", rc.id), p = Alias("p", rc.id), e = Alias("e", rc.id);
    if (ref.name == "at" && ref.scope == FieldRef::Scope::kActivity) {
      return rc.source == Source::kEvent ? e + ".occurred_at" : o + ".ordered_at";
    }
    if (ref.scope == FieldRef::Scope::kProperty) {
      std::string path = "$.\"";
      for (char ch : ref.name) {
        if (ch == '"' || ch == '\\') path.push_back('\\');
        path.push_back(ch);
      }
      path += "\"";
      if (d_ == Dialect::kSqlite) return "json_extract(" + e + ".properties, " + Lit(path) + ")";
      if (d_ == Dialect::kDuckDb) {
        return numeric ? "json_extract(" + e + ".properties, " + Lit(path) + ")"
                       : "json_extract_string(" + e + ".properties, " + Lit(path) + ")";
      }
      return numeric ? "(" + e + ".properties::jsonb -> " + Lit(ref.name) + ")"
                     : "(" + e + ".properties::jsonb ->> " + Lit(ref.name) + ")";
    }
    if (ref.scope == FieldRef::Scope::kCategory) return p + ".category_id";
    const std::string& f = ref.name;
    switch (rc.source) {
      case Source::kEvent: return e + ".type";
      case Source::kOrder:
        if (f == "amount") return "(" + o + ".total_minor / " + Scale(o + ".currency") + ")";
        return o + "." + f;
      case Source::kPurchase:
        if (f == "amount") {
          return "((" + l + ".quantity * " + l + ".unit_price_minor - " + l + ".discount_minor) / " +
                 Scale(o + ".currency") + ")";
        }
        if (f == "price") return "(" + l + ".unit_price_minor / " + Scale(o + ".currency") + ")";
        if (f == "quantity") return l + ".quantity";
        if (f == "sku") return p + ".sku";
        if (f == "product") return p + ".name";
        if (f == "brand") return p + ".brand";
        return o + "." + f;
    }
    return Internal("unknown field");
  }

  // The categories a name means, with their descendants, as a SQL subquery.
  std::string CategorySet(const std::vector<Value>& values) const {
    std::string direct;
    for (const Value& v : values) {
      std::string f = FoldForMatching(v.text);
      std::string slug = Fold("k.slug");
      std::string cond = slug + " = " + Lit(f) + " OR " + Fold("k.name") + " = " + Lit(f);
      if (f.find('/') == std::string::npos) {
        std::string n = std::to_string(CodePoints(f) + 1);
        cond += d_ == Dialect::kSqlite ? " OR substr(" + slug + ", -" + n + ") = " + Lit("/" + f)
                                       : " OR right(" + slug + ", " + n + ") = " + Lit("/" + f);
      }
      direct += (direct.empty() ? "" : " OR ") + ("(" + cond + ")");
    }
    return "(WITH RECURSIVE m(id) AS (SELECT k.id FROM categories k WHERE " + direct +
           " UNION SELECT k2.id FROM categories k2 JOIN m ON k2.parent_id = m.id) SELECT id FROM m)";
  }

  Result<std::string> Filter(const RowContext& rc, const Node& c) {
    ASSIGN_OR_RETURN(FieldRef ref, internal::ResolveActivityField(rc.source, c.field));
    if (ref.scope == FieldRef::Scope::kCategory) {
      std::string col = Alias("p", rc.id) + ".category_id";
      switch (c.op) {
        case Op::kIsMissing: return "(" + col + " IS NULL)";
        case Op::kIsNotMissing: return "(" + col + " IS NOT NULL)";
        case Op::kEq:
        case Op::kIn: return "(" + col + " IN " + CategorySet(c.values) + ")";
        case Op::kNe:
        case Op::kNotIn: return "(" + col + " IS NOT NULL AND " + col + " NOT IN " + CategorySet(c.values) + ")";
        default: return InvalidArgument("category is matched by name: use =, !=, in, not in or is missing");
      }
    }
    if (ref.scope == FieldRef::Scope::kProperty) {
      bool numeric = internal::NumericLiterals(c);
      ASSIGN_OR_RETURN(std::string expr, RowExpr(rc, ref, numeric));
      if (!numeric) {
        ASSIGN_OR_RETURN(TextTest t, internal::CompileText(c));
        return Text(expr, t);
      }
      ASSIGN_OR_RETURN(NumericTest t, internal::CompileNumeric(c, ValueType::kNumber, false, o_.now));
      return Numeric(NumberValue(expr), IsNumber(expr), t, false);
    }
    ASSIGN_OR_RETURN(std::string expr, RowExpr(rc, ref, ref.type != ValueType::kText));
    return Field(c, expr, ref.type, "");
  }

  Result<Rows> RowsOf(const Node& n) {
    RowContext rc{n.source, ++next_alias_};
    std::string o = Alias("o", rc.id), l = Alias("l", rc.id), p = Alias("p", rc.id), e = Alias("e", rc.id);
    Rows rows;
    switch (n.source) {
      case Source::kPurchase:
        rows.from = "FROM orders " + o + " JOIN order_lines " + l + " ON " + l + ".order_id = " + o + ".id LEFT JOIN products " +
                    p + " ON " + p + ".id = " + l + ".product_id";
        rows.where = o + ".customer_id = c.id";
        rows.time = o + ".ordered_at";
        rows.order = o + ".ordered_at %s, " + o + ".id %s, " + l + ".line_no %s";
        break;
      case Source::kOrder:
        rows.from = "FROM orders " + o;
        rows.where = o + ".customer_id = c.id";
        rows.time = o + ".ordered_at";
        rows.order = o + ".ordered_at %s, " + o + ".id %s";
        break;
      case Source::kEvent:
        rows.from = "FROM events " + e;
        rows.where = e + ".customer_id = c.id";
        rows.time = e + ".occurred_at";
        rows.order = e + ".occurred_at %s, " + e + ".id %s";
        break;
    }
    ASSIGN_OR_RETURN(internal::TimeRange w, internal::CompileWindow(n.window, o_.now));
    if (w.lo != std::numeric_limits<int64_t>::min()) rows.where += " AND " + rows.time + " >= " + Num(static_cast<double>(w.lo));
    if (w.hi != std::numeric_limits<int64_t>::max()) rows.where += " AND " + rows.time + " <= " + Num(static_cast<double>(w.hi));
    if (w.month_test) {
      if (d_ == Dialect::kSqlite) {
        std::string ym = "patron_calendar_month(" + rows.time + ", " + Lit(internal::CalendarName(w.calendar)) + ")";
        rows.where += " AND " + ym + " % 100 = " + std::to_string(w.month);
        if (w.year) rows.where += " AND " + ym + " / 100 = " + std::to_string(w.year);
      } else {
        if (w.calendar != Calendar::kGregorian) {
          return FailedPrecondition("months of the Persian and Hijri calendars are only available in SQLite SQL");
        }
        std::string ts = d_ == Dialect::kDuckDb ? "make_timestamp(" + rows.time + ")"
                                                : "(to_timestamp(" + rows.time + " / 1000000.0) AT TIME ZONE 'UTC')";
        rows.where += " AND extract(month from " + ts + ") = " + std::to_string(w.month);
        if (w.year) rows.where += " AND extract(year from " + ts + ") = " + std::to_string(w.year);
      }
    }
    if (n.source == Source::kEvent && !n.event_type.empty()) {
      rows.where += " AND " + Fold(e + ".type") + " = " + Lit(FoldForMatching(n.event_type));
    }
    for (const Node& f : n.filters) {
      ASSIGN_OR_RETURN(std::string cond, Filter(rc, f));
      rows.where += " AND " + cond;
    }
    rows_context_ = rc;
    return rows;
  }

  static std::string Ordered(const std::string& pattern, const char* direction) {
    std::string out;
    for (size_t i = 0; i < pattern.size(); ++i) {
      if (pattern[i] == '%' && i + 1 < pattern.size() && pattern[i + 1] == 's') {
        out += direction;
        ++i;
      } else {
        out.push_back(pattern[i]);
      }
    }
    return out;
  }

  Result<std::string> AggregateCond(const Node& n) {
    ASSIGN_OR_RETURN(Rows rows, RowsOf(n));
    RowContext rc = rows_context_;
    Aggregate agg = n.aggregate;
    if (agg == Aggregate::kCount) {
      ASSIGN_OR_RETURN(NumericTest t, internal::CompileNumeric(n, ValueType::kNumber, false, o_.now));
      return Numeric("(SELECT count(*) " + rows.from + " WHERE " + rows.where + ")", "1 = 1", t, false);
    }
    ASSIGN_OR_RETURN(FieldRef ref, internal::ResolveActivityField(n.source, n.aggregate_field));
    bool property = ref.scope == FieldRef::Scope::kProperty;
    bool numeric;
    if (property) {
      numeric = agg == Aggregate::kSum || agg == Aggregate::kAvg || agg == Aggregate::kMin || agg == Aggregate::kMax ||
                ((agg == Aggregate::kFirst || agg == Aggregate::kLast) && internal::NumericLiterals(n));
    } else {
      numeric = ref.type != ValueType::kText;
    }
    ASSIGN_OR_RETURN(std::string x, RowExpr(rc, ref, numeric));
    if (property && numeric) {
      // Only JSON numbers count as numbers.
      x = "(CASE WHEN " + IsNumber(x) + " THEN " + NumberValue(x) + " END)";
    }
    std::string sub = rows.from + " WHERE " + rows.where;
    switch (agg) {
      case Aggregate::kSum: {
        ASSIGN_OR_RETURN(NumericTest t, internal::CompileNumeric(n, ValueType::kNumber, false, o_.now));
        return Numeric("(SELECT coalesce(sum(" + x + "), 0) " + sub + ")", "1 = 1", t, false);
      }
      case Aggregate::kAvg:
      case Aggregate::kMin:
      case Aggregate::kMax: {
        std::string fn = agg == Aggregate::kAvg ? "avg" : agg == Aggregate::kMin ? "min" : "max";
        ValueType type = agg == Aggregate::kAvg || property ? ValueType::kNumber : ref.type;
        ASSIGN_OR_RETURN(NumericTest t, internal::CompileNumeric(n, type, false, o_.now));
        std::string v = "(SELECT " + fn + "(" + x + ") " + sub + ")";
        return Numeric(v, v + " IS NOT NULL", t, false);
      }
      case Aggregate::kDistinct: {
        ASSIGN_OR_RETURN(NumericTest t, internal::CompileNumeric(n, ValueType::kNumber, false, o_.now));
        std::string value = x;
        if (ref.scope == FieldRef::Scope::kCategory) {
          value = x;
        } else if (!numeric) {
          value = "NULLIF(CAST(" + x + " AS " + (d_ == Dialect::kSqlite ? "TEXT" : "text") + "), '')";
        }
        return Numeric("(SELECT count(DISTINCT " + value + ") " + sub + ")", "1 = 1", t, false);
      }
      case Aggregate::kFirst:
      case Aggregate::kLast: {
        std::string order = Ordered(rows.order, agg == Aggregate::kFirst ? "ASC" : "DESC");
        std::string v = "(SELECT " + x + " " + sub + " ORDER BY " + order + " LIMIT 1)";
        if (!numeric) {
          ASSIGN_OR_RETURN(TextTest t, internal::CompileText(n));
          return Text(v, t);
        }
        ValueType type = property ? ValueType::kNumber : ref.type;
        ASSIGN_OR_RETURN(NumericTest t, internal::CompileNumeric(n, type, false, o_.now));
        return Numeric(v, v + " IS NOT NULL", t, false);
      }
      case Aggregate::kCount: break;
    }
    return Internal("unknown aggregate");
  }

  Result<std::string> Sequence(const Node& n) {
    ASSIGN_OR_RETURN(Rows first, RowsOf(n.children.at(0)));
    ASSIGN_OR_RETURN(Rows then, RowsOf(n.children.at(1)));
    std::string gap = Num(static_cast<double>(internal::FixedMicros(n.then_within)));
    std::string inner = "EXISTS (SELECT 1 " + then.from + " WHERE " + then.where + " AND " + then.time + " > " +
                        first.time + " AND " + then.time + " <= " + first.time + " + " + gap + ")";
    std::string where = first.where;
    if (n.then_not) {
      where += " AND " + first.time + " + " + gap + " <= " + Num(static_cast<double>(o_.now.micros));
      inner = "NOT " + inner;
    }
    return "EXISTS (SELECT 1 " + first.from + " WHERE " + where + " AND " + inner + ")";
  }

  Result<std::string> Reachable(const Node& n) {
    std::string kind_cond;
    if (n.channel == "email") {
      kind_cond = "cp.kind = 'email'";
    } else if (n.channel == "sms") {
      kind_cond = "cp.kind = 'phone' AND cp.phone_type IN ('mobile', 'fixed_line_or_mobile')";
    } else if (n.channel == "phone") {
      kind_cond = "cp.kind = 'phone'";
    } else if (n.channel == "mail") {
      kind_cond = "cp.kind = 'address'";
    } else {
      return std::string("(1 = 0)");  // push: no device tokens are stored yet
    }
    int64_t cutoff = o_.now.micros - o_.freshness_days * 86'400'000'000LL;
    return "(EXISTS (SELECT 1 FROM current_consents k WHERE k.customer_id = c.id AND k.channel = " +
           Lit(n.channel) + " AND k.purpose = " + Lit(n.purpose) +
           " AND k.status = 'granted') AND EXISTS (SELECT 1 FROM contact_points cp "
           "WHERE cp.customer_id = c.id AND cp.status = 'verified' AND " +
           kind_cond + " AND (cp.last_seen_at >= " + Num(static_cast<double>(cutoff)) +
           " OR cp.last_verified_at >= " + Num(static_cast<double>(cutoff)) + ")))";
  }

  Dialect d_;
  const EvalOptions& o_;
  Vocabulary vocabulary_;
  int next_alias_ = 0;
  RowContext rows_context_{Source::kOrder, 0};
};

void FoldFunction(sqlite3_context* ctx, int, sqlite3_value** argv) {
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
    sqlite3_result_null(ctx);
    return;
  }
  const char* text = reinterpret_cast<const char*>(sqlite3_value_text(argv[0]));
  std::string_view view(text ? text : "", static_cast<size_t>(sqlite3_value_bytes(argv[0])));
  std::string folded = IsValidUtf8(view) ? FoldForMatching(view) : std::string(view);
  sqlite3_result_text(ctx, folded.data(), static_cast<int>(folded.size()), SQLITE_TRANSIENT);
}

void CalendarMonthFunction(sqlite3_context* ctx, int, sqlite3_value** argv) {
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
    sqlite3_result_null(ctx);
    return;
  }
  std::string_view name(reinterpret_cast<const char*>(sqlite3_value_text(argv[1])),
                        static_cast<size_t>(sqlite3_value_bytes(argv[1])));
  Calendar calendar = name == "persian" ? Calendar::kPersian : name == "hijri" ? Calendar::kIslamicCivil
                                                                               : Calendar::kGregorian;
  sqlite3_result_int(ctx, internal::CalendarMonthOf(sqlite3_value_int64(argv[0]), calendar));
}

}  // namespace

Result<std::string> EmitSql(const Node& node, Dialect dialect, const EvalOptions& options) {
  Emitter e(dialect, options);
  ASSIGN_OR_RETURN(std::string cond, e.Cond(node));
  return "SELECT c.id FROM customers c WHERE " + cond + " ORDER BY c.id";
}

Status RegisterSqlFunctions(Database& db) {
  int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC;
  int rc = sqlite3_create_function(db.handle(), "patron_fold", 1, flags, nullptr, FoldFunction, nullptr, nullptr);
  if (rc != SQLITE_OK) return SqliteStatus(rc, db.handle(), "registering patron_fold");
  rc = sqlite3_create_function(db.handle(), "patron_calendar_month", 2, flags, nullptr, CalendarMonthFunction, nullptr,
                               nullptr);
  if (rc != SQLITE_OK) return SqliteStatus(rc, db.handle(), "registering patron_calendar_month");
  return Status::Ok();
}

}  // namespace patron::segment
