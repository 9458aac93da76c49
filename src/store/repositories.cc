// Read models over the store: statistics and the one customer view.
#include <nlohmann/json.hpp>
#include <cstdio>

#include "store/store.h"

namespace patron {

Result<StoreStats> ReadStats(Database& db) {
  StoreStats stats;
  Statement& counts = db.Query("stats-counts");
  ASSIGN_OR_RETURN(bool row, counts.Step());
  if (row) {
    stats.customers = counts.Int(0);
    stats.accounts = counts.Int(1);
    stats.account_members = counts.Int(2);
    stats.products = counts.Int(3);
    stats.categories = counts.Int(4);
    stats.orders = counts.Int(5);
    stats.order_lines = counts.Int(6);
    stats.events = counts.Int(7);
    stats.sources = counts.Int(8);
  }
  counts.Reset();
  Statement& cps = db.Query("stats-contact-points");
  while (true) {
    ASSIGN_OR_RETURN(bool more, cps.Step());
    if (!more) break;
    stats.contact_points[cps.String(0)][cps.String(1)] = cps.Int(2);
  }
  Statement& consents = db.Query("stats-consents");
  while (true) {
    ASSIGN_OR_RETURN(bool more, consents.Step());
    if (!more) break;
    (consents.Text(0) == "granted" ? stats.consents_granted : stats.consents_withdrawn) = consents.Int(1);
  }
  return stats;
}

Result<std::vector<int64_t>> FindCustomersByContact(Database& db, std::string_view kind,
                                                    std::string_view normalized_value) {
  std::vector<int64_t> ids;
  Statement& q = db.Query("find-customers-by-contact");
  q.Bind(":kind", kind).Bind(":value", normalized_value);
  while (true) {
    ASSIGN_OR_RETURN(bool more, q.Step());
    if (!more) break;
    ids.push_back(q.Int(0));
  }
  return ids;
}

Result<bool> CustomerExists(Database& db, int64_t customer_id) {
  Statement& q = db.Query("customer-exists");
  q.Bind(":id", customer_id);
  ASSIGN_OR_RETURN(bool row, q.Step());
  q.Reset();
  return row;
}

namespace {

// Steps `q` to the end, calling `each` for every row.
template <typename F>
Status ForEachRow(Statement& q, F&& each) {
  while (true) {
    ASSIGN_OR_RETURN(bool more, q.Step());
    if (!more) return Status::Ok();
    each(q);
  }
}

}  // namespace

Result<CustomerView> ReadCustomerView(Database& db, int64_t id, int max_interactions) {
  CustomerView view;
  view.id = id;
  Statement& profile = db.Query("customer-profile");
  profile.Bind(":id", id);
  ASSIGN_OR_RETURN(bool found, profile.Step());
  if (!found) return NotFound("no customer with id " + std::to_string(id));
  for (int c = 0; c < profile.column_count(); ++c) {
    std::string_view name = profile.ColumnName(c);
    if (profile.IsNull(c) || name == "id" || name == "source_id") continue;
    if (name == "created_at" || name == "updated_at") {
      view.profile[std::string(name)] = FormatInstant(Instant{profile.Int(c)});
    } else {
      view.profile[std::string(name)] = profile.String(c);
    }
  }
  profile.Reset();
  RETURN_IF_ERROR(ForEachRow(db.Query("customer-last-interaction").Bind(":id", id), [&](Statement& q) {
    if (!q.IsNull(0)) view.profile["last_interaction_at"] = FormatInstant(Instant{q.Int(0)});
  }));

  RETURN_IF_ERROR(ForEachRow(db.Query("customer-tags").Bind(":id", id),
                             [&](Statement& q) { view.tags.push_back(q.String(0)); }));
  RETURN_IF_ERROR(ForEachRow(db.Query("customer-attributes").Bind(":id", id),
                             [&](Statement& q) { view.attributes[q.String(0)] = q.String(1); }));
  RETURN_IF_ERROR(ForEachRow(db.Query("customer-traits").Bind(":id", id), [&](Statement& q) {
    auto add = [&](const char* name, std::string value) {
      if (!value.empty()) view.traits.emplace_back(name, std::move(value));
    };
    auto number = [&](int col, const char* format) {
      if (q.IsNull(col)) return std::string();
      char buf[64];
      std::snprintf(buf, sizeof buf, format, q.Double(col));
      return std::string(buf);
    };
    auto money = [&](int col) {
      if (q.IsNull(col)) return std::string();
      std::string currency = q.IsNull(10) ? "" : q.String(10);
      int digits = CurrencyMinorDigits(currency);
      double scale = digits == 0 ? 1.0 : digits == 3 ? 1000.0 : 100.0;
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.*f %s", digits, static_cast<double>(q.Int(col)) / scale, currency.c_str());
      return std::string(buf);
    };
    std::string rfm = q.IsNull(0) ? "" : q.String(0);
    if (!rfm.empty() && !q.IsNull(1)) {
      rfm += " (R" + std::to_string(q.Int(1)) + " F" + std::to_string(q.Int(2)) + " M" + std::to_string(q.Int(3)) + ")";
    }
    add("rfm", rfm);
    add("lifecycle", q.IsNull(4) ? "" : q.String(4));
    if (!q.IsNull(19) && q.Int(19) > 0) add("purchase_days", std::to_string(q.Int(19)));
    if (!q.IsNull(20)) add("last_purchase_at", FormatInstant(Instant{q.Int(20)}));
    add("churn_risk", number(5, "%.2f"));
    add("p_alive", number(6, "%.2f"));
    add("expected_purchases_12m", number(7, "%.2f"));
    add("clv_12m", money(8));
    add("expected_order_value", money(9));
    if (!q.IsNull(11)) {
      static const char* kDays[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
      int64_t h = q.Int(11);
      char buf[32];
      std::snprintf(buf, sizeof buf, "%s %02d:00 UTC", kDays[(h / 24) % 7], static_cast<int>(h % 24));
      add("best_send_hour", buf);
    }
    add("recommended_products", q.IsNull(12) ? "" : q.String(12));
    add("category_propensity_30d", q.IsNull(13) ? "" : q.String(13));
    add("lead_score", number(14, "%.1f"));
    add("lead_stage", q.IsNull(15) ? "" : q.String(15));
    add("best_channel", q.IsNull(17) ? "" : q.String(17));
    add("channel_response_rates", q.IsNull(18) ? "" : q.String(18));
    add("computed_at", FormatInstant(Instant{q.Int(16)}));
  }));
  RETURN_IF_ERROR(ForEachRow(db.Query("customer-contact-points").Bind(":id", id), [&](Statement& q) {
    ContactPointView cp;
    cp.id = q.Int(0);
    cp.kind = q.String(1);
    cp.value = q.String(2);
    cp.status = q.String(3);
    cp.invalid_reason = q.String(4);
    cp.suggestion = q.String(5);
    cp.phone_type = q.String(6);
    cp.source = q.String(7);
    cp.first_seen = Instant{q.Int(8)};
    cp.last_seen = Instant{q.Int(9)};
    if (!q.IsNull(10)) cp.last_verified = Instant{q.Int(10)};
    view.contact_points.push_back(std::move(cp));
  }));
  RETURN_IF_ERROR(ForEachRow(db.Query("customer-consents").Bind(":id", id), [&](Statement& q) {
    view.consents.push_back(ConsentView{q.String(0), q.String(1), q.String(2), q.String(3), q.String(4),
                                        q.String(5), Instant{q.Int(6)}});
  }));
  RETURN_IF_ERROR(ForEachRow(db.Query("customer-accounts").Bind(":id", id), [&](Statement& q) {
    AccountView a;
    a.id = q.Int(0);
    a.name = q.String(1);
    a.domain = q.String(2);
    a.industry_code = q.String(3);
    a.tier = q.String(4);
    a.contract_status = q.String(5);
    a.job_title = q.String(6);
    a.employees = q.OptionalInt(7);
    view.accounts.push_back(std::move(a));
  }));
  RETURN_IF_ERROR(ForEachRow(db.Query("customer-purchases").Bind(":id", id), [&](Statement& q) {
    view.purchases.orders = q.Int(0);
    view.purchases.revenue_minor = q.Int(1);
    if (!q.IsNull(2)) view.purchases.first_order = Instant{q.Int(2)};
    if (!q.IsNull(3)) view.purchases.last_order = Instant{q.Int(3)};
    view.purchases.items = q.Int(4);
    view.purchases.currency = q.String(5);
  }));
  RETURN_IF_ERROR(ForEachRow(db.Query("customer-top-categories").Bind(":id", id), [&](Statement& q) {
    view.purchases.top_categories.emplace_back(q.String(0), q.Int(1));
  }));
  RETURN_IF_ERROR(ForEachRow(
      db.Query("customer-interactions").Bind(":id", id).Bind(":limit", static_cast<int64_t>(max_interactions)),
      [&](Statement& q) {
        view.last_interactions.push_back(InteractionView{Instant{q.Int(0)}, q.String(1), q.String(2), q.String(3)});
      }));
  RETURN_IF_ERROR(ForEachRow(db.Query("customer-sources").Bind(":id", id), [&](Statement& q) {
    view.sources.emplace_back(q.String(0), q.String(1));
  }));
  RETURN_IF_ERROR(ForEachRow(db.Query("customer-field-issues").Bind(":id", id), [&](Statement& q) {
    view.field_issues.push_back({q.String(0), q.String(1), q.String(2)});
  }));
  return view;
}

Status NoteEngineInputsChanged(Database& db) { return db.Query("engine-bump-generation").Run(); }

std::string CustomerViewJson(const CustomerView& v) {
  using nlohmann::ordered_json;
  ordered_json j;
  j["id"] = v.id;
  j["profile"] = v.profile;
  j["tags"] = v.tags;
  j["attributes"] = v.attributes;
  j["traits"] = ordered_json::object();
  for (const auto& [k, val] : v.traits) j["traits"][k] = val;
  j["contact_points"] = ordered_json::array();
  for (const auto& cp : v.contact_points) {
    ordered_json c = {{"kind", cp.kind},           {"value", cp.value},   {"status", cp.status},
                      {"source", cp.source},       {"first_seen", FormatInstant(cp.first_seen)},
                      {"last_seen", FormatInstant(cp.last_seen)}};
    if (!cp.invalid_reason.empty()) c["invalid_reason"] = cp.invalid_reason;
    if (!cp.suggestion.empty()) c["suggestion"] = cp.suggestion;
    if (!cp.phone_type.empty()) c["phone_type"] = cp.phone_type;
    if (cp.last_verified) c["last_verified"] = FormatInstant(*cp.last_verified);
    j["contact_points"].push_back(c);
  }
  j["consents"] = ordered_json::array();
  for (const auto& c : v.consents) {
    j["consents"].push_back({{"channel", c.channel}, {"purpose", c.purpose}, {"status", c.status},
                             {"method", c.method}, {"proof", c.proof}, {"source", c.source},
                             {"recorded_at", FormatInstant(c.recorded_at)}});
  }
  j["accounts"] = ordered_json::array();
  for (const auto& a : v.accounts) {
    ordered_json o = {{"id", a.id}, {"name", a.name}, {"domain", a.domain}, {"industry_code", a.industry_code},
                      {"tier", a.tier}, {"contract_status", a.contract_status}, {"job_title", a.job_title}};
    if (a.employees) o["employees"] = *a.employees;
    j["accounts"].push_back(o);
  }
  ordered_json p = {{"orders", v.purchases.orders}, {"items", v.purchases.items},
                    {"revenue_minor", v.purchases.revenue_minor}, {"currency", v.purchases.currency}};
  if (v.purchases.first_order) p["first_order"] = FormatInstant(*v.purchases.first_order);
  if (v.purchases.last_order) p["last_order"] = FormatInstant(*v.purchases.last_order);
  p["top_categories"] = ordered_json::array();
  for (const auto& [slug, n] : v.purchases.top_categories) p["top_categories"].push_back({{"category", slug}, {"items", n}});
  j["purchases"] = p;
  j["last_interactions"] = ordered_json::array();
  for (const auto& i : v.last_interactions) {
    j["last_interactions"].push_back({{"at", FormatInstant(i.at)}, {"type", i.type},
                                      {"properties", ordered_json::parse(i.properties, nullptr, false)},
                                      {"source", i.source}});
  }
  j["sources"] = ordered_json::array();
  for (const auto& [name, key] : v.sources) j["sources"].push_back({{"source", name}, {"key", key}});
  j["field_issues"] = ordered_json::array();
  for (const auto& fi : v.field_issues) {
    j["field_issues"].push_back({{"field", fi.field}, {"value", fi.raw_value}, {"reason", fi.reason}});
  }
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace patron
