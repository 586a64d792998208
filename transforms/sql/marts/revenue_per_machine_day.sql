-- revenue_per_machine_day: units and revenue per machine and day (machine clock days), from fct_daily_sales.
CREATE OR REPLACE VIEW revenue_per_machine_day AS
SELECT
    machine_serial, asset_number, location_id, sales_date,
    currency,
    sum(units_sold)::BIGINT AS units_sold,
    sum(revenue) AS revenue,
    count(DISTINCT machine_serial)::INTEGER AS machines
FROM sales_daily_enriched
GROUP BY ALL;
