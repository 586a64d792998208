-- params: route_id='' plan_date=''
-- The pre-kit pick list of route $route_id on $plan_date: per planned machine, cabinet and slot,
-- what to load (par minus the level predicted at the visit), in stop order.
SELECT p.stop, k.asset_number, k.machine_serial, k.cabinet_index, k.cabinet_id, k.slot,
       k.selection, k.product_id, coalesce(k.product_name, pr.name) AS product_name,
       k.par_level, k.predicted_level, k.quantity
FROM service_plan_picks k
LEFT JOIN service_plan p
       ON p.plan_date = k.plan_date AND p.route_id IS NOT DISTINCT FROM k.route_id
      AND p.machine_serial = k.machine_serial
LEFT JOIN products pr ON pr.product_id = k.product_id
WHERE coalesce(k.route_id, '(no route)') = $route_id AND k.plan_date = TRY_CAST($plan_date AS DATE)
ORDER BY p.stop NULLS LAST, k.asset_number, k.cabinet_index, k.slot
