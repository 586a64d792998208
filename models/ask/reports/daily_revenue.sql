-- Fleet units and revenue per day over the last $days days.
WITH today AS (SELECT CAST(as_of AS DATE) AS d FROM fleet_clock)
SELECT sales_date, sum(units_sold) AS units_sold, round(sum(revenue), 2) AS revenue
FROM sales_daily_enriched, today
WHERE sales_date BETWEEN today.d - CAST($days AS INTEGER) + 1 AND today.d
  AND ($route IS NULL OR route_id = $route)
GROUP BY ALL
ORDER BY sales_date
