-- GET /v1/sales/daily: units and revenue per machine, selection and day, exactly from counters.
-- Paged by keyset: a next page starts after the last row's sort key (the after_ parameters), so
-- a deep page costs what the first one does. The key is a total order: a slot whose product
-- changed during a day has a row per product.
SELECT s.sales_date, s.machine_serial, d.asset_number, d.route_id, s.selection, s.selection_key,
       s.product_id, s.units_sold, s.revenue, s.currency
FROM fct_daily_sales s
LEFT JOIN devices d ON d.dex_serial = s.machine_serial
WHERE ($from IS NULL OR s.sales_date >= CAST($from AS DATE))
  AND ($to IS NULL OR s.sales_date <= CAST($to AS DATE))
  AND ($machine IS NULL OR s.machine_serial = $machine OR d.asset_number = $machine)
  AND ($route IS NULL OR d.route_id = $route)
  AND ($product IS NULL OR s.product_id = $product)
  AND ($after_date IS NULL
       OR (s.sales_date, s.machine_serial, s.selection_key, coalesce(s.product_id, ''))
          > (CAST($after_date AS DATE), $after_machine, $after_key, $after_product))
ORDER BY s.sales_date, s.machine_serial, s.selection_key, coalesce(s.product_id, '')
