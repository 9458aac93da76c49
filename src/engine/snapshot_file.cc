// The persisted engine snapshot (format in docs/segments.md, "The snapshot
// file"): every column written in a fixed order, then a checksum of all bytes.
// Loading checks the magic, the version, the checksum and that the store has
// not changed since (StoreStamp); anything else means rebuild from SQLite.
#include <roaring/roaring.hh>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <span>

#include "engine/build_internal.h"
#include "engine/engine.h"
#include "store/store.h"

namespace patron::engine {

namespace {

constexpr char kMagic[16] = {'P', 'A', 'T', 'R', 'O', 'N', '-', 'E', 'N', 'G', 'I', 'N', 'E', 0, 0, 1};
constexpr uint32_t kFormatVersion = 4;  // 3: model scores; 4: watermarks for incremental updates

// A fast 64-bit checksum over 8-byte words (tail bytes zero-padded). It finds
// damage (a torn write, a flipped block), not tampering.
class Checksum {
 public:
  void Add(const void* data, size_t n) {
    const auto* p = static_cast<const unsigned char*>(data);
    while (n > 0 && pending_ != 0) {  // finish a started word
      reinterpret_cast<unsigned char*>(&word_)[pending_++] = *p++;
      n--;
      if (pending_ == 8) Mix();
    }
    for (; n >= 8; p += 8, n -= 8) {  // whole words
      std::memcpy(&word_, p, 8);
      Mix();
    }
    while (n > 0) {
      reinterpret_cast<unsigned char*>(&word_)[pending_++] = *p++;
      n--;
    }
  }
  uint64_t Finish() {
    if (pending_) Mix();
    uint64_t h = h_ ^ total_;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
  }

 private:
  void Mix() {
    h_ = (h_ ^ (word_ * 0x9E3779B97F4A7C15ULL)) * 0xC2B2AE3D27D4EB4FULL;
    h_ = (h_ << 31) | (h_ >> 33);
    total_ += 8;
    word_ = 0;
    pending_ = 0;
  }
  uint64_t h_ = 0x243F6A8885A308D3ULL, word_ = 0, total_ = 0;
  size_t pending_ = 0;
};

class Writer {
 public:
  explicit Writer(std::FILE* f) : f_(f) {}
  void Raw(const void* p, size_t n) {
    if (n && std::fwrite(p, 1, n, f_) != n) ok_ = false;
    sum_.Add(p, n);
    offset_ += n;
  }
  // Zero bytes up to the next multiple of 8, so that loaded arrays are aligned.
  void Align() {
    static constexpr char kZeros[8] = {};
    if (offset_ % 8) Raw(kZeros, 8 - offset_ % 8);
  }
  template <typename T>
  void Pod(const T& v) {
    Raw(&v, sizeof v);
  }
  template <typename T>
  void Vector(const std::vector<T>& v) {
    Pod(static_cast<uint64_t>(v.size()));
    Align();
    Raw(v.data(), v.size() * sizeof(T));
  }
  void String(const std::string& s) {
    Pod(static_cast<uint64_t>(s.size()));
    Raw(s.data(), s.size());
  }
  void Strings(const std::vector<std::string>& v) {
    Pod(static_cast<uint64_t>(v.size()));
    for (const auto& s : v) String(s);
  }
  void Dict(const Dictionary& d) {
    Strings(d.values);
    Strings(d.folded);
  }
  void Col(const Column& c) {
    Pod(static_cast<int32_t>(c.type));
    Vector(c.codes);
    Dict(c.dict);
    Vector(c.numbers);
  }
  void Bitmap(const Roaring& r) {
    std::vector<char> buf(r.getSizeInBytes());
    r.write(buf.data());
    Vector(buf);
  }
  bool ok() const { return ok_; }
  uint64_t Finish() { return sum_.Finish(); }

 private:
  std::FILE* f_;
  Checksum sum_;
  uint64_t offset_ = 0;
  bool ok_ = true;
};

class Reader {
 public:
  // `base` is where the file starts (page-aligned), for alignment padding.
  Reader(const char* base, const char* p, size_t n) : base_(base), p_(p), end_(p + n) {}
  bool Raw(void* out, size_t n) {
    if (static_cast<size_t>(end_ - p_) < n) return ok_ = false;
    if (n) std::memcpy(out, p_, n);
    p_ += n;
    return true;
  }
  template <typename T>
  T Pod() {
    T v{};
    Raw(&v, sizeof v);
    return v;
  }
  template <typename T>
  std::vector<T> Vector() {
    auto n = Pod<uint64_t>();
    std::vector<T> v;
    size_t pad = (8 - static_cast<size_t>(p_ - base_) % 8) % 8;
    if (!ok_ || pad > static_cast<size_t>(end_ - p_) || n > static_cast<uint64_t>(end_ - p_ - pad) / sizeof(T)) {
      ok_ = false;
      return v;
    }
    p_ += pad;
    // The file is mapped at a page boundary and arrays start at multiples of 8:
    // the elements can be copied as they lie, without zero-filling first.
    const T* first = reinterpret_cast<const T*>(p_);
    v.assign(first, first + n);
    p_ += n * sizeof(T);
    return v;
  }
  // The next array as it lies in the mapped file, without copying (valid while
  // the mapping is). Empty, with !ok(), when it does not fit.
  template <typename T>
  std::span<const T> View() {
    auto n = Pod<uint64_t>();
    size_t pad = (8 - static_cast<size_t>(p_ - base_) % 8) % 8;
    if (!ok_ || pad > static_cast<size_t>(end_ - p_) || n > static_cast<uint64_t>(end_ - p_ - pad) / sizeof(T)) {
      ok_ = false;
      return {};
    }
    p_ += pad;
    std::span<const T> v(reinterpret_cast<const T*>(p_), static_cast<size_t>(n));
    p_ += n * sizeof(T);
    return v;
  }
  std::string String() {
    auto n = Pod<uint64_t>();
    if (!ok_ || n > static_cast<uint64_t>(end_ - p_)) {
      ok_ = false;
      return {};
    }
    std::string s(p_, n);
    p_ += n;
    return s;
  }
  std::vector<std::string> Strings() {
    auto n = Pod<uint64_t>();
    std::vector<std::string> v;
    if (!ok_ || n > static_cast<uint64_t>(end_ - p_) / 8) {
      ok_ = false;
      return v;
    }
    v.reserve(n);
    for (uint64_t i = 0; i < n && ok_; ++i) v.push_back(String());
    return v;
  }
  void Dict(Dictionary& d) {
    d.values = Strings();
    d.folded = Strings();
    if (d.values.size() != d.folded.size() || d.values.empty()) ok_ = false;
    // The look-up index is not stored: rebuilt here, or look-ups by name (reports'
    // event roles) and Intern (deltas: a duplicate code for a known value) go wrong.
    d.index.clear();
    d.index.reserve(d.values.size());
    for (size_t i = 1; i < d.values.size(); ++i) d.index.emplace(d.values[i], static_cast<uint32_t>(i));
  }
  void Col(Column& c) {
    c.type = static_cast<ValueType>(Pod<int32_t>());
    c.codes = Vector<uint32_t>();
    Dict(c.dict);
    c.numbers = Vector<double>();
    for (uint32_t code : c.codes) {
      if (code >= c.dict.size()) {
        ok_ = false;
        break;
      }
    }
  }
  std::unique_ptr<Roaring> Bitmap() {
    auto buf = Vector<char>();
    if (!ok_) return std::make_unique<Roaring>();
    return std::make_unique<Roaring>(Roaring::readSafe(buf.data(), buf.size()));
  }
  bool ok() const { return ok_; }
  bool at_end() const { return p_ == end_; }
  void Fail() { ok_ = false; }

 private:
  const char* base_;
  const char* p_;
  const char* end_;
  bool ok_ = true;
};

void WriteColumns(Writer& w, const std::map<std::string, Column, std::less<>>& m) {
  w.Pod(static_cast<uint64_t>(m.size()));
  for (const auto& [name, col] : m) {
    w.String(name);
    w.Col(col);
  }
}

void ReadColumns(Reader& r, std::map<std::string, Column, std::less<>>& m, size_t rows) {
  auto n = r.Pod<uint64_t>();
  for (uint64_t i = 0; i < n && r.ok(); ++i) {
    std::string name = r.String();
    Column& c = m[name];
    r.Col(c);
    size_t size = c.type == ValueType::kText ? c.codes.size() : c.numbers.size();
    if (size != rows) return r.Fail();
  }
}

void WriteGrouped(Writer& w, const Grouped& g) {
  w.Vector(g.offsets);
  w.Vector(g.at);
}

void ReadGrouped(Reader& r, Grouped& g, size_t customers) {
  g.offsets = r.Vector<uint32_t>();
  g.at = r.Vector<int64_t>();
  if (g.offsets.size() != customers + 1 || g.offsets.back() != g.at.size()) r.Fail();
}

}  // namespace

Result<StoreStamp> ReadStoreStamp(Database& db) {
  StoreStamp s;
  s.schema_version = db.schema_version();
  Statement& q = db.Query("engine-store-stamp");
  ASSIGN_OR_RETURN(bool row, q.Step());
  if (row) {
    s.generation = q.Int(0);
    s.max_customer_id = q.Int(1);
    s.max_order_id = q.Int(2);
    s.max_event_id = q.Int(3);
  }
  q.Reset();
  return s;
}

Status SaveSnapshot(const Snapshot& s, const StoreStamp& stamp, const std::string& path) {
  std::string partial = path + ".partial";
  std::FILE* f = std::fopen(partial.c_str(), "wb");
  if (!f) return IoError("cannot write the engine snapshot '" + partial + "'");
  Writer w(f);
  w.Raw(kMagic, sizeof kMagic);
  w.Pod(kFormatVersion);
  w.Pod(stamp);
  w.Pod(s.built_at.micros);
  w.Pod(s.watermarks);
  w.Vector(s.customer_ids);
  w.Vector(s.index_by_id_);
  WriteColumns(w, s.profile);
  WriteColumns(w, s.attributes);
  w.Pod(static_cast<uint64_t>(s.tags.size()));
  for (const auto& [tag, bitmap] : s.tags) {
    w.String(tag);
    w.Bitmap(*bitmap);
  }
  w.Vector(s.account_ids);
  WriteColumns(w, s.account_columns);
  w.Vector(s.account_offsets);
  w.Vector(s.account_members);
  WriteGrouped(w, s.orders);
  w.Vector(s.orders.amount);
  w.Vector(s.orders.channel);
  w.Vector(s.orders.status);
  w.Vector(s.orders.currency);
  w.Dict(s.orders.channels);
  w.Dict(s.orders.statuses);
  w.Dict(s.orders.currencies);
  WriteGrouped(w, s.purchases);
  w.Vector(s.purchases.product);
  w.Vector(s.purchases.order_channel);
  w.Vector(s.purchases.status);
  w.Vector(s.purchases.currency);
  w.Vector(s.purchases.quantity);
  w.Vector(s.purchases.amount);
  w.Vector(s.purchases.unit_price);
  w.Vector(s.products.ids);
  w.Col(s.products.sku);
  w.Col(s.products.name);
  w.Col(s.products.brand);
  w.Vector(s.products.category);
  w.Strings(s.categories.slugs);
  w.Strings(s.categories.names);
  w.Vector(s.categories.parent);
  WriteGrouped(w, s.events);
  w.Vector(s.events.type);
  w.Dict(s.events.types);
  w.Pod(s.events.max_event_id);
  w.Vector(s.event_position_);
  w.Pod(static_cast<uint64_t>(s.consent_granted.size()));
  for (const auto& [key, bitmap] : s.consent_granted) {
    w.Pod(static_cast<int32_t>(key.first));
    w.String(key.second);
    w.Bitmap(*bitmap);
  }
  for (const auto& fresh : s.contact_fresh_at) w.Vector(fresh);
  w.Vector(s.scores.recommended_offsets);
  w.Vector(s.scores.recommended);
  w.Vector(s.scores.propensity_offsets);
  w.Vector(s.scores.propensity_category);
  w.Vector(s.scores.propensity);
  uint64_t sum = w.Finish();
  bool ok = w.ok() && std::fwrite(&sum, sizeof sum, 1, f) == 1;
  ok = (std::fflush(f) == 0) && ok;
  ok = (std::fclose(f) == 0) && ok;
  if (!ok || std::rename(partial.c_str(), path.c_str()) != 0) {
    std::remove(partial.c_str());
    return IoError("cannot write the engine snapshot '" + path + "'");
  }
  // Property caches of an older rebuild generation may hold erased events' values.
  internal::RemovePropertyCaches(path, s.watermarks.rebuild_generation);
  return Status::Ok();
}

// ---------------------------------------------------------------------------
// Event-property caches (docs/segments.md, "The snapshot file")
// ---------------------------------------------------------------------------

namespace {

constexpr char kPropertyMagic[16] = {'P', 'A', 'T', 'R', 'O', 'N', '-', 'P', 'R', 'O', 'P', 'E', 'R', 'T', 'Y', 1};
constexpr char kPropertyCacheInfix[] = ".property.";

}  // namespace

namespace internal {

std::string PropertyCachePath(const std::string& db_path, std::string_view key) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string path = SnapshotPath(db_path) + kPropertyCacheInfix;
  for (unsigned char ch : key) {
    path.push_back(kHex[ch >> 4]);
    path.push_back(kHex[ch & 0xF]);
  }
  return path;
}

int64_t LoadPropertyCache(const std::string& db_path, std::string_view key, int64_t rebuild_generation,
                          int64_t max_event_id, const std::vector<uint32_t>& event_position, PropertyColumn* column) {
  const std::string path = PropertyCachePath(db_path, key);
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return 0;
  struct stat st {};
  size_t size = ::fstat(fd, &st) == 0 ? static_cast<size_t>(st.st_size) : 0;
  void* map = size ? ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0) : MAP_FAILED;
  ::close(fd);
  if (map == MAP_FAILED) return 0;
  struct Unmap {
    void* p;
    size_t n;
    ~Unmap() { ::munmap(p, n); }
  } unmap{map, size};
  std::string_view data(static_cast<const char*>(map), size);
  if (data.size() < sizeof kPropertyMagic + sizeof(uint64_t) ||
      std::memcmp(data.data(), kPropertyMagic, sizeof kPropertyMagic) != 0)
    return 0;
  Checksum sum;
  sum.Add(data.data(), data.size() - sizeof(uint64_t));
  uint64_t stored;
  std::memcpy(&stored, data.data() + data.size() - sizeof stored, sizeof stored);
  if (sum.Finish() != stored) return 0;
  Reader r(data.data(), data.data() + sizeof kPropertyMagic, data.size() - sizeof kPropertyMagic - sizeof(uint64_t));
  // Another rebuild generation: events may have been deleted (an erasure) or
  // rewritten since; the cache is not used (and is replaced by the caller).
  if (r.Pod<int64_t>() != rebuild_generation || r.String() != key) return 0;
  const int64_t covered = r.Pod<int64_t>();
  PropertyColumn loaded;
  loaded.dict.values = r.Strings();
  loaded.dict.folded = r.Strings();
  loaded.numbers = r.Vector<double>();
  std::span<const uint32_t> code_by_id = r.View<uint32_t>();
  if (!r.ok() || covered < 0 || code_by_id.size() != static_cast<size_t>(covered) + 1 || loaded.dict.values.empty() ||
      loaded.dict.values.size() != loaded.dict.folded.size() || loaded.numbers.size() != loaded.dict.values.size())
    return 0;
  loaded.dict.index.reserve(loaded.dict.values.size());
  for (size_t i = 1; i < loaded.dict.values.size(); ++i)
    loaded.dict.index.emplace(loaded.dict.values[i], static_cast<uint32_t>(i));
  // Events are immutable under one rebuild generation: the cache's codes are
  // the snapshot's for every id both cover.
  const int64_t usable = std::min(covered, max_event_id);
  loaded.codes.assign(column->codes.size(), 0);
  for (int64_t id = 1; id <= usable && static_cast<size_t>(id) < event_position.size(); ++id) {
    const uint32_t position = event_position[static_cast<size_t>(id)];
    const uint32_t code = code_by_id[static_cast<size_t>(id)];
    if (code >= loaded.dict.values.size()) return 0;
    if (position != UINT32_MAX && position < loaded.codes.size()) loaded.codes[position] = code;
  }
  *column = std::move(loaded);
  return usable;
}

void SavePropertyCache(const std::string& db_path, std::string_view key, int64_t rebuild_generation,
                       int64_t max_event_id, const std::vector<uint32_t>& event_position, const PropertyColumn& column) {
  const std::string path = PropertyCachePath(db_path, key);
  const std::string partial = path + ".partial." + std::to_string(::getpid());
  std::FILE* f = std::fopen(partial.c_str(), "wb");
  if (!f) return;  // a read-only directory: the next process reads the store again
  std::vector<uint32_t> code_by_id(static_cast<size_t>(max_event_id) + 1, 0);
  for (size_t id = 1; id < code_by_id.size() && id < event_position.size(); ++id)
    if (event_position[id] != UINT32_MAX && event_position[id] < column.codes.size())
      code_by_id[id] = column.codes[event_position[id]];
  Writer w(f);
  w.Raw(kPropertyMagic, sizeof kPropertyMagic);
  w.Pod(rebuild_generation);
  w.String(std::string(key));
  w.Pod(max_event_id);
  w.Strings(column.dict.values);
  w.Strings(column.dict.folded);
  w.Vector(column.numbers);
  w.Vector(code_by_id);
  uint64_t sum = w.Finish();
  bool ok = w.ok() && std::fwrite(&sum, sizeof sum, 1, f) == 1;
  ok = (std::fflush(f) == 0) && ok;
  ok = (std::fclose(f) == 0) && ok;
  if (!ok || std::rename(partial.c_str(), path.c_str()) != 0) std::remove(partial.c_str());
}

void RemovePropertyCaches(const std::string& snapshot_path, std::optional<int64_t> keep_generation) {
  const std::filesystem::path prefix = snapshot_path + kPropertyCacheInfix;
  std::error_code ec;
  const std::filesystem::path dir = prefix.parent_path().empty() ? std::filesystem::path(".") : prefix.parent_path();
  const std::string name = prefix.filename().string();
  std::vector<std::filesystem::path> doomed;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path().filename().string().rfind(name, 0) != 0) continue;
    if (keep_generation) {
      char head[sizeof kPropertyMagic + sizeof(int64_t)] = {};
      std::FILE* f = std::fopen(entry.path().c_str(), "rb");
      bool read = f && std::fread(head, 1, sizeof head, f) == sizeof head;
      if (f) std::fclose(f);
      int64_t generation = 0;
      std::memcpy(&generation, head + sizeof kPropertyMagic, sizeof generation);
      if (read && std::memcmp(head, kPropertyMagic, sizeof kPropertyMagic) == 0 && generation == *keep_generation)
        continue;
    }
    doomed.push_back(entry.path());
  }
  for (const auto& path : doomed) std::filesystem::remove(path, ec);
}

}  // namespace internal

Result<std::shared_ptr<const Snapshot>> LoadSnapshot(const std::string& path, const StoreStamp& expected,
                                                     const std::string& db_path, bool require_current) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return NotFound("no engine snapshot at '" + path + "'");
  struct stat st {};
  size_t size = ::fstat(fd, &st) == 0 ? static_cast<size_t>(st.st_size) : 0;
  void* map = size ? ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0) : MAP_FAILED;
  ::close(fd);
  if (map == MAP_FAILED) return DataLoss("the engine snapshot '" + path + "' cannot be read; it will be rebuilt");
  ::madvise(map, size, MADV_SEQUENTIAL);
  struct Unmap {
    void* p;
    size_t n;
    ~Unmap() { ::munmap(p, n); }
  } unmap{map, size};
  std::string_view data(static_cast<const char*>(map), size);
  auto damaged = [&](const std::string& why) {
    return DataLoss("the engine snapshot '" + path + "' is damaged (" + why + "); it will be rebuilt");
  };
  if (data.size() < sizeof kMagic + sizeof(uint64_t)) return damaged("too short");
  if (std::memcmp(data.data(), kMagic, sizeof kMagic) != 0) return damaged("not a snapshot file");
  Checksum sum;
  sum.Add(data.data(), data.size() - sizeof(uint64_t));
  uint64_t stored;
  std::memcpy(&stored, data.data() + data.size() - sizeof stored, sizeof stored);
  if (sum.Finish() != stored) return damaged("checksum mismatch");
  Reader r(data.data(), data.data() + sizeof kMagic, data.size() - sizeof kMagic - sizeof(uint64_t));
  if (r.Pod<uint32_t>() != kFormatVersion) return FailedPrecondition("the engine snapshot has another format version");
  auto stamp = r.Pod<StoreStamp>();
  if (require_current && !(stamp == expected)) {
    return FailedPrecondition("the store changed since the engine snapshot was written");
  }

  auto s = std::make_shared<Snapshot>();
  s->db_path_ = db_path;
  s->built_at = Instant{r.Pod<int64_t>()};
  s->watermarks = r.Pod<Watermarks>();
  s->customer_ids = r.Vector<int64_t>();
  s->index_by_id_ = r.Vector<uint32_t>();
  const size_t n = s->customer_ids.size();
  ReadColumns(r, s->profile, n);
  ReadColumns(r, s->attributes, n);
  auto tags = r.Pod<uint64_t>();
  for (uint64_t i = 0; i < tags && r.ok(); ++i) {
    std::string tag = r.String();
    s->tags.emplace(tag, r.Bitmap());
  }
  s->account_ids = r.Vector<int64_t>();
  ReadColumns(r, s->account_columns, s->account_ids.size());
  s->account_offsets = r.Vector<uint32_t>();
  s->account_members = r.Vector<uint32_t>();
  ReadGrouped(r, s->orders, n);
  s->orders.amount = r.Vector<double>();
  s->orders.channel = r.Vector<uint32_t>();
  s->orders.status = r.Vector<uint32_t>();
  s->orders.currency = r.Vector<uint32_t>();
  r.Dict(s->orders.channels);
  r.Dict(s->orders.statuses);
  r.Dict(s->orders.currencies);
  ReadGrouped(r, s->purchases, n);
  s->purchases.product = r.Vector<uint32_t>();
  s->purchases.order_channel = r.Vector<uint32_t>();
  s->purchases.status = r.Vector<uint32_t>();
  s->purchases.currency = r.Vector<uint32_t>();
  s->purchases.quantity = r.Vector<double>();
  s->purchases.amount = r.Vector<double>();
  s->purchases.unit_price = r.Vector<double>();
  s->products.ids = r.Vector<int64_t>();
  r.Col(s->products.sku);
  r.Col(s->products.name);
  r.Col(s->products.brand);
  s->products.category = r.Vector<int32_t>();
  s->categories.slugs = r.Strings();
  s->categories.names = r.Strings();
  s->categories.parent = r.Vector<int32_t>();
  ReadGrouped(r, s->events, n);
  s->events.type = r.Vector<uint32_t>();
  r.Dict(s->events.types);
  s->events.max_event_id = r.Pod<int64_t>();
  s->event_position_ = r.Vector<uint32_t>();
  auto consents = r.Pod<uint64_t>();
  for (uint64_t i = 0; i < consents && r.ok(); ++i) {
    auto channel = r.Pod<int32_t>();
    std::string purpose = r.String();
    s->consent_granted.emplace(std::make_pair(static_cast<int>(channel), purpose), r.Bitmap());
  }
  for (auto& fresh : s->contact_fresh_at) fresh = r.Vector<double>();
  s->scores.recommended_offsets = r.Vector<uint32_t>();
  s->scores.recommended = r.Vector<uint32_t>();
  s->scores.propensity_offsets = r.Vector<uint32_t>();
  s->scores.propensity_category = r.Vector<int32_t>();
  s->scores.propensity = r.Vector<double>();
  // Structural checks beyond the checksum: sizes agree with each other.
  const size_t orders = s->orders.at.size(), lines = s->purchases.at.size(), events = s->events.at.size();
  bool consistent = r.ok() && r.at_end() && s->account_offsets.size() == n + 1 &&
                    s->orders.amount.size() == orders && s->orders.channel.size() == orders &&
                    s->orders.status.size() == orders && s->orders.currency.size() == orders &&
                    s->purchases.product.size() == lines && s->purchases.amount.size() == lines &&
                    s->purchases.quantity.size() == lines && s->purchases.unit_price.size() == lines &&
                    s->purchases.order_channel.size() == lines && s->purchases.status.size() == lines &&
                    s->purchases.currency.size() == lines && s->events.type.size() == events &&
                    s->products.category.size() == s->products.ids.size() &&
                    s->categories.parent.size() == s->categories.slugs.size() &&
                    s->scores.recommended_offsets.size() == n + 1 &&
                    s->scores.recommended_offsets.back() == s->scores.recommended.size() &&
                    s->scores.propensity_offsets.size() == n + 1 &&
                    s->scores.propensity_offsets.back() == s->scores.propensity.size() &&
                    s->scores.propensity_category.size() == s->scores.propensity.size();
  for (uint32_t p : s->scores.recommended) consistent = consistent && p < s->products.ids.size();
  for (int32_t k : s->scores.propensity_category) {
    consistent = consistent && k >= 0 && static_cast<size_t>(k) < s->categories.slugs.size();
  }
  for (const auto& fresh : s->contact_fresh_at) consistent = consistent && fresh.size() == n;
  for (const auto& name : {"city", "birth_date", "created_at"}) consistent = consistent && s->profile.count(name);
  if (!consistent) return damaged("inconsistent contents");
  return std::shared_ptr<const Snapshot>(std::move(s));
}

std::string SnapshotPath(const std::string& db_path) { return db_path + ".engine"; }

Result<std::shared_ptr<const Snapshot>> OpenSnapshot(Database& db, const Clock& clock,
                                                     const std::function<void(uint64_t, uint64_t)>& progress,
                                                     SnapshotSource* source) {
  ASSIGN_OR_RETURN(StoreStamp stamp, ReadStoreStamp(db));
  std::string path = SnapshotPath(db.path());
  auto loaded = LoadSnapshot(path, stamp, db.path(), /*require_current=*/false);
  if (loaded.ok()) {
    auto current = ApplyDelta(*loaded, db, clock);
    if (current.ok() && *current == *loaded) {
      if (source) *source = SnapshotSource::kFile;
      return current;
    }
    if (current.ok()) {
      if (source) *source = SnapshotSource::kFileAndDelta;
      // Written for the next start with the stamp read before the delta (the
      // file never claims a newer store than it holds; its watermarks decide).
      (void)SaveSnapshot(**current, stamp, path);
      return current;
    }
  }
  ASSIGN_OR_RETURN(auto built, BuildSnapshot(db, clock, progress));
  if (source) *source = SnapshotSource::kStore;
  // Written for the next start; a failure to write only costs that start time.
  (void)SaveSnapshot(*built, stamp, path);
  return built;
}

}  // namespace patron::engine
