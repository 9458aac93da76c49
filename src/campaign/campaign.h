// Patron campaigns (issue 7): who gets which message, who must not and why,
// and sending each message exactly once through a durable outbox.
//
// The flow: CreateCampaign (draft) -> PlanCampaign (a dry run: audience,
// suppression counts per reason, holdout, variants, cost) -> PrepareCampaign
// (the same plan written to the outbox, status scheduled) -> SendDue (delivers
// the due rows through a Transport, re-checking consent, caps and quiet hours
// at the moment of sending) -> Results (delivery, responses, conversions, lift
// over the holdout with a 95 % confidence interval).
//
// Exactly once: a row is marked `sending` (committed) before its message goes
// out and `sent` (committed, with its message_sent event) as soon as the
// server accepts it. A row still `sending` after a crash was in flight: it is
// sent again with the same Message-ID, the only case where a receiver can see
// a message twice (and the one receivers de-duplicate by Message-ID).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/core.h"

namespace patron {
class Database;
namespace engine {
class Snapshot;
}
}  // namespace patron

namespace patron::campaign {

enum class Channel { kEmail, kSms, kCallList, kMailList, kWebhook };
std::string_view ChannelName(Channel c);
Result<Channel> ParseChannel(std::string_view name);
// The consent channel a campaign channel needs (email, sms, phone, mail, push).
std::string_view ConsentChannel(Channel c);

enum class ScheduleKind { kNow, kAt, kLocalTime, kBestHour };

// One content variant in one language ('' = the default language). Bodies are
// mustache templates (docs/campaigns.md lists the fields).
struct Content {
  std::string variant = "A";
  std::string language;
  double split_percent = 100;
  std::string subject, body_text, body_html;
};

// A conversion goal: a purchase (in a category and below it, or any) within
// `within_days` of the message (of the campaign's start for the holdout).
struct Goal {
  std::string category;  // category slug; empty = any purchase
  int within_days = 14;
};

struct CampaignSpec {
  std::string name;
  Channel channel = Channel::kEmail;
  std::string purpose = "marketing";
  std::string audience;  // segment language
  double holdout_percent = 0;
  ScheduleKind schedule = ScheduleKind::kNow;
  std::optional<Instant> scheduled_at;  // kAt: the moment; kLocalTime: the day
  int local_minute = 10 * 60;           // kLocalTime: minute of the customer's day
  std::optional<int64_t> budget_minor;
  int64_t cost_per_message_minor = 0;
  std::string currency;
  std::optional<Goal> goal;
  std::string offer_product, team;
  std::string from_name, from_address, reply_to;
  std::string webhook_url;  // webhook campaigns: where each message is POSTed
  std::vector<Content> contents;
};

struct Campaign : CampaignSpec {
  int64_t id = 0;
  std::string status = "draft";
  int64_t seed = 0;
  std::string created_by;
  Instant created_at, updated_at;
  std::optional<Instant> prepared_at, started_at, finished_at;
};

// The JSON form used by the API and `patron campaign create --file`:
// {"name", "channel", "audience", "purpose", "holdout_percent", "schedule":
//  {"kind": "now|at|local_time|best_hour", "at": ISO, "local_time": "HH:MM"},
//  "budget", "cost_per_message", "currency" (money in major units as numbers),
//  "goal": {"category", "within_days"}, "offer_product", "team", "from_name",
//  "from_address", "reply_to", "webhook_url", "contents": [{"variant", "language",
//  "split_percent", "subject", "text", "html"}]}.
// Errors name the field.
Result<CampaignSpec> SpecFromJson(std::string_view json);
std::string ToJson(const Campaign& c);

// Checks a spec (audience parses, templates compile, splits add up to 100 per
// language, addresses are addresses) and stores it as a draft.
Result<Campaign> CreateCampaign(Database& db, const CampaignSpec& spec, std::string_view actor, const Clock& clock);
// By name or by numeric id.
Result<Campaign> LoadCampaign(Database& db, std::string_view name_or_id);
Result<std::vector<Campaign>> ListCampaigns(Database& db);
// Status changes: pause (sending|scheduled -> paused), resume (paused ->
// scheduled), cancel (anything not done -> cancelled).
Status SetCampaignStatus(Database& db, Campaign& c, std::string_view status, const Clock& clock);

// ---------------------------------------------------------------------------
// Contact policy
// ---------------------------------------------------------------------------

struct FrequencyCap {
  int max_messages = 1;
  int days = 7;
};

// Defaults are documented in docs/campaigns.md; `campaign_settings` rows
// override them (SavePolicy).
struct Policy {
  std::map<std::string, FrequencyCap> caps;  // by consent channel: email, sms, phone, mail, push
  int quiet_start_minute = 21 * 60;  // local time; quiet from start to end (wrapping midnight)
  int quiet_end_minute = 8 * 60;
  // ISO 3166 country -> weekend days (0 = Sunday .. 6 = Saturday); "*" = everyone else.
  std::map<std::string, std::vector<int>> weekend_days;
  bool require_verified = false;   // unverified contact points suppressed ("unverified")
  int stale_days = 730;            // a contact point not seen or verified for longer is stale
  std::string key_account_tag = "key_account";
  std::string collections_tag = "in_collections";
  int offer_days = 30;             // an offer of the same product from another team blocks for this long
  std::string default_time_zone = "UTC";
};
Policy DefaultPolicy();
Result<Policy> LoadPolicy(Database& db);
// Writes `policy` as the overriding settings.
Status SavePolicy(Database& db, const Policy& policy, const Clock& clock);
std::string PolicyToJson(const Policy& p);
Result<Policy> PolicyFromJson(std::string_view json, Policy base);

// Opt-out registers: one value per line (emails or phone numbers; a header
// line and lines starting with '#' are skipped; phones are normalised to
// E.164 with `default_region`). Returns the number of values added; invalid
// lines are reported with their line numbers in `rejected`.
struct RegisterImport {
  int64_t added = 0;
  std::vector<std::string> rejected;  // "line N: reason"
};
Result<RegisterImport> ImportSuppressionList(Database& db, std::string_view list, std::string_view channel,
                                             const std::string& path, std::string_view default_region,
                                             const Clock& clock);

// ---------------------------------------------------------------------------
// Planning and preparing
// ---------------------------------------------------------------------------

// The reasons a customer of the audience is not contacted, in the order they
// are checked (a customer is counted under the first that applies).
inline constexpr std::string_view kSuppressionReasons[] = {
    "no_consent", "unsubscribed", "no_contact_point", "invalid_contact_point", "bounced",
    "unverified", "stale_contact_point", "opt_out_register", "frequency_cap", "key_account",
    "in_collections", "active_offer", "duplicate_address", "over_budget"};

struct PlannedRecipient {
  int64_t customer_id = 0;
  std::string group;   // target, holdout, suppressed
  std::string reason;  // suppressed: one of kSuppressionReasons
  std::string variant, language, address, coupon;
  int64_t contact_point_id = 0;
  Instant send_at;
  bool deferred_by_quiet_hours = false;
};

struct Plan {
  uint64_t audience = 0, targets = 0, holdout = 0, suppressed = 0;
  std::map<std::string, uint64_t> suppressed_by_reason;  // every reason, zeros included
  std::map<std::string, uint64_t> by_variant;            // targets per variant
  uint64_t deferred_by_quiet_hours = 0;
  int64_t estimated_cost_minor = 0;
  std::vector<PlannedRecipient> recipients;  // every audience member
  double ms = 0;
};
std::string PlanToJson(const Campaign& c, const Plan& plan, size_t sample = 0);

struct PlanOptions {
  Instant now;
  int64_t freshness_days = 365;  // passed to the segment evaluator
};
// Evaluates the audience on `snapshot` and applies the policy: no writes.
Result<Plan> PlanCampaign(Database& db, const engine::Snapshot& snapshot, const Campaign& c,
                          const PlanOptions& options);
// Plans and writes the outbox (replacing an earlier draft plan), status
// 'scheduled'. Only drafts can be prepared.
Result<Plan> PrepareCampaign(Database& db, const engine::Snapshot& snapshot, Campaign& c,
                             const PlanOptions& options, const Clock& clock);

// ---------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------

struct RenderedMessage {
  std::string variant, language, dir;  // dir: "rtl" for Persian, Arabic, Hebrew, Urdu
  std::string subject, text, html;
};

// Links in rendered messages: click tracking, the open pixel and unsubscribe.
// Empty base_url: no tracking (links left as written, no pixel).
struct LinkOptions {
  std::string base_url;  // e.g. "https://patron.example.com"
  std::string secret;    // signs every link (32 bytes, hex or raw)
};

// Renders the campaign's content for one customer (as `variant`, or the
// variant the outbox assigned, or the first). The customer need not be in
// the audience: this is the preview.
Result<RenderedMessage> RenderFor(Database& db, const Campaign& c, int64_t customer_id, const LinkOptions& links,
                                  std::string_view variant = {});

// Renders the message of every target in the outbox (proofs for a reviewer,
// or to measure rendering): `threads` workers each read their share of every
// chunk of targets through their own connection to the store (a file store;
// an in-memory one is read on this thread) and render it with their own
// compiled templates; `sink` is called on this thread in customer order.
// Returns how many messages were rendered.
struct RenderAllOptions {
  LinkOptions links;
  int threads = 2;
  int64_t limit = -1;  // at most this many (-1: all)
  std::function<void(uint64_t done, uint64_t total)> progress;
};
Result<uint64_t> RenderOutbox(Database& db, const Campaign& c, const RenderAllOptions& options,
                              const std::function<Status(int64_t customer_id, const RenderedMessage&)>& sink);
// One rendered message as a JSON object on one line ending in "\n": customer_id,
// variant, language, dir, subject, text, html (what `campaign proofs` writes).
// Text that is not valid UTF-8 has its bad bytes replaced by U+FFFD.
std::string ProofJsonLine(int64_t customer_id, const RenderedMessage& m);
// The same, for output that costs to produce (proofs as JSON lines): `format`
// runs on the rendering threads, concurrently (it must not share state), and
// `write` gets its text on the calling thread, in customer order.
Result<uint64_t> RenderOutboxFormatted(
    Database& db, const Campaign& c, const RenderAllOptions& options,
    const std::function<std::string(int64_t customer_id, const RenderedMessage&)>& format,
    const std::function<Status(int64_t customer_id, std::string_view text)>& write);

// Signed links: tokens carry (campaign, customer, kind[, url]) and a MAC.
struct LinkToken {
  int64_t campaign_id = 0, customer_id = 0;
  std::string kind;  // "o" open, "c" click, "u" unsubscribe
  std::string url;   // click: where to go
};
std::string SignLink(const LinkToken& t, std::string_view secret);
Result<LinkToken> VerifyLink(std::string_view token, std::string_view secret);
// The per-database link secret (created on first use in access_secrets).
Result<std::string> LinkSecret(Database& db);

// Responses: an open, a click, an unsubscribe (withdraws the consent for the
// campaign's channel and purpose with the link as proof), a delivery receipt
// or a bounce. Each updates the outbox row and appends an event
// (message_opened, message_clicked, message_unsubscribed, message_delivered,
// message_bounced) so that segments can use it. Idempotent: the first time counts.
Status RecordResponse(Database& db, int64_t campaign_id, int64_t customer_id, std::string_view kind,
                      const Clock& clock, std::string_view detail = {});
// A hard bounce marks the contact point 'bounced'; a soft one only counts.
Status RecordBounce(Database& db, std::string_view message_id, bool hard, std::string_view reason,
                    const Clock& clock);

// ---------------------------------------------------------------------------
// Sending
// ---------------------------------------------------------------------------

struct OutboundMessage {
  const Campaign* campaign = nullptr;
  int64_t customer_id = 0;
  std::string address;     // email address, E.164 phone, postal address
  std::string message_id;  // stable per campaign and customer
  RenderedMessage content;
  std::string unsubscribe_url;  // signed one-click link ('' without tracking)
  std::string coupon;
  // Call and direct-mail lists: who this is, for the person calling
  // (name, CLV, churn risk, last order), in display order.
  std::vector<std::pair<std::string, std::string>> summary;
};

struct DeliveryResult {
  enum class Kind { kAccepted, kTransient, kPermanent } kind = Kind::kAccepted;
  std::string provider_id;  // the gateway's id, if any
  std::string error;        // the server's answer on failure
  bool hard_bounce = false; // permanent and about the address (550 5.1.1 ...)
};

// How messages leave: SMTP, an SMS gateway, a file for call lists. Send is
// called from several threads at once.
class Transport {
 public:
  virtual ~Transport() = default;
  virtual DeliveryResult Send(const OutboundMessage& m) = 0;
  virtual int concurrency() const { return 4; }
};

struct SendOptions {
  LinkOptions links;
  int max_attempts = 5;
  size_t batch = 256;
  const std::atomic<bool>* stop = nullptr;  // set to stop between messages
  std::function<void(uint64_t done, uint64_t total)> progress;
  int64_t limit = -1;  // stop after this many deliveries (tests)
};

struct SendReport {
  uint64_t sent = 0, failed = 0, bounced = 0, retried = 0, deferred = 0, skipped = 0, resumed = 0;
  uint64_t remaining = 0;  // rows still pending (later send times, retries)
  double ms = 0;
};
// Sends every due row of `c` (status scheduled or sending). Re-checks consent,
// contact point status, the frequency cap and quiet hours for each row just
// before sending. Marks the campaign done when no row is left.
Result<SendReport> SendDue(Database& db, Campaign& c, Transport& transport, const Clock& clock,
                           const SendOptions& options);

// A Transport writing the call list or direct-mail list as CSV (one row per
// message: customer, name, phone or address, language, the rendered script or
// letter, coupon, and a summary: CLV, churn risk, last order).
std::unique_ptr<Transport> MakeCsvListTransport(Database& db, const std::string& path);

// The same list as an XLSX workbook for a call centre or mail house: one sheet
// (`sheet_name`, shortened to Excel's 31 characters), a bold frozen header row
// with a filter, fitted columns, customer ids as numbers and every other cell
// as text (never a formula), laid out right-to-left when most rows are in
// Persian or Arabic. Returns the number of rows. FailedPrecondition for an
// empty list; the CSV's own errors name the line.
Result<uint64_t> WriteListXlsx(const std::string& csv_path, const std::string& xlsx_path, std::string_view sheet_name);

// Where a campaign's messages go. Empty fields fall back to the environment
// (PATRON_SMTP_URL, PATRON_SMS_GATEWAY, PATRON_DKIM, PATRON_WEBHOOK_SECRET).
// A webhook campaign posts to its own webhook_url.
struct TransportConfig {
  std::string smtp_url;          // smtp://[user:pass@]host:port[?tls=none|starttls|required&rate=N&connections=N]
  std::string sms_gateway_file;  // JSON gateway configuration (docs/campaigns.md)
  std::string list_path;         // call and direct-mail lists: the CSV to write
  std::string dkim_file;         // optional DKIM signing (docs/campaigns.md); or PATRON_DKIM
  std::string webhook_secret;    // webhook campaigns: signs each POST; or PATRON_WEBHOOK_SECRET
};
Result<std::unique_ptr<Transport>> MakeTransport(Database& db, const Campaign& c, const TransportConfig& config);

// An SMS gateway's delivery receipt (its webhook's body, JSON or form, read
// by the gateway file's "receipt" settings): delivered marks the message
// delivered; failed marks it failed with the provider's reason and appends a
// message_bounced event (hard: false). kNotFound for a reference no campaign sent.
Status RecordSmsReceipt(Database& db, const std::string& gateway_file, std::string_view body, const Clock& clock);
// The path a gateway posts receipts to: /hooks/sms/TOKEN (signed, so that
// nobody else can mark messages delivered).
Result<std::string> SmsReceiptPath(Database& db);

// Outbox rows by "group/status" ("target/sent": 120, "holdout/skipped": 12, ...).
Result<std::map<std::string, uint64_t>> OutboxStatus(Database& db, const Campaign& c);

// ---------------------------------------------------------------------------
// Results
// ---------------------------------------------------------------------------

struct GroupResult {
  uint64_t members = 0, sent = 0, delivered = 0, opened = 0, clicked = 0, unsubscribed = 0, bounced = 0,
           failed = 0, converted = 0;
  int64_t revenue_minor = 0;
};
struct Lift {
  double target_rate = 0, holdout_rate = 0;
  double difference = 0, ci_low = 0, ci_high = 0;  // absolute, 95 % (Wald)
  double relative = 0;                              // difference / holdout_rate
  bool significant = false;
  bool available = false;  // false without a holdout or before anyone was sent
};
struct CampaignResults {
  std::string status;
  GroupResult targets, holdout;
  std::map<std::string, GroupResult> by_variant;
  std::map<std::string, uint64_t> suppressed_by_reason;
  int64_t cost_minor = 0;
  int64_t incremental_revenue_minor = 0;  // (target revenue/member - holdout revenue/member) * targets sent
  double roi = 0;                         // (incremental revenue - cost) / cost; 0 without cost
  Lift lift;
  std::string currency;
};
Result<CampaignResults> Results(Database& db, const Campaign& c, const Clock& clock);
std::string ResultsToJson(const Campaign& c, const CampaignResults& r);


// ---------------------------------------------------------------------------
// One message to one customer (journeys; single.cc)
// ---------------------------------------------------------------------------
//
// The campaign is the message definition (channel, purpose, contents, sender);
// its status does not matter. `message_key` names this one message ("j3.e17.thanks":
// a journey, an enrolment, a step): the Message-ID is derived from it, so a
// message re-sent after a crash carries the same Message-ID.

struct SingleMessage {
  enum class Outcome { kSend, kSuppressed, kDeferred } outcome = Outcome::kSend;
  std::string reason;     // kSuppressed: one of kSuppressionReasons
  Instant defer_until;    // kDeferred: the next moment outside quiet hours and weekends
  OutboundMessage message;  // kSend: ready to deliver (message.campaign points at the caller's campaign)
  int64_t contact_point_id = 0;
};
// Checks, at `clock.Now()`, consent, the contact point (present, not invalid,
// bounced or stale), opt-out registers, the frequency cap, the key-account and
// collections tags and quiet hours in the customer's zone; then renders. No writes.
Result<SingleMessage> PrepareOne(Database& db, const Campaign& c, int64_t customer_id, std::string_view message_key,
                                 const Clock& clock, const LinkOptions& links);
// Marks the message in flight (status 'sending' in the campaign's outbox row
// for the customer, which also makes opens, clicks and bounces of the message
// count). Runs in the caller's transaction, if any.
Status ClaimOne(Database& db, const Campaign& c, const SingleMessage& m, const Clock& clock);
// Records a delivery's outcome: 'sent' and a message_sent event (properties
// carry `origin`, e.g. {"journey": "welcome", "step": "day1"}), or 'failed' /
// 'bounced'. Runs in the caller's transaction, if any.
Status RecordOne(Database& db, const Campaign& c, const SingleMessage& m, const DeliveryResult& result,
                 std::string_view message_key, std::string_view origin_json, const Clock& clock);

struct SingleSendResult {
  SingleMessage::Outcome outcome = SingleMessage::Outcome::kSend;
  std::string reason;       // suppressed: the reason
  Instant defer_until;      // deferred
  DeliveryResult delivery;  // sent or failed
  std::string message_id;
};
// PrepareOne, ClaimOne (committed), the transport, RecordOne (committed).
Result<SingleSendResult> SendOne(Database& db, const Campaign& c, int64_t customer_id, std::string_view message_key,
                                 Transport& transport, const Clock& clock, const LinkOptions& links);

}  // namespace patron::campaign
