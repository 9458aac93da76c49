// Fuzz target for the delivery layer's parsers and encoders, checking:
//  - DecodeHeaderWords, ParseDsn and ParseDeliveryReceipt never crash and fail
//    only with kInvalidArgument; decoded header text is valid UTF-8;
//  - EncodeHeaderWords round-trips any valid UTF-8 through DecodeHeaderWords;
//  - ComposeEmail with the input as subject, display name and body either
//    refuses with kInvalidArgument or writes only CRLF-terminated lines of at
//    most 998 characters, with no header injected.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "deliver/deliver.h"

namespace {

[[noreturn]] void Fail(const char* what, const std::string& input) {
  std::fprintf(stderr, "deliver_fuzz: invariant failed: %s\ninput (%zu bytes): %.2000s\n", what,
               input.size(), input.c_str());
  std::abort();
}

void ExpectInvalidArgument(const patron::Status& s, const char* what, const std::string& input) {
  if (!s.ok() && (s.code() != patron::StatusCode::kInvalidArgument || s.message().empty()))
    Fail(what, input);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace patron::deliver;
  std::string input(reinterpret_cast<const char*>(data), size);

  auto decoded = DecodeHeaderWords(input);
  ExpectInvalidArgument(decoded.status(), "DecodeHeaderWords error code", input);
  if (decoded.ok() && !patron::IsValidUtf8(*decoded)) Fail("decoded header is not UTF-8", input);
  ExpectInvalidArgument(ParseDsn(input).status(), "ParseDsn error code", input);
  ExpectInvalidArgument(ParseDeliveryReceipt(SmsReceiptConfig(), input).status(),
                        "receipt error code", input);

  int links = 0;
  std::string tracked = AddTracking(
      input,
      [&](std::string_view, int i) {
        if (i != links++) Fail("tracked link indexes are not consecutive", input);
        return std::string("https://t.example/c");
      },
      "https://t.example/o");
  if (tracked.size() < input.size()) Fail("tracking lost part of the html", input);

  if (!patron::IsValidUtf8(input)) return 0;
  (void)CountSmsSegments(input);
  if (input.find_first_of("\r\n") == std::string::npos) {
    std::string trimmed(patron::TrimAscii(input));
    bool inner_ws_runs =
        trimmed.find("  ") != std::string::npos || trimmed.find('\t') != std::string::npos;
    auto round = DecodeHeaderWords(EncodeHeaderWords(trimmed, 7));
    if (!inner_ws_runs && (!round.ok() || *round != trimmed))
      Fail("header words do not round-trip", input);
  }

  EmailMessage m;
  m.from = {"news@shop.example.com", input.substr(0, 200)};
  m.to = {"a@example.org", ""};
  m.subject = input;
  m.text_body = input.empty() ? "x" : input;
  m.html_body = input;
  auto composed = ComposeEmail(m);
  ExpectInvalidArgument(composed.status(), "ComposeEmail error code", input);
  if (!composed.ok()) return 0;
  const std::string& out = composed->data;
  size_t line_start = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == '\r' && (i + 1 >= out.size() || out[i + 1] != '\n'))
      Fail("bare CR in message", input);
    if (out[i] == '\n') {
      if (i == 0 || out[i - 1] != '\r') Fail("bare LF in message", input);
      if (i - 1 - line_start > 998) Fail("line longer than 998", input);
      line_start = i + 1;
    }
  }
  std::string head = out.substr(0, out.find("\r\n\r\n"));
  if (head.find("\r\nBcc:") != std::string::npos) Fail("header injected", input);
  return 0;
}
