// The demo generator: writes the files of Patron Demo Store, one pass over the
// people, each person's records going to every source that knows them.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <system_error>

#include "demo/demo.h"
#include "demo/generator_internal.h"

namespace patron::demo {
namespace {

using internal::Account;
using internal::Activity;
using internal::ActivityWriter;
using internal::AppendAmount;
using internal::AppendDate;
using internal::AppendInt;
using internal::AppendLandline;
using internal::AppendMobile;
using internal::AppendPadded;
using internal::AppendUtcTimestamp;
using internal::Catalog;
using internal::Cities;
using internal::CityInfo;
using internal::Country;
using internal::CountryCode;
using internal::CsvRow;
using internal::Culture;
using internal::Gender;
using internal::JalaliCache;
using internal::kNever;
using internal::NameStyle;
using internal::OutputFile;
using internal::PeopleFactory;
using internal::Person;
using internal::PhoneStyle;
using internal::Rng;
using internal::Stream;
using internal::StreamSeed;
using Sv = std::string_view;

constexpr Sv kProductsFile = "products.csv";
constexpr Sv kAccountsFile = "accounts.csv";
constexpr Sv kCrmFile = "crm_customers.csv";
// The same CRM exported a year earlier: some addresses and numbers have changed since.
constexpr Sv kCrmLastYearFile = "crm_customers_last_year.csv";
constexpr int64_t kCrmLastYearDays = 365;  // how long before `today` it was exported
constexpr Sv kNewsletterFile = "newsletter.csv";
constexpr Sv kPurchasedFile = "purchased_list.csv";
constexpr Sv kOrdersFile = "shop_orders.csv";
constexpr Sv kEventsFile = "events.jsonl";
constexpr Sv kGroundTruthFile = "ground_truth.csv";
constexpr Sv kContactTruthFile = "contact_truth.csv";
constexpr Sv kReadmeFile = "README.txt";

constexpr Sv kCrmHeader =
    "customer_id,salutation,given_name,family_name,gender,birth_date,marital_status,education,"
    "income_band,household_size,language,time_zone,street,postal_code,city,region,country,email,"
    "mobile,phone,email_status,phone_status,acquisition_channel,lifecycle_stage,tags,account_id,"
    "job_title,consent_email,consent_sms,consent_phone,consent_mail,consent_method,consent_at,"
    "consent_proof,created_at,attr.interests\n";
// Persian: email, given name, family name, mobile, gender, birth date, city,
// language, sign-up date, email status, email consent, consent method,
// consent time, consent proof.
constexpr Sv kNewsletterHeader =
    "ایمیل,نام,نام خانوادگی,موبایل,جنسیت,تاریخ تولد,شهر,زبان,تاریخ عضویت,وضعیت ایمیل,"
    "رضایت ایمیل,روش رضایت,زمان رضایت,مدرک رضایت\n";
// Swedish: given name, family name, email, mobile, street, postal code, city,
// country, birth date, gender, email consent, SMS consent, consent date,
// consent method, consent proof.
constexpr Sv kPurchasedHeader =
    "Förnamn;Efternamn;E-post;Mobilnummer;Gatuadress;Postnummer;Ort;Land;Födelsedatum;Kön;"
    "Samtycke e-post;Samtycke sms;Samtyckesdatum;Samtyckesmetod;Samtyckesbevis\n";
constexpr Sv kOrdersHeader =
    "order_id,line_no,customer_id,email,given_name,family_name,mobile,ordered_at,status,channel,"
    "sku,"
    "product_name,category,quantity,unit_price,discount,currency,shipping_street,shipping_zip,"
    "shipping_city,shipping_country\n";
constexpr Sv kProductsHeader = "sku,name,category,brand,price,currency\n";
constexpr Sv kAccountsHeader =
    "account_id,name,domain,industry_code,employees,revenue,currency,tier,contract_status,city,"
    "country,attr.share_of_wallet,attr.competing_suppliers\n";
constexpr Sv kGroundTruthHeader = "source,source_key,person_id\n";
constexpr Sv kContactTruthHeader = "person_id,kind,value,valid_from,valid_until,status\n";

constexpr Sv kNordicLeadsCost = "4500 SEK";

// Documentation address ranges (RFC 5737, RFC 3849): never a real sender.
void AppendDocumentationIp(std::string& out, Rng& rng) {
  static constexpr Sv kNets[] = {"192.0.2.", "198.51.100.", "203.0.113."};
  if (rng.Chance(0.05)) {
    out += "2001:db8::";
    static constexpr char kHex[] = "0123456789abcdef";
    for (int i = 0; i < 4; ++i) out += kHex[rng.Below(16)];
    return;
  }
  out += kNets[rng.Below(3)];
  AppendInt(out, rng.Range(1, 254));
}

int64_t DayStartUtc(int64_t day) { return day * 86400; }

// A time of day on local `day` as Unix seconds.
int64_t LocalTime(int64_t day, int hour, Rng& rng, CountryCode country) {
  return DayStartUtc(day) + hour * 3600 + static_cast<int64_t>(rng.Below(3600)) -
         static_cast<int64_t>(internal::UtcOffsetMinutes(country, day)) * 60;
}

std::string Lower(Sv text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

int DigitsOf(int64_t n) {
  int d = 1;
  while (n >= 10) {
    n /= 10;
    ++d;
  }
  return d;
}

// One generation run: the open files, the counters that make ids unique, and
// scratch space reused from person to person.
class Run {
 public:
  explicit Run(const GenerateOptions& options)
      : options_(options),
        today_(options.today.ToDays()),
        factory_(options.seed, options.customers, options.today),
        activity_writer_(options.seed, options.today, &orders_, &events_) {
    id_width_ = std::max(6, DigitsOf(options.customers * 2));
    duplicate_id_base_ = options.customers;
  }

  Result<GenerateSummary> Execute();

 private:
  std::string PathOf(Sv name) const {
    return (std::filesystem::path(options_.out_dir) / std::string(name)).string();
  }
  Status OpenAll();
  void WriteProducts();
  void WriteAccounts();
  void WritePerson(const Person& p);
  // The record `id` as the CRM exported it on `export_day` into `out`;
  // nothing when the record did not exist yet.
  void WriteCrm(const Person& p, const std::string& id, bool duplicate, int64_t export_day,
                OutputFile& out);
  void WriteNewsletter(const Person& p, int64_t signup_day, int record);
  void WritePurchased(const Person& p);
  void WriteContactTruth(const Person& p);
  void WriteGroundTruth(Sv source, Sv key, const Person& p);
  // The ground-truth key of a record without customer_id (see README.txt).
  void KeyOf(Sv email, Sv phone_e164, const OutputFile& file, std::string& key) const;
  void NoteInvalid(Sv kind, Sv value);
  Status WriteReadme(const GenerateSummary& summary) const;

  // How a culture's sources write a mobile number.
  PhoneStyle MobileStyle(Culture culture, Rng& rng) const;

  const GenerateOptions& options_;
  const int64_t today_;
  PeopleFactory factory_;
  OutputFile products_, accounts_, crm_last_year_, crm_, crm_duplicates_, newsletter_, purchased_,
      orders_, events_, ground_truth_, contact_truth_;
  ActivityWriter activity_writer_;
  JalaliCache jalali_;

  int id_width_ = 6;
  int64_t crm_count_ = 0;
  int64_t duplicate_id_base_ = 0;
  int64_t duplicate_count_ = 0;

  // Scratch, per person.
  Activity activity_;
  std::string crm_id_;
  std::string crm_duplicate_id_;
  std::vector<std::string> emails_used_;
  std::vector<std::pair<std::string, std::string>> invalid_values_;  // kind, value
  std::string given_, family_, field_, key_;
};

Status Run::OpenAll() {
  struct Target {
    OutputFile* file;
    Sv name;
    Sv header;
  };
  const Target targets[] = {
      {&products_, kProductsFile, kProductsHeader},
      {&accounts_, kAccountsFile, kAccountsHeader},
      {&crm_last_year_, kCrmLastYearFile, kCrmHeader},
      {&crm_, kCrmFile, kCrmHeader},
      {&crm_duplicates_, "crm_customers.csv.part", ""},
      {&newsletter_, kNewsletterFile, kNewsletterHeader},
      {&purchased_, kPurchasedFile, kPurchasedHeader},
      {&orders_, kOrdersFile, kOrdersHeader},
      {&events_, kEventsFile, ""},
      {&ground_truth_, kGroundTruthFile, kGroundTruthHeader},
      {&contact_truth_, kContactTruthFile, kContactTruthHeader},
  };
  for (const Target& t : targets) {
    RETURN_IF_ERROR(t.file->Open(PathOf(t.name)));
    t.file->out().append(t.header);
  }
  return Status::Ok();
}

void Run::WriteProducts() {
  for (const internal::Product& product : Catalog::Get().products()) {
    CsvRow row(products_.out(), ',');
    row.Field(product.sku).Field(product.name).Field(internal::CategoryPath(product.category));
    row.Field(product.brand);
    AppendAmount(row.Raw(), product.price_eur_cents, 2);
    row.Field("EUR");
    row.End();
    products_.EndRow();
  }
}

void Run::WriteAccounts() {
  const auto cities = Cities();
  for (const Account& a : factory_.accounts()) {
    const auto& country = Country(a.country);
    CsvRow row(accounts_.out(), ',');
    row.Field(a.id).Field(a.name).Field(a.domain).Field(a.industry_code);
    if (a.employees > 0) {
      row.Int(a.employees);
    } else {
      row.Empty();
    }
    if (a.revenue > 0) {
      row.Int(a.revenue);
    } else {
      row.Empty();
    }
    row.Field(a.revenue > 0 ? country.currency : "");
    row.Field(a.tier).Field(a.contract_status);
    const CityInfo& city = cities[a.city];
    row.Field(a.country == CountryCode::kSE || a.country == CountryCode::kDE ? city.name_native
                                                                             : city.name_en);
    row.Field(country.code);
    std::string& share = row.Raw();
    share += '0';
    share += '.';
    AppendPadded(share, a.share_of_wallet_pct, 2);
    row.Field(a.competitors);
    row.End();
    accounts_.EndRow();
  }
}

PhoneStyle Run::MobileStyle(Culture culture, Rng& rng) const {
  static constexpr double kWeights[4][6] = {
      // national, compact, international, E.164, 00, native digits
      {40, 25, 15, 10, 3, 7},
      {35, 5, 35, 15, 3, 7},
      {55, 20, 15, 10, 0, 0},
      {50, 5, 30, 15, 0, 0},
  };
  return static_cast<PhoneStyle>(rng.Weighted(kWeights[static_cast<int>(culture)]));
}

void Run::NoteInvalid(Sv kind, Sv value) {
  for (const auto& [k, v] : invalid_values_) {
    if (k == kind && v == value) return;
  }
  invalid_values_.emplace_back(std::string(kind), std::string(value));
}

void Run::KeyOf(Sv email, Sv phone_e164, const OutputFile& file, std::string& key) const {
  key.clear();
  if (!email.empty() && internal::LooksLikeValidEmail(email)) {
    key = Lower(email);
  } else if (!phone_e164.empty()) {
    key.assign(phone_e164);
  } else {
    key = "line:";
    AppendInt(key, file.rows() + 2);  // the header is line 1
  }
}

void Run::WriteGroundTruth(Sv source, Sv key, const Person& p) {
  CsvRow row(ground_truth_.out(), ',');
  row.Field(source).Field(key).Field(p.id);
  row.End();
  ground_truth_.EndRow();
}

// --- CRM ----------------------------------------------------------------------

void Run::WriteCrm(const Person& p, const std::string& id, bool duplicate, int64_t export_day,
                   OutputFile& out) {
  // The same stream for every export of a record: an earlier export differs
  // only in what changed between the two days.
  Rng rng(StreamSeed(options_.seed, static_cast<uint64_t>(p.index),
                     duplicate ? Stream::kCrmDuplicate : Stream::kCrm));
  const auto cities = Cities();
  const CityInfo& city = cities[p.city];
  const auto& country = Country(p.country);
  const int culture = static_cast<int>(p.culture);
  const bool arabic_script = p.culture == Culture::kIranian || p.culture == Culture::kArab;
  const bool b2b = p.account >= 0;

  // The record as of its last update: duplicates were entered later, by
  // someone who did not find the first record.
  const int64_t span = std::max<int64_t>(1, today_ - p.acquisition_day);
  const double recency = rng.Unit();
  const int64_t created_day =
      duplicate ? p.acquisition_day + rng.Range(span / 4, span) : p.acquisition_day;
  if (created_day > export_day) return;
  const int64_t updated_day = std::min(
      export_day,
      duplicate ? created_day
                : today_ - static_cast<int64_t>(static_cast<double>(span) * recency * recency));

  NameStyle style;
  if (p.culture == Culture::kIranian) {
    style.latin = rng.Chance(0.12);
    style.respace = rng.Chance(0.1);
    style.arabic_letters = rng.Chance(0.04);
  } else if (p.culture == Culture::kArab) {
    style.latin = rng.Chance(0.35);
  } else if (p.culture == Culture::kSwedish) {
    style.ascii_fold = rng.Chance(0.04);
  }
  style.latin_variant = rng.Chance(0.7) ? 0 : static_cast<int>(rng.Range(1, 3));
  style.typo_given = rng.Chance(0.015);
  style.typo_family = rng.Chance(0.015);
  if (duplicate) {
    // At least one way in which the second record differs.
    switch (rng.Below(6)) {
      case 0:
        if (arabic_script) {
          style.latin = !style.latin;
        } else {
          style.typo_family = true;
        }
        break;
      case 1:
        style.latin_variant = static_cast<int>(rng.Range(1, 3));
        style.latin = style.latin || arabic_script;
        style.typo_given = !arabic_script;
        break;
      case 2:
        style.typo_given = true;
        break;
      case 3:
        style.swapped = true;
        break;
      case 4:
        if (p.culture == Culture::kIranian) {
          style.arabic_letters = true;
          style.respace = true;
        } else if (p.culture == Culture::kSwedish) {
          style.ascii_fold = true;
          style.typo_family = true;
        } else {
          style.typo_family = true;
        }
        break;
      default:
        style.typo_family = true;
        style.typo_given = rng.Chance(0.3);
    }
  }
  RenderNames(p, style, rng, given_, family_);
  const bool native_text = arabic_script && !style.latin;

  CsvRow row(out.out(), ',');
  row.Field(id);

  // Salutation.
  field_.clear();
  if (rng.Chance(duplicate ? 0.2 : 0.5)) {
    const bool doctor = p.education == 5 && rng.Chance(0.6);
    const bool female = p.gender == Gender::kFemale;
    if (p.gender == Gender::kOther) {
      if (p.culture == Culture::kEnglish) field_ = "Mx";
    } else if (p.culture == Culture::kIranian && native_text) {
      field_ = doctor ? "دکتر" : female ? "خانم" : "آقای";
    } else if (p.culture == Culture::kArab && native_text) {
      field_ = doctor ? "الدكتور" : female ? "السيدة" : "السيد";
    } else if (p.culture != Culture::kSwedish || rng.Chance(0.1)) {
      field_ = doctor ? "Dr" : female ? (p.marital == 1 && rng.Chance(0.5) ? "Mrs" : "Ms") : "Mr";
    }
  }
  row.Field(field_);
  row.Field(given_).Field(family_);

  // Gender.
  if (rng.Chance(0.85)) {
    const bool short_form = rng.Chance(0.1);
    row.Field(p.gender == Gender::kOther    ? "other"
              : p.gender == Gender::kFemale ? (short_form ? "F" : "female")
                                            : (short_form ? "M" : "male"));
  } else {
    row.Empty();
  }

  // Birth date: Iranian staff often write it in the Persian calendar.
  if (p.has_birth_date && rng.Chance(duplicate ? 0.5 : 0.9)) {
    const std::string& jalali = jalali_.Format(p.birth_date.ToDays());
    if (p.culture == Culture::kIranian && !jalali.empty() && rng.Chance(0.25)) {
      row.Field(jalali);
    } else {
      AppendDate(row.Raw(), p.birth_date);
    }
  } else {
    row.Empty();
  }
  row.Field(rng.Chance(0.7) ? internal::MaritalStatuses()[p.marital] : "");
  row.Field(rng.Chance(0.6) ? internal::Educations()[p.education] : "");
  row.Field(rng.Chance(0.5) ? internal::IncomeBands()[p.income] : "");
  if (rng.Chance(0.55)) {
    row.Int(p.household);
  } else {
    row.Empty();
  }
  static constexpr Sv kLanguages[] = {"fa", "ar", "sv", "en"};
  row.Field(rng.Chance(0.9) ? kLanguages[culture] : "");
  row.Field(rng.Chance(0.8) ? country.time_zone : "");

  // Address.
  field_.clear();
  if (rng.Chance(0.75)) internal::AppendStreet(field_, p, native_text, rng);
  row.Field(field_);
  row.Field(rng.Chance(0.8) ? Sv(p.postal_code) : Sv());
  if (rng.Chance(0.95)) {
    const bool native_city =
        native_text ? rng.Chance(0.6) : (p.culture == Culture::kSwedish && rng.Chance(0.85));
    row.Field(native_city ? city.name_native : city.name_en);
  } else {
    row.Empty();
  }
  row.Field(rng.Chance(0.6) ? city.region : "");
  row.Field(rng.Chance(0.88) ? country.code : country.name_en);

  // Email: the address the record had when last updated; B2B contacts are
  // known by their work address.
  field_.clear();
  bool email_invalid = false;
  if (rng.Chance(duplicate ? 0.8 : 0.95)) {
    if (b2b && rng.Chance(0.85)) {
      field_ = p.work_email;
    } else {
      field_ = p.EmailAt(updated_day);
    }
    if (rng.Chance(0.025)) {
      field_ = internal::InvalidEmail(field_, rng);
      email_invalid = true;
      NoteInvalid("email", field_);
    } else if (rng.Chance(0.03)) {
      field_[0] =
          static_cast<char>(field_[0] >= 'a' && field_[0] <= 'z' ? field_[0] - 32 : field_[0]);
    }
  }
  const bool has_email = !field_.empty();
  const bool email_stale = has_email && !email_invalid && field_ != p.work_email &&
                           Lower(field_) != p.EmailAt(export_day);
  row.Field(field_);

  // Mobile, and a landline for some.
  field_.clear();
  bool phone_invalid = false;
  if (rng.Chance(duplicate ? 0.85 : 0.94)) {
    const std::string& nsn = p.MobileAt(updated_day);
    if (rng.Chance(0.02)) {
      field_ = internal::InvalidMobile(p.country, nsn, rng);
      phone_invalid = true;
      NoteInvalid("mobile", field_);
    } else {
      AppendMobile(field_, p.country, nsn, MobileStyle(country.culture, rng));
    }
  }
  const bool has_mobile = !field_.empty();
  row.Field(field_);
  field_.clear();
  if (!p.landline.empty() && rng.Chance(0.9)) {
    AppendLandline(field_, city, p.landline,
                   rng.Chance(0.8) ? PhoneStyle::kNational : PhoneStyle::kInternational);
  }
  row.Field(field_);

  if (!has_email) {
    row.Empty();
  } else if (email_invalid) {
    row.Field("unverified");
  } else if (email_stale) {
    row.Field(rng.Chance(0.45) ? "bounced" : "verified");
  } else {
    row.Field(rng.Chance(0.7) ? "verified" : "unverified");
  }
  if (!has_mobile) {
    row.Empty();
  } else {
    row.Field(!phone_invalid && rng.Chance(0.55) ? "verified" : "unverified");
  }
  row.Field(rng.Chance(0.8) ? internal::AcquisitionChannels()[p.acquisition_channel] : "");

  // Lifecycle stage and tags, from what the shop knew on the export day.
  int64_t orders = activity_.orders_before_history;
  int64_t last_order_day =
      activity_.last_order_day <= export_day ? activity_.last_order_day : kNever;
  for (const internal::Order& order : activity_.orders) {
    if (order.day > export_day) break;
    ++orders;
    last_order_day = order.day;
  }
  Sv stage;
  if (orders == 0) {
    stage = p.in_newsletter ? "lead" : "prospect";
  } else if (last_order_day == kNever || export_day - last_order_day > 365) {
    stage = "lapsed";
  } else {
    stage = orders >= 4 ? "loyal" : "customer";
  }
  row.Field(stage);
  field_.clear();
  auto tag = [&](Sv t) {
    if (!field_.empty()) field_ += '|';
    field_ += t;
  };
  if (orders >= 8) tag("vip");
  if (b2b) tag("b2b");
  if (p.in_newsletter) tag("newsletter");
  if (p.parent && rng.Chance(0.6)) tag("parent");
  if (p.age < 24 && rng.Chance(0.6)) tag("student");
  if (b2b && factory_.accounts()[p.account].employees > 200) tag("key-account");
  row.Field(field_);

  if (b2b && (!duplicate || rng.Chance(0.6))) {
    row.Field(factory_.accounts()[p.account].id);
    row.Field(p.job_title);
  } else {
    row.Empty().Empty();
  }

  // Consents (R19): many records carry them, with method, time and proof.
  if (rng.Chance(duplicate ? 0.4 : 0.65)) {
    const Sv channel = internal::AcquisitionChannels()[p.acquisition_channel];
    const bool granted_words = rng.Chance(0.1);
    auto yes_no = [&](double p_yes) {
      const bool yes = rng.Chance(p_yes);
      return granted_words ? (yes ? Sv("granted") : Sv("withdrawn")) : (yes ? Sv("yes") : Sv("no"));
    };
    row.Field(has_email ? yes_no(0.75) : "");
    row.Field(has_mobile ? yes_no(0.5) : "");
    row.Field(has_mobile ? yes_no(b2b ? 0.7 : 0.3) : "");
    row.Field(yes_no(b2b ? 0.7 : 0.4));
    Sv method;
    if (channel == "store") {
      method = "written";
    } else if (channel == "event" || channel == "partner") {
      method = "verbal";
    } else {
      method = rng.Chance(0.7) ? "single_opt_in" : "double_opt_in";
    }
    row.Field(method);
    const int64_t consent_day = std::min(export_day, created_day + rng.Range(0, 30));
    const int64_t consent_at =
        LocalTime(consent_day, static_cast<int>(rng.Range(9, 21)), rng, p.country);
    AppendUtcTimestamp(row.Raw(), consent_at);
    field_.clear();
    const CivilDate consent_date = CivilDate::FromDays(consent_day);
    if (method == "written") {
      field_ = "signed form F-";
      AppendInt(field_, consent_date.year);
      field_ += '-';
      AppendPadded(field_, static_cast<int64_t>(rng.Below(1'000'000)), 6);
      field_ += " at the ";
      field_ += city.name_en;
      field_ += " store";
    } else if (method == "verbal") {
      field_ = "call recording REC-";
      AppendPadded(field_, static_cast<int64_t>(rng.Below(10'000'000)), 7);
    } else if (method == "single_opt_in") {
      field_ = "web form https://shop.patron-demo.example/signup from IP ";
      AppendDocumentationIp(field_, rng);
    } else {
      field_ = "confirmed via link on ";
      AppendDate(field_, consent_date);
      field_ += " from IP ";
      AppendDocumentationIp(field_, rng);
    }
    row.Field(field_);
  } else {
    row.Empty().Empty().Empty().Empty().Empty().Empty().Empty();
  }
  AppendUtcTimestamp(row.Raw(),
                     LocalTime(created_day, static_cast<int>(rng.Range(9, 20)), rng, p.country));

  field_.clear();
  if (rng.Chance(0.6)) {
    const auto interests = internal::Interests();
    for (size_t i = 0; i < interests.size(); ++i) {
      if ((p.interests & (1u << i)) == 0) continue;
      if (!field_.empty()) field_ += '|';
      field_ += interests[i];
    }
  }
  row.Field(field_);
  row.End();
  out.EndRow();
  if (export_day == today_) WriteGroundTruth("crm", id, p);
}

// --- Newsletter -----------------------------------------------------------------

void Run::WriteNewsletter(const Person& p, int64_t signup_day, int record) {
  Rng rng(
      StreamSeed(options_.seed, static_cast<uint64_t>(p.index) * 2 + record, Stream::kNewsletter));
  const auto cities = Cities();
  const CityInfo& city = cities[p.city];
  const bool iranian = p.culture == Culture::kIranian;
  const bool arabic_script = iranian || p.culture == Culture::kArab;
  const bool in_iran = p.country == CountryCode::kIR;

  const bool pending = rng.Chance(0.15);  // never clicked the confirmation link
  std::string email = p.EmailAt(signup_day);
  bool email_invalid = false;
  if (pending && rng.Chance(0.15)) {
    email = internal::InvalidEmail(email, rng);
    email_invalid = true;
  } else if (rng.Chance(0.03)) {
    email[0] = static_cast<char>(email[0] >= 'a' && email[0] <= 'z' ? email[0] - 32 : email[0]);
  }

  // Mobile: people in Iran write it the Iranian way, others internationally,
  // so that the file imports with --default-country IR.
  std::string mobile;
  std::string mobile_e164;
  bool want_mobile = rng.Chance(0.4) || email_invalid;
  if (want_mobile) {
    const std::string& nsn = p.MobileAt(signup_day);
    if (!email_invalid && rng.Chance(0.02)) {
      mobile = internal::InvalidMobile(p.country, nsn, rng);
      if (!in_iran) {
        mobile = "+" + std::string(Country(p.country).dial) + " " +
                 mobile.substr(mobile[0] == '0' ? 1 : 0);
      }
      NoteInvalid("mobile", mobile);
    } else {
      PhoneStyle style = PhoneStyle::kInternational;
      if (in_iran) {
        static constexpr double kIranianStyles[] = {45, 20, 0, 0, 0, 35};
        style = static_cast<PhoneStyle>(rng.Weighted(kIranianStyles));
      }
      AppendMobile(mobile, p.country, nsn, style);
      mobile_e164 = internal::E164(p.country, nsn);
    }
  }
  if (email_invalid) NoteInvalid("email", Lower(email));

  NameStyle style;
  if (iranian) {
    style.arabic_letters = rng.Chance(0.1);
    style.respace = rng.Chance(0.15);
    style.latin = rng.Chance(0.08);
  } else if (p.culture == Culture::kArab) {
    style.latin = rng.Chance(0.2);
  }
  style.latin_variant = static_cast<int>(rng.Below(3));
  style.typo_given = rng.Chance(0.03);
  style.swapped = rng.Chance(0.03);
  RenderNames(p, style, rng, given_, family_);

  CsvRow row(newsletter_.out(), ',');
  row.Field(email);
  row.Field(rng.Chance(0.9) ? Sv(given_) : Sv());
  row.Field(rng.Chance(0.75) ? Sv(family_) : Sv());
  row.Field(mobile);
  if (p.gender != Gender::kOther && rng.Chance(0.5)) {
    row.Field(p.gender == Gender::kFemale ? "زن" : "مرد");
  } else {
    row.Empty();
  }
  // Birth date, for birthday greetings; Iranians give it in the Persian calendar.
  if (p.has_birth_date && rng.Chance(0.3)) {
    const std::string& jalali = jalali_.Format(p.birth_date.ToDays());
    if (iranian && !jalali.empty()) {
      row.Field(rng.Chance(0.4) ? internal::PersianDigits(jalali) : jalali);
    } else {
      AppendDate(row.Raw(), p.birth_date);
    }
  } else {
    row.Empty();
  }
  if (rng.Chance(0.5)) {
    row.Field(arabic_script && !style.latin    ? city.name_native
              : p.culture == Culture::kSwedish ? city.name_native
                                               : city.name_en);
  } else {
    row.Empty();
  }
  static constexpr Sv kLanguages[] = {"fa", "ar", "sv", "en"};
  row.Field(rng.Chance(0.7) ? kLanguages[static_cast<int>(p.culture)] : "");
  // Sign-up date.
  const std::string& jalali_signup = jalali_.Format(signup_day);
  if (iranian && !jalali_signup.empty() && rng.Chance(0.55)) {
    row.Field(rng.Chance(0.4) ? internal::PersianDigits(jalali_signup) : jalali_signup);
  } else {
    AppendDate(row.Raw(), CivilDate::FromDays(signup_day));
  }

  // Status and double opt-in consent with its proof.
  const int64_t signed_up_at =
      LocalTime(signup_day, static_cast<int>(rng.Range(8, 23)), rng, p.country);
  const bool changed_since = p.email_change_day != kNever && p.email_change_day > signup_day;
  if (pending) {
    row.Field("unverified").Empty().Empty().Empty().Empty();
  } else {
    const bool bounced = changed_since && p.email_change_day + 30 < today_ && rng.Chance(0.5);
    row.Field(bounced ? "bounced" : "verified");
    const int64_t confirmed_at = signed_up_at + rng.Range(30, 6 * 3600);
    const int64_t confirmed_day = confirmed_at / 86400;
    const bool unsubscribed = today_ - confirmed_day > 10 && rng.Chance(0.08);
    if (unsubscribed) {
      const int64_t unsubscribed_day = confirmed_day + rng.Range(10, today_ - confirmed_day);
      row.Field("خیر").Field("double_opt_in");
      AppendUtcTimestamp(row.Raw(), unsubscribed_day * 86400 + rng.Range(28800, 79200));
      field_ = "unsubscribed via link in newsletter on ";
      AppendDate(field_, CivilDate::FromDays(unsubscribed_day));
      row.Field(field_);
    } else {
      row.Field(rng.Chance(0.7) ? "بله" : "yes").Field("double_opt_in");
      AppendUtcTimestamp(row.Raw(), confirmed_at);
      field_ = "confirmed via link on ";
      AppendDate(field_, CivilDate::FromDays(confirmed_at / 86400));
      field_ += " from IP ";
      AppendDocumentationIp(field_, rng);
      row.Field(field_);
    }
  }
  row.End();
  KeyOf(Lower(email), mobile_e164, newsletter_, key_);
  newsletter_.EndRow();
  WriteGroundTruth("newsletter", key_, p);
}

// --- Purchased list -------------------------------------------------------------

void Run::WritePurchased(const Person& p) {
  Rng rng(StreamSeed(options_.seed, static_cast<uint64_t>(p.index), Stream::kPurchased));
  const CityInfo& city = Cities()[p.city];
  // The vendor compiled the list some months ago from data of varying age.
  const int64_t snapshot = today_ - 140;
  const int64_t as_of =
      std::max(p.acquisition_day, snapshot - static_cast<int64_t>(rng.Exponential(150)));

  NameStyle style;
  style.typo_given = rng.Chance(0.04);
  style.typo_family = rng.Chance(0.05);
  style.ascii_fold = rng.Chance(0.12);
  style.swapped = rng.Chance(0.03);
  style.upper = rng.Chance(0.05);
  RenderNames(p, style, rng, given_, family_);

  std::string email;
  bool email_invalid = false;
  if (rng.Chance(0.85)) {
    email = p.EmailAt(as_of);
    if (rng.Chance(0.03)) {
      email = internal::InvalidEmail(email, rng);
      email_invalid = true;
      NoteInvalid("email", email);
    }
  }
  std::string mobile;
  std::string mobile_e164;
  if (rng.Chance(0.8) || email.empty() || email_invalid) {
    const std::string& nsn = p.MobileAt(as_of);
    if (!email.empty() && !email_invalid && rng.Chance(0.02)) {
      mobile = internal::InvalidMobile(p.country, nsn, rng);
      NoteInvalid("mobile", mobile);
    } else {
      static constexpr double kStyles[] = {50, 25, 15, 10, 0, 0};
      AppendMobile(mobile, p.country, nsn, static_cast<PhoneStyle>(rng.Weighted(kStyles)));
      mobile_e164 = internal::E164(p.country, nsn);
    }
  }

  CsvRow row(purchased_.out(), ';');
  row.Field(given_).Field(family_).Field(email).Field(mobile);
  field_.clear();
  if (rng.Chance(0.7)) internal::AppendStreet(field_, p, true, rng);
  row.Field(field_);
  row.Field(rng.Chance(0.8) ? Sv(p.postal_code) : Sv());
  row.Field(rng.Chance(0.05) ? city.name_en : city.name_native);
  const double land = rng.Unit();
  row.Field(land < 0.6 ? "Sverige" : land < 0.9 ? "SE" : "");
  if (p.has_birth_date && rng.Chance(0.85)) {
    std::string& date = row.Raw();
    if (rng.Chance(0.6)) {
      AppendPadded(date, p.birth_date.day, 2);
      date += '.';
      AppendPadded(date, p.birth_date.month, 2);
      date += '.';
      AppendPadded(date, p.birth_date.year, 4);
    } else {
      AppendDate(date, p.birth_date);
    }
  } else {
    row.Empty();
  }
  if (p.gender != Gender::kOther && rng.Chance(0.6)) {
    row.Field(p.gender == Gender::kFemale ? "kvinna" : "man");
  } else {
    row.Empty();
  }
  // Some of the list opted in at the vendor (a competition form); the rest
  // has no consent basis and must not be marketed to (R19).
  if (rng.Chance(0.45)) {
    const bool email_ok = !email.empty();
    const bool sms_ok = !mobile.empty() && rng.Chance(0.6);
    row.Field(email_ok ? "ja" : "nej").Field(sms_ok ? "ja" : "nej");
    const int64_t consent_day = as_of - rng.Range(0, 400);
    AppendDate(row.Raw(), CivilDate::FromDays(consent_day));
    row.Field("single_opt_in");
    field_ = "opt-in via tävlingsformulär på nordicleads.example ";
    AppendDate(field_, CivilDate::FromDays(consent_day));
    field_ += ", IP ";
    AppendDocumentationIp(field_, rng);
    row.Field(field_);
  } else {
    row.Empty().Empty().Empty().Empty().Empty();
  }
  row.End();
  KeyOf(email, mobile_e164, purchased_, key_);
  purchased_.EndRow();
  WriteGroundTruth("nordic-leads", key_, p);
}

// --- Truth --------------------------------------------------------------------

void Run::WriteContactTruth(const Person& p) {
  std::string& out = contact_truth_.out();
  auto row = [&](Sv kind, Sv value, int64_t from, int64_t until) {
    CsvRow r(out, ',');
    r.Field(p.id).Field(kind).Field(value);
    if (from == kNever) {
      r.Empty();
    } else {
      AppendDate(r.Raw(), CivilDate::FromDays(from));
    }
    if (until == kNever) {
      r.Empty();
    } else {
      AppendDate(r.Raw(), CivilDate::FromDays(until));
    }
    r.Field(until == kNever ? "current" : "stale");
    r.End();
    contact_truth_.EndRow();
  };
  row("email", p.email[0], p.acquisition_day, p.email_change_day);
  if (p.email_change_day != kNever) row("email", p.email[1], p.email_change_day, kNever);
  if (!p.work_email.empty()) {
    row("email", p.work_email,
        std::max(p.acquisition_day, factory_.accounts()[p.account].created_day), kNever);
  }
  row("mobile", internal::E164(p.country, p.mobile[0]), p.acquisition_day, p.phone_change_day);
  if (p.phone_change_day != kNever) {
    row("mobile", internal::E164(p.country, p.mobile[1]), p.phone_change_day, kNever);
  }
  if (!p.landline.empty())
    row("phone", internal::E164(p.country, p.landline), p.acquisition_day, kNever);
  for (const auto& [kind, value] : invalid_values_) {
    CsvRow r(out, ',');
    r.Field(p.id).Field(kind).Field(value).Empty().Empty().Field("invalid");
    r.End();
    contact_truth_.EndRow();
  }
}

void Run::WritePerson(const Person& p) {
  activity_writer_.Simulate(p, activity_);
  invalid_values_.clear();
  crm_id_.clear();
  crm_duplicate_id_.clear();
  if (p.in_crm) {
    crm_id_ = "CRM-";
    AppendPadded(crm_id_, ++crm_count_, id_width_);
    WriteCrm(p, crm_id_, false, today_ - kCrmLastYearDays, crm_last_year_);
    WriteCrm(p, crm_id_, false, today_, crm_);
  }
  if (p.crm_duplicate) {
    crm_duplicate_id_ = "CRM-";
    AppendPadded(crm_duplicate_id_, duplicate_id_base_ + ++duplicate_count_, id_width_);
    WriteCrm(p, crm_duplicate_id_, true, today_ - kCrmLastYearDays, crm_last_year_);
    WriteCrm(p, crm_duplicate_id_, true, today_, crm_duplicates_);
  }
  if (p.newsletter_day != kNever) WriteNewsletter(p, p.newsletter_day, 0);
  if (p.newsletter_resubscribe_day != kNever) WriteNewsletter(p, p.newsletter_resubscribe_day, 1);
  if (p.in_purchased) WritePurchased(p);

  emails_used_.clear();
  activity_writer_.WriteOrders(p, crm_id_, crm_duplicate_id_, activity_, emails_used_);
  for (const std::string& email : emails_used_) WriteGroundTruth("webshop", email, p);
  emails_used_.clear();
  activity_writer_.WriteEvents(p, crm_id_, activity_, emails_used_);
  for (const std::string& email : emails_used_) WriteGroundTruth("web", email, p);
  WriteContactTruth(p);
}

Status Run::WriteReadme(const GenerateSummary& summary) const {
  OutputFile readme;
  RETURN_IF_ERROR(readme.Open(summary.readme_path));
  std::string& out = readme.out();
  out += "Patron Demo Store: generated demo data\n";
  out += "=======================================\n\n";
  out += "Generated by Patron's demo generator (src/demo) with seed ";
  AppendInt(out, static_cast<int64_t>(options_.seed));
  out += ", ";
  AppendInt(out, options_.customers);
  out += " people, history ending ";
  AppendDate(out, options_.today);
  out += ".\nThe same seed, people and end date give byte-identical files.\n\n";
  out += R"TXT(Everything here is synthetic. Names are common given names with common family
names and, for most people, rarer family names formed as each culture forms
them (a long tail, as in a real population); email addresses use
real providers' domains and phone numbers are in real mobile ranges, so some may
belong to real people: never send to this data through a real email or SMS
gateway. IP addresses in consent proofs are documentation ranges (RFC 5737/3849).

Import in this order (no --map needed):

)TXT";
  for (const GeneratedFile& file : summary.files) {
    out += "  patron import ";
    out += file.kind;
    out += ' ';
    out += std::filesystem::path(file.path).filename().string();
    out += " --source ";
    out += file.source;
    out += " --source-kind ";
    out += file.source_kind;
    if (!file.vendor.empty()) out += " --source-vendor \"" + file.vendor + "\"";
    if (!file.cost.empty()) out += " --source-cost \"" + file.cost + "\"";
    if (!file.default_country.empty()) out += " --default-country " + file.default_country;
    if (!file.as_of.empty()) out += " --as-of " + file.as_of;
    out += "    # ";
    AppendInt(out, file.records);
    out += " records\n";
  }
  out += R"TXT(
Files
-----
products.csv        The catalogue (source "catalog"): about 300 SKUs in
                    electronics/{phones,phone-accessories,tablets},
                    stationery/{school-supplies,office}, home/{kitchen,decor}.
                    Prices are EUR reference prices; orders carry local prices.
accounts.csv        B2B accounts (source "crm"): legal names (AB, Ltd, LLC, GmbH,
                    "شرکت ... (سهامی خاص)", ذ.م.م), domain, industry code (SNI in
                    Sweden, NACE in the UK and Germany, ISIC elsewhere), employees,
                    revenue, tier, contract status, share of wallet and competing
                    suppliers (attr.*). Some codes, headcounts and revenues are
                    missing, for enrichment.
crm_customers.csv   The CRM export (source "crm", key customer_id CRM-...):
                    canonical English headers, full profiles, consents with
                    method/time/proof, B2B contacts with account_id and job_title.
                    About 3.5 % of people were entered twice (the second record has
                    a higher id, later created_at, and differs in spelling,
                    script, transliteration, name order or contact data).
                    Records reflect the data when last updated, so some contact
                    values are stale.
crm_customers_last_year.csv
                    The same CRM exported a year before (import it first, with
                    --as-of): the records that existed then, as last updated by
                    then. Where a person has changed email or mobile since, it
                    holds the old value; re-importing both exports is what lets
                    `patron quality decay` learn how fast contact data goes
                    bad from what the CRM replaced and what it kept.
newsletter.csv      Newsletter sign-ups (source "newsletter"), Persian headers, no
                    customer id: keyed by email. Double opt-in consents with the
                    confirmation as proof; some pending (unverified) and some
                    unsubscribed (consent "خیر"). Dates partly in the Persian
                    calendar (1403/01/15, also in Persian digits). People who
                    changed address and signed up again appear twice.
purchased_list.csv  A purchased list (source "nordic-leads", vendor Nordic Leads AB,
                    cost 4500 SEK), Swedish headers, ';'-delimited, dates
                    dd.mm.yyyy or ISO. Overlaps the CRM (with typos, lost å/ä/ö,
                    swapped or upper-case names, newer or older phones) and adds
                    people nobody else knows. Only some rows have an opt-in
                    (Samtycke) from the vendor.
shop_orders.csv     Web shop order lines (source "webshop"). Logged-in and loyalty-
                    card orders name the CRM customer_id (sometimes the duplicate
                    record's id); guest orders name the customer by email, with
                    the buyer's name and mobile as given at checkout. Delivered
                    orders (web, app) carry the shipping address: mostly the
                    buyer's home, in the script they typed, sometimes a
                    workplace or a gift elsewhere in the city; store purchases
                    have none.
                    Local currencies (IRR, AED, SAR, QAR, EGP, JOD, SEK, GBP, USD,
                    EUR), with inflation in IRR and EGP. Purchase rates are
                    Gamma-distributed with drop-out (BG/NBD story), with seasonal
                    peaks: back to school before 1 Mehr (23 Sep) in Iran and in
                    August elsewhere, Nowruz gifts, Ramadan/Eid, Black Friday,
                    December; phone buyers come back for accessories that fit.
events.jsonl        Web events (source "web"), Segment-style track calls with userId
                    (a CRM customer_id), email or, for calls, the caller's phone,
                    and, for events from a device (not a message sent, a call
                    or a ticket an agent closes), the device's anonymousId: each
                    person has one to three devices, whoever the shop knows
                    them as on a visit:
                    page_viewed, product_viewed, cart_abandoned,
                    support_ticket_opened/closed and survey_answered (by the
                    order's email when not logged in), call_logged (a
                    consumer's call about an order names it, with the order's
                    email and the caller's phone; other calls from someone the
                    CRM does not know carry the phone only),
                    newsletter_signup, contest_signup (with the entrant's
                    firstName, lastName and usually phone, as typed on the
                    form), survey_answered (NPS 0-10 and
                    comments in Persian, Arabic, Swedish or English); campaign
                    messages (message_sent with campaign, channel email|sms, kind)
                    and clicks on them (message_clicked). Clicks: 4 % of emails
                    and 6 % of SMS on average; under-30s click SMS twice and
                    emails 0.6 times as often, over-55s emails 1.6 times and SMS
                    half as often, and each person has their own taste.

Truth (not for import)
----------------------
ground_truth.csv    source,source_key,person_id for every customer record of every
                    source, and for every email (or, for a call, phone) that
                    names a customer in orders (source "webshop") and events
                    (source "web") without a customer_id. Records with the same person_id are the same
                    real person.
                    Key rule: crm -> customer_id. Sources without customer_id
                    (newsletter, nordic-leads, webshop, web) -> the record's email,
                    trimmed and lower-cased, when it is syntactically an address
                    (one '@', no empty dot-separated parts); otherwise the record's
                    mobile number in E.164 (+46701234567) when it is a valid
                    number; otherwise "line:N", N the record's physical line in the
                    file (the header is line 1; the generator avoids this case).
                    Orders and events that name a customer by customer_id refer to
                    that crm record and add no row.
contact_truth.csv   person_id,kind,value,valid_from,valid_until,status for every
                    contact value of every person: kind email, mobile (E.164) or
                    phone (landline, E.164); status current, stale (the value
                    stopped being the person's on valid_until: about 2.5 % of
                    emails and 2 % of mobiles a month) or invalid (a value as a source
                    wrote it that can never reach the person: typos in the
                    provider such as gmial.com, missing '@', double dots, numbers
                    too short or with a prefix that does not exist; emails are
                    lower-cased, phones as written).

Price-list exchange rates (local units per EUR, at the start of the history;
IRR then grows 35 % and EGP 25 % a year, the others 3 %):
)TXT";
  for (int c = 0; c < internal::kCountryCount; ++c) {
    const auto& country = Country(static_cast<CountryCode>(c));
    out += "  ";
    out += country.code;
    out += ' ';
    out += country.currency;
    out += ' ';
    const double rate = country.per_eur;
    AppendInt(out, static_cast<int64_t>(rate));
    const int64_t hundredths = std::llround((rate - std::floor(rate)) * 100);
    if (hundredths > 0) {
      out += '.';
      AppendPadded(out, hundredths, 2);
    }
    out += '\n';
  }
  readme.EndRow();
  return readme.Close();
}

Result<GenerateSummary> Run::Execute() {
  const auto started = std::chrono::steady_clock::now();
  std::error_code ec;
  std::filesystem::create_directories(options_.out_dir, ec);
  if (ec) return IoError("cannot create " + options_.out_dir + ": " + ec.message());
  RETURN_IF_ERROR(OpenAll());

  WriteProducts();
  WriteAccounts();

  Person person;
  const uint64_t total = static_cast<uint64_t>(options_.customers);
  for (int64_t i = 0; i < options_.customers; ++i) {
    factory_.Next(person);
    WritePerson(person);
    if (options_.progress && ((i + 1) % 4096 == 0 || i + 1 == options_.customers)) {
      options_.progress(static_cast<uint64_t>(i + 1), total);
    }
  }

  // The duplicates were entered last: append them after the first records.
  const std::string duplicates_path = crm_duplicates_.path();
  const int64_t duplicate_rows = crm_duplicates_.rows();
  RETURN_IF_ERROR(crm_duplicates_.Close());
  {
    std::FILE* in = std::fopen(duplicates_path.c_str(), "rb");
    if (in == nullptr) return IoError("cannot reopen " + duplicates_path);
    std::string buffer(1 << 20, '\0');
    size_t n;
    while ((n = std::fread(buffer.data(), 1, buffer.size(), in)) > 0) {
      crm_.out().append(buffer.data(), n);
      crm_.EndRow();  // flushes when large; the row count is fixed below
    }
    std::fclose(in);
    std::filesystem::remove(duplicates_path, ec);
  }

  GenerateSummary summary;
  auto add = [&](OutputFile& file, Sv kind, Sv source, Sv source_kind, Sv vendor, Sv cost,
                 Sv default_country, int64_t records, std::string as_of = "") {
    GeneratedFile f;
    f.kind = std::string(kind);
    f.path = file.path();
    f.source = std::string(source);
    f.source_kind = std::string(source_kind);
    f.vendor = std::string(vendor);
    f.cost = std::string(cost);
    f.default_country = std::string(default_country);
    f.records = records;
    f.as_of = std::move(as_of);
    summary.files.push_back(std::move(f));
    summary.records_total += records;
  };
  add(products_, "products", "catalog", "internal", "", "", "", products_.rows());
  add(accounts_, "accounts", "crm", "internal", "", "", "", accounts_.rows());
  add(crm_last_year_, "customers", "crm", "internal", "", "", "", crm_last_year_.rows(),
      CivilDate::FromDays(today_ - kCrmLastYearDays).ToString());
  add(crm_, "customers", "crm", "internal", "", "", "", crm_count_ + duplicate_rows);
  add(newsletter_, "customers", "newsletter", "internal", "", "", "IR", newsletter_.rows());
  add(purchased_, "customers", "nordic-leads", "purchased", "Nordic Leads AB", kNordicLeadsCost,
      "SE", purchased_.rows());
  add(orders_, "orders", "webshop", "internal", "", "", "", orders_.rows());
  add(events_, "events", "web", "internal", "", "", "", events_.rows());
  summary.ground_truth_path = ground_truth_.path();
  summary.contact_truth_path = contact_truth_.path();
  summary.readme_path = PathOf(kReadmeFile);
  summary.people = options_.customers;

  for (OutputFile* file : {&products_, &accounts_, &crm_last_year_, &crm_, &newsletter_,
                           &purchased_, &orders_, &events_, &ground_truth_, &contact_truth_}) {
    RETURN_IF_ERROR(file->Close());
  }
  RETURN_IF_ERROR(WriteReadme(summary));
  summary.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return summary;
}

}  // namespace

Result<GenerateSummary> Generate(const GenerateOptions& options) {
  if (options.customers < 1) {
    return InvalidArgument("customers must be at least 1, not " +
                           std::to_string(options.customers));
  }
  if (options.customers > 100'000'000) {
    return InvalidArgument("customers must be at most 100000000 (phone number ranges run out)");
  }
  if (!options.today.IsValid() || options.today.year < 2000 || options.today.year > 2100) {
    return InvalidArgument("today must be a valid date between 2000 and 2100, not " +
                           options.today.ToString());
  }
  if (options.out_dir.empty()) return InvalidArgument("out_dir must name a directory");
  Run run(options);
  Result<GenerateSummary> summary = run.Execute();
  if (!summary.ok()) return summary.status().WithContext("generating demo data");
  return summary;
}

}  // namespace patron::demo
