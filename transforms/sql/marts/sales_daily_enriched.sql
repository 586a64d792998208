-- sales_daily_enriched: fct_daily_sales with product, location and route, the base of the rollups.
CREATE OR REPLACE VIEW sales_daily_enriched AS
SELECT
    f.*,
    date_trunc('week', f.sales_date)::DATE AS week_start,
    d.asset_number,
    d.location_id,
    d.route_id,
    pr.name AS product_name,
    pr.category
FROM fct_daily_sales AS f
LEFT JOIN devices AS d ON d.dex_serial = f.machine_serial
LEFT JOIN products AS pr ON pr.product_id = f.product_id;
