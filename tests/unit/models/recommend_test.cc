#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "models/models.h"

namespace patron::models {
namespace {

std::vector<WeightedItem> Items(std::initializer_list<int32_t> ids) {
  std::vector<WeightedItem> out;
  for (int32_t id : ids) out.push_back({id, 1});
  return out;
}

TEST(ItemSimilarity, CoPurchasedItemsComeFirstAndOwnedOnesNever) {
  // Item 0 (a phone) goes with 1 (its case); 2 is popular with everyone.
  std::vector<std::vector<WeightedItem>> histories;
  for (int i = 0; i < 20; ++i) histories.push_back(Items({0, 1, 2}));
  for (int i = 0; i < 60; ++i) histories.push_back(Items({2, 3 + i % 5}));
  auto model = ItemSimilarity::Build(histories, 8);
  auto recs = model.Recommend(Items({0}), 3);
  ASSERT_EQ(recs.size(), 3u);
  EXPECT_EQ(recs[0], 1);
  for (int32_t r : recs) EXPECT_NE(r, 0);
  // The baseline ignores the history except for excluding it.
  auto popular = model.MostPopular(Items({0}), 2);
  EXPECT_EQ(popular[0], 2);
  // Category rules: a mask removes items.
  std::vector<bool> allowed(8, true);
  allowed[1] = false;
  for (int32_t r : model.Recommend(Items({0}), 3, &allowed)) EXPECT_NE(r, 1);
  // A new customer gets the most popular items.
  EXPECT_EQ(model.Recommend({}, 1)[0], 2);
}

TEST(ItemSimilarity, BeatsPopularityWhenTastesCluster) {
  // Three taste groups of 10 items each; each customer buys within one group.
  std::mt19937_64 rng(5);
  std::vector<std::vector<WeightedItem>> before, train;
  std::vector<std::vector<int32_t>> after;
  for (int c = 0; c < 600; ++c) {
    const int group = c % 3;
    std::uniform_int_distribution<int> pick(group * 10, group * 10 + 9);
    std::vector<WeightedItem> b;
    for (int k = 0; k < 3; ++k) b.push_back({pick(rng), 1});
    before.push_back(b);
    after.push_back({pick(rng), pick(rng)});
  }
  auto model = ItemSimilarity::Build(before, 30);
  auto q = EvaluateRecommendations(model, before, after, 5);
  EXPECT_GT(q.customers, 300);
  EXPECT_GT(q.hit_rate, q.baseline_hit_rate + 0.1);
  EXPECT_GT(q.ndcg, q.baseline_ndcg);
}

}  // namespace
}  // namespace patron::models
