// The weekly marketing report (R27): one self-contained HTML page (inline CSS,
// inline SVG charts, no scripts, nothing fetched) in the reader's language and
// calendar, right-to-left for Persian and Arabic; its PDF through Chromium's
// headless printer; and its email through the SMTP server of PATRON_SMTP_URL.
#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <sys/wait.h>
#include <unistd.h>

#include "deliver/deliver.h"
#include "identity/identity.h"
#include "report/report.h"
#include "report/report_internal.h"
#include "store/store.h"

namespace patron::report {

namespace {

using internal::kMicrosPerDay;

// ---------------------------------------------------------------------------
// Language
// ---------------------------------------------------------------------------

constexpr const char* kLanguages[] = {"en", "fa", "ar", "sv"};

int LangIndex(std::string_view language) {
  for (int i = 0; i < 4; ++i)
    if (language == kLanguages[i]) return i;
  return 0;
}

struct Phrase {
  const char* key;
  const char* text[4];  // en, fa, ar, sv
};

// Placeholders {0}, {1}, ... are replaced by already formatted values.
constexpr Phrase kPhrases[] = {
    {"title", {"Weekly marketing report", "گزارش هفتگی بازاریابی", "التقرير التسويقي الأسبوعي", "Veckorapport för marknadsföring"}},
    {"period", {"Week {0} – {1}", "هفته {0} تا {1}", "الأسبوع {0} – {1}", "Vecka {0} – {1}"}},
    {"generated", {"Generated {0}", "تهیه‌شده در {0}", "أُعدّ في {0}", "Skapad {0}"}},
    {"kpis", {"Key figures", "شاخص‌های کلیدی", "المؤشرات الرئيسية", "Nyckeltal"}},
    {"previous", {"previous week", "هفته قبل", "الأسبوع السابق", "föregående vecka"}},
    {"trends", {"Trends", "روندها", "الاتجاهات", "Trender"}},
    {"cohorts", {"Retention by first-purchase month", "ماندگاری بر اساس ماه اولین خرید", "الاحتفاظ حسب شهر أول شراء", "Återköp per månad för första köp"}},
    {"campaigns", {"Campaigns: what worked", "کمپین‌ها: چه چیزی جواب داد", "الحملات: ما الذي نجح", "Kampanjer: vad fungerade"}},
    {"quality", {"Data quality", "کیفیت داده", "جودة البيانات", "Datakvalitet"}},
    {"actions", {"Recommended actions", "اقدامات پیشنهادی", "الإجراءات الموصى بها", "Rekommenderade åtgärder"}},
    {"customers_total", {"Customers", "مشتریان", "العملاء", "Kunder"}},
    {"customers_new", {"New customers", "مشتریان جدید", "عملاء جدد", "Nya kunder"}},
    {"customers_active", {"Active customers", "مشتریان فعال", "عملاء نشطون", "Aktiva kunder"}},
    {"customers_lapsed", {"Lapsed customers", "مشتریان ازدست‌رفته", "عملاء منقطعون", "Förlorade kunder"}},
    {"orders", {"Orders", "سفارش‌ها", "الطلبات", "Ordrar"}},
    {"revenue", {"Revenue", "درآمد", "الإيرادات", "Intäkter"}},
    {"average_order_value", {"Average order value", "میانگین ارزش سفارش", "متوسط قيمة الطلب", "Genomsnittligt ordervärde"}},
    {"retention_rate", {"Retention", "نرخ ماندگاری", "معدل الاحتفاظ", "Kundlojalitet"}},
    {"churn_rate", {"Churn", "نرخ ریزش", "معدل التسرب", "Kundbortfall"}},
    {"cac", {"Cost per new customer (CAC)", "هزینه جذب هر مشتری", "تكلفة اكتساب العميل", "Kostnad per ny kund (CAC)"}},
    {"ltv_predicted_12m", {"Predicted 12-month value", "ارزش پیش‌بینی‌شده ۱۲ ماهه", "القيمة المتوقعة لـ١٢ شهرًا", "Förväntat värde 12 mån"}},
    {"clicks", {"Clicks", "کلیک‌ها", "النقرات", "Klick"}},
    {"visits", {"Visits", "بازدیدها", "الزيارات", "Besök"}},
    {"week", {"Week", "هفته", "الأسبوع", "Vecka"}},
    {"campaign", {"Campaign", "کمپین", "الحملة", "Kampanj"}},
    {"channel", {"Channel", "کانال", "القناة", "Kanal"}},
    {"reach", {"Reached", "دریافت‌کنندگان", "الوصول", "Nådda"}},
    {"conversion", {"Conversion", "نرخ تبدیل", "التحويل", "Konvertering"}},
    {"lift", {"Lift over holdout (95% CI)", "افزایش نسبت به گروه کنترل (۹۵٪)", "الزيادة مقارنة بالمجموعة الضابطة (٩٥٪)", "Effekt mot kontrollgrupp (95 % KI)"}},
    {"roi", {"ROI", "بازده سرمایه", "العائد على الاستثمار", "ROI"}},
    {"not_significant", {"not significant", "معنادار نیست", "غير دالّ إحصائيًا", "inte signifikant"}},
    {"significant", {"significant", "معنادار", "دالّ إحصائيًا", "signifikant"}},
    {"no_holdout", {"no holdout", "بدون گروه کنترل", "بلا مجموعة ضابطة", "ingen kontrollgrupp"}},
    {"no_campaigns", {"No campaigns sent yet.", "هنوز کمپینی ارسال نشده است.", "لم تُرسل أي حملة بعد.", "Inga kampanjer skickade än."}},
    {"contact_points", {"Contact points", "نقاط تماس", "نقاط الاتصال", "Kontaktuppgifter"}},
    {"invalid", {"Invalid or bounced", "نامعتبر یا برگشتی", "غير صالحة أو مرتدة", "Ogiltiga eller studsade"}},
    {"stale", {"Probably stale", "احتمالاً منسوخ", "قديمة على الأرجح", "Troligen inaktuella"}},
    {"duplicates", {"Duplicates merged", "تکراری‌های ادغام‌شده", "التكرارات المدمجة", "Sammanslagna dubbletter"}},
    {"cohort", {"Cohort", "گروه", "الفوج", "Kohort"}},
    {"size", {"Size", "تعداد", "الحجم", "Antal"}},
    {"month_n", {"M{0}", "ماه {0}", "ش{0}", "M{0}"}},
    {"none", {"Nothing urgent this week.", "این هفته مورد فوری وجود ندارد.", "لا شيء عاجل هذا الأسبوع.", "Inget brådskande den här veckan."}},
    {"act_budget",
     {"Move budget from “{0}” (ROI {1}) to “{2}” (ROI {3}).", "بودجه را از «{0}» (بازده {1}) به «{2}» (بازده {3}) منتقل کنید.",
      "انقل الميزانية من «{0}» (العائد {1}) إلى «{2}» (العائد {3}).", "Flytta budget från ”{0}” (ROI {1}) till ”{2}” (ROI {3})."}},
    {"act_not_significant",
     {"“{0}”: the lift ({1}) is not significant — keep the holdout and test on a larger audience before scaling.",
      "«{0}»: افزایش ({1}) معنادار نیست — پیش از گسترش، با گروه کنترل و مخاطبان بیشتر آزمایش کنید.",
      "«{0}»: الزيادة ({1}) غير دالّة — أبقِ المجموعة الضابطة واختبر على جمهور أكبر قبل التوسع.",
      "”{0}”: effekten ({1}) är inte signifikant — behåll kontrollgruppen och testa på en större publik innan ni skalar upp."}},
    {"act_no_holdout",
     {"“{0}” has no holdout: its effect cannot be measured — add a holdout to the next send.",
      "«{0}» گروه کنترل ندارد و اثرش قابل اندازه‌گیری نیست — در ارسال بعدی گروه کنترل بگذارید.",
      "«{0}» بلا مجموعة ضابطة فلا يمكن قياس أثرها — أضف مجموعة ضابطة في الإرسال التالي.",
      "”{0}” saknar kontrollgrupp och effekten kan inte mätas — lägg till en i nästa utskick."}},
    {"act_target",
     {"Target segment “{0}” in the next {1} campaign: it converted at {2} vs {3} for the other recipients ({4}×, significant).",
      "بخش «{0}» را در کمپین {1} بعدی هدف بگیرید: نرخ تبدیل آن {2} در برابر {3} برای سایر دریافت‌کنندگان بود ({4} برابر، معنادار).",
      "استهدف الشريحة «{0}» في حملة {1} التالية: بلغ معدل تحويلها {2} مقابل {3} لبقية المستلمين ({4} ضعفًا، دالّ إحصائيًا).",
      "Rikta nästa {1}-kampanj till segmentet ”{0}”: det konverterade {2} mot {3} för övriga mottagare ({4}×, signifikant)."}},
    {"act_suppress",
     {"Segment “{0}” responded below average to {1} campaigns ({2} vs {3}, significant): suppress it or change the offer.",
      "بخش «{0}» به کمپین‌های {1} کمتر از میانگین پاسخ داد ({2} در برابر {3}، معنادار): آن را کنار بگذارید یا پیشنهاد را تغییر دهید.",
      "استجابت الشريحة «{0}» لحملات {1} بأقل من المتوسط ({2} مقابل {3}، دالّ إحصائيًا): استبعدها أو غيّر العرض.",
      "Segmentet ”{0}” svarade under genomsnittet på {1}-kampanjer ({2} mot {3}, signifikant): exkludera det eller ändra erbjudandet."}},
    {"act_reverify", {"Re-verify {0} stale phones.", "{0} شماره تلفن منسوخ را دوباره تأیید کنید.", "أعد التحقق من {0} رقم هاتف قديم.", "Verifiera om {0} inaktuella telefonnummer."}},
    {"act_reverify_email", {"Re-verify {0} stale email addresses.", "{0} نشانی ایمیل منسوخ را دوباره تأیید کنید.", "أعد التحقق من {0} عنوان بريد قديم.", "Verifiera om {0} inaktuella e-postadresser."}},
    {"act_invalid", {"Fix or remove {0} invalid or bounced contact points.", "{0} نقطه تماس نامعتبر یا برگشتی را اصلاح یا حذف کنید.", "أصلح أو احذف {0} نقطة اتصال غير صالحة أو مرتدة.", "Rätta eller ta bort {0} ogiltiga eller studsade kontaktuppgifter."}},
    {"act_lapsed", {"Win back {0} customers who bought the week before but not this week.", "{0} مشتری را که هفته قبل خرید کردند و این هفته نه، بازگردانید.", "استعد {0} عميلًا اشتروا في الأسبوع السابق وليس هذا الأسبوع.", "Vinn tillbaka {0} kunder som köpte förra veckan men inte denna."}},
    {"subject", {"Weekly marketing report, {0}", "گزارش هفتگی بازاریابی، {0}", "التقرير التسويقي الأسبوعي، {0}", "Veckorapport för marknadsföring, {0}"}},
};

std::string Tr(std::string_view key, int lang, const std::vector<std::string>& args = {}) {
  std::string text(key);
  for (const Phrase& p : kPhrases)
    if (key == p.key) text = p.text[lang];
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string mark = "{" + std::to_string(i) + "}";
    for (size_t at = text.find(mark); at != std::string::npos; at = text.find(mark, at + args[i].size()))
      text.replace(at, mark.size(), args[i]);
  }
  return text;
}

std::string Escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// Numbers
// ---------------------------------------------------------------------------

// Thousands grouped with the language's separator, digits localised.
std::string Number(double v, int decimals, int lang) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, std::fabs(v));
  std::string s(buf);
  size_t dot = s.find('.');
  std::string whole = s.substr(0, dot), frac = dot == std::string::npos ? "" : s.substr(dot + 1);
  const std::string group = lang == 3 ? "\xC2\xA0" : lang == 1 || lang == 2 ? "\xD9\xAC" : ",";  // nbsp / ٬ / ,
  const std::string decimal = lang == 3 ? "," : lang == 1 || lang == 2 ? "\xD9\xAB" : ".";        // , / ٫ / .
  std::string grouped;
  for (size_t i = 0; i < whole.size(); ++i) {
    if (i > 0 && (whole.size() - i) % 3 == 0) grouped += group;
    grouped += whole[i];
  }
  std::string out = (v < 0 && std::llround(std::fabs(v) * std::pow(10, decimals)) != 0 ? "-" : "") + grouped;
  if (!frac.empty()) out += decimal + frac;
  return LocalDigits(out, kLanguages[lang]);
}

// Axis labels: 12.5k, 3.2M, 1.1B.
std::string Compact(double v, int lang) {
  const double a = std::fabs(v);
  if (a >= 1e9) return Number(v / 1e9, 1, lang) + "B";
  if (a >= 1e6) return Number(v / 1e6, 1, lang) + "M";
  if (a >= 1e4) return Number(v / 1e3, 0, lang) + "k";
  return Number(v, a < 10 && a != std::floor(a) ? 1 : 0, lang);
}

std::string Money(double minor, const std::string& currency, int lang) {
  const int digits = CurrencyMinorDigits(currency);
  return Number(minor / std::pow(10.0, digits), digits, lang) + "\xC2\xA0" + currency;
}

std::string Percent(double ratio, int lang, int decimals = 1) {
  return Number(ratio * 100, decimals, lang) + (lang == 1 || lang == 2 ? "\xD9\xAA" : "\xC2\xA0%");
}

std::string KpiValue(const Kpi& k, double v, int lang) {
  if (k.unit == "money") return Money(v, k.currency, lang);
  if (k.unit == "ratio") return Percent(v, lang);
  if (k.unit == "number") return Number(v, 2, lang);
  return Number(v, 0, lang);
}

// ---------------------------------------------------------------------------
// Charts (inline SVG; drawn left to right whatever the page direction)
// ---------------------------------------------------------------------------

std::string Fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

struct Series {
  std::string label, color;
  std::vector<double> values;
};

std::string LineChart(const std::string& title, const std::vector<std::string>& x_labels,
                      const std::vector<Series>& series, int lang) {
  const double w = 640, h = 220, left = 60, right = 12, top = 28, bottom = 36;
  double max_v = 0;
  for (const Series& s : series)
    for (double v : s.values) max_v = std::max(max_v, v);
  if (max_v <= 0) max_v = 1;
  const size_t n = x_labels.size();
  auto x = [&](size_t i) { return left + (n <= 1 ? 0 : (w - left - right) * static_cast<double>(i) / (n - 1)); };
  auto y = [&](double v) { return top + (h - top - bottom) * (1 - v / max_v); };
  std::string svg = "<figure class=\"chart\"><svg class=\"line-chart\" viewBox=\"0 0 640 220\" role=\"img\" aria-label=\"" +
                    Escape(title) + "\" direction=\"ltr\" preserveAspectRatio=\"xMidYMid meet\">";
  svg += "<text x=\"" + Fmt(left) + "\" y=\"16\" class=\"ct\">" + Escape(title) + "</text>";
  for (int g = 0; g <= 4; ++g) {
    const double v = max_v * g / 4;
    svg += "<line x1=\"" + Fmt(left) + "\" x2=\"" + Fmt(w - right) + "\" y1=\"" + Fmt(y(v)) + "\" y2=\"" + Fmt(y(v)) +
           "\" class=\"grid\"/>";
    svg += "<text x=\"" + Fmt(left - 4) + "\" y=\"" + Fmt(y(v) + 4) + "\" class=\"axis\" text-anchor=\"end\">" +
           Compact(v, lang) + "</text>";
  }
  for (size_t i = 0; i < n; ++i)
    svg += "<text x=\"" + Fmt(x(i)) + "\" y=\"" + Fmt(h - 18) + "\" class=\"axis\" text-anchor=\"middle\">" +
           Escape(x_labels[i]) + "</text>";
  double legend_x = left;
  for (const Series& s : series) {
    std::string points;
    for (size_t i = 0; i < s.values.size() && i < n; ++i) points += Fmt(x(i)) + "," + Fmt(y(s.values[i])) + " ";
    svg += "<polyline fill=\"none\" stroke=\"" + s.color + "\" stroke-width=\"2.5\" points=\"" + points + "\"/>";
    for (size_t i = 0; i < s.values.size() && i < n; ++i)
      svg += "<circle cx=\"" + Fmt(x(i)) + "\" cy=\"" + Fmt(y(s.values[i])) + "\" r=\"3\" fill=\"" + s.color + "\"/>";
    svg += "<rect x=\"" + Fmt(legend_x) + "\" y=\"" + Fmt(h - 10) + "\" width=\"10\" height=\"10\" fill=\"" + s.color +
           "\"/><text x=\"" + Fmt(legend_x + 14) + "\" y=\"" + Fmt(h - 1) + "\" class=\"axis\">" + Escape(s.label) +
           "</text>";
    legend_x += 160;
  }
  return svg + "</svg></figure>";
}

std::string BarChart(const std::string& title, const std::vector<std::pair<std::string, double>>& bars, int lang,
                     bool percent) {
  const double w = 640, label_w = 200, row_h = 26, top = 28;
  const double h = top + row_h * static_cast<double>(bars.size()) + 8;
  double max_abs = 0;
  for (const auto& [l, v] : bars) max_abs = std::max(max_abs, std::fabs(v));
  if (max_abs <= 0) max_abs = 1;
  const double zero = label_w + (w - label_w - 70) / 2;
  const double scale = (w - label_w - 70) / 2 / max_abs;
  std::string svg = "<figure class=\"chart\"><svg class=\"bar-chart\" viewBox=\"0 0 640 " + Fmt(h) +
                    "\" role=\"img\" aria-label=\"" + Escape(title) + "\" direction=\"ltr\">";
  svg += "<text x=\"4\" y=\"16\" class=\"ct\">" + Escape(title) + "</text>";
  svg += "<line x1=\"" + Fmt(zero) + "\" x2=\"" + Fmt(zero) + "\" y1=\"" + Fmt(top - 4) + "\" y2=\"" + Fmt(h - 4) +
         "\" class=\"grid\"/>";
  for (size_t i = 0; i < bars.size(); ++i) {
    const double yy = top + row_h * static_cast<double>(i);
    const double v = bars[i].second, len = std::fabs(v) * scale;
    std::string label = bars[i].first.size() > 28 ? std::string(Utf8Prefix(bars[i].first, 26)) + "…"
                                                  : bars[i].first;
    svg += "<text x=\"4\" y=\"" + Fmt(yy + 16) + "\" class=\"axis\">" + Escape(label) + "</text>";
    svg += "<rect x=\"" + Fmt(v >= 0 ? zero : zero - len) + "\" y=\"" + Fmt(yy + 4) + "\" width=\"" + Fmt(len) +
           "\" height=\"16\" fill=\"" + (v >= 0 ? "#2e7d32" : "#c62828") + "\"/>";
    svg += "<text x=\"" + Fmt(v >= 0 ? zero + len + 4 : zero + 4) + "\" y=\"" + Fmt(yy + 16) + "\" class=\"axis\">" +
           (percent ? Percent(v, lang, 0) : Number(v, 2, lang)) + "</text>";
  }
  return svg + "</svg></figure>";
}

std::string Heatmap(const std::string& title, const Cohorts& cohorts, int lang) {
  size_t width = 0;
  for (const CohortRow& r : cohorts.rows) width = std::max(width, r.active.size());
  const double cell_w = width ? std::min(60.0, 520.0 / static_cast<double>(width)) : 60, cell_h = 22, left = 110,
               top = 44;
  const double w = 640, h = top + cell_h * static_cast<double>(cohorts.rows.size()) + 8;
  std::string svg = "<figure class=\"chart\"><svg class=\"heatmap\" viewBox=\"0 0 640 " + Fmt(h) +
                    "\" role=\"img\" aria-label=\"" + Escape(title) + "\" direction=\"ltr\">";
  svg += "<text x=\"4\" y=\"16\" class=\"ct\">" + Escape(title) + "</text>";
  for (size_t k = 0; k < width; ++k)
    svg += "<text x=\"" + Fmt(left + cell_w * (static_cast<double>(k) + 0.5)) + "\" y=\"" + Fmt(top - 6) +
           "\" class=\"axis\" text-anchor=\"middle\">" + Escape(Tr("month_n", lang, {LocalDigits(std::to_string(k), kLanguages[lang])})) +
           "</text>";
  for (size_t i = 0; i < cohorts.rows.size(); ++i) {
    const CohortRow& r = cohorts.rows[i];
    const double yy = top + cell_h * static_cast<double>(i);
    svg += "<text x=\"4\" y=\"" + Fmt(yy + 15) + "\" class=\"axis\">" +
           Escape(LocalDigits(r.cohort, kLanguages[lang])) + " (" + Number(static_cast<double>(r.size), 0, lang) +
           ")</text>";
    for (size_t k = 0; k < r.active.size(); ++k) {
      const double ratio = r.size ? static_cast<double>(r.active[k]) / static_cast<double>(r.size) : 0;
      // k = 0 is 100 % by definition; shade later months on their own scale.
      const double shade = k == 0 ? 1.0 : std::min(1.0, ratio * 4);
      char color[16];
      std::snprintf(color, sizeof color, "#%02x%02x%02x", static_cast<int>(235 - 190 * shade),
                    static_cast<int>(242 - 120 * shade), static_cast<int>(250 - 60 * shade));
      svg += "<rect x=\"" + Fmt(left + cell_w * static_cast<double>(k)) + "\" y=\"" + Fmt(yy) + "\" width=\"" +
             Fmt(cell_w - 2) + "\" height=\"" + Fmt(cell_h - 2) + "\" fill=\"" + color + "\"><title>" +
             Percent(ratio, lang) + "</title></rect>";
      if (cell_w >= 40)
        svg += "<text x=\"" + Fmt(left + cell_w * (static_cast<double>(k) + 0.5)) + "\" y=\"" + Fmt(yy + 15) +
               "\" class=\"cell\" text-anchor=\"middle\" fill=\"" + (shade > 0.6 ? "#fff" : "#123") + "\">" +
               Percent(ratio, lang, 0) + "</text>";
    }
  }
  (void)w;
  return svg + "</svg></figure>";
}

constexpr const char* kCss = R"(
*{box-sizing:border-box}
body{font-family:"Vazirmatn","Noto Sans Arabic","Noto Sans","DejaVu Sans",system-ui,sans-serif;margin:0;color:#1c2430;background:#f5f7fa;line-height:1.5}
main{max-width:960px;margin:0 auto;padding:16px}
header{background:#1f3a5f;color:#fff;padding:18px 16px}
header h1{margin:0 auto;max-width:960px;font-size:1.5rem}
header p{margin:4px auto 0;max-width:960px;opacity:.85}
section{background:#fff;border-radius:8px;padding:14px 16px;margin:14px 0;box-shadow:0 1px 2px rgba(0,0,0,.08)}
h2{font-size:1.15rem;margin:0 0 10px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(190px,1fr));gap:10px}
.card{border:1px solid #e1e6ee;border-radius:6px;padding:8px 10px;min-width:0}
.card .label{font-size:.85rem;color:#5a6678}
.card .value{font-size:1.2rem;font-weight:600;overflow-wrap:break-word}
.card .prev{font-size:.8rem;color:#5a6678}
.up{color:#2e7d32}.down{color:#c62828}
.chart{margin:0 0 10px}
.chart svg{width:100%;height:auto;display:block;direction:ltr}
.ct{font-size:14px;font-weight:600;fill:#1c2430}
.axis{font-size:11px;fill:#5a6678}
.cell{font-size:10px}
.grid{stroke:#e1e6ee;stroke-width:1}
.scroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{padding:5px 6px;border-bottom:1px solid #e1e6ee;text-align:start;vertical-align:top}
td.n{text-align:end;white-space:nowrap}
.badge{display:inline-block;font-size:.75rem;border-radius:10px;padding:0 7px}
.badge.no{background:#fdecea;color:#a12622}.badge.yes{background:#e8f5e9;color:#1b5e20}.badge.na{background:#eceff1;color:#455a64}
ol.actions li{margin:4px 0}
html[lang=fa] ol.actions{list-style-type:persian}html[lang=ar] ol.actions{list-style-type:arabic-indic}
@media print{body{background:#fff}section{box-shadow:none;break-inside:avoid}}
)";

const char* const kGregorianMonths[4][12] = {
    {"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November",
     "December"},
    {"ژانویه", "فوریه", "مارس", "آوریل", "مه", "ژوئن", "ژوئیه", "اوت", "سپتامبر", "اکتبر", "نوامبر", "دسامبر"},
    {"يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر", "ديسمبر"},
    {"januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober", "november",
     "december"},
};
const char* const kPersianMonthsLatin[12] = {"Farvardin", "Ordibehesht", "Khordad", "Tir",   "Mordad", "Shahrivar",
                                             "Mehr",      "Aban",        "Azar",    "Dey",   "Bahman", "Esfand"};
const char* const kPersianMonths[12] = {"فروردین", "اردیبهشت", "خرداد", "تیر",  "مرداد", "شهریور",
                                        "مهر",     "آبان",     "آذر",   "دی",   "بهمن",  "اسفند"};
const char* const kHijriMonthsLatin[12] = {"Muharram",  "Safar",      "Rabi al-Awwal", "Rabi al-Thani",
                                           "Jumada al-Ula", "Jumada al-Akhirah", "Rajab", "Shaban",
                                           "Ramadan",   "Shawwal",    "Dhu al-Qadah",  "Dhu al-Hijjah"};
const char* const kHijriMonths[12] = {"محرم", "صفر",   "ربيع الأول", "ربيع الآخر", "جمادى الأولى", "جمادى الآخرة",
                                      "رجب",  "شعبان", "رمضان",      "شوال",       "ذو القعدة",    "ذو الحجة"};

}  // namespace

std::string LocalDigits(std::string_view text, std::string_view language) {
  const char* const* digits = nullptr;
  static const char* const kPersian[10] = {"۰", "۱", "۲", "۳", "۴", "۵", "۶", "۷", "۸", "۹"};
  static const char* const kArabic[10] = {"٠", "١", "٢", "٣", "٤", "٥", "٦", "٧", "٨", "٩"};
  if (language == "fa") digits = kPersian;
  if (language == "ar") digits = kArabic;
  if (!digits) return std::string(text);
  std::string out;
  for (char c : text) {
    if (c >= '0' && c <= '9') {
      out += digits[c - '0'];
    } else {
      out += c;
    }
  }
  return out;
}

std::string FormatDate(CivilDate date, std::string_view language, Calendar calendar) {
  const int lang = LangIndex(language);
  auto local = FromGregorian(calendar, date);
  if (!local.ok()) return LocalDigits(date.ToString(), language);
  const int m = std::clamp(local->month, 1, 12) - 1;
  std::string month;
  switch (calendar) {
    case Calendar::kGregorian:
      month = kGregorianMonths[lang][m];
      break;
    case Calendar::kPersian:
      month = lang == 1 || lang == 2 ? kPersianMonths[m] : kPersianMonthsLatin[m];
      break;
    case Calendar::kIslamicCivil:
      month = lang == 1 || lang == 2 ? kHijriMonths[m] : kHijriMonthsLatin[m];
      break;
  }
  std::string text = lang == 0 && calendar == Calendar::kGregorian
                         ? month + " " + std::to_string(local->day) + ", " + std::to_string(local->year)
                         : std::to_string(local->day) + " " + month + " " + std::to_string(local->year);
  if (calendar == Calendar::kIslamicCivil) text += lang == 1 || lang == 2 ? " هـ" : " AH";
  return LocalDigits(text, language);
}

Result<Calendar> ParseCalendar(std::string_view name) {
  if (name == "gregorian") return Calendar::kGregorian;
  if (name == "persian" || name == "jalali") return Calendar::kPersian;
  if (name == "islamic" || name == "hijri" || name == "islamic-civil") return Calendar::kIslamicCivil;
  return InvalidArgument("calendar: '" + std::string(name) + "' is not one of gregorian, persian, islamic");
}

bool IsSupportedLanguage(std::string_view language) {
  for (const char* l : kLanguages)
    if (language == l) return true;
  return false;
}

namespace {

// The earliest "seen" instant whose value is not probably stale at `now`
// (identity::StillValidProbability >= options.stale_below): a usable contact
// point is stale exactly when seen before it. Found by bisection on the decay
// model itself (the probability never falls as `seen` grows), so the figures
// agree with identity::BuildQualityReport to the microsecond.
int64_t StaleBefore(const identity::QualityOptions& options) {
  auto fresh = [&](int64_t seen) {
    return identity::StillValidProbability(Instant{seen}, options.now, options.monthly_decay) >= options.stale_below;
  };
  if (!fresh(options.now.micros)) return INT64_MAX;  // even a value seen now is stale
  int64_t lo = options.now.micros - 1000LL * 365 * 86'400'000'000LL, hi = options.now.micros;
  if (fresh(lo)) return INT64_MIN;  // nothing decays below the threshold
  while (hi - lo > 1) {  // fresh(hi), !fresh(lo)
    const int64_t mid = lo + (hi - lo) / 2;
    (fresh(mid) ? hi : lo) = mid;
  }
  return hi;
}

}  // namespace

// The figures of identity::BuildQualityReport that the weekly report shows
// (contact totals, invalid or bounced, stale by kind, merged records), from
// one aggregate query instead of the full report: at 1M customers the full
// report's completeness and duplicate queries were most of its time
// (BENCHMARKS.md "Reports"). tests/unit/report checks both agree.
Result<QualityFigures> ComputeQualityFigures(Database& db, Instant now) {
  identity::QualityOptions qopt;
  qopt.now = now;
  ASSIGN_OR_RETURN(qopt.monthly_decay, identity::MonthlyDecay(db));
  QualityFigures f;
  f.taken_at = now;
  Statement& q = db.Query("report-quality-figures");
  q.Bind(":stale_before", StaleBefore(qopt));
  while (true) {
    auto row = q.Step();
    if (!row.ok()) {
      q.Reset();
      return row.status();
    }
    if (!*row) break;
    const std::string_view kind = q.Text(0);
    const int64_t stale = q.Int(3);
    f.contact_points += q.Int(1);
    f.invalid += q.Int(2);
    f.stale += stale;
    if (kind == "phone") f.stale_phones += stale;
    if (kind == "email") f.stale_emails += stale;
  }
  q.Reset();
  Statement& m = db.Query("report-quality-merged");
  ASSIGN_OR_RETURN(bool row, m.Step());
  if (row) f.duplicates = m.Int(0);
  m.Reset();
  return f;
}

Status RecordQualityFigures(Database& db, const QualityFigures& f) {
  Statement& q = db.Query("report-insert-quality");
  q.Bind(":taken_at", f.taken_at.micros)
      .Bind(":contact_points", f.contact_points)
      .Bind(":invalid", f.invalid)
      .Bind(":stale", f.stale)
      .Bind(":duplicates", f.duplicates)
      .Bind(":stale_phones", f.stale_phones)
      .Bind(":stale_emails", f.stale_emails);
  return q.Run();
}

Result<QualityFigures> CurrentQuality(Database& db, const WeeklyOptions& options) {
  if (options.quality_max_age_hours > 0) {
    Statement& q = db.Query("report-quality-latest");
    q.Bind(":now", options.now.micros);
    ASSIGN_OR_RETURN(bool row, q.Step());
    std::optional<QualityFigures> last;
    if (row && q.OptionalInt(5) && q.OptionalInt(6)) {
      QualityFigures f;
      f.taken_at = Instant{q.Int(0)};
      f.contact_points = q.Int(1);
      f.invalid = q.Int(2);
      f.stale = q.Int(3);
      f.duplicates = q.Int(4);
      f.stale_phones = *q.OptionalInt(5);
      f.stale_emails = *q.OptionalInt(6);
      f.recorded = true;
      last = f;
    }
    q.Reset();
    if (last && options.now.micros - last->taken_at.micros <= options.quality_max_age_hours * 3'600'000'000LL)
      return *last;
  }
  return ComputeQualityFigures(db, options.now);
}

Result<WeeklyReport> BuildWeeklyReport(Database& db, const engine::Snapshot& snapshot, const WeeklyOptions& options,
                                       const Clock& clock) {
  if (!IsSupportedLanguage(options.language))
    return InvalidArgument("language: '" + options.language + "' is not one of en, fa, ar, sv");
  if (options.trend_weeks < 2 || options.trend_weeks > 52) return InvalidArgument("trend weeks: give 2 to 52");
  const int lang = LangIndex(options.language);
  const std::string& language = options.language;
  const bool rtl = lang == 1 || lang == 2;
  const int64_t today = options.now.micros / kMicrosPerDay;
  const Period week{Instant{(today - 7) * kMicrosPerDay}, Instant{today * kMicrosPerDay}};
  auto date = [&](int64_t micros) { return FormatDate(CivilDate::FromDays(micros / kMicrosPerDay), language, options.calendar); };

  KpiOptions kopt;
  kopt.period = week;
  kopt.clock = &clock;
  ASSIGN_OR_RETURN(KpiReport kpis, ComputeKpis(db, snapshot, kopt));

  // Weekly trend: revenue (main currency), orders, active and new customers.
  std::string main_currency;
  {
    double best = -1;
    for (const Kpi& k : kpis.kpis)
      if (k.key == "ltv_historical" && k.breakdown.empty() && k.value && *k.value >= 0) {
        const Kpi* rev = kpis.Find("revenue", "", k.currency);
        const double v = rev && rev->value ? *rev->value : 0;
        if (v > best) best = v, main_currency = k.currency;
      }
  }
  std::vector<std::string> week_labels;
  std::vector<double> revenue, orders, active, new_customers;
  const internal::CustomerActivity activity(snapshot);
  // Every trend week from one pass over the snapshot (the oldest week first).
  const Instant first_week{week.from.micros - 7 * kMicrosPerDay * (options.trend_weeks - 1)};
  const std::vector<internal::PeriodFigures> figures =
      internal::ComputeWeeklyFigures(activity, first_week, options.trend_weeks, kopt);
  for (int i = options.trend_weeks - 1; i >= 0; --i) {
    const Period p{Instant{week.from.micros - 7 * kMicrosPerDay * i}, Instant{week.to.micros - 7 * kMicrosPerDay * i}};
    const internal::PeriodFigures& f = figures[options.trend_weeks - 1 - i];
    CivilDate start = CivilDate::FromDays(p.from.micros / kMicrosPerDay);
    auto local = FromGregorian(options.calendar, start);
    week_labels.push_back(LocalDigits(local.ok() ? std::to_string(local->month) + "/" + std::to_string(local->day)
                                                 : start.ToString(),
                                      language));
    auto rev = f.revenue.find(main_currency);
    revenue.push_back((rev == f.revenue.end() ? 0.0 : static_cast<double>(rev->second)) /
                      std::pow(10.0, CurrencyMinorDigits(main_currency)));
    orders.push_back(static_cast<double>(f.orders));
    active.push_back(static_cast<double>(f.active));
    new_customers.push_back(static_cast<double>(f.new_customers));
  }

  CohortOptions copt;
  copt.months = options.cohort_months;
  copt.until = week.to;
  ASSIGN_OR_RETURN(Cohorts cohorts, ComputeCohorts(snapshot, copt));
  ASSIGN_OR_RETURN(std::vector<CampaignRow> campaigns, CampaignResults(db, clock));
  SuggestionOptions sopt;
  ASSIGN_OR_RETURN(std::vector<Suggestion> suggestions, TargetingSuggestions(db, snapshot, sopt, clock));

  // Data quality: the last recorded figures when they are recent (a nightly
  // `patron report quality --record`, or the previous report of the day), else
  // computed now over every contact point and recorded for the trend.
  ASSIGN_OR_RETURN(QualityFigures quality, CurrentQuality(db, options));
  const int64_t contact_total = quality.contact_points, invalid = quality.invalid, stale = quality.stale,
                stale_phones = quality.stale_phones, stale_emails = quality.stale_emails,
                duplicates = quality.duplicates;
  if (options.record_quality && !quality.recorded) RETURN_IF_ERROR(RecordQualityFigures(db, quality));
  struct QualityPoint {
    int64_t at, total, invalid, stale, duplicates;
  };
  std::vector<QualityPoint> history;
  {
    Statement& q = db.Query("report-quality-history");
    q.Bind(":limit", static_cast<int64_t>(8));
    while (true) {
      ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      history.push_back({q.Int(0), q.Int(1), q.Int(2), q.Int(3), q.Int(4)});
    }
  }
  if (history.empty() || history.front().at != quality.taken_at.micros)
    history.insert(history.begin(), {quality.taken_at.micros, contact_total, invalid, stale, duplicates});
  std::reverse(history.begin(), history.end());

  // Campaigns ranked by ROI, then lift.
  std::vector<const CampaignRow*> ranked;
  for (const CampaignRow& c : campaigns)
    if (c.variant.empty() && c.reach > 0) ranked.push_back(&c);
  std::stable_sort(ranked.begin(), ranked.end(), [](const CampaignRow* a, const CampaignRow* b) {
    const double ra = a->roi.value_or(-1e18), rb = b->roi.value_or(-1e18);
    if (ra != rb) return ra > rb;
    return a->lift > b->lift;
  });

  // Recommended actions, with the numbers behind them.
  WeeklyReport out;
  {
    std::vector<const CampaignRow*> with_roi;
    for (const CampaignRow* c : ranked)
      if (c->roi) with_roi.push_back(c);
    if (with_roi.size() >= 2 && *with_roi.front()->roi > *with_roi.back()->roi)
      out.actions.push_back(Tr("act_budget", lang,
                               {with_roi.back()->campaign, Percent(*with_roi.back()->roi, lang, 0),
                                with_roi.front()->campaign, Percent(*with_roi.front()->roi, lang, 0)}));
    for (const CampaignRow* c : ranked) {
      if (out.actions.size() >= 6) break;
      if (c->lift_available && !c->significant)
        out.actions.push_back(Tr("act_not_significant", lang,
                                 {c->campaign, Percent(c->lift_ci_low, lang) + " … " + Percent(c->lift_ci_high, lang)}));
      else if (!c->lift_available)
        out.actions.push_back(Tr("act_no_holdout", lang, {c->campaign}));
    }
    // Targeting suggestions from past campaigns' per-segment response: the
    // strongest significant ones (by |z|), at most three.
    std::vector<const Suggestion*> strongest;
    for (const Suggestion& s : suggestions)
      if (!s.action.empty()) strongest.push_back(&s);
    std::stable_sort(strongest.begin(), strongest.end(),
                     [](const Suggestion* a, const Suggestion* b) { return std::fabs(a->z) > std::fabs(b->z); });
    if (strongest.size() > 3) strongest.resize(3);
    for (const Suggestion* s : strongest) {
      if (s->action == "target")
        out.actions.push_back(Tr("act_target", lang,
                                 {s->segment, s->channel, Percent(s->conversion_rate, lang), Percent(s->rest_rate, lang),
                                  s->ratio ? Number(*s->ratio, 1, lang) : "∞"}));
      else
        out.actions.push_back(Tr("act_suppress", lang,
                                 {s->segment, s->channel, Percent(s->conversion_rate, lang), Percent(s->rest_rate, lang)}));
    }
    if (stale_phones > 0)
      out.actions.push_back(Tr("act_reverify", lang, {Number(static_cast<double>(stale_phones), 0, lang)}));
    if (stale_emails > 0)
      out.actions.push_back(Tr("act_reverify_email", lang, {Number(static_cast<double>(stale_emails), 0, lang)}));
    if (invalid > 0) out.actions.push_back(Tr("act_invalid", lang, {Number(static_cast<double>(invalid), 0, lang)}));
    const Kpi* lapsed = kpis.Find("customers_lapsed");
    if (lapsed && lapsed->value && *lapsed->value > 0)
      out.actions.push_back(Tr("act_lapsed", lang, {Number(*lapsed->value, 0, lang)}));
  }

  const std::string period_text =
      Tr("period", lang, {date(week.from.micros), date(week.to.micros - kMicrosPerDay)});
  out.subject = Tr("subject", lang, {period_text});

  std::string h = "<!DOCTYPE html>\n<html lang=\"" + language + "\" dir=\"" + (rtl ? "rtl" : "ltr") +
                  "\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                  "<title>" + Escape(Tr("title", lang)) + "</title><style>" + kCss + "</style></head><body>";
  h += "<header><h1>" + Escape(Tr("title", lang)) + "</h1><p>" + Escape(period_text) + " · " +
       Escape(Tr("generated", lang, {date(options.now.micros)})) + "</p></header><main>";

  // Key figures.
  h += "<section id=\"kpis\"><h2>" + Escape(Tr("kpis", lang)) + "</h2><div class=\"cards\">";
  const std::vector<std::pair<const char*, bool>> cards = {
      {"customers_total", false}, {"customers_new", false},  {"customers_active", false},
      {"customers_lapsed", false}, {"orders", false},        {"revenue", true},
      {"average_order_value", true}, {"retention_rate", false}, {"churn_rate", false},
      {"cac", true},              {"ltv_predicted_12m", true}, {"clicks", false}, {"visits", false}};
  for (const auto& [key, money] : cards) {
    const Kpi* k = kpis.Find(key, "", money ? main_currency : "");
    if (!k || !k->value) continue;
    std::string prev;
    if (k->previous) {
      std::string cls;
      if (*k->previous != 0) {
        const double change = (*k->value - *k->previous) / std::fabs(*k->previous);
        const bool bad = std::string_view(key) == "churn_rate" || std::string_view(key) == "customers_lapsed" ||
                         std::string_view(key) == "cac";
        cls = change == 0 ? "" : ((change > 0) != bad ? "up" : "down");
        prev = "<span class=\"" + cls + "\">" + (change > 0 ? "▲ " : change < 0 ? "▼ " : "") +
               Percent(std::fabs(change), lang, 0) + "</span> · ";
      }
      prev += Escape(Tr("previous", lang)) + ": " + KpiValue(*k, *k->previous, lang);
    }
    h += "<div class=\"card\"><div class=\"label\">" + Escape(Tr(key, lang)) + "</div><div class=\"value\">" +
         KpiValue(*k, *k->value, lang) + "</div><div class=\"prev\">" + prev + "</div></div>";
  }
  h += "</div></section>";

  // Trends.
  h += "<section id=\"trends\"><h2>" + Escape(Tr("trends", lang)) + "</h2>";
  h += LineChart(Tr("revenue", lang) + (main_currency.empty() ? "" : " (" + main_currency + ")"), week_labels,
                 {{Tr("revenue", lang), "#1f77b4", revenue}}, lang);
  h += LineChart(Tr("customers_active", lang), week_labels,
                 {{Tr("customers_active", lang), "#2e7d32", active}, {Tr("orders", lang), "#ef6c00", orders},
                  {Tr("customers_new", lang), "#6a1b9a", new_customers}},
                 lang);
  h += "</section>";

  // Cohorts.
  h += "<section id=\"cohorts\"><h2>" + Escape(Tr("cohorts", lang)) + "</h2>" +
       Heatmap(Tr("cohorts", lang), cohorts, lang) + "</section>";

  // Campaigns.
  h += "<section id=\"campaigns\"><h2>" + Escape(Tr("campaigns", lang)) + "</h2>";
  if (ranked.empty()) {
    h += "<p>" + Escape(Tr("no_campaigns", lang)) + "</p>";
  } else {
    std::vector<std::pair<std::string, double>> bars;
    for (const CampaignRow* c : ranked)
      if (c->roi) bars.push_back({c->campaign, *c->roi});
    if (!bars.empty()) h += BarChart(Tr("roi", lang), bars, lang, true);
    h += "<div class=\"scroll\"><table><thead><tr><th>" + Escape(Tr("campaign", lang)) + "</th><th>" +
         Escape(Tr("channel", lang)) + "</th><th>" + Escape(Tr("reach", lang)) + "</th><th>" +
         Escape(Tr("conversion", lang)) + "</th><th>" + Escape(Tr("lift", lang)) + "</th><th>" +
         Escape(Tr("roi", lang)) + "</th></tr></thead><tbody>";
    for (const CampaignRow* c : ranked) {
      std::string lift;
      if (c->lift_available) {
        lift = Percent(c->lift, lang) + " (" + Percent(c->lift_ci_low, lang) + " … " + Percent(c->lift_ci_high, lang) +
               ") <span class=\"badge " + (c->significant ? "yes" : "no") + "\">" +
               Escape(Tr(c->significant ? "significant" : "not_significant", lang)) + "</span>";
      } else {
        lift = "<span class=\"badge na\">" + Escape(Tr("no_holdout", lang)) + "</span>";
      }
      h += "<tr><td>" + Escape(c->campaign) + "</td><td>" + Escape(c->channel) + "</td><td class=\"n\">" +
           Number(static_cast<double>(c->reach), 0, lang) + "</td><td class=\"n\">" +
           Percent(c->conversion_rate, lang) + "</td><td>" + lift + "</td><td class=\"n\">" +
           (c->roi ? Percent(*c->roi, lang, 0) : "–") + "</td></tr>";
    }
    h += "</tbody></table></div>";
  }
  h += "</section>";

  // Data quality.
  h += "<section id=\"quality\"><h2>" + Escape(Tr("quality", lang)) + "</h2>";
  {
    std::vector<std::string> labels;
    std::vector<double> inv, st, dup;
    for (const QualityPoint& p : history) {
      CivilDate d = CivilDate::FromDays(p.at / kMicrosPerDay);
      auto local = FromGregorian(options.calendar, d);
      labels.push_back(LocalDigits(local.ok() ? std::to_string(local->month) + "/" + std::to_string(local->day)
                                              : d.ToString(),
                                   language));
      inv.push_back(static_cast<double>(p.invalid));
      st.push_back(static_cast<double>(p.stale));
      dup.push_back(static_cast<double>(p.duplicates));
    }
    h += LineChart(Tr("quality", lang), labels,
                   {{Tr("invalid", lang), "#c62828", inv}, {Tr("stale", lang), "#ef6c00", st},
                    {Tr("duplicates", lang), "#1f77b4", dup}},
                   lang);
    h += "<div class=\"scroll\"><table><thead><tr><th></th><th>" + Escape(Tr("contact_points", lang)) + "</th><th>" +
         Escape(Tr("invalid", lang)) + "</th><th>" + Escape(Tr("stale", lang)) + "</th><th>" +
         Escape(Tr("duplicates", lang)) + "</th></tr></thead><tbody>";
    for (auto it = history.rbegin(); it != history.rend(); ++it)
      h += "<tr><td>" + Escape(date(it->at)) + "</td><td class=\"n\">" +
           Number(static_cast<double>(it->total), 0, lang) + "</td><td class=\"n\">" +
           Number(static_cast<double>(it->invalid), 0, lang) + "</td><td class=\"n\">" +
           Number(static_cast<double>(it->stale), 0, lang) + "</td><td class=\"n\">" +
           Number(static_cast<double>(it->duplicates), 0, lang) + "</td></tr>";
    h += "</tbody></table></div>";
  }
  h += "</section>";

  // Actions.
  h += "<section id=\"actions\"><h2>" + Escape(Tr("actions", lang)) + "</h2>";
  if (out.actions.empty()) {
    h += "<p>" + Escape(Tr("none", lang)) + "</p>";
  } else {
    h += "<ol class=\"actions\">";
    for (const std::string& a : out.actions) h += "<li>" + Escape(a) + "</li>";
    h += "</ol>";
  }
  h += "</section></main></body></html>\n";
  out.html = std::move(h);

  out.text = Tr("title", lang) + "\n" + period_text + "\n\n";
  for (const auto& [key, money] : cards) {
    const Kpi* k = kpis.Find(key, "", money ? main_currency : "");
    if (k && k->value) out.text += Tr(key, lang) + ": " + KpiValue(*k, *k->value, lang) + "\n";
  }
  out.text += "\n" + Tr("actions", lang) + ":\n";
  for (size_t i = 0; i < out.actions.size(); ++i)
    out.text += LocalDigits(std::to_string(i + 1), language) + ". " + out.actions[i] + "\n";
  return out;
}

Status HtmlToPdf(const std::string& html_path, const std::string& pdf_path) {
  std::string chromium;
  if (const char* env = std::getenv("PATRON_CHROMIUM"); env && *env) chromium = env;
  for (const char* candidate : {"/usr/bin/chromium", "/usr/bin/chromium-browser"})
    if (chromium.empty() && access(candidate, X_OK) == 0) chromium = candidate;
  if (chromium.empty() || access(chromium.c_str(), X_OK) != 0)
    return FailedPrecondition("no Chromium to print the PDF with: install Debian's chromium or set PATRON_CHROMIUM");
  std::error_code ec;
  const std::string html_abs = std::filesystem::absolute(html_path, ec).string();
  const std::string profile = (std::filesystem::temp_directory_path() /
                               ("patron-pdf-" + std::to_string(getpid()) + "-" + std::to_string(rand())))
                                  .string();
  const std::string out_arg = "--print-to-pdf=" + pdf_path;
  const std::string profile_arg = "--user-data-dir=" + profile;
  const std::string url = "file://" + html_abs;
  pid_t pid = fork();
  if (pid < 0) return IoError("cannot start chromium");
  if (pid == 0) {
    // Chromium's chatter goes nowhere; the PDF's existence is the answer.
    FILE* null = std::fopen("/dev/null", "w");
    if (null) {
      dup2(fileno(null), 1);
      dup2(fileno(null), 2);
    }
    execl(chromium.c_str(), chromium.c_str(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
          "--disable-background-networking", "--no-pdf-header-footer", profile_arg.c_str(), out_arg.c_str(),
          url.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  std::filesystem::remove_all(profile, ec);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !std::filesystem::exists(pdf_path))
    return Internal("chromium did not print '" + html_path + "' to '" + pdf_path + "'");
  return Status::Ok();
}

Status EmailReport(const WeeklyReport& report, const std::string& smtp_url, const std::string& from,
                   const std::string& to, const Clock& clock) {
  std::string url = smtp_url;
  if (url.empty())
    if (const char* env = std::getenv("PATRON_SMTP_URL")) url = env;
  if (url.empty()) return FailedPrecondition("no SMTP server: set PATRON_SMTP_URL (smtp://host:port)");
  ASSIGN_OR_RETURN(deliver::SmtpServerConfig config, deliver::ParseSmtpUrl(url));
  ASSIGN_OR_RETURN(auto sender, deliver::SmtpSender::Create(config));
  deliver::EmailMessage m;
  m.from = {from, "Patron"};
  m.to = {to, ""};
  m.subject = report.subject;
  m.text_body = report.text;
  m.html_body = report.html;
  deliver::ComposeOptions co;
  co.clock = &clock;
  ASSIGN_OR_RETURN(deliver::ComposedEmail composed, deliver::ComposeEmail(m, co));
  deliver::DeliveryOutcome outcome = sender->Send({from, to, composed.data, 0});
  if (outcome.kind != deliver::DeliveryKind::kAccepted)
    return Unavailable("the SMTP server did not accept the report: " + std::to_string(outcome.smtp_code) + " " +
                       outcome.server_text);
  return Status::Ok();
}

}  // namespace patron::report
