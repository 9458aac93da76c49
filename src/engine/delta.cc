// Incremental snapshots: a new snapshot made from an older one by reading only
// what changed in the store since (docs/segments.md, "Keeping the snapshot
// current").
//
// What is read:
// - customers with ids beyond the old snapshot's largest id (appended: dense
//   indexes stay in store-id order because new ids are larger);
// - customers named in engine_customer_changes with a sequence number beyond
//   the old snapshot's, the customer with the old snapshot's largest id, and
//   the customers of orders from its largest order id on: their profile, tags,
//   attributes, consents, verified contact points, orders and order lines are
//   re-read whole;
// - events with ids beyond the old snapshot's largest event id, merged into
//   their customers' time-ordered rows.
// Everything else is copied from the old snapshot. What this cannot absorb
// (deleted customers or events, moved events, shared tables, model scores)
// bumps engine_rebuild.generation (migration 0010 triggers), and a snapshot of
// another rebuild generation is refused with kFailedPrecondition.
#include <roaring/roaring.hh>

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "engine/build_internal.h"
#include "engine/engine.h"
#include "store/store.h"

namespace patron::engine {

using internal::Allocate;
using internal::ClearValue;
using internal::Extend;
using internal::MajorUnits;
using internal::SetValue;

Result<Watermarks> ReadWatermarks(Database& db) {
  Watermarks w;
  w.schema_version = db.schema_version();
  Statement& q = db.Query("engine-watermarks");
  ASSIGN_OR_RETURN(bool row, q.Step());
  if (row) {
    w.generation = q.Int(0);
    w.rebuild_generation = q.Int(1);
    w.max_customer_id = q.Int(2);
    w.max_order_id = q.Int(3);
    w.max_event_id = q.Int(4);
    w.change_seq = q.Int(5);
  }
  q.Reset();
  return w;
}

namespace {

std::string JsonPathOf(std::string_view key) {
  std::string path = "$.\"";
  for (char c : key) {
    if (c == '"' || c == '\\') path.push_back('\\');
    path.push_back(c);
  }
  path += "\"";
  return path;
}

std::unique_ptr<Roaring> CopyBitmap(const Roaring& r) { return std::make_unique<Roaring>(r); }

}  // namespace

// Has the private access the build has (friend of Snapshot).
class DeltaBuilder {
 public:
  DeltaBuilder(const Snapshot& old, Database& db, const Watermarks& now, DeltaStats& stats)
      : old_(old), db_(db), now_(now), stats_(stats), s_(std::make_shared<Snapshot>()) {}

  Result<std::shared_ptr<const Snapshot>> Run(const Clock& clock) {
    s_->built_at = clock.Now();
    s_->watermarks = now_;
    s_->db_path_ = old_.db_path_;
    RETURN_IF_ERROR(CopyUnchanged());
    RETURN_IF_ERROR(AddCustomers());
    RETURN_IF_ERROR(ReadOrderCustomers());
    RETURN_IF_ERROR(ReadChangedCustomers());
    RETURN_IF_ERROR(RereadCustomers());
    RETURN_IF_ERROR(RebuildOrders());
    RETURN_IF_ERROR(MergeEvents());
    return std::shared_ptr<const Snapshot>(std::move(s_));
  }

 private:
  // Copies what customers do not own, and the per-customer columns (to be
  // extended and patched below).
  Status CopyUnchanged() {
    Snapshot& s = *s_;
    s.customer_ids = old_.customer_ids;
    s.index_by_id_ = old_.index_by_id_;
    s.profile = old_.profile;
    s.attributes = old_.attributes;
    for (const auto& [tag, bitmap] : old_.tags) s.tags.emplace(tag, CopyBitmap(*bitmap));
    s.account_ids = old_.account_ids;
    s.account_columns = old_.account_columns;
    s.account_offsets = old_.account_offsets;
    s.account_members = old_.account_members;
    s.products = old_.products;
    s.categories = old_.categories;
    s.scores = old_.scores;
    for (const auto& [key, bitmap] : old_.consent_granted) s.consent_granted.emplace(key, CopyBitmap(*bitmap));
    for (int i = 0; i < kChannelCount; ++i) s.contact_fresh_at[i] = old_.contact_fresh_at[i];
    product_index_.reserve(s.products.ids.size());
    for (uint32_t i = 0; i < s.products.ids.size(); ++i) product_index_.emplace(s.products.ids[i], i);
    return Status::Ok();
  }

  // Appends the customers created since, with their profile; they are re-read
  // like changed customers for everything else.
  Status AddCustomers() {
    Snapshot& s = *s_;
    if (now_.max_customer_id < old_.watermarks.max_customer_id) {
      return FailedPrecondition("rebuild: the largest customer id went down");
    }
    std::vector<Column*> by_position;
    for (std::string_view name : internal::kCustomerQueryOrder) by_position.push_back(&s.profile.find(name)->second);
    s.index_by_id_.resize(static_cast<size_t>(now_.max_customer_id) + 1, UINT32_MAX);
    Statement& q = db_.Query("engine-customers-after");
    q.Bind(":after", old_.watermarks.max_customer_id).Bind(":max_id", now_.max_customer_id);
    std::vector<std::pair<int64_t, uint32_t>> added;
    while (true) {
      ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      auto index = static_cast<uint32_t>(s.customer_ids.size());
      int64_t id = q.Int(0);
      s.customer_ids.push_back(id);
      s.index_by_id_[id] = index;
      added.emplace_back(id, index);
    }
    q.Reset();
    const size_t n = s.customer_ids.size();
    for (auto& [_, column] : s.profile) Extend(column, n);
    for (auto& [_, column] : s.attributes) Extend(column, n);
    s.account_offsets.resize(n + 1, s.account_offsets.back());
    s.scores.recommended_offsets.resize(n + 1, s.scores.recommended_offsets.back());
    s.scores.propensity_offsets.resize(n + 1, s.scores.propensity_offsets.back());
    for (auto& fresh : s.contact_fresh_at) fresh.resize(n, kMissing);
    stats_.new_customers = added.size();
    for (const auto& [id, index] : added) reread_.push_back(index);
    // Writes about the newest customer are not marked (migration 0010): the
    // one the old snapshot had as its newest is re-read.
    if (uint32_t c = old_.IndexOf(old_.watermarks.max_customer_id); c != UINT32_MAX) reread_.push_back(c);
    return Status::Ok();
  }

  // New orders, and writes to the newest order the old snapshot had, are not
  // marked either: their customers are re-read.
  Status ReadOrderCustomers() {
    if (now_.max_order_id < old_.watermarks.max_order_id) return FailedPrecondition("rebuild: orders went away");
    Statement& q = db_.Query("engine-order-customers-from");
    q.Bind(":from", old_.watermarks.max_order_id).Bind(":max_id", now_.max_order_id);
    while (true) {
      ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      uint32_t c = s_->IndexOf(q.Int(0));
      if (c == UINT32_MAX) return FailedPrecondition("rebuild: an order belongs to a customer the snapshot lacks");
      reread_.push_back(c);
    }
    q.Reset();
    return Status::Ok();
  }

  Status ReadChangedCustomers() {
    Statement& q = db_.Query("engine-changed-customers");
    q.Bind(":after", old_.watermarks.change_seq);
    const uint32_t old_count = old_.customer_count();
    while (true) {
      ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      uint32_t c = s_->IndexOf(q.Int(0));
      if (c == UINT32_MAX) {
        // A change to a customer neither snapshot has: it was created and
        // deleted since (a delete bumps the rebuild generation), or created
        // after this read began. Either way nothing to apply here.
        continue;
      }
      if (c < old_count) reread_.push_back(c);
    }
    q.Reset();
    std::sort(reread_.begin(), reread_.end());
    reread_.erase(std::unique(reread_.begin(), reread_.end()), reread_.end());
    stats_.changed_customers = static_cast<uint64_t>(
        std::count_if(reread_.begin(), reread_.end(), [&](uint32_t c) { return c < old_count; }));
    return Status::Ok();
  }

  // Re-reads the profile, attributes, tags, consents and contact points of
  // every new or changed customer.
  Status RereadCustomers() {
    Snapshot& s = *s_;
    std::vector<Column*> by_position;
    for (std::string_view name : internal::kCustomerQueryOrder) by_position.push_back(&s.profile.find(name)->second);
    std::unordered_set<uint32_t> changed(reread_.begin(), reread_.end());
    // Tags and consents: drop the customers from every bitmap, then add back
    // what the store says.
    std::vector<uint32_t> sorted(reread_.begin(), reread_.end());
    Roaring gone(sorted.size(), sorted.data());
    for (auto& [_, bitmap] : s.tags) *bitmap -= gone;
    for (auto& [_, bitmap] : s.consent_granted) *bitmap -= gone;
    for (uint32_t c : reread_) {
      const int64_t id = s.customer_ids[c];
      // Profile.
      Statement& p = db_.Query("engine-customer");
      p.Bind(":id", id);
      ASSIGN_OR_RETURN(bool found, p.Step());
      if (!found) {
        p.Reset();
        return FailedPrecondition("rebuild: customer " + std::to_string(id) + " is gone");
      }
      for (size_t i = 0; i < by_position.size(); ++i) {
        ClearValue(*by_position[i], c);
        SetValue(*by_position[i], c, p, static_cast<int>(i + 1));
      }
      p.Reset();
      // Attributes (typed by their declaration; undeclared ones are text).
      for (auto& [_, column] : s.attributes) ClearValue(column, c);
      Statement& a = db_.Query("engine-customer-attributes-of");
      a.Bind(":id", id);
      while (true) {
        ASSIGN_OR_RETURN(bool row, a.Step());
        if (!row) break;
        std::string name = a.String(0);
        auto it = s.attributes.find(name);
        if (it == s.attributes.end()) {
          it = s.attributes.emplace(name, Column{}).first;
          Allocate(it->second, ValueType::kText, s.customer_ids.size());
        }
        Column& col = it->second;
        if (col.type == ValueType::kText || col.type == ValueType::kDate) {
          SetValue(col, c, a, 1);
        } else if (a.IsNumeric(1)) {
          col.numbers[c] = a.Double(1);
        }
      }
      a.Reset();
      // Tags.
      Statement& t = db_.Query("engine-tags-of");
      t.Bind(":id", id);
      while (true) {
        ASSIGN_OR_RETURN(bool row, t.Step());
        if (!row) break;
        auto& bitmap = s.tags[FoldForMatching(t.Text(0))];
        if (!bitmap) bitmap = std::make_unique<Roaring>();
        bitmap->add(c);
      }
      t.Reset();
      // Consents: the latest record per (channel, purpose) decides.
      Statement& k = db_.Query("engine-consents-of");
      k.Bind(":id", id);
      std::map<std::pair<std::string, std::string>, std::string> latest;
      while (true) {
        ASSIGN_OR_RETURN(bool row, k.Step());
        if (!row) break;
        latest[{k.String(0), k.String(1)}] = k.String(2);
      }
      k.Reset();
      for (const auto& [key, status] : latest) {
        auto channel = ParseChannel(key.first);
        if (status != "granted" || !channel.ok()) continue;
        auto& bitmap = s.consent_granted[{static_cast<int>(*channel), key.second}];
        if (!bitmap) bitmap = std::make_unique<Roaring>();
        bitmap->add(c);
      }
      // Verified contact points.
      for (auto& fresh : s.contact_fresh_at) fresh[c] = kMissing;
      auto note = [&](Channel ch, double at) {
        double& slot = s.contact_fresh_at[static_cast<int>(ch)][c];
        if (IsMissing(slot) || at > slot) slot = at;
      };
      Statement& v = db_.Query("engine-verified-contact-points-of");
      v.Bind(":id", id);
      while (true) {
        ASSIGN_OR_RETURN(bool row, v.Step());
        if (!row) break;
        if (v.IsNull(2)) continue;
        std::string_view kind = v.Text(0);
        double at = static_cast<double>(v.Int(2));
        if (kind == "email") {
          note(Channel::kEmail, at);
        } else if (kind == "address") {
          note(Channel::kMail, at);
        } else if (kind == "phone") {
          std::string_view type = v.IsNull(1) ? std::string_view() : v.Text(1);
          note(Channel::kPhone, at);
          if (type == "mobile" || type == "fixed_line_or_mobile") note(Channel::kSms, at);
        }
      }
      v.Reset();
    }
    // A full build has no bitmap for a tag or consent nobody holds.
    std::erase_if(s.tags, [](const auto& entry) { return entry.second->isEmpty(); });
    std::erase_if(s.consent_granted, [](const auto& entry) { return entry.second->isEmpty(); });
    for (auto& [_, bitmap] : s.tags) bitmap->runOptimize();
    return Status::Ok();
  }

  // Orders and order lines: re-read for new and changed customers, copied for
  // everyone else.
  Status RebuildOrders() {
    Snapshot& s = *s_;
    const Orders& oo = old_.orders;
    const Purchases& op = old_.purchases;
    Orders& o = s.orders;
    Purchases& p = s.purchases;
    o.channels = oo.channels;
    o.statuses = oo.statuses;
    o.currencies = oo.currencies;
    const uint32_t n = s.customer_count(), old_n = old_.customer_count();
    o.offsets.assign(n + 1, 0);
    p.offsets.assign(n + 1, 0);
    o.at.reserve(oo.at.size());
    p.at.reserve(op.at.size());
    auto copy_orders = [&](uint32_t from, uint32_t to) {
      auto b = oo.offsets[from], e = oo.offsets[to];
      o.at.append(oo.at.begin() + b, oo.at.begin() + e);
      o.amount.append(oo.amount.begin() + b, oo.amount.begin() + e);
      o.channel.append(oo.channel.begin() + b, oo.channel.begin() + e);
      o.status.append(oo.status.begin() + b, oo.status.begin() + e);
      o.currency.append(oo.currency.begin() + b, oo.currency.begin() + e);
      auto lb = op.offsets[from], le = op.offsets[to];
      p.at.append(op.at.begin() + lb, op.at.begin() + le);
      p.product.append(op.product.begin() + lb, op.product.begin() + le);
      p.order_channel.append(op.order_channel.begin() + lb, op.order_channel.begin() + le);
      p.status.append(op.status.begin() + lb, op.status.begin() + le);
      p.currency.append(op.currency.begin() + lb, op.currency.begin() + le);
      p.quantity.append(op.quantity.begin() + lb, op.quantity.begin() + le);
      p.amount.append(op.amount.begin() + lb, op.amount.begin() + le);
      p.unit_price.append(op.unit_price.begin() + lb, op.unit_price.begin() + le);
      // Offsets of the copied customers shift by the difference in row counts.
      for (uint32_t c = from; c < to; ++c) {
        o.offsets[c + 1] = o.offsets[c] + (oo.offsets[c + 1] - oo.offsets[c]);
        p.offsets[c + 1] = p.offsets[c] + (op.offsets[c + 1] - op.offsets[c]);
      }
    };
    uint32_t next = 0;  // first customer not yet placed
    for (uint32_t c : reread_) {
      if (next < c) copy_orders(next, std::min(c, old_n));
      for (uint32_t k = std::max(next, old_n); k < c; ++k) {  // new customers without changes: no rows
        o.offsets[k + 1] = o.offsets[k];
        p.offsets[k + 1] = p.offsets[k];
      }
      RETURN_IF_ERROR(ReadOrdersOf(c));
      o.offsets[c + 1] = static_cast<uint32_t>(o.at.size());
      p.offsets[c + 1] = static_cast<uint32_t>(p.at.size());
      next = c + 1;
    }
    if (next < old_n) copy_orders(next, old_n);
    for (uint32_t k = std::max(next, old_n); k < n; ++k) {
      o.offsets[k + 1] = o.offsets[k];
      p.offsets[k + 1] = p.offsets[k];
    }
    return Status::Ok();
  }

  // Appends customer c's orders (by time, then id) and their lines.
  Status ReadOrdersOf(uint32_t c) {
    Orders& o = s_->orders;
    Purchases& p = s_->purchases;
    Statement& q = db_.Query("engine-orders-of");
    q.Bind(":id", s_->customer_ids[c]);
    struct Order {
      int64_t id, at;
      uint32_t currency, channel, status;
      int digits;
    };
    std::vector<Order> orders;
    while (true) {
      ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      Order order{q.Int(0), q.Int(1), o.currencies.Intern(q.Text(3)), o.channels.Intern(q.Text(4)),
                  o.statuses.Intern(q.Text(5)), CurrencyMinorDigits(q.Text(3))};
      o.at.push_back(order.at);
      o.amount.push_back(MajorUnits(q.Int(2), order.digits));
      o.channel.push_back(order.channel);
      o.status.push_back(order.status);
      o.currency.push_back(order.currency);
      orders.push_back(order);
    }
    q.Reset();
    for (const Order& order : orders) {
      Statement& l = db_.Query("engine-order-lines-of");
      l.Bind(":id", order.id);
      while (true) {
        ASSIGN_OR_RETURN(bool row, l.Step());
        if (!row) break;
        auto prod = l.IsNull(1) ? product_index_.end() : product_index_.find(l.Int(1));
        p.at.push_back(order.at);
        p.product.push_back(prod == product_index_.end() ? UINT32_MAX : prod->second);
        p.order_channel.push_back(order.channel);
        p.status.push_back(order.status);
        p.currency.push_back(order.currency);
        p.quantity.push_back(static_cast<double>(l.Int(2)));
        p.unit_price.push_back(MajorUnits(l.Int(3), order.digits));
        p.amount.push_back(MajorUnits(l.Int(2) * l.Int(3) - l.Int(4), order.digits));
      }
      l.Reset();
    }
    return Status::Ok();
  }

  // Merges the new events into each customer's time-ordered rows, remaps event
  // positions, and carries loaded property columns over.
  Status MergeEvents() {
    Snapshot& s = *s_;
    const Events& oe = old_.events;
    Events& e = s.events;
    e.types = oe.types;
    e.max_event_id = now_.max_event_id;
    if (now_.max_event_id < old_.watermarks.max_event_id) return FailedPrecondition("rebuild: events went away");
    struct NewEvent {
      uint32_t customer;
      int64_t at, id;
      uint32_t type;
    };
    std::vector<NewEvent> added;
    Statement& q = db_.Query("engine-events-after");
    q.Bind(":after", old_.watermarks.max_event_id).Bind(":max_id", now_.max_event_id);
    while (true) {
      ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      uint32_t c = s.IndexOf(q.Int(1));
      if (c == UINT32_MAX) return FailedPrecondition("rebuild: an event belongs to a customer the snapshot lacks");
      added.push_back({c, q.Int(2), q.Int(0), e.types.Intern(q.Text(3))});
    }
    q.Reset();
    stats_.new_events = added.size();
    std::sort(added.begin(), added.end(), [](const NewEvent& a, const NewEvent& b) {
      if (a.customer != b.customer) return a.customer < b.customer;
      return a.at != b.at ? a.at < b.at : a.id < b.id;
    });
    const uint32_t n = s.customer_count(), old_n = old_.customer_count();
    const size_t total = oe.at.size() + added.size();
    e.offsets.assign(n + 1, 0);
    e.at.resize(total);
    e.type.resize(total);
    // New event i goes to placed[i]; before it in the merged order are
    // old_before[i] old rows (nondecreasing), so old row r moves to
    // r + (number of new events with old_before <= r).
    std::vector<uint32_t> placed(added.size()), old_before(added.size());
    auto moved = [&old_before](uint32_t r) {
      return r + static_cast<uint32_t>(std::upper_bound(old_before.begin(), old_before.end(), r) - old_before.begin());
    };
    size_t out = 0, a = 0;
    for (uint32_t c = 0; c < n; ++c) {
      // New customers have no old rows: all old rows come before theirs.
      const uint32_t old_total = oe.offsets[old_n];
      uint32_t r = c < old_n ? oe.offsets[c] : old_total, r_end = c < old_n ? oe.offsets[c + 1] : old_total;
      if (a == added.size() || added[a].customer != c) {
        // No new events: one block copy.
        std::copy(oe.at.begin() + r, oe.at.begin() + r_end, e.at.begin() + out);
        std::copy(oe.type.begin() + r, oe.type.begin() + r_end, e.type.begin() + out);
        out += r_end - r;
      } else {
        // Old rows first on equal times: their ids are all smaller.
        while (r < r_end || (a < added.size() && added[a].customer == c)) {
          bool take_new = a < added.size() && added[a].customer == c && (r == r_end || added[a].at < oe.at[r]);
          if (take_new) {
            e.at[out] = added[a].at;
            e.type[out] = added[a].type;
            old_before[a] = r;
            placed[a++] = static_cast<uint32_t>(out++);
          } else {
            e.at[out] = oe.at[r++];
            e.type[out++] = oe.type[r - 1];
          }
        }
      }
      e.offsets[c + 1] = static_cast<uint32_t>(out);
    }
    // Sequential over ids; the shift look-up searches only the (small) list of
    // insertions, not an old->new table that ids would visit in random order.
    s.event_position_.assign(static_cast<size_t>(now_.max_event_id) + 1, UINT32_MAX);
    if (added.empty()) {
      std::copy(old_.event_position_.begin(), old_.event_position_.end(), s.event_position_.begin());
    } else {
      for (size_t id = 0; id < old_.event_position_.size(); ++id) {
        uint32_t position = old_.event_position_[id];
        if (position != UINT32_MAX) s.event_position_[id] = moved(position);
      }
    }
    for (size_t i = 0; i < added.size(); ++i) s.event_position_[added[i].id] = placed[i];

    // Property columns the old snapshot has loaded: moved, plus the new events'
    // values, so that a stream of events does not make every publication
    // re-read every event's properties.
    std::vector<std::pair<std::string, const PropertyColumn*>> loaded;
    {
      std::lock_guard lock(old_.property_mutex_);
      for (const auto& [key, column] : old_.properties_) loaded.emplace_back(key, column.get());
    }
    for (const auto& [key, old_column] : loaded) {
      auto column = std::make_unique<PropertyColumn>();
      column->dict = old_column->dict;
      column->numbers = old_column->numbers;
      column->codes.assign(total, 0);
      if (old_column->codes.size() != oe.at.size()) continue;  // cannot happen; reload on use
      // Old rows keep their order: copy the runs between insertions.
      uint32_t from = 0;
      for (size_t i = 0; i <= old_before.size(); ++i) {
        uint32_t to = i < old_before.size() ? old_before[i] : static_cast<uint32_t>(oe.at.size());
        std::copy(old_column->codes.begin() + from, old_column->codes.begin() + to, column->codes.begin() + from + i);
        from = to;
      }
      if (!added.empty()) {
        Statement& pq = db_.Query("engine-event-property-after");
        pq.Bind(":path", JsonPathOf(key))
            .Bind(":after", old_.watermarks.max_event_id)
            .Bind(":max_id", now_.max_event_id);
        while (true) {
          ASSIGN_OR_RETURN(bool row, pq.Step());
          if (!row) break;
          int64_t id = pq.Int(0);
          if (pq.IsNull(1) || id < 0 || static_cast<size_t>(id) >= s.event_position_.size()) continue;
          uint32_t position = s.event_position_[id];
          if (position == UINT32_MAX) continue;
          uint32_t code = column->dict.Intern(pq.Text(1));
          if (column->numbers.size() < column->dict.size()) column->numbers.resize(column->dict.size(), kMissing);
          if (pq.IsNumeric(1)) column->numbers[code] = pq.Double(1);
          column->codes[position] = code;
        }
        pq.Reset();
      }
      column->numbers.resize(column->dict.size(), kMissing);
      s.properties_.emplace(key, std::move(column));
    }
    return Status::Ok();
  }

  const Snapshot& old_;
  Database& db_;
  Watermarks now_;
  DeltaStats& stats_;
  std::shared_ptr<Snapshot> s_;
  std::unordered_map<int64_t, uint32_t> product_index_;
  std::vector<uint32_t> reread_;  // dense indexes of new and changed customers, ascending
};

Result<std::shared_ptr<const Snapshot>> ApplyDelta(const std::shared_ptr<const Snapshot>& base, Database& db,
                                                   const Clock& clock, DeltaStats* stats) {
  DeltaStats local;
  if (!stats) stats = &local;
  *stats = DeltaStats{};
  if (!base) return FailedPrecondition("rebuild: there is no snapshot to bring up to date");
  // One read transaction: the watermarks and every row read agree.
  RETURN_IF_ERROR(db.Exec("BEGIN"));
  struct EndRead {
    Database& db;
    ~EndRead() { (void)db.Exec("COMMIT"); }
  } end_read{db};
  ASSIGN_OR_RETURN(Watermarks now, ReadWatermarks(db));
  const Watermarks& was = base->watermarks;
  if (now == was) return base;
  if (now.schema_version != was.schema_version) return FailedPrecondition("rebuild: the schema changed");
  if (now.rebuild_generation != was.rebuild_generation) {
    return FailedPrecondition("rebuild: the store changed in a way only a rebuild can apply");
  }
  if (now.change_seq < was.change_seq) return FailedPrecondition("rebuild: the change log went back");
  DeltaBuilder builder(*base, db, now, *stats);
  return builder.Run(clock);
}

Result<std::shared_ptr<const Snapshot>> RefreshSnapshot(const std::shared_ptr<const Snapshot>& base, Database& db,
                                                        const Clock& clock, RefreshKind* kind) {
  if (base) {
    auto delta = ApplyDelta(base, db, clock);
    if (delta.ok()) {
      if (kind) *kind = *delta == base ? RefreshKind::kUnchanged : RefreshKind::kDelta;
      return delta;
    }
    if (delta.status().code() != StatusCode::kFailedPrecondition) return delta.status();
  }
  if (kind) *kind = RefreshKind::kRebuild;
  return BuildSnapshot(db, clock);
}

}  // namespace patron::engine
