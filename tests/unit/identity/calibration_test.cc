// The review queue's probabilities recalibrated from reviewers' decisions.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "identity/identity.h"

namespace patron::identity {
namespace {

std::vector<ReviewOutcome> Decisions(double probability, int accepted, int rejected) {
  std::vector<ReviewOutcome> out;
  for (int i = 0; i < accepted; ++i) out.push_back({probability, true});
  for (int i = 0; i < rejected; ++i) out.push_back({probability, false});
  return out;
}

TEST(ReviewCalibration, WithoutDecisionsTheModelsProbabilityStands) {
  const ReviewCalibration c = FitReviewCalibration({});
  EXPECT_EQ(c.decisions(), 0);
  for (double p : {0.5, 0.73, 0.95, 0.9999993}) EXPECT_EQ(c.Calibrated(p), p);
}

// At 20 000 people, name-only pairs the model put at 0.9 and above were one
// person about two times in three, and those at 0.5 to 0.6 one in five.
TEST(ReviewCalibration, AnOverconfidentModelIsBroughtDownToWhatReviewersFound) {
  std::vector<ReviewOutcome> decided = Decisions(0.95, 12, 6);
  for (const auto& d : Decisions(0.55, 2, 10)) decided.push_back(d);
  const ReviewCalibration c = FitReviewCalibration(decided);
  EXPECT_EQ(c.accepted, 14);
  EXPECT_EQ(c.rejected, 16);
  EXPECT_GT(c.Calibrated(0.95), 0.5);
  EXPECT_LT(c.Calibrated(0.95), 0.85);
  EXPECT_LT(c.Calibrated(0.55), 0.4);
  EXPECT_GT(c.Calibrated(0.55), 0.1);
  // The queue's order is kept.
  EXPECT_LT(c.Calibrated(0.6), c.Calibrated(0.7));
  EXPECT_LT(c.Calibrated(0.7), c.Calibrated(0.9));
}

TEST(ReviewCalibration, OneDecisionDoesNotOverturnTheModelButManyDo) {
  // One pair at 0.9 rejected: the prior counts about as much as the decision.
  const double one = FitReviewCalibration(Decisions(0.9, 0, 1)).Calibrated(0.9);
  EXPECT_GT(one, 0.6);
  EXPECT_LT(one, 0.8);
  const double few = FitReviewCalibration(Decisions(0.9, 1, 3)).Calibrated(0.9);
  EXPECT_LT(few, one);
  EXPECT_GT(few, 0.4);
  const double many = FitReviewCalibration(Decisions(0.9, 10, 30)).Calibrated(0.9);
  EXPECT_LT(many, few);
  EXPECT_NEAR(many, 0.25, 0.1);  // what 10 of 40 accepted says
}

TEST(ReviewCalibration, AnUnderconfidentModelIsRaised) {
  // At 2 000 people the pairs at 0.5 to 0.6 were nearly all one person.
  const ReviewCalibration c = FitReviewCalibration(Decisions(0.55, 19, 1));
  EXPECT_GT(c.Calibrated(0.55), 0.8);
  EXPECT_LT(c.Calibrated(0.55), 1.0);
}

TEST(ReviewCalibration, ReviewersWhoAgreeWithTheModelLeaveItAlmostAsItWas) {
  std::vector<ReviewOutcome> decided = Decisions(0.9, 9, 1);
  for (const auto& d : Decisions(0.6, 6, 4)) decided.push_back(d);
  const ReviewCalibration c = FitReviewCalibration(decided);
  EXPECT_NEAR(c.Calibrated(0.9), 0.9, 0.03);
  EXPECT_NEAR(c.Calibrated(0.6), 0.6, 0.05);
}

TEST(ReviewCalibration, OneSidedOrSaturatedDecisionsStayFiniteAndOrdered) {
  // Every decided pair accepted, at probabilities within a hair of one.
  const ReviewCalibration all = FitReviewCalibration(Decisions(0.9999999, 50, 0));
  EXPECT_TRUE(std::isfinite(all.intercept));
  EXPECT_TRUE(std::isfinite(all.slope));
  EXPECT_GT(all.slope, 0);
  EXPECT_GT(all.Calibrated(0.9999999), 0.99);
  const ReviewCalibration none = FitReviewCalibration(Decisions(0.9999999, 0, 50));
  EXPECT_LT(none.Calibrated(0.9999999), 0.1);
  EXPECT_LE(none.Calibrated(0.5), none.Calibrated(0.9999999));
  // Probabilities of exactly 0 or 1 (a hand-edited queue) are read as bounded.
  const ReviewCalibration edge = FitReviewCalibration({{1.0, true}, {0.0, false}, {1.0, false}});
  EXPECT_TRUE(std::isfinite(edge.Calibrated(1.0)));
  EXPECT_TRUE(std::isfinite(edge.Calibrated(0.0)));
}

}  // namespace
}  // namespace patron::identity
