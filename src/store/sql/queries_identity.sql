-- Named queries of identity resolution (src/identity/resolve.cc).

-- name: identity-customers
SELECT c.id, c.given_name, c.family_name, c.full_name, c.birth_date, c.gender, c.city, c.region,
  c.country, c.language, c.updated_at, c.source_id,
  (SELECT a.value FROM customer_attributes a WHERE a.customer_id = c.id AND a.name = 'national_id')
FROM customers c
ORDER BY c.id;

-- name: identity-customer-by-id
SELECT c.id, c.given_name, c.family_name, c.full_name, c.birth_date, c.gender, c.city, c.region,
  c.country, c.language, c.updated_at, c.source_id,
  (SELECT a.value FROM customer_attributes a WHERE a.customer_id = c.id AND a.name = 'national_id')
FROM customers c
WHERE c.id = :id;

-- Contact values that are or were the customer's (a bounced email still
-- identifies its owner); invalid phones too, which are compared by their
-- digits but never merge anyone by themselves, and invalid emails with a
-- suggested correction, compared by the correction. In table order: the caller
-- orders each customer's values newest first (last_seen_at, then id), which
-- costs less than SQLite's sorter over every contact point.
-- name: identity-contact-points
SELECT customer_id, kind, value, status, street, postal_code, city, source_id, last_seen_at,
  last_verified_at, id, CASE WHEN status = 'invalid' THEN suggestion END
FROM contact_points WHERE status <> 'invalid' OR kind = 'phone' OR suggestion IS NOT NULL;

-- The customers listed in :ids (a JSON array), as identity-customer-by-id.
-- name: identity-customers-of-many
SELECT c.id, c.given_name, c.family_name, c.full_name, c.birth_date, c.gender, c.city, c.region,
  c.country, c.language, c.updated_at, c.source_id,
  (SELECT a.value FROM customer_attributes a WHERE a.customer_id = c.id AND a.name = 'national_id')
FROM customers c
WHERE c.id IN (SELECT value FROM json_each(:ids));

-- The contact values of the customers listed in :ids, as identity-contact-points-of (unordered).
-- name: identity-contact-points-of-many
SELECT customer_id, kind, value, status, street, postal_code, city, source_id, last_seen_at,
  last_verified_at, id, CASE WHEN status = 'invalid' THEN suggestion END
FROM contact_points
WHERE customer_id IN (SELECT value FROM json_each(:ids)) AND (status <> 'invalid' OR kind = 'phone' OR suggestion IS NOT NULL);

-- name: identity-contact-points-of
SELECT customer_id, kind, value, status, street, postal_code, city, source_id, last_seen_at,
  last_verified_at, id, CASE WHEN status = 'invalid' THEN suggestion END
FROM contact_points WHERE customer_id = :id AND (status <> 'invalid' OR kind = 'phone' OR suggestion IS NOT NULL)
ORDER BY last_seen_at DESC, id DESC;

-- The devices records were seen on (migration 0018), in record order.
-- name: identity-devices
SELECT customer_id, device_id FROM customer_devices ORDER BY customer_id, device_id;

-- name: identity-devices-of
SELECT customer_id, device_id FROM customer_devices WHERE customer_id = :id ORDER BY device_id;

-- name: identity-devices-of-many
SELECT customer_id, device_id FROM customer_devices WHERE customer_id IN (SELECT value FROM json_each(:ids));

-- name: identity-insert-run
INSERT INTO identity_runs (started_at) VALUES (:now);

-- name: identity-finish-run
UPDATE identity_runs SET finished_at = :now, records = :records, clusters = :clusters,
  candidate_pairs = :candidate_pairs, rule_merges = :rule_merges,
  probabilistic_merges = :probabilistic_merges, reviews = :reviews,
  guard_refusals = :guard_refusals, model = :model
WHERE id = :id;

-- name: identity-latest-model
SELECT model FROM identity_runs WHERE model IS NOT NULL ORDER BY id DESC LIMIT 1;

-- name: identity-all-clusters
SELECT customer_id, resolved_id FROM identity_clusters;

-- name: identity-cluster-of
SELECT resolved_id FROM identity_clusters WHERE customer_id = :id;

-- (record, resolved id) of the records in :ids (a JSON array) that have a cluster row.
-- name: identity-clusters-of-many
SELECT customer_id, resolved_id FROM identity_clusters
WHERE customer_id IN (SELECT value FROM json_each(:ids));

-- (member, resolved id) of every member of the clusters in :ids (a JSON array).
-- name: identity-members-of-many
SELECT customer_id, resolved_id FROM identity_clusters
WHERE resolved_id IN (SELECT value FROM json_each(:ids));

-- name: identity-cluster-members
SELECT customer_id FROM identity_clusters WHERE resolved_id = :resolved_id ORDER BY customer_id;

-- name: identity-set-cluster
INSERT INTO identity_clusters (customer_id, resolved_id, run_id, updated_at)
VALUES (:customer_id, :resolved_id, :run_id, :now)
ON CONFLICT (customer_id) DO UPDATE SET resolved_id = excluded.resolved_id,
  run_id = coalesce(excluded.run_id, run_id), updated_at = excluded.updated_at;

-- name: identity-log
INSERT INTO identity_merge_log (run_id, at, action, customer_id, resolved_id, previous_resolved_id,
  reason, probability)
VALUES (:run_id, :now, :action, :customer_id, :resolved_id, :previous_resolved_id, :reason,
  :probability);

-- name: identity-clear-pairs
DELETE FROM identity_pairs;

-- name: identity-insert-pair
INSERT OR REPLACE INTO identity_pairs (left_id, right_id, run_id, decision, rule, probability, weight)
VALUES (:left_id, :right_id, :run_id, :decision, :rule, :probability, :weight);

-- A full rebuild replaces the undecided pairs; decided ones stay as history.
-- name: identity-clear-pending-reviews
DELETE FROM identity_review_queue WHERE status = 'pending';

-- name: identity-upsert-review
INSERT INTO identity_review_queue (left_id, right_id, probability, weight, created_at)
VALUES (:left_id, :right_id, :probability, :weight, :now)
ON CONFLICT (left_id, right_id) DO UPDATE SET probability = excluded.probability,
  weight = excluded.weight;

-- name: identity-list-reviews
SELECT id, left_id, right_id, probability, weight, status FROM identity_review_queue
WHERE (:pending_only = 0 OR status = 'pending')
ORDER BY status <> 'pending', probability DESC, id
LIMIT :limit;

-- What reviewers decided, with the probability the model gave each pair.
-- name: identity-decided-reviews
SELECT probability, status = 'accepted' FROM identity_review_queue WHERE status <> 'pending';

-- name: identity-review-by-id
SELECT left_id, right_id, status FROM identity_review_queue WHERE id = :id;

-- name: identity-decide-review
UPDATE identity_review_queue SET status = :status, decided_at = :now WHERE id = :id;

-- name: identity-upsert-decision
INSERT INTO identity_decisions (left_id, right_id, decision, reason, decided_at)
VALUES (:left_id, :right_id, :decision, :reason, :now)
ON CONFLICT (left_id, right_id) DO UPDATE SET decision = excluded.decision,
  reason = excluded.reason, decided_at = excluded.decided_at;

-- name: identity-decisions
SELECT left_id, right_id, decision FROM identity_decisions;

-- name: identity-clear-golden
DELETE FROM identity_golden;

-- name: identity-delete-golden-of
DELETE FROM identity_golden WHERE resolved_id = :resolved_id;

-- name: identity-insert-golden
INSERT OR REPLACE INTO identity_golden (resolved_id, field, value, customer_id, source_id, rule,
  seen_at, freshness)
VALUES (:resolved_id, :field, :value, :customer_id, :source_id, :rule, :seen_at, :freshness);

-- name: identity-source-name
SELECT name FROM sources WHERE id = :id;

-- name: identity-golden-of
SELECT g.field, g.value, g.customer_id, s.name, g.rule, g.seen_at, g.freshness
FROM identity_golden g LEFT JOIN sources s ON s.id = g.source_id
WHERE g.resolved_id = :resolved_id ORDER BY g.field;

-- name: identity-pair-score
SELECT probability, weight, decision FROM identity_pairs WHERE left_id = :left_id AND right_id = :right_id;

-- Every imported customer record with its source, key and resolved customer
-- (itself before any resolution run).
-- name: identity-memberships
SELECT s.name, r.source_key, r.entity_id, coalesce(k.resolved_id, r.entity_id)
FROM source_records r
JOIN sources s ON s.id = r.source_id
LEFT JOIN identity_clusters k ON k.customer_id = r.entity_id
WHERE r.entity = 'customer'
ORDER BY s.name, r.source_key;

-- B2B accounts (src/identity/accounts.cc).

-- name: identity-accounts
SELECT id, name, coalesce(domain, ''), coalesce(industry_code, ''), coalesce(city, ''), coalesce(country, '')
FROM accounts ORDER BY id;

-- name: identity-account-decisions
SELECT left_id, right_id, decision FROM identity_account_pairs
WHERE decision = 'apart' OR decision = 'together';

-- name: identity-clear-account-run
DELETE FROM identity_account_pairs WHERE decision = 'merge' OR decision = 'review';

-- name: identity-clear-account-clusters
DELETE FROM identity_account_clusters;

-- name: identity-insert-account-cluster
INSERT INTO identity_account_clusters (account_id, resolved_id, updated_at) VALUES (:account_id, :resolved_id, :now);

-- A run's pair never overwrites a person's decision.
-- name: identity-insert-account-pair
INSERT INTO identity_account_pairs (left_id, right_id, decision, rule, decided_at)
VALUES (:left_id, :right_id, :decision, :rule, :now)
ON CONFLICT (left_id, right_id) DO NOTHING;

-- name: identity-upsert-account-decision
INSERT INTO identity_account_pairs (left_id, right_id, decision, rule, decided_at)
VALUES (:left_id, :right_id, :decision, :rule, :now)
ON CONFLICT (left_id, right_id) DO UPDATE SET decision = excluded.decision, rule = excluded.rule,
  decided_at = excluded.decided_at;

-- name: identity-account-memberships
SELECT a.id, a.name, coalesce(a.domain, ''), coalesce(s.name, ''), coalesce(c.resolved_id, a.id)
FROM accounts a LEFT JOIN sources s ON s.id = a.source_id
LEFT JOIN identity_account_clusters c ON c.account_id = a.id
ORDER BY coalesce(c.resolved_id, a.id), a.id;

-- name: identity-account-reviews
SELECT left_id, right_id, rule FROM identity_account_pairs WHERE decision = 'review' ORDER BY left_id, right_id;

-- name: identity-account-exists
SELECT 1 FROM accounts WHERE id = :id;

-- Prepared records and their keys (migration 0016; src/identity/resolve.cc).

-- name: identity-clear-keys
DELETE FROM identity_keys;

-- name: identity-clear-recent-keys
DELETE FROM identity_keys_recent;

-- name: identity-clear-keyed
DELETE FROM identity_keyed;

-- name: identity-clear-dirty
DELETE FROM identity_dirty;

-- name: identity-insert-keyed
INSERT OR REPLACE INTO identity_keyed (record_id, keys, prepared) VALUES (:record_id, :keys, :prepared);

-- Many index rows at once, from a JSON array of [hash, record_id] pairs: a
-- full run writes about ten per customer record, and one statement per
-- thousands of rows costs much less than one per row.
-- An incremental run's keys go to the recent keys (migration 0017).
-- name: identity-insert-recent-key
INSERT OR IGNORE INTO identity_keys_recent (hash, record_id) VALUES (:hash, :record_id);

-- Folds the recent keys into identity_keys (in hash order).
-- name: identity-fold-recent-keys
INSERT OR IGNORE INTO identity_keys (hash, record_id) SELECT hash, record_id FROM identity_keys_recent;

-- name: identity-count-recent-keys
SELECT count(*) FROM identity_keys_recent;

-- A dirty record has no stored keys (migration 0016's contract, kept by its
-- triggers). Should a writer outside them have broken it, an incremental run
-- finds out here and removes the dirty records' stale keys first.
-- name: identity-dirty-keyed
SELECT EXISTS (SELECT 1 FROM identity_dirty d JOIN identity_keyed k ON k.record_id = d.record_id);

-- name: identity-unkey-dirty-keys
DELETE FROM identity_keys WHERE (hash, record_id) IN
  (SELECT j.value, k.record_id FROM identity_dirty d JOIN identity_keyed k ON k.record_id = d.record_id,
   json_each(k.keys) j);

-- name: identity-unkey-dirty-recent-keys
DELETE FROM identity_keys_recent WHERE (hash, record_id) IN
  (SELECT j.value, k.record_id FROM identity_dirty d JOIN identity_keyed k ON k.record_id = d.record_id,
   json_each(k.keys) j);

-- name: identity-unkey-dirty
DELETE FROM identity_keyed WHERE record_id IN (SELECT record_id FROM identity_dirty);

-- Records to prepare again: new ones (no cluster yet) and changed ones.
-- name: identity-dirty
SELECT d.record_id, k.resolved_id FROM identity_dirty d
JOIN customers c ON c.id = d.record_id
LEFT JOIN identity_clusters k ON k.customer_id = d.record_id
ORDER BY d.record_id;

-- name: identity-delete-dirty
DELETE FROM identity_dirty WHERE record_id = :record_id;

-- Up to :limit records holding a key, keyed (current) ones only.
-- name: identity-records-with-key
SELECT record_id FROM identity_keys WHERE hash = :hash ORDER BY record_id LIMIT :limit;

-- name: identity-recent-records-with-key
SELECT record_id FROM identity_keys_recent WHERE hash = :hash ORDER BY record_id LIMIT :limit;

-- name: identity-count-key
SELECT (SELECT count(*) FROM identity_keys WHERE hash = :hash) +
       (SELECT count(*) FROM identity_keys_recent WHERE hash = :hash);

-- Records with a key of the exact-given-name or exact-family-name rule
-- (migration 0017: kept by runs and triggers).
-- name: identity-name-total
SELECT records FROM identity_name_totals WHERE rule = :rule;

-- name: identity-add-name-total
UPDATE identity_name_totals SET records = records + :records WHERE rule = :rule;

-- name: identity-set-name-total
INSERT OR REPLACE INTO identity_name_totals (rule, records) VALUES (:rule, :records);

-- Counted again from both key tables.
-- name: identity-recount-name-totals
UPDATE identity_name_totals SET records =
  (SELECT count(*) FROM identity_keys WHERE hash >= rule << 59 AND hash <= CASE WHEN rule = 15
     THEN 9223372036854775807 ELSE ((rule + 1) << 59) - 1 END) +
  (SELECT count(*) FROM identity_keys_recent WHERE hash >= rule << 59 AND hash <= CASE WHEN rule = 15
     THEN 9223372036854775807 ELSE ((rule + 1) << 59) - 1 END);

-- The stored prepared forms of the records listed in :ids (a JSON array).
-- name: identity-prepared-of-many
SELECT record_id, prepared FROM identity_keyed WHERE record_id IN (SELECT value FROM json_each(:ids));

-- name: identity-count-customers
SELECT count(*) FROM customers;

-- name: identity-count-clusters
SELECT count(DISTINCT resolved_id) FROM identity_clusters;

-- The records the next run resolves: new, or changed since a run prepared them.
-- name: identity-count-pending
SELECT count(*) FROM identity_dirty d JOIN customers c ON c.id = d.record_id;

-- name: identity-has-model
SELECT EXISTS (SELECT 1 FROM identity_runs WHERE model IS NOT NULL);

-- name: identity-latest-finished-run
SELECT id, started_at, finished_at, records, clusters, candidate_pairs, rule_merges, probabilistic_merges,
       reviews, guard_refusals
FROM identity_runs WHERE finished_at IS NOT NULL ORDER BY id DESC LIMIT 1;

-- name: identity-decisions-of
SELECT left_id, right_id, decision FROM identity_decisions WHERE left_id = :id OR right_id = :id;

-- Survivorship as configured (migration 0019).
-- name: identity-survival-rules
SELECT field, rule FROM identity_survivorship;

-- name: identity-source-trust
SELECT id, name, kind, trust FROM sources ORDER BY id;

-- name: identity-set-survival-rule
INSERT INTO identity_survivorship (field, rule, updated_at) VALUES (:field, :rule, :now)
ON CONFLICT (field) DO UPDATE SET rule = excluded.rule, updated_at = excluded.updated_at;

-- name: identity-reset-survival-rule
DELETE FROM identity_survivorship WHERE field = :field;

-- name: identity-set-source-trust
UPDATE sources SET trust = :trust WHERE name = :name;

-- Emails and phones whose fate the store saw, for learning the decay rate:
-- found bounced (a campaign's hard bounce, a source's `email_bounced_at`, or a
-- later import saying so) or verified (a source's `email_verified_at`, or a
-- later import). Columns: gone bad; since when the value was known good;
-- observed at; first seen.
-- Known good since: freshness counts a value's months from when it was last
-- seen or verified, so the rate is learnt the same way — from the last time a
-- source gave the value before the outcome (its first sighting, or an import
-- that carried it again before), not from when it became the person's. Values
-- that stopped being the person's before the store first saw them never reach
-- the store, so ages counted from the record's creation would see only the
-- survivors and learn too low a rate. A source's own dated outcome from before
-- the store knew the value is counted from the record's creation, since when
-- the source held it. A bare status that came with the value's first import
-- has no date of its own (a list's "verified" may be years old): the import
-- stamps it with its own time, the value's first sighting, and EstimateDecay
-- leaves it out.
-- name: identity-decay-observations
WITH observed AS (
  SELECT cp.status = 'bounced' AS gone, cp.first_seen_at, cp.carried_at, c.created_at,
         CASE WHEN cp.status = 'bounced'
              THEN coalesce(cp.bounced_at, max(cp.last_seen_at, coalesce(cp.last_verified_at, 0)))
              ELSE cp.last_verified_at END AS at
  FROM contact_points cp JOIN customers c ON c.id = cp.customer_id
  WHERE cp.kind IN ('email', 'phone')
    AND (cp.status = 'bounced' OR (cp.status = 'verified' AND cp.last_verified_at IS NOT NULL))
)
SELECT gone,
       CASE WHEN at < first_seen_at THEN min(first_seen_at, created_at)
            WHEN carried_at < at THEN max(first_seen_at, carried_at)
            ELSE first_seen_at END,
       at, first_seen_at
FROM observed;

-- The other usable emails and phones whose fate a source showed by changing
-- them (migration 0025): replaced (an import of the same record brought
-- another value of the kind after the last import that carried this one:
-- gone by then, good when last carried) or carried again by a later import of
-- the record (good from its first sighting to then). Columns as above:
-- replaced, known good since, observed at, first seen. Values neither
-- replaced nor carried again say nothing and are left out. carried_at follows
-- touch-contact-point's one-day rule, so a re-import within a day of the last
-- sighting that adds a second phone while keeping the first counts the first
-- as replaced (rare; exports are monthly).
-- name: identity-decay-change-observations
WITH candidates AS (
  SELECT cp.id, cp.first_seen_at, coalesce(cp.carried_at, cp.first_seen_at) AS last_carried_at,
         CASE WHEN cp.carried_at > cp.first_seen_at THEN cp.carried_at END AS carried_again_at,
         (SELECT min(n.first_seen_at) FROM contact_points n
          WHERE n.customer_id = cp.customer_id AND n.kind = cp.kind AND n.source_id IS cp.source_id
            AND n.first_seen_at > coalesce(cp.carried_at, cp.first_seen_at)) AS replaced_at
  FROM contact_points cp
  WHERE cp.kind IN ('email', 'phone') AND cp.status IN ('verified', 'unverified')
    -- a delivery outcome counts by itself (above); a bare "verified" of the
    -- value's first import is none, so its fate is read from the changes
    AND NOT (cp.status = 'verified' AND cp.last_verified_at IS NOT NULL
             AND cp.last_verified_at <> cp.first_seen_at)
)
SELECT replaced_at IS NOT NULL, CASE WHEN replaced_at IS NOT NULL THEN last_carried_at ELSE first_seen_at END,
       coalesce(replaced_at, carried_again_at), first_seen_at
FROM candidates
WHERE replaced_at IS NOT NULL OR carried_again_at IS NOT NULL;

-- name: identity-setting
SELECT value FROM identity_settings WHERE name = :name;

-- name: identity-set-setting
INSERT INTO identity_settings (name, value, updated_at) VALUES (:name, :value, :now)
ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at;

-- name: identity-delete-setting
DELETE FROM identity_settings WHERE name = :name;

-- Golden records wait for a rewrite (migration 0020): one more generation.
-- name: identity-mark-golden-stale
INSERT INTO identity_settings (name, value, updated_at) VALUES ('golden_stale', 1, :now)
ON CONFLICT (name) DO UPDATE SET value = value + 1, updated_at = excluded.updated_at;

-- name: identity-golden-stale
SELECT value, updated_at FROM identity_settings WHERE name = 'golden_stale';

-- A rewrite that began at this generation is done: the mark goes, unless a
-- change came since.
-- name: identity-clear-golden-stale-generation
DELETE FROM identity_settings WHERE name = 'golden_stale' AND value = :generation;

-- A full run wrote every golden record by the rules it read in its transaction.
-- name: identity-clear-golden-stale
DELETE FROM identity_settings WHERE name = 'golden_stale';

-- name: identity-max-customer-id
SELECT coalesce(max(id), 0) FROM customers;

-- The members of the clusters of two or more records whose resolved id is in
-- [:from, :to), by resolved id and then record.
-- name: identity-multi-record-clusters-in
SELECT customer_id, resolved_id FROM identity_clusters
WHERE resolved_id >= :from AND resolved_id < :to
  AND resolved_id IN (SELECT resolved_id FROM identity_clusters
                      WHERE resolved_id >= :from AND resolved_id < :to
                      GROUP BY resolved_id HAVING count(*) >= 2)
ORDER BY resolved_id, customer_id;

-- name: identity-delete-golden-in
DELETE FROM identity_golden WHERE resolved_id >= :from AND resolved_id < :to;

-- Why a record is in its customer: the latest entry of the merge log about it
-- (a merge says why; after a split or an unmerge it joined nothing itself).
-- name: identity-latest-log-of
SELECT action, reason, probability, at FROM identity_merge_log
WHERE customer_id = :customer_id
ORDER BY id DESC LIMIT 1;
