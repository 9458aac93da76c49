-- Patron schema: fewer random page writes per journey step (issue 8: scattered
-- due steps at 1M enrolments) and the data-quality figures the weekly report's
-- actions need (issue 9).

-- The step log becomes append-only: rows in rowid order, so that a pass of
-- scattered due steps appends to the table and to the per-journey index
-- instead of writing a random page of each per step. The one-row-per-step rule
-- (exactly once) stays a UNIQUE index on (enrolment_id, step), whose entries are
-- a fraction of the size of the whole row the old WITHOUT ROWID key carried.
CREATE TABLE journey_step_log_0014 (
  id           INTEGER PRIMARY KEY,
  enrolment_id INTEGER NOT NULL REFERENCES journey_enrolments(id) ON DELETE CASCADE,
  journey_id   INTEGER NOT NULL,
  step         TEXT NOT NULL,
  outcome      TEXT NOT NULL,  -- done, sent, suppressed:<reason>, failed, yes, no, timeout, event, stale
  at           INTEGER NOT NULL
);
INSERT INTO journey_step_log_0014 (enrolment_id, journey_id, step, outcome, at)
SELECT enrolment_id, journey_id, step, outcome, at FROM journey_step_log ORDER BY at, enrolment_id, step;
DROP TABLE journey_step_log;
ALTER TABLE journey_step_log_0014 RENAME TO journey_step_log;
CREATE UNIQUE INDEX journey_step_log_once ON journey_step_log(enrolment_id, step);
CREATE INDEX journey_step_log_journey ON journey_step_log(journey_id, step);

-- Finishing an enrolment (its state changes) wrote a random page of two
-- indexes that carried the state: the customer index and (journey_id, state).
-- The customer index no longer carries it (a customer has few enrolments: the
-- state is read from the row), and per-journey counts by state and exit reason
-- are kept by triggers in a small table whose few rows stay in one hot page,
-- instead of an index with one entry per enrolment.
DROP INDEX journey_enrolments_customer;
CREATE INDEX journey_enrolments_customer ON journey_enrolments(customer_id);
DROP INDEX journey_enrolments_state;

CREATE TABLE journey_enrolment_counts (
  journey_id  INTEGER NOT NULL REFERENCES journeys(id) ON DELETE CASCADE,
  state       TEXT NOT NULL,
  exit_reason TEXT NOT NULL DEFAULT '',  -- '' unless exited
  n           INTEGER NOT NULL,          -- enrolments in this state (0 rows may stay)
  PRIMARY KEY (journey_id, state, exit_reason)
) WITHOUT ROWID;
INSERT INTO journey_enrolment_counts (journey_id, state, exit_reason, n)
SELECT journey_id, state, coalesce(exit_reason, ''), count(*) FROM journey_enrolments GROUP BY 1, 2, 3;

CREATE TRIGGER journey_enrolment_counts_insert AFTER INSERT ON journey_enrolments
BEGIN
  INSERT INTO journey_enrolment_counts (journey_id, state, exit_reason, n)
  VALUES (NEW.journey_id, NEW.state, coalesce(NEW.exit_reason, ''), 1)
  ON CONFLICT (journey_id, state, exit_reason) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER journey_enrolment_counts_update AFTER UPDATE OF journey_id, state, exit_reason ON journey_enrolments
WHEN OLD.journey_id <> NEW.journey_id OR OLD.state <> NEW.state
  OR coalesce(OLD.exit_reason, '') <> coalesce(NEW.exit_reason, '')
BEGIN
  UPDATE journey_enrolment_counts SET n = n - 1
  WHERE journey_id = OLD.journey_id AND state = OLD.state AND exit_reason = coalesce(OLD.exit_reason, '');
  INSERT INTO journey_enrolment_counts (journey_id, state, exit_reason, n)
  VALUES (NEW.journey_id, NEW.state, coalesce(NEW.exit_reason, ''), 1)
  ON CONFLICT (journey_id, state, exit_reason) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER journey_enrolment_counts_delete AFTER DELETE ON journey_enrolments
BEGIN
  UPDATE journey_enrolment_counts SET n = n - 1
  WHERE journey_id = OLD.journey_id AND state = OLD.state AND exit_reason = coalesce(OLD.exit_reason, '');
END;

-- Stale contact points by kind, for "re-verify N stale phones / emails" when a
-- weekly report reads the last recorded figures instead of recomputing them.
-- NULL in rows recorded before this migration (those are recomputed).
ALTER TABLE report_quality_history ADD COLUMN stale_phones INTEGER;
ALTER TABLE report_quality_history ADD COLUMN stale_emails INTEGER;
