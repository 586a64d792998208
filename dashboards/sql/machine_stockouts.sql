-- params: machine_serial=''
-- The machine's sold-out episodes, newest first.
SELECT f.selection, f.product_id, p.name AS product_name, f.start_at, f.start_source, f.end_at,
       f.ongoing, round(f.duration_minutes / 60.0, 1) AS hours, round(f.est_lost_units, 1)
       AS est_lost_units
FROM fct_stockouts f
LEFT JOIN products p USING (product_id)
WHERE f.machine_serial = $machine_serial
ORDER BY f.start_at DESC
