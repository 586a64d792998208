-- Slots sold out now (as of the fleet's latest read).
SELECT s.asset_number, s.machine_serial, d.route_id, s.cabinet_index, s.slot, s.selection,
       s.product_id, p.name AS product_name, round(s.last_read_age_hours, 1) AS last_read_age_hours
FROM slot_status s
LEFT JOIN devices d ON d.dex_serial = s.machine_serial
LEFT JOIN products p ON p.product_id = s.product_id
WHERE s.sold_out AND ($route IS NULL OR d.route_id = $route)
ORDER BY s.asset_number, s.cabinet_index, s.slot
