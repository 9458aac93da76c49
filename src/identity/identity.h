// Patron identity: finding the records that describe the same person, in the
// Fellegi–Sunter tradition of probabilistic record linkage, and keeping the
// result in the store as clusters with a merge log, a review queue and golden
// records.
//
// Layers, each usable alone:
//   1. Normalisers and validators (names in Latin, Persian and Arabic script,
//      Swedish letters, company names, Iranian national codes, Swedish
//      personnummer).
//   2. Comparators (Jaro–Winkler, Levenshtein, Damerau, token sets, dates).
//   3. Linkage of in-memory records: blocking, comparison vectors, m/u
//      probabilities estimated without labels (u from random pairs, m and the
//      match proportion by expectation–maximisation), match weights, and
//      clustering with a transitivity guard.
//   4. Resolution of the customers of a Patron database (deterministic rules,
//      then the probabilistic model), recorded so that every merge can be undone.
//   5. B2B accounts linked across sources; the data-quality report and the
//      re-verification list with freshness from the decay model.
//
// Thread-safety: free functions are thread-safe; a Database belongs to one
// thread at a time (see store.h).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/core.h"

namespace patron {
class Database;
}

namespace patron::identity {

// ---------------------------------------------------------------------------
// Normalisers and validators
// ---------------------------------------------------------------------------

// A person's name (or one part of it) folded for comparison: FoldForMatching
// (NFC, case folding, diacritics and tatweel removed, Arabic/Persian letter
// variants unified, ZWNJ removed), punctuation turned into spaces — except
// that the Swedish letters å, ä and ö (and ø, æ) stay distinct letters, since
// "Åsa" and "Asa" are different names. REQUIRES: valid UTF-8.
std::string NormalizeName(std::string_view name);

// The name written in lower-case ASCII Latin letters: Persian and Arabic script
// transliterated by ICU, other scripts romanised, diacritics removed
// ("محمد" -> "mhmd", "Åsa" -> "asa"). A comparison feature, never for display.
std::string Romanize(std::string_view name);

// A consonant skeleton of Romanize(name): vowels (a e i o u y w), digits and
// repeated letters dropped, so that spellings of one name in two scripts meet:
// "Mohammad", "Muhammad" and "محمد" all give "mhmd". Empty for empty input.
std::string NameSkeleton(std::string_view name);

// A company name without its legal form and punctuation, folded for matching:
// "Acme Trading AB" -> "acme trading", "شرکت فولاد سهامی خاص" -> "فولاد".
// Legal forms recognised: AB, HB, KB, Ltd, Limited, LLC, LLP, PLC, Inc, Corp,
// Co, GmbH, AG, SA, SARL, BV, NV, Oy, AS, ApS, S.p.A. and the Persian and
// Arabic forms شرکت / شركة, سهامی خاص, سهامی عام, مسئولیت محدود, ذ.م.م, ش.م.م.
std::string NormalizeCompanyName(std::string_view name);

// An email address's local part as compared: lower-case, "+tag" removed and,
// for gmail.com / googlemail.com, dots removed. Empty when there is no '@'.
std::string EmailLocalPart(std::string_view email);

// Iranian national code (kod-e melli): 10 digits (Persian or Arabic-Indic digits
// allowed; '-' and spaces ignored) whose last digit is the check digit
// (sum of d[i] * (10 - i) over the first nine, r = sum % 11, check = r < 2 ? r :
// 11 - r), and not one digit repeated ten times. Returns the ten ASCII digits,
// or nullopt when invalid.
std::optional<std::string> NormalizeIranianNationalCode(std::string_view text);

// Swedish personnummer or samordningsnummer: YYMMDD-NNNC, YYMMDD+NNNC (over 100
// years old), YYYYMMDDNNNC or YYYYMMDD-NNNC; a real calendar date (day + 60 for
// a samordningsnummer) and a Luhn check digit over the ten digits. Returns the
// ten digits YYMMDDNNNC, or nullopt when invalid.
std::optional<std::string> NormalizePersonnummer(std::string_view text);

// A national identifier usable for deterministic matching: "IR:" + a valid
// Iranian code or "SE:" + a valid personnummer; nullopt otherwise (an invalid
// identifier must never merge two people).
std::optional<std::string> NationalIdKey(std::string_view text);

// ---------------------------------------------------------------------------
// Comparators. Strings are compared by Unicode code point; all similarities
// are in [0, 1] with 1 for equal strings.
// ---------------------------------------------------------------------------

double JaroWinkler(std::string_view a, std::string_view b, double prefix_scale = 0.1);
int Levenshtein(std::string_view a, std::string_view b);
// Optimal string alignment distance: Levenshtein plus transposition of two
// adjacent characters at cost 1.
int DamerauLevenshtein(std::string_view a, std::string_view b);
// DamerauLevenshtein(a, b) <= 1, in linear time.
bool WithinOneEdit(std::string_view a, std::string_view b);
// 1 - distance / max length.
double EditSimilarity(std::string_view a, std::string_view b);
// Jaccard similarity of the sets of space-separated tokens, where two tokens
// count as equal when their Jaro–Winkler similarity is at least
// `token_threshold` (so "gibbon st" and "gibon street" share "gibbon").
double TokenSetSimilarity(std::string_view a, std::string_view b, double token_threshold = 0.92);
// TokenSetSimilarity(a, b, token_threshold) >= at_least, stopping as soon as
// the answer is known.
bool TokenSetSimilarityAtLeast(std::string_view a, std::string_view b, double at_least,
                               double token_threshold = 0.92);
// Whether JaroWinkler(a, b) (prefix scale 0.1) can reach `threshold`, from
// an upper bound that costs one pass over each string and allocates nothing:
// Jaro's matching characters are at most the characters the two share
// regardless of place, so jaro <= (c/|a| + c/|b| + 1)/3, and the prefix bonus
// adds at most 0.4 (1 - jaro). False only when it cannot.
bool JaroWinklerMayReach(std::string_view a, std::string_view b, double threshold);

// How close two birth dates are, as a comparison level.
enum class DateCloseness {
  kMissing,       // one side has no parseable date
  kDifferent,
  kSameYear,      // same year, otherwise far apart
  kTypo,          // one digit wrong or two adjacent digits swapped, or day and month swapped
  kExact,
};
// Dates as "YYYY-MM-DD" or "YYYYMMDD".
DateCloseness CompareDates(std::string_view a, std::string_view b);

// ---------------------------------------------------------------------------
// Linkage of records held in memory
// ---------------------------------------------------------------------------

// One record to link. Every field is optional (empty = missing) and raw: the
// linker normalises. `key` is the caller's identifier, returned in results.
struct PersonRecord {
  std::string key;
  std::string given_name, family_name;
  std::string birth_date;  // "YYYY-MM-DD" or "YYYYMMDD"
  std::string email;       // as stored (lower-case)
  std::string phone;       // E.164
  // A phone number that failed validation (no country, say), as written:
  // compared by its last nine digits, never a deterministic key.
  std::string unvalidated_phone;
  // Further email addresses and validated phone numbers the record holds (a
  // customer known by a work and a private address, a mobile and a
  // landline): each is an identifier like the first.
  std::vector<std::string> other_emails, other_phones;
  // The corrections suggested for the record's invalid emails ("ali@gmail.com"
  // for "aligmail.com"): the same address elsewhere is evidence, but a
  // correction is a guess, so never an identifier.
  std::vector<std::string> suggested_emails;
  // A national identifier: a valid Iranian code or personnummer is a
  // deterministic key; any other value (e.g. a social security number of
  // another country) is compared as a string.
  std::string national_id;
  std::string street_number, street, address_extra, city, postcode, region;
  // Devices the record was seen on (a browser's cookie id, an app install:
  // Segment's anonymousId). A shared device is evidence, not an identifier:
  // a household shares a tablet, so it is weighed with everything else.
  std::vector<std::string> devices;
};

// Comparison fields of the model, in the order of ComparisonVector::levels.
enum class Field { kGivenName, kFamilyName, kBirthDate, kStreet, kStreetNumber, kAddressExtra,
                   kCity, kPostcode, kRegion, kNationalId, kEmail, kPhone, kDevice };
constexpr int kFieldCount = 13;
std::string_view FieldName(Field field);
// Levels per field: 0 = disagree ... LevelCount(f) - 1 = exact agreement.
int LevelCount(Field field);

// Per field: the agreement level, or -1 when either side is missing (a missing
// value is no evidence either way and adds weight 0).
struct ComparisonVector {
  int8_t levels[kFieldCount];
};

struct LinkageOptions {
  // Pairs whose match probability is at least this are merged...
  double merge_threshold = 0.95;
  // ... and pairs at least this (but below merge) go to review.
  double review_threshold = 0.5;
  // A pair that agrees on nothing but names and place (city, region,
  // postcode) goes to review however high its probability: namesakes in one
  // city are common, and the model's independence assumption overrates names
  // and places together.
  bool require_identifying_agreement = true;
  // ... except when the two records carry exactly the same given and family
  // name, their places do not differ, and the name is rare enough in the base
  // that fewer than this many other people are expected to carry it by chance
  // (see NameFrequencies::ExpectedNamesakes). 0 turns the exception off.
  double max_expected_namesakes = 0.02;
  // Transitivity guard: two clusters of two or more records are joined only
  // when the mean match probability over all their cross pairs reaches this,
  // so that one weak link does not glue two strong clusters together.
  double cluster_join_min_mean = 0.5;
  // Blocks larger than this are skipped (a key shared by thousands of records
  // says little and costs quadratically); other keys still find the pairs.
  // Rules keyed by names alone (family name + birth year, name skeletons,
  // given + family name) skip blocks over an eighth of it.
  int max_block_size = 400;
  int em_iterations = 40;
  // Random pairs sampled to estimate u (agreement by chance).
  int u_sample_pairs = 200000;
  uint64_t seed = 1;
  // Worker threads for preparing, comparing and scoring (0: one per core).
  // The result does not depend on it.
  int threads = 0;
  // Progress of the long stages (see ResolveOptions::progress).
  std::function<void(std::string_view stage, int64_t done, int64_t total)> progress;
};

// Wall time of one stage of a long operation, for progress reports and
// benchmarks ("prepare", "candidates", "compare", ...).
struct StageTime {
  std::string stage;
  double seconds = 0;
  double cpu_seconds = 0;  // of the whole process, all threads
};

// CPU time of the process so far (all threads), for StageTime::cpu_seconds.
double ProcessCpuSeconds();

// The fitted model: for each field and level, the probability of that level
// among true matches (m) and among non-matches (u), and the prior proportion
// of matches among all pairs of records (u describes random pairs).
struct LinkageModel {
  std::vector<std::vector<double>> m, u;  // [field][level]
  double match_proportion = 0.01;
  // log2(m/u) for a field at a level; 0 for a missing value.
  double Weight(Field field, int level) const;
  // Sum of Weight over the vector plus the prior log-odds, as a probability.
  double MatchProbability(const ComparisonVector& v) const;
  // The probability of a match for a total weight (prior log-odds added).
  double ProbabilityOfWeight(double weight) const;
  double MatchWeight(const ComparisonVector& v) const;
};

struct ScoredPair {
  int a = 0, b = 0;  // indices into the records, a < b
  double weight = 0, probability = 0;
  // Set when a deterministic rule linked the pair ("email", "phone", "national_id").
  std::string rule;
};

struct LinkageResult {
  LinkageModel model;
  int64_t candidate_pairs = 0;
  // Pairs clustering accepted: rule pairs, accepted reviews and pairs at or
  // above the merge threshold. Probabilistic weights include the rarity
  // adjustment of exact name agreement.
  std::vector<ScoredPair> merges;
  // Between the review and merge thresholds, or above it with nothing but
  // names and place in common; pairs that ended in one cluster are left out.
  std::vector<ScoredPair> reviews;
  // cluster[i]: the smallest record index of record i's cluster.
  std::vector<int> cluster;
  int guard_refusals = 0;  // joins refused by the transitivity guard
  double seconds = 0;
  std::vector<StageTime> stages;  // in order
  // Candidate pairs per blocking rule (a pair found by several rules counts
  // for each), in rule order: what each rule costs.
  std::vector<std::pair<std::string, int64_t>> candidates_by_rule;
};

// Links `records` to each other: deterministic rules (the same email, the same
// validated phone or the same valid national ID), then blocking, a model fitted
// without labels, scoring and clustering. Deterministic. `forced_apart` lists pairs (indices, a < b) never to be merged
// (rejected reviews and unmerges); `forced_together` pairs always merged
// (accepted reviews).
LinkageResult Link(const std::vector<PersonRecord>& records, const LinkageOptions& options = {},
                   const std::vector<std::pair<int, int>>& forced_apart = {},
                   const std::vector<std::pair<int, int>>& forced_together = {});

// Links new records into existing clusters without fitting again:
// `existing_cluster[i]` is the index of a record in record i's current cluster
// (itself when alone) or -1 for a new record. Only pairs involving a new
// record are compared, with `model` (a previous run's); current clusters stay
// together, and a new record may join two of them only past the transitivity
// guard. REQUIRES: existing_cluster.size() == records.size().
LinkageResult LinkIncremental(const std::vector<PersonRecord>& records,
                              const std::vector<int>& existing_cluster, const LinkageModel& model,
                              const LinkageOptions& options = {},
                              const std::vector<std::pair<int, int>>& forced_apart = {},
                              const std::vector<std::pair<int, int>>& forced_together = {});

// The comparison vector of two records, for explanations and tests.
ComparisonVector Compare(const PersonRecord& a, const PersonRecord& b);

// Pairwise quality of a clustering against the true entity of each record.
struct PairwiseQuality {
  int64_t true_pairs = 0, predicted_pairs = 0, correct_pairs = 0;
  double precision = 0, recall = 0, f1 = 0;
};
PairwiseQuality EvaluateClusters(const std::vector<int>& predicted_cluster,
                                 const std::vector<std::string>& true_entity);

// ---------------------------------------------------------------------------
// B2B accounts: companies from several sources
// ---------------------------------------------------------------------------

// A company's web or email domain, folded: lower case, without scheme, "www.",
// path, port or an email's local part ("https://www.Acme.se/kontakt" ->
// "acme.se", "info@acme.se" -> "acme.se"). Empty for a free-mail provider's
// domain (gmail.com, outlook.com, yahoo.*, chmail.ir, ...), which says nothing
// about the company.
std::string CompanyDomain(std::string_view text);

struct AccountRecord {
  std::string key;
  std::string name, domain, industry, city, country;
};

struct AccountLinkOptions {
  // Two normalised names whose words all pair up, words counting as the same
  // when their Jaro–Winkler similarity is at least this ("gulf trading" and
  // "gulf tradings"), are sent to review when in the same country.
  double similar_word = 0.92;
};

// Which records are one company. Merged: the same company domain, or the same
// name without its legal form where nothing contradicts it (a different
// domain, country or industry code sends the pair to review instead).
// Reviewed: similar names (every word alike) in the same country. Pairs in
// `forced_apart` are never merged; pairs in `forced_together` always are.
struct AccountLinkResult {
  // Rules: domain, name, review (forced together); name, similar_name for
  // reviews. Probability 1 for merges, 0.5 for reviews.
  std::vector<ScoredPair> merges, reviews;
  std::vector<int> cluster;                 // smallest record index of each record's cluster
};
AccountLinkResult LinkAccounts(const std::vector<AccountRecord>& records,
                               const AccountLinkOptions& options = {},
                               const std::vector<std::pair<int, int>>& forced_apart = {},
                               const std::vector<std::pair<int, int>>& forced_together = {});

// ---------------------------------------------------------------------------
// Resolution of the customers in a Patron database
// ---------------------------------------------------------------------------

// The thresholds that turn match probabilities into decisions (see
// LinkageOptions for each).
struct DecisionThresholds {
  double merge = LinkageOptions{}.merge_threshold;
  double review = LinkageOptions{}.review_threshold;
  double max_expected_namesakes = LinkageOptions{}.max_expected_namesakes;
};

struct ResolveOptions {
  // linkage's merge_threshold, review_threshold and max_expected_namesakes are
  // not read: a run decides with `thresholds` below.
  LinkageOptions linkage;
  // Thresholds the caller chose for this run. Every run stores the thresholds
  // it decided with beside its model, and each one not chosen here is the
  // latest run's: an incremental run, the server's automatic runs and a
  // rebuild without options decide as the run the user last configured.
  // Before any run, DecisionThresholds' defaults. A run whose review threshold
  // would exceed its merge threshold fails with InvalidArgument.
  std::optional<double> merge_threshold, review_threshold, max_expected_namesakes;
  const Clock* clock = &SystemClock::Get();
  // Resolve only the customer records no run has seen yet, against the
  // existing clusters and with the latest run's model, writing only what
  // changes. Without an earlier run this is a full rebuild.
  bool incremental = false;
  // An incremental run stores the keys of the records it prepared in a small
  // second index (migration 0017) and folds them into the main one once they
  // number more than the customer records and at least this many.
  int64_t min_recent_keys_to_fold = 100000;
  // Called as each stage starts (done 0) and as it advances; `total` is 0 when
  // the stage's size is not known. Called on the calling thread only.
  std::function<void(std::string_view stage, int64_t done, int64_t total)> progress;
};

struct ResolveSummary {
  int64_t run_id = 0;
  bool incremental = false;
  int64_t new_records = 0;  // records not seen by an earlier run
  int64_t records = 0, clusters = 0, candidate_pairs = 0;
  int64_t rule_merges = 0, probabilistic_merges = 0, reviews = 0, guard_refusals = 0;
  DecisionThresholds thresholds;  // the run decided with these (stored with its model)
  double seconds = 0;
  std::vector<StageTime> stages;  // loading, linkage's stages, writing; in order
  std::vector<std::pair<std::string, int64_t>> candidates_by_rule;  // LinkageResult's
};

// Resolves every customer record from scratch: the model is fitted again, each
// customer record is assigned to a cluster (identity_clusters; the cluster id
// is the smallest customer id in it), golden records are written with the
// provenance of each value, merged pairs and review pairs are recorded.
// Customer rows are never changed or deleted: a merge links records, so
// undoing it restores exactly what was there. Decisions of earlier reviews and
// unmerges are respected.
Result<ResolveSummary> Resolve(Database& db, const ResolveOptions& options = {});

// A finished run, as identity_runs keeps it.
struct RunRecord {
  int64_t id = 0;
  Instant started_at, finished_at;
  int64_t records = 0, clusters = 0, candidate_pairs = 0;
  int64_t rule_merges = 0, probabilistic_merges = 0, reviews = 0, guard_refusals = 0;
};
// Where resolution stands: what the last run did and what waits for the next
// (`patron identity status`, the API, and `patron serve`'s automatic runs).
struct ResolveStatus {
  int64_t records = 0;  // customer records
  int64_t pending = 0;  // of them, new or changed since a run prepared them
  // A run's model is stored: the next run can be incremental. Until then
  // `Resolve` with `incremental` rebuilds everything.
  bool incremental_ready = false;
  std::optional<RunRecord> last_run;  // the latest finished run
  // What the next run decides with unless it is given others: the latest
  // run's thresholds, or the defaults before any run.
  DecisionThresholds thresholds;
  // Set while golden records wait for a rewrite (GoldenRecordsStaleSince).
  std::optional<Instant> golden_stale_since;
};
Result<ResolveStatus> ReadResolveStatus(Database& db);
// As a JSON object (`patron identity status --json`, GET /api/v1/identity/status).
std::string ResolveStatusJson(const ResolveStatus& status);

// What the reviewers' decisions so far say about the model's probabilities.
// The model's independence assumption makes it overconfident where fields go
// together (a name and a city) and more so the larger the base, so the
// probability a reviewer sees is recalibrated from the pairs already decided
// (accepted = one person): logit(calibrated) = intercept + slope *
// logit(model), the maximum a posteriori fit under a prior centred on the
// model itself. With no decisions the calibrated probability is the model's;
// the prior weighs about as much as one decision; some tens of decisions
// outweigh it. The order of the queue is kept (the slope stays positive).
struct ReviewCalibration {
  int64_t accepted = 0, rejected = 0;
  double intercept = 0, slope = 1;
  int64_t decisions() const { return accepted + rejected; }
  double Calibrated(double model_probability) const;
};
// One decided pair: the model's probability and whether a person accepted it.
struct ReviewOutcome {
  double probability = 0;
  bool accepted = false;
};
ReviewCalibration FitReviewCalibration(const std::vector<ReviewOutcome>& decided);
// Fitted to every decided pair of the review queue.
Result<ReviewCalibration> LearnReviewCalibration(Database& db);

struct ReviewItem {
  int64_t id = 0, left_customer = 0, right_customer = 0;
  double probability = 0, weight = 0;
  // The probability recalibrated by the decisions so far (ReviewCalibration).
  double calibrated_probability = 0;
  std::string status;  // pending, accepted, rejected
};
struct ReviewList {
  std::vector<ReviewItem> items;
  ReviewCalibration calibration;
};
// Pending pairs first, most probable first.
Result<ReviewList> ListReviews(Database& db, bool pending_only, int limit);
// Accepts (the pair will be merged) or rejects (never merged) a review item and
// applies the decision to the clusters at once.
Status DecideReview(Database& db, int64_t review_id, bool accept, const Clock& clock);

// The comparison of two customer records, field by field.
struct FieldExplanation {
  std::string field, left_value, right_value;
  // Where a value compared came from when the record holds none in the
  // field: "email" (a name its email's local part spells) or "suggestion"
  // (the correction suggested for an invalid email); else empty.
  std::string left_derived, right_derived;
  int level = -1;  // -1 missing
  double weight = 0;
};
struct PairExplanation {
  std::vector<FieldExplanation> fields;
  double weight = 0, probability = 0;
  std::string rule;  // a deterministic rule that links them, if any
  int64_t left_cluster = 0, right_cluster = 0;
  // The pair's score in the latest run, which adds the term-frequency
  // adjustment of rare names; absent when the run neither merged the pair
  // nor sent it to review.
  std::optional<double> run_probability, run_weight;
  std::string run_decision;  // merge, review
};
// Uses the model of the latest run (or default parameters before any run).
Result<PairExplanation> Explain(Database& db, int64_t left_customer, int64_t right_customer);

// Takes one customer record out of its cluster: it becomes its own customer
// again, the merge log says so, and later runs keep it apart from the records
// it was merged with. Errors: NotFound for an unknown customer,
// FailedPrecondition when it is not merged with anything.
Status Unmerge(Database& db, int64_t customer_id, const Clock& clock);

// Contact data goes bad at about 2.5 % a month: the default decay rate.
constexpr double kDefaultMonthlyDecay = 0.025;

// Survivorship: which value of each field a golden record keeps when the
// customer's records differ. Known-bad contact values (bounced, invalid) never
// survive, whatever the rule.
enum class SurvivalRule {
  kMostFrequent,  // a value two or more records agree on over a lone variant; else source trust
  kSourceTrust,   // the most trusted source's value, then the most recent
  kMostRecent,    // the newest: record updated (profile fields), seen or verified (contact values)
  kMostRecentlyVerified,  // contact values: verified before unverified, then the newest; other
                          // fields as kMostRecent
  kLongest,  // the most characters (a full address over a street alone), then source trust
};
std::string_view SurvivalRuleName(SurvivalRule rule);  // "most_frequent", ...
// InvalidArgument naming the rules for an unknown name.
Result<SurvivalRule> ParseSurvivalRule(std::string_view name);
// The fields of a golden record: the profile fields, then email, phone and address.
const std::vector<std::string>& GoldenFields();
// Profile fields: kMostFrequent; contact values: kMostRecentlyVerified.
SurvivalRule DefaultSurvivalRule(std::string_view field);

struct SourceTrustRank {
  int64_t source_id = 0;
  std::string source, kind;
  int trust = 0;  // higher is more trusted
  bool configured =
      false;  // set by the user; otherwise by kind: internal 2, external 1, purchased 0
};
// The rules in force (identity_survivorship, migration 0019) and every source's trust.
struct SurvivorshipPolicy {
  std::map<std::string, SurvivalRule, std::less<>> rules;  // every golden field
  std::set<std::string, std::less<>> configured;           // the fields the user set
  std::vector<SourceTrustRank> sources;
  std::map<int64_t, int> trust_by_source;
  double monthly_decay =
      kDefaultMonthlyDecay;  // for the freshness of surviving contact values (MonthlyDecay)
  SurvivalRule RuleOf(std::string_view field) const;
  // A record or value without a source counts as internal (2); an unknown source as purchased (0).
  int TrustOf(std::optional<int64_t> source_id) const;
};
Result<SurvivorshipPolicy> ReadSurvivorship(Database& db);
// As a JSON object: "fields" (field, rule, default, configured) and "sources"
// (source, kind, trust, configured) (`patron identity survivorship --json`, the API).
std::string SurvivorshipJson(const SurvivorshipPolicy& policy);
// Sets the rule of `field` (nullopt: back to its default). InvalidArgument for
// a field that is not in GoldenFields(). Marks the golden records stale: they
// change at RewriteGoldenRecords or the next full resolution run.
Status SetSurvivalRule(Database& db, std::string_view field, std::optional<SurvivalRule> rule,
                       const Clock& clock);
// Sets how far `source` (by name) is trusted (nullopt: by its kind). NotFound for an unknown
// source. Marks the golden records stale, as SetSurvivalRule.
Status SetSourceTrust(Database& db, std::string_view source, std::optional<int> trust,
                      const Clock& clock);
// Golden records wait for a rewrite (a survivorship rule, a source's trust or
// the decay rate changed; migration 0020). Marked in the transaction of the
// change, so a crash before the rewrite loses nothing: the mark stays.
Status MarkGoldenRecordsStale(Database& db, const Clock& clock);
// When the golden records were last marked stale, or nullopt when they are
// written by the rules in force.
Result<std::optional<Instant>> GoldenRecordsStaleSince(Database& db);
// Writes every stored golden record again by the rules in force, a range of
// customer ids at a time, each range in its own short transaction with a
// pause of 0.1 s after it, so that events, imports and the API write in
// between (a writer waits at most about one range); then clears the stale mark,
// unless a change marked it again while the rewrite ran (then another rewrite
// is due). Returns how many customers of two or more records it wrote.
// REQUIRES: no transaction open on `db`.
Result<int64_t> RewriteGoldenRecords(
    Database& db, const Clock& clock,
    const std::function<void(int64_t done, int64_t total)>& progress = {});

// The golden record of the resolved customer that `customer_id` belongs to.
// A contact value whose probability of still being valid fell below this
// (about a year without being seen or verified at 2.5 % a month) is stale and
// should be verified again before it is used.
constexpr double kStaleFreshness = 0.75;

struct GoldenField {
  std::string field, value, rule;
  int64_t from_customer = 0;
  std::string source;  // name of the source that gave the value, if known
  std::optional<int64_t> seen_at;
  std::optional<double> freshness;
  bool stale = false;  // freshness < kStaleFreshness
};
// Why a record is in its customer: its latest merge in the merge log.
struct MemberLink {
  int64_t customer_id = 0;
  // email, phone, national_id (a deterministic rule), probabilistic (the
  // model's match probability), review (a person accepted the pair).
  std::string reason;
  std::optional<double> probability;
  Instant at;
};

struct GoldenRecord {
  int64_t resolved_id = 0;
  std::vector<int64_t> members;  // customer records linked into it
  std::vector<GoldenField> fields;
  // For each member that joined another record (the first of a cluster may
  // have none), in member order.
  std::vector<MemberLink> links;
};
// The golden record of the customer's resolved customer. Resolution stores the
// golden records of customers made of two or more records (identity_golden);
// for a record that stands alone it is computed from the record, freshness as
// of `clock`'s now. Errors: NotFound for an unknown customer.
Result<GoldenRecord> ReadGolden(Database& db, int64_t customer_id, const Clock& clock = SystemClock::Get());
// As a JSON object (`patron identity golden --json`, GET /api/v1/customers/{id}/golden).
std::string GoldenRecordJson(const GoldenRecord& golden);

// One row per imported customer record: its source, its key in the source, the
// customer record and the resolved customer (cluster) it belongs to.
struct ClusterMembership {
  std::string source, source_key;
  int64_t customer_id = 0, resolved_id = 0;
};
Result<std::vector<ClusterMembership>> ListMemberships(Database& db);

// B2B accounts in a Patron database. Each run links every account record
// again (accounts are few) with LinkAccounts, respecting a person's earlier
// decisions; account rows are never changed.
struct AccountResolveSummary {
  int64_t accounts = 0, resolved_accounts = 0;
  int64_t domain_merges = 0, name_merges = 0, decided_merges = 0, reviews = 0;
};
Result<AccountResolveSummary> ResolveAccounts(Database& db, const Clock& clock);

struct AccountMembership {
  int64_t account_id = 0, resolved_id = 0;
  std::string name, domain, source;
};
// Every account with its resolved account (itself before any run).
Result<std::vector<AccountMembership>> ListAccountMemberships(Database& db);

struct AccountReview {
  int64_t left_account = 0, right_account = 0;
  std::string rule;  // name (same name, something contradicting), similar_name
};
Result<std::vector<AccountReview>> ListAccountReviews(Database& db);

// A person's decision on two accounts: the same company (`together`) or not;
// applied by resolving the accounts again. Errors: NotFound for an unknown account.
Status DecideAccounts(Database& db, int64_t left_account, int64_t right_account, bool together,
                      const Clock& clock);
// Takes an account out of its resolved account: kept apart from every other
// member from now on. Errors: NotFound, FailedPrecondition when not linked.
Status UnmergeAccount(Database& db, int64_t account_id, const Clock& clock);

// ---------------------------------------------------------------------------
// Freshness and data quality (R10)
// ---------------------------------------------------------------------------

// The probability that a contact value last seen or verified at `seen` is
// still valid at `now`: (1 - monthly_decay) ^ months elapsed (1 for a value
// seen in the future of `now`).
double StillValidProbability(Instant seen, Instant now,
                             double monthly_decay = kDefaultMonthlyDecay);

// The decay rate learnt from what the store has seen happen to its emails and
// phones after it first knew them: each one found bounced since (gone bad by
// then: a campaign's hard bounce, a later import) or verified again since
// (still good then), with the months since a source last gave it before that
// (its first sighting, or a later import that carried it) — as freshness
// counts months from the last sighting or verification. Counting from when it
// became the person's instead would see only the values that survived until
// the store first saw them, and learn too low a rate. A status that arrived
// with the value without a date of its own is skipped; one the source dated
// (`email_verified_at`, `email_bounced_at` at import) counts, from the record's
// creation in the source when it is older than the store's first sighting.
// Under a constant rate d a value is still good after m months with
// probability (1 - d)^m; the estimate maximises the likelihood of these
// observations (each known only as "still good" or "gone bad" at one time),
// with a 95 % interval.
//
// Changes count too (R10: "learnable from observed bounces and changes"): a
// value an import of its record replaced (another email or phone of the
// record's source first seen after the last import that carried this one,
// `carried_at`) is one gone between that import and the replacement; one a
// later import of the record carried again is one still the person's from its
// first sighting to then. Both outcomes of every re-import count, so
// that neither direction is favoured; a value with a delivery outcome counts by that alone. A
// source that never updates what it knows makes values look longer-lived than they are, so the
// estimates from deliveries and from changes are also given apart.
struct DecayFit {
  int64_t gone_bad = 0, still_good = 0;  // observations used
  // false with fewer than kMinDecayObservations of either kind: no estimate.
  bool estimated = false;
  double monthly_decay = 0, low = 0, high = 0;
};
// The fit itself is from both kinds of observations together.
struct DecayEstimate : DecayFit {
  int64_t skipped = 0;  // statuses that came with the value's first import
  DecayFit deliveries;  // bounced / verified
  DecayFit changes;     // replaced by the source / carried again by it
};
constexpr int64_t kMinDecayObservations = 10;
Result<DecayEstimate> EstimateDecay(Database& db);
// The rate freshness uses by default (golden records, the quality report,
// re-verification): the one saved with SaveMonthlyDecay, else kDefaultMonthlyDecay.
Result<double> MonthlyDecay(Database& db);
// nullopt: back to kDefaultMonthlyDecay. InvalidArgument outside [0, 0.99].
Status SaveMonthlyDecay(Database& db, std::optional<double> monthly_decay, const Clock& clock);

struct QualityOptions {
  Instant now;
  double monthly_decay = kDefaultMonthlyDecay;
  // A usable value whose probability of still being valid is below this is stale.
  double stale_below = kStaleFreshness;
  // Examples shown per group of invalid values.
  int examples = 3;
};

// Completeness of the customer records a source created: how many have each field.
struct SourceCompleteness {
  std::string source;
  int64_t records = 0;
  std::vector<std::pair<std::string, int64_t>> filled;  // field -> records that have it
};

// Validity and freshness of one kind of contact point (email, phone, address)
// from one source.
struct SourceContactQuality {
  std::string source, kind;
  int64_t total = 0, verified = 0, unverified = 0, invalid = 0, bounced = 0;
  // Among usable values (verified or unverified): those below stale_below,
  // the mean probability of still being valid, and the oldest last seen or
  // verified.
  int64_t stale = 0;
  double mean_valid_probability = 0;
  std::optional<Instant> oldest_seen;
};

// A group of invalid values with one reason, with a few examples.
struct InvalidValues {
  std::string field;  // "customer.birth_date", "contact.email", ...
  std::string reason;
  int64_t count = 0;
  std::vector<std::string> examples;
};

struct SourceDuplicates {
  std::string source;
  int64_t records = 0;
  int64_t linked = 0;  // records resolved together with at least one other record
};

struct QualityReport {
  Instant now;
  double monthly_decay = kDefaultMonthlyDecay, stale_below = kStaleFreshness;
  std::vector<SourceCompleteness> completeness;
  std::vector<SourceContactQuality> contacts;
  std::vector<InvalidValues> invalid;
  // Duplicates as identity resolution found them (all zero before any run).
  int64_t resolution_runs = 0;
  std::optional<Instant> last_resolved;
  int64_t customer_records = 0, resolved_customers = 0, merged_records = 0,
          multi_record_customers = 0, pending_reviews = 0;
  std::vector<SourceDuplicates> duplicates;
};
Result<QualityReport> BuildQualityReport(Database& db, const QualityOptions& options);
// The report as a JSON object (`patron quality report --json`, GET /api/v1/quality).
std::string QualityReportJson(const QualityReport& report);

// A usable contact value most likely gone stale, to verify again.
struct ReverifyItem {
  int64_t customer_id = 0, resolved_id = 0;
  std::string kind, value, status, source;
  Instant last_seen;
  std::optional<Instant> last_verified;
  double valid_probability = 0;
};
// Usable contact values (verified or unverified) whose probability of still
// being valid is below `below`, least likely first; at most `limit` (0: all).
Result<std::vector<ReverifyItem>> ReverificationList(Database& db, const QualityOptions& options,
                                                     double below, int64_t limit);

}  // namespace patron::identity
