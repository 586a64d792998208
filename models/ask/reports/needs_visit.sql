-- Machines that need a visit, most urgent first, with the reasons.
SELECT asset_number, machine_serial, route_id, round(score, 2) AS score, need_date,
       sold_out_slots, round(days_since_service, 1) AS days_since_service, reasons
FROM service_scores
WHERE needs_visit AND ($route IS NULL OR route_id = $route)
ORDER BY score DESC
