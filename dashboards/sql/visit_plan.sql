-- params: route_id='' plan_date=''
-- The machines route $route_id should visit on $plan_date, in stop order, with the newest
-- service score's details and the location; planogram: 'observed' for a machine known only
-- from DEX (its planogram read off its newest DEX read), else 'master'.
WITH latest AS (
    SELECT * FROM service_scores
    QUALIFY as_of = max(as_of) OVER ()
)
SELECT p.stop, p.asset_number, p.machine_serial, l.name AS location, l.address, p.score,
       s.need_date, s.sold_out_slots, s.share_depleted, s.units_since_visit,
       s.days_since_service, s.core_out, coalesce(p.reasons, s.reasons) AS reasons,
       coalesce(e.source, 'master') AS planogram
FROM service_plan p
LEFT JOIN latest s USING (machine_serial)
LEFT JOIN (SELECT DISTINCT machine_serial, source FROM effective_planogram) e USING (machine_serial)
LEFT JOIN locations l ON l.location_id = p.location_id
WHERE coalesce(p.route_id, '(no route)') = $route_id AND p.plan_date = TRY_CAST($plan_date AS DATE)
ORDER BY p.stop, p.asset_number
