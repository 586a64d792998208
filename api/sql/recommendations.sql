-- GET /v1/recommendations: the latest planogram recommendations per slot.
SELECT r.recommendation_id, r.machine_serial, r.asset_number, d.route_id, r.cabinet, r.slot,
       r.change, r.current_product_id, r.recommended_product_id, r.capacity, r.par_level,
       r.expected_change_units, r.expected_change_revenue, r.reason, r.source, r.created_at
FROM planogram_recommendations r
LEFT JOIN devices d ON d.dex_serial = r.machine_serial
WHERE ($machine IS NULL OR r.machine_serial = $machine OR r.asset_number = $machine)
  AND ($route IS NULL OR d.route_id = $route)
  AND ($product IS NULL OR r.recommended_product_id = $product
       OR r.current_product_id = $product)
ORDER BY r.machine_serial, r.cabinet, r.slot, r.recommendation_id
