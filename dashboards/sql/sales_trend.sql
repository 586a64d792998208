-- params: start=NULL end=NULL products=[] categories=[] machines=[] locations=[] routes=[]
-- Units and revenue per day in [$start, $end] (default: the last 28 days of data), filtered as
-- in sales_by.sql.
WITH b AS (
    SELECT coalesce($end::DATE, max(sales_date)) AS end_day,
           coalesce($start::DATE, coalesce($end::DATE, max(sales_date)) - 27) AS start_day
    FROM fct_daily_sales
)
SELECT sales_date, currency, sum(units_sold) AS units, sum(revenue) AS revenue
FROM sales_daily_enriched, b
WHERE sales_date >= b.start_day AND sales_date <= b.end_day
  AND (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], product_id))
  AND (len($categories::VARCHAR[]) = 0 OR list_contains($categories::VARCHAR[], category))
  AND (len($machines::VARCHAR[]) = 0 OR list_contains($machines::VARCHAR[], machine_serial))
  AND (len($locations::VARCHAR[]) = 0 OR list_contains($locations::VARCHAR[], location_id))
  AND (len($routes::VARCHAR[]) = 0 OR list_contains($routes::VARCHAR[], route_id))
GROUP BY ALL
ORDER BY sales_date
