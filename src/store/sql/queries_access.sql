-- Named queries of the access subsystem (src/access): users, sessions, API
-- keys, the audit log, and the privacy export and erasure of one customer.

-- name: access-insert-user
INSERT INTO users(name, role, password_hash, created_at, updated_at)
VALUES (:name, :role, :hash, :now, :now);

-- name: access-find-user
SELECT id, name, role, password_hash, disabled_at FROM users WHERE name = :name;

-- name: access-user-by-id
SELECT id, name, role, disabled_at FROM users WHERE id = :id;

-- name: access-set-password
UPDATE users SET password_hash = :hash, updated_at = :now WHERE id = :id;

-- name: access-note-login
UPDATE users SET last_login_at = :now WHERE id = :id;

-- name: access-disable-user
UPDATE users SET disabled_at = coalesce(disabled_at, :now), updated_at = :now WHERE id = :id;

-- name: access-list-users
SELECT id, name, role, created_at, last_login_at, disabled_at FROM users ORDER BY name;

-- name: access-insert-session
INSERT INTO sessions(token_hash, user_id, created_at, last_seen_at, ttl_micros, expires_at)
VALUES (:hash, :user_id, :now, :now, :ttl, :now + :ttl);

-- name: access-find-session
SELECT s.user_id, s.expires_at, s.last_seen_at, s.ttl_micros, u.name, u.role, u.disabled_at
FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = :hash;

-- name: access-touch-session
UPDATE sessions SET last_seen_at = :now, expires_at = :now + ttl_micros WHERE token_hash = :hash;

-- name: access-delete-session
DELETE FROM sessions WHERE token_hash = :hash;

-- name: access-delete-user-sessions
DELETE FROM sessions WHERE user_id = :user_id;

-- name: access-delete-expired-sessions
DELETE FROM sessions WHERE expires_at <= :now;

-- name: access-insert-key
INSERT INTO api_keys(name, role, prefix, key_hash, created_by, created_at)
VALUES (:name, :role, :prefix, :hash, :created_by, :now);

-- name: access-find-key
SELECT id, name, role, revoked_at, last_used_at FROM api_keys WHERE key_hash = :hash;

-- name: access-touch-key
UPDATE api_keys SET last_used_at = :now WHERE id = :id;

-- name: access-revoke-key
UPDATE api_keys SET revoked_at = coalesce(revoked_at, :now) WHERE id = :id;

-- name: access-list-keys
SELECT id, name, role, prefix, created_by, created_at, last_used_at, revoked_at FROM api_keys ORDER BY id;

-- name: access-insert-audit
INSERT INTO audit_log(at, actor, action, target_type, target_id, customer_id, origin, detail)
VALUES (:at, :actor, :action, :target_type, :target_id, :customer_id, :origin, :detail);

-- name: access-query-audit
SELECT id, at, actor, action, coalesce(target_type, ''), coalesce(target_id, ''), customer_id,
       coalesce(origin, ''), coalesce(detail, '')
FROM audit_log
WHERE (:before_id = 0 OR id < :before_id)
  AND (:actor = '' OR actor = :actor)
  AND (:customer_id IS NULL OR customer_id = :customer_id)
  AND (:action = '' OR substr(action, 1, length(:action)) = :action)
  AND (:since IS NULL OR at >= :since)
  AND (:until IS NULL OR at < :until)
ORDER BY id DESC LIMIT :limit;

-- name: access-get-secret
SELECT value FROM access_secrets WHERE name = :name;

-- name: access-put-secret
INSERT OR IGNORE INTO access_secrets(name, value) VALUES (:name, :value);

-- Privacy: one customer's export (R28). Each section's rows become JSON objects
-- named by their columns.

-- name: privacy-customer
SELECT c.*, s.name AS source FROM customers c LEFT JOIN sources s ON s.id = c.source_id WHERE c.id = :id;

-- name: privacy-tags
SELECT tag FROM customer_tags WHERE customer_id = :id ORDER BY tag;

-- name: privacy-attributes
SELECT name, value FROM customer_attributes WHERE customer_id = :id ORDER BY name;

-- name: privacy-contact-points
SELECT cp.*, s.name AS source FROM contact_points cp LEFT JOIN sources s ON s.id = cp.source_id
WHERE cp.customer_id = :id ORDER BY cp.id;

-- The devices (cookie ids, app installs) the person was seen on (migration 0018).
-- name: privacy-devices
SELECT d.device_id, d.first_seen_at, d.last_seen_at, s.name AS source FROM customer_devices d
LEFT JOIN sources s ON s.id = d.source_id WHERE d.customer_id = :id ORDER BY d.first_seen_at, d.device_id;

-- name: privacy-consents
SELECT c.*, s.name AS source FROM consents c LEFT JOIN sources s ON s.id = c.source_id
WHERE c.customer_id = :id ORDER BY c.recorded_at, c.id;

-- name: privacy-accounts
SELECT a.id AS account_id, a.name, a.domain, m.job_title, m.created_at
FROM account_members m JOIN accounts a ON a.id = m.account_id WHERE m.customer_id = :id ORDER BY a.id;

-- name: privacy-orders
SELECT o.*, s.name AS source FROM orders o LEFT JOIN sources s ON s.id = o.source_id
WHERE o.customer_id = :id ORDER BY o.ordered_at, o.id;

-- name: privacy-order-lines
SELECT l.*, p.sku, p.name AS product_name FROM order_lines l JOIN orders o ON o.id = l.order_id
LEFT JOIN products p ON p.id = l.product_id WHERE o.customer_id = :id ORDER BY l.order_id, l.line_no;

-- name: privacy-events
SELECT e.id, e.type, e.occurred_at, e.received_at, s.name AS source, e.source_key, e.properties
FROM events e LEFT JOIN sources s ON s.id = e.source_id WHERE e.customer_id = :id ORDER BY e.occurred_at, e.id;

-- name: privacy-traits
SELECT * FROM customer_traits WHERE customer_id = :id;

-- name: privacy-source-records
SELECT s.name AS source, r.source_key, r.first_imported_at, r.last_imported_at
FROM source_records r JOIN sources s ON s.id = r.source_id
WHERE r.entity = 'customer' AND r.entity_id = :id ORDER BY s.name, r.source_key;

-- name: privacy-field-issues
SELECT f.entity, f.entity_id, f.field, f.raw_value, f.reason, s.name AS source, f.seen_at
FROM field_issues f LEFT JOIN sources s ON s.id = f.source_id
WHERE (f.entity = 'customer' AND f.entity_id = :id)
   OR (f.entity = 'order' AND f.entity_id IN (SELECT id FROM orders WHERE customer_id = :id))
   OR (f.entity = 'event' AND f.entity_id IN (SELECT id FROM events WHERE customer_id = :id))
ORDER BY f.id;

-- name: privacy-segment-memberships
SELECT g.name AS segment, m.entered_at, m.left_at FROM segment_memberships m JOIN segments g ON g.id = m.segment_id
WHERE m.customer_id = :id ORDER BY m.entered_at, g.name;

-- name: privacy-identity-cluster
SELECT resolved_id, run_id, updated_at FROM identity_clusters WHERE customer_id = :id;

-- name: privacy-identity-golden
SELECT * FROM identity_golden WHERE customer_id = :id OR resolved_id = :id ORDER BY resolved_id, field;

-- name: privacy-identity-merge-log
SELECT * FROM identity_merge_log WHERE customer_id = :id ORDER BY id;

-- name: privacy-identity-reviews
SELECT * FROM identity_review_queue WHERE left_id = :id OR right_id = :id ORDER BY id;

-- name: privacy-identity-decisions
SELECT * FROM identity_decisions WHERE left_id = :id OR right_id = :id;

-- name: privacy-audit
SELECT id, at, actor, action, origin FROM audit_log WHERE customer_id = :id ORDER BY id;

-- Privacy: erasure. The person's records are the customer and those identity
-- resolution put in the same cluster.

-- name: privacy-cluster-records
SELECT customer_id FROM identity_clusters
WHERE resolved_id = (SELECT resolved_id FROM identity_clusters WHERE customer_id = :id)
ORDER BY customer_id;

-- Other customer records sharing an email or phone with this one: perhaps the
-- same person not yet resolved, perhaps a shared family phone. Reported, not erased.
-- name: privacy-sharing-records
SELECT DISTINCT b.customer_id FROM contact_points a
JOIN contact_points b ON b.kind = a.kind AND b.value = a.value AND b.customer_id <> a.customer_id
WHERE a.customer_id = :id AND (a.kind = 'email' OR a.kind = 'phone') ORDER BY b.customer_id;

-- name: privacy-identifiers
SELECT 'email', value, 0 FROM contact_points WHERE customer_id = :id AND kind = 'email'
UNION SELECT 'phone', value, 0 FROM contact_points WHERE customer_id = :id AND kind = 'phone'
UNION SELECT 'national_id', CAST(value AS TEXT), 0 FROM customer_attributes
      WHERE customer_id = :id AND name = 'national_id' AND value IS NOT NULL
UNION SELECT 'source_key', source_key, source_id FROM source_records WHERE entity = 'customer' AND entity_id = :id;

-- name: privacy-insert-tombstone
INSERT OR IGNORE INTO erased_identifiers(kind, hash, erased_at) VALUES (:kind, :hash, :now);

-- name: privacy-find-tombstone
SELECT 1 FROM erased_identifiers WHERE kind = :kind AND hash = :hash;

-- name: privacy-all-tombstones
SELECT kind, hash FROM erased_identifiers;

-- name: privacy-count-field-issues
SELECT count(*) FROM field_issues
WHERE (entity = 'customer' AND entity_id = :id)
   OR (entity = 'order' AND entity_id IN (SELECT id FROM orders WHERE customer_id = :id))
   OR (entity = 'event' AND entity_id IN (SELECT id FROM events WHERE customer_id = :id));

-- name: privacy-delete-field-issues
DELETE FROM field_issues
WHERE (entity = 'customer' AND entity_id = :id)
   OR (entity = 'order' AND entity_id IN (SELECT id FROM orders WHERE customer_id = :id))
   OR (entity = 'event' AND entity_id IN (SELECT id FROM events WHERE customer_id = :id));

-- name: privacy-count-source-records
SELECT count(*) FROM source_records WHERE entity = 'customer' AND entity_id = :id;

-- name: privacy-delete-source-records
DELETE FROM source_records WHERE entity = 'customer' AND entity_id = :id;

-- name: privacy-count-order-lines
SELECT count(*) FROM order_lines WHERE order_id IN (SELECT id FROM orders WHERE customer_id = :id);

-- name: privacy-delete-identity-golden
DELETE FROM identity_golden WHERE customer_id = :id OR resolved_id = :id;

-- name: privacy-delete-identity-pairs
DELETE FROM identity_pairs WHERE left_id = :id OR right_id = :id;

-- name: privacy-delete-customer
DELETE FROM customers WHERE id = :id;

-- Tables with a customer_id column, for the export and erasure of tables this
-- file does not name (the audit log keeps its customer ids on purpose).
-- name: privacy-customer-tables
SELECT m.name FROM sqlite_master m, pragma_table_info(m.name) c
WHERE m.type = 'table' AND c.name = 'customer_id' AND m.name <> 'audit_log' ORDER BY m.name;
