// Patron collect: event collection compatible with the Segment Tracking API.
//
// Two halves. ParseRequest turns one HTTP body (a single call or a batch) into
// validated messages, applying the spec's limits, the envelope's context and
// integrations, and the sentAt/timestamp clock-skew correction. The Collector
// owns the one writer thread: requests hand it their messages and wait until a
// group commit has made them durable, so an acknowledged event survives
// `kill -9`, and messageId de-duplication makes SDK retries harmless.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/core.h"

namespace patron::collect {

enum class CallType { kIdentify, kTrack, kPage, kScreen, kGroup, kAlias };
std::string_view CallTypeName(CallType type);

// Which endpoint received the body: a single call (the long paths /v1/track and
// the short browser paths /v1/t share one kind), or a batch (/v1/batch, /v1/b,
// /v1/import).
enum class Endpoint { kIdentify, kTrack, kPage, kScreen, kGroup, kAlias, kBatch };
// "/v1/track" or "/v1/t" -> kTrack; false when `path` is no collection path.
bool EndpointForPath(std::string_view path, Endpoint* endpoint);

// One validated call, ready to store.
struct Message {
  CallType type = CallType::kTrack;
  std::string message_id;   // the SDK's; a content hash when it sent none
  std::string user_id;
  std::string anonymous_id;
  std::string event;        // track: the event name
  std::string name;         // page/screen: the page name (may be empty)
  std::string group_id;     // group
  std::string previous_id;  // alias
  Instant timestamp;        // when it happened, corrected for the device's clock skew
  // JSON objects, compact: track/page/screen properties, identify/group traits,
  // and the merged context (envelope context, then the message's own).
  std::string properties = "{}";
  std::string traits = "{}";
  std::string context = "{}";
};

// A message of a batch that could not be accepted. Per the spec the request
// still answers 200; the message is kept in the rejects table with the reason.
struct Rejected {
  int index = 0;        // position in the batch (0 for a single call)
  std::string reason;   // "batch[3]: userId or anonymousId is required"
  std::string raw;      // the message as sent, truncated to 4 KiB
};

struct Limits {
  size_t max_message_bytes = 32 * 1024;   // per call, as Segment documents
  size_t max_batch_bytes = 500 * 1024;    // per request body (after gzip decoding)
  size_t max_batch_messages = 2500;
};

struct ParsedRequest {
  std::vector<Message> messages;
  std::vector<Rejected> rejected;
  std::string write_key;  // from the body ("writeKey"), empty when absent
};

// Parses a request body. A body that is not JSON, not UTF-8, too large, or a
// batch without a "batch" array is an error (kInvalidArgument, answered 400,
// or kResourceExhausted for oversize); a bad message inside a valid batch is
// a Rejected entry instead, so one bad message loses nothing else.
Result<ParsedRequest> ParseRequest(Endpoint endpoint, std::string_view body, Instant received_at,
                                   const Limits& limits = {});

// ---------------------------------------------------------------------------
// The writer
// ---------------------------------------------------------------------------

struct CollectorOptions {
  std::string db_path;
  // Back-pressure: a request is refused (kResourceExhausted, answered 429 with
  // Retry-After) while this many messages already wait for the writer.
  size_t max_queued_messages = 200000;
  // At most this many messages go into one transaction.
  size_t max_messages_per_commit = 20000;
  // synchronous=FULL: survive power loss too (slower); NORMAL survives process crashes.
  bool synchronous_full = false;
};

struct CollectorStats {
  uint64_t accepted = 0;     // messages stored
  uint64_t duplicates = 0;   // messages whose messageId was already stored
  uint64_t rejected = 0;     // messages kept in the rejects table
  uint64_t erased = 0;       // messages about erased people, not stored (R28)
  uint64_t commits = 0;
  uint64_t orders = 0;       // "Order Completed" tracks that became orders
  uint64_t stitched = 0;     // anonymous profiles joined to a known user
  uint64_t queued = 0;       // messages waiting now
  uint64_t refused = 0;      // requests answered 429
  double commit_seconds = 0; // total time spent in commits
};

class Collector {
 public:
  static Result<std::unique_ptr<Collector>> Start(const CollectorOptions& options, const Clock& clock);
  virtual ~Collector() = default;

  // Stores `request`'s messages (and rejects) under the source `source_name`,
  // blocking until they are committed. kResourceExhausted when the queue is
  // full (nothing stored); kUnavailable when the database refused the commit.
  virtual Status Submit(std::string_view source_name, ParsedRequest request) = 0;

  // Finishes every submitted request, then stops the writer. Idempotent.
  virtual void Stop() = 0;
  virtual CollectorStats stats() const = 0;
  // A customer was erased or merged elsewhere: forget cached key -> customer links.
  virtual void InvalidateCaches() = 0;
};

}  // namespace patron::collect
