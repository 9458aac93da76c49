-- Access control, audit and privacy (issue 5, R11, R28): users, web sessions,
-- API keys, the append-only audit log, and tombstones of erased customers.
-- Secrets are never stored: passwords as argon2id strings, session tokens and
-- API keys as BLAKE2b hashes (they are 256-bit random, so a fast hash suffices).

CREATE TABLE users (
  id            INTEGER PRIMARY KEY,
  name          TEXT NOT NULL UNIQUE,
  role          TEXT NOT NULL CHECK (role = 'admin' OR role = 'marketer' OR role = 'analyst' OR role = 'support' OR role = 'collector'),
  password_hash TEXT NOT NULL,     -- crypto_pwhash_str: "$argon2id$v=19$m=...,t=...,p=1$salt$hash"
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL,
  last_login_at INTEGER,
  disabled_at   INTEGER            -- set: the user can no longer sign in; sessions stop working
);

-- Web UI sessions. The token is shown once to the browser; only its hash is kept.
CREATE TABLE sessions (
  token_hash   TEXT PRIMARY KEY,  -- hex BLAKE2b-256 of the token
  user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at   INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  ttl_micros   INTEGER NOT NULL,   -- sliding: a session expires ttl after its last use
  expires_at   INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_user ON sessions(user_id);

-- API keys for programs; collector keys are also Segment write keys.
CREATE TABLE api_keys (
  id           INTEGER PRIMARY KEY,
  name         TEXT NOT NULL,
  role         TEXT NOT NULL CHECK (role = 'admin' OR role = 'marketer' OR role = 'analyst' OR role = 'support' OR role = 'collector'),
  prefix       TEXT NOT NULL,      -- the first characters of the key, not secret, to recognise it in lists
  key_hash     TEXT NOT NULL UNIQUE,  -- hex BLAKE2b-256 of the key
  created_by   TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  last_used_at INTEGER,
  revoked_at   INTEGER
);

-- Who did what, when, from where: every change and every read of personal data.
-- Append-only: the triggers refuse UPDATE and DELETE. `detail` holds ids and
-- field names, never personal values. Erasing a customer keeps its audit rows:
-- a customer id is not itself personal data, and the log must show the erasure.
CREATE TABLE audit_log (
  id          INTEGER PRIMARY KEY,
  at          INTEGER NOT NULL,
  actor       TEXT NOT NULL,       -- "user:sara", "key:3", "cli:root"
  action      TEXT NOT NULL,       -- "customer.read", "customer.erase", "key.create", ...
  target_type TEXT,                -- "customer", "user", "key", "segment"
  target_id   TEXT,
  customer_id INTEGER,             -- the person concerned, when there is one (no foreign key: it outlives them)
  origin      TEXT,                -- client IP address, or "cli"
  detail      TEXT CHECK (detail IS NULL OR json_valid(detail))
);
CREATE INDEX audit_log_customer ON audit_log(customer_id, id) WHERE customer_id IS NOT NULL;
CREATE INDEX audit_log_actor ON audit_log(actor, id);
CREATE INDEX audit_log_at ON audit_log(at);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

-- Per-database secrets, created on first use (the tombstone hashing key).
CREATE TABLE access_secrets (
  name  TEXT PRIMARY KEY,
  value TEXT NOT NULL   -- hex
) WITHOUT ROWID;

-- Tombstones: keyed BLAKE2b hashes of an erased person's identifiers, so that
-- imports can refuse to bring them back without keeping the identifiers.
-- kind: 'email' (normalised), 'phone' (E.164), 'national_id' (compacted),
-- 'source_key' (source id and the record's key in that source).
CREATE TABLE erased_identifiers (
  kind      TEXT NOT NULL,
  hash      TEXT NOT NULL,  -- hex keyed BLAKE2b-256
  erased_at INTEGER NOT NULL,
  PRIMARY KEY (kind, hash)
) WITHOUT ROWID;
