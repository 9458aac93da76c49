// Micro-benchmarks of the per-value work of an import: validators and text
// normalisation. `make bench` builds this; run build/bench/validate_bench.
#include <benchmark/benchmark.h>

#include <iterator>

#include "ingest/import_internal.h"
#include "ingest/ingest.h"

namespace patron::ingest {
namespace {

void BM_CheckEmail(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(CheckEmail("sara.rezaei@gmial.com"));
}
BENCHMARK(BM_CheckEmail);

void BM_CheckPhoneLocal(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(CheckPhone("0912 345 6789", "IR"));
}
BENCHMARK(BM_CheckPhoneLocal);

void BM_CheckPhoneE164(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(CheckPhone("+46701234567", "SE"));
}
BENCHMARK(BM_CheckPhoneE164);

// +1 is shared by the US and 24 other regions: a Canadian number is found by
// its patterns after the US and the regions with leading digits.
void BM_CheckPhoneNanpa(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(CheckPhone("+1 506-234-5678", ""));
}
BENCHMARK(BM_CheckPhoneNanpa);

// A mix like a real import's phone column: national and international
// formats of many regions and an invalid number. Time per number.
void BM_CheckPhoneMixed(benchmark::State& state) {
  struct Phone {
    const char* raw;
    const char* region;
  };
  static const Phone kPhones[] = {
      {"070-123 45 67", "SE"},   {"+44 7911 123456", ""},    {"0912 345 6789", "IR"},
      {"+1 650-253-0000", ""},   {"030 1234567", "DE"},      {"06 12 34 56 78", "FR"},
      {"+39 06 1234 5678", ""},  {"011 15 2345-6789", "AR"}, {"+7 701 234 5678", ""},
      {"0046 8 123 456 78", ""}, {"(613) 555-0199", "CA"},   {"12345", "SE"},
      {"98 21 1234 5678", "IR"}};
  size_t i = 0;
  for (auto _ : state) {
    const Phone& phone = kPhones[i];
    benchmark::DoNotOptimize(CheckPhone(phone.raw, phone.region));
    i = i + 1 == std::size(kPhones) ? 0 : i + 1;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CheckPhoneMixed);

// Extensions are left to libphonenumber itself: the cost of the fallback.
void BM_CheckPhoneExtension(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(CheckPhone("+46 70 123 45 67 ext. 12", ""));
}
BENCHMARK(BM_CheckPhoneExtension);

void BM_NormalizeTextAscii(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(NormalizeText("Stockholm"));
}
BENCHMARK(BM_NormalizeTextAscii);

void BM_NormalizeTextPersian(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(NormalizeText("مريم كريمی"));
}
BENCHMARK(BM_NormalizeTextPersian);

void BM_FoldForMatching(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(FoldForMatching("Göteborg"));
}
BENCHMARK(BM_FoldForMatching);

void BM_ParseDate(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(ParseDate("1985-02-13"));
}
BENCHMARK(BM_ParseDate);

void BM_ParseDatePersian(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(ParseDate("1370/06/15"));
}
BENCHMARK(BM_ParseDatePersian);

void BM_ParseTimestamp(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(ParseTimestamp("2024-05-01T10:00:00Z"));
}
BENCHMARK(BM_ParseTimestamp);

void BM_NormalizeCountry(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(NormalizeCountry("SE"));
}
BENCHMARK(BM_NormalizeCountry);

void BM_NormalizeGender(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(NormalizeGender("f"));
}
BENCHMARK(BM_NormalizeGender);

void BM_ParseBool(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(ParseBool("yes"));
}
BENCHMARK(BM_ParseBool);

void BM_CsvReader(benchmark::State& state) {
  std::string data = "customer_id,given_name,family_name,email,mobile,city,country\n";
  for (int i = 0; i < 10000; ++i) {
    data += "B" + std::to_string(i) + ",Sara,Rezaei,user" + std::to_string(i) + "@gmail.com,09123456789,Tehran,IR\n";
  }
  for (auto _ : state) {
    auto reader = CsvReader::FromString(data);
    RawRecord r;
    int64_t n = 0;
    while (true) {
      auto more = reader->Next(&r);
      if (!more.ok() || !*more) break;
      ++n;
    }
    benchmark::DoNotOptimize(n);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(data.size()));
}
BENCHMARK(BM_CsvReader);

}  // namespace
}  // namespace patron::ingest

BENCHMARK_MAIN();
