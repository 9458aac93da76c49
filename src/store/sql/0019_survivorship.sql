-- Survivorship as the user configures it (issue 3): which value of a field a
-- golden record keeps when a customer's records differ, and how far each
-- source is trusted. A field without a row, or a source without a rank, keeps
-- the default (docs/identity.md, "Survivorship").
CREATE TABLE identity_survivorship (
  field      TEXT PRIMARY KEY
             CHECK (field IN ('given_name', 'family_name', 'full_name', 'birth_date', 'gender', 'city', 'region',
                              'country', 'language', 'email', 'phone', 'address')),
  rule       TEXT NOT NULL
             CHECK (rule IN ('most_frequent', 'source_trust', 'most_recent', 'most_recently_verified', 'longest')),
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;

-- Higher is more trusted; NULL: by the source's kind (internal 2, external 1,
-- purchased 0).
ALTER TABLE sources ADD COLUMN trust INTEGER;

-- Settings of identity resolution and data quality, by name: "monthly_decay",
-- the share of contact data going bad a month when learnt from the store's
-- bounces and verifications (`patron quality decay --save`); absent, 2.5 %.
CREATE TABLE identity_settings (
  name       TEXT PRIMARY KEY CHECK (name IN ('monthly_decay')),
  value      REAL NOT NULL,
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;
