// Cities known by more than one name: an exonym ("Gothenburg" for
// "Göteborg"), a name in another script ("القاهرة" for "Cairo") or an older
// romanisation ("Teheran"). Transliteration cannot find these: "Cairo" is not
// a spelling of "al-Qāhira". The list covers the larger cities of the markets
// Patron's first users serve (Iran, the Gulf and the Levant, Egypt, the
// Nordics) and European cities best known by an English name.

#include <string>
#include <string_view>
#include <unordered_map>

#include "identity/identity.h"
#include "identity/linkage_internal.h"

namespace patron::identity::internal {
namespace {

// Each row: the names of one city, in any script and order.
constexpr std::string_view kCityNames[][8] = {
    // Iran (Persian, English, older or Arabic-style romanisations)
    {"تهران", "Tehran", "Teheran"},
    {"مشهد", "Mashhad", "Mashad", "Meshed"},
    {"اصفهان", "Isfahan", "Esfahan", "Ispahan"},
    {"شیراز", "Shiraz"},
    {"تبریز", "Tabriz"},
    {"کرج", "Karaj"},
    {"قم", "Qom", "Ghom"},
    {"اهواز", "Ahvaz", "Ahwaz"},
    {"کرمانشاه", "Kermanshah"},
    {"رشت", "Rasht"},
    {"کرمان", "Kerman"},
    {"ارومیه", "Urmia", "Orumiyeh"},
    {"زاهدان", "Zahedan"},
    {"همدان", "Hamedan", "Hamadan"},
    {"یزد", "Yazd"},
    {"اردبیل", "Ardabil"},
    {"بندرعباس", "بندر عباس", "Bandar Abbas"},
    {"قزوین", "Qazvin", "Ghazvin"},
    {"اراک", "Arak"},
    {"ساری", "Sari"},
    // Gulf
    {"دبي", "دبی", "Dubai", "Dubayy"},
    {"أبوظبي", "ابوظبی", "أبو ظبي", "Abu Dhabi", "Abudhabi", "Abu Zabi"},
    {"الشارقة", "شارجه", "Sharjah", "Al Sharjah"},
    {"العين", "Al Ain", "Al-Ain"},
    {"عجمان", "Ajman"},
    {"رأس الخيمة", "Ras Al Khaimah", "Ras al-Khaimah"},
    {"الرياض", "ریاض", "Riyadh", "Riyad", "Ar Riyadh"},
    {"جدة", "جده", "Jeddah", "Jiddah", "Jedda"},
    {"مكة", "مكة المكرمة", "مکه", "Mecca", "Makkah", "Makka"},
    {"المدينة المنورة", "المدينة", "مدینه", "Medina", "Madinah", "Al Madinah"},
    {"الدمام", "دمام", "Dammam", "Ad Dammam"},
    {"الخبر", "Khobar", "Al Khobar", "Al-Khobar"},
    {"الطائف", "Taif", "At Taif"},
    {"الدوحة", "دوحه", "Doha", "Ad Dawhah"},
    {"الكويت", "مدينة الكويت", "کویت", "Kuwait City", "Kuwait"},
    {"المنامة", "منامه", "Manama", "Al Manamah"},
    {"مسقط", "Muscat", "Masqat"},
    // Levant and Iraq
    {"عمان", "عمّان", "Amman"},
    {"إربد", "اربد", "Irbid"},
    {"الزرقاء", "Zarqa", "Az Zarqa"},
    {"بغداد", "Baghdad"},
    {"البصرة", "بصره", "Basra", "Basrah"},
    {"الموصل", "موصل", "Mosul"},
    {"أربيل", "اربیل", "Erbil", "Arbil", "Hewler"},
    {"دمشق", "Damascus", "Dimashq"},
    {"حلب", "Aleppo", "Halab"},
    {"بيروت", "بیروت", "Beirut", "Bayrut"},
    // Egypt and North Africa
    {"القاهرة", "قاهره", "Cairo", "Al Qahirah", "El Qahira"},
    {"الإسكندرية", "اسکندریه", "Alexandria", "Al Iskandariyah", "El Iskandariya"},
    {"الجيزة", "جیزه", "Giza", "Al Jizah", "El Giza"},
    {"الأقصر", "Luxor", "Al Uqsur"},
    {"أسوان", "Aswan"},
    {"طنطا", "Tanta"},
    {"الدار البيضاء", "Casablanca", "Dar el Beida"},
    {"تونس", "Tunis"},
    {"الجزائر", "Algiers", "Alger"},
    {"طرابلس", "Tripoli", "Tarabulus"},
    // Sweden and the Nordics
    {"Göteborg", "Gothenburg", "Goteborg", "گوتنبرگ", "یوتبوری"},
    {"Stockholm", "استکهلم", "ستوكهولم"},
    {"Malmö", "Malmo", "مالمو"},
    {"Uppsala", "Upsala", "اوپسالا"},
    {"Västerås", "Vasteras"},
    {"Helsingborg", "Hälsingborg"},
    {"København", "Copenhagen", "Kobenhavn", "کپنهاگ", "كوبنهاغن"},
    {"Helsinki", "Helsingfors", "هلسینکی"},
    {"Oslo", "اسلو", "أوسلو"},
    // Europe
    {"München", "Munich", "Muenchen", "مونیخ", "ميونخ"},
    {"Köln", "Cologne", "Koeln", "کلن"},
    {"Wien", "Vienna", "وین", "فيينا"},
    {"Roma", "Rome", "رم", "روما"},
    {"Milano", "Milan", "میلان", "ميلانو"},
    {"Napoli", "Naples"},
    {"Firenze", "Florence"},
    {"Praha", "Prague", "پراگ"},
    {"Warszawa", "Warsaw", "ورشو"},
    {"Lisboa", "Lisbon", "لیسبون", "لشبونة"},
    {"Bruxelles", "Brussel", "Brussels", "بروکسل", "بروكسل"},
    {"Den Haag", "'s-Gravenhage", "The Hague", "لاهه", "لاهاي"},
    {"Zürich", "Zurich", "Zuerich", "زوریخ"},
    {"Genève", "Geneva", "Genf", "ژنو", "جنيف"},
    {"Athína", "Athens", "Athina", "آتن", "أثينا"},
    {"Moskva", "Moscow", "Москва", "مسکو", "موسكو"},
    {"İstanbul", "Istanbul", "استانبول", "إسطنبول"},
    {"Ankara", "آنکارا", "أنقرة"},
    {"Berlin", "برلین", "برلين"},
    {"Hamburg", "هامبورگ", "هامبورغ"},
    {"Frankfurt am Main", "Frankfurt", "فرانکفورت", "فرانكفورت"},
    {"Paris", "پاریس", "باريس"},
    {"London", "لندن"},
    {"Manchester", "منچستر", "مانشستر"},
    {"New York", "New York City", "NYC", "نیویورک", "نيويورك"},
    {"Los Angeles", "لس آنجلس", "لوس أنجلوس"},
    {"Toronto", "تورنتو"},
};

}  // namespace

int CityId(std::string_view normalized_city) {
  static const auto* const ids = [] {
    auto* map = new std::unordered_map<std::string, int>;
    for (size_t row = 0; row < std::size(kCityNames); ++row) {
      for (std::string_view name : kCityNames[row]) {
        if (!name.empty()) map->emplace(NormalizeName(name), static_cast<int>(row));
      }
    }
    return map;
  }();
  auto it = ids->find(std::string(normalized_city));
  return it == ids->end() ? -1 : it->second;
}

}  // namespace patron::identity::internal
