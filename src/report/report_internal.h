// Internal to src/report: what the KPI, cohort, funnel and weekly code share.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <optional>
#include <string_view>
#include <vector>

#include "engine/engine.h"
#include "report/report.h"

namespace patron::report::internal {

inline constexpr int64_t kMicrosPerDay = 86'400'000'000LL;

// The snapshot's columns a report reads, looked up once: which order statuses
// are purchases (not cancelled or returned), each currency's minor-unit scale,
// and the profile columns used.
struct CustomerActivity {
  explicit CustomerActivity(const engine::Snapshot& s);
  const engine::Snapshot& snapshot;
  std::vector<bool> purchase_status;  // by status code
  std::vector<double> scale;          // by currency code: 10^minor digits
  const engine::Column *created_at = nullptr, *acquisition_channel = nullptr, *source = nullptr,
                       *lead_stage = nullptr, *clv_12m = nullptr;

  // Order row amount in minor units of its currency.
  int64_t OrderMinor(uint32_t row) const;
  double CreatedAt(uint32_t c) const;  // micros, NaN when unknown
  std::string_view Text(const engine::Column* column, uint32_t c) const;
  // The time of the customer's first purchase.
  std::optional<int64_t> FirstPurchase(uint32_t c) const;
};

// The figures of one period a trend line needs, from one pass over customers
// (ComputeKpis makes two, and reads costs and campaigns besides).
struct PeriodFigures {
  int64_t orders = 0, active = 0, new_customers = 0;
  std::map<std::string, int64_t> revenue;  // currency -> minor units
};
PeriodFigures ComputePeriodFigures(const CustomerActivity& activity, const Period& period, const KpiOptions& options);
// The same figures for `weeks` consecutive 7-day periods starting at `first`,
// from ONE pass over customers, their orders and events (each order and event
// falls into its week by arithmetic): result[i] equals
// ComputePeriodFigures(activity, {first + 7i days, first + 7(i+1) days}, options).
std::vector<PeriodFigures> ComputeWeeklyFigures(const CustomerActivity& activity, Instant first, int weeks,
                                                const KpiOptions& options);

bool InSegment(const ::Roaring* segment, uint32_t c);

// A named group of customers (dense snapshot indexes) to break campaign results
// down by; members == nullptr means every customer in the snapshot.
struct SegmentMembersOf {
  std::string name;
  const ::Roaring* members = nullptr;
};
// Segments evaluated at `now` into bitmaps this owns (heap objects: `members`
// stay valid when the value is moved), `members[i]` named and pointing at the
// members of `segments[i]`, in order. Errors name the segment.
struct EvaluatedSegments {
  std::vector<std::unique_ptr<::Roaring>> owned;
  std::vector<SegmentMembersOf> members;
};
Result<EvaluatedSegments> EvaluateSegments(Database& db, const engine::Snapshot& snapshot,
                                           const std::vector<SegmentDefinition>& segments, Instant now);
// CampaignSegmentResults over segments already evaluated: per prepared campaign
// (or only `campaign` when not empty; kNotFound when it does not exist), one row
// per segment in the order given.
Result<std::vector<CampaignRow>> CampaignSegmentRows(Database& db, const engine::Snapshot& snapshot,
                                                     const std::vector<SegmentMembersOf>& segments,
                                                     std::string_view campaign, Instant now);
uint32_t LowerBound(std::span<const int64_t> at, uint32_t begin, uint32_t end, int64_t t);

}  // namespace patron::report::internal
