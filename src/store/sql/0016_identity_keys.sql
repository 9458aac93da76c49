-- Incremental identity resolution (issue 3): the normalised form of every
-- customer record that a resolution run prepared, so that an incremental run
-- normalises only the records that are new or changed and finds the existing
-- records to compare them with through an index instead of preparing all.
--
-- Contract: a row in identity_keyed (and its rows in identity_keys) exists only
-- while the customer record is unchanged since it was prepared. Every change
-- to what resolution reads (the customer row, its contact points, its
-- national_id attribute) deletes them through the triggers below and marks the
-- record in identity_dirty, so a stale key can never find a candidate; deleting
-- a customer (GDPR erasure) deletes them too. The columns are named record_id,
-- not customer_id, so that no generic sweep deletes identity_keyed before the
-- key rows it lists (the triggers own these tables). The triggers never use
-- INSERT OR IGNORE: the conflict policy of the statement that fires a trigger
-- (an import's upsert, say) replaces the one written in the trigger.
-- A record in identity_dirty never has a row in identity_keyed (both are
-- changed together), so the triggers do nothing for a record already marked:
-- an import adding a new customer's contact points pays one lookup each.

-- Per prepared record: the hashes of its keys (a JSON array, used by the
-- triggers to delete the index rows) and the prepared record itself (a text
-- encoding private to src/identity: length-prefixed fields).
CREATE TABLE identity_keyed (
  record_id  INTEGER PRIMARY KEY,
  keys       TEXT NOT NULL,
  prepared   TEXT NOT NULL
);

-- The inverted index: which prepared records have a key (a 63-bit hash of the
-- rule and the normalised key, the rule in the top bits; blocking keys, keys of
-- the deterministic rules and the exact given and family names for their
-- frequencies).
CREATE TABLE identity_keys (
  hash      INTEGER NOT NULL,
  record_id INTEGER NOT NULL,
  PRIMARY KEY (hash, record_id)
) WITHOUT ROWID;

-- Customer records to prepare again (new, or changed since prepared).
CREATE TABLE identity_dirty (
  record_id INTEGER PRIMARY KEY
);

-- Every record existing now is prepared again by the next run.
INSERT INTO identity_dirty (record_id) SELECT id FROM customers;

CREATE TRIGGER identity_customer_insert AFTER INSERT ON customers BEGIN
  INSERT INTO identity_dirty (record_id)
    SELECT NEW.id WHERE NOT EXISTS (SELECT 1 FROM identity_dirty WHERE record_id = NEW.id);
END;

CREATE TRIGGER identity_customer_update AFTER UPDATE ON customers
WHEN NOT EXISTS (SELECT 1 FROM identity_dirty WHERE record_id = OLD.id) OR NOT EXISTS (SELECT 1 FROM identity_dirty WHERE record_id = NEW.id) BEGIN
  DELETE FROM identity_keys WHERE record_id = OLD.id AND hash IN
    (SELECT value FROM json_each((SELECT keys FROM identity_keyed WHERE record_id = OLD.id)));
  DELETE FROM identity_keyed WHERE record_id = OLD.id;
  INSERT INTO identity_dirty (record_id)
    SELECT NEW.id WHERE NOT EXISTS (SELECT 1 FROM identity_dirty WHERE record_id = NEW.id);
END;

CREATE TRIGGER identity_customer_delete AFTER DELETE ON customers BEGIN
  DELETE FROM identity_keys WHERE record_id = OLD.id AND hash IN
    (SELECT value FROM json_each((SELECT keys FROM identity_keyed WHERE record_id = OLD.id)));
  DELETE FROM identity_keyed WHERE record_id = OLD.id;
  DELETE FROM identity_dirty WHERE record_id = OLD.id;
END;

CREATE TRIGGER identity_contact_insert AFTER INSERT ON contact_points
WHEN NOT EXISTS (SELECT 1 FROM identity_dirty WHERE record_id = NEW.customer_id) BEGIN
  DELETE FROM identity_keys WHERE record_id = NEW.customer_id AND hash IN
    (SELECT value FROM json_each((SELECT keys FROM identity_keyed WHERE record_id = NEW.customer_id)));
  DELETE FROM identity_keyed WHERE record_id = NEW.customer_id;
  INSERT INTO identity_dirty (record_id)
    SELECT NEW.customer_id WHERE NOT EXISTS (SELECT 1 FROM identity_dirty WHERE record_id = NEW.customer_id);
END;

CREATE TRIGGER identity_contact_update AFTER UPDATE ON contact_points
WHEN NOT EXISTS (SELECT 1 FROM identity_dirty WHERE record_id = OLD.customer_id) OR NOT EXISTS (SELECT 1 FROM identity_dirty WHERE record_id = NEW.customer_id) BEGIN
  DELETE FROM identity_keys WHERE record_id = OLD.customer_id AND hash IN
    (SELECT value FROM json_each((SELECT keys FROM identity_keyed WHERE record_id = OLD.customer_id)));
  DELETE FROM identity_keyed WHERE record_id = OLD.customer_id;
  INSERT INTO identity_dirty (record_id)
    SELECT OLD.customer_id WHERE NOT EXISTS (SELECT 1 FROM identity_dirty WHERE record_id = OLD.customer_id);
  DELETE FROM identity_keys WHERE record_id = NEW.customer_id AND hash IN
    (SELECT value FROM json_each((SELECT keys FROM identity_keyed WHERE record_id = NEW.customer_id)));
  DELETE FROM identity_keyed WHERE record_id = NEW.customer_id;
  INSERT INTO identity_dirty (record_id)
    SELECT NEW.customer_id WHERE NOT EXISTS (SELECT 1 FROM identity_dirty WHERE record_id = NEW.customer_id);
END;

CREATE TRIGGER identity_contact_delete AFTER DELETE ON contact_points
WHEN NOT EXISTS (SELECT 1 FROM identity_dirty WHERE record_id = OLD.customer_id) BEGIN
  DELETE FROM identity_keys WHERE record_id = OLD.customer_id AND hash IN
    (SELECT value FROM json_each((SELECT keys FROM identity_keyed WHERE record_id = OLD.customer_id)));
  DELETE FROM identity_keyed WHERE record_id = OLD.customer_id;
  INSERT INTO identity_dirty (record_id)
    SELECT OLD.customer_id WHERE EXISTS (SELECT 1 FROM customers WHERE id = OLD.customer_id)
      AND NOT EXISTS (SELECT 1 FROM identity_dirty WHERE record_id = OLD.customer_id);
END;

CREATE TRIGGER identity_attribute_insert AFTER INSERT ON customer_attributes
WHEN NEW.name = 'national_id' AND NOT EXISTS (SELECT 1 FROM identity_dirty WHERE record_id = NEW.customer_id) BEGIN
  DELETE FROM identity_keys WHERE record_id = NEW.customer_id AND hash IN
    (SELECT value FROM json_each((SELECT keys FROM identity_keyed WHERE record_id = NEW.customer_id)));
  DELETE FROM identity_keyed WHERE record_id = NEW.customer_id;
  INSERT INTO identity_dirty (record_id)
    SELECT NEW.customer_id WHERE NOT EXISTS (SELECT 1 FROM identity_dirty WHERE record_id = NEW.customer_id);
END;

CREATE TRIGGER identity_attribute_update AFTER UPDATE ON customer_attributes
WHEN (NEW.name = 'national_id' OR OLD.name = 'national_id')
  AND (NOT EXISTS (SELECT 1 FROM identity_dirty WHERE record_id = OLD.customer_id) OR NOT EXISTS (SELECT 1 FROM identity_dirty WHERE record_id = NEW.customer_id)) BEGIN
  DELETE FROM identity_keys WHERE record_id = OLD.customer_id AND hash IN
    (SELECT value FROM json_each((SELECT keys FROM identity_keyed WHERE record_id = OLD.customer_id)));
  DELETE FROM identity_keyed WHERE record_id = OLD.customer_id;
  INSERT INTO identity_dirty (record_id)
    SELECT OLD.customer_id WHERE NOT EXISTS (SELECT 1 FROM identity_dirty WHERE record_id = OLD.customer_id);
  DELETE FROM identity_keys WHERE record_id = NEW.customer_id AND hash IN
    (SELECT value FROM json_each((SELECT keys FROM identity_keyed WHERE record_id = NEW.customer_id)));
  DELETE FROM identity_keyed WHERE record_id = NEW.customer_id;
  INSERT INTO identity_dirty (record_id)
    SELECT NEW.customer_id WHERE NOT EXISTS (SELECT 1 FROM identity_dirty WHERE record_id = NEW.customer_id);
END;

CREATE TRIGGER identity_attribute_delete AFTER DELETE ON customer_attributes
WHEN OLD.name = 'national_id' AND NOT EXISTS (SELECT 1 FROM identity_dirty WHERE record_id = OLD.customer_id) BEGIN
  DELETE FROM identity_keys WHERE record_id = OLD.customer_id AND hash IN
    (SELECT value FROM json_each((SELECT keys FROM identity_keyed WHERE record_id = OLD.customer_id)));
  DELETE FROM identity_keyed WHERE record_id = OLD.customer_id;
  INSERT INTO identity_dirty (record_id)
    SELECT OLD.customer_id WHERE EXISTS (SELECT 1 FROM customers WHERE id = OLD.customer_id)
      AND NOT EXISTS (SELECT 1 FROM identity_dirty WHERE record_id = OLD.customer_id);
END;
