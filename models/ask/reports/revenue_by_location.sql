-- Units and revenue per location over the last $days days.
WITH today AS (SELECT CAST(as_of AS DATE) AS d FROM fleet_clock)
SELECT s.location_id, l.name AS location, l.traffic,
       sum(s.units_sold) AS units_sold, round(sum(s.revenue), 2) AS revenue
FROM sales_by_location_day s
JOIN today ON s.sales_date BETWEEN today.d - CAST($days AS INTEGER) + 1 AND today.d
LEFT JOIN locations l ON l.location_id = s.location_id
GROUP BY ALL
ORDER BY revenue DESC
LIMIT $limit
