// Click and open tracking: rewriting links and adding the open pixel.
#include <cctype>

#include "deliver/deliver.h"

namespace patron::deliver {

namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

bool StartsWithIgnoringCase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) !=
        std::tolower(static_cast<unsigned char>(prefix[i]))) {
      return false;
    }
  }
  return true;
}

std::string HtmlUnescape(std::string_view s) {
  static constexpr std::pair<std::string_view, char> kEntities[] = {
      {"&amp;", '&'},   {"&quot;", '"'}, {"&#39;", '\''},
      {"&#x27;", '\''}, {"&lt;", '<'},   {"&gt;", '>'}};
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    bool replaced = false;
    if (s[i] == '&') {
      for (const auto& [entity, c] : kEntities) {
        if (StartsWithIgnoringCase(s.substr(i), entity)) {
          out += c;
          i += entity.size() - 1;
          replaced = true;
          break;
        }
      }
    }
    if (!replaced) out += s[i];
  }
  return out;
}

std::string HtmlEscapeAttribute(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 16);
  size_t run = 0;  // start of the bytes not yet copied
  for (size_t i = 0; i < s.size(); ++i) {
    const char* entity = s[i] == '&' ? "&amp;" : s[i] == '"' ? "&quot;" : s[i] == '<' ? "&lt;" : s[i] == '>' ? "&gt;" : nullptr;
    if (!entity) continue;
    out.append(s.data() + run, i - run);
    out += entity;
    run = i + 1;
  }
  out.append(s.data() + run, s.size() - run);
  return out;
}

// The end of the tag starting at `start` ('<'), past quoted attribute values.
size_t TagEnd(std::string_view html, size_t start) {
  char quote = 0;
  for (size_t i = start + 1; i < html.size(); ++i) {
    char c = html[i];
    if (quote) {
      if (c == quote) quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '>') {
      return i;
    }
  }
  return std::string_view::npos;
}

}  // namespace

std::string AddTracking(
    std::string_view html,
    const std::function<std::string(std::string_view url, int index)>& tracked_url,
    std::string_view open_pixel_url) {
  std::string out;
  out.reserve(html.size() + 1024);
  int index = 0;
  size_t pos = 0;
  while (pos < html.size()) {
    size_t lt = html.find('<', pos);
    if (lt == std::string_view::npos) {
      out += html.substr(pos);
      break;
    }
    out += html.substr(pos, lt - pos);
    size_t end = TagEnd(html, lt);
    if (end == std::string_view::npos) {
      out += html.substr(lt);
      break;
    }
    std::string_view tag = html.substr(lt, end - lt + 1);
    pos = end + 1;
    if (!(tag.size() > 3 && (tag[1] == 'a' || tag[1] == 'A') && IsSpace(tag[2]))) {
      out += tag;
      continue;
    }
    // Find href= outside quoted values.
    size_t href = std::string_view::npos;
    char quote = 0;
    for (size_t i = 2; i + 5 < tag.size(); ++i) {
      char c = tag[i];
      if (quote) {
        if (c == quote) quote = 0;
        continue;
      }
      if (c == '"' || c == '\'') {
        quote = c;
        continue;
      }
      if (IsSpace(tag[i - 1]) && StartsWithIgnoringCase(tag.substr(i), "href")) {
        size_t j = i + 4;
        while (j < tag.size() && IsSpace(tag[j])) ++j;
        if (j < tag.size() && tag[j] == '=') {
          href = j + 1;
          break;
        }
      }
    }
    if (href == std::string_view::npos) {
      out += tag;
      continue;
    }
    size_t value_start = href;
    while (value_start < tag.size() && IsSpace(tag[value_start])) ++value_start;
    size_t value_end;
    char q = tag[value_start];
    if (q == '"' || q == '\'') {
      ++value_start;
      value_end = tag.find(q, value_start);
    } else {
      value_end = value_start;
      while (value_end < tag.size() && !IsSpace(tag[value_end]) && tag[value_end] != '>')
        ++value_end;
    }
    if (value_end == std::string_view::npos) {
      out += tag;
      continue;
    }
    std::string url = HtmlUnescape(TrimAscii(tag.substr(value_start, value_end - value_start)));
    std::string replacement;
    if (StartsWithIgnoringCase(url, "http://") || StartsWithIgnoringCase(url, "https://")) {
      replacement = tracked_url(url, index);
      if (!replacement.empty()) ++index;
    }
    if (replacement.empty()) {
      out += tag;
      continue;
    }
    out += tag.substr(0, value_start);
    std::string escaped = HtmlEscapeAttribute(replacement);
    if (q != '"' && q != '\'') escaped = "\"" + escaped + "\"";
    out += escaped;
    out += tag.substr(value_end);
  }
  if (!open_pixel_url.empty()) {
    std::string pixel = "<img src=\"" + HtmlEscapeAttribute(open_pixel_url) +
                        "\" width=\"1\" height=\"1\" alt=\"\" "
                        "style=\"display:block;border:0;width:1px;height:1px\">";
    size_t body_end = std::string::npos;
    for (size_t i = out.rfind('<'); i != std::string::npos;
         i = i == 0 ? std::string::npos : out.rfind('<', i - 1)) {
      if (StartsWithIgnoringCase(std::string_view(out).substr(i), "</body")) {
        body_end = i;
        break;
      }
    }
    if (body_end == std::string::npos) {
      out += pixel;
    } else {
      out.insert(body_end, pixel);
    }
  }
  return out;
}

}  // namespace patron::deliver
