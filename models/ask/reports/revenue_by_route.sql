-- Units and revenue per route over the last $days days.
WITH today AS (SELECT CAST(as_of AS DATE) AS d FROM fleet_clock)
SELECT s.route_id, r.name AS route, r.driver,
       sum(s.units_sold) AS units_sold, round(sum(s.revenue), 2) AS revenue,
       max(s.machines) AS machines
FROM sales_by_route_day s
JOIN today ON s.sales_date BETWEEN today.d - CAST($days AS INTEGER) + 1 AND today.d
LEFT JOIN routes r ON r.route_id = s.route_id
GROUP BY ALL
ORDER BY revenue DESC
