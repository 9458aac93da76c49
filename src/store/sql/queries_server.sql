-- Named queries of the REST API (src/server/api.cc).

-- A customer's one-line summary for search results and lists.
-- name: server-customer-brief
SELECT c.id,
       coalesce(c.full_name, nullif(trim(coalesce(c.given_name, '') || ' ' || coalesce(c.family_name, '')), '')),
       c.city, c.country,
       (SELECT value FROM contact_points WHERE customer_id = c.id AND kind = 'email'
        ORDER BY (status = 'invalid'), last_seen_at DESC LIMIT 1),
       (SELECT value FROM contact_points WHERE customer_id = c.id AND kind = 'phone'
        ORDER BY (status = 'invalid'), last_seen_at DESC LIMIT 1)
FROM customers c WHERE c.id = :id;

-- Customers in id order after a cursor (the unfiltered list).
-- name: server-customer-page
SELECT id FROM customers WHERE id > :after ORDER BY id LIMIT :limit;

-- Everything a customer did and bought, newest first, after a keyset cursor
-- (at, kind, id) so that pages stay stable while new events arrive.
-- name: server-timeline
SELECT at, kind, id, type, detail FROM (
  SELECT occurred_at AS at, 'event' AS kind, id, type, properties AS detail FROM events WHERE customer_id = :customer_id
  UNION ALL
  SELECT ordered_at, 'order', id, status,
         json_object('order_number', order_number, 'total_minor', total_minor, 'currency', currency, 'channel', channel,
                     'lines', (SELECT json_group_array(json_object('sku', p.sku, 'name', p.name, 'quantity', l.quantity,
                                                                   'unit_price_minor', l.unit_price_minor))
                               FROM order_lines l LEFT JOIN products p ON p.id = l.product_id WHERE l.order_id = orders.id))
  FROM orders WHERE customer_id = :customer_id
)
WHERE at < :at OR (at = :at AND kind < :kind) OR (at = :at AND kind = :kind AND id < :id)
ORDER BY at DESC, kind DESC, id DESC
LIMIT :limit;

-- name: server-find-source
SELECT id FROM sources WHERE name = :name;
