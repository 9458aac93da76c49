// Synthetic purchase streams drawn from the BG/NBD model itself, so tests can
// check that a fit recovers known parameters and benchmarks can scale freely.
#include <random>

#include "models/models.h"

namespace patron::models {

std::vector<std::vector<double>> SimulateBgNbdPurchases(const BgNbdParams& params, int customers,
                                                        double first_purchase_span, double end,
                                                        uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::gamma_distribution<double> rate(params.r, 1 / params.alpha);
  std::gamma_distribution<double> beta_a(params.a, 1), beta_b(params.b, 1);
  std::uniform_real_distribution<double> uniform(0, 1);
  std::vector<std::vector<double>> out(customers);
  for (auto& purchases : out) {
    const double lambda = rate(rng);
    const double ga = beta_a(rng), gb = beta_b(rng);
    const double dropout = ga / (ga + gb);
    double t = uniform(rng) * first_purchase_span;
    purchases.push_back(t);
    if (lambda <= 0) continue;
    std::exponential_distribution<double> wait(lambda);
    while (true) {
      t += wait(rng);
      if (t > end) break;
      purchases.push_back(t);
      if (uniform(rng) < dropout) break;
    }
  }
  return out;
}

}  // namespace patron::models
