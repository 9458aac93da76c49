// Fuzz target for the Segment API body parser (collect::ParseRequest). Each input
// is tried as the body of every endpoint and wrapped as a batch item, checking:
//  - it never crashes and answers either an error or messages/rejects;
//  - an error is kInvalidArgument or kResourceExhausted with a message;
//  - every accepted message has a messageId, a user or anonymous id, and
//    properties/traits/context that are JSON objects in valid UTF-8;
//  - no timestamp is after the time the request was received;
//  - each reject has a reason and keeps at most 4 KiB of the message.
#include <simdjson.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "collect/collect.h"

namespace {

using patron::collect::Endpoint;

[[noreturn]] void Fail(const char* what, const std::string& input) {
  std::fprintf(stderr, "collect_fuzz: invariant failed: %s\ninput (%zu bytes): %.2000s\n", what, input.size(),
               input.c_str());
  std::abort();
}

bool IsJsonObject(const std::string& text) {
  simdjson::dom::parser parser;
  simdjson::dom::element e;
  return parser.parse(text).get(e) == simdjson::SUCCESS && e.is_object();
}

void Check(Endpoint endpoint, const std::string& body) {
  const patron::Instant received{1'800'000'000'000'000};
  auto r = patron::collect::ParseRequest(endpoint, body, received);
  if (!r.ok()) {
    auto code = r.status().code();
    if (code != patron::StatusCode::kInvalidArgument && code != patron::StatusCode::kResourceExhausted) {
      Fail("unexpected error code", body);
    }
    if (r.status().message().empty()) Fail("error without a message", body);
    return;
  }
  for (const auto& m : r->messages) {
    if (m.message_id.empty()) Fail("message without messageId", body);
    if (m.user_id.empty() && m.anonymous_id.empty()) Fail("message without user or anonymous id", body);
    if (m.timestamp.micros > received.micros) Fail("timestamp after receipt", body);
    if (!patron::IsValidUtf8(m.properties) || !IsJsonObject(m.properties)) Fail("properties not a JSON object", body);
    if (!patron::IsValidUtf8(m.traits) || !IsJsonObject(m.traits)) Fail("traits not a JSON object", body);
    if (!patron::IsValidUtf8(m.context) || !IsJsonObject(m.context)) Fail("context not a JSON object", body);
  }
  for (const auto& rej : r->rejected) {
    if (rej.reason.empty()) Fail("reject without a reason", body);
    if (rej.raw.size() > 4096) Fail("reject keeps more than 4 KiB", body);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  for (Endpoint e : {Endpoint::kTrack, Endpoint::kIdentify, Endpoint::kPage, Endpoint::kGroup, Endpoint::kAlias,
                     Endpoint::kBatch}) {
    Check(e, input);
  }
  Check(Endpoint::kBatch, "{\"batch\":[" + input + "],\"context\":{\"ip\":\"1.2.3.4\"},\"sentAt\":\"2027-01-01T00:00:00Z\"}");
  return 0;
}
