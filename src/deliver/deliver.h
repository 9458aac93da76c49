// Patron deliver: turning a prepared campaign message into bytes on the wire and
// reporting precisely what the far side said.
//
//  * Email: RFC 5322/2045 composition for UTF-8 (encoded-word headers,
//    quoted-printable or base64 bodies, multipart/alternative), RFC 8058
//    one-click List-Unsubscribe, optional DKIM (rsa-sha256, ed25519-sha256),
//    and an SMTP client over libcurl with a pool of reused connections,
//    STARTTLS and a per-server rate limit. Bounces are classified hard/soft,
//    asynchronous DSNs (RFC 3464) parsed.
//  * SMS: HTTP gateways described by configuration (URL, JSON or form body
//    template), GSM-7/UCS-2 segment counting and delivery-receipt parsing.
//  * Signed tokens for unsubscribe and tracking links.
//
// This layer keeps no state about messages: the campaign outbox calls it once per
// message, records the outcome, schedules retries (RetryDelay) and updates
// contact points on hard bounces. It has no database dependency and its header
// pulls in no curl, OpenSSL or libsodium headers.
//
// Thread-safety: free functions are thread-safe. SmtpSender, SmsGateway and
// DkimSigner are thread-safe (one instance is shared by all sending threads).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/core.h"

namespace patron::deliver {

// ---------------------------------------------------------------------------
// Addresses
// ---------------------------------------------------------------------------

// An email address with an optional display name (any UTF-8).
struct Mailbox {
  std::string address;  // "sara@example.com": ASCII; IDN domains in their xn-- form
  std::string display_name;
};

// OK when `address` is a plain RFC 5321 mailbox (dot-atom local part, LDH domain
// with at least one dot, at most 254 octets); else InvalidArgument saying why.
// Quoted local parts and SMTPUTF8 addresses are refused: few receivers take them.
Status ValidateEmailAddress(std::string_view address);

// ---------------------------------------------------------------------------
// DKIM (RFC 6376, RFC 8463)
// ---------------------------------------------------------------------------

enum class DkimAlgorithm { kRsaSha256, kEd25519Sha256 };

struct DkimKey {
  DkimAlgorithm algorithm = DkimAlgorithm::kRsaSha256;
  std::string domain;    // d=, e.g. "news.example.com"
  std::string selector;  // s=, e.g. "patron2026"
  // kRsaSha256: a PEM private key (PKCS#1 or PKCS#8, at least 1024 bits).
  // kEd25519Sha256: base64 of the 32-byte seed (as `dknewkey --ktype ed25519`
  // writes it) or of libsodium's 64-byte secret key.
  std::string private_key;
};

// Headers signed when present, in this order (h=).
inline constexpr std::string_view kDkimSignedHeaders[] = {"From",
                                                          "To",
                                                          "Subject",
                                                          "Date",
                                                          "Message-ID",
                                                          "MIME-Version",
                                                          "Content-Type",
                                                          "List-Unsubscribe",
                                                          "List-Unsubscribe-Post",
                                                          "Reply-To"};

// Signs messages with one key; relaxed/relaxed canonicalisation.
class DkimSigner {
 public:
  // InvalidArgument when the key does not parse, the domain or selector is not a
  // DNS name, or an RSA key is shorter than 1024 bits.
  static Result<DkimSigner> Create(const DkimKey& key);

  // Returns `message` (CRLF line ends, headers then an empty line then the body)
  // with a DKIM-Signature header prepended. `now_seconds` becomes t=.
  Result<std::string> Sign(std::string_view message, int64_t now_seconds) const;

  // The TXT record to publish at <selector>._domainkey.<domain>:
  // "v=DKIM1; k=rsa; p=..." or "v=DKIM1; k=ed25519; p=...".
  std::string DnsRecord() const;
  const DkimKey& key() const;

  DkimSigner(DkimSigner&&) noexcept;
  DkimSigner& operator=(DkimSigner&&) noexcept;
  ~DkimSigner();

 private:
  struct Impl;
  explicit DkimSigner(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// ---------------------------------------------------------------------------
// Composition
// ---------------------------------------------------------------------------

struct EmailMessage {
  Mailbox from;
  Mailbox to;
  std::optional<Mailbox> reply_to;
  std::string subject;    // UTF-8, one line
  std::string text_body;  // UTF-8; LF or CRLF line ends
  std::string html_body;  // UTF-8; optional (language and direction belong in its <html>)
  // Extra headers such as {"X-Patron-Campaign", "42"}. Names are RFC 5322 field
  // names (and not ones this layer writes itself); values are one line of UTF-8.
  std::vector<std::pair<std::string, std::string>> extra_headers;
  // One-click unsubscribe (RFC 8058): an https URL that unsubscribes on POST,
  // usually carrying a token from SignToken. With it, List-Unsubscribe-Post is added.
  std::string list_unsubscribe_url;
  std::string list_unsubscribe_mailto;  // an address; "mailto:" is added
};

struct ComposeOptions {
  // Right-hand side of a generated Message-ID; the From domain when empty.
  std::string message_id_domain;
  // The Message-ID to write instead of a random one ("<left@right>" or
  // "left@right"; printable ASCII without spaces or angle brackets inside), for
  // an outbox that keys bounces by its own stable id. It must be unique.
  std::string message_id;
  // Source of the Date header and DKIM t=; the system clock when null.
  const Clock* clock = nullptr;
  // Signs the message when set.
  const DkimSigner* dkim = nullptr;
};

struct ComposedEmail {
  std::string message_id;  // "<...@domain>", as written in the Message-ID header
  std::string data;        // the whole message, CRLF line ends, ready for SMTP DATA
};

// Builds an RFC 5322 message: Date, From, To, Reply-To, Subject, Message-ID,
// MIME-Version, List-Unsubscribe(-Post), the extra headers, then a text/plain
// part or a multipart/alternative of text/plain and text/html, UTF-8. Non-ASCII
// header text becomes RFC 2047 encoded-words (B, split on character boundaries,
// each at most 75 characters); bodies are quoted-printable, or base64 when that
// is shorter (e.g. Persian text). Lines are at most 76 characters.
// InvalidArgument (naming the field) for invalid UTF-8, CR or LF in a header
// value, an invalid address, a non-https unsubscribe URL or a reserved or
// malformed extra header name.
Result<ComposedEmail> ComposeEmail(const EmailMessage& message, const ComposeOptions& options = {});

// Click and open tracking: returns `html` with the href of every <a> that links
// to http(s) replaced by tracked_url(original, index) (index counts tracked links
// from 0; the original is HTML-unescaped, the replacement HTML-escaped on the
// way in), and, when open_pixel_url is non-empty, a 1x1 image of it before
// </body> (or at the end). Links for which tracked_url returns "" keep their
// href (use that for the unsubscribe link); mailto:, tel: and #anchors are never
// touched. The server's redirect endpoint should check a SignToken in the URL.
std::string AddTracking(
    std::string_view html,
    const std::function<std::string(std::string_view url, int index)>& tracked_url,
    std::string_view open_pixel_url);

// RFC 2047 helpers, exposed for tests and for the integrator's previews.
// Encodes one header value for a header of `header_name_length` characters; the
// result may contain CRLF SP folds.
std::string EncodeHeaderWords(std::string_view utf8, size_t header_name_length);
// Decodes encoded-words (B and Q, UTF-8 and US-ASCII), unfolding CRLF SP.
Result<std::string> DecodeHeaderWords(std::string_view value);
// Content-Transfer-Encodings (lines at most 76 characters, CRLF).
std::string EncodeQuotedPrintable(std::string_view data);
std::string EncodeBase64Lines(std::string_view data);

// ---------------------------------------------------------------------------
// SMTP
// ---------------------------------------------------------------------------

enum class SmtpTls {
  kNone,               // plain SMTP; never STARTTLS (loopback relays, tests)
  kStartTlsIfOffered,  // STARTTLS when the server offers it, else plain
  kStartTlsRequired,   // STARTTLS or fail
  kImplicit,           // TLS from the first byte (port 465, smtps)
};

struct SmtpServerConfig {
  std::string host = "127.0.0.1";
  int port = 25;
  SmtpTls tls = SmtpTls::kStartTlsIfOffered;
  bool verify_peer = true;  // check the server's certificate and name
  std::string ca_file;      // PEM bundle to verify against; the system's when empty
  std::string username;     // AUTH when non-empty (only over TLS unless tls == kNone)
  std::string password;
  std::string helo_name;                      // EHLO name; libcurl's default when empty
  int max_connections = 4;                    // connections kept open and reused
  double max_messages_per_second = 0;         // 0: unlimited
  int rate_burst = 1;                         // messages that may go at once before pacing starts
  std::chrono::milliseconds timeout{30'000};  // connect and per-message
};

// Reads "smtp://[user:password@]host[:port][?tls=none|starttls|required|implicit
// &rate=N&burst=N&connections=N&timeout=SECONDS&helo=NAME&verify=0|1&ca=PATH]";
// "smtps://" means implicit TLS on port 465. User and password are
// percent-decoded. InvalidArgument naming the part that is wrong.
Result<SmtpServerConfig> ParseSmtpUrl(std::string_view url);

enum class DeliveryKind {
  kAccepted,          // 2xx after DATA
  kTransientFailure,  // 4xx, connection failures, timeouts: retry later
  kPermanentFailure,  // 5xx: do not retry this message to this recipient
};
// Only a 5xx reply to RCPT TO, DATA or the message itself is a permanent
// failure: session-level refusals (greeting, EHLO, STARTTLS, AUTH, MAIL FROM)
// say nothing about the recipient and are transient with bounce kNone, so that a
// misconfigured server does not mark every address as bad.
std::string_view DeliveryKindName(DeliveryKind kind);

enum class BounceKind { kNone, kSoft, kHard };
std::string_view BounceKindName(BounceKind kind);

struct DeliveryOutcome {
  DeliveryKind kind = DeliveryKind::kTransientFailure;
  int smtp_code = 0;          // the server's last reply code; 0 when it never answered
  std::string enhanced_code;  // "5.1.1" (RFC 3463) when the server gave one
  std::string server_text;    // the reply text after the codes, lines joined by ' '
  std::string error;          // transport error ("connection refused", "timeout"), if any
  // Where it ended: "connect", "greeting", "ehlo", "starttls", "auth", "mail",
  // "rcpt", "data" (the reply to DATA or to the message) or "local" (refused
  // before connecting, e.g. an invalid recipient).
  std::string stage;
  BounceKind bounce = BounceKind::kNone;  // ClassifyBounce for failures
  std::chrono::microseconds elapsed{0};

  bool accepted() const { return kind == DeliveryKind::kAccepted; }
};

// Hard: the address will not work (unknown user, bad domain, 5.1.x, 5.4.4 ...).
// Soft: it may later (full mailbox 4.2.2/5.2.2, greylisting, 4xx, size, policy
// and spam blocks that are about the sender, not the address). kNone for 2xx.
BounceKind ClassifyBounce(int code, std::string_view enhanced, std::string_view text);

struct OutgoingMail {
  std::string envelope_from;  // MAIL FROM (the bounce address)
  std::string recipient;      // RCPT TO
  std::string data;           // ComposedEmail::data
  uint64_t tag = 0;           // the caller's id, handed back with the outcome
};

// A pool of SMTP connections to one server. Each connection is a libcurl handle
// that keeps its connection open between messages; a message waits for a free
// connection and for the rate limit, then goes MAIL FROM / RCPT TO / DATA.
// A connection whose transaction failed is reopened for the next message.
class SmtpSender {
 public:
  // InvalidArgument for a config that cannot work (no host, port, connections).
  static Result<std::unique_ptr<SmtpSender>> Create(const SmtpServerConfig& config);
  ~SmtpSender();

  // Sends one message and says what happened. Blocks; thread-safe.
  DeliveryOutcome Send(const OutgoingMail& mail);

  // Sends every message `next` returns (until nullopt) on max_connections threads
  // and calls `on_outcome` once per message, from those threads. Both are called
  // concurrently from the worker threads and must be thread-safe; that lets
  // `next` compose and sign in parallel. Memory stays bounded by what the
  // caller holds (one message per worker).
  void SendAll(const std::function<std::optional<OutgoingMail>()>& next,
               const std::function<void(const OutgoingMail&, const DeliveryOutcome&)>& on_outcome);
  // Convenience over SendAll: outcomes in the order of `mails`.
  std::vector<DeliveryOutcome> SendMany(std::span<const OutgoingMail> mails);

  // Connections opened so far (for tests and metrics).
  int64_t connections_opened() const;
  const SmtpServerConfig& config() const;

 private:
  struct Impl;
  explicit SmtpSender(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// An asynchronous bounce (RFC 3464 delivery status notification), one per
// recipient of a multipart/report; report-type=delivery-status message.
struct DsnRecipient {
  std::string recipient;            // Final-Recipient (or Original-Recipient) address
  std::string action;               // failed, delayed, delivered, relayed, expanded
  std::string status;               // "5.1.1"
  std::string diagnostic;           // Diagnostic-Code text, if any
  std::string original_message_id;  // Message-ID of the returned message, if included
  BounceKind bounce = BounceKind::kNone;
};
// InvalidArgument when `message` is not a delivery-status report.
Result<std::vector<DsnRecipient>> ParseDsn(std::string_view message);

// ---------------------------------------------------------------------------
// Retries
// ---------------------------------------------------------------------------

// Attempts after which a transiently failing message is given up (counting the first).
inline constexpr int kMaxDeliveryAttempts = 8;

// Delay before attempt `attempt + 1` after `attempt` (1-based) failed
// transiently: 1 min, 2, 4, 8 ... doubled each time, capped at 6 hours, then
// shortened at random by up to 20 % so retries from one batch spread out.
std::chrono::seconds RetryDelay(int attempt);
// The range RetryDelay draws from: {cap * 0.8, cap}.
std::pair<std::chrono::seconds, std::chrono::seconds> RetryDelayRange(int attempt);

// ---------------------------------------------------------------------------
// Signed tokens (unsubscribe, click and open tracking links)
// ---------------------------------------------------------------------------

// "<base64url(payload)>.<base64url(HMAC-SHA256(key, payload))>"; URL-safe.
// REQUIRES: key is at least 32 bytes.
std::string SignToken(std::string_view key, std::string_view payload);
// The payload when the MAC matches; PermissionDenied otherwise,
// InvalidArgument when the token is malformed.
Result<std::string> VerifyToken(std::string_view key, std::string_view token);

// ---------------------------------------------------------------------------
// SMS
// ---------------------------------------------------------------------------

enum class SmsEncoding { kGsm7, kUcs2 };

struct SmsSegments {
  SmsEncoding encoding = SmsEncoding::kGsm7;
  // GSM-7: septets (extension-table characters such as € { } [ ] count 2).
  // UCS-2: UTF-16 code units (characters beyond the BMP count 2).
  int units = 0;
  int segments = 1;  // 160/70 units in one; 153/67 per part when concatenated
};

// Counts the parts an SMS text takes. Persian and Arabic (and anything outside
// the GSM 03.38 tables) are UCS-2. Extension escapes and surrogate pairs are never
// split between parts. An empty text takes one segment.
// REQUIRES: IsValidUtf8(text).
SmsSegments CountSmsSegments(std::string_view text);

enum class SmsBodyFormat { kJson, kForm };

struct SmsGatewayConfig {
  // Placeholders {to} {text} {sender} {reference} are replaced in the URL
  // (percent-encoded) and in the body template (JSON-escaped for kJson, without
  // the quotes, which belong in the template; form-encoded for kForm).
  std::string url;              // "https://sms.example.com/v1/messages"
  std::string method = "POST";  // POST or GET (GET sends no body)
  SmsBodyFormat body_format = SmsBodyFormat::kJson;
  std::string body_template =
      R"({"to":"{to}","text":"{text}","from":"{sender}","ref":"{reference}"})";
  std::string sender;                                        // the sender id or number
  std::vector<std::pair<std::string, std::string>> headers;  // e.g. {"Authorization", "Bearer ..."}
  std::vector<int> success_statuses = {200, 201, 202};
  // RFC 6901 pointer to the provider's message id in a JSON answer ("/messages/0/id");
  // empty when the answer carries none.
  std::string message_id_pointer;
  std::chrono::milliseconds timeout{15'000};
  int max_connections = 4;
};

// What a delivery receipt (the provider's webhook) looks like. Each field is a
// JSON pointer ("/status") for JSON bodies or a field name for form bodies.
struct SmsReceiptConfig {
  std::string reference_field = "/ref";  // our reference, echoed back
  std::string provider_id_field = "/id";
  std::string status_field = "/status";
  std::string error_field = "/error";
  std::vector<std::string> delivered_values = {"delivered", "DELIVRD", "DELIVERED"};
  std::vector<std::string> failed_values = {"failed",  "undelivered", "rejected", "expired",
                                            "UNDELIV", "REJECTD",     "EXPIRED",  "FAILED"};
  // Error codes of a failed receipt that say the number itself is gone (no
  // longer in service), not that this message failed: Twilio's 30005,
  // "unknown destination handset". A phone off or out of credit is not gone.
  std::vector<std::string> number_gone_errors = {"30005"};
};

// What an HTTP gateway or webhook receiver made of one request.
struct HttpOutcome {
  DeliveryKind kind = DeliveryKind::kTransientFailure;
  int http_status = 0;      // 0 when no answer
  std::string provider_id;  // from message_id_pointer
  std::string error;        // transport error or the start of the answer body
  std::chrono::microseconds elapsed{0};
  bool accepted() const { return kind == DeliveryKind::kAccepted; }
};
using SmsOutcome = HttpOutcome;

enum class SmsReceiptStatus { kDelivered, kFailed, kPending };
std::string_view SmsReceiptStatusName(SmsReceiptStatus status);

struct SmsReceipt {
  std::string reference;
  std::string provider_id;
  SmsReceiptStatus status = SmsReceiptStatus::kPending;
  std::string provider_status;  // as the provider wrote it
  std::string reason;           // the error field, if any
  // Failed with one of SmsReceiptConfig::number_gone_errors.
  bool number_gone = false;
};

// Parses a receipt body: JSON when it starts with '{', else
// application/x-www-form-urlencoded. InvalidArgument (naming the field) when it
// does not parse or has neither a reference nor a provider id, or no status.
Result<SmsReceipt> ParseDeliveryReceipt(const SmsReceiptConfig& config, std::string_view body);

// Reads a gateway description in JSON: {"url", "method", "body_format":
// "json"|"form", "body_template", "sender", "headers": {name: value},
// "success_statuses": [..], "message_id_pointer", "timeout_seconds",
// "max_connections", "receipt": {"reference_field", "provider_id_field",
// "status_field", "error_field", "delivered_values": [..], "failed_values": [..],
// "number_gone_errors": [..]}}.
// Absent fields keep their defaults. InvalidArgument naming the field.
struct SmsGatewayDescription {
  SmsGatewayConfig gateway;
  SmsReceiptConfig receipt;
};
Result<SmsGatewayDescription> ParseSmsGatewayJson(std::string_view json);

// Sends SMS through one HTTP gateway with reused connections.
// Accepted: a success status; transient: 408, 429, 5xx, no answer; permanent:
// any other status.
class SmsGateway {
 public:
  // InvalidArgument for a URL that is not http(s), an unknown method or a
  // template with unknown placeholders.
  static Result<std::unique_ptr<SmsGateway>> Create(const SmsGatewayConfig& config);
  ~SmsGateway();

  // REQUIRES: to_e164 like "+989121234567"; text valid UTF-8 (else a permanent
  // failure saying why, without contacting the gateway).
  SmsOutcome Send(std::string_view to_e164, std::string_view text, std::string_view reference);

  // The request body Send would post (for previews and tests).
  std::string RenderBody(std::string_view to_e164, std::string_view text,
                         std::string_view reference) const;
  std::string RenderUrl(std::string_view to_e164, std::string_view text,
                        std::string_view reference) const;

 private:
  struct Impl;
  explicit SmsGateway(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// ---------------------------------------------------------------------------
// Webhooks: one JSON document per message, POSTed to a receiver's URL (an app's
// in-app inbox, a push service, an ad platform's audience API, a CRM).
// ---------------------------------------------------------------------------

struct WebhookConfig {
  std::string url;                                           // http(s)
  std::vector<std::pair<std::string, std::string>> headers;  // e.g. {"Authorization", "Bearer ..."}
  // When set, each request carries `X-Patron-Signature: t=UNIX,v1=HEX` where
  // HEX = hex(HMAC-SHA256(secret, "UNIX.BODY")), so that the receiver can check
  // who sent it and reject replays older than it accepts.
  std::string secret;
  std::chrono::milliseconds timeout{15'000};
  int max_connections = 4;
};

// The signature header's value for `body` signed at `unix_seconds`.
std::string WebhookSignature(std::string_view secret, int64_t unix_seconds, std::string_view body);

// Posts JSON bodies with reused connections. Every request carries
// `Idempotency-Key` (the caller's stable message id): a retry after a timeout
// or a crash repeats the key, and the receiver drops the copy.
// Accepted: 2xx; transient: 408, 425, 429, 5xx or no answer; permanent: any
// other status (the answer's start is kept in `error`).
class WebhookSender {
 public:
  // InvalidArgument for a URL that is not http(s) or a header with a line break.
  static Result<std::unique_ptr<WebhookSender>> Create(const WebhookConfig& config);
  ~WebhookSender();
  HttpOutcome Post(std::string_view json_body, std::string_view idempotency_key, int64_t unix_seconds);

 private:
  struct Impl;
  explicit WebhookSender(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace patron::deliver
