-- What the engine needs to bring a snapshot up to date without re-reading the
-- whole store (src/engine/delta.cc, docs/segments.md "Keeping the snapshot
-- current"):
--
-- * engine_rebuild.generation changes on every write a snapshot cannot absorb
--   row by row: any change to the small shared tables (products, categories,
--   accounts, sources, attribute declarations, account members), deleted
--   customers or events, moved events, and model scores. A snapshot built at
--   another rebuild generation is rebuilt from scratch.
-- * engine_customer_changes names each customer whose own rows changed
--   (profile, tags, attributes, contact points, consents, orders, order lines),
--   with a sequence number that only grows: a snapshot that has seen changes up
--   to sequence S re-reads exactly the customers with seq > S. One row per
--   customer, so the table never grows beyond the customer base.
--
-- New customers, orders and events need no marker: they are found by id beyond
-- the snapshot's largest customer, order and event ids.
CREATE TABLE engine_rebuild (
  id         INTEGER PRIMARY KEY CHECK (id = 1),
  generation INTEGER NOT NULL
);
INSERT INTO engine_rebuild(id, generation) VALUES (1, 0);

CREATE TABLE engine_customer_changes (
  customer_id INTEGER PRIMARY KEY,
  seq         INTEGER NOT NULL
);
CREATE INDEX engine_customer_changes_seq ON engine_customer_changes(seq);

-- Shared tables: any write means rebuild.
CREATE TRIGGER engine_rebuild_attribute_definitions_insert AFTER INSERT ON attribute_definitions
BEGIN UPDATE engine_rebuild SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER engine_rebuild_attribute_definitions_update AFTER UPDATE ON attribute_definitions
BEGIN UPDATE engine_rebuild SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER engine_rebuild_attribute_definitions_delete AFTER DELETE ON attribute_definitions
BEGIN UPDATE engine_rebuild SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER engine_rebuild_accounts_insert AFTER INSERT ON accounts
BEGIN UPDATE engine_rebuild SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER engine_rebuild_accounts_update AFTER UPDATE ON accounts
BEGIN UPDATE engine_rebuild SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER engine_rebuild_accounts_delete AFTER DELETE ON accounts
BEGIN UPDATE engine_rebuild SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER engine_rebuild_account_members_insert AFTER INSERT ON account_members
BEGIN UPDATE engine_rebuild SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER engine_rebuild_account_members_update AFTER UPDATE ON account_members
BEGIN UPDATE engine_rebuild SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER engine_rebuild_account_members_delete AFTER DELETE ON account_members
BEGIN UPDATE engine_rebuild SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER engine_rebuild_categories_insert AFTER INSERT ON categories
BEGIN UPDATE engine_rebuild SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER engine_rebuild_categories_update AFTER UPDATE ON categories
BEGIN UPDATE engine_rebuild SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER engine_rebuild_categories_delete AFTER DELETE ON categories
BEGIN UPDATE engine_rebuild SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER engine_rebuild_products_insert AFTER INSERT ON products
BEGIN UPDATE engine_rebuild SET generation = generation + 1 WHERE id = 1; END;
-- Only the columns the snapshot reads: price and updated_at change often.
CREATE TRIGGER engine_rebuild_products_update AFTER UPDATE OF sku, name, category_id, brand ON products
BEGIN UPDATE engine_rebuild SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER engine_rebuild_products_delete AFTER DELETE ON products
BEGIN UPDATE engine_rebuild SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER engine_rebuild_sources_insert AFTER INSERT ON sources
BEGIN UPDATE engine_rebuild SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER engine_rebuild_sources_update AFTER UPDATE OF name ON sources
BEGIN UPDATE engine_rebuild SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER engine_rebuild_sources_delete AFTER DELETE ON sources
BEGIN UPDATE engine_rebuild SET generation = generation + 1 WHERE id = 1; END;

-- Dense customer indexes follow store ids: a deleted customer, and a moved or
-- deleted event, mean rebuild.
CREATE TRIGGER engine_rebuild_customers_delete AFTER DELETE ON customers
BEGIN UPDATE engine_rebuild SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER engine_rebuild_events_update AFTER UPDATE OF id, customer_id, type, occurred_at, properties ON events
BEGIN UPDATE engine_rebuild SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER engine_rebuild_events_delete AFTER DELETE ON events
BEGIN UPDATE engine_rebuild SET generation = generation + 1 WHERE id = 1; END;

-- Model scores are rewritten for everyone at once: rebuild.
CREATE TRIGGER engine_rebuild_customer_traits_insert AFTER INSERT ON customer_traits
BEGIN UPDATE engine_rebuild SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER engine_rebuild_customer_traits_update AFTER UPDATE ON customer_traits
BEGIN UPDATE engine_rebuild SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER engine_rebuild_customer_traits_delete AFTER DELETE ON customer_traits
BEGIN UPDATE engine_rebuild SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER engine_rebuild_customer_recommendations_insert AFTER INSERT ON customer_recommendations
BEGIN UPDATE engine_rebuild SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER engine_rebuild_customer_recommendations_update AFTER UPDATE ON customer_recommendations
BEGIN UPDATE engine_rebuild SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER engine_rebuild_customer_recommendations_delete AFTER DELETE ON customer_recommendations
BEGIN UPDATE engine_rebuild SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER engine_rebuild_customer_category_propensity_insert AFTER INSERT ON customer_category_propensity
BEGIN UPDATE engine_rebuild SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER engine_rebuild_customer_category_propensity_update AFTER UPDATE ON customer_category_propensity
BEGIN UPDATE engine_rebuild SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER engine_rebuild_customer_category_propensity_delete AFTER DELETE ON customer_category_propensity
BEGIN UPDATE engine_rebuild SET generation = generation + 1 WHERE id = 1; END;

-- A deleted customer (which means rebuild) leaves no marker behind: erasure
-- removes every row that names the customer. Deletes of a customer's rows mark
-- it only while it exists, whatever order the cascade runs in.
CREATE TRIGGER engine_changes_customers_delete AFTER DELETE ON customers
BEGIN DELETE FROM engine_customer_changes WHERE customer_id = OLD.id; END;

-- A customer's own rows: mark the customer (both owners when a row moves).
--
-- Writes about the newest customer, and to the newest order, are not marked:
-- a delta re-reads the customer with the snapshot's largest id and the
-- customers of orders from the snapshot's largest order id on (delta.cc), which
-- covers them whichever snapshot reads them. So a bulk import of new customers
-- and orders, which writes only the newest rows, marks nothing and costs no
-- more than before; changes to older customers and orders are marked.
CREATE TRIGGER engine_changes_customers_update AFTER UPDATE ON customers
WHEN OLD.id < (SELECT max(id) FROM customers)
BEGIN
  INSERT INTO engine_customer_changes(customer_id, seq)
  SELECT NEW.id, coalesce((SELECT max(seq) FROM engine_customer_changes), 0) + 1
  WHERE true
  ON CONFLICT (customer_id) DO UPDATE SET seq = excluded.seq;
END;
CREATE TRIGGER engine_changes_customer_tags_insert AFTER INSERT ON customer_tags
WHEN NEW.customer_id < (SELECT max(id) FROM customers)
BEGIN
  INSERT INTO engine_customer_changes(customer_id, seq)
  SELECT NEW.customer_id, coalesce((SELECT max(seq) FROM engine_customer_changes), 0) + 1
  WHERE true
  ON CONFLICT (customer_id) DO UPDATE SET seq = excluded.seq;
END;
CREATE TRIGGER engine_changes_customer_tags_update AFTER UPDATE ON customer_tags
BEGIN
  INSERT INTO engine_customer_changes(customer_id, seq)
  SELECT NEW.customer_id, coalesce((SELECT max(seq) FROM engine_customer_changes), 0) + 1
  WHERE NEW.customer_id < (SELECT max(id) FROM customers)
  ON CONFLICT (customer_id) DO UPDATE SET seq = excluded.seq;
  INSERT INTO engine_customer_changes(customer_id, seq)
  SELECT OLD.customer_id, coalesce((SELECT max(seq) FROM engine_customer_changes), 0) + 1
  WHERE OLD.customer_id < (SELECT max(id) FROM customers)
  ON CONFLICT (customer_id) DO UPDATE SET seq = excluded.seq;
END;
CREATE TRIGGER engine_changes_customer_tags_delete AFTER DELETE ON customer_tags
WHEN EXISTS (SELECT 1 FROM customers WHERE id = OLD.customer_id)
BEGIN
  INSERT INTO engine_customer_changes(customer_id, seq)
  SELECT OLD.customer_id, coalesce((SELECT max(seq) FROM engine_customer_changes), 0) + 1
  WHERE true
  ON CONFLICT (customer_id) DO UPDATE SET seq = excluded.seq;
END;
CREATE TRIGGER engine_changes_customer_attributes_insert AFTER INSERT ON customer_attributes
WHEN NEW.customer_id < (SELECT max(id) FROM customers)
BEGIN
  INSERT INTO engine_customer_changes(customer_id, seq)
  SELECT NEW.customer_id, coalesce((SELECT max(seq) FROM engine_customer_changes), 0) + 1
  WHERE true
  ON CONFLICT (customer_id) DO UPDATE SET seq = excluded.seq;
END;
CREATE TRIGGER engine_changes_customer_attributes_update AFTER UPDATE ON customer_attributes
BEGIN
  INSERT INTO engine_customer_changes(customer_id, seq)
  SELECT NEW.customer_id, coalesce((SELECT max(seq) FROM engine_customer_changes), 0) + 1
  WHERE NEW.customer_id < (SELECT max(id) FROM customers)
  ON CONFLICT (customer_id) DO UPDATE SET seq = excluded.seq;
  INSERT INTO engine_customer_changes(customer_id, seq)
  SELECT OLD.customer_id, coalesce((SELECT max(seq) FROM engine_customer_changes), 0) + 1
  WHERE OLD.customer_id < (SELECT max(id) FROM customers)
  ON CONFLICT (customer_id) DO UPDATE SET seq = excluded.seq;
END;
CREATE TRIGGER engine_changes_customer_attributes_delete AFTER DELETE ON customer_attributes
WHEN EXISTS (SELECT 1 FROM customers WHERE id = OLD.customer_id)
BEGIN
  INSERT INTO engine_customer_changes(customer_id, seq)
  SELECT OLD.customer_id, coalesce((SELECT max(seq) FROM engine_customer_changes), 0) + 1
  WHERE true
  ON CONFLICT (customer_id) DO UPDATE SET seq = excluded.seq;
END;
CREATE TRIGGER engine_changes_contact_points_insert AFTER INSERT ON contact_points
WHEN NEW.customer_id < (SELECT max(id) FROM customers)
BEGIN
  INSERT INTO engine_customer_changes(customer_id, seq)
  SELECT NEW.customer_id, coalesce((SELECT max(seq) FROM engine_customer_changes), 0) + 1
  WHERE true
  ON CONFLICT (customer_id) DO UPDATE SET seq = excluded.seq;
END;
CREATE TRIGGER engine_changes_contact_points_update AFTER UPDATE ON contact_points
BEGIN
  INSERT INTO engine_customer_changes(customer_id, seq)
  SELECT NEW.customer_id, coalesce((SELECT max(seq) FROM engine_customer_changes), 0) + 1
  WHERE NEW.customer_id < (SELECT max(id) FROM customers)
  ON CONFLICT (customer_id) DO UPDATE SET seq = excluded.seq;
  INSERT INTO engine_customer_changes(customer_id, seq)
  SELECT OLD.customer_id, coalesce((SELECT max(seq) FROM engine_customer_changes), 0) + 1
  WHERE OLD.customer_id < (SELECT max(id) FROM customers)
  ON CONFLICT (customer_id) DO UPDATE SET seq = excluded.seq;
END;
CREATE TRIGGER engine_changes_contact_points_delete AFTER DELETE ON contact_points
WHEN EXISTS (SELECT 1 FROM customers WHERE id = OLD.customer_id)
BEGIN
  INSERT INTO engine_customer_changes(customer_id, seq)
  SELECT OLD.customer_id, coalesce((SELECT max(seq) FROM engine_customer_changes), 0) + 1
  WHERE true
  ON CONFLICT (customer_id) DO UPDATE SET seq = excluded.seq;
END;
CREATE TRIGGER engine_changes_consents_insert AFTER INSERT ON consents
WHEN NEW.customer_id < (SELECT max(id) FROM customers)
BEGIN
  INSERT INTO engine_customer_changes(customer_id, seq)
  SELECT NEW.customer_id, coalesce((SELECT max(seq) FROM engine_customer_changes), 0) + 1
  WHERE true
  ON CONFLICT (customer_id) DO UPDATE SET seq = excluded.seq;
END;
CREATE TRIGGER engine_changes_consents_update AFTER UPDATE ON consents
BEGIN
  INSERT INTO engine_customer_changes(customer_id, seq)
  SELECT NEW.customer_id, coalesce((SELECT max(seq) FROM engine_customer_changes), 0) + 1
  WHERE NEW.customer_id < (SELECT max(id) FROM customers)
  ON CONFLICT (customer_id) DO UPDATE SET seq = excluded.seq;
  INSERT INTO engine_customer_changes(customer_id, seq)
  SELECT OLD.customer_id, coalesce((SELECT max(seq) FROM engine_customer_changes), 0) + 1
  WHERE OLD.customer_id < (SELECT max(id) FROM customers)
  ON CONFLICT (customer_id) DO UPDATE SET seq = excluded.seq;
END;
CREATE TRIGGER engine_changes_consents_delete AFTER DELETE ON consents
WHEN EXISTS (SELECT 1 FROM customers WHERE id = OLD.customer_id)
BEGIN
  INSERT INTO engine_customer_changes(customer_id, seq)
  SELECT OLD.customer_id, coalesce((SELECT max(seq) FROM engine_customer_changes), 0) + 1
  WHERE true
  ON CONFLICT (customer_id) DO UPDATE SET seq = excluded.seq;
END;
CREATE TRIGGER engine_changes_orders_update AFTER UPDATE ON orders
BEGIN
  INSERT INTO engine_customer_changes(customer_id, seq)
  SELECT NEW.customer_id, coalesce((SELECT max(seq) FROM engine_customer_changes), 0) + 1
  WHERE NEW.id < (SELECT max(id) FROM orders) OR NEW.customer_id IS NOT OLD.customer_id
  ON CONFLICT (customer_id) DO UPDATE SET seq = excluded.seq;
  INSERT INTO engine_customer_changes(customer_id, seq)
  SELECT OLD.customer_id, coalesce((SELECT max(seq) FROM engine_customer_changes), 0) + 1
  WHERE OLD.id < (SELECT max(id) FROM orders) OR NEW.customer_id IS NOT OLD.customer_id
  ON CONFLICT (customer_id) DO UPDATE SET seq = excluded.seq;
END;
CREATE TRIGGER engine_changes_orders_delete AFTER DELETE ON orders
WHEN EXISTS (SELECT 1 FROM customers WHERE id = OLD.customer_id)
BEGIN
  INSERT INTO engine_customer_changes(customer_id, seq)
  SELECT OLD.customer_id, coalesce((SELECT max(seq) FROM engine_customer_changes), 0) + 1
  WHERE true
  ON CONFLICT (customer_id) DO UPDATE SET seq = excluded.seq;
END;
-- Order lines mark their order's customer (nobody when the order or the
-- customer is already gone: their own delete triggers did).
CREATE TRIGGER engine_changes_order_lines_insert AFTER INSERT ON order_lines
WHEN NEW.order_id < (SELECT max(id) FROM orders)
BEGIN
  INSERT INTO engine_customer_changes(customer_id, seq)
  SELECT o.customer_id, coalesce((SELECT max(seq) FROM engine_customer_changes), 0) + 1
  FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.id = NEW.order_id
  ON CONFLICT (customer_id) DO UPDATE SET seq = excluded.seq;
END;
CREATE TRIGGER engine_changes_order_lines_update AFTER UPDATE ON order_lines
BEGIN
  INSERT INTO engine_customer_changes(customer_id, seq)
  SELECT o.customer_id, coalesce((SELECT max(seq) FROM engine_customer_changes), 0) + 1
  FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.id = NEW.order_id AND NEW.order_id < (SELECT max(id) FROM orders)
  ON CONFLICT (customer_id) DO UPDATE SET seq = excluded.seq;
  INSERT INTO engine_customer_changes(customer_id, seq)
  SELECT o.customer_id, coalesce((SELECT max(seq) FROM engine_customer_changes), 0) + 1
  FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.id = OLD.order_id AND OLD.order_id < (SELECT max(id) FROM orders)
  ON CONFLICT (customer_id) DO UPDATE SET seq = excluded.seq;
END;
CREATE TRIGGER engine_changes_order_lines_delete AFTER DELETE ON order_lines
BEGIN
  INSERT INTO engine_customer_changes(customer_id, seq)
  SELECT o.customer_id, coalesce((SELECT max(seq) FROM engine_customer_changes), 0) + 1
  FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.id = OLD.order_id
  ON CONFLICT (customer_id) DO UPDATE SET seq = excluded.seq;
END;
