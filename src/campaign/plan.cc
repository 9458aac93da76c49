// Planning a campaign: the audience, who must not be contacted and why, the
// holdout, the budget, variants, languages and send times; and writing the
// plan to the outbox.
#include <roaring/roaring.hh>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <thread>
#include <unordered_set>

#include "campaign/campaign.h"
#include "campaign/campaign_internal.h"
#include "engine/engine.h"
#include "segment/segment.h"
#include "store/store.h"

namespace patron::campaign {

namespace {

constexpr int64_t kDayMicros = 86'400'000'000;

// What the plan knows of one audience member.
struct MemberInputs {
  std::string language, time_zone, country;
  std::optional<int64_t> clv_minor;
  std::optional<int64_t> best_send_hour;
  std::string consent;  // "", granted, withdrawn
  bool complained = false;
  // The consent row that decides: the last by (recorded_at, id).
  int64_t consent_recorded_at = 0, consent_row = 0;
  // The best usable contact point and the worst state seen when none is usable.
  int64_t contact_id = 0;
  std::string contact_value, contact_status;
  int64_t contact_fresh_at = 0;
  int contact_rank = -1;  // higher is better
  int64_t recent_messages = 0;
  bool key_account = false, in_collections = false, active_offer = false;
};

// A contact point's rank for choosing: verified > unverified > bounced > invalid.
int ContactRank(std::string_view status) {
  if (status == "verified") return 3;
  if (status == "unverified") return 2;
  if (status == "bounced") return 1;
  return 0;
}

std::string BaseLanguage(std::string_view lang) {
  return AsciiLower(lang.substr(0, lang.find_first_of("-_")));
}

}  // namespace

Status ScanStatement(Statement& q, const std::function<void(Statement&)>& row) {
  while (true) {
    auto r = q.Step();
    if (!r.ok()) {
      q.Reset();
      return r.status();
    }
    if (!*r) break;
    row(q);
  }
  q.Reset();
  return Status::Ok();
}

Result<Plan> PlanCampaign(Database& db, const engine::Snapshot& snapshot, const Campaign& c,
                          const PlanOptions& options) {
  auto t0 = std::chrono::steady_clock::now();
  ASSIGN_OR_RETURN(Policy policy, LoadPolicy(db));
  segment::Vocabulary vocabulary = segment::LoadVocabulary(db, &snapshot);
  auto node = segment::Parse(c.audience, vocabulary);
  if (!node.ok()) return InvalidArgument("audience: " + node.status().message());
  segment::EvalOptions eval;
  eval.now = options.now;
  eval.resolve = segment::StoreResolver(db);
  eval.freshness_days = options.freshness_days;
  ASSIGN_OR_RETURN(::Roaring members, segment::Evaluate(snapshot, *node, eval));

  // Audience members by store id (ascending, as the snapshot orders them).
  std::vector<int64_t> ids;
  ids.reserve(members.cardinality());
  for (uint32_t dense : members) ids.push_back(snapshot.customer_ids[dense]);
  // Store id -> member slot: a direct table when ids are dense enough (they
  // are, from the store's autoincrement), else a binary search of `ids`.
  constexpr uint32_t kNoSlot = UINT32_MAX;
  std::vector<uint32_t> slot_of;
  if (!ids.empty() && ids.front() >= 0 && ids.back() < static_cast<int64_t>(4 * ids.size() + 1'000'000)) {
    slot_of.assign(static_cast<size_t>(ids.back()) + 1, kNoSlot);
    for (uint32_t i = 0; i < ids.size(); ++i) slot_of[static_cast<size_t>(ids[i])] = i;
  }
  std::vector<MemberInputs> in(ids.size());
  auto find = [&](int64_t id) -> MemberInputs* {
    if (!slot_of.empty()) {
      if (id < 0 || id >= static_cast<int64_t>(slot_of.size()) || slot_of[static_cast<size_t>(id)] == kNoSlot)
        return nullptr;
      return &in[slot_of[static_cast<size_t>(id)]];
    }
    auto it = std::lower_bound(ids.begin(), ids.end(), id);
    return it == ids.end() || *it != id ? nullptr : &in[static_cast<size_t>(it - ids.begin())];
  };

  const std::string consent_channel(ConsentChannel(c.channel));
  const bool needs_contact = c.channel != Channel::kWebhook;
  auto cap_it = policy.caps.find(consent_channel);
  std::optional<FrequencyCap> cap;
  if (cap_it != policy.caps.end()) cap = cap_it->second;

  // The scans below fill disjoint fields of `in`, so they run as two groups
  // on two connections at once when the store is a file: profiles and recent
  // messages here, consents and contact points on a second, read-only one.
  auto scan_profiles = [&](Database& on) -> Status {
    Statement& q = on.Query("campaign-plan-customers");
    RETURN_IF_ERROR(ScanStatement(q, [&](Statement& s) {
      if (MemberInputs* m = find(s.Int(0))) {
        m->language = s.Text(1);
        m->time_zone = s.Text(2);
        m->country = s.Text(3);
        m->clv_minor = s.OptionalInt(4);
        m->best_send_hour = s.OptionalInt(5);
      }
    }));
    if (cap) {
      Statement& r = on.Query("campaign-plan-recent-messages");
      r.Bind(":since", options.now.micros - int64_t{cap->days} * kDayMicros).Bind(":channel", consent_channel);
      RETURN_IF_ERROR(ScanStatement(r, [&](Statement& s) {
        if (MemberInputs* m = find(s.Int(0))) m->recent_messages = s.Int(1);
      }));
    }
    return Status::Ok();
  };
  auto scan_permissions = [&](Database& on) -> Status {
    Statement& q = on.Query("campaign-plan-consents");
    q.Bind(":channel", consent_channel).Bind(":purpose", c.purpose);
    RETURN_IF_ERROR(ScanStatement(q, [&](Statement& s) {
      MemberInputs* m = find(s.Int(0));
      if (!m) return;
      // Rows come in any order: the last recorded (then the last written) decides.
      const int64_t recorded_at = s.Int(3), row = s.Int(4);
      if (!m->consent.empty() &&
          (recorded_at < m->consent_recorded_at || (recorded_at == m->consent_recorded_at && row < m->consent_row)))
        return;
      m->consent_recorded_at = recorded_at;
      m->consent_row = row;
      m->consent = s.Text(1);
      m->complained = m->consent == "withdrawn" && AsciiLower(s.Text(2)).find("complain") != std::string::npos;
    }));
    if (!needs_contact) return Status::Ok();
    std::string kind = c.channel == Channel::kEmail ? "email" : c.channel == Channel::kMailList ? "address" : "phone";
    Statement& cq = on.Query("campaign-plan-contact-points");
    cq.Bind(":kind", kind);
    return ScanStatement(cq, [&](Statement& s) {
      MemberInputs* m = find(s.Int(1));
      if (!m) return;
      if (c.channel == Channel::kSms) {
        std::string_view type = s.Text(5);
        if (type != "mobile" && type != "fixed_line_or_mobile" && type != "") return;  // SMS needs a mobile
      }
      std::string_view status = s.Text(3);
      int rank = ContactRank(status);
      int64_t fresh = s.Int(4);
      if (rank > m->contact_rank || (rank == m->contact_rank && fresh > m->contact_fresh_at)) {
        m->contact_rank = rank;
        m->contact_id = s.Int(0);
        m->contact_value = s.Text(2);
        m->contact_status = status;
        m->contact_fresh_at = fresh;
      }
    });
  };
  const bool second_connection =
      !db.in_transaction() && !db.path().empty() && db.path() != ":memory:" && db.path().rfind("file::memory:", 0) != 0;
  std::unique_ptr<Database> side;
  if (second_connection && ids.size() >= 10'000) {
    DatabaseOptions read_only;
    read_only.read_only = true;
    auto opened = Database::Open(db.path(), read_only);
    if (opened.ok()) side = std::move(*opened);
  }
  if (side) {
    Status permissions;
    std::thread other([&] { permissions = scan_permissions(*side); });
    Status profiles = scan_profiles(db);
    other.join();
    RETURN_IF_ERROR(profiles);
    RETURN_IF_ERROR(permissions);
  } else {
    RETURN_IF_ERROR(scan_profiles(db));
    RETURN_IF_ERROR(scan_permissions(db));
  }
  for (auto [tag, flag] : {std::pair{&policy.key_account_tag, &MemberInputs::key_account},
                           std::pair{&policy.collections_tag, &MemberInputs::in_collections}}) {
    if (tag->empty()) continue;
    Statement& q = db.Query("campaign-plan-tagged");
    q.Bind(":tag", *tag);
    RETURN_IF_ERROR(ScanStatement(q, [&, flag = flag](Statement& s) {
      if (MemberInputs* m = find(s.Int(0))) m->*flag = true;
    }));
  }
  if (!c.offer_product.empty()) {
    Statement& q = db.Query("campaign-plan-active-offers");
    q.Bind(":product", c.offer_product).Bind(":campaign_id", c.id).Bind(":team", c.team)
        .Bind(":since", options.now.micros - int64_t{policy.offer_days} * kDayMicros);
    RETURN_IF_ERROR(ScanStatement(q, [&](Statement& s) {
      if (MemberInputs* m = find(s.Int(0))) m->active_offer = true;
    }));
  }
  std::unordered_set<std::string> register_values;
  if (consent_channel != "push") {
    Statement& q = db.Query("campaign-plan-register");
    // Calls and SMS share phone numbers: a number on either register is out.
    q.Bind(":channel", consent_channel);
    RETURN_IF_ERROR(ScanStatement(q, [&](Statement& s) { register_values.insert(s.String(0)); }));
  }

  Plan plan;
  for (std::string_view r : kSuppressionReasons) plan.suppressed_by_reason[std::string(r)] = 0;
  plan.audience = ids.size();
  plan.recipients.resize(ids.size());
  const int64_t stale_before = options.now.micros - int64_t{policy.stale_days} * kDayMicros;
  std::vector<uint32_t> eligible;
  // Views into `in`, which does not move from here on.
  std::unordered_set<std::string_view> addresses_used;
  if (needs_contact) addresses_used.reserve(ids.size());
  for (uint32_t i = 0; i < ids.size(); ++i) {
    const MemberInputs& m = in[i];
    PlannedRecipient& r = plan.recipients[i];
    r.customer_id = ids[i];
    std::string_view reason;
    if (m.consent != "granted") reason = m.consent == "withdrawn" ? "unsubscribed" : "no_consent";
    else if (needs_contact && m.contact_rank < 0) reason = "no_contact_point";
    else if (needs_contact && m.contact_status == "invalid") reason = "invalid_contact_point";
    else if (needs_contact && m.contact_status == "bounced") reason = "bounced";
    else if (needs_contact && policy.require_verified && m.contact_status != "verified") reason = "unverified";
    else if (needs_contact && m.contact_fresh_at < stale_before) reason = "stale_contact_point";
    else if (needs_contact && !register_values.empty() && register_values.count(m.contact_value))
      reason = "opt_out_register";
    else if (cap && m.recent_messages >= cap->max_messages) reason = "frequency_cap";
    else if (m.key_account) reason = "key_account";
    else if (m.in_collections) reason = "in_collections";
    else if (m.active_offer) reason = "active_offer";
    // Two customer records with one address (not yet merged by identity
    // resolution) get one message: the first record's.
    if (reason.empty() && needs_contact && !addresses_used.insert(std::string_view(m.contact_value)).second) reason = "duplicate_address";
    if (!reason.empty()) {
      r.group = "suppressed";
      r.reason = std::string(reason);
      continue;
    }
    r.address = m.contact_value;
    r.contact_point_id = m.contact_id;
    if (c.holdout_percent > 0 && UniformDraw(c.seed, r.customer_id, "holdout") * 100 < c.holdout_percent) {
      r.group = "holdout";
      continue;
    }
    r.group = "target";
    eligible.push_back(i);
  }
  // The budget goes to the most valuable customers first (predicted CLV).
  if (c.budget_minor && c.cost_per_message_minor > 0) {
    size_t affordable = static_cast<size_t>(*c.budget_minor / c.cost_per_message_minor);
    if (eligible.size() > affordable) {
      std::stable_sort(eligible.begin(), eligible.end(), [&](uint32_t a, uint32_t b) {
        return in[a].clv_minor.value_or(-1) > in[b].clv_minor.value_or(-1);
      });
      for (size_t k = affordable; k < eligible.size(); ++k) {
        plan.recipients[eligible[k]].group = "suppressed";
        plan.recipients[eligible[k]].reason = "over_budget";
      }
      eligible.resize(affordable);
      std::sort(eligible.begin(), eligible.end());
    }
  }
  // Languages the content exists in, and the variants of each.
  std::map<std::string, std::vector<const Content*>> by_language;
  for (const Content& ct : c.contents) by_language[BaseLanguage(ct.language)].push_back(&ct);
  const bool quiet_applies = c.channel == Channel::kEmail || c.channel == Channel::kSms || c.channel == Channel::kWebhook;
  // Time zones and quiet-hour answers repeat across a million customers: each
  // (zone, country) pair and (time, zone, country) question is answered once.
  struct PairHash {
    size_t operator()(const std::pair<std::string_view, std::string_view>& p) const {
      return std::hash<std::string_view>()(p.first) * 31 + std::hash<std::string_view>()(p.second);
    }
  };
  std::unordered_map<std::pair<std::string_view, std::string_view>, std::string, PairHash> zones;
  struct AllowedKey {
    int64_t at;
    const std::string* zone;
    std::string_view country;
    bool operator==(const AllowedKey&) const = default;
  };
  struct AllowedHash {
    size_t operator()(const AllowedKey& k) const {
      return std::hash<int64_t>()(k.at) ^ (std::hash<const void*>()(k.zone) * 31) ^
             (std::hash<std::string_view>()(k.country) * 131);
    }
  };
  std::unordered_map<AllowedKey, Instant, AllowedHash> allowed_at;
  for (uint32_t i : eligible) {
    const MemberInputs& m = in[i];
    PlannedRecipient& r = plan.recipients[i];
    std::string lang = BaseLanguage(m.language);
    auto it = by_language.find(lang);
    if (it == by_language.end()) it = by_language.find("");
    r.language = it->first;
    double draw = UniformDraw(c.seed, r.customer_id, "variant") * 100, acc = 0;
    r.variant = it->second.back()->variant;
    for (const Content* ct : it->second) {
      acc += ct->split_percent;
      if (draw < acc) {
        r.variant = ct->variant;
        break;
      }
    }
    r.coupon = CouponCode(c.seed, c.id, r.customer_id);
    auto [zone_it, new_zone] = zones.try_emplace({m.time_zone, m.country});
    if (new_zone) zone_it->second = ZoneFor(m.time_zone, m.country, policy);
    const std::string& zone = zone_it->second;
    Instant at = options.now;
    switch (c.schedule) {
      case ScheduleKind::kNow: break;
      case ScheduleKind::kAt: at = c.scheduled_at.value_or(options.now); break;
      case ScheduleKind::kLocalTime: {
        Instant day = c.scheduled_at.value_or(options.now);
        int64_t day_start = (day.micros / kDayMicros) * kDayMicros;
        int64_t local = day_start + int64_t{c.local_minute} * 60'000'000;
        at = Instant{local - int64_t{UtcOffsetMinutes(zone, Instant{local})} * 60'000'000};
        break;
      }
      case ScheduleKind::kBestHour: {
        Instant from = c.scheduled_at.value_or(options.now);
        if (m.best_send_hour) {
          // Hour of the week in UTC, 0 = Monday 00:00; 1970-01-05 was a Monday.
          int64_t week = 7 * kDayMicros, monday0 = 4 * kDayMicros;
          int64_t week_start = monday0 + ((from.micros - monday0) / week) * week;
          int64_t cand = week_start + *m.best_send_hour * 3'600'000'000;
          if (cand < from.micros) cand += week;
          at = Instant{cand};
        } else {
          at = from;
        }
        break;
      }
    }
    if (at < options.now) at = options.now;
    if (quiet_applies) {
      auto [allowed_it, new_answer] = allowed_at.try_emplace(AllowedKey{at.micros, &zone, m.country});
      if (new_answer) allowed_it->second = NextAllowedTime(at, zone, m.country, policy);
      Instant allowed = allowed_it->second;
      if (allowed != at) {
        r.deferred_by_quiet_hours = true;
        ++plan.deferred_by_quiet_hours;
      }
      at = allowed;
    }
    r.send_at = at;
    ++plan.by_variant[r.variant];
  }
  for (const PlannedRecipient& r : plan.recipients) {
    if (r.group == "target") ++plan.targets;
    else if (r.group == "holdout") ++plan.holdout;
    else {
      ++plan.suppressed;
      ++plan.suppressed_by_reason[r.reason];
    }
  }
  plan.estimated_cost_minor = static_cast<int64_t>(plan.targets) * c.cost_per_message_minor;
  plan.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return plan;
}

Result<Plan> PrepareCampaign(Database& db, const engine::Snapshot& snapshot, Campaign& c, const PlanOptions& options,
                             const Clock& clock) {
  if (c.status != "draft")
    return FailedPrecondition("campaign \"" + c.name + "\" is " + c.status + "; only a draft can be prepared");
  ASSIGN_OR_RETURN(Plan plan, PlanCampaign(db, snapshot, c, options));
  RETURN_IF_ERROR(db.Begin());
  auto fail = [&](Status st) {
    (void)db.Rollback();
    return st;
  };
  Statement& clear = db.Query("campaign-outbox-clear");
  clear.Bind(":campaign_id", c.id);
  if (Status st = clear.Run(); !st.ok()) return fail(st);
  Statement& ins = db.Query("campaign-outbox-insert");
  for (const PlannedRecipient& r : plan.recipients) {
    ins.Bind(":campaign_id", c.id).Bind(":customer_id", r.customer_id).Bind(":grp", r.group)
        .BindOptional(":reason", std::string_view(r.reason)).BindOptional(":variant", std::string_view(r.variant))
        .BindOptional(":language", std::string_view(r.group == "target" ? r.language : std::string_view()))
        .BindOptional(":address", std::string_view(r.address))
        .BindOptional(":contact_point_id", r.contact_point_id ? std::optional<int64_t>(r.contact_point_id) : std::nullopt)
        .BindOptional(":coupon", std::string_view(r.coupon))
        .BindOptional(":send_at", r.group == "target" ? std::optional<int64_t>(r.send_at.micros) : std::nullopt);
    if (Status st = ins.Run(); !st.ok()) return fail(st);
  }
  if (Status st = WriteStatus(db, c, "scheduled", clock); !st.ok()) return fail(st);
  RETURN_IF_ERROR(db.Commit());
  return plan;
}

}  // namespace patron::campaign
