// Journeys shipped with Patron. Each template is a journey spec plus the
// campaigns its send steps use as message definitions (drafts named
// "<journey> · <step>"), in English with a Persian variant where the
// occasion is Iranian.
#include <nlohmann/json.hpp>

#include "campaign/campaign.h"
#include "journey/journey.h"
#include "journey/journey_internal.h"
#include "store/store.h"

namespace patron::journey {

using nlohmann::ordered_json;

namespace {

// Nobody: a send step's campaign is a message definition and SendOne ignores
// its audience; should someone prepare and send the campaign itself, it
// reaches no one instead of every customer.
constexpr const char* kNobody = "lifecycle_stage is missing and lifecycle_stage is not missing";

struct Message {
  std::string step, subject, text, subject_fa, text_fa;
  std::string purpose = "marketing";
};

struct Template {
  TemplateInfo info;
  ordered_json spec;  // without campaigns; send steps name their step id as "campaign"
  std::vector<Message> messages;
};

std::vector<Template> All() {
  std::vector<Template> out;
  out.push_back(
      {{"post_purchase", "Post-purchase sequence",
        "A thank-you a week after a purchase, a new offer after five weeks, and a call with a special discount after "
        "ten weeks when the customer has not responded (R21)."},
       {{"trigger", {{"kind", "purchase"}}},
        {"steps",
         {{{"id", "wait_1w"}, {"kind", "wait"}, {"duration", "1w"}, {"until_time", "10:00"}},
          {{"id", "thank_you"}, {"kind", "send"}, {"campaign", "thank_you"}},
          {{"id", "wait_5w"}, {"kind", "wait"}, {"duration", "4w"}, {"until_time", "10:00"}},
          {{"id", "new_offer"}, {"kind", "send"}, {"campaign", "new_offer"}},
          {{"id", "wait_10w"}, {"kind", "wait"}, {"duration", "5w"}, {"until_time", "10:00"}},
          {{"id", "responded"}, {"kind", "branch"}, {"response", "clicked"}, {"then", "end"}, {"else", "bought_again"}},
          {{"id", "bought_again"}, {"kind", "branch"}, {"response", "purchased"}, {"then", "end"}, {"else", "call"}},
          {{"id", "call"},
           {"kind", "call_task"},
           {"discount_percent", 15},
           {"note", "No response to the thank-you and the offer: call with a 15 % discount on the next order."}}}},
        {"reentry", "after_exit"},
        {"frequency_cap", {{"messages", 2}, {"days", 30}}},
        {"catch_up", {{"policy", "run_late"}, {"stale_after_hours", 72}}}},
       {{"thank_you", "Thank you for your order, {{name}}",
         "Dear {{name}},\n\nthank you for shopping with us. We hope you enjoy your purchase.",
         "از خرید شما سپاسگزاریم", "{{name}} گرامی،\n\nاز خرید شما سپاسگزاریم. امیدواریم از آن لذت ببرید."},
        {"new_offer", "Something new for you, {{name}}",
         "Dear {{name}},\n\nwe picked something new for you. Your code: {{coupon}}", "پیشنهادی تازه برای شما",
         "{{name}} گرامی،\n\nپیشنهادی تازه برای شما داریم. کد شما: {{coupon}}"}}});
  out.push_back(
      {{"welcome", "Welcome series",
        "A welcome on sign-up, tips two days later, and a first-order offer after a week unless they bought."},
       {{"trigger", {{"kind", "event"}, {"event_type", "newsletter_signup"}}},
        {"steps",
         {{{"id", "welcome"}, {"kind", "send"}, {"campaign", "welcome"}},
          {{"id", "wait_2d"}, {"kind", "wait"}, {"duration", "2d"}, {"until_time", "10:00"}},
          {{"id", "tips"}, {"kind", "send"}, {"campaign", "tips"}},
          {{"id", "wait_5d"}, {"kind", "wait"}, {"duration", "5d"}},
          {{"id", "bought"}, {"kind", "branch"}, {"response", "purchased"}, {"then", "end"}, {"else", "first_order"}},
          {{"id", "first_order"}, {"kind", "send"}, {"campaign", "first_order"}}}},
        {"reentry", "never"},
        {"exit", {{"goal_event", "purchase"}, {"unsubscribed", true}}}},
       {{"welcome", "Welcome, {{name}}", "Welcome to Patron Demo Store, {{name}}!", "خوش آمدید",
         "{{name}} عزیز، به فروشگاه خوش آمدید!"},
        {"tips", "Getting the most out of your account", "Three things our customers love: ...", "", ""},
        {"first_order", "10 % off your first order", "Your code for 10 % off: {{coupon}}", "۱۰٪ تخفیف اولین خرید",
         "کد تخفیف شما: {{coupon}}"}}});
  out.push_back({{"birthday", "Birthday",
                  "A birthday greeting with a gift code on the customer's birthday at 09:00 in their own time zone."},
                 {{"trigger", {{"kind", "date_attribute"}, {"attribute", "birth_date"}, {"local_time", "09:00"}}},
                  {"steps",
                   {{{"id", "greeting"}, {"kind", "send"}, {"campaign", "greeting"}},
                    {{"id", "tag"}, {"kind", "add_tag"}, {"tag", "birthday_greeted"}}}},
                  {"reentry", "after_days"},
                  {"reentry_days", 300},
                  {"catch_up", {{"policy", "skip_if_stale"}, {"stale_after_hours", 12}}}},
                 {{"greeting", "Happy birthday, {{name}}!", "Happy birthday! A gift from us: {{coupon}}",
                   "تولدتان مبارک!", "{{name}} عزیز، تولدتان مبارک! هدیه ما: {{coupon}}"}}});
  out.push_back(
      {{"reengagement", "Re-engagement of lapsed customers",
        "Customers who have not ordered for 180 days get a we-miss-you message, then a reminder two weeks later "
        "unless they came back; the rest are tagged lapsed."},
       {{"trigger", {{"kind", "segment_enter"}, {"segment", "ordered() and not ordered(within 180 days)"}}},
        {"steps",
         {{{"id", "miss_you"}, {"kind", "send"}, {"campaign", "miss_you"}},
          {{"id", "wait_2w"}, {"kind", "wait"}, {"duration", "2w"}, {"until_time", "11:00"}},
          {{"id", "came_back"}, {"kind", "branch"}, {"response", "purchased"}, {"then", "end"}, {"else", "reminder"}},
          {{"id", "reminder"}, {"kind", "send"}, {"campaign", "reminder"}},
          {{"id", "tag_lapsed"}, {"kind", "add_tag"}, {"tag", "lapsed"}}}},
        {"reentry", "after_days"},
        {"reentry_days", 365},
        {"exit", {{"goal_event", "purchase"}, {"unsubscribed", true}}}},
       {{"miss_you", "We miss you, {{name}}", "It has been a while. Here is 15 % off: {{coupon}}", "دلمان برایتان تنگ شده",
         "مدتی است ما را ندیده‌اید. ۱۵٪ تخفیف: {{coupon}}"},
        {"reminder", "Your code is still waiting", "Your 15 % code {{coupon}} is still valid.", "", ""}}});
  out.push_back(
      {{"abandoned_cart", "Abandoned cart",
        "A reminder an hour after a cart is abandoned and a second one a day later; ordering ends the journey."},
       {{"trigger", {{"kind", "event"}, {"event_type", "cart_abandoned"}}},
        {"steps",
         {{{"id", "wait_1h"}, {"kind", "wait"}, {"duration", "1h"}},
          {{"id", "reminder"}, {"kind", "send"}, {"campaign", "reminder"}},
          {{"id", "wait_1d"}, {"kind", "wait"}, {"duration", "1d"}},
          {{"id", "second_reminder"}, {"kind", "send"}, {"campaign", "second_reminder"}}}},
        {"reentry", "after_days"},
        {"reentry_days", 7},
        {"exit", {{"goal_event", "purchase"}, {"unsubscribed", true}}}},
       {{"reminder", "You left something in your cart", "Your cart is waiting for you, {{name}}.", "سبد خرید شما منتظر است",
         "{{name}} عزیز، سبد خرید شما منتظر شماست."},
        {"second_reminder", "Still thinking it over?", "Your cart is still saved. Code for free shipping: {{coupon}}", "",
         ""}}});
  out.push_back(
      {{"back_to_school", "Back to school (1 Mehr)",
        "Ten days before 1 Mehr (the Iranian school year starts) customers in Iran hear about school supplies."},
       {{"trigger",
         {{"kind", "calendar_date"}, {"calendar", "persian"}, {"month", 7}, {"day", 1}, {"offset_days", -10},
          {"local_time", "10:00"}, {"segment", "country = \"IR\""}}},
        {"steps", {{{"id", "school_offer"}, {"kind", "send"}, {"campaign", "school_offer"}}}},
        {"reentry", "after_days"},
        {"reentry_days", 300}},
       {{"school_offer", "Back to school", "Everything for the new school year. Code: {{coupon}}", "بازگشایی مدارس",
         "همه چیز برای سال تحصیلی جدید. کد تخفیف: {{coupon}}"}}});
  out.push_back(
      {{"nowruz", "Nowruz greeting (holiday reminder)",
        "A Nowruz greeting and gift code three days before 1 Farvardin, at 10:00 local time."},
       {{"trigger",
         {{"kind", "calendar_date"}, {"calendar", "persian"}, {"month", 1}, {"day", 1}, {"offset_days", -3},
          {"local_time", "10:00"}}},
        {"steps", {{{"id", "greeting"}, {"kind", "send"}, {"campaign", "greeting"}}}},
        {"reentry", "after_days"},
        {"reentry_days", 300}},
       {{"greeting", "Happy Nowruz, {{name}}", "Happy Nowruz! A gift for the new year: {{coupon}}", "نوروزتان پیروز",
         "{{name}} عزیز، نوروزتان پیروز! هدیه سال نو: {{coupon}}"}}});
  out.push_back(
      {{"ramadan", "Ramadan reminder (holiday reminder)",
        "A Ramadan greeting on 1 Ramadan (Umm al-Qura) at 19:00 local time, for customers in Arabic-speaking countries."},
       {{"trigger",
         {{"kind", "calendar_date"}, {"calendar", "islamic-umalqura"}, {"month", 9}, {"day", 1},
          {"local_time", "19:00"}, {"segment", "language = \"ar\""}}},
        {"steps", {{{"id", "greeting"}, {"kind", "send"}, {"campaign", "greeting"}}}},
        {"reentry", "after_days"},
        {"reentry_days", 300}},
       {{"greeting", "Ramadan Kareem, {{name}}", "Ramadan Kareem from all of us.", "", ""}}});
  return out;
}

std::string CampaignName(const std::string& journey, const std::string& step) { return journey + " · " + step; }

}  // namespace

std::vector<TemplateInfo> Templates() {
  std::vector<TemplateInfo> out;
  for (const Template& t : All()) out.push_back(t.info);
  return out;
}

namespace {

Result<ordered_json> Build(std::string_view name, const TemplateOptions& options) {
  for (const Template& t : All()) {
    if (t.info.name != name) continue;
    std::string journey = options.journey_name.empty() ? t.info.name : options.journey_name;
    ordered_json spec = {{"name", journey}, {"description", t.info.description}};
    for (auto& [k, v] : t.spec.items()) spec[k] = v;
    for (auto& step : spec["steps"])
      if (step["kind"] == "send") step["campaign"] = CampaignName(journey, step["campaign"].get<std::string>());
    ordered_json campaigns = ordered_json::array();
    for (const Message& m : t.messages) {
      ordered_json contents = ordered_json::array();
      contents.push_back({{"subject", m.subject}, {"text", m.text}});
      if (!m.text_fa.empty()) contents.push_back({{"language", "fa"}, {"subject", m.subject_fa}, {"text", m.text_fa}});
      campaigns.push_back({{"name", CampaignName(journey, m.step)},
                           {"channel", "email"},
                           {"purpose", m.purpose},
                           {"audience", kNobody},
                           {"from_address", options.from_address},
                           {"from_name", options.from_name},
                           {"contents", contents}});
    }
    spec["campaigns"] = campaigns;
    return spec;
  }
  std::string names;
  for (const Template& t : All()) names += (names.empty() ? "" : ", ") + t.info.name;
  return NotFound("no template \"" + std::string(name) + "\" (templates: " + names + ")");
}

}  // namespace

Result<std::string> TemplateJson(std::string_view name) {
  ASSIGN_OR_RETURN(ordered_json spec, Build(name, TemplateOptions{}));
  return spec.dump(2);
}

Result<Journey> CreateFromTemplate(Database& db, std::string_view template_name, const TemplateOptions& options,
                                   std::string_view actor, const Clock& clock) {
  ASSIGN_OR_RETURN(ordered_json spec, Build(template_name, options));
  return CreateJourneyFromJson(db, spec.dump(), actor, clock);
}

}  // namespace patron::journey
