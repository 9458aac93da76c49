// SMTP delivery over libcurl: a pool of easy handles (each keeps its connection
// open between messages), a token-bucket rate limit and precise outcomes taken
// from the server's replies as libcurl reports them to its debug callback.
#include <curl/curl.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>

#include "deliver/deliver.h"
#include "deliver/deliver_internal.h"

namespace patron::deliver {

namespace internal {
void EnsureCurl() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

size_t AppendAnswer(char* data, size_t size, size_t n, void* user) {
  auto* body = static_cast<std::string*>(user);
  size_t len = size * n;
  if (body->size() < 65536) body->append(data, std::min(len, 65536 - body->size()));
  return len;
}
}  // namespace internal

std::string_view DeliveryKindName(DeliveryKind kind) {
  switch (kind) {
    case DeliveryKind::kAccepted:
      return "accepted";
    case DeliveryKind::kTransientFailure:
      return "transient_failure";
    case DeliveryKind::kPermanentFailure:
      return "permanent_failure";
  }
  return "unknown";
}

std::string_view BounceKindName(BounceKind kind) {
  switch (kind) {
    case BounceKind::kNone:
      return "none";
    case BounceKind::kSoft:
      return "soft";
    case BounceKind::kHard:
      return "hard";
  }
  return "unknown";
}

namespace {

bool Contains(std::string_view haystack, std::initializer_list<std::string_view> needles) {
  for (std::string_view n : needles) {
    if (haystack.find(n) != std::string_view::npos) return true;
  }
  return false;
}

// "5.1.1" at the start of `text` (RFC 3463 class.subject.detail), or empty.
std::string LeadingEnhancedCode(std::string_view text) {
  size_t i = 0;
  auto digits = [&](size_t max) {
    size_t start = i;
    while (i < text.size() && i - start < max && std::isdigit(static_cast<unsigned char>(text[i])))
      ++i;
    return i > start;
  };
  if (text.empty() || (text[0] != '2' && text[0] != '4' && text[0] != '5')) return "";
  i = 1;
  if (i >= text.size() || text[i] != '.') return "";
  ++i;
  if (!digits(3) || i >= text.size() || text[i] != '.') return "";
  ++i;
  if (!digits(3)) return "";
  if (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i]))) return "";
  return std::string(text.substr(0, i));
}

}  // namespace

BounceKind ClassifyBounce(int code, std::string_view enhanced, std::string_view text) {
  int klass = code / 100;
  if (!enhanced.empty() && (enhanced[0] == '4' || enhanced[0] == '5')) klass = enhanced[0] - '0';
  if (klass < 4) return BounceKind::kNone;
  if (klass == 4) return BounceKind::kSoft;
  std::string lower = AsciiLower(text);
  // A full mailbox or a temporary condition is soft whatever the code says.
  if (Contains(lower, {"mailbox full", "mailbox is full", "quota", "insufficient storage",
                       "try again later", "temporarily", "greylist"})) {
    return BounceKind::kSoft;
  }
  bool says_unknown = Contains(
      lower, {"user unknown", "unknown user", "no such user", "does not exist",
              "recipient address rejected", "invalid recipient", "no mailbox", "mailbox not found",
              "unknown recipient", "no such recipient", "address rejected", "account disabled",
              "mailbox disabled", "not a valid mailbox", "user not found"});
  if (!enhanced.empty()) {
    std::string_view rest = enhanced.substr(2);  // "1.1"
    std::string_view subject = rest.substr(0, rest.find('.'));
    std::string_view detail = rest.substr(rest.find('.') + 1);
    if (subject == "1") {
      // 5.1.7/5.1.8: the sender's address is bad, not the recipient's.
      return (detail == "7" || detail == "8") ? BounceKind::kSoft : BounceKind::kHard;
    }
    if (subject == "2") return detail == "1" ? BounceKind::kHard : BounceKind::kSoft;
    if (subject == "4") return detail == "4" ? BounceKind::kHard : BounceKind::kSoft;
    return says_unknown ? BounceKind::kHard : BounceKind::kSoft;
  }
  if (says_unknown) return BounceKind::kHard;
  if (code == 550 || code == 551 || code == 553) return BounceKind::kHard;
  return BounceKind::kSoft;
}

// ---------------------------------------------------------------------------
// Rate limit
// ---------------------------------------------------------------------------

namespace {

// Token bucket with reservations: a caller that finds no token takes one on
// credit and sleeps until it would have been there, so waiting callers are
// served in arrival order without a busy loop.
class TokenBucket {
 public:
  TokenBucket(double rate, int burst) : rate_(rate), burst_(std::max(1, burst)), tokens_(burst_) {}

  void Acquire() {
    if (rate_ <= 0) return;
    std::chrono::duration<double> wait{0};
    {
      std::lock_guard lock(mutex_);
      auto now = std::chrono::steady_clock::now();
      if (started_) {
        tokens_ = std::min<double>(
            burst_, tokens_ + std::chrono::duration<double>(now - last_).count() * rate_);
      }
      started_ = true;
      last_ = now;
      tokens_ -= 1;
      if (tokens_ < 0) wait = std::chrono::duration<double>(-tokens_ / rate_);
    }
    if (wait.count() > 0) std::this_thread::sleep_for(wait);
  }

 private:
  const double rate_;
  const int burst_;
  std::mutex mutex_;
  double tokens_;  // GUARDED_BY(mutex_); negative: reserved ahead
  bool started_ = false;
  std::chrono::steady_clock::time_point last_;
};

// What the server said during one transfer, from libcurl's debug callback.
struct Transcript {
  std::string stage = "connect";
  int code = 0;
  std::string enhanced;
  std::string text;
  std::string pending;  // an incomplete reply line
  bool reply_open = false;
  bool closing = false;  // QUIT sent: its reply is not the outcome

  void Reset() { *this = Transcript(); }

  void OnCommand(std::string_view line) {
    std::string verb = AsciiLower(line.substr(0, line.find_first_of(" \r\n")));
    if (verb == "ehlo" || verb == "helo")
      stage = "ehlo";
    else if (verb == "starttls")
      stage = "starttls";
    else if (verb == "auth")
      stage = "auth";
    else if (verb == "mail")
      stage = "mail";
    else if (verb == "rcpt")
      stage = "rcpt";
    else if (verb == "data")
      stage = "data";
    else if (verb == "quit")
      closing = true;
  }

  void OnReplyBytes(std::string_view bytes) {
    pending.append(bytes);
    size_t nl;
    while ((nl = pending.find('\n')) != std::string::npos) {
      std::string line = pending.substr(0, nl);
      pending.erase(0, nl + 1);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      OnReplyLine(line);
    }
  }

  void OnReplyLine(std::string_view line) {
    if (closing || line.size() < 3 || !std::isdigit(static_cast<unsigned char>(line[0]))) return;
    if (stage == "connect") stage = "greeting";
    if (!reply_open) {
      code = std::atoi(std::string(line.substr(0, 3)).c_str());
      enhanced.clear();
      text.clear();
    }
    bool last = line.size() == 3 || line[3] == ' ';
    std::string_view rest = line.size() > 4 ? line.substr(4) : std::string_view();
    std::string ecode = LeadingEnhancedCode(rest);
    if (!ecode.empty()) {
      if (enhanced.empty()) enhanced = ecode;
      rest = internal::TrimWsp(rest.substr(ecode.size()));
    }
    if (!text.empty() && !rest.empty()) text += ' ';
    text += rest;
    reply_open = !last;
  }
};

struct Connection {
  CURL* easy = nullptr;
  Transcript transcript;
  char error[CURL_ERROR_SIZE] = {};
  ~Connection() {
    if (easy) curl_easy_cleanup(easy);
  }
};

struct Upload {
  std::string_view data;
  size_t pos = 0;
};

size_t ReadUpload(char* buffer, size_t size, size_t nitems, void* user) {
  auto* up = static_cast<Upload*>(user);
  size_t n = std::min(size * nitems, up->data.size() - up->pos);
  std::memcpy(buffer, up->data.data() + up->pos, n);
  up->pos += n;
  return n;
}

int OnDebug(CURL*, curl_infotype type, char* data, size_t size, void* user) {
  auto* t = static_cast<Transcript*>(user);
  if (type == CURLINFO_HEADER_IN) {
    t->OnReplyBytes(std::string_view(data, size));
  } else if (type == CURLINFO_HEADER_OUT) {
    t->OnCommand(std::string_view(data, size));
  }
  return 0;
}

}  // namespace

struct SmtpSender::Impl {
  explicit Impl(const SmtpServerConfig& c)
      : config(c), bucket(c.max_messages_per_second, c.rate_burst) {}

  SmtpServerConfig config;
  std::string url;
  TokenBucket bucket;
  std::mutex mutex;
  std::condition_variable freed;
  std::vector<std::unique_ptr<Connection>> all;  // GUARDED_BY(mutex)
  std::vector<Connection*> idle;                 // GUARDED_BY(mutex)
  std::atomic<int64_t> connections_opened{0};

  Connection* Checkout() {
    std::unique_lock lock(mutex);
    freed.wait(lock, [&] {
      return !idle.empty() || static_cast<int>(all.size()) < config.max_connections;
    });
    if (!idle.empty()) {
      Connection* c = idle.back();
      idle.pop_back();
      return c;
    }
    all.push_back(std::make_unique<Connection>());
    Connection* c = all.back().get();
    lock.unlock();
    Configure(c);
    return c;
  }

  void Return(Connection* c) {
    {
      std::lock_guard lock(mutex);
      idle.push_back(c);
    }
    freed.notify_one();
  }

  void Configure(Connection* c) {
    c->easy = curl_easy_init();
    CURL* e = c->easy;
    curl_easy_setopt(e, CURLOPT_URL, url.c_str());
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(e, CURLOPT_READFUNCTION, ReadUpload);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, c->error);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(config.timeout.count()));
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(config.timeout.count()));
    curl_easy_setopt(e, CURLOPT_MAXCONNECTS, 1L);
    // The debug callback is how libcurl shows the server's replies and our commands.
    curl_easy_setopt(e, CURLOPT_VERBOSE, 1L);
    curl_easy_setopt(e, CURLOPT_DEBUGFUNCTION, OnDebug);
    curl_easy_setopt(e, CURLOPT_DEBUGDATA, &c->transcript);
    switch (config.tls) {
      case SmtpTls::kNone:
        curl_easy_setopt(e, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_NONE));
        break;
      case SmtpTls::kStartTlsIfOffered:
        curl_easy_setopt(e, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_TRY));
        break;
      case SmtpTls::kStartTlsRequired:
      case SmtpTls::kImplicit:
        curl_easy_setopt(e, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
        break;
    }
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, config.verify_peer ? 1L : 0L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, config.verify_peer ? 2L : 0L);
    if (!config.ca_file.empty()) curl_easy_setopt(e, CURLOPT_CAINFO, config.ca_file.c_str());
    if (!config.username.empty()) {
      curl_easy_setopt(e, CURLOPT_USERNAME, config.username.c_str());
      curl_easy_setopt(e, CURLOPT_PASSWORD, config.password.c_str());
    }
  }
};

SmtpSender::SmtpSender(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SmtpSender::~SmtpSender() = default;

const SmtpServerConfig& SmtpSender::config() const { return impl_->config; }
int64_t SmtpSender::connections_opened() const { return impl_->connections_opened.load(); }

Result<std::unique_ptr<SmtpSender>> SmtpSender::Create(const SmtpServerConfig& config) {
  internal::EnsureCurl();
  if (config.host.empty() || config.host.find_first_of("/ \r\n@") != std::string::npos) {
    return InvalidArgument("smtp host '" + config.host + "' is not a host name or address");
  }
  if (config.port <= 0 || config.port > 65535)
    return InvalidArgument("smtp port must be 1 to 65535");
  if (config.max_connections < 1 || config.max_connections > 256) {
    return InvalidArgument("smtp max_connections must be 1 to 256");
  }
  if (config.max_messages_per_second < 0)
    return InvalidArgument("smtp max_messages_per_second is negative");
  if (config.timeout.count() <= 0) return InvalidArgument("smtp timeout must be positive");
  if (!config.helo_name.empty() &&
      !std::all_of(config.helo_name.begin(), config.helo_name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-';
      })) {
    return InvalidArgument("smtp helo_name '" + config.helo_name + "' is not a host name");
  }
  auto impl = std::make_unique<Impl>(config);
  std::string host =
      config.host.find(':') != std::string::npos ? "[" + config.host + "]" : config.host;
  impl->url = std::string(config.tls == SmtpTls::kImplicit ? "smtps://" : "smtp://") + host + ":" +
              std::to_string(config.port) + "/" + config.helo_name;  // the path is the EHLO name
  return std::unique_ptr<SmtpSender>(new SmtpSender(std::move(impl)));
}

DeliveryOutcome SmtpSender::Send(const OutgoingMail& mail) {
  auto started = std::chrono::steady_clock::now();
  DeliveryOutcome out;
  auto finish = [&]() -> DeliveryOutcome {
    out.elapsed = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - started);
    return out;
  };
  auto refuse = [&](std::string why) {
    out.kind = DeliveryKind::kPermanentFailure;
    out.stage = "local";
    out.error = std::move(why);
    return finish();
  };
  if (Status st = ValidateEmailAddress(mail.recipient); !st.ok()) {
    out.bounce = BounceKind::kHard;
    return refuse("recipient: " + st.message());
  }
  if (!mail.envelope_from.empty()) {
    if (Status st = ValidateEmailAddress(mail.envelope_from); !st.ok()) {
      return refuse("envelope_from: " + st.message());
    }
  }
  if (mail.data.empty()) return refuse("the message is empty");

  impl_->bucket.Acquire();
  Connection* c = impl_->Checkout();
  CURL* e = c->easy;
  c->transcript.Reset();
  c->error[0] = '\0';
  std::string from = "<" + mail.envelope_from + ">";
  std::string rcpt = "<" + mail.recipient + ">";
  curl_slist* recipients = curl_slist_append(nullptr, rcpt.c_str());
  Upload upload{mail.data, 0};
  curl_easy_setopt(e, CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(e, CURLOPT_MAIL_RCPT, recipients);
  curl_easy_setopt(e, CURLOPT_READDATA, &upload);
  curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(mail.data.size()));
  CURLcode rc = curl_easy_perform(e);
  long new_connections = 0;
  curl_easy_getinfo(e, CURLINFO_NUM_CONNECTS, &new_connections);
  impl_->connections_opened += new_connections;
  curl_easy_setopt(e, CURLOPT_MAIL_RCPT, nullptr);
  curl_easy_setopt(e, CURLOPT_READDATA, nullptr);
  curl_slist_free_all(recipients);

  const Transcript& t = c->transcript;
  out.smtp_code = t.code;
  out.enhanced_code = t.enhanced;
  out.server_text = t.text;
  out.stage = t.stage;
  if (rc == CURLE_OK) {
    out.kind = DeliveryKind::kAccepted;
    out.stage = "data";
  } else {
    out.error = c->error[0] ? c->error : curl_easy_strerror(rc);
    bool about_recipient = t.stage == "rcpt" || t.stage == "data";
    if (t.code >= 500 && t.code < 600 && about_recipient) {
      out.kind = DeliveryKind::kPermanentFailure;
      out.bounce = ClassifyBounce(t.code, t.enhanced, t.text);
    } else {
      out.kind = DeliveryKind::kTransientFailure;
      if (t.code >= 400 && t.code < 500 && about_recipient) out.bounce = BounceKind::kSoft;
    }
    if (rc == CURLE_OPERATION_TIMEDOUT) out.error = "timeout: " + out.error;
  }
  impl_->Return(c);
  return finish();
}

void SmtpSender::SendAll(
    const std::function<std::optional<OutgoingMail>()>& next,
    const std::function<void(const OutgoingMail&, const DeliveryOutcome&)>& on_outcome) {
  auto worker = [&] {
    while (true) {
      std::optional<OutgoingMail> mail = next();
      if (!mail) return;
      DeliveryOutcome outcome = Send(*mail);
      on_outcome(*mail, outcome);
    }
  };
  std::vector<std::thread> threads;
  for (int i = 1; i < impl_->config.max_connections; ++i) threads.emplace_back(worker);
  worker();
  for (auto& t : threads) t.join();
}

std::vector<DeliveryOutcome> SmtpSender::SendMany(std::span<const OutgoingMail> mails) {
  std::vector<DeliveryOutcome> outcomes(mails.size());
  std::atomic<size_t> next_index{0};
  SendAll(
      [&]() -> std::optional<OutgoingMail> {
        size_t i = next_index++;
        if (i >= mails.size()) return std::nullopt;
        OutgoingMail m = mails[i];
        m.tag = i;
        return m;
      },
      [&](const OutgoingMail& m, const DeliveryOutcome& o) { outcomes[m.tag] = o; });
  return outcomes;
}

}  // namespace patron::deliver
