// Reference data of the demo generator: names, countries, cities, streets,
// email providers and job titles. Common first names and surnames are facts;
// the lists and transliterations were written for Patron.
//
// Persian names use the Persian letters Yeh (ی, U+06CC) and Keheh (ک, U+06A9);
// Arabic names use Arabic Yeh (ي, U+064A), Kaf (ك, U+0643) and Teh Marbuta.
// The generator's dirty variants depend on that distinction.

#include <array>

#include "demo/generator_internal.h"

namespace patron::demo::internal {
namespace {

using Sv = std::string_view;

// --- Iranian ----------------------------------------------------------------

constexpr NameEntry kIranianMale[] = {
    {"محمد", {"Mohammad", "Mohammed", "Muhammad", "Mohamad"}, ""},
    {"علی", {"Ali"}, ""},
    {"حسین", {"Hossein", "Hosein", "Hussein"}, ""},
    {"رضا", {"Reza"}, ""},
    {"مهدی", {"Mehdi", "Mahdi"}, ""},
    {"امیر", {"Amir"}, ""},
    {"حمید", {"Hamid"}, ""},
    {"سعید", {"Saeed", "Saeid", "Said"}, ""},
    {"مجید", {"Majid"}, ""},
    {"مسعود", {"Masoud", "Masood"}, ""},
    {"محمدرضا", {"Mohammadreza", "Mohammad Reza", "Mohamadreza"}, "محمد\u200cرضا"},
    {"امیرحسین", {"Amirhossein", "Amir Hossein", "Amirhosein"}, "امیر\u200cحسین"},
    {"علیرضا", {"Alireza", "Ali Reza"}, "علی\u200cرضا"},
    {"ابوالفضل", {"Abolfazl", "Abolfazel"}, ""},
    {"حسن", {"Hassan", "Hasan"}, ""},
    {"جواد", {"Javad"}, ""},
    {"مصطفی", {"Mostafa", "Mustafa"}, ""},
    {"سجاد", {"Sajjad", "Sajad"}, ""},
    {"پویا", {"Pouya", "Pooya"}, ""},
    {"آرش", {"Arash"}, ""},
    {"بهروز", {"Behrouz", "Behrooz"}, ""},
    {"کامران", {"Kamran"}, ""},
    {"فرهاد", {"Farhad"}, ""},
    {"داریوش", {"Dariush", "Daryoush"}, ""},
    {"بابک", {"Babak"}, ""},
    {"کوروش", {"Kourosh", "Kurosh"}, ""},
    {"سینا", {"Sina"}, ""},
    {"میلاد", {"Milad"}, ""},
    {"امید", {"Omid"}, ""},
    {"نیما", {"Nima"}, ""},
    {"یاسر", {"Yaser", "Yasser"}, ""},
    {"محسن", {"Mohsen"}, ""},
    {"کاظم", {"Kazem"}, ""},
    {"مرتضی", {"Morteza"}, ""},
};

constexpr NameEntry kIranianFemale[] = {
    {"فاطمه", {"Fatemeh", "Fatima", "Fateme"}, ""},
    {"زهرا", {"Zahra"}, ""},
    {"مریم", {"Maryam"}, ""},
    {"زینب", {"Zeinab", "Zaynab"}, ""},
    {"سارا", {"Sara", "Sarah"}, ""},
    {"نرگس", {"Narges"}, ""},
    {"مهسا", {"Mahsa"}, ""},
    {"الهام", {"Elham"}, ""},
    {"لیلا", {"Leila", "Leyla", "Layla"}, ""},
    {"سمیرا", {"Samira"}, ""},
    {"نازنین", {"Nazanin"}, ""},
    {"پریسا", {"Parisa"}, ""},
    {"شیما", {"Shima"}, ""},
    {"مینا", {"Mina"}, ""},
    {"آزاده", {"Azadeh", "Azade"}, ""},
    {"نگار", {"Negar"}, ""},
    {"ستاره", {"Setareh", "Setare"}, ""},
    {"یاسمن", {"Yasaman", "Yasamin"}, ""},
    {"هانیه", {"Haniyeh", "Hanieh"}, ""},
    {"معصومه", {"Masoumeh", "Masoomeh"}, ""},
    {"طاهره", {"Tahereh"}, ""},
    {"رویا", {"Roya"}, ""},
    {"شیرین", {"Shirin"}, ""},
    {"ترانه", {"Taraneh"}, ""},
    {"بهاره", {"Bahareh"}, ""},
    {"فرشته", {"Fereshteh"}, ""},
    {"نیلوفر", {"Niloufar", "Niloofar", "Nilufar"}, ""},
    {"فاطمه\u200cزهرا", {"Fatemeh Zahra", "Fatemehzahra"}, ""},
    {"مائده", {"Maedeh", "Maede"}, ""},
};

constexpr NameEntry kIranianFamily[] = {
    {"محمدی", {"Mohammadi", "Mohamadi"}, ""},
    {"رضایی", {"Rezaei", "Rezaee", "Rezaie"}, ""},
    {"احمدی", {"Ahmadi"}, ""},
    {"حسینی", {"Hosseini", "Hoseini", "Husseini"}, ""},
    {"کریمی", {"Karimi"}, ""},
    {"موسوی", {"Mousavi", "Musavi", "Moosavi"}, ""},
    {"جعفری", {"Jafari", "Jaafari"}, ""},
    {"رحیمی", {"Rahimi"}, ""},
    {"هاشمی", {"Hashemi"}, ""},
    {"قاسمی", {"Ghasemi", "Qasemi"}, ""},
    {"صادقی", {"Sadeghi"}, ""},
    {"نوری", {"Nouri", "Noori"}, ""},
    {"کاظمی", {"Kazemi"}, ""},
    {"عباسی", {"Abbasi"}, ""},
    {"مرادی", {"Moradi"}, ""},
    {"ابراهیمی", {"Ebrahimi", "Ibrahimi"}, ""},
    {"سلیمانی", {"Soleimani", "Solaimani"}, ""},
    {"اکبری", {"Akbari"}, ""},
    {"یوسفی", {"Yousefi", "Yusefi"}, ""},
    {"امیری", {"Amiri"}, ""},
    {"طاهری", {"Taheri"}, ""},
    {"زارعی", {"Zarei", "Zareie"}, ""},
    {"شریفی", {"Sharifi"}, ""},
    {"حیدری", {"Heidari", "Heydari"}, ""},
    {"نجفی", {"Najafi"}, ""},
    {"بهرامی", {"Bahrami"}, ""},
    {"قربانی", {"Ghorbani", "Qorbani"}, ""},
    {"کرمانی", {"Kermani"}, ""},
    {"تهرانی", {"Tehrani"}, ""},
    {"شیرازی", {"Shirazi"}, ""},
    {"رحمانی", {"Rahmani"}, ""},
    {"ملکی", {"Maleki"}, ""},
    {"نظری", {"Nazari"}, ""},
    {"میرزایی", {"Mirzaei", "Mirzaee"}, ""},
    {"حسین\u200cزاده", {"Hosseinzadeh", "Hoseinzadeh"}, ""},
    {"علی\u200cزاده", {"Alizadeh"}, ""},
    {"ملک\u200cزاده", {"Malekzadeh"}, ""},
    {"فرهادی", {"Farhadi"}, ""},
    {"جلالی", {"Jalali"}, ""},
    {"صالحی", {"Salehi"}, ""},
    {"کیانی", {"Kiani", "Kiyani"}, ""},
};

// --- Arab -------------------------------------------------------------------

constexpr NameEntry kArabMale[] = {
    {"محمد", {"Mohammed", "Muhammad", "Mohamed", "Mohammad"}, ""},
    {"أحمد", {"Ahmed", "Ahmad"}, ""},
    {"علي", {"Ali"}, ""},
    {"عمر", {"Omar", "Umar"}, ""},
    {"خالد", {"Khaled", "Khalid"}, ""},
    {"يوسف", {"Youssef", "Yousef", "Yusuf"}, ""},
    {"عبدالله", {"Abdullah", "Abdulla", "Abdallah"}, "عبد الله"},
    {"إبراهيم", {"Ibrahim", "Ebrahim"}, ""},
    {"حسن", {"Hassan", "Hasan"}, ""},
    {"حسين", {"Hussein", "Hussain", "Hossein"}, ""},
    {"سعيد", {"Saeed", "Said"}, ""},
    {"فهد", {"Fahad", "Fahd"}, ""},
    {"سلطان", {"Sultan"}, ""},
    {"ماجد", {"Majed", "Majid"}, ""},
    {"طارق", {"Tariq", "Tarek"}, ""},
    {"كريم", {"Karim", "Kareem"}, ""},
    {"زياد", {"Ziad", "Ziyad"}, ""},
    {"هشام", {"Hisham", "Hesham"}, ""},
    {"وليد", {"Waleed", "Walid"}, ""},
    {"ناصر", {"Nasser", "Naser"}, ""},
    {"عبدالرحمن", {"Abdulrahman", "Abdelrahman", "Abdul Rahman"}, "عبد الرحمن"},
    {"مصطفى", {"Mostafa", "Mustafa"}, ""},
};

constexpr NameEntry kArabFemale[] = {
    {"فاطمة", {"Fatima", "Fatma", "Fatimah"}, ""},
    {"عائشة", {"Aisha", "Aysha", "Aishah"}, ""},
    {"مريم", {"Maryam", "Mariam"}, ""},
    {"نور", {"Noor", "Nour"}, ""},
    {"سارة", {"Sara", "Sarah"}, ""},
    {"ليلى", {"Layla", "Leila", "Laila"}, ""},
    {"هند", {"Hind"}, ""},
    {"ريم", {"Reem", "Rim"}, ""},
    {"دينا", {"Dina"}, ""},
    {"رنا", {"Rana"}, ""},
    {"سلمى", {"Salma"}, ""},
    {"ياسمين", {"Yasmin", "Yasmeen"}, ""},
    {"هدى", {"Huda", "Hoda"}, ""},
    {"منى", {"Mona", "Muna"}, ""},
    {"لينا", {"Lina"}, ""},
    {"أمل", {"Amal"}, ""},
    {"خديجة", {"Khadija", "Khadijah"}, ""},
    {"شيماء", {"Shaimaa", "Shaima"}, ""},
};

constexpr NameEntry kArabFamily[] = {
    {"الراشد", {"Al-Rashid", "Al Rashid", "Alrashid"}, ""},
    {"المنصوري", {"Al-Mansouri", "Al Mansoori", "Almansouri"}, ""},
    {"الهاشمي", {"Al-Hashimi", "Al Hashemi"}, ""},
    {"القحطاني", {"Al-Qahtani", "Al Qahtani", "Alqahtani"}, ""},
    {"العتيبي", {"Al-Otaibi", "Al Otaibi"}, ""},
    {"الشمري", {"Al-Shammari", "Al Shammari"}, ""},
    {"الحربي", {"Al-Harbi", "Alharbi"}, ""},
    {"الزهراني", {"Al-Zahrani", "Al Zahrani"}, ""},
    {"الدوسري", {"Al-Dosari", "Al Dossary"}, ""},
    {"الكعبي", {"Al-Kaabi", "Al Kaabi"}, ""},
    {"المهيري", {"Al-Mheiri", "Al Muhairi"}, ""},
    {"الكواري", {"Al-Kuwari", "Al Kuwari"}, ""},
    {"النعيمي", {"Al-Nuaimi", "Al Nuaimi"}, ""},
    {"المري", {"Al-Marri", "Al Marri"}, ""},
    {"حسن", {"Hassan", "Hasan"}, ""},
    {"إبراهيم", {"Ibrahim"}, ""},
    {"عبدالله", {"Abdullah", "Abdalla"}, "عبد الله"},
    {"مصطفى", {"Mostafa", "Moustafa"}, ""},
    {"سليمان", {"Suleiman", "Sulaiman"}, ""},
    {"المصري", {"El-Masry", "Al-Masri", "Elmasry"}, ""},
    {"الخطيب", {"Al-Khatib", "El Khatib"}, ""},
    {"حداد", {"Haddad"}, ""},
    {"النجار", {"Al-Najjar", "El Naggar"}, ""},
    {"العمري", {"Al-Omari", "Al Omari"}, ""},
    {"الحسيني", {"Al-Husseini", "Al Husseini"}, ""},
    {"عيسى", {"Issa", "Eissa"}, ""},
    {"الشريف", {"El-Sherif", "Al-Sharif"}, ""},
    {"عبدالعزيز", {"Abdulaziz", "Abdelaziz"}, "عبد العزيز"},
    {"منصور", {"Mansour", "Mansoor"}, ""},
    {"السيد", {"El-Sayed", "Elsayed"}, ""},
};

// --- Swedish ----------------------------------------------------------------

constexpr NameEntry kSwedishMale[] = {
    {"Lars", {"Lars"}, ""},       {"Anders", {"Anders"}, ""}, {"Johan", {"Johan"}, ""},
    {"Erik", {"Erik"}, ""},       {"Per", {"Per"}, ""},       {"Karl", {"Karl"}, ""},
    {"Nils", {"Nils"}, ""},       {"Mikael", {"Mikael"}, ""}, {"Göran", {"Goran"}, ""},
    {"Jörgen", {"Jorgen"}, ""},   {"Håkan", {"Hakan"}, ""},   {"Mats", {"Mats"}, ""},
    {"Oskar", {"Oskar"}, ""},     {"Björn", {"Bjorn"}, ""},   {"Magnus", {"Magnus"}, ""},
    {"Fredrik", {"Fredrik"}, ""}, {"Henrik", {"Henrik"}, ""}, {"Gustav", {"Gustav"}, ""},
    {"Axel", {"Axel"}, ""},       {"Olof", {"Olof"}, ""},     {"Stefan", {"Stefan"}, ""},
    {"Ulf", {"Ulf"}, ""},         {"Åke", {"Ake"}, ""},       {"Sören", {"Soren"}, ""},
};

constexpr NameEntry kSwedishFemale[] = {
    {"Anna", {"Anna"}, ""},
    {"Eva", {"Eva"}, ""},
    {"Maria", {"Maria"}, ""},
    {"Karin", {"Karin"}, ""},
    {"Sara", {"Sara"}, ""},
    {"Emma", {"Emma"}, ""},
    {"Elsa", {"Elsa"}, ""},
    {"Maja", {"Maja"}, ""},
    {"Linnéa", {"Linnea"}, ""},
    {"Märta", {"Marta"}, ""},
    {"Åsa", {"Asa"}, ""},
    {"Ingrid", {"Ingrid"}, ""},
    {"Kristina", {"Kristina"}, ""},
    {"Birgitta", {"Birgitta"}, ""},
    {"Margareta", {"Margareta"}, ""},
    {"Elin", {"Elin"}, ""},
    {"Ida", {"Ida"}, ""},
    {"Frida", {"Frida"}, ""},
    {"Ebba", {"Ebba"}, ""},
    {"Astrid", {"Astrid"}, ""},
    {"Sofia", {"Sofia"}, ""},
    {"Helena", {"Helena"}, ""},
    {"Lena", {"Lena"}, ""},
    {"Malin", {"Malin"}, ""},
    {"Jenny", {"Jenny"}, ""},
    {"Therese", {"Therese"}, ""},
};

constexpr NameEntry kSwedishFamily[] = {
    {"Andersson", {"Andersson"}, ""},   {"Johansson", {"Johansson"}, ""},
    {"Karlsson", {"Karlsson"}, ""},     {"Nilsson", {"Nilsson"}, ""},
    {"Eriksson", {"Eriksson"}, ""},     {"Larsson", {"Larsson"}, ""},
    {"Olsson", {"Olsson"}, ""},         {"Persson", {"Persson"}, ""},
    {"Svensson", {"Svensson"}, ""},     {"Gustafsson", {"Gustafsson"}, ""},
    {"Pettersson", {"Pettersson"}, ""}, {"Jonsson", {"Jonsson"}, ""},
    {"Lindström", {"Lindstrom"}, ""},   {"Åberg", {"Aberg"}, ""},
    {"Öberg", {"Oberg"}, ""},           {"Bäckström", {"Backstrom"}, ""},
    {"Sjögren", {"Sjogren"}, ""},       {"Ström", {"Strom"}, ""},
    {"Lindqvist", {"Lindqvist"}, ""},   {"Hägglund", {"Hagglund"}, ""},
    {"Söderberg", {"Soderberg"}, ""},   {"Ekström", {"Ekstrom"}, ""},
    {"Nyström", {"Nystrom"}, ""},       {"Björk", {"Bjork"}, ""},
    {"Åkesson", {"Akesson"}, ""},       {"Löfgren", {"Lofgren"}, ""},
    {"Berglund", {"Berglund"}, ""},     {"Sandberg", {"Sandberg"}, ""},
    {"Lindberg", {"Lindberg"}, ""},     {"Holmgren", {"Holmgren"}, ""},
    {"Engström", {"Engstrom"}, ""},     {"Forsberg", {"Forsberg"}, ""},
    {"Blomqvist", {"Blomqvist"}, ""},   {"Wallin", {"Wallin"}, ""},
    {"Ågren", {"Agren"}, ""},           {"Östlund", {"Ostlund"}, ""},
};

// --- English ----------------------------------------------------------------

constexpr NameEntry kEnglishMale[] = {
    {"James", {"James"}, ""},
    {"John", {"John"}, ""},
    {"Robert", {"Robert"}, ""},
    {"Michael", {"Michael"}, ""},
    {"William", {"William"}, ""},
    {"David", {"David"}, ""},
    {"Richard", {"Richard"}, ""},
    {"Joseph", {"Joseph"}, ""},
    {"Thomas", {"Thomas"}, ""},
    {"Daniel", {"Daniel"}, ""},
    {"Matthew", {"Matthew", "Mathew"}, ""},
    {"Oliver", {"Oliver"}, ""},
    {"Harry", {"Harry"}, ""},
    {"George", {"George"}, ""},
    {"Jack", {"Jack"}, ""},
    {"Noah", {"Noah"}, ""},
    {"Samuel", {"Samuel"}, ""},
    {"Benjamin", {"Benjamin"}, ""},
    {"Christopher", {"Christopher"}, ""},
    {"Andrew", {"Andrew"}, ""},
    {"Mark", {"Mark"}, ""},
    {"Steven", {"Steven", "Stephen"}, ""},
};

constexpr NameEntry kEnglishFemale[] = {
    {"Mary", {"Mary"}, ""},
    {"Patricia", {"Patricia"}, ""},
    {"Jennifer", {"Jennifer"}, ""},
    {"Linda", {"Linda"}, ""},
    {"Elizabeth", {"Elizabeth"}, ""},
    {"Susan", {"Susan"}, ""},
    {"Jessica", {"Jessica"}, ""},
    {"Sarah", {"Sarah", "Sara"}, ""},
    {"Karen", {"Karen"}, ""},
    {"Emily", {"Emily"}, ""},
    {"Olivia", {"Olivia"}, ""},
    {"Amelia", {"Amelia"}, ""},
    {"Sophie", {"Sophie"}, ""},
    {"Chloe", {"Chloe"}, ""},
    {"Hannah", {"Hannah"}, ""},
    {"Grace", {"Grace"}, ""},
    {"Charlotte", {"Charlotte"}, ""},
    {"Lucy", {"Lucy"}, ""},
    {"Rachel", {"Rachel"}, ""},
    {"Laura", {"Laura"}, ""},
    {"Katherine", {"Katherine", "Catherine", "Kathryn"}, ""},
    {"Rebecca", {"Rebecca"}, ""},
};

constexpr NameEntry kEnglishFamily[] = {
    {"Smith", {"Smith"}, ""},
    {"Jones", {"Jones"}, ""},
    {"Williams", {"Williams"}, ""},
    {"Taylor", {"Taylor"}, ""},
    {"Brown", {"Brown"}, ""},
    {"Davies", {"Davies"}, ""},
    {"Evans", {"Evans"}, ""},
    {"Wilson", {"Wilson"}, ""},
    {"Thomas", {"Thomas"}, ""},
    {"Johnson", {"Johnson"}, ""},
    {"Roberts", {"Roberts"}, ""},
    {"Walker", {"Walker"}, ""},
    {"Wright", {"Wright"}, ""},
    {"Robinson", {"Robinson"}, ""},
    {"Thompson", {"Thompson"}, ""},
    {"White", {"White"}, ""},
    {"Hughes", {"Hughes"}, ""},
    {"Edwards", {"Edwards"}, ""},
    {"Green", {"Green"}, ""},
    {"Hall", {"Hall"}, ""},
    {"Clarke", {"Clarke", "Clark"}, ""},
    {"Jackson", {"Jackson"}, ""},
    {"Miller", {"Miller"}, ""},
    {"Davis", {"Davis"}, ""},
    {"Garcia", {"Garcia"}, ""},
    {"Rodriguez", {"Rodriguez"}, ""},
    {"Lee", {"Lee"}, ""},
    {"Patel", {"Patel"}, ""},
    {"Khan", {"Khan"}, ""},
    {"O'Brien", {"O'Brien", "OBrien"}, ""},
    {"Murphy", {"Murphy"}, ""},
    {"Kelly", {"Kelly"}, ""},
    {"Cohen", {"Cohen"}, ""},
    {"Nguyen", {"Nguyen"}, ""},
    {"MacDonald", {"MacDonald", "McDonald"}, ""},
};

constexpr NameTable kNameTables[kCultureCount] = {
    {kIranianMale, kIranianFemale, kIranianFamily},
    {kArabMale, kArabFemale, kArabFamily},
    {kSwedishMale, kSwedishFemale, kSwedishFamily},
    {kEnglishMale, kEnglishFemale, kEnglishFamily},
};

// --- Countries ----------------------------------------------------------------

constexpr Sv kIrMobile[] = {"910", "911", "912", "913", "914", "915", "916", "917",
                            "918", "919", "930", "933", "935", "936", "937", "938",
                            "939", "901", "902", "903", "921", "922"};
constexpr Sv kAeMobile[] = {"50", "52", "54", "55", "56", "58"};
constexpr Sv kSaMobile[] = {"50", "53", "54", "55", "56", "59"};
constexpr Sv kQaMobile[] = {"33", "50", "55", "66", "70", "77"};
constexpr Sv kEgMobile[] = {"10", "11", "12", "15"};
constexpr Sv kJoMobile[] = {"79"};
constexpr Sv kSeMobile[] = {"70", "72", "73", "76", "79"};
constexpr Sv kGbMobile[] = {"71", "72", "73"};
constexpr Sv kUsMobile[] = {"212", "646", "917", "718", "347", "929", "332"};
constexpr Sv kDeMobile[] = {"170", "171", "172", "173", "175", "176", "177", "178", "179"};

const CountryInfo kCountries[kCountryCount] = {
    {"IR",
     "Iran",
     "ایران",
     "98",
     Culture::kIranian,
     "fa",
     "Asia/Tehran",
     "IRR",
     0,
     600000.0,
     {kIrMobile, 7, 0, 10'000'000}},
    {"AE",
     "United Arab Emirates",
     "الإمارات",
     "971",
     Culture::kArab,
     "ar",
     "Asia/Dubai",
     "AED",
     2,
     3.97,
     {kAeMobile, 7, 0, 10'000'000}},
    {"SA",
     "Saudi Arabia",
     "السعودية",
     "966",
     Culture::kArab,
     "ar",
     "Asia/Riyadh",
     "SAR",
     2,
     4.05,
     {kSaMobile, 7, 0, 10'000'000}},
    {"QA",
     "Qatar",
     "قطر",
     "974",
     Culture::kArab,
     "ar",
     "Asia/Qatar",
     "QAR",
     2,
     3.93,
     {kQaMobile, 6, 0, 1'000'000}},
    {"EG",
     "Egypt",
     "مصر",
     "20",
     Culture::kArab,
     "ar",
     "Africa/Cairo",
     "EGP",
     2,
     52.0,
     {kEgMobile, 8, 0, 100'000'000}},
    {"JO",
     "Jordan",
     "الأردن",
     "962",
     Culture::kArab,
     "ar",
     "Asia/Amman",
     "JOD",
     3,
     0.77,
     {kJoMobile, 7, 0, 10'000'000}},
    {"SE",
     "Sweden",
     "Sverige",
     "46",
     Culture::kSwedish,
     "sv",
     "Europe/Stockholm",
     "SEK",
     2,
     11.5,
     {kSeMobile, 7, 0, 10'000'000}},
    {"GB",
     "United Kingdom",
     "United Kingdom",
     "44",
     Culture::kEnglish,
     "en",
     "Europe/London",
     "GBP",
     2,
     0.85,
     {kGbMobile, 8, 0, 100'000'000}},
    {"US",
     "United States",
     "United States",
     "1",
     Culture::kEnglish,
     "en",
     "America/New_York",
     "USD",
     2,
     1.08,
     {kUsMobile, 7, 2'000'000, 8'000'000}},
    {"DE",
     "Germany",
     "Deutschland",
     "49",
     Culture::kEnglish,
     "en",
     "Europe/Berlin",
     "EUR",
     2,
     1.0,
     {kDeMobile, 7, 0, 10'000'000}},
};

// Cities with a zero weight only host B2B accounts.
constexpr CityInfo kCities[] = {
    {"Tehran", "تهران", "Tehran", CountryCode::kIR, 45, "21", 8, "2345678", "1"},
    {"Mashhad", "مشهد", "Razavi Khorasan", CountryCode::kIR, 12, "51", 8, "2345678", "9"},
    {"Isfahan", "اصفهان", "Isfahan", CountryCode::kIR, 12, "31", 8, "2345678", "8"},
    {"Shiraz", "شیراز", "Fars", CountryCode::kIR, 10, "71", 8, "2345678", "7"},
    {"Tabriz", "تبریز", "East Azerbaijan", CountryCode::kIR, 10, "41", 8, "2345678", "5"},
    {"Karaj", "کرج", "Alborz", CountryCode::kIR, 11, "26", 8, "2345678", "3"},
    {"Dubai", "دبي", "Dubai", CountryCode::kAE, 18, "4", 7, "2345678", ""},
    {"Abu Dhabi", "أبوظبي", "Abu Dhabi", CountryCode::kAE, 10, "2", 7, "2345678", ""},
    {"Riyadh", "الرياض", "Riyadh Province", CountryCode::kSA, 16, "11", 7, "2345678", "1"},
    {"Jeddah", "جدة", "Makkah Province", CountryCode::kSA, 9, "12", 7, "245678", "2"},
    {"Doha", "الدوحة", "Doha", CountryCode::kQA, 10, "44", 6, "2345678", ""},
    {"Cairo", "القاهرة", "Cairo Governorate", CountryCode::kEG, 15, "2", 8, "234", "11"},
    {"Alexandria", "الإسكندرية", "Alexandria Governorate", CountryCode::kEG, 5, "3", 7, "2345678",
     "21"},
    {"Amman", "عمان", "Amman Governorate", CountryCode::kJO, 15, "655", 5, "23456", "11"},
    {"Stockholm", "Stockholm", "Stockholms län", CountryCode::kSE, 45, "8", 7, "2345678", "11"},
    {"Gothenburg", "Göteborg", "Västra Götalands län", CountryCode::kSE, 25, "31", 7, "2345678",
     "41"},
    {"Malmo", "Malmö", "Skåne län", CountryCode::kSE, 18, "40", 6, "2345678", "21"},
    {"Uppsala", "Uppsala", "Uppsala län", CountryCode::kSE, 12, "18", 6, "2345678", "75"},
    {"London", "London", "England", CountryCode::kGB, 45, "20", 8, "378", ""},
    {"Manchester", "Manchester", "England", CountryCode::kGB, 20, "161", 7, "2345678", "M"},
    {"New York", "New York", "NY", CountryCode::kUS, 35, "212", 7, "2345678", "100"},
    {"Berlin", "Berlin", "Berlin", CountryCode::kDE, 0, "30", 8, "2345678", "10"},
    {"Munich", "München", "Bayern", CountryCode::kDE, 0, "89", 8, "2345678", "80"},
    {"Hamburg", "Hamburg", "Hamburg", CountryCode::kDE, 0, "40", 8, "2345678", "20"},
};

// --- Streets ------------------------------------------------------------------

constexpr Sv kIrStreetsNative[] = {"ولیعصر",   "انقلاب",  "آزادی", "شریعتی", "فردوسی",
                                   "امام رضا", "چهارباغ", "زند",   "ارم",    "باغمیشه",
                                   "مطهری",    "بهشتی",   "سعدی",  "حافظ"};
constexpr Sv kIrStreetsLatin[] = {"Valiasr",   "Enghelab",   "Azadi", "Shariati", "Ferdowsi",
                                  "Imam Reza", "Chaharbagh", "Zand",  "Eram",     "Baghmisheh",
                                  "Motahari",  "Beheshti",   "Saadi", "Hafez"};
constexpr Sv kArabStreetsNative[] = {"شارع الملك فهد",     "شارع الشيخ زايد", "شارع التحلية",
                                     "شارع الجامعة",       "شارع الكورنيش",   "شارع الرشيد",
                                     "شارع الملك عبدالله", "شارع الخليج"};
constexpr Sv kArabStreetsLatin[] = {"King Fahd Road",     "Sheikh Zayed Road", "Tahlia Street",
                                    "University Street",  "Corniche Road",     "Al Rashid Street",
                                    "King Abdullah Road", "Al Khaleej Street"};
constexpr Sv kSeStreets[] = {"Storgatan",     "Drottninggatan", "Kungsgatan", "Vasagatan",
                             "Sveavägen",     "Södra vägen",    "Linnégatan", "Östra Hamngatan",
                             "Järnvägsgatan", "Skolgatan",      "Björkvägen", "Kyrkogatan",
                             "Ringvägen",     "Tegnérgatan"};
constexpr Sv kGbStreets[] = {"High Street",  "Church Road", "Station Road", "Victoria Road",
                             "Park Lane",    "Oxford Road", "Deansgate",    "Mill Lane",
                             "Queen's Road", "Green Lane",  "King Street"};
constexpr Sv kUsStreets[] = {"Broadway",         "5th Avenue",      "Lexington Avenue",
                             "Bedford Avenue",   "Atlantic Avenue", "West 72nd Street",
                             "Amsterdam Avenue", "Park Avenue",     "Court Street"};
constexpr Sv kDeStreets[] = {"Hauptstraße",   "Friedrichstraße", "Müllerstraße",
                             "Bahnhofstraße", "Schillerstraße",  "Lindenallee"};

const StreetNames kIrStreetNames{kIrStreetsNative, kIrStreetsLatin};
const StreetNames kArabStreetNames{kArabStreetsNative, kArabStreetsLatin};
const StreetNames kSeStreetNames{kSeStreets, kSeStreets};
const StreetNames kGbStreetNames{kGbStreets, kGbStreets};
const StreetNames kUsStreetNames{kUsStreets, kUsStreets};
const StreetNames kDeStreetNames{kDeStreets, kDeStreets};

// --- Email providers ----------------------------------------------------------

constexpr Sv kIrDomains[] = {"gmail.com", "yahoo.com", "chmail.ir", "outlook.com", "hotmail.com"};
constexpr double kIrDomainWeights[] = {55, 18, 12, 10, 5};
constexpr Sv kArabDomains[] = {"gmail.com", "hotmail.com", "outlook.com", "yahoo.com",
                               "icloud.com"};
constexpr double kArabDomainWeights[] = {45, 20, 15, 10, 10};
constexpr Sv kSeDomains[] = {"gmail.com", "hotmail.com", "outlook.com", "telia.com",
                             "yahoo.se",  "icloud.com",  "live.se",     "bredband.net"};
constexpr double kSeDomainWeights[] = {38, 15, 10, 10, 8, 9, 6, 4};
constexpr Sv kEnDomains[] = {"gmail.com",  "outlook.com", "hotmail.co.uk", "yahoo.com",
                             "icloud.com", "aol.com",     "btinternet.com"};
constexpr double kEnDomainWeights[] = {40, 15, 10, 10, 15, 5, 5};

// --- Job titles ---------------------------------------------------------------

constexpr Sv kFaTitles[] = {"مدیر خرید",           "مدیرعامل",   "مدیر مالی", "کارشناس تدارکات",
                            "مدیر فناوری اطلاعات", "مدیر اداری", "مسئول دفتر"};
constexpr Sv kArTitles[] = {"مدير المشتريات",  "الرئيس التنفيذي",      "المدير المالي",
                            "مسؤول المشتريات", "مدير تقنية المعلومات", "مدير المكتب"};
constexpr Sv kSvTitles[] = {"Inköpschef", "VD",          "Ekonomichef", "Inköpare",
                            "IT-chef",    "Kontorschef", "Rektor",      "Administratör"};
constexpr Sv kEnTitles[] = {"Purchasing Manager",
                            "CEO",
                            "CFO",
                            "Procurement Specialist",
                            "IT Manager",
                            "Office Manager",
                            "Head Teacher",
                            "Operations Director"};

}  // namespace

const NameTable& NamesOf(Culture culture) { return kNameTables[static_cast<int>(culture)]; }

const CountryInfo& Country(CountryCode code) { return kCountries[static_cast<int>(code)]; }

std::span<const CityInfo> Cities() { return kCities; }

const StreetNames& StreetsOf(CountryCode country) {
  switch (country) {
    case CountryCode::kIR:
      return kIrStreetNames;
    case CountryCode::kSE:
      return kSeStreetNames;
    case CountryCode::kGB:
      return kGbStreetNames;
    case CountryCode::kUS:
      return kUsStreetNames;
    case CountryCode::kDE:
      return kDeStreetNames;
    default:
      return kArabStreetNames;
  }
}

std::span<const std::string_view> EmailDomains(Culture culture) {
  switch (culture) {
    case Culture::kIranian:
      return kIrDomains;
    case Culture::kArab:
      return kArabDomains;
    case Culture::kSwedish:
      return kSeDomains;
    case Culture::kEnglish:
      break;
  }
  return kEnDomains;
}

std::span<const double> EmailDomainWeights(Culture culture) {
  switch (culture) {
    case Culture::kIranian:
      return kIrDomainWeights;
    case Culture::kArab:
      return kArabDomainWeights;
    case Culture::kSwedish:
      return kSeDomainWeights;
    case Culture::kEnglish:
      break;
  }
  return kEnDomainWeights;
}

std::span<const std::string_view> JobTitles(Culture culture) {
  switch (culture) {
    case Culture::kIranian:
      return kFaTitles;
    case Culture::kArab:
      return kArTitles;
    case Culture::kSwedish:
      return kSvTitles;
    case Culture::kEnglish:
      break;
  }
  return kEnTitles;
}

}  // namespace patron::demo::internal
