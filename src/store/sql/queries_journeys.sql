-- Named queries of journeys (src/journey) and of single sends (src/campaign/single.cc).
-- Prefixes: journey-, campaign-single-.

-- name: campaign-single-contact-points
SELECT id, value, status, max(last_seen_at, coalesce(last_verified_at, last_seen_at)), coalesce(phone_type, '')
FROM contact_points WHERE customer_id = :customer_id AND kind = :kind;

-- name: campaign-single-tagged
SELECT 1 FROM customer_tags WHERE customer_id = :customer_id AND tag = :tag;

-- name: campaign-single-claim
INSERT INTO campaign_recipients (campaign_id, customer_id, grp, variant, language, address, contact_point_id, coupon,
                                 send_at, status, attempts, message_id)
VALUES (:campaign_id, :customer_id, 'target', :variant, :language, :address, :contact_point_id, :coupon, :now,
        'sending', 1, :message_id)
ON CONFLICT (campaign_id, customer_id) DO UPDATE SET
  grp = 'target', reason = NULL, variant = excluded.variant, language = excluded.language, address = excluded.address,
  contact_point_id = excluded.contact_point_id, coupon = excluded.coupon, send_at = excluded.send_at,
  status = 'sending', attempts = CASE WHEN campaign_recipients.message_id = excluded.message_id
                                      THEN campaign_recipients.attempts + 1 ELSE 1 END,
  message_id = excluded.message_id, provider_message_id = NULL, last_error = NULL,
  sent_at = CASE WHEN campaign_recipients.message_id = excluded.message_id THEN campaign_recipients.sent_at END,
  delivered_at = NULL, opened_at = NULL, clicked_at = NULL, unsubscribed_at = NULL;

-- name: campaign-single-outcome
UPDATE campaign_recipients SET status = :status, sent_at = CASE WHEN :status = 'sent' THEN :now ELSE sent_at END,
  last_error = :error, provider_message_id = :provider_id
WHERE campaign_id = :campaign_id AND customer_id = :customer_id AND message_id = :message_id;

-- Journeys.

-- name: journey-insert
INSERT INTO journeys (name, status, spec, seed, created_by, created_at, updated_at)
VALUES (:name, 'draft', :spec, :seed, :created_by, :now, :now);

-- name: journey-select-by-name
SELECT id, name, status, spec, seed, created_by, created_at, updated_at, enabled_at FROM journeys WHERE name = :name;

-- name: journey-select-by-id
SELECT id, name, status, spec, seed, created_by, created_at, updated_at, enabled_at FROM journeys WHERE id = :id;

-- name: journey-select-all
SELECT id, name, status, spec, seed, created_by, created_at, updated_at, enabled_at FROM journeys ORDER BY id;

-- name: journey-select-enabled
SELECT id, name, status, spec, seed, created_by, created_at, updated_at, enabled_at FROM journeys
WHERE status = 'enabled' ORDER BY id;

-- name: journey-set-status
UPDATE journeys SET status = :status, updated_at = :now,
  enabled_at = CASE WHEN :status = 'enabled' THEN :now ELSE enabled_at END
WHERE id = :id;

-- name: journey-cursors
SELECT event_cursor, order_cursor, scanned_day, segment_scanned_at FROM journeys WHERE id = :id;

-- name: journey-set-cursors
UPDATE journeys SET event_cursor = :event_cursor, order_cursor = :order_cursor, scanned_day = :scanned_day,
  segment_scanned_at = :segment_scanned_at
WHERE id = :id;

-- name: journey-max-ids
SELECT (SELECT coalesce(max(id), 0) FROM events), (SELECT coalesce(max(id), 0) FROM orders);

-- Triggers.

-- name: journey-new-events
SELECT id, customer_id, occurred_at, properties FROM events
WHERE id > :cursor AND type = :type AND occurred_at >= :since AND occurred_at <= :now
ORDER BY id LIMIT :limit;

-- name: journey-events-between
SELECT id, customer_id, occurred_at, properties FROM events
WHERE type = :type AND occurred_at > :after AND occurred_at <= :now ORDER BY occurred_at, id;

-- name: journey-new-orders
SELECT id, customer_id, ordered_at, total_minor, coalesce(currency, '') FROM orders
WHERE id > :cursor AND ordered_at >= :since AND ordered_at <= :now AND status <> 'cancelled'
ORDER BY id LIMIT :limit;

-- name: journey-orders-between
SELECT id, customer_id, ordered_at, total_minor, coalesce(currency, '') FROM orders
WHERE ordered_at > :after AND ordered_at <= :now AND status <> 'cancelled' ORDER BY ordered_at, id;

-- name: journey-customer-dates
SELECT id, coalesce(time_zone, ''), coalesce(country, ''), birth_date, created_at FROM customers;

-- name: journey-customer-attribute-dates
SELECT c.id, coalesce(c.time_zone, ''), coalesce(c.country, ''), a.value, c.created_at
FROM customer_attributes a JOIN customers c ON c.id = a.customer_id WHERE a.name = :name;

-- name: journey-segment-members
SELECT customer_id FROM journey_segment_members WHERE journey_id = :journey_id;

-- name: journey-segment-member-add
INSERT OR IGNORE INTO journey_segment_members (journey_id, customer_id) VALUES (:journey_id, :customer_id);

-- name: journey-segment-member-remove
DELETE FROM journey_segment_members WHERE journey_id = :journey_id AND customer_id = :customer_id;

-- name: journey-customer-zone
SELECT coalesce(time_zone, ''), coalesce(country, '') FROM customers WHERE id = :customer_id;

-- Enrolments.

-- name: journey-last-enrolment
SELECT id, state, entered_at FROM journey_enrolments WHERE journey_id = :journey_id AND customer_id = :customer_id
ORDER BY entered_at DESC, id DESC LIMIT 1;

-- name: journey-enrolment-insert
INSERT OR IGNORE INTO journey_enrolments (journey_id, customer_id, entry_key, state, current_step, entered_at)
VALUES (:journey_id, :customer_id, :entry_key, 'active', :step, :now);

-- name: journey-active-enrolments-of-customer
SELECT e.id, e.journey_id FROM journey_enrolments e
WHERE e.customer_id = :customer_id AND e.state = 'active' AND e.journey_id <> :journey_id;

-- name: journey-enrolment-step
UPDATE journey_enrolments SET current_step = :step WHERE id = :id;

-- name: journey-enrolment-finish
UPDATE journey_enrolments SET state = :state, finished_at = :now, exit_reason = :reason, current_step = NULL
WHERE id = :id AND state = 'active';

-- name: journey-timer-insert
INSERT INTO journey_timers (enrolment_id, journey_id, step, due_at, status, wait_event, wait_since)
VALUES (:enrolment_id, :journey_id, :step, :due_at, 'pending', :wait_event, :wait_since);

-- name: journey-timers-due
-- Pending timers that are due, and running ones whose lease ran out (in flight
-- when a scheduler stopped), of enabled journeys, oldest first.
SELECT t.id, t.enrolment_id, t.journey_id, t.step, t.due_at, t.status, t.wait_event, t.wait_since, t.attempts,
       t.message_id, e.customer_id, e.entered_at
FROM journey_timers t JOIN journeys j ON j.id = t.journey_id AND j.status = 'enabled'
  JOIN journey_enrolments e ON e.id = t.enrolment_id
WHERE (t.status = 'pending' OR t.status = 'running') AND t.due_at <= :now
ORDER BY t.due_at, t.id LIMIT :limit;

-- name: journey-timers-waiting-for-events
SELECT t.id, t.enrolment_id, t.journey_id, t.step, t.due_at, t.status, t.wait_event, t.wait_since, t.attempts,
       t.message_id, e.customer_id, e.entered_at
FROM journey_timers t JOIN journey_enrolments e ON e.id = t.enrolment_id
  JOIN journeys j ON j.id = t.journey_id AND j.status = 'enabled'
WHERE t.status = 'pending' AND t.wait_event IS NOT NULL AND t.due_at > :now
  AND (EXISTS (SELECT 1 FROM events ev WHERE ev.customer_id = e.customer_id AND ev.type = t.wait_event
               AND ev.occurred_at >= t.wait_since AND ev.occurred_at <= :now)
       OR (t.wait_event = 'purchase'
           AND EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = e.customer_id AND o.ordered_at >= t.wait_since
                       AND o.ordered_at <= :now AND o.status <> 'cancelled')))
LIMIT :limit;

-- name: journey-timer-claim
-- Running until :lease_until; after that another pass takes it over (the scheduler died).
UPDATE journey_timers SET status = 'running', attempts = attempts + 1, message_id = :message_id, due_at = :lease_until
WHERE id = :id AND (status = 'pending' OR status = 'running');

-- name: journey-timer-done
UPDATE journey_timers SET status = 'done', last_error = :error WHERE id = :id;

-- name: journey-timer-reschedule
UPDATE journey_timers SET status = 'pending', due_at = :due_at, last_error = :error WHERE id = :id;

-- name: journey-timers-cancel-enrolment
UPDATE journey_timers SET status = 'cancelled' WHERE enrolment_id = :enrolment_id AND (status = 'pending' OR status = 'running');

-- name: journey-step-log-insert
INSERT OR IGNORE INTO journey_step_log (enrolment_id, journey_id, step, outcome, at)
VALUES (:enrolment_id, :journey_id, :step, :outcome, :now);

-- Exits and branches.

-- name: journey-customer-had-event
SELECT 1 FROM events WHERE customer_id = :customer_id AND type = :type AND occurred_at >= :since
  AND occurred_at <= :now LIMIT 1;

-- name: journey-customer-ordered
SELECT 1 FROM orders WHERE customer_id = :customer_id AND ordered_at >= :since AND ordered_at <= :now
  AND status <> 'cancelled' LIMIT 1;

-- name: journey-customer-response
SELECT 1 FROM events WHERE customer_id = :customer_id AND type = :type AND occurred_at >= :since
  AND occurred_at <= :now AND json_extract(properties, '$.campaign_id') IN (SELECT value FROM json_each(:campaign_ids))
LIMIT 1;

-- name: journey-customer-consent-withdrawn
SELECT 1 FROM consents c WHERE c.customer_id = :customer_id AND c.status = 'withdrawn' AND c.recorded_at >= :since
  AND c.recorded_at <= :now
  AND c.id = (SELECT c2.id FROM consents c2 WHERE c2.customer_id = c.customer_id AND c2.channel = c.channel
              AND c2.purpose = c.purpose ORDER BY c2.recorded_at DESC, c2.id DESC LIMIT 1)
LIMIT 1;

-- name: journey-customer-entered-journey
SELECT 1 FROM journey_enrolments e JOIN journeys j ON j.id = e.journey_id
WHERE e.customer_id = :customer_id AND j.name = :name AND e.entered_at >= :since LIMIT 1;

-- Actions.

-- name: journey-tag-add
INSERT OR IGNORE INTO customer_tags (customer_id, tag) VALUES (:customer_id, :tag);

-- name: journey-tag-remove
DELETE FROM customer_tags WHERE customer_id = :customer_id AND tag = :tag;

-- name: journey-attribute-set
INSERT INTO customer_attributes (customer_id, name, value) VALUES (:customer_id, :name, :value)
ON CONFLICT (customer_id, name) DO UPDATE SET value = excluded.value;

-- name: journey-attribute-defined
SELECT type FROM attribute_definitions WHERE entity = 'customer' AND name = :name;

-- name: journey-call-task-insert
INSERT OR IGNORE INTO journey_call_tasks (journey_id, enrolment_id, customer_id, step, coupon, discount_percent, note,
                                          created_at)
VALUES (:journey_id, :enrolment_id, :customer_id, :step, :coupon, :discount_percent, :note, :now);

-- name: journey-call-tasks
SELECT t.id, t.customer_id, t.step, t.coupon, t.discount_percent, t.note, t.status, t.created_at
FROM journey_call_tasks t WHERE t.journey_id = :journey_id ORDER BY t.id LIMIT :limit;

-- Statistics.

-- name: journey-stats-enrolments
-- Kept by triggers (0014): no scan of the journey's enrolments.
SELECT state, exit_reason, n FROM journey_enrolment_counts WHERE journey_id = :journey_id AND n > 0;

-- name: journey-stats-steps
SELECT step, outcome, count(*) FROM journey_step_log WHERE journey_id = :journey_id GROUP BY step, outcome;

-- name: journey-stats-waiting
SELECT step, count(*) FROM journey_timers WHERE journey_id = :journey_id AND (status = 'pending' OR status = 'running')
GROUP BY step;

-- name: journey-stats-converted-event
SELECT count(DISTINCT e.id) FROM journey_enrolments e
WHERE e.journey_id = :journey_id AND EXISTS (
  SELECT 1 FROM events ev WHERE ev.customer_id = e.customer_id AND ev.type = :type AND ev.occurred_at >= e.entered_at
    AND ev.occurred_at <= :now);

-- name: journey-stats-converted-order
SELECT count(DISTINCT e.id) FROM journey_enrolments e
WHERE e.journey_id = :journey_id AND EXISTS (
  SELECT 1 FROM orders o WHERE o.customer_id = e.customer_id AND o.ordered_at >= e.entered_at
    AND o.ordered_at <= :now AND o.status <> 'cancelled');

-- name: journey-stats-call-tasks
SELECT count(*) FROM journey_call_tasks WHERE journey_id = :journey_id;

-- name: journey-recent-sends
SELECT count(*) FROM journey_step_log l JOIN journey_enrolments e ON e.id = l.enrolment_id
WHERE e.journey_id = :journey_id AND e.customer_id = :customer_id AND l.outcome = 'sent' AND l.at >= :since;
