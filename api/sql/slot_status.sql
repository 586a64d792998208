-- GET /v1/slot-status: each slot's estimated units left and days until it sells out.
SELECT s.machine_serial, s.asset_number, d.route_id, s.cabinet_index, s.slot, s.selection,
       s.product_id, s.capacity, s.par_level, s.est_units_left, s.daily_rate,
       s.days_until_sold_out, s.sold_out, s.last_read_at
FROM slot_status s
LEFT JOIN devices d ON d.dex_serial = s.machine_serial
WHERE ($machine IS NULL OR s.machine_serial = $machine OR s.asset_number = $machine)
  AND ($route IS NULL OR d.route_id = $route)
  AND ($product IS NULL OR s.product_id = $product)
ORDER BY s.machine_serial, s.cabinet_index, s.slot
