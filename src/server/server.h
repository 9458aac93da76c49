// Patron server: `patron serve`. An HTTP/1.1 server (cpp-httplib) that collects
// web and app events through the Segment Tracking API (/v1/*, see
// src/collect/collect.h) and answers the REST API (/api/v1/*, described by
// /openapi.json), with health, readiness and Prometheus metrics.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/core.h"

namespace patron::server {

// Every setting of `patron serve`. Precedence: defaults < config file <
// environment (PATRON_*) < command-line flags (docs/operations.md).
struct ServerConfig {
  std::string host = "127.0.0.1";
  int port = 8080;                 // 0: any free port (printed at start)
  std::string db_path = "patron.db";
  int threads = 64;                // connection workers; each keep-alive connection holds one
  int read_timeout_seconds = 10;   // a client that sends nothing for this long is disconnected
  int keep_alive_seconds = 15;
  int keep_alive_max_requests = 10000;
  size_t max_body_bytes = 16u << 20;  // REST request bodies (uploads excepted)
  size_t max_upload_bytes = 1u << 30;
  size_t max_queued_events = 200000;  // then /v1/* answers 429 with Retry-After
  bool synchronous_full = false;      // fsync every commit (power-loss safe)
  std::string access_log = "-";       // "-" stderr, "off", or a file path (JSON lines)
  std::string settings_api_host;      // apiHost in /v1/projects/{key}/settings; default host:port
  std::string public_url;             // where messages' links point (tracking, unsubscribe); default http://host:port
  std::string smtp_url;               // campaigns' email: smtp://[user:pass@]host:port[?tls=..&rate=..&connections=..]
  std::string sms_gateway;            // campaigns' SMS: the gateway's JSON configuration file
  // The built web application (index.html, assets/); "" serves none. `patron
  // serve` defaults it to a "web" directory beside the executable.
  std::string web_root;
  // The session cookie's Secure attribute: "on", "off", or "auto" (when a TLS
  // proxy in front sends X-Forwarded-Proto: https). Turn it "on" when every
  // browser reaches the server over https.
  std::string secure_cookies = "auto";
  // Scheduled work (campaigns due at a later time, journeys' timers, weekly
  // reports) runs inside the server; "off" leaves it to another process.
  bool scheduler = true;
  // With the scheduler on: every this many seconds, the customer records that
  // arrived since (events, imports, API changes) are resolved against the
  // existing customers, incrementally (`patron identity resolve
  // --incremental`); 0 turns it off.
  int identity_interval_seconds = 60;
  // Before any resolution run, the server rebuilds from scratch on its own only
  // up to this many customer records: a first run over more holds the store's
  // write lock for long, so it is left to `patron identity resolve`.
  int64_t identity_first_run_limit = 100000;
};

// Reads a config file: `key = value` lines, '#' comments; keys as in
// docs/operations.md (listen, db, threads, read_timeout, ...). Unknown keys
// and bad values are errors naming the line.
Status LoadConfigFile(const std::string& path, ServerConfig* config);
// Applies PATRON_LISTEN, PATRON_DB, PATRON_THREADS, ... from `getenv`.
Status ApplyEnvironment(ServerConfig* config, const std::function<const char*(const char*)>& getenv);
// Applies one setting by its config-file key ("listen", "127.0.0.1:9000").
Status ApplySetting(ServerConfig* config, std::string_view key, std::string_view value);

class Server {
 public:
  // Opens the database (migrating it), starts the event writer and binds the
  // socket; serving starts on Run().
  static Result<std::unique_ptr<Server>> Create(const ServerConfig& config, const Clock& clock);
  virtual ~Server() = default;

  // The bound port (useful with port 0).
  virtual int port() const = 0;
  // Serves until Shutdown(); then returns after every accepted request has
  // been answered and every acknowledged event committed.
  virtual Status Run() = 0;
  // Stops accepting connections and lets Run() finish. Safe from a signal-
  // watching thread; idempotent.
  virtual void Shutdown() = 0;
};

}  // namespace patron::server
