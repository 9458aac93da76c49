-- Identity resolution (issue 3, R9, R10): which customer records are one
-- person, why, and what is known best about that person. Customer rows are
-- never changed or deleted by a merge: records are linked to a resolved
-- customer, so that undoing a merge restores exactly what was there.

-- One row per resolution run, with the fitted model (m/u per field and level).
CREATE TABLE identity_runs (
  id                   INTEGER PRIMARY KEY,
  started_at           INTEGER NOT NULL,
  finished_at          INTEGER,
  records              INTEGER NOT NULL DEFAULT 0,
  clusters             INTEGER NOT NULL DEFAULT 0,
  candidate_pairs      INTEGER NOT NULL DEFAULT 0,
  rule_merges          INTEGER NOT NULL DEFAULT 0,
  probabilistic_merges INTEGER NOT NULL DEFAULT 0,
  reviews              INTEGER NOT NULL DEFAULT 0,
  guard_refusals       INTEGER NOT NULL DEFAULT 0,
  model                TEXT CHECK (model IS NULL OR json_valid(model))
);

-- The resolved customer of every customer record: the smallest customer id of
-- its cluster (itself when it stands alone).
CREATE TABLE identity_clusters (
  customer_id INTEGER PRIMARY KEY REFERENCES customers(id) ON DELETE CASCADE,
  resolved_id INTEGER NOT NULL,
  run_id      INTEGER REFERENCES identity_runs(id),
  updated_at  INTEGER NOT NULL
);
CREATE INDEX identity_clusters_resolved ON identity_clusters(resolved_id);

-- The merge log: every change of a record's resolved customer, by a run
-- ('merge', 'split'), a review decision ('review') or `identity unmerge`.
CREATE TABLE identity_merge_log (
  id                   INTEGER PRIMARY KEY,
  run_id               INTEGER REFERENCES identity_runs(id),
  at                   INTEGER NOT NULL,
  action               TEXT NOT NULL CHECK (action = 'merge' OR action = 'split' OR action = 'unmerge'),
  customer_id          INTEGER NOT NULL,
  resolved_id          INTEGER NOT NULL,   -- after
  previous_resolved_id INTEGER NOT NULL,   -- before
  reason               TEXT NOT NULL,      -- email, phone, national_id, probabilistic, review, unmerge, rebuild
  probability          REAL
);
CREATE INDEX identity_merge_log_customer ON identity_merge_log(customer_id, id);

-- Pairs the latest run merged or sent to review, with their score.
CREATE TABLE identity_pairs (
  left_id     INTEGER NOT NULL,
  right_id    INTEGER NOT NULL,
  run_id      INTEGER NOT NULL REFERENCES identity_runs(id),
  decision    TEXT NOT NULL CHECK (decision = 'merge' OR decision = 'review'),
  rule        TEXT,             -- the deterministic rule, when one linked them
  probability REAL NOT NULL,
  weight      REAL NOT NULL,
  PRIMARY KEY (left_id, right_id)
) WITHOUT ROWID;

-- Doubtful pairs waiting for a person's decision.
CREATE TABLE identity_review_queue (
  id          INTEGER PRIMARY KEY,
  left_id     INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
  right_id    INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
  probability REAL NOT NULL,
  weight      REAL NOT NULL,
  status      TEXT NOT NULL DEFAULT 'pending'
              CHECK (status = 'pending' OR status = 'accepted' OR status = 'rejected'),
  created_at  INTEGER NOT NULL,
  decided_at  INTEGER,
  UNIQUE (left_id, right_id)
);

-- Decisions every later run respects: 'apart' (a rejected review, an unmerge)
-- or 'together' (an accepted review).
CREATE TABLE identity_decisions (
  left_id    INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
  right_id   INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
  decision   TEXT NOT NULL CHECK (decision = 'apart' OR decision = 'together'),
  reason     TEXT NOT NULL,
  decided_at INTEGER NOT NULL,
  PRIMARY KEY (left_id, right_id)
) WITHOUT ROWID;

-- The golden record: the surviving value of each field of a resolved customer,
-- with its provenance (which record and source gave it, by which rule) and,
-- for contact values, the probability that it is still valid (R10).
CREATE TABLE identity_golden (
  resolved_id INTEGER NOT NULL,
  field       TEXT NOT NULL,
  value       TEXT NOT NULL,
  customer_id INTEGER NOT NULL,   -- the record the value came from
  source_id   INTEGER,
  rule        TEXT NOT NULL,      -- verified, source_trust, most_recent, most_frequent, longest
  seen_at     INTEGER,
  freshness   REAL,               -- probability the value is still valid; NULL for stable fields
  PRIMARY KEY (resolved_id, field)
) WITHOUT ROWID;
