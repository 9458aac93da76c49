-- Named queries of the web application's settings and data routes
-- (src/server/settings_routes.cc).

-- A user's role (the role is read again on every request, so it applies at once).
-- name: web-user-set-role
UPDATE users SET role = :role, updated_at = :now WHERE id = :id;

-- Lets a disabled user sign in again.
-- name: web-user-enable
UPDATE users SET disabled_at = NULL, updated_at = :now WHERE id = :id;

-- Every source with what came from it: customer and account records, orders,
-- events, and its last import.
-- name: web-sources
SELECT s.id, s.name, s.kind, s.vendor, s.cost_minor, s.currency, s.consent_basis, s.created_at,
       (SELECT count(*) FROM source_records r WHERE r.source_id = s.id AND r.entity = 'customer'),
       (SELECT count(*) FROM source_records r WHERE r.source_id = s.id AND r.entity = 'account'),
       (SELECT count(*) FROM orders o WHERE o.source_id = s.id),
       (SELECT count(*) FROM events e WHERE e.source_id = s.id),
       (SELECT max(coalesce(i.finished_at, i.started_at)) FROM imports i WHERE i.source_id = s.id)
FROM sources s ORDER BY s.name;

-- Consent purposes per channel: customers whose latest record grants or
-- withdraws it, the methods used, and when it was last recorded.
-- name: web-consent-purposes
SELECT purpose, channel,
       sum(status = 'granted'), sum(status = 'withdrawn'),
       sum(status = 'granted' AND method = 'double_opt_in'),
       sum(status = 'granted' AND proof IS NOT NULL AND proof <> ''),
       max(recorded_at)
FROM current_consents GROUP BY purpose, channel ORDER BY purpose, channel;

-- The people of an account (the one customer view lists them under it).
-- name: web-account-members
SELECT m.customer_id,
       coalesce(c.full_name, nullif(trim(coalesce(c.given_name, '') || ' ' || coalesce(c.family_name, '')), '')),
       m.job_title,
       (SELECT value FROM contact_points WHERE customer_id = c.id AND kind = 'email'
        ORDER BY (status = 'invalid'), last_seen_at DESC LIMIT 1)
FROM account_members m JOIN customers c ON c.id = m.customer_id
WHERE m.account_id = :account_id ORDER BY m.customer_id LIMIT 200;

-- Offers a customer has had from campaigns (an offer_product) since :since:
-- the contact policy lets no other team offer the same product meanwhile.
-- name: web-customer-active-offers
SELECT c.id, c.name, c.offer_product, coalesce(c.team, ''), coalesce(r.sent_at, r.send_at)
FROM campaigns c JOIN campaign_recipients r ON r.campaign_id = c.id AND r.customer_id = :customer_id
WHERE c.offer_product IS NOT NULL AND c.offer_product <> '' AND c.status <> 'cancelled' AND c.status <> 'draft'
  AND r.grp = 'target' AND r.status <> 'failed' AND r.status <> 'bounced' AND r.status <> 'skipped'
  AND coalesce(r.sent_at, r.send_at) >= :since
ORDER BY 5 DESC;

-- name: web-customer-has-tag
SELECT count(*) FROM customer_tags WHERE customer_id = :customer_id AND tag = :tag;

-- Consent purposes as described in Settings (0013), with every purpose a
-- consent or campaign names that has no description yet (title '' and
-- created_at NULL then).
-- name: web-purpose-definitions
SELECT name, title, description, created_at, updated_at, retired_at FROM consent_purposes
UNION ALL
SELECT used.purpose, '', '', NULL, NULL, NULL
FROM (SELECT DISTINCT purpose FROM consents UNION SELECT DISTINCT purpose FROM campaigns) AS used
WHERE used.purpose NOT IN (SELECT name FROM consent_purposes)
ORDER BY 1;

-- name: web-purpose-get
SELECT title, description, retired_at FROM consent_purposes WHERE name = :name;

-- Whether any consent or campaign names the purpose.
-- name: web-purpose-in-use
SELECT EXISTS (SELECT 1 FROM consents WHERE purpose = :name)
    OR EXISTS (SELECT 1 FROM campaigns WHERE purpose = :name);

-- name: web-purpose-insert
INSERT INTO consent_purposes (name, title, description, created_at, updated_at, retired_at)
VALUES (:name, :title, :description, :now, :now, :retired_at);

-- name: web-purpose-update
UPDATE consent_purposes SET title = :title, description = :description, retired_at = :retired_at, updated_at = :now
WHERE name = :name;
