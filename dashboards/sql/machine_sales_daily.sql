-- params: machine_serial=''
-- The machine's units and revenue per day (revenue_per_machine_day: one row per machine, day
-- and currency already).
SELECT sales_date, currency, sum(units_sold) AS units_sold, sum(revenue) AS revenue
FROM revenue_per_machine_day
WHERE machine_serial = $machine_serial
GROUP BY ALL
ORDER BY sales_date
