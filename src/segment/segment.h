// Patron segments: the segment language (text and JSON forms), its evaluation
// over the engine snapshot, explain, the SQL emitter (SQLite and PostgreSQL) and
// saved segments with membership history. The language is documented in
// docs/segments.md; this header is its single C++ interface.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/core.h"

// CRoaring's C++ bitmap (global namespace in the Debian 12 release).
class Roaring;

namespace patron {
class Database;
namespace engine {
struct Snapshot;
}
}  // namespace patron

namespace patron::segment {

// Where a node starts in the text (1-based).
struct Position {
  int line = 1;
  int column = 1;
};

struct Duration {
  enum class Unit { kHours, kDays, kWeeks, kMonths, kYears };
  int64_t amount = 0;
  Unit unit = Unit::kDays;
  bool operator==(const Duration&) const = default;
};

// A literal: "text", 12.5, 2024-03-01 (a Gregorian date; Persian dates are
// converted when read and keep their text), `90 days ago`, true/false.
struct Value {
  enum class Kind { kText, kNumber, kDate, kAgo, kBoolean };
  Kind kind = Kind::kText;
  std::string text;    // kText: the string; kNumber/kDate: as written
  double number = 0;   // kNumber, kBoolean (0/1)
  CivilDate date;      // kDate (Gregorian)
  Duration ago;        // kAgo
  bool operator==(const Value& o) const;
};

enum class Op {
  kEq, kNe, kLt, kLe, kGt, kGe,
  kIn, kNotIn, kBetween,
  kIsMissing, kIsNotMissing,
  kContains, kStartsWith,
  kWithin,  // timestamp/date field: within the last DURATION
  kBefore, kAfter,
};
std::string_view OpText(Op op);

// When activity happened.
struct Window {
  enum class Kind { kAny, kWithin, kBetween, kBefore, kAfter, kInMonth };
  Kind kind = Kind::kAny;
  Duration within;
  Value from, to;  // kBetween: from..to; kBefore/kAfter: from
  Calendar calendar = Calendar::kGregorian;  // kInMonth
  int month = 0;                             // kInMonth: 1-based month of `calendar`
  int year = 0;                              // kInMonth: 0 for every year
  bool operator==(const Window&) const = default;
};

// The rows an activity condition looks at.
enum class Source { kPurchase, kOrder, kEvent };
std::string_view SourceName(Source s);

enum class Aggregate { kCount, kSum, kAvg, kMin, kMax, kFirst, kLast, kDistinct };
std::string_view AggregateName(Aggregate a);

struct Node {
  enum class Kind {
    kAnd, kOr, kNot,
    kCompare,     // field op values (profile, attr.X, account.X; or an activity field inside a filter)
    kTagged,      // tagged("vip", ...): has any of the tags
    kActivity,    // bought(...), ordered(...), did("type", ...), received(...): at least one matching row
    kAggregate,   // count/sum/avg/min/max/first/last/distinct(source[.field], filters, window) op value
    kSequence,    // ACTIVITY then [not] ACTIVITY within DURATION
    kReachable,   // reachable(channel[, "purpose"])
    kSegmentRef,  // segment("name")
    kRecommended, // recommended("category"): a top recommendation is in the category (or below it)
    kPropensity,  // propensity("category") op value: P(buys in the category in 30 days)
  };
  Kind kind = Kind::kAnd;
  Position pos;
  std::vector<Node> children;  // and/or/not; sequence: [first, then]

  // kCompare; kAggregate uses op/values for its comparison.
  std::string field;
  Op op = Op::kEq;
  std::vector<Value> values;

  // kActivity / kAggregate
  std::string function;    // as written: bought, ordered, did, received, count, sum, ...
  Source source = Source::kPurchase;
  std::string event_type;  // did("type") / received: the event type ("" = any)
  Aggregate aggregate = Aggregate::kCount;
  std::string aggregate_field;  // sum(order.amount) -> "amount"; "" for count
  std::vector<Node> filters;    // kCompare nodes over the source's fields
  Window window;

  // kSequence
  bool then_not = false;
  Duration then_within;

  // kReachable: channel and purpose; kSegmentRef: name in `name`; kTagged: values;
  // kRecommended and kPropensity: the category in `name` (kPropensity compares
  // with op/values like an aggregate).
  std::string channel, purpose, name;

  bool operator==(const Node&) const;
};

// Names the checker accepts beyond the built-in profile fields.
struct Vocabulary {
  std::map<std::string, std::string> attributes;  // custom attribute -> declared type (attr.NAME or NAME)
  std::vector<std::string> saved_segments;  // names usable in segment("...")
  std::vector<std::string> event_types;     // did("...") with a near miss of one of these is refused with a hint
};

// Parses the text form. Errors carry line, column, what was expected and a hint.
Result<Node> Parse(std::string_view text, const Vocabulary& vocabulary = {});

// The canonical text form: Parse(ToText(n)) == n.
std::string ToText(const Node& node);

// The JSON form (same structure as the AST; documented in docs/segments.md).
std::string ToJson(const Node& node);
Result<Node> FromJson(std::string_view json, const Vocabulary& vocabulary = {});

// Top-level clauses of an `and` chain (the node itself when it is not an `and`).
std::vector<const Node*> Clauses(const Node& node);

// ---------------------------------------------------------------------------
// Evaluation
// ---------------------------------------------------------------------------

// Resolves segment("name") references to their parsed definitions.
using SegmentResolver = std::function<Result<Node>(std::string_view name)>;

struct EvalOptions {
  Instant now;                 // "within 90 days" counts back from here
  SegmentResolver resolve;     // required when the segment references saved ones
  int threads = 2;             // scans split across this many threads
  int64_t freshness_days = 365;  // reachable(): a contact verified longer ago is stale
  const Vocabulary* vocabulary = nullptr;  // EmitSql: custom attribute types (text when unknown)
};

// The customers (dense snapshot indexes) a segment selects.
Result<::Roaring> Evaluate(const engine::Snapshot& snapshot, const Node& node, const EvalOptions& options);
// How many customers match (no result bitmap is built).
Result<uint64_t> Count(const engine::Snapshot& snapshot, const Node& node, const EvalOptions& options);

struct ClauseExplain {
  std::string text;     // the clause in canonical text
  uint64_t matched = 0;  // customers the clause selects on its own
  uint64_t remaining = 0;  // customers left after this and every earlier clause
  double ms = 0;
};
struct Explain {
  std::vector<ClauseExplain> clauses;
  uint64_t total_customers = 0;
  uint64_t count = 0;
  double ms = 0;
};
Result<Explain> ExplainSegment(const engine::Snapshot& snapshot, const Node& node, const EvalOptions& options);

// ---------------------------------------------------------------------------
// SQL
// ---------------------------------------------------------------------------

// DuckDB is for side-by-side benchmarks; it reads the same tables (events'
// properties as JSON text).
enum class Dialect { kSqlite, kPostgres, kDuckDb };

// `SELECT c.id FROM customers c WHERE ... ORDER BY c.id` over Patron's schema.
// Times are absolute (computed from options.now) so that the SQL and the engine
// answer the same question. The SQLite form calls patron_fold(), which
// RegisterSqlFunctions() adds to a connection; the PostgreSQL form uses lower().
Result<std::string> EmitSql(const Node& node, Dialect dialect, const EvalOptions& options);
Status RegisterSqlFunctions(Database& db);

// ---------------------------------------------------------------------------
// Saved segments
// ---------------------------------------------------------------------------

struct SavedSegment {
  int64_t id = 0;
  std::string name, definition, description;
  Instant created_at, updated_at;
  int64_t last_count = -1;  // -1 before the first snapshot
};

// Saves (or replaces) a named segment after checking that it parses.
Result<SavedSegment> SaveSegment(Database& db, std::string_view name, std::string_view definition,
                                 std::string_view description, const Clock& clock);
Result<std::vector<SavedSegment>> ListSegments(Database& db);
Result<SavedSegment> LoadSegment(Database& db, std::string_view name);
Status DeleteSegment(Database& db, std::string_view name);
// A resolver over the saved segments of `db` (detects cycles).
SegmentResolver StoreResolver(Database& db);
Vocabulary LoadVocabulary(Database& db, const engine::Snapshot* snapshot);

// Records today's membership of a saved segment: who entered and who left
// since the previous snapshot, and the day's count.
struct MembershipChange {
  int64_t count = 0, entered = 0, left = 0;
};
Result<MembershipChange> RecordMembership(Database& db, const SavedSegment& segment,
                                          const std::vector<int64_t>& customer_ids, const Clock& clock);

}  // namespace patron::segment
