// Reproduces Fader, Hardie & Lee (2005) and Fader & Hardie (2013) on the CDNOW
// sample in ../shared/data/cdnow/, and checks the holdout forecast.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "models/models.h"

namespace patron::models {
namespace {

const std::string kCdnow = std::string(PATRON_SHARED_DATA) + "/cdnow/";

// The CDNOW files are shared test data beside the checkout (../shared/data),
// never copied into the repository; without them these tests say so and skip.
#define SKIP_WITHOUT_CDNOW()                                                   \
  if (!std::filesystem::exists(kCdnow + "CDNOW_sample.txt")) {                 \
    GTEST_SKIP() << "no " << kCdnow << ": the shared test data is not beside this checkout"; \
  }

// ID,x,t_x,T,zbar: the 39-week calibration summary.
std::vector<CustomerHistory> ReadSummary() {
  std::ifstream in(kCdnow + "cdnow_customers_summary_with_transactions.csv");
  std::vector<CustomerHistory> out;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    int id, x;
    double t_x, T, zbar;
    if (std::sscanf(line.c_str(), "%d,%d,%lf,%lf,%lf", &id, &x, &t_x, &T, &zbar) != 5) continue;
    out.push_back({x, t_x, T, zbar});
  }
  return out;
}

struct Purchase {
  int customer;
  int64_t day;
  double value;
};

// master id, sample id, YYYYMMDD, CDs, dollars (whitespace separated, CRLF).
std::vector<Purchase> ReadTransactions() {
  std::ifstream in(kCdnow + "CDNOW_sample.txt");
  std::vector<Purchase> out;
  std::string line;
  while (std::getline(in, line)) {
    long master, sample, date, cds;
    double dollars;
    if (std::sscanf(line.c_str(), "%ld %ld %ld %ld %lf", &master, &sample, &date, &cds, &dollars) !=
        5)
      continue;
    CivilDate d{static_cast<int>(date / 10000), static_cast<int>(date / 100 % 100),
                static_cast<int>(date % 100)};
    out.push_back({static_cast<int>(sample), d.ToDays(), dollars});
  }
  return out;
}

double RelativeError(double actual, double expected) {
  return std::abs(actual - expected) / std::abs(expected);
}

TEST(Cdnow, BgNbdFitReproducesThePaper) {
  SKIP_WITHOUT_CDNOW();
  auto histories = ReadSummary();
  ASSERT_EQ(histories.size(), 2357u);
  auto fit = FitBgNbd(histories);
  ASSERT_TRUE(fit.ok()) << fit.status().ToString();
  const auto& p = fit->params;
  std::printf("BG/NBD on CDNOW: r=%.4f alpha=%.4f a=%.4f b=%.4f LL=%.4f (%d evaluations)\n", p.r,
              p.alpha, p.a, p.b, fit->log_likelihood, fit->evaluations);
  EXPECT_LT(RelativeError(p.r, 0.243), 0.005) << p.r;
  EXPECT_LT(RelativeError(p.alpha, 4.414), 0.005) << p.alpha;
  EXPECT_LT(RelativeError(p.a, 0.793), 0.005) << p.a;
  EXPECT_LT(RelativeError(p.b, 2.426), 0.005) << p.b;
  EXPECT_NEAR(fit->log_likelihood, -9582.4, 0.1);
  // The compressed, recurrence-based likelihood the optimiser sees equals the
  // textbook formula summed customer by customer.
  EXPECT_NEAR(BgNbdLogLikelihood(p, histories), fit->log_likelihood, 1e-6);
}

TEST(Cdnow, GammaGammaFitReproducesThePaper) {
  SKIP_WITHOUT_CDNOW();
  auto histories = ReadSummary();
  auto fit = FitGammaGamma(histories);
  ASSERT_TRUE(fit.ok()) << fit.status().ToString();
  EXPECT_EQ(fit->customers, 946);
  std::printf("Gamma-Gamma on CDNOW: p=%.4f q=%.4f v=%.4f LL=%.4f\n", fit->params.p, fit->params.q,
              fit->params.v, fit->log_likelihood);
  EXPECT_LT(RelativeError(fit->params.p, 6.25), 0.01) << fit->params.p;
  EXPECT_LT(RelativeError(fit->params.q, 3.74), 0.01) << fit->params.q;
  EXPECT_LT(RelativeError(fit->params.v, 15.44), 0.01) << fit->params.v;
  EXPECT_NEAR(GammaGammaLogLikelihood(fit->params, histories), fit->log_likelihood, 1e-6);
}

// Builds the calibration summary from the raw transactions (weeks 1–39) and
// counts each customer's repeat transaction days in weeks 40–78.
struct CalibrationAndHoldout {
  std::vector<CustomerHistory> calibration;
  std::vector<int> holdout;
};

CalibrationAndHoldout SplitTransactions() {
  const int64_t end = CivilDate{1997, 9, 30}.ToDays();
  const int64_t holdout_end = CivilDate{1998, 6, 30}.ToDays();
  std::map<int, std::vector<Purchase>> by_customer;
  for (const auto& p : ReadTransactions()) by_customer[p.customer].push_back(p);
  CalibrationAndHoldout out;
  HistoryAccumulator acc(end, 7);
  for (auto& [id, purchases] : by_customer) {
    std::stable_sort(purchases.begin(), purchases.end(),
                     [](const Purchase& l, const Purchase& r) { return l.day < r.day; });
    acc.Reset();
    std::set<int64_t> holdout_days;
    for (const auto& p : purchases) {
      if (p.day <= end) {
        acc.Add(p.day, p.value);
      } else if (p.day <= holdout_end) {
        holdout_days.insert(p.day);
      }
    }
    out.calibration.push_back(acc.history());
    out.holdout.push_back(static_cast<int>(holdout_days.size()));
  }
  return out;
}

TEST(Cdnow, SummaryFromTransactionsMatchesThePublishedSummary) {
  SKIP_WITHOUT_CDNOW();
  auto published = ReadSummary();
  auto built = SplitTransactions();
  ASSERT_EQ(built.calibration.size(), published.size());
  for (size_t i = 0; i < published.size(); ++i) {
    SCOPED_TRACE("customer " + std::to_string(i + 1));
    EXPECT_EQ(built.calibration[i].frequency, published[i].frequency);
    EXPECT_NEAR(built.calibration[i].recency, published[i].recency,
                0.006);  // published to 2 decimals
    EXPECT_NEAR(built.calibration[i].age, published[i].age, 0.006);
    EXPECT_NEAR(built.calibration[i].mean_repeat_value, published[i].mean_repeat_value, 0.006);
  }
}

TEST(Cdnow, HoldoutForecastTracksWeeks40To78) {
  SKIP_WITHOUT_CDNOW();
  auto data = SplitTransactions();
  auto fit = FitBgNbd(data.calibration);
  ASSERT_TRUE(fit.ok());
  HoldoutReport report = CompareHoldout(fit->params, data.calibration, data.holdout, 39);
  std::printf(
      "holdout (weeks 40-78): actual %.0f, predicted %.1f repeat transactions, %d customers\n",
      report.actual_total, report.predicted_total, report.customers);
  std::printf("| x in weeks 1-39 | customers | actual mean | BG/NBD mean |\n");
  for (const auto& g : report.groups) {
    std::printf("| %d%s | %d | %.3f | %.3f |\n", g.frequency, g.open_ended ? "+" : "", g.customers,
                g.actual_mean, g.predicted_mean);
  }
  // The paper's aggregate view: the unconditional model E[X(t)] for each
  // customer's time since trial, summed — repeat transactions expected in
  // weeks 40–78 without using anyone's calibration history.
  double unconditional = 0;
  for (const auto& h : data.calibration) {
    unconditional += BgNbdExpectedPurchases(fit->params, h.age + 39) -
                     BgNbdExpectedPurchases(fit->params, h.age);
  }
  std::printf("aggregate (unconditional E[X(t)]): predicted %.1f\n", unconditional);
  // Measured: 1667 against 1882 actual (−11 %); bounded as a regression guard.
  EXPECT_LT(RelativeError(unconditional, report.actual_total), 0.15);
  // Measured: 1653 predicted against 1882 actual (−12 %), with the paper's
  // pattern of under-forecasting the light repeat buyers (x = 1, 2) and close
  // means elsewhere. The bounds guard against regressions, not chance.
  EXPECT_LT(RelativeError(report.predicted_total, report.actual_total), 0.15);
  for (const auto& g : report.groups)
    EXPECT_NEAR(g.predicted_mean, g.actual_mean, 0.4) << g.frequency;
}

TEST(Cdnow, ProbabilityAliveAndExpectationsBehave) {
  SKIP_WITHOUT_CDNOW();
  auto histories = ReadSummary();
  auto fit = FitBgNbd(histories);
  ASSERT_TRUE(fit.ok());
  const auto& p = fit->params;
  // Customer 1 (x = 2, t_x = 30.43, T = 38.86).
  double alive = BgNbdProbabilityAlive(p, histories[0]);
  EXPECT_GT(alive, 0.0);
  EXPECT_LT(alive, 1.0);
  // Someone who bought often and recently is more likely alive than someone
  // equally frequent who stopped long ago.
  CustomerHistory recent{5, 38, 39, 20}, stopped{5, 5, 39, 20};
  EXPECT_GT(BgNbdProbabilityAlive(p, recent), BgNbdProbabilityAlive(p, stopped));
  EXPECT_GT(BgNbdConditionalExpectedPurchases(p, recent, 52),
            BgNbdConditionalExpectedPurchases(p, stopped, 52));
  // E[X(t)] grows with t and stays below the rate of an immortal customer.
  EXPECT_GT(BgNbdExpectedPurchases(p, 78), BgNbdExpectedPurchases(p, 39));
  EXPECT_LT(BgNbdExpectedPurchases(p, 39), p.r / p.alpha * 39);
  // Expected spend shrinks a customer's mean toward the population mean.
  auto gg = FitGammaGamma(histories);
  ASSERT_TRUE(gg.ok());
  const double population = gg->params.p * gg->params.v / (gg->params.q - 1);
  CustomerHistory big{3, 30, 39, 200};
  double spend = GammaGammaExpectedSpend(gg->params, big);
  EXPECT_GT(spend, population);
  EXPECT_LT(spend, 200);
  EXPECT_NEAR(GammaGammaExpectedSpend(gg->params, CustomerHistory{0, 0, 39, 0}), population, 1e-9);
  // CLV: positive, smaller with heavier discounting.
  ClvOptions heavy;
  heavy.annual_discount_rate = 0.5;
  double clv = DiscountedClv(p, recent, 20);
  EXPECT_GT(clv, 0);
  EXPECT_LT(DiscountedClv(p, recent, 20, heavy), clv);
  EXPECT_LT(clv, BgNbdConditionalExpectedPurchases(p, recent, 52) * 20);
}

TEST(Clv, FiniteForBrandNewCustomersOfFrequentBuyers) {
  // A small α (purchases every few days) and T = 0 push the 2F1 argument
  // toward 1, where its series converges slowest.
  const BgNbdParams frequent{0.8, 0.05, 0.9, 3.0};
  double expected = 0;
  const double clv = DiscountedClv(frequent, CustomerHistory{0, 0, 0, 0}, 10, {}, &expected);
  EXPECT_TRUE(std::isfinite(clv)) << clv;
  EXPECT_GT(expected, 1);
  EXPECT_NEAR(expected, BgNbdExpectedPurchases(frequent, 52), 1e-6 * expected);
}

TEST(Cdnow, DiscountedClvEqualsThePeriodByPeriodSum) {
  SKIP_WITHOUT_CDNOW();
  auto fit = FitBgNbd(ReadSummary());
  ASSERT_TRUE(fit.ok());
  const auto& p = fit->params;
  ClvOptions options;
  for (const CustomerHistory& h :
       {CustomerHistory{0, 0, 38.86, 0}, CustomerHistory{2, 30.43, 38.86, 22.35},
        CustomerHistory{14, 38, 39, 40}, CustomerHistory{1, 0.5, 2, 10}}) {
    double reference = 0, previous = 0;
    for (int i = 1; i <= options.periods; ++i) {
      const double t = options.horizon * i / options.periods;
      const double cumulative = BgNbdConditionalExpectedPurchases(p, h, t);
      reference += (cumulative - previous) * 25 *
                   std::pow(1 + options.annual_discount_rate, -t / options.units_per_year);
      previous = cumulative;
    }
    double expected = 0;
    EXPECT_NEAR(DiscountedClv(p, h, 25, options, &expected), reference, 1e-9 * reference)
        << h.frequency;
    EXPECT_NEAR(expected, BgNbdConditionalExpectedPurchases(p, h, options.horizon), 1e-12)
        << h.frequency;
  }
}

}  // namespace
}  // namespace patron::models
