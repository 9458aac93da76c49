-- Named queries of campaigns (src/campaign). Prefix: campaign-.

-- name: campaign-insert
INSERT INTO campaigns (name, status, channel, purpose, audience, holdout_percent, schedule_kind, scheduled_at,
                       local_minute, budget_minor, cost_per_message_minor, currency, goal, offer_product, team,
                       from_name, from_address, reply_to, webhook_url, seed, created_by, created_at, updated_at)
VALUES (:name, 'draft', :channel, :purpose, :audience, :holdout_percent, :schedule_kind, :scheduled_at,
        :local_minute, :budget_minor, :cost_per_message_minor, :currency, :goal, :offer_product, :team,
        :from_name, :from_address, :reply_to, :webhook_url, :seed, :created_by, :now, :now);

-- name: campaign-content-insert
INSERT INTO campaign_contents (campaign_id, variant, language, split_percent, subject, body_text, body_html)
VALUES (:campaign_id, :variant, :language, :split_percent, :subject, :body_text, :body_html);

-- name: campaign-select
SELECT id, name, status, channel, purpose, audience, holdout_percent, schedule_kind, scheduled_at, local_minute,
       budget_minor, cost_per_message_minor, currency, goal, offer_product, team, from_name, from_address,
       reply_to, seed, created_by, created_at, updated_at, prepared_at, started_at, finished_at, webhook_url
FROM campaigns WHERE id = :id OR name = :name;

-- name: campaign-list
SELECT id FROM campaigns ORDER BY id DESC;

-- name: campaign-contents
SELECT variant, language, split_percent, subject, body_text, body_html
FROM campaign_contents WHERE campaign_id = :campaign_id ORDER BY variant, language;

-- name: campaign-set-status
UPDATE campaigns SET status = :status, updated_at = :now,
  prepared_at = CASE WHEN :status = 'scheduled' AND prepared_at IS NULL THEN :now ELSE prepared_at END,
  started_at = CASE WHEN :status = 'sending' AND started_at IS NULL THEN :now ELSE started_at END,
  finished_at = CASE WHEN :status = 'done' OR :status = 'cancelled' THEN :now ELSE finished_at END
WHERE id = :id;

-- name: campaign-setting-upsert
INSERT INTO campaign_settings (name, value, updated_at) VALUES (:name, :value, :now)
ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at;

-- name: campaign-settings
SELECT name, value FROM campaign_settings ORDER BY name;

-- name: campaign-suppression-insert
INSERT OR IGNORE INTO suppression_entries (list, channel, value, added_at) VALUES (:list, :channel, :value, :now);

-- Planning inputs: whole-table scans in customer order, read once per plan.

-- name: campaign-plan-customers
SELECT c.id, c.language, c.time_zone, c.country, t.clv_12m_minor, t.best_send_hour
FROM customers c LEFT JOIN customer_traits t ON t.customer_id = c.id;

-- In no particular order (sorting 1M rows cost more than the scan): the caller
-- keeps each customer's last row by (recorded_at, id).
-- name: campaign-plan-consents
SELECT customer_id, status, coalesce(proof, ''), recorded_at, id FROM consents
WHERE channel = :channel AND purpose = :purpose;

-- name: campaign-plan-contact-points
SELECT id, customer_id, value, status, max(last_seen_at, coalesce(last_verified_at, last_seen_at)), coalesce(phone_type, '')
FROM contact_points WHERE kind = :kind;

-- name: campaign-plan-recent-messages
SELECT customer_id, count(*) FROM events
WHERE type = 'message_sent' AND occurred_at >= :since
  AND coalesce(json_extract(properties, '$.channel'), 'email') = :channel
GROUP BY customer_id;

-- name: campaign-plan-tagged
SELECT customer_id FROM customer_tags WHERE tag = :tag;

-- name: campaign-plan-active-offers
SELECT DISTINCT r.customer_id FROM campaign_recipients r JOIN campaigns c ON c.id = r.campaign_id
WHERE c.offer_product = :product AND c.id <> :campaign_id AND coalesce(c.team, '') <> :team
  AND c.status <> 'cancelled' AND c.status <> 'draft' AND r.grp = 'target'
  AND r.status <> 'failed' AND r.status <> 'bounced' AND r.status <> 'skipped'
  AND coalesce(r.sent_at, r.send_at) >= :since;

-- name: campaign-plan-register
SELECT value FROM suppression_entries WHERE channel = :channel;

-- The outbox.

-- name: campaign-outbox-clear
DELETE FROM campaign_recipients WHERE campaign_id = :campaign_id;

-- name: campaign-outbox-insert
INSERT INTO campaign_recipients (campaign_id, customer_id, grp, reason, variant, language, address,
                                 contact_point_id, coupon, send_at, status)
VALUES (:campaign_id, :customer_id, :grp, :reason, :variant, :language, :address, :contact_point_id, :coupon,
        :send_at, CASE WHEN :grp = 'target' THEN 'pending' ELSE 'skipped' END);

-- name: campaign-outbox-due
SELECT customer_id, variant, language, address, contact_point_id, coupon, status, attempts
FROM campaign_recipients
WHERE campaign_id = :campaign_id AND grp = 'target'
  AND (status = 'pending' OR status = 'sending' OR status = 'deferred')
  AND send_at <= :now AND (next_attempt_at IS NULL OR next_attempt_at <= :now)
ORDER BY send_at, customer_id LIMIT :limit;

-- name: campaign-outbox-targets
SELECT customer_id, variant FROM campaign_recipients
WHERE campaign_id = :campaign_id AND grp = 'target' AND customer_id > :after
ORDER BY customer_id LIMIT :limit;

-- name: campaign-outbox-open
SELECT count(*) FROM campaign_recipients
WHERE campaign_id = :campaign_id AND grp = 'target'
  AND (status = 'pending' OR status = 'sending' OR status = 'deferred');

-- name: campaign-outbox-claim
UPDATE campaign_recipients SET status = 'sending', attempts = attempts + 1, message_id = :message_id
WHERE campaign_id = :campaign_id AND customer_id = :customer_id;

-- name: campaign-outbox-sent
UPDATE campaign_recipients SET status = 'sent', sent_at = :now, last_error = NULL,
  provider_message_id = :provider_id
WHERE campaign_id = :campaign_id AND customer_id = :customer_id;

-- name: campaign-outbox-retry
UPDATE campaign_recipients SET status = 'deferred', next_attempt_at = :next_attempt_at, last_error = :error
WHERE campaign_id = :campaign_id AND customer_id = :customer_id;

-- name: campaign-outbox-reschedule
UPDATE campaign_recipients SET status = 'deferred', send_at = :send_at, last_error = :error,
  attempts = max(attempts - :undo_attempt, 0)
WHERE campaign_id = :campaign_id AND customer_id = :customer_id;

-- name: campaign-outbox-final
UPDATE campaign_recipients SET status = :status, last_error = :error, reason = coalesce(:reason, reason)
WHERE campaign_id = :campaign_id AND customer_id = :customer_id;

-- name: campaign-outbox-by-message
SELECT campaign_id, customer_id, contact_point_id FROM campaign_recipients WHERE message_id = :message_id;

-- A gateway's receipt that names the message by the gateway's id; rows sent
-- before migration 0024 kept it as their message_id.
-- name: campaign-outbox-by-provider-id
SELECT campaign_id, customer_id, contact_point_id FROM campaign_recipients WHERE provider_message_id = :provider_id
UNION ALL
SELECT campaign_id, customer_id, contact_point_id FROM campaign_recipients WHERE message_id = :provider_id
LIMIT 1;

-- name: campaign-outbox-row
SELECT grp, status, opened_at, clicked_at, unsubscribed_at, delivered_at, variant, contact_point_id
FROM campaign_recipients WHERE campaign_id = :campaign_id AND customer_id = :customer_id;

-- Send-time re-checks for one customer.

-- name: campaign-check-consent
SELECT status FROM consents WHERE customer_id = :customer_id AND channel = :channel AND purpose = :purpose
ORDER BY recorded_at DESC, id DESC LIMIT 1;

-- name: campaign-check-contact-point
SELECT status FROM contact_points WHERE id = :id;

-- name: campaign-check-recent-messages
SELECT count(*) FROM events
WHERE customer_id = :customer_id AND type = 'message_sent' AND occurred_at >= :since
  AND coalesce(json_extract(properties, '$.channel'), 'email') = :channel;

-- name: campaign-check-register
SELECT 1 FROM suppression_entries WHERE channel = :channel AND value = :value LIMIT 1;

-- Responses.

-- name: campaign-source-upsert
INSERT INTO sources (name, kind, created_at) VALUES ('patron-campaigns', 'internal', :now)
ON CONFLICT (name) DO UPDATE SET name = excluded.name
RETURNING id;

-- name: campaign-event-insert
INSERT OR IGNORE INTO events (customer_id, type, occurred_at, received_at, source_id, source_key, properties)
VALUES (:customer_id, :type, :now, :now, :source_id, :source_key, :properties);

-- name: campaign-mark-opened
UPDATE campaign_recipients SET opened_at = coalesce(opened_at, :now), delivered_at = coalesce(delivered_at, :now)
WHERE campaign_id = :campaign_id AND customer_id = :customer_id AND opened_at IS NULL;

-- name: campaign-mark-clicked
UPDATE campaign_recipients SET clicked_at = coalesce(clicked_at, :now), opened_at = coalesce(opened_at, :now),
  delivered_at = coalesce(delivered_at, :now)
WHERE campaign_id = :campaign_id AND customer_id = :customer_id AND clicked_at IS NULL;

-- name: campaign-mark-unsubscribed
UPDATE campaign_recipients SET unsubscribed_at = :now
WHERE campaign_id = :campaign_id AND customer_id = :customer_id AND unsubscribed_at IS NULL;

-- name: campaign-mark-delivered
UPDATE campaign_recipients SET delivered_at = :now
WHERE campaign_id = :campaign_id AND customer_id = :customer_id AND delivered_at IS NULL;

-- name: campaign-mark-bounced
UPDATE campaign_recipients SET status = 'bounced', last_error = :reason
WHERE campaign_id = :campaign_id AND customer_id = :customer_id;

-- A hard bounce is the last sighting of the value: when it was found gone
-- bad (identity::EstimateDecay learns the decay rate from such times).
-- name: campaign-contact-point-bounced
UPDATE contact_points SET status = 'bounced', invalid_reason = :reason, last_seen_at = max(last_seen_at, :now),
  bounced_at = :now
WHERE id = :id;

-- A delivered SMS: the number was in service then. An unverified number
-- becomes verified; the date moves forward by a day or more only, so that a
-- daily campaign does not touch the row (and send its record back through
-- identity resolution) on every receipt. A bounced or invalid number stays
-- as it is.
-- name: campaign-contact-point-delivered
UPDATE contact_points SET status = 'verified', last_verified_at = :now, last_seen_at = max(last_seen_at, :now)
WHERE id = :id AND (status = 'unverified'
  OR (status = 'verified' AND coalesce(last_verified_at, 0) <= :now - 86400000000));

-- name: campaign-consent-withdraw
INSERT INTO consents (customer_id, channel, purpose, status, recorded_at, source_id, method, proof)
VALUES (:customer_id, :channel, :purpose, 'withdrawn', :now, :source_id, 'single_opt_in', :proof);

-- Rendering.

-- name: campaign-render-customer
SELECT c.given_name, c.family_name, c.full_name, c.salutation, c.greeting, c.language, c.city, c.country,
       c.gender, t.clv_12m_minor, t.churn_risk, t.currency, t.rfm_segment, t.best_channel, t.lifecycle_stage,
       c.time_zone, o.ordered_at, o.total_minor, o.currency
FROM customers c LEFT JOIN customer_traits t ON t.customer_id = c.id
LEFT JOIN orders o ON o.id = (SELECT id FROM orders WHERE customer_id = c.id ORDER BY ordered_at DESC LIMIT 1)
WHERE c.id = :customer_id;

-- name: campaign-render-recommendations
SELECT p.sku, coalesce(p.name, p.sku), p.price_minor, p.currency FROM customer_recommendations r
JOIN products p ON p.id = r.product_id WHERE r.customer_id = :customer_id ORDER BY r.rank LIMIT 3;

-- The render data of a campaign's targets with ids in [:first, :last], in id
-- order (columns as campaign-render-customer, after the id): one range scan of
-- the outbox's key per chunk instead of point queries per customer.
-- name: campaign-render-targets-range
SELECT c.id, c.given_name, c.family_name, c.full_name, c.salutation, c.greeting, c.language, c.city, c.country,
       c.gender, t.clv_12m_minor, t.churn_risk, t.currency, t.rfm_segment, t.best_channel, t.lifecycle_stage,
       c.time_zone, o.ordered_at, o.total_minor, o.currency
FROM campaign_recipients r CROSS JOIN customers c ON c.id = r.customer_id
LEFT JOIN customer_traits t ON t.customer_id = c.id
LEFT JOIN orders o ON o.id = (SELECT id FROM orders WHERE customer_id = c.id ORDER BY ordered_at DESC LIMIT 1)
WHERE r.campaign_id = :campaign_id AND r.customer_id BETWEEN :first AND :last AND r.grp = 'target'
ORDER BY r.customer_id;

-- Every recommendation of the customers with ids in [:first, :last], best
-- first per customer (the caller keeps the first three of each).
-- name: campaign-render-recommendations-range
SELECT r.customer_id, p.sku, coalesce(p.name, p.sku), p.price_minor, p.currency FROM customer_recommendations r
JOIN products p ON p.id = r.product_id WHERE r.customer_id BETWEEN :first AND :last ORDER BY r.customer_id, r.rank;

-- name: campaign-render-contact
SELECT value FROM contact_points WHERE customer_id = :customer_id AND kind = :kind
ORDER BY (status = 'verified') DESC, last_seen_at DESC LIMIT 1;

-- Results.

-- name: campaign-results-groups
SELECT grp, coalesce(variant, ''), coalesce(reason, ''), count(*),
       sum(status = 'sent' OR status = 'bounced' OR delivered_at IS NOT NULL),
       sum(delivered_at IS NOT NULL), sum(opened_at IS NOT NULL), sum(clicked_at IS NOT NULL),
       sum(unsubscribed_at IS NOT NULL), sum(status = 'bounced'), sum(status = 'failed')
FROM campaign_recipients WHERE campaign_id = :campaign_id GROUP BY 1, 2, 3;

-- A member converts with a completed order (in the goal's category or below,
-- or any when :category is '') within :days days of their message (targets)
-- or of the campaign's start (holdout, and targets not yet sent).
-- name: campaign-results-conversions
WITH RECURSIVE goal_categories(id) AS (
  SELECT id FROM categories WHERE slug = :category
  UNION SELECT c.id FROM categories c JOIN goal_categories g ON c.parent_id = g.id
),
members AS (
  SELECT r.customer_id, r.grp, coalesce(r.variant, '') AS variant,
         CASE WHEN r.grp = 'target' THEN r.sent_at ELSE :start END AS since
  FROM campaign_recipients r
  WHERE r.campaign_id = :campaign_id AND (r.grp = 'holdout' OR (r.grp = 'target' AND r.sent_at IS NOT NULL))
),
converted AS (
  SELECT m.customer_id, m.grp, m.variant,
         (SELECT sum(o.total_minor) FROM orders o
          WHERE o.customer_id = m.customer_id AND o.status = 'completed'
            AND o.ordered_at >= m.since AND o.ordered_at < m.since + :window
            AND (:category = '' OR EXISTS (
                  SELECT 1 FROM order_lines l JOIN products p ON p.id = l.product_id
                  WHERE l.order_id = o.id AND p.category_id IN (SELECT id FROM goal_categories)))) AS revenue
  FROM members m
)
SELECT grp, variant, count(*), sum(revenue IS NOT NULL), coalesce(sum(revenue), 0)
FROM converted GROUP BY grp, variant;

-- name: campaign-outbox-group-status
SELECT grp, status FROM campaign_recipients WHERE campaign_id = :campaign_id;

-- name: campaign-sending-with-due-rows
-- Campaigns released for sending (status 'sending') with a target row due now:
-- a later send time reached, a retry due, a quiet-hours deferral over, or a row
-- left in flight by a crash. The scheduler in `patron serve` sends them.
SELECT c.id FROM campaigns c
WHERE c.status = 'sending' AND EXISTS (
  SELECT 1 FROM campaign_recipients r
  WHERE r.campaign_id = c.id AND r.grp = 'target'
    AND r.status IN ('pending', 'sending', 'deferred')
    AND r.send_at <= :now AND (r.next_attempt_at IS NULL OR r.next_attempt_at <= :now))
ORDER BY c.id;
