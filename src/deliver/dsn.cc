// Asynchronous bounces: RFC 3464 delivery status notifications.
#include <algorithm>
#include <cctype>

#include "deliver/deliver.h"
#include "deliver/deliver_internal.h"

namespace patron::deliver {

namespace {

// Field groups separated by empty lines; continuation lines unfolded.
// Each group maps lower-case field names to values.
std::vector<std::vector<std::pair<std::string, std::string>>> FieldGroups(std::string_view text) {
  std::vector<std::vector<std::pair<std::string, std::string>>> groups(1);
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line =
        text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    if (internal::TrimWsp(line).empty()) {
      if (!groups.back().empty()) groups.emplace_back();
      continue;
    }
    if ((line[0] == ' ' || line[0] == '\t') && !groups.back().empty()) {
      groups.back().back().second += " " + std::string(internal::TrimWsp(line));
      continue;
    }
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    groups.back().emplace_back(AsciiLower(internal::TrimWsp(line.substr(0, colon))),
                               std::string(internal::TrimWsp(line.substr(colon + 1))));
  }
  if (groups.back().empty()) groups.pop_back();
  return groups;
}

std::string Field(const std::vector<std::pair<std::string, std::string>>& group,
                  std::string_view name) {
  for (const auto& [k, v] : group) {
    if (k == name) return v;
  }
  return "";
}

// "rfc822; user@example.com" -> "user@example.com"
std::string AfterType(std::string_view value) {
  size_t semi = value.find(';');
  std::string_view rest = semi == std::string_view::npos ? value : value.substr(semi + 1);
  rest = internal::TrimWsp(rest);
  if (!rest.empty() && rest.front() == '<' && rest.back() == '>')
    rest = rest.substr(1, rest.size() - 2);
  return std::string(rest);
}

// The body of the first MIME part whose Content-Type is `type`, up to the next
// boundary line ("--" at the start of a line), or npos.
std::string_view PartBody(std::string_view message, std::string_view lower_message,
                          std::string_view type) {
  size_t at = lower_message.find(std::string("content-type: ") + std::string(type));
  if (at == std::string_view::npos)
    at = lower_message.find(std::string("content-type:") + std::string(type));
  if (at == std::string_view::npos) return {};
  size_t body = message.find("\n\n", at);
  if (body == std::string_view::npos) return {};
  body += 2;
  size_t end = message.find("\n--", body);
  return message.substr(body, end == std::string_view::npos ? std::string_view::npos : end - body);
}

}  // namespace

Result<std::vector<DsnRecipient>> ParseDsn(std::string_view raw) {
  std::string message;
  message.reserve(raw.size());
  for (char c : raw) {
    if (c != '\r') message += c;
  }
  std::string lower = AsciiLower(message);
  if (lower.find("message/delivery-status") == std::string::npos) {
    return InvalidArgument(
        "the message is not a delivery status notification (no message/delivery-status part)");
  }
  std::string_view status_part = PartBody(message, lower, "message/delivery-status");
  if (status_part.empty()) return InvalidArgument("the message/delivery-status part is empty");

  std::string original_id;
  for (std::string_view type :
       {"message/rfc822", "text/rfc822-headers", "message/rfc822-headers"}) {
    std::string_view returned = PartBody(message, lower, type);
    if (returned.empty()) continue;
    for (const auto& group : FieldGroups(returned)) {
      original_id = AfterType(Field(group, "message-id"));
      break;
    }
    if (!original_id.empty()) original_id = "<" + original_id + ">";
    break;
  }

  auto groups = FieldGroups(status_part);
  std::vector<DsnRecipient> out;
  for (size_t i = 1; i < groups.size(); ++i) {  // groups[0] is per-message
    DsnRecipient r;
    r.recipient = AfterType(Field(groups[i], "final-recipient"));
    if (r.recipient.empty()) r.recipient = AfterType(Field(groups[i], "original-recipient"));
    r.action = AsciiLower(Field(groups[i], "action"));
    r.status = Field(groups[i], "status");
    r.status = r.status.substr(0, r.status.find_first_of(" ("));
    r.diagnostic = AfterType(Field(groups[i], "diagnostic-code"));
    r.original_message_id = original_id;
    if (r.recipient.empty()) continue;
    if (r.action == "failed") {
      int code = std::atoi(r.diagnostic.c_str());
      if (code < 400 || code > 599) code = r.status.empty() ? 550 : (r.status[0] - '0') * 100 + 50;
      r.bounce = ClassifyBounce(code, r.status, r.diagnostic);
      if (r.bounce == BounceKind::kNone) r.bounce = BounceKind::kSoft;
    } else if (r.action == "delayed") {
      r.bounce = BounceKind::kSoft;
    }
    out.push_back(std::move(r));
  }
  if (out.empty()) return InvalidArgument("the delivery status notification names no recipient");
  return out;
}

}  // namespace patron::deliver
