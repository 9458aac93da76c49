// Column mapping: canonical field names per entity kind and the header synonyms
// (English, Persian, Arabic, Swedish) that map to them. docs/import.md is the
// user-facing copy of these tables; keep the two in step.
#include <algorithm>
#include <unordered_map>

#include "ingest/ingest.h"

namespace patron::ingest {
namespace {

struct FieldSpec {
  const char* field;
  // Synonyms, compared after FoldHeader(). Earlier entries of the same field
  // take precedence when two columns map to one field.
  std::vector<const char*> synonyms;
};

const std::vector<FieldSpec>& CustomerContactSpecs() {
  static const std::vector<FieldSpec> specs = {
      {"customer_id",
       {"id", "customerid", "customerno", "customernumber", "custid", "clientid", "externalid", "userid",
        "kundnr", "kundnummer", "kundid", "شناسه", "شناسهمشتری", "کدمشتری", "شمارهمشتری", "رقمالعميل",
        "معرفالعميل", "رمزالعميل"}},
      {"email",
       {"mail", "emailaddress", "epost", "epostadress", "mejl", "ایمیل", "پستالکترونیک", "پستالکترونیکی",
        "نشانیایمیل", "رایانامه", "البريدالإلكتروني", "البريدالالكتروني", "البريد", "الإيميل", "الايميل",
        "بريدإلكتروني"}},
      {"phone",
       {"telephone", "tel", "phonenumber", "telefon", "telefonnummer", "tfn", "تلفن", "شمارهتلفن",
        "تلفنثابت", "الهاتف", "رقمالهاتف", "هاتف"}},
      {"mobile",
       {"cell", "cellphone", "mobilephone", "mobilenumber", "mobil", "mobilnummer", "mobiltelefon",
        "موبایل", "تلفنهمراه", "شمارهموبایل", "شمارههمراه", "همراه", "الجوال", "جوال", "الهاتفالمحمول",
        "موبايل", "رقمالجوال"}},
  };
  return specs;
}

// A person's given and family name: customer fields, also read from orders
// (a guest checkout names the buyer).
const std::vector<FieldSpec>& PersonNameSpecs() {
  static const std::vector<FieldSpec> specs = {
      {"given_name",
       {"firstname", "first", "fname", "forename", "förnamn", "fornamn", "tilltalsnamn", "نام", "نامکوچک",
        "الاسمالأول", "الاسمالاول", "الاسم", "billingfirstname"}},
      {"family_name",
       {"lastname", "surname", "last", "lname", "efternamn", "نامخانوادگی", "فامیلی", "شهرت",
        "اسمالعائلة", "العائلة", "اللقب", "الكنية", "billinglastname"}},
  };
  return specs;
}

std::vector<FieldSpec> BuildSpecs(EntityKind kind) {
  const auto& contact = CustomerContactSpecs();
  const auto& names = PersonNameSpecs();
  switch (kind) {
    case EntityKind::kCustomers: {
      std::vector<FieldSpec> specs = {contact[0]};
      std::vector<FieldSpec> more = {
          names[0],
          names[1],
          {"full_name",
           {"name", "fullname", "contactname", "customername", "namn", "fulltnamn",
            "fullständigtnamn", "نامکامل", "نامونامخانوادگی", "الاسمالكامل"}},
          {"salutation", {"honorific", "prefix", "عنوان", "پیشوند", "اللقبالشرفي"}},
          {"greeting", {"greeting", "hälsning", "halsning", "tilltal", "خطاب", "التحية"}},
          {"gender", {"sex", "kön", "kon", "جنسیت", "جنس", "الجنس"}},
          {"birth_date",
           {"birthdate", "dob", "dateofbirth", "birthday", "födelsedatum", "fodelsedatum",
            "födelsedag", "تاریختولد", "تولد", "تاريخالميلاد", "تاريخالولادة"}},
          {"marital_status",
           {"maritalstatus", "marital", "civilstånd", "civilstand", "وضعیتتاهل", "تاهل",
            "الحالةالاجتماعية"}},
          {"education",
           {"education", "educationlevel", "utbildning", "تحصیلات", "مدرکتحصیلی", "التعليم"}},
          {"income_band", {"income", "incomeband", "incomerange", "inkomst", "درآمد", "الدخل"}},
          {"household_size",
           {"householdsize", "household", "hushållsstorlek", "hushall", "بعدخانوار",
            "تعدادافرادخانوار", "حجمالأسرة", "عددأفرادالأسرة"}},
          {"language", {"lang", "locale", "preferredlanguage", "språk", "sprak", "زبان", "اللغة"}},
          {"time_zone", {"timezone", "tz", "tidszon", "منطقهزمانی", "المنطقةالزمنية"}},
          {"street",
           {"address", "address1", "streetaddress", "addressline1", "gatuadress", "adress",
            "utdelningsadress", "آدرس", "نشانی", "خیابان", "العنوان", "الشارع"}},
          {"postal_code",
           {"postalcode", "zip", "zipcode", "postcode", "postnummer", "postnr", "کدپستی",
            "الرمزالبريدي"}},
          {"city", {"town", "ort", "stad", "postort", "شهر", "المدينة"}},
          {"region", {"state", "province", "county", "län", "lan", "استان", "المنطقة", "المحافظة"}},
          {"country", {"countrycode", "land", "کشور", "الدولة", "البلد"}},
          contact[1],
          {"email_2", {"email2", "secondaryemail", "alternativeemail", "otheremail", "ایمیل2"}},
          contact[2],
          contact[3],
          {"phone_2",
           {"phone2", "workphone", "homephone", "arbetstelefon", "hemtelefon", "telefon2"}},
          {"email_status",
           {"emailstatus", "emailverified", "emailverification", "وضعیتایمیل", "epoststatus",
            "حالةالبريد"}},
          {"phone_status",
           {"phonestatus", "phoneverified", "mobilestatus", "وضعیتموبایل", "mobilstatus",
            "حالةالهاتف"}},
          {"last_seen_at",
           {"lastseenat", "lastseen", "lastconfirmedat", "lastconfirmed", "senastsedd",
            "senastbekräftad", "آخرینمشاهده", "آخرینتایید", "آخرظهور", "آخرتأكيد"}},
          {"email_verified_at",
           {"emailverifiedat", "emailverifieddate", "emailverifiedon", "emailconfirmedat",
            "epostverifierad", "epostverifieraddatum", "تاریختاییدایمیل", "تاريختأكيدالبريد"}},
          {"email_bounced_at",
           {"emailbouncedat", "emailbouncedate", "emailbouncedon", "bouncedat", "bouncedate",
            "epoststudsade", "epoststuds", "تاریخبرگشتایمیل", "تاريخارتدادالبريد"}},
          {"phone_verified_at",
           {"phoneverifiedat", "phoneverifieddate", "mobileverifiedat", "mobilverifierad",
            "telefonverifierad", "تاریختاییدموبایل", "تاريختأكيدالهاتف"}},
          {"phone_bounced_at",
           {"phonebouncedat", "phonefailedat", "mobileunreachableat", "mobilstuds",
            "تاریخقطعموبایل", "تاريختعذرالهاتف"}},
          {"acquisition_channel",
           {"acquisitionchannel", "acquiredvia", "channel", "kanal", "کانالجذب"}},
          {"lifecycle_stage", {"lifecyclestage", "stage", "livscykel", "مرحله"}},
          {"tags", {"tag", "labels", "taggar", "برچسب", "برچسبها", "الوسوم"}},
          {"account_id",
           {"accountid", "companyid", "organisationsnummer", "orgnr", "företagsid", "شناسهشرکت",
            "معرفالشركة"}},
          {"job_title",
           {"jobtitle", "title", "position", "role", "befattning", "yrkestitel", "titel", "سمت",
            "عنوانشغلی", "المسمىالوظيفي", "الوظيفة"}},
          {"consent_email",
           {"consentemail", "emailconsent", "emailoptin", "newsletteroptin", "optin", "رضایتایمیل",
            "samtyckeepost", "samtyckemejl", "موافقةالبريد"}},
          {"consent_sms",
           {"consentsms", "smsconsent", "smsoptin", "رضایتپیامک", "samtyckesms", "موافقةالرسائل"}},
          {"consent_phone",
           {"consentphone", "phoneconsent", "callconsent", "phoneoptin", "رضایتتماس",
            "samtycketelefon", "موافقةالاتصال"}},
          {"consent_mail",
           {"consentmail", "mailconsent", "postalconsent", "directmailoptin", "رضایتپست",
            "samtyckepost", "موافقةالبريدالعادي"}},
          {"consent_method",
           {"consentmethod", "optinmethod", "روشرضایت", "samtyckesmetod", "طريقةالموافقة"}},
          {"consent_at",
           {"consentat", "consentdate", "optindate", "consenttime", "زمانرضایت", "تاریخرضایت",
            "samtyckesdatum", "تاريخالموافقة"}},
          {"consent_proof",
           {"consentproof", "optinproof", "proof", "مدرکرضایت", "samtyckesbevis", "إثباتالموافقة"}},
          {"created_at",
           {"createdat", "created", "signupdate", "signedup", "registered", "registrationdate",
            "joined", "membersince", "medlemsedan", "registreringsdatum", "registrerad",
            "تاریخعضویت", "تاریخثبتنام", "تاریخثبت", "تاريخالتسجيل", "تاريخالاشتراك"}},
      };
      specs.insert(specs.end(), more.begin(), more.end());
      return specs;
    }
    case EntityKind::kAccounts:
      return {
          {"account_id",
           {"id", "accountid", "companyid", "orgnr", "organisationsnummer", "företagsid", "شناسهشرکت",
            "معرفالشركة"}},
          {"name",
           {"companyname", "company", "accountname", "företag", "företagsnamn", "foretag", "namn", "نامشرکت",
            "شرکت", "اسمالشركة", "الشركة"}},
          {"domain", {"website", "web", "url", "webbplats", "hemsida", "وبسایت", "دامنه", "الموقع"}},
          {"industry_code",
           {"industry", "industrycode", "sni", "snikod", "naics", "sic", "nace", "isic", "bransch", "صنعت",
            "کدصنعت", "الصناعة", "رمزالصناعة"}},
          {"employees",
           {"employeecount", "numberofemployees", "staff", "headcount", "anställda", "antalanställda",
            "تعدادکارکنان", "کارکنان", "عددالموظفين"}},
          {"revenue", {"annualrevenue", "turnover", "omsättning", "omsattning", "گردشمالی", "الإيرادات"}},
          {"currency", {"valuta", "ارز", "العملة"}},
          {"tier", {"segment", "accounttier", "nivå", "سطح", "الفئة"}},
          {"contract_status", {"contract", "contractstatus", "avtalsstatus", "avtal", "وضعیتقرارداد", "حالةالعقد"}},
          {"city", {"town", "ort", "stad", "شهر", "المدينة"}},
          {"country", {"countrycode", "land", "کشور", "الدولة", "البلد"}},
      };
    case EntityKind::kProducts:
      return {
          {"sku",
           {"productid", "itemid", "articlenumber", "artikelnummer", "artnr", "productcode", "کدکالا",
            "کدمحصول", "رمزالمنتج"}},
          {"name", {"productname", "title", "produktnamn", "benämning", "نامکالا", "نام", "اسمالمنتج", "المنتج"}},
          {"category", {"categorypath", "kategori", "دستهبندی", "گروه", "الفئة", "التصنيف"}},
          {"brand", {"manufacturer", "märke", "varumärke", "tillverkare", "برند", "نشانتجاری", "العلامةالتجارية"}},
          {"price", {"unitprice", "listprice", "pris", "قیمت", "السعر"}},
          {"currency", {"valuta", "ارز", "العملة"}},
      };
    case EntityKind::kOrders:
      return {
          {"order_id",
           {"orderid", "ordernumber", "orderno", "ordernr", "ordernummer", "شمارهسفارش", "کدسفارش",
            "رقمالطلب"}},
          {"line_no", {"line", "lineno", "linenumber", "orderline", "radnr", "rad", "ردیف", "رقمالسطر"}},
          contact[0],
          contact[1],
          contact[2],
          contact[3],
          names[0],
          names[1],
          {"ordered_at",
           {"orderdate", "orderedat", "date", "timestamp", "createdat", "purchasedate", "orderdatum", "datum",
            "köpdatum", "تاریخ", "تاریخسفارش", "تاريخالطلب", "التاريخ"}},
          {"status", {"orderstatus", "وضعیت", "الحالة"}},
          {"channel", {"saleschannel", "kanal", "کانال", "القناة"}},
          {"sku",
           {"productid", "itemid", "articlenumber", "artikelnummer", "artnr", "productcode", "کدکالا", "رمزالمنتج"}},
          {"product_name", {"productname", "product", "item", "produkt", "produktnamn", "کالا", "المنتج"}},
          {"category", {"productcategory", "kategori", "دستهبندی", "الفئة"}},
          {"quantity", {"qty", "units", "antal", "تعداد", "الكمية"}},
          {"unit_price", {"price", "unitprice", "itemprice", "pris", "styckpris", "قیمت", "قیمتواحد", "السعر"}},
          {"discount", {"rabatt", "تخفیف", "الخصم"}},
          {"currency", {"valuta", "ارز", "العملة"}},
          // Where the order went (Shopify's "Shipping Street", WooCommerce's
          // shipping_address_1): a guest buyer's address.
          {"street",
           {"shippingstreet", "shippingaddress", "shippingaddress1", "shipstreet", "shipaddress",
            "deliveryaddress", "address", "address1", "leveransadress", "آدرسارسال", "نشانیتحویل",
            "عنوانالشحن", "عنوانالتوصيل"}},
          {"postal_code",
           {"shippingzip", "shippingpostcode", "shippingpostalcode", "shipzip", "zip", "postcode",
            "postalcode", "leveranspostnummer", "postnummer", "کدپستی", "الرمزالبريدي"}},
          {"city", {"shippingcity", "shipcity", "deliverycity", "leveransort", "ort", "شهر", "المدينة"}},
          {"country",
           {"shippingcountry", "shippingcountrycode", "shipcountry", "deliverycountry", "countrycode", "land",
            "کشور", "الدولة", "البلد"}},
      };
    case EntityKind::kEvents:
      return {
          {"event_id", {"messageid", "eventid", "id", "شناسهرویداد"}},
          contact[0],
          contact[1],
          contact[2],
          contact[3],
          // A form's event (a contest entry) may name the person.
          names[0],
          names[1],
          // The device: a browser's cookie id or an app install (Segment's
          // anonymousId, Google Analytics' client id).
          {"anonymous_id", {"anonymousid", "deviceid", "cookieid", "clientid", "visitorid", "شناسهدستگاه"}},
          // Segment's "event" (the event name) beats "type" (the call type) when both exist.
          {"type", {"event", "eventtype", "eventname", "händelse", "نوع", "رویداد", "الحدث", "النوع"}},
          {"occurred_at",
           {"timestamp", "occurredat", "time", "datetime", "date", "createdat", "tidpunkt", "datum", "زمان",
            "تاریخ", "الوقت", "التاريخ"}},
          {"properties", {"props", "data", "attributes", "ویژگیها", "الخصائص"}},
      };
  }
  return {};
}

struct KindTables {
  std::vector<std::string> fields;
  // folded header -> (field index, precedence: 0 canonical, 1+ synonym order)
  std::unordered_map<std::string, std::pair<int, int>> lookup;
};

std::string FoldHeader(std::string_view header);

const KindTables& TablesFor(EntityKind kind) {
  static const auto* tables = [] {
    auto* t = new std::vector<KindTables>(5);
    for (int k = 0; k < 5; ++k) {
      KindTables& kt = (*t)[k];
      std::vector<FieldSpec> specs = BuildSpecs(static_cast<EntityKind>(k));
      for (size_t i = 0; i < specs.size(); ++i) {
        kt.fields.push_back(specs[i].field);
        kt.lookup.emplace(FoldHeader(specs[i].field), std::make_pair(static_cast<int>(i), 0));
      }
      for (size_t i = 0; i < specs.size(); ++i) {
        int rank = 1;
        for (const char* syn : specs[i].synonyms) {
          kt.lookup.emplace(FoldHeader(syn), std::make_pair(static_cast<int>(i), rank++));
        }
      }
    }
    return t;
  }();
  return (*tables)[static_cast<int>(kind)];
}

// Header comparison ignores case, spaces, '-', '_', '.', ZWNJ and tatweel, and
// unifies Arabic/Persian letter variants (FoldForMatching).
std::string FoldHeader(std::string_view header) {
  std::string folded = FoldForMatching(header);
  std::string out;
  out.reserve(folded.size());
  for (char c : folded) {
    if (c == ' ' || c == '-' || c == '_' || c == '.' || c == '/' || c == ':' || c == '(' || c == ')') continue;
    out.push_back(c);
  }
  return out;
}

}  // namespace

std::string_view EntityKindName(EntityKind kind) {
  switch (kind) {
    case EntityKind::kCustomers: return "customers";
    case EntityKind::kAccounts: return "accounts";
    case EntityKind::kProducts: return "products";
    case EntityKind::kOrders: return "orders";
    case EntityKind::kEvents: return "events";
  }
  return "unknown";
}

Result<EntityKind> ParseEntityKind(std::string_view name) {
  for (int k = 0; k < 5; ++k) {
    if (EntityKindName(static_cast<EntityKind>(k)) == name) return static_cast<EntityKind>(k);
  }
  return InvalidArgument("unknown kind '" + std::string(name) +
                         "': use customers, accounts, products, orders or events");
}

const std::vector<std::string>& CanonicalFields(EntityKind kind) { return TablesFor(kind).fields; }

Result<ColumnMapping> MapColumns(EntityKind kind, const std::vector<std::string>& header,
                                 const std::map<std::string, std::string>& explicit_map) {
  const KindTables& tables = TablesFor(kind);
  ColumnMapping mapping;
  mapping.field_of_column.assign(header.size(), "");
  mapping.precedence.assign(header.size(), 0);
  // Validate explicit mappings first: a typo in --map is an error, not a silent no-op.
  for (const auto& [column, field] : explicit_map) {
    bool known_field = std::find(tables.fields.begin(), tables.fields.end(), field) != tables.fields.end() ||
                       field.rfind("attr.", 0) == 0 || field.empty() || field == "-";
    if (!known_field) {
      std::string all;
      for (const auto& f : tables.fields) all += (all.empty() ? "" : ", ") + f;
      return InvalidArgument("--map " + column + "=" + field + ": '" + field + "' is not a " +
                             std::string(EntityKindName(kind)) + " field (fields: " + all + ", attr.NAME)");
    }
    if (std::find(header.begin(), header.end(), column) == header.end()) {
      return InvalidArgument("--map " + column + "=" + field + ": the file has no column '" + column + "'");
    }
  }
  // field -> (column, precedence) of the best candidate so far
  std::map<std::string, std::pair<size_t, int>> best;
  for (size_t c = 0; c < header.size(); ++c) {
    const std::string& name = header[c];
    auto ex = explicit_map.find(name);
    if (ex != explicit_map.end()) {
      if (ex->second.empty() || ex->second == "-") {
        mapping.explanation.push_back(name + " -> (ignored, --map)");
        continue;
      }
      best[ex->second] = {c, -1};
      continue;
    }
    std::string_view trimmed = TrimAscii(name);
    if (trimmed.rfind("attr.", 0) == 0 && trimmed.size() > 5) {
      best[std::string(trimmed)] = {c, 0};
      continue;
    }
    std::string folded = FoldHeader(name);
    auto it = tables.lookup.find(folded);
    if (it == tables.lookup.end()) {
      mapping.unmapped_columns.push_back(name);
      continue;
    }
    const std::string& field = tables.fields[it->second.first];
    int precedence = it->second.second;
    // In Segment's format "type" is the call type (track, page...) and "event" the
    // event's name, so for events a "type" column loses to an "event" column.
    if (kind == EntityKind::kEvents && folded == "type") precedence = 100;
    auto prev = best.find(field);
    if (prev == best.end() || precedence < prev->second.second) {
      if (prev != best.end()) mapping.unmapped_columns.push_back(header[prev->second.first]);
      best[field] = {c, precedence};
    } else {
      mapping.unmapped_columns.push_back(name);
    }
  }
  for (const auto& [field, where] : best) {
    mapping.field_of_column[where.first] = field;
    mapping.precedence[where.first] = where.second;
  }
  for (size_t c = 0; c < header.size(); ++c) {
    const std::string& field = mapping.field_of_column[c];
    if (field.empty()) continue;
    int precedence = best[field].second;
    const char* how = precedence < 0 ? "--map" : precedence == 0 ? "canonical" : "synonym";
    if (precedence >= 100) how = "Segment call type";
    mapping.explanation.push_back(header[c] + " -> " + field + " (" + how + ")");
  }
  for (const auto& u : mapping.unmapped_columns) {
    mapping.explanation.push_back(u + " -> " +
                                  (kind == EntityKind::kEvents ? "(event property)" : "(not mapped, ignored)"));
  }
  return mapping;
}

}  // namespace patron::ingest
