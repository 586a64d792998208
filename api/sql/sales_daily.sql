-- GET /v1/sales/daily: units and revenue per machine, selection and day, exactly from counters.
SELECT s.sales_date, s.machine_serial, d.asset_number, d.route_id, s.selection, s.product_id,
       s.units_sold, s.revenue, s.currency
FROM fct_daily_sales s
LEFT JOIN devices d ON d.dex_serial = s.machine_serial
WHERE ($from IS NULL OR s.sales_date >= CAST($from AS DATE))
  AND ($to IS NULL OR s.sales_date <= CAST($to AS DATE))
  AND ($machine IS NULL OR s.machine_serial = $machine OR d.asset_number = $machine)
  AND ($route IS NULL OR d.route_id = $route)
  AND ($product IS NULL OR s.product_id = $product)
-- product too: a slot whose product changed during a day has a row per product (a total
-- order, or a row could sit on two pages or none)
ORDER BY s.sales_date, s.machine_serial, s.selection_key, s.product_id NULLS FIRST
