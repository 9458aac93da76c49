-- The engine's snapshot includes computed traits (src/models): a new scoring
-- makes a persisted snapshot stale, like any other change it depends on.
CREATE TRIGGER engine_generation_customer_traits_insert AFTER INSERT ON customer_traits
BEGIN UPDATE engine_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER engine_generation_customer_traits_update AFTER UPDATE ON customer_traits
BEGIN UPDATE engine_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER engine_generation_customer_traits_delete AFTER DELETE ON customer_traits
BEGIN UPDATE engine_generation SET generation = generation + 1 WHERE id = 1; END;
