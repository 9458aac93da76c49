#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "models/models.h"

namespace patron::models {
namespace {

TEST(Digamma, KnownValues) {
  EXPECT_NEAR(Digamma(1), -0.57721566490153286, 1e-14);
  EXPECT_NEAR(Digamma(0.5), -1.9635100260214235, 1e-14);
  EXPECT_NEAR(Digamma(0.01), -100.56088545786867, 1e-11);
  EXPECT_NEAR(Digamma(123.4), 4.81137377511628, 1e-12);
  // The recurrence ψ(x + 1) = ψ(x) + 1/x.
  for (double x : {0.3, 2.7, 9.9, 10.1})
    EXPECT_NEAR(Digamma(x + 1) - Digamma(x), 1 / x, 1e-13) << x;
}

TEST(Hypergeometric2F1, ClosedForms) {
  for (double z : {0.0, 0.1, 0.5, 0.9, 0.99}) {
    // 2F1(1, 1; 2; z) = −ln(1 − z)/z
    double expected = z == 0 ? 1 : -std::log1p(-z) / z;
    EXPECT_NEAR(Hypergeometric2F1(1, 1, 2, z), expected, 1e-12 * expected) << z;
    // 2F1(a, b; b; z) = (1 − z)^−a
    EXPECT_NEAR(Hypergeometric2F1(0.7, 2.5, 2.5, z), std::pow(1 - z, -0.7),
                1e-12 * std::pow(1 - z, -0.7))
        << z;
  }
  // A terminating series: 2F1(−2, b; c; z) = 1 − 2bz/c + b(b+1)z²/(c(c+1)).
  EXPECT_NEAR(Hypergeometric2F1(-2, 3, 4, 0.5), 1 - 2 * 3 * 0.5 / 4 + 3 * 4 * 0.25 / (4 * 5),
              1e-15);
}

TEST(Hypergeometric2F1, EulerTransformationAgrees) {
  // 2F1(A, B; C; z) = (1 − z)^(C − A − B) 2F1(C − A, C − B; C; z), used by the
  // BG/NBD conditional expectation.
  const double A = 0.243 + 3, B = 2.426 + 3, C = 0.793 + 2.426 + 3 - 1;
  for (double z : {0.1, 0.4, 0.7}) {
    double direct = Hypergeometric2F1(A, B, C, z);
    double euler = std::pow(1 - z, C - A - B) * Hypergeometric2F1(C - A, C - B, C, z);
    EXPECT_NEAR(direct, euler, 1e-10 * direct) << z;
  }
}

TEST(Hypergeometric2F1, ManyPointsEqualOneAtATime) {
  const std::vector<double> z = {0.0, 0.05, 0.3, 0.6, 0.93};
  std::vector<double> out(z.size());
  Hypergeometric2F1(2.0, -0.2, 5.5, z, out);
  for (size_t i = 0; i < z.size(); ++i)
    EXPECT_NEAR(out[i], Hypergeometric2F1(2.0, -0.2, 5.5, z[i]), 1e-15) << z[i];
}

}  // namespace
}  // namespace patron::models
