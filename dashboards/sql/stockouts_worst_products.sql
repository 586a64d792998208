-- params: limit=20
-- Products losing the largest share of demand to stock-outs (whole history).
SELECT s.product_id, p.name AS product_name, p.category, s.units_sold, s.episodes,
       round(s.stockout_minutes / 60.0, 1) AS hours_sold_out,
       round(s.est_lost_units, 1) AS est_lost_units, round(s.lost_share, 3) AS lost_share
FROM stockout_lost_share s
LEFT JOIN products p USING (product_id)
ORDER BY s.est_lost_units DESC
LIMIT $limit
