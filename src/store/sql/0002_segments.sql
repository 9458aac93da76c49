-- Saved segments and their membership over time, and the generation counter
-- that tells the engine whether its snapshot file is still current (issue #4).

-- A named segment: its definition in the segment language (docs/segments.md).
CREATE TABLE segments (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE,
  definition  TEXT NOT NULL,
  description TEXT,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);

-- Who is in a segment, as intervals: a row per stay, open while left_at IS NULL.
-- "Who entered and left" and "members on day D" are read from here.
CREATE TABLE segment_memberships (
  segment_id  INTEGER NOT NULL REFERENCES segments(id) ON DELETE CASCADE,
  customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
  entered_at  INTEGER NOT NULL,
  left_at     INTEGER,
  PRIMARY KEY (segment_id, customer_id, entered_at)
) WITHOUT ROWID;
CREATE INDEX segment_memberships_open ON segment_memberships(segment_id, left_at);

-- One row per segment per day on which its membership was recorded.
CREATE TABLE segment_counts (
  segment_id  INTEGER NOT NULL REFERENCES segments(id) ON DELETE CASCADE,
  day         TEXT NOT NULL,     -- YYYY-MM-DD (UTC)
  members     INTEGER NOT NULL,
  entered     INTEGER NOT NULL,
  left_count  INTEGER NOT NULL,
  recorded_at INTEGER NOT NULL,
  PRIMARY KEY (segment_id, day)
) WITHOUT ROWID;

-- Changes whenever something the engine's snapshot reads changes. Bulk writers
-- (imports, model scoring) bump it once per transaction (named query
-- engine-bump-generation); the triggers below catch every other write: any
-- change to the small tables, and deletes from the large ones. New orders and
-- events are also noticed by their largest ids.
CREATE TABLE engine_generation (
  id         INTEGER PRIMARY KEY CHECK (id = 1),
  generation INTEGER NOT NULL
);
INSERT INTO engine_generation(id, generation) VALUES (1, 0);
CREATE TRIGGER engine_generation_attribute_definitions_insert AFTER INSERT ON attribute_definitions
BEGIN UPDATE engine_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER engine_generation_attribute_definitions_update AFTER UPDATE ON attribute_definitions
BEGIN UPDATE engine_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER engine_generation_attribute_definitions_delete AFTER DELETE ON attribute_definitions
BEGIN UPDATE engine_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER engine_generation_accounts_insert AFTER INSERT ON accounts
BEGIN UPDATE engine_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER engine_generation_accounts_update AFTER UPDATE ON accounts
BEGIN UPDATE engine_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER engine_generation_accounts_delete AFTER DELETE ON accounts
BEGIN UPDATE engine_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER engine_generation_account_members_insert AFTER INSERT ON account_members
BEGIN UPDATE engine_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER engine_generation_account_members_update AFTER UPDATE ON account_members
BEGIN UPDATE engine_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER engine_generation_account_members_delete AFTER DELETE ON account_members
BEGIN UPDATE engine_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER engine_generation_categories_insert AFTER INSERT ON categories
BEGIN UPDATE engine_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER engine_generation_categories_update AFTER UPDATE ON categories
BEGIN UPDATE engine_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER engine_generation_categories_delete AFTER DELETE ON categories
BEGIN UPDATE engine_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER engine_generation_products_insert AFTER INSERT ON products
BEGIN UPDATE engine_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER engine_generation_products_update AFTER UPDATE ON products
BEGIN UPDATE engine_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER engine_generation_products_delete AFTER DELETE ON products
BEGIN UPDATE engine_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER engine_generation_sources_insert AFTER INSERT ON sources
BEGIN UPDATE engine_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER engine_generation_sources_update AFTER UPDATE ON sources
BEGIN UPDATE engine_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER engine_generation_sources_delete AFTER DELETE ON sources
BEGIN UPDATE engine_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER engine_generation_customers_delete AFTER DELETE ON customers
BEGIN UPDATE engine_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER engine_generation_customer_tags_delete AFTER DELETE ON customer_tags
BEGIN UPDATE engine_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER engine_generation_customer_attributes_delete AFTER DELETE ON customer_attributes
BEGIN UPDATE engine_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER engine_generation_contact_points_delete AFTER DELETE ON contact_points
BEGIN UPDATE engine_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER engine_generation_consents_delete AFTER DELETE ON consents
BEGIN UPDATE engine_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER engine_generation_orders_delete AFTER DELETE ON orders
BEGIN UPDATE engine_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER engine_generation_order_lines_delete AFTER DELETE ON order_lines
BEGIN UPDATE engine_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER engine_generation_events_delete AFTER DELETE ON events
BEGIN UPDATE engine_generation SET generation = generation + 1 WHERE id = 1; END;
