// Purchases and web events of the demo people.
//
// Purchases follow the story of the BG/NBD model: while "alive" a person buys
// at their own rate (Gamma-distributed across people), and after every order
// drops out with their own probability (Beta-distributed). The rate rises in
// each culture's seasons — back to school before 1 Mehr (23 September) in Iran
// and in late August elsewhere, Nowruz gifts, Ramadan and Eid, Black Friday and
// December — and so do the categories that sell then.

#include <algorithm>
#include <cmath>

#include "demo/generator_internal.h"

namespace patron::demo::internal {
namespace {

using Sv = std::string_view;

constexpr Sv kOrderChannels[] = {"web", "app", "store"};
constexpr double kChannelWeights[kCultureCount][3] = {
    {40, 45, 15}, {45, 35, 20}, {55, 25, 20}, {60, 22, 18}};
constexpr Sv kOrderStatuses[] = {"completed", "cancelled", "returned", "shipped", "pending"};
enum StatusIndex : uint8_t { kCompleted, kCancelled, kReturned, kShipped, kPending };

constexpr int kPhones = static_cast<int>(Category::kPhones);
constexpr int kAccessories = static_cast<int>(Category::kPhoneAccessories);
constexpr int kTablets = static_cast<int>(Category::kTablets);
constexpr int kSchool = static_cast<int>(Category::kSchoolSupplies);
constexpr int kOffice = static_cast<int>(Category::kOffice);
constexpr int kKitchen = static_cast<int>(Category::kKitchen);
constexpr int kDecor = static_cast<int>(Category::kDecor);

// --- Seasons ------------------------------------------------------------------

struct Season {
  double rate = 1.0;  // multiplier of the purchase rate
  double category[kCategoryCount] = {1, 1, 1, 1, 1, 1, 1};
  bool sale = false;  // Black Friday week: discounts
};
// Upper bound of Season::rate, for thinning.
constexpr double kMaxSeasonRate = 3.0;

bool Between(const CivilDate& d, int from_month, int from_day, int to_month, int to_day) {
  const int v = d.month * 100 + d.day;
  return v >= from_month * 100 + from_day && v <= to_month * 100 + to_day;
}

// The last fortnight of Ramadan and the days of Eid al-Fitr (approximate civil
// dates; the exact days depend on the moon sighting).
bool InRamadanPeak(int64_t day) {
  static const int64_t kWindows[][2] = {
      {CivilDate{2022, 4, 17}.ToDays(), CivilDate{2022, 5, 4}.ToDays()},
      {CivilDate{2023, 4, 6}.ToDays(), CivilDate{2023, 4, 23}.ToDays()},
      {CivilDate{2024, 3, 26}.ToDays(), CivilDate{2024, 4, 12}.ToDays()},
      {CivilDate{2025, 3, 15}.ToDays(), CivilDate{2025, 4, 1}.ToDays()},
      {CivilDate{2026, 3, 5}.ToDays(), CivilDate{2026, 3, 22}.ToDays()},
      {CivilDate{2027, 2, 22}.ToDays(), CivilDate{2027, 3, 12}.ToDays()},
  };
  for (const auto& w : kWindows) {
    if (day >= w[0] && day <= w[1]) return true;
  }
  return false;
}

Season SeasonOf(Culture culture, int64_t day) {
  Season s;
  const CivilDate d = CivilDate::FromDays(day);
  const int64_t black_friday = NthWeekdayOfMonth(d.year, 11, 5, 4);
  const bool black_friday_week = day >= black_friday - 3 && day <= black_friday + 3;
  auto electronics = [&](double f) {
    s.category[kPhones] *= f;
    s.category[kAccessories] *= f;
    s.category[kTablets] *= f;
  };
  switch (culture) {
    case Culture::kIranian:
      if (Between(d, 8, 31, 9, 22)) {  // the three weeks before 1 Mehr
        s.rate *= 2.2;
        s.category[kSchool] *= 7;
        s.category[kOffice] *= 1.5;
        s.category[kTablets] *= 1.5;
      } else if (Between(d, 3, 1, 3, 19)) {  // Nowruz gifts
        s.rate *= 2.0;
        s.category[kDecor] *= 4;
        s.category[kPhones] *= 2;
        s.category[kTablets] *= 2;
        s.category[kKitchen] *= 1.5;
      } else if (Between(d, 3, 20, 4, 2)) {  // Nowruz holidays: people travel
        s.rate *= 0.6;
      } else if (Between(d, 12, 14, 12, 21)) {  // Yalda
        s.rate *= 1.3;
        s.category[kDecor] *= 2;
      }
      if (black_friday_week) {
        s.rate *= 1.5;
        electronics(2);
        s.sale = true;
      }
      break;
    case Culture::kArab:
      if (InRamadanPeak(day)) {
        s.rate *= 1.9;
        s.category[kDecor] *= 3;
        s.category[kKitchen] *= 2.5;
        s.category[kPhones] *= 1.5;
      }
      if (Between(d, 8, 15, 9, 5)) {
        s.rate *= 1.6;
        s.category[kSchool] *= 5;
      }
      if (black_friday_week) {  // "White Friday"
        s.rate *= 2.2;
        electronics(2.5);
        s.sale = true;
      }
      break;
    case Culture::kSwedish:
      if (Between(d, 8, 1, 8, 20)) {  // skolstart
        s.rate *= 1.5;
        s.category[kSchool] *= 5;
      } else if (d.month == 7) {  // summer holidays
        s.rate *= 0.7;
      }
      if (black_friday_week) {
        s.rate *= 2.6;
        electronics(2.5);
        s.category[kKitchen] *= 1.6;
        s.sale = true;
      } else if (Between(d, 11, 28, 12, 22)) {  // Advent and Christmas
        s.rate *= 1.8;
        s.category[kDecor] *= 3;
        s.category[kTablets] *= 1.8;
      } else if (Between(d, 12, 26, 12, 31)) {  // mellandagsrea
        s.rate *= 1.5;
      }
      break;
    case Culture::kEnglish:
      if (Between(d, 8, 10, 9, 5)) {
        s.rate *= 1.5;
        s.category[kSchool] *= 4;
      }
      if (black_friday_week) {
        s.rate *= 3.0;
        electronics(2.5);
        s.sale = true;
      } else if (Between(d, 12, 1, 12, 22)) {
        s.rate *= 2.0;
        s.category[kDecor] *= 2.5;
        s.category[kTablets] *= 2;
      } else if (Between(d, 12, 26, 12, 31)) {  // Boxing Day sales
        s.rate *= 1.6;
      }
      break;
  }
  s.rate = std::min(s.rate, kMaxSeasonRate);
  return s;
}

// --- Prices -------------------------------------------------------------------

// The price list in the person's currency on `day`: the EUR reference price
// converted at the price-list rate, with yearly inflation (steep for the rial
// and the Egyptian pound), rounded to the price points each market uses.
int64_t LocalPriceMinor(int64_t eur_cents, CountryCode country, int64_t day, int64_t epoch_day) {
  const CountryInfo& info = Country(country);
  const double years = static_cast<double>(day - epoch_day) / 365.25;
  const double inflation = country == CountryCode::kIR   ? 0.35
                           : country == CountryCode::kEG ? 0.25
                                                         : 0.03;
  const double value =
      static_cast<double>(eur_cents) / 100.0 * info.per_eur * std::pow(1.0 + inflation, years);
  switch (country) {
    case CountryCode::kIR:
      return std::max<int64_t>(10'000, std::llround(value / 10'000) * 10'000);
    case CountryCode::kSE:
    case CountryCode::kEG:
      return std::max<int64_t>(9, std::llround(value / 10) * 10 - 1) * 100;
    case CountryCode::kAE:
    case CountryCode::kSA:
    case CountryCode::kQA:
      return value >= 10 ? std::llround(value) * 100
                         : std::max<int64_t>(50, std::llround(value * 2) * 50);
    case CountryCode::kJO:
      return std::max<int64_t>(50, std::llround(value * 20) * 50);  // fils, 0.050 steps
    default:
      return value >= 10 ? std::llround(value) * 100 - 1
                         : std::max<int64_t>(9, std::llround(value * 10) * 10 - 1);
  }
}

// Smallest discount step in minor units.
int64_t DiscountStep(CountryCode country) {
  return country == CountryCode::kIR ? 1000 : country == CountryCode::kJO ? 10 : 1;
}

// --- Product choice -------------------------------------------------------------

int PickSkewed(Rng& rng, size_t n) {
  return static_cast<int>(std::min(rng.Below(n), rng.Below(n)));
}

// A product of `category` from `brand`, or -1 when the brand has none there.
int PickOfBrand(Rng& rng, const Catalog& catalog, Category category, Sv brand, bool skew) {
  const auto items = catalog.InCategory(category);
  int matching = 0;
  for (int i : items) matching += catalog.products()[i].brand == brand;
  if (matching == 0) return -1;
  int k = skew ? PickSkewed(rng, matching) : static_cast<int>(rng.Below(matching));
  for (int i : items) {
    if (catalog.products()[i].brand == brand && k-- == 0) return i;
  }
  return -1;
}

// --- Event texts ----------------------------------------------------------------

constexpr Sv kTicketSubjects[kCultureCount][5] = {
    {"سفارشم هنوز نرسیده", "کالا آسیب‌دیده رسید", "درخواست مرجوعی",
     "مشکل در پرداخت", "سؤال درباره گارانتی"},
    {"لم يصل طلبي بعد", "وصل المنتج تالفا", "طلب إرجاع", "مشكلة في الدفع", "استفسار عن الضمان"},
    {"Min beställning har inte kommit", "Varan kom skadad", "Vill returnera",
     "Problem med betalningen", "Fråga om garanti"},
    {"My order has not arrived", "Item arrived damaged", "Return request", "Payment problem",
     "Warranty question"},
};
constexpr Sv kTicketChannels[] = {"email", "phone", "chat", "web_form"};
constexpr Sv kResolutions[] = {"resolved", "refunded", "replaced", "no_action_needed"};

// [culture][band: detractor, passive, promoter][i]
constexpr Sv kSurveyComments[kCultureCount][3][3] = {
    {{"سفارشم دیر رسید", "پشتیبانی جواب نداد", "کالا با توضیحات سایت فرق داشت"},
     {"خوب بود ولی بسته‌بندی می‌توانست بهتر باشد",
      "قیمت‌ها کمی بالاست", "ارسال کمی طول کشید"},
     {"ارسال خیلی سریع بود، ممنون", "کیفیت عالی و قیمت مناسب",
      "همیشه از این فروشگاه خرید می‌کنم"}},
    {{"تأخر الطلب كثيرا", "لم يرد أحد على استفساري", "المنتج وصل تالفا"},
     {"المنتج جيد لكن السعر مرتفع", "التوصيل استغرق وقتا أطول من المتوقع",
      "التطبيق يحتاج إلى تحسين"},
     {"خدمة ممتازة وتوصيل سريع", "أسعار مناسبة وجودة عالية", "تجربة شراء رائعة"}},
    {{"Varan kom trasig och ingen svarade", "Leveransen var sen", "Krångligt att returnera"},
     {"Helt okej, men frakten var dyr", "Bra produkt men lång leveranstid",
      "Appen kunde vara bättre"},
     {"Snabb leverans och bra priser!", "Mycket nöjd, handlar gärna igen", "Smidigt och enkelt"}},
    {{"Order was late and support never replied", "Item arrived damaged", "Returns were a hassle"},
     {"Decent, but the app is clunky", "Fine, but shipping was slow",
      "Okay prices, nothing special"},
     {"Great service, fast delivery", "Good prices and quality, will buy again",
      "Easy checkout and friendly support"}},
};
constexpr Sv kCultureLanguage[kCultureCount] = {"fa", "ar", "sv", "en"};

constexpr Sv kB2bCallTopics[] = {"contract renewal", "new price list", "school season order",
                                 "product demo", "payment terms"};
constexpr Sv kB2cCallTopics[] = {"order status", "warranty", "store opening hours",
                                 "product advice"};
constexpr Sv kCallOutcomes[] = {"reached", "voicemail", "no_answer", "meeting_booked"};
constexpr Sv kSignupForms[] = {"footer", "checkout", "popup", "store_tablet"};
constexpr Sv kReferrers[] = {"google", "instagram", "direct", "newsletter", "telegram", "facebook"};

// Writes the opening of one Segment-style track event up to the properties
// object's opening brace; the caller adds properties and calls EndEvent.
// A random (version 4) UUID.
void AppendRandomUuid(std::string& out, Rng& rng) {
  static constexpr char kHex[] = "0123456789abcdef";
  uint64_t hi = rng.Next();
  uint64_t lo = rng.Next();
  hi = (hi & 0xFFFFFFFFFFFF0FFFULL) | 0x0000000000004000ULL;
  lo = (lo & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;
  for (int i = 0; i < 32; ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20) out += '-';
    const uint64_t word = i < 16 ? hi : lo;
    out += kHex[(word >> (60 - 4 * (i % 16))) & 0xF];
  }
}

// The devices a person browses on (a phone, a laptop, a tablet), each with
// the id its browser or app sends with every event (Segment's anonymousId).
// Whoever the shop knows the visitor as -- logged in, or by the email a
// newsletter link or an earlier guest checkout left in the browser -- the
// device's id is the same, which is how a real event stream ties a person's
// identities together. Drawn from their own stream, so no other draw changes.
class PersonDevices {
 public:
  PersonDevices(uint64_t seed, const Person& p)
      : rng_(StreamSeed(seed, static_cast<uint64_t>(p.index), Stream::kDevices)) {
    static constexpr double kCounts[] = {45, 40, 15};
    count_ = 1 + rng_.Weighted(kCounts);
    for (size_t i = 0; i < count_; ++i) AppendRandomUuid(ids_[i], rng_);
  }
  // The device of a new visit or form: mostly the first (the phone).
  Sv Pick() {
    static constexpr double kUse[] = {60, 30, 10};
    return ids_[rng_.Weighted(std::span<const double>(kUse, count_))];
  }

 private:
  Rng rng_;
  size_t count_ = 1;
  std::string ids_[3];
};

class EventBuilder {
 public:
  EventBuilder(std::string& out, Rng& rng) : out_(out), rng_(rng) {}

  // Who the event names: the CRM id, else the email, else the phone number.
  // `with` adds what a form asked for beside the identity (a contest entry's
  // name and mobile).
  struct Traits {
    Sv given, family, phone;
  };
  void Begin(Sv user_id, Sv email, Sv event, int64_t unix_seconds) {
    Begin(user_id, email, {}, event, unix_seconds, {});
  }
  void Begin(Sv user_id, Sv email, Sv phone, Sv event, int64_t unix_seconds, const Traits& with) {
    out_ += "{\"messageId\":\"";
    AppendUuid();
    out_ += '"';
    if (!device_.empty()) {
      out_ += ",\"anonymousId\":";
      AppendJsonString(out_, device_);
    }
    if (!user_id.empty()) {
      out_ += ",\"userId\":";
      AppendJsonString(out_, user_id);
    } else if (!email.empty()) {
      out_ += ",\"email\":";
      AppendJsonString(out_, email);
    } else {
      out_ += ",\"phone\":";
      AppendJsonString(out_, phone);
    }
    if (!with.phone.empty()) {
      out_ += ",\"phone\":";
      AppendJsonString(out_, with.phone);
    }
    if (!with.given.empty()) {
      out_ += ",\"firstName\":";
      AppendJsonString(out_, with.given);
    }
    if (!with.family.empty()) {
      out_ += ",\"lastName\":";
      AppendJsonString(out_, with.family);
    }
    out_ += ",\"event\":\"";
    out_ += event;
    out_ += "\",\"timestamp\":\"";
    AppendUtcTimestamp(out_, unix_seconds, static_cast<int>(rng_.Below(1000)));
    out_ += "\",\"properties\":{";
    first_ = true;
  }
  void Text(Sv key, Sv value) {
    Key(key);
    AppendJsonString(out_, value);
  }
  void Number(Sv key, int64_t value) {
    Key(key);
    AppendInt(out_, value);
  }
  void Amount(Sv key, int64_t minor, int digits) {
    Key(key);
    AppendAmount(out_, minor, digits);
  }
  // A JSON array of strings.
  void TextList(Sv key, std::span<const Sv> values) {
    Key(key);
    out_ += '[';
    for (size_t i = 0; i < values.size(); ++i) {
      if (i > 0) out_ += ',';
      AppendJsonString(out_, values[i]);
    }
    out_ += ']';
  }
  void End() { out_ += "}}\n"; }
  // The device the following events come from; empty for those that come
  // from no device of the person's (a message sent, a call an agent logs).
  void SetDevice(Sv device) { device_ = device; }

 private:
  Sv device_;
  void Key(Sv key) {
    if (!first_) out_ += ',';
    first_ = false;
    out_ += '"';
    out_ += key;
    out_ += "\":";
  }
  // A version-4 UUID from the event stream.
  void AppendUuid() { AppendRandomUuid(out_, rng_); }

  std::string& out_;
  Rng& rng_;
  bool first_ = true;
};

}  // namespace

std::span<const std::string_view> OrderChannels() { return kOrderChannels; }
std::span<const std::string_view> OrderStatuses() { return kOrderStatuses; }

void AddDistinct(std::vector<std::string>& values, std::string_view value) {
  for (const std::string& v : values) {
    if (v == value) return;
  }
  values.emplace_back(value);
}

ActivityWriter::ActivityWriter(uint64_t seed, CivilDate today, OutputFile* orders,
                               OutputFile* events)
    : seed_(seed),
      today_(today.ToDays()),
      history_start_(today.ToDays() - 3 * 365 - 1),
      orders_(orders),
      events_(events) {}

// ---------------------------------------------------------------------------
// Purchases
// ---------------------------------------------------------------------------

void ActivityWriter::Simulate(const Person& p, Activity& activity) {
  activity.orders.clear();
  activity.lines.clear();
  activity.orders_before_history = 0;
  activity.last_order_day = kNever;
  if (!p.buyer || p.orders_per_year <= 0) return;

  Rng rng(StreamSeed(seed_, static_cast<uint64_t>(p.index), Stream::kOrders));
  const Catalog& catalog = Catalog::Get();
  const auto& products = catalog.products();
  const Sv brand = PhoneBrands()[p.phone_brand];
  const bool contract_customer = p.account >= 0;

  int owned_phone = -1;
  int64_t owned_phone_day = 0;
  double day = static_cast<double>(p.acquisition_day) +
               (rng.Chance(0.6) ? static_cast<double>(rng.Range(0, 20))
                                : rng.Exponential(365.0 / p.orders_per_year));
  // A guest is only known through an order: their first is in the history.
  if (p.orders_only) {
    day = static_cast<double>(p.acquisition_day +
                              rng.Range(0, std::min<int64_t>(20, today_ - p.acquisition_day)));
  }
  bool first = true;
  int emitted = 0;
  while (day <= static_cast<double>(today_) && emitted < 400) {
    const int64_t d = static_cast<int64_t>(day);
    const Season season = SeasonOf(p.culture, d);
    if (first || rng.Unit() * kMaxSeasonRate < season.rate) {
      first = false;
      ++emitted;
      const bool kept = d >= history_start_;
      Order order;
      order.day = d;
      order.channel =
          static_cast<uint8_t>(rng.Weighted(kChannelWeights[static_cast<int>(p.culture)]));
      int hour = p.preferred_hour + static_cast<int>(std::lround(rng.Normal() * 1.8));
      if (contract_customer && rng.Chance(0.7)) hour = static_cast<int>(rng.Range(9, 16));
      if (order.channel == 2) hour = static_cast<int>(rng.Range(10, 20));  // store hours
      hour = ((hour % 24) + 24) % 24;
      order.offset_minutes = UtcOffsetMinutes(p.country, d);
      order.at = d * 86400 + hour * 3600 + static_cast<int64_t>(rng.Below(3600)) -
                 static_cast<int64_t>(order.offset_minutes) * 60;
      order.by_customer_id = p.in_crm && rng.Chance(order.channel == 2 ? 0.9 : 0.72);
      order.duplicate_id = order.by_customer_id && p.crm_duplicate && rng.Chance(0.2);
      order.with_email = order.by_customer_id && rng.Chance(0.4);
      order.first_line = static_cast<uint32_t>(activity.lines.size());

      // Lines: a first category from taste and season, then often more of the same.
      double weights[kCategoryCount];
      for (int c = 0; c < kCategoryCount; ++c)
        weights[c] = p.category_weight[c] * season.category[c];
      if (owned_phone >= 0 && d - owned_phone_day < 150) weights[kAccessories] *= 4;
      const int line_count = 1 + rng.Chance(0.45) + rng.Chance(0.2) + rng.Chance(0.08);
      int previous = -1;
      bool has_cancellable_electronics = false;
      for (int l = 0; l < line_count; ++l) {
        int category;
        if (previous == kPhones && rng.Chance(0.6)) {
          category = kAccessories;
        } else if (previous >= 0 && rng.Chance(0.55)) {
          category = previous;
        } else {
          category = static_cast<int>(rng.Weighted(weights));
        }
        const auto items = catalog.InCategory(static_cast<Category>(category));
        int product = -1;
        switch (category) {
          case kPhones:
            if (rng.Chance(0.7))
              product = PickOfBrand(rng, catalog, Category::kPhones, brand, p.income < 3);
            break;
          case kTablets:
            if (rng.Chance(0.6))
              product = PickOfBrand(rng, catalog, Category::kTablets, brand, true);
            break;
          case kAccessories: {
            if (owned_phone >= 0 && rng.Chance(0.6)) {
              const auto fitting = catalog.AccessoriesFor(owned_phone);
              if (!fitting.empty()) product = fitting[rng.Below(fitting.size())];
            }
            // Otherwise a universal accessory (chargers, earbuds, watches).
            for (int attempt = 0; product < 0 && attempt < 12; ++attempt) {
              const int candidate = items[rng.Below(items.size())];
              if (products[candidate].fits_product < 0) product = candidate;
            }
            break;
          }
          default:
            break;
        }
        if (product < 0) product = items[PickSkewed(rng, items.size())];
        if (category == kPhones) {
          owned_phone = product;
          owned_phone_day = d;
        }
        has_cancellable_electronics |= category == kPhones || category == kTablets;
        previous = category;
        if (!kept) continue;

        int quantity = 1;
        switch (category) {
          case kPhones:
            quantity = rng.Chance(0.03) ? 2 : 1;
            break;
          case kAccessories:
            quantity = rng.Chance(0.2) ? 2 : 1;
            break;
          case kSchool:
            quantity = static_cast<int>(rng.Range(1, p.parent ? 6 : 3));
            break;
          case kOffice:
            quantity = contract_customer ? static_cast<int>(rng.Range(5, 40))
                                         : static_cast<int>(rng.Range(1, 3));
            break;
          case kDecor:
            quantity = static_cast<int>(rng.Range(1, 3));
            break;
          default:
            quantity = rng.Chance(0.1) ? 2 : 1;
        }
        bool merged = false;
        for (uint32_t i = order.first_line; i < activity.lines.size(); ++i) {
          if (activity.lines[i].product == product) {
            activity.lines[i].quantity += quantity;
            merged = true;
          }
        }
        if (merged) continue;
        OrderLine line;
        line.product = product;
        line.quantity = quantity;
        line.unit_minor =
            LocalPriceMinor(products[product].price_eur_cents, p.country, d, history_start_);
        int percent = 0;
        if (season.sale && rng.Chance(0.8)) {
          percent = static_cast<int>(rng.Range(10, 30));
        } else if (contract_customer && category == kOffice) {
          percent = static_cast<int>(rng.Range(5, 15));
        } else if (rng.Chance(0.06)) {
          percent = 10;  // newsletter coupon
        }
        const int64_t step = DiscountStep(p.country);
        line.discount_minor = line.unit_minor * line.quantity * percent / 100 / step * step;
        activity.lines.push_back(line);
      }

      if (kept) {
        order.line_count = static_cast<uint32_t>(activity.lines.size()) - order.first_line;
        if (d >= today_ - 2) {
          order.status = kPending;
        } else if (d >= today_ - 9) {
          order.status = kShipped;
        } else {
          const double returned = has_cancellable_electronics ? 0.06 : 0.03;
          const double u = rng.Unit();
          order.status = u < 0.035 ? kCancelled : u < 0.035 + returned ? kReturned : kCompleted;
        }
        activity.orders.push_back(order);
      } else {
        ++activity.orders_before_history;
      }
      activity.last_order_day = d;
      if (rng.Chance(p.dropout)) break;
    }
    day += rng.Exponential(365.0 / (p.orders_per_year * kMaxSeasonRate));
  }
}

namespace {

// How a person types their own name into a web form (a guest checkout, a
// contest entry): their script or Latin letters, a spelling variant, now and
// then a typo.
NameStyle FormNameStyle(Culture culture, Rng& rng) {
  NameStyle style;
  if (culture == Culture::kIranian) {
    style.latin = rng.Chance(0.25);
    style.respace = rng.Chance(0.1);
  } else if (culture == Culture::kArab) {
    style.latin = rng.Chance(0.45);
  } else if (culture == Culture::kSwedish) {
    style.ascii_fold = rng.Chance(0.1);
  }
  style.latin_variant = static_cast<int>(rng.Below(3));
  style.typo_given = rng.Chance(0.02);
  style.typo_family = rng.Chance(0.02);
  return style;
}

// The email an order is placed with: B2B contacts buy office supplies with
// their work address, everyone else uses the address they had that day.
const std::string& OrderEmail(const Person& p, const Activity& activity, const Order& order) {
  bool office_order = false;
  for (uint32_t i = 0; i < order.line_count; ++i) {
    const int product = activity.lines[order.first_line + i].product;
    office_order |= Catalog::Get().products()[product].category == Category::kOffice;
  }
  return (p.account >= 0 && office_order) ? p.work_email : p.EmailAt(order.day);
}

// The email by which the shop recognises a visitor who is not logged in on
// `day`: the newsletter address they signed up (or signed up again) with,
// else the email of their latest guest checkout; null when there is none.
const std::string* KnownEmail(const Person& p, const Activity& activity, int64_t day) {
  if (p.newsletter_resubscribe_day != kNever && day >= p.newsletter_resubscribe_day) {
    return &p.EmailAt(p.newsletter_resubscribe_day);
  }
  if (p.newsletter_day != kNever && day >= p.newsletter_day) return &p.EmailAt(p.newsletter_day);
  const std::string* known = nullptr;
  for (const Order& order : activity.orders) {
    if (order.day > day) break;
    if (!order.by_customer_id) known = &OrderEmail(p, activity, order);
  }
  return known;
}

}  // namespace

// Where an order goes: nowhere for a purchase in a store; else mostly the
// buyer's home, written in the script the buyer typed at checkout, and now
// and then somewhere else (a workplace, a parcel locker, a gift) in the same
// city. Every web shop asks for this to deliver, so every delivered order has
// it (Shopify and WooCommerce exports carry it on each line).
void ActivityWriter::WriteShipping(const Person& p, const Order& order, bool native, Rng& rng) {
  ship_street_.clear();
  ship_zip_.clear();
  ship_city_.clear();
  ship_country_.clear();
  if (OrderChannels()[order.channel] == "store") return;
  const CityInfo& city = Cities()[p.city];
  if (rng.Chance(0.88)) {
    AppendStreet(ship_street_, p, native, rng);
    if (rng.Chance(0.9)) ship_zip_ = p.postal_code;
  } else {
    const int street = static_cast<int>(rng.Below(StreetsOf(p.country).native.size()));
    const int house = static_cast<int>(rng.Range(1, 180));
    AppendStreet(ship_street_, p.country, street, house, 0, native, rng);
    if (rng.Chance(0.9)) AppendPostalCode(ship_zip_, city, rng);
  }
  ship_city_ = native ? city.name_native : city.name_en;
  ship_country_ = Country(p.country).code;
}

void ActivityWriter::WriteOrders(const Person& p, std::string_view crm_id,
                                 std::string_view crm_duplicate_id, const Activity& activity,
                                 std::vector<std::string>& emails_used) {
  const Catalog& catalog = Catalog::Get();
  const CountryInfo& country = Country(p.country);
  std::string& out = orders_->out();
  person_first_order_number_ = next_order_number_ + 1;
  for (const Order& order : activity.orders) {
    ++next_order_number_;
    const std::string& email = OrderEmail(p, activity, order);
    const bool named_by_email = !order.by_customer_id;
    if (named_by_email) AddDistinct(emails_used, email);
    // A guest checkout asks for the buyer's name and a mobile for delivery,
    // written as the buyer writes them (native script or Latin, typos).
    guest_given_.clear();
    guest_family_.clear();
    guest_mobile_.clear();
    Rng rng(StreamSeed(seed_, static_cast<uint64_t>(next_order_number_), Stream::kCheckout));
    // The address is typed like the name: in the buyer's script, or in Latin
    // letters by those who type their name that way.
    const bool arabic_script = p.culture == Culture::kIranian || p.culture == Culture::kArab;
    bool native = true;
    if (named_by_email) {
      const NameStyle style = FormNameStyle(p.culture, rng);
      native = !style.latin && !style.ascii_fold;
      RenderNames(p, style, rng, guest_given_, guest_family_);
      if (rng.Chance(0.9)) guest_mobile_ = internal::E164(p.country, p.MobileAt(order.day));
    } else if (arabic_script) {
      native = rng.Chance(0.7);
    }
    WriteShipping(p, order, native, rng);
    for (uint32_t i = 0; i < order.line_count; ++i) {
      const OrderLine& line = activity.lines[order.first_line + i];
      const Product& product = catalog.products()[line.product];
      CsvRow row(out, ',');
      std::string& id = row.Raw();
      id += "WS-";
      AppendPadded(id, next_order_number_, 8);
      row.Int(i + 1);
      if (order.by_customer_id) {
        row.Field(order.duplicate_id ? crm_duplicate_id : crm_id);
      } else {
        row.Empty();
      }
      if (named_by_email || order.with_email) {
        row.Field(email);
      } else {
        row.Empty();
      }
      row.Field(guest_given_).Field(guest_family_).Field(guest_mobile_);
      std::string& at = row.Raw();
      if (order.channel == 0) {
        AppendUtcTimestamp(at, order.at);
      } else {
        AppendLocalTimestamp(at, order.at, order.offset_minutes);
      }
      row.Field(kOrderStatuses[order.status]);
      row.Field(kOrderChannels[order.channel]);
      row.Field(product.sku);
      row.Field(product.name);
      row.Field(CategoryPath(product.category));
      row.Int(line.quantity);
      AppendAmount(row.Raw(), line.unit_minor, country.currency_digits);
      AppendAmount(row.Raw(), line.discount_minor, country.currency_digits);
      row.Field(country.currency);
      row.Field(ship_street_).Field(ship_zip_).Field(ship_city_).Field(ship_country_);
      row.End();
      orders_->EndRow();
    }
  }
}

// ---------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------

void ActivityWriter::WriteEvents(const Person& p, std::string_view crm_id, const Activity& activity,
                                 std::vector<std::string>& emails_used) {
  Rng rng(StreamSeed(seed_, static_cast<uint64_t>(p.index), Stream::kEvents));
  const Catalog& catalog = Catalog::Get();
  const auto& products = catalog.products();
  const CountryInfo& country = Country(p.country);
  const int culture = static_cast<int>(p.culture);
  std::string& out = events_->out();
  EventBuilder event(out, rng);
  PersonDevices devices(seed_, p);
  std::string path;

  // Who an event names: the CRM id when the person was logged in, else the
  // email they used that day.
  Sv user_id;
  Sv email;
  auto identify = [&](int64_t day, bool logged_in) {
    if (logged_in && !crm_id.empty()) {
      user_id = crm_id;
      email = {};
    } else {
      user_id = {};
      email = p.EmailAt(day);
      AddDistinct(emails_used, email);
    }
  };
  // Who writes about an order (a support ticket, a survey answer): the
  // logged-in customer, else the email the order was placed with, which its
  // confirmation and the survey link went to.
  auto identify_about = [&](int64_t day, const Order& order) {
    if (!crm_id.empty()) {
      identify(day, true);
    } else {
      user_id = {};
      email = OrderEmail(p, activity, order);
      AddDistinct(emails_used, email);
    }
  };
  auto product_viewed = [&](int product, int64_t at, int64_t day, Sv channel) {
    const Product& item = products[product];
    event.Begin(user_id, email, "product_viewed", at);
    event.Text("sku", item.sku);
    event.Text("category", CategoryPath(item.category));
    event.Amount("price", LocalPriceMinor(item.price_eur_cents, p.country, day, history_start_),
                 country.currency_digits);
    event.Text("currency", country.currency);
    event.Text("channel", channel);
    event.End();
    events_->EndRow();
  };
  auto page_viewed = [&](Sv page, int64_t at, Sv channel) {
    event.Begin(user_id, email, "page_viewed", at);
    event.Text("path", page);
    event.Text("channel", channel);
    event.Text("referrer", kReferrers[rng.Below(std::size(kReferrers))]);
    event.End();
    events_->EndRow();
  };

  // Browsing before online orders.
  for (const Order& order : activity.orders) {
    if (order.channel == 2 || !rng.Chance(0.5)) continue;
    // Browsing before a checkout is identified as the checkout is: by the
    // logged-in customer's id, else by the email the order was placed with.
    if (order.by_customer_id && !crm_id.empty()) {
      identify(order.day, true);
    } else {
      user_id = {};
      email = OrderEmail(p, activity, order);
      AddDistinct(emails_used, email);
    }
    event.SetDevice(devices.Pick());
    const Sv channel = kOrderChannels[order.channel];
    int64_t at = order.at - rng.Range(120, 1800);
    if (rng.Chance(0.2)) at -= rng.Range(1, 3) * 86400;  // looked days before buying
    if (rng.Chance(0.5)) page_viewed("/", at, channel);
    for (uint32_t i = 0; i < order.line_count; ++i) {
      at += rng.Range(20, 240);
      product_viewed(activity.lines[order.first_line + i].product, at, order.day, channel);
    }
  }

  // Other visits, some ending in an abandoned cart.
  const int64_t span_start = std::max(p.acquisition_day, history_start_);
  int64_t span_end = today_;
  if (activity.last_order_day != kNever) span_end = std::min(today_, activity.last_order_day + 240);
  if (span_end > span_start) {
    const double years = static_cast<double>(span_end - span_start) / 365.25;
    const double engagement = 0.7 * std::exp(rng.Normal() * 0.5);
    const int visits = std::min(40, rng.Poisson(std::min(30.0, engagement * years)));
    for (int v = 0; v < visits; ++v) {
      const int64_t day = span_start + rng.Range(0, span_end - span_start);
      const Season season = SeasonOf(p.culture, day);
      double weights[kCategoryCount];
      for (int c = 0; c < kCategoryCount; ++c)
        weights[c] = p.category_weight[c] * season.category[c];
      const auto category = static_cast<Category>(rng.Weighted(weights));
      const auto items = catalog.InCategory(category);
      const int hour =
          std::clamp(p.preferred_hour + static_cast<int>(std::lround(rng.Normal() * 2)), 0, 23);
      int64_t at = day * 86400 + hour * 3600 + static_cast<int64_t>(rng.Below(3600)) -
                   static_cast<int64_t>(UtcOffsetMinutes(p.country, day)) * 60;
      const Sv channel = rng.Chance(0.6) ? "web" : "app";
      // Known by the customer id when logged in; otherwise only by an email
      // the shop already has from the visitor (a link in the newsletter they
      // signed up with, the cookie of an earlier guest checkout). A visitor
      // the shop cannot recognise stays anonymous and is not in the data.
      if (rng.Chance(0.6) && !crm_id.empty()) {
        identify(day, true);
      } else {
        const std::string* known = KnownEmail(p, activity, day);
        if (!known) continue;
        user_id = {};
        email = *known;
        AddDistinct(emails_used, email);
      }
      event.SetDevice(devices.Pick());
      path = "/c/";
      path += CategoryPath(category);
      page_viewed(path, at, channel);
      const int viewed = rng.Chance(0.7) ? 1 : static_cast<int>(rng.Range(2, 3));
      Sv cart[3];
      int64_t cart_value = 0;
      for (int k = 0; k < viewed; ++k) {
        const int product = items[PickSkewed(rng, items.size())];
        at += rng.Range(15, 300);
        product_viewed(product, at, day, channel);
        cart[k] = products[product].sku;
        cart_value +=
            LocalPriceMinor(products[product].price_eur_cents, p.country, day, history_start_);
      }
      if (rng.Chance(0.12)) {
        event.Begin(user_id, email, "cart_abandoned", at + rng.Range(60, 900));
        event.TextList("skus", std::span<const Sv>(cart, viewed));
        event.Amount("value", cart_value, country.currency_digits);
        event.Text("currency", country.currency);
        event.Text("channel", channel);
        event.End();
        events_->EndRow();
      }
    }
  }

  // Support tickets, mostly about returns and cancellations.
  int64_t order_number = person_first_order_number_;
  int ticket = 0;
  for (const Order& order : activity.orders) {
    const int64_t this_order = order_number++;
    const double chance = order.status == kReturned ? 0.6 : order.status == kCancelled ? 0.3 : 0.04;
    if (!rng.Chance(chance)) continue;
    const int64_t opened = order.at + rng.Range(1, 10) * 86400 + rng.Range(0, 36000);
    if (opened / 86400 > today_) continue;
    int issue = rng.Chance(0.5) ? 0 : 4;
    if (order.status == kReturned) issue = rng.Chance(0.6) ? 2 : 1;
    if (order.status == kCancelled) issue = 3;
    identify_about(opened / 86400, order);
    std::string ticket_id = "TCK-" + p.id.substr(1) + "-" + std::to_string(++ticket);
    std::string order_id = "WS-";
    AppendPadded(order_id, this_order, 8);
    const Sv channel = kTicketChannels[rng.Below(std::size(kTicketChannels))];
    event.SetDevice(devices.Pick());  // the web form
    event.Begin(user_id, email, "support_ticket_opened", opened);
    event.Text("ticket_id", ticket_id);
    event.Text("subject", kTicketSubjects[culture][issue]);
    event.Text("channel", channel);
    event.Text("order_id", order_id);
    event.End();
    events_->EndRow();
    const int64_t closed = opened + rng.Range(3600, 6 * 86400);
    if (rng.Chance(0.88) && closed / 86400 <= today_) {
      event.SetDevice({});  // by an agent
      event.Begin(user_id, email, "support_ticket_closed", closed);
      event.Text("ticket_id", ticket_id);
      event.Text("resolution", kResolutions[order.status == kReturned ? 1 : rng.Below(4)]);
      event.Number("satisfaction", rng.Range(order.status == kReturned ? 1 : 2, 5));
      event.End();
      events_->EndRow();
    }
  }

  // Calls: sales calls to B2B contacts, a few inbound calls from consumers.
  if (span_end > span_start || p.account >= 0) {
    const int64_t call_start = std::max(p.acquisition_day, history_start_);
    const double years = static_cast<double>(today_ - call_start) / 365.25;
    const bool b2b = p.account >= 0;
    const int calls = std::min(30, rng.Poisson(std::max(0.0, (b2b ? 1.2 : 0.15) * years)));
    for (int c = 0; c < calls; ++c) {
      const int64_t day = call_start + rng.Range(0, std::max<int64_t>(0, today_ - call_start));
      const int64_t at = day * 86400 + rng.Range(9, 17) * 3600 + rng.Range(0, 3599) -
                         static_cast<int64_t>(UtcOffsetMinutes(p.country, day)) * 60;
      Sv topic = b2b ? kB2bCallTopics[rng.Below(std::size(kB2bCallTopics))]
                     : kB2cCallTopics[rng.Below(std::size(kB2cCallTopics))];
      // A call about an order (its status, a warranty claim) is about the
      // caller's latest order by then: the agent asks for its number, as
      // every shop's support line does, and logs the call on it. Someone
      // who has not ordered yet asks for advice instead.
      const Order* about = nullptr;
      int64_t about_number = 0;
      if (!b2b && (topic == kB2cCallTopics[0] || topic == kB2cCallTopics[1])) {
        for (size_t i = 0; i < activity.orders.size() && activity.orders[i].day <= day; ++i) {
          about = &activity.orders[i];
          about_number = person_first_order_number_ + static_cast<int64_t>(i);
        }
        if (about == nullptr) topic = kB2cCallTopics[3];
      }
      // The call log knows the contact by the CRM id, else by the order the
      // call is about (its email) and the caller's number, else only by
      // the number.
      std::string caller;
      EventBuilder::Traits caller_traits;
      if (!crm_id.empty()) {
        identify(day, true);
      } else if (about != nullptr) {
        identify_about(day, *about);
        caller = internal::E164(p.country, p.MobileAt(day));
        caller_traits.phone = caller;
      } else {
        user_id = {};
        email = {};
        caller = internal::E164(p.country, p.MobileAt(day));
        AddDistinct(emails_used, caller);
      }
      event.SetDevice({});
      event.Begin(user_id, email, email.empty() ? Sv(caller) : Sv(), "call_logged", at, caller_traits);
      event.Text("direction", b2b ? "outbound" : "inbound");
      event.Text("topic", topic);
      if (about != nullptr) {
        std::string order_id = "WS-";
        AppendPadded(order_id, about_number, 8);
        event.Text("order_id", order_id);
      }
      const Sv outcome = b2b ? kCallOutcomes[rng.Below(4)] : "reached";
      event.Text("outcome", outcome);
      event.Number("duration_seconds", outcome == "reached" || outcome == "meeting_booked"
                                           ? rng.Range(60, 1500)
                                           : rng.Range(5, 40));
      std::string agent = "agent-";
      AppendPadded(agent, rng.Range(1, 24), 2);
      event.Text("agent", agent);
      event.End();
      events_->EndRow();
    }
  }

  // Newsletter sign-ups (the newsletter file has the same people and dates).
  const int64_t signups[2] = {p.newsletter_day, p.newsletter_resubscribe_day};
  for (int64_t day : signups) {
    if (day == kNever || day < history_start_) continue;
    user_id = {};
    email = p.EmailAt(day);
    AddDistinct(emails_used, email);
    const int64_t at = day * 86400 + rng.Range(8, 23) * 3600 -
                       static_cast<int64_t>(UtcOffsetMinutes(p.country, day)) * 60;
    event.SetDevice(devices.Pick());
    event.Begin(user_id, email, "newsletter_signup", at);
    event.Text("list", "monthly");
    event.Text("form", kSignupForms[rng.Below(std::size(kSignupForms))]);
    event.Text("language", kCultureLanguage[culture]);
    event.End();
    events_->EndRow();
  }

  // Contests: a back-to-school giveaway every year, a Nowruz draw for Iranian
  // customers, a Black Friday quiz.
  const int first_year = CivilDate::FromDays(history_start_).year;
  const int last_year = CivilDate::FromDays(today_).year;
  for (int year = first_year; year <= last_year; ++year) {
    struct Contest {
      std::string name;
      int64_t from;
      int64_t to;
      double chance;
    };
    const bool iranian = p.culture == Culture::kIranian;
    const Contest contests[3] = {
        {"back-to-school-" + std::to_string(year), CivilDate{year, 8, iranian ? 25 : 5}.ToDays(),
         CivilDate{year, 9, iranian ? 20 : 1}.ToDays(), 0.05},
        {"nowruz-" + std::to_string(year - 621), CivilDate{year, 3, 1}.ToDays(),
         CivilDate{year, 3, 18}.ToDays(), iranian ? 0.06 : 0.0},
        {"black-friday-quiz-" + std::to_string(year), CivilDate{year, 11, 10}.ToDays(),
         CivilDate{year, 11, 25}.ToDays(), 0.03},
    };
    for (const Contest& contest : contests) {
      if (contest.chance <= 0 || !rng.Chance(contest.chance)) continue;
      const int64_t day = contest.from + rng.Range(0, contest.to - contest.from);
      if (day < history_start_ || day > today_ || day < p.acquisition_day) continue;
      identify(day, false);
      const int64_t at = day * 86400 + rng.Range(8, 23) * 3600 -
                         static_cast<int64_t>(UtcOffsetMinutes(p.country, day)) * 60;
      // The entry form asks for a name and, to reach a winner, a mobile:
      // written as the entrant types them (script, spelling, typos).
      Rng form(StreamSeed(seed_, static_cast<uint64_t>(p.index) * 64 + static_cast<uint64_t>(year % 16) * 4 +
                                     static_cast<uint64_t>(&contest - contests),
                          Stream::kForms));
      std::string given, family, mobile;
      RenderNames(p, FormNameStyle(p.culture, form), form, given, family);
      if (form.Chance(0.85)) mobile = internal::E164(p.country, p.MobileAt(day));
      event.SetDevice(devices.Pick());
      event.Begin(user_id, email, {}, "contest_signup", at, {given, family, mobile});
      event.Text("contest", contest.name);
      event.Text("consent_email", rng.Chance(0.55) ? "yes" : "no");
      event.End();
      events_->EndRow();
    }
  }

  // Post-purchase NPS surveys, some with a free-text answer.
  const double satisfaction = 8.0 + rng.Normal() * 1.4;
  for (const Order& order : activity.orders) {
    if (order.status == kPending || order.status == kShipped || !rng.Chance(0.1)) continue;
    const int64_t at = order.at + rng.Range(7, 14) * 86400 + rng.Range(0, 36000);
    if (at / 86400 > today_) continue;
    double raw = satisfaction + rng.Normal();
    if (order.status == kReturned || order.status == kCancelled) raw -= 3;
    const int score = std::clamp(static_cast<int>(std::lround(raw)), 0, 10);
    identify_about(at / 86400, order);
    event.SetDevice(devices.Pick());  // the survey link opens on a device
    event.Begin(user_id, email, "survey_answered", at);
    event.Text("survey", "post_purchase_nps");
    event.Number("score", score);
    if (rng.Chance(0.6)) {
      const int band = score <= 6 ? 0 : score <= 8 ? 1 : 2;
      // Most answer in their own language, some in English.
      const int language = rng.Chance(0.85) ? culture : static_cast<int>(Culture::kEnglish);
      event.Text("comment", kSurveyComments[language][band][rng.Below(3)]);
      event.Text("language", kCultureLanguage[language]);
    }
    event.End();
    events_->EndRow();
  }

  WriteMessages(p, crm_id, emails_used);
}

// ---------------------------------------------------------------------------
// Campaign messages and responses
// ---------------------------------------------------------------------------

// The store's campaigns: an email to newsletter subscribers and CRM customers
// roughly every five weeks, an SMS to CRM customers with a mobile roughly
// every nine. Each message is a `message_sent` event (campaign, channel, kind)
// and a click on it a `message_clicked` event (campaign, channel) minutes to
// a day later. People respond on the channels they like: under-30s click SMS
// about twice as often and emails less; over-55s the other way round; and
// everyone has their own taste (log-normal spread). README.txt states the
// rates. Drawn from their own stream, so no other event changes.
void ActivityWriter::WriteMessages(const Person& p, std::string_view crm_id,
                                   std::vector<std::string>& emails_used) {
  Rng rng(StreamSeed(seed_, static_cast<uint64_t>(p.index), Stream::kMessages));
  std::string& out = events_->out();
  EventBuilder event(out, rng);
  PersonDevices devices(seed_, p);
  const bool email_list = p.newsletter_day != kNever || !crm_id.empty();
  const bool sms_list = !crm_id.empty() && !p.mobile[0].empty();
  if (!email_list && !sms_list) return;
  double email_rate = kEmailClickRate, sms_rate = kSmsClickRate;
  if (p.age > 0 && p.age < 30) {
    email_rate *= 0.6;
    sms_rate *= 2.0;
  } else if (p.age > 55) {
    email_rate *= 1.6;
    sms_rate *= 0.5;
  }
  email_rate = std::min(0.6, email_rate * std::exp(rng.Normal() * 0.6));
  sms_rate = std::min(0.6, sms_rate * std::exp(rng.Normal() * 0.6));
  static constexpr Sv kKinds[] = {"promo", "promo", "news", "seasonal"};
  struct Plan {
    Sv channel;
    bool on;
    int64_t every_days;
    double rate;
  };
  const Plan plans[2] = {{"email", email_list, 35, email_rate}, {"sms", sms_list, 63, sms_rate}};
  for (const Plan& plan : plans) {
    if (!plan.on) continue;
    int64_t from = std::max(p.acquisition_day, history_start_);
    if (plan.channel == "email" && crm_id.empty()) from = std::max(from, p.newsletter_day);
    // Campaign days are the same for everyone: multiples of the period.
    for (int64_t day = (from / plan.every_days + 1) * plan.every_days; day <= today_;
         day += plan.every_days) {
      if (!rng.Chance(0.5)) continue;  // not in every campaign's audience
      const int64_t campaign = day / plan.every_days;
      std::string name(plan.channel);
      name += '-';
      AppendInt(name, campaign);
      const Sv kind = kKinds[campaign % std::size(kKinds)];
      Sv user_id = crm_id, email;
      if (crm_id.empty()) {
        // Only the address they subscribed (or subscribed again) with is known.
        email = p.EmailAt(p.newsletter_resubscribe_day != kNever && day >= p.newsletter_resubscribe_day
                              ? p.newsletter_resubscribe_day
                              : p.newsletter_day);
        AddDistinct(emails_used, email);
      }
      const int64_t at = day * 86400 + (plan.channel == "email" ? 7 : 10) * 3600 +
                         static_cast<int64_t>(rng.Below(1800));
      event.SetDevice({});
      event.Begin(user_id, email, "message_sent", at);
      event.Text("campaign", name);
      event.Text("channel", plan.channel);
      event.Text("kind", kind);
      event.End();
      events_->EndRow();
      if (!rng.Chance(plan.rate)) continue;
      const int64_t clicked = at + (rng.Chance(0.7) ? rng.Range(60, 7200) : rng.Range(7200, 86400));
      if (clicked / 86400 > today_) continue;
      event.SetDevice(devices.Pick());  // the link opens on one of their devices
      event.Begin(user_id, email, "message_clicked", clicked);
      event.Text("campaign", name);
      event.Text("channel", plan.channel);
      event.End();
      events_->EndRow();
    }
  }
}

}  // namespace patron::demo::internal
