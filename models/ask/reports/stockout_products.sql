-- Products by the share of their demand lost to stock-outs (whole history).
SELECT s.product_id, p.name AS product_name, s.units_sold, s.episodes,
       round(s.est_lost_units, 1) AS est_lost_units, round(s.lost_share, 3) AS lost_share
FROM stockout_lost_share s
LEFT JOIN products p ON p.product_id = s.product_id
ORDER BY s.lost_share DESC NULLS LAST
LIMIT $limit
