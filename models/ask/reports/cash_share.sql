-- Cash against cashless sales per machine (counter totals since reset, summed over reads).
SELECT asset_number, machine_serial, route_id, round(cash_sales, 2) AS cash_sales,
       round(cashless_sales, 2) AS cashless_sales, round(cash_share, 3) AS cash_share
FROM machine_health
WHERE ($route IS NULL OR route_id = $route)
ORDER BY cash_share DESC NULLS LAST
LIMIT $limit
