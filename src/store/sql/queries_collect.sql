-- Named queries of the event collector (src/collect/writer.cc). The collector
-- also uses the import job's queries for sources, contact points, products and
-- orders, so that both paths store the same shapes.

-- name: collect-insert-reject
INSERT INTO collect_rejects (received_at, source_id, reason, message)
VALUES (:received_at, :source_id, :reason, :message);

-- name: collect-insert-event
INSERT OR IGNORE INTO events (customer_id, type, occurred_at, received_at, source_id, source_key, properties)
VALUES (:customer_id, :type, :occurred_at, :received_at, :source_id, :source_key, :properties);

-- Keys other than this source's anonymous ids that name the customer: none means
-- an anonymous visitor's profile, which stitching may fold into a known customer.
-- name: collect-customer-known-keys
SELECT count(*) FROM source_records
WHERE entity = 'customer' AND entity_id = :customer_id
  AND NOT (source_id = :source_id AND substr(source_key, 1, 5) = 'anon:');

-- Stitching: everything an anonymous visitor's profile holds moves to the known
-- customer, then the anonymous profile is deleted. Rows that would collide with
-- what the known customer already has (the same tag, contact point, ...) stay
-- behind and go with the deleted profile.
-- name: collect-move-events
UPDATE events SET customer_id = :to WHERE customer_id = :from;
-- name: collect-move-orders
UPDATE orders SET customer_id = :to WHERE customer_id = :from;
-- name: collect-move-contact-points
UPDATE OR IGNORE contact_points SET customer_id = :to WHERE customer_id = :from;
-- name: collect-move-consents
UPDATE consents SET customer_id = :to WHERE customer_id = :from;
-- name: collect-move-tags
UPDATE OR IGNORE customer_tags SET customer_id = :to WHERE customer_id = :from;
-- name: collect-move-attributes
UPDATE OR IGNORE customer_attributes SET customer_id = :to WHERE customer_id = :from;
-- name: collect-move-memberships
UPDATE OR IGNORE account_members SET customer_id = :to WHERE customer_id = :from;
-- name: collect-move-devices
UPDATE OR IGNORE customer_devices SET customer_id = :to WHERE customer_id = :from;
-- name: collect-move-field-issues
UPDATE OR IGNORE field_issues SET entity_id = :to WHERE entity = 'customer' AND entity_id = :from;
-- name: collect-move-source-records
UPDATE source_records SET entity_id = :to WHERE entity = 'customer' AND entity_id = :from;
-- name: collect-delete-customer
DELETE FROM customers WHERE id = :id;

-- name: collect-find-account-key
SELECT entity_id FROM source_records WHERE source_id = :source_id AND entity = 'account' AND source_key = :key;
