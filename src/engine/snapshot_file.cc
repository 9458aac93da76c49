// The persisted engine snapshot (format in docs/segments.md, "The snapshot
// file"): every column written in a fixed order, then a checksum of all bytes.
// Loading checks the magic, the version, the checksum and that the store has
// not changed since (StoreStamp); anything else means rebuild from SQLite.
#include <roaring/roaring.hh>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <exception>
#include <functional>
#include <mutex>
#include <span>
#include <stdexcept>
#include <thread>

#include "engine/build_internal.h"
#include "engine/engine.h"
#include "store/store.h"

namespace patron::engine {

namespace {

constexpr char kMagic[16] = {'P', 'A', 'T', 'R', 'O', 'N', '-', 'E', 'N', 'G', 'I', 'N', 'E', 0, 0, 1};
// 3: model scores; 4: watermarks; 5: block checksum; 6: a contact point is fresh by the later of
// its last verification and last sighting (was: its verification alone, when verified)
constexpr uint32_t kFormatVersion = 6;

inline uint64_t Rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }
inline uint64_t Avalanche(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  return h;
}
constexpr uint64_t kK1 = 0x9E3779B97F4A7C15ULL, kK2 = 0xC2B2AE3D27D4EB4FULL;

// The property caches' checksum: a 64-bit multiply-rotate hash over 8-byte
// words (tail bytes zero-padded), one dependent chain. It finds damage (a torn
// write, a flipped block), not tampering.
class WordChecksum {
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
    return Avalanche(h_ ^ total_);
  }

 private:
  void Mix() {
    h_ = (h_ ^ (word_ * kK1)) * kK2;
    h_ = Rotl(h_, 31);
    total_ += 8;
    word_ = 0;
    pending_ = 0;
  }
  uint64_t h_ = 0x243F6A8885A308D3ULL, word_ = 0, total_ = 0;
  size_t pending_ = 0;
};

// The snapshot file's checksum (format 5, docs/segments.md): the bytes in
// blocks of 1 MiB, each hashed on its own with four independent
// multiply-rotate lanes over 32-byte stripes (the last stripe zero-padded),
// the block hashes folded in order. Independent lanes run about four times as
// fast as one chain, and independent blocks let a loader hash on every core.
// Like WordChecksum it finds damage, not tampering.
class BlockChecksum {
 public:
  static constexpr size_t kBlock = size_t{1} << 20;

  static uint64_t HashBlock(const unsigned char* p, size_t n) {
    uint64_t lane[4] = {0x243F6A8885A308D3ULL, 0x13198A2E03707344ULL, 0xA4093822299F31D0ULL, 0x082EFA98EC4E6C89ULL};
    auto stripe = [&lane](const unsigned char* q) {
      for (int i = 0; i < 4; ++i) {
        uint64_t w;
        std::memcpy(&w, q + 8 * i, 8);
        lane[i] = Rotl((lane[i] ^ (w * kK1)) * kK2, 31);
      }
    };
    size_t i = 0;
    for (; i + 32 <= n; i += 32) stripe(p + i);
    if (i < n) {
      unsigned char tail[32] = {};
      std::memcpy(tail, p + i, n - i);
      stripe(tail);
    }
    uint64_t h = n;
    for (uint64_t l : lane) h = Rotl((h ^ Avalanche(l)) * kK1, 27);
    return Avalanche(h);
  }
  static uint64_t Fold(uint64_t h, uint64_t block) { return Rotl((h ^ (block * kK1)) * kK2, 31); }
  static constexpr uint64_t kStart = 0x243F6A8885A308D3ULL;
  static uint64_t Final(uint64_t h, uint64_t total) { return Avalanche(h ^ total); }

  // Streaming (the writer): bytes are buffered up to a block.
  void Add(const void* data, size_t n) {
    const auto* p = static_cast<const unsigned char*>(data);
    while (n > 0) {
      size_t take = std::min(n, kBlock - buffer_.size());
      buffer_.insert(buffer_.end(), p, p + take);
      p += take;
      n -= take;
      if (buffer_.size() == kBlock) Flush();
    }
  }
  uint64_t Finish() {
    if (!buffer_.empty()) Flush();
    return Final(h_, total_);
  }

 private:
  void Flush() {
    h_ = Fold(h_, HashBlock(buffer_.data(), buffer_.size()));
    total_ += buffer_.size();
    buffer_.clear();
  }
  std::vector<unsigned char> buffer_;
  uint64_t h_ = kStart, total_ = 0;
};

template <typename Checksum>
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
  void Vector(std::span<const T> v) {
    Pod(static_cast<uint64_t>(v.size()));
    Align();
    Raw(v.data(), v.size() * sizeof(T));
  }
  template <typename T>
  void Vector(const std::vector<T>& v) {
    Vector(std::span<const T>(v));
  }
  template <typename T>
  void Vector(const Array<T>& v) {
    Vector(v.span());
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

// Work a snapshot load leaves for after parsing, run on every core: building
// dictionaries, checking text codes, hashing blocks. `weight`
// (about the bytes touched) orders the jobs, largest first.
struct LoadJob {
  size_t weight;
  std::function<void()> run;
};

// `out` = `in`, allocated exactly (the property caches' arrays).
template <typename T>
void CopyArray(std::vector<T>& out, std::span<const T> in) {
  out.clear();
  out.reserve(in.size());
  out.assign(in.begin(), in.end());
}

// Runs `jobs` on up to `threads` threads (the caller's included), largest
// first. An exception in a job (std::bad_alloc) is rethrown here.
void RunJobs(std::vector<LoadJob>& jobs, unsigned threads) {
  std::stable_sort(jobs.begin(), jobs.end(), [](const LoadJob& x, const LoadJob& y) { return x.weight > y.weight; });
  std::atomic<size_t> next{0};
  std::mutex failure_mu;
  std::exception_ptr failure;
  auto work = [&] {
    for (size_t i; (i = next.fetch_add(1)) < jobs.size();) {
      try {
        jobs[i].run();
      } catch (...) {
        std::lock_guard lock(failure_mu);
        if (!failure) failure = std::current_exception();
      }
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads && t < jobs.size(); ++t) pool.emplace_back(work);
  work();
  for (auto& th : pool) th.join();
  if (failure) std::rethrow_exception(failure);
}

class Reader {
 public:
  // `base` is where the file starts (page-aligned), for alignment padding.
  // With `jobs`, dictionaries are filled and text codes checked later by the
  // jobs it adds (RunJobs), from the mapping that must stay valid until then.
  // With `mapping` (what keeps `base` mapped), arrays read into an Array view
  // the mapping instead of being copied.
  Reader(const char* base, const char* p, size_t n, std::vector<LoadJob>* jobs = nullptr,
         std::shared_ptr<const void> mapping = nullptr)
      : base_(base), p_(p), end_(p + n), jobs_(jobs), mapping_(std::move(mapping)) {}
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
    std::vector<T> v;
    std::span<const T> in = View<T>();
    if (ok_) CopyArray(v, in);
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
    // The file is mapped at a page boundary and arrays start at multiples of 8.
    std::span<const T> v(reinterpret_cast<const T*>(p_), static_cast<size_t>(n));
    p_ += n * sizeof(T);
    return v;
  }
  // `out` views `in` in the mapping (or, without one, holds a copy).
  template <typename T>
  void Fill(Array<T>& out, std::span<const T> in) {
    if (!ok_) return;
    if (mapping_) {
      out = Array<T>::View(in.data(), in.size(), mapping_);
    } else {
      out = std::vector<T>(in.begin(), in.end());
    }
  }
  // The next array into `out`; returns its length.
  template <typename Out>
  size_t Into(Out& out) {
    std::span<const typename Out::value_type> in = View<typename Out::value_type>();
    Fill(out, in);
    return in.size();
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
    const char* at = p_;
    uint64_t n = SkipStrings();
    return ok_ ? ParseStrings(at, n) : std::vector<std::string>();
  }
  // Fills `d`, now or by a job; returns its size (0 when damaged).
  size_t Dict(Dictionary& d) {
    const char* values = p_;
    const uint64_t n = SkipStrings();
    const char* folded = p_;
    if (SkipStrings() != n || n == 0) ok_ = false;
    if (!ok_) return 0;
    auto fill = [&d, values, folded, n] {
      d.values = ParseStrings(values, n);
      d.folded = ParseStrings(folded, n);
      // The look-up index is not stored: rebuilt here, or look-ups by name (reports'
      // event roles) and Intern (deltas: a duplicate code for a known value) go wrong.
      d.index.clear();
      d.index.reserve(d.values.size());
      for (size_t i = 1; i < d.values.size(); ++i) d.index.emplace(d.values[i], static_cast<uint32_t>(i));
    };
    if (jobs_) {
      jobs_->push_back({static_cast<size_t>(p_ - values) + n * 96, fill});
    } else {
      fill();
    }
    return n;
  }
  // Reads a column; returns its length (rows). Text codes are checked against
  // the dictionary as they are copied (failed() after RunJobs).
  size_t Col(Column& c) {
    c.type = static_cast<ValueType>(Pod<int32_t>());
    std::span<const uint32_t> codes = View<uint32_t>();
    const size_t dict = Dict(c.dict);
    const size_t numbers = Into(c.numbers);
    if (!ok_) return 0;
    Fill(c.codes, codes);
    auto check = [this, codes, dict] {
      for (uint32_t code : codes) {
        if (code >= dict) {
          bad_codes_ = true;
          break;
        }
      }
    };
    if (jobs_) {
      jobs_->push_back({codes.size_bytes(), check});
    } else {
      check();
    }
    return c.type == ValueType::kText ? codes.size() : numbers;
  }
  // A bitmap into `out`: now, or (with jobs) by Bitmaps() once the checksum
  // matched: CRoaring trusts what it reads beyond its bounds checks.
  void Bitmap(std::unique_ptr<Roaring>& out) {
    std::span<const char> buf = View<char>();
    if (!ok_) return;
    if (jobs_) {
      bitmaps_.emplace_back(&out, buf);
    } else {
      ReadBitmap(out, buf);
    }
  }
  // The bitmaps Bitmap() left; false when one cannot be read.
  bool Bitmaps() {
    for (auto& [out, buf] : bitmaps_) ReadBitmap(*out, buf);
    bitmaps_.clear();
    return ok_;
  }
  bool ok() const { return ok_; }
  // After the jobs ran: a text code outside its dictionary.
  bool bad_codes() const { return bad_codes_; }
  bool at_end() const { return p_ == end_; }
  void Fail() { ok_ = false; }

 private:
  // Steps over a string list (u64 count, then u64 length + bytes each),
  // checking that it fits; returns the count.
  uint64_t SkipStrings() {
    auto n = Pod<uint64_t>();
    if (!ok_ || n > static_cast<uint64_t>(end_ - p_) / 8) {
      ok_ = false;
      return 0;
    }
    for (uint64_t i = 0; i < n && ok_; ++i) {
      auto len = Pod<uint64_t>();
      if (!ok_ || len > static_cast<uint64_t>(end_ - p_)) {
        ok_ = false;
        return 0;
      }
      p_ += len;
    }
    return n;
  }
  void ReadBitmap(std::unique_ptr<Roaring>& out, std::span<const char> buf) {
    try {
      out = std::make_unique<Roaring>(Roaring::readSafe(buf.data(), buf.size()));
    } catch (const std::runtime_error&) {
      ok_ = false;
      out = std::make_unique<Roaring>();
    }
  }
  // A string list SkipStrings accepted, starting at its count.
  static std::vector<std::string> ParseStrings(const char* p, uint64_t n) {
    p += sizeof(uint64_t);
    std::vector<std::string> v;
    v.reserve(n);
    for (uint64_t i = 0; i < n; ++i) {
      uint64_t len;
      std::memcpy(&len, p, sizeof len);
      p += sizeof len;
      v.emplace_back(p, len);
      p += len;
    }
    return v;
  }

  const char* base_;
  const char* p_;
  const char* end_;
  std::vector<LoadJob>* jobs_;
  std::shared_ptr<const void> mapping_;
  std::vector<std::pair<std::unique_ptr<Roaring>*, std::span<const char>>> bitmaps_;
  bool ok_ = true;
  std::atomic<bool> bad_codes_{false};
};

void WriteColumns(Writer<BlockChecksum>& w, const std::map<std::string, Column, std::less<>>& m) {
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
    if (r.Col(c) != rows) return r.Fail();
  }
}

void WriteGrouped(Writer<BlockChecksum>& w, const Grouped& g) {
  w.Vector(g.offsets);
  w.Vector(g.at);
}

void ReadGrouped(Reader& r, Grouped& g, size_t customers) {
  std::span<const uint32_t> offsets = r.View<uint32_t>();
  std::span<const int64_t> at = r.View<int64_t>();
  if (offsets.size() != customers + 1 || offsets.back() != at.size()) return r.Fail();
  r.Fill(g.offsets, offsets);
  r.Fill(g.at, at);
}

// The checksum of `data` (BlockChecksum), its blocks hashed by jobs; call
// `result` after RunJobs.
class ParallelChecksum {
 public:
  ParallelChecksum(std::string_view data, std::vector<LoadJob>& jobs)
      : data_(data), blocks_((data.size() + BlockChecksum::kBlock - 1) / BlockChecksum::kBlock) {
    constexpr size_t kBlocksPerJob = 16;
    for (size_t first = 0; first < blocks_.size(); first += kBlocksPerJob) {
      const size_t last = std::min(blocks_.size(), first + kBlocksPerJob);
      jobs.push_back({(last - first) * BlockChecksum::kBlock, [this, first, last] {
                        for (size_t b = first; b < last; ++b) {
                          const size_t at = b * BlockChecksum::kBlock;
                          blocks_[b] = BlockChecksum::HashBlock(reinterpret_cast<const unsigned char*>(data_.data()) + at,
                                                                std::min(BlockChecksum::kBlock, data_.size() - at));
                        }
                      }});
    }
  }
  uint64_t result() const {
    uint64_t h = BlockChecksum::kStart;
    for (uint64_t b : blocks_) h = BlockChecksum::Fold(h, b);
    return BlockChecksum::Final(h, data_.size());
  }

 private:
  std::string_view data_;
  std::vector<uint64_t> blocks_;
};

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
  if (!f) return IoError("cannot write the engine snapshot '" + partial + "': " + std::strerror(errno));
  Writer<BlockChecksum> w(f);
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
  int error = ok ? 0 : errno;
  ok = (std::fclose(f) == 0) && ok;
  if (ok && std::rename(partial.c_str(), path.c_str()) != 0) ok = false;
  if (!ok) {
    if (!error) error = errno;
    std::remove(partial.c_str());
    return IoError("cannot write the engine snapshot '" + path + "': " + std::strerror(error));
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
                          int64_t max_event_id, std::span<const uint32_t> event_position, PropertyColumn* column) {
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
  WordChecksum sum;
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
                       int64_t max_event_id, std::span<const uint32_t> event_position, const PropertyColumn& column) {
  const std::string path = PropertyCachePath(db_path, key);
  const std::string partial = path + ".partial." + std::to_string(::getpid());
  std::FILE* f = std::fopen(partial.c_str(), "wb");
  if (!f) return;  // a read-only directory: the next process reads the store again
  std::vector<uint32_t> code_by_id(static_cast<size_t>(max_event_id) + 1, 0);
  for (size_t id = 1; id < code_by_id.size() && id < event_position.size(); ++id)
    if (event_position[id] != UINT32_MAX && event_position[id] < column.codes.size())
      code_by_id[id] = column.codes[event_position[id]];
  Writer<WordChecksum> w(f);
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
  // The snapshot's arrays view this mapping (Array::View): it stays mapped
  // while anyone holds the snapshot or a copy of one of its arrays. The file
  // is never changed in place (SaveSnapshot renames a new file over it), so a
  // mapped file stays what was checked.
  std::shared_ptr<const void> mapping(map, [size](const void* p) { ::munmap(const_cast<void*>(p), size); });
  // Every byte is hashed, on every core at once, in no particular order: the
  // kernel is asked to read the whole file ahead. (Not MAP_POPULATE: that maps
  // every page on this one thread first; measured no faster here, and it would
  // not scale with cores.)
  ::madvise(map, size, MADV_WILLNEED);
  std::string_view data(static_cast<const char*>(map), size);
  auto damaged = [&](const std::string& why) {
    return DataLoss("the engine snapshot '" + path + "' is damaged (" + why + "); it will be rebuilt");
  };
  if (data.size() < sizeof kMagic + sizeof(uint64_t)) return damaged("too short");
  if (std::memcmp(data.data(), kMagic, sizeof kMagic) != 0) return damaged("not a snapshot file");
  // Parsing (bounds-checked) points the arrays into the mapping and records
  // the dictionaries to build and the text codes to check as jobs; they run on every core together with the checksum's blocks, and
  // nothing is returned unless the checksum matches. Versions other than this
  // one are refused before anything is read (the file is rebuilt).
  std::vector<LoadJob> jobs;
  Reader r(data.data(), data.data() + sizeof kMagic, data.size() - sizeof kMagic - sizeof(uint64_t), &jobs, mapping);
  if (r.Pod<uint32_t>() != kFormatVersion) return FailedPrecondition("the engine snapshot has another format version");
  auto stamp = r.Pod<StoreStamp>();
  if (require_current && !(stamp == expected)) {
    return FailedPrecondition("the store changed since the engine snapshot was written");
  }

  auto s = std::make_shared<Snapshot>();
  s->db_path_ = db_path;
  s->built_at = Instant{r.Pod<int64_t>()};
  s->watermarks = r.Pod<Watermarks>();
  const size_t n = r.Into(s->customer_ids);
  r.Into(s->index_by_id_);
  ReadColumns(r, s->profile, n);
  ReadColumns(r, s->attributes, n);
  auto tags = r.Pod<uint64_t>();
  for (uint64_t i = 0; i < tags && r.ok(); ++i) {
    std::string tag = r.String();
    r.Bitmap(s->tags[tag]);
  }
  const size_t accounts = r.Into(s->account_ids);
  ReadColumns(r, s->account_columns, accounts);
  r.Into(s->account_offsets);
  r.Into(s->account_members);
  ReadGrouped(r, s->orders, n);
  r.Into(s->orders.amount);
  r.Into(s->orders.channel);
  r.Into(s->orders.status);
  r.Into(s->orders.currency);
  r.Dict(s->orders.channels);
  r.Dict(s->orders.statuses);
  r.Dict(s->orders.currencies);
  ReadGrouped(r, s->purchases, n);
  r.Into(s->purchases.product);
  r.Into(s->purchases.order_channel);
  r.Into(s->purchases.status);
  r.Into(s->purchases.currency);
  r.Into(s->purchases.quantity);
  r.Into(s->purchases.amount);
  r.Into(s->purchases.unit_price);
  r.Into(s->products.ids);
  r.Col(s->products.sku);
  r.Col(s->products.name);
  r.Col(s->products.brand);
  r.Into(s->products.category);
  s->categories.slugs = r.Strings();
  s->categories.names = r.Strings();
  r.Into(s->categories.parent);
  ReadGrouped(r, s->events, n);
  r.Into(s->events.type);
  r.Dict(s->events.types);
  s->events.max_event_id = r.Pod<int64_t>();
  r.Into(s->event_position_);
  auto consents = r.Pod<uint64_t>();
  for (uint64_t i = 0; i < consents && r.ok(); ++i) {
    auto channel = r.Pod<int32_t>();
    std::string purpose = r.String();
    r.Bitmap(s->consent_granted[std::make_pair(static_cast<int>(channel), purpose)]);
  }
  for (auto& fresh : s->contact_fresh_at) r.Into(fresh);
  r.Into(s->scores.recommended_offsets);
  r.Into(s->scores.recommended);
  r.Into(s->scores.propensity_offsets);
  r.Into(s->scores.propensity_category);
  r.Into(s->scores.propensity);
  if (!r.ok() || !r.at_end()) return damaged("inconsistent contents");
  ParallelChecksum sum(data.substr(0, data.size() - sizeof(uint64_t)), jobs);
  RunJobs(jobs, std::clamp(std::thread::hardware_concurrency(), 1u, 8u));
  uint64_t stored;
  std::memcpy(&stored, data.data() + data.size() - sizeof stored, sizeof stored);
  if (sum.result() != stored) return damaged("checksum mismatch");
  if (!r.Bitmaps()) return damaged("unreadable bitmap");
  // Structural checks beyond the checksum: sizes agree with each other. (Read
  // through a const reference: non-const access would copy the views.)
  const Snapshot& v = *s;
  const size_t orders = v.orders.at.size(), lines = v.purchases.at.size(), events = v.events.at.size();
  bool consistent = !r.bad_codes() && v.account_offsets.size() == n + 1 &&
                    v.orders.amount.size() == orders && v.orders.channel.size() == orders &&
                    v.orders.status.size() == orders && v.orders.currency.size() == orders &&
                    v.purchases.product.size() == lines && v.purchases.amount.size() == lines &&
                    v.purchases.quantity.size() == lines && v.purchases.unit_price.size() == lines &&
                    v.purchases.order_channel.size() == lines && v.purchases.status.size() == lines &&
                    v.purchases.currency.size() == lines && v.events.type.size() == events &&
                    v.products.category.size() == v.products.ids.size() &&
                    v.categories.parent.size() == v.categories.slugs.size() &&
                    v.scores.recommended_offsets.size() == n + 1 &&
                    v.scores.recommended_offsets.back() == v.scores.recommended.size() &&
                    v.scores.propensity_offsets.size() == n + 1 &&
                    v.scores.propensity_offsets.back() == v.scores.propensity.size() &&
                    v.scores.propensity_category.size() == v.scores.propensity.size();
  for (uint32_t p : v.scores.recommended) consistent = consistent && p < v.products.ids.size();
  for (int32_t k : v.scores.propensity_category) {
    consistent = consistent && k >= 0 && static_cast<size_t>(k) < v.categories.slugs.size();
  }
  for (const auto& fresh : v.contact_fresh_at) consistent = consistent && fresh.size() == n;
  for (const auto& name : {"city", "birth_date", "created_at"}) consistent = consistent && v.profile.count(name);
  if (!consistent) return damaged("inconsistent contents");
  return std::shared_ptr<const Snapshot>(std::move(s));
}

std::string SnapshotPath(const std::string& db_path) { return db_path + ".engine"; }

namespace {

// A snapshot that could not be written (a full disk, a read-only directory)
// costs every later start a build from the store, minutes at scale: said on
// stderr, where the CLI and the server report, so that it is not silent.
void WarnUnsaved(const Status& saved) {
  if (saved.ok()) return;
  std::fprintf(stderr, "patron: warning: %s; the next start builds the snapshot from the store again\n",
               saved.message().c_str());
}

}  // namespace

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
      WarnUnsaved(SaveSnapshot(**current, stamp, path));
      return current;
    }
  }
  ASSIGN_OR_RETURN(auto built, BuildSnapshot(db, clock, progress));
  if (source) *source = SnapshotSource::kStore;
  // Written for the next start; a failure to write only costs that start time.
  WarnUnsaved(SaveSnapshot(*built, stamp, path));
  return built;
}

}  // namespace patron::engine
