-- The planogram changes of the latest recommendation run with the largest expected gain.
SELECT asset_number, machine_serial, cabinet, slot, current_product_id, recommended_product_id,
       round(expected_change_units, 1) AS expected_change_units_per_week,
       round(expected_change_revenue, 2) AS expected_change_revenue_per_week, reason
FROM planogram_recommendations
WHERE change <> 'keep'
ORDER BY expected_change_revenue DESC
LIMIT $limit
