-- stockout_lost_share: per product, estimated units lost to stock-outs (fct_stockouts) as a share
-- of estimated demand (units sold + units lost).
WITH sold AS (SELECT product_id, sum(units_sold) AS units_sold FROM fct_slot_sales GROUP BY ALL),
lost AS (
    SELECT product_id, count(*) AS episodes, sum(est_lost_units) AS est_lost_units,
        sum(duration_minutes) AS stockout_minutes
    FROM fct_stockouts
    GROUP BY ALL
)
SELECT
    s.product_id,
    s.units_sold::BIGINT AS units_sold,
    coalesce(l.episodes, 0) AS episodes,
    coalesce(l.stockout_minutes, 0) AS stockout_minutes,
    coalesce(l.est_lost_units, 0) AS est_lost_units,
    round(coalesce(l.est_lost_units, 0) / nullif(s.units_sold + coalesce(l.est_lost_units, 0), 0), 4)
        AS lost_share
FROM sold AS s
LEFT JOIN lost AS l USING (product_id)
