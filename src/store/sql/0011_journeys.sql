-- Patron schema, journeys (issue 8; R20–R22, R29): automated sequences of
-- waits, branches and actions that customers flow through.
--
-- Durability: every step a customer is due to run is a row of journey_timers.
-- The scheduler claims due timers in transactions; a step without outside
-- effects (wait, branch, tag, attribute, call task, exit) is run, logged and
-- followed by the next timer in the same transaction as the claim, so it runs
-- exactly once. A step with an outside effect (a message, a webhook) is marked
-- 'running' and committed before the effect and completed in a second
-- transaction after it: a timer found 'running' after a crash was in flight
-- and is retried with the same Message-ID / idempotency key.

CREATE TABLE journeys (
  id            INTEGER PRIMARY KEY,
  name          TEXT NOT NULL UNIQUE,
  status        TEXT NOT NULL DEFAULT 'draft'
                CHECK (status = 'draft' OR status = 'enabled' OR status = 'disabled'),
  spec          TEXT NOT NULL CHECK (json_valid(spec)),  -- the JSON form (docs/journeys.md)
  seed          INTEGER NOT NULL,   -- salts coupon codes and message ids
  created_by    TEXT,
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL,
  enabled_at    INTEGER,
  -- Trigger progress: the last event and order seen, the last date scan (the
  -- UTC day, days since 1970) and the last segment evaluation.
  event_cursor  INTEGER NOT NULL DEFAULT 0,
  order_cursor  INTEGER NOT NULL DEFAULT 0,
  scanned_day   INTEGER,
  segment_scanned_at INTEGER
);

-- One customer's passage through one journey. entry_key makes an entry from
-- one trigger occurrence unique (the event id, the anniversary's date, ...).
CREATE TABLE journey_enrolments (
  id           INTEGER PRIMARY KEY,
  journey_id   INTEGER NOT NULL REFERENCES journeys(id) ON DELETE CASCADE,
  customer_id  INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
  entry_key    TEXT NOT NULL,
  state        TEXT NOT NULL DEFAULT 'active'
               CHECK (state = 'active' OR state = 'completed' OR state = 'exited'),
  current_step TEXT,
  entered_at   INTEGER NOT NULL,
  finished_at  INTEGER,
  exit_reason  TEXT,   -- completed, goal, unsubscribed, other_journey, stale, exit_step, disabled
  UNIQUE (journey_id, customer_id, entry_key)
);
CREATE INDEX journey_enrolments_customer ON journey_enrolments(customer_id, journey_id, state);
CREATE INDEX journey_enrolments_state ON journey_enrolments(journey_id, state);

-- Durable timers: the next step of each active enrolment and when it is due.
CREATE TABLE journey_timers (
  id            INTEGER PRIMARY KEY,
  enrolment_id  INTEGER NOT NULL REFERENCES journey_enrolments(id) ON DELETE CASCADE,
  journey_id    INTEGER NOT NULL,
  step          TEXT NOT NULL,
  due_at        INTEGER NOT NULL,
  status        TEXT NOT NULL DEFAULT 'pending'
                CHECK (status = 'pending' OR status = 'running' OR status = 'done' OR status = 'cancelled'),
  -- A wait for an event: its type, and when the wait started (events after it count).
  wait_event    TEXT,
  wait_since    INTEGER,
  attempts      INTEGER NOT NULL DEFAULT 0,
  message_id    TEXT,    -- running: the message in flight
  last_error    TEXT
);
-- Only live timers are indexed: done ones drop out, so the index stays the size of the work ahead.
CREATE INDEX journey_timers_due ON journey_timers(due_at) WHERE status = 'pending' OR status = 'running';
CREATE INDEX journey_timers_enrolment ON journey_timers(enrolment_id);

-- Every step an enrolment reached, once: per-step counts derive from it.
CREATE TABLE journey_step_log (
  enrolment_id INTEGER NOT NULL REFERENCES journey_enrolments(id) ON DELETE CASCADE,
  journey_id   INTEGER NOT NULL,
  step         TEXT NOT NULL,
  outcome      TEXT NOT NULL,  -- done, sent, suppressed:<reason>, failed, yes, no, timeout, event, stale
  at           INTEGER NOT NULL,
  PRIMARY KEY (enrolment_id, step)
) WITHOUT ROWID;
CREATE INDEX journey_step_log_journey ON journey_step_log(journey_id, step);

-- Segment triggers: who was in the segment at the last evaluation.
CREATE TABLE journey_segment_members (
  journey_id  INTEGER NOT NULL REFERENCES journeys(id) ON DELETE CASCADE,
  customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
  PRIMARY KEY (journey_id, customer_id)
) WITHOUT ROWID;

-- Call tasks for sales, each with its own discount code.
CREATE TABLE journey_call_tasks (
  id            INTEGER PRIMARY KEY,
  journey_id    INTEGER NOT NULL REFERENCES journeys(id) ON DELETE CASCADE,
  enrolment_id  INTEGER NOT NULL REFERENCES journey_enrolments(id) ON DELETE CASCADE,
  customer_id   INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
  step          TEXT NOT NULL,
  coupon        TEXT NOT NULL UNIQUE,
  discount_percent REAL,
  note          TEXT,
  status        TEXT NOT NULL DEFAULT 'open' CHECK (status = 'open' OR status = 'done'),
  created_at    INTEGER NOT NULL,
  UNIQUE (enrolment_id, step)
);
CREATE INDEX journey_call_tasks_status ON journey_call_tasks(status, created_at);
-- Timers waiting for an event (checked every pass for the event's arrival).
CREATE INDEX journey_timers_event_waits ON journey_timers(wait_event) WHERE wait_event IS NOT NULL AND status = 'pending';
