// BG/NBD (Fader, Hardie & Lee 2005): likelihood, maximum-likelihood fit and
// the quantities a marketer uses (expected purchases, P(alive)).
#include <nlopt.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "models/models.h"
#include "models/models_internal.h"

namespace patron::models {

namespace {

double LogBeta(double a, double b) { return std::lgamma(a) + std::lgamma(b) - std::lgamma(a + b); }

// log(e^u + e^v) without overflow.
double LogSumExp(double u, double v) {
  double m = std::max(u, v);
  return m + std::log1p(std::exp(-std::abs(u - v)));
}

// Many customers share (x, t_x, T), especially with day-grained data: the fit
// evaluates each distinct history once, weighted by how often it occurs.
struct WeightedHistory {
  int x;
  double t_x, T;
  double weight;
};

std::vector<WeightedHistory> Compress(std::span<const CustomerHistory> histories) {
  std::vector<WeightedHistory> all;
  all.reserve(histories.size());
  for (const auto& h : histories) all.push_back({h.frequency, h.recency, h.age, 1});
  std::sort(all.begin(), all.end(), [](const WeightedHistory& l, const WeightedHistory& r) {
    if (l.x != r.x) return l.x < r.x;
    if (l.t_x != r.t_x) return l.t_x < r.t_x;
    return l.T < r.T;
  });
  std::vector<WeightedHistory> unique;
  for (const auto& h : all) {
    if (!unique.empty() && unique.back().x == h.x && unique.back().t_x == h.t_x &&
        unique.back().T == h.T) {
      unique.back().weight += 1;
    } else {
      unique.push_back(h);
    }
  }
  return unique;
}

struct BgNbdProblem {
  std::vector<WeightedHistory> histories;
  double total_weight = 0;
  int max_x = 0;
  int evaluations = 0;
  // Per-x tables, rebuilt for every evaluation (x is an integer count, so
  // Γ-ratios follow from recurrences instead of one lgamma per customer).
  std::vector<double> lg_r, psi_r, g_b, psi_b, g_ab, psi_ab;
};

// Returns the log-likelihood summed over the problem's histories and, when
// `gradient` is not null, its partial derivatives by (r, α, a, b).
double BgNbdTotal(BgNbdProblem& problem, const BgNbdParams& p, double* gradient) {
  const int n = problem.max_x + 1;
  auto& lg_r = problem.lg_r;      // lnΓ(r+x) − lnΓ(r)
  auto& psi_r = problem.psi_r;    // ψ(r+x) − ψ(r)
  auto& g_b = problem.g_b;        // lnΓ(b+x) − lnΓ(b)
  auto& psi_b = problem.psi_b;    // ψ(b+x) − ψ(b)
  auto& g_ab = problem.g_ab;      // lnΓ(a+b+x) − lnΓ(a+b)
  auto& psi_ab = problem.psi_ab;  // ψ(a+b+x) − ψ(a+b)
  for (auto* v : {&lg_r, &psi_r, &g_b, &psi_b, &g_ab, &psi_ab}) v->assign(n, 0);
  for (int x = 1; x < n; ++x) {
    lg_r[x] = lg_r[x - 1] + std::log(p.r + x - 1);
    psi_r[x] = psi_r[x - 1] + 1 / (p.r + x - 1);
    g_b[x] = g_b[x - 1] + std::log(p.b + x - 1);
    psi_b[x] = psi_b[x - 1] + 1 / (p.b + x - 1);
    g_ab[x] = g_ab[x - 1] + std::log(p.a + p.b + x - 1);
    psi_ab[x] = psi_ab[x - 1] + 1 / (p.a + p.b + x - 1);
  }
  const double log_alpha = std::log(p.alpha), log_a = std::log(p.a);
  double ll = 0, d_r = 0, d_alpha = 0, d_a = 0, d_b = 0;
  for (const auto& h : problem.histories) {
    const int x = h.x;
    const double rx = p.r + x;
    const double log_aT = std::log(p.alpha + h.T);
    // B(a, b+x)/B(a, b) · (α+T)^−(r+x): the customer is still alive at T.
    const double l1 = g_b[x] - g_ab[x] - rx * log_aT;
    double w1 = 1, w2 = 0, log_atx = 0, term;
    if (x > 0) {
      // B(a+1, b+x−1)/B(a, b) · (α+t_x)^−(r+x): the customer dropped out after t_x.
      log_atx = std::log(p.alpha + h.t_x);
      const double l2 = log_a + g_b[x - 1] - g_ab[x] - rx * log_atx;
      term = LogSumExp(l1, l2);
      w1 = std::exp(l1 - term);
      w2 = 1 - w1;
    } else {
      term = l1;
    }
    ll += h.weight * (lg_r[x] + p.r * log_alpha + term);
    if (gradient) {
      d_r += h.weight * (psi_r[x] + log_alpha - w1 * log_aT - w2 * log_atx);
      d_alpha += h.weight * (p.r / p.alpha -
                             rx * (w1 / (p.alpha + h.T) + (x > 0 ? w2 / (p.alpha + h.t_x) : 0)));
      d_a += h.weight * (-psi_ab[x] + w2 / p.a);
      d_b += h.weight * (-psi_ab[x] + w1 * psi_b[x] + (x > 0 ? w2 * psi_b[x - 1] : 0));
    }
  }
  if (gradient) {
    gradient[0] = d_r;
    gradient[1] = d_alpha;
    gradient[2] = d_a;
    gradient[3] = d_b;
  }
  return ll;
}

// NLopt objective: the mean negative log-likelihood over log-parameters, so
// that every parameter stays positive and the scale is independent of n.
double BgNbdObjective(unsigned /*n*/, const double* theta, double* grad, void* data) {
  auto& problem = *static_cast<BgNbdProblem*>(data);
  ++problem.evaluations;
  BgNbdParams p{std::exp(theta[0]), std::exp(theta[1]), std::exp(theta[2]), std::exp(theta[3])};
  double g[4];
  double ll = BgNbdTotal(problem, p, grad ? g : nullptr);
  if (grad) {
    const double values[4] = {p.r, p.alpha, p.a, p.b};
    for (int i = 0; i < 4; ++i) grad[i] = -g[i] * values[i] / problem.total_weight;
  }
  double f = -ll / problem.total_weight;
  return std::isfinite(f) ? f : HUGE_VAL;
}

Status CheckHistory(const CustomerHistory& h) {
  if (h.frequency < 0 || h.recency < 0 || h.age < 0 || h.recency > h.age ||
      !std::isfinite(h.recency) || !std::isfinite(h.age)) {
    return InvalidArgument("impossible purchase history: x=" + std::to_string(h.frequency) +
                           " t_x=" + std::to_string(h.recency) + " T=" + std::to_string(h.age));
  }
  return Status::Ok();
}

// BG/NBD formulas divide by (a − 1); at a = 1 they have a finite limit, which a
// nudge of a by 1e-9 approximates far below any useful precision.
double AwayFromOne(double a) { return std::abs(a - 1) < 1e-9 ? 1 + 1e-9 : a; }

}  // namespace

double BgNbdLogLikelihood(const BgNbdParams& p, const CustomerHistory& h) {
  // FHL 2005, eq. 6, term by term with lgamma: deliberately independent of the
  // recurrences in BgNbdTotal, so the tests can check one against the other.
  const double x = h.frequency;
  const double common = std::lgamma(p.r + x) - std::lgamma(p.r) + p.r * std::log(p.alpha);
  const double l1 =
      LogBeta(p.a, p.b + x) - LogBeta(p.a, p.b) - (p.r + x) * std::log(p.alpha + h.age);
  if (h.frequency == 0) return common + l1;
  const double l2 =
      LogBeta(p.a + 1, p.b + x - 1) - LogBeta(p.a, p.b) - (p.r + x) * std::log(p.alpha + h.recency);
  return common + LogSumExp(l1, l2);
}

double BgNbdLogLikelihood(const BgNbdParams& params, std::span<const CustomerHistory> histories) {
  double sum = 0;
  for (const auto& h : histories) sum += BgNbdLogLikelihood(params, h);
  return sum;
}

Result<BgNbdFit> FitBgNbd(std::span<const CustomerHistory> histories, const FitOptions& options) {
  if (histories.empty()) return InvalidArgument("no purchase histories to fit");
  BgNbdProblem problem;
  for (const auto& h : histories) {
    RETURN_IF_ERROR(CheckHistory(h));
    problem.max_x = std::max(problem.max_x, h.frequency);
  }
  problem.histories = Compress(histories);
  problem.total_weight = static_cast<double>(histories.size());

  double mean_age = 0;
  for (const auto& h : histories) mean_age += h.age;
  mean_age /= static_cast<double>(histories.size());
  // Start from a moderately heterogeneous population with a purchase every
  // mean_age/2 time units; the likelihood is smooth enough for L-BFGS from there.
  double theta[4] = {0, std::log(std::max(mean_age / 2, 1e-3)), 0, 0};
  OptimizerResult opt;
  RETURN_IF_ERROR(Minimize(4, theta, &BgNbdObjective, &problem, options, &opt));
  BgNbdFit fit;
  fit.params = {std::exp(theta[0]), std::exp(theta[1]), std::exp(theta[2]), std::exp(theta[3])};
  fit.log_likelihood = -opt.minimum * problem.total_weight;
  fit.customers = static_cast<int>(histories.size());
  fit.evaluations = problem.evaluations;
  return fit;
}

double BgNbdExpectedPurchases(const BgNbdParams& p, double t) {
  const double a = AwayFromOne(p.a);
  const double z = t / (p.alpha + t);
  const double f = Hypergeometric2F1(p.r, p.b, a + p.b - 1, z);
  return (a + p.b - 1) / (a - 1) * (1 - std::pow(p.alpha / (p.alpha + t), p.r) * f);
}

double BgNbdConditionalExpectedPurchases(const BgNbdParams& p, const CustomerHistory& h, double t) {
  const double a = AwayFromOne(p.a);
  const double x = h.frequency;
  const double z = t / (p.alpha + h.age + t);
  // ((α+T)/(α+T+t))^(r+x) · 2F1(r+x, b+x; a+b+x−1; z) through Euler's
  // transformation 2F1(A,B;C;z) = (1−z)^(C−A−B) 2F1(C−A, C−B; C; z): the
  // transformed series has the small parameter a−1 and converges much faster
  // as z approaches 1.
  const double transformed =
      std::pow(1 - z, a - 1) * Hypergeometric2F1(a + p.b - 1 - p.r, a - 1, a + p.b + x - 1, z);
  const double numerator = (a + p.b + x - 1) / (a - 1) * (1 - transformed);
  double denominator = 1;
  if (h.frequency > 0) {
    denominator +=
        a / (p.b + x - 1) *
        std::exp((p.r + x) * (std::log(p.alpha + h.age) - std::log(p.alpha + h.recency)));
  }
  return numerator / denominator;
}

double BgNbdProbabilityAlive(const BgNbdParams& p, const CustomerHistory& h) {
  if (h.frequency == 0) return 1;
  const double x = h.frequency;
  const double log_odds_dead =
      std::log(p.a) - std::log(p.b + x - 1) +
      (p.r + x) * (std::log(p.alpha + h.age) - std::log(p.alpha + h.recency));
  return 1 / (1 + std::exp(log_odds_dead));
}

}  // namespace patron::models
