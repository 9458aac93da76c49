// The product catalogue of Patron Demo Store: about 300 SKUs over seven
// categories. Fixed data (the same for every seed) so that demo screenshots,
// segment examples and documentation can name real SKUs.

#include <cstdlib>

#include "demo/generator_internal.h"

namespace patron::demo::internal {
namespace {

// A product family: `name` with "{}" replaced by each variant of `variants`
// ("label:price|label:price", prices in EUR); without "{}", `variants` is the
// price of the single product.
struct Family {
  Category category;
  std::string_view brand;
  std::string_view name;
  std::string_view variants;
};

constexpr Family kPhones[] = {
    {Category::kPhones, "Samsung", "Galaxy A15 {}", "128 GB Black:149|256 GB Light Blue:189"},
    {Category::kPhones, "Samsung", "Galaxy A25 5G {}", "128 GB Black:229|256 GB Yellow:269"},
    {Category::kPhones, "Samsung", "Galaxy A35 5G {}", "128 GB Navy:329|256 GB Lilac:379"},
    {Category::kPhones, "Samsung", "Galaxy A55 5G {}", "128 GB Navy:429|256 GB Ice Blue:479"},
    {Category::kPhones, "Samsung", "Galaxy S24 {}",
     "128 GB Onyx Black:799|256 GB Cobalt Violet:859"},
    {Category::kPhones, "Samsung", "Galaxy S24+ {}",
     "256 GB Onyx Black:999|512 GB Marble Grey:1119"},
    {Category::kPhones, "Samsung", "Galaxy S24 Ultra {}",
     "256 GB Titanium Grey:1299|512 GB Titanium Black:1419"},
    {Category::kPhones, "Samsung", "Galaxy Z Flip5 {}", "256 GB Mint:999|512 GB Graphite:1119"},
    {Category::kPhones, "Apple", "iPhone SE {}", "64 GB Midnight:499|128 GB Starlight:549"},
    {Category::kPhones, "Apple", "iPhone 13 {}", "128 GB Midnight:599|256 GB Blue:719"},
    {Category::kPhones, "Apple", "iPhone 14 {}", "128 GB Purple:699|256 GB Midnight:819"},
    {Category::kPhones, "Apple", "iPhone 15 {}", "128 GB Black:899|256 GB Pink:1029"},
    {Category::kPhones, "Apple", "iPhone 15 Plus {}", "128 GB Blue:999|256 GB Green:1129"},
    {Category::kPhones, "Apple", "iPhone 15 Pro {}",
     "128 GB Natural Titanium:1199|256 GB Blue Titanium:1329"},
    {Category::kPhones, "Apple", "iPhone 15 Pro Max {}",
     "256 GB Black Titanium:1449|512 GB White Titanium:1699"},
    {Category::kPhones, "Xiaomi", "Redmi 13C {}",
     "128 GB Midnight Black:119|256 GB Clover Green:149"},
    {Category::kPhones, "Xiaomi", "Redmi Note 13 {}",
     "128 GB Graphite Black:199|256 GB Ocean Sunset:239"},
    {Category::kPhones, "Xiaomi", "Redmi Note 13 Pro {}",
     "256 GB Midnight Black:299|512 GB Aurora Purple:349"},
    {Category::kPhones, "Xiaomi", "Poco X6 {}", "256 GB Black:279|512 GB White:319"},
    {Category::kPhones, "Xiaomi", "Xiaomi 14 {}", "256 GB Black:899|512 GB Jade Green:999"},
    {Category::kPhones, "Nokia", "105 {}", "Charcoal:19|Blue:19"},
    {Category::kPhones, "Nokia", "C32 {}", "64 GB Charcoal:119|128 GB Beach Pink:139"},
    {Category::kPhones, "Nokia", "G22 {}", "64 GB Meteor Grey:149|128 GB Lagoon Blue:169"},
    {Category::kPhones, "Nokia", "G42 5G {}", "128 GB So Purple:199|128 GB So Grey:199"},
    {Category::kPhones, "Nokia", "X30 5G {}", "128 GB Cloudy Blue:399|256 GB Ice White:449"},
};

constexpr Family kAccessories[] = {
    {Category::kPhoneAccessories, "Samsung", "25W USB-C Power Adapter", "24.90"},
    {Category::kPhoneAccessories, "Samsung", "45W USB-C Power Adapter", "44.90"},
    {Category::kPhoneAccessories, "Apple", "20W USB-C Power Adapter", "25.00"},
    {Category::kPhoneAccessories, "Xiaomi", "33W Charging Combo", "19.90"},
    {Category::kPhoneAccessories, "Anker", "Nano 30W Charger", "24.90"},
    {Category::kPhoneAccessories, "Apple", "USB-C to Lightning Cable {}", "1 m:25.00|2 m:39.00"},
    {Category::kPhoneAccessories, "Samsung", "USB-C Cable {}", "1 m:14.90|1.8 m:19.90"},
    {Category::kPhoneAccessories, "Anker", "PowerLine III USB-C Cable 1.8 m", "15.90"},
    {Category::kPhoneAccessories, "Samsung", "Galaxy Buds FE", "99.00"},
    {Category::kPhoneAccessories, "Samsung", "Galaxy Buds2 Pro", "199.00"},
    {Category::kPhoneAccessories, "Apple", "AirPods (2nd generation)", "149.00"},
    {Category::kPhoneAccessories, "Apple", "AirPods Pro (2nd generation)", "279.00"},
    {Category::kPhoneAccessories, "Xiaomi", "Redmi Buds 5", "39.90"},
    {Category::kPhoneAccessories, "Nokia", "Go Earbuds 2+", "39.90"},
    {Category::kPhoneAccessories, "Anker", "PowerCore 10000 Power Bank", "24.90"},
    {Category::kPhoneAccessories, "Xiaomi", "Power Bank 20000 mAh", "29.90"},
    {Category::kPhoneAccessories, "Baseus", "Magnetic Car Phone Mount", "19.90"},
    {Category::kPhoneAccessories, "Samsung", "Galaxy Watch6 {}", "40 mm:299|44 mm:329"},
    {Category::kPhoneAccessories, "Apple", "Watch SE {}", "40 mm:279|44 mm:309"},
    {Category::kPhoneAccessories, "Xiaomi", "Redmi Watch 4", "99.00"},
    {Category::kPhoneAccessories, "Samsung", "EVO Plus microSD {}", "128 GB:14.90|256 GB:24.90"},
};

constexpr Family kTablets[] = {
    {Category::kTablets, "Apple", "iPad 10.9 (10th generation) {}",
     "64 GB Wi-Fi:449|256 GB Wi-Fi:619|64 GB Wi-Fi + Cellular:619"},
    {Category::kTablets, "Apple", "iPad Air 11 {}", "128 GB Wi-Fi:699|256 GB Wi-Fi:829"},
    {Category::kTablets, "Apple", "iPad mini {}", "64 GB Wi-Fi:549|256 GB Wi-Fi:719"},
    {Category::kTablets, "Apple", "iPad Pro 11 256 GB Wi-Fi", "1199"},
    {Category::kTablets, "Samsung", "Galaxy Tab A9 {}", "64 GB Wi-Fi:169|64 GB LTE:209"},
    {Category::kTablets, "Samsung", "Galaxy Tab A9+ 128 GB Wi-Fi", "249"},
    {Category::kTablets, "Samsung", "Galaxy Tab S9 FE {}", "128 GB Wi-Fi:449|128 GB 5G:529"},
    {Category::kTablets, "Samsung", "Galaxy Tab S9 256 GB Wi-Fi", "899"},
    {Category::kTablets, "Xiaomi", "Pad 6 {}", "128 GB:349|256 GB:399"},
    {Category::kTablets, "Xiaomi", "Redmi Pad SE 128 GB", "179"},
    {Category::kTablets, "Lenovo", "Tab M10 (3rd Gen) 64 GB", "149"},
    {Category::kTablets, "Lenovo", "Tab P11 (2nd Gen) 128 GB", "299"},
    {Category::kTablets, "Nokia", "T21 64 GB", "199"},
    {Category::kTablets, "Apple", "Pencil (2nd generation)", "139.00"},
    {Category::kTablets, "Apple", "Smart Folio for iPad (10th generation)", "89.00"},
    {Category::kTablets, "Samsung", "Galaxy Tab S9 FE Book Cover", "69.00"},
    {Category::kTablets, "Xiaomi", "Pad 6 Keyboard", "99.00"},
};

constexpr Family kSchool[] = {
    {Category::kSchoolSupplies, "Faber-Castell", "Grip 2001 Pencils HB {}",
     "3-pack:3.90|12-pack:9.90"},
    {Category::kSchoolSupplies, "Faber-Castell", "Colour Pencils {}",
     "12-pack:5.90|24-pack:10.90|36-pack:17.90|48-pack:22.90"},
    {Category::kSchoolSupplies, "Faber-Castell", "Jumbo Grip Colour Pencils 10-pack", "9.50"},
    {Category::kSchoolSupplies, "Faber-Castell", "Connector Felt-tip Pens {}",
     "10-pack:4.90|20-pack:8.90"},
    {Category::kSchoolSupplies, "Faber-Castell", "Dust-free Eraser", "1.20"},
    {Category::kSchoolSupplies, "Faber-Castell", "Double Pencil Sharpener", "2.50"},
    {Category::kSchoolSupplies, "Staedtler", "Noris HB Pencils 12-pack", "5.50"},
    {Category::kSchoolSupplies, "Staedtler", "Noris Colour Pencils {}",
     "12-pack:5.50|24-pack:9.90"},
    {Category::kSchoolSupplies, "Staedtler", "Mars Plastic Eraser", "1.30"},
    {Category::kSchoolSupplies, "Staedtler", "Triplus Fineliner 10-pack", "11.90"},
    {Category::kSchoolSupplies, "Staedtler", "Compass Set", "12.90"},
    {Category::kSchoolSupplies, "Staedtler", "Ruler {}", "15 cm:0.90|30 cm:1.90"},
    {Category::kSchoolSupplies, "Pars Mehr", "Notebook {}",
     "40 sheets:0.60|60 sheets:0.80|80 sheets:1.00|100 sheets:1.20|200 sheets:2.20"},
    {Category::kSchoolSupplies, "Pars Mehr", "Squared Notebook {}",
     "60 sheets:0.90|100 sheets:1.30"},
    {Category::kSchoolSupplies, "Pars Mehr", "Spiral Notebook 100 sheets", "1.90"},
    {Category::kSchoolSupplies, "Pars Mehr", "Drawing Book A4", "1.50"},
    {Category::kSchoolSupplies, "Panter", "Pencils HB 12-pack", "1.80"},
    {Category::kSchoolSupplies, "Panter", "Colour Pencils {}", "12-pack:2.50|24-pack:4.50"},
    {Category::kSchoolSupplies, "Panter", "Glue Stick", "0.70"},
    {Category::kSchoolSupplies, "Panter", "Eraser", "0.40"},
    {Category::kSchoolSupplies, "Panter", "Pencil Case {}", "Blue:3.90|Pink:3.90"},
    {Category::kSchoolSupplies, "Pelikan", "Pelikano Fountain Pen", "14.90"},
    {Category::kSchoolSupplies, "Pelikan", "Ink Cartridges 6-pack", "2.90"},
    {Category::kSchoolSupplies, "Pelikan", "Watercolour Set 12 Colours", "8.90"},
    {Category::kSchoolSupplies, "Stabilo", "Boss Highlighters {}", "4-pack:5.90|6-pack:8.50"},
    {Category::kSchoolSupplies, "Stabilo", "Point 88 Fineliner 10-pack", "10.90"},
    {Category::kSchoolSupplies, "BIC", "Cristal Ballpoint Pens 10-pack", "3.50"},
    {Category::kSchoolSupplies, "BIC", "4-Colour Ballpoint Pen", "2.90"},
    {Category::kSchoolSupplies, "Maped", "Geometry Set 4 pieces", "4.90"},
    {Category::kSchoolSupplies, "Maped", "Scissors 13 cm", "2.90"},
    {Category::kSchoolSupplies, "Maped", "Pencil Case {}", "Black:6.90|Turquoise:6.90"},
    {Category::kSchoolSupplies, "Pritt", "Glue Stick 22 g", "2.90"},
    {Category::kSchoolSupplies, "Herlitz", "School Backpack {}", "Navy:39.90|Red:39.90|Grey:39.90"},
    {Category::kSchoolSupplies, "Herlitz", "Pencil Case Filled", "12.90"},
    {Category::kSchoolSupplies, "Casio", "fx-82MS Scientific Calculator", "14.90"},
    {Category::kSchoolSupplies, "Casio", "fx-991EX ClassWiz Calculator", "24.90"},
    {Category::kSchoolSupplies, "Oxford", "Exercise Book A4 {}", "Lined:2.50|Squared:2.50"},
    {Category::kSchoolSupplies, "Sistema", "Lunch Box {}", "Blue:7.90|Green:7.90"},
    {Category::kSchoolSupplies, "Sistema", "Water Bottle 480 ml", "9.90"},
};

constexpr Family kOffice[] = {
    {Category::kOffice, "Navigator", "Universal A4 Paper 80 g {}",
     "500 sheets:6.90|5 x 500 sheets:32.90"},
    {Category::kOffice, "Double A", "Premium A4 Paper 80 g 500 sheets", "6.50"},
    {Category::kOffice, "Rapid", "S27 Stapler", "12.90"},
    {Category::kOffice, "Rapid", "Staples 24/6 5000", "3.90"},
    {Category::kOffice, "Esselte", "Lever Arch File A4 {}", "Black:3.50|Blue:3.50|Red:3.50"},
    {Category::kOffice, "Esselte", "Document Wallets 10-pack", "4.90"},
    {Category::kOffice, "Leitz", "WOW Ring Binder A4 {}", "Pink:5.90|Green:5.90"},
    {Category::kOffice, "Leitz", "Hole Punch 5008", "18.90"},
    {Category::kOffice, "Post-it", "Notes 76 x 76 mm {}", "12 pads:11.90|24 pads:21.90"},
    {Category::kOffice, "Parker", "Jotter Ballpoint Pen {}",
     "Stainless Steel:14.90|Royal Blue:14.90"},
    {Category::kOffice, "Parker", "IM Rollerball Pen", "39.90"},
    {Category::kOffice, "Pilot", "G2 Gel Pens 12-pack {}", "Black:17.90|Blue:17.90"},
    {Category::kOffice, "Casio", "MS-20UC Desk Calculator", "12.90"},
    {Category::kOffice, "Casio", "DR-320RE Printing Calculator", "89.00"},
    {Category::kOffice, "Rexel", "Momentum X406 Shredder", "89.00"},
    {Category::kOffice, "Fellowes", "Saturn 3i A4 Laminator", "59.00"},
    {Category::kOffice, "Fellowes", "Laminating Pouches A4 100-pack", "14.90"},
    {Category::kOffice, "Fellowes", "Desk Organiser", "19.90"},
    {Category::kOffice, "Brother", "P-touch 1000 Label Printer", "29.90"},
    {Category::kOffice, "Brother", "TZe Label Tape 12 mm", "14.90"},
    {Category::kOffice, "Edding", "360 Whiteboard Markers 4-pack", "7.90"},
    {Category::kOffice, "Legamaster", "Magnetic Whiteboard {}",
     "60 x 90 cm:49.00|90 x 120 cm:89.00"},
    {Category::kOffice, "Logitech", "M185 Wireless Mouse", "17.90"},
    {Category::kOffice, "Logitech", "K120 Keyboard", "14.90"},
    {Category::kOffice, "Logitech", "MK270 Wireless Combo", "29.90"},
    {Category::kOffice, "Kingston", "DataTraveler USB Drive {}", "64 GB:8.90|128 GB:13.90"},
    {Category::kOffice, "Samsonite", "Laptop Backpack 15.6\"", "79.00"},
    {Category::kOffice, "Q-Connect", "Envelopes C4 {}", "50-pack:9.90|250-pack:34.90"},
    {Category::kOffice, "Avery", "Address Labels 21 per sheet 100 sheets", "24.90"},
    {Category::kOffice, "Durable", "Name Badges 20-pack", "12.90"},
};

constexpr Family kKitchen[] = {
    {Category::kKitchen, "Philips", "Electric Kettle 1.7 l", "39.90"},
    {Category::kKitchen, "Bosch", "Toaster TAT3A", "34.90"},
    {Category::kKitchen, "Tefal", "Ingenio Frying Pan {}", "24 cm:29.90|28 cm:34.90"},
    {Category::kKitchen, "Fiskars", "Chef's Knife 21 cm", "39.90"},
    {Category::kKitchen, "Fiskars", "Knife Set 3 pieces", "59.90"},
    {Category::kKitchen, "Moccamaster", "KBG Select Coffee Brewer", "249.00"},
    {Category::kKitchen, "Bialetti", "Moka Express {}", "3 cups:29.90|6 cups:39.90"},
    {Category::kKitchen, "Pars Khazar", "Rice Cooker 1.8 l", "49.90"},
    {Category::kKitchen, "Pars Khazar", "Electric Tea Maker", "59.90"},
    {Category::kKitchen, "Pasabahce", "Tea Glasses 6-pack", "12.90"},
    {Category::kKitchen, "Sistema", "Food Containers 3-pack", "14.90"},
    {Category::kKitchen, "Rörstrand", "Swedish Grace Plate 27 cm {}", "Snow:19.90|Ice:19.90"},
    {Category::kKitchen, "Salter", "Digital Kitchen Scale", "19.90"},
    {Category::kKitchen, "Brabantia", "Bread Bin", "49.90"},
    {Category::kKitchen, "Joseph Joseph", "Chopping Board Set", "39.90"},
    {Category::kKitchen, "Thermos", "Stainless Vacuum Flask 1 l", "29.90"},
    {Category::kKitchen, "Patron Home", "Saffron Rice Pot 4 l", "34.90"},
    {Category::kKitchen, "Patron Home", "Dallah Arabic Coffee Pot", "27.90"},
};

constexpr Family kDecor[] = {
    {Category::kDecor, "Patron Home", "Haft-Sin Table Set", "34.90"},
    {Category::kDecor, "Patron Home", "Hyacinth in Ceramic Pot", "7.90"},
    {Category::kDecor, "Patron Home", "Ramadan Lantern {}", "Brass:24.90|Silver:24.90"},
    {Category::kDecor, "Patron Home", "Crescent LED String Lights", "14.90"},
    {Category::kDecor, "Patron Home", "Advent Candle Holder", "24.90"},
    {Category::kDecor, "Patron Home", "Paper Advent Star {}", "White:29.90|Red:29.90"},
    {Category::kDecor, "Patron Home", "LED String Lights 10 m", "12.90"},
    {Category::kDecor, "Patron Home", "Scented Candle Set 3-pack", "19.90"},
    {Category::kDecor, "Patron Home", "Linen Cushion Cover 50 x 50 {}",
     "Sand:14.90|Sage:14.90|Terracotta:14.90"},
    {Category::kDecor, "Patron Home", "Photo Frame {}", "13 x 18:9.90|20 x 30:14.90"},
    {Category::kDecor, "Kosta Boda", "Glass Vase", "59.00"},
    {Category::kDecor, "Patron Home", "Ceramic Vase", "24.90"},
    {Category::kDecor, "Patron Home", "Wall Clock 30 cm", "29.90"},
    {Category::kDecor, "Patron Home", "Kilim Rug 80 x 150", "89.00"},
    {Category::kDecor, "Patron Home", "Persian Miniature Print", "39.90"},
    {Category::kDecor, "Patron Home", "Mosaic Table Lamp", "49.90"},
    {Category::kDecor, "Patron Home", "Throw Blanket", "34.90"},
};

constexpr std::string_view kCategoryPaths[kCategoryCount] = {
    "electronics/phones",  "electronics/phone-accessories",
    "electronics/tablets", "stationery/school-supplies",
    "stationery/office",   "home/kitchen",
    "home/decor"};
constexpr std::string_view kSkuPrefix[kCategoryCount] = {"PHN", "ACC", "TAB", "SCH",
                                                         "OFF", "KIT", "DEC"};

int64_t PriceCents(std::string_view text) {
  // Catalogue prices are written by hand above and always well-formed.
  std::string copy(text);
  return static_cast<int64_t>(std::strtod(copy.c_str(), nullptr) * 100.0 + 0.5);
}

}  // namespace

std::string_view CategoryPath(Category category) {
  return kCategoryPaths[static_cast<int>(category)];
}

bool IsStationery(Category category) {
  return category == Category::kSchoolSupplies || category == Category::kOffice;
}

const Catalog& Catalog::Get() {
  static const Catalog* catalog = new Catalog();
  return *catalog;
}

Catalog::Catalog() {
  int next_number[kCategoryCount] = {};
  // Products of one phone model (all its variants), to attach cases to.
  std::vector<std::vector<int>> phone_models;

  auto add = [&](const Family& family, std::string_view label, int64_t cents) {
    Product p;
    const int c = static_cast<int>(family.category);
    p.sku = std::string(kSkuPrefix[c]) + "-";
    AppendPadded(p.sku, ++next_number[c], 4);
    p.brand = std::string(family.brand);
    p.name = p.brand + " ";
    const size_t hole = family.name.find("{}");
    if (hole == std::string_view::npos) {
      p.name += family.name;
    } else {
      p.name += family.name.substr(0, hole);
      p.name += label;
      p.name += family.name.substr(hole + 2);
    }
    p.category = family.category;
    p.price_eur_cents = cents;
    products_.push_back(std::move(p));
    return static_cast<int>(products_.size() - 1);
  };
  auto add_family = [&](const Family& family) {
    std::vector<int> added;
    if (family.name.find("{}") == std::string_view::npos) {
      added.push_back(add(family, "", PriceCents(family.variants)));
      return added;
    }
    std::string_view rest = family.variants;
    while (!rest.empty()) {
      const size_t bar = rest.find('|');
      const std::string_view variant = rest.substr(0, bar);
      const size_t colon = variant.rfind(':');
      added.push_back(add(family, variant.substr(0, colon), PriceCents(variant.substr(colon + 1))));
      rest = bar == std::string_view::npos ? std::string_view() : rest.substr(bar + 1);
    }
    return added;
  };

  for (const Family& f : kPhones) phone_models.push_back(add_family(f));
  for (const Family& f : kAccessories) add_family(f);
  // A case and a screen protector for every phone model, fitting all its variants.
  for (size_t m = 0; m < phone_models.size(); ++m) {
    const Family& phone = kPhones[m];
    const bool own_brand_case = phone.brand == "Apple" || phone.brand == "Samsung";
    // "iPhone 15", "Galaxy A15"; other brands' model names need the brand.
    std::string model = own_brand_case ? "" : std::string(phone.brand) + " ";
    model += phone.name.substr(0, phone.name.find("{}"));
    while (!model.empty() && model.back() == ' ') model.pop_back();
    const std::string case_name = model + " Silicone Case";
    const std::string glass_name = model + " Tempered Glass Screen Protector";
    const int64_t phone_cents = products_[phone_models[m][0]].price_eur_cents;
    const Family case_family{Category::kPhoneAccessories, own_brand_case ? phone.brand : "Spigen",
                             case_name, ""};
    const Family glass_family{Category::kPhoneAccessories, "Spigen", glass_name, ""};
    const int case_index = add(case_family, "", phone_cents > 600'00 ? 49'00 : 19'90);
    const int glass_index = add(glass_family, "", phone_cents > 600'00 ? 24'90 : 12'90);
    for (int variant : phone_models[m]) {
      products_[case_index].fits_product = variant;
      products_[glass_index].fits_product = variant;
    }
  }
  for (const Family& f : kTablets) add_family(f);
  for (const Family& f : kSchool) add_family(f);
  for (const Family& f : kOffice) add_family(f);
  for (const Family& f : kKitchen) add_family(f);
  for (const Family& f : kDecor) add_family(f);

  accessories_for_.resize(products_.size());
  for (size_t m = 0; m < phone_models.size(); ++m) {
    for (size_t i = 0; i < products_.size(); ++i) {
      const int fits = products_[i].fits_product;
      if (fits < 0) continue;
      for (int variant : phone_models[m]) {
        if (variant != fits) continue;
        for (int v : phone_models[m]) accessories_for_[v].push_back(static_cast<int>(i));
      }
    }
  }
  for (size_t i = 0; i < products_.size(); ++i) {
    by_category_[static_cast<int>(products_[i].category)].push_back(static_cast<int>(i));
  }
}

}  // namespace patron::demo::internal
