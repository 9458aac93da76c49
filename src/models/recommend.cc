// Item-to-item recommendations and their time-split evaluation.
#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "models/models.h"

namespace patron::models {

ItemSimilarity ItemSimilarity::Build(std::span<const std::vector<WeightedItem>> histories,
                                     int32_t item_count, const ItemSimilarityOptions& options) {
  ItemSimilarity model;
  std::vector<double> popularity(item_count, 0);
  // co(i, j) = Σ over customers of w_i · w_j, for i < j.
  std::unordered_map<uint64_t, float> co;
  std::vector<WeightedItem> items;
  for (const auto& history : histories) {
    items.assign(history.begin(), history.end());
    if (static_cast<int>(items.size()) > options.max_items_per_customer) {
      std::partial_sort(
          items.begin(), items.begin() + options.max_items_per_customer, items.end(),
          [](const WeightedItem& l, const WeightedItem& r) { return l.weight > r.weight; });
      items.resize(options.max_items_per_customer);
    }
    for (const auto& it : items) popularity[it.item] += it.weight;
    for (size_t i = 0; i < items.size(); ++i) {
      for (size_t j = i + 1; j < items.size(); ++j) {
        uint32_t lo = static_cast<uint32_t>(std::min(items[i].item, items[j].item));
        uint32_t hi = static_cast<uint32_t>(std::max(items[i].item, items[j].item));
        if (lo == hi) continue;
        co[(uint64_t{lo} << 32) | hi] += items[i].weight * items[j].weight;
      }
    }
  }
  model.neighbours_.resize(item_count);
  for (const auto& [key, count] : co) {
    const int32_t i = static_cast<int32_t>(key >> 32), j = static_cast<int32_t>(key & 0xffffffffu);
    const float sim =
        static_cast<float>(count / std::pow(popularity[i] * popularity[j], options.damping));
    model.neighbours_[i].push_back({j, sim});
    model.neighbours_[j].push_back({i, sim});
  }
  for (auto& list : model.neighbours_) {
    // Highest similarity first; ties by item index so results are deterministic.
    auto better = [](const std::pair<int32_t, float>& l, const std::pair<int32_t, float>& r) {
      return l.second != r.second ? l.second > r.second : l.first < r.first;
    };
    if (static_cast<int>(list.size()) > options.neighbours) {
      std::partial_sort(list.begin(), list.begin() + options.neighbours, list.end(), better);
      list.resize(options.neighbours);
    } else {
      std::sort(list.begin(), list.end(), better);
    }
  }
  model.by_popularity_.resize(item_count);
  for (int32_t i = 0; i < item_count; ++i) model.by_popularity_[i] = i;
  std::stable_sort(model.by_popularity_.begin(), model.by_popularity_.end(),
                   [&](int32_t l, int32_t r) { return popularity[l] > popularity[r]; });
  return model;
}

namespace {

bool InHistory(std::span<const WeightedItem> history, int32_t item) {
  return std::any_of(history.begin(), history.end(),
                     [&](const WeightedItem& w) { return w.item == item; });
}

}  // namespace

std::vector<int32_t> ItemSimilarity::MostPopular(std::span<const WeightedItem> history, int n,
                                                 const std::vector<bool>* allowed) const {
  std::vector<int32_t> out;
  for (int32_t item : by_popularity_) {
    if (static_cast<int>(out.size()) >= n) break;
    if (allowed && !(*allowed)[item]) continue;
    if (!InHistory(history, item)) out.push_back(item);
  }
  return out;
}

std::vector<int32_t> ItemSimilarity::Recommend(std::span<const WeightedItem> history, int n,
                                               const std::vector<bool>* allowed) const {
  std::unordered_map<int32_t, double> scores;
  for (const auto& owned : history) {
    if (owned.item < 0 || owned.item >= item_count()) continue;
    for (const auto& [other, sim] : neighbours_[owned.item]) scores[other] += owned.weight * sim;
  }
  std::vector<std::pair<int32_t, double>> ranked;
  for (const auto& [item, score] : scores) {
    if (allowed && !(*allowed)[item]) continue;
    if (!InHistory(history, item)) ranked.push_back({item, score});
  }
  std::sort(ranked.begin(), ranked.end(), [](const auto& l, const auto& r) {
    return l.second != r.second ? l.second > r.second : l.first < r.first;
  });
  std::vector<int32_t> out;
  for (const auto& [item, score] : ranked) {
    if (static_cast<int>(out.size()) >= n) break;
    out.push_back(item);
  }
  if (static_cast<int>(out.size()) < n) {
    for (int32_t item : MostPopular(history, n + static_cast<int>(out.size()), allowed)) {
      if (static_cast<int>(out.size()) >= n) break;
      if (std::find(out.begin(), out.end(), item) == out.end()) out.push_back(item);
    }
  }
  return out;
}

namespace {

// Hit (any relevant item in the list) and NDCG with binary relevance.
std::pair<bool, double> Score(const std::vector<int32_t>& list,
                              const std::vector<int32_t>& relevant, int n) {
  double dcg = 0;
  bool hit = false;
  for (size_t r = 0; r < list.size(); ++r) {
    if (std::find(relevant.begin(), relevant.end(), list[r]) != relevant.end()) {
      hit = true;
      dcg += 1 / std::log2(static_cast<double>(r) + 2);
    }
  }
  double ideal = 0;
  for (int r = 0; r < std::min<int>(n, static_cast<int>(relevant.size())); ++r)
    ideal += 1 / std::log2(r + 2.0);
  return {hit, ideal > 0 ? dcg / ideal : 0};
}

}  // namespace

RecommendationQuality EvaluateRecommendations(const ItemSimilarity& model,
                                              std::span<const std::vector<WeightedItem>> before,
                                              std::span<const std::vector<int32_t>> after, int n) {
  RecommendationQuality q;
  std::vector<int32_t> relevant;
  for (size_t c = 0; c < before.size(); ++c) {
    if (before[c].empty()) continue;
    relevant.clear();
    for (int32_t item : after[c]) {
      if (!InHistory(before[c], item) &&
          std::find(relevant.begin(), relevant.end(), item) == relevant.end()) {
        relevant.push_back(item);
      }
    }
    if (relevant.empty()) continue;
    ++q.customers;
    auto [hit, ndcg] = Score(model.Recommend(before[c], n), relevant, n);
    auto [base_hit, base_ndcg] = Score(model.MostPopular(before[c], n), relevant, n);
    q.hit_rate += hit;
    q.ndcg += ndcg;
    q.baseline_hit_rate += base_hit;
    q.baseline_ndcg += base_ndcg;
  }
  if (q.customers > 0) {
    q.hit_rate /= q.customers;
    q.ndcg /= q.customers;
    q.baseline_hit_rate /= q.customers;
    q.baseline_ndcg /= q.customers;
  }
  return q;
}

}  // namespace patron::models
