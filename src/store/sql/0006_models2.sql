-- Patron schema, models part 2 (issue 6; R14, R15): the best channel per
-- customer, and the recommendations and category propensities in rows that
-- segments can use (`recommended("phones")`, `propensity("phones") > 0.3`).
-- `patron model score` fills all of them with customer_traits, in the same
-- transaction.

-- The channel (email, sms, phone) the customer is most likely to respond on,
-- among those they are reachable on; NULL when reachable on none. The smoothed
-- response rate of every channel with any messages sent is kept as JSON.
ALTER TABLE customer_traits ADD COLUMN best_channel TEXT;
ALTER TABLE customer_traits ADD COLUMN channel_response_rates TEXT
  CHECK (channel_response_rates IS NULL OR json_valid(channel_response_rates));

-- The customer's top recommendations, rank 1 best (the same products as
-- customer_traits.recommended_products).
CREATE TABLE customer_recommendations (
  customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
  rank        INTEGER NOT NULL CHECK (rank >= 1),
  product_id  INTEGER NOT NULL REFERENCES products(id) ON DELETE CASCADE,
  PRIMARY KEY (customer_id, rank)
) WITHOUT ROWID;

-- P(buys in the category in the next 30 days), one row per customer and
-- category with a model (the same numbers as customer_traits.category_propensity_30d).
CREATE TABLE customer_category_propensity (
  customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
  category_id INTEGER NOT NULL REFERENCES categories(id) ON DELETE CASCADE,
  p_30d       REAL NOT NULL CHECK (p_30d BETWEEN 0 AND 1),
  PRIMARY KEY (customer_id, category_id)
) WITHOUT ROWID;

-- Every `patron model score`: what it saw, so that `--incremental` can rescore
-- only the customers with new orders, events or profiles since then.
CREATE TABLE model_score_runs (
  id              INTEGER PRIMARY KEY,
  scored_at       INTEGER NOT NULL,  -- microseconds
  as_of           TEXT NOT NULL,     -- 'YYYY-MM-DD': the scoring date
  options         TEXT NOT NULL CHECK (json_valid(options)),  -- settings that change traits
  incremental     INTEGER NOT NULL CHECK (incremental IN (0, 1)),
  customers       INTEGER NOT NULL,  -- customers (re)scored
  max_customer_id INTEGER NOT NULL,  -- the largest ids seen
  max_order_id    INTEGER NOT NULL,
  max_event_id    INTEGER NOT NULL,
  generation      INTEGER NOT NULL   -- engine generation after the scoring's own bump
);
