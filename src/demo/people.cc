// People and B2B accounts of the demo data, and how their names, phone
// numbers, emails and postal codes are written.

#include <algorithm>
#include <cmath>
#include <unordered_set>

#include "demo/generator_internal.h"

namespace patron::demo::internal {
namespace {

using Sv = std::string_view;

constexpr Sv kMaritalStatuses[] = {"single", "married", "divorced", "widowed"};
constexpr Sv kEducations[] = {"primary",  "secondary", "vocational",
                              "bachelor", "master",    "doctorate"};
constexpr double kEducationWeights[] = {5, 30, 12, 33, 16, 4};
constexpr Sv kIncomeBands[] = {"low", "lower_middle", "middle", "upper_middle", "high"};
constexpr Sv kAcquisitionChannels[] = {"web",         "store",  "app",   "referral",
                                       "paid_social", "search", "event", "partner"};
constexpr double kAcquisitionWeights[] = {30, 22, 14, 8, 10, 10, 4, 2};
constexpr Sv kPhoneBrands[] = {"Samsung", "Apple", "Xiaomi", "Nokia"};
constexpr double kPhoneBrandWeights[kCultureCount][4] = {
    {45, 15, 30, 10}, {40, 40, 15, 5}, {35, 50, 10, 5}, {35, 55, 5, 5}};
constexpr Sv kInterests[] = {"photography", "running", "reading",  "cooking", "gaming",
                             "travel",      "music",   "football", "art",     "gardening"};

constexpr double kCultureWeights[kCultureCount] = {40, 20, 25, 15};
// Mean household size by culture.
constexpr double kHouseholdMean[kCultureCount] = {3.3, 4.4, 2.1, 2.4};
// Share with a landline in the CRM.
constexpr double kLandlineShare[kCultureCount] = {0.30, 0.15, 0.10, 0.12};
// Evening hour when each culture shops most.
constexpr int kShoppingHour[kCultureCount] = {21, 22, 19, 20};

// Prefixes of mobile numbers that do not exist (national significant number).
constexpr Sv kInvalidMobilePrefix[kCountryCount] = {"940", "59", "52", "99",  "19",
                                                    "89",  "71", "61", "555", "190"};

// --- Account names --------------------------------------------------------------

struct Word {
  Sv native;
  Sv latin;
};

constexpr Sv kSwedishNameStarts[] = {"Nord", "Berg",  "Sjö",    "Vik", "Ek",  "Lind", "Björk",
                                     "Sten", "Fjäll", "Strand", "Sol", "Älv", "Gran", "Ås"};
constexpr Sv kSwedishNameEnds[] = {"vik",  "berg",  "dal",  "holm", "lund",
                                   "gård", "ström", "bäck", "näs"};
constexpr Sv kSwedishTrades[] = {"Kontorsservice", "Bygg",        "Konsult",    "Data",
                                 "Redovisning",    "Fastigheter", "Logistik",   "Tandvård",
                                 "Skolutveckling", "Elektronik",  "Advokatbyrå"};
constexpr Sv kEnglishNameStarts[] = {"Bright", "Crown",  "Oak",   "Thames", "Pennine", "North",
                                     "Kings",  "Albion", "River", "Green",  "Stone",   "Ash"};
constexpr Sv kEnglishNameEnds[] = {"well", "field", "wood", "bridge", "gate", "ford", "ley"};
constexpr Sv kEnglishTrades[] = {"Supplies", "Consulting", "Logistics", "Academy",    "Solutions",
                                 "Legal",    "Accounting", "Property",  "Electronics"};
constexpr Sv kGermanFamilies[] = {"Müller",   "Schneider", "Fischer", "Weber", "Becker",
                                  "Hoffmann", "Schulz",    "Koch",    "Wagner"};
constexpr Sv kGermanTrades[] = {"Bürobedarf", "Logistik", "Software",
                                "Beratung",   "Technik",  "Immobilien"};
constexpr Word kPersianCompanyWords[] = {
    {"پارس", "pars"},   {"آریا", "arya"},          {"سپهر", "sepehr"},
    {"نوین", "novin"},  {"البرز", "alborz"},       {"کیان", "kian"},
    {"مهر", "mehr"},    {"ایده", "ideh"},          {"پیشگامان", "pishgaman"},
    {"آرمان", "arman"}, {"توسعه", "tosee"},        {"فناوری", "fanavari"},
    {"داده", "dadeh"},  {"پردازش", "pardazesh"},   {"تجارت", "tejarat"},
    {"صنعت", "sanat"},  {"ارتباطات", "ertebatat"}, {"آفرینش", "afarinesh"}};
constexpr Sv kArabCompanyLatinStarts[] = {"Al Noor", "Gulf Horizon", "Desert Star", "Al Waha",
                                          "Falcon",  "Pearl",        "Al Majd",     "Nile Delta",
                                          "Petra",   "Oasis"};
constexpr Sv kArabCompanyLatinTrades[] = {"Trading",     "General Trading",    "Technologies",
                                          "Contracting", "Education Services", "Office Solutions",
                                          "Logistics"};
constexpr Word kArabCompanyStarts[] = {
    {"النور", "alnoor"},     {"الأفق", "alofuq"}, {"الواحة", "alwaha"},   {"الصقر", "alsaqr"},
    {"اللؤلؤة", "alluluah"}, {"المجد", "almajd"}, {"الخليج", "alkhaleej"}};
constexpr Word kArabCompanyTrades[] = {{"للتجارة", "trading"},
                                       {"للتقنية", "tech"},
                                       {"للمقاولات", "contracting"},
                                       {"للخدمات التعليمية", "edu"},
                                       {"للحلول المكتبية", "office"}};

// NACE Rev. 2 classes of the store's business customers. Sweden writes them as
// five-digit SNI codes, the UK and Germany as NACE, the rest as ISIC Rev. 4.
constexpr Sv kNaceClasses[] = {"47.41", "46.49", "46.66", "85.31", "85.20", "69.10",
                               "69.20", "62.01", "86.10", "61.20", "71.11", "64.19",
                               "65.12", "41.20", "68.20", "49.41"};

constexpr Sv kCompetitorsSe[] = {"Lyreco", "Staples", "Dustin", "Komplett", "Kontorsgiganten"};
constexpr Sv kCompetitorsGb[] = {"Lyreco", "Viking", "Ryman", "Currys Business"};
constexpr Sv kCompetitorsUs[] = {"Staples", "Office Depot", "Amazon Business", "Best Buy Business"};
constexpr Sv kCompetitorsDe[] = {"Lyreco", "Otto Office", "Viking", "Memo"};
constexpr Sv kCompetitorsIr[] = {"Digikala", "Technolife", "Lavazem Tahrir Parsian"};
constexpr Sv kCompetitorsArab[] = {"Jarir Bookstore", "Noon Business", "Amazon Business",
                                   "Carrefour"};

constexpr Sv kContractStatuses[] = {"active", "negotiation", "expired", "prospect"};
constexpr double kContractWeights[] = {55, 10, 15, 20};

std::span<const Sv> CompetitorsOf(CountryCode country) {
  switch (country) {
    case CountryCode::kSE:
      return kCompetitorsSe;
    case CountryCode::kGB:
      return kCompetitorsGb;
    case CountryCode::kUS:
      return kCompetitorsUs;
    case CountryCode::kDE:
      return kCompetitorsDe;
    case CountryCode::kIR:
      return kCompetitorsIr;
    default:
      return kCompetitorsArab;
  }
}

Sv TopLevelDomain(CountryCode country, Rng& rng) {
  switch (country) {
    case CountryCode::kIR:
      return rng.Chance(0.6) ? ".ir" : (rng.Chance(0.5) ? ".co.ir" : ".com");
    case CountryCode::kAE:
      return rng.Chance(0.6) ? ".ae" : ".com";
    case CountryCode::kSA:
      return ".com.sa";
    case CountryCode::kQA:
      return ".qa";
    case CountryCode::kEG:
      return ".com.eg";
    case CountryCode::kJO:
      return ".jo";
    case CountryCode::kSE:
      return ".se";
    case CountryCode::kGB:
      return ".co.uk";
    case CountryCode::kUS:
      return ".com";
    case CountryCode::kDE:
      return ".de";
  }
  return ".com";
}

// A company name in the style of `country`, with its legal form, and the
// second-level part of its web domain.
void ComposeCompany(CountryCode country, Rng& rng, std::string& name, std::string& domain) {
  name.clear();
  domain.clear();
  switch (country) {
    case CountryCode::kSE: {
      const std::string stem = std::string(rng.Pick<Sv>(kSwedishNameStarts)) +
                               std::string(rng.Pick<Sv>(kSwedishNameEnds));
      const Sv trade = rng.Pick<Sv>(kSwedishTrades);
      name = stem + " " + std::string(trade) + " AB";
      domain = AsciiSlug(stem) + AsciiSlug(trade);
      break;
    }
    case CountryCode::kGB:
    case CountryCode::kUS: {
      const std::string stem = std::string(rng.Pick<Sv>(kEnglishNameStarts)) +
                               std::string(rng.Pick<Sv>(kEnglishNameEnds));
      const Sv trade = rng.Pick<Sv>(kEnglishTrades);
      name = stem + " " + std::string(trade);
      if (country == CountryCode::kGB) {
        name += " Ltd";
      } else {
        name += rng.Chance(0.6) ? " LLC" : " Inc.";
      }
      domain = AsciiSlug(stem) + AsciiSlug(trade);
      break;
    }
    case CountryCode::kDE: {
      const Sv family = rng.Pick<Sv>(kGermanFamilies);
      const Sv trade = rng.Pick<Sv>(kGermanTrades);
      name = std::string(family) + " " + std::string(trade) + " GmbH";
      domain = AsciiSlug(family) + "-" + AsciiSlug(trade);
      break;
    }
    case CountryCode::kIR: {
      const Word& a = rng.Pick<Word>(kPersianCompanyWords);
      const Word* b = &rng.Pick<Word>(kPersianCompanyWords);
      while (b == &a) b = &rng.Pick<Word>(kPersianCompanyWords);
      name = "شرکت ";
      name += a.native;
      name += ' ';
      name += b->native;
      name += rng.Chance(0.85) ? " (سهامی خاص)" : " (سهامی عام)";
      domain = std::string(a.latin) + std::string(b->latin);
      break;
    }
    default: {
      if (rng.Chance(0.7)) {
        const Sv start = rng.Pick<Sv>(kArabCompanyLatinStarts);
        const Sv trade = rng.Pick<Sv>(kArabCompanyLatinTrades);
        name = std::string(start) + " " + std::string(trade);
        name += country == CountryCode::kSA   ? " Co. Ltd"
                : country == CountryCode::kEG ? " S.A.E."
                                              : " LLC";
        domain = AsciiSlug(start) + "-" + AsciiSlug(trade);
      } else {
        const Word& start = rng.Pick<Word>(kArabCompanyStarts);
        const Word& trade = rng.Pick<Word>(kArabCompanyTrades);
        name = "شركة ";
        name += start.native;
        name += ' ';
        name += trade.native;
        name += " ذ.م.م";
        domain = std::string(start.latin) + "-" + std::string(trade.latin);
      }
    }
  }
}

int PickCity(Rng& rng, Culture culture, std::span<const CityInfo> cities) {
  double weights[32];
  const size_t n = std::min<size_t>(cities.size(), 32);
  for (size_t i = 0; i < n; ++i) {
    const bool match = Country(cities[i].country).culture == culture;
    weights[i] = match ? cities[i].weight : 0.0;
  }
  return static_cast<int>(rng.Weighted(std::span<const double>(weights, n)));
}

int PickCityIn(Rng& rng, CountryCode country, std::span<const CityInfo> cities) {
  double weights[32];
  const size_t n = std::min<size_t>(cities.size(), 32);
  for (size_t i = 0; i < n; ++i) {
    weights[i] = cities[i].country == country ? std::max(1.0, cities[i].weight) : 0.0;
  }
  return static_cast<int>(rng.Weighted(std::span<const double>(weights, n)));
}

// A keyed permutation of [0, space): a four-round Feistel network on the
// smallest even number of bits covering `space`, walking the cycle until the
// value falls inside (at most a few steps, the domain being < 4 * space).
uint64_t PermuteBelow(uint64_t x, uint64_t space, uint64_t key) {
  int bits = 2;
  while (bits < 62 && (uint64_t{1} << bits) < space) bits += 2;
  const int half = bits / 2;
  const uint64_t mask = (uint64_t{1} << half) - 1;
  do {
    uint64_t left = x >> half;
    uint64_t right = x & mask;
    for (uint64_t round = 0; round < 4; ++round) {
      uint64_t state = right ^ (key + round * 0x9E3779B97F4A7C15ULL);
      const uint64_t next = left ^ (SplitMix64(state) & mask);
      left = right;
      right = next;
    }
    x = (left << half) | right;
  } while (x >= space);
  return x;
}

// Common names are more common: index skewed towards the start of the table.
const NameEntry* PickName(Rng& rng, std::span<const NameEntry> names) {
  const uint64_t a = rng.Below(names.size());
  const uint64_t b = rng.Below(names.size());
  return &names[std::min(a, b)];
}

void AppendDigits(std::string& out, Rng& rng, int count, char first_min = '0') {
  for (int i = 0; i < count; ++i) {
    const char lo = i == 0 ? first_min : '0';
    out.push_back(static_cast<char>(lo + rng.Below('9' - lo + 1)));
  }
}

// Fills `pattern` ('#' takes the next digit of `digits`).
void AppendPattern(std::string& out, Sv pattern, Sv digits) {
  size_t next = 0;
  for (char c : pattern) {
    if (c == '#') {
      if (next < digits.size()) out.push_back(digits[next++]);
    } else {
      out.push_back(c);
    }
  }
  out.append(digits.substr(std::min(next, digits.size())));
}

struct MobilePatterns {
  Sv national;
  Sv international;
};

MobilePatterns MobilePatternsOf(CountryCode country) {
  switch (country) {
    case CountryCode::kIR:
      return {"0### ### ####", "+98 ### ### ####"};
    case CountryCode::kAE:
      return {"0## ### ####", "+971 ## ### ####"};
    case CountryCode::kSA:
      return {"0## ### ####", "+966 ## ### ####"};
    case CountryCode::kQA:
      return {"#### ####", "+974 #### ####"};
    case CountryCode::kEG:
      return {"0## #### ####", "+20 ## #### ####"};
    case CountryCode::kJO:
      return {"0## ### ####", "+962 ## ### ####"};
    case CountryCode::kSE:
      return {"0##-### ## ##", "+46 ## ### ## ##"};
    case CountryCode::kGB:
      return {"0#### ######", "+44 #### ######"};
    case CountryCode::kUS:
      return {"(###) ###-####", "+1 ### ### ####"};
    case CountryCode::kDE:
      return {"0### #######", "+49 ### #######"};
  }
  return {"", ""};
}

bool HasTrunkZero(CountryCode country) {
  return country != CountryCode::kUS && country != CountryCode::kQA;
}

// Subscriber digits grouped for reading: "2345 6789", "234 5678", "123 45 67" (SE).
void AppendGroupedSubscriber(std::string& out, Sv digits, bool swedish) {
  if (swedish) {
    // Swedish style: pairs from the end, a leading group of 2 or 3.
    const size_t lead = digits.size() % 2 == 0 ? 2 : 3;
    out.append(digits.substr(0, lead));
    for (size_t i = lead; i < digits.size(); i += 2) {
      out.push_back(' ');
      out.append(digits.substr(i, 2));
    }
    return;
  }
  const size_t lead = digits.size() > 4 ? digits.size() - 4 : 0;
  out.append(digits.substr(0, lead));
  if (lead > 0) out.push_back(' ');
  out.append(digits.substr(lead));
}

std::string Respaced(const NameEntry& entry, Rng& rng) {
  if (!entry.spaced.empty()) {
    std::string out(entry.spaced);
    if (rng.Chance(0.5)) {
      // Written with a plain space instead of the zero-width non-joiner.
      size_t at;
      while ((at = out.find("\u200c")) != std::string::npos) out.replace(at, 3, " ");
    }
    return out;
  }
  std::string out(entry.native);
  const bool to_space = rng.Chance(0.5);
  size_t at;
  while ((at = out.find("\u200c")) != std::string::npos) out.replace(at, 3, to_space ? " " : "");
  return out;
}

void AsciiUpper(std::string& text) {
  for (char& c : text) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
}

}  // namespace

std::span<const std::string_view> MaritalStatuses() { return kMaritalStatuses; }
std::span<const std::string_view> Educations() { return kEducations; }
std::span<const std::string_view> IncomeBands() { return kIncomeBands; }
std::span<const std::string_view> AcquisitionChannels() { return kAcquisitionChannels; }
std::span<const std::string_view> PhoneBrands() { return kPhoneBrands; }
std::span<const std::string_view> Interests() { return kInterests; }

// ---------------------------------------------------------------------------
// Accounts
// ---------------------------------------------------------------------------

PeopleFactory::PeopleFactory(uint64_t seed, int64_t customers, CivilDate today)
    : seed_(seed),
      customers_(customers),
      today_(today.ToDays()),
      b2b_rng_(StreamSeed(seed, 0, Stream::kB2bSelection)) {
  MakeAccounts();
  Rng ids(StreamSeed(seed, 0, Stream::kIds));
  for (uint64_t& key : mobile_key_) key = ids.Next();
}

void PeopleFactory::MakeAccounts() {
  const int64_t count = std::max<int64_t>(1, customers_ / 40);
  accounts_.resize(count);
  std::unordered_set<std::string> names;
  std::unordered_set<std::string> domains;
  const auto cities = Cities();
  int64_t contacts_total = 0;
  for (int64_t k = 0; k < count; ++k) {
    Account& a = accounts_[k];
    Rng rng(StreamSeed(seed_, static_cast<uint64_t>(k), Stream::kAccount));
    a.id = "ACC-";
    AppendPadded(a.id, k + 1, 5);
    static constexpr double kAccountCultures[kCultureCount] = {35, 20, 25, 20};
    a.culture = static_cast<Culture>(rng.Weighted(kAccountCultures));
    if (a.culture == Culture::kEnglish) {
      static constexpr double kEnglishCountries[] = {45, 35, 20};
      static constexpr CountryCode kCodes[] = {CountryCode::kGB, CountryCode::kUS,
                                               CountryCode::kDE};
      a.country = kCodes[rng.Weighted(kEnglishCountries)];
      a.city = PickCityIn(rng, a.country, cities);
    } else {
      a.city = PickCity(rng, a.culture, cities);
      a.country = cities[a.city].country;
    }
    std::string tld(TopLevelDomain(a.country, rng));
    for (int attempt = 0;; ++attempt) {
      ComposeCompany(a.country, rng, a.name, a.domain);
      if (attempt >= 8) {
        // The word lists are exhausted for this country: number the company.
        a.name += " " + std::to_string(k + 1);
        a.domain += std::to_string(k + 1);
      }
      if (!names.contains(a.name) && !domains.contains(a.domain + tld)) break;
    }
    a.domain += tld;
    names.insert(a.name);
    domains.insert(a.domain);

    if (rng.Chance(0.8)) {
      const Sv nace = rng.Pick<Sv>(kNaceClasses);
      if (a.country == CountryCode::kSE) {
        a.industry_code = AsciiSlug(nace) + "0";  // SNI 2007: five digits
      } else if (a.country == CountryCode::kGB || a.country == CountryCode::kDE) {
        a.industry_code = std::string(nace);
      } else {
        a.industry_code = AsciiSlug(nace);  // ISIC Rev. 4 class
      }
    }
    const double employees = std::exp(rng.Normal() * 1.4 + 3.3);
    const int64_t real_employees = std::clamp<int64_t>(std::llround(employees), 1, 25000);
    if (rng.Chance(0.85)) a.employees = real_employees;
    if (rng.Chance(0.75)) {
      const double eur = static_cast<double>(real_employees) * (80'000 + rng.Unit() * 170'000);
      double local = eur * Country(a.country).per_eur;
      // Three significant digits, as annual reports are quoted.
      const double magnitude = std::pow(10.0, std::floor(std::log10(local)) - 2);
      a.revenue = static_cast<int64_t>(std::llround(local / magnitude) * magnitude);
    }
    a.tier = real_employees >= 1000  ? "strategic"
             : real_employees >= 200 ? "key"
             : real_employees >= 20  ? "standard"
                                     : "small";
    a.contract_status = kContractStatuses[rng.Weighted(kContractWeights)];
    a.share_of_wallet_pct = a.contract_status == "active" ? static_cast<int>(rng.Range(10, 90))
                                                          : static_cast<int>(rng.Range(0, 20));
    const auto competitors = CompetitorsOf(a.country);
    const int competitor_count = static_cast<int>(rng.Range(1, 3));
    const size_t first = rng.Below(competitors.size());
    for (int i = 0; i < competitor_count && i < static_cast<int>(competitors.size()); ++i) {
      if (i > 0) a.competitors += '|';
      a.competitors += competitors[(first + i) % competitors.size()];
    }
    static constexpr double kEmailStyles[] = {60, 30, 10};
    a.email_style = static_cast<int>(rng.Weighted(kEmailStyles));
    a.contacts =
        1 + rng.Poisson(2.6) + static_cast<int>(std::min<int64_t>(real_employees / 400, 12));
    a.created_day = today_ - rng.Range(30, 3650);
    contacts_total += a.contacts;
  }
  // Never more contacts than people: trim from the last account backwards.
  for (int64_t k = count - 1; contacts_total > customers_ && k >= 0; --k) {
    const int64_t cut = std::min<int64_t>(accounts_[k].contacts - 1, contacts_total - customers_);
    accounts_[k].contacts -= static_cast<int>(cut);
    contacts_total -= cut;
  }
  while (contacts_total > customers_ && !accounts_.empty()) {
    contacts_total -= accounts_.back().contacts;
    accounts_.pop_back();
  }
  b2b_total_ = contacts_total;
}

// ---------------------------------------------------------------------------
// People
// ---------------------------------------------------------------------------

std::string PeopleFactory::UniqueLocalPart(const std::string& stem, std::string_view domain,
                                           bool per_account) {
  std::string key = stem;
  key += '@';
  key += domain;
  auto& uses = per_account ? account_stem_uses_ : stem_uses_;
  const uint32_t n = uses[key]++;
  if (n == 0) return stem;
  return stem + std::to_string(n + 1);
}

void PeopleFactory::AssignEmail(Person& p, Rng& rng, int slot) {
  const auto domains = EmailDomains(p.culture);
  Sv domain = domains[rng.Weighted(EmailDomainWeights(p.culture))];
  // A new address usually comes with a new provider.
  for (int attempt = 0; slot == 1 && attempt < 8 && p.email[0].ends_with(domain); ++attempt) {
    domain = domains[rng.Weighted(EmailDomainWeights(p.culture))];
  }
  const int given_count = p.given->LatinCount();
  const std::string g = AsciiSlug(p.given->latin[rng.Below(given_count)]);
  const std::string f = AsciiSlug(p.family->latin[0]);
  static constexpr double kPatterns[] = {35, 20, 8, 12, 8, 7, 10};
  std::string stem;
  switch (rng.Weighted(kPatterns)) {
    case 0:
      stem = g + "." + f;
      break;
    case 1:
      stem = g + f;
      break;
    case 2:
      stem = g + "_" + f;
      break;
    case 3:
      stem = g.substr(0, 1) + f;
      break;
    case 4:
      stem = f + "." + g;
      break;
    case 5:
      stem = g;
      break;
    default:
      stem = g + "." + f.substr(0, 1);
  }
  std::string& email = p.email[slot];
  email = UniqueLocalPart(stem, domain, false);
  email += '@';
  email += domain;
}

void PeopleFactory::AssignMobile(Person& p, int slot) {
  const int c = static_cast<int>(p.country);
  const MobilePlan& plan = Country(p.country).mobile;
  const uint64_t space = plan.prefixes.size() * static_cast<uint64_t>(plan.subscriber_count);
  // The n-th number handed out in a country is a keyed permutation of n:
  // unique, yet as scattered as real numbers.
  const uint64_t n = static_cast<uint64_t>(mobile_counter_[c]++) % space;
  const auto v = static_cast<int64_t>(PermuteBelow(n, space, mobile_key_[c]));
  std::string& nsn = p.mobile[slot];
  nsn.assign(plan.prefixes[v / plan.subscriber_count]);
  AppendPadded(nsn, plan.subscriber_low + v % plan.subscriber_count, plan.subscriber_digits);
}

void PeopleFactory::Next(Person& p) {
  const int64_t index = next_index_++;
  Rng rng(StreamSeed(seed_, static_cast<uint64_t>(index), Stream::kProfile));
  const auto cities = Cities();

  p.index = index;
  p.id.assign("P");
  AppendPadded(p.id, index + 1, 8);

  // B2B membership: selection sampling picks exactly b2b_total_ contacts, in
  // account order, spread over the people.
  p.account = -1;
  const int64_t remaining = customers_ - index;
  const int64_t needed = b2b_total_ - b2b_selected_;
  if (needed > 0 &&
      static_cast<int64_t>(b2b_rng_.Below(static_cast<uint64_t>(remaining))) < needed) {
    ++b2b_selected_;
    while (current_account_left_ == 0) {
      ++current_account_;
      current_account_left_ = accounts_[current_account_].contacts;
      account_stem_uses_.clear();
    }
    --current_account_left_;
    p.account = current_account_;
  }

  if (p.account >= 0) {
    const Account& a = accounts_[p.account];
    p.culture = rng.Chance(0.9) ? a.culture : static_cast<Culture>(rng.Weighted(kCultureWeights));
    p.city = a.city;
    p.country = a.country;
  } else {
    p.culture = static_cast<Culture>(rng.Weighted(kCultureWeights));
    p.city = PickCity(rng, p.culture, cities);
    p.country = cities[p.city].country;
  }
  const int culture = static_cast<int>(p.culture);

  p.gender =
      rng.Chance(0.01) ? Gender::kOther : (rng.Chance(0.5) ? Gender::kFemale : Gender::kMale);
  const NameTable& names = NamesOf(p.culture);
  const bool female_name =
      p.gender == Gender::kFemale || (p.gender == Gender::kOther && rng.Chance(0.5));
  p.given = PickName(rng, female_name ? names.female : names.male);
  p.family = PickName(rng, names.family);
  {
    // Most people carry a rarer name than the common ones of the table: the
    // share with a name from the long tail, by culture (the table's names
    // cover more of Sweden and the Gulf than of England).
    static constexpr double kTailShare[kCultureCount] = {0.7, 0.6, 0.65, 0.85};
    Rng tail(StreamSeed(seed_, static_cast<uint64_t>(index), Stream::kNames));
    if (tail.Chance(kTailShare[culture])) {
      const auto rare = FamilyNameTail(p.culture);
      p.family = &rare[tail.Below(rare.size())];
    }
  }

  p.age = 18 + static_cast<int>(62.0 * rng.Beta(2.0, 3.2));
  if (p.account >= 0) p.age = std::clamp(p.age, 24, 66);
  const int64_t birth_day =
      today_ - static_cast<int64_t>(p.age) * 365 - p.age / 4 - static_cast<int64_t>(rng.Below(365));
  p.birth_date = CivilDate::FromDays(birth_day);
  p.has_birth_date = rng.Chance(0.88);

  if (p.age < 25) {
    p.marital = rng.Chance(0.85) ? 0 : 1;
  } else {
    const double widowed = p.age > 60 ? 12 : 1;
    const double marital_weights[] = {p.age < 35 ? 40.0 : 18.0, 62, 10, widowed};
    p.marital = static_cast<int>(rng.Weighted(marital_weights));
  }
  p.education = static_cast<int>(rng.Weighted(kEducationWeights));
  const int income =
      static_cast<int>(rng.Below(5)) + (p.education >= 3 ? 1 : 0) - (p.education <= 1 ? 1 : 0);
  p.income = std::clamp(income, 0, 4);
  p.household = std::min(9, 1 + rng.Poisson(kHouseholdMean[culture] - 1.0));
  if (p.marital == 1) p.household = std::max(p.household, 2);
  p.parent = p.household >= 3 && p.age >= 28 && p.age <= 55 && rng.Chance(0.8);

  const StreetNames& streets = StreetsOf(p.country);
  p.street = static_cast<int>(rng.Below(streets.native.size()));
  p.house_number = static_cast<int>(rng.Range(1, 180));
  p.apartment = rng.Chance(0.4) ? static_cast<int>(rng.Range(1, 60)) : 0;
  p.postal_code.clear();
  AppendPostalCode(p.postal_code, cities[p.city], rng);

  // A third of the people were customers before the three years of history.
  const int64_t three_years = 3 * 365 + 1;
  p.acquisition_day = rng.Chance(0.35) ? today_ - three_years - rng.Range(0, three_years)
                                       : today_ - rng.Range(14, three_years);
  p.acquisition_channel = static_cast<int>(rng.Weighted(kAcquisitionWeights));

  // Contact data decays (R10): about 2.5 % of emails and 2 % of mobile numbers
  // a month stop being the person's.
  AssignEmail(p, rng, 0);
  p.email_change_day = p.acquisition_day + 30 + static_cast<int64_t>(rng.Exponential(40 * 30.44));
  if (p.email_change_day < today_ - 7) {
    AssignEmail(p, rng, 1);
  } else {
    p.email_change_day = kNever;
    p.email[1].clear();
  }
  AssignMobile(p, 0);
  p.phone_change_day = p.acquisition_day + 30 + static_cast<int64_t>(rng.Exponential(50 * 30.44));
  if (p.phone_change_day < today_ - 7) {
    AssignMobile(p, 1);
  } else {
    p.phone_change_day = kNever;
    p.mobile[1].clear();
  }
  p.landline.clear();
  if (rng.Chance(kLandlineShare[culture])) {
    const CityInfo& city = cities[p.city];
    p.landline.assign(city.landline_area);
    p.landline.push_back(city.landline_first_digits[rng.Below(city.landline_first_digits.size())]);
    AppendDigits(p.landline, rng, city.landline_digits - 1);
  }

  p.work_email.clear();
  p.job_title = {};
  if (p.account >= 0) {
    const Account& a = accounts_[p.account];
    const auto titles = JobTitles(a.culture);
    p.job_title = titles[rng.Below(titles.size())];
    const std::string g = AsciiSlug(p.given->latin[0]);
    const std::string f = AsciiSlug(p.family->latin[0]);
    const std::string stem = a.email_style == 0   ? g + "." + f
                             : a.email_style == 1 ? g.substr(0, 1) + f
                                                  : g;
    p.work_email = UniqueLocalPart(stem, a.domain, true);
    p.work_email += '@';
    p.work_email += a.domain;
  }

  // Which sources know the person. Everyone is in at least one.
  p.in_crm = rng.Chance(p.account >= 0 ? 0.97 : 0.78);
  p.crm_duplicate = p.in_crm && rng.Chance(0.035);
  p.in_newsletter = rng.Chance(p.in_crm ? 0.28 : 0.35);
  p.in_purchased = p.culture == Culture::kSwedish && p.country == CountryCode::kSE &&
                   rng.Chance(p.in_crm ? 0.30 : 0.75);
  p.buyer = rng.Chance(p.in_crm ? 0.72 : 0.55);
  p.newsletter_day = kNever;
  p.newsletter_resubscribe_day = kNever;
  if (p.in_newsletter) {
    const int64_t first = std::max(p.acquisition_day, today_ - 4 * 365);
    p.newsletter_day = first + rng.Range(0, std::max<int64_t>(0, today_ - 1 - first));
    if (p.email_change_day > p.newsletter_day && p.email_change_day != kNever && rng.Chance(0.3)) {
      const int64_t again = p.email_change_day + rng.Range(5, 120);
      if (again < today_) p.newsletter_resubscribe_day = again;
    }
  }
  // People no customer file knows are guests of the web shop, acquired within
  // the history so that their orders (named by email) are in the data.
  p.orders_only = !p.in_crm && !p.in_newsletter && !p.in_purchased;
  if (p.orders_only) {
    p.buyer = true;
    p.acquisition_day = today_ - rng.Range(14, three_years);
  }

  p.orders_per_year = std::min(24.0, rng.Gamma(0.9, 2.6 / 0.9)) * (p.account >= 0 ? 1.3 : 1.0);
  p.dropout = rng.Beta(1.2, 5.0);
  p.preferred_hour =
      std::clamp(kShoppingHour[culture] + static_cast<int>(std::lround(rng.Normal() * 2.5)), 8, 23);
  static constexpr double kBaseCategoryWeight[kCategoryCount] = {1.0, 1.3, 0.45, 1.0,
                                                                 0.5, 0.6, 0.6};
  for (int c = 0; c < kCategoryCount; ++c) {
    p.category_weight[c] = kBaseCategoryWeight[c] * std::exp(rng.Normal() * 0.6);
  }
  if (p.parent) p.category_weight[static_cast<int>(Category::kSchoolSupplies)] *= 3.0;
  if (p.age < 30) {
    p.category_weight[static_cast<int>(Category::kPhones)] *= 1.8;
    p.category_weight[static_cast<int>(Category::kPhoneAccessories)] *= 1.8;
    p.category_weight[static_cast<int>(Category::kSchoolSupplies)] *= 1.5;  // students
  }
  if (p.account >= 0) p.category_weight[static_cast<int>(Category::kOffice)] *= 8.0;
  p.phone_brand = static_cast<int>(rng.Weighted(kPhoneBrandWeights[culture]));
  p.interests = 0;
  const int interest_count = static_cast<int>(rng.Range(1, 3));
  for (int i = 0; i < interest_count; ++i) p.interests |= 1u << rng.Below(std::size(kInterests));
}

// ---------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------

std::string E164(CountryCode country, std::string_view nsn) {
  std::string out = "+";
  out += Country(country).dial;
  out += nsn;
  return out;
}

void AppendMobile(std::string& out, CountryCode country, std::string_view nsn, PhoneStyle style) {
  const MobilePatterns patterns = MobilePatternsOf(country);
  const CountryInfo& info = Country(country);
  switch (style) {
    case PhoneStyle::kNational:
      AppendPattern(out, patterns.national, nsn);
      return;
    case PhoneStyle::kNationalCompact:
      if (HasTrunkZero(country)) out.push_back('0');
      out.append(nsn);
      return;
    case PhoneStyle::kInternational:
      AppendPattern(out, patterns.international, nsn);
      return;
    case PhoneStyle::kE164:
      out.push_back('+');
      out.append(info.dial);
      out.append(nsn);
      return;
    case PhoneStyle::kDoubleZero: {
      std::string international;
      AppendPattern(international, patterns.international, nsn);
      out += "00";
      out.append(international, 1);
      return;
    }
    case PhoneStyle::kNativeDigits: {
      std::string compact;
      if (HasTrunkZero(country)) compact.push_back('0');
      compact.append(nsn);
      out +=
          info.culture == Culture::kIranian ? PersianDigits(compact) : ArabicIndicDigits(compact);
      return;
    }
  }
}

void AppendLandline(std::string& out, const CityInfo& city, std::string_view nsn,
                    PhoneStyle style) {
  const CountryCode country = city.country;
  const CountryInfo& info = Country(country);
  const Sv area = nsn.substr(0, std::min(nsn.size(), city.landline_area.size()));
  const Sv subscriber = nsn.substr(area.size());
  const bool swedish = country == CountryCode::kSE;
  std::string grouped;
  if (country == CountryCode::kUS) {
    grouped.append(subscriber.substr(0, 3));
    grouped.push_back('-');
    grouped.append(subscriber.substr(3));
  } else {
    AppendGroupedSubscriber(grouped, subscriber, swedish);
  }
  switch (style) {
    case PhoneStyle::kNational:
      if (country == CountryCode::kUS) {
        out += "(";
        out.append(area);
        out += ") ";
      } else if (country == CountryCode::kQA) {
        out.append(area);
      } else {
        out.push_back('0');
        out.append(area);
        out.push_back(swedish ? '-' : ' ');
      }
      out += grouped;
      return;
    case PhoneStyle::kInternational:
    case PhoneStyle::kDoubleZero:
      out += style == PhoneStyle::kDoubleZero ? "00" : "+";
      out.append(info.dial);
      out.push_back(' ');
      out.append(area);
      out.push_back(' ');
      out += grouped;
      return;
    case PhoneStyle::kE164:
      out.push_back('+');
      out.append(info.dial);
      out.append(nsn);
      return;
    case PhoneStyle::kNationalCompact:
    case PhoneStyle::kNativeDigits:
      if (HasTrunkZero(country)) out.push_back('0');
      out.append(nsn);
      return;
  }
}

std::string InvalidMobile(CountryCode country, std::string_view nsn, Rng& rng) {
  std::string out;
  // Two digits lost (not in Egypt, where the shorter number can be a landline).
  if (country != CountryCode::kEG && rng.Chance(0.5)) {
    AppendMobile(out, country, nsn.substr(0, nsn.size() - 2), PhoneStyle::kNationalCompact);
    return out;
  }
  const Sv bad_prefix = kInvalidMobilePrefix[static_cast<int>(country)];
  const Sv prefix = Country(country).mobile.prefixes[0];
  std::string wrong(bad_prefix);
  wrong.append(nsn.substr(std::min(nsn.size(), prefix.size())));
  AppendMobile(out, country, wrong, PhoneStyle::kNational);
  return out;
}

std::string InvalidEmail(std::string_view email, Rng& rng) {
  const size_t at = email.find('@');
  const Sv local = email.substr(0, at);
  const Sv domain = email.substr(at + 1);
  const double kind = rng.Unit();
  std::string out;
  if (kind < 0.35) {
    out.append(local);  // the '@' forgotten
    out.append(domain);
    return out;
  }
  if (kind < 0.6) {
    const size_t dot = local.find('.');
    if (dot != Sv::npos) {
      out.append(local.substr(0, dot));
      out += "..";
      out.append(local.substr(dot + 1));
      out.push_back('@');
      out.append(domain);
    } else {
      out.append(local);
      out.push_back('@');
      const size_t domain_dot = domain.find('.');
      out.append(domain.substr(0, domain_dot));
      out += "..";
      out.append(domain.substr(domain_dot + 1));
    }
    return out;
  }
  // A misspelt provider.
  struct Typo {
    Sv domain;
    Sv typos[3];
  };
  static constexpr Typo kTypos[] = {
      {"gmail.com", {"gmial.com", "gmai.com", "gmail.con"}},
      {"hotmail.com", {"hotmial.com", "hotmal.com", "hotmail.con"}},
      {"yahoo.com", {"yaho.com", "yahooo.com", "yahoo.cm"}},
      {"outlook.com", {"outlok.com", "outllook.com", "outlook.cm"}},
      {"icloud.com", {"iclod.com", "icloud.co", "icluod.com"}},
      {"hotmail.co.uk", {"hotmial.co.uk", "hotmail.co.k", "hotmal.co.uk"}},
  };
  out.append(local);
  out.push_back('@');
  for (const Typo& typo : kTypos) {
    if (typo.domain == domain) {
      out.append(typo.typos[rng.Below(3)]);
      return out;
    }
  }
  const size_t dot = domain.find('.');
  out += OneLetterTypo(domain.substr(0, dot), rng);
  out.append(domain.substr(dot));
  return out;
}

bool LooksLikeValidEmail(std::string_view email) {
  const size_t at = email.find('@');
  if (at == Sv::npos || at == 0 || email.find('@', at + 1) != Sv::npos) return false;
  const Sv local = email.substr(0, at);
  const Sv domain = email.substr(at + 1);
  if (local.front() == '.' || local.back() == '.' || local.find("..") != Sv::npos) return false;
  if (domain.empty() || domain.front() == '.' || domain.back() == '.' ||
      domain.find("..") != Sv::npos || domain.find('.') == Sv::npos) {
    return false;
  }
  for (char c : email) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-' || c == '+' || c == '@';
    if (!ok) return false;
  }
  return true;
}

void AppendStreet(std::string& out, CountryCode country, int street, int house_number, int apartment,
                  bool native, Rng& rng) {
  const auto& streets = StreetsOf(country);
  const Sv name = native ? streets.native[street] : streets.latin[street];
  switch (country) {
    case CountryCode::kIR:
      if (native) {
        std::string text = "خیابان ";
        text += name;
        text += "، کوچه ";
        AppendInt(text, 1 + house_number % 23);
        text += "، پلاک ";
        AppendInt(text, house_number);
        out += rng.Chance(0.3) ? PersianDigits(text) : text;
      } else {
        out += name;
        out += " St., Alley ";
        AppendInt(out, 1 + house_number % 23);
        out += ", No. ";
        AppendInt(out, house_number);
      }
      return;
    case CountryCode::kSE:
    case CountryCode::kDE:
      out += name;
      out += ' ';
      AppendInt(out, house_number % 90 + 1);
      if (apartment > 0 && country == CountryCode::kSE) {
        out += " lgh 1";
        AppendPadded(out, apartment, 3);
      }
      return;
    case CountryCode::kGB:
    case CountryCode::kUS:
      AppendInt(out, house_number);
      out += ' ';
      out += name;
      if (apartment > 0) {
        out += country == CountryCode::kGB ? ", Flat " : ", Apt ";
        AppendInt(out, apartment);
      }
      return;
    default:
      out += name;
      out += native ? "، مبنى " : ", Building ";
      AppendInt(out, house_number);
      if (apartment > 0) {
        out += native ? "، شقة " : ", Apt ";
        AppendInt(out, apartment);
      }
      return;
  }
}

void AppendStreet(std::string& out, const Person& p, bool native, Rng& rng) {
  AppendStreet(out, p.country, p.street, p.house_number, p.apartment, native, rng);
}

void AppendPostalCode(std::string& out, const CityInfo& city, Rng& rng) {
  switch (city.country) {
    case CountryCode::kIR: {
      // Iranian codes avoid 0 and 2 in the first five digits.
      static constexpr char kDigits[] = "13456789";
      std::string digits(city.postal_prefix);
      while (digits.size() < 5) digits.push_back(kDigits[rng.Below(8)]);
      AppendDigits(digits, rng, 5);
      out += digits.substr(0, 5);
      if (rng.Chance(0.4)) out.push_back('-');
      out += digits.substr(5);
      return;
    }
    case CountryCode::kSE: {
      std::string digits(city.postal_prefix);
      AppendDigits(digits, rng, 5 - static_cast<int>(digits.size()));
      out += digits.substr(0, 3);
      out.push_back(' ');
      out += digits.substr(3);
      return;
    }
    case CountryCode::kGB: {
      static constexpr Sv kLondon[] = {"E1",   "E14", "N1",   "NW3", "SE1",
                                       "SW11", "W2",  "EC1A", "WC2H"};
      static constexpr char kLetters[] = "ABDEFGHJLNPQRSTUWXYZ";
      if (city.postal_prefix == "M") {
        out += "M";
        AppendInt(out, rng.Range(1, 40));
      } else {
        out += rng.Pick<Sv>(kLondon);
      }
      out.push_back(' ');
      AppendDigits(out, rng, 1, '1');
      out.push_back(kLetters[rng.Below(20)]);
      out.push_back(kLetters[rng.Below(20)]);
      return;
    }
    case CountryCode::kUS:
      out += city.postal_prefix;
      AppendPadded(out, rng.Range(1, 40), 2);
      return;
    case CountryCode::kAE:
    case CountryCode::kQA:
      return;  // no postal codes in use
    default: {
      out += city.postal_prefix;
      AppendDigits(out, rng, 5 - static_cast<int>(city.postal_prefix.size()));
      return;
    }
  }
}

void RenderNames(const Person& p, const NameStyle& style, Rng& rng, std::string& given,
                 std::string& family) {
  const bool arabic_script = p.culture == Culture::kIranian || p.culture == Culture::kArab;
  auto render = [&](const NameEntry& entry, std::string& out) {
    if (arabic_script && style.latin) {
      out.assign(entry.latin[std::min(style.latin_variant, entry.LatinCount() - 1)]);
      return;
    }
    if (arabic_script) {
      if (style.respace) {
        out = Respaced(entry, rng);
      } else {
        out.assign(entry.native);
      }
      if (style.arabic_letters && p.culture == Culture::kIranian) out = WithArabicLetters(out);
      return;
    }
    if (style.ascii_fold) {
      out.assign(entry.latin[0]);
    } else if (style.latin_variant > 0 && entry.LatinCount() > 1) {
      out.assign(entry.latin[std::min(style.latin_variant, entry.LatinCount() - 1)]);
    } else {
      out.assign(entry.native);
    }
  };
  render(*p.given, given);
  render(*p.family, family);
  if (style.typo_given) given = OneLetterTypo(given, rng);
  if (style.typo_family) family = OneLetterTypo(family, rng);
  if (style.swapped) std::swap(given, family);
  if (style.upper) {
    AsciiUpper(given);
    AsciiUpper(family);
  }
}

}  // namespace patron::demo::internal
