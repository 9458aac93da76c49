-- Devices a customer record was seen on (issue 3): a browser's cookie id or an
-- app install, Segment's anonymousId. Events name a person by a customer id
-- when logged in and by an email when a newsletter link or an earlier guest
-- checkout told the shop who the visitor is; the same device seen under two
-- records is evidence that they are one person. Evidence only: a household
-- shares a tablet, so identity resolution weighs it with the names and
-- everything else (field "device"), and never merges on it alone.
CREATE TABLE customer_devices (
  customer_id   INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
  device_id     TEXT NOT NULL,
  source_id     INTEGER REFERENCES sources(id),
  first_seen_at INTEGER NOT NULL,
  last_seen_at  INTEGER NOT NULL,
  PRIMARY KEY (customer_id, device_id)
) WITHOUT ROWID;
CREATE INDEX customer_devices_device ON customer_devices(device_id);

-- A record seen on a new device must be prepared and linked again, like one
-- with a new contact point (migrations 0016 and 0017).
CREATE TRIGGER identity_device_insert AFTER INSERT ON customer_devices
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
