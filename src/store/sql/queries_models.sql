-- Named queries of the models (src/models). Every name starts with "models-".

-- Purchases up to :before (exclusive, microseconds), one customer at a time in
-- time order. Cancelled and returned orders are not purchases.
-- name: models-purchases-before
SELECT customer_id, ordered_at, total_minor, coalesce(currency, '')
FROM orders
WHERE ordered_at < :before AND status <> 'cancelled' AND status <> 'returned'
ORDER BY customer_id, ordered_at;

-- name: models-customers
SELECT id FROM customers ORDER BY id;

-- Activity for the send-time model, one customer at a time (both use the
-- (customer_id, time) indexes, so no sort is needed).
-- Messages sent to the customer are not their activity.
-- name: models-event-times-before
SELECT customer_id, occurred_at, type FROM events
WHERE occurred_at < :before AND type <> 'message_sent'
ORDER BY customer_id, occurred_at;

-- name: models-account-members
SELECT DISTINCT customer_id FROM account_members ORDER BY customer_id;

-- name: models-order-times-before
SELECT customer_id, ordered_at FROM orders WHERE ordered_at < :before ORDER BY customer_id, ordered_at;

-- name: models-insert-fit
INSERT INTO model_fits(model, currency, fitted_at, until, customers, params, log_likelihood)
VALUES (:model, :currency, :fitted_at, :until, :customers, :params, :log_likelihood);

-- The fits of the latest run: every row sharing the newest BG/NBD fit's time.
-- name: models-latest-fits
SELECT model, coalesce(currency, ''), until, customers, params, log_likelihood, fitted_at
FROM model_fits
WHERE fitted_at = (SELECT max(fitted_at) FROM model_fits WHERE model = 'bgnbd')
ORDER BY model, currency;

-- name: models-clear-traits
DELETE FROM customer_traits;

-- name: models-insert-traits
INSERT INTO customer_traits(customer_id, rfm_r, rfm_f, rfm_m, rfm_segment, lifecycle_stage, purchase_days,
  last_purchase_at, expected_purchases_12m, p_alive, churn_risk, expected_order_value_minor, clv_12m_minor,
  currency, best_send_hour, recommended_products, category_propensity_30d, lead_score, lead_stage,
  best_channel, channel_response_rates, computed_at)
VALUES (:customer_id, :rfm_r, :rfm_f, :rfm_m, :rfm_segment, :lifecycle_stage, :purchase_days,
  :last_purchase_at, :expected_purchases_12m, :p_alive, :churn_risk, :expected_order_value_minor, :clv_12m_minor,
  :currency, :best_send_hour, :recommended_products, :category_propensity_30d, :lead_score, :lead_stage,
  :best_channel, :channel_response_rates, :computed_at);

-- name: models-clear-recommendations
DELETE FROM customer_recommendations;

-- name: models-insert-recommendation
INSERT INTO customer_recommendations(customer_id, rank, product_id) VALUES (:customer_id, :rank, :product_id);

-- name: models-clear-propensity
DELETE FROM customer_category_propensity;

-- name: models-insert-propensity
INSERT INTO customer_category_propensity(customer_id, category_id, p_30d)
VALUES (:customer_id, :category_id, :p_30d);

-- name: models-categories
SELECT id, slug FROM categories ORDER BY id;

-- Best channel: campaign messages sent and clicked, per customer and channel
-- (the `channel` property), up to :before.
-- name: models-message-events-before
SELECT customer_id, type = 'message_clicked', json_extract(properties, '$.channel')
FROM events
WHERE (type = 'message_sent' OR type = 'message_clicked') AND occurred_at < :before;

-- Who is reachable on which channel for marketing: the rule of the segment
-- condition reachable(CHANNEL) (docs/segments.md): the latest consent is
-- granted and a verified contact point the channel can use was verified (or
-- seen) at or after :fresh_since.
-- name: models-reachable-channels
SELECT k.customer_id, k.channel
FROM current_consents k
WHERE k.purpose = 'marketing' AND k.status = 'granted'
  AND k.channel IN ('email', 'sms', 'phone', 'mail')
  AND EXISTS (SELECT 1 FROM contact_points cp
              WHERE cp.customer_id = k.customer_id AND cp.status = 'verified'
                AND max(cp.last_seen_at, coalesce(cp.last_verified_at, cp.last_seen_at)) >= :fresh_since
                AND ((k.channel = 'email' AND cp.kind = 'email')
                  OR (k.channel = 'sms' AND cp.kind = 'phone' AND cp.phone_type IN ('mobile', 'fixed_line_or_mobile'))
                  OR (k.channel = 'phone' AND cp.kind = 'phone')
                  OR (k.channel = 'mail' AND cp.kind = 'address')));

-- Recommendations: products bought and viewed in [:from, :before).
-- name: models-products
SELECT id, sku FROM products ORDER BY id;

-- name: models-product-purchases-between
SELECT o.customer_id, l.product_id
FROM orders o JOIN order_lines l ON l.order_id = o.id
WHERE o.ordered_at >= :from AND o.ordered_at < :before AND o.status <> 'cancelled' AND o.status <> 'returned'
  AND l.product_id IS NOT NULL;

-- name: models-product-views-between
SELECT e.customer_id, p.id
FROM events e JOIN products p ON p.sku = json_extract(e.properties, '$.sku')
WHERE e.type = 'product_viewed' AND e.occurred_at >= :from AND e.occurred_at < :before;

-- Propensity: purchases and views per product category up to :before.
-- name: models-category-purchases-before
SELECT o.customer_id, o.ordered_at, c.slug
FROM orders o JOIN order_lines l ON l.order_id = o.id JOIN products p ON p.id = l.product_id
  JOIN categories c ON c.id = p.category_id
WHERE o.ordered_at < :before AND o.status <> 'cancelled' AND o.status <> 'returned';

-- name: models-category-views-before
SELECT customer_id, occurred_at, json_extract(properties, '$.category')
FROM events
WHERE type = 'product_viewed' AND occurred_at < :before AND json_extract(properties, '$.category') IS NOT NULL;

-- Insights: purchase lines in [:from, :before) with the buyer's profile, one
-- customer at a time in time order.
-- name: models-insight-lines
SELECT o.customer_id, o.channel, coalesce(o.currency, ''), l.product_id, p.category_id,
       l.quantity * l.unit_price_minor - l.discount_minor, c.birth_date, c.city, c.gender
FROM orders o JOIN order_lines l ON l.order_id = o.id JOIN customers c ON c.id = o.customer_id
  LEFT JOIN products p ON p.id = l.product_id
WHERE o.ordered_at >= :from AND o.ordered_at < :before AND o.status <> 'cancelled' AND o.status <> 'returned'
ORDER BY o.customer_id, o.ordered_at, o.id;

-- name: models-insight-categories
SELECT id, slug, name, parent_id FROM categories ORDER BY id;

-- name: models-insight-products
SELECT id, sku, name FROM products ORDER BY id;

-- Incremental scoring.
-- name: models-store-position
SELECT (SELECT generation FROM engine_generation WHERE id = 1),
       (SELECT coalesce(max(id), 0) FROM customers),
       (SELECT coalesce(max(id), 0) FROM orders),
       (SELECT coalesce(max(id), 0) FROM events);

-- name: models-last-score-run
SELECT as_of, options, max_customer_id, max_order_id, max_event_id, generation
FROM model_score_runs ORDER BY id DESC LIMIT 1;

-- name: models-insert-score-run
INSERT INTO model_score_runs(scored_at, as_of, options, incremental, customers, max_customer_id, max_order_id,
  max_event_id, generation)
VALUES (:scored_at, :as_of, :options, :incremental, :customers, :max_customer_id, :max_order_id,
  :max_event_id, :generation);

-- Customers created, or with orders or events added, after the given ids.
-- name: models-changed-customers
SELECT id FROM customers WHERE id > :customer
UNION SELECT customer_id FROM orders WHERE id > :order
UNION SELECT customer_id FROM events WHERE id > :event
ORDER BY 1;

-- name: models-delete-customer-traits
DELETE FROM customer_traits WHERE customer_id = :customer_id;

-- name: models-delete-customer-recommendations
DELETE FROM customer_recommendations WHERE customer_id = :customer_id;

-- name: models-delete-customer-propensity
DELETE FROM customer_category_propensity WHERE customer_id = :customer_id;
