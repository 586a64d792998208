-- Machines ranked by revenue over the last $days days, weakest first (machines that sold
-- nothing in the period count with 0).
WITH today AS (SELECT CAST(as_of AS DATE) AS d FROM fleet_clock),
sold AS (
    SELECT r.machine_serial, sum(r.units_sold) AS units_sold, sum(r.revenue) AS revenue
    FROM revenue_per_machine_day r, today
    WHERE r.sales_date BETWEEN today.d - CAST($days AS INTEGER) + 1 AND today.d
    GROUP BY ALL
)
SELECT d.asset_number, d.dex_serial AS machine_serial, l.name AS location, d.route_id,
       coalesce(s.units_sold, 0) AS units_sold, round(coalesce(s.revenue, 0), 2) AS revenue
FROM devices d
LEFT JOIN sold s ON s.machine_serial = d.dex_serial
LEFT JOIN locations l ON l.location_id = d.location_id
WHERE ($route IS NULL OR d.route_id = $route)
ORDER BY revenue, asset_number
LIMIT $limit
