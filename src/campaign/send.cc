// Sending: walks the outbox, re-checks each recipient at the moment of
// sending, and records every outcome as soon as it is known.
//
// Threads: this thread owns the database (claims, renders, records); the
// transport's worker threads only deliver. Outcomes are committed in small
// groups as they arrive, so the window in which a crash can forget an accepted
// message is one commit long (see campaign.h on exactly-once).
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "campaign/campaign.h"
#include "campaign/campaign_internal.h"
#include "store/store.h"

namespace patron::campaign {

using nlohmann::json;

namespace {

constexpr int64_t kDayMicros = 86'400'000'000;

struct DueRow {
  int64_t customer_id = 0;
  std::string variant, language, address, coupon, status;
  int64_t contact_point_id = 0;
  int attempts = 0;
};

struct Job {
  DueRow row;
  RenderData data;  // rendered by the worker that delivers it
  OutboundMessage message;
  DeliveryResult result;
};

// Backoff for transient failures: 1, 2, 4, 8 ... minutes, at most 6 hours.
int64_t RetryDelayMicros(int attempts) {
  int64_t minutes = int64_t{1} << std::min(attempts - 1, 9);
  return std::min<int64_t>(minutes, 360) * 60'000'000;
}

// Why a recipient planned earlier must not be contacted now ("" = go ahead).
Result<std::string> RecheckNow(Database& db, const Campaign& c, const Policy& policy, const DueRow& row, Instant now) {
  std::string consent_channel(ConsentChannel(c.channel));
  Statement& cq = db.Query("campaign-check-consent");
  cq.Bind(":customer_id", row.customer_id).Bind(":channel", consent_channel).Bind(":purpose", c.purpose);
  ASSIGN_OR_RETURN(bool has, cq.Step());
  std::string consent = has ? cq.String(0) : std::string();
  cq.Reset();
  if (consent != "granted") return std::string(consent == "withdrawn" ? "unsubscribed" : "no_consent");
  if (row.contact_point_id) {
    Statement& pq = db.Query("campaign-check-contact-point");
    pq.Bind(":id", row.contact_point_id);
    ASSIGN_OR_RETURN(bool found, pq.Step());
    std::string status = found ? pq.String(0) : std::string();
    pq.Reset();
    if (!found) return std::string("no_contact_point");
    if (status == "invalid") return std::string("invalid_contact_point");
    if (status == "bounced") return std::string("bounced");
  }
  if (!row.address.empty()) {
    Statement& rq = db.Query("campaign-check-register");
    rq.Bind(":channel", consent_channel).Bind(":value", row.address);
    ASSIGN_OR_RETURN(bool listed, rq.Step());
    rq.Reset();
    if (listed) return std::string("opt_out_register");
  }
  if (auto cap = policy.caps.find(consent_channel); cap != policy.caps.end()) {
    Statement& mq = db.Query("campaign-check-recent-messages");
    mq.Bind(":customer_id", row.customer_id).Bind(":since", now.micros - int64_t{cap->second.days} * kDayMicros)
        .Bind(":channel", consent_channel);
    ASSIGN_OR_RETURN(bool r, mq.Step());
    int64_t n = r ? mq.Int(0) : 0;
    mq.Reset();
    if (n >= cap->second.max_messages) return std::string("frequency_cap");
  }
  return std::string();
}

// The worker pool: jobs in, finished jobs out. Each worker renders the
// messages it delivers with its own compiled templates, so rendering runs on
// as many threads as delivery does.
class Dispatcher {
 public:
  Dispatcher(Transport& transport, int threads, const Campaign& c, const LinkOptions& links, bool with_summary)
      : transport_(transport), campaign_(c), links_(links), with_summary_(with_summary) {
    for (int i = 0; i < std::max(1, threads); ++i) workers_.emplace_back([this] { Work(); });
  }
  ~Dispatcher() {
    {
      std::lock_guard lock(mu_);
      closing_ = true;
    }
    in_cv_.notify_all();
    for (auto& t : workers_) t.join();
  }
  void Submit(std::unique_ptr<Job> job) {
    {
      std::lock_guard lock(mu_);
      in_.push_back(std::move(job));
      ++in_flight_;
    }
    in_cv_.notify_one();
  }
  // Waits for at least one finished job (unless none is in flight) and takes all finished.
  std::vector<std::unique_ptr<Job>> TakeFinished() {
    std::unique_lock lock(mu_);
    out_cv_.wait(lock, [this] { return !out_.empty() || in_flight_ == 0; });
    std::vector<std::unique_ptr<Job>> done;
    while (!out_.empty()) {
      done.push_back(std::move(out_.front()));
      out_.pop_front();
      --in_flight_;
    }
    return done;
  }
  size_t in_flight() {
    std::lock_guard lock(mu_);
    return in_flight_;
  }

 private:
  void Work() {
    MessageRenderer renderer(campaign_);
    while (true) {
      std::unique_ptr<Job> job;
      {
        std::unique_lock lock(mu_);
        in_cv_.wait(lock, [this] { return closing_ || !in_.empty(); });
        if (in_.empty()) return;
        job = std::move(in_.front());
        in_.pop_front();
      }
      try {
        auto content = renderer.Render(job->data, job->row.variant, links_);
        if (!content.ok()) {
          job->result = DeliveryResult{DeliveryResult::Kind::kPermanent, "",
                                       "rendering: " + content.status().message(), false};
        } else {
          job->message.content = std::move(*content);
          if (with_summary_) job->message.summary = SummaryOf(job->data);
          job->result = transport_.Send(job->message);
        }
      } catch (const std::exception& e) {
        job->result = DeliveryResult{DeliveryResult::Kind::kTransient, "", std::string("transport error: ") + e.what(), false};
      }
      {
        std::lock_guard lock(mu_);
        out_.push_back(std::move(job));
      }
      out_cv_.notify_one();
    }
  }

  Transport& transport_;
  const Campaign& campaign_;
  const LinkOptions links_;
  const bool with_summary_;
  std::mutex mu_;
  std::condition_variable in_cv_, out_cv_;
  std::deque<std::unique_ptr<Job>> in_, out_;
  size_t in_flight_ = 0;
  bool closing_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace

Result<SendReport> SendDue(Database& db, Campaign& c, Transport& transport, const Clock& clock,
                           const SendOptions& options) {
  auto t0 = std::chrono::steady_clock::now();
  if (c.status != "scheduled" && c.status != "sending")
    return FailedPrecondition("campaign \"" + c.name + "\" is " + c.status +
                              (c.status == "draft" ? "; prepare it first" : "; only a scheduled campaign sends"));
  ASSIGN_OR_RETURN(Policy policy, LoadPolicy(db));
  ASSIGN_OR_RETURN(int64_t source_id, CampaignSourceId(db, clock));
  if (c.status == "scheduled") RETURN_IF_ERROR(WriteStatus(db, c, "sending", clock));
  SendReport report;
  Statement& open = db.Query("campaign-outbox-open");
  open.Bind(":campaign_id", c.id);
  ASSIGN_OR_RETURN(bool has_open, open.Step());
  const uint64_t total = has_open ? static_cast<uint64_t>(open.Int(0)) : 0;
  open.Reset();
  uint64_t done = 0;
  const std::string consent_channel(ConsentChannel(c.channel));
  const bool quiet_applies = c.channel == Channel::kEmail || c.channel == Channel::kSms || c.channel == Channel::kWebhook;
  const bool list_channel = c.channel == Channel::kCallList || c.channel == Channel::kMailList;
  Dispatcher dispatcher(transport, transport.concurrency(), c, options.links, list_channel);

  // Records finished jobs, in one transaction per group.
  auto record = [&](std::vector<std::unique_ptr<Job>> jobs) -> Status {
    if (jobs.empty()) return Status::Ok();
    Instant now = clock.Now();
    RETURN_IF_ERROR(db.Begin());
    for (auto& job : jobs) {
      const DueRow& row = job->row;
      const DeliveryResult& r = job->result;
      Status st;
      if (r.kind == DeliveryResult::Kind::kAccepted) {
        Statement& q = db.Query("campaign-outbox-sent");
        q.Bind(":campaign_id", c.id).Bind(":customer_id", row.customer_id).Bind(":now", now.micros)
            .BindOptional(":provider_id", std::string_view(r.provider_id));
        st = q.Run();
        if (st.ok()) {
          json props = {{"campaign", c.name}, {"campaign_id", c.id}, {"channel", consent_channel},
                        {"kind", c.purpose == "marketing" ? "promo" : c.purpose}, {"variant", row.variant}};
          st = AppendEvent(db, source_id, row.customer_id, "message_sent",
                           "campaign:" + std::to_string(c.id) + ":" + std::to_string(row.customer_id), props.dump(), now);
        }
        ++report.sent;
      } else if (r.kind == DeliveryResult::Kind::kTransient && row.attempts + 1 < options.max_attempts) {
        Statement& q = db.Query("campaign-outbox-retry");
        q.Bind(":campaign_id", c.id).Bind(":customer_id", row.customer_id)
            .Bind(":next_attempt_at", now.micros + RetryDelayMicros(row.attempts + 1)).Bind(":error", r.error);
        st = q.Run();
        ++report.retried;
      } else {
        bool hard = r.kind == DeliveryResult::Kind::kPermanent && r.hard_bounce;
        Statement& q = db.Query("campaign-outbox-final");
        q.Bind(":campaign_id", c.id).Bind(":customer_id", row.customer_id).Bind(":status", hard ? "bounced" : "failed")
            .Bind(":error", r.error).BindNull(":reason");
        st = q.Run();
        if (st.ok() && hard && row.contact_point_id) {
          Statement& b = db.Query("campaign-contact-point-bounced");
          b.Bind(":id", row.contact_point_id)
              .Bind(":reason", std::string(Utf8Prefix(r.error, 200)))
              .Bind(":now", now.micros);
          st = b.Run();
          // The triggers do not mark writes to the newest customer; segments must see the bounce.
          if (st.ok()) st = NoteEngineInputsChanged(db);
        }
        if (st.ok() && hard) {
          json props = {{"campaign", c.name}, {"campaign_id", c.id}, {"channel", consent_channel}, {"hard", true}};
          st = AppendEvent(db, source_id, row.customer_id, "message_bounced",
                           "bounce:" + std::to_string(c.id) + ":" + std::to_string(row.customer_id), props.dump(), now);
        }
        ++(hard ? report.bounced : report.failed);
      }
      if (!st.ok()) {
        (void)db.Rollback();
        return st;
      }
      ++done;
    }
    RETURN_IF_ERROR(db.Commit());
    if (options.progress) options.progress(done, total);
    return Status::Ok();
  };

  int64_t delivered_or_claimed = 0;
  Status failure;
  while (failure.ok()) {
    if (options.stop && options.stop->load()) break;
    if (options.limit >= 0 && delivered_or_claimed >= options.limit) break;
    Instant now = clock.Now();
    Statement& due = db.Query("campaign-outbox-due");
    size_t batch = options.batch;
    if (options.limit >= 0) batch = std::min<size_t>(batch, static_cast<size_t>(options.limit - delivered_or_claimed));
    due.Bind(":campaign_id", c.id).Bind(":now", now.micros).Bind(":limit", static_cast<int64_t>(batch));
    std::vector<DueRow> rows;
    while (true) {
      auto r = due.Step();
      if (!r.ok()) {
        due.Reset();
        return r.status();
      }
      if (!*r) break;
      DueRow row;
      row.customer_id = due.Int(0);
      row.variant = due.OptionalString(1).value_or("");
      row.language = due.OptionalString(2).value_or("");
      row.address = due.OptionalString(3).value_or("");
      row.contact_point_id = due.OptionalInt(4).value_or(0);
      row.coupon = due.OptionalString(5).value_or("");
      row.status = due.String(6);
      row.attempts = static_cast<int>(due.Int(7));
      rows.push_back(std::move(row));
    }
    due.Reset();
    if (rows.empty()) break;

    // Re-check, render and claim the batch in one transaction.
    std::vector<std::unique_ptr<Job>> jobs;
    RETURN_IF_ERROR(db.Begin());
    auto abort = [&](Status st) {
      (void)db.Rollback();
      return st;
    };
    for (DueRow& row : rows) {
      auto why = RecheckNow(db, c, policy, row, now);
      if (!why.ok()) return abort(why.status());
      if (!why->empty()) {
        Statement& q = db.Query("campaign-outbox-final");
        q.Bind(":campaign_id", c.id).Bind(":customer_id", row.customer_id).Bind(":status", "skipped")
            .Bind(":error", "at sending: " + *why).Bind(":reason", *why);
        if (Status st = q.Run(); !st.ok()) return abort(st);
        ++report.skipped;
        ++done;
        continue;
      }
      auto data = LoadRenderData(db, row.customer_id);
      if (!data.ok() && data.status().code() != StatusCode::kNotFound) return abort(data.status());
      if (!data.ok()) {  // erased since the campaign was prepared
        Statement& q = db.Query("campaign-outbox-final");
        q.Bind(":campaign_id", c.id).Bind(":customer_id", row.customer_id).Bind(":status", "skipped")
            .Bind(":error", "at sending: the customer no longer exists").Bind(":reason", "erased");
        if (Status st = q.Run(); !st.ok()) return abort(st);
        ++report.skipped;
        ++done;
        continue;
      }
      if (quiet_applies) {
        std::string zone = ZoneFor(data->time_zone, data->country, policy);
        Instant allowed = NextAllowedTime(now, zone, data->country, policy);
        if (allowed != now) {
          Statement& q = db.Query("campaign-outbox-reschedule");
          q.Bind(":campaign_id", c.id).Bind(":customer_id", row.customer_id).Bind(":send_at", allowed.micros)
              .Bind(":error", "quiet hours").Bind(":undo_attempt", int64_t{0});
          if (Status st = q.Run(); !st.ok()) return abort(st);
          ++report.deferred;
          continue;
        }
      }
      auto job = std::make_unique<Job>();
      job->message.campaign = &c;
      job->message.customer_id = row.customer_id;
      job->message.address = row.address;
      job->message.coupon = row.coupon;
      job->message.message_id = MessageIdFor(c, row.customer_id);
      job->data = std::move(*data);
      if (!options.links.base_url.empty())
        job->message.unsubscribe_url = options.links.base_url + "/u/" + SignLink({c.id, row.customer_id, "u", ""}, options.links.secret);
      if (row.status == "sending") ++report.resumed;  // in flight when a previous run stopped
      Statement& claim = db.Query("campaign-outbox-claim");
      claim.Bind(":campaign_id", c.id).Bind(":customer_id", row.customer_id).Bind(":message_id", job->message.message_id);
      if (Status st = claim.Run(); !st.ok()) return abort(st);
      job->row = std::move(row);
      jobs.push_back(std::move(job));
    }
    RETURN_IF_ERROR(db.Commit());
    // Rows skipped at sending count as done too, even when nothing of this batch is delivered.
    if (options.progress && jobs.empty()) options.progress(done, total);
    delivered_or_claimed += static_cast<int64_t>(jobs.size());
    for (auto& job : jobs) dispatcher.Submit(std::move(job));
    // Record as results arrive; the next batch is claimed once this one is done,
    // so that a stop request leaves nothing claimed and unsent.
    while (dispatcher.in_flight() > 0) {
      Status st = record(dispatcher.TakeFinished());
      if (!st.ok()) {
        failure = st;
        break;
      }
    }
  }
  // Drain whatever is still in flight before returning (the dispatcher's destructor joins).
  while (dispatcher.in_flight() > 0) {
    Status st = record(dispatcher.TakeFinished());
    if (!st.ok() && failure.ok()) failure = st;
  }
  if (!failure.ok()) return failure;
  open.Bind(":campaign_id", c.id);
  ASSIGN_OR_RETURN(bool still, open.Step());
  report.remaining = still ? static_cast<uint64_t>(open.Int(0)) : 0;
  open.Reset();
  if (report.remaining == 0 && !(options.stop && options.stop->load())) RETURN_IF_ERROR(WriteStatus(db, c, "done", clock));
  report.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return report;
}

// ---------------------------------------------------------------------------
// Responses
// ---------------------------------------------------------------------------

Status RecordResponse(Database& db, int64_t campaign_id, int64_t customer_id, std::string_view kind,
                      const Clock& clock, std::string_view detail) {
  ASSIGN_OR_RETURN(Campaign c, LoadCampaign(db, std::to_string(campaign_id)));
  ASSIGN_OR_RETURN(int64_t source_id, CampaignSourceId(db, clock));
  Instant now = clock.Now();
  std::string query, event;
  if (kind == "open") query = "campaign-mark-opened", event = "message_opened";
  else if (kind == "click") query = "campaign-mark-clicked", event = "message_clicked";
  else if (kind == "unsubscribe") query = "campaign-mark-unsubscribed", event = "message_unsubscribed";
  else if (kind == "delivered") query = "campaign-mark-delivered", event = "message_delivered";
  else return InvalidArgument("unknown response \"" + std::string(kind) + "\"");
  RETURN_IF_ERROR(db.Begin());
  auto fail = [&](Status st) {
    (void)db.Rollback();
    return st;
  };
  Statement& q = db.Query(query);
  q.Bind(":campaign_id", campaign_id).Bind(":customer_id", customer_id).Bind(":now", now.micros);
  if (Status st = q.Run(); !st.ok()) return fail(st);
  const bool first = db.changes() > 0;
  if (first) {
    std::string channel(ConsentChannel(c.channel));
    json props = {{"campaign", c.name}, {"campaign_id", c.id}, {"channel", channel}};
    if (!detail.empty() && IsValidUtf8(detail)) props["url"] = std::string(detail.substr(0, 2000));
    if (Status st = AppendEvent(db, source_id, customer_id, event,
                                std::string(kind) + ":" + std::to_string(c.id) + ":" + std::to_string(customer_id),
                                props.dump(), now);
        !st.ok())
      return fail(st);
    if (kind == "unsubscribe") {
      Statement& w = db.Query("campaign-consent-withdraw");
      w.Bind(":customer_id", customer_id).Bind(":channel", channel).Bind(":purpose", c.purpose).Bind(":now", now.micros)
          .Bind(":source_id", source_id)
          .Bind(":proof", "unsubscribe link of campaign \"" + c.name + "\" (id " + std::to_string(c.id) + ")");
      if (Status st = w.Run(); !st.ok()) return fail(st);
      if (Status st = NoteEngineInputsChanged(db); !st.ok()) return fail(st);
    }
  }
  return db.Commit();
}

Status RecordBounce(Database& db, std::string_view message_id, bool hard, std::string_view reason, const Clock& clock) {
  Statement& q = db.Query("campaign-outbox-by-message");
  q.Bind(":message_id", message_id);
  ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) {
    q.Reset();
    return NotFound("no message with id " + std::string(message_id));
  }
  int64_t campaign_id = q.Int(0), customer_id = q.Int(1), contact = q.OptionalInt(2).value_or(0);
  q.Reset();
  ASSIGN_OR_RETURN(int64_t source_id, CampaignSourceId(db, clock));
  Instant now = clock.Now();
  RETURN_IF_ERROR(db.Begin());
  auto fail = [&](Status st) {
    (void)db.Rollback();
    return st;
  };
  if (hard) {
    Statement& m = db.Query("campaign-mark-bounced");
    m.Bind(":campaign_id", campaign_id).Bind(":customer_id", customer_id).Bind(":reason", reason);
    if (Status st = m.Run(); !st.ok()) return fail(st);
    if (contact) {
      Statement& b = db.Query("campaign-contact-point-bounced");
      b.Bind(":id", contact).Bind(":reason", reason).Bind(":now", now.micros);
      if (Status st = b.Run(); !st.ok()) return fail(st);
      if (Status st = NoteEngineInputsChanged(db); !st.ok()) return fail(st);
    }
  }
  json props = {{"campaign_id", campaign_id},
                {"hard", hard},
                {"reason", std::string(Utf8Prefix(reason, 300))}};
  if (Status st = AppendEvent(db, source_id, customer_id, "message_bounced",
                              std::string(hard ? "bounce:" : "softbounce:") + std::to_string(campaign_id) + ":" +
                                  std::to_string(customer_id),
                              props.dump(), now);
      !st.ok())
    return fail(st);
  return db.Commit();
}

// ---------------------------------------------------------------------------
// Call and direct-mail lists
// ---------------------------------------------------------------------------

namespace {

std::string CsvCell(std::string_view v) {
  std::string s(v);
  // Spreadsheet formula injection: a cell must not start a formula.
  if (!s.empty() && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t')) s.insert(0, "'");
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"') out += "\"\"";
    else out.push_back(ch);
  }
  return out + "\"";
}

class CsvListTransport final : public Transport {
 public:
  explicit CsvListTransport(const std::string& path) : out_(path, std::ios::binary | std::ios::app) {}
  bool ok() const { return out_.good(); }
  DeliveryResult Send(const OutboundMessage& m) override {
    std::lock_guard lock(mu_);
    if (!header_written_ && out_.tellp() == 0) {
      out_ << "customer_id,campaign,address,language,variant,coupon";
      for (auto& [k, _] : m.summary) out_ << "," << CsvCell(k);
      out_ << ",subject,script\r\n";
    }
    header_written_ = true;
    out_ << m.customer_id << "," << CsvCell(m.campaign ? m.campaign->name : "") << "," << CsvCell(m.address) << ","
         << CsvCell(m.content.language) << "," << CsvCell(m.content.variant) << "," << CsvCell(m.coupon);
    for (auto& [_, v] : m.summary) out_ << "," << CsvCell(v);
    out_ << "," << CsvCell(m.content.subject) << "," << CsvCell(m.content.text) << "\r\n";
    out_.flush();
    if (!out_) return {DeliveryResult::Kind::kTransient, "", "cannot write the list file", false};
    return {};
  }
  int concurrency() const override { return 1; }

 private:
  std::mutex mu_;
  std::ofstream out_;
  bool header_written_ = false;
};

}  // namespace

std::unique_ptr<Transport> MakeCsvListTransport(Database& /*db*/, const std::string& path) {
  auto t = std::make_unique<CsvListTransport>(path);
  if (!t->ok()) return nullptr;
  return t;
}

}  // namespace patron::campaign
