-- Named queries used by the import job (src/ingest/import*.cc).
-- Each "-- name:" section is prepared when the database opens.

-- name: upsert-source
INSERT INTO sources (name, kind, vendor, cost_minor, currency, acquired_at, consent_basis, created_at)
VALUES (:name, :kind, :vendor, :cost_minor, :currency, :acquired_at, :consent_basis, :now)
ON CONFLICT (name) DO UPDATE SET
  kind = coalesce(:explicit_kind, kind),
  vendor = coalesce(excluded.vendor, vendor),
  cost_minor = coalesce(excluded.cost_minor, cost_minor),
  currency = coalesce(excluded.currency, currency),
  acquired_at = coalesce(excluded.acquired_at, acquired_at),
  consent_basis = coalesce(excluded.consent_basis, consent_basis)
RETURNING id;

-- name: find-source-record
SELECT entity_id, content_hash FROM source_records
WHERE source_id = :source_id AND entity = :entity AND source_key = :key;

-- name: upsert-source-record
INSERT INTO source_records (source_id, entity, source_key, entity_id, content_hash, first_imported_at, last_imported_at)
VALUES (:source_id, :entity, :key, :entity_id, :hash, :now, :now)
ON CONFLICT (source_id, entity, source_key) DO UPDATE SET
  entity_id = excluded.entity_id, content_hash = excluded.content_hash, last_imported_at = excluded.last_imported_at;

-- name: insert-customer
INSERT INTO customers (given_name, family_name, full_name, salutation, greeting, gender, birth_date,
  marital_status, education, income_band, household_size, language, time_zone, city, region, country,
  acquisition_channel, lifecycle_stage, source_id, created_at, updated_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21);

-- A source's newer values replace older ones; a value it does not give is kept.
-- name: update-customer
UPDATE customers SET
  given_name = coalesce(?1, given_name), family_name = coalesce(?2, family_name),
  full_name = coalesce(?3, full_name), salutation = coalesce(?4, salutation),
  greeting = coalesce(?5, greeting), gender = coalesce(?6, gender),
  birth_date = coalesce(?7, birth_date), marital_status = coalesce(?8, marital_status),
  education = coalesce(?9, education), income_band = coalesce(?10, income_band),
  household_size = coalesce(?11, household_size), language = coalesce(?12, language),
  time_zone = coalesce(?13, time_zone), city = coalesce(?14, city), region = coalesce(?15, region),
  country = coalesce(?16, country), acquisition_channel = coalesce(?17, acquisition_channel),
  lifecycle_stage = coalesce(?18, lifecycle_stage), updated_at = ?21
WHERE id = ?22;

-- A customer first known from an order or event: the buyer's name when the
-- order gives it (a guest checkout), else nothing but the contact points.
-- name: insert-minimal-customer
INSERT INTO customers (source_id, given_name, family_name, full_name, created_at, updated_at)
VALUES (:source_id, :given_name, :family_name, :full_name, :now, :now);

-- Times are the source's: :seen_at is when it saw the value (an import's
-- --as-of or the row's last_seen_at; now for the collector and the API), so
-- that an export imported later dates what it says when it said it (the
-- decay rate is learnt from these times).
-- name: insert-contact-point
INSERT INTO contact_points (customer_id, kind, value, raw_value, phone_type, street, postal_code, city,
  region, country, status, invalid_reason, suggestion, source_id, first_seen_at, last_seen_at, last_verified_at,
  bounced_at, carried_at)
VALUES (:customer_id, :kind, :value, :raw_value, :phone_type, :street, :postal_code, :city, :region,
  :country, :status, :invalid_reason, :suggestion, :source_id, :seen_at, :seen_at, :verified_at, :bounced_at,
  :seen_at)
ON CONFLICT (customer_id, kind, value) DO UPDATE SET
  first_seen_at = min(first_seen_at, excluded.first_seen_at),
  last_seen_at = max(last_seen_at, excluded.last_seen_at),
  -- this import of the record carries the value (migration 0025)
  carried_at = max(coalesce(carried_at, excluded.carried_at), excluded.carried_at),
  -- a source that verified the value, or saw it bounce, is newer knowledge;
  -- 'unverified' never downgrades what is known.
  status = CASE WHEN excluded.status = 'unverified' THEN status ELSE excluded.status END,
  invalid_reason = CASE WHEN excluded.status = 'unverified' THEN invalid_reason ELSE excluded.invalid_reason END,
  -- the later of two dates (max() of SQLite is NULL when either is)
  last_verified_at = coalesce(max(excluded.last_verified_at, last_verified_at), excluded.last_verified_at,
                              last_verified_at),
  bounced_at = coalesce(max(excluded.bounced_at, bounced_at), excluded.bounced_at, bounced_at),
  phone_type = coalesce(excluded.phone_type, phone_type);

-- name: touch-contact-point
-- A value its source still has (an unchanged row imported again): seen again.
-- Freshness counts months, so a sighting less than a day newer is left out:
-- the same file imported twice in a day writes nothing the second time.
UPDATE contact_points SET last_seen_at = :seen_at, carried_at = max(coalesce(carried_at, :seen_at), :seen_at)
WHERE customer_id = :customer_id AND kind = :kind AND value = :value
  AND last_seen_at < :seen_at - 86400000000;

-- name: sight-contact-value
-- An email or phone that named an order's or event's customer was in use then:
-- every contact point holding it was seen (by a day or more, forward only).
UPDATE contact_points SET last_seen_at = :seen_at
WHERE kind = :kind AND value = :value AND last_seen_at < :seen_at - 86400000000;

-- name: find-customers-by-contact
SELECT DISTINCT customer_id FROM contact_points WHERE kind = :kind AND value = :value ORDER BY customer_id LIMIT 5;

-- name: current-consent
SELECT status FROM consents
WHERE customer_id = :customer_id AND channel = :channel AND purpose = :purpose
ORDER BY recorded_at DESC, id DESC LIMIT 1;

-- name: insert-consent
INSERT INTO consents (customer_id, channel, purpose, status, recorded_at, source_id, method, proof)
VALUES (:customer_id, :channel, :purpose, :status, :recorded_at, :source_id, :method, :proof);

-- name: insert-tag
INSERT OR IGNORE INTO customer_tags (customer_id, tag) VALUES (:customer_id, :tag);

-- name: find-attribute-definition
SELECT type FROM attribute_definitions WHERE entity = :entity AND name = :name;

-- name: insert-attribute-definition
INSERT OR IGNORE INTO attribute_definitions (entity, name, type, description, created_at)
VALUES (:entity, :name, :type, :description, :now);

-- name: upsert-customer-attribute
INSERT INTO customer_attributes (customer_id, name, value) VALUES (:customer_id, :name, :value)
ON CONFLICT (customer_id, name) DO UPDATE SET value = excluded.value;

-- name: upsert-account-attribute
INSERT INTO account_attributes (account_id, name, value) VALUES (:account_id, :name, :value)
ON CONFLICT (account_id, name) DO UPDATE SET value = excluded.value;

-- name: upsert-account-member
INSERT INTO account_members (account_id, customer_id, job_title, created_at)
VALUES (:account_id, :customer_id, :job_title, :now)
ON CONFLICT (account_id, customer_id) DO UPDATE SET job_title = coalesce(excluded.job_title, job_title);

-- name: insert-account
INSERT INTO accounts (name, domain, industry_code, employees, revenue_minor, currency, tier,
  contract_status, city, country, source_id, created_at, updated_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12);

-- name: update-account
UPDATE accounts SET name = coalesce(?1, name), domain = coalesce(?2, domain),
  industry_code = coalesce(?3, industry_code), employees = coalesce(?4, employees),
  revenue_minor = coalesce(?5, revenue_minor), currency = coalesce(?6, currency),
  tier = coalesce(?7, tier), contract_status = coalesce(?8, contract_status),
  city = coalesce(?9, city), country = coalesce(?10, country), updated_at = ?12
WHERE id = ?13;

-- name: find-category
SELECT id FROM categories WHERE slug = :slug;

-- name: insert-category
INSERT INTO categories (slug, name, parent_id) VALUES (:slug, :name, :parent_id);

-- name: find-product
SELECT id, name, category_id, brand, price_minor, currency FROM products WHERE sku = :sku;

-- name: insert-product
INSERT INTO products (sku, name, category_id, brand, price_minor, currency, created_at, updated_at)
VALUES (:sku, :name, :category_id, :brand, :price_minor, :currency, :now, :now);

-- name: update-product
UPDATE products SET name = coalesce(:name, name), category_id = coalesce(:category_id, category_id),
  brand = coalesce(:brand, brand), price_minor = coalesce(:price_minor, price_minor),
  currency = coalesce(:currency, currency), updated_at = :now
WHERE id = :id
  AND (name IS NOT coalesce(:name, name) OR category_id IS NOT coalesce(:category_id, category_id)
       OR brand IS NOT coalesce(:brand, brand) OR price_minor IS NOT coalesce(:price_minor, price_minor)
       OR currency IS NOT coalesce(:currency, currency));

-- name: find-order
SELECT id FROM orders WHERE source_id = :source_id AND order_number = :order_number;

-- name: insert-order-if-new
INSERT INTO orders (customer_id, order_number, ordered_at, status, channel, currency, source_id)
VALUES (:customer_id, :order_number, :ordered_at, :status, :channel, :currency, :source_id)
ON CONFLICT (source_id, order_number) DO NOTHING;

-- name: set-order-total
UPDATE orders SET total_minor = :total WHERE id = :id;

-- name: update-order
UPDATE orders SET customer_id = :customer_id, ordered_at = :ordered_at, status = :status,
  channel = coalesce(:channel, channel), currency = coalesce(:currency, currency)
WHERE id = :id AND (customer_id IS NOT :customer_id OR ordered_at IS NOT :ordered_at
  OR status IS NOT :status OR channel IS NOT coalesce(:channel, channel)
  OR currency IS NOT coalesce(:currency, currency));

-- name: refresh-order-total
UPDATE orders SET total_minor = (
  SELECT coalesce(sum(quantity * unit_price_minor - discount_minor), 0) FROM order_lines WHERE order_id = :id)
WHERE id = :id;

-- name: insert-order-line
INSERT OR IGNORE INTO order_lines (order_id, line_no, product_id, quantity, unit_price_minor, discount_minor)
VALUES (:order_id, :line_no, :product_id, :quantity, :unit_price_minor, :discount_minor);

-- name: update-order-line
UPDATE order_lines SET product_id = :product_id, quantity = :quantity,
  unit_price_minor = :unit_price_minor, discount_minor = :discount_minor
WHERE order_id = :order_id AND line_no = :line_no
  AND (product_id IS NOT :product_id OR quantity IS NOT :quantity
       OR unit_price_minor IS NOT :unit_price_minor OR discount_minor IS NOT :discount_minor);

-- name: insert-event
INSERT OR IGNORE INTO events (customer_id, type, occurred_at, received_at, source_id, source_key, properties)
VALUES (:customer_id, :type, :occurred_at, :received_at, :source_id, :source_key, :properties);

-- name: start-import
INSERT INTO imports (kind, path, source_id, started_at) VALUES (:kind, :path, :source_id, :now);

-- name: finish-import
UPDATE imports SET finished_at = :now, records = :records, rejected = :rejected, report = :report WHERE id = :id;

-- name: upsert-field-issue
INSERT INTO field_issues (entity, entity_id, field, raw_value, reason, source_id, seen_at)
VALUES (:entity, :entity_id, :field, :raw_value, :reason, :source_id, :now)
ON CONFLICT (entity, entity_id, field, raw_value) DO UPDATE SET seen_at = excluded.seen_at;

-- name: list-source-ids
SELECT id FROM sources ORDER BY id;

-- A device (an event's anonymous_id) the customer was seen on (migration 0018).
-- name: upsert-customer-device
INSERT INTO customer_devices (customer_id, device_id, source_id, first_seen_at, last_seen_at)
VALUES (:customer_id, :device_id, :source_id, :seen_at, :seen_at)
ON CONFLICT (customer_id, device_id) DO UPDATE SET
  first_seen_at = min(first_seen_at, excluded.first_seen_at),
  last_seen_at = max(last_seen_at, excluded.last_seen_at);

-- The customer a device was last seen as (an anonymous event's customer).
-- name: find-customer-by-device
SELECT customer_id FROM customer_devices WHERE device_id = :device_id ORDER BY last_seen_at DESC, customer_id LIMIT 1;
