// Identity routes: the review queue of doubtful pairs (`patron identity
// review` in the browser); for the one customer view, the people of an
// account and the flags to know before acting on a customer. Each pair comes with the
// field-by-field comparison of `patron identity explain`, so that whoever decides sees why the
// model was unsure; a decision applies to the clusters at once and is audited.
#include <nlohmann/json.hpp>

#include "campaign/campaign.h"
#include "identity/identity.h"
#include "server/server_internal.h"

namespace patron::server {

using nlohmann::json;
using nlohmann::ordered_json;

namespace {

ordered_json ExplanationJson(const identity::PairExplanation& e) {
  ordered_json fields = ordered_json::array();
  for (const auto& f : e.fields) {
    ordered_json field = {{"field", f.field},
                          {"left", f.left_value},
                          {"right", f.right_value},
                          {"level", f.level},
                          {"weight", f.weight}};
    if (!f.left_derived.empty()) field["left_derived"] = f.left_derived;
    if (!f.right_derived.empty()) field["right_derived"] = f.right_derived;
    fields.push_back(std::move(field));
  }
  return {
      {"fields", fields},
      {"weight", e.weight},
      {"probability", e.probability},
      {"rule", e.rule},
      {"left_customer", e.left_cluster},
      {"right_customer", e.right_cluster},
      {"run_probability", e.run_probability ? ordered_json(*e.run_probability) : ordered_json()},
      {"run_weight", e.run_weight ? ordered_json(*e.run_weight) : ordered_json()},
      {"run_decision", e.run_decision}};
}

// GET /api/v1/identity/reviews?status=pending|all&limit=N: the pairs, each
// with its explanation (the values of both records: personal data, audited).
void ListReviewsRoute(Context& ctx) {
  int limit;
  if (!LimitParam(ctx, &limit)) return;
  std::string status = ctx.req.get_param_value("status");
  if (!status.empty() && status != "pending" && status != "all") {
    return SendError(ctx.res, InvalidArgument("status must be pending or all"), "status");
  }
  Database* db = DbOr503(ctx);
  if (!db) return;
  auto list = identity::ListReviews(*db, status != "all", limit);
  if (!list.ok()) return SendError(ctx.res, list.status());
  const std::vector<identity::ReviewItem>* items = &list->items;
  const identity::ReviewCalibration& calibration = list->calibration;
  ordered_json out = ordered_json::array();
  json ids = json::array();
  for (const auto& item : *items) {
    ordered_json j = {{"id", item.id},
                      {"left", item.left_customer},
                      {"right", item.right_customer},
                      {"probability", item.probability},
                      {"calibrated_probability", item.calibrated_probability},
                      {"weight", item.weight},
                      {"status", item.status}};
    auto e = identity::Explain(*db, item.left_customer, item.right_customer);
    if (e.ok()) {
      j["explanation"] = ExplanationJson(*e);
    } else {
      j["explanation"] = nullptr;
      j["explanation_error"] = e.status().message();
    }
    out.push_back(std::move(j));
    ids.push_back(item.id);
  }
  Audit(ctx, "identity.review.list", "identity_review", "", 0, {{"reviews", ids}});
  ordered_json learned = {{"decisions", calibration.decisions()},
                          {"accepted", calibration.accepted},
                          {"rejected", calibration.rejected},
                          {"intercept", calibration.intercept},
                          {"slope", calibration.slope}};
  SendJson(ctx.res, 200, Dump({{"reviews", out}, {"calibration", learned}}));
}

// GET /api/v1/identity/explain?left=A&right=B: any two customer records.
void ExplainRoute(Context& ctx) {
  int64_t ids[2];
  const char* names[2] = {"left", "right"};
  for (int i = 0; i < 2; ++i) {
    std::string v = ctx.req.get_param_value(names[i]);
    if (v.empty() || v.size() > 18 || v.find_first_not_of("0123456789") != std::string::npos) {
      return SendError(ctx.res, InvalidArgument(std::string(names[i]) + " must be a customer id"),
                       names[i]);
    }
    ids[i] = std::stoll(v);
  }
  Database* db = DbOr503(ctx);
  if (!db) return;
  auto e = identity::Explain(*db, ids[0], ids[1]);
  if (!e.ok()) return SendError(ctx.res, e.status());
  Audit(ctx, "identity.explain", "customer", std::to_string(ids[0]), ids[0], {{"other", ids[1]}});
  ordered_json j = {{"left", ids[0]}, {"right", ids[1]}};
  j.update(ExplanationJson(*e));
  SendJson(ctx.res, 200, Dump(j));
}

void Decide(Context& ctx, bool accept) {
  int64_t id;
  if (!PathId(ctx, "review", &id)) return;
  Database* db = DbOr503(ctx);
  if (!db) return;
  Status s = identity::DecideReview(*db, id, accept, ctx.state.clock);
  if (!s.ok()) return SendError(ctx.res, s, s.code() == StatusCode::kNotFound ? "id" : "");
  // The pair, for the audit log and the answer (ids only).
  int64_t left = 0, right = 0;
  Statement& q = db->Query("identity-review-by-id");
  q.Bind(":id", id);
  auto row = q.Step();
  if (row.ok() && *row) {
    left = q.Int(0);
    right = q.Int(1);
  }
  q.Reset();
  const char* status = accept ? "accepted" : "rejected";
  s = AuditNow(ctx, *db, accept ? "identity.review.accept" : "identity.review.reject",
               "identity_review", std::to_string(id), left, {{"left", left}, {"right", right}});
  if (!s.ok()) return SendError(ctx.res, s);
  SendJson(ctx.res, 200, Dump({{"id", id}, {"status", status}, {"left", left}, {"right", right}}));
}

// GET /api/v1/accounts/{id}/members: the people of an account, for the one
// customer view (names and emails: personal data, audited).
void AccountMembersRoute(Context& ctx) {
  int64_t account;
  if (!PathId(ctx, "account", &account)) return;
  Database* db = DbOr503(ctx);
  if (!db) return;
  Statement& q = db->Query("web-account-members");
  q.Bind(":account_id", account);
  ordered_json members = ordered_json::array();
  while (true) {
    auto row = q.Step();
    if (!row.ok()) {
      q.Reset();
      return SendError(ctx.res, row.status());
    }
    if (!*row) break;
    auto text_or_null = [&q](int c) {
      return q.IsNull(c) ? ordered_json() : ordered_json(q.String(c));
    };
    members.push_back({{"id", q.Int(0)},
                       {"name", text_or_null(1)},
                       {"job_title", text_or_null(2)},
                       {"email", text_or_null(3)}});
  }
  q.Reset();
  Audit(ctx, "account.members", "account", std::to_string(account), 0,
        {{"members", members.size()}});
  SendJson(ctx.res, 200, Dump({{"account", account}, {"members", members}}));
}

// GET /api/v1/customers/{id}/flags: what the contact policy would hold
// against contacting this customer — a key account or in collections (the
// policy's tags), and offers from campaigns within the policy's offer days —
// so that whoever acts sees it first.
// The customer record in the path and the request's connection; nullptr
// after answering 400, 404 or 503.
Database* ExistingCustomer(Context& ctx, int64_t* id) {
  if (!PathId(ctx, "customer", id)) return nullptr;
  Database* db = DbOr503(ctx);
  return db && CheckCustomer(ctx, *db, *id) ? db : nullptr;
}

// GET /api/v1/customers/{id}/golden: the resolved customer the record belongs
// to, with the best value of every field, where it came from and how fresh it is.
void GoldenRoute(Context& ctx) {
  int64_t id;
  Database* db = ExistingCustomer(ctx, &id);
  if (!db) return;
  auto golden = identity::ReadGolden(*db, id, ctx.state.clock);
  if (!golden.ok()) return SendError(ctx.res, golden.status());
  Audit(ctx, "customer.read_golden", "customer", std::to_string(id), id,
        {{"resolved_id", golden->resolved_id}});
  SendJson(ctx.res, 200, identity::GoldenRecordJson(*golden));
}

// POST /api/v1/customers/{id}/unmerge: takes the record out of its customer
// (identity::Unmerge): it stands alone again, the merge log says so, and later
// runs keep it apart from the records it was with. Audited. 409 when the
// record is not merged with anything.
void UnmergeRoute(Context& ctx) {
  int64_t id;
  Database* db = ExistingCustomer(ctx, &id);
  if (!db) return;
  auto before = identity::ReadGolden(*db, id, ctx.state.clock);
  if (!before.ok()) return SendError(ctx.res, before.status());
  if (Status s = identity::Unmerge(*db, id, ctx.state.clock); !s.ok()) return SendError(ctx.res, s);
  std::vector<int64_t> remaining;
  for (int64_t m : before->members) {
    if (m != id) remaining.push_back(m);
  }
  if (Status s = AuditNow(ctx, *db, "identity.unmerge", "customer", std::to_string(id), id,
                          {{"former_resolved_id", before->resolved_id}, {"remaining", remaining}});
      !s.ok()) {
    return SendError(ctx.res, s);
  }
  SendJson(ctx.res, 200,
           Dump({{"customer_id", id},
                 {"former_resolved_id", before->resolved_id},
                 {"remaining", remaining}}));
}

// GET /api/v1/identity/status: the last run, the records waiting for the next,
// and what the server's automatic runs are doing (counts only: no personal data).
void StatusRoute(Context& ctx) {
  Database* db = DbOr503(ctx);
  if (!db) return;
  auto status = identity::ReadResolveStatus(*db);
  if (!status.ok()) return SendError(ctx.res, status.status());
  ordered_json out = ordered_json::parse(identity::ResolveStatusJson(*status));
  const ServerConfig& config = ctx.state.config;
  IdentityUpkeep& upkeep = ctx.state.identity_upkeep;
  std::lock_guard lock(upkeep.mu);
  auto time_or_null = [](const std::optional<Instant>& t) {
    return t ? ordered_json(FormatInstant(*t)) : ordered_json();
  };
  out["automatic"] = {
      {"enabled", config.scheduler && config.identity_interval_seconds > 0},
      {"interval_seconds", config.identity_interval_seconds},
      {"running", upkeep.running},
      {"stage", upkeep.running ? ordered_json(upkeep.stage) : ordered_json()},
      {"done", upkeep.done},
      {"total", upkeep.total},
      {"last_checked_at", time_or_null(upkeep.last_checked_at)},
      {"last_error", upkeep.last_error.empty() ? ordered_json() : ordered_json(upkeep.last_error)},
      {"waiting", upkeep.waiting.empty() ? ordered_json() : ordered_json(upkeep.waiting)}};
  // The golden records' rewrite after a survivorship change (GoldenRewriteTask).
  out["golden_rewrite"] = {
      {"enabled", config.scheduler},
      {"running", upkeep.rewriting},
      {"done", upkeep.rewrite_done},
      {"total", upkeep.rewrite_total},
      {"last_error",
       upkeep.rewrite_error.empty() ? ordered_json() : ordered_json(upkeep.rewrite_error)}};
  SendJson(ctx.res, 200, Dump(out));
}

// GET /api/v1/identity/survivorship: the rule of every golden-record field and
// the trust of every source.
void GetSurvivorshipRoute(Context& ctx) {
  Database* db = DbOr503(ctx);
  if (!db) return;
  auto policy = identity::ReadSurvivorship(*db);
  if (!policy.ok()) return SendError(ctx.res, policy.status());
  SendJson(ctx.res, 200, identity::SurvivorshipJson(*policy));
}

// PUT /api/v1/identity/survivorship {"rules": {"FIELD": "RULE" | "default"},
// "trust": {"SOURCE": N | null}}: every change or none (the error names the
// member), audited. The change marks the golden records stale in its own
// transaction; GoldenRewriteTask rewrites them in the background (at a
// million records a rewrite takes seconds: too long for a request).
void PutSurvivorshipRoute(Context& ctx) {
  json body;
  if (!ParseBody(ctx, &body)) return;
  if (!body.is_object())
    return SendError(ctx.res, InvalidArgument("the body must be a JSON object"));
  for (const auto& [key, value] : body.items()) {
    if (key != "rules" && key != "trust") {
      return SendError(ctx.res,
                       InvalidArgument("unknown member '" + std::string(Utf8Prefix(key, 40)) +
                                       "' (rules, trust)"),
                       key);
    }
    if (!value.is_object())
      return SendError(ctx.res, InvalidArgument(key + " must be an object"), key);
  }
  Database* db = DbOr503(ctx);
  if (!db) return;
  Transaction tx(*db);
  if (Status s = tx.Begin(); !s.ok()) return SendError(ctx.res, s);
  if (auto rules = body.find("rules"); rules != body.end()) {
    for (const auto& [field, value] : rules->items()) {
      const std::string member = "rules." + std::string(Utf8Prefix(field, 40));
      if (!value.is_string())
        return SendError(ctx.res, InvalidArgument(member + " must be a rule name"), member);
      std::optional<identity::SurvivalRule> rule;
      if (value.get<std::string>() != "default") {
        auto parsed = identity::ParseSurvivalRule(value.get<std::string>());
        if (!parsed.ok()) return SendError(ctx.res, parsed.status(), member);
        rule = *parsed;
      }
      if (Status s = identity::SetSurvivalRule(*db, field, rule, ctx.state.clock); !s.ok()) {
        return SendError(ctx.res, s, member);
      }
    }
  }
  if (auto trust = body.find("trust"); trust != body.end()) {
    for (const auto& [source, value] : trust->items()) {
      const std::string member = "trust." + std::string(Utf8Prefix(source, 60));
      std::optional<int> rank;
      if (!value.is_null()) {
        if (!value.is_number_integer() || value.get<int64_t>() < -1000 ||
            value.get<int64_t>() > 1000) {
          return SendError(
              ctx.res,
              InvalidArgument(member + " must be a whole number from -1000 to 1000, or null"),
              member);
        }
        rank = static_cast<int>(value.get<int64_t>());
      }
      if (Status s = identity::SetSourceTrust(*db, source, rank, ctx.state.clock); !s.ok())
        return SendError(ctx.res, s, member);
    }
  }
  if (Status s = AuditChange(ctx, *db, "identity.survivorship.update", "settings", "survivorship",
                             0, body.dump());
      !s.ok()) {
    return SendError(ctx.res, s);
  }
  if (Status s = tx.Commit(); !s.ok()) return SendError(ctx.res, s);
  auto policy = identity::ReadSurvivorship(*db);
  if (!policy.ok()) return SendError(ctx.res, policy.status());
  auto stale_since = identity::GoldenRecordsStaleSince(*db);
  if (!stale_since.ok()) return SendError(ctx.res, stale_since.status());
  ordered_json out = ordered_json::parse(identity::SurvivorshipJson(*policy));
  out["golden_records_stale_since"] =
      *stale_since ? ordered_json(FormatInstant(**stale_since)) : ordered_json();
  SendJson(ctx.res, 200, Dump(out));
}

void CustomerFlagsRoute(Context& ctx) {
  int64_t id;
  Database* db = ExistingCustomer(ctx, &id);
  if (!db) return;
  auto policy = campaign::LoadPolicy(*db);
  if (!policy.ok()) return SendError(ctx.res, policy.status());
  auto tagged = [&](const std::string& tag) -> Result<bool> {
    if (tag.empty()) return false;
    Statement& q = db->Query("web-customer-has-tag");
    q.Bind(":customer_id", id).Bind(":tag", tag);
    ASSIGN_OR_RETURN(bool row, q.Step());
    bool yes = row && q.Int(0) > 0;
    q.Reset();
    return yes;
  };
  auto key_account = tagged(policy->key_account_tag);
  if (!key_account.ok()) return SendError(ctx.res, key_account.status());
  auto in_collections = tagged(policy->collections_tag);
  if (!in_collections.ok()) return SendError(ctx.res, in_collections.status());
  constexpr int64_t kDayMicros = 86'400'000'000;
  Statement& q = db->Query("web-customer-active-offers");
  q.Bind(":customer_id", id)
      .Bind(":since", ctx.state.clock.Now().micros - int64_t{policy->offer_days} * kDayMicros);
  ordered_json offers = ordered_json::array();
  while (true) {
    auto row = q.Step();
    if (!row.ok()) {
      q.Reset();
      return SendError(ctx.res, row.status());
    }
    if (!*row) break;
    offers.push_back(
        {{"campaign_id", q.Int(0)},
         {"campaign", q.String(1)},
         {"offer_product", q.String(2)},
         {"team", q.String(3)},
         {"at", q.IsNull(4) ? ordered_json() : ordered_json(FormatInstant(Instant{q.Int(4)}))}});
  }
  q.Reset();
  SendJson(ctx.res, 200,
           Dump({{"key_account", *key_account},
                 {"in_collections", *in_collections},
                 {"active_offers", offers},
                 {"policy",
                  {{"key_account_tag", policy->key_account_tag},
                   {"collections_tag", policy->collections_tag},
                   {"offer_days", policy->offer_days}}}}));
}

}  // namespace

namespace {

// A periodic task's own connection, opened on first use and kept.
using TaskConnection = std::shared_ptr<std::unique_ptr<Database>>;
Status OpenTaskConnection(const TaskConnection& db, const ServerState& state) {
  if (*db) return Status::Ok();
  DatabaseOptions options;
  options.synchronous_full = state.config.synchronous_full;
  auto opened = Database::Open(state.config.db_path, options);
  if (!opened.ok()) return opened.status();
  *db = std::move(*opened);
  return Status::Ok();
}

}  // namespace

// Every `interval`, when customer records wait (new or changed since the last
// run), an incremental run resolves them against the existing customers with
// the latest run's model. Without any run yet it rebuilds from scratch, but
// only up to identity_first_run_limit records (see ServerConfig). The run
// holds the store's write lock while it lasts (about 2 s for 10 000 new
// records against a million), so events wait for it rather than fail.
PeriodicTask IdentityUpkeepTask(std::chrono::seconds interval) {
  auto db = std::make_shared<std::unique_ptr<Database>>();
  return {
      "identity", interval, [db](ServerState& state) -> Status {
        IdentityUpkeep& upkeep = state.identity_upkeep;
        auto record = [&](const Status& s, std::string waiting) {
          std::lock_guard lock(upkeep.mu);
          upkeep.running = false;
          upkeep.last_checked_at = state.clock.Now();
          upkeep.last_error = s.ok() ? "" : s.ToString();
          upkeep.waiting = std::move(waiting);
          return s;
        };
        if (Status s = OpenTaskConnection(db, state); !s.ok()) return record(s, "");
        auto status = identity::ReadResolveStatus(**db);
        if (!status.ok()) return record(status.status(), "");
        if (status->pending == 0) return record(Status::Ok(), "");
        if (!status->incremental_ready && status->records > state.config.identity_first_run_limit) {
          return record(Status::Ok(),
                        "no resolution run yet and " + std::to_string(status->records) +
                            " customer records, more than identity_first_run_limit (" +
                            std::to_string(state.config.identity_first_run_limit) +
                            "): run `patron identity resolve` once; later records are "
                            "resolved here");
        }
        {
          std::lock_guard lock(upkeep.mu);
          upkeep.running = true;
          upkeep.stage.clear();
          upkeep.done = upkeep.total = 0;
        }
        identity::ResolveOptions options;
        options.incremental = true;
        options.clock = &state.clock;
        options.progress = [&upkeep](std::string_view stage, int64_t done, int64_t total) {
          std::lock_guard lock(upkeep.mu);
          upkeep.stage = std::string(stage);
          upkeep.done = done;
          upkeep.total = total;
        };
        auto summary = identity::Resolve(**db, options);
        return record(summary.status(), "");
      }};
}

PeriodicTask GoldenRewriteTask(std::chrono::milliseconds interval) {
  auto db = std::make_shared<std::unique_ptr<Database>>();
  return {"golden_records", interval, [db](ServerState& state) -> Status {
            IdentityUpkeep& upkeep = state.identity_upkeep;
            {
              // After a failure, a minute before the next attempt (and the next log line).
              std::lock_guard lock(upkeep.mu);
              if (upkeep.rewrite_failed_at &&
                  state.clock.Now().micros - upkeep.rewrite_failed_at->micros < 60'000'000) {
                return Status::Ok();
              }
            }
            auto record = [&](const Status& s) {
              std::lock_guard lock(upkeep.mu);
              upkeep.rewriting = false;
              upkeep.rewrite_error = s.ok() ? "" : s.ToString();
              upkeep.rewrite_failed_at = s.ok() ? std::nullopt : std::optional(state.clock.Now());
              return s;
            };
            if (Status s = OpenTaskConnection(db, state); !s.ok()) return record(s);
            auto stale_since = identity::GoldenRecordsStaleSince(**db);
            if (!stale_since.ok()) return record(stale_since.status());
            if (!*stale_since) return Status::Ok();
            {
              std::lock_guard lock(upkeep.mu);
              upkeep.rewriting = true;
              upkeep.rewrite_done = upkeep.rewrite_total = 0;
            }
            auto written = identity::RewriteGoldenRecords(**db, state.clock,
                                                          [&upkeep](int64_t done, int64_t total) {
                                                            std::lock_guard lock(upkeep.mu);
                                                            upkeep.rewrite_done = done;
                                                            upkeep.rewrite_total = total;
                                                          });
            return record(written.status());
          }};
}

std::vector<RouteSpec> IdentityRoutes() {
  return {
      {"GET", "/api/v1/identity/reviews", "read_personal_data",
       "Doubtful pairs waiting for a person, each with its field-by-field comparison.",
       ListReviewsRoute},
      {"GET", "/api/v1/identity/explain", "read_personal_data",
       "The weight of every compared field of two customer records.", ExplainRoute},
      {"POST", "/api/v1/identity/reviews/{id}/accept", "write_customers",
       "The pair is one customer: merge them now (audited).",
       [](Context& ctx) { Decide(ctx, true); }},
      {"POST", "/api/v1/identity/reviews/{id}/reject", "write_customers",
       "The pair are different people: keep them apart (audited).",
       [](Context& ctx) { Decide(ctx, false); }},
      {"GET", "/api/v1/identity/status", "read_reports",
       "The last resolution run, the customer records waiting for the next, and the server's "
       "automatic runs.",
       StatusRoute},
      {"GET", "/api/v1/identity/survivorship", "read_reports",
       "Which value of each field a golden record keeps, and how far each source is trusted.",
       GetSurvivorshipRoute},
      {"PUT", "/api/v1/identity/survivorship", "manage_users",
       "Change survivorship rules and source trust (audited); the golden records are rewritten by "
       "them in the background.",
       PutSurvivorshipRoute},
      {"GET", "/api/v1/customers/{id}/golden", "read_personal_data",
       "The resolved customer of a record: its records and the best value of every field, with "
       "provenance and "
       "freshness.",
       GoldenRoute},
      {"POST", "/api/v1/customers/{id}/unmerge", "write_customers",
       "Take a record out of the customer it was merged into; later runs keep it apart "
       "(audited).",
       UnmergeRoute},
      {"GET", "/api/v1/accounts/{id}/members", "read_personal_data", "The people of an account.",
       AccountMembersRoute},
      {"GET", "/api/v1/customers/{id}/flags", "read_personal_data",
       "Key account, in collections, active offers: what the contact policy holds against "
       "contacting them.",
       CustomerFlagsRoute},
  };
}

}  // namespace patron::server
