-- Named queries of the reports (src/report). Prefix: report-.

-- Campaign messages sent in [:from, :to) with their cost, per campaign channel
-- and currency: the marketing cost of a period.
-- name: report-campaign-costs
SELECT c.channel, coalesce(c.currency, ''), count(*), count(*) * c.cost_per_message_minor,
       count(DISTINCT r.customer_id)
FROM campaign_recipients r JOIN campaigns c ON c.id = r.campaign_id
WHERE r.sent_at >= :from AND r.sent_at < :to
GROUP BY c.id;

-- Distinct people reached by any campaign in [:from, :to).
-- name: report-people-reached
SELECT count(DISTINCT customer_id) FROM campaign_recipients WHERE sent_at >= :from AND sent_at < :to;

-- Acquisition spend overlapping [:from_day, :to_day] (days inclusive); the
-- caller prorates each row by the days that overlap.
-- name: report-acquisition-costs
SELECT coalesce(source, ''), coalesce(channel, ''), from_day, to_day, amount_minor, currency
FROM acquisition_costs WHERE from_day <= :to_day AND to_day >= :from_day;

-- Purchased lists bought in [:from, :to): their price is acquisition spend of that source.
-- name: report-purchased-lists
SELECT name, cost_minor, coalesce(currency, '') FROM sources
WHERE kind = 'purchased' AND cost_minor IS NOT NULL AND acquired_at >= :from AND acquired_at < :to;

-- name: report-insert-acquisition-cost
INSERT INTO acquisition_costs (source, channel, from_day, to_day, amount_minor, currency, imported_at)
VALUES (:source, :channel, :from_day, :to_day, :amount_minor, :currency, :now);

-- name: report-insert-quality
INSERT OR REPLACE INTO report_quality_history (taken_at, contact_points, invalid, stale, duplicates, stale_phones,
                                               stale_emails)
VALUES (:taken_at, :contact_points, :invalid, :stale, :duplicates, :stale_phones, :stale_emails);

-- The weekly report's data-quality figures per contact kind, in one pass (the
-- full data-quality report of src/identity also computes completeness and
-- duplicates by source, which the weekly report does not show): all, invalid
-- or bounced, and usable ones last seen or verified before :stale_before (the
-- caller turns the decay model's "probably stale" threshold into that instant).
-- name: report-quality-figures
SELECT kind, count(*), sum(status = 'invalid' OR status = 'bounced'),
       sum(status <> 'invalid' AND status <> 'bounced'
           AND max(last_seen_at, coalesce(last_verified_at, last_seen_at)) < :stale_before)
FROM contact_points GROUP BY kind;

-- Customer records merged into another (as quality-report-resolution counts them).
-- name: report-quality-merged
SELECT count(*) FROM identity_clusters WHERE customer_id <> resolved_id;

-- name: report-quality-latest
SELECT taken_at, contact_points, invalid, stale, duplicates, stale_phones, stale_emails FROM report_quality_history
WHERE taken_at <= :now ORDER BY taken_at DESC LIMIT 1;

-- name: report-quality-history
SELECT taken_at, contact_points, invalid, stale, duplicates FROM report_quality_history
ORDER BY taken_at DESC LIMIT :limit;

-- name: report-run-find
SELECT generated_at FROM report_runs WHERE kind = :kind AND period_start = :period_start;

-- name: report-run-insert
INSERT OR REPLACE INTO report_runs (kind, period_start, generated_at, path, emailed_to)
VALUES (:kind, :period_start, :generated_at, :path, :emailed_to);

-- name: report-campaign-members
-- Every target and holdout member of one campaign with its responses and its
-- conversion (revenue NULL when none): the same definition as
-- campaign-results-conversions (src/campaign), per member so that a report can
-- break the results down by segment.
WITH RECURSIVE goal_categories(id) AS (
  SELECT id FROM categories WHERE slug = :category
  UNION SELECT c.id FROM categories c JOIN goal_categories g ON c.parent_id = g.id
)
SELECT r.customer_id, r.grp,
       (r.status = 'sent' OR r.status = 'bounced' OR r.delivered_at IS NOT NULL),
       r.opened_at IS NOT NULL, r.clicked_at IS NOT NULL,
       CASE WHEN r.grp = 'holdout' OR r.sent_at IS NOT NULL THEN
         (SELECT sum(o.total_minor) FROM orders o
          WHERE o.customer_id = r.customer_id AND o.status = 'completed'
            AND o.ordered_at >= CASE WHEN r.grp = 'target' THEN r.sent_at ELSE :start END
            AND o.ordered_at < CASE WHEN r.grp = 'target' THEN r.sent_at ELSE :start END + :window
            AND (:category = '' OR EXISTS (
                  SELECT 1 FROM order_lines l JOIN products p ON p.id = l.product_id
                  WHERE l.order_id = o.id AND p.category_id IN (SELECT id FROM goal_categories))))
       END
FROM campaign_recipients r
WHERE r.campaign_id = :campaign_id AND (r.grp = 'target' OR r.grp = 'holdout');
