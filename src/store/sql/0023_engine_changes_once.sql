-- The segment engine's change log (migration 0010) is kept by triggers. On
-- an update, each wrote the row's customer twice -- as NEW and as OLD -- even
-- when the update left the customer as it was, which is nearly always: an
-- unchanged row imported again moves its contact values' last_seen_at
-- (migration 0022), and the second upsert was a third of that import's time.
-- The OLD customer is now written only when it differs.

DROP TRIGGER engine_changes_customer_tags_update;
CREATE TRIGGER engine_changes_customer_tags_update AFTER UPDATE ON customer_tags
BEGIN
  INSERT INTO engine_customer_changes(customer_id, seq)
  SELECT NEW.customer_id, coalesce((SELECT max(seq) FROM engine_customer_changes), 0) + 1
  WHERE NEW.customer_id < (SELECT max(id) FROM customers)
  ON CONFLICT (customer_id) DO UPDATE SET seq = excluded.seq;
  INSERT INTO engine_customer_changes(customer_id, seq)
  SELECT OLD.customer_id, coalesce((SELECT max(seq) FROM engine_customer_changes), 0) + 1
  WHERE OLD.customer_id IS NOT NEW.customer_id AND OLD.customer_id < (SELECT max(id) FROM customers)
  ON CONFLICT (customer_id) DO UPDATE SET seq = excluded.seq;
END;

DROP TRIGGER engine_changes_customer_attributes_update;
CREATE TRIGGER engine_changes_customer_attributes_update AFTER UPDATE ON customer_attributes
BEGIN
  INSERT INTO engine_customer_changes(customer_id, seq)
  SELECT NEW.customer_id, coalesce((SELECT max(seq) FROM engine_customer_changes), 0) + 1
  WHERE NEW.customer_id < (SELECT max(id) FROM customers)
  ON CONFLICT (customer_id) DO UPDATE SET seq = excluded.seq;
  INSERT INTO engine_customer_changes(customer_id, seq)
  SELECT OLD.customer_id, coalesce((SELECT max(seq) FROM engine_customer_changes), 0) + 1
  WHERE OLD.customer_id IS NOT NEW.customer_id AND OLD.customer_id < (SELECT max(id) FROM customers)
  ON CONFLICT (customer_id) DO UPDATE SET seq = excluded.seq;
END;

DROP TRIGGER engine_changes_contact_points_update;
CREATE TRIGGER engine_changes_contact_points_update AFTER UPDATE ON contact_points
BEGIN
  INSERT INTO engine_customer_changes(customer_id, seq)
  SELECT NEW.customer_id, coalesce((SELECT max(seq) FROM engine_customer_changes), 0) + 1
  WHERE NEW.customer_id < (SELECT max(id) FROM customers)
  ON CONFLICT (customer_id) DO UPDATE SET seq = excluded.seq;
  INSERT INTO engine_customer_changes(customer_id, seq)
  SELECT OLD.customer_id, coalesce((SELECT max(seq) FROM engine_customer_changes), 0) + 1
  WHERE OLD.customer_id IS NOT NEW.customer_id AND OLD.customer_id < (SELECT max(id) FROM customers)
  ON CONFLICT (customer_id) DO UPDATE SET seq = excluded.seq;
END;

DROP TRIGGER engine_changes_consents_update;
CREATE TRIGGER engine_changes_consents_update AFTER UPDATE ON consents
BEGIN
  INSERT INTO engine_customer_changes(customer_id, seq)
  SELECT NEW.customer_id, coalesce((SELECT max(seq) FROM engine_customer_changes), 0) + 1
  WHERE NEW.customer_id < (SELECT max(id) FROM customers)
  ON CONFLICT (customer_id) DO UPDATE SET seq = excluded.seq;
  INSERT INTO engine_customer_changes(customer_id, seq)
  SELECT OLD.customer_id, coalesce((SELECT max(seq) FROM engine_customer_changes), 0) + 1
  WHERE OLD.customer_id IS NOT NEW.customer_id AND OLD.customer_id < (SELECT max(id) FROM customers)
  ON CONFLICT (customer_id) DO UPDATE SET seq = excluded.seq;
END;
