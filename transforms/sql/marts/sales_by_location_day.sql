-- sales_by_location_day: units and revenue per location and day (machine clock days), from fct_daily_sales.
CREATE OR REPLACE VIEW sales_by_location_day AS
SELECT
    location_id, sales_date,
    currency,
    sum(units_sold)::BIGINT AS units_sold,
    sum(revenue) AS revenue,
    count(DISTINCT machine_serial)::INTEGER AS machines
FROM sales_daily_enriched
GROUP BY ALL;
