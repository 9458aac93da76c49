// Triggers: who enters which journey, and when their first step is due.
//
// Events and orders are read past a cursor (the last id seen; enabling a
// journey moves it to the newest row, so history does not enrol anyone).
// Segment triggers compare the segment's members with those stored at the
// previous evaluation. Date triggers scan every customer once per UTC day
// for occasions falling today or tomorrow in the customer's own zone, and
// schedule the first step at the local time of day; the occasion's date is
// the entry key, so a second scan of the same day enrols nobody twice.
#include <roaring/roaring.hh>

#include <nlohmann/json.hpp>
#include <unordered_set>

#include "campaign/campaign_internal.h"
#include "engine/engine.h"
#include "journey/journey_internal.h"
#include "journey/run_internal.h"
#include "store/store.h"

namespace patron::journey {

using nlohmann::json;

namespace {

constexpr int64_t kDayMicros = 86'400'000'000;
// Events and orders that arrive later than this after they happened do not trigger.
constexpr int64_t kLateArrivalMicros = 2 * kDayMicros;
constexpr int64_t kPage = 5000;

int64_t FloorDiv(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

bool PropertiesMatch(const std::map<std::string, std::string>& where, std::string_view properties) {
  if (where.empty()) return true;
  json p = json::parse(properties, nullptr, false);
  if (!p.is_object()) return false;
  for (auto& [key, want] : where) {
    auto it = p.find(key);
    if (it == p.end()) return false;
    std::string have = it->is_string() ? it->get<std::string>() : it->dump();
    if (have != want) return false;
  }
  return true;
}

std::optional<CivilDate> DateOfValue(Statement& q, int col) {
  if (q.IsNull(col)) return std::nullopt;
  if (q.IsNumeric(col)) return CivilDate::FromDays(FloorDiv(q.Int(col), kDayMicros));  // a timestamp (micros)
  std::string_view text = q.Text(col);
  if (text.size() < 10) return std::nullopt;
  auto at = ParseInstant(text.substr(0, 10));
  if (!at.ok()) return std::nullopt;
  return CivilDate::FromDays(FloorDiv(at->micros, kDayMicros));
}

}  // namespace

Status Runner::TriggerEvents(const Journey& j, int64_t& cursor, Instant since) {
  const Instant now = clock_.Now();
  std::vector<std::pair<int64_t, int64_t>> hits;  // event id, customer
  if (options_.replay) {
    Statement& q = db_.Query("journey-events-between");
    q.Bind(":type", j.trigger.event_type).Bind(":after", cursor).Bind(":now", now.micros);
    while (true) {
      ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      if (PropertiesMatch(j.trigger.where, q.Text(3))) hits.emplace_back(q.Int(0), q.Int(1));
    }
    q.Reset();
    cursor = now.micros;
  } else {
    while (true) {
      Statement& q = db_.Query("journey-new-events");
      q.Bind(":cursor", cursor).Bind(":type", j.trigger.event_type).Bind(":since", since.micros)
          .Bind(":now", now.micros).Bind(":limit", kPage);
      int64_t rows = 0;
      while (true) {
        ASSIGN_OR_RETURN(bool row, q.Step());
        if (!row) break;
        ++rows;
        cursor = q.Int(0);
        if (PropertiesMatch(j.trigger.where, q.Text(3))) hits.emplace_back(q.Int(0), q.Int(1));
      }
      q.Reset();
      if (rows < kPage) break;
    }
    // Past events of other types: the cursor may move to the newest event.
    Statement& ids = db_.Query("journey-max-ids");
    ASSIGN_OR_RETURN(bool row, ids.Step());
    if (row) cursor = std::max(cursor, ids.Int(0));
    ids.Reset();
  }
  for (auto [event_id, customer] : hits) {
    if (!j.trigger.segment.empty()) {
      ASSIGN_OR_RETURN(bool in, InSegment(j.trigger.segment, customer));
      if (!in) continue;
    }
    ASSIGN_OR_RETURN(int64_t id, EnrolCustomer(j, customer, "event:" + std::to_string(event_id), now));
    (void)id;
  }
  return Status::Ok();
}

Status Runner::TriggerOrders(const Journey& j, int64_t& cursor, Instant since) {
  const Instant now = clock_.Now();
  std::vector<std::pair<int64_t, int64_t>> hits;
  auto consider = [&](Statement& q) {
    double total = static_cast<double>(q.Int(3));
    for (int d = CurrencyMinorDigits(q.Text(4)); d > 0; --d) total /= 10;
    if (total >= j.trigger.min_total) hits.emplace_back(q.Int(0), q.Int(1));
  };
  if (options_.replay) {
    Statement& q = db_.Query("journey-orders-between");
    q.Bind(":after", cursor).Bind(":now", now.micros);
    while (true) {
      ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      consider(q);
    }
    q.Reset();
    cursor = now.micros;
  } else {
    while (true) {
      Statement& q = db_.Query("journey-new-orders");
      q.Bind(":cursor", cursor).Bind(":since", since.micros).Bind(":now", now.micros).Bind(":limit", kPage);
      int64_t rows = 0;
      while (true) {
        ASSIGN_OR_RETURN(bool row, q.Step());
        if (!row) break;
        ++rows;
        cursor = q.Int(0);
        consider(q);
      }
      q.Reset();
      if (rows < kPage) break;
    }
  }
  for (auto [order_id, customer] : hits) {
    if (!j.trigger.segment.empty()) {
      ASSIGN_OR_RETURN(bool in, InSegment(j.trigger.segment, customer));
      if (!in) continue;
    }
    ASSIGN_OR_RETURN(int64_t id, EnrolCustomer(j, customer, "order:" + std::to_string(order_id), now));
    (void)id;
  }
  return Status::Ok();
}

Status Runner::TriggerSegment(const Journey& j, bool baseline) {
  const Instant now = clock_.Now();
  ASSIGN_OR_RETURN(const ::Roaring* members, SegmentMembers(j.trigger.segment));
  std::unordered_set<int64_t> current;
  current.reserve(members->cardinality() * 2);
  for (uint32_t dense : *members) current.insert(snapshot_->customer_ids[dense]);
  std::unordered_set<int64_t> stored;
  {
    Statement& q = db_.Query("journey-segment-members");
    q.Bind(":journey_id", j.id);
    while (true) {
      ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      stored.insert(q.Int(0));
    }
    q.Reset();
  }
  std::vector<int64_t> entered, left;
  for (int64_t id : current)
    if (!stored.count(id)) entered.push_back(id);
  for (int64_t id : stored)
    if (!current.count(id)) left.push_back(id);
  std::sort(entered.begin(), entered.end());
  std::sort(left.begin(), left.end());
  for (int64_t id : entered) {
    Statement& q = db_.Query("journey-segment-member-add");
    q.Bind(":journey_id", j.id).Bind(":customer_id", id);
    RETURN_IF_ERROR(q.Run());
  }
  for (int64_t id : left) {
    Statement& q = db_.Query("journey-segment-member-remove");
    q.Bind(":journey_id", j.id).Bind(":customer_id", id);
    RETURN_IF_ERROR(q.Run());
  }
  if (baseline) return Status::Ok();  // the first evaluation: who is in is not news
  const std::string key = "segment:" + std::to_string(now.micros);
  for (int64_t id : j.trigger.kind == TriggerKind::kSegmentEnter ? entered : left) {
    ASSIGN_OR_RETURN(int64_t e, EnrolCustomer(j, id, key, now));
    (void)e;
  }
  return Status::Ok();
}

Status Runner::TriggerDates(const Journey& j) {
  const Instant now = clock_.Now();
  const Trigger& t = j.trigger;
  const int64_t utc_today = FloorDiv(now.micros, kDayMicros);
  // Customer-independent occasions (calendar dates, schedules) for the days a local date can be.
  std::map<int64_t, bool> occasion_on;
  if (t.kind != TriggerKind::kDateAttribute) {
    CivilDate start = t.start ? *t.start
                              : CivilDate::FromDays(FloorDiv(j.enabled_at.value_or(now).micros, kDayMicros));
    for (int64_t day = utc_today - 1; day <= utc_today + 2; ++day) {
      bool on = false;
      if (t.kind == TriggerKind::kCalendarDate) {
        ASSIGN_OR_RETURN(on, CalendarDateFallsOn(t, CivilDate::FromDays(day)));
      } else {
        int64_t since_start = day - start.ToDays();
        on = since_start >= 0 && since_start % t.every_days == 0;
      }
      occasion_on[day] = on;
    }
    bool any = false;
    for (auto& [_, on] : occasion_on) any = any || on;
    if (!any) return Status::Ok();
  }
  struct Candidate {
    int64_t customer;
    std::string tz, country;
    std::optional<CivilDate> original;
  };
  std::vector<Candidate> candidates;
  {
    const bool custom = t.kind == TriggerKind::kDateAttribute && t.attribute != "birth_date" && t.attribute != "created_at";
    Statement& q = db_.Query(custom ? "journey-customer-attribute-dates" : "journey-customer-dates");
    if (custom) q.Bind(":name", t.attribute.rfind("attr.", 0) == 0 ? t.attribute.substr(5) : t.attribute);
    while (true) {
      ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      Candidate c{q.Int(0), q.String(1), q.String(2), std::nullopt};
      if (t.kind == TriggerKind::kDateAttribute) {
        c.original = custom ? DateOfValue(q, 3) : t.attribute == "birth_date" ? DateOfValue(q, 3) : DateOfValue(q, 4);
        if (!c.original) continue;
      }
      candidates.push_back(std::move(c));
    }
    q.Reset();
  }
  for (const Candidate& c : candidates) {
    std::string zone = campaign::ZoneFor(c.tz, c.country, policy_);
    CivilDate local = LocalDate(now, zone);
    for (int64_t day = local.ToDays(); day <= local.ToDays() + 1; ++day) {
      CivilDate date = CivilDate::FromDays(day);
      bool on = t.kind == TriggerKind::kDateAttribute ? AnniversaryFallsOn(*c.original, t.offset_days, date)
                                                      : occasion_on[day];
      if (!on) continue;
      Instant due = LocalMoment(date, t.local_minute, zone);
      if (due.micros < now.micros - kDayMicros) continue;
      if (!t.segment.empty()) {
        ASSIGN_OR_RETURN(bool in, InSegment(t.segment, c.customer));
        if (!in) continue;
      }
      ASSIGN_OR_RETURN(int64_t e, EnrolCustomer(j, c.customer, "date:" + date.ToString(), due));
      (void)e;
    }
  }
  return Status::Ok();
}

Status Runner::RunTriggers() {
  const Instant now = clock_.Now();
  for (auto& [id, jp] : journeys_) {
    const Journey& j = *jp;
    if (j.status != "enabled") continue;
    if (options_.stop && options_.stop->load()) break;
    RETURN_IF_ERROR(db_.Begin());
    auto fail = [&](Status st) {
      (void)db_.Rollback();
      return st.WithContext("journey \"" + j.name + "\" trigger");
    };
    Statement& cur = db_.Query("journey-cursors");
    cur.Bind(":id", j.id);
    auto r = cur.Step();
    if (!r.ok() || !*r) {
      cur.Reset();
      return fail(r.ok() ? NotFound("journey vanished") : r.status());
    }
    int64_t event_cursor = cur.Int(0), order_cursor = cur.Int(1);
    std::optional<int64_t> scanned_day = cur.OptionalInt(2), segment_at = cur.OptionalInt(3);
    cur.Reset();
    Instant since{now.micros - kLateArrivalMicros};
    Status st;
    switch (j.trigger.kind) {
      case TriggerKind::kEvent:
        if (options_.replay && event_cursor == 0) event_cursor = j.enabled_at.value_or(now).micros;
        st = TriggerEvents(j, event_cursor, since);
        break;
      case TriggerKind::kPurchase:
        if (options_.replay && order_cursor == 0) order_cursor = j.enabled_at.value_or(now).micros;
        st = TriggerOrders(j, order_cursor, since);
        break;
      case TriggerKind::kSegmentEnter:
      case TriggerKind::kSegmentLeave:
        if (!segment_at || now.micros - *segment_at >= int64_t{options_.segment_interval_seconds} * 1'000'000) {
          st = TriggerSegment(j, !segment_at.has_value());
          segment_at = now.micros;
        }
        break;
      case TriggerKind::kDateAttribute:
      case TriggerKind::kCalendarDate:
      case TriggerKind::kSchedule: {
        int64_t today = FloorDiv(now.micros, kDayMicros);
        if (scanned_day != today) {
          st = TriggerDates(j);
          scanned_day = today;
        }
        break;
      }
    }
    if (!st.ok()) return fail(st);
    Statement& set = db_.Query("journey-set-cursors");
    set.Bind(":event_cursor", event_cursor).Bind(":order_cursor", order_cursor).BindOptional(":scanned_day", scanned_day)
        .BindOptional(":segment_scanned_at", segment_at).Bind(":id", j.id);
    if (Status s = set.Run(); !s.ok()) return fail(s);
    RETURN_IF_ERROR(db_.Commit());
  }
  return Status::Ok();
}

}  // namespace patron::journey
