// Shared by the files of src/campaign; not part of the public API.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "campaign/campaign.h"

namespace patron {
class Statement;
}  // namespace patron

namespace patron::campaign {

// Compiles a mustache template; the error names the position.
Status CheckTemplate(std::string_view tmpl);
Result<int> ParseMinuteOfDay(std::string_view hhmm, std::string_view field);
Status CheckSpec(Database& db, const CampaignSpec& s);
// Writes the status (and its timestamps) without checking the transition.
Status WriteStatus(Database& db, Campaign& c, std::string_view status, const Clock& clock);

// Steps `q` to its end, calling `row` for each row; resets it either way.
Status ScanStatement(Statement& q, const std::function<void(Statement&)>& row);

// A customer's local clock: the IANA zone (or the country's main zone, or the
// policy's default) and that country's weekend.
struct LocalZone {
  std::string zone;
  std::string country;
};
// Minutes east of UTC of `zone` at `at`, by ICU (0 for an unknown zone).
int UtcOffsetMinutes(const std::string& zone, Instant at);
std::string ZoneFor(std::string_view time_zone, std::string_view country, const Policy& policy);
// The first moment at or after `at` that is outside quiet hours and not on a
// weekend day of `country`, in `zone`. Returns `at` when it already is.
Instant NextAllowedTime(Instant at, const std::string& zone, std::string_view country, const Policy& policy);
bool IsRightToLeft(std::string_view language);

// Deterministic per campaign and customer (the seed salts it).
double UniformDraw(int64_t seed, int64_t customer_id, std::string_view purpose);
std::string CouponCode(int64_t seed, int64_t campaign_id, int64_t customer_id);
// "<campaign-customer-SEED@domain>"
std::string MessageIdFor(const Campaign& c, int64_t customer_id);

// What a message can say about one customer, read from the store in one go
// (profile, traits, last order, up to three recommendations) so that the
// rendering itself needs no database and can run on any thread.
struct RenderData {
  int64_t customer_id = 0;
  std::string given_name, family_name, full_name, salutation, greeting, language, city, country, gender, time_zone;
  std::optional<int64_t> clv_minor;
  std::optional<double> churn_risk;
  std::string trait_currency, rfm_segment, best_channel, lifecycle_stage;
  std::optional<Instant> last_order_at;
  int64_t last_order_total_minor = 0;
  std::string last_order_currency;
  struct Recommendation {
    std::string sku, name, currency;
    std::optional<int64_t> price_minor;
  };
  std::vector<Recommendation> recommendations;
};
// kNotFound for an unknown customer.
Result<RenderData> LoadRenderData(Database& db, int64_t customer_id);

// A campaign's templates compiled once. Not thread-safe: one per thread.
// The campaign must outlive it.
class MessageRenderer {
 public:
  explicit MessageRenderer(const Campaign& c);
  ~MessageRenderer();
  MessageRenderer(const MessageRenderer&) = delete;
  MessageRenderer& operator=(const MessageRenderer&) = delete;
  // `variant` empty: the first variant in the customer's language.
  Result<RenderedMessage> Render(const RenderData& data, std::string_view variant, const LinkOptions& links);

 private:
  struct Compiled;
  const Campaign& campaign_;
  std::vector<std::unique_ptr<Compiled>> compiled_;
};

// Who a customer is, for the person calling or writing: name, CLV, churn
// risk, last order (display order).
std::vector<std::pair<std::string, std::string>> SummaryOf(const RenderData& data);

// The `patron-campaigns` source of the events campaigns append.
Result<int64_t> CampaignSourceId(Database& db, const Clock& clock);
Status AppendEvent(Database& db, int64_t source_id, int64_t customer_id, std::string_view type,
                   std::string_view source_key, std::string_view properties_json, Instant at);

}  // namespace patron::campaign
