-- Patron schema, campaigns (issue 7; R8, R17–R19, R22–R24, R26, R29).
-- A campaign is prepared once into campaign_recipients — the durable outbox —
-- with every audience member's group (target, holdout or suppressed and why),
-- variant and planned send time. Sending walks the outbox; each row's status
-- moves pending -> sending -> sent | failed | bounced | deferred, committed
-- before and after each delivery, so that a restart neither skips nor repeats.

CREATE TABLE campaigns (
  id               INTEGER PRIMARY KEY,
  name             TEXT NOT NULL UNIQUE,
  status           TEXT NOT NULL DEFAULT 'draft'
                   CHECK (status = 'draft' OR status = 'scheduled' OR status = 'sending' OR status = 'paused'
                          OR status = 'done' OR status = 'cancelled'),
  channel          TEXT NOT NULL
                   CHECK (channel = 'email' OR channel = 'sms' OR channel = 'call_list' OR channel = 'mail_list'
                          OR channel = 'webhook'),
  purpose          TEXT NOT NULL DEFAULT 'marketing',  -- the consent purpose the messages need
  audience         TEXT NOT NULL,   -- segment language text (may reference saved segments)
  holdout_percent  REAL NOT NULL DEFAULT 0 CHECK (holdout_percent >= 0 AND holdout_percent < 100),
  schedule_kind    TEXT NOT NULL DEFAULT 'now'
                   CHECK (schedule_kind = 'now' OR schedule_kind = 'at' OR schedule_kind = 'local_time'
                          OR schedule_kind = 'best_hour'),
  scheduled_at     INTEGER,         -- 'at': microseconds; 'local_time': the day (midnight UTC)
  local_minute     INTEGER,         -- 'local_time': minute of the day in each customer's time zone
  budget_minor     INTEGER,         -- NULL: no budget
  cost_per_message_minor INTEGER NOT NULL DEFAULT 0,
  currency         TEXT,
  goal             TEXT CHECK (goal IS NULL OR json_valid(goal)),  -- {"kind":"purchase","category":..,"within_days":..}
  offer_product    TEXT,            -- the product or category on offer (contact policy: one active offer per product)
  team             TEXT,            -- the team running it (contact policy)
  from_name        TEXT,
  from_address     TEXT,
  reply_to         TEXT,
  seed             INTEGER NOT NULL, -- salts the holdout and variant draws (stable per customer and campaign)
  created_by       TEXT,
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL,
  prepared_at      INTEGER,
  started_at       INTEGER,
  finished_at      INTEGER
);

-- Content variants (A/B/n) with their split, per language ('' = the default).
CREATE TABLE campaign_contents (
  campaign_id   INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
  variant       TEXT NOT NULL,
  language      TEXT NOT NULL DEFAULT '',
  split_percent REAL NOT NULL CHECK (split_percent > 0 AND split_percent <= 100),
  subject       TEXT,
  body_text     TEXT NOT NULL,   -- mustache template: email plain part, SMS text, call-list script
  body_html     TEXT,            -- mustache template: email HTML part
  PRIMARY KEY (campaign_id, variant, language)
) WITHOUT ROWID;

-- The outbox: one row per audience member.
CREATE TABLE campaign_recipients (
  campaign_id   INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
  customer_id   INTEGER NOT NULL,
  grp           TEXT NOT NULL CHECK (grp = 'target' OR grp = 'holdout' OR grp = 'suppressed'),
  reason        TEXT,            -- why suppressed (no_consent, no_contact_point, ...)
  variant       TEXT,
  language      TEXT,
  address       TEXT,            -- the email address, E.164 phone or postal address used
  contact_point_id INTEGER,
  coupon        TEXT,
  send_at       INTEGER,         -- planned (micros); NULL for holdout / suppressed
  status        TEXT NOT NULL DEFAULT 'pending'
                CHECK (status = 'pending' OR status = 'sending' OR status = 'sent' OR status = 'failed'
                       OR status = 'bounced' OR status = 'deferred' OR status = 'skipped'),
  attempts      INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER,
  message_id    TEXT,            -- the email Message-ID or the gateway's id
  last_error    TEXT,
  sent_at       INTEGER,
  delivered_at  INTEGER,
  opened_at     INTEGER,
  clicked_at    INTEGER,
  unsubscribed_at INTEGER,
  PRIMARY KEY (campaign_id, customer_id)
) WITHOUT ROWID;
CREATE INDEX campaign_recipients_due ON campaign_recipients(campaign_id, status, send_at);
CREATE INDEX campaign_recipients_message ON campaign_recipients(message_id);

-- Opt-out registers imported as files (Sweden's NIX-Telefon, Iran's SMS opt-out
-- list, a bank's own do-not-contact list): a value listed here is never contacted
-- on the list's channel.
CREATE TABLE suppression_entries (
  list       TEXT NOT NULL,
  channel    TEXT NOT NULL CHECK (channel = 'email' OR channel = 'sms' OR channel = 'phone' OR channel = 'mail'),
  value      TEXT NOT NULL,   -- normalised: lower-case email, E.164 phone
  added_at   INTEGER NOT NULL,
  PRIMARY KEY (channel, value, list)
) WITHOUT ROWID;

-- Contact policy settings: name -> JSON (frequency caps, quiet hours, weekend
-- days, flag tags). Defaults live in code (docs/campaigns.md); a row overrides.
CREATE TABLE campaign_settings (
  name       TEXT PRIMARY KEY,
  value      TEXT NOT NULL CHECK (json_valid(value)),
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;
