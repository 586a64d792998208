-- Products ranked by revenue over the last $days days of sales (to the fleet's latest day).
WITH today AS (SELECT CAST(as_of AS DATE) AS d FROM fleet_clock)
SELECT product_id, product_name, category,
       sum(units_sold) AS units_sold, round(sum(revenue), 2) AS revenue
FROM sales_daily_enriched, today
WHERE sales_date BETWEEN today.d - CAST($days AS INTEGER) + 1 AND today.d
  AND ($route IS NULL OR route_id = $route)
GROUP BY ALL
ORDER BY revenue DESC
LIMIT $limit
