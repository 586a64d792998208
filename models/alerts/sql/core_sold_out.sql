-- Slots holding a core product that are sold out now (slot_status, as of the fleet's "now").
SELECT
    s.machine_serial,
    s.selection,
    s.product_id,
    d.route_id,
    s.last_read_at,
    s.est_units_left
FROM slot_status AS s
LEFT JOIN devices AS d ON d.dex_serial = s.machine_serial
WHERE s.sold_out AND list_contains($core_products, s.product_id)
ORDER BY s.machine_serial, s.selection
