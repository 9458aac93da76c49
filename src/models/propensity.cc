// Logistic regression for purchase propensity, and its reliability table.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "models/models.h"
#include "models/models_internal.h"

namespace patron::models {

namespace {

double Sigmoid(double z) {
  return z >= 0 ? 1 / (1 + std::exp(-z)) : std::exp(z) / (1 + std::exp(z));
}

struct LogisticProblem {
  std::span<const double> x;
  std::span<const uint8_t> y;
  int d = 0;
  double l2 = 0;
};

// Mean negative log-likelihood plus the penalty, and its gradient.
double LogisticObjective(unsigned /*n*/, const double* w, double* grad, void* data) {
  const auto& p = *static_cast<LogisticProblem*>(data);
  const size_t rows = p.y.size();
  double loss = 0;
  if (grad) std::fill(grad, grad + p.d, 0.0);
  for (size_t i = 0; i < rows; ++i) {
    const double* row = p.x.data() + i * p.d;
    double z = 0;
    for (int k = 0; k < p.d; ++k) z += w[k] * row[k];
    // log(1 + e^z) − y·z, computed without overflow.
    loss += (z > 0 ? z + std::log1p(std::exp(-z)) : std::log1p(std::exp(z))) - p.y[i] * z;
    if (grad) {
      const double residual = Sigmoid(z) - p.y[i];
      for (int k = 0; k < p.d; ++k) grad[k] += residual * row[k];
    }
  }
  const double scale = 1.0 / static_cast<double>(rows);
  loss *= scale;
  for (int k = 0; k < p.d; ++k) {
    loss += p.l2 * w[k] * w[k];
    if (grad) grad[k] = grad[k] * scale + 2 * p.l2 * w[k];
  }
  return loss;
}

}  // namespace

double LogisticModel::Probability(std::span<const double> features) const {
  double z = 0;
  for (size_t k = 0; k < weights.size() && k < features.size(); ++k) z += weights[k] * features[k];
  return Sigmoid(z);
}

Result<LogisticModel> FitLogistic(std::span<const double> features, std::span<const uint8_t> labels,
                                  int dimensions, double l2, const FitOptions& options) {
  if (labels.empty() || dimensions < 1 ||
      features.size() != labels.size() * static_cast<size_t>(dimensions)) {
    return InvalidArgument(
        "logistic regression needs rows × dimensions features and one label per row");
  }
  LogisticProblem problem{features, labels, dimensions, l2};
  LogisticModel model;
  model.weights.assign(dimensions, 0.0);
  FitOptions fit = options;
  fit.relative_tolerance = std::max(fit.relative_tolerance, 1e-10);
  OptimizerResult result;
  RETURN_IF_ERROR(Minimize(static_cast<unsigned>(dimensions), model.weights.data(),
                           &LogisticObjective, &problem, fit, &result));
  return model;
}

std::vector<ReliabilityBin> Reliability(std::span<const double> predicted,
                                        std::span<const uint8_t> labels, int bins) {
  std::vector<size_t> order(predicted.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](size_t l, size_t r) { return predicted[l] < predicted[r]; });
  std::vector<ReliabilityBin> table;
  if (order.empty() || bins < 1) return table;
  table.resize(std::min<size_t>(bins, order.size()));
  for (size_t rank = 0; rank < order.size(); ++rank) {
    auto& bin = table[rank * table.size() / order.size()];
    ++bin.count;
    bin.mean_predicted += predicted[order[rank]];
    bin.observed_rate += labels[order[rank]];
  }
  for (auto& bin : table) {
    if (bin.count == 0) continue;
    bin.mean_predicted /= bin.count;
    bin.observed_rate /= bin.count;
  }
  return table;
}

}  // namespace patron::models
