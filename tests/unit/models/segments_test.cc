#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "models/models.h"

namespace patron::models {
namespace {

TEST(Rfm, QuintilesRankEachDimension) {
  std::vector<RfmInput> inputs;
  for (int i = 0; i < 10; ++i)
    inputs.push_back({/*days=*/i * 10, /*orders=*/i, /*spend=*/100.0 * i});
  auto scores = ScoreRfm(inputs);
  ASSERT_EQ(scores.size(), 10u);
  // Customer 0 bought most recently but least often and least.
  EXPECT_EQ(scores[0].recency, 5);
  EXPECT_EQ(scores[0].frequency, 1);
  EXPECT_EQ(scores[0].monetary, 1);
  EXPECT_EQ(scores[9].recency, 1);
  EXPECT_EQ(scores[9].frequency, 5);
  // Two customers per quintile.
  std::map<int, int> per_score;
  for (const auto& s : scores) ++per_score[s.monetary];
  for (int q = 1; q <= 5; ++q) EXPECT_EQ(per_score[q], 2) << q;
}

TEST(Rfm, TiesShareAScore) {
  std::vector<RfmInput> inputs(7, RfmInput{30, 1, 50});
  inputs.push_back({30, 3, 500});
  auto scores = ScoreRfm(inputs);
  for (int i = 0; i < 7; ++i) {
    EXPECT_EQ(scores[i].frequency, 1);
    EXPECT_EQ(scores[i].recency, scores[7].recency);
  }
  EXPECT_EQ(scores[7].frequency, 5);
  EXPECT_EQ(scores[7].monetary, 5);
}

TEST(Rfm, EveryScoreHasOneOfTheTenGroups) {
  const std::set<std::string> names = {
      "champions",      "loyal",   "potential_loyalists", "new",         "promising",
      "need_attention", "at_risk", "cannot_lose",         "hibernating", "lost"};
  std::set<std::string> seen;
  for (int r = 1; r <= 5; ++r) {
    for (int f = 1; f <= 5; ++f) {
      for (int m = 1; m <= 5; ++m) {
        std::string name(RfmSegment({r, f, m}));
        EXPECT_TRUE(names.count(name)) << name;
        seen.insert(name);
      }
    }
  }
  EXPECT_EQ(seen, names);
  EXPECT_EQ(RfmSegment({5, 5, 5}), "champions");
  EXPECT_EQ(RfmSegment({1, 5, 5}), "cannot_lose");
  EXPECT_EQ(RfmSegment({1, 1, 1}), "lost");
  EXPECT_EQ(RfmSegment({5, 1, 1}), "new");
}

TEST(Lifecycle, Stages) {
  LifecycleOptions options;
  EXPECT_EQ(LifecycleStage({}, options), "prospect");
  LifecycleInput lead;
  lead.has_events = true;
  EXPECT_EQ(LifecycleStage(lead, options), "lead");
  LifecycleInput buyer;
  buyer.purchase_days = 1;
  buyer.orders_in_window = 1;
  buyer.days_since_last_order = 10;
  EXPECT_EQ(LifecycleStage(buyer, options), "first_time_buyer");
  buyer.purchase_days = 2;
  buyer.orders_in_window = 2;
  EXPECT_EQ(LifecycleStage(buyer, options), "repeat");
  buyer.orders_in_window = options.loyal_min_orders;
  EXPECT_EQ(LifecycleStage(buyer, options), "loyal");
  buyer.churn_risk = 0.9;
  EXPECT_EQ(LifecycleStage(buyer, options), "at_risk");
  buyer.churn_risk = 0.1;
  buyer.days_since_last_order = options.at_risk_after_days + 1;
  EXPECT_EQ(LifecycleStage(buyer, options), "at_risk");
  buyer.days_since_last_order = options.lapsed_after_days + 1;
  EXPECT_EQ(LifecycleStage(buyer, options), "lapsed");
}

}  // namespace
}  // namespace patron::models
