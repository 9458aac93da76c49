// Benchmarks of the models: BG/NBD and Gamma-Gamma fits on 1M customers,
// scoring (P(alive), expected purchases, expected spend, discounted CLV) of
// 10M, and fit + score through SQLite. Synthetic customers are drawn from the
// BG/NBD model with CDNOW's parameters over 78 weeks, dated to the day as the
// store does. Run: build/release/models_bench (see BENCHMARKS.md).
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "models/models.h"

namespace patron::models {
namespace {

constexpr BgNbdParams kCdnow{0.243, 4.414, 0.793, 2.426};
constexpr int64_t kMicrosPerDay = 86'400'000'000;

// n histories in weeks, calibration of 78 weeks, first purchases in weeks 0-12,
// each repeat worth 5-45 (a deterministic spread so the spend model has data).
const std::vector<CustomerHistory>& Histories(int n) {
  static std::map<int, std::vector<CustomerHistory>> cache;
  auto it = cache.find(n);
  if (it != cache.end()) return it->second;
  auto streams = SimulateBgNbdPurchases(kCdnow, n, 12, 78, 2024);
  std::vector<CustomerHistory> histories;
  histories.reserve(n);
  HistoryAccumulator acc(78 * 7, 7);
  int k = 0;
  for (const auto& s : streams) {
    acc.Reset();
    for (double week : s) acc.Add(static_cast<int64_t>(week * 7), 5 + (++k * 7919) % 41);
    histories.push_back(acc.history());
  }
  return cache.emplace(n, std::move(histories)).first->second;
}

void BM_FitBgNbd(benchmark::State& state) {
  const auto& histories = Histories(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    auto fit = FitBgNbd(histories);
    if (!fit.ok()) state.SkipWithError(fit.status().ToString().c_str());
    benchmark::DoNotOptimize(fit);
    state.counters["evaluations"] = fit.ok() ? fit->evaluations : 0;
    state.counters["r"] = fit.ok() ? fit->params.r : 0;
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_FitBgNbd)->Arg(100'000)->Arg(1'000'000)->Unit(benchmark::kMillisecond);

void BM_FitGammaGamma(benchmark::State& state) {
  const auto& histories = Histories(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    auto fit = FitGammaGamma(histories);
    if (!fit.ok()) state.SkipWithError(fit.status().ToString().c_str());
    benchmark::DoNotOptimize(fit);
    state.counters["repeat_buyers"] = fit.ok() ? fit->customers : 0;
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_FitGammaGamma)->Arg(1'000'000)->Unit(benchmark::kMillisecond);

// Everything `patron model score` computes per buyer from the fitted models.
void BM_ScoreClv(benchmark::State& state) {
  const auto& histories = Histories(1'000'000);
  const GammaGammaParams spend{6.25, 3.74, 15.44};
  const int64_t n = state.range(0);
  for (auto _ : state) {
    double total = 0;
    for (int64_t i = 0; i < n; ++i) {
      const CustomerHistory& h = histories[i % histories.size()];
      double expected = 0;
      total += BgNbdProbabilityAlive(kCdnow, h);
      total += DiscountedClv(kCdnow, h, GammaGammaExpectedSpend(spend, h), {}, &expected);
      total += expected;
    }
    benchmark::DoNotOptimize(total);
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_ScoreClv)
    ->Arg(1'000'000)
    ->Arg(10'000'000)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);

void BM_ScoreRfm(benchmark::State& state) {
  const auto& histories = Histories(1'000'000);
  std::vector<RfmInput> inputs;
  for (const auto& h : histories) {
    inputs.push_back({static_cast<int64_t>((h.age - h.recency) * 7), h.frequency + 1,
                      h.mean_repeat_value * h.frequency});
  }
  for (auto _ : state) {
    auto scores = ScoreRfm(inputs);
    int64_t champions = 0;
    for (const auto& s : scores) champions += RfmSegment(s) == "champions";
    benchmark::DoNotOptimize(champions);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(inputs.size()));
}
BENCHMARK(BM_ScoreRfm)->Unit(benchmark::kMillisecond);

// A temporary SQLite file, removed at exit.
struct BenchStore {
  std::string path;
  std::unique_ptr<Database> db;
  ~BenchStore() {
    db.reset();
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  }
};

// A SQLite file with n customers and their simulated orders, built once.
Database& StoreWith(int n) {
  static std::map<int, BenchStore> stores;
  auto it = stores.find(n);
  if (it != stores.end()) return *it->second.db;
  const std::string path =
      (std::filesystem::temp_directory_path() /
       ("patron_models_bench_" + std::to_string(::getpid()) + "_" + std::to_string(n) + ".db"))
          .string();
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  auto db = Database::Open(path);
  if (!db.ok()) std::abort();
  Database& d = **db;
  auto streams = SimulateBgNbdPurchases(kCdnow, n, 12, 78, 7);
  const int64_t start_day = CivilDate{2024, 1, 1}.ToDays();
  (void)d.Exec("INSERT INTO sources(id, name, created_at) VALUES (1, 'bench', 0)");
  (void)d.Begin();
  auto customer = d.Prepare("INSERT INTO customers(id, created_at, updated_at) VALUES (?, 0, 0)");
  auto order = d.Prepare(
      "INSERT INTO orders(customer_id, order_number, ordered_at, currency, total_minor, source_id) "
      "VALUES (?, ?, ?, 'EUR', ?, 1)");
  if (!customer.ok() || !order.ok()) std::abort();
  int64_t number = 0;
  for (int i = 0; i < n; ++i) {
    (void)(*customer)->Bind(1, int64_t{i + 1}).Run();
    for (double week : streams[i]) {
      ++number;
      (*order)->Bind(1, int64_t{i + 1}).Bind(2, std::to_string(number));
      (*order)->Bind(3, (start_day + static_cast<int64_t>(week * 7)) * kMicrosPerDay +
                            int64_t{12} * 3600'000'000);
      (void)(*order)->Bind(4, int64_t{500 + (number * 7919) % 4000}).Run();
    }
  }
  (void)d.Commit();
  BenchStore& store = stores[n];
  store.path = path;
  store.db = std::move(*db);
  return *store.db;
}

ModelRunOptions StoreOptions() {
  ModelRunOptions options;
  options.until = CivilDate{2025, 6, 30};  // 78 weeks after 2024-01-01
  return options;
}

void BM_StoreFitClv(benchmark::State& state) {
  Database& db = StoreWith(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    auto fit = FitClv(db, StoreOptions(), SystemClock::Get());
    if (!fit.ok()) state.SkipWithError(fit.status().ToString().c_str());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_StoreFitClv)->Arg(1'000'000)->Unit(benchmark::kMillisecond)->Iterations(1);

void BM_StoreScore(benchmark::State& state) {
  Database& db = StoreWith(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    auto score = ScoreCustomers(db, StoreOptions(), SystemClock::Get());
    if (!score.ok()) state.SkipWithError(score.status().ToString().c_str());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_StoreScore)->Arg(1'000'000)->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace
}  // namespace patron::models

BENCHMARK_MAIN();
