-- Products with the lowest sell-through over the last $days days of weeks.
WITH today AS (SELECT CAST(as_of AS DATE) AS d FROM fleet_clock)
SELECT s.product_id, p.name AS product_name, sum(s.units_sold) AS units_sold,
       sum(s.units_left) AS units_left,
       round(sum(s.units_sold) / nullif(sum(s.units_sold) + sum(s.units_left), 0), 3) AS sell_through
FROM sell_through s
JOIN today ON s.week_start BETWEEN today.d - CAST($days AS INTEGER) + 1 AND today.d
LEFT JOIN products p ON p.product_id = s.product_id
GROUP BY ALL
ORDER BY sell_through NULLS FIRST
LIMIT $limit
