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
INSERT OR REPLACE INTO report_quality_history (taken_at, contact_points, invalid, stale, duplicates)
VALUES (:taken_at, :contact_points, :invalid, :stale, :duplicates);

-- name: report-quality-history
SELECT taken_at, contact_points, invalid, stale, duplicates FROM report_quality_history
ORDER BY taken_at DESC LIMIT :limit;

-- name: report-run-find
SELECT generated_at FROM report_runs WHERE kind = :kind AND period_start = :period_start;

-- name: report-run-insert
INSERT OR REPLACE INTO report_runs (kind, period_start, generated_at, path, emailed_to)
VALUES (:kind, :period_start, :generated_at, :path, :emailed_to);
