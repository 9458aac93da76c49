-- Named queries behind `patron stats` and the one customer view.

-- name: stats-counts
SELECT
  (SELECT count(*) FROM customers),
  (SELECT count(*) FROM accounts),
  (SELECT count(*) FROM account_members),
  (SELECT count(*) FROM products),
  (SELECT count(*) FROM categories),
  (SELECT count(*) FROM orders),
  (SELECT count(*) FROM order_lines),
  (SELECT count(*) FROM events),
  (SELECT count(*) FROM sources);

-- name: stats-contact-points
SELECT kind, status, count(*) FROM contact_points GROUP BY kind, status ORDER BY kind, status;

-- name: stats-consents
SELECT status, count(*) FROM current_consents GROUP BY status;

-- name: customer-exists
SELECT 1 FROM customers WHERE id = :id;

-- name: customer-profile
SELECT * FROM customers WHERE id = :id;

-- name: customer-tags
SELECT tag FROM customer_tags WHERE customer_id = :id ORDER BY tag;

-- name: customer-attributes
SELECT name, value FROM customer_attributes WHERE customer_id = :id ORDER BY name;

-- name: customer-traits
SELECT rfm_segment, rfm_r, rfm_f, rfm_m, lifecycle_stage, churn_risk, p_alive, expected_purchases_12m,
       clv_12m_minor, expected_order_value_minor, currency, best_send_hour, recommended_products,
       category_propensity_30d, lead_score, lead_stage, computed_at, best_channel, channel_response_rates,
       purchase_days, last_purchase_at
FROM customer_traits WHERE customer_id = :id;

-- name: customer-contact-points
SELECT cp.id, cp.kind, cp.value, cp.status, coalesce(cp.invalid_reason, ''), coalesce(cp.suggestion, ''),
       coalesce(cp.phone_type, ''), coalesce(s.name, ''), cp.first_seen_at, cp.last_seen_at, cp.last_verified_at
FROM contact_points cp LEFT JOIN sources s ON s.id = cp.source_id
WHERE cp.customer_id = :id
ORDER BY cp.kind, CASE cp.status WHEN 'verified' THEN 0 WHEN 'unverified' THEN 1 ELSE 2 END, cp.last_seen_at DESC;

-- name: customer-consents
SELECT c.channel, c.purpose, c.status, coalesce(c.method, ''), coalesce(c.proof, ''), coalesce(s.name, ''), c.recorded_at
FROM current_consents c LEFT JOIN sources s ON s.id = c.source_id
WHERE c.customer_id = :id ORDER BY c.channel, c.purpose;

-- name: customer-accounts
SELECT a.id, a.name, coalesce(a.domain, ''), coalesce(a.industry_code, ''), coalesce(a.tier, ''),
       coalesce(a.contract_status, ''), coalesce(m.job_title, ''), a.employees
FROM account_members m JOIN accounts a ON a.id = m.account_id
WHERE m.customer_id = :id ORDER BY a.name;

-- name: customer-purchases
SELECT count(*), coalesce(sum(o.total_minor), 0), min(o.ordered_at), max(o.ordered_at),
       (SELECT coalesce(sum(l.quantity), 0) FROM order_lines l JOIN orders o2 ON o2.id = l.order_id
        WHERE o2.customer_id = :id),
       (SELECT currency FROM orders WHERE customer_id = :id GROUP BY currency ORDER BY count(*) DESC LIMIT 1)
FROM orders o WHERE o.customer_id = :id;

-- name: customer-top-categories
SELECT coalesce(c.slug, '(uncategorised)'), sum(l.quantity) AS items
FROM orders o JOIN order_lines l ON l.order_id = o.id
LEFT JOIN products p ON p.id = l.product_id LEFT JOIN categories c ON c.id = p.category_id
WHERE o.customer_id = :id GROUP BY 1 ORDER BY items DESC, 1 LIMIT 5;

-- name: customer-last-interaction
SELECT max(at) FROM (
  SELECT max(ordered_at) AS at FROM orders WHERE customer_id = :id
  UNION ALL
  SELECT max(occurred_at) FROM events WHERE customer_id = :id);

-- name: customer-interactions
SELECT e.occurred_at, e.type, e.properties, coalesce(s.name, '')
FROM events e LEFT JOIN sources s ON s.id = e.source_id
WHERE e.customer_id = :id ORDER BY e.occurred_at DESC, e.id DESC LIMIT :limit;

-- name: customer-sources
SELECT s.name, r.source_key FROM source_records r JOIN sources s ON s.id = r.source_id
WHERE r.entity = 'customer' AND r.entity_id = :id ORDER BY s.name, r.source_key;

-- name: customer-field-issues
SELECT field, raw_value, reason FROM field_issues WHERE entity = 'customer' AND entity_id = :id ORDER BY field;

-- The data-quality summary (`patron quality`).

-- name: quality-invalid-reasons
SELECT kind, invalid_reason, count(*) AS n FROM contact_points WHERE status = 'invalid'
GROUP BY kind, invalid_reason ORDER BY n DESC LIMIT 8;

-- name: quality-typo-suggestions
SELECT count(*) FROM contact_points WHERE suggestion IS NOT NULL;

-- name: quality-field-issues
SELECT entity || '.' || field, reason, count(*) AS n FROM field_issues GROUP BY 1, 2 ORDER BY n DESC LIMIT 8;

-- Freshness (R10): a usable contact point no source has mentioned for a year is stale.
-- name: quality-stale
SELECT kind, count(*) FROM contact_points
WHERE status IN ('unverified', 'verified')
  AND last_seen_at < (SELECT max(last_seen_at) FROM contact_points) - 365 * 86400 * 1000000
GROUP BY kind;

-- Reachable for marketing: a granted consent and a verified contact point of that channel.
-- name: quality-reachable
SELECT cc.channel, count(DISTINCT cc.customer_id) FROM current_consents cc
JOIN contact_points cp ON cp.customer_id = cc.customer_id AND cp.status = 'verified'
  AND cp.kind = CASE cc.channel WHEN 'email' THEN 'email' WHEN 'mail' THEN 'address' ELSE 'phone' END
WHERE cc.status = 'granted' GROUP BY cc.channel ORDER BY cc.channel;

-- name: quality-sources
SELECT s.name, s.kind, count(r.entity_id) FROM sources s
LEFT JOIN source_records r ON r.source_id = s.id AND r.entity = 'customer'
GROUP BY s.id ORDER BY s.name;

-- name: quality-imports
SELECT kind, path, records, rejected FROM imports ORDER BY id;

-- The customer `patron demo tour` shows: known to the most sources, with orders and events.
-- name: demo-tour-customer
SELECT c.id FROM customers c
JOIN (SELECT entity_id, count(DISTINCT source_id) AS n FROM source_records WHERE entity = 'customer'
      GROUP BY entity_id) s ON s.entity_id = c.id
WHERE EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id)
  AND EXISTS (SELECT 1 FROM events e WHERE e.customer_id = c.id)
ORDER BY s.n DESC, (SELECT count(*) FROM account_members m WHERE m.customer_id = c.id) DESC,
  (SELECT count(*) FROM orders o WHERE o.customer_id = c.id) DESC, c.id
LIMIT 1;

-- name: first-customer
SELECT min(id) FROM customers;
