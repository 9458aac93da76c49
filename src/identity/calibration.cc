// Calibration of the review queue's probabilities from reviewers' decisions:
// a two-parameter logistic recalibration (Platt scaling) of the model's
// log-odds, fitted by Newton's method with a backtracking line search under a
// Gaussian prior centred on the identity map.
#include <algorithm>
#include <cmath>
#include <vector>

#include "identity/identity.h"
#include "store/store.h"

namespace patron::identity {

namespace {

// The model's log-odds, bounded: pairs that agree on names and place alone can
// reach probabilities of 1 - 1e-7, and their exact value says nothing more.
constexpr double kMaxLogOdds = 8;
// Prior standard deviations: the intercept (in log-odds) and the slope.
constexpr double kInterceptPriorSd = 1.0;
constexpr double kSlopePriorSd = 0.5;
// The slope is kept at least this, so the queue's order never reverses.
constexpr double kMinSlope = 0.05;

double LogOdds(double p) {
  p = std::clamp(p, 1e-12, 1 - 1e-12);
  return std::clamp(std::log(p / (1 - p)), -kMaxLogOdds, kMaxLogOdds);
}

double Sigmoid(double z) { return 1 / (1 + std::exp(-z)); }

// log(1 + e^z) without overflow.
double Softplus(double z) { return z > 30 ? z : std::log1p(std::exp(z)); }

struct Point {
  double x = 0;  // the model's log-odds
  double y = 0;  // 1 accepted, 0 rejected
};

// The log posterior (up to a constant) of intercept a and slope b.
double LogPosterior(const std::vector<Point>& points, double a, double b) {
  const double pa = 1 / (kInterceptPriorSd * kInterceptPriorSd);
  const double pb = 1 / (kSlopePriorSd * kSlopePriorSd);
  double v = -0.5 * pa * a * a - 0.5 * pb * (b - 1) * (b - 1);
  for (const Point& p : points) {
    const double z = a + b * p.x;
    v += p.y * z - Softplus(z);
  }
  return v;
}

}  // namespace

double ReviewCalibration::Calibrated(double model_probability) const {
  if (decisions() == 0) return model_probability;
  return Sigmoid(intercept + slope * LogOdds(model_probability));
}

ReviewCalibration FitReviewCalibration(const std::vector<ReviewOutcome>& decided) {
  ReviewCalibration c;
  std::vector<Point> points;
  points.reserve(decided.size());
  for (const ReviewOutcome& d : decided) {
    points.push_back({LogOdds(d.probability), d.accepted ? 1.0 : 0.0});
    ++(d.accepted ? c.accepted : c.rejected);
  }
  if (points.empty()) return c;
  const double pa = 1 / (kInterceptPriorSd * kInterceptPriorSd);
  const double pb = 1 / (kSlopePriorSd * kSlopePriorSd);
  double a = 0, b = 1;
  for (int iteration = 0; iteration < 50; ++iteration) {
    // Gradient and (negated) Hessian of the log posterior: concave, so the
    // Newton step is an ascent direction.
    double ga = -pa * a, gb = -pb * (b - 1), haa = pa, hab = 0, hbb = pb;
    for (const Point& p : points) {
      const double q = Sigmoid(a + b * p.x);
      const double w = q * (1 - q);
      ga += p.y - q;
      gb += (p.y - q) * p.x;
      haa += w;
      hab += w * p.x;
      hbb += w * p.x * p.x;
    }
    const double det = haa * hbb - hab * hab;
    if (!(det > 0)) break;
    const double da = (hbb * ga - hab * gb) / det;
    const double db = (haa * gb - hab * ga) / det;
    const double before = LogPosterior(points, a, b);
    double step = 1;
    while (step > 1e-6 && LogPosterior(points, a + step * da, b + step * db) < before) step /= 2;
    a += step * da;
    b += step * db;
    if (std::abs(step * da) + std::abs(step * db) < 1e-9) break;
  }
  if (b < kMinSlope) {
    // The best slope is below the bound (every decision against the model):
    // fix it there and fit the intercept alone, which is the constrained
    // optimum since the log posterior is concave.
    b = kMinSlope;
    for (int iteration = 0; iteration < 50; ++iteration) {
      double g = -pa * a, h = pa;
      for (const Point& p : points) {
        const double q = Sigmoid(a + b * p.x);
        g += p.y - q;
        h += q * (1 - q);
      }
      const double da = g / h;
      const double before = LogPosterior(points, a, b);
      double step = 1;
      while (step > 1e-6 && LogPosterior(points, a + step * da, b) < before) step /= 2;
      a += step * da;
      if (std::abs(step * da) < 1e-9) break;
    }
  }
  c.intercept = a;
  c.slope = b;
  return c;
}

Result<ReviewCalibration> LearnReviewCalibration(Database& db) {
  std::vector<ReviewOutcome> decided;
  Statement& q = db.Query("identity-decided-reviews");
  while (true) {
    Result<bool> more = q.Step();
    if (!more.ok()) {
      q.Reset();
      return more.status();
    }
    if (!*more) break;
    decided.push_back({q.Double(0), q.Int(1) != 0});
  }
  q.Reset();
  return FitReviewCalibration(decided);
}

}  // namespace patron::identity
