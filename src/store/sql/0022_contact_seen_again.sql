-- A contact value seen again (issue 3, freshness): a source's unchanged row,
-- imported again, moves its values' last_seen_at and nothing else. That says
-- nothing about who the record is, so it must not make the record wait for
-- identity resolution again (a monthly CRM export would otherwise send every
-- customer back through it). The trigger that takes a changed record's keys
-- out now fires only when a column other than the sighting dates is set;
-- the import marks the golden records stale instead, since their freshness
-- and "most recent" choices read last_seen_at.
DROP TRIGGER identity_contact_update;
CREATE TRIGGER identity_contact_update AFTER UPDATE OF customer_id, kind, value, raw_value, phone_type, street,
  postal_code, city, region, country, status, invalid_reason, suggestion, last_verified_at, bounced_at
  ON contact_points
WHEN NOT EXISTS (SELECT 1 FROM identity_dirty WHERE record_id = OLD.customer_id) OR NOT EXISTS (SELECT 1 FROM identity_dirty WHERE record_id = NEW.customer_id) BEGIN
  DELETE FROM identity_keys WHERE record_id = OLD.customer_id AND hash IN
    (SELECT value FROM json_each((SELECT keys FROM identity_keyed WHERE record_id = OLD.customer_id)));
  DELETE FROM identity_keys_recent WHERE record_id = OLD.customer_id AND hash IN
    (SELECT value FROM json_each((SELECT keys FROM identity_keyed WHERE record_id = OLD.customer_id)));
  UPDATE identity_name_totals SET records = records - 1 WHERE rule IN
    (SELECT value >> 59 FROM json_each((SELECT keys FROM identity_keyed WHERE record_id = OLD.customer_id)));
  DELETE FROM identity_keyed WHERE record_id = OLD.customer_id;
  INSERT INTO identity_dirty (record_id)
    SELECT OLD.customer_id WHERE NOT EXISTS (SELECT 1 FROM identity_dirty WHERE record_id = OLD.customer_id);
  DELETE FROM identity_keys WHERE record_id = NEW.customer_id AND hash IN
    (SELECT value FROM json_each((SELECT keys FROM identity_keyed WHERE record_id = NEW.customer_id)));
  DELETE FROM identity_keys_recent WHERE record_id = NEW.customer_id AND hash IN
    (SELECT value FROM json_each((SELECT keys FROM identity_keyed WHERE record_id = NEW.customer_id)));
  UPDATE identity_name_totals SET records = records - 1 WHERE rule IN
    (SELECT value >> 59 FROM json_each((SELECT keys FROM identity_keyed WHERE record_id = NEW.customer_id)));
  DELETE FROM identity_keyed WHERE record_id = NEW.customer_id;
  INSERT INTO identity_dirty (record_id)
    SELECT NEW.customer_id WHERE NOT EXISTS (SELECT 1 FROM identity_dirty WHERE record_id = NEW.customer_id);
END;
