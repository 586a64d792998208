-- params: day=NULL days=28 limit=20
-- The slots that lost the most demand to sold-out episodes that started in the last $days days
-- up to $day (default: the latest episode start).
WITH since AS (
    SELECT coalesce($day::DATE + 1, max(start_at)) - to_days($days::INTEGER) AS t,
           coalesce($day::DATE + 1, max(start_at)) AS u
    FROM fct_stockouts
)
SELECT f.machine_serial, d.asset_number, f.selection, f.product_id, p.name AS product_name,
       count(*) AS episodes, round(sum(f.duration_minutes) / 60.0, 1) AS hours_sold_out,
       round(sum(f.est_lost_units), 1) AS est_lost_units
FROM fct_stockouts f, since
LEFT JOIN devices d ON d.dex_serial = f.machine_serial
LEFT JOIN products p ON p.product_id = f.product_id
WHERE f.start_at >= since.t AND f.start_at < since.u
GROUP BY ALL
ORDER BY est_lost_units DESC
LIMIT $limit
