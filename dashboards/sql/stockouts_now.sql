-- params:
-- Slots sold out now (ongoing episodes): since when, how long, estimated lost units and revenue
-- (lost units x the active planogram's price; an estimate).
SELECT f.machine_serial, d.asset_number, d.route_id, l.name AS location, f.selection,
       ps.slot, f.product_id, p.name AS product_name, f.start_at, f.start_source,
       round(f.duration_minutes / 60.0, 1) AS hours_sold_out,
       round(f.est_lost_units, 1) AS est_lost_units,
       round(f.est_lost_units * coalesce(ps.price_cents, p.price_cents) / 100.0, 2)
           AS est_lost_revenue
FROM fct_stockouts f
LEFT JOIN devices d ON d.dex_serial = f.machine_serial
LEFT JOIN locations l ON l.location_id = d.location_id
LEFT JOIN products p ON p.product_id = f.product_id
LEFT JOIN planogram_slots ps ON ps.asset_number = d.asset_number AND ps.selection = f.selection
WHERE f.ongoing
ORDER BY f.duration_minutes DESC
