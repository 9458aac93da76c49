// Best channel: beta-binomial smoothing toward the population's rate, and the
// choice among reachable channels.
#include <gtest/gtest.h>

#include <array>

#include "models/models.h"

namespace patron::models {
namespace {

TEST(SmoothedResponseRate, IsThePosteriorMeanOfTheBetaPrior) {
  // Prior Beta(10 · 0.05, 10 · 0.95); 2 clicks of 10 messages: (2 + 0.5) / (10 + 10).
  EXPECT_DOUBLE_EQ(SmoothedResponseRate({10, 2}, 0.05), 2.5 / 20);
  // No messages of their own: the population's rate.
  EXPECT_DOUBLE_EQ(SmoothedResponseRate({0, 0}, 0.05), 0.05);
  // Many messages: close to their own rate.
  EXPECT_NEAR(SmoothedResponseRate({1000, 300}, 0.05), 0.3, 0.003);
  // A stronger prior pulls harder.
  ChannelOptions strong;
  strong.prior_messages = 100;
  EXPECT_LT(SmoothedResponseRate({10, 5}, 0.05, strong), SmoothedResponseRate({10, 5}, 0.05));
  // Clicks beyond the messages sent count as the messages sent.
  EXPECT_DOUBLE_EQ(SmoothedResponseRate({4, 9}, 0.1), (4 + 1.0) / 14);
}

TEST(BestChannel, PicksTheHighestSmoothedRateAmongReachableChannels) {
  // email, sms, phone, mail, push; mail and push never had a message.
  const std::array<double, kChannelCount> population = {0.04, 0.06, 0.1, -1, -1};
  std::array<ChannelCounts, kChannelCount> own{};
  std::array<bool, kChannelCount> reachable = {true, true, false, true, true};
  // No history: the better population rate among reachable ones (phone is not reachable).
  EXPECT_EQ(BestChannel(own, population, reachable), 1);
  // Someone who clicks their emails: email.
  own[0] = {20, 6};
  EXPECT_EQ(BestChannel(own, population, reachable), 0);
  // One lucky click on a single SMS is not enough to beat that, after smoothing.
  own[1] = {1, 1};
  EXPECT_EQ(BestChannel(own, population, reachable), 0);
  // Not reachable by email any more: SMS, even though email responds better.
  reachable[0] = false;
  EXPECT_EQ(BestChannel(own, population, reachable), 1);
  // Reachable only where nobody was ever messaged: no best channel.
  reachable = {false, false, false, true, true};
  EXPECT_EQ(BestChannel(own, population, reachable), -1);
  // Ties go to the earlier channel.
  const std::array<double, kChannelCount> equal = {0.05, 0.05, -1, -1, -1};
  EXPECT_EQ(BestChannel(std::array<ChannelCounts, kChannelCount>{}, equal,
                        std::array<bool, kChannelCount>{true, true, false, false, false}),
            0);
}

TEST(ChannelIndex, NamesTheSegmentLanguagesChannels) {
  EXPECT_EQ(ChannelIndex("email"), 0);
  EXPECT_EQ(ChannelIndex("sms"), 1);
  EXPECT_EQ(ChannelIndex("push"), 4);
  EXPECT_EQ(ChannelIndex("fax"), -1);
}

}  // namespace
}  // namespace patron::models
