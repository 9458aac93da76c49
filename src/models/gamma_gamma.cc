// Gamma-Gamma spend model (Fader & Hardie 2013): a customer's transaction
// values are gamma(p, ν) with ν itself gamma(q, γ) across customers; only the
// mean z̄ of x repeat transactions is needed.
#include <algorithm>
#include <cmath>
#include <vector>

#include "models/models.h"
#include "models/models_internal.h"

namespace patron::models {

namespace {

struct SpendCustomer {
  int x;
  double zbar;
};

struct GammaGammaProblem {
  std::vector<SpendCustomer> customers;
  int max_x = 0;
  // Σ x·ln x + x·ln z̄ and Σ ln z̄: the parts of the likelihood that do not
  // depend on the parameters' interaction with each customer.
  double sum_x_log_x_zbar = 0, sum_log_zbar = 0;
  int evaluations = 0;
  std::vector<double> lg_px, lg_pxq, psi_px, psi_pxq;
};

bool Informative(const CustomerHistory& h) { return h.frequency > 0 && h.mean_repeat_value > 0; }

double Total(GammaGammaProblem& problem, const GammaGammaParams& g, double* gradient) {
  // lnΓ and ψ at p·x and p·x + q, once per distinct x.
  const int n = problem.max_x + 1;
  problem.lg_px.assign(n, 0);
  problem.lg_pxq.assign(n, 0);
  problem.psi_px.assign(n, 0);
  problem.psi_pxq.assign(n, 0);
  for (int x = 1; x < n; ++x) {
    problem.lg_px[x] = std::lgamma(g.p * x);
    problem.lg_pxq[x] = std::lgamma(g.p * x + g.q);
    if (gradient) {
      problem.psi_px[x] = Digamma(g.p * x);
      problem.psi_pxq[x] = Digamma(g.p * x + g.q);
    }
  }
  const double lg_q = std::lgamma(g.q), log_v = std::log(g.v);
  const double psi_q = gradient ? Digamma(g.q) : 0;
  double ll = g.p * problem.sum_x_log_x_zbar - problem.sum_log_zbar;
  double d_p = problem.sum_x_log_x_zbar, d_q = 0, d_v = 0;
  for (const auto& c : problem.customers) {
    const double x = c.x;
    const double log_total = std::log(g.v + x * c.zbar);
    ll +=
        problem.lg_pxq[c.x] - problem.lg_px[c.x] - lg_q + g.q * log_v - (g.p * x + g.q) * log_total;
    if (gradient) {
      d_p += x * (problem.psi_pxq[c.x] - problem.psi_px[c.x] - log_total);
      d_q += problem.psi_pxq[c.x] - psi_q + log_v - log_total;
      d_v += g.q / g.v - (g.p * x + g.q) / (g.v + x * c.zbar);
    }
  }
  if (gradient) {
    gradient[0] = d_p;
    gradient[1] = d_q;
    gradient[2] = d_v;
  }
  return ll;
}

double Objective(unsigned /*n*/, const double* theta, double* grad, void* data) {
  auto& problem = *static_cast<GammaGammaProblem*>(data);
  ++problem.evaluations;
  GammaGammaParams g{std::exp(theta[0]), std::exp(theta[1]), std::exp(theta[2])};
  double d[3];
  double ll = Total(problem, g, grad ? d : nullptr);
  const double scale = static_cast<double>(problem.customers.size());
  if (grad) {
    const double values[3] = {g.p, g.q, g.v};
    for (int i = 0; i < 3; ++i) grad[i] = -d[i] * values[i] / scale;
  }
  double f = -ll / scale;
  return std::isfinite(f) ? f : HUGE_VAL;
}

GammaGammaProblem MakeProblem(std::span<const CustomerHistory> histories) {
  GammaGammaProblem problem;
  for (const auto& h : histories) {
    if (!Informative(h)) continue;
    problem.customers.push_back({h.frequency, h.mean_repeat_value});
    problem.max_x = std::max(problem.max_x, h.frequency);
    problem.sum_x_log_x_zbar +=
        h.frequency * (std::log(h.frequency) + std::log(h.mean_repeat_value));
    problem.sum_log_zbar += std::log(h.mean_repeat_value);
  }
  return problem;
}

}  // namespace

double GammaGammaLogLikelihood(const GammaGammaParams& params,
                               std::span<const CustomerHistory> histories) {
  GammaGammaProblem problem = MakeProblem(histories);
  return Total(problem, params, nullptr);
}

Result<GammaGammaFit> FitGammaGamma(std::span<const CustomerHistory> histories,
                                    const FitOptions& options) {
  GammaGammaProblem problem = MakeProblem(histories);
  if (problem.customers.size() < 2) {
    return InvalidArgument(
        "the spend model needs at least 2 customers with repeat purchases of positive value; got " +
        std::to_string(problem.customers.size()));
  }
  double mean = 0;
  for (const auto& c : problem.customers) mean += c.zbar;
  mean /= static_cast<double>(problem.customers.size());
  // Start at p = 1, q = 2 and γ matching the observed mean spend (p·γ/(q−1)).
  double theta[3] = {0, std::log(2.0), std::log(std::max(mean, 1e-6))};
  OptimizerResult opt;
  RETURN_IF_ERROR(Minimize(3, theta, &Objective, &problem, options, &opt));
  GammaGammaFit fit;
  fit.params = {std::exp(theta[0]), std::exp(theta[1]), std::exp(theta[2])};
  fit.customers = static_cast<int>(problem.customers.size());
  fit.log_likelihood = -opt.minimum * fit.customers;
  fit.evaluations = problem.evaluations;
  return fit;
}

double GammaGammaExpectedSpend(const GammaGammaParams& g, const CustomerHistory& h) {
  const double x = h.frequency > 0 && h.mean_repeat_value > 0 ? h.frequency : 0;
  return g.p * (g.v + x * h.mean_repeat_value) / (g.p * x + g.q - 1);
}

}  // namespace patron::models
