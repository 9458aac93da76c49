// Random segments drawn from the values that occur in a snapshot, for the
// differential tests (engine vs SQL, delta vs rebuild, engine vs PostgreSQL).
#pragma once

#include <cctype>
#include <cstdio>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "engine/engine.h"

namespace patron::segment::test_support {

// Random segments drawn from the values that occur in the data.
class SegmentGenerator {
 public:
  SegmentGenerator(const engine::Snapshot& s, uint64_t seed) : s_(s), rng_(seed) {}

  std::string Segment(int depth = 0) {
    int pick = Uniform(0, depth >= 2 ? 9 : 13);
    if (pick >= 10) {
      std::string a = Segment(depth + 1), b = Segment(depth + 1);
      switch (pick) {
        case 10: return "(" + a + ") and (" + b + ")";
        case 11: return "(" + a + ") or (" + b + ")";
        case 12: return "not (" + a + ")";
        default: return a + " and " + b;
      }
    }
    switch (pick) {
      case 0: return ProfileText();
      case 1: return ProfileNumber();
      case 2: return Bought();
      case 3: return Ordered();
      case 4: return Did();
      case 5: return AggregateCondition();
      case 6: return Sequence();
      case 7: {
        int which = Uniform(0, 3);
        if (which == 0) return "reachable(" + Pick<std::string>({"email", "sms", "phone", "mail"}) + ")";
        if (which == 1) return Tagged();
        if (which == 2) return ModelScore();
        return Trait();
      }
      case 8: return AccountCondition();
      default: return AttributeCondition();
    }
  }

 private:
  int Uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  template <typename T>
  T Pick(const std::vector<T>& v) {
    return v[Uniform(0, static_cast<int>(v.size()) - 1)];
  }
  static std::string Quote(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
      if (c == '"' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
    return out + "\"";
  }
  // The first character boundary at or after byte `at` of UTF-8 text.
  static size_t CharBoundary(const std::string& v, size_t at) {
    while (at < v.size() && (static_cast<unsigned char>(v[at]) & 0xC0) == 0x80) at++;
    return std::min(at, v.size());
  }
  std::string DictValue(const engine::Dictionary& d) {
    if (d.size() <= 1) return "nothing";
    std::string v = d.values[Uniform(1, static_cast<int>(d.size()) - 1)];
    if (Uniform(0, 4) == 0) {
      for (char& c : v) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));  // case must not matter
    }
    return v;
  }
  std::string TextTail(const engine::Dictionary& d) {
    switch (Uniform(0, 7)) {
      case 0: return "= " + Quote(DictValue(d));
      case 1: return "!= " + Quote(DictValue(d));
      case 2: return "in (" + Quote(DictValue(d)) + ", " + Quote(DictValue(d)) + ")";
      case 3: return "not in (" + Quote(DictValue(d)) + ")";
      case 4: {
        std::string v = DictValue(d);
        size_t from = CharBoundary(v, v.size() / 3);
        std::string part = v.substr(from, CharBoundary(v, from + std::max<size_t>(1, v.size() / 3)) - from);
        return "contains " + Quote(part.empty() ? v : part);
      }
      case 5: {
        std::string v = DictValue(d);
        std::string part = v.substr(0, CharBoundary(v, std::max<size_t>(1, v.size() / 2)));
        return "starts with " + Quote(part.empty() ? v : part);
      }
      case 6: return "is missing";
      default: return "is not missing";
    }
  }
  std::string ProfileText() {
    std::string field = Pick<std::string>({"city", "country", "language", "gender", "lifecycle_stage",
                                           "acquisition_channel", "income_band", "source", "marital_status",
                                           "given_name", "time_zone"});
    return field + " " + TextTail(s_.profile.at(field).dict);
  }
  std::string Date() {
    int y = Uniform(2023, 2026), m = Uniform(1, 12), d = Uniform(1, 28);
    char buf[16];
    if (Uniform(0, 5) == 0) {  // a Persian date
      std::snprintf(buf, sizeof buf, "%d-%02d-%02d", Uniform(1402, 1405), m, d);
    } else {
      std::snprintf(buf, sizeof buf, "%d-%02d-%02d", y, m, d);
    }
    return buf;
  }
  std::string Duration() {
    return std::to_string(Uniform(1, 400)) + " " + Pick<std::string>({"days", "weeks", "months", "hours", "years"});
  }
  std::string NumberTail(int lo, int hi) {
    auto n = [&] { return std::to_string(Uniform(lo, hi)); };
    switch (Uniform(0, 7)) {
      case 0: return "= " + n();
      case 1: return "!= " + n();
      case 2: return "< " + n();
      case 3: return "<= " + n();
      case 4: return "> " + n();
      case 5: return ">= " + n();
      case 6: {
        int a = Uniform(lo, hi);
        return "between " + std::to_string(a) + " and " + std::to_string(a + Uniform(0, (hi - lo) / 2 + 1));
      }
      default: return "in (" + n() + ", " + n() + ")";
    }
  }
  std::string TimeTail() {
    switch (Uniform(0, 6)) {
      case 0: return "within " + Duration();
      case 1: return "before " + Date();
      case 2: return "after " + Date();
      case 3: return "< " + Duration() + " ago";
      case 4: return ">= " + Date();
      case 5: return "between " + Date() + " and " + Date();
      default: return "= " + Date();
    }
  }
  std::string ProfileNumber() {
    switch (Uniform(0, 4)) {
      case 0: return "age " + NumberTail(15, 80);
      case 1: return "household_size " + NumberTail(0, 6);
      case 2: return "birth_date " + TimeTail();
      case 3: return "created_at " + TimeTail();
      default: return Uniform(0, 1) ? "age is missing" : "birth_date is not missing";
    }
  }
  std::string Window() {
    switch (Uniform(0, 7)) {
      case 0: return "within " + Duration();
      case 1: return "between " + Date() + " and " + Date();
      case 2: return "before " + Date();
      case 3: return "after " + Date();
      case 4: return "in " + Pick<std::string>({"Mehr", "Farvardin", "Esfand", "Ramadan", "Shawwal", "March",
                                                "December", "مهر"});
      case 5: return "in " + Pick<std::string>({"Mehr", "Dey", "Muharram", "June"}) + " " +
                     Pick<std::string>({"1403", "1404", "1446", "2025"});
      default: return "within " + Duration();
    }
  }
  std::string Amount() {
    return Pick<std::string>({"0", "5", "20", "50", "100", "250", "1000", "5000", "100000", "5000000", "100000000"});
  }
  std::string PurchaseFilter() {
    switch (Uniform(0, 8)) {
      case 0: {
        std::vector<std::string> names;
        for (size_t i = 0; i < s_.categories.slugs.size(); ++i) {
          names.push_back(s_.categories.slugs[i]);
          names.push_back(s_.categories.names[i]);
          auto slash = s_.categories.slugs[i].rfind('/');
          if (slash != std::string::npos) names.push_back(s_.categories.slugs[i].substr(slash + 1));
        }
        names.push_back("no-such-category");
        std::string op = Pick<std::string>({"=", "!=", "in", "not in"});
        if (op == "in" || op == "not in") return "category " + op + " (" + Quote(Pick(names)) + ", " + Quote(Pick(names)) + ")";
        return "category " + op + " " + Quote(Pick(names));
      }
      case 1: return "sku " + TextTail(s_.products.sku.dict);
      case 2: return "brand " + TextTail(s_.products.brand.dict);
      case 3: return "amount " + Pick<std::string>({">", "<", ">=", "<="}) + " " + Amount();
      case 4: return "quantity " + NumberTail(1, 4);
      case 5: return "channel " + TextTail(s_.orders.channels);
      case 6: return "status " + TextTail(s_.orders.statuses);
      case 7: return "price > " + Amount();
      default: return "at " + TimeTail();
    }
  }
  std::string Args(const std::function<std::string()>& filter) {
    std::vector<std::string> parts;
    int filters = Uniform(0, 2);
    for (int i = 0; i < filters; ++i) parts.push_back(filter());
    if (Uniform(0, 2) > 0) parts.push_back(Window());
    std::string s;
    for (size_t i = 0; i < parts.size(); ++i) s += (i ? ", " : "") + parts[i];
    return s;
  }
  std::string Bought() { return "bought(" + Args([this] { return PurchaseFilter(); }) + ")"; }
  std::string OrderFilter() {
    switch (Uniform(0, 3)) {
      case 0: return "amount " + Pick<std::string>({">", "<", ">=", "<="}) + " " + Amount();
      case 1: return "channel " + TextTail(s_.orders.channels);
      case 2: return "currency " + TextTail(s_.orders.currencies);
      default: return "status " + TextTail(s_.orders.statuses);
    }
  }
  std::string Ordered() { return "ordered(" + Args([this] { return OrderFilter(); }) + ")"; }
  std::string EventFilter() {
    switch (Uniform(0, 5)) {
      case 0: return "channel = " + Quote(Pick<std::string>({"web", "app", "store", "phone"}));
      case 1: return "price > " + Amount();
      case 2: return "category " + Pick<std::string>({"= \"electronics/tablets\"", "starts with \"electronics\"",
                                                      "contains \"office\"", "is missing", "in (\"home/decor\", \"stationery/office\")"});
      case 3: return "score " + NumberTail(0, 10);
      case 4: return "referrer " + Pick<std::string>({"= \"google\"", "is not missing", "!= \"telegram\""});
      default: return "type " + TextTail(s_.events.types);
    }
  }
  std::string EventType() { return Quote(DictValue(s_.events.types)); }
  std::string Did() {
    std::string args = Args([this] { return EventFilter(); });
    return "did(" + EventType() + (args.empty() ? "" : ", " + args) + ")";
  }
  std::string AggregateCondition() {
    auto cmp = [&](const std::string& lhs, const std::string& tail) { return lhs + " " + tail; };
    switch (Uniform(0, 11)) {
      case 0: return cmp("count(order" + Sep(Args([this] { return OrderFilter(); })) + ")", NumberTail(0, 5));
      case 1: return cmp("sum(order.amount" + Sep(Args([this] { return OrderFilter(); })) + ")",
                         Pick<std::string>({">", "<", ">="}) + " " + Amount());
      case 2: return cmp("avg(purchase.amount" + Sep(Args([this] { return PurchaseFilter(); })) + ")",
                         Pick<std::string>({">", "<"}) + " " + Amount());
      case 3: return cmp(Pick<std::string>({"min", "max"}) + "(order.amount)", Pick<std::string>({">", "<"}) + " " + Amount());
      case 4: return cmp(Pick<std::string>({"first", "last"}) + "(order.channel)", TextTail(s_.orders.channels));
      case 5: return cmp(Pick<std::string>({"first", "last", "min", "max"}) + "(order.at)", TimeTail());
      case 6: return cmp("distinct(purchase." + Pick<std::string>({"category", "sku", "brand", "amount"}) + ")",
                         NumberTail(0, 4));
      case 7: return cmp("distinct(event.type" + Sep(Args([this] { return EventFilter(); })) + ")", NumberTail(0, 6));
      case 8: return cmp("sum(event.price" + Sep(Args([this] { return EventFilter(); })) + ")",
                         Pick<std::string>({">", "<"}) + " " + Amount());
      case 9: return cmp("count(event, type = " + EventType() + Sep(Window()) + ")", NumberTail(0, 8));
      case 10: return cmp("last(event.category)", TextTail(s_.events.types));
      default: return cmp("count(purchase" + Sep(Args([this] { return PurchaseFilter(); })) + ")", NumberTail(0, 6));
    }
  }
  static std::string Sep(const std::string& s) { return s.empty() ? "" : ", " + s; }
  std::string Sequence() {
    std::string first = Uniform(0, 1) ? Did() : Bought();
    std::string then = Pick<std::string>({"bought()", "ordered()", "did(\"page_viewed\")", "bought(category = \"phones\")"});
    return first + " then " + (Uniform(0, 1) ? "not " : "") + then + " within " + std::to_string(Uniform(1, 30)) +
           " " + Pick<std::string>({"days", "hours", "weeks"});
  }
  std::string Tagged() {
    std::vector<std::string> tags;
    for (const auto& [tag, _] : s_.tags) tags.push_back(tag);
    tags.push_back("never-used");
    return "tagged(" + Quote(Pick(tags)) + (Uniform(0, 1) ? ", " + Quote(Pick(tags)) : "") + ")";
  }
  // A category as segments name it: full slug, last part or display name;
  // sometimes one that does not exist.
  std::string CategoryName() {
    const auto& k = s_.categories;
    if (k.slugs.empty() || Uniform(0, 9) == 0) return "no-such-category";
    size_t i = static_cast<size_t>(Uniform(0, static_cast<int>(k.slugs.size()) - 1));
    const std::string& slug = k.slugs[i];
    switch (Uniform(0, 2)) {
      case 0: return slug;
      case 1: return k.names[i];
      default: return slug.substr(slug.rfind('/') == std::string::npos ? 0 : slug.rfind('/') + 1);
    }
  }
  std::string ModelScore() {
    switch (Uniform(0, 2)) {
      case 0: return "best_channel " + TextTail(s_.profile.at("best_channel").dict);
      case 1: return "recommended(" + Quote(CategoryName()) + ")";
      default:
        if (Uniform(0, 5) == 0) return "propensity(" + Quote(CategoryName()) + ") is missing";
        return "propensity(" + Quote(CategoryName()) + ") " + Pick<std::string>({">", "<", ">=", "<="}) + " 0.0" +
               std::to_string(Uniform(0, 9));
    }
  }
  std::string Trait() {
    switch (Uniform(0, 7)) {
      case 0: return "rfm " + TextTail(s_.profile.at("rfm").dict);
      case 1: return "lifecycle " + TextTail(s_.profile.at("lifecycle").dict);
      case 2: return "churn_risk " + Pick<std::string>({">", "<", ">="}) + " 0." + std::to_string(Uniform(0, 9));
      case 3: return "clv_12m " + Pick<std::string>({">", "<"}) + " " + Amount();
      case 4: return "rfm_r " + NumberTail(1, 5);
      case 5: return "expected_purchases_12m > " + std::to_string(Uniform(0, 3));
      case 6: return "last_purchase_at " + TimeTail();
      default: return Pick<std::string>({"best_send_hour between 8 and 60", "lead_stage = \"mql\"", "lead_score > 10",
                                         "p_alive is missing", "expected_order_value > 100"});
    }
  }
  std::string AccountCondition() {
    switch (Uniform(0, 3)) {
      case 0: return "account.tier " + TextTail(s_.account_columns.at("tier").dict);
      case 1: return "account.employees " + NumberTail(0, 2000);
      case 2: return "account.revenue > " + Amount();
      default: return "account.country " + TextTail(s_.account_columns.at("country").dict);
    }
  }
  std::string AttributeCondition() {
    return Pick<std::string>({"interests contains \"gaming\"", "attr.interests is missing",
                              "interests starts with \"travel\"", "attr.interests != \"reading\"",
                              "attr.never_declared = \"x\""});
  }

  const engine::Snapshot& s_;
  std::mt19937_64 rng_;
};

}  // namespace patron::segment::test_support
