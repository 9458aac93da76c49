-- Named queries of the data-quality report and the re-verification list
-- (src/identity/quality.cc, `patron quality report|reverify`).

-- Every contact point with its source and when it was last seen or verified;
-- freshness is computed from these by the decay model.
-- name: quality-report-contacts
SELECT coalesce(s.name, '(no source)'), cp.kind, cp.status, cp.last_seen_at, cp.last_verified_at
FROM contact_points cp LEFT JOIN sources s ON s.id = cp.source_id;

-- Completeness of customer records by the source that created them.
-- name: quality-report-completeness
SELECT coalesce(s.name, '(no source)'), count(*),
  count(nullif(c.given_name, '')), count(nullif(c.family_name, '')), count(nullif(c.birth_date, '')),
  count(nullif(c.gender, '')), count(nullif(c.city, '')), count(nullif(c.country, '')),
  sum(EXISTS (SELECT 1 FROM contact_points p WHERE p.customer_id = c.id AND p.kind = 'email'
              AND p.status <> 'invalid')),
  sum(EXISTS (SELECT 1 FROM contact_points p WHERE p.customer_id = c.id AND p.kind = 'phone'
              AND p.status <> 'invalid')),
  sum(EXISTS (SELECT 1 FROM contact_points p WHERE p.customer_id = c.id AND p.kind = 'address'
              AND p.status <> 'invalid'))
FROM customers c LEFT JOIN sources s ON s.id = c.source_id
GROUP BY 1 ORDER BY 1;

-- Invalid values with their reasons: values kept aside at import (field_issues)
-- and contact points found invalid, grouped, with the first few examples.
-- name: quality-report-invalid
SELECT field, reason, n, example FROM (
  SELECT field, reason, example, count(*) OVER (PARTITION BY field, reason) AS n,
    row_number() OVER (PARTITION BY field, reason ORDER BY id) AS k
  FROM (SELECT entity || '.' || field AS field, reason, raw_value AS example, id FROM field_issues
        UNION ALL
        SELECT 'contact.' || kind, coalesce(invalid_reason, 'invalid'), coalesce(raw_value, value), id
        FROM contact_points WHERE status = 'invalid'))
WHERE k <= :examples ORDER BY n DESC, field, reason, k;

-- Duplicates by source: customer records, and those identity resolution
-- linked with at least one other record.
-- name: quality-report-duplicates
WITH sizes AS (SELECT resolved_id, count(*) AS n FROM identity_clusters GROUP BY resolved_id)
SELECT coalesce(s.name, '(no source)'), count(*), coalesce(sum(z.n > 1), 0)
FROM customers c LEFT JOIN sources s ON s.id = c.source_id
LEFT JOIN identity_clusters ic ON ic.customer_id = c.id
LEFT JOIN sizes z ON z.resolved_id = ic.resolved_id
GROUP BY 1 ORDER BY 1;

-- name: quality-report-resolution
SELECT (SELECT count(*) FROM identity_runs WHERE finished_at IS NOT NULL),
  (SELECT max(finished_at) FROM identity_runs),
  (SELECT count(*) FROM customers),
  (SELECT count(*) FROM identity_clusters WHERE customer_id <> resolved_id),
  (SELECT count(*) FROM (SELECT resolved_id FROM identity_clusters GROUP BY resolved_id HAVING count(*) > 1)),
  (SELECT count(*) FROM identity_review_queue WHERE status = 'pending');

-- Usable contact points (neither invalid nor bounced) for the
-- re-verification list, with the customer's resolved customer.
-- name: quality-reverify-candidates
SELECT cp.customer_id, coalesce(ic.resolved_id, cp.customer_id), cp.kind, cp.value, cp.status,
  coalesce(s.name, '(no source)'), cp.last_seen_at, cp.last_verified_at
FROM contact_points cp LEFT JOIN sources s ON s.id = cp.source_id
LEFT JOIN identity_clusters ic ON ic.customer_id = cp.customer_id
WHERE cp.status IN ('verified', 'unverified')
  AND max(cp.last_seen_at, coalesce(cp.last_verified_at, 0)) < :seen_before
ORDER BY max(cp.last_seen_at, coalesce(cp.last_verified_at, 0)), cp.id;
