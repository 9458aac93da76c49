// Writes large, realistic import files for the import benchmarks:
//   gen_import_data customers N FILE   -- N customer rows (names in four scripts,
//                                         emails, local-format phones, cities,
//                                         birth dates, consents; ~2 % invalid)
//   gen_import_data orders N FILE      -- N order lines over N/2.5 orders
//   gen_import_data events N FILE      -- N Segment-style JSON lines (page views,
//                                         product views, tickets) for N/10 customers
// Deterministic (fixed seed) so runs compare.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

uint64_t state = 0x9E3779B97F4A7C15ULL;
uint64_t Next() {  // splitmix64
  uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}
uint64_t Below(uint64_t n) { return Next() % n; }

const char* kGiven[] = {"Sara", "Ali", "Mohammad", "Zahra", "Reza", "Maryam", "Erik", "Anna", "Lars", "Karin",
                        "Ahmed", "Fatima", "Omar", "Layla", "John", "Emma", "سارا", "علی", "محمد", "زهرا",
                        "مریم", "أحمد", "فاطمة", "عمر", "Åsa", "Björn", "Göran", "Märta"};
const char* kFamily[] = {"Rezaei", "Ahmadi", "Hosseini", "Karimi", "Andersson", "Johansson", "Karlsson",
                         "Nilsson", "Al-Hassan", "Haddad", "Smith", "Brown", "رضایی", "احمدی", "حسینی",
                         "کریمی", "الحسن", "حداد", "Öberg", "Ström"};
struct City {
  const char* name;
  const char* country;
  const char* phone_prefix;  // followed by 7 random digits
};
const City kCities[] = {{"Tehran", "IR", "0912"}, {"Mashhad", "IR", "0915"}, {"Isfahan", "IR", "0913"},
                        {"تهران", "IR", "0935"},   {"Stockholm", "SE", "070"}, {"Göteborg", "SE", "073"},
                        {"Malmö", "SE", "076"},    {"Dubai", "AE", "050"},     {"Riyadh", "SA", "055"},
                        {"London", "GB", "0791"}};
const char* kDomains[] = {"gmail.com", "yahoo.com", "outlook.com", "hotmail.se", "example.ir", "telia.com",
                          "icloud.com", "gmial.com"};

int Customers(long long n, FILE* out) {
  std::fputs("customer_id,given_name,family_name,email,mobile,city,country,birth_date,gender,consent_email,"
             "consent_method,created_at\n",
             out);
  char line[512];
  for (long long i = 0; i < n; ++i) {
    const char* given = kGiven[Below(sizeof kGiven / sizeof *kGiven)];
    const char* family = kFamily[Below(sizeof kFamily / sizeof *kFamily)];
    const City& city = kCities[Below(sizeof kCities / sizeof *kCities)];
    const char* domain = kDomains[Below(sizeof kDomains / sizeof *kDomains)];
    bool bad_email = Below(100) < 2;
    bool bad_phone = Below(100) < 2;
    int len = std::snprintf(
        line, sizeof line, "B%lld,%s,%s,user%lld%s%s,%s%07llu,%s,%s,%04d-%02d-%02d,%s,%s,%s,2024-%02d-%02dT10:00:00Z\n",
        i, given, family, i, bad_email ? "" : "@", domain, city.phone_prefix,
        static_cast<unsigned long long>(bad_phone ? Below(1000) : 1000000 + Below(8999999)), city.name, city.country,
        1950 + static_cast<int>(Below(55)), 1 + static_cast<int>(Below(12)), 1 + static_cast<int>(Below(28)),
        Below(2) ? "f" : "m", Below(3) ? "yes" : "no", Below(2) ? "double_opt_in" : "single_opt_in",
        1 + static_cast<int>(Below(12)), 1 + static_cast<int>(Below(28)));
    std::fwrite(line, 1, static_cast<size_t>(len), out);
  }
  return 0;
}

int Orders(long long n, FILE* out) {
  std::fputs("order_id,line_no,customer_id,ordered_at,sku,quantity,unit_price,currency\n", out);
  char line[256];
  long long order = 0, written = 0;
  long long customers = n / 10 > 1 ? n / 10 : 1;
  while (written < n) {
    int lines = 1 + static_cast<int>(Below(4));
    long long customer = static_cast<long long>(Below(static_cast<uint64_t>(customers)));
    int month = 1 + static_cast<int>(Below(12)), day = 1 + static_cast<int>(Below(28));
    for (int l = 1; l <= lines && written < n; ++l, ++written) {
      int len = std::snprintf(line, sizeof line, "O%lld,%d,B%lld,2025-%02d-%02dT%02d:%02d:00Z,SKU-%03d,%d,%d.%02d,EUR\n",
                              order, l, customer, month, day, static_cast<int>(Below(24)), static_cast<int>(Below(60)),
                              static_cast<int>(Below(300)), 1 + static_cast<int>(Below(3)),
                              1 + static_cast<int>(Below(900)), static_cast<int>(Below(100)));
      std::fwrite(line, 1, static_cast<size_t>(len), out);
    }
    ++order;
  }
  return 0;
}

int Events(long long n, FILE* out) {
  static const char* kTypes[] = {"page_viewed", "product_viewed", "cart_abandoned", "support_ticket_opened",
                                 "newsletter_signup"};
  char line[512];
  long long customers = n / 10 > 1 ? n / 10 : 1;
  for (long long i = 0; i < n; ++i) {
    long long customer = static_cast<long long>(Below(static_cast<uint64_t>(customers)));
    const char* type = kTypes[Below(sizeof kTypes / sizeof *kTypes)];
    int len = std::snprintf(
        line, sizeof line,
        "{\"messageId\":\"m-%lld\",\"userId\":\"B%lld\",\"type\":\"track\",\"event\":\"%s\","
        "\"timestamp\":\"2025-%02d-%02dT%02d:%02d:%02dZ\",\"properties\":{\"sku\":\"SKU-%03d\","
        "\"path\":\"/p/%d\",\"channel\":\"%s\"}}\n",
        i, customer, type, 1 + static_cast<int>(Below(12)), 1 + static_cast<int>(Below(28)),
        static_cast<int>(Below(24)), static_cast<int>(Below(60)), static_cast<int>(Below(60)),
        static_cast<int>(Below(300)), static_cast<int>(Below(1000)), Below(2) ? "web" : "app");
    std::fwrite(line, 1, static_cast<size_t>(len), out);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s customers|orders|events N FILE\n", argv[0]);
    return 2;
  }
  long long n = std::atoll(argv[2]);
  FILE* out = std::fopen(argv[3], "wb");
  if (!out) {
    std::perror(argv[3]);
    return 1;
  }
  static char buffer[1 << 20];
  std::setvbuf(out, buffer, _IOFBF, sizeof buffer);
  int rc = std::strcmp(argv[1], "orders") == 0   ? Orders(n, out)
           : std::strcmp(argv[1], "events") == 0 ? Events(n, out)
                                                  : Customers(n, out);
  std::fclose(out);
  return rc;
}
