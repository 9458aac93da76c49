-- Patron schema, models: computed traits per customer and the fits behind them
-- (issue 6; R12, R13). `patron model score` replaces customer_traits in one
-- transaction; `patron model fit` appends to model_fits.

-- One row per customer as of the last scoring. NULLs mean "not applicable":
-- customers without purchases have no RFM scores, P(alive) or CLV.
CREATE TABLE customer_traits (
  customer_id            INTEGER PRIMARY KEY REFERENCES customers(id) ON DELETE CASCADE,
  rfm_r                  INTEGER CHECK (rfm_r BETWEEN 1 AND 5),  -- recency quintile, 5 = most recent
  rfm_f                  INTEGER CHECK (rfm_f BETWEEN 1 AND 5),  -- orders in the RFM window
  rfm_m                  INTEGER CHECK (rfm_m BETWEEN 1 AND 5),  -- spend in the RFM window
  rfm_segment            TEXT,     -- champions, loyal, potential_loyalists, new, promising,
                                   -- need_attention, at_risk, cannot_lose, hibernating, lost
  lifecycle_stage        TEXT NOT NULL,  -- prospect, lead, first_time_buyer, repeat, loyal, at_risk, lapsed
  purchase_days          INTEGER NOT NULL DEFAULT 0,  -- days with a purchase, ever (BG/NBD's transactions)
  last_purchase_at       INTEGER,  -- microseconds, the last counted order
  expected_purchases_12m REAL,     -- BG/NBD E[purchase days in the next 52 weeks]
  p_alive                REAL,     -- BG/NBD P(still a customer)
  churn_risk             REAL,     -- 1 − p_alive
  expected_order_value_minor INTEGER,  -- Gamma-Gamma E[value of a future purchase], minor units of `currency`
  clv_12m_minor          INTEGER,  -- discounted expected value of the next 12 months, minor units of `currency`
  currency               TEXT,     -- ISO 4217 of the customer's orders
  best_send_hour         INTEGER CHECK (best_send_hour BETWEEN 0 AND 167),  -- hour of the week in UTC,
                                   -- 0 = Monday 00:00; NULL without any order or event
  recommended_products   TEXT CHECK (recommended_products IS NULL OR json_valid(recommended_products)),
                                   -- JSON array of product SKUs, best first; NULL without purchases or views
  category_propensity_30d TEXT CHECK (category_propensity_30d IS NULL OR json_valid(category_propensity_30d)),
                                   -- JSON object: category slug -> P(buys it in the next 30 days)
  lead_score             REAL,     -- decayed behaviour points + fit points; NULL for buyers
  lead_stage             TEXT,     -- lead, mql, sql; NULL for buyers
  computed_at            INTEGER NOT NULL  -- when scored (microseconds)
);

-- Every fit, kept: which parameters produced the traits, and how well they fit.
CREATE TABLE model_fits (
  id             INTEGER PRIMARY KEY,
  model          TEXT NOT NULL CHECK (model = 'bgnbd' OR model = 'gamma_gamma'),
  currency       TEXT,              -- gamma_gamma is fitted per currency
  fitted_at      INTEGER NOT NULL,  -- microseconds
  until          TEXT NOT NULL,     -- 'YYYY-MM-DD': orders up to the end of this day
  customers      INTEGER NOT NULL,
  params         TEXT NOT NULL CHECK (json_valid(params)),  -- {"r":..,"alpha":..,"a":..,"b":..} or {"p":..,"q":..,"v":..}
  log_likelihood REAL NOT NULL
);
CREATE INDEX model_fits_latest ON model_fits(model, fitted_at);
