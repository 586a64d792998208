-- Units sold per machine, selection, product and day (machine clock), from the daily spread.
SELECT machine_serial, selection, product_id, sales_date, sum(units_sold)::DOUBLE AS units
FROM fct_daily_sales
WHERE selection IS NOT NULL AND product_id IS NOT NULL
GROUP BY ALL
