// The best channel (R15): response rates per channel, smoothed toward the
// population's rate with a beta prior (the beta-binomial model).
#include <algorithm>

#include "models/models.h"

namespace patron::models {

int ChannelIndex(std::string_view name) {
  for (int c = 0; c < kChannelCount; ++c) {
    if (kChannels[c] == name) return c;
  }
  return -1;
}

double SmoothedResponseRate(const ChannelCounts& own, double population_rate,
                            const ChannelOptions& options) {
  const double m = std::max(0.0, options.prior_messages);
  const double sent = static_cast<double>(std::max<int64_t>(0, own.sent));
  const double responded =
      static_cast<double>(std::clamp<int64_t>(own.responded, 0, std::max<int64_t>(0, own.sent)));
  if (sent + m <= 0) return population_rate;
  return (responded + m * population_rate) / (sent + m);
}

int BestChannel(std::span<const ChannelCounts> own, std::span<const double> population_rate,
                std::span<const bool> reachable, const ChannelOptions& options) {
  int best = -1;
  double best_rate = -1;
  const size_t n = std::min({own.size(), population_rate.size(), reachable.size()});
  for (size_t c = 0; c < n; ++c) {
    if (!reachable[c] || population_rate[c] < 0) continue;
    const double rate = SmoothedResponseRate(own[c], population_rate[c], options);
    if (rate > best_rate) {
      best_rate = rate;
      best = static_cast<int>(c);
    }
  }
  return best;
}

}  // namespace patron::models
