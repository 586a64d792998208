-- Machines ranked by revenue over the last $days days, best first.
WITH today AS (SELECT CAST(as_of AS DATE) AS d FROM fleet_clock)
SELECT r.asset_number, r.machine_serial, l.name AS location, d.route_id,
       sum(r.units_sold) AS units_sold, round(sum(r.revenue), 2) AS revenue
FROM revenue_per_machine_day r
JOIN today ON r.sales_date BETWEEN today.d - CAST($days AS INTEGER) + 1 AND today.d
LEFT JOIN devices d ON d.dex_serial = r.machine_serial
LEFT JOIN locations l ON l.location_id = r.location_id
WHERE ($route IS NULL OR d.route_id = $route)
GROUP BY ALL
ORDER BY revenue DESC
LIMIT $limit
