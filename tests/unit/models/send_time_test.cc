#include <gtest/gtest.h>

#include <vector>

#include "models/models.h"

namespace patron::models {
namespace {

TEST(SendTime, HourOfWeekStartsOnMondayUtc) {
  EXPECT_EQ(HourOfWeekUtc(*ParseInstant("2024-01-01T00:30:00Z")), 0);  // a Monday
  EXPECT_EQ(HourOfWeekUtc(*ParseInstant("2024-01-03T10:59:59Z")), 2 * 24 + 10);
  EXPECT_EQ(HourOfWeekUtc(*ParseInstant("2024-01-07T23:00:00Z")), 167);
  EXPECT_EQ(HourOfWeekUtc(*ParseInstant("1970-01-01T00:00:00Z")), 72);  // a Thursday
  EXPECT_EQ(HourOfWeekUtc(*ParseInstant("1969-12-31T23:59:59Z")), 71);
}

TEST(SendTime, OwnHabitsOutweighThePopulationOnceSeenOften) {
  std::vector<double> population(kHoursPerWeek, 0.5 / (kHoursPerWeek - 1));
  population[100] = 0.5;  // everyone else acts on Friday 04:00
  std::vector<int> counts(kHoursPerWeek, 0);
  // Nothing known: the population's hour.
  EXPECT_EQ(BestSendHour(counts, population), 100);
  // One activity on Tuesday 20:00 is not enough against a strong prior ...
  counts[24 + 20] = 1;
  EXPECT_EQ(BestSendHour(counts, population), 100);
  // ... six are.
  counts[24 + 20] = 6;
  EXPECT_EQ(BestSendHour(counts, population), 24 + 20);
  // Neighbouring hours reinforce each other, across the week's wrap-around too.
  std::vector<int> spread(kHoursPerWeek, 0);
  spread[167] = 3;
  spread[0] = 3;
  spread[50] = 4;
  std::vector<double> flat(kHoursPerWeek, 1.0 / kHoursPerWeek);
  const int best = BestSendHour(spread, flat);
  EXPECT_TRUE(best == 0 || best == 167) << best;
}

TEST(LeadScoring, PointsDecayAndStagesFollowThresholds) {
  LeadScoringOptions options;
  EXPECT_DOUBLE_EQ(LeadEventPoints(options, "newsletter_signup", 0), 10);
  EXPECT_DOUBLE_EQ(LeadEventPoints(options, "newsletter_signup", options.half_life_days), 5);
  EXPECT_DOUBLE_EQ(LeadEventPoints(options, "newsletter_signup", 2 * options.half_life_days), 2.5);
  EXPECT_DOUBLE_EQ(LeadEventPoints(options, "no_such_event", 0), 0);
  EXPECT_EQ(LeadStage(options, 0), "lead");
  EXPECT_EQ(LeadStage(options, options.mql_threshold), "mql");
  EXPECT_EQ(LeadStage(options, options.sql_threshold + 1), "sql");
}

}  // namespace
}  // namespace patron::models
