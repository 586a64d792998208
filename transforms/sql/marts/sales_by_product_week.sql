-- sales_by_product_week: units and revenue per product and ISO week (Monday) (machine clock days), from fct_daily_sales.
CREATE OR REPLACE VIEW sales_by_product_week AS
SELECT
    product_id, product_name, category, week_start,
    currency,
    sum(units_sold)::BIGINT AS units_sold,
    sum(revenue) AS revenue,
    count(DISTINCT machine_serial)::INTEGER AS machines
FROM sales_daily_enriched
GROUP BY ALL;
