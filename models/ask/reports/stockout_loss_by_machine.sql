-- Machines by the revenue their stock-outs lost over the last $days days: estimated lost
-- units of the episodes that started in the period, at each product's list price.
WITH today AS (SELECT as_of AS t FROM fleet_clock)
SELECT d.asset_number, s.machine_serial, d.route_id,
       count(*) AS episodes,
       round(sum(s.est_lost_units), 1) AS est_lost_units,
       round(sum(s.est_lost_units * p.price_cents) / 100, 2) AS est_lost_revenue
FROM fct_stockouts s
JOIN today ON s.start_at > today.t - to_days(CAST($days AS INTEGER)) AND s.start_at <= today.t
LEFT JOIN devices d ON d.dex_serial = s.machine_serial
LEFT JOIN products p ON p.product_id = s.product_id
WHERE ($route IS NULL OR d.route_id = $route)
GROUP BY ALL
ORDER BY est_lost_revenue DESC NULLS LAST
LIMIT $limit
