-- Incremental identity resolution (issue 3): the keys of records prepared by
-- an incremental run go to a small second index, identity_keys_recent, rather
-- than into identity_keys. Ten thousand new records bring about 60,000 keys
-- spread over the whole hash order of identity_keys: written there, they
-- dirtied most of its pages (about 190 MB at a million records), and every
-- incremental run paid for writing them to the WAL and back. Look-ups read
-- both tables; an incremental run folds the recent keys into identity_keys
-- once they pass a share of it (src/identity/resolve.cc), and a
-- full run rewrites both. Migration 0016's contract holds for the pair: a
-- dirty record has keys in neither, so the triggers that delete a changed
-- record's keys are made to delete them from both (and to keep the name
-- totals below).
CREATE TABLE identity_keys_recent (
  hash      INTEGER NOT NULL,
  record_id INTEGER NOT NULL,
  PRIMARY KEY (hash, record_id)
) WITHOUT ROWID;

-- How many records have a key of the exact-given-name rule (14) and of the
-- exact-family-name rule (15), in either key table: the denominators of the
-- name frequencies. Counting them took a scan of a tenth of the index per
-- incremental run; instead runs set and add to them, and the triggers below
-- take a changed record's keys off (a record has at most one key of each).
CREATE TABLE identity_name_totals (
  rule    INTEGER PRIMARY KEY,
  records INTEGER NOT NULL
);
INSERT INTO identity_name_totals (rule, records)
SELECT 14, count(*) FROM identity_keys WHERE hash >= 14 << 59 AND hash < 15 << 59;
INSERT INTO identity_name_totals (rule, records)
SELECT 15, count(*) FROM identity_keys WHERE hash >= 15 << 59;

DROP TRIGGER identity_customer_update;
CREATE TRIGGER identity_customer_update AFTER UPDATE ON customers
WHEN NOT EXISTS (SELECT 1 FROM identity_dirty WHERE record_id = OLD.id) OR NOT EXISTS (SELECT 1 FROM identity_dirty WHERE record_id = NEW.id) BEGIN
  DELETE FROM identity_keys WHERE record_id = OLD.id AND hash IN
    (SELECT value FROM json_each((SELECT keys FROM identity_keyed WHERE record_id = OLD.id)));
  DELETE FROM identity_keys_recent WHERE record_id = OLD.id AND hash IN
    (SELECT value FROM json_each((SELECT keys FROM identity_keyed WHERE record_id = OLD.id)));
  UPDATE identity_name_totals SET records = records - 1 WHERE rule IN
    (SELECT value >> 59 FROM json_each((SELECT keys FROM identity_keyed WHERE record_id = OLD.id)));
  DELETE FROM identity_keyed WHERE record_id = OLD.id;
  INSERT INTO identity_dirty (record_id)
    SELECT NEW.id WHERE NOT EXISTS (SELECT 1 FROM identity_dirty WHERE record_id = NEW.id);
END;

DROP TRIGGER identity_customer_delete;
CREATE TRIGGER identity_customer_delete AFTER DELETE ON customers BEGIN
  DELETE FROM identity_keys WHERE record_id = OLD.id AND hash IN
    (SELECT value FROM json_each((SELECT keys FROM identity_keyed WHERE record_id = OLD.id)));
  DELETE FROM identity_keys_recent WHERE record_id = OLD.id AND hash IN
    (SELECT value FROM json_each((SELECT keys FROM identity_keyed WHERE record_id = OLD.id)));
  UPDATE identity_name_totals SET records = records - 1 WHERE rule IN
    (SELECT value >> 59 FROM json_each((SELECT keys FROM identity_keyed WHERE record_id = OLD.id)));
  DELETE FROM identity_keyed WHERE record_id = OLD.id;
  DELETE FROM identity_dirty WHERE record_id = OLD.id;
END;

DROP TRIGGER identity_contact_insert;
CREATE TRIGGER identity_contact_insert AFTER INSERT ON contact_points
WHEN NOT EXISTS (SELECT 1 FROM identity_dirty WHERE record_id = NEW.customer_id) BEGIN
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

DROP TRIGGER identity_contact_update;
CREATE TRIGGER identity_contact_update AFTER UPDATE ON contact_points
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

DROP TRIGGER identity_contact_delete;
CREATE TRIGGER identity_contact_delete AFTER DELETE ON contact_points
WHEN NOT EXISTS (SELECT 1 FROM identity_dirty WHERE record_id = OLD.customer_id) BEGIN
  DELETE FROM identity_keys WHERE record_id = OLD.customer_id AND hash IN
    (SELECT value FROM json_each((SELECT keys FROM identity_keyed WHERE record_id = OLD.customer_id)));
  DELETE FROM identity_keys_recent WHERE record_id = OLD.customer_id AND hash IN
    (SELECT value FROM json_each((SELECT keys FROM identity_keyed WHERE record_id = OLD.customer_id)));
  UPDATE identity_name_totals SET records = records - 1 WHERE rule IN
    (SELECT value >> 59 FROM json_each((SELECT keys FROM identity_keyed WHERE record_id = OLD.customer_id)));
  DELETE FROM identity_keyed WHERE record_id = OLD.customer_id;
  INSERT INTO identity_dirty (record_id)
    SELECT OLD.customer_id WHERE EXISTS (SELECT 1 FROM customers WHERE id = OLD.customer_id)
      AND NOT EXISTS (SELECT 1 FROM identity_dirty WHERE record_id = OLD.customer_id);
END;

DROP TRIGGER identity_attribute_insert;
CREATE TRIGGER identity_attribute_insert AFTER INSERT ON customer_attributes
WHEN NEW.name = 'national_id' AND NOT EXISTS (SELECT 1 FROM identity_dirty WHERE record_id = NEW.customer_id) BEGIN
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

DROP TRIGGER identity_attribute_update;
CREATE TRIGGER identity_attribute_update AFTER UPDATE ON customer_attributes
WHEN (NEW.name = 'national_id' OR OLD.name = 'national_id')
  AND (NOT EXISTS (SELECT 1 FROM identity_dirty WHERE record_id = OLD.customer_id) OR NOT EXISTS (SELECT 1 FROM identity_dirty WHERE record_id = NEW.customer_id)) BEGIN
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

DROP TRIGGER identity_attribute_delete;
CREATE TRIGGER identity_attribute_delete AFTER DELETE ON customer_attributes
WHEN OLD.name = 'national_id' AND NOT EXISTS (SELECT 1 FROM identity_dirty WHERE record_id = OLD.customer_id) BEGIN
  DELETE FROM identity_keys WHERE record_id = OLD.customer_id AND hash IN
    (SELECT value FROM json_each((SELECT keys FROM identity_keyed WHERE record_id = OLD.customer_id)));
  DELETE FROM identity_keys_recent WHERE record_id = OLD.customer_id AND hash IN
    (SELECT value FROM json_each((SELECT keys FROM identity_keyed WHERE record_id = OLD.customer_id)));
  UPDATE identity_name_totals SET records = records - 1 WHERE rule IN
    (SELECT value >> 59 FROM json_each((SELECT keys FROM identity_keyed WHERE record_id = OLD.customer_id)));
  DELETE FROM identity_keyed WHERE record_id = OLD.customer_id;
  INSERT INTO identity_dirty (record_id)
    SELECT OLD.customer_id WHERE EXISTS (SELECT 1 FROM customers WHERE id = OLD.customer_id)
      AND NOT EXISTS (SELECT 1 FROM identity_dirty WHERE record_id = OLD.customer_id);
END;
