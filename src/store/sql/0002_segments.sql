-- Saved segments and their membership over time (issue #4).

-- A named segment: its definition in the segment language (docs/segments.md).
CREATE TABLE segments (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE,
  definition  TEXT NOT NULL,
  description TEXT,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);

-- Who is in a segment, as intervals: a row per stay, open while left_at IS NULL.
-- "Who entered and left" and "members on day D" are read from here.
CREATE TABLE segment_memberships (
  segment_id  INTEGER NOT NULL REFERENCES segments(id) ON DELETE CASCADE,
  customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
  entered_at  INTEGER NOT NULL,
  left_at     INTEGER,
  PRIMARY KEY (segment_id, customer_id, entered_at)
) WITHOUT ROWID;
CREATE INDEX segment_memberships_open ON segment_memberships(segment_id, left_at);

-- One row per segment per day on which its membership was recorded.
CREATE TABLE segment_counts (
  segment_id  INTEGER NOT NULL REFERENCES segments(id) ON DELETE CASCADE,
  day         TEXT NOT NULL,     -- YYYY-MM-DD (UTC)
  members     INTEGER NOT NULL,
  entered     INTEGER NOT NULL,
  left_count  INTEGER NOT NULL,
  recorded_at INTEGER NOT NULL,
  PRIMARY KEY (segment_id, day)
) WITHOUT ROWID;
