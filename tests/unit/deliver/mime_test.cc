// Email composition: what a mail reader sees (checked with Python's email
// package, an independent MIME parser), the RFC limits on lines and
// encoded-words, and refusals of header injection and bad input.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "deliver/deliver.h"
#include "test_util.h"

namespace patron::deliver {
namespace {

using testing::RunPython;
using testing::TempDir;
using testing::WriteFile;

const char* kPersianSubject =
    "تخفیف ویژهٔ نوروز برای شما، سارا رضایی — فقط تا پایان هفته! ۲۰٪ روی همهٔ "
    "گوشی‌ها";
const char* kPersianText =
    "سلام سارا،\n\nبه مناسبت نوروز، ۲۰٪ تخفیف روی همهٔ گوشی‌ها و لوازم جانبی "
    "داریم.\nبا "
    "احترام،\nفروشگاه\n";
const char* kHtml =
    "<!doctype html><html lang=\"fa\" dir=\"rtl\"><body><p>سلام سارا،</p>"
    "<p><a href=\"https://shop.example.com/r/abc\">خرید</a></p></body></html>\n";

EmailMessage PersianMessage() {
  EmailMessage m;
  m.from = {"news@shop.example.com", "فروشگاه نمونه"};
  m.to = {"sara.rezaei@example.org", "سارا رضایی"};
  m.reply_to = Mailbox{"support@shop.example.com", "Support \"Team\""};
  m.subject = kPersianSubject;
  m.text_body = kPersianText;
  m.html_body = kHtml;
  m.extra_headers = {{"X-Patron-Campaign", "42"}, {"X-Patron-Note", "کمپین نوروز"}};
  m.list_unsubscribe_url =
      "https://shop.example.com/u/" + SignToken(std::string(32, 'k'), "c42:p7");
  m.list_unsubscribe_mailto = "unsubscribe@shop.example.com";
  return m;
}

// What Python's email package (policy=default) makes of a message.
nlohmann::json ParseWithPython(const std::string& message) {
  TempDir dir;
  WriteFile(dir.path() / "m.eml", message);
  static const char* kScript = R"PY(
import email, email.policy, json, sys
with open(sys.argv[1], 'rb') as f:
    msg = email.message_from_binary_file(f, policy=email.policy.default)
out = {'defects': [type(d).__name__ for d in msg.defects], 'headers': {}, 'parts': []}
for k in msg.keys():
    out['headers'][k.lower()] = str(msg[k])
out['from_name'] = msg['From'].addresses[0].display_name
out['from_addr'] = msg['From'].addresses[0].addr_spec
out['to_name'] = msg['To'].addresses[0].display_name
out['reply_to_name'] = msg['Reply-To'].addresses[0].display_name if msg['Reply-To'] else ''
for part in msg.walk():
    if part.is_multipart():
        continue
    out['parts'].append({'type': part.get_content_type(), 'charset': part.get_content_charset(),
                         'cte': part['Content-Transfer-Encoding'], 'content': part.get_content(),
                         'defects': [type(d).__name__ for d in part.defects]})
print(json.dumps(out))
)PY";
  auto r = RunPython(dir.path(), kScript, {(dir.path() / "m.eml").string()});
  EXPECT_EQ(r.exit_code, 0) << r.out;
  return nlohmann::json::parse(r.out, nullptr, false);
}

std::vector<std::string> Lines(const std::string& data) {
  std::vector<std::string> lines;
  size_t pos = 0;
  while (pos < data.size()) {
    size_t nl = data.find("\r\n", pos);
    if (nl == std::string::npos) nl = data.size();
    lines.push_back(data.substr(pos, nl - pos));
    pos = nl + 2;
  }
  return lines;
}

TEST(Compose, PersianMessageReadsBackExactlyInAMailReader) {
  ManualClock clock(Instant::FromSeconds(1'774'000'000));  // 2026-03-20, Nowruz
  ComposeOptions options;
  options.clock = &clock;
  options.message_id_domain = "mail.shop.example.com";
  auto composed = ComposeEmail(PersianMessage(), options);
  ASSERT_TRUE(composed.ok()) << composed.status().ToString();
  const std::string& data = composed->data;

  auto parsed = ParseWithPython(data);
  ASSERT_FALSE(parsed.is_discarded());
  EXPECT_TRUE(parsed["defects"].empty()) << parsed["defects"].dump();
  EXPECT_EQ(parsed["headers"]["subject"], kPersianSubject);
  EXPECT_EQ(parsed["from_name"], "فروشگاه نمونه");
  EXPECT_EQ(parsed["from_addr"], "news@shop.example.com");
  EXPECT_EQ(parsed["to_name"], "سارا رضایی");
  EXPECT_EQ(parsed["reply_to_name"], "Support \"Team\"");
  EXPECT_EQ(parsed["headers"]["date"], "Fri, 20 Mar 2026 09:46:40 +0000");
  EXPECT_EQ(parsed["headers"]["message-id"], composed->message_id);
  EXPECT_EQ(parsed["headers"]["mime-version"], "1.0");
  EXPECT_EQ(parsed["headers"]["x-patron-campaign"], "42");
  EXPECT_EQ(parsed["headers"]["x-patron-note"], "کمپین نوروز");
  EXPECT_EQ(parsed["headers"]["list-unsubscribe-post"], "List-Unsubscribe=One-Click");
  std::string lu = parsed["headers"]["list-unsubscribe"];
  EXPECT_EQ(
      lu, "<" + PersianMessage().list_unsubscribe_url + ">, <mailto:unsubscribe@shop.example.com>");

  ASSERT_EQ(parsed["parts"].size(), 2u);
  EXPECT_EQ(parsed["parts"][0]["type"], "text/plain");
  EXPECT_EQ(parsed["parts"][0]["charset"], "utf-8");
  // Persian is shorter in base64 than in quoted-printable.
  EXPECT_EQ(parsed["parts"][0]["cte"], "base64");
  EXPECT_EQ(parsed["parts"][0]["content"], kPersianText);
  EXPECT_EQ(parsed["parts"][1]["type"], "text/html");
  EXPECT_EQ(parsed["parts"][1]["content"], kHtml);
  for (const auto& part : parsed["parts"]) EXPECT_TRUE(part["defects"].empty()) << part.dump();

  // The lines are CRLF-terminated (no bare CR or LF) and at most 76 characters.
  for (size_t i = 0; i < data.size(); ++i) {
    if (data[i] == '\n') {
      ASSERT_TRUE(i > 0 && data[i - 1] == '\r') << "bare LF at " << i;
    }
    if (data[i] == '\r') {
      ASSERT_TRUE(i + 1 < data.size() && data[i + 1] == '\n') << "bare CR at " << i;
    }
  }
  for (const std::string& line : Lines(data)) {
    if (line.rfind("List-Unsubscribe: ", 0) == 0) continue;  // the URL is as long as it is
    EXPECT_LE(line.size(), 76u) << line;
  }
  // Every encoded-word is at most 75 characters and decodes to whole characters.
  int words = 0;
  for (size_t at = data.find("=?UTF-8?B?"); at != std::string::npos;
       at = data.find("=?UTF-8?B?", at + 1)) {
    ++words;
    std::string word = data.substr(at, data.find("?=", at + 10) + 2 - at);
    EXPECT_LE(word.size(), 75u);
    auto decoded = DecodeHeaderWords(word);
    ASSERT_TRUE(decoded.ok()) << word;
    EXPECT_TRUE(IsValidUtf8(*decoded)) << word;
  }
  EXPECT_GT(words, 4);
}

TEST(Compose, AsciiAndSwedishBodiesAreQuotedPrintableAndSingleParts) {
  EmailMessage m;
  m.from = {"news@shop.example.com", "Shop, Inc."};
  m.to = {"anna@example.se", ""};
  m.subject = "Välkommen tillbaka, Anna";
  m.text_body = std::string("Hej Anna!\nHär är dina erbjudanden. ") + std::string(120, 'x') +
                "\n.a line starting with a dot\nFrom the shop  \n";
  auto composed = ComposeEmail(m);
  ASSERT_TRUE(composed.ok()) << composed.status().ToString();
  auto parsed = ParseWithPython(composed->data);
  EXPECT_EQ(parsed["headers"]["subject"], "Välkommen tillbaka, Anna");
  EXPECT_EQ(parsed["from_name"], "Shop, Inc.");
  EXPECT_EQ(parsed["headers"]["to"], "anna@example.se");
  ASSERT_EQ(parsed["parts"].size(), 1u);
  EXPECT_EQ(parsed["parts"][0]["type"], "text/plain");
  EXPECT_EQ(parsed["parts"][0]["cte"], "quoted-printable");
  EXPECT_EQ(parsed["parts"][0]["content"], m.text_body);
  EXPECT_EQ(composed->data.find("List-Unsubscribe"), std::string::npos);
  EXPECT_NE(composed->data.find("\"Shop, Inc.\" <news@shop.example.com>"), std::string::npos);
  for (const std::string& line : Lines(composed->data)) EXPECT_LE(line.size(), 76u) << line;
}

TEST(Compose, MessageIdsAreUniqueAndUseTheConfiguredDomain) {
  EmailMessage m;
  m.from = {"news@shop.example.com", ""};
  m.to = {"a@example.org", ""};
  m.subject = "x";
  m.text_body = "y";
  std::set<std::string> ids;
  for (int i = 0; i < 500; ++i) {
    auto c = ComposeEmail(m);
    ASSERT_TRUE(c.ok());
    const std::string& id = c->message_id;
    ASSERT_EQ(id.size(), 1 + 32 + 1 + std::string("shop.example.com>").size()) << id;
    EXPECT_EQ(id.front(), '<');
    EXPECT_EQ(id.substr(33), "@shop.example.com>");
    EXPECT_EQ(id.substr(1, 32).find_first_not_of("0123456789abcdef"), std::string::npos) << id;
    ids.insert(c->message_id);
  }
  EXPECT_EQ(ids.size(), 500u);
}

TEST(Compose, RefusesHeaderInjectionAndBadInputNamingTheField) {
  auto expect_refused = [](EmailMessage m, const std::string& mention) {
    auto c = ComposeEmail(m);
    ASSERT_FALSE(c.ok()) << "accepted; expected a refusal mentioning " << mention;
    EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(c.status().message().find(mention), std::string::npos) << c.status().message();
  };
  EmailMessage base;
  base.from = {"news@shop.example.com", "Shop"};
  base.to = {"a@example.org", ""};
  base.subject = "Hello";
  base.text_body = "Body";
  ASSERT_TRUE(ComposeEmail(base).ok());

  EmailMessage m = base;
  m.subject = "Hello\r\nBcc: victim@example.com";
  expect_refused(m, "subject contains a line break");
  m = base;
  m.subject = "Hello\nBcc: victim@example.com";
  expect_refused(m, "subject");
  m = base;
  m.from.display_name = "Shop\r\nBcc: x@example.com";
  expect_refused(m, "from display name");
  m = base;
  m.to.address = "a@example.org\r\nRCPT TO:<x@example.com>";
  expect_refused(m, "to: the address contains a line break");
  m = base;
  m.to.address = "a@example.org>, <b@example.com";
  expect_refused(m, "to:");
  m = base;
  m.to.address = "sara@ایمیل.ir";
  expect_refused(m, "xn--");
  m = base;
  m.to.address = "no-at-sign.example.org";
  expect_refused(m, "no '@'");
  m = base;
  m.extra_headers = {{"X-Tag", "a\r\nBcc: x@example.com"}};
  expect_refused(m, "extra header X-Tag");
  m = base;
  m.extra_headers = {{"Bcc", "x@example.com"}};
  expect_refused(m, "written by Patron");
  m = base;
  m.extra_headers = {{"X Bad", "v"}};
  expect_refused(m, "not a header field name");
  m = base;
  m.subject = "bad \xff\xfe utf-8";
  expect_refused(m, "subject is not valid UTF-8");
  m = base;
  m.text_body = "ok\xc3";
  expect_refused(m, "text_body is not valid UTF-8");
  m = base;
  m.list_unsubscribe_url = "http://shop.example.com/u/1";
  expect_refused(m, "https");
  m = base;
  m.list_unsubscribe_url = "https://shop.example.com/u/1>\r\nBcc: x";
  expect_refused(m, "list_unsubscribe_url");
  m = base;
  m.text_body.clear();
  expect_refused(m, "neither a text nor an html body");
}

TEST(Compose, EncodedWordsRoundTripAcrossCharacterBoundaries) {
  // Mixed scripts, 4-byte emoji and long runs: every split stays on a character boundary.
  std::vector<std::string> samples = {
      "سلام",
      "مرحبا بكم في متجرنا — عرض خاص لفترة محدودة فقط، لا تفوّتوا الفرصة",
      std::string(200, 'a') + "é",
      "🎉🎁🎉🎁🎉🎁🎉🎁🎉🎁🎉🎁🎉🎁🎉🎁🎉🎁🎉🎁🎉🎁🎉🎁",
      "Ärligt talat: =?UTF-8?B?not-a-word?= stays literal",
      std::string(2000, 'z') + " end"};
  for (const std::string& s : samples) {
    std::string encoded = EncodeHeaderWords(s, 7);
    auto decoded = DecodeHeaderWords(encoded);
    ASSERT_TRUE(decoded.ok()) << encoded;
    EXPECT_EQ(*decoded, s) << encoded;
    size_t used = 9;  // "Subject: "
    for (const std::string& line : Lines(encoded)) {
      EXPECT_LE(line.size() + used, 78u) << encoded;
      used = 0;
    }
  }
  // Decoding what other mailers write: Q encoding, and adjacent words joined.
  EXPECT_EQ(*DecodeHeaderWords("=?utf-8?q?V=C3=A4lkommen_Anna?="), "Välkommen Anna");
  EXPECT_EQ(*DecodeHeaderWords("=?UTF-8?B?2LPZhNin2YU=?= =?UTF-8?B?2LPZhNin2YU=?="), "سلامسلام");
  EXPECT_FALSE(DecodeHeaderWords("=?iso-2022-jp?B?GyRC?=").ok());
}

TEST(Compose, QuotedPrintableKeepsLinesShortAndDecodesBack) {
  std::string text = std::string(300, '=') + "\nend with space \n\ttab\n";
  std::string qp = EncodeQuotedPrintable(text);
  for (const std::string& line : Lines(qp)) EXPECT_LE(line.size(), 76u);
  TempDir dir;
  WriteFile(dir.path() / "qp", qp);
  auto r = RunPython(
      dir.path(),
      "import "
      "quopri,sys\nsys.stdout.buffer.write(quopri.decodestring(open(sys.argv[1],'rb').read()))",
      {(dir.path() / "qp").string()});
  ASSERT_EQ(r.exit_code, 0);
  std::string expected;
  for (char c : text) expected += c == '\n' ? std::string("\r\n") : std::string(1, c);
  EXPECT_EQ(r.out, expected);
  EXPECT_NE(qp.find("space=20\r\n"), std::string::npos) << "trailing space must be encoded";
}

TEST(Tokens, SignedTokensVerifyAndRejectTampering) {
  std::string key(32, 'k');
  std::string token = SignToken(key, "campaign=42&person=7");
  EXPECT_EQ(token.find_first_of("+/= "), std::string::npos) << token;
  auto payload = VerifyToken(key, token);
  ASSERT_TRUE(payload.ok());
  EXPECT_EQ(*payload, "campaign=42&person=7");
  std::string other = SignToken(key, "campaign=42&person=8");
  std::string forged = token.substr(0, token.find('.')) + other.substr(other.find('.'));
  EXPECT_EQ(VerifyToken(key, forged).status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(VerifyToken(std::string(32, 'x'), token).status().code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(VerifyToken(key, "garbage").status().code(), StatusCode::kInvalidArgument);
}

TEST(Retry, DelaysDoubleFromAMinuteUpToSixHoursWithJitter) {
  EXPECT_EQ(RetryDelayRange(1).second, std::chrono::seconds(60));
  EXPECT_EQ(RetryDelayRange(2).second, std::chrono::seconds(120));
  EXPECT_EQ(RetryDelayRange(5).second, std::chrono::seconds(960));
  EXPECT_EQ(RetryDelayRange(20).second, std::chrono::hours(6));
  EXPECT_EQ(RetryDelayRange(1).first, std::chrono::seconds(48));
  std::set<int64_t> seen;
  for (int i = 0; i < 200; ++i) {
    auto d = RetryDelay(3);
    EXPECT_GE(d, RetryDelayRange(3).first);
    EXPECT_LE(d, RetryDelayRange(3).second);
    seen.insert(d.count());
  }
  EXPECT_GT(seen.size(), 5u) << "jitter spreads retries";
  EXPECT_GE(kMaxDeliveryAttempts, 5);
}

}  // namespace
}  // namespace patron::deliver

namespace patron::deliver {
namespace {

TEST(Tracking, LinksAreRewrittenAndThePixelAdded) {
  std::string html =
      "<html dir=\"rtl\"><body>"
      "<a href=\"https://shop.example.com/p?id=1&amp;c=2\">گوشی</a> "
      "<A class='x' HREF='http://shop.example.com/b'>b</A> "
      "<a href=https://shop.example.com/c title=\"a > b\">c</a> "
      "<a href=\"mailto:support@shop.example.com\">mail</a> "
      "<a href=\"#top\">top</a> <abbr title=\"href=https://x.example\">x</abbr> "
      "<a data-href=\"https://no.example\" "
      "href=\"https://shop.example.com/u/TOKEN\">unsubscribe</a>"
      "</BODY></html>";
  std::vector<std::string> seen;
  std::string out = AddTracking(
      html,
      [&](std::string_view url, int index) -> std::string {
        seen.emplace_back(url);
        if (url.find("/u/") != std::string_view::npos) return "";  // the unsubscribe link stays
        return "https://t.example.com/c/" + std::to_string(index) + "?sig=a&b=\"";
      },
      "https://t.example.com/o/abc?x=1&y=2");
  EXPECT_EQ(seen, (std::vector<std::string>{
                      "https://shop.example.com/p?id=1&c=2", "http://shop.example.com/b",
                      "https://shop.example.com/c", "https://shop.example.com/u/TOKEN"}));
  EXPECT_EQ(
      out,
      "<html dir=\"rtl\"><body>"
      "<a href=\"https://t.example.com/c/0?sig=a&amp;b=&quot;\">گوشی</a> "
      "<A class='x' HREF='https://t.example.com/c/1?sig=a&amp;b=&quot;'>b</A> "
      "<a href=\"https://t.example.com/c/2?sig=a&amp;b=&quot;\" title=\"a > b\">c</a> "
      "<a href=\"mailto:support@shop.example.com\">mail</a> "
      "<a href=\"#top\">top</a> <abbr title=\"href=https://x.example\">x</abbr> "
      "<a data-href=\"https://no.example\" "
      "href=\"https://shop.example.com/u/TOKEN\">unsubscribe</a>"
      "<img src=\"https://t.example.com/o/abc?x=1&amp;y=2\" width=\"1\" height=\"1\" alt=\"\" "
      "style=\"display:block;border:0;width:1px;height:1px\"></BODY></html>");
  // Without a body element the pixel goes at the end; without a pixel URL nothing is added.
  EXPECT_EQ(AddTracking(
                "<p>x</p>", [](std::string_view, int) { return std::string(); }, "https://t/o"),
            "<p>x</p><img src=\"https://t/o\" width=\"1\" height=\"1\" alt=\"\" "
            "style=\"display:block;border:0;width:1px;height:1px\">");
  EXPECT_EQ(AddTracking(
                "<p>x</p>", [](std::string_view, int) { return std::string(); }, ""),
            "<p>x</p>");
}

}  // namespace
}  // namespace patron::deliver
