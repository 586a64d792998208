-- params: day=NULL days=28 limit=20
-- The slots that lost the most demand to sold-out episodes that started in the last $days days
-- up to $day (default: the latest episode start). Sums are exact (the episodes' minutes and lost
-- units are stored rounded, to 0.1 and 0.01) so the rounding does not depend on the order the
-- rows are added in; ties are ordered by slot.
WITH since AS (
    SELECT coalesce($day::DATE + 1, max(start_at)) - to_days($days::INTEGER) AS t,
           coalesce($day::DATE + 1, max(start_at)) AS u
    FROM fct_stockouts
)
SELECT f.machine_serial, d.asset_number, f.selection, f.product_id, p.name AS product_name,
       count(*) AS episodes,
       round(sum(CAST(f.duration_minutes AS DECIMAL(18, 1))) / 60.0, 1) AS hours_sold_out,
       CAST(round(sum(CAST(f.est_lost_units AS DECIMAL(18, 2))), 1) AS DOUBLE) AS est_lost_units
FROM fct_stockouts f, since
LEFT JOIN devices d ON d.dex_serial = f.machine_serial
LEFT JOIN products p ON p.product_id = f.product_id
WHERE f.start_at >= since.t AND f.start_at < since.u
GROUP BY ALL
ORDER BY est_lost_units DESC, f.machine_serial, f.selection
LIMIT $limit
