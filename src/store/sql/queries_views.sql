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

-- name: customer-interactions
SELECT e.occurred_at, e.type, e.properties, coalesce(s.name, '')
FROM events e LEFT JOIN sources s ON s.id = e.source_id
WHERE e.customer_id = :id ORDER BY e.occurred_at DESC, e.id DESC LIMIT :limit;

-- name: customer-sources
SELECT s.name, r.source_key FROM source_records r JOIN sources s ON s.id = r.source_id
WHERE r.entity = 'customer' AND r.entity_id = :id ORDER BY s.name, r.source_key;

-- name: latest-imports
SELECT kind, path, started_at, records, rejected, coalesce(report, '{}') FROM imports
ORDER BY id DESC LIMIT :limit;

-- name: customer-field-issues
SELECT field, raw_value, reason FROM field_issues WHERE entity = 'customer' AND entity_id = :id ORDER BY field;
