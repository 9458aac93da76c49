// Evaluating a segment over the engine snapshot. Every condition becomes a
// bitmap of dense customer indexes; scans over customers are split across
// threads. Semantics are shared with the SQL emitter through fields.h.
#include <roaring/roaring.hh>

#include <algorithm>
#include <chrono>
#include <thread>
#include <unordered_set>

#include "engine/engine.h"
#include "segment/fields.h"
#include "segment/segment.h"

namespace patron::segment {

namespace {

using engine::Snapshot;
using internal::FieldRef;
using internal::NumericTest;
using internal::TextTest;
using Bitmap = ::Roaring;

// Reads one field of the rows of one activity source (or of a customer).
struct Accessor {
  enum class Kind { kCode, kProductCode, kCategory, kNumber, kTime, kPropertyCode, kPropertyNumber };
  Kind kind = Kind::kCode;
  const uint32_t* codes = nullptr;          // kCode
  const uint32_t* product = nullptr;        // kProductCode, kCategory
  const uint32_t* product_codes = nullptr;  // kProductCode
  const int32_t* category = nullptr;        // kCategory
  const double* numbers = nullptr;          // kNumber
  const int64_t* at = nullptr;              // kTime
  const engine::PropertyColumn* property = nullptr;
  const engine::Dictionary* dict = nullptr;  // text kinds: what codes mean
  size_t code_space = 0;                     // number of distinct codes (text kinds)

  bool is_text() const {
    return kind == Kind::kCode || kind == Kind::kProductCode || kind == Kind::kCategory || kind == Kind::kPropertyCode;
  }
  uint32_t Code(uint32_t row) const {
    switch (kind) {
      case Kind::kCode: return codes[row];
      case Kind::kProductCode: return product[row] == UINT32_MAX ? 0 : product_codes[product[row]];
      case Kind::kCategory: {
        if (product[row] == UINT32_MAX) return 0;
        return static_cast<uint32_t>(category[product[row]] + 1);
      }
      case Kind::kPropertyCode:
      case Kind::kPropertyNumber: return property->codes[row];
      default: return 0;
    }
  }
  double Number(uint32_t row) const {
    switch (kind) {
      case Kind::kNumber: return numbers[row];
      case Kind::kTime: return static_cast<double>(at[row]);
      case Kind::kPropertyNumber: return property->numbers[property->codes[row]];
      default: return engine::kMissing;
    }
  }
};

// A filter over rows: an accessor and either an accept table over its codes or a numeric test.
struct RowFilter {
  Accessor field;
  std::vector<uint8_t> accept;  // text kinds
  NumericTest numeric;          // numeric kinds
  bool Test(uint32_t row) const {
    if (field.is_text()) return accept[field.Code(row)] != 0;
    return numeric.Test(field.Number(row));
  }
};

struct RowSource {
  const engine::Grouped* rows = nullptr;
  internal::TimeRange window;
  std::vector<RowFilter> filters;

  // Calls f(row) for every row of customer c inside the window that passes the filters.
  template <typename F>
  bool ForEach(uint32_t c, F&& f) const {
    const int64_t* at = rows->at.data();
    uint32_t begin = rows->offsets[c], end = rows->offsets[c + 1];
    if (window.lo != std::numeric_limits<int64_t>::min()) {
      begin = static_cast<uint32_t>(std::lower_bound(at + begin, at + end, window.lo) - at);
    }
    if (window.hi != std::numeric_limits<int64_t>::max()) {
      end = static_cast<uint32_t>(std::upper_bound(at + begin, at + end, window.hi) - at);
    }
    for (uint32_t r = begin; r < end; ++r) {
      if (window.month_test) {
        int ym = internal::CalendarMonthOf(at[r], window.calendar);
        if (ym % 100 != window.month || (window.year != 0 && ym / 100 != window.year)) continue;
      }
      bool pass = true;
      for (const RowFilter& filter : filters) {
        if (!filter.Test(r)) {
          pass = false;
          break;
        }
      }
      if (pass && !f(r)) return false;  // f returns false to stop early
    }
    return true;
  }
};

class Evaluator {
 public:
  Evaluator(const Snapshot& s, const EvalOptions& o) : s_(s), o_(o), n_(s.customer_count()) {}

  Result<Bitmap> Eval(const Node& node, int depth = 0) {
    if (depth > 64) return InvalidArgument("saved segments refer to each other too deeply (a cycle?)");
    switch (node.kind) {
      case Node::Kind::kAnd: {
        Bitmap result;
        bool first = true;
        for (const Node& c : node.children) {
          ASSIGN_OR_RETURN(Bitmap b, Eval(c, depth));
          if (first) {
            result = std::move(b);
            first = false;
          } else {
            result &= b;
          }
          if (result.isEmpty()) break;
        }
        return result;
      }
      case Node::Kind::kOr: {
        Bitmap result;
        for (const Node& c : node.children) {
          ASSIGN_OR_RETURN(Bitmap b, Eval(c, depth));
          result |= b;
        }
        return result;
      }
      case Node::Kind::kNot: {
        ASSIGN_OR_RETURN(Bitmap b, Eval(node.children.at(0), depth));
        b.flip(0, n_);
        return b;
      }
      case Node::Kind::kCompare: return Compare(node);
      case Node::Kind::kTagged: {
        Bitmap result;
        for (const Value& v : node.values) {
          auto it = s_.tags.find(FoldForMatching(v.text));
          if (it != s_.tags.end()) result |= *it->second;
        }
        return result;
      }
      case Node::Kind::kActivity: {
        ASSIGN_OR_RETURN(RowSource src, Rows(node));
        return Scan([&src](uint32_t c) {
          bool any = false;
          src.ForEach(c, [&](uint32_t) {
            any = true;
            return false;
          });
          return any;
        });
      }
      case Node::Kind::kAggregate: return AggregateScan(node);
      case Node::Kind::kSequence: return SequenceScan(node);
      case Node::Kind::kReachable: return Reachable(node);
      case Node::Kind::kSegmentRef: {
        if (!o_.resolve) return FailedPrecondition("segment(\"" + node.name + "\") needs saved segments");
        ASSIGN_OR_RETURN(Node saved, o_.resolve(node.name));
        return Eval(saved, depth + 1);
      }
    }
    return Internal("unknown segment node");
  }

 private:
  // Customers for which `pred(c)` holds, scanned on o_.threads threads.
  template <typename Pred>
  Bitmap Scan(Pred&& pred) {
    int threads = std::max(1, std::min(o_.threads, static_cast<int>(n_ / 4096) + 1));
    std::vector<std::vector<uint32_t>> parts(threads);
    auto work = [&](int t) {
      uint32_t begin = static_cast<uint32_t>(uint64_t{n_} * t / threads);
      uint32_t end = static_cast<uint32_t>(uint64_t{n_} * (t + 1) / threads);
      auto& out = parts[t];
      for (uint32_t c = begin; c < end; ++c) {
        if (pred(c)) out.push_back(c);
      }
    };
    if (threads == 1) {
      work(0);
    } else {
      std::vector<std::thread> pool;
      for (int t = 1; t < threads; ++t) pool.emplace_back(work, t);
      work(0);
      for (auto& th : pool) th.join();
    }
    Bitmap result;
    for (const auto& p : parts) result.addMany(p.size(), p.data());
    return result;
  }

  static std::vector<uint8_t> AcceptTable(const engine::Dictionary& dict, const TextTest& test) {
    std::vector<uint8_t> accept(dict.size());
    for (size_t i = 0; i < dict.size(); ++i) accept[i] = test.Test(i == 0, dict.folded[i]) ? 1 : 0;
    return accept;
  }

  // Whether a comparison on an untyped field (event property, undeclared
  // attribute) compares numbers: when every literal is a number or yes/no.
  static bool NumericLiterals(const Node& c) {
    if (c.values.empty()) return false;
    for (const Value& v : c.values) {
      if (v.kind != Value::Kind::kNumber && v.kind != Value::Kind::kBoolean) return false;
    }
    return true;
  }

  Result<RowFilter> CompileFilter(const Node& c, const FieldRef& ref, Accessor field) {
    RowFilter f;
    f.field = field;
    if (field.is_text()) {
      ASSIGN_OR_RETURN(TextTest test, internal::CompileText(c));
      f.accept = AcceptTable(*field.dict, test);
    } else {
      ASSIGN_OR_RETURN(f.numeric, internal::CompileNumeric(c, ref.type, false, o_.now));
    }
    return f;
  }

  // The accessor for an activity field, and its filter.
  Result<Accessor> ActivityAccessor(Source source, const FieldRef& ref, bool numeric_literals) {
    Accessor a;
    const auto& orders = s_.orders;
    const auto& purchases = s_.purchases;
    const auto& products = s_.products;
    if (ref.name == "at") {
      a.kind = Accessor::Kind::kTime;
      a.at = source == Source::kOrder      ? orders.at.data()
             : source == Source::kPurchase ? purchases.at.data()
                                           : s_.events.at.data();
      return a;
    }
    if (ref.scope == FieldRef::Scope::kProperty) {
      ASSIGN_OR_RETURN(a.property, s_.Property(ref.name));
      a.kind = numeric_literals ? Accessor::Kind::kPropertyNumber : Accessor::Kind::kPropertyCode;
      a.dict = &a.property->dict;
      return a;
    }
    if (ref.scope == FieldRef::Scope::kCategory) {
      a.kind = Accessor::Kind::kCategory;
      a.product = purchases.product.data();
      a.category = products.category.data();
      return a;
    }
    if (source == Source::kEvent) {  // type
      a.kind = Accessor::Kind::kCode;
      a.codes = s_.events.type.data();
      a.dict = &s_.events.types;
      return a;
    }
    const std::string& f = ref.name;
    if (source == Source::kOrder) {
      if (f == "amount") {
        a.kind = Accessor::Kind::kNumber;
        a.numbers = orders.amount.data();
        return a;
      }
      a.kind = Accessor::Kind::kCode;
      a.codes = f == "channel" ? orders.channel.data() : f == "status" ? orders.status.data() : orders.currency.data();
      a.dict = f == "channel" ? &orders.channels : f == "status" ? &orders.statuses : &orders.currencies;
      return a;
    }
    // Purchases.
    if (f == "amount" || f == "quantity" || f == "price") {
      a.kind = Accessor::Kind::kNumber;
      a.numbers = f == "amount" ? purchases.amount.data() : f == "quantity" ? purchases.quantity.data()
                                                                            : purchases.unit_price.data();
      return a;
    }
    if (f == "sku" || f == "product" || f == "brand") {
      const engine::Column& col = f == "sku" ? products.sku : f == "product" ? products.name : products.brand;
      a.kind = Accessor::Kind::kProductCode;
      a.product = purchases.product.data();
      a.product_codes = col.codes.data();
      a.dict = &col.dict;
      return a;
    }
    a.kind = Accessor::Kind::kCode;
    a.codes = f == "channel" ? purchases.order_channel.data() : f == "status" ? purchases.status.data()
                                                                              : purchases.currency.data();
    a.dict = f == "channel" ? &orders.channels : f == "status" ? &orders.statuses : &orders.currencies;
    return a;
  }

  Result<RowFilter> ActivityFilter(Source source, const Node& c) {
    ASSIGN_OR_RETURN(FieldRef ref, internal::ResolveActivityField(source, c.field));
    bool numeric = ref.scope == FieldRef::Scope::kProperty ? NumericLiterals(c) : ref.type != engine::ValueType::kText;
    if (ref.scope == FieldRef::Scope::kProperty && numeric) ref.type = engine::ValueType::kNumber;
    ASSIGN_OR_RETURN(Accessor a, ActivityAccessor(source, ref, numeric));
    if (ref.scope == FieldRef::Scope::kCategory) {
      RowFilter f;
      f.field = a;
      f.accept.assign(s_.categories.slugs.size() + 1, 0);
      switch (c.op) {
        case Op::kIsMissing:
        case Op::kIsNotMissing:
          f.accept.assign(f.accept.size(), c.op == Op::kIsNotMissing);
          f.accept[0] = c.op == Op::kIsMissing;
          return f;
        case Op::kEq:
        case Op::kIn:
        case Op::kNe:
        case Op::kNotIn: {
          bool negate = c.op == Op::kNe || c.op == Op::kNotIn;
          for (const Value& v : c.values) {
            auto match = s_.categories.Matching(v.text);
            for (size_t i = 0; i < match.size(); ++i) f.accept[i + 1] |= match[i];
          }
          if (negate) {
            for (size_t i = 1; i < f.accept.size(); ++i) f.accept[i] = !f.accept[i];
          }
          return f;
        }
        default:
          return InvalidArgument("category is matched by name: use =, !=, in, not in or is missing");
      }
    }
    return CompileFilter(c, ref, a);
  }

  Result<RowSource> Rows(const Node& node) {
    RowSource src;
    switch (node.source) {
      case Source::kPurchase: src.rows = &s_.purchases; break;
      case Source::kOrder: src.rows = &s_.orders; break;
      case Source::kEvent: src.rows = &s_.events; break;
    }
    ASSIGN_OR_RETURN(src.window, internal::CompileWindow(node.window, o_.now));
    if (node.source == Source::kEvent && !node.event_type.empty()) {
      Node type;
      type.kind = Node::Kind::kCompare;
      type.field = "type";
      type.op = Op::kEq;
      Value v;
      v.text = node.event_type;
      type.values.push_back(v);
      ASSIGN_OR_RETURN(RowFilter f, ActivityFilter(Source::kEvent, type));
      src.filters.push_back(std::move(f));
    }
    for (const Node& c : node.filters) {
      ASSIGN_OR_RETURN(RowFilter f, ActivityFilter(node.source, c));
      src.filters.push_back(std::move(f));
    }
    return src;
  }

  Result<Bitmap> Compare(const Node& c) {
    Vocabulary vocabulary;
    vocabulary.attributes = AttributeTypes();
    ASSIGN_OR_RETURN(FieldRef ref, internal::ResolveProfileField(c.field, vocabulary));
    if (ref.scope == FieldRef::Scope::kAccount) {
      const engine::Column& col = s_.account_columns.find(ref.name)->second;
      std::vector<uint8_t> accounts(s_.account_ids.size(), 0);
      if (col.type == engine::ValueType::kText) {
        ASSIGN_OR_RETURN(TextTest test, internal::CompileText(c));
        auto accept = AcceptTable(col.dict, test);
        for (size_t a = 0; a < accounts.size(); ++a) accounts[a] = accept[col.codes[a]];
      } else {
        ASSIGN_OR_RETURN(NumericTest test, internal::CompileNumeric(c, col.type, false, o_.now));
        for (size_t a = 0; a < accounts.size(); ++a) accounts[a] = test.Test(col.numbers[a]);
      }
      // Any of the customer's accounts.
      return Scan([&](uint32_t cust) {
        for (uint32_t i = s_.account_offsets[cust]; i < s_.account_offsets[cust + 1]; ++i) {
          if (accounts[s_.account_members[i]]) return true;
        }
        return false;
      });
    }
    const engine::Column* col = nullptr;
    engine::Column empty;
    if (ref.scope == FieldRef::Scope::kAttribute) {
      auto it = s_.attributes.find(ref.name);
      if (it == s_.attributes.end()) {
        empty.type = engine::ValueType::kText;
        empty.codes.assign(n_, 0);
        col = &empty;
      } else {
        col = &it->second;
      }
    } else {
      col = &s_.profile.find(ref.scope == FieldRef::Scope::kAge ? std::string("birth_date") : ref.name)->second;
    }
    if (col->type == engine::ValueType::kText) {
      ASSIGN_OR_RETURN(TextTest test, internal::CompileText(c));
      auto accept = AcceptTable(col->dict, test);
      const uint32_t* codes = col->codes.data();
      return Scan([&](uint32_t cust) { return accept[codes[cust]] != 0; });
    }
    bool age = ref.scope == FieldRef::Scope::kAge;
    ASSIGN_OR_RETURN(NumericTest test, internal::CompileNumeric(c, col->type, age, o_.now));
    const double* values = col->numbers.data();
    return Scan([&](uint32_t cust) { return test.Test(values[cust]); });
  }

  std::map<std::string, std::string> AttributeTypes() const {
    std::map<std::string, std::string> types;
    for (const auto& [name, col] : s_.attributes) types[name] = std::string(engine::ValueTypeName(col.type));
    return types;
  }

  Result<Bitmap> AggregateScan(const Node& node) {
    ASSIGN_OR_RETURN(RowSource src, Rows(node));
    Aggregate agg = node.aggregate;
    Accessor value;
    FieldRef ref;
    bool text_result = false;
    if (!node.aggregate_field.empty()) {
      ASSIGN_OR_RETURN(ref, internal::ResolveActivityField(node.source, node.aggregate_field));
      bool numeric;
      if (ref.scope == FieldRef::Scope::kProperty) {
        // Sums and averages read numbers; first/last/distinct follow the literal.
        numeric = agg == Aggregate::kSum || agg == Aggregate::kAvg || agg == Aggregate::kMin ||
                  agg == Aggregate::kMax || ((agg == Aggregate::kFirst || agg == Aggregate::kLast) && NumericLiterals(node));
        if (numeric) ref.type = engine::ValueType::kNumber;
      } else {
        numeric = ref.type != engine::ValueType::kText;
      }
      ASSIGN_OR_RETURN(value, ActivityAccessor(node.source, ref, numeric));
      text_result = value.is_text() && (agg == Aggregate::kFirst || agg == Aggregate::kLast);
    }
    // The comparison applied to the aggregate's value.
    std::vector<uint8_t> accept;
    NumericTest numeric_test;
    if (text_result) {
      ASSIGN_OR_RETURN(TextTest test, internal::CompileText(node));
      if (value.kind == Accessor::Kind::kCategory) {
        return InvalidArgument("first/last of a category is not supported: use bought(category = ...)");
      }
      accept = AcceptTable(*value.dict, test);
    } else {
      engine::ValueType type = (agg == Aggregate::kMin || agg == Aggregate::kMax || agg == Aggregate::kFirst ||
                                agg == Aggregate::kLast)
                                   ? ref.type
                                   : engine::ValueType::kNumber;
      ASSIGN_OR_RETURN(numeric_test, internal::CompileNumeric(node, type, false, o_.now));
    }
    return Scan([&](uint32_t c) {
      double count = 0, sum = 0, best = engine::kMissing;
      uint32_t first_row = UINT32_MAX, last_row = UINT32_MAX;
      std::vector<double> distinct_numbers;
      std::vector<uint32_t> distinct_codes;
      src.ForEach(c, [&](uint32_t r) {
        if (first_row == UINT32_MAX) first_row = r;
        last_row = r;
        switch (agg) {
          case Aggregate::kCount: count++; break;
          case Aggregate::kSum:
          case Aggregate::kAvg: {
            double v = value.Number(r);
            if (!engine::IsMissing(v)) {
              sum += v;
              count++;
            }
            break;
          }
          case Aggregate::kMin:
          case Aggregate::kMax: {
            double v = value.Number(r);
            if (!engine::IsMissing(v) &&
                (engine::IsMissing(best) || (agg == Aggregate::kMin ? v < best : v > best))) {
              best = v;
            }
            break;
          }
          case Aggregate::kDistinct:
            if (value.is_text()) {
              uint32_t code = value.Code(r);
              if (code != 0) distinct_codes.push_back(code);
            } else {
              double v = value.Number(r);
              if (!engine::IsMissing(v)) distinct_numbers.push_back(v);
            }
            break;
          default: break;
        }
        return true;
      });
      double result = engine::kMissing;
      switch (agg) {
        case Aggregate::kCount: result = count; break;
        case Aggregate::kSum: result = sum; break;
        case Aggregate::kAvg: result = count > 0 ? sum / count : engine::kMissing; break;
        case Aggregate::kMin:
        case Aggregate::kMax: result = best; break;
        case Aggregate::kFirst:
        case Aggregate::kLast: {
          uint32_t row = agg == Aggregate::kFirst ? first_row : last_row;
          if (text_result) return accept[row == UINT32_MAX ? 0 : value.Code(row)] != 0;
          result = row == UINT32_MAX ? engine::kMissing : value.Number(row);
          break;
        }
        case Aggregate::kDistinct: {
          if (value.is_text()) {
            std::sort(distinct_codes.begin(), distinct_codes.end());
            result = static_cast<double>(std::unique(distinct_codes.begin(), distinct_codes.end()) -
                                         distinct_codes.begin());
          } else {
            std::sort(distinct_numbers.begin(), distinct_numbers.end());
            result = static_cast<double>(std::unique(distinct_numbers.begin(), distinct_numbers.end()) -
                                         distinct_numbers.begin());
          }
          break;
        }
      }
      return numeric_test.Test(result);
    });
  }

  Result<Bitmap> SequenceScan(const Node& node) {
    ASSIGN_OR_RETURN(RowSource first, Rows(node.children.at(0)));
    ASSIGN_OR_RETURN(RowSource then, Rows(node.children.at(1)));
    int64_t gap = internal::FixedMicros(node.then_within);
    bool negated = node.then_not;
    int64_t now = o_.now.micros;
    const int64_t* first_at = first.rows->at.data();
    const int64_t* then_at = then.rows->at.data();
    return Scan([&](uint32_t c) {
      std::vector<int64_t> later;
      then.ForEach(c, [&](uint32_t r) {
        later.push_back(then_at[r]);
        return true;
      });
      bool found = false;
      first.ForEach(c, [&](uint32_t r) {
        int64_t t = first_at[r];
        auto it = std::upper_bound(later.begin(), later.end(), t);
        bool followed = it != later.end() && *it <= t + gap;
        // "then not": only once the whole gap has passed without the second activity.
        found = negated ? (!followed && t + gap <= now) : followed;
        return !found;
      });
      return found;
    });
  }

  Result<Bitmap> Reachable(const Node& node) {
    ASSIGN_OR_RETURN(engine::Channel channel, engine::ParseChannel(node.channel));
    auto it = s_.consent_granted.find({static_cast<int>(channel), node.purpose});
    if (it == s_.consent_granted.end()) return Bitmap();
    const double cutoff = static_cast<double>(o_.now.micros - o_.freshness_days * 86'400'000'000LL);
    const auto& fresh = s_.contact_fresh_at[static_cast<int>(channel)];
    Bitmap contactable = Scan([&](uint32_t c) { return !engine::IsMissing(fresh[c]) && fresh[c] >= cutoff; });
    contactable &= *it->second;
    return contactable;
  }

  const Snapshot& s_;
  const EvalOptions& o_;
  uint32_t n_;
};

}  // namespace

Result<::Roaring> Evaluate(const engine::Snapshot& snapshot, const Node& node, const EvalOptions& options) {
  Evaluator e(snapshot, options);
  return e.Eval(node);
}

Result<Explain> ExplainSegment(const engine::Snapshot& snapshot, const Node& node, const EvalOptions& options) {
  Explain ex;
  ex.total_customers = snapshot.customer_count();
  auto start = std::chrono::steady_clock::now();
  Evaluator e(snapshot, options);
  Bitmap remaining;
  remaining.addRange(0, snapshot.customer_count());
  for (const Node* clause : Clauses(node)) {
    auto t0 = std::chrono::steady_clock::now();
    ASSIGN_OR_RETURN(Bitmap b, e.Eval(*clause));
    ClauseExplain c;
    c.text = ToText(*clause);
    c.matched = b.cardinality();
    remaining &= b;
    c.remaining = remaining.cardinality();
    c.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    ex.clauses.push_back(std::move(c));
  }
  ex.count = remaining.cardinality();
  ex.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return ex;
}

}  // namespace patron::segment
