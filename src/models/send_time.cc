// Behaviour-based traits: the best send time (the hour of the week each
// customer is most active, smoothed toward the population's pattern) and the
// B2B lead score.
#include <algorithm>
#include <array>
#include <cmath>

#include "models/models.h"

namespace patron::models {

int HourOfWeekUtc(Instant at) {
  constexpr int64_t kMicrosPerHour = 3'600'000'000;
  int64_t hours = at.micros / kMicrosPerHour;
  if (at.micros < 0 && at.micros % kMicrosPerHour != 0) --hours;
  // 1970-01-01 00:00 UTC was a Thursday, 72 hours after Monday 00:00.
  int64_t hour_of_week = (hours + 72) % kHoursPerWeek;
  if (hour_of_week < 0) hour_of_week += kHoursPerWeek;
  return static_cast<int>(hour_of_week);
}

int BestSendHour(std::span<const int> counts, std::span<const double> population_share,
                 const SendTimeOptions& options) {
  int best = 0;
  double best_score = -1;
  for (int h = 0; h < kHoursPerWeek; ++h) {
    const int before = (h + kHoursPerWeek - 1) % kHoursPerWeek, after = (h + 1) % kHoursPerWeek;
    const double own = 0.25 * counts[before] + 0.5 * counts[h] + 0.25 * counts[after];
    const double score = own + options.prior_strength * population_share[h];
    if (score > best_score) {
      best_score = score;
      best = h;
    }
  }
  return best;
}

double LeadEventPoints(const LeadScoringOptions& options, std::string_view type, double age_days) {
  for (const auto& [name, points] : options.event_points) {
    if (name == type) return points * std::exp2(-std::max(age_days, 0.0) / options.half_life_days);
  }
  return 0;
}

std::string_view LeadStage(const LeadScoringOptions& options, double score) {
  if (score >= options.sql_threshold) return "sql";
  if (score >= options.mql_threshold) return "mql";
  return "lead";
}

}  // namespace patron::models
