// Scale of the linker on synthetic people with corrupted duplicates. Disabled
// by default (minutes of CPU on the shared machine); run with
//   patron_identity_tests --gtest_also_run_disabled_tests --gtest_filter='Scale.*'
// and PATRON_SCALE_RECORDS=N (default 1000000). Prints time, peak memory and
// pairwise quality; BENCHMARKS.md records the results.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "identity/identity.h"

namespace patron::identity {
namespace {

std::vector<std::string> MakeNames(std::mt19937_64& rng, int count) {
  static const char* kSyllables[] = {"ka", "ri", "mo", "sa", "le", "na", "to", "vi", "ja", "el",
                                     "an", "or", "be", "da", "fi", "gu", "ho", "ir", "lu", "me",
                                     "ne", "os", "pa", "ra", "si", "ta", "ul", "ve", "yo", "za"};
  std::uniform_int_distribution<int> syllable(0, 29), length(2, 4);
  std::vector<std::string> names;
  names.reserve(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) {
    std::string name;
    for (int k = length(rng); k > 0; --k) name += kSyllables[syllable(rng)];
    names.push_back(name);
  }
  return names;
}

// One typo: a deleted, replaced or transposed character.
std::string Typo(std::mt19937_64& rng, std::string s) {
  if (s.size() < 3) return s;
  std::uniform_int_distribution<size_t> at(1, s.size() - 2);
  size_t i = at(rng);
  switch (rng() % 3) {
    case 0: s.erase(i, 1); break;
    case 1: s[i] = static_cast<char>('a' + rng() % 26); break;
    default: std::swap(s[i], s[i + 1]); break;
  }
  return s;
}

TEST(Scale, DISABLED_MillionRecords) {
  const char* env = std::getenv("PATRON_SCALE_RECORDS");
  const int total = env ? std::atoi(env) : 1000000;
  std::mt19937_64 rng(7);
  const auto given = MakeNames(rng, 3000), family = MakeNames(rng, 20000), streets = MakeNames(rng, 5000);
  std::vector<PersonRecord> records;
  std::vector<std::string> entity;
  records.reserve(static_cast<size_t>(total));
  const int originals = total * 4 / 5;
  char buf[32];
  for (int i = 0; i < originals; ++i) {
    PersonRecord r;
    r.key = std::to_string(i);
    r.given_name = given[rng() % given.size()];
    r.family_name = family[rng() % family.size()];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", 1930 + static_cast<int>(rng() % 75),
                  1 + static_cast<int>(rng() % 12), 1 + static_cast<int>(rng() % 28));
    r.birth_date = buf;
    r.street = streets[rng() % streets.size()] + " street";
    r.street_number = std::to_string(1 + rng() % 200);
    r.postcode = std::to_string(10000 + rng() % 9000);
    r.city = streets[rng() % 400];
    if (rng() % 3 == 0) r.email = r.given_name + "." + r.family_name + std::to_string(rng() % 1000) + "@example.com";
    records.push_back(std::move(r));
    entity.push_back(std::to_string(i));
  }
  while (static_cast<int>(records.size()) < total) {
    const size_t of = rng() % static_cast<size_t>(originals);
    PersonRecord r = records[of];
    r.key = "dup" + std::to_string(records.size());
    for (int corruptions = 1 + static_cast<int>(rng() % 2); corruptions > 0; --corruptions) {
      switch (rng() % 6) {
        case 0: r.given_name = Typo(rng, r.given_name); break;
        case 1: r.family_name = Typo(rng, r.family_name); break;
        case 2: r.birth_date[9] = static_cast<char>('0' + rng() % 9); break;
        case 3: r.postcode.clear(); break;
        case 4: r.street = Typo(rng, r.street); break;
        default: r.email.clear(); break;
      }
    }
    records.push_back(std::move(r));
    entity.push_back(entity[of]);
  }
  LinkageResult result = Link(records);
  PairwiseQuality q = EvaluateClusters(result.cluster, entity);
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  std::printf("scale: %d records, %lld candidate pairs, %.1f s, peak RSS %.0f MiB, precision %.4f recall %.4f F1 %.4f\n",
              total, static_cast<long long>(result.candidate_pairs), result.seconds,
              static_cast<double>(usage.ru_maxrss) / 1024.0, q.precision, q.recall, q.f1);
  EXPECT_GT(q.f1, 0.9);
}

}  // namespace
}  // namespace patron::identity
