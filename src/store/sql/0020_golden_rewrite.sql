-- Golden records rewritten in the background (issue 3): a survivorship or
-- decay change marks them stale ("golden_stale", a generation counted up by
-- each change) in the transaction of the change; the rewrite, in chunks that
-- each hold the write lock briefly, removes the mark only if no change came
-- while it ran. A crash in between leaves the mark, and the rewrite is done
-- again. SQLite cannot change a CHECK constraint in place: the table is made
-- again with the new name allowed.
CREATE TABLE identity_settings_new (
  name       TEXT PRIMARY KEY CHECK (name IN ('monthly_decay', 'golden_stale')),
  value      REAL NOT NULL,
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO identity_settings_new (name, value, updated_at)
  SELECT name, value, updated_at FROM identity_settings;
DROP TABLE identity_settings;
ALTER TABLE identity_settings_new RENAME TO identity_settings;
