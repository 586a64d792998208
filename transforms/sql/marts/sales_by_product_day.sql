-- sales_by_product_day: units and revenue per product and day (machine clock days), from fct_daily_sales.
CREATE OR REPLACE VIEW sales_by_product_day AS
SELECT
    product_id, product_name, category, sales_date,
    currency,
    sum(units_sold)::BIGINT AS units_sold,
    sum(revenue) AS revenue,
    count(DISTINCT machine_serial)::INTEGER AS machines
FROM sales_daily_enriched
GROUP BY ALL;
