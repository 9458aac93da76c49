// The long tail of family names. The tables in data.cc hold each culture's
// commonest surnames, but in a real population those cover only part of the
// people (Sweden's forty commonest about a quarter, England's about a tenth);
// everyone else carries one of thousands of rarer names. A demo without that
// tail has namesakes everywhere, which no real customer base has. The tail is
// formed the way each culture forms surnames: Persian roots with -i, -ian,
// -zadeh, -pour, -nejad ...; Arabic nisbas (al-Baghdadi), trades and fathers'
// names; Swedish nature compounds (Lindqvist) and patronymics; English place
// compounds (Ashford). The morphemes are ordinary words and names; the lists
// were written for Patron.
//
// Persian text uses Persian Yeh (U+06CC) and Keheh (U+06A9), Arabic text
// Arabic Yeh (U+064A) and Kaf (U+0643), as data.cc does.

#include <array>
#include <deque>
#include <string>
#include <unordered_set>
#include <vector>

#include "demo/generator_internal.h"

namespace patron::demo::internal {
namespace {

using Sv = std::string_view;

struct Morpheme {
  Sv native;
  Sv latin;
};

constexpr Morpheme kPersianRoots[] = {
    {"کریم", "Karim"},     {"رحیم", "Rahim"},       {"جعفر", "Jafar"},     {"کاظم", "Kazem"},
    {"هاشم", "Hashem"},    {"قاسم", "Ghasem"},      {"صادق", "Sadegh"},    {"عباس", "Abbas"},
    {"مراد", "Morad"},     {"ابراهیم", "Ebrahim"},  {"سلیمان", "Soleiman"}, {"اکبر", "Akbar"},
    {"یوسف", "Yousef"},    {"امیر", "Amir"},        {"طاهر", "Taher"},     {"شریف", "Sharif"},
    {"حیدر", "Heidar"},    {"نجف", "Najaf"},        {"بهرام", "Bahram"},   {"قربان", "Ghorban"},
    {"رحمان", "Rahman"},   {"ملک", "Malek"},        {"نظر", "Nazar"},      {"فرهاد", "Farhad"},
    {"جلال", "Jalal"},     {"صالح", "Saleh"},       {"کیان", "Kian"},      {"اصغر", "Asghar"},
    {"باقر", "Bagher"},    {"نصیر", "Nasir"},       {"منصور", "Mansour"},  {"حسن", "Hasan"},
    {"حسین", "Hossein"},   {"محمد", "Mohammad"},    {"احمد", "Ahmad"},     {"رستم", "Rostam"},
    {"بهمن", "Bahman"},    {"داوود", "Davoud"},     {"یزدان", "Yazdan"},   {"اسد", "Asad"},
    {"گل", "Gol"},         {"زند", "Zand"},         {"شمس", "Shams"},      {"نور", "Nour"},
    {"مهر", "Mehr"},       {"آذر", "Azar"},         {"کامران", "Kamran"},  {"سیف", "Seif"},
    {"عزیز", "Aziz"},      {"مجید", "Majid"},       {"سعید", "Saeed"},     {"وحید", "Vahid"},
    {"فرید", "Farid"},     {"جمشید", "Jamshid"},    {"فریدون", "Fereydoun"}, {"کمال", "Kamal"},
    {"جمال", "Jamal"},     {"نادر", "Nader"},       {"قادر", "Ghader"},    {"ناصر", "Naser"},
    {"اسماعیل", "Esmaeil"}, {"یعقوب", "Yaghoub"},   {"رضا", "Reza"},       {"علی", "Ali"},
    {"مهدی", "Mahdi"},     {"تقی", "Taghi"},        {"نقی", "Naghi"},      {"مصطفی", "Mostafa"},
    {"مرتضی", "Morteza"},  {"موسی", "Mousa"},       {"خسرو", "Khosrow"},   {"شاه", "Shah"},
};

// Suffixes that follow a root ending in a consonant only (Karimi, Bahramian)
// and those joined by a zero-width non-joiner after any root (Alizadeh).
constexpr Morpheme kPersianSuffixesAfterConsonant[] = {{"ی", "i"}, {"یان", "ian"}};
constexpr Morpheme kPersianSuffixes[] = {
    {"\u200cزاده", "zadeh"}, {"\u200cپور", "pour"},   {"\u200cنژاد", "nejad"},
    {"\u200cفر", "far"},     {"\u200cنیا", "nia"},    {"\u200cلو", "lou"},
    {"\u200cخانی", "khani"}, {"\u200cآبادی", "abadi"}, {"\u200cدوست", "doust"},
};

// Arabic nisbas (of a place or tribe), written with the article; Latin forms
// "Al-Baghdadi", "Al Baghdadi", "Albaghdadi".
constexpr Morpheme kArabNisbas[] = {
    {"البغدادي", "Baghdadi"},   {"الحلبي", "Halabi"},       {"الدمشقي", "Dimashqi"},
    {"المقدسي", "Maqdisi"},     {"التونسي", "Tounsi"},      {"الجزائري", "Jazairi"},
    {"اليمني", "Yamani"},       {"الحجازي", "Hijazi"},      {"النجدي", "Najdi"},
    {"البصري", "Basri"},        {"الموصلي", "Mosuli"},      {"الحمصي", "Homsi"},
    {"النابلسي", "Nabulsi"},    {"الخليلي", "Khalili"},     {"الغزاوي", "Ghazzawi"},
    {"الطرابلسي", "Trabulsi"},  {"السويدي", "Suwaidi"},     {"المطيري", "Mutairi"},
    {"الغامدي", "Ghamdi"},      {"العنزي", "Anazi"},        {"الرشيدي", "Rashidi"},
    {"السبيعي", "Subaie"},      {"الشهري", "Shehri"},       {"العسيري", "Asiri"},
    {"البلوشي", "Balushi"},     {"الظاهري", "Dhaheri"},     {"الكتبي", "Ketbi"},
    {"الفلاسي", "Falasi"},      {"الشامسي", "Shamsi"},      {"المزروعي", "Mazrouei"},
    {"النقبي", "Naqbi"},        {"الحمادي", "Hammadi"},     {"السليطي", "Sulaiti"},
    {"المهندي", "Mohannadi"},   {"الخليفي", "Khulaifi"},    {"الأنصاري", "Ansari"},
    {"الجابري", "Jaberi"},      {"السعدي", "Saadi"},        {"التميمي", "Tamimi"},
    {"الكبيسي", "Kubaisi"},     {"الدليمي", "Dulaimi"},     {"العبيدي", "Obaidi"},
    {"الجبوري", "Jubouri"},     {"الزعبي", "Zoubi"},        {"المجالي", "Majali"},
    {"الطراونة", "Tarawneh"},   {"العدوان", "Adwan"},       {"الشريدة", "Sharaideh"},
    {"البدوي", "Badawi"},       {"الصعيدي", "Saeedi"},      {"الفيومي", "Fayoumi"},
    {"المنوفي", "Menoufi"},     {"الشرقاوي", "Sharqawi"},   {"الدسوقي", "Desouki"},
    {"الجمل", "Gamal"},         {"العربي", "Arabi"},        {"الخزرجي", "Khazraji"},
    {"الهاجري", "Hajri"},       {"المالكي", "Malki"},       {"الشهراني", "Shahrani"},
};
// Trades, written without the article.
constexpr Morpheme kArabTrades[] = {
    {"خياط", "Khayyat"},   {"صباغ", "Sabbagh"},  {"عطار", "Attar"},    {"دباغ", "Dabbagh"},
    {"حلاق", "Hallaq"},    {"صايغ", "Sayegh"},   {"فاخوري", "Fakhoury"}, {"طباخ", "Tabbakh"},
    {"بيطار", "Bitar"},    {"نحاس", "Nahhas"},   {"زيات", "Zayyat"},   {"قباني", "Qabbani"},
};

// Swedish compounds: a nature word and a second element (Lind + qvist).
constexpr Sv kSwedishFirst[] = {
    "Berg", "Lind", "Sand", "Holm",  "Ek",     "Ström", "Sjö",   "Björk", "Dahl",   "Lund",
    "Nord", "Söder", "Väster", "Öster", "Åker", "Fors", "Gran", "Hag",  "Hed",    "Ljung",
    "Malm", "Ros",  "Sten", "Wall",  "Alm",    "Ask",   "Bäck",  "Blom",  "Borg",   "Eng",
    "Fager", "Hall", "Hammar", "Kull", "Lil",  "Mo",    "Ny",    "Rud",   "Sund",   "Tall",
    "Ved",  "Wik",  "Ås",   "Rosen", "Lager",  "Lilje", "Silfver", "Gyllen", "Hell", "Strand",
};
constexpr Sv kSwedishSecond[] = {
    "berg", "ström", "lund", "qvist", "gren", "man",  "dahl", "holm",   "blad", "stedt",
    "vall", "sten",  "ling", "by",    "bäck", "gård", "näs",  "mark",   "fors", "wall",
};

// English compounds: a first element and a place word (Ash + ford).
constexpr Sv kEnglishFirst[] = {
    "Ash",   "Brad",  "Stan", "Hart",  "Whit", "Black", "Brook", "Wood", "Fair",  "Hay",
    "Ken",   "Lang",  "Mar",  "Pen",   "Rad",  "Win",   "Ather", "Bar",  "Brom",  "Chad",
    "Clif",  "Cran",  "Dal",  "Dun",   "Elm",  "Fen",   "Gil",   "Glad", "Gran",  "Ham",
    "Hol",   "Kings", "Lock", "Mid",   "Mor",  "Nor",   "Oak",   "Pem",  "Red",   "Rock",
    "Ship",  "Sut",   "Thorn", "Wal",  "Wes",  "Wey",   "Al",    "Ed",   "Hunt",  "Sel",
};
constexpr Sv kEnglishSecond[] = {
    "ford", "ley",   "ton",  "field", "wood", "more", "wick", "worth", "ham",  "by",
    "well", "stone", "ridge", "combe", "den", "hurst", "ington", "shaw", "cott", "land",
};

// Whether a root ends in a vowel sound ("Reza", "Ali") or in -w/-h ("Khosrow",
// "Shah"): then -i and -ian do not follow it.
bool EndsInVowel(Sv latin) {
  const char c = latin.empty() ? 'x' : latin.back();
  return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' || c == 'w' || c == 'h';
}

std::string LowerFirst(Sv text) {
  std::string out(text);
  if (!out.empty() && out[0] >= 'A' && out[0] <= 'Z') out[0] = static_cast<char>(out[0] - 'A' + 'a');
  return out;
}

// Owns the text the entries view; a deque never moves what it holds.
class Tail {
 public:
  explicit Tail(Culture culture) {
    for (const NameEntry& head : NamesOf(culture).family) taken_.insert(std::string(head.native));
  }
  void Add(std::string native, std::vector<std::string> latin) {
    if (!taken_.insert(native).second) return;  // already a common name, or formed twice
    text_.push_back(std::move(native));
    NameEntry entry{};
    entry.native = text_.back();
    for (size_t i = 0; i < latin.size() && i < 4; ++i) {
      text_.push_back(std::move(latin[i]));
      entry.latin[i] = text_.back();
    }
    entries_.push_back(entry);
  }
  std::span<const NameEntry> entries() const { return entries_; }

 private:
  std::deque<std::string> text_;
  std::vector<NameEntry> entries_;
  std::unordered_set<std::string> taken_;
};

Tail BuildTail(Culture culture) {
  Tail tail(culture);
  switch (culture) {
    case Culture::kIranian:
      for (const Morpheme& root : kPersianRoots) {
        if (!EndsInVowel(root.latin)) {
          for (const Morpheme& suffix : kPersianSuffixesAfterConsonant) {
            tail.Add(std::string(root.native) + std::string(suffix.native),
                     {std::string(root.latin) + std::string(suffix.latin)});
          }
        }
        for (const Morpheme& suffix : kPersianSuffixes) {
          tail.Add(std::string(root.native) + std::string(suffix.native),
                   {std::string(root.latin) + std::string(suffix.latin)});
        }
      }
      break;
    case Culture::kArab:
      for (const Morpheme& nisba : kArabNisbas) {
        const std::string stem(nisba.latin);
        tail.Add(std::string(nisba.native), {"Al-" + stem, "Al " + stem, "Al" + LowerFirst(stem)});
      }
      for (const Morpheme& trade : kArabTrades) tail.Add(std::string(trade.native), {std::string(trade.latin)});
      // A father's or grandfather's name as the family name (Ahmed Mahmoud).
      for (const NameEntry& father : NamesOf(culture).male) {
        std::vector<std::string> latin;
        for (int i = 0; i < father.LatinCount(); ++i) latin.emplace_back(father.latin[i]);
        tail.Add(std::string(father.native), std::move(latin));
      }
      break;
    case Culture::kSwedish:
      for (Sv first : kSwedishFirst) {
        for (Sv second : kSwedishSecond) {
          if (LowerFirst(first) == second) continue;  // no "Bergberg"
          const std::string name = std::string(first) + std::string(second);
          tail.Add(name, {FoldLatinToAscii(name)});
        }
      }
      // Patronymics: Nils -> Nilsson, Erik -> Eriksson.
      for (const NameEntry& father : NamesOf(culture).male) {
        const Sv given = father.native;
        const std::string name = std::string(given) + (given.ends_with("s") ? "son" : "sson");
        tail.Add(name, {FoldLatinToAscii(name)});
      }
      break;
    case Culture::kEnglish:
      for (Sv first : kEnglishFirst) {
        for (Sv second : kEnglishSecond) {
          const std::string name = std::string(first) + std::string(second);
          tail.Add(name, {name});
        }
      }
      break;
  }
  return tail;
}

}  // namespace

std::span<const NameEntry> FamilyNameTail(Culture culture) {
  static const std::array<Tail, kCultureCount>* tails = new std::array<Tail, kCultureCount>{
      BuildTail(Culture::kIranian), BuildTail(Culture::kArab), BuildTail(Culture::kSwedish),
      BuildTail(Culture::kEnglish)};
  return (*tails)[static_cast<int>(culture)].entries();
}

}  // namespace patron::demo::internal
