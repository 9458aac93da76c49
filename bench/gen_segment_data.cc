// Writes a Patron database of synthetic customers, orders and events straight
// into the schema (no validation: this is benchmark data, not an import test),
// for the side-by-side segment benchmark.
//   gen_segment_data DB CUSTOMERS EVENTS [SEED]
// History spans the three years before 2026-11-01; event volume per customer is
// skewed (a few very active customers, many quiet ones), as in real shops.
#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "core/core.h"
#include "store/store.h"

namespace {

using patron::Database;
using patron::Statement;

constexpr int64_t kDay = 86'400'000'000LL;
const int64_t kToday = patron::CivilDate{2026, 11, 1}.ToDays() * kDay;
const int64_t kStart = kToday - 3 * 365 * kDay;

void Check(const patron::Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "gen_segment_data: %s: %s\n", what, s.ToString().c_str());
    std::exit(1);
  }
}

struct City {
  const char* name;
  const char* country;
  const char* language;
  int weight;
};
const City kCities[] = {
    {"Tehran", "IR", "fa", 30}, {"Isfahan", "IR", "fa", 8}, {"Shiraz", "IR", "fa", 6}, {"Mashhad", "IR", "fa", 6},
    {"Tabriz", "IR", "fa", 4},  {"Stockholm", "SE", "sv", 12}, {"Göteborg", "SE", "sv", 6}, {"Malmö", "SE", "sv", 4},
    {"Uppsala", "SE", "sv", 2}, {"Dubai", "AE", "ar", 6},  {"Riyadh", "SA", "ar", 5},  {"Cairo", "EG", "ar", 5},
    {"Amman", "JO", "ar", 2},   {"London", "GB", "en", 6}, {"Manchester", "GB", "en", 2}, {"New York", "US", "en", 4},
};
const char* kGiven[] = {"Sara", "Maryam", "Ali", "Reza", "Fatemeh", "Mohammad", "Erik", "Anna", "Lars", "Karin",
                        "Omar", "Layla", "Ahmed", "Noor", "James", "Emma", "Olivia", "Hossein", "Zahra", "Nils"};
const char* kLeafCategories[] = {"electronics/phones", "electronics/phone-accessories", "electronics/tablets",
                                 "home/kitchen", "home/decor", "stationery/school-supplies", "stationery/office"};
const char* kBrands[] = {"Samsung", "Apple", "Xiaomi", "Anker", "IKEA", "Faber-Castell", "Moleskine", "Tefal",
                         "Philips", "Stabilo"};

class Rng {
 public:
  explicit Rng(uint64_t seed) : g_(seed) {}
  int Int(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(g_); }
  int64_t Int64(int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(g_); }
  double Real() { return std::uniform_real_distribution<double>(0, 1)(g_); }
  bool Chance(double p) { return Real() < p; }
  // Heavy-tailed activity level: mostly ~1, sometimes 10-50x.
  double Activity() { return std::exp(std::normal_distribution<double>(0, 1.1)(g_)); }

 private:
  std::mt19937_64 g_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: gen_segment_data DB CUSTOMERS EVENTS [SEED]\n");
    return 2;
  }
  std::string path = argv[1];
  const int64_t customers = std::atoll(argv[2]);
  const int64_t events_total = std::atoll(argv[3]);
  Rng rng(argc > 4 ? std::strtoull(argv[4], nullptr, 10) : 42);
  std::remove(path.c_str());
  auto db_or = Database::Open(path);
  Check(db_or.status(), "open");
  Database& db = **db_or;
  Check(db.Exec("PRAGMA synchronous=OFF"), "pragma");
  auto prep = [&](const char* sql) {
    auto s = db.Prepare(sql);
    Check(s.status(), sql);
    return std::move(*s);
  };
  Check(db.Begin(), "begin");
  Check(db.Exec("INSERT INTO sources(id, name, kind, created_at) VALUES (1, 'crm', 'internal', 0), "
                "(2, 'shop', 'internal', 0), (3, 'web', 'internal', 0)"),
        "sources");
  // Categories: roots then leaves.
  {
    auto ins = prep("INSERT INTO categories(id, slug, name, parent_id) VALUES (?, ?, ?, ?)");
    const char* roots[] = {"electronics", "home", "stationery"};
    int id = 1;
    for (const char* r : roots) {
      ins->Bind(1, int64_t{id}).Bind(2, r).Bind(3, r).BindNull(4);
      Check(ins->Run(), "category");
      id++;
    }
    for (const char* leaf : kLeafCategories) {
      std::string slug = leaf;
      std::string root = slug.substr(0, slug.find('/'));
      int64_t parent = root == "electronics" ? 1 : root == "home" ? 2 : 3;
      ins->Bind(1, int64_t{id}).Bind(2, slug).Bind(3, slug.substr(slug.find('/') + 1)).Bind(4, parent);
      Check(ins->Run(), "category");
      id++;
    }
  }
  constexpr int kProducts = 400;
  std::vector<int64_t> product_price(kProducts + 1);
  std::vector<int> product_category(kProducts + 1);
  {
    auto ins = prep("INSERT INTO products(id, sku, name, category_id, brand, price_minor, currency, created_at, "
                    "updated_at) VALUES (?, ?, ?, ?, ?, ?, 'EUR', 0, 0)");
    for (int p = 1; p <= kProducts; ++p) {
      int leaf = rng.Int(0, 6);
      product_category[p] = leaf;
      product_price[p] = leaf <= 2 ? rng.Int(2000, 120000) : rng.Int(200, 8000);
      char sku[16];
      std::snprintf(sku, sizeof sku, "P%04d", p);
      ins->Bind(1, int64_t{p}).Bind(2, sku).Bind(3, std::string("Product ") + sku).Bind(4, int64_t{4 + leaf});
      ins->Bind(5, kBrands[rng.Int(0, 9)]).Bind(6, product_price[p]);
      Check(ins->Run(), "product");
    }
  }
  int total_weight = 0;
  for (const City& c : kCities) total_weight += c.weight;

  auto customer = prep(
      "INSERT INTO customers(id, given_name, family_name, gender, birth_date, language, city, country, "
      "acquisition_channel, lifecycle_stage, source_id, created_at, updated_at) "
      "VALUES (?, ?, 'Doe', ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)");
  auto tag = prep("INSERT INTO customer_tags(customer_id, tag) VALUES (?, ?)");
  auto contact = prep(
      "INSERT INTO contact_points(customer_id, kind, value, phone_type, status, source_id, first_seen_at, "
      "last_seen_at, last_verified_at) VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?)");
  auto consent = prep(
      "INSERT INTO consents(customer_id, channel, purpose, status, recorded_at, source_id, method) "
      "VALUES (?, ?, 'marketing', ?, ?, 1, 'single_opt_in')");
  auto order = prep(
      "INSERT INTO orders(id, customer_id, order_number, ordered_at, status, channel, currency, total_minor, "
      "source_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 2)");
  auto line = prep(
      "INSERT INTO order_lines(order_id, line_no, product_id, quantity, unit_price_minor, discount_minor) "
      "VALUES (?, ?, ?, ?, ?, 0)");
  auto event = prep(
      "INSERT INTO events(customer_id, type, occurred_at, received_at, source_id, source_key, properties) "
      "VALUES (?, ?, ?, ?, 3, ?, ?)");

  // Events are spread by each customer's activity level; draw levels first.
  std::vector<float> activity(customers + 1);
  double activity_sum = 0;
  for (int64_t c = 1; c <= customers; ++c) activity_sum += activity[c] = static_cast<float>(rng.Activity());
  const double events_per_activity = static_cast<double>(events_total) / activity_sum;

  int64_t order_id = 0, event_id = 0, rows = 0;
  double carry = 0;
  std::vector<int64_t> times;
  for (int64_t c = 1; c <= customers; ++c) {
    int pick = rng.Int(1, total_weight);
    const City* city = &kCities[0];
    for (const City& ct : kCities) {
      if ((pick -= ct.weight) <= 0) {
        city = &ct;
        break;
      }
    }
    int64_t created = rng.Int64(kStart, kToday - kDay);
    customer->Bind(1, c).Bind(2, kGiven[rng.Int(0, 19)]).Bind(3, rng.Chance(0.5) ? "female" : "male");
    if (rng.Chance(0.9)) {
      char birth[16];
      std::snprintf(birth, sizeof birth, "%04d-%02d-%02d", rng.Int(1946, 2008), rng.Int(1, 12), rng.Int(1, 28));
      customer->Bind(4, birth);
    } else {
      customer->BindNull(4);
    }
    customer->Bind(5, city->language).Bind(6, city->name).Bind(7, city->country);
    static const char* kChannels[] = {"organic", "paid_search", "paid_social", "referral", "store"};
    static const char* kStages[] = {"lead", "customer", "customer", "lapsed", "prospect"};
    customer->Bind(8, kChannels[rng.Int(0, 4)]).Bind(9, kStages[rng.Int(0, 4)]).Bind(10, created).Bind(11, created);
    Check(customer->Run(), "customer");
    if (rng.Chance(0.2)) Check(tag->Bind(1, c).Bind(2, "newsletter").Run(), "tag");
    if (rng.Chance(0.05)) Check(tag->Bind(1, c).Bind(2, "vip").Run(), "tag");
    if (rng.Chance(0.08)) Check(tag->Bind(1, c).Bind(2, "b2b").Run(), "tag");
    int64_t seen = rng.Int64(kToday - 900 * kDay, kToday);
    if (rng.Chance(0.8)) {
      double s = rng.Real();
      const char* status = s < 0.5 ? "verified" : s < 0.9 ? "unverified" : "bounced";
      contact->Bind(1, c).Bind(2, "email").Bind(3, "c" + std::to_string(c) + "@example.com").BindNull(4);
      contact->Bind(5, status).Bind(6, created).Bind(7, seen);
      if (std::string(status) == "verified") contact->Bind(8, seen); else contact->BindNull(8);
      Check(contact->Run(), "email");
    }
    if (rng.Chance(0.6)) {
      bool verified = rng.Chance(0.55);
      contact->Bind(1, c).Bind(2, "phone").Bind(3, "+4670" + std::to_string(1000000 + c)).Bind(4, rng.Chance(0.8) ? "mobile" : "fixed_line");
      contact->Bind(5, verified ? "verified" : "unverified").Bind(6, created).Bind(7, seen);
      if (verified) contact->Bind(8, seen); else contact->BindNull(8);
      Check(contact->Run(), "phone");
    }
    if (rng.Chance(0.7)) {
      consent->Bind(1, c).Bind(2, "email").Bind(3, rng.Chance(0.85) ? "granted" : "withdrawn").Bind(4, created);
      Check(consent->Run(), "consent");
    }
    if (rng.Chance(0.45)) {
      consent->Bind(1, c).Bind(2, "sms").Bind(3, rng.Chance(0.8) ? "granted" : "withdrawn").Bind(4, created);
      Check(consent->Run(), "consent");
    }
    // Orders: about two per customer, many with none.
    int orders = rng.Chance(0.3) ? 0 : std::min(40, static_cast<int>(activity[c] * 2 + rng.Real()));
    for (int o = 0; o < orders; ++o) {
      ++order_id;
      int64_t at = rng.Int64(std::max(created, kStart), kToday);
      bool irr = std::string(city->country) == "IR";
      double s = rng.Real();
      const char* status = s < 0.9 ? "completed" : s < 0.95 ? "returned" : "cancelled";
      static const char* kOrderChannels[] = {"web", "app", "store"};
      int lines = rng.Int(1, 3);
      int64_t total = 0;
      std::vector<std::pair<int, int>> items;
      for (int l = 0; l < lines; ++l) {
        int p = rng.Int(1, kProducts);
        int q = rng.Int(1, 3);
        items.emplace_back(p, q);
        total += product_price[p] * q * (irr ? 500 : 1);
      }
      order->Bind(1, order_id).Bind(2, c).Bind(3, "O" + std::to_string(order_id)).Bind(4, at).Bind(5, status);
      order->Bind(6, kOrderChannels[rng.Int(0, 2)]).Bind(7, irr ? "IRR" : "EUR").Bind(8, total);
      Check(order->Run(), "order");
      for (int l = 0; l < lines; ++l) {
        line->Bind(1, order_id).Bind(2, int64_t{l + 1}).Bind(3, int64_t{items[l].first}).Bind(4, int64_t{items[l].second});
        line->Bind(5, product_price[items[l].first] * (irr ? 500 : 1));
        Check(line->Run(), "line");
      }
    }
    // Events, in time order.
    carry += activity[c] * events_per_activity;
    auto n = static_cast<int64_t>(carry);
    carry -= static_cast<double>(n);
    times.clear();
    for (int64_t i = 0; i < n; ++i) times.push_back(rng.Int64(std::max(created, kStart), kToday));
    std::sort(times.begin(), times.end());
    for (int64_t at : times) {
      ++event_id;
      double t = rng.Real();
      const char* type;
      std::string props;
      char buf[160];
      if (t < 0.40) {
        type = "page_viewed";
        props = "{\"path\":\"/\"}";
      } else if (t < 0.70) {
        type = "product_viewed";
        int p = rng.Int(1, kProducts);
        std::snprintf(buf, sizeof buf, "{\"sku\":\"P%04d\",\"category\":\"%s\",\"price\":%.2f,\"channel\":\"%s\"}", p,
                      kLeafCategories[product_category[p]], static_cast<double>(product_price[p]) / 100.0,
                      rng.Chance(0.6) ? "web" : "app");
        props = buf;
      } else if (t < 0.75) {
        type = "cart_abandoned";
        std::snprintf(buf, sizeof buf, "{\"value\":%d}", rng.Int(5, 900));
        props = buf;
      } else if (t < 0.85) {
        type = "message_sent";
        std::snprintf(buf, sizeof buf, "{\"kind\":\"%s\",\"channel\":\"%s\",\"campaign\":\"c%d\"}",
                      rng.Chance(0.6) ? "promo" : "newsletter", rng.Chance(0.7) ? "email" : "sms", rng.Int(1, 60));
        props = buf;
      } else if (t < 0.90) {
        type = "message_opened";
        props = "{}";
      } else if (t < 0.95) {
        type = "search";
        props = "{\"query\":\"phone case\"}";
      } else if (t < 0.98) {
        type = "support_ticket_opened";
        props = "{}";
      } else {
        type = "newsletter_signup";
        props = "{}";
      }
      event->Bind(1, c).Bind(2, type).Bind(3, at).Bind(4, at).Bind(5, "e" + std::to_string(event_id)).Bind(6, props);
      Check(event->Run(), "event");
    }
    rows += 1 + n;
    if (c % 50000 == 0) {
      Check(db.Commit(), "commit");
      Check(db.Begin(), "begin");
      std::fprintf(stderr, "\r%" PRId64 " customers, %" PRId64 " events, %" PRId64 " orders", c, event_id, order_id);
    }
  }
  Check(db.Commit(), "commit");
  std::fprintf(stderr, "\r%" PRId64 " customers, %" PRId64 " events, %" PRId64 " orders\n", customers, event_id,
               order_id);
  Check(db.Exec("ANALYZE"), "analyze");
  return 0;
}
