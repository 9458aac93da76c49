#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "models/models.h"

namespace patron::models {
namespace {

TEST(Logistic, RecoversKnownWeightsAndIsCalibrated) {
  // y ~ Bernoulli(σ(1.5·x − 2)), x ~ N(0, 1).
  std::mt19937_64 rng(3);
  std::normal_distribution<double> normal;
  std::uniform_real_distribution<double> uniform;
  const int n = 20000;
  std::vector<double> features;
  std::vector<uint8_t> labels;
  for (int i = 0; i < n; ++i) {
    const double x = normal(rng);
    features.push_back(x);
    features.push_back(1);
    labels.push_back(uniform(rng) < 1 / (1 + std::exp(-(1.5 * x - 2))));
  }
  auto model = FitLogistic(features, labels, 2, 1e-6);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  EXPECT_NEAR(model->weights[0], 1.5, 0.1);
  EXPECT_NEAR(model->weights[1], -2.0, 0.1);
  std::vector<double> predicted;
  for (int i = 0; i < n; ++i) predicted.push_back(model->Probability({&features[2 * i], 2}));
  for (const auto& bin : Reliability(predicted, labels, 10)) {
    EXPECT_EQ(bin.count, n / 10);
    EXPECT_NEAR(bin.observed_rate, bin.mean_predicted, 0.03) << bin.mean_predicted;
  }
}

TEST(Logistic, RejectsMismatchedInput) {
  std::vector<double> features = {1, 2, 3};
  std::vector<uint8_t> labels = {1, 0};
  EXPECT_FALSE(FitLogistic(features, labels, 2).ok());
  EXPECT_FALSE(FitLogistic({}, {}, 2).ok());
}

}  // namespace
}  // namespace patron::models
