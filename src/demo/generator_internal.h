// Implementation details of the demo generator shared by the files of
// src/demo. Not part of the public interface (demo.h); nothing outside
// src/demo includes this header.
#pragma once

#include <cstdint>
#include <cstdio>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/core.h"

namespace patron::demo::internal {

// ---------------------------------------------------------------------------
// Randomness
// ---------------------------------------------------------------------------

// splitmix64: expands seeds and mixes stream identifiers. Fixed forever: the
// demo files of a seed must not change when the standard library does.
inline uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// Independent stream purposes; one person (or account) draws each part of its
// story from its own stream, so adding draws to one part leaves the others alone.
enum class Stream : uint64_t {
  kProfile = 1,
  kCrm,
  kCrmDuplicate,
  kNewsletter,
  kPurchased,
  kOrders,
  kEvents,
  kAccount,
  kB2bSelection,
  kIds,
  kMessages,  // appended: adding it changed no other stream
  kCheckout,  // appended after kMessages (both branches appended one)
  kForms,     // a contest entry form's name and mobile: appended, no other stream changed
  kNames,     // whether a family name comes from the long tail: appended likewise
  kDevices,   // a person's devices and which one each visit uses: appended likewise
};

// The seed of the stream `purpose` of entity `entity` under the user's seed.
inline uint64_t StreamSeed(uint64_t seed, uint64_t entity, Stream purpose) {
  uint64_t s = seed ^ (static_cast<uint64_t>(purpose) * 0xD1B54A32D192ED03ULL);
  uint64_t a = SplitMix64(s);
  s = a ^ (entity * 0x9E3779B97F4A7C15ULL);
  return SplitMix64(s);
}

// xoshiro256** 1.0 (Blackman and Vigna), with distributions written here
// rather than taken from <random>, whose output differs between standard
// libraries. They still call the C library's log, exp and pow, so byte-identity
// is promised on one platform, not across C libraries. Not thread-safe.
class Rng {
 public:
  explicit Rng(uint64_t seed) { Reseed(seed); }
  void Reseed(uint64_t seed) {
    for (uint64_t& word : state_) word = SplitMix64(seed);
  }

  uint64_t Next() {
    const uint64_t result = Rotl(state_[1] * 5, 7) * 9;
    const uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = Rotl(state_[3], 45);
    return result;
  }

  // Uniform in [0, n); n > 0. Lemire's multiply-and-reject, unbiased.
  uint64_t Below(uint64_t n) {
    unsigned __int128 m = static_cast<unsigned __int128>(Next()) * n;
    uint64_t low = static_cast<uint64_t>(m);
    if (low < n) {
      const uint64_t threshold = (0 - n) % n;
      while (low < threshold) {
        m = static_cast<unsigned __int128>(Next()) * n;
        low = static_cast<uint64_t>(m);
      }
    }
    return static_cast<uint64_t>(m >> 64);
  }
  // Uniform in [lo, hi], lo <= hi.
  int64_t Range(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(Below(static_cast<uint64_t>(hi - lo) + 1));
  }
  // Uniform in [0, 1) with 53 random bits.
  double Unit() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  bool Chance(double p) { return Unit() < p; }
  // Standard normal (Marsaglia's polar method).
  double Normal();
  double Exponential(double mean);
  // Gamma(shape, scale) by Marsaglia and Tsang; shape > 0.
  double Gamma(double shape, double scale);
  double Beta(double a, double b);
  // Poisson by inversion; for the small means used here (< 30).
  int Poisson(double mean);

  template <typename T>
  const T& Pick(std::span<const T> items) {
    return items[Below(items.size())];
  }
  // Index drawn with probability weights[i] / sum(weights); weights >= 0, sum > 0.
  size_t Weighted(std::span<const double> weights);

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t state_[4];
};

// ---------------------------------------------------------------------------
// Reference data (data.cc)
// ---------------------------------------------------------------------------

enum class Culture : uint8_t { kIranian = 0, kArab, kSwedish, kEnglish };
inline constexpr int kCultureCount = 4;

// A given or family name as its bearer writes it, and how it is written in
// Latin letters. For Swedish and English names `latin[0]` is the name folded to
// ASCII (Åsa -> Asa) or the name itself.
struct NameEntry {
  std::string_view native;
  std::string_view latin[4];  // latin[0] most common; unused entries empty
  // Another accepted spelling of a compound name ("محمد‌رضا" for "محمدرضا");
  // empty when none. Names containing a ZWNJ get their variants from it.
  std::string_view spaced;
  int LatinCount() const {
    int n = 0;
    while (n < 4 && !latin[n].empty()) ++n;
    return n;
  }
};

struct NameTable {
  std::span<const NameEntry> male;
  std::span<const NameEntry> female;
  std::span<const NameEntry> family;
};
const NameTable& NamesOf(Culture culture);
// Rarer family names of a culture, none of them in NamesOf(culture).family:
// the long tail a real population has beyond its common surnames
// (family_names.cc).
std::span<const NameEntry> FamilyNameTail(Culture culture);

// Mobile numbers: national significant number = prefix + subscriber digits,
// subscriber in [subscriber_low, subscriber_low + subscriber_count).
struct MobilePlan {
  std::span<const std::string_view> prefixes;
  int subscriber_digits = 7;
  int64_t subscriber_low = 0;
  int64_t subscriber_count = 10'000'000;
};

enum class CountryCode : uint8_t { kIR = 0, kAE, kSA, kQA, kEG, kJO, kSE, kGB, kUS, kDE };
inline constexpr int kCountryCount = 10;

struct CountryInfo {
  std::string_view code;  // ISO 3166 alpha-2
  std::string_view name_en;
  std::string_view name_native;  // "ایران", "Sverige"
  std::string_view dial;         // "98"
  Culture culture;
  std::string_view language;
  std::string_view time_zone;
  std::string_view currency;
  int currency_digits;  // minor digits (IRR: 0)
  double per_eur;       // price-list exchange rate: local units per EUR
  MobilePlan mobile;
};
const CountryInfo& Country(CountryCode code);

struct CityInfo {
  std::string_view name_en;
  std::string_view name_native;
  std::string_view region;
  CountryCode country;
  double weight;                           // within its culture
  std::string_view landline_area;          // national area code without trunk 0
  int landline_digits;                     // subscriber digits after the area code
  std::string_view landline_first_digits;  // first subscriber digits in use
  std::string_view postal_prefix;          // see PostalCode()
};
std::span<const CityInfo> Cities();

struct StreetNames {
  std::span<const std::string_view> native;
  std::span<const std::string_view> latin;
};
const StreetNames& StreetsOf(CountryCode country);

std::span<const std::string_view> EmailDomains(Culture culture);
std::span<const double> EmailDomainWeights(Culture culture);
// Job titles in the language of the culture's companies.
std::span<const std::string_view> JobTitles(Culture culture);

// ---------------------------------------------------------------------------
// Product catalogue (catalog.cc)
// ---------------------------------------------------------------------------

enum class Category : uint8_t {
  kPhones = 0,
  kPhoneAccessories,
  kTablets,
  kSchoolSupplies,
  kOffice,
  kKitchen,
  kDecor,
};
inline constexpr int kCategoryCount = 7;
std::string_view CategoryPath(Category category);  // "electronics/phones"
bool IsStationery(Category category);

struct Product {
  std::string sku;
  std::string name;
  std::string brand;
  Category category;
  int64_t price_eur_cents;
  // For accessories: the phone or tablet model they fit (index into the
  // catalogue), or -1 when universal; for phones: -1.
  int fits_product = -1;
};

class Catalog {
 public:
  // The fixed catalogue of Patron Demo Store (about 300 SKUs); the same for
  // every seed.
  static const Catalog& Get();
  const std::vector<Product>& products() const { return products_; }
  std::span<const int> InCategory(Category c) const { return by_category_[static_cast<int>(c)]; }
  // Accessories that fit product `index` (cases, screen protectors).
  std::span<const int> AccessoriesFor(int index) const { return accessories_for_[index]; }

 private:
  Catalog();
  std::vector<Product> products_;
  std::vector<int> by_category_[kCategoryCount];
  std::vector<std::vector<int>> accessories_for_;
};

// ---------------------------------------------------------------------------
// Text helpers (text.cc)
// ---------------------------------------------------------------------------

// Appends code point `cp` as UTF-8.
void AppendUtf8(std::string& out, char32_t cp);
// Decodes well-formed UTF-8 (as all generator text is) into code points.
void DecodeUtf8(std::string_view text, std::u32string& out);
void EncodeUtf8(std::u32string_view text, std::string& out);

// Replaces ASCII digits by Persian (۰-۹) or Arabic-Indic (٠-٩) digits.
std::string PersianDigits(std::string_view ascii);
std::string ArabicIndicDigits(std::string_view ascii);
// Persian Yeh and Keheh written with the Arabic letters (ی -> ي, ک -> ك), as
// typed on an Arabic keyboard.
std::string WithArabicLetters(std::string_view persian);
// Å/Ä/Ö/É/Ü etc. folded to ASCII letters; other text unchanged.
std::string FoldLatinToAscii(std::string_view text);
// Lower-case ASCII letters only, digits kept, everything else dropped
// ("O'Brien" -> "obrien"); for email local parts and domains.
std::string AsciiSlug(std::string_view text);
// One-letter typing error: substitution, deletion, transposition or doubling,
// never touching the first letter; text of one letter is returned unchanged.
std::string OneLetterTypo(std::string_view text, Rng& rng);

// ---------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------

// Appending formatters; none allocates beyond growing `out`.
void AppendInt(std::string& out, int64_t value);
void AppendPadded(std::string& out, int64_t value, int width);
void AppendDate(std::string& out, CivilDate date);  // 2025-03-02
// Unix seconds as "2025-03-02T10:15:30Z" (with ".123" when millis >= 0).
void AppendUtcTimestamp(std::string& out, int64_t unix_seconds, int millis = -1);
// Local time with its offset: "2025-03-02T13:45:30+03:30".
void AppendLocalTimestamp(std::string& out, int64_t unix_seconds, int offset_minutes);
// Minor units as a decimal ("1299.00", IRR "24500000").
void AppendAmount(std::string& out, int64_t minor, int digits);
// A JSON string literal with quotes and escapes.
void AppendJsonString(std::string& out, std::string_view text);

// A buffered output file. Errors are sticky and reported by Close().
class OutputFile {
 public:
  OutputFile() = default;
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;
  ~OutputFile();

  Status Open(const std::string& path);
  // The buffer to append to; call EndRow() after each complete row.
  std::string& out() { return buffer_; }
  void EndRow() {
    ++rows_;
    if (buffer_.size() >= kFlushBytes) Flush();
  }
  int64_t rows() const { return rows_; }
  const std::string& path() const { return path_; }
  Status Close();

 private:
  static constexpr size_t kFlushBytes = 1 << 20;
  void Flush();
  std::FILE* file_ = nullptr;
  std::string path_;
  std::string buffer_;
  int64_t rows_ = 0;
  int error_ = 0;  // errno of the first failure
};

// Writes one delimited row into a buffer with RFC 4180 quoting.
class CsvRow {
 public:
  CsvRow(std::string& out, char delimiter) : out_(out), delimiter_(delimiter) {}
  CsvRow& Field(std::string_view text);
  CsvRow& Int(int64_t value) {
    Separator();
    AppendInt(out_, value);
    return *this;
  }
  CsvRow& Empty() {
    Separator();
    return *this;
  }
  // The start of a field whose text the caller appends to out() itself, and
  // which must not need quoting.
  std::string& Raw() {
    Separator();
    return out_;
  }
  void End() { out_.push_back('\n'); }

 private:
  void Separator() {
    if (!first_) out_.push_back(delimiter_);
    first_ = false;
  }
  std::string& out_;
  char delimiter_;
  bool first_ = true;
};

// ---------------------------------------------------------------------------
// Calendar helpers
// ---------------------------------------------------------------------------

// Day number (days since 1970-01-01) of the n-th (1-based) `weekday` (0 =
// Sunday) of month (year, month).
int64_t NthWeekdayOfMonth(int year, int month, int weekday, int n);

// UTC offset in minutes of `country`'s main time zone on local date `day`
// (days since 1970-01-01), with the daylight-saving rules in force 2023-2026.
int UtcOffsetMinutes(CountryCode country, int64_t day);

// Persian (Solar Hijri) dates through core's FromGregorian, memoised per day.
class JalaliCache {
 public:
  // "1403/01/15"; empty when the conversion fails or the day is outside
  // 1900-2100. The reference stays valid as long as the cache.
  const std::string& Format(int64_t day);

 private:
  int64_t first_day_ = 0;
  std::vector<std::string> formatted_;
};

// ---------------------------------------------------------------------------
// People and accounts (people.cc)
// ---------------------------------------------------------------------------

inline constexpr int64_t kNever = INT64_MAX;

enum class Gender : uint8_t { kFemale, kMale, kOther };

struct Account {
  std::string id;    // ACC-00001
  std::string name;  // with its legal form: "Nordvik Bygg AB", "شرکت ... (سهامی خاص)"
  std::string domain;
  std::string industry_code;  // SNI (SE), NACE (GB, DE) or ISIC; empty when unknown
  std::string competitors;    // competing suppliers, '|'-separated
  CountryCode country = CountryCode::kSE;
  int city = 0;  // index into Cities()
  Culture culture = Culture::kSwedish;
  int64_t employees = 0;  // 0 when unknown
  int64_t revenue = 0;    // annual, in the country's currency units; 0 when unknown
  std::string_view tier;
  std::string_view contract_status;
  int share_of_wallet_pct = 0;
  int email_style = 0;  // how the company builds addresses: given.family, gfamily, given
  int contacts = 0;     // people of this account in the data
  int64_t created_day = 0;
};

// One real person: the truth every source record of them is derived from.
// Strings are reused from person to person to keep allocation off the hot path.
struct Person {
  int64_t index = 0;
  std::string id;  // P00000001
  Culture culture = Culture::kIranian;
  CountryCode country = CountryCode::kIR;
  int city = 0;
  Gender gender = Gender::kFemale;
  const NameEntry* given = nullptr;
  const NameEntry* family = nullptr;
  bool has_birth_date = false;  // whether sources know it (all do when true)
  CivilDate birth_date;
  int age = 0;
  int marital = 0;    // index into MaritalStatuses()
  int education = 0;  // index into Educations()
  int income = 0;     // index into IncomeBands()
  int household = 1;
  int street = 0;  // index into StreetsOf(country)
  int house_number = 1;
  int apartment = 0;  // 0: none
  std::string postal_code;
  int64_t acquisition_day = 0;  // first contact with the store
  int acquisition_channel = 0;  // index into AcquisitionChannels()
  // Personal email: [0] until email_change_day, then [1]. Lower-case ASCII.
  std::string email[2];
  int64_t email_change_day = kNever;
  // Mobile national significant numbers: [0] until phone_change_day, then [1].
  std::string mobile[2];
  int64_t phone_change_day = kNever;
  std::string landline;  // national significant number; empty when none
  int account = -1;      // index into the accounts, -1 for B2C
  std::string_view job_title;
  std::string work_email;
  bool in_crm = false;
  bool crm_duplicate = false;  // entered twice into the CRM
  bool in_newsletter = false;
  bool in_purchased = false;
  bool buyer = false;
  bool orders_only = false;  // known only from guest orders (and web events)
  bool parent = false;       // school-age children at home
  // Purchase behaviour (BG/NBD story): orders per year while active, and the
  // probability of dropping out after each order.
  double orders_per_year = 0;
  double dropout = 0;
  int preferred_hour = 20;  // local hour the person tends to shop
  double category_weight[kCategoryCount] = {};
  int64_t newsletter_day = kNever;  // when they signed up for the newsletter
  // When they signed up again with their new address after changing it.
  int64_t newsletter_resubscribe_day = kNever;
  int phone_brand = 0;     // index into PhoneBrands()
  uint32_t interests = 0;  // bit i: Interests()[i]

  const std::string& EmailAt(int64_t day) const {
    return day < email_change_day ? email[0] : email[1];
  }
  const std::string& MobileAt(int64_t day) const {
    return day < phone_change_day ? mobile[0] : mobile[1];
  }
};

std::span<const std::string_view> MaritalStatuses();
std::span<const std::string_view> Educations();
std::span<const std::string_view> IncomeBands();
std::span<const std::string_view> AcquisitionChannels();
std::span<const std::string_view> PhoneBrands();
std::span<const std::string_view> Interests();

// Generates accounts and people. People must be generated in index order:
// B2B membership, contact numbers and email addresses are allocated
// sequentially so that every address and number is unique in the data set.
class PeopleFactory {
 public:
  PeopleFactory(uint64_t seed, int64_t customers, CivilDate today);
  const std::vector<Account>& accounts() const { return accounts_; }
  // Fills `p` with the next person.
  void Next(Person& p);

 private:
  void MakeAccounts();
  void AssignEmail(Person& p, Rng& rng, int slot);
  void AssignMobile(Person& p, int slot);
  std::string UniqueLocalPart(const std::string& stem, std::string_view domain, bool per_account);

  uint64_t seed_;
  int64_t customers_;
  int64_t today_;
  int64_t next_index_ = 0;
  std::vector<Account> accounts_;
  // Sequential selection of exactly `b2b_total_` B2B contacts among people.
  Rng b2b_rng_;
  int64_t b2b_total_ = 0;
  int64_t b2b_selected_ = 0;
  int current_account_ = -1;
  int current_account_left_ = 0;
  // Uses of each "local@domain" stem, for unique addresses: the n-th user of a
  // stem gets the suffix n + 1.
  std::unordered_map<std::string, uint32_t> stem_uses_;
  std::unordered_map<std::string, uint32_t> account_stem_uses_;
  int64_t mobile_counter_[kCountryCount] = {};
  uint64_t mobile_key_[kCountryCount] = {};
};

// Phone rendering. `nsn` is a national significant number of `country`.
std::string E164(CountryCode country, std::string_view nsn);
enum class PhoneStyle : uint8_t {
  kNational,         // 0912 345 6789, 070-123 45 67, (212) 234-5678
  kNationalCompact,  // 09123456789
  kInternational,    // +98 912 345 6789
  kE164,             // +989123456789
  kDoubleZero,       // 0098 912 345 6789
  kNativeDigits,     // national compact in Persian (IR) or Arabic-Indic (Arab) digits
};
void AppendMobile(std::string& out, CountryCode country, std::string_view nsn, PhoneStyle style);
void AppendLandline(std::string& out, const CityInfo& city, std::string_view nsn, PhoneStyle style);
// A mobile number as someone would mistype it: too short or with a prefix the
// country does not have. Never valid.
std::string InvalidMobile(CountryCode country, std::string_view nsn, Rng& rng);
// An address as someone would mistype it: no '@', a double dot, or a
// misspelt provider (gmial.com). Lower-case.
std::string InvalidEmail(std::string_view email, Rng& rng);
// Whether `email` has the syntax the importer accepts as a key: one '@', a
// non-empty local part and a dotted domain, no empty labels ("..").
bool LooksLikeValidEmail(std::string_view email);
// A street address as a source writes it: the street's name in the country's
// own script (`native`) or in Latin letters, the house number and any
// apartment, in the country's order ("Storgatan 12 lgh 1003", "12 High
// Street, Flat 3", "خیابان ولیعصر، کوچه ۷، پلاک ۹۸").
void AppendStreet(std::string& out, CountryCode country, int street, int house_number, int apartment,
                  bool native, Rng& rng);
// The person's home address.
void AppendStreet(std::string& out, const Person& p, bool native, Rng& rng);
// Postal code of a city, from a person's draw.
void AppendPostalCode(std::string& out, const CityInfo& city, Rng& rng);

// How a source writes a person's names.
struct NameStyle {
  bool latin = false;           // Latin transliteration of an Arabic-script name
  int latin_variant = 0;        // which transliteration; clamped to those known
  bool arabic_letters = false;  // Persian name typed with ي / ك
  bool respace = false;         // ZWNJ/space/joined variant of compound names
  bool typo_given = false;
  bool typo_family = false;
  bool swapped = false;     // given and family name exchanged
  bool ascii_fold = false;  // Swedish letters lost (Åsa -> Asa)
  bool upper = false;       // ASCII upper case (ANNA ANDERSSON)
};
void RenderNames(const Person& p, const NameStyle& style, Rng& rng, std::string& given,
                 std::string& family);

// ---------------------------------------------------------------------------
// Orders and events (activity.cc)
// ---------------------------------------------------------------------------

struct OrderLine {
  int product = 0;  // index into the catalogue
  int quantity = 1;
  int64_t unit_minor = 0;      // local price in minor units of the person's currency
  int64_t discount_minor = 0;  // for the whole line
};

struct Order {
  int64_t at = 0;  // Unix seconds
  int64_t day = 0;
  int offset_minutes = 0;       // the customer's UTC offset that day
  uint8_t channel = 0;          // index into OrderChannels()
  uint8_t status = 0;           // index into OrderStatuses()
  bool by_customer_id = false;  // the shop knew the CRM customer (login, loyalty card)
  bool duplicate_id = false;    // ... under the person's second CRM record
  bool with_email = false;      // the row also carries the checkout email
  uint32_t first_line = 0;
  uint32_t line_count = 0;
};

struct Activity {
  std::vector<Order> orders;  // within the history window, in time order
  std::vector<OrderLine> lines;
  int64_t orders_before_history = 0;
  int64_t last_order_day = kNever;  // kNever when no order at all
};

std::span<const std::string_view> OrderChannels();
std::span<const std::string_view> OrderStatuses();

// Average click rates of campaign messages before each person's own taste.
inline constexpr double kEmailClickRate = 0.04;
inline constexpr double kSmsClickRate = 0.06;

// Simulates purchases and writes order lines and web events.
class ActivityWriter {
 public:
  ActivityWriter(uint64_t seed, CivilDate today, OutputFile* orders, OutputFile* events);

  // The person's purchases: heterogeneous rates with drop-out (the BG/NBD
  // story), seasonal peaks by culture, category affinity (accessories after a
  // phone). Only orders within the three years of history are kept.
  void Simulate(const Person& p, Activity& activity);
  // `crm_id` is empty for people not in the CRM; `crm_duplicate_id` empty unless
  // the CRM holds them twice. Emails that name the customer without a
  // customer_id are added (once) to `emails_used`.
  void WriteOrders(const Person& p, std::string_view crm_id, std::string_view crm_duplicate_id,
                   const Activity& activity, std::vector<std::string>& emails_used);
  void WriteEvents(const Person& p, std::string_view crm_id, const Activity& activity,
                   std::vector<std::string>& emails_used);
  // Campaign messages (email, SMS) and the clicks on them; called by WriteEvents.
  void WriteMessages(const Person& p, std::string_view crm_id,
                     std::vector<std::string>& emails_used);

  int64_t history_start_day() const { return history_start_; }

 private:
  // Sets the ship_* fields for `order`.
  void WriteShipping(const Person& p, const Order& order, bool native, Rng& rng);

  uint64_t seed_;
  int64_t today_;
  int64_t history_start_;
  int64_t next_order_number_ = 0;
  // Number of the current person's first order: WriteEvents refers to the
  // orders WriteOrders just numbered, so it must follow it for each person.
  int64_t person_first_order_number_ = 0;
  OutputFile* orders_;
  OutputFile* events_;
  std::string guest_given_, guest_family_, guest_mobile_;  // of the order being written
  std::string ship_street_, ship_zip_, ship_city_, ship_country_;
};

// Adds `value` to `values` unless present (small vectors; linear search).
void AddDistinct(std::vector<std::string>& values, std::string_view value);

}  // namespace patron::demo::internal
