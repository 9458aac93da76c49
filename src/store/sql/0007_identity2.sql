-- B2B accounts linked across sources (issue 3): the resolved account of each
-- account record, and the pairs a run merged or doubted or a person decided.
-- Account rows are never changed by linking, so every link can be undone.

CREATE TABLE identity_account_clusters (
  account_id  INTEGER PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
  resolved_id INTEGER NOT NULL,  -- the smallest account id of its cluster
  updated_at  INTEGER NOT NULL
);
CREATE INDEX identity_account_clusters_resolved ON identity_account_clusters(resolved_id);

-- 'merge' and 'review' are the latest run's; 'apart' and 'together' are a
-- person's decisions, which every later run respects.
CREATE TABLE identity_account_pairs (
  left_id    INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  right_id   INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  decision   TEXT NOT NULL
             CHECK (decision = 'merge' OR decision = 'review' OR decision = 'apart' OR decision = 'together'),
  rule       TEXT NOT NULL,  -- domain, name, similar_name, review, unmerge
  decided_at INTEGER NOT NULL,
  PRIMARY KEY (left_id, right_id)
) WITHOUT ROWID;
