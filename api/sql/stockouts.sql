-- GET /v1/stockouts: sold-out episodes (ongoing ones have no end) with the sales they cost.
SELECT s.machine_serial, d.asset_number, d.route_id, s.selection, s.product_id, s.start_at,
       s.end_at, s.ongoing, s.duration_minutes, s.est_lost_units, s.counted_lost_units
FROM fct_stockouts s
LEFT JOIN devices d ON d.dex_serial = s.machine_serial
WHERE ($from IS NULL OR s.start_at >= CAST($from AS DATE))
  AND ($to IS NULL OR s.start_at < CAST($to AS DATE) + INTERVAL 1 DAY)
  AND ($machine IS NULL OR s.machine_serial = $machine OR d.asset_number = $machine)
  AND ($route IS NULL OR d.route_id = $route)
  AND ($product IS NULL OR s.product_id = $product)
ORDER BY s.start_at, s.machine_serial, s.selection_key, s.product_id NULLS FIRST, s.end_at
