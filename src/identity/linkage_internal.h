// Internal to src/identity: the prepared (normalised) form of a record and the
// pieces of Link() that resolution and explanations reuse.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "identity/identity.h"

namespace patron::identity::internal {

// The number of worker threads `requested` means (0: one per core).
inline int WorkerThreads(int requested) {
  if (requested > 0) return requested;
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

// Calls work(worker, begin, end) over [0, n) in chunks of `chunk`, on
// `threads` threads including the caller; `worker` (0 for the caller, up to
// threads - 1) lets the work keep per-thread state. `progress(done)` is called
// on the calling thread only, after each of its chunks and once at the end.
// `work` must be safe to run concurrently on disjoint ranges.
template <class Work>
void ParallelChunksByWorker(size_t n, int threads, size_t chunk, Work&& work,
                            const std::function<void(size_t done)>& progress = nullptr) {
  chunk = std::max<size_t>(1, chunk);
  std::atomic<size_t> next{0}, done{0};
  auto run = [&](size_t worker) {
    while (true) {
      const size_t begin = next.fetch_add(chunk);
      if (begin >= n) break;
      const size_t end = std::min(n, begin + chunk);
      work(worker, begin, end);
      const size_t finished = done.fetch_add(end - begin) + (end - begin);
      if (worker == 0 && progress) progress(finished);
    }
  };
  std::vector<std::thread> workers;
  const size_t extra = n > chunk ? static_cast<size_t>(std::max(1, threads)) - 1 : 0;
  for (size_t t = 0; t < extra; ++t) workers.emplace_back(run, t + 1);
  run(0);
  for (auto& w : workers) w.join();
  if (progress) progress(n);
}

// ParallelChunksByWorker for work(begin, end) that needs no per-thread state.
template <class Work>
void ParallelChunks(size_t n, int threads, size_t chunk, Work&& work,
                    const std::function<void(size_t done)>& progress = nullptr) {
  ParallelChunksByWorker(
      n, threads, chunk, [&work](size_t, size_t begin, size_t end) { work(begin, end); }, progress);
}

// std::sort on two threads: halves sorted concurrently, then merged.
template <class T>
void ParallelSort(std::vector<T>& v, int threads) {
  if (threads < 2 || v.size() < 100000) {
    std::sort(v.begin(), v.end());
    return;
  }
  const auto middle = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
  std::thread first([&] { std::sort(v.begin(), middle); });
  std::sort(middle, v.end());
  first.join();
  std::inplace_merge(v.begin(), middle, v.end());
}

// NameSkeleton of a name already romanised: NameSkeleton(x) ==
// SkeletonOfRomanized(Romanize(x)), without folding and looking x up again.
std::string SkeletonOfRomanized(std::string_view latin);

// Whether a name is written in Arabic script (Persian and Arabic letters).
bool InArabicScript(std::string_view text);

// A consonant key under which a name in Arabic script and its spellings in
// Latin script meet, for comparing across scripts only. ICU's transliteration
// follows Arabic pronunciation (ض as "d", ق as "q"), so "رضا" and "Reza" or
// "قاسمی" and "Ghasemi" get different skeletons; here letters that spellings
// use interchangeably share a class: ذ ز ض ظ and z, dh; ث س ص and s, th;
// ق غ ک and k, q, gh; ج گ ژ and j, g, zh. Vowels, semivowels (و ی ا ع, and
// v, w, y) and a word-final h (the silent ه of "Fatemeh") are dropped and
// repeated classes written once. `normalized` is NormalizeName's output and
// `romanized` Romanize's; a name in Latin script is keyed from `romanized`.
std::string CrossScriptKey(std::string_view normalized, std::string_view romanized);

// The city a NormalizeName'd city name denotes when it is one of several
// names of a listed city ("gothenburg" and "göteborg", "cairo" and
// "القاهره" give the same id), else -1.
int CityId(std::string_view normalized_city);

// A PersonRecord normalised once, before blocking and comparison.
struct PreparedRecord {
  std::string given, family;                    // NormalizeName
  std::string given_roman, family_roman;        // Romanize
  std::string given_skeleton, family_skeleton;  // NameSkeleton
  std::string birth_date;                       // YYYYMMDD or empty
  std::string street, street_compact;           // NormalizeName; without spaces
  std::string street_number, address_extra, city, postcode, region;
  std::string national_id;      // digits and letters only, folded
  std::string national_key;     // NationalIdKey or empty
  std::string city_roman;       // Romanize(city)
  std::string city_skeleton;    // NameSkeleton(city)
  std::string email, email_local;
  std::string phone_digits;
  std::string phone_tail;     // last nine digits: the same number in E.164 and national form
  bool phone_is_key = false;  // a validated number, usable by the deterministic rule
  // All emails (the first is `email`) and all validated numbers' digits
  // (the first is `phone_digits` when phone_is_key); more than one only when
  // the record holds several.
  std::vector<std::string> emails, key_phones;
  // The record's devices, sorted and distinct (at most kMaxDevices).
  std::vector<std::string> devices;
  // Corrections of the record's invalid emails: compared, never a rule.
  std::vector<std::string> suggested_emails;
  // 'g' or 'f' when the given or family name was missing and inferred from
  // the email's local part next to the other (no evidence when it disagrees).
  char inferred_name = 0;
};

// Devices kept per record: a record seen on more is a shared or public
// machine's visitor, and its first devices are as good as any.
constexpr size_t kMaxDevices = 16;

PreparedRecord Prepare(const PersonRecord& record);

// A text encoding of a prepared record (length-prefixed fields), stored per
// record by resolution (identity_keyed.prepared) so that an incremental run
// does not normalise existing records again. DecodePrepared returns false on
// malformed text (then `out` is unspecified).
std::string EncodePrepared(const PreparedRecord& record);
bool DecodePrepared(std::string_view text, PreparedRecord& out);

// A stable 63-bit hash of a (rule, key) pair: blocking uses it to group records
// and the store indexes records by it (identity_keys). Stable across builds.
// The rule (0..15) is in bits 59..62, so the hashes of one rule form the range
// [rule << 59, (rule + 1) << 59).
uint64_t KeyHash(int rule, std::string_view key);

// The largest block a blocking rule pairs up: LinkageOptions::max_block_size;
// a sixteenth of it (25 by default) for the rules keyed by names (family name +
// birth year, name skeletons, given + family name, given name + day of birth);
// an eighth (50) for the email local part.
int BlockLimit(int rule, int max_block_size);

// Rule numbers of stored keys beyond the blocking rules (0..11), for lookups
// that blocking does not cover: the valid national ID of the deterministic rule,
// a validated phone number too short for the phone blocking key, and the exact
// given and family names (their frequencies adjust name agreement weights).
constexpr int kNationalKeyRule = 12;
constexpr int kShortPhoneRule = 13;
constexpr int kGivenNameRule = 14;
constexpr int kFamilyNameRule = 15;

// The keys of a prepared record to store: blocking keys, then the keys above.
// Every record that blocking or a deterministic rule could pair with `record`
// shares at least one of these hashes with it.
struct StoredKey {
  int rule;
  uint64_t hash;
};
std::vector<StoredKey> StoredKeys(const PreparedRecord& record);

// The stored keys through which a deterministic rule (the same email, validated
// phone or valid national ID) can link `record` to another record: every record
// it shares an email, a validated phone or a national ID with holds one of them.
std::vector<uint64_t> RuleKeyHashes(const PreparedRecord& record);

// The store-wide counts a linkage of a subset of the records needs to behave
// as a linkage of all of them: the true size of every block the subset's new
// records are in (keyed by KeyHash), and the frequencies of the exact given
// and family names of the subset with the totals.
struct GlobalCounts {
  std::unordered_map<uint64_t, int64_t> block_sizes;
  std::unordered_map<std::string, int64_t> given, family;
  int64_t given_total = 0, family_total = 0;
};

// LinkIncremental over records already prepared, where `prepared` is a subset
// of the store (the new records, every existing record sharing a key with one
// of them, and the other members of those records' clusters) and `counts`
// describes the whole store. Gives the same result for the subset as
// LinkIncremental over all records.
LinkageResult LinkPreparedIncremental(const std::vector<PreparedRecord>& prepared,
                                      const std::vector<int>& existing_cluster,
                                      const LinkageModel& model, const LinkageOptions& options,
                                      const std::vector<std::pair<int, int>>& forced_apart,
                                      const std::vector<std::pair<int, int>>& forced_together,
                                      const GlobalCounts& counts);

// Link over records already prepared (a full rebuild that also stores them).
LinkageResult LinkPrepared(const std::vector<PreparedRecord>& prepared, const LinkageOptions& options,
                           const std::vector<std::pair<int, int>>& forced_apart,
                           const std::vector<std::pair<int, int>>& forced_together);
// Prepare() of every record, on `threads` threads (0: one per core).
std::vector<PreparedRecord> PrepareAll(const std::vector<PersonRecord>& records, int threads = 0,
                                       const std::function<void(size_t done)>& progress = nullptr);

// Codes of the names and cities of records: equal strings get equal codes
// (from 1), so that comparisons can be remembered by code.
struct NameCodes {
  // Per record: given name, family name, city; 0 for an empty value.
  std::vector<std::array<uint32_t, 3>> of;
  explicit NameCodes(const std::vector<PreparedRecord>& records);
};

// Answers of the name and city comparisons for one thread of a linkage over
// `records`: names and cities repeat, so most pairs of them a linkage compares
// were compared before. Records not in `records` are compared without it.
class NameLevelMemo {
 public:
  NameLevelMemo(const std::vector<PreparedRecord>& records, const NameCodes& codes)
      : first_(records.data()), count_(records.size()), codes_(&codes) {}
  // The codes of `r` when it is one of the records, else nullptr.
  const std::array<uint32_t, 3>* CodesOf(const PreparedRecord& r) const {
    const std::less<const PreparedRecord*> before;
    if (before(&r, first_) || !before(&r, first_ + count_)) return nullptr;
    return &codes_->of[static_cast<size_t>(&r - first_)];
  }
  std::unordered_map<uint64_t, int8_t> names;   // NameLevel by the two names' codes
  std::unordered_map<uint64_t, int8_t> places;  // PlaceLevel by the two cities' codes
  size_t size() const { return names.size() + places.size(); }
  void clear() {
    names.clear();
    places.clear();
  }

 private:
  const PreparedRecord* first_;
  size_t count_;
  const NameCodes* codes_;
};

// The comparison vector of two prepared records; `memo` (optional) speeds up
// the comparison of many pairs and never changes the answer.
ComparisonVector ComparePrepared(const PreparedRecord& a, const PreparedRecord& b,
                                 NameLevelMemo* memo = nullptr);

// The deterministic rule that links two records ("email", "phone",
// "national_id"), or empty.
std::string DeterministicRule(const PreparedRecord& a, const PreparedRecord& b);

// The model used before any data was seen (for explanations without a run).
LinkageModel DefaultModel();

// JSON round trip of a fitted model and the thresholds the run decided with,
// for the store.
std::string ModelToJson(const LinkageModel& model, const DecisionThresholds& thresholds);
Result<LinkageModel> ModelFromJson(std::string_view json);
// The thresholds stored with a model; the defaults for a model stored before
// thresholds were (identity_runs of older versions).
Result<DecisionThresholds> ThresholdsFromJson(std::string_view json);

}  // namespace patron::identity::internal
