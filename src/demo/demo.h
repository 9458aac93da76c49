// Patron demo: a deterministic generator of realistic, deliberately dirty demo
// data for "Patron Demo Store" — a shop selling phones, accessories, tablets,
// school and office supplies and home goods to Iranian, Arab, Swedish and
// English-speaking customers — together with the ground truth (which records
// are the same person, which contact values are current, stale or invalid) so
// that identity resolution and data decay can be measured.
//
// Every file imports with `patron import KIND FILE --source SOURCE` and no
// --map: headers use the canonical names or the synonyms of docs/import.md.
// The out directory's README.txt describes every file and the key rule of the
// ground truth.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/core.h"

namespace patron::demo {

struct GenerateOptions {
  // Distinct real people (B2C customers and B2B contacts). Every person appears
  // in at least one source; many in two or three, some twice in the CRM.
  int64_t customers = 20000;
  uint64_t seed = 42;
  // Created (with parents) when missing; existing files of the same names are
  // overwritten.
  std::string out_dir;
  // The last day of history; orders and events span the three years before it.
  CivilDate today{2026, 11, 1};
  // Called now and then with people generated so far and `customers`; optional.
  std::function<void(uint64_t done, uint64_t total)> progress;
};

// One generated file and how to import it.
struct GeneratedFile {
  std::string kind;             // import kind: products, accounts, customers, orders, events
  std::string path;             // out_dir/<fixed file name>
  std::string source;           // --source
  std::string source_kind;      // --source-kind: internal, external or purchased
  std::string vendor;           // --source-vendor; empty unless purchased
  std::string cost;             // --source-cost ("4500 SEK"); empty unless purchased
  std::string default_country;  // --default-country; empty when rows say it
  int64_t records = 0;          // data rows (lines for JSONL), header excluded
  // --as-of: the day an earlier export was taken (YYYY-MM-DD); empty for a
  // file as of now. Import these before the later files of the same source.
  std::string as_of;
};

struct GenerateSummary {
  std::vector<GeneratedFile> files;  // in the order they should be imported
  // source,source_key,person_id for every customer record of every source.
  std::string ground_truth_path;
  // person_id,kind,value,valid_from,valid_until,status for every contact value.
  std::string contact_truth_path;
  std::string readme_path;
  int64_t people = 0;         // distinct people (== options.customers)
  int64_t records_total = 0;  // rows over `files`
  double seconds = 0;         // wall time of the generation
};

// Writes the demo files into options.out_dir.
//
// Deterministic: the same options (seed, customers, today) give byte-identical
// files on the same platform. Randomness comes from a fixed xoshiro256**
// generator, never from std:: distributions; each person draws from streams
// derived from (seed, person, purpose), so one file's contents do not depend on
// how another is written.
//
// Streams: nothing is kept per person, so memory stays small at any size (a
// few hundred bytes per B2B account and a bounded table of email stems).
// Single-threaded; about 800k rows/s on one core of the development machine.
//
// Errors: InvalidArgument when customers < 1 or today is not a valid date or
// out_dir is empty; IoError when a file cannot be created or written.
Result<GenerateSummary> Generate(const GenerateOptions& options);

}  // namespace patron::demo
