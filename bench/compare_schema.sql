-- The tables the segment SQL reads, for PostgreSQL and DuckDB in the
-- side-by-side benchmark (bench/segment_compare.sh). Same names and columns as
-- Patron's SQLite schema; only the columns segments use are loaded.
CREATE TABLE sources (id BIGINT PRIMARY KEY, name TEXT);
CREATE TABLE customers (id BIGINT PRIMARY KEY, given_name TEXT, family_name TEXT, full_name TEXT, salutation TEXT,
  gender TEXT, birth_date TEXT, marital_status TEXT, education TEXT, income_band TEXT, household_size BIGINT,
  language TEXT, time_zone TEXT, city TEXT, region TEXT, country TEXT, acquisition_channel TEXT,
  lifecycle_stage TEXT, source_id BIGINT, created_at BIGINT, updated_at BIGINT);
CREATE TABLE customer_tags (customer_id BIGINT, tag TEXT);
CREATE TABLE customer_attributes (customer_id BIGINT, name TEXT, value TEXT);
CREATE TABLE accounts (id BIGINT PRIMARY KEY, name TEXT, domain TEXT, industry_code TEXT, employees BIGINT,
  revenue_minor BIGINT, currency TEXT, tier TEXT, contract_status TEXT, city TEXT, country TEXT);
CREATE TABLE account_members (account_id BIGINT, customer_id BIGINT);
CREATE TABLE contact_points (customer_id BIGINT, kind TEXT, phone_type TEXT, status TEXT, last_seen_at BIGINT,
  last_verified_at BIGINT);
CREATE TABLE consents (id BIGINT, customer_id BIGINT, channel TEXT, purpose TEXT, status TEXT, recorded_at BIGINT);
CREATE TABLE categories (id BIGINT PRIMARY KEY, slug TEXT, name TEXT, parent_id BIGINT);
CREATE TABLE products (id BIGINT PRIMARY KEY, sku TEXT, name TEXT, category_id BIGINT, brand TEXT);
CREATE TABLE orders (id BIGINT PRIMARY KEY, customer_id BIGINT, ordered_at BIGINT, status TEXT, channel TEXT,
  currency TEXT, total_minor BIGINT);
CREATE TABLE order_lines (order_id BIGINT, line_no BIGINT, product_id BIGINT, quantity BIGINT,
  unit_price_minor BIGINT, discount_minor BIGINT);
CREATE TABLE events (id BIGINT PRIMARY KEY, customer_id BIGINT, type TEXT, occurred_at BIGINT, properties TEXT);
