-- Named queries for saved segments (src/segment/saved.cc).

-- name: segment-upsert
INSERT INTO segments(name, definition, description, created_at, updated_at)
VALUES (:name, :definition, :description, :now, :now)
ON CONFLICT(name) DO UPDATE SET definition = excluded.definition,
  description = coalesce(excluded.description, segments.description), updated_at = excluded.updated_at;

-- name: segment-by-name
SELECT s.id, s.name, s.definition, s.description, s.created_at, s.updated_at,
       (SELECT members FROM segment_counts k WHERE k.segment_id = s.id ORDER BY day DESC LIMIT 1)
FROM segments s WHERE s.name = :name;

-- name: segment-list
SELECT s.id, s.name, s.definition, s.description, s.created_at, s.updated_at,
       (SELECT members FROM segment_counts k WHERE k.segment_id = s.id ORDER BY day DESC LIMIT 1)
FROM segments s ORDER BY s.name;

-- name: segment-delete
DELETE FROM segments WHERE name = :name;

-- name: segment-open-members
SELECT customer_id FROM segment_memberships WHERE segment_id = :segment_id AND left_at IS NULL
ORDER BY customer_id;

-- name: segment-enter
INSERT OR IGNORE INTO segment_memberships(segment_id, customer_id, entered_at, left_at)
VALUES (:segment_id, :customer_id, :now, NULL);

-- name: segment-leave
UPDATE segment_memberships SET left_at = :now
WHERE segment_id = :segment_id AND customer_id = :customer_id AND left_at IS NULL;

-- name: segment-record-count
INSERT INTO segment_counts(segment_id, day, members, entered, left_count, recorded_at)
VALUES (:segment_id, :day, :members, :entered, :left, :now)
ON CONFLICT(segment_id, day) DO UPDATE SET members = excluded.members,
  entered = segment_counts.entered + excluded.entered, left_count = segment_counts.left_count + excluded.left_count,
  recorded_at = excluded.recorded_at;

-- name: segment-history
SELECT day, members, entered, left_count FROM segment_counts WHERE segment_id = :segment_id ORDER BY day;
