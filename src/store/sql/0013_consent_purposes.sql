-- Patron schema, consent purposes as the organisation describes them (issue 10:
-- Settings). Consents and campaigns store a purpose's key (consents.purpose,
-- campaigns.purpose); this table gives each key the title and description
-- people read, and when it was retired. Retiring a purpose keeps every record
-- that names it (they are the proof of what a customer agreed to); the
-- application stops offering it for new consents and campaigns. The key never
-- changes: renaming a purpose changes its title.
CREATE TABLE consent_purposes (
  name        TEXT PRIMARY KEY,           -- the key: [a-z0-9_-], as consents.purpose holds it
  title       TEXT NOT NULL DEFAULT '',
  description TEXT NOT NULL DEFAULT '',
  created_at  INTEGER NOT NULL,           -- microseconds
  updated_at  INTEGER NOT NULL,
  retired_at  INTEGER                     -- NULL while in use
);
