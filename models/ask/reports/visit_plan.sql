-- The visit plan: stops per route in order, with why each machine is on it.
SELECT plan_date, route_id, driver, stop, asset_number, machine_serial, round(score, 2) AS score, reasons
FROM service_plan
WHERE ($route IS NULL OR route_id = $route)
ORDER BY plan_date, route_id, stop
