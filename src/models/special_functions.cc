// Special functions the models need and the C++ standard library lacks.
// Hand-written because the Debian libraries that have them are either GPL
// (GSL) or a large dependency for two functions (Boost.Math); both are short,
// textbook series with their accuracy checked in special_functions_test.cc.
#include <cmath>
#include <limits>
#include <span>

#include "models/models.h"

namespace patron::models {

double Digamma(double x) {
  // Shift x up with ψ(x) = ψ(x + 1) − 1/x (to x >= 16) until the asymptotic expansion
  // ψ(x) ~ ln x − 1/(2x) − Σ B_2k / (2k x^2k) is accurate to double precision.
  double shift = 0;
  while (x < 16) {
    shift -= 1 / x;
    x += 1;
  }
  double inv2 = 1 / (x * x);
  double series =
      inv2 * (1.0 / 12 -
              inv2 * (1.0 / 120 - inv2 * (1.0 / 252 - inv2 * (1.0 / 240 - inv2 * (1.0 / 132)))));
  return shift + std::log(x) - 0.5 / x - series;
}

double Hypergeometric2F1(double a, double b, double c, double z, int max_terms) {
  // Σ (a)_n (b)_n / ((c)_n n!) zⁿ, each term from the previous by the ratio
  // (a + n)(b + n) z / ((c + n)(n + 1)). With 0 <= z < 1 the terms eventually
  // shrink geometrically; stop once two consecutive terms are negligible.
  double term = 1, sum = 1;
  for (int n = 0; n < max_terms; ++n) {
    term *= (a + n) * (b + n) / ((c + n) * (n + 1)) * z;
    sum += term;
    if (std::abs(term) <= std::abs(sum) * 1e-16) {
      // One more to guard against a term that is small by cancellation only.
      double next = term * (a + n + 1) * (b + n + 1) / ((c + n + 1) * (n + 2)) * z;
      if (std::abs(next) <= std::abs(sum) * 1e-16) return sum + next;
    }
  }
  return std::numeric_limits<double>::quiet_NaN();
}

void Hypergeometric2F1(double a, double b, double c, std::span<const double> z,
                       std::span<double> out, int max_terms) {
  const size_t k = z.size();
  constexpr size_t kMaxPoints = 64;
  if (k > kMaxPoints) {  // rare: fall back to one series per point
    for (size_t i = 0; i < k; ++i) out[i] = Hypergeometric2F1(a, b, c, z[i], max_terms);
    return;
  }
  double power[kMaxPoints];
  for (size_t i = 0; i < k; ++i) {
    power[i] = 1;
    out[i] = 1;
  }
  double coefficient = 1;
  for (int n = 0; n < max_terms; ++n) {
    coefficient *= (a + n) * (b + n) / ((c + n) * (n + 1));
    bool converged = true;
    for (size_t i = 0; i < k; ++i) {
      power[i] *= z[i];
      const double term = coefficient * power[i];
      out[i] += term;
      converged &= std::abs(term) <= std::abs(out[i]) * 1e-16;
    }
    // As in the one-point series: two negligible terms in a row at every point.
    if (converged) {
      const double next = (a + n + 1) * (b + n + 1) / ((c + n + 1) * (n + 2));
      bool next_negligible = true;
      for (size_t i = 0; i < k; ++i) {
        next_negligible &=
            std::abs(coefficient * next * power[i] * z[i]) <= std::abs(out[i]) * 1e-16;
      }
      if (next_negligible) return;
    }
  }
  for (size_t i = 0; i < k; ++i) out[i] = std::numeric_limits<double>::quiet_NaN();
}

}  // namespace patron::models
