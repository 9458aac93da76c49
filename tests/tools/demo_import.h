// Loading the demo generator's files into a store, as `patron demo` and
// scripts/demo.sh do: each file with its kind, source and source description,
// in the generator's order. For tests that need realistic data.
#pragma once

#include <gtest/gtest.h>

#include <vector>

#include "demo/demo.h"
#include "ingest/ingest.h"

namespace patron::testing {

// The import options for one generated file.
inline ingest::ImportOptions DemoImportOptions(const demo::GeneratedFile& f) {
  ingest::ImportOptions io;
  io.kind = *ingest::ParseEntityKind(f.kind);
  io.path = f.path;
  io.source_name = f.source;
  io.source_kind = f.source_kind;
  io.source_vendor = f.vendor;
  io.source_cost = f.cost;
  io.default_country = f.default_country;
  if (!f.as_of.empty()) io.as_of = *ingest::ParseTimestamp(f.as_of);
  return io;
}

// Imports every file; a failed import fails the test (use ASSERT_NO_FATAL_FAILURE).
inline void ImportDemoFiles(Database& db, const std::vector<demo::GeneratedFile>& files, const Clock& clock) {
  for (const auto& f : files) {
    auto report = ingest::ImportFile(db, DemoImportOptions(f), clock);
    ASSERT_TRUE(report.ok()) << f.path << ": " << report.status().ToString();
  }
}

}  // namespace patron::testing
