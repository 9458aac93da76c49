// RFC 5322 / MIME composition of campaign emails.
#include <sodium.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <mutex>

#include "deliver/deliver.h"
#include "deliver/deliver_internal.h"

namespace patron::deliver {

namespace internal {

void EnsureSodium() {
  static std::once_flag once;
  std::call_once(once, [] {
    // sodium_init fails only when the system has no randomness source.
    if (sodium_init() < 0) std::abort();
  });
}

std::string Base64(std::string_view data) {
  std::string out(sodium_base64_encoded_len(data.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(data.data()),
                    data.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

std::string Base64Url(std::string_view data) {
  std::string out(sodium_base64_encoded_len(data.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                  '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(data.data()),
                    data.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(out.size() - 1);
  return out;
}

bool DecodeBase64(std::string_view text, std::string* out) {
  bool url = text.find_first_of("-_") != std::string_view::npos;
  std::string trimmed(text);
  while (!trimmed.empty() && trimmed.back() == '=') trimmed.pop_back();
  out->assign(trimmed.size() * 3 / 4 + 3, '\0');
  size_t len = 0;
  const char* end = nullptr;
  int variant =
      url ? sodium_base64_VARIANT_URLSAFE_NO_PADDING : sodium_base64_VARIANT_ORIGINAL_NO_PADDING;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out->data()), out->size(), trimmed.data(),
                        trimmed.size(), nullptr, &len, &end, variant) != 0 ||
      end != trimmed.data() + trimmed.size()) {
    return false;
  }
  out->resize(len);
  return true;
}

std::string RandomHex(size_t bytes) {
  EnsureSodium();
  std::string raw(bytes, '\0');
  randombytes_buf(raw.data(), raw.size());
  std::string hex(bytes * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), reinterpret_cast<const unsigned char*>(raw.data()),
                 raw.size());
  hex.pop_back();
  return hex;
}

std::string Rfc5322Date(int64_t unix_seconds) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", kDays[tm.tm_wday],
                tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

std::string_view TrimWsp(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace internal

namespace {

using internal::Base64;

constexpr size_t kMaxLine = 76;

bool IsAtext(unsigned char c) {
  return std::isalnum(c) || std::string_view("!#$%&'*+-/=?^_`{|}~").find(static_cast<char>(c)) !=
                                std::string_view::npos;
}

bool IsPrintableAscii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}

Status ValidateDomain(std::string_view domain, std::string_view what) {
  if (domain.empty() || domain.size() > 253) {
    return InvalidArgument(std::string(what) + ": the domain must have 1 to 253 characters");
  }
  if (domain.find('.') == std::string_view::npos) {
    return InvalidArgument(std::string(what) + ": the domain '" + std::string(domain) +
                           "' has no dot");
  }
  size_t start = 0;
  while (start <= domain.size()) {
    size_t dot = domain.find('.', start);
    if (dot == std::string_view::npos) dot = domain.size();
    std::string_view label = domain.substr(start, dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-' ||
        !std::all_of(label.begin(), label.end(), [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) || c == '-';
        })) {
      return InvalidArgument(
          std::string(what) + ": '" + std::string(domain) +
          "' is not a domain name (letters, digits and hyphens; IDN in xn-- form)");
    }
    start = dot + 1;
  }
  return Status::Ok();
}

}  // namespace

Status ValidateEmailAddress(std::string_view address) {
  if (address.empty()) return InvalidArgument("the address is empty");
  if (address.size() > 254) return InvalidArgument("the address is longer than 254 characters");
  for (char c : address) {
    if (c == '\r' || c == '\n') return InvalidArgument("the address contains a line break");
    if (static_cast<unsigned char>(c) >= 0x80) {
      return InvalidArgument("the address is not ASCII (write IDN domains in their xn-- form)");
    }
  }
  size_t at = address.rfind('@');
  if (at == std::string_view::npos) return InvalidArgument("the address has no '@'");
  std::string_view local = address.substr(0, at);
  if (local.empty() || local.size() > 64) {
    return InvalidArgument("the part before '@' must have 1 to 64 characters");
  }
  if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos) {
    return InvalidArgument("the part before '@' has a misplaced dot");
  }
  for (char c : local) {
    if (c != '.' && !IsAtext(static_cast<unsigned char>(c))) {
      return InvalidArgument(std::string("the part before '@' contains '") + c + "'");
    }
  }
  return ValidateDomain(address.substr(at + 1), "the address");
}

// ---------------------------------------------------------------------------
// Header encoding
// ---------------------------------------------------------------------------

namespace {

// Length of the UTF-8 sequence starting with lead byte `c` (1 for bad bytes).
size_t Utf8SequenceLength(unsigned char c) {
  if (c < 0x80) return 1;
  if ((c >> 5) == 0x6) return 2;
  if ((c >> 4) == 0xe) return 3;
  if ((c >> 3) == 0x1e) return 4;
  return 1;
}

// Folds printable ASCII text at spaces so lines stay within 78 characters where
// words allow; `used` is the length already on the first line.
std::string FoldAscii(std::string_view text, size_t used) {
  std::string out;
  size_t line = used;
  size_t pos = 0;
  bool first = true;
  while (pos < text.size()) {
    size_t space = text.find(' ', pos + 1);
    if (space == std::string_view::npos) space = text.size();
    std::string_view word =
        text.substr(pos, space - pos);  // begins with its space, except the first
    if (!first && line + word.size() > 78 && word.size() > 1 && word.front() == ' ') {
      out += "\r\n";
      line = 0;
    }
    out += word;
    line += word.size();
    first = false;
    pos = space;
  }
  return out;
}

// Non-ASCII text, text that looks like an encoded-word, and words too long to
// fold (a header line may not exceed 998 characters) become encoded-words.
bool NeedsEncoding(std::string_view text) {
  if (!IsPrintableAscii(text) || text.find("=?") != std::string_view::npos) return true;
  size_t run = 0;
  for (char c : text) {
    run = c == ' ' ? 0 : run + 1;
    if (run > 900) return true;
  }
  return false;
}

}  // namespace

std::string EncodeHeaderWords(std::string_view utf8, size_t header_name_length) {
  size_t used = header_name_length + 2;
  if (!NeedsEncoding(utf8)) return FoldAscii(utf8, used);
  // Encoded-words of at most 75 characters on lines of at most 76: each holds
  // whole UTF-8 characters, at most 45 bytes (60 base64 characters).
  static constexpr std::string_view kPrefix = "=?UTF-8?B?";
  static constexpr std::string_view kSuffix = "?=";
  std::string out;
  size_t pos = 0;
  while (pos < utf8.size()) {
    size_t room = kMaxLine - used - kPrefix.size() - kSuffix.size();
    size_t max_bytes = std::min<size_t>(45, room / 4 * 3);
    if (max_bytes < 4) {  // no room left on this line for a 4-byte character
      out += "\r\n ";
      used = 1;
      continue;
    }
    size_t end = pos;
    while (end < utf8.size()) {
      size_t n = Utf8SequenceLength(static_cast<unsigned char>(utf8[end]));
      if (end + n - pos > max_bytes) break;
      end += n;
    }
    std::string word =
        std::string(kPrefix) + Base64(utf8.substr(pos, end - pos)) + std::string(kSuffix);
    out += word;
    used += word.size();
    pos = end;
    if (pos < utf8.size()) {
      out += "\r\n ";
      used = 1;
    }
  }
  return out;
}

namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

Result<std::string> DecodeHeaderWords(std::string_view value) {
  std::string unfolded;
  for (size_t i = 0; i < value.size(); ++i) {
    if (value[i] == '\r' && i + 1 < value.size() && value[i + 1] == '\n') {
      ++i;
      continue;
    }
    if (value[i] == '\n') continue;
    unfolded += value[i];
  }
  std::string out;
  bool after_word = false;
  size_t pos = 0;
  while (pos < unfolded.size()) {
    size_t start = unfolded.find("=?", pos);
    std::string_view plain = std::string_view(unfolded).substr(
        pos, start == std::string::npos ? std::string::npos : start - pos);
    // Whitespace between two encoded-words is not part of the text (RFC 2047 6.2).
    if (!(after_word && internal::TrimWsp(plain).empty() && start != std::string::npos))
      out += plain;
    if (start == std::string::npos) break;
    // =?charset?enc?text?=
    size_t q1 = unfolded.find('?', start + 2);
    size_t q2 = q1 == std::string::npos ? q1 : unfolded.find('?', q1 + 1);
    size_t end = q2 == std::string::npos ? q2 : unfolded.find("?=", q2 + 1);
    if (end == std::string::npos) {
      out += unfolded.substr(start);
      break;
    }
    std::string charset = AsciiLower(unfolded.substr(start + 2, q1 - start - 2));
    if (size_t star = charset.find('*'); star != std::string::npos) charset.resize(star);
    char enc = static_cast<char>(std::toupper(static_cast<unsigned char>(unfolded[q1 + 1])));
    std::string_view text = std::string_view(unfolded).substr(q2 + 1, end - q2 - 1);
    if (charset != "utf-8" && charset != "us-ascii") {
      return InvalidArgument("encoded-word in unsupported charset '" + charset + "'");
    }
    std::string decoded;
    if (enc == 'B') {
      if (!internal::DecodeBase64(text, &decoded))
        return InvalidArgument("bad base64 in an encoded-word");
    } else if (enc == 'Q') {
      for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '_') {
          decoded += ' ';
        } else if (text[i] == '=' && i + 2 < text.size() && HexValue(text[i + 1]) >= 0 &&
                   HexValue(text[i + 2]) >= 0) {
          decoded += static_cast<char>(HexValue(text[i + 1]) * 16 + HexValue(text[i + 2]));
          i += 2;
        } else {
          decoded += text[i];
        }
      }
    } else {
      return InvalidArgument(std::string("unknown encoded-word encoding '") + enc + "'");
    }
    out += decoded;
    after_word = true;
    pos = end + 2;
  }
  if (!IsValidUtf8(out)) return InvalidArgument("encoded-words decode to invalid UTF-8");
  return out;
}

// ---------------------------------------------------------------------------
// Body encodings
// ---------------------------------------------------------------------------

std::string EncodeQuotedPrintable(std::string_view data) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(data.size() + data.size() / 8);
  size_t pos = 0;
  while (pos < data.size()) {
    size_t nl = data.find('\n', pos);
    bool has_break = nl != std::string_view::npos;
    std::string_view line = data.substr(pos, has_break ? nl - pos : std::string_view::npos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    pos = has_break ? nl + 1 : data.size();
    size_t used = 0;
    bool from_line = line.substr(0, 5) == "From ";
    for (size_t i = 0; i < line.size(); ++i) {
      unsigned char c = static_cast<unsigned char>(line[i]);
      bool last = i + 1 == line.size();
      bool literal = (c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !last);
      // A leading '.' (SMTP dot-stuffing) and "From " (mbox) are encoded for safety.
      if (i == 0 && (c == '.' || (from_line && c == 'F'))) literal = false;
      char token[3] = {static_cast<char>(c), 0, 0};
      size_t len = 1;
      if (!literal) {
        token[0] = '=';
        token[1] = kHex[c >> 4];
        token[2] = kHex[c & 15];
        len = 3;
      }
      // Keep room for the soft break '=' unless this is the line's last token.
      size_t limit = last ? kMaxLine : kMaxLine - 1;
      if (used + len > limit) {
        out += "=\r\n";
        used = 0;
      }
      out.append(token, len);
      used += len;
    }
    if (has_break) out += "\r\n";
  }
  return out;
}

std::string EncodeBase64Lines(std::string_view data) {
  std::string b64 = Base64(data);
  std::string out;
  out.reserve(b64.size() + b64.size() / kMaxLine * 2 + 2);
  for (size_t i = 0; i < b64.size(); i += kMaxLine) {
    out.append(b64, i, kMaxLine);
    out += "\r\n";
  }
  return out;
}

// ---------------------------------------------------------------------------
// Composition
// ---------------------------------------------------------------------------

namespace {

struct EncodedBody {
  std::string transfer_encoding;
  std::string content;  // ends with CRLF
};

EncodedBody EncodeBody(std::string_view text) {
  std::string qp = EncodeQuotedPrintable(text);
  if (qp.empty() || qp.size() <= text.size() * 4 / 3 + text.size() / 38 + 4) {
    if (qp.size() < 2 || qp.compare(qp.size() - 2, 2, "\r\n") != 0) qp += "\r\n";
    return {"quoted-printable", std::move(qp)};
  }
  return {"base64", EncodeBase64Lines(text)};
}

Status CheckHeaderText(std::string_view value, std::string_view field) {
  size_t bad = 0;
  if (!IsValidUtf8(value, &bad)) {
    return InvalidArgument(std::string(field) + " is not valid UTF-8 (byte " + std::to_string(bad) +
                           ")");
  }
  if (value.find_first_of("\r\n") != std::string_view::npos) {
    return InvalidArgument(std::string(field) + " contains a line break (CR or LF), refused");
  }
  for (char c : value) {
    if (c == '\0') return InvalidArgument(std::string(field) + " contains a NUL character");
  }
  return Status::Ok();
}

// "Display Name" <address> for a header named `name`.
Result<std::string> FormatMailbox(const Mailbox& box, std::string_view field, size_t name_length) {
  Status st = ValidateEmailAddress(box.address);
  if (!st.ok()) return InvalidArgument(std::string(field) + ": " + st.message());
  RETURN_IF_ERROR(CheckHeaderText(box.display_name, std::string(field) + " display name"));
  std::string_view name = internal::TrimWsp(box.display_name);
  if (name.empty()) return std::string(box.address);
  std::string phrase;
  if (NeedsEncoding(name)) {
    phrase = EncodeHeaderWords(name, name_length);
  } else if (std::all_of(name.begin(), name.end(), [](char c) {
               return c == ' ' || IsAtext(static_cast<unsigned char>(c));
             })) {
    phrase = std::string(name);
  } else {
    phrase = "\"";
    for (char c : name) {
      if (c == '"' || c == '\\') phrase += '\\';
      phrase += c;
    }
    phrase += "\"";
  }
  // The address goes on a line of its own when the name's last line is full.
  size_t fold = phrase.rfind("\r\n");
  size_t last_line =
      fold == std::string::npos ? name_length + 2 + phrase.size() : phrase.size() - fold - 2;
  if (last_line + box.address.size() + 3 > kMaxLine) return phrase + "\r\n <" + box.address + ">";
  return phrase + " <" + box.address + ">";
}

bool IsFieldName(std::string_view name) {
  return !name.empty() && name.size() <= 76 && std::all_of(name.begin(), name.end(), [](char c) {
    return c >= 33 && c <= 126 && c != ':';
  });
}

constexpr std::string_view kReservedHeaders[] = {"from",
                                                 "to",
                                                 "cc",
                                                 "bcc",
                                                 "subject",
                                                 "date",
                                                 "message-id",
                                                 "mime-version",
                                                 "content-type",
                                                 "content-transfer-encoding",
                                                 "list-unsubscribe",
                                                 "list-unsubscribe-post",
                                                 "reply-to",
                                                 "dkim-signature",
                                                 "sender",
                                                 "return-path",
                                                 "received"};

void AddHeader(std::string* out, std::string_view name, std::string_view value) {
  *out += name;
  *out += ": ";
  *out += value;
  *out += "\r\n";
}

Status ValidateUnsubscribeUrl(std::string_view url) {
  if (url.substr(0, 8) != "https://" || url.size() <= 8) {
    return InvalidArgument("list_unsubscribe_url must be an https URL (RFC 8058)");
  }
  if (url.size() > 900)
    return InvalidArgument("list_unsubscribe_url is longer than 900 characters");
  for (char c : url) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '<' || c == '>' || c == '"') {
      return InvalidArgument(
          "list_unsubscribe_url contains a character URLs may not carry unescaped");
    }
  }
  return Status::Ok();
}

}  // namespace

Result<ComposedEmail> ComposeEmail(const EmailMessage& message, const ComposeOptions& options) {
  RETURN_IF_ERROR(CheckHeaderText(message.subject, "subject"));
  for (const auto& [field, body] :
       {std::pair<std::string_view, const std::string*>{"text_body", &message.text_body},
        {"html_body", &message.html_body}}) {
    size_t bad = 0;
    if (!IsValidUtf8(*body, &bad)) {
      return InvalidArgument(std::string(field) + " is not valid UTF-8 (byte " +
                             std::to_string(bad) + ")");
    }
  }
  if (message.text_body.empty() && message.html_body.empty()) {
    return InvalidArgument("the message has neither a text nor an html body");
  }

  ASSIGN_OR_RETURN(std::string from, FormatMailbox(message.from, "from", 4));
  ASSIGN_OR_RETURN(std::string to, FormatMailbox(message.to, "to", 2));
  std::string reply_to;
  if (message.reply_to) {
    ASSIGN_OR_RETURN(reply_to, FormatMailbox(*message.reply_to, "reply_to", 8));
  }
  std::string id_domain = options.message_id_domain;
  if (id_domain.empty())
    id_domain = message.from.address.substr(message.from.address.rfind('@') + 1);
  RETURN_IF_ERROR(ValidateDomain(id_domain, "message_id_domain"));

  std::string list_unsubscribe;
  if (!message.list_unsubscribe_url.empty()) {
    RETURN_IF_ERROR(ValidateUnsubscribeUrl(message.list_unsubscribe_url));
    list_unsubscribe = "<" + message.list_unsubscribe_url + ">";
  }
  if (!message.list_unsubscribe_mailto.empty()) {
    Status st = ValidateEmailAddress(message.list_unsubscribe_mailto);
    if (!st.ok()) return InvalidArgument("list_unsubscribe_mailto: " + st.message());
    if (!list_unsubscribe.empty()) list_unsubscribe += ",\r\n ";
    list_unsubscribe += "<mailto:" + message.list_unsubscribe_mailto + ">";
  }

  std::vector<std::pair<std::string, std::string>> extra;
  for (const auto& [name, value] : message.extra_headers) {
    if (!IsFieldName(name)) {
      return InvalidArgument("extra header name '" + name + "' is not a header field name");
    }
    std::string lower = AsciiLower(name);
    for (std::string_view reserved : kReservedHeaders) {
      if (lower == reserved)
        return InvalidArgument("extra header '" + name + "' is written by Patron itself");
    }
    RETURN_IF_ERROR(CheckHeaderText(value, "extra header " + name));
    extra.emplace_back(name, EncodeHeaderWords(internal::TrimWsp(value), name.size()));
  }

  const Clock& clock = options.clock ? *options.clock : SystemClock::Get();
  int64_t now = clock.Now().seconds();

  ComposedEmail composed;
  if (!options.message_id.empty()) {
    std::string_view id = options.message_id;
    if (id.front() == '<' && id.back() == '>' && id.size() > 2) id = id.substr(1, id.size() - 2);
    size_t at = id.find('@');
    bool ok = at != std::string_view::npos && at > 0 && at + 1 < id.size() &&
              id.find('@', at + 1) == std::string_view::npos && id.size() <= 250 &&
              std::all_of(id.begin(), id.end(),
                          [](char c) { return c > 0x20 && c < 0x7f && c != '<' && c != '>'; });
    if (!ok)
      return InvalidArgument("message_id '" + options.message_id +
                             "' is not of the form left@right");
    composed.message_id = "<" + std::string(id) + ">";
  } else {
    composed.message_id = "<" + internal::RandomHex(16) + "@" + AsciiLower(id_domain) + ">";
  }

  std::string& out = composed.data;
  out.reserve(512 + message.text_body.size() * 2 + message.html_body.size() * 2);
  AddHeader(&out, "Date", internal::Rfc5322Date(now));
  AddHeader(&out, "From", from);
  AddHeader(&out, "To", to);
  if (!reply_to.empty()) AddHeader(&out, "Reply-To", reply_to);
  AddHeader(&out, "Subject", EncodeHeaderWords(internal::TrimWsp(message.subject), 7));
  AddHeader(&out, "Message-ID", composed.message_id);
  AddHeader(&out, "MIME-Version", "1.0");
  if (!list_unsubscribe.empty()) {
    AddHeader(&out, "List-Unsubscribe", list_unsubscribe);
    if (!message.list_unsubscribe_url.empty()) {
      AddHeader(&out, "List-Unsubscribe-Post", "List-Unsubscribe=One-Click");
    }
  }
  for (const auto& [name, value] : extra) AddHeader(&out, name, value);

  auto write_part_headers = [&out](std::string_view type, const EncodedBody& body) {
    AddHeader(&out, "Content-Type", std::string(type) + "; charset=UTF-8");
    AddHeader(&out, "Content-Transfer-Encoding", body.transfer_encoding);
  };
  bool has_text = !message.text_body.empty();
  bool has_html = !message.html_body.empty();
  if (has_text && has_html) {
    std::string boundary =
        "=_patron_" + internal::RandomHex(12);  // "=_" never occurs in QP or base64
    AddHeader(&out, "Content-Type", "multipart/alternative;\r\n boundary=\"" + boundary + "\"");
    out += "\r\nThis is a multi-part message in MIME format.\r\n";
    for (const auto& [type, text] :
         {std::pair<std::string_view, const std::string*>{"text/plain", &message.text_body},
          {"text/html", &message.html_body}}) {
      EncodedBody body = EncodeBody(*text);
      out += "\r\n--" + boundary + "\r\n";
      write_part_headers(type, body);
      out += "\r\n";
      out += body.content;
    }
    out += "\r\n--" + boundary + "--\r\n";
  } else {
    EncodedBody body = EncodeBody(has_text ? message.text_body : message.html_body);
    write_part_headers(has_text ? "text/plain" : "text/html", body);
    out += "\r\n";
    out += body.content;
  }

  if (options.dkim) {
    ASSIGN_OR_RETURN(composed.data, options.dkim->Sign(composed.data, now));
  }
  return composed;
}

}  // namespace patron::deliver
