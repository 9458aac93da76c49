-- Patron schema, version 1: the customer database (R1–R4).
-- Picklist CHECKs are written as OR-chains, not IN lists: SQLite builds an
-- ephemeral table for each IN list on every INSERT, which halved import speed.
-- Times are INTEGER microseconds since the Unix epoch (UTC); calendar dates are
-- TEXT 'YYYY-MM-DD' (Gregorian); money is INTEGER minor units with a currency.

-- Where data comes from: every imported record remembers its source (R2).
CREATE TABLE sources (
  id            INTEGER PRIMARY KEY,
  name          TEXT NOT NULL UNIQUE,
  kind          TEXT NOT NULL DEFAULT 'internal'
                CHECK (kind = 'internal' OR kind = 'external' OR kind = 'purchased'),
  vendor        TEXT,
  cost_minor    INTEGER,
  currency      TEXT,
  acquired_at   INTEGER,
  consent_basis TEXT,   -- e.g. 'opt-in at vendor', 'contract', 'legitimate interest'
  created_at    INTEGER NOT NULL
);

-- Custom attributes are declared before use, with a type (R1 psychographics etc.).
CREATE TABLE attribute_definitions (
  entity      TEXT NOT NULL CHECK (entity = 'customer' OR entity = 'account'),
  name        TEXT NOT NULL,
  type        TEXT NOT NULL CHECK (type = 'text' OR type = 'integer' OR type = 'number' OR type = 'boolean' OR type = 'date' OR type = 'timestamp'),
  description TEXT,
  created_at  INTEGER NOT NULL,
  PRIMARY KEY (entity, name)
);

CREATE TABLE accounts (
  id                INTEGER PRIMARY KEY,
  name              TEXT NOT NULL,
  domain            TEXT,
  industry_code     TEXT,
  employees         INTEGER,
  revenue_minor     INTEGER,
  currency          TEXT,
  tier              TEXT,
  contract_status   TEXT,
  city              TEXT,
  country           TEXT,
  source_id         INTEGER REFERENCES sources(id),
  created_at        INTEGER NOT NULL,
  updated_at        INTEGER NOT NULL
);
CREATE INDEX accounts_domain ON accounts(domain);

CREATE TABLE customers (
  id                  INTEGER PRIMARY KEY,
  given_name          TEXT,
  family_name         TEXT,
  full_name           TEXT,
  salutation          TEXT,   -- 'Ms', 'Dr', 'آقای', 'Herr'
  greeting            TEXT,   -- how to address them: 'Dear Sara', 'سرکار خانم رضایی'
  gender              TEXT CHECK (gender = 'female' OR gender = 'male' OR gender = 'other' OR gender = 'unknown'),
  birth_date          TEXT,
  marital_status      TEXT,
  education           TEXT,
  income_band         TEXT,
  household_size      INTEGER,
  language            TEXT,
  time_zone           TEXT,
  city                TEXT,
  region              TEXT,
  country             TEXT,
  acquisition_channel TEXT,
  lifecycle_stage     TEXT,
  source_id           INTEGER REFERENCES sources(id),  -- the source that first created it
  created_at          INTEGER NOT NULL,
  updated_at          INTEGER NOT NULL
  -- The last interaction is derived from orders and events when read, not stored.
);

CREATE TABLE customer_tags (
  customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
  tag         TEXT NOT NULL,
  PRIMARY KEY (customer_id, tag)
) WITHOUT ROWID;

-- Values of declared custom attributes, stored with the declared type's affinity.
CREATE TABLE customer_attributes (
  customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
  name        TEXT NOT NULL,
  value,
  PRIMARY KEY (customer_id, name)
) WITHOUT ROWID;

CREATE TABLE account_attributes (
  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  name       TEXT NOT NULL,
  value,
  PRIMARY KEY (account_id, name)
) WITHOUT ROWID;

-- B2B buying group: customers who belong to an account, with their role (R3).
CREATE TABLE account_members (
  account_id  INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
  job_title   TEXT,
  created_at  INTEGER NOT NULL,
  PRIMARY KEY (account_id, customer_id)
) WITHOUT ROWID;
CREATE INDEX account_members_customer ON account_members(customer_id);

-- Emails, phones and postal addresses, several per customer, each with its
-- provenance, freshness and verification status (R7, R8, R10).
CREATE TABLE contact_points (
  id               INTEGER PRIMARY KEY,
  customer_id      INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
  kind             TEXT NOT NULL CHECK (kind = 'email' OR kind = 'phone' OR kind = 'address'),
  value            TEXT NOT NULL,  -- normalised: email with lower-case ASCII domain, E.164 phone, one-line address
  raw_value        TEXT,           -- as it arrived, when different
  phone_type       TEXT,           -- mobile, fixed_line, ...
  street           TEXT,
  postal_code      TEXT,
  city             TEXT,
  region           TEXT,
  country          TEXT,
  status           TEXT NOT NULL DEFAULT 'unverified'
                   CHECK (status = 'unverified' OR status = 'verified' OR status = 'invalid' OR status = 'bounced'),
  invalid_reason   TEXT,
  suggestion       TEXT,           -- a likely correction, never applied silently
  source_id        INTEGER REFERENCES sources(id),
  first_seen_at    INTEGER NOT NULL,
  last_seen_at     INTEGER NOT NULL,
  last_verified_at INTEGER,
  UNIQUE (customer_id, kind, value)
);
CREATE INDEX contact_points_value ON contact_points(kind, value);

-- The consent ledger: append-only, so proof of every grant and withdrawal is kept
-- (R19). The current state per channel and purpose is the latest row.
CREATE TABLE consents (
  id          INTEGER PRIMARY KEY,
  customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
  channel     TEXT NOT NULL CHECK (channel = 'email' OR channel = 'sms' OR channel = 'phone' OR channel = 'mail' OR channel = 'push'),
  purpose     TEXT NOT NULL DEFAULT 'marketing',
  status      TEXT NOT NULL CHECK (status = 'granted' OR status = 'withdrawn'),
  recorded_at INTEGER NOT NULL,
  source_id   INTEGER REFERENCES sources(id),
  method      TEXT CHECK (method = 'single_opt_in' OR method = 'double_opt_in' OR method = 'written' OR method = 'verbal' OR method = 'implied' OR method = 'unknown'),
  proof       TEXT
);
CREATE INDEX consents_customer ON consents(customer_id, channel, purpose, recorded_at);

CREATE VIEW current_consents AS
SELECT c.* FROM consents c
WHERE c.id = (SELECT c2.id FROM consents c2
              WHERE c2.customer_id = c.customer_id AND c2.channel = c.channel
                AND c2.purpose = c.purpose
              ORDER BY c2.recorded_at DESC, c2.id DESC LIMIT 1);

-- Which source record became which customer or account: the key to idempotent
-- re-imports and, later, to identity resolution and provenance. (Orders and events
-- carry their source key in their own rows; products are keyed by SKU.)
CREATE TABLE source_records (
  source_id        INTEGER NOT NULL REFERENCES sources(id),
  entity           TEXT NOT NULL CHECK (entity = 'customer' OR entity = 'account'),
  source_key       TEXT NOT NULL,
  entity_id        INTEGER NOT NULL,
  content_hash     INTEGER NOT NULL DEFAULT 0,
  first_imported_at INTEGER NOT NULL,
  last_imported_at  INTEGER NOT NULL,
  PRIMARY KEY (source_id, entity, source_key)
) WITHOUT ROWID;
CREATE INDEX source_records_entity ON source_records(entity, entity_id);

CREATE TABLE categories (
  id        INTEGER PRIMARY KEY,
  slug      TEXT NOT NULL UNIQUE,  -- 'electronics/phones'
  name      TEXT NOT NULL,
  parent_id INTEGER REFERENCES categories(id)
);

CREATE TABLE products (
  id          INTEGER PRIMARY KEY,
  sku         TEXT NOT NULL UNIQUE,
  name        TEXT,
  category_id INTEGER REFERENCES categories(id),
  brand       TEXT,
  price_minor INTEGER,
  currency    TEXT,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);

CREATE TABLE orders (
  id           INTEGER PRIMARY KEY,
  customer_id  INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
  order_number TEXT,
  ordered_at   INTEGER NOT NULL,
  status       TEXT NOT NULL DEFAULT 'completed',
  channel      TEXT,   -- 'web', 'store', 'app', 'phone'
  currency     TEXT,
  total_minor  INTEGER NOT NULL DEFAULT 0,
  source_id    INTEGER NOT NULL REFERENCES sources(id),
  UNIQUE (source_id, order_number)  -- the order's key in its source: re-imports update, never duplicate
);
CREATE INDEX orders_customer ON orders(customer_id, ordered_at);

CREATE TABLE order_lines (
  order_id         INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
  line_no          INTEGER NOT NULL,
  product_id       INTEGER REFERENCES products(id),
  quantity         INTEGER NOT NULL DEFAULT 1,
  unit_price_minor INTEGER NOT NULL DEFAULT 0,
  discount_minor   INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (order_id, line_no)
) WITHOUT ROWID;

-- Everything else a customer does: sign-ups, tickets, calls, survey answers,
-- web and app activity. Properties are a JSON object.
CREATE TABLE events (
  id          INTEGER PRIMARY KEY,
  customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
  type        TEXT NOT NULL,
  occurred_at INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  source_id   INTEGER NOT NULL REFERENCES sources(id),
  source_key  TEXT NOT NULL,  -- event_id / messageId, or a hash of the event when none
  properties  TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(properties)),
  UNIQUE (source_id, source_key)
);
CREATE INDEX events_customer ON events(customer_id, occurred_at);

-- Values that arrived but could not be accepted (a birth date that is no date, an
-- unknown country): kept with the reason, so nothing a source sent is lost.
CREATE TABLE field_issues (
  id         INTEGER PRIMARY KEY,
  entity     TEXT NOT NULL CHECK (entity = 'customer' OR entity = 'account' OR entity = 'product' OR entity = 'order' OR entity = 'event'),
  entity_id  INTEGER NOT NULL,
  field      TEXT NOT NULL,
  raw_value  TEXT NOT NULL,
  reason     TEXT NOT NULL,
  source_id  INTEGER REFERENCES sources(id),
  seen_at    INTEGER NOT NULL,
  UNIQUE (entity, entity_id, field, raw_value)
);

-- One row per import run, with its report, for the data-quality summary.
CREATE TABLE imports (
  id          INTEGER PRIMARY KEY,
  kind        TEXT NOT NULL,
  path        TEXT NOT NULL,
  source_id   INTEGER REFERENCES sources(id),
  started_at  INTEGER NOT NULL,
  finished_at INTEGER,
  records     INTEGER NOT NULL DEFAULT 0,
  rejected    INTEGER NOT NULL DEFAULT 0,
  report      TEXT
);
