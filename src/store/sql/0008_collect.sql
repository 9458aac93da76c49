-- Event collection (patron serve, /v1/*): messages that arrived but could not be
-- accepted. The Segment API answers 200 for a batch whose single messages are bad;
-- nothing is dropped silently: each such message is kept here with the reason.
CREATE TABLE collect_rejects (
  id          INTEGER PRIMARY KEY,
  received_at INTEGER NOT NULL,
  source_id   INTEGER REFERENCES sources(id),
  reason      TEXT NOT NULL,
  message     TEXT NOT NULL   -- as sent, truncated to 4 KiB
);
CREATE INDEX collect_rejects_time ON collect_rejects(received_at);
