// Patron engine: an immutable, in-memory columnar snapshot of the customer base,
// built from the store, that the segment evaluator scans.
//
// Layout (see docs/segments.md, "How segments run"):
// - customers get dense indexes 0..n-1 in store-id order;
// - profile fields, custom attributes and account fields are typed columns:
//   text is dictionary-encoded (code 0 = missing), everything else is a double
//   (NaN = missing; dates are yyyymmdd, timestamps microseconds — both exact);
// - orders, purchases (order lines) and events are grouped by customer (CSR
//   offsets) and sorted by time inside each customer;
// - event properties are loaded per key on first use (most segments touch one
//   or two keys; loading all would cost more memory than every other column);
// - tags, consents and reachability are bitmaps / per-customer values;
// - per-customer first/last times per event type, category and order, and
//   per-event-type row indexes, are built on first use;
// - the snapshot persists to DB.engine (snapshot_file.cc) and is loaded from
//   there while the store has not changed: the loaded columns view the mapped
//   file (Array) rather than copies of it;
// - a snapshot is brought up to date by ApplyDelta (delta.cc), which reads only
//   the customers, events and customer-owned rows that changed since its
//   watermarks and publishes a new snapshot; anything it cannot absorb that way
//   (deletes of customers or events, shared tables, model scores) is detected
//   by the store's rebuild generation and means a full rebuild.
//
// Thread-safety: a Snapshot is immutable after it is built or loaded, except
// for what is built on first use (event-property columns, time bounds, type
// row indexes), each guarded by a mutex. Readers share one snapshot through
// std::shared_ptr<const Snapshot>.
#pragma once

#include <cmath>
#include <limits>
#include <cstdint>
#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <initializer_list>
#include <unordered_map>
#include <vector>

#include "core/core.h"

// CRoaring's C++ bitmap (global namespace in the Debian 12 release).
class Roaring;

namespace patron {
class Database;
}

namespace patron::engine {

inline constexpr double kMissing = std::numeric_limits<double>::quiet_NaN();
inline bool IsMissing(double v) { return std::isnan(v); }

enum class ValueType { kText, kInteger, kNumber, kBoolean, kDate, kTimestamp };
std::string_view ValueTypeName(ValueType t);

// Hashes std::string and std::string_view alike, so that look-ups by view
// allocate nothing.
struct TextHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// An array of a snapshot: owned, or a view of the mapped snapshot file that
// keeps the mapping alive (LoadSnapshot: a start-up maps the file instead of
// copying it, so it costs no copy and no memory beyond the page cache).
// Const access never copies. Non-const access first copies a view into owned
// memory (copy on write), so the build and ApplyDelta use it like a
// std::vector; copying an Array that views shares the view.
template <typename T>
class Array {
 public:
  using value_type = T;
  using iterator = T*;
  using const_iterator = const T*;
  Array() = default;
  Array(std::initializer_list<T> values) : owned_(values) { Sync(); }
  explicit Array(std::vector<T> values) : owned_(std::move(values)) { Sync(); }
  // `count` values at `data`, which stay valid while `keep` is held.
  static Array View(const T* data, size_t count, std::shared_ptr<const void> keep) {
    Array a;
    a.data_ = data;
    a.size_ = count;
    a.keep_ = std::move(keep);
    return a;
  }
  Array(const Array& other) { *this = other; }
  Array(Array&& other) noexcept { *this = std::move(other); }
  Array& operator=(const Array& other) {
    if (this == &other) return *this;
    if (other.keep_) {
      std::vector<T>().swap(owned_);
      keep_ = other.keep_;
      data_ = other.data_;
      size_ = other.size_;
    } else {
      keep_.reset();
      owned_ = other.owned_;
      Sync();
    }
    return *this;
  }
  Array& operator=(Array&& other) noexcept {
    if (this == &other) return *this;
    owned_ = std::move(other.owned_);
    keep_ = std::move(other.keep_);
    data_ = keep_ ? other.data_ : owned_.data();
    size_ = keep_ ? other.size_ : owned_.size();
    other.owned_.clear();
    other.keep_.reset();
    other.Sync();
    return *this;
  }
  Array& operator=(std::vector<T> values) {
    owned_ = std::move(values);
    keep_.reset();
    Sync();
    return *this;
  }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  size_t capacity() const { return keep_ ? size_ : owned_.capacity(); }
  bool is_view() const { return keep_ != nullptr; }
  const T* data() const { return data_; }
  const T& operator[](size_t i) const { return data_[i]; }
  const T* begin() const { return data_; }
  const T* end() const { return data_ + size_; }
  const T& front() const { return data_[0]; }
  const T& back() const { return data_[size_ - 1]; }
  operator std::span<const T>() const { return {data_, size_}; }  // NOLINT: views convert freely
  std::span<const T> span() const { return {data_, size_}; }
  friend bool operator==(const Array& a, const Array& b) { return std::ranges::equal(a.span(), b.span()); }

  // Mutation (copies a view first).
  T& operator[](size_t i) {
    Own();
    return owned_[i];
  }
  T* data() {
    Own();
    return owned_.data();
  }
  T* begin() {
    Own();
    return owned_.data();
  }
  T* end() {
    Own();
    return owned_.data() + owned_.size();
  }
  T& back() {
    Own();
    return owned_.back();
  }
  void push_back(const T& v) { Edit([&](auto& o) { o.push_back(v); }); }
  void reserve(size_t n) { Edit([&](auto& o) { o.reserve(n); }); }
  void resize(size_t n) { Edit([&](auto& o) { o.resize(n); }); }
  void resize(size_t n, const T& v) { Edit([&](auto& o) { o.resize(n, v); }); }
  void assign(size_t n, const T& v) { Edit([&](auto& o) { o.assign(n, v); }); }
  template <typename It>
  void assign(It first, It last) {
    Edit([&](auto& o) { o.assign(first, last); });
  }
  template <typename It>
  void append(It first, It last) {
    Edit([&](auto& o) { o.insert(o.end(), first, last); });
  }
  void clear() {
    keep_.reset();
    owned_.clear();
    Sync();
  }
  void shrink_to_fit() { Edit([](auto& o) { o.shrink_to_fit(); }); }

 private:
  void Own() {
    if (!keep_) return;
    std::vector<T> copy(data_, data_ + size_);
    owned_.swap(copy);
    keep_.reset();
    Sync();
  }
  template <typename F>
  void Edit(F f) {
    Own();
    f(owned_);
    Sync();
  }
  void Sync() {
    data_ = owned_.data();
    size_ = owned_.size();
  }
  std::vector<T> owned_;
  const T* data_ = nullptr;
  size_t size_ = 0;
  std::shared_ptr<const void> keep_;
};

// A dictionary of distinct strings; code 0 is the missing value.
struct Dictionary {
  std::vector<std::string> values{std::string()};
  std::vector<std::string> folded{std::string()};  // FoldForMatching(values[i])
  std::unordered_map<std::string, uint32_t, TextHash, std::equal_to<>> index;

  uint32_t Intern(std::string_view value);
  size_t size() const { return values.size(); }
};

// One typed column over customers, accounts or products.
struct Column {
  ValueType type = ValueType::kText;
  Array<uint32_t> codes;  // kText
  Dictionary dict;              // kText
  Array<double> numbers;  // every other type; NaN when missing
};

// Rows of one kind of activity grouped by customer: rows of customer c are
// [offsets[c], offsets[c+1]), in ascending time.
struct Grouped {
  Array<uint32_t> offsets;  // customers + 1 entries
  Array<int64_t> at;        // microseconds since the epoch
};

struct Orders : Grouped {
  Array<double> amount;  // major units of the order's currency
  Array<uint32_t> channel, status, currency;
  Dictionary channels, statuses, currencies;
};

struct Purchases : Grouped {  // order lines
  Array<uint32_t> product;  // index into Products; UINT32_MAX when unknown
  Array<uint32_t> order_channel, status, currency;  // codes in Orders' dictionaries
  Array<double> quantity, amount, unit_price;        // amount = quantity × price − discount
};

struct Products {
  Array<int64_t> ids;
  Column sku, name, brand;
  Array<int32_t> category;  // index into Categories; -1 when none
};

struct Categories {
  std::vector<std::string> slugs;  // "electronics/phones"
  std::vector<std::string> names;
  Array<int32_t> parent;  // -1 for a root
  // Indexes of the categories a name means, each with all its descendants: the
  // full slug, the last slug part ("phones") or the display name, folded.
  std::vector<uint8_t> Matching(std::string_view name) const;
};

struct Events : Grouped {
  Array<uint32_t> type;  // code in `types`
  Dictionary types;
  int64_t max_event_id = 0;    // the snapshot's events are those with id <= this
};

// The values of one event property key, one code per event (0 = absent).
struct PropertyColumn {
  std::vector<uint32_t> codes;
  Dictionary dict;
  std::vector<double> numbers;  // per dictionary entry: its numeric value or NaN
};

// Model outputs per customer (src/models, `patron model score`): the top
// recommended products, and per product category the probability of buying in
// it in the next 30 days. Rows of customer c are [offsets[c], offsets[c+1]).
struct ModelScores {
  Array<uint32_t> recommended_offsets;  // customers + 1
  Array<uint32_t> recommended;          // product indexes, best first
  Array<uint32_t> propensity_offsets;   // customers + 1
  Array<int32_t> propensity_category;   // category indexes, ascending store id
  Array<double> propensity;             // P(buys in the category in 30 days)
};

enum class Channel { kEmail, kSms, kPhone, kMail, kPush };
inline constexpr int kChannelCount = 5;
std::string_view ChannelName(Channel c);
Result<Channel> ParseChannel(std::string_view name);

// What a snapshot has seen of the store (migration 0010): the rebuild
// generation it was built at, its largest customer, order and event ids, and
// the largest customer-change sequence number it has applied.
struct Watermarks {
  int64_t schema_version = 0;
  // engine_generation.generation: bumped by every writer's transaction
  // (NoteEngineInputsChanged); writes the triggers leave unmarked (to the
  // newest customer and order) are noticed through it.
  int64_t generation = 0;
  int64_t rebuild_generation = 0;
  int64_t max_customer_id = 0;
  int64_t max_order_id = 0;
  int64_t max_event_id = 0;
  int64_t change_seq = 0;
  bool operator==(const Watermarks&) const = default;
};

struct Snapshot {
  Instant built_at;
  Watermarks watermarks;
  Array<int64_t> customer_ids;        // dense index -> store id (ascending)
  std::map<std::string, Column, std::less<>> profile;     // "city", "age" is derived
  std::map<std::string, Column, std::less<>> attributes;  // custom attributes
  std::map<std::string, std::unique_ptr<::Roaring>, std::less<>> tags;  // folded tag -> customers

  // Accounts: columns over accounts, and each customer's accounts.
  Array<int64_t> account_ids;
  std::map<std::string, Column, std::less<>> account_columns;
  Array<uint32_t> account_offsets;  // customers + 1
  Array<uint32_t> account_members;  // account indexes

  Orders orders;
  Purchases purchases;
  Products products;
  Categories categories;
  Events events;
  ModelScores scores;

  // Reachability inputs: the latest consent per (channel, purpose) that is
  // "granted", and per channel the newest verification time (micros, NaN when
  // none) of a verified contact point that the channel can use.
  std::map<std::pair<int, std::string>, std::unique_ptr<::Roaring>> consent_granted;
  Array<double> contact_fresh_at[kChannelCount];

  Snapshot();
  ~Snapshot();
  Snapshot(const Snapshot&) = delete;
  Snapshot& operator=(const Snapshot&) = delete;

  uint32_t customer_count() const { return static_cast<uint32_t>(customer_ids.size()); }
  // Dense index of a store id, or UINT32_MAX.
  uint32_t IndexOf(int64_t customer_id) const;

  // The values of event property `key`, loaded from the store on first use.
  Result<const PropertyColumn*> Property(std::string_view key) const;

  // Per customer, the first and last time of one kind of row: events of one
  // type, order lines of one category (exactly that category), or any order.
  // INT64_MAX / INT64_MIN for customers without such rows. Computed on first
  // use with one pass over the rows (8 + 8 bytes per customer per kind), they
  // answer "did / bought ... within a window" without visiting the rows.
  struct TimeBounds {
    std::vector<int64_t> first, last;
  };
  const TimeBounds& EventTypeBounds(uint32_t type_code) const;
  const TimeBounds& CategoryBounds(int32_t category) const;
  const TimeBounds& OrderBounds() const;
  const TimeBounds& PurchaseBounds() const;  // any order line

  // The positions of one event type's rows, grouped by customer (offsets:
  // customers + 1) and in time order: conditions on one event type visit only
  // its rows. Built on first use; 4 bytes per event of the type.
  struct TypeRows {
    std::vector<uint32_t> offsets, rows;
  };
  const TypeRows& EventTypeRows(uint32_t type_code) const;

  // Approximate bytes held by the columns (for benchmarks and `segment stats`).
  size_t MemoryBytes() const;
  size_t EventBytes() const;

 private:
  friend Result<std::shared_ptr<const Snapshot>> BuildSnapshot(Database& db, const Clock& clock,
                                                               const std::function<void(uint64_t, uint64_t)>& progress);
  friend Status SaveSnapshot(const Snapshot& s, const struct StoreStamp& stamp, const std::string& path);
  friend Result<std::shared_ptr<const Snapshot>> LoadSnapshot(const std::string& path, const struct StoreStamp& expected,
                                                              const std::string& db_path, bool require_current);
  friend class DeltaBuilder;
  std::string db_path_;
  mutable std::mutex property_mutex_;
  mutable std::map<std::string, std::unique_ptr<PropertyColumn>, std::less<>> properties_;
  mutable std::mutex bounds_mutex_;
  mutable std::map<std::pair<int, int64_t>, std::unique_ptr<TimeBounds>> bounds_;
  mutable std::map<uint32_t, std::unique_ptr<TypeRows>> type_rows_;
  Array<uint32_t> index_by_id_;     // store id -> dense index (UINT32_MAX when none)
  Array<uint32_t> event_position_;  // event id -> position in `events` (UINT32_MAX when none)
};

// Reads the whole store into a snapshot. `progress(done, total)` counts rows.
Result<std::shared_ptr<const Snapshot>> BuildSnapshot(Database& db, const Clock& clock,
                                                      const std::function<void(uint64_t, uint64_t)>& progress = {});

// What identifies the store's contents for a persisted snapshot: a generation
// counter that imports and model scoring bump once per transaction and
// triggers bump for other writes (NoteEngineInputsChanged in store.h), plus
// the largest customer, order and event ids.
struct StoreStamp {
  int64_t schema_version = 0;
  int64_t generation = 0;
  int64_t max_customer_id = 0, max_order_id = 0, max_event_id = 0;
  bool operator==(const StoreStamp&) const = default;
};
Result<StoreStamp> ReadStoreStamp(Database& db);

// The snapshot file (docs/segments.md, "The snapshot file"): written to
// PATH.partial and renamed, so a crash never leaves half a file under PATH.
Status SaveSnapshot(const Snapshot& s, const StoreStamp& stamp, const std::string& path);
// Loads a snapshot file. kNotFound when there is none, kDataLoss when it is
// damaged, kFailedPrecondition when it was written for another state of the
// store (unless !require_current: then a file of an older state loads too, for
// ApplyDelta to bring up to date).
Result<std::shared_ptr<const Snapshot>> LoadSnapshot(const std::string& path, const StoreStamp& expected,
                                                     const std::string& db_path, bool require_current = true);
// DB_PATH.engine
std::string SnapshotPath(const std::string& db_path);

enum class SnapshotSource { kFile, kStore, kFileAndDelta };
// The snapshot for `db`: from its snapshot file when that is intact and
// current; from the file brought up to date by ApplyDelta when the store only
// grew since (then written back); else built from the store and written for
// the next start.
Result<std::shared_ptr<const Snapshot>> OpenSnapshot(Database& db, const Clock& clock,
                                                     const std::function<void(uint64_t, uint64_t)>& progress = {},
                                                     SnapshotSource* source = nullptr);

// Reads the store's current watermarks (in the caller's transaction, if any).
Result<Watermarks> ReadWatermarks(Database& db);

struct DeltaStats {
  uint64_t new_customers = 0;
  uint64_t changed_customers = 0;  // existing customers whose own rows were re-read
  uint64_t new_events = 0;
};

// A new snapshot equal to what BuildSnapshot would build now, made from `base`
// by reading only what changed since it (new customers and events by id,
// changed customers from engine_customer_changes) and copying the rest. Returns
// `base` itself when nothing changed. kFailedPrecondition ("rebuild: ...") when
// the store changed in a way only a rebuild can absorb. `base` and everyone
// holding it are unaffected: they keep reading the old snapshot.
Result<std::shared_ptr<const Snapshot>> ApplyDelta(const std::shared_ptr<const Snapshot>& base, Database& db,
                                                   const Clock& clock, DeltaStats* stats = nullptr);

enum class RefreshKind { kUnchanged, kDelta, kRebuild };
// ApplyDelta when it can, else BuildSnapshot. `base` may be null (then builds).
Result<std::shared_ptr<const Snapshot>> RefreshSnapshot(const std::shared_ptr<const Snapshot>& base, Database& db,
                                                        const Clock& clock, RefreshKind* kind = nullptr);

// Publishes one current snapshot of a store to concurrent readers (the
// server's segment routes). Get() answers with a snapshot that includes every
// write committed before it was called (read-your-writes), bringing the
// snapshot up to date first when the store changed: by ApplyDelta, or by a
// rebuild when only that can. Publications are at most one per
// `min_interval`: a request that finds the store changed sooner waits for the
// next publication, which then serves every request waiting with it, so a
// stream of collected events costs one delta per interval, not one per request.
// Readers keep whatever snapshot they got for as long as they hold it.
class SnapshotPublisher {
 public:
  explicit SnapshotPublisher(std::chrono::milliseconds min_interval = std::chrono::milliseconds(100))
      : min_interval_(min_interval) {}
  Result<std::shared_ptr<const Snapshot>> Get(Database& db, const Clock& clock);
  // The last published snapshot (null before the first Get), without looking at the store.
  std::shared_ptr<const Snapshot> Current() const;

  struct Stats {
    uint64_t loads = 0, deltas = 0, rebuilds = 0;
  };
  Stats stats() const;

 private:
  const std::chrono::milliseconds min_interval_;
  mutable std::mutex published_mu_;  // guards current_ and stats_
  std::shared_ptr<const Snapshot> current_;
  Stats stats_;
  std::mutex refresh_mu_;  // one refresh at a time
  std::chrono::steady_clock::time_point published_at_{};
};

// Profile fields every snapshot has, with their types ("age" is derived from
// birth_date at query time; "source" is the name of the customer's first source).
struct FieldInfo {
  std::string_view name;
  ValueType type;
};
const std::vector<FieldInfo>& ProfileFields();
// Computed traits (src/models, `patron model score`), stored with the profile
// columns of the snapshot; missing until the customer is scored.
const std::vector<FieldInfo>& TraitFields();
const std::vector<FieldInfo>& AccountFields();

// Civil date helpers for yyyymmdd-encoded dates.
inline double EncodeDate(const CivilDate& d) { return d.year * 10000.0 + d.month * 100.0 + d.day; }

}  // namespace patron::engine
