// Insights (R16): which products and categories sell to which age bands,
// cities, channels and genders, as shares of buyers and revenue with an index
// against all buyers.
#include <algorithm>
#include <limits>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "models/models.h"

namespace patron::models {

namespace {

constexpr int64_t kMicrosPerDay = 86'400'000'000;
constexpr std::string_view kAgeBands[] = {"under 25", "25-34", "35-44", "45-54",
                                          "55-64",    "65+",   "unknown"};
constexpr std::string_view kOther = "other", kUnknown = "unknown";

// Whole years on `on` of someone born on `text` (YYYY-MM-DD), or -1.
int AgeOn(std::string_view text, const CivilDate& on) {
  if (text.size() < 10 || text[4] != '-' || text[7] != '-') return -1;
  auto number = [&](size_t at, size_t n) {
    int v = 0;
    for (size_t i = at; i < at + n; ++i) {
      if (text[i] < '0' || text[i] > '9') return -1;
      v = v * 10 + (text[i] - '0');
    }
    return v;
  };
  const int y = number(0, 4), m = number(5, 2), d = number(8, 2);
  if (y < 0 || m < 1 || d < 1) return -1;
  int age = on.year - y - ((on.month < m || (on.month == m && on.day < d)) ? 1 : 0);
  return age >= 0 && age < 150 ? age : -1;
}

std::string_view AgeBand(int age) {
  if (age < 0) return kAgeBands[6];
  if (age < 25) return kAgeBands[0];
  if (age >= 65) return kAgeBands[5];
  return kAgeBands[1 + (age - 25) / 10];
}

struct Line {
  int64_t customer = 0;
  int32_t customer_group = 0;  // age band, city, gender (unused for channel)
  int32_t channel_group = 0;
  int32_t product = -1;   // index into the product list
  int32_t category = -1;  // index into the category list
  int32_t currency = 0;
  int64_t amount = 0;
};

// Accumulates one row: buyers per group (each buyer once, in the group of
// their first line in the row) and revenue per group.
struct RowTotals {
  int64_t last_customer = std::numeric_limits<int64_t>::min();
  std::vector<int64_t> buyers, revenue;
  explicit RowTotals(size_t groups) : buyers(groups, 0), revenue(groups, 0) {}
  void Add(const Line& l, int32_t group, bool counted_currency) {
    if (l.customer != last_customer) {
      last_customer = l.customer;
      ++buyers[group];
    }
    if (counted_currency) revenue[group] += l.amount;
  }
};

}  // namespace

Result<InsightDimension> ParseInsightDimension(std::string_view name) {
  if (name == "age") return InsightDimension::kAge;
  if (name == "city") return InsightDimension::kCity;
  if (name == "channel") return InsightDimension::kChannel;
  if (name == "gender") return InsightDimension::kGender;
  return InvalidArgument("--by is age, city, channel or gender, not '" + std::string(name) + "'");
}

Result<InsightReport> ProductInsights(Database& db, const InsightOptions& options) {
  if (!options.until.IsValid() || (options.since && !options.since->IsValid())) {
    return InvalidArgument("the insight's dates are not valid dates");
  }
  InsightReport report;
  report.by = options.by;
  report.since = options.since;
  report.until = options.until;

  // Categories and the ones the --category filter keeps (it and those below).
  std::vector<int64_t> category_ids, parents;
  std::vector<std::string> slugs, category_names;
  {
    Statement& q = db.Query("models-insight-categories");
    while (true) {
      ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      category_ids.push_back(q.Int(0));
      slugs.push_back(q.String(1));
      category_names.push_back(q.String(2));
      parents.push_back(q.IsNull(3) ? 0 : q.Int(3));
    }
    q.Reset();
  }
  auto category_index = [&](int64_t id) -> int32_t {
    auto it = std::lower_bound(category_ids.begin(), category_ids.end(), id);
    return it != category_ids.end() && *it == id ? static_cast<int32_t>(it - category_ids.begin()) : -1;
  };
  std::vector<uint8_t> kept(category_ids.size(), options.category.empty() ? 1 : 0);
  if (!options.category.empty()) {
    const std::string wanted = FoldForMatching(options.category);
    for (size_t i = 0; i < slugs.size(); ++i) {
      const std::string slug = FoldForMatching(slugs[i]);
      const size_t slash = slug.rfind('/');
      const std::string leaf = slash == std::string::npos ? slug : slug.substr(slash + 1);
      if (slug == wanted || leaf == wanted || FoldForMatching(category_names[i]) == wanted) kept[i] = 1;
    }
    // Descendants: repeat until nothing changes (the tree is shallow).
    for (bool changed = true; changed;) {
      changed = false;
      for (size_t i = 0; i < kept.size(); ++i) {
        const int32_t parent = category_index(parents[i]);
        if (!kept[i] && parent >= 0 && kept[parent]) {
          kept[i] = 1;
          changed = true;
        }
      }
    }
    if (std::find(kept.begin(), kept.end(), 1) == kept.end()) {
      return NotFound("no product category is called \"" + options.category + "\"");
    }
  }
  std::vector<int64_t> product_ids;
  std::vector<std::string> skus, product_names;
  {
    Statement& q = db.Query("models-insight-products");
    while (true) {
      ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      product_ids.push_back(q.Int(0));
      skus.push_back(q.String(1));
      product_names.push_back(q.String(2));
    }
    q.Reset();
  }

  // The lines in scope, with the buyer's group.
  std::vector<std::string> customer_groups, channel_groups, currencies;
  std::map<std::string, int32_t, std::less<>> customer_group_index, channel_group_index,
      currency_index;
  auto intern = [](std::map<std::string, int32_t, std::less<>>& index,
                   std::vector<std::string>& names, std::string_view value) {
    auto it = index.find(value);
    if (it == index.end()) {
      it = index.emplace(std::string(value), static_cast<int32_t>(names.size())).first;
      names.emplace_back(value);
    }
    return it->second;
  };
  std::vector<Line> lines;
  {
    Statement& q = db.Query("models-insight-lines");
    q.Bind(":from", options.since ? options.since->ToDays() * kMicrosPerDay
                                  : std::numeric_limits<int64_t>::min());
    q.Bind(":before", (options.until.ToDays() + 1) * kMicrosPerDay);
    while (true) {
      ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      Line l;
      l.customer = q.Int(0);
      if (!q.IsNull(3)) {
        auto it = std::lower_bound(product_ids.begin(), product_ids.end(), q.Int(3));
        if (it != product_ids.end() && *it == q.Int(3))
          l.product = static_cast<int32_t>(it - product_ids.begin());
      }
      l.category = q.IsNull(4) ? -1 : category_index(q.Int(4));
      if (!options.category.empty() && (l.category < 0 || !kept[l.category])) continue;
      l.channel_group = intern(channel_group_index, channel_groups,
                               q.IsNull(1) || q.Text(1).empty() ? kUnknown : q.Text(1));
      l.currency = intern(currency_index, currencies, q.Text(2));
      l.amount = q.Int(5);
      std::string_view group;
      switch (options.by) {
        case InsightDimension::kAge:
          group = AgeBand(q.IsNull(6) ? -1 : AgeOn(q.Text(6), options.until));
          break;
        case InsightDimension::kCity:
          group = q.IsNull(7) || q.Text(7).empty() ? kUnknown : q.Text(7);
          break;
        case InsightDimension::kGender:
          group = q.IsNull(8) || q.Text(8).empty() ? kUnknown : q.Text(8);
          break;
        case InsightDimension::kChannel:
          break;
      }
      l.customer_group = intern(customer_group_index, customer_groups, group);
      lines.push_back(l);
    }
    q.Reset();
  }

  // The groups in their display order; cities beyond the top ones become "other".
  const bool by_channel = options.by == InsightDimension::kChannel;
  const std::vector<std::string>& raw_groups = by_channel ? channel_groups : customer_groups;
  std::vector<int64_t> raw_buyers(raw_groups.size(), 0);
  {
    int64_t last = std::numeric_limits<int64_t>::min();
    for (const Line& l : lines) {
      if (l.customer == last) continue;
      last = l.customer;
      ++raw_buyers[by_channel ? l.channel_group : l.customer_group];
    }
  }
  std::vector<int32_t> order(raw_groups.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int32_t>(i);
  std::vector<int32_t> group_of(raw_groups.size(), 0);  // raw group -> report group
  if (options.by == InsightDimension::kAge) {
    for (std::string_view band : kAgeBands) report.groups.emplace_back(band);
    for (size_t i = 0; i < raw_groups.size(); ++i) {
      group_of[i] = static_cast<int32_t>(
          std::find(std::begin(kAgeBands), std::end(kAgeBands), raw_groups[i]) - std::begin(kAgeBands));
    }
  } else {
    // Most buyers first; "unknown" last.
    std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
      const bool ua = raw_groups[a] == kUnknown, ub = raw_groups[b] == kUnknown;
      if (ua != ub) return ub;
      return raw_buyers[a] > raw_buyers[b];
    });
    const size_t limit = options.by == InsightDimension::kCity
                             ? static_cast<size_t>(std::max(1, options.top_cities))
                             : order.size();
    int32_t other = -1;
    for (size_t rank = 0; rank < order.size(); ++rank) {
      const int32_t g = order[rank];
      if (rank < limit && raw_groups[g] != kUnknown) {
        group_of[g] = static_cast<int32_t>(report.groups.size());
        report.groups.push_back(raw_groups[g]);
      } else if (raw_groups[g] == kUnknown) {
        group_of[g] = -2;  // placed after "other"
      } else {
        if (other < 0) {
          other = static_cast<int32_t>(report.groups.size());
          report.groups.emplace_back(kOther);
        }
        group_of[g] = other;
      }
    }
    int32_t unknown = -1;
    for (size_t g = 0; g < group_of.size(); ++g) {
      if (group_of[g] != -2) continue;
      if (unknown < 0) {
        unknown = static_cast<int32_t>(report.groups.size());
        report.groups.emplace_back(kUnknown);
      }
      group_of[g] = unknown;
    }
  }
  const size_t groups = report.groups.size();

  // Revenue is compared in one currency: the one asked for, else the one with the most lines.
  {
    std::vector<int64_t> count(currencies.size(), 0);
    for (const Line& l : lines) ++count[l.currency];
    int32_t chosen = -1;
    if (!options.currency.empty()) {
      auto it = currency_index.find(options.currency);
      if (it == currency_index.end()) {
        return NotFound("no purchase in scope is in " + options.currency);
      }
      chosen = it->second;
    } else if (!count.empty()) {
      chosen = static_cast<int32_t>(std::max_element(count.begin(), count.end()) - count.begin());
    }
    report.currency = chosen >= 0 ? currencies[chosen] : options.currency;
  }
  const int32_t revenue_currency = currency_index.count(report.currency) ? currency_index.at(report.currency) : -1;

  RowTotals all(groups);
  std::vector<RowTotals> by_category(category_ids.size(), RowTotals(groups));
  std::vector<RowTotals> by_product(product_ids.size(), RowTotals(groups));
  // A buyer's group for the channel dimension is the channel of their first
  // line in the row; RowTotals counts a buyer at their first line, as needed.
  for (const Line& l : lines) {
    const int32_t group = group_of[by_channel ? l.channel_group : l.customer_group];
    const bool counted = l.currency == revenue_currency;
    all.Add(l, group, counted);
    if (l.category >= 0) by_category[l.category].Add(l, group, counted);
    if (l.product >= 0) by_product[l.product].Add(l, group, counted);
  }
  auto finish = [&](const RowTotals& t, InsightRow::Kind kind, std::string key, std::string name) {
    InsightRow row;
    row.kind = kind;
    row.key = std::move(key);
    row.name = std::move(name);
    for (size_t g = 0; g < groups; ++g) {
      row.buyers += t.buyers[g];
      row.revenue_minor += t.revenue[g];
    }
    row.cells.resize(groups);
    for (size_t g = 0; g < groups; ++g) {
      InsightCell& c = row.cells[g];
      c.buyers = t.buyers[g];
      c.revenue_minor = t.revenue[g];
      c.buyer_share = row.buyers ? static_cast<double>(c.buyers) / static_cast<double>(row.buyers) : 0;
      c.revenue_share = row.revenue_minor ? static_cast<double>(c.revenue_minor) /
                                                static_cast<double>(row.revenue_minor)
                                          : 0;
    }
    return row;
  };
  report.all = finish(all, InsightRow::Kind::kAll, "", "all buyers");
  auto set_index = [&](InsightRow& row) {
    for (size_t g = 0; g < groups; ++g) {
      const double base = report.all.cells[g].buyer_share;
      row.cells[g].index = base > 0 ? 100.0 * row.cells[g].buyer_share / base : 0;
    }
  };
  set_index(report.all);
  std::vector<InsightRow> categories, products;
  for (size_t k = 0; k < by_category.size(); ++k) {
    InsightRow row = finish(by_category[k], InsightRow::Kind::kCategory, slugs[k], category_names[k]);
    if (row.buyers > 0) categories.push_back(std::move(row));
  }
  for (size_t p = 0; p < by_product.size(); ++p) {
    InsightRow row = finish(by_product[p], InsightRow::Kind::kProduct, skus[p], product_names[p]);
    if (row.buyers > 0) products.push_back(std::move(row));
  }
  auto most_buyers = [](const InsightRow& a, const InsightRow& b) {
    return a.buyers != b.buyers ? a.buyers > b.buyers : a.key < b.key;
  };
  std::sort(categories.begin(), categories.end(), most_buyers);
  std::sort(products.begin(), products.end(), most_buyers);
  if (products.size() > static_cast<size_t>(std::max(0, options.top_products)))
    products.resize(static_cast<size_t>(std::max(0, options.top_products)));
  for (auto* list : {&categories, &products}) {
    for (InsightRow& row : *list) {
      set_index(row);
      report.rows.push_back(std::move(row));
    }
  }
  return report;
}

}  // namespace patron::models
