-- Named queries that build the in-memory engine snapshot (src/engine). Each
-- reads one table in the order the snapshot stores it.

-- name: engine-customers
SELECT c.id, c.given_name, c.family_name, c.full_name, c.salutation, c.gender, c.birth_date,
       c.marital_status, c.education, c.income_band, c.household_size, c.language, c.time_zone,
       c.city, c.region, c.country, c.acquisition_channel, c.lifecycle_stage, s.name,
       c.created_at, c.updated_at
FROM customers c LEFT JOIN sources s ON s.id = c.source_id
ORDER BY c.id;

-- name: engine-customer-traits
SELECT customer_id, rfm_segment, rfm_r, rfm_f, rfm_m, lifecycle_stage, purchase_days, last_purchase_at,
       expected_purchases_12m, p_alive, churn_risk, expected_order_value_minor, clv_12m_minor, best_send_hour,
       lead_score, lead_stage, best_channel, currency
FROM customer_traits;

-- name: engine-customer-recommendations
SELECT customer_id, product_id FROM customer_recommendations ORDER BY customer_id, rank;

-- name: engine-customer-propensities
SELECT customer_id, category_id, p_30d FROM customer_category_propensity ORDER BY customer_id, category_id;

-- name: engine-customer-attributes
SELECT a.customer_id, a.name, a.value, d.type
FROM customer_attributes a
LEFT JOIN attribute_definitions d ON d.entity = 'customer' AND d.name = a.name;

-- name: engine-attribute-definitions
SELECT name, type FROM attribute_definitions WHERE entity = 'customer';

-- name: engine-tags
SELECT customer_id, tag FROM customer_tags;

-- name: engine-accounts
SELECT id, name, domain, industry_code, employees, revenue_minor, currency, tier, contract_status,
       city, country
FROM accounts ORDER BY id;

-- name: engine-account-members
SELECT customer_id, account_id FROM account_members ORDER BY customer_id, account_id;

-- name: engine-categories
SELECT id, slug, name, parent_id FROM categories ORDER BY id;

-- name: engine-products
SELECT id, sku, name, category_id, brand FROM products ORDER BY id;

-- Orders, order lines and events are read in storage order and grouped by
-- customer in memory (src/engine/snapshot.cc).

-- name: engine-orders
SELECT id, customer_id, ordered_at, total_minor, currency, channel, status FROM orders;

-- name: engine-order-lines
SELECT order_id, line_no, product_id, quantity, unit_price_minor, discount_minor FROM order_lines;

-- name: engine-max-event-id
SELECT coalesce(max(id), 0) FROM events;

-- name: engine-events
SELECT id, customer_id, occurred_at, type FROM events WHERE id <= :max_id;

-- name: engine-event-counts
-- The number of events per customer (a scan of the covering index events_customer).
SELECT customer_id, count(*) FROM events WHERE id <= :max_id GROUP BY customer_id;

-- name: engine-event-property
SELECT id, json_extract(properties, :path) FROM events WHERE id <= :max_id;

-- name: engine-consents
SELECT customer_id, channel, purpose, status FROM consents
ORDER BY customer_id, channel, purpose, recorded_at, id;

-- name: engine-verified-contact-points
SELECT customer_id, kind, phone_type, max(last_seen_at, coalesce(last_verified_at, last_seen_at))
FROM contact_points WHERE status = 'verified';

-- name: engine-store-stamp
SELECT (SELECT generation FROM engine_generation WHERE id = 1),
       (SELECT coalesce(max(id), 0) FROM customers),
       (SELECT coalesce(max(id), 0) FROM orders),
       (SELECT coalesce(max(id), 0) FROM events);

-- name: engine-bump-generation
UPDATE engine_generation SET generation = generation + 1 WHERE id = 1;

-- Incremental snapshots (src/engine/delta.cc, migration 0010).

-- name: engine-watermarks
SELECT (SELECT generation FROM engine_generation WHERE id = 1),
       (SELECT generation FROM engine_rebuild WHERE id = 1),
       coalesce((SELECT max(id) FROM customers), 0),
       coalesce((SELECT max(id) FROM orders), 0),
       coalesce((SELECT max(id) FROM events), 0),
       coalesce((SELECT max(seq) FROM engine_customer_changes), 0);

-- Customers of the orders from the snapshot's largest order id on (writes to
-- the newest order are not marked, migration 0010).
-- name: engine-order-customers-from
SELECT DISTINCT customer_id FROM orders WHERE id >= :from AND id <= :max_id;

-- name: engine-changed-customers
SELECT customer_id FROM engine_customer_changes WHERE seq > :after ORDER BY customer_id;

-- name: engine-customers-after
SELECT c.id, c.given_name, c.family_name, c.full_name, c.salutation, c.gender, c.birth_date,
       c.marital_status, c.education, c.income_band, c.household_size, c.language, c.time_zone,
       c.city, c.region, c.country, c.acquisition_channel, c.lifecycle_stage, s.name,
       c.created_at, c.updated_at
FROM customers c LEFT JOIN sources s ON s.id = c.source_id
WHERE c.id > :after AND c.id <= :max_id
ORDER BY c.id;

-- name: engine-customer
SELECT c.id, c.given_name, c.family_name, c.full_name, c.salutation, c.gender, c.birth_date,
       c.marital_status, c.education, c.income_band, c.household_size, c.language, c.time_zone,
       c.city, c.region, c.country, c.acquisition_channel, c.lifecycle_stage, s.name,
       c.created_at, c.updated_at
FROM customers c LEFT JOIN sources s ON s.id = c.source_id
WHERE c.id = :id;

-- name: engine-customer-attributes-of
SELECT a.name, a.value FROM customer_attributes a WHERE a.customer_id = :id;

-- name: engine-tags-of
SELECT tag FROM customer_tags WHERE customer_id = :id;

-- name: engine-consents-of
SELECT channel, purpose, status FROM consents WHERE customer_id = :id
ORDER BY channel, purpose, recorded_at, id;

-- name: engine-verified-contact-points-of
SELECT kind, phone_type, max(last_seen_at, coalesce(last_verified_at, last_seen_at))
FROM contact_points WHERE customer_id = :id AND status = 'verified';

-- name: engine-orders-of
SELECT id, ordered_at, total_minor, currency, channel, status FROM orders
WHERE customer_id = :id ORDER BY ordered_at, id;

-- name: engine-order-lines-of
SELECT line_no, product_id, quantity, unit_price_minor, discount_minor FROM order_lines
WHERE order_id = :id ORDER BY line_no;

-- name: engine-events-after
SELECT id, customer_id, occurred_at, type FROM events WHERE id > :after AND id <= :max_id;

-- name: engine-event-property-after
SELECT id, json_extract(properties, :path) FROM events WHERE id > :after AND id <= :max_id;
