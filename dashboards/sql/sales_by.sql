-- params: group_by='product' start=NULL end=NULL previous_start=NULL products=[] categories=[] machines=[] locations=[] routes=[]
-- Units and revenue per $group_by (product, category, machine, location, route, day, week) in
-- [$start, $end] ("current") and in [$previous_start, $start) ("previous"), after the filters
-- (an empty list means no filter). Dates default to the last 28 days of data and the 28 before.
WITH bounds AS (
    SELECT coalesce($end::DATE, max(sales_date)) AS end_day,
           coalesce($start::DATE, coalesce($end::DATE, max(sales_date)) - 27) AS start_day
    FROM fct_daily_sales
),
b AS (
    SELECT end_day, start_day,
           coalesce($previous_start::DATE, start_day - (end_day - start_day + 1)::INTEGER) AS previous_day
    FROM bounds
)
SELECT CASE $group_by
           WHEN 'product' THEN coalesce(product_name, product_id)
           WHEN 'category' THEN category
           WHEN 'machine' THEN coalesce(asset_number, machine_serial)
           WHEN 'location' THEN location_id
           WHEN 'route' THEN route_id
           WHEN 'week' THEN strftime(week_start, '%Y-%m-%d')
           ELSE strftime(sales_date, '%Y-%m-%d')
       END AS key,
       currency,
       sum(units_sold) FILTER (WHERE sales_date >= b.start_day) AS units,
       sum(revenue) FILTER (WHERE sales_date >= b.start_day) AS revenue,
       sum(units_sold) FILTER (WHERE sales_date < b.start_day) AS previous_units,
       sum(revenue) FILTER (WHERE sales_date < b.start_day) AS previous_revenue,
       count(DISTINCT machine_serial) AS machines
FROM sales_daily_enriched, b
WHERE sales_date >= b.previous_day AND sales_date <= b.end_day
  AND (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], product_id))
  AND (len($categories::VARCHAR[]) = 0 OR list_contains($categories::VARCHAR[], category))
  AND (len($machines::VARCHAR[]) = 0 OR list_contains($machines::VARCHAR[], machine_serial))
  AND (len($locations::VARCHAR[]) = 0 OR list_contains($locations::VARCHAR[], location_id))
  AND (len($routes::VARCHAR[]) = 0 OR list_contains($routes::VARCHAR[], route_id))
GROUP BY ALL
ORDER BY revenue DESC NULLS LAST, key
