// Evaluating a segment over the engine snapshot. Every condition becomes a
// bitmap of dense customer indexes; scans over customers are split across
// threads. Semantics are shared with the SQL emitter through fields.h.
#include <roaring/roaring.hh>

#include <algorithm>
#include <chrono>
#include <thread>
#include <type_traits>
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
  // When set, only these rows (one event type's) are visited.
  const Snapshot::TypeRows* only = nullptr;
  // With `only` and a bounded window: that type's first and last time per
  // customer, so that a customer with none of its rows inside the window is
  // passed over without searching its rows (most customers, for a window of
  // days; for orders and order lines, whose windows are mostly a year, the
  // same test cost more than it saved).
  const Snapshot::TimeBounds* bounds = nullptr;

  // Calls f(row) for every row of customer c inside the window that passes the filters.
  template <typename F>
  bool ForEach(uint32_t c, F&& f) const {
    if (only) return ForEachOfType(c, f);
    const int64_t* at = rows->at.data();
    auto [begin, end] = WindowOf(rows->offsets[c], rows->offsets[c + 1], [at](uint32_t i) { return at[i]; }, true);
    return Visit(begin, end, [](uint32_t r) { return r; }, f);
  }

  // How many of customer c's rows fall inside the window (filters aside).
  uint32_t CountInWindow(uint32_t c) const {
    if (only) {
      if (bounds && (bounds->last[c] < window.lo || bounds->first[c] > window.hi)) return 0;
      auto [begin, end] = TypeRange(c);
      return end - begin;
    }
    const int64_t* at = rows->at.data();
    auto [begin, end] = WindowOf(rows->offsets[c], rows->offsets[c + 1], [at](uint32_t i) { return at[i]; }, true);
    return end - begin;
  }

  // Rows of the type index inside the window: [first, last) positions into only->rows.
  std::pair<uint32_t, uint32_t> TypeRange(uint32_t c) const {
    const int64_t* at = rows->at.data();
    const uint32_t* rs = only->rows.data();
    return WindowOf(only->offsets[c], only->offsets[c + 1], [at, rs](uint32_t i) { return at[rs[i]]; }, false);
  }

  // The positions [begin, end) of the window within one customer's positions,
  // whose times (time_of) ascend. With `walk` and a few positions (most
  // customers' orders or order lines) they are walked from the newest back,
  // which for the usual recent window reads only the rows inside it and one
  // more, where a binary search mispredicts at nearly every step. An event
  // type's positions are binary-searched: its rows are spread among the
  // customer's other events, and the common types have many rows in a window
  // (measured at 1M / 20M: walking them made a 30-day page_viewed count 20 %
  // slower, walking orders made year-long order windows 30 % faster).
  template <typename TimeOf>
  std::pair<uint32_t, uint32_t> WindowOf(uint32_t begin, uint32_t end, TimeOf time_of, bool walk) const {
    constexpr uint32_t kWalk = 32;
    const bool bounded_lo = window.lo != std::numeric_limits<int64_t>::min();
    const bool bounded_hi = window.hi != std::numeric_limits<int64_t>::max();
    if (walk && end - begin <= kWalk) {
      uint32_t last = end;
      if (bounded_hi) {
        while (last > begin && time_of(last - 1) > window.hi) --last;
      }
      uint32_t first = last;
      if (!bounded_lo) return {begin, last};
      while (first > begin && time_of(first - 1) >= window.lo) --first;
      return {first, last};
    }
    if (bounded_lo) {
      uint32_t lo = begin, hi = end;
      while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (time_of(mid) < window.lo) lo = mid + 1; else hi = mid;
      }
      begin = lo;
    }
    if (bounded_hi) {
      uint32_t lo = begin, hi = end;
      while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (time_of(mid) <= window.hi) lo = mid + 1; else hi = mid;
      }
      end = lo;
    }
    return {begin, end};
  }

  // Asks the memory system for customer c's newest rows of the type (their
  // times and filtered fields), which a scan is about to read: these loads are
  // far apart in columns of hundreds of MB and otherwise wait on memory one
  // customer at a time.
  void PrefetchNewest(uint32_t c) const {
    if (!only) return;
    const uint32_t end = only->offsets[c + 1];
    if (end == only->offsets[c]) return;
    const uint32_t r = only->rows[end - 1];
    __builtin_prefetch(rows->at.data() + r);
    for (const RowFilter& filter : filters) {
      if (filter.field.property) __builtin_prefetch(filter.field.property->codes.data() + r);
      else if (filter.field.codes) __builtin_prefetch(filter.field.codes + r);
    }
  }

  template <typename F>
  bool ForEachOfType(uint32_t c, F& f) const {
    if (bounds && (bounds->last[c] < window.lo || bounds->first[c] > window.hi)) return true;
    auto [begin, end] = TypeRange(c);
    const uint32_t* rs = only->rows.data();
    return Visit(begin, end, [rs](uint32_t i) { return rs[i]; }, f);
  }

  template <typename RowOf, typename F>
  bool Visit(uint32_t begin, uint32_t end, RowOf row_of, F& f) const {
    const int64_t* at = rows->at.data();
    for (uint32_t i = begin; i < end; ++i) {
      uint32_t r = row_of(i);
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

// A dense bitset over customers: the evaluator's working set. Dense words make
// and/or/not a few microseconds at a million customers and let scans write
// results without sorting; results leave as CRoaring bitmaps.
class Bits {
 public:
  explicit Bits(uint32_t n = 0, bool all = false) : n_(n), w_((n + 63) / 64, all ? ~uint64_t{0} : 0) {
    if (all) ClearTail();
  }
  uint32_t size() const { return n_; }
  size_t words() const { return w_.size(); }
  uint64_t word(size_t i) const { return w_[i]; }
  uint64_t& word(size_t i) { return w_[i]; }
  void Set(uint32_t i) { w_[i >> 6] |= uint64_t{1} << (i & 63); }
  Bits& operator&=(const Bits& o) {
    for (size_t i = 0; i < w_.size(); ++i) w_[i] &= o.w_[i];
    return *this;
  }
  Bits& operator|=(const Bits& o) {
    for (size_t i = 0; i < w_.size(); ++i) w_[i] |= o.w_[i];
    return *this;
  }
  void AndNot(const Bits& o) {
    for (size_t i = 0; i < w_.size(); ++i) w_[i] &= ~o.w_[i];
  }
  bool Empty() const {
    for (uint64_t w : w_) {
      if (w) return false;
    }
    return true;
  }
  uint64_t Count() const {
    uint64_t c = 0;
    for (uint64_t w : w_) c += static_cast<uint64_t>(__builtin_popcountll(w));
    return c;
  }
  ::Roaring ToRoaring() const {
    std::vector<uint32_t> positions;
    positions.reserve(Count());
    for (size_t i = 0; i < w_.size(); ++i) {
      for (uint64_t m = w_[i]; m; m &= m - 1) positions.push_back(static_cast<uint32_t>(i * 64 + __builtin_ctzll(m)));
    }
    ::Roaring r;
    r.addMany(positions.size(), positions.data());
    r.runOptimize();
    return r;
  }
  static Bits FromRoaring(const ::Roaring& r, uint32_t n) {
    Bits b(n);
    for (uint32_t v : r) {
      if (v < n) b.Set(v);
    }
    return b;
  }

 private:
  void ClearTail() {
    if (n_ % 64 && !w_.empty()) w_.back() &= (uint64_t{1} << (n_ % 64)) - 1;
  }
  uint32_t n_;
  std::vector<uint64_t> w_;
};

// Rough cost of evaluating a node, to narrow with cheap conditions first.
int Cost(const Node& n) {
  switch (n.kind) {
    case Node::Kind::kAnd:
    case Node::Kind::kOr: {
      int c = 0;
      for (const Node& child : n.children) c += Cost(child);
      return c;
    }
    case Node::Kind::kNot: return Cost(n.children.at(0));
    case Node::Kind::kCompare:
    case Node::Kind::kTagged:
    case Node::Kind::kReachable: return 1;
    case Node::Kind::kSegmentRef: return 5;
    case Node::Kind::kRecommended:
    case Node::Kind::kPropensity: return 2;
    case Node::Kind::kActivity: return n.source == Source::kEvent ? 20 : 10;
    case Node::Kind::kAggregate: return n.source == Source::kEvent ? 30 : 15;
    case Node::Kind::kSequence: return 40;
  }
  return 10;
}

class Evaluator {
 public:
  Evaluator(const Snapshot& s, const EvalOptions& o) : s_(s), o_(o), n_(s.customer_count()) {}

  // The customers among the current candidates (all when none) who match.
  Result<Bits> Eval(const Node& node, int depth = 0) {
    if (depth > 64) return InvalidArgument("saved segments refer to each other too deeply (a cycle?)");
    switch (node.kind) {
      case Node::Kind::kAnd: {
        // Cheap conditions first; each later one only looks at who is left.
        std::vector<const Node*> order;
        for (const Node& c : node.children) order.push_back(&c);
        std::stable_sort(order.begin(), order.end(), [](const Node* a, const Node* b) { return Cost(*a) < Cost(*b); });
        const Bits* saved = candidates_;
        Bits result;
        bool first = true;
        for (const Node* c : order) {
          candidates_ = first ? saved : &result;
          auto b = Eval(*c, depth);
          if (!b.ok()) {
            candidates_ = saved;
            return b.status();
          }
          result = std::move(*b);
          first = false;
          if (result.Empty()) break;
        }
        candidates_ = saved;
        return result;
      }
      case Node::Kind::kOr: {
        Bits result(n_);
        for (const Node& c : node.children) {
          ASSIGN_OR_RETURN(Bits b, Eval(c, depth));
          result |= b;
        }
        return result;
      }
      case Node::Kind::kNot: {
        ASSIGN_OR_RETURN(Bits b, Eval(node.children.at(0), depth));
        Bits result = candidates_ ? *candidates_ : Bits(n_, true);
        result.AndNot(b);
        return result;
      }
      case Node::Kind::kCompare: return Compare(node);
      case Node::Kind::kTagged: {
        Bits result(n_);
        for (const Value& v : node.values) {
          auto it = s_.tags.find(FoldForMatching(v.text));
          if (it != s_.tags.end()) result |= Bits::FromRoaring(*it->second, n_);
        }
        if (candidates_) result &= *candidates_;
        return result;
      }
      case Node::Kind::kActivity: {
        ASSIGN_OR_RETURN(RowSource src, Rows(node));
        std::vector<const Snapshot::TimeBounds*> bounds;
        if (ActivityBounds(node, bounds)) {
          // Each customer's first and last matching time decide without the
          // rows, unless both fall outside the window on either side.
          const int64_t lo = src.window.lo, hi = src.window.hi;
          return Scan([&](uint32_t c) {
            bool undecided = false;
            for (const Snapshot::TimeBounds* b : bounds) {
              int64_t first = b->first[c], last = b->last[c];
              if (last == std::numeric_limits<int64_t>::min()) continue;  // no such rows
              if (last < lo || first > hi) continue;                       // all outside
              if (last <= hi || first >= lo) return true;
              undecided = true;
            }
            if (!undecided) return false;
            bool any = false;
            src.ForEach(c, [&](uint32_t) {
              any = true;
              return false;
            });
            return any;
          });
        }
        auto any_row = [&src](uint32_t c) {
          bool any = false;
          src.ForEach(c, [&](uint32_t) {
            any = true;
            return false;
          });
          return any;
        };
        if (src.only && src.bounds) {
          // One type in a bounded window, with filters on its rows: first who
          // has any row of the type in the window's span (two sequential
          // arrays), then only those, with their rows prefetched ahead.
          const Snapshot::TimeBounds& b = *src.bounds;
          const int64_t lo = src.window.lo, hi = src.window.hi;
          Bits in_span = Scan([&](uint32_t c) { return b.last[c] >= lo && b.first[c] <= hi; });
          const Bits* saved = candidates_;
          candidates_ = &in_span;
          Bits result = Scan(any_row, [&src](uint32_t c) { src.PrefetchNewest(c); });
          candidates_ = saved;
          return result;
        }
        return Scan(any_row);
      }
      case Node::Kind::kAggregate: return AggregateScan(node);
      case Node::Kind::kSequence: return SequenceScan(node);
      case Node::Kind::kReachable: return Reachable(node);
      case Node::Kind::kRecommended: return RecommendedScan(node);
      case Node::Kind::kPropensity: return PropensityScan(node);
      case Node::Kind::kSegmentRef: {
        if (!o_.resolve) return FailedPrecondition("segment(\"" + node.name + "\") needs saved segments");
        ASSIGN_OR_RETURN(Node saved, o_.resolve(node.name));
        return Eval(saved, depth + 1);
      }
    }
    return Internal("unknown segment node");
  }

 private:
  // The candidates for which `pred(c)` holds. Large scans are split across
  // o_.threads threads on word boundaries, so each writes its own words.
  //
  // With a `prefetch` callback, it is called for the candidate a few places
  // ahead of the one being tested (within each 64-customer word), so that
  // memory latency overlaps the work instead of adding to it.
  struct NoPrefetch {
    void operator()(uint32_t) const {}
  };
  template <typename Pred, typename Prefetch = NoPrefetch>
  Bits Scan(Pred&& pred, Prefetch&& prefetch = Prefetch{}) {
    constexpr bool kPrefetch = !std::is_same_v<std::decay_t<Prefetch>, NoPrefetch>;
    constexpr int kAhead = 6;
    Bits out(n_);
    const Bits* cand = candidates_;
    const size_t words = out.words();
    const uint64_t tail = n_ % 64 ? (uint64_t{1} << (n_ % 64)) - 1 : ~uint64_t{0};
    auto work = [&](size_t begin, size_t end) {
      for (size_t w = begin; w < end; ++w) {
        uint64_t m = cand ? cand->word(w) : (w + 1 == words ? tail : ~uint64_t{0});
        uint64_t hits = 0;
        if constexpr (kPrefetch) {
          uint8_t bits[64];
          int n = 0;
          while (m) {
            bits[n++] = static_cast<uint8_t>(__builtin_ctzll(m));
            m &= m - 1;
          }
          const uint32_t base = static_cast<uint32_t>(w * 64);
          for (int i = 0; i < std::min(n, kAhead); ++i) prefetch(base + bits[i]);
          for (int i = 0; i < n; ++i) {
            if (i + kAhead < n) prefetch(base + bits[i + kAhead]);
            if (pred(base + bits[i])) hits |= uint64_t{1} << bits[i];
          }
        } else {
          while (m) {
            int b = __builtin_ctzll(m);
            m &= m - 1;
            if (pred(static_cast<uint32_t>(w * 64 + b))) hits |= uint64_t{1} << b;
          }
        }
        out.word(w) = hits;
      }
    };
    uint64_t work_items = cand ? cand->Count() : n_;
    int threads = work_items >= 32768 ? std::max(1, o_.threads) : 1;
    if (threads == 1) {
      work(0, words);
    } else {
      std::vector<std::thread> pool;
      for (int t = 1; t < threads; ++t) pool.emplace_back(work, words * t / threads, words * (t + 1) / threads);
      work(0, words / threads);
      for (auto& th : pool) th.join();
    }
    return out;
  }

  static std::vector<uint8_t> AcceptTable(const engine::Dictionary& dict, const TextTest& test) {
    std::vector<uint8_t> accept(dict.size());
    for (size_t i = 0; i < dict.size(); ++i) accept[i] = test.Test(i == 0, dict.folded[i]) ? 1 : 0;
    return accept;
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
    bool numeric = ref.scope == FieldRef::Scope::kProperty ? internal::NumericLiterals(c) : ref.type != engine::ValueType::kText;
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

  // The first/last-time indexes that decide an activity condition, when it
  // has no filter beyond its event type or a purchase category and a plain
  // time window. False when the rows must be visited.
  bool ActivityBounds(const Node& node, std::vector<const Snapshot::TimeBounds*>& out) {
    if (node.window.kind == Window::Kind::kInMonth) return false;
    switch (node.source) {
      case Source::kOrder:
        if (!node.filters.empty()) return false;
        out.push_back(&s_.OrderBounds());
        return true;
      case Source::kEvent: {
        if (!node.filters.empty() || node.event_type.empty()) return false;
        std::string wanted = FoldForMatching(node.event_type);
        for (size_t code = 1; code < s_.events.types.size(); ++code) {
          if (s_.events.types.folded[code] == wanted) out.push_back(&s_.EventTypeBounds(static_cast<uint32_t>(code)));
        }
        return true;
      }
      case Source::kPurchase: {
        if (node.filters.empty()) {
          out.push_back(&s_.PurchaseBounds());
          return true;
        }
        const Node& f = node.filters[0];
        if (node.filters.size() != 1 || f.field != "category" || (f.op != Op::kEq && f.op != Op::kIn)) return false;
        std::vector<uint8_t> accepted(s_.categories.slugs.size(), 0);
        for (const Value& v : f.values) {
          auto match = s_.categories.Matching(v.text);
          for (size_t i = 0; i < match.size(); ++i) accepted[i] |= match[i];
        }
        for (size_t i = 0; i < accepted.size(); ++i) {
          if (accepted[i]) out.push_back(&s_.CategoryBounds(static_cast<int32_t>(i)));
        }
        return true;
      }
    }
    return false;
  }

  Result<RowSource> Rows(const Node& node) {
    RowSource src;
    switch (node.source) {
      case Source::kPurchase: src.rows = &s_.purchases; break;
      case Source::kOrder: src.rows = &s_.orders; break;
      case Source::kEvent: src.rows = &s_.events; break;
    }
    ASSIGN_OR_RETURN(src.window, internal::CompileWindow(node.window, o_.now));
    const bool bounded = src.window.lo != std::numeric_limits<int64_t>::min() ||
                         src.window.hi != std::numeric_limits<int64_t>::max();
    // The event type to restrict the rows to: did("T") / received(), or else
    // a `type = "T"` filter (which the type's row index then replaces).
    std::string type_name = node.event_type;
    int type_filter = -1;
    if (node.source == Source::kEvent && type_name.empty()) {
      for (size_t i = 0; i < node.filters.size(); ++i) {
        const Node& f = node.filters[i];
        if (f.field == "type" && f.op == Op::kEq && f.values.size() == 1) {
          type_name = f.values[0].text;
          type_filter = static_cast<int>(i);
          break;
        }
      }
    }
    if (node.source == Source::kEvent && !type_name.empty()) {
      std::string wanted = FoldForMatching(type_name);
      std::vector<uint32_t> codes;
      for (size_t code = 1; code < s_.events.types.size(); ++code) {
        if (s_.events.types.folded[code] == wanted) codes.push_back(static_cast<uint32_t>(code));
      }
      if (codes.size() == 1) {
        src.only = &s_.EventTypeRows(codes[0]);
        if (bounded) src.bounds = &s_.EventTypeBounds(codes[0]);
      } else if (codes.empty()) {
        empty_type_rows_.offsets.assign(n_ + 1, 0);
        src.only = &empty_type_rows_;
      } else if (type_filter < 0) {
        // Several stored spellings of the type: filter the rows instead.
        Node type;
        type.kind = Node::Kind::kCompare;
        type.field = "type";
        type.op = Op::kEq;
        Value v;
        v.text = type_name;
        type.values.push_back(v);
        ASSIGN_OR_RETURN(RowFilter f, ActivityFilter(Source::kEvent, type));
        src.filters.push_back(std::move(f));
      }
    }
    for (size_t i = 0; i < node.filters.size(); ++i) {
      if (static_cast<int>(i) == type_filter && src.only) continue;
      ASSIGN_OR_RETURN(RowFilter f, ActivityFilter(node.source, node.filters[i]));
      src.filters.push_back(std::move(f));
    }
    return src;
  }

  Result<Bits> Compare(const Node& c) {
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

  Result<Bits> AggregateScan(const Node& node) {
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
                  agg == Aggregate::kMax || ((agg == Aggregate::kFirst || agg == Aggregate::kLast) && internal::NumericLiterals(node));
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
    // distinct() over fewer than 64 codes (categories, channels) counts bits.
    size_t code_space = 0;
    if (value.is_text()) {
      code_space = value.kind == Accessor::Kind::kCategory ? s_.categories.slugs.size() + 1
                   : value.dict                             ? value.dict->size()
                                                            : 0;
    }
    const bool small_codes = agg == Aggregate::kDistinct && value.is_text() && code_space > 0 && code_space <= 64;
    // count(order, WINDOW), count(event, type = T, WINDOW): the size of a
    // range of rows, without visiting them.
    const bool count_by_range = agg == Aggregate::kCount && src.filters.empty() && !src.window.month_test;
    if (count_by_range && src.only && src.bounds) {
      return Scan([&](uint32_t c) { return numeric_test.Test(static_cast<double>(src.CountInWindow(c))); },
                  [&src](uint32_t c) { src.PrefetchNewest(c); });
    }
    return Scan([&](uint32_t c) {
      if (count_by_range) return numeric_test.Test(static_cast<double>(src.CountInWindow(c)));
      double count = 0, sum = 0, best = engine::kMissing;
      uint32_t first_row = UINT32_MAX, last_row = UINT32_MAX;
      uint64_t code_mask = 0;
      // Scratch space reused across customers (one per scanning thread).
      thread_local std::vector<double> distinct_numbers;
      thread_local std::vector<uint32_t> distinct_codes;
      distinct_numbers.clear();
      distinct_codes.clear();
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
            if (small_codes) {
              uint32_t code = value.Code(r);
              if (code != 0) code_mask |= uint64_t{1} << code;
            } else if (value.is_text()) {
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
          if (small_codes) {
            result = static_cast<double>(__builtin_popcountll(code_mask));
          } else if (value.is_text()) {
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

  Result<Bits> SequenceScan(const Node& node) {
    ASSIGN_OR_RETURN(RowSource first, Rows(node.children.at(0)));
    ASSIGN_OR_RETURN(RowSource then, Rows(node.children.at(1)));
    int64_t gap = internal::FixedMicros(node.then_within);
    bool negated = node.then_not;
    int64_t now = o_.now.micros;
    const int64_t* first_at = first.rows->at.data();
    const int64_t* then_at = then.rows->at.data();
    return Scan([&](uint32_t c) {
      // The first activity's times, then (only for customers who have any) the second's.
      thread_local std::vector<int64_t> earlier, later;
      earlier.clear();
      first.ForEach(c, [&](uint32_t r) {
        earlier.push_back(first_at[r]);
        return true;
      });
      if (earlier.empty()) return false;
      later.clear();
      then.ForEach(c, [&](uint32_t r) {
        later.push_back(then_at[r]);
        return true;
      });
      bool found = false;
      for (int64_t t : earlier) {
        auto it = std::upper_bound(later.begin(), later.end(), t);
        bool followed = it != later.end() && *it <= t + gap;
        // "then not": only once the whole gap has passed without the second activity.
        found = negated ? (!followed && t + gap <= now) : followed;
        if (found) break;
      }
      return found;
    });
  }

  // recommended("X"): one of the customer's recommended products is in X or below it.
  Result<Bits> RecommendedScan(const Node& node) {
    const std::vector<uint8_t> in = s_.categories.Matching(node.name);
    std::vector<uint8_t> product_in(s_.products.ids.size(), 0);
    for (size_t p = 0; p < product_in.size(); ++p) {
      const int32_t category = s_.products.category[p];
      product_in[p] = category >= 0 && in[static_cast<size_t>(category)];
    }
    const engine::ModelScores& m = s_.scores;
    return Scan([&](uint32_t c) {
      for (uint32_t r = m.recommended_offsets[c]; r < m.recommended_offsets[c + 1]; ++r) {
        if (product_in[m.recommended[r]]) return true;
      }
      return false;
    });
  }

  // propensity("X") op value: the highest propensity among the categories X
  // means (X and those below it); missing when the customer has none of them.
  Result<Bits> PropensityScan(const Node& node) {
    const std::vector<uint8_t> in = s_.categories.Matching(node.name);
    ASSIGN_OR_RETURN(NumericTest test, internal::CompileNumeric(node, engine::ValueType::kNumber, false, o_.now));
    const engine::ModelScores& m = s_.scores;
    return Scan([&](uint32_t c) {
      double best = engine::kMissing;
      for (uint32_t r = m.propensity_offsets[c]; r < m.propensity_offsets[c + 1]; ++r) {
        if (!in[static_cast<size_t>(m.propensity_category[r])]) continue;
        if (engine::IsMissing(best) || m.propensity[r] > best) best = m.propensity[r];
      }
      return test.Test(best);
    });
  }

  Result<Bits> Reachable(const Node& node) {
    ASSIGN_OR_RETURN(engine::Channel channel, engine::ParseChannel(node.channel));
    auto it = s_.consent_granted.find({static_cast<int>(channel), node.purpose});
    if (it == s_.consent_granted.end()) return Bits(n_);
    const double cutoff = static_cast<double>(o_.now.micros - o_.freshness_days * 86'400'000'000LL);
    const auto& fresh = s_.contact_fresh_at[static_cast<int>(channel)];
    Bits consented = Bits::FromRoaring(*it->second, n_);
    if (candidates_) consented &= *candidates_;
    const Bits* saved = candidates_;
    candidates_ = &consented;
    Bits contactable = Scan([&](uint32_t c) { return !engine::IsMissing(fresh[c]) && fresh[c] >= cutoff; });
    candidates_ = saved;
    return contactable;
  }

  const Snapshot& s_;
  const EvalOptions& o_;
  uint32_t n_;
  const Bits* candidates_ = nullptr;  // restricts scans during an `and`
  Snapshot::TypeRows empty_type_rows_;  // for an event type nobody has
};

}  // namespace

Result<::Roaring> Evaluate(const engine::Snapshot& snapshot, const Node& node, const EvalOptions& options) {
  Evaluator e(snapshot, options);
  ASSIGN_OR_RETURN(Bits b, e.Eval(node));
  return b.ToRoaring();
}

Result<uint64_t> Count(const engine::Snapshot& snapshot, const Node& node, const EvalOptions& options) {
  Evaluator e(snapshot, options);
  ASSIGN_OR_RETURN(Bits b, e.Eval(node));
  return b.Count();
}

Result<Explain> ExplainSegment(const engine::Snapshot& snapshot, const Node& node, const EvalOptions& options) {
  Explain ex;
  ex.total_customers = snapshot.customer_count();
  auto start = std::chrono::steady_clock::now();
  Evaluator e(snapshot, options);
  Bits remaining(snapshot.customer_count(), true);
  for (const Node* clause : Clauses(node)) {
    auto t0 = std::chrono::steady_clock::now();
    // Each clause on its own, so that its count means something by itself.
    ASSIGN_OR_RETURN(Bits b, e.Eval(*clause));
    ClauseExplain c;
    c.text = ToText(*clause);
    c.matched = b.Count();
    remaining &= b;
    c.remaining = remaining.Count();
    c.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    ex.clauses.push_back(std::move(c));
  }
  ex.count = remaining.Count();
  ex.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return ex;
}

}  // namespace patron::segment
