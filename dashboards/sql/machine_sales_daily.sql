-- params: machine_serial=''
-- The machine's units and revenue per day.
SELECT sales_date, currency, sum(units_sold) AS units_sold, sum(revenue) AS revenue
FROM fct_daily_sales
WHERE machine_serial = $machine_serial
GROUP BY ALL
ORDER BY sales_date
