// Building the engine snapshot from the store, and its small helpers.
#include <roaring/roaring.hh>

#include <algorithm>
#include <limits>

#include "engine/build_internal.h"
#include "engine/engine.h"
#include "store/store.h"

namespace patron::engine {

std::string_view ValueTypeName(ValueType t) {
  switch (t) {
    case ValueType::kText: return "text";
    case ValueType::kInteger: return "integer";
    case ValueType::kNumber: return "number";
    case ValueType::kBoolean: return "boolean";
    case ValueType::kDate: return "date";
    case ValueType::kTimestamp: return "timestamp";
  }
  return "text";
}

std::string_view ChannelName(Channel c) {
  switch (c) {
    case Channel::kEmail: return "email";
    case Channel::kSms: return "sms";
    case Channel::kPhone: return "phone";
    case Channel::kMail: return "mail";
    case Channel::kPush: return "push";
  }
  return "email";
}

Result<Channel> ParseChannel(std::string_view name) {
  for (int i = 0; i < kChannelCount; ++i) {
    if (ChannelName(static_cast<Channel>(i)) == name) return static_cast<Channel>(i);
  }
  return InvalidArgument("unknown channel \"" + std::string(name) + "\": expected email, sms, phone, mail or push");
}

uint32_t Dictionary::Intern(std::string_view value) {
  if (value.empty()) return 0;
  auto it = index.find(value);
  if (it != index.end()) return it->second;
  auto code = static_cast<uint32_t>(values.size());
  values.emplace_back(value);
  folded.push_back(IsValidUtf8(value) ? FoldForMatching(value) : std::string(value));
  index.emplace(std::string(value), code);
  return code;
}

const std::vector<FieldInfo>& ProfileFields() {
  static const std::vector<FieldInfo> fields = {
      {"given_name", ValueType::kText},       {"family_name", ValueType::kText},
      {"full_name", ValueType::kText},        {"salutation", ValueType::kText},
      {"gender", ValueType::kText},           {"birth_date", ValueType::kDate},
      {"marital_status", ValueType::kText},   {"education", ValueType::kText},
      {"income_band", ValueType::kText},      {"household_size", ValueType::kInteger},
      {"language", ValueType::kText},         {"time_zone", ValueType::kText},
      {"city", ValueType::kText},             {"region", ValueType::kText},
      {"country", ValueType::kText},          {"acquisition_channel", ValueType::kText},
      {"lifecycle_stage", ValueType::kText},  {"source", ValueType::kText},
      {"created_at", ValueType::kTimestamp},  {"updated_at", ValueType::kTimestamp},
  };
  return fields;
}

const std::vector<FieldInfo>& TraitFields() {
  static const std::vector<FieldInfo> fields = {
      {"rfm", ValueType::kText},                     {"rfm_r", ValueType::kInteger},
      {"rfm_f", ValueType::kInteger},                {"rfm_m", ValueType::kInteger},
      {"lifecycle", ValueType::kText},               {"purchase_days", ValueType::kInteger},
      {"last_purchase_at", ValueType::kTimestamp},   {"expected_purchases_12m", ValueType::kNumber},
      {"p_alive", ValueType::kNumber},               {"churn_risk", ValueType::kNumber},
      {"expected_order_value", ValueType::kNumber},  {"clv_12m", ValueType::kNumber},
      {"best_send_hour", ValueType::kInteger},       {"lead_score", ValueType::kNumber},
      {"lead_stage", ValueType::kText},              {"best_channel", ValueType::kText},
  };
  return fields;
}

const std::vector<FieldInfo>& AccountFields() {
  static const std::vector<FieldInfo> fields = {
      {"name", ValueType::kText},          {"domain", ValueType::kText},
      {"industry_code", ValueType::kText}, {"employees", ValueType::kInteger},
      {"revenue", ValueType::kNumber},     {"currency", ValueType::kText},
      {"tier", ValueType::kText},          {"contract_status", ValueType::kText},
      {"city", ValueType::kText},          {"country", ValueType::kText},
  };
  return fields;
}

std::vector<uint8_t> Categories::Matching(std::string_view name) const {
  std::string wanted = FoldForMatching(name);
  std::vector<uint8_t> direct(slugs.size(), 0);
  for (size_t i = 0; i < slugs.size(); ++i) {
    std::string_view slug = slugs[i];
    size_t slash = slug.rfind('/');
    std::string_view leaf = slash == std::string_view::npos ? slug : slug.substr(slash + 1);
    if (FoldForMatching(slug) == wanted || FoldForMatching(leaf) == wanted || FoldForMatching(names[i]) == wanted) {
      direct[i] = 1;
    }
  }
  // A category matches when it or any ancestor matches.
  std::vector<uint8_t> result(slugs.size(), 0);
  for (size_t i = 0; i < slugs.size(); ++i) {
    for (int32_t c = static_cast<int32_t>(i); c >= 0; c = parent[c]) {
      if (direct[c]) {
        result[i] = 1;
        break;
      }
    }
  }
  return result;
}

Snapshot::Snapshot() = default;
Snapshot::~Snapshot() = default;

uint32_t Snapshot::IndexOf(int64_t customer_id) const {
  if (customer_id < 0 || static_cast<uint64_t>(customer_id) >= index_by_id_.size()) return UINT32_MAX;
  return index_by_id_[customer_id];
}

namespace internal {

void SetValue(Column& column, uint32_t row, const Statement& q, int col) {
  if (q.IsNull(col)) return;
  if (column.type == ValueType::kText) {
    column.codes[row] = column.dict.Intern(q.Text(col));
  } else if (column.type == ValueType::kDate) {
    std::string_view t = q.Text(col);
    int y = 0, m = 0, d = 0;
    if (t.size() >= 10 && std::sscanf(std::string(t.substr(0, 10)).c_str(), "%4d-%2d-%2d", &y, &m, &d) == 3) {
      column.numbers[row] = y * 10000.0 + m * 100.0 + d;
    }
  } else {
    column.numbers[row] = q.Double(col);
  }
}

void Allocate(Column& column, ValueType type, size_t rows) {
  column.type = type;
  if (type == ValueType::kText) {
    column.codes.assign(rows, 0);
  } else {
    column.numbers.assign(rows, kMissing);
  }
}

void ClearValue(Column& column, uint32_t row) {
  if (column.type == ValueType::kText) {
    column.codes[row] = 0;
  } else {
    column.numbers[row] = kMissing;
  }
}

void Extend(Column& column, size_t rows) {
  if (column.type == ValueType::kText) {
    column.codes.resize(rows, 0);
  } else {
    column.numbers.resize(rows, kMissing);
  }
}

double MajorUnits(int64_t minor, uint32_t digits) {
  static constexpr double kScale[] = {1.0, 10.0, 100.0, 1000.0};
  return static_cast<double>(minor) / kScale[std::min<uint32_t>(digits, 3)];
}

}  // namespace internal

using internal::Allocate;
using internal::MajorUnits;
using internal::SetValue;

namespace {

size_t ColumnBytes(const Column& c) {
  size_t n = c.codes.capacity() * 4 + c.numbers.capacity() * 8;
  for (const auto& s : c.dict.values) n += s.capacity() + 32;
  return n;
}

// Groups rows by customer, each customer's rows in ascending (at, tie). Returns
// the permutation (new position -> input row) and fills offsets (customers + 1).
// The input is bucketed stably, so rows already in time order need no sort.
std::vector<uint32_t> GroupByCustomer(uint32_t customers, const std::vector<uint32_t>& customer,
                                      const std::vector<int64_t>& at, const std::vector<int64_t>& tie,
                                      std::nullptr_t, Array<uint32_t>& offsets) {
  offsets.assign(customers + 1, 0);
  for (uint32_t c : customer) offsets[c + 1]++;
  for (uint32_t c = 0; c < customers; ++c) offsets[c + 1] += offsets[c];
  std::vector<uint32_t> perm(customer.size());
  std::vector<uint32_t> next(offsets.begin(), offsets.end() - 1);
  for (uint32_t row = 0; row < customer.size(); ++row) perm[next[customer[row]]++] = row;
  auto before = [&](uint32_t a, uint32_t b) { return at[a] != at[b] ? at[a] < at[b] : tie[a] < tie[b]; };
  for (uint32_t c = 0; c < customers; ++c) {
    auto first = perm.begin() + offsets[c], last = perm.begin() + offsets[c + 1];
    if (!std::is_sorted(first, last, before)) std::sort(first, last, before);
  }
  return perm;
}

template <typename T>
std::vector<T> Permute(const std::vector<T>& values, const std::vector<uint32_t>& perm) {
  std::vector<T> out(perm.size());
  for (size_t i = 0; i < perm.size(); ++i) out[i] = values[perm[i]];
  return out;
}


// Fills `offsets` (customers + 1) from the number of rows of each customer.
void FinishOffsets(Array<uint32_t>& offsets, const std::vector<uint32_t>& counts) {
  offsets.assign(counts.size() + 1, 0);
  for (size_t i = 0; i < counts.size(); ++i) offsets[i + 1] = offsets[i] + counts[i];
}

}  // namespace

size_t Snapshot::EventBytes() const {
  return events.at.capacity() * 8 + events.type.capacity() * 4 + events.offsets.capacity() * 4 +
         event_position_.capacity() * 4;
}

size_t Snapshot::MemoryBytes() const {
  size_t n = customer_ids.capacity() * 8 + index_by_id_.capacity() * 4;
  for (const auto& [_, c] : profile) n += ColumnBytes(c);
  for (const auto& [_, c] : attributes) n += ColumnBytes(c);
  for (const auto& [_, c] : account_columns) n += ColumnBytes(c);
  for (const auto& [_, b] : tags) n += b->getSizeInBytes();
  for (const auto& [_, b] : consent_granted) n += b->getSizeInBytes();
  for (const auto& v : contact_fresh_at) n += v.capacity() * 8;
  n += (scores.recommended_offsets.capacity() + scores.recommended.capacity() +
        scores.propensity_offsets.capacity() + scores.propensity_category.capacity()) * 4 +
       scores.propensity.capacity() * 8;
  n += orders.at.capacity() * (8 + 8 + 12) + purchases.at.capacity() * (8 + 4 + 12 + 24);
  n += EventBytes();
  std::lock_guard lock(property_mutex_);
  for (const auto& [_, p] : properties_) n += p->codes.capacity() * 4 + p->numbers.capacity() * 8;
  return n;
}

namespace {

// Fills first/last per customer from the rows of `g` for which `keep(row)`.
template <typename Keep>
void ComputeBounds(const Grouped& g, uint32_t customers, Keep keep, Snapshot::TimeBounds& b) {
  b.first.assign(customers, std::numeric_limits<int64_t>::max());
  b.last.assign(customers, std::numeric_limits<int64_t>::min());
  for (uint32_t c = 0; c < customers; ++c) {
    for (uint32_t r = g.offsets[c]; r < g.offsets[c + 1]; ++r) {
      if (!keep(r)) continue;
      b.first[c] = std::min(b.first[c], g.at[r]);
      b.last[c] = std::max(b.last[c], g.at[r]);
    }
  }
}

}  // namespace

const Snapshot::TimeBounds& Snapshot::EventTypeBounds(uint32_t type_code) const {
  std::lock_guard lock(bounds_mutex_);
  auto& slot = bounds_[{0, type_code}];
  if (!slot) {
    slot = std::make_unique<TimeBounds>();
    const uint32_t* type = events.type.data();
    ComputeBounds(events, customer_count(), [type, type_code](uint32_t r) { return type[r] == type_code; }, *slot);
  }
  return *slot;
}

const Snapshot::TimeBounds& Snapshot::CategoryBounds(int32_t category) const {
  std::lock_guard lock(bounds_mutex_);
  auto& slot = bounds_[{1, category}];
  if (!slot) {
    slot = std::make_unique<TimeBounds>();
    const uint32_t* product = purchases.product.data();
    const int32_t* product_category = products.category.data();
    ComputeBounds(purchases, customer_count(), [=](uint32_t r) {
      return product[r] != UINT32_MAX && product_category[product[r]] == category;
    }, *slot);
  }
  return *slot;
}

const Snapshot::TimeBounds& Snapshot::OrderBounds() const {
  std::lock_guard lock(bounds_mutex_);
  auto& slot = bounds_[{2, 0}];
  if (!slot) {
    slot = std::make_unique<TimeBounds>();
    ComputeBounds(orders, customer_count(), [](uint32_t) { return true; }, *slot);
  }
  return *slot;
}

const Snapshot::TimeBounds& Snapshot::PurchaseBounds() const {
  std::lock_guard lock(bounds_mutex_);
  auto& slot = bounds_[{3, 0}];
  if (!slot) {
    slot = std::make_unique<TimeBounds>();
    ComputeBounds(purchases, customer_count(), [](uint32_t) { return true; }, *slot);
  }
  return *slot;
}

const Snapshot::TypeRows& Snapshot::EventTypeRows(uint32_t type_code) const {
  std::lock_guard lock(bounds_mutex_);
  auto& slot = type_rows_[type_code];
  if (!slot) {
    slot = std::make_unique<TypeRows>();
    const uint32_t n = customer_count();
    slot->offsets.assign(n + 1, 0);
    for (uint32_t c = 0; c < n; ++c) {
      for (uint32_t r = events.offsets[c]; r < events.offsets[c + 1]; ++r) {
        if (events.type[r] == type_code) slot->rows.push_back(r);
      }
      slot->offsets[c + 1] = static_cast<uint32_t>(slot->rows.size());
    }
    slot->rows.shrink_to_fit();
  }
  return *slot;
}

Result<const PropertyColumn*> Snapshot::Property(std::string_view key) const {
  std::lock_guard lock(property_mutex_);
  if (auto it = properties_.find(key); it != properties_.end()) return it->second.get();
  auto column = std::make_unique<PropertyColumn>();
  const bool on_disk = !db_path_.empty() && db_path_ != ":memory:" && db_path_.rfind("file::memory:", 0) != 0;
  if (!events.at.empty()) {
    column->codes.assign(events.at.size(), 0);
    // What an earlier process read is on disk beside the snapshot file; only
    // events after it are read from the store (all of them the first time).
    const int64_t cached_to =
        on_disk ? internal::LoadPropertyCache(db_path_, key, watermarks.rebuild_generation, events.max_event_id,
                                              event_position_, column.get())
                : 0;
    if (cached_to < events.max_event_id) {
      DatabaseOptions options;
      options.read_only = true;
      ASSIGN_OR_RETURN(auto db, Database::Open(db_path_, options));
      Statement& q = db->Query("engine-event-property-after");
      std::string path = "$.\"";
      for (char c : key) {
        if (c == '"' || c == '\\') path.push_back('\\');
        path.push_back(c);
      }
      path += "\"";
      q.Bind(":path", path).Bind(":after", cached_to).Bind(":max_id", events.max_event_id);
      size_t seen = 0;
      while (true) {
        ASSIGN_OR_RETURN(bool row, q.Step());
        if (!row) break;
        int64_t id = q.Int(0);
        uint32_t position =
            id >= 0 && static_cast<size_t>(id) < event_position_.size() ? event_position_[id] : UINT32_MAX;
        if (position == UINT32_MAX) continue;  // an event the snapshot does not have
        seen++;
        if (q.IsNull(1)) continue;
        uint32_t code = column->dict.Intern(q.Text(1));
        if (column->numbers.size() < column->dict.size()) column->numbers.resize(column->dict.size(), kMissing);
        // A value is a number when the JSON held a number (not a string of digits).
        if (q.IsNumeric(1)) column->numbers[code] = q.Double(1);
        column->codes[position] = code;
      }
      q.Reset();
      // Every snapshot event after the cached ones must still be in the store.
      size_t expected = 0;
      for (size_t id = static_cast<size_t>(cached_to) + 1; id < event_position_.size(); ++id)
        expected += event_position_[id] != UINT32_MAX;
      if (seen != expected) {
        return FailedPrecondition("the store's events changed since the engine snapshot was built; rebuild it");
      }
      column->numbers.resize(column->dict.size(), kMissing);
      if (on_disk)
        internal::SavePropertyCache(db_path_, key, watermarks.rebuild_generation, events.max_event_id,
                                    event_position_, *column);
    }
  }
  column->numbers.resize(column->dict.size(), kMissing);
  const PropertyColumn* result = column.get();
  properties_.emplace(std::string(key), std::move(column));
  return result;
}

Result<std::shared_ptr<const Snapshot>> BuildSnapshot(Database& db, const Clock& clock,
                                                      const std::function<void(uint64_t, uint64_t)>& progress) {
  auto snap = std::make_shared<Snapshot>();
  snap->built_at = clock.Now();
  snap->db_path_ = db.path();
  // No memory-mapped reads (PRAGMA mmap_size): every page of the tables read
  // would count as the process's memory (2.1 GB of a 3.6 GB store at 1M / 20M,
  // the whole store at scale) for about the same CPU time as reading them.
  // One read transaction: every table is read at the same point in time.
  RETURN_IF_ERROR(db.Exec("BEGIN"));
  struct EndRead {
    Database& db;
    ~EndRead() { (void)db.Exec("COMMIT"); }
  } end_read{db};

  ASSIGN_OR_RETURN(snap->watermarks, ReadWatermarks(db));
  ASSIGN_OR_RETURN(int64_t total_rows,
                   db.QueryInt("SELECT (SELECT count(*) FROM customers) + (SELECT count(*) FROM orders) + "
                               "(SELECT count(*) FROM order_lines) + (SELECT count(*) FROM events)"));
  uint64_t done = 0;
  auto tick = [&] {
    if (progress && (++done & 0xFFFF) == 0) progress(done, static_cast<uint64_t>(total_rows));
  };

  // Customers and their profile columns.
  ASSIGN_OR_RETURN(int64_t customer_count, db.QueryInt("SELECT count(*) FROM customers"));
  ASSIGN_OR_RETURN(int64_t max_customer_id, db.QueryInt("SELECT coalesce(max(id), 0) FROM customers"));
  const auto& fields = ProfileFields();
  for (const auto& f : fields) Allocate(snap->profile[std::string(f.name)], f.type, customer_count);
  snap->customer_ids.reserve(customer_count);
  snap->index_by_id_.assign(max_customer_id + 1, UINT32_MAX);
  {
    std::vector<Column*> by_position;
    for (std::string_view name : internal::kCustomerQueryOrder) by_position.push_back(&snap->profile.find(name)->second);
    Statement& q = db.Query("engine-customers");
    while (true) {
      ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      auto index = static_cast<uint32_t>(snap->customer_ids.size());
      if (index >= static_cast<uint32_t>(customer_count)) break;  // inserted after the count: next snapshot
      int64_t id = q.Int(0);
      snap->customer_ids.push_back(id);
      snap->index_by_id_[id] = index;
      for (size_t i = 0; i < by_position.size(); ++i) SetValue(*by_position[i], index, q, static_cast<int>(i + 1));
      tick();
    }
    q.Reset();
  }
  const uint32_t n = snap->customer_count();

  // Computed traits.
  {
    for (const auto& f : TraitFields()) Allocate(snap->profile[std::string(f.name)], f.type, n);
    static constexpr std::string_view kQueryOrder[] = {
        "rfm", "rfm_r", "rfm_f", "rfm_m", "lifecycle", "purchase_days", "last_purchase_at",
        "expected_purchases_12m", "p_alive", "churn_risk", "expected_order_value", "clv_12m", "best_send_hour",
        "lead_score", "lead_stage", "best_channel"};
    std::vector<Column*> by_position;
    for (std::string_view name : kQueryOrder) by_position.push_back(&snap->profile.find(name)->second);
    Statement& q = db.Query("engine-customer-traits");
    while (true) {
      ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      uint32_t c = snap->IndexOf(q.Int(0));
      if (c == UINT32_MAX) continue;
      int digits = CurrencyMinorDigits(q.IsNull(17) ? std::string_view() : q.Text(17));
      for (size_t i = 0; i < by_position.size(); ++i) {
        int col = static_cast<int>(i + 1);
        std::string_view name = kQueryOrder[i];
        if ((name == "expected_order_value" || name == "clv_12m") && !q.IsNull(col)) {
          by_position[i]->numbers[c] = MajorUnits(q.Int(col), digits);
        } else {
          SetValue(*by_position[i], c, q, col);
        }
      }
    }
    q.Reset();
  }

  // Custom attributes, typed by their declaration (undeclared ones are text).
  {
    Statement& defs = db.Query("engine-attribute-definitions");
    while (true) {
      ASSIGN_OR_RETURN(bool row, defs.Step());
      if (!row) break;
      std::string type = defs.String(1);
      ValueType t = type == "integer"   ? ValueType::kInteger
                    : type == "number"  ? ValueType::kNumber
                    : type == "boolean" ? ValueType::kBoolean
                    : type == "date"    ? ValueType::kDate
                    : type == "timestamp" ? ValueType::kTimestamp
                                        : ValueType::kText;
      Allocate(snap->attributes[defs.String(0)], t, n);
    }
    defs.Reset();
    Statement& q = db.Query("engine-customer-attributes");
    while (true) {
      ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      uint32_t c = snap->IndexOf(q.Int(0));
      if (c == UINT32_MAX) continue;
      std::string name = q.String(1);
      auto it = snap->attributes.find(name);
      if (it == snap->attributes.end()) {
        it = snap->attributes.emplace(name, Column{}).first;
        Allocate(it->second, ValueType::kText, n);
      }
      Column& col = it->second;
      if (col.type == ValueType::kText || col.type == ValueType::kDate) {
        SetValue(col, c, q, 2);
      } else {
        // A numeric attribute keeps only values stored as numbers (text is missing).
        if (q.IsNumeric(2)) col.numbers[c] = q.Double(2);
      }
    }
    q.Reset();
  }

  // Tags.
  {
    Statement& q = db.Query("engine-tags");
    std::map<std::string, std::vector<uint32_t>> members;
    while (true) {
      ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      uint32_t c = snap->IndexOf(q.Int(0));
      if (c == UINT32_MAX) continue;
      members[FoldForMatching(q.Text(1))].push_back(c);
    }
    q.Reset();
    for (auto& [tag, ids] : members) {
      std::sort(ids.begin(), ids.end());
      auto bitmap = std::make_unique<::Roaring>(ids.size(), ids.data());
      bitmap->runOptimize();
      snap->tags.emplace(tag, std::move(bitmap));
    }
  }

  // Accounts and memberships.
  {
    ASSIGN_OR_RETURN(int64_t account_count, db.QueryInt("SELECT count(*) FROM accounts"));
    for (const auto& f : AccountFields()) Allocate(snap->account_columns[std::string(f.name)], f.type, account_count);
    std::unordered_map<int64_t, uint32_t> account_index;
    Statement& q = db.Query("engine-accounts");
    static constexpr std::string_view kQueryOrder[] = {"name", "domain", "industry_code", "employees",
                                                       "revenue", "currency", "tier", "contract_status",
                                                       "city", "country"};
    while (true) {
      ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      auto index = static_cast<uint32_t>(snap->account_ids.size());
      if (index >= static_cast<uint32_t>(account_count)) break;
      snap->account_ids.push_back(q.Int(0));
      account_index[q.Int(0)] = index;
      for (size_t i = 0; i < std::size(kQueryOrder); ++i) {
        Column& col = snap->account_columns.find(kQueryOrder[i])->second;
        if (kQueryOrder[i] == "revenue") {
          if (!q.IsNull(5)) col.numbers[index] = MajorUnits(q.Int(5), CurrencyMinorDigits(q.Text(6)));
        } else {
          SetValue(col, index, q, static_cast<int>(i + 1));
        }
      }
    }
    q.Reset();
    std::vector<uint32_t> counts(n, 0);
    std::vector<std::pair<uint32_t, uint32_t>> pairs;
    Statement& m = db.Query("engine-account-members");
    while (true) {
      ASSIGN_OR_RETURN(bool row, m.Step());
      if (!row) break;
      uint32_t c = snap->IndexOf(m.Int(0));
      auto a = account_index.find(m.Int(1));
      if (c == UINT32_MAX || a == account_index.end()) continue;
      pairs.emplace_back(c, a->second);
      counts[c]++;
    }
    m.Reset();
    FinishOffsets(snap->account_offsets, counts);
    snap->account_members.resize(pairs.size());
    for (size_t i = 0; i < pairs.size(); ++i) snap->account_members[i] = pairs[i].second;
  }

  // Categories and products.
  std::unordered_map<int64_t, int32_t> category_index;
  {
    Statement& q = db.Query("engine-categories");
    std::vector<int64_t> parent_ids;
    while (true) {
      ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      category_index[q.Int(0)] = static_cast<int32_t>(snap->categories.slugs.size());
      snap->categories.slugs.push_back(q.String(1));
      snap->categories.names.push_back(q.String(2));
      parent_ids.push_back(q.IsNull(3) ? 0 : q.Int(3));
    }
    q.Reset();
    for (int64_t p : parent_ids) {
      auto it = category_index.find(p);
      snap->categories.parent.push_back(it == category_index.end() ? -1 : it->second);
    }
  }
  std::unordered_map<int64_t, uint32_t> product_index;
  {
    ASSIGN_OR_RETURN(int64_t product_count, db.QueryInt("SELECT count(*) FROM products"));
    Products& p = snap->products;
    Allocate(p.sku, ValueType::kText, product_count);
    Allocate(p.name, ValueType::kText, product_count);
    Allocate(p.brand, ValueType::kText, product_count);
    Statement& q = db.Query("engine-products");
    while (true) {
      ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      auto index = static_cast<uint32_t>(p.ids.size());
      if (index >= static_cast<uint32_t>(product_count)) break;
      p.ids.push_back(q.Int(0));
      product_index[q.Int(0)] = index;
      SetValue(p.sku, index, q, 1);
      SetValue(p.name, index, q, 2);
      auto cat = q.IsNull(3) ? category_index.end() : category_index.find(q.Int(3));
      p.category.push_back(cat == category_index.end() ? -1 : cat->second);
      SetValue(p.brand, index, q, 4);
    }
    q.Reset();
  }

  // Recommendations and category propensities (model scores), grouped by customer.
  {
    ModelScores& m = snap->scores;
    m.recommended_offsets.assign(n + 1, 0);
    m.propensity_offsets.assign(n + 1, 0);
    Statement& r = db.Query("engine-customer-recommendations");
    std::vector<uint32_t> owner;
    while (true) {
      ASSIGN_OR_RETURN(bool row, r.Step());
      if (!row) break;
      uint32_t c = snap->IndexOf(r.Int(0));
      auto prod = product_index.find(r.Int(1));
      if (c == UINT32_MAX || prod == product_index.end()) continue;
      owner.push_back(c);
      m.recommended.push_back(prod->second);
    }
    r.Reset();
    // Rows come in customer-id order, which is dense-index order.
    for (uint32_t c : owner) ++m.recommended_offsets[c + 1];
    for (uint32_t c = 0; c < n; ++c) m.recommended_offsets[c + 1] += m.recommended_offsets[c];
    owner.clear();
    Statement& q = db.Query("engine-customer-propensities");
    while (true) {
      ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      uint32_t c = snap->IndexOf(q.Int(0));
      auto cat = category_index.find(q.Int(1));
      if (c == UINT32_MAX || cat == category_index.end()) continue;
      owner.push_back(c);
      m.propensity_category.push_back(cat->second);
      m.propensity.push_back(q.Double(2));
    }
    q.Reset();
    for (uint32_t c : owner) ++m.propensity_offsets[c + 1];
    for (uint32_t c = 0; c < n; ++c) m.propensity_offsets[c + 1] += m.propensity_offsets[c];
  }

  // Orders, order lines and events are read in storage order (a sequential
  // scan: reading them in customer order through an index would cost a random
  // page read per row) and grouped by customer in memory.
  {
    Orders& o = snap->orders;
    std::vector<uint32_t> customer;
    std::vector<int64_t> ids, at;
    std::vector<double> amount;
    std::vector<uint32_t> channel, status, currency;
    Statement& q = db.Query("engine-orders");
    while (true) {
      ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      uint32_t c = snap->IndexOf(q.Int(1));
      if (c == UINT32_MAX) continue;
      ids.push_back(q.Int(0));
      customer.push_back(c);
      at.push_back(q.Int(2));
      currency.push_back(o.currencies.Intern(q.Text(4)));
      amount.push_back(MajorUnits(q.Int(3), CurrencyMinorDigits(q.Text(4))));
      channel.push_back(o.channels.Intern(q.Text(5)));
      status.push_back(o.statuses.Intern(q.Text(6)));
      tick();
    }
    q.Reset();
    std::vector<uint32_t> perm = GroupByCustomer(n, customer, at, ids, nullptr, o.offsets);
    o.at = Permute(at, perm);
    o.amount = Permute(amount, perm);
    o.channel = Permute(channel, perm);
    o.status = Permute(status, perm);
    o.currency = Permute(currency, perm);
    // Order id -> position, for the order lines below.
    std::unordered_map<int64_t, uint32_t> order_position;
    order_position.reserve(ids.size());
    for (uint32_t i = 0; i < perm.size(); ++i) order_position.emplace(ids[perm[i]], i);
    std::vector<uint32_t> order_customer(perm.size());
    for (uint32_t c = 0; c < n; ++c) {
      for (uint32_t i = o.offsets[c]; i < o.offsets[c + 1]; ++i) order_customer[i] = c;
    }

    Purchases& p = snap->purchases;
    std::vector<uint32_t> line_customer, line_order, product;
    std::vector<int64_t> line_at, line_key;
    std::vector<double> quantity, unit_price, line_amount;
    Statement& l = db.Query("engine-order-lines");
    while (true) {
      ASSIGN_OR_RETURN(bool row, l.Step());
      if (!row) break;
      auto pos = order_position.find(l.Int(0));
      if (pos == order_position.end()) continue;
      uint32_t op = pos->second;
      line_customer.push_back(order_customer[op]);
      line_order.push_back(op);
      line_at.push_back(o.at[op]);
      // Lines sort by their order's position (time, then order id) and line number.
      line_key.push_back(static_cast<int64_t>(op) << 20 | (l.Int(1) & 0xFFFFF));
      auto prod = l.IsNull(2) ? product_index.end() : product_index.find(l.Int(2));
      product.push_back(prod == product_index.end() ? UINT32_MAX : prod->second);
      int digits = CurrencyMinorDigits(o.currencies.values[o.currency[op]]);
      quantity.push_back(static_cast<double>(l.Int(3)));
      unit_price.push_back(MajorUnits(l.Int(4), digits));
      line_amount.push_back(MajorUnits(l.Int(3) * l.Int(4) - l.Int(5), digits));
      tick();
    }
    l.Reset();
    std::vector<uint32_t> lperm = GroupByCustomer(n, line_customer, line_at, line_key, nullptr, p.offsets);
    p.at = Permute(line_at, lperm);
    p.product = Permute(product, lperm);
    p.quantity = Permute(quantity, lperm);
    p.unit_price = Permute(unit_price, lperm);
    p.amount = Permute(line_amount, lperm);
    std::vector<uint32_t> sorted_order = Permute(line_order, lperm);
    p.order_channel.resize(sorted_order.size());
    p.status.resize(sorted_order.size());
    p.currency.resize(sorted_order.size());
    for (size_t i = 0; i < sorted_order.size(); ++i) {
      p.order_channel[i] = o.channel[sorted_order[i]];
      p.status[i] = o.status[sorted_order[i]];
      p.currency[i] = o.currency[sorted_order[i]];
    }
  }

  {
    Events& e = snap->events;
    Statement& max = db.Query("engine-max-event-id");
    ASSIGN_OR_RETURN(bool has, max.Step());
    e.max_event_id = has ? max.Int(0) : 0;
    max.Reset();
    snap->watermarks.max_event_id = e.max_event_id;
    // Positions are u32 and event_position_ has an entry per id up to the largest.
    if (e.max_event_id >= int64_t{UINT32_MAX}) return FailedPrecondition("event ids beyond 2^32 are not supported");
    // Events are most of the store: they go straight into their final columns,
    // allocated exactly, with no temporary copy of every event (peak memory
    // during a build is the snapshot's plus 4 bytes per event). First the
    // number of events per customer (from the customer index, without reading
    // the table), which gives each customer's range; then the table in storage
    // order, each event put at its customer's next free place.
    std::vector<uint32_t> next(n, 0);
    {
      Statement& q = db.Query("engine-event-counts");
      q.Bind(":max_id", e.max_event_id);
      while (true) {
        ASSIGN_OR_RETURN(bool row, q.Step());
        if (!row) break;
        uint32_t c = snap->IndexOf(q.Int(0));
        if (c == UINT32_MAX) {
          return FailedPrecondition("an event belongs to a customer created after the snapshot began; rebuild it");
        }
        next[c] = static_cast<uint32_t>(q.Int(1));
      }
      q.Reset();
    }
    e.offsets.assign(static_cast<size_t>(n) + 1, 0);
    for (uint32_t c = 0; c < n; ++c) {
      if (uint64_t{e.offsets[c]} + next[c] >= UINT32_MAX) return FailedPrecondition("more than 2^32 events");
      e.offsets[c + 1] = e.offsets[c] + next[c];
      next[c] = e.offsets[c];
    }
    const size_t total = e.offsets[n];
    e.at.resize(total);
    e.type.resize(total);
    std::vector<uint32_t> id_at(total);  // position -> event id
    Statement& q = db.Query("engine-events");
    q.Bind(":max_id", e.max_event_id);
    while (true) {
      ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      uint32_t c = snap->IndexOf(q.Int(1));
      if (c == UINT32_MAX) {
        return FailedPrecondition("an event belongs to a customer created after the snapshot began; rebuild it");
      }
      if (next[c] == e.offsets[c + 1]) return Internal("the events changed while the snapshot was read");
      const uint32_t at = next[c]++;
      id_at[at] = static_cast<uint32_t>(q.Int(0));
      e.at[at] = q.Int(2);
      e.type[at] = e.types.Intern(q.Text(3));
      tick();
    }
    q.Reset();
    for (uint32_t c = 0; c < n; ++c) {
      if (next[c] != e.offsets[c + 1]) return Internal("the events changed while the snapshot was read");
    }
    std::vector<uint32_t>().swap(next);
    // Each customer's events in ascending (time, id). The table is read in id
    // order, so most customers' events are already in order.
    {
      auto before = [&](uint32_t x, uint32_t y) { return e.at[x] != e.at[y] ? e.at[x] < e.at[y] : id_at[x] < id_at[y]; };
      std::vector<uint32_t> order;
      std::vector<int64_t> at_scratch;
      std::vector<uint32_t> type_scratch, id_scratch;
      for (uint32_t c = 0; c < n; ++c) {
        const uint32_t first = e.offsets[c], last = e.offsets[c + 1];
        bool sorted = true;
        for (uint32_t i = first; i + 1 < last && sorted; ++i) sorted = !before(i + 1, i);
        if (sorted) continue;
        order.resize(last - first);
        for (uint32_t i = first; i < last; ++i) order[i - first] = i;
        std::sort(order.begin(), order.end(), before);
        at_scratch.clear();
        type_scratch.clear();
        id_scratch.clear();
        for (uint32_t i : order) {
          at_scratch.push_back(e.at[i]);
          type_scratch.push_back(e.type[i]);
          id_scratch.push_back(id_at[i]);
        }
        std::copy(at_scratch.begin(), at_scratch.end(), e.at.begin() + first);
        std::copy(type_scratch.begin(), type_scratch.end(), e.type.begin() + first);
        std::copy(id_scratch.begin(), id_scratch.end(), id_at.begin() + first);
      }
    }
    // Event id -> position, so that a property column can be read in storage order.
    snap->event_position_.assign(static_cast<size_t>(e.max_event_id) + 1, UINT32_MAX);
    for (uint32_t i = 0; i < total; ++i) snap->event_position_[id_at[i]] = i;
  }

  // Consents: the latest record per (customer, channel, purpose) decides.
  {
    std::map<std::pair<int, std::string>, std::vector<uint32_t>> granted;
    Statement& q = db.Query("engine-consents");
    int64_t prev_customer = -1;
    std::string prev_channel, prev_purpose, prev_status;
    auto flush = [&] {
      if (prev_customer < 0 || prev_status != "granted") return;
      auto channel = ParseChannel(prev_channel);
      uint32_t c = snap->IndexOf(prev_customer);
      if (channel.ok() && c != UINT32_MAX) granted[{static_cast<int>(*channel), prev_purpose}].push_back(c);
    };
    while (true) {
      ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      int64_t customer = q.Int(0);
      std::string channel = q.String(1), purpose = q.String(2);
      if (customer != prev_customer || channel != prev_channel || purpose != prev_purpose) flush();
      prev_customer = customer;
      prev_channel = std::move(channel);
      prev_purpose = std::move(purpose);
      prev_status = q.String(3);
    }
    flush();
    q.Reset();
    for (auto& [key, ids] : granted) {
      std::sort(ids.begin(), ids.end());
      ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
      snap->consent_granted.emplace(key, std::make_unique<::Roaring>(ids.size(), ids.data()));
    }
  }

  // Verified contact points per channel.
  {
    for (auto& v : snap->contact_fresh_at) v.assign(n, kMissing);
    auto note = [&](Channel ch, uint32_t c, double at) {
      double& slot = snap->contact_fresh_at[static_cast<int>(ch)][c];
      if (IsMissing(slot) || at > slot) slot = at;
    };
    Statement& q = db.Query("engine-verified-contact-points");
    while (true) {
      ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      uint32_t c = snap->IndexOf(q.Int(0));
      if (c == UINT32_MAX || q.IsNull(3)) continue;
      std::string_view kind = q.Text(1);
      double at = static_cast<double>(q.Int(3));
      if (kind == "email") {
        note(Channel::kEmail, c, at);
      } else if (kind == "address") {
        note(Channel::kMail, c, at);
      } else if (kind == "phone") {
        std::string_view type = q.IsNull(2) ? std::string_view() : q.Text(2);
        note(Channel::kPhone, c, at);
        if (type == "mobile" || type == "fixed_line_or_mobile") note(Channel::kSms, c, at);
      }
    }
    q.Reset();
  }
  if (progress) progress(static_cast<uint64_t>(total_rows), static_cast<uint64_t>(total_rows));
  return std::shared_ptr<const Snapshot>(std::move(snap));
}

}  // namespace patron::engine
