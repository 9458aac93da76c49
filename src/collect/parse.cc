// ParseRequest: Segment Tracking API bodies into validated messages.
//
// The spec's rules, as Segment's own API applies them: a body that is not JSON
// or is too large is refused as a whole (400); inside a valid batch, each
// message stands alone. Times: `timestamp` is when it happened on the device,
// `sentAt` when the device sent it; the difference between the device's clock
// and ours is removed (timestamp' = receivedAt - (sentAt - timestamp)).
#include <simdjson.h>

#include <algorithm>
#include <string>

#include "collect/collect.h"
#include "collect/collect_internal.h"
#include "ingest/ingest.h"

namespace patron::collect {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;

constexpr size_t kMaxRawKept = 4096;

uint64_t Fnv1a64(std::string_view s) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

std::string Hex64(uint64_t v) {
  static const char* kDigits = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, v >>= 4) out[i] = kDigits[v & 15];
  return out;
}

// A JSON value that names someone: Segment SDKs send ids as strings, some
// clients as numbers. Anything else is refused with the field's name.
Status ReadId(const object& obj, std::string_view key, std::string* out) {
  element value;
  if (obj.at_key(key).get(value) != simdjson::SUCCESS) return Status::Ok();
  switch (value.type()) {
    case element_type::STRING: {
      std::string_view s = value.get_string().value_unsafe();
      if (s.size() > 512) return InvalidArgument(std::string(key) + " is longer than 512 bytes");
      *out = std::string(TrimAscii(s));
      return Status::Ok();
    }
    case element_type::INT64: *out = std::to_string(value.get_int64().value_unsafe()); return Status::Ok();
    case element_type::UINT64: *out = std::to_string(value.get_uint64().value_unsafe()); return Status::Ok();
    case element_type::NULL_VALUE: return Status::Ok();
    default: return InvalidArgument(std::string(key) + " must be a string");
  }
}

Status ReadString(const object& obj, std::string_view key, std::string* out) {
  element value;
  if (obj.at_key(key).get(value) != simdjson::SUCCESS || value.is_null()) return Status::Ok();
  if (!value.is_string()) return InvalidArgument(std::string(key) + " must be a string");
  *out = std::string(value.get_string().value_unsafe());
  return Status::Ok();
}

// An optional JSON object field as compact text; "{}" when absent or null.
Status ReadObject(const object& obj, std::string_view key, std::string* out) {
  element value;
  if (obj.at_key(key).get(value) != simdjson::SUCCESS || value.is_null()) return Status::Ok();
  if (!value.is_object()) return InvalidArgument(std::string(key) + " must be an object");
  *out = simdjson::to_string(value);
  return Status::Ok();
}

// A time field: ISO 8601 text (what every SDK sends) or epoch milliseconds.
Status ReadTime(const object& obj, std::string_view key, std::optional<Instant>* out) {
  element value;
  if (obj.at_key(key).get(value) != simdjson::SUCCESS || value.is_null()) return Status::Ok();
  if (value.is_string()) {
    auto t = ingest::ParseTimestamp(value.get_string().value_unsafe());
    if (!t.ok()) return InvalidArgument(std::string(key) + ": " + t.status().message());
    *out = *t;
    return Status::Ok();
  }
  if (value.is_int64() || value.is_uint64()) {
    int64_t ms = value.is_int64() ? value.get_int64().value_unsafe()
                                  : static_cast<int64_t>(value.get_uint64().value_unsafe());
    *out = Instant{ms * 1000};
    return Status::Ok();
  }
  return InvalidArgument(std::string(key) + " must be an ISO 8601 date-time");
}

// The context stored with a message: the message's own context over the batch
// envelope's (a shallow merge, the message's keys win), without "library" (which
// SDK sent it: the same few hundred bytes on every event, of no use to a marketer).
std::string BuildContext(const object* envelope, const object* own) {
  std::string out = "{";
  auto add = [&out](std::string_view key, element value) {
    if (key == "library") return;
    if (out.size() > 1) out += ',';
    out += JsonQuote(key);
    out += ':';
    out += simdjson::to_string(value);
  };
  if (own) {
    for (auto field : *own) add(field.key, field.value);
  }
  if (envelope) {
    for (auto field : *envelope) {
      element unused;
      if (own && own->at_key(field.key).get(unused) == simdjson::SUCCESS) continue;
      add(field.key, field.value);
    }
  }
  return out + "}";
}

std::string_view TypeName(element_type t) {
  switch (t) {
    case element_type::ARRAY: return "an array";
    case element_type::OBJECT: return "an object";
    case element_type::STRING: return "a string";
    case element_type::NULL_VALUE: return "null";
    case element_type::BOOL: return "a boolean";
    default: return "a number";
  }
}

bool ParseCallType(std::string_view s, CallType* out) {
  static const std::pair<std::string_view, CallType> kTypes[] = {
      {"identify", CallType::kIdentify}, {"track", CallType::kTrack}, {"page", CallType::kPage},
      {"screen", CallType::kScreen},     {"group", CallType::kGroup}, {"alias", CallType::kAlias}};
  for (const auto& [name, type] : kTypes) {
    if (s == name) {
      *out = type;
      return true;
    }
  }
  return false;
}

struct Envelope {
  std::optional<Instant> sent_at;
  const object* context = nullptr;  // the batch's context, merged into each message
};

// Validates one message. `implied` is the call type of a single-call endpoint;
// batch items name their own type.
Result<Message> ReadMessage(const element& item, const std::optional<CallType>& implied,
                            const Envelope& envelope, Instant received_at, const Limits& limits,
                            std::string* raw) {
  *raw = simdjson::to_string(item);
  if (!item.is_object()) return InvalidArgument("a message must be a JSON object, not " + std::string(TypeName(item.type())));
  if (raw->size() > limits.max_message_bytes) {
    return InvalidArgument("message is " + std::to_string(raw->size()) + " bytes; the limit is " +
                           std::to_string(limits.max_message_bytes));
  }
  object obj = item.get_object().value_unsafe();
  Message m;
  if (implied) {
    m.type = *implied;
  } else {
    std::string type;
    RETURN_IF_ERROR(ReadString(obj, "type", &type));
    if (type.empty()) return InvalidArgument("type is required in a batch (identify, track, page, screen, group, alias)");
    if (!ParseCallType(type, &m.type)) {
      return InvalidArgument("type '" + std::string(Utf8Prefix(type, 40)) +
                             "' is not identify, track, page, screen, group or alias");
    }
  }
  RETURN_IF_ERROR(ReadId(obj, "userId", &m.user_id));
  RETURN_IF_ERROR(ReadId(obj, "anonymousId", &m.anonymous_id));
  RETURN_IF_ERROR(ReadId(obj, "messageId", &m.message_id));
  switch (m.type) {
    case CallType::kTrack:
      RETURN_IF_ERROR(ReadString(obj, "event", &m.event));
      m.event = std::string(TrimAscii(m.event));
      if (m.event.empty()) return InvalidArgument("event is required for a track call");
      if (m.event.size() > 200) return InvalidArgument("event name is longer than 200 bytes");
      break;
    case CallType::kPage:
    case CallType::kScreen:
      RETURN_IF_ERROR(ReadString(obj, "name", &m.name));
      if (m.name.size() > 200) return InvalidArgument("name is longer than 200 bytes");
      break;
    case CallType::kGroup:
      RETURN_IF_ERROR(ReadId(obj, "groupId", &m.group_id));
      if (m.group_id.empty()) return InvalidArgument("groupId is required for a group call");
      break;
    case CallType::kAlias:
      RETURN_IF_ERROR(ReadId(obj, "previousId", &m.previous_id));
      if (m.previous_id.empty()) return InvalidArgument("previousId is required for an alias call");
      if (m.user_id.empty()) return InvalidArgument("userId is required for an alias call");
      break;
    case CallType::kIdentify: break;
  }
  if (m.user_id.empty() && m.anonymous_id.empty()) return InvalidArgument("userId or anonymousId is required");
  RETURN_IF_ERROR(ReadObject(obj, "properties", &m.properties));
  RETURN_IF_ERROR(ReadObject(obj, "traits", &m.traits));
  element own_context;
  const object* own = nullptr;
  object own_obj;
  if (obj.at_key("context").get(own_context) == simdjson::SUCCESS && !own_context.is_null()) {
    if (!own_context.is_object()) return InvalidArgument("context must be an object");
    own_obj = own_context.get_object().value_unsafe();
    own = &own_obj;
  }
  m.context = BuildContext(envelope.context, own);
  // Legacy clients put identify traits in context.traits.
  if (m.type == CallType::kIdentify && m.traits.size() <= 2) {
    element ctx, traits;
    if (obj.at_key("context").get(ctx) == simdjson::SUCCESS && ctx.is_object() &&
        ctx.at_key("traits").get(traits) == simdjson::SUCCESS && traits.is_object()) {
      m.traits = simdjson::to_string(traits);
    }
  }

  std::optional<Instant> timestamp, sent_at, original;
  RETURN_IF_ERROR(ReadTime(obj, "timestamp", &timestamp));
  RETURN_IF_ERROR(ReadTime(obj, "originalTimestamp", &original));
  RETURN_IF_ERROR(ReadTime(obj, "sentAt", &sent_at));
  if (!sent_at) sent_at = envelope.sent_at;
  std::optional<Instant> device_time = original ? original : timestamp;
  if (device_time && sent_at) {
    m.timestamp = Instant{received_at.micros - (sent_at->micros - device_time->micros)};
  } else if (timestamp) {
    m.timestamp = *timestamp;
  } else {
    m.timestamp = received_at;
  }
  // A device clock cannot put an event after its arrival.
  if (m.timestamp.micros > received_at.micros) m.timestamp = received_at;

  if (m.message_id.empty()) m.message_id = "hash:" + Hex64(Fnv1a64(*raw));
  return m;
}

Rejected MakeRejected(int index, bool in_batch, const Status& why, std::string raw) {
  Rejected r;
  r.index = index;
  r.reason = in_batch ? "batch[" + std::to_string(index) + "]: " + why.message() : why.message();
  if (raw.size() > kMaxRawKept) raw.resize(kMaxRawKept);
  r.raw = std::move(raw);
  return r;
}

}  // namespace

std::string JsonQuote(std::string_view s) {
  std::string out = "\"";
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20) {
      static const char* kHex = "0123456789abcdef";
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += ch;
    }
  }
  return out + '"';
}

std::string_view CallTypeName(CallType type) {
  switch (type) {
    case CallType::kIdentify: return "identify";
    case CallType::kTrack: return "track";
    case CallType::kPage: return "page";
    case CallType::kScreen: return "screen";
    case CallType::kGroup: return "group";
    case CallType::kAlias: return "alias";
  }
  return "track";
}

bool EndpointForPath(std::string_view path, Endpoint* endpoint) {
  static const std::pair<std::string_view, Endpoint> kPaths[] = {
      {"/v1/identify", Endpoint::kIdentify}, {"/v1/i", Endpoint::kIdentify},
      {"/v1/track", Endpoint::kTrack},       {"/v1/t", Endpoint::kTrack},
      {"/v1/page", Endpoint::kPage},         {"/v1/p", Endpoint::kPage},
      {"/v1/screen", Endpoint::kScreen},     {"/v1/s", Endpoint::kScreen},
      {"/v1/group", Endpoint::kGroup},       {"/v1/g", Endpoint::kGroup},
      {"/v1/alias", Endpoint::kAlias},       {"/v1/a", Endpoint::kAlias},
      {"/v1/batch", Endpoint::kBatch},       {"/v1/b", Endpoint::kBatch},
      {"/v1/import", Endpoint::kBatch}};
  if (!path.empty() && path.back() == '/') path.remove_suffix(1);
  for (const auto& [p, e] : kPaths) {
    if (path == p) {
      *endpoint = e;
      return true;
    }
  }
  return false;
}

Result<ParsedRequest> ParseRequest(Endpoint endpoint, std::string_view body, Instant received_at,
                                   const Limits& limits) {
  if (body.size() > limits.max_batch_bytes) {
    return Status(StatusCode::kResourceExhausted, "request body is " + std::to_string(body.size()) +
                                                      " bytes; the limit is " + std::to_string(limits.max_batch_bytes));
  }
  if (TrimAscii(body).empty()) return InvalidArgument("request body is empty; expected a JSON object");
  // One parser per thread: its buffers are reused from request to request.
  thread_local simdjson::dom::parser parser;
  element root;
  auto error = parser.parse(body.data(), body.size()).get(root);
  if (error) {
    if (error == simdjson::UTF8_ERROR) return InvalidArgument("request body is not valid UTF-8");
    return InvalidArgument(std::string("request body is not valid JSON: ") + simdjson::error_message(error));
  }
  if (!root.is_object()) return InvalidArgument("request body must be a JSON object, not " + std::string(TypeName(root.type())));
  object top = root.get_object().value_unsafe();
  ParsedRequest out;
  RETURN_IF_ERROR(ReadString(top, "writeKey", &out.write_key));

  if (endpoint != Endpoint::kBatch) {
    static const CallType kImplied[] = {CallType::kIdentify, CallType::kTrack, CallType::kPage,
                                        CallType::kScreen,   CallType::kGroup, CallType::kAlias};
    std::string raw;
    auto m = ReadMessage(root, kImplied[static_cast<int>(endpoint)], Envelope{}, received_at, limits, &raw);
    if (!m.ok()) {
      if (raw.size() > limits.max_message_bytes) return Status(StatusCode::kResourceExhausted, m.status().message());
      out.rejected.push_back(MakeRejected(0, false, m.status(), std::move(raw)));
    } else {
      out.messages.push_back(std::move(*m));
    }
    return out;
  }

  element batch;
  if (top.at_key("batch").get(batch) != simdjson::SUCCESS) return InvalidArgument("batch is required: an array of messages");
  if (!batch.is_array()) return InvalidArgument("batch must be an array, not " + std::string(TypeName(batch.type())));
  simdjson::dom::array items = batch.get_array().value_unsafe();
  if (items.size() > limits.max_batch_messages) {
    return Status(StatusCode::kResourceExhausted, "batch has " + std::to_string(items.size()) +
                                                      " messages; the limit is " + std::to_string(limits.max_batch_messages));
  }
  Envelope envelope;
  RETURN_IF_ERROR(ReadTime(top, "sentAt", &envelope.sent_at));
  element ctx;
  object ctx_obj;
  if (top.at_key("context").get(ctx) == simdjson::SUCCESS && ctx.is_object()) {
    ctx_obj = ctx.get_object().value_unsafe();
    if (ctx_obj.size() > 0) envelope.context = &ctx_obj;
  }
  out.messages.reserve(items.size());
  int index = 0;
  std::string raw;
  for (element item : items) {
    auto m = ReadMessage(item, std::nullopt, envelope, received_at, limits, &raw);
    if (m.ok()) {
      out.messages.push_back(std::move(*m));
    } else {
      out.rejected.push_back(MakeRejected(index, true, m.status(), std::move(raw)));
    }
    ++index;
  }
  return out;
}

}  // namespace patron::collect
