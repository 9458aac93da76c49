-- Indexes a DBA would give these queries in PostgreSQL (the SQLite database has
-- Patron's own), then fresh statistics.
CREATE INDEX ON customer_tags (customer_id, tag);
CREATE INDEX ON customer_attributes (customer_id, name);
CREATE INDEX ON account_members (customer_id);
CREATE INDEX ON contact_points (customer_id, kind, status);
CREATE INDEX ON consents (customer_id, channel, purpose, recorded_at, id);
CREATE INDEX ON orders (customer_id, ordered_at);
CREATE INDEX ON order_lines (order_id, line_no);
CREATE INDEX ON events (customer_id, occurred_at);
CREATE INDEX ON events (customer_id, type, occurred_at);
CREATE VIEW current_consents AS
  SELECT id, customer_id, channel, purpose, status, recorded_at FROM (
    SELECT c.*, row_number() OVER (PARTITION BY customer_id, channel, purpose
                                   ORDER BY recorded_at DESC, id DESC) AS rn
    FROM consents c) latest
  WHERE rn = 1;
ANALYZE;
