-- revenue_per_machine_day: units and revenue per machine and day (machine clock days), from
-- fct_daily_sales, with the device's asset number and location. Small (machines × days), so the
-- dashboards' "today" and fleet totals read it instead of every selection's day; sorted by day.
SELECT
    f.machine_serial,
    d.asset_number,
    d.location_id,
    f.sales_date,
    f.currency,
    sum(f.units_sold)::BIGINT AS units_sold,
    sum(f.revenue) AS revenue,
    count(DISTINCT f.machine_serial)::INTEGER AS machines
FROM fct_daily_sales AS f
LEFT JOIN devices AS d ON d.dex_serial = f.machine_serial
GROUP BY ALL
ORDER BY f.sales_date, f.machine_serial, f.currency
